// Tools → Validation Settings: a profile of the engine chosen, a rule switched off, a severity
// changed — each re-validates the open file in the background and the findings follow; settings
// the engine refuses are shown in the dialog and change nothing; what is applied is saved.
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTimer>
#include <QtTest>

#include "app_modes.h"
#include "file_session.h"
#include "file_view.h"
#include "findings_model.h"
#include "gui_support.h"
#include "main_window.h"
#include "record_editor.h"
#include "record_pane.h"
#include "validation_settings.h"
#include "validation_settings_dialog.h"
#include "marcscope/core/executor.h"
#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/validate/validation.h"

using namespace marcscope;
using namespace marcscope::ui;
using namespace marcscope::guitest;

namespace {

/// Findings of rule `rule` in the session's report.
std::uint64_t findingsOf(const FileSession* s, std::string_view rule, Severity* severity = nullptr) {
  std::uint64_t n = 0;
  for (const CompactFinding& f : s->report()->findings)
    if (f.rule > 0 && Validator::rule_ids()[f.rule - 1u] == rule) {
      ++n;
      if (severity) *severity = f.severity;
    }
  return n;
}

/// What the engine itself reports for `path` with `options`: findings of `rule`.
std::uint64_t engineFindingsOf(const QString& path, const ValidatorOptions& options, std::string_view rule) {
  const Validator validator(options);
  ReportOptions ro;
  ro.keep_findings = true;
  auto reader = RecordReader::open(path.toStdString());
  const FileReport report = validate_all(*reader, &validator, ro);
  std::uint64_t n = 0;
  for (const CompactFinding& f : report.findings)
    if (f.rule > 0 && Validator::rule_ids()[f.rule - 1u] == rule) ++n;
  return n;
}

/// The sample file with every record's leader/17 (encoding level) set to `level`, written by
/// the engine's ISO 2709 writer.
QString withEncodingLevel(const QTemporaryDir& dir, char level) {
  std::string out;
  auto reader = RecordReader::open(MARCSCOPE_SAMPLE);
  reader->run([&](Batch& b) {
    for (BatchRecord& r : b.records) {
      r.record.set_leader_at(17, level);
      write_iso2709(r.record, out);
    }
    return true;
  });
  const QString path = dir.filePath(QStringLiteral("elvl-%1.mrc").arg(QLatin1Char(level)));
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly) || f.write(out.data(), qint64(out.size())) != qint64(out.size())) return {};
  return path;
}

/// Opens Tools → Validation Settings from the menu (the dialog is modal), lets `act` work on it
/// while it is shown, and returns when it has closed.
void withSettingsDialog(MainWindow& w, const std::function<void(ValidationSettingsDialog*)>& act) {
  QAction* open = nullptr;
  for (QAction* a : w.findChildren<QAction*>())
    if (a->shortcut() == QKeySequence(QStringLiteral("Ctrl+Shift+V"))) open = a;
  QVERIFY(open);
  QTimer::singleShot(0, &w, [&] {
    auto* d = w.findChild<ValidationSettingsDialog*>();
    QVERIFY(d);
    act(d);
    if (d->isVisible()) d->reject();
  });
  open->trigger();
}

void clickOk(ValidationSettingsDialog* d) {
  d->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
}

}  // namespace

class TestGuiSettings : public QObject {
  Q_OBJECT

  /// A window with the engine's default settings, validating `path` to the end.
  static FileView* openValidated(MainWindow& w, const QString& path) {
    FileView* v = w.openFile(path);
    if (!v || !waitFor([&] { return !v->session()->busy() && v->session()->report(); })) return nullptr;
    return v;
  }
  static bool revalidated(FileView* v, const QSignalSpy& ready) {
    return waitFor([&] { return ready.count() >= 1 && !v->session()->busy(); });
  }

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
  void init() { QSettings().remove(QStringLiteral("validation")); }

