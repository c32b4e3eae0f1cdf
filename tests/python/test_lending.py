"""Records that borrow their bytes from the reader's batch.

A record read from an input and not decoded yet (a clean UTF-8 record) is handed over borrowing
its bytes from the batch the reader decoded; before that batch goes (the reader moves on to the
next one, is closed or is freed), every record still alive copies them. Kept records must
therefore read exactly as records read at once do, whatever happened to the reader since: kept
untouched across many batches, kept after the reader is closed or gone, kept one in many.
"""

from __future__ import annotations

import gc
import io
import os

import pytest

import marcscope
from marcscope import _core

# UTF-8 files whose records are nearly all clean (handed over undecoded).
NAMES = ["pairs/lcmarcedit-marc_sample_data.mrc", "valid/evergreen-nepali.marc", "pairs/traject-test_data.utf8.mrc"]


def plain(record):
    """Everything a record says, taken while its reader is still on its batch."""
    return (str(record.leader), record.as_dict()["fields"], record.as_marc(), str(record))


def reference(path):
    return [plain(r) for r in marcscope.MARCReader(str(path), threads=1)]


def sources(path):
    payload = path.read_bytes()
    return {
        "path, one thread, small chunks": lambda: marcscope.MARCReader(str(path), threads=1, chunk_size=4096),
        "path, parallel": lambda: marcscope.read(str(path)),
        "path, two threads": lambda: marcscope.MARCReader(str(path), threads=2),
        "bytes, one thread": lambda: marcscope.MARCReader(payload, threads=1, chunk_size=8192),
        "BytesIO, small chunks": lambda: marcscope.MARCReader(io.BytesIO(payload), chunk_size=4096),
    }


@pytest.mark.parametrize("name", NAMES)
def test_kept_records_read_as_records_read_at_once(data, name):
    path = data / name
    expected = reference(path)
    assert len(expected) >= 30
    for label, make in sources(path).items():
        reader = make()
        kept = list(reader)
        # At least some of them were handed over undecoded (borrowing, then copying).
        assert sum(_core._record_undecoded(r) for r in kept) > len(kept) // 2, label
        del reader
        gc.collect()
        assert [plain(r) for r in kept] == expected, label


@pytest.mark.parametrize("name", NAMES)
def test_one_record_in_many_kept(data, name):
    path = data / name
    expected = reference(path)
    for label, make in sources(path).items():
        reader = make()
        kept = {}
        for i, record in enumerate(reader):
            if i % 7 == 3:
                kept[i] = record
            if i % 11 == 5:
                # Some used while current, some later: fields made from borrowed bytes stay right.
                assert plain(record) == expected[i], label
        reader = None
        gc.collect()
        for i, record in kept.items():
            assert plain(record) == expected[i], f"{label}: record {i}"


def test_records_outlive_a_closed_reader(data):
    path = data / NAMES[0]
    expected = reference(path)
    for label, make in sources(path).items():
        reader = make()
        first = [next(reader) for _ in range(25)]
        reader.close()
        del reader
        gc.collect()
        assert [plain(r) for r in first] == expected[:25], label


def test_read_batch_keeps_whole_batches(data):
    path = data / NAMES[1]
    expected = reference(path)
    reader = marcscope.MARCReader(str(path), threads=1, chunk_size=4096)
    batches = []
    while True:
        batch = reader.read_batch(97)
        if not batch:
            break
        batches.append(batch)
        # An earlier batch, read while the reader is further on.
        n = sum(len(b) for b in batches[:-1])
        if len(batches) > 1:
            assert [plain(r) for r in batches[-2]] == expected[n - len(batches[-2]) : n]
    assert [plain(r) for b in batches for r in b] == expected


def big_input(data, copies=12):
    """NAMES[0] (536 records, 1.1 MB) over and over: many engine batches and several windows."""
    return (data / NAMES[0]).read_bytes() * copies


def test_a_read_batch_list_is_not_copied_while_the_next_is_read(data):
    # A script holds the list read_batch() gave while it asks for the next one. That list spans
    # several engine batches; its records keep borrowing their bytes (and the view parsed of
    # them) until the reader is well past them, instead of each being copied, and parsed again
    # when the script looks at it.
    payload = big_input(data)
    for label, make in {
        "bytes, parallel": lambda: marcscope.MARCReader(payload),
        "BytesIO": lambda: marcscope.MARCReader(io.BytesIO(payload)),
        "bytes, one thread, small chunks": lambda: marcscope.MARCReader(payload, threads=1, chunk_size=65536),
    }.items():
        reader = make()
        previous = reader.read_batch(1000)
        lists = 0
        while True:
            current = reader.read_batch(1000)
            undecoded = [r for r in previous if _core._record_undecoded(r)]
            assert len(undecoded) > len(previous) // 2, label
            assert all(_core._record_lent(r) for r in undecoded), label
            if not current:
                break
            previous = current
            lists += 1
        assert lists >= 5, label
        reader.close()
        # Closed: every record still alive owns its bytes.
        assert not any(_core._record_lent(r) for r in previous), label


def test_lists_kept_past_the_window_read_as_records_read_at_once(data):
    payload = big_input(data)
    one = [plain(r) for r in marcscope.MARCReader((data / NAMES[0]).read_bytes(), threads=1)]
    expected = one * 12
    for label, make in {
        "bytes, parallel": lambda: marcscope.MARCReader(payload),
        "BytesIO, small chunks": lambda: marcscope.MARCReader(io.BytesIO(payload), chunk_size=65536),
    }.items():
        reader = make()
        kept, at, copied = [], 0, 0
        while True:
            batch = reader.read_batch(300)
            if not batch:
                break
            if len(kept) % 3 == 0:
                kept.append((at, batch))  # one list in three kept to the end, most past the window
            else:
                kept.append((at, None))
            at += len(batch)
            copied += sum(1 for _, b in kept if b is not None for r in b if _core._record_undecoded(r) and not _core._record_lent(r))
        assert at == len(expected), label
        assert copied > 0, label  # some were kept long enough to be copied
        for start, batch in kept:
            if batch is not None:
                assert [plain(r) for r in batch] == expected[start : start + len(batch)], f"{label}: at {start}"


def mapped_kb(path):
    """Resident kilobytes of this process's mappings of `path` (Linux: /proc/self/smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
                inside = len(fields) >= 6 and fields[5] == str(path)
            elif inside and fields[0] == "Rss:":
                total += int(fields[1])
    return total


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="needs Linux's /proc/self/smaps")
def test_a_mapped_file_stays_mostly_unmapped_while_lists_are_held(data, tmp_path):
    # The pages of a mapped file go once no record borrows them any more (ReadOptions::
    # done_before, advanced as the reader lets go of its batches), even while the script holds
    # a list or two: resident memory stays far below the file's size. (Were they dropped while
    # a held record still borrowed them, reading it would map them in again for good.)
    path = tmp_path / "big.mrc"
    path.write_bytes(big_input(data, copies=40))  # 45 MB
    size_kb = path.stat().st_size // 1024
    reader = marcscope.MARCReader(str(path))
    previous, peak, n, titles = [], 0, 0, 0
    while True:
        current = reader.read_batch(1000)
        for record in previous:  # the list held while the next was read: read again now
            titles += record.title is not None
        if not current:
            break
        n += len(current)
        peak = max(peak, mapped_kb(path))
        previous = current
    assert n == 536 * 40
    assert titles > n // 2
    assert 0 < peak < size_kb // 2, (peak, size_kb)
    reader.close()
