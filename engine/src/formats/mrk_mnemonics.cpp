// The MARCMaker mnemonic table (mrk_mnemonics.h).
//
// Names and MARC-8 bytes are those of the Library of Congress's "Text-to-MARC 21 character
// conversion table for MARCMaker version 2.5" (R. Barry, 2003; the list behind
// https://www.loc.gov/marc/makrbrkr.html, also shipped with marc4j and read by MarcEdit), plus
// {Eth}, {euro}, {nbsp} and {rdquo}, which MarcEdit data uses. A value is what the LoC bytes read
// as in MARC-8, except where those bytes only stand in for a character MARC-8 lacks and the name
// names that character ({ldquo} is '"' in MARC-8, U+201C here; {agr} is 'a', meant inside an
// "{esc}g" Greek escape, U+03B1 here); such entries give the character in their third column.
// {Ecy} ("reversed e", romanized Ė) has the bytes of Ḋ in the LoC table, a slip fixed here the
// same way. The Cyrillic names ({SHCHcy} "Shch") are romanization aids and keep LoC's romanized
// text.
#include "mrk_mnemonics.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <stdexcept>
#include <utility>
#include <vector>

#include <utf8proc.h>

#include "marcscope/charset/marc8.h"
#include "marcscope/charset/utf8.h"

