from __future__ import annotations

import csv
import json
import random

import numpy as np
import pytest
import torch

from dnalm.apply.evaluate import evaluate, predict_file
from dnalm.apply.predict import predict_proba
from dnalm.io.sequence import reverse_complement
from dnalm.models.build import build_model
from dnalm.models.windows import window_bases
from dnalm.tasks import get_task


def rand_seqs(n: int, lo: int, hi: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice("ACGT") for _ in range(rng.randint(lo, hi))) for _ in range(n)]


@pytest.mark.parametrize("preset", ["tiny", "pos-cnn", "cnn", "lstm", "cnn-gb"])
def test_predictions_do_not_depend_on_batch_size(preset):
    """With fresh weights BatchNorm maps zero to zero, which hid that `cnn` read its padding: a trained model's
    normalisations (shifted statistics) gave a short sequence another score beside a long one (by 0.03)."""
    model, tok, _ = build_model(preset, num_labels=2, input_length=100, seed=0)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for norm in (m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)):
            norm.running_mean.copy_(0.2 * torch.randn(norm.num_features, generator=g))  # (larger saturates `cnn`)
            norm.bias.copy_(0.2 * torch.randn(norm.num_features, generator=g))
    seqs = rand_seqs(70, 10, 90)
    results = [predict_proba(model, tok, seqs, batch_size=b)[0] for b in (1, 8, 64)]
    for other in results[1:]:
        np.testing.assert_allclose(results[0], other, atol=1e-5)
    assert results[0].shape == (70, 2)


def test_long_sequences_are_scored_by_windows_not_truncated():
    model, tok, _ = build_model("tiny", num_labels=2, seed=0)
    tok.model_max_length = 32
    size = window_bases(tok, 32)
    assert size == 32 - 2 + 6 - 1
    long = rand_seqs(1, 100, 100, seed=3)[0]
    probs, n_windows = predict_proba(model, tok, [long, long[:20]], stride=20)
    starts = [0, 20, 40, 60, 100 - size]
    manual, _ = predict_proba(model, tok, [long[s : s + size] for s in starts])
    assert n_windows.tolist() == [5, 1]
    np.testing.assert_allclose(probs[0], manual.mean(axis=0), atol=1e-6)


def test_reverse_complement_averaging():
    model, tok, _ = build_model("cnn", num_labels=2, seed=0)
    seqs = rand_seqs(5, 30, 50)
    both, _ = predict_proba(model, tok, seqs, reverse_complement_average=True)
    fwd, _ = predict_proba(model, tok, seqs)
    rev, _ = predict_proba(model, tok, [reverse_complement(s) for s in seqs])
    np.testing.assert_allclose(both, (fwd + rev) / 2, atol=1e-6)


def test_predict_rejects_nothing_to_predict():
    model, tok, _ = build_model("cnn", num_labels=2)
    with pytest.raises(ValueError, match="at least one sequence"):
        predict_proba(model, tok, [])


@pytest.fixture(scope="module")
def trained(tata_dir, tmp_path_factory):
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    out = tmp_path_factory.mktemp("model")
    finetune(FinetuneConfig(model="cnn", epochs=2, seed=0, trainer={"disable_tqdm": True}), tata_dir, out)
    return out


def test_evaluate_writes_metrics_predictions_and_plot(trained, tata_dir, tmp_path):
    m = evaluate(str(trained), tata_dir, tmp_path, batch_size=64)  # 75 test rows: the last batch is partial
    saved = json.loads((tmp_path / "metrics.json").read_text())
    for key in get_task("single_label_classification").metric_names:  # (checked against what it computes)
        assert key in saved
    assert m["n_predictions"] == 75 and m["split"] == "test"
    rows = list(csv.DictReader(open(tmp_path / "predictions.csv")))
    assert len(rows) == 75 and set(rows[0]) == {
        "id",
        "label",
        "predicted",
        "prob_0",
        "prob_1",
        "n_windows",
        "n_informative_bases",
    }
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 1000
    assert sum(sum(r) for r in saved["confusion_matrix"]) == 75


