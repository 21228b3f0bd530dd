"""Audit of a split dataset: exact, reverse-complement and near duplicates across splits (leakage), and what a
tokenizer makes of it (unknown tokens, truncation: ``audit --tokenizer`` and ``dnalm tokenizer check``).

Counts are rows of the first split of a pair whose sequence also occurs in the second
(``"test-train"``: test rows found in train). Within one split (``"train-train"``) a row
counts when it repeats an earlier row. Sequences are compared after normalisation (upper
case, U -> T), so the comparison is case-insensitive.

- exact duplicates: the same sequence;
- reverse-complement duplicates: the row's reverse complement occurs, the row itself does not;
- near duplicates: not an exact or reverse-complement duplicate, but the row shares a stretch
  of at least ``min_shared`` bases (default 50) with some row of the other split, on either
  strand. Found with 64-bit rolling hashes of every window and verified on the strings, so a
  hash collision cannot create a false hit.

>>> from dnalm.io import Record
>>> train = [Record("a", "ACGTACGTAA", "1"), Record("b", "GGGGCCCCAT", "0")]
>>> test = [Record("x", "ACGTACGTAA", "1"), Record("y", "ATGGGGCCCC", "0"), Record("z", "TTTTTTTTTT", "0")]
>>> r = audit_splits({"train": train, "test": test}, min_shared=8)
>>> r["exact_duplicates"]["test-train"], r["reverse_complement_duplicates"]["test-train"]
(1, 1)
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnalm.io import Record, copy_records, find_splits, read_sequences
from dnalm.io.files import atomic_open
from dnalm.io.outputs import Output, claims, local
from dnalm.io.sequence import CODE_LUT, reverse_complement
from dnalm.settings import check_applies, check_fields, check_keys, check_path, checked, named, setting, settings_from

__all__ = [
    "AuditSettings",
    "audit_dataset",
    "audit_splits",
    "check_tokenizer",
    "check_tokenizer_on",
    "describe_audit",
    "format_audit",
    "format_check",
    "run_audit",
    "shared_window_hits",
    "tokenizer_named",
    "write_deduplicated",
]

log = logging.getLogger(__name__)

_ORDER = ("train", "dev", "test")
_ACGT = set("ACGT")
_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the rolling hash


def _pairs(splits: list[str]) -> list[tuple[str, str]]:
    """("test", "train"), ("dev", "train"), ("test", "dev"): later split first, as the counts are read."""
    names = [s for s in _ORDER if s in splits] + [s for s in splits if s not in _ORDER]
    return [(names[j], names[i]) for i in range(len(names)) for j in range(i + 1, len(names))]


def _window_hashes(seqs: list[str], width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hash of every ``width``-base window free of non-ACGT bases: (hashes, row, start)."""
    if not seqs:
        return np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.int64)
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    codes = CODE_LUT[np.frombuffer("".join(seqs).encode("ascii"), dtype=np.uint8)]
    ends = np.cumsum(lengths)
    n_windows = len(codes) - width + 1
    if n_windows <= 0:
        return np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.int64)
    row = np.repeat(np.arange(len(seqs)), lengths)[:n_windows]
    unknown = np.concatenate([[0], np.cumsum(codes > 3)])
    ok = (np.arange(n_windows) + width <= ends[row]) & (unknown[width:] - unknown[:n_windows] == 0)
    h = np.zeros(n_windows, dtype=np.uint64)
    values = codes.astype(np.uint64)
    with np.errstate(over="ignore"):
        for t in range(width):  # uint64 arithmetic wraps: a polynomial hash modulo 2**64
            h = h * _BASE + values[t : t + n_windows]
    starts = np.arange(n_windows) - (ends[row] - lengths[row])
    return h[ok], row[ok], starts[ok]


