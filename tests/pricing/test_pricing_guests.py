"""What the price check learns from a booking's guests: nationality in ISO alpha-2, adults' ages from birth
dates, and the lead guest's earlier stays in the hotel book (matched by e-mail, else name and birth date)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.canonical import parse_canonical
from core.audit import Actor
from core.desk import load_contracts_text, save
from core.ingest import Ingestor
from core.mapping import set_mapping
from core.models import CheckState, RawMessage
from core.nationality import to_alpha2

SPEC_V2 = Path(__file__).parent / "data" / "spec_v2.toml"
TESTER = Actor("tester", "cli")


@pytest.mark.parametrize(
    "sent, code",
    [
        ("DE", "DE"),
        ("de", "DE"),
        ("DEU", "DE"),
        ("Germany", "DE"),
        ("  GERMANY ", "DE"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("GBR", "GB"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("XX", ""),
        ("EU", ""),
        ("Atlantis", ""),
        ("276", ""),
        ("[/]", ""),
        ("\x1b[31mDE", ""),
        ("9" * 5000, ""),
        ("", ""),
    ],
)
def test_nationality_to_alpha2(sent, code):
    assert to_alpha2(sent) == code


@pytest.fixture
def hotel(store, config):
    for kind, code, hotel_code in (("room", "DZ", "DBL"), ("board", "BB", "BB"), ("rate", "W", "WEB")):
        set_mapping(store, "web", kind, code, hotel_code)
    load_contracts_text(store, config, SPEC_V2.read_text(), source=str(SPEC_V2), actor="tester")
    return store


def arrive(store, config, *records: dict) -> list[int]:
    ids = []
    for n, record in enumerate(records):
        body = json.dumps({"room": "DZ", "board": "BB", "rate": "W", "adults": 2, "currency": "EUR", **record}).encode()
        raw = RawMessage(
            body=body, operator="web", channel="folder", received_at=datetime(2026, 5, 2, 9, n, tzinfo=timezone.utc)
        )
        ids += Ingestor(store, config).ingest(raw, lambda r: parse_canonical(r.body)).reservation_ids
    return ids


def price(store, rid: int) -> dict:
    return json.loads(store.scalar("SELECT checks FROM operator_reservations WHERE id = ?", (rid,)))["price"]


ANNA = {"first_name": "Anna", "last_name": "Müller", "birth_date": "1958-03-01", "email": "Anna@Example.com"}
# Example 3 of the spec's v2 section: a 67-or-older adult, a German guest, booked in the second sales period.
STAY = {
    "voucher": "NOW",
    "check_in": "2026-07-02",
    "check_out": "2026-07-04",
    "sale_date": "2026-05-02",
    "total": "171.00",
    "nationality": "DEU",
    "guests": [ANNA],
}


def earlier(voucher: str, guest: dict, check_in: str = "2025-08-01", check_out: str = "2025-08-08") -> dict:
    return {
        "voucher": voucher,
        "check_in": check_in,
        "check_out": check_out,
        "sale_date": "2025-05-01",
        "guests": [guest],
    }


def test_nationality_is_stored_as_alpha2_and_the_unknown_kept_as_sent(store, config):
    rid, other = arrive(
        store,
        config,
        {**STAY, "guests": [{**ANNA, "nationality": "Germany"}]},
        {**STAY, "voucher": "ODD", "nationality": "Kurdistan"},
    )
    assert store.scalar("SELECT nationality FROM operator_reservations WHERE id = ?", (rid,)) == "DE"
    assert store.one("SELECT nationality, email FROM guests WHERE reservation_id = ?", (rid,)) == {
        "nationality": "DE",
        "email": "Anna@Example.com",
    }
    row = store.one("SELECT nationality, extra FROM operator_reservations WHERE id = ?", (other,))
    assert row["nationality"] == "" and json.loads(row["extra"])["nationality_sent"] == "Kurdistan"


def test_price_check_takes_nationality_and_adult_age_from_the_booking(hotel, config):
    [rid] = arrive(hotel, config, STAY)
    checked = price(hotel, rid)
    assert checked["state"] == CheckState.OK, checked
    assert checked["details"]["applied"] == ["WKEND", "SEN"] and checked["details"]["contract_total"] == "171.00"


def test_price_check_falls_back_to_the_lead_guests_nationality(hotel, config):
    gb = arrive(
        hotel,
        config,
        {**STAY, "voucher": "GB", "nationality": "", "total": "200.00", "guests": [{**ANNA, "nationality": "GBR"}]},
    )
    # WEB-DE leaves a British guest out: WEB-ALL prices 110 a night. Thu 110 - SEN 11 = 99;
    # Fri 110 - WKEND 10 = 100 - SEN 10 = 90.
    details = price(hotel, gb[0])["details"]
    assert details["nights"][0]["contract_price"] == "110.00" and details["contract_total"] == "189.00"


def save_all(store, config, ids):
    outcomes = save(store, config, ids, TESTER)
    assert all(o.ok for o in outcomes), [o.message for o in outcomes]


def test_earlier_stays_are_counted_by_email_else_name_and_birth_date(hotel, config):
    counted = [
        earlier("E1", {"first_name": "A.", "last_name": "Mueller", "email": "anna@example.com"}),
        earlier("E2", {"first_name": "ANNA", "last_name": "MULLER", "birth_date": "1958-03-01"}),
    ]
    not_counted = [
        # both have an e-mail and they differ: the name does not matter then
        earlier("E3", {**ANNA, "email": "someone@else.org"}),
        # same name, another birth date
        earlier("E4", {"first_name": "Anna", "last_name": "Müller", "birth_date": "1990-01-01"}),
        # ends after this check-in
        earlier("E5", ANNA, check_in="2026-07-01", check_out="2026-07-10"),
        # saved, then cancelled
        earlier("E6", ANNA),
    ]
    save_all(hotel, config, arrive(hotel, config, *counted, *not_counted))
    save_all(hotel, config, arrive(hotel, config, {"voucher": "E6", "content": "cancel"}))
    arrive(hotel, config, earlier("PENDING", ANNA))  # in the inbox, not in the hotel book
    from core.ingest import facts_from_row
    from core.pricing.check import earlier_stays
    from core.stay import CheckContext

    [rid] = arrive(hotel, config, STAY)
    row = hotel.one("SELECT * FROM operator_reservations WHERE id = ?", (rid,))
    assert earlier_stays(CheckContext(hotel, config).store, facts_from_row(hotel, row)) == 2
    assert price(hotel, rid)["state"] == CheckState.OK


def test_too_many_earlier_stays_refuse_the_stay_with_max_arrival(hotel, config):
    stays = [earlier(f"E{n}", ANNA, check_in=f"2025-0{n}-01", check_out=f"2025-0{n}-05") for n in range(1, 5)]
    save_all(hotel, config, arrive(hotel, config, *stays))
    [rid] = arrive(hotel, config, STAY)
    checked = price(hotel, rid)
    assert checked["state"] == CheckState.REFUSED and checked["details"]["rule"] == "max_arrival"


def test_a_saved_booking_is_not_its_own_earlier_stay(hotel, config):
    stays = [earlier(f"E{n}", ANNA, check_in=f"2025-0{n}-01", check_out=f"2025-0{n}-05") for n in range(1, 4)]
    save_all(hotel, config, arrive(hotel, config, *stays))
    [rid] = arrive(hotel, config, STAY)
    save_all(hotel, config, [rid])
    from core.ingest import recheck

    recheck(hotel, config, "id = ?", (rid,))
    assert price(hotel, rid)["state"] == CheckState.OK, "three earlier stays, the booking itself not among them"
