// One record typed as MARCMaker text (the desktop app's editor): read_mrk_record() reads it as
// a .mrk file would be read, places every problem and every field on its line, and says whether
// the record is what the text says.
#include <QtTest>

#include "marcscope/formats/mrk_reader.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/io/byte_source.h"
#include "test_support.h"

using namespace marcscope;

namespace {

const char* kText =
    "=LDR  00000nam a2200000 a 4500\n"
    "=001  ocm12345\n"
    "=008  850101s1985\\\\\\\\nyu\\\\\\\\\\\\\\\\\\\\\\\\000\\0\\eng\\d\n"
    "=245  10$aA title with a {dollar} sign /$cby Someone.\n"
    "=650  \\0$aHistory.\n";

}  // namespace

class TestMrkRecord : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void readsAsTheFileReaderDoes() {
    const MrkRecordText r = read_mrk_record(kText, 7);
    QVERIFY(r.readable);
    QVERIFY2(r.diagnostics.empty(), r.diagnostics.empty() ? "" : r.diagnostics.front().to_string().c_str());
    // The same text as a .mrk file gives the same record.
    auto stream = open_record_stream(Format::Mrk, make_memory_source(kText));
    Record fromFile;
    Diagnostics diags;
    QVERIFY(stream->next(fromFile, diags));
    std::string a, b;
    write_mrk(r.record, a);
    write_mrk(fromFile, b);
    QCOMPARE(a, b);
    QCOMPARE(r.record.fields().size(), std::size_t(4));
    const Field* f245 = r.record.first("245");
    QVERIFY(f245);
    QCOMPARE(f245->subfields().front().value, std::string("A title with a $ sign /"));
  }

  void placesFieldsOnTheirLines() {
    // A continuation line belongs to the field above it; the next field's line counts it.
    const std::string text = std::string(kText).insert(std::string(kText).find("=650"), "  continued.\n");
    const MrkRecordText r = read_mrk_record(text);
    QCOMPARE(r.leader_line, 1u);
    QCOMPARE(r.field_lines, (std::vector<std::uint32_t>{2, 3, 4, 6}));
    QCOMPARE(r.line_of_field(3), 6u);
    QCOMPARE(r.line_of_field(4), 0u);
    QCOMPARE(r.line_of_field(-1), 0u);
  }

  void syntaxErrorIsAnErrorOnItsLine() {
    const std::string text = std::string(kText) + "oops, not a field\n=700  1\\$aAuthor, A.\n";
    const MrkRecordText r = read_mrk_record(text, 12);
    QVERIFY(!r.readable);
    QCOMPARE(r.diagnostics.size(), std::size_t(1));
    QCOMPARE(r.diagnostic_lines.size(), std::size_t(1));
    QCOMPARE(r.diagnostics[0].code, Code::MrkSyntaxError);
    QCOMPARE(r.diagnostics[0].severity, Severity::Error);
    QCOMPARE(r.diagnostics[0].record, std::uint64_t(12));
    QCOMPARE(r.diagnostic_lines[0], 6u);
    // The lines that could be read are still there, the bad one left out.
    QCOMPARE(r.record.fields().size(), std::size_t(5));
    QCOMPARE(r.line_of_field(4), 7u);
  }

  void warningLeavesItReadable() {
    // One blank after the tag instead of two: read, with a warning on that line.
    std::string text = kText;
    text.replace(text.find("=650  "), 6, "=650 ");
    const MrkRecordText r = read_mrk_record(text);
    QVERIFY(r.readable);
    QCOMPARE(r.diagnostics.size(), std::size_t(1));
    QCOMPARE(r.diagnostics[0].severity, Severity::Warning);
    QCOMPARE(r.diagnostic_lines[0], 5u);
  }

  void secondRecordIsAnError() {
    std::string text = kText;
    text.insert(text.find("=245"), "\n");
    const MrkRecordText r = read_mrk_record(text);
    QVERIFY(!r.readable);
    QCOMPARE(r.diagnostics.size(), std::size_t(1));
    QCOMPARE(r.diagnostic_lines[0], 5u);  // the first line of the second record
    QCOMPARE(r.record.fields().size(), std::size_t(2));
  }

  void emptyTextIsAnError() {
    for (const char* text : {"", "\n\n", "   \n"}) {
      const MrkRecordText r = read_mrk_record(text);
      QVERIFY(!r.readable);
      QCOMPARE(r.diagnostics.size(), std::size_t(1));
      QCOMPARE(r.diagnostics[0].severity, Severity::Error);
    }
  }

  void badBytesNeverThrow() {
    // Cut and broken text of every kind reads to some answer.
    const std::string text = std::string(kText) + "=\n=24\n=245\x01\xff$\n=LDR\n$$$\n\t\n{";
    for (std::size_t n = 0; n <= text.size(); ++n) {
      const MrkRecordText r = read_mrk_record(std::string_view(text).substr(0, n));
      QCOMPARE(r.diagnostic_lines.size(), r.diagnostics.size());
      QCOMPARE(r.field_lines.size(), r.record.fields().size());
    }
  }
};

QTEST_APPLESS_MAIN(TestMrkRecord)
#include "test_mrk_record.moc"
