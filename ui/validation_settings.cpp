#include "validation_settings.h"

#include <QObject>
#include <QRegularExpression>
#include <QSettings>
#include <QStringList>

#include <stdexcept>

namespace marcscope::ui {

ValidationSettings ValidationSettings::ofProfile(const QString& name) {
  const ValidatorOptions o = validator_profile(name.toStdString());
  ValidationSettings s;
  s.profile = name;
  s.acceptLocalTags = o.accept_local_tags;
  s.disabledRules = o.disabled_rules;
  s.severities = o.severity_overrides;
  return s;
}

ValidatorOptions ValidationSettings::options() const {
  ValidatorOptions o = validator_profile(profile.toStdString());
  o.accept_local_tags = acceptLocalTags;
  o.disabled_rules = disabledRules;
  o.severity_overrides = severities;
  for (const QString& tag : extraTags.split(QRegularExpression(QStringLiteral("[,;\\s]+")), Qt::SkipEmptyParts))
    o.accepted_tags.insert(tag.toStdString());
  const QStringList lines = extraCodes.split(QLatin1Char('\n'));
  for (int i = 0; i < lines.size(); ++i) {
    const QString line = lines[i].trimmed();
    if (line.isEmpty()) continue;
    try {
      add_accepted_codes(o, line.toStdString());
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(QObject::tr("Accepted codes, line %1 “%2”: %3")
                                      .arg(i + 1)
                                      .arg(line, QString::fromUtf8(e.what()))
                                      .toStdString());
    }
  }
  return o;
}

std::shared_ptr<const Validator> ValidationSettings::makeValidator() const {
  return std::make_shared<const Validator>(options());
}

Severity ValidationSettings::severity(std::string_view rule) const {
  const auto it = severities.find(rule);
  return it == severities.end() ? default_severity(Code::RuleViolation) : it->second;
}

bool ValidationSettings::changed() const {
  ValidationSettings base;
  try {
    base = ofProfile(profile);
  } catch (const std::invalid_argument&) {
    return true;
  }
  return acceptLocalTags != base.acceptLocalTags || disabledRules != base.disabledRules || severities != base.severities ||
         !extraTags.trimmed().isEmpty() || !extraCodes.trimmed().isEmpty();
}

QString ValidationSettings::label() const {
  return changed() ? QObject::tr("%1 (changed)").arg(profile) : profile;
}

ValidationSettings ValidationSettings::load(QSettings& settings) {
  settings.beginGroup(QStringLiteral("validation"));
  ValidationSettings s;
  if (settings.contains(QStringLiteral("profile"))) {
    s.profile = settings.value(QStringLiteral("profile")).toString();
    s.acceptLocalTags = settings.value(QStringLiteral("acceptLocalTags"), true).toBool();
    for (const QString& rule : settings.value(QStringLiteral("disabledRules")).toStringList()) s.disabledRules.insert(rule.toStdString());
    for (const QString& pair : settings.value(QStringLiteral("severities")).toStringList()) {
      const qsizetype eq = pair.indexOf(QLatin1Char('='));
      const auto severity = parse_severity(pair.mid(eq + 1).toStdString());
      if (eq > 0 && severity) s.severities[pair.left(eq).toStdString()] = *severity;
    }
    s.extraTags = settings.value(QStringLiteral("extraTags")).toString();
    s.extraCodes = settings.value(QStringLiteral("extraCodes")).toString();
  }
  settings.endGroup();
  return s;
}

void ValidationSettings::save(QSettings& settings) const {
  settings.beginGroup(QStringLiteral("validation"));
  settings.setValue(QStringLiteral("profile"), profile);
  settings.setValue(QStringLiteral("acceptLocalTags"), acceptLocalTags);
  QStringList disabled, overrides;
  for (const std::string& rule : disabledRules) disabled << QString::fromStdString(rule);
  for (const auto& [rule, severity] : severities)
    overrides << QString::fromStdString(rule) + QLatin1Char('=') + QLatin1String(severity_name(severity).data());
  settings.setValue(QStringLiteral("disabledRules"), disabled);
  settings.setValue(QStringLiteral("severities"), overrides);
  settings.setValue(QStringLiteral("extraTags"), extraTags);
  settings.setValue(QStringLiteral("extraCodes"), extraCodes);
  settings.endGroup();
}

}  // namespace marcscope::ui
