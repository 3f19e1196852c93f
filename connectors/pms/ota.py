"""Hand a saved booking version to the hotel's PMS as an ``OTA_HotelResNotifRQ`` over HTTP.

Two dialects (``[pms] dialect``):

- ``alpinebits``: AlpineBits HotelData 2024-10 GuestRequests push, valid against
  its XSD: multipart form fields ``action`` (``OTA_HotelResNotif:GuestRequests``)
  and ``request``, the ``X-AlpineBits-ClientProtocolVersion`` header, basic auth.
  Its answer (``OTA_HotelResNotifRS``) has no place for the PMS's own number.
- ``htng``: the same OTA document posted as the body (``application/xml``), the
  way HTNG-style PMS interfaces take it. The answer names the PMS's number in
  ``HotelReservationIDs/HotelReservationID`` with ``ResID_Type="14"`` and
  ``ResID_Source`` naming the PMS; a change or cancellation sends that number
  back so the PMS finds its own booking.

The booking's ``UniqueID`` is the hotel's number (type 14, 15 for a
cancellation); the operator's voucher travels as ``ResID_Type="13"`` with the
operator's name as its source. ``LastModifyDateTime`` is when the version
arrived, so a PMS that receives one version twice can tell.
"""

from __future__ import annotations

from dataclasses import replace

import httpx
from lxml import etree

from connectors.ota import writer
from connectors.ota.connector import PROTOCOL_VERSION, PUSH_ACTION
from connectors.ota.parser import child, children, path, read_xml, text_of
from core.models import OperatorBooking, ParseError
from core.pms import Delivery, DeliveryError, PmsSettings

OTA_NS = writer.OTA_NS
PMS_RES_ID_TYPE = "14"
OPERATOR_RES_ID_TYPE = "13"
CLIENT_ID = "opdesk"


# XML 1.0 has no place for these: operator text holding one (an escape sequence in a name) would stop the
# message from being written at all, so they are dropped on the way out (what is stored stays as it came).
_NOT_XML = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])


def xml_text(value: str) -> str:
    return "".join(ch for ch in value.translate(_NOT_XML) if not 0xD800 <= ord(ch) <= 0xDFFF)


def xml_safe(booking: OperatorBooking) -> OperatorBooking:
    """A copy of ``booking`` whose text XML can hold."""
    guests = [
        replace(
            g,
            first_name=xml_text(g.first_name),
            last_name=xml_text(g.last_name),
            nationality=xml_text(g.nationality),
            gender=xml_text(g.gender),
        )
        for g in booking.guests
    ]
    extra = {k: xml_text(v) if isinstance(v, str) else v for k, v in booking.extra.items()}
    return replace(
        booking,
        guests=guests,
        extra=extra,
        voucher=xml_text(booking.voucher),
        agency=xml_text(booking.agency),
        room=xml_text(booking.room),
        board=xml_text(booking.board),
        rate=xml_text(booking.rate),
        market=xml_text(booking.market),
        nationality=xml_text(booking.nationality),
        currency=xml_text(booking.currency),
        notes=xml_text(booking.notes),
        source=xml_text(booking.source),
    )


def notif_request(booking: OperatorBooking, settings: PmsSettings) -> bytes:
    """The ``OTA_HotelResNotifRQ`` that hands ``booking`` (from ``core.pms.delivery_booking``) to the PMS."""
    booking = xml_safe(booking)
    root = writer.element("OTA_HotelResNotifRQ", Version="1.000")
    holder = writer.sub(root, "HotelReservations")
    try:
        reservation = writer.hotel_reservation(booking, settings.hotel_code or None)
    except ValueError as exc:  # a hotel code the dialect has no word for (a board without a meal plan code)
        raise DeliveryError(f"cannot write the message: {exc}", permanent=True) from exc
    add_reservation_ids(reservation, booking, settings)
    holder.append(reservation)
    return writer.serialise(root)


