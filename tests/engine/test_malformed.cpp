// Broken input: every malformed/ ISO 2709 file is read in all three modes without crash or hang,
// with the expected diagnostics (tests/engine/malformed_expected.tsv), and the good records in it
// are still delivered.
#include <QtTest>

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "marcscope/model/record.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

struct Outcome {
  int delivered = 0;
  int skipped = 0;
  bool stopped = false;
  std::uint64_t last_number = 0;  ///< the highest record number delivered or named by a diagnostic
  std::map<QString, int> codes;
  Diagnostics all;
};

Outcome read_and_decode(const std::string& bytes, ReadMode mode) {
  ReadOptions options;
  options.mode = mode;
  Iso2709Reader reader(InputBuffer::from_bytes(bytes), options);
  Outcome out;
  ReadItem item;
  while (reader.next(item)) {
    Diagnostics diags = item.diagnostics;
    if (item.has_record) {
      ++out.delivered;
      out.last_number = std::max(out.last_number, item.view.number());
      (void)Record::from_view(item.view, DecodeOptions{}, diags);
    }
    for (const auto& d : diags) {
      out.last_number = std::max(out.last_number, d.record);
      if (d.code == Code::RecordSkipped) ++out.skipped;
      ++out.codes[QString::fromLatin1(code_name(d.code).data(), qsizetype(code_name(d.code).size()))];
    }
    out.all.insert(out.all.end(), diags.begin(), diags.end());
  }
  out.stopped = reader.stopped();
  return out;
}

/// One ISO 2709 record from (tag, value) pairs, lengths and offsets computed, values as given.
std::string iso_record(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string directory, data;
  for (const auto& [tag, value] : fields) {
    char entry[13];
    std::snprintf(entry, sizeof entry, "%s%04zu%05zu", tag.c_str(), value.size() + 1, data.size());
    directory += entry;
    data += value + "\x1E";
  }
  const std::size_t base = 24 + directory.size() + 1;
  char leader[25];
  std::snprintf(leader, sizeof leader, "%05zunam a22%05zu   4500", base + data.size() + 1, base);
  return leader + directory + "\x1E" + data + "\x1D";
}

QString format_codes(const std::map<QString, int>& codes) {
  QStringList parts;
  for (const auto& [code, n] : codes) parts << QString("%1=%2").arg(code).arg(n);
  return parts.join(',');
}

}  // namespace

