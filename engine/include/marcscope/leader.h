#pragma once
// Typed access to the 24-character ISO 2709 / MARC 21 leader.

#include <cstdint>
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

}  // namespace marcscope
