"""The AlpineBits push endpoint: operators post ``OTA_HotelResNotifRQ``, we store, then answer.

The answer (``OTA_HotelResNotifRS``) is written only after core has committed
the message: an ack per reservation stored and readable, and beside them a
``Warning Type="3" Code="450" RecordID=...`` with the reason for each refused
one (unreadable, for another hotel, an unknown ID). A refused reservation is
never acknowledged: when none is acknowledged the answer is ``Errors/Error
Type="13"`` with the OTA code that fits and each refused ID and reason in its
text, since the 2024-10 schema's success answer must list at least one
reservation. The same request sent twice stores one message and answers the same.

Actions: ``OTA_HotelResNotif:GuestRequests`` (reservations),
``OTA_HotelResNotif:GuestRequests_StatusUpdate`` (status changes by ID: the same
answer) and ``OTA_Ping:Handshaking`` (``OTA_PingRS`` with the capabilities both
sides share). Requests are checked like AlpineBits servers do: HTTP basic auth
against the operator's ``username``/``password``, the
``X-AlpineBits-ClientProtocolVersion`` header (a version not spoken here is
refused with HTTP 400 and nothing is stored), and the form fields ``action``
and ``request``. Each request thread opens its own Store.

The server refuses to start when an operator has no username or password: an
endpoint anyone could post bookings to is worse than none. Reading requests
(sizes, time limits, gzip) is ``connectors.httpserve.GuardedHandler``'s.
"""

from __future__ import annotations

import base64
import hmac
import logging
import threading
from typing import Any, Callable

from connectors.httpserve import GuardedHandler, RequestLimits, RequestRefused, Server
from connectors.ota import handshake, writer
from connectors.ota.connector import PUSH_ACTION, STATUS_UPDATE_ACTION, OtaPushConnector, split_reservations
from connectors.ota.form import read_form
from core.config import Config, OperatorConfig
from core.errors import ConfigError
from core.ingest import Ingestor, IngestResult
from core.models import OperatorBooking, OperatorError, ParseError, RawMessage
from core.redact import mask_text
from core.store import open_store

PUSH_ACTIONS = (PUSH_ACTION, STATUS_UPDATE_ACTION)
log = logging.getLogger("opdesk.push")


def push_limits(config: Config) -> RequestLimits:
    """``[push] max_bytes``, ``header_timeout``, ``body_timeout`` and ``max_connections``, each a positive number."""
    table = config.section("push")
    defaults = RequestLimits()
    values: dict[str, Any] = {}
    for key, kind in (("max_bytes", int), ("header_timeout", float), ("body_timeout", float), ("max_connections", int)):
        value = table.get(key, getattr(defaults, key))
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or value <= 0
            or (kind is int and not isinstance(value, int))
        ):
            raise ConfigError(
                f"{config.path}: push.{key} must be a positive "
                f"{'whole number' if kind is int else 'number of seconds'}, not {value!r}"
            )
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
        raise ConfigError(
            f"{config.path}: operator {operator.name}: an ota-push operator needs a {missing} "
            "(username = ..., password_env = ...); serve-push does not start without it"
        )
    return username, password


class PushServer:
    """``opdesk serve-push``: one endpoint per operator at ``/<operator>``, or ``/`` for a single one."""

    def __init__(
        self, config: Config, operators: list[OperatorConfig], *, host: str = "127.0.0.1", port: int = 8080
    ) -> None:
        self.config = config
        self.operators = {op.name: op for op in operators}
        self.credentials = {op.name: push_credentials(config, op) for op in operators}
        handler = type("Handler", (PushHandler,), {"server_state": self})
        self.httpd = Server((host, port), handler, push_limits(config))
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()  # one ingest at a time: SQLite serialises writers anyway

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
        """Store every reservation of a push, then say which were taken and which refused."""
        connector = OtaPushConnector(operator, self.config)
        try:
            parts = split_reservations(body, operator.name, connector.channel, "push")
        except OperatorError as exc:
            return writer.error_response(str(exc)[:500], code=writer.ERR_UNABLE, push=True)
        except ParseError as exc:
            return writer.error_response(f"request not readable: {exc}"[:500], code=writer.ERR_UNABLE, push=True)
        if not parts:
            return writer.error_response(
                "the request lists no HotelReservation", code=writer.ERR_REQUIRED_MISSING, push=True
            )
        try:
            with self.lock, open_store(self.config) as store:
                results = Ingestor(store, self.config).ingest_many([(raw, connector.parse) for raw, _, _ in parts])
        except Exception as exc:  # noqa: BLE001 - the operator hears of it and sends again; nothing was stored
            return writer.error_response(
                f"system error, nothing stored, send again later: {type(exc).__name__}",
                code=writer.ERR_SYSTEM,
                push=True,
            )
        acks, refusals = [], []
        for (_, unique_id, _), result in zip(parts, results):
            if result.ok:
                acks.append(unique_id)
            else:
                refusals.append((unique_id[1], result.error[:500] or "Unable to process reservation"))
        return writer.push_response(acks, refusals)

    def store_push(
        self, parts: list[tuple[RawMessage, Callable[[RawMessage], list[OperatorBooking]]]]
    ) -> list[IngestResult]:
        """Store the messages of one push of another protocol (SOAP OTA), one push at a time, as ``take`` does."""
        with self.lock, open_store(self.config) as store:
            return Ingestor(store, self.config).ingest_many(parts)


