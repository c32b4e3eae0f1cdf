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
/// Junk between records (CR, LF, 0x1A, NUL, spaces; a UTF-8 byte order mark first) is skipped with a
/// warning; bytes too few to be a record (a doubled terminator) with an error. Bytes that cannot be
/// a record (no record terminator within the 99,999 bytes a record may have; or a stretch with no
/// leader that is followed by more such bytes, not by a record) are a junk run: skipped up to the
/// next record with one error (Strict stops there), and never held: the scanner consumes them
/// as it goes (NeedMore with `pos` advanced), so a caller's buffer stays bounded whatever the run's
/// length. Results are the same however the input is cut into windows.
class RecordScanner {
 public:
  enum class Status {
    Record,    ///< `span` holds the next record (check its flags)
    Skipped,   ///< a bad record was dropped (Permissive); diagnostics say why; call again
    NeedMore,  ///< the buffer ends inside a record: supply more bytes from `pos` on, or at_eof = true
    End,       ///< no more records
    Stopped,   ///< Strict mode met a structural error; a Fatal diagnostic says where
  };

  /// `records_before`: records before the first byte scanned (a resumed read): numbering goes on from there.
  explicit RecordScanner(ReadMode mode, std::uint64_t records_before = 0) : mode_(mode), seen_(records_before) {}

  /// Scans `data` (which starts at absolute offset `base`) from `pos`, advancing `pos` past what
  /// was consumed. `at_eof` says no bytes follow `data`.
  Status next(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof, RecordSpan& span,
              Diagnostics& diags);

  /// Bytes of the junk run being skipped and not yet reported (reported with the next record, or
  /// at the end): what the scanner has consumed without a result.
  std::uint64_t pending_junk() const { return junk_.bytes; }

  /// Number of records seen so far, delivered or skipped: the number of the last one.
  std::uint64_t records_seen() const { return seen_; }
  ReadMode mode() const { return mode_; }

 private:
  /// A record without its terminator that ends at `end` (its last field terminator is the byte
  /// before): Strict stops, Permissive skips it, Recover delivers it.
  Status unterminated(std::size_t& pos, std::size_t end, std::uint64_t base, bool length_right, RecordSpan& span,
                      Diagnostics& diags, std::string message);
  /// Bytes from `pos` to `end`, too few to be a record (a stray terminator, a byte order mark):
  /// not a record (no number), but junk, reported with the run they start; what follows is read
  /// as after a record terminator. Not for Strict, where they stop the reading.
  Status stray(std::string_view data, std::size_t& pos, std::size_t end, std::uint64_t base);
  /// A bad record from `pos` to the next record terminator (or to `until` when not 0).
  Status bad_record(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof,
                    RecordSpan& span, Diagnostics& diags, Code code, std::string message, std::size_t until = 0);

  /// Bytes outside any record not yet reported: blanks, and (when `scanning`) bytes that are no record.
  struct JunkRun {
    std::uint64_t start = 0;  ///< absolute offset of its first byte
    std::uint64_t bytes = 0;
    std::uint64_t line_breaks = 0, eofs = 0, nuls = 0, blanks = 0;  ///< the rest are other bytes
    bool scanning = false;    ///< holds bytes that are no record: looking for where the next one starts
    bool resume = false;      ///< `pos` is inside the run, not at a place a record could start after a terminator
    std::uint64_t first_candidate = 0;  ///< absolute: no record starts before this offset
    std::uint8_t shown = 0;   ///< how many of the first other bytes `first` holds
    unsigned char first[8] = {};  ///< the run's first bytes that are not blanks, to name a short run's bytes
  };

  void add_junk(std::string_view bytes, std::uint64_t offset);
  /// Passes over blanks (line breaks, 0x1A, NUL, spaces) from `pos`, adding them to the junk run.
  void skip_blanks(std::string_view data, std::size_t& pos, std::uint64_t base);
  /// Reports the pending junk run (if any) as one diagnostic.
  void flush_junk(Diagnostics& diags);
  /// The bytes at `pos` are no record: Strict stops, the other modes start (or extend) a junk run.
  Status start_junk(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof, Diagnostics& diags,
                    const std::string& why);
  /// Inside a junk run: consumes it up to the next record start (returns Record, with nothing in
  /// `span`: the record is read by next()), or as far as it can (NeedMore), or to the end (End).
  Status scan_junk(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof, Diagnostics& diags);
  /// The slow path of next(), from a position that holds no junk.
  Status next_record(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof, RecordSpan& span,
                     Diagnostics& diags);

  ReadMode mode_;
  std::uint64_t seen_ = 0;
  bool stopped_ = false;
  bool again_ = false;  ///< next_record() passed over stray bytes (stray()): next() reads on
  JunkRun junk_;
};

}  // namespace marcscope
