"""The inbox's commands: inbox, show, documents, save, confirm, reject."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from core import desk
from core.desk import ActionOutcome, ActionRefused
from core.documents import document_path, document_text, documents_of
from core.errors import NotFound
from core.flights import flight_label
from core.inbox import (
    SORTS,
    InboxFilter,
    count_rows,
    counts_by_status,
    list_rows,
    raw_messages,
    reservation_json,
    reservation_row,
)
from core.store import Store
from tui import desk_actions, shown
from tui.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_REFUSED,
    cli_actor,
    config,
    console,
    fail,
    open_store,
    parse_date,
    print_json,
)
from tui.commands.pms import say_after_save

CHECK_SHORT = {"price": "P", "stop_sale": "S", "voucher": "V", "release": "R", "overbooking": "O"}
STATE_STYLE = {"ok": "green", "skipped": "dim", "warn": "yellow", "no contract": "yellow"}


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.command("inbox")(inbox)
    app.command("show")(show)
    app.command("documents")(documents_cmd)
    app.command("save")(save_cmd)
    app.command("confirm")(confirm_cmd)
    app.command("reject")(reject_cmd)


def inbox(
    status: str = typer.Option("pending", "--status", "-s", help="pending, confirmed, rejected or all."),
    operator: Optional[str] = typer.Option(None, "--operator", "-o", help="Only this operator."),
    since: Optional[str] = typer.Option(None, "--since", help="Received on or after this date (YYYY-MM-DD)."),
    search: str = typer.Option("", "--search", help="Voucher or guest name contains this."),
    all_versions: bool = typer.Option(False, "--all-versions", help="Also versions a newer message replaced."),
    sort: str = typer.Option("created", "--sort", help=f"One of: {', '.join(SORTS)}."),
    limit: int = typer.Option(50, "--limit", "-n", help="At most this many rows (0: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON rows (the shape of `show --json`)."),
) -> None:
    """List operator reservations, newest first."""
    flt = InboxFilter(status=status, operator=operator, since=parse_date(since, "--since"), search=search,
                      latest_only=not all_versions, sort=sort)
    store = open_store()
    try:
        total = count_rows(store, flt)
        rows = list_rows(store, flt, limit=limit or max(total, 1))
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        print_json([reservation_json(store, r["id"]) for r in rows])
        return
    counts = counts_by_status(store, flt)
    console.print(" · ".join(f"{k} {v}" for k, v in counts.items()), highlight=False)
    console.print(_inbox_table(rows))
    if total > len(rows):
        console.print(f"[dim]{len(rows)} of {total} shown (--limit 0 for all)[/]")
    failed = raw_messages(store)
    if failed:
        console.print(f"[yellow]{len(failed)} message(s) could not be read: opdesk raw list[/]")


def _inbox_table(rows: list[dict]) -> Table:
    """Fits 80 columns: status and content by their first letter, mappings and checks as letters."""
    table = Table(box=None, pad_edge=False, collapse_padding=True, header_style="bold", caption_justify="left",
                  caption="Chk: Price Stop-sale Voucher Release Overbooking (green ok, yellow look, red fail)")
    widths = {"ID": 5, "S": 1, "C": 1, "Oper": 6, "Voucher": 11, "Guest": 12, "Check-in": 10, "N": 2, "Room": 5,
              "Pax": 7, "Map": 3, "Chk": 5}
    for col, width in widths.items():
        table.add_column(col, no_wrap=True, overflow="ellipsis", min_width=width if col != "Guest" else 6,
                         max_width=width)
    for r in rows:
        mapping = "".join(f"[red]{k[0]}[/]" for k in r["missing_mappings"]) or "[green]ok[/]"
        checks = "".join(
            f"[{STATE_STYLE.get(c['state'], 'red')}]{CHECK_SHORT.get(name, name[0])}[/]"
            for name, c in r["checks"].items())
        content = "x" if r["content"] == "cancel" else r["content"][0]
        table.add_row(str(r["id"]), r["status"][0], content, *shown.cells(r["operator"], r["voucher"],
                      r["guest_names"].split(";")[0], r["check_in"] or "", r["nights"] or ""),
                      shown.markup(r["hotel_room"]) if r["hotel_room"] else shown.text(r["room"], "red"), r["pax"],
                      mapping, checks)
    return table


def show(reservation_id: int = typer.Argument(..., metavar="ID"),
         as_json: bool = typer.Option(False, "--json", help="Print the documented JSON shape.")) -> None:
    """Show one operator reservation with its checks and price table."""
    store = open_store()
    try:
        data = reservation_json(store, reservation_id)
    except NotFound as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    if as_json:
        print_json(data)
        return
    # Every value here may have come from an operator: made safe for markup, controls shown (tui/shown.py).
    d = {k: shown.markup(v) for k, v in data.items() if not isinstance(v, (dict, list))}
    head = f"#{d['id']} {d['operator']} voucher {d['voucher']} v{d['version']} {d['content']} · {d['status']}"
    console.print(f"[bold]{head}[/]", highlight=False)
    unmapped = "[red]not mapped[/]"
    lines = [
        ("stay", f"{d['check_in']} → {d['check_out']} ({d['nights']} nights), {d['rooms']} room(s)"),
        ("pax", f"{d['pax']} (adults {d['adults']}, child ages {shown.markup(data['child_ages'] or '-')})"),
        ("room", f"{d['room']} → {d['hotel_room'] or unmapped}"),
        ("board", f"{d['board']} → {d['hotel_board'] or unmapped}"),
        ("rate", f"{d['rate']} → {d['hotel_rate'] or unmapped}"),
        ("agency", f"{d['agency']}   market {d['market'] or '-'}   nationality {d['nationality'] or '-'}"),
        ("guests", "; ".join(shown.markup(f"{g['last_name']} {g['first_name']}") +
                             (f" ({g['age']})" if g['age'] is not None else "") for g in data["guests"]) or "-"),
        ("total", f"{d['total'] or '-'} {d['currency']}   sale date {d['sale_date'] or '-'}"),
        ("hotel", d["hotel_number"] or "not saved"),
    ]
    if data["pms_number"]:
        lines.append(("pms", d["pms_number"]))
    lines.append(("source", f"{d['source'] or '-'}   segment {d['segment'] or '-'}   "
                            f"rate type {d['rate_type'] or '-'}"))
    if data["option_date"]:
        lines.append(("option", f"until {d['option_date']}"))
    if data["possible_matches"]:
        lines.append(("match", f"{d['possible_matches']} possible: {d['best_match']}"))
    for flight in data["flights"]:
        lines.append(("flight", shown.markup(flight_label(flight))))
    if data["notes"]:
        lines.append(("notes", shown.markup(data["notes"], lines=True)))
    for key, value in lines:
        console.print(f"  {key:8} {value}", highlight=False)
    for name, check in data["checks"].items():
        style = STATE_STYLE.get(check["state"], "red")
        console.print(f"  [{style}]{name:12} {shown.markup(check['state']):12}[/] {shown.markup(check['message'])}",
                      highlight=False)
    nights = data["price_table"].get("nights") if data["price_table"] else None
    if nights:
        table = Table("date", "contract", "discount", "price", "operator", box=None)
        for n in nights:
            table.add_row(*shown.cells(n["date"], n.get("contract_price", ""), n.get("discount", ""),
                                       n.get("price", ""), n.get("operator_price", "")))
        console.print(table)
    if data["diff"]:
        changes = ", ".join(shown.markup(f"{k} {_brief(v[0])} → {_brief(v[1])}") for k, v in data["diff"].items())
        console.print("  changed: " + changes, highlight=False)


def _brief(value) -> str:
    """A diff value short enough for one line: lists by their length."""
    if isinstance(value, list):
        return f"[{len(value)} item(s)]"
    return repr(value)


# -- actions ---------------------------------------------------------------------
def _report(outcomes: list[ActionOutcome], as_json: bool, skipped: list[dict] | None = None,
            dry_run: bool = False) -> None:
    if as_json:
        payload = {"done": [o.as_dict() for o in outcomes if o.ok],
                   "failed": [o.as_dict() for o in outcomes if not o.ok]}
        if skipped is not None:
            payload["skipped"] = skipped
        if dry_run:
            payload["dry_run"] = True
        print_json(payload)
    else:
        for o in outcomes:
            mark = "[green]✓[/]" if o.ok else "[red]✗[/]"
            console.print(f"{mark} #{o.id} {shown.markup(o.voucher)} {shown.markup(o.message)}", highlight=False)
        for s in skipped or []:
            console.print(f"[yellow]-[/] #{s['id']} {shown.markup(s['voucher'])} skipped: "
                          f"{shown.markup('; '.join(s['reasons']))}", highlight=False)
    if any(not o.ok for o in outcomes):
        raise typer.Exit(EXIT_REFUSED)


def _confirm_prompt(what: str, yes: bool) -> None:
    if yes:
        return
    if not typer.confirm(what, default=False):
        fail("nothing done", EXIT_REFUSED)


def save_cmd(ids: list[int] = typer.Argument(..., metavar="ID..."),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Save rows into the hotel book (create or update; a cancellation cancels). Nothing is sent."""
    store = open_store()
    outcomes = desk.save(store, config(), ids, cli_actor())
    say_after_save(store, config(), cli_actor())
    _report(outcomes, as_json)


