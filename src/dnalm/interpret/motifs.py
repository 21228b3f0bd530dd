"""Motifs from per-base attributions: seqlets, clusters, PWMs and a TOMTOM-like match to JASPAR.

1. **Seqlets.** Each sequence's per-base importance (the attribution on the base present) is
   smoothed as a sum of ``|importance|`` over a ``core``-base window; peaks above a threshold are
   taken greedily (a peak masks ``width`` bases around it) and cut ``width`` bases wide. The
   threshold is the ``quantile`` of the same smoothed score after shuffling each sequence's
   importance over its positions (``shuffles`` times): a window must beat chance arrangements of
   the sequence's own attributions.
2. **Clusters.** Seqlets, strongest first, join the cluster whose mean contribution matrix they
   match best (Pearson correlation, best shift up to ``width // 2`` bases and either strand; the
   seqlet is re-cut at that shift and reverse-complemented if need be) when it reaches
   ``min_similarity``; otherwise they start a cluster. Clusters of fewer than ``min_seqlets`` are dropped.
3. **PWM.** Base frequencies of the aligned seqlets, trimmed to the columns holding at least
   ``trim`` of the strongest column's contribution; the consensus is the most frequent base of each
   column (``N`` under half).
4. **Matching.** Each PWM is compared with every JASPAR CORE matrix (pyjaspar's bundled SQLite
   database, vertebrates by default): column-wise Pearson correlation summed over the best ungapped
   alignment (at least ``min(5, widths)`` columns overlapping) on either strand. The null is random
   matrices of the target's width made of columns drawn from all of JASPAR (TOMTOM's assumption),
   scored the same way; p-values are empirical, Benjamini–Hochberg gives q-values across the
   comparisons of one query. A short, A/T-rich motif (TATAAA) matches many random A/T columns, so
   its best match can rank first with an unremarkable q-value: read the rank and the score too.

Written: ``motifs.tsv`` (one row per motif, most seqlets first), ``motifs.meme`` (their probability
matrices in MEME minimal format, for Tomtom/FIMO) and ``motif_{n}.png`` (the mean contribution of the
aligned seqlets).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from dnalm.plots import plot_logo

__all__ = ["benjamini_hochberg", "find_motifs", "jaspar_motifs", "match_motif", "require_pyjaspar"]

BASES = "ACGT"
COLUMNS = [
    "motif",
    "n_seqlets",
    "consensus",
    "mean_contribution",
    "best_match_id",
    "best_match_name",
    "score",
    "pvalue",
    "qvalue",
    "top_matches",
    "logo",
    "target",
]


def _rc(m: np.ndarray) -> np.ndarray:
    """Reverse complement of a ``(width, 4)`` A/C/G/T matrix."""
    return m[::-1, ::-1]


def _cut(matrix: np.ndarray, start: int, width: int) -> np.ndarray:
    """``matrix[start : start + width]`` with zero rows where the window runs off an end."""
    out = np.zeros((width, matrix.shape[1]))
    a, b = max(start, 0), min(start + width, len(matrix))
    if b > a:
        out[a - start : b - start] = matrix[a:b]
    return out


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0


def find_seqlets(
    contribs: list[np.ndarray],
    *,
    width: int = 15,
    core: int = 7,
    quantile: float = 0.99,
    shuffles: int = 10,
    seed: int = 0,
) -> list[tuple[int, int, float]]:
    """``(sequence, start, score)`` of high-attribution windows, strongest first."""
    from dnalm.settings import check_count

    check_count(width, "width")
    check_count(core, "core")
    check_count(shuffles, "shuffles", minimum=0)
    if core > width:  # the smoothing window would reach past the seqlet
        raise ValueError(f"core ({core}) must not be wider than the seqlet width ({width})")
    if isinstance(quantile, bool) or not isinstance(quantile, int | float) or not 0 <= quantile <= 1:
        raise ValueError(f"quantile must be a number in [0, 1]; got {quantile!r}")
    if any(np.ndim(c) != 2 or np.shape(c)[1] != 4 for c in contribs):
        raise ValueError("contribs must be one (length, 4) array per sequence")
    rng = np.random.default_rng(seed)
    kernel = np.ones(core)
    smooth, null = [], []
    for c in contribs:
        imp = np.abs(c.sum(axis=1))
        smooth.append(np.convolve(imp, kernel, mode="same"))
        for _ in range(shuffles):
            null.append(np.convolve(rng.permutation(imp), kernel, mode="same"))
    threshold = float(np.quantile(np.concatenate(null), quantile)) if null else np.inf
    seqlets = []
    for i, s in enumerate(smooth):
        s = s.copy()
        while len(s) and s.max() > threshold:
            peak = int(np.argmax(s))
            seqlets.append((i, peak - width // 2, float(s[peak])))
            s[max(peak - width // 2, 0) : peak + width // 2 + 1] = -np.inf
    return sorted(seqlets, key=lambda x: -x[2])


def _cluster(seqlets, contribs, onehots, *, width: int, min_similarity: float):
    """Greedy clustering; members are ``(sequence, start, reverse?)`` aligned to the cluster."""
    clusters: list[dict] = []
    shifts = range(-(width // 2), width // 2 + 1)
    for i, start, _ in seqlets:
        best = (min_similarity, None, None, None)
        for c in clusters:
            mean = c["cwm"] / len(c["members"])
            for o in shifts:
                cut = _cut(contribs[i], start + o, width)
                for rev, cand in ((False, cut), (True, _rc(cut))):
                    r = _pearson(cand, mean)
                    if r > best[0]:
                        best = (r, c, start + o, rev)
        _, c, s, rev = best
        if c is None:
            c, s, rev = {"members": [], "cwm": np.zeros((width, 4)), "pfm": np.zeros((width, 4))}, start, False
            clusters.append(c)
        orient = _rc if rev else (lambda m: m)
        c["members"].append((i, s, rev))
        c["cwm"] += orient(_cut(contribs[i], s, width))
        c["pfm"] += orient(_cut(onehots[i], s, width))
    return clusters


def require_pyjaspar():
    """pyjaspar's ``jaspardb``, or an ImportError that says how to install it."""
    try:
        from pyjaspar import jaspardb
    except ImportError as err:
        raise ImportError("motif matching needs JASPAR's database: pip install pyjaspar (or dnalm[interpret])") from err
    return jaspardb


