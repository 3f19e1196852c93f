"""One operator reservation in full, with its actions."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header

from tui.desk_app import STORE_ERRORS, DeskScreen, error_text
from tui.messages import ActionsDone
from tui.screens.prompts import ask_confirm, ask_mapping, ask_reject, ask_save
from tui.widgets.detail_pane import DetailPane, ReservationDetail


class DetailScreen(DeskScreen):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="detail.back"),
        Binding("c", "confirm", "Confirm", id="detail.confirm", tooltip="Save and confirm to the operator"),
        Binding("x", "reject", "Reject", id="detail.reject", tooltip="Reject with a reason"),
        Binding("s", "save", "Save", id="detail.save", tooltip="Save into the hotel book only"),
        Binding("m", "fix_mapping", "Map", id="detail.map", tooltip="Fix a missing mapping"),
        Binding("w", "forecast", "Forecast", id="detail.forecast", tooltip="Forecast around this stay"),
        Binding("d", "raw_message", "Message", id="detail.raw", tooltip="Read the raw message"),
        Binding("o", "documents", "Documents", id="detail.documents", tooltip="Read the documents (PDF vouchers)"),
        Binding("a", "ask_approval", "Approval", id="detail.approval", tooltip="Ask managers to approve"),
    ]

    def __init__(self, reservation_id: int) -> None:
        super().__init__()
        self.reservation_id = reservation_id
        self.detail: ReservationDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield DetailPane()
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.query_one(DetailPane).focus()

    def load(self) -> None:
        try:
            self.detail = ReservationDetail.load(self.app.store, self.reservation_id)
        except STORE_ERRORS as exc:
            self.notify(
                f"Could not read reservation #{self.reservation_id} from the store ({error_text(exc)})",
                title="Reservation",
                severity="error",
                markup=False,
            )
            if self.detail is None:  # nothing to show: the screen says so, escape goes back
                self.sub_title = f"reservation #{self.reservation_id} could not be read"
                self.app.sub_title = self.sub_title
            return
        s = self.detail.shape
        self.sub_title = f"{s['operator']} {s['voucher']} · {s['status']}"
        self.app.sub_title = self.sub_title
        self.query_one(DetailPane).show(self.detail)

    def on_screen_resume(self) -> None:
        if self.sub_title is not None:  # set by load(), which on_mount runs first
            self.app.sub_title = self.sub_title

    def on_screen_suspend(self) -> None:
        self.app.sub_title = self.app.config.hotel_name

    def on_unmount(self) -> None:
        self.app.sub_title = self.app.config.hotel_name

    def after_action(self, message: ActionsDone) -> None:
        self.load()

    def action_confirm(self) -> None:
        ask_confirm(self.app, [self.reservation_id])

    def action_reject(self) -> None:
        ask_reject(self.app, [self.reservation_id])

    def action_save(self) -> None:
        ask_save(self.app, [self.reservation_id])

    def action_fix_mapping(self) -> None:
        if self.detail is not None:
            ask_mapping(self.app, self.detail.shape)

    def action_documents(self) -> None:
        from tui.screens.documents import DocumentsScreen

        self.app.push_screen(DocumentsScreen(self.reservation_id))

    def action_ask_approval(self) -> None:
        self.app.ask_approval(self.reservation_id)

    def action_forecast(self) -> None:
        from tui.screens.forecast import ForecastScreen

        s = self.detail.shape if self.detail else None
        if not s or not s["hotel_room"] or not s["check_in"]:
            self.app.notify("No forecast: map the room type first (m)", severity="warning")
            return
        self.app.push_screen(ForecastScreen(s["hotel_room"], s["check_in"], s["check_out"]))

    def action_raw_message(self) -> None:
        from tui.screens.raw_message import RawMessageScreen

        if self.detail and self.detail.shape["raw_id"] is not None:
            self.app.push_screen(RawMessageScreen(self.detail.shape["raw_id"]))
