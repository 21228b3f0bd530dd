"""Faults of the Python API and of settings files that a careless or hostile user found (the third probe sweep),
each as the class it belongs to: a flag taken by its truthiness, a bool read as a duration, a check the Python
constructor skipped, a value checked only once training had started, a deep library error."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from dnalm.finetune.config import FinetuneConfig


@pytest.mark.parametrize("field", ["time_budget", "checkpoint_interval", "self_pretrain_budget"])
@pytest.mark.parametrize("value", [True, False, [1]])
def test_a_flag_or_a_list_is_no_duration(field, value):
    """YAML's yes/no: time_budget: yes was a 1-second budget, checkpoint_interval: no 'every epoch'."""
    with pytest.raises(ValueError, match=rf"{field}( \(--[a-z-]+\))? must be a duration such as 90s, 10m, 1h or 1h30m"):
        FinetuneConfig(**{field: value})
    assert FinetuneConfig(time_budget=np.int64(5)).time_budget == 5.0  # a numpy number is a number


def test_a_duration_refused_from_a_settings_file_names_the_file(tmp_path):
    for text in ("time_budget: yes\n", "time_budget: 10x\n", "time_budget: -5\n"):
        (tmp_path / "c.yaml").write_text(text)
        with pytest.raises(ValueError, match=r"time_budget .*\[.*c.yaml\]"):
            FinetuneConfig.load(tmp_path / "c.yaml")


def test_yaml_merge_keys_are_read_and_an_explicit_key_wins(tmp_path):
    from dnalm.settings import load_yaml

    (tmp_path / "m.yaml").write_text("defaults: &d {epochs: 1, model: cnn}\nrun:\n  <<: *d\n  epochs: 2\n")
    assert load_yaml(tmp_path / "m.yaml")["run"] == {"epochs": 2, "model": "cnn"}


def test_a_flag_of_the_python_api_is_true_or_false_not_truthy(tata_model, tmp_path):
    from dnalm.apply.predict import predict_proba
    from dnalm.finetune.train import finetune
    from dnalm.models.build import load_model
    from dnalm.models.ref import ModelRef

    with pytest.raises(ValueError, match="trust_remote_code must be True or False; got 'no'"):
        ModelRef.resolve("tiny", trust_remote_code="no")  # "no" opened the gate to a checkpoint's own code
    from dnalm.tokenizers.dna import load_tokenizer

    with pytest.raises(ValueError, match="trust_remote_code must be True or False; got 'no'"):
        load_tokenizer("owner/name", trust_remote_code="no")
    before = (tata_model / "model.safetensors").read_bytes()
    with pytest.raises(ValueError, match=r"overwrite must be True or False \(or None\); got 'no'"):
        finetune(FinetuneConfig(model="cnn", epochs=1), None, tata_model, overwrite="no")  # it replaced the model
    assert (tata_model / "model.safetensors").read_bytes() == before
    model, tok = load_model(tata_model)
    with pytest.raises(ValueError, match="reverse_complement_average must be True or False; got 'no'"):
        predict_proba(model, tok, ["ACGTTATAAAGCGCGTACGA" * 3], reverse_complement_average="no")


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


def test_the_python_constructor_runs_the_checks_a_settings_file_gets(tmp_path):
    for values, message in (
        ({"trainer": {"output_dir": str(tmp_path / "elsewhere")}}, "trainer.output_dir is dnalm's to set"),
        ({"trainer": {"num_train_epochs": 50}}, "trainer.num_train_epochs is dnalm's to set: use epochs"),
        # dnalm's own settings, checked and recorded: trainer.learning_rate 5 ran unchecked, the summary said 0.001
        ({"trainer": {"learning_rate": 5}}, r"trainer.learning_rate is dnalm's to set: use learning_rate \(--learning"),
        ({"trainer": {"per_device_train_batch_size": 3}}, "trainer.per_device_train_batch_size is dnalm's to set"),
        ({"trainer": {"weight_decay": -3}}, "trainer.weight_decay is dnalm's to set: use weight_decay"),
        ({"trainer": {"seed": 1}}, r"trainer.seed is dnalm's to set: use seed \(--seed\)"),
        ({"trainer": {"bogus": 1}}, r"unknown trainer setting \(transformers.TrainingArguments\) 'bogus'"),
        ({"trainer": {"adam_beta1": "banana"}}, "trainer.adam_beta1 must be a number; got 'banana'"),
        ({"trainer": {"bf16": "no"}}, "trainer.bf16 must be true or false; got 'no'"),
        ({"lr_scheduler": "cosin"}, r"lr_scheduler must be one of linear, cosine, .*got 'cosin' \(did you mean"),
    ):
        with pytest.raises(ValueError, match=message):
            FinetuneConfig(**values)
    assert not (tmp_path / "elsewhere").exists()
    (tmp_path / "c.yaml").write_text("lr_scheduler: bogus\n")
    with pytest.raises(ValueError, match=r"lr_scheduler must be one of .* \[.*c.yaml\]"):
        FinetuneConfig.load(tmp_path / "c.yaml")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"mlm_schedule": [[0, 2.0]]}, r"mlm_schedule: .*probabilities lie in \(0, 1\); got \[0, 2.0\]"),  # it hung
        ({"mlm_schedule": [0, 0.15]}, r"mlm_schedule must be \[\[fraction_of_training, probability\], ...\]"),
        ({"mlm_schedule": [["a", "b"]]}, r"got \['a', 'b'\] in it"),
        ({"mlm_schedule": [[0.5, 0.15]]}, "starting at 0"),
        ({"lr_scheduler": "bogus"}, "lr_scheduler must be one of"),
        ({"trainer": {"max_steps": 5}}, "trainer.max_steps is dnalm's to set: use max_steps instead$"),
    ],
)
def test_pretraining_settings_are_checked_before_any_work(values, message):
    from dnalm.lm.pretrain import PretrainConfig

    with pytest.raises(ValueError, match=message):
        PretrainConfig(**values)
    assert PretrainConfig(mlm_schedule=[[0, 0.15], [0.83, 0.2]]).mlm_schedule == [[0.0, 0.15], [0.83, 0.2]]


def test_a_masking_schedule_above_one_is_refused_not_looped_on():
    from dnalm.lm.masking import KmerMaskingCollator, MaskingSchedule
    from dnalm.tokenizers.dna import KmerTokenizer

    with pytest.raises(ValueError, match=r"probabilities lie in \(0, 1\)"):
        MaskingSchedule(KmerMaskingCollator(KmerTokenizer(k=6)), [(0.0, 2.0)])


