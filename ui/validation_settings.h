#pragma once
// What the cataloguer chose in Tools → Validation Settings: one of the engine's profiles, then
// rules switched off or given another severity, local tags, and tags and fixed-field codes
// accepted beside the profile's. The engine turns it into a Validator (and refuses what it cannot
// use); the app keeps it in QSettings and validates every open file and the record editor with it.

#include <QString>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "marcscope/core/diagnostic.h"
#include "marcscope/validate/validator.h"

class QSettings;

namespace marcscope::ui {

struct ValidationSettings {
  QString profile = QStringLiteral("marc21");  ///< a name of validator_profiles()
  bool acceptLocalTags = true;
  std::set<std::string, std::less<>> disabledRules;             ///< every rule switched off
  std::map<std::string, Severity, std::less<>> severities;      ///< every rule whose severity is not the default
  QString extraTags;   ///< tags accepted beside the profile's: "049, 938"
  QString extraCodes;  ///< codes accepted beside the profile's, one position a line: "LDR/17=I,K,M"

  /// The profile's own settings. Throws std::invalid_argument for a name the engine does not know.
  static ValidationSettings ofProfile(const QString& name);
  /// The engine's options for these settings. Throws std::invalid_argument, with a message for the
  /// cataloguer, for text the engine cannot read.
  ValidatorOptions options() const;
  /// A validator with these settings. Throws std::invalid_argument with the engine's reason when
  /// it refuses them (a position with no code list, a code of the wrong width, an unknown rule).
  std::shared_ptr<const Validator> makeValidator() const;
  /// The severity rule `rule` reports with.
  Severity severity(std::string_view rule) const;
  /// Not the profile as it is: something was changed.
  bool changed() const;
  /// The profile's name, "(changed)" after it when something was: for the status bar.
  QString label() const;

  /// From settings group "validation" (the marc21 profile where nothing is stored).
  static ValidationSettings load(QSettings& settings);
  void save(QSettings& settings) const;

  bool operator==(const ValidationSettings&) const = default;
};

}  // namespace marcscope::ui