def add_reservation_ids(reservation: etree._Element, booking: OperatorBooking, settings: PmsSettings) -> None:
    """The operator's voucher and, for HTNG, the PMS's own number, in ``ResGlobalInfo/HotelReservationIDs``."""
    info = child(reservation, "ResGlobalInfo")
    assert info is not None  # writer.hotel_reservation always writes it
    ids = child(info, "HotelReservationIDs")
    if ids is None:
        ids = writer.element("HotelReservationIDs")
        # AlpineBits order: Comments, CancelPenalties, HotelReservationIDs, Profiles, BasicPropertyInfo.
        after = [c for c in info if etree.QName(c).localname in ("Comments", "CancelPenalties")]
        info.insert(info.index(after[-1]) + 1 if after else 0, ids)
    for old in list(ids):
        ids.remove(old)
    operator, voucher = str(booking.extra.get("operator", "")), str(booking.extra.get("operator_voucher", ""))
    if voucher:
        writer.sub(
            ids,
            "HotelReservationID",
            ResID_Type=OPERATOR_RES_ID_TYPE,
            ResID_Value=voucher[:64],
            **({"ResID_Source": operator[:64]} if operator else {}),
        )
    pms_number = str(booking.extra.get("pms_number") or "")
    if settings.dialect == "htng" and pms_number:
        writer.sub(
            ids,
            "HotelReservationID",
            ResID_Type=PMS_RES_ID_TYPE,
            ResID_Value=pms_number[:64],
            **({"ResID_Source": settings.name[:64]} if settings.name else {}),
        )
    if not len(ids):
        info.remove(ids)


def read_answer(body: bytes, settings: PmsSettings) -> str:
    """The PMS's number from its ``OTA_HotelResNotifRS`` ("" when it gives none); ``DeliveryError`` for a refusal."""
    try:
        root = read_xml(body, name="the PMS's answer")
    except ParseError as exc:
        raise DeliveryError(str(exc)) from exc
    errors = [
        f"{' '.join(text_of(e).split())} (type {e.get('Type', '?')}, code {e.get('Code', '')})"
        for e in children(child(root, "Errors"), "Error")
    ]
    if errors:
        raise DeliveryError("the PMS answered an error: " + "; ".join(errors))
    refusals = [
        f"{' '.join(text_of(w).split())} (code 450)"
        for w in children(child(root, "Warnings"), "Warning")
        if w.get("Code") == "450"
    ]
    if refusals:
        raise DeliveryError("the PMS refused the booking: " + "; ".join(refusals))
    if child(root, "Success") is None:
        raise DeliveryError("the PMS's answer says neither Success nor Errors")
    if settings.dialect != "htng":
        return ""
    for reservation in children(child(root, "HotelReservations"), "HotelReservation"):
        for rid in children(path(reservation, "ResGlobalInfo", "HotelReservationIDs"), "HotelReservationID"):
            source_ok = not settings.name or rid.get("ResID_Source") == settings.name
            if rid.get("ResID_Type") == PMS_RES_ID_TYPE and source_ok and rid.get("ResID_Value"):
                return clean_number(rid.get("ResID_Value", ""))
    return ""


def clean_number(value: str) -> str:
    """The PMS's number as we keep it: printable, at most 64 characters (what the schema allows)."""
    kept = "".join(ch for ch in value if ch.isprintable()).strip()
    if not kept:
        raise DeliveryError(f"the PMS's number {value!r} holds no printable character")
    return kept[:64]


class OtaSender:
    """A ``core.pms.Sender`` posting to ``[pms] url`` in the configured dialect, one HTTP client for a run."""

    def __init__(self, settings: PmsSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.timeout)

    def close(self) -> None:
        self.client.close()

    def __call__(self, delivery: Delivery, booking: OperatorBooking) -> str:
        s = self.settings
        body = notif_request(booking, s)
        auth = (s.username, s.password) if s.username else httpx.USE_CLIENT_DEFAULT
        try:
            if s.dialect == "alpinebits":
                response = self.client.post(
                    s.url,
                    files={"action": (None, PUSH_ACTION), "request": (None, body)},
                    auth=auth,
                    headers={
                        "X-AlpineBits-ClientProtocolVersion": PROTOCOL_VERSION,
                        "X-AlpineBits-ClientID": CLIENT_ID,
                    },
                )
            else:
                response = self.client.post(
                    s.url, content=body, auth=auth, headers={"Content-Type": "application/xml; charset=utf-8"}
                )
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"{s.url}: no answer within {s.timeout:g}s ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{s.url}: {exc or type(exc).__name__}") from exc
        if response.status_code != 200:
            snippet = "".join(ch for ch in response.text[:200] if ch.isprintable())
            raise DeliveryError(f"{s.url}: HTTP {response.status_code}" + (f": {snippet}" if snippet else ""))
        return read_answer(response.content, s)
