"""[app] auto_scan_seconds: the app fetches from the operators by itself, in a worker."""

from __future__ import annotations

import asyncio

from support.desk import booking, desk, drop  # noqa: F401  (desk is a fixture)

from core.store import Store
from tui.app import OpdeskApp


def test_the_app_scans_on_its_own_when_configured(desk):  # noqa: F811
    desk.data["app"] = {"auto_scan_seconds": 0.2}
    drop(desk, "a.json", booking("AUTO1"))

    async def drive() -> None:
        app = OpdeskApp(desk)
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(400):  # bounded wait (20 s: a loaded machine) for the timer's scan to finish
                await pilot.pause(0.05)
                with Store(desk.store_path) as store:
                    if store.scalar("SELECT COUNT(*) FROM scan_runs WHERE state = 'ok'"):
                        break
            await app.workers.wait_for_complete()

    asyncio.run(drive())
    with Store(desk.store_path) as store:
        assert store.scalar("SELECT voucher FROM operator_reservations") == "AUTO1"
        assert store.scalar("SELECT state FROM scan_runs WHERE operator = 'tui'") == "ok"


def test_without_the_setting_nothing_is_scanned(desk):  # noqa: F811
    drop(desk, "a.json", booking("MANUAL"))

    async def drive() -> None:
        app = OpdeskApp(desk)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.5)

    asyncio.run(drive())
    with Store(desk.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM operator_reservations") == 0
