"""dnalm interpret: ISM and gradient attributions point at the TATA box; motifs find TATAAA and match TBP."""

from __future__ import annotations

import csv
import sys

import numpy as np
import pytest

from dnalm.interpret.attributions import gradient_attributions, interpret_file, saturation_mutagenesis
from tests.conftest import _ok


def _tata_positives(n: int, seed: int = 11) -> list[str]:
    from dnalm.synth import tata_dataset

    return [r.sequence for r in tata_dataset(2 * n, 60, seed=seed) if str(r.label) == "1"][:n]


def _motif_mask(seq: str) -> np.ndarray:
    from dnalm.io.sequence import reverse_complement

    mask = np.zeros(len(seq), dtype=bool)
    for motif in ("TATAAA", reverse_complement("TATAAA")):
        p = seq.find(motif)
        if p >= 0:
            mask[p : p + 6] = True
    return mask


@pytest.mark.parametrize("both_strands", [False, True])
def test_mutagenesis_of_a_sequence_longer_than_the_window_rescores_only_the_windows_a_mutant_changes(
    both_strands, monkeypatch
):
    """Every mutant of a long record was scored whole (a 200-kb record: 600,000 mutants x 5,000 windows, no end in
    sight); the mutant's windows that do not hold the mutated base are the reference's. Same answer as scoring
    each mutant whole, as predict does."""
    from dnalm.apply.predict import iter_scores
    from dnalm.interpret.attributions import saturation_mutagenesis
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.config.dnalm_train_max_tokens = 32  # windows of 30 bases, every 15; 97 bases: 6 windows, the last flush
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 97)) + "N" + "".join(rng.choice(list("ACGT"), 12))
    import dnalm.apply.predict

    scored = []

    def counting(model, tok, pieces, **kw):
        return iter_scores(model, tok, (scored.append(len(p)) or p for p in pieces), **kw)

    monkeypatch.setattr(dnalm.apply.predict, "iter_scores", counting)
    fast = saturation_mutagenesis(model, tok, [seq, seq[:20]], reverse_complement_average=both_strands)
    monkeypatch.undo()
    # 7 windows (30 bases each, 2 of them over the N; 12 with both strands' windows, as iter_scores reads them) and
    # 3 mutants per base of each; then 1 window of 20 bases
    n = 12 if both_strands else 7
    assert max(scored) == 30 and len(scored) == n + 3 * (n * 30 - 2) + 1 + 3 * 20  # windows, not whole mutants

    def log_odds(s):
        p = next(iter_scores(model, tok, [s], reverse_complement_average=both_strands))[0][1]
        return np.log(p) - np.log1p(-p)

    for whole in (seq, seq[:20]):
        mutants = np.zeros((len(whole), 4))
        for i, ref in enumerate(whole):
            for j, b in enumerate("ACGT"):
                if ref in "ACGT" and b != ref:
                    mutants[i, j] = log_odds(whole[:i] + b + whole[i + 1 :]) - log_odds(whole)
        assert np.allclose(fast[0 if whole is seq else 1], mutants, atol=1e-6)


def test_saturation_mutagenesis_points_at_the_tata_box(tata_model, tmp_path):
    rng = np.random.default_rng(7)
    seqs = []
    for i in range(4):
        s = bytearray(np.frombuffer(b"GC", dtype=np.uint8)[rng.integers(0, 2, 60)].tobytes())  # no TATA by chance
        s[20 + 5 * i : 26 + 5 * i] = b"TATAAA"
        seqs.append(s.decode())
    (tmp_path / "in.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    r = interpret_file(str(tata_model), tmp_path / "in.fa", tmp_path / "out", logos=2)
    data = np.load(tmp_path / "out" / "attributions.npz")
    assert r["n_sequences"] == 4 and len(r["logos"]) == 2 and (tmp_path / "out" / "logo_0.png").stat().st_size > 5000
    for i in range(4):
        imp, ism = data[f"importance_{i}"], data[f"ism_{i}"]
        assert ism.shape == (60, 4) and 20 + 5 * i <= int(np.argmax(imp)) < 26 + 5 * i  # the top base is in TATAAA
        assert imp[20 + 5 * i : 26 + 5 * i].mean() > 5 * np.abs(np.delete(imp, range(20 + 5 * i, 26 + 5 * i))).mean()


@pytest.fixture(scope="module")
def tata_run(tata_model, tmp_path_factory):
    """``dnalm interpret --method ig --motifs`` on 40 TATA-positive sequences, through the CLI."""
    from typer.testing import CliRunner

    from dnalm.cli import app

    root = tmp_path_factory.mktemp("interpret")
    seqs = _tata_positives(40)
    (root / "pos.fa").write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(seqs)))
    res = CliRunner().invoke(
        app,
        [
            "interpret",
            str(tata_model),
            str(root / "pos.fa"),
            "-o",
            str(root / "out"),
            "--method",
            "ig",
            "--n-steps",
            "16",
            "--motifs",
            "--logos",
            "2",
        ],
    )
    assert res.exit_code == 0, res.output
    return root / "out", seqs, res.output


