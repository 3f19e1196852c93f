"""The HTTP form AlpineBits messages travel in: fields ``action`` and ``request``."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs


def read_form(content_type: str, body: bytes) -> dict[str, bytes]:
    """The fields of a multipart/form-data or urlencoded body."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return {k: v[0].encode() for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, bytes] = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True)  # bytes for a leaf part, None for a nested multipart
            fields[str(name)] = payload if isinstance(payload, bytes) else b""
    return fields
