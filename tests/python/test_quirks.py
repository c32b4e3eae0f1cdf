"""pymarc's quirks that marcscope keeps by default: one test for each entry of docs/PYTHON.md's list
("pymarc's quirks, kept"), numbered as there. Where another file already tests a quirk in depth,
the test here names it and checks the quirk itself once more."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest

import marcscope
from marcscope import Field, Indicators, Record, Subfield


def iso_record(leader09: str, fields: list[tuple[str, bytes]]) -> bytes:
    directory = body = b""
    for tag, data in fields:
        directory += tag.encode("ascii") + b"%04d%05d" % (len(data) + 1, len(body))
        body += data + b"\x1e"
    directory += b"\x1e"
    base = 24 + len(directory)
    return b"%05dnam %s22%05d   4500" % (base + len(body) + 1, leader09.encode("ascii"), base) + directory + body + b"\x1d"


def sample() -> Record:
    r = Record()
    r.add_field(Field(tag="001", data="id1"))
    r.add_field(Field(tag="245", indicators=Indicators("1", "0"),
                      subfields=[Subfield("a", "Title "), Subfield("b", "subtitle /")]))
    r.add_field(Field(tag="650", indicators=Indicators(" ", "0"), subfields=[Subfield("a", "Topic.")]))
    return r


def test_1_record_and_field_are_their_own_iterators():
    r = sample()
    assert iter(r) is r
    # Nested loops over the same record share one position: the inner loop uses it up.
    pairs = [(outer.tag, inner.tag) for outer in r for inner in r]
    assert pairs == [("001", "001"), ("001", "245"), ("001", "650")]
    f = r["245"]
    assert iter(f) is f
    codes = [(a.code, b.code) for a in f for b in f]
    assert codes == [("a", "a"), ("a", "b")]


def test_2_bad_record_is_none_and_a_fatal_error_ends_iteration():
    good = iso_record("a", [("245", b"10\x1faFine")])
    bad_utf8 = iso_record("a", [("245", b"10\x1faBad \xff")])
    truncated = iso_record("a", [("245", b"10\x1faCut")])[:-10]
    reader = marcscope.MARCReader(good + bad_utf8 + good + truncated + good)
    items = list(reader)
    assert [None if r is None else r["245"]["a"] for r in items] == ["Fine", None, "Fine", None]
    assert isinstance(reader.current_exception, marcscope.exceptions.FatalReaderError)
    # Giving mode= reads on instead.
    assert len([r for r in marcscope.MARCReader(good + bad_utf8 + good + truncated + good, mode="permissive")
                if r is not None]) >= 3


def test_3_as_marc_sets_leader_09_in_the_record():
    raw = iso_record(" ", [("245", b"10\x1faCaf\xe2e")])  # MARC-8, 0xE2 a combining acute
    record = next(marcscope.MARCReader(raw))
    assert record.leader[9] == " "
    out = record.as_marc()
    assert record.leader[9] == "a"
    assert out[9:10] == b"a"
    assert "Café".encode("utf-8") in out


def test_4_decoding_keeps_leader_09_as_read():
    raw = iso_record(" ", [("245", b"10\x1faText")])
    record = next(marcscope.MARCReader(raw))
    assert record.leader[9] == " "
    assert str(record).startswith("=LDR  ") and str(record.leader)[9] == " "


def test_5_marc8_code_with_no_character_is_a_space():
    # 0xAF has no character in MARC-8's default G1 set (ANSEL).
    raw = iso_record(" ", [("245", b"10\x1faab\xafcd")])
    record = next(marcscope.MARCReader(raw))
    assert record["245"]["a"] == "ab cd"
    assert any(d.code == "marc8-unmapped-code" for d in record.diagnostics)


def test_6_title_joins_a_and_b_with_a_space():
    assert sample().title == "Title  subtitle /"


def test_7_isbn_is_the_first_run_of_isbn_characters_without_hyphens():
    r = Record()
    r.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", "0-201-61622-X (pbk.) 978")]))
    r.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", "999")]))
    assert r.isbn == "020161622X"


def test_8_publisher_and_pubyear_from_the_first_260_or_264_ind2_1():
    r = Record()
    r.add_field(Field(tag="264", indicators=Indicators(" ", "4"), subfields=[Subfield("c", "©1999")]))
    r.add_field(Field(tag="264", indicators=Indicators(" ", "1"), subfields=[Subfield("b", "Pub One,"), Subfield("c", "2001.")]))
    r.add_field(Field(tag="260", indicators=Indicators(" ", " "), subfields=[Subfield("b", "Pub Two,"), Subfield("c", "2002.")]))
    assert (r.publisher, r.pubyear) == ("Pub One,", "2001.")
    r2 = Record()
    r2.add_field(Field(tag="260", indicators=Indicators(" ", " "), subfields=[Subfield("b", "Pub Two,"), Subfield("c", "2002.")]))
    r2.add_field(Field(tag="264", indicators=Indicators(" ", "1"), subfields=[Subfield("b", "Pub One,"), Subfield("c", "2001.")]))
    assert (r2.publisher, r2.pubyear) == ("Pub Two,", "2002.")


def test_9_indicators_of_a_control_field_cannot_be_set():
    f = Field(tag="001", data="x")
    with pytest.raises(AttributeError):
        f.indicator1 = "1"
    with pytest.raises(AttributeError):
        f.indicator2 = "1"
    assert f.data == "x"


def test_10_permissive_is_accepted_and_does_nothing():
    raw = iso_record("a", [("245", b"10\x1faFine")]) + iso_record("a", [("245", b"10\x1faBad \xff")])
    plain = [None if r is None else str(r) for r in marcscope.MARCReader(raw)]
    for flag in (True, False):
        assert [None if r is None else str(r) for r in marcscope.MARCReader(raw, permissive=flag)] == plain
    assert plain[1] is None


def test_11_new_record_leader():
    assert str(Record().leader) == "          22        4500"
    assert str(Record(leader="abcdefghijklmnopqrstuvwx").leader) == "abcdefghij22mnopqrst4500"


@pytest.mark.parametrize("writer_class, stream, closing",
                         [("JSONWriter", io.StringIO, "]"), ("XMLWriter", io.BytesIO, b"</collection>")])
def test_12_closing_written_only_by_close(writer_class, stream, closing):
    out = stream()
    writer = getattr(marcscope, writer_class)(out)
    writer.write(sample())
    assert not out.getvalue().rstrip().endswith(closing)
    writer.close(close_fh=False)
    assert out.getvalue().rstrip().endswith(closing)


def test_13_close_closes_the_file_unless_told_not_to():
    kept = io.BytesIO()
    writer = marcscope.MARCWriter(kept)
    writer.write(sample())
    writer.close(close_fh=False)
    assert not kept.closed and kept.getvalue().endswith(b"\x1d")
    closed = io.BytesIO()
    writer = marcscope.MARCWriter(closed)
    writer.write(sample())
    writer.close()
    assert closed.closed


def test_14_and_15_are_in_test_encodings():
    """utf8_handling (14) and file_encoding (15): tests/python/test_encodings.py checks both
    against Python's codecs; here one case of each."""
    raw = iso_record("a", [("245", b"10\x1faA\xffB")])
    assert next(marcscope.MARCReader(raw, utf8_handling="ignore"))["245"]["a"] == "AB"
    latin = iso_record(" ", [("245", b"10\x1faCaf\xe9")])
    assert next(marcscope.MARCReader(latin, file_encoding="latin-1"))["245"]["a"] == "Café"


