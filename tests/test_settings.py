"""Settings written once: a field's help and bounds make the CLI option and check every value, wherever it comes from."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from dnalm.audit import run_audit
from dnalm.experiment.config import BenchmarkConfig
from dnalm.finetune.config import FinetuneConfig
from dnalm.lm.corpus import build_corpus
from dnalm.lm.pretrain import PretrainConfig
from dnalm.settings import check_fields, cli_options, option_name, setting
from dnalm.tokenizers.build import save_tokenizer


@dataclass
class Toy:
    window: int | None = setting(None, "Window in bases.", ge=1)
    fraction: float = setting(0.5, "A fraction.", gt=0, lt=1)
    mode: str = setting("mean", "How to combine.", choices=("mean", "max"))
    rc: bool | None = setting(None, "Both strands.", flag="--rc/--no-rc")
    hidden: int = setting(3, "Not on the command line.", ge=0, cli=False)

    def __post_init__(self):
        check_fields(self)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"window": 0}, r"window \(--window\) must be >= 1; got 0"),
        ({"fraction": 1.0}, r"fraction \(--fraction\) must be in \(0, 1\); got 1.0"),
        ({"mode": "median"}, r"mode \(--mode\) must be one of mean, max; got 'median'"),
        ({"hidden": -1}, r"hidden must be >= 0; got -1"),  # no option to name
        ({"window": "7"}, r"window \(--window\) must be a whole number; got '7'"),
        ({"window": True}, r"must be a whole number"),
        ({"window": 2.5}, r"window \(--window\) must be a whole number; got 2.5"),
        ({"rc": "no"}, r"rc \(--rc/--no-rc\) must be true or false; got 'no'"),  # YAML's "no" in quotes is text
        ({"mode": 3}, r"mode \(--mode\) must be text; got 3"),
        ({"hidden": None}, r"hidden must be set; got None"),
    ],
)
def test_a_value_out_of_bounds_is_one_line_naming_the_setting(values, message):
    with pytest.raises(ValueError, match=message):
        Toy(**values)


def test_unset_means_not_set_and_is_never_replaced():
    assert Toy().window is None and Toy(window=5).window == 5


def test_a_path_is_text_where_a_setting_is_text():
    """FinetuneConfig(model=Path("m1")) was refused ('must be text') where every path argument takes a Path."""
    from pathlib import Path

    from dnalm.finetune.config import FinetuneConfig

    assert Toy(mode=Path("mean")).mode == "mean"
    assert FinetuneConfig(model=Path("runs") / "m1").model == str(Path("runs") / "m1")


def _app():
    app = typer.Typer()

    @app.command()
    @cli_options(Toy)
    def run(name: str, overrides: dict | None = None):
        typer.echo(repr(Toy(**overrides)))

    @app.command()
    def other():  # two commands, so typer keeps the command name
        pass

    return app


def test_the_options_are_made_from_the_fields():
    result = CliRunner().invoke(_app(), ["run", "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0, result.output
    for option in ("--window", "--fraction", "--mode", "--rc", "--no-rc"):
        assert option in result.output
    assert "--hidden" not in result.output
    assert "Window in bases." in result.output and "One of: mean, max." in result.output


def test_only_the_options_given_reach_the_settings():
    out = CliRunner().invoke(_app(), ["run", "x", "--window", "9", "--no-rc"])
    assert out.exit_code == 0, out.output
    assert "window=9" in out.output and "rc=False" in out.output and "fraction=0.5" in out.output


def test_the_cli_refuses_a_bad_value_with_the_same_line(tmp_path):
    from dnalm.cli import app

    result = CliRunner().invoke(app, ["finetune", str(tmp_path), "--patience", "-1"])
    assert result.exit_code == 2
    assert "early_stopping_patience (--patience) must be in [0, 100000]; got -1" in result.output


def test_every_finetune_setting_has_help_and_numbers_have_bounds():
    """A new field without help text, or a number without a range, fails here, not in a user's run."""
    for f in dataclasses.fields(FinetuneConfig):
        assert f.metadata.get("help"), f"{f.name} has no help text"
        if f.type in ("int", "float", "int | None", "float | None"):
            assert f.metadata.get("bounds"), f"{f.name} has no bounds"
    assert option_name(next(f for f in dataclasses.fields(FinetuneConfig) if f.name == "early_stopping_patience")) == (
        "--patience"
    )


