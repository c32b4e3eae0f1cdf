// The parallel pipeline gives the same records, in the same order, with the same diagnostics,
// whatever the thread count, slice size or byte source; it cancels, propagates failures and
// keeps memory bounded.
#include <QTemporaryDir>
#include <QtTest>

#include <zlib.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>

#include "marcscope/io/byte_source.h"
#include "marcscope/read/decoder.h"
#include "marcscope/read/pipeline.h"
#include "marcscope/read/record_reader.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

struct Seen {
  std::uint64_t number;
  std::uint64_t offset;
  std::string bytes;
  bool operator==(const Seen&) const = default;
};
struct DiagKey {
  Code code;
  Severity severity;
  std::uint64_t record;
  std::uint64_t offset;
  bool operator==(const DiagKey&) const = default;
};
struct Result {
  std::vector<Seen> records;
  std::vector<DiagKey> diags;
  bool stopped = false;
};

Result serial(const std::string& bytes, ReadMode mode) {
  ReadOptions options;
  options.mode = mode;
  Iso2709Reader reader(InputBuffer::from_bytes(bytes), options);
  Result r;
  ReadItem item;
  while (reader.next(item)) {
    if (item.has_record) r.records.push_back({item.view.number(), item.view.offset(), std::string(item.view.bytes())});
    for (const auto& d : item.diagnostics) r.diags.push_back({d.code, d.severity, d.record, d.offset});
  }
  r.stopped = reader.stopped();
  return r;
}

Result piped(std::unique_ptr<ByteSource> source, ReadMode mode, unsigned threads, std::size_t slice) {
  ReadOptions options;
  options.mode = mode;
  options.threads = threads;
  options.slice_bytes = slice;
  options.decode_records = false;
  Pipeline pipeline(std::move(source), options);
  Result r;
  std::uint64_t expected_index = 0;
  pipeline.run([&](Batch& batch) {
    if (batch.index != expected_index++) throw std::logic_error("batches out of order");
    for (const auto& rec : batch.records) r.records.push_back({rec.number, rec.offset, std::string(rec.bytes)});
    for (const auto& d : batch.diagnostics) r.diags.push_back({d.code, d.severity, d.record, d.offset});
    return true;
  });
  r.stopped = pipeline.stopped();
  return r;
}

/// Feeds `bytes` through a callback `chunk` bytes at a time.
std::unique_ptr<ByteSource> chunked(const std::string& bytes, std::size_t chunk, std::atomic<std::size_t>* read_so_far = nullptr) {
  auto pos = std::make_shared<std::size_t>(0);
  return make_callback_source([bytes, chunk, pos, read_so_far](char* buf, std::size_t n) {
    const std::size_t k = std::min({n, chunk, bytes.size() - *pos});
    std::memcpy(buf, bytes.data() + *pos, k);
    *pos += k;
    if (read_so_far) *read_so_far += k;
    return k;
  });
}

std::string gzip(const std::string& bytes) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// What zlib gets out of `z` (gzip) before it ends or breaks: the bytes a reader of it can deliver.
std::string inflate_what_it_can(const std::string& z) {
  z_stream st{};
  inflateInit2(&st, 15 + 32);
  std::string out;
  char buf[65536];
  st.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data()));
  st.avail_in = static_cast<uInt>(z.size());
  for (;;) {
    st.next_out = reinterpret_cast<Bytef*>(buf);
    st.avail_out = sizeof buf;
    const int rc = inflate(&st, Z_NO_FLUSH);
    out.append(buf, sizeof buf - st.avail_out);
    if (rc != Z_OK || (st.avail_in == 0 && st.avail_out != 0)) break;
  }
  inflateEnd(&st);
  return out;
}

/// One way of reading a file: records (number and bytes) and diagnostics, in order.
struct ReadBack {
  std::vector<std::pair<std::uint64_t, std::string>> records;
  std::vector<Diagnostic> diagnostics;
};

ReadBack read_back(const std::string& path, int how) {
  ReadOptions o;
  o.threads = 2;
  o.slice_bytes = 50000;
  o.serial = how == 2;
  auto reader = RecordReader::open(path, o);
  ReadBack r;
  auto take = [&](Batch& b) {
    for (const auto& rec : b.records) r.records.emplace_back(rec.number, std::string(rec.bytes));
    r.diagnostics.insert(r.diagnostics.end(), b.diagnostics.begin(), b.diagnostics.end());
    return true;
  };
  if (how == 1) {
    for (Batch b = reader->next_batch(100); !b.empty(); b = reader->next_batch(100)) take(b);
  } else {
    reader->run(take);
  }
  return r;
}