def test_integrated_gradients_are_highest_on_the_tata_box(tata_run):
    out, seqs, _ = tata_run
    data = np.load(out / "attributions.npz")
    assert str(data["method"]) == "ig" and [str(s) for s in data["sequences"]] == seqs
    wins, inside, outside = 0, [], []
    for i, seq in enumerate(seqs):
        imp, attr, mask = data[f"importance_{i}"], data[f"ig_{i}"], _motif_mask(seq)
        assert attr.shape == (60, 4) and np.allclose(attr.sum(axis=1), imp)  # the attribution sits on the base present
        assert np.count_nonzero(attr, axis=1).max() <= 1
        wins += imp[mask].mean() > imp[~mask].mean()
        inside.append(imp[mask].mean())
        outside.append(np.abs(imp[~mask]).mean())
    assert wins >= 0.9 * len(seqs) and np.mean(inside) > 10 * np.mean(outside)
    assert (out / "logo_1.png").stat().st_size > 5000 and not (out / "logo_2.png").exists()


def test_deepliftshap_is_highest_on_the_tata_box(tata_model, tmp_path):
    """DeepLIFT against dinucleotide shuffles, through the command, on the k-mer BERT (GELU layers get the
    Rescale rule): the TATA box carries the attribution; the same seed gives the same numbers."""
    from typer.testing import CliRunner

    from dnalm.cli import app

    seqs = _tata_positives(20, seed=12)
    (tmp_path / "pos.fa").write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(seqs)))
    args = ["interpret", str(tata_model), str(tmp_path / "pos.fa"), "--method", "deepliftshap", "--shuffles", "4"]
    for out in ("a", "b"):
        res = CliRunner().invoke(app, [*args, "-o", str(tmp_path / out), "--logos", "1"])
        assert res.exit_code == 0, res.output
    a, b = np.load(tmp_path / "a" / "attributions.npz"), np.load(tmp_path / "b" / "attributions.npz")
    assert str(a["method"]) == "deepliftshap" and "deepliftshap" in res.output
    wins, inside, outside = 0, [], []
    for i, seq in enumerate(seqs):
        imp, mask = a[f"importance_{i}"], _motif_mask(seq)
        assert imp.shape == (60,) and np.array_equal(imp, b[f"importance_{i}"])
        wins += imp[mask].mean() > imp[~mask].mean()
        inside.append(imp[mask].mean())
        outside.append(np.abs(imp[~mask]).mean())
    assert wins >= 0.9 * len(seqs) and np.mean(inside) > 5 * np.mean(outside)


