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
