"""Mail tests: a REAL Dovecot IMAP server and an aiosmtpd SMTP sink on 127.0.0.1.

Taken from the shared IMAP recipe (dovecot.conf.template sits next to this
file). Without the dovecot binary every test that uses `dovecot` is SKIPPED
with a message saying what to install; the SMTP fixtures need only aiosmtpd.

Fixtures
  dovecot      (session)  DovecotServer: host, port, imaps_port, users, cert_path,
                          ssl_context(), mailbox(user), fresh_user()
  imap_user    (function) a never-used (user, password), i.e. an empty mailbox
  smtp_server  (session)  SmtpSink: host, port, messages (list of EmailMessage)
  smtp_sink    (function) the same sink, emptied before each test
  mail_config  (function) a Config with a mail operator on imap_user's mailbox and [smtp] on the sink
"""

from __future__ import annotations

import email
import email.policy
import grp
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TEMPLATE = Path(os.environ.get("DOVECOT_TEMPLATE", Path(__file__).with_name("dovecot.conf.template")))
DEFAULT_USERS = {"alice": "alicepw", "bob": "bobpw"}
POOL_SIZE = int(os.environ.get("DOVECOT_USER_POOL", "60"))  # users for imap_user
START_TIMEOUT = 15.0


# --------------------------------------------------------------------------- helpers
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _find_dovecot() -> str | None:
    if os.environ.get("DOVECOT_BIN"):  # explicit override (e.g. a self-built one)
        path = os.environ["DOVECOT_BIN"]
        return path if os.access(path, os.X_OK) else None
    # /usr/sbin is not on a normal user's PATH on Debian, so look there too.
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)), None
    )


def _read_greeting(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        return s.recv(512)


@dataclass
class DovecotServer:
    host: str
    port: int  # plain IMAP (+ STARTTLS)
    imaps_port: int  # implicit TLS, self-signed cert at cert_path
    base_dir: Path
    users: dict = field(default_factory=dict)
    pid: int = 0
    pool: list = field(default_factory=list)  # pre-created, never-used users
    lmtp_port: int | None = None  # set when dovecot-lmtpd is installed

    def deliver(self, message: bytes, rcpt: str, mail_from: str = "sender@example.com") -> None:
        """Deliver like an MTA would (LMTP -> Maildir), instead of IMAP APPEND.
        Needs dovecot-lmtpd; rcpt may be "alice" or "alice@any.domain"."""
        import smtplib

        if self.lmtp_port is None:
            pytest.skip("LMTP delivery needs `apt-get install -y dovecot-lmtpd`")
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=10) as lmtp:
            lmtp.sendmail(mail_from, [rcpt], message)

    @property
    def log_path(self) -> Path:
        return self.base_dir / "dovecot.log"

    @property
    def cert_path(self) -> Path:
        return self.base_dir / "tls" / "cert.pem"

    def ssl_context(self) -> ssl.SSLContext:
        """Client context that trusts exactly the test server's self-signed cert."""
        return ssl.create_default_context(cafile=str(self.cert_path))

    def fresh_user(self) -> tuple[str, str]:
        """A user nobody has logged in as yet, so an empty mailbox (Maildir is
        created on first login). Taken from the pool written at startup."""
        if self.pool:
            name = self.pool.pop(0)
            return name, self.users[name]
        return self.add_user(f"extra{len(self.users)}")

    def add_user(self, name: str, password: str = "secret") -> tuple[str, str]:
        """Append a user to the passwd-file. Dovecot notices the change, but it
        stat()s the file at most once a second, so wait 1.1 s before returning."""
        with open(self.base_dir / "users.passwd", "a") as f:
            f.write(f"{name}:{{PLAIN}}{password}\n")
        self.users[name] = password
        time.sleep(1.1)
        return name, password

    def mailbox(self, user: str = "alice", initial_folder: str = "INBOX"):
        """Logged-in imap_tools mailbox over plain IMAP; use as a context manager."""
        from imap_tools import MailBoxUnencrypted

        return MailBoxUnencrypted(self.host, self.port, timeout=10).login(
            user, self.users[user], initial_folder=initial_folder
        )