class TestMalformed : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void expected_outcomes_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("mode");
    QTest::addColumn<int>("delivered");
    QTest::addColumn<QString>("codes");
    QFile f(QStringLiteral(MARCSCOPE_TEST_SOURCE_DIR "/malformed_expected.tsv"));
    QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
    QSet<QString> files;
    while (!f.atEnd()) {
      const QString line = QString::fromUtf8(f.readLine()).trimmed();
      if (line.isEmpty() || line.startsWith('#')) continue;
      const QStringList cols = line.split('\t');
      QTest::newRow(qPrintable(cols[0] + " " + cols[1]))
          << cols[0] << cols[1] << cols[2].toInt() << (cols.size() > 3 ? cols[3] : QString());
      files.insert(cols[0]);
    }
    // Every ISO 2709 file in malformed/ has expectations.
    const QStringList present = QDir(data_dir() + "/malformed").entryList(QDir::Files);
    for (const QString& name : present)
      if (is_iso2709_name(name)) QVERIFY2(files.contains(name), qPrintable(name + " has no expected outcome"));
  }

  void expected_outcomes() {
    QFETCH(QString, file);
    QFETCH(QString, mode);
    QFETCH(int, delivered);
    QFETCH(QString, codes);
    ReadMode m;
    QVERIFY(parse_read_mode(mode.toStdString(), m));
    const std::string bytes = read_bytes("malformed/" + file);
    QVERIFY(!bytes.empty());
    const Outcome out = read_and_decode(bytes, m);
    QCOMPARE(out.delivered, delivered);
    QCOMPARE(format_codes(out.codes), codes);

    for (const auto& d : out.all) {
      // Every diagnostic points into the file and names its record (junk outside records excepted).
      QVERIFY2(d.offset <= bytes.size(), qPrintable(QString::fromStdString(d.to_string())));
      if (d.code != Code::JunkBetweenRecords && d.code != Code::TrailingBytes)
        QVERIFY2(d.record > 0, qPrintable(QString::fromStdString(d.to_string())));
      QVERIFY(!d.message.empty());
    }
    if (m == ReadMode::Strict) {
      // Strict stops exactly when something structural was wrong, and says so with a Fatal.
      const bool fatal = max_severity(out.all) == Severity::Fatal;
      QCOMPARE(out.stopped, fatal);
      QCOMPARE(out.skipped, 0);
    } else {
      QVERIFY(!out.stopped);
      QVERIFY(max_severity(out.all) < Severity::Fatal);
    }
  }

  /// Nothing is lost: modes deliver more as they get more forgiving, and permissive accounts for
  /// every record it saw as delivered or skipped.
  void modes_are_ordered_data() {
    QTest::addColumn<QString>("file");
    for (const QString& name : QDir(data_dir() + "/malformed").entryList(QDir::Files))
      if (is_iso2709_name(name)) QTest::newRow(qPrintable(name)) << name;
  }
  void modes_are_ordered() {
    QFETCH(QString, file);
    const std::string bytes = read_bytes("malformed/" + file);
    const Outcome strict = read_and_decode(bytes, ReadMode::Strict);
    const Outcome permissive = read_and_decode(bytes, ReadMode::Permissive);
    const Outcome recover = read_and_decode(bytes, ReadMode::Recover);
    QVERIFY(strict.delivered <= permissive.delivered);
    QVERIFY(permissive.delivered <= recover.delivered);
    // Record numbers count every record seen: delivered + skipped = the last record number.
    QCOMPARE(std::uint64_t(permissive.delivered + permissive.skipped), permissive.last_number);
    QCOMPARE(std::uint64_t(recover.delivered + recover.skipped), recover.last_number);
    QCOMPARE(recover.delivered + recover.skipped, permissive.delivered + permissive.skipped);
  }

  /// The good records around a bad one come through untouched: splice a broken record between
  /// two files' worth of good ones.
  void good_records_survive_a_bad_neighbour() {
    const std::string good = read_bytes("valid/pymarc-marc.dat");  // 20 records
    const std::string bad = read_bytes("malformed/mrrc-e101_directory_non_digit_length.bin");
    const std::string trunc = read_bytes("malformed/filemarc-wronglen.mrc");
    const std::string input = good + bad + good + trunc + good;
    const Outcome permissive = read_and_decode(input, ReadMode::Permissive);
    QCOMPARE(permissive.delivered, 60);
    QCOMPARE(permissive.skipped, 2);
    const Outcome recover = read_and_decode(input, ReadMode::Recover);
    QCOMPARE(recover.delivered, 62);
    const Outcome strict = read_and_decode(input, ReadMode::Strict);
    QCOMPARE(strict.delivered, 20);
    QVERIFY(strict.stopped);
    // The skipped records are named by number and offset.
    int named = 0;
    for (const auto& d : permissive.all) {
      if (d.code != Code::RecordSkipped) continue;
      ++named;
      QVERIFY(d.record == 21 || d.record == 42);
      QCOMPARE(input.compare(d.offset, 5, d.record == 21 ? bad.substr(0, 5) : trunc.substr(0, 5)), 0);
    }
    QCOMPARE(named, 2);
  }

  /// A terminator inside a field's data, or a delimiter inside a control field, is reported in
  /// every mode (strict and permissive keep the value as read, recover cuts the field there)
  /// with the byte's own offset; a clean record gets no such finding.
  void structure_bytes_inside_fields_are_reported() {
    const std::string ctl = iso_record({{"001", "ab\x1F" "cd"}, {"245", "10\x1F" "aTitle"}});
    const std::string ft = iso_record({{"001", "x1"}, {"245", "10\x1F" "aTi\x1E" "le"}, {"500", "  \x1F" "aNote"}});
    const std::string rt = iso_record({{"001", "x1"}, {"245", "10\x1F" "aTi\x1D" "le"}, {"500", "  \x1F" "aNote"}});
    const std::string clean = iso_record({{"001", "x1"}, {"245", "10\x1F" "aTitle"}});
    for (ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
      const Outcome c = read_and_decode(ctl, mode);
      QCOMPARE(c.delivered, 1);
      QCOMPARE(c.codes.count(QStringLiteral("structure-byte-in-data")), std::size_t(1));
      for (const auto& d : c.all)
        if (d.code == Code::StructureByteInData) QCOMPARE(ctl.at(d.offset), '\x1F');
      for (const std::string* input : {&ft, &rt}) {
        const Outcome o = read_and_decode(*input, mode);
        QCOMPARE(o.delivered, 1);
        const bool reported = o.codes.count(QStringLiteral("structure-byte-in-data")) ||
                              o.codes.count(QStringLiteral("data-outside-fields"));
        QVERIFY2(reported, qPrintable(format_codes(o.codes)));
        for (const auto& d : o.all)
          if (d.code == Code::StructureByteInData) QCOMPARE(input->at(d.offset), input == &ft ? '\x1E' : '\x1D');
        if (mode != ReadMode::Recover) QCOMPARE(o.codes.count(QStringLiteral("structure-byte-in-data")), std::size_t(1));
      }
      const Outcome ok = read_and_decode(clean, mode);
      QCOMPARE(ok.delivered, 1);
      QVERIFY2(ok.all.empty(), qPrintable(format_codes(ok.codes)));
    }
  }

  /// Junk of every kind between records is skipped with a warning, never fatal.
  void junk_between_records() {
    const std::string rec = read_bytes("valid/marcperl-sample1.usmarc");
    const std::string input = std::string("\r\n") + rec + std::string("\x1A\n\0\0  ", 6) + rec + "\n";
    const Outcome strict = read_and_decode(input, ReadMode::Strict);
    QCOMPARE(strict.delivered, 2);
    QVERIFY(!strict.stopped);
    QCOMPARE(strict.codes.at(QStringLiteral("junk-between-records")), 3);
    for (const auto& d : strict.all) QCOMPARE(d.severity, Severity::Warning);
  }

  /// Lengths counted in characters (a common export bug) are repaired in Recover mode and the
  /// values come through intact. Three of the sixteen records (31, 45, 77) hold fields split by
  /// stray terminators at the source: no reading gives their fields back, so they are skipped.
  void character_counted_lengths_repaired() {
    const std::string bytes = read_bytes("malformed/catmandu-bu_bibs.mrc");
    ReadOptions options;
    options.mode = ReadMode::Recover;
    options.decode.encoding = EncodingChoice::Auto;  // the data is UTF-8 under a blank leader/09
    Iso2709Reader reader(InputBuffer::from_bytes(bytes), options);
    ReadItem item;
    int repaired = 0, n = 0;
    bool found = false;
    while (reader.next(item)) {
      if (!item.has_record) continue;
      ++n;
      if (!item.view.repaired()) continue;
      ++repaired;
      QVERIFY(has_code(item.diagnostics, Code::RecordLengthMismatch));
      Diagnostics diags;
      Record rec = Record::from_view(item.view, options.decode, diags);
      if (item.view.number() == 15) {
        const Field* f245 = rec.first("245");
        QVERIFY(f245 != nullptr);
        QCOMPARE(QString::fromStdString(*f245->subfield('c')), QStringLiteral("Agapi Filini"));
        QCOMPARE(rec.fields().size(), std::size_t(26));
        found = true;
      }
    }
    QCOMPARE(n, 97);
    QCOMPARE(repaired, 13);
    QVERIFY(found);
  }
};

QTEST_APPLESS_MAIN(TestMalformed)
#include "test_malformed.moc"
