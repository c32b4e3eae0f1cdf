#include "marcscope/read/pipeline.h"

#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <iterator>
#include <mutex>
#include <stop_token>

#include "marcscope/core/executor.h"
#include "marcscope/iso2709/record_view.h"

#include "core/inflight.h"
#include "iso_slice.h"
#include "core/tsan_annotations.h"

namespace marcscope {
namespace {

using detail::Slice;
using detail::SliceItem;

constexpr std::size_t kReadChunk = 1u << 20;

}  // namespace

struct Pipeline::State {
  std::shared_ptr<ByteSource> source;
  ReadOptions options;
  BatchTransform transform;
  FragmentDecoder fragments;
  std::string name;

  tbb::task_group_context context;
  std::atomic<bool> cancel_requested{false};
  /// The job's stop, as the source was given it (ByteSource::interrupt_on): a read it cut short
  /// returns 0 before cancel() has run, and is not the input's end.
  std::stop_token stop;
  bool read_cut_short() const {
    return stop.stop_requested() || cancel_requested.load(std::memory_order_relaxed);
  }
  std::atomic<bool> stopped{false};
  std::atomic<std::uint64_t> seen{0};
  bool ran = false;

  // Stage 1 state (touched only by the serial slicer).
  RecordScanner scanner{ReadMode::Permissive};
  std::uint64_t pos = 0;           ///< contiguous: next byte to scan
  std::string carry;               ///< stream: bytes read but not yet sliced
  std::uint64_t carry_base = 0;    ///< stream: absolute offset of carry[0]
  bool source_eof = false;
  bool slicer_done = false;
  std::uint64_t slice_count = 0;
  std::size_t last_items = 0;      ///< items in the previous slice: the next one's first guess

  // Spans mode: records already found, decoded without stage 1.
  bool from_spans = false;
  std::vector<IndexedSpan> spans;
  std::size_t next_span = 0;

  std::vector<char> read_buffer;

  std::unique_ptr<Slice> next_slice();
  std::unique_ptr<Slice> next_span_slice();
  void read_more();
  void fill_stream();
  Batch process(Slice& slice, std::vector<BatchRecord>* spare) const;

