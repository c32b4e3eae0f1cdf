"""Pair sets (tests/data/SOURCES.md, "Pair sets"): `marcscope dump BINARY` must describe the same
records as the binary's twin (MARCXML, MARC-in-JSON or MARCMaker text written by other tools).

Both sides are read into the independent model of marcmodel.py and compared record by record,
field by field. Where SOURCES.md documents that a twin differs, the test asserts exactly that
difference and equality everywhere else.

Leaders are compared from position 5 on, except 09 and 12-16 (marcmodel.LEADER_IGNORED_POSITIONS):
00-04 and 12-16 are lengths/addresses that every writer recomputes (and MARCXML leaders often keep
the original binary's lengths), 09 turns from blank (MARC-8) to 'a' when marcscope converts to
UTF-8.
"""

import unicodedata
from pathlib import Path

import pytest

import clitools
import marcmodel
from clitools import DATA, dump_records, run_cached, stderr_lines
from marcmodel import ControlField, DataField, parse_marcxml, parse_mij, parse_mrk_file


def assert_same(expected, got, label="", compare_lead=False):
    diffs = marcmodel.records_differences(expected, got, label, compare_lead=compare_lead)
    assert not diffs, "\n".join(diffs)


def warnings_for(path, code, *options):
    """The `code` diagnostics for `path` read with `options`, as `marcscope validate` lists them
    (count/dump/convert show only the first few of each warning code on standard error)."""
    return [m for m in clitools.validate_diagnostics(path, *options) if m["code"] == code]


# --------------------------------------------------------------------------------------------
# The model's own parsers agree with each other on twins that have no binary in between
# --------------------------------------------------------------------------------------------

def test_model_camel_mrk_equals_both_camel_xml_files():
    mrk = parse_mrk_file(DATA / "mrk/marcperl-camel.mrk")
    assert len(mrk) == 10
    assert_same(mrk, parse_marcxml(DATA / "pairs/marcperl-camel-batch.xml"), "batch.xml: ")
    assert_same(mrk, parse_marcxml(DATA / "pairs/marcperl-camel-batch-ns.xml"), "batch-ns.xml: ")


def test_model_pymarc_batch_xml_equals_json():
    xml = parse_marcxml(DATA / "pairs/pymarc-batch.xml")
    assert len(xml) == 2
    assert_same(xml, parse_mij(DATA / "pairs/pymarc-batch.json"))


def test_model_traject_xml_equals_ndjson():
    xml = parse_marcxml(DATA / "pairs/traject-test_data.utf8.marc.xml")
    assert len(xml) == 30
    assert_same(xml, parse_mij(DATA / "pairs/traject-test_data.utf8.json"))


def test_model_specTestRecs_xml_variants_agree():
    xml = parse_marcxml(DATA / "pairs/solrmarc-specTestRecs.xml")
    assert len(xml) == 76
    assert_same(xml, parse_marcxml(DATA / "xml/solrmarc-specTestRecs_withBOM.xml"), "withBOM: ")
    assert_same(xml, parse_marcxml(DATA / "xml/solrmarc-specTestRecs_no_Prolog.xml"), "no_Prolog: ")


def test_model_mrk_parser_decodes_escapes():
    text = ("=LDR  00000nam\\\\2200000\\a\\4500\r\n=001  a\\b{bsol}c{dollar}\r\n"
            "=245  1\\$aUS{dollar}5 {lcub}x{rcub} {wn} a\\b$b{dollar}$c\r\n\r\n")
    (rec,) = marcmodel.parse_mrk_text(text)
    assert rec.leader == "00000nam  2200000 a 4500"
    assert rec.fields == [
        ControlField("001", "a b\\c$"),
        DataField("245", "1", " ", (("a", "US$5 {x} {wn} a\\b"), ("b", "$"), ("c", ""))),
    ]


# --------------------------------------------------------------------------------------------
# Twins that must be identical
# --------------------------------------------------------------------------------------------

