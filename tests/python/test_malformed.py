"""Bad input: pymarc's permissive iteration (None, current_exception, current_chunk, the stop
after a fatal reader error), the engine's modes, and diagnostics that name every problem."""

from __future__ import annotations

import collections
import io

import pytest

import marcscope
from marcscope import exceptions

ISO_SUFFIXES = {".mrc", ".dat", ".bin", ".usmarc", ".marc"}


def malformed_files(data):
    return sorted(p for p in (data / "malformed").iterdir() if p.is_file())


def expected_outcomes(data):
    """tests/engine/malformed_expected.tsv: file, mode -> (delivered, {code: count})."""
    out = {}
    for line in (data.parent / "engine" / "malformed_expected.tsv").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, mode, delivered, codes = (line.split("\t") + [""])[:4]
        counts = {}
        for item in filter(None, codes.split(",")):
            code, n = item.split("=")
            counts[code] = int(n)
        out[(name, mode)] = (int(delivered), counts)
    return out


def test_every_malformed_file_iterates_in_pymarc_style(data):
    checked = 0
    for path in malformed_files(data):
        reader = marcscope.MARCReader(open(path, "rb"))
        items = 0
        for record in reader:
            items += 1
            if record is None:
                exc = reader.current_exception
                assert isinstance(exc, (marcscope.PymarcException, UnicodeDecodeError)), path.name
                assert exc.diagnostics, path.name
                assert all(d.severity in ("warning", "error", "fatal") for d in exc.diagnostics)
                if isinstance(exc, UnicodeDecodeError):
                    assert any(d.code == "invalid-utf8" for d in exc.diagnostics), path.name
                else:
                    assert any(d.severity in ("error", "fatal") for d in exc.diagnostics), path.name
                assert str(exc)
                if path.suffix in ISO_SUFFIXES and not isinstance(exc, marcscope.NotMarcError):
                    assert isinstance(reader.current_chunk, bytes), path.name
            else:
                assert isinstance(record, marcscope.Record)
                assert reader.current_exception is None
                str(record)
                record.as_dict()
            assert items < 10_000
        checked += 1
    assert checked >= 70


def test_pymarc_bad_records_sequence(data):
    # pymarc's own bad-records file: a good record, bad ones, a good one, then a truncated one.
    reader = marcscope.MARCReader(open(data / "malformed/pymarc-bad_records.mrc", "rb"))
    seen = []
    for record in reader:
        seen.append(record if record is not None else reader.current_exception)
    assert isinstance(seen[0], marcscope.Record)
    assert isinstance(seen[7], marcscope.Record)
    assert isinstance(seen[1], exceptions.BaseAddressInvalid)
    # A base address of 00000: pymarc's BaseAddressNotFound, not its BaseAddressInvalid.
    assert isinstance(seen[2], exceptions.BaseAddressNotFound)
    assert not isinstance(seen[2], exceptions.BaseAddressInvalid)
    assert [i for i, s in enumerate(seen) if isinstance(s, exceptions.BaseAddressNotFound)] == [2]
    # A base address that is not digits ("f0037"): pymarc's int() raises ValueError there.
    assert isinstance(seen[5], exceptions.BaseAddressNotDigits)
    assert isinstance(seen[5], exceptions.BaseAddressInvalid) and isinstance(seen[5], ValueError)
    assert [s for s in seen if isinstance(s, ValueError)] == [seen[5]]
    assert isinstance(seen[6], exceptions.NoFieldsFound)
    assert all(isinstance(s, marcscope.PymarcException) for i, s in enumerate(seen) if i not in (0, 7))
    assert isinstance(seen[-1], exceptions.TruncatedRecord)
    assert isinstance(seen[-1], exceptions.FatalReaderError)
    assert len(seen) == 9
    numbers = [d.record for s in seen[1:7] for d in s.diagnostics[:1]]
    assert numbers == [2, 3, 4, 5, 6, 7]


