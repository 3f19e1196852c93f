"""A simulated Hotel2Sejour ("PMS Services") for one operator, served by ``SimServer`` under ``/<name>/``.

``GET /<name>/api/system/login?user=…&pass=…`` answers a token (a JSON string);
every other request must send it back as its ``cookie`` header. The operator
lists itself as the one connected agency, lists its reservations in their
latest state by check-in range, and takes confirmations and refusals, after
which a reservation is not listed as waiting any more (until it changes).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from connectors.hotel2sejour import records
from connectors.simulate.catalog import catalog_for
from core.models import Content

if TYPE_CHECKING:
    from connectors.simulate.server import SimHandler, SimOperator

PAXIMUM_ID = "100100"  # the simulated hotel's number at Hotel2Sejour
NOT_CONFIRM_MESSAGES = [
    ("1", "No availability"),
    ("2", "Stop sale"),
    ("3", "Price is not correct"),
    ("4", "Other reason"),
]


def agency_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"opdesk-simulator/{name}"))


def authorised(handler: SimHandler, op: SimOperator) -> bool:
    parts = urlsplit(handler.path)
    if parts.path.rstrip("/").endswith("/api/system/login"):
        query = parse_qs(parts.query)
        return query.get("user", [""])[0] == op.username and query.get("pass", [""])[0] == op.password
    return handler.headers.get("cookie", "") == op.token


def route(handler: SimHandler, op: SimOperator, method: str, rest: list[str], body: bytes) -> bool:
    """Answer one request; False when the path is not Hotel2Sejour's."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query, keep_blank_values=True).items()}
    if method != "GET" or rest[:1] != ["api"]:
        return False
    call = "/".join(rest[1:])
    if call == "system/login":
        handler.answer(200, json.dumps(op.token).encode(), "application/json")
        return True
    if query.get("format", "xml") != "xml":
        handler.answer(400, b"only format=xml is simulated", "text/plain")
        return True
    if call == "pax/gethotelagencies":
        return send(
            handler,
            op,
            records.service_result(
                "ArrayOfDefinitionHotelAgency",
                [records.named("DefinitionHotelAgency", agency_id(op.name), op.title or catalog_for(op.name).title)],
            ),
        )
    if call == "pax/getnotconfirmmessages":
        return send(
            handler,
            op,
            records.service_result(
                "ArrayOfNotConfirmMessage", [records.named("NotConfirmMessage", i, n) for i, n in NOT_CONFIRM_MESSAGES]
            ),
        )
    if call == "pax/getreservationlist":
        return reservation_list(handler, op, query)
    if call == "pax/sendconfirmation":
        return confirmation(handler, op, query)
    return False


def send(handler: SimHandler, op: SimOperator, body: bytes) -> bool:
    if op.faults.malformed:
        body = body[: max(len(body) // 2, 20)]
    handler.answer(200, body, "application/xml")
    return True


def refuse(handler: SimHandler, op: SimOperator, code: str, message: str) -> bool:
    return send(handler, op, records.service_result("Object", [], ok=False, code=code, message=message))


def day(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%m.%d.%Y").date()
    except ValueError:
        return None


def reservation_list(handler: SimHandler, op: SimOperator, query: dict[str, str]) -> bool:
    start, end = day(query.get("checkInStart", "")), day(query.get("checkInEnd", ""))
    if start is None or end is None:
        return refuse(handler, op, "10", "checkInStart and checkInEnd must be dates written MM.DD.YYYY")
    if query.get("paximumId") != PAXIMUM_ID:
        return refuse(handler, op, "11", f"unknown hotel {query.get('paximumId', '')!r}")
    if query.get("agencyId") != agency_id(op.name):
        return send(handler, op, records.service_result("ArrayOfPmsReservation", []))
    op.feed.tick()
    title = op.title or catalog_for(op.name).title
    with op.feed.lock:
        latest = [(events[-1].booking, events[-1].acked) for events in op.feed.by_voucher.values()]
    items = [
        records.reservation_element(
            b, hotel_code=PAXIMUM_ID, agency_id=agency_id(op.name), operator_name=title, res_conf="Y" if acked else "W"
        )
        for b, acked in latest
        if b.check_in is not None and start <= b.check_in <= end
    ]
    return send(handler, op, records.service_result("ArrayOfPmsReservation", items))


def confirmation(handler: SimHandler, op: SimOperator, query: dict[str, str]) -> bool:
    res_no, res_order = query.get("resNo", ""), query.get("resOrder", "1")
    voucher = records.voucher_of(res_no, res_order)
    status = query.get("confirmationStatus", "")
    with op.feed.lock:
        events = op.feed.by_voucher.get(voucher, [])
    if not events or query.get("agencyId") != agency_id(op.name):
        return refuse(handler, op, "20", f"no reservation {voucher!r} of this agency")
    if status not in ("Y", "N"):
        return refuse(handler, op, "21", "confirmationStatus must be Y or N")
    if status == "Y" and not query.get("confirmationNote"):
        return refuse(handler, op, "22", "a confirmation needs the hotel's number in confirmationNote")
    if status == "N" and query.get("notConfirmMessageId") not in {i for i, _ in NOT_CONFIRM_MESSAGES}:
        return refuse(handler, op, "23", "a refusal needs a notConfirmMessageId from getnotconfirmmessages")
    op.feed.acknowledge(voucher, cancelled=events[-1].booking.content == Content.CANCEL)
    with op.lock:
        op.replies.append(
            {
                "voucher": voucher,
                "answer": "confirm" if status == "Y" else "reject",
                "hotel_number": query.get("confirmationNote", ""),
                "reason": query.get("notconfirmationNote", ""),
                "message_id": query.get("notConfirmMessageId", ""),
                "pms_user": query.get("pmsUser", ""),
            }
        )
    return send(handler, op, records.service_result("Boolean", []))


def entry(op: SimOperator, base: str) -> dict[str, object]:
    """The ``[[operators]]`` entry that scans this simulated operator."""
    return {
        "name": op.name,
        "kind": "hotel2sejour",
        "title": f"{catalog_for(op.name).title} (simulated)",
        "enabled": True,
        "url": base,
        "username": op.username,
        "password": op.password,
        "hotel_code": PAXIMUM_ID,
    }
