"""Threads: the GIL is released while the engine reads and parses; one reader per thread runs in
parallel; one reader shared between threads hands each record to exactly one of them."""

from __future__ import annotations

import io
import sys
import threading
import time

import pytest

import marcscope

SOURCE = "valid/solrmarc-uva_001_2000.mrc"


@pytest.fixture(scope="module")
def big_file(data, tmp_path_factory):
    payload = (data / SOURCE).read_bytes() * 10  # 20,000 records, about 23 MB
    path = tmp_path_factory.mktemp("big") / "big.mrc"
    path.write_bytes(payload)
    return path


class Ticker:
    """A Python thread that counts while it holds the GIL and yields it after each count.

    With the switch interval set very high the interpreter never takes the GIL from a running
    thread, so the ticker can only count while the main thread has released the GIL itself."""

    def __init__(self):
        self.count = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop:
            self.count += 1
            time.sleep(0)  # releases the GIL, so the main thread gets it back when it asks

    def __enter__(self):
        self.old = sys.getswitchinterval()
        self.thread.start()
        sys.setswitchinterval(1000.0)
        return self

    def __exit__(self, *exc):
        self.stop = True
        sys.setswitchinterval(self.old)
        self.thread.join()


@pytest.mark.parametrize("how", ["path, one thread", "path, read-ahead", "BytesIO"])
def test_gil_is_released_while_parsing(big_file, how):
    if how == "path, one thread":
        reader = marcscope.MARCReader(str(big_file), threads=1)
    elif how == "path, read-ahead":
        reader = marcscope.MARCReader(str(big_file))
    else:
        # BytesIO.readinto never releases the GIL: only the engine's decoding can.
        reader = marcscope.MARCReader(io.BytesIO(big_file.read_bytes()))
    with Ticker() as ticker:
        before = ticker.count
        records = reader.read_batch(1_000_000)
        during = ticker.count - before
    assert len(records) == 20_000
    assert during > 0


def test_gil_is_held_by_pure_python_work():
    # The control for the test above: without a release, the ticker does not count.
    with Ticker() as ticker:
        time.sleep(0.05)  # let the ticker run once and wait for the GIL
        before = ticker.count
        total = 0
        for i in range(2_000_000):
            total += i
        during = ticker.count - before
    assert during == 0


def titles(reader):
    return [r.title for r in reader]


def test_one_reader_per_thread(data, big_file):
    expected = titles(marcscope.MARCReader(str(big_file), threads=1))
    results = {}

    def work(i):
        source = str(big_file) if i % 2 == 0 else open(big_file, "rb")
        results[i] = titles(marcscope.MARCReader(source, threads=1))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for i in range(4):
        assert results[i] == expected


@pytest.mark.parametrize("kind", ["path", "file", "path, one thread"])
def test_one_reader_shared_by_threads(big_file, kind):
    if kind == "path":
        reader = marcscope.MARCReader(str(big_file))
    elif kind == "file":
        reader = marcscope.MARCReader(open(big_file, "rb"), chunk_size=64 * 1024)
    else:
        reader = marcscope.MARCReader(str(big_file), threads=1)
    got = [[] for _ in range(4)]
    errors = []

    def work(i):
        try:
            while True:
                if i % 2:
                    batch = reader.read_batch(50)
                    if not batch:
                        return
                    got[i].extend(r.number for r in batch)
                else:
                    record = next(reader, None)
                    if record is None:
                        return
                    got[i].append(record.number)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(n for g in got for n in g)
    assert numbers == list(range(1, 20_001))
    for g in got:
        assert g == sorted(g)  # each thread sees its records in file order


def test_reentrant_use_is_an_error_not_a_hang(data):
    payload = (data / SOURCE).read_bytes()

    class Sneaky(io.BytesIO):
        reader = None

        def readinto(self, buffer):
            if self.reader is not None and self.tell() > 0:
                next(self.reader)
            return super().readinto(buffer)

    source = Sneaky(payload)
    reader = marcscope.MARCReader(source, chunk_size=64 * 1024)
    source.reader = reader
    with pytest.raises(RuntimeError):
        list(reader)
