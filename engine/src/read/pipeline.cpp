#include "marcscope/read/pipeline.h"

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "marcscope/iso2709/record_view.h"

#include "core/inflight.h"
#include "core/tsan_annotations.h"

namespace marcscope {
namespace {

/// What stage 1 found, in input order: a record, a skipped record, or only diagnostics (junk
/// at the end, a Strict stop).
struct Item {
  enum Kind : std::uint8_t { Record, Skipped, Note } kind = Note;
  RecordSpan span;
  std::uint64_t number = 0;
  Diagnostics diags;
};

struct Slice {
  std::uint64_t index = 0;
  std::uint64_t begin = 0, end = 0;
  const char* base = nullptr;        ///< pointer to the byte at absolute offset `base_offset`
  std::uint64_t base_offset = 0;
  std::shared_ptr<const void> keep_alive;
  std::vector<Item> items;
  std::uint64_t records_seen = 0;
  bool stopped = false;
};

constexpr std::size_t kReadChunk = 1u << 20;

}  // namespace

struct Pipeline::State {
  std::shared_ptr<ByteSource> source;
  PipelineOptions options;
  BatchTransform transform;
  std::string name;

  tbb::task_group_context context;
  std::atomic<bool> cancel_requested{false};
  std::atomic<bool> stopped{false};
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

  // Pull interface.
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Batch> queue;
  bool worker_finished = false;
  std::exception_ptr error;
  std::thread worker;
  Batch pending;
  std::size_t pending_pos = 0;
  bool pending_valid = false;

  std::vector<char> read_buffer;

  std::unique_ptr<Slice> next_slice();
  void read_more();
  void fill_stream();
  Batch process(Slice& slice) const;
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
  // Read until a slice's worth of bytes is buffered (or the input ends).
  while (!source_eof && carry.size() < options.slice_bytes + kReadChunk) read_more();
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
  if (whole) {
    data = *whole;
    cursor = static_cast<std::size_t>(pos);
    at_eof = true;
    slice->base = data.data();
    slice->base_offset = 0;
    slice->keep_alive = source;
  } else {
    fill_stream();
    data = carry;
    cursor = 0;
    at_eof = source_eof;
  }
  const std::size_t start = cursor;
  slice->begin = (whole ? 0 : carry_base) + start;
  slice->items.reserve(last_items + last_items / 8 + 4);

