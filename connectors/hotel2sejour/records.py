"""Hotel2Sejour answers: the ``ServiceResult`` wrapper, agencies, not-confirm reasons, reservations.

Every answer (``format=xml``) is one ``ServiceResultOf...`` element holding
``Data``, ``Error`` (``Code``, ``Message``), ``InfoMessage`` and
``IsSuccessful``. A reservation is one ``PmsReservation`` element of plain
child elements, named as Sejour names them elsewhere (``ResNo`` the voucher,
``ResOrder`` the room's order within it, ``ResType`` ``Y`` new / ``D``
changed / ``I`` cancelled, ``ResConf`` ``Y`` confirmed / ``N`` refused / ``W``
waiting, ``HotelPaximumID`` the hotel's number at Hotel2Sejour).

Both directions live here, reading (the connector) and writing (the
simulator), so the two can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from connectors.ota.parser import read_xml
from core.models import Content, Guest, OperatorBooking, ParseError, plain

RES_TYPES = {"Y": Content.NEW, "D": Content.CHANGE, "I": Content.CANCEL}
RES_TYPE_OF = {content: code for code, content in RES_TYPES.items()}
CHILD_TITLES = {"CHD", "INF"}


@dataclass(frozen=True)
class Agency:
    id: str
    name: str


def _local_names(root: etree._Element) -> etree._Element:
    """The tree with every element named without its XML namespace.

    Hotel2Sejour answers from ASP.NET: its XML serializers may put a default namespace on
    the answer's root (``xmlns="http://schemas.datacontract.org/..."``), which the children
    then undo with ``xmlns=""``, or put none. The names mean the same either way, and a
    reservation is stored as its own document without one.
    """
    for element in root.iter(etree.Element):  # elements only: comments and instructions have no name
        element.tag = etree.QName(element).localname
    etree.cleanup_namespaces(root)
    return root


@dataclass(frozen=True)
class ServiceResult:
    data: etree._Element | None
    ok: bool
    error: str


def read_result(body: bytes, *, name: str) -> ServiceResult:
    """Read the wrapper of any answer; raises ``ParseError`` for a body that is not one."""
    root = _local_names(read_xml(body, name=name))
    if not root.tag.startswith("ServiceResult"):
        raise ParseError(f"{name}: answered <{root.tag}>, expected a ServiceResult")
    ok = (root.findtext("IsSuccessful") or "").strip().lower() == "true"
    error = " ".join(
        t for t in ((root.findtext("Error/Code") or "").strip(), (root.findtext("Error/Message") or "").strip()) if t
    )
    return ServiceResult(root.find("Data"), ok, error or (root.findtext("InfoMessage") or "").strip())


def agencies(data: etree._Element | None) -> list[Agency]:
    return [
        Agency((e.findtext("Id") or "").strip(), (e.findtext("Name") or "").strip())
        for e in (data if data is not None else [])
        if e.tag == "DefinitionHotelAgency"
    ]


def not_confirm_messages(data: etree._Element | None) -> list[Agency]:
    """The reasons a hotel may give for not confirming (``Id``, ``Name``), as Hotel2Sejour lists them."""
    return [
        Agency((e.findtext("Id") or "").strip(), (e.findtext("Name") or "").strip())
        for e in (data if data is not None else [])
        if e.tag == "NotConfirmMessage"
    ]


def reservations(data: etree._Element | None) -> list[etree._Element]:
    return [e for e in (data if data is not None else []) if e.tag == "PmsReservation"]


def reservation_document(element: etree._Element) -> bytes:
    """One reservation as its own document: the same reservation read twice is the same bytes."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + etree.tostring(element, encoding="unicode", with_tail=False).encode()
    )


def identity(element: etree._Element) -> tuple[str, str, str]:
    """``(ResNo, ResOrder, AgencyId)``: what a confirmation names the reservation by."""
    return (
        (element.findtext("ResNo") or "").strip(),
        (element.findtext("ResOrder") or "1").strip() or "1",
        (element.findtext("AgencyId") or "").strip(),
    )


