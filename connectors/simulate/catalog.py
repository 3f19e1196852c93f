"""What each simulated operator sells of the demo hotel, in that operator's own codes.

Every table maps the operator's code to the demo hotel's (Sunbeach Resort Side):
rooms SGL STD SV FAM SUI VIL, boards BB HB FB AI UAI, markets UK DE RU PL TR NL.
AlpineBits operators send AlpineBits meal plan codes (1 all inclusive, 3 bed and
breakfast, 10 full board, 12 half board); JSON operators send their own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OperatorCatalog:
    name: str                    # the operator's short name in config
    title: str
    kind: str                    # the connector kind the simulator speaks
    agency: str                  # agency code it sends
    rate: str                    # its rate plan code
    hotel_rate: str              # the demo hotel's rate code for it
    markets: dict[str, str]      # market code it sends -> hotel market
    rooms: dict[str, str] = field(default_factory=dict)
    boards: dict[str, str] = field(default_factory=dict)


OTA_BOARDS = {"1": "AI", "3": "BB", "10": "FB", "12": "HB"}

CATALOG: dict[str, OperatorCatalog] = {
    c.name: c for c in [
        OperatorCatalog("tui", "TUI", "ota-pull", "TUI", "TUIS26", "TUI26", {"GB": "UK", "DE": "DE", "NL": "NL"},
                        rooms={"DZX": "STD", "DZS": "SV", "FAM4": "FAM", "EZ": "SGL", "SUIT": "SUI", "VILLA": "VIL"},
                        boards=OTA_BOARDS),
        OperatorCatalog("jet2", "Jet2holidays", "ota-pull", "JET2", "J2SUM26", "JET26", {"GB": "UK"},
                        rooms={"DBL": "STD", "DBLSV": "SV", "FAMRM": "FAM", "SGL": "SGL", "STE": "SUI"},
                        boards=OTA_BOARDS),
        OperatorCatalog("hotelbeds", "Hotelbeds", "ota-pull", "HBEDS", "HB-NRF", "HBD26",
                        {"GB": "UK", "DE": "DE", "PL": "PL", "NL": "NL"},
                        rooms={"DBL.ST": "STD", "DBL.SV": "SV", "FAM.ST": "FAM", "SGL.ST": "SGL", "JSU.ST": "SUI"},
                        boards=OTA_BOARDS),
        OperatorCatalog("pegas", "Pegas Touristik", "jsonapi", "PEGAS", "PEG-2026", "PEG26", {"RU": "RU", "PL": "PL"},
                        rooms={"Standard": "STD", "Standard Sea View": "SV", "Family Room": "FAM",
                               "Single": "SGL", "Suite": "SUI", "Villa": "VIL"},
                        boards={"AI": "AI", "UAI": "UAI", "HB": "HB", "BB": "BB"}),
        OperatorCatalog("anex", "Anex Tour", "jsonapi", "ANEX", "ANX-S26", "ANX26", {"RU": "RU", "PL": "PL", "DE": "DE"},
                        rooms={"STD": "STD", "STD SV": "SV", "FAM": "FAM", "SNGL": "SGL", "SUITE": "SUI"},
                        boards={"ALL": "AI", "UALL": "UAI", "HB": "HB", "FB": "FB"}),
        OperatorCatalog("ets", "ETS Tur", "jsonapi", "ETS", "ETS-26", "ETS26", {"TR": "TR"},
                        rooms={"STANDART": "STD", "DENIZ": "SV", "AILE": "FAM", "TEK": "SGL", "SUIT": "SUI"},
                        boards={"HD": "AI", "UHD": "UAI", "YP": "HB", "OD": "BB", "TP": "FB"}),
    ]
}

# Left out of demo_mappings() on purpose, so the demo shows red "missing mapping" rows
# and a new user sees how `opdesk map set` fixes them.
LEFT_UNMAPPED = {("tui", "room", "VILLA"), ("pegas", "board", "UAI"), ("ets", "room", "SUIT")}


def catalog_for(operator: str) -> OperatorCatalog:
    """The operator's table; an unknown name borrows TUI's codes under its own agency."""
    if operator in CATALOG:
        return CATALOG[operator]
    base = CATALOG["tui"]
    code = operator.upper()[:8] or "OP"
    return OperatorCatalog(operator, operator, base.kind, code, f"{code}26", base.hotel_rate, base.markets,
                           rooms=base.rooms, boards=base.boards)


def demo_mappings() -> list[tuple[str, str, str, str]]:
    """``(operator, kind, operator code, hotel code)`` for the demo.

    Left out on purpose (the demo shows them as missing): TUI room ``VILLA``,
    Pegas board ``UAI`` and ETS room ``SUIT``.
    """
    rows: list[tuple[str, str, str, str]] = []
    for c in CATALOG.values():
        rows += [(c.name, "room", code, hotel) for code, hotel in c.rooms.items()]
        rows += [(c.name, "board", code, hotel) for code, hotel in c.boards.items()]
        rows += [(c.name, "market", code, hotel) for code, hotel in c.markets.items()]
        rows.append((c.name, "rate", c.rate, c.hotel_rate))
        rows.append((c.name, "agency", c.agency, c.agency))
    return [r for r in rows if r[:3] not in LEFT_UNMAPPED]
