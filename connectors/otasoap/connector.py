"""The ``ota-soap`` connector: OTA 2003/05 over SOAP 1.1, in the pmsXchange or the SynXis dialect.

``dialect = "pmsxchange"`` (SiteMinder): each scan sends ``OTA_ReadRQ`` and
gets every reservation not yet delivered in an ``OTA_ResRetrieveRS``; the
ones stored and readable are reported processed with one
``OTA_NotifReportRQ`` per batch, so pmsXchange stops sending them; one that
could not be read is not reported, so it comes again. Confirming sends an
``OTA_NotifReportRQ`` carrying the hotel's number; rejecting one with
``Errors`` and the reason.

``dialect = "synxis"`` (Sabre SynXis): each scan sends ``OTA_HotelGetMsgRQ``;
new reservations, changes and cancellations come in their own messages.
SynXis wants each one updated as a success (with the hotel's number) or a
failure (with a text): that happens when the hotel decides. Confirming a new
reservation sends ``OTA_HotelResNotifRQ``, a change ``OTA_HotelResModifyNotifRQ``,
a cancellation ``OTA_CancelRQ``; rejecting sends the same with the reason
as the failure text. Until then SynXis keeps offering it; the same bytes are
stored once.

The hotel's number in a confirmation is the PMS's, once the PMS has given
one, else opdesk's own.

Every request carries the credentials in a WS-Security UsernameToken
(``envelope.py``). Settings (``[[operators]]``): ``url``, ``dialect``,
``username``, ``password`` (or ``password_env`` / ``password_file``),
``hotel_code``, ``chain_code`` (SynXis, optional), ``ack`` (pmsXchange:
``on_receipt``, the default, or ``on_decision``), ``market`` (when the
operator sends none, else the guest's country is used), ``delivery`` (pmsXchange:
``pull``, the default, or ``push`` for ``opdesk serve-push``), ``timeout``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
from lxml import etree

from connectors.base import Connector, FetchContext, Reply
from connectors.httperrors import unreachable
from connectors.otasoap import envelope, messages
from core.models import Content, OperatorBooking, OperatorError, ParseError, RawMessage

if TYPE_CHECKING:
    from core.ingest import IngestResult

DIALECTS = ("pmsxchange", "synxis")
ACTIONS = {
    "OTA_ReadRQ": "OTA_Read",
    "OTA_NotifReportRQ": "OTA_NotifReport",
    "OTA_HotelGetMsgRQ": "OTA_HotelGetMsg",
    "OTA_HotelResNotifRQ": "OTA_HotelResNotifRQ",
    "OTA_HotelResModifyNotifRQ": "OTA_HotelResModifyNotifRQ",
    "OTA_CancelRQ": "OTA_CancelRQ",
}


class OtaSoapConnector(Connector):
    kind = "ota-soap"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # pmsXchange: raw sha256 -> (ResStatus, reservation ID, message ID), for the report that it was processed
        self.pulled: dict[str, tuple[str, str, str]] = {}

    # -- settings ----------------------------------------------------------------------------
    def setting(self, key: str, default: Any = "") -> Any:
        return self.operator.settings.get(key, default)

    @property
    def dialect(self) -> str:
        dialect = str(self.setting("dialect", ""))
        if dialect not in DIALECTS:
            raise OperatorError(
                f'operator {self.operator.name}: dialect must be "pmsxchange" or "synxis", not {dialect!r}'
            )
        return dialect

    def url(self) -> str:
        url = str(self.setting("url", ""))
        if not url:
            raise OperatorError(
                f"operator {self.operator.name}: set url (the operator's SOAP endpoint) in its [[operators]] entry"
            )
        return url

    def wrap(self, payload: etree._Element) -> bytes:
        return envelope.request(
            payload, str(self.setting("username", "")), self.config.secret(self.operator.settings, "password")
        )

    def headers(self, payload: etree._Element) -> dict[str, str]:
        name = etree.QName(payload).localname
        return {"Content-Type": envelope.CONTENT_TYPE, "SOAPAction": f'"{ACTIONS.get(name, name)}"'}

    def read(self, body: bytes, expected: str) -> etree._Element:
        try:
            _, payload = envelope.open_envelope(body, name=f"{self.operator.name} answer")
        except ParseError as exc:
            raise OperatorError(str(exc)) from None
        messages.check_answer(payload, expected)
        return payload

    # -- fetching ------------------------------------------------------------------------------
    async def fetch(self, ctx: FetchContext) -> AsyncIterator[RawMessage]:
        if ctx.http is None:
            raise OperatorError("no HTTP client")
        if self.dialect == "pmsxchange" and self.setting("delivery", "pull") == "push":
            return  # reservations arrive at opdesk serve-push
        hotel = str(self.setting("hotel_code", ""))
        if not hotel:
            raise OperatorError(f"operator {self.operator.name}: set hotel_code in its [[operators]] entry")
        if self.dialect == "pmsxchange":
            body = await self.post(ctx, messages.pmsx_read_request(hotel))
            for element in messages.pmsx_reservations(self.read(body, "OTA_ResRetrieveRS")):
                raw = self.raw(messages.pmsx_document(element), messages.unique_id(element), element.get("ResStatus"))
                self.pulled[raw.sha256] = (
                    element.get("ResStatus", ""),
                    messages.unique_id(element),
                    messages.message_id(element),
                )
                yield raw
            return
        body = await self.post(ctx, messages.synxis_get_messages(hotel, str(self.setting("chain_code", ""))))
        for kind, element in messages.synxis_pulled(self.read(body, "OTA_HotelGetMsgRS")):
            yield self.raw(messages.synxis_document(kind, element), messages.synxis_crs_number(element), kind)

    def raw(self, body: bytes, ident: str, label: str | None) -> RawMessage:
        return RawMessage(
            body=body,
            operator=self.operator.name,
            channel=self.kind,
            source_ref=f"{self.url()}#{ident}",
            filename=f"{ident} {label or ''}".strip(),
        )

    async def post(self, ctx: FetchContext, payload: etree._Element) -> bytes:
        assert ctx.http is not None
        url = self.url()
        try:
            response = await ctx.http.post(
                url, content=self.wrap(payload), headers=self.headers(payload), timeout=ctx.timeout
            )
        except httpx.HTTPError as exc:
            raise unreachable(url, exc) from exc
        return check_status(response, url)

    def parse(self, raw: RawMessage) -> list[OperatorBooking]:
        bookings = messages.parse_part(raw.body, name=raw.filename or raw.source_ref)
        market = str(self.setting("market", ""))
        for booking in bookings:  # as for AlpineBits: the guest's country when the operator sends no market
            booking.market = booking.market or market or booking.nationality
        return bookings

    # -- acknowledging (pmsXchange) ----------------------------------------------------------------
    async def acknowledge_many(self, items: list[tuple[RawMessage, IngestResult]], ctx: FetchContext) -> None:
        """pmsXchange: report every stored, readable reservation of the batch processed.

        SynXis has no receipt: each reservation is updated when the hotel decides.
        """
        if self.dialect != "pmsxchange":
            return
        stored = [self.pulled[raw.sha256] for raw, result in items if result.ok and raw.sha256 in self.pulled]
        if self.ack_mode() == "on_decision":
            # Only a cancellation, and what it cancels (offered again beside it), is beyond deciding.
            cancelled = {ident for status, ident, _ in stored if status == "Cancel"}
            stored = [item for item in stored if item[1] in cancelled]
        done = [(*item, "") for item in stored]
        if done:
            self.read(await self.post(ctx, messages.pmsx_notif_report(done)), "OTA_NotifReportRS")

    def ack_mode(self) -> str:
        """pmsXchange: ``on_receipt`` (default) reports each reservation processed once stored;
        ``on_decision`` reports a new or changed one when the hotel confirms or rejects it, and a
        cancellation (nothing to decide) once stored."""
        mode = str(self.setting("ack", "on_receipt"))
        if mode not in ("on_receipt", "on_decision"):
            raise OperatorError(
                f'operator {self.operator.name}: ack must be "on_receipt" or "on_decision", not {mode!r}'
            )
        return mode

    async def acknowledge(self, raw: RawMessage, result: IngestResult, ctx: FetchContext) -> None:
        await self.acknowledge_many([(raw, result)], ctx)

    # -- answering ----------------------------------------------------------------------------------
    def confirm(self, reply: Reply) -> None:
        self.send_answer(reply, hotel_number(reply), "")

    def reject(self, reply: Reply) -> None:
        self.send_answer(reply, "", reply.reason or "Unable to process reservation")

    def send_answer(self, reply: Reply, number: str, failure: str) -> None:
        content = str(reply.reservation.get("content", "new"))
        if self.dialect == "pmsxchange":
            status, delivery = self.pulled_status(reply, content)
            payload = messages.pmsx_notif_report([(status, reply.voucher, delivery, number)], refused=failure)
            expected = "OTA_NotifReportRS"
        else:
            kind = messages.SYNXIS_KIND_OF[Content(content)]
            payload = messages.synxis_update(kind, reply.voucher, number, failure)
            expected = kind[:-2] + "RS"
        url = self.url()
        try:
            with httpx.Client(timeout=float(self.setting("timeout", 30))) as client:
                response = client.post(url, content=self.wrap(payload), headers=self.headers(payload))
        except httpx.HTTPError as exc:
            raise unreachable(url, exc) from exc
        self.read(check_status(response, url), expected)

    @staticmethod
    def pulled_status(reply: Reply, content: str) -> tuple[str, str]:
        """The ResStatus and message ID the reservation came with (from its stored message), to answer in kind."""
        if reply.raw is not None:
            try:
                extra = messages.parse_part(reply.raw.body)[0].extra
                return str(extra.get("res_status", "")), str(extra.get("message_id", ""))
            except (ParseError, OperatorError, IndexError):
                pass
        return messages.PMSX_STATUS_OF.get(Content(content), "Commit"), ""


def hotel_number(reply: Reply) -> str:
    """The PMS's number once the PMS has given one, else opdesk's own."""
    return str(reply.reservation.get("pms_number") or "").strip() or reply.hotel_number


def check_status(response: httpx.Response, url: str) -> bytes:
    """The body of an answer; SOAP faults come with HTTP 500 and are read from the envelope."""
    if response.status_code in (401, 403):
        raise OperatorError(
            f"{url}: authentication failed (HTTP {response.status_code}): check username and password of this operator"
        )
    is_soap = response.content.lstrip().startswith(b"<")
    if response.status_code >= 400 and not (response.status_code == 500 and is_soap):
        raise OperatorError(
            f"{url}: HTTP {response.status_code} {response.text[:200].strip()}".strip(),
            retryable=response.status_code >= 500 or response.status_code == 429,
        )
    return response.content
