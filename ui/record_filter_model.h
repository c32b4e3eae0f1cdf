#pragma once
// A filtered view of the record table: the rows of a search result, mapped over its sorted
// vector of record numbers (row -> number is an index, number -> row a binary search). With no
// filter it passes every row of the table through, growing as the table grows.

#include <QAbstractProxyModel>

#include <cstdint>
#include <memory>
#include <vector>

namespace marcscope::ui {

class RecordTableModel;

class RecordFilterModel : public QAbstractProxyModel {
  Q_OBJECT

 public:
  explicit RecordFilterModel(QObject* parent = nullptr);

  void setTable(RecordTableModel* table);
  RecordTableModel* table() const { return table_; }

  /// Shows only the records numbered in `hits` (sorted, each indexed).
  void setFilter(std::shared_ptr<const std::vector<std::uint64_t>> hits);
  void clearFilter();
  bool filtered() const { return static_cast<bool>(hits_); }
  /// Puts record `number` into the filter result or takes it out (an edit made it match the
  /// search or no longer); its row is inserted or removed. Nothing when not filtered.
  void setMember(std::uint64_t number, bool member);
  std::uint64_t filteredCount() const { return hits_ ? hits_->size() : 0; }

  /// Record number of a row of this model, and the row of a record (-1 when filtered out).
  std::uint64_t recordAt(int row) const;
  int rowOf(std::uint64_t number) const;

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QModelIndex mapToSource(const QModelIndex& proxy) const override;
  QModelIndex mapFromSource(const QModelIndex& source) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  RecordTableModel* table_ = nullptr;
  std::shared_ptr<const std::vector<std::uint64_t>> hits_;
  /// hits_ as a copy of its own, to change (copied on the first change after setFilter).
  std::vector<std::uint64_t>& ownHits();
  std::shared_ptr<std::vector<std::uint64_t>> own_;  ///< what hits_ points to once changed here
};

}  // namespace marcscope::ui
