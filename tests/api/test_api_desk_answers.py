"""Confirm and reject from the desk (``tui.desk_actions``, as the app and the CLI do) reach each operator kind.

The connectors' own tests call ``confirm`` and ``reject`` directly; these go the desk's way,
through ``Connector.answer``, which a connector's own method of the same name once replaced.
AlpineBits (``ota-pull``), whose confirmation is an acknowledgement, has its desk test in
test_api_alpinebits.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.mapped import map_everything

from connectors.scan import scan
from connectors.simulate.demo import operator_entry, sim_operator
from connectors.simulate.server import SimServer
from core.audit import Actor
from core.config import Config
from core.store import Store
from tui import desk_actions

FAST = {"retries": 1, "backoff": 0.01, "backoff_max": 0.05, "request_timeout": 2, "operator_timeout": 5}


@pytest.mark.parametrize("kind", ["hotel2sejour", "ota-soap", "jsonapi"])
def test_the_desk_confirms_and_rejects_through_every_api_kind(tmp_path: Path, kind: str) -> None:
    op = sim_operator("op", kind=kind, initial=2)
    with SimServer([op]) as server:
        config = Config(
            tmp_path / "opdesk.toml",
            {
                "store": {"path": str(tmp_path / "opdesk.db")},
                "scan": FAST,
                "operators": [operator_entry(op, server)],
            },
        )
        [run] = asyncio.run(scan(config))
        assert run.new == 2, run.last_error
        map_everything(config)
        with Store(config.store_path) as store:
            ids = {
                r["voucher"]: r["id"]
                for r in store.all("SELECT id, voucher FROM operator_reservations WHERE is_latest = 1")
            }
            keep, refuse = sorted(ids)
            actor = Actor("night", "cli")
            [confirmed] = desk_actions.confirm(store, config, [ids[keep]], actor)
            [rejected] = desk_actions.reject(store, config, [ids[refuse]], actor, "no rooms left")
            states = dict(store.conn.execute("SELECT voucher, reply_state FROM operator_reservations").fetchall())
    assert confirmed.ok and rejected.ok, (confirmed.message, rejected.message)
    assert states == {keep: "sent", refuse: "sent"}
    assert [(r["voucher"], r["answer"]) for r in op.replies] == [(keep, "confirm"), (refuse, "reject")]
