"""The OTA 2003/05 messages of the two SOAP dialects, read and written.

pmsXchange (SiteMinder), pull: ``OTA_ReadRQ`` asks for every reservation not
yet delivered; ``OTA_ResRetrieveRS`` lists them as ``HotelReservation``
elements whose ``ResStatus`` is ``Commit`` (new), ``Modify`` or ``Cancel``;
``OTA_NotifReportRQ`` reports them processed (or, with ``Errors``, not).
Guests are counted by ``AgeQualifyingCode`` (10 adult, 8 child with its Age).

SynXis (Sabre), pull: ``OTA_HotelGetMsgRQ`` asks for pending messages; the
answer holds one ``OTA_HotelResNotifRQ`` with the new reservations, one
``OTA_HotelResModifyNotifRQ`` with the changed ones and one ``OTA_CancelRQ``
per cancellation. Each is answered on its own with the same message type,
naming the CRS confirmation number (``UniqueID Type=14
ID_Context=CrsConfirmNumber``) and the hotel's (``HotelReservationID
ResID_Type=14 ResID_Source=Pms``), or a failure text.

A reservation element is the one AlpineBits also uses (RoomStays, ResGuests,
ResGlobalInfo), so ``connectors.ota.parser`` reads its content; only the
status words and the envelopes around it differ, and they are handled here.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from lxml import etree

from connectors.ota import writer
from connectors.ota.parser import OTA_NS, raise_operator_errors, read_xml, reservations_bookings
from core.models import Content, OperatorBooking, ParseError

# "Commit" for a new reservation; SiteMinder's own samples write "Book", read the same.
PMSX_STATUS = {"Commit": "Reserved", "Book": "Reserved", "Modify": "Modify", "Cancel": "Cancelled"}
PMSX_STATUS_OF = {Content.NEW: "Commit", Content.CHANGE: "Modify", Content.CANCEL: "Cancel"}
ADULT, CHILD_CODES = "10", {"8", "7"}
# A push may use either vocabulary: the pull one or the standard's.
PUSH_STATUS = {**PMSX_STATUS, "Reserved": "Reserved", "Cancelled": "Cancelled", "Book": "Reserved"}

# SynXis: the kind of a pulled message -> the element holding one reservation, and its holder.
SYNXIS_NEW, SYNXIS_CHANGE, SYNXIS_CANCEL = "OTA_HotelResNotifRQ", "OTA_HotelResModifyNotifRQ", "OTA_CancelRQ"
SYNXIS_PARTS = {
    SYNXIS_NEW: ("HotelReservations", "HotelReservation"),
    SYNXIS_CHANGE: ("HotelResModifies", "HotelResModify"),
}
SYNXIS_KIND_OF = {Content.NEW: SYNXIS_NEW, Content.CHANGE: SYNXIS_CHANGE, Content.CANCEL: SYNXIS_CANCEL}


def q(tag: str) -> str:
    return f"{{{OTA_NS}}}{tag}"


def ota(tag: str, **attrs: str) -> etree._Element:
    return etree.Element(q(tag), nsmap={None: OTA_NS}, **attrs)


def sub(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, q(tag), **attrs)


def stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).replace(microsecond=0).isoformat()


def message(tag: str, *, version: str = "1.0", now: datetime | None = None, echo: str = "") -> etree._Element:
    """The root of a request or answer, with the attributes both dialects' examples carry."""
    return ota(tag, EchoToken=echo or str(uuid.uuid4()), TimeStamp=stamp(now), Version=version)


def single_document(root_tag: str, holder: str | None, element: etree._Element) -> bytes:
    """One reservation as a document of its own: the same reservation sent twice is the same bytes."""
    root = ota(root_tag)
    parent = sub(root, holder) if holder else root
    parent.append(copy.deepcopy(element))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def unique_id(element: etree._Element) -> str:
    """The reservation's ID: its ``UniqueID Type="14"``, else the first UniqueID."""
    uids = element.findall(q("UniqueID"))
    uid = next((u for u in uids if u.get("Type") == "14"), uids[0] if uids else None)
    return (uid.get("ID", "") if uid is not None else "").strip()


