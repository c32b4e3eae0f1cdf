#pragma once
// Internal to the engine: the MARCMaker mnemonics ("{dollar}", "{eacute}", "{1F}" ...) that the
// .mrk reader decodes and the .mrk writer writes, in one table.
#include <string>
#include <string_view>

namespace marcscope::detail {

/// What one "{name}" stands for.
struct MnemonicValue {
  /// The text as UTF-8. For a MARC-8 diacritic alone ("{acute}"), the combining mark, which the
  /// reader puts after the next character (MARC-8 order is mark first).
  std::string text;
  bool combining = false;
  /// The bytes the Library of Congress's MARCMaker writes for it in a MARC-8 record: what it
  /// means between "{esc}" escape sequences ("{esc}b2{esc}s" is a subscript 2).
  std::string marc8;
};

/// The value of `name` (without braces): a name of the Library of Congress MARCMaker table
/// (text-to-MARC 21 conversion table of MARCMaker 2.5, which MarcEdit reads too), two hex digits
/// (a MARC-8 byte: ASCII as it is, 0x80-0xFF in the default G1 set, ANSEL), a single letter or
/// digit, or a letter and an accent name ("{eacute}", "{Ycirc}"). nullptr for anything else.
const MnemonicValue* find_mnemonic(std::string_view name);

/// The names the writer uses for the characters MARCMaker text cannot hold as they are, taken
/// from the same table: '$' -> "dollar", '{' -> "lcub", '}' -> "rcub", '\\' -> "bsol", ESC ->
/// "esc". Empty for any other character (the writer writes other controls as two hex digits).
std::string_view mnemonic_name_for(char c);

}  // namespace marcscope::detail
