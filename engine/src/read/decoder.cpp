#include "marcscope/read/decoder.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "marcscope/core/executor.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/io/byte_source.h"
#include "marcscope/iso2709/record_scanner.h"
#include "marcscope/read/record_reader.h"

#include "iso_slice.h"
#include "stream_batch.h"

namespace marcscope {

struct Decoder::Impl {
  virtual ~Impl() = default;
  virtual Batch feed(std::string_view bytes, bool at_end) = 0;
  /// Decodes whole[pos, about `end`) in place (ISO 2709 only), advancing `pos` past the last
  /// record read; `whole` is the entire input.
  virtual Batch feed_in_place(std::string_view whole, std::size_t& pos, std::size_t end,
                              const std::shared_ptr<const void>& owner) {
    (void)whole, (void)pos, (void)end, (void)owner;
    throw std::logic_error("Decoder: in-place decoding is for ISO 2709");
  }
  virtual Format format() const = 0;
  virtual bool stopped() const = 0;
  virtual std::uint64_t records_seen() const = 0;
  virtual std::uint64_t bytes_held() const = 0;
};

namespace {

constexpr std::size_t kDetectBytes = 65536;

bool is_iso2709(Format format) { return format == Format::Iso2709 || format == Format::Iso2709Marc8; }

/// ISO 2709: stage 1 over what has been fed, stage 2 over every record it completed (shared out
/// over the executor when there are many), exactly as the Pipeline decodes a slice.
class Iso2709Decoder final : public Decoder::Impl {
 public:
  Iso2709Decoder(ReadOptions options, Format format) : options_(std::move(options)), format_(format), scanner_(options_.mode) {
    if (format == Format::Iso2709Marc8) options_.decode.encoding = EncodingChoice::ForceMarc8;
  }

  Batch feed_in_place(std::string_view whole, std::size_t& pos, std::size_t end,
                      const std::shared_ptr<const void>& owner) override {
    if (done_) return {};
    detail::Slice slice;
    slice.index = batches_++;
    slice.begin = pos;
    std::size_t cursor = pos;
    // The whole input is there (at_eof): a record is never cut at `end`, only after it.
    scan(slice, whole, cursor, 0, true, [&] { return cursor < end || cursor == whole.size(); });
    pos = cursor;
    slice.base = whole.data();
    slice.base_offset = 0;
    slice.end = cursor;
    slice.keep_alive = owner;
    slice.records_seen = scanner_.records_seen();
    return decode(slice);
  }

  Batch feed(std::string_view bytes, bool at_end) override {
    if (done_) return {};
    carry_.append(bytes);
    detail::Slice slice;
    slice.index = batches_++;
    slice.begin = carry_base_;
    std::size_t cursor = 0;
    scan(slice, carry_, cursor, carry_base_, at_end, [] { return true; });
    // The batch keeps the bytes its records point into; a record not yet complete stays behind.
    auto storage = std::make_shared<std::string>(std::move(carry_));
    carry_.assign(*storage, cursor, std::string::npos);
    storage->resize(cursor);
    slice.base = storage->data();
    slice.base_offset = carry_base_;
    slice.end = carry_base_ + cursor;
    carry_base_ += cursor;
    slice.keep_alive = std::move(storage);
    slice.records_seen = scanner_.records_seen();
    return decode(slice);
  }

  Format format() const override { return format_; }
  bool stopped() const override { return stopped_; }
  std::uint64_t records_seen() const override { return scanner_.records_seen(); }
  std::uint64_t bytes_held() const override { return carry_.size(); }

 private:
  /// Cuts records from data[cursor, ...) (data starts at absolute offset `base`) into the slice's
  /// items while `more()`: until the scanner needs more bytes, or the input ends (done_).
  template <class More>
  void scan(detail::Slice& slice, std::string_view data, std::size_t& cursor, std::uint64_t base, bool at_eof, More more) {
    while (more()) {
      detail::SliceItem item;
      const auto status = scanner_.next(data, cursor, base, at_eof, item.span, item.diags);
      if (status == RecordScanner::Status::Record || status == RecordScanner::Status::Skipped) {
        item.kind = status == RecordScanner::Status::Record ? detail::SliceItem::Record : detail::SliceItem::Skipped;
        item.number = scanner_.records_seen();
        slice.items.push_back(std::move(item));
        continue;
      }
      if (!item.diags.empty()) slice.items.push_back(std::move(item));
      if (status == RecordScanner::Status::NeedMore) return;
      if (status == RecordScanner::Status::Stopped) slice.stopped = true;
      done_ = true;  // End or Stopped
      return;
    }
  }

  Batch decode(detail::Slice& slice) {
    if (!executor_) executor_ = Executor::use(options_.executor, options_.threads);
    Batch batch = detail::decode_slice_parallel(slice, options_, *executor_);
    if (batch.stopped) {
      stopped_ = true;
      done_ = true;
    }
    return batch;
  }

