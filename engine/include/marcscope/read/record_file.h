#pragma once
// An input opened for browsing: one shared mapping, an index that grows while a background pass
// builds it, any record fetched on demand from any thread, and passes over all or part of it on
// the pipeline. The desktop app's table and the Python module's random access stand on this.
//
//   auto file = RecordFile::open("big.mrc");          // maps it (gzip: decompressed first)
//   std::jthread indexer([&] { file->build_index(control); });
//   ... file->index().size() grows; file->fetch(n) works for every n <= size() ...
//   auto reader = file->read({3, 17, 99});             // a filter result, on the pipeline

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "marcscope/core/control.h"
#include "marcscope/io/mapped_file.h"
#include "marcscope/read/batch.h"
#include "marcscope/read/read_options.h"
#include "marcscope/read/record_index.h"
#include "marcscope/read/record_reader.h"

namespace marcscope {

/// One record fetched on demand.
struct FetchedRecord {
  BatchRecord record;        ///< number, offsets, status and (unless skipped) the decoded record;
                             ///< `bytes` points into the file's mapping (valid while the RecordFile lives)
  bool skipped = false;      ///< the record cannot be read in this mode: no Record
  Diagnostics diagnostics;   ///< what reading this record finds (as reading the file did, stage 1 aside)
};

class RecordFile {
 public:
  /// Opens `path` ("-" = standard input) for random access. Throws IoError, or NotMarcError when
  /// it is not MARC. Returns null when `control` asked to stop while a gzip file or a pipe was
  /// being decompressed into a temporary file.
  static std::shared_ptr<RecordFile> open(const std::string& path, ReadOptions options = {},
                                          const JobControl& control = {});
  /// Over a mapping (or bytes) opened elsewhere.
  static std::shared_ptr<RecordFile> open(std::shared_ptr<const MappedFile> file, ReadOptions options = {});

  ~RecordFile();
  RecordFile(const RecordFile&) = delete;
  RecordFile& operator=(const RecordFile&) = delete;

  Format format() const { return format_; }
  const std::string& name() const { return file_->name(); }
  std::uint64_t size() const { return file_->size(); }
  const ReadOptions& options() const { return options_; }
  const MappedFile& mapping() const { return *file_; }
  const RecordIndex& index() const { return index_; }

  /// Indexes the file on the pipeline, from where the index stands (so a pass that was stopped
  /// resumes), publishing entries batch by batch: readers of index() see it grow. `also`, when
  /// set, sees each batch (records undecoded for ISO 2709, with their diagnostics) after its
  /// entries are published. Returns what this pass read. One pass at a time.
  ReadSummary build_index(const JobControl& control = {}, const BatchConsumer& also = {});

  /// Record `number` (1 <= number <= index().size()), decoded, with its diagnostics. Thread-safe.
  /// Throws std::out_of_range for a number not (yet) indexed and IoError when the file has been
  /// truncated since it was opened.
  FetchedRecord fetch(std::uint64_t number) const;
  /// The record's bytes as they are in the input (a copy). Thread-safe; throws as fetch() does.
  std::string raw(std::uint64_t number) const;

  /// Reads the given records (indexed ones, in the order given) on the pipeline. `skip_as_is`:
  /// ReadOptions::skip_as_is for this pass (records that need no change are delivered undecoded,
  /// for a writer that writes them from their bytes).
  std::unique_ptr<RecordReader> read(const std::vector<std::uint64_t>& numbers, bool skip_as_is = false) const;
  /// Reads the records from `first` (indexed ones) to the end of the index on the pipeline.
  std::unique_ptr<RecordReader> read_from(std::uint64_t first, bool skip_as_is = false) const;

 private:
  RecordFile(std::shared_ptr<const MappedFile> file, ReadOptions options, Format format);
  void decode_fragment(std::string_view bytes, const IndexedSpan& span, Batch& batch) const;

  std::shared_ptr<const MappedFile> file_;
  ReadOptions options_;
  Format format_;
  RecordIndex index_;
  // Where a stopped indexing pass resumes (ISO 2709): past the last batch it delivered.
  std::uint64_t resume_offset_ = 0;
  std::uint64_t resume_seen_ = 0;
  // MARCXML: what a record's bytes are wrapped in to parse on their own (the document's start up
  // to its first record, and the end tags of the elements open there).
  std::string xml_header_, xml_closing_;
};

}  // namespace marcscope