def _bench(tmp_path, data, **extra) -> str:
    cfg = {"datasets": {"toy": str(data)}, "models": {"g": {"model": "cnn-gb", "epochs": 1}}, "seeds": [0], **extra}
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(cfg))
    return tmp_path / "b.yaml"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"audit": "false"}, r"audit must be true or false; got 'false'"),  # taken as true
        ({"keep_models": "no"}, r"keep_models must be true or false; got 'no'"),
        (
            {"eval_batch_size": 0},
            r"eval_batch_size must be in \[1, 1000000\]; got 0",
        ),  # refused after training, as --batch-size
        ({"split": "bogus"}, r"dataset 'toy' has no 'bogus' split \(it has dev, test, train\)"),  # after training
        ({"finetune": [1]}, r"finetune must be a mapping; got \[1\]"),  # a raw TypeError
        (
            {"search": {"method": "optuna", "n_trials": 2, "space": {"warmup_ratio": {"low": 0.5, "high": 5}}}},
            r"model 'g', search.space.warmup_ratio: warmup_ratio must be in \[0, 1\); got 5",  # failed only if a trial drew a value above 1
        ),
    ],
)
def test_benchmark_settings_are_checked_as_the_file_loads(tmp_path, tata_dir, extra, message):
    from dnalm.experiment.config import BenchmarkConfig

    with pytest.raises(ValueError, match=rf"b.yaml: .*{message}"):
        BenchmarkConfig.load(_bench(tmp_path, tata_dir, **extra))


def test_finetune_says_what_it_takes_when_given_something_else(tmp_path):
    from dnalm.finetune.train import finetune

    with pytest.raises(TypeError, match="finetune takes its settings as a FinetuneConfig"):
        finetune("cnn-gb", None, tmp_path / "o")
    with pytest.raises(TypeError, match="classes must map each label to its FASTA file"):
        finetune(FinetuneConfig(model="cnn"), None, tmp_path / "o", classes=["a=x.fa"])
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("preset", ["tiny", "mini"])
def test_a_transformer_of_impossible_size_is_refused_in_one_line(preset):
    """num_hidden_layers -1 built (and pretrained) a model; a width of 2.5 reached transformers' strict checks."""
    from dnalm.models.build import build_model

    for overrides, message in (
        ({"num_hidden_layers": -1}, "num_hidden_layers must be a whole number >= 1; got -1"),
        ({"hidden_size": 2.5}, "hidden_size must be a whole number >= 1; got 2.5"),
        ({"num_attention_heads": 3}, r"num_attention_heads \(3\) must divide hidden_size \(128\)"),
    ):
        with pytest.raises(ValueError, match=f"architecture setting {message}"):
            build_model(preset, num_labels=2, seed=0, config_overrides=overrides, train_sequences=["ACGT" * 10])


def test_embedding_ids_stay_one_a_line(tmp_path, caplog):
    """A quoted CSV id holding a line break gave 4 id lines for 3 vectors: every later id on the wrong row."""
    from dnalm.lm.inference import write_embeddings

    write_embeddings(np.zeros((3, 2)), ["a", "b\nc", "d"], tmp_path / "e.npy")
    assert (tmp_path / "e.ids.txt").read_text().splitlines() == ["a", "b\\nc", "d"]
    assert "1 ids hold a line break" in caplog.text


def test_an_empty_logo_draws_without_a_library_warning(tmp_path):
    """interpret on an all-N record let matplotlib's 'identical low and high ylims' warning through."""
    import warnings

    from dnalm.plots import plot_logo

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_logo(np.zeros((20, 4)), tmp_path / "logo.png", "all N")
    assert (tmp_path / "logo.png").stat().st_size > 1000


def test_small_oddities_of_labels_and_names_are_said(tmp_path, caplog):
    from dnalm.io import Record
    from dnalm.models.ref import ModelRef
    from dnalm.tasks import _class_index, get_task

    with pytest.raises(ValueError, match="model is empty"):  # it was read as the current folder
        ModelRef.resolve("")
    records = [Record(str(i), "ACGT", label) for i, label in enumerate(["Pos", "pos", "neg"])]
    assert get_task("single_label_classification").label_names(records) == ["Pos", "neg", "pos"]
    assert "labels 'Pos' and 'pos' differ only in case: they are 2 classes" in caplog.text
    with pytest.raises(ValueError, match=r"not among the training labels \['s0', .*\] \.\.\. \(84 in all\)$"):
        _class_index([f"s{i}" for i in range(84)], "other", "r1")  # a sequence column taken for the labels
    with pytest.raises(ValueError, match=r"epochs \(--epochs\) must be in \(0, 100000\]; got 1e\+300"):
        FinetuneConfig(epochs=1e300)


def test_an_option_over_a_settings_file_key_is_said(tmp_path, caplog):
    (tmp_path / "c.yaml").write_text("seed: 5\nepochs: 2\n")
    with caplog.at_level("INFO"):
        cfg = FinetuneConfig.load(tmp_path / "c.yaml", seed=3, epochs=2)
    assert cfg.seed == 3 and "seed 3 from the command line replaces 5 from" in caplog.text
    assert "epochs" not in caplog.text  # the same value: nothing to say


def test_the_audit_api_has_the_bounds_the_command_has(tata_dir, tmp_path):
    from dnalm.audit import audit_dataset, write_deduplicated

    for kwargs, message in (
        ({"min_shared": 0}, r"min_shared \(--min-shared\) must be in \[1, 1000000\]; got 0"),  # a numpy broadcast error
        ({"min_shared": 1.5}, r"min_shared \(--min-shared\) must be a whole number; got 1.5"),
        ({"max_ids": -1}, r"max_ids \(--max-ids\) must be in \[0, 1000000000\]; got -1"),
    ):
        with pytest.raises(ValueError, match=message):
            audit_dataset(tata_dir, **kwargs)
    with pytest.raises(ValueError, match=r"min_shared \(--min-shared\) must be in \[1, 1000000\]"):
        write_deduplicated(tata_dir, tmp_path / "clean", min_shared=0)
    assert not (tmp_path / "clean").exists()


def test_an_output_that_is_not_a_path_is_refused(tmp_path, monkeypatch):
    from dnalm.finetune.train import finetune

    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match="an output must be a path"):
        finetune(FinetuneConfig(model="cnn"), None, 7)
    assert list(tmp_path.iterdir()) == []


