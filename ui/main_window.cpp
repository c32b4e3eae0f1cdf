#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QUndoGroup>
#include <QUndoStack>
#include <QUrl>

#include "file_session.h"
#include "file_view.h"
#include "findings_model.h"
#include "record_filter_model.h"
#include "record_editor.h"
#include "record_pane.h"
#include "record_table_model.h"
#include "validation_settings_dialog.h"
#include "marcscope/core/executor.h"
#include "marcscope/io/mapped_file.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/validate/report.h"

#ifndef MARCSCOPE_VERSION
#define MARCSCOPE_VERSION "0.0"
#endif

namespace marcscope::ui {
namespace {

constexpr int kMaxRecent = 10;

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), executor_(std::make_shared<Executor>()) {
  setWindowTitle(tr("MarcScope"));
  setAcceptDrops(true);
  undo_ = new QUndoGroup(this);
  tabs_ = new QTabWidget(this);
  tabs_->setTabsClosable(true);
  tabs_->setDocumentMode(true);
  setCentralWidget(tabs_);
  status_ = new QLabel(this);
  progress_ = new QProgressBar(this);
  progress_->setMaximumWidth(220);
  progress_->setRange(0, 1000);
  progress_->setTextVisible(true);
  progress_->hide();
  cancel_ = new QPushButton(tr("Cancel"), this);
  cancel_->setToolTip(tr("Stop the running job and the queued ones (Esc)"));
  cancel_->hide();
  statusBar()->addWidget(status_, 1);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(cancel_);
  connect(cancel_, &QPushButton::clicked, this, [this] {
    if (FileView* v = currentView()) v->session()->cancelAll();
  });
  connect(tabs_, &QTabWidget::tabCloseRequested, this, &MainWindow::closeTab);
  connect(tabs_, &QTabWidget::currentChanged, this, &MainWindow::updateStatus);
  connect(tabs_, &QTabWidget::currentChanged, this, [this] { undo_->setActiveStack(currentView() ? currentView()->undoStack() : nullptr); });
  QSettings settings;
  validation_ = ValidationSettings::load(settings);
  try {
    validator_ = validation_.makeValidator();
  } catch (const std::exception&) {
    // Saved by another version, or edited by hand: the engine's defaults instead.
    validation_ = ValidationSettings();
    validator_ = validation_.makeValidator();
  }
  buildMenus();
  if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray())) resize(1280, 800);
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
  updateStatus();
}

MainWindow::~MainWindow() {
  // The tabs go first, while the window is whole: a file view's undo stack that is not clean
  // says so as it goes (cleanChanged), and the window's handler looks for its tab.
  while (tabs_->count()) {
    QWidget* w = tabs_->widget(0);
    tabs_->removeTab(0);
    delete w;
  }
}

QString MainWindow::appVersion() { return QStringLiteral(MARCSCOPE_VERSION); }

