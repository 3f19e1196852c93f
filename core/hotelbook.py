"""The hotel's own facts: room types, codes, stop-sales, and bookings imported from its PMS."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core import values
from core.audit import Actor, record
from core.errors import InvalidInput
from core.store import Store, dumps, now_iso, rowid, to_minor


class BookError(InvalidInput):
    """Bad input for the hotel book: the message names the file, row and field."""


# -- room types and codes -------------------------------------------------------------
def set_room_type(store: Store, code: str, name: str = "", capacity: int = 0) -> None:
    with store.transaction() as c:
        c.execute(
            "INSERT INTO room_types(code, name, capacity) VALUES (?, ?, ?) ON CONFLICT(code) DO UPDATE "
            "SET name = excluded.name, capacity = excluded.capacity",
            (code, name, capacity),
        )


def set_hotel_code(store: Store, kind: str, code: str, name: str = "") -> None:
    with store.transaction() as c:
        c.execute(
            "INSERT INTO hotel_codes(kind, code, name) VALUES (?, ?, ?) ON CONFLICT(kind, code) DO UPDATE "
            "SET name = excluded.name",
            (kind, code, name),
        )


# -- stop-sales --------------------------------------------------------------------
def add_stop_sale(
    store: Store, actor: Actor, start: date, end: date, room: str = "", operator: str = "", reason: str = ""
) -> int:
    if end < start:
        raise BookError(f"stop-sale ends {end} before it starts {start}")
    if room and store.scalar("SELECT 1 FROM room_types WHERE code = ?", (room,)) is None:
        raise BookError(f"unknown room type {room!r} (see: opdesk rooms)")
    with store.transaction() as c:
        sid = rowid(
            c.execute(
                'INSERT INTO stop_sales(room, start, "end", operator, reason, created_at, created_by) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (room, start.isoformat(), end.isoformat(), operator, reason, now_iso(), actor.name),
            )
        )
        record(
            store,
            actor,
            "stopsale_add",
            after={
                "id": sid,
                "room": room,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "operator": operator,
                "reason": reason,
            },
            detail=f"#{sid} {room or 'all rooms'} {start}..{end} {operator or 'all operators'} {reason}".strip(),
        )
    return sid


def remove_stop_sale(store: Store, actor: Actor, stop_id: int) -> None:
    row = store.one("SELECT * FROM stop_sales WHERE id = ? AND removed_at IS NULL", (stop_id,))
    if row is None:
        raise BookError(f"no active stop-sale #{stop_id} (see: opdesk stopsale list)")
    with store.transaction() as c:
        c.execute("UPDATE stop_sales SET removed_at = ?, removed_by = ? WHERE id = ?", (now_iso(), actor.name, stop_id))
        record(store, actor, "stopsale_remove", before=row, detail=f"#{stop_id}")


def list_stop_sales(store: Store, include_removed: bool = False) -> list[dict[str, Any]]:
    sql = 'SELECT id, room, start, "end", operator, reason, created_at, created_by, removed_at FROM stop_sales'
    if not include_removed:
        sql += " WHERE removed_at IS NULL"
    return store.all(sql + " ORDER BY start, id")


# -- PMS import --------------------------------------------------------------------
CSV_COLUMNS = (
    "number",
    "operator",
    "voucher",
    "room",
    "board",
    "check_in",
    "check_out",
    "adults",
    "children",
    "guest_names",
    "total",
    "currency",
    "status",
    "rate",
    "market",
    "rooms",
)
REQUIRED_COLUMNS = ("number", "room", "check_in", "check_out")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def import_reservations(store: Store, path: Path, actor: Actor) -> ImportReport:
    """Import bookings from the hotel's PMS (CSV with a header row) so voucher matching finds them.

    Every row is checked first; a file with any bad row imports nothing.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise BookError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BookError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise BookError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}")
    rows = []
    report = ImportReport()
    for line, raw in enumerate(reader, start=2):
        raw = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        try:
            rows.append(_import_row(raw))
        except BookError as exc:
            report.errors.append(f"{path}: line {line} (number {raw.get('number') or '?'}): {exc}")
    if report.errors:
        return report
    with store.transaction() as c:
        for row in rows:
            vouchers = row.pop("vouchers")
            existing = store.one("SELECT id FROM hotel_reservations WHERE number = ?", (row["number"],))
            now = now_iso()
            if existing is None:
                # The PMS's own number for a booking opdesk handed it: the same booking, not a second one.
                existing = store.one(
                    "SELECT id FROM hotel_reservations WHERE pms_number = ? AND pms_number != '' ORDER BY id LIMIT 1",
                    (row["number"],),
                )
                if existing:
                    row["pms_number"] = row.pop("number")
            if existing:
                sets = ", ".join(f"{k} = ?" for k in row)
                c.execute(
                    f"UPDATE hotel_reservations SET {sets}, updated_at = ? WHERE id = ?",
                    (*row.values(), now, existing["id"]),
                )
                hid = existing["id"]
                report.updated += 1
            else:
                cols = {**row, "origin": "import", "created_at": now, "updated_at": now}
                hid = c.execute(
                    f"INSERT INTO hotel_reservations({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    tuple(cols.values()),
                ).lastrowid
                report.created += 1
            for operator, voucher in vouchers:
                c.execute(
                    "INSERT INTO hotel_vouchers(hotel_reservation_id, operator, voucher) VALUES (?, ?, ?) "
                    "ON CONFLICT(operator, voucher) DO UPDATE SET "
                    "hotel_reservation_id = excluded.hotel_reservation_id",
                    (hid, operator, voucher),
                )
        record(
            store,
            actor,
            "import_reservations",
            detail=f"{path.name}: {report.created} created, {report.updated} updated",
        )
    return report


