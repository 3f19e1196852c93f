"""One root for errors, outcomes chosen by type, connectors that say what they can send."""

from __future__ import annotations

import ast
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from support.desk import booking, drop, scan
from typer.testing import CliRunner

import connectors.base as base
from connectors.base import Connector, FetchContext, Reply, unsupported
from core.audit import Actor
from core.desk import confirm, reject
from core.errors import (
    ConfigError,
    ConnectorError,
    InvalidInput,
    NotFound,
    OpdeskError,
    Refused,
    StoreError,
)
from core.models import OperatorBooking, RawMessage
from core.store import Store, is_busy
from tui.cli import app
from tui.desk_actions import ConnectorReplier

ROOT = Path(__file__).resolve().parents[2]
ACTOR = Actor("night-audit", "cli")


def test_every_exception_class_of_the_project_has_the_one_root():
    """Walk the source: every class that derives from an exception derives from OpdeskError."""
    import importlib

    roots = []
    for path in (
        sorted((ROOT / "core").rglob("*.py"))
        + sorted((ROOT / "connectors").rglob("*.py"))
        + sorted((ROOT / "tui").rglob("*.py"))
    ):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.bases:
                cls = getattr(importlib.import_module(module), node.name, None)
                if isinstance(cls, type) and issubclass(cls, BaseException) and not issubclass(cls, OpdeskError):
                    roots.append(f"{module}.{node.name}")
    assert roots == []


def test_the_kinds_a_caller_tells_apart():
    from core.approval import ApprovalError, ApprovalNotFound, ApproverError
    from core.desk import ActionRefused
    from core.hotelbook import BookError
    from core.models import OperatorError, ParseError

    assert OperatorError is ConnectorError and issubclass(ConfigError, InvalidInput)
    assert issubclass(ActionRefused, Refused) and issubclass(ApprovalError, Refused)
    assert issubclass(ApprovalNotFound, NotFound) and issubclass(ApproverError, InvalidInput)
    assert issubclass(BookError, InvalidInput) and issubclass(ParseError, InvalidInput)
    assert not issubclass(NotFound, KeyError)  # "not found" is its own kind, not a dict's KeyError


