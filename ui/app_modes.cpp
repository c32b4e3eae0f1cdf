#include "app_modes.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPixmap>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QTreeView>
#include <QUndoStack>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "file_session.h"
#include "file_view.h"
#include "findings_model.h"
#include "main_window.h"
#include "record_filter_model.h"
#include "record_editor.h"
#include "record_pane.h"
#include "record_table_model.h"
#include "statistics_view.h"
#include "validation_settings_dialog.h"

namespace marcscope::ui {
namespace {

/// Runs the event loop until `done` or `ms` milliseconds have passed; returns `done()`.
bool waitFor(const std::function<bool()>& done, int ms) {
  QElapsedTimer t;
  t.start();
  while (!done()) {
    if (t.elapsed() > ms) return false;
    QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 20);
  }
  return true;
}

/// Anonymous resident memory of this process in bytes (what the mapping of the file is not).
std::uint64_t residentAnonymous() {
  QFile f(QStringLiteral("/proc/self/status"));
  if (!f.open(QIODevice::ReadOnly)) return 0;
  for (const QByteArray& line : f.readAll().split('\n'))
    if (line.startsWith("RssAnon:")) return line.mid(8).trimmed().split(' ').value(0).toULongLong() * 1024;
  return 0;
}

/// CPU time of the calling thread in milliseconds (what the GUI thread itself spent, waits for
/// the CPU or for other threads aside).
double threadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto at = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(at, v.size() - 1)];
}

}  // namespace

QString usage() {
  return QStringLiteral(
      "Usage: marcscope-gui [FILE...]\n"
      "       marcscope-gui --screenshot PNG FILE [--pane mrk|tree|raw|edit] [--bottom findings|statistics]\n"
      "                     [--search QUERY] [--record N] [--finding GROUP] [--size WxH]\n"
      "                     [--edit-append TEXT] [--apply] ...   (the record editor: append text, apply; in order)\n"
      "                     [--new-record] [--delete N] ...      (Edit menu: New Record, Delete Records on record N; in order)\n"
      "                     [--profile marc21|oclc|lenient] [--dialog settings] [--chart tags|types|encodings]\n"
      "       marcscope-gui --benchmark FILE [--query QUERY]\n"
      "Opens MARC files (ISO 2709, MARCXML, MARC-in-JSON, MARCMaker, gzip) for browsing, searching and validating.\n"
      "  --screenshot  saves the window as PNG once FILE is indexed, validated and shown (QT_QPA_PLATFORM=offscreen works)\n"
      "  --benchmark   opens FILE in the window, prints one line per figure and exits\n");
}

