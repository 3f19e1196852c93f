"""Flights that came with a booking: one shape, whatever words the operator used.

Every flight is ``{"direction", "number", "route", "time"}`` (strings; "" when
not sent). ``direction`` is ``arrival`` (to the hotel's airport) or
``departure`` (home). Operators spell these many ways (``flight_no``,
``from``/``to``, ``dep_time``), so the common spellings are read here once,
for the JSON file, the JSON API mapping and the stored rows shown by
``show`` and the detail pane.
"""

from __future__ import annotations

from typing import Any

from core.errors import InvalidInput

DIRECTIONS = {
    "arrival": "arrival",
    "inbound": "arrival",
    "outbound": "arrival",
    "in": "arrival",
    "departure": "departure",
    "return": "departure",
    "out": "departure",
}
"""Words for the two legs, seen from the hotel: the guest's outbound (inbound to the hotel) leg arrives,
the return leg departs."""

NUMBER_KEYS = ("number", "flight", "flight_number", "flight_no", "flightNumber", "code")
ROUTE_KEYS = ("route",)
FROM_KEYS = ("from", "origin", "departure_airport")
TO_KEYS = ("to", "destination", "arrival_airport")
TIME_KEYS = ("time", "datetime", "date_time", "at", "departure_time", "arrival_time", "date")
MAX_CHARS = 64
"""A flight number, a route or a time never needs more; a longer value is cut, never kept whole in a cell."""


class FlightError(InvalidInput):
    """A flight that cannot be read; ``field`` names it (``flights[2]``)."""

    def __init__(self, message: str, field: str = "flights") -> None:
        super().__init__(message)
        self.field = field


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, bool)):
        raise FlightError(f"not text: {value!r}"[:120])
    kept = "".join(ch for ch in str(value) if ch.isprintable()).strip()
    return kept[:MAX_CHARS]


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        if record.get(key) not in (None, ""):
            return _text(record[key])
    return ""


def normalise_flight(record: Any) -> dict[str, str]:
    """One flight as ``{direction, number, route, time}``; ``FlightError`` when it is not an object."""
    if isinstance(record, str):  # a bare flight number
        return {"direction": "", "number": _text(record), "route": "", "time": ""}
    if not isinstance(record, dict):
        raise FlightError(f"a flight must be an object or a flight number, not {record!r}"[:120])
    direction = DIRECTIONS.get(_first(record, ("direction", "leg", "type")).lower(), "")
    route = _first(record, ROUTE_KEYS)
    if not route:
        ends = [_first(record, FROM_KEYS), _first(record, TO_KEYS)]
        route = "-".join(e for e in ends if e)
    return {
        "direction": direction,
        "number": _first(record, NUMBER_KEYS),
        "route": route,
        "time": _first(record, TIME_KEYS),
    }


def normalise_flights(value: Any) -> list[dict[str, str]]:
    """A list of flights in the one shape; empty entries dropped. ``FlightError`` names ``flights[i]``."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise FlightError(f"must be a list of flights, not {type(value).__name__}")
    flights = []
    for i, record in enumerate(value, start=1):
        try:
            flight = normalise_flight(record)
        except FlightError as exc:
            raise FlightError(str(exc), field=f"flights[{i}]") from None
        if flight["number"] or flight["route"] or flight["time"]:
            flights.append(flight)
    return flights


def stored_flights(value: Any) -> list[dict[str, str]]:
    """Flights as stored on a row (older rows may hold other shapes): never raises."""
    try:
        return normalise_flights(value)
    except FlightError:
        return []


def flight_label(flight: dict[str, str]) -> str:
    """``arrival LS1733 MAN-AYT 2026-06-12 10:25`` (what was sent, in that order)."""
    parts = [flight.get("direction", ""), flight.get("number", ""), flight.get("route", ""), flight.get("time", "")]
    return " ".join(p for p in parts if p)
