"""Compressed and piped inputs: bz2 and zstd read wherever gzip is (by magic bytes), pipes read once."""

from __future__ import annotations

import bz2
import os
import sys
import threading

import pytest

from dnalm.io import DataFormatError, read_sequences

FASTA = b">a first\nACGT\n>b\nGGCCA\n"
CSV = b"sequence,label\nACGT,1\nGGCC,0\n"


def _zstd(data: bytes) -> bytes:
    zstandard = pytest.importorskip("zstandard")
    return zstandard.ZstdCompressor().compress(data)


@pytest.mark.parametrize("kind", ["bz2", "zstd"])
@pytest.mark.parametrize("name, data", [("x.fa", FASTA), ("x.csv", CSV)])
def test_bz2_and_zstd_files_read_like_plain_ones(tmp_path, kind, name, data):
    packed = bz2.compress(data) if kind == "bz2" else _zstd(data)
    plain, other = tmp_path / name, tmp_path / f"{name}.{'bz2' if kind == 'bz2' else 'zst'}"
    plain.write_bytes(data)
    other.write_bytes(packed)
    assert list(read_sequences(other)) == list(read_sequences(plain))
    disguised = tmp_path / f"plain-{name}"  # detected by content, not by the name
    disguised.write_bytes(packed)
    assert [r.sequence for r in read_sequences(disguised)] == [r.sequence for r in read_sequences(plain)]


@pytest.mark.parametrize("kind", ["bz2", "zstd"])
def test_truncated_compressed_data_is_named(tmp_path, kind):
    packed = bz2.compress(FASTA * 50) if kind == "bz2" else _zstd(FASTA * 50)
    path = tmp_path / "x.fa"
    path.write_bytes(packed[:-6])
    with pytest.raises(DataFormatError, match=f"x.fa: truncated {kind}"):
        list(read_sequences(path))


def test_zstd_without_zstandard_is_refused_naming_the_install(tmp_path, monkeypatch):
    path = tmp_path / "x.fa.zst"
    path.write_bytes(_zstd(FASTA))
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with pytest.raises(ImportError, match="pip install zstandard"):
        list(read_sequences(path))


def test_a_fifo_is_read_not_reported_empty_and_may_be_read_twice(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "wb") as fh:
            fh.write(bz2.compress(FASTA))

    writer = threading.Thread(target=write)
    writer.start()
    first = [(r.id, r.sequence) for r in read_sequences(fifo)]
    writer.join(5)
    assert first == [("a", "ACGT"), ("b", "GGCCA")]
    assert [(r.id, r.sequence) for r in read_sequences(fifo)] == first  # predict reads its input twice


def test_a_pipe_that_does_not_fit_the_temporary_folder_is_named_and_leaves_nothing(tmp_path, monkeypatch):
    """TMPDIR on a full disk: "[Errno 28] No space left on device" named neither the pipe nor TMPDIR, and the part
    of the copy already written stayed in the temporary folder."""
    import errno

    from dnalm.io import base

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: open(fifo, "wb").close())
    writer.start()
    monkeypatch.setattr(base.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    def full(src, dst, size):
        dst.write(b"part")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(base.shutil, "copyfileobj", full)
    with pytest.raises(OSError, match=r"No space left on device while reading .*pipe into .*set TMPDIR"):
        base.readable_path(fifo)
    writer.join(5)
    assert not list((tmp_path / "tmp").iterdir())
