"""The hotel's side: mappings, stop-sales, room types and forecast, imported PMS bookings, the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from core import desk
from core.audit import audit_rows
from core.audit import verify as verify_audit
from core.errors import ConfigError, NotFound
from core.forecast import forecast as forecast_nights
from core.hotelbook import (
    BookError,
    add_stop_sale,
    import_reservations,
    list_stop_sales,
    remove_stop_sale,
    room_types,
)
from core.ingest import recheck
from core.mapping import list_mappings, missing_mappings
from core.models import MAPPING_KINDS
from core.store import Store
from tui import cli_common, shown
from tui.cli_common import EXIT_REFUSED, cli_actor, config, console, fail, open_store, parse_date, print_json

map_app = typer.Typer(
    help="Operator codes -> the hotel's codes (room, board, rate, market, agency).", no_args_is_help=True
)
stopsale_app = typer.Typer(
    help="Stop-sales: dates a room type (or the hotel) is closed, for all or one operator.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.command("forecast")(forecast_cmd)
    app.command("rooms")(rooms_cmd)
    app.command("import-reservations")(import_cmd)
    app.command("audit")(audit_cmd)
    app.add_typer(map_app, name="map")
    app.add_typer(stopsale_app, name="stopsale")


# -- forecast --------------------------------------------------------------------
def forecast_cmd(
    room: str = typer.Argument(..., help="Hotel room type code."),
    start: str = typer.Option(..., "--from", help="First night (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last night (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Capacity, confirmed, available, pending, total and expected available per night."""
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        fail("--to is before --from")
    store = open_store()
    try:
        nights = forecast_nights(store, room, first, last)
    except NotFound as exc:
        fail(f"{exc} (see: opdesk rooms)")
    if as_json:
        print_json([n.as_dict() for n in nights])
        return
    table = Table("date", "capacity", "confirmed", "available", "pending", "total", "expected", box=None)
    for n in nights:
        style = "red" if n.expected_available < 0 else ""
        table.add_row(
            n.date.isoformat(),
            str(n.capacity),
            str(n.confirmed),
            str(n.available),
            str(n.pending),
            str(n.total),
            f"[{style}]{n.expected_available}[/]" if style else str(n.expected_available),
        )
    console.print(table)


def rooms_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The hotel's room types and their capacity."""
    rows = room_types(open_store())
    if as_json:
        print_json(rows)
        return
    table = Table("code", "name", "capacity", box=None)
    for r in rows:
        table.add_row(*shown.cells(r["code"], r["name"], r["capacity"]))
    console.print(table)


# -- mappings ----------------------------------------------------------------------
def _kind(kind: str) -> str:
    if kind not in MAPPING_KINDS:
        fail(f"unknown kind {kind!r}: use one of {', '.join(MAPPING_KINDS)}")
    return kind


