"""Every parser, fed anything: bookings, or a named parse error — never another exception.

"Named" means one of the errors the pipeline knows how to keep: ``ParseError``
(record and field), ``UnparsedMessage`` (a person must read it),
``NotABooking`` (well-formed, no booking) and, for an operator's answer,
``OperatorError``. Whatever a parser returns must also be storable or be
refused by ``check_storable`` with a ``ParseError``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from trust.hostile_input import good_record

from connectors.canonical import _loads, parse_canonical
from connectors.jsonapi.connector import booking_from_item
from connectors.mail.extract import MailText, pdf_text, read_mail
from connectors.mail.profiles import load_profiles
from connectors.ota.parser import parse_ota
from connectors.simulate.demo import SIM_GUEST_FIELDS, SIM_JSON_CONTENT, SIM_JSON_FIELDS
from core.models import NotABooking, OperatorBooking, OperatorError, ParseError, UnparsedMessage
from core.storable import check_storable

NAMED = (ParseError, UnparsedMessage, NotABooking, OperatorError)
FIXTURES = Path(__file__).parent.parent
OTA_SAMPLE = (
    FIXTURES / "api" / "fixtures" / "alpinebits-2024-10" / "GuestRequests-Push-OTA_HotelResNotifRQ.xml"
).read_bytes()
MAIL_SAMPLE = (FIXTURES / "fixtures" / "mail" / "jet2_new.eml").read_bytes()
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None)

# What operators send where a value belongs: numbers of any size, words, markup, controls, nothing.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        ["", "NaN", "Infinity", "-1", "1e400", "2027-02-30", "9999-12-31", "12", "[/]", "\x1b[2J", "1" + "0" * 5000]
    ),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
hostile_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["", "NaN", "1e400", "-5", "9" * 40, "1" + "0" * 5000, "2027-02-30", "\x00", "\ud800", "]]>", "&bad;", "<x>"]
    ),
)


def parsed_or_named(parse, *args) -> list[OperatorBooking]:
    try:
        bookings = parse(*args)
    except NAMED:
        return []
    assert isinstance(bookings, list) and all(isinstance(b, OperatorBooking) for b in bookings)
    for i, booking in enumerate(bookings, start=1):
        try:
            check_storable(booking, str(i))
        except ParseError:
            pass
    return bookings


# -- opdesk JSON ---------------------------------------------------------------------------------------
@SETTINGS
@given(st.binary(max_size=300))
@example(b'{"bookings": [' + b"[" * 5000 + b"]" * 5000 + b"]}")
@example(b"\xff\xfe{}")
def test_opdesk_json_any_bytes(body):
    parsed_or_named(lambda b: parse_canonical(b, name="x.json"), body)


@SETTINGS
@given(st.sampled_from(sorted(good_record("V1"))) | st.text(max_size=12), json_values)
def test_opdesk_json_any_value_in_any_field(field, value):
    record = good_record("V1")
    record[field] = value
    body = json.dumps({"bookings": [record]}, allow_nan=True).encode()
    parsed_or_named(lambda b: parse_canonical(b, name="x.json"), body)


@SETTINGS
@given(json_values)
@example({"ref": 12345678901234567890123})  # past 64 bits: orjson would make it a float
@example([-(2**63) - 1, 2**64, 0.1, -0.0, 1e308])
def test_opdesk_json_is_read_as_json_reads_it(value):
    """The quick reader (orjson) and json give the same values of the same types, or json's own error."""
    body = json.dumps(value, allow_nan=True, ensure_ascii=False).encode()
    try:
        expected = json.loads(body.decode())
    except ValueError as exc:  # json refuses it (a number of 4,300 digits and more): so does the reader
        with pytest.raises(type(exc)):
            _loads(body)
        return
    got = _loads(body)
    assert json.dumps(got, allow_nan=True) == json.dumps(expected, allow_nan=True)
    assert _types(got) == _types(expected)


def _types(value):
    if isinstance(value, list):
        return [_types(v) for v in value]
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    return type(value).__name__


def test_a_long_number_in_extra_is_kept_whole():
    record = good_record("V1")
    record["extra"] = {"operator_ref": 12345678901234567890123, "rate": 0.1}
    (booking,) = parse_canonical(json.dumps(record).encode(), name="x.json")
    assert booking.extra == {"operator_ref": 12345678901234567890123, "rate": 0.1}


# -- AlpineBits / OTA XML -------------------------------------------------------------------------------
OTA_ATTRIBUTES = sorted(set(re.findall(rb' ([A-Za-z]+)="[^"]*"', OTA_SAMPLE)))


@SETTINGS
@given(st.binary(max_size=300))
@example(b"<OTA_HotelResNotifRQ>" + b"<x>" * 5000 + b"</x>" * 5000 + b"</OTA_HotelResNotifRQ>")
@example(b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>')
def test_ota_xml_any_bytes(body):
    parsed_or_named(lambda b: parse_ota(b, name="x.xml"), body)


@SETTINGS
@given(st.sampled_from(OTA_ATTRIBUTES), hostile_text)
def test_ota_xml_any_value_in_any_attribute(attribute, value):
    escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    replacement = b" " + attribute + b'="' + escaped.encode("utf-8", "surrogatepass") + b'"'
    body = re.sub(rb" " + attribute + rb'="[^"]*"', lambda _: replacement, OTA_SAMPLE)
    parsed_or_named(lambda b: parse_ota(b, name="x.xml"), body)


# -- a JSON API's items, mapped by config ---------------------------------------------------------------
@SETTINGS
@given(st.sampled_from(sorted(SIM_JSON_FIELDS)), json_values)
def test_json_api_mapping_any_value_in_any_field(field, value):
    from connectors.simulate.server import booking_json
    from core.models import Content

    item = booking_json(OperatorBooking(voucher="V1", content=Content.NEW))
    *parents, last = SIM_JSON_FIELDS[field].split(".")
    target = item
    for key in parents:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[last] = value
    parsed_or_named(lambda i: [booking_from_item(i, SIM_JSON_FIELDS, SIM_JSON_CONTENT, SIM_GUEST_FIELDS, {})], item)


# -- mail profiles ---------------------------------------------------------------------------------------
PROFILES = load_profiles()
MAIL = read_mail(MAIL_SAMPLE)
MAIL_LINES = MAIL.text.splitlines()


@SETTINGS
@given(st.integers(min_value=0, max_value=len(MAIL_LINES) - 1), hostile_text, st.sampled_from(sorted(PROFILES)))
@example(16, "1" + "0" * 5000, "jet2")  # a 5,001-digit number where a count is read: int() refuses it
def test_mail_profile_any_value_on_any_line(line, value, profile):
    lines = list(MAIL_LINES)
    label = lines[line].split(":")[0]
    lines[line] = f"{label}: {value}"
    mail = MailText(sender=MAIL.sender, subject=MAIL.subject, text="\n".join(lines))
    parsed_or_named(PROFILES[profile].read, mail)


@SETTINGS
@given(st.binary(max_size=400))
def test_mail_any_bytes_read_and_parsed(body):
    try:
        mail = read_mail(body)
    except NAMED:
        return
    for profile in PROFILES.values():
        parsed_or_named(profile.read, mail)


# -- PDF text ---------------------------------------------------------------------------------------------
@SETTINGS
@given(st.binary(max_size=400))
@example(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF")
def test_pdf_text_of_any_bytes_is_text(body):
    assert isinstance(pdf_text(b"%PDF-1.4\n" + body), str)
