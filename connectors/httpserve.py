"""What opdesk's small HTTP servers share (the push endpoint, the operator simulators).

The push endpoint faces the internet (behind a TLS proxy), so reading a request
is guarded here, once, for every server that wants it (issue 15):

- a client gets ``header_timeout`` seconds to send its request line and
  headers and ``body_timeout`` seconds for its body, counted from the start,
  not per packet: a client trickling one byte a second is cut off all the same;
- the body's size is known before it is read (``Content-Length``) or counted
  as it arrives (chunked), and refused past ``max_bytes`` (413); a length that
  is not a number is a 400, a body without either framing a 411;
- a gzip body is unpacked up to the same limit, so a small bomb cannot grow;
- a bad request never prints a traceback, neither to the client nor the log.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.errors import InvalidInput

log = logging.getLogger("opdesk.http")

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
"""An AlpineBits push of a few hundred reservations is well under a megabyte; 20 MB leaves room for PDFs."""
DEFAULT_HEADER_TIMEOUT = 10.0
"""Seconds for a request line and headers: a real client sends them in one packet."""
DEFAULT_BODY_TIMEOUT = 30.0
"""Seconds for the body: 20 MB over a slow line, not a connection held open for ever."""
DEFAULT_MAX_CONNECTIONS = 256
"""Connections served at once (a thread each); 25 operators pushing need a few dozen at most."""
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 28\r\nConnection: close\r\n\r\nERROR:too many connections\r\n"
)

_DIGITS = re.compile(r"[0-9]{1,20}")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


class RequestRefused(InvalidInput):
    """A request that is answered with ``status`` and ``message`` and not read any further."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RequestLimits:
    """How much and how long a client may send (``[push] max_bytes``, ``header_timeout``, ``body_timeout``)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS


class Deadlines:
    """One thread that cuts off connections whose time is up.

    A socket timeout alone bounds each ``recv``; a client sending a byte just
    before each timeout would hold its thread for ever. Shutting the socket
    down at the deadline wakes the blocked read whatever the client does.
    """

    def __init__(self) -> None:
        self._due: dict[socket.socket, float] = {}
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def set(self, sock: socket.socket, seconds: float) -> None:
        with self._changed:
            self._due[sock] = time.monotonic() + seconds
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="opdesk-http-deadlines", daemon=True)
                self._thread.start()
            self._changed.notify()

    def clear(self, sock: socket.socket) -> None:
        with self._changed:
            self._due.pop(sock, None)

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify()

    def _run(self) -> None:
        with self._changed:
            while not self._stopping:
                now = time.monotonic()
                for sock in [s for s, due in self._due.items() if due <= now]:
                    del self._due[sock]
                    _cut_off(sock)
                wait = min(self._due.values(), default=now + 60) - now
                self._changed.wait(max(wait, 0.005))


def _cut_off(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by its handler


class Server(ThreadingHTTPServer):
    """A threading HTTP server that takes many connections at once.

    The standard library listens with a queue of 5: the sixth operator (or
    scanner connection) knocking at the same moment has its connection
    dropped and the client's TCP stack tries again only a second later.
    """

    request_queue_size = 128
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], limits: RequestLimits | None = None
    ) -> None:
        self.limits = limits
        self.deadlines = Deadlines()
        self._open = threading.BoundedSemaphore(limits.max_connections) if limits else None
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Past ``max_connections`` a client gets a 503 at once, not a thread: slow ones cannot use them all up."""
        if self._open is not None and not self._open.acquire(blocking=False):
            try:
                request.setblocking(False)
                request.send(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            if self._open is not None:
                self._open.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, never a traceback: what a hostile client sends must not fill the log."""
        import sys

        exc = sys.exc_info()[1]
        log.warning(
            "request from %s ended: %s",
            client_address[0] if client_address else "?",
            type(exc).__name__ if exc is not None else "unknown error",
        )

    def server_close(self) -> None:
        self.deadlines.stop()
        super().server_close()


class AnsweringHandler(BaseHTTPRequestHandler):
    """A request handler with one way to answer: status, body, content type, extra headers."""

    server: Server

    def answer(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (its timeout) or was cut off: nothing left to tell it


class GuardedHandler(AnsweringHandler):
    """A handler that reads requests within the server's ``RequestLimits`` (see the module docstring)."""

    protocol_version = "HTTP/1.1"
    server_version = "opdesk"  # not which Python answers: nothing for a scanner to match against
    sys_version = ""

    @property
    def limits(self) -> RequestLimits:
        return self.server.limits or RequestLimits()

    def handle_one_request(self) -> None:
        self.connection.settimeout(self.limits.header_timeout)  # bounds each recv, should the deadline thread lag
        self._headers_due = time.monotonic() + self.limits.header_timeout
        self.server.deadlines.set(self.connection, self.limits.header_timeout)
        try:
            super().handle_one_request()
        finally:
            self.server.deadlines.clear(self.connection)

    def parse_request(self) -> bool:
        """Headers cut short by the deadline are not a request: nothing is answered to them."""
        if not super().parse_request():
            return False
        if time.monotonic() >= self._headers_due:
            self.close_connection = True
            return False
        self.server.deadlines.clear(self.connection)
        return True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the CLI prints its own lines
        return

    def refuse(self, refused: RequestRefused) -> None:
        """Answer a refused request and close: whatever of its body is left unread would be taken as the next one."""
        self.close_connection = True
        self.answer(refused.status, f"ERROR:{refused.message}".encode(), "text/plain")

    def read_body(self) -> bytes:
        """The request's body, unpacked when gzip, within the limits; ``RequestRefused`` otherwise."""
        limits = self.limits
        self.server.deadlines.set(self.connection, limits.body_timeout)
        self.connection.settimeout(limits.body_timeout)
        try:
            body = self._read_framed(limits.max_bytes)
        except (TimeoutError, OSError) as exc:
            raise RequestRefused(408, "the request body did not arrive in time") from exc
        finally:
            self.server.deadlines.clear(self.connection)
        return _unpacked(body, self.headers.get("Content-Encoding", ""), limits.max_bytes)

    def _read_framed(self, max_bytes: int) -> bytes:
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        lengths = self.headers.get_all("Content-Length") or []
        if chunked and lengths:
            raise RequestRefused(400, "both Content-Length and chunked Transfer-Encoding: send one")
        if chunked:
            return self._read_chunked(max_bytes)
        if not lengths:
            raise RequestRefused(411, "Content-Length required (or chunked Transfer-Encoding)")
        if len(set(value.strip() for value in lengths)) != 1 or not _DIGITS.fullmatch(lengths[0].strip()):
            raise RequestRefused(400, "Content-Length must be one non-negative whole number")
        length = int(lengths[0])
        if length > max_bytes:
            raise RequestRefused(413, f"request too large: over {max_bytes} bytes")
        body = self.rfile.read(length)
        if len(body) < length:
            raise RequestRefused(400, "the request body is shorter than its Content-Length")
        return body

    def _read_chunked(self, max_bytes: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise RequestRefused(400, "a chunk size is not a hexadecimal number")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > max_bytes:
                raise RequestRefused(413, f"request too large: over {max_bytes} bytes")
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise RequestRefused(400, "a chunk is shorter than its size")
            parts.append(chunk)
        while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
            pass  # trailer fields: not used
        return b"".join(parts)


def _unpacked(body: bytes, encoding: str, max_bytes: int) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise RequestRefused(415, f"Content-Encoding {encoding[:40]!r} is not accepted; send gzip or none")
    unpacker = zlib.decompressobj(wbits=31)
    try:
        out = unpacker.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise RequestRefused(400, "the gzip body cannot be unpacked") from exc
    if len(out) > max_bytes:
        raise RequestRefused(413, f"request too large: over {max_bytes} bytes unpacked")
    if not unpacker.eof:
        raise RequestRefused(400, "the gzip body is cut short")
    return out