  /// The dialog lists every rule of the engine with its description, and a profile chosen sets
  /// the rules as the engine's profile has them.
  void dialog_shows_the_engine_rules_and_profiles() {
    ValidationSettingsDialog d(ValidationSettings{});
    QCOMPARE(d.rulesTable()->rowCount(), int(Validator::rule_ids().size()));
    QCOMPARE(d.profileBox()->count(), int(validator_profiles().size()));
    const int row = d.ruleRow(QStringLiteral("245-ending-punctuation"));
    QVERIFY(row >= 0);
    QCOMPARE(d.rulesTable()->item(row, ValidationSettingsDialog::DescriptionColumn)->text(),
             QString::fromUtf8(Validator::rule_description("245-ending-punctuation").data()));
    QCOMPARE(d.rulesTable()->item(row, ValidationSettingsDialog::EnabledColumn)->checkState(), Qt::Checked);
    d.profileBox()->setCurrentIndex(d.profileBox()->findText(QStringLiteral("lenient")));
    QCOMPARE(d.rulesTable()->item(row, ValidationSettingsDialog::EnabledColumn)->checkState(), Qt::Unchecked);
    const int unknown = d.ruleRow(QStringLiteral("unknown-tag"));
    auto* severity = qobject_cast<QComboBox*>(d.rulesTable()->cellWidget(unknown, ValidationSettingsDialog::SeverityColumn));
    QCOMPARE(severity->currentText(), QStringLiteral("info"));
    QVERIFY(d.profileDescription()->text().contains(QStringLiteral("punctuation")));
    const ValidationSettings s = d.settings();
    QCOMPARE(s, ValidationSettings::ofProfile(QStringLiteral("lenient")));
    QVERIFY(!s.changed());
    d.setRule(QStringLiteral("missing-245"), false);
    QVERIFY(d.settings().changed());
    QCOMPARE(d.settings().label(), QStringLiteral("lenient (changed)"));
  }

  /// Records of encoding level K report leader-value with marc21; choosing oclc in the dialog
  /// validates the file again and they no longer do, as the engine says; the record editor
  /// checks with oclc too, the status bar names the profile, and the choice is saved.
  void oclc_accepts_encoding_level_k() {
    QTemporaryDir dir;
    const QString path = withEncodingLevel(dir, 'K');
    QVERIFY(!path.isEmpty());
    const std::uint64_t marc21 = engineFindingsOf(path, {}, "leader-value");
    QVERIFY(marc21 >= engineRecordCount(path));  // every record's leader/17 at least
    QCOMPARE(engineFindingsOf(path, validator_profile("oclc"), "leader-value"), std::uint64_t(0));

    MainWindow w;
    w.setInteractive(false);
    FileView* v = openValidated(w, path);
    QVERIFY(v);
    QCOMPARE(findingsOf(v->session(), "leader-value"), marc21);
    QVERIFY(w.statusLabel()->text().contains(QStringLiteral("profile marc21")));
    v->goToRecord(1);
    v->pane()->setCurrentTab(RecordPane::EditTab);
    RecordEditor* editor = v->pane()->editor();
    auto leaderProblems = [editor] {
      editor->check();
      int n = 0;
      for (int i = 0; i < editor->problems()->count(); ++i)
        if (editor->problems()->item(i)->text().contains(QStringLiteral("LDR/17"))) ++n;
      return n;
    };
    QVERIFY(leaderProblems() >= 1);

    QSignalSpy ready(v->session(), &FileSession::validationReady);
    withSettingsDialog(w, [](ValidationSettingsDialog* d) {
      d->profileBox()->setCurrentIndex(d->profileBox()->findText(QStringLiteral("oclc")));
      clickOk(d);
      QVERIFY(!d->isVisible());
    });
    QCOMPARE(w.validationSettings().profile, QStringLiteral("oclc"));
    QVERIFY(revalidated(v, ready));
    QCOMPARE(findingsOf(v->session(), "leader-value"), std::uint64_t(0));
    QCOMPARE(v->session()->validatorRules(), QStringLiteral("oclc"));
    QVERIFY(w.statusLabel()->text().contains(QStringLiteral("profile oclc")));
    QVERIFY(v->bottomTabs()->tabText(FileView::FindingsTab).contains(QStringLiteral("oclc")));
    QCOMPARE(leaderProblems(), 0);

    QSettings settings;
    QCOMPARE(ValidationSettings::load(settings).profile, QStringLiteral("oclc"));
    // A file opened later, in a new window, is validated with the saved settings.
    MainWindow again;
    again.setInteractive(false);
    QCOMPARE(again.validationSettings(), w.validationSettings());
    FileView* v2 = openValidated(again, path);
    QVERIFY(v2);
    QCOMPARE(findingsOf(v2->session(), "leader-value"), std::uint64_t(0));
  }