  // Records of batches done with that a consumer handed back (in place of a batch's records,
  // which it moved out: RecordReader's pull consumer), which decoding fills again: a record's
  // view then copies into the room its field list already has instead of allocating it on one
  // thread while the consumer's thread frees it (under glibc's malloc the two then contend for
  // the decoding thread's arena: a futex call every few records). Records a consumer leaves in
  // place are freed as before, on the thread that made them (the graveyards below).
  std::mutex spare_mutex;
  std::vector<BatchRecord> spare_records;
  /// At most this many records kept (their views' field lists, each of at most 512 fields: the
  /// pull consumer drops larger ones; typically about 1 KB a record).
  static constexpr std::size_t kMaxSpare = 8192;
  /// Moves `records` (as many as the pool has room for) into the pool; spare_mutex held.
  void keep_spare(std::vector<BatchRecord>& records) {
    const std::size_t n = std::min(records.size(), kMaxSpare - std::min(kMaxSpare, spare_records.size()));
    spare_records.insert(spare_records.end(), std::make_move_iterator(records.begin()),
                         std::make_move_iterator(records.begin() + static_cast<std::ptrdiff_t>(n)));
  }
  std::uint64_t consumed() const;
};

void Pipeline::State::read_more() {
  // Sources may hand out a few bytes per call; read into a fixed buffer and append, so the cost
  // stays proportional to the bytes read.
  if (read_buffer.empty()) read_buffer.resize(kReadChunk);
  const std::size_t n = source->read(read_buffer.data(), read_buffer.size());
  if (n == 0) source_eof = true;
  carry.append(read_buffer.data(), n);
}

void Pipeline::State::fill_stream() {
  // Read until a slice's worth of bytes is buffered (or the input ends), but not wait for an
  // idle writer (a pipe, a socket) while bytes are at hand: what has come is cut into a slice
  // now, and its records reach the consumer now.
  while (!source_eof && carry.size() < options.slice_bytes + kReadChunk) {
    if (!carry.empty() && !source->ready()) break;
    read_more();
  }
}

std::unique_ptr<Slice> Pipeline::State::next_slice() {
  if (slicer_done || cancel_requested.load(std::memory_order_relaxed)) return nullptr;
  auto slice = std::make_unique<Slice>();
  slice->index = slice_count;

  const auto whole = source->contiguous();
  std::string_view data;
  std::size_t cursor;
  bool at_eof;
  std::shared_ptr<std::string> storage;
  // A mapped input is scanned through a window, as a stream is: stage 1 never runs far past the
  // slice (a long run of junk is consumed a window at a time), so the pages it touches are
  // released behind delivered slices and resident memory stays bounded.
  std::size_t window = 0;
  const auto look_at = [&](std::size_t bytes) {
    window = static_cast<std::size_t>(std::min<std::uint64_t>(whole->size(), pos + bytes));
    data = whole->substr(0, window);
    at_eof = window == whole->size();
  };
  if (whole) {
    cursor = static_cast<std::size_t>(pos);
    look_at(options.slice_bytes + kReadChunk);
    slice->base = data.data();
    slice->base_offset = 0;
    slice->keep_alive = source;
  } else {
    fill_stream();
    if (read_cut_short()) return nullptr;
    data = carry;
    cursor = 0;
    at_eof = source_eof;
  }
  const std::size_t start = cursor;
  slice->begin = (whole ? 0 : carry_base) + start;
  slice->items.reserve(last_items + last_items / 8 + 4);

  for (;;) {
    SliceItem item;
    const auto status = scanner.next(data, cursor, whole ? 0 : carry_base, at_eof, item.span, item.diags);
    if (status == RecordScanner::Status::Record || status == RecordScanner::Status::Skipped) {
      item.kind = status == RecordScanner::Status::Record ? SliceItem::Record : SliceItem::Skipped;
      item.number = scanner.records_seen();
      slice->items.push_back(std::move(item));
      if (cursor - start >= options.slice_bytes) break;
      continue;
    }
    if (!item.diags.empty()) slice->items.push_back(std::move(item));
    if (status == RecordScanner::Status::NeedMore) {
      if (cursor - start > 0 || !slice->items.empty()) break;  // cut here; the rest goes to the next slice
      // A record larger than what is buffered: read more and scan again.
      if (whole) {
        look_at(window - static_cast<std::size_t>(pos) + kReadChunk);
        continue;
      }
      const std::size_t want = carry.size() + kReadChunk;
      while (!source_eof && carry.size() < want) {
        read_more();
        if (!source->ready()) break;  // scan what has come: it may complete the record
      }
      if (read_cut_short()) return nullptr;
      data = carry;
      at_eof = source_eof;
      continue;
    }
    if (status == RecordScanner::Status::Stopped) slice->stopped = true;
    slicer_done = true;  // End or Stopped
    break;
  }

  if (whole) {
    pos = cursor;
    slice->end = cursor;
  } else {
    // The slice keeps the bytes it covers; what follows moves to the next slice's buffer.
    storage = std::make_shared<std::string>(std::move(carry));
    carry.assign(*storage, cursor, std::string::npos);
    storage->resize(cursor);
    slice->base = storage->data();
    slice->base_offset = carry_base;
    slice->end = carry_base + cursor;
    carry_base += cursor;
    slice->keep_alive = storage;
  }
  slice->records_seen = scanner.records_seen();
  seen.store(slice->records_seen, std::memory_order_relaxed);
  last_items = slice->items.size();
  if (slice->items.empty() && slicer_done) return nullptr;
  ++slice_count;
  return slice;
}

std::unique_ptr<Slice> Pipeline::State::next_span_slice() {
  if (next_span >= spans.size() || cancel_requested.load(std::memory_order_relaxed)) return nullptr;
  const std::string_view data = *source->contiguous();
  auto slice = std::make_unique<Slice>();
  slice->index = slice_count++;
  slice->base = data.data();
  slice->keep_alive = source;
  slice->begin = spans[next_span].offset;
  std::uint64_t bytes = 0;
  while (next_span < spans.size() && bytes < options.slice_bytes) {
    const IndexedSpan& span = spans[next_span++];
    SliceItem& item = slice->items.emplace_back();
    item.kind = (span.flags & IndexedSpan::kSkippedByStage1) ? SliceItem::Skipped : SliceItem::Record;
    item.number = span.number;
    // A span that no longer fits the input (the file shrank) is read as far as it goes.
    item.span.offset = std::min<std::uint64_t>(span.offset, data.size());
    item.span.length = static_cast<std::uint32_t>(std::min<std::uint64_t>(span.length, data.size() - item.span.offset));
    item.span.flags = span.flags & ~IndexedSpan::kSkippedByStage1;
    bytes += span.length;
    slice->end = item.span.offset + item.span.length;
    slice->records_seen = span.number;
  }
  seen.store(slice->records_seen, std::memory_order_relaxed);
  return slice;
}

Batch Pipeline::State::process(Slice& slice, std::vector<BatchRecord>* spare) const {
  if (!fragments) return detail::decode_slice(slice, options, spare);
  Batch batch = detail::batch_for(slice);
  batch.records.reserve(slice.items.size());
  for (const auto& item : slice.items)
    fragments(slice.bytes_of(item.span), {item.number, item.span.offset, item.span.length, item.span.flags}, batch);
  return batch;
}

std::uint64_t Pipeline::State::consumed() const {
  if (from_spans) return next_span ? spans[next_span - 1].offset + spans[next_span - 1].length : 0;
  return source->contiguous() ? pos : carry_base;
}

Pipeline::Pipeline(std::unique_ptr<ByteSource> source, ReadOptions options, BatchTransform transform,
                   std::uint64_t start_offset, std::uint64_t records_before)
    : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.name = source->name();
  s.source = std::shared_ptr<ByteSource>(std::move(source));
  if (options.slice_bytes == 0) options.slice_bytes = 1;
  s.options = std::move(options);
  s.transform = std::move(transform);
  s.scanner = RecordScanner(s.options.mode, records_before);
  s.seen = records_before;
  if (s.source->contiguous()) {
    s.pos = std::min<std::uint64_t>(start_offset, s.source->contiguous()->size());
  } else {
    // A stream cannot seek: read and drop what comes before the start.
    std::vector<char> drop(kReadChunk);
    std::uint64_t left = start_offset;
    while (left > 0) {
      const std::size_t n = s.source->read(drop.data(), static_cast<std::size_t>(std::min<std::uint64_t>(left, drop.size())));
      if (n == 0) break;
      left -= n;
    }
    s.carry_base = start_offset - left;
  }
}

