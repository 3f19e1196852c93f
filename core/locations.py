"""Where opdesk keeps things: config, store, documents. One module owns paths.

The config file is found through ``--config``, else ``OPDESK_CONFIG``, else
the platform's user config directory. Tests patch ``default_config_path``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "opdesk"
CONFIG_ENV = "OPDESK_CONFIG"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "opdesk.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use: the option, else the environment, else the platform default."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    return default_config_path()


def resolve(path: str, base: Path) -> Path:
    """A path from the config: ``~`` expanded, relative ones taken from the config's folder."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (base / p)
