#include "marcscope/iso2709/leader.h"

namespace marcscope {

std::optional<std::uint32_t> parse_digits(std::string_view digits) {
  if (digits.size() == 5) {
    // Record lengths and base addresses, read for every record by stage 1.
    std::uint32_t v;
    const auto last = static_cast<std::uint32_t>(static_cast<unsigned char>(digits[4])) - '0';
    if (!parse_digits4(digits.data(), v) || last > 9) return std::nullopt;
    return v * 10 + last;
  }
  if (digits.empty()) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value;
}

std::optional<std::uint32_t> LeaderView::number(std::size_t pos, std::size_t count) const {
  if (pos + count > bytes_.size()) return std::nullopt;
  return parse_digits(bytes_.substr(pos, count));
}

}  // namespace marcscope
