#include "edit_record_command.h"

#include <QCoreApplication>

#include "file_session.h"

namespace marcscope::ui {

EditRecordCommand::EditRecordCommand(FileSession* session, std::uint64_t number, Record after)
    : session_(session), number_(number), after_(std::move(after)) {
  if (const Record* now = session->edited(number)) before_ = *now;
  setText(QCoreApplication::translate("EditRecordCommand", "Edit Record %1").arg(number));
}

void EditRecordCommand::redo() { session_->setEdit(number_, after_); }

void EditRecordCommand::undo() { session_->setEdit(number_, before_); }

}  // namespace marcscope::ui