@functools.lru_cache(maxsize=4)
def jaspar_motifs(tax_group: str | None = "vertebrates") -> tuple[list[str], list[str], list[np.ndarray]]:
    """``(ids, names, PWMs)`` of JASPAR CORE (latest versions), one ``(width, 4)`` frequency matrix each
    (pseudocount 0.5 per base); ``tax_group`` None for all of CORE."""
    jaspardb = require_pyjaspar()
    kwargs = {"tax_group": [tax_group]} if tax_group else {}
    found = jaspardb().fetch_motifs(collection="CORE", **kwargs)
    ids, names, pwms = [], [], []
    for m in found:
        counts = np.array([m.counts[b] for b in BASES], dtype=np.float64).T + 0.5
        ids.append(m.matrix_id)
        names.append(m.name)
        pwms.append(counts / counts.sum(axis=1, keepdims=True))
    return ids, names, pwms


def _z(pwm: np.ndarray) -> np.ndarray:
    """Columns centred and scaled so that ``z_a @ z_b / 4`` is their Pearson correlation."""
    c = pwm - pwm.mean(axis=-1, keepdims=True)
    sd = np.sqrt((c * c).mean(axis=-1, keepdims=True))
    return np.divide(c, sd, out=np.zeros_like(c), where=sd > 1e-9)


