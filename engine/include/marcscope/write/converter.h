#pragma once
// Writing what readers deliver into one output, in one format: the conversion every front end
// runs (`marcscope convert` and `dump`, Python's `marcscope.convert()`). Records are encoded in
// the pipeline's parallel stage (in order for a JSON array, whose commas depend on what came
// before) and written in input order; several inputs go into one output.

#include <cstdint>
#include <memory>
#include <optional>

#include "marcscope/core/control.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/io/output_file.h"
#include "marcscope/read/record_reader.h"

namespace marcscope {

class RecordView;

/// Appends one delivered record through `writer`: from its bytes' view when the reader left it
/// undecoded (BatchRecord::as_is; decoded here, as the reader would have, where the writer has no
/// view path for it), else from its model. `read`: the options it was read with; `view`: scratch
/// space reused from record to record. The Converter and export_records() write through this.
void write_delivered(const RecordWriter& writer, const BatchRecord& rec, const ReadOptions& read, RecordView& view,
                     std::string& out, Diagnostics& diags);

class Converter {
 public:
  /// Throws std::invalid_argument when the writer cannot be made (a CSV column it cannot read).
  Converter(Format format, const WriterOptions& options, OutputFile& out);
  ~Converter();

  /// Only the records numbered `first` to `last` of each input (1-based, inclusive) are written,
  /// and reading an input stops after `last`.
  void set_range(std::uint64_t first, std::uint64_t last);
  /// Reads all of `reader` and writes its records; `also` sees each batch afterwards, in order
  /// (return false to stop). The format's start is written before the first input's records.
  ReadSummary add(RecordReader& reader, const JobControl& control = {}, const BatchConsumer& also = {});
  /// Writes the format's end and commits the output.
  void finish();

  /// True when the writer for `format` writes records that need no change from their bytes
  /// (RecordWriter::writes_views): a front end then reads with ReadOptions::skip_as_is.
  static bool writes_views(Format format, const WriterOptions& options = {});
  /// Sets what `read` delivers to suit writing `format`: records that need no change undecoded
  /// (ReadOptions::skip_as_is) when the writer writes them from their bytes, and clean MARC-8 and
  /// MARCXML records as their UTF-8 ISO 2709 form (ReadOptions::iso2709_forms) where that is
  /// cheaper still. The front ends that convert (CLI, Python's convert()) read so.
  static void prepare_reading(ReadOptions& read, Format format, const WriterOptions& options = {});
  /// True when reading with ReadOptions::iso2709_forms as well makes writing `format` cheaper
  /// (ISO 2709: a MARC-8 or MARCXML record's UTF-8 form is copied where the model writer would
  /// build it; MARCXML and MARC-in-JSON: a MARC-8 record's form written from its view, where the
  /// model would be built).
  static bool takes_iso2709_forms(Format format);

 private:
  void encode(Batch& batch, const ReadOptions& read) const;
  Format format_;
  std::unique_ptr<RecordWriter> writer_;
  OutputFile& out_;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> range_;
  bool begun_ = false;
};

}  // namespace marcscope
