"""``opdesk doctor``: what of opdesk's private files others can read, and how to close them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from core.config import Config
from core.keys import KeyRing
from core.locations import resolve
from core.private import exposed
from tui import cli_common

DOCUMENT_FILES_CHECKED = 10_000
"""Documents are checked one by one up to this many; past it the folder's own mode is what protects them."""


def private_paths(cfg: Config) -> list[tuple[str, Path]]:
    """Every file and folder that holds bookings, secrets or keys, named by what it is."""
    store = cfg.store_path
    # The folders around them are the admin's choice (/etc/opdesk is 0755 by habit); the files are not.
    found: list[tuple[str, Path]] = [("config", cfg.path), ("store", store)]
    found += [("store", store.with_name(store.name + suffix)) for suffix in ("-wal", "-shm")]
    found += [("key", path) for path in KeyRing(cfg).paths()]
    found += [("secret file", path) for path in secret_files(cfg.data, cfg.base_dir)]
    found.append(("documents", cfg.documents_dir))
    if cfg.documents_dir.is_dir():
        for i, path in enumerate(sorted(cfg.documents_dir.rglob("*"))):
            if i >= DOCUMENT_FILES_CHECKED:
                break
            found.append(("document", path))
    return found


def secret_files(table: Any, base: Path) -> list[Path]:
    """Every ``*_file`` a config names (``password_file``, ``secret_file``, ``token_file`` ...), anywhere in it."""
    found: list[Path] = []
    if isinstance(table, dict):
        for key, value in table.items():
            if str(key).endswith("_file") and isinstance(value, str) and value:
                found.append(resolve(value, base))
            else:
                found += secret_files(value, base)
    elif isinstance(table, list):
        for item in table:
            found += secret_files(item, base)
    return found


def doctor(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Warn about private files (store, config, documents, keys) that others can read; exit 1 if any."""
    cfg = cli_common.config()
    warnings = [
        {"what": what, "path": str(path), "problem": problem}
        for what, path in private_paths(cfg)
        if (problem := exposed(path))
    ]
    if as_json:
        cli_common.print_json({"ok": not warnings, "warnings": warnings})
    elif not warnings:
        cli_common.console.print("private files: only their owner can read them", highlight=False)
    for warning in warnings if not as_json else []:
        cli_common.err_console.print(
            f"[yellow]warning:[/] {warning['what']} {warning['path']}: {warning['problem']}",
            highlight=False,
            markup=True,
        )
    raise typer.Exit(cli_common.EXIT_REFUSED if warnings else cli_common.EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.command("doctor")(doctor)
