"""Contig names of two sources compared: a ``22`` against a ``chr22`` is named, with the fix."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

__all__ = ["check_contigs", "contig_mismatch"]

log = logging.getLogger(__name__)


def _shown(names: Collection[str], n: int = 4) -> str:
    names = list(names)
    return ", ".join(names[:n]) + (", ..." if len(names) > n else "")


def _toggled(name: str) -> str:
    return name[3:] if name.lower().startswith("chr") else f"chr{name}"


def contig_mismatch(what: str, names: Collection[str], genome: Collection[str]) -> str:
    """Why the contigs ``names`` of ``what`` are not in ``genome``, and the fix when it is the 'chr' prefix.

    >>> contig_mismatch("the VCF", ["22", "X"], ["chr21", "chr22"])
    "the VCF names contigs 22, X; the genome has chr21, chr22: add or strip the 'chr' prefix"
    >>> contig_mismatch("the regions", ["chrUn"], ["1", "2"])
    'the regions name contigs chrUn; the genome has 1, 2 (none of them)'
    """
    verb = "names" if what.startswith("the VCF") else "name"
    head = f"{what} {verb} contigs {_shown(names)}; the genome has {_shown(genome)}"
    have = set(genome)
    if any(_toggled(n) in have for n in names):
        return head + ": add or strip the 'chr' prefix"
    return head + " (none of them)"


def check_contigs(
    what: str, counts: Mapping[str, int], genome: Collection[str], source: str, unit: str = "records"
) -> None:
    """Refuse when none of the ``unit`` (records) counted per contig in ``counts`` is on a contig of ``genome``
    (ValueError naming ``source``); warn with counts when some are not."""
    have = set(genome)
    missing = {c: n for c, n in counts.items() if c not in have}
    if not missing:
        return
    total, lost = sum(counts.values()), sum(missing.values())
    message = contig_mismatch(what, list(missing), list(genome))
    if lost == total:
        raise ValueError(f"{source}: none of its {total} {unit} is on a contig of the genome: {message}")
    log.warning("%s: %d of %d %s are on contigs not in the genome: %s", source, lost, total, unit, message)
