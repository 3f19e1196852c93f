"""Modals that ask before anything leaves the hotel: confirm, reject, bulk."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from core.shown import visible


class ConfirmModal(ModalScreen[bool]):
    """Ask yes or no; ``y`` / ``enter`` is yes, ``n`` / ``escape`` is no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="modal.yes"),
        Binding("n,escape", "answer(False)", "No", id="modal.no"),
    ]

    def __init__(self, title: str, body: str, yes: str = "Yes") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.body = body
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            # Titles and bodies quote vouchers and operators' words: text, never markup.
            yield Label(visible(self.title_text), classes="dialog-title", markup=False)
            yield Static(visible(self.body, lines=True), classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="primary", id="yes", compact=True)
                yield Button("Cancel (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class RequiredTextModal(ModalScreen[str | None]):
    """A dialog that answers one value that may not be empty, or ``None`` when cancelled.

    Subclasses name the input, the error line and the submit button, and what to
    say when the value is empty; enter or the submit button answers, escape cancels.
    """

    INPUT_ID = ""
    ERROR_ID = ""
    SUBMIT_ID = ""
    EMPTY = ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == self.SUBMIT_ID:
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        value = self.query_one(f"#{self.INPUT_ID}", Input).value.strip()
        if not value:
            self.query_one(f"#{self.ERROR_ID}", Static).update(self.EMPTY)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RejectModal(RequiredTextModal):
    """Ask for the reason of a rejection; it goes to the operator and into the audit log."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="modal.cancel")]
    INPUT_ID, ERROR_ID, SUBMIT_ID, EMPTY = "reason", "reason-error", "reject", "A rejection needs a reason."

    def __init__(self, title: str, body: str) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            # Titles and bodies quote vouchers and operators' words: text, never markup.
            yield Label(visible(self.title_text), classes="dialog-title", markup=False)
            yield Static(visible(self.body, lines=True), classes="dialog-body", markup=False)
            yield Label("Reason (sent to the operator):")
            yield Input(placeholder="e.g. no availability on these dates", id="reason", compact=True)
            yield Static("", id="reason-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject (enter)", variant="error", id="reject", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()


class OverrideModal(RequiredTextModal):
    """Confirm or save although a blocking check failed (a stop-sale, impossible values): asks why.

    The reason goes into the audit log with the override; nothing is sent without one.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="modal.cancel")]
    INPUT_ID, ERROR_ID, SUBMIT_ID, EMPTY = (
        "override-reason",
        "override-error",
        "override",
        "An override needs a reason (it is kept in the audit log).",
    )

    def __init__(self, title: str, body: str, verb: str = "Confirm") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.body = body
        self.verb = verb

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body, classes="dialog-body", markup=False)
            yield Label("Reason for the override (kept in the audit log):")
            yield Input(placeholder="e.g. sales manager agreed by phone", id="override-reason", compact=True)
            yield Static("", id="override-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.verb} anyway (enter)", variant="warning", id="override", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#override-reason", Input).focus()
