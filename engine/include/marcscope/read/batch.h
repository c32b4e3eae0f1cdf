#pragma once
// What reading hands over: batches of records in input order, with every diagnostic and every
// record that could not be delivered.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "marcscope/core/diagnostic.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/model/record.h"

namespace marcscope {

/// What reading found about one record, in one byte (the record index keeps one per record).
struct RecordStatus {
  enum Bits : std::uint8_t {
    kSkipped = 1u << 0,           ///< not delivered: unreadable in this mode
    kRepaired = 1u << 1,          ///< Recover changed it to read it
    kWarnings = 1u << 2,          ///< reading found warnings
    kErrors = 1u << 3,            ///< reading found errors (data replaced, lost or guessed)
    kUtf8 = 1u << 4,              ///< read as UTF-8
    kMarc8 = 1u << 5,             ///< read as MARC-8
    kEncodingOverridden = 1u << 6,///< read in another encoding than leader/09 declares
    kFoundByTerminator = 1u << 7, ///< ISO 2709: stage 1 found its end by the record terminator, not leader/00-04
  };
};

/// One delivered record. `bytes` (ISO 2709 input only) points into the input and stays valid
/// while its Batch (or a copy of the Batch's keep_alive) lives.
struct BatchRecord {
  std::uint64_t number = 0;  ///< 1-based record number in the input (skipped records count too)
  std::uint64_t offset = 0;  ///< absolute byte offset where the record starts
  std::uint64_t end = 0;     ///< absolute byte offset just past the record (where known, else = offset)
  std::string_view bytes;    ///< the raw ISO 2709 record; empty for other formats
  bool repaired = false;
  /// Not decoded (ReadOptions::skip_as_is): `record` is empty, and decoding `bytes` would give
  /// them back unchanged with no diagnostic (for a `transcoded` record: would give `view`'s).
  bool as_is = false;
  std::uint8_t status = 0;   ///< RecordStatus bits
  Record record;             ///< the decoded record when ReadOptions::decode_records
  /// For an `as_is` record: the view the reader parsed (its fields point into `bytes`), so that
  /// writers and matchers use it without parsing the record a second time. Empty otherwise.
  RecordView view;
  /// For an `as_is` record delivered as its UTF-8 ISO 2709 form (ReadOptions::iso2709_forms: a
  /// MARC-8 record beyond ASCII, transcode_marc8_as_is(), or a MARCXML record): that form, which
  /// `view` shows. `bytes` stays the record as read (empty for MARCXML).
  std::shared_ptr<const std::string> transcoded;
  /// The record's view: `view` when it is this record's, else `scratch` parsed from `bytes` in
  /// `mode` (the reader's; an as_is record parses with no diagnostic).
  const RecordView& view_of(RecordView& scratch, ReadMode mode) const;
};

/// A record that could not be delivered. Its bytes are kept (ISO 2709) so that nothing read is
/// lost: a caller can still write them somewhere (a file of bad records).
struct SkippedRecord {
  std::uint64_t number = 0;
  std::uint64_t offset = 0;
  std::string_view bytes;    ///< the raw bytes where the format has them (ISO 2709), else empty
};

/// Records of one stretch of input, in input order, with every diagnostic found in it (in input order).
struct Batch {
  std::uint64_t index = 0;         ///< 0-based batch number
  std::uint64_t begin_offset = 0;  ///< absolute offset of the stretch's first byte
  std::uint64_t end_offset = 0;    ///< absolute offset just past the stretch
  std::uint64_t records_seen = 0;  ///< records seen up to the end of this batch, delivered or skipped
  std::vector<BatchRecord> records;
  std::vector<SkippedRecord> skipped;
  Diagnostics diagnostics;
  std::string output;              ///< free for the caller's transform (e.g. encoded output)
  std::vector<std::uint64_t> selected;  ///< free for the caller's transform: numbers of records it picked
  bool stopped = false;            ///< Strict mode stopped inside this batch: nothing follows it
  std::shared_ptr<const void> keep_alive;  ///< owns the bytes `records[i].bytes` and `skipped[i].bytes` point into

  bool empty() const { return records.empty() && skipped.empty() && diagnostics.empty(); }
};

/// Runs in the parallel stage after decoding; must be thread-safe and must not touch state
/// shared with other batches without synchronisation.
using BatchTransform = std::function<void(Batch&)>;
/// Runs in the serial, in-order delivery stage. Return false to stop reading.
using BatchConsumer = std::function<bool(Batch&)>;

}  // namespace marcscope
