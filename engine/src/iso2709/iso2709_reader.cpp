#include "marcscope/iso2709/iso2709_reader.h"

namespace marcscope {

Iso2709Reader::Iso2709Reader(InputBuffer input, ReadOptions options)
    : input_(std::move(input)), options_(options), scanner_(options.mode) {}

bool Iso2709Reader::next(ReadItem& item) {
  item.has_record = false;
  item.skipped = {};
  item.diagnostics.clear();
  if (done_) return false;
  const std::string_view data = input_.bytes();
  for (;;) {
    RecordSpan span;
    const auto status = scanner_.next(data, pos_, 0, true, span, item.diagnostics);
    switch (status) {
      case RecordScanner::Status::End:
        done_ = true;
        return !item.diagnostics.empty();
      case RecordScanner::Status::NeedMore:  // cannot happen with at_eof = true
      case RecordScanner::Status::Stopped:
        done_ = true;
        stopped_ = true;
        return true;
      case RecordScanner::Status::Skipped:
        item.skipped = data.substr(static_cast<std::size_t>(span.offset), span.length);
        item.diagnostics.push_back({Severity::Error, Code::RecordSkipped, scanner_.records_seen(), span.offset, {}, 0,
                                    "record " + std::to_string(scanner_.records_seen()) + " skipped"});
        return true;
      case RecordScanner::Status::Record: {
        const std::string_view bytes = data.substr(static_cast<std::size_t>(span.offset), span.length);
        const bool ok = item.view.parse(bytes, span.offset, scanner_.records_seen(), options_.mode, item.diagnostics);
        if (!ok) {
          if (options_.mode == ReadMode::Strict) {
            done_ = true;
            stopped_ = true;
            return true;
          }
          item.skipped = bytes;
          item.diagnostics.push_back({Severity::Error, Code::RecordSkipped, scanner_.records_seen(), span.offset, {}, 0,
                                      "record " + std::to_string(scanner_.records_seen()) + " skipped"});
          return true;
        }
        item.has_record = true;
        if (span.flags != 0 || item.view.repaired()) {
          item.diagnostics.push_back({Severity::Info, Code::RecordRepaired, scanner_.records_seen(), span.offset, {}, 0,
                                      "record " + std::to_string(scanner_.records_seen()) +
                                          " was repaired; the diagnostics before this one say what changed"});
        }
        return true;
      }
    }
  }
}

bool looks_like_iso2709(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && (bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == 0x1A || bytes[i] == 0 ||
                              bytes[i] == ' ' || bytes[i] == '\t'))
    ++i;
  if (i >= bytes.size()) return false;
  // XML, JSON and text never hold ISO 2709's field or record terminators.
  if (bytes[i] == '<' || bytes[i] == '{' || bytes[i] == '[') return false;
  std::string_view head = bytes.substr(i, 100000);
  return head.find('\x1E') != std::string_view::npos || head.find('\x1D') != std::string_view::npos;
}

}  // namespace marcscope
