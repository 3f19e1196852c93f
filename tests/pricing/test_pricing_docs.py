"""docs/contracts.md's examples load and price as the page says; the pricing docs point only inside the repository."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from core.pricing import QuoteRequest, load_contracts, quote

DOCS = Path(__file__).parents[2] / "docs"


def toml_blocks(page: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", (DOCS / page).read_text(), flags=re.S)


def test_the_whole_file_example_loads_and_prices_as_the_page_says():
    whole = load_contracts(toml_blocks("contracts.md")[0], source="docs/contracts.md")
    answer = quote(whole, QuoteRequest("TUI26", "DBL", "AI", date(2026, 5, 1), 7, 2, [], date(2025, 12, 1)))
    assert answer.as_dict()["totals"] == {"contract_price": "840.00", "discount": "168.00", "price": "672.00"}
    with_children = quote(whole, QuoteRequest("TUI26", "DBL", "AI", date(2026, 5, 1), 7, 2, [4, 8], date(2025, 12, 1)))
    assert with_children.total == 1008 and answer.rate_type == "NRF"


def test_the_web_rate_example_gives_the_figures_of_the_page():
    web = load_contracts(next(b for b in toml_blocks("contracts.md") if 'code = "WEB-DE"' in b), source="web")

    def ask(**changes):
        values = dict(
            rate_code="WEB",
            room_type="DBL",
            board="BB",
            adults=2,
            check_in=date(2026, 7, 1),
            nights=4,
            booked=date(2026, 2, 10),
            nationality="DE",
            promo="NRF5",
        )
        values.update(changes)
        return quote(web, QuoteRequest(**values))

    assert str(ask().total) == "323.00" and ask().applied == ["sales_period:2026-01-01", "WKEND", "NRF5"]
    assert str(ask(nationality="GB").total) == "420.00"
    senior = dict(booked=date(2026, 5, 2), adult_ages=[67], check_in=date(2026, 7, 2), nights=2, promo="")
    assert str(ask(**senior).total) == "171.00"
    assert ask(**senior, previous_stays=4).errors[0]["rule"] == "max_arrival"


def test_pricing_docs_send_the_reader_nowhere_outside_the_repository():
    for page in ("contracts.md", "pricing.md"):
        text = (DOCS / page).read_text()
        assert "shared/" not in text and "SPEC" not in text and "http" not in text, page
    assert "(contracts.md)" in (DOCS / "pricing.md").read_text()
