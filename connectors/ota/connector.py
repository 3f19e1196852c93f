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

Handshake: before its first read the pull sends ``OTA_Ping:Handshaking``
(``handshake.py``) and then speaks the highest version both sides list; the
version is kept in the operator's connector state, and asked again when the
server says it does not speak it.

Acknowledging (``ack``): ``on_receipt`` (default) acknowledges each stored,
readable reservation at once. ``on_decision`` acknowledges new and changed
reservations only when the hotel confirms them, and a rejection refuses them
(``Warning Type="3" Code="450"``), after which the operator stops sending them;
until then the operator sends them again on every read (stored once).
Cancellations, status updates and messages without a booking are acknowledged
on receipt: there is nothing to decide.

The hotel: a reservation whose ``HotelCode`` is not this operator's
``hotel_code`` is never booked (stored as failed, not acknowledged); one
without a HotelCode is taken only when core knows its ID for this operator.

Settings (``[[operators]]``): ``url``, ``username``, ``password`` (or
``password_env`` / ``password_file``), ``hotel_code``, ``client_id``,
``protocol_version`` (the newest version to offer; default the newest opdesk
speaks), ``ack``, ``market`` (when the operator sends none, else the guest's
country is used), ``confirm_url`` (push).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator

import httpx
from lxml import etree

from connectors.base import Connector, FetchContext, Reply
from connectors.httperrors import unreachable
from connectors.ota import handshake, writer
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
from core.desk import Delivery
from core.models import OperatorBooking, OperatorError, ParseError, RawMessage

if TYPE_CHECKING:
    from core.ingest import IngestResult

PROTOCOL_VERSION = handshake.SUPPORTED_VERSIONS[0]
READ_ACTION = "OTA_Read:GuestRequests"
ACK_ACTION = "OTA_NotifReport:GuestRequests"
PUSH_ACTION = "OTA_HotelResNotif:GuestRequests"
STATUS_UPDATE_ACTION = "OTA_HotelResNotif:GuestRequests_StatusUpdate"
ACK_MODES = ("on_receipt", "on_decision")
# Words of an HTTP 400 answer ("ERROR:...", as AlpineBits servers write) that mean "I do not speak that version".
VERSION_WORDS = ("version",)


class VersionRefused(OperatorError):
    """The server does not speak the protocol version this request was sent in: handshake again."""


