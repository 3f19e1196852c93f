"""Read AlpineBits HotelData GuestRequests (OTA 2003/05) messages into OperatorBookings.

One parser for every way OTA XML arrives: a pull response (``OTA_ResRetrieveRS``),
a push request (``OTA_HotelResNotifRQ``), or a file dropped in a folder.

XML is read with lxml set never to resolve entities, load a DTD or touch the
network, and a document with a DTD is refused: an operator's message never
needs one, so external entities and entity expansion (billion laughs) are
shut out in one rule. Bodies over ``MAX_BODY_BYTES`` are refused before
any parsing, so a runaway file cannot exhaust memory.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any, TypeAlias

from lxml import etree

from core.models import (
    Content,
    Guest,
    NightPrice,
    NotABooking,
    OperatorBooking,
    OperatorError,
    ParseError,
    UnparsedMessage,
)

Element: TypeAlias = etree._Element
OTA_NS = "http://www.opentravel.org/OTA/2003/05"
MAX_BODY_BYTES = 20 * 1024 * 1024

STATUS_CONTENT = {"Reserved": Content.NEW, "Modify": Content.CHANGE, "Cancelled": Content.CANCEL}
BOOKING_ROOTS = {"OTA_ResRetrieveRS": "ReservationsList", "OTA_HotelResNotifRQ": "HotelReservations"}
# Well-formed AlpineBits documents that carry no booking (requests, acknowledgements).
NON_BOOKING_ROOTS = {"OTA_ReadRQ", "OTA_NotifReportRQ", "OTA_NotifReportRS", "OTA_HotelResNotifRS"}
# Extra guests travel in an "additional info" comment, one list item each (see writer).
GUEST_ITEM = re.compile(r"^guest:\s*(?P<last>[^,]*),\s*(?P<first>[^,]*)(?:,\s*age\s*(?P<age>\d+))?\s*$")


#: More guests than any room of any hotel holds: a count above this is a broken message.
MAX_GUEST_COUNT = 999


def parse_ota(body: bytes, *, name: str = "", max_bytes: int = MAX_BODY_BYTES) -> list[OperatorBooking]:
    """Every booking in one AlpineBits GuestRequests document.

    Raises ``ParseError`` (broken: says which record and field), ``NotABooking``
    (a quote request, a newsletter sign-up, an empty list), ``OperatorError``
    (the document is the operator's error answer) or ``UnparsedMessage``
    (XML, but not AlpineBits).
    """
    root = read_xml(body, name=name, max_bytes=max_bytes)
    kind = local(root.tag)
    if kind in NON_BOOKING_ROOTS:
        raise NotABooking(f"{kind} carries no reservation")
    if kind not in BOOKING_ROOTS:
        raise UnparsedMessage(
            f"not an AlpineBits GuestRequests message (root element {kind})", body[:4000].decode("utf-8", "replace")
        )
    raise_operator_errors(root)
    holder = child(root, BOOKING_ROOTS[kind])
    reservations: list[Element] = children(holder, "HotelReservation") if holder is not None else []
    if not reservations:
        raise NotABooking(f"{kind} lists no reservation")
    return reservations_bookings(reservations)


def reservations_bookings(reservations: list[Element]) -> list[OperatorBooking]:
    """The bookings of ``HotelReservation`` elements; ``NotABooking`` when none is one."""
    bookings: list[OperatorBooking] = []
    skipped: list[str] = []
    for number, element in enumerate(reservations, start=1):
        found = reservation_bookings(element, number)
        if found is None:
            skipped.append(unique_id(element, number)[1])
        else:
            bookings.extend(found)
    if not bookings:
        raise NotABooking(f"guest request only (ResStatus Requested): {', '.join(skipped)}")
    return bookings


def read_acknowledgements(body: bytes, *, name: str = "") -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Acks ``(type, id)`` and refusals ``(id, reason)`` of an ``OTA_NotifReportRQ`` or ``OTA_HotelResNotifRS``.

    Raises ``OperatorError`` when the document is an error answer.
    """
    root = read_xml(body, name=name)
    raise_operator_errors(root)
    refusals = [
        (w.get("RecordID", ""), text_of(w))
        for w in children(child(root, "Warnings"), "Warning")
        if w.get("Code") == "450"
    ]
    acks = [(u.get("Type", ""), u.get("ID", "")) for u in root.iter(f"{{{OTA_NS}}}UniqueID")]
    return acks, refusals


# -- the document ----------------------------------------------------------------
def read_xml(body: bytes, *, name: str = "", max_bytes: int = MAX_BODY_BYTES) -> Element:
    """Parse bytes safely, or raise ``ParseError`` naming the file and what is wrong."""
    label = name or "message"
    if len(body) > max_bytes:
        raise ParseError(
            f"{label} is {len(body) // (1024 * 1024)} MB, over the "
            f"{max_bytes // (1024 * 1024)} MB limit for one OTA message"
        )
    if not body.strip():
        raise ParseError(f"{label} is empty")
    try:
        root = etree.fromstring(body, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{label}: not well-formed XML ({exc}); is it truncated or in another encoding?") from exc
    except (ValueError, LookupError) as exc:  # an encoding lxml does not know
        raise ParseError(f"{label}: cannot decode XML: {exc}") from exc
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD is not None:
        # Entities were not resolved (parser settings); refusing the DTD keeps it that way downstream.
        raise ParseError(f"{label}: refused unsafe XML: a DTD or entity is not allowed in an OTA message")
    return root


def safe_parser() -> etree.XMLParser:
    """No entity resolution, no DTD loading, no network, no huge trees: lxml read safely.

    lxml's C parser is used (not defusedxml's pure-Python tree builder) because a
    scan reads thousands of reservations; these settings give the same protection.
    """
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def raise_operator_errors(root: Element) -> None:
    errors = child(root, "Errors")
    if errors is None:
        return
    texts = []
    for error in children(errors, "Error"):
        code = error.get("Code", "")
        texts.append(f"{' '.join((error.text or '').split())} (type {error.get('Type', '?')}, code {code})")
    # Type 11 is "authentication"; 13 "application error": neither gets better by retrying at once.
    raise OperatorError("operator answered an error: " + "; ".join(texts) if texts else "operator answered Errors")


# -- one HotelReservation --------------------------------------------------------
# A scan reads thousands of reservations (see "small readers" for how children are
# found): an element asked for several children is walked once (``firsts``).
def reservation_bookings(element: Element, number: int) -> list[OperatorBooking] | None:
    """The booking(s) of one HotelReservation, or None for a guest request (ResStatus Requested)."""
    parts = firsts(element)
    id_type, voucher = read_unique_id(parts.get("UniqueID"), number)
    status = element.get("ResStatus", "")
    if status == "Requested":
        return None
    if status not in STATUS_CONTENT:
        raise ParseError(
            f"unknown ResStatus {status!r} (expected Reserved, Modify, Cancelled or Requested)",
            field="ResStatus",
            record=voucher,
        )
    base = OperatorBooking(voucher=voucher, content=STATUS_CONTENT[status])
    base.extra["unique_id_type"] = id_type
    # The rooms of one reservation share its ID (see combine_stays); core finds them all by it.
    base.extra["reservation_id"] = voucher
    created = timestamp(element.get("CreateDateTime"), "CreateDateTime", voucher)
    modified = timestamp(element.get("LastModifyDateTime"), "LastModifyDateTime", voucher)
    base.sale_date = created.date() if created else None
    if created:
        base.extra["create_datetime"] = created.isoformat()
    if modified:
        base.extra["last_modify_datetime"] = modified.isoformat()
    if base.content == Content.CANCEL:
        cancelled = modified or created
        base.cancel_date = cancelled.date() if cancelled else None
    read_guests(parts.get("ResGuests"), base)
    read_global_info(parts.get("ResGlobalInfo"), base)
    stays = [read_room_stay(stay, voucher) for stay in children(parts.get("RoomStays"), "RoomStay")]
    if not stays:
        if base.content != Content.CANCEL:
            base.extra["status_update"] = True  # a bare StatusUpdate: only the ID and its status
        return [base]
    return combine_stays(base, stays)


def unique_id(element: Element, number: int) -> tuple[str, str]:
    return read_unique_id(child(element, "UniqueID"), number)


def read_unique_id(uid: Element | None, number: int) -> tuple[str, str]:
    """``(Type, ID)`` of a UniqueID element; its ID is the voucher and must be there."""
    voucher = (uid.get("ID", "") if uid is not None else "").strip()
    if uid is None or not voucher:
        raise ParseError("missing UniqueID ID (the voucher)", field="UniqueID", record=f"#{number}")
    return uid.get("Type", ""), voucher


def read_room_stay(stay: Element, voucher: str) -> dict[str, Any]:
    """One RoomStay as plain values."""
    out: dict[str, Any] = {"adults": 0, "child_ages": [], "total": None, "currency": "", "nights": [], "extra": {}}
    parts = firsts(stay)
    room_type = child(parts.get("RoomTypes"), "RoomType")
    out["room"] = room_type.get("RoomTypeCode", "") if room_type is not None else ""
    if room_type is not None and (classification := room_type.get("RoomClassificationCode")):
        out["extra"]["room_classification"] = classification
    plan = child(parts.get("RatePlans"), "RatePlan")
    out["rate"] = plan.get("RatePlanCode", "") if plan is not None else ""
    # OTA's rate plan type (a code) or category (a name); the market segment and source of business on the stay.
    out["rate_type"] = (plan.get("RatePlanType") or plan.get("RatePlanCategory") or "") if plan is not None else ""
    out["segment"], out["source"] = stay.get("MarketCode", ""), stay.get("SourceOfBusiness", "")
    plan_parts = firsts(plan)
    meals = plan_parts.get("MealsIncluded")
    out["board"] = meals.get("MealPlanCodes", "") if meals is not None else ""
    commission = plan_parts.get("Commission")
    if commission is not None and (percent := commission.get("Percent")):
        out["extra"]["commission_percent"] = percent
    for count in children(parts.get("GuestCounts"), "GuestCount"):
        n = integer(count.get("Count"), "GuestCount Count", voucher)
        if n > MAX_GUEST_COUNT:
            # Read as many ages as it says, 10**10 of them would exhaust memory before any check ran.
            raise ParseError(
                f"{n} guests in one room; at most {MAX_GUEST_COUNT}", field="GuestCount Count", record=voucher
            )
        age = count.get("Age")
        if age is None:
            out["adults"] += n
        else:
            out["child_ages"].extend([integer(age, "GuestCount Age", voucher)] * n)
    out["check_in"], out["check_out"] = read_time_span(parts.get("TimeSpan"), voucher, out["extra"])
    total = parts.get("Total")
    if total is not None:
        out["total"] = money(total.get("AmountAfterTax"), "Total AmountAfterTax", voucher)
        out["currency"] = total.get("CurrencyCode", "")
    out["nights"] = read_room_rates(path(parts.get("RoomRates"), "RoomRate", "Rates"), voucher)
    card = path(parts.get("Guarantee"), "GuaranteesAccepted", "GuaranteeAccepted", "PaymentCard")
    if card is not None:
        # Never keep a card number: the card code and its last four digits tell staff enough.
        digits = text_of(path(card, "CardNumber", "PlainText")).replace(" ", "")
        out["extra"]["guarantee"] = {"card": card.get("CardCode", ""), "last4": digits[-4:] if digits else ""}
    return out


def read_time_span(span: Element | None, voucher: str, extra: dict[str, Any]) -> tuple[date | None, date | None]:
    if span is None:
        raise ParseError("missing TimeSpan (the stay dates)", field="TimeSpan", record=voucher)
    start = day(span.get("Start"), "TimeSpan Start", voucher)
    end = day(span.get("End"), "TimeSpan End", voucher)
    duration = span.get("Duration")
    if start and not end and duration:
        match = re.fullmatch(r"P(\d+)N", duration)
        if not match:
            raise ParseError(
                f"bad Duration {duration!r} (expected like P7N)", field="TimeSpan Duration", record=voucher
            )
        end = start + timedelta(days=int(match.group(1)))
    window = child(span, "StartDateWindow")
    if window is not None:
        extra["start_date_window"] = [window.get("EarliestDate", ""), window.get("LatestDate", "")]
    if start and end and end <= start:
        raise ParseError(f"stay ends {end} on or before it starts {start}", field="TimeSpan End", record=voucher)
    return start, end


ONE_DAY = timedelta(days=1)
ZERO = Decimal("0")
RATE_TAG = "{*}Rate"


def read_room_rates(rates: Element | None, voucher: str) -> list[NightPrice]:
    """Night prices from RoomRates/RoomRate/Rates: each Rate, one price a night from EffectiveDate to ExpireDate."""
    nights: list[NightPrice] = []
    if rates is None:
        return nights
    # A stay has a Rate per night or so: iterchildren picks them out in C (any namespace
    # or none, like ``children``), cheaper than looking at each child's tag here.
    for rate in rates.iterchildren(RATE_TAG):
        first_night = day(rate.get("EffectiveDate"), "Rate EffectiveDate", voucher)
        if first_night is None:
            raise ParseError("missing Rate EffectiveDate (its first night)", field="Rate EffectiveDate", record=voucher)
        last = day(rate.get("ExpireDate"), "Rate ExpireDate", voucher) or first_night + ONE_DAY
        if rate.get("ExpireDateExclusiveInd") in ("false", "0"):
            last += ONE_DAY  # an inclusive expire date covers that night too
        amount = ZERO
        for base in rate[:]:  # usually one Base: a plain loop costs less than a tag matcher
            if LOCAL_NAMES[base.tag] == "Base":
                amount += money(base.get("AmountAfterTax") or "0", "Rate Base AmountAfterTax", voucher)
        night = first_night
        while night < last:
            nights.append(NightPrice(night, amount))
            night += ONE_DAY
    return nights


def combine_stays(base: OperatorBooking, stays: list[dict[str, Any]]) -> list[OperatorBooking]:
    """Room stays of the same room, board, rate and dates are one booking of several rooms.

    Stays that differ become one booking each, so each can be mapped, checked
    and confirmed on its own: the first keeps the reservation ID as its voucher,
    the others are ``ID/2``, ``ID/3`` ... in the order sent. So a reservation of
    one room that gains a second one keeps its first row, and core can tell which
    room a modification dropped (``core.ingest``: rooms of one reservation).
    """
    keys = {(s["room"], s["board"], s["rate"], s["check_in"], s["check_out"]) for s in stays}
    if len(keys) == 1:
        return [apply_stays(base, stays, base.voucher)]
    return [apply_stays(copy_booking(base), [s], room_voucher(base.voucher, i)) for i, s in enumerate(stays, start=1)]


def room_voucher(reservation_id: str, position: int) -> str:
    """The voucher of a reservation's room: its ID for the first, ``ID/n`` for the n-th."""
    return reservation_id if position == 1 else f"{reservation_id}/{position}"


def apply_stays(booking: OperatorBooking, stays: list[dict[str, Any]], voucher: str) -> OperatorBooking:
    first_stay = stays[0]
    booking.voucher = voucher
    booking.rooms = len(stays)
    booking.room, booking.board, booking.rate = first_stay["room"], first_stay["board"], first_stay["rate"]
    booking.check_in, booking.check_out = first_stay["check_in"], first_stay["check_out"]
    booking.adults = sum(s["adults"] for s in stays)
    booking.child_ages = [a for s in stays for a in s["child_ages"]]
    totals = [s["total"] for s in stays if s["total"] is not None]
    booking.total = sum(totals, ZERO) if totals else None
    booking.currency = next((s["currency"] for s in stays if s["currency"]), "")
    booking.night_prices = merge_nights([n for s in stays for n in s["nights"]])
    booking.rate_type = first_stay["rate_type"]
    booking.segment = booking.segment or first_stay["segment"]
    booking.source = booking.source or first_stay["source"]
    for stay in stays:
        for key, value in stay["extra"].items():
            booking.extra.setdefault(key, value)
    return booking


def merge_nights(nights: list[NightPrice]) -> list[NightPrice]:
    """One price per date, in date order; prices of the same date (several rooms) are added up."""
    if all(a.date < b.date for a, b in pairwise(nights)):
        # Already one per date and in order (one room, the usual case): nothing to add up.
        # Every amount is a sum that started at ZERO (read_room_rates), so it is exactly
        # what adding it to ZERO below would give, exponent and all.
        return list(nights)
    by_date: dict[date, Decimal] = {}
    for night in nights:
        by_date[night.date] = by_date.get(night.date, ZERO) + night.amount
    return [NightPrice(d, a) for d, a in sorted(by_date.items())]


def copy_booking(booking: OperatorBooking) -> OperatorBooking:
    return replace(booking, extra=dict(booking.extra), guests=list(booking.guests))


# -- guests and global info -----------------------------------------------------
def read_guests(res_guests: Element | None, booking: OperatorBooking) -> None:
    """The main guest, from ResGuests/ResGuest/Profiles/ProfileInfo/Profile/Customer."""
    customer = path(res_guests, "ResGuest", "Profiles", "ProfileInfo", "Profile", "Customer")
    if customer is None:
        return
    parts = firsts(customer)
    name = firsts(parts.get("PersonName"))
    country = child(parts.get("Address"), "CountryName")
    nationality = country.get("Code", "") if country is not None else ""
    email = text_of(parts.get("Email"))
    booking.guests.append(
        Guest(
            first_name=text_of(name.get("GivenName")),
            last_name=text_of(name.get("Surname")),
            birth_date=day(customer.get("BirthDate"), "Customer BirthDate", booking.voucher),
            gender="" if (gender := customer.get("Gender")) in (None, "Unknown") else gender,
            nationality=nationality,
            email=email,
        )
    )
    booking.nationality = nationality
    contact: dict[str, Any] = {}
    if language := customer.get("Language"):
        contact["language"] = language
    if email:
        contact["email"] = email
    phones = [t.get("PhoneNumber", "") for t in children(customer, "Telephone")]
    if phones:
        contact["phones"] = phones
    if contact:
        booking.extra["contact"] = contact


def read_global_info(info: Element | None, booking: OperatorBooking) -> None:
    """Notes, agency, hotel and the operator's own ids, from ResGlobalInfo."""
    if info is None:
        return
    parts = firsts(info)
    notes: list[str] = []
    for comment in children(parts.get("Comments"), "Comment"):
        label = comment.get("Name", "comment")
        items, text = [], None
        for part in comment[:]:  # its ListItems and (the first) Text, in one walk
            name = LOCAL_NAMES[part.tag]
            if name == "ListItem":
                item = text_of(part)
                guest = GUEST_ITEM.match(item)
                if guest:
                    booking.guests.append(
                        Guest(
                            first_name=guest["first"].strip(),
                            last_name=guest["last"].strip(),
                            age=int(guest["age"]) if guest["age"] else None,
                        )
                    )
                else:
                    items.append(item)
            elif name == "Text" and text is None:
                text = part
        body = block_text(text)
        if items:
            notes.append(f"{label}: {', '.join(items)}")
        if body:
            # The guest's own words stand alone; other comments say what they are.
            notes.append(body if label == "customer comment" else f"{label}: {body}")
    for request in children(parts.get("SpecialRequests"), "SpecialRequest"):
        text = block_text(child(request, "Text"))
        notes.append(f"special request {request.get('RequestCode', '')}: {text}".rstrip(": "))
    booking.notes = "\n".join(notes)
    penalty = block_text(path(parts.get("CancelPenalties"), "CancelPenalty", "PenaltyDescription", "Text"))
    if penalty:
        booking.extra["cancel_penalty"] = penalty
    ids = [dict(h.items()) for h in children(parts.get("HotelReservationIDs"), "HotelReservationID")]
    if ids:
        booking.extra["reservation_ids"] = ids
        booking.source = ids[0].get("ResID_Source", "")
    # OTA has no option date of its own: the deadline of the guarantee payment is when an option lapses.
    deadline = path(parts.get("DepositPayments"), "GuaranteePayment", "Deadline")
    if deadline is not None and deadline.get("AbsoluteDeadline"):
        booking.option_date = day(
            deadline.get("AbsoluteDeadline", "")[:10], "Deadline AbsoluteDeadline", booking.voucher
        )
    company = path(parts.get("Profiles"), "ProfileInfo", "Profile", "CompanyInfo", "CompanyName")
    if company is not None:
        booking.agency = company.get("Code", "")
        booking.extra["agency_name"] = text_of(company)
    prop = parts.get("BasicPropertyInfo")
    if prop is not None:
        booking.extra["hotel_code"] = prop.get("HotelCode", "")
        if hotel_name := prop.get("HotelName"):
            booking.extra["hotel_name"] = hotel_name


# -- small readers ---------------------------------------------------------------
# Children are matched by local name, in any namespace or none, as ``find("{*}name")``
# matches them. A scan reads thousands of reservations, and ``find`` runs lxml's
# Python path engine for each name; a loop over ``element[:]`` (the children, listed
# in one C call: cheaper than an iterator for the one or two most elements have) is
# several times faster.
def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class LocalNames(dict[Any, str]):
    """Tag as lxml spells it ("{namespace}Name") to local name; "" for a comment or entity.

    Holds the OTA names in the OTA namespace and without one; any other tag is cut
    when asked for and not kept, as an operator can send any number of them.
    """

    def __missing__(self, tag: Any) -> str:
        return local(tag) if isinstance(tag, str) else ""


OTA_NAMES = (
    "OTA_ResRetrieveRS",
    "OTA_HotelResNotifRQ",
    "ReservationsList",
    "HotelReservations",
    "HotelReservation",
    "Errors",
    "Error",
    "Warnings",
    "Warning",
    "Success",
    "UniqueID",
    "RoomStays",
    "RoomStay",
    "RoomTypes",
    "RoomType",
    "RatePlans",
    "RatePlan",
    "MealsIncluded",
    "Commission",
    "RoomRates",
    "RoomRate",
    "Rates",
    "Rate",
    "Base",
    "GuestCounts",
    "GuestCount",
    "TimeSpan",
    "StartDateWindow",
    "Total",
    "Guarantee",
    "GuaranteesAccepted",
    "GuaranteeAccepted",
    "PaymentCard",
    "CardNumber",
    "PlainText",
    "ResGuests",
    "ResGuest",
    "Profiles",
    "ProfileInfo",
    "Profile",
    "Customer",
    "PersonName",
    "GivenName",
    "Surname",
    "Address",
    "CountryName",
    "Email",
    "Telephone",
    "ResGlobalInfo",
    "Comments",
    "Comment",
    "ListItem",
    "Text",
    "SpecialRequests",
    "SpecialRequest",
    "CancelPenalties",
    "CancelPenalty",
    "PenaltyDescription",
    "HotelReservationIDs",
    "HotelReservationID",
    "CompanyInfo",
    "CompanyName",
    "BasicPropertyInfo",
)
LOCAL_NAMES = LocalNames({f"{{{OTA_NS}}}{name}": name for name in OTA_NAMES} | {name: name for name in OTA_NAMES})


def child(element: Element | None, name: str) -> Element | None:
    """The first child called ``name``, or None."""
    if element is not None:
        for item in element[:]:
            if LOCAL_NAMES[item.tag] == name:
                return item
    return None


def children(element: Element | None, name: str) -> list[Element]:
    """Every child called ``name``, in document order."""
    if element is None:
        return []
    return [item for item in element[:] if LOCAL_NAMES[item.tag] == name]


def path(element: Element | None, *names: str) -> Element | None:
    """``child(child(element, a), b) ...``: the first child of each name in turn, or None."""
    for name in names:
        element = child(element, name)
    return element


def firsts(element: Element | None) -> dict[str, Element]:
    """The first child of each local name: one walk answers every ``child`` question about ``element``."""
    found: dict[str, Element] = {}
    if element is not None:
        for item in element[:]:
            name = LOCAL_NAMES[item.tag]
            if name not in found:
                found[name] = item
    return found


def text_of(element: Element | None) -> str:
    if element is None:
        return ""
    if len(element) == 0:
        # No child nodes (the usual case): ``text`` is all the text ``itertext`` would give.
        return " ".join((element.text or "").split())
    return " ".join("".join(element.itertext()).split())


def block_text(element: Element | None) -> str:
    """Free text as people wrote it, without the XML's indentation.

    Every line is stripped, which removes any indentation (``textwrap.dedent``
    would only take off what all lines share, and is slow).
    """
    if element is None:
        return ""
    lines = [line.strip() for line in "".join(element.itertext()).strip("\n").splitlines()]
    return "\n".join(lines).strip()


# A stay repeats the same few dates and prices (a Rate per night, often at one price),
# so each text is converted once and its value reused: dates and Decimals are
# immutable. Only good values are kept, and a cache that grows past CACHE_LIMIT is
# emptied, as an operator can send any number of different texts.
CACHE_LIMIT = 4096
_days: dict[str, date] = {}
_amounts: dict[str, Decimal] = {}


def remember(cache: dict[str, Any], text: str, value: Any) -> None:
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[text] = value


def day(value: str | None, field: str, record: str) -> date | None:
    if not value:
        return None
    found = _days.get(value)
    if found is None:
        try:
            found = date.fromisoformat(value.strip())
        except ValueError:
            raise ParseError(f"{value!r} is not a date (expected YYYY-MM-DD)", field=field, record=record) from None
        remember(_days, value, found)
    return found


def timestamp(value: str | None, field: str, record: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise ParseError(f"{value!r} is not a date-time (expected ISO 8601)", field=field, record=record) from None


def integer(value: str | None, field: str, record: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ParseError(f"{value!r} is not a whole number", field=field, record=record) from None
    if number < 0:
        raise ParseError(f"{number} is negative", field=field, record=record)
    return number


def money(value: str | None, field: str, record: str) -> Decimal:
    found = _amounts.get(value)  # type: ignore[arg-type]  # None is never a key
    if found is not None:
        return found
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ParseError(f"{value!r} is not an amount", field=field, record=record) from None
    if not amount.is_finite() or amount < 0:
        raise ParseError(f"{value!r} is not a valid amount", field=field, record=record)
    if isinstance(value, str):
        remember(_amounts, value, amount)
    return amount
