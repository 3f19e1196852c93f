"""What the screens and widgets use of the opdesk app, beside Textual's own.

The app (``tui/app.py``) imports every screen, so a screen cannot name the app's class
without an import cycle. It names this one instead, which ``OpdeskApp`` extends: the
store, the config, who acts, and the scans and actions the app runs in its workers.
Screens extend ``DeskScreen``, which says so to the type checker; a modal or widget that
uses them says it itself, as Textual's own base class does::

    if TYPE_CHECKING:
        app = getters.app(DeskApp)

At run time ``self.app`` is the running app, as always.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from textual import getters
from textual.app import App
from textual.screen import Screen

from core.audit import Actor
from core.config import Config
from core.errors import OpdeskError
from core.store import Store, StorePool

#: What reading the store may raise that the app says on the screen and goes on from.
STORE_ERRORS = (OpdeskError, sqlite3.Error)


def error_text(exc: BaseException) -> str:
    """An error as the app says it: its kind and its message."""
    return f"{type(exc).__name__}: {exc}"


class DeskApp(App):
    config: Config
    store: Store  # the app's own connection, for the UI thread
    actor: Actor  # who the audit log says acted
    scanning: dict[str, str]  # operator -> scanning | done | error (this session)
    scan_errors: dict[str, str]  # operator -> the last scan's error

    @property
    def store_pool(self) -> StorePool:
        """Connections kept for the workers that read on every keystroke."""
        raise NotImplementedError

    def worker_store(self) -> Store:
        """A store for the calling worker thread (a connection belongs to its thread)."""
        raise NotImplementedError

    def act_on_rows(self, action: str, ids: list[int], reason: str = "", overrides: list[str] | None = None) -> None:
        """Confirm, reject or save rows in a worker."""
        raise NotImplementedError

    def ask_approval(self, reservation_id: int) -> None:
        """Ask managers to approve a booking."""
        raise NotImplementedError

    def start_scan(self, operators: list[str] | None, *, automatic: bool = False) -> None:
        """Scan these operators (None: every enabled one) in a worker."""
        raise NotImplementedError


class DeskScreen(Screen):
    """A screen of the opdesk app: ``self.app`` is a ``DeskApp`` to the type checker."""

    if TYPE_CHECKING:
        app = getters.app(DeskApp)
