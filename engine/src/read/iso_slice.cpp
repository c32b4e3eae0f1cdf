#include "iso_slice.h"

#include <tbb/parallel_for.h>

#include <string>

#include "marcscope/core/executor.h"
#include "marcscope/iso2709/record_view.h"

namespace marcscope {

const RecordView& BatchRecord::view_of(RecordView& scratch, ReadMode mode) const {
  if (transcoded || (!bytes.empty() && view.bytes().data() == bytes.data() && view.bytes().size() == bytes.size()))
    return view;
  Diagnostics none;  // a record delivered as it is parses with no diagnostic
  scratch.parse(bytes, offset, number, mode, none);
  return scratch;
}

}  // namespace marcscope

namespace marcscope::detail {

Diagnostic skipped_diagnostic(std::uint64_t number, std::uint64_t offset) {
  return {Severity::Error, Code::RecordSkipped, number, offset, {}, 0, "record " + std::to_string(number) + " skipped"};
}

Diagnostic repaired_diagnostic(std::uint64_t number, std::uint64_t offset) {
  return {Severity::Info, Code::RecordRepaired, number, offset, {}, 0,
          "record " + std::to_string(number) + " was repaired; the diagnostics before this one say what changed"};
}

std::uint8_t status_of(const Diagnostics& diags, std::size_t from) {
  std::uint8_t status = 0;
  for (std::size_t i = from; i < diags.size(); ++i) {
    if (diags[i].severity >= Severity::Error) status |= RecordStatus::kErrors;
    else if (diags[i].severity == Severity::Warning) status |= RecordStatus::kWarnings;
  }
  return status;
}

Batch batch_for(const Slice& slice) {
  Batch batch;
  batch.index = slice.index;
  batch.begin_offset = slice.begin;
  batch.end_offset = slice.end;
  batch.records_seen = slice.records_seen;
  batch.keep_alive = slice.keep_alive;
  return batch;
}

Batch decode_slice(Slice& slice, const ReadOptions& options, std::vector<BatchRecord>* spare) {
  Batch batch = batch_for(slice);
  batch.stopped = slice.stopped;
  batch.records.reserve(slice.items.size());
  // A spare record is taken from the end of `spare` and made like a new one, but for the room its
  // view keeps.
  const auto next_record = [&]() -> BatchRecord& {
    if (!spare || spare->empty()) return batch.records.emplace_back();
    BatchRecord& rec = batch.records.emplace_back(std::move(spare->back()));
    spare->pop_back();
    rec.repaired = rec.as_is = false;
    rec.status = 0;
    rec.record = Record();
    rec.view.clear();
    rec.transcoded.reset();
    return rec;
  };
  const ReadMode mode = options.mode;
  RecordView view;
  RecordView transcode_view;     // transcode_marc8_as_is()'s
  std::string transcode_buffer;  // its output, moved into the record that keeps it
  for (auto& item : slice.items) {
    const std::size_t item_diag = batch.diagnostics.size();
    for (auto& d : item.diags) batch.diagnostics.push_back(std::move(d));
    if (item.kind == SliceItem::Note) continue;
    const std::string_view bytes = slice.bytes_of(item.span);
    if (item.kind == SliceItem::Skipped) {
      batch.skipped.push_back({item.number, item.span.offset, bytes});
      batch.diagnostics.push_back(skipped_diagnostic(item.number, item.span.offset));
      continue;
    }
    const std::size_t first_diag = batch.diagnostics.size();
    if (!view.parse(bytes, item.span.offset, item.number, mode, batch.diagnostics)) {
      if (mode == ReadMode::Strict) {
        batch.stopped = true;
        break;
      }
      batch.skipped.push_back({item.number, item.span.offset, bytes});
      batch.diagnostics.push_back(skipped_diagnostic(item.number, item.span.offset));
      continue;
    }
    BatchRecord& rec = next_record();
    rec.number = item.number;
    rec.offset = item.span.offset;
    rec.end = item.span.offset + item.span.length;
    rec.bytes = bytes;
    rec.repaired = item.span.flags != 0 || view.repaired();
    Encoding as_is_encoding = Encoding::Utf8;
    if (options.decode_records && options.skip_as_is && !rec.repaired && batch.diagnostics.size() == item_diag &&
        decodes_as_is(view, options.decode, &as_is_encoding)) {
      // Nothing said about it and nothing to change: written from its bytes.
      rec.as_is = true;
      // Its view goes with it (the consumer does not parse it again), and the room of the spare
      // record's view comes here for the next record: no copy of the field list.
      std::swap(rec.view, view);
      rec.status |= as_is_encoding == Encoding::Utf8 ? RecordStatus::kUtf8 : RecordStatus::kMarc8;
    } else if (options.decode_records && options.skip_as_is && options.iso2709_forms && !rec.repaired &&
               batch.diagnostics.size() == item_diag &&
               view.leader().character_coding() != 'a' &&
               transcode_marc8_as_is(view, options.decode, transcode_buffer, transcode_view)) {
      // MARC-8 beyond ASCII, nothing else to say: delivered as its UTF-8 form, which writers
      // write and matchers match as they do a record delivered as it is.
      rec.as_is = true;
      rec.view = std::move(transcode_view);  // start_layout() empties it for the next record
      rec.transcoded = std::make_shared<const std::string>(std::move(transcode_buffer));
      rec.view.rebase(*rec.transcoded);
      transcode_buffer = std::string();
      rec.status |= RecordStatus::kMarc8;
    } else if (options.decode_records) {
      Encoding encoding = Encoding::Utf8;
      rec.record = Record::from_view(view, options.decode, batch.diagnostics, &encoding);
      rec.status |= encoding == Encoding::Utf8 ? RecordStatus::kUtf8 : RecordStatus::kMarc8;
      if ((encoding == Encoding::Utf8) != view.leader().declares_utf8()) rec.status |= RecordStatus::kEncodingOverridden;
    }
    rec.status |= status_of(batch.diagnostics, first_diag);
    if (item.span.flags != 0) rec.status |= RecordStatus::kFoundByTerminator;
    if (rec.repaired) {
      rec.status |= RecordStatus::kRepaired;
      batch.diagnostics.push_back(repaired_diagnostic(item.number, item.span.offset));
    }
  }
  return batch;
}

Batch decode_slice_parallel(Slice& slice, const ReadOptions& options, Executor& executor) {
  // Below this many records the hand-off costs more than it saves.
  constexpr std::size_t kPerPart = 64;
  const std::size_t n = slice.items.size();
  const std::size_t parts = std::min<std::size_t>(executor.threads() * 4, n / kPerPart);
  // One thread decodes the parts one after the other: no hand-off (and no oneTBB at all, which a
  // process forked from one that used oneTBB must avoid).
  if (parts < 2 || executor.threads() == 1) return decode_slice(slice, options);
  std::vector<Slice> pieces(parts);
  for (std::size_t p = 0; p < parts; ++p) {
    Slice& piece = pieces[p];
    piece.base = slice.base;
    piece.base_offset = slice.base_offset;
    const std::size_t from = n * p / parts, to = n * (p + 1) / parts;
    piece.items.assign(std::make_move_iterator(slice.items.begin() + static_cast<std::ptrdiff_t>(from)),
                       std::make_move_iterator(slice.items.begin() + static_cast<std::ptrdiff_t>(to)));
  }
  std::vector<Batch> done(parts);
  executor.run([&] {
    tbb::parallel_for(std::size_t{0}, parts, [&](std::size_t p) { done[p] = decode_slice(pieces[p], options); });
  });
  Batch batch = batch_for(slice);
  bool strict_stop = false;
  for (auto& part : done) {
    if (strict_stop) break;  // Strict stopped in an earlier part: nothing after it counts
    batch.records.insert(batch.records.end(), std::make_move_iterator(part.records.begin()),
                         std::make_move_iterator(part.records.end()));
    batch.skipped.insert(batch.skipped.end(), part.skipped.begin(), part.skipped.end());
    batch.diagnostics.insert(batch.diagnostics.end(), std::make_move_iterator(part.diagnostics.begin()),
                             std::make_move_iterator(part.diagnostics.end()));
    strict_stop = part.stopped;
  }
  batch.stopped = strict_stop || slice.stopped;
  return batch;
}

}  // namespace marcscope::detail
