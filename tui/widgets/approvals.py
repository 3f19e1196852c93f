"""Internal approval in the app: the approvers table of the detail pane, and the "ask for approval" dialog.

``ApprovalsSection`` is a detail-pane section (register it with
``install()``): it shows each approver of the current round with state and
times, and why the row still waits. ``AskApproval`` is a modal that asks for
approvers and a note; the app starts the round and mails the approvers in a
worker (``tui.desk_actions.ask_approval``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from core import approval as approvals
from core.clock import hotel_time, zone_label
from core.shown import visible
from core.store import Store
from tui.widgets.detail_pane import (
    ChecksSection,
    DetailSection,
    ReservationDetail,
    add_section,
)

if TYPE_CHECKING:
    from textual import getters

    from tui.desk_app import DeskApp

STATE_STYLE = {
    "approved": "green",
    "rejected": "bold red",
    "waiting": "yellow",
    "queued": "dim",
    "withdrawn": "dim",
    "expired": "red",
    "none": "yellow",
}


def approvals_table(shape: dict[str, Any], tz=None) -> RenderableType:
    """The approval table: one line per approver (position, approver, state, asked, decided, via, comment)."""
    head = Text("approval ")
    head.append(shape["state"], style=STATE_STYLE.get(shape["state"], ""))
    if shape["mode"]:
        head.append(f"  ({shape['mode'].replace('_', ' ')})", style="dim")
    if shape["block"]:
        head.append(f"\n{visible(shape['block'])}", style="yellow")
    if not shape["approvers"]:
        return head
    zone = zone_label(tz or timezone.utc)
    table = Table(
        "#",
        "approver",
        "state",
        "asked",
        "decided",
        "via",
        box=None,
        padding=(0, 1),
        expand=True,
        caption=f"times in {zone}",
        caption_justify="left",
    )
    for a in shape["approvers"]:
        # The approver's address and comment came by e-mail: shown as text (core/shown.py).
        table.add_row(
            str(a["position"]),
            Text(visible(a["approver"])),
            Text(visible(a["state"]), style=STATE_STYLE.get(a["state"], "")),
            _when(a["requested_at"], tz),
            _when(a["decided_at"], tz),
            Text(visible(a["decided_via"])),
        )
        if a["comment"]:
            table.add_row("", Text(f"“{visible(a['comment'], lines=True)}”", style="italic"), "", "", "", "")
    return Group(head, table)


def _when(value: str | None, tz) -> str:
    """A time in the table's zone (named once in its caption)."""
    return hotel_time(value, tz or timezone.utc).rsplit(" ", 1)[0] if value else ""


class ApprovalsSection(DetailSection):
    """Shown for rows that need approval or have had an approval round."""

    if TYPE_CHECKING:
        app = getters.app(DeskApp)  # the opdesk app's own attributes, to the type checker (tui/desk_app.py)

    title = "Approval"

    def body(self, detail: ReservationDetail) -> RenderableType | None:
        rid = detail.shape["id"]
        store: Store = self.app.store
        if not detail.shape["needs_approval"] and not approvals.current_round(store, rid):
            return None
        config = getattr(self.app, "config", None)
        return approvals_table(approvals.approvals_json(store, rid), config.timezone if config else None)


def install() -> None:
    """Put the approval section in every detail pane, right after the checks."""
    add_section(ApprovalsSection, after=ChecksSection)


# -- asking ---------------------------------------------------------------------------------------
@dataclass
class ApprovalAsk:
    approvers: list[str]
    note: str


class AskApproval(ModalScreen[ApprovalAsk | None]):
    """Who should approve this booking? Addresses separated by spaces or commas (up to 5)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="approval.cancel")]
    DEFAULT_CSS = """
    AskApproval { align: center middle; }
    AskApproval > Vertical { width: 70; max-width: 100%; height: auto; border: thick $primary; padding: 1 2;
                             background: $surface; }
    AskApproval Input { margin-bottom: 1; }
    AskApproval #approval-buttons { height: auto; align-horizontal: right; }
    """

    def __init__(self, reservation_id: int, approvers: list[str] | None = None) -> None:
        super().__init__()
        self.reservation_id = reservation_id
        self.default = ", ".join(approvers or [])

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Ask for approval of #{self.reservation_id}")
            yield Input(self.default, placeholder="manager@hotel.example, gm@hotel.example", id="approval-approvers")
            yield Input("", placeholder="note for the approvers (optional)", id="approval-note")
            yield Label("", id="approval-error")
            with Horizontal(id="approval-buttons"):
                yield Button("Cancel", id="approval-cancel")
                yield Button("Ask", variant="primary", id="approval-ask")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "approval-ask":
            self._ask()
        else:
            self.dismiss(None)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._ask()

    def _ask(self) -> None:
        raw = self.query_one("#approval-approvers", Input).value
        approvers = [a for a in raw.replace(",", " ").split() if a]
        if not approvers:
            self.query_one("#approval-error", Label).update("name at least one approver's e-mail address")
            return
        self.dismiss(ApprovalAsk(approvers, self.query_one("#approval-note", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)
