"""One-time codes and the approval gate, against a real store: start, decide, refuse, block."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from approval.helpers import add_booking
from support.desk import booking

import core.approval as approval
from core.approval import ApprovalError, approval_block, decide, start
from core.audit import Actor, audit_rows
from core.desk import confirm, save
from core.models import utcnow
from core.store import Store

DESK = Actor("front-desk", "cli")


def sent(*_args, **_kw) -> str:
    return "sent"


@pytest.fixture
def desk_store(desk):
    with Store(desk.store_path, desk.documents_dir) as store:
        yield desk, store


def _row(store: Store, rid: int) -> dict:
    return store.one("SELECT * FROM operator_reservations WHERE id = ?", (rid,))


def test_a_booking_needing_approval_cannot_be_saved_or_confirmed_before_everyone_approved(desk_store):
    cfg, store = desk_store
    rid = add_booking(store, cfg, booking("V1"))
    requests = start(store, cfg, rid, ["Boss@Hotel.example", "gm@hotel.example"], DESK, note="big group")
    assert [r.approver for r in requests] == ["boss@hotel.example", "gm@hotel.example"]
    assert _row(store, rid)["needs_approval"] == 1

    refused = confirm(store, cfg, [rid], DESK, sent)[0]
    assert not refused.ok
    assert "waiting for approval by boss@hotel.example, gm@hotel.example (0 of 2 approved)" in refused.message
    assert not save(store, cfg, [rid], DESK)[0].ok
    assert store.scalar("SELECT COUNT(*) FROM hotel_reservations") == 0

    first = decide(store, cfg, requests[0].code, "approve", Actor("boss", "cli"))
    assert first.ok and "(1 of 2 approved)" in first.message
    assert "gm@hotel.example (1 of 2 approved)" in approval_block(store, rid)
    assert not confirm(store, cfg, [rid], DESK, sent)[0].ok

    second = decide(store, cfg, requests[1].code.lower(), "approve", Actor("gm", "cli"), comment="fine")
    assert second.ok and second.message.endswith("approval complete")
    assert approval_block(store, rid) is None
    done = confirm(store, cfg, [rid], DESK, sent)[0]
    assert done.ok, done.message
    assert _row(store, rid)["status"] == "confirmed"
    actions = [a["action"] for a in audit_rows(store, reservation_id=rid)]
    assert actions == ["confirm", "save", "approval_approve", "approval_approve", "approval_start"]


def test_a_rejection_blocks_and_says_who_and_why(desk_store):
    cfg, store = desk_store
    rid = add_booking(store, cfg, booking("V1"))
    requests = start(store, cfg, rid, ["a@hotel.example", "b@hotel.example"], DESK)
    assert decide(store, cfg, requests[1].code, "reject", Actor("b", "cli"), comment="price too low").ok
    assert approval_block(store, rid) == "approval rejected by b@hotel.example: price too low"
    # The other approver's yes no longer helps.
    assert decide(store, cfg, requests[0].code, "approve", Actor("a", "cli")).ok
    assert not confirm(store, cfg, [rid], DESK, sent)[0].ok


def test_forged_code_is_refused_and_the_attempt_audited(desk_store):
    cfg, store = desk_store
    rid = add_booking(store, cfg, booking("V1"))
    code = start(store, cfg, rid, ["a@hotel.example"], DESK)[0].code
    last = "A" if code[-1] != "A" else "B"
    outcome = decide(store, cfg, code[:-1] + last, "approve", Actor("mallory", "cli"))
    assert not outcome.ok and "not valid" in outcome.message
    attempt = audit_rows(store, action="approval_refused")[0]
    assert attempt["actor"] == "mallory" and attempt["reservation_id"] == rid
    assert approval_block(store, rid).startswith("waiting for approval")


def test_a_code_made_with_another_secret_is_refused(desk_store):
    cfg, store = desk_store
    rid = add_booking(store, cfg, booking("V1"))
    row_code = start(store, cfg, rid, ["a@hotel.example"], DESK)[0].code
    row = store.one("SELECT * FROM approvals WHERE reservation_id = ?", (rid,))
    forged = approval.code_for(b"not the hotel's secret", row)
    assert forged != row_code and forged[:9] == row_code[:9]
    assert "not valid" in decide(store, cfg, forged, "approve", DESK).message


def test_unknown_and_malformed_codes_are_refused(desk_store):
    cfg, store = desk_store
    rid = add_booking(store, cfg, booking("V1"))
    start(store, cfg, rid, ["a@hotel.example"], DESK)
    assert "unknown approval code" in decide(store, cfg, "AAAA-BBBB-CCCC-DDDD", "approve", DESK).message
    assert "not an approval code" in decide(store, cfg, "hello", "approve", DESK).message
    assert len(audit_rows(store, action="approval_refused")) == 2


def test_a_used_code_is_refused_the_second_time(desk_store):
    cfg, store = desk_store
    rid = add_booking(store, cfg, booking("V1"))
    code = start(store, cfg, rid, ["a@hotel.example", "b@hotel.example"], DESK)[0].code
    assert decide(store, cfg, code, "reject", DESK).ok
    again = decide(store, cfg, code, "approve", DESK)
    assert not again.ok and "already used" in again.message
    assert store.scalar("SELECT state FROM approvals WHERE code_id = ?", (code.replace("-", "")[:8],)) == "rejected"


def test_an_expired_code_is_refused_with_how_to_ask_again(desk_store, monkeypatch):
    cfg, store = desk_store
    cfg.data["approval"] = {"code_hours": 48}
    rid = add_booking(store, cfg, booking("V1"))
    three_days_ago = utcnow() - timedelta(days=3)
    monkeypatch.setattr(approval, "utcnow", lambda: three_days_ago)
    code = start(store, cfg, rid, ["a@hotel.example"], DESK)[0].code
    monkeypatch.undo()
    outcome = decide(store, cfg, code, "approve", DESK)
    assert not outcome.ok and "expired" in outcome.message
    assert f"opdesk approval start {rid} --approver a@hotel.example" in outcome.message
    assert "approval expired" in approval_block(store, rid)


def test_starting_again_withdraws_the_old_codes(desk_store):
    cfg, store = desk_store
    rid = add_booking(store, cfg, booking("V1"))
    old = start(store, cfg, rid, ["a@hotel.example"], DESK)[0].code
    new = start(store, cfg, rid, ["b@hotel.example"], DESK)[0].code
    assert "withdrawn" in decide(store, cfg, old, "approve", DESK).message
    assert decide(store, cfg, new, "approve", DESK).ok
    assert approval_block(store, rid) is None


def test_in_order_asks_the_next_approver_only_after_a_yes(desk_store):
    cfg, store = desk_store
    cfg.data["approval"] = {"mode": "all_in_order"}
    rid = add_booking(store, cfg, booking("V1"))
    requests = start(store, cfg, rid, ["a@hotel.example", "b@hotel.example", "c@hotel.example"], DESK)
    assert [r.approver for r in requests] == ["a@hotel.example"]
    states = [r["state"] for r in approval.current_round(store, rid)]
    assert states == ["waiting", "queued", "queued"]
    first = decide(store, cfg, requests[0].code, "approve", DESK)
    assert [r.approver for r in first.next_requests] == ["b@hotel.example"]
    second = decide(store, cfg, first.next_requests[0].code, "approve", DESK)
    third = decide(store, cfg, second.next_requests[0].code, "approve", DESK)
    assert third.ok and third.next_requests == [] and approval_block(store, rid) is None


def test_any_one_is_done_at_the_first_yes(desk_store):
    cfg, store = desk_store
    cfg.data["approval"] = {"mode": "any_one"}
    rid = add_booking(store, cfg, booking("V1"))
    a, b = start(store, cfg, rid, ["a@hotel.example", "b@hotel.example"], DESK)
    assert decide(store, cfg, a.code, "reject", DESK).ok
    assert approval_block(store, rid) == "waiting for approval by any of b@hotel.example"
    assert decide(store, cfg, b.code, "approve", DESK).ok
    assert approval_block(store, rid) is None


def test_start_refuses_bad_approvers_and_decided_rows(desk_store):
    cfg, store = desk_store
    rid = add_booking(store, cfg, booking("V1"))
    with pytest.raises(ApprovalError, match="at most 5"):
        start(store, cfg, rid, [f"m{i}@hotel.example" for i in range(6)], DESK)
    with pytest.raises(ApprovalError, match="not an e-mail address: boss"):
        start(store, cfg, rid, ["boss"], DESK)
    with pytest.raises(ApprovalError, match="default_approvers"):
        start(store, cfg, rid, [], DESK)
    with pytest.raises(ApprovalError, match="no operator reservation #99"):
        start(store, cfg, 99, ["a@hotel.example"], DESK)
    assert confirm(store, cfg, [rid], DESK, sent)[0].ok
    with pytest.raises(ApprovalError, match="already confirmed"):
        start(store, cfg, rid, ["a@hotel.example"], DESK)


def test_default_approvers_come_from_the_rules(desk_store):
    cfg, store = desk_store
    cfg.data["approval"] = {"rules": {"default_approvers": ["gm@hotel.example"]}}
    rid = add_booking(store, cfg, booking("V1"))
    assert [r.approver for r in start(store, cfg, rid, [], DESK)] == ["gm@hotel.example"]


def test_the_secret_is_made_once_and_kept_beside_the_config_unless_configured(desk_store, monkeypatch):
    cfg, store = desk_store
    made = approval.approval_secret(store, cfg)
    assert len(made) == 64 and approval.approval_secret(store, cfg) == made
    assert (cfg.base_dir / "approval.key").read_bytes().strip() == made
    monkeypatch.setenv("OPDESK_APPROVAL_SECRET", "from-the-environment")
    cfg.data["approval"] = {"secret_env": "OPDESK_APPROVAL_SECRET"}
    assert approval.approval_secret(store, cfg) == b"from-the-environment"


def test_audit_rows_cannot_be_changed_or_deleted(desk_store):
    cfg, store = desk_store
    rid = add_booking(store, cfg, booking("V1"))
    start(store, cfg, rid, ["a@hotel.example"], DESK)
    with pytest.raises(sqlite3.DatabaseError, match="never changed"):
        store.conn.execute("UPDATE audit_log SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        store.conn.execute("DELETE FROM audit_log")
    row = audit_rows(store, reservation_id=rid, action="approval_start")[0]
    assert row["actor"] == "front-desk" and row["origin"] == "cli"
    assert json.loads(row["after"])["approvers"] == ["a@hotel.example"]