def shared_window_hits(query: list[str], reference: list[str], width: int) -> dict[int, int]:
    """Rows of ``query`` sharing a ``width``-base window with some ``reference`` row on either
    strand: ``{query_row: reference_row}`` (the first partner found), verified on the strings.

    >>> shared_window_hits(["AACCGGTTAC", "TTTTTTTTTT"], ["GTAACCGGTT"], 6)
    {0: 0}
    """
    ref_all = reference + [reverse_complement(s) for s in reference]
    rh, rrow, _ = _window_hashes(ref_all, width)
    qh, qrow, qstart = _window_hashes(query, width)
    if not len(rh) or not len(qh):
        return {}
    order = np.argsort(rh, kind="stable")
    rh, rrow = rh[order], rrow[order]
    lo = np.searchsorted(rh, qh, side="left")
    hit = lo < len(rh)
    hit[hit] = rh[lo[hit]] == qh[hit]
    found: dict[int, int] = {}
    n_ref = len(reference)
    for i in np.flatnonzero(hit).tolist():
        q = int(qrow[i])
        if q in found:
            continue
        window = query[q][qstart[i] : qstart[i] + width]
        j = int(lo[i])
        while j < len(rh) and rh[j] == qh[i]:
            r = int(rrow[j])
            if window in ref_all[r]:
                found[q] = r % n_ref
                break
            j += 1
    return found


def _duplicate_rows(query: list[Record], reference: list[Record], same: bool) -> dict[str, list]:
    """Exact and reverse-complement duplicate rows of ``query`` in ``reference``, with partners; ``conflicts``: those
    of either kind whose partner has another label (a strand-averaging model sees one sequence with two labels)."""
    first: dict[str, int] = {}
    for i, r in enumerate(reference):
        first.setdefault(r.sequence, i)
    exact, rc, conflicts = [], [], []
    for i, r in enumerate(query):
        j = first.get(r.sequence)
        if j is not None and (not same or j < i):
            exact.append((i, j))
            if reference[j].label != r.label:
                conflicts.append((i, j))
            continue
        j = first.get(reverse_complement(r.sequence))
        if j is not None and (not same or j < i):
            rc.append((i, j))
            if reference[j].label != r.label:
                conflicts.append((i, j))
    return {"exact": exact, "rc": rc, "conflicts": conflicts}


def audit_splits(
    splits: dict[str, list[Record]],
    *,
    min_shared: int = 50,
    max_ids: int = 1000,
    tokenizer=None,
    max_length: int | None = None,
) -> dict:
    """Audit in-memory splits; see the module docstring for what is counted."""
    result: dict = {
        "min_shared_bp": min_shared,
        "splits": {},
        "exact_duplicates": {},
        "reverse_complement_duplicates": {},
        "near_duplicates": {},
        "conflicting_labels": {},
        "offending_ids": {},
        "max_ids": max_ids,
    }
    for name, recs in splits.items():
        lengths = [len(r.sequence) for r in recs]
        labels: dict[str, int] = {}  # an unlabelled row is counted under no label ('None' read as one)
        for r in recs:
            if r.label is not None:
                labels[str(r.label)] = labels.get(str(r.label), 0) + 1
        result["splits"][name] = {
            "n": len(recs),
            "distinct_sequences": len({r.sequence for r in recs}),
            "min_length": min(lengths, default=0),
            "max_length": max(lengths, default=0),
            "mean_length": float(np.mean(lengths)) if lengths else 0.0,
            "with_non_acgt": sum(1 for r in recs if set(r.sequence) - _ACGT),
            "labels": dict(sorted(labels.items())),
        }

    truncated = []  # a list of ids cut at max_ids (not one that holds exactly max_ids)

    def ids(pairs, query, reference):
        truncated.append(len(pairs) > max_ids)
        return [[query[i].id, reference[j].id] for i, j in pairs[:max_ids]]

    names = list(splits)
    for name in names:  # repeats inside one split
        recs = splits[name]
        dup = _duplicate_rows(recs, recs, same=True)
        key = f"{name}-{name}"
        result["exact_duplicates"][key] = len(dup["exact"])
        result["reverse_complement_duplicates"][key] = len(dup["rc"])
        result["conflicting_labels"][key] = len(dup["conflicts"])
        result["offending_ids"][key] = {"exact": ids(dup["exact"], recs, recs), "rc": ids(dup["rc"], recs, recs)}
    for a, b in _pairs(names):
        query, reference = splits[a], splits[b]
        key = f"{a}-{b}"
        dup = _duplicate_rows(query, reference, same=False)
        taken = {i for i, _ in dup["exact"]} | {i for i, _ in dup["rc"]}
        hits = shared_window_hits([r.sequence for r in query], [r.sequence for r in reference], min_shared)
        near = sorted((i, j) for i, j in hits.items() if i not in taken)
        result["exact_duplicates"][key] = len(dup["exact"])
        result["reverse_complement_duplicates"][key] = len(dup["rc"])
        result["near_duplicates"][key] = len(near)
        result["conflicting_labels"][key] = len(dup["conflicts"])
        result["offending_ids"][key] = {
            "exact": ids(dup["exact"], query, reference),
            "rc": ids(dup["rc"], query, reference),
            "near": ids(near, query, reference),
            "conflicting_labels": ids(dup["conflicts"], query, reference),
        }
    result["ids_truncated"] = any(truncated)
    if tokenizer is not None:
        from dnalm.tokenizers.dna import tokenizer_report

        result["tokenizer"] = {
            name: tokenizer_report(tokenizer, (r.sequence for r in recs), max_length=max_length)
            for name, recs in splits.items()
        }
    return result


