// Long runs of bytes that are not MARC between records (gigabytes of NULs, 0x1A, random bytes,
// digits that read as record lengths): reading them holds a bounded number of bytes, reports one
// diagnostic for the run, and every record after the run still comes through, numbered as if the
// run were not there. Memory is checked by what the engine holds, never by timing: the bytes a
// batch covers (a mapped input is scanned through a window; pages behind delivered batches are
// dropped) and the bytes the push decoder holds between feeds.

#include <QtTest>

#include <random>

#include "marcscope/io/byte_source.h"
#include "marcscope/iso2709/record_scanner.h"
#include "marcscope/read/decoder.h"
#include "marcscope/read/pipeline.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

std::vector<std::string> split_records(const std::string& bytes) {
  std::vector<std::string> out;
  for (std::size_t p = 0; p + 5 <= bytes.size();) {
    const std::size_t n = std::stoul(bytes.substr(p, 5));
    out.push_back(bytes.substr(p, n));
    p += n;
  }
  return out;
}

/// `kind` bytes of junk, `size` of them.
std::string junk(const QString& kind, std::size_t size) {
  std::string j(size, '\0');
  std::mt19937 rng(12);
  if (kind == "eof") {
    j.assign(size, '\x1A');
  } else if (kind == "random") {
    for (auto& c : j) c = static_cast<char>(rng() & 0xFF);
  } else if (kind == "digits") {
    for (auto& c : j) c = static_cast<char>('0' + rng() % 10);
  } else if (kind == "lengths") {  // "01000" over and over: each reads as a 1000-byte record's length
    for (std::size_t i = 0; i < size; ++i) j[i] = "01000"[i % 5];
  } else if (kind == "mixed") {  // random bytes, then line breaks and NULs, then digits
    for (std::size_t i = 0; i < size; ++i)
      j[i] = i < size / 3 ? static_cast<char>(rng() & 0xFF) : i < 2 * size / 3 ? "\r\n\0"[i % 3] : static_cast<char>('0' + rng() % 10);
  }
  return j;
}

bool only_blanks(const QString& kind) { return kind == "zeros" || kind == "eof"; }

struct Reading {
  std::vector<std::pair<std::uint64_t, std::string>> records;  // number, bytes
  std::vector<std::uint64_t> skipped;
  Diagnostics diags;
  bool stopped = false;
  std::uint64_t widest_batch = 0;  // the most input bytes one batch covered
  std::uint64_t most_held = 0;     // push decoder: the most bytes held between feeds
};

void take(Reading& r, const Batch& b) {
  for (const auto& rec : b.records) r.records.emplace_back(rec.number, std::string(rec.bytes));
  for (const auto& s : b.skipped) r.skipped.push_back(s.number);
  r.diags.insert(r.diags.end(), b.diagnostics.begin(), b.diagnostics.end());
  r.widest_batch = std::max(r.widest_batch, b.end_offset - b.begin_offset);
  r.stopped = r.stopped || b.stopped;
}

ReadOptions options_for(ReadMode mode) {
  ReadOptions o;
  o.mode = mode;
  o.threads = 2;
  o.decode_records = false;
  o.format = Format::Iso2709;
  return o;
}

Reading through_pipeline(std::unique_ptr<ByteSource> source, ReadMode mode) {
  Reading r;
  Pipeline pipeline(std::move(source), options_for(mode));
  pipeline.run([&](Batch& b) {
    take(r, b);
    return true;
  });
  return r;
}

std::unique_ptr<ByteSource> chunked(const std::string& bytes, std::size_t chunk) {
  auto pos = std::make_shared<std::size_t>(0);
  return make_callback_source([&bytes, chunk, pos](char* buf, std::size_t n) {
    const std::size_t k = std::min({n, chunk, bytes.size() - *pos});
    std::memcpy(buf, bytes.data() + *pos, k);
    *pos += k;
    return k;
  });
}

Reading through_decoder(const std::string& bytes, ReadMode mode, std::size_t chunk) {
  Reading r;
  Decoder decoder(options_for(mode));
  for (std::size_t p = 0; p < bytes.size(); p += chunk) {
    take(r, decoder.feed(std::string_view(bytes).substr(p, chunk)));
    r.most_held = std::max(r.most_held, decoder.bytes_held());
  }
  take(r, decoder.finish());
  return r;
}