def message_id(element: etree._Element) -> str:
    """pmsXchange's delivery ID of one reservation message (``UniqueID Type="16" ID_Context="MESSAGE_UNIQUE_ID"``)."""
    for uid in element.findall(q("UniqueID")):
        if uid.get("Type") == "16" or uid.get("ID_Context") == "MESSAGE_UNIQUE_ID":
            return uid.get("ID", "").strip()
    return ""


def check_answer(payload: etree._Element, expected: str) -> None:
    """Raise ``OperatorError`` for an ``Errors`` answer and ``ParseError`` for the wrong message."""
    if etree.QName(payload).localname != expected:
        raise ParseError(f"answered {etree.QName(payload).localname}, expected {expected}")
    raise_operator_errors(payload)


# -- pmsXchange ------------------------------------------------------------------------------
def pmsx_read_request(hotel_code: str, now: datetime | None = None) -> etree._Element:
    root = message("OTA_ReadRQ", now=now)
    read = sub(sub(root, "ReadRequests"), "HotelReadRequest", HotelCode=hotel_code)
    sub(read, "SelectionCriteria", SelectionType="Undelivered")
    return root


def pmsx_reservations(payload: etree._Element) -> list[etree._Element]:
    check_answer(payload, "OTA_ResRetrieveRS")
    holder = payload.find(q("ReservationsList"))
    return [] if holder is None else holder.findall(q("HotelReservation"))


def pmsx_document(element: etree._Element) -> bytes:
    return single_document("OTA_ResRetrieveRS", "ReservationsList", element)


def status_bookings(element: etree._Element, statuses: dict[str, str]) -> list[OperatorBooking]:
    """Read a reservation whose ResStatus speaks another vocabulary than AlpineBits'."""
    status = element.get("ResStatus", "")
    if status not in statuses:
        raise ParseError(
            f"unknown ResStatus {status[:40]!r} (expected {', '.join(dict.fromkeys(statuses))})",
            field="ResStatus",
            record=unique_id(element) or "?",
        )
    standard = copy.deepcopy(element)
    standard.tag = q("HotelReservation")
    standard.set("ResStatus", statuses[status])
    reservation = next((u for u in standard.findall(q("UniqueID")) if u.get("Type") == "14"), None)
    if reservation is not None:  # the shared reader takes the first UniqueID as the voucher
        standard.insert(0, reservation)
    for count in standard.iter(q("GuestCount")):
        read_age_qualifying_code(count, unique_id(element) or "?")
    bookings = reservations_bookings([standard])
    for booking in bookings:
        booking.extra["res_status"] = status
        if message_id(element):
            booking.extra["message_id"] = message_id(element)
    return bookings


def read_age_qualifying_code(count: etree._Element, record: str) -> None:
    """Count a guest by its ``AgeQualifyingCode`` (10 adult, 8 child, 7 infant), the way the OTA codes it.

    The shared reader counts a ``GuestCount`` with an ``Age`` as children: an
    adult's age is dropped, and a child without one is refused.
    """
    code = count.get("AgeQualifyingCode")
    if code is None:
        return
    if code == ADULT:
        count.attrib.pop("Age", None)
    elif code in CHILD_CODES:
        if count.get("Age") is None:
            raise ParseError(
                f"a child (AgeQualifyingCode {code}) without an Age", field="GuestCount Age", record=record
            )
    else:
        raise ParseError(
            f"unknown AgeQualifyingCode {code[:20]!r} (expected 10 adult, 8 child or 7 infant)",
            field="GuestCount AgeQualifyingCode",
            record=record,
        )


