#include "marcscope/write/export.h"

#include <algorithm>
#include <stdexcept>

#include "marcscope/iso2709/record_view.h"
#include "marcscope/write/converter.h"

namespace marcscope {
namespace {

enum class Action { Leave, Replace, CopyBytes, Write, CopyUnreadable, CannotWrite };

}  // namespace

ExportSummary export_records(const RecordFile& file, const ExportOptions& options, OutputFile& out,
                             const JobControl& control, const BatchConsumer& also) {
  ExportSummary summary;
  const auto writer = make_writer(options.format, options.writer);
  const bool iso_in = file.format() == Format::Iso2709 || file.format() == Format::Iso2709Marc8;
  const bool keep_bytes = iso_in && options.format == Format::Iso2709;
  // What happens to one record (`unreadable`: a skipped one); decided the same way where records
  // are written (in parallel) and where they are counted (in order).
  auto action = [&](std::uint64_t number, bool unreadable, std::string_view bytes, bool repaired) {
    if (options.removed.count(number)) return Action::Leave;
    if (options.replacements.count(number)) return Action::Replace;
    if (unreadable) return keep_bytes && !bytes.empty() ? Action::CopyUnreadable : Action::CannotWrite;
    return keep_bytes && !repaired && !bytes.empty() ? Action::CopyBytes : Action::Write;
  };
  // Every record and skipped record of a batch, in number order.
  auto each = [&](const Batch& batch, const auto& visit) {
    std::size_t r = 0, s = 0;
    while (r < batch.records.size() || s < batch.skipped.size()) {
      if (s == batch.skipped.size() || (r < batch.records.size() && batch.records[r].number < batch.skipped[s].number)) {
        const BatchRecord& rec = batch.records[r++];
        visit(rec.number, rec.offset, action(rec.number, false, rec.bytes, rec.repaired), rec.bytes, &rec);
      } else {
        const SkippedRecord& k = batch.skipped[s++];
        visit(k.number, k.offset, action(k.number, true, k.bytes, false), k.bytes, nullptr);
      }
    }
  };
  // Records left as they were need no model where the writer writes them from their bytes
  // (ReadOptions::skip_as_is, as `marcscope convert` reads): the same output, without decoding.
  const bool views = writer->writes_views();
  ReadOptions read_options = file.options();
  if (file.format() == Format::Iso2709Marc8) read_options.decode.encoding = EncodingChoice::ForceMarc8;
  auto encode = [&](Batch& batch) {
    RecordView view;
    each(batch, [&](std::uint64_t number, std::uint64_t offset, Action a, std::string_view bytes, const BatchRecord* rec) {
      switch (a) {
        case Action::Replace:
          writer->write(options.replacements.at(number), number, offset, batch.output, batch.diagnostics);
          break;
        case Action::CopyBytes:
        case Action::CopyUnreadable: batch.output.append(bytes); break;
        case Action::Write: write_delivered(*writer, *rec, read_options, view, batch.output, batch.diagnostics); break;
        case Action::Leave:
        case Action::CannotWrite: break;
      }
    });
  };
  auto count = [&](const Batch& batch) {
    each(batch, [&](std::uint64_t, std::uint64_t, Action a, std::string_view, const BatchRecord*) {
      summary.written += a == Action::Replace || a == Action::CopyBytes || a == Action::Write;
      summary.replaced += a == Action::Replace;
      summary.copied += a == Action::CopyUnreadable;
      summary.unwritten += a == Action::CannotWrite;
    });
  };
  // The file's records named, and the appended ones (numbers past the index) named or all.
  const std::uint64_t indexed = file.index().size();
  const std::uint64_t last = indexed + options.appended.size();
  const bool selection = options.selected_only || !options.numbers.empty();
  std::vector<std::uint64_t> from_file, added;
  if (selection) {
    for (const std::uint64_t n : options.numbers) {
      if (n == 0 || n > last)
        throw std::invalid_argument("record " + std::to_string(n) + " is neither in the index (" + std::to_string(indexed) +
                                    " records) nor added");
      (n <= indexed ? from_file : added).push_back(n);
    }
  } else {
    for (std::uint64_t n = indexed + 1; n <= last; ++n) added.push_back(n);
  }
  std::string frame;
  writer->begin(frame);
  out.write(frame);
  if (!selection || !from_file.empty()) {
    auto reader = selection ? file.read(from_file, views) : file.read_from(1, views);
    // A JSON array's commas depend on what came before: encoded in order, in the delivery stage.
    const bool ordered = options.format == Format::Json;
    const ReadSummary read = reader->run(
        [&](Batch& batch) {
          if (ordered) encode(batch);
          out.write(batch.output);
          count(batch);
          return also ? also(batch) : true;
        },
        ordered ? BatchTransform{} : BatchTransform(encode), control);
    summary.cancelled = read.cancelled;
    if (summary.cancelled) return summary;
  }
  // Added records: few (typed in one by one), written here in order after the file's.
  std::string text;
  Diagnostics diags;
  for (const std::uint64_t n : added) {
    if (control.stop.stop_requested()) {
      summary.cancelled = true;
      return summary;
    }
    if (options.removed.count(n)) continue;
    const auto edit = options.replacements.find(n);
    text.clear();
    writer->write(edit != options.replacements.end() ? edit->second : options.appended[n - indexed - 1], n, 0, text, diags);
    out.write(text);
    ++summary.written;
    ++summary.appended;
  }
  frame.clear();
  writer->end(frame);
  out.write(frame);
  if (options.commit) out.commit();
  return summary;
}

SplitSummary split_records(const RecordFile& file, const FileReport& report, const ExportOptions& options,
                           OutputFile& good, OutputFile& bad, const JobControl& control) {
  const std::uint64_t n = file.index().size();
  if (!file.index().complete() || report.stopped || report.records + report.skipped < n)
    throw std::invalid_argument("the file has not been indexed and validated to its end: nothing can be split yet");
  if (!options.appended.empty())
    throw std::invalid_argument("added records have not been validated with the file: save them first, then split the saved file");
  ExportOptions g = options, b = options;
  g.numbers.clear();
  b.numbers.clear();
  g.selected_only = b.selected_only = true;
  g.commit = b.commit = false;
  for (std::uint64_t k = 1; k <= n; ++k) {
    const bool unreadable = (file.index().at(k).status & RecordStatus::kSkipped) != 0;
    (unreadable || report.has_problem(k) ? b : g).numbers.push_back(k);
  }
  // Written in two passes, committed together: a stop in either leaves both files as they were.
  SplitSummary s;
  s.good = export_records(file, g, good, control);
  if (!s.good.cancelled) s.bad = export_records(file, b, bad, control);
  if (s.good.cancelled || s.bad.cancelled) {
    s.good.cancelled = s.bad.cancelled = true;
    return s;
  }
  good.commit();
  bad.commit();
  return s;
}

Record new_record_template(std::string_view date_entered) {
  if (date_entered.size() != 6 || !std::all_of(date_entered.begin(), date_entered.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw std::invalid_argument("the date entered must be six digits (yymmdd)");
  Record r;
  // A book (a, m), UTF-8, full level, ISBD punctuation; lengths and base address are the writer's.
  r.set_leader("00000nam a2200000 i 4500");
  // 008 for books: date entered, dates unknown, no place, language undetermined, source other.
  std::string f008 = std::string(date_entered) + "nuuuuuuuuxx            000 0 und d";
  r.add_field(Field("008", std::move(f008)));
  r.add_field(Field("245", '0', '0', {{'a', "New record."}}));
  return r;
}

}  // namespace marcscope
