// The fast path for clean MARCXML chunks (see marcxml_fast.h). Three steps, each refusing what it
// is not sure of:
//   1. the header (once per document): BOM, an XML declaration of version 1.0 in UTF-8, blanks,
//      the root's start tag with plain ASCII attributes and well-formed namespace declarations;
//   2. a scan of the chunk's bytes after the header: valid UTF-8 holding only characters XML
//      allows, no carriage return (expat would turn it into a newline), no "<!" (comments, CDATA,
//      DOCTYPE) or "<?", no "]]>", entity and character references only of the kinds expat reads
//      by itself and pugixml decodes the same way (tags are left to pugixml, which rejects what
//      expat rejects there, and to the walk, which refuses attribute values holding '<', a tab or
//      a newline, and attribute names that are not plain ASCII names);
//   3. pugixml (escapes only, whitespace kept where it is an element's whole content) and a walk
//      over what it built: the root holding only records, each in the MARC21 slim namespace or
//      none exactly as expat resolves it, holding a leader and fields, the fields holding only
//      their text or subfields, with the attributes the expat reader reads giving no diagnostic
//      through the very same helpers it uses.
#include "marcxml_fast.h"

#include <pugixml.hpp>

#include <array>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "format_support.h"
#include "iso2709/digits.h"

namespace marcscope::detail {
namespace {

constexpr std::string_view kMarcNs = "http://www.loc.gov/MARC21/slim";
constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view kXmlnsNs = "http://www.w3.org/2000/xmlns/";

constexpr bool blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }
constexpr bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
constexpr bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

bool ncname(std::string_view n) {
  if (n.empty() || !name_start(n[0])) return false;
  for (char c : n)
    if (!name_char(c)) return false;
  return true;
}

/// An ASCII name with at most one colon, both parts names.
bool qname(std::string_view n) {
  const std::size_t colon = n.find(':');
  if (colon == std::string_view::npos) return ncname(n);
  return ncname(n.substr(0, colon)) && ncname(n.substr(colon + 1));
}

std::string_view prefix_of(std::string_view n) {
  const std::size_t colon = n.find(':');
  return colon == std::string_view::npos ? std::string_view() : n.substr(0, colon);
}

std::string_view local_of(std::string_view n) {
  const std::size_t colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

using Bindings = std::vector<std::pair<std::string_view, std::string_view>>;

/// Attributes on one element that the fast path checks itself (pairwise); more go to expat.
constexpr std::size_t kMaxFastAttributes = 32;

/// Checks one element's attributes as expat (with namespaces) would see them: no duplicate, no
/// bad namespace declaration, every prefix bound. Adds the element's declarations to `decl`.
/// `outer` holds the declarations in scope from outside.
template <typename Attrs>
bool check_attributes(const Attrs& attrs, const Bindings& outer, Bindings& decl) {
  for (const auto& [name, value] : attrs) {
    if (!qname(name)) return false;
    if (name == "xmlns") {
      decl.emplace_back(std::string_view(), value);
    } else if (prefix_of(name) == "xmlns") {
      const std::string_view p = local_of(name);
      if (p == "xml" || p == "xmlns" || value.empty()) return false;
      decl.emplace_back(p, value);
    } else {
      continue;
    }
    if (value == kXmlNs || value == kXmlnsNs) return false;
  }
  // Duplicates are looked for pair by pair: many attributes are left to expat (hashed), so that
  // an element with thousands of them costs no quadratic time here.
  if (attrs.size() > kMaxFastAttributes) return false;
  for (std::size_t i = 0; i < attrs.size(); ++i) {
    const std::string_view name = attrs[i].first;
    for (std::size_t j = 0; j < i; ++j) {
      const std::string_view other = attrs[j].first;
      if (other == name) return false;
      // Two prefixed attributes with the same local name may name the same attribute.
      if (local_of(other) == local_of(name) && !prefix_of(other).empty() && !prefix_of(name).empty()) return false;
    }
    const std::string_view p = prefix_of(name);
    if (p.empty() || p == "xmlns" || p == "xml") continue;
    bool bound = false;
    for (const auto& d : decl) bound |= d.first == p;
    for (const auto& d : outer) bound |= d.first == p;
    if (!bound) return false;
  }
  return true;
}

/// The URI `prefix` is bound to: the innermost declaration wins; empty when unbound.
std::string_view lookup(std::string_view prefix, const Bindings& inner, const Bindings& outer, bool& bound) {
  bound = true;
  for (const auto& d : inner)
    if (d.first == prefix) return d.second;
  for (const auto& d : outer)
    if (d.first == prefix) return d.second;
  bound = false;
  return {};
}

// ------------------------------------------------------------------ step 2: the bytes

/// Bytes that need a look: '&', ']', '!' and '?' (after '<'), controls (tab and newline are
/// fine), non-ASCII.
constexpr std::array<bool, 256> kSpecial = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = c < 0x20 || c >= 0x80 || c == '&' || c == ']' || c == '!' || c == '?';
  t['\t'] = t['\n'] = false;
  return t;
}();

/// ASCII name characters (':' apart).
constexpr std::array<bool, 256> kNameChar = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = name_char(static_cast<char>(c));
  return t;
}();

