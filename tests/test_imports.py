"""dnalm's modules import each other without a circle, and only through public names.

The graph is read from the source with ``ast``: every ``import dnalm.x`` and ``from dnalm.x import y``,
at module level and inside functions alike (a function-level import only defers a circle to the first
call). ``from dnalm.pkg import name`` points at ``dnalm.pkg.name`` when that is a submodule, else at
``dnalm.pkg``; relative imports are resolved against the importing module.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``root/dnalm`` (a package is its ``__init__``)."""
    out = {}
    for path in sorted((root / "dnalm").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imported(module: str, path: Path, known: set[str]) -> set[str]:
    """The dnalm modules that ``module`` imports anywhere in its file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in found if name in known and name != module}


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    modules = _modules(root)
    return {name: _imported(name, path, set(modules)) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as ``[a, b, ..., a]``, or None (depth-first search, white/grey/black)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_is_read_from_function_level_and_from_imports_too():
    graph = import_graph()
    assert "dnalm.finetune.train" in graph["dnalm.cli"]  # cli imports inside its command functions
    assert (
        "dnalm.models.build" in graph["dnalm.finetune.train"]
    )  # from dnalm.models.build import build_model: the package
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _part(module: str) -> str:
    """The package (or single module) directly under dnalm that ``module`` belongs to; ``dnalm`` for the face."""
    return module.split(".")[1] if "." in module else "dnalm"


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The module graph read at the scale of packages: which package imports which other."""
    between: dict[str, set[str]] = {}
    for module, imported in graph.items():
        between.setdefault(_part(module), set()).update(_part(m) for m in imported if _part(m) != _part(module))
    return between


def test_packages_have_no_circle_between_them():
    """Files may import each other without a circle while their packages still do (models/build importing the
    fine-tuning package's problem types while finetune imports models): each package must be a layer that only
    imports those below it, function-level imports included."""
    cycle = find_cycle(package_graph(import_graph()))
    assert cycle is None, "packages import each other: " + " -> ".join(cycle or [])


def test_a_package_circle_is_found():
    graph = {"dnalm.models.build": {"dnalm.finetune.tasks"}, "dnalm.finetune.train": {"dnalm.models.build"}}
    assert find_cycle(package_graph(graph)) == ["finetune", "models", "finetune"]


def private_imports(root: Path = SRC) -> list[str]:
    """``file:line module.name`` for every ``from dnalm.x import _name`` whose ``_name`` belongs to
    another module than the importing one's own package (a private name is a module's own business)."""
    out = []
    for module, path in _modules(root).items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith("dnalm"):
                if node.module in (module, package):
                    continue  # a package's modules and its __init__ share their private helpers
                out += [
                    f"{path.relative_to(root)}:{node.lineno} {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    return out


def test_no_private_names_imported_across_modules(tmp_path):
    (tmp_path / "dnalm").mkdir()
    (tmp_path / "dnalm" / "__init__.py").write_text("")
    (tmp_path / "dnalm" / "b.py").write_text("")
    (tmp_path / "dnalm" / "a.py").write_text("from dnalm.b import _x, y\nfrom dnalm.a import _own\n")
    assert private_imports(tmp_path) == ["dnalm/a.py:1 dnalm.b._x"]  # the check sees what it should
    assert private_imports() == []


ROOT = SRC.parent


def _top_level_names(path: Path) -> set[str]:
    """Names a module defines at its top level (functions, classes, assignments, imports), ``if``/``try`` included."""
    names: set[str] = set()

    def visit(body):
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for part in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, part, []):
                        visit(getattr(child, "body", [child]) if isinstance(child, ast.ExceptHandler) else [child])

    visit(ast.parse(path.read_text(), filename=str(path)).body)
    return names


def unresolved_imports(files, root: Path = SRC) -> list[str]:
    """``file:line dnalm.x.name`` for every ``from dnalm.x import name`` (anywhere in a file) that names
    neither something module ``dnalm.x`` defines nor a submodule of it: a script in bench/ or
    experiments/ that no test runs would otherwise break unseen when a function moves."""
    modules = _modules(root)
    defined = {name: _top_level_names(path) for name, path in modules.items()}
    out = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not (isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith("dnalm")):
                continue
            for alias in node.names:
                if node.module not in modules:
                    out.append(f"{path.name}:{node.lineno} {node.module} (no such module)")
                elif alias.name not in defined[node.module] and f"{node.module}.{alias.name}" not in modules:
                    out.append(f"{path.name}:{node.lineno} {node.module}.{alias.name}")
    return out


def test_every_name_imported_from_dnalm_exists(tmp_path):
    (tmp_path / "dnalm").mkdir()
    (tmp_path / "dnalm" / "__init__.py").write_text("")
    (tmp_path / "dnalm" / "b.py").write_text("x = 1\ntry:\n    import numpy as y\nexcept ImportError:\n    y = None\n")
    (tmp_path / "script.py").write_text("def f():\n    from dnalm.b import x, y, gone\n    from dnalm.c import z\n")
    assert unresolved_imports([tmp_path / "script.py"], tmp_path) == [
        "script.py:2 dnalm.b.gone",
        "script.py:3 dnalm.c (no such module)",
    ]
    scripts = [p for folder in ("bench", "experiments", "tools") for p in sorted((ROOT / folder).glob("*.py"))]
    assert len(scripts) > 5
    assert unresolved_imports([*scripts, *_modules(SRC).values()]) == []