def confirm_cmd(
    ids: Optional[list[int]] = typer.Argument(None, metavar="[ID...]"),
    clean: bool = typer.Option(False, "--clean", help="Every pending row with all mappings and all checks passed."),
    operator: Optional[str] = typer.Option(None, "--operator", "-o", help="With --clean: only this operator."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be confirmed and skipped; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before sending confirmations."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: done, failed, skipped."),
) -> None:
    """Save rows into the hotel book and send the confirmation to the operator."""
    store, cfg = open_store(), config()
    skipped = None
    if clean:
        if ids:
            fail("give IDs or --clean, not both")
        selection = desk.clean_selection(store, operator)
        ids, skipped = selection.ready, selection.skipped
    elif not ids:
        fail("give the IDs to confirm, or --clean for every clean row")
    if dry_run:
        outcomes = [ActionOutcome(i, "confirm", True, "would be confirmed", voucher=_voucher(store, i)) for i in ids]
        _report(outcomes, as_json, skipped, dry_run=True)
        return
    if ids:
        _confirm_prompt(f"Confirm {len(ids)} reservation(s) and tell the operator(s)?", yes or as_json)
    outcomes = desk_actions.confirm(store, cfg, ids, cli_actor())
    say_after_save(store, cfg, cli_actor())
    _report(outcomes, as_json, skipped)


