// Fixing records in the desktop app: the record editor (MARCMaker text read and validated as
// it is typed, Apply refused for text that cannot be read), edits kept in the session and shown
// as edited, undo and redo from the Edit menu, and Save As writing a new file with the edits in
// place, every other record as it was, and the open file never written.
#include <QAction>
#include <QCryptographicHash>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QUndoGroup>
#include <QUndoStack>
#include <QtTest>

#include "file_session.h"
#include "file_view.h"
#include "gui_support.h"
#include "main_window.h"
#include "record_editor.h"
#include "record_pane.h"
#include "record_table_model.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/read/record_file.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/validate/validation.h"
#include "marcscope/validate/validator.h"
#include "marcscope/write/export.h"

using namespace marcscope;
using namespace marcscope::ui;
using namespace marcscope::guitest;

namespace {

QByteArray sha1Of(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha1);
}

/// The file indexed by the engine itself.
std::shared_ptr<RecordFile> indexed(const QString& path) {
  auto file = RecordFile::open(path.toStdString());
  file->build_index();
  return file;
}

QStringList mrkLines(const Record& r) {
  std::string text;
  write_mrk(r, text);
  return QString::fromStdString(text).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

/// The leader without what writing recomputes (record length 00-04, base address 12-16).
std::string leaderShape(const Record& r) {
  std::string l = r.leader();
  l.replace(0, 5, "-----");
  l.replace(12, 5, "-----");
  return l;
}

/// The Edit menu's action with `key` (the window's, not the text editor's).
QAction* menuAction(MainWindow& w, QKeySequence::StandardKey key) {
  for (QAction* a : w.findChildren<QAction*>())
    if (!a->shortcuts().isEmpty() && a->shortcuts() == QKeySequence::keyBindings(key)) return a;
  return nullptr;
}

QString tableText(FileView* v, std::uint64_t number, int column) {
  return v->tableModel()->index(v->tableModel()->rowOf(number), column).data().toString();
}

}  // namespace

