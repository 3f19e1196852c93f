"""Opening the Textual app on a config's store."""

from __future__ import annotations

from core.config import Config


def run_app(config: Config) -> None:
    from core.errors import ConfigError, StoreError
    from tui.app import OpdeskApp
    from tui.cli_common import fail

    try:
        app = OpdeskApp(config)
    except (ConfigError, StoreError) as exc:  # e.g. a missing audit key: one line, not a traceback
        fail(str(exc))
    app.run()
