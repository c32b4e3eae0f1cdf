"""An independent Python model of a MARC record, with parsers for the serialisations that the
pair sets in tests/data use (MARCXML, MARC-in-JSON, MARCMaker .mrk text).

It deliberately shares no code with the engine: the CLI tests parse `marcscope dump` output with
the same .mrk parser that reads the hand-made twins, then compare the two models.

Model
-----
Record.leader  the leader text (str)
Record.fields  a list of fields, in file order:
               ControlField(tag, value)
               DataField(tag, ind1, ind2, subfields) with subfields a tuple of (code, value)
DataField.lead holds text found after the indicators and before the first subfield delimiter
(MarcEdit and marcscope write such stray bytes right after the indicators); it is '' normally.
It is not part of the field's equality because MARCXML and MARC-in-JSON cannot hold it;
record_differences(compare_lead=True) compares it for .mrk twins.
"""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple, Union

MARCXML_NS = "http://www.loc.gov/MARC21/slim"


@dataclass(frozen=True)
class ControlField:
    tag: str
    value: str

    def is_control(self) -> bool:
        return True


@dataclass(frozen=True)
class DataField:
    tag: str
    ind1: str
    ind2: str
    subfields: Tuple[Tuple[str, str], ...]
    lead: str = field(default="", compare=False)

    def is_control(self) -> bool:
        return False

    def get(self, code: str) -> List[str]:
        return [v for c, v in self.subfields if c == code]


Field = Union[ControlField, DataField]


@dataclass
class Record:
    leader: str
    fields: List[Field]

    def get_fields(self, tag: str) -> List[Field]:
        return [f for f in self.fields if f.tag == tag]

    def first(self, tag: str) -> Optional[Field]:
        found = self.get_fields(tag)
        return found[0] if found else None

    def control_number(self) -> str:
        f = self.first("001")
        return f.value if isinstance(f, ControlField) else ""


def map_values(rec: Record, fn) -> Record:
    """A copy of `rec` with `fn` applied to every control-field and subfield value."""
    out: List[Field] = []
    for f in rec.fields:
        if isinstance(f, ControlField):
            out.append(ControlField(f.tag, fn(f.value)))
        else:
            out.append(DataField(f.tag, f.ind1, f.ind2, tuple((c, fn(v)) for c, v in f.subfields), f.lead))
    return Record(rec.leader, out)


def nfc(rec: Record) -> Record:
    return map_values(rec, lambda v: unicodedata.normalize("NFC", v))


# --------------------------------------------------------------------------------------------
# Leader comparison
# --------------------------------------------------------------------------------------------

# Positions that legitimately differ between two serialisations of the same record:
#   00-04 record length: recomputed by every writer; MARC-8 -> UTF-8 changes the byte count,
#         and MARCXML leaders often keep the original binary's length;
#   09    character coding: blank (MARC-8) in the binary, 'a' once converted to UTF-8;
#   12-16 base address of data: depends on the directory, which the text forms do not have.
LEADER_IGNORED_POSITIONS = frozenset([0, 1, 2, 3, 4, 9, 12, 13, 14, 15, 16])


def leader_key(leader: str) -> str:
    """The leader with the positions in LEADER_IGNORED_POSITIONS masked by '#'."""
    return "".join("#" if i in LEADER_IGNORED_POSITIONS else ch for i, ch in enumerate(leader))


# --------------------------------------------------------------------------------------------
# MARCMaker (.mrk) text
# --------------------------------------------------------------------------------------------

# Mnemonics this model decodes. Anything else in braces ({wn}, {esc}, {01}, ...) is kept
# literally, as MarcEdit does for text it does not know.
_MNEMONICS = {"dollar": "$", "lcub": "{", "rcub": "}", "bsol": "\\"}
_CONTROL_TOKEN = re.compile(r"\{(dollar|lcub|rcub|bsol)\}|\\")
_DATA_TOKEN = re.compile(r"\{(dollar|lcub|rcub|bsol)\}")


def mrk_decode_control(text: str) -> str:
    """Control field / leader text: '\\' is a blank, mnemonics are decoded."""
    return _CONTROL_TOKEN.sub(lambda m: " " if m.group(0) == "\\" else _MNEMONICS[m.group(1)], text)


