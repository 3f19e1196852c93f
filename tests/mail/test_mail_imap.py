"""The mail connector against a real Dovecot: read once, file away, survive restarts and outages."""

from __future__ import annotations

import asyncio

import pytest

from connectors.base import FetchContext
from connectors.mail.connector import MailConnector, scan_mailbox
from connectors.mail.imap import Mailbox, MailboxSettings
from core.models import OperatorError
from core.store import Store


def append(dovecot, user, *bodies: bytes, folder: str = "INBOX") -> None:
    with dovecot.mailbox(user, initial_folder=folder) as mb:
        for body in bodies:
            mb.append(body, folder)


def folder_count(dovecot, user, folder: str) -> int:
    with dovecot.mailbox(user) as mb:
        if not mb.folder.exists(folder):
            return 0
        return mb.folder.status(folder)["MESSAGES"]


def reservations(store: Store) -> list[tuple[str, str, str]]:
    return [
        (r["operator"], r["voucher"], r["content"])
        for r in store.all("SELECT operator, voucher, content FROM operator_reservations ORDER BY id")
    ]


def test_scan_reads_files_away_and_never_twice(mail_config, store, dovecot, imap_user, eml):
    user, _ = imap_user
    append(dovecot, user, eml("jet2_new"), eml("hotelbeds_new"), eml("unknown_sender"))

    scan = scan_mailbox(store, mail_config, "mailbox")

    assert scan.ok and scan.total == 3 and scan.new == 4 and scan.errors == 1
    assert sorted(reservations(store)) == [
        ("hotelbeds", "1-9938271-1", "new"),
        ("hotelbeds", "1-9938271-2", "new"),
        ("jet2", "J2H7731952-1", "new"),
        ("jet2", "J2H7731952-2", "new"),
    ]
    raw = {r["filename"]: r for r in store.all("SELECT * FROM raw_messages")}
    unknown = raw["Group request October 2026"]
    assert unknown["parse_state"] == "unparsed" and unknown["operator"] == "mailbox"
    assert "group rates for 20 rooms" in unknown["text_preview"]
    assert folder_count(dovecot, user, "INBOX") == 0
    assert folder_count(dovecot, user, "Processed") == 2
    assert folder_count(dovecot, user, "Failed") == 1
    run = store.one("SELECT * FROM scan_runs ORDER BY id DESC")
    assert run["state"] == "ok" and run["total"] == 3 and run["new"] == 4

    # A restart: a new store connection, a new connector, the same mailbox.
    append(dovecot, user, eml("jet2_amend"))
    store.close()
    again = Store(mail_config.store_path, mail_config.documents_dir)
    try:
        second = scan_mailbox(again, mail_config, "mailbox")
        assert second.ok and second.total == 1 and second.changed == 2 and second.new == 0
        third = scan_mailbox(again, mail_config, "mailbox")
        assert third.ok and third.total == 0
        assert again.scalar("SELECT COUNT(*) FROM raw_messages") == 4
        assert again.scalar("SELECT COUNT(*) FROM operator_reservations") == 6
    finally:
        again.close()


def test_mail_left_in_place_is_read_once(mail_config, store, dovecot, imap_user, eml):
    """With no processed folder the mail stays in INBOX (marked seen); the saved UID keeps it from coming back."""
    user, _ = imap_user
    mail_config.data["operators"][0]["processed_folder"] = ""
    append(dovecot, user, eml("jolly_new"), eml("otsglobe_new"))

    first = scan_mailbox(store, mail_config, "mailbox")
    second = scan_mailbox(store, mail_config, "mailbox")

    assert first.total == 2 and first.new == 2
    assert second.total == 0
    with dovecot.mailbox(user) as mb:
        flags = [m.flags for m in mb.fetch(mark_seen=False)]
    assert len(flags) == 2 and all("\\Seen" in f for f in flags)
    state = store.connector_state("mailbox")
    assert int(state["INBOX.last_uid"]) == 2 and state["INBOX.uidvalidity"]


def test_uidvalidity_change_rereads_without_duplicates(mail_config, store, dovecot, imap_user, eml):
    user, _ = imap_user
    mail_config.data["operators"][0].update(folder="Bookings", processed_folder="")
    with dovecot.mailbox(user) as mb:
        mb.folder.create("Bookings")
    append(dovecot, user, eml("jet2_new"), eml("webbeds_new"), folder="Bookings")
    first = scan_mailbox(store, mail_config, "mailbox")
    old_validity = store.connector_state("mailbox")["Bookings.uidvalidity"]

    # The folder is rebuilt (a server migration): UIDs start again at 1 under a new UIDVALIDITY.
    with dovecot.mailbox(user) as mb:
        mb.folder.delete("Bookings")
        mb.folder.create("Bookings")
    append(dovecot, user, eml("jet2_new"), eml("webbeds_new"), eml("w2m_new"), folder="Bookings")
    second = scan_mailbox(store, mail_config, "mailbox")

    assert first.total == 2 and first.new == 3
    assert store.connector_state("mailbox")["Bookings.uidvalidity"] != old_validity
    assert second.total == 3 and second.duplicates == 2 and second.new == 1
    assert store.scalar("SELECT COUNT(*) FROM raw_messages") == 3
    assert ("w2m", "7781234", "new") in reservations(store)


