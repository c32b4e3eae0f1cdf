// Whether the first bytes of an input are MARC in the format they seem to be in: a JSON document
// whose first object has no "leader" and no "fields", or an XML document with no <record>
// element, is not MARC, and readers would otherwise make empty records of it. An empty collection
// (`[]`, or a MARC 21 slim <collection> with no record) is MARC with no records: what the writers
// write when there is none.
#include <nlohmann/json.hpp>

#include "marcscope/formats/format.h"

namespace marcscope {
namespace {

/// Reads JSON events up to the end of the first object that could be a record.
class FirstObject final : public nlohmann::json_sax<nlohmann::json> {
 public:
  enum class Verdict { Pending, Record, NotRecord };
  Verdict verdict = Verdict::Pending;
  std::string what;  ///< what was found instead, for the message
  bool empty_array = false;  ///< the document starts with an empty array

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("true or false"); }
  bool number_integer(number_integer_t) override { return scalar("a number"); }
  bool number_unsigned(number_unsigned_t) override { return scalar("a number"); }
  bool number_float(number_float_t, const string_t&) override { return scalar("a number"); }
  bool string(string_t&) override { return scalar("a string"); }
  bool binary(binary_t&) override { return scalar("binary data"); }
  bool start_object(std::size_t) override {
    ++depth_;
    if (!in_record_ && (depth_ == 1 || (depth_ == 2 && array_top_))) {
      in_record_ = true;
      record_depth_ = depth_;
    }
    return true;
  }
  bool key(string_t& key) override {
    if (in_record_ && depth_ == record_depth_ && (key == "leader" || key == "fields")) {
      verdict = Verdict::Record;
      return false;  // enough seen
    }
    return true;
  }
  bool end_object() override {
    if (in_record_ && depth_ == record_depth_) {
      verdict = Verdict::NotRecord;
      what = "its first object has no \"leader\" and no \"fields\"";
      return false;
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 1) array_top_ = true;
    else if (depth_ == 2 && array_top_ && !in_record_) return scalar("an array");
    return true;
  }
  bool end_array() override {
    if (depth_ == 1 && verdict == Verdict::Pending) {
      // An empty array: the caller decides (an empty collection when nothing else follows).
      verdict = Verdict::NotRecord;
      empty_array = true;
      what = "it is an empty array";
      return false;
    }
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool scalar(const char* kind) {
    // A value where a record should start: the top of the document, or an array's first element.
    if (!in_record_ && (depth_ == 0 || (depth_ == 1 && array_top_))) {
      verdict = Verdict::NotRecord;
      what = std::string(depth_ == 0 ? "it is " : "its first element is ") + kind + ", not an object";
      return false;
    }
    return true;
  }
  int depth_ = 0;
  int record_depth_ = 0;
  bool array_top_ = false;
  bool in_record_ = false;
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

MarcEvidence marc_evidence(Format format, std::string_view head, bool whole, std::string* why) {
  auto no = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return MarcEvidence::No;
  };
  if (format == Format::Json || format == Format::NdJson) {
    std::string_view text = head;
    if (format == Format::NdJson) text = text.substr(0, text.find('\n'));
    FirstObject first;
    nlohmann::json::sax_parse(text.begin(), text.end(), &first, nlohmann::json::input_format_t::json, false);
    // `[]` and nothing else (blanks aside) is an empty collection, as the MARC-in-JSON writers
    // write one with no records.
    if (first.empty_array && whole) {
      std::string rest;
      for (char c : text)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') rest += c;
      if (rest == "[]") return MarcEvidence::Yes;
    }
    if (first.verdict == FirstObject::Verdict::NotRecord) return no("JSON, but not MARC-in-JSON: " + first.what);
    return first.verdict == FirstObject::Verdict::Record ? MarcEvidence::Yes : MarcEvidence::Unsure;
  }
  if (format == Format::MarcXml) {
    std::string root;
    std::string_view root_tag;  // the root element's start tag: where its namespace is declared
    std::size_t elements = 0;
    for (std::size_t lt = head.find('<'); lt != std::string_view::npos; lt = head.find('<', lt + 1)) {
      const std::size_t start = lt + 1;
      // A comment or a CDATA section: no element in it.
      for (const auto& [open, close] : {std::pair<std::string_view, std::string_view>{"<!--", "-->"}, {"<![CDATA[", "]]>"}}) {
        if (head.compare(lt, open.size(), open) != 0) continue;
        const std::size_t at = head.find(close, lt + open.size());
        lt = at == std::string_view::npos ? head.size() : at;
        break;
      }
      if (lt >= head.size()) break;
      if (head[lt] != '<') continue;
      if (start >= head.size() || head[start] == '/' || head[start] == '?' || head[start] == '!') continue;
      std::size_t end = start;
      while (end < head.size() && is_name_char(head[end])) ++end;
      const std::string_view name = head.substr(start, end - start);
      if (name.empty()) continue;
      ++elements;
      if (root.empty()) {
        root = std::string(name);
        const std::size_t close = head.find('>', end);
        root_tag = head.substr(lt, close == std::string_view::npos ? std::string_view::npos : close - lt);
      }
      const std::size_t colon = name.rfind(':');
      if ((colon == std::string_view::npos ? name : name.substr(colon + 1)) == "record") return MarcEvidence::Yes;
    }
    if (!whole) return MarcEvidence::Unsure;
    // An empty <collection> in the MARC 21 slim namespace (no element in it), as the MARCXML
    // writers write one with no records: MARCXML, with no records. (The reader decides the same
    // way at the end, for a head that is not the whole input.)
    const std::size_t colon = root.rfind(':');
    if (elements == 1 && (colon == std::string::npos ? root : root.substr(colon + 1)) == "collection" &&
        root_tag.find("http://www.loc.gov/MARC21/slim") != std::string_view::npos)
      return MarcEvidence::Yes;
    return no(root.empty() ? "XML with no element at all"
                           : "XML with no MARC <record> element (its root element is <" + root + ">)");
  }
  return MarcEvidence::Yes;
}

}  // namespace marcscope
