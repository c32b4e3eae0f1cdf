#pragma once
// Stage 2: decoding one record's leader, directory and fields as views into the input bytes.

#include <cstdint>
#include <string_view>
#include <vector>

#include "marcscope/core/diagnostic.h"
#include "marcscope/iso2709/leader.h"
#include "marcscope/core/read_mode.h"

namespace marcscope {

inline constexpr char kSubfieldDelimiter = '\x1F';
inline constexpr char kFieldTerminator = '\x1E';
inline constexpr char kRecordTerminator = '\x1D';

/// True for tags 001-009 (and "00X" forms generally): fields with no indicators or subfields.
inline bool is_control_tag(std::string_view tag) {
  return tag.size() == 3 && tag[0] == '0' && tag[1] == '0' && tag[2] >= '0' && tag[2] <= '9';
}

/// 0-999 for a tag of three ASCII digits, else -1 (a table index for tag-keyed lookups).
inline int tag_number(std::string_view t) {
  if (t.size() != 3) return -1;
  const unsigned a = static_cast<unsigned char>(t[0]) - unsigned{'0'};
  const unsigned b = static_cast<unsigned char>(t[1]) - unsigned{'0'};
  const unsigned c = static_cast<unsigned char>(t[2]) - unsigned{'0'};
  if (a > 9 || b > 9 || c > 9) return -1;
  return static_cast<int>(a * 100 + b * 10 + c);
}

struct SubfieldView {
  char code = 0;
  std::string_view value;  ///< raw bytes in the record's encoding
};

/// One field: `data` is its bytes without the field terminator, in the record's encoding.
struct FieldView {
  std::string_view tag;
  std::string_view data;
  std::uint32_t offset = 0;  ///< offset of `data` from the start of the record

  bool is_control() const { return is_control_tag(tag); }
  /// Indicator 1 or 2. Indicators end at the first subfield delimiter: one the field lacks (it is
  /// too short, or a delimiter comes first) is blank, as the subfield area starts at that delimiter.
  char indicator(int which) const {
    if (data.size() >= 2 && data[0] != kSubfieldDelimiter && data[1] != kSubfieldDelimiter)
      return data[which == 1 ? 0 : 1];
    return which == 1 && !data.empty() && data[0] != kSubfieldDelimiter ? data[0] : ' ';
  }
  /// Bytes after the indicators: the subfield area, starting at the first delimiter.
  std::string_view subfield_area(std::uint32_t indicator_count = 2) const {
    if (indicator_count == 2 && data.size() >= 2 && data[0] != kSubfieldDelimiter && data[1] != kSubfieldDelimiter)
      return data.substr(2);  // the usual case, inline
    return subfield_area_slow(indicator_count);
  }

  std::string_view subfield_area_slow(std::uint32_t indicator_count) const;

  /// Iterates over subfields without allocating. Bytes before the first delimiter are not a subfield.
  class SubfieldIterator {
   public:
    SubfieldIterator() = default;
    explicit SubfieldIterator(std::string_view rest) : rest_(rest) { advance(); }
    const SubfieldView& operator*() const { return current_; }
    const SubfieldView* operator->() const { return &current_; }
    SubfieldIterator& operator++() { advance(); return *this; }
    bool operator==(const SubfieldIterator& other) const { return done_ == other.done_ && (done_ || rest_.data() == other.rest_.data()); }
   private:
    void advance();
    std::string_view rest_;
    SubfieldView current_;
    bool done_ = true;
  };
  struct SubfieldRange {
    std::string_view area;
    SubfieldIterator begin() const { return SubfieldIterator(area); }
    SubfieldIterator end() const { return {}; }
  };
  SubfieldRange subfields(std::uint32_t indicator_count = 2) const { return {subfield_area(indicator_count)}; }
};

/// A decoded record whose fields point into the input. Reuse one RecordView across records: its
/// field vector keeps its capacity, so decoding a stream allocates nothing per record.
class RecordView {
 public:
  /// Decodes `bytes` (one record, from its leader to its terminator) found at absolute `offset`
  /// as record number `number`. Returns false when the record is unusable in this mode: Strict
  /// fails on any structural error, Permissive on errors that lose data, Recover only when no
  /// leader or directory can be salvaged. Diagnostics are appended in all cases.
  bool parse(std::string_view bytes, std::uint64_t offset, std::uint64_t number, ReadMode mode,
             Diagnostics& diags);

