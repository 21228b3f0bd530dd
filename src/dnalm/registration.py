"""``import dnalm`` makes dnalm known to transformers, without importing transformers.

Importing transformers' pipelines costs 7–12 s, and ``import dnalm`` stays cheap (no torch), so
the registration waits for transformers: :func:`install` (run by ``import dnalm``) registers at
once what transformers has already imported, and otherwise asks Python's import system to run it
right after the module is imported:

- ``transformers.models.auto.modeling_auto`` (the Auto classes): dnalm's CNN/LSTM architectures
  in ``AutoConfig``/``AutoModelForSequenceClassification``/``AutoModelForMaskedLM``
  (:func:`dnalm.models.build.register_baselines`), so ``AutoModel*.from_pretrained`` reads their folders;
- ``transformers.pipelines``: the ``dna-classification`` pipeline (:mod:`dnalm.apply.pipelines`), so
  ``pipeline("dna-classification", model=DIR)`` takes raw DNA for every dnalm model folder.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import warnings

__all__ = ["install"]


def _register_architectures() -> None:
    from dnalm.models.build import register_baselines

    register_baselines()


def _register_pipeline() -> None:
    import dnalm.apply.pipelines  # noqa: F401  (registers on import)


HOOKS = {
    "transformers.models.auto.modeling_auto": _register_architectures,
    "transformers.pipelines": _register_pipeline,
}


class _Loader(importlib.abc.Loader):
    """The module's own loader (everything else asked of it goes there too), then the hook; a hook that
    fails is a warning, never a failed import of transformers."""

    def __init__(self, loader, hook):
        self.loader, self.hook = loader, hook

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        try:
            self.hook()
        except Exception as err:
            warnings.warn(f"dnalm could not register with {module.__name__}: {err}", stacklevel=2)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: for a hooked module it asks the other finders and wraps the loader."""

    def find_spec(self, fullname, path, target=None):
        hook = HOOKS.get(fullname)
        if hook is None:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Loader(spec.loader, hook)
        return spec


def install() -> None:
    """Register now what transformers has imported; hook the rest (idempotent)."""
    waiting = False
    for name, hook in HOOKS.items():
        if name in sys.modules:
            hook()
        else:
            waiting = True
    if waiting and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
