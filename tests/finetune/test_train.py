from __future__ import annotations

import csv
import json
import os
import subprocess

import pytest
import torch
from transformers import AutoModelForSequenceClassification

from dnalm.finetune.config import FinetuneConfig
from dnalm.finetune.train import finetune
from dnalm.io import DataFormatError
from dnalm.models.build import load_model
from tests.conftest import _dnalm, _kill_when, posix_only

FAST = {"disable_tqdm": True}


def cfg(**kw) -> FinetuneConfig:
    base = {"model": "tiny", "epochs": 2, "seed": 0, "trainer": FAST, "early_stopping_patience": None}
    return FinetuneConfig(**{**base, **kw})


def test_finetune_saves_a_plain_transformers_model_with_history(tata_dir, tmp_path):
    summary = finetune(cfg(epochs=3), tata_dir, tmp_path / "m")
    out = tmp_path / "m"
    for name in (
        "config.json",
        "model.safetensors",
        "vocab.txt",
        "dnalm_config.yaml",
        "history.csv",
        "history.json",
        "training_summary.json",
    ):
        assert (out / name).is_file(), name
    assert not (out / "checkpoints").exists()
    assert summary["validation"] == "validation = the data's dev split"
    assert summary["n_train"] == 240 and summary["n_validation"] == 60
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert [float(r["epoch"]) for r in rows] == [1.0, 2.0, 3.0]
    assert all(float(r["train_loss"]) > 0 for r in rows)  # the training curve beside the validation one
    assert [r["epoch"] for r in json.loads((out / "history.json").read_text())] == [1.0, 2.0, 3.0]
    assert summary["best_validation_metric"] == pytest.approx(max(float(r["eval_mcc"]) for r in rows))
    model = AutoModelForSequenceClassification.from_pretrained(out)
    assert model.config.id2label == {0: "0", 1: "1"}


def test_finetune_never_reads_the_test_split(tata_dir, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    for split in ("train", "dev"):
        (folder / f"{split}.csv").write_text((tata_dir / f"{split}.csv").read_text())
    (folder / "test.csv").write_text("sequence,label\nthis is not DNA,42\n")
    finetune(cfg(epochs=1), folder, tmp_path / "m")


def test_validation_is_a_stratified_part_of_train_without_dev(tata_dir, tmp_path):
    data = tmp_path / "all.csv"
    data.write_text((tata_dir / "train.csv").read_text())
    summary = finetune(cfg(epochs=1, val_fraction=0.25, model="cnn"), data, tmp_path / "m")
    assert summary["n_train"] == 180 and summary["n_validation"] == 60
    assert "stratified 25% of train (seed 0)" in summary["validation"]


def test_dnabert_layout_checkpoint_finetunes_with_zero_unknown_kmers(dnabert_checkpoint, tata_dir, tmp_path):
    from dnalm.finetune.data import load_splits
    from dnalm.tokenizers.dna import load_tokenizer, tokenizer_report

    tok = load_tokenizer(dnabert_checkpoint)
    train = load_splits(tata_dir)[0]["train"]
    assert tokenizer_report(tok, [r.sequence for r in train])["unk_tokens"] == 0
    summary = finetune(cfg(model=str(dnabert_checkpoint), epochs=1), tata_dir, tmp_path / "m")
    assert summary["from_scratch"] is False and summary["max_length"] == 57
    _model, tok2 = load_model(tmp_path / "m")
    assert tok2.get_vocab() == tok.get_vocab()


def test_per_class_fasta_and_class_weights(tmp_path):
    from dnalm.io import write_fasta
    from dnalm.synth import tata_dataset

    recs = tata_dataset(200, 50, seed=4)
    write_fasta([r for r in recs if r.label == "1"], tmp_path / "pos.fa")
    write_fasta([r for r in recs if r.label == "0"][:60], tmp_path / "neg.fa")
    summary = finetune(
        cfg(model="cnn", epochs=1, class_weights=True),
        None,
        tmp_path / "m",
        classes={"tata": str(tmp_path / "pos.fa"), "other": str(tmp_path / "neg.fa")},
    )
    assert summary["labels"] == ["other", "tata"]


def test_regression_and_multilabel_heads(tmp_path):
    import random

    rng = random.Random(0)
    seqs = ["".join(rng.choice("ACGT") for _ in range(40)) for _ in range(120)]
    reg = tmp_path / "reg.csv"
    reg.write_text("sequence,label\n" + "".join(f"{s},{s.count('G') / 40:.3f}\n" for s in seqs))
    summary = finetune(cfg(model="cnn", epochs=1, problem_type="regression"), reg, tmp_path / "r")
    assert "eval_mse" in summary["validation_metrics"] and summary["best_checkpoint_metric"] == "loss"
    ml = tmp_path / "ml.csv"
    ml.write_text(
        "sequence,label\n" + "".join(f"{s},{';'.join(b for b in 'AC' if s.count(b) > 10) or 'none'}\n" for s in seqs)
    )
    summary = finetune(
        cfg(model="cnn", epochs=1, problem_type="multi_label_classification", val_fraction=0.3), ml, tmp_path / "ml"
    )
    assert "eval_subset_accuracy" in summary["validation_metrics"]


def test_lora_adapters_are_merged_into_a_plain_model(tata_dir, tmp_path):
    pytest.importorskip("peft")
    summary = finetune(cfg(epochs=1, lora=True), tata_dir, tmp_path / "m")
    model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "m")
    assert not any("lora" in name for name, _ in model.named_parameters())
    assert (tmp_path / "m" / "adapter" / "adapter_model.safetensors").is_file()  # the peft way, too
    assert 0 < summary["lora"]["trainable_parameters"] < summary["lora"]["all_parameters"]


