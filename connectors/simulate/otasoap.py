"""A simulated SOAP OTA operator (pmsXchange or SynXis dialect), served by ``SimServer`` at ``POST /<name>/soap``.

Every request must carry the operator's username and password in a
WS-Security UsernameToken; a wrong one, or a message the dialect does not
know, is answered with a SOAP Fault (HTTP 500), as SOAP services do.

pmsXchange: ``OTA_ReadRQ`` answers every event not yet reported processed;
``OTA_NotifReportRQ`` marks them processed (a confirmation's hotel number and
a refusal's reason are recorded as replies). SynXis: ``OTA_HotelGetMsgRQ``
answers every event not yet updated; each update is recorded as a reply and
marks its event done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from connectors.otasoap import envelope, messages
from connectors.simulate.catalog import catalog_for
from core.models import OperatorError, ParseError

if TYPE_CHECKING:
    from connectors.simulate.server import SimHandler, SimOperator

HOTEL_CODE = "SUNBEACH"


def authorised(handler: SimHandler, op: SimOperator) -> bool:
    return True  # the credentials travel inside the envelope: checked in route()


def route(handler: SimHandler, op: SimOperator, method: str, rest: list[str], body: bytes) -> bool:
    if method != "POST" or rest != ["soap"]:
        return False
    try:
        env, payload = envelope.open_envelope(body, name="request")
    except (ParseError, OperatorError) as exc:
        return fault(handler, "Client", str(exc))
    if op.faults.auth_fail or envelope.credentials(env) != (op.username, op.password):
        return fault(handler, "Client", "authentication failed: wrong or missing WS-Security UsernameToken")
    name = etree.QName(payload).localname
    try:
        answer = (pmsxchange if op.dialect == "pmsxchange" else synxis)(op, name, payload)
    except ParseError as exc:
        return fault(handler, "Client", str(exc))
    if answer is None:
        return fault(handler, "Client", f"{name} is not a {op.dialect} request")
    body_out = envelope.response(answer)
    if op.faults.malformed:
        body_out = body_out[: max(len(body_out) // 2, 20)]
    handler.answer(200, body_out, envelope.CONTENT_TYPE)
    return True


def fault(handler: SimHandler, code: str, text: str) -> bool:
    handler.answer(500, envelope.fault(code, text), envelope.CONTENT_TYPE)
    return True


def note_reply(op: SimOperator, voucher: str, number: str, failure: str, message: str) -> None:
    with op.lock:
        op.replies.append(
            {
                "voucher": voucher,
                "answer": "reject" if failure else "confirm",
                "hotel_number": number,
                "reason": failure,
                "message": message,
            }
        )


def pmsxchange(op: SimOperator, name: str, payload: etree._Element) -> etree._Element | None:
    if name == "OTA_ReadRQ":
        read = payload.find(f"{messages.q('ReadRequests')}/{messages.q('HotelReadRequest')}")
        if read is None or read.get("HotelCode") != HOTEL_CODE:
            raise ParseError(f"unknown hotel {'' if read is None else read.get('HotelCode', '')!r}")
        op.feed.tick()
        with op.feed.lock:
            waiting = [(n, e.booking) for n, e in enumerate(op.feed.events, start=1) if not e.acked]
        return messages.pmsx_retrieve_response(
            messages.pmsx_reservation(b, HOTEL_CODE, str(90000 + n)) for n, b in waiting
        )
    if name == "OTA_NotifReportRQ":
        items, refusal = messages.read_notif_report(payload)
        for status, ident, _, number in items:
            if refusal or number:
                note_reply(op, ident, number, refusal, name)
            op.feed.acknowledge(ident, cancelled=status == "Cancel")
        answer = messages.message("OTA_NotifReportRS", echo=payload.get("EchoToken", ""))
        messages.sub(answer, "Success")
        return answer
    return None


def synxis(op: SimOperator, name: str, payload: etree._Element) -> etree._Element | None:
    if name == "OTA_HotelGetMsgRQ":
        msg = payload.find(f"{messages.q('Messages')}/{messages.q('Message')}")
        if msg is None or msg.get("HotelCode") != HOTEL_CODE:
            raise ParseError(f"unknown hotel {'' if msg is None else msg.get('HotelCode', '')!r}")
        op.feed.tick()
        with op.feed.lock:
            waiting = [e.booking for e in op.feed.events if not e.acked]
        return messages.synxis_get_msg_response(messages.synxis_element(b, HOTEL_CODE) for b in waiting)
    if name in (messages.SYNXIS_NEW, messages.SYNXIS_CHANGE, messages.SYNXIS_CANCEL):
        kind, crs, number, failure = messages.read_synxis_update(payload)
        if not failure and not number:
            return messages.synxis_answer(kind, error="a success update needs the PMS confirmation number")
        with op.feed.lock:
            events = op.feed.by_voucher.get(crs, [])
        if not events:
            return messages.synxis_answer(kind, error=f"unknown CRS confirmation number {crs!r}")
        note_reply(op, crs, number, failure, kind)
        op.feed.acknowledge(crs, cancelled=kind == messages.SYNXIS_CANCEL)
        return messages.synxis_answer(kind)
    return None


def entry(op: SimOperator, base: str) -> dict[str, Any]:
    return {
        "name": op.name,
        "kind": "ota-soap",
        "dialect": op.dialect,
        "title": f"{catalog_for(op.name).title} (simulated)",
        "enabled": True,
        "url": f"{base}/soap",
        "username": op.username,
        "password": op.password,
        "hotel_code": HOTEL_CODE,
    }