def pmsx_notif_report(
    reservations: Iterable[tuple[str, str, str, str]], *, refused: str = "", now: datetime | None = None
) -> etree._Element:
    """Report ``(ResStatus, ID, message ID, hotel number)`` processed, or with ``refused`` (the reason) not."""
    root = message("OTA_NotifReportRQ", now=now)
    if refused:
        sub(sub(root, "Errors"), "Error", Type="3", Code="450", Status="NotProcessed").text = refused[:500]
    else:
        sub(root, "Success")
    holder = sub(sub(sub(root, "NotifDetails"), "HotelNotifReport"), "HotelReservations")
    for status, ident, delivery, number in reservations:
        res = sub(holder, "HotelReservation", ResStatus=status)
        sub(res, "UniqueID", Type="14", ID=ident)
        if delivery:
            sub(res, "UniqueID", Type="16", ID=delivery, ID_Context="MESSAGE_UNIQUE_ID")
        if number:
            ids = sub(sub(res, "ResGlobalInfo"), "HotelReservationIDs")
            sub(ids, "HotelReservationID", ResID_Type="14", ResID_Value=number, ResID_Source="Pms")
    return root


def pmsx_reservation(booking: OperatorBooking, hotel_code: str, message_number: str = "") -> etree._Element:
    """How pmsXchange lists a reservation (the simulator's side)."""
    element = writer.hotel_reservation(booking, hotel_code)
    element.set("ResStatus", PMSX_STATUS_OF[booking.content])
    uid = element.find(q("UniqueID"))
    if uid is not None and message_number:
        uid.addnext(etree.Element(q("UniqueID"), Type="16", ID=message_number, ID_Context="MESSAGE_UNIQUE_ID"))
    for count in element.iter(q("GuestCount")):
        count.set("AgeQualifyingCode", "8" if count.get("Age") is not None else ADULT)
    if uid is not None:
        uid.set("Type", "14")
    return element


def pmsx_retrieve_response(elements: Iterable[etree._Element], now: datetime | None = None) -> etree._Element:
    root = message("OTA_ResRetrieveRS", now=now)
    sub(root, "Success")
    holder = sub(root, "ReservationsList")
    for element in elements:
        holder.append(copy.deepcopy(element))
    return root


def read_notif_report(payload: etree._Element) -> tuple[list[tuple[str, str, str, str]], str]:
    """``([(ResStatus, ID, message ID, hotel number)], refusal)`` of an ``OTA_NotifReportRQ`` (the simulator's side)."""
    if etree.QName(payload).localname != "OTA_NotifReportRQ":
        raise ParseError(f"expected OTA_NotifReportRQ, got {etree.QName(payload).localname}")
    error = payload.find(f"{q('Errors')}/{q('Error')}")
    items = []
    for res in payload.iter(q("HotelReservation")):
        number = res.find(f"{q('ResGlobalInfo')}/{q('HotelReservationIDs')}/{q('HotelReservationID')}")
        items.append(
            (
                res.get("ResStatus", ""),
                unique_id(res),
                message_id(res),
                number.get("ResID_Value", "") if number is not None else "",
            )
        )
    return items, ("" if error is None else (error.text or "refused").strip())


# -- SynXis ----------------------------------------------------------------------------------
def synxis_get_messages(hotel_code: str, chain_code: str, now: datetime | None = None) -> etree._Element:
    root = ota("OTA_HotelGetMsgRQ", TimeStamp=stamp(now))
    attrs = {"HotelCode": hotel_code, "ReasonForRequest": "Reservation Retrieval", "MessageType": "All"}
    if chain_code:
        attrs["ChainCode"] = chain_code
    sub(sub(root, "Messages"), "Message", **attrs)
    return root


def synxis_pulled(payload: etree._Element) -> list[tuple[str, etree._Element]]:
    """``(message kind, element)`` of every reservation in an ``OTA_HotelGetMsgRS``.

    The element is a ``HotelReservation`` (new), a ``HotelResModify`` (change)
    or an ``OTA_CancelRQ`` (cancellation); the empty placeholders are skipped.
    """
    check_answer(payload, "OTA_HotelGetMsgRS")
    found: list[tuple[str, etree._Element]] = []
    for content in payload.iter(q("MessageContent")):
        for msg in content:
            kind = etree.QName(msg).localname if isinstance(msg.tag, str) else ""
            if kind in SYNXIS_PARTS:
                holder, tag = SYNXIS_PARTS[kind]
                found += [(kind, e) for e in msg.findall(f"{q(holder)}/{q(tag)}")]
            elif kind == SYNXIS_CANCEL and unique_id(msg):
                found.append((kind, msg))
    return found


