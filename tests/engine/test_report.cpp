// The engine's validation report: compact findings that rebuild their full diagnostics on
// demand, per-record worst severities, and records picked by finding.
#include <QtTest>

#include <chrono>
#include <set>
#include <stop_token>

#include "marcscope/read/record_file.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/validate/report.h"
#include "marcscope/validate/validation.h"
#include "marcscope/validate/validator.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

class TestReport : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void compact_findings_describe_themselves_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("uva") << "valid/solrmarc-uva_001_2000.mrc";
    QTest::newRow("marc8 hebrew") << "marc8/evergreen-hebrew.marc";
    QTest::newRow("bad utf8") << "malformed/rubymarc-marc_with_bad_utf8.utf8.marc";
    QTest::newRow("marcxml") << "xml/catmandu-marc.xml";
    // Every malformed ISO 2709 file: a record skipped for its structure says why when it is read
    // on its own (the index marks it skipped as it does bytes stage 1 dropped).
    for (const QString& f : QDir(data_dir() + "/malformed").entryList(QDir::Files, QDir::Name))
      if (!f.endsWith(QLatin1String(".xml")) && !f.endsWith(QLatin1String(".json"))) QTest::newRow(qPrintable(f)) << "malformed/" + f;
  }
  /// Every finding kept in 24 bytes gives back, from the file, the very diagnostic the pass made.
  void compact_findings_describe_themselves() {
    QFETCH(QString, file);
    const Validator validator;
    ReportOptions options;
    options.keep_findings = true;
    std::vector<Diagnostic> full;
    auto reader = RecordReader::open(data_path(file));
    const FileReport report = validate_all(*reader, &validator, options, {}, [&](const Finding& f) { full.push_back(f.diagnostic); });
    QCOMPARE(report.findings.size(), full.size());
    QVERIFY(!full.empty());
    auto rf = RecordFile::open(data_path(file));
    rf->build_index();
    std::size_t rebuilt = 0;
    for (std::size_t i = 0; i < full.size(); ++i) {
      const Diagnostic& want = full[i];
      const CompactFinding& c = report.findings[i];
      QCOMPARE(c.record(), want.record);
      QCOMPARE(c.offset, want.offset);
      QCOMPARE(c.code, want.code);
      QCOMPARE(c.field(), std::int64_t(want.field));
      const Diagnostic got = describe_finding(*rf, c, &validator);
      QCOMPARE(got.code, want.code);
      QCOMPARE(got.record, want.record);
      if (got.message == want.message && got.rule == want.rule && got.tag == want.tag && got.field == want.field) ++rebuilt;
      else if (i - rebuilt < 3) qWarning("%s\n  vs %s", got.to_string().c_str(), want.to_string().c_str());
    }
    // Every one, stage 1's (record boundaries, bytes between records) included.
    QCOMPARE(rebuilt, full.size());
  }

  /// The CSV of every finding written from a kept report (the app's File → Export Validation
  /// Report) is, byte for byte, what `marcscope validate --format csv` prints while validating:
  /// the same engine rows (format_finding_csv) in the same order, with the same messages and 001s,
  /// on every malformed fixture and a few clean ones, in permissive and recover modes.
  void findings_csv_is_the_cli_csv_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("mode");
    QStringList files = QDir(data_dir() + "/malformed").entryList(QDir::Files, QDir::Name);
    for (QString& f : files) f.prepend("malformed/");
    files << "valid/solrmarc-uva_001_2000.mrc" << "marc8/evergreen-hebrew.marc" << "xml/catmandu-marc.xml";
    for (const QString& f : files)
      for (const ReadMode mode : {ReadMode::Permissive, ReadMode::Recover})
        QTest::newRow(qPrintable(f + (mode == ReadMode::Recover ? " recover" : " permissive"))) << f << int(mode);
  }
  void findings_csv_is_the_cli_csv() {
    QFETCH(QString, file);
    QFETCH(int, mode);
    const std::string path = data_path(file);
    ReadOptions ro;
    ro.mode = static_cast<ReadMode>(mode);
    std::unique_ptr<RecordReader> reader;
    try {
      reader = RecordReader::open(path, ro);
    } catch (const NotMarcError&) {
      // Not MARC as a whole (the CLI says so and prints no rows): nothing to compare; the app refuses it too.
      QVERIFY_THROWS_EXCEPTION(NotMarcError, RecordFile::open(path, ro));
      return;
    }
    const Validator validator;
    ReportOptions options;
    options.keep_findings = true;
    // The CLI's way: each finding printed as validation delivers it.
    std::string cli = csv_header();
    const FileReport report = validate_all(*reader, &validator, options, {}, [&](const Finding& f) { cli += format_finding_csv("in.mrc", f); });
    // The app's way: the report kept, every finding rebuilt from its record afterwards.
    auto rf = RecordFile::open(path, ro);
    rf->build_index();
    std::string app;
    std::uint64_t last_record = 0;
    JobControl control;
    control.progress_interval = std::chrono::milliseconds(0);
    control.progress = [&](const Progress& p) {
      QVERIFY(p.records >= last_record);  // the file is walked in record order
      last_record = p.records;
    };
    const DescribedFindings done =
        write_findings_csv(*rf, report, &validator, "in.mrc", [&](std::string_view chunk) { app += chunk; }, control);
    QVERIFY(!done.cancelled);
    QCOMPARE(done.count, std::uint64_t(report.findings.size()));
    if (app != cli) {
      // Show the first row that differs.
      std::size_t at = 0;
      while (at < app.size() && at < cli.size() && app[at] == cli[at]) ++at;
      const std::size_t line = cli.rfind('\n', at) == std::string::npos ? 0 : cli.rfind('\n', at) + 1;
      qWarning("app: %s\ncli: %s", app.substr(line, app.find('\n', line) - line).c_str(),
               cli.substr(line, cli.find('\n', line) - line).c_str());
    }
    QCOMPARE(app.size(), cli.size());
    QVERIFY(app == cli);
  }

  /// A rule the demand calls done gets findings with no message; the others keep theirs, and
  /// so does everything else about the finding.
  void message_demand_leaves_out_done_rules() {
    const Validator validator;
    auto reader = RecordReader::open(data_path("valid/solrmarc-uva_001_2000.mrc"));
    Diagnostics built, left;
    std::set<std::string> rules;
    std::uint64_t records = 0;
    MessageDemand demand;
    BatchRecord rec;
    Diagnostics reading;
    for (ReadStep step; (step = reader->next(rec, reading)) != ReadStep::End;) {
      if (step != ReadStep::Record) continue;
      ++records;
      const std::size_t before = built.size();
      validator.validate(rec.record, rec.number, rec.offset, built);
      for (std::size_t i = before; i < built.size(); ++i) rules.insert(built[i].rule);
      if (rules.size() >= 2) break;
    }
    QVERIFY(rules.size() >= 2);
    const std::string gone = *rules.begin();
    demand.done(gone);
    demand.done("no-such-rule");  // ignored
    reader = RecordReader::open(data_path("valid/solrmarc-uva_001_2000.mrc"));
    for (std::uint64_t n = 0; n < records;) {
      const ReadStep step = reader->next(rec, reading);
      QVERIFY(step != ReadStep::End);
      if (step != ReadStep::Record) continue;
      ++n;
      validator.validate(rec.record, rec.number, rec.offset, left, &demand);
    }
    QCOMPARE(left.size(), built.size());
    for (std::size_t i = 0; i < built.size(); ++i) {
      QCOMPARE(left[i].rule, built[i].rule);
      QCOMPARE(left[i].tag, built[i].tag);
      QCOMPARE(left[i].offset, built[i].offset);
      QCOMPARE(left[i].field, built[i].field);
      QCOMPARE(left[i].severity, built[i].severity);
      QVERIFY(!built[i].message.empty());
      if (built[i].rule == gone) QVERIFY(left[i].message.empty());
      else QCOMPARE(left[i].message, built[i].message);
    }
  }

  /// A report filled with no one to see every finding builds only its examples' messages, and is
  /// the same report, examples and messages included, as one that built every message: read in
  /// small batches on two threads, and with few examples, so that kinds fill up early.
  void reports_need_only_their_examples_messages_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("examples");
    QTest::addColumn<bool>("bare");  // findings are left with no message (not in one chunk of MARCXML)
    QTest::newRow("uva, 1 example") << "valid/solrmarc-uva_001_2000.mrc" << 1 << true;
    QTest::newRow("uva, 3 examples") << "valid/solrmarc-uva_001_2000.mrc" << 3 << true;
    QTest::newRow("uva, no example") << "valid/solrmarc-uva_001_2000.mrc" << 0 << true;
    QTest::newRow("bu bibs") << "malformed/catmandu-bu_bibs.mrc" << 2 << true;
    QTest::newRow("marc8 hebrew") << "marc8/evergreen-hebrew.marc" << 2 << true;
    // A file this small is parsed as one chunk: every record is validated before the first is reported.
    QTest::newRow("marcxml") << "xml/solrmarc-specTestRecs_no_Prolog.xml" << 2 << false;
  }
  void reports_need_only_their_examples_messages() {
    QFETCH(QString, file);
    QFETCH(int, examples);
    QFETCH(bool, bare);
    const Validator validator;
    ReadOptions small;
    small.slice_bytes = 8192;
    small.batch_records = 7;
    small.threads = 2;
    read_for_validation(small);
    ReportOptions options;
    options.max_examples = static_cast<std::size_t>(examples);
    options.keep_findings = true;
    std::uint64_t shown = 0, unbuilt = 0;
    auto all_reader = RecordReader::open(data_path(file), small);
    const FileReport all = validate_all(*all_reader, &validator, options, {}, [&](const Finding& f) {
      ++shown;
      QVERIFY(!f.diagnostic.message.empty());
    });
    // The same pass with a demand of its own, so that the findings it left bare can be counted.
    MessageDemand demand;
    ReportOptions counting = options;
    counting.demand = &demand;
    auto reader = RecordReader::open(data_path(file), small);
    FileReport some;
    some.file = reader->name();
    reader->run(
        [&](Batch& batch) {
          for (const auto& d : batch.diagnostics) unbuilt += d.code == Code::RuleViolation && d.message.empty();
          some.add_batch(batch, counting);
          return true;
        },
        [&](Batch& batch) { validate_batch(validator, batch, &demand); });
    auto own_reader = RecordReader::open(data_path(file), small);
    const FileReport own = validate_all(*own_reader, &validator, options);
    // validate_all() fills its report through the demand it is given (or one of its own).
    MessageDemand given;
    ReportOptions with_given = options;
    with_given.demand = &given;
    auto given_reader = RecordReader::open(data_path(file), small);
    const FileReport told = validate_all(*given_reader, &validator, with_given);
    std::size_t done_rules = 0;
    for (std::size_t i = 0; i < Validator::rule_ids().size(); ++i) done_rules += !given.wanted(i);
    QVERIFY(done_rules > 0);
    QCOMPARE(told.by_finding, all.by_finding);
    QVERIFY(shown > 20);
    if (bare) QVERIFY2(unbuilt > shown / 4, qPrintable(QString("%1 of %2 findings had no message").arg(unbuilt).arg(shown)));
    for (const FileReport* r : std::initializer_list<const FileReport*>{&some, &own}) {
      QCOMPARE(r->by_finding, all.by_finding);
      QCOMPARE(r->by_tag, all.by_tag);
      QCOMPARE(r->findings.size(), all.findings.size());
      QCOMPARE(r->examples.size(), all.examples.size());
      for (const auto& [kind, list] : all.examples) {
        const auto& other = r->examples.at(kind);
        QCOMPARE(other.size(), list.size());
        for (std::size_t i = 0; i < list.size(); ++i) {
          QCOMPARE(other[i].diagnostic.to_string(), list[i].diagnostic.to_string());
          QCOMPARE(other[i].control_number, list[i].control_number);
        }
      }
      QCOMPARE(json_report({*r}), json_report({all}));
    }
  }

  /// Stopped, the export stops at the next batch with what it finished (every finding of the
  /// records it handed over), well before the end.
  void findings_csv_stops_when_asked() {
    const std::string path = data_path("malformed/catmandu-bu_bibs.mrc");
    const Validator validator;
    ReportOptions options;
    options.keep_findings = true;
    auto reader = RecordReader::open(path);
    const FileReport report = validate_all(*reader, &validator, options);
    ReadOptions small;
    small.slice_bytes = 4096;  // batches of a few records, so that there is a next batch to stop at
    small.threads = 1;
    auto rf = RecordFile::open(path, small);
    rf->build_index();
    std::set<std::uint64_t> records;
    for (const auto& f : report.findings) records.insert(f.record());
    QVERIFY(records.size() > 50);
    std::stop_source stop;
    JobControl control;
    control.stop = stop.get_token();
    std::uint64_t rows = 0;
    std::set<std::uint64_t> seen;
    const DescribedFindings done = describe_findings(*rf, report, &validator, [&](const Finding& f) {
      ++rows;
      seen.insert(f.diagnostic.record);
      if (seen.size() == 3) stop.request_stop();
    }, control);
    QVERIFY(done.cancelled);
    QCOMPARE(done.count, rows);
    QVERIFY2(seen.size() >= 3 && seen.size() < 30, qPrintable(QString::number(seen.size())));
    std::uint64_t of_seen = 0;
    for (const auto& f : report.findings) of_seen += seen.count(f.record());
    QCOMPARE(rows, of_seen);  // whole records, none cut in the middle
    QVERIFY(rows < report.findings.size());
    // Every finding comes back in the JSON listing them all, messages included.
    const FileReport every = with_every_finding(*rf, report, &validator);
    std::size_t listed = 0;
    for (const auto& [kind, list] : every.examples) listed += list.size();
    QCOMPARE(listed, report.findings.size());
    QVERIFY(listed > options.max_examples * every.examples.size() / 2);
  }

  /// The schema compiled into the library is the bundled JSON schema, to the last label, and its
  /// binary form reads back as it was written; broken binaries are refused, not misread.
  void embedded_schema_is_the_json_one() {
    const std::string json = std::string(MARCSCOPE_TEST_SOURCE_DIR) + "/../../resources/validation/marc21-bibliographic.avram.json";
    const Schema loaded = Schema::load(json);
    const std::string binary = loaded.to_binary();
    QCOMPARE(Schema::builtin()->to_binary(), binary);
    const Schema back = Schema::from_binary(binary);
    QCOMPARE(back.field_count(), loaded.field_count());
    QCOMPARE(back.field("245")->label, loaded.field("245")->label);
    QCOMPARE(back.field("245")->subfields, loaded.field("245")->subfields);
    QCOMPARE(back.field("008")->fixed->types.size(), loaded.field("008")->fixed->types.size());
    QCOMPARE(back.title(), loaded.title());
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Schema::from_binary(binary.substr(0, binary.size() / 2)));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Schema::from_binary("MSC0" + binary.substr(4)));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Schema::from_binary(binary + "x"));
    // The code lists too: every file's codes are in the bundled lists.
    const auto lists = CodeLists::builtin();
    QVERIFY(lists->languages.contains("eng") && lists->languages.contains("fre"));
    QVERIFY(lists->countries.contains("nyu"));
    QVERIFY(!lists->languages.contains("xxx-not-a-code"));
    const CodeLists from_dir = CodeLists::load(std::string(MARCSCOPE_TEST_SOURCE_DIR) + "/../../resources/validation");
    QCOMPARE(lists->languages.size(), from_dir.languages.size());
    QCOMPARE(lists->geographic_areas.size(), from_dir.geographic_areas.size());
    QCOMPARE(lists->article_exceptions, from_dir.article_exceptions);
  }

  /// Worst severity per record, and the records holding a finding.
  void worst_and_records_with() {
    const Validator validator;
    ReportOptions options;
    options.keep_findings = true;
    auto reader = RecordReader::open(data_path("malformed/catmandu-bu_bibs.mrc"));
    std::map<std::uint64_t, int> worst;
    std::set<std::uint64_t> with_length_mismatch;
    const FileReport report = validate_all(*reader, &validator, options, {}, [&](const Finding& f) {
      const auto& d = f.diagnostic;
      if (d.record) worst[d.record] = std::max(worst[d.record], int(d.severity));
      if (d.code == Code::RecordLengthMismatch) with_length_mismatch.insert(d.record);
    });
    QCOMPARE(report.worst_severity.size(), std::size_t(100));
    for (std::uint64_t n = 1; n <= 100; ++n) {
      const auto w = report.worst(n);
      if (worst.count(n)) QCOMPARE(w ? int(*w) : -1, worst[n]);
      else QVERIFY(!w);
    }
    const auto picked = records_with(report, Code::RecordLengthMismatch);
    QCOMPARE(std::set<std::uint64_t>(picked.begin(), picked.end()), with_length_mismatch);
    QCOMPARE(picked.size(), std::size_t(16));
    QVERIFY(records_with(report, Code::RuleViolation, "no-such-rule").empty());
  }
};

QTEST_GUILESS_MAIN(TestReport)
#include "test_report.moc"
