"""A status board card: one operator, its last scan, and whether it is scanning now."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from core import scanlog
from core.config import OperatorConfig
from core.shown import visible
from core.store import Store

STATE_STYLE = {
    "scanning": ("● scanning", "bold yellow"),
    "ok": ("● ok", "green"),
    "error": ("● error", "bold red"),
    "never": ("○ never scanned", "dim"),
    "disabled": ("○ disabled", "dim"),
    "running": ("● scanning", "bold yellow"),
    "paused": ("‖ paused", "bold magenta"),
}


def last_runs(store: Store) -> dict[str, dict[str, Any]]:
    """The latest scan run of each operator."""
    return {r["operator"]: r for r in scanlog.last_runs(store)}


def card_state(operator: OperatorConfig, run: dict[str, Any] | None, live: str | None, paused: bool = False) -> str:
    if live == "scanning":
        return "scanning"
    if not operator.enabled:
        return "disabled"
    if paused:
        return "paused"
    if run is None:
        return "never"
    if run.get("state") == "running" and not run.get("finished_at"):
        return "scanning"
    if run.get("state") in ("error", "failed"):
        return "error"
    return "ok"


class OperatorCard(Static, can_focus=True):
    """One operator on the status board."""

    DEFAULT_CSS = """
    OperatorCard { height: 7; border: round $panel-lighten-2; padding: 0 1; }
    OperatorCard:focus { border: round $accent; height: auto; min-height: 7; }
    OperatorCard.-error { border: round $error; }
    OperatorCard.-scanning { border: round $warning; }
    OperatorCard.-paused { border: round $secondary; }
    """

    def __init__(self, operator: OperatorConfig, tz: ZoneInfo) -> None:
        super().__init__(id=f"card-{operator.name}")
        self.operator = operator
        self.tz = tz
        self.paused = False
        self._shown: tuple[Any, ...] | None = None
        self.border_title = operator.label

    def show(
        self,
        run: dict[str, Any] | None,
        live: str | None,
        pending: int,
        live_error: str = "",
        pause: dict[str, Any] | None = None,
    ) -> None:
        self._shown = (run, live, pending, live_error, pause)
        self._draw()

    def on_focus(self) -> None:
        self._draw()

    def on_blur(self) -> None:
        self._draw()

    def _draw(self) -> None:
        """Draw the card; the focused card shows its whole error, wrapped (the others one line of it)."""
        from tui.widgets.cells import local_time

        if self._shown is None:
            return
        run, live, pending, live_error, pause = self._shown

        state = card_state(self.operator, run, live, pause is not None)
        self.paused = pause is not None
        label, style = STATE_STYLE[state]
        self.set_class(state == "error", "-error")
        self.set_class(state == "scanning", "-scanning")
        self.set_class(state == "paused", "-paused")
        head = Text()
        head.append(label, style=style)
        head.append(f"   {self.operator.name} · {self.operator.kind}", style="dim")
        run = run or {}
        counts = [Text(), Text()]
        for line, name, key, colour in (
            (0, "Total", "total", ""),
            (0, "New", "new", "cyan"),
            (1, "Changed", "changed", "magenta"),
            (1, "Error", "errors", "red"),
        ):
            value = run.get(key, 0) or 0
            counts[line].append(f"{name:<8}")
            counts[line].append(f"{value:<8}", style=f"bold {colour}" if value and colour else "bold")
        started = local_time(run.get("started_at"), self.tz)
        finished = local_time(run.get("finished_at"), self.tz, "%H:%M:%S") if run.get("finished_at") else "…"
        when = Text(f"Last scan {started} → {finished}" if started else "Last scan —", style="")
        foot = Text(f"{pending} pending in the inbox")
        if pause is not None:
            since = local_time(pause["paused_at"], self.tz, "%m-%d %H:%M")
            foot = Text(
                f"paused {since}"
                + (f" by {pause['paused_by']}" if pause["paused_by"] else "")
                + (f": {pause['reason']}" if pause["reason"] else "")
                + " · p resumes",
                style="magenta",
                overflow="ellipsis",
                no_wrap=True,
            )
        error = "" if pause is not None else live_error or run.get("last_error") or ""
        lines = [head, *counts, when, foot]
        if error:
            # An ok run may still have met a message it could not read: worth a look, not an alarm.
            whole = self.has_focus
            lines[-1] = Text(
                visible(error),
                style="red" if state == "error" else "yellow",
                overflow="fold" if whole else "ellipsis",
                no_wrap=not whole,
            )
        self.update(Group(*lines))
