"""`opdesk web` serves the app's page on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_web_serves_the_app_page(tmp_path: Path):
    config = tmp_path / "opdesk.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "opdesk.db"}"\n[hotel]\nname = "Sunbeach Resort Side"\n')
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--config", str(config), "web", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        page = None
        for _ in range(100):
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert page is not None and page.status_code == 200
        assert "opdesk — Sunbeach Resort Side" in page.text
        assert f"ws://127.0.0.1:{port}/ws" in page.text
    finally:
        server.terminate()
        server.wait(10)


def test_web_needs_a_config_file(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--config", str(tmp_path / "none.toml"), "web"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert "config file not found" in done.stderr and "Traceback" not in done.stderr