  for (;;) {
    Item item;
    const auto status = scanner.next(data, cursor, whole ? 0 : carry_base, at_eof, item.span, item.diags);
    if (status == RecordScanner::Status::Record || status == RecordScanner::Status::Skipped) {
      item.kind = status == RecordScanner::Status::Record ? Item::Record : Item::Skipped;
      item.number = scanner.records_seen();
      slice->items.push_back(std::move(item));
      if (cursor - start >= options.slice_bytes) break;
      continue;
    }
    if (!item.diags.empty()) slice->items.push_back(std::move(item));
    if (status == RecordScanner::Status::NeedMore) {
      if (cursor - start > 0 || !slice->items.empty()) break;  // cut here; the rest goes to the next slice
      // A record larger than what is buffered: read more and scan again.
      const std::size_t want = carry.size() + kReadChunk;
      while (!source_eof && carry.size() < want) read_more();
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
  last_items = slice->items.size();
  if (slice->items.empty() && slicer_done) return nullptr;
  ++slice_count;
  return slice;
}

Batch Pipeline::State::process(Slice& slice) const {
  Batch batch;
  batch.index = slice.index;
  batch.begin_offset = slice.begin;
  batch.end_offset = slice.end;
  batch.records_seen = slice.records_seen;
  batch.stopped = slice.stopped;
  batch.keep_alive = slice.keep_alive;
  batch.records.reserve(slice.items.size());
  const ReadMode mode = options.read.mode;
  RecordView view;
  for (auto& item : slice.items) {
    for (auto& d : item.diags) batch.diagnostics.push_back(std::move(d));
    if (item.kind == Item::Note) continue;
    if (item.kind == Item::Skipped) {
      ++batch.skipped;
      batch.skipped_bytes.emplace_back(item.number, std::string_view(slice.base + (item.span.offset - slice.base_offset), item.span.length));
      batch.diagnostics.push_back({Severity::Error, Code::RecordSkipped, item.number, item.span.offset, {}, 0,
                                   "record " + std::to_string(item.number) + " skipped"});
      continue;
    }
    const std::string_view bytes(slice.base + (item.span.offset - slice.base_offset), item.span.length);
    if (!view.parse(bytes, item.span.offset, item.number, mode, batch.diagnostics)) {
      if (mode == ReadMode::Strict) {
        batch.stopped = true;
        break;
      }
      ++batch.skipped;
      batch.skipped_bytes.emplace_back(item.number, bytes);
      batch.diagnostics.push_back({Severity::Error, Code::RecordSkipped, item.number, item.span.offset, {}, 0,
                                   "record " + std::to_string(item.number) + " skipped"});
      continue;
    }
    BatchRecord rec;
    rec.number = item.number;
    rec.offset = item.span.offset;
    rec.bytes = bytes;
    rec.repaired = item.span.flags != 0 || view.repaired();
    if (options.decode) rec.record = Record::from_view(view, options.read.decode, batch.diagnostics);
    if (rec.repaired) {
      batch.diagnostics.push_back({Severity::Info, Code::RecordRepaired, item.number, item.span.offset, {}, 0,
                                   "record " + std::to_string(item.number) +
                                       " was repaired; the diagnostics before this one say what changed"});
    }
    batch.records.push_back(std::move(rec));
  }
  return batch;
}

Pipeline::Pipeline(std::unique_ptr<ByteSource> source, PipelineOptions options, BatchTransform transform)
    : state_(std::make_shared<State>()) {
  state_->name = source->name();
  state_->source = std::shared_ptr<ByteSource>(std::move(source));
  if (options.slice_bytes == 0) options.slice_bytes = 1;
  state_->options = options;
  state_->transform = std::move(transform);
  state_->scanner = RecordScanner(options.read.mode);
}

Pipeline::~Pipeline() {
  cancel();
  if (state_->worker.joinable()) state_->worker.join();
}

void Pipeline::cancel() {
  state_->cancel_requested = true;
  state_->context.cancel_group_execution();
  std::lock_guard lock(state_->mutex);
  state_->changed.notify_all();
}

bool Pipeline::cancelled() const { return state_->cancel_requested.load(); }
bool Pipeline::stopped() const { return state_->stopped.load(); }
const std::string& Pipeline::name() const { return state_->name; }

void Pipeline::run(const BatchConsumer& consume, const ProgressCallback& progress) {
  State& s = *state_;
  if (s.ran) throw std::logic_error("Pipeline::run called twice");
  s.ran = true;
  const unsigned threads = s.options.threads ? s.options.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  const std::size_t tokens = s.options.tokens ? s.options.tokens : 2 * threads + 2;
  const auto started = std::chrono::steady_clock::now();
  auto last_report = started;
  bool finished_delivering = false;

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
    HAPPENS_AFTER(&s.scanner);
    auto slice = s.next_slice();
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
    auto batch = std::make_unique<OwnedBatch>();
    static_cast<Batch&>(*batch) = s.process(*slice);
    batch->owner = me;
    if (s.transform) s.transform(*batch);
    HAPPENS_BEFORE(batch.get());
    return inflight_batches.park(std::move(batch));
  });
  auto deliver = tbb::make_filter<BatchPtr, BatchPtr>(tbb::filter_mode::serial_in_order, [&](BatchPtr raw) -> BatchPtr {
    HAPPENS_AFTER(raw);
    Batch* batch = raw;
    HAPPENS_AFTER(&finished_delivering);
    struct Leave {
      bool* token;
      ~Leave() { HAPPENS_BEFORE(token); }
    } leave{&finished_delivering};
    if (finished_delivering) return raw;
    const bool more = consume(*batch);
    s.source->release_before(batch->end_offset);
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
    if (progress) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_report >= std::chrono::milliseconds(200)) {
        last_report = now;
        progress({batch->records_seen, batch->end_offset, s.source->size(),
                  std::chrono::duration<double>(now - started).count()});
      }
    }
    HAPPENS_BEFORE(raw);
    return raw;
  });
  // Freeing a batch (thousands of strings) is real work: keep it out of the serial stage, and
  // on the thread that allocated it where possible (see OwnedBatch).
  auto release = tbb::make_filter<BatchPtr, void>(tbb::filter_mode::parallel, [&](BatchPtr raw) {
    HAPPENS_AFTER(raw);
    std::unique_ptr<OwnedBatch> batch = inflight_batches.claim(raw);
    if (batch->owner == slot()) return;  // freed here
    Graveyard& grave = graves[static_cast<std::size_t>(batch->owner)];
    std::lock_guard lock(grave.mutex);
    if (grave.dead.size() < kMaxDead) grave.dead.push_back(std::move(batch));
  });  // a batch not handed over is freed here, after the lock

  tbb::task_arena arena(static_cast<int>(threads));
  arena.execute([&] { tbb::parallel_pipeline(tokens, slicer & decoder & deliver & release, s.context); });
  HAPPENS_AFTER(&s.scanner);
  HAPPENS_AFTER(&finished_delivering);
  if (progress) {
    const auto now = std::chrono::steady_clock::now();
    progress({s.scanner.records_seen(), s.source->contiguous() ? s.pos : s.carry_base, s.source->size(),
              std::chrono::duration<double>(now - started).count()});
  }
}

