"""The dashboard screen and the approval widgets, mounted in a small app and driven with Pilot."""

from __future__ import annotations

import html
import re
from datetime import date

from approval.helpers import add_booking
from approval.test_approval_report import history  # noqa: F401  (fixture)
from rich.console import Console
from support.desk import booking
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input

from core.approval import decide, start
from core.audit import Actor
from core.store import Store
from tui.desk_actions import ask_approval
from tui.screens.dashboard import DashboardScreen
from tui.widgets import approvals as approval_widgets
from tui.widgets import detail_pane
from tui.widgets.approvals import (
    ApprovalAsk,
    ApprovalsSection,
    AskApproval,
)
from tui.widgets.detail_pane import ChecksSection, DetailPane, ReservationDetail


class DeskApp(App):
    """Just what the screens need from the real app: the config and a UI-thread store."""

    def __init__(self, config, store: Store, compose_pane: bool = False) -> None:
        super().__init__()
        self.config = config
        self.store = store
        self.compose_pane = compose_pane

    def compose(self) -> ComposeResult:
        if self.compose_pane:
            yield DetailPane()


def screen_text(app: App) -> str:
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def text_of(renderable, width: int = 100) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_dashboard_shows_the_hand_counted_figures_and_the_trend(history):  # noqa: F811
    config, store = history
    app = DeskApp(config, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = DashboardScreen(end=date(2025, 3, 3), days=3)
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert table.get_row("tui") == ["tui", "3", "1", "1", "14", "1100.00 EUR", "21", "33.3", "33.3", "45"]
        assert table.get_row("jet2")[5] == "400.00 GBP"
        assert [d["new"] for d in screen.trend] == [2, 1, 1]
        assert "Messages per day" in screen_text(app)

        await pilot.press("left_square_bracket")  # three days earlier: nothing arrived then
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.row_count == 0 and screen.start == date(2025, 2, 26)
        await pilot.press("p")
        assert screen.days == 7


async def test_the_approval_section_lists_each_approver_with_state(desk, monkeypatch):
    monkeypatch.setattr(detail_pane, "SECTIONS", list(detail_pane.SECTIONS))  # install() must not leak
    with Store(desk.store_path, desk.documents_dir) as store:
        rid = add_booking(store, desk, booking("V1"))
        other = add_booking(store, desk, booking("V2"))
        code = start(store, desk, rid, ["boss@hotel.example", "gm@hotel.example"], Actor("desk"))[0].code
        decide(store, desk, code, "approve", Actor("boss"), comment="good rate")
        approval_widgets.install()
        sections = detail_pane.SECTIONS
        assert sections.index(ApprovalsSection) == sections.index(ChecksSection) + 1
        app = DeskApp(desk, store, compose_pane=True)
        async with app.run_test(size=(80, 24)) as pilot:
            pane = app.query_one(DetailPane)
            pane.show(ReservationDetail.load(store, rid))
            await pilot.pause()
            section = pane.query_one(ApprovalsSection)
            assert section.display
            shown = text_of(section.body(ReservationDetail.load(store, rid)))
            assert "approval waiting" in shown and "all any order" in shown
            assert "waiting for approval by gm@hotel.example (1 of 2 approved)" in shown
            lines = [line for line in shown.splitlines() if "@hotel.example" in line and "waiting for" not in line]
            assert "boss@hotel.example" in lines[0] and "approved" in lines[0] and "cli" in lines[0]
            assert "gm@hotel.example" in lines[1] and "waiting" in lines[1]
            assert "good rate" in shown

            pane.show(ReservationDetail.load(store, other))  # no approval: no section
            await pilot.pause()
            assert not section.display


async def test_ask_for_approval_dialog_returns_approvers_and_note(desk):
    with Store(desk.store_path, desk.documents_dir) as store:
        rid = add_booking(store, desk, booking("V1"))
        answers: list = []
        app = DeskApp(desk, store)
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_screen(AskApproval(rid), answers.append)
            await pilot.pause()
            await pilot.click("#approval-ask")  # nobody named yet: it says so and stays
            await pilot.pause()
            assert isinstance(app.screen, AskApproval) and answers == []
            app.screen.query_one("#approval-approvers", Input).value = "boss@hotel.example, gm@hotel.example"
            app.screen.query_one("#approval-note", Input).value = "big group"
            app.screen.query_one("#approval-approvers", Input).focus()
            await pilot.press("enter")
            await pilot.pause()
        assert answers == [ApprovalAsk(["boss@hotel.example", "gm@hotel.example"], "big group")]

        # Without [smtp] the round starts, and the line says the mail did not go and how to send it.
        started = ask_approval(
            store, desk, rid, answers[0].approvers, Actor("desk", "app"), note=answers[0].note
        ).outcome()
        assert started.ok and started.sent is False
        line = started.message
        assert line.startswith("approval started but not mailed:") and "needs 'host'" in line
        assert f"opdesk approval send {rid}" in line
        assert store.scalar("SELECT COUNT(*) FROM approvals WHERE reservation_id = ?", (rid,)) == 2
        assert store.scalar("SELECT origin FROM audit_log WHERE action = 'approval_start'") == "app"
