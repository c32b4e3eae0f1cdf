// The desktop app's background jobs and its window: validation findings as the engine counts
// them, searches as the engine finds them, cancelling a long index (and resuming it), every
// malformed fixture opened without a crash, files that are not MARC refused with a message,
// drag and drop, recent files, and the screenshot mode.
#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QStyleOptionHeaderV2>
#include <QTableView>
#include <QTreeView>
#include <QTreeWidget>
#include <QUrl>
#include <QtTest>

#include "app_modes.h"
#include "file_session.h"
#include "file_view.h"
#include "findings_model.h"
#include "gui_support.h"
#include "main_window.h"
#include "record_filter_model.h"
#include "record_pane.h"
#include "record_table_delegate.h"
#include "record_table_header.h"
#include "record_table_model.h"
#include "marcscope/core/executor.h"
#include "marcscope/search/query.h"
#include "marcscope/validate/validation.h"

using namespace marcscope;
using namespace marcscope::ui;
using namespace marcscope::guitest;

class TestGuiJobs : public QObject {
  Q_OBJECT

  std::shared_ptr<Executor> executor_ = std::make_shared<Executor>();

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void findings_are_the_engine_findings_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("sample") << QStringLiteral(MARCSCOPE_SAMPLE);
    QTest::newRow("malformed iso") << dataPath("malformed/catmandu-bu_bibs.mrc");
    QTest::newRow("marc8") << dataPath("marc8/evergreen-hebrew.marc");
    QTest::newRow("marcxml") << dataPath("xml/catmandu-marc.xml");
  }
  /// The findings tree holds every finding the engine's validation of the file reports, grouped
  /// by kind with counts that add up; the Status column shows each record's worst severity.
  void findings_are_the_engine_findings() {
    QFETCH(QString, file);
    const Validator validator;
    ReportOptions options;
    options.keep_findings = true;
    auto reader = RecordReader::open(file.toStdString());
    const FileReport engine = validate_all(*reader, &validator, options);

    FileView view(file, executor_);
    QAbstractItemModelTester tester(view.findingsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy ready(view.session(), &FileSession::validationReady);
    QVERIFY(waitFor([&] { return ready.count() == 1; }));
    FindingsModel* m = view.findingsModel();
    QCOMPARE(m->totalFindings(), std::uint64_t(engine.findings.size()));
    std::uint64_t sum = 0;
    for (int g = 0; g < m->rowCount(); ++g) {
      const QModelIndex group = m->index(g, 0);
      QCOMPARE(m->data(m->index(g, FindingsModel::CountColumn)).toString().toULongLong(), std::uint64_t(m->rowCount(group)));
      sum += std::uint64_t(m->rowCount(group));
      QVERIFY(!m->data(m->index(0, FindingsModel::FindingColumn, group)).toString().isEmpty());
    }
    QCOMPARE(sum, std::uint64_t(engine.findings.size()));
    // Per kind, as the engine counts them.
    std::map<std::pair<int, int>, std::uint64_t> kinds;
    for (const auto& f : engine.findings) ++kinds[{int(f.code), int(f.severity)}];
    QVERIFY(std::uint64_t(m->rowCount()) >= kinds.size());
    auto* table = view.tableModel();
    int statusColumn = -1;
    for (int c = 0; c < table->columnCount(); ++c)
      if (table->headerData(c, Qt::Horizontal).toString() == QStringLiteral("Status")) statusColumn = c;
    QVERIFY(statusColumn >= 0);
    for (std::uint64_t n = 1; n <= std::min<std::uint64_t>(engine.worst_severity.size(), 200); ++n) {
      const QString status = table->data(table->index(table->rowOf(n), statusColumn)).toString();
      const auto worst = engine.worst(n);
      if (status == QStringLiteral("unreadable")) continue;
      QVERIFY2(status.startsWith(worst ? QString::fromLatin1(severity_name(*worst).data()) : QStringLiteral("ok")),
               qPrintable(QStringLiteral("record %1: %2").arg(n).arg(status)));
    }
  }

  /// Activating a finding selects its record and marks its field in the pane.
  void clicking_a_finding_shows_its_field() {
    FileView view(QStringLiteral(MARCSCOPE_SAMPLE), executor_);
    QSignalSpy ready(view.session(), &FileSession::validationReady);
    QVERIFY(waitFor([&] { return ready.count() == 1; }));
    FindingsModel* m = view.findingsModel();
    QModelIndex pick;
    for (int g = 0; g < m->rowCount() && !pick.isValid(); ++g)
      for (int r = 0; r < m->rowCount(m->index(g, 0)) && !pick.isValid(); ++r) {
        const QModelIndex i = m->index(r, 0, m->index(g, 0));
        if (m->finding(i)->field() >= 1 && m->finding(i)->record() > 1) pick = i;
      }
    QVERIFY(pick.isValid());
    const CompactFinding* f = m->finding(pick);
    Q_EMIT view.findingsView()->activated(pick);
    QCOMPARE(view.currentRecord(), f->record());
    QCOMPARE(view.pane()->record(), f->record());
    QCOMPARE(view.pane()->tree()->indexOfTopLevelItem(view.pane()->tree()->currentItem()), int(f->field()) + 1);
    // The pane lists this record's findings too.
    QVERIFY(view.pane()->problems()->count() >= 1);
    // A group activated filters the table to its records.
    Q_EMIT view.findingsView()->activated(m->index(pick.parent().row(), 0));
    QVERIFY(view.filterModel()->filtered());
    const auto records = records_with(*view.session()->report(), f->code);
    if (f->code != Code::RuleViolation) QCOMPARE(view.filterModel()->filteredCount(), std::uint64_t(records.size()));
    QVERIFY(view.filterModel()->rowOf(f->record()) >= 0);
  }

  void search_counts_are_the_engine_counts_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("query");
    QTest::newRow("contains") << QStringLiteral(MARCSCOPE_SAMPLE) << QStringLiteral("245$a~history");
    QTest::newRow("leader") << QStringLiteral(MARCSCOPE_SAMPLE) << QStringLiteral("LDR/06=t");
    QTest::newRow("absent") << QStringLiteral(MARCSCOPE_SAMPLE) << QStringLiteral("100 absent");
    QTest::newRow("regex") << QStringLiteral(MARCSCOPE_SAMPLE) << QStringLiteral("650$a/^Hist.*y$/");
    QTest::newRow("all") << QStringLiteral(MARCSCOPE_SAMPLE) << QStringLiteral("LDR/06=a && 008/07-10^19");
    QTest::newRow("any") << QStringLiteral(MARCSCOPE_SAMPLE) << QStringLiteral("020 present || 022 present");
    QTest::newRow("marcxml") << dataPath("xml/filemarc-bigarchive.xml") << QStringLiteral("245$a~the");
    QTest::newRow("none") << QStringLiteral(MARCSCOPE_SAMPLE) << QStringLiteral("245$a~zzqqxx");
  }
  /// The filtered view holds exactly the records the engine's search finds.
  void search_counts_are_the_engine_counts() {
    QFETCH(QString, file);
    QFETCH(QString, query);
    Query q;
    const bool any = query.contains(QStringLiteral("||"));
    q.any = any;
    for (const QString& part : query.split(any ? QStringLiteral("||") : QStringLiteral("&&")))
      q.conditions.push_back(Condition::parse(part.trimmed().toStdString()));
    auto reader = RecordReader::open(file.toStdString());
    const auto expected = search(*reader, Matcher(q));

    FileView view(file, executor_);
    QAbstractItemModelTester tester(view.filterModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy done(&view, &FileView::searchDone);
    QVERIFY(view.runSearch(query));
    QVERIFY(waitFor([&] { return done.count() == 1; }));
    QVERIFY(view.filterModel()->filtered());
    QCOMPARE(std::size_t(view.filterModel()->rowCount()), expected.size());
    for (int r = 0; r < view.filterModel()->rowCount(); ++r) QCOMPARE(view.filterModel()->recordAt(r), expected[std::size_t(r)]);
    QVERIFY(view.searchStatus()->text().startsWith(QString::number(expected.size()) + " of "));
    if (!expected.empty()) QCOMPARE(view.currentRecord(), expected.front());
    view.clearFilter();
    QVERIFY(!view.filterModel()->filtered());
    QCOMPARE(std::uint64_t(view.filterModel()->rowCount()), view.session()->indexedCount());
  }

  /// A query the engine cannot read is refused with its reason, and nothing is filtered.
  void bad_queries_are_refused() {
    FileView view(QStringLiteral(MARCSCOPE_SAMPLE), executor_);
    for (const QString q : {"", "245$a", "245$a/[unclosed/", "008/10-07=x", "245$a~x && 100 present || 700 present"}) {
      QVERIFY2(!view.runSearch(q), qPrintable(q));
      QVERIFY(!view.searchStatus()->text().isEmpty());
    }
    QVERIFY(!view.filterModel()->filtered());
  }

  /// A long index stopped early keeps what it indexed and is not complete; resumed, it ends
  /// with every record.
  void cancel_a_long_index_and_resume() {
    QTemporaryDir dir;
    const QString path = concatenated(dir, QStringLiteral(MARCSCOPE_SAMPLE), 120);  // 64,320 records, 137 MB
    FileView view(path, executor_, nullptr, nullptr, QStringLiteral("marc21"), false);
    FileSession* s = view.session();
    // The index waits after its first rows until the GUI thread has cancelled it: however the
    // threads are scheduled, it is stopped part way.
    s->setJobGate([](JobKind kind, bool started, const std::stop_token& stop) {
      if (kind == JobKind::Index && !started) hold_until_stopped(stop);
    });
    QSignalSpy finished(s, &FileSession::jobFinished);
    bool cancelled = false;
    connect(s, &FileSession::indexGrew, this, [&] {
      if (!cancelled) {
        cancelled = true;
        s->cancelAll();
      }
    });
    s->startAll();
    QVERIFY(waitFor([&] { return !s->busy() && finished.count() >= 1; }));
    QCOMPARE(finished.count(), 1);  // the index only: the queued jobs were dropped
    QCOMPARE(finished.at(0).at(0).value<JobKind>(), JobKind::Index);
    QVERIFY(finished.at(0).at(1).toBool());
    QVERIFY(!s->indexComplete());
    QVERIFY(s->indexedCount() < 64320);
    QVERIFY(waitFor([&] { return std::uint64_t(view.tableModel()->rowCount()) == s->indexedCount(); }));
    s->setJobGate({});  // no job runs now; the resumed index goes through
    s->startIndex();
    QVERIFY(waitFor([&] { return s->indexComplete(); }, 60000));
    QVERIFY(waitFor([&] { return view.tableModel()->rowCount() == 64320; }));
    QCOMPARE(s->indexedCount(), engineRecordCount(path));
    // The last record is the sample's last one.
    QCOMPARE(view.session()->file().raw(64320), view.session()->file().raw(536));
  }

  /// A validation stopped part way leaves no report behind it as if it were whole.
  void cancel_a_validation() {
    QTemporaryDir dir;
    const QString path = concatenated(dir, QStringLiteral(MARCSCOPE_SAMPLE), 40);
    FileView view(path, executor_, nullptr, nullptr, QStringLiteral("marc21"), false);
    FileSession* s = view.session();
    // The validation waits at its start until the GUI thread has cancelled it.
    s->setJobGate([](JobKind kind, bool started, const std::stop_token& stop) {
      if (kind == JobKind::Validate && started) hold_until_stopped(stop);
    });
    connect(s, &FileSession::jobStarted, this, [s](JobKind k) {
      if (k == JobKind::Validate) s->cancelAll();
    });
    QSignalSpy finished(s, &FileSession::jobFinished);
    s->startAll();
    QVERIFY(waitFor([&] { return !s->busy() && finished.count() == 2; }));
    QCOMPARE(finished.at(1).at(0).value<JobKind>(), JobKind::Validate);
    QVERIFY(finished.at(1).at(1).toBool());
    if (s->report()) QVERIFY(s->validationPartial());
    QVERIFY(!s->statistics());  // dropped with the queue
  }

  /// File → Export Validation Report as CSV writes every finding, on the session's worker (the
  /// call returns at once), exactly as `marcscope validate --format csv` prints them; JSON lists
  /// every finding too; a cancelled export writes nothing.
  void export_every_finding() {
    QTemporaryDir dir;
    MainWindow w;
    w.setInteractive(false);
    const QString path = dataPath("malformed/catmandu-bu_bibs.mrc");
    FileView* v = w.openFile(path);
    QVERIFY(v);
    FileSession* s = v->session();
    QVERIFY(!w.exportReportTo(dir.filePath("early.csv")) || s->report());  // refused until validated
    QVERIFY(waitFor([&] { return !s->busy() && s->report(); }));
    QSignalSpy finished(s, &FileSession::exportFinished);
    const QString csvPath = dir.filePath("findings.csv");
    QVERIFY2(w.exportReportTo(csvPath), qPrintable(w.lastError()));
    QVERIFY(s->busy());  // queued for the worker; the GUI thread goes on
    QVERIFY(waitFor([&] { return finished.count() == 1; }));
    QVERIFY2(finished.at(0).at(1).toBool(), qPrintable(finished.at(0).at(2).toString()));
    // What the CLI prints: the engine's rows as validation delivers them.
    std::string expected = csv_header();
    ReportOptions options;
    options.keep_findings = true;
    auto reader = RecordReader::open(path.toStdString());
    const FileReport engine = validate_all(*reader, w.validator().get(), options, {},
                                           [&](const Finding& f) { expected += format_finding_csv(s->report()->file, f); });
    QFile csv(csvPath);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QByteArray written = csv.readAll();
    QCOMPARE(written.size(), qsizetype(expected.size()));
    QVERIFY(written == QByteArray::fromStdString(expected));
    QCOMPARE(std::size_t(written.count('\n')), engine.findings.size() + 1);  // no message here holds a line break
    QVERIFY(written.contains(",record-length-mismatch,"));
    // JSON: every finding listed under its kind, messages included.
    const QString jsonPath = dir.filePath("findings.json");
    QVERIFY(w.exportReportTo(jsonPath));
    QVERIFY(waitFor([&] { return finished.count() == 2; }));
    QFile json(jsonPath);
    QVERIFY(json.open(QIODevice::ReadOnly));
    const QJsonObject file = QJsonDocument::fromJson(json.readAll()).object().value("files").toArray().at(0).toObject();
    qsizetype listed = 0;
    for (const QJsonValue kind : file.value("findings").toArray()) {
      const QJsonArray examples = kind.toObject().value("examples").toArray();
      QCOMPARE(examples.size(), kind.toObject().value("count").toInteger());
      listed += examples.size();
    }
    QCOMPARE(std::size_t(listed), engine.findings.size());
  }

  /// The table is painted by the app's delegate (texts laid out once and cached); the pane's
  /// title is cut with "…" to the pane's width and whole in its tooltip.
  void table_delegate_and_pane_title() {
    MainWindow w;
    w.setInteractive(false);
    w.resize(1200, 700);
    w.show();
    FileView* v = w.openFile(QStringLiteral(MARCSCOPE_SAMPLE));
    QVERIFY(v);
    QVERIFY(waitFor([&] { return !v->session()->busy(); }));
    auto* delegate = qobject_cast<RecordTableDelegate*>(v->tableView()->itemDelegate());
    QVERIFY(delegate);
    QVERIFY(v->goToRecord(3));
    v->tableView()->viewport()->repaint();
    QVERIFY(delegate->cachedTexts() > 0);
    const std::uint64_t layouts = delegate->layouts();
    v->tableView()->viewport()->repaint();  // the same rows again: nothing laid out anew
    QCOMPARE(delegate->layouts(), layouts);
    QVERIFY(v->goToRecord(400));  // other rows: laid out
    v->tableView()->viewport()->repaint();
    QVERIFY(delegate->layouts() > layouts);
    QLabel* title = v->pane()->title();
    QVERIFY2(title->toolTip().startsWith(QStringLiteral("Record 400 — byte ")), qPrintable(title->toolTip()));
    QVERIFY(title->fontMetrics().horizontalAdvance(title->text()) <= title->contentsRect().width());
    QCOMPARE(title->text(), title->toolTip());  // a short title is whole
    // A long title (an unreadable record's) is cut to the pane; its tooltip is not.
    FileView* broken = w.openFile(dataPath("malformed/catmandu-bu_bibs.mrc"));
    QVERIFY(broken);
    QVERIFY(waitFor([&] { return !broken->session()->busy(); }));
    QVERIFY(broken->goToRecord(3));
    QLabel* cut = broken->pane()->title();
    QVERIFY(waitFor([&] { return cut->text() != cut->toolTip(); }));
    QVERIFY(cut->text().endsWith(QChar(0x2026)));
    QVERIFY(cut->toolTip().startsWith(cut->text().chopped(1)));
    QVERIFY(cut->toolTip().contains(QStringLiteral("unreadable")));
  }

  /// An export of a long file stopped from the status bar's Cancel as soon as it starts writes nothing.
  /// The table's header paints without asking the selection: with every row of a big model
  /// selected, QHeaderView asks the model for the flags of every selected row for each section
  /// (what froze the window after Select All on a million records); the app's header asks none,
  /// and its sections still carry their text and place.
  void header_ignores_a_huge_selection() {
    // A table of 200,000 rows that counts the flags asked of it.
    class Counting : public QAbstractTableModel {
     public:
      mutable std::uint64_t flagsAsked = 0;
      int rowCount(const QModelIndex& p = {}) const override { return p.isValid() ? 0 : 200000; }
      int columnCount(const QModelIndex& p = {}) const override { return p.isValid() ? 0 : 4; }
      QVariant data(const QModelIndex& i, int role) const override { return role == Qt::DisplayRole ? QVariant(i.row()) : QVariant(); }
      QVariant headerData(int s, Qt::Orientation o, int role) const override {
        return o == Qt::Horizontal && role == Qt::DisplayRole ? QVariant(QStringLiteral("column %1").arg(s)) : QVariant();
      }
      Qt::ItemFlags flags(const QModelIndex& i) const override {
        ++flagsAsked;
        return QAbstractTableModel::flags(i);
      }
    } model;
    auto paintHeaderAfterSelectAll = [&](QTableView& view) {
      view.setModel(&model);
      view.setSelectionBehavior(QAbstractItemView::SelectRows);
      view.resize(600, 300);
      view.show();
      QVERIFY(QTest::qWaitForWindowExposed(&view));
      view.selectAll();
      QCOMPARE(view.selectionModel()->selection().size(), 1);
      model.flagsAsked = 0;
      view.horizontalHeader()->repaint();
    };
    {
      QTableView stock;  // Qt's own header: the premise (at least one pass over the rows)
      stock.horizontalHeader()->setHighlightSections(false);
      paintHeaderAfterSelectAll(stock);
      QVERIFY2(model.flagsAsked >= 200000, qPrintable(QString::number(model.flagsAsked)));
    }
    QTableView view;
    auto* header = new RecordTableHeader(&view);
    view.setHorizontalHeader(header);
    paintHeaderAfterSelectAll(view);
    // (A repaint may flush the table's own cells too: a few hundred flags, not a pass.)
    QVERIFY2(model.flagsAsked < 2000, qPrintable(QString::number(model.flagsAsked)));
    QStyleOptionHeaderV2 option;
    header->sectionOption(&option, 0);
    QCOMPARE(option.text, QStringLiteral("column 0"));
    QCOMPARE(option.position, QStyleOptionHeader::Beginning);
    QCOMPARE(option.textElideMode, header->textElideMode());
    header->sectionOption(&option, 2);
    QCOMPARE(option.position, QStyleOptionHeader::Middle);
    header->hideSection(3);
    header->sectionOption(&option, 2);
    QCOMPARE(option.position, QStyleOptionHeader::End);
    QVERIFY(header->sectionsClickable());
    // The app's table has it.
    MainWindow w;
    w.setInteractive(false);
    FileView* v = w.openFile(QStringLiteral(MARCSCOPE_SAMPLE));
    QVERIFY(v);
    QVERIFY(qobject_cast<RecordTableHeader*>(v->tableView()->horizontalHeader()));
    QVERIFY(waitFor([&] { return !v->session()->busy(); }));
  }

  void cancel_an_export() {
    QTemporaryDir dir;
    MainWindow w;
    w.setInteractive(false);
    FileView* v = w.openFile(concatenated(dir, QStringLiteral(MARCSCOPE_SAMPLE), 40));
    QVERIFY(v);
    FileSession* s = v->session();
    QVERIFY(waitFor([&] { return !s->busy() && s->report(); }, 120000));
    QVERIFY(!s->report()->findings.empty());
    QSignalSpy finished(s, &FileSession::exportFinished);
    // The export waits at its start until Cancel has been clicked (no job runs now: the gate may be set).
    s->setJobGate([](JobKind kind, bool started, const std::stop_token& stop) {
      if (kind == JobKind::Export && started) hold_until_stopped(stop);
    });
    connect(s, &FileSession::jobStarted, this, [&w](JobKind k) {
      if (k == JobKind::Export) w.cancelButton()->click();
    });
    const QString cancelled = dir.filePath("cancelled.csv");
    QVERIFY(w.exportReportTo(cancelled));
    QVERIFY(waitFor([&] { return finished.count() == 1; }, 120000));
    QVERIFY(!finished.at(0).at(1).toBool());
    QVERIFY(finished.at(0).at(2).toString().contains(QStringLiteral("stopped")));
    QVERIFY(!QFileInfo::exists(cancelled));
  }

  /// Every malformed fixture opens (or is refused with a message); none crashes or hangs the app.
  void every_malformed_file_opens_or_is_refused() {
    MainWindow w;
    w.setInteractive(false);
    int opened = 0, refused = 0;
    for (const QString& name : QDir(dataPath("malformed")).entryList(QDir::Files)) {
      FileView* v = w.openFile(dataPath("malformed/" + name));
      if (!v) {
        QVERIFY2(!w.lastError().isEmpty(), qPrintable(name));
        ++refused;
        continue;
      }
      ++opened;
      QVERIFY2(waitFor([&] { return !v->session()->busy(); }, 30000), qPrintable(name));
      for (int r = 0; r < std::min(v->filterModel()->rowCount(), 20); ++r) {
        v->tableView()->setCurrentIndex(v->filterModel()->index(r, 0));
        for (int c = 0; c < v->filterModel()->columnCount(); ++c) (void)v->filterModel()->data(v->filterModel()->index(r, c));
        for (int t = 0; t < 3; ++t) v->pane()->setCurrentTab(RecordPane::Tab(t));
      }
      for (int g = 0; g < v->findingsModel()->rowCount(); ++g)
        (void)v->findingsModel()->data(v->findingsModel()->index(0, 0, v->findingsModel()->index(g, 0)));
      w.closeTab(0);
    }
    QVERIFY(opened > 50);
    QCOMPARE(w.fileCount(), 0);
    Q_UNUSED(refused);
  }

  /// Files that are not MARC, missing files and folders are refused with a message a person
  /// understands; the window goes on.
  void not_marc_is_refused_with_a_message() {
    MainWindow w;
    w.setInteractive(false);
    QVERIFY(!w.openFile(dataPath("SOURCES.md")));
    QVERIFY2(w.lastError().contains(QStringLiteral("not a MARC file")), qPrintable(w.lastError()));
    QVERIFY(!w.openFile(dataPath("malformed/mrrc-e401_no_record_element.xml")));
    QVERIFY(w.lastError().contains(QStringLiteral("not a MARC file")));
    QVERIFY(!w.openFile(dataPath("no-such-file.mrc")));
    QVERIFY(w.lastError().contains(QStringLiteral("cannot be opened")));
    QVERIFY(!w.openFile(dataPath("valid")));
    QCOMPARE(w.fileCount(), 0);
    QVERIFY(w.openFile(QStringLiteral(MARCSCOPE_SAMPLE)));
    QCOMPARE(w.fileCount(), 1);
  }

  /// Dropped files open in tabs; opening one twice shows its tab; recent files remember them.
  void drop_files_and_recent_files() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(QStringLiteral(MARCSCOPE_SAMPLE)), QUrl::fromLocalFile(dataPath("xml/catmandu-marc.xml"))});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &drop);
    QCOMPARE(w.fileCount(), 2);
    QVERIFY(w.openFile(QStringLiteral(MARCSCOPE_SAMPLE)));
    QCOMPARE(w.fileCount(), 2);
    QCOMPARE(w.recentFiles().value(0), QFileInfo(QStringLiteral(MARCSCOPE_SAMPLE)).absoluteFilePath());
    QCOMPARE(w.recentFiles().value(1), QFileInfo(dataPath("xml/catmandu-marc.xml")).absoluteFilePath());
    // The status bar shows the running job with Cancel.
    FileView* v = w.currentView();
    QVERIFY(waitFor([&] { return !v->session()->busy(); }));
    QVERIFY(w.statusLabel()->text().contains(QStringLiteral("536 records")));
  }

  /// --screenshot writes the window as a PNG once the file is shown; the command line is read.
  void screenshot_mode() {
    QTemporaryDir dir;
    ScreenshotOptions o;
    o.png = dir.filePath("shot.png");
    o.file = QStringLiteral(MARCSCOPE_SAMPLE);
    o.pane = QStringLiteral("raw");
    o.width = 900;
    o.height = 600;
    QCOMPARE(runScreenshot(o), 0);
    QImage image(o.png);
    QCOMPARE(image.size(), QSize(900, 600));
    const CommandLine c = parseCommandLine({"--screenshot", "a.png", "f.mrc", "--pane", "tree", "--size", "800x500"});
    QVERIFY(c.error.isEmpty());
    QCOMPARE(c.mode, CommandLine::Screenshot);
    QCOMPARE(c.shot.file, QStringLiteral("f.mrc"));
    QCOMPARE(c.shot.width, 800);
    QVERIFY(!parseCommandLine({"--screenshot", "a.png"}).error.isEmpty());
    QVERIFY(!parseCommandLine({"--bogus"}).error.isEmpty());
    QCOMPARE(parseCommandLine({"a.mrc", "b.xml"}).files.size(), 2);
  }
};

QTEST_MAIN(TestGuiJobs)
#include "test_gui_jobs.moc"