def _read(data: str | Path, columns: dict | None = None) -> dict[str, list[Record]]:
    path = check_path(data, "data")
    if path.is_file():  # it said "not a split folder" as if the file were not there
        raise ValueError(f"{data} is a file: the audit compares splits, give their folder (train/dev/test files)")
    if not path.is_dir():
        raise FileNotFoundError(f"{data}: not a split folder (train/dev/test files or folders)")
    if columns is not None:  # an unknown key reached read_sequences() as an unexpected keyword argument
        if not isinstance(columns, dict):
            raise TypeError(f"columns must map sequence_column/label_column to names; got {type(columns).__name__}")
        check_keys(columns, ["sequence_column", "label_column"], "key", "columns")
    found = find_splits(data)
    return {s: list(read_sequences(data, split=s, **(columns or {}))) for s in _ORDER if s in found}


def audit_dataset(
    data: str | Path,
    *,
    min_shared: int = 50,
    max_ids: int = 1000,
    tokenizer=None,
    max_length: int | None = None,
    columns: dict | None = None,
) -> dict:
    """Audit a split folder (train/dev/test files, as ``dnalm finetune`` reads them; ``columns``: the
    ``sequence_column``/``label_column`` of its tables)."""
    limit = {} if max_length is None else {"max_length": max_length}
    s = checked(AuditSettings, min_shared=min_shared, max_ids=max_ids, **limit)  # the CLI's bounds, for Python
    min_shared, max_ids = s.min_shared, s.max_ids
    max_length = None if max_length is None else s.max_length
    if max_length is not None and tokenizer is None:  # it was accepted and changed nothing
        raise ValueError("max_length is the tokenizer report's token limit: give tokenizer= too (e.g. 'kmer6')")
    if isinstance(tokenizer, str):  # a name, as --tokenizer takes it ('kmer6', 'base', a folder, a shipped model)
        tokenizer = _audit_tokenizer(tokenizer)
    splits = _read(data, columns)
    longest = max((len(r.sequence) for records in splits.values() for r in records), default=0)
    if min_shared > longest:  # every near-duplicate count is 0, and it looked like a clean result
        log.warning(
            "--min-shared %d is longer than the longest sequence (%d bases): no near duplicate can be found",
            min_shared,
            longest,
        )
    result = audit_splits(splits, min_shared=min_shared, max_ids=max_ids, tokenizer=tokenizer, max_length=max_length)
    return {"data": str(data), **result}


def format_audit(result: dict) -> str:
    """A short human-readable summary of :func:`audit_dataset`'s result."""
    lines = [f"audit of {result.get('data', 'data')}"]
    for name, s in result["splits"].items():
        lines.append(
            f"  {name}: {s['n']:,} rows ({s['distinct_sequences']:,} distinct), length "
            f"{s['min_length']}-{s['max_length']}, {s['with_non_acgt']} with non-ACGT bases, labels "
            + (", ".join(f"{k}: {v:,}" for k, v in s["labels"].items()) if s["labels"] else "none")
        )
    lines.append(
        f"  {'pair':<12} {'exact':>7} {'rev-comp':>9} {'near(>=' + str(result['min_shared_bp']) + 'bp)':>14}"
        f" {'label conflicts':>16}"
    )
    for key, n in result["exact_duplicates"].items():
        near = result["near_duplicates"].get(key)
        lines.append(
            f"  {key:<12} {n:>7,} {result['reverse_complement_duplicates'][key]:>9,} "
            f"{'–' if near is None else f'{near:,}':>14} {result['conflicting_labels'][key]:>16,}"
        )
    for name, t in result.get("tokenizer", {}).items():
        lines.append(
            f"  tokenizer on {name}: unknown-token rate {t['unk_rate']:.4%}, {t['n_truncated']:,} of "
            f"{t['n_sequences']:,} sequences longer than {t['max_length']} tokens"
        )
    return "\n".join(lines)