QString MainWindow::aboutText() {
  return tr("<h3>MarcScope %1</h3>"
            "<p>Open, browse, search, validate and export MARC 21 files of any size.</p>"
            "<p>Qt %2 (built with %3)<br>Engine: MarcScope %1, MARC 21 Bibliographic schema and LoC code lists built in.</p>"
            "<p><b>Shortcuts</b><br>Ctrl+O open · Ctrl+W close tab · Ctrl+G go to record or 001 · Ctrl+F search · "
            "Ctrl+Shift+A show all · F2 edit record · Ctrl+N new record · Del delete records · Esc cancel job · F5 validate again · Ctrl+Shift+V validation settings · "
            "Ctrl+E export records · Ctrl+Q quit</p>")
      .arg(appVersion(), QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR));
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open…"), QKeySequence::Open, this, &MainWindow::openDialog);
  recentMenu_ = file->addMenu(tr("Open &Recent"));
  updateRecentMenu();
  file->addAction(tr("&Close Tab"), QKeySequence::Close, this, [this] { closeTab(tabs_->currentIndex()); });
  file->addSeparator();
  file->addAction(tr("Save &As…"), QKeySequence::SaveAs, this, &MainWindow::saveAsDialog);
  file->addAction(tr("&Export Records…"), QKeySequence(tr("Ctrl+E")), this, &MainWindow::exportRecords);
  file->addAction(tr("Export Validation &Report…"), QKeySequence(tr("Ctrl+Shift+E")), this, &MainWindow::exportReport);
  file->addAction(tr("S&plit Good and Bad Records…"), QKeySequence(tr("Ctrl+Shift+P")), this, &MainWindow::splitDialog);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* undo = undo_->createUndoAction(this, tr("&Undo"));
  undo->setShortcuts(QKeySequence::Undo);
  QAction* redo = undo_->createRedoAction(this, tr("&Redo"));
  redo->setShortcuts(QKeySequence::Redo);
  edit->addAction(undo);
  edit->addAction(redo);
  edit->addSeparator();
  edit->addAction(tr("&Edit Record"), QKeySequence(tr("F2")), this, &MainWindow::editRecord);
  edit->addAction(tr("&New Record"), QKeySequence::New, this, &MainWindow::newRecord);
  // Delete in a text field deletes text there: the field takes the key before the shortcut.
  edit->addAction(tr("&Delete Records"), QKeySequence::Delete, this, &MainWindow::deleteRecords);

  QMenu* go = menuBar()->addMenu(tr("&Go"));
  go->addAction(tr("&Go to Record or 001…"), QKeySequence(tr("Ctrl+G")), this, &MainWindow::goToDialog);
  go->addAction(tr("&Search…"), QKeySequence::Find, this, [this] {
    if (FileView* v = currentView()) {
      v->searchField()->setFocus();
      v->searchField()->selectAll();
    }
  });
  go->addAction(tr("Show &All Records"), QKeySequence(tr("Ctrl+Shift+A")), this, [this] {
    if (FileView* v = currentView()) v->clearFilter();
  });
  go->addAction(tr("&First Record"), QKeySequence(tr("Ctrl+Home")), this, [this] {
    if (FileView* v = currentView(); v && v->filterModel()->rowCount() > 0) v->tableView()->setCurrentIndex(v->filterModel()->index(0, 0));
  });
  go->addAction(tr("&Last Record"), QKeySequence(tr("Ctrl+End")), this, [this] {
    if (FileView* v = currentView(); v && v->filterModel()->rowCount() > 0)
      v->tableView()->setCurrentIndex(v->filterModel()->index(v->filterModel()->rowCount() - 1, 0));
  });

  QMenu* tools = menuBar()->addMenu(tr("&Tools"));
  tools->addAction(tr("&Validate Again"), QKeySequence(tr("F5")), this, [this] {
    if (FileView* v = currentView()) v->session()->startValidation();
  });
  tools->addAction(tr("Count &Fields Again"), QKeySequence(tr("Shift+F5")), this, [this] {
    if (FileView* v = currentView()) v->session()->startStatistics();
  });
  tools->addAction(tr("&Continue Indexing"), QKeySequence(tr("Ctrl+I")), this, [this] {
    if (FileView* v = currentView(); v && !v->session()->indexComplete()) v->session()->startIndex();
  });
  tools->addAction(tr("&Cancel Job"), QKeySequence(Qt::Key_Escape), this, [this] {
    if (FileView* v = currentView()) v->session()->cancelAll();
  });
  tools->addSeparator();
  tools->addAction(tr("Validation &Settings…"), QKeySequence(tr("Ctrl+Shift+V")), this, &MainWindow::validationSettingsDialog);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->addAction(tr("&Add Column…"), QKeySequence(tr("Ctrl+Shift+C")), this, &MainWindow::addColumn);
  view->addAction(tr("&Reset Columns"), this, [this] {
    if (FileView* v = currentView()) v->tableModel()->setColumns(RecordTableModel::defaultColumns());
  });
  view->addSeparator();
  view->addAction(tr("&MARCMaker Text"), QKeySequence(tr("Alt+1")), this, [this] {
    if (FileView* v = currentView()) v->pane()->setCurrentTab(RecordPane::MarcMakerTab);
  });
  view->addAction(tr("&Field Tree"), QKeySequence(tr("Alt+2")), this, [this] {
    if (FileView* v = currentView()) v->pane()->setCurrentTab(RecordPane::TreeTab);
  });
  view->addAction(tr("Ra&w Bytes"), QKeySequence(tr("Alt+3")), this, [this] {
    if (FileView* v = currentView()) v->pane()->setCurrentTab(RecordPane::RawTab);
  });
  view->addAction(tr("F&indings"), QKeySequence(tr("Alt+4")), this, [this] {
    if (FileView* v = currentView()) v->bottomTabs()->setCurrentIndex(FileView::FindingsTab);
  });
  view->addAction(tr("&Statistics"), QKeySequence(tr("Alt+5")), this, [this] {
    if (FileView* v = currentView()) v->bottomTabs()->setCurrentIndex(FileView::StatisticsTab);
  });

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About MarcScope"), QKeySequence::HelpContents, this, &MainWindow::about);
  help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

