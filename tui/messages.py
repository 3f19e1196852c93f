"""Messages the app's workers post back to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class ScanProgress(Message):
    """A scan of one operator moved on: started, counted some messages, finished or failed."""

    operator: str
    state: str  # scanning | done | error
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""


@dataclass
class ScanFinished(Message):
    """Every operator of a scan is done."""

    operators: list[str]
    error: str = ""
    arrived: int = 0  # new, changed and cancelled rows the scan brought
    automatic: bool = False  # started by the timer ([app] auto_scan_seconds), not by a person


@dataclass
class ActionsDone(Message):
    """An action (confirm, reject, save, mapping fix) ran; ``outcomes`` are its ActionOutcome dicts."""

    action: str
    outcomes: list[dict[str, Any]]


@dataclass
class InboxPage(Message):
    """One page of inbox rows, loaded by a worker for the load numbered ``token``."""

    token: int
    rows: list[dict[str, Any]]


@dataclass
class InboxCounts(Message):
    """The tabs' counts and the shown tab's total for the load numbered ``token``, counted beside its page."""

    token: int
    total: int
    counts: dict[str, int]


@dataclass
class InboxTrouble(Message):
    """A part (``page`` or ``counts``) of the load numbered ``token`` could not be read from the store."""

    token: int
    part: str
    error: str
