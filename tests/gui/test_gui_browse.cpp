// The desktop app's browsing: the record table over a growing index (checked by
// QAbstractItemModelTester while it grows), every format's fixtures in the table with the rows
// the engine's reader delivers, the columns, the record pane's three views, and going to a record.
#include <QAbstractItemModelTester>
#include <QHeaderView>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTreeWidget>
#include <QtTest>

#include "file_session.h"
#include "file_view.h"
#include "gui_support.h"
#include "main_window.h"
#include "record_filter_model.h"
#include "record_pane.h"
#include "record_table_model.h"
#include "marcscope/core/executor.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/search/extract.h"

using namespace marcscope;
using namespace marcscope::ui;
using namespace marcscope::guitest;

namespace {

/// The records the engine's reader delivers, in order (number -> record).
std::map<std::uint64_t, Record> engineRecords(const QString& path) {
  std::map<std::uint64_t, Record> out;
  auto reader = RecordReader::open(path.toStdString());
  BatchRecord rec;
  Diagnostics diags;
  for (ReadStep step; (step = reader->next(rec, diags)) != ReadStep::End;)
    if (step == ReadStep::Record) out.emplace(rec.number, rec.record);
  return out;
}

QString mrk(const Record& r) {
  std::string text;
  write_mrk(r, text);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return QString::fromStdString(text);
}

}  // namespace

class TestGuiBrowse : public QObject {
  Q_OBJECT

