#include "file_view.h"

#include <QDate>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTreeView>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>

#include "edit_record_command.h"
#include "file_session.h"
#include "record_editor.h"
#include "findings_model.h"
#include "record_filter_model.h"
#include "record_pane.h"
#include "record_table_delegate.h"
#include "record_table_header.h"
#include "record_table_model.h"
#include "statistics_view.h"
#include "marcscope/validate/validation.h"
#include "marcscope/write/export.h"

namespace marcscope::ui {

FileView::FileView(const QString& path, std::shared_ptr<Executor> executor, QWidget* parent,
                   std::shared_ptr<const Validator> validator, const QString& rules, bool start)
    : QWidget(parent) {
  session_ = new FileSession(path, std::move(executor), this, std::move(validator), rules);
  table_ = new RecordTableModel(session_, this);
  filter_ = new RecordFilterModel(this);
  filter_->setTable(table_);

  query_ = new QLineEdit(this);
  query_->setPlaceholderText(tr("Search: 245$a~war   LDR/06=a   020 absent   650$a/^Hist/   (join with && or ||)"));
  query_->setClearButtonEnabled(true);
  searchButton_ = new QPushButton(tr("Search"), this);
  clearButton_ = new QPushButton(tr("Show all"), this);
  clearButton_->setEnabled(false);
  count_ = new QLabel(this);
  count_->setMinimumWidth(160);
  auto* bar = new QHBoxLayout;
  bar->addWidget(query_, 1);
  bar->addWidget(searchButton_);
  bar->addWidget(clearButton_);
  bar->addWidget(count_);

  view_ = new QTableView(this);
  view_->setModel(filter_);
  view_->setItemDelegate(new RecordTableDelegate(view_));
  view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  view_->setSelectionMode(QAbstractItemView::ExtendedSelection);  // several rows to delete
  view_->verticalHeader()->hide();
  view_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 6);
  view_->setHorizontalHeader(new RecordTableHeader(view_));  // never asks the selection (a million rows selected)
  view_->horizontalHeader()->setStretchLastSection(true);
  view_->setWordWrap(false);
  view_->setAlternatingRowColors(true);
  view_->setTextElideMode(Qt::ElideRight);
  const int ch = view_->fontMetrics().horizontalAdvance(QLatin1Char('0'));
  const int widths[] = {6, 10, 4, 25, 16, 4, 8, 8};
  for (int c = 0; c < 8; ++c) view_->setColumnWidth(c, widths[c] * ch + 12);

  pane_ = new RecordPane(this);
  findings_ = new FindingsModel(session_, this);
  findingsView_ = new QTreeView(this);
  findingsView_->setModel(findings_);
  findingsView_->setUniformRowHeights(true);
  findingsView_->setAlternatingRowColors(true);
  findingsView_->header()->setStretchLastSection(false);
  findingsView_->header()->setSectionResizeMode(FindingsModel::FindingColumn, QHeaderView::Stretch);
  findingsView_->setColumnWidth(FindingsModel::CountColumn, 9 * ch);
  findingsView_->setColumnWidth(FindingsModel::RecordColumn, 9 * ch);
  findingsView_->setColumnWidth(FindingsModel::FieldColumn, 8 * ch);
  stats_ = new StatisticsView(this);
  bottom_ = new QTabWidget(this);
  bottom_->addTab(findingsView_, tr("Findings"));
  bottom_->addTab(stats_, tr("Statistics"));

  topSplit_ = new QSplitter(Qt::Horizontal, this);
  topSplit_->addWidget(view_);
  topSplit_->addWidget(pane_);
  topSplit_->setStretchFactor(0, 3);
  topSplit_->setStretchFactor(1, 2);
  topSplit_->setSizes({760, 640});
  mainSplit_ = new QSplitter(Qt::Vertical, this);
  mainSplit_->addWidget(topSplit_);
  mainSplit_->addWidget(bottom_);
  mainSplit_->setStretchFactor(0, 3);
  mainSplit_->setStretchFactor(1, 1);
  mainSplit_->setSizes({540, 300});
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(bar);
  layout->addWidget(mainSplit_, 1);