/// A non-ASCII character at `i`: valid UTF-8 and not U+FFFE / U+FFFF (surrogates and overlongs
/// are invalid UTF-8). Advances `i`.
bool check_utf8(const unsigned char* s, std::size_t n, std::size_t& i) {
  const std::size_t len = utf8_sequence_length(s + i, n - i);
  if (len == 0) return false;
  if (len == 3 && s[i] == 0xEF && s[i + 1] == 0xBF && (s[i + 2] == 0xBE || s[i + 2] == 0xBF)) return false;
  i += len;
  return true;
}

/// A reference at `i` ('&'): one of the five predefined entities or a character reference to a
/// character XML allows, written the way both parsers read it. Advances `i` past the ';'.
bool check_reference(const unsigned char* s, std::size_t n, std::size_t& i) {
  std::size_t j = i + 1;
  if (j < n && s[j] == '#') {
    ++j;
    const bool hex = j < n && s[j] == 'x';
    if (hex) ++j;
    std::uint32_t v = 0;
    std::size_t digits = 0;
    for (; j < n && digits <= 8; ++j, ++digits) {
      const unsigned char c = s[j];
      unsigned d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else break;
      v = v * (hex ? 16 : 10) + d;
    }
    if (digits == 0 || digits > 8 || j >= n || s[j] != ';') return false;
    const bool ok = v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD) ||
                    (v >= 0x10000 && v <= 0x10FFFF);
    if (!ok) return false;
    i = j + 1;
    return true;
  }
  for (const std::string_view e : {"lt;", "gt;", "amp;", "quot;", "apos;"}) {
    if (n - j >= e.size() && std::memcmp(s + j, e.data(), e.size()) == 0) {
      i = j + e.size();
      return true;
    }
  }
  return false;
}

void skip_blanks(const unsigned char* s, std::size_t n, std::size_t& j, bool& any) {
  any = false;
  while (j < n && blank(static_cast<char>(s[j]))) {
    ++j;
    any = true;
  }
}

bool tag_name_char(unsigned char c) { return kNameChar[c] || c == ':'; }

bool check_bytes(std::string_view text, std::size_t from) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = from;
#if defined(__SSE2__)
  const __m128i amp = _mm_set1_epi8('&'), bracket = _mm_set1_epi8(']'), bang = _mm_set1_epi8('!'),
                question = _mm_set1_epi8('?'), space = _mm_set1_epi8(0x20);