# ------------------------------------------------------------------------------------------------
# Differences from pymarc (PYTHON.md, "Differences from pymarc"), 17-21: what marcscope does.

def _marc8_value(raw):
    """The 245 $a marcscope reads from a MARC-8 record holding `raw` there."""
    body = b"10\x1fa" + raw + b"\x1e"
    directory = b"245%04d%05d\x1e" % (len(body), 0)
    base = 24 + len(directory)
    record = b"%05dnam  22%05d   4500" % (base + len(body) + 1, base) + directory + body + b"\x1d"
    (rec,) = list(marcscope.MARCReader(record))
    return rec["245"]["a"]


_TEXT_LEADERS = ["00000cam  2200000 a 4500", "00000nam a2200000 i 4500"]


def _text_documents() -> dict[str, bytes]:
    xml = '<collection xmlns="http://www.loc.gov/MARC21/slim">'
    js, mrk = [], ""
    for i, leader in enumerate(_TEXT_LEADERS):
        xml += (f'<record><leader>{leader}</leader><controlfield tag="001">{i}</controlfield>'
                f'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Café</subfield></datafield></record>')
        js.append({"leader": leader, "fields": [{"001": str(i)}, {"245": {"ind1": "1", "ind2": "0",
                                                                          "subfields": [{"a": "Café"}]}}]})
        mrk += f"=LDR  {leader}\n=001  {i}\n=245  10$aCafé\n\n"
    import json
    return {"xml": (xml + "</collection>").encode("utf-8"), "json": json.dumps(js).encode("utf-8"),
            "mrk": mrk.encode("utf-8")}


