"""The desk's commands: inbox, show, save, confirm, reject, mappings, stop-sales, forecast, audit, ingest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from core import locations
from core.actions import (
    ActionOutcome,
    ActionRefused,
    clean_selection,
    confirm,
    reject,
    save,
)
from core.audit import Actor, audit_rows, record
from core.overrides import OverrideError, Overrides
from core.forecast import forecast as forecast_nights
from core.hotelbook import (
    BookError,
    add_stop_sale,
    import_reservations,
    list_stop_sales,
    remove_stop_sale,
)
from core.inbox import (
    SORTS,
    InboxFilter,
    count_rows,
    counts_by_status,
    list_rows,
    raw_messages,
    reservation_json,
)
from core.ingest import Ingestor, recheck, remap_after_mapping
from core.mapping import list_mappings, missing_mappings, set_mapping, unset_mapping
from core.models import MAPPING_KINDS, RawMessage
from tui.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    STATE,
    config,
    console,
    err_console,
    fail,
    open_store,
    parse_date,
    print_json,
)

map_app = typer.Typer(help="Operator codes -> the hotel's codes (room, board, rate, market, agency).",
                      no_args_is_help=True)
stopsale_app = typer.Typer(help="Stop-sales: dates a room type (or the hotel) is closed, for all or one operator.",
                           no_args_is_help=True)
raw_app = typer.Typer(help="Raw messages as they arrived: list those that failed, show one, parse again.",
                      no_args_is_help=True)

CHECK_SHORT = {"price": "P", "values": "I", "stop_sale": "S", "voucher": "V", "release": "L", "overbooking": "O"}
STATE_STYLE = {"ok": "green", "skipped": "dim", "warn": "yellow", "no contract": "yellow"}


def _actor() -> Actor:
    return Actor.current("cli", STATE.actor)


# -- setup ---------------------------------------------------------------------
def init(force: bool = typer.Option(False, "--force", help="Overwrite an existing config file.")) -> None:
    """Write a starter config file where opdesk looks for it (see: opdesk locate)."""
    path = locations.find_config_path(STATE.config_path)
    if path.exists() and not force:
        fail(f"{path} already exists (use --force to overwrite)", EXIT_REFUSED)
    path.parent.mkdir(parents=True, exist_ok=True)
    starter = Path(__file__).resolve().parent.parent / "starter.toml"
    shutil.copyfile(starter, path)
    console.print(f"wrote {path}\nedit it, then try: opdesk inbox", highlight=False)


def locate(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print where the config, the store and the documents live."""
    cfg = config()
    where = {"config": str(cfg.path), "config_exists": cfg.path.exists(), "store": str(cfg.store_path),
             "documents": str(cfg.documents_dir)}
    if as_json:
        print_json(where)
        return
    for key in ("config", "store", "documents"):
        note = "" if key != "config" or where["config_exists"] else "  (missing: opdesk init)"
        console.print(f"{key:10} {where[key]}{note}", highlight=False)


# -- inbox -----------------------------------------------------------------------
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
    width = terminal_width()
    # A console of its own: the shared one keeps the width it found at start (and caps print's width to it).
    Console(width=width).print(_inbox_table(rows, width))
    if total > len(rows):
        console.print(f"[dim]{len(rows)} of {total} shown (--limit 0 for all)[/]")
    failed = raw_messages(store)
    if failed:
        console.print(f"[yellow]{len(failed)} message(s) could not be read: opdesk raw list[/]")


WIDE_INBOX = 134   # columns from which the inbox prints status, content, operator and agency in full words

# (label, width): a width of 0 lets the column take what is left (the guest).
NARROW_COLUMNS = (("ID", 5), ("S", 1), ("C", 1), ("Oper", 6), ("Voucher", 11), ("Guest", 0), ("Check-in", 10),
                  ("N", 2), ("Room", 5), ("Pax", 7), ("Map", 3), ("Chk", 6))
WIDE_COLUMNS = (("ID", 6), ("Status", 9), ("Content", 7), ("Operator", 10), ("Agency", 16), ("Voucher", 14),
                ("Guest", 0), ("Check-in", 10), ("Check-out", 10), ("Nts", 3), ("Room", 6), ("Pax", 7),
                ("Map", 3), ("Checks", 6))


