"""Builders for the pricing tests: a small contracts file assembled from TOML pieces, and stays to quote."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.pricing import ContractSet, Quote, QuoteRequest, load_contracts, quote

SPEC_FILE = Path(__file__).parent / "data" / "spec.toml"

HEAD = """
[hotel]
code = "TEST"
currency = "EUR"
vat_percent = 10

[[room_types]]
code = "DBL"
max_adults = 3
max_persons = 4

[[room_types]]
code = "FAM"
max_adults = 5
max_persons = 7

[[boards]]
code = "BB"

[[boards]]
code = "HB"

[[boards]]
code = "AI"

[[rate_codes]]
code = "R"
child_bands = [
  { name = "infant", min = 0, max = 1.99 },
  { name = "young", min = 2, max = 6.99 },
  { name = "older", min = 7, max = 12.99 },
]
"""

OCCUPANCY = "sgl = 70\ndbl = 100\ntrp = 140\nquad = 170\nextra_bed = 30"


def contract(
    code: str = "C1",
    *,
    stay: tuple[str, str] = ("2026-06-01", "2026-06-30"),
    prices: str = OCCUPANCY,
    keys: str = "",
    rules: str = "",
    children: str = "",
    supplements: str = "",
    special: str = "",
    rate_code: str = "R",
    rooms: str = '["DBL", "FAM"]',
    board: str = "BB",
) -> str:
    text = (
        f'\n[[contracts]]\ncode = "{code}"\nrate_code = "{rate_code}"\nroom_types = {rooms}\n'
        f'board = "{board}"\nstay = ["{stay[0]}", "{stay[1]}"]\n{keys}\n[contracts.prices]\n{prices}\n'
    )
    for name, body in (("children", children), ("supplements", supplements), ("rules", rules)):
        if body:
            text += f"[contracts.{name}]\n{body}\n"
    if special:
        text += f"[[contracts.special_cases]]\n{special}\n"
    return text


def discount(code: str, body: str, rules: str = "") -> str:
    text = f'\n[[discounts]]\ncode = "{code}"\n{body}\n'
    return text + (f"[discounts.rules]\n{rules}\n" if rules else "")


def promotion(code: str, body: str) -> str:
    return f'\n[[promotions]]\ncode = "{code}"\n{body}\n'


def contracts_set(*pieces: str, head: str = HEAD) -> ContractSet:
    return load_contracts(head + "".join(pieces), source="test.toml")


def stay(**changes: Any) -> QuoteRequest:
    values: dict[str, Any] = dict(
        rate_code="R",
        room_type="DBL",
        board="BB",
        check_in=date(2026, 6, 1),
        nights=3,
        adults=2,
        child_ages=[],
        booked=date(2026, 1, 10),
    )
    values.update(changes)
    return QuoteRequest(**values)


def priced(cs: ContractSet, **changes: Any) -> Quote:
    answer = quote(cs, stay(**changes.pop("request", {})), **changes)
    assert answer.ok, answer.errors
    return answer


@pytest.fixture
def spec_set() -> ContractSet:
    return load_contracts(SPEC_FILE)


@pytest.fixture
def pr() -> SimpleNamespace:
    """The builders, as one fixture (test modules cannot import each other under importlib mode)."""
    return SimpleNamespace(
        contract=contract,
        discount=discount,
        promotion=promotion,
        set=contracts_set,
        stay=stay,
        priced=priced,
        quote=quote,
        OCCUPANCY=OCCUPANCY,
        HEAD=HEAD,
    )