def test_bad_inputs_are_clear_errors(tata_dir, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataFormatError, match="empty file"):
        finetune(cfg(), empty, tmp_path / "m")
    folder = tmp_path / "badlabel"
    folder.mkdir()
    (folder / "train.csv").write_text((tata_dir / "train.csv").read_text())
    (folder / "dev.csv").write_text("sequence,label\nACGTACGTAC,maybe\n")
    with pytest.raises(ValueError, match=r"dev\.csv:2: record '0': label 'maybe' is not among the training labels"):
        finetune(cfg(), folder, tmp_path / "m")
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) 4096 tokens is more than tiny takes \(512\)"):
        finetune(cfg(max_length=4096), tata_dir, tmp_path / "m")
    one_class = tmp_path / "one.csv"
    one_class.write_text("sequence,label\n" + "ACGTACGTAC,1\n" * 20)
    with pytest.raises(ValueError, match="single class"):
        finetune(cfg(), one_class, tmp_path / "m")
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("sequence,label\nACGT,1\nGGCC,0\n")  # one record a class: none to hold out
    with pytest.raises(ValueError, match="leaves one side empty"):
        finetune(cfg(), tiny, tmp_path / "m")
    # a selection metric validation does not compute: refused before the first step, not at the first validation
    with pytest.raises(ValueError, match=r"metric_for_best_model 'f2' is not a validation metric .* it computes .*mcc"):
        finetune(cfg(metric_for_best_model="f2"), tata_dir, tmp_path / "m2")
    assert not list(tmp_path.glob("m2.partial/history*"))


def test_every_metric_of_a_three_class_task_can_select(tmp_path):
    """auroc is a validation metric of a 3-class task; a check on two validation examples (a class missing, so
    no auroc) refused it before any training."""
    import random

    rng = random.Random(0)
    rows = ["sequence,label"] + [f"{''.join(rng.choice('ACGT') for _ in range(40))},{'abc'[i % 3]}" for i in range(60)]
    (tmp_path / "three.csv").write_text("\n".join(rows) + "\n")
    result = finetune(cfg(model="cnn", epochs=1, metric_for_best_model="auroc"), tmp_path / "three.csv", tmp_path / "m")
    assert result["best_checkpoint_metric"] == "auroc" and result.validation_metrics["eval_auroc"] >= 0


def test_config_file_rejects_unknown_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model: cnn\nlearning_rte: 0.01\n")
    with pytest.raises(ValueError, match="did you mean 'learning_rate'"):
        FinetuneConfig.load(path)
    path.write_text("model: cnn\nepochs: 2\n")
    assert FinetuneConfig.load(path, epochs=5).epochs == 5.0


def test_training_is_reproducible_with_a_seed_and_leaves_the_callers_generators_as_they_were(tata_dir, tmp_path):
    """finetune seeded Python's, numpy's and torch's generators with the run's seed and left them so: a random
    search around it drew the same learning rate from its second trial on."""
    import random

    import numpy as np

    def states():
        return random.getstate(), np.random.get_state()[1].tolist(), torch.random.get_rng_state().tolist()

    random.seed(2024), np.random.seed(2024), torch.manual_seed(2024)
    before = states()
    a = finetune(cfg(model="cnn", epochs=1), tata_dir, tmp_path / "a")
    assert states() == before
    b = finetune(cfg(model="cnn", epochs=1), tata_dir, tmp_path / "b")
    assert a["validation_metrics"]["eval_loss"] == pytest.approx(b["validation_metrics"]["eval_loss"], rel=1e-5)
    ma, _ = load_model(tmp_path / "a")
    mb, _ = load_model(tmp_path / "b")
    assert all(torch.allclose(p, q) for p, q in zip(ma.parameters(), mb.parameters()))
    summary = json.loads((tmp_path / "a" / "training_summary.json").read_text())
    assert summary["seed"] == 0 and summary["problem_type"] == "single_label_classification"


def test_regression_targets_far_from_unit_scale_are_learnt_and_predicted_in_label_units(tmp_path):
    """Labels of mean ~2e4 and sd ~3e3 were trained as they are: a model whose output starts near 0 +- 1 was
    still predicting near 0 after training (validation R2 -48). Targets are now standardised on train and the
    scale folded back into the output layer, so the saved model predicts label units."""
    import random

    from dnalm.apply.predict import predict_proba

    rng = random.Random(0)
    seqs = ["".join(rng.choice("ACGT") for _ in range(40)) for _ in range(200)]
    reg = tmp_path / "reg.csv"
    reg.write_text("sequence,label\n" + "".join(f"{s},{10000 + 1000 * s.count('G'):.2f}\n" for s in seqs))
    summary = finetune(cfg(model="cnn", epochs=3, problem_type="regression"), reg, tmp_path / "r")
    scale = summary["target_standardisation"]
    labels = [10000 + 1000 * s.count("G") for s in seqs]
    assert scale["mean"] == pytest.approx(sum(labels) / 200, rel=0.02) and 2000 < scale["sd"] < 3500  # of train
    metrics = summary["validation_metrics"]
    assert metrics["eval_r2"] > -1 and metrics["eval_mae"] < 2 * scale["sd"]  # unscaled, they read -48 and 21,000
    assert metrics["eval_loss"] < 2  # the loss is in standardised units
    model, tok = load_model(tmp_path / "r")
    values = predict_proba(model, tok, seqs[:50])[0][:, 0]
    assert abs(values.mean() - scale["mean"]) < scale["sd"] and values.std() > 10  # label units, not 0 +- 1


