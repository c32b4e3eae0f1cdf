#pragma once
// One open file in its tab: search bar, record table (growing with the index, filtered by a
// search), the record pane, and below the validation findings and the statistics.

#include <QWidget>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

class QLabel;
class QLineEdit;
class QPushButton;
class QSplitter;
class QTabWidget;
class QTableView;
class QTreeView;
class QUndoStack;

namespace marcscope {
class Executor;
class Validator;
}

namespace marcscope::ui {

class FileSession;
class FindingsModel;
class RecordFilterModel;
class RecordPane;
class RecordTableModel;
class StatisticsView;

class FileView : public QWidget {
  Q_OBJECT

 public:
  enum BottomTab { FindingsTab, StatisticsTab };
  /// Opens `path` (throws what FileSession throws) and starts its jobs (unless `start` is false:
  /// then session()->startAll() does, for a test that sets a job gate first); `validator` and
  /// `rules` as FileSession takes them.
  FileView(const QString& path, std::shared_ptr<Executor> executor, QWidget* parent = nullptr,
           std::shared_ptr<const Validator> validator = nullptr, const QString& rules = QStringLiteral("marc21"),
           bool start = true);
  ~FileView() override;

  FileSession* session() const { return session_; }
  RecordTableModel* tableModel() const { return table_; }
  RecordFilterModel* filterModel() const { return filter_; }
  QTableView* tableView() const { return view_; }
  RecordPane* pane() const { return pane_; }
  FindingsModel* findingsModel() const { return findings_; }
  QTreeView* findingsView() const { return findingsView_; }
  StatisticsView* statisticsView() const { return stats_; }
  QLineEdit* searchField() const { return query_; }
  QLabel* searchStatus() const { return count_; }
  QTabWidget* bottomTabs() const { return bottom_; }
  /// Each Apply in the record editor is one command here (the Edit menu's undo and redo).
  QUndoStack* undoStack() const { return undo_; }

  /// Selects record `number` (clearing a filter that hides it); false when it is not indexed or added.
  bool goToRecord(std::uint64_t number);
  /// Edit → New Record: appends the engine's template record (one undoable step), selects it and
  /// opens it in the editor. Returns its number, or 0 (with a word under the search bar) while
  /// the file is not indexed to its end.
  std::uint64_t newRecord();
  /// Edit → Delete Records: marks the selected records deleted (one undoable step). Returns how
  /// many were marked (0: none selected, or all already deleted).
  int deleteSelected();
  /// The selected records (the current one when no row is selected), in order.
  std::vector<std::uint64_t> selectedRecords() const;
  /// Selects the first record whose 001 is `value` (a background search).
  void goToControlNumber(const QString& value);
  /// Runs a search written in the engine's condition notation: `245$a~war`, `LDR/06=a`,
  /// `020 absent`; several joined by && (all) or || (any). False (and a message under the bar)
  /// when the query cannot be read.
  bool runSearch(const QString& text);
  void clearFilter();
  /// Shows the records holding the findings of a group of the findings tree.
  void filterByFindingGroup(int group);
  std::uint64_t currentRecord() const;
  /// Activates a finding: selects its record and marks its field.
  void showFinding(std::uint64_t record, int field);

  QByteArray saveLayout() const;
  void restoreLayout(const QByteArray& state);

 Q_SIGNALS:
  void searchDone(quint64 hits);
  void recordShown(quint64 number);

 private:
  void onCurrentChanged();
  /// The Findings tab's title: how many, with which profile, and whether the settings changed since.
  void updateFindingsTab();
  void onSearchFinished(quint64 generation, std::shared_ptr<const std::vector<std::uint64_t>> hits, bool cancelled);
  /// Record `number` changed in the session: in the filter or out of it as it is now.
  void updateMembership(std::uint64_t number);
  /// The findings with the session's changes laid over them again, groups left open as they were.
  void refreshFindings();

  FileSession* session_;
  RecordTableModel* table_;
  RecordFilterModel* filter_;
  QTableView* view_;
  RecordPane* pane_;
  FindingsModel* findings_;
  QTreeView* findingsView_;
  StatisticsView* stats_;
  QTabWidget* bottom_;
  QLineEdit* query_;
  QPushButton* searchButton_;
  QPushButton* clearButton_;
  QLabel* count_;
  QSplitter* mainSplit_;
  QSplitter* topSplit_;
  QUndoStack* undo_;
  std::uint64_t searchGeneration_ = 0;
  std::uint64_t controlGeneration_ = 0;
  QString controlValue_;
  int pendingField_ = -1;
  /// Whether a record as the session has it belongs to the filter shown (a search's matcher, a
  /// finding's kind), and the one of the search running; empty: no filter.
  std::function<bool(std::uint64_t)> filterTest_, pendingTest_;
  QString countPattern_;  ///< the count under the search bar, %1 the rows of the filter
};

}  // namespace marcscope::ui
