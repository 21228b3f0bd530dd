"""dnalm scan: windows along a genome, N runs skipped and counted, bedGraph/BED written right."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dnalm.scan import scan_genome


def _genome(tmp_path, seed=0, n_contigs=2, length=3000, motifs=()):
    rng = np.random.default_rng(seed)
    contigs = []
    for c in range(n_contigs):
        seq = bytearray(np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)].tobytes())
        for contig, pos, motif in motifs:
            if contig == c:
                seq[pos : pos + len(motif)] = motif.encode()
        contigs.append(seq.decode())
    path = tmp_path / "genome.fa"
    path.write_text("".join(f">chr{c} test contig\n{s}\n" for c, s in enumerate(contigs)))
    return path, contigs


@pytest.fixture(scope="module")
def untrained(tmp_path_factory):
    from dnalm.models import build_model

    out = tmp_path_factory.mktemp("m")
    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.config.dnalm_train_max_tokens = 62  # as if fine-tuned on 60-base sequences
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _read_bedgraph(path):
    rows = [line.split("\t") for line in path.read_text().splitlines()]
    return [(c, int(a), int(b), float(s)) for c, a, b, s in rows]


def test_scan_writes_sorted_non_overlapping_bedgraph_and_skips_n(untrained, tmp_path):
    genome, _ = _genome(tmp_path, motifs=[(0, 1000, "N" * 100)])
    r = scan_genome(str(untrained), genome, tmp_path / "s.bedGraph", stride=20, peaks=tmp_path / "p.bed",
                    threshold=0.0)
    rows = _read_bedgraph(tmp_path / "s.bedGraph")
    assert r.window == 60 and r.stride == 20 and len(rows) == r.n_windows
    # windows starting at 960, 980, ..., 1080 touch the N run [1000, 1100)
    assert r.n_ambiguous_bases == 100 and r.n_skipped_windows == 7
    for contig in ("chr0", "chr1"):  # ids are the header's first word; intervals sorted and disjoint
        mine = [x for x in rows if x[0] == contig]
        assert all(a[2] <= b[1] for a, b in itertools.pairwise(mine)) and all(x[1] < x[2] for x in mine)
        assert mine[0][1] == (60 - 20) // 2 and mine[-1][2] <= 3000
    assert not any(x[0] == "chr0" and x[2] > 1000 - 20 and x[1] < 1100 + 20 for x in rows)  # nothing scored over N
    bed = [line.split("\t") for line in (tmp_path / "p.bed").read_text().splitlines()]
    assert len(bed) == r.n_peaks == 3  # threshold 0: one peak per run of windows (chr0 split by the N run)


def test_strands_and_bad_input(untrained, tmp_path):
    from dnalm.sequence import reverse_complement

    genome, contigs = _genome(tmp_path, n_contigs=1, length=600)
    genome_rc = tmp_path / "rc.fa"
    genome_rc.write_text(f">chr0\n{reverse_complement(contigs[0])}\n")
    for strand in ("plus", "minus", "both"):
        scan_genome(str(untrained), genome, tmp_path / f"{strand}.bg", strand=strand)
    plus, minus, both = (_read_bedgraph(tmp_path / f"{s}.bg") for s in ("plus", "minus", "both"))
    scan_genome(str(untrained), genome_rc, tmp_path / "rc.bg", strand="plus", stride=1)
    on_rc = {(x[1] - (60 - 1) // 2): x[3] for x in _read_bedgraph(tmp_path / "rc.bg")}  # window start -> score
    for (_, a, _, score) in minus[:-1]:  # the minus strand of window [s, s+60) is the plus strand of the rc genome
        s = a - (60 - 30) // 2
        assert score == pytest.approx(on_rc[600 - 60 - s], abs=1e-4)
    assert np.allclose([(p[3] + m[3]) / 2 for p, m in zip(plus, minus)], [b[3] for b in both], atol=1e-4)
    with pytest.raises(ValueError, match="longer than the model takes"):
        scan_genome(str(untrained), genome, tmp_path / "x.bg", window=500)
    with pytest.raises(ValueError, match="strand must be one of"):
        scan_genome(str(untrained), genome, tmp_path / "x.bg", strand="up")
    with pytest.raises(ValueError, match="is a folder"):
        scan_genome(str(untrained), genome, tmp_path)
    (tmp_path / "empty.fa").write_text("")
    with pytest.raises(ValueError, match="empty"):
        scan_genome(str(untrained), tmp_path / "empty.fa", tmp_path / "x.bg")


def test_a_tata_model_finds_the_tata_boxes(tmp_path):
    """Windows holding TATAAA (either strand) outrank the rest of a random genome."""
    from sklearn.metrics import roc_auc_score

    from dnalm.config import FinetuneConfig
    from dnalm.data import stratified_split
    from dnalm.io import write_table
    from dnalm.sequence import reverse_complement
    from dnalm.synth import tata_dataset
    from dnalm.train import finetune

    train, dev = stratified_split(tata_dataset(1000, 60, seed=3), 0.2, seed=3)
    write_table(train, tmp_path / "train.csv")
    write_table(dev, tmp_path / "dev.csv")
    finetune(FinetuneConfig(model="tiny", epochs=4, seed=0, trainer={"disable_tqdm": True}), tmp_path, tmp_path / "m")
    motifs = [(0, p, "TATAAA") for p in range(200, 4000, 400)]
    genome, contigs = _genome(tmp_path, n_contigs=1, length=4200, motifs=motifs)
    r = scan_genome(str(tmp_path / "m"), genome, tmp_path / "s.bg", stride=10)
    rows = _read_bedgraph(tmp_path / "s.bg")
    seq = contigs[0]
    has = []
    for _, a, b, _ in rows:  # the window behind each interval: [a - 25, a - 25 + 60)
        w = seq[a - (60 - 10) // 2 : a - (60 - 10) // 2 + 60]
        has.append("TATAAA" in w or "TATAAA" in reverse_complement(w))
    assert r.n_windows == len(rows) and 0 < sum(has) < len(has)
    assert roc_auc_score(has, [x[3] for x in rows]) > 0.9