@pytest.mark.parametrize(
    ("model", "heads"),
    [(m, 1) for m in ("tiny", "tiny-bpe", "mini", "cnn", "cnn-gb", "lstm", "pos-cnn", "dnalm-cnn")]
    + [("dnalm-cnn", 2)],  # two positional heads, the output their mean: both are scaled
)
def test_every_architecture_has_output_layers_that_standardised_targets_fold_into(model, heads):
    from dnalm.finetune.trainer import output_layers, scale_output
    from dnalm.models.build import build_model

    seqs = ["ACGTACGTTTGACCA" * 4, "TTGACCAGGTACCAT" * 4]
    net, tok, _ = build_model(
        model,
        num_labels=1,
        problem_type="regression",
        train_sequences=seqs * 20,
        input_length=80,
        seed=0,
        config_overrides={"fine_position_bins": 16} if heads == 2 else None,
    )
    inputs = dict(tok(seqs, padding=True, return_tensors="pt"))
    inputs = {k: inputs[k] for k in ("input_ids", "attention_mask")}
    layers = output_layers(net, inputs)
    assert len(layers) == heads
    net.eval()
    with torch.no_grad():
        before = net(**inputs).logits
        for layer in layers:
            scale_output(layer, 1000.0, 5000.0)
        assert torch.allclose(net(**inputs).logits, before * 1000 + 5000, rtol=1e-4)


def test_per_base_regression_targets_are_standardised_and_scored_in_label_units(tmp_path):
    import random

    rng = random.Random(1)
    seqs = ["".join(rng.choice("ACGT") for _ in range(30)) for _ in range(80)]
    data = tmp_path / "pb.csv"
    data.write_text(
        "sequence,label\n" + "".join(f"{s},{' '.join(str(500 + 100 * (b == 'G')) for b in s)}\n" for s in seqs)
    )
    summary = finetune(cfg(model="tiny", epochs=2, problem_type="token_regression"), data, tmp_path / "m")
    assert summary["target_standardisation"]["mean"] == pytest.approx(
        500 + 100 * sum(s.count("G") for s in seqs) / (30 * 80), rel=0.01
    )
    assert summary["validation_metrics"]["eval_mae"] < 100  # label units; trained unscaled it read ~500


@pytest.mark.parametrize("model", ["cnn", "cnn-gb"])
def test_only_a_fixed_input_model_says_it_truncates_long_training_sequences(tmp_path, caplog, model):
    """Every model logged 'a fixed-input model is built for 298-base input ... 1 longer training sequences are
    truncated', while its summary said max_length 602 and 0 truncated: only the GB CNN has a fixed input."""
    import logging
    import random

    caplog.set_level(logging.INFO)
    rng = random.Random(0)
    seqs = ["".join(rng.choice("ACGT") for _ in range(40)) for _ in range(150)] + ["ACGT" * 150]
    data = tmp_path / "d.csv"
    data.write_text("sequence,label\n" + "".join(f"{s},{i % 2}\n" for i, s in enumerate(seqs)))
    summary = finetune(cfg(model=model, epochs=1), data, tmp_path / "m")
    said = "a fixed-input model is built for" in caplog.text
    assert said == (model == "cnn-gb") and (summary["n_truncated_train"] > 0) == said


def test_validation_sequences_longer_than_training_are_said_once_however_many_candidates_train(tmp_path, caplog):
    """The default recipe trains three candidates on small data, and each said the same 'validation sequences are
    longer than max_length ... truncated' again."""
    import logging
    import random

    rng = random.Random(0)
    folder = tmp_path / "d"
    folder.mkdir()
    for split, n, length in (("train", 40, 40), ("dev", 10, 90)):
        rows = "".join(f"{''.join(rng.choice('ACGT') for _ in range(length))},{i % 2}\n" for i in range(n))
        (folder / f"{split}.csv").write_text("sequence,label\n" + rows)
    with caplog.at_level(logging.INFO, logger="dnalm"):
        finetune(cfg(model="auto", epochs=1), folder, tmp_path / "m")
    recipe = json.loads((tmp_path / "m" / "recipe.json").read_text())
    assert len(recipe["candidates"]) >= 3  # each candidate built in turn (and their average scored)
    assert caplog.text.count("10 validation sequences are longer than max_length=42 tokens") == 1


