#pragma once
// The validation findings as a tree: one branch per kind of finding (severity, code and rule)
// with its count, worst first, and under it each finding (record, field, message). Built from
// the engine's FileReport (findings kept as 24-byte CompactFindings); a finding's message is
// rebuilt by the engine (describe_finding) only when its row is shown, and cached.
//
// Records edited, added or deleted in the session are laid over the report: their findings in
// the report are left out, and those of an edited or added record are what validating it as it
// is now found (FileSession::editedFindings). A branch is a few runs of the report's findings
// (cut where a changed record's were) and of the changed records' own, so a change costs a
// binary search per branch and changed record, never a pass over the report.

#include <QAbstractItemModel>
#include <QCache>

#include <cstdint>
#include <memory>
#include <vector>

#include "marcscope/validate/report.h"

namespace marcscope::ui {

class FileSession;

/// Findings of one kind: severity, code and rule, with the indices of its findings in the report
/// (in record order).
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

  /// Takes the session's current report (after validationReady), with the session's changes over it.
  void reload();
  /// Lays the session's changes over the report again (after an edit, addition, deletion or undo).
  void refresh();
  /// Findings shown (the report's, less those of changed records, plus theirs).
  std::uint64_t totalFindings() const { return total_; }
  int groupCount() const { return static_cast<int>(shown_.size()); }
  /// The records with a finding of group `g`, in order (the filter by finding).
  std::vector<std::uint64_t> groupRecords(int g) const;
  /// The kind of group `g`, and whether record `number` as the session has it now has a finding
  /// of that kind (what keeps a filter by finding right as records are edited).
  struct Kind {
    Severity severity = Severity::Info;
    Code code = Code::NotMarc;
    std::uint16_t rule = 0;
    bool operator==(const Kind&) const = default;
  };
  Kind groupKind(int g) const;
  bool hasFinding(std::uint64_t number, const Kind& kind) const;
  const CompactFinding* finding(const QModelIndex& index) const;

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  /// A finding of a changed record, from validating it as the session has it.
  struct Extra {
    CompactFinding finding;
    QString message;
  };
  /// A branch as shown: runs of a report group's members and of extras, in record order.
  struct Shown {
    int base = -1;  ///< its group in the report, or -1 (a kind only changed records have)
    Kind kind;
    QString title;
    struct Run {
      std::uint32_t row;  ///< first row of the run in the branch
      bool extra;         ///< from extras_ (else positions in the report group's members)
      std::uint32_t from, to;
    };
    std::vector<Run> runs;
    std::uint32_t count = 0;
  };

 private:
  QString message(std::uint32_t member) const;
  /// The run holding row `row` of branch `g`, and the position it names.
  std::pair<const Shown::Run*, std::uint32_t> locate(std::size_t g, int row) const;
  void build();

  FileSession* session_;
  std::shared_ptr<const FileReport> report_;
  std::shared_ptr<const Groups> base_ = std::make_shared<const Groups>();
  std::vector<Shown> shown_;
  std::vector<Extra> extras_;  ///< by kind, then record
  std::uint64_t total_ = 0;
  mutable QCache<std::uint32_t, QString> messages_{4096};
};

}  // namespace marcscope::ui
