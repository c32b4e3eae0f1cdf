#pragma once
// The pure-Python classes the bindings build instances of, and the hand-over of engine records.
//
// A Python Record made by a reader holds its engine record in `_native` (a capsule owning a
// NativeRecord) and makes Field objects only when asked: `record['245']` builds that one field
// (kept in `_cache`, so the same Field object comes back next time), `record.fields` builds the
// whole list once, after which the Python list is the record (pymarc's reference semantics) and
// the engine record is dropped. Instances are allocated with the class's tp_alloc and their
// __slots__ are filled through the slot offsets found at registration: no __init__ runs.
//
// GIL: everything here needs it; nothing here is called from an engine thread.

#include <Python.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "marcscope/charset/charset.h"
#include "marcscope/core/diagnostic.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/model/record.h"

namespace marcscope::python {

/// An engine record handed to Python, with where it came from.
///
/// A record the engine would decode to its own bytes (ReadOptions::skip_as_is: valid UTF-8, clean
/// structure, no diagnostic) is handed over undecoded: `as_is` is set, `bytes()` are its ISO 2709
/// bytes (lent by the reader's batch while it lasts, then copied: lend()) and `record` stays
/// empty. Fields asked for one by one are made from the
/// engine's view of those bytes (view(), parsed on first use); model() decodes the whole record
/// (Record::from_view, with the reader's DecodeOptions) when something needs the engine record.
/// Both give the same values: decodes_as_is() guarantees it.
struct NativeRecord {
  NativeRecord() = default;
  NativeRecord(const NativeRecord&) = delete;
  NativeRecord& operator=(const NativeRecord&) = delete;
  ~NativeRecord() { drop_loan(); }

  Record record;             ///< the record; empty while `as_is`
  bool as_is = false;        ///< `bytes()` stands for `record` (not decoded yet)
  bool view_ready = false;   ///< `view_` parses `bytes()`
  std::string own_bytes;     ///< as_is and not lent: the record's ISO 2709 bytes
  std::shared_ptr<const DecodeOptions> decode;  ///< as_is: how the reader decodes records
  std::uint64_t number = 0;  ///< 1-based record number in its input; 0 = not read from an input
  std::uint64_t offset = 0;  ///< byte offset where it starts
  std::uint8_t status = 0;   ///< RecordStatus bits
  bool raw = false;          ///< values are the input's bytes (to_unicode=False): they become `bytes`
  Diagnostics diagnostics;   ///< what reading found in this record

  /// as_is: the record's ISO 2709 bytes, its own or lent by its reader.
  std::string_view bytes() const { return loans_ ? lent_ : std::string_view(own_bytes); }
  /// The engine's view of `bytes()` (as_is only), parsed on first use.
  const RecordView& view();
  /// Borrows `bytes` from the reader's batch, with the view the reader parsed of them (which stays
  /// the batch's: nothing is freed per record), and is noted in `loans` (the reader's list for that
  /// batch). Before the batch goes, the reader calls take_back() on every record still noted there;
  /// a record that goes first takes itself off. All of it with the GIL held, or on a record no other
  /// thread can see yet.
  void lend(std::string_view bytes, const RecordView& parsed, std::vector<NativeRecord*>& loans) {
    lent_ = bytes;
    lent_view_ = &parsed;
    loans_ = &loans;
    loan_slot_ = loans.size();
    loans.push_back(this);
  }
  /// The batch is going: the lent bytes are copied; the view is not (view() parses the copy
  /// again if it is ever asked for). Records still on loan when their batch goes are mostly
  /// records no one looks into again (read_batch()'s list, held while the next one is read),
  /// and copying each one's field list cost the GIL-holding thread more than the bytes did.
  void take_back() {
    if (!loans_) return;
    own_bytes.assign(lent_.data(), lent_.size());
    view_ready = false;
    loans_ = nullptr;
    lent_ = {};
    lent_view_ = nullptr;
  }
  /// The bytes are not needed any more (decoded, or the fields made): forgets them.
  void drop_bytes() {
    drop_loan();
    own_bytes = std::string();
    view_ready = false;
  }
  /// Whether the bytes are still lent by the reader's batch (not copied yet).
  bool lent() const { return loans_ != nullptr; }
  /// The engine record: decoded from `bytes()` on first use when as_is.
  Record& model();
  /// How many fields the record has (without decoding it).
  std::size_t field_count() { return as_is ? view().fields().size() : record.fields().size(); }
  /// The leader as read.
  std::string_view leader() {
    if (as_is) return bytes().substr(0, 24);
    return record.leader();
  }

 private:
  void drop_loan() {
    if (!loans_) return;
    (*loans_)[loan_slot_] = nullptr;
    loans_ = nullptr;
    lent_ = {};
    lent_view_ = nullptr;
  }
  RecordView view_;
  std::string_view lent_;                       ///< the bytes lent by the reader's batch
  const RecordView* lent_view_ = nullptr;       ///< the batch's view of them, while lent
  std::vector<NativeRecord*>* loans_ = nullptr;  ///< the reader's list this record is noted in
  std::size_t loan_slot_ = 0;                   ///< where in it
};

/// The classes registered by marcscope/__init__.py (strong references, never released).
struct PyTypes {
  PyTypeObject* record = nullptr;
  PyTypeObject* field = nullptr;
  PyTypeObject* raw_field = nullptr;
  PyTypeObject* subfield = nullptr;    ///< a namedtuple (a tuple subclass)
  PyTypeObject* indicators = nullptr;  ///< a namedtuple
  PyObject* diagnostic = nullptr;      ///< the Diagnostic dataclass
  PyObject* finding = nullptr;         ///< the Finding dataclass: a Diagnostic and its record's 001
  /// Offsets of their fields' __slots__, in the classes' order (Finding's control_number last).
  std::array<Py_ssize_t, 10> diagnostic_slots{}, finding_slots{};
  // Slot offsets (bytes into the instance) of Record's and Field's __slots__.
  Py_ssize_t rec_native = 0, rec_fields = 0, rec_cache = 0, rec_leader = 0, rec_pos = 0, rec_force_utf8 = 0,
             rec_to_unicode = 0;
  Py_ssize_t fld_tag = 0, fld_data = 0, fld_indicators = 0, fld_subfields = 0, fld_control = 0;
  bool ready() const { return record != nullptr; }
};

PyTypes& types();

/// A new Python Record owning `native` (the capsule takes it). New reference; null with a Python
/// error set on failure. `to_unicode` fills the slot of that name.
PyObject* make_record(NativeRecord* native, bool to_unicode, bool force_utf8);
/// A Python Diagnostic object. New reference.
PyObject* make_diagnostic(const Diagnostic& d);
/// A Python Finding: the diagnostic and the control number (001) of its record (None when empty).
/// New reference.
PyObject* make_finding(const Diagnostic& d, std::string_view control_number);

/// The engine record a Python Record stands for: its native record when no field was handed out
/// (only the leader may have changed), else built from its `fields` list. Raises (throws
/// py::error_already_set) when a field is not what a Record may hold.
void record_to_engine(PyObject* record, Record& out);

/// The NativeRecord of a Python Record, or null when it has none (made by a script, or its fields
/// already materialised).
NativeRecord* native_of(PyObject* record);

}  // namespace marcscope::python
