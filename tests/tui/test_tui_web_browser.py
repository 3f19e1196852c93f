"""`opdesk web` in a real browser (Debian's chromium driven by Playwright): login, Origin, 0.0.0.0, tablets."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

import aiohttp
import httpx
import pytest

pytestmark = pytest.mark.xdist_group("browser")  # one browser for the file, in one worker

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "night-desk-4821"
SHOTS = Path(os.environ.get("OPDESK_SCREENSHOTS", "/tmp/opdesk-web-shots"))


class BrowserThread:
    """One chromium for the whole session, driven from a thread of its own.

    Playwright's sync API keeps an event loop running in the thread that
    started it; in the test thread that would break every later test that
    calls ``asyncio.run``. So the browser lives on one worker thread and each
    test hands it a function to run there.
    """

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self.pool.submit(self._start).result(timeout=120)

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.chromium = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def run(self, steps: Callable[[Any], None]) -> None:
        self.pool.submit(steps, self.chromium).result(timeout=300)

    def close(self) -> None:
        def stop() -> None:
            self.chromium.close()
            self.playwright.stop()

        self.pool.submit(stop).result(timeout=60)
        self.pool.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[BrowserThread]:
    """One chromium for the whole session: starting one takes seconds."""
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run make system-deps (it installs Debian's chromium)")
    thread = BrowserThread()
    yield thread
    thread.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path: Path, web: str = "") -> Path:
    config = tmp_path / "opdesk.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "opdesk.db"}"\n[hotel]\nname = "Sunbeach Resort Side"\n{web}')
    return config


class Served:
    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    started: list[subprocess.Popen] = []

    def start(*args: str, web: str = "", env: dict[str, str] | None = None) -> Served:
        config = write_config(tmp_path, web)
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "--config", str(config), "web", "--port", str(port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        started.append(process)
        deadline = time.monotonic() + 120  # a loaded machine starts Python slowly; a start is seconds
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/static/css/xterm.css", timeout=2)
                return Served(process, port)
            except httpx.TransportError:
                if process.poll() is not None:
                    raise AssertionError(process.stdout.read().decode() if process.stdout else "exited") from None
                time.sleep(0.1)
        raise AssertionError("opdesk web did not start")

    yield start
    for process in started:
        stop_group(process)


def stop_group(process: subprocess.Popen) -> None:
    """Stop ``opdesk web`` and the app processes it started for each browser session."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
    except ProcessLookupError:
        pass


def wait_for_app(page: object) -> None:
    """textual.js marks the body ``-first-byte`` once the app's first screen has arrived over the WebSocket."""
    page.wait_for_selector("body.-first-byte", timeout=60_000)


def test_the_app_loads_in_a_browser_on_loopback(browser, serve):
    served = serve()

    def steps(chromium: Any) -> None:
        page = chromium.new_page(viewport={"width": 1280, "height": 720})
        try:
            page.goto(served.url + "/", wait_until="domcontentloaded")
            wait_for_app(page)
            page.wait_for_timeout(1500)  # let the first screen paint before the picture
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "loopback.png"))
            assert page.title() == "opdesk — Sunbeach Resort Side"
        finally:
            page.close()

    browser.run(steps)


def test_with_a_password_the_browser_signs_in_before_the_app_loads_on_0_0_0_0(browser, serve):
    served = serve(
        "--host",
        "0.0.0.0",
        web='[web]\npassword_env = "OPDESK_TEST_WEB_PASSWORD"\n',
        env={"OPDESK_TEST_WEB_PASSWORD": PASSWORD},
    )

    def steps(chromium: Any) -> None:
        page = chromium.new_page()
        try:
            page.goto(served.url + "/", wait_until="domcontentloaded")
            assert page.url.endswith("/login")  # the app's page is not served before the password
            assert page.locator("#terminal").count() == 0
            page.fill("#password", "guess")
            page.click("#sign-in")
            page.wait_for_selector("#error")
            assert page.locator("#terminal").count() == 0
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            wait_for_app(page)  # the WebSocket URL follows the address the browser used, not 0.0.0.0
            ws_url = page.locator("#terminal").get_attribute("data-session-websocket-url")
            assert ws_url == f"ws://127.0.0.1:{served.port}/ws"
            page.wait_for_timeout(1500)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "signed-in.png"))
        finally:
            page.close()

    browser.run(steps)


def test_a_tablet_shows_the_page_at_its_own_width(browser, serve, tmp_path):
    bookings = [
        {
            "voucher": f"TUI10{i}",
            "check_in": f"2030-06-0{i}",
            "check_out": f"2030-06-1{i}",
            "adults": 2,
            "room": "DZ",
            "board": "AI",
            "guests": [{"first_name": "Ayşe", "last_name": f"Yılmaz{i}"}],
            "total": "980.00",
            "currency": "EUR",
        }
        for i in range(1, 4)
    ]
    (tmp_path / "bookings.json").write_text(json.dumps(bookings))
    write_config(tmp_path)
    taken = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "--config",
            str(tmp_path / "opdesk.toml"),
            "ingest",
            "--operator",
            "tui",
            str(tmp_path / "bookings.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert taken.returncode == 0 and "3 new" in taken.stdout, taken.stdout + taken.stderr
    served = serve()

    def steps(chromium: Any) -> None:
        # Scale 1: headless chromium without a GPU draws xterm's canvas at a quarter size when emulating scale 2.
        context = chromium.new_context(
            viewport={"width": 768, "height": 1024}, is_mobile=True, has_touch=True, device_scale_factor=1
        )
        page = context.new_page()
        try:
            page.goto(served.url + "/", wait_until="domcontentloaded")
            wait_for_app(page)
            # Without a viewport meta a mobile browser lays the page out 980 px wide and shrinks it.
            assert page.evaluate("window.innerWidth") == 768
            assert page.evaluate("document.querySelector('#terminal').getBoundingClientRect().width") == 768
            page.wait_for_timeout(5000)  # the inbox's rows arrive from a worker after the first screen
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "tablet.png"))
        finally:
            context.close()

    browser.run(steps)