  connect(session_, &FileSession::indexGrew, this, [this] {
    const bool first = table_->rowCount() == 0;
    table_->syncRows();
    if (first && filter_->rowCount() > 0 && !view_->currentIndex().isValid()) view_->setCurrentIndex(filter_->index(0, 0));
  });
  connect(session_, &FileSession::validationReady, this, [this] {
    table_->refreshStatus();
    findings_->reload();
    if (findings_->groupCount() == 1) findingsView_->expand(findings_->index(0, 0));
    updateFindingsTab();
    onCurrentChanged();  // the pane lists the record's findings now
  });
  connect(session_, &FileSession::statisticsReady, this, [this] {
    stats_->setStatistics(session_->statistics().get(), session_->statisticsChanges());
  });
  connect(session_, &FileSession::searchProgress, this, [this](quint64 generation, quint64 n) {
    if (generation == searchGeneration_) count_->setText(tr("searching… %1 found").arg(n));
  });
  connect(session_, &FileSession::searchFinished, this, &FileView::onSearchFinished);
  connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &FileView::onCurrentChanged);
  connect(query_, &QLineEdit::returnPressed, this, [this] { runSearch(query_->text()); });
  connect(searchButton_, &QPushButton::clicked, this, [this] { runSearch(query_->text()); });
  connect(clearButton_, &QPushButton::clicked, this, &FileView::clearFilter);
  connect(findingsView_, &QTreeView::activated, this, [this](const QModelIndex& index) {
    if (const CompactFinding* f = findings_->finding(index)) showFinding(f->record(), static_cast<int>(f->field()));
    else if (index.isValid() && !index.parent().isValid()) filterByFindingGroup(index.row());
  });
  connect(findingsView_, &QTreeView::clicked, this, [this](const QModelIndex& index) {
    if (const CompactFinding* f = findings_->finding(index)) showFinding(f->record(), static_cast<int>(f->field()));
  });

  undo_ = new QUndoStack(this);
  connect(pane_->editor(), &RecordEditor::applied, this, [this](quint64 number, const Record& record) {
    undo_->push(new EditRecordCommand(session_, number, record));
  });
  connect(session_, &FileSession::validatorChanged, this, [this] {
    for (const auto& [number, record] : session_->edits()) table_->recordChanged(number);
    if (pane_->editor()->record() != 0) pane_->editor()->check();
    updateFindingsTab();
  });
  connect(session_, &FileSession::idle, this, &FileView::updateFindingsTab);
  connect(session_, &FileSession::recordEdited, this, [this](quint64 number) {
    table_->recordChanged(number);
    updateMembership(number);
    if (number == currentRecord()) onCurrentChanged();
    else if (filter_->rowOf(number) >= 0 || !filter_->filtered()) goToRecord(number);  // undo and redo show the record they change
  });
  connect(session_, &FileSession::recordAdded, this, [this](quint64 number) {
    table_->syncRows();
    updateMembership(number);
  });
  connect(session_, &FileSession::addedRecordRemoved, this, [this] { table_->syncRows(); });
  connect(session_, &FileSession::recordsDeleted, this, [this](const QList<quint64>& numbers) {
    const std::uint64_t current = currentRecord();
    if (numbers.size() > 64) {  // many rows at once (numbers come sorted): one signal
      table_->recordsChanged(numbers.front(), numbers.back());
    } else {
      for (const quint64 n : numbers) table_->recordChanged(n);
    }
    if (std::binary_search(numbers.begin(), numbers.end(), current)) onCurrentChanged();  // the pane says it is deleted (or no longer)
  });
  connect(session_, &FileSession::changed, this, [this] {
    refreshFindings();
    updateFindingsTab();
  });

  if (start) session_->startAll();
}

FileView::~FileView() = default;

void FileView::updateFindingsTab() {
  const QString configured = session_->configuredRules();
  if (!session_->report()) {
    bottom_->setTabText(FindingsTab, tr("Findings"));
    return;
  }
  QString text = tr("Findings (%1) — %2").arg(findings_->totalFindings()).arg(session_->validatorRules());
  QString tip = tr("Validated with the rules of profile %1 (Tools → Validation Settings)").arg(session_->validatorRules());
  if (session_->validatorRules() != configured || session_->validator() != session_->configuredValidator().get()) {
    text += session_->busy() ? tr(" — validating again with %1…").arg(configured) : tr(" — settings changed: F5 validates again");
    tip += tr("; the settings are now %1").arg(configured);
  }
  bottom_->setTabText(FindingsTab, text);
  bottom_->setTabToolTip(FindingsTab, tip);
}

std::uint64_t FileView::currentRecord() const {
  const QModelIndex i = view_->currentIndex();
  return i.isValid() ? filter_->recordAt(i.row()) : 0;
}

void FileView::onCurrentChanged() {
  const std::uint64_t number = currentRecord();
  pane_->showRecord(session_, number);
  if (pendingField_ >= 0) pane_->highlightField(pendingField_);
  pendingField_ = -1;
  Q_EMIT recordShown(number);
}

