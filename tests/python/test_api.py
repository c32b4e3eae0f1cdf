"""pymarc's API as its documentation describes it: Field, Record, Leader, exceptions, modules."""

from __future__ import annotations

import copy
import importlib
import io
import json
import pickle

import pytest

import marcscope
from marcscope import Field, Indicators, Leader, Record, Subfield, exceptions


def title_field():
    return Field(
        tag="245",
        indicators=Indicators("0", "1"),
        subfields=[
            Subfield(code="a", value="The pragmatic programmer : "),
            Subfield(code="b", value="from journeyman to master /"),
            Subfield(code="c", value="Andrew Hunt, David Thomas."),
        ],
    )


def test_field_basics():
    f = title_field()
    assert f.tag == "245" and not f.control_field and not f.is_control_field()
    assert f.indicators == Indicators("0", "1") and f.indicator1 == "0" and f.indicator2 == "1"
    assert f["a"] == "The pragmatic programmer : "
    assert f.get("z") is None and f.get("z", "x") == "x"
    with pytest.raises(KeyError):
        f["z"]
    assert "a" in f and "z" not in f
    assert f.get_subfields("a", "c") == ["The pragmatic programmer : ", "Andrew Hunt, David Thomas."]
    assert f.value() == "The pragmatic programmer : from journeyman to master / Andrew Hunt, David Thomas."
    assert str(f) == "=245  01$aThe pragmatic programmer : $bfrom journeyman to master /$cAndrew Hunt, David Thomas."
    assert [s.code for s in f] == ["a", "b", "c"]
    assert f.subfields_as_dict() == {"a": ["The pragmatic programmer : "], "b": ["from journeyman to master /"],
                                     "c": ["Andrew Hunt, David Thomas."]}
    f["a"] = "New"
    assert f["a"] == "New" and f.subfields[0] == Subfield("a", "New")
    f.add_subfield("a", "Second")
    with pytest.raises(KeyError):
        f["a"] = "ambiguous"
    with pytest.raises(KeyError):
        f["q"] = "absent"
    f.add_subfield("0", "first", 0)
    assert f.subfields[0] == Subfield("0", "first")
    f.add_subfield("9", "end", 99)
    assert f.subfields[-1] == Subfield("9", "end")
    assert f.delete_subfield("a") == "New"
    assert f.delete_subfield("q") is None
    f.indicator1 = "1"
    f.indicators = ["2", "3"]
    assert f.indicators == Indicators("2", "3") and isinstance(f.indicators, Indicators)
    with pytest.raises(ValueError):
        f.indicators = ["1", "2", "3"]
    assert f.as_marc("utf-8").startswith(b"23\x1f0first\x1fb") and f.as_marc("utf-8").endswith(b"\x1e")


def test_control_field():
    f = Field(tag="001", data="fol05731351 ")
    assert f.control_field and f.is_control_field()
    assert f.data == "fol05731351 " and f.value() == "fol05731351 "
    assert f.indicators is None and f.indicator1 == "" and f.indicator2 == ""
    assert str(f) == "=001  fol05731351\\"
    assert f.get("a") is None and "a" not in f and f.get_subfields("a") == [] and f.subfields_as_dict() == {}
    with pytest.raises(KeyError):
        f["a"]
    with pytest.raises(KeyError):
        f["a"] = "x"
    f.add_subfield("a", "ignored")
    assert f.subfields == [] and f.delete_subfield("a") is None
    assert Field(tag=8, data="x").tag == "008"
    assert Field(tag="FMT", indicators=Indicators(" ", " ")).control_field is False


def test_field_rejects_legacy_subfields():
    with pytest.raises(ValueError):
        Field("245", Indicators("0", "0"), ["a", "title"])
    assert Field.convert_legacy_subfields(["a", "x", "b", "y"]) == [Subfield("a", "x"), Subfield("b", "y")]


def test_format_field_for_subjects():
    f = Field("650", Indicators(" ", "0"), [Subfield("6", "880-01"), Subfield("a", "Python"), Subfield("x", "Study"),
                                           Subfield("z", "Paris")])
    assert f.format_field() == "Python -- Study -- Paris"
    assert f.is_subject_field()
    g = Field("700", Indicators("1", " "), [Subfield("a", "Hunt, Andrew,"), Subfield("x", "y")])
    assert g.format_field() == "Hunt, Andrew, y"
    assert f.linkage_occurrence_num() == "01"


