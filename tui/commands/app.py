"""CLI commands that open the app (web); `register` adds them to the main app."""

from __future__ import annotations

import shlex
import sys

import typer

from core.errors import ConfigError
from tui import cli_common


def app_command(config_path: str) -> str:
    """The command line textual-serve runs for each browser session: this opdesk, this config."""
    return shlex.join([sys.executable, "-m", "tui.cli", "--config", config_path])


def web(
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address to listen on (keep 127.0.0.1 behind a proxy; any other needs web.password_env).",
    ),
    port: int = typer.Option(8000, "--port", help="Port to listen on.", min=1, max=65535),
) -> None:
    """Serve the app in a browser (phones and tablets too), one app per browser session."""
    from tui.web import GuardedServer, WebError

    cfg = cli_common.config()
    if not cfg.path.exists():
        cli_common.fail(f"{cfg.path}: config file not found; the web app needs one (create it with: opdesk init)")
    table = cfg.section("web")
    try:
        hours = float(table.get("session_hours", 12))
    except (TypeError, ValueError):
        cli_common.fail(f"{cfg.path}: web.session_hours must be a number of hours")
    try:
        password = cfg.secret(table, "password")
        server = GuardedServer(
            app_command(str(cfg.path)),
            host=host,
            port=port,
            title=f"opdesk — {cfg.hotel_name}",
            password=password,
            public_url=str(table.get("public_url", "") or ""),
            session_hours=hours,
        )
    except (ConfigError, WebError) as exc:
        cli_common.fail(str(exc), cli_common.EXIT_REFUSED)
    shown = server.configured_public_url or f"http://{host if host not in ('0.0.0.0', '::') else 'THIS-HOST'}:{port}"
    cli_common.console.print(
        f"opdesk web: {shown}  (store {cfg.store_path}{'; password asked' if password else ''}); ctrl+c stops it",
        highlight=False,
    )
    server.serve()


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.command("web")(web)