class OtaConnector(Connector):
    """What pull and push share: settings, parsing, and the HTTP form AlpineBits uses."""

    channel = "ota"

    def parse(self, raw: RawMessage) -> list[OperatorBooking]:
        # A pull read the reservation from the operator's answer already; don't read its part twice.
        read = getattr(self, "read_ahead", {}).pop(raw.sha256, None)
        if isinstance(read, Exception):
            raise read
        bookings = read if read is not None else parse_ota(raw.body, name=raw.filename or raw.source_ref)
        check_hotel(bookings, str(self.setting("hotel_code", "")), self.operator.name)
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

    def ack_mode(self) -> str:
        """When reservations are acknowledged (``ack``); a wrong value is named with where to fix it."""
        mode = str(self.setting("ack", "on_receipt"))
        if mode not in ACK_MODES:
            raise OperatorError(
                f"operator {self.operator.name}: ack = {mode[:40]!r} is not one of "
                f"{', '.join(ACK_MODES)}; fix it in its [[operators]] entry"
            )
        return mode

    def offered_versions(self) -> tuple[str, ...]:
        return handshake.offered_versions(str(self.setting("protocol_version", "")))

    def auth(self) -> httpx.BasicAuth | None:
        username = str(self.setting("username", ""))
        if not username:
            return None
        return httpx.BasicAuth(username, self.config.secret(self.operator.settings, "password"))

    def headers(self, version: str = "") -> dict[str, str]:
        headers = {"X-AlpineBits-ClientProtocolVersion": version or self.offered_versions()[0]}
        client_id = str(self.setting("client_id", "opdesk"))
        if client_id:
            headers["X-AlpineBits-ClientID"] = client_id
        return headers

    def form(self, action: str, request: bytes) -> dict[str, tuple[None, bytes | str]]:
        return {"action": (None, action), "request": (None, request)}

    def ping(self) -> bytes:
        return handshake.ping_request(handshake.capabilities(handshake.PULL_ACTIONS, self.offered_versions()))

    def agreed_version(self, answer: bytes, url: str) -> str:
        """The highest version of a handshake answer; ``OperatorError`` when the two sides share none."""
        common = handshake.read_ping_response(answer, name=url)
        if not handshake.highest_version(common):
            raise OperatorError(
                f"{url}: the operator speaks none of the AlpineBits versions opdesk speaks "
                f"({', '.join(self.offered_versions())}); ask the operator which it supports"
            )
        version = handshake.highest_version(common, handshake.ACTION_READ)
        if not version:
            raise OperatorError(
                f"{url}: the operator's handshake offers no GuestRequests pull "
                f"({handshake.ACTION_READ}); ask the operator whether it pushes instead (ota-push)"
            )
        return version

    # -- answering ---------------------------------------------------------------------
    def reply_url(self) -> str:
        return str(self.setting("url", ""))

    def confirm(self, reply: Reply) -> Delivery:
        """Acknowledge the reservation. Its rooms share one ID: with ``ack = "on_decision"`` the operator
        hears once every room is confirmed, and not at all after one was rejected (it was refused)."""
        unique_id = reply_unique_id(reply)
        if self.setting("ack", "on_receipt") == "on_decision" and reply.reservation.get("content") != "cancel":
            rejected = [v for v, status in reply.rooms.items() if status == "rejected"]
            if rejected:
                return Delivery(
                    False,
                    f"not sent: reservation {unique_id[1]} was refused to the operator when "
                    f"room {', '.join(rejected)} was rejected",
                )
            waiting = [v for v, status in reply.rooms.items() if status == "pending"]
            if waiting:
                return Delivery(
                    False,
                    f"not sent yet: the operator hears when the other rooms of {unique_id[1]} "
                    f"({', '.join(waiting)}) are confirmed",
                )
        self.send_report(writer.notif_report([unique_id]))
        return Delivery(True, "sent")

    def reject(self, reply: Reply) -> Delivery:
        """Refuse the reservation (``Warning Type=3 Code=450``): AlpineBits refuses a reservation as a whole."""
        self.send_report(
            writer.notif_report([], [(reply_unique_id(reply)[1], reply.reason or "Unable to process reservation")])
        )
        return Delivery(True, "sent")

    def send_report(self, request: bytes) -> None:
        url = self.reply_url()
        if not url:
            raise OperatorError(
                f"operator {self.operator.name}: no url to answer to; set url (pull) or "
                f"confirm_url (push) in its [[operators]] entry"
            )
        try:
            with httpx.Client(timeout=float(self.setting("timeout", 30))) as client:

                def post(action: str, body: bytes, version: str = "") -> httpx.Response:
                    response = client.post(
                        url,
                        files=self.form(action, body),
                        headers=self.headers(version),
                        auth=self.auth() or httpx.USE_CLIENT_DEFAULT,
                    )
                    check_status(response, url)
                    return response

                try:
                    response = post(ACK_ACTION, request)
                    read_acknowledgements(response.content, name=url)  # raises on an error answer
                except VersionRefused:
                    version = self.agreed_version(post(handshake.PING_ACTION, self.ping()).content, url)
                    read_acknowledgements(post(ACK_ACTION, request, version).content, name=url)
        except httpx.HTTPError as exc:
            raise unreachable(url, exc) from exc