def test_a_benchmark_given_as_a_file_name_says_how_to_load_it(tmp_path):
    from dnalm.experiment.runner import run_benchmark
    from dnalm.experiment.search import run_search

    for run in (run_benchmark, run_search):
        with pytest.raises(TypeError, match=r"give a BenchmarkConfig, e.g. BenchmarkConfig.load\('benchmark.yaml'\)"):
            run("cfg.yaml", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_recipe_refuses_no_outputs_and_counts_given_as_text():
    from dnalm.finetune.recipe import choose_recipe

    with pytest.raises(ValueError, match=r"num_labels >= 1\); got 0"):  # a recipe was returned
        choose_recipe(n_train=100, lengths=[60] * 100, num_labels=0)
    with pytest.raises(TypeError, match="n_train must be a whole number; got '100'"):
        choose_recipe(n_train="100", lengths=[60] * 100, num_labels=2)


def test_regression_labels_that_are_infinite_are_refused_and_any_scale_is_standardised(caplog):
    from dnalm.finetune.data import LabelSpace
    from dnalm.io import Record
    from dnalm.tasks import get_task

    task = get_task("regression")
    with pytest.raises(ValueError, match=r"record 'r1': label '1e400' is not a finite number \(regression\)"):
        task.encode(["value"], "1e400", "r1")  # training ran on an infinite target
    records = [Record(str(i), "ACGT", str(10_000 + 500 * i)) for i in range(20)]
    space = LabelSpace.from_records(records, "regression", standardise=True)
    assert space.scale == pytest.approx((14_750, 500 * np.std(np.arange(20))))
    assert space.encode("14750") == 0 and space.unscale(np.array([1.0]))[0] == pytest.approx(14_750 + space.scale[1])
    same = LabelSpace.from_records([Record("a", "ACGT", "3"), Record("b", "ACGT", "3")], "regression", standardise=True)
    assert same.scale == (3.0, 1.0)  # one value: shifted, not divided by 0
    assert LabelSpace.from_records(records, "regression").scale is None  # evaluation reads label units


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


def test_options_a_per_base_model_cannot_follow_are_refused():
    from dnalm.apply.evaluate import _per_base_options

    _per_base_options("mean", None)
    with pytest.raises(ValueError, match="--aggregate max combines a sequence's window scores"):
        _per_base_options("max", None)  # the output was byte-identical with or without
    with pytest.raises(ValueError, match="--rc averages whole-sequence scores of both strands"):
        _per_base_options("mean", True)


def test_the_recipe_plans_from_the_epochs_and_batch_the_user_gave():
    """With --epochs 2, recipe.json said 30 epochs, 10 validations and a weight-average half-life of 5% of 300
    steps, while 20 steps ran: the average then reached back to the first steps."""
    from dnalm.finetune.recipe import choose_recipe

    own = choose_recipe(n_train=320, lengths=[60] * 320, num_labels=2)
    given = choose_recipe(n_train=320, lengths=[60] * 320, num_labels=2, epochs=2, batch_size=32)
    assert own.epochs == 30 and given.epochs == 2 and given.reasons["epochs"] == "given (--epochs)"
    steps = 2 * 10  # 320 sequences at batch 32
    assert given.ema_decay == pytest.approx(0.5 ** (1 / max(1.0, 0.05 * steps)), abs=1e-6)
    assert given.evals_per_epoch == 5  # 10 validations in all, as the recipe plans them
    assert own.ema_decay > given.ema_decay


def test_resuming_a_finished_pretraining_is_refused(tmp_path):
    """--resume on a finished run trained one step more each time (a 5-step run became 6, then 7)."""
    from dnalm.lm.pretrain import PretrainConfig, _prepare_output

    (tmp_path / "pretrain_summary.json").write_text("{}")
    with pytest.raises(ValueError, match="holds a finished pretraining: there is nothing to resume"):
        _prepare_output(PretrainConfig(), None, tmp_path, True, False)


@pytest.mark.parametrize("command", ["finetune", "pretrain"])
def test_resume_with_overwrite_is_one_rule_for_every_command(tmp_path, command):
    """finetune said 'no stopped run to continue', pretrain 'give one of them'."""
    from typer.testing import CliRunner

    from dnalm.cli import app

    (tmp_path / "d.fa").write_text(">a\nACGT\n")
    res = CliRunner().invoke(
        app, [command, str(tmp_path / "d.fa"), "-o", str(tmp_path / "o"), "--resume", "--overwrite"]
    )
    assert res.exit_code == 2 and "--resume continues a run and --overwrite replaces it: give one of them" in res.output


def test_lm_side_arguments_in_range(tmp_path, caplog):
    from dnalm.lm.corpus import CorpusSettings
    from dnalm.lm.inference import embed
    from dnalm.lm.pretrain import PretrainConfig
    from dnalm.models.build import build_model
    from dnalm.tokenizers.build import KmerSettings

    with pytest.raises(
        ValueError, match=r"max_length must be in \[8, 10000000\]; got 2"
    ):  # range() arg 3 must not be zero
        PretrainConfig(max_length=2)
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) must be in \[1, 1000000000\]"):  # numpy's int64
        CorpusSettings(max_length=10**20)
    with pytest.raises(ValueError, match=r"block_size \(--block-size, 10\) must be at least min_length"):
        CorpusSettings(block_size=10)  # every base was dropped, then "the train part of the corpus is empty"
    with pytest.raises(
        ValueError, match=r"max_length \(--max-length, 1000\) is more than block_size \(--block-size, 500"
    ):
        CorpusSettings(block_size=500, min_length=100, max_length=1000)  # segments were silently at most 500
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) must be in \[3, 10000000\]; got 1"):
        KmerSettings(max_length=1)
    model, tok, _ = build_model("tiny", num_labels=2, seed=0)
    encoder = model.base_model
    with pytest.raises(TypeError, match="give a list of sequences"):  # one vector per base came back
        embed(None, "ACGTACGTACGT", model=encoder, tokenizer=tok)
    vectors = embed(None, ["ACG", "ACGTACGTACGT"], model=encoder, tokenizer=tok)  # the first is shorter than k
    assert vectors.shape[0] == 2 and "1 window(s) of 1 sequence(s) hold no token of sequence" in caplog.text
    assert "(the first: sequence 0, 0-based" in caplog.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "dnalm_tokenizer.json: not valid JSON"),
        ("[1, 2]", "dnalm_tokenizer.json: not a dnalm tokenizer description"),
        ('{"type": "kmer", "k": 6, "colour": "red"}', r"dnalm_tokenizer.json: .*colour"),
    ],
)
def test_a_damaged_tokenizer_description_is_named(tmp_path, text, message):
    from dnalm.tokenizers.dna import KmerTokenizer, load_tokenizer

    KmerTokenizer(k=6).save_pretrained(tmp_path)
    (tmp_path / "dnalm_tokenizer.json").write_text(text)
    with pytest.raises(ValueError, match=message):
        load_tokenizer(tmp_path)