def test_untrained_baseline_and_constant_prediction_flag(tata_dir, tmp_path):
    m = evaluate("cnn", tata_dir, tmp_path / "u", untrained=True)
    assert m["untrained"] is True and m["n_predictions"] == 75
    model, tok, _ = build_model("cnn", num_labels=2, seed=0)
    with torch.no_grad():
        model.body.head[-1].bias.copy_(torch.tensor([100.0, -100.0]))
    model.save_pretrained(tmp_path / "const")
    tok.save_pretrained(tmp_path / "const")
    m = evaluate(str(tmp_path / "const"), tata_dir, tmp_path / "c")
    assert m["constant_prediction"] is True and m["recall"] == 0.0 and m["mcc"] == 0.0


def test_evaluate_rejects_labels_the_model_does_not_know(trained, tmp_path):
    data = tmp_path / "x.csv"
    data.write_text("sequence,label\nACGTACGT,1\nACGTTTTT,7\n")
    with pytest.raises(ValueError, match=r"x\.csv:3: record '1': label '7' is not among the training labels"):
        evaluate(str(trained), data, tmp_path / "e")


def test_predict_file_keeps_every_input(trained, tmp_path):
    fasta = tmp_path / "in.fa"
    seqs = rand_seqs(131, 20, 400, seed=9)
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    n = predict_file(str(trained), fasta, tmp_path / "out.tsv", batch_size=16)
    rows = list(csv.DictReader(open(tmp_path / "out.tsv"), delimiter="\t"))
    assert n == len(rows) == 131 and [r["id"] for r in rows] == [f"s{i}" for i in range(131)]


def test_predict_without_labels_writes_no_label_column(trained, tmp_path):
    fasta = tmp_path / "in.fa"
    fasta.write_text(">a\nACGTACGTAGCTAGCT\n>b\nGGGCCCATATAAAAGG\n")
    predict_file(str(trained), fasta, tmp_path / "out.csv")
    header = (tmp_path / "out.csv").read_text().splitlines()[0].split(",")
    assert header == ["id", "predicted", "prob_0", "prob_1", "n_windows", "n_informative_bases"]


def test_evaluate_of_a_file_records_no_split(trained, tmp_path):
    data = tmp_path / "x.csv"
    data.write_text("sequence,label\nACGTACGTAGCT,1\nACGTTTTTAGCA,0\n")
    assert evaluate(str(trained), data, tmp_path / "e", split="test")["split"] is None


def test_evaluate_records_where_the_model_and_data_are_not_relative_paths(trained, tmp_path, monkeypatch):
    """metrics.json recorded `model` and `data` as given (`../m`): relative to the folder the command ran in, which
    metrics.json does not say, so they led nowhere from the result."""
    import json
    import shutil

    shutil.copytree(trained, tmp_path / "m")
    (tmp_path / "x.csv").write_text("sequence,label\nACGTACGTAGCT,1\nACGTTTTTAGCA,0\n")
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path / "run")
    evaluate("../m", "../x.csv", "e")
    metrics = json.loads((tmp_path / "run" / "e" / "metrics.json").read_text())
    assert (metrics["model"], metrics["data"]) == (str(tmp_path / "m"), str(tmp_path / "x.csv"))
    evaluate("cnn", "../x.csv", "e2", untrained=True)  # a name stays a name
    assert json.loads((tmp_path / "run" / "e2" / "metrics.json").read_text())["model"] == "cnn"


def test_a_model_folder_a_run_is_still_writing_is_used_with_a_warning(trained, tmp_path, caplog):
    """A pretraining stopped during its final scoring left final-looking weights and a marker saying a run was
    writing the folder; lm-eval and the others used it without a word."""
    import json
    import shutil

    from dnalm.io.outputs import MARKER
    from dnalm.models.ref import ModelRef

    shutil.copytree(trained, tmp_path / "m")
    marker = json.loads((tmp_path / "m" / MARKER).read_text())
    (tmp_path / "m" / MARKER).write_text(json.dumps({**marker, "kind": "pretrain", "running": True}))
    with caplog.at_level("WARNING"):
        ModelRef.resolve(tmp_path / "m")
    assert "a dnalm" in caplog.text and "stopped before it finished" in caplog.text and "--resume" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        ModelRef.resolve(trained)  # a finished one: nothing to say
    assert "stopped before it finished" not in caplog.text


