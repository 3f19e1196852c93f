"""The status board: cards per operator, scans in a worker, live updates from scan_runs."""

from __future__ import annotations

import json
import threading

from tui.widgets import scanning
from tui.widgets.operator_card import OperatorCard


def _card_text(app, name: str) -> str:
    card = app.screen.query_one(f"#card-{name}", OperatorCard)
    return "\n".join(line.plain for line in card.content.renderables)


def _drop(folder, voucher: str, surname: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{voucher}.json").write_text(
        json.dumps(
            {
                "voucher": voucher,
                "content": "new",
                "agency": "TUI",
                "check_in": "2026-07-01",
                "check_out": "2026-07-04",
                "adults": 2,
                "room": "STD",
                "board": "AI",
                "rate": "TUI26",
                "market": "UK",
                "currency": "EUR",
                "total": "300.00",
                "guests": [{"first_name": "Ann", "last_name": surname}],
            }
        )
    )


async def test_board_shows_each_operator_and_its_last_scan(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        tui = _card_text(app, "tui")
        assert "● ok" in tui and "Total   4" in tui and "Error   1" in tui and "12:30 → 12:30:04" in tui
        assert "3 pending in the inbox" in tui
        assert "never scanned" in _card_text(app, "jet2")


async def test_scan_one_operator_through_its_drop_folder(desk, settle, tmp_path):
    drop = tmp_path / "drop"
    _drop(drop, "F100", "Brown")
    _drop(drop, "F101", "Green")
    desk.config.data["operators"][0]["path"] = str(drop)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        assert app.focused.id == "card-tui"
        await pilot.press("s")
        await settle(pilot)
        assert "Total   2" in _card_text(app, "tui") and "New     2" in _card_text(app, "tui")
        assert app.scanning["tui"] == "done"
        assert desk.store.scalar("SELECT COUNT(*) FROM operator_reservations WHERE voucher IN ('F100', 'F101')") == 2
        await pilot.press("i")
        await settle(pilot)
        assert app.screen.counts["pending"] == 7


async def test_a_scan_never_blocks_the_ui(desk, settle, monkeypatch):
    release = threading.Event()
    started = threading.Event()

    def slow_scan(config, operators, progress):
        progress("tui", "scanning", {"total": 0}, "")
        started.set()
        release.wait(10)
        progress("tui", "done", {"total": 0}, "")
        return []

    monkeypatch.setattr(scanning, "scan", slow_scan)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        await pilot.press("a")
        assert started.wait(5)
        await pilot.pause()
        assert "scanning" in _card_text(app, "tui")
        # While the scan waits, the app still answers keys and switches screens.
        await pilot.press("i")
        await pilot.pause()
        assert app.current_mode == "inbox"
        await pilot.press("slash", *"Smith")
        assert app.focused.value == "Smith"
        release.set()
        await settle(pilot)
        assert app.scanning == {"tui": "done", "jet2": "done"}


async def test_a_failed_scan_is_shown_not_raised(desk, settle, monkeypatch):
    def broken(config, operators, progress):
        raise RuntimeError("drop folder /nowhere does not exist")

    monkeypatch.setattr(scanning, "scan", broken)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await pilot.press("a")
        await settle(pilot)
        assert app.scanning["jet2"] == "error"
        assert "drop folder /nowhere" in _card_text(app, "jet2")


async def test_pause_on_the_board_is_kept_across_restarts_and_skips_the_scan(desk, settle, tmp_path):
    drop = tmp_path / "drop"
    _drop(drop, "P100", "Brown")
    desk.config.data["operators"][0]["path"] = str(drop)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        assert app.focused.id == "card-tui"
        await pilot.press("p")
        await settle(pilot)
        assert "‖ paused" in _card_text(app, "tui") and "by night" in _card_text(app, "tui")
        await pilot.press("s")
        await settle(pilot)
        assert app.scanning["tui"] == "paused"
        assert any("Skipped, paused: tui" in str(n.message) for n in app._notifications)
    assert (drop / "P100.json").exists()
    assert desk.store.scalar("SELECT COUNT(*) FROM operator_reservations WHERE voucher = 'P100'") == 0
    again = desk.app()
    async with again.run_test(size=(80, 24)) as pilot:  # a new app on the same store: still paused
        await pilot.press("b")
        await settle(pilot)
        assert "‖ paused" in _card_text(again, "tui") and "paused" not in _card_text(again, "jet2")
        await pilot.press("p", "s")
        await settle(pilot)
        assert "● ok" in _card_text(again, "tui")
    assert desk.store.scalar("SELECT COUNT(*) FROM operator_reservations WHERE voucher = 'P100'") == 1
    actions = [
        r["action"]
        for r in desk.store.all("SELECT action FROM audit_log WHERE action IN ('pause', 'resume') ORDER BY id")
    ]
    assert actions == ["pause", "resume"]


async def test_the_focused_card_shows_the_whole_error_reason_wrapped(desk, settle):
    reason = (
        "the operator answered 401: credentials refused for user hotel-7731; ask the operator to renew "
        "the API key and set password_env for tui, then scan again"
    )
    with desk.store.transaction() as c:
        c.execute(
            "INSERT INTO scan_runs(operator, started_at, finished_at, state, errors, last_error) VALUES "
            "('tui', '2026-03-02T10:00:00+00:00', '2026-03-02T10:00:01+00:00', 'error', 1, ?)",
            (reason,),
        )
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        card = app.screen.query_one("#card-tui", OperatorCard)
        assert app.focused is card
        assert " ".join(_card_text(app, "tui").split()).endswith("then scan again")
        lines = [line for line in card.render_lines(card.region.reset_offset) if line.text.strip()]
        shown = " ".join("".join(line.text for line in lines).replace("│", " ").split())
        assert "then scan again" in shown and card.outer_size.height > 7
        await pilot.press("right")  # another card takes the focus: this one shows one line again
        await settle(pilot)
        assert card.outer_size.height == 7


async def test_a_store_error_on_the_dashboard_is_said_and_the_desk_goes_on(desk, settle, monkeypatch):
    import sqlite3

    from tui.screens import dashboard

    def failing_report(*args, **kwargs):
        raise sqlite3.OperationalError("database disk image is malformed")

    monkeypatch.setattr(dashboard, "operator_report", failing_report)
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, dashboard.DashboardScreen)
        title = str(app.screen.query_one("#dashboard-title").render())
        assert "could not read the store (OperationalError: database disk image is malformed)" in title
        await pilot.press("i")
        await settle(pilot)
        assert app.screen.counts["all"] == 5


async def test_a_store_error_on_the_boards_poll_is_said_once_and_the_board_goes_on(desk, settle, monkeypatch):
    import asyncio
    import sqlite3

    from tui.screens import board

    failing = [True]
    real_pending = board.pending_by_operator

    def pending(store):
        if failing[0]:
            raise sqlite3.OperationalError("disk I/O error")
        return real_pending(store)

    monkeypatch.setattr(board, "pending_by_operator", pending)
    monkeypatch.setattr(board, "POLL_SECONDS", 0.05)
    app = desk.app()
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        monkeypatch.setattr(app, "notify", lambda text, **kw: notes.append(text))
        await pilot.press("b")
        await settle(pilot)
        await asyncio.sleep(0.3)  # several polls, all failing
        assert app.is_running and isinstance(app.screen, board.BoardScreen)
        said = "Could not read the store (OperationalError: disk I/O error); the board tries again every second."
        assert notes == [said]
        failing[0] = False
        await asyncio.sleep(0.2)
        await settle(pilot)
        assert "3 pending in the inbox" in _card_text(app, "tui")
