"""Properties of any quote: totals are sums of nights, no night goes negative, entry order in the file
does not matter, and a plain contract's total grows with nights."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.pricing import QuoteRequest, load_contracts, quote

HEAD = """
[hotel]
currency = "EUR"
vat_percent = 8
[[room_types]]
code = "DBL"
max_adults = 6
max_persons = 6
[[boards]]
code = "BB"
[[rate_codes]]
code = "R"
child_bands = [{ name = "young", min = 0, max = 5.99 }, { name = "older", min = 6, max = 11.99 }]
"""

SEASONS = [
    ("2026-05-01", "2026-05-31", "100.10"),
    ("2026-06-01", "2026-06-30", "133.33"),
    ("2026-07-01", "2026-08-31", "151.05"),
]

discount_st = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["discount", "discount", "addon"]),
        "type": st.sampled_from(["percent", "amount", "free_nights"]),
        "value": st.integers(min_value=1, max_value=100),
        "order": st.integers(min_value=0, max_value=3),
        "apply_alone": st.booleans(),
        "min_stay": st.integers(min_value=1, max_value=8),
        "start": st.integers(min_value=0, max_value=90),
    }
)


def contract_toml(n: int, first: str, last: str, dbl: str, vat: bool = False) -> str:
    return (
        f'[[contracts]]\ncode = "C{n}"\nrate_code = "R"\nroom_types = ["DBL"]\nboard = "BB"\n'
        f'stay = ["{first}", "{last}"]\nadd_vat = {str(vat).lower()}\n'
        f"[contracts.prices]\nsgl = {dbl}\ndbl = {dbl}\ntrp = {dbl}\nquad = {dbl}\nextra_bed = 20\n"
        f'[contracts.children]\nfirst = {{ young = 5, older = "33.3%" }}\n'
        f'second = {{ young = "17%", older = 9.99 }}\n'
        f"sgl_first = {{ young = 5, older = 9 }}\nsgl_second = {{ young = 5, older = 9 }}\n"
    )


def discount_toml(n: int, d: dict) -> str:
    value = min(d["value"], 3) if d["type"] == "free_nights" else d["value"]
    kind = "discount" if d["type"] == "free_nights" else d["kind"]
    start = date(2026, 5, 1) + timedelta(days=d["start"])
    return (
        f'[[discounts]]\ncode = "D{n}"\nkind = "{kind}"\ntype = "{d["type"]}"\nvalue = {value}\n'
        f"order = {d['order']}\napply_alone = {str(d['apply_alone']).lower()}\n"
        f'stay = ["{start}", "2026-08-31"]\n[discounts.rules]\nmin_stay = {d["min_stay"]}\n'
    )


def build(discounts: list[dict], shuffle: random.Random | None = None, vat: bool = False):
    contracts = [contract_toml(i, *s, vat=vat) for i, s in enumerate(SEASONS)]
    entries = [discount_toml(i, d) for i, d in enumerate(discounts)]
    if shuffle is not None:
        shuffle.shuffle(contracts)
        shuffle.shuffle(entries)
    promo = (
        '[[promotions]]\ncode = "P"\ntype = "per_reservation"\nvalue = 77.77\n'
        'excluded = [["2026-06-10", "2026-06-12"]]\n'
    )
    return load_contracts(HEAD + "\n".join(contracts + entries) + promo, source="prop.toml")


stay_st = st.fixed_dictionaries(
    {
        "offset": st.integers(min_value=0, max_value=100),
        "nights": st.integers(min_value=1, max_value=21),
        "adults": st.integers(min_value=1, max_value=3),
        "ages": st.lists(st.integers(min_value=0, max_value=15), max_size=2),
        "promo": st.sampled_from(["", "P"]),
    }
)


def request(s: dict) -> QuoteRequest:
    check_in = date(2026, 5, 1) + timedelta(days=s["offset"])
    nights = min(s["nights"], (date(2026, 8, 31) - check_in).days + 1)
    return QuoteRequest("R", "DBL", "BB", check_in, nights, s["adults"], s["ages"], date(2026, 1, 1), promo=s["promo"])


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(discount_st, max_size=5), stay_st, st.booleans())
def test_totals_are_sums_of_nights_and_nights_never_negative(discounts, s, vat):
    answer = quote(build(discounts, vat=vat), request(s))
    assert answer.ok, answer.errors
    totals = answer.totals
    assert totals["contract_price"] == sum(n.contract_price for n in answer.nights)
    assert totals["price"] == sum(n.price for n in answer.nights)
    assert totals["discount"] == totals["contract_price"] - totals["price"]
    for night in answer.nights:
        assert night.price >= 0
        assert night.price == night.contract_price - night.discount
        assert night.price == night.price.quantize(Decimal("0.01"))


@SETTINGS
@given(st.lists(discount_st, max_size=5), stay_st, st.randoms(use_true_random=False))
def test_answer_does_not_depend_on_entry_order(discounts, s, rnd):
    ordered = quote(build(discounts), request(s)).as_dict()
    shuffled = quote(build(discounts, shuffle=rnd), request(s)).as_dict()
    assert ordered == shuffled


@SETTINGS
@given(stay_st)
def test_plain_contract_total_grows_with_nights(s):
    cs = build([])
    s = {**s, "promo": "", "offset": min(s["offset"], 60)}
    shorter = quote(cs, request({**s, "nights": max(1, min(s["nights"], 20))}))
    longer = quote(cs, request({**s, "nights": max(1, min(s["nights"], 20)) + 1}))
    assert longer.totals["price"] > shorter.totals["price"]
