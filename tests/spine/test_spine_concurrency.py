"""The app, a scanner and a cron job share one store: no lost rows, no "database is locked"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from core.store import Store

INGEST = textwrap.dedent("""
    import sys
    from support.desk import booking
    from core.config import load_config
    from core.ingest import Ingestor
    from core.models import RawMessage
    from core.store import Store

    cfg = load_config(sys.argv[1])
    prefix, count = sys.argv[2], int(sys.argv[3])
    with Store(cfg.store_path) as store:
        ingestor = Ingestor(store, cfg)
        for i in range(count):
            b = booking(f"{prefix}{i}")
            result = ingestor.ingest(RawMessage(f"{prefix}{i}".encode(), "tui", "test"), lambda raw, b=b: [b])
            assert result.new == 1, result
    print("done")
""")

CONFIRM = textwrap.dedent("""
    import json, sys, time
    from core.desk import confirm
    from core.audit import Actor
    from core.config import load_config
    from core.store import Store

    cfg = load_config(sys.argv[1])
    confirmed, deadline = 0, time.monotonic() + 60
    with Store(cfg.store_path) as store:
        while time.monotonic() < deadline:
            ids = [r[0] for r in store.conn.execute(
                "SELECT id FROM operator_reservations WHERE status = 'pending' LIMIT 20")]
            outcomes = confirm(store, cfg, ids, Actor("cron", "cli"), lambda *a, **k: "sent")
            assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok]
            confirmed += len(outcomes)
            if confirmed >= int(sys.argv[2]):
                break
    print(json.dumps({"confirmed": confirmed}))
""")


def test_two_ingesting_processes_and_a_confirming_one(desk, tmp_path):
    per_process = 150
    env = {**os.environ, "PYTHONPATH": "tests"}
    cfg = str(desk.path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", INGEST, cfg, p, str(per_process)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in ("A", "B")
    ]
    confirmer = subprocess.Popen(
        [sys.executable, "-c", CONFIRM, cfg, str(2 * per_process)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err
    out, err = confirmer.communicate(timeout=120)
    assert confirmer.returncode == 0, err
    confirmed = json.loads(out.strip().splitlines()[-1])["confirmed"]
    with Store(desk.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM operator_reservations") == 2 * per_process
        assert store.scalar("SELECT COUNT(*) FROM raw_messages") == 2 * per_process
        assert store.scalar("SELECT COUNT(*) FROM operator_reservations WHERE status = 'confirmed'") == confirmed
        assert store.scalar("SELECT COUNT(*) FROM hotel_reservations") == confirmed
        assert store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'confirm'") == confirmed
    assert confirmed == 2 * per_process
