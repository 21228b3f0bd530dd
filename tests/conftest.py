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
