"""Confirmations and rejections by reply, through a real SMTP server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import Reply, connector_for
from connectors.mail.reply import send_mail
from core.config import ConfigError
from core.models import OperatorError, RawMessage

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"


def raw(name: str, operator: str) -> RawMessage:
    return RawMessage(body=(FIXTURES / f"{name}.eml").read_bytes(), operator=operator, channel="mail")


@pytest.fixture
def smtp_config(config, smtp_sink):
    config.data["hotel"] = {"name": "Sunbeach Resort Side"}
    config.data["operators"] = [
        {"name": "jet2", "kind": "mail", "title": "Jet2holidays"},
        {"name": "jolly", "kind": "mail", "title": "Jolly Tur"},
    ]
    config.data["smtp"] = {
        "host": smtp_sink.host,
        "port": smtp_sink.port,
        "security": "none",
        "from_address": "Sunbeach Reservations <reservations@sunbeach.example>",
        "timeout": 5,
    }
    return config


def test_confirm_replies_in_the_operators_thread(smtp_config, smtp_sink):
    mail = connector_for(smtp_config.operator("jet2"), smtp_config)
    reply = Reply(
        operator="jet2",
        voucher="J2H7731952-2",
        hotel_number="SB-2026-00042",
        raw=raw("jet2_new", "jet2"),
        reservation={
            "guests": [{"first_name": "JÜRGEN", "last_name": "SCHÄFER"}],
            "check_in": "2026-06-12",
            "check_out": "2026-06-19",
        },
    )

    outcome = mail.confirm(reply)

    [sent] = smtp_sink.messages
    assert sent["To"] == "hotelbookings@jet2holidays.com"
    assert sent["In-Reply-To"] == "<jet2_new.1@fixtures.example>"
    assert sent["References"] == "<jet2_new.1@fixtures.example>"
    assert sent["Subject"] == "Re: Jet2holidays New Booking J2H7731952 - Sunbeach Resort Side"
    body = sent.get_content()
    assert "Booking J2H7731952-2 (JÜRGEN SCHÄFER, 2026-06-12 - 2026-06-19) is confirmed." in body
    assert "Hotel confirmation number: SB-2026-00042" in body and "Sunbeach Resort Side Reservations" in body
    assert smtp_sink.envelopes == [("reservations@sunbeach.example", ["hotelbookings@jet2holidays.com"])]
    assert outcome.startswith("sent to hotelbookings@jet2holidays.com (<") and sent["Message-ID"] in outcome


def test_reject_uses_the_profiles_template_and_reads_the_guest_from_the_mail(smtp_config, smtp_sink):
    mail = connector_for(smtp_config.operator("jolly"), smtp_config)
    mail.reject(
        Reply(operator="jolly", voucher="JLY-441902", reason="Otel bu tarihlerde dolu", raw=raw("jolly_new", "jolly"))
    )
    [sent] = smtp_sink.messages
    body = sent.get_content()
    assert sent["To"] == "otel.operasyon@jollytur.com"
    assert "JLY-441902 numaralı rezervasyonu (Mehmet Şahin, 2026-07-18 - 2026-07-25)" in body
    assert "Sebep: Otel bu tarihlerde dolu" in body


def test_smtp_down_raises_operator_error(smtp_config, smtp_sink):
    smtp_config.data["smtp"]["port"] = _closed_port()
    mail = connector_for(smtp_config.operator("jet2"), smtp_config)
    with pytest.raises(OperatorError, match="cannot send") as err:
        mail.confirm(Reply(operator="jet2", voucher="J2H7731952-1", hotel_number="1", raw=raw("jet2_new", "jet2")))
    assert err.value.retryable
    assert smtp_sink.messages == []


def test_reply_without_the_original_mail_says_so(smtp_config):
    mail = connector_for(smtp_config.operator("jet2"), smtp_config)
    with pytest.raises(OperatorError, match="original mail is not stored"):
        mail.confirm(Reply(operator="jet2", voucher="X", hotel_number="1"))


def test_send_mail_for_other_areas(smtp_config, smtp_sink):
    message_id = send_mail(
        smtp_config,
        "gm@sunbeach.example",
        "Approval needed: J2H7731952",
        "Please approve.",
        in_reply_to="<a@b>",
        references="<a@b>",
    )
    [sent] = smtp_sink.messages
    assert sent["Message-ID"] == message_id and sent["In-Reply-To"] == "<a@b>"
    assert sent["Subject"] == "Approval needed: J2H7731952" and sent.get_content().strip() == "Please approve."


def test_incomplete_smtp_config_says_what_is_missing(smtp_config):
    del smtp_config.data["smtp"]["from_address"]
    with pytest.raises(ConfigError, match="from_address"):
        send_mail(smtp_config, "x@example.com", "s", "b")


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
