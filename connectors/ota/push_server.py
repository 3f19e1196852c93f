"""The AlpineBits push endpoint: operators post ``OTA_HotelResNotifRQ``, we store, then answer.

The answer (``OTA_HotelResNotifRS``) is written only after core has committed
the message: an ack per reservation stored and readable, ``Warning Type=3
Code=450`` with the reason for one that cannot be read. The same request sent
twice stores one message and answers the same acks.

Requests are checked like AlpineBits servers do: HTTP basic auth against the
operator's ``username``/``password``, the ``X-AlpineBits-ClientProtocolVersion``
header, and the form fields ``action`` and ``request``. Each request thread
opens its own Store.
"""

from __future__ import annotations

import base64
import hmac
import threading
from typing import Any

from connectors.httpserve import AnsweringHandler, Server
from connectors.ota import writer
from connectors.ota.connector import PUSH_ACTION, OtaPushConnector, split_reservations
from connectors.ota.form import read_form
from core.config import Config, OperatorConfig
from core.ingest import Ingestor
from core.models import OperatorError, ParseError
from core.store import Store

MAX_REQUEST_BYTES = 20 * 1024 * 1024


class PushServer:
    """``opdesk serve-push``: one endpoint per operator at ``/<operator>``, or ``/`` for a single one."""

    def __init__(self, config: Config, operators: list[OperatorConfig], *, host: str = "127.0.0.1",
                 port: int = 8080) -> None:
        self.config = config
        self.operators = {op.name: op for op in operators}
        handler = type("Handler", (PushHandler,), {"server_state": self})
        self.httpd = Server((host, port), handler)
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
        with self.lock, Store(self.config.store_path, self.config.documents_dir) as store:
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


class PushHandler(AnsweringHandler):
    server_state: PushServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the CLI prints its own lines
        return

    def do_POST(self) -> None:
        state = self.server_state
        operator = state.operator_for(self.path)
        if operator is None:
            return self.answer(404, b"ERROR:unknown operator path", "text/plain")
        if not self.authorised(operator):
            return self.answer(401, b"ERROR:authentication failed", "text/plain",
                               {"WWW-Authenticate": 'Basic realm="opdesk"'})
        if not self.headers.get("X-AlpineBits-ClientProtocolVersion"):
            return self.answer(400, b"ERROR:missing X-AlpineBits-ClientProtocolVersion header", "text/plain")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            return self.answer(413, b"ERROR:request too large", "text/plain")
        form = read_form(self.headers.get("Content-Type", ""), self.rfile.read(length))
        action = form.get("action", b"").decode()
        if action != PUSH_ACTION:
            return self.answer(400, f"ERROR:unknown action {action!r}, expected {PUSH_ACTION}".encode(), "text/plain")
        self.answer(200, state.take(operator, form.get("request", b"")), "application/xml")

    def authorised(self, operator: OperatorConfig) -> bool:
        username = str(operator.settings.get("username", ""))
        password = self.server_state.config.secret(operator.settings, "password")
        expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        return hmac.compare_digest(self.headers.get("Authorization", ""), expected)
