"""Which failed checks stop a save or a confirm, and which a person may wave through.

Most checks only keep a row out of ``confirm --clean``: staff may still save
or confirm it by hand after a look. Two are stronger, because acting on them
is a decision the hotel must be able to trace: ``values`` (a booking with
impossible numbers or dates) and ``stop_sale`` (the hotel closed those
nights). A failed one of these refuses save and confirm until the operator
sends a corrected version, or a person overrides it with a reason
(``--override values --reason TEXT``), which is audited with the action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from core.errors import InvalidInput

OVERRIDABLE = ("values", "stop_sale")
"""The checks that block an action, and so the only ones an override can name."""

FAILED = "fail"


class OverrideError(InvalidInput):
    """An override that cannot be used: an unknown check, or no reason."""


@dataclass(frozen=True)
class Overrides:
    """What a person chose to wave through for the rows of one command, and why."""

    checks: frozenset[str] = field(default_factory=frozenset)
    reason: str = ""

    @classmethod
    def of(cls, checks: Iterable[str], reason: str = "") -> "Overrides":
        names = [c.strip() for c in checks if c.strip()]
        unknown = [c for c in names if c not in OVERRIDABLE]
        if unknown:
            raise OverrideError(f"--override {unknown[0]}: only {' and '.join(OVERRIDABLE)} can be overridden")
        if names and not reason.strip():
            raise OverrideError(f"--override {names[0]} needs --reason TEXT (it is kept in the audit log)")
        return cls(frozenset(names), reason.strip())

    def __bool__(self) -> bool:
        return bool(self.checks)


NONE = Overrides()


@dataclass(frozen=True)
class Decision:
    blocking: dict[str, str]  # check -> its message: these refuse the action
    overridden: dict[str, str]  # check -> its message: these failed, and were waved through


def blocking_checks(checks: dict[str, Any], overrides: Overrides = NONE) -> Decision:
    """Split a row's failed blocking checks into those that refuse the action and those overridden.

    ``checks`` is a row's check outcomes by name, each with ``state`` and ``message``
    (as stored, or ``CheckOutcome.as_dict()``).
    """
    blocking: dict[str, str] = {}
    overridden: dict[str, str] = {}
    for name in OVERRIDABLE:
        check = checks.get(name)
        if not check or str(check.get("state")) != FAILED:
            continue
        (overridden if name in overrides.checks else blocking)[name] = str(check.get("message", ""))
    return Decision(blocking, overridden)


def refusal(row_id: int, decision: Decision) -> str:
    """What a refused row's outcome says: each blocking check and the override that would pass it."""
    # The stop-sale check's message already says "stop-sale on ..."; the values check's lists fields.
    parts = [message if name == "stop_sale" else f"{name}: {message}" for name, message in decision.blocking.items()]
    flags = " ".join(f"--override {name}" for name in decision.blocking)
    return f"#{row_id}: {'; '.join(parts)} (a corrected message from the operator clears it; or {flags} --reason TEXT)"
