"""The price check run at ingest: an operator reservation quoted against the hotel's contracts."""

from __future__ import annotations

from core.checks import CheckContext, CheckOutcome, StayFacts
from core.models import CheckState


def check_price(facts: StayFacts, ctx: CheckContext) -> CheckOutcome:
    """Quote ``facts`` and compare with the operator's price.

    Until contracts are loaded there is nothing to compare with: the answer is
    "no contract", never "ok".
    """
    return CheckOutcome(CheckState.NO_CONTRACT, "no contracts loaded")
