"""Private files: store, config, documents and keys are 0600/0700 whatever the umask; doctor warns; keys move out."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from approval.helpers import add_booking
from support.desk import booking
from typer.testing import CliRunner

import core.approval as approval
from core.audit import Actor
from core.config import load_config
from core.documents import save_document
from core.keys import APPROVAL_STATE_KEY
from core.models import Document
from core.store import Store, open_store
from tui.cli import app

runner = CliRunner()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """The most careless umask: everything anyone may read and write."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_store_documents_and_keys_are_private_whatever_the_umask(tmp_path, open_umask):
    (tmp_path / "opdesk.toml").write_text('[store]\npath = "data/opdesk.db"\n')
    cfg = load_config(tmp_path / "opdesk.toml")
    with open_store(cfg) as store:
        with store.transaction():
            save_document(store, Document(name="voucher.pdf", content_type="application/pdf", body=b"%PDF-1.4 x"))
        approval.approval_secret(store, cfg)
        assert mode(cfg.store_path) == 0o600
        assert mode(cfg.store_path.with_name("opdesk.db-wal")) == 0o600
        assert mode(cfg.store_path.parent) == 0o700
        assert mode(cfg.documents_dir) == 0o700
        [doc] = [p for p in cfg.documents_dir.rglob("*") if p.is_file()]
        assert mode(doc) == 0o600 and mode(doc.parent) == 0o700
    for key in ("approval.key", "audit.key", "audit.head"):
        assert mode(tmp_path / key) == 0o600, key


def test_init_writes_the_config_0600(tmp_path, open_umask):
    path = tmp_path / "conf" / "opdesk.toml"
    result = runner.invoke(app, ["--config", str(path), "init"])
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_doctor_warns_about_files_others_can_read(desk):
    with open_store(desk):
        pass
    desk.path.chmod(0o600)  # the fixture wrote the config as any editor would: 0644
    ok = runner.invoke(app, ["--config", str(desk.path), "doctor", "--json"])
    assert ok.exit_code == 0, ok.output  # what opdesk made itself is private already
    (desk.base_dir / "tui.password").write_text("s3cret\n")  # 0644, as echo leaves it
    with_file = desk.path.read_text().replace('path = "drop"', 'path = "drop"\npassword_file = "tui.password"')
    desk.path.write_text(with_file)
    desk.path.chmod(0o644)
    desk.store_path.chmod(0o644)
    (desk.base_dir / "audit.key").chmod(0o640)
    result = runner.invoke(app, ["--config", str(desk.path), "doctor", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    warned = {(w["what"], Path(w["path"]).name) for w in report["warnings"]}
    assert {
        ("config", "opdesk.toml"),
        ("store", "opdesk.db"),
        ("key", "audit.key"),
        ("secret file", "tui.password"),
    } <= warned
    assert report["ok"] is False
    text = runner.invoke(app, ["--config", str(desk.path), "doctor"])
    assert text.exit_code == 1 and "chmod 600" in text.stderr


def test_a_key_found_in_the_store_is_moved_out_and_codes_already_sent_keep_working(desk):
    old_key = "a" * 64
    # A code mailed before the upgrade, made with the key an older opdesk kept in the store.
    desk.data["approval"] = {"secret": old_key}
    with Store(desk.store_path, desk.documents_dir) as store:
        rid = add_booking(store, desk, booking("V1"))
        [request] = approval.start(store, desk, rid, ["boss@hotel.example"], Actor("desk"))
        store.set_connector_state(APPROVAL_STATE_KEY, {"secret": old_key})
    del desk.data["approval"]
    with open_store(desk) as store:  # the first start of the new opdesk
        assert store.connector_state(APPROVAL_STATE_KEY) == {}
        assert (desk.base_dir / "approval.key").read_text().strip() == old_key
        decision = approval.decide(
            store, desk, request.code, "approve", Actor("boss@hotel.example", "email"), sender="boss@hotel.example"
        )
        assert decision.ok, decision.message


def test_a_new_approval_key_is_made_beside_the_config_not_in_the_store(desk):
    with open_store(desk) as store:
        made = approval.approval_secret(store, desk)
        assert store.connector_state(APPROVAL_STATE_KEY) == {}
    assert (desk.base_dir / "approval.key").read_text().strip().encode() == made
