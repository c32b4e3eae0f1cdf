// What decoding to the owning model costs next to parsing the view (issue "Speed beyond
// parsing": decode to the owning model).
//
//   bench_model [--rounds N] [--only parse|model] FILE
//
// Stage 1 (record boundaries) runs once, before anything is timed. Then, on one thread, each
// round times two passes over every record, one right after the other:
//   parse   RecordView::parse of every record (stage 2, what a "full decode" of the view costs)
//   model   RecordView::parse + Record::from_view (default DecodeOptions: encoding from leader/09,
//           MARC-8 converted, leader/09 set to 'a'), the records kept in batches of 1,000 and
//           freed with them, as the pipeline's batches are
// and prints per pass the best and median records/s over the rounds, the ratio parse/model
// (paired per round: how many times slower the model is) and what the model adds per record
// (ns, from the medians). `--only parse|model` runs that pass once and prints nothing but its
// line: run it under callgrind twice, and (Ir(model) - Ir(parse)) / records is the model's
// instructions per record, Ir(model) / records the whole decode's (see docs/BENCHMARKS.md).

#include <marcscope/io/byte_source.h>
#include <marcscope/iso2709/record_view.h>
#include <marcscope/model/record.h>
#include <marcscope/read/pipeline.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

using namespace marcscope;

namespace {

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "bench_model: %s\nusage: bench_model [--rounds N] [--only parse|model] FILE\n", msg.c_str());
  std::exit(2);
}

struct Pass {
  std::uint64_t records = 0;
  std::uint64_t diags = 0;
  std::uint64_t check = 0;  // keeps the work from being optimised away
  double seconds = 0;
};

Pass run(std::string_view bytes, std::uint64_t base, const std::vector<IndexedSpan>& spans, bool model) {
  constexpr std::size_t kBatch = 1000;
  Pass p;
  const auto t0 = std::chrono::steady_clock::now();
  RecordView view;
  Diagnostics diags;
  DecodeOptions options;
  std::vector<Record> batch;
  batch.reserve(kBatch);
  for (const auto& s : spans) {
    if (s.flags & IndexedSpan::kSkippedByStage1) continue;
    const std::string_view rec = bytes.substr(static_cast<std::size_t>(s.offset - base), s.length);
    if (!view.parse(rec, s.offset, s.number, ReadMode::Permissive, diags)) continue;
    ++p.records;
    if (model) {
      batch.push_back(Record::from_view(view, options, diags));
      p.check += batch.back().fields().size();
      if (batch.size() == kBatch) batch.clear();
    } else {
      p.check += view.fields().size();
    }
  }
  batch.clear();
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  p.diags = diags.size();
  return p;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, only;
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "--rounds") rounds = std::max(1, std::atoi(value().c_str()));
    else if (a == "--only") only = value();
    else if (!a.empty() && a[0] == '-') usage("unknown option " + a);
    else path = a;
  }
  if (path.empty()) usage("no input file");
  if (!only.empty() && only != "parse" && only != "model") usage("--only takes parse or model");
  try {
    auto source = open_source(path);
    const auto whole = source->contiguous();
    if (!whole) usage(path + " cannot be mapped");
    Diagnostics stage1;
    const auto spans = scan_spans(*source, ReadMode::Permissive, stage1);
    if (!only.empty()) {
      const Pass p = run(*whole, 0, spans, only == "model");
      std::printf("pass=%s records=%llu seconds=%.6f diags=%llu check=%llu\n", only.c_str(),
                  (unsigned long long)p.records, p.seconds, (unsigned long long)p.diags, (unsigned long long)p.check);
      return 0;
    }
    std::vector<double> parse_rate, model_rate, ratio, parse_s, model_s;
    std::uint64_t records = 0, diags = 0;
    for (int r = 0; r < rounds; ++r) {
      const Pass a = run(*whole, 0, spans, false);
      const Pass b = run(*whole, 0, spans, true);
      records = b.records;
      diags = b.diags;
      parse_rate.push_back(double(a.records) / a.seconds);
      model_rate.push_back(double(b.records) / b.seconds);
      ratio.push_back(b.seconds / a.seconds);
      parse_s.push_back(a.seconds);
      model_s.push_back(b.seconds);
    }
    const double added_ns = records ? (median(model_s) - median(parse_s)) / double(records) * 1e9 : 0;
    std::printf("records=%llu bytes=%zu rounds=%d diags=%llu\n", (unsigned long long)records, whole->size(), rounds,
                (unsigned long long)diags);
    std::printf("parse  rec_per_s best=%.0f median=%.0f\n", *std::max_element(parse_rate.begin(), parse_rate.end()),
                median(parse_rate));
    std::printf("model  rec_per_s best=%.0f median=%.0f\n", *std::max_element(model_rate.begin(), model_rate.end()),
                median(model_rate));
    std::printf("model/parse time ratio median=%.2f (min %.2f, max %.2f); the model adds %.0f ns per record\n",
                median(ratio), *std::min_element(ratio.begin(), ratio.end()),
                *std::max_element(ratio.begin(), ratio.end()), added_ns);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_model: %s\n", e.what());
    return 2;
  }
  return 0;
}