Pipeline::Pipeline(std::unique_ptr<ByteSource> source, std::vector<IndexedSpan> spans, ReadOptions options,
                   BatchTransform transform, FragmentDecoder fragments)
    : state_(std::make_shared<State>()) {
  State& s = *state_;
  if (!source->contiguous()) throw std::invalid_argument("Pipeline: reading spans needs an input held in memory or mapped");
  s.name = source->name();
  s.source = std::shared_ptr<ByteSource>(std::move(source));
  if (options.slice_bytes == 0) options.slice_bytes = 1;
  s.options = std::move(options);
  s.transform = std::move(transform);
  s.fragments = std::move(fragments);
  s.from_spans = true;
  s.spans = std::move(spans);
}

Pipeline::~Pipeline() { cancel(); }

void Pipeline::cancel() {
  state_->cancel_requested = true;
  state_->context.cancel_group_execution();
}

bool Pipeline::cancelled() const { return state_->cancel_requested.load(); }
bool Pipeline::stopped() const { return state_->stopped.load(); }
std::uint64_t Pipeline::records_seen() const { return state_->seen.load(std::memory_order_relaxed); }
const std::string& Pipeline::name() const { return state_->name; }

void Pipeline::run(const BatchConsumer& consume, const JobControl& control) {
  State& s = *state_;
  if (s.ran) throw std::logic_error("Pipeline::run called twice");
  s.ran = true;
  const std::shared_ptr<Executor> executor = Executor::use(s.options.executor, s.options.threads);
  const unsigned threads = executor->threads();
  const std::size_t tokens = s.options.tokens ? s.options.tokens : 2 * threads + 2;
  ProgressThrottle progress(control);
  s.stop = control.stop;
  std::stop_callback on_stop(control.stop, [this] { cancel(); });
  bool finished_delivering = false;
  char filters_done = 0;  // ThreadSanitizer's view of the pipeline's end (tsan_annotations.h)

  // Items travel between filters as raw pointers, owned by these registries (inflight.h).
  detail::Inflight<Slice> inflight_slices;
  // A batch remembers which of the arena's threads decoded it, that is allocated its records:
  // allocators free far faster on the thread that allocated (mimalloc: no atomic hand-back, no
  // cache lines pulled from the other core). The release stage, which may run on any thread,
  // passes a batch decoded elsewhere to its owner's graveyard, and the owner frees the
  // graveyard's batches the next time it decodes. A graveyard holds at most kMaxDead batches
  // (past that, the release stage frees the batch itself), so memory stays bounded.
  struct OwnedBatch : Batch {
    int owner = 0;
    const BatchRecord* delivered = nullptr;  ///< records.data() as decoded: other records were handed back
  };
  struct Graveyard {
    std::mutex mutex;
    std::vector<std::unique_ptr<OwnedBatch>> dead;
    ~Graveyard() {
      std::lock_guard lock(mutex);  // shows ThreadSanitizer the hand-back from oneTBB's workers
      dead.clear();
    }
  };
  constexpr std::size_t kMaxDead = 2;
  std::vector<Graveyard> graves(threads + 1);  // one per arena slot, the last for any other thread
  const auto slot = [threads] {
    const int i = tbb::this_task_arena::current_thread_index();
    return i >= 0 && static_cast<unsigned>(i) < threads ? i : static_cast<int>(threads);
  };
  detail::Inflight<OwnedBatch> inflight_batches;
  using SlicePtr = Slice*;
  using BatchPtr = OwnedBatch*;
  auto slicer = tbb::make_filter<void, SlicePtr>(tbb::filter_mode::serial_in_order, [&](tbb::flow_control& fc) -> SlicePtr {
    PIPELINE_TAKEOVER();
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(&s.scanner);
    auto slice = s.from_spans ? s.next_span_slice() : s.next_slice();
    HAPPENS_BEFORE(&s.scanner);
    if (!slice) {
      fc.stop();
      return nullptr;
    }
    HAPPENS_BEFORE(slice.get());
    return inflight_slices.park(std::move(slice));
  });
  // Mapping a file's pages costs the kernel about as much as stage 1 costs us, and the serial
  // slicer is the first to touch each page. So each decoder maps in, in parallel, the stretch
  // that lies a fixed distance past its own slice: far enough that the slicer has not reached
  // it yet (at most `tokens` slices are in flight), so the slicer finds its pages mapped. The
  // stretches tile the file; resident memory grows by at most that distance.
  const std::uint64_t prefetch_ahead = s.source->contiguous() ? 2 * tokens * s.options.slice_bytes : 0;
  auto decoder = tbb::make_filter<SlicePtr, BatchPtr>(tbb::filter_mode::parallel, [&](SlicePtr raw) -> BatchPtr {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(raw);
    std::unique_ptr<Slice> slice = inflight_slices.claim(raw);
    if (prefetch_ahead) s.source->prefetch(slice->begin + prefetch_ahead, slice->end + prefetch_ahead);
    const int me = slot();
    {
      std::vector<std::unique_ptr<OwnedBatch>> dead;
      {
        std::lock_guard lock(graves[me].mutex);
        dead.swap(graves[me].dead);
      }
    }  // the batches this thread decoded and others released, freed here
    std::vector<BatchRecord> spare;  // as many spare records as the slice has items, where there are
    {
      std::lock_guard lock(s.spare_mutex);
      const std::size_t n = std::min(s.spare_records.size(), slice->items.size());
      if (n != 0) {
        spare.reserve(n);
        spare.insert(spare.end(), std::make_move_iterator(s.spare_records.end() - static_cast<std::ptrdiff_t>(n)),
                     std::make_move_iterator(s.spare_records.end()));
        s.spare_records.resize(s.spare_records.size() - n);
      }
    }
    auto batch = std::make_unique<OwnedBatch>();
    static_cast<Batch&>(*batch) = s.process(*slice, &spare);
    batch->delivered = batch->records.data();
    if (!spare.empty()) {  // not needed (notes, skipped records, another format): for the next slice
      std::lock_guard lock(s.spare_mutex);
      s.keep_spare(spare);
    }
    batch->owner = me;
    if (s.transform) s.transform(*batch);
    HAPPENS_BEFORE(batch.get());
    return inflight_batches.park(std::move(batch));
  });
  auto deliver = tbb::make_filter<BatchPtr, BatchPtr>(tbb::filter_mode::serial_in_order, [&](BatchPtr raw) -> BatchPtr {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(raw);
    Batch* batch = raw;
    HAPPENS_AFTER(&finished_delivering);
    struct Leave {
      bool* token;
      ~Leave() { HAPPENS_BEFORE(token); }
    } leave{&finished_delivering};
    if (finished_delivering) return raw;
    const bool more = consume(*batch);
    s.source->release_before(s.options.release_point(batch->end_offset));
    if (batch->stopped) {
      s.stopped = true;
      finished_delivering = true;
      s.cancel_requested = true;
      s.context.cancel_group_execution();
    } else if (!more) {
      finished_delivering = true;
      s.cancel_requested = true;
      s.context.cancel_group_execution();
    }
    progress.report(batch->records_seen, batch->end_offset, s.source->size());
    HAPPENS_BEFORE(raw);
    return raw;
  });
  // Freeing a batch (thousands of strings) is real work: keep it out of the serial stage, and
  // on the thread that allocated it where possible (see OwnedBatch).
  auto release = tbb::make_filter<BatchPtr, void>(tbb::filter_mode::parallel, [&](BatchPtr raw) {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(raw);
    std::unique_ptr<OwnedBatch> batch = inflight_batches.claim(raw);
    // Records a consumer handed back in place of the batch's are decoded into again.
    if (!batch->records.empty() && batch->records.data() != batch->delivered) {
      std::lock_guard lock(s.spare_mutex);
      s.keep_spare(batch->records);
    }
    if (batch->owner == slot()) return;  // freed here
    Graveyard& grave = graves[static_cast<std::size_t>(batch->owner)];
    std::lock_guard lock(grave.mutex);
    if (grave.dead.size() < kMaxDead) grave.dead.push_back(std::move(batch));
  });  // a batch not handed over is freed here, after the lock

  // Made before the hand-off, as the filters are: oneTBB may run it on a worker.
  const std::function<void()> start = [&] {
    PIPELINE_TAKEOVER();
    PIPELINE_FILTER_EXIT(&filters_done);
    tbb::parallel_pipeline(tokens, slicer & decoder & deliver & release, s.context);
  };
  PIPELINE_HANDOFF();
  {
    PIPELINE_JOINED(&filters_done);
    executor->run(start);
  }
  HAPPENS_AFTER(&s.scanner);
  HAPPENS_AFTER(&finished_delivering);
  progress.report(s.seen.load(), s.consumed(), s.source->size(), true);
}

