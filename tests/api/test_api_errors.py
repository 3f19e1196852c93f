"""An operator that cannot be reached is described plainly, and the scan goes on."""

from __future__ import annotations

import asyncio
import socket

from connectors.scan import scan
from core.config import Config


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_is_down_is_named_with_what_to_check(tmp_path):
    port = _closed_port()
    config = Config(
        tmp_path / "opdesk.toml",
        {
            "store": {"path": str(tmp_path / "opdesk.db")},
            "scan": {"retries": 1, "backoff": 0.01, "backoff_max": 0.02, "request_timeout": 2, "operator_timeout": 5},
            "operators": [
                {
                    "name": "tui",
                    "kind": "ota-pull",
                    "url": f"http://127.0.0.1:{port}/alpinebits",
                    "username": "u",
                    "password": "p",
                    "hotel_code": "H",
                }
            ],
        },
    )
    [run] = asyncio.run(scan(config))
    assert run.state == "error"
    assert run.last_error == (
        f"http://127.0.0.1:{port}/alpinebits: cannot connect: the server refused or is "
        "down (is the address right, is it up?)"
    )