def voucher_of(res_no: str, res_order: str) -> str:
    """The voucher opdesk files it under: ``ResNo``, with ``/ResOrder`` for the second room and later."""
    return res_no if res_order in ("", "1") else f"{res_no}/{res_order}"


# -- reading one reservation ------------------------------------------------------------
def parse_reservation(body: bytes, *, hotel_code: str = "", name: str = "") -> OperatorBooking:
    root = _local_names(read_xml(body, name=name))
    if root.tag != "PmsReservation":
        raise ParseError(f"expected a PmsReservation, got <{root.tag}>")
    res_no, res_order, agency_id = identity(root)
    if not res_no:
        raise ParseError("missing", field="ResNo")
    voucher = voucher_of(res_no, res_order)
    res_type = field_text(root, "ResType")
    if res_type not in RES_TYPES:
        raise ParseError(
            f"unknown ResType {res_type[:40]!r} (expected Y new, D changed or I cancelled)",
            field="ResType",
            record=voucher,
        )
    hotel = field_text(root, "HotelPaximumID")
    if hotel_code and hotel and hotel != hotel_code:
        raise ParseError(f"for hotel {hotel[:40]}, not this one ({hotel_code})", field="HotelPaximumID", record=voucher)
    text = {
        tag: field_text(root, tag)
        for tag in ("OperatorCode", "Room", "Board", "RateCode", "Market", "Currency", "Note", "OperatorName")
    }
    booking = OperatorBooking(
        voucher=voucher,
        content=RES_TYPES[res_type],
        agency=text["OperatorCode"],
        room=text["Room"],
        board=text["Board"],
        rate=text["RateCode"],
        market=text["Market"],
        currency=text["Currency"],
        notes=text["Note"],
        source=text["OperatorName"],
    )
    booking.check_in = read_day(field_text(root, "CheckIn"), "CheckIn", voucher)
    booking.check_out = read_day(field_text(root, "CheckOut"), "CheckOut", voucher)
    booking.sale_date = read_day(field_text(root, "RecordDate")[:10], "RecordDate", voucher)
    if booking.content == Content.CANCEL:
        booking.cancel_date = read_day(field_text(root, "ChangeDate")[:10], "ChangeDate", voucher)
    if booking.content != Content.CANCEL and (booking.check_in is None or booking.check_out is None):
        raise ParseError("missing", field="CheckIn" if booking.check_in is None else "CheckOut", record=voucher)
    if booking.check_in and booking.check_out and booking.check_out <= booking.check_in:
        raise ParseError(
            f"check-out {booking.check_out} is not after check-in {booking.check_in}", field="CheckOut", record=voucher
        )
    booking.rooms = read_count(field_text(root, "RoomCount") or "1", "RoomCount", voucher)
    booking.adults = read_count(field_text(root, "Adult") or "0", "Adult", voucher)
    booking.total = read_amount(field_text(root, "Price"), "Price", voucher)
    for number, guest in enumerate(root.findall("Guests/Guest"), start=1):
        where = f"Guests/Guest[{number}]"
        given = field_text(guest, "Age")
        age = read_count(given, f"{where}/Age", voucher) if given else None
        born = read_day(field_text(guest, "BirthDate")[:10], f"{where}/BirthDate", voucher)
        booking.guests.append(
            Guest(
                first_name=field_text(guest, "Name"),
                last_name=field_text(guest, "Surname"),
                age=age,
                birth_date=born,
                nationality=field_text(guest, "Nationality"),
                gender=field_text(guest, "Title"),
            )
        )
        if field_text(guest, "Title").upper() in CHILD_TITLES:
            if age is None:
                raise ParseError("a child without an age", field=f"{where}/Age", record=voucher)
            booking.child_ages.append(age)
    children = read_count(field_text(root, "Child") or "0", "Child", voucher)
    if children != len(booking.child_ages):
        raise ParseError(
            f"Child says {children}, but {len(booking.child_ages)} child guest(s) have an age",
            field="Child",
            record=voucher,
        )
    booking.nationality = next((g.nationality for g in booking.guests if g.nationality), "")
    booking.extra = {
        "res_no": res_no,
        "res_order": res_order,
        "agency_id": agency_id,
        "hotel_code": hotel,
        "room_type": field_text(root, "RoomType"),
        "res_conf": field_text(root, "ResConf"),
    }
    return booking