def test_sequences_without_informative_bases_are_counted_and_flagged(trained, tmp_path, caplog):
    fasta = tmp_path / "in.fa"
    fasta.write_text(">ok\nACGTACGTTATAAAGC\n>all_n\nNNNNNNNNNNNNNNNN\n>short\nAC\n")
    with caplog.at_level("WARNING"):
        predict_file(str(trained), fasta, tmp_path / "out.tsv")
    rows = list(csv.DictReader(open(tmp_path / "out.tsv"), delimiter="\t"))
    assert [r["n_informative_bases"] for r in rows] == ["16", "0", "2"]  # single-base model: 2 bases count
    assert "1 of 3 sequences hold no base the model can read" in caplog.text and "'all_n'" in caplog.text


def test_a_kmer_model_counts_sequences_shorter_than_k(tmp_path, caplog):
    """Shorter than k: no k-mer at all ([CLS][SEP]); counted, warned about, 0 informative bases in the column."""
    model, tok, _ = build_model("tiny", num_labels=2, seed=0)  # overlapping 6-mers
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    fasta = tmp_path / "in.fa"
    fasta.write_text(">ok\nACGTACGTTATAAAGC\n>short\nACGTA\n>n6\nACNNGT\n")
    with caplog.at_level("WARNING"):
        predict_file(str(tmp_path / "m"), fasta, tmp_path / "out.tsv")
    rows = list(csv.DictReader(open(tmp_path / "out.tsv"), delimiter="\t"))
    assert [r["n_informative_bases"] for r in rows] == ["16", "0", "0"]
    assert "2 of 3 sequences hold no base the model can read" in caplog.text and "'short'" in caplog.text


def test_the_engine_streams_in_order_and_leaves_the_model_as_it_found_it():
    from dnalm.apply.predict import iter_scores

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.train()
    seqs = rand_seqs(300, 20, 400, seed=5)
    whole, n_whole = predict_proba(model, tok, seqs, reverse_complement_average=True, stride=30)
    consumed = []

    def lazy():
        for s in seqs:
            consumed.append(s)
            yield s

    stream = iter_scores(model, tok, lazy(), reverse_complement_average=True, stride=30, batch_size=8, max_windows=16)
    first, _ = next(stream)
    assert len(consumed) < 20  # the first result comes before the input is read to the end
    rest = list(stream)
    assert np.allclose(np.stack([first] + [r[0] for r in rest]), whole, atol=1e-6)  # same as one big batch
    assert [r[1] for r in rest] == list(n_whole[1:])
    assert model.training  # the engine switched to eval mode for inference and back


def test_evaluate_without_data_is_one_line_before_any_work(model, tmp_path):
    with pytest.raises(ValueError, match=r"give DATA \(a labelled file or split folder\) or --class LABEL=FASTA"):
        evaluate(str(model), None, tmp_path / "e")
    assert not (tmp_path / "e").exists()


