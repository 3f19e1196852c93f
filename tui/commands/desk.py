"""The inbox's commands: inbox, show, documents, save, confirm, reject."""

from __future__ import annotations

import shutil
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

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
from core.overrides import OverrideError, Overrides
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
from tui.widgets import cells

CHECK_SHORT = {"price": "P", "values": "I", "stop_sale": "S", "voucher": "V", "release": "L", "overbooking": "O"}
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
    flt = InboxFilter(
        status=status,
        operator=operator,
        since=parse_date(since, "--since"),
        search=search,
        latest_only=not all_versions,
        sort=sort,
    )
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
    width = terminal_width()
    # A console of its own: the shared one keeps the width it found at start (and caps print's width to it).
    Console(width=width).print(_inbox_table(rows, width))
    if total > len(rows):
        console.print(f"[dim]{len(rows)} of {total} shown (--limit 0 for all)[/]")
    failed = raw_messages(store)
    if failed:
        console.print(f"[yellow]{len(failed)} message(s) could not be read: opdesk raw list[/]")


WIDE_INBOX = 152  # columns from which the inbox prints status, content, operator and agency in full words

# (label, width): a width of 0 lets the column take what is left (the guest).
NARROW_COLUMNS = (
    ("ID", 5),
    ("S", 1),
    ("C", 1),
    ("Oper", 6),
    ("Voucher", 11),
    ("Guest", 0),
    ("Check-in", 10),
    ("N", 2),
    ("Room", 5),
    ("Pax", 7),
    ("Map", 3),
    ("Chk", 6),
)
WIDE_COLUMNS = (
    ("ID", 6),
    ("Status", 9),
    ("Content", 7),
    ("Operator", 10),
    ("Agency", 16),
    ("Voucher", 14),
    ("Guest", 0),
    ("Check-in", 10),
    ("Check-out", 10),
    ("Nts", 3),
    ("Room", 6),
    ("Pax", 7),
    ("Map", 3),
    ("Checks", 6),
    ("Possible match", 16),
)


def terminal_width() -> int:
    """The terminal's width ($COLUMNS first), 80 when output is not a terminal."""
    return shutil.get_terminal_size((80, 24)).columns


def _inbox_table(rows: list[dict], width: int = 80) -> Table:
    """The inbox for a terminal ``width`` wide: full words from WIDE_INBOX columns, else letters within 80.

    Operator text goes in as ``Text``: a guest called ``[/]`` is a name, not markup.
    """
    wide = width >= WIDE_INBOX
    table = Table(
        box=None,
        pad_edge=False,
        collapse_padding=True,
        header_style="bold",
        caption_justify="left",
        caption=("Checks" if wide else "Chk") + ": Price values(I) Stop-sale Voucher reLease Overbooking "
        "(green ok, yellow look, red fail)" + ("" if wide else "; S status, C content"),
    )
    columns = WIDE_COLUMNS if wide else NARROW_COLUMNS
    # Each column is followed by one space; the guest gets what the others leave (never less than 6).
    guest_width = max(6, min(width, 160) - sum(size + 1 for _, size in columns) - 1)
    for col, size in columns:
        table.add_column(
            col, no_wrap=True, overflow="ellipsis", min_width=size or guest_width, max_width=size or guest_width
        )
    for r in rows:
        mapping = Text()
        for kind in r["missing_mappings"]:
            mapping.append(kind[0].upper(), style="red")
        if not r["missing_mappings"]:
            mapping.append("ok", style="green")
        checks = Text()
        for name, c in r["checks"].items():
            checks.append(CHECK_SHORT.get(name, name[0].upper()), style=STATE_STYLE.get(c["state"], "red"))
        room = shown.text(r["hotel_room"]) if r["hotel_room"] else shown.text(r["room"], "red")
        guest = shown.text(r["guest_names"].split(";")[0])
        if wide:
            table.add_row(
                str(r["id"]),
                r["status"],
                r["content"],
                shown.text(r["operator"]),
                shown.text(r["agency"] or ""),
                shown.text(r["voucher"]),
                guest,
                r["check_in"] or "",
                r["check_out"] or "",
                str(r["nights"] or ""),
                room,
                r["pax"],
                mapping,
                checks,
                cells.matches_text(r["checks"]),
            )
        else:
            content = "x" if r["content"] == "cancel" else r["content"][0]
            table.add_row(
                str(r["id"]),
                r["status"][0],
                content,
                shown.text(r["operator"]),
                shown.text(r["voucher"]),
                guest,
                r["check_in"] or "",
                str(r["nights"] or ""),
                room,
                r["pax"],
                mapping,
                checks,
            )
    return table


