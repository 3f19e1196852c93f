"""The configuration: a TOML file, read with tomllib, written with tomlkit.

``Config`` keeps the whole document as a dict (``data``) and offers typed
views of the parts core needs. Each area (pricing, scan, mail, approval)
reads its own table with ``section()``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import locations, redact
from core.errors import ConfigError


@dataclass
class OperatorConfig:
    name: str  # short key used everywhere: "tui", "jet2"
    kind: str  # connector kind: folder, ota-pull, jsonapi, mail ...
    title: str = ""  # shown to people: "TUI Destimo"
    enabled: bool = True
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.title or self.name


@dataclass
class Config:
    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self.path}: [{name}] must be a table")
        return value

    @property
    def store_path(self) -> Path:
        path = self.section("store").get("path")
        if path:
            return locations.resolve(path, self.base_dir)
        return locations.default_data_dir() / "opdesk.db"

    @property
    def documents_dir(self) -> Path:
        path = self.section("store").get("documents")
        if path:
            return locations.resolve(path, self.base_dir)
        return self.store_path.parent / "documents"

    @property
    def hotel_name(self) -> str:
        return str(self.section("hotel").get("name", "Hotel"))

    @property
    def timezone(self) -> ZoneInfo:
        name = self.section("hotel").get("timezone", "UTC")
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"{self.path}: [hotel] timezone: unknown time zone {name!r}") from exc

    @property
    def currency(self) -> str:
        return str(self.section("hotel").get("currency", "EUR"))

    @property
    def operators(self) -> list[OperatorConfig]:
        entries = self.data.get("operators", [])
        result = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or "name" not in entry or "kind" not in entry:
                raise ConfigError(f"{self.path}: [[operators]] entry {i + 1}: needs 'name' and 'kind'")
            result.append(
                OperatorConfig(
                    name=str(entry["name"]),
                    kind=str(entry["kind"]),
                    title=str(entry.get("title", "")),
                    enabled=bool(entry.get("enabled", True)),
                    settings={k: v for k, v in entry.items() if k not in {"name", "kind", "title", "enabled"}},
                )
            )
        return result

    def operator(self, name: str) -> OperatorConfig | None:
        for op in self.operators:
            if op.name == name:
                return op
        return None

    def secret(self, table: dict[str, Any], key: str) -> str:
        """A secret named in config: ``KEY_env`` (an environment variable) or ``KEY_file``.

        A plain ``KEY`` value is accepted too, for tests and demos.
        Every value handed out is remembered by ``core.redact``, so no output shows it.
        """
        value = self._secret(table, key)
        redact.remember(value)
        return value

    def _secret(self, table: dict[str, Any], key: str) -> str:
        if env := table.get(f"{key}_env"):
            value = os.environ.get(env)
            if value is None:
                raise ConfigError(f"{self.path}: {key}_env names {env}, which is not set")
            return value
        if file := table.get(f"{key}_file"):
            p = locations.resolve(file, self.base_dir)
            try:
                return p.read_text().strip()
            except OSError as exc:
                raise ConfigError(f"{self.path}: {key}_file {p}: {exc.strerror}") from exc
        return str(table.get(key, ""))


def load_config(path: Path | str | None = None, *, must_exist: bool = False) -> Config:
    """Read the config file. A missing file gives defaults unless ``must_exist``."""
    p = locations.find_config_path(path)
    if not p.exists():
        if must_exist or path:
            raise ConfigError(f"{p}: config file not found (create one with: opdesk init)")
        return Config(path=p, data={})
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}") from exc
    return Config(path=p, data=data)
