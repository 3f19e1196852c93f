"""AlpineBits HotelData GuestRequests connectors: pull (``ota-pull``) and push (``ota-push``).

Pull: ``OTA_Read:GuestRequests``; the answer is split into one raw message per reservation (so each is stored,
versioned and acknowledged on its own); ``OTA_NotifReport:GuestRequests`` acknowledges the
ones core has stored. A reservation that failed to parse is stored but not
acknowledged, so the operator sends it again until the parser is fixed.

A regular read sends no ``SelectionCriteria Start``: the standard has the
server answer with everything not yet acknowledged, which is the only way
nothing is missed when an operator's time stamps run ahead of our clock or a
late reservation carries an older stamp. ``Start`` goes only with an explicit
re-read (``opdesk scan --operator X --since DATETIME``).

Push: the operator posts ``OTA_HotelResNotif:GuestRequests`` to ``opdesk
serve-push`` (``push_server.py``); this connector only parses, and sends
confirmations to ``confirm_url`` when the operator has one.

Settings (``[[operators]]``): ``url``, ``username``, ``password`` (or
``password_env`` / ``password_file``), ``hotel_code``, ``client_id``,
``protocol_version`` (default 2024-10), ``market`` (when the operator sends
none, else the guest's country is used), ``confirm_url`` (push).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator

import httpx
from lxml import etree

from connectors.base import Connector, FetchContext, Reply
from connectors.httperrors import unreachable
from connectors.ota import writer
from connectors.ota.parser import (
    BOOKING_ROOTS,
    OTA_NS,
    child,
    children,
    local,
    parse_ota,
    raise_operator_errors,
    read_acknowledgements,
    read_xml,
    reservations_bookings,
)
from core.models import OperatorBooking, OperatorError, ParseError, RawMessage

if TYPE_CHECKING:
    from core.ingest import IngestResult

PROTOCOL_VERSION = "2024-10"
READ_ACTION = "OTA_Read:GuestRequests"
ACK_ACTION = "OTA_NotifReport:GuestRequests"
PUSH_ACTION = "OTA_HotelResNotif:GuestRequests"

class OtaConnector(Connector):
    """What pull and push share: settings, parsing, and the HTTP form AlpineBits uses."""

    channel = "ota"

    def parse(self, raw: RawMessage) -> list[OperatorBooking]:
        # A pull read the reservation from the operator's answer already; don't read its part twice.
        read = getattr(self, "read_ahead", {}).pop(raw.sha256, None)
        if isinstance(read, Exception):
            raise read
        bookings = read if read is not None else parse_ota(raw.body, name=raw.filename or raw.source_ref)
        market = str(self.operator.settings.get("market", ""))
        for booking in bookings:
            booking.market = booking.market or market or booking.nationality
        return bookings

    # -- settings ----------------------------------------------------------------------
    def setting(self, key: str, default: Any = "") -> Any:
        return self.operator.settings.get(key, default)

    @property
    def hotel_code(self) -> str:
        return str(self.setting("hotel_code", writer.DEFAULT_HOTEL_CODE))

    def auth(self) -> httpx.BasicAuth | None:
        username = str(self.setting("username", ""))
        if not username:
            return None
        return httpx.BasicAuth(username, self.config.secret(self.operator.settings, "password"))

    def headers(self) -> dict[str, str]:
        headers = {"X-AlpineBits-ClientProtocolVersion": str(self.setting("protocol_version", PROTOCOL_VERSION))}
        client_id = str(self.setting("client_id", "opdesk"))
        if client_id:
            headers["X-AlpineBits-ClientID"] = client_id
        return headers

    def form(self, action: str, request: bytes) -> dict[str, tuple[None, bytes | str]]:
        return {"action": (None, action), "request": (None, request)}

    # -- answering ---------------------------------------------------------------------
    def reply_url(self) -> str:
        return str(self.setting("url", ""))

    def confirm(self, reply: Reply) -> None:
        self.send_report(writer.notif_report([(cancel_type(reply), reply.voucher)]))

    def reject(self, reply: Reply) -> None:
        self.send_report(writer.notif_report([], [(reply.voucher, reply.reason or "Unable to process reservation")]))

    def send_report(self, request: bytes) -> None:
        url = self.reply_url()
        if not url:
            raise OperatorError(f"operator {self.operator.name}: no url to answer to; set url (pull) or "
                                f"confirm_url (push) in its [[operators]] entry")
        try:
            with httpx.Client(timeout=float(self.setting("timeout", 30))) as client:
                response = client.post(url, files=self.form(ACK_ACTION, request),
                                       auth=self.auth() or httpx.USE_CLIENT_DEFAULT,
                                       headers=self.headers())
        except httpx.HTTPError as exc:
            raise unreachable(url, exc) from exc
        check_status(response, url)
        read_acknowledgements(response.content, name=url)   # raises on an error answer


class OtaPullConnector(OtaConnector):
    kind = "ota-pull"
    channel = "ota-pull"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unique_ids: dict[str, tuple[str, str]] = {}   # raw sha256 -> (UniqueID Type, ID)
        self.read_ahead: dict[str, list[OperatorBooking] | Exception] = {}   # raw sha256 -> what parse answers

    async def fetch(self, ctx: FetchContext) -> AsyncIterator[RawMessage]:
        url = str(self.setting("url", ""))
        if not url or ctx.http is None:
            raise OperatorError(f"operator {self.operator.name}: set url in its [[operators]] entry")
        # Older versions saved the newest stamp seen and asked from it; that cursor is not used any more.
        ctx.state.pop("last_seen", None)
        body = await self.post(ctx, url, READ_ACTION, writer.read_request(self.hotel_code, ctx.since or None))
        for raw in await ctx.offload(self.read_answer, body, url):
            yield raw

    def read_answer(self, body: bytes, url: str) -> list[RawMessage]:
        """Cut an answer into one raw message per reservation and read each (CPU work: see ``offload``)."""
        parts = split_reservations(body, self.operator.name, self.channel, url)
        for raw, unique_id, element in parts:
            self.unique_ids[raw.sha256] = unique_id
            self.read_ahead[raw.sha256] = read_reservation(element)
        return [raw for raw, _, _ in parts]

    async def acknowledge(self, raw: RawMessage, result: "IngestResult", ctx: FetchContext) -> None:
        await self.acknowledge_many([(raw, result)], ctx)

    async def acknowledge_many(self, items: list[tuple[RawMessage, "IngestResult"]], ctx: FetchContext) -> None:
        """One ``OTA_NotifReportRQ`` for every stored, readable reservation of a batch."""
        acks = [self.unique_ids[raw.sha256] for raw, result in items if result.ok and raw.sha256 in self.unique_ids]
        if not acks:
            return
        body = await self.post(ctx, str(self.setting("url")), ACK_ACTION, writer.notif_report(acks))
        read_acknowledgements(body, name=f"{self.operator.name} acknowledgement answer")

    async def post(self, ctx: FetchContext, url: str, action: str, request: bytes) -> bytes:
        assert ctx.http is not None
        try:
            response = await ctx.http.post(url, files=self.form(action, request), headers=self.headers(),
                                           auth=self.auth() or httpx.USE_CLIENT_DEFAULT, timeout=ctx.timeout)
        except httpx.HTTPError as exc:
            raise unreachable(url, exc) from exc
        check_status(response, url)
        return response.content


class OtaPushConnector(OtaConnector):
    """Reservations arrive at ``opdesk serve-push``; nothing to fetch."""

    kind = "ota-push"
    channel = "ota-push"

    async def fetch(self, ctx: FetchContext) -> AsyncIterator[RawMessage]:
        return
        yield  # pragma: no cover

    def reply_url(self) -> str:
        return str(self.setting("confirm_url", ""))


# -- shared helpers ---------------------------------------------------------------
def check_status(response: httpx.Response, url: str) -> None:
    if response.status_code in (401, 403):
        raise OperatorError(f"{url}: authentication failed (HTTP {response.status_code}): check username and "
                            "password of this operator")
    if response.status_code >= 400:
        text = response.text[:200].strip()
        raise OperatorError(f"{url}: HTTP {response.status_code} {text}".strip(),
                            retryable=response.status_code >= 500 or response.status_code == 429)


def read_reservation(element: etree._Element) -> list[OperatorBooking] | Exception:
    """What ``parse`` will answer for this reservation's part: its bookings, or the error to raise."""
    try:
        return reservations_bookings([element])
    except Exception as exc:  # noqa: BLE001 - handed to ingest, which records it on the raw message
        return exc


