"""Every built-in profile on its sample mails, and the rules profiles are written with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.mail.connector import MailConnector
from connectors.mail.extract import html_to_text, read_mail
from connectors.mail.profiles import (
    ProfileError,
    find_label,
    load_profiles,
    match_profile,
    profile_from_dict,
    split_name,
)
from core.config import OperatorConfig
from core.ingest import Ingestor
from core.models import Content, ParseError, RawMessage, UnparsedMessage

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"
PROFILES = load_profiles()


def bookings_of(name: str):
    mail = read_mail((FIXTURES / f"{name}.eml").read_bytes())
    profile = match_profile(PROFILES.values(), mail.sender, mail.subject)
    assert profile is not None, f"no profile matched {name}"
    return profile, profile.read(mail)


def guests(booking) -> list[tuple[str, str, int | None]]:
    return [(g.first_name, g.last_name, g.age) for g in booking.guests]


def test_every_builtin_profile_has_a_sample_mail():
    samples = {p.stem.split("_")[0] for p in FIXTURES.glob("*.eml")}
    assert set(PROFILES) == {"jet2", "webbeds", "hotelbeds", "jolly", "w2m", "bahols", "otsglobe", "keyftravel"}
    assert set(PROFILES) <= samples
    assert {p.operator for p in PROFILES.values()} == set(PROFILES)


def test_jet2_plain_text_two_rooms():
    profile, (first, second) = bookings_of("jet2_new")
    assert profile.operator == "jet2"
    assert (first.voucher, second.voucher) == ("J2H7731952-1", "J2H7731952-2")
    assert first.extra["booking_voucher"] == "J2H7731952" and first.extra["booking_total"] == "2485.50"
    assert first.content == Content.NEW
    assert (first.check_in, first.check_out) == (date(2026, 6, 12), date(2026, 6, 19))
    assert (first.room, first.board, first.rate, first.market) == ("STD", "AI", "JET26", "UK")
    assert (second.room, second.adults, second.child_ages) == ("FAM", 2, [9, 4])
    assert guests(first) == [("THOMAS", "MÜLLER", 45), ("ANNA-LENA", "MÜLLER", 43)]
    assert guests(second)[2:] == [("LUKAS", "SCHÄFER", 9), ("SOPHIE", "SCHÄFER", 4)]
    assert first.sale_date == date(2026, 5, 28) and first.currency == "GBP"
    assert first.flights == [
        {"direction": "arrival", "number": "LS1733"},
        {"direction": "departure", "number": "LS1734"},
    ]
    assert "late arrival 23:30" in first.notes


def test_jet2_amendment_and_cancellation():
    _, amended = bookings_of("jet2_amend")
    assert [b.content for b in amended] == [Content.CHANGE, Content.CHANGE]
    assert amended[0].check_out == date(2026, 6, 20)
    _, cancelled = bookings_of("jet2_cancel")
    assert [(b.voucher, b.content) for b in cancelled] == [
        ("J2H7731952-1", Content.CANCEL),
        ("J2H7731952-2", Content.CANCEL),
    ]
    assert cancelled[0].cancel_date == date(2026, 6, 3)


def test_webbeds_html_tables_with_cyrillic_names():
    profile, [b] = bookings_of("webbeds_new")
    assert profile.operator == "webbeds" and b.voucher == "WB-58213377" and b.agency == "DTC-449120"
    assert (b.check_in, b.check_out) == (date(2026, 7, 3), date(2026, 7, 10))
    assert (b.room, b.board, b.rate, b.adults, b.child_ages) == ("SV-DBL", "HB", "WB-NR", 2, [6])
    assert guests(b) == [("СЕРГЕЙ", "ИВАНОВ", None), ("ОЛЬГА", "ИВАНОВА", None), ("МАРИЯ", "ИВАНОВА", 6)]
    assert [g.gender for g in b.guests] == ["M", "F", ""]
    assert (b.total, b.currency, b.nationality) == (Decimal("1904.00"), "EUR", "RU")
    _, [cancel] = bookings_of("webbeds_cancel")
    assert cancel.content == Content.CANCEL


def test_hotelbeds_html_rooms_with_guests_by_room_and_decimal_comma():
    profile, (one, two) = bookings_of("hotelbeds_new")
    assert profile.operator == "hotelbeds"
    assert (one.voucher, one.room, one.total) == ("1-9938271-1", "DBL.ST", Decimal("1120.00"))
    assert (two.voucher, two.room, two.total, two.child_ages) == ("1-9938271-2", "DBL.SV", Decimal("1540.00"), [5, 11])
    assert guests(one) == [("Şükrü", "Yılmaz", 52), ("Gülşen", "Yılmaz", 49)]
    assert [g.first_name for g in two.guests] == ["Çağrı", "İpek", "Ege", "Ilgın"]
    assert (one.rate, one.market, one.sale_date) == ("HBD26", "TR", date(2026, 6, 2))
    _, modified = bookings_of("hotelbeds_modify")
    assert [b.content for b in modified] == [Content.CHANGE] * 2 and modified[1].total == Decimal("1760.00")


def test_jolly_turkish_text():
    profile, [b] = bookings_of("jolly_new")
    assert profile.operator == "jolly" and b.voucher == "JLY-441902" and b.content == Content.NEW
    assert (b.check_in, b.check_out) == (date(2026, 7, 18), date(2026, 7, 25))
    assert (b.room, b.board, b.adults, b.child_ages) == ("STANDART ODA", "HER ŞEY DAHİL", 2, [3, 8])
    assert (b.total, b.currency) == (Decimal("48650.00"), "TRY")
    assert guests(b) == [("Mehmet", "Şahin", None), ("Ayşe", "Şahin", None), ("Elif", "Şahin", 8), ("Oğuz", "Şahin", 3)]
    _, [cancel] = bookings_of("jolly_cancel")
    assert cancel.content == Content.CANCEL


def test_w2m_pdf_voucher_with_polish_names():
    profile, [b] = bookings_of("w2m_new")
    assert profile.operator == "w2m" and profile.source == "pdf"
    assert (b.voucher, b.room, b.board) == ("7781234", "SUI", "Full Board")
    assert (b.check_in, b.check_out, b.total) == (date(2026, 9, 5), date(2026, 9, 12), Decimal("2310.00"))
    assert guests(b) == [
        ("Krzysztof", "Wiśniewski", 41),
        ("Małgorzata", "Wiśniewska", 40),
        ("Łukasz", "Wiśniewski", 15),
    ]
    assert (b.adults, b.child_ages) == (2, [15])
    assert [(d.name, d.content_type) for d in b.documents] == [("voucher_7781234.pdf", "application/pdf")]


def test_bahols_html_label_table():
    profile, [b] = bookings_of("bahols_new")
    assert profile.operator == "bahols" and b.voucher == "BAH/KX9312"
    assert (b.check_in, b.check_out) == (date(2026, 10, 1), date(2026, 10, 8))
    assert (b.room, b.board, b.adults, b.total, b.currency) == ("VIL", "BB", 4, Decimal("4120.00"), "GBP")
    assert guests(b)[0] == ("Seán", "O'Connor", None) and len(b.guests) == 4
    assert b.flights == [{"direction": "arrival", "number": "BA2672"}]
    _, [amended] = bookings_of("bahols_amend")
    assert amended.content == Content.CHANGE and amended.check_out == date(2026, 10, 9)


def test_otsglobe_german_labels_birth_dates():
    profile, [b] = bookings_of("otsglobe_new")
    assert profile.operator == "otsglobe" and b.voucher == "2026-OTS-118822"
    assert (b.room, b.board, b.market, b.adults, b.child_ages) == ("DBL SV", "UAI", "RU", 2, [12])
    assert guests(b) == [("АЛЕКСЕЙ", "ПЕТРОВ", 41), ("ЕКАТЕРИНА", "ПЕТРОВА", 38), ("ДМИТРИЙ", "ПЕТРОВ", 12)]
    assert b.guests[2].birth_date == date(2014, 1, 21)
    _, [changed] = bookings_of("otsglobe_change")
    assert changed.content == Content.CHANGE and changed.total == Decimal("3465.00")


def test_keyftravel_turkish_pdf():
    profile, [b] = bookings_of("keyftravel_new")
    assert profile.operator == "keyftravel"
    assert (b.voucher, b.room, b.board, b.total) == ("KT-20260611-07", "SGL", "BB", Decimal("640.00"))
    assert (b.check_in, b.check_out) == (date(2026, 6, 11), date(2026, 6, 16))
    assert guests(b) == [("Ömer Faruk", "Kılıç", None)] and b.adults == 1


def test_missing_required_field_is_named():
    with pytest.raises(ParseError) as err:
        bookings_of("jet2_missing_arrival")
    assert err.value.field == "check_in" and "Arrival Date" in str(err.value)


def connector(config, name: str = "mailbox") -> MailConnector:
    return MailConnector(OperatorConfig(name=name, kind="mail"), config)


def test_unmatched_mail_is_unparsed_with_its_text(config):
    raw = RawMessage(body=(FIXTURES / "unknown_sender.eml").read_bytes(), operator="mailbox", channel="mail")
    with pytest.raises(UnparsedMessage) as err:
        connector(config).parse(raw)
    assert "groups@nordicsun.example" in str(err.value)
    assert "group rates for 20 rooms" in err.value.text and "Subject: Group request" in err.value.text


def test_ingest_stores_pdf_and_reports_broken_mail(config, store):
    ingest = Ingestor(store, config)
    mail = connector(config)
    good = RawMessage(body=(FIXTURES / "keyftravel_new.eml").read_bytes(), operator="keyftravel", channel="mail")
    broken = RawMessage(body=(FIXTURES / "jet2_missing_arrival.eml").read_bytes(), operator="jet2", channel="mail")
    ok, bad = ingest.ingest_many([(good, mail.parse), (broken, mail.parse)])
    assert ok.new == 1 and store.scalar("SELECT COUNT(*) FROM documents WHERE reservation_id IS NOT NULL") == 1
    assert bad.state == "failed" and "field check_in" in bad.error and "record J2H7740001" in bad.error


# -- the rules themselves --------------------------------------------------------------------
def test_find_label_needs_a_separator_and_reads_columns():
    text = "Room type: Double\nRoom  SV\nArrival: 12/06/2026   Departure: 19/06/2026\nNotes:\nlate arrival"
    assert find_label(text, ["Room"]) == "SV"
    assert find_label(text, ["Room type"]) == "Double"
    assert find_label(text, ["Departure"]) == "19/06/2026"
    assert find_label(text, ["Arrival", "Anreise"]) == "12/06/2026"
    assert find_label(text, ["Notes"]) == "late arrival"
    assert find_label(text, ["Check-in"]) == ""


def test_html_rendered_as_label_lines():
    html = "<table><tr><td><b>Check-in:</b></td><td>2026-07-03</td></tr><tr><td>Guests</td><td>2</td></tr></table>"
    assert html_to_text(html) == "Check-in:\t2026-07-03\nGuests\t2"


@pytest.mark.parametrize(
    "name, order, expected",
    [
        ("SMITH/JOHN MR", "first last", ("MR", "JOHN", "SMITH")),
        ("Kowalska, Anna", "first last", ("", "Anna", "Kowalska")),
        ("Mrs Anna Maria Nowak", "first last", ("Mrs", "Anna Maria", "Nowak")),
        ("ПЕТРОВ АЛЕКСЕЙ", "last first", ("", "АЛЕКСЕЙ", "ПЕТРОВ")),
    ],
)
def test_split_name(name, order, expected):
    assert split_name(name, order) == expected


def test_money_by_the_profiles_decimal_mark():
    comma = profile_from_dict("x", {"operator": "x", "decimal": ",", "match": {"from": "x"}})
    dot = profile_from_dict("y", {"operator": "y", "match": {"from": "y"}})
    assert comma.to_money("12.450,50 TL", "total", "r") == (Decimal("12450.50"), "TRY")
    assert dot.to_money("EUR 1,234.50", "total", "r") == (Decimal("1234.50"), "EUR")
    assert dot.to_money("€812", "total", "r") == (Decimal("812"), "EUR")
    with pytest.raises(ParseError, match="not a date"):
        dot.to_date("next Friday", "check_in", "r")


def test_user_profile_replaces_builtin_and_bad_profiles_say_where(tmp_path):
    (tmp_path / "jet2.toml").write_text('operator = "jet2"\n[match]\nfrom = ["@jet2-new\\\\.example$"]\n')
    mine = load_profiles([tmp_path])
    assert mine["jet2"].path == tmp_path / "jet2.toml" and len(mine) == len(PROFILES)
    (tmp_path / "broken.toml").write_text('operator = "x"\n[match]\n')
    with pytest.raises(ProfileError, match="broken.toml.*'from'"):
        load_profiles([tmp_path])
    with pytest.raises(ProfileError, match="profile folder not found"):
        load_profiles([tmp_path / "missing"])


def test_operator_can_restrict_its_profiles(config):
    op = OperatorConfig(name="jet2", kind="mail", settings={"profiles": ["jet2"]})
    mail = MailConnector(op, config)
    assert [p.name for p in mail.profiles] == ["jet2"]
    assert mail.profile_for("noreply@webbeds.com", "New Booking") is None


def test_mail_connector_keeps_out_of_textual():
    import subprocess
    import sys

    code = (
        "import sys, connectors.mail.connector, connectors.mail.reply; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'httpx')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent.parent,
    )
    assert "textual" not in out.stdout


def test_amounts_are_read_by_the_profiles_locale():
    from connectors.mail.profiles import profile_from_dict

    base = {"operator": "x", "match": {"from": ["x@example.com"]}}
    comma = profile_from_dict("c", {**base, "decimal": ","})
    swiss = profile_from_dict("s", {**base, "locale": "de_CH"})
    dot = profile_from_dict("d", base)
    assert comma.to_money("EUR 1.234,50", "total", "r") == (Decimal("1234.50"), "EUR")
    assert comma.to_money("1 234,50 €", "total", "r") == (Decimal("1234.50"), "EUR")
    assert swiss.to_money("CHF 1'234.50", "total", "r") == (Decimal("1234.50"), "CHF")
    assert dot.to_money("£1,234.50", "total", "r") == (Decimal("1234.50"), "GBP")
    assert dot.to_money("9" * 5000, "total", "r")[0] == Decimal("9" * 5000)
    with pytest.raises(ValueError, match="not a locale"):
        profile_from_dict("bad", {**base, "locale": "xx_NOWHERE"})


def test_profile_reads_a_guests_email_as_a_field_or_a_guest_column():
    body = (
        "From: Bookings <res@mailop.example>\nTo: hotel@sunbeach.example\nSubject: New booking M1\n"
        "Content-Type: text/plain; charset=utf-8\nMIME-Version: 1.0\n\n"
        "Booking Ref: M1\nArrival: 12/06/2026\nDeparture: 19/06/2026\nRoom: STD\nBoard: AI\n"
        "Contact e-mail: lead@guest.example\n"
        "Guests:\n  MR THOMAS MULLER (45) <thomas@guest.example>\n  MRS ANNA MULLER (43)\n"
    )
    spec = {
        "operator": "mailop",
        "source": "text",
        "date_formats": ["%d/%m/%Y"],
        "match": {"from": "@mailop"},
        "fields": {
            "voucher": "Booking Ref",
            "check_in": "Arrival",
            "check_out": "Departure",
            "room": "Room",
            "board": "Board",
            "email": "Contact e-mail",
        },
        "guests": {
            "pattern": r"^\s*(?P<title>MR|MRS)\s+(?P<first_name>\S+)\s+(?P<last_name>\S+)\s+"
            r"\((?P<age>\d+)\)(?:\s+<(?P<email>[^>]+)>)?\s*$"
        },
    }
    [booking] = profile_from_dict("mailop", spec).read(read_mail(body.encode()))
    assert [g.email for g in booking.guests] == ["thomas@guest.example", ""]
    spec["guests"]["pattern"] = r"^\s*(?P<title>MR|MRS)\s+(?P<first_name>\S+)\s+(?P<last_name>\S+)\s+\((?P<age>\d+)\)"
    [booking] = profile_from_dict("mailop", spec).read(read_mail(body.encode()))
    assert [g.email for g in booking.guests] == ["lead@guest.example", ""], "the booking's e-mail is the lead's"
    assert "email" not in booking.extra
