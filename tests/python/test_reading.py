"""Reading: the same records from every kind of source, against independent parses of the
pair sets' twins, pymarc's properties, MARC-8, and pymarc's reader options."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import threading

import pytest

import marcscope
from conftest import py_fields

PAIRS = [
    ("pairs/traject-test_data.utf8.mrc", "pairs/traject-test_data.utf8.json"),
    ("pairs/pymarc-one.dat", "pairs/pymarc-one.json"),
    ("pairs/marcmij-test.mrc", "pairs/marcmij-test.ndj"),
    ("pairs/marcperl-camel.usmarc", "mrk/marcperl-camel.mrk"),
]


def twin_records(model, path):
    if path.suffix in (".json", ".ndj"):
        return model.parse_mij(path)
    if path.suffix == ".mrk":
        return model.parse_mrk_file(path)
    return model.parse_marcxml(path)


@pytest.mark.parametrize("iso,twin", PAIRS)
def test_records_match_the_twin(data, model, iso, twin):
    got = list(marcscope.MARCReader(open(data / iso, "rb")))
    expected = twin_records(model, data / twin)
    assert len(got) == len(expected) > 0
    for g, e in zip(got, expected):
        assert g is not None
        assert model.leader_key(str(g.leader)) == model.leader_key(e.leader)
        assert py_fields(g) == [f for f in e.fields]


def as_plain(records):
    return [None if r is None else (str(r.leader), r.as_dict()["fields"]) for r in records]


class Pipe:
    """A pipe's read end as a file object, fed by a thread (no seek, short reads)."""

    def __init__(self, payload: bytes):
        r, w = os.pipe()
        self.reader = os.fdopen(r, "rb")

        def feed():
            try:
                with os.fdopen(w, "wb") as out:
                    for i in range(0, len(payload), 7001):
                        out.write(payload[i : i + 7001])
            except BrokenPipeError:
                pass  # the reader stopped (a fatal error) and its end was closed: as pymarc, it reads no further

        self.thread = threading.Thread(target=feed)
        self.thread.start()


@pytest.mark.parametrize("name", ["valid/solrmarc-uva_001_2000.mrc", "pairs/traject-test_data.utf8.mrc",
                                  "malformed/pymarc-bad_records.mrc", "malformed/catmandu-bu_bibs.mrc"])
def test_same_records_from_every_source(data, tmp_path, name):
    path = data / name
    payload = path.read_bytes()
    reference = as_plain(marcscope.MARCReader(str(path)))
    assert reference
    gz = tmp_path / "input.mrc.gz"
    gz.write_bytes(gzip.compress(payload))
    pipe = Pipe(payload)
    cat = subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)
    sources = {
        "pathlike": marcscope.MARCReader(path),
        "one thread": marcscope.MARCReader(str(path), threads=1),
        "two threads": marcscope.MARCReader(str(path), threads=2),
        "bytes": marcscope.MARCReader(payload),
        "bytes, one thread": marcscope.MARCReader(payload, threads=1),
        "BytesIO": marcscope.MARCReader(io.BytesIO(payload)),
        "BytesIO, small chunks": marcscope.MARCReader(io.BytesIO(payload), chunk_size=4096),
        "open file": marcscope.MARCReader(open(path, "rb")),
        "unbuffered file": marcscope.MARCReader(open(path, "rb", buffering=0)),
        "pipe": marcscope.MARCReader(pipe.reader),
        "subprocess stdout": marcscope.MARCReader(cat.stdout),
        "gzip path": marcscope.MARCReader(str(gz)),
        "gzip file object": marcscope.MARCReader(gzip.open(gz, "rb")),
    }
    for label, reader in sources.items():
        assert as_plain(reader) == reference, label
    # A reader that stopped at a fatal error reads no further (pymarc's neither): the writers
    # are let go by closing the read ends.
    pipe.reader.close()
    pipe.thread.join()
    cat.stdout.close()
    cat.wait()


class PausedWriter:
    """Writes `payload` to a pipe or a socket, then waits (up to 20 s) for `release()` before
    closing it, as a writer that paused after some records. `timed_out`: the reader needed the
    close to see records that had come long before."""

    def __init__(self, payload: bytes, write, close):
        self.released = threading.Event()
        self.timed_out = False

        def run():
            write(payload)
            self.timed_out = not self.released.wait(20)
            close()

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def release(self):
        self.released.set()
        self.thread.join()
        return not self.timed_out


