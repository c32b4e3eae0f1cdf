#pragma once
// Private to the engine: what the readers and writers of record_stream.h share (the input window
// with line and column tracking, the per-record outcome by read mode, escaping helpers), and the
// factory functions record_stream.cpp dispatches to.

#include <bit>
#include <cstring>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "marcscope/charset/utf8.h"
#include "marcscope/io/byte_source.h"
#include "marcscope/core/diagnostic.h"
#include "marcscope/core/read_mode.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/model/record.h"
#include "marcscope/formats/record_stream.h"

namespace marcscope::detail {

/// The next subfield delimiter in [p, end), or end: sixteen bytes at a time (SSE2), reading as
/// far as `limit` (>= end: the record's end, so that a short value needs no byte loop).
inline const char* next_delimiter(const char* p, const char* end, const char* limit) {
#if defined(__SSE2__)
  const __m128i delimiter = _mm_set1_epi8(kSubfieldDelimiter);
  for (; limit - p >= 16; p += 16) {
    const auto m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), delimiter)));
    if (m) {
      const char* found = p + std::countr_zero(m);
      return found < end ? found : end;
    }
    if (end - p <= 16) return end;
  }
#else
  (void)limit;
#endif
  while (p < end && *p != kSubfieldDelimiter) ++p;
  return p < end ? p : end;
}

/// The subfields of a field that decodes_as_is() accepted: its subfield area is empty or starts
/// with a delimiter, and every delimiter has a code after it.
class AsIsSubfields {
 public:
  struct Subfield {
    char code = 0;
    std::string_view value;
  };
  struct Iterator {
    const char* at;  ///< a delimiter, or the end
    const char* end;
    const char* limit;  ///< the record's end: next_delimiter() may read that far
    Subfield current;
    void load() {
      if (at == end) return;
      current.code = at[1];
      const char* v = at + 2;
      current.value = std::string_view(v, static_cast<std::size_t>(next_delimiter(v, end, limit) - v));
    }
    const Subfield& operator*() const { return current; }
    Iterator& operator++() {
      at = current.value.data() + current.value.size();
      load();
      return *this;
    }
    bool operator!=(const Iterator& other) const { return at != other.at; }
  };
  /// `limit`: the end of the record's bytes, at or past the area's end.
  AsIsSubfields(std::string_view area, const char* limit) : area_(area), limit_(limit) {}
  Iterator begin() const {
    Iterator it{area_.data(), area_.data() + area_.size(), limit_, {}};
    it.load();
    return it;
  }
  Iterator end() const { return {area_.data() + area_.size(), area_.data() + area_.size(), limit_, {}}; }

 private:
  std::string_view area_;
  const char* limit_;
};

/// A record that decodes_as_is() accepts, seen as the model it decodes to (the same names as
/// Record, Field and Subfield), so that a writer's template writes it from the view.
class AsIsField {
 public:
  AsIsField(const FieldView& f, const char* limit) : f_(&f), limit_(limit) {}
  std::string_view tag() const { return f_->tag; }
  bool is_control() const { return f_->is_control(); }
  std::string_view value() const { return f_->data; }
  char indicator1() const { return f_->data[0]; }
  char indicator2() const { return f_->data[1]; }
  std::string_view leading_data() const { return {}; }
  AsIsSubfields subfields() const { return AsIsSubfields(f_->data.substr(2), limit_); }

 private:
  const FieldView* f_;
  const char* limit_;  ///< the end of the record's bytes
};

class AsIsRecord {
 public:
  explicit AsIsRecord(const RecordView& view) : view_(view) {
    std::memcpy(leader_, view.bytes().data(), 24);
    leader_[9] = 'a';  // the model's, for a record read as MARC-8 (plain ASCII) as for UTF-8
  }
  std::string_view leader() const { return {leader_, 24}; }
  struct Iterator {
    std::vector<FieldView>::const_iterator at;
    const char* limit;
    AsIsField operator*() const { return AsIsField(*at, limit); }
    Iterator& operator++() {
      ++at;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return at != other.at; }
  };
  struct Fields {
    const std::vector<FieldView>& fields;
    const char* limit;
    Iterator begin() const { return {fields.begin(), limit}; }
    Iterator end() const { return {fields.end(), limit}; }
  };
  Fields fields() const { return {view_.fields(), view_.bytes().data() + view_.bytes().size()}; }

 private:
  const RecordView& view_;
  char leader_[24];
};

// ---------------------------------------------------------------------------------------------
// Factories (one per source file)
// ---------------------------------------------------------------------------------------------

std::unique_ptr<RecordStream> open_marcxml_stream(std::unique_ptr<ByteSource> source, const ReadOptions& options);
std::unique_ptr<RecordStream> open_json_stream(std::unique_ptr<ByteSource> source, const ReadOptions& options);
std::unique_ptr<RecordStream> open_mrk_stream(std::unique_ptr<ByteSource> source, const ReadOptions& options);

