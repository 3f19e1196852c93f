"""The inbox: status tabs, search, filters, sort and pages, against a real store."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time

from tui.screens.inbox import PAGE_SIZE, InboxScreen
from tui.widgets.inbox_table import InboxTable


async def test_pending_rows_and_counts(desk, settle, vouchers):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # Latest versions only: JET2002 shows once, as its change.
        assert sorted(vouchers(app)) == ["JET2001", "JET2002", "TUI1001", "TUI1002", "TUI1003"]
        assert app.screen.counts == {"pending": 5, "confirmed": 0, "rejected": 0, "all": 5}
        assert str(app.screen.query_one("#pending").label) == "Pending 5"


async def test_the_app_keeps_what_it_holds_at_start_out_of_the_collectors_way(desk, settle):
    """A full collection walks only what came after the start: at a million rows, walking the modules,
    country tables and widgets too took 30 to 90 ms, each time on a keystroke's way to the screen."""
    assert gc.get_freeze_count() == 0
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert gc.get_freeze_count() > 10_000
        assert gc.isenabled(), "the collector still runs for what comes later"


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
        await pilot.press("o")  # first operator of the config: tui
        await settle(pilot)
        assert sorted(vouchers(app)) == ["TUI1001", "TUI1003"]
        await pilot.press("2")  # confirmed tab
        await settle(pilot)
        assert vouchers(app) == ["TUI1002"]
        await pilot.press("4")  # all, still of tui
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
        await pilot.press("t", "t")  # created -> check_in -> voucher
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
        await pilot.press("right_square_bracket")  # past the end: stays on the last page
        await settle(pilot)
        assert vouchers(app) == last


async def test_clicking_a_header_sorts_and_clicking_again_reverses(desk, settle, vouchers):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(InboxTable)
        voucher_x = next(c.start for c in table.columns if c.key == "voucher") + 2
        await pilot.click(InboxTable, offset=(voucher_x, 0))
        await settle(pilot)
        assert (app.screen.flt.sort, app.screen.flt.descending) == ("voucher", True)
        assert vouchers(app) == ["TUI1003", "TUI1002", "TUI1001", "JET2002", "JET2001"]
        await pilot.click(InboxTable, offset=(voucher_x, 0))
        await settle(pilot)
        assert vouchers(app) == ["JET2001", "JET2002", "TUI1001", "TUI1002", "TUI1003"]
        await pilot.click(InboxTable, offset=(1, 0))  # the mark column does not sort
        await settle(pilot)
        assert app.screen.flt.sort == "voucher"


async def test_click_moves_the_cursor_and_a_second_click_opens_the_row(desk, settle):
    from tui.screens.detail import DetailScreen

    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(InboxTable)
        await pilot.click(InboxTable, offset=(20, 3))  # the third row under the header
        assert table.cursor_row == 2
        assert isinstance(app.screen, InboxScreen)
        await pilot.click(InboxTable, offset=(20, 3))
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.detail.shape["id"] == table.page_ids[2]