def paused_pipe(payload):
    r, w = os.pipe()
    return r, PausedWriter(payload, lambda b: os.write(w, b), lambda: os.close(w))


@pytest.mark.parametrize("how", ["open file", "unbuffered file", "socket makefile", "path", "path, one thread"])
def test_records_that_came_are_read_while_the_writer_pauses(data, how):
    """As pymarc's record-at-a-time reads do: a slow writer's records are handed over as they
    come, not once 1 MiB (or 64 KB for format detection) has come or the writer has closed."""
    payload = (data / "pairs/marcperl-camel.usmarc").read_bytes()
    want = as_plain(marcscope.MARCReader(payload))
    assert len(want) >= 5
    if how == "socket makefile":
        import socket

        a, b = socket.socketpair()
        writer = PausedWriter(payload, a.sendall, a.close)
        reader = marcscope.MARCReader(b.makefile("rb"))
    else:
        r, writer = paused_pipe(payload)
        if how.startswith("path"):
            source = f"/proc/self/fd/{r}"
            reader = marcscope.MARCReader(source, threads=1) if how.endswith("one thread") else marcscope.MARCReader(source)
        else:
            reader = marcscope.MARCReader(open(r, "rb", buffering=0 if how.startswith("unbuffered") else -1))
    got = []
    for record in reader:
        got.append(record)
        if len(got) == len(want):
            break
    assert writer.release(), "the records came only once the writer closed"
    got.extend(reader)
    assert as_plain(got) == want


def test_read_batch_and_read_give_the_same_records(data):
    path = str(data / "valid/solrmarc-uva_001_2000.mrc")
    reference = as_plain(marcscope.MARCReader(path))
    reader = marcscope.MARCReader(path)
    batches = []
    while True:
        batch = reader.read_batch(333)
        if not batch:
            break
        assert len(batch) <= 333
        batches.append(batch)
    assert all(len(b) == 333 for b in batches[:-1])
    assert as_plain([r for b in batches for r in b]) == reference
    for threads in (None, 1, 2, 4):
        assert as_plain(marcscope.read(path, threads=threads)) == reference


def test_record_numbers_and_offsets(data):
    path = data / "pairs/traject-test_data.utf8.mrc"
    payload = path.read_bytes()
    offset = 0
    for number, record in enumerate(marcscope.MARCReader(str(path)), 1):
        assert record.number == number
        assert record.offset == offset
        length = int(payload[offset : offset + 5])
        assert payload[offset + length - 1] == 0x1D
        offset += length
    assert offset == len(payload)


def test_current_chunk_is_the_record_bytes(data):
    path = data / "pairs/marcperl-camel.usmarc"
    payload = path.read_bytes()
    reader = marcscope.MARCReader(open(path, "rb"))
    chunks = []
    for record in reader:
        chunks.append(reader.current_chunk)
        assert reader.current_exception is None
    assert b"".join(chunks) == payload


# ---- pymarc's properties, from an independent parse of the twin ------------------------------


def _first(rec, *tags):
    for f in rec.fields:
        if f.tag in tags:
            return f
    return None


def _format_field(f):
    if f.is_control():
        return f.value
    out = ""
    for code, value in f.subfields:
        if code == "6":
            continue
        out += f" -- {value}" if f.tag.startswith("6") and code in "vxyz" else f" {value}"
    return out.strip()


def _title(f):
    if f is None:
        return None
    a = f.get("a")
    if not a:
        return None
    b = f.get("b")
    return a[0] + (f" {b[0]}" if b and b[0] else "")


def _tags(rec, tags):
    return [(f.tag, str(f)) for f in rec.fields if f.tag in tags]


