#include "marcscope/read/record_reader.h"

#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <thread>

#include "marcscope/iso2709/iso2709_reader.h"
#include "marcscope/read/decoder.h"
#include "marcscope/read/pipeline.h"
#include "marcscope/read/stream_pipeline.h"

namespace marcscope {
namespace {

bool is_iso2709(Format format) { return format == Format::Iso2709 || format == Format::Iso2709Marc8; }

/// ISO 2709 through the Pipeline (Iso2709Marc8: MARC-8 whatever leader/09 says).
class Iso2709RecordReader final : public RecordReader {
 public:
  Iso2709RecordReader(std::unique_ptr<ByteSource> source, Format format, ReadOptions options)
      : RecordReader(format, source->name(), source->size(), options), source_(std::move(source)) {}

 protected:
  void push(const BatchConsumer& consume, const BatchTransform& transform, const JobControl& control) override {
    ReadOptions o = options();
    if (format() == Format::Iso2709Marc8) o.decode.encoding = EncodingChoice::ForceMarc8;
    source_->interrupt_on(control.stop);  // a pipe's idle writer does not hold up a stop
    Pipeline pipeline(std::move(source_), std::move(o), transform);
    pipeline.run(consume, control);
  }

 private:
  std::unique_ptr<ByteSource> source_;
};

/// MARCXML, MARC-in-JSON and MARCMaker through run_stream_pipeline.
class StreamRecordReader final : public RecordReader {
 public:
  StreamRecordReader(std::unique_ptr<ByteSource> source, Format format, ReadOptions options)
      : RecordReader(format, source->name(), source->size(), options), source_(std::move(source)) {}

 protected:
  void push(const BatchConsumer& consume, const BatchTransform& transform, const JobControl& control) override {
    source_->interrupt_on(control.stop);
    run_stream_pipeline(format(), std::move(source_), options(), transform, consume, control);
  }

 private:
  std::unique_ptr<ByteSource> source_;
};

/// Any format on the calling thread through the push Decoder, without oneTBB (ReadOptions::serial).
class SerialRecordReader final : public RecordReader {
 public:
  SerialRecordReader(std::unique_ptr<ByteSource> source, Format format, ReadOptions options)
      : RecordReader(format, source->name(), source->size(), options), source_(std::move(source)) {}

 protected:
  void push(const BatchConsumer& consume, const BatchTransform& transform, const JobControl& control) override {
    ReadOptions o = options();  // the format as the caller gave it: the Decoder detects it as open() did
    o.executor = nullptr;
    o.threads = 1;  // the Decoder then decodes on this thread and never runs its executor
    Decoder decoder(std::move(o), name());
    ProgressThrottle progress(control);
    // A mapped file (or bytes in memory) is decoded where it lies, the batches keeping the source.
    const std::shared_ptr<const void> owner = source_;
    source_->interrupt_on(control.stop);
    while (!control.stop.stop_requested()) {
      Batch batch = decoder.read_from(*source_, owner, 1u << 20);
      if (control.stop.stop_requested()) break;  // a read cut short is not the input's end
      if (batch.empty()) break;  // the end
      if (transform) transform(batch);
      if (!consume(batch)) return;
      progress.report(batch.records_seen, decoder.bytes_fed(), source_->size());
    }
    progress.report(decoder.records_seen(), decoder.bytes_fed(), source_->size(), true);
  }