def test_the_metrics_are_reproduced_from_the_predictions_file(model, tmp_path):
    """Probabilities written with 6 decimals tied where the model's did not: AUROC recomputed from predictions.csv
    was 0.6011 against metrics.json's 0.6030 for an untrained model, whose scores lie close together."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from dnalm.synth import tata_dataset

    rows = tata_dataset(300, 60, seed=3)
    (tmp_path / "t.csv").write_text("sequence,label\n" + "".join(f"{r.sequence},{r.label}\n" for r in rows))
    evaluate(str(model), tmp_path / "t.csv", tmp_path / "e")
    metrics = json.loads((tmp_path / "e" / "metrics.json").read_text())
    with open(tmp_path / "e" / "predictions.csv") as fh:
        table = list(csv.DictReader(fh))
    y = [int(r["label"]) for r in table]
    p = [float(r["prob_1"]) for r in table]
    assert roc_auc_score(y, p) == pytest.approx(metrics["auroc"], abs=1e-6)
    assert average_precision_score(y, p) == pytest.approx(metrics["auprc"], abs=1e-6)


def test_untrained_refuses_a_trained_classifier_and_an_alias_split_is_recorded_by_its_name(model, tata_dir, tmp_path):
    """--untrained on a fine-tuned folder loaded its trained head and reported the fine-tuned metrics as untrained;
    --split valid was recorded as 'valid'."""
    with pytest.raises(ValueError, match="already has a trained classifier: evaluate it without --untrained"):
        evaluate(str(model), tata_dir, tmp_path / "u", untrained=True)
    assert not (tmp_path / "u").exists()
    assert evaluate(str(model), tata_dir, tmp_path / "d", split="valid")["split"] == "dev"


def test_a_regression_model_on_two_class_labels_is_said(tmp_path, caplog):
    import logging

    from dnalm.models.build import build_model
    from dnalm.synth import tata_dataset

    m, tok, _ = build_model("pos-cnn", num_labels=1, id2label={0: "value"}, problem_type="regression", seed=0)
    m.save_pretrained(tmp_path / "r")
    tok.save_pretrained(tmp_path / "r")
    rows = tata_dataset(20, 60, seed=1)
    (tmp_path / "t.csv").write_text("sequence,label\n" + "".join(f"{r.sequence},{r.label}\n" for r in rows))
    with caplog.at_level(logging.WARNING):
        evaluate(str(tmp_path / "r"), tmp_path / "t.csv", tmp_path / "e")
    assert "every label is 0 or 1, but" in caplog.text and "regression model" in caplog.text


def test_evaluate_says_when_the_split_holds_training_sequences(model, tmp_path, caplog):
    """A test split of exact train copies and reverse complements was scored without a word."""
    import logging

    from dnalm.io.sequence import reverse_complement
    from dnalm.synth import tata_dataset

    rows = tata_dataset(40, 60, seed=2)
    (tmp_path / "d").mkdir()
    table = lambda rs: "sequence,label\n" + "".join(f"{s},{label}\n" for s, label in rs)  # noqa: E731
    (tmp_path / "d" / "train.csv").write_text(table((r.sequence, r.label) for r in rows[:30]))
    test = [(r.sequence, r.label) for r in rows[:3]] + [(reverse_complement(r.sequence), r.label) for r in rows[3:5]]
    (tmp_path / "d" / "test.csv").write_text(table(test + [(r.sequence, r.label) for r in rows[30:]]))
    with caplog.at_level(logging.WARNING):
        evaluate(str(model), tmp_path / "d", tmp_path / "e")
    assert "5 of 15 test sequences are also in the train split (3 exactly, 2 as reverse complements)" in caplog.text


def test_outputs_named_gz_are_gzip_and_a_tsv_name_in_any_case_is_tab_separated(tmp_path):
    """scan -o x.bedGraph.gz and predict -o x.tsv.gz wrote plain text (zcat refused it), and predict wrote commas for
    .tsv.gz and .TSV."""
    import gzip

    from dnalm.apply.evaluate import predict_file
    from dnalm.apply.scan import scan_genome
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.config.dnalm_train_max_tokens = 62
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    fasta = tmp_path / "in.fa"
    fasta.write_text(">a\n" + "ACGT" * 50 + "\n>b\n" + "TTGCA" * 30 + "\n")
    predict_file(str(tmp_path / "m"), fasta, tmp_path / "p.tsv.gz")
    predict_file(str(tmp_path / "m"), fasta, tmp_path / "p.TSV")
    plain = (tmp_path / "p.TSV").read_text()
    assert plain.splitlines()[0].startswith("id\tpredicted\t")
    assert gzip.decompress((tmp_path / "p.tsv.gz").read_bytes()).decode() == plain
    scan_genome(str(tmp_path / "m"), fasta, tmp_path / "s.bedGraph.gz", peaks=tmp_path / "s.bed.gz")
    assert gzip.decompress((tmp_path / "s.bedGraph.gz").read_bytes()).decode().startswith("track type=bedGraph")
    gzip.decompress((tmp_path / "s.bed.gz").read_bytes())
    with pytest.raises(ValueError, match=r"p.tsv.zst: dnalm writes .gz \(gzip\) or plain files"):
        predict_file(str(tmp_path / "m"), fasta, tmp_path / "p.tsv.zst")


def test_predictions_named_as_another_format_are_refused(tmp_path):
    """predict -o out.json wrote CSV text into out.json."""
    from dnalm.io.table import check_table_name

    for name in ("p.csv", "p.tsv", "p.TSV.gz", "p.txt", "predictions"):
        check_table_name(tmp_path / name, "predictions")
    for name in ("p.json", "p.npy", "p.bed", "p.fa", "p.html"):
        with pytest.raises(ValueError, match="predictions are written as a CSV or TSV table"):
            check_table_name(tmp_path / name, "predictions")


def test_an_input_that_changes_while_it_is_read_is_refused_and_the_output_not_written(tmp_path, monkeypatch):
    """A FASTA cut short while predict read it: the progress said 2,000 records, the run wrote 500, exit 0."""
    import dnalm.apply.evaluate as evaluate
    from dnalm.apply.evaluate import predict_file
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    (tmp_path / "in.fa").write_text("".join(f">r{i}\n{'ACGT' * 10}\n" for i in range(6)))
    real, reads = evaluate.read_sequences, []

    def shrinking(path, **kw):  # the second pass finds the file cut to half
        reads.append(path)
        return list(real(path, **kw))[: 6 if len(reads) == 1 else 3]

    monkeypatch.setattr(evaluate, "read_sequences", shrinking)
    with pytest.raises(ValueError, match=r"in.fa changed while it was read: 6 records when it was first read, 3 when"):
        predict_file(str(tmp_path / "m"), tmp_path / "in.fa", tmp_path / "p.tsv")
    assert not (tmp_path / "p.tsv").exists()


@pytest.mark.parametrize("preset", ["tiny-bpe", "tiny"])
def test_the_default_window_is_the_length_in_bases_the_model_was_fine_tuned_on(preset):
    """A BPE (or non-overlapping k-mer) model trained on 100-bp sequences (33 tokens) was scored in windows of 31
    bases: one base per token was assumed, so a 100-bp sequence was read as 6 short windows."""
    import random

    from dnalm.models.build import build_model
    from dnalm.models.windows import window_size

    random.seed(0)
    seqs = ["".join(random.choice("ACGT") for _ in range(100)) for _ in range(50)]
    model, tok, _ = build_model(preset, num_labels=2, seed=0, train_sequences=seqs)
    tokens = max(len(tok(s)["input_ids"]) for s in seqs)
    model.config.dnalm_train_max_tokens, model.config.dnalm_train_max_bases = tokens, 100
    assert window_size(model, tok, None)[1] == 100
    del model.config.dnalm_train_max_bases  # a folder saved before the length in bases was recorded
    assert window_size(model, tok, None)[1] == (100 if preset == "tiny" else tokens - 2)


def test_a_per_base_model_is_refused_by_the_per_sequence_scores():
    """predict_proba on a per-base model gave (n, 101, k) whatever the lengths, its windows averaged by token
    position (motifs at 150 and 300 of a 400-bp sequence showed at rows 51-54): predict_per_base is the one."""
    model, tok, _ = build_model("tiny", num_labels=2, problem_type="token_classification", seed=0)
    with pytest.raises(ValueError, match=r"this model scores each base \(token_classification\).*predict_per_base"):
        predict_proba(model, tok, ["ACGT" * 100])


def test_a_stride_longer_than_the_window_is_one_refusal_not_a_warning_first(tata_model, tmp_path, monkeypatch):
    """``predict --stride 200`` (100-base window, short sequences) warned that --stride "changed nothing", then
    refused it: two lines that contradicted each other."""
    from typer.testing import CliRunner

    from dnalm.cli import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.fa").write_text(">a\n" + "ACGT" * 10 + "\n")
    res = CliRunner().invoke(app, ["predict", str(tata_model), "x.fa", "-o", "p.tsv", "--stride", "500"])
    lines = [line for line in res.output.splitlines() if line.strip() and not line.startswith("Loading weights")]
    assert res.exit_code == 2 and len(lines) == 1 and "stride (--stride) must be" in lines[0], res.output


def test_progress_counts_windows_inside_one_long_sequence(tata_model, tmp_path, monkeypatch):
    """predict counted records: one 5 Mb sequence showed nothing for a minute, then "1 of 1". The engine now tells
    its progress each batch of windows, and predict's bar counts windows against the total its first pass made."""
    from dnalm.apply import evaluate as ev
    from dnalm.apply.predict import iter_scores
    from dnalm.models.build import load_model

    model, tok = load_model(str(tata_model))
    rng = random.Random(0)
    long = "".join(rng.choice("ACGT") for _ in range(3000))
    told: list[int] = []
    (_, n_windows), (_, n_short) = iter_scores(model, tok, [long, "ACGT" * 15], batch_size=8, progress=told.append)
    assert len(told) > 5 and sum(told) == n_windows + n_short  # many updates within the one long sequence
    bars = []

    class Recorded(ev.Progress):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            bars.append(self)

    monkeypatch.setattr(ev, "Progress", Recorded)
    (tmp_path / "x.fa").write_text(f">long\n{long}\n>short\n{'ACGT' * 15}\n")
    predict_file(str(tata_model), tmp_path / "x.fa", tmp_path / "p.tsv", batch_size=8, reverse_complement_average=True)
    rows = list(csv.DictReader(open(tmp_path / "p.tsv"), delimiter="\t"))
    (bar,) = bars
    assert bar.unit == "windows" and bar.n == bar.total == 2 * sum(int(r["n_windows"]) for r in rows)