def test_yaml_and_python_are_checked_like_the_cli(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("max_length: 0\n")
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) must be in \[1, 10000000\]; got 0"):
        FinetuneConfig.load(path)
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) must be in \[1, 10000000\]; got 0"):
        FinetuneConfig(max_length=0)


@pytest.mark.parametrize(
    "line, read, refused",
    [
        ("batch_size: 010", 10, None),  # as --batch-size 010; YAML 1.1 read it as octal 8
        ("batch_size: 0x10", None, "batch_size (--batch-size) must be a whole number"),  # was 16
        ("seed: 0b11", None, "seed (--seed) must be a whole number"),  # was 3
        ("epochs: 1:00", None, "epochs (--epochs)"),  # was 60 epochs (base 60)
        ("time_budget: 1:30", None, "time_budget (--time-budget) '1:30' is not a duration"),  # was 90 s
        ("learning_rate: 1e-3", 0.001, None),
    ],
)
def test_a_settings_file_reads_numbers_as_the_command_line_does(tmp_path, line, read, refused):
    """YAML 1.1 read 010 as 8, 0x10 as 16, 0b11 as 3 and 1:30 as 90 with exit 0; the command line reads --batch-size
    010 as 10 and refuses the others."""
    path = tmp_path / "c.yaml"
    path.write_text(line + "\n")
    key = line.split(":")[0]
    if refused is None:
        assert getattr(FinetuneConfig.load(path), key) == read
    else:
        with pytest.raises(ValueError, match=re.escape(refused)):
            FinetuneConfig.load(path)


def _pairs():
    from dnalm.apply.evaluate import evaluate, predict_file
    from dnalm.apply.scan import scan_genome
    from dnalm.apply.settings import EvaluateSettings, PredictSettings, ScanSettings, VariantSettings
    from dnalm.apply.variants import score_variants
    from dnalm.interpret.attributions import interpret_file
    from dnalm.interpret.settings import InterpretSettings
    from dnalm.lm.inference import embed_file
    from dnalm.lm.inference_settings import EmbedSettings

    return [
        (predict_file, PredictSettings),
        (evaluate, EvaluateSettings),
        (scan_genome, ScanSettings),
        (score_variants, VariantSettings),
        (interpret_file, InterpretSettings),
        (embed_file, EmbedSettings),
    ]