@pytest.mark.parametrize("iso,twin", PAIRS)
def test_properties(data, model, iso, twin):
    import re

    for got, e in zip(marcscope.MARCReader(str(data / iso)), twin_records(model, data / twin)):
        assert got.title == _title(_first(e, "245"))
        assert got.issn_title == _title(_first(e, "222"))
        author = next((f for t in ("100", "110", "111") for f in [_first(e, t)] if f), None)
        assert got.author == (_format_field(author) if author else None)
        uniform = next((f for t in ("130", "240") for f in [_first(e, t)] if f), None)
        assert got.uniformtitle == (_format_field(uniform) if uniform else None)
        f086 = _first(e, "086")
        assert got.sudoc == (_format_field(f086) if f086 else None)
        f020 = _first(e, "020")
        isbn = None
        if f020 is not None and f020.get("a") and f020.get("a")[0]:
            m = re.search(r"([0-9\-xX]+)", f020.get("a")[0])
            isbn = m.group(1).replace("-", "") if m else None
        assert got.isbn == isbn
        f022 = _first(e, "022")
        assert got.issn == (f022.get("a")[0] if f022 is not None and f022.get("a") else None)
        assert got.issnl == (f022.get("l")[0] if f022 is not None and f022.get("l") else None)
        pub = None
        year = None
        for f in e.fields:
            if f.tag == "260" or (f.tag == "264" and f.ind2 == "1"):
                pub = f.get("b")[0] if f.get("b") else None
                year = f.get("c")[0] if f.get("c") else None
                break
        assert got.publisher == pub
        assert got.pubyear == year
        for prop, tags in [
            ("series", {"440", "490", "800", "810", "811", "830"}),
            ("location", {"852"}),
            ("physicaldescription", {"300"}),
            ("notes", {t for t in (f"5{n:02}" for n in range(100)) if t not in {"503", "509", "512", "517", "519", "523", "527", "528", "529", "531", "532", "537", "539", "542", "543", "548", "549", "551", "553", "554", "557", "558", "559", "560", "564", "566", "568", "569", "570", "571", "572", "573", "574", "575", "576", "577", "578", "579", "582", "587", "588", "589"}}),
            ("subjects", {"600", "610", "611", "630", "648", "650", "651", "653", "654", "655", "656", "657", "658", "662", "690", "691", "696", "697", "698", "699"}),
            ("addedentries", {"700", "710", "711", "720", "730", "740", "752", "753", "754", "790", "791", "792", "793", "796", "797", "798", "799"}),
        ]:
            value = getattr(got, prop)
            assert isinstance(value, list)
            assert [f.tag for f in value] == [f.tag for f in e.fields if f.tag in tags], prop
            assert all(isinstance(f, marcscope.Field) for f in value)


def test_properties_of_pymarc_test_file(data):
    # pymarc's own test file (test/marc.dat): its documented first records.
    records = list(marcscope.MARCReader(open(data / "valid/pymarc-marc.dat", "rb")))
    first = records[0]
    assert first.title == "The pragmatic programmer : from journeyman to master /"
    assert first.author == "Hunt, Andrew, 1964-"
    assert first.isbn == "020161622X"
    assert first.publisher == "Addison-Wesley,"
    assert first.pubyear == "2000."
    assert [str(f) for f in first.subjects] == ["=650  \\0$aComputer programming."]
    assert records[1].title == "Programming Python /"


# ---- laziness keeps pymarc's reference semantics ---------------------------------------------


def test_fields_handed_out_keep_their_identity(data):
    record = next(marcscope.MARCReader(str(data / "pairs/traject-test_data.utf8.mrc")))
    title = record["245"]
    assert record["245"] is title
    assert record.get("245") is title
    subjects = record.get_fields("650", "600")
    title["a"] = "Changed"
    fields = record.fields
    assert any(f is title for f in fields)
    for s in subjects:
        assert any(f is s for f in fields)
    assert record.title.startswith("Changed")
    record.add_field(marcscope.Field("999", marcscope.Indicators(" ", " "), [marcscope.Subfield("a", "x")]))
    assert record["245"] is title
    record.remove_field(title)
    assert "245" not in record
    assert record.get("245") is None
    back = marcscope.Record(record.as_marc())
    assert back.get("245") is None
    assert back["999"]["a"] == "x"


def field_key(f):
    return (type(f).__name__, f.tag, f.control_field, f.data, f.indicators, list(f.subfields))


@pytest.mark.parametrize("name", ["pairs/traject-test_data.utf8.mrc", "pairs/marcmij-test.mrc",
                                  "pairs/lcmarcedit-marc_sample_data.mrc", "valid/evergreen-sample_acq_order.mrc",
                                  "valid/openlibrary-880_Nihon_no_chasho.mrc"])