 private:
  std::shared_ptr<ByteSource> source_;  ///< shared: batches decoded in place keep it
};

std::string shown_start(std::string_view head) {
  std::string shown;
  for (unsigned char c : head.substr(0, 16)) shown += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
  return shown;
}

}  // namespace

Format detect_input_format(std::unique_ptr<ByteSource>& source, const ReadOptions& options) {
  if (options.format) return *options.format;
  // A pipe's first records decide it as soon as they have come (detection_settled()).
  return detect_input_format(peek(source, 65536, detection_settled), source->name());
}

Format detect_input_format(std::string_view head, const std::string& name) {
  if (head.empty()) return Format::Iso2709;  // nothing to read: no records, no error
  const bool is_path = !name.empty() && name.front() != '<';
  const Format format = detect_format(head, is_path ? std::string_view(name) : std::string_view{});
  const std::string shown = is_path ? "'" + name + "'" : name == "<stdin>" ? "standard input" : name;
  // Readers of paths and byte sources undo gzip before they look (maybe_gunzip); bytes pushed
  // to a Decoder are taken as they come.
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1F && static_cast<unsigned char>(head[1]) == 0x8B)
    throw NotMarcError("not MARC: " + shown +
                       " is gzip-compressed data; decompress it first (Python: gzip.open(), or give the path, which is "
                       "read decompressed)");
  // UTF-16 (a byte order mark, or '<' and '?' in two-byte units, as Windows tools save XML): said
  // as such, with the way out, rather than as bytes that are no MARC.
  const auto byte = [&](std::size_t i) { return i < head.size() ? static_cast<unsigned char>(head[i]) : 0x100u; };
  if ((byte(0) == 0xFF && byte(1) == 0xFE) || (byte(0) == 0xFE && byte(1) == 0xFF) ||
      (byte(0) == '<' && byte(1) == 0 && byte(2) == '?' && byte(3) == 0) ||
      (byte(0) == 0 && byte(1) == '<' && byte(2) == 0 && byte(3) == '?'))
    throw NotMarcError("not MARC: " + shown +
                       " is UTF-16 text; MARC is read in UTF-8 (or MARC-8): convert it first, for example with "
                       "`iconv -f UTF-16 -t UTF-8`");
  if (format == Format::Unknown || (is_iso2709(format) && !looks_like_iso2709(head)))
    throw NotMarcError("not MARC: " + shown + " is not ISO 2709, MARCXML, MARC-in-JSON or MARCMaker text (it starts with \"" +
                       shown_start(head) + "\")");
  std::string why;
  if (marc_evidence(format, head, head.size() < 65536, &why) == MarcEvidence::No)
    throw NotMarcError("not MARC: " + shown + " is " + why);
  return format;
}

// ------------------------------------------------------------------------------------ opening

std::unique_ptr<RecordReader> RecordReader::open(const std::string& path, ReadOptions options) {
  return open(open_source(path), std::move(options));
}

std::unique_ptr<RecordReader> RecordReader::open(std::unique_ptr<ByteSource> source, ReadOptions options) {
  if (!source) throw std::invalid_argument("RecordReader::open: no input");
  source = maybe_gunzip(std::move(source));
  const Format format = detect_input_format(source, options);
  if (format == Format::Csv || format == Format::Unknown)
    throw std::invalid_argument("cannot read " + std::string(format_name(format)) + ": it is an output-only format");
  std::shared_ptr<const SourceDamage> damage = source->damage();  // outlives the source
  std::unique_ptr<RecordReader> reader;
  if (options.serial)
    reader = std::make_unique<SerialRecordReader>(std::move(source), format, std::move(options));
  else if (is_iso2709(format))
    reader = std::make_unique<Iso2709RecordReader>(std::move(source), format, std::move(options));
  else
    reader = std::make_unique<StreamRecordReader>(std::move(source), format, std::move(options));
  reader->damage_ = std::move(damage);
  return reader;
}

std::unique_ptr<RecordReader> RecordReader::open_bytes(std::string bytes, ReadOptions options, std::string name) {
  return open(make_memory_source(std::move(bytes), std::move(name)), std::move(options));
}

RecordReader::RecordReader(Format format, std::string name, std::optional<std::uint64_t> size, ReadOptions options)
    : format_(format), name_(std::move(name)), size_(size), options_(std::move(options)) {}

// ------------------------------------------------------------------------------------ pushing

ReadSummary RecordReader::push_counted(const BatchConsumer& consume, const BatchTransform& transform,
                                       const JobControl& control) {
  ReadSummary summary;
  // The caller's stop token and cancel() both end the job.
  JobControl inner = control;
  inner.stop = stop_.get_token();
  std::stop_callback forward(control.stop, [this] { stop_.request_stop(); });
  bool consumer_ended = false;
  bool damage_said = false;
  push(
      [&](Batch& batch) {
        summary.records_seen = std::max(summary.records_seen, batch.records_seen);
        summary.delivered += batch.records.size();
        summary.skipped += batch.skipped.size();
        for (const auto& r : batch.records) summary.repaired += r.repaired ? 1 : 0;
        if (batch.stopped) stopped_ = true;
        if (summary.not_marc.empty())
          for (const auto& d : batch.diagnostics)
            if (d.code == Code::NotMarc) {
              summary.not_marc = d.message;
              break;
            }
        if (damage_ && !batch.diagnostics.empty() && batch.diagnostics.back().code == Code::InputDamaged)
          damage_said = true;  // the Decoder said it (SerialRecordReader)
        const bool more = consume(batch);
        if (!more) consumer_ended = true;
        return more;
      },
      transform, inner);
  summary.stopped = stopped_.load();
  summary.cancelled = consumer_ended || stop_.stop_requested();
  if (damage_ && !damage_->message.empty() && !damage_said && !summary.stopped && !summary.cancelled) {
    // The input ended early (a truncated or corrupt gzip stream): every record before it was
    // delivered; one last batch says what happened, and where.
    Batch last;
    last.begin_offset = last.end_offset = damage_->offset;
    last.records_seen = summary.records_seen;
    last.diagnostics.emplace_back(Severity::Error, Code::InputDamaged, 0, damage_->offset, std::string(), 0,
                                  damage_->message);
    if (transform) transform(last);
    consume(last);
  }
  if (summary.delivered > 0 || summary.skipped > 0) summary.not_marc.clear();
  return summary;
}