def test_record_construction_and_lookup():
    r = Record()
    assert str(r.leader) == "          22        4500"
    assert isinstance(r.leader, Leader)
    assert Record(force_utf8=True).leader[9] == "a"
    r.add_field(Field("001", data="123"), title_field())
    assert r["245"]["a"].startswith("The pragmatic")
    assert r.get("999") is None and r.get("999", "d") == "d"
    with pytest.raises(KeyError):
        r["999"]
    assert "245" in r and "999" not in r
    assert [f.tag for f in r] == ["001", "245"]
    assert r.get_fields() == r.fields and [f.tag for f in r.get_fields("245", "001")] == ["001", "245"]
    assert r.title == "The pragmatic programmer :  from journeyman to master /"
    assert str(r) == "=LDR            22        4500\n=001  123\n" + str(title_field()) + "\n"


def test_ordered_and_grouped_fields():
    r = Record()
    for tag in ("001", "245", "650", "700"):
        r.add_field(Field(tag, data="x") if tag < "010" else Field(tag, Indicators(" ", " "), [Subfield("a", tag)]))
    r.add_ordered_field(Field("600", Indicators(" ", " "), [Subfield("a", "o")]))
    assert [f.tag for f in r.fields] == ["001", "245", "600", "650", "700"]
    r.add_grouped_field(Field("250", Indicators(" ", " "), [Subfield("a", "g")]))
    assert [f.tag for f in r.fields] == ["001", "245", "250", "600", "650", "700"]
    r.add_ordered_field(Field("ABC", Indicators(" ", " "), []))
    assert r.fields[-1].tag == "ABC"
    first650 = r["650"]
    r.remove_field(first650)
    assert "650" not in r
    with pytest.raises(exceptions.FieldNotFound):
        r.remove_field(first650)
    r.remove_fields("600", "700")
    assert [f.tag for f in r.fields] == ["001", "245", "250", "ABC"]


def test_linked_fields():
    r = Record()
    f245 = Field("245", Indicators("1", "0"), [Subfield("6", "880-01"), Subfield("a", "Title")])
    r.add_field(f245, Field("880", Indicators("1", "0"), [Subfield("6", "245-01"), Subfield("a", "Ttl")]))
    assert [f["a"] for f in r.get_linked_fields(f245)] == ["Ttl"]
    lonely = Field("100", Indicators("1", " "), [Subfield("6", "880-02"), Subfield("a", "Name")])
    with pytest.raises(exceptions.MissingLinkedFields):
        r.get_linked_fields(lonely)


def test_as_dict_and_json_round_trip():
    r = Record()
    r.add_field(Field("001", data="1"), title_field())
    d = r.as_dict()
    assert d == {"leader": "          22        4500", "fields": [{"001": "1"}, {"245": {"ind1": "0", "ind2": "1",
                 "subfields": [{"a": "The pragmatic programmer : "}, {"b": "from journeyman to master /"},
                               {"c": "Andrew Hunt, David Thomas."}]}}]}
    assert json.loads(r.as_json()) == d
    back = marcscope.parse_json_to_array(r.as_json())
    assert back[0].as_dict()["fields"] == d["fields"]


def test_leader():
    leader = Leader("00475cas a2200169 i 4500")
    assert leader[0:5] == "00475" and leader.record_length == "00475"
    assert leader.record_status == "c" and leader[5] == "c"
    leader.record_status = "a"
    leader[7] = "m"
    leader[0:5] = "00000"
    assert str(leader) == "00000aam a2200169 i 4500"
    assert leader["type_of_record"] == "a"
    leader["coding_scheme"] = " "
    assert leader.coding_scheme == " "
    with pytest.raises(exceptions.BadLeaderValue):
        leader.record_status = "ab"
    with pytest.raises(exceptions.BadLeaderValue):
        leader[22] = "abc"
    with pytest.raises(exceptions.RecordLeaderInvalid):
        Leader("short")
    for name, pos in [("type_of_control", 8), ("indicator_count", 10), ("subfield_code_count", 11),
                      ("encoding_level", 17), ("cataloging_form", 18), ("multipart_ressource", 19),
                      ("length_of_field_length", 20), ("starting_character_position_length", 21),
                      ("implementation_defined_length", 22)]:
        assert getattr(leader, name) == str(leader)[pos]
    assert leader.base_address == "00169"


def test_exception_hierarchy():
    for cls in (exceptions.RecordLengthInvalid, exceptions.TruncatedRecord, exceptions.EndOfRecordNotFound):
        assert issubclass(cls, exceptions.FatalReaderError)
    for cls in (exceptions.FatalReaderError, exceptions.RecordLeaderInvalid, exceptions.RecordDirectoryInvalid,
                exceptions.NoFieldsFound, exceptions.BaseAddressInvalid, exceptions.BaseAddressNotFound,
                exceptions.WriteNeedsRecord, exceptions.NoActiveFile, exceptions.FieldNotFound,
                exceptions.BadLeaderValue, exceptions.MissingLinkedFields):
        assert issubclass(cls, exceptions.PymarcException)
    assert issubclass(exceptions.BadSubfieldCodeWarning, Warning)
    assert issubclass(marcscope.NotMarcError, exceptions.RecordLengthInvalid)
    assert issubclass(marcscope.MarcIOError, OSError)
    assert str(exceptions.TruncatedRecord()) == "Record length in leader is greater than the length of data"


