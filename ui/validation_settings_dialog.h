#pragma once
// Tools → Validation Settings: the engine's profiles with their descriptions, a table of every
// rule the engine has (on or off, its severity), local tags, and tags and codes accepted beside
// the profile's. OK builds the engine's Validator from what is shown; when the engine refuses it
// the reason is shown in the dialog, which stays open, and nothing is applied.

#include <QDialog>

#include <memory>

#include "validation_settings.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTableWidget;

namespace marcscope::ui {

class ValidationSettingsDialog : public QDialog {
  Q_OBJECT

 public:
  enum Column { EnabledColumn, RuleColumn, SeverityColumn, DescriptionColumn };
  explicit ValidationSettingsDialog(const ValidationSettings& current, QWidget* parent = nullptr);

  /// What the dialog shows now.
  ValidationSettings settings() const;
  /// The validator made from settings() by the last accept() that succeeded (else null).
  std::shared_ptr<const Validator> validator() const { return validator_; }

  /// Shows profile `name` with its own rules (tags and codes typed stay as they are).
  void setProfile(const QString& name);
  /// Switches rule `rule` on or off, gives it `severity`; false for a rule not in the table.
  bool setRule(const QString& rule, bool enabled);
  bool setRuleSeverity(const QString& rule, Severity severity);
  /// The table's row of `rule`, or -1.
  int ruleRow(const QString& rule) const;

  QComboBox* profileBox() const { return profile_; }
  QLabel* profileDescription() const { return description_; }
  /// The tags and codes the profile itself accepts (what the "also accept" boxes add to).
  QLabel* profileAccepts() const { return accepts_; }
  QTableWidget* rulesTable() const { return rules_; }
  QCheckBox* localTagsBox() const { return localTags_; }
  QLineEdit* tagsEdit() const { return tags_; }
  QPlainTextEdit* codesEdit() const { return codes_; }
  /// Why the engine refused the settings (hidden while there is nothing to say).
  QLabel* errorLabel() const { return error_; }

 public Q_SLOTS:
  /// Closes with Accepted only when the engine takes the settings; else shows why and stays.
  void accept() override;

 private:
  void showSettings(const ValidationSettings& s);
  QComboBox* severityBox(int row) const;

  QComboBox* profile_;
  QLabel* description_;
  QLabel* accepts_;
  QTableWidget* rules_;
  QCheckBox* localTags_;
  QLineEdit* tags_;
  QPlainTextEdit* codes_;
  QLabel* error_;
  std::shared_ptr<const Validator> validator_;
};

}  // namespace marcscope::ui
