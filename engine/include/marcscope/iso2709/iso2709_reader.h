#pragma once
// Reading records from an ISO 2709 input, one after another (stage 1 then stage 2 per record).

#include <cstdint>
#include <string>

#include "marcscope/charset/charset.h"
#include "marcscope/core/diagnostic.h"
#include "marcscope/io/mapped_file.h"
#include "marcscope/core/read_mode.h"
#include "marcscope/iso2709/record_scanner.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/read/read_options.h"

namespace marcscope {

/// One step of reading: a delivered record, or diagnostics about input that yielded none.
struct ReadItem {
  bool has_record = false;  ///< false: `diagnostics` describe skipped bytes or a skipped record
  RecordView view;          ///< valid while the Reader lives
  /// The bytes of a record that was skipped (empty otherwise), as the pipeline's
  /// Batch::skipped keeps them; valid while the Reader lives.
  std::string_view skipped;
  Diagnostics diagnostics;  ///< everything found since the previous item
};

/// Reads an ISO 2709 input serially. Invalid records are normal input: they come back as
/// diagnostics, never as exceptions; only I/O failures throw (IoError).
class Iso2709Reader {
 public:
  Iso2709Reader(InputBuffer input, ReadOptions options);

  /// Advances to the next item; false at the end (or after a Strict stop). `item.diagnostics`
  /// is cleared first.
  bool next(ReadItem& item);

  /// True after Strict mode stopped on an error (the last item carries the Fatal diagnostic).
  bool stopped() const { return stopped_; }
  const InputBuffer& input() const { return input_; }
  const ReadOptions& options() const { return options_; }
  std::uint64_t records_seen() const { return scanner_.records_seen(); }

 private:
  InputBuffer input_;
  ReadOptions options_;
  RecordScanner scanner_;
  std::size_t pos_ = 0;
  bool done_ = false;
  bool stopped_ = false;
};

/// True when the first non-junk bytes of `bytes` look like an ISO 2709 leader (five digits).
bool looks_like_iso2709(std::string_view bytes);

}  // namespace marcscope
