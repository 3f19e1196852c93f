"""Choosing the parser from a message's content, for files handed over by hand or dropped in a folder."""

from __future__ import annotations

import re
from typing import Callable

from core.models import OperatorBooking, ParseError, RawMessage, UnparsedMessage

Parse = Callable[[RawMessage], list[OperatorBooking]]

_MAIL_HEADER = re.compile(rb"^(From|To|Subject|Date|Received|Return-Path|Message-ID|MIME-Version|Delivered-To):",
                          re.IGNORECASE | re.MULTILINE)


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


def parse_any(raw: RawMessage) -> list[OperatorBooking]:
    """Parse ``raw`` with the parser its content calls for."""
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
        return _parse_mail(raw)
    text = raw.body[:2000].decode("utf-8", errors="replace")
    raise UnparsedMessage("unknown format: not OTA XML, opdesk JSON or an e-mail", text=text)


def _parse_mail(raw: RawMessage) -> list[OperatorBooking]:
    try:
        from connectors.mail.connector import parse_mail
    except ImportError as exc:
        raise UnparsedMessage(f"mail parsing is not available: {exc}",
                              text=raw.body[:2000].decode("utf-8", errors="replace")) from exc
    return parse_mail(raw)
