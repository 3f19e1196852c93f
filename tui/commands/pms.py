"""The PMS outlet's commands: ``opdesk pms send``, ``opdesk pms status``, and the PMS simulator."""

from __future__ import annotations

import time
from typing import Any, Optional

import typer
from rich.table import Table

from core.audit import Actor
from core.config import Config
from core.errors import ConfigError
from core.pms import STATES, SendReport, counts, deliveries, pms_configured, pms_settings
from core.store import Store
from tui import shown
from tui.cli_common import EXIT_OK, EXIT_REFUSED, cli_actor, config, console, err_console, fail, open_store, print_json

pms_app = typer.Typer(
    help="Hand saved bookings to the hotel's PMS (the [pms] section; see docs/pms.md).", no_args_is_help=True
)

STATE_STYLE = {"waiting": "yellow", "sent": "green", "failed": "red"}


def _settings_or_fail(cfg: Config) -> None:
    try:
        pms_settings(cfg)
    except ConfigError as exc:
        fail(str(exc))


@pms_app.command("send")
def send_cmd(
    failed: bool = typer.Option(False, "--failed", help="Also try again the deliveries that gave up."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: sent, failed, waiting, items."),
) -> None:
    """Deliver every saved booking version still waiting (retries too, at once); exit 1 when one failed now."""
    from connectors.pms.send import send

    cfg = config()
    _settings_or_fail(cfg)
    report = send(open_store(), cfg, cli_actor(), include_failed=failed)
    if as_json:
        print_json(report.as_dict())
    else:
        _print_items(report.items)
        console.print(f"sent {report.sent}, failed {report.failed}, waiting {report.waiting}", highlight=False)
    raise typer.Exit(EXIT_REFUSED if report.failed else EXIT_OK)


@pms_app.command("status")
def status_cmd(
    state: Optional[list[str]] = typer.Option(
        None, "--state", help="waiting, sent or failed (repeat for several; default: all)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: the items."),
) -> None:
    """Every delivery to the PMS: waiting, sent or failed, with the PMS's number and the last error."""
    wanted = tuple(state or STATES)
    unknown = [s for s in wanted if s not in STATES]
    if unknown:
        fail(f"--state {unknown[0]!r}: use waiting, sent or failed")
    store = open_store()
    items = deliveries(store, wanted)
    if as_json:
        print_json({**counts(store), "items": [d.item() for d in items]})
        return
    if not items:
        console.print(
            "no deliveries"
            + (
                ""
                if pms_configured(config())
                else " (no [pms] section: saved bookings are not queued; see docs/pms.md)"
            )
        )
        return
    _print_items(items)


def _print_items(items: list[Any]) -> None:
    if not items:
        return
    table = Table("id", "voucher", "v", "content", "state", "pms no.", "error", box=None)
    for d in items:
        item = d.item()
        table.add_row(
            str(item["id"]),
            shown.text(item["voucher"]),
            str(item["version"]),
            item["content"],
            shown.text(item["state"], STATE_STYLE[item["state"]]),
            shown.text(item["pms_number"] or ""),
            shown.text(item["error"] or ""),
        )
    console.print(table)


def after_save(store: Store, cfg: Config, actor: Actor) -> SendReport | None:
    """With ``[pms] auto = true``: send what a save just queued (and retries now due). None when not asked to.

    A PMS that cannot be reached never undoes the save: the delivery stays
    waiting with its error, and the caller says so.
    """
    if not pms_configured(cfg) or not pms_settings(cfg).auto:
        return None
    from connectors.pms.send import send

    return send(store, cfg, actor, only_due=True)


def retry_poll_seconds(cfg: Config) -> float:
    """How often the app looks for deliveries due again (0: not at all): with ``auto``, every
    ``retry_seconds`` but at least once a minute, so a backoff that ran out is not left waiting long."""
    try:
        if not pms_configured(cfg) or not (settings := pms_settings(cfg)).auto:
            return 0.0
    except ConfigError:
        return 0.0
    return min(settings.retry_seconds, 60.0)


def after_save_line(store: Store, cfg: Config, actor: Actor) -> tuple[str, bool]:
    """``after_save`` told in one line ("" when nothing was sent), and whether something went wrong.

    A bad ``[pms]`` is told, not raised: the save itself is done.
    """
    try:
        report = after_save(store, cfg, actor)
    except ConfigError as exc:
        return f"PMS: not sent: {exc}", True
    if report is None or not report.items:
        return "", False
    line = f"PMS: sent {report.sent}, failed {report.failed}, waiting {report.waiting}"
    errors = "; ".join(d.last_error for d in report.items if d.last_error)
    return line + (f" ({errors})" if errors else ""), bool(report.failed)


def say_after_save(store: Store, cfg: Config, actor: Actor) -> None:
    """The CLI's line after a save: what the automatic PMS send did, on stderr (stdout may be JSON)."""
    line, _ = after_save_line(store, cfg, actor)
    if line:
        err_console.print(shown.markup(line), highlight=False, soft_wrap=True)


def simulate_pms(port: int, faults: Any) -> None:
    """``opdesk simulate --kind pms``: an HTNG-style PMS on 127.0.0.1 until Ctrl-C; prints its ``[pms]`` entry."""
    import tomlkit

    from connectors.simulate.pms import PmsServer, SimPms

    try:
        server = PmsServer(SimPms(faults=faults), port=port).start()
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}")
    console.print(
        f"simulating a PMS (HTNG-style) at {server.url()}; add to your config:\n", highlight=False, soft_wrap=True
    )
    document = tomlkit.document()
    document["pms"] = server.entry()
    console.print(tomlkit.dumps(document), highlight=False, markup=False)
    console.file.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.add_typer(pms_app, name="pms")
