#pragma once
// The session's changes as undoable steps: one Apply in the record editor (record `number` goes
// from one version, the file's or an earlier edit, to the next), a record added (Edit → New
// Record) and records marked deleted (Edit → Delete Records).

#include <QUndoCommand>

#include <cstdint>
#include <optional>
#include <vector>

#include "marcscope/model/record.h"

namespace marcscope::ui {

class FileSession;

class EditRecordCommand : public QUndoCommand {
 public:
  /// Takes the record's version in `session` now as the one undo() returns to.
  EditRecordCommand(FileSession* session, std::uint64_t number, Record after);

  void redo() override;
  void undo() override;

 private:
  FileSession* session_;
  std::uint64_t number_;
  std::optional<Record> before_;  ///< nullopt: as the file has it
  Record after_;
};

/// Appends a record to the session; undo takes it away again. Commands are undone last first,
/// so the record undone is always the last one added, and redo gives it the same number.
class AddRecordCommand : public QUndoCommand {
 public:
  AddRecordCommand(FileSession* session, Record record);

  void redo() override;
  void undo() override;
  /// The number the record has in the session (0 before the first redo()).
  std::uint64_t number() const { return number_; }

 private:
  FileSession* session_;
  Record record_;
  std::uint64_t number_ = 0;
};

/// Marks records deleted; undo brings back those this command marked.
class DeleteRecordsCommand : public QUndoCommand {
 public:
  /// `numbers`: the records to delete (those already deleted are left to the command that did it).
  DeleteRecordsCommand(FileSession* session, std::vector<std::uint64_t> numbers);

  void redo() override;
  void undo() override;
  /// The records this command deletes (may be empty: nothing to do).
  const std::vector<std::uint64_t>& numbers() const { return numbers_; }

 private:
  FileSession* session_;
  std::vector<std::uint64_t> numbers_;
};

}  // namespace marcscope::ui
