"""The forecast of one room type around a stay: capacity, confirmed, pending, expected available."""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from core.forecast import forecast, shifted
from core.hotelbook import room_types
from tui.desk_app import DeskScreen
from tui.widgets.detail_pane import forecast_table

MARGIN_DAYS = 3


class ForecastScreen(DeskScreen):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="forecast.back"),
        Binding("r", "next_room", "Room type", id="forecast.room"),
        Binding("left_square_bracket", "shift(-7)", "Week earlier", id="forecast.earlier"),
        Binding("right_square_bracket", "shift(7)", "Week later", id="forecast.later"),
    ]

    def __init__(self, room: str, check_in: str, check_out: str | None) -> None:
        super().__init__()
        self.room = room
        self.stay_start = date.fromisoformat(check_in)
        self.stay_end = date.fromisoformat(check_out) if check_out else shifted(self.stay_start, 1)
        # Far dates (a stay in 9999 an operator sent) are held within the calendar, never past it.
        self.start = shifted(self.stay_start, -MARGIN_DAYS)
        self.end = shifted(self.stay_end, MARGIN_DAYS - 1)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="forecast-title")
        with VerticalScroll():
            yield Static("", id="forecast-table")
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        nights = forecast(self.app.store, self.room, self.start, self.end)
        self.query_one("#forecast-title", Static).update(
            f"{self.room}  {self.start} → {self.end}   (stay {self.stay_start} → {self.stay_end})"
        )
        self.query_one("#forecast-table", Static).update(forecast_table(nights))

    def action_next_room(self) -> None:
        rooms = [r["code"] for r in room_types(self.app.store)]
        if rooms:
            self.room = rooms[(rooms.index(self.room) + 1) % len(rooms)] if self.room in rooms else rooms[0]
            self.show()

    def action_shift(self, days: int) -> None:
        start, end = shifted(self.start, days), shifted(self.end, days)
        if (end - start) == (self.end - self.start):  # at the calendar's edge the window stays put
            self.start, self.end = start, end
        self.show()