def test_decode_refuses_ids_that_are_not_of_the_vocabulary():
    from dnalm.tokenizers.dna import KmerTokenizer

    tok = KmerTokenizer(k=6)
    ids = tok("ACGTACGT")["input_ids"]
    assert tok.decode(ids) == tok.decode(np.array(ids)) == "[CLS] ACGTAC CGTACG GTACGT [SEP]"
    for bad in ([2, -1, 3], [2, 99_999], [2.7], [[2, 3]]):  # -1 read the last token, 2.7 token 2
        with pytest.raises(ValueError, match="decode takes one sequence of token ids, whole numbers from 0 to 4100"):
            tok.decode(bad)


def test_a_tokenizer_call_names_the_argument_that_is_wrong():
    from dnalm.tokenizers.dna import KmerTokenizer

    tok = KmerTokenizer(k=6)
    for args, kwargs, error, message in (
        ((b"ACGT",), {}, TypeError, "give a sequence \\(str\\) or a list of them; got bytes"),
        ((None,), {}, TypeError, "got NoneType"),
        ((["ACGTAC", 3],), {}, TypeError, "sequence 1 is int, not text"),
        (([],), {}, ValueError, "give at least one sequence to tokenize"),  # an IndexError
        (("ACGTACGT",), {"truncation": True, "max_length": 2.5}, ValueError, "max_length must be a whole number"),
        (("ACGT",), {"padding": "bogus"}, ValueError, "padding must be True, False"),  # ignored
        (("ACGT",), {"padding": True, "pad_to_multiple_of": -2}, ValueError, "pad_to_multiple_of must be"),
    ):
        with pytest.raises(error, match=message):
            tok(*args, **kwargs)
    assert tok(s for s in ["ACGTAC", "ACGTACG"])["input_ids"] == [[2, 727, 3], [2, 727, 2896, 3]]  # a generator


def test_a_stopped_runs_leftovers_are_said_without_a_previous_result_that_is_not_there(tmp_path, caplog):
    from dnalm.io.files import start_folder

    final = tmp_path / "m"
    start_folder(final, owned_marker="dnalm_config.yaml")  # a run that stopped: only m.partial is left
    start_folder(final, owned_marker="dnalm_config.yaml")
    assert "what a stopped run left (there is no earlier m)" in caplog.text  # it said m held the previous result


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


def test_python_api_arguments_of_the_wrong_kind_are_named(tmp_path, tata_dir):
    """None or a list where a path goes, a None tokenizer, kinds='exact' and a figure into a missing folder gave
    pathlib's TypeError, an AttributeError, letters as kinds ('a', 'c', 'e'...) and the name of a temporary file."""
    from dnalm.apply.predict import predict_proba
    from dnalm.audit import write_deduplicated
    from dnalm.experiment.config import BenchmarkConfig
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune
    from dnalm.io import read_sequences
    from dnalm.models.build import build_model
    from dnalm.plots import plot_confusion_matrix
    from dnalm.tokenizers.dna import load_tokenizer

    for call, message in (
        (lambda: list(read_sequences(None)), r"path must be a path \(str or pathlib.Path\); got None"),
        (lambda: list(read_sequences([str(tata_dir)])), r"path must be a path .*; got \["),
        (lambda: load_tokenizer(None), r"name_or_path must be a path"),
        (lambda: BenchmarkConfig.load(None), r"path must be a path"),
        (lambda: finetune(FinetuneConfig(), tata_dir, None), r"an output must be a path .*; got None"),
    ):
        with pytest.raises(TypeError, match=message):
            call()
    model, _, _ = build_model("cnn", seed=0)
    with pytest.raises(TypeError, match="tokenizer must be a loaded tokenizer"):
        predict_proba(model, None, ["ACGT"])
    copied = write_deduplicated(tata_dir, tmp_path / "dd", kinds="exact")  # as the command's --dedup-kinds
    assert set(copied["removed_by_reason"]) <= {"exact"} and (tmp_path / "dd" / "removed.tsv").is_file()
    with pytest.raises(FileNotFoundError, match=r"could not write .*cm.png: the folder .*nodir does not exist"):
        plot_confusion_matrix(np.eye(2, dtype=int), ["a", "b"], tmp_path / "nodir" / "cm.png")


def test_a_model_and_a_tokenizer_that_do_not_belong_together_are_refused_in_one_line(tata_model):
    """A single-base tokenizer fed a 6-mer model scored without a word, the reverse failed in torch ('index out of
    range'); one string was explained letter by letter; a model given with a path ignored the path."""
    from dnalm.apply.predict import predict_proba
    from dnalm.interpret.attributions import gradient_attributions, saturation_mutagenesis
    from dnalm.lm.inference import embed, fill_mask, load_masked_lm
    from dnalm.models.build import load_model
    from dnalm.tokenizers.dna import BaseTokenizer

    model, tok = load_model(tata_model)  # a 6-mer BERT
    bases = BaseTokenizer()
    seq = "ACGTTATAAAGCGCGTACGA" * 3
    for call in (
        lambda: predict_proba(model, bases, [seq]),
        lambda: saturation_mutagenesis(model, bases, [seq]),
        lambda: gradient_attributions(model, bases, [seq], method="gradxinput"),
    ):
        with pytest.raises(ValueError, match=r"the tokenizer has \d+ tokens and the model 4101: give the model"):
            call()
    with pytest.raises(TypeError, match="model must be a loaded model"):
        saturation_mutagenesis(str(tata_model), tok, [seq])
    for explain in (saturation_mutagenesis, gradient_attributions):
        with pytest.raises(TypeError, match="not one string"):
            explain(model, tok, seq)
    with pytest.raises(ValueError, match="n_steps"):
        gradient_attributions(model, tok, [seq], n_steps=0)
    lm, lm_tok = load_masked_lm("dnalm-mini")
    with pytest.raises(ValueError, match="not both"):
        fill_mask("dnalm-mini", "ACG<mask>T", model=lm, tokenizer=lm_tok)
    with pytest.raises(ValueError, match="needs its tokenizer"):
        fill_mask(None, "ACG<mask>T", model=lm)
    with pytest.raises(ValueError, match="needs its tokenizer"):
        embed(None, [seq], model=lm)
    with pytest.raises(ValueError, match="the tokenizer has"):
        fill_mask(None, "ACG<mask>T", model=lm, tokenizer=tok)


