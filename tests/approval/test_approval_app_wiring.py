"""The app reaches the dashboard, shows approvals in the detail pane, and asks for approval from it."""

from __future__ import annotations

import asyncio

from support.desk import booking, drop, scan

from core.store import Store
from tui.app import OpdeskApp
from tui.screens.dashboard import DashboardScreen
from tui.screens.detail import DetailScreen
from tui.widgets.approvals import ApprovalsSection, AskApproval


def test_dashboard_key_and_approval_from_the_detail_screen(desk, smtp_sink):
    desk.data["smtp"] = {
        "host": smtp_sink.host,
        "port": smtp_sink.port,
        "security": "none",
        "from_address": "Desk <desk@hotel.example>",
    }
    desk.data["approval"] = {"secret": "test-secret"}
    drop(desk, "a.json", booking("V1"))
    scan(desk)
    asyncio.run(drive(OpdeskApp(desk)))
    with Store(desk.store_path) as store:
        rows = store.all("SELECT approver, state FROM approvals WHERE reservation_id = 1")
        assert rows == [{"approver": "gm@hotel.example", "state": "waiting"}]
        assert store.scalar("SELECT needs_approval FROM operator_reservations WHERE id = 1") == 1
    assert smtp_sink.messages and smtp_sink.messages[0]["To"] == "gm@hotel.example"


async def drive(app: OpdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        app.push_screen(DetailScreen(1))
        await pilot.pause()
        assert app.screen.query(ApprovalsSection), "the detail pane has an approval section"
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AskApproval)
        app.screen.query_one("Input").value = "gm@hotel.example"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
