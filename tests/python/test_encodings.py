"""pymarc's utf8_handling and file_encoding, checked against Python's own codecs.

Records are built here byte by byte (leader, directory, fields), so the values' bytes are known;
the expected text is what ``bytes.decode`` gives with the same codec and errors mode, which is
what pymarc 5 does: a value of a record declared UTF-8 (or read with force_utf8) is
``value.decode("utf-8", utf8_handling)``, a control field of such a record is decoded strictly
whatever utf8_handling says, and a record not declared UTF-8 is decoded with ``file_encoding``
(strictly) unless that is "iso8859-1", which means MARC-8.
"""

from __future__ import annotations

import io
import random
import unicodedata

import pytest

import marcscope

SOURCES = ("bytes", "bytesio", "path")


def iso_record(leader09: str, fields: list[tuple[str, bytes]]) -> bytes:
    """One ISO 2709 record: each field's bytes as given (data fields with their indicators and
    delimiters), a field terminator after each."""
    directory = b""
    body = b""
    for tag, data in fields:
        directory += tag.encode("ascii") + b"%04d%05d" % (len(data) + 1, len(body))
        body += data + b"\x1e"
    directory += b"\x1e"
    base = 24 + len(directory)
    length = base + len(body) + 1
    leader = b"%05dnam %s22%05d   4500" % (length, leader09.encode("ascii"), base)
    assert len(leader) == 24
    return leader + directory + body + b"\x1d"


def data_field(*subfields: tuple[str, bytes], indicators: bytes = b"10") -> bytes:
    return indicators + b"".join(b"\x1f" + code.encode("ascii") + value for code, value in subfields)


def read_all(raw: bytes, how: str, tmp_path, **kwargs) -> list:
    """Every item MARCReader hands over, with the reader's current_exception after each."""
    if how == "bytes":
        source = raw
    elif how == "bytesio":
        source = io.BytesIO(raw)
    else:
        path = tmp_path / "records.mrc"
        path.write_bytes(raw)
        source = str(path)
    reader = marcscope.MARCReader(source, **kwargs)
    out = []
    for record in reader:
        out.append((record, reader.current_exception))
    return out


# Invalid (and valid, for contrast) UTF-8 in the places Python's decoder cuts differently:
# lone continuation bytes, cut sequences, overlongs, surrogates, beyond U+10FFFF, bytes never
# used in UTF-8, and a valid character right after a bad byte.
BAD_VALUES = [
    b"Caf\xe9 au lait",
    b"\x80",
    b"ab\xbf\xbfcd",
    b"x\xe4\xb8y",
    b"\xe4\xb8",
    b"\xc3",
    b"\xc0\xaf",
    b"\xe0\x80\xaf",
    b"\xed\xa0\x80z",
    b"\xf4\x90\x80\x80",
    b"\xf5\x80",
    b"\xff\xfe",
    b"\xf0\x9f\x98",
    b"\xf0\x9f\x98\x80\xf0\x9f",
    b"\xe2\x82\xac\x82\xc3\xa9",
    b"ok \xc3\xa9 then \xe9\xc3\xa9",
]


@pytest.mark.parametrize("how", SOURCES)
@pytest.mark.parametrize("mode", ["strict", "replace", "ignore"])
def test_utf8_handling_is_bytes_decode(mode, how, tmp_path):
    records = [iso_record("a", [("001", b"id%d" % i), ("245", data_field(("a", v), ("b", b"tail")))])
               for i, v in enumerate(BAD_VALUES)]
    items = read_all(b"".join(records), how, tmp_path, utf8_handling=mode)
    assert len(items) == len(BAD_VALUES)
    for value, (record, exc) in zip(BAD_VALUES, items):
        if mode == "strict":
            assert record is None, value
            assert isinstance(exc, UnicodeDecodeError), value
            with pytest.raises(UnicodeDecodeError) as expected:
                value.decode("utf-8")
            # The same bad sequence, the same reason as Python's codec gives.
            assert exc.object[exc.start:exc.end] == expected.value.object[expected.value.start:expected.value.end]
            assert exc.reason == expected.value.reason
            assert exc.encoding == "utf-8"
        else:
            assert exc is None, value
            assert record["245"]["a"] == value.decode("utf-8", mode), value
            assert record["245"]["b"] == "tail"
            assert record["001"].data.startswith("id")


