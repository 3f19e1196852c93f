"""Saying in the hotel's words why an operator's server could not be reached."""

from __future__ import annotations

import httpx

from core.models import OperatorError

_PLAIN = [
    (httpx.ConnectTimeout, "no connection within the time allowed (is the address right, is the server up?)"),
    (httpx.ConnectError, "cannot connect: the server refused or is down (is the address right, is it up?)"),
    (httpx.ReadTimeout, "the server did not answer within the time allowed"),
    (httpx.WriteTimeout, "the request could not be sent within the time allowed"),
    (httpx.RemoteProtocolError, "the server broke off the answer"),
]


def unreachable(url: str, exc: httpx.HTTPError) -> OperatorError:
    """An ``OperatorError`` (worth retrying) naming the URL and what went wrong, plainly."""
    for kind, text in _PLAIN:
        if isinstance(exc, kind):
            return OperatorError(f"{url}: {text}", retryable=True)
    detail = str(exc).strip()
    return OperatorError(f"{url}: {type(exc).__name__}" + (f": {detail}" if detail else ""), retryable=True)
