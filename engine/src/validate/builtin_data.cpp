// The validation data the library carries inside it: the MARC 21 bibliographic schema, compiled
// to its binary form when the engine is built (engine/tools/schema_compiler.cpp), and the code
// lists of resources/validation. Embedded with the assembler's .incbin, so an installed or
// moved program, or a Python wheel, validates with no data file beside it.
#include <mutex>
#include <stdexcept>
#include <string_view>

#include "marcscope/validate/validator.h"

#define MARCSCOPE_EMBED(symbol, path)                                                   \
  asm(".section .rodata\n.balign 16\n.globl " #symbol "_begin\n" #symbol "_begin:\n"    \
      ".incbin \"" path "\"\n.globl " #symbol "_end\n" #symbol "_end:\n.byte 0\n.previous\n"); \
  extern "C" const char symbol##_begin[];                                              \
  extern "C" const char symbol##_end[];

MARCSCOPE_EMBED(marcscope_schema_marc21_bib, MARCSCOPE_SCHEMA_BIN)
MARCSCOPE_EMBED(marcscope_list_languages, MARCSCOPE_VALIDATION_DIR "/language-codes.txt")
MARCSCOPE_EMBED(marcscope_list_languages_obsolete, MARCSCOPE_VALIDATION_DIR "/language-codes-obsolete.txt")
MARCSCOPE_EMBED(marcscope_list_areas, MARCSCOPE_VALIDATION_DIR "/geographic-area-codes.txt")
MARCSCOPE_EMBED(marcscope_list_areas_obsolete, MARCSCOPE_VALIDATION_DIR "/geographic-area-codes-obsolete.txt")
MARCSCOPE_EMBED(marcscope_list_countries, MARCSCOPE_VALIDATION_DIR "/country-codes.txt")
MARCSCOPE_EMBED(marcscope_list_countries_obsolete, MARCSCOPE_VALIDATION_DIR "/country-codes-obsolete.txt")
MARCSCOPE_EMBED(marcscope_list_subjects, MARCSCOPE_VALIDATION_DIR "/subject-sources.txt")
MARCSCOPE_EMBED(marcscope_list_subjects_obsolete, MARCSCOPE_VALIDATION_DIR "/subject-sources-obsolete.txt")
MARCSCOPE_EMBED(marcscope_list_genres, MARCSCOPE_VALIDATION_DIR "/genre-sources.txt")
MARCSCOPE_EMBED(marcscope_list_genres_obsolete, MARCSCOPE_VALIDATION_DIR "/genre-sources-obsolete.txt")
MARCSCOPE_EMBED(marcscope_list_articles, MARCSCOPE_VALIDATION_DIR "/articles.txt")
MARCSCOPE_EMBED(marcscope_list_article_exceptions, MARCSCOPE_VALIDATION_DIR "/article-exceptions.txt")

namespace marcscope {
namespace {

#define MARCSCOPE_BYTES(symbol) std::string_view(symbol##_begin, static_cast<std::size_t>(symbol##_end - symbol##_begin))

std::string list_text(const std::string& name) {
  struct Entry {
    const char* name;
    std::string_view text;
  };
  const Entry lists[] = {
      {"language-codes.txt", MARCSCOPE_BYTES(marcscope_list_languages)},
      {"language-codes-obsolete.txt", MARCSCOPE_BYTES(marcscope_list_languages_obsolete)},
      {"geographic-area-codes.txt", MARCSCOPE_BYTES(marcscope_list_areas)},
      {"geographic-area-codes-obsolete.txt", MARCSCOPE_BYTES(marcscope_list_areas_obsolete)},
      {"country-codes.txt", MARCSCOPE_BYTES(marcscope_list_countries)},
      {"country-codes-obsolete.txt", MARCSCOPE_BYTES(marcscope_list_countries_obsolete)},
      {"subject-sources.txt", MARCSCOPE_BYTES(marcscope_list_subjects)},
      {"subject-sources-obsolete.txt", MARCSCOPE_BYTES(marcscope_list_subjects_obsolete)},
      {"genre-sources.txt", MARCSCOPE_BYTES(marcscope_list_genres)},
      {"genre-sources-obsolete.txt", MARCSCOPE_BYTES(marcscope_list_genres_obsolete)},
      {"articles.txt", MARCSCOPE_BYTES(marcscope_list_articles)},
      {"article-exceptions.txt", MARCSCOPE_BYTES(marcscope_list_article_exceptions)},
  };
  for (const auto& e : lists)
    if (name == e.name) return std::string(e.text);
  throw std::logic_error("no bundled code list named " + name);
}

}  // namespace

std::shared_ptr<const Schema> Schema::builtin() {
  static std::once_flag once;
  static std::shared_ptr<const Schema> cached;
  std::call_once(once, [] {
    cached = std::make_shared<const Schema>(from_binary(MARCSCOPE_BYTES(marcscope_schema_marc21_bib)));
  });
  return cached;
}

std::shared_ptr<const CodeLists> CodeLists::builtin() {
  static std::once_flag once;
  static std::shared_ptr<const CodeLists> cached;
  std::call_once(once, [] { cached = std::make_shared<const CodeLists>(parse(list_text)); });
  return cached;
}

}  // namespace marcscope
