"""Discounts (percent, amount, free nights, addons, order, apply alone, incompatibility, manual,
inactive, their rules) and promotions (types, excluded nights, min total, max uses)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

# 2026-06-01 is a Monday; the default stay is 3 nights, 2 adults, DBL/BB at 100 a night, booked 2026-01-10.


def run(pr, *discounts, contract=None, promo_uses=0, **request):
    cs = pr.set(contract or pr.contract(), *discounts)
    return pr.quote(cs, pr.stay(**request), promo_uses=promo_uses)


def prices(answer):
    return [n.price for n in answer.nights]


def reasons(answer):
    return {r["code"]: r["reason"] for r in answer.refused}


def test_percent_takes_its_share_of_each_night(pr):
    answer = run(pr, pr.discount("P", 'type = "percent"\nvalue = 12.5'))
    assert prices(answer) == [Decimal("87.50")] * 3
    assert answer.applied == ["P"]


def test_amount_takes_its_value_at_most_what_is_left(pr):
    answer = run(
        pr,
        pr.discount("A", 'type = "amount"\nvalue = 30\norder = 1'),
        pr.discount("B", 'type = "amount"\nvalue = 90\norder = 2'),
    )
    assert prices(answer) == [0, 0, 0]
    assert [n.discount for n in answer.nights] == [100] * 3


def test_free_nights_take_the_cheapest_nights_later_first_on_a_tie(pr):
    a = pr.contract("A", stay=("2026-06-01", "2026-06-02"), prices="dbl = 80")
    b = pr.contract("B", stay=("2026-06-03", "2026-06-30"), prices="dbl = 100")
    cs = pr.set(a, b, pr.discount("F", 'type = "free_nights"\nvalue = 1'))
    assert prices(pr.quote(cs, pr.stay(nights=4))) == [80, 0, 100, 100]
    cs2 = pr.set(pr.contract(), pr.discount("F", 'type = "free_nights"\nvalue = 2'))
    assert prices(pr.quote(cs2, pr.stay(nights=4))) == [100, 100, 0, 0]


def test_stay_7_pay_6(pr):
    answer = run(pr, pr.discount("S7P6", 'type = "free_nights"\nvalue = 1', rules="min_stay = 7"), nights=7)
    assert answer.totals["price"] == 600
    assert reasons(run(pr, pr.discount("S7P6", 'type = "free_nights"\nvalue = 1', rules="min_stay = 7"), nights=6)) == {
        "S7P6": "min_stay"
    }


def test_addon_adds_instead_of_taking(pr):
    answer = run(pr, pr.discount("ADD", 'kind = "addon"\ntype = "amount"\nvalue = 15'))
    assert prices(answer) == [115] * 3
    assert [n.discount for n in answer.nights] == [-15] * 3


def test_later_discounts_apply_on_what_is_left_in_order_then_code(pr):
    answer = run(
        pr,
        pr.discount("B", 'type = "amount"\nvalue = 10\norder = 1'),
        pr.discount("A", 'type = "percent"\nvalue = 10\norder = 2'),
        pr.discount("C", 'type = "percent"\nvalue = 50\norder = 1'),
    )
    # order 1: B (10) then C (50% of 90 = 45); order 2: A (10% of 45 = 4.50)
    assert answer.applied == ["B", "C", "A"]
    assert prices(answer) == [Decimal("40.50")] * 3


def test_each_amount_is_rounded_half_up_when_taken(pr):
    answer = run(pr, pr.discount("P", 'type = "percent"\nvalue = 33.335'), contract=pr.contract(prices="dbl = 10.01"))
    # 10.01 * 33.335% = 3.3368... -> 3.34
    assert prices(answer) == [Decimal("6.67")] * 3


def test_stay_date_discount_only_on_nights_inside_its_stay(pr):
    d = pr.discount("P", 'type = "percent"\nvalue = 50\nstay = ["2026-06-02", "2026-06-30"]')
    assert prices(run(pr, d)) == [100, 50, 50]


def test_check_in_discount_on_all_nights_when_check_in_is_inside(pr):
    d = pr.discount("P", 'type = "percent"\nvalue = 50\nstay = ["2026-05-01", "2026-06-01"]\napplies_by = "check_in"')
    assert prices(run(pr, d)) == [50, 50, 50]
    assert reasons(run(pr, d, check_in=date(2026, 6, 2))) == {"P": "stay"}


def test_apply_alone_first_keeps_the_others_out(pr):
    answer = run(
        pr,
        pr.discount("ALONE", 'type = "percent"\nvalue = 10\norder = 1\napply_alone = true'),
        pr.discount("OTHER", 'type = "percent"\nvalue = 5\norder = 2'),
    )
    assert answer.applied == ["ALONE"] and reasons(answer) == {"OTHER": "apply_alone"}


def test_apply_alone_after_another_is_refused(pr):
    answer = run(
        pr,
        pr.discount("FIRST", 'type = "percent"\nvalue = 5\norder = 1'),
        pr.discount("ALONE", 'type = "percent"\nvalue = 10\norder = 2\napply_alone = true'),
    )
    assert answer.applied == ["FIRST"] and reasons(answer) == {"ALONE": "apply_alone"}


@pytest.mark.parametrize("first, second", [('incompatible_with = ["B"]', ""), ("", 'incompatible_with = ["A"]')])
def test_incompatible_either_way(pr, first, second):
    answer = run(
        pr,
        pr.discount("A", f'type = "percent"\nvalue = 10\norder = 1\n{first}'),
        pr.discount("B", f'type = "percent"\nvalue = 10\norder = 2\n{second}'),
    )
    assert answer.applied == ["A"] and reasons(answer) == {"B": "incompatible"}


def test_manual_only_when_named(pr):
    d = pr.discount("M", 'type = "amount"\nvalue = 20\nmanual = true')
    assert reasons(run(pr, d)) == {"M": "manual"}
    assert prices(run(pr, d, discounts=["M"])) == [80] * 3


def test_inactive_never_applies(pr):
    d = pr.discount("I", 'type = "amount"\nvalue = 20\ninactive = true')
    assert reasons(run(pr, d, discounts=["I"])) == {"I": "inactive"}


def test_unknown_named_discount_is_refused(pr):
    assert reasons(run(pr, discounts=["NOPE"])) == {"NOPE": "unknown"}


@pytest.mark.parametrize(
    "body, rules, request_, reason",
    [
        ('room_types = ["FAM"]', "", {}, "room_types"),
        ('sales = ["2026-02-01", "2026-03-01"]', "", {}, "sales"),
        ('stay = ["2026-07-01", "2026-07-31"]', "", {}, "stay"),
        ("", "min_stay = 4", {}, "min_stay"),
        ("", "max_stay = 2", {}, "max_stay"),
        ("", "min_days_before = 200", {}, "min_days_before"),
        ("", "max_days_before = 100", {}, "max_days_before"),
        ("", 'check_in_days = ["sat"]', {}, "check_in_days"),
        ("", "min_adults = 3", {}, "min_adults"),
    ],
)
def test_each_discount_rule_refuses_with_its_reason(pr, body, rules, request_, reason):
    head_extra = '\n[[rate_codes]]\ncode = "R2"\n'
    cs = pr.set(
        pr.contract(), pr.discount("D", f'type = "percent"\nvalue = 10\n{body}', rules), head=pr.HEAD + head_extra
    )
    answer = pr.quote(cs, pr.stay(**request_))
    assert answer.ok and reasons(answer) == {"D": reason}
    assert prices(answer) == [100] * 3


def test_contract_allowed_discounts(pr):
    c = pr.contract(keys='allowed_discounts = ["OK"]')
    answer = run(
        pr, pr.discount("OK", 'type = "amount"\nvalue = 5'), pr.discount("NO", 'type = "amount"\nvalue = 5'), contract=c
    )
    assert answer.applied == ["OK"] and reasons(answer) == {"NO": "allowed_discounts"}


# -- promotions -----------------------------------------------------------------------
def promo_run(pr, body, *extra, **request):
    request.setdefault("promo", "PR")
    uses = request.pop("uses", 0)
    return run(pr, pr.promotion("PR", body), *extra, promo_uses=uses, **request)


@pytest.mark.parametrize(
    "body, expected",
    [
        ('type = "percent"\nvalue = 10', [90, 90, 90]),
        ('type = "per_night"\nvalue = 7.5', [Decimal("92.50")] * 3),
        ('type = "per_person_night"\nvalue = 3', [94, 94, 94]),
        ('type = "per_reservation"\nvalue = 10', [Decimal("96.67"), Decimal("96.67"), Decimal("96.66")]),
    ],
)
def test_promotion_types(pr, body, expected):
    answer = promo_run(pr, body)
    assert prices(answer) == expected and answer.applied == ["PR"]


def test_promotion_applies_after_discounts(pr):
    answer = promo_run(pr, 'type = "percent"\nvalue = 10', pr.discount("D", 'type = "amount"\nvalue = 50'))
    assert prices(answer) == [45] * 3 and answer.applied == ["D", "PR"]


def test_promotion_skips_excluded_nights(pr):
    answer = promo_run(pr, 'type = "per_night"\nvalue = 10\nexcluded = [["2026-06-02", "2026-06-02"]]')
    assert prices(answer) == [90, 100, 90]


@pytest.mark.parametrize(
    "body, request_, reason",
    [
        ('sales = ["2026-03-01", "2026-03-31"]', {}, "sales"),
        ('stay = ["2026-07-01", "2026-07-31"]', {}, "stay"),
        ('excluded = [["2026-05-01", "2026-06-30"]]', {}, "stay"),
        ("min_stay = 4", {}, "min_stay"),
        ('room_types = ["FAM"]', {}, "room_types"),
        ("min_total = 301", {}, "min_total"),
        ("max_uses = 5", {"uses": 5}, "max_uses"),
    ],
)
def test_promotion_refusals_leave_the_stay_priced(pr, body, request_, reason):
    answer = promo_run(pr, f'type = "percent"\nvalue = 10\n{body}', **request_)
    assert answer.ok and reasons(answer) == {"PR": reason} and prices(answer) == [100] * 3


def test_promotion_min_total_counts_what_is_left_after_discounts(pr):
    answer = promo_run(
        pr, 'type = "percent"\nvalue = 10\nmin_total = 300', pr.discount("D", 'type = "amount"\nvalue = 1')
    )
    assert reasons(answer) == {"PR": "min_total"}


def test_promotion_under_its_max_uses_applies(pr):
    assert promo_run(pr, 'type = "percent"\nvalue = 10\nmax_uses = 5', uses=4).applied == ["PR"]


def test_unknown_promotion_is_refused(pr):
    answer = run(pr, promo="NOPE")
    assert answer.ok and reasons(answer) == {"NOPE": "unknown"}