def test_a_benchmark_config_built_in_python_gets_the_checks_a_file_gets(tata_dir, tmp_path):
    """Built directly, BenchmarkConfig skipped from_dict's checks: split='dev' (the selection split) trained and
    was reported, seeds=[] was an IndexError and a dataset given as a string an AttributeError."""
    from dnalm.experiment.config import BenchmarkConfig, DatasetEntry
    from dnalm.experiment.runner import run_benchmark

    def config(**kw):
        base = {"datasets": {"toy": DatasetEntry(str(tata_dir))}, "models": {"cnn": {"model": "cnn"}}, "seeds": [0]}
        return BenchmarkConfig(**{**base, "finetune": {"epochs": 1}, "audit": False, "report": False, **kw})

    for kw, said in [
        ({"split": "dev"}, "split 'dev' is used to train or to select"),
        ({"seeds": []}, "seeds must be a non-empty list"),
        ({"models": {"cnn": {"model": "no-such-model"}}}, "model 'cnn'"),
    ]:
        with pytest.raises(ValueError, match=said):
            run_benchmark(config(**kw), tmp_path / "b")
    assert not (tmp_path / "b").exists()
    assert config(datasets={"toy": str(tata_dir)}).validated().datasets["toy"].path == str(tata_dir)


def test_small_helpers_refuse_what_they_would_misread():
    """Found by the Python API sweep: each helper read a string as a list of one-base sequences, dropped or
    ignored lower case and U, replaced 0 by a default, or failed deep in numpy."""
    from dnalm.interpret.motifs import background, benjamini_hochberg, write_meme
    from dnalm.io.base import Record
    from dnalm.io.sequence import SequenceError, gc_content, one_hot
    from dnalm.lm.baselines import ContextCounts, MarkovChain
    from dnalm.lm.evaluate import fit_references
    from dnalm.tokenizers.bpe import genome_segments, train_bpe
    from dnalm.tokenizers.dna import KmerTokenizer, tokenizer_report

    assert list(genome_segments([Record("a", "acgtACGT")], 3)) == ["ACG", "TAC", "GT"]  # soft-masked bases stay
    for bad in ({"length": 0}, {"length": -1}, {"max_segments": 0}):
        with pytest.raises(ValueError, match="must be a whole number"):
            list(genome_segments([Record("a", "ACGT")], **{"length": 3, **bad}))
    with pytest.raises(TypeError, match="not one string"):
        train_bpe("ACGTACGTACGT")
    with pytest.raises(ValueError, match="vocab_size must be a whole number of at least 11"):
        train_bpe(["ACGTACGT"], vocab_size=3)
    with pytest.raises(ValueError, match=r"sequence 1, position 1: 'Z' is not a nucleotide code"):
        train_bpe(["ACGT", "ZZ"])
    with pytest.raises(ValueError, match="at least one sequence"):
        train_bpe([])
    assert background(["aacg", "UN"]).tolist() == [0.4, 0.2, 0.2, 0.2]
    assert one_hot("acgu").tolist() == one_hot("ACGT").tolist()
    with pytest.raises(SequenceError):
        one_hot("AXZ")
    with pytest.raises(SequenceError):
        gc_content("GGXX")
    with pytest.raises(ValueError, match=r"p-values must be .* in \[0, 1\]"):
        benjamini_hochberg(np.array([0.01, np.nan, 0.5]))
    with pytest.raises(ValueError, match=r"a \(width, 4\) matrix"):
        write_meme("unused.meme", [("m1", "ACG", np.full((3, 3), 1 / 3), 5)], np.full(4, 0.25))
    with pytest.raises(ValueError, match="context size 13 .* at most 12"):
        MarkovChain(13)
    with pytest.raises(ValueError, match="context size 7 .* at most 6"):
        ContextCounts(7)
    with pytest.raises(TypeError, match="not one string"):
        fit_references("ACGTACGT")
    with pytest.raises(TypeError, match="not one string"):
        tokenizer_report(KmerTokenizer(k=3), "ACGTACGT")
    with pytest.raises(ValueError, match="max_length must be a whole number"):
        tokenizer_report(KmerTokenizer(k=3), ["ACGTACGT"], max_length=0)


def test_read_sequences_refuses_options_it_would_ignore(tmp_path):
    from dnalm.io import read_sequences

    (tmp_path / "x.csv").write_text("sequence,label\nACGT,1\n")
    (tmp_path / "x.fa").write_text(">a\nACGT\n")
    with pytest.raises(ValueError, match="label= labels a FASTA file"):
        list(read_sequences(tmp_path / "x.csv", label="x"))
    with pytest.raises(ValueError, match="name one column"):
        list(read_sequences(tmp_path / "x.csv", sequence_column="sequence", label_column="sequence"))
    with pytest.raises(TypeError, match="one label of every record"):
        list(read_sequences(tmp_path / "x.fa", label=["a"]))
    with pytest.raises(ValueError, match="not among the labels allowed"):
        list(read_sequences(tmp_path / "x.fa", label="c", labels=["a", "b"]))
    assert [r.label for r in read_sequences(tmp_path / "x.fa", label="a", labels=["a", "b"])] == ["a"]


def test_model_arguments_that_failed_deep_inside_are_one_line(tata_model):
    """build_model(a loaded model) was 'File name too long'; max_tokens above the model's limit a tensor-size
    RuntimeError; two classes of one name a label2id that lost one."""
    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import build_model, load_model

    model, tok = load_model(tata_model)
    with pytest.raises(TypeError, match="model must be a name or a path .* got BertForSequenceClassification"):
        build_model(model)
    with pytest.raises(ValueError, match=r"max_tokens 5000 is more than the model takes \(\d+ tokens\)"):
        predict_proba(model, tok, ["ACGT" * 500], max_tokens=5000)
    with pytest.raises(ValueError, match="max_tokens must be a whole number"):
        predict_proba(model, tok, ["ACGT" * 50], max_tokens=0)
    with pytest.raises(ValueError, match="two classes one name"):
        build_model("cnn", num_labels=2, id2label={0: "a", 1: "a"})


def test_token_ids_outside_the_vocabulary_and_uneven_examples_are_refused():
    """convert_ids_to_tokens(-1) read the last token and 2.7 token 2 (decode refused both); pad kept only the first
    example's keys (a later example's labels were dropped) and pad([]) was max() of an empty sequence."""
    from dnalm.tokenizers.dna import KmerTokenizer

    tok = KmerTokenizer(k=3)
    for ids in (-1, [2.7], [10**9], True):
        with pytest.raises(ValueError, match="token ids are whole numbers from 0 to 68"):
            tok.convert_ids_to_tokens(ids)
    assert tok.convert_ids_to_tokens(np.int64(5)) == tok.convert_ids_to_tokens([5])[0]
    with pytest.raises(ValueError, match="at least one tokenized example"):
        tok.pad([])
    with pytest.raises(ValueError, match=r"example 1 has the keys \['input_ids', 'labels'\]"):
        tok.pad([{"input_ids": [1, 2]}, {"input_ids": [1], "labels": [0]}])


