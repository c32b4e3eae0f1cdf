#pragma once
// The record table: one row per record indexed so far (rows are inserted in batches as the
// index grows), then one per record added in the session (New Record), columns picked from the record by the engine's field specs (FieldPath). data()
// fetches a record from the mapped file through a small LRU cache of rows; nothing here reads
// MARC itself.

#include <QAbstractTableModel>
#include <QStringList>

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "marcscope/search/extract.h"

namespace marcscope::ui {

class FileSession;

class RecordTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum class ColumnKind { Number, Spec, Encoding, Status };
  struct Column {
    QString title;
    ColumnKind kind = ColumnKind::Spec;
    std::optional<FieldPath> path;
  };
  /// The default columns: No., 001, Type (LDR/06-07), Title (245$a), Main entry (1XX$a),
  /// Date (008/07-10), Encoding, Status.
  static std::vector<Column> defaultColumns();
  /// A column showing `spec` (245$a, 1XX$a, LDR/06, 008/35-37). Throws std::invalid_argument.
  static Column specColumn(const QString& spec, const QString& title = {});

  explicit RecordTableModel(FileSession* session, QObject* parent = nullptr);

  /// Rows for every record indexed so far and every record added (rows are inserted at the end
  /// as the index grows or a record is added, and removed there when an addition is undone).
  void syncRows();
  std::uint64_t recordAt(int row) const { return static_cast<std::uint64_t>(row) + 1; }
  int rowOf(std::uint64_t number) const { return static_cast<int>(number) - 1; }

  const std::vector<Column>& columns() const { return columns_; }
  void setColumns(std::vector<Column> columns);
  void addColumn(Column column);
  /// The spec of every Spec column, for settings.
  QStringList columnSpecs() const;

  /// Validation arrived: the Status column shows worst severities.
  void refreshStatus();
  /// Record `number` was edited, deleted (or that undone): its row shows it as the session has it now.
  void recordChanged(std::uint64_t number);
  /// Records `first` to `last` changed (many deleted at once): one signal for the rows between.
  void recordsChanged(std::uint64_t first, std::uint64_t last);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  /// Largest number of rows a table view can hold (QTableView's pixel positions are int).
  static constexpr std::uint64_t kMaxRows = 60'000'000;

 private:
  struct Row {
    std::vector<QString> values;  ///< one per Spec column (others empty)
    bool unreadable = false;
    std::uint8_t status = 0;  ///< RecordStatus bits of the fetch
    QString error;  ///< the file could not be read (changed since it was opened)
  };
  const Row& row(std::uint64_t number) const;
  /// Drops record `number`'s row from the cache.
  void forget(std::uint64_t number);

  FileSession* session_;
  std::vector<Column> columns_;
  int rows_ = 0;
  static constexpr std::size_t kCacheRows = 2048;
  mutable std::list<std::uint64_t> lru_;
  mutable std::unordered_map<std::uint64_t, std::pair<Row, std::list<std::uint64_t>::iterator>> cache_;
};

}  // namespace marcscope::ui
