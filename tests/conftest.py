"""Fixtures every area's tests share: a real SQLite store in a temp dir, and its config."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from hypothesis import settings

from core.config import Config
from core.store import Store


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(path=tmp_path / "opdesk.toml", data={"store": {"path": str(tmp_path / "opdesk.db")}})


@pytest.fixture
def store(config: Config):
    s = Store(config.store_path, config.documents_dir)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _collector_unfrozen():
    """The app hands what it holds at its start to no collector again (``gc.freeze``) in the process it
    runs in; a test process runs many apps, so each test gives those objects back to the collector."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


# Hypothesis: a small profile in CI (`CI=true`, as .ci/run is started) keeps the suite short;
# HYPOTHESIS_PROFILE=deep looks much harder, for a run by hand.

settings.register_profile("ci", max_examples=30, deadline=None)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("deep", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