  /// A rule switched off: its findings are gone and every other finding is still there.
  void disabling_a_rule_removes_its_findings() {
    MainWindow w;
    w.setInteractive(false);
    FileView* v = openValidated(w, QStringLiteral(MARCSCOPE_SAMPLE));
    QVERIFY(v);
    const std::string rule = "245-ending-punctuation";
    const std::uint64_t before = findingsOf(v->session(), rule);
    QVERIFY(before > 0);
    const std::uint64_t total = v->session()->report()->findings.size();
    QSignalSpy ready(v->session(), &FileSession::validationReady);
    withSettingsDialog(w, [&](ValidationSettingsDialog* d) {
      QVERIFY(d->setRule(QString::fromStdString(rule), false));
      clickOk(d);
    });
    QVERIFY(w.validationSettings().disabledRules.count(rule));
    QVERIFY(revalidated(v, ready));
    QCOMPARE(findingsOf(v->session(), rule), std::uint64_t(0));
    QCOMPARE(std::uint64_t(v->session()->report()->findings.size()), total - before);
    QCOMPARE(v->findingsModel()->totalFindings(), total - before);
    QVERIFY(w.statusLabel()->text().contains(QStringLiteral("marc21 (changed)")));
  }

  /// A severity changed: the rule's findings carry it and the findings tree groups them under it.
  void a_severity_change_shows() {
    MainWindow w;
    w.setInteractive(false);
    FileView* v = openValidated(w, QStringLiteral(MARCSCOPE_SAMPLE));
    QVERIFY(v);
    const std::string rule = "245-ending-punctuation";
    Severity severity = Severity::Fatal;
    const std::uint64_t before = findingsOf(v->session(), rule, &severity);
    QVERIFY(before > 0);
    QCOMPARE(severity, Severity::Warning);
    QSignalSpy ready(v->session(), &FileSession::validationReady);
    withSettingsDialog(w, [&](ValidationSettingsDialog* d) {
      QVERIFY(d->setRuleSeverity(QString::fromStdString(rule), Severity::Error));
      clickOk(d);
    });
    QVERIFY(revalidated(v, ready));
    QCOMPARE(findingsOf(v->session(), rule, &severity), before);
    QCOMPARE(severity, Severity::Error);
    FindingsModel* m = v->findingsModel();
    bool asError = false, asWarning = false;
    for (int g = 0; g < m->rowCount(); ++g) {
      const QString title = m->data(m->index(g, FindingsModel::FindingColumn)).toString();
      asError |= title.startsWith(QStringLiteral("error: 245-ending-punctuation"));
      asWarning |= title.startsWith(QStringLiteral("warning: 245-ending-punctuation"));
    }
    QVERIFY(asError);
    QVERIFY(!asWarning);
  }

  /// Codes the engine refuses (a code as wide as no position, text it cannot read) are shown in
  /// the dialog, which stays open; the settings in use, saved and validating stay as they were.
  void a_bad_accepted_code_is_refused() {
    MainWindow w;
    w.setInteractive(false);
    QVERIFY(w.setValidationSettings(ValidationSettings::ofProfile(QStringLiteral("oclc"))));
    FileView* v = openValidated(w, QStringLiteral(MARCSCOPE_SAMPLE));
    QVERIFY(v);
    const ValidationSettings before = w.validationSettings();
    const auto validator = v->session()->configuredValidator();
    QSignalSpy started(v->session(), &FileSession::jobStarted);
    QStringList errors;
    for (const QString& codes : {QStringLiteral("LDR/17=II"), QStringLiteral("LDR/17 I")}) {
      withSettingsDialog(w, [&](ValidationSettingsDialog* d) {
        d->profileBox()->setCurrentIndex(d->profileBox()->findText(QStringLiteral("marc21")));
        d->codesEdit()->setPlainText(codes);
        clickOk(d);
        QVERIFY(d->isVisible());
        QVERIFY(d->errorLabel()->isVisibleTo(d));
        errors << d->errorLabel()->text();
      });
    }
    QCOMPARE(errors.size(), 2);
    QVERIFY2(errors[0].contains(QStringLiteral("LDR/17")), qPrintable(errors[0]));
    QVERIFY2(errors[1].contains(QStringLiteral("line 1")), qPrintable(errors[1]));
    QCOMPARE(w.validationSettings(), before);
    QSettings settings;
    QCOMPARE(ValidationSettings::load(settings), before);
    QCOMPARE(v->session()->configuredValidator(), validator);
    QCOMPARE(started.count(), 0);  // nothing validated again
    // The same refused without the dialog.
    ValidationSettings bad = before;
    bad.extraCodes = QStringLiteral("008/35=e");
    QVERIFY(!w.setValidationSettings(bad));
    QVERIFY(w.lastError().contains(QStringLiteral("008/35")));
    QCOMPARE(w.validationSettings(), before);
  }

