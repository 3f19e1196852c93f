"""Setting up: `opdesk init`, `opdesk locate`, `opdesk demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from core import locations
from core.inbox import InboxFilter, clean_pending_count, counts_by_status
from core.private import write_private
from tui.cli_common import EXIT_REFUSED, STATE, config, console, fail, open_store, print_json


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.command("init")(init)
    app.command("demo")(demo_cmd)
    app.command("locate")(locate)


def init(force: bool = typer.Option(False, "--force", help="Overwrite an existing config file.")) -> None:
    """Write a starter config file where opdesk looks for it (see: opdesk locate)."""
    path = locations.find_config_path(STATE.config_path)
    if path.exists() and not force:
        fail(f"{path} already exists (use --force to overwrite)", EXIT_REFUSED)
    starter = Path(__file__).resolve().parent.parent / "starter.toml"
    write_private(path, starter.read_bytes())  # 0600: a config names where the secrets are
    console.print(f"wrote {path}\nedit it, then try: opdesk inbox", highlight=False)


def locate(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print where the config, the store and the documents live."""
    cfg = config()
    where = {
        "config": str(cfg.path),
        "config_exists": cfg.path.exists(),
        "store": str(cfg.store_path),
        "documents": str(cfg.documents_dir),
    }
    if as_json:
        print_json(where)
        return
    for key in ("config", "store", "documents"):
        note = "" if key != "config" or where["config_exists"] else "  (missing: opdesk init)"
        console.print(f"{key:10} {where[key]}{note}", highlight=False)


def demo_cmd(
    folder: Optional[Path] = typer.Option(
        None, "--dir", help="Where the demo hotel lives (default: the user data dir)."
    ),
    no_app: bool = typer.Option(False, "--no-app", help="Print the inbox summary instead of opening the app."),
    fresh: bool = typer.Option(False, "--fresh", help="Throw the old demo away and make a new one."),
    bookings: int = typer.Option(500, "--bookings", help="How many operator messages the history holds."),
    rows: int = typer.Option(
        0,
        "--rows",
        min=0,
        metavar="N",
        help="Fill the store up to N bookings (every version a row) with a chain's years of "
        "history, written in bulk, to feel a big store.",
    ),
) -> None:
    """Make a demo hotel with operators, contracts and bookings, scan them, and open the app.

    The API operators are simulated on 127.0.0.1 for as long as the demo runs.
    """
    from tui import demo

    folder = (folder or locations.default_data_dir() / "demo").resolve()
    running = demo.start(
        folder,
        fresh=fresh,
        count=bookings,
        rows=rows,
        progress=lambda line: console.print(f"[dim]demo:[/] {line}", highlight=False),
    )
    try:
        STATE.config_path = str(running.config.path)
        from tui.cli_common import reset_state

        reset_state()
        if no_app:
            store = open_store()
            counts = counts_by_status(store, InboxFilter())
            clean = clean_pending_count(store)
            console.print(f"demo hotel in {folder}", highlight=False, soft_wrap=True)
            console.print(" · ".join(f"{k} {v}" for k, v in counts.items()) + f" · clean {clean}", highlight=False)
            console.print(f"try: opdesk --config {running.config.path} inbox", highlight=False, soft_wrap=True)
            return
        from tui.launch import run_app

        run_app(running.config)
    finally:
        running.stop()