QStringList MainWindow::recentFiles() const { return QSettings().value(QStringLiteral("recentFiles")).toStringList(); }

void MainWindow::addRecent(const QString& path) {
  QStringList list = recentFiles();
  const QString full = QFileInfo(path).absoluteFilePath();
  list.removeAll(full);
  list.prepend(full);
  while (list.size() > kMaxRecent) list.removeLast();
  QSettings().setValue(QStringLiteral("recentFiles"), list);
  updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
  if (!recentMenu_) return;
  recentMenu_->clear();
  const QStringList list = recentFiles();
  int n = 0;
  for (const QString& path : list) {
    QAction* a = recentMenu_->addAction(QStringLiteral("&%1 %2").arg(++n % 10).arg(QFileInfo(path).fileName()));
    a->setToolTip(path);
    connect(a, &QAction::triggered, this, [this, path] { openFile(path); });
  }
  recentMenu_->setEnabled(!list.isEmpty());
  if (!list.isEmpty()) {
    recentMenu_->addSeparator();
    recentMenu_->addAction(tr("Clear List"), this, [this] {
      QSettings().remove(QStringLiteral("recentFiles"));
      updateRecentMenu();
    });
  }
}

void MainWindow::showFailure(const QString& title, const QString& message) {
  lastError_ = message;
  statusBar()->showMessage(message, 10000);
  if (!interactive_) return;
  auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
}

FileView* MainWindow::openFile(const QString& path) {
  const QString full = QFileInfo(path).absoluteFilePath();
  for (int i = 0; i < tabs_->count(); ++i)
    if (view(i) && QFileInfo(view(i)->session()->path()).absoluteFilePath() == full) {
      tabs_->setCurrentIndex(i);
      addRecent(path);
      return view(i);
    }
  const QString name = QFileInfo(path).fileName();
  FileView* v = nullptr;
  try {
    if (!QFileInfo(path).exists()) throw IoError("no such file");
    if (QFileInfo(path).isDir()) throw IoError("it is a folder, not a file");
    v = new FileView(path, executor_, tabs_, validator_, validation_.label());
  } catch (const NotMarcError& e) {
    QString why = QString::fromUtf8(e.what());
    if (why.startsWith(QStringLiteral("not MARC: "))) why = why.mid(10);
    showFailure(tr("Not a MARC file"), tr("“%1” is not a MARC file MarcScope can read.\n\n%2").arg(name, why));
    return nullptr;
  } catch (const std::exception& e) {
    showFailure(tr("Cannot open file"), tr("“%1” cannot be opened.\n\n%2").arg(name, QString::fromUtf8(e.what())));
    return nullptr;
  }
  lastError_.clear();
  undo_->addStack(v->undoStack());
  const int tab = tabs_->addTab(v, name);
  tabs_->setTabToolTip(tab, full);
  tabs_->setCurrentIndex(tab);
  const QByteArray layout = QSettings().value(QStringLiteral("fileView/layout")).toByteArray();
  if (!layout.isEmpty()) v->restoreLayout(layout);
  watch(v);
  addRecent(path);
  setWindowTitle(tr("%1 — MarcScope").arg(name));
  return v;
}

