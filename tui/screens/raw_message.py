"""A raw message as the operator sent it: what a person reads when no parser could."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static, TextArea

from core.inbox import raw_row
from core.shown import visible
from tui.desk_app import DeskScreen

MAX_CHARS = 200_000


def message_text(row: dict) -> str:
    """The readable text of a raw message: the parser's text when it left one, else the bytes decoded."""
    if row.get("text_preview"):
        return row["text_preview"]
    body = bytes(row["body"])[:MAX_CHARS]
    return body.decode("utf-8", errors="replace")


class RawMessageScreen(DeskScreen):
    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Back", id="raw.back")]

    def __init__(self, raw_id: int) -> None:
        super().__init__()
        self.raw_id = raw_id

    def compose(self) -> ComposeResult:
        row = raw_row(self.app.store, self.raw_id)
        yield Header()
        if row is None:
            yield Static(f"No raw message #{self.raw_id}")
        else:
            head = (
                f"#{row['id']} {row['operator']} · {row['channel']} · {row['filename'] or row['source_ref']} · "
                f"{row['parse_state']}"
            )
            yield Static(visible(head), id="raw-head", markup=False)
            if row["parse_error"]:
                yield Static(visible(row["parse_error"]), id="raw-error", classes="error-line", markup=False)
            yield TextArea(
                visible(message_text(row), lines=True),
                read_only=True,
                soft_wrap=True,
                show_line_numbers=False,
                id="raw-text",
            )
        yield Footer()

    def on_mount(self) -> None:
        for area in self.query(TextArea):
            area.focus()