def mrk_decode_data(text: str) -> str:
    """Subfield data: blanks are blanks, a backslash is a backslash, mnemonics are decoded."""
    return _DATA_TOKEN.sub(lambda m: _MNEMONICS[m.group(1)], text)


def _mrk_indicator(ch: str) -> str:
    return " " if ch == "\\" else ch


class MrkSyntaxError(ValueError):
    pass


def is_control_tag(tag: str) -> bool:
    """MARC 21: tags 001-009 (and the reserved 00X range) are control fields."""
    return tag.startswith("00")


def _split_subfields(rest: str) -> Tuple[str, List[Tuple[str, str]]]:
    """Splits the text after the indicators on '$'. Returns (lead text, subfields)."""
    pieces = rest.split("$")
    lead = pieces[0]
    subfields = []
    for piece in pieces[1:]:
        m = re.match(r"\{(dollar|lcub|rcub|bsol)\}", piece)
        if m:  # an escaped subfield code
            code, value = _MNEMONICS[m.group(1)], piece[m.end():]
        else:
            code, value = piece[:1], piece[1:]
        subfields.append((code, mrk_decode_data(value)))
    return lead, subfields


_CONTROL_ESCAPE = re.compile(r"\{(esc|[0-9A-F]{2})\}")


def _decode_control_escapes(line: str) -> str:
    def repl(m):
        if m.group(1) == "esc":
            return "\x1b"
        code = int(m.group(1), 16)
        return chr(code) if code < 0x20 or code == 0x7F else m.group(0)
    return _CONTROL_ESCAPE.sub(repl, line)


def parse_mrk_text(text: str, control_escapes: bool = False) -> List[Record]:
    """Parses MARCMaker text (LF or CRLF line ends). Records start at '=LDR'.

    control_escapes: also decode {esc} and two-hex-digit escapes of control characters ({12},
    {1E}); only for text whose writer escapes literal braces (marcscope does, MarcEdit does not:
    the lcmarcedit twin has a literal "{wn}" and a raw 0x12 byte)."""
    records: List[Record] = []
    current: Optional[Record] = None
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if control_escapes:
            line = _decode_control_escapes(line)
        if line == "":
            continue
        if not line.startswith("="):
            raise MrkSyntaxError(f"line {lineno}: does not start with '=': {line[:60]!r}")
        tag = line[1:4]
        if line[4:6] != "  ":
            raise MrkSyntaxError(f"line {lineno}: tag not followed by two blanks: {line[:60]!r}")
        body = line[6:]
        if tag == "LDR":
            current = Record(mrk_decode_control(body), [])
            records.append(current)
            continue
        if current is None:
            raise MrkSyntaxError(f"line {lineno}: field before the first =LDR")
        if is_control_tag(tag):
            current.fields.append(ControlField(tag, mrk_decode_control(body)))
        else:
            if len(body) < 2:
                raise MrkSyntaxError(f"line {lineno}: data field without two indicators: {line!r}")
            lead, subfields = _split_subfields(body[2:])
            current.fields.append(
                DataField(tag, _mrk_indicator(body[0]), _mrk_indicator(body[1]), tuple(subfields), lead))
    return records


def parse_mrk_file(path: Union[str, Path]) -> List[Record]:
    return parse_mrk_text(Path(path).read_bytes().decode("utf-8"))


# --------------------------------------------------------------------------------------------
# MARCXML
# --------------------------------------------------------------------------------------------

def _local(tag: str) -> Tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _is_marc_element(el: ET.Element, name: str) -> bool:
    ns, local = _local(el.tag)
    return local == name and ns in ("", MARCXML_NS)


def _xml_record(el: ET.Element) -> Record:
    leader = ""
    fields: List[Field] = []
    for child in el:
        if not isinstance(child.tag, str):  # comments, processing instructions
            continue
        if _is_marc_element(child, "leader"):
            leader = child.text or ""
        elif _is_marc_element(child, "controlfield"):
            fields.append(ControlField(child.get("tag", ""), child.text or ""))
        elif _is_marc_element(child, "datafield"):
            subs = tuple((sf.get("code", ""), sf.text or "") for sf in child
                         if isinstance(sf.tag, str) and _is_marc_element(sf, "subfield"))
            fields.append(DataField(child.get("tag", ""), child.get("ind1", " "), child.get("ind2", " "), subs))
    return Record(leader, fields)


