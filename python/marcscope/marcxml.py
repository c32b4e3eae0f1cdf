"""MARCXML: reading through the engine's MARCXML reader, and pymarc's record_to_xml."""

from __future__ import annotations


import unicodedata
import xml.etree.ElementTree as ET
from xml.sax.handler import ContentHandler
from typing import Any, Callable, Optional

from . import _core
from .marc8 import MARC8ToUnicode
from .reader import MARCReader, _records_or_syntax_error, _text_source
from .record import Record

__all__ = [
    "XmlHandler",
    "parse_xml",
    "parse_xml_to_array",
    "map_xml",
    "record_to_xml",
    "record_to_xml_node",
    "MARC_XML_NS",
    "MARC_XML_SCHEMA",
    "XSI_NS",
]

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MARC_XML_NS = "http://www.loc.gov/MARC21/slim"
MARC_XML_SCHEMA = "http://www.loc.gov/MARC21/slim http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"


def _xml_records(xml_file: Any):
    """The records of a MARCXML document; xml.sax.SAXParseException (as pymarc's parser raises)
    after them when the document is not well formed."""
    source, _ = _text_source(xml_file, "utf-8")
    reader = MARCReader(source, format="marcxml", mode="permissive", _yield_bad=False)
    return _records_or_syntax_error(reader, source if isinstance(source, str) else None)


def _normalize(record: Record, form: str) -> Record:
    for field in record.fields:
        if field.control_field:
            if isinstance(field.data, str):
                field.data = unicodedata.normalize(form, field.data)
        else:
            field.subfields = [type(s)(s.code, unicodedata.normalize(form, s.value)) for s in field.subfields]
    return record


def parse_xml_to_array(xml_file: Any, strict: bool = False, normalize_form: Optional[str] = None) -> list:
    """Every record of a MARCXML document (a path, a file object or bytes). ``normalize_form``
    ("NFC", "NFD", "NFKC", "NFKD") normalises every value."""
    records = list(_xml_records(xml_file))
    if normalize_form is not None:
        records = [_normalize(r, normalize_form) for r in records]
    return records


class XmlHandler(ContentHandler):
    """pymarc's streaming pattern: subclass it and override ``process_record(record)``, which
    ``parse_xml(xml_file, handler)`` calls with each record as it is read (the default keeps
    them in ``records``). The records are read by the engine's MARCXML reader, not built from
    this handler's SAX events: a subclass that overrides the SAX methods themselves
    (``startElementNS`` ...) is driven by Python's SAX parser instead, as any ContentHandler is."""

    def __init__(self, strict: bool = False, normalize_form: Optional[str] = None) -> None:
        super().__init__()
        self.records: list = []
        self._strict = strict
        self.normalize_form = normalize_form

    def process_record(self, record: Record) -> None:
        """Keeps `record` in ``records``."""
        self.records.append(record)


_SAX_METHODS = ("startElementNS", "endElementNS", "startElement", "endElement", "characters")


def parse_xml(xml_file: Any, handler: Any) -> None:
    """Reads a MARCXML document into `handler`: an XmlHandler (its ``process_record`` is called
    with each record), or any other xml.sax ContentHandler (given the document's SAX events with
    namespaces on, as pymarc's parse_xml does)."""
    if isinstance(handler, XmlHandler) and all(
        getattr(type(handler), m) is getattr(XmlHandler, m) for m in _SAX_METHODS
    ):
        for record in _xml_records(xml_file):
            if handler.normalize_form is not None:
                record = _normalize(record, handler.normalize_form)
            handler.process_record(record)
        return
    import xml.sax
    from xml.sax.handler import feature_namespaces

    parser = xml.sax.make_parser()
    parser.setContentHandler(handler)
    parser.setFeature(feature_namespaces, 1)
    parser.parse(xml_file)


def map_xml(function: Callable[[Record], Any], *files: Any) -> None:
    """Calls `function` on each record of each MARCXML file, as it is read."""
    for xml_file in files:
        for record in _xml_records(xml_file):
            function(record)