ReadSummary RecordReader::run(const BatchConsumer& consume, const BatchTransform& transform, const JobControl& control) {
  if (pull_) throw std::logic_error("RecordReader::run after next() or next_batch(): a reader is either pulled or run");
  if (pushed_) throw std::logic_error("RecordReader::run called twice");
  pushed_ = true;
  ReadSummary summary = push_counted(consume, transform, control);
  seen_ = summary.records_seen;
  return summary;
}

void RecordReader::cancel() { stop_.request_stop(); }

bool RecordReader::cancelled() const { return stop_.stop_requested(); }
bool RecordReader::stopped() const { return stopped_.load(); }

// ------------------------------------------------------------------------------------ pulling

// The pipeline runs on a background thread and hands batches over through a bounded queue:
// memory stays bounded by the queue plus the pipeline's tokens.
struct RecordReader::Pull {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Batch> queue;
  std::size_t capacity = 4;
  bool finished = false;
  std::exception_ptr error;
  std::thread worker;
  std::optional<std::stop_callback<std::function<void()>>> wake;
  Batch pending;
  std::size_t pending_record = 0, pending_skip = 0;
  bool pending_valid = false;
  /// Batches handed back (give_back(), and the pipeline's batches once drained): the worker frees
  /// them when it next hands one over, off the consuming thread.
  std::vector<Batch> spent;
  static constexpr std::size_t kMaxSpent = 64;  ///< past this, give_back() frees on the caller's thread

  ~Pull() {
    if (worker.joinable()) worker.join();
  }
};

RecordReader::~RecordReader() {
  stop_.request_stop();
  pull_.reset();  // joins the worker, which the stop request has ended
}

RecordReader::Pull& RecordReader::pull() {
  if (pushed_) throw std::logic_error("RecordReader::next_batch after run(): the reader has been read to its end");
  if (!pull_) {
    pull_ = std::make_unique<Pull>();
    Pull& p = *pull_;
    p.wake.emplace(stop_.get_token(), std::function<void()>([&p] {
                     std::lock_guard lock(p.mutex);
                     p.changed.notify_all();
                   }));
    p.worker = std::thread([this, &p] {
      try {
        push_counted(
            [this, &p](Batch& batch) {
              std::vector<Batch> spent;  // freed here, after the lock, on this thread
              std::unique_lock lock(p.mutex);
              p.changed.wait(lock, [&] { return p.queue.size() < p.capacity || stop_.stop_requested(); });
              if (stop_.stop_requested()) return false;
              p.queue.push_back(std::move(batch));
              p.changed.notify_all();
              spent.swap(p.spent);
              lock.unlock();
              // The records of the batches given back go where this one's were: the pipeline
              // decodes into them again (their views' room reused) rather than this thread
              // freeing them (Pipeline::State::spare_records).
              for (Batch& b : spent) {
                // Only the records' views' room is kept: models and UTF-8 forms go here, and so
                // does a view whose room a record of very many fields left large.
                for (BatchRecord& r : b.records) {
                  r.record = Record();
                  r.transcoded.reset();
                  if (r.view.fields().capacity() > 512) r.view = RecordView();
                }
                if (batch.records.empty()) batch.records = std::move(b.records);
                else batch.records.insert(batch.records.end(), std::make_move_iterator(b.records.begin()),
                                          std::make_move_iterator(b.records.end()));
              }
              return true;
            },
            {}, {});
      } catch (...) {
        std::lock_guard lock(p.mutex);
        p.error = std::current_exception();
      }
      std::vector<Batch> spent;  // freed after the lock
      std::lock_guard lock(p.mutex);
      p.finished = true;
      p.changed.notify_all();
      spent.swap(p.spent);
    });
  }
  return *pull_;
}

bool RecordReader::wait(std::chrono::milliseconds within) {
  Pull& p = pull();
  if (p.pending_valid) return true;  // what is left of the batch being handed out
  std::unique_lock lock(p.mutex);
  return p.changed.wait_for(lock, within, [&] { return !p.queue.empty() || p.finished; });
}