def _import_row(raw: dict[str, str]) -> dict[str, Any]:
    for col in REQUIRED_COLUMNS:
        if not raw.get(col):
            raise BookError(f"field {col}: missing")
    check_in, check_out = _date(raw["check_in"], "check_in"), _date(raw["check_out"], "check_out")
    if check_out <= check_in:
        raise BookError(f"field check_out: {check_out} is not after check-in {check_in}")
    currency = raw.get("currency") or "EUR"
    total = None
    if raw.get("total"):
        try:
            total = Decimal(raw["total"].replace(",", "."))
        except InvalidOperation:
            raise BookError(f"field total: not an amount: {raw['total']!r}") from None
    status = (raw.get("status") or "active").lower()
    if status not in ("active", "cancelled"):
        raise BookError(f"field status: must be active or cancelled, got {status!r}")
    children = [_int(a, "children") for a in raw.get("children", "").replace(";", " ").split() if a]
    vouchers = []
    if raw.get("voucher"):
        if not raw.get("operator"):
            raise BookError("field operator: needed with a voucher")
        vouchers = [(raw["operator"], v.strip()) for v in raw["voucher"].split(";") if v.strip()]
    return {
        "number": raw["number"],
        "status": status,
        "operator": raw.get("operator", ""),
        "room": raw["room"],
        "board": raw.get("board", ""),
        "rate": raw.get("rate", ""),
        "market": raw.get("market", ""),
        "check_in": check_in.isoformat(),
        "check_out": check_out.isoformat(),
        "rooms": _int(raw.get("rooms") or "1", "rooms"),
        "adults": _int(raw.get("adults") or "0", "adults"),
        "child_ages": dumps(children),
        "guest_names": raw.get("guest_names", ""),
        "total_minor": to_minor(total, currency),
        "currency": currency,
        "vouchers": vouchers,
    }


def _date(value: str, field: str) -> date:
    try:
        day = values.iso_date(value)
    except ValueError as exc:
        raise BookError(f"field {field}: {exc}") from None
    if day is None:
        raise BookError(f"field {field}: not a date (YYYY-MM-DD): {value!r}")
    return day


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise BookError(f"field {field}: not a whole number: {value!r}") from None


def room_types(store: Store) -> list[dict[str, Any]]:
    """The hotel's room types: code, name, capacity, by code."""
    return store.all("SELECT code, name, capacity FROM room_types ORDER BY code")
