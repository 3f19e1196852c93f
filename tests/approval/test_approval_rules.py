"""Config rules that make approval required, and reading an approver's answer from a mail."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from approval.helpers import add_booking
from support.desk import booking

from connectors.mail.approval_reply import approval_reply, own_lines
from connectors.mail.extract import read_mail
from core.approval import ApprovalSettings, needs_approval
from core.config import ConfigError
from core.ingest import facts_from_booking
from core.models import CheckState, Content, UnparsedMessage
from core.stay import CheckOutcome

CODE = "ABCD-EFGH-2345-67QR"
RULES = {"price_mismatch_percent": 5, "stop_sale": True, "min_persons": 6, "operators": ["pegas"]}


def facts(**kw):
    b = booking("V1", **kw)
    hotel = {"room": "STD", "board": "AI", "rate": "TUI26", "market": None, "agency": "TUI"}
    return facts_from_booking(b, kw.pop("operator", "tui"), b.content, hotel, "EUR")


def price(state: CheckState, contract: str, difference: str) -> CheckOutcome:
    return CheckOutcome(state, "", {"contract_total": contract, "difference": difference})


@pytest.fixture
def rules_config(config):
    config.data["approval"] = {"rules": RULES}
    return config


def test_no_rules_no_approval(config):
    assert needs_approval(facts(adults=9), {}, config) == []


def test_price_mismatch_over_the_percentage(rules_config):
    ok = {"price": price(CheckState.OK, "1000.00", "0.00")}
    small = {"price": price(CheckState.MISMATCH, "1000.00", "-50.00")}
    big = {"price": price(CheckState.MISMATCH, "1000.00", "-50.10")}
    assert needs_approval(facts(), ok, rules_config) == []
    assert needs_approval(facts(), small, rules_config) == []
    assert needs_approval(facts(), big, rules_config) == ["price differs from the contract by 5.0% (approval over 5%)"]


def test_stop_sale_group_size_and_operator(rules_config):
    stop = {"stop_sale": CheckOutcome(CheckState.FAIL, "stop-sale on STD 2025-06-01..2025-06-10")}
    assert needs_approval(facts(), stop, rules_config) == ["stop-sale: stop-sale on STD 2025-06-01..2025-06-10"]
    assert needs_approval(facts(adults=5), {}, rules_config) == []
    assert needs_approval(facts(adults=4, child_ages=[5, 8]), {}, rules_config) == [
        "group of 6 persons (approval from 6)"
    ]
    pegas = facts()
    pegas.operator = "pegas"
    assert needs_approval(pegas, {}, rules_config) == ["operator pegas always needs approval"]


def test_cancellations_never_need_approval(rules_config):
    assert needs_approval(facts(content=Content.CANCEL, adults=9), {}, rules_config) == []


def test_rules_read_a_stored_row_and_its_stored_checks(rules_config, store):
    rid = add_booking(store, rules_config, booking("V1", adults=6))
    row = store.one("SELECT * FROM operator_reservations WHERE id = ?", (rid,))
    checks = json.loads(row["checks"])
    checks["price"] = {
        "state": "mismatch",
        "message": "",
        "details": {"contract_total": "100.00", "difference": "20.00"},
    }
    assert needs_approval(row, checks, rules_config) == [
        "group of 6 persons (approval from 6)",
        "price differs from the contract by 20.0% (approval over 5%)",
    ]


def test_a_bad_mode_is_a_config_error_naming_the_choices(config):
    config.data["approval"] = {"mode": "majority"}
    with pytest.raises(ConfigError, match="all_any_order, all_in_order, any_one"):
        ApprovalSettings.from_config(config)


# -- reading the answer -------------------------------------------------------------------------
def mail(subject: str, text: str, sender: str = "boss@hotel.example") -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, "res@hotel.example", subject
    m.set_content(text)
    return bytes(m)


def test_first_word_decides_and_the_rest_is_the_comment():
    reply = approval_reply(
        read_mail(mail(f"Re: Approval needed: #4 tui V1 [{CODE}]", "approved, ok for me\n-- \nThe Boss"))
    )
    assert (reply.code, reply.decision, reply.sender, reply.comment) == (
        CODE,
        "approve",
        "boss@hotel.example",
        "ok for me",
    )


@pytest.mark.parametrize(
    "text",
    [
        "Reject\n\nAm 02.06.2025 um 09:00 schrieb Sunbeach:\n> Reply with APPROVE or REJECT\n",
        "> Reply with APPROVE or REJECT\n> Code ...\n\nreject - overbooked\n",
        "REJECT\n\n-----Original Message-----\nFrom: Sunbeach\nApprove or reject this booking\n",
        "\n\nReject\n2 Haz 2025 Pzt 09:00 tarihinde Sunbeach şunu yazdı:\n\n> APPROVE or REJECT\n",
    ],
)
def test_quoted_requests_in_many_styles_are_skipped(text):
    reply = approval_reply(read_mail(mail(f"AW: [{CODE.lower()}]", text)))
    assert reply.decision == "reject" and reply.code == CODE


def test_mail_without_a_code_is_not_an_approval_reply():
    assert approval_reply(read_mail(mail("Booking V1 new", "APPROVE"))) is None


def test_a_code_without_a_decision_word_needs_a_person():
    with pytest.raises(UnparsedMessage, match=f"opdesk approval decide {CODE} approve|reject"):
        approval_reply(read_mail(mail(f"Re: [{CODE}]", "Please call me\n> APPROVE or REJECT")))


def test_own_lines_keep_a_reply_written_right_above_the_quote():
    assert own_lines("APPROVE\n> quoted request") == ["APPROVE"]
