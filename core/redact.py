"""Secrets never leave opdesk in what it prints: one module that every output goes through.

Operators' passwords, tokens and API keys reach error messages in ways nobody
plans: an HTTP error quoting a URL with ``user:password@``, a library echoing
the header it sent, a config shown back with ``--json``. So (issue 15):

- every secret the config hands out (``Config.secret``) is remembered here, and
  ``mask_text`` replaces it wherever it appears;
- a backstop by name catches what nothing declared: URL user-info, query
  parameters and dict keys that are called password, token, secret, key ...;
- the mask has a fixed width, so it says nothing about the secret's length.

The CLI's consoles and JSON output, the scan's stored errors and the HTTP
servers' log lines all pass through ``mask_text`` / ``mask_value``.
"""

from __future__ import annotations

import re
import threading
from typing import Any

MASK = "********"
"""Fixed width: the mask leaks neither a secret's length nor its first letters."""
MIN_SECRET_LENGTH = 4
"""Shorter values ("1", "yes") would mask ordinary text; a real secret is longer."""

SECRET_NAME = re.compile(
    r"(passw(or)?d|secret|token|api[-_]?key|apikey|authorization|signature|private[-_]?key)", re.IGNORECASE
)
"""Names of settings, fields and URL parameters that hold secrets whatever their value."""
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@", re.I)
_QUERY_SECRET = re.compile(
    r"(?P<name>[?&;](?:[a-z0-9_-]*(?:pass(?:word)?|secret|token|api[-_]?key|apikey|"
    r"signature|sig|auth)[a-z0-9_-]*))=(?P<value>[^&;#\s\"']+)",
    re.I,
)
_AUTH_HEADER = re.compile(
    r"(?P<name>\b(?:authorization|x-api-key|api[-_]key)\s*:\s*)(?P<scheme>(?:basic|bearer)\s+)?"
    r"(?P<value>[^\s,;\"']+)",
    re.I,
)

_known: set[str] = set()
_lock = threading.Lock()


def remember(secret: str) -> None:
    """Mask this value from now on wherever it appears."""
    value = secret.strip()
    if len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _known.add(value)


def mask_text(text: str) -> str:
    """``text`` with every known secret, URL password, secret query value and auth header value masked."""
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)  # the longest first: one secret may contain another
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m['name']}={MASK}", text)
    return _AUTH_HEADER.sub(lambda m: f"{m['name']}{m['scheme'] or ''}{MASK}", text)


def mask_value(value: Any, key: str = "") -> Any:
    """A JSON-like value with secrets masked: by the key's name, then as text."""
    if (
        key
        and SECRET_NAME.search(key)
        and isinstance(value, (str, int, float))
        and not isinstance(value, bool)
        and not key.endswith(("_env", "_file"))
        and value != ""
    ):
        return MASK
    if isinstance(value, dict):
        return {k: mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


class MaskingStream:
    """A text stream that masks what is written before passing it on (the CLI's stdout and stderr).

    The target is looked up on every write, so a test runner that swaps
    ``sys.stdout`` still gets the output.
    """

    def __init__(self, target: Any) -> None:
        self._target = target

    @property
    def target(self) -> Any:
        return self._target() if callable(self._target) else self._target

    def write(self, text: str) -> int:
        self.target.write(mask_text(text))
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.target, "isatty", lambda: False)())

    def fileno(self) -> int:
        return int(self.target.fileno())

    @property
    def encoding(self) -> str:
        return str(getattr(self.target, "encoding", "utf-8") or "utf-8")
