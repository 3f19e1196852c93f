"""The AlpineBits push endpoint: operators post ``OTA_HotelResNotifRQ``, we store, then answer.

The answer (``OTA_HotelResNotifRS``) is written only after core has committed
the message: an ack per reservation stored and readable, ``Warning Type=3
Code=450`` with the reason for one that cannot be read. The same request sent
twice stores one message and answers the same acks.

Requests are checked like AlpineBits servers do: HTTP basic auth against the
operator's ``username``/``password``, the ``X-AlpineBits-ClientProtocolVersion``
header, and the form fields ``action`` and ``request``. Each request thread
opens its own Store.

The server refuses to start when an operator has no username or password: an
endpoint anyone could post bookings to is worse than none. Reading requests
(sizes, time limits, gzip) is ``connectors.httpserve.GuardedHandler``'s.
"""

from __future__ import annotations

import base64
import hmac
import logging
import threading
from typing import Any

from connectors.httpserve import GuardedHandler, RequestLimits, RequestRefused, Server
from connectors.ota import writer
from connectors.ota.connector import PUSH_ACTION, OtaPushConnector, split_reservations
from connectors.ota.form import read_form
from core.config import Config, ConfigError, OperatorConfig
from core.ingest import Ingestor
from core.models import OperatorError, ParseError
from core.redact import mask_text
from core.store import open_store

log = logging.getLogger("opdesk.push")


def push_limits(config: Config) -> RequestLimits:
    """``[push] max_bytes``, ``header_timeout``, ``body_timeout`` and ``max_connections``, each a positive number."""
    table = config.section("push")
    defaults = RequestLimits()
    values: dict[str, Any] = {}
    for key, kind in (("max_bytes", int), ("header_timeout", float), ("body_timeout", float),
                      ("max_connections", int)):
        value = table.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
                or (kind is int and not isinstance(value, int)):
            raise ConfigError(f"{config.path}: push.{key} must be a positive "
                              f"{'whole number' if kind is int else 'number of seconds'}, not {value!r}")
        values[key] = kind(value)
    return RequestLimits(**values)


def push_credentials(config: Config, operator: OperatorConfig) -> tuple[str, str]:
    """The username and password an operator must send; ``ConfigError`` naming it when either is missing."""
    username = str(operator.settings.get("username", "") or "")
    try:
        password = config.secret(operator.settings, "password")
    except ConfigError as exc:
        raise ConfigError(f"operator {operator.name}: {exc}; serve-push does not start without it") from exc
    if not username.strip() or not password.strip():
        missing = " and ".join(k for k, v in (("username", username), ("password", password)) if not v.strip())
        raise ConfigError(f"{config.path}: operator {operator.name}: an ota-push operator needs a {missing} "
                          "(username = ..., password_env = ...); serve-push does not start without it")
    return username, password


class PushServer:
    """``opdesk serve-push``: one endpoint per operator at ``/<operator>``, or ``/`` for a single one."""

    def __init__(self, config: Config, operators: list[OperatorConfig], *, host: str = "127.0.0.1",
                 port: int = 8080) -> None:
        self.config = config
        self.operators = {op.name: op for op in operators}
        self.credentials = {op.name: push_credentials(config, op) for op in operators}
        handler = type("Handler", (PushHandler,), {"server_state": self})
        self.httpd = Server((host, port), handler, push_limits(config))
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()   # one ingest at a time: SQLite serialises writers anyway

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def start(self) -> "PushServer":
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="opdesk-push", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def operator_for(self, path: str) -> OperatorConfig | None:
        name = path.strip("/").split("/")[0]
        if not name and len(self.operators) == 1:
            return next(iter(self.operators.values()))
        return self.operators.get(name)

    def take(self, operator: OperatorConfig, body: bytes) -> bytes:
        """Store every reservation of a push, then say which were taken."""
        connector = OtaPushConnector(operator, self.config)
        try:
            parts = split_reservations(body, operator.name, connector.channel, "push")
        except OperatorError as exc:
            return writer.error_response(str(exc)[:500], push=True)
        except ParseError as exc:
            return writer.error_response(f"request not readable: {exc}"[:500], push=True)
        with self.lock, open_store(self.config) as store:
            results = Ingestor(store, self.config).ingest_many([(raw, connector.parse) for raw, _, _ in parts])
        acks, refusals = [], []
        for (_, unique_id, _), result in zip(parts, results):
            if result.ok:
                acks.append(unique_id)
            else:
                refusals.append((unique_id[1], result.error[:500] or "Unable to process reservation"))
        if not acks:   # AlpineBits needs one listed; the Warning 450 says these are refused
            acks = [unique_id for _, unique_id, _ in parts]
        return writer.push_response(acks, refusals)


class PushHandler(GuardedHandler):
    server_state: PushServer

    def do_POST(self) -> None:
        try:
            self.take_post()
        except RequestRefused as refused:
            self.refuse(refused)
        except Exception as exc:   # noqa: BLE001 - a hostile request must not reach a traceback
            log.warning("push to %s failed: %s: %s", self.path[:80], type(exc).__name__, mask_text(str(exc)[:200]))
            self.refuse(RequestRefused(500, "the request could not be processed; it was not stored"))

    def take_post(self) -> None:
        state = self.server_state
        operator = state.operator_for(self.path)
        if operator is None:
            self.close_connection = True
            return self.answer(404, b"ERROR:unknown operator path", "text/plain")
        if not self.authorised(operator):
            self.close_connection = True
            return self.answer(401, b"ERROR:authentication failed", "text/plain",
                               {"WWW-Authenticate": 'Basic realm="opdesk"'})
        if not self.headers.get("X-AlpineBits-ClientProtocolVersion"):
            raise RequestRefused(400, "missing X-AlpineBits-ClientProtocolVersion header")
        form = read_form(self.headers.get("Content-Type", ""), self.read_body())
        action = form.get("action", b"").decode("utf-8", "replace")
        if action != PUSH_ACTION:
            return self.answer(400, f"ERROR:unknown action {action!r}, expected {PUSH_ACTION}".encode(), "text/plain")
        self.answer(200, state.take(operator, form.get("request", b"")), "application/xml")

    def authorised(self, operator: OperatorConfig) -> bool:
        username, password = self.server_state.credentials[operator.name]
        if not username or not password:   # checked at start-up; never let a blank one match
            return False
        expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        # Bytes: compare_digest refuses str with non-ASCII, which a hostile header may well carry.
        given = self.headers.get("Authorization", "").encode("latin-1", "replace")
        return hmac.compare_digest(given, expected.encode())