bool FileView::goToRecord(std::uint64_t number) {
  if (number == 0 || number > session_->recordCount()) return false;
  table_->syncRows();
  int row = filter_->rowOf(number);
  if (row < 0) {
    clearFilter();
    row = filter_->rowOf(number);
  }
  if (row < 0) return false;
  const QModelIndex index = filter_->index(row, 0);
  if (view_->currentIndex().row() == row) onCurrentChanged();
  else view_->setCurrentIndex(index);
  view_->scrollTo(index, QAbstractItemView::PositionAtCenter);
  return true;
}

void FileView::showFinding(std::uint64_t record, int field) {
  if (record == 0) return;
  pendingField_ = field;
  if (!goToRecord(record)) pendingField_ = -1;
}

static bool parseQuery(const QString& text, Query& query, QString& error) {
  QString t = text.trimmed();
  if (t.isEmpty()) {
    error = QObject::tr("Type a condition, e.g. 245$a~war");
    return false;
  }
  const bool any = t.contains(QStringLiteral("||"));
  if (any && t.contains(QStringLiteral("&&"))) {
    error = QObject::tr("Use either && (all) or || (any), not both");
    return false;
  }
  query.any = any;
  for (const QString& part : t.split(any ? QStringLiteral("||") : QStringLiteral("&&"))) {
    try {
      query.conditions.push_back(Condition::parse(part.trimmed().toStdString()));
    } catch (const std::exception& e) {
      error = QString::fromUtf8(e.what());
      return false;
    }
  }
  return true;
}

bool FileView::runSearch(const QString& text) {
  if (query_->text() != text) query_->setText(text);
  Query query;
  QString error;
  if (!parseQuery(text, query, error)) {
    count_->setText(QStringLiteral("<span style='color:#c62828'>%1</span>").arg(error.toHtmlEscaped()));
    count_->setToolTip(error);
    return false;
  }
  try {
    // The same query compiled once more for the records edited while its result is shown.
    auto matcher = std::make_shared<const Matcher>(query);
    searchGeneration_ = session_->startSearch(query);
    pendingTest_ = [this, matcher](std::uint64_t n) { return session_->matches(*matcher, n); };
  } catch (const std::exception& e) {
    error = QString::fromUtf8(e.what());
    count_->setText(QStringLiteral("<span style='color:#c62828'>%1</span>").arg(error.toHtmlEscaped()));
    count_->setToolTip(error);
    return false;
  }
  count_->setToolTip({});
  count_->setText(session_->indexComplete() ? tr("searching…") : tr("waiting for the index…"));
  return true;
}

void FileView::goToControlNumber(const QString& value) {
  Query query;
  Condition c;
  c.tag = "001";
  c.kind = MatchKind::Equals;
  c.case_sensitive = true;
  c.text = value.trimmed().toStdString();
  query.conditions.push_back(c);
  controlValue_ = value.trimmed();
  controlGeneration_ = session_->startSearch(query);
  count_->setText(tr("looking for 001 %1…").arg(controlValue_));
}

void FileView::onSearchFinished(quint64 generation, std::shared_ptr<const std::vector<std::uint64_t>> hits, bool cancelled) {
  if (generation == controlGeneration_) {
    controlGeneration_ = 0;
    if (hits && !hits->empty()) {
      goToRecord(hits->front());
      count_->setText(hits->size() == 1 ? tr("001 %1: record %2").arg(controlValue_).arg(hits->front())
                                        : tr("001 %1: %2 records, first shown").arg(controlValue_).arg(hits->size()));
    } else {
      count_->setText(cancelled ? tr("stopped") : tr("no record has 001 %1").arg(controlValue_));
    }
    return;
  }
  if (generation != searchGeneration_) return;  // a newer search replaced it
  const std::uint64_t keep = currentRecord();
  filter_->setFilter(hits);
  filterTest_ = std::move(pendingTest_);
  pendingTest_ = nullptr;
  clearButton_->setEnabled(true);
  // One pass of arg(), so that the %1 put in stays for the count.
  countPattern_ = tr("%1 of %2 records%3").arg(QStringLiteral("%1"), QString::number(session_->recordCount()), cancelled ? tr(" (stopped)") : QString());
  count_->setText(countPattern_.arg(hits->size()));
  const int row = filter_->rowOf(keep);
  if (row >= 0) view_->setCurrentIndex(filter_->index(row, 0));
  else if (filter_->rowCount() > 0) view_->setCurrentIndex(filter_->index(0, 0));
  else onCurrentChanged();
  Q_EMIT searchDone(hits->size());
}

