"""The pipeline end to end: drop folder -> store -> versions -> mapping -> checks -> actions."""

from __future__ import annotations

import json
from datetime import timedelta

from support.desk import TODAY, booking, drop, scan

from core.audit import Actor
from core.desk import ActionRefused, clean_selection, confirm, reject, save
from core.hotelbook import add_stop_sale
from core.inbox import InboxFilter, counts_by_status, reservation_json
from core.ingest import remap_after_mapping
from core.mapping import set_mapping
from core.models import Content
from core.store import Store

ACTOR = Actor("tester", "cli")


def ok_replier(action, reservation, *, hotel_number, reason):
    return "sent"


def test_dropped_file_becomes_an_inbox_row_and_is_filed(desk):
    path = drop(desk, "a.json", booking("V1"))
    [result] = scan(desk)
    assert result.new == 1 and result.ok
    assert not path.exists()
    assert (desk.base_dir / "drop" / "processed" / "a.json").exists()
    with Store(desk.store_path) as store:
        row = reservation_json(store, result.reservation_ids[0])
    assert row["voucher"] == "V1" and row["content"] == "new" and row["status"] == "pending"
    assert row["hotel_room"] == "STD" and row["missing_mappings"] == []
    assert row["guests"][0] == {"first_name": "Ayşe", "last_name": "Yılmaz", "age": None}
    assert row["checks"]["price"]["state"] == "no contract"  # never "ok" without contracts
    assert set(row["checks"]) == {"price", "values", "stop_sale", "voucher", "release", "overbooking"}


