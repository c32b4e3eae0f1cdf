"""Whole-input jobs from Python (validate(path), convert()) are visible and stoppable: a progress
callback on the calling thread, returning False to stop, an exception in it to stop and propagate,
and Ctrl-C (KeyboardInterrupt) with or without a callback.

Jobs that must still be running when they are stopped read a named pipe that a helper thread keeps
feeding: such a job cannot end before the pipe is closed, and the helper closes it only when the
test says so (or, should stopping not work, after a cap far beyond what any stop needs, which the
tests then notice). No assertion depends on timing.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time

import pytest

import marcscope

FIXTURE = "valid/evergreen-jazz_1k.mrc"
CAP = 400 << 20  # bytes the feeder writes at most


class Feeder(threading.Thread):
    """Writes `chunk` into the named pipe `path` again and again until stopped, the reader goes
    away, or CAP bytes; `then` runs once the first megabyte is in."""

    def __init__(self, path, chunk, then=None):
        super().__init__(daemon=True)
        self.path, self.chunk, self.then = path, chunk, then
        self.stop = threading.Event()
        self.written = 0
        self.reached_cap = False

    def run(self):
        with open(self.path, "wb", buffering=0) as f:  # blocks until the job opens the pipe
            told = False
            while not self.stop.is_set():
                if self.written >= CAP:
                    self.reached_cap = True
                    return
                try:
                    f.write(self.chunk)
                except (BrokenPipeError, OSError):
                    return  # the job stopped and closed its end
                self.written += len(self.chunk)
                if not told and self.written >= (1 << 20) and self.then:
                    told = True
                    self.then()


def release(feeder):
    """Stops the feeder, and frees it should it still wait for a reader to open the pipe (a job
    that failed before opening it): then its open() returns and it ends."""
    feeder.stop.set()
    try:
        os.close(os.open(feeder.path, os.O_RDONLY | os.O_NONBLOCK))
    except OSError:
        pass


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "input.mrc"
    os.mkfifo(path)
    return path


@pytest.fixture
def chunk(data):
    return (data / FIXTURE).read_bytes()


@pytest.fixture
def sigint():
    """Ctrl-C raises KeyboardInterrupt in this process, whatever the test runner set."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_progress_ends_at_the_whole_input(data, tmp_path, chunk):
    path = tmp_path / "big.mrc"
    path.write_bytes(chunk * 20)
    seen = []
    report = marcscope.validate(path, progress=seen.append, progress_interval=0.001)
    assert seen, "the callback was never called"
    assert all(isinstance(p, marcscope.Progress) for p in seen)
    for a, b in zip(seen, seen[1:]):
        assert a.records <= b.records and a.bytes <= b.bytes and a.seconds <= b.seconds
    last = seen[-1]
    size = path.stat().st_size
    assert last.total_bytes == size and last.bytes == size and last.fraction == 1.0
    assert last.records == report.records + report.skipped > 0
    assert not report.cancelled

    calls = []
    result = marcscope.convert(path, tmp_path / "out.json", "json", progress=calls.append, progress_interval=0.001)
    assert calls[-1].records == result["records"] and calls[-1].bytes == size
    assert not result["cancelled"]


def test_progress_of_an_input_of_unknown_size(fifo, chunk):
    feeder = Feeder(fifo, chunk)
    seen = []

    def progress(p):
        seen.append(p)
        feeder.stop.set()  # the input ends after this: the job reads to its end

    feeder.start()
    report = marcscope.validate(fifo, progress=progress, progress_interval=0.001)
    feeder.join(60)
    assert not feeder.is_alive()
    assert not feeder.reached_cap
    assert seen[0].total_bytes is None and seen[0].fraction is None
    assert seen[-1].bytes == feeder.written
    assert report.records + report.skipped == feeder.written // len(chunk) * 1000
    assert not report.cancelled


