#!/usr/bin/env python3
"""Builds the malformed/recover-*.mrc fixtures from real records in valid/ and pairs/.

Each fixture damages real, well-formed records the way files seen in the wild are damaged (see
tests/data/SOURCES.md, "malformed/recover-*"), with good records between the damaged ones. The
engine tests (tests/engine/test_recover.cpp) read the same source records to compare what recover
mode gives back with the undamaged original, so the (file, record) choices here are repeated there.

Run from the repository root: python3 tools/make_recover_fixtures.py
The output is deterministic (no randomness beyond a fixed seed).
"""

import random
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
FT, RT, SF = b"\x1e", b"\x1d", b"\x1f"


def records(path):
    """The records of an ISO 2709 file, cut at record terminators."""
    raw = (DATA / path).read_bytes()
    out, i = [], 0
    while i < len(raw):
        while i < len(raw) and raw[i] in b"\r\n\x1a\x00 \t":
            i += 1
        j = raw.find(RT, i)
        if j < 0:
            break
        out.append(raw[i : j + 1])
        i = j + 1
    return out


def source(path, index):
    return records(path)[index]


def layout(rec):
    """(base address, [(tag, length, start, entry offset)]) of a well-formed record."""
    base = int(rec[12:17])
    entries = []
    for at in range(24, base - 1, 12):
        e = rec[at : at + 12]
        entries.append((e[:3], int(e[3:7]), int(e[7:12]), at))
    return base, entries


def field_at(rec, tag, nth=0):
    """(absolute start, length) of the nth field with this tag."""
    base, entries = layout(rec)
    found = [(base + s, n) for t, n, s, _ in entries if t == tag]
    return found[nth]


def set_entry(rec, at, length=None, start=None):
    e = bytearray(rec[at : at + 12])
    if length is not None:
        e[3:7] = b"%04d" % length
    if start is not None:
        e[7:12] = b"%05d" % start
    return rec[:at] + bytes(e) + rec[at + 12 :]


def set_leader_length(rec, n):
    return b"%05d" % n + rec[5:]


# --- damage, one kind per function ---------------------------------------------------------------


def lose_indicators_keep_lengths(rec, tag):
    """The field loses its two indicator bytes; directory entry, later starts and leader length
    stay as they were (so the leader length is 2 too large and every later field is 2 bytes
    earlier than its entry says): the HathiTrust-like export pattern of issue #11."""
    start, _ = field_at(rec, tag)
    return rec[:start] + rec[start + 2 :]


def length_short_by(rec, tag, k):
    """The field's directory length is k bytes short (counted in characters next to double-encoded
    UTF-8); later starts and the leader length were computed from the short length."""
    base, entries = layout(rec)
    idx = [t for t, _, _, _ in entries].index(tag)
    out = rec
    for i, (t, n, s, at) in enumerate(entries):
        if i == idx:
            out = set_entry(out, at, length=n - k)
        elif i > idx:
            out = set_entry(out, at, start=s - k)
    return set_leader_length(out, len(rec) - k)


def remove_indicators_consistently(rec, tag, keep=0):
    """The field is written without its indicators (or with only `keep` of them), and the writer
    computed directory and leader from what it wrote: a consistent record."""
    base, entries = layout(rec)
    idx = [t for t, _, _, _ in entries].index(tag)
    cut = 2 - keep
    start = base + entries[idx][2] + keep
    out = rec[:start] + rec[start + cut :]
    for i, (t, n, s, at) in enumerate(entries):
        if i == idx:
            out = set_entry(out, at, length=n - cut)
        elif i > idx:
            out = set_entry(out, at, start=s - cut)
    return set_leader_length(out, len(out))


def drop_byte(rec, at):
    """One byte lost; nothing else changed."""
    return rec[:at] + rec[at + 1 :]


def noise(rng, n, terminators=25):
    """Random bytes with a field terminator about every `terminators` bytes (as in a stretch of a
    binary file) but no record terminator, ended by a record terminator."""
    body = bytearray(rng.choice([b for b in range(256) if b not in (0x1D, 0x1E)]) for _ in range(n - 1))
    for i in range(len(body)):
        if rng.randrange(terminators) == 0:
            body[i] = 0x1E
    return bytes(body) + RT


def check(rec):
    """A source record must be well formed, or the fixture would test something else."""
    base, entries = layout(rec)
    assert int(rec[:5]) == len(rec) and rec.endswith(RT)
    for _, n, s, _ in entries:
        assert rec[base + s + n - 1 : base + s + n] == FT
    return rec


# --- fixtures ------------------------------------------------------------------------------------