def test_a_validation_split_or_an_evaluated_file_of_one_class_is_said(tmp_path, caplog):
    """A dev split of one class gave MCC 0.0 at every epoch and a 'best' checkpoint chosen on that constant, and
    evaluate on a one-class file wrote mcc 0.0 beside auroc null: nothing said why."""
    import logging
    import random

    from dnalm.apply.evaluate import evaluate

    caplog.set_level(logging.WARNING)
    rng = random.Random(0)
    seqs = ["".join(rng.choice("ACGT") for _ in range(40)) for _ in range(120)]
    data = tmp_path / "d"
    data.mkdir()
    (data / "train.csv").write_text("sequence,label\n" + "".join(f"{s},{i % 2}\n" for i, s in enumerate(seqs[:100])))
    (data / "dev.csv").write_text("sequence,label\n" + "".join(f"{s},1\n" for s in seqs[100:]))
    result = finetune(cfg(model="cnn", epochs=1), data, tmp_path / "m")
    assert "the validation split holds one class (1): MCC is 0 and AUROC undefined on it" in caplog.text
    assert result["positive_label"] == "1" and result.describe().endswith("(positive class: 1)")  # (said, too)
    caplog.clear()
    evaluate(tmp_path / "m", data / "dev.csv", tmp_path / "ev")
    assert "every sequence evaluated is of one class (1): MCC is 0 and AUROC undefined" in caplog.text
    caplog.clear()  # three classes, a dev split of two: the checkpoint was chosen without the third, unsaid
    (data / "train.csv").write_text("sequence,label\n" + "".join(f"{s},{i % 3}\n" for i, s in enumerate(seqs[:100])))
    (data / "dev.csv").write_text("sequence,label\n" + "".join(f"{s},{i % 2}\n" for i, s in enumerate(seqs[100:])))
    finetune(cfg(model="cnn", epochs=1), data, tmp_path / "m3")
    assert "the validation split holds no record of '2': the checkpoint is chosen without it" in caplog.text


def test_the_validation_note_gives_the_share_held_out_when_the_classes_raised_it(tmp_path):
    """50 classes of 6 records: 50 of 300 (17%) were held out while the note said "a stratified 10% of train"."""
    from dnalm.finetune.data import load_splits

    rows = "".join(f"{'ACGT' * 5},k{i % 50}\n" for i in range(300))
    (tmp_path / "train.csv").write_text("sequence,label\n" + rows)
    splits, note = load_splits(tmp_path, val_fraction=0.1, seed=0)
    assert len(splits["dev"]) == 50
    assert note.startswith("validation = a stratified 10% of train (50 of 300, 17%: each class keeps a record")


def test_a_rare_class_is_validated_on_and_an_impossible_split_names_the_option():
    """3 positives in 300: the 10% stratified split held none out, and selection ran on a constant MCC of 0; an
    empty side was 'a 10% split ... leaves one side empty' naming neither --val-fraction nor the cause."""
    from dnalm.finetune.data import stratified_split
    from dnalm.io import Record

    records = [Record(f"r{i}", "ACGT", "1" if i < 3 else "0") for i in range(300)]
    train, dev = stratified_split(records, 0.1, seed=0)
    assert sum(r.label == "1" for r in dev) == 1 and sum(r.label == "1" for r in train) == 2 and len(dev) == 31
    unique = [Record(f"r{i}", "ACGT", f"{i / 7:.4f}") for i in range(300)]
    with pytest.raises(
        ValueError, match=r"\(val_fraction, a setting of a --config file\).*300 distinct values.*regression"
    ):
        stratified_split(unique, 0.1, seed=0)


def test_a_model_whose_weights_diverged_is_not_saved_and_nan_outputs_are_not_scored(tata_dir, tmp_path):
    """weight_decay 1e300 (now 1000 with learning rate 1, in range) made every weight NaN: the folder was saved (exit 0), and evaluate then reported an AUROC
    ranked from NaN probabilities."""
    import numpy as np

    from dnalm.apply.evaluate import evaluate
    from dnalm.models.build import build_model

    with pytest.raises(ValueError, match=r"training diverged: (\d+ weight tensor\(s\)|the model.s outputs on the val)"):
        finetune(cfg(model="cnn-gb", epochs=3, weight_decay=1000, learning_rate=1), tata_dir, tmp_path / "m")
    assert not (tmp_path / "m").exists()
    model, tok, _ = build_model("cnn-gb", num_labels=2, seed=0)
    for p in model.parameters():
        p.data.fill_(np.nan)
    model.save_pretrained(tmp_path / "nan")
    tok.save_pretrained(tmp_path / "nan")
    with pytest.raises(ValueError, match=r"nan: \d+ weight tensor\(s\) hold values that are not finite numbers"):
        evaluate(str(tmp_path / "nan"), tata_dir, tmp_path / "e")  # refused as it loads
    for p in model.parameters():
        p.data.fill_(1e30)  # finite weights whose outputs are not
    model.save_pretrained(tmp_path / "huge")
    tok.save_pretrained(tmp_path / "huge")
    with pytest.raises(ValueError, match=r"outputs are not finite numbers \(NaN or inf, e.g. for input sequence"):
        evaluate(str(tmp_path / "huge"), tata_dir, tmp_path / "e")
    assert not (tmp_path / "e").exists()


