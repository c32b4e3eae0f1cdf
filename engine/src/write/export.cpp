#include "marcscope/write/export.h"

#include <stdexcept>

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
        visit(rec.number, rec.offset, action(rec.number, false, rec.bytes, rec.repaired), rec.bytes, &rec.record);
      } else {
        const SkippedRecord& k = batch.skipped[s++];
        visit(k.number, k.offset, action(k.number, true, k.bytes, false), k.bytes, nullptr);
      }
    }
  };
  auto encode = [&](Batch& batch) {
    each(batch, [&](std::uint64_t number, std::uint64_t offset, Action a, std::string_view bytes, const Record* record) {
      switch (a) {
        case Action::Replace:
          writer->write(options.replacements.at(number), number, offset, batch.output, batch.diagnostics);
          break;
        case Action::CopyBytes:
        case Action::CopyUnreadable: batch.output.append(bytes); break;
        case Action::Write: writer->write(*record, number, offset, batch.output, batch.diagnostics); break;
        case Action::Leave:
        case Action::CannotWrite: break;
      }
    });
  };
  auto count = [&](const Batch& batch) {
    each(batch, [&](std::uint64_t, std::uint64_t, Action a, std::string_view, const Record*) {
      summary.written += a == Action::Replace || a == Action::CopyBytes || a == Action::Write;
      summary.replaced += a == Action::Replace;
      summary.copied += a == Action::CopyUnreadable;
      summary.unwritten += a == Action::CannotWrite;
    });
  };
  if (options.selected_only && options.numbers.empty()) {  // an empty selection: an empty file of that format
    std::string frame;
    writer->begin(frame);
    writer->end(frame);
    out.write(frame);
    if (options.commit) out.commit();
    return summary;
  }
  auto reader = options.numbers.empty() ? file.read_from(1) : file.read(options.numbers);
  // A JSON array's commas depend on what came before: encoded in order, in the delivery stage.
  const bool ordered = options.format == Format::Json;
  std::string frame;
  writer->begin(frame);
  out.write(frame);
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

}  // namespace marcscope