void MainWindow::watch(FileView* v) {
  FileSession* s = v->session();
  connect(s, &FileSession::jobStarted, this, [this, v] {
    if (v == currentView()) updateStatus();
  });
  connect(s, &FileSession::jobProgress, this, [this, v](JobKind kind, quint64 records, quint64 bytes, quint64 total) {
    if (v != currentView()) return;
    double done = 0;
    if (kind == JobKind::Index) done = total ? double(bytes) / double(total) : 0;
    else done = v->session()->indexedCount() ? double(records) / double(v->session()->indexedCount()) : 0;
    progress_->setValue(static_cast<int>(std::min(1.0, done) * 1000));
    progress_->setFormat(QStringLiteral("%1 %2%").arg(jobName(kind)).arg(qRound(done * 100)));
    status_->setText(tr("%1 — %2 records indexed").arg(v->session()->displayName()).arg(v->session()->indexedCount()));
  });
  connect(s, &FileSession::jobFinished, this, [this, v] {
    if (v == currentView()) updateStatus();
  });
  // An edit, an added or a deleted record changes the findings list: the count follows it.
  connect(v->findingsModel(), &QAbstractItemModel::modelReset, this, [this, v] {
    if (v == currentView()) updateStatus();
  });
  connect(s, &FileSession::idle, this, [this, v] {
    if (v == currentView()) updateStatus();
  });
  connect(s, &FileSession::jobFailed, this, [this, v](JobKind kind, const QString& message) {
    QString text = message;
    if (text.startsWith(QStringLiteral("not MARC: "))) text = tr("This file is not MARC: %1").arg(text.mid(10));
    showFailure(tr("%1 failed").arg(jobName(kind)), tr("%1: %2").arg(v->session()->displayName(), text));
  });
  // The tab says when edits are not saved yet; a Save As that wrote them all clears that.
  connect(v->undoStack(), &QUndoStack::cleanChanged, this, [this, v](bool clean) {
    const int tab = tabs_->indexOf(v);
    if (tab >= 0) tabs_->setTabText(tab, v->session()->displayName() + (clean ? QString() : QStringLiteral(" *")));
  });
  connect(s, &FileSession::exportFinished, this, [v](const QString& path, bool ok) {
    if (ok && path == v->property("saveAsPath").toString() && v->undoStack()->index() == v->property("saveAsIndex").toInt())
      v->undoStack()->setClean();
  });
  connect(s, &FileSession::exportFinished, this, [this](const QString& path, bool ok, const QString& summary, quint64 unwritten) {
    // Records left out are never only a passing status line.
    if (ok && unwritten == 0) statusBar()->showMessage(tr("Written to %1: %2").arg(QFileInfo(path).fileName(), summary), 15000);
    else if (ok) showFailure(tr("Some records were not written"), tr("%1: %2").arg(QFileInfo(path).fileName(), summary));
    else showFailure(tr("Writing failed"), tr("%1: %2").arg(QFileInfo(path).fileName(), summary));
  });
}

