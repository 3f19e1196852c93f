"""Loading and validating contracts files: every problem named by file, entry and field; nothing half-loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.pricing import ContractsError, load_contracts

SPEC = Path(__file__).parent / "data" / "spec.toml"


def problems(text: str) -> list[str]:
    with pytest.raises(ContractsError) as caught:
        load_contracts(text, source="f.toml")
    return caught.value.problems


def spec_with(old: str, new: str) -> str:
    text = SPEC.read_text()
    assert old in text
    return text.replace(old, new, 1)


def test_the_spec_file_loads_with_its_entries():
    cs = load_contracts(SPEC)
    assert cs.source == str(SPEC)
    assert [c.label for c in cs.contracts] == ["TUI26-S1"]
    assert cs.contracts[0].prices.pp_dbl == 60
    assert cs.by_key[("TUI26", "DBL", "UAI")] == cs.contracts
    assert [d.code for d in cs.discounts] == ["EB20"] and list(cs.promotions) == ["SPRING5"]


def test_problem_names_file_entry_and_field():
    assert problems(spec_with("dbl = 120", 'dbl = "abc"')) == [
        'f.toml: contracts[1] (code "TUI26-S1"): prices.dbl: must be a number, got "abc"'
    ]


def test_every_problem_is_listed():
    text = (
        spec_with("dbl = 120", 'dbl = "abc"')
        .replace("value = 20", 'value = "x"')
        .replace('check_in_days = ["mon", "fri"]', 'check_in_days = ["monday"]')
    )
    found = problems(text)
    assert len(found) == 3
    assert any('discounts[1] (code "EB20"): value: must be a number' in p for p in found)
    assert any("rules.check_in_days: must be a list of weekdays" in p for p in found)


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('rate_code = "TUI26"', 'rate_code = "XX"', 'rate_code: unknown rate code "XX"'),
        ('room_types = ["DBL"]\nboard', 'room_types = ["SUITE"]\nboard', 'room_types: unknown room type "SUITE"'),
        ('board = "AI"', 'board = "XX"', 'board: unknown board "XX"'),
        (
            'stay = ["2026-05-01", "2026-06-30"]',
            'stay = ["2026-06-30", "2026-05-01"]',
            "stay: ends (2026-05-01) before",
        ),
        ('stay = ["2026-05-01", "2026-06-30"]', 'stay = ["2026-05-01", "2026-02-30"]', "stay: must be a date"),
        ('price_basis = "stay_date"', 'price_basis = "nightly"', "price_basis: must be one of stay_date, check_in"),
        ("min_stay = 3", "min_stay = 3\nmin_sty = 4", "rules.min_sty: unknown key"),
        ('older = "50%" }', 'older = "half" }', 'children.first.older: must be an amount or "N%"'),
        ("UAI = { adult = 20", "UAI = { adults = 20", 'supplements.UAI.adults: must be "adult" or a child band'),
        ("night_total = 500", "", "special_cases[1].night_total: is required"),
        ("incompatible_with = []", 'incompatible_with = ["EB99"]', 'incompatible_with: unknown discount "EB99"'),
        ('type = "percent"            #', 'type = "pct"            #', "type: must be one of percent"),
        ('excluded = [["2026-05-15", "2026-05-20"]]', 'excluded = [["2026-05-15"]]', "excluded: must be [first, last]"),
    ],
)
def test_named_problems(old, new, expected):
    found = problems(spec_with(old, new))
    assert any(expected in p for p in found), found
    assert all(p.startswith("f.toml: ") for p in found)


def test_duplicate_codes_are_refused():
    text = SPEC.read_text()
    start = text.index("[[discounts]]")
    end = text.index("[[promotions]]")
    found = problems(text + "\n" + text[start:end])
    assert any('discounts[2] (code "EB20"): code: "EB20" is used by an earlier entry' in p for p in found)


def test_one_price_form():
    found = problems(spec_with("quad = 200", "quad = 200\nunit = 150"))
    assert any("prices: give one price form" in p for p in found)


def test_not_toml_names_the_file():
    assert problems("contracts = [")[0].startswith("f.toml: not valid TOML")


def test_unknown_table():
    assert "f.toml: contract: unknown table" in problems('[[contract]]\ncode = "x"')[0]


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ContractsError, match="nothing.toml: file not found"):
        load_contracts(tmp_path / "nothing.toml")


def test_contract_daily_needs_a_daily_base():
    text = (
        '[[rate_codes]]\ncode = "A"\n[[rate_codes]]\ncode = "B"\nuse_prices = "contract_daily"\nbase_rate_code = "A"\n'
    )
    assert any("base_rate_code: rate code A does not use daily prices" in p for p in problems(text))


def test_overlapping_child_bands_are_refused():
    text = '[[rate_codes]]\ncode = "A"\nchild_bands = [{name="a", min=0, max=5}, {name="b", min=4, max=9}]\n'
    assert any("child_bands[2].min: overlaps" in p for p in problems(text))
