"""The Textual app: status board, inbox, detail, forecast, unparsed messages.

Screens read the store on the UI thread only for small queries (one row, one
page); everything long (actions that talk to operators, scans, re-mapping,
searches over the whole inbox) runs in thread workers that open their own
``Store`` and answer with messages from ``tui.messages``.
"""

from __future__ import annotations

import gc
from typing import Any, Callable, Iterable

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import AwaitMount

from core import desk
from core.approval import ApprovalSettings
from core.audit import Actor
from core.config import Config
from core.desk import ActionOutcome, Replier
from core.errors import OpdeskError
from core.overrides import Overrides
from core.redact import mask_text
from core.shown import visible
from core.store import Store, StorePool, open_store
from tui import desk_actions
from tui.desk_app import STORE_ERRORS, DeskApp, error_text
from tui.messages import ActionsDone, ScanFinished, ScanProgress
from tui.screens.agencies import AgenciesScreen
from tui.screens.board import BoardScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.inbox import InboxScreen
from tui.screens.unparsed import UnparsedScreen
from tui.widgets import approvals as approval_widgets
from tui.widgets import scanning

ReplierFactory = Callable[[Store], Replier]

ACTION_DONE = {"confirm": "confirmed", "reject": "rejected", "save": "saved", "map": "mapped"}


def _connector_replier(config: Config) -> ReplierFactory:
    def build(store: Store) -> Replier:
        return desk_actions.ConnectorReplier(store, config)

    return build


# Connections the pool opens at most: the inbox's page and its counts, each with the store's page cache
# (64 MB at most). Measured at 1,000,000 rows: a search's counts shown in about 110 ms instead of
# 150, the app at 270 MB at its peak instead of 264; keeping four held 364 MB (docs/performance.md).
# No more are opened while a keystroke's reads wait for those of the one before to stop.
POOLED = 2