def terminal_width() -> int:
    """The terminal's width ($COLUMNS first), 80 when output is not a terminal."""
    return shutil.get_terminal_size((80, 24)).columns


def _inbox_table(rows: list[dict], width: int = 80) -> Table:
    """The inbox for a terminal ``width`` wide: full words from WIDE_INBOX columns, else letters within 80.

    Operator text goes in as ``Text``: a guest called ``[/]`` is a name, not markup.
    """
    wide = width >= WIDE_INBOX
    table = Table(box=None, pad_edge=False, collapse_padding=True, header_style="bold", caption_justify="left",
                  caption=("Checks" if wide else "Chk") + ": Price values(I) Stop-sale Voucher reLease Overbooking "
                  "(green ok, yellow look, red fail)" + ("" if wide else "; S status, C content"))
    columns = WIDE_COLUMNS if wide else NARROW_COLUMNS
    # Each column is followed by one space; the guest gets what the others leave (never less than 6).
    guest_width = max(6, min(width, 160) - sum(size + 1 for _, size in columns) - 1)
    for col, size in columns:
        table.add_column(col, no_wrap=True, overflow="ellipsis", min_width=size or guest_width,
                         max_width=size or guest_width)
    for r in rows:
        mapping = Text()
        for kind in r["missing_mappings"]:
            mapping.append(kind[0].upper(), style="red")
        if not r["missing_mappings"]:
            mapping.append("ok", style="green")
        checks = Text()
        for name, c in r["checks"].items():
            checks.append(CHECK_SHORT.get(name, name[0].upper()), style=STATE_STYLE.get(c["state"], "red"))
        room = Text(r["hotel_room"]) if r["hotel_room"] else Text(r["room"], style="red")
        guest = Text(r["guest_names"].split(";")[0])
        if wide:
            table.add_row(str(r["id"]), r["status"], r["content"], Text(r["operator"]), Text(r["agency"] or ""),
                          Text(r["voucher"]), guest, r["check_in"] or "", r["check_out"] or "",
                          str(r["nights"] or ""), room, r["pax"], mapping, checks)
        else:
            content = "x" if r["content"] == "cancel" else r["content"][0]
            table.add_row(str(r["id"]), r["status"][0], content, Text(r["operator"]), Text(r["voucher"]), guest,
                          r["check_in"] or "", str(r["nights"] or ""), room, r["pax"], mapping, checks)
    return table


def show(reservation_id: int = typer.Argument(..., metavar="ID"),
         as_json: bool = typer.Option(False, "--json", help="Print the documented JSON shape.")) -> None:
    """Show one operator reservation with its checks and price table."""
    store = open_store()
    try:
        data = reservation_json(store, reservation_id)
    except KeyError as exc:
        fail(str(exc.args[0]), EXIT_BAD_INPUT)
    if as_json:
        print_json(data)
        return
    head = (f"#{data['id']} {data['operator']} voucher {data['voucher']} v{data['version']} "
            f"{data['content']} · {data['status']}")
    console.print(f"[bold]{head}[/]", highlight=False)
    lines = [
        ("stay", f"{data['check_in']} → {data['check_out']} ({data['nights']} nights), {data['rooms']} room(s)"),
        ("pax", f"{data['pax']} (adults {data['adults']}, child ages {data['child_ages'] or '-'})"),
        ("room", f"{data['room']} → {data['hotel_room'] or '[red]not mapped[/]'}"),
        ("board", f"{data['board']} → {data['hotel_board'] or '[red]not mapped[/]'}"),
        ("rate", f"{data['rate']} → {data['hotel_rate'] or '[red]not mapped[/]'}"),
        ("agency", f"{data['agency']}   market {data['market'] or '-'}   nationality {data['nationality'] or '-'}"),
        ("guests", "; ".join(f"{g['last_name']} {g['first_name']}" + (f" ({g['age']})" if g['age'] is not None else "")
                             for g in data["guests"]) or "-"),
        ("total", f"{data['total'] or '-'} {data['currency']}   sale date {data['sale_date'] or '-'}"),
        ("hotel", data["hotel_number"] or "not saved"),
    ]
    if data["notes"]:
        lines.append(("notes", data["notes"]))
    for key, value in lines:
        console.print(f"  {key:8} {value}", highlight=False)
    for name, check in data["checks"].items():
        style = STATE_STYLE.get(check["state"], "red")
        console.print(f"  [{style}]{name:12} {check['state']:12}[/] {check['message']}", highlight=False)
    nights = data["price_table"].get("nights") if data["price_table"] else None
    if nights:
        table = Table("date", "contract", "discount", "price", "operator", box=None)
        for n in nights:
            table.add_row(n["date"], n.get("contract_price", ""), n.get("discount", ""), n.get("price", ""),
                          n.get("operator_price", ""))
        console.print(table)
    if data["diff"]:
        console.print("  changed: " + ", ".join(f"{k} {_brief(v[0])} → {_brief(v[1])}" for k, v in data["diff"].items()),
                      highlight=False)


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
        # Vouchers and messages carry operator text (a stop-sale reason, a voucher "[/]"): shown as text.
        for o in outcomes:
            mark = ("✓", "green") if o.ok else ("✗", "red")
            console.print(Text.assemble(mark, f" #{o.id} {o.voucher} {o.message}"))
        for s in skipped or []:
            console.print(Text.assemble(("-", "yellow"), f" #{s['id']} {s['voucher']} skipped: "
                                                         f"{'; '.join(s['reasons'])}"))
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