class OtaPullConnector(OtaConnector):
    kind = "ota-pull"
    channel = "ota-pull"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unique_ids: dict[str, tuple[str, str]] = {}  # raw sha256 -> (UniqueID Type, ID)
        self.read_ahead: dict[str, list[OperatorBooking] | Exception] = {}  # raw sha256 -> what parse answers
        self.decisions: set[str] = set()  # raw sha256 of new or changed reservations: the hotel decides them

    async def fetch(self, ctx: FetchContext) -> AsyncIterator[RawMessage]:
        url = str(self.setting("url", ""))
        if not url or ctx.http is None:
            raise OperatorError(f"operator {self.operator.name}: set url in its [[operators]] entry")
        self.ack_mode()  # a wrong setting fails the run before anything is read
        if not self.setting("hotel_code", ""):
            raise OperatorError(
                f"operator {self.operator.name}: set hotel_code in its [[operators]] entry (the "
                "HotelCode the operator knows this hotel by): reads ask for it, and reservations "
                "for any other hotel are never booked"
            )
        # Older versions saved the newest stamp seen and asked from it; that cursor is not used any more.
        ctx.state.pop("last_seen", None)
        request = writer.read_request(self.hotel_code, ctx.since or None)
        if ctx.state.get("protocol_version") not in self.offered_versions():
            await self.handshake(ctx, url)
        for attempt in (1, 2):
            try:
                body = await self.post(ctx, url, READ_ACTION, request)
                raws = await ctx.offload(self.read_answer, body, url)
                break
            except OperatorError as exc:
                if attempt == 2 or not version_problem(exc):
                    raise
                await self.handshake(ctx, url)  # the operator changed what it speaks since the last handshake
        for raw in raws:
            yield raw

    async def handshake(self, ctx: FetchContext, url: str) -> None:
        """``OTA_Ping:Handshaking``; the version agreed is kept in the operator's state."""
        refused = ""
        for version in self.offered_versions():
            # The ping lists every version; its header names one, and a strict server may check even that.
            ctx.state["protocol_version"] = version
            try:
                answer = await self.post(ctx, url, handshake.PING_ACTION, self.ping())
            except VersionRefused as exc:
                refused = str(exc)
                continue
            except OperatorError as exc:
                if "HTTP 400" not in str(exc):
                    raise
                # A server older than handshaking (AlpineBits before 2018-10) does not know the action:
                # it is read in the newest version offered, as before.
                ctx.state["protocol_version"] = self.offered_versions()[0]
                return
            ctx.state["protocol_version"] = self.agreed_version(answer, url)
            return
        ctx.state.pop("protocol_version", None)
        raise OperatorError(
            f"{refused}; the operator speaks none of the AlpineBits versions opdesk speaks "
            f"({', '.join(self.offered_versions())}); ask the operator which it supports"
        )

    def read_answer(self, body: bytes, url: str) -> list[RawMessage]:
        """Cut an answer into one raw message per reservation and read each (CPU work: see ``offload``)."""
        parts = split_reservations(body, self.operator.name, self.channel, url)
        for raw, unique_id, element in parts:
            self.unique_ids[raw.sha256] = unique_id
            self.read_ahead[raw.sha256] = read_reservation(element)
            if needs_decision(element):
                self.decisions.add(raw.sha256)
        return [raw for raw, _, _ in parts]

    async def acknowledge(self, raw: RawMessage, result: "IngestResult", ctx: FetchContext) -> None:
        await self.acknowledge_many([(raw, result)], ctx)

    async def acknowledge_many(self, items: list[tuple[RawMessage, "IngestResult"]], ctx: FetchContext) -> None:
        """One ``OTA_NotifReportRQ`` for every stored, readable reservation of a batch.

        With ``ack = "on_decision"`` new and changed reservations wait for the hotel's confirmation.
        """
        later = self.decisions if self.ack_mode() == "on_decision" else set()
        acks = [
            self.unique_ids[raw.sha256]
            for raw, result in items
            if result.ok and raw.sha256 in self.unique_ids and raw.sha256 not in later
        ]
        if not acks:
            return
        body = await self.post(ctx, str(self.setting("url")), ACK_ACTION, writer.notif_report(acks))
        read_acknowledgements(body, name=f"{self.operator.name} acknowledgement answer")

    async def post(self, ctx: FetchContext, url: str, action: str, request: bytes) -> bytes:
        assert ctx.http is not None
        try:
            response = await ctx.http.post(
                url,
                files=self.form(action, request),
                headers=self.headers(str(ctx.state.get("protocol_version", ""))),
                auth=self.auth() or httpx.USE_CLIENT_DEFAULT,
                timeout=ctx.timeout,
            )
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
    """Raise for an answer that is not a 2xx: ``VersionRefused`` when it is about the protocol version."""
    if response.status_code in (401, 403):
        raise OperatorError(
            f"{url}: authentication failed (HTTP {response.status_code}): check username and password of this operator"
        )
    if response.status_code >= 400:
        text = response.text[:200].strip()
        if response.status_code == 400 and any(word in text.lower() for word in VERSION_WORDS):
            raise VersionRefused(f"{url}: HTTP 400 {text}")
        raise OperatorError(
            f"{url}: HTTP {response.status_code} {text}".strip(),
            retryable=response.status_code >= 500 or response.status_code == 429,
        )