  std::shared_ptr<Executor> executor_ = std::make_shared<Executor>();

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  /// The table and its filter view stay consistent while rows arrive batch by batch.
  void model_tester_while_the_index_grows() {
    QTemporaryDir dir;
    const QString path = concatenated(dir, QStringLiteral(MARCSCOPE_SAMPLE), 40);  // 21,440 records
    FileView view(path, executor_);
    QAbstractItemModelTester tableTester(view.tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester filterTester(view.filterModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(view.tableModel(), &QAbstractItemModel::rowsInserted);
    QVERIFY(waitFor([&] { return view.session()->indexComplete(); }));
    QVERIFY(waitFor([&] { return view.tableModel()->rowCount() == 21440; }));
    QVERIFY(inserted.count() >= 1);
    QCOMPARE(view.filterModel()->rowCount(), 21440);
    // A filter over it and back, still under the testers' eyes.
    QVERIFY(view.runSearch(QStringLiteral("245$a~history")));
    QVERIFY(waitFor([&] { return view.filterModel()->filtered(); }));
    QVERIFY(view.filterModel()->rowCount() > 0 && view.filterModel()->rowCount() < 21440);
    view.clearFilter();
    QCOMPARE(view.filterModel()->rowCount(), 21440);
    QVERIFY(waitFor([&] { return !view.session()->busy(); }, 60000));  // validation changes the Status column
  }

  /// Every fixture of every format opens with as many rows as the engine's reader sees.
  void every_format_has_the_engine_rows() {
    int files = 0;
    for (const QString folder : {"valid", "xml", "json", "mrk", "marc8"}) {
      for (const QString& name : QDir(dataPath(folder)).entryList(QDir::Files)) {
        const QString path = dataPath(folder + "/" + name);
        std::uint64_t expected = 0;
        try {
          expected = engineRecordCount(path);
        } catch (const std::exception&) {
          continue;  // the engine refuses it (not MARC): the malformed tests cover refusals
        }
        FileView view(path, executor_);
        QVERIFY2(waitFor([&] { return view.session()->indexComplete(); }), qPrintable(path));
        QVERIFY(waitFor([&] { return std::uint64_t(view.tableModel()->rowCount()) == view.session()->indexedCount(); }));
        QVERIFY2(std::uint64_t(view.tableModel()->rowCount()) == expected,
                 qPrintable(QStringLiteral("%1: %2 rows, the reader sees %3").arg(path).arg(view.tableModel()->rowCount()).arg(expected)));
        // Every cell of the first rows can be shown.
        for (int r = 0; r < std::min(view.tableModel()->rowCount(), 5); ++r)
          for (int c = 0; c < view.tableModel()->columnCount(); ++c) (void)view.tableModel()->data(view.tableModel()->index(r, c));
        ++files;
      }
    }
    QVERIFY(files > 100);
  }

  /// The columns hold what the engine's reader gives for each record, for each format.
  void columns_and_pane_match_the_reader_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("iso2709") << dataPath("valid/evergreen-lul_fre_500.mrc");
    QTest::newRow("marc8") << dataPath("marc8/marccharset-cyrillic.marc");
    QTest::newRow("marcxml") << dataPath("xml/filemarc-bigarchive.xml");
    QTest::newRow("json") << dataPath("json/pymarc-test.json");
    QTest::newRow("mrk") << dataPath("mrk/lcmarcedit-marc_sample_data.mrk");
  }
  void columns_and_pane_match_the_reader() {
    QFETCH(QString, file);
    const auto records = engineRecords(file);
    QVERIFY(!records.empty());
    FileView view(file, executor_);
    QVERIFY(waitFor([&] { return view.session()->indexComplete() && view.tableModel()->rowCount() > 0; }));
    auto* model = view.tableModel();
    const auto title = FieldPath::parse("245$a"), control = FieldPath::parse("001"), date = FieldPath::parse("008/07-10");
    int checked = 0;
    for (const auto& [number, record] : records) {
      const int row = model->rowOf(number);
      QCOMPARE(model->data(model->index(row, 0)).toString(), QString::number(number));
      QCOMPARE(model->data(model->index(row, 1)).toString(), QString::fromStdString(control.value(record)));
      QCOMPARE(model->data(model->index(row, 3)).toString(), QString::fromStdString(title.value(record)));
      QCOMPARE(model->data(model->index(row, 5)).toString(), QString::fromStdString(date.value(record)));
      if (++checked == 50) break;
    }
    // The pane shows the selected record: MARCMaker text, one tree item per field and the leader, hex bytes.
    const std::uint64_t pick = std::next(records.begin(), static_cast<long>(records.size() / 2))->first;
    QVERIFY(view.goToRecord(pick));
    QCOMPARE(view.currentRecord(), pick);
    QCOMPARE(view.pane()->record(), pick);
    QCOMPARE(view.pane()->marcMakerText(), mrk(records.at(pick)));
    QCOMPARE(view.pane()->tree()->topLevelItemCount(), int(records.at(pick).fields().size()) + 1);
    const std::string raw = view.session()->file().raw(pick);
    const QStringList lines = view.pane()->hexText().split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), int((raw.size() + 15) / 16));
    QVERIFY(lines.front().startsWith(QStringLiteral("00000000  ")));
    QCOMPARE(lines.front().mid(10, 2), QStringLiteral("%1").arg(static_cast<unsigned char>(raw[0]), 2, 16, QLatin1Char('0')).toUpper());
  }

  /// ISO 2709 raw bytes are coloured by the engine's layout; a field marked in the pane is
  /// the current tree item and the highlighted MARCMaker line.
  void raw_view_and_field_marks() {
    FileView view(QStringLiteral(MARCSCOPE_SAMPLE), executor_);
    QVERIFY(waitFor([&] { return view.session()->indexComplete() && view.tableModel()->rowCount() > 0; }));
    QVERIFY(view.goToRecord(3));
    view.pane()->setCurrentTab(RecordPane::RawTab);  // filled when shown
    bool coloured = false;
    for (auto* edit : view.pane()->findChildren<QPlainTextEdit*>())
      if (edit->property("layoutMarks").toInt() > 0) coloured = true;
    QVERIFY(coloured);
    view.pane()->highlightField(4);
    QCOMPARE(view.pane()->tree()->indexOfTopLevelItem(view.pane()->tree()->currentItem()), 5);
    QTreeWidgetItem* item = view.pane()->tree()->currentItem();
    const QString line = view.pane()->marcMakerText().split('\n').value(5);
    QVERIFY(line.startsWith(QStringLiteral("=") + item->text(0)));
  }

  /// Go to a record by number (also one a filter hides) and by 001.
  void go_to_record_and_control_number() {
    FileView view(QStringLiteral(MARCSCOPE_SAMPLE), executor_);
    QVERIFY(waitFor([&] { return view.session()->indexComplete(); }));
    QVERIFY(waitFor([&] { return view.tableModel()->rowCount() == 536; }));
    QVERIFY(view.goToRecord(500));
    QCOMPARE(view.currentRecord(), std::uint64_t(500));
    QVERIFY(!view.goToRecord(0));
    QVERIFY(!view.goToRecord(537));
    const QString id = view.tableModel()->data(view.tableModel()->index(99, 1)).toString();
    QVERIFY(!id.isEmpty());
    view.goToControlNumber(id);
    QVERIFY(waitFor([&] { return view.currentRecord() == 100; }));
    // A filter that hides the record is cleared to show it.
    QVERIFY(view.runSearch(QStringLiteral("001=") + id));
    QVERIFY(waitFor([&] { return view.filterModel()->filtered(); }));
    QCOMPARE(view.filterModel()->rowCount(), 1);
    QVERIFY(view.goToRecord(7));
    QVERIFY(!view.filterModel()->filtered());
    QCOMPARE(view.currentRecord(), std::uint64_t(7));
  }

  /// A column added by spec shows the engine's value for it; a bad spec is refused.
  void user_columns() {
    FileView view(QStringLiteral(MARCSCOPE_SAMPLE), executor_);
    QVERIFY(waitFor([&] { return view.session()->indexComplete() && view.tableModel()->rowCount() > 10; }));
    QAbstractItemModelTester tester(view.filterModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    const int before = view.filterModel()->columnCount();
    view.tableModel()->addColumn(RecordTableModel::specColumn(QStringLiteral("008/35-37"), QStringLiteral("Language")));
    QCOMPARE(view.filterModel()->columnCount(), before + 1);
    const FetchedRecord r = view.session()->file().fetch(10);
    QCOMPARE(view.filterModel()->data(view.filterModel()->index(9, before)).toString(),
             QString::fromStdString(FieldPath::parse("008/35-37").value(r.record.record)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, RecordTableModel::specColumn(QStringLiteral("24$a")));
    QVERIFY(view.tableModel()->columnSpecs().contains(QStringLiteral("008/35-37")));
  }
};

QTEST_MAIN(TestGuiBrowse)
#include "test_gui_browse.moc"
