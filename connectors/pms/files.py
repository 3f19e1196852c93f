"""Hand saved booking versions to a PMS that imports files: one JSON file and one CSV row per delivery.

In ``[pms] folder``: ``opdesk-<delivery>-<hotel number>-v<version>-<content>.json``
holds the booking (docs/pms.md gives its fields), and ``deliveries.csv`` gets
one row for it. The JSON file is written under a temporary name and renamed,
so an importing PMS never reads half a file; a delivery tried again after a
crash rewrites the same file and adds no second CSV row (the CSV is read for
delivery ids first). Files are readable by their owner only: they hold guests'
names.

A CSV cell that starts with ``=``, ``+``, ``-``, ``@`` gets a leading ``'`` so a
spreadsheet opening the file never runs operator text as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from core.models import OperatorBooking, plain
from core.pms import Delivery, DeliveryError, PmsSettings

CSV_NAME = "deliveries.csv"
CSV_COLUMNS = (
    "delivery",
    "hotel_number",
    "content",
    "version",
    "operator",
    "voucher",
    "check_in",
    "check_out",
    "rooms",
    "adults",
    "child_ages",
    "room",
    "board",
    "rate",
    "market",
    "agency",
    "guest_names",
    "total",
    "currency",
    "file",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = {"hotel_number", "operator", "voucher", "room", "board", "rate", "market", "agency", "guest_names"}


def delivery_name(delivery: Delivery) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in delivery.hotel_number)[:40]
    return f"opdesk-{delivery.id:08d}-{safe}-v{delivery.version}-{delivery.content}.json"


def delivery_record(delivery: Delivery, booking: OperatorBooking) -> dict[str, Any]:
    """The JSON object of one delivery file."""
    return {
        "delivery": delivery.id,
        "hotel_number": delivery.hotel_number,
        "content": delivery.content,
        "version": delivery.version,
        "operator": delivery.operator,
        "voucher": delivery.voucher,
        "pms_number": delivery.known_pms_number or None,
        "check_in": plain(booking.check_in),
        "check_out": plain(booking.check_out),
        "rooms": booking.rooms,
        "adults": booking.adults,
        "child_ages": booking.child_ages,
        "room": booking.room,
        "board": booking.board,
        "rate": booking.rate,
        "market": booking.market,
        "agency": booking.agency,
        "nationality": booking.nationality,
        "guests": [{"first_name": g.first_name, "last_name": g.last_name, "age": g.age} for g in booking.guests],
        "total": f"{booking.total:.2f}" if booking.total is not None else None,
        "currency": booking.currency,
        "night_prices": [{"date": n.date.isoformat(), "amount": f"{n.amount:.2f}"} for n in booking.night_prices],
        "sale_date": plain(booking.sale_date),
        "notes": booking.notes,
        "flights": booking.flights,
    }


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


class FilesSender:
    """A ``core.pms.Sender`` writing into ``[pms] folder``."""

    def __init__(self, settings: PmsSettings) -> None:
        assert settings.folder is not None
        self.folder = settings.folder
        self._in_csv: set[str] | None = None

    def close(self) -> None:
        return None

    def __call__(self, delivery: Delivery, booking: OperatorBooking) -> str:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            name = delivery_name(delivery)
            record = delivery_record(delivery, booking)
            self._write_json(self.folder / name, record)
            self._append_csv(delivery, record, name)
        except OSError as exc:
            raise DeliveryError(f"{self.folder}: cannot write: {exc.strerror or exc}") from exc
        return ""

    def _write_json(self, target: Path, record: dict[str, Any]) -> None:
        temporary = target.with_name(f".{target.name}.part")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, target)

    def _delivered(self, path: Path) -> set[str]:
        if self._in_csv is None:
            self._in_csv = set()
            if path.exists():
                with path.open(newline="", encoding="utf-8") as fh:
                    self._in_csv = {row.get("delivery", "") for row in csv.DictReader(fh)}
        return self._in_csv

    def _append_csv(self, delivery: Delivery, record: dict[str, Any], name: str) -> None:
        path = self.folder / CSV_NAME
        if str(delivery.id) in self._delivered(path):
            return
        values = {
            **record,
            "child_ages": ";".join(str(a) for a in record["child_ages"]),
            "guest_names": "; ".join(f"{g['last_name']} {g['first_name']}".strip() for g in record["guests"]),
            "file": name,
        }
        out = io.StringIO()
        writer = csv.writer(out)
        if not path.exists():
            writer.writerow(CSV_COLUMNS)
        writer.writerow([csv_cell(values[c]) if c in TEXT_COLUMNS else _plain(values[c]) for c in CSV_COLUMNS])
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8", newline="") as fh:
            fh.write(out.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        self._delivered(path).add(str(delivery.id))
