#pragma once
// Formats other than ISO 2709 (MARCXML, MARC-in-JSON, MARCMaker) through oneTBB: batches of
// records are read in order, the caller's per-batch work runs in parallel, and batches are
// delivered in input order, as the ISO 2709 Pipeline does.
//
// MARCXML in the usual shape (a memory-mapped document whose root is a <collection> of records,
// no DOCTYPE, UTF-8) is also *parsed* in parallel: the document is cut into chunks just after a
// record's end tag, and each chunk is parsed as a document of its own (the file's prologue and
// root start tag, with every namespace declaration, then the chunk, then the root's end tag).
// A chunk whose parse gives no diagnostic at all is exactly what the whole-document parse gives
// for those bytes (it is a run of complete sibling elements under the same root, in the same
// namespace context). At the first chunk that gives any diagnostic (malformed XML, odd content,
// a cut in an unexpected place) the parallel parse stops, and the serial reader takes over from
// the start of the file, skipping the records already delivered: so diagnostics, recovery and
// Strict stops are always the serial reader's own, and nothing is lost or delivered twice.
//
// MARC-in-JSON (one array of records) and NDJSON (objects one after another) from a mapped file
// are cut and parsed the same way (formats/json_fast.h): a chunk ends just before a record that
// starts a line (NDJSON) or follows "}," (an array, read as "[" + chunk + "]"), and the same
// rule holds: the first chunk with any diagnostic hands the file to the serial reader.

#include <cstdint>
#include <memory>

#include "marcscope/io/byte_source.h"
#include "marcscope/core/control.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/read/batch.h"
#include "marcscope/read/read_options.h"

namespace marcscope {

struct StreamPipelineResult {
  bool stopped = false;            ///< Strict mode stopped on an error
  std::uint64_t records_seen = 0;  ///< records read, delivered or skipped
  std::uint64_t parallel_chunks = 0;  ///< MARCXML or JSON chunks parsed in parallel and delivered
  std::uint64_t fast_chunks = 0;      ///< of those, the ones a fast path read (ReadOptions::fast_xml, fast_json)
  bool serial_fallback = false;    ///< a chunk had diagnostics: the serial reader finished the file
};

/// Reads `source` as `format` (not ISO 2709, which has its own Pipeline) and hands every batch to
/// `transform` (parallel, may be empty) and then to `consume` (in input order; return false to
/// stop). Batches carry records with their number and byte offsets, and every diagnostic.
/// Exceptions from any stage are rethrown here. Options used: mode, decode, executor/threads,
/// batch_records, chunk_bytes, tokens, parallel_parse, fast_xml, fast_json.
StreamPipelineResult run_stream_pipeline(Format format, std::unique_ptr<ByteSource> source, const ReadOptions& options,
                                         const BatchTransform& transform, const BatchConsumer& consume,
                                         const JobControl& control = {});

}  // namespace marcscope
