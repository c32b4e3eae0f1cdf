#include "record_filter_model.h"

#include <algorithm>

#include "record_table_model.h"

namespace marcscope::ui {

RecordFilterModel::RecordFilterModel(QObject* parent) : QAbstractProxyModel(parent) {}

void RecordFilterModel::setTable(RecordTableModel* table) {
  beginResetModel();
  if (table_) disconnect(table_, nullptr, this, nullptr);
  table_ = table;
  QAbstractProxyModel::setSourceModel(table);
  hits_.reset();
  if (table_) {
    connect(table_, &QAbstractItemModel::rowsAboutToBeInserted, this, [this](const QModelIndex&, int first, int last) {
      if (!hits_) beginInsertRows({}, first, last);
    });
    connect(table_, &QAbstractItemModel::rowsInserted, this, [this] {
      if (!hits_) endInsertRows();
    });
    // Rows go at the end only (an added record taken away again): filtered, its hits go first.
    connect(table_, &QAbstractItemModel::rowsAboutToBeRemoved, this, [this](const QModelIndex&, int first, int last) {
      if (!hits_) {
        beginRemoveRows({}, first, last);
        return;
      }
      const auto lo = std::lower_bound(hits_->begin(), hits_->end(), table_->recordAt(first));
      const auto hi = std::upper_bound(lo, hits_->end(), table_->recordAt(last));
      if (lo == hi) return;
      const int from = static_cast<int>(lo - hits_->begin()), to = static_cast<int>(hi - hits_->begin());
      beginRemoveRows({}, from, to - 1);
      auto& own = ownHits();
      own.erase(own.begin() + from, own.begin() + to);
      endRemoveRows();
    });
    connect(table_, &QAbstractItemModel::rowsRemoved, this, [this] {
      if (!hits_) endRemoveRows();
    });
    connect(table_, &QAbstractItemModel::columnsAboutToBeInserted, this,
            [this](const QModelIndex&, int first, int last) { beginInsertColumns({}, first, last); });
    connect(table_, &QAbstractItemModel::columnsInserted, this, [this] { endInsertColumns(); });
    connect(table_, &QAbstractItemModel::modelAboutToBeReset, this, [this] { beginResetModel(); });
    connect(table_, &QAbstractItemModel::modelReset, this, [this] { endResetModel(); });
    connect(table_, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& tl, const QModelIndex& br, const QList<int>& roles) {
              if (!hits_) {
                Q_EMIT dataChanged(index(tl.row(), tl.column()), index(br.row(), br.column()), roles);
              } else if (!hits_->empty()) {
                Q_EMIT dataChanged(index(0, tl.column()), index(rowCount() - 1, br.column()), roles);
              }
            });
    connect(table_, &QAbstractItemModel::headerDataChanged, this, &QAbstractItemModel::headerDataChanged);
  }
  endResetModel();
}

void RecordFilterModel::setFilter(std::shared_ptr<const std::vector<std::uint64_t>> hits) {
  beginResetModel();
  hits_ = std::move(hits);
  own_.reset();
  endResetModel();
}

void RecordFilterModel::clearFilter() {
  if (!hits_) return;
  beginResetModel();
  hits_.reset();
  own_.reset();
  endResetModel();
}

std::vector<std::uint64_t>& RecordFilterModel::ownHits() {
  if (!own_) {
    own_ = std::make_shared<std::vector<std::uint64_t>>(*hits_);
    hits_ = own_;
  }
  return *own_;
}

void RecordFilterModel::setMember(std::uint64_t number, bool member) {
  if (!hits_ || number == 0) return;
  const auto it = std::lower_bound(hits_->begin(), hits_->end(), number);
  const bool there = it != hits_->end() && *it == number;
  if (there == member) return;
  const int row = static_cast<int>(it - hits_->begin());
  if (member) {
    if (number > static_cast<std::uint64_t>(table_->rowCount()) || row >= static_cast<int>(RecordTableModel::kMaxRows)) return;
    beginInsertRows({}, row, row);
    auto& own = ownHits();
    own.insert(own.begin() + row, number);
    endInsertRows();
  } else {
    if (row >= rowCount()) {  // past what the view shows: nothing to remove from it
      ownHits().erase(ownHits().begin() + row);
      return;
    }
    beginRemoveRows({}, row, row);
    auto& own = ownHits();
    own.erase(own.begin() + row);
    endRemoveRows();
  }
}

std::uint64_t RecordFilterModel::recordAt(int row) const {
  if (row < 0 || row >= rowCount()) return 0;
  return hits_ ? (*hits_)[static_cast<std::size_t>(row)] : static_cast<std::uint64_t>(row) + 1;
}

int RecordFilterModel::rowOf(std::uint64_t number) const {
  if (!hits_) return number >= 1 && number <= static_cast<std::uint64_t>(rowCount()) ? static_cast<int>(number - 1) : -1;
  const auto it = std::lower_bound(hits_->begin(), hits_->end(), number);
  if (it == hits_->end() || *it != number) return -1;
  return static_cast<int>(it - hits_->begin());
}

QModelIndex RecordFilterModel::index(int row, int column, const QModelIndex& parent) const {
  if (parent.isValid() || row < 0 || column < 0 || row >= rowCount() || column >= columnCount()) return {};
  return createIndex(row, column);
}

QModelIndex RecordFilterModel::parent(const QModelIndex&) const { return {}; }

int RecordFilterModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid() || !table_) return 0;
  if (hits_) return static_cast<int>(std::min<std::size_t>(hits_->size(), RecordTableModel::kMaxRows));
  return table_->rowCount();
}

int RecordFilterModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() || !table_ ? 0 : table_->columnCount();
}

QModelIndex RecordFilterModel::mapToSource(const QModelIndex& proxy) const {
  if (!proxy.isValid() || !table_) return {};
  const std::uint64_t number = recordAt(proxy.row());
  if (number == 0 || number > static_cast<std::uint64_t>(table_->rowCount())) return {};
  return table_->index(table_->rowOf(number), proxy.column());
}

QModelIndex RecordFilterModel::mapFromSource(const QModelIndex& source) const {
  if (!source.isValid()) return {};
  const int row = rowOf(table_->recordAt(source.row()));
  return row < 0 ? QModelIndex() : index(row, source.column());
}

QVariant RecordFilterModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (!table_) return {};
  if (orientation == Qt::Horizontal) return table_->headerData(section, orientation, role);
  if (role == Qt::DisplayRole) return QVariant::fromValue<qulonglong>(recordAt(section));
  return {};
}

}  // namespace marcscope::ui
