#pragma once
// The validation findings as a tree: one branch per kind of finding (severity, code and rule)
// with its count, worst first, and under it each finding (record, field, message). Built from
// the engine's FileReport (findings kept as 24-byte CompactFindings); a finding's message is
// rebuilt by the engine (describe_finding) only when its row is shown, and cached.

#include <QAbstractItemModel>
#include <QCache>

#include <cstdint>
#include <memory>
#include <vector>

#include "marcscope/validate/report.h"

namespace marcscope::ui {

class FileSession;

/// Findings of one kind: severity, code and rule, with the indices of its findings in the report.
struct FindingGroup {
  Severity severity;
  Code code;
  std::uint16_t rule;
  QString title;
  std::vector<std::uint32_t> members;
};

class FindingsModel : public QAbstractItemModel {
  Q_OBJECT

 public:
  enum Roles { RecordRole = Qt::UserRole + 1, FieldRole, GroupRole };
  enum Columns { FindingColumn, CountColumn, RecordColumn, FieldColumn, ColumnCount };

  using Group = FindingGroup;
  using Groups = std::vector<Group>;
  /// Groups a report's findings, worst kind first, then the most frequent (any thread: the
  /// session does it on its worker so that millions of findings do not stall the GUI).
  static std::shared_ptr<const Groups> group(const FileReport& report);

  explicit FindingsModel(FileSession* session, QObject* parent = nullptr);

  /// Takes the session's current report (after validationReady).
  void reload();
  std::uint64_t totalFindings() const { return report_ ? report_->findings.size() : 0; }
  int groupCount() const { return static_cast<int>(groups_->size()); }
  /// Findings of group `g` (indices into the report's findings), for tests and "filter by finding".
  const std::vector<std::uint32_t>& groupMembers(int g) const { return groups()[static_cast<std::size_t>(g)].members; }
  const CompactFinding* finding(const QModelIndex& index) const;

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  QString message(std::uint32_t member) const;

  FileSession* session_;
  std::shared_ptr<const FileReport> report_;
  const Groups& groups() const { return *groups_; }
  std::shared_ptr<const Groups> groups_ = std::make_shared<const Groups>();
  mutable QCache<std::uint32_t, QString> messages_{4096};
};

}  // namespace marcscope::ui
