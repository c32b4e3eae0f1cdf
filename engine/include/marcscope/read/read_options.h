#pragma once
// How to read an input: one set of options for every format and every way of reading (the serial
// readers, the pipelines, the push decoder, random fetch).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "marcscope/charset/charset.h"
#include "marcscope/core/read_mode.h"
#include "marcscope/formats/format.h"

namespace marcscope {

class Executor;

struct ReadOptions {
  ReadMode mode = ReadMode::Permissive;
  DecodeOptions decode;          ///< character sets, for every format that has them
  /// The input's format; detected from its first bytes when absent. Iso2709Marc8 reads ISO 2709
  /// as MARC-8 whatever leader/09 says.
  std::optional<Format> format;
  bool decode_records = true;    ///< build owning UTF-8 Records (false: numbers, offsets, bytes and diagnostics only)
  /// ISO 2709 with decode_records: a record that decodes_as_is() accepts (UTF-8, or MARC-8 in
  /// plain ASCII, that the model would hold byte for byte, read with no diagnostic) is not decoded: its BatchRecord has
  /// `as_is` set and an empty `record`, and a writer writes it from `bytes` (the Converter does;
  /// `marcscope convert` sets this). Off: every record is decoded (what tests compare against).
  bool skip_as_is = false;
  /// With skip_as_is: records are delivered `as_is` as their UTF-8 ISO 2709 form
  /// (BatchRecord::transcoded, with the view laid out over it) where that is cheaper than the
  /// model: an ISO 2709 record read as MARC-8 with characters beyond ASCII, clean otherwise
  /// (transcode_marc8_as_is()), and a MARCXML record read by the fast path (ReadOptions::fast_xml).
  /// Their view's leader/09 is 'a' (the model's may not be), so this is for a consumer that
  /// writes (Converter::takes_iso2709_forms): the ISO 2709 writer copies the form where it would
  /// build it from the model, and the MARCXML and JSON writers write it from its view.
  bool iso2709_forms = false;
  /// With iso2709_forms: MARCXML records read by the fast path too. Such a form's leader is the
  /// one the ISO 2709 writer writes (record length, base address, leader/09-11 and 20-23), not
  /// the one read, so this is for a consumer that writes ISO 2709 only; a MARC-8 record's form
  /// keeps its leader as the model does (but leader/09), which every writer may take.
  bool marcxml_forms = true;

  // Threads: a pool the host owns and shares between jobs, or (when null) one of `threads` made
  // for each job (0 = every core).
  std::shared_ptr<Executor> executor;
  unsigned threads = 0;
  /// RecordReader: read and decode on the thread that runs the job, with the push Decoder, and
  /// never start oneTBB (executor and threads are ignored): for a process forked from one whose
  /// oneTBB had started, where its worker threads and scheduler state do not survive fork().
  bool serial = false;

  // Tuning, with defaults measured on the benchmark corpora (docs/BENCHMARKS.md).
  std::size_t slice_bytes = 256u << 10;  ///< ISO 2709: a slice is cut at the first record end after this many bytes
                                         ///< (256 KiB: its decoded records stay in cache; 1 MiB measured
                                         ///< 5-8% slower decoding to the model at 2 threads)
  std::size_t batch_records = 1000;      ///< other formats: records per batch when reading serially
  std::size_t chunk_bytes = 1u << 20;    ///< MARCXML, JSON: a chunk ends at the first record end after this many bytes
  std::size_t tokens = 0;                ///< slices or batches in flight; 0 = 2 per thread + 2
  bool parallel_parse = true;            ///< MARCXML, JSON: parse chunks in parallel where the document allows
  /// MARCXML chunks: parse a chunk that is entirely plain, clean MARCXML with pugixml in place, and
  /// everything else with expat as before (same records, same diagnostics; false: expat for all,
  /// for tests and benchmarks that compare the two).
  bool fast_xml = true;
  /// MARC-in-JSON / NDJSON chunks: read a chunk that is entirely plain, clean MiJ with simdjson
  /// (On-Demand), and everything else with the streaming reader as before (same records, same
  /// diagnostics; false: the streaming reader for all, for tests and benchmarks that compare).
  bool fast_json = true;

  /// A mapped ISO 2709 input's pages are dropped behind the records delivered, so that resident
  /// memory stays bounded by the read-ahead (ByteSource::release_before). A consumer that keeps
  /// records borrowing those bytes after it has taken their batch (the Python module's reader)
  /// sets this and stores in it the offset before which it no longer reads the input: pages are
  /// then dropped only before that, since a page read again after it was dropped is faulted in
  /// again and stays resident to the end.
  std::shared_ptr<std::atomic<std::uint64_t>> done_before;
  /// Where pages may be dropped once the records before `delivered` are delivered.
  std::uint64_t release_point(std::uint64_t delivered) const {
    return done_before ? std::min(delivered, done_before->load(std::memory_order_acquire)) : delivered;
  }
};

}  // namespace marcscope
