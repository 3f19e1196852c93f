"""The inbox: status tabs, search, filters, sort and pages, against a real store."""

from __future__ import annotations

from tui.screens.inbox import PAGE_SIZE, InboxScreen


async def test_pending_rows_and_counts(desk, settle, vouchers):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # Latest versions only: JET2002 shows once, as its change.
        assert sorted(vouchers(app)) == ["JET2001", "JET2002", "TUI1001", "TUI1002", "TUI1003"]
        assert app.screen.counts == {"pending": 5, "confirmed": 0, "rejected": 0, "all": 5}
        assert str(app.screen.query_one("#pending").label) == "Pending 5"


async def test_search_by_name_and_voucher(desk, settle, vouchers):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.focused.id == "search"
        await pilot.press(*"yilmaz")
        await pilot.pause(0.2)
        await settle(pilot)
        assert vouchers(app) == ["JET2002"]
        await pilot.press(*["backspace"] * 6, *"TUI100")
        await pilot.pause(0.2)
        await settle(pilot)
        assert sorted(vouchers(app)) == ["TUI1001", "TUI1002", "TUI1003"]
        await pilot.press("escape")
        assert app.focused.id == "inbox-table"


async def test_operator_filter_and_status_tabs(desk, settle, vouchers):
    desk.store.conn.execute("UPDATE operator_reservations SET status = 'confirmed' WHERE voucher = 'TUI1002'")
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("o")          # first operator of the config: tui
        await settle(pilot)
        assert sorted(vouchers(app)) == ["TUI1001", "TUI1003"]
        await pilot.press("2")          # confirmed tab
        await settle(pilot)
        assert vouchers(app) == ["TUI1002"]
        await pilot.press("4")          # all, still of tui
        await settle(pilot)
        assert sorted(vouchers(app)) == ["TUI1001", "TUI1002", "TUI1003"]


async def test_filter_dialog_by_stay_dates(desk, settle, vouchers):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.click("#stay_from")
        await pilot.press(*"2026-07-09")
        await pilot.click("#stay_to")
        await pilot.press(*"2026-07-12", "enter")
        await settle(pilot)
        # Stays overlapping 9-12 July: Yilmaz (10-18 July) only.
        assert vouchers(app) == ["JET2002"]
        assert "stay 2026-07-09–2026-07-12" in str(app.screen.query_one("#filter-summary").render())


async def test_filter_dialog_refuses_a_bad_date(desk, settle, vouchers):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.click("#since")
        await pilot.press(*"July", "enter")
        await pilot.pause()
        assert "not a date" in str(app.screen.query_one("#filter-error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert len(vouchers(app)) == 5


async def test_sort_by_voucher_both_ways(desk, settle, vouchers):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t", "t")     # created -> check_in -> voucher
        await settle(pilot)
        assert vouchers(app) == ["TUI1003", "TUI1002", "TUI1001", "JET2002", "JET2001"]
        await pilot.press("r")
        await settle(pilot)
        assert vouchers(app) == ["JET2001", "JET2002", "TUI1001", "TUI1002", "TUI1003"]


async def test_pages_hold_one_page_of_rows(big_desk, settle, vouchers):
    app = big_desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        assert screen.total == 450
        first = vouchers(app)
        assert len(first) == PAGE_SIZE
        for _ in range(450 // PAGE_SIZE):
            await pilot.press("right_square_bracket")
            await settle(pilot)
        last = vouchers(app)
        assert len(last) == 450 % PAGE_SIZE
        assert not set(first) & set(last)
        await pilot.press("right_square_bracket")    # past the end: stays on the last page
        await settle(pilot)
        assert vouchers(app) == last