def read_reservation(element: etree._Element) -> list[OperatorBooking] | Exception:
    """What ``parse`` will answer for this reservation's part: its bookings, or the error to raise."""
    try:
        return reservations_bookings([element])
    except Exception as exc:  # noqa: BLE001 - handed to ingest, which records it on the raw message
        return exc


def split_reservations(
    body: bytes, operator: str, channel: str, source: str
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
        raw = RawMessage(
            body=single_document(kind, element),
            operator=operator,
            channel=channel,
            source_ref=f"{source}#{unique_id[1]}",
            filename=f"{unique_id[1]} {element.get('ResStatus', '')}".strip(),
        )
        parts.append((raw, unique_id, element))
    return parts


# The envelope of a one-reservation document, around the reservation's own serialised element.
ENVELOPES = {
    "OTA_ResRetrieveRS": (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<OTA_ResRetrieveRS xmlns="{OTA_NS}" '
        f'Version="7.000"><Success/><ReservationsList>'.encode(),
        b"</ReservationsList></OTA_ResRetrieveRS>",
    ),
    "OTA_HotelResNotifRQ": (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<OTA_HotelResNotifRQ xmlns="{OTA_NS}" '
        f'Version="1.000"><HotelReservations>'.encode(),
        b"</HotelReservations></OTA_HotelResNotifRQ>",
    ),
}


def single_document(kind: str, element: etree._Element) -> bytes:
    head, tail = ENVELOPES[kind]
    # Serialised as text and encoded here: the same bytes as encoding="UTF-8", but
    # libxml2 skips its output encoder, which takes about a tenth of the time.
    return head + etree.tostring(element, encoding="unicode", with_tail=False).encode() + tail


def cancel_type(reply: Reply) -> str:
    return "15" if reply.reservation.get("content") == "cancel" else "14"


def version_problem(exc: OperatorError) -> bool:
    """The server refused the protocol version: HTTP 400 about it, or an ``Errors`` answer about it."""
    text = str(exc).lower()
    return isinstance(exc, VersionRefused) or (
        text.startswith("operator answered an error") and any(word in text for word in VERSION_WORDS)
    )


def reply_unique_id(reply: Reply) -> tuple[str, str]:
    """The UniqueID (Type, ID) an answer names: the one of the message answered, whose rooms share it."""
    if reply.raw is not None:
        try:
            root = read_xml(reply.raw.body, name="the message answered")
            kind = local(root.tag)
            if kind in BOOKING_ROOTS:
                for element in children(child(root, BOOKING_ROOTS[kind]), "HotelReservation"):
                    uid = child(element, "UniqueID")
                    if uid is not None and uid.get("ID"):
                        return uid.get("Type", cancel_type(reply)), uid.get("ID", "")
        except ParseError:
            pass  # not ours to read: fall back on the voucher
    return cancel_type(reply), reply.voucher


def needs_decision(element: etree._Element) -> bool:
    """A new or changed reservation with its rooms: the hotel confirms or rejects it."""
    return element.get("ResStatus") in ("Reserved", "Modify") and bool(
        children(child(element, "RoomStays"), "RoomStay")
    )


def check_hotel(bookings: list[OperatorBooking], hotel_code: str, operator: str) -> None:
    """A reservation for another hotel is never booked; one naming no hotel must be known already.

    Raises ``ParseError`` (the message is kept as failed and not acknowledged)
    for another hotel's code, or for any code while the operator has no
    ``hotel_code`` to compare it with. A booking without a code gets
    ``known_id_only``: core takes it only when it knows the reservation ID for
    this operator.
    """
    for booking in bookings:
        theirs = str(booking.extra.get("hotel_code") or "")
        rid = str(booking.extra.get("reservation_id") or booking.voucher)
        if not theirs:
            booking.extra["known_id_only"] = True
        elif not hotel_code:
            raise ParseError(
                f"for hotel {theirs[:64]}, and {operator} has no hotel_code to check it against: set "
                f"hotel_code in its [[operators]] entry, then opdesk raw retry --failed",
                field="BasicPropertyInfo HotelCode",
                record=rid,
            )
        elif theirs != hotel_code:
            raise ParseError(
                f"for hotel {theirs[:64]}, not this one ({hotel_code}): never booked",
                field="BasicPropertyInfo HotelCode",
                record=rid,
            )
