#include "validation_settings_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStringList>
#include <QTableWidget>
#include <QVBoxLayout>

#include <stdexcept>

namespace marcscope::ui {
namespace {

constexpr Severity kSeverities[] = {Severity::Info, Severity::Warning, Severity::Error, Severity::Fatal};

QString qs(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }

}  // namespace

ValidationSettingsDialog::ValidationSettingsDialog(const ValidationSettings& current, QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Validation Settings"));
  profile_ = new QComboBox(this);
  for (const ValidatorProfile& p : validator_profiles()) profile_->addItem(qs(p.name), qs(p.description));
  description_ = new QLabel(this);
  description_->setWordWrap(false);  // one line each (wrapped labels in a form get room for many)
  accepts_ = new QLabel(this);
  accepts_->setWordWrap(false);
  auto* restore = new QPushButton(tr("&Restore Profile Defaults"), this);
  restore->setToolTip(tr("Set every rule, and local tags, back to what the profile says"));

  rules_ = new QTableWidget(static_cast<int>(Validator::rule_ids().size()), 4, this);
  rules_->setHorizontalHeaderLabels({tr("On"), tr("Rule"), tr("Severity"), tr("What it checks")});
  rules_->verticalHeader()->hide();
  rules_->setSelectionMode(QAbstractItemView::NoSelection);
  rules_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  rules_->setAlternatingRowColors(true);
  rules_->verticalHeader()->setDefaultSectionSize(rules_->fontMetrics().height() + 12);
  int row = 0;
  for (std::string_view id : Validator::rule_ids()) {
    auto* on = new QTableWidgetItem;
    on->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
    on->setCheckState(Qt::Checked);
    rules_->setItem(row, EnabledColumn, on);
    auto* name = new QTableWidgetItem(qs(id));
    name->setFlags(Qt::ItemIsEnabled);
    rules_->setItem(row, RuleColumn, name);
    auto* severity = new QComboBox(rules_);
    for (Severity s : kSeverities) severity->addItem(qs(severity_name(s)), static_cast<int>(s));
    rules_->setCellWidget(row, SeverityColumn, severity);
    auto* what = new QTableWidgetItem(qs(Validator::rule_description(id)));
    what->setFlags(Qt::ItemIsEnabled);
    what->setToolTip(what->text());
    rules_->setItem(row, DescriptionColumn, what);
    ++row;
  }
  rules_->resizeColumnToContents(EnabledColumn);
  rules_->resizeColumnToContents(RuleColumn);
  rules_->resizeColumnToContents(SeverityColumn);
  rules_->horizontalHeader()->setSectionResizeMode(DescriptionColumn, QHeaderView::Stretch);

  localTags_ = new QCheckBox(tr("Accept tags for local use (09X, 59X, 69X, 9XX) that MARC 21 does not define"), this);
  tags_ = new QLineEdit(this);
  tags_->setPlaceholderText(tr("e.g. 049, 938 — accepted as defined locally beside the profile's"));
  codes_ = new QPlainTextEdit(this);
  codes_->setPlaceholderText(tr("One position a line: LDR/17=I,K,M   008/23=o"));
  codes_->setTabChangesFocus(true);
  codes_->setFixedHeight(codes_->fontMetrics().lineSpacing() * 4 + 12);
  error_ = new QLabel(this);
  error_->setWordWrap(true);
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_->setStyleSheet(QStringLiteral("QLabel { color: #c62828; font-weight: bold; }"));
  error_->hide();

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Apply and Validate Again"));
  connect(buttons, &QDialogButtonBox::accepted, this, &ValidationSettingsDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

  auto* top = new QHBoxLayout;
  top->addWidget(profile_);
  top->addWidget(restore);
  top->addStretch(1);
  auto* form = new QFormLayout;
  auto* profileLabel = new QLabel(tr("&Profile:"), this);
  profileLabel->setBuddy(profile_);
  form->addRow(profileLabel, top);
  form->addRow(QString(), description_);
  form->addRow(QString(), accepts_);
  auto* extra = new QFormLayout;
  extra->addRow(localTags_);
  extra->addRow(tr("Also accept &tags:"), tags_);
  extra->addRow(tr("Also accept &codes:"), codes_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(new QLabel(tr("Rules (the profile sets which are on and how severe each is; change any):"), this));
  layout->addWidget(rules_, 1);
  layout->addLayout(extra);
  layout->addWidget(error_);
  layout->addWidget(buttons);
  resize(860, 720);

  connect(profile_, &QComboBox::currentIndexChanged, this, [this] { setProfile(profile_->currentText()); });
  connect(restore, &QPushButton::clicked, this, [this] { setProfile(profile_->currentText()); });
  showSettings(current);
}

void ValidationSettingsDialog::showSettings(const ValidationSettings& s) {
  {
    const QSignalBlocker block(profile_);
    const int i = profile_->findText(s.profile);
    profile_->setCurrentIndex(i < 0 ? 0 : i);
  }
  description_->setText(profile_->currentData().toString());
  QStringList accepted;
  try {
    const ValidatorOptions o = validator_profile(profile_->currentText().toStdString());
    QStringList tags;
    for (const std::string& tag : o.accepted_tags) tags << QString::fromStdString(tag);
    if (!tags.isEmpty()) accepted << tr("tags %1").arg(tags.join(QStringLiteral(", ")));
    for (const auto& [position, codes] : o.accepted_codes) {
      QStringList list;
      for (const std::string& code : codes) list << QString::fromStdString(code);
      accepted << QStringLiteral("%1=%2").arg(QString::fromStdString(position), list.join(QLatin1Char(',')));
    }
  } catch (const std::invalid_argument&) {
  }
  accepts_->setText(accepted.isEmpty() ? QString() : tr("<i>This profile also accepts:</i> %1").arg(accepted.join(QStringLiteral("; "))));
  accepts_->setVisible(!accepted.isEmpty());
  for (int row = 0; row < rules_->rowCount(); ++row) {
    const std::string rule = rules_->item(row, RuleColumn)->text().toStdString();
    rules_->item(row, EnabledColumn)->setCheckState(s.disabledRules.count(rule) ? Qt::Unchecked : Qt::Checked);
    QComboBox* box = severityBox(row);
    box->setCurrentIndex(box->findData(static_cast<int>(s.severity(rule))));
  }
  localTags_->setChecked(s.acceptLocalTags);
  tags_->setText(s.extraTags);
  codes_->setPlainText(s.extraCodes);
  error_->hide();
}

QComboBox* ValidationSettingsDialog::severityBox(int row) const {
  return qobject_cast<QComboBox*>(rules_->cellWidget(row, SeverityColumn));
}

void ValidationSettingsDialog::setProfile(const QString& name) {
  ValidationSettings s;
  try {
    s = ValidationSettings::ofProfile(name);
  } catch (const std::invalid_argument& e) {
    error_->setText(QString::fromUtf8(e.what()));
    error_->show();
    return;
  }
  s.extraTags = tags_->text();
  s.extraCodes = codes_->toPlainText();
  showSettings(s);
}

int ValidationSettingsDialog::ruleRow(const QString& rule) const {
  for (int row = 0; row < rules_->rowCount(); ++row)
    if (rules_->item(row, RuleColumn)->text() == rule) return row;
  return -1;
}

bool ValidationSettingsDialog::setRule(const QString& rule, bool enabled) {
  const int row = ruleRow(rule);
  if (row < 0) return false;
  rules_->item(row, EnabledColumn)->setCheckState(enabled ? Qt::Checked : Qt::Unchecked);
  return true;
}

bool ValidationSettingsDialog::setRuleSeverity(const QString& rule, Severity severity) {
  const int row = ruleRow(rule);
  if (row < 0) return false;
  severityBox(row)->setCurrentIndex(severityBox(row)->findData(static_cast<int>(severity)));
  return true;
}

ValidationSettings ValidationSettingsDialog::settings() const {
  ValidationSettings s;
  s.profile = profile_->currentText();
  s.acceptLocalTags = localTags_->isChecked();
  const Severity normal = default_severity(Code::RuleViolation);
  for (int row = 0; row < rules_->rowCount(); ++row) {
    const std::string rule = rules_->item(row, RuleColumn)->text().toStdString();
    if (rules_->item(row, EnabledColumn)->checkState() != Qt::Checked) s.disabledRules.insert(rule);
    const auto severity = static_cast<Severity>(severityBox(row)->currentData().toInt());
    if (severity != normal) s.severities[rule] = severity;
  }
  s.extraTags = tags_->text().trimmed();
  s.extraCodes = codes_->toPlainText().trimmed();
  return s;
}

void ValidationSettingsDialog::accept() {
  try {
    validator_ = settings().makeValidator();
  } catch (const std::exception& e) {
    validator_.reset();
    error_->setText(tr("Not applied: %1").arg(QString::fromUtf8(e.what())));
    error_->show();
    return;
  }
  error_->hide();
  QDialog::accept();
}

}  // namespace marcscope::ui