def test_a_locked_store_is_told_by_sqlites_code_not_by_the_words(tmp_path):
    holder = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    holder.execute("CREATE TABLE t(a)")
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(tmp_path / "x.db", timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as caught:
        other.execute("BEGIN IMMEDIATE")
    assert is_busy(caught.value)
    assert not is_busy(sqlite3.OperationalError("database is locked"))  # the same words, no code
    holder.close()
    other.close()


# -- connectors say what they can send --------------------------------------------------------------
class Silent(Connector):
    """A kind that reads bookings but cannot be answered."""

    kind = "silent"
    confirm = unsupported("confirm")
    reject = unsupported("reject")

    async def fetch(self, ctx: FetchContext):  # pragma: no cover - never scanned here
        return
        yield

    def parse(self, raw: RawMessage) -> list[OperatorBooking]:  # pragma: no cover
        return []


def test_a_connector_must_implement_its_answers_or_declare_them_unsupported(desk):
    class Forgetful(Connector):
        kind = "forgetful"

        async def fetch(self, ctx: FetchContext):  # pragma: no cover
            return
            yield

        def parse(self, raw: RawMessage) -> list[OperatorBooking]:  # pragma: no cover
            return []

    with pytest.raises(TypeError, match="confirm"):
        Forgetful(desk.operator("tui"), desk)
    silent = Silent(desk.operator("tui"), desk)
    assert not silent.can("confirm") and not silent.can("reject")
    delivery = silent.answer("confirm", Reply("tui", "V1"))
    assert not delivery.sent and delivery.detail.startswith("not sent:")
    folder = base.connector_for(desk.operator("tui"), desk)
    assert folder.can("confirm") and folder.answer("reject", Reply("tui", "V1", reason="full")).sent


def test_a_reply_through_a_connector_that_cannot_send_is_reported_as_not_sent(desk, monkeypatch):
    drop(desk, "a.json", booking("V1"), booking("V2"))
    scan(desk)
    real = base.connector_class
    monkeypatch.setattr(base, "connector_class", lambda kind: Silent if kind == "folder" else real(kind))
    with Store(desk.store_path) as store:
        [confirmed] = confirm(store, desk, [1], ACTOR, ConnectorReplier(store, desk))
        [rejected] = reject(store, desk, [2], ACTOR, "full", ConnectorReplier(store, desk))
        rows = store.all("SELECT status, reply_state FROM operator_reservations ORDER BY id")
    assert confirmed.ok and confirmed.sent is False and "operator: not sent:" in confirmed.message
    assert "sent" not in confirmed.message.replace("not sent", "")
    assert rejected.sent is False and confirmed.as_dict()["sent"] is False
    assert [r["status"] for r in rows] == ["confirmed", "rejected"]
    assert all(r["reply_state"].startswith("not sent:") for r in rows)


def test_a_reply_that_went_out_says_so(desk):
    drop(desk, "a.json", booking("V1"))
    scan(desk)
    with Store(desk.store_path) as store:
        [outcome] = confirm(store, desk, [1], ACTOR, ConnectorReplier(store, desk))
    assert outcome.sent is True and "written to V1-confirm.json" in outcome.message


# -- the CLI chooses exit codes by the error's kind ------------------------------------------------
def test_cli_exit_code_follows_the_error_kind(desk):
    drop(desk, "a.json", booking("V1"))
    scan(desk)
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, ["--config", str(desk.path), *args])

    bad_address = run("approval", "start", "1", "--approver", "boss", "--no-mail")
    assert bad_address.exit_code == 2 and "not an e-mail address: boss" in bad_address.output
    missing = run("approval", "start", "99", "--approver", "boss@hotel.example", "--no-mail")
    assert missing.exit_code == 2 and "no operator reservation #99" in missing.output
    run("approval", "start", "1", "--approver", "boss@hotel.example", "--no-mail")
    run("reject", "1", "--reason", "full", "--yes")
    refused = run("approval", "start", "1", "--approver", "boss@hotel.example", "--no-mail")
    assert refused.exit_code == 1 and "already rejected" in refused.output
    assert "Traceback" not in refused.output + missing.output


# -- app workers turn errors into notifications --------------------------------------------------
@pytest.fixture
def one_row(desk):
    drop(desk, "a.json", booking("V1"))
    scan(desk)
    return desk


async def test_an_app_worker_that_fails_shows_it_and_the_app_goes_on(one_row):
    from textual.worker import WorkerState

    from tui.app import OpdeskApp

    desk = one_row

    def broken_replier(store: Store) -> Any:
        raise StoreError(f"{desk.store_path}: the store stayed locked for 60s")

    def buggy_replier(store: Store) -> Any:
        raise RuntimeError("a bug")

    for factory, words in ((broken_replier, "stayed locked"), (buggy_replier, "RuntimeError: a bug")):
        app = OpdeskApp(desk, replier_factory=factory, actor=ACTOR)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.act_on_rows("confirm", [1])
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.is_running
            assert all(w.state is not WorkerState.ERROR for w in app.workers)
            errors = [str(n.message) for n in app._notifications if n.severity == "error"]
            assert any(words in e for e in errors), errors
    with Store(desk.store_path) as store:
        assert json.loads(json.dumps(store.scalar("SELECT status FROM operator_reservations"))) == "pending"


def test_an_error_quoting_hostile_text_is_printed_as_text(desk):
    drop(desk, "a.json", booking("V1"))
    scan(desk)
    result = CliRunner().invoke(
        app, ["--config", str(desk.path), "approval", "start", "1", "--approver", "x[/]y", "--no-mail"]
    )
    assert result.exit_code == 2 and "not an e-mail address: x[/]y" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