def test_a_dev_split_without_labels_is_named_as_such(tata_dir, tmp_path):
    """It said "label None is not among the training labels"."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(tata_dir, data)
    rows = (data / "dev.csv").read_text().splitlines()
    (data / "dev.csv").write_text("\n".join(["sequence", *(r.split(",")[0] for r in rows[1:])]) + "\n")
    with pytest.raises(ValueError, match=r"dev.csv:2: record '0': no label \(the file has no label column"):
        finetune(cfg(model="cnn", epochs=1), data, tmp_path / "m")


def _finetune_log(tmp_path, caplog, **settings) -> str:
    """The INFO log of a one-model finetune of 20 small sequences (a CNN) with ``settings``."""
    import logging

    rows = "".join(f"{'ACGT' * 5}{'TATAAA' if i % 2 else 'GCGCGC'},{i % 2}\n" for i in range(20))
    (tmp_path / "d.csv").write_text("sequence,label\n" + rows)
    with caplog.at_level(logging.INFO, logger="dnalm"):
        finetune(
            FinetuneConfig(model="cnn", trainer={"disable_tqdm": True}, **settings), tmp_path / "d.csv", tmp_path / "m"
        )
    return caplog.text


def test_epochs_that_are_not_whole_steps_say_what_is_trained(tmp_path, caplog):
    """--epochs 0.5 of 20 sequences in a batch of 32 trained a whole epoch; the summary said 0.5 requested and 1 run
    with no word in the log."""
    said = _finetune_log(tmp_path, caplog, epochs=0.5, batch_size=32)
    assert "0.5 epochs of 18 sequences in batches of 32 is 1 step(s), 1 epochs: training that" in said
    # twice what was asked: a warning (-q hid it), as a budget's cap is one
    assert any(r.levelname == "WARNING" and "is 1 step(s)" in r.getMessage() for r in caplog.records)


def test_a_patience_as_long_as_the_run_is_said(tmp_path, caplog):
    """--patience 5 --epochs 1 was recorded, and could never stop the run."""
    said = _finetune_log(tmp_path, caplog, epochs=1, early_stopping_patience=5)
    assert "early stopping cannot end this run: its patience (5 epochs) is as long as the run (1 epochs)" in said


def test_fine_tuning_further_from_a_regression_model_keeps_its_label_units(tmp_path):
    """The loaded head already output label units; it was trained against standardised targets and scaled a second
    time when saved: predictions about sd times too large (mse 28,265 against 29), exit 0."""
    import numpy as np

    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import load_model

    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 60)) for _ in range(120)]
    (tmp_path / "d").mkdir()
    for split, part in (("train", seqs[:80]), ("dev", seqs[80:])):
        rows = "".join(f"{s},{40 + 5 * (s.count('G') - 15) + rng.normal():.3f}\n" for s in part)
        (tmp_path / "d" / f"{split}.csv").write_text("sequence,label\n" + rows)
    finetune(
        cfg(model="tiny", problem_type="regression", epochs=1), tmp_path / "d", tmp_path / "first"
    )  # (no BatchNorm)
    again = cfg(model=str(tmp_path / "first"), problem_type="regression", epochs=1, learning_rate=1e-12)
    finetune(again, tmp_path / "d", tmp_path / "again")  # (a learning rate of ~0: the same function)
    first, _ = predict_proba(*load_model(tmp_path / "first"), seqs[:20])
    then, _ = predict_proba(*load_model(tmp_path / "again"), seqs[:20])
    np.testing.assert_allclose(then, first, rtol=1e-3, atol=1e-3)


def test_a_max_length_beyond_the_longest_sequence_records_the_length_trained_on(tata_dir, tmp_path, caplog):
    """``--max-length 100000`` on 100-base data was saved as the trained length: scan's default window became 99,998
    bases, no contig was long enough, and it wrote an empty bedGraph with exit 0."""
    import json
    import logging

    with caplog.at_level(logging.INFO, logger="dnalm"):
        summary = finetune(cfg(model="cnn", epochs=0.2, max_length=100_000), tata_dir, tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    longest = max(len(line.split(",")[0]) for line in (tata_dir / "train.csv").read_text().splitlines()[1:])
    assert summary["max_length"] == config["dnalm_train_max_tokens"] < 100_000
    assert longest <= config["dnalm_train_max_tokens"] <= longest + 2  # bases, and a [CLS]/[SEP] where it has them
    assert "max_length (--max-length) 100000 is more than the longest training sequence" in caplog.text


def test_finetune_says_what_it_takes_when_given_something_else(tmp_path):
    from dnalm.finetune.train import finetune

    with pytest.raises(TypeError, match="finetune takes its settings as a FinetuneConfig"):
        finetune("cnn-gb", None, tmp_path / "o")
    with pytest.raises(TypeError, match="classes must map each label to its FASTA file"):
        finetune(FinetuneConfig(model="cnn"), None, tmp_path / "o", classes=["a=x.fa"])
    assert not (tmp_path / "o").exists()


def test_an_output_that_is_not_a_path_is_refused(tmp_path, monkeypatch):
    from dnalm.finetune.train import finetune

    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match="an output must be a path"):
        finetune(FinetuneConfig(model="cnn"), None, 7)
    assert list(tmp_path.iterdir()) == []


def test_a_setting_changed_after_the_config_was_built_is_checked_by_finetune(tmp_path):
    """cfg.seed = -5 failed inside transformers' set_seed, naming no setting."""
    from dnalm.finetune.train import finetune

    cfg = FinetuneConfig(model="cnn", epochs=1)
    cfg.seed = -5
    with pytest.raises(ValueError, match=r"seed \(--seed\)"):
        finetune(cfg, tmp_path / "no-data", tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_lora_is_refused_for_models_that_are_not_transformers_and_fits_modernbert():
    from dnalm.finetune.trainer import with_lora
    from dnalm.models.build import build_model

    cnn, _, _ = build_model("pos-cnn", num_labels=2, seed=0)
    with pytest.raises(ValueError, match="--lora adapts a transformer's .*pos-cnn is not a transformer"):
        with_lora(cnn, r=4, alpha=8, dropout=0.0, per_base=False)
    pytest.importorskip("peft")
    mini, _, _ = build_model("mini", num_labels=2, seed=0)  # peft has no default target modules for ModernBERT
    adapted = with_lora(mini, r=4, alpha=8, dropout=0.0, per_base=False)
    trainable, total = adapted.get_nb_trainable_parameters()
    assert 0 < trainable < total


@pytest.mark.parametrize("model", ["auto", "cnn", "dnalm-cnn"])
def test_lora_on_a_model_that_is_no_transformer_is_refused_before_any_work(tmp_path, model):
    from dnalm.finetune.train import finetune

    (tmp_path / "d.csv").write_text("sequence,label\n" + "ACGTACGTAC,0\nTTTTGGGGCC,1\n" * 10)
    with pytest.raises(ValueError, match=r"lora \(--lora\) adapts a transformer's .* give a transformer"):
        finetune(FinetuneConfig(model=model, lora=True), tmp_path / "d.csv", tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("*.partial"))


def test_a_run_refused_for_its_data_leaves_no_empty_partial_folder(tmp_path):
    """The data is read once the output folder is taken: a refusal there left ``OUT.partial`` holding only its
    note, in every failed run's place."""
    from dnalm.finetune.train import finetune

    (tmp_path / "d.csv").write_text("sequence,label\n" + "ACGTACGTAC,0\nTTTTGGGGCC,1\n" * 10 + "ACGTXACGTA,0\n")
    with pytest.raises(ValueError, match="X"):
        finetune(FinetuneConfig(model="cnn", epochs=1), tmp_path / "d.csv", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_a_run_refused_after_taking_its_output_leaves_nothing_that_refuses_the_next(tmp_path):
    """model_config {channels: -3} under the default recipe was refused after OUTPUT.partial/recipe.json was
    written: the next run, with good settings, was refused for 'what a stopped run left'."""
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    (tmp_path / "data.csv").write_text("sequence,label\n" + "".join(f"{'ACGT' * 10},{i % 2}\n" for i in range(40)))
    with pytest.raises(ValueError, match="channels must be a whole number"):
        finetune(FinetuneConfig(model_config={"channels": -3}), tmp_path / "data.csv", tmp_path / "out")
    assert not list(tmp_path.glob("out*"))


@posix_only
def test_finetune_killed_mid_training_keeps_the_previous_model(tata_dir, tmp_path, caplog):
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    out = tmp_path / "model"
    cfg = FinetuneConfig(model="tiny", epochs=1, trainer={"disable_tqdm": True})
    finetune(cfg, tata_dir, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    longer = _dnalm("finetune", tata_dir, "-o", out, "--model", "tiny", "--epochs", "30", "--seed", "1", "--overwrite")
    _kill_when(longer, lambda: (tmp_path / "model.partial" / "history.csv").is_file())  # mid-training
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert (tmp_path / "model.partial" / "PARTIAL_RUN.txt").is_file()  # marked as what a stopped run left
    finetune(cfg, tata_dir, out, overwrite=True)  # the re-run completes and cleans up, saying so
    assert sorted(os.listdir(tmp_path)) == ["model"]
    assert f"removing {tmp_path / 'model.partial'}, what a stopped run left" in caplog.text


@posix_only
def test_finetune_killed_after_a_checkpoint_resumes_to_the_end(tata_dir, tmp_path):
    import json

    (tmp_path / "run.yaml").write_text("model: pos-cnn\nepochs: 40\ncheckpoint_interval: 0\nprecision: fp32\n")
    args = ("finetune", tata_dir, "-o", tmp_path / "model", "--config", tmp_path / "run.yaml")
    checkpoints = tmp_path / "model.partial" / "checkpoints"
    _kill_when(_dnalm(*args), lambda: any(checkpoints.glob("checkpoint-*/dnalm_state.pt")))
    assert not (tmp_path / "model").exists()
    done = subprocess.run(_dnalm(*args, "--resume"), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "model" / "training_summary.json").read_text())
    assert summary["resumed_from"].startswith("checkpoint-")  # continued, not started again
    assert summary["steps_run"] > int(summary["resumed_from"].split("-")[1])
    assert (tmp_path / "model" / "model.safetensors").is_file()
    assert sorted(os.listdir(tmp_path)) == ["model", "run.yaml"]


@posix_only
def test_the_flags_a_refusal_suggests_after_a_stopped_run_work(tata_dir, tmp_path):
    """After the stopped run's OUTPUT.partial became a refusal without --resume or --overwrite: --resume of a
    two-candidate recipe said "starting afresh" and then refused; an output named as the staging folder wrote a
    model beside the stopped run's checkpoints; the plain re-run did not say that --resume continues it."""
    from typer.testing import CliRunner

    from dnalm.cli import app
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune
    from dnalm.io.files import start_folder

    out = tmp_path / "m"
    staging = start_folder(out, owned_marker="dnalm_config.yaml")  # a run stopped before its first checkpoint
    (staging / "history.csv").write_text("epoch\n")
    cfg = FinetuneConfig(epochs=1, candidates="all", trainer={"disable_tqdm": True})  # the recipe, two candidates
    res = CliRunner().invoke(app, ["finetune", str(tata_dir), "-o", str(staging), "--epochs", "1", "--overwrite"])
    assert res.exit_code == 2 and "is what a stopped run writing m left" in res.output, res.output
    finetune(cfg, tata_dir, out, resume=True)  # starts afresh, as it says
    assert (out / "recipe.json").is_file() and not staging.exists()
    staging = start_folder(out, owned_marker="dnalm_config.yaml")
    (staging / "history.csv").write_text("epoch\n")
    res = CliRunner().invoke(app, ["finetune", str(tata_dir), "-o", str(out), "--epochs", "1"])
    assert res.exit_code == 2 and f"--resume to continue the stopped run in {staging.name}" in res.output, res.output


def _tiny_cfg(**kw):
    from dnalm.finetune.config import FinetuneConfig

    return FinetuneConfig(**{"model": "pos-cnn", "epochs": 1, "seed": 0, "trainer": {"disable_tqdm": True}, **kw})


def test_finetune_refuses_a_folder_it_did_not_write(tata_dir, tmp_path):
    from dnalm.finetune.train import finetune

    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("years of work")
    (out / "checkpoints").mkdir()
    with pytest.raises(ValueError, match="not a folder dnalm wrote"):
        finetune(_tiny_cfg(), tata_dir, out)
    assert (out / "chapter1.tex").read_text() == "years of work" and (out / "checkpoints").is_dir()
    finetune(_tiny_cfg(), tata_dir, out, overwrite=True)  # said in so many words: the model is written there
    assert (out / "model.safetensors").is_file() and (out / "chapter1.tex").read_text() == "years of work"


def test_a_failed_finetune_leaves_the_previous_model_and_a_marked_partial_folder(tata_dir, tmp_path, monkeypatch):
    import dnalm.finetune.train
    from dnalm.finetune.train import finetune

    out = tmp_path / "model"
    finetune(_tiny_cfg(), tata_dir, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # a run stopped part-way (Ctrl-C; SIGKILL leaves the same files)

    monkeypatch.setattr(dnalm.finetune.train, "install_folder", killed)
    with pytest.raises(KeyboardInterrupt):
        finetune(_tiny_cfg(seed=1), tata_dir, out, overwrite=True)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # no mixture
    assert (tmp_path / "model.partial" / "PARTIAL_RUN.txt").is_file()
    monkeypatch.undo()
    summary = finetune(_tiny_cfg(seed=1), tata_dir, out, overwrite=True)  # the re-run removes the partial folder
    assert summary["seed"] == 1 and not (tmp_path / "model.partial").exists()
    assert sorted(os.listdir(tmp_path)) == ["model"]


def _resumable_cfg(**kw):
    # weight average, cosine schedule and two validations per epoch: every piece of state a resume must restore
    settings = dict(epochs=4, ema_decay=0.9, lr_scheduler="cosine", evals_per_epoch=2, checkpoint_interval=0)
    return _tiny_cfg(precision="fp32", **{**settings, **kw})


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def _curve(folder):
    rows = json.loads((folder / "history.json").read_text())
    return [{k: v for k, v in r.items() if not k.endswith(("runtime", "per_second"))} for r in rows]


def _stopped_at_step_6(data, out, monkeypatch) -> None:
    """A resumable fine-tuning into ``out`` stopped (Ctrl-C) in its third epoch (2 steps each), after epoch 2's
    checkpoint."""
    from dnalm.finetune.train import finetune
    from dnalm.runtime.callbacks import WeightAverage

    step_end = WeightAverage.on_step_end

    def killed_at_step_6(self, args, state, control, **kwargs):
        if state.global_step == 6:
            raise KeyboardInterrupt
        return step_end(self, args, state, control, **kwargs)

    monkeypatch.setattr(WeightAverage, "on_step_end", killed_at_step_6)
    with pytest.raises(KeyboardInterrupt):
        finetune(_resumable_cfg(), data, out)
    monkeypatch.undo()


def test_finetune_resume_gives_the_model_of_the_uninterrupted_run(tata_dir, tmp_path, monkeypatch):
    import torch

    from dnalm.finetune.train import finetune

    whole = finetune(_resumable_cfg(checkpoint_interval=None), tata_dir, tmp_path / "whole")  # writes none
    out = tmp_path / "model"
    _stopped_at_step_6(tata_dir, out, monkeypatch)
    partial = tmp_path / "model.partial"
    assert (partial / "checkpoints" / "checkpoint-4" / "dnalm_state.pt").is_file()
    assert len(_curve(partial)) == 5  # validations at steps 1-5 were written before the kill; 5 is redone
    resumed = finetune(_resumable_cfg(), tata_dir, out, resume=True)
    assert resumed["resumed_from"] == "checkpoint-4" and whole["resumed_from"] is None
    assert resumed["steps_run"] == whole["steps_run"] == 8
    assert resumed["best_step"] == whole["best_step"]
    assert _curve(out) == _curve(tmp_path / "whole")
    # the mean training loss of the steps after the resume, and it says so (it read as the whole run's)
    steps_5_to_8 = [r["train_loss"] for r in _curve(out) if r["step"] >= 5]
    assert resumed["train_loss_steps"].startswith("5-8") and "train_loss_steps" not in whole
    assert resumed["train_loss"] == pytest.approx(sum(steps_5_to_8) / 4, abs=2e-4)
    a, b = _weights(tmp_path / "whole"), _weights(out)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not partial.exists() and not (out / "checkpoints").exists()


def test_finetune_resume_keeps_the_users_files_in_the_stopped_runs_folder_as_theirs(tata_dir, tmp_path, monkeypatch):
    """A file put in a stopped run's OUTPUT.partial was listed as dnalm's once the resumed run finished (a later
    --overwrite removed it), and one in its checkpoints/ folder was deleted with the checkpoints."""
    from dnalm.finetune.train import finetune
    from dnalm.io.outputs import read_marker

    out = tmp_path / "model"
    _stopped_at_step_6(tata_dir, out, monkeypatch)
    partial = tmp_path / "model.partial"
    (partial / "notes.txt").write_text("mine\n")
    (partial / "checkpoints" / "mine.txt").write_text("mine too\n")
    finetune(_resumable_cfg(), tata_dir, out, resume=True)
    mine = {"notes.txt": "mine\n", "checkpoints/mine.txt": "mine too\n"}
    assert {name: (out / name).read_text() for name in mine} == mine
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["mine.txt"]  # the Trainer's checkpoints are gone
    files = read_marker(out)["files"]
    assert "notes.txt" not in files and "checkpoints" not in files
    assert {"model.safetensors", "history.csv", "resume.json", "config.json"} <= set(files)
    finetune(_resumable_cfg(), tata_dir, out, overwrite=True)  # a later run removes what dnalm wrote, not these
    assert {name: (out / name).read_text() for name in mine} == mine


def test_a_failed_finetune_keeps_its_staging_folder_when_a_file_was_put_there(tata_dir, tmp_path, monkeypatch):
    """A run that fails before its first checkpoint removes the staging folder it made, and removed a file the
    user had put in it with it."""
    import dnalm.finetune.train
    from dnalm.finetune.train import finetune

    def failing(run, built):
        (run.output / "notes.txt").write_text("mine\n")  # put there while the run trained
        raise RuntimeError("training failed")

    monkeypatch.setattr(dnalm.finetune.train, "_train", failing)
    with pytest.raises(RuntimeError, match="training failed"):
        finetune(_resumable_cfg(), tata_dir, tmp_path / "model")
    assert (tmp_path / "model.partial" / "notes.txt").read_text() == "mine\n"
    (tmp_path / "model.partial" / "notes.txt").unlink()

    def failing_alone(run, built):
        raise RuntimeError("training failed")

    monkeypatch.setattr(dnalm.finetune.train, "_train", failing_alone)
    with pytest.raises(RuntimeError, match="training failed"):
        finetune(_resumable_cfg(), tata_dir, tmp_path / "model")
    assert not (tmp_path / "model.partial").exists()  # nothing of the user's there: removed, as before


def test_a_stopped_run_without_a_checkpoint_is_left_as_it_was_by_a_refused_run_and_keeps_the_users_file_on_resume(
    tata_dir, tmp_path
):
    """A plain re-run refused for a stopped run's OUTPUT.partial removed that folder as it failed (the --resume it
    advised then found nothing); --resume with no checkpoint to continue from started afresh by removing the folder
    whole, with the user's file it had just said it kept."""
    from dnalm.finetune.train import finetune
    from dnalm.io.files import start_folder
    from dnalm.io.outputs import read_marker

    out = tmp_path / "model"
    staging = start_folder(out, owned_marker="dnalm_config.yaml")  # what a run killed before a checkpoint leaves
    (staging / "checkpoints").mkdir()
    (staging / "history.csv").write_text("step\n")
    (staging / "notes.txt").write_text("mine\n")
    before = sorted(p.name for p in staging.iterdir())
    with pytest.raises(ValueError, match="holds what a stopped run left"):
        finetune(_resumable_cfg(), tata_dir, out)
    assert sorted(p.name for p in staging.iterdir()) == before  # as it was
    finetune(_resumable_cfg(), tata_dir, out, resume=True)  # nothing to continue: from step 0, the note kept
    assert (out / "notes.txt").read_text() == "mine\n" and "notes.txt" not in read_marker(out)["files"]
    assert not staging.exists()


def test_finetune_resume_refuses_other_settings_or_data_and_starts_afresh_without_a_checkpoint(
    tata_dir, tmp_path, monkeypatch, caplog
):
    import shutil

    from dnalm.finetune.train import finetune
    from dnalm.runtime.callbacks import WeightAverage

    out = tmp_path / "model"

    def killed(self, args, state, control, **kwargs):
        if state.global_step == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(WeightAverage, "on_step_end", killed)
    with pytest.raises(KeyboardInterrupt):
        finetune(_resumable_cfg(), tata_dir, out)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="seed was 0, now 1"):
        finetune(_resumable_cfg(seed=1), tata_dir, out, resume=True)
    other = tmp_path / "other"
    shutil.copytree(tata_dir, other)
    (other / "train.csv").write_text((other / "train.csv").read_text().replace("\n", "\n", 1) + "ACGTACGT,0\n")
    with pytest.raises(ValueError, match="data files differ"):
        finetune(_resumable_cfg(), other, out, resume=True)
    assert (tmp_path / "model.partial" / "checkpoints" / "checkpoint-2").is_dir()  # refused: nothing touched
    with pytest.raises(ValueError, match="self-pretraining"):
        finetune(_resumable_cfg(self_pretrain=True, model="mini"), tata_dir, out, resume=True)
    shutil.rmtree(tmp_path / "model.partial" / "checkpoints")
    (tmp_path / "model.partial" / "adapter").mkdir()  # left by the stopped run; a fresh start must not keep it
    summary = finetune(_resumable_cfg(), tata_dir, out, resume=True)
    assert summary["resumed_from"] is None and "holds no resumable checkpoint" in caplog.text
    assert not (out / "adapter").exists()


@pytest.mark.parametrize(
    "model, match",
    [("tinyy", "is not a preset"), ("models/tf0x", "model folder models/tf0x not found"), ("./ckpt", "not found")],
)
def test_a_mistyped_model_fails_before_the_data_is_read(tmp_path, monkeypatch, model, match):
    import dnalm.finetune.train
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    monkeypatch.chdir(tmp_path)
    (tmp_path / "models" / "tf0").mkdir(parents=True)

    def never(*args, **kwargs):
        raise AssertionError("the data was read before the model was checked")

    monkeypatch.setattr(dnalm.finetune.train, "load_splits", never)
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        finetune(FinetuneConfig(model=model), tmp_path / "data", tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()
