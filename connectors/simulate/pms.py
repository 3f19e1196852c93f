"""A loopback PMS that takes opdesk's deliveries (``opdesk simulate --kind pms``).

``POST /pms/htng`` takes an ``OTA_HotelResNotifRQ`` as the body (HTNG style) and
answers ``OTA_HotelResNotifRS`` naming its own reservation number for each
booking (``HotelReservationID ResID_Type="14" ResID_Source="<name>"``);
``POST /pms/alpinebits`` takes the AlpineBits push form (``action``, ``request``)
and answers without numbers, as AlpineBits does. Basic auth. The operator
simulators' fault switches (``Faults``) apply to every request.

Every booking version received is kept in ``received``; one received again (the
same id, status and ``LastModifyDateTime``: opdesk tried again after an answer
was lost) goes to ``duplicates`` and is answered with the same number, as a PMS
that knows the version would. A test can say nothing came twice and nothing was
lost.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from connectors.httpserve import AnsweringHandler, Server
from connectors.ota import writer
from connectors.ota.form import read_form
from connectors.ota.parser import child, children, path, read_xml
from connectors.simulate.server import Faults, apply_faults
from core.models import ParseError

PMS_NAME = "SIMPMS"


@dataclass
class SimPms:
    name: str = PMS_NAME
    username: str = "opdesk"
    password: str = "pms-secret"
    faults: Faults = field(default_factory=Faults)
    requests: int = 0
    numbers: dict[str, str] = field(default_factory=dict)  # hotel number -> the PMS's number
    received: list[dict[str, Any]] = field(default_factory=list)  # every booking version taken, in order
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # the same version again (an answer was lost)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_request(self) -> int:
        with self.lock:
            self.requests += 1
            return self.requests

    def take(self, reservation: etree._Element) -> tuple[str, str]:
        """Book one HotelReservation; returns (hotel number, the PMS's number)."""
        uid = child(reservation, "UniqueID")
        ours = uid.get("ID", "") if uid is not None else ""
        ids = {
            r.get("ResID_Type"): r
            for r in children(path(reservation, "ResGlobalInfo", "HotelReservationIDs"), "HotelReservationID")
        }
        with self.lock:
            number = self.numbers.setdefault(ours, f"{self.name}-{len(self.numbers) + 1:05d}")
            sent_back = ids["14"].get("ResID_Value") if "14" in ids else None
            taken = {
                "id": ours,
                "status": reservation.get("ResStatus", ""),
                "modified": reservation.get("LastModifyDateTime", ""),
                "voucher": ids["13"].get("ResID_Value") if "13" in ids else None,
                "pms_number_sent": sent_back,
                "pms_number": number,
            }
            # A PMS knows a version by the booking's id, its status and when it was modified.
            seen = any(
                (r["id"], r["status"], r["modified"]) == (ours, taken["status"], taken["modified"])
                for r in self.received
            )
            (self.duplicates if seen else self.received).append(taken)
        return ours, number


class PmsServer:
    def __init__(self, pms: SimPms, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.pms = pms
        handler = type("Handler", (PmsHandler,), {"pms": pms})
        self.httpd = Server((host, port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="opdesk-pms-simulator", daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, dialect: str = "htng") -> str:
        return f"http://127.0.0.1:{self.port}/pms/{dialect}"

    def entry(self, dialect: str = "htng") -> dict[str, Any]:
        """The ``[pms]`` section that delivers to this simulator."""
        return {
            "kind": "ota",
            "dialect": dialect,
            "url": self.url(dialect),
            "name": self.pms.name,
            "username": self.pms.username,
            "password": self.pms.password,
        }

    def start(self) -> "PmsServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "PmsServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PmsHandler(AnsweringHandler):
    pms: SimPms
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: tests and demo
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if apply_faults(self, self.pms.faults, self.pms.count_request(), self.authorised):
            return
        route = urlsplit(self.path).path.rstrip("/")
        if route == "/pms/htng":
            return self.notif(body, numbers=True)
        if route == "/pms/alpinebits":
            form = read_form(self.headers.get("Content-Type", ""), body)
            if form.get("action", b"").decode() != "OTA_HotelResNotif:GuestRequests":
                return self.answer(400, b"ERROR:unknown action", "text/plain")
            return self.notif(form.get("request", b""), numbers=False)
        self.answer(404, b"unknown path", "text/plain")

    def authorised(self) -> bool:
        expected = base64.b64encode(f"{self.pms.username}:{self.pms.password}".encode()).decode()
        return self.headers.get("Authorization", "") == f"Basic {expected}"

    def notif(self, request: bytes, *, numbers: bool) -> None:
        try:
            root = read_xml(request, name="OTA_HotelResNotifRQ")
        except ParseError as exc:
            return self.xml(writer.error_response(str(exc), push=True))
        reservations = children(child(root, "HotelReservations"), "HotelReservation")
        if not reservations:
            return self.xml(writer.error_response("no HotelReservation in the request", push=True))
        answer = writer.element("OTA_HotelResNotifRS", Version="1.000")
        writer.sub(answer, "Success")
        holder = writer.sub(answer, "HotelReservations")
        for reservation in reservations:
            ours, number = self.pms.take(reservation)
            item = writer.sub(holder, "HotelReservation")
            writer.sub(item, "UniqueID", Type="14", ID=ours[:64] or "-")
            if numbers:
                ids = writer.sub(writer.sub(item, "ResGlobalInfo"), "HotelReservationIDs")
                writer.sub(ids, "HotelReservationID", ResID_Type="14", ResID_Value=number, ResID_Source=self.pms.name)
        body = writer.serialise(answer)
        if self.pms.faults.malformed:
            body = body[: max(len(body) // 2, 20)]
        self.xml(body)

    def xml(self, body: bytes) -> None:
        self.answer(200, body, "application/xml")
