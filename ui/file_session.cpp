#include "file_session.h"

#include <QFileInfo>
#include <QStringList>
#include <QMetaObject>
#include <QPointer>

#include <algorithm>
#include <chrono>
#include <iterator>

#include "findings_model.h"
#include "marcscope/validate/validation.h"

namespace marcscope::ui {

QString jobName(JobKind kind) {
  switch (kind) {
    case JobKind::Index: return QObject::tr("Indexing");
    case JobKind::Validate: return QObject::tr("Validating");
    case JobKind::Statistics: return QObject::tr("Counting fields");
    case JobKind::Search: return QObject::tr("Searching");
    case JobKind::Export: return QObject::tr("Exporting");
  }
  return {};
}

FileSession::FileSession(const QString& path, std::shared_ptr<Executor> executor, QObject* parent,
                         std::shared_ptr<const Validator> validator, const QString& rules)
    : QObject(parent), path_(path), executor_(std::move(executor)), configured_(std::move(validator)), configured_rules_(rules) {
  if (!configured_) configured_ = std::make_shared<const Validator>();
  ReadOptions options;
  options.executor = executor_;
  file_ = RecordFile::open(path.toStdString(), options);
  if (!file_) throw std::runtime_error("opening was stopped");
  worker_ = std::thread([this] { workerLoop(); });
  connect(this, &FileSession::changed, this, &FileSession::countChanges);
}

FileSession::~FileSession() {
  {
    std::lock_guard lock(mutex_);
    shutdown_ = true;
    queue_.clear();
    current_stop_.request_stop();
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

QString FileSession::displayName() const { return QFileInfo(path_).fileName(); }

void FileSession::post(std::function<void()> f) {
  QMetaObject::invokeMethod(this, std::move(f), Qt::QueuedConnection);
}

JobControl FileSession::makeControl(JobKind kind, std::stop_token stop) {
  JobControl control;
  control.stop = std::move(stop);
  control.progress_interval = std::chrono::milliseconds(150);
  const std::uint64_t total = file_->size();
  control.progress = [this, kind, total](const Progress& p) {
    const quint64 records = p.records, bytes = p.bytes;
    const quint64 all = p.total_bytes ? *p.total_bytes : total;
    post([this, kind, records, bytes, all] { Q_EMIT jobProgress(kind, records, bytes, all); });
  };
  return control;
}

void FileSession::enqueue(Job job, bool urgent) {
  {
    std::lock_guard lock(mutex_);
    if (shutdown_) return;
    ++pending_;
    if (urgent) queue_.push_front(std::move(job));
    else queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void FileSession::workerLoop() {
  for (;;) {
    Job job;
    std::stop_token stop;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return shutdown_ || !queue_.empty(); });
      if (shutdown_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      current_stop_ = std::stop_source();
      stop = current_stop_.get_token();
      running_ = true;
      running_kind_ = job.kind;
    }
    const JobKind kind = job.kind;
    post([this, kind] { Q_EMIT jobStarted(kind); });
    if (gate_) gate_(kind, true, stop);
    const JobControl control = makeControl(kind, stop);
    try {
      job.run(control);
    } catch (const std::exception& e) {
      const QString message = QString::fromUtf8(e.what());
      post([this, kind, message] { Q_EMIT jobFailed(kind, message); });
    } catch (...) {
      post([this, kind] { Q_EMIT jobFailed(kind, tr("unexpected error")); });
    }
    const bool cancelled = stop.stop_requested();
    {
      std::lock_guard lock(mutex_);
      running_ = false;
    }
    // Posted after the job's results, so a GUI that sees the session idle has them all.
    post([this, kind, cancelled] {
      --pending_;
      Q_EMIT jobFinished(kind, cancelled);
      if (pending_ == 0) Q_EMIT idle();
    });
  }
}

bool FileSession::busy() const { return pending_ > 0; }

JobKind FileSession::currentJob() const {
  std::lock_guard lock(mutex_);
  return running_kind_;
}

void FileSession::cancelAll() {
  std::size_t dropped;
  {
    std::lock_guard lock(mutex_);
    dropped = queue_.size();
    queue_.clear();
    current_stop_.request_stop();
  }
  pending_ -= static_cast<int>(dropped);
  if (dropped && pending_ == 0) Q_EMIT idle();
}

std::unique_ptr<RecordReader> FileSession::wholeFile(void (*prepare)(ReadOptions&)) const {
  // The whole mapping read again on the pipeline, stage 1 included, so that what it says about
  // record boundaries is in the report (reading the indexed spans would not say it again); its
  // record numbers are the index's.
  ReadOptions o = file_->options();
  o.format = file_->format();
  if (prepare) prepare(o);
  return RecordReader::open(file_->mapping().source(AccessHint::Sequential), o);
}

void FileSession::startAll() {
  startIndex();
  startValidation();
  startStatistics();
}

void FileSession::startIndex() {
  Job job{JobKind::Index, 0, {}};
  job.run = [this](const JobControl& control) {
    auto last = std::chrono::steady_clock::now();
    bool first = true;
    auto grew = [this, &last, &first, &control](Batch&) {
      // The first rows at once, then no more often than every 100 ms.
      const auto now = std::chrono::steady_clock::now();
      if (first || now - last >= std::chrono::milliseconds(100)) {
        first = false;
        last = now;
        const quint64 n = file_->index().size();
        post([this, n] { Q_EMIT indexGrew(n); });
        if (gate_) gate_(JobKind::Index, false, control.stop);
      }
      return true;
    };
    const ReadSummary summary = file_->build_index(control, grew);
    const quint64 n = file_->index().size();
    post([this, n] { Q_EMIT indexGrew(n); });
    if (!summary.not_marc.empty()) throw NotMarcError(summary.not_marc);
  };
  enqueue(std::move(job));
}

void FileSession::startValidation() {
  const std::uint64_t generation = ++validation_generation_;
  Job job{JobKind::Validate, generation, {}};
  job.run = [this, validator = configured_, rules = configured_rules_, generation](const JobControl& control) {
    auto reader = wholeFile(read_for_validation);
    ReportOptions options;
    options.keep_findings = true;
    auto report = std::make_shared<FileReport>(validate_all(*reader, validator.get(), options, control));
    report->file = file_->name();
    const bool partial = control.stop.stop_requested();
    auto groups = FindingsModel::group(*report);
    post([this, report, groups, partial, validator, rules, generation] {
      if (generation != validation_generation_) return;  // settings changed since: a newer validation follows
      report_ = report;
      groups_ = groups;
      validation_partial_ = partial;
      validator_ = validator;
      validator_rules_ = rules;
      Q_EMIT validationReady();
    });
  };
  enqueue(std::move(job));
}

void FileSession::setValidator(std::shared_ptr<const Validator> validator, const QString& rules) {
  if (!validator) return;
  configured_ = std::move(validator);
  configured_rules_ = rules;
  std::size_t dropped = 0;
  {
    std::lock_guard lock(mutex_);
    const auto before = queue_.size();
    std::erase_if(queue_, [](const Job& j) { return j.kind == JobKind::Validate; });
    dropped = before - queue_.size();
    if (running_ && running_kind_ == JobKind::Validate) current_stop_.request_stop();
  }
  pending_ -= static_cast<int>(dropped);
  for (const auto& [number, record] : edits_) recheck(number);
  Q_EMIT validatorChanged();
  Q_EMIT changed();
  startValidation();
}

void FileSession::startStatistics() {
  Job job{JobKind::Statistics, 0, {}};
  job.run = [this](const JobControl& control) {
    auto reader = wholeFile();
    auto stats = std::make_shared<Statistics>(collect_statistics(*reader, control));
    const bool partial = control.stop.stop_requested();
    post([this, stats, partial] {
      file_statistics_ = stats;
      file_statistics_partial_ = partial;
      countChanges();
    });
  };
  enqueue(std::move(job));
}

void FileSession::countChanges() {
  if (!file_statistics_) return;  // the whole-file pass counts them when it has finished
  const std::uint64_t generation = ++statistics_generation_;
  latest_statistics_->store(generation);
  if (!hasChanges() || file_statistics_partial_) {
    statistics_ = file_statistics_;
    statistics_changes_.clear();
    Q_EMIT statisticsReady();
    return;
  }
  // What the file holds of the changed records is read again on the worker and taken away;
  // the records as they are now are added.
  std::vector<std::uint64_t> originals;
  auto now = std::make_shared<std::vector<Record>>();
  std::uint64_t n_edited = 0, n_added = 0, n_removed = 0;
  const std::uint64_t indexed = indexedCount();
  for (const std::uint64_t n : changedRecords()) {
    const bool gone = isDeleted(n);
    if (n <= indexed) {
      originals.push_back(n);
      gone ? ++n_removed : ++n_edited;
    } else if (!gone) {
      ++n_added;
    }
    if (!gone)
      if (const Record* r = edited(n)) now->push_back(*r);
  }
  QStringList parts;
  if (n_edited) parts << tr("%1 edited").arg(n_edited);
  if (n_added) parts << tr("%1 added").arg(n_added);
  if (n_removed) parts << tr("%1 deleted").arg(n_removed);
  const QString changes = parts.join(QStringLiteral(", "));
  Job job{JobKind::Statistics, generation, {}};
  job.run = [this, generation, latest = latest_statistics_, base = file_statistics_, originals = std::move(originals), now,
             changes](const JobControl& control) {
    if (latest->load() != generation) return;  // a later change has queued its own count
    Statistics before;
    if (!originals.empty()) {
      auto reader = file_->read(originals);
      before = collect_statistics(*reader, control);
      if (control.stop.stop_requested()) return;
    }
    auto shown = std::make_shared<Statistics>();
    shown->merge(*base);
    for (const Record& r : *now) shown->add(r, RecordStatus::kUtf8);
    shown->subtract(before);  // throws (the job fails, said in the status bar) if the file's pass missed any
    post([this, generation, shown, changes] {
      if (generation != statistics_generation_) return;
      statistics_ = shown;
      statistics_changes_ = changes;
      Q_EMIT statisticsReady();
    });
  };
  enqueue(std::move(job));
}

void FileSession::startExport(ExportOptions options, const QString& path) {
  Job job{JobKind::Export, 0, {}};
  auto shared = std::make_shared<ExportOptions>(std::move(options));
  job.run = [this, shared, path](const JobControl& control) {
    QString summary;
    bool ok = false;
    quint64 unwritten = 0;
    try {
      OutputFile out(path.toStdString());
      const ExportSummary s = export_records(*file_, *shared, out, control);
      ok = !s.cancelled;
      unwritten = s.unwritten;
      if (s.cancelled) {
        summary = tr("stopped: nothing was written");
      } else {
        summary = tr("%1 records written (%2 edited, %3 added, %4 unreadable copied byte for byte)")
                      .arg(s.written)
                      .arg(s.replaced)
                      .arg(s.appended)
                      .arg(s.copied);
        if (s.unwritten)
          summary += tr(". %1 unreadable records were NOT written: this format cannot hold them; "
                        "save as ISO 2709 (.mrc) from an ISO 2709 file to keep their bytes")
                         .arg(s.unwritten);
      }
    } catch (const std::exception& e) {
      summary = QString::fromUtf8(e.what());
    }
    post([this, path, ok, summary, unwritten] { Q_EMIT exportFinished(path, ok, summary, unwritten); });
  };
  enqueue(std::move(job));
}

void FileSession::startSplit(ExportOptions options, const QString& good, const QString& bad) {
  Job job{JobKind::Export, 0, {}};
  auto shared = std::make_shared<ExportOptions>(std::move(options));
  // The report as it is now (the GUI thread owns report_; a later validation replaces it).
  std::shared_ptr<const FileReport> report = report_;
  job.run = [this, shared, report, good, bad](const JobControl& control) {
    QString summary;
    bool ok = false;
    quint64 unwritten = 0;
    try {
      if (!report) throw std::invalid_argument("the file has not been validated yet");
      OutputFile g(good.toStdString()), b(bad.toStdString());
      const SplitSummary s = split_records(*file_, *report, *shared, g, b, control);
      ok = !s.good.cancelled;
      unwritten = s.bad.unwritten;
      if (!ok) {
        summary = tr("stopped: nothing was written");
      } else {
        summary = tr("%1 records without problems in %2; %3 with problems in %4")
                      .arg(s.good.written)
                      .arg(QFileInfo(good).fileName())
                      .arg(s.bad.written + s.bad.copied)
                      .arg(QFileInfo(bad).fileName());
        if (s.bad.copied) summary += tr(" (%1 unreadable, copied byte for byte)").arg(s.bad.copied);
        if (s.bad.unwritten)
          summary += tr(". %1 unreadable records were NOT written: this format cannot hold them; "
                        "split to ISO 2709 (.mrc) from an ISO 2709 file to keep their bytes")
                         .arg(s.bad.unwritten);
      }
    } catch (const std::exception& e) {
      summary = QString::fromUtf8(e.what());
    }
    post([this, good, ok, summary, unwritten] { Q_EMIT exportFinished(good, ok, summary, unwritten); });
  };
  enqueue(std::move(job));
}

void FileSession::startReportExport(ReportFormat format, const QString& path) {
  Job job{JobKind::Export, 0, {}};
  // The report and its validator as they are now (the GUI thread owns them; a later validation replaces them).
  std::shared_ptr<const FileReport> report = report_;
  std::shared_ptr<const Validator> validator = validator_;
  const bool partial = validation_partial_;
  const bool changes = hasChanges();
  job.run = [this, report, validator, format, path, partial, changes](const JobControl& control) {
    QString summary;
    bool ok = false;
    try {
      if (!report) throw std::invalid_argument("the file has not been validated yet");
      OutputFile out(path.toStdString());
      DescribedFindings done;
      if (format == ReportFormat::Csv) {
        done = write_findings_csv(*file_, *report, validator.get(), report->file, [&](std::string_view bytes) { out.write(bytes); },
                                  control);
      } else if (format == ReportFormat::Text) {
        out.write(text_summary(*report));
      } else {
        const FileReport full = with_every_finding(*file_, *report, validator.get(), control, &done.cancelled);
        done.count = report->findings.size();
        const std::vector<FileReport> reports{full};
        out.write(format == ReportFormat::Json ? json_report(reports) : html_report(reports));
      }
      if (done.cancelled) {
        summary = tr("stopped: nothing was written");
      } else {
        out.commit();
        ok = true;
        summary = format == ReportFormat::Text ? tr("validation summary written") : tr("%1 findings written").arg(done.count);
        if (partial) summary += tr(" (the validation was stopped before the end of the file)");
        if (changes) summary += tr(" (of the file as it is on disk: this session's edits, additions and deletions are not in the report)");
      }
    } catch (const std::exception& e) {
      summary = QString::fromUtf8(e.what());
    }
    post([this, path, ok, summary] { Q_EMIT exportFinished(path, ok, summary, 0); });
  };
  enqueue(std::move(job));
}

const Record* FileSession::edited(std::uint64_t number) const {
  const auto it = edits_.find(number);
  return it == edits_.end() ? nullptr : &it->second;
}

std::optional<Severity> FileSession::editedWorst(std::uint64_t number) const {
  const auto it = edited_findings_.find(number);
  if (it == edited_findings_.end() || it->second.empty()) return std::nullopt;
  return max_severity(it->second);
}

const Diagnostics* FileSession::editedFindings(std::uint64_t number) const {
  if (deleted_.count(number)) return nullptr;
  const auto it = edited_findings_.find(number);
  return it == edited_findings_.end() ? nullptr : &it->second;
}

void FileSession::recheck(std::uint64_t number) {
  const auto it = edits_.find(number);
  if (it == edits_.end()) {
    edited_findings_.erase(number);
    return;
  }
  // One record through the configured validator: well under a millisecond.
  Diagnostics diags;
  recordValidator().validate(it->second, number, 0, diags);
  edited_findings_[number] = std::move(diags);
}

void FileSession::setEdit(std::uint64_t number, std::optional<Record> record) {
  if (record) edits_[number] = std::move(*record);
  else if (isAdded(number)) return;  // an added record has no version in the file to go back to
  else edits_.erase(number);
  recheck(number);
  Q_EMIT recordEdited(number);
  Q_EMIT changed();
}

std::uint64_t FileSession::addRecord(Record record) {
  if (!indexComplete()) throw std::logic_error("records can be added once the file is indexed to its end");
  const std::uint64_t number = recordCount() + 1;
  edits_[number] = std::move(record);
  ++added_;
  recheck(number);
  Q_EMIT recordAdded(number);
  Q_EMIT changed();
  return number;
}

void FileSession::removeLastAdded() {
  if (added_ == 0) return;
  const std::uint64_t number = recordCount();
  --added_;
  edits_.erase(number);
  edited_findings_.erase(number);
  deleted_.erase(number);
  Q_EMIT addedRecordRemoved(number);
  Q_EMIT changed();
}

void FileSession::setDeleted(const std::vector<std::uint64_t>& numbers, bool deleted) {
  QList<quint64> changed_now;
  for (const std::uint64_t n : numbers) {
    if (n == 0 || n > recordCount()) continue;
    if (deleted ? deleted_.insert(n).second : deleted_.erase(n) != 0) changed_now << n;
  }
  if (changed_now.isEmpty()) return;
  std::sort(changed_now.begin(), changed_now.end());
  Q_EMIT recordsDeleted(changed_now, deleted);
  Q_EMIT changed();
}

std::vector<std::uint64_t> FileSession::changedRecords() const {
  std::vector<std::uint64_t> out;
  out.reserve(edits_.size() + deleted_.size());
  auto e = edits_.begin();
  auto d = deleted_.begin();
  while (e != edits_.end() || d != deleted_.end()) {
    if (d == deleted_.end() || (e != edits_.end() && e->first < *d)) out.push_back((e++)->first);
    else if (e == edits_.end() || *d < e->first) out.push_back(*d++);
    else {
      out.push_back(*d++);
      ++e;
    }
  }
  return out;
}

void FileSession::addChanges(ExportOptions& options) const {
  const std::uint64_t indexed = indexedCount();
  options.appended.clear();
  for (const auto& [number, record] : edits_) {
    if (number > indexed) options.appended.push_back(record);  // in number order: indexed + 1, + 2, ...
    else options.replacements[number] = record;
  }
  options.removed.insert(deleted_.begin(), deleted_.end());
}

bool FileSession::matches(const Matcher& matcher, std::uint64_t number) const {
  if (const Record* r = edited(number)) return matcher.matches(*r);
  if (number == 0 || number > indexedCount()) return false;
  try {
    const FetchedRecord fetched = file_->fetch(number);  // one record
    return !fetched.skipped && matcher.matches(fetched.record.record);
  } catch (const std::exception&) {
    return false;
  }
}

std::shared_ptr<const Hits> FileSession::withEdits(const Matcher& matcher, std::shared_ptr<const Hits> hits) const {
  if (edits_.empty() || !hits) return hits;
  // The search read the file; edited and added records are tested as they are now (a handful).
  std::vector<std::uint64_t> in, out;
  for (const auto& [number, record] : edits_) {
    const bool found = std::binary_search(hits->begin(), hits->end(), number);
    const bool match = matcher.matches(record);
    if (match && !found) in.push_back(number);
    if (!match && found) out.push_back(number);
  }
  if (in.empty() && out.empty()) return hits;
  auto fixed = std::make_shared<Hits>();
  fixed->reserve(hits->size() + in.size());
  std::set_difference(hits->begin(), hits->end(), out.begin(), out.end(), std::back_inserter(*fixed));
  const auto middle = static_cast<std::ptrdiff_t>(fixed->size());
  fixed->insert(fixed->end(), in.begin(), in.end());
  std::inplace_merge(fixed->begin(), fixed->begin() + middle, fixed->end());
  return fixed;
}

std::uint64_t FileSession::startSearch(const Query& query) {
  auto matcher = std::make_shared<const Matcher>(query);  // throws for a bad query, here on the GUI thread
  std::uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    generation = next_generation_++;
  }
  Job job{JobKind::Search, generation, {}};
  job.run = [this, matcher, generation](const JobControl& control) {
    std::uint64_t found = 0;
    auto last = std::chrono::steady_clock::now();
    auto hits = std::make_shared<Hits>(search(*file_, *matcher, control, [&](const std::vector<std::uint64_t>& more) {
      found += more.size();
      const auto now = std::chrono::steady_clock::now();
      if (now - last >= std::chrono::milliseconds(150)) {
        last = now;
        const quint64 n = found;
        post([this, generation, n] { Q_EMIT searchProgress(generation, n); });
      }
    }));
    const bool cancelled = control.stop.stop_requested();
    post([this, generation, matcher, hits, cancelled] {
      Q_EMIT searchFinished(generation, withEdits(*matcher, hits), cancelled);
    });
  };
  // Ahead of validation and statistics not yet started, behind an index that has not finished.
  {
    std::lock_guard lock(mutex_);
    if (shutdown_) return generation;
    ++pending_;
    auto at = queue_.begin();
    while (at != queue_.end() && at->kind == JobKind::Index) ++at;
    queue_.insert(at, std::move(job));
  }
  wake_.notify_one();
  return generation;
}

}  // namespace marcscope::ui