def test_windows_that_are_all_n_are_left_out_of_a_sequences_score_and_said(model, caplog):
    """A strong window followed by 700 N was predicted as the other class: the 14 all-N windows (the model's
    prior) were averaged in with it, without a word."""
    import logging

    from dnalm.apply.predict import iter_scores
    from dnalm.models.build import load_model
    from dnalm.models.windows import default_stride, window_size, window_starts

    m, tok = load_model(model)
    _, size = window_size(m, tok, None)
    rng = random.Random(0)
    padded = "".join(rng.choice("ACGT") for _ in range(size + 20)) + "N" * 700
    with caplog.at_level(logging.WARNING, logger="dnalm"):
        ((scores, n_windows),) = iter_scores(m, tok, [padded])
    starts = window_starts(len(padded), size, default_stride(size))
    readable = [s for s in starts if set(padded[s : s + size]) - {"N"}]
    assert 1 < len(readable) < len(starts)
    by_window = predict_proba(m, tok, [padded[s : s + size] for s in readable])[0]
    assert n_windows == len(readable) and np.allclose(scores, by_window.mean(0), atol=1e-5)  # the windows with bases
    said = [r.getMessage() for r in caplog.records]
    assert any(f"{len(starts) - len(readable)} window(s) of 1 sequence(s) hold no A/C/G/T base" in m for m in said)


