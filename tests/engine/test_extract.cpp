// Column values by field spec (what the app's table shows) and the byte layout of an ISO 2709
// record (what its hex view colours).
#include <QtTest>

#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/iso2709/record_layout.h"
#include "marcscope/read/record_file.h"
#include "marcscope/search/extract.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

Record sample() {
  Record r;
  r.set_leader("00000cam a2200000 i 4500");
  r.add_field(Field("001", "ocm123"));
  r.add_field(Field("008", "850101s1984    nyu           000 0 eng d"));
  r.add_field(Field("100", '1', ' ', {{'a', "Tolstoy, Leo,"}, {'d', "1828-1910."}}));
  r.add_field(Field("245", '1', '0', {{'c', "by Leo Tolstoy."}, {'a', "War and peace /"}}));
  r.add_field(Field("650", ' ', '0', {{'a', "Russia"}, {'x', "History"}}));
  r.add_field(Field("650", ' ', '0', {{'a', "Napoleonic Wars"}}));
  return r;
}

}  // namespace

class TestExtract : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void values_by_spec() {
    const Record r = sample();
    QCOMPARE(FieldPath::parse("001").value(r), std::string("ocm123"));
    QCOMPARE(FieldPath::parse("245$a").value(r), std::string("War and peace /"));
    QCOMPARE(FieldPath::parse("1XX$a").value(r), std::string("Tolstoy, Leo,"));
    QCOMPARE(FieldPath::parse("1xx$d").value(r), std::string("1828-1910."));
    QCOMPARE(FieldPath::parse("650").value(r), std::string("Russia History"));
    QCOMPARE(FieldPath::parse("650$x").value(r), std::string("History"));
    QCOMPARE(FieldPath::parse("008/07-10").value(r), std::string("1984"));
    QCOMPARE(FieldPath::parse("008/35-37").value(r), std::string("eng"));
    QCOMPARE(FieldPath::parse("LDR/06-07").value(r), std::string("am"));
    QCOMPARE(FieldPath::parse("LDR/09").value(r), std::string("a"));
    QCOMPARE(FieldPath::parse("LDR").value(r), r.leader());
    // Nothing there: empty, never a throw.
    QCOMPARE(FieldPath::parse("245$z").value(r), std::string());
    QCOMPARE(FieldPath::parse("700$a").value(r), std::string());
    QCOMPARE(FieldPath::parse("008/38-45").value(r), std::string(" d"));  // what is there of 38-45
    QCOMPARE(FieldPath::parse("008/60").value(r), std::string());
    QCOMPARE(FieldPath::parse("LDR/05-06").value(Record()), std::string("na"));  // the default leader
    const auto p = FieldPath::parse("008/07-10");
    QCOMPARE(p.tag(), std::string("008"));
    QVERIFY(p.positions() && p.positions()->first == 7 && p.positions()->second == 10);
  }

  void bad_specs_are_refused() {
    for (const char* bad : {"", "245$", "245$ab", "008/10-07", "008/x", "245 =a", "!245", "LDR$a", "245$a/01", "24"})
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, FieldPath::parse(bad));
  }

  /// The layout of a record written by the engine: leader, one directory entry per field, the
  /// directory terminator, the fields in order, the record terminator; every byte placed once.
  void layout_of_a_written_record() {
    const Record r = sample();
    std::string bytes;
    write_iso2709(r, bytes);
    const auto regions = record_layout(bytes);
    const std::size_t n = r.fields().size();
    QCOMPARE(regions.size(), 1 + n + 1 + n + 1);
    QCOMPARE(regions.front().kind, ByteRegion::Kind::Leader);
    QCOMPARE(regions.front().length, 24u);
    std::uint32_t at = 0;
    for (const auto& g : regions) {
      QCOMPARE(g.offset, at);
      at += g.length;
    }
    QCOMPARE(std::size_t(at), bytes.size());
    for (std::size_t i = 0; i < n; ++i) {
      const ByteRegion& entry = regions[1 + i];
      QCOMPARE(entry.kind, ByteRegion::Kind::DirectoryEntry);
      QCOMPARE(entry.tag, r.fields()[i].tag());
      QCOMPARE(entry.field, std::int32_t(i));
      const ByteRegion& field = regions[2 + n + i];
      QCOMPARE(field.kind, ByteRegion::Kind::Field);
      QCOMPARE(field.tag, r.fields()[i].tag());
      QCOMPARE(bytes[field.offset + field.length - 1], '\x1E');
    }
    QCOMPARE(regions[1 + n].kind, ByteRegion::Kind::DirectoryTerminator);
    QCOMPARE(regions.back().kind, ByteRegion::Kind::RecordTerminator);
    // 245's data starts with its indicators.
    QCOMPARE(bytes.substr(regions[2 + n + 3].offset, 2), std::string("10"));
  }

  /// Any bytes at all give regions inside them, in order, never overlapping, and never a throw.
  void layout_of_broken_records() {
    std::string bytes;
    write_iso2709(sample(), bytes);
    std::vector<std::string> inputs = {"", "0", std::string(24, 'x'), bytes.substr(0, 30), bytes.substr(0, bytes.size() / 2)};
    std::string lying = bytes;
    lying.replace(24 + 3, 4, "9999");  // the first entry's length runs far past the end
    inputs.push_back(lying);
    std::string junk_dir = bytes;
    junk_dir.replace(24 + 12 + 7, 5, "ab?de");  // a start that is not a number
    inputs.push_back(junk_dir);
    for (const QString& name : {QStringLiteral("malformed/marcperl-baddir.usmarc"), QStringLiteral("malformed/filemarc-wronglen.mrc")})
      inputs.push_back(read_bytes(name).substr(0, 4000));
    for (const auto& in : inputs) {
      std::uint32_t end = 0;
      for (const auto& g : record_layout(in)) {
        QVERIFY(g.offset >= end);
        QVERIFY(g.length > 0);
        end = g.offset + g.length;
        QVERIFY(end <= in.size());
      }
    }
    const auto lied = record_layout(lying);
    QCOMPARE(lied.back().kind, ByteRegion::Kind::RecordTerminator);  // the runaway field is clipped before it
  }
};

QTEST_GUILESS_MAIN(TestExtract)
#include "test_extract.moc"
