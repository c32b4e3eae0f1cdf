#pragma once
// Typed access to the 24-character ISO 2709 / MARC 21 leader.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace marcscope {

/// A view over 24 leader bytes. Numeric accessors return nullopt when the positions are not digits.
class LeaderView {
 public:
  static constexpr std::size_t kSize = 24;

  LeaderView() = default;
  explicit LeaderView(std::string_view bytes) : bytes_(bytes) {}

  std::string_view bytes() const { return bytes_; }
  bool complete() const { return bytes_.size() == kSize; }
  char at(std::size_t pos) const { return pos < bytes_.size() ? bytes_[pos] : ' '; }

  std::optional<std::uint32_t> record_length() const { return number(0, 5); }       // 00-04
  char record_status() const { return at(5); }                                       // 05
  char type_of_record() const { return at(6); }                                      // 06
  char bibliographic_level() const { return at(7); }                                 // 07
  char type_of_control() const { return at(8); }                                     // 08
  char character_coding() const { return at(9); }                                   // 09: ' ' MARC-8, 'a' UCS
  std::optional<std::uint32_t> indicator_count() const { return number(10, 1); }     // 10
  std::optional<std::uint32_t> subfield_code_count() const { return number(11, 1); } // 11
  std::optional<std::uint32_t> base_address() const { return number(12, 5); }       // 12-16
  char encoding_level() const { return at(17); }                                     // 17
  char descriptive_cataloging_form() const { return at(18); }                        // 18
  char multipart_resource_level() const { return at(19); }                           // 19
  std::optional<std::uint32_t> length_of_field_length() const { return number(20, 1); }     // 20
  std::optional<std::uint32_t> length_of_starting_position() const { return number(21, 1); } // 21
  std::optional<std::uint32_t> length_of_implementation_portion() const { return number(22, 1); } // 22
  char undefined_23() const { return at(23); }                                       // 23

  bool declares_utf8() const { return character_coding() == 'a'; }

  /// Parses `count` digits at `pos`; nullopt when any is not '0'-'9'.
  std::optional<std::uint32_t> number(std::size_t pos, std::size_t count) const;

 private:
  std::string_view bytes_;
};

/// Parses a run of ASCII digits; nullopt on any other byte or an empty run.
std::optional<std::uint32_t> parse_digits(std::string_view digits);

/// Four ASCII digits at `p` as a number, in a few word operations instead of a loop (record
/// lengths and directory entries are read for every record). False when one is not a digit.
inline bool parse_digits4(const char* p, std::uint32_t& value) {
  std::uint32_t x;
  std::memcpy(&x, p, 4);
  const std::uint32_t d = x - 0x30303030u;
  // A byte below '0' wraps to >= 0xD0, one above '9' reaches 0x10 once 6 is added.
  if (((d | (d + 0x06060606u)) & 0xF0F0F0F0u) != 0) return false;
  // Byte 0 holds the most significant digit: fold pairs (d0*10+d1, d2*10+d3), then the halves.
  const std::uint32_t pairs = (d * 10 + (d >> 8)) & 0x00FF00FFu;
  value = (pairs & 0xFFu) * 100 + (pairs >> 16);
  return true;
}

/// A directory entry's length and start: the nine ASCII digits at `p` (bytes 3-11 of the entry)
/// read as one eight-byte word and a byte, the same folding as parse_digits4. False when one is
/// not a digit. This runs for every field of every record.
inline bool parse_directory_numbers(const char* p, std::uint32_t& length, std::uint32_t& start) {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  const std::uint64_t d = x - 0x3030303030303030ull;
  const unsigned last = static_cast<unsigned char>(p[8]) - static_cast<unsigned>('0');
  if (((d | (d + 0x0606060606060606ull)) & 0xF0F0F0F0F0F0F0F0ull) != 0 || last > 9) return false;
  const std::uint64_t pairs = (d * 10 + (d >> 8)) & 0x00FF00FF00FF00FFull;     // d0d1 d2d3 d4d5 d6d7
  const std::uint64_t quads = (pairs * 100 + (pairs >> 16)) & 0x0000FFFF0000FFFFull;  // d0-d3 d4-d7
  length = static_cast<std::uint32_t>(quads & 0xFFFFu);
  start = static_cast<std::uint32_t>(quads >> 32) * 10 + last;
  return true;
}

}  // namespace marcscope
