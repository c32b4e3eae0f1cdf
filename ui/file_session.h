#pragma once
// One open file: the engine's RecordFile and a queue of background jobs over it (index first,
// then validation and statistics; searches go before what has not started yet). Jobs run one at
// a time on the session's worker thread, each on the app's shared executor (every core), with a
// stop source, a generation number and progress posted to the GUI thread as queued signals no
// more often than every 150 ms. Results are handed over on the GUI thread and owned there.

#include <QObject>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>
#include <vector>

#include "marcscope/core/executor.h"
#include "marcscope/read/record_file.h"
#include "marcscope/search/query.h"
#include "marcscope/stats/statistics.h"
#include "marcscope/validate/report.h"
#include "marcscope/validate/validator.h"
#include "marcscope/write/export.h"

namespace marcscope::ui {

enum class JobKind { Index, Validate, Statistics, Search, Export };
QString jobName(JobKind kind);

struct FindingGroup;

/// Record numbers found by a search, in order.
using Hits = std::vector<std::uint64_t>;

class FileSession : public QObject {
  Q_OBJECT

 public:
  /// Opens `path`. Throws what RecordFile::open throws (IoError, NotMarcError, std::exception).
  /// `validator` checks the file and its edits (null: the engine's defaults, the marc21 profile);
  /// `rules` names its settings for the status bar.
  FileSession(const QString& path, std::shared_ptr<Executor> executor, QObject* parent = nullptr,
              std::shared_ptr<const Validator> validator = nullptr, const QString& rules = QStringLiteral("marc21"));
  ~FileSession() override;

  QString path() const { return path_; }
  QString displayName() const;
  const RecordFile& file() const { return *file_; }
  std::uint64_t indexedCount() const { return file_->index().size(); }
  bool indexComplete() const { return file_->index().complete(); }
  /// The validator of the validation whose report() is shown (null before the first has finished).
  const Validator* validator() const { return validator_.get(); }
  /// The name of that validator's settings ("oclc (changed)"); empty before the first validation.
  QString validatorRules() const { return validator_rules_; }
  /// The validator for what is validated from now on (never null).
  std::shared_ptr<const Validator> configuredValidator() const { return configured_; }
  QString configuredRules() const { return configured_rules_; }
  /// Validates with `validator` from now on: a validation queued or running with the one before
  /// is dropped, the file is validated again in the background, and edited records are checked
  /// again at once.
  void setValidator(std::shared_ptr<const Validator> validator, const QString& rules);

  /// For tests: called on the worker thread as each job starts (`started`, after jobStarted was
  /// posted) and after each batch the index job publishes (after indexGrew was posted), with the
  /// job's stop token. A test holds the job there until the GUI thread has acted on the signal
  /// just posted, so that what it checks does not hang on how the threads are scheduled. Set it
  /// while no job runs (FileView's `start` false, then startAll()).
  using JobGate = std::function<void(JobKind kind, bool started, const std::stop_token& stop)>;
  void setJobGate(JobGate gate) { gate_ = std::move(gate); }

  /// Queues the index, then validation and statistics (what opening a file does).
  void startAll();
  void startIndex();
  void startValidation();
  void startStatistics();
  /// Queues a search ahead of jobs that have not started; returns its generation (the number
  /// searchFinished carries). Throws std::invalid_argument for a query the engine refuses.
  std::uint64_t startSearch(const Query& query);
  /// Queues writing records to `path` (the engine's export_records: a selection, edits).
  void startExport(ExportOptions options, const QString& path);
  /// Queues the engine's split_records: records without problems in the latest complete
  /// validation to `good`, the others (and unreadable ones) to `bad`; format by `options`.
  /// Reports through exportFinished (with `good` as the path).
  void startSplit(ExportOptions options, const QString& good, const QString& bad);
  /// Queues writing the latest validation's report to `path`: CSV with every finding (the
  /// engine's write_findings_csv, the columns of `validate --format csv`), JSON or HTML listing
  /// every finding, or the text summary. The messages are rebuilt on the worker by reading the
  /// file again as the validation did (the engine's describe_findings). The report is of the
  /// file on disk: edits not saved are not in it, and the summary says so. Reports through
  /// exportFinished; stopped, nothing is written.
  void startReportExport(ReportFormat format, const QString& path);