  /// The engine's codes accepted through the dialog: a position and its codes added to marc21.
  void accepted_codes_typed_in_the_dialog_apply() {
    QTemporaryDir dir;
    const QString path = withEncodingLevel(dir, 'K');
    MainWindow w;
    w.setInteractive(false);
    FileView* v = openValidated(w, path);
    QVERIFY(v);
    QVERIFY(findingsOf(v->session(), "leader-value") > 0);
    QSignalSpy ready(v->session(), &FileSession::validationReady);
    withSettingsDialog(w, [](ValidationSettingsDialog* d) {
      d->codesEdit()->setPlainText(QStringLiteral("LDR/17=K"));
      clickOk(d);
    });
    QVERIFY(revalidated(v, ready));
    ValidatorOptions o;
    o.accepted_codes["LDR/17"] = {"K"};
    QCOMPARE(findingsOf(v->session(), "leader-value"), engineFindingsOf(path, o, "leader-value"));
    QCOMPARE(findingsOf(v->session(), "leader-value"), std::uint64_t(0));
  }

  /// Validating again with new settings, cancelled: the findings are either those of the new
  /// settings (partial ones say so: the job may have been stopped, or have ended first), or the
  /// old ones with the Findings tab saying they are.
  void a_cancelled_revalidation_says_what_is_shown() {
    MainWindow w;
    w.setInteractive(false);
    FileView* v = openValidated(w, QStringLiteral(MARCSCOPE_SAMPLE));
    QVERIFY(v);
    QVERIFY(w.setValidationSettings(ValidationSettings::ofProfile(QStringLiteral("lenient"))));
    v->session()->cancelAll();
    QVERIFY(waitFor([&] { return !v->session()->busy(); }));
    const QString tab = v->bottomTabs()->tabText(FileView::FindingsTab);
    if (v->session()->validatorRules() == QStringLiteral("lenient")) {
      QCOMPARE(w.statusLabel()->text().contains(QStringLiteral("(partial)")), v->session()->validationPartial());
      QVERIFY2(!tab.contains(QStringLiteral("F5")), qPrintable(tab));
    } else {
      QCOMPARE(v->session()->validatorRules(), QStringLiteral("marc21"));
      QVERIFY2(tab.contains(QStringLiteral("marc21 — settings changed: F5 validates again")), qPrintable(tab));
    }
    // F5 validates with the new settings.
    QSignalSpy ready(v->session(), &FileSession::validationReady);
    v->session()->startValidation();
    QVERIFY(revalidated(v, ready));
    QCOMPARE(v->session()->validatorRules(), QStringLiteral("lenient"));
    QVERIFY(!v->session()->validationPartial());
    QCOMPARE(v->bottomTabs()->tabText(FileView::FindingsTab),
             QStringLiteral("Findings (%1) — lenient").arg(v->findingsModel()->totalFindings()));
  }

  /// --screenshot takes a profile and the settings dialog; other dialogs are refused.
  void screenshot_options() {
    const CommandLine c = parseCommandLine({"--screenshot", "a.png", "f.mrc", "--profile", "oclc", "--dialog", "settings"});
    QVERIFY(c.error.isEmpty());
    QCOMPARE(c.shot.profile, QStringLiteral("oclc"));
    QCOMPARE(c.shot.dialog, QStringLiteral("settings"));
    QVERIFY(!parseCommandLine({"--screenshot", "a.png", "f.mrc", "--dialog", "about"}).error.isEmpty());
  }
};

QTEST_MAIN(TestGuiSettings)
#include "test_gui_settings.moc"
