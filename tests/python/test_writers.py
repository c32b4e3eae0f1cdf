"""Writers: pymarc's (their output as pymarc documents it) and the engine's, with round trips."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest

import marcscope
from conftest import py_fields

UTF8 = "pairs/traject-test_data.utf8.mrc"
MARC8 = "valid/solrmarc-uva_001_2000.mrc"


def test_marc_writer_round_trip_is_byte_identical(data):
    path = data / UTF8
    out = io.BytesIO()
    writer = marcscope.MARCWriter(out)
    for record in marcscope.MARCReader(str(path)):
        writer.write(record)
    writer.close(close_fh=False)
    assert out.getvalue() == path.read_bytes()
    out2 = io.BytesIO()
    writer = marcscope.MARCWriter(out2)
    for record in marcscope.MARCReader(str(path)):
        record.fields  # materialised: written from the Python objects
        writer.write(record)
    assert out2.getvalue() == path.read_bytes()
    with pytest.raises(marcscope.WriteNeedsRecord):
        writer.write("not a record")


def test_as_marc_keeps_the_leader_but_lengths_and_coding(data):
    # pymarc's as_marc() computes leader/00-04 and 12-16 and sets leader/09; leader/10-11 and
    # 20-23 stay as the record has them, whatever they say.
    record = marcscope.Record(leader="00000nam a3300000 a 45 0")  # the constructor sets 22 and 4500, as pymarc's
    assert str(record.leader) == "00000nam a2200000 a 4500"
    record.leader = marcscope.Leader("00000nam a3300000 a 45 0")
    record.add_field(marcscope.Field(tag="001", data="x"))
    assert record.as_marc()[:24] == b"00040nam a3300037 a 45 0"
    record.leader = "00000nam  2200000 a 4500"
    assert record.as_marc()[:24] == b"00040nam a2200037 a 4500"
    path = data / "valid/evergreen-auth-1066.mrc"  # authority records with leader/20-23 "45 0"
    raw = path.read_bytes().split(b"\x1d")[:-1]
    records = list(marcscope.MARCReader(str(path)))
    assert len(records) == len(raw) > 1000
    out = io.BytesIO()
    writer = marcscope.MARCWriter(out)
    for original, record in zip(raw, records):
        written = record.as_marc()
        assert written[10:12] == original[10:12] and written[17:24] == original[17:24]
        assert written[9:10] == b"a"
        writer.write(record)
    assert sum(1 for r in raw if r[20:24] != b"4500") > 1000
    assert [r[20:24] for r in out.getvalue().split(b"\x1d")[:-1]] == [r[20:24] for r in raw]


def test_edited_records_write_what_was_edited(data):
    out = io.BytesIO()
    writer = marcscope.MARCWriter(out)
    originals = list(marcscope.MARCReader(str(data / MARC8)))[:50]
    for record in originals:
        record["245"]["a"] = record["245"]["a"].upper()
        record.add_ordered_field(marcscope.Field("999", marcscope.Indicators(" ", " "), [marcscope.Subfield("a", "é")]))
        record.remove_fields("650")
        writer.write(record)
    back = list(marcscope.MARCReader(out.getvalue()))
    assert len(back) == 50
    for b, o in zip(back, originals):
        assert b["245"]["a"] == o["245"]["a"]
        assert b.get_fields("999")[-1]["a"] == "é" and "650" not in b
        assert str(b.leader)[9] == "a"
        assert py_fields(b) == py_fields(o)


def test_marc8_records_are_written_as_utf8(data, model):
    out = io.BytesIO()
    writer = marcscope.MARCWriter(out)
    records = list(marcscope.MARCReader(open(data / MARC8, "rb")))
    for record in records:
        writer.write(record)
    back = list(marcscope.MARCReader(out.getvalue()))
    assert [py_fields(r) for r in back] == [py_fields(r) for r in records]
    assert all(str(r.leader)[9] == "a" for r in back)


def test_text_writer(data, model):
    out = io.StringIO()
    writer = marcscope.TextWriter(out)
    records = list(marcscope.MARCReader(str(data / "pairs/marcperl-camel.usmarc")))
    for record in records:
        writer.write(record)
    writer.close(close_fh=False)
    text = out.getvalue()
    assert text == "\n".join(str(r) for r in records)
    parsed = model.parse_mrk_text(text)
    assert [e.fields for e in parsed] == [py_fields(r) for r in records]


def test_json_writer(data, model):
    out = io.StringIO()
    writer = marcscope.JSONWriter(out)
    records = list(marcscope.MARCReader(str(data / UTF8)))
    for record in records:
        writer.write(record)
    writer.close(close_fh=False)
    doc = json.loads(out.getvalue())
    assert doc == [r.as_dict() for r in records]
    assert [e.fields for e in model.parse_mij(data / "pairs/traject-test_data.utf8.json")] == \
        [py_fields(r) for r in marcscope.JSONReader(out.getvalue())]


def test_xml_writer_and_record_to_xml(data, model, tmp_path):
    out = io.BytesIO()
    writer = marcscope.XMLWriter(out)
    records = list(marcscope.MARCReader(str(data / UTF8)))
    for record in records:
        writer.write(record)
    writer.close(close_fh=False)
    value = out.getvalue()
    assert value.startswith(b'<?xml version="1.0" encoding="UTF-8"?><collection xmlns="http://www.loc.gov/MARC21/slim">')
    ET.fromstring(value)
    path = tmp_path / "out.xml"
    path.write_bytes(value)
    assert [e.fields for e in model.parse_marcxml(path)] == [py_fields(r) for r in records]
    assert [py_fields(r) for r in marcscope.parse_xml_to_array(str(path))] == [py_fields(r) for r in records]
    one = marcscope.record_to_xml(records[0])
    assert one.startswith(b"<record><leader>")
    node = marcscope.record_to_xml_node(records[0], namespace=True)
    assert node.get("xmlns") == "http://www.loc.gov/MARC21/slim"


@pytest.mark.parametrize("fmt", ["marc", "marc8", "marcxml", "json", "ndjson", "mrk"])
def test_engine_writers_round_trip(data, tmp_path, fmt):
    # MARC-8 cannot hold every character of the UTF-8 file: its round trip starts from MARC-8.
    source = data / (MARC8 if fmt == "marc8" else UTF8)
    records = list(marcscope.MARCReader(str(source)))
    path = tmp_path / f"out.{fmt}"
    with marcscope.RecordWriter(str(path), fmt) as writer:
        for record in records:
            writer.write(record)
    back = list(marcscope.MARCReader(str(path)))
    assert len(back) == len(records)
    assert [py_fields(r) for r in back] == [py_fields(r) for r in records]
    converted = tmp_path / f"converted.{fmt}"
    result = marcscope.convert(str(source), str(converted), fmt)
    assert result["records"] == len(records) and result["skipped"] == 0
    assert [py_fields(r) for r in marcscope.MARCReader(str(converted))] == [py_fields(r) for r in records]
    # convert() writes unchanged records from their bytes (no decoding): the same bytes as writing
    # the decoded records one by one.
    assert converted.read_bytes() == path.read_bytes()


def test_engine_csv_writer(data):
    out = io.BytesIO()
    records = list(marcscope.MARCReader(str(data / UTF8)))
    with marcscope.RecordWriter(out, "csv", columns=["001", "245$a"]) as writer:
        for record in records:
            writer.write(record)
    lines = out.getvalue().decode("utf-8").splitlines()
    assert len(lines) == len(records) + 1
    assert records[0]["001"].data in lines[1]


def test_records_made_in_python_write_and_read_back():
    r = marcscope.Record()
    r.add_field(marcscope.Field("001", data="x1"),
                marcscope.Field("245", marcscope.Indicators("1", "0"), [marcscope.Subfield("a", "Ünïcode — title")]))
    data = r.as_marc()
    assert int(data[:5]) == len(data) and data.endswith(b"\x1d")
    back = marcscope.Record(data)
    assert back.title == "Ünïcode — title" and back["001"].data == "x1"
    # A value that is not text is written as pymarc writes it, f"{value}".
    numbered = marcscope.Record()
    numbered.add_field(marcscope.Field("245", marcscope.Indicators(" ", " "), [marcscope.Subfield("a", 5)]))
    assert marcscope.Record(numbered.as_marc())["245"]["a"] == "5"


def odd_records():
    """Records that take every branch of ElementTree's serialising: escapes in text and
    attributes, empty values, a field with no subfields, characters XML cannot hold."""
    Field, Subfield = marcscope.Field, marcscope.Subfield
    record = marcscope.Record()
    record.add_field(Field(tag="001", data="a&b<c>d\"e'f"))
    record.add_field(Field(tag="003", data=""))
    record.add_field(Field(tag="245", indicators=["&", '"'], subfields=[
        Subfield("a", "x < y & z > w"), Subfield("b", ""), Subfield("<", "\r\n\t tab"), Subfield("c", "\x12\x00 ctrl")]))
    record.add_field(Field(tag="500", indicators=[" ", " "], subfields=[]))
    record.add_field(Field(tag="5\n0", indicators=["\t", "\r"], subfields=[Subfield("a", "lone \udc80 surrogate é 汉")]))
    empty = marcscope.Record()
    return [record, empty]


@pytest.mark.parametrize("source", ["utf8", "marc8 kept as bytes", "odd", "odd, read back", "odd, changed"])
def test_xml_is_what_element_tree_writes(data, source):
    # XMLWriter and record_to_xml build their text without the element tree (from the engine's
    # view of a record read and never opened up, else from its Field objects); it must be the
    # bytes ET.tostring() makes of record_to_xml_node(), pymarc's way, on every record.
    from marcscope import _core

    if source == "utf8":
        records = list(marcscope.MARCReader(str(data / UTF8)))
        records += list(marcscope.MARCReader(str(data / "pairs/lcmarcedit-marc_sample_data.mrc")))[:200]
    elif source == "marc8 kept as bytes":
        records = [r for r in marcscope.MARCReader(str(data / MARC8), to_unicode=False) if r is not None][:150]
    elif source == "odd":
        records = odd_records()
    else:
        # Read from ISO 2709: handed over undecoded where the engine may (not the surrogate).
        fields = odd_records()[0].get_fields()[:4]  # not the lone surrogate: ISO 2709 cannot hold it
        payload = b""
        for field in [fields, *([f] for f in fields)]:
            one = marcscope.Record()
            for f in field:
                one.add_field(f)
            payload += one.as_marc()
        plain = marcscope.Record()
        plain.add_field(marcscope.Field(tag="245", indicators=["1", "0"], subfields=[
            marcscope.Subfield("a", "A & B <c> \x12"), marcscope.Subfield("b", "")]))
        plain.add_field(marcscope.Field(tag="500", indicators=[" ", " "], subfields=[]))
        payload += plain.as_marc()
        records = list(marcscope.MARCReader(payload))
        assert sum(map(_core._record_undecoded, records)) >= 3
        if source == "odd, changed":
            for record in records:
                if "245" in record:
                    record["245"]["a"] = "changed & so"
                    record.leader[5] = "c"
    assert len(records) >= 2
    # The texts first: ElementTree's record_to_xml_node() opens the record up (Field objects).
    written = io.BytesIO()
    writer = marcscope.XMLWriter(written)
    got = []
    for record in records:
        writer.write(record)
        got.append([marcscope.record_to_xml(record, quiet=True, namespace=ns) for ns in (False, True)])
    writer.close(close_fh=False)
    expected = [b'<?xml version="1.0" encoding="UTF-8"?><collection xmlns="http://www.loc.gov/MARC21/slim">']
    for record, texts in zip(records, got):
        expected.append(ET.tostring(marcscope.record_to_xml_node(record, quiet=True), encoding="utf-8"))
        assert texts == [ET.tostring(marcscope.record_to_xml_node(record, quiet=True, namespace=ns)) for ns in (False, True)]
    expected.append(b"</collection>")
    assert written.getvalue() == b"".join(expected)
    if source == "odd, changed":
        assert b"changed &amp; so" in written.getvalue()


def test_json_writer_writes_what_json_dump_does(data):
    records = list(marcscope.MARCReader(str(data / UTF8))) + odd_records()[:1]
    out = io.StringIO()
    writer = marcscope.JSONWriter(out)
    for record in records:
        writer.write(record)
    writer.close(close_fh=False)
    expected = io.StringIO()
    expected.write("[")
    for i, record in enumerate(records):
        if i:
            expected.write(",")
        json.dump(record.as_dict(), expected, separators=(",", ":"))
    expected.write("]")
    assert out.getvalue() == expected.getvalue()


def unopened_payload(data, control, value, empty_code):
    """Two fixtures and a record with an odd 001, 245 $a `value`, an empty subfield `empty_code`
    and a field with no subfields, as ISO 2709: records read from it are handed over undecoded."""
    payload = (data / UTF8).read_bytes() + (data / "pairs/lcmarcedit-marc_sample_data.mrc").read_bytes()
    odd = marcscope.Record()
    odd.add_field(marcscope.Field(tag="001", data=control))
    odd.add_field(marcscope.Field(tag="245", indicators=["1", "0"], subfields=[
        marcscope.Subfield("a", value), marcscope.Subfield(empty_code, "")]))
    odd.add_field(marcscope.Field(tag="500", indicators=[" ", " "], subfields=[]))
    return payload + odd.as_marc()


def test_as_dict_of_an_unopened_record_is_that_of_its_fields(data):
    # as_dict() of a record read and never opened up is made from the engine's view; it must be
    # what the Field objects give (keys in the same order, so the same JSON text).
    from marcscope import _core

    payload = unopened_payload(data, "", "A & B <c> \x12 é", "b")
    fast = list(marcscope.MARCReader(payload))
    slow = list(marcscope.MARCReader(payload))
    assert sum(map(_core._record_undecoded, fast)) > len(fast) // 2
    for a, b in zip(fast, slow):
        b.fields  # opened up: as_dict() from the Field objects
        assert not _core._record_undecoded(b)
        made = a.as_dict()
        assert json.dumps(made) == json.dumps(b.as_dict())
        assert a.as_json() == b.as_json()
    # A record changed through a Field object is not read from the view.
    changed = list(marcscope.MARCReader(payload))[0]
    changed["245"]["a"] = "changed"
    assert changed.as_dict()["fields"][[next(iter(f)) for f in changed.as_dict()["fields"]].index("245")]["245"][
        "subfields"][0] == {"a": "changed"}


def test_json_text_of_an_unopened_record_is_json_dumps(data):
    # as_json() and JSONWriter write the JSON text of a record read and never opened up straight
    # from the engine's view: it must be json.dumps()'s, escapes and all.
    from marcscope import _core

    payload = unopened_payload(data, 'q"b\\s/', "\x12\x7f\n\r\t\b\f é 汉 \U0001F600 \u2028", '"')
    records = list(marcscope.MARCReader(payload))
    assert sum(map(_core._record_undecoded, records)) > len(records) // 2
    assert _core._record_undecoded(records[-1])
    out = io.StringIO()
    writer = marcscope.JSONWriter(out)
    texts = []
    for record in records:
        writer.write(record)
        texts.append(record.as_json())
    writer.close(close_fh=False)
    # Now from the Field objects, as pymarc makes them.
    for record in records:
        record.fields
    assert texts == [json.dumps(r.as_dict()) for r in records]
    assert out.getvalue() == "[" + ",".join(json.dumps(r.as_dict(), separators=(",", ":")) for r in records) + "]"
    assert records[0].as_json(indent=1) == json.dumps(records[0].as_dict(), indent=1)


def test_str_of_an_unopened_record_is_that_of_its_fields(data):
    # str(record) (MARCMaker text, TextWriter's) of a record read and never opened up is made
    # from the engine's view: blanks in control fields and blank indicators as backslashes.
    from marcscope import _core

    payload = unopened_payload(data, "a b  c ", "x $y \\ z é", "b")
    fast = list(marcscope.MARCReader(payload))
    slow = list(marcscope.MARCReader(payload))
    assert sum(map(_core._record_undecoded, fast)) > len(fast) // 2 and _core._record_undecoded(fast[-1])
    texts = [str(r) for r in fast]
    written = io.StringIO()
    writer = marcscope.TextWriter(written)
    for r in fast:
        writer.write(r)
    for r in slow:
        r.fields  # opened up: str() from the Field objects
    assert texts == [str(r) for r in slow]
    assert "=001  a\\b\\\\c\\\n" in texts[-1] and "=500  \\\\\n" in texts[-1]
    expected = io.StringIO()
    writer = marcscope.TextWriter(expected)
    for r in slow:
        writer.write(r)
    assert written.getvalue() == expected.getvalue()


def test_a_leader_utf8_cannot_hold_goes_the_python_way(data):
    # The fast paths take the leader as UTF-8; one set to a lone surrogate is written as the
    # Python code writes it (ElementTree's character reference, json's escape), not refused.
    def unopened():
        record = next(iter(marcscope.MARCReader(str(data / UTF8))))
        leader = str(record.leader)
        record.leader = leader[:5] + "\udc80" + leader[6:]
        return record

    xml, as_json, text = marcscope.record_to_xml(unopened()), unopened().as_json(), str(unopened())
    opened = unopened()
    opened.fields
    assert xml == ET.tostring(marcscope.record_to_xml_node(opened)) and b"&#56448;" in xml
    assert as_json == json.dumps(opened.as_dict()) and "\\udc80" in as_json
    assert text == str(opened)
