#include "marcscope/read/stream_pipeline.h"

#include <tbb/parallel_pipeline.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "marcscope/core/executor.h"

#include "core/inflight.h"
#include "formats/json_fast.h"
#include "formats/marcxml_fast.h"
#include "stream_batch.h"
#include "core/tsan_annotations.h"

namespace marcscope {
namespace {

std::size_t token_count(const ReadOptions& o, const Executor& executor) {
  return o.tokens ? o.tokens : 2 * executor.threads() + 2;
}

/// A second reader over a mapped file that another source owns: bytes already read are handed
/// back to the owner for release, as the owner's own read() does. (The owner only releases
/// forward, so after a fallback the pages up to the bad chunk, read again, stay resident until
/// the file is closed: bounded by where the file went wrong.)
class ViewSource final : public ByteSource {
 public:
  ViewSource(std::string_view bytes, ByteSource& owner) : bytes_(bytes), owner_(owner) {}
  std::size_t read(char* buf, std::size_t n) override {
    n = std::min(n, bytes_.size() - pos_);
    std::copy_n(bytes_.data() + pos_, n, buf);
    pos_ += n;
    owner_.release_before(pos_);
    return n;
  }
  std::optional<std::string_view> contiguous() const override { return bytes_; }
  std::optional<std::uint64_t> size() const override { return bytes_.size(); }
  const std::string& name() const override { return owner_.name(); }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
  ByteSource& owner_;
};

// ------------------------------------------------------------------ serial reading, parallel work

/// Reads batches from `stream` in order, runs `transform` on them in parallel and delivers them in
/// order. `pending` diagnostics (found before) go with the first batch.
/// `waits_on`: the stream's source when reading it may wait for a writer (not a mapped file):
/// a batch is then handed over as soon as the source is idle, not once it is full.
void run_serial(RecordStream& stream, Diagnostics pending, std::uint64_t first_index, const ReadOptions& options,
                Executor& executor, std::optional<std::uint64_t> total_bytes, const BatchTransform& transform,
                const BatchConsumer& consume, const JobControl& control, StreamPipelineResult& result,
                const ByteSource* waits_on = nullptr) {
  tbb::task_group_context context;
  bool done = false;      // slicer only
  bool finished = false;  // delivery only
  char filters_done = 0;  // ThreadSanitizer's view of the pipeline's end (tsan_annotations.h)
  std::uint64_t index = first_index;
  ProgressThrottle progress(control);
  detail::Inflight<Batch> inflight;

  // Serial stages touch state of their own across calls, and items move between stages as raw
  // pointers: oneTBB orders both, but is not instrumented, so ThreadSanitizer is told (no-ops
  // otherwise), as in pipeline.cpp.
  auto reader = tbb::make_filter<void, Batch*>(tbb::filter_mode::serial_in_order, [&](tbb::flow_control& fc) -> Batch* {
    PIPELINE_TAKEOVER();
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(&done);
    struct Leave {
      bool* token;
      ~Leave() { HAPPENS_BEFORE(token); }
    } leave{&done};
    if (done || control.stop.stop_requested()) {
      fc.stop();
      return nullptr;
    }
    auto batch = std::make_unique<Batch>();
    batch->index = index++;
    batch->diagnostics = std::move(pending);
    pending.clear();
    Record record;
    while (batch->records.size() < options.batch_records) {
      // A writer that has paused (a pipe, a socket): the records that have come go now, as a
      // record-at-a-time reader would hand them over, rather than once the batch is full.
      if (waits_on && !batch->records.empty() && !waits_on->ready()) break;
      if (!stream.next(record, batch->diagnostics)) {
        done = true;
        break;
      }
      BatchRecord rec;
      rec.number = stream.records_seen();
      rec.offset = stream.last_offset();
      rec.end = stream.last_end();
      rec.record = std::move(record);
      batch->records.push_back(std::move(rec));
    }
    // Stopped while reading: the input may have looked as if it ended (a read of an idle pipe
    // cut short, ByteSource::interrupt_on), so what this batch holds is not delivered.
    if (control.stop.stop_requested()) {
      fc.stop();
      return nullptr;
    }
    detail::tally_stream_batch(*batch);
    if (batch->stopped) done = true;
    batch->records_seen = stream.records_seen();
    batch->end_offset = stream.last_offset();
    if (batch->records.empty() && batch->diagnostics.empty()) {
      fc.stop();
      return nullptr;
    }
    HAPPENS_BEFORE(batch.get());
    return inflight.park(std::move(batch));
  });
  auto work = tbb::make_filter<Batch*, Batch*>(tbb::filter_mode::parallel, [&](Batch* batch) -> Batch* {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(batch);
    if (transform) transform(*batch);
    HAPPENS_BEFORE(batch);
    return batch;
  });
  auto deliver = tbb::make_filter<Batch*, Batch*>(tbb::filter_mode::serial_in_order, [&](Batch* batch) -> Batch* {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(batch);
    HAPPENS_AFTER(&finished);
    struct Leave {
      Batch* batch;
      bool* token;
      ~Leave() {
        HAPPENS_BEFORE(token);
        HAPPENS_BEFORE(batch);
      }
    } leave{batch, &finished};
    if (finished) return batch;
    result.records_seen = batch->records_seen;
    if (batch->stopped) result.stopped = true;
    const bool more = consume(*batch);
    if (!more || batch->stopped) {
      finished = true;
      context.cancel_group_execution();
    }
    progress.report(batch->records_seen, batch->end_offset, total_bytes);
    return batch;
  });
  auto release = tbb::make_filter<Batch*, void>(tbb::filter_mode::parallel, [&](Batch* batch) {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(batch);
    inflight.claim(batch).reset();
  });

  // Made before the hand-off, as the filters are: oneTBB may run it on a worker.
  const std::function<void()> start = [&] {
    PIPELINE_TAKEOVER();
    PIPELINE_FILTER_EXIT(&filters_done);
    tbb::parallel_pipeline(token_count(options, executor), reader & work & deliver & release, context);
  };
  PIPELINE_HANDOFF();
  {
    PIPELINE_JOINED(&filters_done);
    executor.run(start);
  }
  HAPPENS_AFTER(&done);
  HAPPENS_AFTER(&finished);
  result.records_seen = std::max(result.records_seen, stream.records_seen());
  // Read to its end, the input's size if known; else (a pipe, or stopped early) where the last
  // record read ended.
  const bool whole = !finished && !control.stop.stop_requested();
  progress.report(result.records_seen, whole && total_bytes ? *total_bytes : stream.last_end(), total_bytes, true);
}

// ------------------------------------------------------------------ MARCXML in chunks

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_name_end(char c) { return is_space(c) || c == '>' || c == '/'; }

/// How a MARCXML document can be cut: the bytes before the first record (prologue and root start
/// tag), the root's end tag, and the records' end tag.
struct XmlPlan {
  std::size_t body_start = 0;
  std::string header;
  std::string closing;
  std::string record_end;
};

/// Position after the comments, processing instructions and blanks at `p`, or npos when one of
/// them is not closed.
std::size_t skip_misc(std::string_view doc, std::size_t p) {
  while (p < doc.size()) {
    if (is_space(doc[p])) {
      ++p;
    } else if (doc.compare(p, 4, "<!--") == 0) {
      const std::size_t e = doc.find("-->", p + 4);
      if (e == std::string_view::npos) return e;
      p = e + 3;
    } else if (doc.compare(p, 2, "<?") == 0 && doc.compare(p, 5, "<?xml") != 0) {
      const std::size_t e = doc.find("?>", p + 2);
      if (e == std::string_view::npos) return e;
      p = e + 2;
    } else {
      break;
    }
  }
  return p;
}

/// The qualified name of the start tag at `p` ('<' at p), or empty.
std::string_view start_tag_name(std::string_view doc, std::size_t p) {
  if (p >= doc.size() || doc[p] != '<') return {};
  std::size_t e = p + 1;
  while (e < doc.size() && !is_name_end(doc[e])) ++e;
  if (e == p + 1 || e >= doc.size()) return {};
  const std::string_view name = doc.substr(p + 1, e - p - 1);
  if (name.find_first_of("!?<&\"'=") != std::string_view::npos) return {};
  return name;
}

std::string_view local_part(std::string_view qname) {
  const std::size_t colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

std::optional<XmlPlan> plan_marcxml(std::string_view doc) {
  std::size_t p = 0;
  if (doc.substr(0, 3) == "\xEF\xBB\xBF") p = 3;
  while (p < doc.size() && is_space(doc[p])) ++p;
  if (doc.compare(p, 5, "<?xml") == 0) {
    const std::size_t e = doc.find("?>", p);
    if (e == std::string_view::npos) return std::nullopt;
    // Only UTF-8 (declared or by default): the chunks are parsed from the same bytes.
    const std::string_view decl = doc.substr(p, e - p);
    if (const std::size_t enc = decl.find("encoding"); enc != std::string_view::npos) {
      const std::size_t q = decl.find_first_of("\"'", enc);
      if (q == std::string_view::npos) return std::nullopt;
      const std::size_t q2 = decl.find(decl[q], q + 1);
      if (q2 == std::string_view::npos) return std::nullopt;
      std::string name(decl.substr(q + 1, q2 - q - 1));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name != "utf-8" && name != "utf8") return std::nullopt;
    }
    p = e + 2;
  }
  p = skip_misc(doc, p);
  if (p == std::string_view::npos) return std::nullopt;
  // The root: <collection ...> in any prefix; a DOCTYPE (entities) or anything else is left to
  // the serial reader.
  const std::string_view root = start_tag_name(doc, p);
  if (root.empty() || local_part(root) != "collection") return std::nullopt;
  std::size_t e = p + 1 + root.size();
  char quote = 0;
  for (; e < doc.size(); ++e) {
    const char c = doc[e];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '<') {
      return std::nullopt;
    } else if (c == '>') {
      break;
    }
  }
  if (e >= doc.size() || doc[e - 1] == '/') return std::nullopt;  // unclosed, or an empty <collection/>
  XmlPlan plan;
  plan.body_start = e + 1;
  std::size_t r = skip_misc(doc, plan.body_start);
  if (r == std::string_view::npos) return std::nullopt;
  const std::string_view record = start_tag_name(doc, r);
  if (record.empty() || local_part(record) != "record") return std::nullopt;
  plan.header.assign(doc.substr(0, plan.body_start));
  plan.closing = "</" + std::string(root) + ">";
  plan.record_end = "</" + std::string(record) + ">";
  return plan;
}

struct Chunk {
  std::uint64_t index = 0;
  std::size_t begin = 0, end = 0;
  bool last = false;
  bool clean = false;
  bool fast = false;
  bool dropped = false;
  Batch batch;
};

/// The records of a chunk's text (a MARCXML or JSON document of its own) read by the format's
/// streaming reader into `batch`, their offsets moved back into the file by `shift`. Returns
/// whether the chunk is clean: no diagnostic and every record seen delivered.
bool read_chunk_text(Format format, std::string text, std::uint64_t shift, const std::string& name,
                     const ReadOptions& options, Batch& batch) {
  auto stream = open_record_stream(format, make_memory_source(std::move(text), name), options);
  Record record;
  while (stream->next(record, batch.diagnostics)) {
    BatchRecord rec;
    rec.offset = stream->last_offset() + shift;
    rec.end = stream->last_end() + shift;
    rec.status = RecordStatus::kUtf8;
    rec.record = std::move(record);
    batch.records.push_back(std::move(rec));
  }
  return batch.diagnostics.empty() && stream->records_seen() == batch.records.size();
}

/// A chunk of MARC-in-JSON / NDJSON: the fast path, or else the streaming reader on the chunk's
/// text (json_fast.h). Clean: no diagnostic and every record seen delivered.
void parse_json_chunk(std::string_view doc, const detail::JsonPlan& plan, const std::string& name,
                      const ReadOptions& options, Chunk& chunk) {
  Batch& batch = chunk.batch;
  batch.index = chunk.index;
  batch.begin_offset = chunk.begin;
  batch.end_offset = chunk.end;
  if (options.fast_json && detail::fast_json_chunk(doc, plan, chunk.begin, chunk.end, batch.records, options.decode.leader_utf8)) {
    for (auto& rec : batch.records) rec.status = RecordStatus::kUtf8;
    chunk.clean = true;
    chunk.fast = true;
    return;
  }
  std::size_t lead = 0;
  std::string text = detail::json_chunk_text(doc, plan, chunk.begin, chunk.end, lead);
  const std::uint64_t shift = chunk.begin - lead;  // lead is 0 for the first chunk
  chunk.clean = read_chunk_text(Format::Json, std::move(text), shift, name, options, batch);
}

/// Parses chunks in parallel while they come out clean. Returns the number of records delivered
/// and whether the serial reader must finish the file (from the start, skipping them). MARCXML
/// when `xml` is set, MARC-in-JSON / NDJSON when `json` is.
void run_chunked(std::string_view doc, const XmlPlan* xml, const detail::JsonPlan* json, const std::string& name,
                 const ReadOptions& options,
                 Executor& executor, const BatchTransform& transform, const BatchConsumer& consume,
                 const JobControl& control, StreamPipelineResult& result, std::uint64_t& delivered,
                 std::uint64_t& next_index, bool& consumer_stopped, ByteSource& source) {
  tbb::task_group_context context;
  std::size_t pos = 0;                  // slicer only
  std::uint64_t index = 0;              // slicer only
  std::atomic<bool> fallback{false};    // set by the numbering stage, read by the slicer
  std::uint64_t numbered = 0;           // numbering stage only
  char filters_done = 0;                // ThreadSanitizer's view of the pipeline's end (tsan_annotations.h)
  bool finished = false;                // delivery only
  const std::size_t target = std::max<std::size_t>(options.chunk_bytes, 1);
  // The fast path reads the header once; an unusual one sends every chunk to expat.
  static const XmlPlan kNoXml;
  const XmlPlan& plan = xml ? *xml : kNoXml;
  std::optional<detail::FastXmlHeader> fast_header;
  if (xml && options.fast_xml) fast_header = detail::fast_marcxml_header(plan.header);
  const std::string_view record_qname =
      xml ? std::string_view(plan.record_end).substr(2, plan.record_end.size() - 3) : std::string_view();  // "</" name ">"
  ProgressThrottle progress(control);
  detail::Inflight<Chunk> inflight;

  auto slicer = tbb::make_filter<void, Chunk*>(tbb::filter_mode::serial_in_order, [&](tbb::flow_control& fc) -> Chunk* {
    PIPELINE_TAKEOVER();
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(&pos);
    struct Leave {
      std::size_t* token;
      ~Leave() { HAPPENS_BEFORE(token); }
    } leave{&pos};
    if (pos >= doc.size() || fallback.load(std::memory_order_relaxed) || control.stop.stop_requested()) {
      fc.stop();
      return nullptr;
    }
    auto chunk = std::make_unique<Chunk>();
    chunk->index = index++;
    chunk->begin = pos;
    if (json) {
      chunk->end = detail::json_chunk_end(doc, *json, pos, target);
      chunk->last = chunk->end >= doc.size();
      pos = chunk->end;
      HAPPENS_BEFORE(chunk.get());
      return inflight.park(std::move(chunk));
    }
    const std::size_t from = std::max(pos + target, index == 1 ? plan.body_start : pos);
    std::size_t cut = from < doc.size() ? doc.find(plan.record_end, from) : std::string_view::npos;
    if (cut != std::string_view::npos) {
      cut += plan.record_end.size();
      // The last record's end: the rest (the root's end tag) stays with it, so that no chunk
      // holds no record at all.
      if (doc.find(plan.record_end, cut) == std::string_view::npos) cut = std::string_view::npos;
    }
    chunk->last = cut == std::string_view::npos;
    chunk->end = chunk->last ? doc.size() : cut;
    pos = chunk->end;
    HAPPENS_BEFORE(chunk.get());
    return inflight.park(std::move(chunk));
  });

  auto parse = tbb::make_filter<Chunk*, Chunk*>(tbb::filter_mode::parallel, [&](Chunk* chunk) -> Chunk* {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(chunk);
    struct Leave {
      Chunk* chunk;
      ~Leave() { HAPPENS_BEFORE(chunk); }
    } leave{chunk};
    if (fallback.load(std::memory_order_relaxed)) return chunk;  // will be dropped
    if (json) {
      parse_json_chunk(doc, *json, name, options, *chunk);
      return chunk;
    }
    const bool first = chunk->index == 0;
    std::string text;
    text.reserve(plan.header.size() + (chunk->end - chunk->begin) + plan.closing.size());
    if (!first) text = plan.header;
    text.append(doc.substr(chunk->begin, chunk->end - chunk->begin));
    if (!chunk->last) text += plan.closing;
    // Offsets in `text` map back to the file by one shift (records are never in the header).
    const std::uint64_t shift = first ? 0 : chunk->begin - plan.header.size();
    Batch& batch = chunk->batch;
    batch.index = chunk->index;
    batch.begin_offset = chunk->begin;
    batch.end_offset = chunk->end;
    if (fast_header &&
        detail::fast_marcxml_chunk(text, plan.header.size(), *fast_header, record_qname, plan.closing, batch.records,
                                   options.skip_as_is && options.iso2709_forms && options.marcxml_forms,
                                   options.decode.leader_utf8)) {
      for (auto& rec : batch.records) {
        rec.offset += shift;
        rec.end += shift;
        rec.status = RecordStatus::kUtf8;
      }
      chunk->clean = true;
      chunk->fast = true;
      return chunk;
    }
    if (fast_header) {
      // pugixml has parsed the text in place: expat gets the bytes again.
      text.clear();
      if (!first) text = plan.header;
      text.append(doc.substr(chunk->begin, chunk->end - chunk->begin));
      if (!chunk->last) text += plan.closing;
    }
    chunk->clean = read_chunk_text(Format::MarcXml, std::move(text), shift, name, options, batch);
    return chunk;
  });

  auto number = tbb::make_filter<Chunk*, Chunk*>(tbb::filter_mode::serial_in_order, [&](Chunk* chunk) -> Chunk* {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(chunk);
    HAPPENS_AFTER(&numbered);
    struct Leave {
      Chunk* chunk;
      std::uint64_t* token;
      ~Leave() {
        HAPPENS_BEFORE(token);
        HAPPENS_BEFORE(chunk);
      }
    } leave{chunk, &numbered};
    if (fallback.load(std::memory_order_relaxed) || !chunk->clean) {
      fallback.store(true, std::memory_order_relaxed);
      chunk->dropped = true;
      return chunk;
    }
    for (auto& rec : chunk->batch.records) rec.number = ++numbered;
    chunk->batch.records_seen = numbered;
    return chunk;
  });

  auto work = tbb::make_filter<Chunk*, Chunk*>(tbb::filter_mode::parallel, [&](Chunk* chunk) -> Chunk* {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(chunk);
    if (!chunk->dropped && transform) transform(chunk->batch);
    HAPPENS_BEFORE(chunk);
    return chunk;
  });

  auto deliver = tbb::make_filter<Chunk*, Chunk*>(tbb::filter_mode::serial_in_order, [&](Chunk* chunk) -> Chunk* {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(chunk);
    HAPPENS_AFTER(&finished);
    struct Leave {
      Chunk* chunk;
      bool* token;
      ~Leave() {
        HAPPENS_BEFORE(token);
        HAPPENS_BEFORE(chunk);
      }
    } leave{chunk, &finished};
    if (chunk->dropped || finished) return chunk;
    Batch& batch = chunk->batch;
    result.records_seen = batch.records_seen;
    ++result.parallel_chunks;
    if (chunk->fast) ++result.fast_chunks;
    delivered += batch.records.size();
    next_index = batch.index + 1;
    // Every chunk up to this one has been parsed (from copies): its pages can go.
    source.release_before(batch.end_offset);
    if (!consume(batch)) {
      finished = true;
      consumer_stopped = true;
      context.cancel_group_execution();
    }
    progress.report(batch.records_seen, batch.end_offset, doc.size());
    return chunk;
  });
  auto release = tbb::make_filter<Chunk*, void>(tbb::filter_mode::parallel, [&](Chunk* chunk) {
    PIPELINE_FILTER_EXIT(&filters_done);
    HAPPENS_AFTER(chunk);
    inflight.claim(chunk).reset();
  });

  // Made before the hand-off, as the filters are: oneTBB may run it on a worker.
  const std::function<void()> start = [&] {
    PIPELINE_TAKEOVER();
    PIPELINE_FILTER_EXIT(&filters_done);
    tbb::parallel_pipeline(token_count(options, executor), slicer & parse & number & work & deliver & release, context);
  };
  PIPELINE_HANDOFF();
  {
    PIPELINE_JOINED(&filters_done);
    executor.run(start);
  }
  HAPPENS_AFTER(&pos);
  HAPPENS_AFTER(&numbered);
  HAPPENS_AFTER(&finished);
  result.serial_fallback = fallback.load();
}

}  // namespace