def ws_status(args: tuple) -> int:
    """``websocket_status`` on a thread of its own: Playwright's sync API holds this thread's event loop."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(websocket_status(*args))))
    thread.start()
    thread.join(60)
    return result[0]


async def websocket_status(url: str, origin: str | None, cookies: dict[str, str] | None = None) -> int:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession(cookies=cookies) as session:
        try:
            async with session.ws_connect(url, headers=headers) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


def test_the_websocket_checks_its_origin(serve):
    served = serve()
    ws = f"ws://127.0.0.1:{served.port}/ws?width=80&height=24"
    assert ws_status((ws, "http://evil.example")) == 403
    assert ws_status((ws, None)) == 403
    assert ws_status((ws, f"http://127.0.0.1:{served.port}")) == 101
    # A DNS name rebound to 127.0.0.1 is not loopback to a desk without a password.
    rebound = httpx.get(served.url + "/", headers={"Host": f"evil.example:{served.port}"})
    assert rebound.status_code == 403


def test_the_websocket_needs_the_session_cookie_when_a_password_is_set(serve):
    served = serve(
        "--host",
        "0.0.0.0",
        web='[web]\npassword_env = "OPDESK_TEST_WEB_PASSWORD"\n',
        env={"OPDESK_TEST_WEB_PASSWORD": PASSWORD},
    )
    ws = f"ws://127.0.0.1:{served.port}/ws?width=80&height=24"
    origin = f"http://127.0.0.1:{served.port}"
    assert ws_status((ws, origin)) == 401
    signed = httpx.post(served.url + "/login", data={"password": PASSWORD}, headers={"Origin": origin})
    assert signed.status_code == 302
    cookie = signed.cookies["opdesk_session"]
    assert "HttpOnly" in signed.headers["set-cookie"] and "SameSite=Strict" in signed.headers["set-cookie"]
    assert ws_status((ws, origin, {"opdesk_session": cookie})) == 101
    assert ws_status((ws, "http://evil.example", {"opdesk_session": cookie})) == 403


def test_public_url_gives_the_proxy_s_addresses_and_origin(serve):
    served = serve(
        web='[web]\npublic_url = "https://desk.sunbeach.example/opdesk"\npassword_env = "OPDESK_TEST_WEB_PASSWORD"\n',
        env={"OPDESK_TEST_WEB_PASSWORD": PASSWORD},
    )
    signed = httpx.post(
        served.url + "/login", data={"password": PASSWORD}, headers={"Origin": "https://desk.sunbeach.example"}
    )
    assert signed.headers["location"] == "https://desk.sunbeach.example/opdesk/"
    assert "Secure" in signed.headers["set-cookie"]  # the proxy speaks HTTPS: the cookie never goes in clear
    cookies = {"opdesk_session": signed.cookies["opdesk_session"]}
    page = httpx.get(served.url + "/", cookies=cookies)
    assert 'data-session-websocket-url="wss://desk.sunbeach.example/opdesk/ws"' in page.text
    assert 'href="https://desk.sunbeach.example/opdesk/static/css/xterm.css"' in page.text
    assert '<meta name="viewport" content="width=device-width' in page.text
    ws = f"ws://127.0.0.1:{served.port}/ws?width=80&height=24"
    assert ws_status((ws, "https://desk.sunbeach.example", cookies)) == 101
    assert ws_status((ws, f"http://127.0.0.1:{served.port}", cookies)) == 403


def test_public_url_beyond_this_machine_needs_a_password(tmp_path):
    config = write_config(tmp_path, '[web]\npublic_url = "https://desk.sunbeach.example"\n')
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--config", str(config), "web", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "password_env" in done.stderr


def test_any_address_but_loopback_is_refused_without_a_password(tmp_path):
    config = write_config(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "--config",
            str(config),
            "web",
            "--host",
            "0.0.0.0",
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "password_env" in done.stderr and "Traceback" not in done.stderr


def test_a_sign_in_lasts_session_hours():
    from tui.web import GuardedServer

    now = [1000.0]
    server = GuardedServer(
        "true", host="127.0.0.1", port=0, title="t", password=PASSWORD, session_hours=12, clock=lambda: now[0]
    )
    token = server.new_session()
    assert server.session_valid(token) and not server.session_valid("forged") and not server.session_valid("")
    now[0] += 12 * 3600 - 1
    assert server.session_valid(token)
    now[0] += 2
    assert not server.session_valid(token) and server.sessions == {}