CommandLine parseCommandLine(const QStringList& args) {
  CommandLine c;
  auto need = [&](int& i, QString& into) {
    if (i + 1 >= args.size()) {
      c.error = QStringLiteral("%1 needs a value").arg(args[i]);
      return false;
    }
    into = args[++i];
    return true;
  };
  for (int i = 0; i < args.size(); ++i) {
    const QString& a = args[i];
    QString v;
    if (a == QLatin1String("--help") || a == QLatin1String("-h")) {
      c.mode = CommandLine::Help;
    } else if (a == QLatin1String("--version")) {
      c.mode = CommandLine::Version;
    } else if (a == QLatin1String("--screenshot")) {
      c.mode = CommandLine::Screenshot;
      if (!need(i, c.shot.png)) return c;
    } else if (a == QLatin1String("--apply")) {
      c.shot.edits.push_back({true, {}});
    } else if (a == QLatin1String("--new-record")) {
      c.shot.edits.push_back({false, {}, true});
    } else if (a == QLatin1String("--delete")) {
      if (!need(i, v)) return c;
      bool ok = false;
      ScreenshotOptions::EditStep step;
      step.remove = v.toULongLong(&ok);
      if (!ok || step.remove == 0) {
        c.error = QStringLiteral("--delete: '%1' is not a record number").arg(v);
        return c;
      }
      c.shot.edits.push_back(step);
    } else if (a == QLatin1String("--edit-append")) {
      if (!need(i, v)) return c;
      c.shot.edits.push_back({false, v});
    } else if (a == QLatin1String("--benchmark")) {
      c.mode = CommandLine::Benchmark;
    } else if (a == QLatin1String("--pane") || a == QLatin1String("--bottom") || a == QLatin1String("--search") ||
               a == QLatin1String("--record") || a == QLatin1String("--finding") || a == QLatin1String("--size") ||
               a == QLatin1String("--query") || a == QLatin1String("--profile") || a == QLatin1String("--dialog") || a == QLatin1String("--chart")) {
      if (!need(i, v)) return c;
      bool ok = true;
      if (a == QLatin1String("--pane")) c.shot.pane = v;
      else if (a == QLatin1String("--bottom")) c.shot.bottom = v;
      else if (a == QLatin1String("--search")) c.shot.search = v;
      else if (a == QLatin1String("--query")) c.benchmarkQuery = v;
      else if (a == QLatin1String("--profile")) c.shot.profile = v;
      else if (a == QLatin1String("--dialog")) ok = (c.shot.dialog = v) == QLatin1String("settings");
      else if (a == QLatin1String("--chart"))
        ok = QStringList{QStringLiteral("tags"), QStringLiteral("types"), QStringLiteral("encodings")}.contains(c.shot.chart = v);
      else if (a == QLatin1String("--record")) c.shot.record = v.toULongLong(&ok);
      else if (a == QLatin1String("--finding")) c.shot.finding = v.toInt(&ok);
      else {
        const QStringList wh = v.split(QLatin1Char('x'));
        ok = wh.size() == 2;
        if (ok) c.shot.width = wh[0].toInt(&ok);
        if (ok) c.shot.height = wh[1].toInt(&ok);
      }
      if (!ok) {
        c.error = QStringLiteral("%1: '%2' is not a valid value").arg(a, v);
        return c;
      }
    } else if (a.startsWith(QLatin1String("--"))) {
      c.error = QStringLiteral("unknown option %1").arg(a);
      return c;
    } else {
      c.files << a;
    }
  }
  if ((c.mode == CommandLine::Screenshot || c.mode == CommandLine::Benchmark) && c.files.size() != 1)
    c.error = QStringLiteral("give exactly one FILE");
  if (c.mode == CommandLine::Screenshot) c.shot.file = c.files.value(0);
  return c;
}

int runScreenshot(const ScreenshotOptions& o) {
  MainWindow w;
  w.setInteractive(false);
  w.resize(o.width, o.height);
  w.show();
  if (!o.profile.isEmpty()) {
    try {
      if (!w.setValidationSettings(ValidationSettings::ofProfile(o.profile), false)) throw std::invalid_argument(w.lastError().toStdString());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "marcscope-gui: --profile: %s\n", e.what());
      return 2;
    }
  }
  FileView* v = w.openFile(o.file);
  if (!v) {
    std::fprintf(stderr, "marcscope-gui: %s\n", qPrintable(w.lastError()));
    return 2;
  }
  if (!waitFor([&] { return !v->session()->busy(); }, 300000)) {
    std::fprintf(stderr, "marcscope-gui: %s was not indexed and validated within 5 minutes\n", qPrintable(o.file));
    return 3;
  }
  if (!o.search.isEmpty()) {
    bool done = false;
    QObject::connect(v, &FileView::searchDone, v, [&] { done = true; });
    if (!v->runSearch(o.search)) {
      std::fprintf(stderr, "marcscope-gui: %s\n", qPrintable(v->searchStatus()->toolTip()));
      return 2;
    }
    waitFor([&] { return done; }, 300000);
  }
  if (o.record > 0) {
    const int row = static_cast<int>(std::min<std::uint64_t>(o.record, static_cast<std::uint64_t>(v->filterModel()->rowCount()))) - 1;
    if (!v->filterModel()->filtered()) v->goToRecord(o.record);
    else if (row >= 0) v->tableView()->setCurrentIndex(v->filterModel()->index(row, 0));
  }
  v->pane()->setCurrentTab(o.pane == QLatin1String("tree") ? RecordPane::TreeTab
                           : o.pane == QLatin1String("raw") ? RecordPane::RawTab
                           : o.pane == QLatin1String("edit") ? RecordPane::EditTab
                                                            : RecordPane::MarcMakerTab);
  for (const ScreenshotOptions::EditStep& step : o.edits) {
    RecordEditor* editor = v->pane()->editor();
    if (step.add) {
      if (!v->newRecord()) {
        std::fprintf(stderr, "marcscope-gui: --new-record: %s\n", qPrintable(v->searchStatus()->text()));
        return 2;
      }
      continue;
    }
    if (step.remove) {
      if (!v->goToRecord(step.remove) || !v->deleteSelected()) {
        std::fprintf(stderr, "marcscope-gui: --delete: there is no record %llu to delete\n", static_cast<unsigned long long>(step.remove));
        return 2;
      }
      continue;
    }
    if (step.apply) {
      if (!editor->apply()) {
        std::fprintf(stderr, "marcscope-gui: --apply: the editor's text cannot be applied\n");
        return 2;
      }
      continue;
    }
    QTextCursor end = editor->editor()->textCursor();
    end.movePosition(QTextCursor::End);
    end.insertText(QLatin1Char('\n') + step.text);
    editor->editor()->setTextCursor(end);
    editor->check();
  }
  v->bottomTabs()->setCurrentIndex(o.bottom == QLatin1String("statistics") ? FileView::StatisticsTab : FileView::FindingsTab);
  v->statisticsView()->chartTabs()->setCurrentIndex(o.chart == QLatin1String("types") ? 1 : o.chart == QLatin1String("encodings") ? 2 : 0);
  if (o.finding >= 0 && o.finding < v->findingsModel()->groupCount()) {
    const QModelIndex group = v->findingsModel()->index(o.finding, 0);
    const QModelIndex first = v->findingsModel()->index(0, 0, group);
    v->findingsView()->setCurrentIndex(first);
    v->findingsView()->scrollTo(first);
    const CompactFinding* f = v->findingsModel()->finding(first);
    if (f) v->showFinding(f->record(), static_cast<int>(f->field()));
  }
  std::unique_ptr<ValidationSettingsDialog> dialog;
  if (o.dialog == QLatin1String("settings")) {
    dialog = std::make_unique<ValidationSettingsDialog>(w.validationSettings(), &w);
    dialog->show();
  }
  waitFor([] { return false; }, 300);  // let layouts and paints settle
  const QImage image = dialog ? dialog->grab().toImage() : w.grab().toImage();
  if (!image.save(o.png)) {
    std::fprintf(stderr, "marcscope-gui: cannot write %s\n", qPrintable(o.png));
    return 2;
  }
  std::printf("%s\n", qPrintable(o.png));
  return 0;
}

