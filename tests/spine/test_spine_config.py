"""config.example.toml is the reference: it must load, and every operator in it must be a known kind."""

from __future__ import annotations

from pathlib import Path

from connectors.base import connector_classes
from core.config import load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_the_example_config_loads_and_names_known_connector_kinds():
    config = load_config(EXAMPLE)
    kinds = connector_classes()
    assert config.operators, "the example lists the operators of the product brief"
    for op in config.operators:
        assert op.kind in kinds, f"{op.name}: unknown kind {op.kind}"
    assert config.section("hotel")["currency"] == "EUR"
    titles = " ".join(op.title for op in config.operators)
    for brief in (
        "alltours",
        "Anex",
        "easyJet",
        "ETS",
        "LOT",
        "Novanta",
        "Sejour",
        "JIL",
        "Suntalya",
        "Intourist",
        "Odeon",
        "Pegas",
        "Sedna",
        "Tatilbudur",
        "TUI Destimo",
        "TUI partners",
        "Ving",
        "Otelsnet",
        "JoinUP",
        "Sabre",
        "Prego",
    ):
        assert brief.lower() in titles.lower(), f"{brief} missing from config.example.toml"


def test_the_example_config_sets_every_scan_setting_to_its_default():
    from connectors.scan import ScanSettings

    section = load_config(EXAMPLE).section("scan")
    defaults = vars(ScanSettings())
    assert sorted(section) == sorted(defaults), "every [scan] setting is shown, commented, in the example"
    assert ScanSettings(**section) == ScanSettings(**defaults)