def record_to_xml_node(record: Record, quiet: bool = False, namespace: bool = False) -> ET.Element:
    """The record as an ElementTree ``<record>`` element (with the MARCXML namespace when asked)."""
    marc8 = MARC8ToUnicode(quiet=quiet)

    def text(data: Any) -> str:
        return data if isinstance(data, str) else marc8.translate(data)

    root = ET.Element("record")
    if namespace:
        root.set("xmlns", MARC_XML_NS)
        root.set("xmlns:xsi", XSI_NS)
        root.set("xsi:schemaLocation", MARC_XML_SCHEMA)
    leader = ET.SubElement(root, "leader")
    leader.text = str(record.leader)
    for field in record.fields:
        if field.control_field:
            control = ET.SubElement(root, "controlfield")
            control.set("tag", field.tag)
            control.text = text(field.data)
        else:
            data = ET.SubElement(root, "datafield")
            data.set("ind1", field.indicators.first)
            data.set("ind2", field.indicators.second)
            data.set("tag", field.tag)
            for subfield in field.subfields:
                sub = ET.SubElement(data, "subfield")
                sub.set("code", subfield.code)
                sub.text = text(subfield.value)
    return root


def record_to_xml(record: Record, quiet: bool = False, namespace: bool = False) -> bytes:
    """The record as a MARCXML ``<record>`` element (bytes)."""
    return _xml_text(record, quiet, namespace).encode("us-ascii", "xmlcharrefreplace")


# ElementTree's own escaping, so that _xml_text() writes what ET.tostring() does on every Python.
_escape_cdata = ET._escape_cdata  # type: ignore[attr-defined]
_escape_attrib = ET._escape_attrib  # type: ignore[attr-defined]


def _xml_text(record: Record, quiet: bool = False, namespace: bool = False) -> str:
    """What ``ET.tostring(record_to_xml_node(record, quiet, namespace))`` serialises, as text.

    Built without the element tree: ElementTree's serialiser is pure Python, and took four
    fifths of XMLWriter's time. The same elements, attributes in the same order, ElementTree's
    escape functions, ``<tag />`` for an element with no text and no children; the caller
    encodes with ``errors="xmlcharrefreplace"``, as ElementTree's writer does.
    """
    # A record whose fields are still the engine's: made from its view, at C speed.
    made = _core._record_xml(record, str(record.leader), namespace)
    if made is not None:
        return made
    marc8: Optional[MARC8ToUnicode] = None

    def text(data: Any) -> str:
        nonlocal marc8
        if isinstance(data, str):
            return data
        if marc8 is None:
            marc8 = MARC8ToUnicode(quiet=quiet)
        return marc8.translate(data)

    def element(name: str, attributes: str, content: Any) -> str:
        if content:
            return f"<{name}{attributes}>{_escape_cdata(content)}</{name}>"
        return f"<{name}{attributes} />"

    out = ["<record"]
    if namespace:
        out.append(f' xmlns="{_escape_attrib(MARC_XML_NS)}" xmlns:xsi="{_escape_attrib(XSI_NS)}"'
                   f' xsi:schemaLocation="{_escape_attrib(MARC_XML_SCHEMA)}"')
    out.append(">")
    out.append(element("leader", "", str(record.leader)))
    for field in record.fields:
        if field.control_field:
            out.append(element("controlfield", f' tag="{_escape_attrib(field.tag)}"', text(field.data)))
            continue
        attributes = (f' ind1="{_escape_attrib(field.indicators.first)}" ind2="{_escape_attrib(field.indicators.second)}"'
                      f' tag="{_escape_attrib(field.tag)}"')
        subfields = [element("subfield", f' code="{_escape_attrib(subfield.code)}"', text(subfield.value))
                     for subfield in field.subfields]
        if subfields:
            out.append(f"<datafield{attributes}>")
            out.extend(subfields)
            out.append("</datafield>")
        else:
            out.append(f"<datafield{attributes} />")
    out.append("</record>")
    return "".join(out)



