"""marcscope as a new user meets it: help, usage and input errors, count, dump, convert, validate
and the three reading modes. Exit status: 0 fine, 1 problems found, 2 could not run."""

import atexit
import collections
import csv
import io
import json
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

import clitools
import marcmodel
from clitools import DATA, DIAGNOSTIC, SUMMARY_ROW, diagnostics, run, run_cached, stderr_lines

COMMANDS = ["count", "dump", "validate", "convert", "stats"]
ISO_VALID_PAIRS = clitools.iso_files("valid", "pairs")
ISO_COUNTED = clitools.iso_files("valid", "pairs", "marc8")
ISO_ALL = clitools.iso_files("valid", "pairs", "marc8", "malformed")


def assert_cannot_run(proc, *mentions):
    """Exit 2, nothing on stdout, exactly one line on stderr: "marcscope: ..." naming `mentions`."""
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, f"exit {proc.returncode}, stderr {err!r}"
    assert proc.stdout == b"", proc.stdout[:200]
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), f"expected one line on stderr, got {err!r}"
    assert lines[0].startswith("marcscope: "), lines[0]
    for m in mentions:
        assert str(m) in lines[0], f"{m!r} not named in {lines[0]!r}"
    return lines[0]


def records_text(dump_stdout: bytes):
    """The dump split into one text block per record (each ends with a blank line). Bytes that are
    not UTF-8 survive as surrogates (test_dump_output_is_utf8 is where they count)."""
    text = dump_stdout.decode("utf-8", "surrogateescape")
    assert text == "" or text.endswith("\n\n")
    return [block + "\n" for block in text[:-2].split("\n\n")] if text else []


def mask_leader_lengths(dump_stdout: bytes) -> str:
    """Dump text with leader/00-04 and 12-16 (recomputed by every writer) masked, and 10-11 and
    20-23 as the ISO 2709 writer writes them ("22", "4500": the structure it writes)."""
    out = []
    for line in dump_stdout.decode("utf-8", "surrogateescape").split("\n"):
        if line.startswith("=LDR  ") and len(line) >= 6 + 24:
            line = "=LDR  #####" + line[11:16] + "22#####" + line[23:26] + "4500" + line[30:]
        out.append(line)
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Help and usage errors
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_overview_help(args):
    proc = run(*args)
    assert proc.returncode == 0 and proc.stderr == b""
    out = proc.stdout.decode()
    assert out.startswith("marcscope") and "Usage: marcscope COMMAND" in out
    for cmd in COMMANDS:
        assert re.search(rf"^\s+{cmd}\s", out, re.M), f"overview does not list {cmd}"
    assert "Exit status" in out


@pytest.mark.parametrize("cmd", COMMANDS)
@pytest.mark.parametrize("form", ["--help", "-h", "help"])
def test_command_help(cmd, form):
    proc = run("help", cmd) if form == "help" else run(cmd, form)
    assert proc.returncode == 0 and proc.stderr == b""
    out = proc.stdout.decode()
    assert out.startswith(f"Usage: marcscope {cmd} ")
    for option in ("--mode", "--encoding", "--quiet"):
        assert option in out


