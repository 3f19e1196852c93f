"""Every operator the product names has a profile in config.example.toml that works against its simulator.

Only what the hotel asks the operator for (URL, user, password, hotel code) is
replaced by the simulator's; every other setting of the profile is used as
written, so a profile that its connector cannot work with fails here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from connectors.base import Reply, connector_for
from connectors.scan import scan
from connectors.simulate.demo import operator_entry, sim_operator
from connectors.simulate.server import SimServer
from core.config import Config, load_config
from core.ingest import raw_from_row
from core.store import Store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
FAST = {
    "retries": 1,
    "backoff": 0.01,
    "backoff_max": 0.05,
    "request_timeout": 5,
    "operator_timeout": 20,
    "processes": 1,
}  # in this process: the passwords are set in its environment
ASKED_FOR = ("url", "username", "hotel_code")  # what the hotel gets from the operator, with the password
PROFILES = {
    "alltours": "ota-pull",
    "sejour": "hotel2sejour",
    "loti": "hotel2sejour",
    "novanta": "hotel2sejour",
    "jil": "hotel2sejour",
    "suntalya": "hotel2sejour",
    "intourist": "hotel2sejour",
    "odeon": "hotel2sejour",
    "sedna": "hotel2sejour",
    "tatilbudur": "hotel2sejour",
    "joinup": "hotel2sejour",
    "turprego": "hotel2sejour",
}
TITLES = {
    "sejour": "Hotel 2 Sejour",
    "loti": "LOTİ",
    "novanta": "Novanta",
    "jil": "JIL",
    "suntalya": "Suntalya",
    "intourist": "Intourist",
    "odeon": "Odeon Tours",
    "sedna": "Sedna",
    "tatilbudur": "Tatilbudur",
    "joinup": "JoinUP!",
    "turprego": "Tur Prego",
    "alltours": "alltours",
}


def example_entries() -> dict[str, dict]:
    return {e["name"]: dict(e) for e in load_config(EXAMPLE).data["operators"]}


def test_every_named_operator_has_its_profile_marked_to_be_confirmed():
    entries = example_entries()
    for name, kind in PROFILES.items():
        assert entries[name]["kind"] == kind, name
        assert entries[name]["title"] == TITLES[name]
        assert entries[name]["profile"] == "to be confirmed with the operator", name
        assert entries[name]["enabled"] is False, f"{name}: not enabled until the operator confirms it"
    assert entries["sabre"]["kind"] == "ota-soap" and entries["sabre"]["dialect"] == "synxis"
    docs = (ROOT / "docs" / "operators.md").read_text()
    for title in TITLES.values():
        row = next((line for line in docs.splitlines() if line.startswith(f"| {title} |")), "")
        assert row and "to be confirmed" in row and "simulator" in row, f"{title}: no row in docs/operators.md"


def test_every_profile_scans_and_confirms_against_its_simulator(tmp_path, monkeypatch):
    profiles = example_entries()
    ops = [sim_operator(name, kind=kind, initial=2) for name, kind in PROFILES.items()]
    for op in ops:
        op.title = TITLES[op.name]  # the agency name Hotel2Sejour lists the operator under
    with SimServer(ops) as server:
        entries = []
        for op in ops:
            simulated = operator_entry(op, server)
            monkeypatch.setenv(profiles[op.name]["password_env"], simulated["password"])  # as the profile reads it
            entries.append({**profiles[op.name], **{k: simulated[k] for k in ASKED_FOR}, "enabled": True})
        config = Config(
            tmp_path / "opdesk.toml",
            {"store": {"path": str(tmp_path / "opdesk.db")}, "scan": FAST, "operators": entries},
        )
        runs = {r.operator: r for r in asyncio.run(scan(config))}
        for op in ops:
            assert (runs[op.name].state, runs[op.name].new, runs[op.name].errors) == ("ok", 2, 0), (
                op.name,
                runs[op.name].last_error,
            )
        with Store(config.store_path) as store:
            for op in ops:
                row = store.one(
                    "SELECT * FROM operator_reservations WHERE operator = ? ORDER BY id LIMIT 1", (op.name,)
                )
                raw = store.one("SELECT * FROM raw_messages WHERE id = ?", (row["raw_id"],))
                connector_for(config.operator(op.name), config).confirm(
                    Reply(
                        op.name,
                        row["voucher"],
                        hotel_number="SB000001",
                        raw=raw_from_row(raw),
                        reservation={"content": row["content"]},
                    )
                )
    for op in ops:
        if op.kind == "hotel2sejour":
            assert [(r["answer"], r["hotel_number"]) for r in op.replies] == [("confirm", "SB000001")], op.name
        else:
            assert op.feed.unacked() == 0  # AlpineBits: read, acknowledged, confirmed


@pytest.mark.parametrize("path", ["config.example.toml", "docs/config-operators.toml"])
def test_the_profiles_say_what_to_ask_the_operator_for(path):
    text = (ROOT / path).read_text()
    assert text.count('profile = "to be confirmed with the operator"') == len(PROFILES)