void MainWindow::updateStatus() {
  FileView* v = currentView();
  if (!v) {
    status_->setText(tr("Open a MARC file with Ctrl+O or drop it on the window."));
    progress_->hide();
    cancel_->hide();
    return;
  }
  FileSession* s = v->session();
  const bool busy = s->busy();
  progress_->setVisible(busy);
  cancel_->setVisible(busy);
  if (busy) {
    progress_->setFormat(jobName(s->currentJob()) + QStringLiteral("…"));
    progress_->setValue(0);
  }
  QString text = tr("%1 — %2 records%3, %4").arg(s->displayName()).arg(s->indexedCount())
                     .arg(s->indexComplete() ? QString() : tr(" indexed so far"))
                     .arg(QString::fromLatin1(format_name(s->file().format()).data()));
  if (const auto report = s->report()) {
    // The findings as the Findings tab lists them: edited and added records as they are now,
    // deleted ones left out.
    text += tr(" — %1 clean, %2 findings%3 (profile %4)")
                .arg(report->clean)
                .arg(v->findingsModel()->totalFindings())
                .arg(s->validationPartial() ? tr(" (partial)") : QString(), s->validatorRules());
    if (s->hasChanges()) text += tr(" — unsaved changes (File → Save As)");
  }
  if (s->indexedCount() > RecordTableModel::kMaxRows)
    text += tr(" — the table shows the first %1 records; search to reach the others").arg(RecordTableModel::kMaxRows);
  status_->setText(text);
}

FileView* MainWindow::currentView() const { return qobject_cast<FileView*>(tabs_->currentWidget()); }
FileView* MainWindow::view(int tab) const { return qobject_cast<FileView*>(tabs_->widget(tab)); }
int MainWindow::fileCount() const { return tabs_->count(); }

void MainWindow::openDialog() {
  QSettings settings;
  const QStringList paths = QFileDialog::getOpenFileNames(
      this, tr("Open MARC Files"), settings.value(QStringLiteral("lastDir")).toString(),
      tr("MARC files (*.mrc *.marc *.dat *.usmarc *.iso *.xml *.json *.mrk *.gz);;All files (*)"));
  for (const QString& p : paths) {
    settings.setValue(QStringLiteral("lastDir"), QFileInfo(p).absolutePath());
    openFile(p);
  }
}

void MainWindow::goToDialog() {
  FileView* v = currentView();
  if (!v) return;
  QDialog dialog(this);
  dialog.setWindowTitle(tr("Go To"));
  auto* kind = new QComboBox(&dialog);
  kind->addItems({tr("Record number"), tr("Control number (001)")});
  auto* value = new QLineEdit(&dialog);
  auto* form = new QFormLayout(&dialog);
  form->addRow(tr("Go to:"), kind);
  form->addRow(tr("Value:"), value);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  if (dialog.exec() != QDialog::Accepted || value->text().trimmed().isEmpty()) return;
  if (kind->currentIndex() == 0) {
    bool ok = false;
    const qulonglong n = value->text().trimmed().toULongLong(&ok);
    if (!ok || !v->goToRecord(n))
      statusBar()->showMessage(tr("There is no record %1 (%2 records indexed)").arg(value->text().trimmed()).arg(v->session()->indexedCount()), 8000);
  } else {
    v->goToControlNumber(value->text());
  }
}

QString MainWindow::unsavedChanges(const QList<FileView*>& views) const {
  QStringList lines;
  for (FileView* v : views) {
    const FileSession* s = v->session();
    if (v->undoStack()->isClean() && !s->hasChanges()) continue;
    QStringList parts;
    // Added records are edits too (their text is held as one): counted apart.
    std::uint64_t added = 0;
    for (const auto& [number, record] : s->edits())
      if (s->isAdded(number)) ++added;
    const std::uint64_t edited = s->edits().size() - added;
    if (edited) parts << tr("%n edited", nullptr, int(edited));
    if (added) parts << tr("%n added", nullptr, int(added));
    if (!s->deleted().empty()) parts << tr("%n deleted", nullptr, int(s->deleted().size()));
    if (parts.isEmpty()) parts << tr("changes undone but not saved");
    lines << tr("%1: %2").arg(s->displayName(), parts.join(QStringLiteral(", ")));
  }
  return lines.join(QLatin1Char('\n'));
}