class TestGuiEdit : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  /// Edit 245, apply, undo, redo, Save As; the saved file differs from the open one exactly there.
  void edit_apply_undo_redo_save_as() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sample.mrc"));
    QVERIFY(QFile::copy(QStringLiteral(MARCSCOPE_SAMPLE), path));
    const QByteArray fileHash = sha1Of(path);
    MainWindow w;
    w.setInteractive(false);
    w.resize(1200, 800);
    w.show();
    FileView* v = openAndWait(w, path);
    QVERIFY(v);
    FileSession* s = v->session();
    QVERIFY(s->indexComplete());
    const std::uint64_t n = 5, total = s->indexedCount();
    QVERIFY(total > n);
    const Record original = s->file().fetch(n).record.record;
    QVERIFY(original.first("245"));

    QVERIFY(v->goToRecord(n));
    v->pane()->setCurrentTab(RecordPane::EditTab);
    RecordEditor* ed = v->pane()->editor();
    QCOMPARE(ed->record(), n);
    const QString before = ed->editor()->toPlainText();
    QCOMPARE(before.split(QLatin1Char('\n')), mrkLines(original));
    QVERIFY(!ed->modified());
    QVERIFY(!ed->applyButton()->isEnabled());

    // Type a new 245 over the old one.
    QStringList lines = before.split(QLatin1Char('\n'));
    const auto at = lines.indexOf(QRegularExpression(QStringLiteral("=245 .*")));
    QVERIFY(at > 0);
    const QString newLine = QStringLiteral("=245  10$aEdited title :$bsubtitle typed in the editor /$cby a cataloguer.");
    QVERIFY(lines[at] != newLine);
    QTextCursor c(ed->editor()->document()->findBlockByNumber(static_cast<int>(at)));
    c.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
    c.insertText(newLine);
    QVERIFY(ed->modified());
    QVERIFY(ed->revertButton()->isEnabled());
    // The check comes by itself once typing stops.
    QVERIFY(waitFor([&] { return ed->verdict()->text().contains(QStringLiteral("reads as MARC")); }, 5000));
    QVERIFY(ed->applyButton()->isEnabled());
    QTest::mouseClick(ed->applyButton(), Qt::LeftButton);

    QVERIFY(s->edited(n));
    QCOMPARE(s->edits().size(), std::size_t(1));
    const Field* f245 = s->edited(n)->first("245");
    QVERIFY(f245);
    QCOMPARE(f245->subfields().size(), std::size_t(3));
    QCOMPARE(f245->subfields()[0].value, std::string("Edited title :"));
    QCOMPARE(f245->subfields()[2].value, std::string("by a cataloguer."));
    QCOMPARE(v->undoStack()->count(), 1);
    auto* tabs = qobject_cast<QTabWidget*>(w.centralWidget());
    QVERIFY(tabs);
    QCOMPARE(tabs->tabText(0), QStringLiteral("sample.mrc *"));  // not saved yet
    // The table and the pane show the edited version, marked.
    QVERIFY(tableText(v, n, 0).contains(QStringLiteral("✎")));
    QVERIFY(!tableText(v, n + 1, 0).contains(QStringLiteral("✎")));
    QCOMPARE(tableText(v, n, 3), QStringLiteral("Edited title :"));
    QVERIFY(tableText(v, n, 7).contains(QStringLiteral("edited")));
    QVERIFY(v->pane()->title()->text().contains(QStringLiteral("edited")));
    QVERIFY(v->pane()->marcMakerText().split(QLatin1Char('\n')).contains(newLine));
    QVERIFY(!ed->modified());  // the editor restarts from the applied version

    // Undo and redo through the Edit menu.
    QAction* undo = menuAction(w, QKeySequence::Undo);
    QAction* redo = menuAction(w, QKeySequence::Redo);
    QVERIFY(undo && redo);
    QVERIFY(undo->isEnabled());
    undo->trigger();
    QVERIFY(!s->edited(n));
    QVERIFY(!tableText(v, n, 0).contains(QStringLiteral("✎")));
    QCOMPARE(tableText(v, n, 3), QString::fromStdString(*original.first("245")->subfield('a')));
    QCOMPARE(v->pane()->marcMakerText().split(QLatin1Char('\n')), mrkLines(original));
    QVERIFY(!v->pane()->title()->text().contains(QStringLiteral("edited")));
    QVERIFY(redo->isEnabled());
    redo->trigger();
    QVERIFY(s->edited(n));
    QCOMPARE(tableText(v, n, 3), QStringLiteral("Edited title :"));
    QVERIFY(v->pane()->marcMakerText().split(QLatin1Char('\n')).contains(newLine));

    // Revert drops typing not yet applied.
    const QString applied = ed->editor()->toPlainText();
    ed->editor()->appendPlainText(QStringLiteral("=500  \\\\$aNot applied."));
    QVERIFY(ed->modified());
    QTest::mouseClick(ed->revertButton(), Qt::LeftButton);
    QCOMPARE(ed->editor()->toPlainText(), applied);

    // Typing not applied survives going to another record and back, as a draft.
    ed->editor()->appendPlainText(QStringLiteral("=500  \\\\$aA draft."));
    const QString draft = ed->editor()->toPlainText();
    QVERIFY(v->goToRecord(n + 1));
    QCOMPARE(ed->record(), n + 1);
    QVERIFY(!ed->modified());
    QCOMPARE(ed->draftCount(), 1);
    QVERIFY(v->goToRecord(n));
    QCOMPARE(ed->editor()->toPlainText(), draft);
    QVERIFY(ed->modified());
    QCOMPARE(ed->draftCount(), 0);
    ed->revert();
    QCOMPARE(ed->editor()->toPlainText(), applied);
    QCOMPARE(v->undoStack()->count(), 1);
    QVERIFY(s->edited(n));

    // Save As: a new ISO 2709 file with the edit in place.
    const QString out = dir.filePath(QStringLiteral("saved.mrc"));
    QSignalSpy finished(s, &FileSession::exportFinished);
    QVERIFY2(w.saveAs(out), qPrintable(w.lastError()));
    QVERIFY(waitFor([&] { return finished.count() == 1; }, 60000));
    QVERIFY2(finished[0][1].toBool(), qPrintable(finished[0][2].toString()));
    QCOMPARE(finished[0][3].toULongLong(), 0ull);
    QCOMPARE(sha1Of(path), fileHash);  // the open file is untouched
    QVERIFY(v->undoStack()->isClean());   // saved: the tab no longer says otherwise
    QCOMPARE(tabs->tabText(0), QStringLiteral("sample.mrc"));

    const auto was = indexed(path), now = indexed(out);
    QCOMPARE(now->index().size(), total);
    for (std::uint64_t i = 1; i <= total; ++i) {
      if (i == n) continue;
      QVERIFY2(now->raw(i) == was->raw(i), qPrintable(QStringLiteral("record %1 changed").arg(i)));
    }
    QVERIFY(now->raw(n) != was->raw(n));
    const FetchedRecord saved = now->fetch(n);
    QVERIFY(!saved.skipped);
    QCOMPARE(leaderShape(saved.record.record), leaderShape(original));
    // Every field as it was, but 245, which is as typed.
    const QStringList a = mrkLines(original).mid(1), b = mrkLines(saved.record.record).mid(1);
    QCOMPARE(b.size(), a.size());
    for (qsizetype i = 0; i < a.size(); ++i) {
      if (a[i].startsWith(QStringLiteral("=245 "))) QCOMPARE(b[i], newLine);
      else QCOMPARE(b[i], a[i]);
    }
  }

  /// Save As in every format the dialog offers: the edited record as edited, the others as read.
  void save_as_each_format_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("MARCXML") << QStringLiteral("out.xml");
    QTest::newRow("MARC-in-JSON") << QStringLiteral("out.json");
    QTest::newRow("MARCMaker") << QStringLiteral("out.mrk");
    QTest::newRow("ISO 2709") << QStringLiteral("out.mrc");
  }
  void save_as_each_format() {
    QFETCH(QString, name);
    MainWindow w;
    w.setInteractive(false);
    FileView* v = openAndWait(w, QStringLiteral(MARCSCOPE_SAMPLE));
    QVERIFY(v);
    FileSession* s = v->session();
    const std::uint64_t n = 9;
    QVERIFY(v->goToRecord(n));
    v->pane()->setCurrentTab(RecordPane::EditTab);
    RecordEditor* ed = v->pane()->editor();
    ed->editor()->appendPlainText(QStringLiteral("=500  \\\\$aNote added for %1.").arg(name));
    QVERIFY(ed->apply());
    const Record edited = *s->edited(n);
    QTemporaryDir dir;
    const QString out = dir.filePath(name);
    QSignalSpy finished(s, &FileSession::exportFinished);
    QVERIFY(w.saveAs(out));
    QVERIFY(waitFor([&] { return finished.count() == 1; }, 60000));
    QVERIFY2(finished[0][1].toBool(), qPrintable(finished[0][2].toString()));
    // The others as the engine writes the unedited file in this format (a tag such as "2 4"
    // does not survive every format; that is the format's, not the edit's).
    const auto was = indexed(QStringLiteral(MARCSCOPE_SAMPLE));
    const QString refPath = dir.filePath(QStringLiteral("reference.") + QFileInfo(name).suffix());
    {
      ExportOptions options;
      QVERIFY(parse_format_name(QFileInfo(name).suffix().toStdString(), options.format));
      OutputFile ref(refPath.toStdString());
      QVERIFY(!export_records(*was, options, ref).cancelled);
    }
    const auto now = indexed(out), ref = indexed(refPath);
    QCOMPARE(now->index().size(), was->index().size());
    QCOMPARE(ref->index().size(), was->index().size());
    for (std::uint64_t i = 1; i <= was->index().size(); ++i) {
      const Record expect = i == n ? edited : ref->fetch(i).record.record;
      const Record got = now->fetch(i).record.record;
      // Fields exactly; the leader but for what writing recomputes.
      QVERIFY2(got.fields() == expect.fields(), qPrintable(QStringLiteral("record %1 differs").arg(i)));
      QCOMPARE(leaderShape(got), leaderShape(expect));
    }
    QVERIFY(now->fetch(n).record.record.fields() != ref->fetch(n).record.record.fields());
    const Record saved = now->fetch(n).record.record;
    QCOMPARE(saved.fields().back().tag(), std::string("500"));
    QCOMPARE(saved.fields().back().subfields().front().value, QStringLiteral("Note added for %1.").arg(name).toStdString());
  }

  /// Text that cannot be read is shown by line and cannot be applied.
  void syntax_error_refuses_apply() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    FileView* v = openAndWait(w, QStringLiteral(MARCSCOPE_SAMPLE));
    QVERIFY(v);
    QVERIFY(v->goToRecord(2));
    v->pane()->setCurrentTab(RecordPane::EditTab);
    RecordEditor* ed = v->pane()->editor();
    QVERIFY(ed->check());
    // Line 3 becomes a line MARCMaker cannot read.
    QTextCursor c(ed->editor()->document()->findBlockByNumber(2));
    c.insertText(QStringLiteral("this is not a field\n"));
    QVERIFY(ed->modified());
    QVERIFY(!ed->check());
    QVERIFY(!ed->applyButton()->isEnabled());
    QVERIFY(ed->verdict()->text().contains(QStringLiteral("cannot be applied")));
    QVERIFY(ed->problems()->count() >= 1);
    const QListWidgetItem* first = ed->problems()->item(0);
    QVERIFY2(first->text().startsWith(QStringLiteral("error — line 3:")), qPrintable(first->text()));
    QCOMPARE(first->data(Qt::UserRole).toInt(), 3);
    QVERIFY(!ed->apply());
    QVERIFY(v->session()->edits().empty());
    QCOMPARE(v->undoStack()->count(), 0);
    // A blank line splits the record in two: also refused, on the line after it.
    ed->revert();
    QVERIFY(ed->check());
    QTextCursor d(ed->editor()->document()->findBlockByNumber(4));
    d.insertText(QStringLiteral("\n"));
    QVERIFY(!ed->check());
    QVERIFY(!ed->apply());
    QCOMPARE(ed->problems()->item(0)->data(Qt::UserRole).toInt(), 6);
    QVERIFY(v->session()->edits().empty());
  }

  /// Save As never writes the open file, nor a file not fully indexed.
  void save_as_refuses_the_open_file() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("open.mrc"));
    QVERIFY(QFile::copy(QStringLiteral(MARCSCOPE_SAMPLE), path));
    const QByteArray hash = sha1Of(path);
    MainWindow w;
    w.setInteractive(false);
    FileView* v = openAndWait(w, path);
    QVERIFY(v);
    QVERIFY(!w.saveAs(path));
    QVERIFY(w.lastError().contains(QStringLiteral("open file")));
    // The same file by another name.
    QVERIFY(!w.saveAs(dir.filePath(QStringLiteral("./sub/../open.mrc"))));
    QVERIFY(QFile::link(path, dir.filePath(QStringLiteral("link.mrc"))));
    QVERIFY(!w.saveAs(dir.filePath(QStringLiteral("link.mrc"))));
    QVERIFY(!v->session()->busy());  // nothing was started
    QCOMPARE(sha1Of(path), hash);
  }

  /// File → Split Good and Bad Records: each record in exactly one file, good ones with no
  /// warning, error or repair when the engine validates them afresh, unreadable ones in bad.
  void split_good_and_bad() {
    const QString path = QStringLiteral(MARCSCOPE_SAMPLE);
    MainWindow w;
    w.setInteractive(false);
    FileView* v = openAndWait(w, path);
    QVERIFY(v);
    FileSession* s = v->session();
    const QByteArray hash = sha1Of(path);
    QTemporaryDir dir;
    const QString good = dir.filePath(QStringLiteral("good.mrc")), bad = dir.filePath(QStringLiteral("bad.mrc"));
    QVERIFY(!w.split(good, good));
    QVERIFY(!w.split(path, bad));
    QVERIFY(w.lastError().contains(QStringLiteral("open file")));
    s->setEdit(1, s->file().fetch(1).record.record);
    QVERIFY(!w.split(good, bad));
    QVERIFY(w.lastError().contains(QStringLiteral("not saved")));
    s->setEdit(1, std::nullopt);
    QVERIFY(!s->hasChanges());
    QVERIFY(waitFor([&] { return !s->busy(); }, 60000));  // the statistics recount the edit queued

    QSignalSpy finished(s, &FileSession::exportFinished);
    QVERIFY2(w.split(good, bad), qPrintable(w.lastError()));
    QVERIFY(waitFor([&] { return finished.count() == 1; }, 60000));
    QVERIFY2(finished[0][1].toBool(), qPrintable(finished[0][2].toString()));
    QCOMPARE(sha1Of(path), hash);  // the open file is untouched

    // Problems per record as a fresh validator sees them, not as the app's report says.
    auto problems = [](const QString& file) {
      const Validator validator;
      std::vector<bool> out;
      RecordReader::open(file.toStdString())->run(
          [&](Batch& b) {
            for (const auto& r : b.records) {
              bool p = r.repaired;
              for (const auto& d : b.diagnostics)
                if (d.record == r.number && (d.severity >= Severity::Warning || d.code == Code::RecordRepaired)) p = true;
              out.push_back(p);
            }
            return true;
          },
          [&](Batch& b) { validate_batch(validator, b); });
      return out;
    };
    const auto in_good = problems(good), in_bad = problems(bad), original = problems(path);
    const auto clean = static_cast<std::size_t>(std::count(original.begin(), original.end(), false));
    QVERIFY(clean > 0 && clean < original.size());
    QCOMPARE(in_good.size(), clean);
    QCOMPARE(std::count(in_good.begin(), in_good.end(), true), 0);
    QCOMPARE(in_bad.size(), original.size() - clean);
    QCOMPARE(static_cast<std::size_t>(std::count(in_bad.begin(), in_bad.end(), true)), in_bad.size());
    QVERIFY(finished[0][2].toString().contains(QString::number(clean)));
  }

  /// Unreadable records: copied byte for byte into ISO 2709, counted and said when a format cannot hold them.
  void unreadable_records_are_not_lost_silently() {
    const QString path = dataPath(QStringLiteral("malformed/catmandu-bu_bibs.mrc"));
    MainWindow w;
    w.setInteractive(false);
    FileView* v = openAndWait(w, path);
    QVERIFY(v);
    FileSession* s = v->session();
    const std::uint64_t total = s->indexedCount();
    QTemporaryDir dir;
    QSignalSpy finished(s, &FileSession::exportFinished);
    QVERIFY(w.saveAs(dir.filePath(QStringLiteral("all.mrc"))));
    QVERIFY(w.saveAs(dir.filePath(QStringLiteral("all.xml"))));
    QVERIFY(waitFor([&] { return finished.count() == 2; }, 60000));
    // ISO 2709: every record, the unreadable ones as their bytes.
    QVERIFY(finished[0][1].toBool());
    QCOMPARE(finished[0][3].toULongLong(), 0ull);
    const auto mrc = indexed(dir.filePath(QStringLiteral("all.mrc")));
    QCOMPARE(mrc->index().size(), total);
    // MARCXML cannot hold them: counted, and the message says so.
    QVERIFY(finished[1][1].toBool());
    const quint64 unwritten = finished[1][3].toULongLong();
    QCOMPARE(unwritten, 16ull);
    QVERIFY(finished[1][2].toString().contains(QStringLiteral("16 unreadable records were NOT written")));
    QVERIFY(w.lastError().contains(QStringLiteral("NOT written")));
    QCOMPARE(engineRecordCount(dir.filePath(QStringLiteral("all.xml"))), total - unwritten);
  }
};

QTEST_MAIN(TestGuiEdit)
#include "test_gui_edit.moc"
