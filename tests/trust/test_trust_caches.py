"""What an operator sends never grows a cache beyond entries of bounded size: long or endless
variety of text is looked at every time, and only short keys are kept."""

from __future__ import annotations

from core.nationality import _alpha2_of, to_alpha2
from core.values_check import _is_currency, is_currency


def test_a_long_nationality_names_no_country_and_is_not_kept() -> None:
    _alpha2_of.cache_clear()
    assert to_alpha2("Germany " * 20_000) == ""
    assert to_alpha2("x" * 100_000) == ""
    assert _alpha2_of.cache_info().currsize == 0
    assert to_alpha2("  germany ") == "DE" and to_alpha2("GERMANY") == "DE"
    assert _alpha2_of.cache_info().currsize == 1  # both kept as the one tidied text


def test_only_three_letter_codes_are_kept_as_currencies() -> None:
    _is_currency.cache_clear()
    assert not is_currency("EUR" * 30_000)
    assert not is_currency("€UR")
    assert _is_currency.cache_info().currsize == 0
    assert is_currency("eur") and is_currency("TRY") and not is_currency("XYZ")
    assert _is_currency.cache_info().currsize == 3
