"""`opdesk recheck --saved`: saved bookings priced again after a contract is corrected."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.audit import Actor
from core.config import Config
from core.desk import load_contracts_text, save
from core.ingest import Ingestor
from core.mapping import set_mapping
from core.models import OperatorBooking, RawMessage
from core.store import Store
from tui.cli import app

SPEC = Path(__file__).parent / "data" / "spec.toml"


@pytest.fixture
def desk(tmp_path):
    cfg_path = tmp_path / "opdesk.toml"
    cfg_path.write_text(f'[store]\npath = "{tmp_path / "opdesk.db"}"\n')
    config = Config(path=cfg_path, data={"store": {"path": str(tmp_path / "opdesk.db")}})
    store = Store(config.store_path, config.documents_dir)
    for kind, code, hotel in (("room", "DZ", "DBL"), ("board", "AL", "AI"), ("rate", "T", "TUI26")):
        set_mapping(store, "tui", kind, code, hotel)
    load_contracts_text(store, config, SPEC.read_text(), source=str(SPEC), actor="tester")

    def run(*args: str):
        return CliRunner().invoke(app, ["--config", str(cfg_path), "--as", "tester", *args])

    run.store, run.config, run.tmp = store, config, tmp_path
    yield run
    store.close()


def arrive(desk, voucher: str, check_in: date, check_out: date, *, saved: bool = True) -> int:
    booking = OperatorBooking(
        voucher=voucher,
        check_in=check_in,
        check_out=check_out,
        adults=2,
        room="DZ",
        board="AL",
        rate="T",
        currency="EUR",
        sale_date=date(2025, 12, 1),
        total=Decimal("672.00"),
    )
    raw = RawMessage(
        body=f"{voucher}[/]\x1b[31m".encode(),
        operator="tui",
        channel="folder",
        received_at=datetime(2025, 12, 1, tzinfo=timezone.utc),
    )
    [rid] = Ingestor(desk.store, desk.config).ingest(raw, lambda _raw: [booking]).reservation_ids
    if saved:
        [outcome] = save(desk.store, desk.config, [rid], Actor("tester", "cli"))
        assert outcome.ok, outcome.message
    return rid


def corrected(desk, old: str, new: str) -> None:
    path = desk.tmp / "corrected.toml"
    path.write_text(SPEC.read_text().replace(old, new))
    assert desk("contracts", "load", str(path)).exit_code == 0


def test_saved_bookings_whose_price_changed_are_listed_and_exit_1(desk):
    may = arrive(desk, "V-MAY[/]", date(2026, 5, 1), date(2026, 5, 8))
    june = arrive(desk, "V-JUNE", date(2026, 6, 5), date(2026, 6, 12))
    arrive(desk, "V-PENDING", date(2026, 5, 4), date(2026, 5, 11), saved=False)
    corrected(desk, "dbl = 120", "dbl = 110")
    result = desk("recheck", "--saved", "--json")
    assert result.exit_code == 1, result.output
    # 110 a night, EB20 takes 22: 88 x 7 = 616
    assert json.loads(result.stdout) == [
        {
            "id": may,
            "voucher": "V-MAY[/]",
            "check_in": "2026-05-01",
            "old": "672.00",
            "new": "616.00",
            "difference": "-56.00",
        },
        {
            "id": june,
            "voucher": "V-JUNE",
            "check_in": "2026-06-05",
            "old": "672.00",
            "new": "616.00",
            "difference": "-56.00",
        },
    ]
    row = desk.store.one("SELECT price_table, checks FROM operator_reservations WHERE id = ?", (may,))
    assert json.loads(row["price_table"])["contract_total"] == "616.00"
    assert json.loads(row["checks"])["price"]["state"] == "mismatch"
    audit = desk.store.all("SELECT actor, action, reservation_id FROM audit_log WHERE action = 'recheck.price'")
    assert audit == [
        {"actor": "tester", "action": "recheck.price", "reservation_id": may},
        {"actor": "tester", "action": "recheck.price", "reservation_id": june},
    ]
    again = desk("recheck", "--saved", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout) == []


def test_since_limits_to_check_ins_on_or_after_the_date(desk):
    arrive(desk, "V-MAY", date(2026, 5, 1), date(2026, 5, 8))
    june = arrive(desk, "V-JUNE", date(2026, 6, 5), date(2026, 6, 12))
    corrected(desk, "dbl = 120", "dbl = 110")
    result = desk("recheck", "--saved", "--since", "2026-06-05", "--json")
    assert result.exit_code == 1 and [c["id"] for c in json.loads(result.stdout)] == [june]


def test_nothing_changed_exits_0_and_says_so(desk):
    arrive(desk, "V-MAY", date(2026, 5, 1), date(2026, 5, 8))
    corrected(desk, "# informational", "# informational, still")
    result = desk("recheck", "--saved")
    assert result.exit_code == 0 and "1 saved booking(s) priced again: no expected price changed" in result.stdout


def test_readable_list_shows_operator_text_as_text(desk):
    arrive(desk, "V-[red]X[/red]\x1b[2J", date(2026, 5, 1), date(2026, 5, 8))
    corrected(desk, "dbl = 120", "dbl = 110")
    result = desk("recheck", "--saved")
    assert result.exit_code == 1
    assert "V-[red]X[/red]␛[2J" in result.stdout and "\x1b" not in result.stdout
    assert "616.00" in result.stdout and "-56.00" in result.stdout


def test_bare_recheck_checks_pending_rows_again(desk):
    arrive(desk, "V-PENDING", date(2026, 5, 1), date(2026, 5, 8), saved=False)
    arrive(desk, "V-SAVED", date(2026, 5, 1), date(2026, 5, 8))
    result = desk("recheck", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == {"rechecked": 1}, "saved bookings: --saved"
    assert desk("recheck", "--since", "2026-01-01").exit_code == 2


def test_loading_contracts_leaves_saved_bookings_to_recheck_saved(desk):
    saved = arrive(desk, "V-SAVED", date(2026, 5, 1), date(2026, 5, 8))
    pending = arrive(desk, "V-PENDING", date(2026, 5, 1), date(2026, 5, 8), saved=False)
    path = desk.tmp / "corrected.toml"
    path.write_text(SPEC.read_text().replace("dbl = 120", "dbl = 110"))
    loaded = desk("contracts", "load", str(path), "--json")
    assert json.loads(loaded.stdout)["rechecked"] == 1 and json.loads(loaded.stdout)["saved"] == 1

    def total(rid):
        return json.loads(desk.store.scalar("SELECT price_table FROM operator_reservations WHERE id = ?", (rid,)))[
            "contract_total"
        ]

    assert (total(saved), total(pending)) == ("672.00", "616.00")
    assert "opdesk recheck --saved" in desk("contracts", "load", str(path)).stdout