def test_deepliftshap_adds_up_to_the_log_odds_change_from_the_shuffle():
    """On a network of layers DeepLIFT's Rescale rule handles exactly (embedding, convolutions, batch norm,
    ReLU, average pooling, linear: the GB CNN with its max-pooling made average pooling, since DeepLIFT
    passes a max's gradient), the bases add up to log-odds(x) - log-odds(reference), the reference being
    the dinucleotide shuffle drawn with the seed (one shuffle, one window, one strand)."""
    import torch

    from dnalm.io.sequence import dinucleotide_shuffle
    from dnalm.models.build import build_model

    seq = _tata_positives(1, seed=8)[0]
    model, tok, _ = build_model("cnn-gb", num_labels=2, seed=0, train_sequences=_tata_positives(20, seed=9))
    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if isinstance(child, torch.nn.MaxPool1d):
                setattr(parent, name, torch.nn.AvgPool1d(child.kernel_size))
    model.eval()
    (attr,) = gradient_attributions(model, tok, [seq], method="deepliftshap", n_shuffles=1, seed=3)
    ref = dinucleotide_shuffle(seq, np.random.default_rng(3))

    def log_odds(s):
        with torch.no_grad():
            logits = model(**tok([s], return_tensors="pt")).logits[0]
        return float(logits[1] - logits[0])

    assert attr.shape == (60,) and attr.sum() == pytest.approx(log_odds(seq) - log_odds(ref), rel=1e-3, abs=1e-4)
    (mean,) = gradient_attributions(model, tok, [seq], method="deepliftshap", n_shuffles=5, seed=3)
    refs = [dinucleotide_shuffle(seq, rng) for rng in [np.random.default_rng(3)] for _ in range(5)]
    expected = log_odds(seq) - np.mean([log_odds(r) for r in refs])  # SHAP: against the mean reference
    assert mean.sum() == pytest.approx(expected, rel=1e-3, abs=1e-4)


def test_motifs_find_tataaa_and_match_tbp(tata_run):
    out, _, output = tata_run
    rows = list(csv.DictReader(open(out / "motifs.tsv"), delimiter="\t"))
    assert rows and list(rows[0])[:3] == ["motif", "n_seqlets", "consensus"]
    assert {"best_match_id", "best_match_name", "qvalue", "top_matches"} <= set(rows[0])
    top = rows[0]
    assert [int(r["n_seqlets"]) for r in rows] == sorted((int(r["n_seqlets"]) for r in rows), reverse=True)
    assert "TATA" in top["consensus"] and int(top["n_seqlets"]) >= 30
    assert "TBP" in top["best_match_name"] or "TBP" in top["top_matches"]
    assert 0 < float(top["qvalue"]) <= 1 and (out / "motif_0.png").stat().st_size > 5000
    assert top["logo"] == "motif_0.png"  # beside motifs.tsv: it named OUT.partial/motif_0.png, gone once in place
    assert "motif_0: " in output and "TBP" in output


@pytest.mark.parametrize("preset", ["tiny", "pos-cnn", "tiny-bpe"])
def test_ig_adds_up_to_the_log_odds_change_for_every_tokenizer(preset):
    """IG's completeness, carried to bases: per-base attributions sum to log-odds(x) - log-odds(baseline: zero
    vectors at the bases, special tokens as they are); and the batch size changes nothing."""
    import torch

    from dnalm.interpret.attributions import _lookup_mode
    from dnalm.models.build import build_model

    seqs = _tata_positives(1, seed=5) + ["ACGTNACGTTTGCATATAAAGC"]
    model, tok, _ = build_model(preset, num_labels=2, seed=0, train_sequences=_tata_positives(50, seed=6))
    model.eval()
    attr = gradient_attributions(model, tok, seqs, n_steps=32, batch_size=32)
    again = gradient_attributions(model, tok, seqs, n_steps=32, batch_size=1)
    for seq, a, b in zip(seqs, attr, again):
        enc = tok([seq], return_tensors="pt")
        ids, mask = enc["input_ids"], enc["attention_mask"]
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=mask).logits
            with _lookup_mode(ids) as look:
                model(input_ids=ids, attention_mask=mask)
            bases = ~torch.isin(ids, torch.tensor(sorted(set(tok.all_special_ids) - {tok.unk_token_id})))
            with _lookup_mode(ids, replace=look.output * ~bases[..., None]):  # zero vectors at the bases only
                empty = model(input_ids=ids, attention_mask=mask).logits
        delta = float((logits[0, 1] - logits[0, 0]) - (empty[0, 1] - empty[0, 0]))
        assert a.shape == (len(seq),) and a.sum() == pytest.approx(delta, rel=0.1, abs=5e-3)
        assert np.allclose(a, b, atol=1e-5)