def test_undecoded_records_give_what_decoded_ones_give(data, name):
    # A clean UTF-8 record is handed over as its bytes and its fields are made from the engine's
    # view of them; force_utf8 makes the engine decode every record. Both must give the same.
    path = str(data / name)
    lazy = list(marcscope.MARCReader(path, threads=1))
    decoded = list(marcscope.MARCReader(path, threads=1, force_utf8=True))
    assert len(lazy) == len(decoded) > 0
    assert any(marcscope._core._record_undecoded(r) for r in lazy)
    assert not any(marcscope._core._record_undecoded(r) for r in decoded)
    for a, b in zip(lazy, decoded):
        tags = sorted({f.tag for f in b.fields})
        undecoded = marcscope._core._record_undecoded(a)
        assert str(a.leader) == str(b.leader)
        for tag in tags:
            assert tag in a
            assert field_key(a[tag]) == field_key(b[tag])
            assert [field_key(f) for f in a.get_fields(tag)] == [field_key(f) for f in b.get_fields(tag)]
        assert "XYZ" not in a and a.get("XYZ") is None
        assert marcscope._core._record_undecoded(a) == undecoded  # looking did not decode it
        assert a.as_marc() == b.as_marc()
        assert [field_key(f) for f in a.fields] == [field_key(f) for f in b.fields]
        assert a.as_marc() == b.as_marc()
        assert not marcscope._core._record_undecoded(a)


def test_undecoded_record_whole_record_uses(data):
    path = str(data / "pairs/traject-test_data.utf8.mrc")
    (a, b) = (next(marcscope.MARCReader(path)), next(marcscope.MARCReader(path, force_utf8=True)))
    assert marcscope._core._record_undecoded(a)
    # Written and validated straight from the undecoded record, and the same as the decoded one.
    assert a.as_marc() == b.as_marc()
    assert marcscope.validate([a]).findings == marcscope.validate([b]).findings
    assert str(a) == str(b)
    assert marcscope._core._record_undecoded(a)  # str() reads the view as well
    a.fields  # the Field objects: no longer undecoded
    assert not marcscope._core._record_undecoded(a)
    assert str(a) == str(b) and str(a.leader) == str(b.leader)


def test_leader_edits_reach_the_output(data):
    record = next(marcscope.MARCReader(str(data / "pairs/traject-test_data.utf8.mrc")))
    record.leader.record_status = "d"
    record.leader[7] = "s"
    out = record.as_marc()
    assert out[5:6] == b"d" and out[7:8] == b"s"
    assert marcscope.Record(out).leader[5] == "d"


# ---- character sets and pymarc's options -----------------------------------------------------


def test_marc8_record_written_as_pymarc_writes_it(data):
    # pymarc's test pair: Record.as_marc() of the MARC-8 record read with to_unicode=True.
    record = next(marcscope.MARCReader(open(data / "pairs/pymarc-marc8.dat", "rb"), to_unicode=True))
    assert str(record.leader)[9] == " "  # kept as read, as pymarc does
    assert record.as_marc() == (data / "pairs/pymarc-marc8-to-unicode.dat").read_bytes()
    assert str(record.leader)[9] == "a"  # as_marc() sets it, as pymarc does


def test_marc8_to_unicode_line_pairs(data):
    marc8 = (data / "marc8/pymarc-test_marc8.txt").read_bytes().split(b"\n")
    utf8 = (data / "marc8/pymarc-test_utf8.txt").read_text("utf-8").split("\n")
    assert len(marc8) == len(utf8) > 1500
    bad = [i for i, (m, u) in enumerate(zip(marc8, utf8)) if marcscope.marc8_to_unicode(m) != u]
    assert bad == []
    converter = marcscope.MARC8ToUnicode()
    assert converter.translate(marc8[0]) == utf8[0]


def test_to_unicode_false_keeps_bytes(data):
    path = data / "pairs/pymarc-marc8.dat"
    record = next(marcscope.MARCReader(open(path, "rb"), to_unicode=False))
    field = record["245"]
    assert isinstance(field, marcscope.RawField)
    assert isinstance(field["a"], bytes)
    assert isinstance(record["001"].data, bytes)
    assert record.as_marc() == path.read_bytes()
    converted = marcscope.map_marc8_record(record)
    unicode_record = next(marcscope.MARCReader(open(path, "rb")))
    assert [str(f) for f in converted.fields] == [str(f) for f in unicode_record.fields]