namespace marcscope::detail {
namespace {

struct Entry {
  std::string_view name;
  std::string_view marc8;    ///< LoC's bytes
  std::string_view unicode;  ///< the character itself, where LoC's bytes only stand in for it
};

// Sorted by name, bytewise (checked when the table is built).
constexpr Entry kEntries[] = {
    {"AElig", "\xA5", ""},
    {"Aacute", "\xE2\x41", ""},
    {"Abreve", "\xE6\x41", ""},
    {"Acirc", "\xE3\x41", ""},
    {"Acy", "\x41", ""},
    {"Agrave", "\xE1\x41", ""},
    {"Aogon", "\xF1\x41", ""},
    {"Aring", "\xEA\x41", ""},
    {"Atilde", "\xE4\x41", ""},
    {"Auml", "\xE8\x41", ""},
    {"Bcy", "\x42", ""},
    {"CHcy", "\x43\x68", ""},
    {"Cacute", "\xE2\x43", ""},
    {"Ccaron", "\xE9\x43", ""},
    {"Ccedil", "\xF0\x43", ""},
    {"DJEcy", "\xA3", ""},
    {"DZEcy", "\x44\x7A", ""},
    {"DZHEcy", "\x44\xE9\x7A", ""},
    {"Dagger", "\x7C", "\xE2\x80\xA1"},
    {"Dcaron", "\xE9\x44", ""},
    {"Dcy", "\x44", ""},
    {"Dstrok", "\xA3", ""},
    {"ETH", "\xA3", ""},
    {"Eacute", "\xE2\x45", ""},
    {"Ecaron", "\xE9\x45", ""},
    {"Ecirc", "\xE3\x45", ""},
    {"Ecy", "\xE7\x44", "\xC4\x96"},
    {"Egrave", "\xE1\x45", ""},
    {"Ehookr", "\xF1\x45", ""},
    {"Eogon", "\xF1\x45", ""},
    {"Eth", "\xA3", ""},  // not in the LoC table
    {"Euml", "\xE8\x45", ""},
    {"Fcy", "\x46", ""},
    {"GEcy", "\x47", ""},
    {"GHcy", "\x47", ""},
    {"GJEcy", "\xE2\x47", ""},
    {"Gcy", "\x47", ""},
    {"HARDcy", "\xB7", ""},
    {"Hcy", "\x48", ""},
    {"IEcy", "\xEB\x49\xEC\x45", ""},
    {"IJlig", "\x49\x4A", "\xC4\xB2"},
    {"IOcy", "\xEB\x49\xEC\x4F", ""},
    {"IYcy", "\x59", ""},
    {"Iacute", "\xE2\x49", ""},
    {"Icaron", "\xE9\x49", ""},
    {"Icirc", "\xE3\x49", ""},
    {"Icy", "\x49", ""},
    {"Idot", "\xE7\x49", ""},
    {"Igrave", "\xE1\x49", ""},
    {"Iuml", "\xE8\x49", ""},
    {"Iumlcy", "\xE8\x49", ""},
    {"JEcy", "\x4A", ""},
    {"JIcy", "\xE8\x49", ""},
    {"Jcy", "\xE6\x49", ""},
    {"KHcy", "\x4B\x68", ""},
    {"KJEcy", "\xE2\x4B", ""},
    {"Kcy", "\x4B", ""},
    {"LJEcy", "\x4C\x6A", ""},
    {"Lacute", "\xE2\x4C", ""},
    {"Lcy", "\x4C", ""},
    {"Lstrok", "\xA1", ""},
    {"Mcy", "\x4D", ""},
    {"NJEcy", "\x4E\x6A", ""},
    {"Nacute", "\xE2\x4E", ""},
    {"Ncaron", "\xE9\x4E", ""},
    {"Ncy", "\x4E", ""},
    {"No", "\x4E\x6F\x2E", ""},
    {"Ntilde", "\xE4\x4E", ""},
    {"OElig", "\xA6", ""},
    {"Oacute", "\xE2\x4F", ""},
    {"Ocirc", "\xE3\x4F", ""},
    {"Ocy", "\x4F", ""},
    {"Odblac", "\xEE\x4F", ""},
    {"Ograve", "\xE1\x4F", ""},
    {"Ohorn", "\xAC", ""},
    {"Ostrok", "\xA2", ""},
    {"Otilde", "\xE4\x4F", ""},
    {"Ouml", "\xE8\x4F", ""},
    {"Pcy", "\x50", ""},
    {"Racute", "\xE2\x52", ""},
    {"Rcaron", "\xE9\x52", ""},
    {"Rcy", "\x52", ""},
    {"SHCHcy", "\x53\x68\x63\x68", ""},
    {"SHcy", "\x53\x68", ""},
    {"SOFTcy", "\xA7", ""},
    {"Sacute", "\xE2\x53", ""},
    {"Scommab", "\xF7\x53", ""},
    {"Scy", "\x53", ""},
    {"THORN", "\xA4", ""},
    {"TSHEcy", "\xE2\x43", ""},
    {"TScy", "\xEB\x54\xEC\x53", ""},
    {"Tcaron", "\xE9\x54", ""},
    {"Tcommab", "\xF7\x54", ""},
    {"Tcy", "\x54", ""},
    {"Uacute", "\xE2\x55", ""},
    {"Ubrevecy", "\xE6\x55", ""},
    {"Ucirc", "\xE3\x55", ""},
    {"Ucy", "\x55", ""},
    {"Udblac", "\xEE\x55", ""},
    {"Ugrave", "\xE1\x55", ""},
    {"Uhorn", "\xAD", ""},
    {"Uring", "\xEA\x55", ""},
    {"Uuml", "\xE8\x55", ""},
    {"Vcy", "\x56", ""},
    {"YAcy", "\xEB\x49\xEC\x41", ""},
    {"YEcy", "\x45", ""},
    {"YIcy", "\x49", ""},
    {"YUcy", "\xEB\x49\xEC\x55", ""},
    {"Yacute", "\xE2\x59", ""},
    {"Ycy", "\x59", ""},
    {"ZHcy", "\x5A\x68", ""},
    {"ZHuacy", "\xEB\x5A\xEC\x68", ""},
    {"Zacute", "\xE2\x5A", ""},
    {"Zcy", "\x5A", ""},
    {"Zdot", "\xE7\x5A", ""},
    {"aacute", "\xE2\x61", ""},
    {"abreve", "\xE6\x61", ""},
    {"acirc", "\xE3\x61", ""},
    {"acute", "\xE2", ""},
    {"acy", "\x61", ""},
    {"aelig", "\xB5", ""},
    {"agr", "\x61", "\xCE\xB1"},
    {"agrave", "\xE1\x61", ""},
    {"alif", "\xAE", ""},
    {"amp", "\x26", ""},
    {"aogon", "\xF1\x61", ""},
    {"apos", "\x27", ""},
    {"arab", "\x28\x33", ""},
    {"aring", "\xEA\x61", ""},
    {"ast", "\x2A", ""},
    {"asuper", "\x61", "\xE1\xB5\x83"},
    {"atilde", "\xE4\x61", ""},
    {"auml", "\xE8\x61", ""},
    {"ayn", "\xB0", ""},
    {"bcy", "\x62", ""},
    {"bgr", "\x62", "\xCE\xB2"},
    {"breve", "\xE6", ""},
    {"breveb", "\xF9", ""},
    {"brvbar", "\x7C", "\xC2\xA6"},
    {"bsol", "\x5C", ""},
    {"bull", "\x2A", "\xE2\x80\xA2"},
    {"cacute", "\xE2\x63", ""},
    {"candra", "\xEF", ""},
    {"caron", "\xE9", ""},
    {"ccaron", "\xE9\x63", ""},
    {"ccedil", "\xF0\x63", ""},
    {"cedil", "\xF0", ""},
    {"cent", "\x63", "\xC2\xA2"},
    {"chcy", "\x63\x68", ""},
    {"circ", "\xE3", ""},
    {"circb", "\xF4", "\xCC\xAD"},
    {"cjk", "\x24\x31", ""},
    {"colon", "\x3A", ""},
    {"comma", "\x2C", ""},
    {"commaa", "\xFE", ""},
    {"commab", "\xF7", ""},
    {"commat", "\x40", ""},
    {"copy", "\xC3", ""},
    {"curren", "\x2A", "\xC2\xA4"},
    {"cyril", "\x28\x4E", ""},
    {"dagger", "\x7C", "\xE2\x80\xA0"},
    {"dblac", "\xEE", ""},
    {"dbldotb", "\xF3", ""},
    {"dblunder", "\xF5", ""},
    {"dcaron", "\xE9\x64", ""},
    {"dcy", "\x64", ""},
    {"deg", "\xC0", ""},
    {"diaer", "\xE8", ""},
    {"divide", "\x2F", "\xC3\xB7"},
    {"djecy", "\xB3", ""},
    {"dollar", "\x24", ""},
    {"dot", "\xE7", ""},
    {"dotb", "\xF2", ""},
    {"dstrok", "\xB3", ""},
    {"dzecy", "\x64\x7A", ""},
    {"dzhecy", "\x64\xE9\x7A", ""},
    {"eacute", "\xE2\x65", ""},
    {"ecaron", "\xE9\x65", ""},
    {"ecirc", "\xE3\x65", ""},
    {"ecy", "\xE7\x65", ""},
    {"egrave", "\xE1\x65", ""},
    {"ehookr", "\xF1\x65", ""},
    {"eogon", "\xF1\x65", ""},
    {"equals", "\x3D", ""},
    {"esc", "\x1B", ""},
    {"eth", "\xBA", ""},
    {"euml", "\xE8\x65", ""},
    {"euro", "", "\xE2\x82\xAC"},  // not in the LoC table
    {"excl", "\x21", ""},
    {"fcy", "\x66", ""},
    {"flat", "\xA9", ""},
    {"fnof", "\x66", "\xC6\x92"},
    {"frac12", "\x31\x2F\x32", "\xC2\xBD"},
    {"frac14", "\x31\x2F\x34", "\xC2\xBC"},
    {"frac34", "\x33\x2F\x34", "\xC2\xBE"},
    {"gcy", "\x67", ""},
    {"gecy", "\x67", ""},
    {"ggr", "\x67", "\xCE\xB3"},
    {"ghcy", "\x67", ""},
    {"gjecy", "\xE2\x67", ""},
    {"grave", "\xE1", ""},
    {"greek", "\x67", ""},
    {"gs", "\x1D", ""},
    {"gt", "\x3E", ""},
    {"hardcy", "\xB7", ""},
    {"hardsign", "\xB7", ""},
    {"hcy", "\x68", ""},
    {"hebrew", "\x28\x32", ""},
    {"hellip", "\x2E\x2E\x2E", "\xE2\x80\xA6"},
    {"hooka", "\xE0", ""},
    {"hookl", "\xF7", ""},
    {"hookr", "\xF1", ""},
    {"hyphen", "\x2D", ""},
    {"iacute", "\xE2\x69", ""},
    {"icaron", "\xE9\x69", ""},
    {"icirc", "\xE3\x69", ""},
    {"icy", "\x69", ""},
    {"iecy", "\xEB\x69\xEC\x65", ""},
    {"iexcl", "\xC6", ""},
    {"igrave", "\xE1\x69", ""},
    {"ijlig", "\x69\x6A", "\xC4\xB3"},
    {"inodot", "\xB8", ""},
    {"iocy", "\xEB\x69\xEC\x6F", ""},
    {"iquest", "\xC5", ""},
    {"iuml", "\xE8\x69", ""},
    {"iumlcy", "\xE8\x69", ""},
    {"iycy", "\x79", ""},
    {"jcy", "\xE6\x69", ""},
    {"jecy", "\x6A", ""},
    {"jicy", "\xE8\x69", ""},
    {"joiner", "\x8D", ""},
    {"kcy", "\x6B", ""},
    {"khcy", "\x6B\x68", ""},
    {"kjecy", "\xE2\x6B", ""},
    {"lacute", "\xE2\x6C", ""},
    {"laquo", "\x22", "\xC2\xAB"},
    {"latin", "\x28\x42", ""},
    {"lcub", "\x7B", ""},
    {"lcy", "\x6C", ""},
    {"ldbltil", "\xFA", ""},
    {"ldquo", "\x22", "\xE2\x80\x9C"},
    {"ljecy", "\x6C\x6A", ""},
    {"llig", "\xEB", ""},
    {"lpar", "\x28", ""},
    {"lsqb", "\x5B", ""},
    {"lsquo", "\x27", "\xE2\x80\x98"},
    {"lsquor", "\x27", "\xE2\x80\x9A"},
    {"lstrok", "\xB1", ""},
    {"lt", "\x3C", ""},
    {"macr", "\xE5", ""},
    {"mcy", "\x6D", ""},
    {"mdash", "\x2D\x2D", "\xE2\x80\x94"},
    {"middot", "\xA8", ""},
    {"mlPrime", "\xB7", ""},
    {"mllhring", "\xB0", ""},
    {"mlprime", "\xA7", ""},
    {"mlrhring", "\xAE", ""},
    {"nacute", "\xE2\x6E", ""},
    {"nbsp", "", "\xC2\xA0"},  // not in the LoC table
    {"ncaron", "\xE9\x6E", ""},
    {"ncy", "\x6E", ""},
    {"ndash", "\x2D\x2D", "\xE2\x80\x93"},
    {"njecy", "\x6E\x6A", ""},
    {"nonjoin", "\x8E", ""},
    {"ntilde", "\xE4\x6E", ""},
    {"num", "\x23", ""},
    {"oacute", "\xE2\x6F", ""},
    {"ocirc", "\xE3\x6F", ""},
    {"ocy", "\x6F", ""},
    {"odblac", "\xEE\x6F", ""},
    {"oelig", "\xB6", ""},
    {"ogon", "\xF1", ""},
    {"ograve", "\xE1\x6F", ""},
    {"ohorn", "\xBC", ""},
    {"ordf", "\x61", "\xC2\xAA"},
    {"ordm", "\x6F", "\xC2\xBA"},
    {"ostrok", "\xB2", ""},
    {"osuper", "\x6F", "\xE1\xB5\x92"},
    {"otilde", "\xE4\x6F", ""},
    {"ouml", "\xE8\x6F", ""},
    {"para", "\x7C", "\xC2\xB6"},
    {"pcy", "\x70", ""},
    {"percnt", "\x25", ""},
    {"period", "\x2E", ""},
    {"phono", "\xC2", ""},
    {"pipe", "\x7C", ""},
    {"plus", "\x2B", ""},
    {"plusmn", "\xAB", ""},
    {"pound", "\xB9", ""},
    {"quest", "\x3F", ""},
    {"quot", "\x22", ""},
    {"racute", "\xE2\x72", ""},
    {"raquo", "\x22", "\xC2\xBB"},
    {"rcaron", "\xE9\x72", ""},
    {"rcedil", "\xF8", ""},
    {"rcommaa", "\xED", ""},
    {"rcub", "\x7D", ""},
    {"rcy", "\x72", ""},
    {"rdbltil", "\xFB", ""},
    {"rdquo", "", "\xE2\x80\x9D"},  // not in the LoC table
    {"rdquofh", "\x22", "\xE2\x80\x9D"},
    {"rdquor", "\x22", "\xE2\x80\x9D"},
    {"reg", "\xAA", ""},
    {"ring", "\xEA", ""},
    {"ringb", "\xF4", ""},
    {"rlig", "\xEC", ""},
    {"rpar", "\x29", ""},
    {"rs", "\x1E", ""},
    {"rsqb", "\x5D", ""},
    {"rsquo", "\x27", "\xE2\x80\x99"},
    {"rsquor", "\x27", "\xE2\x80\x99"},
    {"sacute", "\xE2\x73", ""},
    {"scommab", "\xF7\x73", ""},
    {"scriptl", "\xC1", ""},
    {"scy", "\x73", ""},
    {"sect", "\x7C", "\xC2\xA7"},
    {"semi", "\x3B", ""},
    {"sharp", "\xC4", ""},
    {"shchcy", "\x73\x68\x63\x68", ""},
    {"shcy", "\x73\x68", ""},
    {"shy", "\x2D", "\xC2\xAD"},
    {"softcy", "\xA7", ""},
    {"softsign", "\xA7", ""},
    {"sol", "\x2F", ""},
    {"space", "\x20", ""},
    {"spcirc", "\x5E", ""},
    {"spgrave", "\x60", ""},
    {"sptilde", "\x7E", ""},
    {"spundscr", "\x5F", ""},
    {"squf", "\x7C", ""},
    {"sub", "\x62", ""},
    {"sup1", "\x1B\x70\x31\x1B\x73", ""},
    {"sup2", "\x1B\x70\x32\x1B\x73", ""},
    {"sup3", "\x1B\x70\x33\x1B\x73", ""},
    {"super", "\x70", ""},
    {"szlig", "\x73\x73", "\xC3\x9F"},
    {"tcaron", "\xE9\x74", ""},
    {"tcommab", "\xF7\x74", ""},
    {"tcy", "\x74", ""},
    {"thorn", "\xB4", ""},
    {"tilde", "\xE4", ""},
    {"times", "\x78", "\xC3\x97"},
    {"trade", "\x28\x54\x6D\x29", "\xE2\x84\xA2"},
    {"tscy", "\xEB\x74\xEC\x73", ""},
    {"tshecy", "\xE2\x63", ""},
    {"uacute", "\xE2\x75", ""},
    {"ubrevecy", "\xE6\x75", ""},
    {"ucirc", "\xE3\x75", ""},
    {"ucy", "\x75", ""},
    {"udblac", "\xEE\x75", ""},
    {"ugrave", "\xE1\x75", ""},
    {"uhorn", "\xBD", ""},
    {"uml", "\xE8", ""},
    {"under", "\xF6", ""},
    {"uring", "\xEA\x75", ""},
    {"us", "\x1F", ""},
    {"uuml", "\xE8\x75", ""},
    {"vcy", "\x76", ""},
    {"verbar", "\x7C", ""},
    {"vlineb", "\xF2", "\xCC\xA9"},
    {"yacute", "\xE2\x79", ""},
    {"yacy", "\xEB\x69\xEC\x61", ""},
    {"ycy", "\x79", ""},
    {"yecy", "\x65", ""},
    {"yen", "\x59", "\xC2\xA5"},
    {"yicy", "\x69", ""},
    {"yucy", "\xEB\x69\xEC\x75", ""},
    {"zacute", "\xE2\x7A", ""},
    {"zcy", "\x7A", ""},
    {"zdot", "\xE7\x7A", ""},
    {"zhcy", "\x7A\x68", ""},
    {"zhuacy", "\xEB\x7A\xEC\x68", ""},
};

// Letter + accent names ("{eacute}", "{Ycirc}") for the letters the table does not list.
constexpr std::array<std::pair<std::string_view, char32_t>, 12> kAccents{{
    {"acute", 0x0301}, {"grave", 0x0300}, {"circ", 0x0302}, {"uml", 0x0308},  {"tilde", 0x0303}, {"cedil", 0x0327},
    {"caron", 0x030C}, {"ring", 0x030A},  {"dblac", 0x030B}, {"ogon", 0x0328}, {"macr", 0x0304},  {"breve", 0x0306},
}};

/// True when `s` is one combining mark.
bool is_one_mark(std::string_view s) {
  utf8proc_int32_t cp = 0;
  const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()), &cp);
  if (n <= 0 || static_cast<std::size_t>(n) != s.size()) return false;
  const auto cat = utf8proc_category(cp);
  return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME;
}

