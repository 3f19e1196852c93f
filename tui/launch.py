"""Opening the Textual app on a config's store."""

from __future__ import annotations

from core.config import Config


def run_app(config: Config) -> None:
    from tui.app import OpdeskApp

    OpdeskApp(config).run()
