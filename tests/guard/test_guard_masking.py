"""Secrets are masked in every output: one module (core.redact) every printing path goes through."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from typer.testing import CliRunner

from core import redact
from core.store import Store
from tui.cli import app

runner = CliRunner()
TOKEN = "tok-5f1e9a7c2b"


def test_known_secrets_url_passwords_and_secret_parameters_are_masked():
    redact.remember("Very-Secret-77")
    text = (
        "login failed for https://sunbeach:hunter22@api.example/v1?api_key=abc123&page=2 "
        "with Very-Secret-77; Authorization: Bearer eyJhbGciOi"
    )
    masked = redact.mask_text(text)
    for secret in ("hunter22", "abc123", "Very-Secret-77", "eyJhbGciOi"):
        assert secret not in masked
    assert "https://sunbeach:********@api.example/v1?api_key=********&page=2" in masked
    assert redact.mask_value({"password": "x" * 3, "auth": "bearer", "password_env": "OPDESK_PW"}) == {
        "password": "********",
        "auth": "bearer",
        "password_env": "OPDESK_PW",
    }


class EchoingOperator(BaseHTTPRequestHandler):
    """An operator API that quotes the credential it was sent in its error answer, as some do."""

    def do_GET(self) -> None:
        body = f"invalid request for {self.headers.get('Authorization')}".encode()
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def test_a_token_quoted_back_by_an_operator_never_reaches_the_output_or_the_store(tmp_path, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingOperator)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPDESK_TEST_TOKEN", TOKEN)
    config = tmp_path / "opdesk.toml"
    config.write_text(
        f'[store]\npath = "opdesk.db"\n[scan]\nretries = 0\nprocesses = 1\n'
        f'[[operators]]\nname = "pegas"\nkind = "jsonapi"\n'
        f'base_url = "http://127.0.0.1:{server.server_port}"\nbookings_path = "/bookings"\n'
        f'items = "data"\nauth = "bearer"\ntoken_env = "OPDESK_TEST_TOKEN"\n'
    )
    try:
        as_json = runner.invoke(app, ["--config", str(config), "scan", "--json"])
        as_text = runner.invoke(app, ["--config", str(config), "scan"])
    finally:
        server.shutdown()
        server.server_close()
    assert as_json.exit_code == 1 and as_text.exit_code == 1
    [run] = json.loads(as_json.stdout)
    assert "invalid request for Bearer ********" in run["last_error"]
    for output in (as_json.output, as_text.output):
        assert TOKEN not in output
    with Store(tmp_path / "opdesk.db") as store:
        errors = " ".join(r["last_error"] for r in store.all("SELECT last_error FROM scan_runs"))
    assert "********" in errors and TOKEN not in errors


async def test_the_app_masks_what_it_notifies(tmp_path):
    from core.config import Config
    from tui.app import OpdeskApp

    config = Config(tmp_path / "opdesk.toml", {"store": {"path": str(tmp_path / "opdesk.db")}})
    redact.remember("imap-Pa55word")
    app = OpdeskApp(config)
    async with app.run_test(size=(80, 24)) as pilot:
        app.notify("login failed: imap-Pa55word refused", title="Scan")
        await pilot.pause()
        [shown] = list(app._notifications)
        assert shown.message == "login failed: ******** refused"
