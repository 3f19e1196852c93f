"""Write AlpineBits HotelData 2024-10 GuestRequests messages.

Bookings become ``OTA_ResRetrieveRS`` (pull) or ``OTA_HotelResNotifRQ`` (push);
the small protocol messages around them (read request, acknowledgements,
refusals, error answers) are written here too. Every document follows the
element order of the AlpineBits 2024-10 XSD; the tests validate them against it.

AlpineBits carries one contact person per reservation. The other guests travel
as list items of an ``additional info`` comment, ``guest: Surname, Given, age 9``,
which ``parser.py`` reads back into guests.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Iterable

from lxml import etree

from core.models import Content, Guest, OperatorBooking

OTA_NS = "http://www.opentravel.org/OTA/2003/05"
DEFAULT_HOTEL_CODE = "SUNBEACH"

# OTA error codes (the OTA "ERR" list) an answer uses; the Error's text says which record and why.
ERR_REQUIRED_MISSING = 321  # a required field is missing
ERR_HOTEL_CODE = 392  # invalid hotel code: the reservation is for another hotel
ERR_ADULTS = 397  # invalid number of adults
ERR_SYSTEM = 448  # system error: nothing was stored, send again
ERR_UNABLE = 450  # unable to process

STATUS = {Content.NEW: "Reserved", Content.CHANGE: "Modify", Content.CANCEL: "Cancelled"}
# AlpineBits allows only these meal plan codes; common board names are translated to them.
MEAL_PLAN_CODES = {"1", "3", "10", "12", "14"}
BOARD_TO_MEAL_PLAN = {"AI": "1", "UAI": "1", "BB": "3", "FB": "10", "HB": "12", "RO": "14"}


def booking_to_ota_xml(bookings: list[OperatorBooking], *, push: bool = False, hotel_code: str | None = None) -> bytes:
    """An ``OTA_ResRetrieveRS`` (or, with ``push``, an ``OTA_HotelResNotifRQ``) holding ``bookings``."""
    if push:
        root = element("OTA_HotelResNotifRQ", Version="1.000")
        holder = sub(root, "HotelReservations")
    else:
        root = element("OTA_ResRetrieveRS", Version="7.000")
        sub(root, "Success")
        holder = sub(root, "ReservationsList")
    for booking in bookings:
        holder.append(hotel_reservation(booking, hotel_code))
    return serialise(root)


def retrieve_response(reservations: Iterable[bytes]) -> bytes:
    """An ``OTA_ResRetrieveRS`` around ``HotelReservation`` elements serialised beforehand (``reservation_xml``).

    A server that keeps each reservation's XML answers a read by joining them,
    without building the whole tree again.
    """
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<OTA_ResRetrieveRS xmlns="{OTA_NS}" Version="7.000">'
        "<Success/><ReservationsList>"
    ).encode()
    return head + b"".join(reservations) + b"</ReservationsList></OTA_ResRetrieveRS>\n"


def reservation_xml(booking: OperatorBooking, hotel_code: str | None = None) -> bytes:
    """One ``HotelReservation`` element as bytes, for ``retrieve_response``."""
    return etree.tostring(hotel_reservation(booking, hotel_code), encoding="UTF-8")


def hotel_reservation(booking: OperatorBooking, hotel_code: str | None = None) -> etree._Element:
    res = element("HotelReservation", CreateDateTime=create_datetime(booking), ResStatus=STATUS[booking.content])
    if booking.extra.get("last_modify_datetime"):
        res.set("LastModifyDateTime", str(booking.extra["last_modify_datetime"]))
    sub(res, "UniqueID", Type="15" if booking.content == Content.CANCEL else "14", ID=booking.voucher)
    if booking.check_in and booking.check_out:
        stays = sub(res, "RoomStays")
        for number in range(max(booking.rooms, 1)):
            stays.append(room_stay(booking, first=number == 0))
    if booking.guests:
        res.append(res_guests(booking.guests[0], booking.nationality))
    res.append(global_info(booking, hotel_code or booking.extra.get("hotel_code") or DEFAULT_HOTEL_CODE))
    return res


def room_stay(booking: OperatorBooking, *, first: bool) -> etree._Element:
    """One room. Guests, prices and the total ride on the first room so they are counted once."""
    if booking.check_in is None or booking.check_out is None:  # hotel_reservation writes no RoomStays then
        raise ValueError(f"booking {booking.voucher} has no stay dates for a RoomStay")
    stay = element("RoomStay")
    if booking.room:
        sub(sub(stay, "RoomTypes"), "RoomType", RoomTypeCode=booking.room)
    if booking.rate or booking.board:
        plan = sub(sub(stay, "RatePlans"), "RatePlan")
        if booking.rate:
            plan.set("RatePlanCode", booking.rate)
        if booking.board:
            sub(plan, "MealsIncluded", MealPlanIndicator="true", MealPlanCodes=meal_plan_code(booking.board))
    if first and booking.night_prices and booking.room and booking.rate:
        rates = sub(
            sub(sub(stay, "RoomRates"), "RoomRate", RatePlanCode=booking.rate, RoomTypeCode=booking.room), "Rates"
        )
        for night in booking.night_prices:
            rate = sub(
                rates,
                "Rate",
                EffectiveDate=night.date.isoformat(),
                ExpireDate=(night.date + timedelta(days=1)).isoformat(),
                RateTimeUnit="Day",
                UnitMultiplier="1",
            )
            base = sub(rate, "Base", CurrencyCode=booking.currency or "EUR")
            if night.amount > 0:
                base.set("AmountAfterTax", amount(night.amount))
    if first and (booking.adults or booking.child_ages):
        counts = sub(stay, "GuestCounts")
        if booking.adults:
            sub(counts, "GuestCount", Count=str(booking.adults))
        for age, n in sorted(Counter(booking.child_ages).items(), reverse=True):
            sub(counts, "GuestCount", Count=str(n), Age=str(age))
    sub(stay, "TimeSpan", Start=booking.check_in.isoformat(), End=booking.check_out.isoformat())
    if first and booking.total is not None:
        sub(stay, "Total", AmountAfterTax=amount(booking.total), CurrencyCode=booking.currency or "EUR")
    return stay


def res_guests(guest: Guest, nationality: str) -> etree._Element:
    guests = element("ResGuests")
    profile = sub(sub(sub(sub(guests, "ResGuest"), "Profiles"), "ProfileInfo"), "Profile")
    customer = sub(profile, "Customer", Gender=guest.gender if guest.gender in ("Male", "Female") else "Unknown")
    if guest.birth_date:
        customer.set("BirthDate", guest.birth_date.isoformat())
    name = sub(customer, "PersonName")
    sub(name, "GivenName").text = (guest.first_name or "-")[:64]
    sub(name, "Surname").text = (guest.last_name or "-")[:64]
    country = guest.nationality or nationality
    if len(country) == 2 and country.isalpha() and country.isupper():
        sub(sub(customer, "Address"), "CountryName", Code=country)
    return guests


def global_info(booking: OperatorBooking, hotel_code: str) -> etree._Element:
    info = element("ResGlobalInfo")
    extra_guests = booking.guests[1:]
    if booking.notes or extra_guests:
        comments = sub(info, "Comments")
        if extra_guests:
            listing = sub(comments, "Comment", Name="additional info")
            for i, guest in enumerate(extra_guests, start=1):
                age = f", age {guest.age}" if guest.age is not None else ""
                sub(
                    listing, "ListItem", ListItem=str(i), Language="en"
                ).text = f"guest: {guest.last_name}, {guest.first_name}{age}"
        if booking.notes:
            sub(sub(comments, "Comment", Name="customer comment"), "Text").text = booking.notes
    if booking.source:
        sub(sub(info, "HotelReservationIDs"), "HotelReservationID", ResID_Type="13", ResID_Source=booking.source[:64])
    if booking.agency:
        company = sub(
            sub(sub(sub(sub(info, "Profiles"), "ProfileInfo"), "Profile", ProfileType="4"), "CompanyInfo"),
            "CompanyName",
            Code=booking.agency,
            CodeContext="operator",
        )
        company.text = str(booking.extra.get("agency_name") or booking.agency)
    sub(info, "BasicPropertyInfo", HotelCode=hotel_code)
    return info


# -- protocol messages around the bookings -------------------------------------
def read_request(hotel_code: str, since: str | None = None) -> bytes:
    """``OTA_ReadRQ``: ask for reservations, newer than ``since`` (ISO date-time) if given."""
    root = element("OTA_ReadRQ", Version="1.001")
    request = sub(sub(root, "ReadRequests"), "HotelReadRequest", HotelCode=hotel_code)
    if since:
        sub(request, "SelectionCriteria", Start=since)
    return serialise(root)


def notif_report(acks: Iterable[tuple[str, str]], refusals: Iterable[tuple[str, str]] = ()) -> bytes:
    """``OTA_NotifReportRQ``: acknowledge ``(type, id)`` pairs; refuse ``(id, reason)`` with Warning 450."""
    root = element("OTA_NotifReportRQ", Version="1.000")
    sub(root, "Success")
    add_refusals(root, refusals)
    acks = list(acks)
    if acks:
        holder = sub(sub(sub(root, "NotifDetails"), "HotelNotifReport"), "HotelReservations")
        for id_type, voucher in acks:
            sub(sub(holder, "HotelReservation"), "UniqueID", Type=id_type, ID=voucher)
    return serialise(root)


def push_response(acks: Iterable[tuple[str, str]], refusals: Iterable[tuple[str, str]] = ()) -> bytes:
    """``OTA_HotelResNotifRS``: what the hotel answers to a push, after storing it.

    Acks ``(type, id)`` with a ``Warning Type=3 Code=450`` for each refused ``(id, reason)``;
    with no ack at all, an ``Errors`` answer naming every refused ID (the 2024-10
    schema's success answer must list at least one reservation).
    """
    acks, refusals = list(acks), list(refusals)
    if not acks:
        text = "; ".join(f"{voucher[:64]}: {reason}" for voucher, reason in refusals) or "no reservation taken"
        return error_response(f"refused: {text}"[:2000], code=refusal_code(refusals), push=True)
    root = element("OTA_HotelResNotifRS", Version="1.000")
    sub(root, "Success")
    add_refusals(root, refusals)
    holder = sub(root, "HotelReservations")
    for id_type, voucher in acks:
        sub(sub(holder, "HotelReservation"), "UniqueID", Type=id_type, ID=voucher)
    return serialise(root)


def refusal_code(refusals: list[tuple[str, str]]) -> int:
    """The OTA error code that fits every refusal; 450 (unable to process) when they differ."""
    codes = {reason_code(reason) for _, reason in refusals}
    return codes.pop() if len(codes) == 1 else ERR_UNABLE


def reason_code(reason: str) -> int:
    """The OTA code of one refusal, from the error opdesk stored for it."""
    if "BasicPropertyInfo HotelCode" in reason or ", not this one (" in reason:
        return ERR_HOTEL_CODE
    if "field GuestCount" in reason:
        return ERR_ADULTS
    if ": missing " in reason:
        return ERR_REQUIRED_MISSING
    return ERR_UNABLE


def error_response(message: str, *, code: int = ERR_UNABLE, error_type: int = 13, push: bool = False) -> bytes:
    """An error answer: Type 11 is authentication, 13 an application error."""
    root = element("OTA_HotelResNotifRS" if push else "OTA_ResRetrieveRS", Version="1.000" if push else "7.000")
    sub(sub(root, "Errors"), "Error", Type=str(error_type), Code=str(code)).text = xml_text(message)
    return serialise(root)


def add_refusals(root: etree._Element, refusals: Iterable[tuple[str, str]]) -> None:
    refusals = list(refusals)
    if refusals:
        warnings = sub(root, "Warnings")
        for voucher, reason in refusals:
            sub(warnings, "Warning", Type="3", Code="450", RecordID=xml_text(voucher[:64])).text = (
                xml_text(reason) or "Unable to process reservation"
            )


# XML 1.0 has no place for control characters other than tab, newline and carriage return.
NOT_XML = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 0x7F, 0xFFFE, 0xFFFF], "?")


def xml_text(text: str) -> str:
    """Text for an answer: a reason typed by staff or an error that quotes an operator may hold
    control characters (an escape sequence pasted in), which XML cannot carry; each becomes "?"."""
    return "".join(ch for ch in text.translate(NOT_XML) if not 0xD800 <= ord(ch) <= 0xDFFF)


# -- helpers --------------------------------------------------------------------
def element(tag: str, **attrs: str) -> etree._Element:
    return etree.Element(f"{{{OTA_NS}}}{tag}", attrs, nsmap={None: OTA_NS})


def sub(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{OTA_NS}}}{tag}", attrs)


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


def meal_plan_code(board: str) -> str:
    if board in MEAL_PLAN_CODES:
        return board
    if board.upper() in BOARD_TO_MEAL_PLAN:
        return BOARD_TO_MEAL_PLAN[board.upper()]
    raise ValueError(
        f"board {board!r} has no AlpineBits meal plan code (use one of "
        f"{', '.join(sorted(MEAL_PLAN_CODES))} or {', '.join(BOARD_TO_MEAL_PLAN)})"
    )


def create_datetime(booking: OperatorBooking) -> str:
    if booking.extra.get("create_datetime"):
        return str(booking.extra["create_datetime"])
    if booking.sale_date:
        return datetime.combine(booking.sale_date, time(12, 0), tzinfo=timezone.utc).isoformat()
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def notif_report_response() -> bytes:
    """``OTA_NotifReportRS``: the server's answer to acknowledgements."""
    root = element("OTA_NotifReportRS", Version="1.000")
    sub(root, "Success")
    return serialise(root)