def test_fatal_error_stops_by_default_and_modes_read_on(data, tmp_path):
    path = data / "malformed/catmandu-bu_bibs.mrc"
    expected = expected_outcomes(data)
    reader = marcscope.MARCReader(open(path, "rb"))
    items = list(reader)
    # pymarc: two good records, then None for the record whose length is wrong, then the end.
    assert [i is not None for i in items] == [True, True, False]
    assert isinstance(reader.current_exception, exceptions.FatalReaderError)
    permissive = list(marcscope.MARCReader(open(path, "rb"), mode="permissive"))
    delivered, codes = expected[(path.name, "permissive")]
    assert sum(r is not None for r in permissive) == delivered
    assert sum(r is None for r in permissive) == codes["record-skipped"]
    strict = list(marcscope.MARCReader(str(path), mode="strict"))
    assert sum(r is not None for r in strict) == expected[(path.name, "strict")][0]
    assert strict[-1] is None
    reader = marcscope.read(str(path))
    good = list(reader)
    assert None not in good and len(good) == delivered
    assert reader.records_skipped == codes["record-skipped"]
    mismatches = [d for d in reader.diagnostics if d.code == "record-length-mismatch"]
    assert len(mismatches) == codes["record-length-mismatch"]
    payload = path.read_bytes()
    for d in mismatches:
        assert d.record > 0 and 0 <= d.offset < len(payload)
        assert str(d).startswith(f"record {d.record} at byte {d.offset}")


def test_modes_against_the_engine_expectations(data):
    """Every ISO 2709 file of the malformed corpus, in each mode, read through Python: the
    records delivered and the diagnostic codes are those tests/engine/malformed_expected.tsv
    lists (reviewed by hand for the engine)."""
    expected = expected_outcomes(data)
    compared = 0
    for (name, mode), (delivered, codes) in sorted(expected.items()):
        path = data / "malformed" / name
        for source in (str(path), io.BytesIO(path.read_bytes())):
            reader = marcscope.read(source, mode=mode)
            records = list(reader)
            assert len(records) == delivered, (name, mode)
            got = collections.Counter(d.code for d in reader.diagnostics)
            assert dict(got) == codes, (name, mode)
            compared += 1
    assert compared >= 180


def test_recover_marks_repairs(data):
    path = data / "malformed/catmandu-bu_bibs.mrc"
    records = list(marcscope.read(str(path), mode="recover"))
    repaired = [r for r in records if any(d.code == "record-repaired" for d in r.diagnostics)]
    assert repaired
    for r in repaired:
        assert r.number > 0 and r.offset >= 0


def test_record_from_bad_bytes_raises_pymarc_exceptions(data):
    chunks = []
    reader = marcscope.MARCReader(open(data / "malformed/pymarc-bad_records.mrc", "rb"))
    for record in reader:
        if record is None and not isinstance(reader.current_exception, exceptions.FatalReaderError):
            chunks.append((reader.current_chunk, type(reader.current_exception)))
    assert chunks
    assert exceptions.BaseAddressNotFound in {cls for _, cls in chunks}
    for chunk, cls in chunks:
        with pytest.raises(cls):
            marcscope.Record(data=chunk)


@pytest.mark.parametrize("data", [b"foo", b"\n\n", b"\x1d"])
def test_bytes_holding_no_record_have_no_leader(data):
    """Record(data=...) of fewer bytes than a leader, in which the engine finds no record: pymarc's
    RecordLeaderInvalid, with the engine's diagnostics (if any) attached."""
    with pytest.raises(exceptions.RecordLeaderInvalid) as caught:
        marcscope.Record(data=data)
    assert not isinstance(caught.value, exceptions.NotMarcError)
    assert isinstance(caught.value.diagnostics, list)
    # As many bytes as a leader, or more: a record length that is no number, or not MARC (a
    # RecordLengthInvalid too), rather than a missing leader.
    with pytest.raises(exceptions.RecordLengthInvalid):
        marcscope.Record(data=data * 30)