def test_pymarc_module_names_and_constants():
    for name in ("record", "field", "reader", "writer", "marcxml", "marcjson", "marc8", "exceptions", "constants",
                 "leader"):
        importlib.import_module(f"marcscope.{name}")
    from marcscope.constants import END_OF_FIELD, END_OF_RECORD, LEADER_LEN, SUBFIELD_INDICATOR

    assert (LEADER_LEN, SUBFIELD_INDICATOR, END_OF_FIELD, END_OF_RECORD) == (24, "\x1f", "\x1e", "\x1d")
    assert marcscope.DIRECTORY_ENTRY_LEN == 12
    for name in ("MARCReader", "MARCWriter", "XMLWriter", "JSONWriter", "TextWriter", "JSONReader", "MARCMakerReader",
                 "parse_xml_to_array", "map_xml", "map_records", "record_to_xml", "record_to_xml_node",
                 "parse_json_to_array", "marc8_to_unicode", "MARC8ToUnicode", "Record", "Field", "Subfield",
                 "Indicators", "Leader", "RawField", "Reader", "Writer", "XmlHandler", "parse_xml", "JSONHandler",
                 "MARC_XML_NS", "MARC_XML_SCHEMA", "XSI_NS", "map_marc8_field", "map_marc8_record"):
        assert hasattr(marcscope, name), name
    assert isinstance(marcscope.__version__, str) and marcscope.__version__.count(".") == 2


def test_version_is_the_projects(data):
    import re

    cmake = (data.parent.parent / "CMakeLists.txt").read_text()
    assert re.search(r"project\(MarcScope VERSION ([0-9.]+)", cmake).group(1) == marcscope.__version__


def test_copy_and_pickle(data):
    record = next(marcscope.MARCReader(str(data / "pairs/traject-test_data.utf8.mrc")))
    for clone in (pickle.loads(pickle.dumps(record)), copy.deepcopy(record)):
        assert clone is not record
        assert clone.as_marc() == record.as_marc()
        assert clone.title == record.title
        clone["245"]["a"] = "changed"
        assert record.title != clone.title


def test_xml_and_json_handlers_as_pymarc_documents_them(data):
    # pymarc's streaming pattern: subclass XmlHandler, override process_record, parse_xml.
    path = data / "xml/traject-tiny.xml"
    titles = []

    class Titles(marcscope.XmlHandler):
        def process_record(self, record):
            titles.append(record.title)

    marcscope.parse_xml(str(path), Titles())
    assert titles == [r.title for r in marcscope.parse_xml_to_array(str(path))] and len(titles) == 3
    kept = marcscope.XmlHandler(normalize_form="NFD")
    marcscope.parse_xml(io.BytesIO(path.read_bytes()), kept)
    assert [r.title for r in kept.records] == titles
    # Any other ContentHandler gets the SAX events, as pymarc's parse_xml gives them.
    import xml.sax.handler

    class Count(xml.sax.handler.ContentHandler):
        records = 0

        def startElementNS(self, name, qname, attrs):
            if name == (marcscope.MARC_XML_NS, "record"):
                Count.records += 1

    marcscope.parse_xml(str(path), Count())
    assert Count.records == 3
    # JSONHandler: objects already parsed, made Records.
    objects = json.loads((data / "json/pymarc-test.json").read_text(), strict=False)  # it holds raw newlines
    handler = marcscope.JSONHandler()
    records = handler.elements(objects)
    assert records is handler.records and len(records) == 1
    assert records[0].title == marcscope.parse_json_to_array(str(data / "json/pymarc-test.json"))[0].title


def test_values_that_are_not_text_are_written_as_pymarc_writes_them():
    # pymarc formats values with f-strings: an int year or a float is written as its str().
    record = marcscope.Record()
    record.add_field(marcscope.Field(tag="001", data=12345))
    record.add_field(marcscope.Field(tag="260", indicators=[" ", " "],
                                     subfields=[marcscope.Subfield("c", 1999), marcscope.Subfield("a", 2.5)]))
    back = next(iter(marcscope.MARCReader(record.as_marc())))
    assert back["001"].data == "12345"
    assert back["260"]["c"] == "1999" and back["260"]["a"] == "2.5"