def _best_alignment(zq: np.ndarray, zt: np.ndarray) -> np.ndarray:
    """Best summed column correlation over ungapped offsets and both strands, for targets ``zt``
    ``(n, width, 4)``."""
    wq, wt = len(zq), zt.shape[1]
    overlap = min(5, wq, wt)
    best = np.full(len(zt), -np.inf)
    for target in (zt, zt[:, ::-1, ::-1]):
        corr = np.einsum("qa,nta->nqt", zq, target) / 4
        for d in range(-(wq - overlap), wt - overlap + 1):  # target column = query column + d
            q = np.arange(max(0, -d), min(wq, wt - d))
            best = np.maximum(best, corr[:, q, q + d].sum(axis=1))
    return best


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """q-values of p-values (Benjamini–Hochberg).

    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03])).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or not np.all((p >= 0) & (p <= 1)):  # NaN fails too: it made every q-value NaN
        raise ValueError(f"p-values must be a list of numbers in [0, 1]; got {p[~((p >= 0) & (p <= 1))][:3].tolist()}")
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(q)
    out[order] = np.minimum(q, 1.0)
    return out


def match_motif(
    pwm: np.ndarray, *, tax_group: str | None = "vertebrates", n_null: int = 20_000, seed: int = 0
) -> list[dict]:
    """Every JASPAR CORE matrix scored against ``pwm`` ``(width, 4)``, best first:
    ``{"id", "name", "score", "pvalue", "qvalue"}``. p-values are empirical, ``(1 + #null >= score) /
    (1 + n_null)`` over ``n_null`` random matrices per target width, so none is below ``1 / (1 + n_null)``."""
    ids, names, pwms = jaspar_motifs(tax_group)
    rng = np.random.default_rng(seed)
    zq = _z(np.asarray(pwm, dtype=np.float64))
    pool = _z(np.concatenate(pwms))
    score, pvalue = np.zeros(len(pwms)), np.zeros(len(pwms))
    for w in sorted({len(m) for m in pwms}):
        idx = [j for j, m in enumerate(pwms) if len(m) == w]
        score[idx] = _best_alignment(zq, np.stack([_z(pwms[j]) for j in idx]))
        null = np.sort(
            np.concatenate(
                [
                    _best_alignment(zq, pool[rng.integers(0, len(pool), (min(5000, n_null), w))])
                    for _ in range(0, n_null, 5000)
                ]
            )
        )
        above = len(null) - np.searchsorted(null, score[idx] - 1e-9, side="left")
        pvalue[idx] = (1 + above) / (1 + len(null))
    qvalue = benjamini_hochberg(pvalue)
    order = np.lexsort((-score, pvalue))
    return [
        {
            "id": ids[j],
            "name": names[j],
            "score": float(score[j]),
            "pvalue": float(pvalue[j]),
            "qvalue": float(qvalue[j]),
        }
        for j in order
    ]


def find_motifs(
    sequences: list[str],
    contribs: list[np.ndarray],
    output: str | Path,
    *,
    width: int = 15,
    core: int = 7,
    quantile: float = 0.99,
    min_similarity: float = 0.6,
    min_seqlets: int = 3,
    trim: float = 0.3,
    tax_group: str | None = "vertebrates",
    top: int = 3,
    logos: bool = True,
    target: str | None = None,
) -> list[dict]:
    """Seqlets of ``contribs`` (``(len, 4)`` attribution on the base present, one per sequence) clustered
    into motifs, matched to JASPAR; writes ``output/motifs.tsv`` and a logo per motif; returns the rows.
    ``target`` names what the attributions explain (its ``target`` column, e.g. ``P(promoter)``)."""
    from dnalm.io.files import atomic_open
    from dnalm.io.sequence import one_hot

    if len(sequences) != len(contribs):
        raise ValueError(f"{len(sequences)} sequences but {len(contribs)} attribution matrices")
    output = Path(output)
    onehots = [one_hot(s) for s in sequences]
    seqlets = find_seqlets(contribs, width=width, core=core, quantile=quantile)
    clusters = [
        c
        for c in _cluster(seqlets, contribs, onehots, width=width, min_similarity=min_similarity)
        if len(c["members"]) >= min_seqlets
    ]
    clusters.sort(key=lambda c: -len(c["members"]))
    rows, meme = [], []
    for n, c in enumerate(clusters):
        cwm = c["cwm"] / len(c["members"])
        strength = np.abs(cwm.sum(axis=1))
        keep = np.flatnonzero(strength >= trim * strength.max())
        a, b = int(keep[0]), int(keep[-1]) + 1
        counts = c["pfm"][a:b] + 0.1
        pwm = counts / counts.sum(axis=1, keepdims=True)
        consensus = "".join(BASES[j] if f[j] >= 0.5 else "N" for f, j in zip(pwm, pwm.argmax(axis=1)))
        matches = match_motif(pwm, tax_group=tax_group)
        best = matches[0]
        meme.append((f"motif_{n}", consensus, pwm, len(c["members"])))
        row = {
            "motif": f"motif_{n}",
            "target": target or "",
            "n_seqlets": len(c["members"]),
            "consensus": consensus,
            "mean_contribution": round(float(cwm.sum()), 4),
            "best_match_id": best["id"],
            "best_match_name": best["name"],
            "score": round(best["score"], 3),
            "pvalue": f"{best['pvalue']:.3g}",
            "qvalue": f"{best['qvalue']:.3g}",
            "top_matches": "; ".join(f"{m['id']} {m['name']} (q={m['qvalue']:.2g})" for m in matches[:top]),
            "logo": Path(  # beside motifs.tsv (a path into a staging folder is gone once the folder is in place)
                plot_logo(
                    cwm,
                    output / f"motif_{n}.png",
                    f"motif_{n}: {consensus}, {len(c['members'])} "
                    f"seqlets; best JASPAR match {best['id']} {best['name']} (q={best['qvalue']:.2g})",
                    ylabel="contribution",
                    highlight=(a, b),
                    width_per_base=0.35,
                )
            ).name
            if logos
            else "",
        }
        rows.append(row)
    with atomic_open(output / "motifs.tsv", "w") as fh:
        fh.write("\t".join(COLUMNS) + "\n")
        fh.writelines("\t".join(str(r[k]) for k in COLUMNS) + "\n" for r in rows)
    write_meme(output / "motifs.meme", meme, background(sequences))
    return rows


def background(sequences: list[str]) -> np.ndarray:
    """A/C/G/T frequencies over ``sequences`` (uniform when they hold none; lower case and U read as
    :func:`dnalm.io.sequence.normalize` reads them).

    >>> background(["AACG", "tN"]).tolist()
    [0.4, 0.2, 0.2, 0.2]
    """
    from dnalm.io.sequence import normalize

    if isinstance(sequences, str):
        raise TypeError(f"give a list of sequences, e.g. [{sequences[:20]!r}], not one string")
    seqs = [normalize(s, record=i) for i, s in enumerate(sequences)]
    counts = np.array([sum(s.count(b) for s in seqs) for b in BASES], dtype=np.float64)
    return counts / counts.sum() if counts.sum() else np.full(4, 0.25)


def write_meme(path: str | Path, motifs: list[tuple[str, str, np.ndarray, int]], bg: np.ndarray) -> None:
    """Write ``(id, consensus, (w, 4) probability matrix, n_sites)`` motifs in MEME minimal format (for
    Tomtom, FIMO, SEA). dnalm computes no motif E-value: ``E= 0`` fills the field the format requires."""
    from dnalm.io.files import atomic_open

    bg = np.asarray(bg, dtype=np.float64)
    if bg.shape != (4,) or not np.isfinite(bg).all() or (bg < 0).any():
        raise ValueError(f"bg must be four A/C/G/T frequencies; got {bg.tolist()}")
    for name, _, pwm, _ in motifs:
        pwm = np.asarray(pwm, dtype=np.float64)
        if pwm.ndim != 2 or pwm.shape[1] != 4 or not len(pwm) or not np.isfinite(pwm).all() or (pwm < 0).any():
            raise ValueError(
                f"motif {name!r}: a (width, 4) matrix of A/C/G/T probabilities was expected; got {pwm.shape}"
            )
    with atomic_open(path, "w") as fh:
        fh.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\n")
        fh.write(" ".join(f"{b} {f:.4f}" for b, f in zip(BASES, bg)) + "\n")
        for name, consensus, pwm, nsites in motifs:
            fh.write(f"\nMOTIF {name} {consensus}\n")
            fh.write(f"letter-probability matrix: alength= 4 w= {len(pwm)} nsites= {nsites} E= 0\n")
            fh.writelines(" ".join(f"{p:.6f}" for p in row) + "\n" for row in pwm)
