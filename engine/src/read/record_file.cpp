#include "marcscope/read/record_file.h"

#include <expat.h>

#include <algorithm>
#include <stdexcept>

#include "marcscope/formats/record_stream.h"
#include "marcscope/iso2709/record_scanner.h"
#include "marcscope/read/pipeline.h"
#include "marcscope/read/stream_pipeline.h"

#include "iso_slice.h"
#include "stream_batch.h"

namespace marcscope {
namespace {

bool is_iso2709(Format format) { return format == Format::Iso2709 || format == Format::Iso2709Marc8; }

/// The end tags of the elements still open at the end of `header` (a document's start, cut just
/// before its first record), innermost first; empty when expat cannot read the header.
std::string closing_tags(std::string_view header) {
  struct Stack {
    std::vector<std::string> open;
  } stack;
  XML_Parser parser = XML_ParserCreate(nullptr);
  XML_SetUserData(parser, &stack);
  XML_SetElementHandler(
      parser,
      [](void* data, const XML_Char* name, const XML_Char**) { static_cast<Stack*>(data)->open.emplace_back(name); },
      [](void* data, const XML_Char*) { static_cast<Stack*>(data)->open.pop_back(); });
  const bool ok = XML_Parse(parser, header.data(), static_cast<int>(header.size()), XML_FALSE) == XML_STATUS_OK;
  XML_ParserFree(parser);
  if (!ok) return {};
  std::string closing;
  for (auto it = stack.open.rbegin(); it != stack.open.rend(); ++it) closing += "</" + *it + ">";
  return closing;
}

/// Reads the given spans of a mapped file on the pipeline.
class SpanRecordReader final : public RecordReader {
 public:
  SpanRecordReader(std::unique_ptr<ByteSource> source, std::vector<IndexedSpan> spans, Format format, ReadOptions options,
                   FragmentDecoder fragments)
      : RecordReader(format, source->name(), source->size(), options),
        source_(std::move(source)),
        spans_(std::move(spans)),
        fragments_(std::move(fragments)) {}

 protected:
  void push(const BatchConsumer& consume, const BatchTransform& transform, const JobControl& control) override {
    ReadOptions o = options();
    if (format() == Format::Iso2709Marc8) o.decode.encoding = EncodingChoice::ForceMarc8;
    Pipeline pipeline(std::move(source_), std::move(spans_), std::move(o), transform, fragments_);
    pipeline.run(consume, control);
  }