def test_token_spans_follow_the_tokenizer():
    from dnalm.interpret.attributions import _token_spans
    from dnalm.tokenizers.dna import BaseTokenizer, KmerTokenizer, NonOverlappingKmerTokenizer

    seq = "ACGTTGCANACG"
    for tok, expected in [
        (KmerTokenizer(k=3), [None] + [(j, j + 3) for j in range(10)] + [None]),
        (BaseTokenizer(), [None] + [(j, j + 1) for j in range(12)] + [None]),
        (NonOverlappingKmerTokenizer(k=3), [None, (0, 3), (3, 6), (6, 7), (7, 8), (8, 9), (9, 12), None]),
    ]:
        assert _token_spans(tok, seq, tok(seq)["input_ids"]) == expected


def test_clear_errors(tata_model, tmp_path, monkeypatch):
    from dnalm.models.build import build_model

    (tmp_path / "in.fa").write_text(">a\nACGTTATAAAGGCGCGCGCGCGATCG\n")
    with pytest.raises(
        ValueError, match=r"method \(--method\) must be one of ism, ig, deepliftshap, gradxinput; got 'shap'"
    ):
        interpret_file(str(tata_model), tmp_path / "in.fa", tmp_path / "o", method="shap")
    (tmp_path / "empty.fa").write_text("")
    with pytest.raises(ValueError, match="empty|no sequence"):
        interpret_file(str(tata_model), tmp_path / "empty.fa", tmp_path / "o", method="ig")
    three, tok, _ = build_model("pos-cnn", num_labels=3, seed=0)
    three.save_pretrained(tmp_path / "three")
    tok.save_pretrained(tmp_path / "three")
    with pytest.raises(ValueError, match="this model has 3 classes .*: choose the one to score with target="):
        interpret_file(str(tmp_path / "three"), tmp_path / "in.fa", tmp_path / "o", method="ig")
    with pytest.raises(ValueError, match=r"choose the one to score with positive=INDEX \(0 to 2"):  # its argument
        saturation_mutagenesis(three, tok, ["ACGT" * 10])
    monkeypatch.setitem(sys.modules, "captum.attr", None)
    with pytest.raises(ImportError, match="pip install captum"):
        interpret_file(str(tata_model), tmp_path / "in.fa", tmp_path / "o", method="ig")
    monkeypatch.setitem(sys.modules, "pyjaspar", None)
    with pytest.raises(ImportError, match="pip install pyjaspar"):
        interpret_file(str(tata_model), tmp_path / "in.fa", tmp_path / "o", motifs=True)


def test_a_jaspar_matrix_matches_itself_best():
    from dnalm.interpret.motifs import jaspar_motifs, match_motif

    ids, _, pwms = jaspar_motifs()
    ctcf = next(i for i, name in enumerate(jaspar_motifs()[1]) if name == "CTCF")
    hits = match_motif(pwms[ctcf][::-1, ::-1], n_null=5000)  # its reverse complement: strands are handled
    assert hits[0]["id"] == ids[ctcf] and hits[0]["pvalue"] == pytest.approx(1 / 5001) and hits[0]["qvalue"] < 0.05
    assert [h["pvalue"] for h in hits] == sorted(h["pvalue"] for h in hits)


def test_a_multi_label_model_is_scored_by_the_target_labels_own_sigmoid(tmp_path):
    """scan, variants and interpret refused every multi-label model. Each label is its own yes/no: --target names
    it, its probability is its sigmoid and its log-odds its logit (not a log-sum-exp against the other labels)."""
    import torch

    from dnalm.apply.scan import scan_genome
    from dnalm.apply.target import target_class
    from dnalm.interpret.attributions import _lookup_mode
    from dnalm.models.build import build_model

    model, tok, _ = build_model(
        "pos-cnn", num_labels=2, id2label={0: "a", 1: "b"}, problem_type="multi_label_classification", seed=0
    )
    model.save_pretrained(tmp_path / "ml")
    tok.save_pretrained(tmp_path / "ml")
    with pytest.raises(ValueError, match=r"multi-label model has 2 labels \(a, b\): choose the one .* target="):
        target_class(model, None)
    assert target_class(model, "b") == (1, "b")
    seq = "ACGTTATAAAGGCGCGCGCGCGATCGTTGACA"
    attr = gradient_attributions(model, tok, [seq], n_steps=64, positive=1)[0]
    ids, mask = (tok([seq], return_tensors="pt")[k] for k in ("input_ids", "attention_mask"))
    model.eval()
    with torch.no_grad():
        logit = float(model(input_ids=ids, attention_mask=mask).logits[0, 1])
        with _lookup_mode(ids) as look:
            model(input_ids=ids, attention_mask=mask)
        bases = ~torch.isin(ids, torch.tensor(sorted(set(tok.all_special_ids) - {tok.unk_token_id})))
        with _lookup_mode(ids, replace=look.output * ~bases[..., None]):
            empty = float(model(input_ids=ids, attention_mask=mask).logits[0, 1])
    assert attr.sum() == pytest.approx(logit - empty, rel=0.1, abs=5e-3)  # label b's logit, not b's minus a's
    (tmp_path / "g.fa").write_text(">c\n" + seq + "\n")
    scan_genome(
        str(tmp_path / "ml"),
        tmp_path / "g.fa",
        tmp_path / "s.bedgraph",
        window=len(seq),
        stride=len(seq),
        strand="plus",
        target="b",
    )
    lines = (tmp_path / "s.bedgraph").read_text().splitlines()
    assert 'name="P(b)"' in lines[0]
    assert float(lines[1].split()[3]) == pytest.approx(1 / (1 + np.exp(-logit)), abs=1e-5)