int runBenchmark(const QString& file, const QString& query) {
  MainWindow w;
  w.setInteractive(false);
  w.resize(1400, 900);
  w.show();
  waitFor([] { return false; }, 200);
  const std::uint64_t anonBefore = residentAnonymous();
  QElapsedTimer clock;
  clock.start();
  FileView* v = w.openFile(file);
  if (!v) {
    std::fprintf(stderr, "marcscope-gui: %s\n", qPrintable(w.lastError()));
    return 2;
  }
  FileSession* s = v->session();
  double firstRows = -1, indexed = -1, validateStart = -1, validated = -1;
  std::uint64_t anonIndexed = 0;
  // The event loop's lateness while jobs run: a 5 ms timer that notes how late each tick is.
  QElapsedTimer tick;
  tick.start();
  double worstLateBusy = 0, worstAt = 0;
  QTimer beat;
  beat.setInterval(5);
  // RssAnon against the records indexed, every tick while the index grows (before validation
  // starts): the slope is what each record costs, the pipeline's buffers aside.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> growth;
  QObject::connect(&beat, &QTimer::timeout, &beat, [&] {
    if (indexed < 0) growth.emplace_back(s->indexedCount(), residentAnonymous());
    const double late = double(tick.nsecsElapsed()) / 1e6 - 5.0;
    if (late > worstLateBusy) {
      worstLateBusy = late;
      worstAt = clock.nsecsElapsed() / 1e9;
    }
    tick.restart();
  });
  beat.start();
  QObject::connect(s, &FileSession::jobStarted, s, [&](JobKind k) {
    if (k == JobKind::Validate) validateStart = clock.nsecsElapsed() / 1e9;
  });
  QObject::connect(s, &FileSession::jobFinished, s, [&](JobKind k) {
    if (k == JobKind::Index) {
      indexed = clock.nsecsElapsed() / 1e9;
      anonIndexed = residentAnonymous();
    }
  });
  QObject::connect(s, &FileSession::validationReady, s, [&] { validated = clock.nsecsElapsed() / 1e9; });
  waitFor([&] {
    if (firstRows < 0 && v->tableView()->model()->rowCount() > 0 && v->pane()->record() != 0) {
      QCoreApplication::processEvents();  // the rows painted
      firstRows = clock.nsecsElapsed() / 1e9;
    }
    return !s->busy() && validated >= 0;
  }, 3600 * 1000);
  const std::uint64_t records = s->indexedCount();
  // Search, timed from the call to the filtered view.
  bool searched = false;
  std::uint64_t hits = 0;
  QObject::connect(v, &FileView::searchDone, v, [&](quint64 n) {
    searched = true;
    hits = n;
  });
  QElapsedTimer sclock;
  sclock.start();
  const bool ok = v->runSearch(query);
  waitFor([&] { return searched || !ok; }, 3600 * 1000);
  const double searchSeconds = sclock.nsecsElapsed() / 1e9;
  // File → Export Validation Report as CSV: every finding with its message, on the worker.
  const QString csv = QDir::temp().filePath(QStringLiteral("marcscope-benchmark-%1.csv").arg(QCoreApplication::applicationPid()));
  bool exported = false, exportOk = false;
  QString exportSummary;
  QObject::connect(s, &FileSession::exportFinished, s, [&](const QString&, bool ok, const QString& summary) {
    exported = true;
    exportOk = ok;
    exportSummary = summary;
  });
  QElapsedTimer eclock;
  eclock.start();
  if (w.exportReportTo(csv)) waitFor([&] { return exported; }, 3600 * 1000);
  const double exportSeconds = eclock.nsecsElapsed() / 1e9;
  const qint64 csvBytes = QFileInfo(csv).size();
  QFile::remove(csv);
  beat.stop();
  v->clearFilter();
  // GUI-thread stalls: jumping to random records (table scrolled, record pane filled, painted)
  // and scrolling to random places.
  QRandomGenerator rng(42);
  std::vector<double> jumps, scrolls;
  std::vector<double> jumpCalls, jumpCpu, scrollCpu;
  for (int i = 0; i < 300 && records; ++i) {
    QElapsedTimer t;
    t.start();
    const double cpu = threadCpuMs();
    v->goToRecord(1 + rng.bounded(static_cast<quint64>(records)));
    jumpCalls.push_back(t.nsecsElapsed() / 1e6);
    QCoreApplication::processEvents();
    jumps.push_back(t.nsecsElapsed() / 1e6);
    jumpCpu.push_back(threadCpuMs() - cpu);
  }
  QScrollBar* bar = v->tableView()->verticalScrollBar();
  for (int i = 0; i < 300 && records; ++i) {
    QElapsedTimer t;
    t.start();
    const double cpu = threadCpuMs();
    bar->setValue(static_cast<int>(rng.bounded(static_cast<quint64>(std::max(1, bar->maximum())))));
    QCoreApplication::processEvents();
    scrolls.push_back(t.nsecsElapsed() / 1e6);
    scrollCpu.push_back(threadCpuMs() - cpu);
  }
  // The record editor's check as you type (read the MARCMaker text, validate), on the GUI thread.
  std::vector<double> checks;
  v->pane()->setCurrentTab(RecordPane::EditTab);
  for (int i = 0; i < 100 && records; ++i) {
    v->goToRecord(1 + rng.bounded(static_cast<quint64>(records)));
    QElapsedTimer t;
    t.start();
    v->pane()->editor()->check();
    checks.push_back(t.nsecsElapsed() / 1e6);
  }
  v->pane()->setCurrentTab(RecordPane::MarcMakerTab);
  // Edit → Select All, Edit → Delete Records, then Edit → Undo: the GUI thread's time for each
  // (until the table, the findings and the status are redrawn), and the background recount of
  // the statistics without the deleted records.
  double deleteMs = 0, deleteCpu = 0, undoMs = 0, undoCpu = 0, recountSeconds = -1;
  int deletedCount = 0;
  if (records) {
    QElapsedTimer t;
    t.start();
    double cpu = threadCpuMs();
    v->tableView()->selectAll();
    deletedCount = v->deleteSelected();
    QCoreApplication::processEvents();
    deleteMs = t.nsecsElapsed() / 1e6;
    deleteCpu = threadCpuMs() - cpu;
    QElapsedTimer r;
    r.start();
    bool recounted = false;
    auto c = QObject::connect(s, &FileSession::statisticsReady, s, [&] { recounted = true; });
    if (waitFor([&] { return recounted && !s->busy(); }, 3600 * 1000)) recountSeconds = r.nsecsElapsed() / 1e9;
    QObject::disconnect(c);
    t.restart();
    cpu = threadCpuMs();
    v->undoStack()->undo();
    QCoreApplication::processEvents();
    undoMs = t.nsecsElapsed() / 1e6;
    undoCpu = threadCpuMs() - cpu;
    waitFor([&] { return !s->busy(); }, 3600 * 1000);
    v->tableView()->clearSelection();
  }
  const double perRecordIndex = records ? double(s->file().index().memory_bytes()) / double(records) : 0;
  const double perRecordRss = records && anonIndexed > anonBefore ? double(anonIndexed - anonBefore) / double(records) : 0;
  // The slope between the first sample past a quarter of the records and the last one before
  // the end.
  double slope = -1, slopeFrom = 0, slopeTo = 0;
  {
    const auto from = std::find_if(growth.begin(), growth.end(), [&](const auto& g) { return g.first >= records / 4; });
    const auto to = std::find_if(growth.rbegin(), growth.rend(), [&](const auto& g) { return g.first < records; });
    if (from != growth.end() && to != growth.rend() && to->first > from->first + records / 4) {
      slope = (double(to->second) - double(from->second)) / double(to->first - from->first);
      slopeFrom = 100.0 * double(from->first) / double(records);
      slopeTo = 100.0 * double(to->first) / double(records);
    }
  }
  std::printf("file: %s (%llu records, %.1f MB, %s)\n", qPrintable(file), static_cast<unsigned long long>(records),
              double(s->file().size()) / 1e6, format_name(s->file().format()).data());
  std::printf("first rows shown: %.3f s\n", firstRows);
  std::printf("full index: %.3f s\n", indexed);
  std::printf("index bytes per record: %.1f\n", perRecordIndex);
  std::printf("anonymous memory per record after indexing (RssAnon growth / records): %.1f\n", perRecordRss);
  if (slope >= 0)
    std::printf("anonymous memory per record while indexing (RssAnon slope from %.0f%% to %.0f%% of the records, %zu samples): %.1f\n",
                slopeFrom, slopeTo, growth.size(), slope);
  else
    std::printf("anonymous memory per record while indexing: not measured (%zu samples; the index grew too fast)\n", growth.size());
  std::printf("validate: %.3f s (%llu findings)\n", validated - validateStart,
              static_cast<unsigned long long>(s->report() ? s->report()->findings.size() : 0));
  std::printf("search '%s': %.3f s (%llu hits)\n", qPrintable(query), searchSeconds, static_cast<unsigned long long>(hits));
  std::printf("export of every finding as CSV: %.3f s (%s; %.1f MB)\n", exportSeconds,
              exportOk ? qPrintable(exportSummary) : "failed", double(csvBytes) / 1e6);
  std::printf("GUI stall jumping to random records: worst %.1f ms, p99 %.1f ms, median %.2f ms (%zu jumps)\n",
              jumps.empty() ? 0 : *std::max_element(jumps.begin(), jumps.end()), percentile(jumps, 0.99), percentile(jumps, 0.5),
              jumps.size());
  std::printf("  of which selecting the record and filling the pane (before painting): median %.2f ms, p99 %.1f ms\n",
              percentile(jumpCalls, 0.5), percentile(jumpCalls, 0.99));
  std::printf("  GUI-thread CPU per jump: median %.2f ms, p99 %.1f ms\n", percentile(jumpCpu, 0.5), percentile(jumpCpu, 0.99));
  std::printf("GUI stall scrolling to random places: worst %.1f ms, p99 %.1f ms, median %.2f ms (%zu scrolls)\n",
              scrolls.empty() ? 0 : *std::max_element(scrolls.begin(), scrolls.end()), percentile(scrolls, 0.99),
              percentile(scrolls, 0.5), scrolls.size());
  std::printf("  GUI-thread CPU per scroll: median %.2f ms, p99 %.1f ms\n", percentile(scrollCpu, 0.5), percentile(scrollCpu, 0.99));
  std::printf("editor check of one record (read the text, validate, list the problems): median %.2f ms, worst %.2f ms (%zu records)\n",
              percentile(checks, 0.5), checks.empty() ? 0 : *std::max_element(checks.begin(), checks.end()), checks.size());
  std::printf("delete every record (Select All, Delete Records): GUI thread %.1f ms (CPU %.1f ms) for %d records; "
              "statistics recounted in the background in %.3f s; undo: GUI thread %.1f ms (CPU %.1f ms)\n",
              deleteMs, deleteCpu, deletedCount, recountSeconds, undoMs, undoCpu);
  std::printf("worst event-loop delay while indexing, validating, counting, searching and exporting: %.1f ms (ending at %.3f s)\n",
              worstLateBusy, worstAt);
  std::fflush(stdout);
  return firstRows >= 0 && validated >= 0 ? 0 : 1;
}

}  // namespace marcscope::ui