std::string corpus() {
  // Clean records, then defects of every kind between them, then clean records again: about
  // 3,300 records (3.5 MB), or 300 (0.5 MB) with small_data(), the same kinds of defect in both.
  const bool small = small_data();
  std::string s = read_bytes("valid/pymarc-marc.dat") + read_bytes("pairs/traject-test_data.utf8.mrc") +
                  read_bytes("malformed/marcperl-cameleof.usmarc") + read_bytes("malformed/catmandu-bu_bibs.mrc") +
                  read_bytes("malformed/pymarc-bad_records.mrc") +
                  read_bytes(small ? "valid/evergreen-lul_fre_100.mrc" : "valid/solrmarc-uva_001_2000.mrc") +
                  read_bytes("malformed/marcperl-badldr.usmarc") + read_bytes("malformed/filemarc-wronglen.mrc") +
                  read_bytes(small ? "valid/marcperl-sample1.usmarc" : "valid/evergreen-jazz_1k.mrc") +
                  read_bytes("malformed/mrrc-e005_truncated_record.bin");
  return s;
}

/// Records the corpus gives at least, in Permissive and Recover mode.
std::size_t corpus_floor() { return small_data() ? 250 : 3000; }

void compare(const Result& got, const Result& want, const char* what) {
  QVERIFY2(got.records.size() == want.records.size(),
           qPrintable(QString("%1: %2 records, serial reader has %3").arg(what).arg(got.records.size()).arg(want.records.size())));
  for (std::size_t i = 0; i < got.records.size(); ++i)
    QVERIFY2(got.records[i] == want.records[i], qPrintable(QString("%1: record %2 differs").arg(what).arg(i)));
  QVERIFY2(got.diags.size() == want.diags.size(),
           qPrintable(QString("%1: %2 diagnostics, serial reader has %3").arg(what).arg(got.diags.size()).arg(want.diags.size())));
  for (std::size_t i = 0; i < got.diags.size(); ++i)
    QVERIFY2(got.diags[i] == want.diags[i], qPrintable(QString("%1: diagnostic %2 differs").arg(what).arg(i)));
  QCOMPARE(got.stopped, want.stopped);
}

}  // namespace

