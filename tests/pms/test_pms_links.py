"""The PMS's number once linked: the voucher check, the hotel book import, the report, the board and the detail."""

from __future__ import annotations

from pms.helpers import run, run_json, with_pms
from support.desk import booking, drop, scan

from connectors.simulate.pms import PmsServer, SimPms
from core.store import Store


def test_a_saved_booking_linked_to_a_pms_number_passes_its_voucher_check(desk, tmp_path):
    with PmsServer(SimPms()) as server:
        cfg = with_pms(desk, **server.entry())
        drop(cfg, "a.json", booking("V1"))
        scan(cfg)
        run(cfg, "save", "1")
        assert run_json(cfg, "pms", "send")[1]["items"][0]["pms_number"] == "SIMPMS-00001"
    # The hotel imports the PMS's own list: the same booking, under the PMS's number.
    export = tmp_path / "pms.csv"
    export.write_text(
        "number,room,check_in,check_out,operator,voucher,guest_names\n"
        f"SIMPMS-00001,STD,{booking().check_in},{booking().check_out},tui,V1,Yılmaz Ayşe\n"
    )
    result = run(cfg, "import-reservations", str(export))
    assert result.exit_code == 0, result.output
    shown = run_json(cfg, "show", "1")[1]
    assert shown["checks"]["voucher"]["state"] == "ok", shown["checks"]["voucher"]
    assert shown["hotel_number"] == "T000001" and shown["pms_number"] == "SIMPMS-00001"
    with Store(cfg.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM hotel_reservations") == 1


def test_voucher_check_knows_a_booking_held_under_the_pms_number(desk):
    with PmsServer(SimPms()) as server:
        cfg = with_pms(desk, **server.entry())
        drop(cfg, "a.json", booking("V1"))
        scan(cfg)
        run(cfg, "save", "1")
        run(cfg, "pms", "send")
    with Store(cfg.store_path) as store, store.transaction() as c:
        # A copy under the PMS's number that holds the voucher (imported before opdesk knew the number).
        hid = c.execute(
            "INSERT INTO hotel_reservations(number, check_in, check_out, created_at, updated_at) "
            "VALUES ('SIMPMS-00001', '2030-01-01', '2030-01-02', 'x', 'x')"
        ).lastrowid
        c.execute("UPDATE hotel_vouchers SET hotel_reservation_id = ? WHERE voucher = 'V1'", (hid,))
    from core.ingest import recheck

    with Store(cfg.store_path) as store:
        recheck(store, cfg)
    assert run_json(cfg, "show", "1")[1]["checks"]["voucher"]["state"] == "ok"


def test_report_counts_deliveries(desk):
    cfg = with_pms(desk, kind="files", folder="out")
    drop(cfg, "a.json", booking("V1"), booking("V2"))
    scan(cfg)
    run(cfg, "save", "1")
    run(cfg, "pms", "send")
    run(cfg, "save", "2")
    with Store(cfg.store_path) as store:
        day = store.scalar("SELECT created_at FROM pms_deliveries")[:10]
    code, report = run_json(cfg, "report", "--from", day, "--to", day)
    assert code == 0 and report["pms"] == {"waiting": 1, "sent": 1, "failed": 0}
    text = run(cfg, "report", "--from", day, "--to", day).stdout
    assert "PMS deliveries: 1 waiting, 1 sent, 0 failed" in text


def test_a_voucher_saved_onto_a_booking_imported_from_the_pms_changes_the_pms_s_own(desk, tmp_path):
    with PmsServer(SimPms()) as server:
        cfg = with_pms(desk, **server.entry())
        export = tmp_path / "pms.csv"
        export.write_text(
            "number,room,check_in,check_out,operator,voucher\n"
            f"PR-5,STD,{booking().check_in},{booking().check_out},tui,V1\n"
        )
        assert run(cfg, "import-reservations", str(export)).exit_code == 0
        drop(cfg, "a.json", booking("V1"))
        scan(cfg)
        run(cfg, "save", "1")
        [item] = run_json(cfg, "pms", "send")[1]["items"]
        assert item["content"] == "change"
        [received] = server.pms.received
    assert (received["id"], received["status"], received["pms_number_sent"]) == ("PR-5", "Modify", "PR-5")
