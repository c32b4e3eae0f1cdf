// Reading from Python: one Reader over a path, bytes or a file object, iterated record by record
// (pymarc's MARCReader) or in batches (read_batch).
//
//   path / bytes   RecordReader::open: the pipeline runs ahead on the process's executor on a
//                  background thread (memory bounded by its queue); threads=1 instead feeds the
//                  push Decoder from the file on the calling thread, one core and nothing ahead.
//   file object    the push Decoder: chunks of `chunk_size` (1 MiB) read with the file's
//                  readinto()/read() with the GIL held, decoded with it released.
//
// Records of one engine batch are handed over one by one; a Python Record is made only when it is
// handed over (and its fields later, when asked for: py_types.h).
//
// GIL and threads: the GIL is released while the engine reads and decodes a batch and re-taken to
// make Python objects. A reader may be shared between Python threads: a mutex serialises its use,
// always taken with the GIL released (mutex first, then GIL), so a thread waiting for the reader
// never holds the GIL that the reader's current user needs. Each record goes to one caller.
//
// Signals: a read that waits for an idle writer (a pipe, a FIFO, standard input given as a path)
// wakes every 50 ms to run Python's signal handlers, so Ctrl-C raises KeyboardInterrupt there as
// it does in pymarc's file.read(); nothing read is lost, and the reader can go on afterwards.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>

#include "bindings.h"
#include "marcscope/core/executor.h"
#include "marcscope/io/byte_source.h"
#include "marcscope/read/decoder.h"
#include "marcscope/read/record_reader.h"
#include "py_types.h"

