"""A loopback HTTP server that behaves like one or more tour operators.

Each simulated operator lives under its own path, ``/<name>/``:

- ``ota-pull``: ``POST /<name>/alpinebits`` speaks AlpineBits HotelData
  GuestRequests (``OTA_Ping:Handshaking``, ``OTA_Read:GuestRequests`` and
  ``OTA_NotifReport:GuestRequests`` as multipart form fields ``action`` and
  ``request``), basic auth; a request in a version the operator does not speak
  (``versions``) is answered HTTP 400, as AlpineBits servers do. A reservation
  refused with ``Warning Type="3" Code="450"`` is not sent again.
- ``jsonapi``: ``GET /<name>/api/bookings`` pages through bookings as JSON
  (``page``/``size``, ``offset``/``limit`` or ``cursor``), bearer token;
  ``POST /<name>/api/bookings/<voucher>/confirm`` and ``.../reject``.

Faults can be switched on per operator: latency, a status answered forever or
for the first N requests (500s, 429 with Retry-After), a hang longer than any
client timeout, a malformed body, failing authentication.

The standard library's threading server is enough here (one thread per
request) and keeps the simulator free of extra dependencies.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from connectors.base import OLDEST, timestamp_key
from connectors.httpserve import AnsweringHandler, Server
from connectors.ota import handshake, writer
from connectors.ota.form import read_form
from connectors.ota.parser import child, local, read_acknowledgements, read_xml
from connectors.simulate import hotel2sejour as hotel2sejour_sim
from connectors.simulate import otasoap as otasoap_sim
from connectors.simulate.feed import BookingFeed
from core.models import Content, OperatorBooking, plain

# Kinds whose protocol lives in a module of its own: route(handler, op, method, path segments, body) and authorised.
PROTOCOLS: dict[str, Any] = {"hotel2sejour": hotel2sejour_sim, "ota-soap": otasoap_sim}


@dataclass
class Faults:
    latency: float = 0.0  # seconds before every answer
    status: int | None = None  # answer this HTTP status to every request
    fail_first: int = 0  # answer fail_status to the first N requests, then behave
    fail_status: int = 503
    retry_after: float | None = None  # sent with fail_status (e.g. 429)
    hang: float = 0.0  # sleep this long first: longer than the client's timeout
    malformed: bool = False  # answer a truncated body
    auth_fail: bool = False  # refuse every credential


@dataclass
class SimOperator:
    name: str
    kind: str  # ota-pull, jsonapi, hotel2sejour or ota-soap
    feed: BookingFeed
    username: str = ""
    password: str = ""
    token: str = ""
    pagination: str = "page"  # jsonapi: page, offset or cursor
    dialect: str = ""  # ota-soap: pmsxchange or synxis
    title: str = ""  # hotel2sejour: the agency name it is listed under (default: the catalog's)
    faults: Faults = field(default_factory=Faults)
    requests: int = 0
    replies: list[dict[str, Any]] = field(default_factory=list)  # confirmations and rejections received
    versions: tuple[str, ...] = handshake.SUPPORTED_VERSIONS  # AlpineBits versions it speaks
    strict_ping: bool = False  # refuse a handshake sent in another version
    version_error_xml: bool = False  # refuse a version with an Errors answer, not 400
    seen: list[tuple[str, str]] = field(default_factory=list)  # (action, protocol version) of each request
    reports: list[bytes] = field(default_factory=list)  # the OTA_NotifReportRQ bodies received
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_request(self) -> int:
        with self.lock:
            self.requests += 1
            return self.requests


class SimServer:
    """Runs in a background thread; ``url(name)`` is where an operator answers."""

    def __init__(self, operators: list[SimOperator], *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.operators = {op.name: op for op in operators}
        handler = type("Handler", (SimHandler,), {"sim": self})
        self.httpd = Server((host, port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="opdesk-simulator", daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def base_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def start(self) -> "SimServer":
        for op in self.operators.values():
            if op.kind == "ota-pull":  # render what is waiting now, before anyone asks
                op.feed.pending_rendered(None, writer.reservation_xml)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "SimServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SimHandler(AnsweringHandler):
    sim: SimServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: tests and demo
        return

    # -- routing -----------------------------------------------------------------------
    def do_GET(self) -> None:
        self.route("GET")

    def do_POST(self) -> None:
        self.route("POST")

    def route(self, method: str) -> None:
        parts = urlsplit(self.path)
        segments = [unquote(s) for s in parts.path.strip("/").split("/")]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        op = self.sim.operators.get(segments[0]) if segments else None
        if op is None:
            return self.answer(404, b"no such operator", "text/plain")
        if self.fault(op):
            return
        rest = segments[1:]
        if op.kind in PROTOCOLS and PROTOCOLS[op.kind].route(self, op, method, rest, body):
            return
        if op.kind == "ota-pull" and rest == ["alpinebits"] and method == "POST":
            return self.alpinebits(op, body)
        if op.kind == "jsonapi" and rest[:2] == ["api", "bookings"]:
            if len(rest) == 2 and method == "GET":
                return self.json_bookings(op, parse_qs(parts.query))
            if len(rest) == 4 and method == "POST" and rest[3] in ("confirm", "reject"):
                return self.json_reply(op, rest[2], rest[3], body)
        self.answer(404, b"unknown path", "text/plain")

    def fault(self, op: SimOperator) -> bool:
        """Apply the operator's faults; True when the request has been answered."""
        return apply_faults(self, op.faults, op.count_request(), lambda: self.authorised(op))

    def authorised(self, op: SimOperator) -> bool:
        if op.kind in PROTOCOLS:
            return bool(PROTOCOLS[op.kind].authorised(self, op))
        given = self.headers.get("Authorization", "")
        if op.kind == "jsonapi":
            return given == f"Bearer {op.token}"
        expected = base64.b64encode(f"{op.username}:{op.password}".encode()).decode()
        return given == f"Basic {expected}"

    # -- AlpineBits --------------------------------------------------------------------
    def alpinebits(self, op: SimOperator, body: bytes) -> None:
        version = self.headers.get("X-AlpineBits-ClientProtocolVersion", "")
        if not version:
            return self.answer(400, b"ERROR:missing X-AlpineBits-ClientProtocolVersion header", "text/plain")
        form = read_form(self.headers.get("Content-Type", ""), body)
        action = form.get("action", b"").decode()
        with op.lock:
            op.seen.append((action, version))
        if action == handshake.PING_ACTION and (version in op.versions or not op.strict_ping):
            echo, theirs = handshake.read_ping_request(form.get("request", b""))
            ours = handshake.capabilities(handshake.PULL_ACTIONS, op.versions)
            return self.xml(op, handshake.ping_response(echo, handshake.intersect(ours, theirs)))
        if version not in op.versions and op.version_error_xml:
            return self.xml(op, writer.error_response(f"unsupported protocol version {version[:20]}", code=450))
        if version not in op.versions:
            return self.answer(
                400,
                f"ERROR:unsupported protocol version {version[:20]!r} (this server speaks "
                f"{', '.join(op.versions)})".encode(),
                "text/plain",
            )
        if action == "OTA_Read:GuestRequests":
            since = read_since(form.get("request", b""))
            op.feed.tick()
            return self.xml(op, writer.retrieve_response(op.feed.pending_rendered(since, writer.reservation_xml)))
        if action == "OTA_NotifReport:GuestRequests":
            acks, refusals = read_acknowledgements(form.get("request", b""))
            for id_type, voucher in acks:
                op.feed.acknowledge(voucher, cancelled=id_type == "15")
            for voucher, _ in refusals:  # refused: the operator stops sending it
                op.feed.acknowledge(voucher, cancelled=False)
            with op.lock:
                op.reports.append(form.get("request", b""))
                op.replies += [{"voucher": v, "reason": r, "answer": "reject"} for v, r in refusals]
            return self.xml(op, writer.notif_report_response())
        self.answer(400, f"ERROR:unknown action {action!r}".encode(), "text/plain")

    def xml(self, op: SimOperator, body: bytes) -> None:
        if op.faults.malformed:
            body = body[: max(len(body) // 2, 20)]
        self.answer(200, body, "application/xml")

    # -- JSON API ----------------------------------------------------------------------
    def json_bookings(self, op: SimOperator, query: dict[str, list[str]]) -> None:
        first = lambda key, default: int(query.get(key, [default])[0])  # noqa: E731
        if op.pagination == "offset":
            start, size = first("offset", "0"), first("limit", "50")
        elif op.pagination == "cursor":
            start, size = first("cursor", "0") if query.get("cursor", [""])[0] else 0, first("limit", "50")
        else:
            size = first("size", "50")
            start = (first("page", "1") - 1) * size
        since = timestamp_key(query["updatedSince"][0]) if query.get("updatedSince") else None
        if since == OLDEST:
            return self.answer(400, b'{"error": "updatedSince is not an ISO 8601 time"}', "application/json")
        if start == 0:
            op.feed.tick()
        items = [booking_json(b, at) for at, b in op.feed.page(start, size, since)]
        payload: dict[str, Any] = {"data": {"bookings": items}}
        if op.pagination == "cursor":
            payload["meta"] = {"next_cursor": str(start + size) if len(items) == size else None}
        body = json.dumps(payload).encode()
        if op.faults.malformed:
            body = body[: max(len(body) // 2, 5)]
        self.answer(200, body, "application/json")

    def json_reply(self, op: SimOperator, voucher: str, answer: str, body: bytes) -> None:
        try:
            detail = json.loads(body or b"{}")
        except ValueError:
            return self.answer(400, b'{"error": "body is not JSON"}', "application/json")
        with op.lock:
            op.replies.append({"voucher": voucher, "answer": answer, **detail})
        self.answer(200, b'{"ok": true}', "application/json")


def apply_faults(handler: AnsweringHandler, f: Faults, number: int, authorised: Callable[[], bool]) -> bool:
    """Answer the ``number``-th request as the switched-on faults say; True when it has been answered.

    Shared by every simulator (operators and the PMS), so one set of switches breaks them all alike.
    """
    if f.hang:
        time.sleep(f.hang)
    if f.latency:
        time.sleep(f.latency)
    if f.status is not None:
        handler.answer(f.status, b"simulated failure", "text/plain")
        return True
    if number <= f.fail_first:
        headers = {"Retry-After": f"{f.retry_after:g}"} if f.retry_after is not None else {}
        handler.answer(f.fail_status, b"simulated failure, try again", "text/plain", headers)
        return True
    if f.auth_fail or not authorised():
        handler.answer(401, b"authentication failed", "text/plain", {"WWW-Authenticate": 'Basic realm="operator"'})
        return True
    return False


def read_since(request: bytes) -> datetime | None:
    if not request:
        return None
    root = read_xml(request, name="OTA_ReadRQ")
    criteria = child(child(child(root, "ReadRequests"), "HotelReadRequest"), "SelectionCriteria")
    if local(root.tag) != "OTA_ReadRQ" or criteria is None or not criteria.get("Start"):
        return None
    return datetime.fromisoformat(criteria.get("Start"))


def booking_json(booking: OperatorBooking, updated: datetime | None = None) -> dict[str, Any]:
    """How the simulated JSON operators describe a booking (their own field names).

    ``updated``: when the operator's record last changed (the feed event's time).
    """
    status = {Content.NEW: "CONFIRMED", Content.CHANGE: "MODIFIED", Content.CANCEL: "CANCELLED"}[booking.content]
    return {
        "reservationNumber": booking.voucher,
        "status": status,
        "agencyCode": booking.agency,
        "hotel": {"code": "SUNBEACH"},
        "stay": {"arrival": plain(booking.check_in), "departure": plain(booking.check_out)},
        "room": {"type": booking.room, "board": booking.board, "count": booking.rooms},
        "tariff": booking.rate,
        "market": booking.market,
        "pax": {"adults": booking.adults, "childAges": booking.child_ages},
        "travellers": [
            {"firstName": g.first_name, "lastName": g.last_name, "age": g.age, "nationality": g.nationality}
            for g in booking.guests
        ],
        "price": {
            "total": plain(booking.total),
            "currency": booking.currency,
            "nights": [{"date": plain(n.date), "amount": plain(n.amount)} for n in booking.night_prices],
        },
        "bookedOn": plain(booking.sale_date),
        "cancelledOn": plain(booking.cancel_date),
        "remarks": booking.notes,
        "updatedAt": updated.isoformat()
        if updated
        else (booking.extra.get("last_modify_datetime") or booking.extra.get("create_datetime")),
    }
