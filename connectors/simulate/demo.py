"""Start simulated operators in this process and say how to reach them.

``start_simulators(["tui", "pegas"])`` starts one loopback server (a background
thread) hosting each operator under its own path, and returns the
``[[operators]]`` entries (plain dicts) that point a scan at them, plus a
function that stops the server. ``opdesk demo`` and the tests use it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable, Iterable, Iterator

from connectors.simulate.catalog import catalog_for
from connectors.simulate.feed import BookingFeed
from connectors.simulate.server import PROTOCOLS, Faults, SimOperator, SimServer
from core.models import OperatorBooking

# How a scan reads the simulated JSON operators' bookings (see server.booking_json).
SIM_JSON_FIELDS = {
    "voucher": "reservationNumber",
    "content": "status",
    "agency": "agencyCode",
    "check_in": "stay.arrival",
    "check_out": "stay.departure",
    "room": "room.type",
    "board": "room.board",
    "rooms": "room.count",
    "rate": "tariff",
    "market": "market",
    "adults": "pax.adults",
    "child_ages": "pax.childAges",
    "guests": "travellers",
    "total": "price.total",
    "currency": "price.currency",
    "night_prices": "price.nights",
    "sale_date": "bookedOn",
    "cancel_date": "cancelledOn",
    "notes": "remarks",
}
SIM_JSON_CONTENT = {"CONFIRMED": "new", "MODIFIED": "change", "CANCELLED": "cancel"}
SIM_GUEST_FIELDS = {"first_name": "firstName", "last_name": "lastName", "age": "age", "nationality": "nationality"}
PAGINATION = {"pegas": "page", "anex": "offset", "ets": "cursor"}


def sim_operator(
    name: str,
    *,
    kind: str | None = None,
    initial: int = 20,
    seed: int | None = None,
    churn: float = 0.0,
    faults: Faults | None = None,
    today: date | None = None,
    history: Iterable[OperatorBooking] = (),
    supply: Iterator[OperatorBooking] | None = None,
    dialect: str = "pmsxchange",
) -> SimOperator:
    catalog = catalog_for(name)
    kind = kind or catalog.kind
    feed = BookingFeed(
        catalog,
        seed=seed if seed is not None else sum(map(ord, name)),
        initial=initial,
        today=today,
        churn=churn,
        history=history,
        supply=supply,
    )
    return SimOperator(
        name=name,
        kind=kind,
        feed=feed,
        username=name,
        password=f"{name}-secret",
        token=f"{name}-token",
        pagination=PAGINATION.get(name, "page"),
        faults=faults or Faults(),
        dialect=dialect if kind == "ota-soap" else "",
    )


def operator_entry(op: SimOperator, server: SimServer) -> dict[str, Any]:
    """The ``[[operators]]`` entry that scans ``op`` on ``server``."""
    base = server.base_url(op.name)
    title = catalog_for(op.name).title
    if op.kind in PROTOCOLS:
        return dict(PROTOCOLS[op.kind].entry(op, base))
    if op.kind == "ota-pull":
        return {
            "name": op.name,
            "kind": "ota-pull",
            "title": f"{title} (simulated)",
            "enabled": True,
            "url": f"{base}/alpinebits",
            "username": op.username,
            "password": op.password,
            "hotel_code": "SUNBEACH",
            "client_id": "opdesk-demo",
        }
    return {
        "name": op.name,
        "kind": "jsonapi",
        "title": f"{title} (simulated)",
        "enabled": True,
        "base_url": f"{base}/api",
        "bookings_path": "/bookings",
        "items": "data.bookings",
        "auth": "bearer",
        "token": op.token,
        "pagination": op.pagination,
        "page_size": 50,
        "next_cursor": "meta.next_cursor",
        "since_param": "updatedSince",
        "modified_field": "updatedAt",
        "fields": dict(SIM_JSON_FIELDS),
        "content_values": dict(SIM_JSON_CONTENT),
        "guest_fields": dict(SIM_GUEST_FIELDS),
        "confirm_path": "/bookings/{voucher}/confirm",
        "reject_path": "/bookings/{voucher}/reject",
    }


def start_simulators(
    names: list[str],
    *,
    initial: int = 20,
    churn: float = 2.0,
    port: int = 0,
    today: date | None = None,
    history: dict[str, list[OperatorBooking]] | None = None,
    supply: dict[str, Iterator[OperatorBooking]] | None = None,
) -> tuple[list[dict[str, Any]], Callable[[], None]]:
    """Simulate ``names`` on a free loopback port; returns their config entries and a stop function.

    ``history`` gives operators messages waiting at start (instead of ``initial`` made-up ones);
    ``supply`` where their later messages come from.
    """
    ops = [
        sim_operator(
            n,
            initial=0 if history and n in history else initial,
            churn=churn,
            today=today,
            history=(history or {}).get(n, ()),
            supply=(supply or {}).get(n),
        )
        for n in names
    ]
    server = SimServer(ops, port=port).start()
    return [operator_entry(op, server) for op in ops], server.stop