def _dedup_claim(data, output, overwrite) -> dict:
    """What ``audit --dedup`` reads and writes; a copy inside DATA refused by the names the user gave."""
    if Path(data).is_dir() and Path(data).resolve() in Path(output).resolve().parents:
        raise ValueError(f"--dedup {output} is inside DATA ({data}): a copy of a data set goes beside it, not into it")
    return {"inputs": [data], "outputs": [Output(output, "dedup", atomic=True)], "overwrite": overwrite}


@claims("audit --dedup", lambda a: _dedup_claim(a["data"], a["output"], a["overwrite"]))
def write_deduplicated(
    data: str | Path,
    output: str | Path,
    *,
    min_shared: int = 50,
    kinds: tuple[str, ...] = ("exact", "rc", "near"),
    columns: dict | None = None,
    overwrite: bool = False,
) -> dict:
    """Copy DATA to OUTPUT with training rows removed that duplicate a dev or test row.

    ``kinds`` says which duplicates go (exact, rc, near). The training rows that stay are copied
    as written, under the same file name (every column of a table, a FASTA record's whole header);
    dev and test files are copied byte for byte; ``removed.tsv`` lists every removed training row,
    why, and the held-out row it repeats (its id and split: ids may repeat across dev and test). Returns counts.
    """
    min_shared = checked(AuditSettings, min_shared=min_shared).min_shared
    kinds = tuple(k.strip() for k in kinds.split(",")) if isinstance(kinds, str) else tuple(kinds)  # "exact,rc"
    bad = set(kinds) - {"exact", "rc", "near"}
    if bad:
        raise ValueError(f"unknown duplicate kinds {sorted(bad)}; choose from exact, rc, near")
    if not kinds or not all(kinds):  # nothing would be removed: a copy that calls itself de-duplicated
        raise ValueError(f"kinds (--dedup-kinds) names no duplicate kind; got {kinds!r}: choose from exact, rc, near")
    splits = _read(data, columns)
    if "train" not in splits:
        raise ValueError(f"{data}: no train split to de-duplicate (found {sorted(splits)})")
    output = Path(output)
    if output.resolve() == Path(data).resolve():
        raise ValueError("write the de-duplicated copy to another folder")
    output.mkdir(parents=True, exist_ok=True)
    train = splits["train"]
    held_out = [r for s in ("dev", "test") for r in splits.get(s, [])]
    held_split = [s for s in ("dev", "test") for _ in splits.get(s, [])]  # ids may repeat across dev and test
    dup = _duplicate_rows(train, held_out, same=False)
    why: dict[int, tuple[str, int]] = {}  # a training row: why it goes, and the held-out row it repeats
    if "exact" in kinds:
        why.update({i: ("exact", j) for i, j in dup["exact"]})
    if "rc" in kinds:
        why.update({i: ("reverse_complement", j) for i, j in dup["rc"] if i not in why})
    if "near" in kinds:
        taken = {i for i, _ in dup["exact"]} | {i for i, _ in dup["rc"]}
        hits = shared_window_hits([r.sequence for r in train], [r.sequence for r in held_out], min_shared)
        why.update({i: (f"shares >= {min_shared} bp", j) for i, j in hits.items() if i not in taken and i not in why})
    found = find_splits(data)
    n_kept = copy_records(found["train"], output / found["train"].name, drop=why)
    if n_kept != len(train) - len(why):  # the copy walks the file apart from the reader: they must agree
        raise RuntimeError(f"{found['train']}: copied {n_kept:,} rows, expected {len(train) - len(why):,}")
    for split in ("dev", "test"):
        if split in found:
            src = found[split]
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, output / src.name)
    with atomic_open(output / "removed.tsv") as fh:
        fh.write("train_id\treason\tmatches\tmatches_split\n")
        fh.writelines(
            f"{train[i].id}\t{reason}\t{held_out[j].id}\t{held_split[j]}\n" for i, (reason, j) in sorted(why.items())
        )
    counts = {
        "train_before": len(train),
        "train_after": n_kept,
        "removed": len(why),
        "removed_by_reason": {
            r: sum(1 for x, _ in why.values() if x == r) for r in sorted({x for x, _ in why.values()})
        },
    }
    log.info(
        "removed %d of %d training rows that duplicate dev/test rows (%s)",
        len(why),
        len(train),
        _reasons(counts["removed_by_reason"]),
    )
    return counts


