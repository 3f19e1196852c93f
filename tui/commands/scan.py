"""Scanning operators, the AlpineBits push endpoint, and operator simulators."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Optional

import typer
from rich.live import Live
from rich.table import Table

from connectors.scan import OperatorRun, pick_operators
from connectors.scan import scan as scan_operators
from core.errors import ConfigError, NotFound
from tui import shown
from tui.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    cli_actor,
    config,
    console,
    err_console,
    fail,
    open_store,
    print_json,
)

SIM_KINDS = ("ota-pull", "ota-push", "jsonapi", "hotel2sejour", "ota-soap", "pms")


def runs_table(runs: dict[str, OperatorRun]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("operator", "state", "total", "new", "changed", "cancelled", "errors", "last error"):
        numeric = column in ("total", "new", "changed", "cancelled", "errors")
        table.add_column(
            column, justify="right" if numeric else "left", overflow="fold" if column == "last error" else "ellipsis"
        )
    style = {"ok": "green", "error": "red", "running": "yellow", "paused": "dim"}
    for run in sorted(runs.values(), key=lambda r: r.operator):
        table.add_row(
            shown.text(run.operator),
            shown.text(run.state, style.get(run.state, "")),
            str(run.total),
            str(run.new),
            str(run.changed),
            str(run.cancelled),
            str(run.errors),
            shown.text(run.last_error[:200]),
        )
    return table


def run_once(names: list[str] | None, as_json: bool, since: str = "") -> list[OperatorRun]:
    cfg = config()
    try:
        pick_operators(cfg, names)
    except (NotFound, ConfigError) as exc:
        fail(str(exc))
    if as_json:
        return asyncio.run(scan_operators(cfg, names, since=since))
    live_runs: dict[str, OperatorRun] = {}
    with Live(runs_table(live_runs), console=console, refresh_per_second=8, transient=False) as live:

        def progress(run: OperatorRun) -> None:
            live_runs[run.operator] = run
            live.update(runs_table(live_runs))

        runs = asyncio.run(scan_operators(cfg, names, progress=progress, since=since))
        live.update(runs_table({r.operator: r for r in runs}))
    return runs


def scan(
    operator: Optional[list[str]] = typer.Option(None, "--operator", "-o", help="Only this operator (repeatable)."),
    watch: bool = typer.Option(False, "--watch", help="Scan again and again until Ctrl-C."),
    interval: float = typer.Option(60.0, "--interval", help="Seconds between scans with --watch.", min=1),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    since: Optional[str] = typer.Option(
        None,
        "--since",
        metavar="DATETIME",
        help="Read again everything changed since this ISO 8601 time (e.g. 2026-12-01T00:00:00Z), "
        "acknowledged or not. A regular scan needs no time: it gets what was not acknowledged yet.",
    ),
) -> None:
    """Fetch new bookings, changes and cancellations from every enabled operator at once."""
    since_text = reread_since(since) if since else ""
    if not config().operators:
        fail(f"no [[operators]] in {config().path}: add one (see docs/operators.md) or try: opdesk demo")
    while True:
        began = time.monotonic()
        runs = run_once(operator or None, as_json, since_text)
        if as_json:
            print_json([vars(r) for r in runs])
        quarantined = sum(r.quarantined for r in runs)
        if quarantined and not as_json:
            again = sum(r.again for r in runs)
            err_console.print(
                f"[yellow]{quarantined} new message(s) could not be taken in and are kept as "
                f"failed" + (f" ({again} sent again that failed before)" if again else "") + ": opdesk raw list[/]",
                highlight=False,
            )
        if not watch:
            raise typer.Exit(EXIT_REFUSED if quarantined or any(r.state == "error" for r in runs) else EXIT_OK)
        try:
            time.sleep(max(0.0, interval - (time.monotonic() - began)))
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_OK) from None


def reread_since(value: str) -> str:
    """The ``--since`` time as ISO 8601 with a zone (UTC when none is given); exit 2 when it is not one."""
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"--since {value!r} is not an ISO 8601 time; write it like 2026-12-01T00:00:00Z", code=EXIT_BAD_INPUT)
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)).isoformat()


def serve_push(
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (put TLS in front for the internet)."),
    operator: Optional[list[str]] = typer.Option(None, "--operator", "-o", help="Only this ota-push operator."),
) -> None:
    """Accept OTA_HotelResNotifRQ pushes (AlpineBits, or SOAP for ota-soap) at http://HOST:PORT/<operator>."""
    from connectors.ota.push_server import PushServer

    cfg = config()
    ops = [
        op
        for op in cfg.operators
        if op.enabled
        and (not operator or op.name in operator)
        and (op.kind == "ota-push" or (op.kind == "ota-soap" and op.settings.get("delivery") == "push"))
    ]
    if not ops:
        fail(
            'no enabled ota-push operator (or ota-soap with delivery = "push") in the config: add one with '
            'kind = "ota-push", username and password_env'
        )
    try:
        server = PushServer(cfg, ops, host=host, port=port)
    except ConfigError as exc:
        fail(str(exc), EXIT_REFUSED)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}")
    for op in ops:
        console.print(f"{op.label}: http://{host}:{server.port}/{op.name}", highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()


def simulate(
    port: int = typer.Option(8765, "--port", help="Port for the simulated operator (ota-push: the hotel's port)."),
    kind: str = typer.Option(
        "ota-pull", "--kind", help="ota-pull, ota-push, jsonapi, hotel2sejour, ota-soap, or pms (the hotel's PMS)."
    ),
    dialect: str = typer.Option("pmsxchange", "--dialect", help="ota-soap: pmsxchange or synxis."),
    operator: str = typer.Option("tui", "--operator", help="Which operator's codes to send."),
    bookings: int = typer.Option(20, "--bookings", help="Bookings waiting at the start.", min=0),
    churn: float = typer.Option(2.0, "--churn", help="New bookings, changes and cancellations per read."),
    latency: float = typer.Option(0.0, "--latency", help="Seconds before every answer."),
    status: Optional[int] = typer.Option(None, "--fail-status", help="Answer this HTTP status to everything."),
    fail_first: int = typer.Option(0, "--fail-first", help="Answer 429 to the first N requests."),
    retry_after: Optional[float] = typer.Option(None, "--retry-after", help="Retry-After seconds with those 429s."),
    hang: float = typer.Option(0.0, "--hang", help="Sleep this long before answering (a timeout)."),
    malformed: bool = typer.Option(False, "--malformed", help="Answer truncated bodies."),
    auth_fail: bool = typer.Option(False, "--auth-fail", help="Refuse every credential."),
    interval: float = typer.Option(5.0, "--interval", help="ota-push: seconds between pushes."),
) -> None:
    """Run a loopback server (or, for ota-push, a client) that behaves like a tour operator."""
    from connectors.simulate.demo import operator_entry, sim_operator
    from connectors.simulate.server import Faults, SimServer

    if kind not in SIM_KINDS:
        fail(f"--kind must be one of {', '.join(SIM_KINDS)}, not {kind!r}")
    faults = Faults(
        latency=latency,
        status=status,
        fail_first=fail_first,
        fail_status=429,
        retry_after=retry_after,
        hang=hang,
        malformed=malformed,
        auth_fail=auth_fail,
    )
    if dialect not in ("pmsxchange", "synxis"):
        fail(f"--dialect must be pmsxchange or synxis, not {dialect!r}", code=EXIT_BAD_INPUT)
    if kind == "pms":
        from tui.commands.pms import simulate_pms

        return simulate_pms(port, faults)
    op = sim_operator(
        operator,
        kind="ota-pull" if kind == "ota-push" else kind,
        initial=bookings,
        churn=churn,
        faults=faults,
        dialect=dialect,
    )
    if kind == "ota-push":
        from connectors.simulate.push import push_forever

        url = f"http://127.0.0.1:{port}/{operator}"
        console.print(
            f"pushing {operator} bookings to {url} as {op.username}/{op.password}; Ctrl-C stops", highlight=False
        )
        try:
            push_forever(
                url,
                op.feed,
                username=op.username,
                password=op.password,
                interval=interval,
                report=lambda line: console.print(line, highlight=False),
            )
        except KeyboardInterrupt:
            return
        return
    try:
        server = SimServer([op], port=port).start()
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}")
    console.print(
        f"simulating {operator} ({kind}) at {server.base_url(operator)}; add to your config:\n", highlight=False
    )
    print_toml(operator_entry(op, server))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


