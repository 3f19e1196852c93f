"""Approval by e-mail through a real SMTP sink and a real Dovecot mailbox read by the mail channel."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from approval.helpers import add_booking, cli, write_config
from support.desk import booking

from connectors.mail.connector import scan_mailbox
from core.audit import Actor, audit_rows
from core.desk import confirm
from core.hotelbook import set_room_type
from core.mapping import set_mapping
from core.store import Store

BOSS, GM = "boss@sunbeach.example", "gm@sunbeach.example"


@pytest.fixture
def desk_mail(mail_config):
    """The mail test config (a Dovecot mailbox operator, SMTP on the sink) plus a mapped ``tui`` booking #1."""
    mail_config.data["approval"] = {"mode": "all_in_order", "code_hours": 24}
    write_config(mail_config)
    with Store(mail_config.store_path, mail_config.documents_dir) as store:
        set_room_type(store, "STD", "Standard", 10)
        for kind, code, hotel in (
            ("room", "DZ", "STD"),
            ("board", "AI", "AI"),
            ("rate", "TUI26", "TUI26"),
            ("agency", "TUI", "TUI"),
        ):
            set_mapping(store, "tui", kind, code, hotel)
        assert add_booking(store, mail_config, booking("V77", surname="Kaya")) == 1
    return mail_config


def reply_to(request: EmailMessage, sender: str, text: str) -> bytes:
    """An approver's answer as a mail client writes it: Re: subject, own text on top, the request quoted."""
    answer = EmailMessage()
    answer["From"] = f"The Boss <{sender}>"
    answer["To"] = "reservations@sunbeach.example"
    answer["Subject"] = f"Re: {request['Subject']}"
    answer["In-Reply-To"] = request["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in request.get_content().splitlines())
    answer.set_content(f"{text}\n\nOn Mon, 2 Jun 2025 at 09:00, Sunbeach Reservations wrote:\n{quoted}\n")
    return bytes(answer)


def append(dovecot, config, message: bytes) -> None:
    user = config.operator("mailbox").settings["user"]
    with dovecot.mailbox(user) as mailbox:
        mailbox.append(message, "INBOX")


def test_approval_by_reply_through_dovecot_then_the_next_approver_by_cli(desk_mail, dovecot, smtp_sink):
    started = cli(
        desk_mail, "approval", "start", "1", "--approver", BOSS, "--approver", GM, "--note", "VIP group", "--json"
    )
    assert started.exit_code == 0, started.output
    assert [m["To"] for m in smtp_sink.messages] == [BOSS]  # in order: the second one is asked later
    request = smtp_sink.messages[0]
    body = request.get_content()
    assert "tui V77" in request["Subject"] and "Kaya" in body and "VIP group" in body
    assert "Price check:" in body and "Forecast effect on STD" in body
    early = cli(desk_mail, "confirm", "1", "--yes")
    assert early.exit_code == 1 and f"waiting for approval by {BOSS} (0 of 2 approved)" in early.output

    append(dovecot, desk_mail, reply_to(request, BOSS, "Approve. Fine for this group."))
    with Store(desk_mail.store_path, desk_mail.documents_dir) as store:
        scan = scan_mailbox(store, desk_mail, "mailbox")
        assert scan.ok and scan.errors == 0, scan.error
        raw = store.one("SELECT parse_state, parse_error FROM raw_messages WHERE channel = 'mail'")
        assert raw["parse_state"] == "ignored" and raw["parse_error"].startswith(f"approved #1 by {BOSS}")
        first = store.one("SELECT * FROM approvals WHERE approver = ?", (BOSS,))
        assert (first["state"], first["decided_via"]) == ("approved", "email")
        assert first["comment"] == "Fine for this group."
        by_mail = audit_rows(store, action="approval_approve")[0]
        assert (by_mail["actor"], by_mail["origin"]) == (BOSS, "email")

    # The boss's yes asked the general manager, by mail, with a fresh code.
    assert [m["To"] for m in smtp_sink.messages] == [BOSS, GM]
    gm_code = smtp_sink.messages[1]["Subject"].rsplit("[", 1)[1].rstrip("]")
    assert json.loads(cli(desk_mail, "approval", "show", "1", "--json").output)["state"] == "waiting"
    decided = cli(desk_mail, "approval", "decide", gm_code, "approve", actor="gm")
    assert decided.exit_code == 0 and "approval complete" in decided.output

    with Store(desk_mail.store_path, desk_mail.documents_dir) as store:
        outcome = confirm(store, desk_mail, [1], Actor("front-desk"), lambda *a, **k: "sent")[0]
        assert outcome.ok, outcome.message


def test_a_reply_from_someone_else_or_with_a_used_code_is_refused(desk_mail, dovecot, smtp_sink):
    desk_mail.data["approval"] = {"mode": "all_any_order"}
    write_config(desk_mail)
    assert cli(desk_mail, "approval", "start", "1", "--approver", BOSS).exit_code == 0
    request = smtp_sink.messages[0]
    append(dovecot, desk_mail, reply_to(request, "intruder@elsewhere.example", "APPROVE"))
    append(dovecot, desk_mail, reply_to(request, BOSS, "REJECT too cheap"))
    append(dovecot, desk_mail, reply_to(request, BOSS, "APPROVE changed my mind"))
    with Store(desk_mail.store_path, desk_mail.documents_dir) as store:
        assert scan_mailbox(store, desk_mail, "mailbox").ok
        errors = [
            r["parse_error"]
            for r in store.all("SELECT parse_error FROM raw_messages WHERE channel = 'mail' ORDER BY id")
        ]
        assert errors[0].startswith("approval reply refused: the answer for #1 came from intruder@elsewhere")
        assert errors[1].startswith(f"rejected #1 by {BOSS}")
        assert errors[2].startswith("approval reply refused: this code was already used")
        assert store.scalar("SELECT state FROM approvals") == "rejected"
        refused = audit_rows(store, action="approval_refused")
        assert {r["origin"] for r in refused} == {"email"} and len(refused) == 2


def test_a_reply_without_a_decision_word_goes_to_a_person(desk_mail, dovecot, smtp_sink):
    assert cli(desk_mail, "approval", "start", "1", "--approver", BOSS).exit_code == 0
    append(dovecot, desk_mail, reply_to(smtp_sink.messages[0], BOSS, "Call me first please"))
    with Store(desk_mail.store_path, desk_mail.documents_dir) as store:
        scan_mailbox(store, desk_mail, "mailbox")
        raw = store.one("SELECT parse_state, parse_error FROM raw_messages WHERE channel = 'mail'")
        assert raw["parse_state"] == "unparsed" and "does not start with APPROVE or REJECT" in raw["parse_error"]
        assert store.scalar("SELECT state FROM approvals") == "waiting"


def test_start_reports_a_mail_that_could_not_be_sent_and_send_tries_again(desk_mail, smtp_sink):
    good_port = desk_mail.data["smtp"]["port"]
    desk_mail.data["smtp"]["port"] = 9  # nothing listens on discard
    write_config(desk_mail)
    result = cli(desk_mail, "approval", "start", "1", "--approver", BOSS)
    assert result.exit_code == 1 and "opdesk approval send 1" in result.output
    desk_mail.data["smtp"]["port"] = good_port
    write_config(desk_mail)
    again = cli(desk_mail, "approval", "send", "1")
    assert again.exit_code == 0, again.output
    assert [m["To"] for m in smtp_sink.messages] == [BOSS]