def show(
    reservation_id: int = typer.Argument(..., metavar="ID"),
    as_json: bool = typer.Option(False, "--json", help="Print the documented JSON shape."),
) -> None:
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
        (
            "guests",
            "; ".join(
                shown.markup(f"{g['last_name']} {g['first_name']}") + (f" ({g['age']})" if g["age"] is not None else "")
                for g in data["guests"]
            )
            or "-",
        ),
        ("total", f"{d['total'] or '-'} {d['currency']}   sale date {d['sale_date'] or '-'}"),
        ("hotel", d["hotel_number"] or "not saved"),
    ]
    if data["pms_number"]:
        lines.append(("pms", d["pms_number"]))
    lines.append(
        ("source", f"{d['source'] or '-'}   segment {d['segment'] or '-'}   rate type {d['rate_type'] or '-'}")
    )
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
        console.print(
            f"  [{style}]{name:12} {shown.markup(check['state']):12}[/] {shown.markup(check['message'])}",
            highlight=False,
        )
    nights = data["price_table"].get("nights") if data["price_table"] else None
    if nights:
        table = Table("date", "contract", "discount", "price", "operator", box=None)
        for n in nights:
            table.add_row(
                *shown.cells(
                    n["date"],
                    n.get("contract_price", ""),
                    n.get("discount", ""),
                    n.get("price", ""),
                    n.get("operator_price", ""),
                )
            )
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
def _report(
    outcomes: list[ActionOutcome], as_json: bool, skipped: list[dict] | None = None, dry_run: bool = False
) -> None:
    if as_json:
        payload: dict[str, Any] = {
            "done": [o.as_dict() for o in outcomes if o.ok],
            "failed": [o.as_dict() for o in outcomes if not o.ok],
        }
        if skipped is not None:
            payload["skipped"] = skipped
        if dry_run:
            payload["dry_run"] = True
        print_json(payload)
    else:
        # Vouchers and messages carry operator text (a stop-sale reason, a voucher "[/]"): shown as text.
        for o in outcomes:
            mark = "[green]✓[/]" if o.ok else "[red]✗[/]"
            console.print(f"{mark} #{o.id} {shown.markup(o.voucher)} {shown.markup(o.message)}", highlight=False)
        for s in skipped or []:
            console.print(
                f"[yellow]-[/] #{s['id']} {shown.markup(s['voucher'])} skipped: "
                f"{shown.markup('; '.join(s['reasons']))}",
                highlight=False,
            )
    if any(not o.ok for o in outcomes):
        raise typer.Exit(EXIT_REFUSED)


def _confirm_prompt(what: str, yes: bool) -> None:
    if yes:
        return
    if not typer.confirm(what, default=False):
        fail("nothing done", EXIT_REFUSED)


OVERRIDE_HELP = "Save or confirm although this check failed: values or stop_sale (repeatable; every ID; audited)."
REASON_HELP = "Why the override is right (kept in the audit log); needed with --override."


def _overrides(checks: list[str] | None, reason: str) -> Overrides:
    try:
        return Overrides.of(checks or [], reason)
    except OverrideError as exc:
        fail(str(exc), EXIT_BAD_INPUT)


def save_cmd(
    ids: list[int] = typer.Argument(..., metavar="ID..."),
    override: Optional[list[str]] = typer.Option(None, "--override", metavar="CHECK", help=OVERRIDE_HELP),
    reason: str = typer.Option("", "--reason", "-r", help=REASON_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Save rows into the hotel book (create or update; a cancellation cancels). Nothing is sent."""
    overrides = _overrides(override, reason)
    store = open_store()
    outcomes = desk.save(store, config(), ids, cli_actor(), overrides)
    say_after_save(store, config(), cli_actor())
    _report(outcomes, as_json)


def confirm_cmd(
    ids: Optional[list[int]] = typer.Argument(None, metavar="[ID...]"),
    clean: bool = typer.Option(False, "--clean", help="Every pending row with all mappings and all checks passed."),
    operator: Optional[str] = typer.Option(None, "--operator", "-o", help="With --clean: only this operator."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be confirmed and skipped; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before sending confirmations."),
    override: Optional[list[str]] = typer.Option(None, "--override", metavar="CHECK", help=OVERRIDE_HELP),
    reason: str = typer.Option("", "--reason", "-r", help=REASON_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: done, failed, skipped."),
) -> None:
    """Save rows into the hotel book and send the confirmation to the operator."""
    overrides = _overrides(override, reason)
    store, cfg = open_store(), config()
    skipped = None
    if clean:
        if ids:
            fail("give IDs or --clean, not both")
        if overrides:
            fail("--override is for the IDs a person looked at, not for --clean")
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
    outcomes = desk_actions.confirm(store, cfg, ids, cli_actor(), overrides=overrides)
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


def documents_cmd(
    reservation_id: int = typer.Argument(..., metavar="ID"),
    text: bool = typer.Option(False, "--text", help="Print each document's text (a PDF's text too)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The documents that came with a reservation: where they are kept, and their text with --text."""
    store = open_store()
    if reservation_row(store, reservation_id) is None:
        fail(f"no operator reservation #{reservation_id}")
    docs = documents_of(store, reservation_id)
    if as_json:
        print_json(
            [
                {
                    "id": d["id"],
                    "name": d["name"],
                    "content_type": d["content_type"],
                    "size": d["size"],
                    "sha256": d["sha256"],
                    "path": str(document_path(store, d)),
                    **({"text": document_text(store, d)} if text else {}),
                }
                for d in docs
            ]
        )
        return
    if not docs:
        console.print(f"#{reservation_id} has no documents (opdesk show {reservation_id} for the message)")
        return
    for d in docs:
        console.print(
            f"[bold]{shown.markup(d['name'])}[/] ({shown.markup(d['content_type'])}, {d['size']:,} bytes) "
            f"{shown.markup(document_path(store, d))}",
            highlight=False,
            soft_wrap=True,
        )
        if text:
            console.print(shown.text(document_text(store, d), lines=True), highlight=False)
