"""Internal approval (``opdesk approval ...``) and the operator report (``opdesk report``)."""

from __future__ import annotations

import csv
from datetime import date, timedelta, tzinfo
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from core import approval as approvals
from core import desk
from core.clock import hotel_time, zone_label
from core.errors import OpdeskError
from core.inbox import awaiting_approval, reservation_row
from tui import desk_actions, shown
from tui.cli_common import (
    EXIT_OK,
    EXIT_REFUSED,
    cli_actor,
    config,
    console,
    fail,
    fail_on,
    open_store,
    parse_date,
    print_json,
)

approval_app = typer.Typer(
    help="Internal approval: ask managers by e-mail, record their yes or no.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.add_typer(approval_app, name="approval")
    app.command("report")(report_cmd)


@approval_app.command("start")
def start_cmd(
    reservation_id: int = typer.Argument(..., metavar="ID"),
    approver: list[str] = typer.Option(
        [],
        "--approver",
        "-a",
        metavar="EMAIL",
        help="Who must approve (repeat, up to 5; default: [approval.rules] default_approvers).",
    ),
    note: str = typer.Option("", "--note", help="A line for the approvers."),
    no_mail: bool = typer.Option(False, "--no-mail", help="Do not send mails: print the codes to hand over yourself."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Ask for approval of an inbox row: each approver gets a mail with a one-time code."""
    store, cfg = open_store(), config()
    try:
        asked = desk_actions.ask_approval(
            store, cfg, reservation_id, approver, cli_actor(), note=note, mail=not no_mail
        )
    except OpdeskError as exc:
        fail_on(exc)
    requests, problem = asked.requests, asked.mail_error
    shape = approvals.approvals_json(store, reservation_id)
    if as_json:
        shape["mail_error"] = problem or None
        if no_mail:
            shape["codes"] = {r.approver: r.code for r in requests}
        print_json(shape)
    else:
        names = ", ".join(r.approver for r in requests)
        console.print(
            shown.markup(f"approval of #{reservation_id} started ({shape['mode']}); asked: {names}"), highlight=False
        )
        if no_mail:
            for r in requests:
                console.print(shown.text(f"  {r.approver}: {r.code} (until {hotel_time(r.expires_at, cfg.timezone)})"))
    if problem:
        fail(
            f"approval started but the mail was not sent: {problem}; send it again with: "
            f"opdesk approval send {reservation_id}",
            EXIT_REFUSED,
        )


@approval_app.command("send")
def send_cmd(
    reservation_id: int = typer.Argument(..., metavar="ID"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: who was asked, and the mail error."),
) -> None:
    """Send the approval mails of a row again, to everyone whose code still works."""
    store, cfg = open_store(), config()
    if reservation_row(store, reservation_id) is None:
        fail(f"no operator reservation #{reservation_id} (see: opdesk inbox --status all)")
    requests = approvals.waiting_requests(store, cfg, reservation_id)
    if not requests:
        if as_json:
            print_json({"id": reservation_id, "sent_to": [], "mail_error": None})
        fail(
            f"#{reservation_id}: nobody is waiting to be asked (see: opdesk approval show {reservation_id})",
            EXIT_REFUSED,
        )
    problem = desk_actions.mail_approvers(store, cfg, requests, desk.approval_reasons(store, cfg, reservation_id))
    if as_json:
        print_json(
            {
                "id": reservation_id,
                "sent_to": [] if problem else [r.approver for r in requests],
                "mail_error": problem or None,
            }
        )
    if problem:
        fail(f"not sent: {problem}", EXIT_REFUSED)
    if not as_json:
        console.print(shown.text(f"sent to {', '.join(r.approver for r in requests)}"))


@approval_app.command("decide")
def decide_cmd(
    code: str = typer.Argument(..., metavar="CODE"),
    decision: str = typer.Argument(..., metavar="approve|reject"),
    comment: str = typer.Option("", "--comment", help="Why (kept with the decision)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Approve or reject with the one-time code from the approval mail."""
    if decision.lower() not in ("approve", "reject"):
        fail(f"the decision is approve or reject, not {decision!r}")
    store, cfg = open_store(), config()
    outcome = approvals.decide(store, cfg, code, decision, cli_actor(), comment=comment)
    problem = ""
    if outcome.ok and outcome.next_requests:
        problem = desk_actions.mail_approvers(store, cfg, outcome.next_requests)
    if as_json:
        print_json({**outcome.as_dict(), "mail_error": problem or None})
    if not outcome.ok:
        fail(outcome.message, EXIT_REFUSED)
    if not as_json:
        console.print(shown.text(outcome.message), highlight=False)
    if problem:
        fail(
            f"the next approver was not told: {problem}; send it with: opdesk approval send {outcome.reservation_id}",
            EXIT_REFUSED,
        )


@approval_app.command("show")
def show_cmd(
    reservation_id: int = typer.Argument(..., metavar="ID"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Each approver of a row's current round, with state and time."""
    store = open_store()
    if reservation_row(store, reservation_id) is None:
        fail(f"no operator reservation #{reservation_id} (see: opdesk inbox --status all)")
    shape = approvals.approvals_json(store, reservation_id)
    if as_json:
        print_json(shape)
        return
    console.print(
        shown.text(
            f"#{reservation_id}: approval {shape['state']}"
            + (f" ({shape['mode']})" if shape["mode"] else "")
            + (f" - {shape['block']}" if shape["block"] else "")
        ),
        highlight=False,
    )
    tz = config().timezone
    table = Table(
        "#",
        "approver",
        "state",
        "asked",
        "decided",
        "via",
        "comment",
        box=None,
        caption=f"times in {zone_label(tz)}",
        caption_justify="left",
    )
    for a in shape["approvers"]:
        table.add_row(
            *shown.cells(
                a["position"],
                a["approver"],
                a["state"],
                _time(a["requested_at"], tz),
                _time(a["decided_at"], tz),
                a["decided_via"],
                a["comment"],
            )
        )
    console.print(table)


@approval_app.command("list")
def list_cmd(
    state: Optional[str] = typer.Option(None, "--state", help="none, waiting, approved, rejected or expired."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Pending rows that need approval, with where their approval stands."""
    store = open_store()
    rows = awaiting_approval(store)
    listed = []
    for r in rows:
        shape = approvals.approvals_json(store, r["id"])
        if state and shape["state"] != state:
            continue
        listed.append(
            {
                "id": r["id"],
                "operator": r["operator"],
                "voucher": r["voucher"],
                "state": shape["state"],
                "block": shape["block"],
                "approvers": [a["approver"] for a in shape["approvers"]],
            }
        )
    if as_json:
        print_json(listed)
        return
    table = Table("id", "operator", "voucher", "approval", "why it waits", box=None)
    for r in listed:
        table.add_row(*shown.cells(r["id"], r["operator"], r["voucher"], r["state"], r["block"] or ""))
    console.print(table)


def _time(value: Optional[str], tz: tzinfo) -> str:
    """A time in the hotel's zone, named once in the table's caption."""
    return hotel_time(value, tz).rsplit(" ", 1)[0] if value else ""


# -- the operator report -------------------------------------------------------------------------
REPORT_COLUMNS = (
    "operator",
    "new",
    "changes",
    "cancellations",
    "room_nights",
    "revenue",
    "lead_time_days",
    "cancellation_rate",
    "price_mismatch_rate",
    "median_confirm_minutes",
)


def report_cmd(
    start: Optional[str] = typer.Option(None, "--from", help="First day (YYYY-MM-DD; default: 30 days before --to)."),
    end: Optional[str] = typer.Option(None, "--to", help="Last day (YYYY-MM-DD; default: today)."),
    operator: Optional[str] = typer.Option(None, "--operator", "-o", help="Only this operator."),
    csv_file: Optional[Path] = typer.Option(None, "--csv", metavar="FILE", help="Write the table as CSV."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (figures and daily trend)."),
) -> None:
    """How each operator performs: bookings, room nights, revenue, lead time, rates, time to confirm."""
    from core.report import daily_trend, operator_report

    last = parse_date(end, "--to") or date.today()
    first = parse_date(start, "--from") or last - timedelta(days=29)
    if first > last:
        fail(f"--from {first} is after --to {last}")
    store = open_store()
    rows = operator_report(store, first, last, operator)
    if csv_file:
        _write_csv(csv_file, rows)
    from core.pms import counts_in_period

    deliveries = counts_in_period(store, first, last)
    if as_json:
        print_json(
            {
                "from": first.isoformat(),
                "to": last.isoformat(),
                "operators": rows,
                "trend": daily_trend(store, first, last, operator),
                "pms": deliveries,
            }
        )
        return
    _print_report(rows, first, last)
    if any(deliveries.values()):
        console.print(
            "PMS deliveries: " + ", ".join(f"{n} {state}" for state, n in deliveries.items()), highlight=False
        )
    if csv_file:
        console.print(f"written: {csv_file}", highlight=False)
    raise typer.Exit(EXIT_OK)


def _write_csv(path: Path, rows: list[dict]) -> None:
    try:
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(REPORT_COLUMNS)
            for r in rows:
                writer.writerow([_csv_value(r, c) for c in REPORT_COLUMNS])
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror}")


def _csv_value(row: dict, column: str):
    value = row[column]
    if column == "revenue":
        return "; ".join(f"{amount} {currency}" for currency, amount in value.items())
    return "" if value is None else value


def _print_report(rows: list[dict], first: date, last: date) -> None:
    console.print(
        f"Operators {first} to {last}, by arrival of the message (rn: room nights; lead d: days "
        "from sale to check-in; conf min: median minutes to confirm)",
        highlight=False,
    )
    table = Table(box=None)
    for title in ("operator", "new", "chg", "cxl", "rn", "revenue", "lead d", "cxl%", "price≠%", "conf min"):
        table.add_column(
            title, no_wrap=title == "revenue", justify="left" if title in ("operator", "revenue") else "right"
        )
    for r in rows:
        table.add_row(
            shown.text(r["operator"]),
            str(r["new"]),
            str(r["changes"]),
            str(r["cancellations"]),
            str(r["room_nights"]),
            shown.text(_csv_value(r, "revenue")),
            _num(r["lead_time_days"]),
            _num(r["cancellation_rate"]),
            _num(r["price_mismatch_rate"]),
            _num(r["median_confirm_minutes"]),
        )
    console.print(table)


def _num(value) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