#endif
  for (;;) {
#if defined(__SSE2__)
    // 16 bytes at a time: any of the four characters, or a byte below 0x20 or above 0x7F (signed
    // below 0x20); tabs and newlines are looked at one by one.
    while (i + 16 <= n) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      const __m128i m = _mm_or_si128(
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, amp), _mm_cmpeq_epi8(v, bracket)),
                       _mm_or_si128(_mm_cmpeq_epi8(v, bang), _mm_cmpeq_epi8(v, question))),
          _mm_cmplt_epi8(v, space));
      const int bits = _mm_movemask_epi8(m);
      if (bits == 0) {
        i += 16;
        continue;
      }
      i += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(bits)));
      if (kSpecial[s[i]]) break;
      ++i;
    }
#endif
    while (i < n && !kSpecial[s[i]]) ++i;
    if (i >= n) return true;
    const unsigned char c = s[i];
    if (c == '!' || c == '?') {
      if (s[i - 1] == '<') return false;  // a comment, CDATA, a DOCTYPE, a processing instruction
      ++i;
    } else if (c == '&') {
      if (!check_reference(s, n, i)) return false;
    } else if (c == ']') {
      if (i + 2 < n && s[i + 1] == ']' && s[i + 2] == '>') return false;
      ++i;
    } else if (c >= 0x80) {
      if (!check_utf8(s, n, i)) return false;
    } else {
      return false;  // a control character or a carriage return
    }
  }
}

// ------------------------------------------------------------------ step 3: the tree

using Attrs = std::vector<std::pair<std::string_view, std::string_view>>;

void attributes_of(pugi::xml_node e, Attrs& out) {
  out.clear();
  for (pugi::xml_attribute a = e.first_attribute(); a; a = a.next_attribute()) out.emplace_back(a.name(), a.value());
}

bool plain_value(std::string_view v);

/// The text of an element that holds nothing but text (pugixml keeps it as the element's value).
bool leaf_text(pugi::xml_node e, std::string_view& out) {
  if (e.first_child()) return false;
  out = e.value();
  return true;
}

bool all_blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

/// An attribute value holding no '<' and no tab or newline (as a character or a reference): the
/// byte scan does not look inside tags, and expat would make raw tabs and newlines blanks.
bool plain_value(std::string_view v) {
  for (char c : v)
    if (c == '<' || c == '\t' || c == '\n') return false;
  return true;
}

/// The attributes of a field or subfield the expat reader looks at; refuses namespace
/// declarations, prefixed names (whose prefix would need checking) and duplicates.
struct FieldAttrs {
  std::string_view tag, ind1, ind2, code;
};

bool field_attributes(pugi::xml_node e, FieldAttrs& out) {
  out = {};
  unsigned seen = 0;
  bool others = false;
  std::size_t count = 0;
  for (pugi::xml_attribute a = e.first_attribute(); a; a = a.next_attribute()) {
    // Duplicates among other attributes are looked for pair by pair below: many are left to
    // expat (hashed), so that thousands of them cost no quadratic time here.
    if (++count > kMaxFastAttributes) return false;
    const char* n = a.name();
    int k = -1;
    if (n[0] == 't' && n[1] == 'a' && n[2] == 'g' && n[3] == 0) k = 0;
    else if (n[0] == 'i' && n[1] == 'n' && n[2] == 'd' && (n[3] == '1' || n[3] == '2') && n[4] == 0) k = n[3] - '0';
    else if (n[0] == 'c' && n[1] == 'o' && n[2] == 'd' && n[3] == 'e' && n[4] == 0) k = 3;
    const std::string_view v = a.value();
    if (!plain_value(v)) return false;
    if (k < 0) {
      if (!ncname(n) || std::strcmp(n, "xmlns") == 0) return false;
      others = true;
      continue;
    }
    if (seen & (1u << k)) return false;
    seen |= 1u << k;
    (k == 0 ? out.tag : k == 1 ? out.ind1 : k == 2 ? out.ind2 : out.code) = v;
  }
  if (others) {
    for (pugi::xml_attribute a = e.first_attribute(); a; a = a.next_attribute())
      for (pugi::xml_attribute b = a.next_attribute(); b; b = b.next_attribute())
        if (std::strcmp(a.name(), b.name()) == 0) return false;
  }
  return true;
}

