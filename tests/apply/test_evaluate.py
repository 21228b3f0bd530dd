"""dnalm evaluate and predict's file writer (dnalm.apply.evaluate): options checked before any work, untrained
baselines, a killed run's result."""

from __future__ import annotations

import pytest

from tests.conftest import _dnalm, _kill_when, posix_only


def test_options_a_per_base_model_cannot_follow_are_refused():
    from dnalm.apply.evaluate import _per_base_options

    _per_base_options("mean", None)
    with pytest.raises(ValueError, match="--aggregate max combines a sequence's window scores"):
        _per_base_options("max", None)  # the output was byte-identical with or without
    with pytest.raises(ValueError, match="--rc averages whole-sequence scores of both strands"):
        _per_base_options("mean", True)


def test_an_unknown_keyword_names_the_function_and_a_close_one(tmp_path, tata_dir, tata_model):
    """inspect's "got an unexpected keyword argument 'splt'" named no function."""
    from dnalm.apply.evaluate import evaluate

    with pytest.raises(TypeError, match=r"^evaluate\(\): got an unexpected keyword .*'splt' \(did you mean 'split'"):
        evaluate(tata_model, tata_dir, tmp_path / "ev", splt="dev")


def test_an_untrained_baseline_is_built_for_the_task_it_is_given(tmp_path):
    """evaluate --untrained built a single-label classifier whatever the data: multi-label labels a;b became classes
    ';', 'a', 'a;b', 'b', and integer regression targets a 5-class classifier."""
    from dnalm.apply.evaluate import evaluate

    data = tmp_path / "ml.csv"
    data.write_text(
        "sequence,label\n"
        + "".join(
            f"{s},{lab}\n"
            for s, lab in [("ACGTACGTAA", "a;b"), ("TTTTACGTAC", ";"), ("ACGGGGGTAC", "a"), ("CCCCACGTAC", "b")] * 3
        )
    )
    metrics = evaluate("cnn", data, tmp_path / "e", untrained=True, problem_type="multi_label_classification")
    assert metrics["labels"] == ["a", "b"] and "subset_accuracy" in metrics
    with pytest.raises(ValueError, match=r"problem_type \(--problem-type\) is the fresh head's task with --untrained"):
        evaluate("cnn", data, tmp_path / "e2", problem_type="regression")


@posix_only
def test_predict_killed_mid_write_leaves_no_partial_file(tmp_path):
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">s{i}\n{'ACGTTGCA' * 12}\n" for i in range(12_000)))
    out = tmp_path / "p.tsv"
    out.write_text("the previous predictions\n")  # not dnalm's: --overwrite
    cmd = _dnalm("predict", tmp_path / "m", fasta, "-o", out, "--overwrite")
    _kill_when(cmd, lambda: any(tmp_path.glob(".p.tsv.partial-*")))  # while the result is being written
    assert out.read_text() == "the previous predictions\n"  # whole, untouched
    from dnalm.apply.evaluate import predict_file

    predict_file(str(tmp_path / "m"), fasta, out, overwrite=True)  # the re-run
    assert len(out.read_text().splitlines()) == 12_001
    assert not list(tmp_path.glob(".p.tsv.partial-*"))  # the killed run's temporary file is gone too


def test_predict_checks_its_output_path_before_loading_the_model(tmp_path, monkeypatch):
    import dnalm.models.build
    from dnalm.apply.evaluate import predict_file

    def never(*args, **kwargs):
        raise AssertionError("the model was loaded before the output path was checked")

    monkeypatch.setattr(dnalm.models.build, "load_model", never)
    (tmp_path / "in.fa").write_text(">a\nACGT\n")
    with pytest.raises(ValueError, match="is a folder"):
        predict_file("any-model", tmp_path / "in.fa", tmp_path)


def test_synth_then_finetune_then_evaluate_on_the_test_split(tmp_path):
    from typer.testing import CliRunner

    from dnalm.cli import app

    run = CliRunner().invoke
    assert run(app, ["synth", "tata", "-o", str(tmp_path / "d"), "--n", "200", "--length", "40"]).exit_code == 0
    assert (
        run(
            app, ["finetune", str(tmp_path / "d"), "-o", str(tmp_path / "m"), "--model", "pos-cnn", "--epochs", "1"]
        ).exit_code
        == 0
    )
    r = run(app, ["evaluate", str(tmp_path / "m"), str(tmp_path / "d"), "--split", "test", "-o", str(tmp_path / "e")])
    assert r.exit_code == 0, r.output
    r = run(app, ["evaluate", str(tmp_path / "m"), str(tmp_path / "d"), "--split", "tset", "-o", str(tmp_path / "e")])
    assert r.exit_code != 0 and "--split" in r.output and "split=" not in r.output