namespace marcscope::python {

namespace {

/// Runs the interpreter's signal handlers from a thread that released the GIL; what they raise
/// (KeyboardInterrupt) is thrown.
void run_signal_handlers() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

/// For ByteSource::on_wait(): on the thread that made it (the one Python called in on), while
/// `armed`, takes the GIL and runs the interpreter's signal handlers, whose exception
/// (KeyboardInterrupt) the waiting read then throws. Elsewhere it does nothing: a pull's
/// background thread never takes the GIL (its reader is disarmed once open, so that a thread id
/// reused after the Python thread ended cannot make it).
std::function<void()> run_signal_handlers_here(std::shared_ptr<const std::atomic<bool>> armed) {
  return [here = std::this_thread::get_id(), armed = std::move(armed)] {
    if (armed->load() && std::this_thread::get_id() == here) run_signal_handlers();
  };
}

/// How bad records are shown to Python.
struct BadItem {
  std::string chunk;       ///< the bytes of the record, where the format has them
  Diagnostics diagnostics; ///< why it could not be read
  std::string kind;        ///< "skipped", "utf8" (invalid UTF-8 pymarc does not decode), "codec"
                           ///< (file_encoding could not decode it), "not-marc"
  std::string message;     ///< for not-marc: the engine's message
  py::object extra;        ///< utf8: offset of the first bad byte in `chunk`; codec: the exception
};

/// pymarc decodes control fields (tags 001-009, digits) strictly whatever utf8_handling says.
bool pymarc_control_tag(std::string_view tag) {
  return tag.size() == 3 && std::all_of(tag.begin(), tag.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         tag < "010";
}

/// Replaces `value` (bytes in `encoding`) with its UTF-8 text, decoded by Python's codec
/// strictly; false with the Python exception set when it cannot be decoded. GIL held.
bool transcode(std::string& value, const char* encoding) {
  PyObject* text = PyUnicode_Decode(value.data(), static_cast<Py_ssize_t>(value.size()), encoding, "strict");
  if (text == nullptr) return false;
  Py_ssize_t n = 0;
  const char* utf8 = PyUnicode_AsUTF8AndSize(text, &n);
  if (utf8 == nullptr) {
    Py_DECREF(text);
    return false;
  }
  value.assign(utf8, static_cast<std::size_t>(n));
  Py_DECREF(text);
  return true;
}

/// One thing to hand over, in input order.
struct Item {
  enum Kind : std::uint8_t { Delivered, Skipped, Lost } kind = Delivered;
  std::uint32_t index = 0;  ///< into batch.records or batch.skipped
  std::uint64_t number = 0;
  std::uint64_t offset = 0;
  Diagnostics diagnostics;
};

class Reader {
 public:
  struct Config {
    bool to_unicode = true;
    bool force_utf8 = false;
    /// pymarc's utf8_handling: "strict" (a record with invalid UTF-8 is bad), "replace" (U+FFFD for
    /// each bad sequence), "ignore" (bad sequences dropped); control fields are strict always.
    std::string utf8_handling = "strict";
    /// pymarc's file_encoding when it is not "iso8859-1" (MARC-8): a Python codec that decodes
    /// the values of records not read as UTF-8; empty for MARC-8.
    std::string file_encoding;
    bool yield_bad = true;       ///< pymarc: a bad record is handed over as None
    std::unordered_set<std::string> fatal_codes;  ///< pymarc: after a bad record with one of these, stop
    ReadMode mode = ReadMode::Permissive;
    std::optional<unsigned> threads;  ///< none: the process's executor
    std::optional<Format> format;
    std::size_t chunk_size = 1u << 20;
    std::size_t batch_records = 1024;
    bool marc8_space = true;     ///< MARC-8 codes with no character become a space (pymarc)
  };

  Reader(py::object source, const std::string& kind, Config config) : config_(std::move(config)) {
    if (!types().ready()) throw std::logic_error("marcscope._core: the Python classes are not registered (import marcscope)");
    options_.mode = config_.mode;
    options_.format = config_.format;
    options_.decode.encoding = config_.force_utf8 ? EncodingChoice::ForceUtf8 : EncodingChoice::FromLeader;
    options_.decode.raw = !config_.to_unicode;
    options_.decode.leader_utf8 = false;
    if (config_.utf8_handling == "ignore") options_.decode.invalid_utf8 = InvalidUtf8Policy::Drop;
    options_.decode.raw_marc8 = config_.to_unicode && !config_.force_utf8 && !config_.file_encoding.empty();
    if (config_.marc8_space) options_.decode.marc8.replacement = U' ';
    // Records the engine would decode to their own bytes are handed over undecoded (NativeRecord).
    options_.skip_as_is = true;
    decode_ = std::make_shared<const DecodeOptions>(options_.decode);
    // In a process forked after the engine started threads, everything runs on the calling
    // thread, without oneTBB (bindings.h): threads=1.
    if (engine_threads_unsafe()) config_.threads = 1;
    if (config_.threads) {
      if (*config_.threads != 1) engine_threads_needed();
      options_.threads = *config_.threads;
    } else {
      options_.executor = process_executor();
    }
    try {
      if (kind == "path") {
        name_ = py::str(source);
        // A mapped file's pages go only behind the batches evict() has let go of.
        done_before_ = std::make_shared<std::atomic<std::uint64_t>>(0);
        options_.done_before = done_before_;
        // Opening a pipe waits for the bytes that tell its format: Ctrl-C reaches that wait too.
        std::unique_ptr<ByteSource> source;
        const auto armed = std::make_shared<std::atomic<bool>>(true);
        {
          py::gil_scoped_release nogil;
          source = open_source(name_, {{}, run_signal_handlers_here(armed)});
        }
        if (config_.threads && *config_.threads == 1) {
          native_source_ = std::move(source);  // read on the calling thread: stays armed
          decoder_ = std::make_unique<Decoder>(options_, name_);
        } else {
          py::gil_scoped_release nogil;
          pull_ = RecordReader::open(std::move(source), options_);
          armed->store(false);  // the pull's thread reads from here on (refill() waits instead)
        }
      } else if (kind == "bytes") {
        name_ = "<bytes>";
        std::string bytes = py::bytes(source);
        if (config_.threads && *config_.threads == 1) {
          native_source_ = make_memory_source(std::move(bytes), name_);
          decoder_ = std::make_unique<Decoder>(options_, name_);
        } else {
          py::gil_scoped_release nogil;
          pull_ = RecordReader::open_bytes(std::move(bytes), options_, name_);
        }
      } else if (kind == "file") {
        name_ = py::hasattr(source, "name") ? std::string(py::str(source.attr("name"))) : std::string("<file>");
        file_ = source;
        if (py::hasattr(source, "readinto")) readinto_ = source.attr("readinto");
        read_ = source.attr("read");
        // A pipe, a socket or a terminal: each read waits only for what has come (readinto1(),
        // read1()), so a slow writer's records are handed over as they arrive, as pymarc's
        // record-by-record reads are. Files and memory are read a chunk at a time as before.
        if (may_wait(source)) {
          if (py::hasattr(source, "readinto1")) readinto_ = source.attr("readinto1");
          else if (!readinto_ && py::hasattr(source, "read1")) read_ = source.attr("read1");
        }
        decoder_ = std::make_unique<Decoder>(options_, name_);
        buffer_.resize(config_.chunk_size);
      } else {
        throw py::value_error("Reader: kind must be 'path', 'bytes' or 'file'");
      }
    } catch (const NotMarcError& e) {
      if (!config_.yield_bad) throw;
      not_marc(e.what());
    }
  }

  ~Reader() {
    // Records still borrowing the batch's bytes copy them before it goes (in a forked child too:
    // they are this process's memory, and the batch is freed below whatever happens).
    take_back();
    if (fork_generation() != generation_) {
      // A forked child's copy of a reader made in the parent: its threads do not exist here, so
      // stopping and joining them would wait forever. Left as it is (leaked), never touched.
      (void)pull_.release();
      (void)decoder_.release();
      (void)new std::shared_ptr<ByteSource>(std::move(native_source_));  // leaked on purpose, as above
      return;
    }
    // Stopping the pipeline joins threads that never need the GIL.
    if (pull_) pull_->cancel();
  }

  /// The next record (a Python Record), None for a bad record (pymarc), or null at the end.
  py::object next() {
    auto held = acquire();
    py::object out;
    next_locked(out);
    return out;
  }

  py::list read_batch(std::size_t n) {
    auto held = acquire();
    window_ = std::max(window_, std::min<std::size_t>(n, std::size_t{1} << 16));
    py::list out;
    for (std::size_t i = 0; i < n; ++i) {
      py::object item;
      if (!next_locked(item)) break;
      out.append(item);
    }
    return out;
  }

  py::object bad() {
    auto held = acquire();
    if (!bad_) return py::none();
    py::list diags;
    for (const Diagnostic& d : bad_->diagnostics) diags.append(py::reinterpret_steal<py::object>(make_diagnostic(d)));
    return py::make_tuple(bad_->kind, py::bytes(bad_->chunk), diags, bad_->message,
                          bad_->extra ? bad_->extra : py::none());
  }

  /// The bytes of the last record handed over (pymarc's current_chunk), or None.
  py::object chunk() {
    auto held = acquire();
    if (bad_) return py::bytes(bad_->chunk);
    if (last_bytes_.empty()) return py::none();
    return py::bytes(last_bytes_.data(), last_bytes_.size());
  }

  py::list diagnostics() {
    auto held = acquire();
    py::list out;
    for (const Diagnostic& d : diagnostics_) out.append(py::reinterpret_steal<py::object>(make_diagnostic(d)));
    return out;
  }

  std::uint64_t records_seen() const { return seen_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t skipped() const { return skipped_; }
  const std::string& name() const { return name_; }
  std::string format() const {
    if (pull_) return std::string(format_name(pull_->format()));
    if (decoder_) return std::string(format_name(decoder_->format()));
    return "unknown";
  }

  void close() {
    auto held = acquire();
    if (pull_) pull_->cancel();
    ended_ = true;
    take_back();
    batch_ = Batch{};
    items_.clear();
    next_item_ = 0;
  }

 private:
  /// The reader taken: its mutex, and which thread holds it (cleared before the mutex is released).
  struct Held {
    std::unique_lock<std::mutex> lock;
    std::atomic<std::thread::id>* owner;
    Held(std::unique_lock<std::mutex> l, std::atomic<std::thread::id>* o) : lock(std::move(l)), owner(o) {}
    Held(Held&& other) noexcept : lock(std::move(other.lock)), owner(std::exchange(other.owner, nullptr)) {}
    ~Held() {
      if (owner) owner->store(std::thread::id());
    }
  };

  /// Takes the reader: the mutex with the GIL released, then the GIL again. A thread that already
  /// holds it (a file object's read() calling back into its own reader) gets an error, not a hang.
  Held acquire() {
    if (fork_generation() != generation_)
      throw std::logic_error("this reader was made in another process (before os.fork()); make a new reader in this one");
    if (owner_.load() == std::this_thread::get_id()) throw std::logic_error("this reader is already being read by this thread");
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) {
      py::gil_scoped_release nogil;
      lock.lock();
    }
    owner_ = std::this_thread::get_id();
    return Held(std::move(lock), &owner_);
  }

  void not_marc(const std::string& message) {
    Item item;
    item.kind = Item::Lost;
    Diagnostic d(Severity::Fatal, Code::NotMarc, 0, 0, {}, 0, message);
    item.diagnostics.push_back(d);
    diagnostics_.push_back(d);
    items_.push_back(std::move(item));
    not_marc_message_ = message;
    ended_ = true;  // nothing follows
  }

  /// Fills `out` with the next item; false at the end. Mutex held, GIL held.
  bool next_locked(py::object& out) {
    for (;;) {
      if (stop_) return false;
      if (next_item_ < items_.size()) {
        if (hand_over(items_[next_item_++], out)) return true;
        continue;
      }
      if (ended_) return false;
      refill();
    }
  }

  /// Makes the Python object for one item; false when it is not handed over (a bad record when
  /// bad records are not yielded).
  bool hand_over(Item& item, py::object& out) {
    ++seen_;
    if (item.kind == Item::Delivered) {
      BatchRecord& br = batch_.records[item.index];
      const Diagnostic* bad_utf8 = nullptr;
      if (config_.to_unicode && config_.yield_bad) {
        const bool strict = config_.utf8_handling == "strict";
        for (const Diagnostic& d : item.diagnostics)
          if (d.code == Code::InvalidUtf8 && (strict || pymarc_control_tag(d.tag))) {
            bad_utf8 = &d;
            break;
          }
      }
      if (!bad_utf8 && !br.as_is && options_.decode.raw_marc8 && br.record.leader()[9] != 'a' && reads_iso2709()) {
        // file_encoding: this record's values are its bytes; Python's codec decodes them.
        if (!transcode_record(br.record)) {
          py::error_already_set error;
          BadItem bad{std::string(br.bytes), std::move(item.diagnostics), "codec", {}, error.value()};
          return hand_over_bad(std::move(bad), out);
        }
      }
      if (!bad_utf8) {
        NativeRecord* native = item.index < prepared_.size() && prepared_[item.index]
                                   ? prepared_[item.index].release()
                                   : new NativeRecord;
        if (native->as_is) {
          // made by prepare()
        } else if (br.as_is) {
          native->as_is = true;
          native->own_bytes.assign(br.bytes.data(), br.bytes.size());
          native->decode = decode_;
        } else {
          native->record = std::move(br.record);
        }
        native->number = br.number;
        native->offset = br.offset;
        native->status = br.status;
        native->raw = !config_.to_unicode;
        native->diagnostics = std::move(item.diagnostics);
        PyObject* rec = make_record(native, config_.to_unicode, config_.force_utf8);
        if (rec == nullptr) throw py::error_already_set();
        bad_.reset();
        last_bytes_ = br.bytes;  // valid while batch_ is: refill() forgets it first
        ++delivered_;
        out = py::reinterpret_steal<py::object>(rec);
        return true;
      }
      const std::uint64_t at = bad_utf8->offset >= item.offset ? bad_utf8->offset - item.offset : 0;
      BadItem bad{std::string(br.bytes), std::move(item.diagnostics), "utf8", {}, py::int_(at)};
      return hand_over_bad(std::move(bad), out);
    }
    ++skipped_;
    BadItem bad;
    bad.kind = item.kind == Item::Skipped ? "skipped" : (not_marc_message_.empty() ? "lost" : "not-marc");
    bad.message = not_marc_message_;
    if (item.kind == Item::Skipped) bad.chunk = std::string(batch_.skipped[item.index].bytes);
    bad.diagnostics = std::move(item.diagnostics);
    return hand_over_bad(std::move(bad), out);
  }

  /// ISO 2709 input (the only input whose records are bytes in a character set; pymarc's
  /// file_encoding is MARCReader's).
  bool reads_iso2709() const {
    if (pull_) return pull_->format() == Format::Iso2709;
    return decoder_ && decoder_->format() == Format::Iso2709;
  }

  /// Decodes every value of a record kept as bytes with config_.file_encoding. GIL held.
  bool transcode_record(Record& record) {
    const char* encoding = config_.file_encoding.c_str();
    for (Field& field : record.fields()) {
      if (field.is_control()) {
        std::string value = field.value();
        if (!transcode(value, encoding)) return false;
        field.set_value(std::move(value));
        continue;
      }
      if (!field.leading_data().empty()) {
        std::string leading = field.leading_data();
        if (!transcode(leading, encoding)) return false;
        field.set_leading_data(std::move(leading));
      }
      for (Subfield& sf : field.subfields())
        if (!transcode(sf.value, encoding)) return false;
    }
    return true;
  }

  bool hand_over_bad(BadItem bad, py::object& out) {
    if (!config_.yield_bad) return false;
    bool fatal = false;
    for (const Diagnostic& d : bad.diagnostics)
      if (d.severity >= Severity::Error && config_.fatal_codes.count(std::string(code_name(d.code)))) fatal = true;
    if (fatal) stop_ = true;  // pymarc stops after a fatal reader error; this None is the last item
    bad_ = std::move(bad);
    last_bytes_ = {};
    out = py::none();
    return true;
  }

  /// Reads the next engine batch and lays out its items. Mutex held, GIL held on entry and exit.
  void refill() {
    last_bytes_ = {};
    retire();
    Batch batch;
    if (pull_) {
      py::gil_scoped_release nogil;
      // A slice of time at a time, running the signal handlers between (an idle writer).
      while (!pull_->wait(std::chrono::milliseconds(50))) run_signal_handlers();
      batch = pull_->next_batch(config_.batch_records);
      prepare(batch);
    } else if (native_source_) {
      py::gil_scoped_release nogil;
      batch = feed_native();
      prepare(batch);
    } else {
      batch = feed_file();
      py::gil_scoped_release nogil;
      prepare(batch);
    }
    batch_ = std::move(batch);
    lay_out();
    if (!not_marc_pending_.empty()) {
      // A file object whose first bytes are not MARC: one None with NotMarcError, as a path's.
      not_marc(not_marc_pending_);
      not_marc_pending_.clear();
    }
    if (batch_.empty() && items_.empty()) ended_ = true;
    if (batch_.stopped) ended_ = true;
  }

  /// The native records of the batch's undecoded records, made here, without the GIL: each
  /// borrows its bytes from the batch, with the view the reader parsed of them, so that handing
  /// one over (with the GIL) only wraps it and its first field look-up parses nothing. They are
  /// noted in loans_, whose records take_back() or retire() copy the bytes of, if they are still
  /// alive, before the batch goes. loans_ is new here (refill() retired the last one, close() took
  /// everything back), and none of these records is seen by another thread before the GIL is
  /// taken again.
  void prepare(Batch& batch) {
    prepared_.resize(batch.records.size());
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
      BatchRecord& br = batch.records[i];
      if (!br.as_is || br.view.bytes().data() != br.bytes.data()) continue;
      auto native = std::make_unique<NativeRecord>();
      native->as_is = true;
      native->decode = decode_;
      native->lend(br.bytes, br.view, *loans_);
      prepared_[i] = std::move(native);
    }
  }

  /// Before the batch goes: the records still borrowing its bytes copy them. Mutex and GIL held.
  void take_back() {
    prepared_.clear();  // records never handed over (they take themselves off loans_)
    for (NativeRecord* native : *loans_)
      if (native) native->take_back();
    loans_->clear();
    while (!retired_.empty()) evict();
  }

  /// The batch handed over is done with: it waits in retired_, its records still borrowing its
  /// bytes and views, while newer batches are read (window_). A list read_batch() returns often
  /// spans several engine batches (a pipeline batch is a slice of 256 KB), and a script holds
  /// that list while it asks for the next one: taken back at once, nearly every record of such a
  /// list was copied before the script looked at it, and parsed again when it did. Mutex and GIL
  /// held.
  void retire() {
    prepared_.clear();  // records never handed over: batch_'s indices mean nothing after this
    retained_ += loans_->size();
    retired_.push_back({std::move(batch_), std::move(loans_)});
    batch_ = Batch{};
    loans_ = std::make_unique<std::vector<NativeRecord*>>();
    // The oldest goes once the retired batches lent more records than the window, and before
    // that any whose records have all gone.
    while (!retired_.empty() &&
           (retained_ > 2 * window_ + kSlack ||
            std::all_of(retired_.front().loans->begin(), retired_.front().loans->end(),
                        [](const NativeRecord* native) { return native == nullptr; })))
      evict();
  }

  /// The oldest retired batch goes: the records still borrowing from it copy their bytes; the
  /// pull reader gets the batch back, to decode into its records again (their views keep their
  /// room) rather than allocate on one thread what another frees.
  void evict() {
    Lent& oldest = retired_.front();
    retained_ -= oldest.loans->size();
    for (NativeRecord* native : *oldest.loans)
      if (native) native->take_back();
    // No record reads the input before the batch's end any more: its pages may go.
    if (done_before_ && oldest.batch.end_offset > done_before_->load(std::memory_order_relaxed))
      done_before_->store(oldest.batch.end_offset, std::memory_order_release);
    // (Not in a forked child: the parent's reader there is left alone, see ~Reader.)
    if (pull_ && fork_generation() == generation_) pull_->give_back(std::move(oldest.batch));
    retired_.pop_front();
  }

  /// threads=1 over a path or bytes: the Decoder reads the source on this thread (in place when it
  /// is in memory: a mapped file, bytes; the batches keep the source). GIL released.
  Batch feed_native() {
    if (decoder_finished_) return {};
    Batch b = decoder_->read_from(*native_source_, native_source_, config_.chunk_size);
    if (decoder_->finished()) decoder_finished_ = true;
    return b;
  }

  /// Whether reading `file` may wait for a writer: its fileno() is a pipe, a socket or a
  /// terminal. Files (gzip.open()'s too), BytesIO and objects without a descriptor: no.
  static bool may_wait(const py::object& file) {
    if (!py::hasattr(file, "fileno")) return false;
    try {
      return is_stream_fd(file.attr("fileno")().cast<int>());
    } catch (py::error_already_set&) {
      return false;  // io.UnsupportedOperation and the like: no descriptor
    } catch (py::cast_error&) {
      return false;
    }
  }

  /// A file object: read a chunk with the GIL held, decode it with the GIL released.
  Batch feed_file() {
    for (;;) {
      if (decoder_finished_) return {};
      std::size_t n = 0;
      if (readinto_) {
        py::object view = py::reinterpret_steal<py::object>(
            PyMemoryView_FromMemory(buffer_.data(), static_cast<Py_ssize_t>(buffer_.size()), PyBUF_WRITE));
        if (!view) throw py::error_already_set();
        py::object got = readinto_(view);
        view.attr("release")();
        if (got.is_none()) throw py::value_error("the file object's readinto() returned None (a non-blocking file?)");
        n = got.cast<std::size_t>();
        if (n > buffer_.size()) throw py::value_error("the file object's readinto() returned more than it was given room for");
      } else {
        py::object got = read_(buffer_.size());
        if (!PyBytes_Check(got.ptr()) && !PyByteArray_Check(got.ptr())) {
          if (PyUnicode_Check(got.ptr()))
            throw py::type_error("MARCReader needs a file opened in binary mode ('rb'): read() returned str");
          throw py::type_error("the file object's read() must return bytes");
        }
        std::string_view bytes = PyBytes_Check(got.ptr())
                                     ? std::string_view(PyBytes_AS_STRING(got.ptr()), PyBytes_GET_SIZE(got.ptr()))
                                     : std::string_view(PyByteArray_AS_STRING(got.ptr()), PyByteArray_GET_SIZE(got.ptr()));
        n = bytes.size();
        std::copy(bytes.begin(), bytes.end(), buffer_.begin());
      }
      Batch b;
      try {
        py::gil_scoped_release nogil;
        if (n == 0) {
          decoder_finished_ = true;
          b = decoder_->finish();
        } else {
          b = decoder_->feed(std::string_view(buffer_.data(), n));
        }
      } catch (const NotMarcError& e) {
        if (!config_.yield_bad) throw;
        decoder_finished_ = true;
        not_marc_pending_ = e.what();  // handed over by refill(), after lay_out()
        return {};
      }
      if (decoder_->stopped()) decoder_finished_ = true;
      if (!b.empty() || decoder_finished_) return b;
    }
  }

  /// Orders the batch's records and skipped records by number and gives each its diagnostics.
  void lay_out() {
    items_.clear();
    next_item_ = 0;
    const auto& recs = batch_.records;
    const auto& skips = batch_.skipped;
    items_.reserve(recs.size() + skips.size());
    std::size_t i = 0, j = 0;
    while (i < recs.size() || j < skips.size()) {
      Item it;
      if (j >= skips.size() || (i < recs.size() && recs[i].number < skips[j].number)) {
        it.kind = Item::Delivered;
        it.index = static_cast<std::uint32_t>(i);
        it.number = recs[i].number;
        it.offset = recs[i].offset;
        ++i;
      } else {
        it.kind = Item::Skipped;
        it.index = static_cast<std::uint32_t>(j);
        it.number = skips[j].number;
        it.offset = skips[j].offset;
        ++j;
      }
      items_.push_back(std::move(it));
    }
    if (batch_.diagnostics.empty()) return;
    bool lost = false;
    std::vector<Item> damaged;  // after every record: the input ended early there
    for (Diagnostic& d : batch_.diagnostics) {
      diagnostics_.push_back(d);
      if (d.record == 0) {
        if (d.code == Code::InputDamaged) {
          // A gzip stream cut short: handed over as bad, so that it does not pass unseen.
          Item it;
          it.kind = Item::Lost;
          it.offset = d.offset;
          it.diagnostics.push_back(d);
          damaged.push_back(std::move(it));
        }
        continue;
      }
      auto at = std::lower_bound(items_.begin(), items_.end(), d.record,
                                 [](const Item& item, std::uint64_t n) { return item.number < n; });
      if (at != items_.end() && at->number == d.record) {
        at->diagnostics.push_back(std::move(d));
      } else if (d.severity >= Severity::Error) {
        // A record that is neither delivered nor skipped (Strict stopped on it): it is handed
        // over as bad too, so that nothing disappears without a word.
        Item it;
        it.kind = Item::Lost;
        it.number = d.record;
        it.offset = d.offset;
        it.diagnostics.push_back(std::move(d));
        items_.insert(at, std::move(it));
        lost = true;
      }
    }
    (void)lost;
    for (Item& it : damaged) items_.push_back(std::move(it));
    batch_.diagnostics.clear();
  }

  Config config_;
  /// The process that made it (a reader is used in that one only): checked on every record, so a
  /// counter of forks rather than getpid(), a system call.
  const unsigned generation_ = fork_generation();
  ReadOptions options_;
  std::shared_ptr<const DecodeOptions> decode_;  ///< options_.decode, for records handed over as is
  std::string name_;
  std::unique_ptr<RecordReader> pull_;
  std::shared_ptr<ByteSource> native_source_;  ///< shared: batches decoded in place keep it
  std::unique_ptr<Decoder> decoder_;
  bool decoder_finished_ = false;
  py::object file_, readinto_, read_;
  std::vector<char> buffer_;

  std::mutex mutex_;                 ///< the reader: taken for each next()/read_batch()
  std::atomic<std::thread::id> owner_{};  ///< who holds mutex_ (to refuse a re-entrant call)
  Batch batch_;
  std::vector<std::unique_ptr<NativeRecord>> prepared_;  ///< by batch_.records index: see prepare()
  /// Records borrowing batch_'s bytes (null: gone or taken back). On the heap, as each retired
  /// batch's: a record notes where its list is.
  std::unique_ptr<std::vector<NativeRecord*>> loans_ = std::make_unique<std::vector<NativeRecord*>>();
  /// A batch handed over and the records that may still borrow from it (retire()).
  struct Lent {
    Batch batch;
    std::unique_ptr<std::vector<NativeRecord*>> loans;
  };
  std::deque<Lent> retired_;  ///< oldest first
  std::shared_ptr<std::atomic<std::uint64_t>> done_before_;  ///< options_.done_before (a path's)
  std::size_t retained_ = 0;  ///< records lent by the retired batches
  /// The largest read_batch() asked for (up to 65,536). The retired batches lend at most twice that
  /// many records and kSlack more: the list being made and the last one, which the script holds
  /// while it asks, and the batches that straddle them. An engine batch holds a slice's records
  /// (ReadOptions::slice_bytes, 256 KB: about 200 records of 1.2 KB), so a list of 1,000 spans
  /// five or six.
  std::size_t window_ = 0;
  static constexpr std::size_t kSlack = 2048;
  std::vector<Item> items_;
  std::size_t next_item_ = 0;
  bool ended_ = false;
  bool stop_ = false;
  std::string not_marc_message_;
  std::string not_marc_pending_;  ///< feed_file() found the input is not MARC: see refill()
  std::optional<BadItem> bad_;
  std::string_view last_bytes_;
  Diagnostics diagnostics_;
  std::uint64_t seen_ = 0, delivered_ = 0, skipped_ = 0;
};

/// tp_iternext of the reader classes: iteration without pybind11's argument dispatch (this runs
/// once per record). Null with no error set is the end.
PyObject* reader_iternext(PyObject* self) {
  try {
    // Only instances of Reader classes get here (_fast_iteration checks the class): an instance
    // with pybind11's simple layout holds the Reader as its one value, and py::cast would look its
    // type up in two hash tables for every record.
    auto* inst = reinterpret_cast<py::detail::instance*>(self);
    Reader* reader = inst->simple_layout && inst->simple_holder_constructed
                         ? static_cast<Reader*>(inst->simple_value_holder[0])
                         : py::cast<Reader*>(py::handle(self));
    py::object out = reader->next();
    return out ? out.release().ptr() : nullptr;
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (...) {
    // The translators bind_errors() registered (and pybind11's own), newest first, as pybind11's
    // dispatcher applies them.
    auto& translators = py::detail::get_internals().registered_exception_translators;
    for (auto& translate : translators) {
      try {
        translate(std::current_exception());
        return nullptr;
      } catch (...) {
      }
    }
    PyErr_SetString(PyExc_SystemError, "marcscope: unknown C++ exception while reading");
  }
  return nullptr;
}

ReadMode parse_mode(const std::string& text) {
  ReadMode mode;
  if (!parse_read_mode(text, mode)) throw py::value_error("mode must be 'strict', 'permissive' or 'recover', not '" + text + "'");
  return mode;
}

Format parse_format(const std::string& text) {
  Format f;
  if (!parse_format_name(text, f)) throw py::value_error("unknown format '" + text + "'");
  return f;
}

}  // namespace

void bind_reader(py::module_& m) {
  py::class_<Reader>(m, "Reader", py::dynamic_attr(),
                     "The engine's reader over a path, bytes or a binary file object (see marcscope.MARCReader).")
      .def(py::init([](py::object source, const std::string& kind, bool to_unicode, bool force_utf8, const std::string& utf8_handling,
                       const std::string& file_encoding,
                       bool yield_bad, std::vector<std::string> fatal_codes, const std::string& mode,
                       std::optional<unsigned> threads, std::optional<std::string> format, std::size_t chunk_size,
                       std::size_t batch_records, bool marc8_space) {
             Reader::Config c;
             c.to_unicode = to_unicode;
             c.force_utf8 = force_utf8;
             if (utf8_handling != "strict" && utf8_handling != "replace" && utf8_handling != "ignore")
               throw py::value_error("utf8_handling must be 'strict', 'replace' or 'ignore'");
             c.utf8_handling = utf8_handling;
             c.file_encoding = file_encoding;
             c.yield_bad = yield_bad;
             c.fatal_codes.insert(fatal_codes.begin(), fatal_codes.end());
             c.mode = parse_mode(mode);
             if (threads && *threads == 0) threads.reset();
             c.threads = threads;
             if (format) c.format = parse_format(*format);
             if (chunk_size < 4096) throw py::value_error("chunk_size must be at least 4096 bytes");
             c.chunk_size = chunk_size;
             c.batch_records = std::max<std::size_t>(batch_records, 1);
             c.marc8_space = marc8_space;
             return std::make_unique<Reader>(std::move(source), kind, std::move(c));
           }),
           py::arg("source"), py::arg("kind"), py::arg("to_unicode") = true, py::arg("force_utf8") = false,
           py::arg("utf8_handling") = "strict", py::arg("file_encoding") = "", py::arg("yield_bad") = true, py::arg("fatal_codes") = std::vector<std::string>{},
           py::arg("mode") = "permissive", py::arg("threads") = py::none(), py::arg("format") = py::none(),
           py::arg("chunk_size") = std::size_t(1) << 20, py::arg("batch_records") = 1024, py::arg("marc8_space") = true)
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__",
           [](Reader& r) {
             // Set by next_locked for each item: a record, or None for a bad one (pymarc).
             py::object out = r.next();
             if (!out) throw py::stop_iteration();
             return out;
           })
      .def("read_batch", &Reader::read_batch, py::arg("n"),
           "Up to n records (fewer only at the end; an empty list means the end).")
      .def("_bad", &Reader::bad, "(kind, chunk, diagnostics, message) of the last bad record, else None.")
      .def("_chunk", &Reader::chunk, "The bytes of the last record handed over, or None.")
      .def("close", &Reader::close, "Stops reading; later reads end at once.")
      .def_property_readonly("diagnostics", &Reader::diagnostics, "Every diagnostic found so far, in input order.")
      .def_property_readonly("records_seen", &Reader::records_seen)
      .def_property_readonly("records_delivered", &Reader::delivered)
      .def_property_readonly("records_skipped", &Reader::skipped)
      .def_property_readonly("name", &Reader::name)
      .def_property_readonly("format", &Reader::format);

  m.def(
      "_fast_iteration",
      [](py::type cls) {
        auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
        if (!py::isinstance(cls, py::type::of<Reader>()) &&
            !PyType_IsSubtype(type, reinterpret_cast<PyTypeObject*>(py::type::of<Reader>().ptr())))
          throw py::type_error("not a Reader class");
        type->tp_iternext = reader_iternext;
        PyType_Modified(type);
      },
      "Makes next() on instances of a Reader class (or subclass) skip pybind11's dispatch.");
}

}  // namespace marcscope::python
