"""``dnalm interpret``: which bases a classifier's score rests on, by in-silico saturation mutagenesis.

Every base of a sequence is changed to each of the three others and each mutant is scored (through
the streaming engine, so it works for every model dnalm loads, transformers and CNNs alike, with
strand averaging as the model folder records). ``ism[i, b]`` is the change in positive-class
log-odds when position ``i`` becomes base ``b`` (0 for the base already there); a position's
importance is minus the mean change of its three mutants, so bases the score needs are positive.
Written: ``attributions.npz`` (ids, sequences, ``ism`` and ``importance`` per sequence) and,
for the first sequences, logos of the importance on the bases present (logomaker).

Not yet: gradient methods (integrated gradients, DeepLIFT/SHAP) and motif discovery against JASPAR.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["interpret_file", "saturation_mutagenesis"]

log = logging.getLogger(__name__)
BASES = "ACGT"


def _log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def saturation_mutagenesis(model, tokenizer, sequences: list[str], *, positive: int = 1, batch_size: int = 256,
                           reverse_complement_average: bool = False) -> list[np.ndarray]:
    """``(len(seq), 4)`` arrays of log-odds changes, one per sequence (columns A, C, G, T).

    Positions holding N or another ambiguity code get 0 for every base (nothing to mutate from).
    """
    from dnalm.predict import iter_scores
    from dnalm.sequence import normalize

    seqs = [normalize(s, record=i) for i, s in enumerate(sequences)]

    def variants() -> Iterator[str]:
        for seq in seqs:
            yield seq
            for i, ref in enumerate(seq):
                if ref in BASES:
                    for b in BASES:
                        if b != ref:
                            yield seq[:i] + b + seq[i + 1 :]

    scores = iter_scores(model, tokenizer, variants(), batch_size=batch_size,
                         reverse_complement_average=reverse_complement_average)
    out = []
    for seq in seqs:
        base = _log_odds(np.array(next(scores)[0][positive]))
        ism = np.zeros((len(seq), 4))
        for i, ref in enumerate(seq):
            if ref in BASES:
                for j, b in enumerate(BASES):
                    if b != ref:
                        ism[i, j] = _log_odds(np.array(next(scores)[0][positive])) - base
        out.append(ism)
    return out


def importance(ism: np.ndarray) -> np.ndarray:
    """Per position: minus the mean log-odds change of its three mutants."""
    return -ism.sum(axis=1) / 3


def interpret_file(model_path: str, input_path: str | Path, output: str | Path, *, method: str = "ism",
                   limit: int = 100, logos: int = 10, batch_size: int = 256,
                   trust_remote_code: bool = False) -> dict:
    """Attributions for the first ``limit`` sequences of a FASTA/CSV/TSV file into the folder ``output``."""
    from dnalm.evaluation import strand_average_default
    from dnalm.files import atomic_open
    from dnalm.io import read_sequences
    from dnalm.models import load_model
    from dnalm.scan import positive_class

    if method != "ism":
        raise ValueError(f"method {method!r} is not available yet; use ism (in-silico saturation mutagenesis)")
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise ValueError(f"output {output} is a file; give a folder")
    output.mkdir(parents=True, exist_ok=True)
    model, tok = load_model(model_path, trust_remote_code=trust_remote_code)
    positive, label = positive_class(model)
    records = []
    for rec in read_sequences(input_path):
        if len(records) == limit:
            log.warning("interpreting the first %d sequences of %s (--limit)", limit, input_path)
            break
        records.append(rec)
    if not records:
        raise ValueError(f"{input_path}: no sequence to interpret")
    ism = saturation_mutagenesis(model, tok, [r.sequence for r in records], positive=positive, batch_size=batch_size,
                                 reverse_complement_average=strand_average_default(model, None))
    imp = [importance(a) for a in ism]
    with atomic_open(output / "attributions.npz", "wb") as fh:
        np.savez_compressed(fh, ids=np.array([r.id for r in records]), sequences=np.array([r.sequence for r in records]),
                            **{f"ism_{i}": a for i, a in enumerate(ism)}, **{f"importance_{i}": a for i, a in enumerate(imp)})
    drawn = [_logo(rec.id, rec.sequence, a, output / f"logo_{i}.png", label) for i, (rec, a) in
             enumerate(zip(records[:logos], imp[:logos]))]
    return {"n_sequences": len(records), "method": method, "positive_label": label, "logos": drawn,
            "attributions": str(output / "attributions.npz")}


def _logo(name: str, seq: str, imp: np.ndarray, path: Path, label: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import logomaker
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = pd.DataFrame(0.0, index=range(len(seq)), columns=list(BASES))
    for i, base in enumerate(seq):
        if base in BASES:
            frame.loc[i, base] = imp[i]
    fig, ax = plt.subplots(figsize=(min(24, 0.12 * len(seq) + 2), 2.2))
    logomaker.Logo(frame, ax=ax, color_scheme="classic")
    ax.set_title(f"{name}: importance for P({label}) (log-odds lost when the base is mutated)", fontsize=9)
    ax.set_xlabel("position")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
