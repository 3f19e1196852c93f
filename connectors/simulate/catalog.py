"""What each simulated operator sells of the demo hotel, in that operator's own codes.

Every table maps the operator's code to the demo hotel's (Sunbeach Resort Side):
rooms SGL STD SV FAM SUI VIL, boards BB HB FB AI UAI, markets UK DE RU PL TR NL.
The tables come from ``core.demo``; AlpineBits operators send AlpineBits meal plan
codes (1 all inclusive, 10 full board, 12 half board); JSON operators their own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core import demo


@dataclass(frozen=True)
class OperatorCatalog:
    name: str  # the operator's short name in config
    title: str
    kind: str  # the connector kind the simulator speaks
    agency: str  # agency code it sends
    rate: str  # its rate plan code
    hotel_rate: str  # the demo hotel's rate code for it
    markets: dict[str, str]  # market code it sends -> hotel market
    rooms: dict[str, str] = field(default_factory=dict)
    boards: dict[str, str] = field(default_factory=dict)


def _from_demo(op: demo.DemoOperator) -> OperatorCatalog:
    kind = op.demo_kind if op.demo_kind in ("ota-pull", "jsonapi") else "ota-pull"
    return OperatorCatalog(
        op.name,
        op.title,
        kind,
        op.agency,
        op.sent_rate,
        op.rate_code,
        {m: m for m in op.markets},
        rooms=dict(op.rooms),
        boards=dict(op.boards),
    )


# The demo hotel's operators (core.demo is the one place their codes are written down).
CATALOG: dict[str, OperatorCatalog] = {op.name: _from_demo(op) for op in demo.OPERATORS}

# Left out of demo_mappings() on purpose, so the demo shows red "missing mapping" rows
# and a new user sees how `opdesk map set` fixes them.
LEFT_UNMAPPED = {(op.name, kind, code) for op in demo.OPERATORS for kind, code in op.unmapped}


def catalog_for(operator: str) -> OperatorCatalog:
    """The operator's table; an unknown name borrows TUI's codes under its own agency."""
    if operator in CATALOG:
        return CATALOG[operator]
    base = CATALOG["tui"]
    code = operator.upper()[:8] or "OP"
    return OperatorCatalog(
        operator,
        operator,
        base.kind,
        code,
        f"{code}26",
        base.hotel_rate,
        base.markets,
        rooms=base.rooms,
        boards=base.boards,
    )


def demo_mappings() -> list[tuple[str, str, str, str]]:
    """``(operator, kind, operator code, hotel code)`` for the demo, less ``LEFT_UNMAPPED``."""
    return demo.mappings()