std::unique_ptr<RecordWriter> make_marcxml_writer(const WriterOptions& options);
std::unique_ptr<RecordWriter> make_json_writer(const WriterOptions& options, bool ndjson);
/// Throws std::invalid_argument for a column it cannot read ("245$", "LDR/x" ...).
std::unique_ptr<RecordWriter> make_csv_writer(const WriterOptions& options);

// ---------------------------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------------------------

/// A 1-based line and column (columns count UTF-8 characters, not bytes).
struct TextPos {
  std::uint64_t line = 1;
  std::uint64_t column = 1;

  /// Moves past `bytes`.
  void advance(std::string_view bytes) {
    std::size_t last_nl = std::string_view::npos;
    for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1)) {
      ++line;
      last_nl = i;
    }
    std::string_view tail = bytes;
    if (last_nl != std::string_view::npos) {
      column = 1;
      tail = bytes.substr(last_nl + 1);
    }
    for (char c : tail)
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++column;
  }
  std::string describe() const { return "line " + std::to_string(line) + ", column " + std::to_string(column); }
};

/// The part of the input a text reader is working on: bytes from absolute offset `base()` to
/// `end()`, filled from the source in chunks. Dropping consumed bytes keeps memory bounded while
/// line and column numbers stay exact.
class InputWindow {
 public:
  explicit InputWindow(std::unique_ptr<ByteSource> source, std::size_t chunk = 64 * 1024)
      : source_(std::move(source)), chunk_(chunk) {}

  ByteSource& source() { return *source_; }
  std::string_view view() const { return buf_; }
  const char* data() const { return buf_.data(); }
  std::size_t size() const { return buf_.size(); }
  std::uint64_t base() const { return base_; }
  std::uint64_t end() const { return base_ + buf_.size(); }
  bool eof() const { return eof_; }
  std::uint64_t bytes_read() const { return end(); }

  /// Reads one more chunk; returns the number of bytes added (0 at the end of the input).
  std::size_t fill() {
    if (eof_) return 0;
    const std::size_t old = buf_.size();
    buf_.resize(old + chunk_);
    std::size_t got = 0;
    try {
      got = source_->read(buf_.data() + old, chunk_);
    } catch (...) {
      buf_.resize(old);
      throw;
    }
    buf_.resize(old + got);
    if (got == 0) eof_ = true;
    return got;
  }

  /// Lets the bytes before absolute offset `keep` go (clamped to the window). They are dropped
  /// in batches, so that calling this for every small record does not move the window each time.
  void discard_before(std::uint64_t keep) {
    if (keep <= base_) return;
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(keep - base_, buf_.size()));
    if (n < buf_.size() && n < 2 * chunk_ && n < buf_.size() / 2) return;
    base_pos_.advance(std::string_view(buf_.data(), n));
    buf_.erase(0, n);
    base_ += n;
    source_->release_before(base_);
  }

  /// Line and column of absolute offset `at` (clamped into the window).
  TextPos pos_at(std::uint64_t at) const {
    TextPos p = base_pos_;
    if (at > base_) p.advance(std::string_view(buf_.data(), static_cast<std::size_t>(std::min<std::uint64_t>(at - base_, buf_.size()))));
    return p;
  }

  /// Byte at absolute offset `at`, reading more input when needed; -1 past the end.
  int byte_at(std::uint64_t at) {
    while (at >= end()) {
      if (fill() == 0) return -1;
    }
    if (at < base_) return -1;
    return static_cast<unsigned char>(buf_[static_cast<std::size_t>(at - base_)]);
  }

 private:
  std::unique_ptr<ByteSource> source_;
  std::size_t chunk_;
  std::string buf_;
  std::uint64_t base_ = 0;
  TextPos base_pos_;
  bool eof_ = false;
};

// ---------------------------------------------------------------------------------------------
// Record outcome
// ---------------------------------------------------------------------------------------------

/// Severity of a problem that loses or guesses data: Fatal in Strict (reading stops), else Error.
inline Severity error_severity(ReadMode mode) { return mode == ReadMode::Strict ? Severity::Fatal : Severity::Error; }

enum class Outcome { Deliver, Skip, Stop };

/// What happens to a record with (had_error) or without problems that lose data: Strict stops,
/// Permissive skips (RecordSkipped), Recover delivers it marked repaired (RecordRepaired).
inline Outcome record_outcome(ReadMode mode, bool had_error, std::uint64_t number, std::uint64_t offset,
                              Diagnostics& diags) {
  if (!had_error) return Outcome::Deliver;
  switch (mode) {
    case ReadMode::Strict:
      return Outcome::Stop;
    case ReadMode::Permissive:
      diags.push_back({Severity::Error, Code::RecordSkipped, number, offset, {}, 0,
                       "record " + std::to_string(number) + " skipped"});
      return Outcome::Skip;
    case ReadMode::Recover:
      diags.push_back({Severity::Info, Code::RecordRepaired, number, offset, {}, 0,
                       "record " + std::to_string(number) + " was repaired; the diagnostics before this one say what changed"});
      return Outcome::Deliver;
  }
  return Outcome::Deliver;
}

