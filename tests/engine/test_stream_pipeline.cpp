// run_stream_pipeline must deliver exactly what the serial RecordStream reads — the same records,
// numbers, offsets and diagnostics in the same order — for every MARCXML, MARC-in-JSON and .mrk
// fixture, in every mode, with any thread count, chunk size and batch size; MARCXML chunks must
// really be parsed in parallel where the document allows it, and the serial reader must take over
// where a chunk is not clean.
#include <QDir>
#include <QFileInfo>
#include <QTest>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "marcscope/io/byte_source.h"
#include "marcscope/read/stream_pipeline.h"
#include "test_support.h"

using namespace marcscope;

namespace {

/// What was delivered, flattened to text so that a difference prints readably: the records (with
/// number and offset) and the diagnostics, each in input order. (A batch holds the two as
/// separate lists, so their interleaving is not compared.)
struct Trace {
  std::vector<std::string> lines;  // records, then "--", then diagnostics
  std::uint64_t records = 0;
};

std::string describe(const Record& r) {
  std::string s = r.leader();
  for (const auto& f : r.fields()) {
    s += "|" + f.tag() + (f.is_control() ? "=" + f.value() : std::string(" ") + f.indicator1() + f.indicator2() + f.leading_data());
    for (const auto& sf : f.subfields()) s += "$" + std::string(1, sf.code) + sf.value;
  }
  return s;
}

std::string describe(const Diagnostic& d) {
  return "diag " + std::string(code_name(d.code)) + " sev=" + std::to_string(int(d.severity)) + " rec=" +
         std::to_string(d.record) + " at=" + std::to_string(d.offset) + " tag=" + d.tag + " " + d.message;
}

Format format_of(const QString& file) {
  if (file.endsWith(".xml")) return Format::MarcXml;
  if (file.endsWith(".json")) return Format::Json;
  return Format::Mrk;
}

/// The reference: the serial reader, record by record.
Trace serial(const std::string& path, Format format, ReadMode mode) {
  Trace t;
  ReadOptions o;
  o.mode = mode;
  auto stream = open_record_stream(format, open_source(path), o);
  Record r;
  Diagnostics diags;
  while (stream->next(r, diags)) {
    t.lines.push_back("record " + std::to_string(stream->records_seen()) + " at " + std::to_string(stream->last_offset()) +
                      " " + describe(r));
    ++t.records;
  }
  t.lines.push_back("--");
  for (const auto& d : diags) t.lines.push_back(describe(d));
  return t;
}

Trace piped(const std::string& path, Format format, ReadMode mode, unsigned threads, std::size_t chunk, std::size_t batch,
            StreamPipelineResult* result = nullptr) {
  Trace t;
  ReadOptions o;
  o.mode = mode;
  o.threads = threads;
  o.chunk_bytes = chunk;
  o.batch_records = batch;
  std::vector<std::string> diags;
  std::uint64_t last_seen = 0;
  auto r = run_stream_pipeline(format, open_source(path), o, {}, [&](Batch& b) {
    for (const auto& rec : b.records) {
      t.lines.push_back("record " + std::to_string(rec.number) + " at " + std::to_string(rec.offset) + " " +
                        describe(rec.record));
      ++t.records;
      if (rec.number > b.records_seen) diags.push_back("record numbered past the batch's records_seen");
    }
    // A batch's diagnostics belong to it: none names a record after it.
    for (const auto& d : b.diagnostics) {
      if (d.record > b.records_seen) diags.push_back("diagnostic for a later record: " + describe(d));
      diags.push_back(describe(d));
    }
    if (b.records_seen < last_seen) diags.push_back("records_seen went backwards");
    last_seen = b.records_seen;
    return true;
  });
  t.lines.push_back("--");
  t.lines.insert(t.lines.end(), diags.begin(), diags.end());
  if (result) *result = r;
  return t;
}

QStringList fixtures() {
  QStringList out;
  for (const QString dir : {"xml", "json", "mrk", "pairs", "valid", "malformed"}) {
    QDir d(test::data_dir() + "/" + dir);
    for (const QString& f : d.entryList({"*.xml", "*.json", "*.mrk"}, QDir::Files, QDir::Name)) out << dir + "/" + f;
  }
  return out;
}

}  // namespace

