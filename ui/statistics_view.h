#pragma once
// Field and subfield frequency (MarcEdit's "field count") and what the file holds, from the
// engine's Statistics aggregate of a background pass: a sortable table, a summary, and charts
// (Qt Charts) of the most used tags, the record types and the character encodings.

#include <QWidget>

class QLabel;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTableView;
class QTabWidget;
class QChart;

namespace marcscope {
class Statistics;
}

namespace marcscope::ui {

class StatisticsView : public QWidget {
  Q_OBJECT

 public:
  enum Columns { TagColumn, SubfieldColumn, RecordsColumn, OccurrencesColumn, ShareColumn, NameColumn, ColumnCount };
  explicit StatisticsView(QWidget* parent = nullptr);

  /// Shows `stats`; `changes` names the session's unsaved changes it counts ("2 edited"), if any.
  void setStatistics(const Statistics* stats, const QString& changes = {});
  QTableView* table() const { return table_; }
  QStandardItemModel* model() const { return model_; }
  QLabel* summary() const { return summary_; }
  /// The charts: the kTopTags tags in most records (a bar each, most first), the record types
  /// (leader/06-07, the kTopTypes most frequent, a bar each), the encodings (a pie).
  static constexpr int kTopTags = 15;
  static constexpr int kTopTypes = 12;
  QChart* tagChart() const { return tags_; }
  QChart* typeChart() const { return types_; }
  QChart* encodingChart() const { return encodings_; }
  QTabWidget* chartTabs() const { return charts_; }

 private:
  QLabel* summary_;
  QTableView* table_;
  QStandardItemModel* model_;
  QSortFilterProxyModel* sorted_;
  QTabWidget* charts_;
  QChart* tags_;
  QChart* types_;
  QChart* encodings_;
};

}  // namespace marcscope::ui
