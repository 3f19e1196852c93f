"""Mail going out: confirmation and rejection replies, and plain mails for other areas.

SMTP settings come from the config table ``[smtp]``: host, port, security
("none", "starttls", "tls"), user, password_env / password_file, from_address.
A reply answers the operator's own mail: In-Reply-To and References point at
it, so it lands in the same thread at the operator's desk.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from connectors.base import Reply
from connectors.mail.extract import MailText, read_mail
from connectors.mail.profiles import DEFAULT_REPLY, Profile
from core.config import Config
from core.errors import ConfigError
from core.models import OperatorBooking, OperatorError

SECURITY = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


@dataclass
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str
    password: str = field(repr=False)  # never shown in logs or errors
    from_address: str
    timeout: float = 30.0
    ca_file: str = ""

    @classmethod
    def from_config(cls, config: Config) -> "SmtpSettings":
        s = config.section("smtp")
        where = f"{config.path}: [smtp]"
        if not s.get("host"):
            raise ConfigError(f"{where}: needs 'host' to send mail (see docs/config-mail.toml)")
        if not s.get("from_address"):
            raise ConfigError(f"{where}: needs 'from_address', the hotel's reservations address")
        security = str(s.get("security", "starttls")).lower()
        if security not in SECURITY:
            raise ConfigError(f"{where}: security must be one of {', '.join(SECURITY)}, not {security!r}")
        return cls(
            host=str(s["host"]),
            port=int(s.get("port", DEFAULT_PORTS[security])),
            security=security,
            user=str(s.get("user", "")),
            password=config.secret(s, "password") if s.get("user") else "",
            from_address=str(s["from_address"]),
            timeout=float(s.get("timeout", 30)),
            ca_file=str(s.get("ca_file", "")),
        )


def send_mail(
    config: Config, to: str, subject: str, body: str, *, in_reply_to: str | None = None, references: str | None = None
) -> str:
    """Send one plain-text mail through the configured SMTP server; returns its Message-ID.

    Raises ``OperatorError`` when the server refuses it or cannot be reached,
    ``ConfigError`` when ``[smtp]`` is incomplete.
    """
    settings = SmtpSettings.from_config(config)
    msg = EmailMessage()
    msg["From"] = settings.from_address
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    domain = parseaddr(settings.from_address)[1].rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid(domain=domain)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    msg.set_content(body)
    _deliver(settings, msg)
    return str(msg["Message-ID"])


def _deliver(st: SmtpSettings, msg: EmailMessage) -> None:
    where = f"SMTP server {st.host}:{st.port}"
    context = ssl.create_default_context(cafile=st.ca_file or None)
    try:
        if st.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(st.host, st.port, timeout=st.timeout, context=context)
        else:
            client = smtplib.SMTP(st.host, st.port, timeout=st.timeout)
        with client:
            if st.security == "starttls":
                client.starttls(context=context)
            if st.user:
                client.login(st.user, st.password)
            client.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise OperatorError(f"{where}: login refused: check [smtp] user and password ({exc.smtp_code})") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise OperatorError(f"{where}: recipient refused: {', '.join(exc.recipients)}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise OperatorError(f"{where}: cannot send: {exc}", retryable=True) from exc


# -- replies to operators' mails ---------------------------------------------------------------
class _Keep(dict):
    """Template values; an unknown placeholder stays as written so a typo shows in the mail."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def reply_values(
    config: Config, profile: Profile, reply: Reply, mail: MailText, booking: OperatorBooking | None
) -> dict[str, Any]:
    row = reply.reservation or {}
    guests = row.get("guests") or []
    guest = (
        " ".join(p for p in (guests[0].get("first_name", ""), guests[0].get("last_name", "")) if p)
        if guests
        else row.get("guest_names", "")
    ) or (_guest_name(booking) if booking else "")
    check_in = row.get("check_in") or (booking.check_in.isoformat() if booking and booking.check_in else "")
    check_out = row.get("check_out") or (booking.check_out.isoformat() if booking and booking.check_out else "")
    return {
        "voucher": reply.voucher,
        "hotel_number": reply.hotel_number,
        "reason": reply.reason,
        "guest": guest,
        "check_in": check_in,
        "check_out": check_out,
        "hotel_name": config.hotel_name,
        "subject": mail.subject,
        "operator": reply.operator,
        "operator_title": profile.title,
    }


def _guest_name(booking: OperatorBooking) -> str:
    if not booking.guests:
        return ""
    g = booking.guests[0]
    return " ".join(p for p in (g.first_name, g.last_name) if p)


def send_reply(config: Config, profile: Profile, reply: Reply, kind: str) -> str:
    """Answer the operator's mail ``reply.raw`` with the profile's ``confirm`` or ``reject`` template."""
    if reply.raw is None:
        raise OperatorError(
            f"{reply.operator} {reply.voucher}: the original mail is not at hand, so there is nothing to reply to"
        )
    mail = read_mail(reply.raw.body)
    booking = _booking_of(profile, mail, reply.voucher)
    values = _Keep(reply_values(config, profile, reply, mail, booking))
    template = profile.reply.get(kind) or DEFAULT_REPLY[kind]
    subject = profile.reply.get(f"subject_{kind}") or profile.reply.get("subject") or DEFAULT_REPLY["subject"]
    to = profile.reply_to or mail.reply_to or mail.sender
    if not to:
        raise OperatorError(f"{reply.operator} {reply.voucher}: the original mail has no sender to reply to")
    references = " ".join(p for p in (mail.references, mail.message_id) if p) or None
    return send_mail(
        config,
        to,
        subject.format_map(values),
        template.format_map(values),
        in_reply_to=mail.message_id or None,
        references=references,
    )


def _booking_of(profile: Profile, mail: MailText, voucher: str) -> OperatorBooking | None:
    """The booking of ``voucher`` in the original mail, for the template's guest and dates."""
    try:
        bookings = profile.read(mail)
    except Exception:  # noqa: BLE001 - a reply must not fail because the original reads badly now
        return None
    return next((b for b in bookings if b.voucher == voucher), bookings[0] if bookings else None)
