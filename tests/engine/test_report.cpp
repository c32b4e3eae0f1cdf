// The engine's validation report: compact findings that rebuild their full diagnostics on
// demand, per-record worst severities, and records picked by finding.
#include <QtTest>

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