  ReadOptions options_;
  Format format_;
  RecordScanner scanner_;
  std::shared_ptr<Executor> executor_;
  std::string carry_;
  std::uint64_t carry_base_ = 0;
  std::uint64_t batches_ = 0;
  bool done_ = false;
  bool stopped_ = false;
};

/// MARCXML, MARC-in-JSON and MARCMaker: their readers pull, so one runs on a thread of its own
/// that reads only from what has been fed (a channel in memory). feed() returns once that
/// thread has used up every byte and waits for more, so all the records those bytes completed
/// have been handed over.
class StreamDecoder final : public Decoder::Impl {
  struct Channel {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::string> chunks;
    std::size_t front_pos = 0;
    bool closed = false;       ///< no more bytes will come
    bool waiting = false;      ///< the reader has used up every chunk and waits for more
    bool reader_done = false;
    std::exception_ptr error;
    Batch out;                 ///< records and diagnostics not yet handed over
    std::uint64_t seen = 0;
    bool stopped = false;
  };

  class ChannelSource final : public ByteSource {
   public:
    ChannelSource(Channel& channel, std::string name) : channel_(channel), name_(std::move(name)) {}
    std::size_t read(char* buf, std::size_t n) override {
      std::unique_lock lock(channel_.mutex);
      while (channel_.chunks.empty() && !channel_.closed) {
        channel_.waiting = true;
        channel_.changed.notify_all();
        channel_.changed.wait(lock);
      }
      channel_.waiting = false;
      if (channel_.chunks.empty()) return 0;
      const std::string& front = channel_.chunks.front();
      const std::size_t k = std::min(n, front.size() - channel_.front_pos);
      std::memcpy(buf, front.data() + channel_.front_pos, k);
      channel_.front_pos += k;
      if (channel_.front_pos == front.size()) {
        channel_.chunks.pop_front();
        channel_.front_pos = 0;
      }
      return k;
    }
    const std::string& name() const override { return name_; }

   private:
    Channel& channel_;
    std::string name_;
  };

 public:
  StreamDecoder(const ReadOptions& options, Format format, const std::string& name) : format_(format) {
    auto stream = open_record_stream(format, std::make_unique<ChannelSource>(channel_, name), options);
    worker_ = std::thread([this, stream = std::move(stream)] {
      Channel& c = channel_;
      try {
        Record record;
        for (;;) {
          Diagnostics diags;
          const bool got = stream->next(record, diags);
          std::lock_guard lock(c.mutex);
          for (auto& d : diags) c.out.diagnostics.push_back(std::move(d));
          c.seen = stream->records_seen();
          if (!got) break;
          BatchRecord& rec = c.out.records.emplace_back();
          rec.number = stream->records_seen();
          rec.offset = stream->last_offset();
          rec.end = stream->last_end();
          rec.record = std::move(record);
        }
      } catch (...) {
        std::lock_guard lock(c.mutex);
        c.error = std::current_exception();
      }
      std::lock_guard lock(c.mutex);
      c.reader_done = true;
      c.changed.notify_all();
    });
  }

  ~StreamDecoder() override {
    {
      std::lock_guard lock(channel_.mutex);
      channel_.closed = true;
      channel_.changed.notify_all();
    }
    worker_.join();
  }

  Batch feed(std::string_view bytes, bool at_end) override {
    Channel& c = channel_;
    std::unique_lock lock(c.mutex);
    if (!bytes.empty()) c.chunks.emplace_back(bytes);
    if (at_end) c.closed = true;
    c.changed.notify_all();
    // At the end, wait for the reader to finish: `waiting` may still be set from before the
    // channel was closed (the reader has not woken yet), and what it reads after the close (a
    // last record, the diagnostic of a broken one) would be lost.
    c.changed.wait(lock, [&] { return c.reader_done || (!at_end && c.waiting && c.chunks.empty()); });
    if (c.error) {
      auto e = c.error;
      c.error = nullptr;
      std::rethrow_exception(e);
    }
    Batch batch = std::move(c.out);
    c.out = Batch{};
    batch.index = batches_++;
    batch.records_seen = c.seen;
    detail::tally_stream_batch(batch);
    if (batch.stopped) c.stopped = true;
    return batch;
  }

  Format format() const override { return format_; }
  bool stopped() const override {
    std::lock_guard lock(const_cast<Channel&>(channel_).mutex);
    return channel_.stopped;
  }
  std::uint64_t records_seen() const override {
    std::lock_guard lock(const_cast<Channel&>(channel_).mutex);
    return channel_.seen;
  }
  std::uint64_t bytes_held() const override {
    std::lock_guard lock(const_cast<Channel&>(channel_).mutex);
    std::uint64_t n = 0;
    for (const auto& c : channel_.chunks) n += c.size();
    return n - channel_.front_pos;
  }

