"""The values check: impossible numbers and dates are held, named by field, and only a person with a reason
can wave them through; a stop-sale stops save and confirm the same way."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from support.desk import TODAY, booking, drop, scan
from typer.testing import CliRunner

from connectors.canonical import parse_canonical
from core.checks import CheckContext, StayFacts, check_release
from core.config import Config
from core.forecast import forecast
from core.ingest import Ingestor
from core.models import CheckState, Content, RawMessage
from core.overrides import OverrideError, Overrides, blocking_checks
from core.report import daily_trend, operator_report
from core.store import Store
from core.values_check import IntakeLimits, value_problems
from tui.cli import app

runner = CliRunner()
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def run(desk, *args):
    return runner.invoke(app, ["--config", str(desk.path), "--as", "night-audit", *args])


def facts(**kw) -> StayFacts:
    values = dict(
        operator="tui",
        voucher="V1",
        content=Content.NEW,
        hotel_room="STD",
        hotel_board="AI",
        hotel_rate="R",
        hotel_market=None,
        hotel_agency=None,
        check_in=date(2026, 7, 1),
        check_out=date(2026, 7, 8),
        rooms=1,
        adults=2,
        child_ages=[],
        sale_date=date(2026, 5, 1),
        total=Decimal("100"),
        currency="EUR",
    )
    values.update(kw)
    return StayFacts(**values)


def problems(
    today: date = NOW.date(),
    limits: IntakeLimits = IntakeLimits(),
    max_adults: int | None = 3,
    rooms_of_type: int | None = 10,
    **kw,
) -> dict[str, str]:
    return dict(value_problems(facts(**kw), today, limits, max_adults, rooms_of_type))


def test_a_possible_booking_has_no_problem():
    assert problems() == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"adults": 0}, "adults"),
        ({"adults": -5}, "adults"),
        ({"adults": 4}, "adults"),
        ({"rooms": 0}, "rooms"),
        ({"rooms": -3}, "rooms"),
        ({"rooms": 11, "adults": 22}, "rooms"),
        ({"child_ages": [4, 18]}, "child_ages[2]"),
        ({"child_ages": [-1]}, "child_ages[1]"),
        ({"child_ages": ["12"]}, "child_ages[1]"),
        ({"check_out": date(2026, 7, 1)}, "check_out"),
        ({"check_out": date(2026, 10, 1)}, "check_out"),
        ({"check_in": date(1999, 12, 31), "check_out": date(2000, 1, 2)}, "check_in"),
        ({"check_in": date(9999, 1, 1), "check_out": date(9999, 1, 5)}, "check_in"),
        ({"total": Decimal("-1")}, "total"),
        ({"currency": "EUX"}, "currency"),
        ({"currency": ""}, "currency"),
    ],
)
def test_each_impossible_value_is_named_by_its_field(change, field):
    found = problems(**change)
    assert field in found, found
    assert len(found) == 1, found


def test_adults_are_limited_per_room_and_only_when_the_room_type_says_so():
    assert set(problems(adults=7, rooms=2)) == {"adults"}
    assert problems(adults=6, rooms=2) == {}
    assert problems(adults=7, rooms=2, max_adults=None) == {}
    assert problems(rooms=50, rooms_of_type=None) == {}


def test_limits_come_from_intake_and_years_ahead_from_the_injected_today():
    limits = IntakeLimits.from_section({"max_nights": 7, "earliest_year": 2026, "max_years_ahead": 1})
    assert "check_out" in problems(limits=limits, check_out=date(2026, 7, 9))
    assert problems(limits=limits) == {}
    assert "check_in" in problems(limits=limits, check_in=date(2027, 6, 2), check_out=date(2027, 6, 5))
    assert problems(limits=limits, check_in=date(2027, 6, 1), check_out=date(2027, 6, 5)) == {}
    assert "check_in" in problems(today=date(2020, 2, 29), check_in=date(2023, 3, 1), check_out=date(2023, 3, 2))


def _ingest(desk: Config, body: dict, now: datetime = NOW) -> dict:
    raw = RawMessage(json.dumps(body).encode(), operator="tui", channel="folder", filename="x.json")
    with Store(desk.store_path) as store:
        [result] = Ingestor(store, desk, now=now).ingest_many([(raw, lambda r: parse_canonical(r.body))])
        return store.one("SELECT * FROM operator_reservations WHERE id = ?", (result.reservation_ids[0],))


BODY = {
    "voucher": "X1",
    "check_in": "2026-07-01",
    "check_out": "2026-07-08",
    "adults": 2,
    "room": "DZ",
    "board": "AI",
    "rate": "TUI26",
    "agency": "TUI",
    "total": "500",
    "currency": "EUR",
}


def test_child_ages_sent_as_a_string_are_never_split_into_digits(desk):
    raw = RawMessage(
        json.dumps({**BODY, "child_ages": "12"}).encode(), operator="tui", channel="folder", filename="x.json"
    )
    with Store(desk.store_path) as store:
        [result] = Ingestor(store, desk, now=NOW).ingest_many([(raw, lambda r: parse_canonical(r.body))])
        assert result.reservation_ids == [] and "child_ages" in result.error
        assert store.scalar("SELECT COUNT(*) FROM operator_reservations") == 0


def test_negative_adults_and_rooms_and_a_far_stay_are_held_naming_each_field(desk):
    row = _ingest(desk, {**BODY, "adults": -5, "rooms": -3, "check_in": "9999-12-01", "check_out": "9999-12-08"})
    check = json.loads(row["checks"])["values"]
    assert check["state"] == "fail"
    assert {"adults", "rooms", "check_in"} <= set(check["details"]["fields"])
    assert not row["clean"] and row["status"] == "pending"


def test_a_stay_in_year_9999_does_not_crash_forecast_or_report(desk):
    _ingest(desk, {**BODY, "voucher": "FAR", "check_in": "9999-12-20", "check_out": "9999-12-31"})
    with Store(desk.store_path) as store:
        nights = forecast(store, "STD", date(9999, 12, 25), date(9999, 12, 31))
        assert [n.date for n in nights][-1] == date(9999, 12, 31) and nights[0].pending == 1
        operator_report(store, NOW.date() - timedelta(days=3), NOW.date())
        daily_trend(store, date(9999, 12, 25), date(9999, 12, 31))
    result = run(desk, "forecast", "STD", "--from", "9999-12-30", "--to", "9999-12-31", "--json")
    assert result.exit_code == 0, result.output
    result = run(desk, "report", "--from", "9999-12-01", "--to", "9999-12-31", "--json")
    assert result.exit_code == 0, result.output


def test_release_check_fails_a_new_booking_whose_stay_already_began(desk):
    ctx = CheckContext(Store(desk.store_path), desk, now=NOW)
    began = facts(check_in=date(2026, 5, 30), check_out=date(2026, 6, 3), sale_date=date(2026, 5, 1))
    outcome = check_release(began, ctx)
    assert outcome.state == CheckState.FAIL and "began on 2026-05-30" in outcome.message
    changed = facts(content=Content.CHANGE, check_in=date(2026, 5, 30), check_out=date(2026, 6, 5))
    assert check_release(changed, ctx).state == CheckState.WARN
    assert check_release(facts(), ctx).state == CheckState.OK


# -- overrides -----------------------------------------------------------------------------
def test_only_values_and_stop_sale_can_be_overridden_and_always_with_a_reason():
    with pytest.raises(OverrideError, match="only values and stop_sale"):
        Overrides.of(["price"], "because")
    with pytest.raises(OverrideError, match="--reason"):
        Overrides.of(["values"], " ")
    checks = {
        "values": {"state": "fail", "message": "adults -5"},
        "stop_sale": {"state": "fail", "message": "s"},
        "price": {"state": "mismatch", "message": "p"},
    }
    decision = blocking_checks(checks, Overrides.of(["values"], "phoned the operator"))
    assert decision.blocking == {"stop_sale": "s"} and decision.overridden == {"values": "adults -5"}
    assert blocking_checks(checks, Overrides.of(["values", "stop_sale"], "ok")).blocking == {}


def _held(desk) -> int:
    drop(desk, "a.json", booking("BAD", adults=-5))
    [result] = scan(desk)
    return result.reservation_ids[0]


def test_save_and_confirm_refuse_impossible_values_until_overridden_with_a_reason(desk):
    rid = _held(desk)
    result = run(desk, "save", str(rid), "--json")
    assert result.exit_code == 1
    [failed] = json.loads(result.output)["failed"]
    assert "values: adults -5" in failed["message"] and "--override values" in failed["message"]
    assert run(desk, "confirm", str(rid), "--yes").exit_code == 1
    assert run(desk, "save", str(rid), "--override", "values").exit_code == 2
    assert run(desk, "save", str(rid), "--override", "price", "--reason", "x").exit_code == 2
    result = run(
        desk, "confirm", str(rid), "--yes", "--override", "values", "--reason", "operator phoned: 2 adults", "--json"
    )
    assert result.exit_code == 0, result.output
    audit = json.loads(run(desk, "audit", str(rid), "--action", "override", "--json").output)
    assert audit[0]["after"]["reason"] == "operator phoned: 2 adults" and "values" in audit[0]["after"]["checks"]
    assert audit[0]["actor"] == "night-audit"


def test_a_corrected_version_from_the_operator_clears_the_hold(desk):
    _held(desk)
    drop(desk, "b.json", booking("BAD", Content.CHANGE, adults=2))
    [result] = scan(desk)
    assert run(desk, "save", str(result.reservation_ids[0])).exit_code == 0


def test_confirm_yes_refuses_a_booking_under_a_stop_sale_naming_it(desk):
    drop(desk, "a.json", booking("STOP"))
    [result] = scan(desk)
    rid = result.reservation_ids[0]
    first = (TODAY + timedelta(days=31)).isoformat()
    assert (
        run(
            desk, "stopsale", "add", "--from", first, "--to", first, "--room", "STD", "--reason", "renovation"
        ).exit_code
        == 0
    )
    result = run(desk, "confirm", str(rid), "--yes")
    assert result.exit_code == 1
    assert "stop-sale on STD" in result.output and "renovation" in result.output
    assert run(desk, "save", str(rid)).exit_code == 1
    result = run(desk, "confirm", str(rid), "--yes", "--override", "stop_sale", "--reason", "sales manager agreed")
    assert result.exit_code == 0, result.output
    with Store(desk.store_path) as store:
        assert store.scalar("SELECT status FROM operator_reservations WHERE id = ?", (rid,)) == "confirmed"
        detail = store.scalar("SELECT detail FROM audit_log WHERE action = 'override' AND reservation_id = ?", (rid,))
    assert "stop_sale" in detail and "sales manager agreed" in detail


def test_a_stop_sale_added_after_the_last_check_still_stops_the_action(desk):
    drop(desk, "a.json", booking("LATE"))
    [result] = scan(desk)
    first = (TODAY + timedelta(days=30)).isoformat()
    with Store(desk.store_path) as store:  # as another desk would: no re-check of the inbox
        store.conn.execute(
            "INSERT INTO stop_sales(room, start, \"end\", created_at) VALUES ('', ?, ?, ?)",
            (first, first, NOW.isoformat()),
        )
    assert run(desk, "save", str(result.reservation_ids[0])).exit_code == 1


def test_the_json_api_reader_never_splits_a_child_ages_string_into_digits():
    from connectors.jsonapi.connector import booking_from_item
    from core.models import ParseError

    fields = {"voucher": "ref", "content": "status", "child_ages": "kids", "check_in": "in", "check_out": "out"}
    item = {"ref": "P1", "status": "new", "kids": "12", "in": "2026-07-01", "out": "2026-07-05"}
    with pytest.raises(ParseError, match="kids"):
        booking_from_item(item, fields, {"new": "new"}, {}, {})
    item["kids"] = [12, 4]
    assert booking_from_item(item, fields, {"new": "new"}, {}, {}).child_ages == [12, 4]


def test_the_room_types_maximum_comes_from_the_loaded_contracts(desk):
    from core.desk import load_contracts_text

    spec = Path(__file__).resolve().parents[1] / "pricing" / "data" / "spec.toml"
    with Store(desk.store_path) as store:
        store.conn.execute(
            "INSERT INTO mappings(operator, kind, code, hotel_code, updated_at) "
            "VALUES ('tui', 'room', 'DBLX', 'DBL', '2026-01-01T00:00:00+00:00')"
        )
        load_contracts_text(store, desk, spec.read_text(), source=str(spec))
    row = _ingest(desk, {**BODY, "room": "DBLX", "adults": 4})
    check = json.loads(row["checks"])["values"]
    assert check["state"] == "fail" and "at most 3 adult(s) per room" in check["details"]["fields"]["adults"]
    assert (
        json.loads(_ingest(desk, {**BODY, "voucher": "X2", "room": "DBLX", "adults": 3})["checks"])["values"]["state"]
        == "ok"
    )