@pytest.mark.parametrize("mode", ["replace", "ignore"])
def test_utf8_handling_random_values(mode):
    """Random byte strings (no MARC delimiters) decode as Python decodes them."""
    rng = random.Random(1913)
    alphabet = [0x41, 0x20, 0x7E, 0x80, 0x8F, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED,
                0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF]
    values = [bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(400)]
    raw = b"".join(iso_record("a", [("245", data_field(("a", v)))]) for v in values)
    records = list(marcscope.MARCReader(raw, utf8_handling=mode))
    assert len(records) == len(values)
    mismatches = [(v, r["245"]["a"]) for v, r in zip(values, records) if r["245"]["a"] != v.decode("utf-8", mode)]
    assert mismatches == []
    # The data had bad sequences (else the test shows nothing), and they were reported.
    assert sum(1 for v in values if v != v.decode("utf-8", "ignore").encode("utf-8")) > 300
    assert all(any(d.code == "invalid-utf8" for d in r.diagnostics)
               for v, r in zip(values, records) if v.decode("utf-8", "replace") != v.decode("utf-8", "ignore"))


@pytest.mark.parametrize("mode", ["strict", "replace", "ignore"])
def test_force_utf8_applies_utf8_handling(mode):
    value = b"na\xefve \xc3\xa9"
    raw = iso_record(" ", [("245", data_field(("a", value)))])
    items = list(marcscope.MARCReader(raw, force_utf8=True, utf8_handling=mode))
    if mode == "strict":
        assert items == [None]
    else:
        assert items[0]["245"]["a"] == value.decode("utf-8", mode)


@pytest.mark.parametrize("mode", ["strict", "replace", "ignore"])
def test_control_fields_are_decoded_strictly(mode):
    """pymarc decodes control fields with the record's encoding and no errors mode: invalid
    UTF-8 there makes the record None whatever utf8_handling says."""
    bad = iso_record("a", [("001", b"id\xff"), ("245", data_field(("a", b"Title")))])
    good = iso_record("a", [("001", b"id2"), ("245", data_field(("a", b"T\xff")))])
    reader = marcscope.MARCReader(bad + good, utf8_handling=mode)
    first = next(reader)
    assert first is None
    assert isinstance(reader.current_exception, UnicodeDecodeError)
    second = next(reader)
    if mode == "strict":
        assert second is None
    else:
        assert second["001"].data == "id2"
        assert second["245"]["a"] == b"T\xff".decode("utf-8", mode)


def test_utf8_handling_does_not_touch_valid_or_marc8_records():
    value = "Ærø \u4e2d\u6587 caf\xe9".encode("utf-8")
    utf8 = iso_record("a", [("245", data_field(("a", value)))])
    for mode in ("strict", "replace", "ignore"):
        (record,) = list(marcscope.MARCReader(utf8, utf8_handling=mode))
        assert record["245"]["a"] == value.decode("utf-8")
        assert record.diagnostics == []
    # A MARC-8 record is MARC-8 whatever utf8_handling says: 0xE2 is a combining acute there
    # (put after the letter it precedes, and composed, as pymarc's marc8_to_unicode does).
    marc8 = iso_record(" ", [("245", data_field(("a", b"Caf\xe2e")))])
    for mode in ("strict", "replace", "ignore"):
        (record,) = list(marcscope.MARCReader(marc8, utf8_handling=mode))
        assert record["245"]["a"] == unicodedata.normalize("NFC", "Cafe\u0301")


# ---- file_encoding -----------------------------------------------------------------------------

CP1252_TEXT = "Café – “quoted” €5"
CP1251_TEXT = "Привет мир"


@pytest.mark.parametrize("how", SOURCES)
def test_file_encoding_decodes_non_utf8_records(how, tmp_path):
    raw = (iso_record(" ", [("001", "n°1".encode("cp1252")), ("245", data_field(("a", CP1252_TEXT.encode("cp1252")),
                                                                               ("b", b"plain")))])
           + iso_record("a", [("245", data_field(("a", "Café ünï".encode("utf-8"))))]))
    items = read_all(raw, how, tmp_path, file_encoding="cp1252")
    (first, e1), (second, e2) = items
    assert e1 is None and e2 is None
    assert first["001"].data == "n°1"
    assert first["245"]["a"] == CP1252_TEXT
    assert first["245"]["b"] == "plain"
    assert first.leader[9] == " "
    # A record declared UTF-8 is UTF-8 whatever file_encoding says.
    assert second["245"]["a"] == "Café ünï"
    # Written back as pymarc writes a record read as Unicode: UTF-8, leader/09 'a'.
    again = next(marcscope.MARCReader(first.as_marc()))
    assert again["245"]["a"] == CP1252_TEXT and again.leader[9] == "a"


