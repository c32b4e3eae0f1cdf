// Records changed in the session as the rest of the app sees them: an edited record's row status,
// findings and search matches come from the edited record (and go back on undo); Edit → New
// Record adds a row that Save As writes; Edit → Delete Records strikes rows out, Save As leaves
// them out and undo brings them back; deleting while the index or a validation runs is safe.
// QAbstractItemModelTester watches the table, the filter and the findings while they change.
#include <QAbstractItemModelTester>
#include <QAction>
#include <QCryptographicHash>
#include <QFont>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStatusBar>
#include <QTabWidget>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QTableView>
#include <QTreeView>
#include <QUndoStack>
#include <QtTest>

#include <set>

#include "edit_record_command.h"
#include "file_session.h"
#include "file_view.h"
#include "findings_model.h"
#include "gui_support.h"
#include "main_window.h"
#include "record_editor.h"
#include "record_filter_model.h"
#include "record_pane.h"
#include "record_table_model.h"
#include "statistics_view.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/read/record_file.h"
#include "marcscope/stats/statistics.h"
#include "marcscope/validate/validator.h"
#include "marcscope/write/export.h"

using namespace marcscope;
using namespace marcscope::ui;
using namespace marcscope::guitest;

namespace {

constexpr int kStatusColumn = 7, kTitleColumn = 3;

std::shared_ptr<RecordFile> indexed(const QString& path) {
  auto file = RecordFile::open(path.toStdString());
  file->build_index();
  return file;
}

/// The window's action with this shortcut.
QAction* actionFor(MainWindow& w, const QKeySequence& key) {
  for (QAction* a : w.findChildren<QAction*>())
    if (a->shortcuts().contains(key)) return a;
  return nullptr;
}

/// Every finding the findings tree shows for record `number`, as "code/rule" kinds (a multiset),
/// read through the model's own index() and data() as a view would.
std::multiset<std::string> shownFindings(FindingsModel* m, std::uint64_t number) {
  std::multiset<std::string> out;
  for (int g = 0; g < m->rowCount(); ++g) {
    const QModelIndex group = m->index(g, 0);
    for (int r = 0; r < m->rowCount(group); ++r) {
      const QModelIndex i = m->index(r, 0, group);
      if (i.data(FindingsModel::RecordRole).toULongLong() != number) continue;
      const CompactFinding* f = m->finding(i);
      out.insert(std::string(code_name(f->code)) + "/" + std::to_string(f->rule) + "/" + std::to_string(int(f->severity)));
      if (i.data().toString().isEmpty()) out.insert("(no message)");
    }
  }
  return out;
}

std::multiset<std::string> kindsOf(const Diagnostics& diags) {
  std::multiset<std::string> out;
  for (const Diagnostic& d : diags) {
    const CompactFinding f = CompactFinding::from(d);
    out.insert(std::string(code_name(f.code)) + "/" + std::to_string(f.rule) + "/" + std::to_string(int(f.severity)));
  }
  return out;
}

std::multiset<std::string> reportFindings(const FileReport& report, std::uint64_t number) {
  std::multiset<std::string> out;
  for (const CompactFinding& f : report.findings)
    if (f.record() == number)
      out.insert(std::string(code_name(f.code)) + "/" + std::to_string(f.rule) + "/" + std::to_string(int(f.severity)));
  return out;
}

std::uint64_t sumOfGroups(FindingsModel* m) {
  std::uint64_t n = 0;
  for (int g = 0; g < m->rowCount(); ++g) n += static_cast<std::uint64_t>(m->rowCount(m->index(g, 0)));
  return n;
}

QString cell(FileView* v, std::uint64_t number, int column, int role = Qt::DisplayRole) {
  return v->tableModel()->index(v->tableModel()->rowOf(number), column).data(role).toString();
}

bool struckOut(FileView* v, std::uint64_t number, int column) {
  const QVariant f = v->tableModel()->index(v->tableModel()->rowOf(number), column).data(Qt::FontRole);
  return f.isValid() && f.value<QFont>().strikeOut();
}

/// Runs a search in the view and waits for its result.
bool searchAndWait(FileView* v, const QString& query) {
  QSignalSpy done(v, &FileView::searchDone);
  if (!v->runSearch(query)) return false;
  return waitFor([&] { return done.count() == 1; }, 30000);
}

std::vector<std::uint64_t> filterRows(FileView* v) {
  std::vector<std::uint64_t> out;
  for (int r = 0; r < v->filterModel()->rowCount(); ++r) out.push_back(v->filterModel()->recordAt(r));
  return out;
}

QByteArray sha1Of(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha1);
}