def test_every_option_reaches_its_library_function_with_the_same_default():
    """The CLI is made from the dataclass and calls the function with the options given: each field must be a
    parameter of the function, with the same default, or the CLI and the Python API would disagree."""
    import inspect

    for function, settings in _pairs():
        params = inspect.signature(function).parameters
        for f in dataclasses.fields(settings):
            if not f.metadata:  # what an option applies to (the data, --peaks): checked beside, not an option
                continue
            assert f.name in params, f"{settings.__name__}.{f.name} is not a parameter of {function.__name__}"
            assert params[f.name].default == f.default, f"{function.__name__}({f.name}=) default differs"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["predict", "m", "x.fa", "--stride", "0"], "--stride"),
        (["predict", "m", "x.fa", "--aggregate", "median"], "--aggregate"),
        (["predict", "m", "x.fa", "--batch-size", "0"], "--batch-size"),
        (["scan", "m", "g.fa", "--window", "0"], "--window"),
        (["scan", "m", "g.fa", "--threshold", "1.5"], "--threshold"),
        (["scan", "m", "g.fa", "--strand", "up"], "--strand"),
        (["variants", "m", "x.vcf", "--genome", "g.fa", "--window", "-3"], "--window"),
        (["interpret", "m", "x.fa", "--limit", "-1"], "--limit"),
        (["interpret", "m", "x.fa", "--shuffles", "0"], "--shuffles"),
        (["interpret", "m", "x.fa", "--method", "shap"], "--method"),
        (["evaluate", "m", "d", "--seed", "-1"], "--seed"),
        (["embed", "m", "x.fa", "-o", "e.npy", "--pooling", "max"], "--pooling"),
        (["finetune", "d", "--max-length", "0"], "--max-length"),
        (["finetune", "d", "--learning-rate", "0"], "--learning-rate"),
        (["pretrain", "c", "-o", "p", "--mlm-probability", "1.5"], "--mlm-probability"),
        (["corpus", "g.fa", "-o", "c", "--val-fraction", "1"], "--val-fraction"),
        (["lm-eval", "m", "c", "--examples", "0"], "--examples"),
        (["audit", "d", "--min-shared", "0"], "--min-shared"),
        (["audit", "d", "--dedup-kinds", "exact,fuzzy"], "--dedup-kinds"),
        (["synth", "tata", "-o", "s", "--dev-fraction", "0"], "--dev-fraction"),
        (["synth", "motif", "-o", "s", "--gc", "1"], "--gc"),
        (["tokenizer", "kmer", "-o", "t", "--k", "0"], "--k"),
        (["tokenizer", "bpe", "x.fa", "-o", "t", "--vocab-size", "3"], "--vocab-size"),
        (["fill-mask", "dnalm-mini", "AC<mask>T", "--top-k", "0"], "--top-k"),
        (["finetune", "d", "--time-budget", "0"], "time_budget (--time-budget) must be positive"),  # said time_budget
        (["finetune", "d", "--time-budget", "-1"], "time_budget (--time-budget) '-1' is not a duration"),
        (["finetune", "d", "--problem-type", "1"], "problem_type (--problem-type) must be one of"),
        (["synth", "motif", "-o", "s", "--motif", "TATAN"], "give a PWM file, pwm (--pwm)"),  # said "use pwm="
    ],
)
def test_an_impossible_value_is_one_line_naming_the_option_and_nothing_is_written(args, named, tmp_path, monkeypatch):
    from dnalm.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and named in lines[0], result.output
    assert list(tmp_path.iterdir()) == []


def test_a_setting_with_no_option_is_named_alone_and_its_zero_is_said():
    """``checkpoint_interval=-1`` said "must be positive", though 0 (every epoch) is taken."""
    with pytest.raises(ValueError, match=r"^checkpoint_interval must be positive \(or 0: every epoch\); got -1$"):
        FinetuneConfig(checkpoint_interval=-1)
    assert FinetuneConfig(checkpoint_interval=0).checkpoint_interval == 0


def test_yaml_reads_numbers_in_scientific_notation_as_numbers(tmp_path):
    """PyYAML (YAML 1.1) read ``1e-3`` as the string '1e-3', so ``learning_rate: 1e-3`` was refused."""
    from dnalm.settings import load_yaml, read_yaml

    assert read_yaml("a: 1e-3\nb: -2.5E+4\nc: 3\nd: 1_000\ne: 1.5\nf: e5\ng: 12e\nh: '1e-3'") == {
        "a": 0.001,
        "b": -25000.0,
        "c": 3,
        "d": 1000,
        "e": 1.5,
        "f": "e5",
        "g": "12e",
        "h": "1e-3",
    }
    (tmp_path / "ft.yaml").write_text("learning_rate: 1e-3\nepochs: 2\n")
    assert load_yaml(tmp_path / "ft.yaml") == {"learning_rate": 0.001, "epochs": 2}
    assert FinetuneConfig.load(tmp_path / "ft.yaml").learning_rate == 0.001


def test_a_whole_number_written_as_a_float_is_read_as_one():
    assert Toy(window=4.0).window == 4 and isinstance(Toy(window=4.0).window, int)
    assert isinstance(Toy(fraction=1e-3).fraction, float)


