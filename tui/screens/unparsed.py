"""Messages that need a person: no parser knew them, or a parser failed on them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from core.inbox import raw_messages
from tui import shown
from tui.desk_app import DeskScreen
from tui.widgets.cells import local_time


class UnparsedScreen(DeskScreen):
    BINDINGS = [Binding("ctrl+r", "reload", "Reload", id="unparsed.reload")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="unparsed-title")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="unparsed-table")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (
            ("id", "#", 5),
            ("operator", "Operator", 9),
            ("received", "Received", 11),
            ("state", "State", 8),
            ("name", "Message", 20),
            ("error", "Error", 60),
        ):
            table.add_column(label, key=key, width=width)
        self.reload()
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def after_scan(self) -> None:
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        table = self.query_one(DataTable)
        rows = raw_messages(self.app.store)
        table.clear()
        tz = self.app.config.timezone
        for r in rows:
            table.add_row(
                *shown.cells(
                    r["id"],
                    r["operator"],
                    local_time(r["received_at"], tz),
                    r["parse_state"],
                    r["filename"] or r["source_ref"] or r["channel"],
                    r["parse_error"],
                ),
                key=str(r["id"]),
            )
        title = (
            f"{len(rows)} message(s) need a person — enter reads one" if rows else "Every message was read by a parser."
        )
        self.query_one("#unparsed-title", Static).update(title)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from tui.screens.raw_message import RawMessageScreen

        if event.row_key.value is not None:
            self.app.push_screen(RawMessageScreen(int(event.row_key.value)))
