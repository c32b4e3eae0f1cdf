#pragma once
// Field and subfield frequency (MarcEdit's "field count") and what the file holds, from the
// engine's Statistics aggregate of a background pass: a sortable table and a summary.

#include <QWidget>

class QLabel;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTableView;

namespace marcscope {
class Statistics;
}

namespace marcscope::ui {

class StatisticsView : public QWidget {
  Q_OBJECT

 public:
  enum Columns { TagColumn, SubfieldColumn, RecordsColumn, OccurrencesColumn, ShareColumn, NameColumn, ColumnCount };
  explicit StatisticsView(QWidget* parent = nullptr);

  void setStatistics(const Statistics* stats);
  QTableView* table() const { return table_; }
  QStandardItemModel* model() const { return model_; }
  QLabel* summary() const { return summary_; }

 private:
  QLabel* summary_;
  QTableView* table_;
  QStandardItemModel* model_;
  QSortFilterProxyModel* sorted_;
};

}  // namespace marcscope::ui
