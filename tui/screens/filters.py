"""The inbox filter dialog: operator, content, created dates, stay dates, clean only."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Literal, TypedDict

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from core.inbox import InboxFilter

DateField = Literal["since", "until", "stay_from", "stay_to"]
DATE_FIELDS: tuple[tuple[DateField, str], ...] = (
    ("since", "Created from"),
    ("until", "Created to"),
    ("stay_from", "Stay from"),
    ("stay_to", "Stay to"),
)


class FilterDates(TypedDict, total=False):
    """The dialog's dates, as ``InboxFilter`` names them (the keys of DATE_FIELDS)."""

    since: date | None
    until: date | None
    stay_from: date | None
    stay_to: date | None


def _select(options: list[tuple[str, str]], value: str | None, widget_id: str) -> Select:
    known = value in {v for _, v in options}
    if known:
        return Select(options, value=value, prompt="any", id=widget_id, compact=True)
    return Select(options, prompt="any", id=widget_id, compact=True)


class FilterModal(ModalScreen[InboxFilter | None]):
    """Edit the inbox filter; the search box and status tabs keep their own values."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="filter.cancel")]

    def __init__(self, flt: InboxFilter, operators: list[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.flt = flt
        self.operators = operators

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="filter-dialog"):
            yield Label("Filter the inbox", classes="dialog-title")
            with Grid(id="filter-grid"):
                yield Label("Operator")
                yield _select([(name, name) for name in self.operators], self.flt.operator, "operator")
                yield Label("Content")
                yield _select([(c, c) for c in ("new", "change", "cancel")], self.flt.content, "content")
                for key, label in DATE_FIELDS:
                    value = getattr(self.flt, key)
                    yield Label(label)
                    yield Input(value.isoformat() if value else "", placeholder="YYYY-MM-DD", id=key, compact=True)
            yield Checkbox("Clean rows only", self.flt.clean_only, id="clean", compact=True)
            yield Checkbox("Latest version only", self.flt.latest_only, id="latest", compact=True)
            yield Static("", id="filter-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="apply", compact=True)
                yield Button("Clear", id="clear", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self._apply()
        elif event.button.id == "clear":
            self.dismiss(
                InboxFilter(
                    status=self.flt.status, search=self.flt.search, sort=self.flt.sort, descending=self.flt.descending
                )
            )
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply()

    def _apply(self) -> None:
        dates: FilterDates = {}
        for key, label in DATE_FIELDS:
            text = self.query_one(f"#{key}", Input).value.strip()
            try:
                dates[key] = date.fromisoformat(text) if text else None
            except ValueError:
                self.query_one("#filter-error", Static).update(f"{label}: {text!r} is not a date; use YYYY-MM-DD")
                return
        operator = self.query_one("#operator", Select).value
        content = self.query_one("#content", Select).value
        self.dismiss(
            replace(
                self.flt,
                operator=operator if isinstance(operator, str) else None,
                content=content if isinstance(content, str) else None,
                clean_only=self.query_one("#clean", Checkbox).value,
                latest_only=self.query_one("#latest", Checkbox).value,
                **dates,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
