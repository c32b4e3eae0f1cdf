// Writing an indexed file out again (Save As, Export): untouched records keep their bytes,
// edits and removals apply, selections keep their order, unreadable records are not lost, and a
// stopped or failed export never touches the file at its path.
#include <QDirIterator>
#include <QtTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "marcscope/formats/mrk_writer.h"
#include "marcscope/read/record_file.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/validate/validation.h"
#include "marcscope/validate/validator.h"
#include "marcscope/write/export.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

std::vector<std::string> mrk_of(const std::string& path) {
  std::vector<std::string> out;
  RecordReader::open(path)->run([&](Batch& b) {
    for (const auto& r : b.records) write_mrk(r.record, out.emplace_back());
    return true;
  });
  return out;
}

std::string mrk(const Record& r) {
  std::string s;
  write_mrk(r, s);
  return s;
}

/// The ISO 2709 records of `bytes`, cut at record terminators.
std::multiset<std::string> records_in(const std::string& bytes) {
  std::multiset<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i] == '\x1D') {
      out.insert(bytes.substr(start, i + 1 - start));
      start = i + 1;
    }
  return out;
}

/// What export_records() must write for `file`, computed record by record from fetch(), which
/// decodes every record to the model: the output of the path before records were written from
/// their views.
std::string expected_export(const RecordFile& file, const ExportOptions& o) {
  const auto writer = make_writer(o.format, o.writer);
  const bool keep_bytes = o.format == Format::Iso2709;
  std::string out;
  Diagnostics d;
  writer->begin(out);
  for (std::uint64_t k = 1; k <= file.index().size(); ++k) {
    if (o.removed.count(k)) continue;
    if (o.replacements.count(k)) {
      writer->write(o.replacements.at(k), k, file.index().at(k).offset, out, d);
      continue;
    }
    const FetchedRecord f = file.fetch(k);
    if (f.skipped) {
      if (keep_bytes) out += file.raw(k);
      continue;
    }
    if (keep_bytes && !f.record.repaired) out += file.raw(k);
    else writer->write(f.record.record, k, f.record.offset, out, d);
  }
  writer->end(out);
  return out;
}

}  // namespace