HATHI = "valid/solrmarc-hathi_000031056.mrc"
BATCH = "valid/traject-index_bench-batch.dat"
UTF8 = "pairs/traject-test_data.utf8.mrc"


def fixture_lost_bytes():
    """recover-fields-lost-bytes.mrc: fields that lost bytes (or were counted short) while their
    directory entries kept their lengths. Records 2 and 4 are intact neighbours."""
    hathi = check(source(HATHI, 0))
    b0, b1, b9, b15 = (check(source(BATCH, i)) for i in (0, 1, 9, 15))
    u2 = check(source(UTF8, 2))
    return [
        lose_indicators_keep_lengths(hathi, b"040"),  # 1
        b0,  # 2
        lose_indicators_keep_lengths(b9, b"040"),  # 3: UTF-8 record
        b1,  # 4
        length_short_by(b15, b"245", 1),  # 5: 245 holds multi-byte UTF-8; its length is a byte short
        lose_indicators_keep_lengths(lose_indicators_keep_lengths(u2, b"504"), b"040"),  # 6: 504 and 040 (a later one first)
    ]


def fixture_no_indicators():
    """recover-no-indicators.mrc: consistent records (directory and leader agree with the data)
    whose data fields were written without indicators, or with only the first."""
    b2, b3 = check(source(BATCH, 2)), check(source(BATCH, 3))
    return [
        remove_indicators_consistently(b2, b"082"),  # 1: 082 has no indicators
        remove_indicators_consistently(b3, b"245", keep=1),  # 2: 245 has only its first indicator
    ]


def fixture_garbage():
    """recover-garbage.mrc: noise and records whose directory lost a byte, between good records."""
    rng = random.Random(11)
    b4, b5, b6, b7, b8 = (check(source(BATCH, i)) for i in (4, 5, 6, 7, 8))
    digits = bytes(rng.choice(b"0123456789") for _ in range(120))
    leaderlike = b"00400nam a2200145   4500" + digits + FT + noise(rng, 255)
    e5 = layout(b6)[1][5][3]  # the sixth directory entry
    return [
        b4,  # 1
        noise(rng, 300),  # 2: noise
        leaderlike,  # 3: a plausible leader, a directory of random digits, then noise
        drop_byte(b5, 24),  # 4: the directory lost its first byte (the first tag's '0')
        drop_byte(b6, e5 + 9),  # 5: the directory lost a digit of the sixth entry's start
        drop_byte(b7, layout(b7)[1][9][3] + 1),  # 6: the directory lost a byte of the tenth entry's tag
        b8,  # 7
    ]


def fixture_missing_terminators():
    """recover-missing-terminators.mrc: records and fields that lost their terminators."""
    b10, b11, b12, b13, b14, b16, b17 = (check(source(BATCH, i)) for i in (10, 11, 12, 13, 14, 16, 17))
    start, n = field_at(b12, b"245")
    ft_245 = start + n - 1
    start, n = field_at(b13, b"300")
    ft_300 = start + n - 1
    return [
        b10[:-1],  # 1: lost its record terminator; leader length unchanged
        b11,  # 2
        lose_indicators_keep_lengths(b14, b"040")[:-1],  # 3: lost its record terminator and 040's indicators
        b16,  # 4
        drop_byte(b12, ft_245),  # 5: 245 lost its field terminator
        b13[:ft_300] + b" " + b13[ft_300 + 1 :],  # 6: 300's field terminator became a blank
        b17[:-2] + RT,  # 7: the last field lost its terminator
    ]


def fixture_stray_bytes():
    """recover-stray-bytes.mrc: a byte order mark and stray terminators between good records."""
    b19, b20, b21, b22 = (check(source(BATCH, i)) for i in (19, 20, 21, 22))
    return [
        b"\xef\xbb\xbf",  # a UTF-8 byte order mark, as text editors save one
        b19,  # 1
        RT,  # a doubled record terminator
        b20,  # 2
        FT,  # a stray field terminator
        b21,  # 3
        RT + RT,  # two more record terminators
        b22,  # 4
    ]


FIXTURES = {
    "recover-fields-lost-bytes.mrc": fixture_lost_bytes,
    "recover-no-indicators.mrc": fixture_no_indicators,
    "recover-garbage.mrc": fixture_garbage,
    "recover-missing-terminators.mrc": fixture_missing_terminators,
    "recover-stray-bytes.mrc": fixture_stray_bytes,
}

if __name__ == "__main__":
    for name, make in FIXTURES.items():
        recs = make()
        (DATA / "malformed" / name).write_bytes(b"".join(recs))
        print(f"{name}: {len(recs)} records, {sum(map(len, recs))} bytes")