async def test_keys_move_the_cursor_and_space_marks_the_row(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(InboxTable)
        await pilot.press("down", "down", "up")
        assert table.cursor_row == 1
        await pilot.press("ctrl+end")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("ctrl+home", "space")
        first = table.page_ids[0]
        assert app.screen.selected == {first} and table.cursor_row == 1
        await pilot.pause()
        assert table.render_line(1).text.startswith(" ●")
        assert not table.render_line(2).text.startswith(" ●")
        assert "1 marked" in str(app.screen.query_one("#inbox-status").render())
        await pilot.press("up", "space")
        assert app.screen.selected == set()
        assert not table.render_line(1).text.startswith(" ●")


async def test_the_table_draws_only_the_columns_on_screen(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(InboxTable)
        assert table.render_line(0).text.startswith("    Status     Oper     Voucher")
        assert table.render_line(0).cell_length == table.scrollable_content_region.width
        assert not any(key[0] == table.page_ids[0] and table.columns[key[1]].key == "created" for key in table._cells)
        await pilot.press("end")
        await pilot.pause()
        last = table.render_line(0).text.rstrip()
        assert "Sale date   Created" in last and last.endswith("Possible match")
        assert any(key[0] == table.page_ids[0] and table.columns[key[1]].key == "created" for key in table._cells)


async def test_a_newer_search_interrupts_the_older_query(desk, settle, vouchers, monkeypatch):
    from core import inbox

    real_counts = inbox.counts_by_status
    started, interrupted = threading.Event(), []

    def slow_counts(store, flt):
        if flt.search == "smith":
            started.set()
            try:  # minutes of counting, unless something stops it
                store.conn.execute(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 2000000000) "
                    "SELECT COUNT(*) FROM n"
                ).fetchone()
            except sqlite3.OperationalError as exc:
                interrupted.append(str(exc))
                raise
        return real_counts(store, flt)

    monkeypatch.setattr(inbox, "counts_by_status", slow_counts)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"smith")
        for _ in range(500):
            if started.is_set():
                break
            await pilot.pause(0.01)
        assert started.is_set() and vouchers(app) == ["TUI1001"]
        began = time.monotonic()
        await pilot.press(*["backspace"] * 5, *"yilmaz")
        await pilot.pause(0.2)
        await settle(pilot)
        assert interrupted == ["interrupted"]
        assert time.monotonic() - began < 10
        assert vouchers(app) == ["JET2002"]
        assert app.screen.counts["pending"] == 1


async def test_the_tabs_counts_are_read_beside_the_page_not_after_it(desk, settle, vouchers, monkeypatch):
    """The counts of a search come on a connection of their own: a page still loading does not hold them up."""
    from core import inbox

    real_rows = inbox.list_rows
    counted, page_held = threading.Event(), []

    def held_rows(store, flt, **kw):
        if flt.search == "yilmaz":
            page_held.append(counted.wait(timeout=10))  # the page waits for its counts
        return real_rows(store, flt, **kw)

    def counts_then_signal(store, flt):
        counts = real_counts(store, flt)
        if flt.search == "yilmaz":
            counted.set()
        return counts

    real_counts = inbox.counts_by_status
    monkeypatch.setattr(inbox, "list_rows", held_rows)
    monkeypatch.setattr(inbox, "counts_by_status", counts_then_signal)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"yilmaz")
        await pilot.pause(0.2)
        await settle(pilot)
        assert page_held == [True]  # counted while the page was still being read
        assert vouchers(app) == ["JET2002"]
        assert app.screen.counts == {"pending": 1, "confirmed": 0, "rejected": 0, "all": 1}
        assert app.screen.total == 1


async def test_at_80x24_the_inbox_keeps_operator_voucher_guest_dates_status_and_mapping_in_view(big_desk, settle):
    from tui.widgets.inbox_table import InboxTable

    app = big_desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(InboxTable)
        visible = table.scrollable_content_region.width  # 450 rows: a vertical scrollbar is there
        assert visible < 80
        ends = {c.key: c.end for c in table.columns}
        for key in ("status", "operator", "voucher", "guest", "check_in", "nights", "mapping", "checks"):
            assert ends[key] <= visible, key
        header = table.render_line(0).text
        first = table.render_line(1).text
        for label in ("Status", "Oper", "Voucher", "Guest", "Check-in", "Nts", "Map", "Checks"):
            assert label in header, label
        assert "pending" in first and "tui" in first and "2026-08-01" in first and "RBT" in first


def _reads_held_for_enter(monkeypatch) -> list[tuple[str, str]]:
    """What the inbox reads, as ("page" or "counts", term), with a search's page held until Enter."""
    from core import inbox
    from tui.screens import inbox as inbox_screen

    monkeypatch.setattr(inbox_screen, "SEARCH_DEBOUNCE", 30.0)
    real_rows, real_counts = inbox.list_rows, inbox.counts_by_status
    read: list[tuple[str, str]] = []

    def rows(store, flt, **kw):
        read.append(("page", flt.search))
        return real_rows(store, flt, **kw)

    def counts(store, flt):
        read.append(("counts", flt.search))
        return real_counts(store, flt)

    monkeypatch.setattr(inbox, "list_rows", rows)
    monkeypatch.setattr(inbox, "counts_by_status", counts)
    return read


