#include "marcscope/read/record_index.h"

#include <stdexcept>

namespace marcscope {

struct RecordIndex::Segment {
  std::uint64_t words[kSegmentSize];   ///< offset (high 40 bits) and length (low 24 bits)
  std::uint8_t status[kSegmentSize];
};

RecordIndex::RecordIndex() : segments_(new std::atomic<Segment*>[kMaxSegments]) {
  for (std::size_t i = 0; i < kMaxSegments; ++i) segments_[i].store(nullptr, std::memory_order_relaxed);
}

RecordIndex::~RecordIndex() {
  for (std::size_t i = 0; i < segment_count_.load(); ++i) delete segments_[i].load();
}

void RecordIndex::append(std::uint64_t offset, std::uint64_t length, std::uint8_t status) {
  const std::uint64_t i = appended_;
  const std::size_t seg = static_cast<std::size_t>(i >> kSegmentBits);
  if (seg >= kMaxSegments) throw std::length_error("the record index holds at most 2^32 records");
  if (seg == segment_count_.load(std::memory_order_relaxed)) {
    // Uninitialised on purpose: only entries below `published_` are ever read.
    segments_[seg].store(new Segment, std::memory_order_release);
    segment_count_.store(seg + 1, std::memory_order_release);
  }
  Segment& s = *segments_[seg].load(std::memory_order_relaxed);
  const std::size_t k = static_cast<std::size_t>(i & (kSegmentSize - 1));
  if (offset >= kOffsetLimit || length >= kLengthLimit) {
    std::lock_guard lock(side_mutex_);
    side_[i + 1] = {offset, length};
    s.words[k] = kLengthLimit;
  } else {
    s.words[k] = (offset << kLengthBits) | length;
  }
  s.status[k] = status;
  ++appended_;
}

void RecordIndex::publish() { published_.store(appended_, std::memory_order_release); }

void RecordIndex::set_complete() {
  publish();
  complete_.store(true, std::memory_order_release);
}

IndexEntry RecordIndex::at(std::uint64_t number) const {
  if (number == 0 || number > size()) throw std::out_of_range("record " + std::to_string(number) + " is not in the index");
  const std::uint64_t i = number - 1;
  const Segment& s = *segments_[static_cast<std::size_t>(i >> kSegmentBits)].load(std::memory_order_acquire);
  const std::size_t k = static_cast<std::size_t>(i & (kSegmentSize - 1));
  IndexEntry e;
  e.number = number;
  e.status = s.status[k];
  const std::uint64_t w = s.words[k];
  if ((w & kLengthLimit) == kLengthLimit) {
    std::lock_guard lock(side_mutex_);
    const auto& [offset, length] = side_.at(number);
    e.offset = offset;
    e.length = length;
  } else {
    e.offset = w >> kLengthBits;
    e.length = w & kLengthLimit;
  }
  return e;
}

std::size_t RecordIndex::memory_bytes() const {
  std::lock_guard lock(side_mutex_);
  return segment_count_.load() * sizeof(Segment) + kMaxSegments * sizeof(std::atomic<Segment*>) +
         side_.size() * (sizeof(std::uint64_t) * 3 + 32);
}

namespace {

IndexedSpan span_of(const IndexEntry& e) {
  IndexedSpan s;
  s.number = e.number;
  s.offset = e.offset;
  s.length = static_cast<std::uint32_t>(std::min<std::uint64_t>(e.length, UINT32_MAX));
  // Read again in the same mode, a record comes out as it did: one the first pass skipped is
  // reported skipped, one stage 1 found by its terminator is marked repaired again.
  if (e.status & RecordStatus::kSkipped) s.flags |= IndexedSpan::kSkippedByStage1;
  if (e.status & RecordStatus::kFoundByTerminator) s.flags |= RecordSpan::kLengthRepaired;
  return s;
}

}  // namespace

IndexedSpan RecordIndex::span(std::uint64_t number) const { return span_of(at(number)); }

std::vector<IndexedSpan> RecordIndex::spans(std::uint64_t first, std::uint64_t count) const {
  std::vector<IndexedSpan> out;
  const std::uint64_t n = size();
  if (first == 0) first = 1;
  for (std::uint64_t k = first; k < first + count && k <= n; ++k) out.push_back(span_of(at(k)));
  return out;
}

std::vector<IndexedSpan> RecordIndex::spans(const std::vector<std::uint64_t>& numbers) const {
  std::vector<IndexedSpan> out;
  out.reserve(numbers.size());
  for (const std::uint64_t k : numbers) out.push_back(span_of(at(k)));
  return out;
}

}  // namespace marcscope