std::vector<IndexedSpan> scan_spans(ByteSource& source, ReadMode mode, Diagnostics& diags) {
  std::vector<IndexedSpan> spans;
  RecordScanner scanner(mode);
  RecordSpan span;
  auto keep = [&](RecordScanner::Status st) {
    const std::uint32_t skipped = st == RecordScanner::Status::Skipped ? IndexedSpan::kSkippedByStage1 : 0;
    spans.push_back({scanner.records_seen(), span.offset, span.length, span.flags | skipped});
  };
  if (auto whole = source.contiguous()) {
    std::size_t pos = 0;
    for (;;) {
      const auto st = scanner.next(*whole, pos, 0, true, span, diags);
      if (st != RecordScanner::Status::Record && st != RecordScanner::Status::Skipped) break;
      keep(st);
    }
    return spans;
  }
  std::string buf;
  std::vector<char> chunk;
  std::uint64_t base = 0;
  std::size_t pos = 0;
  bool eof = false;
  for (;;) {
    const auto st = scanner.next(buf, pos, base, eof, span, diags);
    if (st == RecordScanner::Status::Record || st == RecordScanner::Status::Skipped) {
      keep(st);
    } else if (st == RecordScanner::Status::NeedMore) {
      buf.erase(0, pos);
      base += pos;
      pos = 0;
      if (chunk.empty()) chunk.resize(kReadChunk);
      const std::size_t n = source.read(chunk.data(), chunk.size());
      buf.append(chunk.data(), n);
      if (n == 0) eof = true;
    } else {
      break;
    }
  }
  return spans;
}

}  // namespace marcscope