# --------------------------------------------------------------------------- dovecot
@pytest.fixture(scope="session")
def dovecot():
    binary = _find_dovecot()
    if binary is None:
        pytest.skip(
            "dovecot binary not found (looked at $DOVECOT_BIN, PATH, /usr/sbin): "
            "install it with `apt-get install -y dovecot-imapd`"
        )
    if not TEMPLATE.is_file():
        pytest.skip(f"Dovecot config template missing: {TEMPLATE}")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl binary not found (it comes with dovecot-core)")

    # Own temp dir, not tmp_path_factory: as root, Dovecot's processes run as
    # `nobody` and cannot enter /tmp/pytest-of-root (mode 0700).
    base = Path(tempfile.mkdtemp(prefix="dovecot-test-"))
    base.chmod(0o755)
    for sub in ("tls", "mail", "state"):
        (base / sub).mkdir()

    if os.geteuid() == 0:
        # imap-login refuses to run as root ("This process must not be run as
        # root") and a uid-0 mail user fails after login ("userdb returned 0 as
        # uid"), so Dovecot drops its children to nobody, which owns the Maildirs.
        run_user = "nobody"
        pw = pwd.getpwnam(run_user)
        os.chown(base / "mail", pw.pw_uid, pw.pw_gid)
    else:
        pw = pwd.getpwuid(os.geteuid())
        run_user = pw.pw_name
    run_group = grp.getgrgid(pw.pw_gid).gr_name

    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(base / "tls" / "key.pem"),
            "-out",
            str(base / "tls" / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    (base / "tls" / "key.pem").chmod(0o600)

    users = dict(DEFAULT_USERS)
    pool = [f"test{i:04d}" for i in range(1, POOL_SIZE + 1)]
    users.update({name: f"pw-{name}" for name in pool})
    (base / "users.passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
    (base / "users.passwd").chmod(0o644)

    port, imaps_port, lmtp_port = _free_port(), _free_port(), _free_port()
    # LMTP only if Debian's dovecot-lmtpd is installed (binary next to imap).
    has_lmtp = (Path(binary).resolve().parent.parent / "lib" / "dovecot" / "lmtp").exists()
    conf = TEMPLATE.read_text()
    for key, value in {
        "@BASE@": str(base),
        "@IMAP_PORT@": str(port),
        "@IMAPS_PORT@": str(imaps_port),
        "@LMTP_PORT@": str(lmtp_port),
        "@PROTOCOLS@": "imap lmtp" if has_lmtp else "imap",
        "@RUN_USER@": run_user,
        "@RUN_GROUP@": run_group,
        "@MAIL_UID@": str(pw.pw_uid),
        "@MAIL_GID@": str(pw.pw_gid),
    }.items():
        conf = conf.replace(key, value)
    (base / "dovecot.conf").write_text(conf)

    # -F: stay in the foreground, so proc.pid IS the master and we can wait() on it.
    console = open(base / "console.log", "wb")
    proc = subprocess.Popen(
        [binary, "-F", "-c", str(base / "dovecot.conf")],
        stdout=console,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in pytest does not hit Dovecot directly
    )

    def _logs() -> str:
        out = []
        for name in ("console.log", "dovecot.log"):
            p = base / name
            if p.exists():
                out.append(f"--- {name}\n{p.read_text(errors='replace')}")
        return "\n".join(out)

    def _stop():
        if proc.poll() is None:
            proc.terminate()  # SIGTERM to the master only; it stops its children
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        console.close()

    # Wait for the "* OK" greeting: the TCP port accepts connections even when
    # imap-login cannot start, so a bare connect() is not proof of readiness.
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            _stop()
            pytest.fail(f"dovecot exited with {proc.returncode} during startup (files kept in {base})\n{_logs()}")
        try:
            if _read_greeting(port).startswith(b"* OK"):
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            _stop()
            pytest.fail(
                f"dovecot gave no IMAP greeting on port {port} in {START_TIMEOUT}s (files kept in {base})\n{_logs()}"
            )
        time.sleep(0.05)

    server = DovecotServer("127.0.0.1", port, imaps_port, base, users, proc.pid, pool, lmtp_port if has_lmtp else None)
    try:
        yield server
    finally:
        _stop()
        if os.environ.get("KEEP_DOVECOT_DIR"):
            print(f"\nDovecot dir kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def imap_user(dovecot) -> tuple[str, str]:
    """A fresh user (so a fresh, empty mailbox) for each test."""
    return dovecot.fresh_user()


# --------------------------------------------------------------------------- smtp sink
@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list = field(default_factory=list)  # email.message.EmailMessage
    envelopes: list = field(default_factory=list)  # (mail_from, rcpt_tos)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(msg)
        return "250 OK"

    def clear(self):
        self.messages.clear()
        self.envelopes.clear()


@pytest.fixture(scope="session")
def smtp_server():
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        pytest.skip("aiosmtpd not installed: pip install aiosmtpd")
    sink = SmtpSink("127.0.0.1", _free_port())
    # port=0 does not work: Controller connects to .port to check readiness.
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink(smtp_server) -> SmtpSink:
    smtp_server.clear()
    return smtp_server


# --------------------------------------------------------------------------- opdesk config
FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"


@pytest.fixture
def mail_config(config, dovecot, imap_user, smtp_sink):
    """The shared test config plus one shared mailbox (operator ``mailbox``), reply-only
    entries for two profile operators, and ``[smtp]`` pointing at the sink."""
    user, password = imap_user
    config.data["hotel"] = {"name": "Sunbeach Resort Side", "currency": "EUR", "timezone": "Europe/Istanbul"}
    config.data["operators"] = [
        {
            "name": "mailbox",
            "kind": "mail",
            "title": "Reservations mailbox",
            "host": dovecot.host,
            "port": dovecot.port,
            "security": "none",
            "user": user,
            "password": password,
            "folder": "INBOX",
            "processed_folder": "Processed",
            "failed_folder": "Failed",
            "timeout": 5,
        },
        {"name": "jet2", "kind": "mail", "title": "Jet2holidays"},
        {"name": "hotelbeds", "kind": "mail", "title": "Hotelbeds"},
    ]
    config.data["smtp"] = {
        "host": smtp_sink.host,
        "port": smtp_sink.port,
        "security": "none",
        "from_address": "Sunbeach Reservations <reservations@sunbeach.example>",
        "timeout": 5,
    }
    return config


@pytest.fixture
def eml():
    """Read a sample mail from tests/fixtures/mail by name: ``eml("jet2_new")``."""
    return lambda name: (FIXTURES / f"{name}.eml").read_bytes()


@pytest.fixture
def mail_arriving(dovecot, imap_user, eml):
    """``with mail_arriving("jolly_new"):`` — that sample mail is appended to the test user's INBOX
    0.4 s after the block starts, from another thread (for IDLE tests)."""
    import contextlib
    import threading
    import time

    from imap_tools import MailBoxUnencrypted

    @contextlib.contextmanager
    def arriving(name: str, delay: float = 0.4):
        user, password = imap_user

        def deliver() -> None:
            time.sleep(delay)
            with MailBoxUnencrypted(dovecot.host, dovecot.port).login(user, password) as mb:
                mb.append(eml(name))

        thread = threading.Thread(target=deliver)
        thread.start()
        try:
            yield
        finally:
            thread.join()

    return arriving
