"""f1 help names every key a screen binds (a key left out of help is a key nobody finds)."""

from __future__ import annotations

import pytest

from tui.app import OpdeskApp
from tui.screens.board import BoardScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.detail import DetailScreen
from tui.screens.help import HELP
from tui.screens.inbox import InboxScreen

SHOWN_AS = {
    "slash": "/",
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "escape": "esc",
    "space": "space",
    "enter": "enter",
}
NOT_IN_HELP = {"right", "left", "up", "down", "backspace", "ctrl+r", "ctrl+t"}  # arrows, aliases, reloads


@pytest.mark.parametrize("owner", [OpdeskApp, InboxScreen, DetailScreen, BoardScreen, DashboardScreen])
def test_help_names_every_key_of_the_screen(owner):
    missing = []
    for binding in owner.BINDINGS:
        keys = [k.strip() for k in binding.key.split(",")]
        if all(k in NOT_IN_HELP for k in keys):
            continue
        if not any(f"`{SHOWN_AS.get(k, k)}`" in HELP for k in keys if k not in NOT_IN_HELP):
            missing.append(binding.key)
    assert missing == []


def test_help_names_approval_documents_dashboard_and_pause():
    for words in ("`a` ask managers to approve", "`o` documents", "`D` dashboard", "`p` pause / resume"):
        assert words in HELP