def test_force_utf8_and_utf8_handling(data):
    path = data / "valid/pymarc-utf8_without_leader_flag.dat"
    as_marc8 = next(marcscope.MARCReader(str(path)))
    forced = next(marcscope.MARCReader(str(path), force_utf8=True))
    payload = path.read_bytes()
    assert payload[9:10] == b" "
    # Read as UTF-8 the values are the file's bytes decoded as UTF-8.
    for f in forced.fields:
        for s in f.subfields:
            assert s.value.encode("utf-8") in payload
    assert str(as_marc8) != str(forced)
    bad = data / "malformed/traject-bad_utf_byte.utf8.marc"
    strict = marcscope.MARCReader(str(bad))
    errors = [strict.current_exception for r in strict if r is None]
    assert errors and all(isinstance(e, UnicodeDecodeError) for e in errors)
    assert all(any(d.code == "invalid-utf8" for d in e.diagnostics) for e in errors)
    replaced = [r for r in marcscope.MARCReader(str(bad), utf8_handling="replace")]
    assert None not in replaced
    assert any("\ufffd" in s.value for r in replaced for f in r.fields for s in f.subfields)
    with pytest.raises(ValueError):
        marcscope.MARCReader(str(bad), utf8_handling="nonsense")


# ---- other formats through the same reader ---------------------------------------------------


def test_other_formats(data, model):
    xml = data / "pairs/pymarc-batch.xml"
    js = data / "pairs/pymarc-batch.json"
    expected = model.parse_mij(js)
    for records in (
        marcscope.parse_xml_to_array(str(xml)),
        marcscope.parse_xml_to_array(open(xml, "rb")),
        list(marcscope.MARCReader(str(xml))),
        marcscope.parse_json_to_array(str(js)),
        list(marcscope.JSONReader(js.read_text("utf-8"))),
        list(marcscope.JSONReader(open(js, "rb"))),
    ):
        assert [py_fields(r) for r in records] == [e.fields for e in expected]
    seen = []
    marcscope.map_xml(seen.append, str(xml))
    assert [py_fields(r) for r in seen] == [e.fields for e in expected]
    mrk = data / "mrk/marcperl-camel.mrk"
    camel = [py_fields(r) for r in marcscope.MARCMakerReader(str(mrk))]
    assert camel == [py_fields(r) for r in marcscope.MARCReader(str(data / "pairs/marcperl-camel.usmarc"))]
    single = marcscope.parse_json_to_array(str(data / "json/pymarc-test.json"))
    assert len(single) == 1 and single[0]["245"] is not None
    nfd = marcscope.parse_xml_to_array(str(data / "pairs/traject-test_data.utf8.marc.xml"), normalize_form="NFD")
    import unicodedata

    assert all(unicodedata.is_normalized("NFD", s.value) for r in nfd for f in r.fields for s in f.subfields)


def test_empty_and_not_marc_inputs(tmp_path):
    assert list(marcscope.MARCReader(b"")) == []
    assert list(marcscope.MARCReader(io.BytesIO(b""))) == []
    reader = marcscope.MARCReader(b"this is certainly not a MARC record, just some text\n" * 10)
    items = list(reader)
    assert items == [None]
    assert isinstance(reader.current_exception, marcscope.NotMarcError)
    assert isinstance(reader.current_exception, marcscope.RecordLengthInvalid)
    with pytest.raises(marcscope.NotMarcError):
        list(marcscope.read(b"plain text, not MARC, long enough to tell\n" * 10))
    # The same from a file object (short input, told only when it ends; and 64 KB, told at once),
    # and from a file: one None with the exception, as pymarc gives for what it cannot read.
    not_marc = tmp_path / "error.html"
    not_marc.write_bytes(b"<html>Error</html>\n")
    for source in (io.BytesIO(b"<html>Error</html>\n"), io.BytesIO(b"not MARC at all; " * 5000), open(not_marc, "rb")):
        with source:
            reader = marcscope.MARCReader(source)
            items = list(reader)
            assert items == [None]
            assert isinstance(reader.current_exception, marcscope.NotMarcError)
    with pytest.raises(marcscope.NotMarcError):
        list(marcscope.read(io.BytesIO(b"<html>Error</html>\n")))
    # Empty collections, as the writers write them for no records, hold no records (no None).
    empty_xml = b'<?xml version="1.0"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n</collection>\n'
    (tmp_path / "empty.xml").write_bytes(empty_xml)
    for source in (str(tmp_path / "empty.xml"), io.BytesIO(empty_xml), empty_xml, b"[]", io.BytesIO(b"[]\n")):
        assert list(marcscope.MARCReader(source)) == [], source
    assert list(marcscope.read(str(tmp_path / "empty.xml"))) == []
    assert marcscope.parse_xml_to_array(io.BytesIO(empty_xml)) == []
    assert list(marcscope.JSONReader("[]")) == []
    with pytest.raises(OSError):
        marcscope.MARCReader(str(tmp_path / "missing.mrc"))
    with pytest.raises(TypeError):
        list(marcscope.MARCReader(io.StringIO("text")))
    with pytest.raises(TypeError):
        marcscope.MARCReader(12)