def test_numpy_numbers_are_the_numbers_they_hold():
    """np.int64(8) as a batch size was refused as 'not a whole number' (numbers from a numpy grid or a table)."""
    import numpy as np

    cfg = FinetuneConfig(batch_size=np.int64(8), seed=np.int32(3), learning_rate=np.float32(1e-3))
    assert (type(cfg.batch_size), type(cfg.seed), type(cfg.learning_rate)) == (int, int, float)
    with pytest.raises(ValueError, match=r"batch_size \(--batch-size\) must be a whole number; got 8.5"):
        FinetuneConfig(batch_size=np.float64(8.5))


def test_a_value_refused_from_a_settings_file_names_the_file(tmp_path):
    from dnalm.lm.pretrain import resolve_pretrain_config

    (tmp_path / "run.yaml").write_text("epochs: x\n")
    with pytest.raises(ValueError, match=r"epochs \(--epochs\) must be a number; got 'x' \[.*run.yaml\]$"):
        FinetuneConfig.load(tmp_path / "run.yaml")
    with pytest.raises(
        ValueError, match=r"epochs \(--epochs\) must be in \(0, 100000\]; got -1.0$"
    ):  # the option's value
        FinetuneConfig.load(tmp_path / "run.yaml", epochs=-1)
    (tmp_path / "run.yaml").write_text("max_steps: -2\n")
    with pytest.raises(
        ValueError, match=r"max_steps \(--max-steps\) must be in \[1, 1000000000\]; got -2 \[.*run.yaml\]$"
    ):
        resolve_pretrain_config("tiny", tmp_path / "run.yaml")


def test_a_settings_folder_is_named_as_a_folder(tmp_path):
    with pytest.raises(ValueError, match=r"is a folder; give the settings file \(a .yaml\) in it"):
        FinetuneConfig.load(tmp_path)


def test_a_settings_file_that_is_not_text_and_a_bad_search_key_name_their_file(tmp_path):
    """A UTF-16 config gave Python's bare "'utf-8' codec can't decode"; a bad key in a benchmark's search section
    named no file."""
    from dnalm.experiment.config import BenchmarkConfig
    from dnalm.settings import load_yaml

    (tmp_path / "c.yaml").write_bytes(b"\xff\xfe" + "epochs: 1\n".encode("utf-16-le"))
    with pytest.raises(ValueError, match=r"c.yaml: not UTF-8 text"):
        load_yaml(tmp_path / "c.yaml")
    (tmp_path / "d").mkdir()
    for split in ("train", "dev", "test"):
        (tmp_path / "d" / f"{split}.csv").write_text("sequence,label\nACGT,0\nTTTT,1\n")
    (tmp_path / "b.yaml").write_text("datasets:\n  d: d\nmodels:\n  m: {model: cnn}\nsearch: {bogus: 1}\n")
    with pytest.raises(ValueError, match=r"b.yaml: unknown key 'bogus'"):
        BenchmarkConfig.load(tmp_path / "b.yaml").search_config()


@pytest.mark.parametrize("text", ["[]\n", "0\n", "false\n", "just words\n"])
def test_a_settings_file_that_is_not_a_mapping_is_refused_not_read_as_no_settings(tmp_path, text):
    from dnalm.settings import load_yaml

    (tmp_path / "e.yaml").write_text(text)
    with pytest.raises(ValueError, match=r"e\.yaml: expected a mapping of settings at the top level"):
        load_yaml(tmp_path / "e.yaml")
    (tmp_path / "n.yaml").write_text("# only a comment\n")
    assert load_yaml(tmp_path / "n.yaml") == {}


def _settings_classes() -> list[type]:
    """Every dataclass in dnalm whose fields are made by ``setting`` (a command's or a config's settings)."""
    import importlib
    import pkgutil

    import dnalm

    found = []
    for info in pkgutil.walk_packages(dnalm.__path__, "dnalm."):
        if info.name.endswith("__main__"):
            continue
        for obj in vars(importlib.import_module(info.name)).values():
            if (
                isinstance(obj, type)
                and obj.__module__ == info.name
                and dataclasses.is_dataclass(obj)
                and any("bounds" in f.metadata for f in dataclasses.fields(obj))
            ):
                found.append(obj)
    return found