def test_version():
    proc = run("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"marcscope \d+\.\d+\.\d+\n", proc.stdout.decode())


USAGE_ERRORS = [
    ([], "no command"),
    (["frobnicate", "x.mrc"], "frobnicate"),
    (["--frobnicate"], "--frobnicate"),
    (["count"], "count"),
    (["dump", "--mode"], "--mode"),
    (["dump", "--mode", "lenient", "pairs/pymarc-one.dat"], "lenient"),
    (["dump", "--encoding", "latin1", "pairs/pymarc-one.dat"], "latin1"),
    (["convert", "--to", "marcxml8", "pairs/pymarc-one.dat"], "marcxml8"),
    (["convert", "--from", "csv", "pairs/pymarc-one.dat"], "csv"),
    (["convert", "pairs/pymarc-one.dat", "a.mrc", "b.mrc"], "IN OUT"),
    (["convert", "pairs/pymarc-one.dat", "-o"], "-o"),
    (["validate", "--max-per-code", "many", "pairs/pymarc-one.dat"], "many"),
] + [([cmd, "--bogus", "pairs/pymarc-one.dat"], "--bogus") for cmd in COMMANDS]


@pytest.mark.parametrize("args,mention", USAGE_ERRORS, ids=[" ".join(a) or "(none)" for a, _ in USAGE_ERRORS])
def test_usage_errors(args, mention):
    assert_cannot_run(run(*args), mention)


@pytest.mark.parametrize("value", ["0", "5-3", "abc", "-", "", "1-2-3", "-0", "x-5", "3-x", "1.5", "+3", "0-4"])
def test_records_bad_values(value):
    assert_cannot_run(run("dump", "--records", value, "pairs/marcperl-camel.usmarc"), "--records")


# --------------------------------------------------------------------------------------------
# Input that cannot be read
# --------------------------------------------------------------------------------------------

def command_args(cmd, path, tmp_path):
    return [cmd, path, "-o", str(tmp_path / "out.mrc")] if cmd == "convert" else [cmd, path]


BAD_INPUTS = {
    "missing": "no-such-file.mrc",
    "directory": "valid",
    "missing-dir": "no-such-dir/sub/x.mrc",
    "text": "SOURCES.md",
    "raw-marc8-string": "marc8/marccharset-farsi.marc",
}


@pytest.mark.parametrize("path,records", [("xml/traject-tiny.xml", 3), ("json/pymarc-test.json", 1),
                                          ("mrk/marcperl-camel.mrk", 10), ("pairs/marcmij-test.ndj", 9)])
def test_other_formats_are_read(path, records):
    """Every command reads MARCXML, MARC-in-JSON and .mrk, detected from the content."""
    proc = run("count", "-q", path)
    assert proc.returncode in (0, 1) and proc.stdout == f"{records}\n".encode()
    dump = run("dump", "-q", path)
    assert dump.stdout.count(b"=LDR  ") == records


@pytest.mark.parametrize("cmd", COMMANDS)
@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_unreadable_or_non_marc_input(cmd, kind, tmp_path):
    path = BAD_INPUTS[kind]
    line = assert_cannot_run(run(*command_args(cmd, path, tmp_path)), path)
    if kind in ("text", "raw-marc8-string"):
        assert "not" in line and "MARC" in line, line


@pytest.mark.parametrize("cmd", COMMANDS)
def test_unreadable_file(cmd, tmp_path):
    target = tmp_path / "locked.mrc"
    shutil.copy(DATA / "pairs/pymarc-one.dat", target)
    target.chmod(0)
    try:
        if os.access(target, os.R_OK):
            # Running as root (CI): permissions do not stop us. A path below a missing directory
            # is the unreadable case root also meets.
            target = tmp_path / "missing-dir" / "locked.mrc"
        assert_cannot_run(run(*command_args(cmd, str(target), tmp_path)), str(target))
    finally:
        if target.exists():
            target.chmod(0o644)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_non_marc_stdin(cmd, tmp_path):
    proc = run(*command_args(cmd, "-", tmp_path), stdin=b"hello, world\n")
    assert_cannot_run(proc, "standard input")


def test_convert_unwritable_output():
    proc = run("convert", "pairs/pymarc-one.dat", "-o", "no-such-dir/out.mrc")
    assert_cannot_run(proc, "no-such-dir/out.mrc")


def test_convert_failure_keeps_existing_output(tmp_path):
    """A convert that cannot run (non-MARC input) must not truncate an existing output file."""
    out = tmp_path / "precious.mrc"
    original = (DATA / "pairs/pymarc-one.dat").read_bytes()
    out.write_bytes(original)
    assert_cannot_run(run("convert", "SOURCES.md", "-o", out), "SOURCES.md")
    assert out.read_bytes() == original, f"output file now holds {out.stat().st_size} bytes"


def test_damaged_gzip_gives_every_record_it_holds(tmp_path):
    """A .gz cut short: count, convert and validate take every record that decompressed, say
    where the input ends (input-damaged) and exit 1; the converted file holds those records."""
    import gzip as gz
    import zlib

    raw = (DATA / "valid/solrmarc-uva_001_2000.mrc").read_bytes()
    packed = gz.compress(raw)
    cut = tmp_path / "cut.mrc.gz"
    cut.write_bytes(packed[: len(packed) * 6 // 10])
    # What zlib itself gets out of the cut file: the records a reader can deliver.
    plain = tmp_path / "plain.mrc"
    plain.write_bytes(zlib.decompressobj(16 + 15).decompress(packed[: len(packed) * 6 // 10]))
    want = int(run("count", "-q", plain).stdout)
    assert 0 < want < 2000
    for stdin in (False, True):
        proc = run("count", "-" if stdin else cut, stdin=cut.read_bytes() if stdin else None)
        assert proc.returncode == 1, proc.stderr
        assert int(proc.stdout) == want
        assert b"[input-damaged]" in proc.stderr and b"gzip data is truncated" in proc.stderr
    out = tmp_path / "out.xml"
    proc = run("convert", cut, "-o", out)
    assert proc.returncode == 1 and b"[input-damaged]" in proc.stderr
    assert int(run("count", "-q", out).stdout) == want
    report = json.loads(run("validate", "-q", "--format", "json", cut).stdout)
    codes = {f["code"] for f in report["files"][0]["findings"]}
    assert "input-damaged" in codes


def test_records_without_fields_are_not_written_as_iso2709(tmp_path):
    """A MARCXML record with no field has no ISO 2709 form that reads back (a reader takes a
    record without fields as damaged): convert says so, by record, writes the others, exits 1."""
    xml = tmp_path / "e.xml"
    xml.write_text('<collection xmlns="http://www.loc.gov/MARC21/slim"><record></record>'
                   '<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">b</controlfield></record>'
                   '</collection>')
    for to in ("marc", "iso2709-marc8"):
        out = tmp_path / f"e.{to}.mrc"
        proc = run("convert", "--to", to, xml, "-o", out)
        assert proc.returncode == 1
        assert b"record 1" in proc.stderr and b"no fields" in proc.stderr
        back = run("count", "--mode", "strict", out)
        assert back.returncode == 0 and int(back.stdout) == 1, back.stderr


@pytest.mark.parametrize("cmd", ["count", "stats", "validate"])
def test_one_unreadable_input_among_several(cmd, tmp_path):
    """count, stats and validate report each input alone: one that cannot be opened, or is not
    MARC, is said on standard error and the others are still read; the exit status is 2."""
    nuls = tmp_path / "nuls.mrc"
    nuls.write_bytes(b"\0\0\0")
    missing = tmp_path / "missing.mrc"
    good = ["pairs/pymarc-one.dat", "xml/traject-tiny.xml"]
    proc = run(cmd, "-q", good[0], nuls, missing, good[1])
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "nuls.mrc" in err and "missing.mrc" in err
    out = proc.stdout.decode()
    if cmd == "count":
        assert out.splitlines() == ["1\tpairs/pymarc-one.dat", "3\txml/traject-tiny.xml", "4\ttotal"]
    else:
        for name in good:
            assert name in out, name
        assert "nuls.mrc" not in out


def test_split_files_say_which_record_neither_holds(tmp_path):
    """validate --split-good/--split-bad puts each record in one file; one that cannot be written
    as ISO 2709 (a field over 9,999 bytes, read from MARCXML) is named, and the exit status is 1."""
    xml = tmp_path / "big.xml"
    xml.write_text('<collection xmlns="http://www.loc.gov/MARC21/slim">'
                   '<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">a</controlfield></record>'
                   '<record><leader>00000nam a2200000 a 4500</leader><datafield tag="245" ind1="1" ind2="0">'
                   '<subfield code="a">' + "x" * 12000 + '</subfield></datafield></record></collection>')
    good, bad = tmp_path / "g.mrc", tmp_path / "b.mrc"
    proc = run("validate", "--no-rules", "--split-good", good, "--split-bad", bad, xml)
    assert proc.returncode == 1
    assert b"record 2 at byte" in proc.stderr and b"9,999" in proc.stderr
    assert int(run("count", "-q", good).stdout) == 1


# --------------------------------------------------------------------------------------------
# Standard input
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["pairs/marcperl-camel.usmarc", "pairs/lcmarcedit-marc_sample_data.mrc",
                                  "pairs/solrmarc-specTestRecs.mrc", "pairs/filemarc-music.mrc"])
@pytest.mark.parametrize("cmd", ["count", "dump"])
def test_stdin_same_as_path(cmd, path):
    data = (DATA / path).read_bytes()
    via_stdin = run(cmd, "-q", "-", stdin=data)
    via_path = run_cached(cmd, "-q", path)
    assert via_stdin.returncode == via_path.returncode == 0
    assert via_stdin.stdout == via_path.stdout
    assert via_stdin.stdout


def test_validate_stdin_names_stdin_consistently():
    """Diagnostics from standard input say "<stdin>"; the summary should name it the same way."""
    proc = run("validate", "--no-rules", "-", stdin=(DATA / "malformed/marcperl-baddir.usmarc").read_bytes())
    assert proc.returncode == 1
    lines = proc.stdout.decode().splitlines()
    found = diagnostics(lines)
    assert found and {m["file"] for m in found} == {"<stdin>"}
    summary = [l for l in lines if re.match(r"^\S.*: \d+ records? read", l)]
    assert summary == ["<stdin>: 0 records read, 0 without problems, 1 skipped, 0 repaired"], summary


# --------------------------------------------------------------------------------------------
# count
# --------------------------------------------------------------------------------------------

def test_count_several_files_prints_each_and_total():
    files = ["pairs/marcperl-camel.usmarc", "valid/marcperl-sample1.usmarc", "pairs/solrmarc-specTestRecs.mrc"]
    proc = run("count", *files)
    assert proc.returncode == 0
    rows = [re.fullmatch(r"(\d+)\s+(\S.*)", l) for l in proc.stdout.decode().splitlines()]
    assert all(rows), proc.stdout
    assert [(int(m[1]), m[2]) for m in rows] == [(10, files[0]), (1, files[1]), (76, files[2]), (87, "total")]


def test_count_single_file_prints_the_number():
    proc = run("count", "pairs/marcperl-camel.usmarc")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"10\n", b"")


def test_count_empty_input_is_zero_records():
    proc = run("count", "-", stdin=b"")
    assert (proc.returncode, proc.stdout.strip()) == (0, b"0")


def test_sources_md_lists_every_data_file():
    documented = set(clitools.documented_records())
    on_disk = {f"{p.parent.name}/{p.name}" for p in DATA.glob("*/*") if p.is_file()}
    assert documented == on_disk


@pytest.mark.parametrize("path", ISO_COUNTED)
def test_count_agrees_with_sources_md(path):
    proc = run_cached("count", path)
    if path == "marc8/marccharset-farsi.marc":
        # SOURCES.md: "NOT a record: a raw 155-byte MARC-8 string"
        assert clitools.documented_count(path) == 0
        assert_cannot_run(proc, path)
        return
    assert proc.returncode == 0, stderr_lines(proc)[:5]
    assert int(proc.stdout) == clitools.documented_count(path)


# --------------------------------------------------------------------------------------------
# dump
# --------------------------------------------------------------------------------------------

LC = "pairs/lcmarcedit-marc_sample_data.mrc"


@pytest.mark.parametrize("spec,first,last", [("10-20", 10, 20), ("7", 7, 7), ("530-", 530, 536),
                                             ("-3", 1, 3), ("530-600", 530, 536), ("1-536", 1, 536)])
def test_dump_records_range(spec, first, last):
    full = records_text(run_cached("dump", "-q", LC).stdout)
    assert len(full) == 536
    part = run("dump", "-q", "--records", spec, LC)
    assert part.returncode == 0
    assert records_text(part.stdout) == full[first - 1:last]


def test_dump_records_past_the_end_is_empty():
    proc = run("dump", "-q", "--records", "600-700", LC)
    assert (proc.returncode, proc.stdout) == (0, b"")


def test_dump_format_basics():
    """=LDR first, fields as =TAG, two blanks, '\\' for blank indicators and blanks in control
    fields, a blank line after each record."""
    text = run_cached("dump", "pairs/marcperl-camel.usmarc").stdout.decode()
    first = text.split("\n\n")[0].split("\n")
    assert first[0] == "=LDR  00755cam a22002414a 4500"
    assert first[1] == "=001  fol05731351\\"
    assert "=008  000107s2000\\\\\\\\nyua\\\\\\\\\\\\\\\\\\\\001\\0\\eng\\\\" in first
    assert "=100  1\\$aMartinsson, Tobias,$d1976-" in first
    assert "=245  10$aActivePerl with ASP and ADO /$cTobias Martinsson." in first
    assert text.count("=LDR  ") == 10 and text.endswith("\n\n")


def test_dump_crlf():
    lf = run_cached("dump", "pairs/marcperl-camel.usmarc").stdout
    crlf = run("dump", "--crlf", "pairs/marcperl-camel.usmarc").stdout
    assert crlf == lf.replace(b"\n", b"\r\n")


def test_dump_quiet_silences_diagnostics():
    loud = run_cached("dump", LC)
    quiet = run_cached("dump", "-q", LC)
    assert loud.stderr and quiet.stderr == b""
    assert loud.stdout == quiet.stdout


def test_warnings_alone_do_not_change_the_exit_status():
    proc = run_cached("dump", LC)
    assert proc.returncode == 0
    assert {m["severity"] for m in diagnostics(stderr_lines(proc))} == {"warning"}


def test_stderr_shows_every_error_and_caps_each_warning_code():
    """count/dump/convert: all errors, the first few of each warning code, then one line per code
    with how many more there were; the totals match what validate lists."""
    path = "valid/evergreen-auth-1066.mrc"  # 1,066 records with ldr/20-23 "45 0"
    proc = run_cached("count", path)
    assert (proc.returncode, proc.stdout) == (0, b"1066\n")
    lines = stderr_lines(proc)
    shown = [m for m in diagnostics(lines) if m["code"] == "leader-unusual-value"]
    assert 1 <= len(shown) <= 20
    listed = [m for m in clitools.validate_diagnostics(path) if m["code"] == "leader-unusual-value"]
    assert len(listed) == 1066
    assert len(shown) + clitools.not_shown(lines, "leader-unusual-value") == 1066
    # validate adds the record's 001 to its lines; the diagnostics themselves are the same.
    strip = lambda m: re.sub(r" \(001 .*\)$", "", m.group(0))
    assert [strip(m) for m in shown] == [strip(m) for m in listed[:len(shown)]]


@pytest.mark.parametrize("mode", ["permissive", "recover"])
@pytest.mark.parametrize("path", ISO_ALL)
def test_dump_output_is_utf8(path, mode):
    """dump prints text "converted to UTF-8" whatever the input holds: bytes that are not text
    (in tags, indicators, subfield codes, leaders) must be escaped, not copied."""
    proc = run_cached("dump", "-q", path) if mode == "permissive" else run_cached("dump", "-q", "--mode", mode, path)
    if path == "marc8/marccharset-farsi.marc":
        assert proc.returncode == 2
        return
    try:
        proc.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AssertionError(f"`marcscope dump --mode {mode} {path}`: invalid UTF-8 at output byte "
                             f"{e.start}: {proc.stdout[max(0, e.start - 40):e.start + 10]!r}") from None


# --------------------------------------------------------------------------------------------
# convert
# --------------------------------------------------------------------------------------------

_CONVERT_DIR = Path(tempfile.mkdtemp(prefix="marcscope-cli-convert-"))
atexit.register(shutil.rmtree, _CONVERT_DIR, ignore_errors=True)


@lru_cache(maxsize=None)
def converted(path):
    """`marcscope convert -q PATH -o OUT`, once per file; returns (process, OUT)."""
    out = _CONVERT_DIR / (path.replace("/", "__") + ".mrc")
    return run("convert", "-q", path, "-o", out), out


@pytest.mark.parametrize("path", ISO_VALID_PAIRS)
def test_convert_round_trip(path):
    """convert to ISO 2709, then count and dump the output: same records, same text (leader
    lengths and base address aside)."""
    proc, out = converted(path)
    original_dump = run_cached("dump", "-q", path)
    assert proc.returncode == original_dump.returncode, stderr_lines(proc)
    assert run("count", "-q", out).stdout == run_cached("count", "-q", path).stdout
    again = run("dump", out)
    assert again.returncode == 0
    assert mask_leader_lengths(again.stdout) == mask_leader_lengths(original_dump.stdout)


@pytest.mark.parametrize("path", ISO_VALID_PAIRS)
def test_convert_output_is_utf8_iso2709(path):
    """Every record written is UTF-8 with leader/09 'a', and its leader lengths are right."""
    _, out = converted(path)
    data = out.read_bytes()
    records = clitools.split_records(data)
    assert sum(len(r) for _, r in records) == len(data)
    for n, (_, rec) in enumerate(records, 1):
        assert rec[9:10] == b"a", (n, rec[:24])
        assert int(rec[:5]) == len(rec), (n, rec[:24])
        try:
            rec.decode("utf-8")
        except UnicodeDecodeError as e:
            raise AssertionError(f"record {n}: not UTF-8 at byte {e.start}: {rec[max(0, e.start - 30):e.start + 5]!r}")


def test_convert_to_mrk_equals_dump(tmp_path):
    path = "pairs/solrmarc-specTestRecs.mrc"
    dump = run_cached("dump", "-q", path).stdout
    assert run("convert", "-q", "--to", "mrk", path).stdout == dump
    run("convert", "-q", path, "-o", tmp_path / "by-extension.mrk")
    assert (tmp_path / "by-extension.mrk").read_bytes() == dump
    run("convert", "-q", "--to", "mrk", path, "-o", tmp_path / "explicit.bin")
    assert (tmp_path / "explicit.bin").read_bytes() == dump
    crlf = run("convert", "-q", "--to", "mrk", "--crlf", path).stdout
    assert crlf == dump.replace(b"\n", b"\r\n")


def test_convert_records_range(tmp_path):
    out = tmp_path / "part.mrc"
    assert run("convert", "--records", "2-3", "pairs/marcperl-camel.usmarc", "-o", out).returncode == 0
    assert run("count", out).stdout == b"2\n"
    assert (mask_leader_lengths(run("dump", out).stdout)
            == mask_leader_lengths(run("dump", "--records", "2-3", "pairs/marcperl-camel.usmarc").stdout))


def test_convert_several_files_to_stdout():
    files = ["pairs/marcperl-camel.usmarc", "pairs/pymarc-one.dat"]
    proc = run("convert", *files, "-o", "-")
    assert proc.returncode == 0
    assert len(clitools.split_records(proc.stdout)) == 11


def test_convert_in_out(tmp_path):
    """`convert IN OUT`: the second name is the output; the format follows its extension."""
    out = tmp_path / "camel.xml"
    assert run("convert", "-q", "pairs/marcperl-camel.usmarc", out).returncode == 0
    assert out.read_bytes().startswith(b"<?xml")
    assert run("count", out).stdout == b"10\n"
    assert run("dump", out).stdout == run("dump", "pairs/marcperl-camel.usmarc").stdout


def test_convert_refuses_to_overwrite_its_input(tmp_path):
    target = tmp_path / "in.mrc"
    shutil.copy(DATA / "pairs/pymarc-one.dat", target)
    before = target.read_bytes()
    proc = run("convert", target, target)
    assert proc.returncode == 2
    assert b"marcscope:" in proc.stderr
    assert target.read_bytes() == before


@pytest.mark.parametrize("fmt,ext", [("marcxml", "xml"), ("json", "json"), ("ndjson", "ndjson"), ("mrk", "mrk"),
                                     ("iso2709-marc8", "mrc")])
def test_convert_round_trip_every_format(tmp_path, fmt, ext):
    """iso2709 -> FORMAT -> iso2709 keeps every record (compared as .mrk text, leader lengths aside)."""
    src = "pairs/traject-test_data.utf8.mrc" if fmt != "iso2709-marc8" else "valid/evergreen-lul_fre_100.mrc"
    mid = tmp_path / f"mid.{ext}"
    back = tmp_path / "back.mrc"
    assert run("convert", "-q", "--to", fmt, src, mid).returncode in (0, 1)
    assert run("convert", "-q", mid, back).returncode in (0, 1)
    want = mask_leader_lengths(run("dump", "-q", src).stdout)
    got = mask_leader_lengths(run("dump", "-q", back).stdout)
    if fmt == "iso2709-marc8":
        import unicodedata
        want = unicodedata.normalize("NFC", want.decode() if isinstance(want, bytes) else want)
        got = unicodedata.normalize("NFC", got.decode() if isinstance(got, bytes) else got)
        # 066 is added for MARC-8 escape sequences; lul_fre is ANSEL only, so none here.
    assert got == want


def test_convert_csv_columns(tmp_path):
    out = tmp_path / "camel.tsv"
    assert run("convert", "-q", "--columns", "001,245$a,650$a", "pairs/marcperl-camel.usmarc", out).returncode == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 11
    assert lines[0].split("\t")[1:] == ["001", "245$a", "650$a"]
    assert lines[1].split("\t")[1] == "fol05731351 "


@pytest.mark.parametrize("path", ["valid/evergreen-auth-1066.mrc", LC])
def test_convert_utf8_file_is_byte_identical(path):
    """A UTF-8 file comes out byte for byte (record 19 of the lcmarcedit sample has a stray byte
    after the indicators of field "2 4": it must survive too), except leader/10-11 and 20-23,
    which the writer sets to the "22" and "4500" of the structure it writes (Evergreen's authority
    records say "45 0", which reading reports)."""
    proc, out = converted(path)
    assert proc.returncode == 0
    original = clitools.split_records((DATA / path).read_bytes())
    written = clitools.split_records(out.read_bytes())
    assert len(original) == len(written) == clitools.documented_count(path)
    report, fixed = [], 0
    for n, ((_, a), (_, b)) in enumerate(zip(original, written), 1):
        expected = a[:10] + b"22" + a[12:20] + b"4500" + a[24:]
        fixed += expected != a
        if expected != b:
            fa, fb = clitools.directory_fields(a), clitools.directory_fields(b)
            fields = [f"{t} {x[:40]!r} -> {y[:40]!r}" for (t, x), (_, y) in zip(fa, fb) if x != y]
            report.append(f"record {n}: leader {a[:24]!r} -> {b[:24]!r}; {fields[:3]}")
    assert report == []
    unusual = [d for d in clitools.validate_diagnostics(path, "--no-rules") if d["code"] == "leader-unusual-value"]
    assert fixed == len(unusual)


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------

def parse_validate(stdout: bytes):
    """(diagnostic lines, [(summary line, {code: (count, {severities})})])."""
    text = stdout.decode("utf-8", "replace")
    lines = text.split("\n")
    diags, summaries, current = [], [], None
    for line in lines:
        if not line:
            current = None
            continue
        m = re.fullmatch(r"(?P<file>.+): (?P<read>\d+) records? read, (?P<clean>\d+) without problems, (?P<skipped>\d+) skipped, "
                         r"(?P<repaired>\d+) repaired(?P<stopped>, reading stopped \(strict mode\))?", line)
        if m:
            current = (m, {})
            summaries.append(current)
        elif current is not None:
            if line.strip() in ("no problems found",) or re.fullmatch(r"\s+count\s+severity\s+code", line) \
                    or line.startswith("  most findings by tag:"):
                continue
            row = SUMMARY_ROW.match(line)
            assert row, f"unexpected summary line {line!r}"
            # A code may have a row per severity (a byte order mark is a warning, stray bytes an error).
            count, severities = current[1].get(row["code"], (0, frozenset()))
            assert row["severity"] not in severities, f"summary row repeated: {line!r}"
            current[1][row["code"]] = (count + int(row["count"]), severities | {row["severity"]})
        else:
            d = DIAGNOSTIC.match(line)
            assert d, f"diagnostic line not of the form 'FILE: record N at byte M...: severity: message [code]': {line!r}"
            diags.append(d)
    return diags, summaries


@pytest.mark.parametrize("path", ["pairs/marcperl-camel.usmarc", "pairs/traject-test_data.utf8.mrc",
                                  "valid/marcperl-sample1.usmarc", "pairs/marcmij-test.mrc"])
def test_validate_clean_file(path):
    proc = run_cached("validate", "--no-rules", path)
    assert proc.returncode == 0 and proc.stderr == b""
    diags, summaries = parse_validate(proc.stdout)
    assert diags == [] and len(summaries) == 1
    m, rows = summaries[0]
    n = clitools.documented_count(path)
    assert (m["file"], int(m["read"]), int(m["skipped"]), int(m["repaired"]), rows) == (path, n, 0, 0, {})
    assert "no problems found" in proc.stdout.decode()


# Defects of content designation (leader/05-08 and 17-19 values, indicator values that only one
# tag's definition forbids) are beyond "structural and character-set problems"; not asserted here.
CONTENT_LEVEL = {f"malformed/mrrc-{n}.bin" for n in (
    "e002_invalid_bibliographic_level", "e002_invalid_cataloging_form", "e002_invalid_control_record_type",
    "e002_invalid_encoding_level", "e002_invalid_multipart_level", "e002_invalid_record_status",
    "e002_invalid_record_type", "e201_per_tag_indicator_245")}
MALFORMED_STRUCTURAL = [p for p in clitools.iso_files("malformed") if p not in CONTENT_LEVEL]


@pytest.mark.parametrize("path", MALFORMED_STRUCTURAL)
def test_validate_malformed_file(path):
    """Exit 1, one line per finding ("FILE: record N at byte M...: severity: message [code]"),
    then a summary whose counts match the lines."""
    proc = run_cached("validate", "--no-rules", path)
    assert proc.returncode == 1, f"`marcscope validate {path}` exit {proc.returncode}: {proc.stdout[-300:]!r}"
    diags, summaries = parse_validate(proc.stdout)
    assert diags, "no diagnostic lines"
    assert {d["file"] for d in diags} == {path}
    size = (DATA / path).stat().st_size
    assert all(int(d["offset"]) <= size for d in diags)
    assert len(summaries) == 1 and summaries[0][0]["file"] == path
    counts = collections.Counter(d["code"] for d in diags)
    assert {c: n for c, (n, _) in summaries[0][1].items()} == dict(counts)


@pytest.mark.parametrize("path,mode", [("malformed/marcperl-baddir.usmarc", "permissive"),
                                       ("malformed/catmandu-bu_bibs.mrc", "strict"),
                                       ("malformed/catmandu-bu_bibs.mrc", "recover"),
                                       ("malformed/recover-stray-bytes.mrc", "permissive"),
                                       ("pairs/lcmarcedit-marc_sample_data.mrc", "permissive")])
def test_validate_summary_severity_matches_the_lines(path, mode):
    """The summary's severity column says what the lines said for that code."""
    proc = run_cached("validate", "--no-rules", "--mode", mode, path)
    diags, summaries = parse_validate(proc.stdout)
    shown = collections.defaultdict(set)
    for d in diags:
        shown[d["code"]].add(d["severity"])
    mismatched = {code: (sorted(sev), sorted(shown[code])) for code, (_, sev) in summaries[0][1].items()
                  if shown[code] and shown[code] != sev}
    assert mismatched == {}, (f"`marcscope validate --mode {mode} {path}`: code: (summary severity, "
                              f"line severities): {mismatched}")


@pytest.mark.parametrize("files", [["malformed/marcperl-baddir.usmarc", "pairs/filemarc-music.mrc"],
                                   ["pairs/filemarc-music.mrc", "pairs/filemarc-music.mrc"],
                                   ["pairs/filemarc-music.mrc", "pairs/marcperl-camel.usmarc"]],
                         ids=["empty-then-marc8", "same-file-twice", "marc8-then-clean"])
def test_validate_several_files_summarises_each_file_alone(files):
    """Each file's summary in a multi-file run equals the summary of validating it alone."""
    alone = {f: parse_validate(run_cached("validate", "--no-rules", f).stdout)[1][0] for f in set(files)}
    _, summaries = parse_validate(run("validate", "--no-rules", *files).stdout)
    assert [m["file"] for m, _ in summaries] == files
    for (m, rows), f in zip(summaries, files):
        assert m.group(0) == alone[f][0].group(0)
        assert rows == alone[f][1], f"summary of {f}: {rows} alone: {alone[f][1]}"


def test_validate_max_per_code_limits_lines_not_counts():
    path = "malformed/catmandu-bu_bibs.mrc"
    full_diags, full_summary = parse_validate(run_cached("validate", "--no-rules", path).stdout)
    diags, summaries = parse_validate(run("validate", "--no-rules", "--max-per-code", "2", path).stdout)
    per_code = collections.Counter(d["code"] for d in diags)
    assert per_code and max(per_code.values()) == 2
    assert summaries[0][1] == full_summary[0][1]
    first_two = collections.defaultdict(list)
    for d in full_diags:
        if len(first_two[d["code"]]) < 2:
            first_two[d["code"]].append(d.group(0))
    assert [d.group(0) for d in diags] == [d.group(0) for d in full_diags if d.group(0) in first_two[d["code"]]]
    assert all(per_code[c] == min(2, n) for c, (n, _) in full_summary[0][1].items())


# --------------------------------------------------------------------------------------------
# Reading modes on catmandu-bu_bibs.mrc: 100 records, 16 with leader lengths counted in characters
# --------------------------------------------------------------------------------------------

BU = "malformed/catmandu-bu_bibs.mrc"


@lru_cache(maxsize=None)
def bu_oracle():
    """(record start offsets, numbers of the records whose leader/00-04 is not their byte length,
    001 of every well-formed record), computed from the bytes alone."""
    records = clitools.split_records((DATA / BU).read_bytes())
    bad = [n for n, (_, r) in enumerate(records, 1) if int(r[:5]) != len(r)]
    ids = {n: dict(clitools.directory_fields(r))["001"].decode() for n, (_, r) in enumerate(records, 1)
           if n not in bad}
    return [s for s, _ in records], bad, ids


def test_bu_bibs_oracle_matches_sources_md():
    starts, bad, _ = bu_oracle()
    assert len(starts) == 100 == clitools.documented_count(BU)
    assert len(bad) == 16  # SOURCES.md: "len ok 84/100", "16 records have leader length = CHARACTER count"


def test_bu_bibs_permissive_delivers_84_and_names_the_16_skipped():
    starts, bad, ids = bu_oracle()
    proc = run_cached("count", BU)
    assert (proc.returncode, proc.stdout) == (1, b"84\n")
    found = diagnostics(stderr_lines(proc))
    skipped = [m for m in found if m["code"] == "record-skipped"]
    assert [int(m["record"]) for m in skipped] == bad  # errors are never left out on stderr
    listed = clitools.validate_diagnostics(BU)
    assert [int(m["record"]) for m in listed if m["code"] == "record-skipped"] == bad
    mismatch = [(int(m["record"]), int(m["offset"])) for m in found if m["code"] == "record-length-mismatch"]
    assert mismatch == [(n, starts[n - 1]) for n in bad]
    got, dump = clitools.dump_records(BU, "-q")
    assert dump.returncode == 1
    assert [r.control_number() for r in got] == [ids[n] for n in sorted(ids)]


def test_bu_bibs_strict_stops_at_the_first_bad_record():
    starts, bad, _ = bu_oracle()
    first = bad[0]
    proc = run_cached("count", "--mode", "strict", BU)
    assert proc.returncode == 1
    assert int(proc.stdout) == first - 1
    found = diagnostics(stderr_lines(proc))
    fatal = [m for m in found if m["severity"] == "fatal"]
    assert len(fatal) == 1
    assert (int(fatal[0]["record"]), int(fatal[0]["offset"]), fatal[0]["code"]) == (first, starts[first - 1], "record-length-mismatch")
    assert all(m["record"] is None or int(m["record"]) <= first for m in found), "diagnostics after the stop"
    assert len(clitools.dump_records(BU, "-q", "--mode", "strict")[0]) == first - 1
    v = run_cached("validate", "--no-rules", "--mode", "strict", BU)
    assert v.returncode == 1
    _, summaries = parse_validate(v.stdout)
    assert summaries[0][0]["stopped"] and int(summaries[0][0]["read"]) == first - 1


@lru_cache(maxsize=None)
def bu_garbled():
    """Numbers of the records whose data holds more than one field terminator beyond their
    directory's entries: fields split by stray terminators at the source (one extra is a field
    appended after the last one, which the directory does not list)."""
    out = []
    for n, (_, r) in enumerate(clitools.split_records((DATA / BU).read_bytes()), 1):
        base = int(r[12:17])
        if r[base:].count(b"\x1e") - (base - 25) // 12 > 1:
            out.append(n)
    return out


def test_bu_bibs_recover_repairs_13_and_skips_the_3_garbled():
    """Recover re-reads the 16 records whose lengths count characters, except 3 whose fields were
    split by stray terminators when they were written: no reading gives those back, so they are
    skipped (not delivered as "repaired" with fields holding terminators, as before)."""
    _, bad, _ = bu_oracle()
    garbled = bu_garbled()
    assert garbled == [31, 45, 77] and set(garbled) <= set(bad)
    repairable = [n for n in bad if n not in garbled]
    proc = run_cached("count", "--mode", "recover", BU)
    assert (proc.returncode, proc.stdout) == (1, b"97\n")  # repaired records are problems found
    found = diagnostics(stderr_lines(proc))
    repaired = [int(m["record"]) for m in found if m["code"] == "record-repaired"]
    # record-repaired is an info: standard error shows the first few and says how many more.
    assert repaired == repairable[:len(repaired)] and repaired
    assert len(repaired) + clitools.not_shown(stderr_lines(proc), "record-repaired") == len(repairable)
    assert [int(m["record"]) for m in found if m["code"] == "record-skipped"] == garbled
    listed = clitools.validate_diagnostics(BU, "--mode", "recover")
    assert [int(m["record"]) for m in listed if m["code"] == "record-repaired"] == repairable
    recovered = records_text(run_cached("dump", "-q", "--mode", "recover", BU).stdout)
    permissive = records_text(run_cached("dump", "-q", BU).stdout)
    assert len(recovered) == 97
    kept = [n for n in range(1, 101) if n not in garbled]
    assert [t for n, t in zip(kept, recovered) if n not in bad] == permissive
    _, summaries = parse_validate(run_cached("validate", "--no-rules", "--mode", "recover", BU).stdout)
    m = summaries[0][0]
    assert (int(m["read"]), int(m["skipped"]), int(m["repaired"])) == (97, 3, 13)


# --------------------------------------------------------------------------------------------
# validate: MARC 21 rules, report formats, splitting
# --------------------------------------------------------------------------------------------

def test_validate_reports_rules_with_001():
    """Rule findings name the rule, the field and the record's 001."""
    proc = run("validate", "pairs/marcperl-camel.usmarc")
    assert proc.returncode == 1
    lines = [l for l in proc.stdout.decode().splitlines() if "rule-violation" in l and "record 10 " in l]
    assert lines and "field 100" in lines[0] and "invalid-indicator" in lines[0] and "(001 fol05882032 )" in lines[0]
    assert run("validate", "--no-rules", "pairs/marcperl-camel.usmarc").returncode == 0
    assert run("validate", "--disable", "invalid-indicator", "pairs/marcperl-camel.usmarc").returncode == 0


def test_validate_severity_override_and_unknown_rule():
    proc = run("validate", "--severity", "invalid-indicator=error", "pairs/marcperl-camel.usmarc")
    assert b"error: first 100 indicator 1" in proc.stdout
    bad = run("validate", "--disable", "no-such-rule", "pairs/marcperl-camel.usmarc")
    assert bad.returncode == 2 and b"no-such-rule" in bad.stderr


def test_validate_profiles_and_accepted_codes():
    """--profile, --accept-codes and --accept-tags change exactly the findings they name."""
    path = "pairs/lcmarcedit-marc_sample_data.mrc"

    def rules(*options):
        rows = list(csv.reader(io.StringIO(run("validate", "--format", "csv", *options, path).stdout.decode())))[1:]
        return collections.Counter((r[6], r[7], r[4]) for r in rows)

    base = rules()
    k_levels = sum(1 for l in run("validate", path).stdout.decode().splitlines() if 'LDR/17 Encoding level: "K"' in l)
    assert k_levels > 100 and base[("unknown-tag", "049", "warning")] > 0
    oclc = rules("--profile", "oclc")
    assert oclc[("unknown-tag", "049", "warning")] == 0
    assert base[("leader-value", "LDR", "warning")] - oclc[("leader-value", "LDR", "warning")] >= k_levels
    others = lambda c: {k: v for k, v in c.items() if k[0] not in ("leader-value", "unknown-tag")}
    assert others(oclc) == others(base)
    codes = rules("--accept-codes", "LDR/17=K")
    assert base[("leader-value", "LDR", "warning")] - codes[("leader-value", "LDR", "warning")] == k_levels
    assert rules("--accept-tags", "049,029")[("unknown-tag", "049", "warning")] == 0
    lenient = rules("--profile", "lenient")
    assert lenient[("unknown-tag", "049", "info")] == base[("unknown-tag", "049", "warning")]
    assert not any(k[0] == "245-ending-punctuation" for k in lenient) and any(k[0] == "245-ending-punctuation" for k in base)
    for bad, says in ((["--profile", "strictest"], b"strictest"), (["--accept-codes", "LDR/17=KK"], b"KK"),
                      (["--accept-codes", "LDR17"], b"LDR17"), (["--accept-codes", "245/01=a"], b"245/01"),
                      (["--severity", "unknown-tag=loud"], b"loud")):
        proc = run("validate", *bad, path)
        assert proc.returncode == 2 and says in proc.stderr, (bad, proc.stderr)


def test_validate_user_schema(tmp_path):
    """A user's Avram schema replaces the bundled one: here 100 ind1 "2" becomes valid."""
    schema = tmp_path / "mine.json"
    schema.write_text(json.dumps({"fields": {"100": {"repeatable": False, "indicator1": {"codes": {"0": {}, "1": {}, "2": {}, "3": {}}},
                                                     "indicator2": None, "subfields": {c: {"repeatable": False} for c in "acdeq"}}}}))
    proc = run("validate", "--schema", schema, "--disable", "unknown-tag", "--format", "csv", "pairs/marcperl-camel.usmarc")
    assert b"invalid-indicator" not in proc.stdout
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert run("validate", "--schema", broken, "pairs/marcperl-camel.usmarc").returncode == 2


def test_validate_json_csv_html_agree():
    path = "malformed/catmandu-bu_bibs.mrc"
    text = run("validate", path).stdout.decode()
    rows = list(csv.reader(io.StringIO(run("validate", "--format", "csv", path).stdout.decode())))
    report = json.loads(run("validate", "--format", "json", "--examples", "2", path).stdout)
    html = run("validate", "--format", "html", path).stdout.decode()
    assert rows[0] == ["file", "record", "offset", "001", "severity", "code", "rule", "tag", "subfield", "message"]
    findings = report["files"][0]["findings"]
    total = sum(f["count"] for f in findings)
    assert total == len(rows) - 1 == sum(1 for l in text.splitlines() if l.startswith(path + ": record") or l.startswith(path + ": byte"))
    assert all(len(f["examples"]) <= 2 for f in findings)
    assert report["files"][0]["records"] == 84 and report["files"][0]["skipped"] == 16
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html and "record-length-mismatch" in html


def test_validate_exit_status_does_not_depend_on_the_format():
    """JSON and HTML reports see no finding one by one (the report alone says whether any is a
    problem): their exit status is the text report's, on every fixture, with and without rules."""
    seen = set()
    for path in sorted((DATA / "valid").iterdir()) + sorted((DATA / "malformed").iterdir()):
        for extra in (["--no-rules"], ["--mode", "recover"]):
            want = run("validate", *extra, path).returncode
            seen.add(want)
            for fmt in ("json", "html"):
                assert run("validate", "--format", fmt, *extra, path).returncode == want, (path.name, extra, fmt)
    assert {0, 1} <= seen


@pytest.mark.parametrize("path", ["valid/evergreen-jazz_1k.mrc", "valid/solrmarc-uva_001_2000.mrc"])
def test_validate_json_examples_are_the_first_csv_rows(path):
    """A JSON report builds only its examples' messages (MessageDemand): each kind's examples are
    still the first findings of that kind, as CSV (which builds every message) lists them. Both
    files are larger than a slice, so that later slices are validated after kinds fill up."""
    rows = list(csv.DictReader(io.StringIO(run("validate", "--format", "csv", path).stdout.decode())))
    for args in ([], ["-j", "1"]):
        report = json.loads(run("validate", "--format", "json", "--examples", "2", *args, path).stdout)
        findings = report["files"][0]["findings"]
        assert sum(f["count"] for f in findings) == len(rows)
        for kind in findings:
            same = [r for r in rows if r["code"] == kind["code"] and r["rule"] == (kind.get("rule") or "")
                    and r["severity"] == kind["severity"]]
            assert len(same) == kind["count"]
            want = [(int(r["record"]), int(r["offset"]), r["001"], r["message"]) for r in same[:2]]
            got = [(e["record"], e["offset"], e["001"], e["message"]) for e in kind["examples"]]
            assert got == want, kind["code"]
            assert all(message for *_, message in got)


def test_validate_split_loses_nothing(tmp_path):
    """Every input record goes to exactly one of the two files, skipped ones to the bad file."""
    good, bad = tmp_path / "good.mrc", tmp_path / "bad.mrc"
    path = "malformed/catmandu-bu_bibs.mrc"
    run("validate", "-q", "--no-rules", "--split-good", good, "--split-bad", bad, path)
    original = (DATA / path).read_bytes()
    def records(data):
        return [rec for _, rec in clitools.split_records(data)]
    assert sorted(records(good.read_bytes()) + records(bad.read_bytes())) == sorted(records(original))
    assert len(records(good.read_bytes())) > 0 and len(records(bad.read_bytes())) >= 16
    assert run("validate", "--split-good", good, path).returncode == 2


@pytest.mark.parametrize("path", ["pairs/filemarc-music.xml", "pairs/marcperl-camel-batch-ns.xml", "xml/catmandu-marc.xml"])
def test_stats_counts_what_an_independent_parser_counts(path):
    """`stats --format json` agrees with counts made here from the Python MARCXML model."""
    records = marcmodel.parse_marcxml(DATA / path)
    want = collections.defaultdict(lambda: [0, 0])
    want_sub = collections.defaultdict(lambda: [0, 0])
    langs = collections.Counter()
    for rec in records:
        tags, codes = set(), set()
        for f in rec.fields:
            want[f.tag][1] += 1
            tags.add(f.tag)
            if f.tag == "008" and len(f.value) >= 38:
                langs[f.value[35:38]] += 1
            if not f.is_control():
                for code, _ in f.subfields:
                    want_sub[(f.tag, code)][1] += 1
                    codes.add((f.tag, code))
        for t in tags:
            want[t][0] += 1
        for k in codes:
            want_sub[k][0] += 1
    proc = run("stats", "--format", "json", path)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["records"] == len(records)
    assert {t: [v["records"], v["occurrences"]] for t, v in got["fields"].items()} == {t: v for t, v in want.items()}
    got_sub = {(t, c): [s["records"], s["occurrences"]] for t, v in got["fields"].items() for c, s in v.get("subfields", {}).items()}
    assert got_sub == dict(want_sub)
    assert got["languages"] == dict(langs)
    rows = list(csv.reader(io.StringIO(run("stats", "--format", "csv", path).stdout.decode())))
    assert rows[0] == ["file", "field", "subfield", "records", "occurrences"]
    assert len(rows) - 1 == len(want) + len(want_sub)
    text = run("stats", path).stdout.decode()
    assert f"{len(records)} records" in text.splitlines()[0]


def test_stats_refuses_html_and_non_marc(tmp_path):
    assert run("stats", "--format", "html", "pairs/marcperl-camel.usmarc").returncode == 2
    junk = tmp_path / "junk.txt"
    junk.write_text("hello, world\n")
    proc = run("stats", junk)
    assert proc.returncode == 2 and "not MARC" in proc.stderr.decode()


NOT_MARC = {
    "hello.json": b'{"hello": "world"}\n',
    "numbers.json": b"[1, 2, 3]",
    "objects.ndjson": b'{"a": 1}\n{"b": 2}\n',
    "turbomarc.xml": b'<?xml version="1.0"?>\n<c xmlns="http://www.indexdata.com/turbomarc"><r><l>00000nam a2200000 a 4500</l>'
                     b"<c001>x</c001></r></c>\n",
    "page.html": b"<html><body><p>not a catalogue</p></body></html>",
    "array-then-object.json": b'[]\n{"hello": "world"}\n',
    "foreign-collection.xml": b'<collection xmlns="http://example.org/"><!-- http://www.loc.gov/MARC21/slim --></collection>',
    "utf16.xml": '<?xml version="1.0" encoding="UTF-16"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim"><record>'
                 "<leader>00000nam a2200000 a 4500</leader></record></collection>\n".encode("utf-16"),
    # No record in the first 64 KB either: told when the whole file has been read.
    "long.xml": b'<?xml version="1.0"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n<!-- '
                + b"x" * 70000 + b" -->\n<notarecord/>\n</collection>\n",
}


@pytest.mark.parametrize("cmd", COMMANDS)
@pytest.mark.parametrize("name", sorted(NOT_MARC))
def test_input_that_is_not_marc(tmp_path, cmd, name):
    """Every command refuses an input that is not MARC with exit 2 and "not MARC: ..." naming it."""
    path = tmp_path / name
    path.write_bytes(NOT_MARC[name])
    args = [cmd, path] + ([tmp_path / "out.mrc"] if cmd == "convert" else [])
    proc = run(*args)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert f"marcscope: not MARC: '{path}'" in err
    assert not (tmp_path / "out.mrc").exists()


def test_external_entities_are_not_read_and_said(tmp_path):
    """An external entity is never read (no file an input names is opened) and its missing text
    is said, with the record, field and subfield; internal entities are expanded."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    path = tmp_path / "entities.xml"
    path.write_text(f'''<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE collection [ <!ENTITY ext SYSTEM "{secret.as_uri()}"> <!ENTITY pub "Publisher Inc."> ]>
<collection xmlns="http://www.loc.gov/MARC21/slim">
<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">x1</controlfield>
<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Title &ext; end</subfield><subfield code="b">&pub;</subfield>
</datafield></record>
</collection>
''')
    proc = run("convert", "--to", "mrk", path, "-")
    assert proc.returncode == 0, proc.stderr
    assert b"SECRET" not in proc.stdout
    # An entity declared in an external DTD (not read) is said too.
    dtd = tmp_path / "dtd.xml"
    dtd.write_text('''<?xml version="1.0"?>
<!DOCTYPE collection SYSTEM "marc.dtd">
<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>00000nam a2200000 a 4500</leader>
<datafield tag="245" ind1="1" ind2="0"><subfield code="a">A&e;B</subfield></datafield></record></collection>
''')
    skipped = run("convert", "--to", "mrk", dtd, "-")
    assert b"=245  10$aAB" in skipped.stdout
    assert b"field 245 $a: warning: the entity &e; is declared outside the document" in skipped.stderr
    assert b"=245  10$aTitle  end$bPublisher Inc." in proc.stdout
    err = proc.stderr.decode()
    assert "record 1 at byte" in err and "field 245 $a: warning: an external entity (SYSTEM" in err, err
    assert "its text is missing [record-structure-invalid]" in err


def test_utf16_is_said_to_be_utf16(tmp_path):
    for name, encoding in (("bom.xml", "utf-16"), ("le.xml", "utf-16-le"), ("be.xml", "utf-16-be")):
        path = tmp_path / name
        path.write_bytes('<?xml version="1.0"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim"/>\n'.encode(encoding))
        proc = run("count", path)
        assert proc.returncode == 2 and b"is UTF-16 text" in proc.stderr and b"iconv" in proc.stderr, proc.stderr


@pytest.mark.parametrize("to", ["marcxml", "json", "ndjson", "marc", "mrk"])
def test_no_records_written_read_back_as_no_records(tmp_path, to):
    """What a conversion that delivers no record writes (an empty <collection>, "[]", an empty
    file) reads back as MARC with no records (exit 0), not as "not MARC"."""
    out = tmp_path / f"out.{to}"
    proc = run("convert", "--to", to, "malformed/mrrc-e001_record_length_below_24.bin", out)
    assert proc.returncode == 1 and out.exists(), proc.stderr  # its one record is skipped
    for cmd in ("count", "validate", "stats"):
        again = run(cmd, out)
        assert again.returncode == 0, (cmd, out.read_bytes()[:200], again.stderr)
        assert b"not MARC" not in again.stderr
    assert run("count", out).stdout == b"0\n"


@pytest.mark.parametrize("text", [b'<collection xmlns="http://www.loc.gov/MARC21/slim"/>',
                                  b'<?xml version="1.0"?>\n<marc:collection xmlns:marc="http://www.loc.gov/MARC21/slim">'
                                  b"\n  <!-- nothing <here> --><![CDATA[ <nor> here ]]>\n</marc:collection>\n",
                                  b"<collection xmlns='http://www.loc.gov/MARC21/slim'>\n</collection>",
                                  b"[ ]\n"])
def test_empty_collections_hold_no_records(tmp_path, text):
    path = tmp_path / ("empty.json" if text.startswith(b"[") else "empty.xml")
    path.write_bytes(text)
    proc = run("count", path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"0\n", b"")


@pytest.mark.parametrize("path", ["marc8/marccharset-farsi.marc", "malformed/marcxml-invalid.xml",
                                  "malformed/mrrc-e401_no_record_element.xml", "xml/traject-namespace-test.xml",
                                  "xml/traject-sample-oai-pmh.xml", "xml/traject-sample-oai-no-namespace.xml"])
def test_fixtures_holding_no_marc_record_are_refused(path):
    """Files that hold no MARC record (a bare MARC-8 string, collections without <record>, foreign
    <record> elements, OAI-PMH Dublin Core) are "not MARC" for every command."""
    for cmd in ("count", "validate"):
        proc = run(cmd, path)
        assert proc.returncode == 2 and b"not MARC" in proc.stderr, proc.stderr


def _interrupt_when(proc, ready, seconds=30):
    """Sends SIGINT to `proc` once `ready()` holds; returns (exit status, stderr, seconds it took
    to end after the signal)."""
    import signal
    import time

    deadline = time.monotonic() + seconds
    while not ready():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the command never got ready"
        time.sleep(0.01)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=TIMEOUT_AFTER_SIGNAL)
    return proc.returncode, err.decode("utf-8", "replace"), time.monotonic() - sent


TIMEOUT_AFTER_SIGNAL = 20


@pytest.mark.parametrize("command", ["convert", "validate-split"])
def test_ctrl_c_stops_and_leaves_the_output_as_it_was(tmp_path, command):
    """Ctrl-C during a job: the job stops while its input (a pipe) waits for more, the output
    files keep what they held (no partial file is left beside them), and the command says so
    and exits 130."""
    import subprocess
    import threading

    fifo = tmp_path / "in.mrc"
    os.mkfifo(fifo)
    out, bad = tmp_path / "out.xml", tmp_path / "bad.mrc"
    out.write_bytes(b"precious")
    args = {"convert": ["convert", "--to", "marcxml", str(fifo), "-o", str(out)],
            "validate-split": ["validate", "-q", str(fifo), "--split-good", str(out), "--split-bad", str(bad)]}[command]
    proc = subprocess.Popen([clitools.BIN, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    payload = (DATA / "valid/solrmarc-uva_001_2000.mrc").read_bytes()
    writer_done = threading.Event()

    def feed():
        # Enough to get past format detection and into the job; then the pipe stays open, idle,
        # until the command has gone.
        try:
            with open(fifo, "wb") as w:
                w.write(payload)
                w.flush()
                writer_done.wait(TIMEOUT_AFTER_SIGNAL + 30)
        except BrokenPipeError:
            pass  # the command went before reading it all

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        partial = [p for p in (out, bad)]
        rc, err, took = _interrupt_when(
            proc, lambda: all(Path(str(p) + ".marcscope-partial").exists() for p in partial[: 1 if command == "convert" else 2]))
    finally:
        writer_done.set()
        if feeder.is_alive():
            # A command that never opened the pipe leaves the feeder waiting to open it: a reader
            # that comes and goes lets it through.
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        feeder.join()
    assert rc == 130, err
    assert took < 2.5, f"took {took:.2f} s to stop"  # the job's stop, not the 3 s fallback
    assert "stopped by Ctrl-C" in err and "left as they were" in err
    assert out.read_bytes() == b"precious"
    assert not bad.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.mrc", "out.xml"])


def test_ctrl_c_while_an_input_is_still_being_opened():
    """Ctrl-C while standard input has not yet said what it holds (nothing written to it): the
    wait for the bytes that tell its format ends as a job's read does, at once, not by the 3 s
    fallback, and the command says it was stopped, 130."""
    import subprocess

    import time

    read_end, write_end = os.pipe()  # held open here: standard input neither ends nor speaks
    proc = subprocess.Popen([clitools.BIN, "count", "-"], stdin=read_end, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    os.close(read_end)
    try:
        time.sleep(0.3)  # the command is waiting in format detection
        rc, err, took = _interrupt_when(proc, lambda: True)
    finally:
        os.close(write_end)
        if proc.poll() is None:
            proc.kill()
    assert rc == 130, err
    assert took < 2.5, f"took {took:.2f} s to stop"  # the stop, not the 3 s fallback
    assert "stopped by Ctrl-C" in err


def test_a_paused_writers_records_come_out_of_convert_at_once():
    """`slow-source | marcscope convert - --to mrk | reader`: a record the writer has sent comes
    out while the writer pauses, as it would from a record-at-a-time tool, not once 64 KB or a
    slice's worth has come in, or the output buffer has filled, or the writer has closed."""
    import select
    import subprocess

    data = (DATA / "pairs/marcperl-camel.usmarc").read_bytes()
    first = data[: int(data[:5])]  # one whole record, about 700 bytes
    proc = subprocess.Popen([clitools.BIN, "convert", "-q", "-", "--to", "mrk"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdin.write(first)
        proc.stdin.flush()
        got = b""
        while b"=001" not in got:
            ready, _, _ = select.select([proc.stdout], [], [], 20)
            if not ready:
                break
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            got += chunk
        assert got.startswith(b"=LDR") and b"=001" in got, "nothing came out while the writer paused"
        rest, err = proc.communicate(input=data[len(first):], timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    whole = run("convert", "-q", str(DATA / "pairs/marcperl-camel.usmarc"), "--to", "mrk").stdout
    assert got + rest == whole