def test_file_encoding_other_codecs_and_names():
    raw = iso_record(" ", [("245", data_field(("a", CP1251_TEXT.encode("cp1251"))))])
    assert next(marcscope.MARCReader(raw, file_encoding="cp1251"))["245"]["a"] == CP1251_TEXT
    assert next(marcscope.MARCReader(raw, file_encoding="koi8_r"))["245"]["a"] == CP1251_TEXT.encode("cp1251").decode("koi8_r")
    latin = iso_record(" ", [("245", data_field(("a", b"Caf\xe9")))])
    # Only the exact name "iso8859-1" means MARC-8 (pymarc compares the string); any other
    # spelling of Latin-1 is Python's Latin-1 codec.
    assert next(marcscope.MARCReader(latin))["245"]["a"] != "Café"
    assert next(marcscope.MARCReader(latin, file_encoding="iso8859-1"))["245"]["a"] != "Café"
    for name in ("latin-1", "ISO8859-1", "latin1", "iso-8859-1"):
        assert next(marcscope.MARCReader(latin, file_encoding=name))["245"]["a"] == "Café", name


def test_file_encoding_errors_are_pymarc_s():
    undefined = b"ab\x81cd"  # 0x81 has no character in cp1252
    bad = iso_record(" ", [("245", data_field(("a", undefined)))])
    good = iso_record(" ", [("245", data_field(("a", b"fine")))])
    reader = marcscope.MARCReader(bad + good, file_encoding="cp1252")
    assert next(reader) is None
    exc = reader.current_exception
    with pytest.raises(UnicodeDecodeError) as expected:
        undefined.decode("cp1252")
    assert isinstance(exc, UnicodeDecodeError)
    assert (exc.encoding, exc.object, exc.start, exc.end, exc.reason) == (
        expected.value.encoding, expected.value.object, expected.value.start, expected.value.end, expected.value.reason)
    assert reader.current_chunk == bad
    assert next(reader)["245"]["a"] == "fine"
    # file_encoding="utf-8" decodes records not declared UTF-8 strictly: utf8_handling is only
    # for records declared UTF-8 (or force_utf8), as in pymarc.
    reader = marcscope.MARCReader(iso_record(" ", [("245", data_field(("a", b"x\xff")))]), file_encoding="utf-8",
                                  utf8_handling="replace")
    assert next(reader) is None
    assert isinstance(reader.current_exception, UnicodeDecodeError)
    # An unknown codec: each record that needs it is None with a LookupError; UTF-8 records read.
    utf8 = iso_record("a", [("245", data_field(("a", b"ok")))])
    reader = marcscope.MARCReader(good + utf8, file_encoding="no-such-codec")
    assert next(reader) is None
    assert isinstance(reader.current_exception, LookupError)
    assert next(reader)["245"]["a"] == "ok"


def test_file_encoding_with_to_unicode_false_keeps_bytes():
    value = CP1252_TEXT.encode("cp1252")
    raw = iso_record(" ", [("245", data_field(("a", value)))])
    (record,) = list(marcscope.MARCReader(raw, to_unicode=False, file_encoding="cp1252"))
    assert record["245"]["a"] == value


def test_file_encoding_in_record_constructor():
    raw = iso_record(" ", [("245", data_field(("a", CP1252_TEXT.encode("cp1252"))))])
    assert marcscope.Record(data=raw, file_encoding="cp1252")["245"]["a"] == CP1252_TEXT


def test_file_encoding_leaves_text_formats_alone(tmp_path):
    """file_encoding is for ISO 2709 bytes: MARCXML is text already and reads the same."""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<collection xmlns="http://www.loc.gov/MARC21/slim"><record>'
        "<leader>00000nam  2200000   4500</leader>"
        '<controlfield tag="001">n\u00b01</controlfield>'
        '<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Caf\u00e9 \u041f\u0440\u0438</subfield></datafield>'
        "</record></collection>\n"
    )
    path = tmp_path / "one.xml"
    path.write_text(xml, encoding="utf-8")
    for source in (str(path), xml.encode("utf-8")):
        (plain,) = list(marcscope.MARCReader(source))
        (with_codec,) = list(marcscope.MARCReader(source, file_encoding="cp1252"))
        assert plain["245"]["a"] == "Caf\u00e9 \u041f\u0440\u0438"
        assert with_codec["245"]["a"] == plain["245"]["a"]
        assert with_codec["001"].data == "n\u00b01"