def test_leader_counts_left_blank_read_back():
    """A record whose leader a script set with blank leader/10-11: MARCWriter writes it as the
    record has it (pymarc's as_marc does the same), and it reads back, counts read as "22" with a
    warning, rather than coming back as None."""
    record = marcscope.Record()
    record.add_field(marcscope.Field("245", marcscope.Indicators("1", "0"), [marcscope.Subfield("a", "\u1234 title")]))
    record.leader = "         a              "
    out = io.BytesIO()
    marcscope.MARCWriter(out).write(record)
    raw = out.getvalue()
    assert raw[10:12] == b"  "
    for source in (io.BytesIO(raw), raw):
        reader = marcscope.MARCReader(source)
        (again,) = list(reader)
        assert again is not None, reader.current_exception
        assert again["245"]["a"] == "\u1234 title"
        assert str(again.leader)[10:12] == "22"
        assert {d.code for d in again.diagnostics} == {"leader-unusual-value"}  # 10-11, and 20-23 ("    ")
        assert any("leader/10-11" in d.message for d in again.diagnostics)


def test_stray_bytes_between_records_are_no_records(data):
    """A byte order mark and stray terminators (malformed/recover-stray-bytes.mrc) are skipped
    with a diagnostic each, not handed over as None: the four records come through in order,
    from a path and from a file object alike."""
    path = data / "malformed" / "recover-stray-bytes.mrc"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    for source in (str(path), io.BytesIO(raw)):
        reader = marcscope.MARCReader(source)
        records = list(reader)
        assert len(records) == 4
        assert all(r is not None for r in records)
        assert [r["001"].data for r in records] == [r["001"].data for r in marcscope.MARCReader(
            b"".join(raw[i:j] for i, j in _record_spans(raw)))]
        junk = [d for d in reader.diagnostics if d.code == "junk-between-records"]
        assert [(d.severity, d.offset) for d in junk][0] == ("warning", 0)
        assert [d.severity for d in junk[1:]] == ["error", "error", "error"]
        assert all(raw[d.offset] in b"\x1d\x1e" for d in junk[1:])


def _record_spans(raw):
    """Where each record lies, by its leader's length: after the mark, and past stray terminators."""
    at = 3
    while at < len(raw):
        while raw[at] in b"\x1d\x1e":
            at += 1
        n = int(raw[at:at + 5])
        yield at, at + n
        at += n


def test_subfield_code_of_several_bytes_is_read_whole(data):
    """PYTHON.md, difference 14: pymarc's utf8_invalid.mrc has U+FFFD (three bytes) as a 260 code in
    a record that is valid UTF-8. The whole character is the code, so the value after it is valid
    and the record reads with the default strict utf8_handling, as in pymarc."""
    reader = marcscope.MARCReader(open(data / "malformed/pymarc-utf8_invalid.mrc", "rb"))
    (record,) = list(reader)
    assert record is not None, reader.current_exception
    assert marcscope.Subfield("?", "bAssociation of Teacher Educators]") in record["260"].subfields
    assert [d.code for d in record.diagnostics] == ["subfield-code-invalid"]
    raw = record.as_marc()
    assert b"\x1f?bAssociation" in raw and b"\xef\xbf\xbd" not in raw


@pytest.mark.parametrize("leader09", [b" ", b"a"])
def test_subfield_code_above_ascii_becomes_a_question_mark(leader09):
    """PYTHON.md, difference 14: the record comes through, its code is "?" and a diagnostic says why."""
    body, ctl = b"10\x1f\xe9Title\x1e", b"123\x1e"
    directory = b"001%04d%05d245%04d%05d\x1e" % (len(ctl), 0, len(body), len(ctl))
    base = 24 + len(directory)
    raw = (b"%05dnam %s22%05d   4500" % (base + len(ctl) + len(body) + 1, leader09, base) + directory + ctl + body
           + b"\x1d")
    for source in (raw, io.BytesIO(raw)):
        (record,) = list(marcscope.MARCReader(source))
        assert record["245"].subfields == [marcscope.Subfield(code="?", value="Title")]
        assert "subfield-code-invalid" in [d.code for d in record.diagnostics]