/// What MARC-8 bytes read as on their own. A diacritic alone is read before a letter, without
/// composing: what follows the letter then is the mark.
MnemonicValue from_marc8(std::string_view bytes) {
  MnemonicValue v;
  v.marc8 = std::string(bytes);
  // Control characters ({esc}, {us} ...) are themselves.
  if (bytes.size() == 1 && static_cast<unsigned char>(bytes[0]) < 0x20) {
    v.text = v.marc8;
    return v;
  }
  std::string probe;
  Marc8Options raw;
  raw.normalize_nfc = false;
  marc8_to_utf8(std::string(bytes) + "a", probe, nullptr, raw);
  if (probe.size() > 1 && probe[0] == 'a' && is_one_mark(std::string_view(probe).substr(1))) {
    v.text = probe.substr(1);
    v.combining = true;
    return v;
  }
  marc8_to_utf8(bytes, v.text);
  return v;
}

struct Table {
  std::vector<std::pair<std::string, MnemonicValue>> named;  ///< the entries, then letter + accent names; sorted
  std::array<MnemonicValue, 256> hex;                        ///< "{00}" ... "{FF}"
  std::array<bool, 256> hex_known{};
};

bool by_name(const std::pair<std::string, MnemonicValue>& e, std::string_view n) { return e.first < n; }