IDENTICAL_PAIRS = [
    # (binary, twin, parser, dump options, records)
    ("pairs/marcperl-camel.usmarc", "mrk/marcperl-camel.mrk", parse_mrk_file, (), 10),
    ("pairs/marcperl-camel.usmarc", "pairs/marcperl-camel-batch.xml", parse_marcxml, (), 10),
    ("pairs/marcperl-camel.usmarc", "pairs/marcperl-camel-batch-ns.xml", parse_marcxml, (), 10),
    ("pairs/traject-test_data.utf8.mrc", "pairs/traject-test_data.utf8.marc.xml", parse_marcxml, (), 30),
    ("pairs/traject-test_data.utf8.mrc", "pairs/traject-test_data.utf8.json", parse_mij, (), 30),
    ("pairs/marcmij-test.mrc", "pairs/marcmij-test.ndj", parse_mij, (), 9),
    ("pairs/pymarc-one.dat", "pairs/pymarc-one.json", parse_mij, (), 1),
    ("pairs/filemarc-sandburg.mrc", "pairs/filemarc-sandburg.xml", parse_marcxml, (), 1),
    # marcjs bib.mrc: UTF-8 data under a blank leader/09 (see test_marcjs_default_follows_leader)
    ("pairs/marcjs-bib.mrc", "pairs/marcjs-bib.xml", parse_marcxml, ("--encoding", "auto"), 6),
    ("pairs/marcjs-bib.mrc", "pairs/marcjs-bib.xml", parse_marcxml, ("--encoding", "utf8"), 6),
    # The 536 MarcEdit records; the known text-level differences are in the tests further down.
    ("pairs/lcmarcedit-marc_sample_data.mrc", "mrk/lcmarcedit-marc_sample_data.mrk", parse_mrk_file, (), 536),
]


@pytest.mark.parametrize("binary,twin,parser,options,count", IDENTICAL_PAIRS,
                         ids=[f"{Path(t).name}{''.join(o)}" for _, t, _, o, _ in IDENTICAL_PAIRS])
def test_dump_equals_twin(binary, twin, parser, options, count):
    expected = parser(DATA / twin)
    assert len(expected) == count, f"twin {twin} should hold {count} records"
    got, proc = dump_records(binary, *options)
    assert proc.returncode == 0, stderr_lines(proc)
    assert_same(expected, got, compare_lead=twin.endswith(".mrk"))


def test_marcjs_default_follows_leader():
    """bib.mrc declares MARC-8 (ldr/09 blank) but holds UTF-8: by default the leader decides, and
    each of the 6 records gets an encoding-leader-lies warning (dump shows the first few on
    standard error and says how many more there are)."""
    got, proc = dump_records("pairs/marcjs-bib.mrc")
    assert len(got) == 6
    on_stderr = [m for m in clitools.diagnostics(stderr_lines(proc)) if m["code"] == "encoding-leader-lies"]
    assert len(on_stderr) + clitools.not_shown(stderr_lines(proc), "encoding-leader-lies") == 6
    lies = warnings_for("pairs/marcjs-bib.mrc", "encoding-leader-lies")
    assert sorted(int(m["record"]) for m in lies) == [1, 2, 3, 4, 5, 6]
    assert all(m["severity"] == "warning" for m in lies)


# --------------------------------------------------------------------------------------------
# Library Carpentry MarcEdit sample: 536 records, MarcEdit .mrk twin
# --------------------------------------------------------------------------------------------

LC_BIN = "pairs/lcmarcedit-marc_sample_data.mrc"
LC_MRK = "mrk/lcmarcedit-marc_sample_data.mrk"