def _reasons(by_reason: dict[str, int]) -> str:
    """``{"exact": 3, "rc": 1}`` as ``3 exact, 1 rc``; none as ``none removed`` (it printed ``({})``).

    >>> _reasons({"exact": 3, "rc": 1}), _reasons({})
    ('3 exact, 1 rc', 'none removed')
    """
    return ", ".join(f"{n:,} {reason}" for reason, n in by_reason.items()) or "none removed"


@dataclass
class AuditSettings:
    """``dnalm audit``: what counts as a near duplicate, how much is listed, the tokenizer report, --dedup."""

    min_shared: int = setting(50, "Near duplicate: shares this many bases on either strand.", ge=1, le=1_000_000)
    max_ids: int = setting(1000, "Offending id pairs listed per split pair and kind.", ge=0, le=1_000_000_000)
    tokenizer: str = setting(
        "kmer6",
        "Tokenizer for the unknown-token and truncation report: kmerK (DNABERT k-mers), base, a tokenizer/model "
        "folder, a shipped model or a hub id; 'none' skips the report.",
    )
    max_length: int = setting(512, "Token limit for the truncation count.", ge=1, le=10_000_000)
    dedup_kinds: str = setting("exact,rc,near", "Which duplicates --dedup removes (comma-separated).")
    sequence_column: str | None = setting(None, "Column of a table holding the sequence.")
    label_column: str | None = setting(None, "Column of a table holding the label.")
    dedup: object = None  # the folder --dedup writes (what dedup_kinds applies to; not an option of its own)

    def __post_init__(self):
        check_fields(self)
        check_applies(self, "dedup_kinds", self.dedup is not None, "chooses what --dedup removes: it needs --dedup")
        check_applies(self, "max_length", self.tokenizer != "none", "counts truncation for --tokenizer (not none)")
        self.kinds = tuple(k.strip() for k in self.dedup_kinds.split(","))
        unknown = set(self.kinds) - {"exact", "rc", "near"}  # an empty item too (exact,,rc: a typo it passed over)
        if unknown:
            raise ValueError(f"dedup_kinds (--dedup-kinds) takes exact, rc and near; got {self.dedup_kinds!r}")


@claims(
    "audit",
    lambda a: {
        "inputs": [a["data"], *local(a["settings"].get("tokenizer"))],  # a tokenizer or model folder is read too
        "outputs": ([Output(a["output"], "file")] if a["output"] else [])
        + (_dedup_claim(a["data"], a["dedup"], a["overwrite"])["outputs"] if a["dedup"] else []),
        "overwrite": a["overwrite"],
    },
    resolve=("output", "dedup"),
)
def run_audit(
    data: str | Path,
    output: str | Path | None = None,
    dedup: str | Path | None = None,
    *,
    overwrite: bool = False,
    **settings,
) -> dict:
    """``dnalm audit``: :func:`audit_dataset` (JSON also to ``output``), and with ``dedup`` a copy of DATA
    without the training rows that duplicate dev/test rows. ``settings``: :class:`AuditSettings`."""
    from dnalm.io.files import is_stream, write_json
    from dnalm.io.table import check_named_format

    s = settings_from(AuditSettings, {**settings, "dedup": dedup}, "run_audit")
    if output and not is_stream(output):  # audit -o a.tsv wrote JSON
        check_named_format(output, "the audit's results", "JSON (.json)", (".json",))
    tok = None if s.tokenizer == "none" else _audit_tokenizer(s.tokenizer)
    columns = {"sequence_column": s.sequence_column, "label_column": s.label_column}
    result = audit_dataset(
        data,
        min_shared=s.min_shared,
        max_ids=s.max_ids,
        tokenizer=tok,
        max_length=None if tok is None else s.max_length,
        columns=columns,
    )
    if dedup:
        copied = write_deduplicated(data, dedup, min_shared=s.min_shared, kinds=s.kinds, columns=columns)
        result["deduplicated"] = {"output": str(dedup), **copied}
    if output:
        write_json(output, result)
    return result