#: Numbers whose range is the data's or the model's, checked where they are used.
_UNBOUNDED = {("ScanSettings", "threshold")}  # a score in the model's own units (a regression target, a probability)


def test_every_number_a_setting_takes_has_both_ends_of_its_range():
    """A huge value failed deep inside (pretrain --batch-size 1e12: a 4 TB allocation in torch); every number has a
    range with both ends, so the value is one line naming the option."""
    classes = _settings_classes()
    assert {"FinetuneConfig", "PretrainConfig", "PredictSettings", "BpeSettings"} <= {c.__name__ for c in classes}
    open_ended = []
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            hint = hints[f.name]
            kinds = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
            numeric = any(k in (int, float) for k in kinds) and bool not in kinds  # a list of seeds is checked apart
            bounds = set(f.metadata.get("bounds", {}))
            listed = (cls.__name__, f.name) in _UNBOUNDED
            if numeric and not listed and not ({"ge", "gt"} & bounds and {"le", "lt"} & bounds):
                open_ended.append(f"{cls.__name__}.{f.name} {sorted(bounds)}")
    assert open_ended == []


def test_a_range_reads_in_whole_numbers():
    from dnalm.lm.pretrain import PretrainConfig

    with pytest.raises(ValueError, match=r"seed \(--seed\) must be in \[0, 4294967296\); got -1"):
        PretrainConfig(seed=-1)
    with pytest.raises(ValueError, match=r"batch_size \(--batch-size\) must be in \[1, 1000000\]"):
        PretrainConfig(batch_size=10**12)


def test_settings_from_a_pipe_or_dash_say_what_they_are(tmp_path):
    """``--config /dev/stdin`` or ``<(...)`` and ``-`` were "config file not found", as if mistyped."""
    import os

    from dnalm.settings import load_yaml

    with pytest.raises(ValueError, match=r"^'-': settings are read from a file, not from standard input"):
        load_yaml("-")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"pipe is a pipe or device, not a file; give the settings as a file"):
        load_yaml(fifo)


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


def test_a_key_written_twice_in_a_settings_file_is_refused(tmp_path):
    from dnalm.settings import load_yaml

    (tmp_path / "c.yaml").write_text("epochs: 1\nmodel: pos-cnn\nepochs: 2\n")
    with pytest.raises(ValueError, match=r"c.yaml:3:1: not valid YAML \(the key 'epochs' is written twice"):
        load_yaml(tmp_path / "c.yaml")
    (tmp_path / "b.yaml").write_text("datasets:\n  tata: a\n  tata: b\nmodels: {m: cnn}\n")  # nested mappings too
    with pytest.raises(ValueError, match="the key 'tata' is written twice"):
        load_yaml(tmp_path / "b.yaml")
    (tmp_path / "l.yaml").write_text("? [a, b]\n: 1\n")  # a list as a key: one line, not a TypeError
    with pytest.raises(ValueError, match=r"l.yaml:1:3: not valid YAML \(found unhashable key\)"):
        load_yaml(tmp_path / "l.yaml")