def test_lcmarcedit_stray_byte_after_indicators():
    """Record 19 has a directory tag "2 4" whose data is " 10\x1fa...": one byte too many before the
    first subfield. MarcEdit writes it right after the indicators ("=2 4  \\10$a..."). marcscope
    must not lose it either: it warns and keeps the byte, written in the same place."""
    twin = parse_mrk_file(DATA / LC_MRK)[18]
    got, proc = dump_records(LC_BIN)
    (twin_f,) = twin.get_fields("2 4")
    (got_f,) = got[18].get_fields("2 4")
    assert (twin_f.ind1, twin_f.ind2, twin_f.lead) == (" ", "1", "0")
    assert (got_f.ind1, got_f.ind2, got_f.lead) == (" ", "1", "0")
    assert got_f.subfields == twin_f.subfields
    found = [(m["record"], m["tag"], m["severity"]) for m in warnings_for(LC_BIN, "subfield-delimiter-missing")]
    assert found == [("19", "2 4", "warning")]
    assert [(m["record"], m["tag"]) for m in warnings_for(LC_BIN, "tag-invalid")] == [("19", "2 4")]


def test_lcmarcedit_braces_are_escaped_and_decode_to_the_same_text():
    twin_text = (DATA / LC_MRK).read_text(encoding="utf-8")
    dump_text = run_cached("dump", LC_BIN).stdout.decode("utf-8")
    assert twin_text.count("{wn}") == 2          # MarcEdit leaves literal braces alone
    assert dump_text.count("{lcub}wn{rcub}") == 2  # marcscope escapes them
    assert "{wn}" not in dump_text
    twin = parse_mrk_file(DATA / LC_MRK)
    got, _ = dump_records(LC_BIN)
    values = lambda recs: [v for r in recs for f in r.fields if not f.is_control()
                           for _, v in f.subfields if "{wn}" in v]
    assert values(twin) == values(got) and len(values(got)) >= 1


def test_lcmarcedit_dump_crlf_matches_marcedit_text():
    """`dump --crlf` reproduces MarcEdit's file byte for byte except for two lines, each with a
    known reason: literal braces (escaped by marcscope) and a 0x12 control byte (raw in MarcEdit,
    "{12}" in marcscope). Record 19's stray byte after the indicators is written as MarcEdit does."""
    twin = (DATA / LC_MRK).read_bytes().split(b"\r\n")
    ours = run_cached("dump", "--crlf", LC_BIN).stdout.split(b"\r\n")
    assert len(ours) == len(twin)
    differing = [(i + 1, a, b) for i, (a, b) in enumerate(zip(twin, ours)) if a != b]
    reasons = {}
    for lineno, theirs, mine in differing:
        if mine.replace(b"{lcub}", b"{").replace(b"{rcub}", b"}") == theirs:
            reasons[lineno] = "braces"
        elif mine.replace(b"{12}", b"\x12") == theirs:
            reasons[lineno] = "control byte"
        else:
            reasons[lineno] = f"UNEXPLAINED: marcedit {theirs[:120]!r} vs marcscope {mine[:120]!r}"
    assert sorted(reasons.values()) == ["braces", "control byte"], reasons


# --------------------------------------------------------------------------------------------
# Open Library IA items: 15 binary/MARCXML pairs, 13 identical after decoding
# --------------------------------------------------------------------------------------------

OL_ITEMS = sorted(p.name[len("openlibrary-"):-len("_meta.mrc")]
                  for p in (DATA / "pairs").glob("openlibrary-*_meta.mrc"))


def ol_pair(item):
    xml = parse_marcxml(DATA / f"pairs/openlibrary-{item}_marc.xml")
    got, proc = dump_records(f"pairs/openlibrary-{item}_meta.mrc")
    assert len(xml) == 1 and len(got) == 1
    return xml[0], got[0], proc


def test_openlibrary_has_15_pairs_13_identical():
    assert len(OL_ITEMS) == 15
    identical = [item for item in OL_ITEMS if ol_pair(item)[0].fields == ol_pair(item)[1].fields]
    assert len(identical) == 13, identical
    assert set(OL_ITEMS) - set(identical) == {"cu31924091184469", "mytwocountries1954asto"}


