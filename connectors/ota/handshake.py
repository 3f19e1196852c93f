"""AlpineBits handshaking (``OTA_Ping:Handshaking``): which version and actions both sides speak.

The client posts an ``OTA_PingRQ`` whose ``EchoData`` is the standard's
capabilities JSON: ``{"versions": [{"version": "2024-10", "actions": [{"action":
"action_OTA_Read"}, ...]}]}``. The server answers ``OTA_PingRS`` with
``Success``, a ``Warning Type="11" Status="ALPINEBITS_HANDSHAKE"`` holding the
intersection of both sides' capabilities (same JSON shape), and the client's
``EchoData`` unchanged. Both then use the highest version in the intersection.

A pull client handshakes before its first read and again whenever the server
says it does not speak the version asked for; ``opdesk serve-push`` answers
handshakes, and refuses, without storing anything, a request in a version it
does not speak.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from lxml import etree

from connectors.ota.parser import OTA_NS, child, children, local, raise_operator_errors, read_xml, text_of
from connectors.ota.writer import xml_text
from core.models import OperatorError, ParseError

PING_ACTION = "OTA_Ping:Handshaking"
# Newest first: the versions of GuestRequests opdesk reads and writes. 2024-10 only added optional
# elements (RoomRates, Services) to what 2022-10 carries, so one reader serves both.
SUPPORTED_VERSIONS = ("2024-10", "2022-10")
# The handshake names of the actions opdesk speaks (the standard's "action_" names).
ACTION_PING = "action_OTA_Ping"
ACTION_READ = "action_OTA_Read"  # GuestRequests pull
ACTION_PUSH = "action_OTA_HotelResNotif_GuestRequests"  # GuestRequests push
ACTION_STATUS_UPDATE = "action_OTA_HotelResNotif_GuestRequests_StatusUpdate"
PULL_ACTIONS = (ACTION_PING, ACTION_READ)
PUSH_ACTIONS = (ACTION_PING, ACTION_PUSH, ACTION_STATUS_UPDATE)
PING_VERSION = "8.000"  # the OTA message version AlpineBits gives OTA_PingRQ/RS


Capabilities = dict[str, Any]


def capabilities(actions: Iterable[str], versions: Iterable[str] = SUPPORTED_VERSIONS) -> Capabilities:
    """The capabilities JSON for these actions in each of these versions."""
    names = list(actions)
    return {"versions": [{"version": v, "actions": [{"action": a} for a in names]} for v in versions]}


def offered_versions(highest: str = "") -> tuple[str, ...]:
    """The versions a client offers: every supported one, or those up to ``highest`` (a setting)."""
    if not highest:
        return SUPPORTED_VERSIONS
    return tuple(v for v in SUPPORTED_VERSIONS if v <= highest) or SUPPORTED_VERSIONS


def intersect(ours: Capabilities, theirs: Capabilities) -> Capabilities:
    """The versions both list, each with the actions both list (and the ``supports`` both list)."""
    mine = {v.get("version"): v for v in ours.get("versions", []) if isinstance(v, dict)}
    out = []
    for version in theirs.get("versions", []):
        if not isinstance(version, dict) or version.get("version") not in mine:
            continue
        known = {a.get("action"): a for a in mine[version["version"]].get("actions", []) if isinstance(a, dict)}
        actions = []
        for action in version.get("actions", []) or []:
            if not isinstance(action, dict) or action.get("action") not in known:
                continue
            common: dict[str, Any] = {"action": action["action"]}
            supports = set(known[action["action"]].get("supports", []) or []) & set(action.get("supports", []) or [])
            if supports:
                common["supports"] = sorted(supports)
            actions.append(common)
        if actions:
            out.append({"version": version["version"], "actions": actions})
    out.sort(key=lambda v: v["version"], reverse=True)
    return {"versions": out}


def highest_version(capable: Capabilities, action: str = "") -> str:
    """The newest version listed (that lists ``action``, when given), or "" for none."""
    versions = [
        v["version"]
        for v in capable.get("versions", [])
        if isinstance(v, dict)
        and v.get("version")
        and (not action or any(isinstance(a, dict) and a.get("action") == action for a in v.get("actions", []) or []))
    ]
    return max(versions) if versions else ""


def read_capabilities(text: str, *, name: str) -> Capabilities:
    """The capabilities JSON of an EchoData or a handshake Warning; ``ParseError`` when it is not one."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"{name}: not the capabilities JSON ({exc})") from exc
    if not isinstance(value, dict) or not isinstance(value.get("versions"), list):
        raise ParseError(f'{name}: the capabilities JSON needs a "versions" list')
    return value


# -- messages ---------------------------------------------------------------------------
def element(tag: str, **attrs: str) -> etree._Element:
    return etree.Element(f"{{{OTA_NS}}}{tag}", attrs, nsmap={None: OTA_NS})


def sub(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{OTA_NS}}}{tag}", attrs)


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def ping_request(capable: Capabilities) -> bytes:
    """``OTA_PingRQ`` carrying our capabilities as EchoData."""
    root = element("OTA_PingRQ", Version=PING_VERSION)
    sub(root, "EchoData").text = json.dumps(capable, separators=(",", ":"))
    return serialise(root)


def read_ping_request(body: bytes) -> tuple[str, Capabilities]:
    """The client's EchoData exactly as sent, and the capabilities it holds."""
    root = read_xml(body, name="OTA_PingRQ")
    if local(root.tag) != "OTA_PingRQ":
        raise ParseError(f"expected OTA_PingRQ for {PING_ACTION}, got {local(root.tag)}")
    echo = child(root, "EchoData")
    text = echo.text or "" if echo is not None else ""
    if not text.strip():
        raise ParseError("OTA_PingRQ has no EchoData (the client's capabilities JSON)")
    return text, read_capabilities(text, name="OTA_PingRQ EchoData")


def ping_response(echo: str, common: Capabilities) -> bytes:
    """``OTA_PingRS``: Success, the intersection in the ALPINEBITS_HANDSHAKE warning, the EchoData as sent."""
    root = element("OTA_PingRS", Version=PING_VERSION)
    sub(root, "Success")
    warning = sub(sub(root, "Warnings"), "Warning", Type="11", Status="ALPINEBITS_HANDSHAKE")
    warning.text = json.dumps(common, separators=(",", ":"))
    sub(root, "EchoData").text = echo
    return serialise(root)


def ping_error(message: str, *, code: int = 450) -> bytes:
    """``OTA_PingRS`` with Errors: the handshake request could not be read."""
    root = element("OTA_PingRS", Version=PING_VERSION)
    sub(sub(root, "Errors"), "Error", Type="13", Code=str(code)).text = xml_text(message)
    return serialise(root)


def read_ping_response(body: bytes, *, name: str) -> Capabilities:
    """The intersection the server answered; ``OperatorError`` for an error answer or none at all."""
    root = read_xml(body, name=name)
    if local(root.tag) != "OTA_PingRS":
        raise ParseError(f"{name}: answered {local(root.tag)} to {PING_ACTION}, expected OTA_PingRS")
    raise_operator_errors(root)
    for warning in children(child(root, "Warnings"), "Warning"):
        if warning.get("Status") == "ALPINEBITS_HANDSHAKE":
            return read_capabilities(text_of(warning), name=f"{name} handshake warning")
    raise OperatorError(f"{name}: the handshake answer holds no ALPINEBITS_HANDSHAKE warning")
