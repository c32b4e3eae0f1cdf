"""After os.fork(): a child process makes new readers and reads what the parent reads.

The parent uses the engine first (its worker pool and a read-ahead thread are running, one reader
is half read when it forks), so the child inherits the engine's state from a busy process. Each
child reports through a pipe, and is killed after a deadline: a hang fails the test instead of
hanging it. See docs/PYTHON.md ("fork") for what is and is not safe.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import pickle
import select
import signal
import threading
import time

import pytest

import marcscope

SOURCE = "valid/solrmarc-uva_001_2000.mrc"
DEADLINE = 120.0

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")


@pytest.fixture(scope="module")
def corpus(data, tmp_path_factory):
    payload = (data / SOURCE).read_bytes() * 5  # 10,000 records: the pipeline runs on the pool
    path = tmp_path_factory.mktemp("fork") / "corpus.mrc"
    path.write_bytes(payload)
    return path


def digest(records) -> tuple[int, str]:
    """How many records, and a hash of each one's MARCMaker text and ISO 2709 bytes."""
    h = hashlib.sha256()
    n = 0
    for r in records:
        assert r is not None
        h.update(str(r).encode("utf-8"))
        h.update(r.as_marc())
        n += 1
    return n, h.hexdigest()


def every_way(path, validate: bool = True) -> dict:
    """The same file read through each of the reader's paths."""
    out = {
        "path": digest(marcscope.MARCReader(str(path))),
        "path, threads=2": digest(marcscope.MARCReader(str(path), threads=2)),
        "path, threads=1": digest(marcscope.MARCReader(str(path), threads=1)),
        "file object": digest(marcscope.MARCReader(open(path, "rb"))),
        "bytes": digest(marcscope.MARCReader(path.read_bytes())),
        "read": digest(marcscope.read(str(path))),
    }
    if validate:
        report = marcscope.validate(str(path))
        out["validate"] = (report.records, len(report.findings))
    # Two threads, each with its own reader.
    results: dict = {}

    def work(i):
        results[i] = digest(marcscope.MARCReader(str(path)))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out["two threads"] = (results[0], results[1])
    return out


def run_in_child(fn) -> object:
    """Forks; the child runs fn() and sends back its pickled result (or the exception's text)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        status = 0
        try:
            os.close(r)
            try:
                payload = pickle.dumps(("ok", fn()))
            except BaseException as e:  # noqa: BLE001 - reported to the parent
                payload = pickle.dumps(("error", repr(e)))
                status = 1
            with os.fdopen(w, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(status)
    os.close(w)
    chunks = []
    deadline = time.monotonic() + DEADLINE
    with os.fdopen(r, "rb") as pipe:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"the child did not finish in {DEADLINE:.0f} s (a hang after fork)")
            ready, _, _ = select.select([pipe], [], [], left)
            if not ready:
                continue
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    assert chunks, f"the child ended without a result (exit status {os.waitstatus_to_exitcode(status)})"
    kind, value = pickle.loads(b"".join(chunks))
    assert kind == "ok", value
    assert os.waitstatus_to_exitcode(status) == 0
    return value


def test_child_reads_like_the_parent(corpus):
    expected = every_way(corpus)
    assert expected["path"][0] == 10_000
    assert len({v for k, v in expected.items() if k not in ("validate", "two threads")}) == 1
    assert expected["two threads"] == (expected["path"], expected["path"])
    # A reader half read in the parent: its read-ahead thread and the pool are busy at the fork.
    busy = marcscope.MARCReader(str(corpus))
    first = [next(busy) for _ in range(10)]
    assert all(r is not None for r in first)
    got = run_in_child(lambda: every_way(corpus, validate=False))
    assert got == {k: v for k, v in expected.items() if k != "validate"}
    # The parent's own reader is unharmed by the fork.
    rest = digest(first + list(busy))
    assert rest == expected["path"]


def test_child_forked_while_a_thread_reads(corpus):
    """Fork while another parent thread is in the middle of native reads (the pool at work)."""
    expected = digest(marcscope.MARCReader(str(corpus)))
    stop = threading.Event()
    laps = []

    def keep_reading():
        while not stop.is_set():
            laps.append(digest(marcscope.MARCReader(str(corpus))))

    reader_thread = threading.Thread(target=keep_reading, daemon=True)
    reader_thread.start()
    try:
        time.sleep(0.05)
        got = [run_in_child(lambda: digest(marcscope.MARCReader(str(corpus)))) for _ in range(3)]
    finally:
        stop.set()
        reader_thread.join()
    assert got == [expected] * 3
    assert laps and all(lap == expected for lap in laps)


def test_pool_jobs_run_on_the_calling_thread_in_a_child(corpus, tmp_path):
    """validate() and convert() use the engine's pool, which a child forked after the parent
    used it cannot have: there they read, validate and convert on the calling thread instead
    (ReadOptions::serial, no oneTBB), with the same results as the parent's."""
    def jobs(tag):
        report = marcscope.validate(str(corpus))
        two = marcscope.validate(str(corpus), threads=2)
        strict = marcscope.validate(str(corpus), mode="strict", rules=False)
        summary = marcscope.convert(str(corpus), str(tmp_path / f"{tag}.xml"), "marcxml")
        marcscope.convert(str(corpus), str(tmp_path / f"{tag}.mrc"), "marc", threads=2)
        return ([(r.records, r.clean, r.skipped, [(f.record, f.code, f.rule, f.message) for f in r.findings])
                 for r in (report, two, strict)],
                [summary[k] for k in ("records", "skipped", "repaired", "stopped")], len(summary["diagnostics"]))

    expected = jobs("parent")
    assert expected[0][0][0] == 10_000 and expected[0][0][3] and expected[1][0] == 10_000
    got = run_in_child(lambda: jobs("child"))
    assert got == expected
    for ext in ("xml", "mrc"):
        assert (tmp_path / f"child.{ext}").read_bytes() == (tmp_path / f"parent.{ext}").read_bytes()
    # The parent's pool still works after the fork.
    assert marcscope.validate(str(corpus)).records == 10_000


