// The engine's front door: every way of reading an input gives the same records and diagnostics
// (RecordReader from a path, a stream, bytes; one at a time or in batches; the push Decoder in
// chunks of any size); the record index equals a serial scan, numbers skipped records, grows
// while readers use it and resumes after a stop; records are fetched on demand from several
// threads at once; a file truncated under its mapping gives an error, not a crash.
#include <QtTest>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "marcscope/core/executor.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/io/byte_source.h"
#include "marcscope/read/decoder.h"
#include "marcscope/read/pipeline.h"
#include "marcscope/read/record_file.h"
#include "marcscope/read/record_index.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/stats/statistics.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

/// Everything reading an input gives, as text lines that compare and print well.
struct Trace {
  std::vector<std::string> records;  ///< "number offset-end status: mrk text"
  std::vector<std::string> skipped;  ///< "number offset"
  std::vector<std::string> diags;    ///< "record offset code severity"
  bool stopped = false;

  void add(const Batch& b) {
    for (const auto& r : b.records) add_record(r);
    for (const auto& s : b.skipped) skipped.push_back(std::to_string(s.number) + " " + std::to_string(s.offset));
    for (const auto& d : b.diagnostics) add_diag(d);
    stopped = stopped || b.stopped;
  }
  void add_record(const BatchRecord& r) {
    std::string text;
    write_mrk(r.record, text);
    records.push_back(std::to_string(r.number) + " " + std::to_string(r.offset) + "-" + std::to_string(r.end) + " " +
                      std::to_string(r.status) + (r.repaired ? " repaired" : "") + ": " + text);
  }
  void add_diag(const Diagnostic& d) {
    diags.push_back(std::to_string(d.record) + " " + std::to_string(d.offset) + " " + std::string(code_name(d.code)) +
                    " " + std::string(severity_name(d.severity)));
  }
};

void compare(const Trace& got, const Trace& want, const QString& what) {
  auto same = [&](const std::vector<std::string>& a, const std::vector<std::string>& b, const char* kind) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] != b[i])
        return QString("%1: %2 %3 differs:\n got  %4\n want %5")
            .arg(what, kind)
            .arg(i)
            .arg(QString::fromStdString(a[i].substr(0, 300)), QString::fromStdString(b[i].substr(0, 300)));
    if (a.size() != b.size()) return QString("%1: %2 %3, want %4").arg(what, kind).arg(a.size()).arg(b.size());
    return QString();
  };
  for (const QString& problem : {same(got.records, want.records, "records"), same(got.skipped, want.skipped, "skipped"),
                                 same(got.diags, want.diags, "diagnostics")})
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
  QVERIFY2(got.stopped == want.stopped, qPrintable(what + ": stopped differs"));
}

ReadOptions options_for(ReadMode mode, unsigned threads = 2) {
  ReadOptions o;
  o.mode = mode;
  o.threads = threads;
  return o;
}

Trace run_reader(RecordReader& reader) {
  Trace t;
  reader.run([&](Batch& b) {
    t.add(b);
    return true;
  });
  return t;
}

Trace pull_batches(RecordReader& reader, std::size_t n, bool give_back = false) {
  Trace t;
  for (Batch b = reader.next_batch(n); !b.empty(); b = reader.next_batch(n)) {
    if (b.records.size() > n) t.diags.push_back("batch larger than asked");
    t.add(b);
    if (give_back) reader.give_back(std::move(b));
  }
  t.stopped = reader.stopped();
  return t;
}

Trace pull_one_by_one(RecordReader& reader) {
  Trace t;
  BatchRecord rec;
  Diagnostics diags;
  for (;;) {
    const ReadStep step = reader.next(rec, diags);
    if (step == ReadStep::End) break;
    if (step == ReadStep::Record) t.add_record(rec);
    else t.skipped.push_back(std::to_string(rec.number) + " " + std::to_string(rec.offset));
  }
  for (const auto& d : diags) t.add_diag(d);
  t.stopped = reader.stopped();
  return t;
}

Trace push_decoded(const std::string& bytes, std::size_t chunk, const ReadOptions& options) {
  Decoder decoder(options, "<test>");
  Trace t;
  for (std::size_t at = 0; at < bytes.size(); at += chunk)
    t.add(decoder.feed(std::string_view(bytes).substr(at, chunk)));
  t.add(decoder.finish());
  return t;
}

/// Decoder::feed_from over the bytes, `window` at a time; the records must point into them
/// (ISO 2709) and nothing may be left unread.
Trace decoded_in_place(const std::string& bytes, std::size_t window, const ReadOptions& options, bool iso2709) {
  Decoder decoder(options, "<test>");
  auto owner = std::make_shared<const std::string>(bytes);
  const std::string_view whole(*owner);
  Trace t;
  std::size_t calls = 0;
  while (!decoder.finished()) {
    Batch b = decoder.feed_from(whole, window, owner);
    for (const auto& r : b.records)
      if (iso2709 && (r.bytes.data() < whole.data() || r.bytes.data() + r.bytes.size() > whole.data() + whole.size()))
        t.diags.push_back("a record copied, not in place");
    if (iso2709 && !b.records.empty() && b.keep_alive != owner) t.diags.push_back("the batch does not keep the input");
    t.add(b);
    if (++calls > bytes.size() + 2) {
      t.diags.push_back("feed_from never finished");
      break;
    }
  }
  if (decoder.bytes_fed() != bytes.size() && !decoder.stopped()) t.diags.push_back("bytes left unread");
  t.add(decoder.feed_from(whole, window, owner));  // nothing more after the end
  return t;
}

std::unique_ptr<ByteSource> trickle(const std::string& bytes, std::size_t chunk) {
  auto pos = std::make_shared<std::size_t>(0);
  return make_callback_source([bytes, chunk, pos](char* buf, std::size_t n) {
    const std::size_t k = std::min({n, chunk, bytes.size() - *pos});
    std::memcpy(buf, bytes.data() + *pos, k);
    *pos += k;
    return k;
  }, "<trickle>");
}

/// As trickle(), from a writer that pauses: idle (ready() false) after two reads of every three,
/// so that readers cut slices and hand batches over wherever the bytes have got to.
class PausingTrickle final : public ByteSource {
 public:
  PausingTrickle(std::string bytes, std::size_t chunk) : bytes_(std::move(bytes)), chunk_(chunk) {}
  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t k = std::min({n, chunk_, bytes_.size() - pos_});
    std::memcpy(buf, bytes_.data() + pos_, k);
    pos_ += k;
    ++reads_;
    return k;
  }
  bool ready() const override { return pos_ == bytes_.size() || reads_ % 3 == 0; }
  const std::string& name() const override { return name_; }

 private:
  std::string bytes_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
  std::size_t reads_ = 0;
  std::string name_ = "<pausing>";
};