async def test_a_searchs_counts_start_at_the_keystroke_and_wait_for_their_page(desk, settle, vouchers, monkeypatch):
    """The counts are read while the page still waits for quiet typing; they go up with the page, not before it."""
    read = _reads_held_for_enter(monkeypatch)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        read.clear()
        await pilot.press("slash", *"yilmaz")
        await settle(pilot)
        assert ("counts", "yilmaz") in read and ("page", "yilmaz") not in read
        # Counted, but shown with their page only: the tabs and the rows still say the same thing.
        assert app.screen.counts["all"] == 5 and str(app.screen.query_one("#all").label) == "All 5"
        assert len(vouchers(app)) == 5
        await pilot.press("enter")  # no wait for quiet typing
        await settle(pilot)
        assert read[-1] == ("page", "yilmaz")
        assert vouchers(app) == ["JET2002"]
        assert app.screen.counts == {"pending": 1, "confirmed": 0, "rejected": 0, "all": 1}
        assert str(app.screen.query_one("#all").label) == "All 1"
        assert app.focused is app.screen.table


async def test_a_store_error_reading_the_inbox_is_said_and_the_desk_goes_on(desk, settle, vouchers, monkeypatch):
    from core import inbox

    real_rows = inbox.list_rows

    def failing_rows(store, flt, **kw):
        if flt.search == "yilmaz":
            raise sqlite3.OperationalError("disk I/O error")
        return real_rows(store, flt, **kw)

    monkeypatch.setattr(inbox, "list_rows", failing_rows)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        notes: list[str] = []
        monkeypatch.setattr(app.screen, "notify", lambda text, **kw: notes.append(text))
        await pilot.press("slash", *"yilmaz", "enter")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, InboxScreen)
        assert notes == [
            "Could not read this page of the inbox from the store (OperationalError: disk I/O error). "
            "Ctrl+R reads it again."
        ]
        assert app.screen.counts["all"] == 1  # the counts were read; only the rows were not
        await pilot.press("slash", *["backspace"] * 6, *"tui", "enter")
        await settle(pilot)
        assert sorted(vouchers(app)) == ["TUI1001", "TUI1002", "TUI1003"]


async def test_a_store_error_finding_clean_rows_is_said_and_the_desk_goes_on(desk, settle, monkeypatch):
    from tui.screens import inbox as inbox_screen

    def failing_selection(store, operator):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(inbox_screen, "clean_selection", failing_selection)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        notes: list[str] = []
        monkeypatch.setattr(app, "notify", lambda text, **kw: notes.append(text))
        await pilot.press("A")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, InboxScreen)
        assert notes == ["Could not read the pending rows from the store (OperationalError: database is locked)"]


async def test_a_short_terms_counts_wait_with_its_page(desk, settle, vouchers, monkeypatch):
    """A term of two characters is counted by reading rows, not an index: not at every keystroke."""
    read = _reads_held_for_enter(monkeypatch)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        read.clear()
        await pilot.press("slash", *"tu")
        await settle(pilot)
        assert read == []
        await pilot.press("enter")
        await settle(pilot)
        assert sorted(read) == [("counts", "tu"), ("page", "tu")]
        assert sorted(vouchers(app)) == ["TUI1001", "TUI1002", "TUI1003"]
        assert app.screen.counts["all"] == 3


async def test_a_searchs_counts_keep_the_tabs_widths(big_desk, settle):
    """Narrower counts leave each tab as wide as it was: one layout, and the bar under the tab stays put."""
    from textual.widgets import Tab

    app = big_desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tabs = list(app.screen.query(Tab))
        before = {t.id: t.size.width for t in tabs}
        assert str(app.screen.query_one("#all").label) == "All 450"
        await pilot.press("slash", *"Guest007", "enter")
        await settle(pilot)
        assert str(app.screen.query_one("#all").label) == "All 1"
        assert {t.id: t.size.width for t in tabs} == before