class TestStreamPipeline : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void sameAsSerialReader_data();
  void sameAsSerialReader();
  void xmlChunksRunInParallel();
  void serialTakesOverAtABadChunk();
  void consumerStopsEarly();
  void transformRunsAndErrorsReachTheCaller();
  void mappedReadReleasesPagesAndLosesNothing();
};

void TestStreamPipeline::sameAsSerialReader_data() {
  QTest::addColumn<QString>("file");
  QTest::addColumn<int>("mode");
  const QStringList files = fixtures();
  QVERIFY(files.size() >= 30);
  // Under ThreadSanitizer one mode, and the files under 100 KB (the larger ones hold more
  // records of the same kinds), keep the run short.
  const bool fast = test::small_data();
  int rows = 0;
  for (const QString& f : files) {
    if (fast && QFileInfo(test::data_dir() + "/" + f).size() > 100 * 1024) continue;
    for (int m : {int(ReadMode::Strict), int(ReadMode::Permissive), int(ReadMode::Recover)})
      if (!fast || m == int(ReadMode::Permissive)) {
        QTest::newRow(qPrintable(f + " mode " + QString::number(m))) << f << m;
        ++rows;
      }
  }
  QVERIFY(rows >= 30);
}

void TestStreamPipeline::sameAsSerialReader() {
  QFETCH(QString, file);
  QFETCH(int, mode);
  const std::string path = test::data_path(file);
  const Format format = format_of(file);
  const Trace want = serial(path, format, ReadMode(mode));
  struct Setting {
    unsigned threads;
    std::size_t chunk, batch;
  };
  // Chunks of 1 byte: one record per chunk; 700: a few; 1 MB: the whole file in one.
  for (const Setting s : {Setting{1, 1u << 20, 1000}, Setting{2, 1, 1}, Setting{4, 700, 7}, Setting{3, 1, 1000}}) {
    const Trace got = piped(path, format, ReadMode(mode), s.threads, s.chunk, s.batch);
    if (got.lines != want.lines) {
      std::size_t i = 0;
      while (i < got.lines.size() && i < want.lines.size() && got.lines[i] == want.lines[i]) ++i;
      QFAIL(qPrintable(QString("threads %1 chunk %2 batch %3: first difference at line %4:\n got: %5\nwant: %6")
                           .arg(s.threads).arg(s.chunk).arg(s.batch).arg(i)
                           .arg(i < got.lines.size() ? QString::fromStdString(got.lines[i]) : "(end)")
                           .arg(i < want.lines.size() ? QString::fromStdString(want.lines[i]) : "(end)")));
    }
  }
}

void TestStreamPipeline::xmlChunksRunInParallel() {
  // Clean collections of several records: with 1-byte chunks every record is its own chunk,
  // parsed in parallel, and no chunk needs the serial reader.
  int checked = 0;
  for (const QString f : {"pairs/marcjs-bib.xml", "pairs/marcperl-camel-batch-ns.xml", "pairs/marcperl-camel-batch.xml",
                          "pairs/traject-test_data.utf8.marc.xml", "xml/solrmarc-specTestRecs_withBOM.xml"}) {
    const std::string path = test::data_path(f);
    StreamPipelineResult r;
    const Trace got = piped(path, Format::MarcXml, ReadMode::Permissive, 2, 1, 1000, &r);
    const Trace want = serial(path, Format::MarcXml, ReadMode::Permissive);
    QCOMPARE(got.lines, want.lines);
    QVERIFY2(want.records >= 6, qPrintable(f));
    QVERIFY2(!r.serial_fallback, qPrintable(f));
    QCOMPARE(r.parallel_chunks, want.records);  // the last chunk also holds the root's end tag
    QCOMPARE(r.records_seen, want.records);
    ++checked;
  }
  QCOMPARE(checked, 5);
}

