// Fuzz target: the same bytes as MARC-in-JSON (an array of records, or one record) and as NDJSON
// (a record per line), each through the serial reader in every mode, and what they deliver
// through every writer. The invariants are listed in fuzz_stream.h.
//
// The bytes also go through the stream pipeline's chunked reading (ReadOptions::parallel_parse)
// with the simdjson fast path on and off, in every mode, at a few chunk sizes: the two must
// deliver exactly the same records (numbers, offsets, content) and diagnostics, and the same as
// the serial reader; otherwise the target aborts ("fast JSON path differs ...").

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_stream.h"
#include "marcscope/core/executor.h"
#include "marcscope/read/stream_pipeline.h"

namespace {

using namespace marcscope;

std::string describe(const Record& r) {
  std::string s = r.leader();
  for (const auto& f : r.fields()) {
    s += "|" + f.tag() + (f.is_control() ? "=" + f.value() : std::string(" ") + f.indicator1() + f.indicator2() + f.leading_data());
    for (const auto& sf : f.subfields()) s += "$" + std::string(1, sf.code) + sf.value;
  }
  return s;
}

std::string describe(const Diagnostic& d) {
  return std::to_string(int(d.code)) + "/" + std::to_string(int(d.severity)) + "/" + std::to_string(d.record) + "/" +
         std::to_string(d.offset) + "/" + d.tag + "/" + d.message;
}

/// Records then diagnostics, as text.
std::vector<std::string> piped(Format format, std::string_view input, ReadMode mode, std::size_t chunk, bool fast) {
  static const auto executor = std::make_shared<Executor>(1);
  ReadOptions o;
  o.mode = mode;
  o.executor = executor;
  o.chunk_bytes = chunk;
  o.fast_json = fast;
  std::vector<std::string> records, diags;
  run_stream_pipeline(format, make_memory_source(std::string(input)), o, {}, [&](Batch& b) {
    for (const auto& rec : b.records)
      records.push_back(std::to_string(rec.number) + "@" + std::to_string(rec.offset) + "-" + std::to_string(rec.end) +
                        " " + describe(rec.record));
    for (const auto& d : b.diagnostics) diags.push_back(describe(d));
    return true;
  });
  records.push_back("--");
  records.insert(records.end(), diags.begin(), diags.end());
  return records;
}

std::vector<std::string> serial(Format format, std::string_view input, ReadMode mode) {
  ReadOptions o;
  o.mode = mode;
  auto stream = open_record_stream(format, make_memory_source(std::string(input)), o);
  std::vector<std::string> records;
  Diagnostics diags;
  Record r;
  while (stream->next(r, diags))
    records.push_back(std::to_string(stream->records_seen()) + "@" + std::to_string(stream->last_offset()) + "-" +
                      std::to_string(stream->last_end()) + " " + describe(r));
  records.push_back("--");
  for (const auto& d : diags) records.push_back(describe(d));
  return records;
}

void compare_fast_path(Format format, std::string_view input) {
  for (const ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
    const auto want = serial(format, input, mode);
    for (const std::size_t chunk : {std::size_t(1), std::size_t(97), std::size_t(1) << 20}) {
      FUZZ_CHECK(piped(format, input, mode, chunk, true) == want, "fast JSON path differs from the serial reader");
      FUZZ_CHECK(piped(format, input, mode, chunk, false) == want, "chunked JSON reading differs from the serial reader");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  marcscope::fuzz::read_all_modes(marcscope::Format::Json, input);
  marcscope::fuzz::read_all_modes(marcscope::Format::NdJson, input);
  compare_fast_path(marcscope::Format::Json, input);
  compare_fast_path(marcscope::Format::NdJson, input);
  return 0;
}