def save_cmd(ids: list[int] = typer.Argument(..., metavar="ID..."),
             override: Optional[list[str]] = typer.Option(None, "--override", metavar="CHECK", help=OVERRIDE_HELP),
             reason: str = typer.Option("", "--reason", "-r", help=REASON_HELP),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Save rows into the hotel book (create or update; a cancellation cancels). Nothing is sent."""
    overrides = _overrides(override, reason)
    store = open_store()
    _report(save(store, config(), ids, _actor(), overrides), as_json)


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
    from tui.replier import ConnectorReplier

    overrides = _overrides(override, reason)
    store, cfg = open_store(), config()
    skipped = None
    if clean:
        if ids:
            fail("give IDs or --clean, not both")
        if overrides:
            fail("--override is for the IDs a person looked at, not for --clean")
        selection = clean_selection(store, operator)
        ids, skipped = selection.ready, selection.skipped
    elif not ids:
        fail("give the IDs to confirm, or --clean for every clean row")
    if dry_run:
        outcomes = [ActionOutcome(i, "confirm", True, "would be confirmed", voucher=_voucher(store, i)) for i in ids]
        _report(outcomes, as_json, skipped, dry_run=True)
        return
    if ids:
        _confirm_prompt(f"Confirm {len(ids)} reservation(s) and tell the operator(s)?", yes or as_json)
    _report(confirm(store, cfg, ids, _actor(), ConnectorReplier(store, cfg), overrides), as_json, skipped)


def _voucher(store, rid: int) -> str:
    return store.scalar("SELECT voucher FROM operator_reservations WHERE id = ?", (rid,)) or ""


def reject_cmd(
    ids: list[int] = typer.Argument(..., metavar="ID..."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why (sent to the operator)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before sending."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Reject rows with a reason and tell the operator."""
    from tui.replier import ConnectorReplier

    store, cfg = open_store(), config()
    _confirm_prompt(f"Reject {len(ids)} reservation(s) and tell the operator(s)?", yes or as_json)
    try:
        outcomes = reject(store, cfg, ids, _actor(), reason, ConnectorReplier(store, cfg))
    except ActionRefused as exc:
        fail(str(exc))
    _report(outcomes, as_json)


# -- forecast --------------------------------------------------------------------
def forecast_cmd(room: str = typer.Argument(..., help="Hotel room type code."),
                 start: str = typer.Option(..., "--from", help="First night (YYYY-MM-DD)."),
                 end: str = typer.Option(..., "--to", help="Last night (YYYY-MM-DD)."),
                 as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Capacity, confirmed, available, pending, total and expected available per night."""
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        fail("--to is before --from")
    store = open_store()
    try:
        nights = forecast_nights(store, room, first, last)
    except KeyError as exc:
        fail(f"{exc.args[0]} (see: opdesk rooms)")
    if as_json:
        print_json([n.as_dict() for n in nights])
        return
    table = Table("date", "capacity", "confirmed", "available", "pending", "total", "expected", box=None)
    for n in nights:
        style = "red" if n.expected_available < 0 else ""
        table.add_row(n.date.isoformat(), str(n.capacity), str(n.confirmed), str(n.available), str(n.pending),
                      str(n.total), f"[{style}]{n.expected_available}[/]" if style else str(n.expected_available))
    console.print(table)


def rooms_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The hotel's room types and their capacity."""
    rows = open_store().all("SELECT code, name, capacity FROM room_types ORDER BY code")
    if as_json:
        print_json(rows)
        return
    table = Table("code", "name", "capacity", box=None)
    for r in rows:
        table.add_row(r["code"], r["name"], str(r["capacity"]))
    console.print(table)


# -- mappings ----------------------------------------------------------------------
def _kind(kind: str) -> str:
    if kind not in MAPPING_KINDS:
        fail(f"unknown kind {kind!r}: use one of {', '.join(MAPPING_KINDS)}")
    return kind


@map_app.command("list")
def map_list(operator: Optional[str] = typer.Argument(None), kind: Optional[str] = typer.Option(None, "--kind"),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List mappings."""
    rows = list_mappings(open_store(), operator, _kind(kind) if kind else None)
    if as_json:
        print_json(rows)
        return
    table = Table("operator", "kind", "code", "hotel code", box=None)
    for r in rows:
        table.add_row(r["operator"], r["kind"], r["code"], r["hotel_code"])
    console.print(table)


@map_app.command("set")
def map_set(operator: str, kind: str, code: str, hotel_code: str,
            as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Map an operator's code to the hotel's; every pending row that needed it is re-mapped."""
    store, cfg = open_store(), config()
    _kind(kind)
    with store.transaction():
        before = set_mapping(store, operator, kind, code, hotel_code)
        record(store, _actor(), "map_set", before=before or {},
               after={"operator": operator, "kind": kind, "code": code, "hotel_code": hotel_code},
               detail=f"{operator} {kind} {code} -> {hotel_code}")
    n = remap_after_mapping(store, cfg, operator, kind, code)
    if as_json:
        print_json({"operator": operator, "kind": kind, "code": code, "hotel_code": hotel_code,
                    "before": (before or {}).get("hotel_code"), "rechecked": n})
        return
    console.print(Text(f"{operator} {kind} {code} → {hotel_code}; {n} pending row(s) re-mapped"))


@map_app.command("unset")
def map_unset(operator: str, kind: str, code: str,
              as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Remove a mapping; pending rows that used it show it missing again."""
    store, cfg = open_store(), config()
    _kind(kind)
    with store.transaction():
        before = unset_mapping(store, operator, kind, code)
        if before is None:
            fail(f"no mapping {operator} {kind} {code}", EXIT_REFUSED)
        record(store, _actor(), "map_unset", before=before, detail=f"{operator} {kind} {code}")
    n = remap_after_mapping(store, cfg, operator, kind, code)
    if as_json:
        print_json({"operator": operator, "kind": kind, "code": code, "removed": before["hotel_code"],
                    "rechecked": n})
        return
    console.print(Text(f"removed {operator} {kind} {code}; {n} pending row(s) re-mapped"))


@map_app.command("missing")
def map_missing(operator: Optional[str] = typer.Argument(None),
                as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
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
        table.add_row(r["operator"], r["kind"], r["code"], str(r["rows"]),
                      f"opdesk map set {r['operator']} {r['kind']} {r['code']} <hotel code>")
    console.print(table)


# -- stop-sales --------------------------------------------------------------------
@stopsale_app.command("add")
def stopsale_add(start: str = typer.Option(..., "--from", help="First night closed (YYYY-MM-DD)."),
                 end: str = typer.Option(..., "--to", help="Last night closed (YYYY-MM-DD)."),
                 room: str = typer.Option("", "--room", help="Room type (default: every room)."),
                 operator: str = typer.Option("", "--operator", "-o", help="Only for this operator."),
                 reason: str = typer.Option("", "--reason", help="Why, for colleagues."),
                 as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Close a room type (or the hotel) for sale; pending rows are checked again."""
    store, cfg = open_store(), config()
    try:
        sid = add_stop_sale(store, _actor(), parse_date(start, "--from"), parse_date(end, "--to"), room,
                            operator, reason)
    except BookError as exc:
        fail(str(exc))
    n = recheck(store, cfg)
    if as_json:
        row = store.one('SELECT id, room, start, "end", operator, reason, created_at, created_by FROM stop_sales '
                        "WHERE id = ?", (sid,))
        print_json({**(row or {}), "rechecked": n})
        return
    console.print(f"stop-sale #{sid} added; {n} pending row(s) checked again", highlight=False)


@stopsale_app.command("list")
def stopsale_list(all_: bool = typer.Option(False, "--all", help="Also removed ones."),
                  as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List stop-sales."""
    rows = list_stop_sales(open_store(), include_removed=all_)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "room", "from", "to", "operator", "reason", box=None)
    for r in rows:
        table.add_row(str(r["id"]), r["room"] or "all", r["start"], r["end"], r["operator"] or "all", r["reason"])
    console.print(table)


@stopsale_app.command("remove")
def stopsale_remove(stop_id: int = typer.Argument(..., metavar="ID"),
                    as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Lift a stop-sale (it stays in the history); pending rows are checked again."""
    store, cfg = open_store(), config()
    try:
        remove_stop_sale(store, _actor(), stop_id)
    except BookError as exc:
        fail(str(exc))
    n = recheck(store, cfg)
    if as_json:
        print_json({"id": stop_id, "removed": True, "rechecked": n})
        return
    console.print(f"stop-sale #{stop_id} lifted; {n} pending row(s) checked again", highlight=False)


# -- import, audit, ingest, raw -------------------------------------------------------
def import_cmd(file: Path = typer.Argument(..., metavar="FILE.csv", help="CSV with a header row."),
               as_json: bool = typer.Option(False, "--json", help="Print JSON: created, updated, errors.")) -> None:
    """Import bookings from the hotel's PMS so voucher matching finds them.

    Columns: number, room, check_in, check_out (required); operator, voucher
    (several separated by ';'), board, rate, market, rooms, adults, children
    (ages separated by ';'), guest_names, total, currency, status.
    """
    store, cfg = open_store(), config()
    try:
        report = import_reservations(store, file, _actor())
    except BookError as exc:
        fail(str(exc))
    if report.errors:
        if as_json:
            print_json({"created": 0, "updated": 0, "errors": report.errors, "rechecked": 0})
        else:
            for e in report.errors:
                err_console.print(Text.assemble(("error: ", "red"), e))
        fail(f"{len(report.errors)} bad row(s); nothing imported", EXIT_BAD_INPUT)
    n = recheck(store, cfg)
    if as_json:
        print_json({"created": report.created, "updated": report.updated, "errors": [], "rechecked": n})
        return
    console.print(f"{report.created} created, {report.updated} updated; {n} pending row(s) checked again",
                  highlight=False)


def audit_cmd(reservation_id: Optional[int] = typer.Argument(None, metavar="[ID]"),
              user: Optional[str] = typer.Option(None, "--user", help="Only this user."),
              action: Optional[str] = typer.Option(None, "--action", help="Only this action (save, confirm, ...)."),
              origin: Optional[str] = typer.Option(None, "--from-origin", help="cli, app, email or system."),
              since: Optional[str] = typer.Option(None, "--since", help="On or after (YYYY-MM-DD)."),
              until: Optional[str] = typer.Option(None, "--until", help="On or before (YYYY-MM-DD)."),
              limit: int = typer.Option(100, "--limit", "-n"),
              as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The audit log, newest first: who did what, when, from where."""
    parse_date(since, "--since")
    parse_date(until, "--until")
    rows = audit_rows(open_store(), reservation_id=reservation_id, actor=user, action=action, origin=origin,
                      since=since, until=until, limit=limit)
    if as_json:
        for r in rows:
            r["before"], r["after"] = json.loads(r["before"]), json.loads(r["after"])
        print_json(rows)
        return
    table = Table("at", "who", "from", "action", "res", "detail", box=None)
    for r in rows:
        table.add_row(r["at"][:19].replace("T", " "), r["actor"], r["origin"], r["action"],
                      str(r["reservation_id"] or ""), r["detail"])
    console.print(table)


INGEST_BATCH = 200   # files stored per transaction by `opdesk ingest`


def ingest_cmd(files: list[Path] = typer.Argument(..., metavar="FILE...", exists=False),
               operator: str = typer.Option(..., "--operator", "-o", help="Who sent the files (need not be configured)."),
               as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Put files an operator sent (OTA XML, JSON, .eml) through the pipeline by hand."""
    from connectors.detect import parser_for

    store, cfg = open_store(), config()
    if len(files) > INGEST_BATCH:
        store.checkpoint_in_background()   # a bulk load: the writer never stops to checkpoint
    ingestor = Ingestor(store, cfg, _actor())
    parse_any = parser_for(cfg)
    results, bad = [], 0
    for first in range(0, len(files), INGEST_BATCH):
        chunk = files[first:first + INGEST_BATCH]
        raws = []
        for path in chunk:
            try:
                raws.append(RawMessage(body=path.read_bytes(), operator=operator, channel="manual",
                                       source_ref=str(path), filename=path.name))
            except OSError as exc:
                fail(f"{path}: cannot read: {exc.strerror}")
        for path, result in zip(chunk, ingestor.ingest_many([(raw, parse_any) for raw in raws])):
            bad += not result.ok
            results.append({"file": str(path), "raw_id": result.raw_id, "duplicate": result.duplicate,
                            "state": str(result.state), "error": result.error, "new": result.new,
                            "changed": result.changed, "cancelled": result.cancelled,
                            "unchanged": result.unchanged, "reservation_ids": result.reservation_ids})
    if as_json:
        print_json(results)
    else:
        for r in results:
            if r["error"] and r["state"] not in ("parsed",):
                console.print(f"[red]✗[/] {r['file']}: {r['state']}: {r['error']} (raw #{r['raw_id']})",
                              highlight=False)
            else:
                what = "already stored" if r["duplicate"] else (
                    f"{r['new']} new, {r['changed']} changed, {r['cancelled']} cancelled, {r['unchanged']} unchanged")
                console.print(f"[green]✓[/] {r['file']}: {what}", highlight=False)
    raise typer.Exit(EXIT_REFUSED if bad else EXIT_OK)


@raw_app.command("list")
def raw_list(state: list[str] = typer.Option(["failed", "unparsed"], "--state",
                                             help="failed, unparsed, ignored, parsed (repeat for several)."),
             operator: Optional[str] = typer.Option(None, "--operator", "-o"),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Raw messages in these states (default: the ones a person must look at)."""
    rows = raw_messages(open_store(), tuple(state), operator=operator)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "operator", "received", "file", "state", "error", box=None)
    for r in rows:
        table.add_row(str(r["id"]), r["operator"], r["received_at"][:16], r["filename"], r["parse_state"],
                      r["parse_error"][:80])
    console.print(table)


RAW_FIELDS = ("id", "operator", "channel", "received_at", "filename", "source_ref", "size", "sha256", "parse_state",
              "parse_error", "attempts")


@raw_app.command("show")
def raw_show(raw_id: int = typer.Argument(..., metavar="ID"),
             body: bool = typer.Option(False, "--body", help="Print the raw bytes as they arrived."),
             as_json: bool = typer.Option(False, "--json", help="Print JSON (with --body: the body as text too).")
             ) -> None:
    """One raw message: where it came from, its state and error (and body with --body)."""
    row = open_store().one("SELECT * FROM raw_messages WHERE id = ?", (raw_id,))
    if row is None:
        fail(f"no raw message #{raw_id}")
    if as_json:
        shape = {k: row[k] for k in RAW_FIELDS}
        shape["text_preview"] = row["text_preview"]
        if body:
            shape["body"] = bytes(row["body"]).decode("utf-8", errors="replace")
        print_json(shape)
        return
    if body:
        typer.echo(bytes(row["body"]).decode("utf-8", errors="replace"))
        return
    for key in RAW_FIELDS:
        console.print(Text(f"{key:12} {row[key]}"))
    if row["text_preview"]:
        console.print(row["text_preview"][:3000], highlight=False, markup=False)


@raw_app.command("retry")
def raw_retry(raw_ids: Optional[list[int]] = typer.Argument(None, metavar="[ID...]"),
              failed: bool = typer.Option(False, "--failed", help="Every failed and unparsed message."),
              as_json: bool = typer.Option(False, "--json", help="Print JSON: one entry per message.")) -> None:
    """Parse stored raw messages again (after a parser or profile was fixed)."""
    from connectors.base import connector_for
    from connectors.detect import parser_for

    store, cfg = open_store(), config()
    parse_any = parser_for(cfg)
    if failed:
        raw_ids = [r["id"] for r in raw_messages(store, ("failed", "unparsed"), limit=1_000_000)]
    if not raw_ids:
        fail("give raw message IDs or --failed")
    ingestor = Ingestor(store, cfg, _actor())
    still_bad = 0
    done = []
    for rid in raw_ids:
        row = store.one("SELECT * FROM raw_messages WHERE id = ?", (rid,))
        if row is None:
            fail(f"no raw message #{rid}")
        op = cfg.operator(row["operator"])
        parse = connector_for(op, cfg).parse if op and row["channel"] == op.kind else parse_any
        result = ingestor.reprocess(rid, parse)
        still_bad += not result.ok
        done.append({"id": rid, "state": str(result.state), "error": result.error,
                     "reservation_ids": result.reservation_ids})
        if not as_json:
            console.print(Text(f"#{rid}: {result.state}" + (f": {result.error}" if result.error else
                                                            f", {len(result.reservation_ids)} row(s)")))
    if as_json:
        print_json(done)
    raise typer.Exit(EXIT_REFUSED if still_bad else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.command("init")(init)
    app.command("demo")(demo_cmd)
    app.command("locate")(locate)
    app.command("inbox")(inbox)
    app.command("show")(show)
    app.command("documents")(documents_cmd)
    app.command("save")(save_cmd)
    app.command("confirm")(confirm_cmd)
    app.command("reject")(reject_cmd)
    app.command("forecast")(forecast_cmd)
    app.command("rooms")(rooms_cmd)
    app.command("import-reservations")(import_cmd)
    app.command("audit")(audit_cmd)
    app.command("ingest")(ingest_cmd)
    app.add_typer(map_app, name="map")
    app.add_typer(stopsale_app, name="stopsale")
    app.add_typer(raw_app, name="raw")


def demo_cmd(
    folder: Optional[Path] = typer.Option(None, "--dir", help="Where the demo hotel lives (default: the user data dir)."),
    no_app: bool = typer.Option(False, "--no-app", help="Print the inbox summary instead of opening the app."),
    fresh: bool = typer.Option(False, "--fresh", help="Throw the old demo away and make a new one."),
    bookings: int = typer.Option(500, "--bookings", help="How many operator messages the history holds."),
) -> None:
    """Make a demo hotel with operators, contracts and bookings, scan them, and open the app.

    The API operators are simulated on 127.0.0.1 for as long as the demo runs.
    """
    from tui import demo

    folder = (folder or locations.default_data_dir() / "demo").resolve()
    running = demo.start(folder, fresh=fresh, count=bookings,
                         progress=lambda line: console.print(f"[dim]demo:[/] {line}", highlight=False))
    try:
        STATE.config_path = str(running.config.path)
        from tui.cli_common import reset_state

        reset_state()
        if no_app:
            store = open_store()
            counts = counts_by_status(store, InboxFilter())
            clean = store.scalar("SELECT COUNT(*) FROM operator_reservations WHERE status = 'pending' "
                                 "AND is_latest = 1 AND clean = 1")
            console.print(f"demo hotel in {folder}", highlight=False, soft_wrap=True)
            console.print(" · ".join(f"{k} {v}" for k, v in counts.items()) + f" · clean {clean}", highlight=False)
            console.print(f"try: opdesk --config {running.config.path} inbox", highlight=False, soft_wrap=True)
            return
        from tui.launch import run_app

        run_app(running.config)
    finally:
        running.stop()


def documents_cmd(reservation_id: int = typer.Argument(..., metavar="ID"),
                  text: bool = typer.Option(False, "--text", help="Print each document's text (a PDF's text too)."),
                  as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The documents that came with a reservation: where they are kept, and their text with --text."""
    from core.documents import document_path, document_text, documents_of

    store = open_store()
    if store.scalar("SELECT 1 FROM operator_reservations WHERE id = ?", (reservation_id,)) is None:
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
        console.print(f"[bold]{d['name']}[/] ({d['content_type']}, {d['size']:,} bytes) {document_path(store, d)}",
                      highlight=False, soft_wrap=True)
        if text:
            console.print(document_text(store, d), highlight=False, markup=False)