bool MainWindow::mayDropEdits(const QList<FileView*>& views) {
  const QString changes = unsavedChanges(views);
  if (changes.isEmpty() || !interactive_) return true;
  return QMessageBox::question(this, tr("Changes not saved"),
                               tr("These changes have not been saved with File → Save As:\n%1\n\nClose and lose them?").arg(changes),
                               QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel) == QMessageBox::Discard;
}

void MainWindow::closeTab(int tab) {
  FileView* v = view(tab);
  if (!v || !mayDropEdits({v})) return;
  QSettings().setValue(QStringLiteral("fileView/layout"), v->saveLayout());
  tabs_->removeTab(tab);
  delete v;  // stops its jobs and joins its worker
  if (!currentView()) setWindowTitle(tr("MarcScope"));
  updateStatus();
}

void MainWindow::exportReport() {
  FileView* v = currentView();
  if (!v || !v->session()->report()) {
    statusBar()->showMessage(tr("Nothing to export yet: validation has not finished"), 8000);
    return;
  }
  const QFileInfo source(v->session()->path());
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export Validation Report"), source.absolutePath() + QStringLiteral("/") + source.completeBaseName() + QStringLiteral("-findings.csv"),
      tr("CSV, every finding (*.csv);;HTML report, every finding (*.html);;JSON report, every finding (*.json);;Text summary (*.txt)"));
  if (!path.isEmpty() && !exportReportTo(path)) showFailure(tr("Export Validation Report"), lastError_);
}

bool MainWindow::exportReportTo(const QString& path) {
  FileView* v = currentView();
  if (!v || !v->session()->report()) {
    lastError_ = tr("Nothing to export yet: validation has not finished.");
    return false;
  }
  const QString suffix = QFileInfo(path).suffix().toLower();
  const ReportFormat format = suffix == QLatin1String("csv")    ? ReportFormat::Csv
                              : suffix == QLatin1String("json") ? ReportFormat::Json
                              : suffix == QLatin1String("txt")  ? ReportFormat::Text
                                                                : ReportFormat::Html;
  lastError_.clear();
  // On the session's worker: every message is rebuilt from its record, which takes a while on a big file.
  v->session()->startReportExport(format, path);
  statusBar()->showMessage(tr("Writing the validation report to %1…").arg(QFileInfo(path).fileName()));
  return true;
}

void MainWindow::exportRecords() {
  FileView* v = currentView();
  if (!v) return;
  const QString path = QFileDialog::getSaveFileName(
      this, v->filterModel()->filtered() ? tr("Export the %1 Records Found").arg(v->filterModel()->filteredCount()) : tr("Export All Records"),
      QString(), tr("ISO 2709 (*.mrc);;MARCXML (*.xml);;MARC-in-JSON (*.json);;MARCMaker (*.mrk)"));
  if (path.isEmpty()) return;
  ExportOptions options;
  Format format = Format::Iso2709;
  if (!parse_format_name(QFileInfo(path).suffix().toStdString(), format)) format = Format::Iso2709;
  options.format = format;
  v->session()->addChanges(options);  // what the table shows: edits, added and deleted records
  if (v->filterModel()->filtered())
    for (int r = 0; r < v->filterModel()->rowCount(); ++r) options.numbers.push_back(v->filterModel()->recordAt(r));
  v->session()->startExport(std::move(options), path);
}

void MainWindow::editRecord() {
  FileView* v = currentView();
  if (!v) return;
  v->pane()->setCurrentTab(RecordPane::EditTab);
  v->pane()->editor()->editor()->setFocus();
}

void MainWindow::newRecord() {
  FileView* v = currentView();
  if (!v) return;
  if (!v->newRecord()) statusBar()->showMessage(v->searchStatus()->text(), 8000);
}

