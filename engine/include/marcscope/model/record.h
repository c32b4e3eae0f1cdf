#pragma once
// The owning model: a record that can be built, edited and written. Values are UTF-8.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "marcscope/charset/charset.h"
#include "marcscope/core/diagnostic.h"

namespace marcscope {

class RecordView;

struct Subfield {
  char code = 'a';
  std::string value;
  bool operator==(const Subfield&) const = default;
};

class Field {
 public:
  // User-provided (not "= default"), so that making a Field does not first zero all of it.
  Field() noexcept {}
  /// A control field (tags 001-009).
  Field(std::string tag, std::string value) : tag_(std::move(tag)), value_(std::move(value)) {}
  /// A data field.
  Field(std::string tag, char ind1, char ind2, std::vector<Subfield> subfields)
      : tag_(std::move(tag)), ind1_(ind1), ind2_(ind2), subfields_(std::move(subfields)), control_(false) {}

  const std::string& tag() const { return tag_; }
  void set_tag(std::string tag) { tag_ = std::move(tag); }
  bool is_control() const { return control_; }

  /// Control field value (empty for data fields).
  const std::string& value() const { return value_; }
  void set_value(std::string value) { value_ = std::move(value); }

  char indicator1() const { return ind1_; }
  char indicator2() const { return ind2_; }
  void set_indicators(char ind1, char ind2) { ind1_ = ind1; ind2_ = ind2; }

  /// Bytes between the indicators and the first subfield delimiter. Well-formed fields have
  /// none; broken ones are kept as they are so that reading and writing loses nothing.
  const std::string& leading_data() const { return leading_; }
  void set_leading_data(std::string data) { leading_ = std::move(data); }

  const std::vector<Subfield>& subfields() const { return subfields_; }
  std::vector<Subfield>& subfields() { return subfields_; }
  void add_subfield(char code, std::string value) { subfields_.push_back({code, std::move(value)}); }
  /// First value of subfield `code`, or nullptr.
  const std::string* subfield(char code) const;
  /// All values of subfield `code`, in order.
  std::vector<std::string> subfield_values(char code) const;

  bool operator==(const Field&) const = default;

 private:
  friend class Record;  // from_view fills fields in place
  std::string tag_;
  std::string value_;
  char ind1_ = ' ';
  char ind2_ = ' ';
  std::string leading_;
  std::vector<Subfield> subfields_;
  bool control_ = true;
};

class Record {
 public:
  Record();

  /// Leader, always 24 characters (lengths and base address are recomputed when writing). A new
  /// record has "00000nam a2200000 i 4500" (kept implicit, so an empty Record allocates nothing).
  const std::string& leader() const { return leader_.empty() ? default_leader() : leader_; }
  static const std::string& default_leader();
  /// Sets the leader, padding or cutting to 24 characters.
  void set_leader(std::string_view leader);
  /// Sets one leader position (0-23); out of range is std::out_of_range.
  void set_leader_at(std::size_t position, char value);

  const std::vector<Field>& fields() const { return fields_; }
  std::vector<Field>& fields() { return fields_; }
  void add_field(Field field) { fields_.push_back(std::move(field)); }
  /// Removes every field with `tag`; returns how many were removed.
  std::size_t remove_fields(std::string_view tag);

  /// First field with `tag`, or nullptr.
  const Field* first(std::string_view tag) const;
  std::vector<const Field*> fields_with_tag(std::string_view tag) const;

  bool operator==(const Record& other) const { return leader() == other.leader() && fields_ == other.fields_; }

  /// Builds an owning UTF-8 record from a view, converting MARC-8 (or repairing UTF-8) as the
  /// options say; conversion problems become diagnostics. Leader/09 becomes 'a' unless
  /// options.leader_utf8 is false; options.raw keeps values as bytes as read. `chosen`, when
  /// given, receives the encoding the values were read in.
  static Record from_view(const RecordView& view, const DecodeOptions& options, Diagnostics& diags,
                          Encoding* chosen = nullptr);

 private:
  std::string leader_;
  std::vector<Field> fields_;
};

/// True when Record::from_view(view, options) would give back the view's own bytes, unchanged
/// (but for leader/09, which the model sets to 'a') and with no diagnostic: a printable leader
/// with leader/10-11 "22", printable three-byte tags and indicators, no text before a field's
/// first subfield, every subfield delimiter followed by a printable code, and either
///  - leader/09 'a' and every field valid UTF-8 (examined, as from_view examines it; no ESC), or
///  - a record read as MARC-8 whose every byte is printable ASCII (0x20-0x7E) or a delimiter,
///    with no "&#" (a numeric character reference, which MARC-8 reads as the character it
///    names): MARC-8's default G0 set is ASCII, so its UTF-8 is its bytes (options.leader_utf8 on).
/// A writer can then write the record from the view (RecordWriter::write_view, with leader/09
/// 'a') and the output is the model's, byte for byte. Records kept raw never are. `encoding`,
/// when given, is set to the encoding the record was read in.
bool decodes_as_is(const RecordView& view, const DecodeOptions& options, Encoding* encoding = nullptr);

/// For a record read as MARC-8 (leader/09 not 'a', options.leader_utf8 on, nothing kept raw) with
/// decodes_as_is()'s clean structure and MARC-8 characters beyond ASCII: writes the record's UTF-8
/// form to `out` (ISO 2709: each value decoded as Record::from_view decodes it, leader/09 'a') and
/// parses it into `transcoded`, which then stands for the record: decodes_as_is(transcoded) holds
/// and Record::from_view(transcoded) equals Record::from_view(view). So that it does, `out`'s
/// leader keeps the record length and base address read (as the model keeps them): `out` is the
/// view's storage, not a record to write out (write_iso2709_view writes it). False, with `out`
/// and `transcoded` unspecified, for any record whose decoding says anything (a diagnostic) or
/// that would not read back the same; Record::from_view then decodes it and says what it finds.
bool transcode_marc8_as_is(const RecordView& view, const DecodeOptions& options, std::string& out,
                           RecordView& transcoded);

}  // namespace marcscope
