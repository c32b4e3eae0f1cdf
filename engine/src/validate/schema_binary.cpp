// The Schema in a compact binary form: the bundled MARC 21 schema is compiled to it when the
// engine is built and embedded in the library, so that starting a validator reads tables
// instead of parsing 2 MB of JSON.
#include <cstring>
#include <stdexcept>

#include "marcscope/validate/validator.h"

namespace marcscope {
namespace {

constexpr std::uint32_t kMagic = 0x4D534331;  // "MSC1"

class Out {
 public:
  void u8(std::uint8_t v) { s_ += static_cast<char>(v); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void str(std::string_view v) {
    u32(static_cast<std::uint32_t>(v.size()));
    s_ += v;
  }
  void bits(const std::bitset<128>& b) {
    for (std::size_t byte = 0; byte < 16; ++byte) {
      std::uint8_t v = 0;
      for (std::size_t bit = 0; bit < 8; ++bit)
        if (b.test(byte * 8 + bit)) v |= static_cast<std::uint8_t>(1u << bit);
      u8(v);
    }
  }
  void strings(const std::vector<std::string>& v) {
    u32(static_cast<std::uint32_t>(v.size()));
    for (const auto& x : v) str(x);
  }
  std::string& text() { return s_; }

 private:
  std::string s_;
};

class In {
 public:
  explicit In(std::string_view s) : s_(s) {}
  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(s_[pos_++]);
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(u8()) << (8 * i);
    return v;
  }
  std::string str() {
    const std::uint32_t n = u32();
    need(n);
    std::string v(s_.substr(pos_, n));
    pos_ += n;
    return v;
  }
  std::bitset<128> bits() {
    std::bitset<128> b;
    for (std::size_t byte = 0; byte < 16; ++byte) {
      const std::uint8_t v = u8();
      for (std::size_t bit = 0; bit < 8; ++bit)
        if (v & (1u << bit)) b.set(byte * 8 + bit);
    }
    return b;
  }
  /// A count of items that take at least `min_bytes` each: never more than the bytes left can
  /// hold, so that a damaged count is an error, not an allocation of gigabytes.
  std::uint32_t count(std::size_t min_bytes) {
    const std::uint32_t n = u32();
    if (n > (s_.size() - pos_) / min_bytes) throw std::runtime_error("the compiled schema is cut short");
    return n;
  }
  std::vector<std::string> strings() {
    std::vector<std::string> v(count(4));
    for (auto& x : v) x = str();
    return v;
  }
  bool done() const { return pos_ == s_.size(); }

 private:
  void need(std::size_t n) const {
    if (s_.size() - pos_ < n) throw std::runtime_error("the compiled schema is cut short");
  }
  std::string_view s_;
  std::size_t pos_ = 0;
};

void write_fixed(Out& o, const FixedFieldSpec& f) {
  o.u32(static_cast<std::uint32_t>(f.types.size()));
  for (const auto& [name, positions] : f.types) {
    o.str(name);
    o.u32(static_cast<std::uint32_t>(positions.size()));
    for (const PositionSpec& p : positions) {
      o.str(p.name);
      o.str(p.label);
      o.str(p.url);
      o.u8(p.start);
      o.u8(p.end);
      o.u8(p.unit);
      o.strings(p.codes);
      o.strings(p.code_labels);
      o.strings(p.historical);
      o.u32(static_cast<std::uint32_t>(p.ranges.size()));
      for (const auto& [lo, hi] : p.ranges) {
        o.u32(lo);
        o.u32(hi);
      }
    }
  }
}

void read_fixed(In& in, FixedFieldSpec& f) {
  for (std::uint32_t t = in.u32(); t > 0; --t) {
    std::string name = in.str();
    // A position takes at least 31 bytes: three strings, three bytes, three lists and a count.
    std::vector<PositionSpec> positions(in.count(31));
    for (PositionSpec& p : positions) {
      p.name = in.str();
      p.label = in.str();
      p.url = in.str();
      p.start = in.u8();
      p.end = in.u8();
      p.unit = in.u8();
      // What the JSON loader accepts, and the validator relies on (a unit of 0 would never advance).
      if (p.end <= p.start || p.end > 99 || p.unit > p.end - p.start)
        throw std::runtime_error("the compiled schema has a position with an invalid range");
      p.codes = in.strings();
      p.code_labels = in.strings();
      p.historical = in.strings();
      p.ranges.resize(in.count(8));
      for (auto& [lo, hi] : p.ranges) {
        lo = in.u32();
        hi = in.u32();
      }
      // Derived as the JSON loader derives them.
      for (const auto& c : p.codes)
        if (c.size() == 1 && static_cast<unsigned char>(c[0]) < 128) p.single_codes.set(static_cast<unsigned char>(c[0]));
      p.sorted_codes = p.codes;
      std::sort(p.sorted_codes.begin(), p.sorted_codes.end());
    }
    f.types.emplace(std::move(name), std::move(positions));
  }
}

}  // namespace

std::string Schema::to_binary() const {
  Out o;
  o.u32(kMagic);
  o.str(title_);
  write_fixed(o, leader_);
  o.u32(static_cast<std::uint32_t>(fields_.size()));
  for (const auto& f : fields_) {
    o.str(f->tag);
    o.str(f->label);
    o.str(f->url);
    o.u8(f->repeatable);
    o.u8(f->control);
    for (const IndicatorSpec& ind : f->ind) {
      o.u8(ind.defined);
      o.str(ind.label);
      o.bits(ind.allowed);
      o.bits(ind.historical);
    }
    o.bits(f->subfields);
    o.bits(f->repeatable_subfields);
    o.bits(f->historical_subfields);
    std::uint32_t labels = 0;
    for (const auto& l : f->subfield_labels) labels += l.empty() ? 0 : 1;
    o.u32(labels);
    for (std::size_t c = 0; c < f->subfield_labels.size(); ++c)
      if (!f->subfield_labels[c].empty()) {
        o.u8(static_cast<std::uint8_t>(c));
        o.str(f->subfield_labels[c]);
      }
    o.u8(f->fixed != nullptr);
    if (f->fixed) write_fixed(o, *f->fixed);
  }
  return std::move(o.text());
}

Schema Schema::from_binary(std::string_view bytes) {
  In in(bytes);
  if (in.u32() != kMagic) throw std::runtime_error("not a compiled MarcScope schema");
  Schema s;
  s.title_ = in.str();
  read_fixed(in, s.leader_);
  for (std::uint32_t n = in.u32(); n > 0; --n) {
    auto f = std::make_unique<FieldSpec>();
    f->tag = in.str();
    f->label = in.str();
    f->url = in.str();
    f->repeatable = in.u8() != 0;
    f->control = in.u8() != 0;
    for (IndicatorSpec& ind : f->ind) {
      ind.defined = in.u8() != 0;
      ind.label = in.str();
      ind.allowed = in.bits();
      ind.historical = in.bits();
    }
    f->subfields = in.bits();
    f->repeatable_subfields = in.bits();
    f->historical_subfields = in.bits();
    for (std::uint32_t k = in.u32(); k > 0; --k) {
      const std::uint8_t code = in.u8();
      f->subfield_labels.at(code & 0x7F) = in.str();
    }
    if (in.u8()) {
      auto fixed = std::make_unique<FixedFieldSpec>();
      read_fixed(in, *fixed);
      f->fixed = fixed.get();
      s.fixed_.push_back(std::move(fixed));
    }
    s.add_field(std::move(f));
  }
  if (!in.done()) throw std::runtime_error("the compiled schema has bytes after its end");
  return s;
}

}  // namespace marcscope