void FileView::clearFilter() {
  if (!filter_->filtered()) return;
  const std::uint64_t keep = currentRecord();
  filter_->clearFilter();
  filterTest_ = nullptr;
  countPattern_.clear();
  clearButton_->setEnabled(false);
  count_->clear();
  searchGeneration_ = 0;
  if (keep) {
    const QModelIndex index = filter_->index(filter_->rowOf(keep), 0);
    view_->setCurrentIndex(index);
    view_->scrollTo(index, QAbstractItemView::PositionAtCenter);
  }
}

void FileView::filterByFindingGroup(int group) {
  const auto report = session_->report();
  if (!report || group < 0 || group >= findings_->groupCount()) return;
  auto hits = std::make_shared<const std::vector<std::uint64_t>>(findings_->groupRecords(group));
  filter_->setFilter(hits);
  // Kept right as records are edited: a record is in it while it has a finding of this kind.
  const FindingsModel::Kind kind = findings_->groupKind(group);
  filterTest_ = [this, kind](std::uint64_t n) { return findings_->hasFinding(n, kind); };
  clearButton_->setEnabled(true);
  countPattern_ = tr("%1 records with this finding");
  count_->setText(countPattern_.arg(hits->size()));
  if (filter_->rowCount() > 0) view_->setCurrentIndex(filter_->index(0, 0));
}

void FileView::updateMembership(std::uint64_t number) {
  if (!filter_->filtered() || !filterTest_) return;
  const bool was = filter_->rowOf(number) >= 0;
  const bool now = filterTest_(number);
  if (was == now) return;
  filter_->setMember(number, now);
  if (!countPattern_.isEmpty()) count_->setText(countPattern_.arg(filter_->filteredCount()));
  count_->setToolTip(now ? tr("Record %1 matches now, as edited").arg(number) : tr("Record %1 no longer matches, as edited").arg(number));
}

void FileView::refreshFindings() {
  // A reset closes every branch: open again those that were open (by their title).
  QStringList open;
  for (int g = 0; g < findings_->groupCount(); ++g) {
    const QModelIndex i = findings_->index(g, 0);
    if (findingsView_->isExpanded(i)) open << i.data().toString();
  }
  findings_->refresh();
  for (int g = 0; g < findings_->groupCount(); ++g) {
    const QModelIndex i = findings_->index(g, 0);
    if (open.contains(i.data().toString())) findingsView_->expand(i);
  }
}

std::vector<std::uint64_t> FileView::selectedRecords() const {
  std::vector<std::uint64_t> out;
  // From the selection's ranges (rows are selected whole): selectedRows() makes an index per
  // row and asks about every column of each, seconds for a million rows.
  for (const QItemSelectionRange& range : view_->selectionModel()->selection())
    for (int row = range.top(); row <= range.bottom(); ++row)
      if (const std::uint64_t n = filter_->recordAt(row)) out.push_back(n);
  if (out.empty() && currentRecord()) out.push_back(currentRecord());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());  // ranges of one row may overlap
  return out;
}

std::uint64_t FileView::newRecord() {
  if (!session_->indexComplete()) {
    count_->setText(tr("New Record: wait until the file is indexed to its end (Ctrl+I continues it)"));
    return 0;
  }
  if (session_->recordCount() >= RecordTableModel::kMaxRows) {
    count_->setText(tr("New Record: the table holds no more rows"));
    return 0;
  }
  // The engine's template for a new record, dated today.
  auto* command = new AddRecordCommand(session_, new_record_template(QDate::currentDate().toString(QStringLiteral("yyMMdd")).toStdString()));
  undo_->push(command);  // adds it
  const std::uint64_t number = command->number();
  goToRecord(number);
  pane_->setCurrentTab(RecordPane::EditTab);
  pane_->editor()->editor()->setFocus();
  return number;
}

int FileView::deleteSelected() {
  const std::vector<std::uint64_t> numbers = selectedRecords();
  if (numbers.empty()) return 0;
  auto* command = new DeleteRecordsCommand(session_, numbers);
  const int count = static_cast<int>(command->numbers().size());
  if (count == 0) {
    delete command;
    count_->setText(tr("Already deleted: Edit → Undo brings deleted records back"));
    return 0;
  }
  undo_->push(command);
  return count;
}

QByteArray FileView::saveLayout() const {
  QByteArray out;
  QDataStream s(&out, QIODevice::WriteOnly);
  s << mainSplit_->saveState() << topSplit_->saveState() << view_->horizontalHeader()->saveState();
  return out;
}

void FileView::restoreLayout(const QByteArray& state) {
  QDataStream s(state);
  QByteArray a, b, c;
  s >> a >> b >> c;
  if (s.status() != QDataStream::Ok) return;
  mainSplit_->restoreState(a);
  topSplit_->restoreState(b);
  view_->horizontalHeader()->restoreState(c);
}

}  // namespace marcscope::ui
