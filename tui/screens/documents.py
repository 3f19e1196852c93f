"""The documents that came with a reservation (PDF vouchers, attachments), as text a person can read."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static, TextArea

from core.documents import document_path, document_text, documents_of
from core.shown import visible
from tui.desk_app import DeskScreen


class DocumentsScreen(DeskScreen):
    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Back", id="documents.back")]

    def __init__(self, reservation_id: int) -> None:
        super().__init__()
        self.reservation_id = reservation_id

    def compose(self) -> ComposeResult:
        store = self.app.store
        docs = documents_of(store, self.reservation_id)
        yield Header()
        if not docs:
            yield Static("No documents came with this reservation (d shows the raw message).", id="documents-none")
        else:
            names = ", ".join(d["name"] for d in docs)
            yield Static(visible(f"{len(docs)} document(s): {names}"), id="documents-head", markup=False)
            text = "\n\n".join(
                f"── {d['name']} ({d['content_type']}) · {document_path(store, d)}\n\n{document_text(store, d)}"
                for d in docs
            )
            yield TextArea(
                visible(text, lines=True), read_only=True, soft_wrap=True, show_line_numbers=False, id="documents-text"
            )
        yield Footer()

    def on_mount(self) -> None:
        for area in self.query(TextArea):
            area.focus()
