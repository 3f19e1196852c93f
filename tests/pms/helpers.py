"""Shared by the PMS outlet's tests: a desk whose config has a [pms] section, and the CLI."""

from __future__ import annotations

import json
from typing import Any

import tomlkit
from typer.testing import CliRunner

from core.config import Config, load_config
from tui.cli import app

runner = CliRunner()


def with_pms(desk: Config, **pms: Any) -> Config:
    """``desk``'s config file with a ``[pms]`` section (written with tomlkit, read back as opdesk reads it)."""
    document = tomlkit.parse(desk.path.read_text())
    document["pms"] = pms
    desk.path.write_text(tomlkit.dumps(document))
    return load_config(desk.path)


def run(desk: Config, *args: str):
    return runner.invoke(app, ["--config", str(desk.path), "--as", "night-audit", *args])


def run_json(desk: Config, *args: str) -> tuple[int, Any]:
    result = run(desk, *args, "--json")
    return result.exit_code, json.loads(result.stdout)