@pytest.mark.parametrize("method", ["ism", "ig", "deepliftshap", "gradxinput"])
def test_every_method_explains_the_recipes_cnn_with_attention_layers(method):
    """The default recipe keeps the CNN with attention layers on small data; DeepLIFT failed on it ("cannot register
    a hook on a tensor that doesn't require gradient": it hooked the max-pooling of the padding mask)."""
    from dnalm.models.build import build_model

    seqs = _tata_positives(3, seed=8)
    seqs[1] = seqs[1][:45]  # a shorter one: padding, and a mask to pool
    model, tok, _ = build_model(
        "pos-cnn", num_labels=2, seed=0, train_sequences=seqs, config_overrides={"attention_layers": 1}
    )
    model.eval()
    if method == "ism":
        from dnalm.interpret.attributions import saturation_mutagenesis

        out = saturation_mutagenesis(model, tok, seqs, positive=1)
    else:
        out = gradient_attributions(model, tok, seqs, method=method, n_shuffles=2, n_steps=4, seed=0)
    assert [len(a) for a in out] == [len(s) for s in seqs] and all(np.isfinite(a).all() for a in out)


def test_numpy_counts_are_counts_and_seqlet_and_tokenizer_arguments_are_checked():
    """KmerTokenizer(k=np.int64(6)) and build_model(num_labels=np.int64(2)) were refused as not whole; find_seqlets
    with core > width or quantile 2 was a numpy error; a dict's keys were tokenized."""
    from dnalm.interpret.motifs import find_seqlets
    from dnalm.models.build import build_model
    from dnalm.tokenizers.dna import KmerTokenizer

    assert KmerTokenizer(k=np.int64(6)).k == 6
    assert build_model("cnn", num_labels=np.int64(2))[0].config.num_labels == 2
    contribs = [np.random.default_rng(0).normal(size=(50, 4))]
    for kw, said in [({"core": 20}, "core"), ({"quantile": 2}, "quantile"), ({"width": 0}, "width")]:
        with pytest.raises(ValueError, match=said):
            find_seqlets(contribs, **kw)
    with pytest.raises(ValueError, match=r"\(length, 4\)"):
        find_seqlets([np.zeros(5)])
    for given in ({"ACGT": 1}, {"ACGT", "GGCC"}):
        with pytest.raises(TypeError, match="in an order"):
            KmerTokenizer(k=3)(given)


def test_integrated_gradients_steps_have_an_upper_bound():
    from dnalm.interpret.settings import InterpretSettings

    with pytest.raises(ValueError, match=r"n_steps \(--n-steps\) must be in \[1, 10000\]"):
        InterpretSettings(n_steps=100_000_000)


def test_interpret_says_repeated_ids_as_predict_does(tata_model, work):
    (work / "dup.fa").write_text(">s1\n" + "ACGT" * 15 + "\n>s1\n" + "GGCC" * 15 + "\n")
    out = _ok(["interpret", tata_model, "dup.fa", "-o", "i", "--logos", "0", "--method", "gradxinput"])
    assert "1 record(s) repeat an earlier record's id (the first repeat: 's1' at dup.fa:3" in out
