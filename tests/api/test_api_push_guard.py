"""The push endpoint reads hostile requests safely: sizes, framing, time limits, gzip, start-up checks.

Real sockets on 127.0.0.1; the time limits are set short in the config.
"""

from __future__ import annotations

import base64
import gzip
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors.ota.connector import PUSH_ACTION
from connectors.ota.push_server import PushServer
from core.config import Config, ConfigError
from core.store import Store

AUTH = "Basic " + base64.b64encode(b"jet2:s3cret").decode()
BOUNDARY = "opdeskboundary"


def make_config(tmp_path: Path, push: dict | None = None, **operator: object) -> Config:
    entry = {"name": "jet2", "kind": "ota-push", "username": "jet2", "password": "s3cret", **operator}
    return Config(
        tmp_path / "opdesk.toml",
        {
            "store": {"path": str(tmp_path / "opdesk.db")},
            "push": push or {"max_bytes": 4096, "header_timeout": 0.4, "body_timeout": 0.6},
            "operators": [entry],
        },
    )


@pytest.fixture
def served(tmp_path):
    config = make_config(tmp_path)
    server = PushServer(config, config.operators, port=0).start()
    yield config, server.port
    server.stop()


def form_body(request: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="action"\r\n\r\n{PUSH_ACTION}\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="request"\r\n\r\n'
        ).encode()
        + request
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def head(extra: str = "") -> bytes:
    return (
        "POST /jet2 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {AUTH}\r\nX-AlpineBits-ClientProtocolVersion: 2024-10\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{extra}\r\n"
    ).encode()


