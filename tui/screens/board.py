"""The status board: one card per operator, updated live while scans run."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.events import Resize
from textual.widgets import Footer, Header, Static

from core.inbox import pending_by_operator
from core.pauses import ALL, pause, pause_of, paused, resume
from tui.desk_app import STORE_ERRORS, DeskScreen, error_text
from tui.widgets.operator_card import OperatorCard, last_runs

CARD_WIDTH = 38
POLL_SECONDS = 1.0


class BoardScreen(DeskScreen):
    BINDINGS = [
        Binding("s", "scan_one", "Scan this", id="board.scan", tooltip="Scan the operator of the focused card"),
        Binding("a", "scan_all", "Scan all", id="board.scan_all", tooltip="Scan every enabled operator"),
        Binding(
            "p",
            "toggle_pause",
            "Pause",
            id="board.pause",
            tooltip="Pause or resume scanning the focused operator (kept across restarts)",
        ),
        Binding(
            "P",
            "toggle_pause_all",
            "Pause all",
            show=False,
            id="board.pause_all",
            tooltip="Pause or resume scanning every operator",
        ),
        Binding("right,down", "app.focus_next", "Next", show=False, id="board.next"),
        Binding("left,up", "app.focus_previous", "Previous", show=False, id="board.previous"),
        Binding("enter", "open_inbox", "Inbox", id="board.inbox", tooltip="Inbox of this operator"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="pms-line", markup=False)
        operators = self.app.config.operators
        with Grid(id="cards"):
            for op in operators:
                yield OperatorCard(op, self.app.config.timezone)
        if not operators:
            yield Static(
                "No operators configured: add [[operators]] tables to the config (see config.example.toml).",
                id="no-operators",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_cards()
        self.set_interval(POLL_SECONDS, self._poll)
        cards = list(self.query(OperatorCard))
        if cards:
            cards[0].focus()

    def _poll(self) -> None:
        # Scans started elsewhere (cron, another terminal) show up here too.
        if self.is_current:
            self.refresh_cards()

    def on_screen_resume(self) -> None:
        self.refresh_cards()

    def on_resize(self, event: Resize) -> None:
        columns = max(1, event.size.width // CARD_WIDTH)
        self.query_one("#cards", Grid).styles.grid_size_columns = columns

    _read_error = ""  # the store's last error, said once, until a poll reads it again

    def refresh_cards(self) -> None:
        """Show each operator's last scan, pending rows and pause; a store that cannot be read is
        said once (not every second), and the next poll tries again."""
        try:
            self._refresh_cards()
        except STORE_ERRORS as exc:
            error = error_text(exc)
            if error != self._read_error:
                self.notify(
                    f"Could not read the store ({error}); the board tries again every second.",
                    title="Board",
                    severity="error",
                    markup=False,
                )
            self._read_error = error
        else:
            self._read_error = ""

    def _refresh_cards(self) -> None:
        store = self.app.store
        runs = last_runs(store)
        pending = pending_by_operator(store)
        pauses = paused(store)
        self._show_pms_line()
        for card in self.query(OperatorCard):
            name = card.operator.name
            card.show(
                runs.get(name),
                self.app.scanning.get(name),
                pending.get(name, 0),
                self.app.scan_errors.get(name, ""),
                pause_of(pauses, name),
            )

    def _show_pms_line(self) -> None:
        from core.pms import board_line, pms_configured

        line = self.query_one("#pms-line", Static)
        line.display = pms_configured(self.app.config)
        if line.display:
            line.update(board_line(self.app.store))

    def _focused_operator(self) -> str | None:
        focused = self.focused
        return focused.operator.name if isinstance(focused, OperatorCard) else None

    def action_scan_one(self) -> None:
        name = self._focused_operator()
        if name:
            self.app.start_scan([name])

    def action_scan_all(self) -> None:
        self.app.start_scan(None)

    def action_toggle_pause(self) -> None:
        focused = self.focused
        if not isinstance(focused, OperatorCard):
            return
        name = focused.operator.name
        store, known = self.app.store, [op.name for op in self.app.config.operators]
        if focused.paused:
            resume(store, self.app.actor, name, known)
            self.app.notify(f"{name}: scanning resumed", title="Resumed")
        else:
            pause(store, self.app.actor, name)
            self.app.notify(f"{name}: paused; scans skip it until resumed (p)", title="Paused")
        self.refresh_cards()

    def action_toggle_pause_all(self) -> None:
        store, known = self.app.store, [op.name for op in self.app.config.operators]
        if ALL in paused(store):
            resume(store, self.app.actor, None, known)
            self.app.notify("Every operator resumed", title="Resumed")
        else:
            pause(store, self.app.actor, None)
            self.app.notify("Every operator paused; scans skip them until resumed (P)", title="Paused")
        self.refresh_cards()

    def action_open_inbox(self) -> None:
        from dataclasses import replace

        from tui.screens.inbox import InboxScreen

        name = self._focused_operator()
        self.app.switch_mode("inbox")
        screen = self.app.screen
        if name and isinstance(screen, InboxScreen):
            screen._set_filter(replace(screen.flt, operator=name))
