"""SOAP pushes to ``opdesk serve-push``: ``OTA_HotelResNotifRQ`` in, ``OTA_HotelResNotifRS`` out.

An operator of kind ``ota-soap`` with ``delivery = "push"`` (pmsXchange's
Reservations PUSH) posts its reservations in a SOAP 1.1 envelope, with its
username and password in a WS-Security UsernameToken. Every reservation is
stored before the answer is written. The answer lists each one taken in
``HotelReservations`` beside ``Success``; one that could not be read gets a
``Warning Type=3 Code=450`` naming it, so it is sent again. When none could
be taken the answer is ``Errors`` instead, naming each and why. Anything that
is not such a request, or wrong credentials, is answered with a SOAP Fault.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Callable, Protocol

from lxml import etree

from connectors.otasoap import envelope, messages
from connectors.otasoap.connector import OtaSoapConnector
from core.config import Config, OperatorConfig
from core.ingest import IngestResult
from core.models import OperatorBooking, OperatorError, ParseError, RawMessage

if TYPE_CHECKING:
    from connectors.httpserve import AnsweringHandler


class PushState(Protocol):
    """What of ``opdesk serve-push`` a SOAP push needs: the config, and its one way of storing a push."""

    config: Config

    def store_push(
        self, parts: list[tuple[RawMessage, Callable[[RawMessage], list[OperatorBooking]]]]
    ) -> list[IngestResult]: ...


PUSH = "OTA_HotelResNotifRQ"
MAX_PUSH_BYTES = 20 * 1024 * 1024  # as for AlpineBits pushes: no reservation batch comes near it


def answer_soap_push(handler: "AnsweringHandler", state: PushState, operator: OperatorConfig) -> None:
    """Read one SOAP push from ``handler``, store it, and answer it."""
    read_body = getattr(handler, "read_body", None)
    if callable(read_body):
        body = read_body()  # the push server's own request limits, where it has them
    else:
        length = int(handler.headers.get("Content-Length") or 0)
        if length > MAX_PUSH_BYTES:
            return handler.answer(413, envelope.fault("Client", "request too large"), envelope.CONTENT_TYPE)
        body = handler.rfile.read(length)
    status, answer = answer_push(state, operator, body)
    handler.answer(status, answer, envelope.CONTENT_TYPE)


def answer_push(state: PushState, operator: OperatorConfig, body: bytes) -> tuple[int, bytes]:
    """``(HTTP status, SOAP answer)`` for one push."""
    try:
        env, payload = envelope.open_envelope(body, name="request")
    except (ParseError, OperatorError) as exc:
        return 500, envelope.fault("Client", str(exc)[:300])
    if not authorised(state, operator, envelope.credentials(env)):
        return 500, envelope.fault("Client", "authentication failed: wrong or missing WS-Security UsernameToken")
    if etree.QName(payload).localname != PUSH:
        return 500, envelope.fault("Client", f"expected {PUSH}, got {etree.QName(payload).localname}")
    echo = payload.get("EchoToken", "")
    elements = payload.findall(f"{messages.q('HotelReservations')}/{messages.q('HotelReservation')}")
    if not elements:
        return 200, envelope.response(refusal(echo, "321", "no HotelReservation in the request"))
    connector = OtaSoapConnector(operator, state.config)
    parts = [
        (
            messages.unique_id(e) or f"#{n}",
            RawMessage(
                body=messages.single_document(PUSH, "HotelReservations", e),
                operator=operator.name,
                channel="ota-soap",
                source_ref=f"push#{messages.unique_id(e)}",
                filename=f"{messages.unique_id(e)} {e.get('ResStatus', '')}",
            ),
        )
        for n, e in enumerate(elements, start=1)
    ]
    results = state.store_push([(raw, connector.parse) for _, raw in parts])
    taken = [ident for (ident, _), result in zip(parts, results) if result.ok]
    refused = [
        (ident, result.error[:300] or "Unable to process reservation")
        for (ident, _), result in zip(parts, results)
        if not result.ok
    ]
    if not taken:
        return 200, envelope.response(refusal(echo, "450", "; ".join(f"{i}: {r}" for i, r in refused)))
    answer = messages.message("OTA_HotelResNotifRS", echo=echo)
    messages.sub(answer, "Success")
    if refused:
        warnings = messages.sub(answer, "Warnings")
        for ident, reason in refused:
            messages.sub(warnings, "Warning", Type="3", Code="450", RecordID=ident).text = reason
    holder = messages.sub(answer, "HotelReservations")
    for ident in taken:
        messages.sub(messages.sub(holder, "HotelReservation"), "UniqueID", Type="14", ID=ident)
    return 200, envelope.response(answer)


def refusal(echo: str, code: str, text: str) -> etree._Element:
    answer = messages.message("OTA_HotelResNotifRS", echo=echo)
    messages.sub(messages.sub(answer, "Errors"), "Error", Type="3", Code=code).text = text[:1000]
    return answer


def authorised(state: PushState, operator: OperatorConfig, given: tuple[str, str] | None) -> bool:
    if given is None:
        return False
    username = str(operator.settings.get("username", ""))
    password = state.config.secret(operator.settings, "password")
    same_user = hmac.compare_digest(given[0].encode(), username.encode())
    same_password = hmac.compare_digest(given[1].encode(), password.encode())
    return bool(username and password and same_user and same_password)