def split_reservations(body: bytes, operator: str, channel: str, source: str
                       ) -> list[tuple[RawMessage, tuple[str, str], etree._Element]]:
    """One raw message per HotelReservation.

    Each part is a complete document of the same kind holding one reservation,
    so the same reservation sent twice is the same bytes (stored once).
    Raises ``OperatorError`` for an error answer and ``ParseError`` for a body
    that is not XML.
    """
    root = read_xml(body, name=f"{operator} answer")
    kind = local(root.tag)
    if kind not in BOOKING_ROOTS:
        raise ParseError(f"{operator} answered {kind}, expected OTA_ResRetrieveRS or OTA_HotelResNotifRQ")
    raise_operator_errors(root)
    parts = []
    for element in children(child(root, BOOKING_ROOTS[kind]), "HotelReservation"):
        uid = child(element, "UniqueID")
        unique_id = (uid.get("Type", "14"), uid.get("ID", "")) if uid is not None else ("14", "")
        raw = RawMessage(body=single_document(kind, element), operator=operator, channel=channel,
                         source_ref=f"{source}#{unique_id[1]}",
                         filename=f"{unique_id[1]} {element.get('ResStatus', '')}".strip())
        parts.append((raw, unique_id, element))
    return parts


# The envelope of a one-reservation document, around the reservation's own serialised element.
ENVELOPES = {
    "OTA_ResRetrieveRS": (f'<?xml version="1.0" encoding="UTF-8"?>\n<OTA_ResRetrieveRS xmlns="{OTA_NS}" '
                          f'Version="7.000"><Success/><ReservationsList>'.encode(),
                          b"</ReservationsList></OTA_ResRetrieveRS>"),
    "OTA_HotelResNotifRQ": (f'<?xml version="1.0" encoding="UTF-8"?>\n<OTA_HotelResNotifRQ xmlns="{OTA_NS}" '
                            f'Version="1.000"><HotelReservations>'.encode(),
                            b"</HotelReservations></OTA_HotelResNotifRQ>"),
}


def single_document(kind: str, element: etree._Element) -> bytes:
    head, tail = ENVELOPES[kind]
    # Serialised as text and encoded here: the same bytes as encoding="UTF-8", but
    # libxml2 skips its output encoder, which takes about a tenth of the time.
    return head + etree.tostring(element, encoding="unicode", with_tail=False).encode() + tail


def cancel_type(reply: Reply) -> str:
    return "15" if reply.reservation.get("content") == "cancel" else "14"
