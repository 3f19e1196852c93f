"""The PMS outlet against the simulated PMS over real HTTP on 127.0.0.1: once each, in order, nothing lost."""

from __future__ import annotations

from collections import Counter

import pytest
from pms.helpers import run, run_json, with_pms
from support.desk import booking, drop, scan

from connectors.simulate.pms import PmsServer, SimPms
from core.models import Content
from core.store import Store


@pytest.fixture
def pms():
    server = PmsServer(SimPms()).start()
    yield server
    server.stop()


def _ids(cfg) -> dict[str, int]:
    with Store(cfg.store_path) as store:
        return {
            r["voucher"] + f"/v{r['version']}": r["id"]
            for r in store.all("SELECT id, voucher, version FROM operator_reservations ORDER BY id")
        }


def test_new_change_cancel_each_reach_the_pms_once_with_its_number_linked(desk, pms):
    cfg = with_pms(desk, **pms.entry())
    drop(cfg, "a.json", booking("V1"), booking("V2"))
    scan(cfg)
    ids = _ids(cfg)
    assert run(cfg, "save", str(ids["V1/v1"]), str(ids["V2/v1"])).exit_code == 0

    code, sent = run_json(cfg, "pms", "send")
    assert code == 0, sent
    assert (sent["sent"], sent["failed"], sent["waiting"]) == (2, 0, 0)
    first = {i["voucher"]: i for i in sent["items"]}
    assert set(first["V1"]) == {"id", "voucher", "version", "content", "state", "pms_number", "error"}
    assert first["V1"]["state"] == "sent" and first["V1"]["pms_number"].startswith("SIMPMS-")
    assert first["V1"]["id"] == ids["V1/v1"] and first["V1"]["error"] is None

    shown = run_json(cfg, "show", str(ids["V1/v1"]))[1]
    assert shown["pms_number"] == first["V1"]["pms_number"]

    # A second send delivers nothing already delivered.
    code, again = run_json(cfg, "pms", "send")
    assert code == 0 and again == {"sent": 0, "failed": 0, "waiting": 0, "items": []}

    drop(cfg, "b.json", booking("V1", Content.CHANGE, nights=8), booking("V2", Content.CANCEL))
    scan(cfg)
    ids = _ids(cfg)
    assert run(cfg, "save", str(ids["V1/v2"]), str(ids["V2/v2"])).exit_code == 0
    code, later = run_json(cfg, "pms", "send")
    assert code == 0 and later["sent"] == 2
    assert {(i["voucher"], i["content"], i["version"]) for i in later["items"]} == {
        ("V1", "change", 2),
        ("V2", "cancel", 2),
    }
    received = pms.pms.received
    assert [r["status"] for r in received] == ["Reserved", "Reserved", "Modify", "Cancelled"]
    # The change and the cancellation carry the PMS's own number back, and the operator's voucher.
    assert received[2]["pms_number_sent"] == first["V1"]["pms_number"]
    assert received[3]["pms_number_sent"] == first["V2"]["pms_number"]
    assert {r["voucher"] for r in received} == {"V1", "V2"}

    status = run_json(cfg, "pms", "status")[1]
    assert Counter(i["state"] for i in status["items"]) == {"sent": 4}
    assert (status["sent"], status["failed"], status["waiting"]) == (4, 0, 0)


def test_a_pms_that_fails_then_recovers_gets_everything_once(desk, pms):
    cfg = with_pms(desk, **pms.entry(), max_attempts=5, retry_seconds=0.01)
    drop(cfg, "a.json", *(booking(f"V{i}") for i in range(4)))
    scan(cfg)
    assert run(cfg, "save", *map(str, _ids(cfg).values())).exit_code == 0

    pms.pms.faults.status = 503
    code, down = run_json(cfg, "pms", "send")
    assert code == 1
    assert (down["sent"], down["failed"], down["waiting"]) == (0, 4, 4)
    assert all(i["state"] == "waiting" and "HTTP 503" in i["error"] for i in down["items"])
    assert pms.pms.received == []

    pms.pms.faults.status = None
    code, up = run_json(cfg, "pms", "send")
    assert code == 0 and (up["sent"], up["failed"], up["waiting"]) == (4, 0, 0)
    assert run_json(cfg, "pms", "send")[1]["sent"] == 0
    assert sorted(r["voucher"] for r in pms.pms.received) == ["V0", "V1", "V2", "V3"]  # once each


