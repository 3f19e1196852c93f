"""The small HTTP servers (push endpoint, simulators) take many connections at once."""

from __future__ import annotations

import socket
from http.server import ThreadingHTTPServer

from connectors.httpserve import AnsweringHandler, Server


def connections_taken(server_class: type[ThreadingHTTPServer], count: int) -> int:
    """Open up to ``count`` connections to a server that accepts none; how many got through before one was dropped."""
    server = server_class(("127.0.0.1", 0), AnsweringHandler)
    sockets = []
    taken = 0
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.settimeout(0.5)  # a dropped SYN is retried only after a second
            sockets.append(sock)
            try:
                sock.connect(server.server_address)
                taken += 1
            except TimeoutError:
                break
    finally:
        for sock in sockets:
            sock.close()
        server.server_close()
    return taken


def test_twenty_five_operators_connect_at_once() -> None:
    # 25 simulated operators (or pushing operators) knocking at the same moment
    # all get through; the standard library's queue of 5 drops most of them.
    assert connections_taken(Server, 25) == 25


def test_the_standard_queue_would_drop_them() -> None:
    # The reason Server exists, and proof the test above can fail.
    assert connections_taken(ThreadingHTTPServer, 25) < 25
