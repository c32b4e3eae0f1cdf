"""Shared helpers for the CLI tests: where the binary and the data are, running it, a small
independent ISO 2709 splitter, and the record counts that tests/data/SOURCES.md documents."""

from __future__ import annotations

import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import marcmodel


def _required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        # Not a skip: without the binary or the data the suite cannot say anything, so it fails.
        raise RuntimeError(f"{name} is not set; run these tests through CTest (ctest -L cli)")
    return value


BIN = _required_env("MARCSCOPE_BIN")
DATA = Path(_required_env("MARCSCOPE_TEST_DATA"))
if not os.access(BIN, os.X_OK):
    raise RuntimeError(f"MARCSCOPE_BIN={BIN} is not an executable")
if not (DATA / "SOURCES.md").is_file():
    raise RuntimeError(f"MARCSCOPE_TEST_DATA={DATA} has no SOURCES.md")

TIMEOUT = 60

# Files that are not ISO 2709 (MARCXML, MARC-in-JSON, MARCMaker text, MARC-8 string lists).
_NON_ISO_SUFFIXES = (".xml", ".json", ".ndj", ".mrk", ".txt", ".md")


def run(*args: str, stdin: Optional[bytes] = None, cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    """Runs marcscope with `args`; stdout and stderr are bytes."""
    return subprocess.run([BIN, *map(str, args)], input=stdin if stdin is not None else b"",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT,
                          cwd=str(cwd or DATA))


@lru_cache(maxsize=None)
def run_cached(*args: str) -> subprocess.CompletedProcess:
    """run() for read-only commands whose result several tests share (paths relative to DATA)."""
    return run(*args)


def stderr_lines(proc: subprocess.CompletedProcess) -> List[str]:
    return proc.stderr.decode("utf-8", "replace").splitlines()


def dump_records(path: str, *options: str) -> Tuple[List[marcmodel.Record], subprocess.CompletedProcess]:
    """`marcscope dump [options] path`, parsed with the independent .mrk parser.

    The writer's control-character escapes ({esc}, {1E}-style hex) are decoded: it escapes literal
    braces as {lcub}/{rcub}, so in its output they cannot be confused with data."""
    proc = run_cached("dump", *options, path)
    text = proc.stdout.decode("utf-8")  # dump promises UTF-8; a decode error fails the test
    return marcmodel.parse_mrk_text(text, control_escapes=True), proc


def iso_files(*folders: str) -> List[str]:
    """ISO 2709 files in the given data folders, as paths relative to DATA."""
    out = []
    for folder in folders:
        for p in sorted((DATA / folder).iterdir()):
            if p.is_file() and not p.name.endswith(_NON_ISO_SUFFIXES):
                out.append(f"{folder}/{p.name}")
    return out


# --------------------------------------------------------------------------------------------
# A minimal ISO 2709 reader, used as an oracle (it trusts the 0x1D terminators, not the leader)
# --------------------------------------------------------------------------------------------

def split_records(data: bytes) -> List[Tuple[int, bytes]]:
    """(start offset, record bytes including 0x1D) for every record terminator in `data`.
    Bytes that precede a leader (line breaks, 0x1A, NUL) are not part of the record."""
    out = []
    pos = 0
    while True:
        end = data.find(b"\x1d", pos)
        if end < 0:
            break
        start = pos
        while start < end and data[start:start + 1] in (b"\n", b"\r", b"\x1a", b"\x00", b" "):
            start += 1
        out.append((start, data[start:end + 1]))
        pos = end + 1
    return out


def directory_fields(record: bytes) -> List[Tuple[str, bytes]]:
    """(tag, field bytes without the 0x1E) from the directory of a well-formed record."""
    base = int(record[12:17])
    dir_end = record.index(b"\x1e", 24)
    fields = []
    for i in range(24, dir_end, 12):
        entry = record[i:i + 12]
        tag = entry[:3].decode("latin-1")
        length, start = int(entry[3:7]), int(entry[7:12])
        data = record[base + start: base + start + length]
        assert data.endswith(b"\x1e"), f"field {tag} does not end with 0x1E"
        fields.append((tag, data[:-1]))
    return fields


# --------------------------------------------------------------------------------------------
# tests/data/SOURCES.md
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def documented_records() -> Dict[str, str]:
    """'folder/file' -> the records column of the per-folder tables in SOURCES.md (as text)."""
    rows: Dict[str, str] = {}
    section = None
    for line in (DATA / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"## (\w+)/ ", line)
        if m:
            section = m.group(1)
            continue
        if line.startswith("## "):
            section = None
        if section and line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            # columns: file | source | licence | records | len ok | encoding | types | exercises
            rows[f"{section}/{cells[0].strip('`')}"] = cells[3]
    return rows


def documented_count(rel: str) -> int:
    return int(documented_records()[rel].replace(",", ""))


# --------------------------------------------------------------------------------------------
# Diagnostics
# --------------------------------------------------------------------------------------------

# "FILE: record N at byte M, field TAG $c: severity: message [code]" (record/field parts optional)
DIAGNOSTIC = re.compile(
    r"^(?P<file>.+?): (?:record (?P<record>\d+) at )?byte (?P<offset>\d+)"
    r"(?:, field (?P<tag>.{1,3}?)(?: \$(?P<subfield>\(0x[0-9A-F]{2}\)|.))?)?"
    r": (?P<severity>info|warning|error|fatal): (?P<message>.+) "
    r"\[(?P<code>[a-z0-9]+(?:-[a-z0-9]+)*)(?:: (?P<rule>[a-z0-9]+(?:-[a-z0-9]+)*))?\]"
    r"(?: \(001 (?P<control>.*)\))?$")

SUMMARY_ROW = re.compile(r"^\s+(?P<count>\d+)\s+(?P<severity>info|warning|error|fatal)\s+(?P<code>[a-z0-9-]+(?:: [a-z0-9-]+)?)$")


# count, dump and convert show every error but only the first few warnings/infos of each code on
# standard error, then "FILE: N more CODE diagnostics not shown (...)"; validate lists everything.
NOT_SHOWN = re.compile(r"^(?P<file>.+): (?P<count>\d+) more (?P<code>[a-z0-9-]+) diagnostics? not shown\b")


def diagnostics(lines: Sequence[str]) -> List[re.Match]:
    return [m for m in map(DIAGNOSTIC.match, lines) if m]


def not_shown(lines: Sequence[str], code: str) -> int:
    """How many `code` diagnostics the stderr summary line says were left out (0 when none)."""
    return sum(int(m["count"]) for m in map(NOT_SHOWN.match, lines) if m and m["code"] == code)


def validate_diagnostics(path: str, *options: str) -> List[re.Match]:
    """Every diagnostic `marcscope validate [options] path` lists on standard output."""
    proc = run_cached("validate", *options, path)
    assert proc.returncode in (0, 1), proc.stderr
    return diagnostics(proc.stdout.decode("utf-8", "replace").splitlines())