def _voucher(store: Store, rid: int) -> str:
    row = reservation_row(store, rid)
    return row["voucher"] if row else ""


def reject_cmd(
    ids: list[int] = typer.Argument(..., metavar="ID..."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why (sent to the operator)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before sending."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Reject rows with a reason and tell the operator."""
    store, cfg = open_store(), config()
    _confirm_prompt(f"Reject {len(ids)} reservation(s) and tell the operator(s)?", yes or as_json)
    try:
        outcomes = desk_actions.reject(store, cfg, ids, cli_actor(), reason)
    except ActionRefused as exc:
        fail(str(exc))
    _report(outcomes, as_json)


def documents_cmd(reservation_id: int = typer.Argument(..., metavar="ID"),
                  text: bool = typer.Option(False, "--text", help="Print each document's text (a PDF's text too)."),
                  as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The documents that came with a reservation: where they are kept, and their text with --text."""
    store = open_store()
    if reservation_row(store, reservation_id) is None:
        fail(f"no operator reservation #{reservation_id}")
    docs = documents_of(store, reservation_id)
    if as_json:
        print_json([{"id": d["id"], "name": d["name"], "content_type": d["content_type"], "size": d["size"],
                     "sha256": d["sha256"], "path": str(document_path(store, d)),
                     **({"text": document_text(store, d)} if text else {})} for d in docs])
        return
    if not docs:
        console.print(f"#{reservation_id} has no documents (opdesk show {reservation_id} for the message)")
        return
    for d in docs:
        console.print(f"[bold]{shown.markup(d['name'])}[/] ({shown.markup(d['content_type'])}, {d['size']:,} bytes) "
                      f"{shown.markup(document_path(store, d))}", highlight=False, soft_wrap=True)
        if text:
            console.print(shown.text(document_text(store, d), lines=True), highlight=False)