def test_generators_and_list_arguments_refuse_what_they_would_misread(tmp_path):
    """tata_dataset(n=-1) was numpy's 'negative dimensions', a PWM as a list an AttributeError and a negative PWM
    made sequences; one string where a list goes was read letter by letter; an empty output path was the working
    folder ('output folder  is not empty')."""
    from dnalm.io.datasets import parse_class_files
    from dnalm.io.regions import parse_regions
    from dnalm.lm.corpus import build_corpus
    from dnalm.synth import motif_dataset, synthesize, tata_dataset

    for kw, said in [({"n": -1}, "n .* at least 1"), ({"seed": -1}, "seed .* at least 0"), ({"n": True}, "n ")]:
        with pytest.raises(ValueError, match=said):
            tata_dataset(**kw)
    assert len(motif_dataset(10, 20, pwm=[[1, 0, 0, 0], [0, 1, 0, 0]])) == 10  # a list is a matrix too
    for pwm, said in [
        ([[1, 0, 0]], "got 1 x 3 numbers"),
        ([], "no rows of numbers"),
        ([[-1, 1, 1, 1]], "negative"),
        ([[np.nan, 1, 1, 1]], "finite"),
    ]:
        with pytest.raises(ValueError, match=said):
            motif_dataset(10, 20, pwm=pwm)
    for call in (
        lambda: build_corpus("g.fa", tmp_path / "c"),
        lambda: parse_regions("chr1:1-10"),
        lambda: parse_class_files("a=b.fa"),
    ):
        with pytest.raises(TypeError, match="not one"):
            call()
    with pytest.raises(ValueError, match="an output path is empty"):
        synthesize("tata", "")


def test_small_functions_name_a_wrong_argument_instead_of_failing_inside():
    from dnalm.interpret.attributions import importance
    from dnalm.io import canonical_label
    from dnalm.io.sequence import kmers_to_sequence, normalize
    from dnalm.lm.masking import KmerMaskingCollator
    from dnalm.tokenizers.dna import KmerTokenizer, tokenizer_by_name

    for call, error, said in [
        (lambda: kmers_to_sequence([]), ValueError, "non-empty list of k-mers"),  # IndexError
        (lambda: canonical_label(1), TypeError, "a label is text"),  # AttributeError
        (lambda: normalize(None), TypeError, "a sequence is text"),
        (lambda: tokenizer_by_name(None), TypeError, "a tokenizer name is"),
        (lambda: KmerMaskingCollator(KmerTokenizer(k=3), seed=-1), ValueError, "seed must be a whole number"),
        (lambda: importance(np.zeros(5)), ValueError, r"\(length, 4\)"),  # numpy's AxisError
        (lambda: KmerTokenizer(k=3, model_max_length=-5), ValueError, "model_max_length"),  # kept
        (lambda: KmerTokenizer(k=3, model_max_length="512"), ValueError, "model_max_length"),  # kept
        (lambda: KmerTokenizer(k=3, model_max_length=10.5), ValueError, "model_max_length"),  # IndexError later
    ]:
        with pytest.raises(error, match=said):
            call()


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