def test_returning_false_stops_validation(fifo, chunk):
    feeder = Feeder(fifo, chunk)
    feeder.start()
    calls = []
    try:
        report = marcscope.validate(fifo, progress=lambda p: calls.append(p) or False, progress_interval=0.001)
    finally:
        release(feeder)
    feeder.join(60)
    assert not feeder.is_alive()
    assert not feeder.reached_cap, "the job read on after the callback said stop"
    assert report.cancelled
    assert len(calls) == 1  # not called again once it said stop (nor for the final figures)
    assert 0 < report.records


def test_returning_false_stops_conversion_and_leaves_dest(fifo, chunk, tmp_path):
    dest = tmp_path / "out.xml"
    dest.write_text("the file before")
    feeder = Feeder(fifo, chunk)
    feeder.start()
    try:
        result = marcscope.convert(fifo, dest, "marcxml", progress=lambda p: False, progress_interval=0.001)
    finally:
        release(feeder)
    feeder.join(60)
    assert not feeder.is_alive()
    assert not feeder.reached_cap
    assert result["cancelled"] and result["records"] > 0
    assert dest.read_text() == "the file before"
    assert sorted(os.listdir(tmp_path)) == sorted(["input.mrc", "out.xml"])  # no temporary left


def test_an_exception_in_the_callback_stops_the_job_and_propagates(fifo, chunk, tmp_path):
    class Enough(Exception):
        pass

    def progress(p):
        raise Enough(p.records)

    feeder = Feeder(fifo, chunk)
    feeder.start()
    dest = tmp_path / "out.json"
    try:
        with pytest.raises(Enough):
            marcscope.convert(fifo, dest, "json", progress=progress, progress_interval=0.001)
    finally:
        release(feeder)
    feeder.join(60)
    assert not feeder.is_alive()
    assert not feeder.reached_cap
    assert not dest.exists()


@pytest.mark.parametrize("job", ["validate", "convert"])
def test_ctrl_c_stops_a_job_without_a_callback(fifo, chunk, tmp_path, sigint, job):
    dest = tmp_path / "out.mrc"
    feeder = Feeder(fifo, chunk, then=lambda: os.kill(os.getpid(), signal.SIGINT))
    feeder.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            if job == "validate":
                marcscope.validate(fifo)
            else:
                marcscope.convert(fifo, dest, "marc")
    finally:
        release(feeder)
    feeder.join(60)
    assert not feeder.is_alive()
    # Had the job not stopped, it would have read until the feeder's cap.
    assert not feeder.reached_cap, "Ctrl-C did not stop the job"
    assert not dest.exists()


def test_validating_records_reports_and_stops(data):
    records = list(marcscope.MARCReader(str(data / FIXTURE)))
    assert len(records) == 1000
    seen = []
    report = marcscope.validate(records, progress=seen.append, progress_interval=1e-9)
    assert seen and seen[-1].records == 1000 and seen[-1].total_bytes is None
    assert report.records == 1000 and not report.cancelled

    report = marcscope.validate(records, progress=lambda p: False, progress_interval=1e-9)
    assert report.cancelled
    assert report.records + report.skipped == 255  # stopped at the first look, before record 256


def test_progress_arguments_are_checked(data):
    with pytest.raises(TypeError):
        marcscope.validate(str(data / FIXTURE), progress="not callable")
    with pytest.raises(ValueError):
        marcscope.validate(str(data / FIXTURE), progress=print, progress_interval=0)


def test_errors_of_the_job_come_through(tmp_path, data):
    with pytest.raises(marcscope.MarcIOError):
        marcscope.validate(tmp_path / "missing.mrc", progress=print)
    with pytest.raises(OSError):
        marcscope.convert(data / FIXTURE, tmp_path / "no-such-folder" / "out.xml", "marcxml")


def test_final_figures_of_a_piped_marcxml_document(fifo, data):
    """MARCXML from a pipe (size unknown): the final figures say how far the records went, not 0."""
    doc = (data / "xml/deb-idzebra-collection-opera-43.xml").read_bytes()

    def feed():
        with open(fifo, "wb") as f:
            f.write(doc)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    seen = []
    report = marcscope.validate(fifo, progress=seen.append)
    feeder.join(60)
    assert report.records > 0
    last = seen[-1]
    assert last.total_bytes is None and last.records == report.records + report.skipped
    # Up to the end of the last record: all of the document but its closing tags.
    assert len(doc) - 200 < last.bytes <= len(doc)


