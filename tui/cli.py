"""The ``opdesk`` command. With no sub-command it opens the app on the configured store."""

from __future__ import annotations

import typer
from rich.markup import escape

from core.errors import OpdeskError
from tui import cli_common
from tui.commands import app as app_commands
from tui.commands import approval, book, desk, doctor, mail, pms, pricing, raw, scan, setup

app = typer.Typer(
    name="opdesk",
    help="A hotel's desk for tour-operator reservations: scan, check, approve, save and confirm.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    config: str = typer.Option(
        None, "--config", "-c", help="Config file (else $OPDESK_CONFIG, else the user config dir).", metavar="FILE"
    ),
    actor: str = typer.Option(
        None, "--as", help="Name recorded in the audit log (default: your OS user).", metavar="NAME"
    ),
) -> None:
    cli_common.STATE.config_path = config
    cli_common.STATE.actor = actor
    cli_common.reset_state()
    if actor:
        cli_common.check_staff(actor)
    if ctx.invoked_subcommand is None:
        from tui.launch import run_app

        run_app(cli_common.config())


for area in (setup, desk, book, raw, pricing, scan, mail, approval, app_commands, doctor, pms):
    area.register(app)


def main() -> None:
    try:
        app()
    except OpdeskError as exc:  # the last net: one line and an exit status, never a traceback
        cli_common.err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise SystemExit(cli_common.exit_code(exc)) from None


if __name__ == "__main__":
    main()