class TestExport : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void untouched_iso_keeps_its_bytes() {
    QTemporaryDir dir;
    const std::string in = data_path("valid/solrmarc-uva_001_2000.mrc");
    auto file = RecordFile::open(in);
    file->build_index();
    const QString out = dir.filePath("copy.mrc");
    OutputFile sink(out.toStdString());
    const ExportSummary s = export_records(*file, {}, sink);
    QCOMPARE(s.written, std::uint64_t(2000));
    QVERIFY(!s.cancelled);
    QVERIFY(slurp(out) == read_bytes("valid/solrmarc-uva_001_2000.mrc"));
    QVERIFY(!QFile::exists(out + ".marcscope-partial"));
  }

  /// A named pipe (as /dev/null or a terminal) is written to, not replaced by a file renamed
  /// over it: the reader at its other end gets the bytes and the pipe is still a pipe.
  void a_pipe_is_written_not_replaced() {
    QTemporaryDir dir;
    const std::string fifo = dir.filePath("pipe").toStdString();
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // so that opening to write does not block
    QVERIFY(reader >= 0);
    {
      OutputFile out(fifo);
      out.write("records\n");
      out.commit();
    }
    char got[64] = {};
    const ssize_t n = ::read(reader, got, sizeof got);
    ::close(reader);
    QCOMPARE(std::string(got, n > 0 ? static_cast<std::size_t>(n) : 0), std::string("records\n"));
    struct stat st {};
    QCOMPARE(::stat(fifo.c_str(), &st), 0);
    QVERIFY(S_ISFIFO(st.st_mode));
    QVERIFY(!QFile::exists(QString::fromStdString(fifo) + ".marcscope-partial"));
    // A directory is refused, not written beside.
    QVERIFY_THROWS_EXCEPTION(IoError, OutputFile(dir.path().toStdString()));
  }

  /// Nothing read is lost: every record of a damaged file, readable or not, is in the copy.
  void unreadable_records_are_copied() {
    QTemporaryDir dir;
    auto file = RecordFile::open(data_path("malformed/catmandu-bu_bibs.mrc"));
    file->build_index();
    const QString out = dir.filePath("copy.mrc");
    OutputFile sink(out.toStdString());
    const ExportSummary s = export_records(*file, {}, sink);
    QCOMPARE(s.written, std::uint64_t(84));
    QCOMPARE(s.copied, std::uint64_t(16));
    QCOMPARE(records_in(slurp(out)), records_in(read_bytes("malformed/catmandu-bu_bibs.mrc")));
  }

  void edits_removals_and_selections() {
    QTemporaryDir dir;
    const std::string in = data_path("valid/solrmarc-uva_001_2000.mrc");
    auto file = RecordFile::open(in);
    file->build_index();
    ExportOptions o;
    Record edited = file->fetch(2).record.record;
    for (auto& f : edited.fields())
      if (f.tag() == "245") f.subfields().front().value = "An edited title /";
    o.replacements[2] = edited;
    o.removed.insert(3);
    const QString out = dir.filePath("edited.mrc");
    {
      OutputFile sink(out.toStdString());
      const ExportSummary s = export_records(*file, o, sink);
      QCOMPARE(s.written, std::uint64_t(1999));
      QCOMPARE(s.replaced, std::uint64_t(1));
    }
    const auto got = mrk_of(out.toStdString());
    const auto want = mrk_of(in);
    QCOMPARE(got.size(), std::size_t(1999));
    QCOMPARE(got[0], want[0]);
    // The same fields; the leader's length and base address are the writer's to recompute.
    const auto fields_of = [](const std::string& text) { return text.substr(text.find('\n')); };
    QCOMPARE(fields_of(got[1]), fields_of(mrk(edited)));
    QVERIFY(got[1].find("An edited title") != std::string::npos);
    QCOMPARE(got[2], want[3]);  // record 3 left out
    QCOMPARE(got.back(), want.back());

    // A selection, in the order given, as MARCXML.
    ExportOptions pick;
    pick.numbers = {5, 1, 3};
    pick.format = Format::MarcXml;
    const QString xml = dir.filePath("pick.xml");
    OutputFile sink(xml.toStdString());
    QCOMPARE(export_records(*file, pick, sink).written, std::uint64_t(3));
    const auto picked = mrk_of(xml.toStdString());
    QCOMPARE(picked.size(), std::size_t(3));
    QCOMPARE(picked[0], mrk(file->fetch(5).record.record));
    QCOMPARE(picked[1], mrk(file->fetch(1).record.record));
    QCOMPARE(picked[2], mrk(file->fetch(3).record.record));
  }

  /// Added records (the app's New Record) come after the file's, numbered after its index: all
  /// of them with no selection, the ones named by a selection, edited and removed like any other.
  void appended_records() {
    QTemporaryDir dir;
    const std::string in = data_path("valid/solrmarc-uva_001_2000.mrc");
    auto file = RecordFile::open(in);
    file->build_index();
    const std::uint64_t n = file->index().size();
    QCOMPARE(n, std::uint64_t(2000));
    const auto want = mrk_of(in);
    Record a = new_record_template("261206"), b = new_record_template("261207"), c = new_record_template("261208");
    a.add_field(Field("500", ' ', ' ', {{'a', "First added."}}));
    b.add_field(Field("500", ' ', ' ', {{'a', "Second added."}}));
    c.add_field(Field("500", ' ', ' ', {{'a', "Third added."}}));
    for (const Format format : {Format::Iso2709, Format::Json, Format::MarcXml}) {
      ExportOptions o;
      o.format = format;
      o.appended = {a, b, c};
      o.removed = {n + 2, 7};                   // the second added record and a record of the file
      Record edited_c = c;
      edited_c.fields().back().subfields().front().value = "Third added, then edited.";
      o.replacements[n + 3] = edited_c;
      const QString out = dir.filePath(QStringLiteral("added.") + QString::fromLatin1(format_name(format).data()));
      {
        OutputFile sink(out.toStdString());
        const ExportSummary s = export_records(*file, o, sink);
        QCOMPARE(s.written, std::uint64_t(2000 - 1 + 2));
        QCOMPARE(s.appended, std::uint64_t(2));
        QCOMPARE(s.replaced, std::uint64_t(0));
      }
      const auto got = mrk_of(out.toStdString());
      QCOMPARE(got.size(), std::size_t(2001));
      QCOMPARE(got[5], want[5]);
      QCOMPARE(got[6], want[7]);  // record 7 left out
      QCOMPARE(got[1998], want[1999]);
      const auto fields_of = [](const std::string& text) { return text.substr(text.find('\n')); };
      QCOMPARE(fields_of(got[1999]), fields_of(mrk(a)));
      QCOMPARE(fields_of(got[2000]), fields_of(mrk(edited_c)));
      QVERIFY(got[2000].find("then edited") != std::string::npos);
    }
    // A selection names added records by their numbers; they follow the file's records it names.
    ExportOptions pick;
    pick.appended = {a, b};
    pick.numbers = {n + 2, 4, n + 1};
    const QString out = dir.filePath("pick.mrc");
    {
      OutputFile sink(out.toStdString());
      const ExportSummary s = export_records(*file, pick, sink);
      QCOMPARE(s.written, std::uint64_t(3));
      QCOMPARE(s.appended, std::uint64_t(2));
    }
    const auto picked = mrk_of(out.toStdString());
    QCOMPARE(picked.size(), std::size_t(3));
    QCOMPARE(picked[0], want[3]);
    QVERIFY(picked[1].find("Second added.") != std::string::npos);
    QVERIFY(picked[2].find("First added.") != std::string::npos);
    // Only added records selected: no pass over the file at all.
    ExportOptions only;
    only.appended = {a};
    only.numbers = {n + 1};
    only.format = Format::MarcXml;
    const QString xml = dir.filePath("only.xml");
    {
      OutputFile sink(xml.toStdString());
      QCOMPARE(export_records(*file, only, sink).written, std::uint64_t(1));
    }
    QCOMPARE(mrk_of(xml.toStdString()).size(), std::size_t(1));
    // A number that is neither indexed nor added is refused before anything is written.
    ExportOptions wrong;
    wrong.appended = {a};
    wrong.numbers = {1, n + 2};
    const QString none = dir.filePath("none.mrc");
    {
      OutputFile sink(none.toStdString());
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, export_records(*file, wrong, sink));
    }
    QVERIFY(!QFile::exists(none));
    // The split is the file's, as validated: added records are refused, not dropped.
    FileReport report;
    ReportOptions ro;
    RecordReader::open(in)->run([&](Batch& batch) {
      report.add_batch(batch, ro);
      return true;
    });
    OutputFile g(dir.filePath("g.mrc").toStdString()), bd(dir.filePath("b.mrc").toStdString());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, split_records(*file, report, only, g, bd));
  }

  /// New Record's template: a book record the bundled schema finds no error in, dated as asked.
  void new_record_template_validates() {
    const Record r = new_record_template("261206");
    QCOMPARE(r.leader().size(), std::size_t(24));
    QCOMPARE(r.leader().substr(5, 3), std::string("nam"));
    const Field* f008 = r.first("008");
    QVERIFY(f008 && f008->is_control());
    QCOMPARE(f008->value().size(), std::size_t(40));
    QCOMPARE(f008->value().substr(0, 6), std::string("261206"));
    QVERIFY(r.first("245"));
    const Validator validator;
    Diagnostics diags;
    validator.validate(r, 1, 0, diags);
    for (const Diagnostic& d : diags) QVERIFY2(d.severity < Severity::Error, d.to_string().c_str());
    // It round-trips through ISO 2709 as it is.
    QTemporaryDir dir;
    const std::string path = dir.filePath("one.mrc").toStdString();
    {
      auto w = make_writer(Format::Iso2709);
      std::string bytes;
      w->write(r, 1, 0, bytes, diags);
      QFile f(QString::fromStdString(path));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(bytes.data(), qint64(bytes.size()));
    }
    const auto back = mrk_of(path);
    QCOMPARE(back.size(), std::size_t(1));
    QCOMPARE(back[0].substr(back[0].find('\n')), mrk(r).substr(mrk(r).find('\n')));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, new_record_template("2612"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, new_record_template("26120x"));
  }

  /// Records nobody edited are written from their views where the writer can (no model), and
  /// the output is byte for byte what decoding every record gives: every ISO 2709 fixture, in
  /// two read modes, to each format with a view path, with an edit and a removal in it.
  void unedited_records_from_views_are_identical() {
    QTemporaryDir dir;
    std::vector<QString> files;
    for (const char* folder : {"valid", "malformed", "marc8", "pairs"}) {
      QDirIterator it(data_dir() + "/" + folder, QDir::Files);
      while (it.hasNext()) {
        const QString path = it.next();
        if (is_iso2709_name(QFileInfo(path).fileName())) files.push_back(path);
      }
    }
    std::sort(files.begin(), files.end());
    if (small_data()) files.resize(std::min<std::size_t>(files.size(), 12));
    QVERIFY(files.size() > 10);
    std::uint64_t from_views = 0, checked = 0;
    for (const QString& path : files) {
      for (ReadMode mode : {ReadMode::Permissive, ReadMode::Recover}) {
        ReadOptions ro;
        ro.mode = mode;
        ro.threads = 2;
        ro.slice_bytes = 4096;  // several batches even for small files
        std::shared_ptr<RecordFile> file;
        try {
          file = RecordFile::open(path.toStdString(), ro);
        } catch (const std::exception&) {
          continue;  // not MARC in this mode's eyes
        }
        if (file->format() != Format::Iso2709) continue;
        file->build_index();
        if (file->index().size() == 0) continue;
        for (Format to : {Format::Iso2709, Format::MarcXml, Format::Json, Format::NdJson}) {
          ExportOptions o;
          o.format = to;
          const std::uint64_t n = file->index().size();
          if (n >= 2 && !file->fetch(2).skipped) {
            Record edited = file->fetch(2).record.record;
            edited.fields().emplace_back("500", ' ', ' ', std::vector<Subfield>{{'a', "An added note."}});
            o.replacements[2] = edited;
          }
          if (n >= 3) o.removed.insert(3);
          const QString out = dir.filePath("out");
          {
            OutputFile sink(out.toStdString());
            export_records(*file, o, sink, {}, [&](Batch& b) {
              for (const auto& r : b.records) from_views += r.as_is;
              return true;
            });
          }
          const std::string want = expected_export(*file, o);
          QVERIFY2(slurp(out) == want, qPrintable(QString("%1 %2 -> %3").arg(path, QString::fromLatin1(read_mode_name(mode).data()),
                                                                              QString::fromLatin1(format_name(to).data()))));
          ++checked;
        }
      }
    }
    QVERIFY(checked > 40);
    QVERIFY(from_views > 1000);  // the view path was taken
  }

  /// Split: every record in exactly one of the two files, the bad one holding each record with a
  /// warning, an error or a repair and every unreadable record, byte for byte (ISO 2709 in and out).
  void split_good_and_bad() {
    QTemporaryDir dir;
    // Records that pass (RDA records of Evergreen's tests), then a damaged file: 84 with findings, 16 unreadable.
    std::string all;
    for (const char* name : {"CD_Claudia", "DVD_Jorge_Mautner", "MAP_2012_Enchanted_Circle", "SCORE_Arias_for_bass",
                             "SERIAL_IEEE_International_conference"})
      all += read_bytes(QStringLiteral("valid/evergreen-RDA_record_") + QString::fromLatin1(name) + QStringLiteral(".mrc"));
    all += read_bytes("malformed/catmandu-bu_bibs.mrc");
    const std::string in = dir.filePath("mixed.mrc").toStdString();
    {
      QFile f(QString::fromStdString(in));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(all.data(), qint64(all.size()));
    }
    auto file = RecordFile::open(in);
    file->build_index();
    const Validator validator;
    FileReport report;
    std::multiset<std::string> want_good, want_bad;  // decided here from the diagnostics themselves
    RecordReader::open(in)->run(
        [&](Batch& b) {
          for (const auto& r : b.records) {
            bool problem = r.repaired;
            for (const auto& d : b.diagnostics)
              if (d.record == r.number && (d.severity >= Severity::Warning || d.code == Code::RecordRepaired)) problem = true;
            (problem ? want_bad : want_good).insert(std::string(r.bytes));
          }
          for (const auto& k : b.skipped) want_bad.insert(std::string(k.bytes));
          report.add_batch(b, {});
          return true;
        },
        [&](Batch& b) { validate_batch(validator, b); });
    QVERIFY2(want_good.size() == 5 && want_bad.size() == 100, qPrintable(QString("%1 good, %2 bad").arg(want_good.size()).arg(want_bad.size())));

    const QString good = dir.filePath("good.mrc"), bad = dir.filePath("bad.mrc");
    {
      OutputFile g(good.toStdString()), b(bad.toStdString());
      const SplitSummary s = split_records(*file, report, {}, g, b);
      QCOMPARE(s.good.written, std::uint64_t(want_good.size()));
      QCOMPARE(s.bad.written + s.bad.copied, std::uint64_t(want_bad.size()));
      QCOMPARE(s.bad.copied, std::uint64_t(16));
    }
    QCOMPARE(records_in(slurp(good)), want_good);
    QCOMPARE(records_in(slurp(bad)), want_bad);
    std::multiset<std::string> both = records_in(slurp(good));
    both.merge(records_in(slurp(bad)));
    QCOMPARE(both, records_in(all));

    // A report that does not cover the file splits nothing.
    OutputFile g2(dir.filePath("g2.mrc").toStdString()), b2(dir.filePath("b2.mrc").toStdString());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, split_records(*file, FileReport{}, {}, g2, b2));

    // An empty selection is an empty file, not the whole file.
    ExportOptions none;
    none.selected_only = true;
    none.format = Format::MarcXml;
    const QString empty = dir.filePath("none.xml");
    {
      OutputFile e(empty.toStdString());
      QCOMPARE(export_records(*file, none, e).written, std::uint64_t(0));
    }
    QVERIFY(QFile::exists(empty));
    const std::string xml = slurp(empty);
    QVERIFY(xml.find("<collection") != std::string::npos && xml.find("<record") == std::string::npos);
  }

  /// A stopped export, or one whose output cannot be written, leaves the file at its path alone.
  void stopped_export_touches_nothing() {
    QTemporaryDir dir;
    auto file = RecordFile::open(data_path("valid/solrmarc-uva_001_2000.mrc"));
    file->build_index();
    const QString out = dir.filePath("keep.mrc");
    {
      QFile f(out);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("precious");
    }
    std::stop_source stop;
    stop.request_stop();
    JobControl control;
    control.stop = stop.get_token();
    {
      OutputFile sink(out.toStdString());
      const ExportSummary s = export_records(*file, {}, sink, control);
      QVERIFY(s.cancelled);
    }
    QCOMPARE(slurp(out), std::string("precious"));
    QVERIFY(!QFile::exists(out + ".marcscope-partial"));
    QVERIFY_THROWS_EXCEPTION(IoError, OutputFile(dir.filePath("no/such/dir/x.mrc").toStdString()));
  }
};

QTEST_GUILESS_MAIN(TestExport)
#include "test_export.moc"