Batch RecordReader::next_batch(std::size_t max_records) {
  if (max_records == 0) max_records = 1;
  Pull& p = pull();
  Batch out;
  for (;;) {
    if (!p.pending_valid) {
      std::unique_lock lock(p.mutex);
      p.changed.wait(lock, [&] { return !p.queue.empty() || p.finished; });
      if (p.queue.empty()) {
        if (p.error) {
          auto e = p.error;
          p.error = nullptr;
          std::rethrow_exception(e);
        }
        return out;  // the end (or what is left of a cancelled read)
      }
      p.pending = std::move(p.queue.front());
      p.queue.pop_front();
      p.changed.notify_all();
      p.pending_record = p.pending_skip = 0;
      p.pending_valid = true;
      out.index = p.pending.index;
      out.begin_offset = p.pending.begin_offset;
    }
    Batch& b = p.pending;
    out.keep_alive = b.keep_alive;
    out.stopped = b.stopped;
    out.end_offset = b.end_offset;
    const std::size_t left = b.records.size() - p.pending_record;
    const std::size_t take = std::min(max_records - out.records.size(), left);
    const bool drained = take == left;
    if (out.records.empty() && p.pending_record == 0 && drained) {
      // The whole pipeline batch: its vector moves, not each record (which the consuming thread
      // would read and write cold, having been made on another core).
      out.records = std::move(b.records);
    } else {
      if (out.records.empty()) out.records.reserve(take);
      for (std::size_t i = 0; i < take; ++i) out.records.push_back(std::move(b.records[p.pending_record + i]));
    }
    p.pending_record += take;
    // Skipped records and diagnostics go with the records they come before or name; whatever
    // remains goes with the batch's last part.
    const std::uint64_t last = out.records.empty() ? 0 : out.records.back().number;
    while (p.pending_skip < b.skipped.size() && (drained || b.skipped[p.pending_skip].number < last))
      out.skipped.push_back(b.skipped[p.pending_skip++]);
    auto it = b.diagnostics.begin();
    while (it != b.diagnostics.end() && (drained || it->record == 0 || it->record <= last)) ++it;
    out.diagnostics.insert(out.diagnostics.end(), std::make_move_iterator(b.diagnostics.begin()), std::make_move_iterator(it));
    b.diagnostics.erase(b.diagnostics.begin(), it);
    out.records_seen = drained ? b.records_seen : last;
    if (drained) {
      p.pending_valid = false;
      p.pending.records.clear();  // moved out, one by one or whole: nothing to decode into again
      give_back(std::move(p.pending));
      p.pending = Batch{};
    }
    // A batch the pipeline delivered always holds something; an empty part means there is more to take.
    if (out.empty() && drained) continue;
    seen_ = std::max(seen_, out.records_seen);
    // One pipeline batch at a time: the records returned share its keep-alive.
    return out;
  }
}

void RecordReader::give_back(Batch&& done) {
  Batch batch = std::move(done);
  if (!pull_) return;  // not pulled: freed here
  Pull& p = *pull_;
  std::lock_guard lock(p.mutex);
  if (p.finished || p.spent.size() >= Pull::kMaxSpent) return;  // no worker left to free it (or it lags)
  p.spent.push_back(std::move(batch));
}

ReadStep RecordReader::next(BatchRecord& record, Diagnostics& diags) {
  for (;;) {
    const bool records_left = current_record_ < current_.records.size();
    const bool skips_left = current_skip_ < current_.skipped.size();
    if (!records_left && !skips_left) {
      for (; current_diag_ < current_.diagnostics.size(); ++current_diag_)
        diags.push_back(std::move(current_.diagnostics[current_diag_]));
      current_ = next_batch(1024);
      current_record_ = current_skip_ = current_diag_ = 0;
      if (current_.empty()) return ReadStep::End;
      continue;
    }
    const bool take_record =
        records_left && (!skips_left || current_.records[current_record_].number < current_.skipped[current_skip_].number);
    const std::uint64_t number = take_record ? current_.records[current_record_].number : current_.skipped[current_skip_].number;
    for (; current_diag_ < current_.diagnostics.size(); ++current_diag_) {
      const Diagnostic& d = current_.diagnostics[current_diag_];
      if (d.record > number) break;
      diags.push_back(std::move(current_.diagnostics[current_diag_]));
    }
    if (take_record) {
      record = std::move(current_.records[current_record_++]);
      return ReadStep::Record;
    }
    const SkippedRecord& s = current_.skipped[current_skip_++];
    record = BatchRecord{};
    record.number = s.number;
    record.offset = s.offset;
    record.end = s.offset + s.bytes.size();
    record.bytes = s.bytes;
    record.status = RecordStatus::kSkipped;
    return ReadStep::Skipped;
  }
}

}  // namespace marcscope