class Enough(Exception):
    pass


def test_each_is_called_while_the_job_reads_and_its_exception_stops_it(fifo, chunk):
    feeder = Feeder(fifo, chunk)
    running = []

    def each(finding):
        # The feeder writes until told to stop (or the cap): a validation that handed its findings
        # over only at its end would call this after the feeder had ended.
        running.append(feeder.is_alive() and not feeder.stop.is_set() and not feeder.reached_cap)
        raise Enough

    feeder.start()
    try:
        with pytest.raises(Enough):
            marcscope.validate(fifo, each=each)
    finally:
        release(feeder)
        feeder.join(60)
    assert running == [True]
    assert not feeder.reached_cap


def test_each_streams_every_finding_of_an_input_read_as_it_comes(fifo, chunk):
    feeder = Feeder(fifo, chunk)
    seen = []
    told_at = []

    def each(finding):
        seen.append(finding.record)
        if len(seen) == 30_000:  # several queues' worth: then the input ends
            told_at.append(feeder.written)
            feeder.stop.set()

    feeder.start()
    try:
        report = marcscope.validate(fifo, each=each)
    finally:
        release(feeder)
        feeder.join(60)
    assert told_at and told_at[0] <= feeder.written
    assert not feeder.reached_cap
    assert len(seen) == report.total_findings > 30_000 and report.findings == []
    assert seen == sorted(seen)  # in input order
    assert report.records + report.skipped == feeder.written // len(chunk) * 1000


class IdleWriter(threading.Thread):
    """Writes `data` into the named pipe `path`, runs `then`, and keeps the pipe open writing
    nothing more until `release` is set, or for 60 s (then `timed_out`), so that a reader waits
    for input that does not come; then writes `after` and closes the pipe."""

    def __init__(self, path, data, then=None, after=b""):
        super().__init__(daemon=True)
        self.path, self.data, self.then, self.after = path, data, then, after
        self.release = threading.Event()
        self.timed_out = False

    def run(self):
        with open(self.path, "wb", buffering=0) as f:
            try:
                f.write(self.data)
            except OSError:
                return
            if self.then:
                self.then()
            self.timed_out = not self.release.wait(60)
            try:
                f.write(self.after)
            except OSError:
                return


def test_closing_a_reader_of_an_idle_pipe_does_not_wait_for_the_writer(fifo, chunk):
    # The reader reads ahead on a thread of its own and waits there for more input; closing and
    # dropping it stops that wait (it used to last until the writer wrote again or closed the
    # pipe, and the whole interpreter waited with it).
    # Less than the pipe holds, written at once, so that the reader takes it all in its first
    # read and then waits in a read, not for room: a reader reads ahead only so far, in slices of
    # what has come (a larger input's writer would wait for the reader instead).
    end = 0
    while end < len(chunk) and end + int(chunk[end : end + 5]) <= 48 * 1024:
        end += int(chunk[end : end + 5])
    head = chunk[:end]
    assert head.count(b"\x1d") >= 20
    written = threading.Event()
    writer = IdleWriter(fifo, head, then=written.set)
    writer.start()
    try:
        reader = marcscope.MARCReader(str(fifo))
        first = next(iter(reader))
        assert first is not None and first["001"] is not None
        # Every byte read: the reader's next read waits for the writer. (Were closing not to end
        # that wait, dropping the reader would hang here, the GIL held, until the writer's 60 s.)
        assert written.wait(60)
        time.sleep(0.2)  # not needed to pass: lets the reader get back into its read, as a user's would
        reader.close()
        del reader, first  # the engine's reader goes: its thread is joined, the GIL held
        gc.collect()
    finally:
        writer.release.set()
        writer.join(90)
    assert not writer.timed_out  # close() returned while the writer still held the pipe open