def test_the_prediction_engine_refuses_what_it_cannot_do_in_one_line(tata_model):
    from dnalm.apply.predict import predict_per_base, predict_proba
    from dnalm.models.build import load_model

    model, tok = load_model(tata_model)
    seq = "ACGTTATAAAGCGCGTACGA" * 3
    for kwargs, message in (
        ({"stride": 1.5}, r"stride \(--stride\) must be a whole number between 1 and the window"),
        ({"stride": True}, r"stride \(--stride\) must be a whole number"),
        ({"max_windows": 0}, "max_windows must be a whole number of at least 1"),
        ({"device": "foo"}, "device must be a torch device such as 'cpu'"),
    ):
        with pytest.raises(ValueError, match=message):
            predict_proba(model, tok, [seq], **kwargs)
    with pytest.raises(TypeError, match="give the sequences in an order"):
        predict_proba(model, tok, {seq, seq[::-1]})
    for wrong in (None, str(tata_model)):
        with pytest.raises(TypeError, match="model must be a loaded model"):
            predict_proba(wrong, tok, [seq])
    with pytest.raises(ValueError, match="predict_per_base needs a per-base model"):  # it gave (14, 2) of zeros
        predict_per_base(model, tok, [seq])


def test_aggregate_combines_windows_and_the_strands_are_always_averaged(tata_model):
    """--aggregate max also took the max over the two strands: one window scored differently under max and mean."""
    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import load_model

    model, tok = load_model(tata_model)
    seq = "ACGTTATAAAGCGCGTACGATCGATTGCA" * 2  # one window
    both = {
        a: predict_proba(model, tok, [seq], reverse_complement_average=True, aggregate=a)[0] for a in ("mean", "max")
    }
    np.testing.assert_allclose(both["max"], both["mean"], atol=1e-12)
    forward = predict_proba(model, tok, [seq])[0]
    assert not np.allclose(forward, both["mean"])  # the strands were averaged


