#pragma once
// Where every record of an input is: the offset index the app's table and random fetch stand on.
// One thread appends (the indexing pass) while any number of threads read what has been published
// so far; entries never move once written (segmented storage), so a reader needs no lock.
// Entry N-1 is record number N, skipped records included, so an index position, a record number
// and every diagnostic's record number agree.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "marcscope/read/pipeline.h"

namespace marcscope {

struct IndexEntry {
  std::uint64_t number = 0;  ///< 1-based record number
  std::uint64_t offset = 0;  ///< where the record starts in the input
  std::uint64_t length = 0;  ///< its bytes (0 when a skipped record's extent is not known)
  std::uint8_t status = 0;   ///< RecordStatus bits
};

class RecordIndex {
 public:
  /// Entries kept in 9 bytes: a 40-bit offset and a 24-bit length in one word, and the status.
  /// Records past 1 TiB or longer than 16 MiB are kept in a side table.
  static constexpr std::size_t kSegmentBits = 16;

  RecordIndex();
  ~RecordIndex();
  RecordIndex(const RecordIndex&) = delete;
  RecordIndex& operator=(const RecordIndex&) = delete;

  /// Records published so far. Any thread.
  std::uint64_t size() const { return published_.load(std::memory_order_acquire); }
  /// Record `number` (1 <= number <= size()). Any thread.
  IndexEntry at(std::uint64_t number) const;
  /// True once the whole input has been indexed.
  bool complete() const { return complete_.load(std::memory_order_acquire); }
  /// Resident bytes (what the index costs beyond the input's mapping).
  std::size_t memory_bytes() const;

  /// Record `number` as a span to read again (skipped and stage 1 repairs marked as the first
  /// pass found them).
  IndexedSpan span(std::uint64_t number) const;
  /// Spans of records [first, first + count) clipped to size(), for reading them on the pipeline.
  std::vector<IndexedSpan> spans(std::uint64_t first, std::uint64_t count) const;
  /// Spans of the given record numbers (each <= size()), in the order given.
  std::vector<IndexedSpan> spans(const std::vector<std::uint64_t>& numbers) const;

  // The one writer (the indexing pass):
  /// Adds the next record (number size() + appended so far + 1). Visible after publish().
  void append(std::uint64_t offset, std::uint64_t length, std::uint8_t status);
  /// Makes everything appended visible to readers.
  void publish();
  void set_complete();

 private:
  struct Segment;
  static constexpr std::uint64_t kSegmentSize = 1ull << kSegmentBits;
  static constexpr std::size_t kMaxSegments = 1u << 16;  ///< 2^32 records
  static constexpr std::uint64_t kLengthBits = 24;
  static constexpr std::uint64_t kOffsetLimit = 1ull << (64 - kLengthBits);
  static constexpr std::uint64_t kLengthLimit = (1ull << kLengthBits) - 1;  ///< the largest length is the side-table mark

  std::unique_ptr<std::atomic<Segment*>[]> segments_;
  std::atomic<std::size_t> segment_count_{0};
  std::uint64_t appended_ = 0;  ///< writer only
  std::atomic<std::uint64_t> published_{0};
  std::atomic<bool> complete_{false};
  mutable std::mutex side_mutex_;
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> side_;  ///< number -> (offset, length)
};

}  // namespace marcscope
