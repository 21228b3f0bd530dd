"""The command line's own error handling (dnalm.cli): one handler turns any error into one line, and a refusal
names a switch as the caller spells it."""

from __future__ import annotations

import sys

import pytest


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


@pytest.fixture
def broken_command():
    """A command added to dnalm's app for one test: it raises what it is told to."""
    from dnalm import cli

    errors = {
        "runtime": RuntimeError("something unexpected"),
        "value": ValueError("bad input x"),
        "os": OSError("disk"),
    }

    @cli.app.command("broken-for-test")
    def broken(kind: str):
        raise errors[kind]

    yield cli
    cli.app.registered_commands.pop()


@pytest.mark.parametrize(
    ("kind", "status", "line"),
    [
        ("runtime", 1, "error (RuntimeError): something unexpected"),
        ("value", 2, "error: bad input x"),
        ("os", 2, "error: disk"),
    ],
)
def test_every_command_runs_inside_one_error_handler(broken_command, monkeypatch, capsys, kind, status, line):
    """No command has its own except clause: one handler turns any error into one line, exit status 2 for
    errors about the input/settings/output and 1 (with the --debug hint) for anything else; --debug shows the
    traceback too, with the same line and exit status (it exited 1 for an input error), and no hint to use it.
    The same through the console entry point and through click's test runner."""
    from typer.testing import CliRunner

    cli = broken_command
    r = CliRunner().invoke(cli.app, ["broken-for-test", kind])
    assert r.exit_code == status and line in r.output and "Traceback" not in r.output
    assert ("--debug for the traceback" in r.output) == (status == 1)
    monkeypatch.setattr(sys, "argv", ["dnalm", "broken-for-test", kind])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == status and line in capsys.readouterr().err
    r = CliRunner().invoke(cli.app, ["--debug", "broken-for-test", kind])
    error = {"runtime": RuntimeError, "value": ValueError, "os": OSError}[kind].__name__
    assert r.exit_code == status and line in r.output and "Traceback (most recent call last)" in r.output
    assert f"{error}: {line.split(': ', 1)[1]}" in r.output
    assert "run with --debug" not in r.output  # the hint is for a run without it


def test_no_command_catches_errors_itself():
    import inspect

    from dnalm import cli

    apps = [cli.app] + [group.typer_instance for group in cli.app.registered_groups]
    commands = [c.callback for a in apps for c in a.registered_commands]
    assert len(commands) > 20
    assert [c.__name__ for c in commands if "except " in inspect.getsource(c)] == []