def test_aggregate_max_is_the_window_most_likely_positive_never_below_the_mean(tata_model, tmp_path):
    """--aggregate max took each class's max over windows separately and renormalised: windows of P(1) up to 0.988
    gave 0.893, below the mean; one positive window among negative ones came out as class 0."""
    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import build_model, load_model
    from dnalm.models.windows import window_size

    model, tok = load_model(tata_model)
    _, size = window_size(model, tok, None)
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 4 * size)) + "TATAAAAG" + "".join(rng.choice(list("ACGT"), 2 * size))
    starts = list(range(0, len(seq) - size + 1, size // 2))
    windows = predict_proba(model, tok, [seq[s : s + size] for s in starts])[0]
    best = predict_proba(model, tok, [seq], stride=size // 2, aggregate="max")[0][0]
    mean = predict_proba(model, tok, [seq], stride=size // 2, aggregate="mean")[0][0]
    assert any(np.allclose(best, w, atol=1e-6) for w in windows)  # one window's probabilities
    assert (
        best[1] == pytest.approx(windows[:, 1].max(), abs=1e-6)
        and best[1] >= mean[1]
        and best.sum() == pytest.approx(1)
    )
    three, tok3, _ = build_model("pos-cnn", num_labels=3, seed=0)
    with pytest.raises(ValueError, match="aggregate='max' .* this model has 3 classes: use aggregate='mean'"):
        predict_proba(three, tok3, ["ACGT" * 50], aggregate="max")  # (a Python caller was told of --aggregate)


@pytest.mark.parametrize("aggregate", ["mean", "max"])
def test_with_strands_averaged_a_sequence_and_its_reverse_complement_score_the_same(tata_model, aggregate):
    """Where the stride does not divide the length, the two strands were read in different windows (0, 50, 100, 137
    against 0, 37, 87, 137 of the reverse complement) and scored 0.0148 and 0.0166."""
    from dnalm.apply.predict import predict_proba
    from dnalm.io.sequence import reverse_complement
    from dnalm.models.build import load_model

    model, tok = load_model(tata_model)
    rng = np.random.default_rng(3)
    seqs = ["".join(rng.choice(list("ACGT"), n)) for n in (237, 301, 90)]
    kw = {"reverse_complement_average": True, "aggregate": aggregate, "max_tokens": 40, "stride": 13}
    forward, n_forward = predict_proba(model, tok, seqs, **kw)
    backward, n_backward = predict_proba(model, tok, [reverse_complement(s) for s in seqs], **kw)
    np.testing.assert_allclose(forward, backward, atol=1e-6)
    assert (n_forward == n_backward).all() and (n_forward > 1).all()


def test_numpy_numbers_are_numbers_and_floats_are_named_in_the_lower_level_functions(tata_model):
    """predict_proba refused stride=np.int64(8) and blamed stride for max_tokens=np.int64(40); fill_mask refused
    top_k=np.int64(3); gradient_attributions(n_shuffles=8.0) and window_positions(seq, 32.0, 8.0) failed deep inside
    with a TypeError naming nothing, and seed=True was taken as 1."""
    import numpy as np

    from dnalm.apply.predict import predict_proba
    from dnalm.apply.scan import window_positions
    from dnalm.interpret.attributions import gradient_attributions
    from dnalm.lm.inference import fill_mask
    from dnalm.models.build import load_model

    model, tok = load_model(str(tata_model))
    seq = "ACGT" * 40
    as_int = predict_proba(model, tok, [seq], stride=8, max_windows=8)
    as_numpy = predict_proba(model, tok, [seq], stride=np.int64(8), max_windows=np.int64(8))
    assert as_numpy[1].tolist() == as_int[1].tolist() and np.allclose(as_numpy[0], as_int[0])
    assert (
        predict_proba(model, tok, [seq], max_tokens=np.int64(40))[1]
        == predict_proba(model, tok, [seq], max_tokens=40)[1]
    )
    assert window_positions(seq, np.int64(32), np.int64(8))[0].tolist() == list(range(0, 129, 8))
    assert fill_mask("dnalm-mini", "ACGTAC<mask>TTGCA", top_k=np.int64(3))[0]["best"] in "ACGT"
    (attr,) = gradient_attributions(
        model, tok, [seq[:60]], method="deepliftshap", n_shuffles=np.int64(2), seed=np.int64(3)
    )
    assert attr.shape == (60,)
    for call, named in [
        (lambda: gradient_attributions(model, tok, [seq[:60]], method="deepliftshap", n_shuffles=8.0), "n_shuffles"),
        (lambda: gradient_attributions(model, tok, [seq[:60]], method="ig", seed=True), "seed must be"),
        (lambda: window_positions(seq, 32.0, 8.0), "window must be a whole number"),
    ]:
        with pytest.raises(ValueError, match=named):
            call()


def test_a_bare_string_is_not_scored_letter_by_letter():
    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    with pytest.raises(TypeError, match=r"give a list of sequences, e.g. \['ACGTACGT'\], not one string"):
        predict_proba(model, tok, "ACGTACGT")
    # an empty sequence was scored (the classes' prior, as if it were a sequence); None and bytes were raw errors
    with pytest.raises(ValueError, match="sequence 1 is empty: there is nothing to score"):
        predict_proba(model, tok, ["ACGT", ""])
    with pytest.raises(TypeError, match="give a list of sequences; got None"):
        predict_proba(model, tok, None)
    for odd, kind in ((None, "NoneType"), (b"ACGT", "bytes")):
        with pytest.raises(TypeError, match=f"sequence 0 is {kind}, not text"):
            predict_proba(model, tok, [odd])


def test_predict_windows_follow_the_trained_length(tata_dir, tmp_path):
    import csv

    from typer.testing import CliRunner

    from dnalm.cli import app

    run = CliRunner().invoke
    # tata_dir holds 60-base sequences: a 450-base one is scored in windows of the trained length
    assert (
        run(app, ["finetune", str(tata_dir), "-o", str(tmp_path / "m"), "--model", "tiny", "--epochs", "1"]).exit_code
        == 0
    )
    (tmp_path / "in.fa").write_text(">long\n" + "ACGTTATAAAGC" * 37 + "ACGTAC\n>short\nACGTTATAAAGCAT\n")
    r = run(
        app,
        [
            "predict",
            str(tmp_path / "m"),
            str(tmp_path / "in.fa"),
            "-o",
            str(tmp_path / "p.tsv"),
            "--stride",
            "20",
            "--aggregate",
            "max",
        ],
    )
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(tmp_path / "p.tsv"), delimiter="\t"))
    assert int(rows[0]["n_windows"]) > 10 and rows[1]["n_windows"] == "1"
