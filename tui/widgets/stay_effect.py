"""What confirming a booking does to the house: the forecast over its stay."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from core.errors import NotFound
from core.forecast import ForecastNight, forecast
from core.store import Store


def stay_forecast(store: Store, row: dict[str, Any]) -> list[ForecastNight]:
    """Forecast nights of the row's hotel room type over its stay; empty when the room is unmapped."""
    room, check_in, check_out = row.get("hotel_room"), row.get("check_in"), row.get("check_out")
    if not (room and check_in and check_out):
        return []
    start, end = date.fromisoformat(check_in), date.fromisoformat(check_out) - timedelta(days=1)
    if end < start:
        return []
    try:
        return forecast(store, room, start, end)
    except NotFound:
        return []


def confirm_effect(store: Store, row: dict[str, Any]) -> str:
    """One line for a confirmation modal: the tightest night of the stay once this row is confirmed."""
    if row.get("content") == "cancel":
        return "A cancellation frees its rooms."
    nights = stay_forecast(store, row)
    if not nights:
        return "No forecast: the room type is not mapped or the stay has no dates."
    tightest = min(nights, key=lambda n: n.expected_available)
    # A pending row is already counted in "pending"; expected available is what remains after it.
    left = tightest.expected_available
    warning = "  OVERBOOKED" if left < 0 else ""
    return (
        f"{row['hotel_room']}: tightest night {tightest.date.isoformat()}, "
        f"{left} of {tightest.capacity} left after pending rows{warning}"
    )
