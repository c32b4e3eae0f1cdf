#pragma once
// Stage 1: finding record boundaries in ISO 2709 bytes, without decoding any record.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "marcscope/core/diagnostic.h"
#include "marcscope/core/read_mode.h"

namespace marcscope {

/// Where one record lies in the input. 16 bytes, so an index of a million records is 16 MB.
struct RecordSpan {
  std::uint64_t offset = 0;  ///< absolute byte offset of the leader
  std::uint32_t length = 0;  ///< bytes up to and including the record terminator (if any)
  std::uint32_t flags = 0;   ///< RecordSpan::Flag bits

  enum Flag : std::uint32_t {
    kLengthRepaired = 1u << 0,  ///< leader/00-04 was wrong; the span follows the terminator instead
    kNoTerminator = 1u << 1,    ///< the record does not end with 0x1D
  };
};

/// Finds records one after another in a buffer that may be a window onto a larger input.
/// A record is accepted when leader/00-04 is a number and the byte at that length is 0x1D; otherwise
/// the mode decides: Strict stops, Permissive skips to the next 0x1D, Recover delivers the bytes up
/// to the next 0x1D (or trusts the declared length when the terminator is simply missing).
/// Junk between records (CR, LF, 0x1A, NUL, spaces) is skipped with a warning.
class RecordScanner {
 public:
  enum class Status {
    Record,    ///< `span` holds the next record (check its flags)
    Skipped,   ///< a bad record was dropped (Permissive); diagnostics say why; call again
    NeedMore,  ///< the buffer ends inside a record: supply more bytes from `pos` on, or at_eof = true
    End,       ///< no more records
    Stopped,   ///< Strict mode met a structural error; a Fatal diagnostic says where
  };

  explicit RecordScanner(ReadMode mode) : mode_(mode) {}

  /// Scans `data` (which starts at absolute offset `base`) from `pos`, advancing `pos` past what
  /// was consumed. `at_eof` says no bytes follow `data`.
  Status next(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof, RecordSpan& span,
              Diagnostics& diags);

  /// Number of records seen so far, delivered or skipped: the number of the last one.
  std::uint64_t records_seen() const { return seen_; }
  ReadMode mode() const { return mode_; }

 private:
  /// A record without its terminator that ends at `end` (its last field terminator is the byte
  /// before): Strict stops, Permissive skips it, Recover delivers it.
  Status unterminated(std::size_t& pos, std::size_t end, std::uint64_t base, bool length_right, RecordSpan& span,
                      Diagnostics& diags, std::string message);
  /// A bad record from `pos` to the next record terminator (or to `until` when not 0).
  Status bad_record(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof,
                    RecordSpan& span, Diagnostics& diags, Code code, std::string message, std::size_t until = 0);

  ReadMode mode_;
  std::uint64_t seen_ = 0;
  bool stopped_ = false;
};

}  // namespace marcscope
