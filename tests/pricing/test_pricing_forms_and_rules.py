"""Price forms, child bands and rows, supplements, special cases, commission and VAT, rules, rate codes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

PER_PERSON = "pp_dbl = 60\nmultipliers = { sgl = 1.5, dbl = 2, trp = 2.75, quad = 3.4 }\nextra_bed = 25"
CHILDREN = (
    'first = { infant = 0, young = 10, older = "50%" }\nsecond = { infant = 0, young = "50%", older = "70%" }\n'
    'sgl_first = { infant = 0, young = "50%", older = "70%" }\n'
    "sgl_second = { infant = 5, young = 15, older = 20 }"
)


def night(pr, *pieces, **request):
    return pr.priced(pr.set(*pieces), request=request).nights[0].contract_price


def refusal(pr, *pieces, **request):
    answer = pr.quote(pr.set(*pieces), pr.stay(**request))
    assert not answer.ok
    return [e["rule"] for e in answer.errors]


# -- price forms --------------------------------------------------------------------
@pytest.mark.parametrize("adults, expected", [(1, 70), (2, 100), (3, 140), (4, 170), (5, 200)])
def test_occupancy_form_prices_by_adults(pr, adults, expected):
    assert night(pr, pr.contract(), adults=adults, room_type="FAM") == expected


@pytest.mark.parametrize("adults, expected", [(1, "90.00"), (2, "120.00"), (3, "165.00"), (4, "204.00"), (5, "229.00")])
def test_per_person_form_multiplies_pp_dbl(pr, adults, expected):
    assert night(pr, pr.contract(prices=PER_PERSON), adults=adults, room_type="FAM") == Decimal(expected)


def test_unit_form_is_per_room_and_children_are_free(pr):
    cs = pr.set(pr.contract(prices="unit = 150"))
    assert pr.priced(cs, request={"adults": 1}).nights[0].contract_price == 150
    assert pr.priced(cs, request={"adults": 2, "child_ages": [8, 4]}).nights[0].contract_price == 150


def test_missing_occupancy_price_is_no_price(pr):
    assert refusal(pr, pr.contract(prices="dbl = 100"), adults=1) == ["no_price"]


def test_one_price_form_only(pr):
    from core.pricing import ContractsError

    with pytest.raises(ContractsError, match=r"prices: give one price form"):
        pr.set(pr.contract(prices="dbl = 100\nunit = 90"))


# -- children -------------------------------------------------------------------------
def test_children_rows_by_position_and_band(pr):
    c = pr.contract(children=CHILDREN)
    # first child older 50% of 50 (dbl / 2) = 25; second young 50% = 25; third infant 0
    assert night(pr, c, child_ages=[1, 8, 3], room_type="FAM") == 150


def test_children_in_given_order_when_not_ordered_by_age(pr):
    head = pr.HEAD.replace('code = "R"\n', 'code = "R"\norder_children_by_age = false\n')
    cs = pr.set(pr.contract(children=CHILDREN), head=head)
    # 4 first (young 10), 8 second (older 70% of 50 = 35)
    assert pr.priced(cs, request={"child_ages": [4, 8]}).nights[0].contract_price == 145
    cs_sorted = pr.set(pr.contract(children=CHILDREN))
    # 8 first (older 25), 4 second (young 25)
    assert pr.priced(cs_sorted, request={"child_ages": [4, 8]}).nights[0].contract_price == 150


def test_single_adult_rows(pr):
    c = pr.contract(children=CHILDREN)
    # sgl 70 + sgl_first older 70% of 50 = 35 + sgl_second young 15
    assert night(pr, c, adults=1, child_ages=[9, 3]) == 120


def test_child_older_than_last_band_counts_as_adult(pr):
    assert night(pr, pr.contract(children=CHILDREN), child_ages=[14]) == 140


def test_band_edges_are_inclusive_with_decimals(pr):
    c = pr.contract(children=CHILDREN)
    assert night(pr, c, child_ages=[Decimal("1.99")]) == 100  # infant 0
    assert night(pr, c, child_ages=[2]) == 110  # young 10
    assert night(pr, c, child_ages=[Decimal("12.99")]) == 125  # older 50%


def test_missing_child_entry_is_no_price(pr):
    assert refusal(pr, pr.contract(children="first = { older = 20 }"), child_ages=[4]) == ["no_price"]


def test_percent_child_under_per_person_form_uses_its_pp_dbl(pr):
    c = pr.contract(prices=PER_PERSON, children=CHILDREN)
    assert night(pr, c, child_ages=[8]) == 150  # 120 + 50% of 60


# -- supplements, special cases, commission, VAT ----------------------------------------
def test_board_supplement_per_person(pr):
    c = pr.contract(children=CHILDREN, supplements="AI = { adult = 20, older = 10, young = 5 }")
    assert night(pr, c, board="AI", child_ages=[8, 4, 1], room_type="FAM") == 100 + 25 + 25 + 0 + 40 + 10 + 5
    assert night(pr, c, board="BB") == 100


def test_board_without_contract_or_supplement_is_no_contract(pr):
    assert refusal(pr, pr.contract(), board="HB") == ["no_contract"]


def test_special_case_replaces_occupancy_and_children_only_on_exact_mix(pr):
    c = pr.contract(
        children=CHILDREN,
        special="adults = 2\nolder = 1\nyoung = 1\nnight_total = 111",
        supplements="AI = { adult = 20, older = 10, young = 5 }",
    )
    assert night(pr, c, child_ages=[8, 4]) == 111
    assert night(pr, c, child_ages=[8, 4], board="AI") == 111 + 40 + 10 + 5
    assert night(pr, c, child_ages=[8]) == 125  # a band not named must have no child
    assert night(pr, c, child_ages=[8, 4, 1], room_type="FAM") == 150


def test_commission_then_vat_then_rounding(pr):
    c = pr.contract(prices="dbl = 99.99", keys="include_commission = false\ncommission_percent = 12.5\nadd_vat = true")
    # 99.99 * 1.125 * 1.10 = 123.737625 -> 123.74
    assert night(pr, c) == Decimal("123.74")


# -- which contract prices a night ----------------------------------------------------------
def test_first_contract_in_file_order_covering_each_night(pr):
    a = pr.contract("A", stay=("2026-06-01", "2026-06-02"), prices="dbl = 100")
    b = pr.contract("B", stay=("2026-06-01", "2026-06-30"), prices="dbl = 200")
    answer = pr.priced(pr.set(a, b), request={"nights": 4})
    assert [n.contract_price for n in answer.nights] == [100, 100, 200, 200]
    assert answer.contract == "A"


def test_check_in_price_basis_prices_every_night_as_check_in(pr):
    a = pr.contract("A", stay=("2026-06-01", "2026-06-02"), prices="dbl = 100", keys='price_basis = "check_in"')
    b = pr.contract("B", stay=("2026-06-01", "2026-06-30"), prices="dbl = 200")
    assert [n.contract_price for n in pr.priced(pr.set(a, b), request={"nights": 4}).nights] == [100] * 4


def test_night_without_contract_is_no_contract(pr):
    assert refusal(pr, pr.contract(stay=("2026-06-01", "2026-06-02")), nights=3) == ["no_contract"]


def test_agency_means_its_first_rate_code(pr):
    agency = '\n[[agencies]]\ncode = "AG"\nrate_codes = ["R"]\n'
    cs = pr.set(pr.contract(), head=pr.HEAD + agency)
    assert pr.priced(cs, request={"rate_code": "", "agency": "AG"}).rate_code == "R"


def test_unknown_rate_code_is_no_contract(pr):
    assert refusal(pr, pr.contract(), rate_code="NOPE") == ["no_contract"]


DAILY_HEAD = """
[[rate_codes]]
code = "D"
use_prices = "daily"
child_bands = [{ name = "young", min = 0, max = 11.99 }]