def field_text(element: etree._Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def read_day(value: str, field: str, record: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ParseError(f"{value[:40]!r} is not a date (YYYY-MM-DD)", field=field, record=record) from None


def read_count(value: str, field: str, record: str) -> int:
    if not value.isdigit() or len(value) > 4:
        raise ParseError(f"{value[:40]!r} is not a count", field=field, record=record)
    return int(value)


def read_amount(value: str, field: str, record: str) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value) if len(value) <= 30 else Decimal("NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise ParseError(f"{value[:40]!r} is not an amount", field=field, record=record)
    return amount


# -- writing (the simulator's side) -------------------------------------------------------
def service_result(
    kind: str, items: list[etree._Element], *, ok: bool = True, code: str = "", message: str = ""
) -> bytes:
    root = etree.Element(f"ServiceResultOf{kind}")
    data = etree.SubElement(root, "Data")
    data.extend(items)
    error = etree.SubElement(root, "Error")
    etree.SubElement(error, "Code").text = code
    etree.SubElement(error, "Message").text = message
    etree.SubElement(root, "InfoMessage").text = f"{len(items)} data item returned" if ok else ""
    etree.SubElement(root, "IsSuccessful").text = "true" if ok else "false"
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def named(tag: str, ident: str, name: str) -> etree._Element:
    item = etree.Element(tag)
    etree.SubElement(item, "Id").text = ident
    etree.SubElement(item, "Name").text = name
    return item


def reservation_element(
    booking: OperatorBooking, *, hotel_code: str, agency_id: str, operator_name: str, res_conf: str = "W"
) -> etree._Element:
    """How a Hotel2Sejour operator would list one of its reservations."""
    res_no, _, res_order = booking.voucher.partition("/")
    item = etree.Element("PmsReservation")
    values = {
        "OperatorCode": booking.agency,
        "OperatorName": operator_name,
        "AgencyId": agency_id,
        "ResNo": res_no,
        "ResOrder": res_order or "1",
        "ResType": RES_TYPE_OF[booking.content],
        "ResConf": res_conf,
        "HotelPaximumID": hotel_code,
        "CheckIn": plain(booking.check_in) or "",
        "CheckOut": plain(booking.check_out) or "",
        "Room": booking.room,
        "Board": booking.board,
        "RateCode": booking.rate,
        "RoomCount": str(booking.rooms),
        "Adult": str(booking.adults),
        "Child": str(len(booking.child_ages)),
        "Market": booking.market,
        "Price": plain(booking.total) or "",
        "Currency": booking.currency,
        "RecordDate": str(booking.extra.get("create_datetime", ""))[:19],
        "ChangeDate": str(booking.extra.get("last_modify_datetime", ""))[:19],
        "Note": booking.notes,
    }
    for tag, value in values.items():
        etree.SubElement(item, tag).text = str(value)
    guests = etree.SubElement(item, "Guests")
    ages = list(booking.child_ages)
    for guest in booking.guests:
        g = etree.SubElement(guests, "Guest")
        is_child = guest.age is not None and guest.age in ages
        if is_child:
            ages.remove(guest.age)  # type: ignore[arg-type]
        title = ("INF" if (guest.age or 0) < 2 else "CHD") if is_child else "MR"
        for tag, value in (
            ("Title", title),
            ("Name", guest.first_name),
            ("Surname", guest.last_name),
            ("Age", "" if guest.age is None else str(guest.age)),
            ("Nationality", guest.nationality),
        ):
            etree.SubElement(g, tag).text = value
    return item
