"""Regions of an indexed genome: BED files and ``chr:start-end`` strings, checked against the genome.

A region is 0-based and half-open inside (as BED); ``chr1:101-200`` (1-based, inclusive, as samtools
writes it) is the same stretch as the BED line ``chr1 100 200``. The genome is read through its ``.fai``
index with pyfaidx (the one beside it when up to date, else one made in dnalm's cache folder, and said: nothing is
written beside the genome); a bgzip-compressed FASTA is read through its ``.gzi``
too, and a plain-gzip one is refused naming the command that makes it readable.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import os
import re
import struct
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnalm.io.base import DataFormatError, compression, numbered_lines

__all__ = ["IndexedGenome", "Region", "parse_regions", "region_files"]

log = logging.getLogger(__name__)
# the contig is everything before the last ':' (HLA contigs hold ':'), or written in braces as samtools allows
_SPEC = re.compile(r"^(?:\{(?P<braced>[^{}]+)\}|(?P<contig>\S+)):(?P<start>[\d,]+)-(?P<end>[\d,]+)$")


@dataclass(frozen=True)
class Region:
    """``[start, end)`` of ``contig`` (0-based), its name, where it was given (a BED file and line), and its strand
    (BED's sixth column: ``+``, ``-``, or ``.`` for none)."""

    contig: str
    start: int
    end: int
    name: str
    source: str = "--regions"
    line: int | None = None
    strand: str = "."

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else f"--regions {self.name!r}"


def parse_regions(specs: list[str]) -> list[Region]:
    """Regions from BED files and ``chr:start-end`` strings, in the order given.

    >>> parse_regions(["chr1:101-200", "chrX:1,001-2,000"])[1]
    Region(contig='chrX', start=1000, end=2000, name='chrX:1,001-2,000', source='--regions', line=None, strand='.')
    >>> [r.contig for r in parse_regions(["HLA-A*01:01:1-60", "{HLA-A*01:01}:1-60"])]
    ['HLA-A*01:01', 'HLA-A*01:01']
    """
    if isinstance(specs, str | os.PathLike):  # read letter by letter: "--regions 'c': neither a BED file..."
        raise TypeError(f"give a list of regions and BED files, e.g. [{str(specs)!r}], not one string")
    out: list[Region] = []
    for spec in specs:
        m = _SPEC.match(spec)
        if m and not _is_file(spec):
            start, end = int(m["start"].replace(",", "")), int(m["end"].replace(",", ""))
            if start < 1 or start > end:
                raise ValueError(f"--regions {spec!r}: start must be at least 1 and not after the end")
            out.append(Region(m["braced"] or m["contig"], start - 1, end, spec))
        elif _is_file(spec):
            out += _read_bed(Path(spec))
        else:
            raise FileNotFoundError(f"--regions {spec!r}: neither a BED file nor chr:start-end")
    return out


def region_files(specs: list[str] | None) -> list[str]:
    """The BED files among ``--regions`` values: inputs of the command, never to be written over."""
    return [spec for spec in specs or () if _is_file(spec)]


def _is_file(spec: str) -> bool:
    """A file to read regions from: a regular file, or a pipe (``<(grep chr1 peaks.bed)``), not a folder."""
    path = Path(spec)
    return path.exists() and not path.is_dir()


_HEADER = re.compile(r"(track|browser)(\s|$)")


def _read_bed(path: Path) -> list[Region]:
    regions = []
    blocked = []  # BED12 rows of several blocks (exons): scored over their whole span, said
    for lineno, line in numbered_lines(path):
        if not line.strip() or line.startswith("#") or _HEADER.match(line):  # a contig named track2 is data
            continue
        fields = line.rstrip("\n").split("\t") if "\t" in line else line.split()
        if len(fields) < 3:
            raise DataFormatError(path, lineno, f"a BED line needs chrom, start and end; got {len(fields)} field(s)")
        try:
            start, end = int(fields[1]), int(fields[2])
        except ValueError:
            raise DataFormatError(path, lineno, f"start and end must be whole numbers; got {fields[1:3]}") from None
        if start < 0 or start >= end:
            raise DataFormatError(path, lineno, f"start {start} must be at least 0 and before end {end}")
        name = fields[3] if len(fields) > 3 and fields[3] not in ("", ".") else f"{fields[0]}:{start + 1}-{end}"
        strand = fields[5].strip() if len(fields) > 5 else "."
        if strand not in ("+", "-", "."):
            raise DataFormatError(path, lineno, f"strand (column 6) must be +, - or .; got {strand!r}")
        regions.append(Region(fields[0], start, end, name, str(path), lineno, strand))
        if len(fields) > 9 and fields[9].strip().isdigit() and int(fields[9]) > 1:
            blocked.append(lineno)
    if not regions:
        raise DataFormatError(path, None, "no region in this BED file")
    if blocked:
        log.warning(
            "%s: %d region(s) have several blocks (BED12 blockCount, first at line %d): each is read over its whole "
            "span from start to end, introns included, not block by block",
            path,
            len(blocked),
            blocked[0],
        )
    return regions


class IndexedGenome:
    """A FASTA read by region through its ``.fai`` (pyfaidx): the one beside it when it is up to date, else one
    made in dnalm's cache folder (:func:`_index_names`), and said."""

    def __init__(self, path: str | Path):
        try:
            import pyfaidx
        except ImportError:
            raise ImportError(
                "--regions needs pyfaidx: pip install 'dnalm[genomics]' (or pip install pyfaidx)"
            ) from None
        self.path = Path(path)
        if self.path.exists() and not self.path.is_file() and not self.path.is_dir():
            raise ValueError(
                f"{self.path}: a pipe cannot be read by region; --regions needs the genome as a file (plain or bgzip "
                "FASTA)"
            )
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no such genome FASTA")
        kind = _gzip_kind(self.path)
        if kind == "gzip":
            raise ValueError(
                f"{self.path}: gzip-compressed but not bgzip, so it cannot be read by region; run "
                f"`zcat {self.path} | bgzip > {self.path.with_suffix('.bgz')}` (or gunzip it)"
            )
        if kind in ("bz2", "zstd"):
            raise ValueError(f"{self.path}: {kind}-compressed; --regions needs plain or bgzip FASTA (decompress it)")
        _check_line_endings(self.path, kind)
        names = _index_names(self.path, kind)
        try:
            self.fasta = pyfaidx.Fasta(str(self.path), sequence_always_upper=True, rebuild=False, **names)
        except pyfaidx.UnsupportedCompressionFormat as err:
            if kind is None:  # pyfaidx goes by the name: a plain file named .gz
                raise ValueError(
                    f"{self.path}: named .gz but not compressed; rename it without .gz (or bgzip it) to read it by "
                    "region"
                ) from None
            raise ValueError(f"{self.path}: {err}") from None
        except (pyfaidx.FastaIndexingError, ValueError) as err:
            uneven = re.search(r"Line length of fasta file is not consistent!.*?at line (\d+)", str(err), re.S)
            if uneven:  # pyfaidx's own text gave no way on
                raise ValueError(
                    f"{self.path}: line {uneven.group(1)} is not as long as the lines before it in its record; reading "
                    "by region needs every sequence line of a record as long (but the last): wrap it again "
                    "(e.g. seqkit seq -w 60 IN > OUT), or scan it whole without --regions"
                ) from None
            if dup := re.search(r'Duplicate key "(.*)"', str(err)):  # pyfaidx's text named no line and no fix
                raise ValueError(_twice(self.path, dup.group(1), kind)) from None
            # a CSV/TSV of sequences: pyfaidx's text named no way on
            if kind is None and not _starts_as_fasta(self.path):
                raise ValueError(
                    f"{self.path}: not a FASTA file (it does not start with a '>' line); --regions reads regions of a "
                    "genome FASTA: give the genome, or leave --regions out to read every sequence of a table"
                ) from None
            raise ValueError(f"{self.path}: cannot index this FASTA ({err})") from None
        self.lengths = {name: rec.rlen for name, rec in self.fasta.faidx.index.items()}

    def check(self, regions: list[Region]) -> None:
        """Every region on a contig of the genome (else the contigs of both are named) and inside it."""
        from dnalm.io.contigs import contig_mismatch

        unknown = [r for r in regions if r.contig not in self.lengths]
        if unknown:
            names = list(Counter(r.contig for r in unknown))
            raise ValueError(
                f"{unknown[0].where}: contig {unknown[0].contig} is not in {self.path.name} "
                f"({len(unknown)} of {len(regions)} regions): {contig_mismatch('the regions', names, self.lengths)}"
            )
        for r in regions:
            if r.end > self.lengths[r.contig]:
                raise ValueError(
                    f"{r.where}: region {r.name} ends at {r.end}, beyond the end of {r.contig} "
                    f"({self.lengths[r.contig]:,} bases)"
                )

    def fetch(self, region: Region) -> str:
        """The region's bases, normalised as every reader's are; a character that is no base is named by the
        genome, the contig and its position there."""
        from dnalm.io.sequence import SequenceError, normalize

        try:
            return normalize(str(self.fasta[region.contig][region.start : region.end]))
        except SequenceError as err:
            at = f"position {region.start + err.position:,}" if err.position is not None else "a position"
            raise DataFormatError(
                self.path,
                None,
                f"record {region.contig!r}, {at} (region {region.name}): {err.char!r} is not a nucleotide code",
            ) from None


def _twice(path: Path, name: str, kind: str | None) -> str:
    """The refusal of a genome whose record ``name`` comes twice, with the lines of both (as scan says it)."""
    import gzip

    lines = []
    with (gzip.open if kind else open)(path, "rb") as fh:
        for n, line in enumerate(fh, start=1):
            if line.startswith(b">") and line[1:].split(None, 1)[:1] == [name.encode()]:
                lines.append(n)
                if len(lines) == 2:
                    break
    where = f"{path}:{lines[1]}" if len(lines) == 2 else str(path)
    first = f" (first at line {lines[0]})" if len(lines) == 2 else ""
    return (
        f"{where}: record {name!r} comes twice{first}; --regions reads a record by its name, so each name must be "
        "one record's: rename or remove one"
    )


def _starts_as_fasta(path: Path) -> bool:
    """The first line that is not blank starts with ``>`` (a FASTA header), or a ``;`` comment."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                return line.lstrip().startswith((b">", b";"))
    return True  # empty: pyfaidx's own word


def _index_names(path: Path, kind: str | None) -> dict:
    """Where pyfaidx finds (or makes) the genome's index: the ``.fai`` (and bgzip's ``.gzi``) beside it when they
    are at least as new as the FASTA, else dnalm's cache folder, under a name that changes whenever the FASTA does
    (its path, size and modification time). Nothing is ever written beside the genome, and a stale index beside it
    (older than the FASTA) is never read: it would hand out the wrong bases."""
    fai, gzi = Path(f"{path}.fai"), Path(f"{path}.gzi")
    fasta_time = path.stat().st_mtime_ns

    def fresh(p: Path) -> bool:
        return p.is_file() and p.stat().st_mtime_ns >= fasta_time

    checkable = fresh(fai) and (kind != "bgzip" or fresh(gzi))
    wrong = _index_mismatch(fai, path, gzi if kind == "bgzip" else None) if checkable else None
    if fresh(fai) and (kind != "bgzip" or fresh(gzi)) and wrong is None:
        return {}
    if wrong is not None:  # a copied or restored index, newer than the FASTA but made for another file
        log.warning(
            "%s does not describe %s (%s): not read (it gives the wrong bases); indexing again", fai, path, wrong
        )
    elif fai.is_file():
        log.warning("%s is older than %s: not read (a stale index gives the wrong bases); indexing again", fai, path)
    st = path.stat()
    key = hashlib.sha1(f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:16]
    cache = _writable_cache(path.name, key)
    index = cache / f"{path.name}.{key}.fai"
    gzi_cached = cache / f"{path.name}.{key}.gzi"
    if index.is_file() and _index_mismatch(index, path, gzi_cached if kind == "bgzip" else None) is not None:
        log.warning("%s does not describe %s: indexing it again", index, path)  # damaged, or not ours
        index.unlink(missing_ok=True)
        gzi_cached.unlink(missing_ok=True)
    if not index.is_file():
        log.info("%s has no up-to-date .fai index beside it: indexing it into %s (once)", path, cache)
    return {"indexname": str(index), "gzi_indexname": str(cache / f"{path.name}.{key}.gzi")}


_CHECKED_RECORDS = 256


def _writable_cache(name: str, key: str) -> Path:
    """dnalm's index cache folder, else (it cannot be made or written: a read-only home) one of this user's in the
    temporary folder, the same at every run (pyfaidx's own advice to pass rebuild=False meant nothing to a user;
    a new temporary folder at each run was never removed). As the XDG spec says, a relative ``XDG_CACHE_HOME`` is
    not used (it put the cache in the working folder), and a home folder that does not exist is not made (``HOME=
    /nonexistent``, a service account's, was made at the root); the temporary one is used only if it is this
    user's alone (another user could have put indexes there)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    home = os.path.expanduser("~")
    homes = [xdg] if os.path.isabs(xdg) else [os.path.join(home, ".cache")] if os.path.isdir(home) else []
    shared = Path(tempfile.gettempdir()) / f"dnalm-fai-{os.getuid()}"
    for cache in [*(Path(h) / "dnalm" / "fai" for h in homes), shared]:
        try:
            cache.mkdir(parents=True, exist_ok=True, mode=0o700)
            if cache == shared and (cache.stat().st_uid != os.getuid() or cache.stat().st_mode & 0o022):
                continue
        except OSError:
            continue
        index = cache / f"{name}.{key}.fai"
        if index.is_file() or os.access(cache, os.W_OK | os.X_OK):
            return cache
    return Path(tempfile.mkdtemp(prefix="dnalm-fai-"))


def _index_mismatch(fai: Path, path: Path, gzi: Path | None = None) -> str | None:
    """Why a FASTA's ``.fai`` does not describe it (None when each checked record's header, first and last base
    and line ends fall where the index says, and the file ends where its last record does): a few bytes read per
    record, not the sequence, and at most :data:`_CHECKED_RECORDS` records (the first, the last and evenly between),
    so that an assembly of a million scaffolds opens as fast; an index made for another file misplaces nearly every
    record. A bgzip FASTA is read at the index's (uncompressed) offsets through its ``.gzi``."""
    size = None if gzi is not None else path.stat().st_size
    try:
        rows = [line.split("\t") for line in fai.read_text(encoding="utf-8").splitlines() if line.strip()]
        final = max(rows, key=lambda row: int(row[2]), default=None)
        if len(rows) > _CHECKED_RECORDS:
            rows = [rows[i] for i in np.unique(np.linspace(0, len(rows) - 1, _CHECKED_RECORDS).round().astype(int))]
        with _BgzfText(path, gzi) if gzi is not None else open(path, "rb") as fh:
            for row in rows:
                name, (length, offset, bases, width) = row[0], (int(x) for x in row[1:5])
                fh.seek(max(0, offset - 4096))
                before = fh.read(offset - max(0, offset - 4096))
                header = before[before.rstrip(b"\r\n").rfind(b"\n") + 1 :].split()
                if not header or header[0] != b">" + name.encode():
                    return f"record {name}: no header line ends where its bases start"
                if length == 0:  # an empty record: its header is all there is to check
                    continue
                if bases < 1 or width <= bases:
                    return f"record {name}: {bases} bases a line in lines of {width} bytes"
                last = offset + (length - 1) // bases * width + (length - 1) % bases
                if size is not None and last >= size:
                    return f"record {name}: {length:,} bases would run past the end of the file"
                if length > bases:  # the first line ends where the index says, and the second starts there
                    fh.seek(offset + bases)
                    ending = fh.read(width - bases + 1)
                    if ending[:-1].strip(b"\r\n") or not ending[:-1] or ending[-1:] in (b"\r", b"\n", b">", b""):
                        return f"record {name}: its lines are not {bases} bases in {width} bytes"
                fh.seek(last)
                tail = fh.read(width - bases + 1)
                if tail[:1] in (b"", b"\n", b"\r", b">") or (
                    (length - 1) % bases == bases - 1 and tail[1:] and tail[1:2] not in (b"\n", b"\r")
                ):
                    return f"record {name}: its lines are not {bases} bases long"
                fh.seek(last + 1)  # only line ends, then the next record's header (or the end of the file)
                if fh.read(width - bases + 1).lstrip(b"\r\n")[:1] not in (b">", b""):
                    return f"record {name}: the next header does not follow its {length:,} bases (its length differs)"
            return _ends_with(final, fh)
    except (OSError, ValueError, IndexError, UnicodeDecodeError, struct.error):
        return "not a readable index"


def _ends_with(row: list[str] | None, fh) -> str | None:
    """Why the file does not end with the index's last record (None when only line ends follow its last base): a
    record left out of the index, or a last record longer than the index says, would be out of reach."""
    if row is None:
        return None
    name, (length, offset, bases, width) = row[0], (int(x) for x in row[1:5])
    end = offset if length == 0 else offset + (length - 1) // bases * width + (length - 1) % bases + 1
    fh.seek(end)
    if fh.read(4096).strip():
        return f"the file goes on after record {name}, where the index ends (a record left out, or a longer one)"
    return None


class _BgzfText:
    """A bgzip file read at uncompressed offsets through its ``.gzi`` (block starts: compressed, uncompressed)."""

    def __init__(self, path: Path, gzi: Path):
        from Bio import bgzf

        data = gzi.read_bytes()
        (n,) = struct.unpack_from("<Q", data)
        pairs = struct.unpack_from(f"<{2 * n}Q", data, 8)
        self.compressed, self.uncompressed = [0, *pairs[0::2]], [0, *pairs[1::2]]
        self._virtual = bgzf.make_virtual_offset
        self.fh = bgzf.BgzfReader(str(path), "rb")

    def seek(self, position: int) -> None:
        i = bisect.bisect_right(self.uncompressed, position) - 1
        self.fh.seek(self._virtual(self.compressed[i], position - self.uncompressed[i]))

    def read(self, n: int) -> bytes:
        return self.fh.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()


def _check_line_endings(path: Path, kind: str | None) -> None:
    """Refuse a FASTA whose lines end in a bare carriage return (old Mac): an index reads it as one line."""
    import gzip

    with (gzip.open if kind == "bgzip" else open)(path, "rb") as fh:
        head = fh.read(1 << 16)
    if b"\r" in head and b"\n" not in head:
        raise ValueError(
            f"{path}: its lines end in a bare carriage return (old Mac line ends), which cannot be read by region; "
            f"convert them first (e.g. tr '\\r' '\\n' < {path.name} > fixed.fa)"
        )


def _gzip_kind(path: Path) -> str | None:
    """``"bgzip"``, ``"gzip"`` (not blocked), ``"bz2"``, ``"zstd"`` or None for plain text."""
    with open(path, "rb") as fh:
        head = fh.read(18)
    kind = compression(head)
    if kind != "gzip":
        return kind
    return "bgzip" if len(head) >= 16 and head[3] & 4 and head[12:14] == b"BC" else "gzip"
