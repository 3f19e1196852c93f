"""Every action of the app, driven by keys, asserted on the store afterwards."""

from __future__ import annotations

import json

from tui.screens.detail import DetailScreen
from tui.screens.mapping_fix import MappingFixModal
from tui.widgets.confirmation import ConfirmModal, RejectModal
from tui.widgets.inbox_table import InboxTable


async def _open_inbox_on(pilot, desk, voucher: str, settle) -> None:
    await settle(pilot)
    table = pilot.app.screen.query_one(InboxTable)
    table.move_cursor(row=table.page_ids.index(desk.id_of(voucher)))
    await pilot.pause()


def _audit(desk, action: str) -> list[dict]:
    return desk.store.all("SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,))


async def test_confirm_one_row_after_asking(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_inbox_on(pilot, desk, "TUI1001", settle)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmModal)
        assert "STD: tightest night" in app.screen.body
        await pilot.press("y")
        await settle(pilot)
        row = desk.row("TUI1001")
        assert row["status"] == "confirmed" and row["decided_by"] == "night"
        number = desk.store.scalar("SELECT number FROM hotel_reservations WHERE id = ?", (row["hotel_reservation_id"],))
        assert desk.replier.sent == [{"action": "confirm", "voucher": "TUI1001", "hotel_number": number, "reason": ""}]
        audit = _audit(desk, "confirm")
        assert [(a["reservation_id"], a["actor"], a["origin"]) for a in audit] == [(row["id"], "night", "app")]
        assert any("TUI1001" in str(n.message) for n in app._notifications)
        assert "TUI1001" not in [r["voucher"] for r in app.screen.query_one(InboxTable).rows_by_id.values()]


async def test_cancelling_the_modal_changes_nothing(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_inbox_on(pilot, desk, "TUI1001", settle)
        await pilot.press("c", "n")
        await settle(pilot)
        assert desk.row("TUI1001")["status"] == "pending"
        assert desk.replier.sent == [] and _audit(desk, "confirm") == []


async def test_reject_needs_a_reason_and_tells_the_operator(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_inbox_on(pilot, desk, "JET2001", settle)
        await pilot.press("x")
        assert isinstance(app.screen, RejectModal)
        await pilot.press("enter")  # no reason yet: refused, the modal stays
        assert isinstance(app.screen, RejectModal)
        await pilot.press(*"no rooms left", "enter")
        await settle(pilot)
        row = desk.row("JET2001")
        assert (row["status"], row["reject_reason"]) == ("rejected", "no rooms left")
        assert desk.replier.sent[0]["action"] == "reject" and desk.replier.sent[0]["reason"] == "no rooms left"
        assert json.loads(_audit(desk, "reject")[0]["after"])["reason"] == "no rooms left"


async def test_bulk_confirm_of_marked_rows(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_inbox_on(pilot, desk, "TUI1002", settle)
        await pilot.press("space")
        await _open_inbox_on(pilot, desk, "JET2001", settle)
        await pilot.press("space")
        assert app.screen.selected == {desk.id_of("TUI1002"), desk.id_of("JET2001")}
        await pilot.press("c")
        assert "2 marked rows" in app.screen.title_text
        await pilot.press("y")
        await settle(pilot)
        assert desk.row("TUI1002")["status"] == "confirmed"
        assert desk.row("JET2001")["status"] == "confirmed"
        assert desk.row("TUI1001")["status"] == "pending"
        assert app.screen.selected == set()


async def test_bulk_confirm_refuses_an_unmapped_row_and_says_why(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_inbox_on(pilot, desk, "TUI1003", settle)
        await pilot.press("space")
        await _open_inbox_on(pilot, desk, "TUI1001", settle)
        await pilot.press("space", "c", "y")
        await settle(pilot)
        assert desk.row("TUI1001")["status"] == "confirmed"
        assert desk.row("TUI1003")["status"] == "pending"
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert any("no mapping for tui room DZX9" in e for e in errors)


async def test_confirm_all_clean_rows(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)  # the clean rows are found in a worker, then the modal asks
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        statuses = {v: desk.row(v)["status"] for v in ("TUI1001", "TUI1002", "TUI1003", "JET2001", "JET2002")}
        # TUI1003 misses its room mapping; JET2002 is a change of a voucher the hotel book does not hold.
        assert statuses == {
            "TUI1001": "confirmed",
            "TUI1002": "confirmed",
            "TUI1003": "pending",
            "JET2001": "confirmed",
            "JET2002": "pending",
        }


async def test_save_keeps_the_row_pending(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_inbox_on(pilot, desk, "TUI1002", settle)
        await pilot.press("s", "y")
        await settle(pilot)
        row = desk.row("TUI1002")
        assert row["status"] == "pending" and row["hotel_reservation_id"] is not None
        assert desk.replier.sent == []
        assert len(_audit(desk, "save")) == 1


async def test_mapping_fix_remaps_every_affected_row(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_inbox_on(pilot, desk, "TUI1003", settle)
        await pilot.press("m")
        modal = app.screen
        assert isinstance(modal, MappingFixModal) and (modal.kind, modal.code) == ("room", "DZX9")
        # Suggestions are the hotel's room types: FAM, SGL, STD, SUI, ...
        await pilot.press("down", "down", "down")
        assert modal.query_one("#hotel-code").value == "SUI"
        await pilot.press("enter")
        await settle(pilot)
        assert (
            desk.store.scalar("SELECT hotel_code FROM mappings WHERE operator='tui' AND kind='room' AND code='DZX9'")
            == "SUI"
        )
        row = desk.row("TUI1003")
        assert row["hotel_room"] == "SUI" and json.loads(row["missing_mappings"]) == []
        assert "tui room DZX9 -> SUI" in _audit(desk, "map_set")[0]["detail"]


async def test_actions_from_the_detail_screen(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_inbox_on(pilot, desk, "JET2001", settle)
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("c", "y")
        await settle(pilot)
        assert desk.row("JET2001")["status"] == "confirmed"
        assert app.screen.detail.shape["status"] == "confirmed"
        assert app.screen.detail.shape["hotel_number"]


async def test_confirm_under_a_stop_sale_names_it_and_asks_for_the_override_reason(desk, settle):
    from core.ingest import recheck
    from tui.widgets.confirmation import OverrideModal

    with desk.store.transaction() as c:
        c.execute(
            'INSERT INTO stop_sales(room, start, "end", reason, created_at) VALUES '
            "('STD', '2026-07-02', '2026-07-03', 'pool works', '2026-03-01T00:00:00+00:00')"
        )
    recheck(desk.store, desk.config)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_inbox_on(pilot, desk, "TUI1001", settle)
        await pilot.press("c")
        assert isinstance(app.screen, OverrideModal)
        assert "stop-sale on STD 2026-07-02..2026-07-03 (pool works)" in app.screen.body
        await pilot.press("enter")  # no reason: the dialog stays, nothing is sent
        assert isinstance(app.screen, OverrideModal) and desk.replier.sent == []
        await pilot.press(*"manager agreed", "enter")
        await settle(pilot)
        assert desk.row("TUI1001")["status"] == "confirmed"
        [audit] = _audit(desk, "override")
        after = json.loads(audit["after"])
        assert after["reason"] == "manager agreed" and "stop_sale" in after["checks"]
        assert audit["actor"] == "night"
