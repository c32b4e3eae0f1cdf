// bench_engine: times the MarcScope engine on one ISO 2709 file and prints the figures.
//
//   bench_engine --mode MODE [--threads N] [--slice-bytes B] [--tokens T] [--out FILE] FILE
//
// Modes (all read FILE through open_source(), i.e. memory-mapped, in Permissive mode):
//   index        stage 1 only: build_index() over the whole mapping (always one thread)
//   parse        Pipeline, decode=false: stage 1 + RecordView::parse of every record (stage 2)
//   decode       Pipeline, decode=true: + Record::from_view, the owning UTF-8 model (MARC-8 converted)
//   title        Pipeline, decode=false, and a transform that reads 245$a of every record from a
//                RecordView (no owning model). The Batch does not carry the views the pipeline
//                built, so the transform parses each record a second time.
//   reencode     Pipeline, decode=true, and a transform that writes every record with
//                write_iso2709 into Batch::output (discarded, or written to --out)
//   serial-parse Reader (the serial stage 1 + stage 2 loop, no pipeline, one thread)
//   serial-title Reader + 245$a from the view (what `title` costs without the second parse)
//
// Prints one key=value line on stdout:
//   mode=... threads=... records=... bytes=... wall_s=... cpu_s=... rss_mb=... rec_per_s=...
//   mb_per_s=... diags=... check=...
// wall_s and cpu_s (user + system, getrusage) cover the work only, from opening the file to the
// last record; rss_mb is the process's peak resident set (ru_maxrss) at the end. MB = 10^6 bytes.

#include <marcscope/io/byte_source.h>
#include <marcscope/iso2709/iso2709_writer.h>
#include <marcscope/io/mapped_file.h>
#include <marcscope/read/pipeline.h>
#include <marcscope/iso2709/iso2709_reader.h>
#include <marcscope/model/record.h>
#include <marcscope/iso2709/record_view.h>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>

using namespace marcscope;

namespace {

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "bench_engine: %s\nusage: bench_engine --mode index|parse|decode|title|reencode|serial-parse|"
               "serial-title [--threads N] [--slice-bytes B] [--tokens T] [--out FILE] FILE\n",
               msg.c_str());
  std::exit(2);
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) * 1e-6 + double(ru.ru_stime.tv_sec) +
         double(ru.ru_stime.tv_usec) * 1e-6;
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux; reported in MiB
}

/// Length of the first 245$a of a view (0 when none): what an indexer reading titles touches.
std::size_t title_length(const RecordView& view) {
  const FieldView* f = view.first("245");
  if (!f) return 0;
  for (const auto& sf : f->subfields(view.indicator_count()))
    if (sf.code == 'a') return sf.value.size();
  return 0;
}

struct Result {
  std::uint64_t records = 0;
  std::uint64_t diags = 0;
  std::uint64_t check = 0;  // mode-dependent checksum, so that no work is optimised away
};

}  // namespace

int main(int argc, char** argv) {
  std::string mode, path, out_path;
  ReadOptions popts;
  popts.mode = ReadMode::Permissive;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "--mode") mode = value();
    else if (a == "--threads") popts.threads = unsigned(std::strtoul(value().c_str(), nullptr, 10));
    else if (a == "--slice-bytes") popts.slice_bytes = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--tokens") popts.tokens = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--out") out_path = value();
    else if (!a.empty() && a[0] == '-') usage("unknown option " + a);
    else path = a;
  }
  if (path.empty()) usage("no input file");

  Result r;
  std::uint64_t bytes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  try {
    if (mode == "index") {
      auto source = open_source(path);
      bytes = source->size().value_or(0);
      Diagnostics diags;
      const auto spans = scan_spans(*source, ReadMode::Permissive, diags);
      r.records = spans.size();
      r.diags = diags.size();
      for (const auto& s : spans) r.check += s.length;
    } else if (mode == "parse" || mode == "decode" || mode == "title" || mode == "reencode") {
      auto source = open_source(path);
      bytes = source->size().value_or(0);
      popts.decode_records = mode == "decode" || mode == "reencode";
      BatchTransform transform;
      if (mode == "title") {
        const ReadMode rmode = popts.mode;
        transform = [rmode](Batch& batch) {
          RecordView view;  // reused across the batch: no allocation per record
          Diagnostics diags;
          std::uint64_t sum = 0;
          for (const auto& rec : batch.records) {
            if (view.parse(rec.bytes, rec.offset, rec.number, rmode, diags)) sum += title_length(view);
          }
          batch.output = std::to_string(sum);
        };
      } else if (mode == "reencode") {
        transform = [](Batch& batch) {
          for (const auto& rec : batch.records) write_iso2709(rec.record, batch.output);
        };
      }
      std::FILE* out = nullptr;
      if (!out_path.empty() && !(out = std::fopen(out_path.c_str(), "wb"))) usage("cannot open " + out_path);
      Pipeline pipeline(std::move(source), popts, transform);
      pipeline.run([&](Batch& batch) {
        r.records += batch.records.size();
        r.diags += batch.diagnostics.size();
        if (mode == "title") r.check += std::strtoull(batch.output.c_str(), nullptr, 10);
        else if (mode == "reencode") {
          r.check += batch.output.size();
          if (out) std::fwrite(batch.output.data(), 1, batch.output.size(), out);
        } else if (mode == "decode") {
          for (const auto& rec : batch.records) r.check += rec.record.fields().size();
        } else {
          for (const auto& rec : batch.records) r.check += rec.bytes.size();
        }
        return true;
      });
      if (out) std::fclose(out);
    } else if (mode == "serial-parse" || mode == "serial-title") {
      ReadOptions ropts;
      ropts.mode = ReadMode::Permissive;
      Iso2709Reader reader(InputBuffer::open(path), ropts);
      bytes = reader.input().bytes().size();
      ReadItem item;
      const bool titles = mode == "serial-title";
      while (reader.next(item)) {
        r.diags += item.diagnostics.size();
        if (!item.has_record) continue;
        ++r.records;
        r.check += titles ? title_length(item.view) : item.view.fields().size();
      }
    } else {
      usage("unknown mode '" + mode + "'");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_engine: %s\n", e.what());
    return 2;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - c0;
  const unsigned threads = (mode == "index" || mode.rfind("serial", 0) == 0) ? 1u
                         : popts.threads ? popts.threads : std::thread::hardware_concurrency();
  std::printf("mode=%s threads=%u records=%llu bytes=%llu wall_s=%.6f cpu_s=%.6f rss_mb=%.1f rec_per_s=%.0f "
              "mb_per_s=%.1f diags=%llu check=%llu\n",
              mode.c_str(), threads, (unsigned long long)r.records, (unsigned long long)bytes, wall, cpu,
              peak_rss_mb(), wall > 0 ? double(r.records) / wall : 0.0, wall > 0 ? double(bytes) / wall / 1e6 : 0.0,
              (unsigned long long)r.diags, (unsigned long long)r.check);
  return 0;
}