QStringList all_fixtures() {
  QStringList out;
  for (const QString dir : {"valid", "malformed", "pairs", "xml", "json", "mrk", "marc8"}) {
    const QDir d(data_dir() + "/" + dir);
    for (const QString& f : d.entryList(QDir::Files, QDir::Name)) {
      if (f.endsWith(".md") || f.endsWith(".txt") || f.endsWith(".tsv")) continue;
      out << dir + "/" + f;
    }
  }
  return out;
}

bool readable(const QString& rel) {
  try {
    RecordReader::open(data_path(rel));
    return true;
  } catch (const NotMarcError&) {
    return false;
  }
}

/// A file of about `bytes` bytes made of copies of real records, in a temporary directory.
QString big_file(QTemporaryDir& dir, std::size_t bytes) {
  const std::string base = read_bytes("valid/solrmarc-uva_001_2000.mrc");
  const QString path = dir.filePath("big.mrc");
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly)) return {};
  std::size_t written = 0;
  while (written < bytes) {
    f.write(base.data(), qint64(base.size()));
    written += base.size();
  }
  return path;
}


/// A pipe that gets `bytes` and then stays open with nothing more written, as a writer that has
/// paused, until release() (or 60 s, after which it closes: `timed_out`, so that a reader that
/// fails to stop shows as a failure, not a hang). Read it through path().
/// Each record's number and end offset, as a reader of `bytes` held in memory delivers them.
std::vector<std::pair<std::uint64_t, std::uint64_t>> records_in(const std::string& bytes) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  RecordReader::open_bytes(bytes)->run([&](Batch& b) {
    for (const auto& r : b.records) out.emplace_back(r.number, r.end);
    return true;
  });
  return out;
}

class IdlePipe {
 public:
  /// Writes `bytes`, waits (up to 60 s) to be released, writes `after` and closes the pipe.
  explicit IdlePipe(std::string bytes, std::string after = {}) {
    if (::pipe(fds_) != 0) throw std::runtime_error("pipe");
    writer_ = std::thread([this, bytes = std::move(bytes), after = std::move(after)] {
      const auto write_all = [this](const std::string& b) {
        std::size_t at = 0;
        while (at < b.size()) {
          const ssize_t k = ::write(fds_[1], b.data() + at, b.size() - at);
          if (k <= 0) break;
          at += static_cast<std::size_t>(k);
        }
      };
      write_all(bytes);
      std::unique_lock lock(mutex_);
      written_ = true;
      changed_.notify_all();
      timed_out_ = !changed_.wait_for(lock, std::chrono::seconds(60), [&] { return released_; });
      lock.unlock();
      write_all(after);
      ::close(fds_[1]);
    });
  }
  ~IdlePipe() { release(); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fds_[0]); }
  /// Until every byte is in the pipe (the reader then waits for more once it has read them).
  void wait_written() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return written_; });
  }
  /// True when released before the writer gave up.
  bool release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
      changed_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
    if (fds_[0] >= 0) ::close(fds_[0]);
    fds_[0] = -1;
    return !timed_out_;
  }
  /// Lets the writer go on (write `after`, close) while the reader still reads; release() after.
  void let_go() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  bool let_go_yet() {
    std::lock_guard lock(mutex_);
    return released_;
  }

 private:
  int fds_[2] = {-1, -1};
  std::thread writer_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool written_ = false, released_ = false, timed_out_ = false;
};

}  // namespace