@pytest.mark.parametrize("item", [i for i in OL_ITEMS
                                  if i not in ("cu31924091184469", "mytwocountries1954asto",
                                               "engineercorpsofh00sher")])
def test_openlibrary_identical(item):
    xml, got, proc = ol_pair(item)
    assert proc.returncode == 0
    assert_same([xml], [got])


def test_openlibrary_engineercorps_leader_control_byte():
    """Fields identical; the binary's leader/22 is the control byte 0x02 ("45\\x020", noted in
    SOURCES.md), which the MARCXML shows as "4500". The decoded record is text, so marcscope
    writes the standard "0" there and warns (twice: the unusual entry map, and the byte replaced)."""
    xml, got, proc = ol_pair("engineercorpsofh00sher")
    assert got.fields == xml.fields
    assert len(got.leader) == 24
    assert marcmodel.leader_key(xml.leader) == marcmodel.leader_key(got.leader)
    assert (xml.leader[20:24], got.leader[20:24]) == ("4500", "4500")
    assert [m["record"] for m in warnings_for("pairs/openlibrary-engineercorpsofh00sher_meta.mrc", "leader-unusual-value")] == ["1", "1"]


def test_openlibrary_cu31924091184469_differs_only_in_700a():
    """SOURCES.md: 700$a differs (different catalogue versions)."""
    xml, got, _ = ol_pair("cu31924091184469")
    assert marcmodel.leader_key(xml.leader) == marcmodel.leader_key(got.leader)
    differ = marcmodel.differing_fields(xml, got)
    assert [xml.fields[i].tag for i in differ] == ["700"]
    x, g = xml.fields[differ[0]], got.fields[differ[0]]
    assert (x.ind1, x.ind2, [c for c, _ in x.subfields]) == (g.ind1, g.ind2, [c for c, _ in g.subfields])
    assert x.get("d") == g.get("d")
    assert x.get("a") == ["Buckley, Theodore William Aldis,"]
    assert g.get("a") == ["Buckley, Theodore Alois William,"]


def test_openlibrary_mytwocountries_differences():
    """SOURCES.md: the binary 008 contains 0x01 bytes that the XML drops.

    Not in SOURCES.md: the binary 903 is "  002857678" with no subfield delimiter at all. The XML
    writer took the first byte after the indicators as a subfield code ($0 "2857678"); marcscope
    finds no subfield, warns, and keeps the bytes after the indicators (as MarcEdit would write
    them: "=903  \\\\002857678"). Every other field is identical."""
    xml, got, proc = ol_pair("mytwocountries1954asto")
    assert marcmodel.leader_key(xml.leader) == marcmodel.leader_key(got.leader)
    differ = marcmodel.differing_fields(xml, got)
    assert [xml.fields[i].tag for i in differ] == ["008", "903"]
    x008, g008 = xml.first("008").value, got.first("008").value
    assert g008.count("\x01") == 8
    assert g008.replace("\x01", "") == x008
    assert xml.first("903").subfields == (("0", "2857678"),)
    assert (got.first("903").lead, got.first("903").subfields) == ("002857678", ())
    assert [(m["record"], m["tag"]) for m in warnings_for("pairs/openlibrary-mytwocountries1954asto_meta.mrc", "subfield-delimiter-missing")] == [("1", "903")]


# --------------------------------------------------------------------------------------------
# SolrMarc specTestRecs: 76 MARC-8 records against UTF-8 MARCXML
# --------------------------------------------------------------------------------------------

SPEC_BIN = "pairs/solrmarc-specTestRecs.mrc"
SPEC_XML = "pairs/solrmarc-specTestRecs.xml"

# Records (1-based) and fields (0-based index, tag) that hold the MARC-8 ligature halves 0xEB/0xEC.
SPEC_LIGATURE_FIELDS = {
    64: [(14, "245")],                                                    # 001 u3494238
    73: [(10, "245"), (12, "246"), (14, "246"), (16, "260"), (21, "500"), (25, "700")],  # testRussian1
}


