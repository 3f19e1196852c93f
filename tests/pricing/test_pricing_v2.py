"""The pricing rules of the spec's "Additions (v2)": its worked examples, and one worked example per rule."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.pricing import ContractsError, QuoteRequest, load_contracts, quote
from tui.cli import app

SPEC_V2 = Path(__file__).parent / "data" / "spec_v2.toml"


@pytest.fixture(scope="module")
def web():
    return load_contracts(SPEC_V2)


def ask(cs, **changes):
    values = dict(
        rate_code="WEB",
        room_type="DBL",
        board="BB",
        adults=2,
        check_in=date(2026, 7, 1),
        nights=4,
        booked=date(2026, 2, 10),
    )
    values.update(changes)
    return quote(cs, QuoteRequest(**values))


def reasons(answer):
    return {r["code"]: r["reason"] for r in answer.refused}


def prices(answer):
    return [str(n.price) for n in answer.nights]


# -- the spec's worked examples ----------------------------------------------------------
def test_v2_example_1_first_sales_period_cut_weekend_and_promotion(web):
    answer = ask(web, nationality="DE", promo="NRF5").as_dict()
    assert [n["price"] for n in answer["nights"]] == ["85.50", "85.50", "76.00", "76.00"]
    assert {n["contract_price"] for n in answer["nights"]} == {"100.00"}
    assert answer["totals"] == {"contract_price": "400.00", "discount": "77.00", "price": "323.00"}
    assert answer["applied"] == ["sales_period:2026-01-01", "WKEND", "NRF5"]
    assert answer["refused"] == [{"code": "SEN", "reason": "age"}]
    assert answer["rate_type"] == "NRF"


def test_v2_example_2_other_nationality_falls_to_the_next_contract(web):
    answer = ask(web, nationality="GB", promo="NRF5").as_dict()
    assert {n["contract_price"] for n in answer["nights"]} == {"110.00"}
    assert [n["price"] for n in answer["nights"]] == ["110.00", "110.00", "100.00", "100.00"]
    assert answer["totals"] == {"contract_price": "440.00", "discount": "20.00", "price": "420.00"}
    assert answer["rate_type"] == "REF" and {"code": "NRF5", "reason": "rate_types"} in answer["refused"]


def test_v2_example_3_second_period_no_cut_senior_with_adult_age(web):
    answer = ask(web, nationality="DE", booked=date(2026, 5, 2), adult_ages=[67], check_in=date(2026, 7, 2), nights=2)
    assert prices(answer) == ["90.00", "81.00"]
    assert answer.as_dict()["totals"] == {"contract_price": "200.00", "discount": "29.00", "price": "171.00"}
    assert answer.applied == ["WKEND", "SEN"] and answer.rate_type == "REF"


def test_v2_example_4_too_many_earlier_stays(web):
    answer = ask(
        web,
        nationality="DE",
        booked=date(2026, 5, 2),
        adult_ages=[67],
        check_in=date(2026, 7, 2),
        nights=2,
        previous_stays=4,
    )
    message = answer.errors[0]["message"]
    assert answer.as_dict() == {"ok": False, "errors": [{"rule": "max_arrival", "message": message}]}
    assert "at most 3" in answer.errors[0]["message"]


def quote_cli(*args: str):
    return CliRunner().invoke(
        app,
        [
            "quote",
            "--contracts",
            str(SPEC_V2),
            "--rate-code",
            "WEB",
            "--room",
            "DBL",
            "--board",
            "BB",
            "--adults",
            "2",
            *args,
        ],
    )


def test_v2_examples_through_the_cli():
    first = quote_cli(
        "--nationality",
        "DE",
        "--booked",
        "2026-02-10",
        "--check-in",
        "2026-07-01",
        "--nights",
        "4",
        "--promo",
        "NRF5",
        "--json",
    )
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["totals"]["price"] == "323.00"
    third = quote_cli(
        "--nationality",
        "deu",
        "--booked",
        "2026-05-02",
        "--adult-age",
        "67",
        "--check-in",
        "2026-07-02",
        "--nights",
        "2",
        "--json",
    )
    assert json.loads(third.stdout)["totals"]["price"] == "171.00"
    fourth = quote_cli(
        "--nationality",
        "Germany",
        "--booked",
        "2026-05-02",
        "--adult-age",
        "67",
        "--check-in",
        "2026-07-02",
        "--nights",
        "2",
        "--previous-stays",
        "4",
        "--json",
    )
    assert fourth.exit_code == 1 and json.loads(fourth.stdout)["errors"][0]["rule"] == "max_arrival"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--adult-age", "30", "--adult-age", "31", "--adult-age", "32"], "at most once per adult"),
        (["--nationality", "Atlantis"], "not a country"),
        (["--nationality", "[/]\x1b[31m"], "'[/]\\x1b[31m': not a country"),
        (["--previous-stays", "-1"], "previous-stays"),
        (["--adult-age", "1e400"], "--adult-age"),
    ],
)
def test_cli_bad_v2_input_exits_2(args, message):
    result = quote_cli("--booked", "2026-02-10", "--check-in", "2026-07-01", "--nights", "4", *args, "--json")
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_cli_readable_quote_names_the_rate_type():
    result = quote_cli("--nationality", "DE", "--booked", "2026-02-10", "--check-in", "2026-07-01", "--nights", "4")
    assert result.exit_code == 0 and "rate type NRF" in result.stdout


# -- rule 1: choosing the contract ---------------------------------------------------------
def test_inactive_contract_is_as_if_absent(pr):
    cs = pr.set(pr.contract("OFF", keys="inactive = true", prices="sgl = 1\ndbl = 1"), pr.contract("ON"))
    answer = pr.priced(cs)
    assert answer.contract == "ON" and prices(answer) == ["100.00"] * 3
    only_off = pr.set(pr.contract("OFF", keys="inactive = true"))
    assert pr.quote(only_off, pr.stay()).errors[0]["rule"] == "no_contract"


def test_nationality_chooses_the_contract_and_unknown_is_left_out(pr):
    cs = pr.set(pr.contract("RU", keys='nationalities = ["RU", "KZ"]', prices="sgl = 50\ndbl = 80"), pr.contract("ALL"))
    assert pr.priced(cs, request={"nationality": "KZ"}).contract == "RU"
    assert pr.priced(cs, request={"nationality": "DE"}).contract == "ALL"
    assert pr.priced(cs, request={"nationality": ""}).contract == "ALL"


def test_v1_change_market_restricted_contract_no_longer_refuses_what_a_later_one_admits(pr):
    cs = pr.set(pr.contract("UK", keys='markets = ["UK"]', prices="sgl = 50\ndbl = 80"), pr.contract("ALL"))
    answer = pr.priced(cs, request={"market": "DE"})
    assert answer.contract == "ALL" and answer.total == 300


def test_every_covering_contract_left_out_refuses_with_the_first_ones_first_key(pr):
    cs = pr.set(
        pr.contract("A", keys='markets = ["UK"]\nnationalities = ["GB"]'), pr.contract("B", keys='agencies = ["TUI"]')
    )
    answer = pr.quote(cs, pr.stay(market="DE", nationality="DE"))
    assert [e["rule"] for e in answer.errors] == ["markets"] and "A" in answer.errors[0]["message"]
    answer = pr.quote(cs, pr.stay(market="UK", nationality="DE"))
    assert [e["rule"] for e in answer.errors] == ["nationalities"]
    answer = pr.quote(
        pr.set(pr.contract("C", keys='agencies = ["TUI"]\nnationalities = ["GB"]')),
        pr.stay(agency="JET", nationality="XX"),
    )
    assert [e["rule"] for e in answer.errors] == ["agencies"]


def test_no_covering_contract_is_still_no_contract(pr):
    cs = pr.set(pr.contract("A", keys='nationalities = ["GB"]'))
    assert pr.quote(cs, pr.stay(check_in=date(2026, 8, 1))).errors[0]["rule"] == "no_contract"


def test_contract_nationalities_must_be_alpha2_codes(pr):
    with pytest.raises(ContractsError, match=r'contracts\[1\] \(code "A"\): nationalities: "DEU" is not an ISO'):
        pr.set(pr.contract("A", keys='nationalities = ["DEU"]'))
    assert pr.set(pr.contract("A", keys='nationalities = ["de"]')).contracts[0].nationalities == {"DE"}


# -- rule 2: sales periods ---------------------------------------------------------------------
PERIODS = (
    'rate_type = "STD"\nsales_periods = [\n'
    '  { from = "2026-01-01", to = "2026-01-31", rate_type = "EB", eb_percent = 12.5 },\n'
    '  { from = "2026-02-01", to = "2026-05-31" },\n'
    '  { from = "2026-02-01", to = "2026-03-31", rate_type = "LATE", eb_percent = 50 },\n]'
)


def test_sales_period_cut_and_rate_type(pr):
    cs = pr.set(pr.contract(keys=PERIODS))
    answer = pr.priced(cs, request={"booked": date(2026, 1, 10)})
    assert [str(n.discount) for n in answer.nights] == ["12.50"] * 3 and prices(answer) == ["87.50"] * 3
    assert [n.contract_price for n in answer.nights] == [100] * 3
    assert answer.applied == ["sales_period:2026-01-01"] and answer.rate_type == "EB"


def test_first_matching_period_decides_and_one_without_eb_is_not_listed(pr):
    cs = pr.set(pr.contract(keys=PERIODS))
    answer = pr.priced(cs, request={"booked": date(2026, 2, 10)})
    assert answer.applied == [] and answer.rate_type == "STD" and answer.total == 300


def test_booking_outside_every_sales_period_is_refused_with_sales(pr):
    cs = pr.set(pr.contract(keys=PERIODS))
    answer = pr.quote(cs, pr.stay(booked=date(2025, 12, 31)))
    assert answer.errors[0]["rule"] == "sales"


def test_sales_period_cut_takes_every_night_even_those_of_another_contract(pr):
    cs = pr.set(
        pr.contract("A", stay=("2026-06-01", "2026-06-01"), keys=PERIODS),
        pr.contract("B", stay=("2026-06-02", "2026-06-30"), prices="sgl = 100\ndbl = 200"),
    )
    answer = pr.priced(cs, request={"booked": date(2026, 1, 10)})
    assert prices(answer) == ["87.50", "175.00", "175.00"]


def test_sales_period_cut_is_not_a_discount_for_apply_alone_or_incompatible(pr):
    cs = pr.set(
        pr.contract(keys=PERIODS),
        pr.discount("ALONE", 'type = "percent"\nvalue = 10\napply_alone = true\norder = 1'),
        pr.discount("X", 'type = "amount"\nvalue = 1\norder = 2\nincompatible_with = ["ALONE"]'),
    )
    answer = pr.priced(cs, request={"booked": date(2026, 1, 10)})
    # 100 - 12.50 = 87.50; ALONE 10% of what is left: 8.75 -> 78.75
    assert answer.applied == ["sales_period:2026-01-01", "ALONE"] and prices(answer) == ["78.75"] * 3
    assert reasons(answer) == {"X": "incompatible"}


def test_rate_type_is_null_without_one(pr):
    answer = pr.priced(pr.set(pr.contract()))
    assert answer.rate_type is None and answer.as_dict()["rate_type"] is None


def test_sales_and_sales_periods_together_do_not_load(pr):
    with pytest.raises(ContractsError, match="give sales or sales_periods, not both"):
        pr.set(pr.contract(keys=PERIODS + '\nsales = ["2026-01-01", "2026-12-31"]'))


# -- rule 3: contract rules and their order ----------------------------------------------------
def test_min_and_max_arrival(pr):
    cs = pr.set(pr.contract(rules="min_arrival = 1\nmax_arrival = 2"))
    assert pr.quote(cs, pr.stay(previous_stays=0)).errors[0]["rule"] == "min_arrival"
    assert pr.quote(cs, pr.stay(previous_stays=1)).ok and pr.quote(cs, pr.stay(previous_stays=2)).ok
    assert pr.quote(cs, pr.stay(previous_stays=3)).errors[0]["rule"] == "max_arrival"


def test_contract_rules_are_reported_in_the_fixed_order(pr):
    cs = pr.set(
        pr.contract(
            keys='sales = ["2026-03-01", "2026-03-31"]',
            rules='min_stay = 5\ncheck_in_days = ["sat"]\nrelease_days = 200\nmax_arrival = 0',
        )
    )
    answer = pr.quote(cs, pr.stay(adults=4, previous_stays=1))
    assert [e["rule"] for e in answer.errors] == [
        "sales",
        "min_stay",
        "check_in_days",
        "release_days",
        "max_arrival",
        "occupancy",
    ]


# -- rule 4: discounts ---------------------------------------------------------------------------
CHILDREN = "\n".join(
    f"{row} = {{ infant = 0, young = 10, older = 20 }}" for row in ("first", "second", "sgl_first", "sgl_second")
)


def run(pr, *pieces, **request):
    return pr.quote(pr.set(pr.contract(children=CHILDREN), *pieces), pr.stay(**request))


@pytest.mark.parametrize(
    "body, rules, request_, reason",
    [
        ('nationalities = ["GB"]', "", {"nationality": "DE"}, "nationalities"),
        ('nationalities = ["GB"]', "", {}, "nationalities"),
        ("", "max_adults = 1", {}, "max_adults"),
        ("", "min_persons = 3", {}, "min_persons"),
        ("", "max_persons = 2", {"child_ages": [5]}, "max_persons"),
        ("", 'check_out_days = ["sun"]', {}, "check_out_days"),
        ("", 'stay_days = ["sat"]', {}, "stay_days"),
        ("", "min_age = 65", {}, "age"),
        ("", "min_age = 65", {"adult_ages": [40, 64]}, "age"),
        ("", "max_age = 5", {"child_ages": [8]}, "age"),
    ],
)
def test_each_v2_discount_rule_refuses_with_its_reason(pr, body, rules, request_, reason):
    answer = run(pr, pr.discount("D", f'type = "percent"\nvalue = 10\n{body}', rules), **request_)
    assert answer.ok and reasons(answer) == {"D": reason}


def test_discount_nationality_check_out_day_adults_and_persons_that_fit_apply(pr):
    # 2026-06-01 is a Monday; three nights: Mon, Tue, Wed; check-out Thu 06-04.
    d = pr.discount(
        "D",
        'type = "amount"\nvalue = 10\nnationalities = ["GB"]',
        'check_out_days = ["thu"]\nmax_adults = 2\nmin_persons = 2\nmax_persons = 3',
    )
    answer = run(pr, d, nationality="GB", child_ages=[5])
    assert answer.applied == ["D"] and answer.totals.discount == 30


def test_stay_days_makes_only_those_nights_eligible(pr):
    # Mon 06-01 .. Sun 06-07: 7 nights; the discount is for Fri and Sat nights only.
    d = pr.discount("WK", 'type = "percent"\nvalue = 50', 'stay_days = ["fri", "sat"]')
    answer = run(pr, d, nights=7)
    assert prices(answer) == ["100.00"] * 4 + ["50.00", "50.00", "100.00"]


def test_stay_is_the_reason_when_the_range_has_no_night_stay_days_when_the_weekdays_miss(pr):
    outside = pr.discount(
        "A", 'type = "percent"\nvalue = 5\nstay = ["2026-07-01", "2026-07-31"]', 'stay_days = ["mon"]'
    )
    weekday = pr.discount(
        "B", 'type = "percent"\nvalue = 5\nstay = ["2026-06-03", "2026-06-30"]', 'stay_days = ["mon", "tue"]'
    )
    # Nights Mon 06-01, Tue 06-02, Wed 06-03: B's range holds only Wednesday.
    assert reasons(run(pr, outside, weekday)) == {"A": "stay", "B": "stay_days"}


def test_age_range_counts_children_and_adults_given(pr):
    d = pr.discount("KID", 'type = "amount"\nvalue = 5', "min_age = 3\nmax_age = 6")
    assert run(pr, d, child_ages=[4]).applied == ["KID"]
    assert reasons(run(pr, d, child_ages=[8])) == {"KID": "age"}
    sen = pr.discount("SEN", 'type = "amount"\nvalue = 5', "min_age = 65")
    assert run(pr, sen, adult_ages=[70]).applied == ["SEN"]


def test_discount_reasons_follow_the_fixed_order(pr):
    # Breaks nationalities, max_stay, max_adults, check_out_days and age at once: nationalities is reported.
    rules = 'max_stay = 1\nmax_adults = 1\ncheck_out_days = ["sun"]\nmin_age = 90'
    d = pr.discount("D", 'type = "percent"\nvalue = 10\nnationalities = ["GB"]', rules)
    assert reasons(run(pr, d)) == {"D": "nationalities"}
    d = pr.discount("D", 'type = "percent"\nvalue = 10', 'max_adults = 1\ncheck_in_days = ["sun"]')
    assert reasons(run(pr, d)) == {"D": "max_adults"}, "v2 checks the adults before check_in_days"
    d = pr.discount(
        "D",
        'type = "percent"\nvalue = 10\nstay = ["2026-06-01", "2026-06-01"]',
        'stay_days = ["fri"]\ncheck_out_days = ["sun"]',
    )
    assert reasons(run(pr, d)) == {"D": "check_out_days"}


def test_a_discount_of_another_rate_code_is_not_a_candidate_and_not_listed(pr):
    head = pr.HEAD + '\n[[rate_codes]]\ncode = "R2"\n'
    cs = pr.set(
        pr.contract(),
        pr.discount("MINE", 'type = "amount"\nvalue = 1\nrate_codes = ["R"]'),
        pr.discount("THEIRS", 'type = "amount"\nvalue = 1\nrate_codes = ["R2"]'),
        pr.discount("OFF", 'type = "amount"\nvalue = 1\nrate_codes = ["R2"]\ninactive = true'),
        head=head,
    )
    answer = pr.priced(cs)
    assert answer.applied == ["MINE"] and answer.refused == []


# -- rule 5: promotions -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body, request_, reason",
    [
        ('markets = ["UK"]', {"market": "DE"}, "markets"),
        ('markets = ["UK"]', {}, "markets"),
        ('rate_types = ["NRF"]', {}, "rate_types"),
        ('currency = "GBP"\ntype = "per_night"', {}, "currency"),
        ('application_area = "extras"', {}, "application_area"),
    ],
)
def test_each_v2_promotion_rule_refuses_with_its_reason(pr, body, request_, reason):
    kind = "" if "type =" in body else 'type = "percent"\n'
    cs = pr.set(pr.contract(), pr.promotion("P", f"{kind}value = 5\n{body}"))
    answer = pr.priced(cs, request={"promo": "P", **request_})
    assert reasons(answer) == {"P": reason} and answer.total == 300


def test_promotion_v2_keys_that_fit_apply(pr):
    cs = pr.set(
        pr.contract(keys='rate_type = "NRF"'),
        pr.promotion(
            "P",
            'type = "per_night"\nvalue = 5\nmarkets = ["UK"]\nrate_types = ["NRF"]\n'
            'currency = "EUR"\napplication_area = "accommodation"',
        ),
        pr.promotion("Q", 'type = "percent"\nvalue = 10\ncurrency = "GBP"\napplication_area = "both"'),
    )
    assert pr.priced(cs, request={"promo": "P", "market": "UK"}).total == 285
    assert pr.priced(cs, request={"promo": "Q"}).total == 270, "currency only matters for amount types"


def test_promotion_reasons_follow_the_fixed_order(pr):
    cs = pr.set(
        pr.contract(),
        pr.promotion(
            "P",
            'type = "per_night"\nvalue = 5\nmin_stay = 9\nmarkets = ["UK"]\n'
            'rate_types = ["NRF"]\ncurrency = "GBP"\nmin_total = 10000',
        ),
    )
    assert reasons(pr.priced(cs, request={"promo": "P"})) == {"P": "min_stay"}
    cs = pr.set(
        pr.contract(),
        pr.promotion(
            "P", 'type = "per_night"\nvalue = 5\nrate_types = ["NRF"]\ncurrency = "GBP"\napplication_area = "extras"'
        ),
    )
    assert reasons(pr.priced(cs, request={"promo": "P"})) == {"P": "rate_types"}