  std::string_view bytes() const { return bytes_; }
  LeaderView leader() const { return LeaderView(bytes_.substr(0, LeaderView::kSize)); }
  const std::vector<FieldView>& fields() const { return fields_; }
  std::uint64_t offset() const { return offset_; }
  std::uint64_t number() const { return number_; }
  /// True when Recover mode changed anything to make the record readable.
  bool repaired() const { return repaired_; }
  std::uint32_t indicator_count() const { return indicator_count_; }

  /// First field with this tag, or nullptr.
  const FieldView* first(std::string_view tag) const;

  /// Whether the fields lie one after the other from the first one's data on, each followed by a
  /// field terminator: then the bytes from the first field to the last terminator are exactly
  /// the fields' data and terminators, in one piece (what decodes_as_is() checks in one pass and
  /// write_iso2709_view() copies in one piece).
  /// (Found once, when the view is parsed or laid out.)
  bool fields_in_one_piece() const { return one_piece_; }
  /// The fields are in one piece from the start of the data, and the directory (each entry read
  /// as it is, by parse()'s fast path, or laid out by a writer) lists them in that order: it holds
  /// the very entries an ISO 2709 writer would write for them (write_iso2709_view() then copies the
  /// record as it is but for its leader).
  bool directory_as_written() const { return as_written_; }
  /// parse()'s fast path found every tag made of letters and digits, and every field that is not
  /// a control field with two MARC 21 indicators (blank, lowercase letter or digit) followed by a
  /// subfield delimiter: what decodes_as_is() asks of tags and indicators, known without looking
  /// again. False whenever that was not checked (a damaged record, a laid-out one).
  bool tags_and_indicators_plain() const { return plain_shape_; }
  /// parse()'s fast path counted the field and record terminators of the data area: exactly one
  /// per field, its own (so none inside a field's data). False whenever that was not counted.
  bool only_field_terminators() const { return own_terminators_; }

  /// Points the view at `copy`, a copy of the bytes it was parsed from: the same record without
  /// parsing it again.
  void rebase(std::string_view copy);

  /// Empties the view (as a new one), keeping the room its field list has: a view that is copied
  /// into again, or parses again, then allocates nothing.
  void clear();

  /// For a writer that lays a record out itself, the leader, a directory of 12-byte entries, then
  /// the fields one after the other, each with its terminator: the field vector, emptied, to which
  /// the writer adds a FieldView with only its `offset` set (where its data starts in the record)
  /// for each field, in directory order; finish_layout() then points the view at the record, with
  /// no parsing and no checks (the writer answers for the layout).
  std::vector<FieldView>& start_layout();
  void finish_layout(std::string_view bytes, std::uint64_t offset, std::uint64_t number);

 private:
  std::string_view bytes_;
  std::vector<FieldView> fields_;
  std::uint64_t offset_ = 0;
  std::uint64_t number_ = 0;
  std::uint32_t indicator_count_ = 2;
  bool repaired_ = false;
  bool one_piece_ = false;  ///< fields_in_one_piece()
  bool as_written_ = false;  ///< directory_as_written()
  bool plain_shape_ = false;  ///< tags_and_indicators_plain()
  bool own_terminators_ = false;  ///< only_field_terminators()
  /// fields_in_one_piece(), worked out from the fields.
  bool find_one_piece() const;
};

}  // namespace marcscope