def exchange(port: int, data: bytes, *, wait: float = 10.0) -> bytes:
    """Send ``data`` and read until the server closes or has answered one response."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> bytes:
    got = b""
    while True:
        try:
            piece = sock.recv(65536)
        except ConnectionResetError:
            return got
        if not piece:
            return got
        got += piece
        if b"\r\n\r\n" in got:
            header, _, rest = got.partition(b"\r\n\r\n")
            for line in header.split(b"\r\n"):
                if line.lower().startswith(b"content-length:") and len(rest) >= int(line.split(b":")[1]):
                    return got


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def count_raw(config: Config) -> int:
    with Store(config.store_path) as store:
        return int(store.scalar("SELECT COUNT(*) FROM raw_messages"))


# -- framing -------------------------------------------------------------------------------
@pytest.mark.parametrize("length", ["-1", "abc", "1e3", " 12 34", "99999999999999999999999"])
def test_a_content_length_that_is_not_a_whole_number_is_400(served, length):
    _, port = served
    answer = exchange(port, head(f"Content-Length: {length}\r\n") + b"x" * 10)
    assert status_of(answer) == 400
    assert b"Traceback" not in answer


def test_a_body_without_length_or_chunks_is_411(served):
    _, port = served
    assert status_of(exchange(port, head() + b"<x/>")) == 411


def test_a_declared_length_over_max_bytes_is_413_before_the_body_is_read(served):
    config, port = served
    # The body is never sent: the answer must come from the header alone.
    answer = exchange(port, head("Content-Length: 5000\r\n"))
    assert status_of(answer) == 413
    assert count_raw(config) == 0


def test_a_chunked_body_is_counted_as_it_arrives(served):
    _, port = served
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head("Transfer-Encoding: chunked\r\n"))
        for _ in range(3):  # 3 x 2000 bytes: the third passes 4096 and is answered before any more is sent
            sock.sendall(b"7d0\r\n" + b"x" * 2000 + b"\r\n")
        assert status_of(read_answer(sock)) == 413


def test_a_chunked_body_within_the_limit_is_taken(served, tmp_path):
    config, port = served
    body = form_body(b"<not-a-push/>")
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:50], body[50:])) + b"0\r\n\r\n"
    answer = exchange(port, head("Transfer-Encoding: chunked\r\n") + chunks)
    assert status_of(answer) == 200  # read whole; the AlpineBits answer says what was wrong with it


def test_a_bad_chunk_size_is_400(served):
    _, port = served
    assert status_of(exchange(port, head("Transfer-Encoding: chunked\r\n") + b"zz\r\nxx\r\n0\r\n\r\n")) == 400


def test_gzip_bodies_are_accepted_up_to_the_unpacked_limit(served):
    _, port = served
    small = gzip.compress(form_body(b"<not-a-push/>"))
    answer = exchange(port, head(f"Content-Encoding: gzip\r\nContent-Length: {len(small)}\r\n") + small)
    assert status_of(answer) == 200
    bomb = gzip.compress(form_body(b" " * 1_000_000))  # about 1 kB packed, 1 MB unpacked
    assert len(bomb) < 4096
    answer = exchange(port, head(f"Content-Encoding: gzip\r\nContent-Length: {len(bomb)}\r\n") + bomb)
    assert status_of(answer) == 413


def test_a_broken_gzip_body_is_400(served):
    _, port = served
    answer = exchange(port, head("Content-Encoding: gzip\r\nContent-Length: 10\r\n") + b"not gzip!!")
    assert status_of(answer) == 400


# -- time limits ---------------------------------------------------------------------------
def test_a_client_that_never_finishes_its_headers_is_cut_off(served):
    _, port = served
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /jet2 HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        assert read_answer(sock) == b""  # closed by the server (header_timeout 0.4 s), not by our 10 s


def test_a_client_trickling_its_headers_is_cut_off(served):
    _, port = served
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /jet2 HTTP/1.1\r\n")
        closed = False
        for _ in range(100):  # one header line every 0.1 s: each recv is quick, the whole is not
            try:
                sock.sendall(b"X-Slow: 1\r\n")
                sock.settimeout(0.1)
                if sock.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        assert closed


def test_a_client_that_never_sends_its_body_is_cut_off(served):
    config, port = served
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head("Content-Length: 100\r\n") + b"x" * 10)
        answer = read_answer(sock)
    assert answer == b"" or status_of(answer) == 408
    assert count_raw(config) == 0


def test_fifty_slow_clients_do_not_stop_a_good_one(tmp_path):
    config = make_config(tmp_path, push={"max_bytes": 1_000_000, "header_timeout": 5, "body_timeout": 5})
    server = PushServer(config, config.operators, port=0).start()
    slow = []
    try:
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(b"POST /jet2 HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        body = form_body(b"<not-a-push/>")
        answer = exchange(server.port, head(f"Content-Length: {len(body)}\r\n") + body, wait=3)
        assert status_of(answer) == 200  # answered while the fifty still hold their connections
    finally:
        for sock in slow:
            sock.close()
        server.stop()


# -- no traceback --------------------------------------------------------------------------
def test_garbage_never_logs_a_traceback(served, caplog, capfd):
    _, port = served
    with caplog.at_level(logging.DEBUG):
        for data in (
            b"\x00\xff\x16\x03\x01garbage\r\n\r\n",
            b"POST /jet2 HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n",
            head("Content-Length: 5\r\nX-Bad: \xff\r\n") + b"\xff" * 5,
            b"POST /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
        ):
            try:
                exchange(port, data)
            except OSError:
                pass
    assert "Traceback" not in caplog.text
    assert "Traceback" not in capfd.readouterr().err


# -- credentials -----------------------------------------------------------------------------
def test_an_operator_without_a_password_stops_the_start(tmp_path):
    config = make_config(tmp_path, password="")
    with pytest.raises(ConfigError, match="operator jet2: an ota-push operator needs a password"):
        PushServer(config, config.operators, port=0)
    config = make_config(tmp_path, password=None, username="")
    del config.data["operators"][0]["password"]
    with pytest.raises(ConfigError, match="operator jet2.*username and password"):
        PushServer(config, config.operators, port=0)


def test_an_unset_password_env_names_the_operator(tmp_path, monkeypatch):
    monkeypatch.delenv("OPDESK_TEST_PUSH_PW", raising=False)
    config = make_config(tmp_path, password_env="OPDESK_TEST_PUSH_PW")
    del config.data["operators"][0]["password"]
    with pytest.raises(ConfigError, match="operator jet2:.*OPDESK_TEST_PUSH_PW"):
        PushServer(config, config.operators, port=0)


def test_serve_push_refuses_to_start_naming_the_operator(tmp_path):
    config = tmp_path / "opdesk.toml"
    config.write_text(
        f'[store]\npath = "{tmp_path / "opdesk.db"}"\n'
        '[[operators]]\nname = "easyjet"\nkind = "ota-push"\nusername = "easyjet"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--config", str(config), "serve-push", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "operator easyjet" in done.stderr and "password" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_blank_password_never_matches(tmp_path):
    config = make_config(tmp_path)
    server = PushServer(config, config.operators, port=0).start()
    try:
        server.credentials["jet2"] = ("jet2", "")  # as if it were blank: "jet2:" must not pass
        blank = "Basic " + base64.b64encode(b"jet2:").decode()
        body = form_body(b"<x/>")
        data = head(f"Content-Length: {len(body)}\r\n").replace(AUTH.encode(), blank.encode()) + body
        assert status_of(exchange(server.port, data)) == 401
    finally:
        server.stop()


def test_a_non_ascii_authorization_header_is_a_plain_401(served):
    _, port = served
    body = form_body(b"<x/>")
    data = head(f"Content-Length: {len(body)}\r\n").replace(AUTH.encode(), "Basic ÿÿÿ".encode("latin-1")) + body
    assert status_of(exchange(port, data)) == 401


def test_past_max_connections_a_client_is_turned_away_at_once(tmp_path):
    config = make_config(
        tmp_path, push={"max_bytes": 4096, "header_timeout": 30, "body_timeout": 30, "max_connections": 3}
    )
    server = PushServer(config, config.operators, port=0).start()
    held = []
    try:
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(b"POST /jet2 HTTP/1.1\r\n")  # and nothing more: each holds its thread
            held.append(sock)
        answer = exchange(server.port, b"POST /jet2 HTTP/1.1\r\n")  # no headers needed: refused on arrival
        assert status_of(answer) == 503 and b"Retry-After: 5" in answer
        held.pop().close()  # one leaves: there is room again
        body = form_body(b"<not-a-push/>")
        for _ in range(100):
            answer = exchange(server.port, head(f"Content-Length: {len(body)}\r\n") + body)
            if status_of(answer) != 503:
                break
            time.sleep(0.05)  # the server notices the close when its read returns
        assert status_of(answer) == 200
    finally:
        for sock in held:
            sock.close()
        server.stop()