def test_options_that_do_nothing_where_they_are_given_are_refused(tmp_path):
    """Each was accepted and silently ignored (exit 0): evaluate --seed without --untrained, --split on a file,
    --label-column with --class; scan --threshold without --peaks; interpret --n-steps/--shuffles/--seed with ism;
    audit --dedup-kinds without --dedup and --max-length with --tokenizer none; a benchmark's finetune.seed."""
    from dnalm.apply.settings import EvaluateSettings, ScanSettings
    from dnalm.audit import AuditSettings
    from dnalm.experiment.config import BenchmarkConfig
    from dnalm.interpret.settings import InterpretSettings

    data = tmp_path / "d.csv"
    data.write_text("sequence,label\nACGT,1\n")
    cases = [
        (lambda: EvaluateSettings(seed=5), r"seed \(--seed\) seeds the fresh head of --untrained only; got 5"),
        (lambda: EvaluateSettings(split="dev", data=str(data)), r"split \(--split\) chooses a split of a data folder"),
        (lambda: EvaluateSettings(label_column="y", classes={"a": "x.fa"}), r"label_column .* --class files"),
        (lambda: ScanSettings(threshold=0.9), r"threshold \(--threshold\) makes peaks: it needs --peaks; got 0.9"),
        (lambda: InterpretSettings(n_steps=5), r"n_steps \(--n-steps\) sets the integration steps of --method ig"),
        (lambda: InterpretSettings(method="ig", n_shuffles=3), r"n_shuffles \(--shuffles\) .* deepliftshap"),
        (lambda: InterpretSettings(seed=3), r"seed \(--seed\) seeds the shuffles of --method deepliftshap"),
        (lambda: AuditSettings(dedup_kinds="exact"), r"dedup_kinds \(--dedup-kinds\) .* it needs --dedup"),
        (lambda: AuditSettings(tokenizer="none", max_length=5), r"max_length \(--max-length\) counts truncation"),
        (
            lambda: BenchmarkConfig.from_dict(
                {"seeds": [0], "datasets": {"d": str(tmp_path)}, "models": {"m": "cnn"}, "finetune": {"seed": 5}}
            ),
            r"finetune.seed: each run's seed comes from seeds \(\[0\]\); remove it",
        ),
    ]
    for make, message in cases:
        with pytest.raises(ValueError, match=message):
            make()
    # where they apply, they are taken
    EvaluateSettings(untrained=True, seed=5, split="dev", data=str(tmp_path))
    ScanSettings(threshold=0.9, peaks="p.bed")
    InterpretSettings(method="deepliftshap", n_shuffles=3, seed=3)
    AuditSettings(dedup_kinds="exact", dedup="out")


def test_a_benchmark_files_setting_is_named_without_an_option_the_command_has_not(tmp_path):
    base = {"seeds": [0], "datasets": {"s": str(tmp_path)}}
    with pytest.raises(ValueError) as err:
        BenchmarkConfig.from_dict({**base, "models": {"m": {"model": "tiny", "epochs": -1}}}, source="b.yaml")
    assert str(err.value) == "b.yaml: model 'm': epochs must be in (0, 100000]; got -1.0"
    search = {"method": "grid", "space": {"learning_rate": [5]}}
    with pytest.raises(ValueError, match=r"search.space.learning_rate: learning_rate must be in \(0, 1\]; got 5.0$"):
        BenchmarkConfig.from_dict({**base, "models": {"m": {"model": "tiny"}}, "search": search}, source="b.yaml")


def test_a_yaml_word_read_as_a_boolean_says_so_and_a_duration_is_in_seconds_and_days(tmp_path):
    (tmp_path / "c.yaml").write_text("model: tiny\nepochs: on\n")
    with pytest.raises(ValueError, match=r"epochs \(--epochs\) must be a number; got True \(YAML reads yes, no, on"):
        FinetuneConfig.load(tmp_path / "c.yaml")
    with pytest.raises(ValueError) as err:
        FinetuneConfig(model="tiny", time_budget=4e8)
    assert str(err.value) == (
        "time_budget (--time-budget) must be in (0, 31622400] seconds (at most 366 days); got 400000000 s (4,630 days)"
    )
    with pytest.raises(ValueError, match=r"^mlm_schedule must be a list; got 5$"):
        PretrainConfig.from_dict({"model": "tiny", "mlm_schedule": 5})


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda p: build_corpus([p / "a.fa"], p / "c", min_lenght=1), "unknown build_corpus setting 'min_lenght' "),
        (lambda p: save_tokenizer("kmer", p / "t", kk=3), "unknown save_tokenizer setting 'kk' (did you mean 'k'?)"),
        (lambda p: run_audit(p / "a.fa", p / "a.json", min_sharde=3), "(did you mean 'min_shared'?)"),
    ],
)
def test_a_mistyped_setting_keyword_is_named_with_the_closest_one(tmp_path, call, said):
    (tmp_path / "a.fa").write_text(">a\nACGTACGTAC\n")
    with pytest.raises(ValueError) as err:  # it was a TypeError naming a private dataclass's __init__
        call(tmp_path)
    assert said in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.fa"]
