#pragma once
// Formats other than the ISO 2709 fast path: a pull interface over owning records, and streaming
// writers. Every reader and writer works on inputs and outputs of any size.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "marcscope/io/byte_source.h"
#include "marcscope/core/diagnostic.h"
#include "marcscope/core/read_mode.h"
#include "marcscope/formats/format.h"
#include "marcscope/model/record.h"
#include "marcscope/read/read_options.h"

namespace marcscope {

/// Pulls owning UTF-8 records from an input, one at a time.
class RecordStream {
 public:
  virtual ~RecordStream() = default;
  /// Reads the next record into `record`; false at the end of the input (or after a Strict stop).
  /// Diagnostics found on the way are appended to `diags`, with record number and byte offset.
  virtual bool next(Record& record, Diagnostics& diags) = 0;
  /// Records seen so far, delivered or skipped: the number of the last one.
  virtual std::uint64_t records_seen() const = 0;
  /// Byte offset in the input where the last delivered record started.
  virtual std::uint64_t last_offset() const = 0;
  /// Byte offset just past the last delivered record's own bytes (its end tag, closing brace,
  /// line or record terminator): with last_offset(), the stretch a record index keeps.
  virtual std::uint64_t last_end() const = 0;
};

/// Opens a serial reader for `format` over `source` (Unknown: detected from the first bytes).
/// Uses options.mode and options.decode (ISO 2709's character sets).
std::unique_ptr<RecordStream> open_record_stream(Format format, std::unique_ptr<ByteSource> source,
                                                 const ReadOptions& options = {});

struct WriterOptions {
  bool crlf = false;                 ///< Mrk: CR LF line ends
  bool pretty = false;               ///< MarcXml / Json: indented output
  std::vector<std::string> columns;  ///< Csv: "001", "245$a", "650$a", "LDR/06", "008/07-10" ...
  char csv_separator = ',';          ///< Csv: ',' or '\t' (TSV)
  std::string csv_join = "|";        ///< Csv: between repeated values in one cell
};

/// Writes records in one format. write() is const and thread-safe, so encoding can run in
/// parallel; begin() and end() frame the output (XML collection, JSON array, CSV header).
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  virtual void begin(std::string& out) const { (void)out; }
  /// Appends `record`. Problems (a value with no MARC-8 form, a record too long for ISO 2709, a
  /// structure byte inside a value) are appended to `diags`, which name the record by `number`
  /// and `offset`, its 1-based number and byte offset in the input it was read from.
  virtual void write(const Record& record, std::uint64_t number, std::uint64_t offset, std::string& out,
                     Diagnostics& diags) const = 0;
  virtual void end(std::string& out) const { (void)out; }
  /// Appends a record that decodes_as_is() accepts, from its view: the bytes and diagnostics
  /// write() gives for Record::from_view(view). Returns false, with nothing appended, where the
  /// writer has no such path or the record needs the model's (one too long for ISO 2709): the
  /// caller then decodes it and calls write().
  virtual bool write_view(const RecordView& view, std::uint64_t number, std::uint64_t offset, std::string& out,
                          Diagnostics& diags) const {
    (void)view, (void)number, (void)offset, (void)out, (void)diags;
    return false;
  }
  /// True when write_view() can write records (the Converter then asks readers not to decode them).
  virtual bool writes_views() const { return false; }
};

std::unique_ptr<RecordWriter> make_writer(Format format, const WriterOptions& options = {});

}  // namespace marcscope
