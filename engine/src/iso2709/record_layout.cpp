#include "marcscope/iso2709/record_layout.h"

#include <algorithm>

#include "marcscope/iso2709/leader.h"
#include "marcscope/iso2709/record_view.h"

namespace marcscope {

std::vector<ByteRegion> record_layout(std::string_view bytes) {
  std::vector<ByteRegion> out;
  const auto size = static_cast<std::uint32_t>(std::min<std::size_t>(bytes.size(), 0xFFFFFFFFu));
  auto add = [&](ByteRegion::Kind kind, std::uint32_t at, std::uint32_t length, std::string tag = {}, std::int32_t field = -1) {
    if (at >= size || length == 0) return;
    length = std::min(length, size - at);
    out.push_back({kind, at, length, std::move(tag), field});
  };
  add(ByteRegion::Kind::Leader, 0, static_cast<std::uint32_t>(LeaderView::kSize));
  if (size <= LeaderView::kSize) return out;
  const LeaderView leader(bytes.substr(0, LeaderView::kSize));
  // The directory ends at its terminator: the first field terminator after the leader (the
  // base address, which may lie, only when there is none).
  std::uint32_t dir_end = size;
  if (const std::size_t t = bytes.find(kFieldTerminator, LeaderView::kSize); t != std::string_view::npos)
    dir_end = static_cast<std::uint32_t>(t);
  else if (const auto base = leader.base_address(); base && *base > LeaderView::kSize && *base <= size)
    dir_end = *base - 1;
  const std::uint32_t base = dir_end + 1;  // where the data starts, as the bytes show it
  struct Entry {
    std::string tag;
    std::uint32_t length, start;
    bool numeric;
  };
  std::vector<Entry> entries;
  std::int32_t index = 0;
  for (std::uint32_t at = LeaderView::kSize; at + 12 <= dir_end; at += 12, ++index) {
    const std::string_view e = bytes.substr(at, 12);
    std::string tag(e.substr(0, 3));
    const auto length = parse_digits(e.substr(3, 4));
    const auto start = parse_digits(e.substr(7, 5));
    add(ByteRegion::Kind::DirectoryEntry, at, 12, tag, index);
    entries.push_back({std::move(tag), length.value_or(0), start.value_or(0), length && start});
  }
  if (dir_end > LeaderView::kSize && (dir_end - LeaderView::kSize) % 12 != 0) {
    // A directory that is not a multiple of 12: its tail is shown as one piece of it.
    const std::uint32_t tail = LeaderView::kSize + (dir_end - LeaderView::kSize) / 12 * 12;
    add(ByteRegion::Kind::DirectoryEntry, tail, dir_end - tail);
  }
  add(ByteRegion::Kind::DirectoryTerminator, dir_end, 1);
  std::vector<ByteRegion> fields;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (!e.numeric) continue;
    const std::uint64_t at = std::uint64_t{base} + e.start;
    if (at >= size) continue;
    fields.push_back({ByteRegion::Kind::Field, static_cast<std::uint32_t>(at),
                      static_cast<std::uint32_t>(std::min<std::uint64_t>(e.length, size - at)), e.tag,
                      static_cast<std::int32_t>(i)});
  }
  std::sort(fields.begin(), fields.end(), [](const ByteRegion& a, const ByteRegion& b) { return a.offset < b.offset; });
  for (auto& f : fields) {
    // Overlapping entries: each byte belongs to the first field that claims it.
    const std::uint32_t from = out.empty() ? 0 : out.back().offset + out.back().length;
    if (f.offset + f.length <= from) continue;
    if (f.offset < from) {
      f.length -= from - f.offset;
      f.offset = from;
    }
    out.push_back(std::move(f));
  }
  if (bytes[size - 1] == kRecordTerminator) {
    const std::uint32_t from = out.back().offset + out.back().length;
    if (from <= size - 1) add(ByteRegion::Kind::RecordTerminator, size - 1, 1);
    else if (out.back().kind == ByteRegion::Kind::Field && out.back().offset < size - 1) {
      out.back().length = size - 1 - out.back().offset;  // a field entry running over the terminator
      add(ByteRegion::Kind::RecordTerminator, size - 1, 1);
    }
  }
  return out;
}

}  // namespace marcscope