/// Stage 1 over `bytes` fed `window` bytes at a time: its spans, statuses and diagnostics as text.
std::string scan_in_windows(const std::string& bytes, ReadMode mode, std::size_t window) {
  RecordScanner scanner(mode);
  std::vector<std::pair<RecordSpan, RecordScanner::Status>> spans;
  Diagnostics d;
  std::string buf;
  std::uint64_t base = 0;
  std::size_t fed = 0, pos = 0;
  for (;;) {
    const bool eof = fed == bytes.size();
    RecordSpan span;
    const auto st = scanner.next(buf, pos, base, eof, span, d);
    if (st == RecordScanner::Status::Record || st == RecordScanner::Status::Skipped) {
      spans.emplace_back(span, st);
    } else if (st == RecordScanner::Status::NeedMore) {
      if (eof) throw std::logic_error("NeedMore at the end of the input");
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
  std::string out;
  for (const auto& [s, st] : spans)
    out += std::to_string(s.offset) + "+" + std::to_string(s.length) + "/" + std::to_string(s.flags) +
           (st == RecordScanner::Status::Skipped ? " skipped\n" : "\n");
  for (const auto& x : d) out += x.to_string() + "\n";
  return out;
}

}  // namespace

class TestJunk : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void junk_run_is_bounded_and_reported_once_data() {
    QTest::addColumn<QString>("kind");
    for (const char* k : {"zeros", "eof", "random", "digits", "lengths", "mixed"}) QTest::newRow(k) << QString(k);
  }

  /// Records, a run of junk tens of MiB long, records: every path (a mapped input, a stream read
  /// in odd chunks, the push decoder) in every mode.
  void junk_run_is_bounded_and_reported_once() {
    QFETCH(QString, kind);
    const auto recs = split_records(read_bytes("valid/evergreen-lul_fre_100.mrc"));
    QVERIFY(recs.size() >= 10);
    std::string head, tail;
    for (int i = 0; i < 5; ++i) head += recs[static_cast<std::size_t>(i)];
    for (int i = 5; i < 10; ++i) tail += recs[static_cast<std::size_t>(i)];
    const std::size_t junk_size = (small_data() ? 4u : 24u) << 20;
    const std::string bytes = head + junk(kind, junk_size) + tail;
    const ReadOptions defaults;
    // A batch covers at most a slice and the window stage 1 reads past it (a stream reads a chunk
    // more); the decoder holds at
    // most what a record could still need (99,999 bytes) and the chunk just fed.
    const std::uint64_t widest = defaults.slice_bytes + (2u << 20);
    const std::size_t feed = 65536;
    const std::uint64_t most_held = 100000 + feed;

    for (ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
      const QString where = kind + " " + QString::fromLatin1(read_mode_name(mode).data());
      std::vector<std::pair<QString, Reading>> readings;
      readings.emplace_back("mapped", through_pipeline(make_mapped_source(bytes, nullptr, "<junk>", false), mode));
      readings.emplace_back("stream", through_pipeline(chunked(bytes, 65537), mode));
      readings.emplace_back("decoder", through_decoder(bytes, mode, feed));
      const bool stops = mode == ReadMode::Strict && !only_blanks(kind);
      for (const auto& [path, r] : readings) {
        const QString at = where + " " + path;
        QVERIFY2(r.widest_batch <= widest, qPrintable(at + QString(": a batch covers %1 bytes").arg(r.widest_batch)));
        QVERIFY2(r.most_held <= most_held, qPrintable(at + QString(": the decoder held %1 bytes").arg(r.most_held)));
        // One diagnostic for the whole run, at its first byte, outside any record.
        std::vector<Diagnostic> about_junk;
        for (const auto& d : r.diags)
          if (d.code == Code::JunkBetweenRecords) about_junk.push_back(d);
        QVERIFY2(about_junk.size() == 1, qPrintable(at + QString(": %1 junk diagnostics").arg(about_junk.size())));
        QCOMPARE(about_junk[0].offset, std::uint64_t(head.size()));
        QCOMPARE(about_junk[0].record, std::uint64_t(0));
        QVERIFY2(about_junk[0].message.find("after record 5") != std::string::npos, about_junk[0].message.c_str());
        QVERIFY(r.skipped.empty());
        if (stops) {
          QCOMPARE(about_junk[0].severity, Severity::Fatal);
          QVERIFY(r.stopped);
          QCOMPARE(r.records.size(), std::size_t(5));
          continue;
        }
        QCOMPARE(about_junk[0].severity, only_blanks(kind) ? Severity::Warning : Severity::Error);
        QVERIFY2(about_junk[0].message.find("skipped " + std::to_string(junk_size) + " bytes") != std::string::npos,
                 about_junk[0].message.c_str());
        QVERIFY(!r.stopped);
        // Every record after the run comes through, numbered as if the run were not there.
        QCOMPARE(r.records.size(), std::size_t(10));
        for (std::size_t i = 0; i < 10; ++i) {
          QCOMPARE(r.records[i].first, std::uint64_t(i + 1));
          QVERIFY(r.records[i].second == recs[i]);
        }
      }
      // The same diagnostics (messages too) whichever way the bytes came.
      for (std::size_t i = 1; i < readings.size(); ++i) {
        QCOMPARE(readings[i].second.diags.size(), readings[0].second.diags.size());
        for (std::size_t k = 0; k < readings[0].second.diags.size(); ++k)
          QCOMPARE(readings[i].second.diags[k].to_string(), readings[0].second.diags[k].to_string());
      }
    }
  }

  /// The same over many small mixtures of records, damaged records and junk (seeded, so the
  /// same inputs every run), read through windows of 1 to 3000 bytes.
  void mixtures_scan_the_same_in_any_window() {
    const auto recs = split_records(read_bytes("valid/evergreen-lul_fre_100.mrc"));
    std::mt19937 rng(2026);
    const int inputs = small_data() ? 40 : 300;
    for (int t = 0; t < inputs; ++t) {
      std::string bytes;
      const int pieces = 1 + int(rng() % 8);
      for (int k = 0; k < pieces; ++k) {
        const std::string& r = recs[rng() % recs.size()];
        switch (rng() % 8) {
          case 0: bytes += r.substr(0, r.size() - 1); break;                 // lost its terminator
          case 1: bytes += r.substr(0, rng() % r.size()); break;             // cut short
          case 2: bytes += junk("random", 1 + rng() % 3000); break;
          case 3: bytes += junk("digits", 1 + rng() % 3000); break;
          case 4: bytes += std::string(1 + rng() % 300, "\0\n\x1A "[rng() % 4]); break;
          case 5: {                                                           // a byte of it changed
            std::string d = r;
            d[rng() % d.size()] = static_cast<char>(rng() & 0xFF);
            bytes += d;
            break;
          }
          default: bytes += r;
        }
      }
      for (ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
        const std::string whole = scan_in_windows(bytes, mode, bytes.size() + 1);
        for (std::size_t window : {std::size_t(1), std::size_t(7), std::size_t(300), std::size_t(3000)}) {
          const std::string got = scan_in_windows(bytes, mode, window);
          QVERIFY2(got == whole, qPrintable(QString("input %1, %2, window %3:\n%4\nwhole:\n%5")
                                                .arg(t)
                                                .arg(QString::fromLatin1(read_mode_name(mode).data()))
                                                .arg(window)
                                                .arg(QString::fromStdString(got), QString::fromStdString(whole))));
        }
      }
    }
  }

  /// Stage 1 over junk finds the same spans and says the same things whatever window it reads
  /// through (a stream fed in small pieces, or the whole input at once).
  void junk_scan_is_the_same_in_any_window() {
    const auto recs = split_records(read_bytes("valid/evergreen-lul_fre_100.mrc"));
    std::string bytes = recs[0] + junk("random", 300000) + recs[1] + junk("digits", 250000) + recs[2] + "\n\n" +
                        junk("random", 700) + recs[3] + junk("lengths", 120000) + junk("zeros", 5000) + recs[4] +
                        junk("random", 1000);
    for (ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
      auto scan = [&](std::size_t window) { return scan_in_windows(bytes, mode, window); };
      const std::string whole = scan(bytes.size());
      QVERIFY(!whole.empty());
      for (std::size_t window : {std::size_t(4096), std::size_t(65536), std::size_t(100001)})
        QCOMPARE(QString::fromStdString(scan(window)), QString::fromStdString(whole));
      if (mode != ReadMode::Strict) {
        // Five records, five runs of junk: one diagnostic each.
        QCOMPARE(int(std::count(whole.begin(), whole.end(), '\n')), 5 + 5);
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestJunk)
#include "test_junk.moc"
