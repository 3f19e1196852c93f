"""Forecast: per room type and night, what is sold, what waits, what is left.

confirmed = rooms in the hotel book; pending = rooms of pending inbox rows not
yet in the book; expected available = capacity - confirmed - pending.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable

from core.errors import NotFound
from core.store import Store


@dataclass
class ForecastNight:
    date: date
    capacity: int
    confirmed: int
    pending: int

    @property
    def available(self) -> int:
        return self.capacity - self.confirmed

    @property
    def total(self) -> int:
        return self.confirmed + self.pending

    @property
    def expected_available(self) -> int:
        return self.capacity - self.confirmed - self.pending

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "capacity": self.capacity,
            "confirmed": self.confirmed,
            "available": self.available,
            "pending": self.pending,
            "total": self.total,
            "expected_available": self.expected_available,
        }


def shifted(day: date, days: int) -> date:
    """``day`` moved by ``days``, held within the dates there are (0001-01-01 to 9999-12-31)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def _spread(rows: Iterable[tuple[str, str, int]], start: date, end: date) -> Counter[date]:
    """Rooms per night in [start, end) from rows of (check_in, check_out, rooms)."""
    taken: Counter[date] = Counter()
    for check_in, check_out, rooms in rows:
        d = max(date.fromisoformat(check_in), start)
        last = min(date.fromisoformat(check_out), end)
        while d < last:
            taken[d] += rooms
            d += timedelta(days=1)
    return taken


def confirmed_rooms_by_night(
    store: Store, room: str, start: date, end: date, exclude_voucher: tuple[str, str] | None = None
) -> Counter[date]:
    sql = (
        "SELECT check_in, check_out, rooms FROM hotel_reservations h WHERE status = 'active' AND room = ? "
        "AND check_in < ? AND check_out > ?"
    )
    params: list[Any] = [room, end.isoformat(), start.isoformat()]
    if exclude_voucher:
        # A change to a booking already in the book must not count the booking against itself.
        sql += (
            " AND NOT EXISTS (SELECT 1 FROM hotel_vouchers v WHERE v.hotel_reservation_id = h.id "
            "AND v.operator = ? AND v.voucher = ?)"
        )
        params += list(exclude_voucher)
    return _spread(store.conn.execute(sql, params).fetchall(), start, end)


def pending_rooms_by_night(store: Store, room: str, start: date, end: date) -> Counter[date]:
    rows = store.conn.execute(
        "SELECT check_in, check_out, rooms FROM operator_reservations WHERE status = 'pending' AND is_latest = 1 "
        "AND content != 'cancel' AND hotel_reservation_id IS NULL AND hotel_room = ? AND check_in < ? "
        "AND check_out > ?",
        (room, end.isoformat(), start.isoformat()),
    ).fetchall()
    return _spread(rows, start, end)


def forecast(store: Store, room: str, start: date, end: date) -> list[ForecastNight]:
    """One row per night from ``start`` to ``end`` inclusive."""
    capacity = store.scalar("SELECT capacity FROM room_types WHERE code = ?", (room,))
    if capacity is None:
        raise NotFound(f"unknown room type {room!r}")
    # The last date there is (9999-12-31) has no day after it; no stay can hold that night anyway.
    stop = end if end == date.max else end + timedelta(days=1)
    confirmed = confirmed_rooms_by_night(store, room, start, stop)
    pending = pending_rooms_by_night(store, room, start, stop)
    out, d = [], start
    while d <= end:
        out.append(ForecastNight(d, capacity, confirmed.get(d, 0), pending.get(d, 0)))
        if d == date.max:
            break
        d += timedelta(days=1)
    return out