def synxis_document(kind: str, element: etree._Element) -> bytes:
    if kind == SYNXIS_CANCEL:
        return etree.tostring(_cancel_copy(element), xml_declaration=True, encoding="UTF-8")
    holder, _ = SYNXIS_PARTS[kind]
    return single_document(kind, holder, element)


def _cancel_copy(element: etree._Element) -> etree._Element:
    root = ota(SYNXIS_CANCEL)
    for attr in ("CancelType",):
        if element.get(attr):
            root.set(attr, element.get(attr, ""))
    for part in element:
        root.append(copy.deepcopy(part))
    return root


def synxis_crs_number(element: etree._Element) -> str:
    """The CRS confirmation number: the UniqueID with ID_Context CrsConfirmNumber, else the first."""
    for uid in element.findall(q("UniqueID")):
        if uid.get("ID_Context", "CrsConfirmNumber") == "CrsConfirmNumber" and uid.get("ID"):
            return uid.get("ID", "").strip()
    return unique_id(element)


def synxis_cancel_booking(element: etree._Element) -> OperatorBooking:
    voucher = synxis_crs_number(element)
    if not voucher:
        raise ParseError("missing UniqueID ID (the CRS confirmation number)", field="UniqueID")
    booking = OperatorBooking(voucher=voucher, content=Content.CANCEL)
    booking.extra["synxis_message"] = SYNXIS_CANCEL
    return booking


def synxis_update(
    kind: str, crs_number: str, hotel_number: str, failure: str = "", now: datetime | None = None
) -> etree._Element:
    """The update of one pulled reservation: success with the hotel's number, or the failure text."""
    root = ota(kind, TimeStamp=stamp(now))
    if kind == SYNXIS_CANCEL:
        sub(root, "UniqueID", Type="14", ID=crs_number, ID_Context="CrsConfirmNumber")
        if hotel_number:
            sub(root, "UniqueID", Type="14", ID=hotel_number, ID_Context="PmsConfirmNumber")
        if failure:
            sub(sub(sub(root, "TPA_Extensions"), "Warnings"), "Warning").text = failure[:500]
        return root
    holder, tag = SYNXIS_PARTS[kind]
    res = sub(sub(root, holder), tag)
    sub(res, "UniqueID", Type="14", ID=crs_number, ID_Context="CrsConfirmNumber")
    if hotel_number:
        ids = sub(sub(res, "ResGlobalInfo"), "HotelReservationIDs")
        sub(
            ids,
            "HotelReservationID",
            ResID_Type="14",
            ResID_Value=hotel_number,
            ResID_Source="Pms",
            ResID_SourceContext="PmsConfirmNumber",
        )
    if failure:
        sub(sub(sub(res, "TPA_Extensions"), "Warnings"), "Warning").text = failure[:500]
    return root


def read_synxis_update(payload: etree._Element) -> tuple[str, str, str, str]:
    """``(kind, CRS number, hotel number, failure)`` of one update (the simulator's side)."""
    kind = etree.QName(payload).localname
    if kind == SYNXIS_CANCEL:
        res = payload
        numbers = {u.get("ID_Context", ""): u.get("ID", "") for u in payload.findall(q("UniqueID"))}
        hotel = numbers.get("PmsConfirmNumber", "")
    elif kind in SYNXIS_PARTS:
        holder, tag = SYNXIS_PARTS[kind]
        found = payload.find(f"{q(holder)}/{q(tag)}")
        if found is None:
            raise ParseError(f"{kind} without a {tag}")
        res = found
        number = res.find(f"{q('ResGlobalInfo')}/{q('HotelReservationIDs')}/{q('HotelReservationID')}")
        hotel = number.get("ResID_Value", "") if number is not None and number.get("ResID_Source") == "Pms" else ""
    else:
        raise ParseError(f"not a SynXis update: {kind}")
    warning = res.find(f"{q('TPA_Extensions')}/{q('Warnings')}/{q('Warning')}")
    return kind, synxis_crs_number(res), hotel, "" if warning is None else (warning.text or "").strip()