/// The leader given to records whose input has none: lengths zero, UTF-8, "22" and "4500".
inline constexpr std::string_view kDefaultLeader = "00000    a2200000   4500";

/// Sets a leader read from text, padding or cutting to 24 characters (with a warning), and
/// leader/09 to 'a' (the record's values are Unicode) unless `leader_utf8` is false
/// (DecodeOptions::leader_utf8: leader/09 kept as the document writes it, as pymarc keeps it).
/// Returns false when it had to change the length.
bool set_text_leader(Record& record, std::string_view leader, Diagnostics& diags, std::uint64_t number,
                     std::uint64_t offset, std::string_view where, bool leader_utf8 = true);

/// Normalises a tag read from text: characters that are not printable ASCII become '?', a tag
/// shorter than 3 characters is zero-padded ("42" -> "042"), each with a warning; returns false
/// (tag unusable, an error) when it is empty or longer than 3 characters. `tag` is changed in
/// place; `what` names the element for messages ("datafield" -> "datafield in record 7").
bool normalise_tag(std::string& tag, Diagnostics& diags, ReadMode mode, std::uint64_t number, std::uint64_t offset,
                   std::string_view what);

using marcscope::utf8_sequence_length;  // charset/utf8.h

/// The record a writer's diagnostics are about: its number and its byte offset in the input.
struct Origin {
  std::uint64_t number = 0;
  std::uint64_t offset = 0;
};

// ---------------------------------------------------------------------------------------------
// Structure bytes
// ---------------------------------------------------------------------------------------------

/// ISO 2709's record terminator (0x1D), field terminator (0x1E) and subfield delimiter (0x1F).
/// The model never holds one inside a value or as a subfield code: readers of text formats
/// replace them, and writers do again for records built by hand, so that no output gains a
/// field or subfield that was not there.
constexpr bool is_structure_byte(unsigned char c) { return c >= 0x1D && c <= 0x1F; }

/// "0x1F (subfield delimiter)".
std::string structure_byte_name(unsigned char c);

/// How many structure bytes a value held, and the first.
struct StructureBytes {
  std::size_t count = 0;
  unsigned char first = 0;
  void add(unsigned char c) {
    if (count++ == 0) first = c;
  }
};

/// Replaces each structure byte of `value` with U+FFFD, counting them in `found`.
void replace_structure_bytes(std::string& value, StructureBytes& found);

/// The warning for structure bytes found in `tag` / `code` of record `number` at `offset`:
/// "<count> ... in field 245 $a (first 0x1F (subfield delimiter)); <action>".
Diagnostic structure_bytes_diagnostic(const StructureBytes& found, std::uint64_t number, std::uint64_t offset,
                                      std::string_view tag, char code, std::string_view action);

/// For readers of text formats: takes the structure bytes out of a value (U+FFFD in their place)
/// with one warning, whose message starts with `prefix` ("line 12: ").
void clean_read_value(std::string& value, Diagnostics& diags, std::uint64_t number, std::uint64_t offset,
                      std::string_view tag, char code, std::string_view prefix = {});
/// For readers of text formats: a subfield code that is a structure byte becomes '?', with a
/// warning.
char clean_read_code(char code, Diagnostics& diags, std::uint64_t number, std::uint64_t offset, std::string_view tag,
                     std::string_view prefix = {});

/// What escaping a value for XML or JSON had to change.
struct EscapeProblems {
  std::size_t control = 0;   ///< characters the format cannot hold, replaced by U+FFFD
  std::size_t invalid = 0;   ///< invalid UTF-8 sequences, replaced by U+FFFD
  char32_t first_control = 0;  ///< the first of them: a C0 control, or U+FFFE / U+FFFF in XML
  StructureBytes structure;  ///< 0x1D-0x1F, replaced by U+FFFD (not counted in `control`)
};

/// Reports what escaping changed, against `tag` / `code` of record `number` at `offset`: the
/// characters the format cannot hold, then structure bytes, then invalid UTF-8.
void report_escape_problems(const EscapeProblems& p, std::string_view format, std::uint64_t number,
                            std::uint64_t offset, std::string_view tag, char code, Diagnostics& diags);

/// Appends `value` to `out` as valid UTF-8 with no structure byte: both replaced by U+FFFD and
/// counted (the MARCMaker and CSV writers, which copy values as they are). True when nothing
/// had to change.
bool append_clean_text(std::string_view value, std::string& out, EscapeProblems& problems);

/// The character an indicator or a subfield code read from text stands for: exactly one
/// character is expected. Empty gives a blank, several give the first; a character that is not
/// printable ASCII (control characters are allowed when `control_ok`, for subfield codes) gives
/// '?'. `problem` is set to what was wrong, for a message ("is empty" ...), or cleared.
char single_char(std::string_view text, bool control_ok, std::string& problem);

/// Text for a byte or character in a message: printable ASCII as is, others as 0xNN.
std::string printable(std::string_view s);

}  // namespace marcscope::detail
