"""Approval times are shown in the hotel's time zone, named, the same way in the app, the CLI and the mail."""

from __future__ import annotations

from datetime import timezone
from zoneinfo import ZoneInfo

from approval.helpers import add_booking, cli, write_config
from rich.console import Console
from support.desk import booking

from connectors.mail.approval_mail import request_body
from core import approval as approvals
from core.audit import Actor
from core.clock import hotel_time
from core.store import Store
from tui.widgets.approvals import approvals_table

ISTANBUL = ZoneInfo("Europe/Istanbul")


def test_hotel_time_names_its_zone():
    assert hotel_time("2026-06-01T11:30:00+00:00", ISTANBUL) == "2026-06-01 14:30 Europe/Istanbul"
    assert hotel_time("2026-06-01T11:30:00+00:00", timezone.utc) == "2026-06-01 11:30 UTC"
    assert hotel_time(None, ISTANBUL) == ""


def _started(desk):
    desk.data.setdefault("hotel", {})["timezone"] = "Europe/Istanbul"
    write_config(desk)
    with Store(desk.store_path, desk.documents_dir) as store:
        rid = add_booking(store, desk, booking("T1"))
        [request] = approvals.start(store, desk, rid, ["boss@hotel.example"], Actor("desk", "cli"))
        shape = approvals.approvals_json(store, rid)
        body = request_body(store, desk, request)
    return rid, request, shape, body


def test_app_cli_and_mail_show_the_same_local_time_and_name_the_zone(desk):
    rid, request, shape, body = _started(desk)
    asked = hotel_time(shape["approvers"][0]["requested_at"], ISTANBUL)  # "YYYY-MM-DD HH:MM Europe/Istanbul"
    local = asked.rsplit(" ", 1)[0]
    console = Console(width=120, record=True, file=open("/dev/null", "w"), color_system=None)
    console.print(approvals_table(shape, ISTANBUL))
    app_text = console.export_text()
    assert local in app_text and "times in Europe/Istanbul" in app_text
    shown = cli(desk, "approval", "show", str(rid))
    assert shown.exit_code == 0 and local in shown.output and "times in Europe/Istanbul" in shown.output
    until = hotel_time(request.expires_at, ISTANBUL)
    assert f"until {until}" in body and hotel_time(request.expires_at, timezone.utc) in body