@map_app.command("list")
def map_list(
    operator: Optional[str] = typer.Argument(None),
    kind: Optional[str] = typer.Option(None, "--kind"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List mappings."""
    rows = list_mappings(open_store(), operator, _kind(kind) if kind else None)
    if as_json:
        print_json(rows)
        return
    table = Table("operator", "kind", "code", "hotel code", box=None)
    for r in rows:
        table.add_row(*shown.cells(r["operator"], r["kind"], r["code"], r["hotel_code"]))
    console.print(table)


def _mapped_to(store: Store, operator: str, kind: str, code: str) -> str | None:
    """The hotel code ``code`` is mapped to now, or None."""
    return next((m["hotel_code"] for m in list_mappings(store, operator, kind) if m["code"] == code), None)


@map_app.command("set")
def map_set(
    operator: str,
    kind: str,
    code: str,
    hotel_code: str,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Map an operator's code to the hotel's; every pending row that needed it is re-mapped."""
    store, cfg = open_store(), config()
    _kind(kind)
    before = _mapped_to(store, operator, kind, code)
    done = desk.map_code(store, cfg, operator, kind, code, hotel_code, cli_actor())
    if as_json:
        print_json(
            {
                "operator": operator,
                "kind": kind,
                "code": code,
                "hotel_code": hotel_code,
                "before": before,
                "rechecked": done.rechecked,
            }
        )
        return
    console.print(shown.text(done.message))


@map_app.command("unset")
def map_unset(
    operator: str, kind: str, code: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Remove a mapping; pending rows that used it show it missing again."""
    store, cfg = open_store(), config()
    _kind(kind)
    before = _mapped_to(store, operator, kind, code)
    try:
        done = desk.unmap_code(store, cfg, operator, kind, code, cli_actor())
    except NotFound as exc:
        fail(str(exc), EXIT_REFUSED)
    if as_json:
        print_json({"operator": operator, "kind": kind, "code": code, "removed": before, "rechecked": done.rechecked})
        return
    console.print(shown.text(done.message))


@map_app.command("missing")
def map_missing(
    operator: Optional[str] = typer.Argument(None), as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Operator codes pending rows use that no mapping covers."""
    rows = missing_mappings(open_store(), operator)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("every pending row is mapped")
        return
    table = Table("operator", "kind", "code", "rows", "fix with", box=None)
    for r in rows:
        table.add_row(
            *shown.cells(
                r["operator"],
                r["kind"],
                r["code"],
                r["rows"],
                f"opdesk map set {r['operator']} {r['kind']} {r['code']} <hotel code>",
            )
        )
    console.print(table)


# -- stop-sales --------------------------------------------------------------------
@stopsale_app.command("add")
def stopsale_add(
    start: str = typer.Option(..., "--from", help="First night closed (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last night closed (YYYY-MM-DD)."),
    room: str = typer.Option("", "--room", help="Room type (default: every room)."),
    operator: str = typer.Option("", "--operator", "-o", help="Only for this operator."),
    reason: str = typer.Option("", "--reason", help="Why, for colleagues."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Close a room type (or the hotel) for sale; pending rows are checked again."""
    store, cfg = open_store(), config()
    try:
        sid = add_stop_sale(
            store, cli_actor(), parse_date(start, "--from"), parse_date(end, "--to"), room, operator, reason
        )
    except BookError as exc:
        fail(str(exc))
    n = recheck(store, cfg)
    if as_json:
        added = next((s for s in list_stop_sales(store) if s["id"] == sid), {})
        print_json({k: v for k, v in added.items() if k != "removed_at"} | {"rechecked": n})
        return
    console.print(f"stop-sale #{sid} added; {n} pending row(s) checked again", highlight=False)


@stopsale_app.command("list")
def stopsale_list(
    all_: bool = typer.Option(False, "--all", help="Also removed ones."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List stop-sales."""
    rows = list_stop_sales(open_store(), include_removed=all_)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "room", "from", "to", "operator", "reason", box=None)
    for r in rows:
        table.add_row(
            *shown.cells(r["id"], r["room"] or "all", r["start"], r["end"], r["operator"] or "all", r["reason"])
        )
    console.print(table)


@stopsale_app.command("remove")
def stopsale_remove(
    stop_id: int = typer.Argument(..., metavar="ID"), as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Lift a stop-sale (it stays in the history); pending rows are checked again."""
    store, cfg = open_store(), config()
    try:
        remove_stop_sale(store, cli_actor(), stop_id)
    except BookError as exc:
        fail(str(exc))
    n = recheck(store, cfg)
    if as_json:
        print_json({"id": stop_id, "removed": True, "rechecked": n})
        return
    console.print(f"stop-sale #{stop_id} lifted; {n} pending row(s) checked again", highlight=False)


# -- import, audit ---------------------------------------------------------------
def import_cmd(
    file: Path = typer.Argument(..., metavar="FILE.csv", help="CSV with a header row."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: created, updated, errors."),
) -> None:
    """Import bookings from the hotel's PMS so voucher matching finds them.

    Columns: number, room, check_in, check_out (required); operator, voucher
    (several separated by ';'), board, rate, market, rooms, adults, children
    (ages separated by ';'), guest_names, total, currency, status.
    """
    store, cfg = open_store(), config()
    try:
        report = import_reservations(store, file, cli_actor())
    except BookError as exc:
        fail(str(exc))
    if report.errors:
        if as_json:
            print_json({"created": 0, "updated": 0, "errors": report.errors, "rechecked": 0})
        else:
            for e in report.errors:
                console.print(f"[red]error:[/] {shown.markup(e)}", highlight=False)
        fail(f"{len(report.errors)} bad row(s); nothing imported", cli_common.EXIT_BAD_INPUT)
    n = recheck(store, cfg)
    if as_json:
        print_json({"created": report.created, "updated": report.updated, "errors": [], "rechecked": n})
        return
    console.print(
        f"{report.created} created, {report.updated} updated; {n} pending row(s) checked again", highlight=False
    )


def audit_cmd(
    reservation_id: Optional[int] = typer.Argument(None, metavar="[ID]"),
    user: Optional[str] = typer.Option(None, "--user", help="Only this user."),
    action: Optional[str] = typer.Option(None, "--action", help="Only this action (save, confirm, ...)."),
    origin: Optional[str] = typer.Option(None, "--from-origin", help="cli, app, email or system."),
    since: Optional[str] = typer.Option(None, "--since", help="On or after (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", help="On or before (YYYY-MM-DD)."),
    limit: int = typer.Option(100, "--limit", "-n"),
    verify: bool = typer.Option(
        False, "--verify", help="Check every row's seal; exit 1 naming the first row changed, removed or inserted."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The audit log, newest first: who did what, when, from where."""
    if verify:
        return audit_verify(as_json)
    parse_date(since, "--since")
    parse_date(until, "--until")
    rows = audit_rows(
        open_store(),
        reservation_id=reservation_id,
        actor=user,
        action=action,
        origin=origin,
        since=since,
        until=until,
        limit=limit,
    )
    if as_json:
        for r in rows:
            r["before"], r["after"] = json.loads(r["before"]), json.loads(r["after"])
        print_json(rows)
        return
    table = Table("at", "who", "from", "action", "res", "detail", box=None)
    for r in rows:
        who = r["actor"] if r["os_user"] in ("", r["actor"]) else f"{r['actor']} ({r['os_user']})"
        table.add_row(
            *shown.cells(
                r["at"][:19].replace("T", " "), who, r["origin"], r["action"], r["reservation_id"] or "", r["detail"]
            )
        )
    console.print(table)


def audit_verify(as_json: bool) -> None:
    """``audit --verify``: walk the sealed chain; 0 when it holds, 1 naming the first row that does not."""
    try:
        verdict = verify_audit(open_store())
    except ConfigError as exc:
        fail(str(exc))
    if as_json:
        print_json(verdict.as_dict())
    elif verdict.ok:
        console.print(f"audit log intact: {verdict.rows} rows, each sealed to the one before", highlight=False)
    else:
        cli_common.err_console.print(
            f"audit log broken: {verdict.problem['message'] if verdict.problem else ''}", highlight=False, markup=False
        )
        if verdict.triggers_missing:
            cli_common.err_console.print(
                f"the triggers that refuse changes are gone: {', '.join(verdict.triggers_missing)}",
                highlight=False,
                markup=False,
            )
    raise typer.Exit(cli_common.EXIT_OK if verdict.ok else EXIT_REFUSED)