class PushHandler(GuardedHandler):
    server_state: PushServer

    def do_POST(self) -> None:
        try:
            self.take_post()
        except RequestRefused as refused:
            self.refuse(refused)
        except Exception as exc:  # noqa: BLE001 - a hostile request must not reach a traceback
            log.warning("push to %s failed: %s: %s", self.path[:80], type(exc).__name__, mask_text(str(exc)[:200]))
            self.refuse(RequestRefused(500, "the request could not be processed; it was not stored"))

    def take_post(self) -> None:
        state = self.server_state
        operator = state.operator_for(self.path)
        if operator is None:
            self.close_connection = True
            return self.answer(404, b"ERROR:unknown operator path", "text/plain")
        if operator.kind == "ota-soap":  # SOAP OTA: the credentials travel in the envelope
            from connectors.otasoap.push import answer_soap_push

            return answer_soap_push(self, state, operator)
        if not self.authorised(operator):
            self.close_connection = True
            return self.answer(
                401, b"ERROR:authentication failed", "text/plain", {"WWW-Authenticate": 'Basic realm="opdesk"'}
            )
        version = self.headers.get("X-AlpineBits-ClientProtocolVersion", "")
        if not version:
            raise RequestRefused(400, "missing X-AlpineBits-ClientProtocolVersion header")
        form = read_form(self.headers.get("Content-Type", ""), self.read_body())
        action = form.get("action", b"").decode("utf-8", "replace")
        if action == handshake.PING_ACTION:  # answered whatever version is asked: it is how versions are agreed
            return self.answer(200, answer_ping(form.get("request", b"")), "application/xml")
        if version not in handshake.SUPPORTED_VERSIONS:
            shown = printable(version)
            return self.answer(
                400,
                f"ERROR:unsupported protocol version {shown!r}: this server speaks "
                f"{', '.join(handshake.SUPPORTED_VERSIONS)}; nothing was stored "
                f"(handshake with {handshake.PING_ACTION})".encode(),
                "text/plain",
            )
        if action not in PUSH_ACTIONS:
            return self.answer(
                400,
                f"ERROR:unknown action {printable(action)!r}, expected {' or '.join(PUSH_ACTIONS)}".encode(),
                "text/plain",
            )
        self.answer(200, state.take(operator, form.get("request", b"")), "application/xml")

    def authorised(self, operator: OperatorConfig) -> bool:
        username, password = self.server_state.credentials[operator.name]
        if not username or not password:  # checked at start-up; never let a blank one match
            return False
        expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        # Bytes: compare_digest refuses str with non-ASCII, which a hostile header may well carry.
        given = self.headers.get("Authorization", "").encode("latin-1", "replace")
        return hmac.compare_digest(given, expected.encode())


def answer_ping(request: bytes) -> bytes:
    """``OTA_PingRS`` to a handshake: what both sides speak, the client's EchoData as sent."""
    try:
        echo, theirs = handshake.read_ping_request(request)
    except ParseError as exc:
        return handshake.ping_error(f"handshake not readable: {exc}"[:500])
    ours = handshake.capabilities(handshake.PUSH_ACTIONS)
    return handshake.ping_response(echo, handshake.intersect(ours, theirs))


def printable(text: str, limit: int = 40) -> str:
    """An operator's header or field, cut short and without control characters, for an error answer."""
    return "".join(ch if ch.isprintable() else "?" for ch in text[:limit])
