"""The delivery queue in core: backoff on an injected clock, giving up, order per booking, one sender per item."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from pms.helpers import with_pms
from support.desk import booking, drop, scan

from connectors.pms.send import send
from connectors.simulate.pms import PmsServer, SimPms
from connectors.simulate.server import Faults
from core.audit import Actor
from core.desk import save
from core.models import Content
from core.pms import DeliveryError, backoff_seconds, counts, deliveries, pms_settings, send_waiting
from core.store import Store

ACTOR = Actor("cron", "cli")


def _saved_desk(desk, vouchers=("V1",), **pms):
    cfg = with_pms(desk, kind="files", folder="pms-out", **pms)
    drop(cfg, "a.json", *(booking(v) for v in vouchers))
    scan(cfg)
    store = Store(cfg.store_path)
    ids = [r["id"] for r in store.all("SELECT id FROM operator_reservations ORDER BY id")]
    assert all(o.ok for o in save(store, cfg, ids, ACTOR))
    return cfg, store


def _queued_at(store) -> datetime:
    """When the saves queued their deliveries: the tests' clock starts there."""
    return datetime.fromisoformat(deliveries(store)[0].due_at)


class Flaky:
    """A sender that fails while ``down`` and records what it delivered."""

    def __init__(self) -> None:
        self.down = True
        self.delivered: list[tuple[str, int]] = []

    def __call__(self, delivery, booking_) -> str:
        if self.down:
            raise DeliveryError("PMS unreachable")
        self.delivered.append((delivery.hotel_number, delivery.version))
        return f"P{len(self.delivered)}"


def test_backoff_doubles_from_retry_seconds_and_automatic_sends_wait_for_it(desk):
    cfg, store = _saved_desk(desk, retry_seconds=60, max_attempts=4)
    settings, sender = pms_settings(cfg), Flaky()
    now = _queued_at(store)
    assert send_waiting(store, settings, sender, now, ACTOR, only_due=True).failed == 1
    [d] = deliveries(store)
    assert d.state == "waiting" and d.attempts == 1
    assert d.due_at == (now + timedelta(seconds=60)).isoformat(timespec="milliseconds")
    # Not due yet: an automatic send leaves it, an explicit one tries at once.
    assert send_waiting(store, settings, sender, now + timedelta(seconds=59), ACTOR, only_due=True).items == []
    assert send_waiting(store, settings, sender, now + timedelta(seconds=59), ACTOR).failed == 1
    [d] = deliveries(store)
    assert d.attempts == 2 and d.due_at == (now + timedelta(seconds=59 + 120)).isoformat(timespec="milliseconds")
    sender.down = False
    report = send_waiting(store, settings, sender, now + timedelta(seconds=179), ACTOR, only_due=True)
    assert report.sent == 1 and sender.delivered == [("T000001", 1)]
    assert backoff_seconds(1, 60) == 60 and backoff_seconds(3, 60) == 240 and backoff_seconds(30, 60) == 6 * 3600


def test_gives_up_after_max_attempts_with_the_last_error_and_failed_retries_again(desk):
    cfg, store = _saved_desk(desk, max_attempts=2, retry_seconds=1)
    settings, sender = pms_settings(cfg), Flaky()
    now = _queued_at(store)
    send_waiting(store, settings, sender, now, ACTOR)
    send_waiting(store, settings, sender, now, ACTOR)
    [d] = deliveries(store)
    assert (d.state, d.attempts, d.last_error) == ("failed", 2, "PMS unreachable")
    assert counts(store) == {"waiting": 0, "sent": 0, "failed": 1}
    sender.down = False
    assert send_waiting(store, settings, sender, now, ACTOR).items == []
    assert send_waiting(store, settings, sender, now, ACTOR, include_failed=True).sent == 1
    assert store.scalar("SELECT pms_number FROM hotel_reservations") == "P1"


def test_a_change_waits_while_its_booking_s_first_version_is_unsent(desk):
    cfg, store = _saved_desk(desk, vouchers=("V1", "V2"))
    drop(cfg, "b.json", booking("V1", Content.CHANGE, nights=9))
    scan(cfg)
    change = store.scalar("SELECT id FROM operator_reservations WHERE voucher = 'V1' AND version = 2")
    save(store, cfg, [change], ACTOR)
    settings = pms_settings(cfg)
    now = _queued_at(store) + timedelta(seconds=5)

    calls: list[tuple[str, int]] = []

    def first_version_of_v1_fails(delivery, booking_) -> str:
        calls.append((delivery.voucher, delivery.version))
        if (delivery.voucher, delivery.version) == ("V1", 1):
            raise DeliveryError("refused")
        return ""

    report = send_waiting(store, settings, first_version_of_v1_fails, now, ACTOR)
    assert calls == [("V1", 1), ("V2", 1)]  # V1's change was not sent before V1 itself
    assert (report.sent, report.failed, report.waiting) == (1, 1, 2)
    calls.clear()
    send_waiting(store, settings, lambda d, b: calls.append((d.voucher, d.version)) or "", now, ACTOR)
    assert calls == [("V1", 1), ("V1", 2)]


def test_saving_the_same_row_twice_queues_it_once(desk):
    cfg, store = _saved_desk(desk)
    rid = store.scalar("SELECT id FROM operator_reservations")
    save(store, cfg, [rid], ACTOR)
    assert store.scalar("SELECT COUNT(*) FROM pms_deliveries") == 1


@pytest.mark.slow
def test_two_senders_at_once_deliver_each_version_once_over_http(desk):
    pms = SimPms(faults=Faults(latency=0.05))
    with PmsServer(pms) as server:
        cfg = with_pms(desk, **server.entry())
        drop(cfg, "a.json", *(booking(f"V{i}") for i in range(6)))
        scan(cfg)
        with Store(cfg.store_path) as store:
            ids = [r["id"] for r in store.all("SELECT id FROM operator_reservations")]
            save(store, cfg, ids, ACTOR)
        reports = []

        def one_sender() -> None:
            with Store(cfg.store_path) as own:
                reports.append(send(own, cfg, ACTOR))

        threads = [threading.Thread(target=one_sender) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(r.sent for r in reports) == 6
    assert sorted(r["voucher"] for r in pms.received) == [f"V{i}" for i in range(6)]