def parse_marcxml(path: Union[str, Path]) -> List[Record]:
    """MARCXML with or without the MARC21/slim namespace (prefixed or default), a <collection>
    or a bare <record> root."""
    root = ET.parse(str(path)).getroot()
    if _is_marc_element(root, "record"):
        return [_xml_record(root)]
    return [_xml_record(el) for el in root.iter() if el is not root and _is_marc_element(el, "record")]


# --------------------------------------------------------------------------------------------
# MARC-in-JSON
# --------------------------------------------------------------------------------------------

def _mij_record(obj: dict) -> Record:
    fields: List[Field] = []
    for entry in obj.get("fields", []):
        if not isinstance(entry, dict) or len(entry) != 1:
            raise ValueError(f"MiJ field is not a one-key object: {entry!r}")
        (tag, value), = entry.items()
        if isinstance(value, str):
            fields.append(ControlField(tag, value))
        else:
            subs = []
            for sf in value.get("subfields", []):
                (code, v), = sf.items()
                subs.append((code, v))
            fields.append(DataField(tag, value.get("ind1", " "), value.get("ind2", " "), tuple(subs)))
    return Record(obj.get("leader", ""), fields)


def parse_mij(path: Union[str, Path]) -> List[Record]:
    """MARC-in-JSON as an array, a single object, or newline-delimited objects (NDJSON)."""
    text = Path(path).read_bytes().decode("utf-8")
    stripped = text.strip()
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        data = [json.loads(line) for line in stripped.splitlines() if line.strip()]
    if isinstance(data, dict):
        data = [data]
    return [_mij_record(obj) for obj in data]


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------

def _show(f: Optional[Field]) -> str:
    if f is None:
        return "(none)"
    if isinstance(f, ControlField):
        return f"={f.tag}  {f.value!r}"
    lead = f" {f.lead!r}" if f.lead else ""
    return f"={f.tag}  [{f.ind1}{f.ind2}]{lead} " + " ".join(f"${c}{v!r}" for c, v in f.subfields)


def record_differences(expected: Record, got: Record, compare_leader: bool = True,
                       compare_lead: bool = False) -> List[str]:
    """Human-readable differences between two records (empty when equal).

    compare_lead: also compare DataField.lead (text between the indicators and the first
    subfield), for twins that can represent it (.mrk); MARCXML and MiJ cannot."""
    diffs: List[str] = []
    if compare_leader and leader_key(expected.leader) != leader_key(got.leader):
        diffs.append(f"leader: expected {expected.leader!r}, got {got.leader!r} "
                     f"(compared from position 5, without 09 and 12-16)")
    n = max(len(expected.fields), len(got.fields))
    for i in range(n):
        e = expected.fields[i] if i < len(expected.fields) else None
        g = got.fields[i] if i < len(got.fields) else None
        if e != g:
            diffs.append(f"field {i + 1}: expected {_show(e)}, got {_show(g)}")
        elif compare_lead and isinstance(e, DataField) and e.lead != g.lead:
            diffs.append(f"field {i + 1} ({e.tag}): text after the indicators: expected {e.lead!r}, got {g.lead!r}")
    if len(expected.fields) != len(got.fields):
        diffs.append(f"field count: expected {len(expected.fields)}, got {len(got.fields)}")
    return diffs


def differing_fields(expected: Record, got: Record) -> List[int]:
    """Indexes (0-based) of fields that differ, for records with the same number of fields."""
    assert len(expected.fields) == len(got.fields), "field counts differ"
    return [i for i, (e, g) in enumerate(zip(expected.fields, got.fields)) if e != g]


def records_differences(expected: List[Record], got: List[Record], label: str = "",
                        compare_leader: bool = True, limit: int = 20,
                        compare_lead: bool = False) -> List[str]:
    out: List[str] = []
    if len(expected) != len(got):
        out.append(f"{label}record count: expected {len(expected)}, got {len(got)}")
    for i, (e, g) in enumerate(zip(expected, got), 1):
        for d in record_differences(e, g, compare_leader, compare_lead):
            out.append(f"{label}record {i} (001 {e.control_number()!r}): {d}")
            if len(out) >= limit:
                out.append("... (more differences not shown)")
                return out
    return out