StreamPipelineResult run_stream_pipeline(Format format, std::unique_ptr<ByteSource> source, const ReadOptions& options,
                                         const BatchTransform& transform, const BatchConsumer& consume,
                                         const JobControl& control) {
  StreamPipelineResult result;
  const std::shared_ptr<Executor> executor = Executor::use(options.executor, options.threads);
  const std::optional<std::uint64_t> total = source->size();
  const std::optional<std::string_view> doc = source->contiguous();
  std::optional<XmlPlan> xml;
  std::optional<detail::JsonPlan> json;
  if (options.parallel_parse && doc) {
    if (format == Format::MarcXml) xml = plan_marcxml(*doc);
    else if (format == Format::Json || format == Format::NdJson) json = detail::plan_json(*doc);
  }
  if (xml || json) {
    std::uint64_t delivered = 0, next_index = 0;
    bool consumer_stopped = false;
    run_chunked(*doc, xml ? &*xml : nullptr, json ? &*json : nullptr, source->name(), options, *executor, transform,
                consume, control, result, delivered, next_index, consumer_stopped, *source);
    if (consumer_stopped || !result.serial_fallback || control.stop.stop_requested()) return result;
    // Take over from the start of the file with the serial reader; the records already
    // delivered come out the same (clean chunks) and are passed over.
    auto stream = open_record_stream(format, std::make_unique<ViewSource>(*doc, *source), options);
    Diagnostics pending;
    Record record;
    for (std::uint64_t k = 0; k < delivered && stream->next(record, pending); ++k) {
    }
    run_serial(*stream, std::move(pending), next_index, options, *executor, total, transform, consume, control, result);
    return result;
  }
  const ByteSource* const waits_on = doc ? nullptr : source.get();  // the stream keeps it (or a wrapper of it)
  auto stream = open_record_stream(format, std::move(source), options);
  run_serial(*stream, {}, 0, options, *executor, total, transform, consume, control, result, waits_on);
  return result;
}

}  // namespace marcscope
