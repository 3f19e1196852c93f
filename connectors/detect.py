"""Choosing the parser from a message's content, for files handed over by hand or dropped in a folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from core.config import Config, OperatorConfig
from core.models import OperatorBooking, ParseError, RawMessage, UnparsedMessage

Parse = Callable[[RawMessage], list[OperatorBooking]]

_MAIL_HEADER = re.compile(
    rb"^(From|To|Subject|Date|Received|Return-Path|Message-ID|MIME-Version|Delivered-To):", re.IGNORECASE | re.MULTILINE
)


def kind_of(body: bytes, filename: str = "") -> str:
    """``ota``, ``json``, ``mail`` or ``unknown``."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = filename.lower()
    if head.startswith(b"<") or lower.endswith(".xml"):
        return "ota"
    if head[:1] in (b"{", b"[") or lower.endswith(".json"):
        return "json"
    if lower.endswith(".eml") or len(_MAIL_HEADER.findall(body[:8192])) >= 2:
        return "mail"
    return "unknown"


def parser_for(config: Config | None = None) -> Parse:
    """A parse function that picks the parser from each message's content.

    ``config`` brings the user's own mail profiles; without it the built-in ones serve.
    """

    def parse(raw: RawMessage) -> list[OperatorBooking]:
        if not raw.body.strip():
            raise ParseError("empty file: nothing to read")
        kind = kind_of(raw.body, raw.filename)
        name = raw.filename or raw.source_ref
        if kind == "ota":
            from connectors.ota.parser import parse_ota

            return parse_ota(raw.body, name=name)
        if kind == "json":
            from connectors.canonical import parse_canonical

            return parse_canonical(raw.body, name=name)
        if kind == "mail":
            return _parse_mail(raw, config)
        text = raw.body[:2000].decode("utf-8", errors="replace")
        raise UnparsedMessage("unknown format: not OTA XML, opdesk JSON or an e-mail", text=text)

    return parse


def _parse_mail(raw: RawMessage, config: Config | None) -> list[OperatorBooking]:
    from connectors.mail.connector import MailConnector

    config = config or Config(path=Path("opdesk.toml"))
    operator = config.operator(raw.operator)
    if operator is None or operator.kind != "mail":
        operator = OperatorConfig(name=raw.operator, kind="mail")
    return MailConnector(operator, config).parse(raw)


parse_any = parser_for()