def test_16_text_formats_keep_the_leader_as_written(tmp_path):
    docs = _text_documents()
    readers = {
        "xml": lambda src: marcscope.parse_xml_to_array(src),
        "json": lambda src: list(marcscope.JSONReader(src)),
        "mrk": lambda src: list(marcscope.MARCMakerReader(src)),
    }
    for kind, data in docs.items():
        path = tmp_path / f"doc.{kind}"
        path.write_bytes(data)
        for source in (io.BytesIO(data), str(path)):
            records = readers[kind](source)
            assert [str(r.leader) for r in records] == _TEXT_LEADERS, (kind, source)
            assert all(r["245"]["a"] == "Café" for r in records)
        # The same through MARCReader, on its threads and on one.
        for threads in (None, 1):
            records = list(marcscope.MARCReader(str(path), threads=threads))
            assert [str(r.leader) for r in records] == _TEXT_LEADERS, (kind, threads)
        # Written in ISO 2709, the record says UTF-8 (quirk 3), and reads back as it was.
        record = readers[kind](io.BytesIO(data))[0]
        again = next(marcscope.MARCReader(record.as_marc()))
        assert str(again.leader)[9] == "a" and again["245"]["a"] == "Café"


def test_difference_17_text_leaders_of_the_wrong_length_are_padded_or_cut():
    xml = (b'<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>      Z   22 4500</leader>'
           b'<controlfield tag="001">x</controlfield></record></collection>')
    (record,) = marcscope.parse_xml_to_array(io.BytesIO(xml))
    assert str(record.leader) == "      Z   22 4500       "
    mrk = marcscope.MARCMakerReader(io.BytesIO(b"=LDR  00000cam  2200000 a 4500 and more\n=001  x\n"))
    assert str(next(iter(mrk)).leader) == "00000cam  2200000 a 4500"
    assert any(d.code == "record-structure-invalid" for d in mrk.diagnostics)


def test_difference_18_marc8_controls_marks_and_unmapped_bytes():
    assert _marc8_value(b"a\x01b") == "a\x01b"
    assert _marc8_value(b"a\x88b\x89c") == "a\u0098b\u009cc"
    assert _marc8_value(b"Gedda\xe7") == "Gedda \u0307"
    # 0x81 has no character: a space, which takes the acute before it.
    assert _marc8_value(b"126\xe2\x81\xb0") == "126 \u0301\u02bb"


def test_difference_19_marc8_numeric_character_references():
    assert _marc8_value(b"caf&#x00E9; &#x2603;") == "caf\u00e9 \u2603"


def test_difference_20_structure_bytes_and_long_codes_when_writing():
    record = marcscope.Record()
    record.add_field(marcscope.Field("007", data="a\x1fb"),
                     marcscope.Field("500", indicators=["1", "0"], subfields=[marcscope.Subfield("ab", "x")]))
    raw = record.as_marc()
    assert b"a\xef\xbf\xbdb\x1e" in raw and b"\x1fax\x1e" in raw
    (again,) = list(marcscope.MARCReader(raw))
    assert again["007"].data == "a\ufffdb"
    assert again["500"].subfields == [marcscope.Subfield("a", "x")]


def test_difference_21_marcxml_indicators():
    xml = ('<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>00000cam a2200000 a 4500</leader>'
           '<datafield tag="245" ind1="" ind2="\u00a0"><subfield code="a">T</subfield></datafield></record>'
           '</collection>').encode()
    (rec,) = marcscope.parse_xml_to_array(io.BytesIO(xml))
    assert tuple(rec["245"].indicators) == (" ", "?")
    assert [d.code for d in rec.diagnostics] == ["record-structure-invalid"]
    assert "indicator 2 of field 245" in rec.diagnostics[0].message


def test_17_pymarc_xml_writes_control_characters_as_they_are(tmp_path):
    # XML 1.0 has no place for most characters below 0x20: pymarc's XMLWriter and record_to_xml
    # (ElementTree's serialiser) write them as they are, and XML parsers refuse the result. The
    # engine's writers replace each by U+FFFD and say so.
    r = sample()
    r["245"]["a"] = "Title \x12 "
    raw = marcscope.record_to_xml(r)
    assert b"Title \x12 " in raw
    out = io.BytesIO()
    writer = marcscope.XMLWriter(out)
    writer.write(r)
    writer.close(close_fh=False)
    assert b"Title \x12 " in out.getvalue()
    with pytest.raises(ET.ParseError):
        ET.fromstring(out.getvalue())
    path = tmp_path / "engine.xml"
    with marcscope.RecordWriter(str(path), "marcxml") as engine:
        engine.write(r)
    root = ET.parse(path).getroot()  # well-formed
    assert "Title \ufffd " in "".join(root.itertext())
