"""interpret --motifs also writes motifs.meme (MEME minimal format); read back by a small parser here."""

from __future__ import annotations

import csv

import numpy as np
import pytest

pytest.importorskip("pyjaspar")


def parse_meme(text: str) -> dict:
    """The MEME minimal format's parts: version, alphabet, strands, background and the motifs' matrices."""
    lines = [line.strip() for line in text.splitlines()]
    out: dict = {"motifs": {}}
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("MEME version"):
            out["version"] = line.split()[2]
        elif line.startswith("ALPHABET="):
            out["alphabet"] = line.split("=", 1)[1].strip()
        elif line.startswith("strands:"):
            out["strands"] = line.split()[1:]
        elif line == "Background letter frequencies":
            i += 1
            parts = lines[i].split()
            out["background"] = {parts[k]: float(parts[k + 1]) for k in range(0, len(parts), 2)}
        elif line.startswith("MOTIF"):
            name = line.split()[1]
            i += 1
            head = lines[i]
            assert head.startswith("letter-probability matrix:")
            fields = dict(zip(head.split()[2::2], head.split()[3::2]))
            assert set(fields) == {"alength=", "w=", "nsites=", "E="}
            w = int(fields["w="])
            matrix = np.array([[float(x) for x in lines[i + 1 + r].split()] for r in range(w)])
            out["motifs"][name] = {"w": w, "nsites": int(fields["nsites="]), "alength": int(fields["alength="])}
            out["motifs"][name]["matrix"] = matrix
            i += w
        i += 1
    return out


def test_find_motifs_writes_meme_minimal_format(tmp_path):
    from dnalm.interpret.motifs import find_motifs
    from dnalm.io.sequence import one_hot

    rng = np.random.default_rng(0)
    seqs, contribs = [], []
    for _ in range(30):
        seq = "".join(rng.choice(list("ACGT"), 60))
        p = int(rng.integers(5, 45))
        seq = seq[:p] + "TATAAA" + seq[p + 6 :]
        weight = rng.normal(0, 0.01, 60)
        weight[p : p + 6] = 1.0
        seqs.append(seq)
        contribs.append(one_hot(seq) * weight[:, None])
    rows = find_motifs(seqs, contribs, tmp_path, logos=False)
    meme = parse_meme((tmp_path / "motifs.meme").read_text())
    assert meme["version"] == "4" and meme["alphabet"] == "ACGT" and meme["strands"] == ["+", "-"]
    assert set(meme["background"]) == set("ACGT") and sum(meme["background"].values()) == pytest.approx(1, abs=1e-3)
    tsv = list(csv.DictReader(open(tmp_path / "motifs.tsv"), delimiter="\t"))
    assert rows and list(meme["motifs"]) == [r["motif"] for r in tsv]
    for r in tsv:
        m = meme["motifs"][r["motif"]]
        assert m["alength"] == 4 and m["w"] == len(r["consensus"]) == m["matrix"].shape[0]
        assert m["nsites"] == int(r["n_seqlets"]) and np.allclose(m["matrix"].sum(axis=1), 1, atol=1e-4)
    top = meme["motifs"][tsv[0]["motif"]]["matrix"]
    assert "TATAAA" in "".join("ACGT"[j] for j in top.argmax(axis=1))