Batch Pipeline::next_batch(std::size_t max_records) {
  State& s = *state_;
  if (max_records == 0) max_records = 1;
  if (!s.ran) {
    s.ran = true;
    const unsigned threads = s.options.threads ? s.options.threads : static_cast<unsigned>(tbb::info::default_concurrency());
    const std::size_t capacity = s.options.tokens ? s.options.tokens : 2 * threads + 2;
    s.ran = false;  // run() sets it again on the worker
    std::shared_ptr<State> keep = state_;
    s.worker = std::thread([this, keep, capacity] {
      State& st = *keep;
      try {
        run([&st, capacity](Batch& batch) {
          std::unique_lock lock(st.mutex);
          st.changed.wait(lock, [&] { return st.queue.size() < capacity || st.cancel_requested.load(); });
          if (st.cancel_requested.load()) return false;
          st.queue.push_back(std::move(batch));
          st.changed.notify_all();
          return true;
        });
      } catch (...) {
        std::lock_guard lock(st.mutex);
        st.error = std::current_exception();
      }
      std::lock_guard lock(st.mutex);
      st.worker_finished = true;
      st.changed.notify_all();
    });
    // Wait until the worker has claimed run().
  }

  Batch out;
  for (;;) {
    if (!s.pending_valid) {
      std::unique_lock lock(s.mutex);
      s.changed.wait(lock, [&] { return !s.queue.empty() || s.worker_finished || s.error; });
      if (s.queue.empty()) {
        if (s.error) {
          auto e = s.error;
          s.error = nullptr;
          std::rethrow_exception(e);
        }
        return out;  // the end
      }
      s.pending = std::move(s.queue.front());
      s.queue.pop_front();
      s.changed.notify_all();
      s.pending_pos = 0;
      s.pending_valid = true;
      out.index = s.pending.index;
      out.begin_offset = s.pending.begin_offset;
    }
    Batch& p = s.pending;
    out.keep_alive = p.keep_alive;
    out.stopped = p.stopped;
    out.end_offset = p.end_offset;
    out.records_seen = p.records_seen;
    const std::size_t take = std::min(max_records - out.records.size(), p.records.size() - s.pending_pos);
    for (std::size_t i = 0; i < take; ++i) out.records.push_back(std::move(p.records[s.pending_pos + i]));
    s.pending_pos += take;
    const bool drained = s.pending_pos == p.records.size();
    // Diagnostics go with the records they name; whatever remains goes with the last part.
    const std::uint64_t last = out.records.empty() ? 0 : out.records.back().number;
    auto it = p.diagnostics.begin();
    while (it != p.diagnostics.end() && (drained || it->record == 0 || it->record <= last)) ++it;
    out.diagnostics.insert(out.diagnostics.end(), std::make_move_iterator(p.diagnostics.begin()), std::make_move_iterator(it));
    p.diagnostics.erase(p.diagnostics.begin(), it);
    if (drained) {
      out.skipped += p.skipped;
      out.skipped_bytes.insert(out.skipped_bytes.end(), p.skipped_bytes.begin(), p.skipped_bytes.end());
      s.pending_valid = false;
      s.pending = Batch{};
    }
    // One slice at a time: the records returned share that slice's keep-alive.
    return out;
  }
}

std::vector<RecordSpan> build_index(ByteSource& source, ReadMode mode, Diagnostics& diags) {
  std::vector<RecordSpan> spans;
  RecordScanner scanner(mode);
  RecordSpan span;
  if (auto whole = source.contiguous()) {
    // Roughly one record per kilobyte: one allocation for typical files.
    spans.reserve(whole->size() / 1024 + 16);
    std::size_t pos = 0, released = 0;
    for (;;) {
      const auto st = scanner.next(*whole, pos, 0, true, span, diags);
      if (st == RecordScanner::Status::Record) spans.push_back(span);
      else if (st != RecordScanner::Status::Skipped) break;
      if (pos - released >= (64u << 20)) {
        source.release_before(pos);
        released = pos;
      }
    }
    source.release_before(pos);
    return spans;
  }
  std::string buf;
  std::vector<char> chunk;
  std::uint64_t base = 0;
  std::size_t pos = 0;
  bool eof = false;
  for (;;) {
    const auto st = scanner.next(buf, pos, base, eof, span, diags);
    if (st == RecordScanner::Status::Record) spans.push_back(span);
    else if (st == RecordScanner::Status::Skipped) continue;
    else if (st == RecordScanner::Status::NeedMore) {
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
