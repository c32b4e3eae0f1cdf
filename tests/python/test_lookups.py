"""record.get / record[tag] and field.get / field[code], as pymarc defines them.

The module puts C methods in place of the Python ones of these names (they run once or more per
record in nearly every script). Each must answer exactly as pymarc's do: the reference below
spells pymarc's rules out in Python, and every record of the fixtures is asked, read lazily and
with its field list made, for present and absent tags and codes.
"""

from __future__ import annotations

import collections

import pytest

import marcscope
from marcscope import Field, Record, Subfield

NAMES = [
    "pairs/lcmarcedit-marc_sample_data.mrc",
    "valid/evergreen-nepali.marc",
    "pairs/traject-test_data.utf8.mrc",
    "valid/pymarc-marc.dat",
    "valid/evergreen-lul_fre_100.mrc",
]
TAGS = ["001", "008", "020", "100", "245", "260", "650", "700", "880", "999", "LDR", ""]
CODES = ["a", "b", "c", "6", "z", "", "ab"]
MISSING = object()


def ref_record_get(record, tag, default=None):
    for f in record.fields:
        if f.tag == tag:
            return f
    return default


def ref_field_get(field, code, default=None):
    if field.control_field:
        return default
    for s in field.subfields:
        if s.code == code:
            return s.value
    return default


def records(data, name, materialise):
    for r in marcscope.MARCReader(str(data / name)):
        if r is None:
            continue
        if materialise:
            r.fields  # the Python list becomes the record
        yield r


@pytest.mark.parametrize("materialise", [False, True], ids=["lazy", "fields made"])
@pytest.mark.parametrize("name", NAMES)
def test_lookups_answer_as_pymarc(data, name, materialise):
    asked = 0
    # The reference reads every field: ask a twin record read the same way.
    for r, twin in zip(records(data, name, materialise), records(data, name, True)):
        for tag in TAGS:
            want = ref_record_get(twin, tag, MISSING)
            got = r.get(tag, MISSING)
            assert (got is MISSING) == (want is MISSING), tag
            assert r.get(tag) is (None if want is MISSING else got)
            assert r.get(tag=tag, default=5) is (5 if want is MISSING else got)
            if want is MISSING:
                with pytest.raises(KeyError) as e:
                    r[tag]
                assert e.value.args == (tag,)
                continue
            assert str(got) == str(want) and got.tag == tag
            assert r[tag] is got  # the same object, every time
            for code in CODES:
                fwant = ref_field_get(want, code, MISSING)
                assert got.get(code, MISSING) == fwant
                assert got.get(code) == (None if fwant is MISSING else fwant)
                assert got.get(default="d", code=code) == ("d" if fwant is MISSING else fwant)
                if fwant is MISSING:
                    with pytest.raises(KeyError) as e:
                        got[code]
                    assert e.value.args == (code,)
                else:
                    assert got[code] == fwant
                asked += 1
    assert asked > 100


def test_first_of_many_and_edited_records():
    f = Field(tag="650", indicators=[" ", "0"], subfields=[Subfield("a", "one"), Subfield("x", "two"), Subfield("a", "three")])
    assert f.get("a") == "one" and f["x"] == "two"
    f.subfields[0] = Subfield("a", "new")
    assert f["a"] == "new"
    f.add_subfield("q", "added")
    assert f.get("q") == "added"
    f.delete_subfield("a")
    assert f["a"] == "three"
    control = Field(tag="001", data="abc")
    assert control.get("a") is None and control.get("a", 7) == 7
    with pytest.raises(KeyError):
        control["a"]
    control.subfields = [Subfield("a", "hidden")]  # a control field has no subfields to look in
    assert control.get("a") is None
    with pytest.raises(KeyError):
        control["a"]
    r = Record()
    r.add_field(control, f)
    assert r["650"] is f and r.get("001") is control
    r.remove_field(control)
    assert r.get("001") is None
    other = Field(tag="001", data="x")
    r.add_ordered_field(other)
    assert r["001"] is other
    # Fields of a record read from a file, edited after a look-up.
    rec = Record(data=r.as_marc())
    first = rec["650"]
    rec.remove_field(first)
    assert rec.get("650") is None


def test_subfields_that_are_not_subfield_tuples():
    # pymarc reads s.code and s.value: any object with them will do, in any iterable.
    Pair = collections.namedtuple("Pair", "value code")  # not Subfield, fields the other way round
    f = Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", "x")])
    f.subfields = [Pair("v1", "b"), Pair("v2", "a")]
    assert f.get("a") == "v2" and f["b"] == "v1"
    f.subfields = (Subfield("c", "tuple"),)
    assert f["c"] == "tuple"

    class Odd:
        code = "z"

        @property
        def value(self):
            raise RuntimeError("value read")

    f.subfields = [Odd()]
    with pytest.raises(RuntimeError, match="value read"):
        f.get("z")
    assert f.get("y") is None