class TestPipeline : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void same_as_serial_data() {
    QTest::addColumn<int>("mode");
    QTest::newRow("strict") << int(ReadMode::Strict);
    QTest::newRow("permissive") << int(ReadMode::Permissive);
    QTest::newRow("recover") << int(ReadMode::Recover);
  }
  /// Threads, slice sizes and sources never change what comes out.
  void same_as_serial() {
    QFETCH(int, mode);
    const auto m = static_cast<ReadMode>(mode);
    const std::string bytes = corpus();
    const Result want = serial(bytes, m);
    QVERIFY(want.records.size() > (m == ReadMode::Strict ? 40u : corpus_floor()));
    // Under ThreadSanitizer a smaller matrix keeps the run short.
    const bool fast = small_data();
    const std::vector<unsigned> thread_counts = fast ? std::vector<unsigned>{4} : std::vector<unsigned>{1, 2, 4};
    const std::vector<std::size_t> slices =
        fast ? std::vector<std::size_t>{5000} : std::vector<std::size_t>{1, 5000, 1u << 20};
    for (unsigned threads : thread_counts) {
      for (std::size_t slice : slices) {
        compare(piped(make_memory_source(bytes), m, threads, slice), want, "memory");
        compare(piped(chunked(bytes, 65536), m, threads, slice), want, "stream");
      }
    }
    for (std::size_t chunk : fast ? std::vector<std::size_t>{4096} : std::vector<std::size_t>{1, 7, 4096})
      compare(piped(chunked(bytes, chunk), m, 2, 3000), want, "small chunks");
    compare(piped(make_gzip_source(make_memory_source(gzip(bytes))), m, 2, 100000), want, "gzip");
    compare(piped(maybe_gunzip(chunked(gzip(bytes), 333)), m, 2, 100000), want, "gzip sniffed");
  }

  /// A real file through open_source (memory-mapped) and through a pipe-like read.
  void from_path() {
    const QString file = small_data() ? "valid/evergreen-lul_fre_500.mrc" : "valid/solrmarc-uva_001_2000.mrc";
    const QString path = data_dir() + "/" + file;
    const std::string bytes = read_bytes(file);
    QVERIFY(bytes.size() > 300000);
    const Result want = serial(bytes, ReadMode::Permissive);
    auto source = open_source(path.toStdString());
    QVERIFY(source->contiguous().has_value());
    compare(piped(std::move(source), ReadMode::Permissive, 2, 50000), want, "mmap");
    QTemporaryFile gz;
    QVERIFY(gz.open());
    const std::string z = gzip(bytes);
    gz.write(z.data(), qint64(z.size()));
    gz.flush();
    auto gzsource = open_source(gz.fileName().toStdString());
    QVERIFY(!gzsource->contiguous().has_value());
    compare(piped(std::move(gzsource), ReadMode::Permissive, 2, 50000), want, "gzip file");
    QVERIFY_THROWS_EXCEPTION(IoError, open_source((data_dir() + "/no-such-file.mrc").toStdString()));
    QVERIFY_THROWS_EXCEPTION(IoError, open_source(data_dir().toStdString()));
  }

  /// ReadOptions::done_before: a consumer that keeps records borrowing a mapped input's bytes
  /// says how far it is done with them, and pages are dropped only before that (the pipeline
  /// and the push Decoder); without it, pages go behind the records delivered.
  void pages_go_only_behind_what_the_consumer_is_done_with() {
    const std::string bytes = corpus();
    QVERIFY(bytes.size() > 200000);
    // Memory that says it is contiguous (as a mapping does) and notes every release_before().
    class Spy final : public ByteSource {
     public:
      Spy(const std::string& bytes, const std::atomic<std::uint64_t>* done) : bytes_(bytes), done_(done) {}
      std::size_t read(char*, std::size_t) override { return 0; }
      std::optional<std::string_view> contiguous() const override { return std::string_view(bytes_); }
      void release_before(std::uint64_t offset) override {
        highest = std::max(highest, offset);
        if (done_ && offset > done_->load()) beyond = true;
      }
      std::optional<std::uint64_t> size() const override { return bytes_.size(); }
      const std::string& name() const override { return name_; }
      std::uint64_t highest = 0;
      bool beyond = false;

     private:
      const std::string& bytes_;
      const std::atomic<std::uint64_t>* done_;
      std::string name_ = "<spy>";
    };
    for (const bool told : {false, true}) {
      for (const bool decoder : {false, true}) {
        const QByteArray row = QByteArray(decoder ? "Decoder" : "Pipeline") + (told ? ", told" : "");
        auto done = std::make_shared<std::atomic<std::uint64_t>>(0);
        ReadOptions options;
        options.slice_bytes = 16384;
        options.threads = 2;
        if (told) options.done_before = done;
        auto owned = std::make_shared<Spy>(bytes, told ? done.get() : nullptr);
        Spy& spy = *owned;
        // The consumer is done with a batch when the one after next arrives.
        std::vector<std::uint64_t> ends;
        std::size_t records = 0;
        auto take = [&](const Batch& batch) {
          records += batch.records.size();
          ends.push_back(batch.end_offset);
          if (ends.size() >= 3) done->store(ends[ends.size() - 3]);
        };
        if (decoder) {
          Decoder d(options, "<spy>");
          for (;;) {
            Batch batch = d.read_from(spy, owned, 16384);
            if (batch.empty()) break;
            take(batch);
          }
        } else {
          struct Borrowed final : ByteSource {  // the pipeline takes ownership: lend it the spy
            Spy& s;
            explicit Borrowed(Spy& spy) : s(spy) {}
            std::size_t read(char* b, std::size_t n) override { return s.read(b, n); }
            std::optional<std::string_view> contiguous() const override { return s.contiguous(); }
            void release_before(std::uint64_t o) override { s.release_before(o); }
            std::optional<std::uint64_t> size() const override { return s.size(); }
            const std::string& name() const override { return s.name(); }
          };
          Pipeline pipeline(std::make_unique<Borrowed>(spy), options);
          pipeline.run([&](Batch& batch) {
            take(batch);
            return true;
          });
        }
        QVERIFY2(records > corpus_floor(), row);
        QVERIFY2(ends.size() >= 6, row);
        // Pages were dropped as the read went on...
        QVERIFY2(spy.highest >= ends[ends.size() - 4], row);
        if (told) {
          // ...never past what the consumer was done with when they were...
          QVERIFY2(!spy.beyond, row);
          QVERIFY2(spy.highest <= ends[ends.size() - 3], row);
        } else {
          // ...and without done_before, up to the records delivered.
          QVERIFY2(spy.highest > ends[ends.size() - 3], row);
        }
      }
    }
  }

  /// prefetch() maps a mapped file's pages in ahead of reading (resident memory grows by about
  /// the range asked for), clips ranges past the end, and leaves the bytes as they are.
  void prefetch_maps_pages_in() {
    const std::string base = read_bytes("valid/solrmarc-uva_001_2000.mrc");
    std::string bytes;
    while (bytes.size() < (12u << 20)) bytes += base;
    QTemporaryFile file;
    QVERIFY(file.open());
    file.write(bytes.data(), qint64(bytes.size()));
    file.flush();
    auto source = open_source(file.fileName().toStdString());
    QVERIFY(source->contiguous().has_value());
    const auto rss = [] {
      std::ifstream statm("/proc/self/statm");
      std::uint64_t size = 0, resident = 0;
      statm >> size >> resident;
      return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    };
    const std::uint64_t before = rss();
    source->prefetch(2u << 20, 10u << 20);
    const std::uint64_t after = rss();
    QVERIFY2(after >= before + (7u << 20), qPrintable(QString("RSS %1 -> %2").arg(before).arg(after)));
    source->prefetch(bytes.size() - 100, bytes.size() + (1u << 30));  // clipped to the file
    source->prefetch(bytes.size() + 4096, bytes.size() + 8192);        // wholly past the end: nothing
    QVERIFY(*source->contiguous() == std::string_view(bytes));
    // Memory and stream sources have nothing to map: a no-op.
    make_memory_source("abc")->prefetch(0, 3);
  }

  /// The reader's pull interface hands out the same records and diagnostics in at most max_records,
  /// whether the batches are dropped or given back.
  void pull_matches_push() {
    const std::string bytes = corpus();
    const Result want = serial(bytes, ReadMode::Recover);
    for (std::size_t max : {std::size_t(1), std::size_t(37), std::size_t(100000)}) {
      ReadOptions options;
      options.mode = ReadMode::Recover;
      options.slice_bytes = 20000;
      options.decode_records = false;
      auto reader = RecordReader::open(chunked(bytes, 10000), options);
      Result got;
      for (;;) {
        Batch b = reader->next_batch(max);
        if (b.empty()) break;
        QVERIFY(b.records.size() <= max);
        for (const auto& rec : b.records) got.records.push_back({rec.number, rec.offset, std::string(rec.bytes)});
        for (const auto& d : b.diagnostics) got.diags.push_back({d.code, d.severity, d.record, d.offset});
        // Batches given back are freed on the reader's thread while it reads on.
        if (max != 1) reader->give_back(std::move(b));
      }
      compare(got, want, "pull");
    }
  }

  /// Decoding in the parallel stage gives the same owning records as decoding serially.
  /// Batches are recycled and records refilled in place: every decoded record must still equal a
  /// fresh Record::from_view of the same bytes, whatever came before it in the recycled storage
  /// (records of other shapes: MARC-8 and UTF-8, long and short, broken ones with stray bytes
  /// after the indicators, dropped subfields), at any slice size and thread count.
  void decoded_records_match() {
    // About 4,100 records, or 290 with small_data() (MARC-8 and UTF-8 records in both).
    const bool small = small_data();
    const QString marc8 = small ? "valid/evergreen-lul_fre_100.mrc" : "valid/evergreen-lul_fre_500.mrc";
    const std::string bytes = read_bytes(marc8) +
                              read_bytes(small ? "pairs/traject-test_data.utf8.mrc" : "pairs/lcmarcedit-marc_sample_data.mrc") +
                              read_bytes("malformed/pymarc-bad_records.mrc") +
                              read_bytes(small ? "valid/pymarc-marc.dat" : "valid/solrmarc-uva_001_2000.mrc") +
                              read_bytes("malformed/filemarc-bad_example.mrc") + read_bytes("malformed/mrrc-fuzz-zero-length-control-field.mrc") +
                              read_bytes(marc8);
    std::vector<Record> want;
    Iso2709Reader reader(InputBuffer::from_bytes(bytes), ReadOptions{});
    ReadItem item;
    while (reader.next(item)) {
      Diagnostics d;
      if (item.has_record) want.push_back(Record::from_view(item.view, DecodeOptions{}, d));
    }
    QVERIFY(want.size() > (small ? 200u : 3000u));
    for (const std::size_t slice : {std::size_t(1), std::size_t(5000), std::size_t(30000)}) {
      for (const unsigned threads : small ? std::vector<unsigned>{2} : std::vector<unsigned>{1, 2}) {
        ReadOptions options;
        options.slice_bytes = slice;
        options.threads = threads;
        Pipeline pipeline(make_memory_source(bytes), options);
        std::size_t i = 0, first_bad = std::size_t(-1);
        pipeline.run([&](Batch& batch) {
          for (const auto& rec : batch.records) {
            if (first_bad == std::size_t(-1) && !(i < want.size() && rec.record == want[i])) first_bad = i;
            ++i;
          }
          return true;
        });
        QVERIFY2(first_bad == std::size_t(-1),
                 qPrintable(QString("slice %1, %2 threads: record %3 differs").arg(slice).arg(threads).arg(first_bad)));
        QCOMPARE(i, want.size());
      }
    }
  }

  /// cancel() from the consumer stops delivery; nothing arrives afterwards.
  void cancel_mid_file() {
    const std::string bytes = corpus();
    ReadOptions options;
    options.slice_bytes = 10000;
    options.decode_records = false;
    Pipeline pipeline(make_memory_source(bytes), options);
    int batches = 0;
    std::size_t records = 0;
    pipeline.run([&](Batch& batch) {
      ++batches;
      records += batch.records.size();
      if (batches == 3) pipeline.cancel();
      return true;
    });
    QCOMPARE(batches, 3);
    QVERIFY(pipeline.cancelled());
    QVERIFY(records > 0 && records < serial(bytes, ReadMode::Permissive).records.size());

    // Returning false from the consumer stops too.
    Pipeline second(make_memory_source(bytes), options);
    batches = 0;
    second.run([&](Batch&) { return ++batches < 2; });
    QCOMPARE(batches, 2);

    // Pull: after cancel() only what was already queued comes (at most the reader's queue of 4
    // batches and the pipeline's 4 tokens: about ten slices of 10 KB, a hundred records or so),
    // then the end. The loop below reads to the end whatever comes, so a cancel() that did
    // nothing shows as all the records of the file.
    std::string big;
    for (int i = 0; i < 8; ++i) big += bytes;
    const std::size_t total = serial(big, ReadMode::Permissive).records.size();
    QVERIFY(total > 2000);
    options.tokens = 4;
    auto third = RecordReader::open(chunked(big, 4096), options);
    const std::size_t before = third->next_batch(10).records.size();
    QVERIFY(before > 0);
    third->cancel();
    std::size_t after = 0;
    for (Batch b = third->next_batch(10); !b.empty(); b = third->next_batch(10)) after += b.records.size();
    QVERIFY2(before + after < std::min<std::size_t>(1000, total / 2),
             qPrintable(QString("%1 records after cancel(), of %2").arg(after).arg(total)));
    QVERIFY(third->cancelled());
  }

  /// An exception in the parallel stage, in the source, or in the consumer reaches the caller.
  void failures_propagate() {
    const std::string bytes = corpus();
    ReadOptions options;
    options.slice_bytes = 5000;
    options.decode_records = false;
    {
      Pipeline p(make_memory_source(bytes), options, [](Batch& b) {
        if (b.index == 4) throw std::runtime_error("transform failed");
      });
      QVERIFY_THROWS_EXCEPTION(std::runtime_error, p.run([](Batch&) { return true; }));
    }
    {
      auto pos = std::make_shared<std::size_t>(0);
      Pipeline p(make_callback_source([bytes, pos](char* buf, std::size_t n) -> std::size_t {
                   if (*pos > 50000) throw IoError("disk on fire");
                   const std::size_t k = std::min<std::size_t>(n, 1000);
                   std::memcpy(buf, bytes.data() + *pos, k);
                   *pos += k;
                   return k;
                 }),
                 options);
      QVERIFY_THROWS_EXCEPTION(IoError, p.run([](Batch&) { return true; }));
    }
    {
      Pipeline p(make_memory_source(bytes), options);
      QVERIFY_THROWS_EXCEPTION(std::logic_error, p.run([](Batch& b) -> bool {
        if (b.index == 2) throw std::logic_error("consumer failed");
        return true;
      }));
    }
    {
      // Pulling: a source that fails reaches next_batch().
      auto pos = std::make_shared<std::size_t>(0);
      auto reader = RecordReader::open(make_callback_source([bytes, pos](char* buf, std::size_t n) -> std::size_t {
                                         if (*pos > 80000) throw IoError("disk on fire");
                                         const std::size_t k = std::min<std::size_t>(n, 1000);
                                         std::memcpy(buf, bytes.data() + *pos, k);
                                         *pos += k;
                                         return k;
                                       }),
                                       options);
      bool thrown = false;
      try {
        for (Batch b = reader->next_batch(50); !b.empty(); b = reader->next_batch(50)) {
        }
      } catch (const IoError&) {
        thrown = true;
      }
      QVERIFY(thrown);
    }
  }

  /// A reader is either pulled or run, once: mixing them is a clear error, never a hang.
  /// A gzip file cut short, corrupt, or followed by bytes that are not gzip: every record that
  /// decompressed comes through, exactly as reading the decompressed bytes would give them, then
  /// one error (input-damaged) says where the input ends; NUL padding after the stream is not
  /// damage. Run, pulled, and read serially (the Decoder).
  void damaged_gzip_delivers_what_it_holds() {
    const std::string bytes = read_bytes(small_data() ? "valid/evergreen-lul_fre_500.mrc" : "valid/solrmarc-uva_001_2000.mrc");
    const std::string z = gzip(bytes);
    std::string corrupt = z;
    for (std::size_t i = corrupt.size() / 2; i < corrupt.size() / 2 + 64; ++i) corrupt[i] = static_cast<char>(~corrupt[i]);
    struct Case {
      const char* name;
      std::string file;
      bool damaged;
    };
    const std::vector<Case> cases = {
        {"cut at 60%", z.substr(0, z.size() * 6 / 10), true},
        {"trailer cut", z.substr(0, z.size() - 4), true},
        {"garbage after", z + "garbage\n", true},
        {"corrupt in the middle", corrupt, true},
        {"NUL padding", z + std::string(1000, '\0'), false},
        {"two members", z + z, false},
    };
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    for (const auto& c : cases) {
      const std::string gz = (dir.path() + "/in.mrc.gz").toStdString();
      const std::string plain = (dir.path() + "/in.mrc").toStdString();
      std::string expected_bytes = std::string(c.name) == "two members" ? bytes + bytes
                                   : std::string(c.name) == "NUL padding" ? bytes
                                                                          : inflate_what_it_can(c.file);
      if (std::string(c.name) == "garbage after") expected_bytes = bytes;
      {
        std::ofstream(gz, std::ios::binary) << c.file;
        std::ofstream(plain, std::ios::binary) << expected_bytes;
      }
      const ReadBack want = read_back(plain, 0);
      QVERIFY2(!want.records.empty(), c.name);
      for (int how = 0; how < 3; ++how) {
        const QString what = QString("%1, %2").arg(c.name).arg(how == 0 ? "run" : how == 1 ? "pulled" : "serial");
        ReadBack got;
        try {
          got = read_back(gz, how);
        } catch (const std::exception& e) {
          QFAIL(qPrintable(what + ": " + e.what()));
        }
        QVERIFY2(got.records == want.records, qPrintable(what + QString(": %1 records, %2 wanted").arg(got.records.size()).arg(want.records.size())));
        std::vector<Diagnostic> damage;
        std::vector<std::string> others;
        for (const auto& d : got.diagnostics) {
          if (d.code == Code::InputDamaged) damage.push_back(d);
          else others.push_back(d.to_string());
        }
        std::vector<std::string> wanted;
        for (const auto& d : want.diagnostics) wanted.push_back(d.to_string());
        QVERIFY2(others.size() == wanted.size(), qPrintable(what));
        for (std::size_t i = 0; i < wanted.size(); ++i) {
          // The same diagnostics, naming the same records and bytes (the name of the file aside).
          QCOMPARE(got.diagnostics[i].record, want.diagnostics[i].record);
          QCOMPARE(got.diagnostics[i].offset, want.diagnostics[i].offset);
          QCOMPARE(got.diagnostics[i].code, want.diagnostics[i].code);
        }
        if (!c.damaged) {
          QVERIFY2(damage.empty(), qPrintable(what));
          continue;
        }
        QVERIFY2(damage.size() == 1, qPrintable(what));
        QVERIFY2(got.diagnostics.back().code == Code::InputDamaged, qPrintable(what + ": said last"));
        QCOMPARE(damage[0].severity, Severity::Error);
        QCOMPARE(damage[0].record, std::uint64_t{0});
        QCOMPARE(damage[0].offset, std::uint64_t(expected_bytes.size()));
        QVERIFY2(damage[0].message.find("in.mrc.gz") != std::string::npos, damage[0].message.c_str());
      }
    }
  }

  void pull_and_run_do_not_mix() {
    const std::string bytes = corpus();
    auto pulled = RecordReader::open_bytes(bytes);
    QVERIFY(!pulled->next_batch(5).records.empty());
    QVERIFY_THROWS_EXCEPTION(std::logic_error, pulled->run([](Batch&) { return true; }));
    auto ran = RecordReader::open_bytes(bytes);
    const marcscope::ReadSummary summary = ran->run([](Batch&) { return true; });
    QCOMPARE(summary.delivered, std::uint64_t(serial(bytes, ReadMode::Permissive).records.size()));
    QVERIFY_THROWS_EXCEPTION(std::logic_error, ran->next_batch(5));
    QVERIFY_THROWS_EXCEPTION(std::logic_error, ran->run([](Batch&) { return true; }));
  }

  /// A stream is read only a bounded way ahead of the consumer.
  void memory_is_bounded() {
    std::string bytes;
    const std::string base = read_bytes("valid/solrmarc-uva_001_2000.mrc");
    while (bytes.size() < (40u << 20)) bytes += base;
    std::atomic<std::size_t> read_so_far{0};
    ReadOptions options;
    options.slice_bytes = 256 * 1024;
    options.tokens = 4;
    options.decode_records = false;
    auto reader = RecordReader::open(chunked(bytes, 1 << 16, &read_so_far), options);
    Batch first = reader->next_batch(10);
    QVERIFY(!first.records.empty());
    // Let the worker fill its queue: wait until it has read nothing more for a second (or has
    // read everything), however slow the machine, then check how far it got. A reader that is
    // not bounded reads all 40 MB, since nothing else stops it.
    std::size_t ahead = read_so_far.load();
    for (int quiet = 0; quiet < 5 && ahead < bytes.size();) {
      QTest::qWait(200);
      const std::size_t now = read_so_far.load();
      quiet = now == ahead ? quiet + 1 : 0;
      ahead = now;
    }
    QVERIFY2(ahead < 16u << 20, qPrintable(QString("read %1 bytes ahead").arg(ahead)));
    reader->cancel();
  }

  /// Stage 1 alone: one span per record, skipped ones included and numbered, the same from any source.
  void scanned_spans() {
    const std::string bytes = corpus();
    for (const ReadMode mode : {ReadMode::Permissive, ReadMode::Recover}) {
      Diagnostics d1, d2;
      auto whole = make_memory_source(bytes);
      const auto a = scan_spans(*whole, mode, d1);
      auto stream = chunked(bytes, 777);
      const auto b = scan_spans(*stream, mode, d2);
      QCOMPARE(a.size(), b.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        QCOMPARE(a[i].number, std::uint64_t(i + 1));
        QCOMPARE(a[i].offset, b[i].offset);
        QCOMPARE(a[i].length, b[i].length);
        QCOMPARE(a[i].flags, b[i].flags);
      }
      QCOMPARE(d1.size(), d2.size());
      // Every record the serial reader numbers has a span: as many spans as the last record number.
      ReadOptions serial_options;
      serial_options.mode = mode;
      Iso2709Reader reader(InputBuffer::from_bytes(bytes), serial_options);
      ReadItem item;
      std::uint64_t last = 0;
      while (reader.next(item)) {
        if (item.has_record) last = item.view.number();
        for (const auto& d : item.diagnostics) last = std::max(last, d.record);
      }
      QCOMPARE(std::uint64_t(a.size()), last);
    }
    QCOMPARE(sizeof(RecordSpan), std::size_t(16));
  }
};

QTEST_GUILESS_MAIN(TestPipeline)
#include "test_pipeline.moc"
