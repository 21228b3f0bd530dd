"""The default recipe (model "auto"): deterministic choices, the time budget, strand-averaged output."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from dnalm.apply.evaluate import predict_file
from dnalm.experiment.budget import budget_cap, budget_fields
from dnalm.finetune.config import FinetuneConfig
from dnalm.finetune.recipe import choose_recipe, for_checkpoint
from dnalm.finetune.train import finetune
from dnalm.io import Record, read_sequences, write_table
from dnalm.io.sequence import reverse_complement
from dnalm.runtime.hardware import resolve_precision
from dnalm.settings import parse_duration
from dnalm.synth import motif_dataset

QUIET = {"disable_tqdm": True}


@pytest.mark.parametrize("lengths", [[], [101] * 4, [101.5] * 5, [101, 101, 0, 101, 101], ["101"] * 5])
def test_the_recipe_refuses_lengths_that_are_not_one_whole_number_per_sequence(lengths):
    with pytest.raises(ValueError, match="one length .* per training sequence: 5 sequences"):
        choose_recipe(5, lengths, 2)


def test_recipe_is_a_function_of_the_data():
    a = choose_recipe(5000, [101] * 5000, 2)
    assert a == choose_recipe(5000, [101] * 5000, 2)
    assert a.to_dict() == json.loads(json.dumps(a.to_dict()))
    small, large = choose_recipe(500, [80] * 500, 2), choose_recipe(50_000, [300] * 50_000, 2)
    assert small.batch_size < large.batch_size
    assert small.epochs > large.epochs  # small sets get more passes, large ones more steps per pass
    short = choose_recipe(800, [20] * 800, 3)
    assert short.model == "pos-cnn" and short.model_config["position_bins"] == 0  # too short to split: no checkpoint
    assert a.model == "dnalm-cnn" and a.model_config == {}  # the shipped pretrained CNN, its own architecture
    scratch = choose_recipe(5000, [101] * 5000, 2, from_scratch=True)
    assert scratch.model == "pos-cnn" and scratch.model_config == {"position_bins": 8}
    assert {k: v for k, v in scratch.to_dict().items() if k not in ("model", "model_config", "reasons")} == {
        k: v for k, v in a.to_dict().items() if k not in ("model", "model_config", "reasons")
    }  # the same training settings either way
    # small data train each candidate architecture and validation keeps one; large data, or a chosen one, train one
    assert a.candidates == [{}, {"position_bins": 50}, {"attention_layers": 2}] and "candidates" in a.reasons
    assert large.candidates == [] and choose_recipe(5000, [101] * 5000, 2, candidates=False).candidates == []
    assert short.candidates == []  # no position bins to start from: one model
    # candidates "all" trains each on any data; "one" the CNN alone (True/False: "auto"/"one")
    assert choose_recipe(50_000, [101] * 50_000, 2, candidates="all").candidates == a.candidates
    assert "'all' asked for" in choose_recipe(50_000, [300] * 50_000, 2, candidates="all").reasons["candidates"]
    assert choose_recipe(5000, [101] * 5000, 2, candidates="one").candidates == []
    # the fine candidate's bins follow the median length: one per two bases, 16 to 64
    assert [choose_recipe(500, [n] * 500, 2).candidates[1] for n in (40, 70, 300)] == [
        {"position_bins": b} for b in (20, 35, 64)
    ]
    assert choose_recipe(5000, [101] * 5000, 2, candidates=True) == a
    with pytest.raises(ValueError, match="candidates must be one of auto, all, one"):
        choose_recipe(5000, [101] * 5000, 2, candidates="both")
    assert for_checkpoint(a, "my/cnn").candidates == [] and "candidates" not in for_checkpoint(a, "my/cnn").reasons
    assert "its weights" in for_checkpoint(a, "my/cnn").reasons["model"]  # --from-scratch: said, not 'its weights'
    assert "random weights (--from-scratch)" in for_checkpoint(a, "my/cnn", from_scratch=True).reasons["model"]
    for r in (a, small, large):
        assert set(r.reasons) >= {"model", "batch_size", "epochs", "learning_rate", "ema_decay"}
        assert 0 < r.ema_decay < 1 and r.lr_scheduler == "cosine" and r.reverse_complement_average
        assert "default recipe" in r.describe()


@pytest.mark.parametrize("bad", ["ten minutes", "-5", "0", "5x"])
def test_time_budget_must_be_a_duration(bad):
    with pytest.raises(ValueError, match="time_budget"):
        parse_duration(bad)


def _motif_dir(tmp_path, n=600, length=120, seed=0):
    from dnalm.finetune.data import stratified_split

    train, dev = stratified_split(motif_dataset(n, length, motif="GGATCCAT", rate=0.5, seed=seed), 0.2, seed=seed)
    folder = tmp_path / "data"
    folder.mkdir()
    write_table(train, folder / "train.csv")
    write_table(dev, folder / "dev.csv")
    return folder


def test_auto_is_deterministic_and_records_its_choices(tmp_path):
    data = _motif_dir(tmp_path, n=300)
    runs = []
    for name in ("a", "b"):
        cfg = FinetuneConfig(seed=3, epochs=2, trainer=QUIET)  # model "auto"; epochs set to keep it short
        summary = finetune(cfg, data, tmp_path / name)
        runs.append((summary, json.loads((tmp_path / name / "recipe.json").read_text())))
    (s1, r1), (s2, r2) = runs
    assert r1 == r2 and s1["model"] == "dnalm-cnn" and s1["recipe"] and not s1["from_scratch"]
    timing = ("eval_runtime", "eval_samples_per_second", "eval_steps_per_second")
    assert {k: v for k, v in s1["validation_metrics"].items() if k not in timing} == {
        k: v for k, v in s2["validation_metrics"].items() if k not in timing
    }
    assert s1["steps_run"] == s2["steps_run"] and s1["best_step"] == s2["best_step"]
    # three candidates and their average, each with its validation result (as trained, and with both strands averaged
    # as the folder is used: what chose) and the standard error of its difference from the one kept before it; the
    # kept one is the best, and the model is its architecture
    (kept,) = [c for c in r1["candidates"] if c["chosen"]]
    assert len(r1["candidates"]) == 4 and kept == min(r1["candidates"], key=lambda c: c["selection_loss"])
    assert all(c["selection_loss"] != c["best_validation_loss"] for c in r1["candidates"])
    from dnalm.apply.predict import predict_proba
    from dnalm.io import read_sequences
    from dnalm.models.build import load_model

    model, tok = load_model(tmp_path / "a")  # the kept model, scored as evaluate scores it: what it was chosen on
    dev = list(read_sequences(data, split="dev"))
    probs = predict_proba(model, tok, [r.sequence for r in dev], reverse_complement_average=True)[0]
    rows = [model.config.label2id[r.label] for r in dev]
    assert -np.log(probs[np.arange(len(dev)), rows]).mean() == pytest.approx(kept["selection_loss"], rel=1e-4)
    assert r1["candidates"][3]["members"] == [0, 1, 2] and r1["candidates"][3]["model"] == "average"
    assert all(c["validation_standard_error"] > 0 for c in r1["candidates"][1:])
    assert s1["model_config"] == kept.get("model_config", {}) == r1["model_config"]
    assert s1["candidates"] == r1["candidates"] and s1["best_validation_metric"] == kept["best_validation_loss"]
    single = min(r1["candidates"][:3], key=lambda c: c["selection_loss"])  # as chosen: both strands
    history = (tmp_path / "a" / "history.csv").read_text()  # the best single candidate's
    assert history == (tmp_path / "a" / f"history-candidate{r1['candidates'].index(single)}.csv").read_text()
    assert "| kept |" in (tmp_path / "a" / "README.md").read_text()  # the model card shows the candidates
    saved = (tmp_path / "a" / "dnalm_config.yaml").read_text()
    assert "learning_rate: 0.002" in saved and "ema_decay:" in saved and "batch_size: 32" in saved
    # the architecture kept, as trained ("settings actually used" said model_config: {} for attention layers)
    assert yaml.safe_load(saved)["model_config"] == kept.get("model_config", {})
    expected = resolve_precision("auto")  # bf16 on a CPU with AVX512-BF16/AMX, else fp32
    assert s1["precision"] == expected and f"precision: {expected}" in saved  # the value used, not "auto"


def test_precision_auto_follows_the_hardware_not_a_timing(monkeypatch):
    import torch

    import dnalm.runtime.hardware as hw

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(hw, "cpu_has_bf16", lambda: False)
    assert hw.resolve_precision("auto") == "fp32" and hw.precision_flags("auto") == {"use_cpu": True}
    monkeypatch.setattr(hw, "cpu_has_bf16", lambda: True)
    assert hw.resolve_precision("auto") == "bf16" and hw.precision_flags("auto") == {"use_cpu": True, "bf16": True}
    assert hw.precision_flags("fp32") == {"use_cpu": True}
    with pytest.raises(ValueError, match="needs a GPU"):
        hw.resolve_precision("fp16")
    with pytest.raises(ValueError, match="precision must be one of"):
        hw.resolve_precision("fp8")
    with pytest.raises(ValueError, match=r"precision \(--precision\) must be one of"):
        FinetuneConfig(precision="half")


def test_bf16_autocast_keeps_weights_fp32_and_times_steps():
    import torch

    from dnalm.models.build import build_model
    from dnalm.runtime.hardware import autocast, time_steps

    model, tok, _ = build_model("pos-cnn", num_labels=2, id2label={0: "a", 1: "b"}, seed=0)
    batch = dict(tok(["ACGTTGCAGG" * 4] * 8, return_tensors="pt"), labels=torch.tensor([0, 1] * 4))
    with autocast("bf16"):
        assert model(**batch).logits.dtype == torch.bfloat16  # the matmuls ran in bf16
    step_s, eval_s = time_steps(model, batch, batch, 1, steps=1, warmup=1, precision="bf16")
    assert step_s > 0 and eval_s > 0
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_time_budget_is_respected(tmp_path):
    data = _motif_dir(tmp_path, n=2500, length=300)
    budget = 20.0
    summary = finetune(FinetuneConfig(seed=0, time_budget=budget, trainer=QUIET), data, tmp_path / "m")
    assert summary["steps_run"] < choose_recipe(2000, [300] * 2000, 2).total_steps  # the cap did something
    assert "capped" in summary["time_budget_note"]
    cap = budget_cap(budget_fields(summary), seed=0)  # what the benchmark report marks, from the summary alone
    assert cap["steps_planned"] == summary["steps_requested"] > cap["steps_run"] == summary["steps_run"]
    assert cap["epochs_planned"] == summary["epochs_requested"] > summary["epochs_run"]
    assert summary["time_budget_bound"] and summary["expected_training_s"] is None
    assert summary["wall_time_s"] <= 1.1 * budget
    # the result line says so (a 3-step model of 312 planned read like any other)
    assert summary.describe().endswith(
        f"; the time budget bound it: {summary['steps_run']:,} of {summary['steps_requested']:,} steps"
    )


class _Planned(BaseException):
    """Raised in place of training: the test needs the plan, not the model (a stop, as Ctrl-C is: OUTPUT.partial
    stays to be read; a failure with nothing to resume removes it)."""


def _plan_on_a_machine(tmp_path, monkeypatch, name: str, data, slower: float):
    """recipe.json and the step plan of a default ``finetune`` whose timing probe runs ``slower`` times slower
    (``time.perf_counter`` scaled); training itself is skipped."""
    import time

    import dnalm.finetune.train as train

    real = time.perf_counter
    with monkeypatch.context() as m:
        m.setattr(time, "perf_counter", lambda: real() * slower)
        m.setattr(train, "training_arguments", lambda *a, **k: (_ for _ in ()).throw(_Planned()))
        with pytest.raises(_Planned):
            finetune(FinetuneConfig(seed=0, trainer=QUIET), data, tmp_path / name)
    partial = next(tmp_path.glob(f"{name}.partial*"))
    plan = json.loads((partial / "resume.json").read_text())["plan"]
    return json.loads((partial / "recipe.json").read_text()), {k: plan[k] for k in ("total_steps", "eval_steps")}


def test_default_plan_is_the_same_on_a_machine_100x_slower(tmp_path, monkeypatch, caplog):
    data = _motif_dir(tmp_path, n=2500, length=300)
    recipe, plan = _plan_on_a_machine(tmp_path, monkeypatch, "idle", data, slower=1)
    caplog.clear()
    with caplog.at_level("INFO", logger="dnalm"):
        slow_recipe, slow_plan = _plan_on_a_machine(tmp_path, monkeypatch, "busy", data, slower=100)
    assert slow_plan == plan and plan["total_steps"] == choose_recipe(2000, [300] * 2000, 2).total_steps
    assert recipe["time_budget_s"] is None and slow_recipe == recipe  # recipe.json has no timing fields
    # the slow machine is told how long the plan should take there, and what caps it
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "expected" in r.getMessage()]
    assert len(warned) == 1 and "--time-budget" in warned[0]


def test_one_seed_gives_the_same_model_on_a_busy_machine(tmp_path, monkeypatch):
    import time

    data = _motif_dir(tmp_path, n=60)
    real = time.perf_counter
    runs = []
    for name, slower in (("idle", 1), ("busy", 1000)):
        with monkeypatch.context() as m:
            m.setattr(time, "perf_counter", lambda s=slower: real() * s)  # the timing probe reads 1000x slower
            runs.append(finetune(FinetuneConfig(seed=1, trainer=QUIET), data, tmp_path / name))
    timing = ("eval_runtime", "eval_samples_per_second", "eval_steps_per_second")
    idle, busy = ({k: v for k, v in s["validation_metrics"].items() if k not in timing} for s in runs)
    assert idle == busy and runs[0]["steps_planned"] == runs[1]["steps_planned"]
    assert runs[0]["steps_run"] == runs[1]["steps_run"] and runs[0]["best_step"] == runs[1]["best_step"]
    assert not runs[1]["time_budget_bound"] and runs[1]["time_budget_s"] is None
    # the timing only changes the estimate (the probe reads 1000x slower; other parts of it do not scale, and a
    # loaded machine varies between the two probes)
    assert runs[1]["expected_training_s"] > 10 * runs[0]["expected_training_s"]


def test_the_candidates_average_is_saved_as_one_model_when_it_validates_best(tmp_path, monkeypatch):
    """Where the mean of the candidates' predictions validates better than either, the folder holds that one model
    (every candidate's weights): validated again it gives the score it was chosen on, it loads like any model and
    predicts the members' mean, and a regression's standardised targets are folded into every member (label units).
    Rerun from its dnalm_config.yaml, the recipe trains them all again."""
    import random

    import dnalm.finetune.train as train
    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import load_model
    from dnalm.models.ensemble import EnsembleForSequenceClassification

    better = train._validates_better
    monkeypatch.setattr(  # the average chosen whatever validation says: the path that saves it is what is tested
        train, "_validates_better", lambda run, new, kept, result: better(run, new, kept, result) or new[2] == 3
    )
    rng = random.Random(0)
    seqs = ["".join(rng.choice("ACGT") for _ in range(40)) for _ in range(120)]
    reg = tmp_path / "reg.csv"
    reg.write_text("sequence,label\n" + "".join(f"{s},{10000 + 1000 * s.count('G'):.2f}\n" for s in seqs))
    summary = finetune(FinetuneConfig(seed=0, epochs=2, problem_type="regression", trainer=QUIET), reg, tmp_path / "r")
    average = summary["candidates"][3]
    assert average["chosen"] and average["members"] == [0, 1, 2] and summary["model_config"] == {}
    assert summary["validation_metrics"]["eval_loss"] == pytest.approx(average["best_validation_loss"], rel=1e-5)
    assert summary["best_validation_metric"] == average["best_validation_loss"]
    model, tok = load_model(tmp_path / "r")
    assert isinstance(model, EnsembleForSequenceClassification) and len(model.members) == 3
    values = predict_proba(model, tok, seqs[:30])[0][:, 0]
    members = [predict_proba(m, tok, seqs[:30])[0][:, 0] for m in model.members]
    assert values == pytest.approx(sum(members) / 3, rel=1e-4)
    scale = summary["target_standardisation"]
    assert all(abs(v.mean() - scale["mean"]) < scale["sd"] for v in members)  # each in label units, not 0 +- 1
    saved = yaml.safe_load((tmp_path / "r" / "dnalm_config.yaml").read_text())
    assert saved["model_config"] == {} and saved["candidates"] == "auto"
    assert "candidates 0, 1, 2 averaged" in (tmp_path / "r" / "README.md").read_text()


def test_candidates_train_to_the_end_whenever_a_checkpoint_would_fall_due(tmp_path, monkeypatch):
    """A checkpoint falls due by the wall clock (every 2 minutes), so a loaded machine reaches one sooner: the second
    candidate's first checkpoint was rotated away by the first candidate's higher-numbered ones (the Trainer orders
    them by number where modification times are less than a second apart, as here) and saving it crashed.
    Candidates are not resumable and write none; the model is the one a run without checkpoints trains."""
    import transformers.trainer

    rotate = transformers.trainer.rotate_checkpoints
    monkeypatch.setattr(
        transformers.trainer, "rotate_checkpoints", lambda *a, **kw: rotate(*a, **kw | {"use_mtime": False})
    )
    data = _motif_dir(tmp_path, n=60)
    runs = [
        finetune(FinetuneConfig(seed=1, epochs=6, checkpoint_interval=interval, trainer=QUIET), data, tmp_path / name)
        for name, interval in (("every-epoch", 0), ("never", None))
    ]
    assert [len(r["candidates"]) for r in runs] == [4, 4]  # the three and their average
    timing = ("eval_runtime", "eval_samples_per_second", "eval_steps_per_second")
    every, never = ({k: v for k, v in r["validation_metrics"].items() if k not in timing} for r in runs)
    assert every == never and runs[0]["best_step"] == runs[1]["best_step"]


def test_strand_averaged_predictions_are_identical_for_a_sequence_and_its_reverse_complement(tmp_path):
    data = _motif_dir(tmp_path, n=200)
    finetune(FinetuneConfig(seed=0, epochs=1, trainer=QUIET), data, tmp_path / "m")
    seqs = [r.sequence for r in read_sequences(data / "dev.csv")][:20]
    seqs += ["ACGTTGCAAT" * 30]  # longer than any training sequence: windows, both strands
    records = [Record(f"f{i}", s) for i, s in enumerate(seqs)] + [
        Record(f"r{i}", reverse_complement(s)) for i, s in enumerate(seqs)
    ]
    write_table(records, tmp_path / "in.csv", with_id=True)
    predict_file(str(tmp_path / "m"), tmp_path / "in.csv", tmp_path / "out.csv")  # default: as trained
    rows = (tmp_path / "out.csv").read_text().splitlines()[1:]
    probs = np.array([[float(x) for x in row.split(",")[3:5]] for row in rows])
    n = len(seqs)
    np.testing.assert_allclose(probs[:n], probs[n:], atol=1e-6)
    assert not np.allclose(probs[:, 1], probs[0, 1])  # the model is not constant
    predict_file(str(tmp_path / "m"), tmp_path / "in.csv", tmp_path / "one.csv", reverse_complement_average=False)
    one = np.array(
        [[float(x) for x in row.split(",")[3:5]] for row in (tmp_path / "one.csv").read_text().splitlines()[1:]]
    )
    assert not np.allclose(one[:n], one[n:], atol=1e-6)  # one strand alone is not symmetric


def test_from_scratch_gives_the_recipe_random_weights(tata_dir, tmp_path):
    import torch

    from dnalm.models.build import load_model
    from dnalm.models.shipped import pretrained_path

    quiet, one = {"disable_tqdm": True}, {"candidates": "one"}  # the CNN alone: its weights are compared
    finetune(
        FinetuneConfig(epochs=1, from_scratch=True, learning_rate=1e-9, trainer=quiet, **one), tata_dir, tmp_path / "s"
    )
    finetune(FinetuneConfig(epochs=1, learning_rate=1e-9, trainer=quiet, **one), tata_dir, tmp_path / "p")
    from safetensors.torch import load_file

    shipped = load_file(pretrained_path("dnalm-cnn") / "model.safetensors")
    stem = next(k for k in shipped if k.startswith("body.stem") and k.endswith("weight"))
    (scratch, _), (pre, _) = load_model(tmp_path / "s"), load_model(tmp_path / "p")
    # a learning rate of 1e-9 leaves the weights where they started: the checkpoint's, or random ones
    torch.testing.assert_close(pre.state_dict()[stem], shipped[stem], atol=1e-6, rtol=0)
    assert not torch.allclose(scratch.state_dict()[stem], shipped[stem], atol=1e-3)
    assert json.loads((tmp_path / "s" / "recipe.json").read_text())["model"] == "pos-cnn"


def test_model_config_widens_the_recipes_model_and_refuses_an_unknown_setting(tata_dir, tmp_path):
    import json

    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    cfg = FinetuneConfig(epochs=1, model_config={"channels": 64}, trainer={"disable_tqdm": True})
    finetune(cfg, tata_dir, tmp_path / "m")
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["channels"] == 64 and saved["position_bins"] == 8  # merged over the recipe's choice, not replacing it
    recipe = json.loads((tmp_path / "m" / "recipe.json").read_text())
    # architecture values of one's own: random weights, not the 128-channel checkpoint; recipe.json and its reasons
    # hold the model as trained (they said {'position_bins': 8}, and "random weights, as asked", never asked)
    assert recipe["model"] == "pos-cnn" and recipe["model_config"] == {"position_bins": 8, "channels": 64}
    assert "model_config sets channels, which dnalm-cnn's weights do not have" in recipe["reasons"]["model"]
    assert "as asked" not in recipe["reasons"]["model"] and "yours: channels=64" in recipe["reasons"]["model_config"]
    with pytest.raises(ValueError, match="unknown architecture setting.*'channel'"):
        finetune(FinetuneConfig(epochs=1, model_config={"channel": 64}), tata_dir, tmp_path / "x")


def test_attention_layers_start_the_recipes_convolutions_from_the_pretrained_cnn(tata_dir, tmp_path):
    import torch
    from safetensors.torch import load_file

    from dnalm.finetune.recipe import starts_pretrained
    from dnalm.models.build import load_model
    from dnalm.models.shipped import pretrained_path

    assert starts_pretrained({"attention_layers": 2}) and not starts_pretrained({"attention_layers": 2}, True)
    cfg = FinetuneConfig(
        epochs=1, learning_rate=1e-9, model_config={"attention_layers": 1}, trainer={"disable_tqdm": True}
    )
    finetune(cfg, tata_dir, tmp_path / "a")
    assert json.loads((tmp_path / "a" / "recipe.json").read_text())["model"] == "dnalm-cnn"
    model, _ = load_model(tmp_path / "a")
    assert model.config.attention_layers == 1 and model.body.attention is not None
    shipped = load_file(pretrained_path("dnalm-cnn") / "model.safetensors")
    stem = next(k for k in shipped if k.startswith("body.stem") and k.endswith("weight"))
    torch.testing.assert_close(model.state_dict()[stem], shipped[stem], atol=1e-6, rtol=0)


def test_frozen_gc_hides_existing_objects_from_the_collector_only_inside_the_block():
    import gc

    from dnalm.runtime.hardware import frozen_gc

    gc.unfreeze()  # as in a library user's process (an in-process `dnalm` command in another test freezes)
    with frozen_gc():
        assert gc.get_freeze_count() > 0  # what existed is skipped by collections in the block
        made_inside = [[]]
        made_inside[0].append(made_inside)  # a cycle made in the block
        assert gc.is_tracked(made_inside)
    assert gc.get_freeze_count() == 0  # and collectable again afterwards (nothing kept for good)
    gc.freeze()
    with frozen_gc():  # someone else froze first: theirs stays frozen
        pass
    assert gc.get_freeze_count() > 0
    gc.unfreeze()


def test_candidates_all_trains_each_architecture_on_data_above_the_limit_and_one_trains_the_cnn(tmp_path, monkeypatch):
    import dnalm.finetune.recipe as recipe

    data = _motif_dir(tmp_path, n=300)
    monkeypatch.setattr(recipe, "CANDIDATES_MAX_TRAIN", 100)  # these 240 training sequences are "large"
    for name, candidates, trained in (("auto", "auto", 0), ("all", "all", 4), ("one", "one", 0)):  # 4: and the average
        finetune(FinetuneConfig(seed=0, epochs=1, candidates=candidates, trainer=QUIET), data, tmp_path / name)
        saved = json.loads((tmp_path / name / "recipe.json").read_text())
        assert len(saved["candidates"]) == trained, name
        assert f"candidates: {candidates}" in (tmp_path / name / "dnalm_config.yaml").read_text()
        if not trained:  # one model on large data: the CNN with a second, finer positional head
            fine = recipe.fine_bins(saved["data"]["median_length"])
            assert saved["model_config"] == {"fine_position_bins": fine}, name
            assert json.loads((tmp_path / name / "config.json").read_text())["fine_position_bins"] == fine


def test_one_model_on_large_data_reads_positions_at_two_resolutions_and_small_data_train_candidates():
    import dnalm.finetune.recipe as recipe

    large = choose_recipe(n_train=20_000, lengths=[101] * 20_000, num_labels=2)
    assert large.model == recipe.PRETRAINED_START and large.model_config == {"fine_position_bins": 50}
    assert not large.candidates and "second positional head with 50 bins" in large.reasons["model_config"]
    small = choose_recipe(n_train=2_000, lengths=[300] * 2_000, num_labels=2)
    assert small.model_config == {} and {"position_bins": 64} in small.candidates
    assert choose_recipe(n_train=2_000, lengths=[300] * 2_000, num_labels=2, candidates="one").model_config == {}
    yours = choose_recipe(n_train=20_000, lengths=[101] * 20_000, num_labels=2, model_config={"position_bins": 16})
    assert yours.model_config == {"position_bins": 16}  # the user's architecture, as given
    short = choose_recipe(n_train=20_000, lengths=[20] * 20_000, num_labels=2)
    assert short.model_config == {"position_bins": 0}  # too short for bins: no positional head at all


def test_the_attention_candidate_is_left_out_where_a_training_sequence_is_longer_than_it_takes_whole():
    """Trained on cut sequences it also cut the window of the candidates' average (2,048 tokens), which then scored
    every longer sequence in pieces, the CNNs' too."""
    from dnalm.finetune.recipe import attention_max_bases
    from dnalm.models.build import build_model, model_max_tokens

    most = attention_max_bases()
    model, tok, _ = build_model("pos-cnn", num_labels=2, config_overrides={"attention_layers": 2})
    assert len(tok("A" * most)["input_ids"]) == model_max_tokens(model, tok)  # the whole sequence, no more
    fits = choose_recipe(n_train=300, lengths=[100] * 299 + [most], num_labels=2)
    assert {"attention_layers": 2} in fits.candidates and "not the attention" not in fits.reasons["candidates"]
    for candidates in ("auto", "all"):
        longer = choose_recipe(n_train=300, lengths=[100] * 299 + [most + 1], num_labels=2, candidates=candidates)
        assert longer.candidates == [{}, {"position_bins": 50}]
        assert (
            f"up to {most:,} bases whole and the longest training sequence has {most + 1:,}"
            in (longer.reasons["candidates"])
        )


@pytest.mark.parametrize(
    "settings, match",
    [
        ({"model": "pos-cnn", "candidates": "one"}, "chooses among the default recipe's architectures"),
        ({"candidates": "all", "model_config": {"channels": 64}}, "model_config chooses one"),
        ({"candidates": "all", "time_budget": "1m"}, "a time_budget \\(--time-budget\\) trains one model"),
        (
            {"candidates": "all", "self_pretrain": True},
            "self_pretrain \\(--self-pretrain\\) pretrains and fine-tunes the CNN alone",
        ),
    ],
)
def test_candidates_that_cannot_be_honoured_are_refused_before_the_output_is_taken(tmp_path, settings, match):
    with pytest.raises(ValueError, match=match):
        finetune(FinetuneConfig(**settings), _motif_dir(tmp_path, n=60), tmp_path / "m")
    assert not (tmp_path / "m").exists() and not (tmp_path / "m.partial").exists()
    with pytest.raises(ValueError, match="candidates"):
        FinetuneConfig(candidates="both")


def test_a_candidate_may_start_from_another_checkpoint_and_the_kept_start_is_recorded(tmp_path, monkeypatch):
    """A candidate that names a ``model`` starts from it (here the CNN with an attention layer, pretrained
    together); the kept candidate's start is the model recorded everywhere."""
    import dnalm.finetune.recipe as recipe
    from dnalm.lm.pretrain import PretrainConfig, _build

    lm, tok = _build(PretrainConfig(model="dnalm-cnn", model_config={"attention_layers": 1}), None, tmp_path)
    start = tmp_path / "attention-lm"
    lm.save_pretrained(start)
    tok.save_pretrained(start)
    import dnalm.finetune.train as train

    monkeypatch.setattr(recipe, "CANDIDATES", ({}, {"model": str(start)}))
    monkeypatch.setattr(train, "_average", lambda *a: None)  # one of the two is kept (their average is tested above)
    assert choose_recipe(600, [120] * 600, 2).candidates == [{}, {"model": str(start)}]
    summary = finetune(FinetuneConfig(seed=0, epochs=2, trainer=QUIET), _motif_dir(tmp_path, n=300), tmp_path / "m")
    saved = json.loads((tmp_path / "m" / "recipe.json").read_text())
    assert [c["model"] for c in saved["candidates"]] == ["dnalm-cnn", str(start)]
    (kept,) = [c for c in saved["candidates"] if c["chosen"]]
    assert summary["model"] == saved["model"] == kept["model"]
    assert f"model: {kept['model']}" in (tmp_path / "m" / "dnalm_config.yaml").read_text()
    assert f"| `{kept['model']}` |" in (tmp_path / "m" / "README.md").read_text()


def test_the_recipe_names_an_option_it_cannot_plan_from():
    """epochs=0 was a ZeroDivisionError, NaN a conversion error, problem_type='x' and from_scratch='no' accepted."""
    from dnalm.finetune.recipe import choose_recipe

    base = {"n_train": 3, "lengths": [10] * 3, "num_labels": 2}
    for kw, said in [
        ({"epochs": 0}, "epochs must be a number above 0"),
        ({"epochs": float("nan")}, "epochs must be a number above 0"),
        ({"time_budget_s": -1}, "time_budget_s must be a number above 0"),
        ({"batch_size": 2.5}, "batch_size must be a whole number"),
        ({"batch_size": 0}, "batch_size must be a whole number"),
        ({"problem_type": "x"}, r"problem_type \(--problem-type\) must be one of"),
        ({"from_scratch": "no"}, "from_scratch must be True or False"),
    ]:
        with pytest.raises(ValueError, match=said):
            choose_recipe(**base, **kw)


def test_the_recipe_refuses_no_outputs_and_counts_given_as_text():
    from dnalm.finetune.recipe import choose_recipe

    with pytest.raises(ValueError, match=r"num_labels >= 1\); got 0"):  # a recipe was returned
        choose_recipe(n_train=100, lengths=[60] * 100, num_labels=0)
    with pytest.raises(TypeError, match="n_train must be a whole number; got '100'"):
        choose_recipe(n_train="100", lengths=[60] * 100, num_labels=2)


def test_the_recipe_plans_from_the_epochs_and_batch_the_user_gave():
    """With --epochs 2, recipe.json said 30 epochs, 10 validations and a weight-average half-life of 5% of 300
    steps, while 20 steps ran: the average then reached back to the first steps."""
    from dnalm.finetune.recipe import choose_recipe

    own = choose_recipe(n_train=320, lengths=[60] * 320, num_labels=2)
    given = choose_recipe(n_train=320, lengths=[60] * 320, num_labels=2, epochs=2, batch_size=32)
    assert own.epochs == 30 and given.epochs == 2 and given.reasons["epochs"] == "set for this run (--epochs)"
    steps = 2 * 10  # 320 sequences at batch 32
    assert given.ema_decay == pytest.approx(0.5 ** (1 / max(1.0, 0.05 * steps)), abs=1e-6)
    assert given.evals_per_epoch == 5  # 10 validations in all, as the recipe plans them
    assert own.ema_decay > given.ema_decay


def test_the_recipe_anneals_only_where_early_stopping_can_find_a_plateau():
    from dnalm.finetune.recipe import choose_recipe
    from dnalm.finetune.train import resolve_settings

    recipe = choose_recipe(n_train=500, lengths=[100] * 500, num_labels=2)
    assert resolve_settings(FinetuneConfig(early_stopping_patience=0), "auto", recipe).anneal_epochs == 0
    assert resolve_settings(FinetuneConfig(), "auto", recipe).anneal_epochs == recipe.anneal_epochs