def spec_pair(*options):
    # The XML is partly decomposed (NFD); marcscope's MARC-8 decoder composes to NFC (as pymarc
    # does, and as SOURCES.md's equivalence check did), so values are compared in NFC.
    xml = [marcmodel.nfc(r) for r in parse_marcxml(DATA / SPEC_XML)]
    got, proc = dump_records(SPEC_BIN, *options)
    assert proc.returncode == 0
    assert len(xml) == len(got) == 76
    return xml, got


def test_specTestRecs_dump_is_nfc():
    """marcscope's MARC-8 decoder composes to NFC (Marc8Options::normalize_nfc defaults to on)."""
    got, _ = dump_records(SPEC_BIN)
    assert len(got) == 76
    not_nfc = [(i, f.tag) for i, r in enumerate(got, 1) for f in r.fields
               if f != marcmodel.nfc(marcmodel.Record("", [f])).fields[0]]
    assert not_nfc == []


def test_specTestRecs_74_of_76_identical_with_pymarc_ligatures():
    xml, got = spec_pair()
    differing = {}
    for n, (x, g) in enumerate(zip(xml, got), 1):
        assert marcmodel.leader_key(x.leader) == marcmodel.leader_key(g.leader), n
        d = marcmodel.differing_fields(x, g)
        if d:
            differing[n] = [(i, x.fields[i].tag) for i in d]
    assert differing == SPEC_LIGATURE_FIELDS
    # ... and they differ only in the ligature: XML has U+0361 on the first half and drops the
    # second; the default (pymarc) decoding gives U+FE20 ... U+FE21.
    for n, fields in SPEC_LIGATURE_FIELDS.items():
        for i, _ in fields:
            g, x = got[n - 1].fields[i], xml[n - 1].fields[i]
            assert any("\ufe20" in v and "\ufe21" in v for _, v in g.subfields)
            fixed = tuple((c, unicodedata.normalize("NFC", v.replace("\ufe20", "\u0361").replace("\ufe21", "")))
                          for c, v in g.subfields)
            assert fixed == x.subfields, (n, i)


def test_specTestRecs_76_of_76_identical_with_loc_ligatures():
    xml, got = spec_pair("--marc8-loc-ligatures")
    assert_same(xml, got)
    assert not any("\ufe20" in v or "\ufe21" in v for r in got for f in r.fields if not f.is_control()
                   for _, v in f.subfields)


# --------------------------------------------------------------------------------------------
# File_MARC music: 3 records, newline separated; rec 1 holds UTF-8 bytes under a MARC-8 leader
# --------------------------------------------------------------------------------------------

MUSIC_BIN = "pairs/filemarc-music.mrc"
MUSIC_XML = "pairs/filemarc-music.xml"


def test_music_marc8_decoding_matches_xml_except_505a():
    """SOURCES.md: 2/3 identical after MARC-8 decoding; the 505$a with "Blues in B..." is no gold:
    the XML keeps the MARC-8 order "B\\u0301\\u01af" (acute on the B). SOURCES.md calls it record 3;
    it is record 1 (001 000073594). Its bytes E2 99 AD are UTF-8 for U+266D (flat sign); read as
    MARC-8 they are acute + unmapped 0x99 + U+01AF. A decoder puts the acute after its base
    character: "B\\u1ee8" when it drops the unmapped code, "B\\ufffd\\u0301\\u01af" when it
    replaces it with U+FFFD (marcscope's documented replacement); never "B\\u0301".
    leader/09 decides here (--encoding leader): the default, auto, reads records 1 and 3 as the
    UTF-8 they are (next test)."""
    xml = parse_marcxml(DATA / MUSIC_XML)
    got, proc = dump_records(MUSIC_BIN, "--encoding", "leader")
    assert len(xml) == len(got) == 3
    assert_same(xml[1:], got[1:], "records 2-3: ")
    assert marcmodel.leader_key(xml[0].leader) == marcmodel.leader_key(got[0].leader)
    assert xml[0].control_number() == "000073594"
    differ = marcmodel.differing_fields(xml[0], got[0])
    assert [xml[0].fields[i].tag for i in differ] == ["505"]
    (xa,), (ga,) = xml[0].fields[differ[0]].get("a"), got[0].fields[differ[0]].get("a")
    assert "Blues in B\u0301\u01af." in xa
    assert ga in (xa.replace("B\u0301\u01af", "B\u1ee8"), xa.replace("B\u0301\u01af", "B\ufffd\u0301\u01af"))
    unmapped = warnings_for(MUSIC_BIN, "marc8-unmapped-code", "--encoding", "leader")
    assert [(m["record"], m["tag"], m["subfield"]) for m in unmapped] == [("1", "505", "a")]