class TestFrontDoor : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  /// The push decoder given a large stretch at once splits its records between the executor's
  /// threads (decode_slice_parallel) and gives exactly what one thread gives: the same records,
  /// numbers, offsets and diagnostics, in Permissive and Recover mode. (Not in test_pipeline,
  /// which CI also runs under ThreadSanitizer: oneTBB's parallel_for is not annotated for it, as
  /// parallel_pipeline is.)
  void decoder_splits_a_stretch_as_one_thread_reads_it() {
    // Clean records with damaged ones between them, so that the parts hold diagnostics too.
    const std::string bytes = read_bytes("valid/pymarc-marc.dat") + read_bytes("malformed/catmandu-bu_bibs.mrc") +
                              read_bytes("valid/solrmarc-uva_001_2000.mrc") + read_bytes("malformed/marcperl-badldr.usmarc") +
                              read_bytes("valid/evergreen-jazz_1k.mrc") + read_bytes("malformed/filemarc-wronglen.mrc");
    const auto owner = std::make_shared<const std::string>(bytes);
    struct Decoded {
      std::vector<std::string> records, diagnostics;
    };
    for (ReadMode mode : {ReadMode::Permissive, ReadMode::Recover}) {
      auto decode = [&](unsigned threads) {
        ReadOptions o;
        o.mode = mode;
        o.threads = threads;
        o.format = Format::Iso2709;
        Decoder decoder(o, "corpus");
        Decoded r;
        std::size_t batches = 0;
        while (!decoder.finished()) {
          Batch b = decoder.feed_from(*owner, bytes.size() / 3, owner);
          ++batches;
          for (const auto& rec : b.records) r.records.push_back(std::to_string(rec.number) + "@" + std::to_string(rec.offset) + ":" + std::string(rec.bytes));
          for (const auto& d : b.diagnostics) r.diagnostics.push_back(d.to_string());
          if (batches > 100) break;
        }
        return r;
      };
      const Decoded one = decode(1), two = decode(2);
      QVERIFY(one.records.size() >= 3000);
      QVERIFY(!one.diagnostics.empty());
      QCOMPARE(two.records, one.records);
      QCOMPARE(two.diagnostics, one.diagnostics);
    }
  }

  void entry_points_agree_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("mode");
    for (const QString& f : all_fixtures()) {
      if (!readable(f)) continue;
      for (const ReadMode m : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover})
        QTest::newRow(qPrintable(f + " " + QString::fromLatin1(read_mode_name(m).data()))) << f << int(m);
    }
  }
  /// Path, stream, bytes; run, batches, one by one: the same records and diagnostics.
  void entry_points_agree() {
    QFETCH(QString, file);
    QFETCH(int, mode);
    const ReadOptions o = options_for(static_cast<ReadMode>(mode));
    const std::string bytes = read_bytes(file);
    auto reference = RecordReader::open(data_path(file), o);
    const Trace want = run_reader(*reference);
    QVERIFY(!want.records.empty() || !want.diags.empty() || bytes.empty());
    {
      auto r = RecordReader::open(data_path(file), o);
      compare(pull_batches(*r, 7, true), want, "next_batch(7), batches given back");
    }
    {
      auto r = RecordReader::open(data_path(file), o);
      compare(pull_one_by_one(*r), want, "next()");
    }
    {
      ReadOptions shared = o;
      shared.executor = std::make_shared<Executor>(2);
      auto r = RecordReader::open(trickle(bytes, 4093), shared);
      QCOMPARE(r->format(), reference->format());
      compare(run_reader(*r), want, "stream");
    }
    {
      // A writer that pauses: slices and batches end wherever its bytes have got to.
      auto r = RecordReader::open(std::make_unique<PausingTrickle>(bytes, 1021), o);
      compare(run_reader(*r), want, "stream, writer pausing");
      auto pulled = RecordReader::open(std::make_unique<PausingTrickle>(bytes, 1021), o);
      compare(pull_batches(*pulled, 7), want, "stream, writer pausing, next_batch(7)");
    }
    {
      auto r = RecordReader::open_bytes(bytes, o);
      compare(run_reader(*r), want, "bytes");
    }
    {
      // Everything on the job's thread through the Decoder, no oneTBB: the same again.
      ReadOptions serial = o;
      serial.serial = true;
      auto r = RecordReader::open(data_path(file), serial);
      QCOMPARE(r->format(), reference->format());
      compare(run_reader(*r), want, "serial");
      auto pulled = RecordReader::open(data_path(file), serial);
      compare(pull_batches(*pulled, 7), want, "serial, next_batch(7)");
    }
  }

  /// The pipeline decodes into the records of batches a pull reader's consumer gave back, keeping
  /// their views' room. A record filled again is as a new one: delivered as it is, it has its view
  /// over its own bytes (or its UTF-8 form) and no model; decoded, it has its model and no view or
  /// form left from before. Records of every kind follow one another here (UTF-8 and plain MARC-8
  /// delivered as they are, MARC-8 beyond ASCII as its UTF-8 form, damaged ones decoded), pulled
  /// in batches of several sizes given back, and pushed (nothing handed back), on two threads,
  /// against the Decoder on one thread.
  void recycled_records_are_as_new() {
    // Three times over: which record lands in which spare's room varies from run to run, and
    // enough of them must show it (below) on a loaded machine too.
    const std::string once = read_bytes("valid/evergreen-lul_fre_100.mrc") + read_bytes("pairs/traject-test_data.utf8.mrc") +
                           read_bytes("malformed/pymarc-bad_records.mrc") + read_bytes("valid/pymarc-marc.dat") +
                           read_bytes("malformed/filemarc-bad_example.mrc") + read_bytes("valid/evergreen-lul_fre_100.mrc") +
                           read_bytes("pairs/traject-test_data.utf8.mrc");
    const std::string bytes = once + once + once;
    ReadOptions o = options_for(ReadMode::Recover);
    o.skip_as_is = true;
    o.iso2709_forms = true;
    o.slice_bytes = 4000;  // a few records a slice: many slices, records recycled from slice to slice
    std::vector<std::string> problems;
    auto describe = [&](const BatchRecord& r) {
      Diagnostics none;
      std::string text;
      if (r.as_is) {
        if (!r.record.fields().empty()) problems.push_back(std::to_string(r.number) + ": a model beside the view");
        const char* const over = r.transcoded ? r.transcoded->data() : r.bytes.data();
        if (r.view.fields().empty() || r.view.bytes().data() != over || r.view.number() != r.number)
          problems.push_back(std::to_string(r.number) + ": its view is not over its own bytes");
        write_mrk(Record::from_view(r.view, o.decode, none), text);
      } else {
        if (!r.view.fields().empty() || !r.view.bytes().empty() || r.transcoded)
          problems.push_back(std::to_string(r.number) + ": a view or form left from before");
        write_mrk(r.record, text);
      }
      return std::to_string(r.number) + " " + std::to_string(r.offset) + (r.as_is ? " as is " : " decoded ") +
             std::to_string(r.status) + ": " + text;
    };
    ReadOptions serial = o;
    serial.serial = true;
    std::vector<std::string> want;
    // Records not delivered as they are read (decoded, transcoded from MARC-8, or skipped): each
    // leaves the room of its parse to the next record's view.
    int not_plain = 0;
    RecordReader::open_bytes(bytes, serial)->run([&](Batch& b) {
      for (const auto& r : b.records) {
        want.push_back(describe(r));
        not_plain += !r.as_is || r.transcoded;
      }
      not_plain += static_cast<int>(b.skipped.size());
      return true;
    });
    QVERIFY2(want.size() > 200, qPrintable(QString::number(want.size())));
    int as_is = 0, transcoded = 0, decoded = 0;
    for (const std::string& w : want) {
      as_is += w.find(" as is ") != std::string::npos;
      decoded += w.find(" decoded ") != std::string::npos;
    }
    int pushed_refilled = 0;
    for (const std::size_t batch : {std::size_t(0), std::size_t(1), std::size_t(7), std::size_t(1000)}) {
      std::vector<std::string> got;
      // Records that were filled again: a view parsed into new room has room for exactly its
      // fields; one parsed into the room of a record given back (or of a record not delivered
      // as it is, just before) keeps the room of the longer record before.
      int refilled = 0;
      auto note_room = [&](const BatchRecord& r) {
        refilled += r.as_is && !r.transcoded && r.view.fields().capacity() > r.view.fields().size();
      };
      auto reader = RecordReader::open_bytes(bytes, o);
      if (batch == 0) {
        reader->run([&](Batch& b) {
          for (const auto& r : b.records) {
            got.push_back(describe(r));
            note_room(r);
            transcoded += r.transcoded != nullptr;
          }
          return true;
        });
      } else {
        for (Batch b = reader->next_batch(batch); !b.empty(); b = reader->next_batch(batch)) {
          for (const auto& r : b.records) {
            got.push_back(describe(r));
            note_room(r);
          }
          reader->give_back(std::move(b));
        }
      }
      QVERIFY2(problems.empty(), problems.empty() ? "" : problems.front().c_str());
      // Pushed, nothing is handed back; pulled and given back, many more records are filled again.
      qInfo("batch %zu refilled %d of %zu", batch, refilled, got.size());
      if (batch == 0) {
        QVERIFY2(refilled <= not_plain, qPrintable(QString("pushed: %1 records filled again").arg(refilled)));
        pushed_refilled = refilled;
      } else {
        QVERIFY2(refilled > pushed_refilled + 10,
                 qPrintable(QString("batch %1: %2 records filled again").arg(batch).arg(refilled)));
      }
      QCOMPARE(got.size(), want.size());
      for (std::size_t i = 0; i < got.size(); ++i)
        QVERIFY2(got[i] == want[i], qPrintable(QString("batch %1, record %2:\n got  %3\n want %4")
                                                   .arg(batch)
                                                   .arg(i)
                                                   .arg(QString::fromStdString(got[i].substr(0, 200)),
                                                        QString::fromStdString(want[i].substr(0, 200)))));
    }
    // Every kind was there to recycle.
    QVERIFY(as_is > 100 && transcoded > 20 && decoded > 5);
  }

  void decoder_matches_reader_data() { entry_points_agree_data(); }
  /// The push decoder gives what the path reader gives, for chunks of 1 byte to 1 MiB.
  void decoder_matches_reader() {
    QFETCH(QString, file);
    QFETCH(int, mode);
    const ReadOptions o = options_for(static_cast<ReadMode>(mode));
    const std::string bytes = read_bytes(file);
    auto reference = RecordReader::open(data_path(file), o);
    const Trace want = run_reader(*reference);
    std::vector<std::size_t> chunks{7, 4096, 65536, 1u << 20};
    if (bytes.size() <= 40000) chunks.insert(chunks.begin(), 1);
    for (const std::size_t chunk : chunks)
      compare(push_decoded(bytes, chunk, o), want, QString("chunks of %1").arg(chunk));
    // In place (a mapped file): the same, in windows smaller and larger than a record.
    std::vector<std::size_t> windows{4093, 1u << 20};
    if (bytes.size() <= 40000) windows.insert(windows.begin(), 7);
    for (const std::size_t window : windows)
      compare(decoded_in_place(bytes, window, o,
                               reference->format() == Format::Iso2709 || reference->format() == Format::Iso2709Marc8), want,
              QString("in place, windows of %1").arg(window));
    // Told the format rather than detecting it: no record or diagnostic lost at the end (a
    // stream reader's last bad record once went missing when finish() came after the first
    // feed had started the reader).
    ReadOptions told = o;
    told.format = reference->format();
    for (const std::size_t chunk : {std::size_t(7), std::size_t(1) << 20})
      compare(push_decoded(bytes, chunk, told), want, QString("format given, chunks of %1").arg(chunk));
  }

  /// feed_from() reads one whole input: after feed() it is an error, not a second input.
  void feed_from_is_not_mixed_with_feed() {
    const std::string bytes = read_bytes("valid/pymarc-marc.dat");
    Decoder d;
    (void)d.feed(std::string_view(bytes).substr(0, 100));
    QVERIFY_THROWS_EXCEPTION(std::logic_error, d.feed_from(bytes, 4096, nullptr));
    ReadOptions told;
    told.format = Format::Iso2709;  // decoding starts at once (nothing held back for detection)
    Decoder d2(told);
    (void)d2.feed(std::string_view(bytes).substr(0, 100));
    QVERIFY_THROWS_EXCEPTION(std::logic_error, d2.feed_from(bytes, 4096, nullptr));
    Decoder d3;
    (void)d3.feed_from(bytes, 100, nullptr);
    QVERIFY_THROWS_EXCEPTION(std::logic_error, d3.feed(std::string_view(bytes).substr(100)));
    Decoder whole;
    std::size_t records = 0;
    while (!whole.finished()) records += whole.feed_from(bytes, 4096, nullptr).records.size();
    QVERIFY(records > 0);
    QVERIFY(whole.finish().empty());
  }

  /// Anything that is not MARC is refused at the door, by every way in.
  void not_marc_is_refused() {
    for (const std::string& text : {std::string("hello, world. this is plain text\n"), std::string("\x7F" "ELF\x02\x01\x01", 7)}) {
      QVERIFY_THROWS_EXCEPTION(NotMarcError, RecordReader::open_bytes(text));
      Decoder d2;
      (void)d2.feed(text);  // held back until 64 KB or the end
      QVERIFY_THROWS_EXCEPTION(NotMarcError, d2.finish());
      Decoder d3;
      QVERIFY_THROWS_EXCEPTION(NotMarcError, d3.feed_from(text, 4096, nullptr));
      QVERIFY_THROWS_EXCEPTION(NotMarcError, RecordFile::open(MappedFile::from_bytes(text)));
    }
    // An empty input is no error: no records.
    auto empty = RecordReader::open_bytes("");
    QCOMPARE(run_reader(*empty).records.size(), std::size_t(0));
    Decoder d;
    QVERIFY(d.finish().empty());
  }

  void index_matches_serial_scan_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("mode");
    for (const QString& f : all_fixtures()) {
      if (!is_iso2709_name(f) || !readable(f)) continue;
      for (const ReadMode m : {ReadMode::Permissive, ReadMode::Recover})
        QTest::newRow(qPrintable(f + " " + QString::fromLatin1(read_mode_name(m).data()))) << f << int(m);
    }
  }
  /// One entry per record number, skipped records included, where stage 1 put them; each
  /// diagnostic's record number names an entry.
  void index_matches_serial_scan() {
    QFETCH(QString, file);
    QFETCH(int, mode);
    const auto m = static_cast<ReadMode>(mode);
    auto source = open_source(data_path(file));
    Diagnostics scan_diags;
    const auto spans = scan_spans(*source, m, scan_diags);
    auto rf = RecordFile::open(data_path(file), options_for(m));
    std::uint64_t last_diag_record = 0;
    std::vector<std::uint64_t> skipped_numbers, numbers;
    rf->build_index({}, [&](Batch& b) {
      for (const auto& d : b.diagnostics) last_diag_record = std::max(last_diag_record, d.record);
      for (const auto& r : b.records) numbers.push_back(r.number);
      for (const auto& s : b.skipped) {
        skipped_numbers.push_back(s.number);
        numbers.push_back(s.number);
      }
      return true;
    });
    const RecordIndex& index = rf->index();
    QVERIFY(index.complete());
    QCOMPARE(index.size(), std::uint64_t(spans.size()));
    QVERIFY(last_diag_record <= index.size());
    // Every record read, delivered or skipped, is one entry, and every entry one record read.
    std::sort(numbers.begin(), numbers.end());
    QCOMPARE(std::uint64_t(numbers.size()), index.size());
    for (std::size_t i = 0; i < numbers.size(); ++i) QCOMPARE(numbers[i], std::uint64_t(i + 1));
    for (std::uint64_t n = 1; n <= index.size(); ++n) {
      const IndexEntry e = index.at(n);
      const IndexedSpan& s = spans[n - 1];
      QCOMPARE(e.number, n);
      QCOMPARE(e.offset, s.offset);
      QCOMPARE(e.length, std::uint64_t(s.length));
      if (s.flags & IndexedSpan::kSkippedByStage1) QVERIFY(e.status & RecordStatus::kSkipped);
    }
    for (const auto n : skipped_numbers) QVERIFY(index.at(n).status & RecordStatus::kSkipped);
  }

  /// The issue's example: a malformed file of 100 records has 100 entries in Permissive mode,
  /// 16 of them skipped, and record numbers in diagnostics match positions.
  void index_counts_skipped_records() {
    auto rf = RecordFile::open(data_path("malformed/catmandu-bu_bibs.mrc"), options_for(ReadMode::Permissive));
    rf->build_index();
    QCOMPARE(rf->index().size(), std::uint64_t(100));
    int skipped = 0;
    for (std::uint64_t n = 1; n <= 100; ++n) {
      const FetchedRecord f = rf->fetch(n);
      QCOMPARE(f.record.number, n);
      if (rf->index().at(n).status & RecordStatus::kSkipped) {
        ++skipped;
        QVERIFY(f.skipped);
        for (const auto& d : f.diagnostics) QCOMPARE(d.record, n);
      }
    }
    QCOMPARE(skipped, 16);
  }

  void fetch_matches_reading_data() {
    QTest::addColumn<QString>("file");
    for (const QString& f : all_fixtures())
      if (readable(f)) QTest::newRow(qPrintable(f)) << f;
  }
  /// Every indexed record fetched on its own is the record reading the file gave, in every format.
  void fetch_matches_reading() {
    QFETCH(QString, file);
    const ReadOptions o = options_for(ReadMode::Permissive);
    auto reference = RecordReader::open(data_path(file), o);
    std::map<std::uint64_t, std::string> want;
    reference->run([&](Batch& b) {
      for (const auto& r : b.records) {
        Trace t;
        t.add_record(r);
        want[r.number] = t.records.front().substr(t.records.front().find(':'));
      }
      return true;
    });
    auto rf = RecordFile::open(data_path(file), o);
    rf->build_index();
    for (const auto& [number, text] : want) {
      QVERIFY2(number <= rf->index().size(), qPrintable(QString("record %1 not indexed").arg(number)));
      const FetchedRecord f = rf->fetch(number);
      QVERIFY2(!f.skipped, qPrintable(QString("record %1 skipped on fetch").arg(number)));
      Trace t;
      t.add_record(f.record);
      QCOMPARE(t.records.front().substr(t.records.front().find(':')), text);
    }
    // Reading a selection on the pipeline gives the same records, in the order asked.
    std::vector<std::uint64_t> picks;
    for (const auto& [number, text] : want)
      if (number % 3 == 1) picks.push_back(number);
    std::reverse(picks.begin(), picks.end());
    auto selection = rf->read(picks);
    std::size_t k = 0;
    selection->run([&](Batch& b) {
      for (const auto& r : b.records) {
        if (k < picks.size() && r.number == picks[k]) {
          Trace t;
          t.add_record(r);
          if (t.records.front().substr(t.records.front().find(':')) == want[r.number]) ++k;
        }
      }
      return true;
    });
    QCOMPARE(k, picks.size());
  }

  /// The index can be read while it grows, and any published record fetched meanwhile.
  void index_grows_while_read() {
    QTemporaryDir dir;
    const QString path = big_file(dir, 24u << 20);
    ReadOptions o = options_for(ReadMode::Permissive);
    o.slice_bytes = 64 * 1024;
    auto rf = RecordFile::open(path.toStdString(), o);
    std::atomic<bool> done{false}, fetched{false};
    std::thread indexer([&] {
      // Once its first records are published, the pass waits for one fetch: however the threads
      // are scheduled on a loaded machine, a fetch happens while the index is still growing.
      rf->build_index({}, [&](Batch&) {
        while (!fetched.load()) std::this_thread::yield();
        return true;
      });
      done = true;
    });
    std::uint64_t last = 0, checks = 0, grew = 0;
    std::mt19937_64 rng(42);
    while (!done.load()) {
      const std::uint64_t n = rf->index().size();
      QVERIFY(n >= last);
      if (n > last && last > 0) ++grew;
      last = n;
      if (n == 0) continue;
      const std::uint64_t pick = 1 + rng() % n;
      const FetchedRecord f = rf->fetch(pick);
      QCOMPARE(f.record.number, pick);
      QVERIFY(!f.skipped && !f.record.record.fields().empty());
      ++checks;
      fetched = true;
    }
    indexer.join();
    QVERIFY(rf->index().complete());
    Diagnostics d;
    auto source = open_source(path.toStdString());
    QCOMPARE(rf->index().size(), std::uint64_t(scan_spans(*source, ReadMode::Permissive, d).size()));
    QVERIFY2(checks > 0, "no fetch happened while the index grew");
    qInfo("%llu fetches while indexing, %llu growth steps seen", (unsigned long long)checks, (unsigned long long)grew);
  }

  /// A stopped indexing pass resumes where it stopped and ends with the same index.
  void index_resumes_after_stop() {
    QTemporaryDir dir;
    const QString path = big_file(dir, 6u << 20);
    ReadOptions o = options_for(ReadMode::Permissive);
    o.slice_bytes = 32 * 1024;
    o.batch_records = 2;
    auto whole = RecordFile::open(path.toStdString(), o);
    whole->build_index();
    for (const std::string fmt : {"iso", "mrk"}) {
      std::shared_ptr<RecordFile> rf;
      std::shared_ptr<RecordFile> ref = whole;
      if (fmt == "iso") {
        rf = RecordFile::open(path.toStdString(), o);
      } else {
        ref = RecordFile::open(data_path("mrk/marcperl-camel.mrk"), o);
        ref->build_index();
        rf = RecordFile::open(data_path("mrk/marcperl-camel.mrk"), o);
      }
      std::stop_source stop;
      JobControl control;
      control.stop = stop.get_token();
      int batches = 0;
      const marcscope::ReadSummary first = rf->build_index(control, [&](Batch&) {
        if (++batches == 2) stop.request_stop();
        return true;
      });
      QVERIFY2(first.cancelled, fmt.c_str());
      QVERIFY(!rf->index().complete());
      const std::uint64_t partial = rf->index().size();
      QVERIFY(partial > 0);
      rf->build_index();
      QVERIFY(rf->index().complete());
      QCOMPARE(rf->index().size(), ref->index().size());
      for (std::uint64_t n = 1; n <= ref->index().size(); ++n) {
        QCOMPARE(rf->index().at(n).offset, ref->index().at(n).offset);
        QCOMPARE(rf->index().at(n).length, ref->index().at(n).length);
      }
      // Reading on from a given record gives exactly the rest.
      std::uint64_t count = 0, first_number = 0;
      rf->read_from(partial + 1)->run([&](Batch& b) {
        if (!first_number && !b.records.empty()) first_number = b.records.front().number;
        count += b.records.size();
        return true;
      });
      QCOMPARE(count, ref->index().size() - partial);
      if (count) QCOMPARE(first_number, partial + 1);
    }
  }

  /// Several threads fetch at random from one mapping at once and get what reading gave.
  void fetch_from_threads() {
    const QString file = "valid/solrmarc-uva_001_2000.mrc";
    auto rf = RecordFile::open(data_path(file), options_for(ReadMode::Permissive));
    rf->build_index();
    std::vector<std::string> want(rf->index().size() + 1);
    RecordReader::open(data_path(file))->run([&](Batch& b) {
      for (const auto& r : b.records) write_mrk(r.record, want[r.number]);
      return true;
    });
    std::atomic<int> bad{0}, done{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(t);
        for (int i = 0; i < 3000; ++i) {
          const std::uint64_t n = 1 + rng() % rf->index().size();
          std::string text;
          write_mrk(rf->fetch(n).record.record, text);
          if (text != want[n]) ++bad;
          if (rf->raw(n).size() != rf->index().at(n).length) ++bad;
          ++done;
        }
      });
    }
    for (auto& t : threads) t.join();
    QCOMPARE(bad.load(), 0);
    QCOMPARE(done.load(), 12000);
  }

  /// A file cut short while it is mapped: fetch and read report an IoError instead of crashing.
  void truncated_file_is_an_error() {
    QTemporaryDir dir;
    const QString path = big_file(dir, 1u << 20);
    auto rf = RecordFile::open(path.toStdString(), options_for(ReadMode::Permissive));
    rf->build_index();
    const std::uint64_t n = rf->index().size();
    QVERIFY(n > 100);
    QVERIFY(!rf->fetch(n).skipped);
    QCOMPARE(::truncate(path.toLocal8Bit().constData(), 4096), 0);
    QVERIFY(!rf->mapping().intact());
    QVERIFY_THROWS_EXCEPTION(IoError, rf->fetch(n));
    QVERIFY_THROWS_EXCEPTION(IoError, rf->raw(1));
    QVERIFY_THROWS_EXCEPTION(IoError, rf->read({1, 2, 3}));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, rf->fetch(n + 1));
  }

  /// Raw reading keeps every value's bytes as read (pymarc's to_unicode=False); leader/09 is kept
  /// as read when asked, else becomes 'a' with the UTF-8 model.
  void raw_values_and_leader_09() {
    const QString file = "marc8/marccharset-cyrillic.marc";
    const std::string bytes = read_bytes(file);
    ReadOptions raw;
    raw.decode.raw = true;
    raw.decode.leader_utf8 = false;
    ReadOptions utf8;
    std::vector<Record> raws, decoded;
    int bad = 0;
    RecordReader::open_bytes(bytes, raw)->run([&](Batch& b) {
      for (auto& r : b.records) {
        // Every raw value is a substring of the record's bytes; the leader keeps its blank 09.
        if (r.record.leader()[9] != r.bytes[9]) ++bad;
        for (const auto& f : r.record.fields())
          for (const auto& sf : f.subfields())
            if (r.bytes.find(sf.value) == std::string_view::npos) ++bad;
        raws.push_back(std::move(r.record));
      }
      return true;
    });
    QCOMPARE(bad, 0);
    RecordReader::open_bytes(bytes, utf8)->run([&](Batch& b) {
      for (auto& r : b.records) decoded.push_back(std::move(r.record));
      return true;
    });
    QCOMPARE(raws.size(), decoded.size());
    QVERIFY(!raws.empty());
    QCOMPARE(decoded.front().leader()[9], 'a');
    QCOMPARE(raws.front().leader()[9], ' ');
    // MARC-8 Cyrillic: the raw values differ from their UTF-8 decoding somewhere.
    bool differs = false;
    for (std::size_t i = 0; i < raws.size(); ++i) differs = differs || !(raws[i] == decoded[i]);
    QVERIFY(differs);
    Record r;
    r.set_leader_at(5, 'c');
    QCOMPARE(r.leader(), std::string("00000cam a2200000 i 4500"));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, r.set_leader_at(24, 'x'));
  }

  /// Statistics made per batch in parallel and merged equal those of one serial pass.
  void statistics_merge_in_parallel() {
    const std::string bytes = read_bytes("valid/solrmarc-uva_001_2000.mrc") + read_bytes("valid/evergreen-lul_fre_500.mrc") +
                              read_bytes("malformed/catmandu-bu_bibs.mrc");
    Statistics serial;
    std::uint64_t skipped = 0;
    RecordReader::open_bytes(bytes, options_for(ReadMode::Permissive, 1))->run([&](Batch& b) {
      for (const auto& r : b.records) serial.add(r.record, r.status);
      skipped += b.skipped.size();
      return true;
    });
    ReadOptions o = options_for(ReadMode::Permissive, 2);
    o.slice_bytes = 4096;
    auto reader = RecordReader::open_bytes(bytes, o);
    const Statistics parallel = collect_statistics(*reader);
    QCOMPARE(parallel.records(), serial.records());
    QCOMPARE(parallel.skipped(), skipped);
    QVERIFY(skipped > 0);
    QCOMPARE(parallel.marc8() + parallel.utf8(), parallel.records());
    QCOMPARE(parallel.to_json("x"), [&] {
      // The serial aggregate has no skipped count of its own: give it the same one.
      Statistics with_skips;
      Batch b;
      b.skipped.resize(skipped);
      with_skips.add(b);
      with_skips.merge(serial);
      return with_skips.to_json("x");
    }());
    const auto fields = parallel.fields();
    QCOMPARE(fields.at("245").count.records, parallel.records());
    QVERIFY(fields.at("650").count.occurrences > fields.at("650").count.records);
    QVERIFY(fields.at("245").subfields.at('a').records > 0);
  }

  /// Taking away what was added (an edit's old record, a deleted one) leaves the aggregate of the
  /// rest, with what no record holds any more gone; taking away more than was added is refused.
  void statistics_subtract() {
    const std::string a = read_bytes("valid/solrmarc-uva_001_2000.mrc");
    const std::string b = read_bytes("valid/evergreen-lul_fre_500.mrc") + read_bytes("malformed/catmandu-bu_bibs.mrc");
    auto stats_of = [](const std::string& bytes) {
      auto reader = RecordReader::open_bytes(bytes, options_for(ReadMode::Permissive, 2));
      return collect_statistics(*reader);
    };
    Statistics whole = stats_of(a + b);
    const Statistics only_a = stats_of(a), only_b = stats_of(b);
    QVERIFY(only_b.skipped() > 0);
    QVERIFY(whole.to_json("x") != only_a.to_json("x"));
    // Tags that only b has must go, not stay with a count of 0.
    const auto fa = only_a.fields(), fb = only_b.fields();
    QVERIFY(std::any_of(fb.begin(), fb.end(), [&](const auto& f) { return !fa.count(f.first); }));
    whole.subtract(only_b);
    QCOMPARE(whole.to_json("x"), only_a.to_json("x"));
    QCOMPARE(whole.to_csv("x"), only_a.to_csv("x"));
    QCOMPARE(whole.fields().size(), fa.size());
    // One record out and back in.
    Statistics one;
    RecordReader::open_bytes(a, options_for(ReadMode::Permissive, 1))->run([&](Batch& batch) {
      one.add(batch.records.front().record, batch.records.front().status);
      return false;
    });
    whole.subtract(one);
    QCOMPARE(whole.records() + 1, only_a.records());
    whole.merge(one);
    QCOMPARE(whole.to_json("x"), only_a.to_json("x"));
    // Refused, and nothing changed.
    QVERIFY_THROWS_EXCEPTION(std::logic_error, whole.subtract(only_b));
    QCOMPARE(whole.to_json("x"), only_a.to_json("x"));
    Statistics empty;
    QVERIFY_THROWS_EXCEPTION(std::logic_error, empty.subtract(one));
    empty.subtract(Statistics());
    QCOMPARE(empty.records(), std::uint64_t(0));
  }

  /// Nine bytes a record once a segment fills, big offsets and lengths through the side table.
  /// A reader waiting for input from a pipe whose writer has paused stops when asked (a stop
  /// request, a reader destroyed) instead of waiting for the writer: ByteSource::interrupt_on.
  /// Each way of reading is tried: the pipeline (ISO 2709), the serial reader, the stream
  /// pipeline (MARCXML). (open() itself waits for the first 64 KB, or the end, to tell the
  /// format: that wait cannot be stopped.)
  void a_reader_of_an_idle_pipe_stops_when_asked_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<bool>("serial");
    QTest::newRow("iso2709") << "valid/evergreen-jazz_1k.mrc" << false;
    QTest::newRow("iso2709 serial") << "valid/evergreen-jazz_1k.mrc" << true;
    // More than the 64 KB format detection reads at open(), which waits for them.
    QTest::newRow("marcxml") << "xml/deb-idzebra-collection-opera-43.xml" << false;
  }
  void a_reader_of_an_idle_pipe_stops_when_asked() {
    QFETCH(QString, fixture);
    QFETCH(bool, serial);
    const std::string bytes = read_bytes(fixture);
    IdlePipe pipe(bytes + bytes);
    ReadOptions options;
    options.serial = serial;
    auto reader = RecordReader::open(pipe.path(), options);
    std::stop_source stop;
    JobControl control;
    control.stop = stop.get_token();
    std::atomic<std::uint64_t> records{0};
    std::thread job([&] {
      reader->run([&](Batch& b) {
        records += b.records.size();
        return true;
      }, {}, control);
    });
    pipe.wait_written();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // lets the reader reach its read (not needed to pass)
    stop.request_stop();
    job.join();
    QVERIFY2(pipe.release(), "the reader waited for the writer to close the pipe");
    QVERIFY(reader->cancelled());
  }

  void a_paused_writers_records_arrive_before_it_closes_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<bool>("serial");
    // Each under the 64 KB that format detection used to wait for, and under a slice.
    QTest::newRow("iso2709") << "pairs/marcperl-camel.usmarc" << false;
    QTest::newRow("iso2709 serial") << "pairs/marcperl-camel.usmarc" << true;
    QTest::newRow("marcxml") << "xml/deb-idzebra-collection-namemrc.xml" << false;
    QTest::newRow("marcxml serial") << "xml/deb-idzebra-collection-namemrc.xml" << true;
    QTest::newRow("mrk") << "mrk/marcperl-camel.mrk" << false;
    QTest::newRow("ndjson") << "pairs/marcmij-test.ndj" << false;
    QTest::newRow("json") << "pairs/pymarc-batch.json" << false;
  }
  /// A pipe's (or a socket's) writer that pauses after some records: the reader hands them over
  /// while it waits, as a record-at-a-time reader would, instead of holding them until 64 KB
  /// (format detection) or a slice's worth (the pipeline) has come, or the writer closes.
  void a_paused_writers_records_arrive_before_it_closes() {
    QFETCH(QString, fixture);
    QFETCH(bool, serial);
    const std::string bytes = read_bytes(fixture);
    const std::size_t want = records_in(bytes).size();
    QVERIFY(want >= 2);
    IdlePipe pipe(bytes);
    ReadOptions options;
    options.serial = serial;
    auto reader = RecordReader::open(pipe.path(), options);
    std::size_t got = 0;
    // Every record but the last: the end of a format's last record may only show at the input's
    // end (a JSON array's closing bracket, MARCMaker's blank line).
    while (got + 1 < want) {
      const Batch b = reader->next_batch(1000);
      QVERIFY2(!b.empty(), "the input ended early");
      got += b.records.size();
    }
    QVERIFY2(pipe.release(), "the records came only once the writer closed the pipe");
    for (Batch b = reader->next_batch(1000); !b.empty(); b = reader->next_batch(1000)) got += b.records.size();
    QCOMPARE(got, want);
  }

  /// The push decoder hands over what a feed completed, without waiting for 64 KB or finish().
  void the_decoder_hands_over_records_before_64_kb() {
    for (const QString fixture : {"pairs/marcperl-camel.usmarc", "xml/deb-idzebra-collection-namemrc.xml",
                                  "mrk/marcperl-camel.mrk", "pairs/marcmij-test.ndj"}) {
      const std::string bytes = read_bytes(fixture);
      QVERIFY(bytes.size() < 65536);
      Decoder decoder;
      const Batch fed = decoder.feed(bytes);
      QVERIFY2(!fed.records.empty(), qPrintable(fixture + ": nothing before finish()"));
      const Batch rest = decoder.finish();
      QCOMPARE(fed.records.size() + rest.records.size(), records_in(bytes).size());
    }
  }

  /// RecordReader::wait(): false while an idle writer holds up the input (without waiting longer
  /// than asked), true once records or the end have come; what came later is all read.
  void a_pulled_reader_waits_for_an_idle_writer_a_slice_of_time_at_a_time() {
    const std::string bytes = read_bytes("pairs/marcperl-camel.usmarc");
    const auto want = records_in(bytes);
    QVERIFY(want.size() >= 4);
    const std::size_t first = 2;  // whole records first, the rest once let go
    const std::size_t cut = static_cast<std::size_t>(want[first - 1].second);
    IdlePipe pipe(bytes.substr(0, cut), bytes.substr(cut));
    auto reader = RecordReader::open(pipe.path());
    std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
    while (got.size() < first) {
      QVERIFY(reader->wait(std::chrono::seconds(30)));
      const Batch b = reader->next_batch(1000);
      QVERIFY2(!b.empty(), "the input ended early");
      for (const auto& r : b.records) got.emplace_back(r.number, r.end);
    }
    pipe.wait_written();
    for (int i = 0; i < 3; ++i) QVERIFY2(!reader->wait(std::chrono::milliseconds(20)), "wait() said records had come");
    pipe.let_go();
    for (;;) {
      QVERIFY(reader->wait(std::chrono::seconds(30)));
      const Batch b = reader->next_batch(1000);
      if (b.empty()) break;
      for (const auto& r : b.records) got.emplace_back(r.number, r.end);
    }
    QVERIFY(reader->wait(std::chrono::milliseconds(0)));  // the end, at once
    QVERIFY(pipe.release());
    QCOMPARE(got, want);
  }

  /// ByteSource::on_wait() runs while a read waits for an idle writer, on the reading thread;
  /// what it throws, the read throws, having taken nothing: a later read goes on, and every
  /// record comes (the Python module's Ctrl-C with a reader that decodes on the calling thread).
  void a_wait_for_an_idle_writer_may_end_with_what_on_wait_throws() {
    const std::string bytes = read_bytes("pairs/marcperl-camel.usmarc");
    const auto want = records_in(bytes);
    QVERIFY(want.size() >= 4);
    // Cut inside the third record: the decoder holds its first part while the writer waits.
    const std::size_t cut = static_cast<std::size_t>(want[1].second) + 100;
    IdlePipe pipe(bytes.substr(0, cut), bytes.substr(cut));
    struct Interrupted {};
    const std::thread::id reading = std::this_thread::get_id();
    std::atomic<int> calls{0}, elsewhere{0};
    auto source = open_source(pipe.path(), {{}, [&] {
                                              if (std::this_thread::get_id() != reading) ++elsewhere;
                                              if (++calls % 3 == 0) throw Interrupted{};
                                            }});
    std::shared_ptr<ByteSource> shared(std::move(source));
    Decoder decoder;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
    int interrupted = 0;
    while (!decoder.finished()) {
      try {
        const Batch b = decoder.read_from(*shared, shared, 1u << 16);
        for (const auto& r : b.records) got.emplace_back(r.number, r.end);
        QCOMPARE(b.diagnostics.size(), std::size_t(0));
      } catch (const Interrupted&) {
        ++interrupted;
        QCOMPARE(got.size(), std::size_t(2));   // the third record is not cut short
        if (interrupted == 2) pipe.let_go();    // twice, then the writer goes on
      }
    }
    QCOMPARE(interrupted, 2);
    QVERIFY(calls.load() >= 6);
    QCOMPARE(elsewhere.load(), 0);
    QVERIFY(pipe.release());
    QCOMPARE(got, want);
  }

  /// A job stopped while opening a pipe whose writer is idle (telling its format) ends at once:
  /// open_source() with the job's stop token reads an empty input.
  void opening_an_idle_pipe_ends_when_the_job_stops() {
    for (const bool serial : {false, true}) {
      IdlePipe pipe(std::string{});  // the writer writes nothing and waits
      std::stop_source stop;
      std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        stop.request_stop();
      });
      ReadOptions options;
      options.serial = serial;
      auto reader = RecordReader::open(open_source(pipe.path(), {stop.get_token(), {}}), options);
      QVERIFY2(!pipe.let_go_yet(), "opening waited for the writer");
      stopper.join();
      JobControl control;
      control.stop = stop.get_token();
      const marcscope::ReadSummary summary = reader->run([](Batch&) { return true; }, {}, control);
      QCOMPARE(summary.delivered, std::uint64_t(0));
      QVERIFY(summary.cancelled);
      QVERIFY(pipe.release());
    }
  }

  /// Destroying a reader pulled from (its pipeline on a thread of its own) does not wait for an
  /// idle writer either: the Python module's reader goes this way.
  void a_pulled_reader_of_an_idle_pipe_goes_at_once() {
    // Few enough bytes that the reader takes them all at once and waits for more: a reader
    // pulled from reads ahead only so far (the writer of a larger input would wait for it).
    const std::string bytes = read_bytes("pairs/marcperl-camel.usmarc");
    IdlePipe pipe(bytes);
    auto reader = RecordReader::open(pipe.path());
    const Batch first = reader->next_batch(1);
    QCOMPARE(first.records.size(), std::size_t(1));
    QCOMPARE(first.records[0].number, std::uint64_t(1));
    pipe.wait_written();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // as above
    reader.reset();
    QVERIFY2(pipe.release(), "destroying the reader waited for the writer to close the pipe");
  }

  void index_storage() {
    RecordIndex index;
    const std::uint64_t n = 300000;
    std::uint64_t offset = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t length = i == 7 ? (40u << 20) : 500 + i % 1000;
      index.append(i == 9 ? (3ull << 40) : offset, length, static_cast<std::uint8_t>(i & 0xFF));
      offset += length;
    }
    QCOMPARE(index.size(), std::uint64_t(0));  // nothing published yet
    index.publish();
    QCOMPARE(index.size(), n);
    QCOMPARE(index.at(8).length, std::uint64_t(40u << 20));
    QCOMPARE(index.at(10).offset, 3ull << 40);
    QCOMPARE(index.at(n).status, std::uint8_t((n - 1) & 0xFF));
    std::uint64_t expect = 0;
    for (std::uint64_t i = 1; i <= n; ++i) {
      const IndexEntry e = index.at(i);
      if (i != 10) QCOMPARE(e.offset, expect);
      expect += e.length;
    }
    const double per_record = double(index.memory_bytes()) / double(n);
    qInfo("index: %.2f bytes per record at %llu records", per_record, (unsigned long long)n);
    QVERIFY2(per_record <= 16.0, qPrintable(QString::number(per_record)));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, index.at(n + 1));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, index.at(0));
  }
};

QTEST_GUILESS_MAIN(TestFrontDoor)
#include "test_front_door.moc"