 private:
  std::unique_ptr<ByteSource> source_;
  std::vector<IndexedSpan> spans_;
  FragmentDecoder fragments_;
};

}  // namespace

std::shared_ptr<RecordFile> RecordFile::open(const std::string& path, ReadOptions options, const JobControl& control) {
  auto file = MappedFile::open(path, control);
  if (!file) return nullptr;
  return open(std::move(file), std::move(options));
}

std::shared_ptr<RecordFile> RecordFile::open(std::shared_ptr<const MappedFile> file, ReadOptions options) {
  const std::string head(file->bytes().substr(0, 65536));
  const Format format = options.format ? *options.format : detect_input_format(head, file->name());
  if (format == Format::Csv || format == Format::Unknown)
    throw std::invalid_argument("cannot read " + std::string(format_name(format)) + ": it is an output-only format");
  return std::shared_ptr<RecordFile>(new RecordFile(std::move(file), std::move(options), format));
}

RecordFile::RecordFile(std::shared_ptr<const MappedFile> file, ReadOptions options, Format format)
    : file_(std::move(file)), options_(std::move(options)), format_(format) {
  if (format_ == Format::Iso2709Marc8) options_.decode.encoding = EncodingChoice::ForceMarc8;
}

RecordFile::~RecordFile() = default;

ReadSummary RecordFile::build_index(const JobControl& control, const BatchConsumer& also) {
  ReadSummary summary;
  if (index_.complete()) return summary;
  file_->check();
  const std::uint64_t known = index_.size();
  std::uint64_t next = known + 1;  // the number the next entry must have
  bool cut = false;
  std::uint64_t first_offset = known ? index_.at(1).offset : 0;
  // Entries in number order: records and skipped records merged. A number the pass never
  // delivered (it cannot happen, but an index must not shift) gets a skipped entry.
  auto add = [&](std::uint64_t number, std::uint64_t offset, std::uint64_t length, std::uint8_t status) {
    if (number < next) return;  // a resumed MARCXML/JSON/.mrk pass: already indexed
    while (next < number) {
      index_.append(offset, 0, RecordStatus::kSkipped);
      ++next;
    }
    if (next == 1) first_offset = offset;
    index_.append(offset, length, status);
    ++next;
  };
  auto consume = [&](Batch& batch) {
    std::size_t r = 0, s = 0;
    while (r < batch.records.size() || s < batch.skipped.size()) {
      const bool rec = r < batch.records.size() && (s == batch.skipped.size() || batch.records[r].number < batch.skipped[s].number);
      if (rec) {
        const BatchRecord& b = batch.records[r++];
        add(b.number, b.offset, b.end > b.offset ? b.end - b.offset : 0, b.status);
      } else {
        const SkippedRecord& k = batch.skipped[s++];
        add(k.number, k.offset, k.bytes.size(), RecordStatus::kSkipped);
      }
    }
    if (format_ == Format::MarcXml && xml_header_.empty() && next > 1) {
      // What a record is wrapped in to be parsed on its own, learnt before the first entry is
      // published (fetch() reads it only for published records).
      xml_header_.assign(file_->bytes().substr(0, static_cast<std::size_t>(first_offset)));
      xml_closing_ = closing_tags(xml_header_);
    }
    index_.publish();
    if (batch.stopped) cut = true;
    resume_offset_ = batch.end_offset;
    resume_seen_ = batch.records_seen;
    return also ? also(batch) : true;
  };

  ReadOptions o = options_;
  std::unique_ptr<RecordReader> reader;
  if (is_iso2709(format_)) {
    o.decode_records = false;
    class ScanReader final : public RecordReader {
     public:
      ScanReader(const RecordFile& file, ReadOptions options, std::uint64_t offset, std::uint64_t seen)
          : RecordReader(file.format(), file.name(), file.size(), options), file_(file), offset_(offset), seen_before_(seen) {}

     protected:
      void push(const BatchConsumer& consume, const BatchTransform& transform, const JobControl& control) override {
        // Every pass over the file (index, validation, search, export) drops the pages behind it:
        // a file larger than memory, or gigabytes of junk, never stays resident through a pass;
        // fetch() reads the mapping itself and faults in what it shows.
        Pipeline pipeline(file_.mapping().source(AccessHint::Sequential), options(), transform, offset_, seen_before_);
        pipeline.run(consume, control);
      }

     private:
      const RecordFile& file_;
      std::uint64_t offset_, seen_before_;
    };
    reader = std::make_unique<ScanReader>(*this, o, known ? resume_offset_ : 0, known ? resume_seen_ : 0);
  } else {
    o.format = format_;
    reader = RecordReader::open(file_->source(AccessHint::Sequential), o);
  }
  summary = reader->run(consume, {}, control);
  if (!summary.cancelled || cut) index_.set_complete();
  return summary;
}

FetchedRecord RecordFile::fetch(std::uint64_t number) const {
  const IndexEntry entry = index_.at(number);
  file_->check();
  const IndexedSpan span = index_.span(number);
  const std::string_view bytes = file_->bytes().substr(static_cast<std::size_t>(entry.offset),
                                                       static_cast<std::size_t>(entry.length));
  Batch batch;
  if (is_iso2709(format_)) {
    detail::Slice slice;
    slice.base = file_->bytes().data();
    detail::SliceItem& item = slice.items.emplace_back();
    item.kind = (span.flags & IndexedSpan::kSkippedByStage1) ? detail::SliceItem::Skipped : detail::SliceItem::Record;
    item.number = number;
    item.span.offset = span.offset;
    item.span.length = span.length;
    item.span.flags = span.flags & ~IndexedSpan::kSkippedByStage1;
    if (item.kind == detail::SliceItem::Skipped) {
      // The index says "skipped" both for bytes stage 1 dropped and for a record whose structure
      // the index pass's parse refused. Stage 1 again, from the record's start, tells them apart,
      // so that the second is parsed again and says why, as the whole-file pass did. It looks no
      // further than the record and a record's most after it (a junk run is not followed to its end).
      constexpr std::uint64_t kLookAhead = 100000;
      const std::uint64_t end = std::min<std::uint64_t>(file_->size(), entry.offset + entry.length + kLookAhead);
      RecordScanner scanner(options_.mode, number - 1);
      std::size_t pos = static_cast<std::size_t>(entry.offset);
      RecordSpan again;
      Diagnostics stage1;  // what stage 1 says is not this fetch's to repeat
      const auto status = scanner.next(file_->bytes().substr(0, static_cast<std::size_t>(end)), pos, 0, end == file_->size(), again, stage1);
      if (status == RecordScanner::Status::Record && again.offset == entry.offset && again.length == entry.length) {
        item.kind = detail::SliceItem::Record;
        item.span.flags = again.flags;
      }
    }
    ReadOptions o = options_;
    o.decode_records = true;
    batch = detail::decode_slice(slice, o);
  } else {
    decode_fragment(bytes, span, batch);
  }
  FetchedRecord out;
  out.diagnostics = std::move(batch.diagnostics);
  if (batch.records.empty()) {
    out.skipped = true;
    out.record.number = number;
    out.record.offset = entry.offset;
    out.record.end = entry.offset + entry.length;
    out.record.bytes = bytes;
    out.record.status = entry.status | RecordStatus::kSkipped;
  } else {
    out.record = std::move(batch.records.front());
  }
  return out;
}

std::string RecordFile::raw(std::uint64_t number) const {
  const IndexEntry entry = index_.at(number);
  file_->check();
  return std::string(file_->bytes().substr(static_cast<std::size_t>(entry.offset), static_cast<std::size_t>(entry.length)));
}

void RecordFile::decode_fragment(std::string_view bytes, const IndexedSpan& span, Batch& batch) const {
  if (span.flags & IndexedSpan::kSkippedByStage1) {
    batch.skipped.push_back({span.number, span.offset, {}});
    batch.diagnostics.push_back(detail::skipped_diagnostic(span.number, span.offset));
    return;
  }
  // The record's own bytes, wrapped (MARCXML) in the document's start and the matching end tags,
  // read as a document of its own; numbers and offsets are then moved to where they are in the file.
  const bool wrap = format_ == Format::MarcXml && !xml_closing_.empty();
  std::string text;
  if (wrap) text = xml_header_;
  text.append(bytes);
  if (wrap) text += xml_closing_;
  const std::uint64_t shift = wrap ? xml_header_.size() : 0;
  ReadOptions o = options_;
  o.format = format_;
  auto stream = open_record_stream(format_, make_memory_source(std::move(text), name()), o);
  Record record;
  Diagnostics diags;
  const bool got = stream->next(record, diags);
  for (auto& d : diags) {
    d.record = span.number;
    d.offset = span.offset + (d.offset >= shift ? std::min<std::uint64_t>(d.offset - shift, bytes.size()) : 0);
  }
  const std::size_t first = batch.diagnostics.size();
  batch.diagnostics.insert(batch.diagnostics.end(), std::make_move_iterator(diags.begin()), std::make_move_iterator(diags.end()));
  if (!got) {
    batch.skipped.push_back({span.number, span.offset, {}});
    if (first == batch.diagnostics.size()) batch.diagnostics.push_back(detail::skipped_diagnostic(span.number, span.offset));
    return;
  }
  BatchRecord& rec = batch.records.emplace_back();
  rec.number = span.number;
  rec.offset = span.offset;
  rec.end = span.offset + span.length;
  rec.record = std::move(record);
  rec.status = RecordStatus::kUtf8 | detail::status_of(batch.diagnostics, first);
  for (std::size_t i = first; i < batch.diagnostics.size(); ++i)
    if (batch.diagnostics[i].code == Code::RecordRepaired) {
      rec.repaired = true;
      rec.status |= RecordStatus::kRepaired;
    }
}

std::unique_ptr<RecordReader> RecordFile::read(const std::vector<std::uint64_t>& numbers, bool skip_as_is) const {
  file_->check();
  FragmentDecoder fragments;
  if (!is_iso2709(format_))
    fragments = [this](std::string_view bytes, const IndexedSpan& span, Batch& batch) { decode_fragment(bytes, span, batch); };
  ReadOptions o = options_;
  o.format = format_;
  o.skip_as_is = skip_as_is;
  return std::make_unique<SpanRecordReader>(file_->source(AccessHint::Sequential), index_.spans(numbers), format_, o,
                                            std::move(fragments));
}

std::unique_ptr<RecordReader> RecordFile::read_from(std::uint64_t first, bool skip_as_is) const {
  std::vector<std::uint64_t> numbers;
  const std::uint64_t n = index_.size();
  for (std::uint64_t k = std::max<std::uint64_t>(first, 1); k <= n; ++k) numbers.push_back(k);
  return read(numbers, skip_as_is);
}

}  // namespace marcscope