def _pool_digest(path: str):
    return digest(marcscope.MARCReader(path))


def _pool_digest_file(path: str):
    with open(path, "rb") as f:
        return digest(marcscope.MARCReader(f))


def test_multiprocessing_fork_pool(corpus):
    expected = digest(marcscope.MARCReader(str(corpus)))
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        got = pool.map_async(_pool_digest, [str(corpus)] * 3).get(timeout=DEADLINE)
        got_files = pool.map_async(_pool_digest_file, [str(corpus)] * 2).get(timeout=DEADLINE)
    assert got == [expected] * 3
    assert got_files == [expected] * 2


def test_records_cross_process_boundaries(corpus):
    """Records made in the parent are pickled to a child and back unchanged."""
    records = list(marcscope.MARCReader(str(corpus)))[:50]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        back = pool.map_async(_identity, records).get(timeout=DEADLINE)
    assert [str(r) for r in back] == [str(r) for r in records]
    assert [r.as_marc() for r in back] == [r.as_marc() for r in records]


def _identity(record):
    assert isinstance(record, marcscope.Record)
    return record


def test_reader_from_before_the_fork_is_refused_in_the_child(corpus):
    """A reader belongs to the process that made it: in a forked child, using the parent's reader
    raises RuntimeError (its read-ahead thread does not exist there), and dropping it neither
    hangs nor crashes. The parent goes on reading it."""
    expected = digest(marcscope.MARCReader(str(corpus)))
    readers = [marcscope.MARCReader(str(corpus)), marcscope.MARCReader(io.BytesIO(corpus.read_bytes()), threads=1)]
    head = [next(readers[0]) for _ in range(5)]

    def in_child():
        import gc

        outcomes = []
        for reader in readers:
            try:
                next(reader)
                outcomes.append("read")
            except RuntimeError as e:
                outcomes.append("refused" if "another process" in str(e) else repr(e))
        # The only references to them in the child: dropping them runs their destructors here.
        del reader
        readers.clear()
        gc.collect()
        # And a new reader in the child reads the whole file.
        return outcomes, digest(marcscope.MARCReader(str(corpus)))

    outcomes, got = run_in_child(in_child)
    assert outcomes == ["refused", "refused"]
    assert got == expected
    # The parent's list and readers are untouched by the child.
    assert len(readers) == 2
    assert digest(head + list(readers[0])) == expected
    assert digest(readers[1]) == expected
