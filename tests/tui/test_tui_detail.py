"""The detail screen, forecast, raw messages, unparsed messages, help and themes."""

from __future__ import annotations

from tui.screens.detail import DetailScreen
from tui.screens.forecast import ForecastScreen
from tui.screens.help import HelpScreen
from tui.screens.raw_message import RawMessageScreen
from tui.widgets.detail_pane import ForecastSection, HistorySection, ReservationDetail, SummarySection
from tui.widgets.inbox_table import InboxTable


def _section_text(screen, section_type) -> str:
    from rich.console import Console

    console = Console(width=160, record=True, file=open("/dev/null", "w"), color_system=None)
    console.print(screen.query_one(section_type).content)
    return console.export_text()


async def _open(pilot, desk, voucher, settle):
    await settle(pilot)
    table = pilot.app.screen.query_one(InboxTable)
    table.move_cursor(row=table.page_ids.index(desk.id_of(voucher)))
    await pilot.press("enter")
    await pilot.pause()


async def test_detail_shows_the_booking_and_its_mappings(desk, settle):
    app = desk.app()
    async with app.run_test(size=(160, 48)) as pilot:
        await _open(pilot, desk, "TUI1003", settle)
        assert isinstance(app.screen, DetailScreen)
        text = _section_text(app.screen, SummarySection)
        for expected in (
            "tui / TUI",
            "TUI1003 v1",
            "2026-07-05 → 2026-07-09",
            "DZX9 → not mapped (m)",
            "AI → AI",
            "TUI26 → TUI26",
            "B2B / package",
            "2026-02-20",
            "400.00 EUR",
        ):
            assert expected in text, expected


async def test_detail_history_shows_what_a_change_changed(desk, settle):
    app = desk.app()
    async with app.run_test(size=(160, 48)) as pilot:
        await _open(pilot, desk, "JET2002", settle)
        history = _section_text(app.screen, HistorySection)
        assert "v1 new" in history and "v2 change" in history
        assert "check_out: 2026-07-20 → 2026-07-18" in history
        forecast = _section_text(app.screen, ForecastSection)
        # FAM has 30 rooms; this pending change is the only booking on those nights.
        assert "2026-07-10        30          0         30        1      1        29" in forecast


async def test_forecast_screen_moves_by_week_and_room(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, desk, "TUI1001", settle)
        await pilot.press("w")
        screen = app.screen
        assert isinstance(screen, ForecastScreen) and screen.room == "STD"
        start = screen.start
        await pilot.press("right_square_bracket", "r")
        assert (screen.start - start).days == 7 and screen.room == "SUI"


async def test_raw_message_and_unparsed_screen(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, desk, "TUI1001", settle)
        await pilot.press("d")
        assert isinstance(app.screen, RawMessageScreen)
        assert '"voucher": "TUI1001"' in app.screen.query_one("#raw-text").text
        await pilot.press("escape", "escape", "u")
        await pilot.pause()
        assert app.current_mode == "unparsed"
        await pilot.press("enter")
        assert isinstance(app.screen, RawMessageScreen)
        assert "Brown family" in app.screen.query_one("#raw-text").text
        assert "no parser reads this mail" in str(app.screen.query_one("#raw-error").render())


async def test_help_and_theme(desk, settle):
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        assert not app.current_theme.dark


def test_detail_reads_everything_in_one_go(desk):
    detail = ReservationDetail.load(desk.store, desk.id_of("JET2002"))
    assert [v["version"] for v in detail.versions] == [1, 2]
    assert len(detail.forecast) == 8 and detail.raw["filename"] == "JET2002.json"


def test_a_child_counted_as_an_adult_is_never_shown_as_no_children():
    from tui.widgets.detail_pane import children_label

    assert children_label(["3", "0", "0", "0"], [15]) == "1 at adult age"
    assert children_label(["2", "1", "0", "1"], [8, 1]) == "1 older, 1 infant"
    assert children_label(["2", "0", "0", "0"], []) == "none"


async def test_detail_shows_a_fifteen_year_old_among_the_children(desk, settle):
    from datetime import date
    from decimal import Decimal

    from core.ingest import Ingestor
    from core.models import Guest, OperatorBooking, RawMessage

    teen = OperatorBooking(
        "TUI1015",
        agency="TUI",
        check_in=date(2026, 7, 1),
        check_out=date(2026, 7, 4),
        adults=2,
        child_ages=[15],
        room="STD",
        board="AI",
        rate="TUI26",
        market="UK",
        guests=[Guest("Tom", "Teen")],
        total=Decimal("300"),
        currency="EUR",
    )
    Ingestor(desk.store, desk.config).ingest(RawMessage(b"teen", "tui", "folder"), lambda raw: [teen])
    app = desk.app()
    async with app.run_test(size=(160, 48)) as pilot:
        await _open(pilot, desk, "TUI1015", settle)
        text = _section_text(app.screen, SummarySection)
        assert "1 at adult age (15)" in text and "none (15)" not in text


async def test_the_forecast_of_a_stay_in_year_9999_opens_and_moves_without_a_crash(desk, settle):
    from datetime import date
    from decimal import Decimal

    from core.ingest import Ingestor
    from core.models import Guest, OperatorBooking, RawMessage

    far = OperatorBooking(
        "TUI9999",
        agency="TUI",
        check_in=date(9999, 12, 27),
        check_out=date(9999, 12, 31),
        adults=2,
        room="STD",
        board="AI",
        rate="TUI26",
        market="UK",
        guests=[Guest("A", "Far")],
        total=Decimal("300"),
        currency="EUR",
    )
    Ingestor(desk.store, desk.config).ingest(RawMessage(b"far", "tui", "folder"), lambda raw: [far])
    app = desk.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, desk, "TUI9999", settle)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ForecastScreen) and app.screen.end == date(9999, 12, 31)
        await pilot.press("right_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert isinstance(app.screen, ForecastScreen)


async def test_a_store_error_opening_a_reservation_is_said_and_escape_goes_back(desk, settle, monkeypatch):
    import sqlite3

    from tui.screens.inbox import InboxScreen
    from tui.widgets import detail_pane

    def failing_load(store, reservation_id):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(detail_pane.ReservationDetail, "load", staticmethod(failing_load))
    app = desk.app()
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(app, "notify", lambda text, **kw: notes.append(text))
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running and app.sub_title.endswith("could not be read")
        assert len(notes) == 1 and notes[0].startswith("Could not read reservation #")
        assert notes[0].endswith("from the store (DatabaseError: database disk image is malformed)")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen) and len(app.screen.table.page_ids) == 5
