"""What opdesk's small HTTP servers share (the push endpoint, the operator simulators)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    """A threading HTTP server that takes many connections at once.

    The standard library listens with a queue of 5: the sixth operator (or
    scanner connection) knocking at the same moment has its connection
    dropped and the client's TCP stack tries again only a second later.
    """

    request_queue_size = 128
    daemon_threads = True


class AnsweringHandler(BaseHTTPRequestHandler):
    """A request handler with one way to answer: status, body, content type, extra headers."""

    def answer(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client gave up (its timeout): nothing left to tell it