def test_comparison_errors_propagate():
    class Bad:
        def __eq__(self, other):
            raise ValueError("no comparing")

    f = Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", "x")])
    with pytest.raises(ValueError, match="no comparing"):
        f.get(Bad())
    r = Record()
    r.add_field(f)
    with pytest.raises(ValueError, match="no comparing"):
        r.get(Bad())


def test_arguments_checked():
    f = Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", "x")])
    r = Record()
    for method in (f.get, r.get):
        with pytest.raises(TypeError):
            method()
        with pytest.raises(TypeError):
            method("a", 1, 2)
        with pytest.raises(TypeError):
            method("a", colour=1)
        with pytest.raises(TypeError):
            method("a", 1, default=2)  # default given twice
    with pytest.raises(TypeError):
        Field.get(r, "a")  # not a Field


def test_subclasses_keep_their_own_methods():
    class MyField(Field):
        def get(self, code, default=None):
            return "mine"

    class MyRecord(Record):
        def __getitem__(self, tag):
            return "mine"

    f = MyField(tag="245", indicators=["0", "0"], subfields=[Subfield("a", "x")])
    assert f.get("a") == "mine" and f["a"] == "x"
    r = MyRecord()
    r.add_field(f)
    assert r["245"] == "mine" and r.get("245") is f


@pytest.mark.parametrize("count", [0, 1, 31, 32, 33, 70])
def test_fields_made_from_undecoded_records(count):
    # A clean UTF-8 record is handed over undecoded; its fields are made from the engine's view of
    # its bytes: no subfield, one, many; ASCII values, values beyond ASCII and empty ones all come
    # back as written, from the path reader and the parallel one.
    values = ["plain ascii", "", "caf\u00e9 na\u00efve", "\u65e5\u672c\u8a9e", "x" * 300, "a b  c "]
    subfields = [Subfield("abcdefghijklmnopqrstuvwxyz0123456789"[i % 36], values[i % len(values)]) for i in range(count)]
    r = Record(force_utf8=True)
    r.add_field(Field(tag="001", data="id \u00e9"), Field(tag="500", indicators=["1", " "], subfields=subfields))
    data = r.as_marc()
    for reader in (marcscope.MARCReader(data, threads=1), marcscope.read(data)):
        (got,) = list(reader)
        assert _core_undecoded(got)
        field = got["500"]
        assert field.subfields == subfields and tuple(field.indicators) == ("1", " ")
        assert got["001"].data == "id \u00e9"
        assert [s.value for s in got.fields[1].subfields] == [s.value for s in subfields]


def _core_undecoded(record):
    return marcscope._core._record_undecoded(record)


def ref_field_value(field):
    """field.py's Field.value(), which a C method stands in for."""
    if field.control_field:
        return field.data or ""
    return " ".join([s.value.strip() for s in field.subfields])


@pytest.mark.parametrize("name", NAMES)
def test_value_answers_as_the_reference(data, name):
    assert type(Field.__dict__["value"]).__name__ == "method_descriptor"  # the C method is in place
    n = 0
    for r in records(data, name, True):
        for f in r.fields:
            assert f.value() == ref_field_value(f)
            n += 1
    assert n > 100


def test_value_of_odd_fields():
    class Loose:  # a subfield that is no Subfield: its value is looked up by name
        code, value = "q", " loose\u3000"

    cases = [
        Field(tag="001", data="abc"), Field(tag="001", data=""), Field(tag="001", data=None),
        Field(tag="500", indicators=[" ", " "], subfields=[]),
        Field(tag="500", indicators=[" ", " "], subfields=[Subfield("a", "  x  "), Subfield("b", "\xa0y\t\n"), Subfield("c", "")]),
        Field(tag="500", indicators=[" ", " "], subfields=[Subfield("a", "x"), Loose()]),
    ]
    for f in cases:
        assert f.value() == ref_field_value(f)
    assert cases[4].value() == "x y " and cases[5].value() == "x loose"
    # What Python's own calls raise, the C method raises.
    bad = Field(tag="500", indicators=[" ", " "], subfields=[Subfield("a", b" raw ")])
    with pytest.raises(TypeError) as got:
        bad.value()
    with pytest.raises(TypeError) as want:
        ref_field_value(bad)
    assert str(got.value) == str(want.value)
    from marcscope.field import RawField

    raw = RawField(tag="500", indicators=[" ", " "], subfields=[Subfield("a", b" raw "), Subfield("b", b"x")])
    assert raw.value() == b"raw x"  # RawField's own value() (bytes)