def test_a_setting_changed_after_the_config_was_built_is_checked_by_finetune(tmp_path):
    """cfg.seed = -5 failed inside transformers' set_seed, naming no setting."""
    from dnalm.finetune.train import finetune

    cfg = FinetuneConfig(model="cnn", epochs=1)
    cfg.seed = -5
    with pytest.raises(ValueError, match=r"seed \(--seed\)"):
        finetune(cfg, tmp_path / "no-data", tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_audit_takes_a_tokenizer_by_name_and_scan_names_a_bad_block(tata_dir, tata_model, tmp_path):
    from dnalm.apply.scan import scan_genome
    from dnalm.audit import audit_dataset

    assert "train" in audit_dataset(tata_dir, tokenizer="kmer6")["tokenizer"]  # was an AttributeError
    (tmp_path / "g.fa").write_text(">c\n" + "ACGT" * 50 + "\n")
    with pytest.raises(ValueError, match="block must be a whole number"):  # was "'<' not supported"
        scan_genome(str(tata_model), tmp_path / "g.fa", tmp_path / "x.bedGraph", block="1M")


def test_trust_remote_code_for_a_model_without_code_of_its_own_is_said(caplog, tmp_path):
    """--trust-remote-code with a preset, a shipped checkpoint, a model YAML or a folder without auto_map did
    nothing, without a word."""
    import logging

    from dnalm.models import ref as refs
    from dnalm.models.build import build_model
    from dnalm.models.ref import ModelRef

    refs._SAID_TRUST.clear()
    with caplog.at_level(logging.WARNING):
        ModelRef.resolve("cnn", trust_remote_code=True)
        ModelRef.resolve("cnn", trust_remote_code=True)
        ModelRef.resolve("dnalm-mini", trust_remote_code=True)
        ModelRef.resolve("tiny")
        (tmp_path / "m.yaml").write_text("preset: tiny\n")
        ModelRef.resolve(str(tmp_path / "m.yaml"), trust_remote_code=True)
        build_model("cnn", num_labels=2, seed=0)[0].save_pretrained(tmp_path / "folder")
        ModelRef.resolve(str(tmp_path / "folder"), trust_remote_code=True)
    assert "m.yaml: it is a model YAML dnalm builds" in caplog.text
    assert "folder: it is a checkpoint without auto_map in config.json" in caplog.text
    assert caplog.text.count("--trust-remote-code has no effect on cnn: it is a preset") == 1
    assert "--trust-remote-code has no effect on dnalm-mini: it is shipped with dnalm" in caplog.text
    assert "on tiny" not in caplog.text


def test_settings_that_would_do_nothing_are_refused_where_they_are_set():
    """Each was accepted, recorded in the saved settings, and never read (probe round 7c)."""
    from dnalm.lm.pretrain import PretrainConfig, resolve_pretrain_config

    for field, value in (("lora_r", 4), ("lora_alpha", 4.0), ("lora_dropout", 0.2)):
        with pytest.raises(ValueError, match=rf"{field} .*needs lora \(--lora\)"):
            FinetuneConfig(**{field: value})
    with pytest.raises(
        ValueError,
        match=r"self_pretrain_budget \(--self-pretrain-budget\) caps self-pretraining: it needs self_pretrain",
    ):
        FinetuneConfig(self_pretrain_budget=30)
    with pytest.raises(ValueError, match=r"mlm_probability \(--mlm-probability\) is not used with an mlm_schedule"):
        PretrainConfig(mlm_probability=0.3, mlm_schedule=[[0, 0.15], [0.5, 0.2]])
    cfg = resolve_pretrain_config("dnabert-cpu", None, mlm_probability=0.3)  # the option asked for wins, and is said
    assert cfg.mlm_probability == 0.3 and cfg.mlm_schedule is None


def test_pretraining_settings_for_what_the_run_lacks_are_refused(tmp_path):
    from dnalm.lm.corpus import build_corpus
    from dnalm.lm.pretrain import PretrainConfig, pretrain

    rng = np.random.default_rng(0)
    (tmp_path / "g.fa").write_text(">c\n" + "".join(rng.choice(list("ACGT"), 3000)) + "\n")
    build_corpus([tmp_path / "g.fa"], tmp_path / "c", min_length=80, max_length=100, val_fraction=0, progress=False)
    with pytest.raises(ValueError, match=r"bpe_sample sets the segments a BPE vocabulary learns from; tiny's learns"):
        pretrain(PretrainConfig(model="tiny", bpe_sample=7, max_steps=1), tmp_path / "c", tmp_path / "o1")
    with pytest.raises(ValueError, match=r"lm_eval_examples scores the corpus's validation split; it has none"):
        pretrain(PretrainConfig(model="tiny", lm_eval_examples=5, max_steps=1), tmp_path / "c", tmp_path / "o2")


def test_a_model_of_the_wrong_kind_given_as_an_object_is_named_not_failed_on_inside(tata_model, tmp_path):
    """A classifier given where a masked LM is needed failed in torch's einsum (masked_base_probabilities), an
    IndexError (fill_mask) or 'no attribute last_hidden_state' (embed of a CNN); a masked LM given to predict_proba
    returned its per-token vocabulary as class scores; swapped arguments, batch size 0 and one string failed
    inside; a table of sequences was read as its column names."""
    import pandas as pd
    from transformers import pipeline

    from dnalm.apply.predict import predict_proba
    from dnalm.lm.evaluate import lm_metrics, masked_base_probabilities, masked_token_scores
    from dnalm.lm.inference import embed, fill_mask, load_masked_lm
    from dnalm.models.build import build_model, load_model

    seq = "ACGTTATAAAGCGCGTACGA" * 3
    classifier, tok = load_model(tata_model)
    lm, lm_tok = load_masked_lm("dnalm-mini")
    for call in (
        lambda: masked_base_probabilities(classifier, tok, [seq]),
        lambda: lm_metrics(classifier, tok, [seq], [seq]),
        lambda: fill_mask(None, "ACG<mask>T", model=classifier, tokenizer=tok),
    ):
        with pytest.raises(ValueError, match=r"needs a masked LM \(a model with its masked-LM head"):
            call()
    with pytest.raises(ValueError, match="ModernBertForMaskedLM is a masked language model"):
        predict_proba(lm, lm_tok, [seq])
    with pytest.raises(TypeError, match="model must be a loaded masked LM"):
        lm_metrics(lm_tok, lm, [seq], [seq])  # the arguments swapped
    with pytest.raises(ValueError, match="the tokenizer has 4,?101 tokens and the model"):
        lm_metrics(lm, tok, [seq], [seq])  # another model's tokenizer: 'index out of range in self' in torch
    with pytest.raises(TypeError, match="sequences must be a list of sequences"):
        masked_base_probabilities(lm, lm_tok, "ACGT")  # scored as four one-base sequences
    with pytest.raises(ValueError, match="batch_size must be a whole number"):
        masked_base_probabilities(lm, lm_tok, [seq], batch_size=0)  # range() arg 3 must not be zero
    with pytest.raises(ValueError, match="spacing must be a whole number"):
        masked_token_scores(lm, lm_tok, [seq], spacing=0)
    with pytest.raises(ValueError, match="masked_token_scores is for tokenizers whose tokens do not overlap"):
        masked_token_scores(lm, lm_tok, [seq])  # return_offsets_mapping is no argument of dnalm's tokenizers
    with pytest.raises(TypeError, match=r"table\['sequence'\].tolist\(\); a DataFrame iterates its column names"):
        predict_proba(classifier, tok, pd.DataFrame({"sequence": [seq]}))
    with pytest.raises(ValueError, match="^embed needs at least one sequence"):  # it said "predict needs"
        embed(None, [], model=classifier, tokenizer=tok)
    assert embed(None, [seq], model=classifier, tokenizer=tok).shape == (1, classifier.config.hidden_size)
    cnn, cnn_tok, _ = build_model("pos-cnn", seed=0)
    with pytest.raises(ValueError, match="embed needs a transformer's encoder; PosCnnForSequenceClassification"):
        embed(None, [seq], model=cnn, tokenizer=cnn_tok)
    with pytest.raises(ValueError, match="needs at least one sequence; got an empty list"):  # IndexError inside
        pipeline("dna-classification", model=str(tata_model))([])
    for bad, problem in (({"seed": -1}, r"seed must be a whole number in \[0, "), ({"input_length": 0}, "input_len")):
        with pytest.raises(ValueError, match=problem):
            build_model("pos-cnn", **bad)


def test_library_entry_points_refuse_what_they_misread_or_would_write_over(tmp_path, tata_dir):
    """pretrain took a mapping ('dict' has no attribute 'model') and a list of sequences (list indices must be
    integers); self_pretrain failed on None and bytes and trained on empty strings; write_splits failed on strings;
    KmerTokenizer(vocab=[]) used the default vocabulary; audit_dataset ignored max_length and an unknown columns key
    reached read_sequences; FinetuneConfig.save wrote YAML over a training CSV; a folder with a config.json and
    no weights ended in transformers' 'Error no file named ...'."""
    from dnalm.audit import audit_dataset
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.io import Record
    from dnalm.lm.pretrain import PretrainConfig, pretrain, self_pretrain
    from dnalm.models.build import load_model
    from dnalm.synth import write_splits
    from dnalm.tokenizers.dna import KmerTokenizer

    with pytest.raises(TypeError, match="pretrain takes its settings as a PretrainConfig"):
        pretrain({"model": "tiny"}, tmp_path / "corpus", tmp_path / "o")
    with pytest.raises(TypeError, match="corpus_path must be a corpus folder .* got list"):
        pretrain(PretrainConfig(max_steps=1), ["ACGT" * 50], tmp_path / "o")
    for bad, problem in (([None], "sequence 0 is NoneType"), ([b"ACGT"], "sequence 0 is bytes"), (["", ""], "2 empty")):
        with pytest.raises((TypeError, ValueError), match=problem):
            self_pretrain(bad, "mini", tmp_path / "sp")
    assert not (tmp_path / "o").exists() and not (tmp_path / "sp").exists()
    with pytest.raises(TypeError, match="records must be a list of labelled Records .* got str"):
        write_splits(["ACGT"] * 10, tmp_path / "splits")
    assert write_splits([Record(f"r{i}", "ACGT" * 5, str(i % 2)) for i in range(40)], tmp_path / "splits")
    with pytest.raises(ValueError, match="vocabulary lacks special tokens"):
        KmerTokenizer(k=6, vocab=[])
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) must be in \[1, "):
        audit_dataset(tata_dir, max_length=0, tokenizer="kmer6")
    with pytest.raises(ValueError, match="max_length is the tokenizer report's token limit: give tokenizer="):
        audit_dataset(tata_dir, max_length=100)
    with pytest.raises(ValueError, match="unknown key 'seq_col'"):
        audit_dataset(tata_dir, columns={"seq_col": "x"})
    with pytest.raises(ValueError, match="is a file: the audit compares splits"):
        audit_dataset(tata_dir / "train.csv")
    csv = tmp_path / "train.csv"
    csv.write_text("sequence,label\nACGT,1\n")
    with pytest.raises(FileExistsError, match="exists; pass overwrite=True"):
        FinetuneConfig().save(csv)
    assert csv.read_text() == "sequence,label\nACGT,1\n"
    FinetuneConfig(epochs=3).save(csv, overwrite=True)
    assert FinetuneConfig.load(csv).epochs == 3
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "config.json").write_text('{"model_type": "bert", "vocab_size": 4101}')
    with pytest.raises(ValueError, match="a model configuration without weights"):
        load_model(tmp_path / "bare")


