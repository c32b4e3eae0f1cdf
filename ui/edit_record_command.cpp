#include "edit_record_command.h"

#include <QCoreApplication>

#include <algorithm>

#include "file_session.h"

namespace marcscope::ui {

EditRecordCommand::EditRecordCommand(FileSession* session, std::uint64_t number, Record after)
    : session_(session), number_(number), after_(std::move(after)) {
  if (const Record* now = session->edited(number)) before_ = *now;
  setText(QCoreApplication::translate("EditRecordCommand", "Edit Record %1").arg(number));
}

void EditRecordCommand::redo() { session_->setEdit(number_, after_); }

void EditRecordCommand::undo() { session_->setEdit(number_, before_); }

AddRecordCommand::AddRecordCommand(FileSession* session, Record record) : session_(session), record_(std::move(record)) {
  setText(QCoreApplication::translate("EditRecordCommand", "New Record %1").arg(session->recordCount() + 1));
}

void AddRecordCommand::redo() { number_ = session_->addRecord(record_); }

void AddRecordCommand::undo() {
  // What was typed into it since is undone before this (the stack is last in, first out).
  session_->removeLastAdded();
}

DeleteRecordsCommand::DeleteRecordsCommand(FileSession* session, std::vector<std::uint64_t> numbers)
    : session_(session) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  for (const std::uint64_t n : numbers)
    if (n >= 1 && n <= session->recordCount() && !session->isDeleted(n)) numbers_.push_back(n);
  if (numbers_.empty()) setText(QCoreApplication::translate("EditRecordCommand", "Delete Records"));
  else setText(numbers_.size() == 1 ? QCoreApplication::translate("EditRecordCommand", "Delete Record %1").arg(numbers_.front())
                               : QCoreApplication::translate("EditRecordCommand", "Delete %1 Records").arg(numbers_.size()));
}

void DeleteRecordsCommand::redo() { session_->setDeleted(numbers_, true); }

void DeleteRecordsCommand::undo() { session_->setDeleted(numbers_, false); }

}  // namespace marcscope::ui
