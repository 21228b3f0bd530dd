"""A run stopped while it saved its model: the files of that save are the run's, not the user's."""

from __future__ import annotations

from dnalm.finetune.train import PARTIAL_NAMES
from dnalm.io.files import start_folder
from dnalm.io.outputs import not_partial


def test_the_files_of_the_final_save_are_the_runs_and_a_users_note_is_the_users(tmp_path):
    """resume=True after a Ctrl-C during the final save warned "kept yours: config.json, model.safetensors" (and
    then wrote over them)."""
    staging = start_folder(tmp_path / "m", owned_marker="dnalm_config.yaml")
    saved = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]
    for name in [*saved, "dnalm_tokenizer.json", "training_summary.json", "README.md", "training_args.bin"]:
        (staging / name).write_text("{}")
    (staging / "notes.txt").write_text("mine\n")
    assert not_partial(staging, PARTIAL_NAMES) == ["notes.txt"]
