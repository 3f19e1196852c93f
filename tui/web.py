"""``opdesk web``: the app in a browser, through textual-serve, guarded (issue 15).

textual-serve starts one app per WebSocket and trusts whoever connects. The
desk holds guests' data and confirms bookings to operators, so here:

- it listens on loopback unless a password is configured (``[web]
  password_env``); with one, it asks for it on a page of its own before the
  app loads, and every later request carries a session cookie;
- the WebSocket's ``Origin`` must be the page's own origin (``[web]
  public_url`` when behind a reverse proxy, else the ``Host`` the browser
  asked for), so another site open in the same browser cannot drive the desk;
- without a password the ``Host`` must be a loopback name too, so a DNS name
  rebound to 127.0.0.1 gets nothing;
- the page's URLs come from the request (or ``public_url``), never from the
  listening address: ``--host 0.0.0.0`` is not a place a browser can go;
- the page has a viewport meta, so a tablet shows the whole inbox.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import secrets
import time
from pathlib import Path
from typing import Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
import textual_serve
from aiohttp import web
from textual_serve.server import Server

from core.errors import Refused

PAGES = Path(__file__).resolve().parent / "web_pages"
STATIC = Path(textual_serve.__file__).resolve().parent / "static"
COOKIE = "opdesk_session"
SESSION_HOURS = 12.0
"""A night shift: a browser left signed in on the desk's tablet asks again the next evening."""
FAILED_LOGIN_DELAY = 1.0
"""Seconds before a wrong password is answered: guessing stays slow, a person does not notice."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebError(Refused):
    """``opdesk web`` cannot start as asked; the message says what to set."""


def is_loopback(host: str) -> bool:
    if host.strip("[]") in ("localhost", "::1"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class GuardedServer(Server):
    """textual-serve's server with a login, an Origin check and URLs taken from the request."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        title: str,
        password: str = "",
        public_url: str = "",
        failed_login_delay: float = FAILED_LOGIN_DELAY,
        session_hours: float = SESSION_HOURS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not is_loopback(host) and not password:
            raise WebError(
                f"--host {host} is not a loopback address: set web.password_env in the config (an "
                "environment variable holding the desk's password) before serving the desk beyond this "
                "machine"
            )
        public_host = urlsplit(public_url).hostname or "" if public_url else ""
        if public_url and not is_loopback(public_host) and not password:
            raise WebError(f"web.public_url {public_url} reaches the desk from elsewhere: set web.password_env too")
        super().__init__(
            command,
            host=host,
            port=port,
            title=title,
            public_url=public_url or None,
            statics_path=STATIC,
            templates_path=PAGES,
        )
        self.password = password
        self.configured_public_url = public_url.rstrip("/")
        self.sessions: dict[str, float] = {}  # token -> when it stops working (clock seconds)
        self.session_seconds = session_hours * 3600
        self.clock = clock
        self.failed_login_delay = failed_login_delay

    # -- the aiohttp application -----------------------------------------------------------
    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard], client_max_size=64 * 1024)
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(PAGES)), autoescape=True)
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/login", self.handle_login_page, name="login"),
                web.post("/login", self.handle_login),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith("/static/"):
            return await handler(request)
        if not self.password and not self._loopback_host(request):
            raise web.HTTPForbidden(text="opdesk answers only to localhost without a password")
        if path == "/ws" and not self._same_origin(request):
            raise web.HTTPForbidden(text="this page's origin may not open the desk")
        if path == "/login" or not self.password or self._signed_in(request):
            return await handler(request)
        if path == "/":
            raise web.HTTPFound(self._url("/login"))
        raise web.HTTPUnauthorized(text="sign in first")

    # -- checks ----------------------------------------------------------------------------
    def _base_url(self, request: web.Request) -> str:
        """Where the browser reaches us: ``public_url``, else what it asked for (``Host``)."""
        if self.configured_public_url:
            return self.configured_public_url
        return f"{request.scheme}://{request.host}"

    def _url(self, path: str) -> str:
        if self.configured_public_url:
            return self.configured_public_url + path
        return path

    def _same_origin(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin", "").lower().rstrip("/")
        expected = origin_of(self._base_url(request))
        return bool(origin) and hmac.compare_digest(origin.encode("utf-8", "replace"), expected.encode("utf-8"))

    def _loopback_host(self, request: web.Request) -> bool:
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        return host.lower() in LOOPBACK_NAMES or is_loopback(host.strip("[]"))

    def _signed_in(self, request: web.Request) -> bool:
        return self.session_valid(request.cookies.get(COOKIE, ""))

    def session_valid(self, token: str) -> bool:
        """A token this server gave out and whose time is not up; expired ones are forgotten."""
        now = self.clock()
        for known, until in list(self.sessions.items()):
            if until <= now:
                del self.sessions[known]
        given = token.encode("utf-8", "replace")
        return bool(token) and any(hmac.compare_digest(given, known.encode()) for known in self.sessions)

    def new_session(self) -> str:
        token = secrets.token_urlsafe(32)
        self.sessions[token] = self.clock() + self.session_seconds
        return token

    # -- pages ----------------------------------------------------------------------------
    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        base = self._base_url(request)
        scheme, rest = base.split(":", 1)
        context = {
            "title": self.title,
            "font_size": _font_size(request.query.get("fontsize", "16")),
            "websocket_url": ("wss:" if scheme == "https" else "ws:") + rest + "/ws",
            "static_url": self._url("/static/"),
            "index_url": self._url("/"),
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def handle_login_page(self, request: web.Request, error: str = "") -> web.StreamResponse:
        if not self.password:
            raise web.HTTPFound(self._url("/"))
        context = {"title": self.title, "login_url": self._url("/login"), "error": error}
        response = aiohttp_jinja2.render_template("login.html", request, context, status=401 if error else 200)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def handle_login(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower().rstrip("/") != origin_of(self._base_url(request)):
            raise web.HTTPForbidden(text="this page's origin may not sign in to the desk")
        form = await request.post()
        given = str(form.get("password", ""))
        if not self.password or not hmac.compare_digest(given.encode(), self.password.encode()):
            await asyncio.sleep(self.failed_login_delay)
            return await self.handle_login_page(request, error="Wrong password.")
        token = self.new_session()
        response = web.HTTPFound(self._url("/"))
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="Strict",
            path="/",
            max_age=int(self.session_seconds),
            secure=self._base_url(request).startswith("https:"),
        )
        raise response

    async def on_startup(self, app: web.Application) -> None:
        return  # the CLI prints its own line; textual-serve's banner names the command line

    def initialize_logging(self) -> None:
        """Plain one-line logs: textual-serve's own would print tracebacks with local variables (secrets)."""
        import logging

        logging.basicConfig(level=logging.WARNING, format="opdesk web: %(message)s")


def _font_size(value: str) -> int:
    try:
        return max(8, min(32, int(value)))
    except ValueError:
        return 16