const Table& table() {
  static const Table t = [] {
    Table t;
    if (!std::is_sorted(std::begin(kEntries), std::end(kEntries),
                        [](const Entry& a, const Entry& b) { return a.name < b.name; }))
      throw std::logic_error("MARCMaker mnemonic table is not sorted");
    for (const Entry& e : kEntries) {
      MnemonicValue v;
      if (e.unicode.empty()) {
        v = from_marc8(e.marc8);
      } else {
        v.text = std::string(e.unicode);
        v.combining = is_one_mark(v.text);
        v.marc8 = std::string(e.marc8);
      }
      if (v.marc8.empty()) utf8_to_marc8(v.text, v.marc8);
      t.named.emplace_back(std::string(e.name), std::move(v));
    }
    // Letter + accent names the table does not list, composed as a reader of the LoC bytes
    // would compose them.
    const std::size_t listed = t.named.size();
    for (const std::string_view letters : {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"}) {
      for (const char letter : letters) {
        for (const auto& [suffix, mark] : kAccents) {
          std::string name(1, letter);  // appended, not std::string + std::string: a GCC 12 -O3 -Wrestrict false positive
          name += suffix;
          const auto end = t.named.begin() + static_cast<std::ptrdiff_t>(listed);
          if (auto it = std::lower_bound(t.named.begin(), end, name, by_name); it != end && it->first == name) continue;
          MnemonicValue v;
          std::string decomposed(1, letter);
          append_utf8(mark, decomposed);
          v.text = nfc(decomposed);
          utf8_to_marc8(v.text, v.marc8);
          t.named.emplace_back(std::move(name), std::move(v));
        }
      }
    }
    std::sort(t.named.begin(), t.named.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (unsigned b = 0; b < 256; ++b) {
      const char byte = static_cast<char>(b);
      if (b < 0x80) {
        t.hex[b] = {std::string(1, byte), false, std::string(1, byte)};
        t.hex_known[b] = true;
        continue;
      }
      // 0x80-0xFF: MARC-8's C1 controls and its default G1 set (ANSEL); codes with no character
      // there are not mnemonics.
      std::vector<Marc8Problem> problems;
      std::string probe;
      marc8_to_utf8(std::string_view(&byte, 1), probe, &problems);
      if (!problems.empty()) continue;
      t.hex[b] = from_marc8(std::string_view(&byte, 1));
      t.hex_known[b] = true;
    }
    return t;
  }();
  return t;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

const MnemonicValue* find_mnemonic(std::string_view name) {
  const Table& t = table();
  const auto it = std::lower_bound(t.named.begin(), t.named.end(), name, by_name);
  if (it != t.named.end() && it->first == name) return &it->second;
  if (name.size() == 2) {
    const int hi = hex_value(name[0]), lo = hex_value(name[1]);
    if (hi >= 0 && lo >= 0) {
      const auto b = static_cast<std::size_t>(hi * 16 + lo);
      return t.hex_known[b] ? &t.hex[b] : nullptr;
    }
  }
  // A single letter or digit stands for itself ("{A}", "{1}"), as in the LoC table.
  if (name.size() == 1 && (is_letter(name[0]) || (name[0] >= '0' && name[0] <= '9')))
    return &t.hex[static_cast<unsigned char>(name[0])];
  return nullptr;
}

std::string_view mnemonic_name_for(char c) {
  static const std::array<std::string_view, 5> kWritten = {"dollar", "lcub", "rcub", "bsol", "esc"};
  // Each name is looked up in the table, so the writer can only write what the reader reads.
  static const std::array<char, 5> kChars = [] {
    std::array<char, 5> chars{};
    for (std::size_t i = 0; i < kWritten.size(); ++i) {
      const MnemonicValue* v = find_mnemonic(kWritten[i]);
      if (v == nullptr || v->text.size() != 1) throw std::logic_error("MARCMaker mnemonic table lacks {" + std::string(kWritten[i]) + "}");
      chars[i] = v->text[0];
    }
    return chars;
  }();
  for (std::size_t i = 0; i < kChars.size(); ++i)
    if (kChars[i] == c) return kWritten[i];
  return {};
}

}  // namespace marcscope::detail