def test_wrong_password_fails_and_gives_up_after_max_attempts(desk, pms):
    cfg = with_pms(desk, **{**pms.entry(), "password": "wrong"}, max_attempts=2, retry_seconds=0.01)
    drop(cfg, "a.json", booking("V1"))
    scan(cfg)
    run(cfg, "save", str(_ids(cfg)["V1/v1"]))
    assert run_json(cfg, "pms", "send")[1]["items"][0]["state"] == "waiting"
    code, second = run_json(cfg, "pms", "send")
    assert code == 1
    [item] = second["items"]
    assert item["state"] == "failed" and "HTTP 401" in item["error"]
    # Given up: a plain send leaves it; --failed tries again.
    assert run_json(cfg, "pms", "send")[1]["items"] == []
    assert run_json(cfg, "pms", "status", "--state", "failed")[1]["items"][0]["voucher"] == "V1"


def test_auto_sends_right_after_each_save(desk, pms):
    cfg = with_pms(desk, **pms.entry(), auto=True)
    drop(cfg, "a.json", booking("V1"))
    scan(cfg)
    result = run(cfg, "save", str(_ids(cfg)["V1/v1"]), "--json")
    assert result.exit_code == 0
    assert [r["voucher"] for r in pms.pms.received] == ["V1"]
    assert "PMS: sent 1, failed 0, waiting 0" in result.stderr


def test_without_pms_section_nothing_is_queued_and_send_says_what_to_add(desk):
    drop(desk, "a.json", booking("V1"))
    scan(desk)
    run(desk, "save", str(_ids(desk)["V1/v1"]))
    result = run(desk, "pms", "send")
    assert result.exit_code == 2 and "[pms] is missing" in result.output and "Traceback" not in result.output
    with Store(desk.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM pms_deliveries") == 0


def test_bad_pms_settings_name_the_key(desk):
    cfg = with_pms(desk, kind="ota", dialect="soap", url="http://127.0.0.1:9/x")
    result = run(cfg, "pms", "send")
    assert result.exit_code == 2 and "[pms] dialect" in result.output


def test_the_example_config_describes_a_usable_pms_section(monkeypatch):
    from pathlib import Path

    from core.config import load_config
    from core.pms import pms_settings

    monkeypatch.setenv("OPDESK_PMS_PASSWORD", "s3cret")
    example = load_config(Path(__file__).resolve().parents[2] / "config.example.toml")
    settings = pms_settings(example)
    assert (settings.kind, settings.dialect, settings.password, settings.max_attempts, settings.retry_seconds) == (
        "ota",
        "htng",
        "s3cret",
        5,
        60.0,
    )


def test_an_answer_lost_on_the_way_back_is_sent_again_and_the_pms_knows_the_version(desk, pms):
    import time

    cfg = with_pms(desk, **pms.entry(), timeout=0.3)
    drop(cfg, "a.json", booking("V1"))
    scan(cfg)
    run(cfg, "save", "1")
    pms.pms.faults.hang = 1.0  # it books, but answers after we stopped waiting
    code, lost = run_json(cfg, "pms", "send")
    assert code == 1 and "no answer within 0.3s" in lost["items"][0]["error"]
    for _ in range(100):
        if pms.pms.received:
            break
        time.sleep(0.05)
    pms.pms.faults.hang = 0.0
    code, again = run_json(cfg, "pms", "send")
    assert code == 0 and again["items"][0]["pms_number"] == "SIMPMS-00001"
    assert len(pms.pms.received) == 1 and len(pms.pms.duplicates) == 1