def test_ctrl_c_stops_a_job_whose_pipe_is_idle(fifo, chunk, sigint):
    writer = IdleWriter(fifo, chunk * 4, then=lambda: os.kill(os.getpid(), signal.SIGINT))
    writer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            marcscope.validate(fifo)
    finally:
        writer.release.set()
        writer.join(90)
    assert not writer.timed_out  # the job stopped while the writer still held the pipe open


@pytest.mark.parametrize("job", ["validate", "convert"])
def test_ctrl_c_stops_a_job_while_it_tells_the_formats_of_an_idle_pipe(fifo, tmp_path, sigint, job):
    # Nothing comes: the job waits for the bytes that tell the input's format (it could not be
    # stopped there before, and waited for the writer).
    dest = tmp_path / "out.xml"
    writer = IdleWriter(fifo, b"", then=lambda: os.kill(os.getpid(), signal.SIGINT))
    writer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            if job == "validate":
                marcscope.validate(fifo)
            else:
                marcscope.convert(fifo, dest, "marcxml")
    finally:
        writer.release.set()
        writer.join(90)
    assert not writer.timed_out  # the job stopped while the writer still held the pipe open
    assert not dest.exists()


def _record_ends(payload):
    ends, at = [], 0
    while at < len(payload):
        at += int(payload[at : at + 5])
        ends.append(at)
    return ends


@pytest.mark.parametrize("how", ["path", "path, one thread", "open file"])
@pytest.mark.parametrize("when", ["opening", "reading"])
def test_ctrl_c_reaches_a_reader_whose_writer_is_idle(fifo, chunk, sigint, how, when):
    """As in pymarc's file.read(): a reader waiting for a writer that sends nothing raises
    KeyboardInterrupt, and nothing is lost by it: once the writer goes on, every record comes."""
    payload = chunk[: _record_ends(chunk)[9]]  # ten records
    want = [r["001"].value() for r in marcscope.MARCReader(payload)]
    # Opening: nothing before the pause (a path's reader waits to tell the format). Reading:
    # three whole records and part of the fourth, which the reader holds while it waits.
    cut = 0 if when == "opening" else _record_ends(payload)[2] + 100
    writer = IdleWriter(fifo, payload[:cut], after=payload[cut:])
    writer.start()

    def make():
        if how == "open file":
            return marcscope.MARCReader(open(fifo, "rb"))
        return marcscope.MARCReader(str(fifo), threads=1 if how.endswith("one thread") else None)

    timer = None
    try:
        reader = None
        if when == "opening" and how != "open file":
            timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            with pytest.raises(KeyboardInterrupt):
                make()
            timer.join()
            assert not writer.timed_out, "the reader waited for the writer, not for Ctrl-C"
            # A new reader takes everything, as if nothing had happened. (Made before the writer
            # goes on: with no reader, a pipe's writer cannot write.)
            timer = threading.Timer(0.2, writer.release.set)
            timer.start()
            reader = make()
            got = [r["001"].value() for r in reader]
        else:
            reader = make()
            records = iter(reader)
            got = [next(records)["001"].value() for _ in range(3 if cut else 0)]
            timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            with pytest.raises(KeyboardInterrupt):
                got.append(next(records)["001"].value())
            timer.join()
            assert not writer.timed_out, "the reader waited for the writer, not for Ctrl-C"
            writer.release.set()
            got.extend(r["001"].value() for r in records)  # the same reader goes on
    finally:
        if timer:
            timer.cancel()
        writer.release.set()
        writer.join(90)
    assert not writer.timed_out, "the reader waited for the writer, not for Ctrl-C"
    assert got == want


@pytest.mark.parametrize("threads", [None, 1])
def test_ctrl_c_reaches_a_reader_of_a_named_pipe_no_writer_has_opened(fifo, sigint, threads):
    # open(2) of a named pipe waits for a writer; a signal there is Ctrl-C, not an I/O error.
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            marcscope.MARCReader(str(fifo), threads=threads)
    finally:
        timer.cancel()
