"""Snapshots of the main screens at 80x24 (SSH) and 160x48 (wide terminals)."""

from __future__ import annotations

import pytest

from tui.widgets.inbox_table import InboxTable

SIZES = [(80, 24), (160, 48)]


def _settled(desk, *keys: str, voucher: str | None = None):
    async def run_before(pilot) -> None:
        from textual.worker import WorkerCancelled

        for _ in range(3):
            try:
                await pilot.app.workers.wait_for_complete()
            except WorkerCancelled:
                pass
            await pilot.pause()
        if voucher:
            table = pilot.app.screen.query_one(InboxTable)
            table.move_cursor(row=table.page_ids.index(desk.id_of(voucher)))
        await pilot.press(*keys)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_inbox(desk, snap_compare, size):
    assert snap_compare(desk.app(), terminal_size=size, run_before=_settled(desk))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_detail(desk, snap_compare, size):
    assert snap_compare(desk.app(), terminal_size=size, run_before=_settled(desk, "enter", voucher="JET2002"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_board(desk, snap_compare, size):
    assert snap_compare(desk.app(), terminal_size=size, run_before=_settled(desk, "b"))


def test_confirm_modal(desk, snap_compare):
    assert snap_compare(desk.app(), terminal_size=(80, 24), run_before=_settled(desk, "c", voucher="TUI1001"))


def test_mapping_fix(desk, snap_compare):
    assert snap_compare(desk.app(), terminal_size=(80, 24), run_before=_settled(desk, "m", voucher="TUI1003"))


def test_inbox_light_theme(desk, snap_compare):
    assert snap_compare(desk.app(), terminal_size=(80, 24), run_before=_settled(desk, "ctrl+t"))