def test_same_file_dropped_five_times_is_one_message_and_one_version(desk):
    for _ in range(5):
        drop(desk, "same.json", booking("V1"))
        scan(desk)
    with Store(desk.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM raw_messages") == 1
        assert store.scalar("SELECT COUNT(*) FROM operator_reservations") == 1
    processed = list((desk.base_dir / "drop" / "processed").iterdir())
    assert len(processed) == 5  # every copy is kept, none deleted


def test_unchanged_resend_in_other_bytes_adds_no_version(desk):
    drop(desk, "a.json", booking("V1"))
    scan(desk)
    body = (desk.base_dir / "drop" / "processed" / "a.json").read_bytes()
    (desk.base_dir / "drop" / "b.json").write_bytes(body.replace(b"{", b"{ ", 1))
    [result] = scan(desk)
    assert result.unchanged == 1 and not result.reservation_ids


def test_change_gets_a_version_with_a_field_diff(desk):
    drop(desk, "1.json", booking("V1"))
    scan(desk)
    drop(desk, "2.json", booking("V1", Content.CHANGE, nights=9, total="1260.00"))
    [result] = scan(desk)
    assert result.changed == 1
    with Store(desk.store_path) as store:
        row = reservation_json(store, result.reservation_ids[0])
        old = store.one("SELECT is_latest FROM operator_reservations WHERE voucher='V1' AND version=1")
    assert row["version"] == 2 and row["content"] == "change"
    assert row["diff"]["total"] == ["980.00", "1260.00"]
    assert row["diff"]["check_out"][1] == (TODAY + timedelta(days=39)).isoformat()
    assert old["is_latest"] == 0


def test_change_before_new_is_kept_and_flagged(desk):
    drop(desk, "c.json", booking("V9", Content.CHANGE))
    [result] = scan(desk)
    with Store(desk.store_path) as store:
        row = reservation_json(store, result.reservation_ids[0])
    assert row["content"] == "change" and "change_before_new" in row["flags"]
    drop(desk, "n.json", booking("V9", nights=8))
    [later] = scan(desk)
    assert later.reservation_ids, "the late 'new' must still be kept as a version"
    with Store(desk.store_path) as store:
        late = reservation_json(store, later.reservation_ids[0])
    assert late["version"] == 2 and late["content"] == "change" and late["flags"] == ["new_after_other_versions"]


def test_cancel_of_an_unknown_voucher_is_kept_and_flagged(desk):
    drop(desk, "x.json", booking("NOPE", Content.CANCEL))
    [result] = scan(desk)
    assert result.cancelled == 1
    with Store(desk.store_path) as store:
        row = reservation_json(store, result.reservation_ids[0])
        assert row["flags"] == ["cancel_of_unknown_voucher"]
        assert row["checks"]["voucher"]["state"] == "warn"
        [outcome] = save(store, desk, [row["id"]], ACTOR)
    assert outcome.ok and "nothing in the hotel book" in outcome.message


def test_mapping_added_later_remaps_pending_rows(desk):
    drop(desk, "a.json", booking("V1", room="XX"), booking("V2", room="XX"), booking("V3"))
    scan(desk)
    with Store(desk.store_path) as store:
        missing = store.all("SELECT voucher FROM operator_reservations WHERE missing_mappings LIKE '%room%'")
        assert sorted(r["voucher"] for r in missing) == ["V1", "V2"]
        [refused] = save(store, desk, [1], ACTOR)
        assert not refused.ok and "opdesk map set tui room XX" in refused.message
        set_mapping(store, "tui", "room", "XX", "STD")
        assert remap_after_mapping(store, desk, "tui", "room", "XX") == 2
        rows = store.all("SELECT hotel_room, missing_mappings FROM operator_reservations ORDER BY id")
    assert all(r["hotel_room"] == "STD" and r["missing_mappings"] == "[]" for r in rows)


def test_confirm_saves_into_the_book_and_answers_through_the_folder(desk):
    drop(desk, "a.json", booking("V1"))
    [result] = scan(desk)
    rid = result.reservation_ids[0]
    from tui.desk_actions import ConnectorReplier

    with Store(desk.store_path) as store:
        [outcome] = confirm(store, desk, [rid], ACTOR, ConnectorReplier(store, desk))
        assert outcome.ok and outcome.hotel_number == "T000001"
        book = store.one("SELECT * FROM hotel_reservations")
        assert book["room"] == "STD" and book["status"] == "active"
        assert store.scalar("SELECT voucher FROM hotel_vouchers") == "V1"
        assert reservation_json(store, rid)["status"] == "confirmed"
        actions = [r["action"] for r in store.all("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-2:] == ["save", "confirm"]
    reply = json.loads((desk.base_dir / "drop" / "outbox" / "V1-confirm.json").read_text())
    assert reply["hotel_number"] == "T000001" and reply["action"] == "confirm"


def test_change_then_cancel_update_and_cancel_the_hotel_booking(desk):
    drop(desk, "1.json", booking("V1"))
    scan(desk)
    with Store(desk.store_path) as store:
        confirm(store, desk, [1], ACTOR, ok_replier)
    drop(desk, "2.json", booking("V1", Content.CHANGE, nights=10))
    scan(desk)
    with Store(desk.store_path) as store:
        row = reservation_json(store, 2)
        assert row["checks"]["voucher"]["state"] == "ok"
        confirm(store, desk, [2], ACTOR, ok_replier)
        assert store.scalar("SELECT check_out FROM hotel_reservations") == (TODAY + timedelta(days=40)).isoformat()
    drop(desk, "3.json", booking("V1", Content.CANCEL))
    scan(desk)
    with Store(desk.store_path) as store:
        confirm(store, desk, [3], ACTOR, ok_replier)
        assert store.scalar("SELECT status FROM hotel_reservations") == "cancelled"
        assert store.scalar("SELECT COUNT(*) FROM hotel_reservations") == 1


def test_acting_on_an_old_version_is_refused(desk):
    drop(desk, "1.json", booking("V1"))
    scan(desk)
    drop(desk, "2.json", booking("V1", Content.CHANGE, nights=3))
    scan(desk)
    with Store(desk.store_path) as store:
        [outcome] = confirm(store, desk, [1], ACTOR, ok_replier)
    assert not outcome.ok and "act on #2" in outcome.message


def test_failed_delivery_keeps_the_row_pending(desk):
    drop(desk, "1.json", booking("V1"))
    scan(desk)

    def broken(action, reservation, *, hotel_number, reason):
        raise ConnectionError("operator endpoint refused the connection")

    with Store(desk.store_path) as store:
        [outcome] = confirm(store, desk, [1], ACTOR, broken)
        row = reservation_json(store, 1)
    assert not outcome.ok and "refused the connection" in outcome.message
    assert row["status"] == "pending" and row["reply_state"] == "failed"


def test_reject_needs_a_reason_and_records_it(desk):
    drop(desk, "1.json", booking("V1"))
    scan(desk)
    with Store(desk.store_path) as store:
        try:
            reject(store, desk, [1], ACTOR, "  ", ok_replier)
            raise AssertionError("a rejection without a reason must be refused")
        except ActionRefused:
            pass
        [outcome] = reject(store, desk, [1], ACTOR, "no rooms left", ok_replier)
        row = reservation_json(store, 1)
    assert outcome.ok and row["status"] == "rejected" and row["reject_reason"] == "no rooms left"


def test_checks_stop_sale_release_overbooking_and_duplicate_voucher(desk):
    with Store(desk.store_path) as store:
        add_stop_sale(store, ACTOR, TODAY + timedelta(days=60), TODAY + timedelta(days=62), "STD", reason="pool")
    drop(
        desk,
        "a.json",
        booking("STOP", days_ahead=58),  # overlaps the stop-sale
        booking("LATE", days_ahead=0, nights=2),  # release: booked today for today
        booking("BIG", days_ahead=100, rooms=11),  # 11 rooms of 10
        booking("OK1", days_ahead=200),
    )
    scan(desk)
    with Store(desk.store_path) as store:
        checks = {
            r["voucher"]: json.loads(r["checks"])
            for r in store.all("SELECT voucher, checks FROM operator_reservations")
        }
    assert checks["STOP"]["stop_sale"]["state"] == "fail" and "pool" in checks["STOP"]["stop_sale"]["message"]
    assert checks["OK1"]["stop_sale"]["state"] == "ok"
    assert checks["BIG"]["overbooking"]["state"] == "fail"
    assert checks["OK1"]["overbooking"]["state"] == "ok"
    assert checks["LATE"]["release"]["details"]["lead_days"] == 0


def test_release_days_from_config(desk):
    desk.data["checks"] = {"release_days": 7, "release_days_by_operator": {"other": 0}}
    drop(desk, "a.json", booking("SOON", days_ahead=3), booking("FAR", days_ahead=30))
    scan(desk)
    with Store(desk.store_path) as store:
        checks = {
            r["voucher"]: json.loads(r["checks"])["release"]["state"]
            for r in store.all("SELECT voucher, checks FROM operator_reservations")
        }
    assert checks == {"SOON": "fail", "FAR": "ok"}


def test_possible_match_by_surname_and_dates(desk):
    with Store(desk.store_path) as store:
        store.conn.execute(
            "INSERT INTO hotel_reservations(number, room, check_in, check_out, guest_names, created_at, updated_at) "
            "VALUES ('PMS1', 'STD', ?, ?, 'YILMAZ Ayse', '', '')",
            ((TODAY + timedelta(days=31)).isoformat(), (TODAY + timedelta(days=35)).isoformat()),
        )
    drop(desk, "a.json", booking("NEWV"), booking("OTHER", surname="Kaya"))
    scan(desk)
    with Store(desk.store_path) as store:
        checks = {
            r["voucher"]: json.loads(r["checks"])["voucher"]
            for r in store.all("SELECT voucher, checks FROM operator_reservations")
        }
    assert checks["NEWV"]["state"] == "warn" and "PMS1" in checks["NEWV"]["message"]
    assert checks["OTHER"]["state"] == "ok"


def test_clean_selection_skips_rows_with_reasons(desk):
    drop(desk, "a.json", booking("V1"), booking("V2", room="XX"))
    scan(desk)
    with Store(desk.store_path) as store:
        store.conn.execute(
            "UPDATE operator_reservations SET checks = json_set(checks, '$.price.state', 'ok'), "
            "clean = 1 WHERE voucher = 'V1'"
        )
        selection = clean_selection(store)
    assert selection.ready == [1]
    [skipped] = selection.skipped
    assert skipped["voucher"] == "V2" and "missing room mapping" in skipped["reasons"]


def test_inbox_counts_and_filters(desk):
    drop(desk, "a.json", booking("V1"), booking("V2", surname="Kowalski"), booking("V3"))
    scan(desk)
    with Store(desk.store_path) as store:
        reject(store, desk, [3], ACTOR, "full", ok_replier)
        assert counts_by_status(store, InboxFilter()) == {"pending": 2, "confirmed": 0, "rejected": 1, "all": 3}
        from core.inbox import list_rows

        found = list_rows(store, InboxFilter(status="all", search="kowal"))
    assert [r["voucher"] for r in found] == ["V2"]


def test_approval_rules_flag_rows_at_ingest_and_block_confirmation(desk):
    desk.data["approval"] = {"rules": {"min_persons": 4}}
    drop(desk, "a.json", booking("GROUP", adults=4), booking("COUPLE"))
    scan(desk)
    with Store(desk.store_path) as store:
        flags = {
            r["voucher"]: r["needs_approval"]
            for r in store.all("SELECT voucher, needs_approval FROM operator_reservations")
        }
        assert flags == {"GROUP": 1, "COUPLE": 0}
        [refused] = confirm(store, desk, [1], ACTOR, ok_replier)
        assert not refused.ok and "opdesk approval start 1" in refused.message
        desk.data["approval"] = {"rules": {"min_persons": 10}}
        from core.ingest import recheck

        recheck(store, desk)
        assert store.scalar("SELECT needs_approval FROM operator_reservations WHERE id = 1") == 0


def test_a_stop_sale_for_one_operator_leaves_the_others_open(desk):
    with Store(desk.store_path) as store:
        add_stop_sale(
            store,
            ACTOR,
            TODAY + timedelta(days=30),
            TODAY + timedelta(days=31),
            "STD",
            operator="other",
            reason="allotment used up",
        )
    drop(desk, "a.json", booking("V1"))
    scan(desk)
    with Store(desk.store_path) as store:
        assert json.loads(store.scalar("SELECT checks FROM operator_reservations"))["stop_sale"]["state"] == "ok"
        add_stop_sale(
            store,
            ACTOR,
            TODAY + timedelta(days=30),
            TODAY + timedelta(days=31),
            "STD",
            operator="tui",
            reason="allotment used up",
        )
        from core.ingest import recheck

        recheck(store, desk)
        check = json.loads(store.scalar("SELECT checks FROM operator_reservations"))["stop_sale"]
    assert check["state"] == "fail" and "allotment used up" in check["message"]