/// A tag through the expat reader's own normalisation, which must have nothing to say.
bool clean_tag(std::string_view value, std::string& tag, Diagnostics& scratch, std::string_view element) {
  tag.assign(value);
  return normalise_tag(tag, scratch, ReadMode::Strict, 0, 0, element) && scratch.empty();
}

/// An indicator or subfield code as the expat reader reads it, with nothing to say.
bool clean_char(std::string_view value, bool indicator, char& out) {
  if (value.size() == 1 && value[0] >= 0x20 && value[0] < 0x7F) {  // single_char's plain case
    out = value[0];
    return true;
  }
  if (value.empty() && indicator) {
    out = ' ';
    return true;
  }
  std::string problem;
  out = single_char(value, !indicator, problem);
  return problem.empty();
}

class Walker {
 public:
  /// `leader_utf8`: DecodeOptions::leader_utf8, for the model records (set_text_leader); an ISO
  /// 2709 form's leader/09 is always 'a', as the writers write it.
  Walker(const FastXmlHeader& header, std::string_view record_qname, bool leader_utf8)
      : prefix_(prefix_of(record_qname)), leader_utf8_(leader_utf8) {
    for (const auto& [p, uri] : header.bindings) outer_.emplace_back(p, uri);
    bool bound = false;
    const std::string_view uri = lookup(prefix_, {}, outer_, bound);
    outer_marc_ = (prefix_.empty() || bound) && (uri == kMarcNs || (prefix_.empty() && uri.empty()));
    element_prefix_ = prefix_.empty() ? std::string() : std::string(prefix_) + ":";
    leader_ = element_prefix_ + "leader";
    control_ = element_prefix_ + "controlfield";
    data_ = element_prefix_ + "datafield";
    subfield_ = element_prefix_ + "subfield";
  }

  /// The record element `e` as a model record; false when the chunk must go to expat.
  bool record(pugi::xml_node e, Record& rec) {
    ModelSink sink{rec, leader_utf8_};
    return walk(e, sink);
  }

  /// What record() reads, written straight to its ISO 2709 form in `out` with the view laid out
  /// over it (no model): Built; Refused when the chunk must go to expat; Model when this record
  /// is one to read as a model after all (a field or the record too long for ISO 2709).
  enum class Iso { Built, Refused, Model };
  Iso record_iso(pugi::xml_node e, std::string& out, RecordView& view) {
    iso_data_.clear();
    iso_tags_.clear();
    iso_starts_.clear();
    IsoSink sink{out, view.start_layout(), iso_data_, iso_tags_, iso_starts_, {}, true};
    if (!walk(e, sink)) return Iso::Refused;
    if (!sink.finish()) return Iso::Model;
    view.finish_layout(out, 0, 0);
    return Iso::Built;
  }

 private:
  /// Builds the model, as the expat reader does.
  struct ModelSink {
    Record& rec;
    bool leader_utf8;
    bool leader(std::string_view text, Diagnostics& scratch) {
      return set_text_leader(rec, text, scratch, 0, 0, "record:", leader_utf8) && scratch.empty();
    }
    void control(const std::string& tag, std::string_view text) { rec.add_field(Field(tag, std::string(text))); }
    void data(const std::string& tag, char i1, char i2) { rec.add_field(Field(tag, i1, i2, {})); }
    void subfield(char code, std::string_view text) { rec.fields().back().add_subfield(code, std::string(text)); }
    bool any_field() const { return !rec.fields().empty(); }
  };

  /// Writes what write_iso2709 (write_clean) writes for that model: the leader (its lengths,
  /// leader/09-11 and 20-23 set as the writers set them), a directory entry and the data of each
  /// field. Values are valid UTF-8 with no structure byte (the byte scan saw to it), codes and
  /// indicators printable ASCII (clean_char's plain case; anything else: the model).
  struct IsoSink {
    std::string& out;
    std::vector<FieldView>& laid_out;
    std::string& data_area;                  // each field's data, then its terminator
    std::vector<std::array<char, 3>>& tags;
    std::vector<std::uint32_t>& starts;      // where each field starts in data_area
    std::string leader_text;
    bool plain = true;