  /// Records edited or added in this session (record number -> the record as it is now), shown
  /// in place of what the file holds and written by Save As; the file itself is never changed
  /// (GUI thread, as everything about edits, additions and deletions).
  const std::map<std::uint64_t, Record>& edits() const { return edits_; }
  /// The edited or added record `number`, or null when it is as the file has it.
  const Record* edited(std::uint64_t number) const;
  /// The worst severity validating the edited or added record `number` found (nullopt: none or no edit).
  std::optional<Severity> editedWorst(std::uint64_t number) const;
  /// What the validator finds in the edited or added record `number` (null: no edit, or deleted,
  /// whose findings are no longer shown).
  const Diagnostics* editedFindings(std::uint64_t number) const;
  /// Replaces record `number` by `record` (nullopt: back to what the file holds; ignored for an
  /// added record); emits recordEdited.
  void setEdit(std::uint64_t number, std::optional<Record> record);

  /// Records added (Edit → New Record) are numbered after the file's: possible once the index is
  /// complete, so their numbers never move.
  std::uint64_t addedCount() const { return added_; }
  /// The file's records and the added ones.
  std::uint64_t recordCount() const { return indexedCount() + added_; }
  bool isAdded(std::uint64_t number) const { return number > indexedCount() && number <= recordCount(); }
  /// Appends `record` as record recordCount() + 1 and returns its number; emits recordAdded.
  /// Throws std::logic_error when the index is not complete.
  std::uint64_t addRecord(Record record);
  /// Takes the last added record away again (undoing New Record); emits addedRecordRemoved.
  void removeLastAdded();

  /// Records marked deleted: shown struck out, left out by Save As, Export and Split.
  const std::set<std::uint64_t>& deleted() const { return deleted_; }
  bool isDeleted(std::uint64_t number) const { return deleted_.count(number) != 0; }
  /// Marks `numbers` deleted (or not); emits recordsDeleted with those whose mark changed.
  void setDeleted(const std::vector<std::uint64_t>& numbers, bool deleted);
  /// Anything edited, added or deleted.
  bool hasChanges() const { return !edits_.empty() || !deleted_.empty(); }
  /// Records whose findings and search matches come from the session rather than the file's
  /// validation and index (edited, added and deleted ones), in order.
  std::vector<std::uint64_t> changedRecords() const;
  /// Puts the session's changes into `options`: edits as replacements, added records as
  /// appended, deleted ones as removed (what Save As, Export and Split write).
  void addChanges(ExportOptions& options) const;
  /// Whether record `number` as the session has it now (edited, added, or the file's) matches.
  bool matches(const Matcher& matcher, std::uint64_t number) const;
  /// The validator for one record at a time (the editor's check as you type): the configured one.
  const Validator& recordValidator() const { return *configured_; }
  /// Stops the running job and drops the queued ones.
  void cancelAll();
  /// A job is queued or running, or its results are not yet delivered (GUI thread).
  bool busy() const;
  JobKind currentJob() const;

  /// Results, on the GUI thread: null until their job has finished.
  std::shared_ptr<const FileReport> report() const { return report_; }
  /// The statistics of the file as the session has it now: the whole-file pass's aggregate
  /// with edited, added and deleted records counted as they are now (worked out in the
  /// background after each change, by reading the changed records' old versions again and
  /// taking them away: statisticsReady follows). Edited and added records count as UTF-8, as
  /// Save As writes them.
  std::shared_ptr<const Statistics> statistics() const { return statistics_; }
  /// The aggregate of the file on disk (the whole-file pass alone).
  std::shared_ptr<const Statistics> fileStatistics() const { return file_statistics_; }
  /// What statistics() counts beyond the file, for the user ("3 edited, 1 deleted"); empty when
  /// nothing (an aggregate stopped before the end takes no changes in).
  QString statisticsChanges() const { return statistics_changes_; }
  /// The report's findings grouped by kind for the findings tree (made on the worker).
  std::shared_ptr<const std::vector<FindingGroup>> findingGroups() const { return groups_; }
  /// True when the last validation or statistics pass was stopped before the end.
  bool validationPartial() const { return validation_partial_; }

