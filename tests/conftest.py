from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder ``../shared/data``; tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"real data not found at {SHARED} (the shared/data folder beside the repo)")
    return SHARED


@pytest.fixture(scope="session")
def tata_dir(tmp_path_factory) -> Path:
    """A small TATA split folder: train 240, dev 60, test 75 sequences of 60 nt."""
    from dnalm.finetune.data import stratified_split
    from dnalm.io import write_table
    from dnalm.synth import tata_dataset

    root = tmp_path_factory.mktemp("tata")
    train, dev = stratified_split(tata_dataset(300, 60, seed=1), 0.2, seed=1)
    write_table(train, root / "train.csv")
    write_table(dev, root / "dev.csv")
    write_table(tata_dataset(75, 60, seed=2), root / "test.csv")
    return root


@pytest.fixture(scope="session")
def dnabert_checkpoint(tmp_path_factory) -> Path:
    from dnalm.testing import write_dnabert_checkpoint

    return write_dnabert_checkpoint(tmp_path_factory.mktemp("dnabert6"))


@pytest.fixture(scope="session")
def tata_model(tmp_path_factory) -> Path:
    """A k-mer BERT that learned TATAAA on synthetic 60-base sequences (scan, variants and interpret share it)."""
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.data import stratified_split
    from dnalm.finetune.train import finetune
    from dnalm.io import write_table
    from dnalm.synth import tata_dataset

    root = tmp_path_factory.mktemp("tata_model")
    train, dev = stratified_split(tata_dataset(1000, 60, seed=3), 0.2, seed=3)
    write_table(train, root / "train.csv")
    write_table(dev, root / "dev.csv")
    finetune(FinetuneConfig(model="tiny", epochs=4, seed=0, trainer={"disable_tqdm": True}), root, root / "m")
    return root / "m"
