"""The SOAP 1.1 envelope and its WS-Security UsernameToken, and nothing else.

Both OTA dialects we speak over SOAP (SiteMinder pmsXchange, Sabre SynXis)
put one OTA message in the ``Body`` and the credentials in a
``wsse:Security`` header as a ``UsernameToken`` with a plain-text password
(the transport, HTTPS, protects it). Answers come in an envelope with an
empty header; a failure the server could not put into an OTA answer comes as
a SOAP ``Fault``. lxml builds and reads the envelope; this module is the one
place that knows its shape.
"""

from __future__ import annotations

from lxml import etree

from connectors.ota.parser import read_xml
from core.models import OperatorError, ParseError

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
CONTENT_TYPE = "text/xml; charset=utf-8"


def _envelope(payload: etree._Element, header: etree._Element | None = None) -> bytes:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    envelope.append(header if header is not None else etree.Element(f"{{{SOAP_NS}}}Header"))
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    body.append(payload)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def request(payload: etree._Element, username: str, password: str) -> bytes:
    """A request: ``payload`` in the Body, the credentials in a ``wsse:Security`` header."""
    header = etree.Element(f"{{{SOAP_NS}}}Header")
    security = etree.SubElement(header, f"{{{WSSE_NS}}}Security", nsmap={"wsse": WSSE_NS})
    security.set(f"{{{SOAP_NS}}}mustUnderstand", "1")
    token = etree.SubElement(security, f"{{{WSSE_NS}}}UsernameToken")
    etree.SubElement(token, f"{{{WSSE_NS}}}Username").text = username
    etree.SubElement(token, f"{{{WSSE_NS}}}Password", Type=PASSWORD_TEXT).text = password
    return _envelope(payload, header)


def response(payload: etree._Element) -> bytes:
    """An answer: ``payload`` in the Body, an empty header."""
    return _envelope(payload)


def fault(code: str, text: str) -> bytes:
    """A SOAP 1.1 Fault (``soap:Client`` for the caller's mistake, ``soap:Server`` for ours)."""
    element = etree.Element(f"{{{SOAP_NS}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soap:{code}"
    etree.SubElement(element, "faultstring").text = text
    return _envelope(element)


def credentials(envelope: etree._Element) -> tuple[str, str] | None:
    """``(username, password)`` of the UsernameToken, or None when there is none."""
    token = envelope.find(f"{{{SOAP_NS}}}Header/{{{WSSE_NS}}}Security/{{{WSSE_NS}}}UsernameToken")
    if token is None:
        return None
    return (token.findtext(f"{{{WSSE_NS}}}Username") or "", token.findtext(f"{{{WSSE_NS}}}Password") or "")


def open_envelope(body: bytes, *, name: str) -> tuple[etree._Element, etree._Element]:
    """``(envelope, payload)``: the envelope and the one OTA element in its Body.

    Raises ``ParseError`` for a body that is not a SOAP 1.1 envelope with one
    element in its Body, and ``OperatorError`` for a SOAP Fault.
    """
    envelope = read_xml(body, name=name)
    if envelope.tag != f"{{{SOAP_NS}}}Envelope":
        raise ParseError(f"{name}: not a SOAP 1.1 envelope (got <{etree.QName(envelope).localname}>)")
    soap_body = envelope.find(f"{{{SOAP_NS}}}Body")
    payload = [e for e in (soap_body if soap_body is not None else []) if isinstance(e.tag, str)]
    if len(payload) != 1:
        raise ParseError(f"{name}: the SOAP Body holds {len(payload)} elements, expected one OTA message")
    if payload[0].tag == f"{{{SOAP_NS}}}Fault":
        text = (payload[0].findtext("faultstring") or "").strip()[:300]
        code = (payload[0].findtext("faultcode") or "").strip()[:60]
        raise OperatorError(f"{name}: SOAP fault {code}: {text}".strip())
    return envelope, payload[0]
