#pragma once
// One Apply in the record editor as an undoable step: record `number` of a session goes from
// one version (the file's, or an earlier edit) to the next.

#include <QUndoCommand>

#include <cstdint>
#include <optional>

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

}  // namespace marcscope::ui
