"""The PMS outlet in the app: the board's PMS line, the PMS number in the detail, auto send after a save."""

from __future__ import annotations

from rich.console import Console
from textual.widgets import Static

from connectors.simulate.pms import PmsServer, SimPms
from core.audit import Actor
from core.desk import save
from core.models import utcnow
from core.pms import claim, pms_settings, record_failure
from tui.widgets.detail_pane import ReservationDetail, SummarySection

ACTOR = Actor("night", "app")


def _text(renderable) -> str:
    console = Console(width=160, record=True, file=open("/dev/null", "w"), color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_board_shows_pms_waiting_and_failed(desk, settle, tmp_path):
    desk.config.data["pms"] = {"kind": "files", "folder": str(tmp_path / "out"), "max_attempts": 1}
    ids = [desk.id_of(v) for v in ("TUI1001", "TUI1002", "JET2001", "JET2002")]
    assert all(o.ok for o in save(desk.store, desk.config, ids, ACTOR))
    settings = pms_settings(desk.config)
    # The first delivery fails for good (one attempt allowed); the other three are still waiting.
    [first, *rest] = claim(desk.store, utcnow(), only_due=False)
    record_failure(desk.store, first, utcnow(), "down", settings, ACTOR)
    with desk.store.transaction() as c:
        c.execute("UPDATE pms_deliveries SET lease_until = NULL")
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        line = app.screen.query_one("#pms-line", Static)
        assert line.display and str(line.render()) == "PMS: 3 waiting, 1 failed"


async def test_board_has_no_pms_line_without_a_pms(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        assert not app.screen.query_one("#pms-line", Static).display


async def test_app_save_sends_to_the_pms_with_auto_and_the_detail_shows_its_number(desk, settle):
    with PmsServer(SimPms()) as server:
        desk.config.data["pms"] = {**server.entry(), "auto": True}
        app = desk.app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.act_on_rows("save", [desk.id_of("TUI1001")])
            await settle(pilot)
        assert [r["voucher"] for r in server.pms.received] == ["TUI1001"]
    detail = ReservationDetail.load(desk.store, desk.id_of("TUI1001"))
    assert detail.shape["pms_number"] == "SIMPMS-00001"
    app = desk.app()
    async with app.run_test(size=(160, 48)) as pilot:
        section = SummarySection()
        await app.screen.mount(section)
        section.show(detail)
        text = _text(section.content)
        assert "PMS no." in text and "SIMPMS-00001" in text
        section.show(
            ReservationDetail({**detail.shape, "rate_type": "package", "option_date": "2026-05-20"}, [], [], [])
        )
        text = _text(section.content)
        assert "Rate type" in text and "package" in text and "Option date" in text and "2026-05-20" in text


async def test_the_app_retries_a_delivery_once_its_backoff_ran_out(desk, settle):
    import asyncio

    with PmsServer(SimPms()) as server:
        server.pms.faults.status = 503
        desk.config.data["pms"] = {**server.entry(), "auto": True, "retry_seconds": 0.2, "max_attempts": 1000}
        app = desk.app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.act_on_rows("save", [desk.id_of("TUI1001")])
            await settle(pilot)
            assert desk.store.scalar("SELECT state FROM pms_deliveries") == "waiting"
            server.pms.faults.status = None
            for _ in range(100):  # the app's own timer sends it; no key is pressed
                if desk.store.scalar("SELECT state FROM pms_deliveries") == "sent":
                    break
                await asyncio.sleep(0.05)
        assert [r["voucher"] for r in server.pms.received] == ["TUI1001"]


async def test_a_store_error_in_the_pms_retry_is_said_and_the_app_goes_on(desk, settle, monkeypatch):
    import asyncio
    import sqlite3

    from tui.commands import pms as pms_commands

    def failing_line(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(pms_commands, "after_save_line", failing_line)
    with PmsServer(SimPms()) as server:
        desk.config.data["pms"] = {**server.entry(), "auto": True, "retry_seconds": 0.1}
        app = desk.app()
        notes: list[str] = []
        async with app.run_test(size=(80, 24)) as pilot:
            monkeypatch.setattr(app, "notify", lambda text, **kw: notes.append(text))
            await settle(pilot)
            for _ in range(100):  # the app's own timer runs the retry; no key is pressed
                if notes:
                    break
                await asyncio.sleep(0.05)
            await settle(pilot)
            assert app.is_running
            assert notes[0] == "The PMS retry could not read the store (OperationalError: database is locked)"