bool saveAndWait(MainWindow& w, FileSession* s, const QString& path, QString* summary = nullptr) {
  QSignalSpy finished(s, &FileSession::exportFinished);
  if (!w.saveAs(path)) return false;
  if (!waitFor([&] { return finished.count() == 1; }, 60000)) return false;
  if (summary) *summary = finished[0][2].toString();
  return finished[0][1].toBool();
}

/// Replaces the editor's line starting with `prefix` by `line` (appends it when none does).
void replaceLine(RecordEditor* ed, const QString& prefix, const QString& line) {
  QStringList lines = ed->editor()->toPlainText().split(QLatin1Char('\n'));
  bool found = false;
  for (QString& l : lines)
    if (l.startsWith(prefix)) {
      l = line;
      found = true;
    }
  if (!found) lines << line;
  ed->editor()->setPlainText(lines.join(QLatin1Char('\n')));
}

}  // namespace

class TestGuiRecords : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  /// An edit changes the record's status, its findings and what searches find; undo and redo
  /// change them back and forth, in the live filter and in a search run afresh.
  void edit_reflected_in_status_findings_and_search() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    FileView* v = openAndWait(w, QStringLiteral(MARCSCOPE_SAMPLE));
    QVERIFY(v);
    FileSession* s = v->session();
    const auto report = s->report();
    QVERIFY(report && !report->stopped);
    QAbstractItemModelTester tableTester(v->tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester filterTester(v->filterModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester findingsTester(v->findingsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    FindingsModel* fm = v->findingsModel();
    QCOMPARE(fm->totalFindings(), std::uint64_t(report->findings.size()));
    QCOMPARE(sumOfGroups(fm), std::uint64_t(report->findings.size()));

    // A record with findings in the report, and a title others do not share.
    std::uint64_t n = 0;
    for (std::uint64_t k = 10; k <= s->indexedCount() && !n; ++k)
      if (const Record r = s->file().fetch(k).record.record; !reportFindings(*report, k).empty() && r.first("245") && r.first("245")->subfield('a'))
        if (const QString t = QString::fromStdString(*r.first("245")->subfield('a')); !t.contains(QLatin1Char('&')) && !t.contains(QLatin1Char('|')) && t.size() > 8)
          n = k;
    QVERIFY(n);
    const Record original = s->file().fetch(n).record.record;
    const std::string title = *original.first("245")->subfield('a');
    const auto before = reportFindings(*report, n);
    QCOMPARE(shownFindings(fm, n), before);
    const QString statusBefore = cell(v, n, kStatusColumn);
    QVERIFY(!statusBefore.contains(QStringLiteral("edited")));

    // A search the file's version matches: the record is in it.
    const QString oldQuery = QStringLiteral("245$a=%1").arg(QString::fromStdString(title));
    QVERIFY(searchAndWait(v, oldQuery));
    QVERIFY(v->filterModel()->rowOf(n) >= 0);
    const auto oldHits = filterRows(v);

    // Edit: a new title, and a 650 with an indicator no rule allows.
    QVERIFY(v->goToRecord(n));
    v->pane()->setCurrentTab(RecordPane::EditTab);
    RecordEditor* ed = v->pane()->editor();
    QCOMPARE(ed->record(), n);
    replaceLine(ed, QStringLiteral("=245 "), QStringLiteral("=245  10$aZqxmarker title."));
    replaceLine(ed, QStringLiteral("=650  97"), QStringLiteral("=650  97$aZqxmarker subject."));
    QVERIFY(ed->apply());
    const Record edited = *s->edited(n);
    Diagnostics diags;
    w.validator()->validate(edited, n, 0, diags);  // the window's validator, as the app is configured
    QVERIFY(!diags.empty());
    const auto after = kindsOf(diags);
    QVERIFY(after != before);
    QVERIFY(std::any_of(diags.begin(), diags.end(), [](const Diagnostic& d) { return d.tag == "650" && d.rule == "invalid-indicator"; }));

    // Status, findings and the live filter come from the edited record.
    QVERIFY(cell(v, n, kStatusColumn).contains(QStringLiteral("edited")));
    QVERIFY(cell(v, n, kStatusColumn).contains(QString::fromLatin1(severity_name(max_severity(diags)).data())));
    QCOMPARE(shownFindings(fm, n), after);
    const std::uint64_t total = report->findings.size() - before.size() + after.size();
    QCOMPARE(fm->totalFindings(), total);
    QCOMPARE(sumOfGroups(fm), total);
    QVERIFY(v->filterModel()->rowOf(n) < 0);  // its title no longer matches
    QCOMPARE(v->filterModel()->filteredCount(), oldHits.size() - 1);
    QVERIFY2(v->searchStatus()->text().startsWith(QStringLiteral("%1 of %2 records").arg(oldHits.size() - 1).arg(s->recordCount())),
             qPrintable(v->searchStatus()->text()));
    // Findings of the other records are unchanged.
    QCOMPARE(shownFindings(fm, n + 1), reportFindings(*report, n + 1));
    QCOMPARE(shownFindings(fm, n - 1), reportFindings(*report, n - 1));
    // The filter by finding: the invalid-indicator group holds the edited record.
    int indicatorGroup = -1;
    for (int g = 0; g < fm->groupCount(); ++g)
      if (fm->index(g, 0).data().toString().contains(QStringLiteral("invalid-indicator"))) indicatorGroup = g;
    QVERIFY(indicatorGroup >= 0);
    const auto withIt = fm->groupRecords(indicatorGroup);
    QVERIFY(std::binary_search(withIt.begin(), withIt.end(), n));

    // Undo: the file's version everywhere again.
    QUndoStack* undo = v->undoStack();
    undo->undo();
    QVERIFY(!s->edited(n));
    QCOMPARE(cell(v, n, kStatusColumn), statusBefore);
    QCOMPARE(shownFindings(fm, n), before);
    QCOMPARE(fm->totalFindings(), std::uint64_t(report->findings.size()));
    QCOMPARE(filterRows(v), oldHits);  // back in the search result, in its place
    undo->redo();
    QVERIFY(v->filterModel()->rowOf(n) < 0);
    QCOMPARE(shownFindings(fm, n), after);

    // Searches run afresh test the edited record, not the file's version of it.
    QVERIFY(searchAndWait(v, QStringLiteral("245$a~zqxmarker")));
    QCOMPARE(filterRows(v), std::vector<std::uint64_t>{n});
    QVERIFY(searchAndWait(v, oldQuery));
    QVERIFY(v->filterModel()->rowOf(n) < 0);
    QCOMPARE(filterRows(v).size(), oldHits.size() - 1);
    QVERIFY(searchAndWait(v, QStringLiteral("245$a~zqxmarker")));
    undo->undo();
    QCOMPARE(v->filterModel()->rowCount(), 0);  // the file's version does not match
    undo->redo();
    QCOMPARE(filterRows(v), std::vector<std::uint64_t>{n});

    // The filter by finding follows edits too: the group's records, then the edit undone.
    const FindingsModel::Kind kind = fm->groupKind(indicatorGroup);
    const bool fileHasKind = std::any_of(report->findings.begin(), report->findings.end(), [&](const CompactFinding& f) {
      return f.record() == n && FindingsModel::Kind{f.severity, f.code, f.rule} == kind;
    });
    v->clearFilter();
    v->filterByFindingGroup(indicatorGroup);
    QVERIFY(v->filterModel()->rowOf(n) >= 0);
    QCOMPARE(filterRows(v), withIt);
    undo->undo();
    QVERIFY(!s->edited(n));
    QCOMPARE(v->filterModel()->rowOf(n) >= 0, fileHasKind);
    undo->redo();
    QVERIFY(v->filterModel()->rowOf(n) >= 0);
  }

  /// Edit → New Record: one row more, the editor on the engine's template; applied text, Save As
  /// writes it after the file's records; undone, it is gone from the table and from the next Save As.
  void new_record_added_and_saved() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sample.mrc"));
    QVERIFY(QFile::copy(QStringLiteral(MARCSCOPE_SAMPLE), path));
    MainWindow w;
    w.setInteractive(false);
    w.show();
    FileView* v = openAndWait(w, path);
    QVERIFY(v);
    FileSession* s = v->session();
    QAbstractItemModelTester tableTester(v->tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester filterTester(v->filterModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester findingsTester(v->findingsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    const std::uint64_t total = s->indexedCount();
    const int rows = v->tableModel()->rowCount();
    QCOMPARE(std::uint64_t(rows), total);

    QAction* add = actionFor(w, QKeySequence(QKeySequence::New));
    QVERIFY(add);
    QCOMPARE(add->text(), QStringLiteral("&New Record"));
    // Ctrl+N with the table in focus.
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    v->tableView()->setFocus();
    QVERIFY(waitFor([&] { return v->tableView()->hasFocus(); }, 2000));
    QTest::keyClick(v->tableView(), Qt::Key_N, Qt::ControlModifier);
    QCOMPARE(v->tableModel()->rowCount(), rows + 1);
    QCOMPARE(v->filterModel()->rowCount(), rows + 1);
    const std::uint64_t n = total + 1;
    QVERIFY(s->isAdded(n));
    QCOMPARE(s->recordCount(), n);
    QCOMPARE(v->currentRecord(), n);
    QCOMPARE(v->pane()->tabs()->currentIndex(), int(RecordPane::EditTab));
    RecordEditor* ed = v->pane()->editor();
    QCOMPARE(ed->record(), n);
    QVERIFY(ed->editor()->toPlainText().contains(QStringLiteral("=245  00$aNew record.")));
    QVERIFY(ed->editor()->toPlainText().contains(QStringLiteral("=008  ")));
    QVERIFY(cell(v, n, 0).contains(QString::number(n)));
    QVERIFY(cell(v, n, kStatusColumn).contains(QStringLiteral("new")));
    QCOMPARE(cell(v, n, kTitleColumn), QStringLiteral("New record."));
    QVERIFY(v->pane()->title()->text().contains(QStringLiteral("added")));

    // Typed in and applied: the row, the findings and searches show the typed record.
    replaceLine(ed, QStringLiteral("=245 "), QStringLiteral("=245  00$aA record added in the session."));
    replaceLine(ed, QStringLiteral("=041 "), QStringLiteral("=041  0\\$azzz"));
    QVERIFY(ed->apply());
    QCOMPARE(cell(v, n, kTitleColumn), QStringLiteral("A record added in the session."));
    Diagnostics diags;
    w.validator()->validate(*s->edited(n), n, 0, diags);
    QVERIFY(!diags.empty());  // zzz is no language code
    QCOMPARE(shownFindings(v->findingsModel(), n), kindsOf(diags));
    QVERIFY(searchAndWait(v, QStringLiteral("245$a~added in the session")));
    QCOMPARE(filterRows(v), std::vector<std::uint64_t>{n});
    v->clearFilter();
    QCOMPARE(w.unsavedChanges({v}), s->displayName() + QStringLiteral(": 1 added"));

    // Save As: every record of the file as it was, then the added one.
    const QString out = dir.filePath(QStringLiteral("saved.mrc"));
    QString summary;
    QVERIFY2(saveAndWait(w, s, out, &summary), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("1 added")), qPrintable(summary));
    {
      const auto was = indexed(path), now = indexed(out);
      QCOMPARE(now->index().size(), total + 1);
      for (std::uint64_t i = 1; i <= total; ++i) QVERIFY(now->raw(i) == was->raw(i));
      const Record saved = now->fetch(n).record.record;
      QCOMPARE(*saved.first("245")->subfield('a'), std::string("A record added in the session."));
      QVERIFY(saved.first("008"));
    }

    // Undo the edit, then the addition: the row goes, and so does the record from Save As.
    QVERIFY(v->undoStack()->canUndo());
    v->undoStack()->undo();
    QCOMPARE(cell(v, n, kTitleColumn), QStringLiteral("New record."));
    v->undoStack()->undo();
    QVERIFY(!s->isAdded(n));
    QCOMPARE(v->tableModel()->rowCount(), rows);
    QCOMPARE(v->filterModel()->rowCount(), rows);
    QVERIFY(shownFindings(v->findingsModel(), n).empty());
    QCOMPARE(v->findingsModel()->totalFindings(), std::uint64_t(s->report()->findings.size()));
    // Redo adds it again with the same number; undone once more, it is not saved.
    v->undoStack()->redo();
    QCOMPARE(v->tableModel()->rowCount(), rows + 1);
    QVERIFY(s->isAdded(n));
    v->undoStack()->undo();
    const QString again = dir.filePath(QStringLiteral("again.mrc"));
    QVERIFY(saveAndWait(w, s, again));
    QCOMPARE(sha1Of(again), sha1Of(path));  // nothing changed: the file's bytes exactly
  }

  /// Edit → Delete Records on selected rows: struck out, their findings gone from the panel,
  /// left out by Save As; undo brings them back, and Save As writes them again.
  void delete_records_saved_without_them() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sample.mrc"));
    QVERIFY(QFile::copy(QStringLiteral(MARCSCOPE_SAMPLE), path));
    MainWindow w;
    w.setInteractive(false);
    w.show();
    FileView* v = openAndWait(w, path);
    QVERIFY(v);
    FileSession* s = v->session();
    QAbstractItemModelTester tableTester(v->tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester filterTester(v->filterModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester findingsTester(v->findingsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto report = s->report();
    QVERIFY(report);
    const std::uint64_t total = s->indexedCount();
    // Two records with findings, selected as rows of the table.
    std::vector<std::uint64_t> gone;
    for (std::uint64_t k = 2; k <= total && gone.size() < 2; k += 3)
      if (!reportFindings(*report, k).empty()) gone.push_back(k);
    QCOMPARE(gone.size(), std::size_t(2));
    QItemSelectionModel* sel = v->tableView()->selectionModel();
    sel->clearSelection();
    for (const std::uint64_t k : gone)
      sel->select(v->filterModel()->index(v->filterModel()->rowOf(k), 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QCOMPARE(v->selectedRecords(), gone);

    // The Delete key in the editor deletes text, not records.
    QVERIFY(v->goToRecord(gone[0]));
    for (const std::uint64_t k : gone)
      sel->select(v->filterModel()->index(v->filterModel()->rowOf(k), 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    v->pane()->setCurrentTab(RecordPane::EditTab);
    RecordEditor* ed = v->pane()->editor();
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    ed->editor()->setFocus();
    ed->editor()->moveCursor(QTextCursor::Start);
    QVERIFY(waitFor([&] { return ed->editor()->hasFocus(); }, 2000));
    const QString text = ed->editor()->toPlainText();
    QTest::keyClick(ed->editor(), Qt::Key_Delete);
    QVERIFY(s->deleted().empty());
    QCOMPARE(ed->editor()->toPlainText(), text.mid(1));
    ed->revert();
    QCOMPARE(ed->editor()->toPlainText(), text);

    // Del with the table in focus: the menu's shortcut deletes the selected rows.
    v->tableView()->setFocus();
    QVERIFY(waitFor([&] { return v->tableView()->hasFocus(); }, 2000));
    sel->clearSelection();
    for (const std::uint64_t k : gone)
      sel->select(v->filterModel()->index(v->filterModel()->rowOf(k), 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QTest::keyClick(v->tableView(), Qt::Key_Delete);
    QCOMPARE(s->deleted(), (std::set<std::uint64_t>(gone.begin(), gone.end())));
    v->undoStack()->undo();
    QVERIFY(s->deleted().empty());
    QCOMPARE(v->undoStack()->index(), 0);

    QAction* del = actionFor(w, QKeySequence(QKeySequence::Delete));
    QVERIFY(del);
    QCOMPARE(del->text(), QStringLiteral("&Delete Records"));
    del->trigger();
    QCOMPARE(s->deleted(), (std::set<std::uint64_t>(gone.begin(), gone.end())));
    QCOMPARE(v->undoStack()->count(), 1);
    QCOMPARE(std::uint64_t(v->tableModel()->rowCount()), total);  // shown, struck out
    for (const std::uint64_t k : gone) {
      QVERIFY(struckOut(v, k, kTitleColumn));
      QVERIFY(cell(v, k, kStatusColumn).contains(QStringLiteral("deleted")));
      QVERIFY(shownFindings(v->findingsModel(), k).empty());
    }
    QVERIFY(!struckOut(v, gone[0] + 1, kTitleColumn));
    QVERIFY(v->pane()->title()->text().contains(QStringLiteral("deleted")));
    const std::uint64_t left = report->findings.size() - reportFindings(*report, gone[0]).size() - reportFindings(*report, gone[1]).size();
    QCOMPARE(v->findingsModel()->totalFindings(), left);
    QCOMPARE(sumOfGroups(v->findingsModel()), left);
    // The status bar counts the findings the Findings tab lists, and says there are unsaved changes.
    QString statusText;
    for (const QLabel* label : w.statusBar()->findChildren<QLabel*>())
      if (label->text().contains(QStringLiteral(" findings"))) statusText = label->text();
    QVERIFY2(statusText.contains(QStringLiteral(", %1 findings").arg(left)), qPrintable(statusText));
    QVERIFY2(statusText.contains(QStringLiteral("unsaved changes")), qPrintable(statusText));
    // Closing would ask about the deletions (the question once counted edited records only).
    QCOMPARE(w.unsavedChanges({v}), s->displayName() + QStringLiteral(": 2 deleted"));
    // Deleting them again changes nothing and adds no step.
    del->trigger();
    QCOMPARE(v->undoStack()->count(), 1);

    // Save As leaves them out; the others keep their bytes, in order.
    const QString out = dir.filePath(QStringLiteral("without.mrc"));
    QVERIFY(saveAndWait(w, s, out));
    {
      const auto was = indexed(path), now = indexed(out);
      QCOMPARE(now->index().size(), total - 2);
      std::uint64_t j = 1;
      for (std::uint64_t i = 1; i <= total; ++i) {
        if (i == gone[0] || i == gone[1]) continue;
        QVERIFY2(now->raw(j++) == was->raw(i), qPrintable(QStringLiteral("record %1").arg(i)));
      }
    }

    // Undo: back, with their findings; Save As writes every record again.
    v->undoStack()->undo();
    QVERIFY(s->deleted().empty());
    for (const std::uint64_t k : gone) {
      QVERIFY(!struckOut(v, k, kTitleColumn));
      QCOMPARE(shownFindings(v->findingsModel(), k), reportFindings(*report, k));
    }
    QCOMPARE(v->findingsModel()->totalFindings(), std::uint64_t(report->findings.size()));
    // A hundred rows at once (Shift-click): every one struck out, and back with one undo.
    sel->select(QItemSelection(v->filterModel()->index(99, 0), v->filterModel()->index(198, 0)),
                QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    QCOMPARE(v->selectedRecords().size(), std::size_t(100));
    QCOMPARE(v->deleteSelected(), 100);
    QCOMPARE(s->deleted().size(), std::size_t(100));
    for (std::uint64_t k = 100; k <= 199; ++k) QVERIFY(struckOut(v, k, kTitleColumn) && cell(v, k, kStatusColumn).contains(QStringLiteral("deleted")));
    QVERIFY(!struckOut(v, 99, kTitleColumn) && !struckOut(v, 200, kTitleColumn));
    v->undoStack()->undo();
    QVERIFY(s->deleted().empty());
    for (std::uint64_t k = 100; k <= 199; ++k) QVERIFY(!struckOut(v, k, kTitleColumn));
    const QString back = dir.filePath(QStringLiteral("back.mrc"));
    QVERIFY(saveAndWait(w, s, back));
    QCOMPARE(sha1Of(back), sha1Of(path));
  }

  /// The Statistics tab counts the file as the session has it: after an edit, an added record and
  /// deletions (through the undo stack, as the menus do) it equals the engine's statistics of what
  /// Save As writes, and says it counts unsaved changes; undoing them all gives the file's again.
  void statistics_follow_changes() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("in.mrc"));
    QVERIFY(QFile::copy(dataPath(QStringLiteral("valid/evergreen-nepali.marc")), path));  // 96 records, all UTF-8
    MainWindow w;
    w.setInteractive(false);
    w.show();
    FileView* v = openAndWait(w, path);
    QVERIFY(v);
    FileSession* s = v->session();
    QVERIFY(s->statistics() && s->fileStatistics());
    const std::string onDisk = s->fileStatistics()->to_json("x");
    QCOMPARE(s->statistics()->to_json("x"), onDisk);
    QCOMPARE(s->fileStatistics()->marc8(), std::uint64_t(0));  // all UTF-8: Save As keeps every record's encoding
    QVERIFY(s->statisticsChanges().isEmpty());
    const std::uint64_t total = s->indexedCount();
    QVERIFY(total > 20);

    auto settle = [&] {
      return waitFor([&] { return !s->busy(); }, 60000);
    };
    // An edit: record 3 loses its 650s and 245 and gains a field no record has; two records deleted
    // (one of them edited first); a record added.
    Record edited = s->file().fetch(3).record.record;
    QVERIFY(edited.remove_fields("245") > 0);
    edited.remove_fields("650");
    edited.add_field(Field("987", ' ', ' ', {{'a', "only here"}}));
    v->undoStack()->push(new EditRecordCommand(s, 3, edited));
    Record other = s->file().fetch(5).record.record;
    other.add_field(Field("988", ' ', ' ', {{'a', "deleted after its edit"}}));
    v->undoStack()->push(new EditRecordCommand(s, 5, other));
    v->undoStack()->push(new DeleteRecordsCommand(s, {5, 7}));
    Record added = new_record_template("261206");
    added.add_field(Field("245", '0', '0', {{'a', "Added in the session"}}));
    v->undoStack()->push(new AddRecordCommand(s, added));
    QVERIFY(settle());
    QCOMPARE(s->statisticsChanges(), QStringLiteral("1 edited, 1 added, 2 deleted"));
    const auto shown = s->statistics();
    QCOMPARE(shown->records(), total - 1);
    const auto fields = shown->fields();
    QCOMPARE(fields.at("987").count.records, std::uint64_t(1));
    QVERIFY(!fields.count("988"));  // its record is deleted
    QCOMPARE(s->fileStatistics()->to_json("x"), onDisk);  // the file's own aggregate is kept

    // What Save As writes, counted by the engine.
    const QString out = dir.filePath(QStringLiteral("out.mrc"));
    QVERIFY(saveAndWait(w, s, out));
    auto reader = RecordReader::open(out.toStdString());
    QCOMPARE(shown->to_json("x"), collect_statistics(*reader).to_json("x"));
    // The tab shows them, and says so.
    QVERIFY(v->statisticsView()->summary()->text().contains(QStringLiteral("unsaved changes")));
    QCOMPARE(v->statisticsView()->model()->findItems(QStringLiteral("987")).size(), 2);  // the field and its $a

    // Undo all: the file's statistics again, without the note.
    while (v->undoStack()->canUndo()) v->undoStack()->undo();
    QVERIFY(settle());
    QVERIFY(!s->hasChanges());
    QCOMPARE(s->statistics()->to_json("x"), onDisk);
    QVERIFY(s->statisticsChanges().isEmpty());
    QVERIFY(!v->statisticsView()->summary()->text().contains(QStringLiteral("unsaved changes")));
    QVERIFY(v->statisticsView()->model()->findItems(QStringLiteral("987")).isEmpty());
  }

  /// Deleting (and undoing it) while the index grows and while a validation runs: no crash, and
  /// the findings that arrive leave the deleted records out.
  void delete_while_jobs_run() {
    QTemporaryDir dir;
    const QString path = concatenated(dir, QStringLiteral(MARCSCOPE_SAMPLE), 120);  // 64,320 records, 137 MB
    MainWindow w;
    w.setInteractive(false);
    w.show();
    // Before the index is complete nothing can be added (added records are numbered after the
    // whole index): a session whose index has not started.
    {
      FileSession idle(path, w.executor());
      QVERIFY(!idle.indexComplete());
      QVERIFY_THROWS_EXCEPTION(std::logic_error, idle.addRecord(new_record_template("261206")));
      QCOMPARE(idle.recordCount(), std::uint64_t(0));
      idle.setDeleted({1, 2}, true);  // not indexed: nothing to delete
      QVERIFY(idle.deleted().empty());
    }
    FileView* v = w.openFile(path);
    QVERIFY(v);
    FileSession* s = v->session();
    QAbstractItemModelTester tableTester(v->tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester filterTester(v->filterModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester findingsTester(v->findingsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QItemSelectionModel* sel = v->tableView()->selectionModel();
    int step = 0;
    // Deletes the record in row `row` (as shown now), and now and then undoes or redoes a step.
    auto churn = [&](int row) {
      if (row >= v->filterModel()->rowCount()) return false;
      sel->select(QItemSelection(v->filterModel()->index(row, 0), v->filterModel()->index(row, 0)),
                  QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
      const bool deleted = v->deleteSelected() > 0;
      if (++step % 3 == 0) v->undoStack()->undo();
      if (step % 6 == 0) v->undoStack()->redo();
      return deleted;
    };
    int whileIndexing = 0;
    // Indexed, validated and counted, with deletions and undos all along.
    bool validating = false;
    int whileValidating = 0;
    int row = 1;
    // (Each before the GUI has seen the index job finish: while it runs, as far as the GUI knows.)
    connect(s, &FileSession::indexGrew, this, [&] { whileIndexing += churn(row++); });
    connect(s, &FileSession::jobStarted, this, [&](JobKind k) {
      if (k != JobKind::Validate) return;
      validating = true;
      whileValidating += churn(row++);
    });
    connect(s, &FileSession::jobProgress, this, [&](JobKind k) {
      if (k == JobKind::Validate && validating) whileValidating += churn(row++);
    });
    connect(s, &FileSession::jobFinished, this, [&](JobKind k) {
      if (k == JobKind::Validate) validating = false;
    });
    QVERIFY(waitFor([&] { return !s->busy(); }, 120000));
    QVERIFY(s->indexComplete());
    QVERIFY(whileIndexing >= 1);
    QVERIFY(whileValidating >= 1);
    qInfo("%d deletions while indexing, %d while validating; %zu records deleted at the end", whileIndexing, whileValidating,
          s->deleted().size());
    const auto report = s->report();
    QVERIFY(report && !report->stopped);
    QCOMPARE(report->records + report->skipped, s->indexedCount());
    // The findings shown: the report's less those of the deleted records.
    QVERIFY(!s->deleted().empty());
    std::uint64_t hidden = 0;
    for (const CompactFinding& f : report->findings) hidden += s->isDeleted(f.record());
    QVERIFY(hidden > 0);
    QCOMPARE(v->findingsModel()->totalFindings(), std::uint64_t(report->findings.size()) - hidden);
    QCOMPARE(sumOfGroups(v->findingsModel()), std::uint64_t(report->findings.size()) - hidden);
    for (const std::uint64_t k : s->deleted()) {
      QVERIFY(shownFindings(v->findingsModel(), k).empty());
      QVERIFY(struckOut(v, k, kTitleColumn));
    }
    // Save As leaves exactly those out.
    const QString out = dir.filePath(QStringLiteral("out.mrc"));
    QVERIFY(saveAndWait(w, s, out));
    QCOMPARE(indexed(out)->index().size(), s->indexedCount() - s->deleted().size());
  }
};

QTEST_MAIN(TestGuiRecords)
#include "test_gui_records.moc"
