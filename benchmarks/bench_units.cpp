// bench_units: times two engine parts on their own, over the test fixtures, and prints figures.
// (These were "throughput" functions of tests/engine/test_marc8_encode.cpp and test_validator.cpp;
// a test asserts, a benchmark measures.)
//
//   bench_units [--rounds N] [--data DIR] marc8-encode|validate
//
//   marc8-encode  utf8_to_marc8 over every control field, indicator pair and subfield value of
//                 the decoded records of four MARC-8 fixtures (Latin and Hebrew), plus the lines of
//                 marc8/pymarc-test_utf8.txt: strings, MB of UTF-8 in, MB/s, MARC-8 bytes out
//   validate      Validator::validate (builtin MARC 21 bibliographic schema and code lists) over the
//                 2,000 records of valid/solrmarc-uva_001_2000.mrc: records/s, findings by rule
//
// DIR defaults to the source tree's tests/data. One thread; the time is the best of N rounds
// (default 5), from the first record to the last, decoding excluded.

#include <marcscope/charset/marc8.h>
#include <marcscope/io/mapped_file.h>
#include <marcscope/iso2709/iso2709_reader.h>
#include <marcscope/model/record.h>
#include <marcscope/validate/validator.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#ifndef MARCSCOPE_SOURCE_DIR
#define MARCSCOPE_SOURCE_DIR "."
#endif

using namespace marcscope;

namespace {

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "bench_units: %s\nusage: bench_units [--rounds N] [--data DIR] marc8-encode|validate\n",
               msg.c_str());
  std::exit(2);
}

std::vector<Record> read_records(const std::string& path) {
  Iso2709Reader reader(InputBuffer::open(path), ReadOptions{});
  std::vector<Record> out;
  ReadItem item;
  while (reader.next(item)) {
    if (!item.has_record) continue;
    Diagnostics d;
    out.push_back(Record::from_view(item.view, DecodeOptions{}, d));
  }
  if (out.empty()) usage("no records in " + path);
  return out;
}

template <class Work>
double best_seconds(int rounds, Work work) {
  double best = 1e300;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    work();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

int marc8_encode(const std::string& data, int rounds) {
  std::vector<std::string> texts;
  for (const char* name : {"valid/solrmarc-uva_001_2000.mrc", "valid/evergreen-jazz_1k.mrc", "valid/evergreen-lul_fre_500.mrc",
                           "marc8/evergreen-hebrew.marc"}) {
    for (const Record& r : read_records(data + "/" + name)) {
      for (const Field& f : r.fields()) {
        if (f.is_control()) {
          texts.push_back(f.value());
          continue;
        }
        texts.push_back(std::string{f.indicator1(), f.indicator2()});
        for (const Subfield& s : f.subfields()) texts.push_back(s.value);
      }
    }
  }
  std::ifstream lines(data + "/marc8/pymarc-test_utf8.txt", std::ios::binary);
  for (std::string line; std::getline(lines, line);) texts.push_back(line);
  std::size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();

  std::size_t produced = 0, problems = 0;
  std::string out;
  std::vector<Marc8Problem> found;
  const double secs = best_seconds(rounds, [&] {
    produced = problems = 0;
    for (const std::string& t : texts) {
      out.clear();
      found.clear();
      utf8_to_marc8(t, out, &found);
      produced += out.size();
      problems += found.size();
    }
  });
  std::printf("marc8-encode strings=%zu utf8_mb=%.2f marc8_bytes=%zu problems=%zu best_s=%.4f mb_per_s=%.0f\n", texts.size(),
              double(bytes) / 1e6, produced, problems, secs, double(bytes) / 1e6 / secs);
  return 0;
}

int validate(const std::string& data, int rounds) {
  const std::vector<Record> records = read_records(data + "/valid/solrmarc-uva_001_2000.mrc");
  const Validator validator;
  Diagnostics d;
  d.reserve(100000);
  const double secs = best_seconds(rounds, [&] {
    d.clear();
    for (std::size_t i = 0; i < records.size(); ++i) validator.validate(records[i], i + 1, 0, d);
  });
  std::map<std::string, int> by_rule;
  for (const auto& x : d) ++by_rule[x.rule];
  std::ostringstream rules;
  for (const auto& [rule, n] : by_rule) rules << ' ' << rule << '=' << n;
  std::printf("validate records=%zu findings=%zu best_s=%.4f rec_per_s=%.0f\n  by rule:%s\n", records.size(), d.size(), secs,
              double(records.size()) / secs, rules.str().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = std::string(MARCSCOPE_SOURCE_DIR) + "/tests/data";
  int rounds = 5;
  std::string what;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--data" && i + 1 < argc) {
      data = argv[++i];
    } else if (a == "-h" || a == "--help") {
      usage("times utf8_to_marc8 or the validator over the test fixtures");
    } else if (what.empty() && a[0] != '-') {
      what = a;
    } else {
      usage("unexpected argument " + a);
    }
  }
  try {
    if (what == "marc8-encode") return marc8_encode(data, rounds);
    if (what == "validate") return validate(data, rounds);
    usage(what.empty() ? "what to measure?" : "unknown measurement " + what);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_units: %s\n", e.what());
    return 1;
  }
}