void MainWindow::deleteRecords() {
  FileView* v = currentView();
  if (!v) return;
  if (const int n = v->deleteSelected())
    statusBar()->showMessage(tr("%n record(s) marked deleted: Save As leaves them out; Edit → Undo brings them back", nullptr, n), 8000);
}

void MainWindow::saveAsDialog() {
  FileView* v = currentView();
  if (!v) return;
  const QString edited = v->session()->edits().empty() ? QString() : tr(" (%1 edited)").arg(v->session()->edits().size());
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Save All Records As%1").arg(edited), QFileInfo(v->session()->path()).absolutePath(),
      tr("ISO 2709 (*.mrc);;MARCXML (*.xml);;MARC-in-JSON (*.json);;MARCMaker (*.mrk)"));
  if (!path.isEmpty() && !saveAs(path)) showFailure(tr("Save As"), lastError_);
}

bool MainWindow::saveAs(const QString& path) {
  FileView* v = currentView();
  if (!v) {
    lastError_ = tr("No file is open.");
    return false;
  }
  FileSession* s = v->session();
  const QFileInfo target(path), source(s->path());
  if (target.absoluteFilePath() == source.absoluteFilePath() ||
      (target.exists() && target.canonicalFilePath() == source.canonicalFilePath())) {
    lastError_ = tr("“%1” is the open file: MarcScope never changes it. Choose another name.").arg(target.fileName());
    return false;
  }
  if (!s->indexComplete()) {
    lastError_ = tr("The file is not fully indexed yet, so not every record could be written: wait for the index, "
                    "or continue it (Ctrl+I).");
    return false;
  }
  ExportOptions options;
  Format format = Format::Iso2709;
  if (!parse_format_name(target.suffix().toLower().toStdString(), format) || format == Format::Csv) format = Format::Iso2709;
  options.format = format;
  s->addChanges(options);  // edits in place, added records after the file's, deleted ones left out
  lastError_.clear();
  v->setProperty("saveAsPath", path);
  v->setProperty("saveAsIndex", v->undoStack()->index());
  s->startExport(std::move(options), path);
  statusBar()->showMessage(tr("Writing %1…").arg(target.fileName()));
  return true;
}

void MainWindow::splitDialog() {
  FileView* v = currentView();
  if (!v) return;
  const QString filters = tr("ISO 2709 (*.mrc);;MARCXML (*.xml);;MARC-in-JSON (*.json);;MARCMaker (*.mrk)");
  const QFileInfo source(v->session()->path());
  QString filter;
  const QString good = QFileDialog::getSaveFileName(this, tr("Split: Save Records Without Problems As"),
                                                    source.absolutePath() + QStringLiteral("/") + source.completeBaseName() +
                                                        QStringLiteral("-good.mrc"),
                                                    filters, &filter);
  if (good.isEmpty()) return;
  const QFileInfo g(good);
  const QString bad = QFileDialog::getSaveFileName(this, tr("Split: Save Records With Problems As"),
                                                   g.absolutePath() + QStringLiteral("/") + source.completeBaseName() +
                                                       QStringLiteral("-bad.") + (g.suffix().isEmpty() ? QStringLiteral("mrc") : g.suffix()),
                                                   filters, &filter);
  if (bad.isEmpty()) return;
  if (!split(good, bad)) showFailure(tr("Split Good and Bad Records"), lastError_);
}

