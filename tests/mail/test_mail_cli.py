"""`opdesk mail test|profiles|scan` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tui.cli import app

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"


@pytest.fixture
def run(tmp_path):
    config = tmp_path / "opdesk.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "opdesk.db"}"\n[mail]\nprofiles_dir = "profiles"\n')
    (tmp_path / "profiles").mkdir()
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["--config", str(config), *args])

    invoke.dir = tmp_path
    invoke.config = config
    return invoke


def test_mail_test_prints_what_the_profile_extracts(run):
    result = run("mail", "test", "otsglobe", str(FIXTURES / "otsglobe_new.eml"), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["matches"] is True and out["operator"] == "otsglobe"
    [booking] = out["bookings"]
    assert booking["voucher"] == "2026-OTS-118822" and booking["check_in"] == "2026-06-20"
    assert [g["last_name"] for g in booking["guests"]] == ["ПЕТРОВ", "ПЕТРОВА", "ПЕТРОВ"]


def test_mail_test_names_the_missing_field(run):
    result = run("mail", "test", "jet2", str(FIXTURES / "jet2_missing_arrival.eml"), "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["field"] == "check_in"


def test_mail_test_with_a_draft_profile_file_that_does_not_match(run):
    draft = run.dir / "draft.toml"
    draft.write_text(
        'operator = "nordic"\nrequired = ["voucher"]\n[match]\nfrom = ["@nordicsun\\\\.example$"]\n'
        '[fields]\nvoucher = { pattern = "(JLY-\\\\d+)" }\n'
    )
    result = run("mail", "test", str(draft), str(FIXTURES / "jolly_new.eml"))
    assert result.exit_code == 0, result.output
    assert "do not match this mail" in result.output and "JLY-441902 (new)" in result.output


def test_mail_test_refuses_unknown_profile_and_file(run):
    result = run("mail", "test", "nosuch", str(FIXTURES / "jolly_new.eml"))
    assert result.exit_code == 2 and "no mail profile 'nosuch'" in result.output
    result = run("mail", "test", "jolly", str(run.dir / "missing.eml"))
    assert result.exit_code == 2 and "cannot read" in result.output


def test_mail_profiles_lists_builtin_and_user_profiles(run):
    (run.dir / "profiles" / "nordic.toml").write_text('operator = "nordic"\n[match]\nfrom = ["@nordicsun"]\n')
    result = run("mail", "profiles", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["jet2"]["builtin"] and rows["jet2"]["operator"] == "jet2"
    assert not rows["nordic"]["builtin"] and rows["nordic"]["path"].endswith("nordic.toml")


def test_mail_scan_reads_the_mailbox(run, dovecot, imap_user):
    user, password = imap_user
    with dovecot.mailbox(user) as mb:
        mb.append((FIXTURES / "webbeds_new.eml").read_bytes())
    with run.config.open("a") as fh:
        fh.write(
            f'[[operators]]\nname = "mailbox"\nkind = "mail"\nhost = "{dovecot.host}"\nport = {dovecot.port}\n'
            f'security = "none"\nuser = "{user}"\npassword_env = "OPDESK_TEST_IMAP_PW"\n'
        )
    import os

    os.environ["OPDESK_TEST_IMAP_PW"] = password
    try:
        result = run("mail", "scan", "--json")
    finally:
        del os.environ["OPDESK_TEST_IMAP_PW"]
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {
            "operator": "mailbox",
            "total": 1,
            "new": 1,
            "changed": 0,
            "cancelled": 0,
            "errors": 0,
            "error": "",
            "quarantined": 0,
            "again": 0,
        }
    ]