def test_damaged_gzip_gives_what_it_holds(data, tmp_path):
    # A .gz cut short: every record that decompressed, then one bad item saying where the input
    # ends (pymarc's TruncatedRecord family), from each reader; read() keeps going and says it in
    # its diagnostics.
    raw = (data / "valid/solrmarc-uva_001_2000.mrc").read_bytes()
    whole = list(marcscope.MARCReader(raw))
    packed = gzip.compress(raw)
    cut = tmp_path / "cut.mrc.gz"
    cut.write_bytes(packed[: len(packed) - 4])  # only the size trailer missing: every record is there
    for threads in (1, None):
        reader = marcscope.MARCReader(str(cut), threads=threads)
        items = list(reader)
        assert [r.as_marc() for r in items[:-1]] == [r.as_marc() for r in whole]
        assert items[-1] is None
        assert isinstance(reader.current_exception, marcscope.exceptions.TruncatedRecord)
        assert "gzip data is truncated" in str(reader.current_exception.diagnostics[0].message)
        reader = marcscope.read(str(cut), threads=threads)
        assert len(list(reader)) == len(whole)
        codes = [d.code for d in reader.diagnostics]
        assert codes[-1] == "input-damaged" and codes.count("input-damaged") == 1
        plain = marcscope.read(raw, threads=threads)
        assert len(list(plain)) == len(whole)
        assert codes[:-1] == [d.code for d in plain.diagnostics]
    # A .gz given as a file object is not decompressed by the reader: said, not read as junk.
    with open(cut, "rb") as f:
        reader = marcscope.MARCReader(f)
        assert list(reader) == [None]
        assert isinstance(reader.current_exception, marcscope.NotMarcError)
        assert "gzip" in str(reader.current_exception)


def test_documents_not_well_formed_raise_as_pymarc(data):
    # pymarc parses MARCXML with xml.sax and MARC-in-JSON with json.load: a document cut short
    # or not XML/JSON at all raises their exception; so it does here, once the records before
    # the error are read (map_xml has called its function on them).
    import json
    import xml.sax

    xml_bytes = (data / "xml/traject-tiny.xml").read_bytes()
    assert len(marcscope.parse_xml_to_array(io.BytesIO(xml_bytes))) == 3
    for broken in (xml_bytes[:700], b"not xml at all"):
        with pytest.raises(xml.sax.SAXParseException) as caught:
            marcscope.parse_xml_to_array(io.BytesIO(broken))
        assert caught.value.getLineNumber() >= 1
    seen = []
    with pytest.raises(xml.sax.SAXParseException):
        marcscope.map_xml(seen.append, io.BytesIO(xml_bytes[:700]))
    assert len(seen) == 1
    json_bytes = (data / "json/pymarc-test.json").read_bytes()
    assert len(list(marcscope.JSONReader(json_bytes))) == 1
    for broken in (json_bytes[: len(json_bytes) // 2], b"[{"):
        with pytest.raises(json.JSONDecodeError) as caught:
            list(marcscope.JSONReader(broken))
        assert caught.value.lineno >= 1 and "JSON syntax error" in str(caught.value)
    mrk = b"=LDR  00000nam a2200000 a 4500\n=001  x\nthis line is garbage\n\n=LDR  00000nam a2200000 a 4500\n=001  y\n"
    with pytest.raises(marcscope.exceptions.PymarcException):
        list(marcscope.MARCMakerReader(mrk))