def describe_audit(result: dict) -> str:
    """What ``dnalm audit`` prints: :func:`format_audit`, and what --dedup wrote."""
    text = format_audit(result)
    if "deduplicated" in result:
        d = result["deduplicated"]
        text += (
            f"\nwrote {d['output']}: train {d['train_before']:,} -> {d['train_after']:,} rows "
            f"({_reasons(d['removed_by_reason'])}); removed ids in {d['output']}/removed.tsv"
        )
    return text


def check_tokenizer(tokenizer: str, records_of, splits: list[str | None], max_length: int | None = None) -> dict:
    """Unknown-token rate and truncation count of ``tokenizer`` (a folder, a model, or ``kmerK``/``base`` as
    ``audit --tokenizer`` takes them) on each split (``records_of(split)``)."""
    from dnalm.settings import check_count
    from dnalm.tokenizers.dna import tokenizer_report

    if max_length is not None:  # max_length="ten" was a TypeError comparing str and int
        max_length = check_count(max_length, named("max_length"))
    tok = tokenizer_named(tokenizer)
    return {s or "all": tokenizer_report(tok, (r.sequence for r in records_of(s)), max_length) for s in splits}


def tokenizer_named(name: str):
    """The tokenizer that ``audit --tokenizer`` and ``tokenizer check`` name: ``kmerK`` (DNABERT's k-mers), ``base``,
    a tokenizer or model folder, a shipped model or a hub id."""
    from dnalm.tokenizers.dna import load_tokenizer, tokenizer_by_name

    if re.fullmatch(r"kmer\d+|base", str(name)):  # dnalm's, whatever the working folder holds (as --model's names)
        return tokenizer_by_name(name)
    from dnalm.models.ref import tokenizer_source

    return load_tokenizer(tokenizer_source(name))


def _audit_tokenizer(name: str):
    """:func:`tokenizer_named` for the audit's report; a name that is no tokenizer is refused naming the option."""
    try:
        return tokenizer_named(name)
    except ValueError as err:
        raise ValueError(f"{named('tokenizer')}: {err}") from None


def check_tokenizer_on(
    tokenizer: str, data, splits: list[str] | None = None, *, classes=None, max_length: int | None = None, **columns
) -> dict:
    """:func:`check_tokenizer` on a data file, a split folder (``splits``, default all of them) or ``classes``
    (LABEL -> FASTA); ``columns``: ``sequence_column``, ``label_column``."""
    from dnalm.io import find_splits, read_records

    if columns.get("label_column") is not None:  # the report counts tokens: it never read the labels
        raise ValueError(
            f"label_column (--label-column) names a table's label column; the tokenizer check reads no labels; got "
            f"{columns['label_column']!r} (leave it out)"
        )
    folder = data is not None and Path(data).is_dir() and not classes
    if splits and not folder:  # it was ignored: the file was reported as split 'all'
        what = "--class FASTAs have none" if classes else f"{data} is not one"
        raise ValueError(f"--split chooses splits of a data folder; {what} (leave it out)")
    splits = (splits or sorted(find_splits(data))) if folder else [None]
    return check_tokenizer(tokenizer, lambda s: read_records(data, s, classes, **columns), splits, max_length)


def format_check(report: dict) -> str:
    """The table ``dnalm tokenizer check`` prints."""
    lines = [f"{'split':<8}{'sequences':>11}{'tokens':>12}{'unk rate':>10}{'truncated':>11}  (max_length)"]
    for name, r in report.items():
        lines.append(
            f"{name:<8}{r['n_sequences']:>11,}{r['n_tokens']:>12,}{r['unk_rate']:>10.4%}"
            f"{r['n_truncated']:>11,}  ({r['max_length']})"
        )
    return "\n".join(lines)
