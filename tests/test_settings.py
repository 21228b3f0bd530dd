"""Settings written once: a field's help and bounds make the CLI option and check every value, wherever it comes from."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest
import typer
from typer.testing import CliRunner

from dnalm.finetune.config import FinetuneConfig
from dnalm.settings import check_fields, cli_options, option_name, setting


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
        ({"window": "7"}, r"window \(--window\) must be a number; got '7'"),
        ({"window": True}, r"must be a number"),
    ],
)
def test_a_value_out_of_bounds_is_one_line_naming_the_setting(values, message):
    with pytest.raises(ValueError, match=message):
        Toy(**values)


def test_unset_means_not_set_and_is_never_replaced():
    assert Toy().window is None and Toy(window=5).window == 5


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
    assert "early_stopping_patience (--patience) must be >= 0; got -1" in result.output


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
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) must be >= 1; got 0"):
        FinetuneConfig.load(path)
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) must be >= 1; got 0"):
        FinetuneConfig(max_length=0)
