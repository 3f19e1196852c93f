"""opdesk demo: the first thing a new user runs must give a realistic, working hotel."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from core.store import Store
from tui.cli import app


def test_demo_builds_a_realistic_hotel_and_scans_its_simulated_operators(tmp_path):
    folder = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--dir", str(folder), "--no-app", "--bookings", "300"])
    assert result.exit_code == 0, result.output
    config = folder / "opdesk.toml"
    assert "pending" in result.output and f"--config {config}" in result.output
    with Store(folder / "opdesk.db") as store:
        rows = store.all("SELECT * FROM operator_reservations")
        kinds = {
            r["operator"]: r
            for r in store.all("SELECT operator, COUNT(*) AS n FROM operator_reservations GROUP BY operator")
        }
        runs = store.all("SELECT operator, state, total FROM scan_runs")
        assert store.scalar("SELECT COUNT(*) FROM room_types") == 6
        assert store.scalar("SELECT COUNT(*) FROM hotel_reservations WHERE origin = 'import'") >= 60
        assert store.scalar("SELECT COUNT(*) FROM contract_sets WHERE active = 1") == 1
        assert store.scalar("SELECT COUNT(*) FROM stop_sales") == 2
    assert len(kinds) == 6 and all(r["n"] > 10 for r in kinds.values())
    assert {r["operator"] for r in runs} == set(kinds) and all(r["state"] == "ok" for r in runs)
    contents = {r["content"] for r in rows}
    assert contents == {"new", "change", "cancel"}
    checks = [json.loads(r["checks"]) for r in rows if r["is_latest"] and r["content"] != "cancel"]
    price_states = [c["price"]["state"] for c in checks]
    assert price_states.count("ok") > len(price_states) / 2, "most demo bookings price ok"
    assert "mismatch" in price_states
    assert any(c["stop_sale"]["state"] == "fail" for c in checks)
    assert any(c["voucher"]["state"] == "fail" for c in checks), "some vouchers are already in the PMS"
    assert any(json.loads(r["missing_mappings"]) for r in rows), "a few mappings are missing on purpose"
    assert any(r["status"] == "confirmed" for r in rows)
    ages = [a for r in rows for a in json.loads(r["child_ages"])]
    assert ages and min(ages) < 2 and max(ages) > 6
    names = " ".join(r["guest_names"] for r in rows)
    assert any(ch in names for ch in "ığşİ") and any(ch in names for ch in "ąłśż") and "ü" in names
    assert any("\u0400" <= ch <= "\u04ff" for ch in names), "Russian guests in Cyrillic"

    again = CliRunner().invoke(app, ["demo", "--dir", str(folder), "--no-app"])
    assert again.exit_code == 0, again.output
    with Store(folder / "opdesk.db") as store:
        later = store.all("SELECT voucher FROM operator_reservations WHERE id > ?", (max(r["id"] for r in rows),))
        assert all(r["voucher"][:3].isalpha() and r["voucher"][3:].isdigit() for r in later), (
            "a second start only adds the demo operators' own later messages"
        )
        assert store.scalar("SELECT COUNT(*) FROM hotel_reservations WHERE origin = 'import'") >= 60
        assert store.scalar("SELECT COUNT(*) FROM stop_sales") == 2, "a second start reuses the demo hotel"