bool MainWindow::split(const QString& good, const QString& bad) {
  FileView* v = currentView();
  if (!v) {
    lastError_ = tr("No file is open.");
    return false;
  }
  FileSession* s = v->session();
  const QFileInfo source(s->path());
  for (const QString& path : {good, bad}) {
    const QFileInfo target(path);
    if (target.absoluteFilePath() == source.absoluteFilePath() ||
        (target.exists() && target.canonicalFilePath() == source.canonicalFilePath())) {
      lastError_ = tr("“%1” is the open file: MarcScope never changes it. Choose another name.").arg(target.fileName());
      return false;
    }
  }
  if (QFileInfo(good).absoluteFilePath() == QFileInfo(bad).absoluteFilePath()) {
    lastError_ = tr("Choose two different files: one for the records without problems, one for the others.");
    return false;
  }
  if (!s->edits().empty()) {
    lastError_ = tr("%1 edited or added records are not saved: the split sorts records by the file's validation. "
                    "Save As first, open the saved file, then split it.")
                     .arg(s->edits().size());
    return false;
  }
  if (!s->indexComplete()) {
    lastError_ = tr("The file is not fully indexed yet: wait for the index, or continue it (Ctrl+I).");
    return false;
  }
  const auto report = s->report();
  if (!report || report->stopped || report->records + report->skipped < s->file().index().size()) {
    lastError_ = tr("The file has not been validated to its end yet: wait for validation, or run it again (F5).");
    return false;
  }
  ExportOptions options;
  Format format = Format::Iso2709;
  if (!parse_format_name(QFileInfo(good).suffix().toLower().toStdString(), format) || format == Format::Csv)
    format = Format::Iso2709;
  options.format = format;
  s->addChanges(options);  // nothing edited or added (refused above): the records deleted are left out
  lastError_.clear();
  s->startSplit(std::move(options), good, bad);
  statusBar()->showMessage(tr("Splitting into %1 and %2…").arg(QFileInfo(good).fileName(), QFileInfo(bad).fileName()));
  return true;
}

void MainWindow::addColumn() {
  FileView* v = currentView();
  if (!v) return;
  bool ok = false;
  const QString spec = QInputDialog::getText(this, tr("Add Column"), tr("Field spec (650$a, 1XX$a, 008/35-37, LDR/17):"),
                                             QLineEdit::Normal, QString(), &ok);
  if (!ok || spec.trimmed().isEmpty()) return;
  try {
    v->tableModel()->addColumn(RecordTableModel::specColumn(spec));
  } catch (const std::exception& e) {
    showFailure(tr("Add Column"), QString::fromUtf8(e.what()));
  }
}

bool MainWindow::setValidationSettings(const ValidationSettings& settings, bool save) {
  std::shared_ptr<const Validator> validator;
  try {
    validator = settings.makeValidator();
  } catch (const std::exception& e) {
    lastError_ = tr("The validation settings were not applied: %1").arg(QString::fromUtf8(e.what()));
    return false;
  }
  lastError_.clear();
  validation_ = settings;
  validator_ = std::move(validator);
  if (save) {
    QSettings store;
    validation_.save(store);
  }
  for (int i = 0; i < tabs_->count(); ++i)
    if (FileView* v = view(i)) v->session()->setValidator(validator_, validation_.label());
  if (tabs_->count() > 0)
    statusBar()->showMessage(tr("Validation profile %1: the open files are validated again").arg(validation_.label()), 8000);
  updateStatus();
  return true;
}

void MainWindow::validationSettingsDialog() {
  ValidationSettingsDialog dialog(validation_, this);
  if (dialog.exec() == QDialog::Accepted) setValidationSettings(dialog.settings());
}

void MainWindow::about() { QMessageBox::about(this, tr("About MarcScope"), aboutText()); }

void MainWindow::closeEvent(QCloseEvent* event) {
  QList<FileView*> views;
  for (int i = 0; i < tabs_->count(); ++i)
    if (view(i)) views << view(i);
  if (!mayDropEdits(views)) {
    event->ignore();
    return;
  }
  QSettings settings;
  settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("window/state"), saveState());
  if (FileView* v = currentView()) settings.setValue(QStringLiteral("fileView/layout"), v->saveLayout());
  while (tabs_->count()) {
    QWidget* w = tabs_->widget(0);
    tabs_->removeTab(0);
    delete w;
  }
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  for (const QUrl& url : event->mimeData()->urls())
    if (url.isLocalFile()) openFile(url.toLocalFile());
  event->acceptProposedAction();
}

}  // namespace marcscope::ui
