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
#include "marcscope/model/record.h"

namespace marcscope {

enum class Format : std::uint8_t {
  Iso2709,       ///< MARC 21 exchange format (UTF-8 or MARC-8 by leader/09)
  Iso2709Marc8,  ///< write only: ISO 2709 with MARC-8 character coding (leader/09 blank)
  MarcXml,       ///< LoC MARC21 slim
  Json,          ///< MARC-in-JSON: one array of records (a single object also reads)
  NdJson,        ///< MARC-in-JSON, one record per line
  Mrk,           ///< MARCMaker / MarcEdit mnemonic text
  Csv,           ///< write only: chosen columns
  Unknown,
};

std::string_view format_name(Format format);
/// Accepts the names format_name() gives plus common aliases (marc, mrc, xml, marcxml, mij ...).
bool parse_format_name(std::string_view name, Format& format);
/// Guesses the format from the first bytes of the input (content first, `path` extension only
/// to break ties). Returns Unknown when nothing fits.
Format detect_format(std::string_view head, std::string_view path = {});

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
};

struct StreamOptions {
  ReadMode mode = ReadMode::Permissive;
};

/// Opens a reader for `format` over `source` (Iso2709 decodes with default DecodeOptions).
std::unique_ptr<RecordStream> open_record_stream(Format format, std::unique_ptr<ByteSource> source,
                                                 const StreamOptions& options = {});

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
};

std::unique_ptr<RecordWriter> make_writer(Format format, const WriterOptions& options = {});

}  // namespace marcscope
