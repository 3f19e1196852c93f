"""Fixtures every area's tests share: a real SQLite store in a temp dir, and its config."""

from __future__ import annotations

from pathlib import Path

import pytest

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
