// Reading real files: record counts, decoding, round trips, and stage 1 on windowed input.
#include <QtTest>

#include <zlib.h>

#include <random>

#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/iso2709/leader.h"
#include "marcscope/model/record.h"
#include "marcscope/iso2709/record_scanner.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

class TestReader : public QObject {
  Q_OBJECT

 private:
  void add_files(const QStringList& folders) {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("records");
    const auto counts = sources_record_counts();
    QVERIFY2(counts.size() > 300, "tests/data/SOURCES.md could not be read");
    int rows = 0;
    for (const auto& [file, n] : counts) {
      const QString folder = file.section('/', 0, 0);
      if (!folders.contains(folder) || !is_iso2709_name(file)) continue;
      if (file == "marc8/marccharset-farsi.marc") continue;  // a raw MARC-8 string, not a record
      QTest::newRow(file.toUtf8().constData()) << file << n;
      ++rows;
    }
    QVERIFY(rows > 100);
  }

 private Q_SLOTS:
  /// The word-at-a-time digit readers give what a byte loop gives, for every position of a
  /// non-digit (bytes either side of '0'-'9' included) and for random digit strings.
  void digit_words_match_a_byte_loop() {
    const auto naive = [](const char* p, std::size_t n, std::uint32_t& v) {
      v = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (p[i] < '0' || p[i] > '9') return false;
        v = v * 10 + static_cast<std::uint32_t>(p[i] - '0');
      }
      return true;
    };
    std::mt19937 rng(7);
    const std::string odd = std::string("/:\x00 \xFF\xB0\x80" "a", 8);
    int rejected = 0;
    for (int round = 0; round < 200000; ++round) {
      char b[9];
      for (char& c : b) c = static_cast<char>('0' + rng() % 10);
      if (round % 2) b[rng() % 9] = odd[rng() % odd.size()];
      std::uint32_t len = 0, start = 0, want_len = 0, want_start = 0, four = 0, want_four = 0;
      const bool ok = parse_directory_numbers(b, len, start);
      const bool want = naive(b, 4, want_len) & naive(b + 4, 5, want_start);
      QCOMPARE(ok, want);
      if (ok) {
        QCOMPARE(len, want_len);
        QCOMPARE(start, want_start);
      }
      rejected += !ok;
      QCOMPARE(parse_digits4(b, four), naive(b, 4, want_four));
      if (naive(b, 4, want_four)) QCOMPARE(four, want_four);
    }
    QVERIFY(rejected > 90000);
    std::uint32_t len = 0, start = 0;
    QVERIFY(parse_directory_numbers("999999999", len, start));
    QCOMPARE(len, 9999u);
    QCOMPARE(start, 99999u);
    QVERIFY(parse_directory_numbers("000000000", len, start));
    QCOMPARE(len + start, 0u);
  }

  void counts_match_sources_data() { add_files({"valid", "marc8", "pairs"}); }
  /// Every valid/, marc8/ and pairs/ file reads in Strict mode with no error and the record
  /// count SOURCES.md gives.
  void counts_match_sources() {
    QFETCH(QString, file);
    QFETCH(int, records);
    const std::string bytes = read_bytes(file);
    QVERIFY(!bytes.empty());
    ReadSummary s = read_file(bytes, ReadMode::Strict);
    QVERIFY2(!s.stopped, qPrintable(describe(s.diagnostics)));
    QCOMPARE(s.delivered, records);
    QCOMPARE(s.skipped, 0);
    // Only warnings (junk between records, unusual leader values) are acceptable here.
    QVERIFY2(max_severity(s.diagnostics) <= Severity::Warning, qPrintable(describe(s.diagnostics)));
    // Same result in the other modes.
    QCOMPARE(read_file(bytes, ReadMode::Permissive).delivered, records);
    ReadSummary r = read_file(bytes, ReadMode::Recover);
    QCOMPARE(r.delivered, records);
    QCOMPARE(r.repaired, 0);
  }

  void round_trip_data() { add_files({"valid", "marc8", "pairs"}); }
  /// read -> write ISO 2709 (UTF-8) -> read gives the same records, and well-formed UTF-8
  /// records come back byte for byte.
  void round_trip() {
    QFETCH(QString, file);
    QFETCH(int, records);
    const std::string bytes = read_bytes(file);
    Iso2709Reader reader(InputBuffer::from_bytes(bytes), ReadOptions{});
    ReadItem item;
    std::vector<Record> first;
    std::string written;
    int identical = 0, utf8_clean = 0;
    while (reader.next(item)) {
      if (!item.has_record) continue;
      Diagnostics diags;
      Record rec = Record::from_view(item.view, DecodeOptions{}, diags);
      std::string one = to_iso2709(rec);
      const bool declared_utf8 = item.view.leader().declares_utf8();
      if (declared_utf8 && diags.empty() && item.diagnostics.empty()) {
        ++utf8_clean;
        // The writer writes leader/10-11 and 20-23 for the structure it writes ("22", "4500");
        // leader/23 is undefined and some files carry another digit there.
        std::string original(item.view.bytes());
        original.replace(10, 2, "22");
        original.replace(20, 4, "4500");
        if (one == original) ++identical;
        else
          QFAIL(qPrintable(QString("record %1 of a clean UTF-8 file does not write back byte-identically")
                               .arg(item.view.number())));
      }
      written += one;
      first.push_back(std::move(rec));
    }
    QCOMPARE(int(first.size()), records);
    QCOMPARE(identical, utf8_clean);

    ReadOptions strict;
    strict.mode = ReadMode::Strict;
    Iso2709Reader again(InputBuffer::from_bytes(written), strict);
    std::size_t i = 0;
    while (again.next(item)) {
      QVERIFY2(item.has_record, qPrintable(describe(item.diagnostics)));
      QVERIFY2(max_severity(item.diagnostics) < Severity::Error, qPrintable(describe(item.diagnostics)));
      QVERIFY(item.view.leader().declares_utf8());
      Diagnostics diags;
      Record rec = Record::from_view(item.view, DecodeOptions{}, diags);
      QVERIFY(i < first.size());
      QCOMPARE(rec.fields().size(), first[i].fields().size());
      // Structure bytes inside values (MARC::Lint's 007 with subfield delimiters) are written as U+FFFD.
      Record expected = first[i];
      for (auto& f : expected.fields()) {
        auto fix = [](std::string v) {
          std::string out;
          for (char c : v) out += (c >= 0x1D && c <= 0x1F) ? std::string("\xEF\xBF\xBD") : std::string(1, c);
          return out;
        };
        if (f.is_control()) f.set_value(fix(f.value()));
        for (auto& sf : f.subfields()) sf.value = fix(sf.value);
      }
      QVERIFY2(rec.fields() == expected.fields(), qPrintable(QString("record %1 differs after the round trip").arg(i + 1)));
      // Lengths, base address, leader/10-11 and 20-23 describe what is written ("22", "4500");
      // every other leader byte stays.
      QCOMPARE(rec.leader().substr(5, 5), first[i].leader().substr(5, 5));
      QCOMPARE(rec.leader().substr(10, 2), std::string("22"));
      QCOMPARE(rec.leader().substr(17, 3), first[i].leader().substr(17, 3));
      QCOMPARE(rec.leader().substr(20), std::string("4500"));
      ++i;
    }
    QCOMPARE(i, first.size());
  }

  /// Stage 1 fed through a small sliding window (as a streaming source would) finds the same
  /// records at the same offsets as on the whole buffer.
  void windowed_scan_matches_whole() {
    const std::string bytes = read_bytes("malformed/marcperl-cameleof.usmarc") + read_bytes("valid/pymarc-marc.dat") +
                              read_bytes("malformed/marcperl-filler.usmarc");
    for (ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
      std::vector<RecordSpan> whole;
      {
        RecordScanner scanner(mode);
        std::size_t pos = 0;
        Diagnostics d;
        RecordSpan span;
        for (;;) {
          auto st = scanner.next(bytes, pos, 0, true, span, d);
          if (st == RecordScanner::Status::Record) whole.push_back(span);
          else if (st != RecordScanner::Status::Skipped) break;
        }
      }
      QVERIFY(!whole.empty());
      for (std::size_t window : {std::size_t(7), std::size_t(100), std::size_t(4096)}) {
        RecordScanner scanner(mode);
        std::vector<RecordSpan> got;
        std::uint64_t base = 0;  // absolute offset of buf[0]
        std::string buf;
        std::size_t fed = 0, pos = 0;
        Diagnostics d;
        for (;;) {
          const bool eof = fed == bytes.size();
          RecordSpan span;
          auto st = scanner.next(buf, pos, base, eof, span, d);
          if (st == RecordScanner::Status::Record) got.push_back(span);
          else if (st == RecordScanner::Status::Skipped) continue;
          else if (st == RecordScanner::Status::NeedMore) {
            QVERIFY(!eof);
            buf.erase(0, pos);
            base += pos;
            pos = 0;
            const std::size_t n = std::min(window, bytes.size() - fed);
            buf.append(bytes, fed, n);
            fed += n;
          } else {
            break;
          }
        }
        QCOMPARE(got.size(), whole.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
          QCOMPARE(got[i].offset, whole[i].offset);
          QCOMPARE(got[i].length, whole[i].length);
        }
      }
    }
  }

  /// Decoded content of a MARC-8 file: values are UTF-8 and leader/09 becomes 'a'.
  void marc8_file_decodes_to_utf8() {
    const std::string bytes = read_bytes("valid/solrmarc-uva_001_2000.mrc");
    Iso2709Reader reader(InputBuffer::from_bytes(bytes), ReadOptions{});
    ReadItem item;
    int n = 0, non_ascii = 0;
    while (reader.next(item)) {
      if (!item.has_record) continue;
      ++n;
      Diagnostics diags;
      Record rec = Record::from_view(item.view, DecodeOptions{}, diags);
      QCOMPARE(rec.leader()[9], 'a');
      for (const auto& f : rec.fields()) {
        auto check = [&](const std::string& v) {
          QVERIFY(is_valid_utf8_value(v));
          for (unsigned char c : v)
            if (c >= 0x80) {
              ++non_ascii;
              break;
            }
        };
        if (f.is_control()) check(f.value());
        for (const auto& s : f.subfields()) check(s.value);
      }
    }
    QCOMPARE(n, 2000);
    QVERIFY(non_ascii > 900);
  }

  /// InputBuffer::open: regular files stay mapped, gzip is read whole, errors are IoErrors.
  void input_buffer_open() {
    const std::string path = data_path("valid/pymarc-marc.dat");
    const std::string bytes = read_bytes("valid/pymarc-marc.dat");
    InputBuffer mapped = InputBuffer::open(path);
    QVERIFY(mapped.mapped());
    QVERIFY(mapped.bytes() == bytes);
    InputBuffer moved = std::move(mapped);
    QVERIFY(moved.bytes() == bytes);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string gz = (dir.path() + "/marc.dat.gz").toStdString();
    gzFile f = gzopen(gz.c_str(), "wb");
    QVERIFY(f != nullptr);
    QCOMPARE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
    gzclose(f);
    InputBuffer unzipped = InputBuffer::open(gz);
    QVERIFY(!unzipped.mapped());
    QVERIFY(unzipped.bytes() == bytes);

    QVERIFY_THROWS_EXCEPTION(IoError, InputBuffer::open(data_path("no-such-file.mrc")));
    QVERIFY_THROWS_EXCEPTION(IoError, InputBuffer::open(data_path("valid")));
  }

  /// The leader accessors read every position.
  void leader_accessors() {
    const LeaderView l("01799nam a2200325 a 4500");
    QCOMPARE(l.record_length().value(), 1799u);
    QCOMPARE(l.record_status(), 'n');
    QCOMPARE(l.type_of_record(), 'a');
    QCOMPARE(l.bibliographic_level(), 'm');
    QCOMPARE(l.type_of_control(), ' ');
    QCOMPARE(l.character_coding(), 'a');
    QVERIFY(l.declares_utf8());
    QCOMPARE(l.indicator_count().value(), 2u);
    QCOMPARE(l.subfield_code_count().value(), 2u);
    QCOMPARE(l.base_address().value(), 325u);
    QCOMPARE(l.encoding_level(), ' ');
    QCOMPARE(l.descriptive_cataloging_form(), 'a');
    QCOMPARE(l.multipart_resource_level(), ' ');
    QCOMPARE(l.length_of_field_length().value(), 4u);
    QCOMPARE(l.length_of_starting_position().value(), 5u);
    QCOMPARE(l.length_of_implementation_portion().value(), 0u);
    QCOMPARE(l.undefined_23(), '0');
    const LeaderView bad("^^^^^nam^^22^^^^^^^4500");
    QVERIFY(!bad.record_length().has_value());
    QVERIFY(!bad.base_address().has_value());
  }

 private:
  static bool is_valid_utf8_value(const std::string& v);
};

#include "marcscope/charset/utf8.h"
bool TestReader::is_valid_utf8_value(const std::string& v) { return marcscope::is_valid_utf8(v); }

QTEST_APPLESS_MAIN(TestReader)
#include "test_reader.moc"