def print_toml(entry: dict) -> None:
    import tomlkit

    document = tomlkit.document()
    table = tomlkit.aot()
    table.append(tomlkit.item(entry))
    document["operators"] = table
    console.print(tomlkit.dumps(document), highlight=False, markup=False)


def _pause_target(operator: str | None) -> str | None:
    if operator is not None and config().operator(operator) is None:
        known = ", ".join(op.name for op in config().operators) or "none"
        fail(f"no operator named {operator} in {config().path} (known: {known})", EXIT_BAD_INPUT)
    return operator


def _pauses_json() -> list[dict]:
    from core.pauses import paused

    store = open_store()
    try:
        return list(paused(store).values())
    finally:
        store.close()


def pause_cmd(
    operator: Optional[str] = typer.Option(None, "--operator", "-o", help="Only this operator (default: all)."),
    reason: str = typer.Option("", "--reason", help="Why, for colleagues (shown on the board)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: every pause now in force."),
) -> None:
    """Pause scanning one operator, or all: scans skip it (and say so) until resumed, across restarts."""
    from core.pauses import pause

    name = _pause_target(operator)
    store = open_store()
    try:
        pause(store, cli_actor(), name, reason)
    finally:
        store.close()
    if as_json:
        print_json({"paused": _pauses_json()})
        return
    console.print(
        f"{name or 'every operator'} paused; resume with: opdesk resume" + (f" --operator {name}" if name else ""),
        highlight=False,
        markup=False,
    )


def resume_cmd(
    operator: Optional[str] = typer.Option(None, "--operator", "-o", help="Only this operator (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: what was lifted and what stays."),
) -> None:
    """Resume scanning one operator, or all. Exit 1 when it was not paused."""
    from core.pauses import resume

    name = _pause_target(operator)
    store = open_store()
    try:
        lifted = resume(store, cli_actor(), name, [op.name for op in config().operators])
    finally:
        store.close()
    if as_json:
        print_json({"resumed": lifted, "paused": _pauses_json()})
    else:
        said = f"{name or 'every operator'} resumed" if lifted else f"{name or 'no operator'} was not paused"
        console.print(said, highlight=False, markup=False)
    if not lifted:
        raise typer.Exit(EXIT_REFUSED)


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.command("scan")(scan)
    app.command("pause")(pause_cmd)
    app.command("resume")(resume_cmd)
    app.command("serve-push")(serve_push)
    app.command("simulate")(simulate)