    bool leader(std::string_view text, Diagnostics& scratch) {
      Record scratch_record;
      if (!set_text_leader(scratch_record, text, scratch, 0, 0, "record:") || !scratch.empty()) return false;
      leader_text = scratch_record.leader();
      return true;
    }
    void field(const std::string& tag) {
      if (!tags.empty()) data_area.push_back(kFieldTerminator);
      tags.push_back({tag[0], tag[1], tag[2]});
      starts.push_back(static_cast<std::uint32_t>(data_area.size()));
    }
    void control(const std::string& tag, std::string_view text) {
      field(tag);
      data_area.append(text);
    }
    void data(const std::string& tag, char i1, char i2) {
      field(tag);
      plain = plain && i1 >= 0x20 && i1 < 0x7F && i2 >= 0x20 && i2 < 0x7F;
      const char indicators[2] = {i1, i2};
      data_area.append(indicators, 2);
    }
    void subfield(char code, std::string_view text) {
      plain = plain && code >= 0x20 && code < 0x7F;
      const char head[2] = {kSubfieldDelimiter, code};
      data_area.append(head, 2);
      data_area.append(text);
    }
    bool any_field() const { return !tags.empty(); }

    /// The record's bytes; false when they would not be write_clean's (a code or an indicator
    /// that is not printable ASCII) or ISO 2709 cannot hold them (a field or the record too long).
    bool finish() {
      if (!plain || leader_text.size() != 24) return false;
      data_area.push_back(kFieldTerminator);
      const std::size_t n = tags.size();
      const std::size_t base = 24 + 12 * n + 1;
      const std::size_t total = base + data_area.size() + 1;
      if (total > 99999) return false;
      out.clear();
      out.reserve(total);
      out.append(leader_text);
      set_written_leader(out.data(), total, base);
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t length = (i + 1 < n ? starts[i + 1] : data_area.size()) - starts[i];  // with its terminator
        if (length > 9999) return false;
        char entry[12];
        put_entry(entry, tags[i].data(), length, starts[i]);
        out.append(entry, 12);
        laid_out.push_back(FieldView{{}, {}, static_cast<std::uint32_t>(base + starts[i])});
      }
      out.push_back(kFieldTerminator);
      out.append(data_area);
      out.push_back(kRecordTerminator);
      return true;
    }
  };

  template <class Sink>
  bool walk(pugi::xml_node e, Sink& sink) {
    if (e.first_attribute()) {
      attributes_of(e, attrs_);
      decl_.clear();
      if (!check_attributes(attrs_, outer_, decl_)) return false;
      for (const auto& [name, value] : attrs_)
        if (!plain_value(value)) return false;
      bool bound = false;
      const std::string_view uri = lookup(prefix_, decl_, outer_, bound);
      if (!prefix_.empty() && !bound) return false;
      if (uri != kMarcNs && !(prefix_.empty() && uri.empty())) return false;  // not MARC: expat decides
    } else if (!outer_marc_) {
      return false;
    }
    if (!all_blank(e.value())) return false;  // text before the first field
    bool leader_seen = false;
    FieldAttrs fa;
    for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) {
        if (c.type() != pugi::node_pcdata || !all_blank(c.value())) return false;
        continue;
      }
      const char* name = c.name();
      if (!field_attributes(c, fa)) return false;
      std::string_view text;
      if (std::strcmp(name, data_.c_str()) == 0) {
        if (!clean_tag(fa.tag, tag_, scratch_, "datafield") || !all_blank(c.value())) return false;
        char i1, i2;
        if (!clean_char(fa.ind1, true, i1) || !clean_char(fa.ind2, true, i2)) return false;
        sink.data(tag_, i1, i2);
        bool any = false;
        for (pugi::xml_node s = c.first_child(); s; s = s.next_sibling()) {
          if (s.type() != pugi::node_element) {
            if (s.type() != pugi::node_pcdata || !all_blank(s.value())) return false;
            continue;
          }
          if (std::strcmp(s.name(), subfield_.c_str()) != 0 || !field_attributes(s, fa)) return false;
          char code;
          if (!clean_char(fa.code, false, code) || !leaf_text(s, text)) return false;
          sink.subfield(code, text);
          any = true;
        }
        if (!any) return false;
      } else if (std::strcmp(name, control_.c_str()) == 0) {
        if (!clean_tag(fa.tag, tag_, scratch_, "controlfield") || !leaf_text(c, text)) return false;
        sink.control(tag_, text);
      } else if (std::strcmp(name, leader_.c_str()) == 0) {
        if (leader_seen || !leaf_text(c, text)) return false;
        leader_seen = true;
        if (!sink.leader(text, scratch_)) return false;
      } else {
        return false;
      }
    }
    return leader_seen && sink.any_field();
  }

  std::string iso_data_;  // IsoSink's, kept from record to record
  std::vector<std::array<char, 3>> iso_tags_;
  std::vector<std::uint32_t> iso_starts_;
  std::string_view prefix_;
  bool leader_utf8_;
  bool outer_marc_ = false;  ///< a record with no attributes is MARC
  std::string element_prefix_, leader_, control_, data_, subfield_;
  Bindings outer_;
  Bindings decl_;
  Attrs attrs_;
  Diagnostics scratch_;
  std::string tag_;
};

}  // namespace