def synxis_answer(kind: str, *, error: str = "", now: datetime | None = None) -> etree._Element:
    """``OTA_HotelResNotifRS`` / ``OTA_HotelResModifyNotifRS`` / ``OTA_CancelRS``: Success, or Errors."""
    root = ota(kind[:-2] + "RS", TimeStamp=stamp(now))
    if error:
        sub(sub(root, "Errors"), "Error", Type="3", Code="450").text = error[:500]
    else:
        sub(root, "Success")
    return root


def synxis_get_msg_response(items: Iterable[tuple[str, etree._Element]], now: datetime | None = None) -> etree._Element:
    """The answer to ``OTA_HotelGetMsgRQ``: new, changed and cancelled, each kind in its own message."""
    root = ota("OTA_HotelGetMsgRS", TimeStamp=stamp(now))
    sub(root, "Success")
    messages = sub(root, "Messages")
    grouped: dict[str, list[etree._Element]] = {SYNXIS_NEW: [], SYNXIS_CHANGE: [], SYNXIS_CANCEL: []}
    for kind, element in items:
        grouped[kind].append(element)
    for kind in (SYNXIS_NEW, SYNXIS_CHANGE):
        holder, _ = SYNXIS_PARTS[kind]
        msg = sub(sub(sub(messages, "Message"), "MessageContent"), kind)
        parts = sub(msg, holder)
        for element in grouped[kind]:
            parts.append(copy.deepcopy(element))
    for element in grouped[SYNXIS_CANCEL] or [ota(SYNXIS_CANCEL)]:  # an empty one is the placeholder
        sub(sub(messages, "Message"), "MessageContent").append(copy.deepcopy(element))
    return root


def synxis_element(booking: OperatorBooking, hotel_code: str) -> tuple[str, etree._Element]:
    """How SynXis sends one reservation event (the simulator's side)."""
    kind = SYNXIS_KIND_OF[booking.content]
    if kind == SYNXIS_CANCEL:
        root = ota(SYNXIS_CANCEL, CancelType="Cancel")
        sub(root, "UniqueID", Type="14", ID=booking.voucher, ID_Context="CrsConfirmNumber")
        return kind, root
    element = writer.hotel_reservation(booking, hotel_code)
    uid = element.find(q("UniqueID"))
    if uid is not None:
        uid.set("Type", "14")
        uid.set("ID_Context", "CrsConfirmNumber")
    if kind == SYNXIS_CHANGE:
        element.tag = q("HotelResModify")
    return kind, element


# -- reading a stored part -------------------------------------------------------------------
def parse_part(body: bytes, *, name: str = "") -> list[OperatorBooking]:
    """The bookings of one stored reservation part of either dialect (or of a SOAP push)."""
    root = read_xml(body, name=name)
    kind = etree.QName(root).localname
    if kind == "OTA_ResRetrieveRS":
        return [b for e in pmsx_reservations(root) for b in status_bookings(e, PMSX_STATUS)]
    if kind == SYNXIS_CANCEL:
        return [synxis_cancel_booking(root)]
    if kind in SYNXIS_PARTS:
        holder, tag = SYNXIS_PARTS[kind]
        elements = root.findall(f"{q(holder)}/{q(tag)}")
        if not elements:
            raise ParseError(f"{kind} holds no {tag}")
        statuses = {**PUSH_STATUS, "": "Modify" if kind == SYNXIS_CHANGE else "Reserved"}
        if kind == SYNXIS_CHANGE:
            statuses["Reserved"] = "Modify"
        bookings = [b for e in elements for b in status_bookings(e, statuses)]
        for booking in bookings:
            booking.extra["synxis_message"] = kind
        return bookings
    raise ParseError(f"not an OTA reservation part: <{kind}>")
