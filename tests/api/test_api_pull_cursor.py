"""What a pull asks for: nothing is missed, whatever the operator's clock says.

An AlpineBits read without ``SelectionCriteria Start`` gets everything not yet
acknowledged; ``Start`` goes only with an explicit re-read. A JSON API's
"changed since" cursor never runs ahead of our own clock and looks back a
little, so a late booking stamped before the last one seen still comes.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from api.test_api_scan import make_config, rows

from connectors.scan import scan
from connectors.simulate.demo import sim_operator
from connectors.simulate.server import SimServer
from core.store import Store


def stamp_ahead(op, days: int = 2) -> None:
    """The operator's clock runs ``days`` ahead of ours: every reservation is created 'in the future'."""
    ahead = (datetime.now(timezone.utc) + timedelta(days=days)).replace(microsecond=0).isoformat()
    for event in op.feed.events:
        event.booking.extra["create_datetime"] = ahead


def test_stamps_ahead_of_our_clock_do_not_hide_later_changes(tmp_path):
    op = sim_operator("tui", initial=4)
    stamp_ahead(op)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        [first] = asyncio.run(scan(config))
        _, cancelled = op.feed.add_change(), op.feed.add_cancel()
        [second] = asyncio.run(scan(config))
    assert (first.state, first.new) == ("ok", 4)
    assert (second.state, second.total, second.changed, second.cancelled) == ("ok", 2, 1, 1)
    latest = {
        r["voucher"]: r["content"] for r in rows(config, "SELECT * FROM operator_reservations WHERE is_latest = 1")
    }
    assert latest[cancelled.voucher] == "cancel"
    assert op.feed.unacked() == 0
    with Store(config.store_path) as store:
        # A regular read keeps no cursor at all: only the protocol version the handshake agreed.
        assert store.connector_state("tui") == {"protocol_version": "2024-10"}


def test_an_explicit_reread_asks_from_a_time_and_stores_nothing_twice(tmp_path):
    op = sim_operator("tui", initial=3)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        [first] = asyncio.run(scan(config))
        [quiet] = asyncio.run(scan(config))
        an_hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
        [again] = asyncio.run(scan(config, since=an_hour_ago))
        tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
        [none] = asyncio.run(scan(config, since=tomorrow))
    assert (first.new, quiet.total) == (3, 0)  # acknowledged ones are not sent again
    assert (again.state, again.total, again.new, again.changed) == ("ok", 3, 0, 0)
    assert none.total == 0
    assert rows(config, "SELECT COUNT(*) AS n FROM raw_messages")[0]["n"] == 3


def test_a_reservation_that_cannot_be_read_comes_again_and_is_kept_once_as_failed(tmp_path):
    op = sim_operator("tui", initial=3)
    from connectors.ota import writer

    bad = op.feed.events[1]
    bad.rendered = writer.reservation_xml(bad.booking).replace(
        f'Start="{bad.booking.check_in.isoformat()}"'.encode(), b'Start="soon"'
    )
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        [first] = asyncio.run(scan(config))
        [second] = asyncio.run(scan(config))
    assert first.errors == 1 and op.feed.unacked() == 1  # the other two are acknowledged
    assert second.total == 1  # sent again, since never acknowledged
    raws = rows(config, "SELECT parse_state, parse_error FROM raw_messages ORDER BY id")
    assert len(raws) == 3
    assert [r["parse_state"] for r in raws].count("failed") == 1
    failed = next(r for r in raws if r["parse_state"] == "failed")
    assert "Start" in failed["parse_error"]


def json_operator(initial: int):
    op = sim_operator("pegas", initial=initial)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for i, event in enumerate(op.feed.events):  # made over the last half hour
        event.at = now - timedelta(minutes=30 - i)
    return op, now


def test_json_cursor_never_runs_ahead_of_our_clock(tmp_path):
    op, now = json_operator(5)
    op.feed.events[-1].at = now + timedelta(days=1)  # one booking stamped by a clock a day ahead
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        [first] = asyncio.run(scan(config))
        added = op.feed.add_new()  # stamped now, before that future stamp
        [second] = asyncio.run(scan(config))
    assert first.new == 5
    assert second.new == 1
    assert added.voucher in {r["voucher"] for r in rows(config, "SELECT voucher FROM operator_reservations")}


def test_json_cursor_looks_back_for_a_late_booking_with_an_older_stamp(tmp_path):
    op, now = json_operator(5)
    newest = op.feed.events[-1].at
    with SimServer([op]) as server:
        config = make_config(tmp_path, server, pegas={"since_overlap_seconds": 300})
        asyncio.run(scan(config))
        late = op.feed.add_new()
        op.feed.events[-1].at = newest - timedelta(minutes=2)  # arrived late, stamped before the newest seen
        [second] = asyncio.run(scan(config))
    assert second.new == 1
    assert late.voucher in {r["voucher"] for r in rows(config, "SELECT voucher FROM operator_reservations")}
    assert rows(config, "SELECT COUNT(*) AS n FROM operator_reservations")[0]["n"] == 6  # repeats stored once


def test_scan_since_must_be_a_time(tmp_path):
    from typer.testing import CliRunner

    from tui.cli import app

    result = CliRunner().invoke(app, ["--config", str(tmp_path / "none.toml"), "scan", "--since", "yesterday"])
    assert result.exit_code == 2
    assert "--since 'yesterday' is not an ISO 8601 time" in result.output