[[rate_codes]]
code = "CD"
use_prices = "contract_daily"
base_rate_code = "D"
adjust_percent = -10

[[daily_rates]]
rate_code = "D"
room_type = "DBL"
board = "BB"
from = "2026-06-01"
to = "2026-06-01"
prices = { dbl = 100 }
children = { first = { young = 20 } }

[[daily_rates]]
rate_code = "D"
room_type = "DBL"
board = "BB"
from = "2026-06-02"
to = "2026-06-30"
prices = { dbl = 130 }
children = { first = { young = "50%" } }
"""


def test_daily_rates_price_each_night_by_its_row(pr):
    cs = pr.set(head=pr.HEAD + DAILY_HEAD)
    answer = pr.priced(cs, request={"rate_code": "D", "child_ages": [5]})
    assert [n.contract_price for n in answer.nights] == [120, Decimal("162.50"), Decimal("162.50")]
    assert answer.terms == {}


def test_contract_daily_moves_the_base_rates(pr):
    cs = pr.set(head=pr.HEAD + DAILY_HEAD)
    answer = pr.priced(cs, request={"rate_code": "CD"})
    assert [n.contract_price for n in answer.nights] == [90, 117, 117]


# -- rules of the check-in contract --------------------------------------------------------
@pytest.mark.parametrize(
    "rules, request_, rule",
    [
        ("min_stay = 4", {}, "min_stay"),
        ("max_stay = 2", {}, "max_stay"),
        ("min_persons = 3", {}, "min_persons"),
        ("max_persons = 2", {"child_ages": [1]}, "max_persons"),
        ('check_in_days = ["sat"]', {}, "check_in_days"),
        ('check_out_days = ["sun"]', {}, "check_out_days"),  # 2026-06-04 is a Thursday
        ('stay_days = ["mon", "tue"]', {}, "stay_days"),
        ("release_days = 7", {"booked": date(2026, 5, 28)}, "release_days"),
    ],
)
def test_each_rule_refuses_naming_its_key(pr, rules, request_, rule):
    assert refusal(pr, pr.contract(rules=rules, children=CHILDREN), **request_) == [rule]


@pytest.mark.parametrize(
    "rules, request_",
    [
        ("min_stay = 3", {}),
        ("max_stay = 3", {}),
        ("min_persons = 2", {}),
        ("max_persons = 3", {"child_ages": [1]}),
        ('check_in_days = ["mon"]', {}),
        ('check_out_days = ["thu"]', {}),
        ('stay_days = ["mon", "tue", "wed"]', {}),
        ("release_days = 7", {"booked": date(2026, 5, 25)}),
    ],
)
def test_each_rule_lets_a_stay_that_keeps_it(pr, rules, request_):
    assert pr.quote(pr.set(pr.contract(rules=rules, children=CHILDREN)), pr.stay(**request_)).ok


def test_sales_markets_agencies_restrict(pr):
    c = pr.contract(keys='sales = ["2026-01-01", "2026-01-31"]\nmarkets = ["UK"]\nagencies = ["TUI"]')
    assert refusal(pr, c, booked=date(2026, 2, 1), market="UK", agency="TUI") == ["sales"]
    assert refusal(pr, c, market="DE", agency="TUI") == ["markets"]
    assert refusal(pr, c, market="UK", agency="JET2") == ["agencies"]
    assert pr.quote(pr.set(c), pr.stay(market="UK", agency="TUI")).ok


def test_room_occupancy_from_room_type(pr):
    assert refusal(pr, pr.contract(), adults=4) == ["occupancy"]
    assert refusal(pr, pr.contract(children=CHILDREN), adults=3, child_ages=[3, 4]) == ["occupancy"]


def test_every_broken_rule_is_reported(pr):
    c = pr.contract(rules='min_stay = 5\ncheck_in_days = ["sat"]')
    assert refusal(pr, c) == ["min_stay", "check_in_days"]