// ------------------------------------------------------------------ step 1: the header

std::optional<FastXmlHeader> fast_marcxml_header(std::string_view h) {
  const auto* s = reinterpret_cast<const unsigned char*>(h.data());
  const std::size_t n = h.size();
  std::size_t j = 0;
  bool ws = false;
  if (h.substr(0, 3) == "\xEF\xBB\xBF") j = 3;
  auto literal = [&](std::string_view l) {
    if (h.compare(j, l.size(), l) != 0) return false;
    j += l.size();
    return true;
  };
  auto quoted = [&](std::string_view& v) {
    if (j >= n || (s[j] != '"' && s[j] != '\'')) return false;
    const std::size_t e = h.find(static_cast<char>(s[j]), j + 1);
    if (e == std::string_view::npos) return false;
    v = h.substr(j + 1, e - j - 1);
    j = e + 1;
    for (char c : v)
      if (c < 0x20 || c > 0x7E || c == '<' || c == '&') return false;
    return true;
  };
  auto eq = [&] {
    skip_blanks(s, n, j, ws);
    if (!literal("=")) return false;
    skip_blanks(s, n, j, ws);
    return true;
  };
  if (literal("<?xml")) {
    std::string_view v;
    skip_blanks(s, n, j, ws);
    if (!ws || !literal("version") || !eq() || !quoted(v) || v != "1.0") return std::nullopt;
    bool enc = false, standalone = false;
    for (;;) {
      skip_blanks(s, n, j, ws);
      if (literal("?>")) break;
      if (!ws) return std::nullopt;
      if (!enc && !standalone && literal("encoding")) {
        if (!eq() || !quoted(v)) return std::nullopt;
        std::string lower(v);
        for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (lower != "utf-8") return std::nullopt;
        enc = true;
      } else if (!standalone && literal("standalone")) {
        if (!eq() || !quoted(v) || (v != "yes" && v != "no")) return std::nullopt;
        standalone = true;
      } else {
        return std::nullopt;
      }
    }
  }
  skip_blanks(s, n, j, ws);
  if (!literal("<")) return std::nullopt;
  const std::size_t name_from = j;
  while (j < n && tag_name_char(s[j])) ++j;
  FastXmlHeader out;
  out.root.assign(h.substr(name_from, j - name_from));
  if (!qname(out.root)) return std::nullopt;
  Attrs attrs;
  for (;;) {
    skip_blanks(s, n, j, ws);
    if (j >= n) return std::nullopt;
    if (s[j] == '>') {
      ++j;
      break;
    }
    if (!ws) return std::nullopt;
    const std::size_t a = j;
    while (j < n && tag_name_char(s[j])) ++j;
    const std::string_view name = h.substr(a, j - a);
    std::string_view value;
    if (!eq() || !quoted(value)) return std::nullopt;
    attrs.emplace_back(name, value);
  }
  if (j != n) return std::nullopt;
  Bindings decl;
  if (!check_attributes(attrs, {}, decl)) return std::nullopt;
  const std::string_view root_prefix = prefix_of(out.root);
  if (!root_prefix.empty()) {
    bool bound = false;
    lookup(root_prefix, decl, {}, bound);
    if (!bound) return std::nullopt;
  }
  for (const auto& [p, uri] : decl) out.bindings.emplace_back(std::string(p), std::string(uri));
  return out;
}