 private:
  Format format_;
  Channel channel_;
  std::thread worker_;
  std::uint64_t batches_ = 0;
};

}  // namespace

Decoder::Decoder(ReadOptions options, std::string name) : options_(std::move(options)), name_(std::move(name)) {}

Decoder::~Decoder() = default;

Batch Decoder::decode_held(bool at_end) {
  if (!impl_) {
    const Format format = options_.format ? *options_.format : detect_input_format(held_, name_);
    if (format == Format::Csv || format == Format::Unknown)
      throw std::invalid_argument("cannot read " + std::string(format_name(format)) + ": it is an output-only format");
    if (is_iso2709(format)) impl_ = std::make_unique<Iso2709Decoder>(options_, format);
    else impl_ = std::make_unique<StreamDecoder>(options_, format, name_);
  }
  std::string bytes = std::move(held_);
  held_.clear();
  return impl_->feed(bytes, at_end);
}

Batch Decoder::feed(std::string_view bytes) {
  if (finished_) throw std::logic_error("Decoder::feed after finish()");
  if (in_place_) throw std::logic_error("Decoder::feed after feed_from()");
  fed_by_feed_ = true;
  fed_ += bytes.size();
  if (impl_) return impl_->feed(bytes, false);
  held_.append(bytes);
  // The format is told from 64 KB, or from less once more could not change it (a slow pipe's or
  // socket's first records are not held back): asked each time the bytes held have doubled.
  if (!options_.format && held_.size() < kDetectBytes) {
    if (held_.size() < detect_ask_at_) return {};
    if (!detection_settled(held_)) {
      detect_ask_at_ = 2 * held_.size();
      return {};
    }
  }
  return decode_held(false);
}

Batch Decoder::finish() {
  if (finished_) return {};
  finished_ = true;
  if (in_place_) return {};  // feed_from() reads to the end itself: finishing early stops there
  if (impl_) return impl_->feed({}, true);
  return decode_held(true);
}

Batch Decoder::feed_from(std::string_view whole, std::size_t max_bytes, const std::shared_ptr<const void>& owner) {
  if (finished_) return {};
  if (fed_by_feed_) throw std::logic_error("Decoder::feed_from after feed()");
  in_place_ = true;
  if (!impl_) {
    held_.assign(whole.substr(0, kDetectBytes));  // what detection looks at (feed() holds as much)
    const Format format = options_.format ? *options_.format : detect_input_format(held_, name_);
    held_.clear();
    if (format == Format::Csv || format == Format::Unknown)
      throw std::invalid_argument("cannot read " + std::string(format_name(format)) + ": it is an output-only format");
    if (is_iso2709(format)) impl_ = std::make_unique<Iso2709Decoder>(options_, format);
    else impl_ = std::make_unique<StreamDecoder>(options_, format, name_);
  }
  const std::size_t begin = static_cast<std::size_t>(std::min<std::uint64_t>(fed_, whole.size()));
  const std::size_t end = begin + std::min(std::max<std::size_t>(max_bytes, 1), whole.size() - begin);
  if (!is_iso2709(impl_->format())) {
    // Read from a channel by a reader of their own: fed as feed() feeds them, then ended.
    if (begin == whole.size()) {
      finished_ = true;
      return impl_->feed({}, true);
    }
    fed_ = end;
    return impl_->feed(whole.substr(begin, end - begin), false);
  }
  std::size_t pos = begin;
  Batch batch = impl_->feed_in_place(whole, pos, end, owner);
  // (pos stays put only at the end: a scan that reads nothing has ended.)
  if (pos >= whole.size() || impl_->stopped() || (pos == begin && batch.empty())) finished_ = true;
  fed_ = pos;
  return batch;
}

Batch Decoder::read_from(ByteSource& source, const std::shared_ptr<const void>& owner, std::size_t chunk) {
  chunk = std::max<std::size_t>(chunk, 1);
  if (const auto whole = source.contiguous()) {
    // What the batches before this one held is not needed in memory any more.
    source.release_before(options_.release_point(bytes_fed()));
    while (!finished_) {
      Batch batch = feed_from(*whole, chunk, owner);
      if (!batch.empty()) return batch;
    }
    return {};
  }
  if (read_buffer_.size() != chunk) read_buffer_.resize(chunk);
  while (!finished_) {
    const std::size_t n = source.read(read_buffer_.data(), read_buffer_.size());
    Batch batch = n == 0 ? finish() : feed(std::string_view(read_buffer_.data(), n));
    if (n == 0 && !stopped()) {
      if (const auto damage = source.damage(); damage && !damage->message.empty()) {
        // The input ended early (a gzip stream cut short): said after the records before it.
        batch.diagnostics.emplace_back(Severity::Error, Code::InputDamaged, 0, damage->offset, std::string(), 0,
                                       damage->message);
        batch.begin_offset = std::min(batch.begin_offset, damage->offset);
        batch.end_offset = std::max(batch.end_offset, damage->offset);
      }
    }
    if (stopped()) finished_ = true;  // Strict mode stopped: nothing more comes
    if (!batch.empty()) return batch;
  }
  return {};
}

Format Decoder::format() const { return impl_ ? impl_->format() : Format::Unknown; }
bool Decoder::stopped() const { return impl_ && impl_->stopped(); }
std::uint64_t Decoder::records_seen() const { return impl_ ? impl_->records_seen() : 0; }
std::uint64_t Decoder::bytes_fed() const { return fed_; }
std::uint64_t Decoder::bytes_held() const { return held_.size() + (impl_ ? impl_->bytes_held() : 0); }

}  // namespace marcscope