def test_an_unknown_keyword_names_the_function_and_a_close_one(tmp_path, tata_dir, tata_model):
    """inspect's "got an unexpected keyword argument 'splt'" named no function."""
    from dnalm.apply.evaluate import evaluate

    with pytest.raises(TypeError, match=r"^evaluate\(\): got an unexpected keyword .*'splt' \(did you mean 'split'"):
        evaluate(tata_model, tata_dir, tmp_path / "ev", splt="dev")


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


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: FinetuneConfig(anneal_epochs=2, early_stopping_patience=0), r"anneal_epochs starts at the plateau"),
        (lambda: FinetuneConfig(sequence_column=""), r"sequence_column \(--sequence-column\) is empty"),
        (lambda: FinetuneConfig(label_column=" "), r"label_column \(--label-column\) is empty"),
        (lambda: FinetuneConfig(time_budget="1h30"), r"'1h30': give the unit of its last number"),
        (lambda: __import__("dnalm.lm.pretrain").lm.pretrain.PretrainConfig(warmup_steps=1.5), r"got 1.5"),
        (
            lambda: __import__("dnalm.lm.pretrain").lm.pretrain.PretrainConfig(warmup_steps=5, max_steps=2),
            r"warmup_steps \(5\) is not below max_steps \(2\)",
        ),
    ],
)
def test_settings_that_would_be_ignored_cut_or_misread_are_refused(make, message):
    """Each was accepted: an anneal that early stopping 0 never starts, a column named '' looked up in the data
    later, 1h30 read as 1 h 30 s, 1.5 warmup steps cut to 1, a run that is all warmup."""
    with pytest.raises(ValueError, match=message):
        make()


def test_the_recipe_anneals_only_where_early_stopping_can_find_a_plateau():
    from dnalm.finetune.recipe import choose_recipe
    from dnalm.finetune.train import resolve_settings

    recipe = choose_recipe(n_train=500, lengths=[100] * 500, num_labels=2)
    assert resolve_settings(FinetuneConfig(early_stopping_patience=0), "auto", recipe).anneal_epochs == 0
    assert resolve_settings(FinetuneConfig(), "auto", recipe).anneal_epochs == recipe.anneal_epochs


def test_a_refusal_names_the_switch_as_the_caller_spells_it(tmp_path):
    """A Python caller was told to "pass --overwrite", an option a function does not have; the command line is
    told --overwrite, the library overwrite=True, and a command run in the same process changes neither."""
    from typer.testing import CliRunner

    from dnalm.cli import app
    from dnalm.io.outputs import OutputError
    from dnalm.synth import synthesize

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine\n")
    with pytest.raises(OutputError, match=r"or pass overwrite=True \(it removes only"):
        synthesize("tata", tmp_path / "mine", n=40)
    res = CliRunner().invoke(app, ["synth", "tata", "-o", str(tmp_path / "mine"), "--n", "40"])
    assert res.exit_code == 2 and "or pass --overwrite (it removes only" in res.output
    with pytest.raises(OutputError, match=r"or pass overwrite=True \(it removes only"):  # still the library's
        synthesize("tata", tmp_path / "mine", n=40)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine\n"


def test_an_embeddings_name_in_upper_case_is_its_format(tmp_path):
    """embed -o E.NPY was refused ("written as .npy or .parquet") while predict -o X.TSV was taken."""
    from dnalm.lm.inference import write_embeddings

    write_embeddings(np.ones((2, 3), dtype=np.float32), ["a", "b"], tmp_path / "E.NPY")
    assert np.load(tmp_path / "E.NPY").shape == (2, 3) and (tmp_path / "E.ids.txt").read_text() == "a\nb\n"


def test_json_outputs_named_as_another_format_are_refused(tmp_path):
    """audit -o a.tsv and lm-eval -o l.csv wrote JSON under those names, with exit 0."""
    from dnalm.audit import run_audit
    from dnalm.lm.pretrain import score_language_model

    (tmp_path / "d.csv").write_text("sequence,label\nACGTACGTAA,0\nACGTTTGTAA,1\n")
    with pytest.raises(ValueError, match=r"a.tsv: the audit's results are written as JSON \(.json\); .tsv names"):
        run_audit(tmp_path / "d.csv", tmp_path / "a.tsv")
    with pytest.raises(ValueError, match=r"l.csv: language-model metrics are written as JSON"):
        score_language_model("dnalm-mini", tmp_path, tmp_path / "l.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_a_bare_tokenizer_name_is_dnalms_whatever_the_folder_holds(tmp_path, monkeypatch, caplog):
    """tokenizer check / audit --tokenizer took a local folder named base, kmer3 or dnalm-mini in place of dnalm's,
    without a word (--model's names mean dnalm's and warn)."""
    import logging

    from dnalm import settings
    from dnalm.audit import tokenizer_named
    from dnalm.tokenizers.dna import load_tokenizer

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "_SAID_BESIDE", set())
    from dnalm.models.shipped import pretrained_path

    load_tokenizer(pretrained_path("dnalm-mini")).save_pretrained(tmp_path / "kmer3")  # another scheme, named kmer3
    with caplog.at_level(logging.WARNING, logger="dnalm"):
        tok = tokenizer_named("kmer3")
    assert type(tok).__name__ == "KmerTokenizer" and tok.k == 3
    assert "kmer3 is dnalm's tokenizer; kmer3 here is not used (give ./kmer3 for it)" in caplog.text


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
