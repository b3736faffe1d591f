"""Shared fixtures. Tests that need ../shared/data skip with a reason when it is absent (a user's clone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GEOPLAN_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``, or skip: real-data tests need the project's shared folder beside the clone."""
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip(f"real data not found at {path} (set GEOPLAN_SHARED to the shared/ folder)")
    return path


@pytest.fixture(scope="session")
def policy_dir() -> Path:
    """``../shared/policy`` (the plan texts), or skip."""
    path = SHARED / "policy"
    if not path.is_dir():
        pytest.skip(f"plan texts not found at {path} (set GEOPLAN_SHARED to the shared/ folder)")
    return path
