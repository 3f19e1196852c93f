"""Approval requests by e-mail: the booking, its price check and forecast effect, and the one-time code.

The approver answers by replying: APPROVE or REJECT as the first word, the
subject left as it is (it carries the code). The reply comes back through the
hotel's reservations mailbox and ``connectors.mail.approval_reply`` reads it.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone

from connectors.mail.reply import send_mail
from core.approval import ApprovalRequest, register_notifier
from core.clock import hotel_time, zone_label
from core.config import Config
from core.errors import NotFound
from core.forecast import forecast
from core.inbox import reservation_json
from core.store import Store


def request_subject(request: ApprovalRequest, booking: dict) -> str:
    return f"Approval needed: #{request.reservation_id} {booking['operator']} {booking['voucher']} [{request.code}]"


def request_body(store: Store, config: Config, request: ApprovalRequest, reasons: list[str] | None = None) -> str:
    booking = reservation_json(store, request.reservation_id)
    lines = [
        f"{config.hotel_name}: a booking waits for your approval.",
        "",
        "Reply to this mail with APPROVE or REJECT as the first word (a comment may follow).",
        "Keep the subject as it is: it carries your one-time code.",
        f"Code: {request.code} (valid once, until {hotel_time(request.expires_at, config.timezone)}"
        f"{'' if zone_label(config.timezone) == 'UTC' else ', ' + hotel_time(request.expires_at, timezone.utc)})",
        f"Or on the desk: opdesk approval decide {request.code} approve|reject",
        "",
        *_booking_lines(booking),
    ]
    if request.note:
        lines += ["", f"Note from the desk: {request.note}"]
    if reasons:
        lines += ["", "Approval is needed because:", *[f"  - {r}" for r in reasons]]
    lines += ["", *_price_lines(booking), "", *_forecast_lines(store, booking)]
    return "\n".join(lines) + "\n"


def _booking_lines(b: dict) -> list[str]:
    guests = ", ".join(" ".join(p for p in (g["first_name"], g["last_name"]) if p) for g in b["guests"]) or "-"
    room = b["hotel_room"] or f"{b['room']} (not mapped)"
    board = b["hotel_board"] or f"{b['board']} (not mapped)"
    return [
        f"Booking #{b['id']} ({b['content']}, version {b['version']})",
        f"  Operator:  {b['operator']}  voucher {b['voucher']}  agency {b['agency'] or '-'}",
        f"  Stay:      {b['check_in']} to {b['check_out']} ({b['nights']} nights)",
        f"  Room:      {b['rooms']} x {room}, board {board}, rate {b['hotel_rate'] or b['rate'] or '-'}",
        f"  Pax:       {b['pax']}  guests: {guests}",
        f"  Total:     {b['total'] or '-'} {b['currency']}",
    ]


def _price_lines(b: dict) -> list[str]:
    price = b["checks"].get("price")
    if not price:
        return ["Price check: not run"]
    lines = [f"Price check: {price['state']}" + (f" - {price['message']}" if price.get("message") else "")]
    for name, check in b["checks"].items():
        if name != "price" and check["state"] not in ("ok", "skipped"):
            lines.append(f"{name.replace('_', '-').capitalize()} check: {check['state']} - {check.get('message', '')}")
    return lines


def _forecast_lines(store: Store, b: dict) -> list[str]:
    """Rooms left per night of the stay, now and once this booking is in the book."""
    if not (b["hotel_room"] and b["check_in"] and b["check_out"]) or b["content"] == "cancel":
        return ["Forecast effect: not known (no room type or stay dates)"]
    start = date.fromisoformat(b["check_in"])
    last = date.fromisoformat(b["check_out"]) - timedelta(days=1)
    try:
        nights = forecast(store, b["hotel_room"], start, max(start, last))
    except NotFound:
        return [f"Forecast effect: room type {b['hotel_room']} has no capacity set"]
    lines = [f"Forecast effect on {b['hotel_room']} (capacity, sold, left now, left after this booking):"]
    for night in nights:
        after = night.available - b["rooms"]
        warn = "  OVERBOOKED" if after < 0 else ""
        lines.append(
            f"  {night.date.isoformat()}  {night.capacity:4d} {night.confirmed:4d} {night.available:4d} "
            f"{after:4d}{warn}"
        )
    return lines


def send_requests(
    store: Store, config: Config, requests: list[ApprovalRequest], reasons: list[str] | None = None
) -> list[str]:
    """Mail every request; returns the Message-IDs. Raises on the first one SMTP refuses."""
    sent = []
    for request in requests:
        booking = reservation_json(store, request.reservation_id)
        sent.append(
            send_mail(
                config,
                request.approver,
                request_subject(request, booking),
                request_body(store, config, request, reasons),
            )
        )
    return sent


def _notify(store: Store, config: Config, requests: list[ApprovalRequest]) -> None:
    send_requests(store, config, requests)


# Decisions that ask the next approver (in-order approval) reach them by mail.
register_notifier(_notify)
