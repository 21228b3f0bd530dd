"""Reliability probes (issue 12): output paths checked before any work, whole files or none, valid JSON."""

from __future__ import annotations

import dataclasses
import json
import os

import pytest

from dnalm.io.files import atomic_open, check_output_file, write_json


def test_a_failed_write_leaves_the_previous_file_and_no_partial_one(tmp_path):
    out = tmp_path / "predictions.tsv"
    out.write_text("the previous result\n")
    with pytest.raises(OSError, match="nothing was written there"), atomic_open(out) as fh:
        fh.write("id\tscore\n" * 1000)
        raise OSError(28, "No space left on device")  # what a full disk raises part-way
    assert out.read_text() == "the previous result\n"
    assert os.listdir(tmp_path) == ["predictions.tsv"]


def test_metrics_json_holds_null_not_nan(tmp_path):
    write_json(tmp_path / "m.json", {"mcc": float("nan"), "auroc": 0.5, "curve": [float("inf")]})
    text = (tmp_path / "m.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"mcc": None, "auroc": 0.5, "curve": [None]}


@pytest.mark.parametrize("case", ["folder", "parent is a file", "read-only"])
def test_bad_output_paths_are_refused_before_any_work(tmp_path, case):
    if case == "folder":
        path, match = tmp_path, "is a folder"
    elif case == "parent is a file":
        (tmp_path / "f").write_text("x")
        path, match = tmp_path / "f" / "out.tsv", "is a file, not a folder"
    else:
        if os.geteuid() == 0:
            pytest.skip("root may write anywhere: the permission probe needs an ordinary user")
        (tmp_path / "ro").mkdir(mode=0o555)
        path, match = tmp_path / "ro" / "out.tsv", "no permission"
    with pytest.raises(ValueError, match=match):
        check_output_file(path)


def test_predict_checks_its_output_path_before_loading_the_model(tmp_path, monkeypatch):
    import dnalm.models.build
    from dnalm.apply.evaluate import predict_file

    def never(*args, **kwargs):
        raise AssertionError("the model was loaded before the output path was checked")

    monkeypatch.setattr(dnalm.models.build, "load_model", never)
    (tmp_path / "in.fa").write_text(">a\nACGT\n")
    with pytest.raises(ValueError, match="is a folder"):
        predict_file("any-model", tmp_path / "in.fa", tmp_path)


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


def _fake_corpus(folder, bases):
    (folder / "train").mkdir(parents=True)
    (folder / "train" / "data-00000-of-00001.arrow").write_bytes(b"x" * bases)
    (folder / "dataset_dict.json").write_text('{"splits": ["train"]}')
    write_json(
        folder / "summary.json",
        {"fastas": [f"/data/{folder.name}.fa"], "seed": 0, "train": {"segments": bases // 10, "bases": bases}},
    )
    return folder


def test_pretrain_resume_refuses_other_settings_or_another_corpus(tmp_path):
    import yaml

    from dnalm.lm.pretrain import PretrainConfig, corpus_digest, pretrain, resume_differences

    first, other = _fake_corpus(tmp_path / "c1", 1000), _fake_corpus(tmp_path / "c2", 2000)
    cfg = PretrainConfig(model="tiny", max_steps=6, learning_rate=1e-3, trainer={"disable_tqdm": True})
    out = tmp_path / "run"  # what a run killed after its first checkpoint leaves
    (out / "checkpoints" / "checkpoint-3").mkdir(parents=True)
    (out / "checkpoints" / "checkpoint-3" / "trainer_state.json").write_text('{"max_steps": 6, "eval_steps": 3}')
    (out / "dnalm_pretrain.yaml").write_text(yaml.safe_dump({**dataclasses.asdict(cfg), "eval_steps": 3}))
    write_json(out / "dnalm_pretrain_corpus.json", corpus_digest(first))
    with pytest.raises(ValueError, match=r"learning_rate was 0.001, now 0.0005.*another output folder"):
        pretrain(dataclasses.replace(cfg, learning_rate=5e-4), first, out, resume=True)
    with pytest.raises(ValueError, match=r"the corpus differs \(summary.json fastas, summary.json train, data files\)"):
        pretrain(cfg, other, out, resume=True)
    saved = yaml.safe_load((out / "dnalm_pretrain.yaml").read_text())
    saved_corpus = json.loads((out / "dnalm_pretrain_corpus.json").read_text())
    moved = tmp_path / "moved" / "c1"  # the plan may differ (a resumed run keeps its checkpoint's), and the place
    moved.parent.mkdir()
    first.rename(moved)
    assert (
        resume_differences(
            saved,
            dataclasses.replace(cfg, max_steps=60, time_budget="5m", eval_steps=7),
            saved_corpus,
            corpus_digest(moved),
        )
        == []
    )


def test_pretrain_resume_is_not_blocked_by_cache_files_another_run_wrote_into_the_corpus(tmp_path):
    """``datasets`` writes ``cache-*.arrow`` beside a corpus's data whenever a run tokenizes it, so a second
    pretraining on the same corpus (another model, another length) once made a killed run's resume refuse
    "the corpus differs (data files)"."""
    from dnalm.lm.pretrain import PretrainConfig, corpus_digest, resume_differences

    corpus = _fake_corpus(tmp_path / "c", 1000)
    cfg = PretrainConfig(model="tiny")
    saved, before = json.loads(json.dumps(dataclasses.asdict(cfg))), corpus_digest(corpus)
    (corpus / "train" / "cache-0123456789abcdef.arrow").write_bytes(b"y" * 50)  # the other run's tokens
    assert resume_differences(saved, cfg, before, corpus_digest(corpus)) == []
    older = {**before, "files": {**before["files"], "train/cache-fedcba9876543210.arrow": 70}}  # as dnalm saved it
    assert resume_differences(saved, cfg, older, corpus_digest(corpus)) == []
    (corpus / "train" / "data-00000-of-00001.arrow").write_bytes(b"x" * 999)  # the corpus itself changed
    assert resume_differences(saved, cfg, before, corpus_digest(corpus)) == ["the corpus differs (data files)"]


def test_a_dollar_folder_name_is_not_read_as_mathtext(tmp_path):
    from dnalm.apply.evaluate import plot_confusion_matrix

    plot_confusion_matrix([[3, 1], [0, 4]], ["0", "1"], tmp_path / "cm.png", title="run_$a^b^c$ [test]")
    assert (tmp_path / "cm.png").stat().st_size > 1000


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


@pytest.mark.parametrize("size", ["0", "-1"])
def test_a_batch_size_below_one_is_one_clear_line_everywhere(tmp_path, size):
    """Item 13: ``--batch-size 0`` crashed inside range() and ``-1`` with a TypeError; now every command
    refuses it before any work, and the library says what is wrong."""
    from typer.testing import CliRunner

    from dnalm.apply.predict import predict_proba
    from dnalm.cli import app
    from dnalm.interpret.attributions import gradient_attributions
    from dnalm.lm.pretrain import PretrainConfig
    from dnalm.models.build import build_model

    (tmp_path / "x.fa").write_text(">a\nACGT\n")
    for command in ("predict", "evaluate", "scan", "embed", "interpret"):
        out = ["-o", str(tmp_path / "e.npy")] if command == "embed" else []
        res = CliRunner().invoke(app, [command, "tiny", str(tmp_path / "x.fa"), "--batch-size", size, *out])
        assert res.exit_code == 2 and "--batch-size" in res.output and "Traceback" not in res.output, command
    for command in ("finetune", "pretrain"):
        res = CliRunner().invoke(
            app, [command, str(tmp_path / "x.fa"), "--batch-size", size, "-o", str(tmp_path / "o")]
        )
        assert res.exit_code == 2 and "--batch-size" in res.output, command
    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    with pytest.raises(ValueError, match=f"batch size must be a whole number of at least 1; got {size}"):
        predict_proba(model, tok, ["ACGT"], batch_size=int(size))
    with pytest.raises(ValueError, match="batch size must be a whole number"):
        gradient_attributions(model, tok, ["ACGT"], method="gradxinput", batch_size=int(size))
    with pytest.raises(ValueError, match=r"batch_size \(--batch-size\) must be in \[1, 1000000\]"):
        PretrainConfig(batch_size=int(size))


def test_a_benchmark_run_key_changes_with_the_dnalm_version(tmp_path, monkeypatch):
    """Item 3: the run key holds the dnalm version, so an upgrade redoes the runs rather than mixing them."""
    import dnalm._version
    from dnalm.experiment.config import BenchmarkConfig, RunKey
    from dnalm.finetune.config import FinetuneConfig

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "test.csv").write_text("sequence,label\nACGT,1\nGGCA,0\n")
    bench = BenchmarkConfig.from_dict({"datasets": {"d": str(tmp_path / "d")}, "models": {"m": "tiny"}})
    run, ft = RunKey("d", "m", 0), FinetuneConfig(model="tiny")
    before = bench.run_key(run, ft)
    assert bench.run_key(run, ft) == before
    monkeypatch.setattr(dnalm._version, "__version__", "9.9.9")
    after = bench.run_key(run, ft)
    assert after["key"] != before["key"] and after["parts"]["dnalm_version"] == "9.9.9"