bool fast_marcxml_chunk(std::string& text, std::size_t header_size, const FastXmlHeader& header,
                        std::string_view record_qname, std::string_view root_closing, std::vector<BatchRecord>& out,
                        bool iso2709_forms, bool leader_utf8) {
  if (header_size > text.size() || !check_bytes(text, header_size)) return false;
  // The root's end tag, with nothing but blanks after it.
  const std::size_t root_end = text.rfind(root_closing);
  if (root_end == std::string::npos || root_end < header_size) return false;
  for (std::size_t k = root_end + root_closing.size(); k < text.size(); ++k)
    if (!blank(text[k])) return false;

  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer_inplace(
      text.data(), text.size(), pugi::parse_escapes | pugi::parse_ws_pcdata_single | pugi::parse_embed_pcdata, pugi::encoding_utf8);
  if (!parsed) return false;
  const pugi::xml_node root = doc.first_child();
  if (!root || root.type() != pugi::node_element || root.next_sibling() || root.name() != std::string_view(header.root) ||
      !all_blank(root.value()))
    return false;

  const std::size_t first = out.size();
  Walker walker(header, record_qname, leader_utf8);
  auto refuse = [&] {
    out.resize(first);
    return false;
  };
  for (pugi::xml_node e = root.first_child(); e; e = e.next_sibling()) {
    if (e.type() != pugi::node_element || e.name() != record_qname) return refuse();
    const std::ptrdiff_t name_at = e.offset_debug();
    if (name_at < 1 || text[static_cast<std::size_t>(name_at) - 1] != '<') return refuse();
    BatchRecord rec;
    rec.offset = static_cast<std::uint64_t>(name_at) - 1;
    Walker::Iso built = Walker::Iso::Model;
    if (iso2709_forms) {
      std::string bytes;
      RecordView view;
      built = walker.record_iso(e, bytes, view);
      if (built == Walker::Iso::Refused) return refuse();
      if (built == Walker::Iso::Built) {
        // Delivered as its ISO 2709 form, as a MARC-8 record transcoded is (ReadOptions::iso2709_forms).
        rec.as_is = true;
        rec.transcoded = std::make_shared<const std::string>(std::move(bytes));
        view.rebase(*rec.transcoded);
        rec.view = std::move(view);
      }
    }
    if (built == Walker::Iso::Model && !walker.record(e, rec.record)) return refuse();
    out.push_back(std::move(rec));
  }
  if (out.size() == first) return false;
  // Each record ends at the last '>' before the next record (or the root's end tag): only blanks
  // lie between them.
  for (std::size_t k = first; k < out.size(); ++k) {
    std::size_t next = k + 1 < out.size() ? static_cast<std::size_t>(out[k + 1].offset) : root_end;
    while (next > out[k].offset && blank(text[next - 1])) --next;
    if (next <= out[k].offset || text[next - 1] != '>') return refuse();
    out[k].end = next;
  }
  return true;
}

}  // namespace marcscope::detail
