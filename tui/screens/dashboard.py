"""The dashboard: per operator figures over a period and the daily trend, drawn in the terminal.

Figures come from ``core.report`` (defined in docs/report.md) in a worker
thread, which opens its own store; the table is then filled in one go (one
row per operator, keyed by operator name).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static
from textual_plotext import PlotextPlot

from core.report import daily_trend, operator_report
from core.store import open_store
from tui import shown
from tui.desk_app import STORE_ERRORS, DeskScreen, error_text

PERIODS = (7, 30, 90)
COLUMNS = (
    ("operator", "operator"),
    ("new", "new"),
    ("changes", "chg"),
    ("cancellations", "cxl"),
    ("room_nights", "rn"),
    ("revenue", "revenue"),
    ("lead_time_days", "lead d"),
    ("cancellation_rate", "cxl%"),
    ("price_mismatch_rate", "price≠%"),
    ("median_confirm_minutes", "conf min"),
)

TREND_LINES = (("new", "new"), ("changes", "changes"), ("cancellations", "cancellations"), ("confirmed", "confirmed"))


class DashboardLoaded(Message):
    def __init__(self, figures: list[dict[str, Any]], trend: list[dict[str, Any]]) -> None:
        super().__init__()
        self.figures = figures
        self.trend = trend


def cell(row: dict[str, Any], key: str) -> str:
    value = row[key]
    if key == "revenue":
        return "; ".join(f"{amount} {currency}" for currency, amount in value.items()) or "-"
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


class DashboardScreen(DeskScreen):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="dashboard.back", tooltip="Back"),
        Binding("p", "next_period", "Period", id="dashboard.period", tooltip="7, 30 or 90 days"),
        Binding("left_square_bracket", "shift(-1)", "Earlier", id="dashboard.earlier", tooltip="One period earlier"),
        Binding("right_square_bracket", "shift(1)", "Later", id="dashboard.later", tooltip="One period later"),
        Binding("r", "reload", "Reload", id="dashboard.reload", tooltip="Count again"),
    ]
    DEFAULT_CSS = """
    DashboardScreen #dashboard-title { height: 1; padding: 0 1; }
    DashboardScreen DataTable { height: auto; max-height: 45%; }
    DashboardScreen PlotextPlot { height: 1fr; min-height: 8; }
    """

    def __init__(self, end: date | None = None, days: int = 30, operator: str | None = None) -> None:
        super().__init__()
        self.days = days
        self.end = end or date.today()
        self.operator = operator
        self.figures: list[dict[str, Any]] = []
        self.trend: list[dict[str, Any]] = []

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days - 1)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="dashboard-title")
        yield DataTable(id="dashboard-table", cursor_type="row", zebra_stripes=True)
        yield PlotextPlot(id="dashboard-trend")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.action_reload()

    def action_reload(self) -> None:
        who = f" - {self.operator}" if self.operator else ""
        self.query_one("#dashboard-title", Static).update(
            f"Operators {self.start} → {self.end} ({self.days} days, by arrival){who}   counting…"
        )
        self._load(self.start, self.end, self.operator)

    @work(thread=True, exclusive=True, group="dashboard")
    def _load(self, start: date, end: date, operator: str | None) -> None:
        config = self.app.config
        try:
            with open_store(config) as store:
                figures = operator_report(store, start, end, operator)
                trend = daily_trend(store, start, end, operator)
        except STORE_ERRORS as exc:  # said on the screen; the desk goes on
            self.app.call_from_thread(self._not_loaded, error_text(exc))
            return
        self.post_message(DashboardLoaded(figures, trend))

    def _not_loaded(self, error: str) -> None:
        self.query_one("#dashboard-title", Static).update(shown.text(f"Operators: could not read the store ({error})"))
        self.notify(
            f"Could not read the store ({error}). R reads it again.", title="Dashboard", severity="error", markup=False
        )

    def on_dashboard_loaded(self, message: DashboardLoaded) -> None:
        self.figures, self.trend = message.figures, message.trend
        table = self.query_one(DataTable)
        with self.app.batch_update():
            table.clear()
            for row in self.figures:
                table.add_row(*(shown.app_markup(cell(row, key)) for key, _ in COLUMNS), key=row["operator"])
        self._draw_trend()
        who = f" - {self.operator}" if self.operator else ""
        self.query_one("#dashboard-title", Static).update(
            shown.text(
                f"Operators {self.start} → {self.end} ({self.days} days, by arrival){who}"
                + ("" if self.figures else "   no messages in this period")
            )
        )

    def _draw_trend(self) -> None:
        widget = self.query_one(PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        plt.date_form("Y-m-d", "d.m")
        dates = [d["date"] for d in self.trend]
        for key, label in TREND_LINES:
            plt.plot(dates, [d[key] for d in self.trend], label=label, marker="braille")
        plt.title("Messages per day")
        widget.refresh()

    def action_next_period(self) -> None:
        self.days = PERIODS[(PERIODS.index(self.days) + 1) % len(PERIODS)] if self.days in PERIODS else PERIODS[0]
        self.action_reload()

    def action_shift(self, direction: int) -> None:
        self.end += timedelta(days=direction * self.days)
        self.action_reload()