def test_server_down_is_recorded_and_the_next_scan_recovers(mail_config, store, dovecot, imap_user, eml):
    user, _ = imap_user
    append(dovecot, user, eml("keyftravel_new"))
    mailbox = mail_config.data["operators"][0]
    mailbox["port"] = _closed_port()

    down = scan_mailbox(store, mail_config, "mailbox")

    assert not down.ok and "cannot log in" in down.error and "Connection refused" in down.error
    run = store.one("SELECT * FROM scan_runs ORDER BY id DESC")
    assert run["state"] == "error" and "Connection refused" in run["last_error"] and run["errors"] == 1

    mailbox["port"] = dovecot.port
    up = scan_mailbox(store, mail_config, "mailbox")
    assert up.ok and up.total == 1 and up.new == 1
    assert store.one("SELECT * FROM scan_runs ORDER BY id DESC")["state"] == "ok"


def test_wrong_password_says_what_to_check(mail_config, store, imap_user):
    mail_config.data["operators"][0]["password"] = "not-the-password"
    scan = scan_mailbox(store, mail_config, "mailbox")
    assert "login refused: check user and password" in scan.error
    assert "not-the-password" not in scan.error
    settings = MailboxSettings.from_operator(mail_config.operator("mailbox"), mail_config)
    assert settings.password == "not-the-password" and "not-the-password" not in repr(settings)


def test_pdf_attachment_becomes_a_document_of_the_reservation(mail_config, store, dovecot, imap_user, eml):
    user, _ = imap_user
    append(dovecot, user, eml("w2m_new"))
    scan_mailbox(store, mail_config, "mailbox")
    rid = store.scalar("SELECT id FROM operator_reservations WHERE voucher = '7781234'")
    docs = store.all("SELECT * FROM documents WHERE reservation_id = ?", (rid,))
    assert [(d["name"], d["content_type"]) for d in docs] == [("voucher_7781234.pdf", "application/pdf")]
    assert (store.documents_dir / docs[0]["path"]).read_bytes().startswith(b"%PDF-")


def test_fetch_and_acknowledge_with_the_scanner_state(mail_config, dovecot, imap_user, eml):
    """The connector alone, as a scanner drives it: ctx.state carries the UIDs between scans."""
    user, _ = imap_user
    append(dovecot, user, eml("bahols_new"))
    connector = MailConnector(mail_config.operator("mailbox"), mail_config)
    ctx = FetchContext(http=None, config=mail_config, state={})

    async def fetch_all():
        return [raw async for raw in connector.fetch(ctx)]

    [raw] = asyncio.run(fetch_all())
    assert raw.operator == "bahols" and raw.channel == "mail" and raw.filename == "Hotel Booking Request - BAH/KX9312"
    assert raw.source_ref.startswith("INBOX/") and raw.source_ref.endswith("/1")
    assert raw.body == eml("bahols_new")  # the bytes exactly as the server holds them
    assert asyncio.run(fetch_all())[0].sha256 == raw.sha256  # not acknowledged: offered again

    from core.ingest import IngestResult
    from core.models import ParseState

    asyncio.run(connector.acknowledge(raw, IngestResult(1, raw.sha256, state=ParseState.PARSED), ctx))
    assert ctx.state["INBOX.last_uid"] == "1"
    assert asyncio.run(fetch_all()) == []
    assert folder_count(dovecot, user, "Processed") == 1


def test_tls_and_starttls_logins(dovecot, imap_user, tmp_path):
    user, password = imap_user
    for security, port in (("tls", dovecot.imaps_port), ("starttls", dovecot.port)):
        settings = MailboxSettings(
            host="127.0.0.1",
            user=user,
            password=password,
            port=port,
            security=security,
            ca_file=str(dovecot.cert_path),
            timeout=5,
        )
        with Mailbox(settings) as mailbox:
            assert mailbox.status()[0] > 0
    untrusted = MailboxSettings(
        host="127.0.0.1", user=user, password=password, port=dovecot.imaps_port, security="tls", timeout=5
    )
    with pytest.raises(OperatorError, match="TLS failed"):
        Mailbox(untrusted)


def test_watch_wakes_on_new_mail(mail_config, mail_arriving):
    connector = MailConnector(mail_config.operator("mailbox"), mail_config)
    with mail_arriving("jolly_new"):
        assert asyncio.run(connector.wait_for_mail(10)) is True
    assert asyncio.run(connector.wait_for_mail(0.3)) is False


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_scanner_reads_the_mailbox_and_keeps_its_state(mail_config, store, dovecot, imap_user, eml):
    """connectors.scan drives the connector: the last batch is acknowledged after fetch ends."""
    from connectors.scan import scan

    user, _ = imap_user
    mail_config.data["scan"] = {"batch": 2}
    append(dovecot, user, eml("jet2_new"), eml("webbeds_new"), eml("jolly_new"), eml("unknown_sender"))

    runs = {r.operator: r for r in asyncio.run(scan(mail_config, ["mailbox"]))}
    again = {r.operator: r for r in asyncio.run(scan(mail_config, ["mailbox"]))}

    assert (runs["mailbox"].state, runs["mailbox"].total, runs["mailbox"].new, runs["mailbox"].errors) == (
        "ok",
        4,
        4,
        1,
    )
    assert again["mailbox"].total == 0
    assert folder_count(dovecot, user, "Processed") == 3 and folder_count(dovecot, user, "Failed") == 1
    assert store.connector_state("mailbox")["INBOX.last_uid"] == "4"