class OpdeskApp(DeskApp):
    """opdesk in the terminal (and in a browser through ``opdesk web``)."""

    CSS_PATH = "app.tcss"
    TITLE = "opdesk"
    MODES = {"inbox": InboxScreen, "board": BoardScreen, "unparsed": UnparsedScreen, "dashboard": DashboardScreen}
    DEFAULT_MODE = "inbox"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]

    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", id="app.help", tooltip="Keys and screens"),
        Binding("b", "switch_mode('board')", "Board", id="app.board", tooltip="Status board: operators and scans"),
        Binding("i", "switch_mode('inbox')", "Inbox", id="app.inbox", tooltip="Operator reservations"),
        Binding("u", "switch_mode('unparsed')", "Unparsed", id="app.unparsed", tooltip="Messages nobody could read"),
        Binding(
            "D",
            "switch_mode('dashboard')",
            "Dashboard",
            id="app.dashboard",
            tooltip="Operators' figures and daily trend",
        ),
        Binding("ctrl+t", "toggle_theme", "Theme", id="app.theme", show=False, tooltip="Dark or light"),
        Binding(
            "g",
            "agencies",
            "Agencies",
            id="app.agencies",
            show=False,
            tooltip="Agencies and rate codes: price model, child bands",
        ),
    ]

    def __init__(
        self,
        config: Config,
        *,
        replier_factory: ReplierFactory | None = None,
        actor: Actor | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.store = open_store(config)
        self._store_pool: StorePool | None = None
        self.replier_factory = replier_factory or _connector_replier(config)
        self.actor = actor or Actor.current("app")
        self.scanning: dict[str, str] = {}  # operator -> scanning | done | error (this session)
        self.scan_errors: dict[str, str] = {}
        self.sub_title = config.hotel_name
        approval_widgets.install()
        settings = config.section("app")
        self.theme = str(settings.get("theme", "textual-dark"))
        keys = settings.get("keys", {})
        if isinstance(keys, dict) and keys:
            self.set_keymap({str(k): str(v) for k, v in keys.items()})

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications quote vouchers, names and operators' errors: shown as text, controls made visible,
        and secrets masked (core.redact): an operator's error may quote a credential."""
        super().notify(
            visible(mask_text(str(message)), lines=True),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    # -- stores -------------------------------------------------------------------
    def worker_store(self) -> Store:
        """A store for the calling worker thread (a connection belongs to its thread)."""
        return open_store(self.config)

    @property
    def store_pool(self) -> StorePool:
        """Connections kept for the workers that read on every keystroke (the inbox's page and counts)."""
        if self._store_pool is None:
            self._store_pool = StorePool(self.worker_store, size=POOLED)
        return self._store_pool

    def on_unmount(self) -> None:
        if self._store_pool is not None:
            self._store_pool.close()
        self.store.close()

    # -- app-wide actions ------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_agencies(self) -> None:
        if not isinstance(self.screen, AgenciesScreen):
            self.push_screen(AgenciesScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Inbox", "Operator reservations waiting for a decision", self._mode("inbox"))
        yield SystemCommand("Status board", "Operators, their last scan, scan now", self._mode("board"))
        yield SystemCommand("Unparsed messages", "Messages a person must read", self._mode("unparsed"))
        yield SystemCommand(
            "Dashboard", "Per operator: bookings, revenue, lead time, mismatches; daily trend", self._mode("dashboard")
        )
        yield SystemCommand(
            "Scan all operators", "Fetch new messages from every enabled operator", lambda: self.start_scan(None)
        )
        for op in self.config.operators:
            if op.enabled:
                yield SystemCommand(
                    f"Scan {op.label}",
                    f"Fetch new messages from {op.name} only",
                    lambda name=op.name: self.start_scan([name]),
                )
        yield SystemCommand(
            "Agencies and rate codes", "How each agency's rate codes price; edit them", self.action_agencies
        )
        yield SystemCommand("Toggle dark / light", "Switch the theme", self.action_toggle_theme)
        yield SystemCommand("Help", "Keys and screens", self.action_help)

    def _mode(self, mode: str) -> Callable[[], AwaitMount]:
        return lambda: self.switch_mode(mode)

    # -- actions on inbox rows ------------------------------------------------------
    def act_on_rows(self, action: str, ids: list[int], reason: str = "", overrides: list[str] | None = None) -> None:
        """Confirm, reject or save rows in a worker; the outcome comes back as ``ActionsDone``.

        ``overrides`` names failed blocking checks (stop_sale, values) a person waved through; ``reason`` says why.
        """
        self._action_worker(action, list(ids), reason, list(overrides or []))

    def _in_worker(self, action: str, work: Callable[[Store], list[ActionOutcome]]) -> None:
        """Run ``work`` on a store of this thread; its outcome, or its error, comes back as ``ActionsDone``.

        Whatever goes wrong (a refusal, a locked store, a bug) becomes a refused
        outcome the app shows as a notification: a worker never ends the app.
        """
        try:
            store = self.worker_store()
            try:
                outcomes = work(store)
            finally:
                store.close()
        except OpdeskError as exc:
            outcomes = [ActionOutcome(0, action, False, str(exc))]
        except Exception as exc:  # noqa: BLE001 - shown to the user, the app goes on
            outcomes = [ActionOutcome(0, action, False, error_text(exc))]
        self.post_message(ActionsDone(action, [o.as_dict() for o in outcomes]))

    @work(thread=True, group="actions")
    def _action_worker(self, action: str, ids: list[int], reason: str, overrides: list[str]) -> None:
        self._in_worker(action, lambda store: self._act_then_hand_to_pms(store, action, ids, reason, overrides))

    def _act_then_hand_to_pms(
        self, store: Store, action: str, ids: list[int], reason: str, overrides: list[str]
    ) -> list[ActionOutcome]:
        outcomes = self._act(store, action, ids, reason, overrides)
        if action in ("confirm", "save"):
            self._pms_after_save(store)
        return outcomes

    def _pms_after_save(self, store: Store) -> None:
        """``[pms] auto = true``: hand what was just saved to the PMS; say so when it did not go."""
        from tui.commands.pms import after_save_line

        line, trouble = after_save_line(store, self.config, self.actor)
        if line:
            self.call_from_thread(
                self.notify, line, title="PMS", severity="warning" if trouble else "information", markup=False
            )

    def _act(
        self, store: Store, action: str, ids: list[int], reason: str, overrides: list[str] | None = None
    ) -> list[ActionOutcome]:
        waved = Overrides.of(overrides or [], reason)
        if action == "confirm":
            return desk_actions.confirm(store, self.config, ids, self.actor, self.replier_factory(store), waved)
        if action == "reject":
            return desk_actions.reject(store, self.config, ids, self.actor, reason, self.replier_factory(store))
        if action == "save":
            return desk.save(store, self.config, ids, self.actor, waved)
        raise ValueError(f"unknown action {action!r}")

    def ask_approval(self, reservation_id: int) -> None:
        """Ask managers to approve a booking (a dialog, then the mails go out from a worker)."""
        settings = ApprovalSettings.from_config(self.config)

        def asked(ask: approval_widgets.ApprovalAsk | None) -> None:
            if ask is not None:
                self._approval_worker(reservation_id, ask)

        self.push_screen(approval_widgets.AskApproval(reservation_id, settings.default_approvers), asked)

    @work(thread=True, group="actions")
    def _approval_worker(self, reservation_id: int, ask: approval_widgets.ApprovalAsk) -> None:
        def work(store: Store) -> list[ActionOutcome]:
            try:
                asked = desk_actions.ask_approval(
                    store, self.config, reservation_id, ask.approvers, self.actor, note=ask.note
                )
            except OpdeskError as exc:
                return [ActionOutcome(reservation_id, "approval", False, f"not started: {exc}")]
            return [asked.outcome()]

        self._in_worker("approval", work)

    def fix_mapping(self, operator: str, kind: str, code: str, hotel_code: str) -> None:
        self._mapping_worker(operator, kind, code, hotel_code)

    @work(thread=True, group="actions")
    def _mapping_worker(self, operator: str, kind: str, code: str, hotel_code: str) -> None:
        self._in_worker(
            "map", lambda store: [desk.map_code(store, self.config, operator, kind, code, hotel_code, self.actor)]
        )

    def on_actions_done(self, message: ActionsDone) -> None:
        self._report(message)
        for screen in self._screens_to_refresh():
            refresh = getattr(screen, "after_action", None)
            if refresh is not None:
                refresh(message)

    def _report(self, message: ActionsDone) -> None:
        done = [o for o in message.outcomes if o["ok"]]
        refused = [o for o in message.outcomes if not o["ok"]]
        verb = ACTION_DONE.get(message.action, message.action)
        if message.action == "map" and done:
            self.notify(done[0]["message"], title="Mapping saved")
            return
        if message.action == "approval":
            o = message.outcomes[0]
            self.notify(o["message"], title="Approval", severity="information" if o["ok"] else "error")
            return
        if len(message.outcomes) == 1 and done:
            o = done[0]
            self.notify(f"{o['operator']} {o['voucher']}: {o['message']}", title=verb.capitalize())
        elif done:
            self.notify(f"{len(done)} row(s) {verb}", title=verb.capitalize())
        for o in refused[:3]:
            self.notify(o["message"], title=f"Not {verb}", severity="error", timeout=10)
        if len(refused) > 3:
            self.notify(f"{len(refused) - 3} more row(s) not {verb}", severity="error", timeout=10)

    def _screens_to_refresh(self) -> list[Screen]:
        return list(self.screen_stack)

    # -- scans --------------------------------------------------------------------------
    def on_mount(self) -> None:
        # What the app holds from here on (modules, country tables, its widgets) lives as long as it
        # does: moved out of the collector's way, so a full collection walks only what came since.
        # Walking it all took 30 to 90 ms, a dozen times in twenty searches at a million rows,
        # each time on a keystroke's way to the screen.
        gc.freeze()
        seconds = float(self.config.section("app").get("auto_scan_seconds", 0) or 0)
        if seconds > 0:
            self.set_interval(seconds, self._auto_scan)
        self._start_pms_retries()

    def _start_pms_retries(self) -> None:
        """With ``[pms] auto = true``, deliveries whose backoff ran out go again while the app is open."""
        from tui.commands.pms import retry_poll_seconds

        seconds = retry_poll_seconds(self.config)
        if seconds:
            self.set_interval(seconds, self._pms_retry_worker)

    @work(thread=True, group="pms", exclusive=True)
    def _pms_retry_worker(self) -> None:
        try:
            store = self.worker_store()
            try:
                self._pms_after_save(store)
            finally:
                store.close()
        except STORE_ERRORS as exc:  # said, and tried again at the next round
            error = f"The PMS retry could not read the store ({error_text(exc)})"
            self.call_from_thread(self.notify, error, title="PMS", severity="warning")

    def _auto_scan(self) -> None:
        names = [op.name for op in self.config.operators if op.enabled]
        if names and not any(self.scanning.get(n) == "scanning" for n in names):
            self.start_scan(names, automatic=True)

    def start_scan(self, operators: list[str] | None, *, automatic: bool = False) -> None:
        names = operators or [op.name for op in self.config.operators if op.enabled]
        if not names:
            self.notify("No enabled operators in the config: add [[operators]] tables", severity="warning")
            return
        busy = [n for n in names if self.scanning.get(n) == "scanning"]
        if busy:
            self.notify(f"Already scanning: {', '.join(busy)}", severity="warning")
            return
        for name in names:
            self.scanning[name] = "scanning"
            self.scan_errors.pop(name, None)
        self._refresh_board()
        self._scan_worker(names, automatic)

    @work(thread=True, group="scan")
    def _scan_worker(self, names: list[str], automatic: bool = False) -> None:
        def progress(operator: str, state: str, counts: dict[str, int] | None = None, error: str = "") -> None:
            self.post_message(ScanProgress(operator, state, counts or {}, error))

        error, arrived = "", 0
        try:
            runs = scanning.scan(self.config, names, progress)
            arrived = sum(
                getattr(r, "new", 0) + getattr(r, "changed", 0) + getattr(r, "cancelled", 0) for r in runs or []
            )
        except Exception as exc:  # noqa: BLE001 - a failed scan is shown on the board, never crashes the app
            error = str(exc) or type(exc).__name__
        self.post_message(ScanFinished(names, error, arrived, automatic))

    def on_scan_progress(self, message: ScanProgress) -> None:
        self.scanning[message.operator] = message.state
        if message.error:
            self.scan_errors[message.operator] = message.error
        self._refresh_board()

    def on_scan_finished(self, message: ScanFinished) -> None:
        for name in message.operators:
            if self.scanning.get(name) == "scanning":
                self.scanning[name] = "error" if message.error else "done"
            if message.error:
                self.scan_errors[name] = message.error
        held = [n for n in message.operators if self.scanning.get(n) == "paused"]
        if held and not message.automatic:
            self.notify(
                f"Skipped, paused: {', '.join(held)} (p on the board resumes)", title="Paused", severity="warning"
            )
        if message.error:
            self.notify(message.error, title="Scan failed", severity="error", timeout=10)
        elif not message.automatic:
            self.notify(f"Scanned {', '.join(message.operators)}: {message.arrived} new message(s)", title="Scan done")
        elif message.arrived:
            self.notify(f"{message.arrived} new message(s) from the operators", title="Inbox")
        self._refresh_board()
        for screen in self._screens_to_refresh():
            refresh = getattr(screen, "after_scan", None)
            if refresh is not None:
                refresh()

    def _refresh_board(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, BoardScreen):
                screen.refresh_cards()