 Q_SIGNALS:
  void indexGrew(quint64 records);
  void jobStarted(marcscope::ui::JobKind kind);
  void jobProgress(marcscope::ui::JobKind kind, quint64 records, quint64 bytes, quint64 totalBytes);
  /// `cancelled`: stopped before the end. Sent for every job that started.
  void jobFinished(marcscope::ui::JobKind kind, bool cancelled);
  void jobFailed(marcscope::ui::JobKind kind, const QString& message);
  void validationReady();
  void statisticsReady();
  void searchProgress(quint64 generation, quint64 hitsSoFar);
  void searchFinished(quint64 generation, std::shared_ptr<const marcscope::ui::Hits> hits, bool cancelled);
  /// An export ended: what was written, or why not; `unwritten` unreadable records the format
  /// could not hold were left out.
  void exportFinished(const QString& path, bool ok, const QString& summary, quint64 unwritten);
  /// Nothing running or queued.
  void idle();
  /// Record `number` was edited, or its edit undone.
  void recordEdited(quint64 number);
  /// setValidator() was called: what is checked one record at a time may read differently now.
  void validatorChanged();
  /// Record `number` was added (it is recordCount() now).
  void recordAdded(quint64 number);
  /// The added record `number` was taken away (undo of New Record).
  void addedRecordRemoved(quint64 number);
  /// These records (in order) were marked deleted (`deleted`) or no longer.
  void recordsDeleted(const QList<quint64>& numbers, bool deleted);
  /// Any of the above: what the findings and the table show from the session may differ now.
  void changed();

 private:
  JobGate gate_;  ///< tests only (setJobGate); read by the worker, set while it is idle
  struct Job {
    JobKind kind;
    std::uint64_t generation;
    std::function<void(const JobControl&)> run;  ///< on the worker thread
  };
  void enqueue(Job job, bool urgent = false);
  void workerLoop();
  JobControl makeControl(JobKind kind, std::stop_token stop);
  /// Runs `f` on the GUI thread (queued), dropped if the session is gone by then.
  void post(std::function<void()> f);
  /// `prepare` adjusts the reading options (read_for_validation).
  std::unique_ptr<RecordReader> wholeFile(void (*prepare)(ReadOptions&) = nullptr) const;

  QString path_;
  std::shared_ptr<Executor> executor_;
  std::shared_ptr<RecordFile> file_;
  std::shared_ptr<const Validator> validator_;    ///< of report_
  QString validator_rules_;
  std::shared_ptr<const Validator> configured_;   ///< for what is validated from now on
  QString configured_rules_;
  std::uint64_t validation_generation_ = 0;       ///< of the latest validation queued (GUI thread); older results are dropped
  /// Validates the session's version of record `number` into edited_findings_.
  void recheck(std::uint64_t number);
  /// `hits` with the session's edited and added records tested anew (GUI thread).
  std::shared_ptr<const Hits> withEdits(const Matcher& matcher, std::shared_ptr<const Hits> hits) const;

  std::map<std::uint64_t, Record> edits_;
  std::map<std::uint64_t, Diagnostics> edited_findings_;
  std::uint64_t added_ = 0;
  std::set<std::uint64_t> deleted_;
  std::shared_ptr<const FileReport> report_;
  std::shared_ptr<const std::vector<FindingGroup>> groups_;
  std::shared_ptr<const Statistics> statistics_;       ///< shown: file_statistics_ with the changes
  std::shared_ptr<const Statistics> file_statistics_;  ///< of the file on disk
  bool file_statistics_partial_ = false;
  QString statistics_changes_;
  std::uint64_t statistics_generation_ = 0;  ///< of the latest change counted (GUI thread)
  /// The generation a changes job must still have to be worth running (read on the worker).
  std::shared_ptr<std::atomic<std::uint64_t>> latest_statistics_ = std::make_shared<std::atomic<std::uint64_t>>(0);
  /// Queues counting the session's changes into statistics_ (or shows the file's when there are none).
  void countChanges();
  bool validation_partial_ = false;
  int pending_ = 0;  ///< jobs queued or running whose jobFinished the GUI thread has not seen (GUI thread only)

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool running_ = false;
  JobKind running_kind_ = JobKind::Index;
  std::stop_source current_stop_;
  bool shutdown_ = false;
  std::uint64_t next_generation_ = 1;
  std::thread worker_;
};

}  // namespace marcscope::ui