@pytest.mark.parametrize("options", [(), ("--encoding", "auto")], ids=["default", "explicit"])
def test_music_auto_encoding_recovers_the_utf8_text(options):
    """Records 1 and 3 are UTF-8 under a blank leader/09; the XML was made by decoding them as
    MARC-8. --encoding auto (the default) reads the bytes as UTF-8 and gets the real text back."""
    xml = parse_marcxml(DATA / MUSIC_XML)
    got, proc = dump_records(MUSIC_BIN, *options)
    assert len(got) == 3
    assert_same(xml[1:2], got[1:2], "record 2: ")
    fixes = {0: ("B\u0301\u01af", "B\u266d"), 2: ("Cort\u00a9\u00b7ge", "Cort\u00e8ge")}
    for n, (wrong, right) in fixes.items():
        differ = marcmodel.differing_fields(xml[n], got[n])
        assert [xml[n].fields[i].tag for i in differ] == ["505"]
        (xa,), (ga,) = xml[n].fields[differ[0]].get("a"), got[n].fields[differ[0]].get("a")
        assert wrong in xa and ga == xa.replace(wrong, right)
    lies = warnings_for(MUSIC_BIN, "encoding-leader-lies", *options)
    assert sorted(m["record"] for m in lies) == ["1", "3"]
    # Each names its record and says what was assumed.
    assert all(m["message"].startswith("record " + m["record"] + " (001 ") and m["message"].endswith("; read as UTF-8")
               for m in lies)


# --------------------------------------------------------------------------------------------
# pymarc MARC-8 -> UTF-8 transmission
# --------------------------------------------------------------------------------------------

def test_pymarc_marc8_decodes_to_the_unicode_twin():
    marc8, p1 = dump_records("pairs/pymarc-marc8.dat")
    utf8, p2 = dump_records("pairs/pymarc-marc8-to-unicode.dat")
    assert p1.returncode == p2.returncode == 0
    assert len(marc8) == len(utf8) == 1
    assert_same(utf8, marc8)
    raw8 = (DATA / "pairs/pymarc-marc8.dat").read_bytes()
    rawu = (DATA / "pairs/pymarc-marc8-to-unicode.dat").read_bytes()
    assert (raw8[9:10], rawu[9:10]) == (b" ", b"a")
    assert any(b >= 0x80 for b in raw8)  # there is something to decode


def test_pymarc_marc8_convert_gives_the_expected_bytes(tmp_path):
    """SOURCES.md: pymarc-marc8-to-unicode.dat holds the expected bytes of the conversion (ldr/09
    becomes "a", lengths recomputed, values decoded)."""
    out = tmp_path / "x.mrc"
    proc = clitools.run("convert", "pairs/pymarc-marc8.dat", "-o", out)
    assert proc.returncode == 0, stderr_lines(proc)
    assert out.read_bytes() == (DATA / "pairs/pymarc-marc8-to-unicode.dat").read_bytes()
