// bench_front_door: figures for the engine's front door (issue "Engine front door"), one line
// each, on one ISO 2709 file. Nothing here is a test.
//
//   bench_front_door FILE [--threads N] [--fetches N]
//
//   index      RecordFile::build_index on the pipeline: seconds to the first 1,000 records
//              published, seconds to the whole index, resident bytes per record of the index;
//              beside it scan_spans (serial stage 1) as the baseline
//   fetch      random RecordFile::fetch from 1 thread and from N threads: microseconds a fetch
//   decoder    the push Decoder fed 1 MiB chunks against RecordReader over the same path
//              (records/s, decoded to the model), both on N threads
#include <marcscope/core/executor.h>
#include <marcscope/io/byte_source.h>
#include <marcscope/read/decoder.h>
#include <marcscope/read/pipeline.h>
#include <marcscope/read/record_file.h>
#include <marcscope/read/record_reader.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace marcscope;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "bench_front_door: %s\nusage: bench_front_door FILE [--threads N] [--fetches N]\n", why.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  unsigned threads = 0;
  std::uint64_t fetches = 200000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--threads" || a == "--fetches") && i + 1 < argc) {
      const auto v = std::strtoull(argv[++i], nullptr, 10);
      if (a == "--threads") threads = static_cast<unsigned>(v);
      else fetches = v;
    } else if (!a.empty() && a[0] == '-') {
      usage("unknown option " + a);
    } else {
      path = a;
    }
  }
  if (path.empty()) usage("no input file");
  auto executor = std::make_shared<Executor>(threads);
  threads = executor->threads();
  ReadOptions options;
  options.executor = executor;
  try {
    // Baseline: stage 1 alone, serially.
    {
      auto source = open_source(path);
      const auto t0 = Clock::now();
      Diagnostics diags;
      const auto spans = scan_spans(*source, ReadMode::Permissive, diags);
      std::printf("scan_spans threads=1 records=%zu seconds=%.3f\n", spans.size(), since(t0));
    }
    // The index on the pipeline, read while it grows.
    auto file = RecordFile::open(path, options);
    std::atomic<bool> done{false};
    double first_rows = -1;
    const auto t0 = Clock::now();
    std::thread indexer([&] {
      file->build_index();
      done = true;
    });
    while (!done.load()) {
      if (first_rows < 0 && file->index().size() >= 1000) first_rows = since(t0);
      std::this_thread::yield();
    }
    indexer.join();
    const double whole = since(t0);
    if (first_rows < 0) first_rows = whole;
    const std::uint64_t n = file->index().size();
    std::printf("index threads=%u records=%llu first_1000_s=%.4f seconds=%.3f bytes_per_record=%.2f\n", threads,
                (unsigned long long)n, first_rows, whole, double(file->index().memory_bytes()) / double(n ? n : 1));

    // Random fetch.
    auto fetch_run = [&](unsigned workers) {
      std::atomic<std::uint64_t> sum{0};
      const auto start = Clock::now();
      std::vector<std::thread> pool;
      for (unsigned w = 0; w < workers; ++w)
        pool.emplace_back([&, w] {
          std::mt19937_64 rng(w + 1);
          std::uint64_t fields = 0;
          for (std::uint64_t k = 0; k < fetches / workers; ++k)
            fields += file->fetch(1 + rng() % n).record.record.fields().size();
          sum += fields;
        });
      for (auto& t : pool) t.join();
      const double s = since(start);
      std::printf("fetch threads=%u fetches=%llu us_per_fetch=%.2f fetches_per_s=%.0f check=%llu\n", workers,
                  (unsigned long long)fetches, 1e6 * s / double(fetches), double(fetches) / s,
                  (unsigned long long)sum.load());
    };
    fetch_run(1);
    if (threads > 1) fetch_run(threads);

    // The push decoder against the path reader.
    {
      const auto t1 = Clock::now();
      std::uint64_t records = 0;
      RecordReader::open(path, options)->run([&](Batch& b) {
        records += b.records.size();
        return true;
      });
      const double s = since(t1);
      std::printf("reader threads=%u records=%llu seconds=%.3f records_per_s=%.0f\n", threads, (unsigned long long)records,
                  s, double(records) / s);
    }
    {
      std::ifstream in(path, std::ios::binary);
      std::vector<char> chunk(1u << 20);
      Decoder decoder(options, path);
      const auto t1 = Clock::now();
      std::uint64_t records = 0;
      while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0)
        records += decoder.feed(std::string_view(chunk.data(), static_cast<std::size_t>(in.gcount()))).records.size();
      records += decoder.finish().records.size();
      const double s = since(t1);
      std::printf("decoder threads=%u chunk=1MiB records=%llu seconds=%.3f records_per_s=%.0f\n", threads,
                  (unsigned long long)records, s, double(records) / s);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_front_door: %s\n", e.what());
    return 2;
  }
  return 0;
}