void TestStreamPipeline::serialTakesOverAtABadChunk() {
  // A collection whose third record is broken: the first two come from parallel chunks, the
  // serial reader reports the error exactly as it would alone and delivers the rest.
  const std::string good = test::read_bytes("pairs/marcperl-camel-batch-ns.xml");
  QVERIFY(!good.empty());
  const std::size_t first_end = good.find("</marc:record>");
  const std::size_t second_end = good.find("</marc:record>", first_end + 1);
  const std::size_t third_start = good.find("<marc:record", second_end);
  QVERIFY(third_start != std::string::npos);
  std::string bad = good;
  bad.insert(good.find("<marc:datafield", third_start),
             "<marc:datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><marc:subfield code=\"a\">x</marc:datafield>");
  const QString tmp = QDir::tempPath() + "/marcscope-stream-pipeline-bad.xml";
  QFile out(tmp);
  QVERIFY(out.open(QIODevice::WriteOnly));
  out.write(bad.data(), qint64(bad.size()));
  out.close();
  for (ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
    StreamPipelineResult r;
    const Trace got = piped(tmp.toStdString(), Format::MarcXml, mode, 2, 1, 1000, &r);
    const Trace want = serial(tmp.toStdString(), Format::MarcXml, mode);
    QCOMPARE(got.lines, want.lines);
    QVERIFY(r.serial_fallback);
    QCOMPARE(r.parallel_chunks, std::uint64_t(2));
    bool error_seen = false;
    for (const auto& l : got.lines) error_seen |= l.find("xml-syntax-error") != std::string::npos;
    QVERIFY(error_seen);
  }
  QFile::remove(tmp);
}

void TestStreamPipeline::consumerStopsEarly() {
  for (const QString f : {"pairs/pymarc-batch.xml", "pairs/pymarc-batch.json"}) {
    ReadOptions o;
    o.threads = 2;
    o.chunk_bytes = 1;
    o.batch_records = 1;
    std::uint64_t seen = 0;
    int calls = 0;
    run_stream_pipeline(format_of(f), open_source(test::data_path(f)), o, {}, [&](Batch& b) {
      seen += b.records.size();
      return ++calls < 2;
    });
    QCOMPARE(calls, 2);
    QCOMPARE(seen, std::uint64_t(2));
  }
}

void TestStreamPipeline::transformRunsAndErrorsReachTheCaller() {
  for (const QString& f : QStringList{"pairs/pymarc-batch.xml", "pairs/pymarc-batch.json", "mrk/marcperl-camel.mrk"}) {
    ReadOptions o;
    o.threads = 2;
    o.chunk_bytes = 1;
    o.batch_records = 2;
    std::uint64_t titles = 0, records = 0;
    run_stream_pipeline(
        format_of(f), open_source(test::data_path(f)), o,
        [](Batch& b) {
          std::uint64_t n = 0;
          for (const auto& rec : b.records) n += rec.record.first("245") != nullptr;
          b.output = std::to_string(n);
        },
        [&](Batch& b) {
          titles += std::stoull(b.output.empty() ? "0" : b.output);
          records += b.records.size();
          return true;
        });
    QVERIFY2(records > 0, qPrintable(f));
    QVERIFY2(titles > 0 && titles <= records, qPrintable(f));
    bool thrown = false;
    try {
      run_stream_pipeline(format_of(f), open_source(test::data_path(f)), o, [](Batch&) { throw std::runtime_error("boom"); },
                          [](Batch&) { return true; });
    } catch (const std::runtime_error& e) {
      thrown = std::string(e.what()) == "boom";
    }
    QVERIFY2(thrown, qPrintable(f));
  }
}

// A memory-mapped source drops the pages read() has copied out (every 8 MB); the bytes must all
// arrive, and the whole mapping must still read back through contiguous() afterwards.
void TestStreamPipeline::mappedReadReleasesPagesAndLosesNothing() {
  const QString tmp = QDir::tempPath() + "/marcscope-mapped-release.bin";
  std::string data(20u << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = char((i * 2654435761u) >> 13);
  QFile out(tmp);
  QVERIFY(out.open(QIODevice::WriteOnly));
  QCOMPARE(out.write(data.data(), qint64(data.size())), qint64(data.size()));
  out.close();
  auto source = open_source(tmp.toStdString());
  QVERIFY(source->contiguous().has_value());
  std::string got;
  std::string buf(777777, '\0');
  for (std::size_t k; (k = source->read(buf.data(), buf.size())) > 0;) got.append(buf.data(), k);
  QVERIFY(got == data);
  QVERIFY(*source->contiguous() == data);
  QFile::remove(tmp);
}

QTEST_GUILESS_MAIN(TestStreamPipeline)
#include "test_stream_pipeline.moc"
