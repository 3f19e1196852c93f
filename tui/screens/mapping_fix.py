"""The mapping fix: pick the hotel's code for an operator code that has none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from core.inbox import pending_using_code
from core.mapping import hotel_codes
from core.shown import visible
from tui import shown
from tui.widgets.confirmation import RequiredTextModal

if TYPE_CHECKING:
    from textual import getters

    from tui.desk_app import DeskApp


def suggestions(codes: list[dict], operator_code: str) -> list[dict]:
    """The hotel's codes, the likeliest first: same code, then sharing a prefix, then the rest."""
    wanted = operator_code.upper()

    def rank(row: dict) -> tuple[int, str]:
        code = row["code"].upper()
        if code == wanted:
            return 0, code
        if wanted.startswith(code) or code.startswith(wanted[:2]):
            return 1, code
        return 2, code

    return sorted(codes, key=rank)


class MappingFixModal(RequiredTextModal):
    """Answer the hotel code; saving it re-maps every pending row that uses the operator code."""

    if TYPE_CHECKING:
        app = getters.app(DeskApp)  # the opdesk app's own attributes, to the type checker (tui/desk_app.py)

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="mapping.cancel")]
    INPUT_ID, ERROR_ID, SUBMIT_ID, EMPTY = "hotel-code", "mapping-error", "save", "Pick or type the hotel's code."

    def __init__(self, operator: str, kind: str, code: str) -> None:
        super().__init__(classes="dialog-screen")
        self.operator = operator
        self.kind = kind
        self.code = code

    def compose(self) -> ComposeResult:
        codes = suggestions(hotel_codes(self.app.store, self.kind), self.code)
        waiting = pending_using_code(self.app.store, self.operator, self.kind, self.code)
        with Vertical(classes="dialog", id="mapping-dialog"):
            yield Label(visible(f"Map {self.operator} {self.kind} {self.code}"), classes="dialog-title", markup=False)
            yield Static(f"{waiting} pending row(s) use this code; saving re-maps them all.", classes="dialog-body")
            yield OptionList(
                *(Option(shown.text(f"{c['code']:<6} {c.get('name') or ''}"), id=c["code"]) for c in codes), id="codes"
            )
            yield Input(placeholder="hotel code", id="hotel-code", compact=True)
            yield Static("", id="mapping-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (enter)", variant="primary", id="save", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        options = self.query_one("#codes", OptionList)
        if options.option_count:
            options.highlighted = 0
            options.focus()
        else:
            options.display = False
            self.query_one("#hotel-code", Input).focus()
            self.query_one("#mapping-error", Static).update(f"The hotel has no {self.kind} codes yet: type one.")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.query_one("#hotel-code", Input).value = event.option.id or ""

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#hotel-code", Input).value = event.option.id or ""
        self._submit()
