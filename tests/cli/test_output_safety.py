"""What marcscope prints and writes is UTF-8 and keeps the structure of the records: every output
of every command on every fixture decodes strictly as UTF-8; the default --encoding auto reads
records whose leader/09 lies; structure bytes inside values never become structure; authority
records are not validated with bibliographic rules."""

import json
import re

import pytest

import clitools
from clitools import DATA, diagnostics, run

# Every fixture that holds MARC: not the documentation, the MARC-8 string lists, and the files
# that hold no MARC record at all, which every command refuses as "not MARC" (test_cli.py): one
# MARC-8 string, two MARCXML collections with no <record>, <record> elements in a foreign
# namespace, and the traject OAI-PMH responses of Dublin Core (test_formats.cpp's xml_counts).
NOT_RECORDS = {"marccharset-farsi.marc", "marcxml-invalid.xml", "mrrc-e401_no_record_element.xml",
               "traject-namespace-test.xml"}
FIXTURES = sorted(str(p.relative_to(DATA)) for p in DATA.rglob("*")
                  if p.is_file() and p.suffix not in (".md", ".txt") and p.name not in NOT_RECORDS
                  and not p.name.startswith(("traject-oai-pmh", "traject-sample-oai")))


def strict_utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AssertionError(f"{what}: not UTF-8 at byte {e.start}: {data[max(0, e.start - 60):e.end + 20]!r}") from None


def test_fixture_list_is_complete():
    assert len(FIXTURES) > 300


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "html"])
def test_validate_reports_are_utf8(fmt):
    """The issue's case: a 245 punctuation message cut inside a multi-byte character made
    `validate --format json` write invalid UTF-8."""
    proc = run("validate", "--format", fmt, *FIXTURES)
    assert proc.returncode == 1, proc.stderr[-300:]
    strict_utf8(proc.stdout, f"validate --format {fmt}")
    strict_utf8(proc.stderr, f"validate --format {fmt} (stderr)")
    if fmt == "json":
        json.loads(proc.stdout)


@pytest.mark.parametrize("to", ["iso2709", "marcxml", "json", "ndjson", "mrk", "csv"])
def test_converted_outputs_are_utf8(to, tmp_path):
    out = tmp_path / f"all.{to}"
    proc = run("convert", *FIXTURES, "-o", out, "--to", to)
    assert proc.returncode == 1, proc.stderr[-300:]  # the malformed fixtures have errors
    strict_utf8(out.read_bytes(), f"convert --to {to}")
    strict_utf8(proc.stderr, f"convert --to {to} (stderr)")


def test_dump_is_utf8():
    proc = run("dump", *FIXTURES)
    strict_utf8(proc.stdout, "dump")
    strict_utf8(proc.stderr, "dump (stderr)")


# --------------------------------------------------------------------------------------------
# --encoding auto is the default
# --------------------------------------------------------------------------------------------

ACCENTED = "malformed/rubymarc-marc8_accented_chars.marc"  # leader/09 'a', MARC-8 bytes


def test_default_reads_marc8_under_a_utf8_leader():
    proc = run("dump", ACCENTED)
    assert proc.returncode == 0
    text = strict_utf8(proc.stdout, "dump")
    assert "Histoire du \"nouveau th\u00e9\u00e2tre.\"" in text
    (line,) = [l for l in proc.stderr.decode().splitlines() if "[encoding-leader-lies]" in l]
    assert "record 1 (001 000004951): leader/09 is 'a' (UTF-8) but the data is not valid UTF-8" in line
    assert line.endswith("; read as MARC-8 [encoding-leader-lies]")
    leader = run("dump", "--encoding", "leader", ACCENTED)
    assert "\ufffd" in strict_utf8(leader.stdout, "dump --encoding leader")
    assert "[invalid-utf8]" in leader.stderr.decode()


def test_default_reads_utf8_under_a_marc8_leader():
    path = "valid/pymarc-utf8_without_leader_flag.dat"
    # The same text as the twin that declares it (the model's leader/09 is 'a' for both).
    assert run("dump", path).stdout == run("dump", "valid/pymarc-utf8_with_leader_flag.dat").stdout
    lies = [m for m in clitools.validate_diagnostics(path) if m["code"] == "encoding-leader-lies"]
    assert len(lies) == 1 and lies[0]["message"].endswith("; read as UTF-8")


def test_help_names_auto_as_default():
    text = run("dump", "--help").stdout.decode()
    assert re.search(r"--encoding ENC\s+auto \(default\)", text)


# --------------------------------------------------------------------------------------------
# Structure bytes
# --------------------------------------------------------------------------------------------

MIJ = (b'[{"leader":"00000nam a2200000 a 4500","fields":[{"001":"x1"},'
       b'{"245":{"ind1":"1","ind2":"0","subfields":[{"a":"Ti\\u001ftle"}]}}]}]')


def test_mij_delimiter_in_a_value_is_no_subfield(tmp_path):
    """The issue's case: "Ti\\u001ftle" converted with exit 0 into an extra subfield."""
    src = tmp_path / "in.json"
    src.write_bytes(MIJ)
    out = tmp_path / "out.mrc"
    proc = run("convert", src, out)
    assert proc.returncode == 0  # replaced and reported: a warning
    err = proc.stderr.decode()
    assert "[structure-byte-in-data]" in err and "record 1 at byte 1, field 245 $a" in err
    data = out.read_bytes()
    assert data.count(b"\x1f") == 1  # the one delimiter before $a
    dump = run("dump", out).stdout.decode()
    assert "=245  10$aTi\ufffdtle\n" in dump
    # validate reports it with --no-rules too, and exits 1.
    v = run("validate", "--no-rules", src)
    assert v.returncode == 1
    assert [m["code"] for m in diagnostics(v.stdout.decode().splitlines())] == ["structure-byte-in-data"]


# --------------------------------------------------------------------------------------------
# Authority records
# --------------------------------------------------------------------------------------------

def test_authority_records_get_structure_rules_only():
    path = "valid/evergreen-auth-subset100.mrc"
    found = clitools.validate_diagnostics(path)
    codes = {m["code"] for m in found}
    assert not any(m["rule"] == "missing-245" for m in found)
    info = [m for m in found if m["code"] == "structure-only"]
    assert len(info) == clitools.documented_count(path)
    assert "authority" in info[0]["message"]
    assert "structure-only" in codes
