"""The desk's own commands: inbox, show, save, confirm, reject, mappings, stop-sales, ..."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
