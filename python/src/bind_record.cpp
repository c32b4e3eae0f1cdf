// Records handed to Python: building Record and Field objects from engine records (lazily, one
// field at a time where a script asks for one), and turning a Python Record back into an engine
// record to write or validate it.
//
// The functions a script calls once per record or per field (record['245'], '245' in record,
// record.fields) are plain METH_FASTCALL C functions rather than pybind11 functions: pybind11's
// argument dispatch costs more than the work they do.
//
// GIL: held throughout this file (nothing here runs long enough to be worth releasing it).

#include <Python.h>
#include <structmember.h>

#include <array>
#include <optional>
#include <cstring>
#include <span>
#include <string_view>

#include "bindings.h"
#include "marcscope/charset/utf8.h"
#include "marcscope/iso2709/iso2709_writer.h"
#include "py_types.h"

namespace marcscope::python {

namespace {

constexpr const char* kCapsuleName = "marcscope.NativeRecord";

PyObject** slot(PyObject* o, Py_ssize_t offset) { return reinterpret_cast<PyObject**>(reinterpret_cast<char*>(o) + offset); }
/// Borrowed; null when the slot is unset.
PyObject* get_slot(PyObject* o, Py_ssize_t offset) { return *slot(o, offset); }
/// Steals `value`.
void set_slot(PyObject* o, Py_ssize_t offset, PyObject* value) {
  PyObject* old = *slot(o, offset);
  *slot(o, offset) = value;
  Py_XDECREF(old);
}
bool is_none_or_unset(PyObject* v) { return v == nullptr || v == Py_None; }

/// Byte offset of `name` in instances of `type`, which must be one of its __slots__.
Py_ssize_t slot_offset(PyTypeObject* type, const char* name) {
  py::object descr = py::reinterpret_steal<py::object>(PyObject_GetAttrString(reinterpret_cast<PyObject*>(type), name));
  if (!descr) throw py::error_already_set();
  if (!Py_IS_TYPE(descr.ptr(), &PyMemberDescr_Type))
    throw py::type_error(std::string(type->tp_name) + "." + name + " is not a __slots__ member");
  auto* member = reinterpret_cast<PyMemberDescrObject*>(descr.ptr())->d_member;
  if (member->type != T_OBJECT_EX) throw py::type_error(std::string(name) + ": unexpected slot kind");
  return member->offset;
}

// Tags are mostly three digits: one interned string per numeric tag, made on first use.
std::array<PyObject*, 1000> g_numeric_tags{};
// Indicator pairs of printable ASCII: one Indicators tuple each, shared (they are immutable).
std::array<PyObject*, 128 * 128> g_indicators{};

/// `name` as an interned string kept in `cached` (made on first use). New reference.
PyObject* interned_name(PyObject*& cached, std::string_view name) {
  if (cached == nullptr) {
    cached = PyUnicode_FromStringAndSize(name.data(), static_cast<Py_ssize_t>(name.size()));
    if (cached == nullptr) return nullptr;
    PyUnicode_InternInPlace(&cached);
  }
  return Py_NewRef(cached);
}

PyObject* tag_string(std::string_view tag) {
  if (tag.size() == 3 && tag[0] >= '0' && tag[0] <= '9' && tag[1] >= '0' && tag[1] <= '9' && tag[2] >= '0' &&
      tag[2] <= '9')
    return interned_name(g_numeric_tags[(tag[0] - '0') * 100 + (tag[1] - '0') * 10 + (tag[2] - '0')], tag);
  return PyUnicode_DecodeUTF8(tag.data(), static_cast<Py_ssize_t>(tag.size()), "replace");
}

/// A one-character code: ASCII as itself, any other byte as its Latin-1 character (pymarc
/// normalises such codes; we keep the byte visible instead).
PyObject* code_string(char code) {
  const char c = code;
  return PyUnicode_DecodeLatin1(&c, 1, nullptr);
}

PyObject* value_object(std::string_view value, bool raw) {
  if (raw) return PyBytes_FromStringAndSize(value.data(), static_cast<Py_ssize_t>(value.size()));
  return PyUnicode_DecodeUTF8(value.data(), static_cast<Py_ssize_t>(value.size()), "replace");
}

/// A namedtuple instance of `type` from two new references (stolen), the way tuple.__new__ makes
/// instances of a tuple subclass.
PyObject* make_pair(PyTypeObject* type, PyObject* a, PyObject* b) {
  if (a == nullptr || b == nullptr) {
    Py_XDECREF(a);
    Py_XDECREF(b);
    return nullptr;
  }
  PyObject* t = type->tp_alloc(type, 2);
  if (t == nullptr) {
    Py_DECREF(a);
    Py_DECREF(b);
    return nullptr;
  }
  PyTuple_SET_ITEM(t, 0, a);
  PyTuple_SET_ITEM(t, 1, b);
  // Two strings (or bytes) cannot be part of a cycle: keep the pair out of the cyclic GC's lists,
  // as CPython does for such tuples, so that records kept in bulk (read_batch) cost it nothing.
  PyObject_GC_UnTrack(t);
  return t;
}

PyObject* indicators_object(char i1, char i2) {
  const auto u1 = static_cast<unsigned char>(i1), u2 = static_cast<unsigned char>(i2);
  if (u1 < 128 && u2 < 128) {
    PyObject*& cached = g_indicators[u1 * 128 + u2];
    if (cached == nullptr) {
      cached = make_pair(types().indicators, code_string(i1), code_string(i2));
      if (cached == nullptr) return nullptr;
    }
    Py_INCREF(cached);
    return cached;
  }
  return make_pair(types().indicators, code_string(i1), code_string(i2));
}

/// A Python Field (Field or RawField, by `type`) from a tag, a control field's value or a data
/// field's indicators and subfields (anything with `code` and `value`: the model's Subfields or
/// a view's SubfieldViews).
constexpr std::span<const SubfieldView> kNoSubfields;  ///< a control field's

template <class Subfields>
PyObject* build_field(PyTypeObject* type, std::string_view tag_bytes, bool control, std::string_view value, char ind1,
                      char ind2, const Subfields& subs, bool raw) {
  const PyTypes& t = types();
  PyObject* o = type->tp_alloc(type, 0);
  if (o == nullptr) return nullptr;
  PyObject* tag = tag_string(tag_bytes);
  if (tag == nullptr) {
    Py_DECREF(o);
    return nullptr;
  }
  set_slot(o, t.fld_tag, tag);
  if (control) {
    PyObject* data = value_object(value, raw);
    PyObject* subfields = PyList_New(0);
    if (data == nullptr || subfields == nullptr) {
      Py_XDECREF(data);
      Py_XDECREF(subfields);
      Py_DECREF(o);
      return nullptr;
    }
    set_slot(o, t.fld_data, data);
    set_slot(o, t.fld_subfields, subfields);
    set_slot(o, t.fld_indicators, Py_NewRef(Py_None));
    set_slot(o, t.fld_control, Py_NewRef(Py_True));
    return o;
  }
  Py_ssize_t count = 0;
  if constexpr (requires { subs.size(); }) {
    count = static_cast<Py_ssize_t>(subs.size());
  } else {
    for (auto it = subs.begin(); it != subs.end(); ++it) ++count;  // a view's subfields are found by walking them
  }
  PyObject* list = PyList_New(count);
  if (list == nullptr) {
    Py_DECREF(o);
    return nullptr;
  }
  set_slot(o, t.fld_subfields, list);
  Py_ssize_t i = 0;
  for (const auto& sub : subs) {
    PyObject* sf = make_pair(t.subfield, code_string(sub.code), value_object(sub.value, raw));
    if (sf == nullptr) {
      Py_DECREF(o);
      return nullptr;
    }
    PyList_SET_ITEM(list, i++, sf);
  }
  PyObject* ind = indicators_object(ind1, ind2);
  if (ind == nullptr) {
    Py_DECREF(o);
    return nullptr;
  }
  set_slot(o, t.fld_indicators, ind);
  set_slot(o, t.fld_data, Py_NewRef(Py_None));
  set_slot(o, t.fld_control, Py_NewRef(Py_False));
  return o;
}

PyObject* make_field(const Field& f, bool raw) {
  const PyTypes& t = types();
  if (f.is_control())
    return build_field(raw ? t.raw_field : t.field, f.tag(), true, f.value(), ' ', ' ', kNoSubfields, raw);
  return build_field(raw ? t.raw_field : t.field, f.tag(), false, {}, f.indicator1(), f.indicator2(), f.subfields(), raw);
}

/// A Field from the engine's view of a field of an as-is record (NativeRecord): the same object
/// make_field() makes from the decoded field, without decoding the record. decodes_as_is() has
/// checked what makes the two equal: three printable tag bytes, printable indicators, nothing
/// before the first subfield, a printable code after every delimiter, valid UTF-8.
PyObject* make_field_view(const FieldView& f) {
  if (f.is_control()) return build_field(types().field, f.tag, true, f.data, ' ', ' ', kNoSubfields, false);
  return build_field(types().field, f.tag, false, {}, f.indicator(1), f.indicator(2), f.subfields(), false);
}

/// Field `i` of a native record as a new Python Field.
PyObject* make_native_field(NativeRecord* native, std::size_t i) {
  if (native->as_is) return make_field_view(native->view().fields()[i]);
  return make_field(native->record.fields()[i], native->raw);
}

void destroy_native(PyObject* capsule) {
  delete static_cast<NativeRecord*>(PyCapsule_GetPointer(capsule, kCapsuleName));
}

bool check_record(PyObject* o) {
  if (!types().ready()) {
    PyErr_SetString(PyExc_RuntimeError, "marcscope._core: the Python classes are not registered");
    return false;
  }
  if (!PyObject_TypeCheck(o, types().record)) {
    PyErr_SetString(PyExc_TypeError, "expected a marcscope Record");
    return false;
  }
  return true;
}

/// Field `i` of a record that still has its native record: the cached object, or a new one
/// (cached). New reference.
PyObject* cached_field(PyObject* rec, NativeRecord* native, std::size_t i) {
  const PyTypes& t = types();
  PyObject* cache = get_slot(rec, t.rec_cache);
  if (is_none_or_unset(cache)) {
    const auto n = static_cast<Py_ssize_t>(native->field_count());
    cache = PyList_New(n);
    if (cache == nullptr) return nullptr;
    for (Py_ssize_t k = 0; k < n; ++k) PyList_SET_ITEM(cache, k, Py_NewRef(Py_None));
    set_slot(rec, t.rec_cache, cache);
  }
  PyObject* f = PyList_GET_ITEM(cache, static_cast<Py_ssize_t>(i));
  if (f != Py_None) return Py_NewRef(f);
  f = make_native_field(native, i);
  if (f == nullptr) return nullptr;
  PyList_SetItem(cache, static_cast<Py_ssize_t>(i), Py_NewRef(f));
  return f;
}

/// Tag equality without a call to memcmp: tags are three bytes but for damaged records.
inline bool same_tag(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.size() == 3) return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
  return a == b;
}

bool tag_view(PyObject* tag, std::string_view& out) {
  Py_ssize_t n = 0;
  const char* s = PyUnicode_Check(tag) ? PyUnicode_AsUTF8AndSize(tag, &n) : nullptr;
  if (s == nullptr) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "a tag is a str");
    return false;
  }
  out = std::string_view(s, static_cast<std::size_t>(n));
  return true;
}

/// The whole field list (new reference), made once: cached fields keep their identity. The Python
/// list becomes the record's `fields`; the engine record is no longer needed and is freed.
PyObject* materialise(PyObject* rec) {
  const PyTypes& t = types();
  PyObject* existing = get_slot(rec, t.rec_fields);
  if (!is_none_or_unset(existing)) return Py_NewRef(existing);
  NativeRecord* native = native_of(rec);
  if (native == nullptr) {
    PyObject* empty = PyList_New(0);
    if (empty == nullptr) return nullptr;
    set_slot(rec, t.rec_fields, Py_NewRef(empty));
    return empty;
  }
  const auto n = native->field_count();
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(n));
  if (list == nullptr) return nullptr;
  PyObject* cache = get_slot(rec, t.rec_cache);
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* f = nullptr;
    if (!is_none_or_unset(cache) && PyList_GET_ITEM(cache, static_cast<Py_ssize_t>(i)) != Py_None)
      f = Py_NewRef(PyList_GET_ITEM(cache, static_cast<Py_ssize_t>(i)));
    else
      f = make_native_field(native, i);
    if (f == nullptr) {
      Py_DECREF(list);
      return nullptr;
    }
    PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), f);
  }
  // The engine record keeps its leader (the `leader` property may still ask for it).
  if (native->as_is) {
    native->record.set_leader(native->leader());
    native->as_is = false;
    native->drop_bytes();
  }
  native->record.fields().clear();
  native->record.fields().shrink_to_fit();
  set_slot(rec, t.rec_fields, Py_NewRef(list));
  set_slot(rec, t.rec_cache, Py_NewRef(Py_None));
  return list;
}

// ---- METH_FASTCALL entry points -----------------------------------------------------------

PyObject* py_record_field(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "_record_field(record, tag)");
    return nullptr;
  }
  if (!check_record(args[0])) return nullptr;
  std::string_view tag;
  if (!tag_view(args[1], tag)) return nullptr;
  NativeRecord* native = native_of(args[0]);
  if (native == nullptr) Py_RETURN_NONE;
  if (native->as_is) {
    const auto& fields = native->view().fields();
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (same_tag(fields[i].tag, tag)) return cached_field(args[0], native, i);
    Py_RETURN_NONE;
  }
  const auto& fields = native->record.fields();
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (same_tag(fields[i].tag(), tag)) return cached_field(args[0], native, i);
  Py_RETURN_NONE;
}

PyObject* py_record_has(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "_record_has(record, tag)");
    return nullptr;
  }
  if (!check_record(args[0])) return nullptr;
  std::string_view tag;
  if (!PyUnicode_Check(args[1])) Py_RETURN_FALSE;  // pymarc compares with ==: anything else is absent
  if (!tag_view(args[1], tag)) return nullptr;
  NativeRecord* native = native_of(args[0]);
  if (native != nullptr && native->as_is) {
    for (const FieldView& f : native->view().fields())
      if (same_tag(f.tag, tag)) Py_RETURN_TRUE;
  } else if (native != nullptr) {
    for (const Field& f : native->record.fields())
      if (same_tag(f.tag(), tag)) Py_RETURN_TRUE;
  }
  Py_RETURN_FALSE;
}

/// _record_fields(record, tags): the fields whose tag is one of `tags` (a tuple of str), in order.
PyObject* py_record_fields(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyTuple_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, "_record_fields(record, tags: tuple)");
    return nullptr;
  }
  if (!check_record(args[0])) return nullptr;
  NativeRecord* native = native_of(args[0]);
  PyObject* out = PyList_New(0);
  if (out == nullptr || native == nullptr) return out;
  const Py_ssize_t ntags = PyTuple_GET_SIZE(args[1]);
  std::array<std::string_view, 32> small;
  std::vector<std::string_view> many;
  std::string_view* tags = small.data();
  if (ntags > static_cast<Py_ssize_t>(small.size())) {
    many.resize(static_cast<std::size_t>(ntags));
    tags = many.data();
  }
  Py_ssize_t usable = 0;
  for (Py_ssize_t k = 0; k < ntags; ++k) {
    PyObject* tag = PyTuple_GET_ITEM(args[1], k);
    if (!PyUnicode_Check(tag)) continue;  // never equal to a tag
    if (!tag_view(tag, tags[usable])) {
      Py_DECREF(out);
      return nullptr;
    }
    ++usable;
  }
  const std::size_t n = native->field_count();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view field_tag = native->as_is ? native->view().fields()[i].tag
                                                     : std::string_view(native->record.fields()[i].tag());
    bool wanted = false;
    for (Py_ssize_t k = 0; k < usable && !wanted; ++k) wanted = same_tag(field_tag, tags[k]);
    if (!wanted) continue;
    PyObject* f = cached_field(args[0], native, i);
    if (f == nullptr || PyList_Append(out, f) < 0) {
      Py_XDECREF(f);
      Py_DECREF(out);
      return nullptr;
    }
    Py_DECREF(f);
  }
  return out;
}

PyObject* py_record_materialise(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 1) {
    PyErr_SetString(PyExc_TypeError, "_record_materialise(record)");
    return nullptr;
  }
  if (!check_record(args[0])) return nullptr;
  return materialise(args[0]);
}

/// The leader as read (a str), or None for a record with no native record.
PyObject* py_record_leader(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 1) {
    PyErr_SetString(PyExc_TypeError, "_record_leader(record)");
    return nullptr;
  }
  if (!check_record(args[0])) return nullptr;
  NativeRecord* native = native_of(args[0]);
  if (native == nullptr) Py_RETURN_NONE;
  const std::string_view leader = native->leader();
  return PyUnicode_DecodeLatin1(leader.data(), static_cast<Py_ssize_t>(leader.size()), nullptr);
}

/// Whether a record read from an input still stands on its undecoded bytes (NativeRecord::as_is):
/// for tests of the lazy hand-over.
PyObject* py_record_undecoded(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 1) {
    PyErr_SetString(PyExc_TypeError, "_record_undecoded(record)");
    return nullptr;
  }
  if (!check_record(args[0])) return nullptr;
  NativeRecord* native = native_of(args[0]);
  return PyBool_FromLong(native != nullptr && native->as_is);
}

PyObject* py_record_lent(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 1) {
    PyErr_SetString(PyExc_TypeError, "_record_lent(record)");
    return nullptr;
  }
  if (!check_record(args[0])) return nullptr;
  NativeRecord* native = native_of(args[0]);
  return PyBool_FromLong(native != nullptr && native->as_is && native->lent());
}

/// Whether a record's fields are still the engine's: handed over undecoded, and no Field object
/// made of it yet (one made may have been changed since).
bool fields_untouched(PyObject* rec, NativeRecord* native) {
  const PyTypes& t = types();
  if (native == nullptr || !native->as_is || !is_none_or_unset(get_slot(rec, t.rec_fields))) return false;
  if (PyObject* cache = get_slot(rec, t.rec_cache); !is_none_or_unset(cache)) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(cache); ++i)
      if (PyList_GET_ITEM(cache, i) != Py_None) return false;
  }
  return true;
}

/// What the _record_* makers share: their arguments (`record`, `leader: str`, then
/// `expected - 2` more) checked, and the record's native record when its fields are untouched.
/// An answer to return at once when there is one: null with a Python error set, or None (the
/// Python code makes the text). With `leader`, the leader as UTF-8 too: one set to a lone
/// surrogate has none, and goes the Python way, which says what happens to it.
std::optional<PyObject*> untouched_record(PyObject* const* args, Py_ssize_t nargs, Py_ssize_t expected,
                                          const char* usage, NativeRecord*& native, std::string_view* leader) {
  if (nargs != expected || !PyUnicode_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, usage);
    return nullptr;
  }
  if (!check_record(args[0])) return nullptr;
  native = native_of(args[0]);
  if (!fields_untouched(args[0], native)) return Py_NewRef(Py_None);
  if (leader != nullptr) {
    Py_ssize_t size = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(args[1], &size);
    if (utf8 == nullptr) {
      PyErr_Clear();
      return Py_NewRef(Py_None);
    }
    *leader = std::string_view(utf8, static_cast<std::size_t>(size));
  }
  return std::nullopt;
}

/// Appends `text` as ElementTree's _escape_cdata() writes it: '&', '<' and '>' as entities.
void append_cdata(std::string& out, std::string_view text) {
  std::size_t from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '&' && c != '<' && c != '>') continue;
    out.append(text.substr(from, i - from));
    out += c == '&' ? "&amp;" : c == '<' ? "&lt;" : "&gt;";
    from = i + 1;
  }
  out.append(text.substr(from));
}

/// An element as ElementTree serialises it: "<name attrs>text</name>", or "<name attrs />" when
/// the text is empty.
void append_element(std::string& out, std::string_view name, std::string_view attributes, std::string_view text) {
  out += '<';
  out += name;
  out += attributes;
  if (text.empty()) {
    out += " />";
    return;
  }
  out += '>';
  append_cdata(out, text);
  out += "</";
  out += name;
  out += '>';
}

/// _record_xml(record, leader, namespace): the text record_to_xml() gives (ET.tostring() of
/// record_to_xml_node(), before encoding), made from the engine's view of a record handed over
/// undecoded whose Field objects were never made (one made may have been changed since), with
/// `leader` (str(record.leader)) as its leader. None for every other record, and for a record
/// with a byte ElementTree would escape in an attribute: marcxml.py then builds the text from
/// the Field objects. decodes_as_is() has checked what makes the two the same: printable ASCII
/// tags, indicators and codes, values of valid UTF-8, each value the str make_field_view() gives.
PyObject* py_record_xml(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  NativeRecord* native = nullptr;
  std::string_view leader;
  if (auto answer = untouched_record(args, nargs, 3, "_record_xml(record, leader: str, namespace)", native, &leader))
    return *answer;
  const int namespace_wanted = PyObject_IsTrue(args[2]);
  if (namespace_wanted < 0) return nullptr;
  const auto plain = [](std::string_view attribute) {
    for (const char c : attribute)
      if (c == '&' || c == '<' || c == '>' || c == '"' || static_cast<unsigned char>(c) < 0x20 ||
          static_cast<unsigned char>(c) >= 0x7F)
        return false;
    return true;
  };
  const RecordView& view = native->view();
  std::string out;
  out.reserve(view.bytes().size() * 2 + 256);
  out += "<record";
  if (namespace_wanted)
    out += " xmlns=\"http://www.loc.gov/MARC21/slim\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
           " xsi:schemaLocation=\"http://www.loc.gov/MARC21/slim "
           "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd\"";
  out += '>';
  append_element(out, "leader", {}, leader);
  std::string attributes;
  for (const FieldView& f : view.fields()) {
    if (!plain(f.tag)) Py_RETURN_NONE;
    if (f.is_control()) {
      attributes.assign(" tag=\"").append(f.tag).append("\"");
      append_element(out, "controlfield", attributes, f.data);
      continue;
    }
    const char indicators[2] = {f.indicator(1), f.indicator(2)};
    if (!plain(std::string_view(indicators, 2))) Py_RETURN_NONE;
    attributes.assign(" ind1=\"").append(1, indicators[0]).append("\" ind2=\"").append(1, indicators[1]);
    attributes.append("\" tag=\"").append(f.tag).append("\"");
    auto subfields = f.subfields();
    if (subfields.begin() == subfields.end()) {
      out.append("<datafield").append(attributes).append(" />");
      continue;
    }
    out.append("<datafield").append(attributes).append(">");
    for (const auto& sub : subfields) {
      if (!plain(std::string_view(&sub.code, 1))) Py_RETURN_NONE;
      const char code[] = {' ', 'c', 'o', 'd', 'e', '=', '"', sub.code, '"'};
      append_element(out, "subfield", std::string_view(code, sizeof code), sub.value);
    }
    out.append("</datafield>");
  }
  out += "</record>";
  return PyUnicode_DecodeUTF8(out.data(), static_cast<Py_ssize_t>(out.size()), "replace");
}

/// _record_as_dict(record, leader): what Record.as_dict() gives, made from the engine's view of a
/// record whose fields are untouched (fields_untouched()), with `leader` (str(record.leader)):
/// the same strings make_field_view() puts in Field objects, the keys in the same order. None for
/// every other record (record.py builds it from the Field objects).
PyObject* py_record_as_dict(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  NativeRecord* native = nullptr;
  if (auto answer = untouched_record(args, nargs, 2, "_record_as_dict(record, leader: str)", native, nullptr))
    return *answer;
  static PyObject *k_leader = nullptr, *k_fields = nullptr, *k_ind1 = nullptr, *k_ind2 = nullptr, *k_subfields = nullptr;
  PyObject* keys[] = {interned_name(k_leader, "leader"), interned_name(k_fields, "fields"), interned_name(k_ind1, "ind1"),
                      interned_name(k_ind2, "ind2"), interned_name(k_subfields, "subfields")};
  struct Release {
    PyObject** keys;
    ~Release() {
      for (int i = 0; i < 5; ++i) Py_XDECREF(keys[i]);
    }
  } release{keys};
  for (PyObject* k : keys)
    if (k == nullptr) return nullptr;
  // Each new reference is handed to its container at once (or released), so that an error
  // leaves nothing behind.
  const auto put = [](PyObject* dict, PyObject* key, PyObject* value) {
    if (value == nullptr) return false;
    const int r = PyDict_SetItem(dict, key, value);
    Py_DECREF(value);
    return r == 0;
  };
  const auto& fields = native->view().fields();
  py::object list = py::reinterpret_steal<py::object>(PyList_New(static_cast<Py_ssize_t>(fields.size())));
  if (!list) return nullptr;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const FieldView& f = fields[i];
    py::object entry = py::reinterpret_steal<py::object>(PyDict_New());
    py::object tag = py::reinterpret_steal<py::object>(tag_string(f.tag));
    if (!entry || !tag) return nullptr;
    if (f.is_control()) {
      if (!put(entry.ptr(), tag.ptr(), value_object(f.data, false))) return nullptr;
    } else {
      py::object inner = py::reinterpret_steal<py::object>(PyDict_New());
      py::object subs = py::reinterpret_steal<py::object>(PyList_New(0));
      if (!inner || !subs) return nullptr;
      if (!put(inner.ptr(), keys[2], code_string(f.indicator(1))) ||
          !put(inner.ptr(), keys[3], code_string(f.indicator(2))))
        return nullptr;
      for (const auto& sub : f.subfields()) {
        py::object one = py::reinterpret_steal<py::object>(PyDict_New());
        py::object code = py::reinterpret_steal<py::object>(code_string(sub.code));
        if (!one || !code || !put(one.ptr(), code.ptr(), value_object(sub.value, false)) ||
            PyList_Append(subs.ptr(), one.ptr()) != 0)
          return nullptr;
      }
      if (PyDict_SetItem(inner.ptr(), keys[4], subs.ptr()) != 0 || PyDict_SetItem(entry.ptr(), tag.ptr(), inner.ptr()) != 0)
        return nullptr;
    }
    PyList_SET_ITEM(list.ptr(), static_cast<Py_ssize_t>(i), entry.release().ptr());
  }
  PyObject* out = PyDict_New();
  if (out == nullptr) return nullptr;
  if (PyDict_SetItem(out, keys[0], args[1]) != 0 || PyDict_SetItem(out, keys[1], list.ptr()) != 0) {
    Py_DECREF(out);
    return nullptr;
  }
  return out;
}

/// Appends `utf8` as a JSON string the way json.dumps() writes one with ensure_ascii (its
/// default): '"', '\\' and the five short escapes as such, every other character below 0x20 or
/// above '~' as \\u and four lowercase hex digits (a surrogate pair above U+FFFF). False for
/// bytes that are not valid UTF-8.
bool append_json_string(std::string& out, std::string_view utf8) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto unit = [&](std::uint32_t u) {
    const char e[] = {'\\', 'u', kHex[(u >> 12) & 15], kHex[(u >> 8) & 15], kHex[(u >> 4) & 15], kHex[u & 15]};
    out.append(e, sizeof e);
  };
  if (!is_valid_utf8(utf8)) return false;
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const std::size_t n = utf8.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c >= 0x20 && c <= 0x7E) {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default: unit(c);
      }
      ++i;
      continue;
    }
    const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;  // valid: a lead byte, its sequence whole
    std::uint32_t cp = c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (p[i + k] & 0x3F);
    if (cp > 0xFFFF) {
      cp -= 0x10000;
      unit(0xD800 | (cp >> 10));
      unit(0xDC00 | (cp & 0x3FF));
    } else {
      unit(cp);
    }
    i += len;
  }
  out += '"';
  return true;
}

/// _record_json(record, leader, compact): json.dumps(record.as_dict()) (compact: with
/// separators=(",", ":"), as JSONWriter writes it), made from the engine's view of a record whose
/// fields are untouched (fields_untouched()), with `leader` (str(record.leader)); None for any
/// other record (record.py and writer.py go through as_dict() and json.dumps()).
PyObject* py_record_json(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  NativeRecord* native = nullptr;
  std::string_view leader;
  if (auto answer = untouched_record(args, nargs, 3, "_record_json(record, leader: str, compact)", native, &leader))
    return *answer;
  const int compact = PyObject_IsTrue(args[2]);
  if (compact < 0) return nullptr;
  const std::string_view comma = compact ? "," : ", ", colon = compact ? ":" : ": ";
  const RecordView& view = native->view();
  std::string out;
  out.reserve(view.bytes().size() * 2 + 64);
  out += "{\"leader\"";
  out += colon;
  if (!append_json_string(out, leader)) Py_RETURN_NONE;
  out += comma;
  out += "\"fields\"";
  out += colon;
  out += '[';
  bool first_field = true;
  for (const FieldView& f : view.fields()) {
    if (!first_field) out += comma;
    first_field = false;
    out += '{';
    if (!append_json_string(out, f.tag)) Py_RETURN_NONE;
    out += colon;
    if (f.is_control()) {
      if (!append_json_string(out, f.data)) Py_RETURN_NONE;
      out += '}';
      continue;
    }
    const char ind1 = f.indicator(1), ind2 = f.indicator(2);
    // Indicators and codes are one Latin-1 character each in the Field objects: ASCII here.
    if (static_cast<unsigned char>(ind1) >= 0x80 || static_cast<unsigned char>(ind2) >= 0x80) Py_RETURN_NONE;
    out += "{\"ind1\"";
    out += colon;
    append_json_string(out, std::string_view(&ind1, 1));
    out += comma;
    out += "\"ind2\"";
    out += colon;
    append_json_string(out, std::string_view(&ind2, 1));
    out += comma;
    out += "\"subfields\"";
    out += colon;
    out += '[';
    bool first_sub = true;
    for (const auto& sub : f.subfields()) {
      if (!first_sub) out += comma;
      first_sub = false;
      if (static_cast<unsigned char>(sub.code) >= 0x80) Py_RETURN_NONE;
      out += '{';
      append_json_string(out, std::string_view(&sub.code, 1));
      out += colon;
      if (!append_json_string(out, sub.value)) Py_RETURN_NONE;
      out += '}';
    }
    out += "]}}";
  }
  out += "]}";
  return PyUnicode_DecodeASCII(out.data(), static_cast<Py_ssize_t>(out.size()), nullptr);
}

/// _record_text(record, leader): str(record), pymarc's MARCMaker text (Record.__str__ and
/// Field.__str__ in record.py and field.py: blanks in control field data and blank or backslash
/// indicators as backslashes), made from the engine's view of a record whose fields are
/// untouched (fields_untouched()), with `leader` (str(record.leader)); None for any other record.
PyObject* py_record_text(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  NativeRecord* native = nullptr;
  std::string_view leader;
  if (auto answer = untouched_record(args, nargs, 2, "_record_text(record, leader: str)", native, &leader))
    return *answer;
  const RecordView& view = native->view();
  std::string out;
  out.reserve(view.bytes().size() + 8 * view.fields().size() + 64);
  out.append("=LDR  ").append(leader).append(1, '\n');
  for (const FieldView& f : view.fields()) {
    out.append(1, '=').append(f.tag).append("  ");
    if (f.is_control()) {
      for (const char c : f.data) out += c == ' ' ? '\\' : c;
    } else {
      for (const char i : {f.indicator(1), f.indicator(2)}) {
        // A Latin-1 character in the Field object: kept as one, as code_string() makes it.
        if (static_cast<unsigned char>(i) >= 0x80) Py_RETURN_NONE;
        out += i == ' ' ? '\\' : i;
      }
      for (const auto& sub : f.subfields()) {
        if (static_cast<unsigned char>(sub.code) >= 0x80) Py_RETURN_NONE;
        out.append(1, '$').append(1, sub.code).append(sub.value);
      }
    }
    out += '\n';
  }
  return PyUnicode_DecodeUTF8(out.data(), static_cast<Py_ssize_t>(out.size()), "replace");
}

// ---- Record and Field look-ups as C methods -------------------------------------------------
//
// record.get('245'), record['245'], field.get('a') and field['a'] run once or more per record in
// nearly every script: _register() puts these in place of the Python methods of the same names
// (record.py and field.py keep those as the reference), which saves the interpreter a frame and a
// loop per call. They do what the Python ones do, attribute for attribute, for any Record or
// Field (a subclass's own methods still win).

/// (key, default=None) from a METH_FASTCALL | METH_KEYWORDS call; false with an error set.
bool key_and_default(const char* method, const char* key_name, PyObject* const* args, Py_ssize_t nargs,
                     PyObject* kwnames, bool with_default, PyObject*& key, PyObject*& deflt) {
  key = nargs > 0 ? args[0] : nullptr;
  deflt = with_default && nargs > 1 ? args[1] : nullptr;
  const Py_ssize_t most = with_default ? 2 : 1;
  if (nargs > most) {
    PyErr_Format(PyExc_TypeError, "%s() takes at most %zd arguments (%zd given)", method, most, nargs);
    return false;
  }
  const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t k = 0; k < nkw; ++k) {
    PyObject* name = PyTuple_GET_ITEM(kwnames, k);
    PyObject* value = args[nargs + k];
    if (PyUnicode_CompareWithASCIIString(name, key_name) == 0 && key == nullptr) {
      key = value;
    } else if (with_default && PyUnicode_CompareWithASCIIString(name, "default") == 0 && deflt == nullptr) {
      deflt = value;
    } else {
      PyErr_Format(PyExc_TypeError, "%s() got an unexpected or repeated keyword argument '%U'", method, name);
      return false;
    }
  }
  if (key == nullptr) {
    PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", method, key_name);
    return false;
  }
  if (deflt == nullptr) deflt = Py_None;
  return true;
}

/// A slot's value (new reference), or the attribute looked up as Python would (which raises
/// AttributeError for an unset slot).
PyObject* slot_or_attr(PyObject* o, Py_ssize_t offset, const char* name) {
  if (PyObject* v = get_slot(o, offset)) return Py_NewRef(v);
  return PyObject_GetAttrString(o, name);
}

/// The first item of `items` (any iterable) whose `key` equals `wanted`, as `pick(item)` (new
/// reference); null with no error set when there is none, null with an error on failure.
template <class Key, class Pick>
PyObject* first_match(PyObject* items, PyObject* wanted, Key key, Pick pick) {
  PyObject* it = PyObject_GetIter(items);
  if (it == nullptr) return nullptr;
  while (PyObject* item = PyIter_Next(it)) {
    PyObject* k = key(item);
    const int same = k == nullptr ? -1 : PyObject_RichCompareBool(k, wanted, Py_EQ);
    Py_XDECREF(k);
    if (same != 0) {
      PyObject* out = same > 0 ? pick(item) : nullptr;
      Py_DECREF(item);
      Py_DECREF(it);
      return out;
    }
    Py_DECREF(item);
  }
  Py_DECREF(it);
  return nullptr;
}

/// The first subfield `code` of a Field: its value (new reference); null with no error set when
/// there is none (or the field is a control field), null with an error on failure.
PyObject* field_value_of(PyObject* self, PyObject* code) {
  const PyTypes& t = types();
  PyObject* control = slot_or_attr(self, t.fld_control, "control_field");
  if (control == nullptr) return nullptr;
  const int is_control = PyObject_IsTrue(control);
  Py_DECREF(control);
  if (is_control != 0) return nullptr;  // an error (-1) stays set
  PyObject* subs = slot_or_attr(self, t.fld_subfields, "subfields");
  if (subs == nullptr) return nullptr;
  PyTypeObject* subfield = t.subfield;
  PyObject* out = first_match(
      subs, code,
      [subfield](PyObject* s) {
        return Py_IS_TYPE(s, subfield) ? Py_NewRef(PyTuple_GET_ITEM(s, 0)) : PyObject_GetAttrString(s, "code");
      },
      [subfield](PyObject* s) {
        return Py_IS_TYPE(s, subfield) ? Py_NewRef(PyTuple_GET_ITEM(s, 1)) : PyObject_GetAttrString(s, "value");
      });
  Py_DECREF(subs);
  return out;
}

/// The first field with `tag` of a Record (new reference); null with no error set when there is
/// none, null with an error on failure.
PyObject* record_field_of(PyObject* self, PyObject* tag) {
  const PyTypes& t = types();
  PyObject* fields = slot_or_attr(self, t.rec_fields, "_fields");
  if (fields == nullptr) return nullptr;
  if (fields == Py_None) {
    Py_DECREF(fields);
    PyObject* argv[2] = {self, tag};
    PyObject* f = py_record_field(nullptr, argv, 2);
    if (f == Py_None) {
      Py_DECREF(f);
      return nullptr;
    }
    return f;
  }
  PyTypeObject* field = t.field;
  const Py_ssize_t tag_slot = t.fld_tag;
  PyObject* out = first_match(
      fields, tag,
      [field, tag_slot](PyObject* f) {
        return PyObject_TypeCheck(f, field) ? slot_or_attr(f, tag_slot, "tag") : PyObject_GetAttrString(f, "tag");
      },
      [](PyObject* f) { return Py_NewRef(f); });
  Py_DECREF(fields);
  return out;
}

PyObject* field_get(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject *code, *deflt;
  if (!key_and_default("get", "code", args, nargs, kwnames, true, code, deflt)) return nullptr;
  PyObject* v = field_value_of(self, code);
  return v != nullptr || PyErr_Occurred() ? v : Py_NewRef(deflt);
}

PyObject* field_getitem(PyObject* self, PyObject* code) {
  PyObject* v = field_value_of(self, code);
  if (v == nullptr && !PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, code);
  return v;
}

PyObject* record_get(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject *tag, *deflt;
  if (!key_and_default("get", "tag", args, nargs, kwnames, true, tag, deflt)) return nullptr;
  PyObject* f = record_field_of(self, tag);
  return f != nullptr || PyErr_Occurred() ? f : Py_NewRef(deflt);
}

PyObject* record_getitem(PyObject* self, PyObject* tag) {
  PyObject* f = record_field_of(self, tag);
  if (f == nullptr && !PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, tag);
  return f;
}

/// Field.value(): a control field's data (or "" when it has none), else every subfield's value
/// stripped (str.strip()) and joined by spaces (str.join()): field.py's reference, the same calls.
PyObject* field_value(PyObject* self, PyObject*) {
  const PyTypes& t = types();
  PyObject* control = slot_or_attr(self, t.fld_control, "control_field");
  if (control == nullptr) return nullptr;
  const int is_control = PyObject_IsTrue(control);
  Py_DECREF(control);
  if (is_control < 0) return nullptr;
  if (is_control) {
    PyObject* data = slot_or_attr(self, t.fld_data, "data");
    if (data == nullptr) return nullptr;
    const int truthy = PyObject_IsTrue(data);
    if (truthy != 0) {
      if (truthy < 0) Py_CLEAR(data);
      return data;
    }
    Py_DECREF(data);
    return PyUnicode_FromStringAndSize("", 0);
  }
  static PyObject *strip = nullptr, *space = nullptr;
  py::object strip_name = py::reinterpret_steal<py::object>(interned_name(strip, "strip"));
  py::object separator = py::reinterpret_steal<py::object>(interned_name(space, " "));
  if (!strip_name || !separator) return nullptr;
  py::object subs = py::reinterpret_steal<py::object>(slot_or_attr(self, t.fld_subfields, "subfields"));
  if (!subs) return nullptr;
  py::object iter = py::reinterpret_steal<py::object>(PyObject_GetIter(subs.ptr()));
  py::object parts = py::reinterpret_steal<py::object>(PyList_New(0));
  if (!iter || !parts) return nullptr;
  while (PyObject* s = PyIter_Next(iter.ptr())) {
    PyObject* v = Py_IS_TYPE(s, t.subfield) ? Py_NewRef(PyTuple_GET_ITEM(s, 1)) : PyObject_GetAttrString(s, "value");
    Py_DECREF(s);
    if (v == nullptr) return nullptr;
    PyObject* stripped = PyObject_CallMethodNoArgs(v, strip_name.ptr());
    Py_DECREF(v);
    if (stripped == nullptr) return nullptr;
    const int rc = PyList_Append(parts.ptr(), stripped);
    Py_DECREF(stripped);
    if (rc != 0) return nullptr;
  }
  if (PyErr_Occurred()) return nullptr;
  return PyUnicode_Join(separator.ptr(), parts.ptr());
}

PyMethodDef g_field_value = {"value", field_value, METH_NOARGS,
                             "A control field's data, else every subfield value stripped, joined by spaces."};
PyMethodDef g_field_get = {"get", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(field_get)),
                           METH_FASTCALL | METH_KEYWORDS, "The first value of subfield `code`, or `default`."};
PyMethodDef g_field_getitem = {"__getitem__", field_getitem, METH_O,
                               "The first value of subfield `code`; KeyError when absent or for a control field."};
PyMethodDef g_record_get = {"get", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(record_get)),
                            METH_FASTCALL | METH_KEYWORDS, "The first field with `tag`, or `default`."};
PyMethodDef g_record_getitem = {"__getitem__", record_getitem, METH_O,
                                "The first field with `tag`; KeyError when there is none."};

/// Puts `def` on `type` as a method (in place of the Python one of that name).
void install_method(PyTypeObject* type, PyMethodDef* def) {
  PyObject* descr = PyDescr_NewMethod(type, def);
  if (descr == nullptr) throw py::error_already_set();
  const int rc = PyObject_SetAttrString(reinterpret_cast<PyObject*>(type), def->ml_name, descr);
  Py_DECREF(descr);
  if (rc < 0) throw py::error_already_set();
}

PyMethodDef g_fast_methods[] = {
    {"_record_field", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_field)), METH_FASTCALL,
     "First field with a tag, made lazily (None when absent)."},
    {"_record_has", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_has)), METH_FASTCALL,
     "Whether a native record has a field with a tag."},
    {"_record_fields", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_fields)), METH_FASTCALL,
     "Fields with any of the tags, made lazily."},
    {"_record_materialise", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_materialise)),
     METH_FASTCALL, "The record's whole field list, made once."},
    {"_record_leader", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_leader)), METH_FASTCALL,
     "The native record's leader as read."},
    {"_record_undecoded", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_undecoded)),
     METH_FASTCALL, "Whether a record read from an input is still its undecoded bytes (tests)."},
    {"_record_as_dict", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_as_dict)), METH_FASTCALL,
     "Record.as_dict() of a record whose fields are still the engine's, or None (record.py)."},
    {"_record_json", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_json)), METH_FASTCALL,
     "json.dumps(record.as_dict()) of a record whose fields are still the engine's, or None."},
    {"_record_text", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_text)), METH_FASTCALL,
     "str(record) of a record whose fields are still the engine's, or None (record.py)."},
    {"_record_xml", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_xml)), METH_FASTCALL,
     "record_to_xml()'s text of a record whose fields are still the engine's, or None (marcxml.py)."},
    {"_record_lent", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_record_lent)), METH_FASTCALL,
     "Whether an undecoded record still borrows its bytes from its reader's batch (tests)."},
    {nullptr, nullptr, 0, nullptr},
};

void append_utf8(PyObject* value, std::string& out, const char* what) {
  if (PyUnicode_Check(value)) {
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(value, &n);
    if (s == nullptr) throw py::error_already_set();
    out.append(s, static_cast<std::size_t>(n));
  } else if (PyBytes_Check(value)) {
    out.append(PyBytes_AS_STRING(value), static_cast<std::size_t>(PyBytes_GET_SIZE(value)));
  } else if (value != Py_None) {
    // pymarc writes any other value as f"{value}" (an int year, a Decimal ...): so does this.
    py::str text = py::reinterpret_steal<py::str>(PyObject_Str(value));
    if (!text) throw py::error_already_set();
    append_utf8(text.ptr(), out, what);
  }
}

char one_char(PyObject* value, const char* what) {
  std::string s;
  append_utf8(value, s, what);
  if (s.empty()) return ' ';
  return s[0];
}

void field_to_engine(py::handle f, Record& out) {
  std::string tag;
  append_utf8(f.attr("tag").ptr(), tag, "a field's tag");
  if (py::bool_(f.attr("control_field"))) {
    std::string data;
    append_utf8(f.attr("data").ptr(), data, "a control field's data");
    out.add_field(Field(std::move(tag), std::move(data)));
    return;
  }
  const char i1 = one_char(f.attr("indicator1").ptr(), "an indicator");
  const char i2 = one_char(f.attr("indicator2").ptr(), "an indicator");
  std::vector<Subfield> subs;
  for (py::handle sf : f.attr("subfields")) {
    py::sequence pair = py::reinterpret_borrow<py::sequence>(sf);
    if (pair.size() != 2) throw py::value_error("a subfield is a (code, value) pair");
    Subfield s;
    s.code = one_char(py::object(pair[0]).ptr(), "a subfield code");
    append_utf8(py::object(pair[1]).ptr(), s.value, "a subfield value");
    subs.push_back(std::move(s));
  }
  out.add_field(Field(std::move(tag), i1, i2, std::move(subs)));
}

}  // namespace

PyTypes& types() {
  static PyTypes t;
  return t;
}

const RecordView& NativeRecord::view() {
  if (lent_view_) return *lent_view_;
  if (!view_ready) {
    Diagnostics ignored;  // none: the reader parsed these bytes without a word
    view_.parse(bytes(), offset, number, ReadMode::Permissive, ignored);
    view_ready = true;
  }
  return view_;
}

Record& NativeRecord::model() {
  if (as_is) {
    Diagnostics ignored;  // none: decodes_as_is() said so
    record = Record::from_view(view(), decode ? *decode : DecodeOptions{}, ignored);
    as_is = false;
    drop_bytes();
  }
  return record;
}

NativeRecord* native_of(PyObject* record) {
  PyObject* capsule = get_slot(record, types().rec_native);
  if (is_none_or_unset(capsule)) return nullptr;
  return static_cast<NativeRecord*>(PyCapsule_GetPointer(capsule, kCapsuleName));
}

PyObject* make_record(NativeRecord* native, bool to_unicode, bool force_utf8) {
  const PyTypes& t = types();
  PyObject* capsule = PyCapsule_New(native, kCapsuleName, destroy_native);
  if (capsule == nullptr) {
    delete native;
    return nullptr;
  }
  PyObject* o = t.record->tp_alloc(t.record, 0);
  if (o == nullptr) {
    Py_DECREF(capsule);
    return nullptr;
  }
  set_slot(o, t.rec_native, capsule);
  set_slot(o, t.rec_fields, Py_NewRef(Py_None));
  set_slot(o, t.rec_cache, Py_NewRef(Py_None));
  set_slot(o, t.rec_leader, Py_NewRef(Py_None));
  set_slot(o, t.rec_pos, PyLong_FromLong(0));
  set_slot(o, t.rec_force_utf8, Py_NewRef(force_utf8 ? Py_True : Py_False));
  set_slot(o, t.rec_to_unicode, Py_NewRef(to_unicode ? Py_True : Py_False));
  return o;
}

namespace {

constexpr const char* kDiagnosticFields[] = {"severity", "code",    "record", "offset", "tag",
                                             "subfield", "message", "rule",   "field",  "control_number"};
static_assert(std::size(kDiagnosticFields) == std::tuple_size_v<decltype(PyTypes::finding_slots)>);

// Severity and code names as interned Python strings, made once each (a validation hands over
// hundreds of thousands of findings with a few dozen distinct names).
std::array<PyObject*, 4> g_severity_names{};
std::array<PyObject*, 256> g_code_names{};

PyObject* severity_object(Severity s) {
  const auto i = static_cast<std::size_t>(s);
  if (i >= g_severity_names.size()) return PyUnicode_FromString(std::string(severity_name(s)).c_str());
  return interned_name(g_severity_names[i], severity_name(s));
}

PyObject* code_object(Code c) {
  const auto i = static_cast<std::size_t>(c);
  const std::string_view name = code_name(c);
  if (i >= g_code_names.size()) return PyUnicode_FromStringAndSize(name.data(), static_cast<Py_ssize_t>(name.size()));
  return interned_name(g_code_names[i], name);
}

PyObject* text_object(std::string_view s) {
  return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
}

/// A Diagnostic (n = 9) or Finding (n = 10) with its fields set: an instance of the dataclass
/// made without running its __init__ (a frozen dataclass's sets each field through
/// object.__setattr__, which was most of the time validate() took to hand over its findings).
/// The fields go into the instance's __slots__, where __init__ would put them. Steals `values`
/// (any of which may be null after a failed conversion: then null is returned, the error set).
PyObject* new_diagnostic_object(PyObject* cls, const std::array<Py_ssize_t, 10>& slots, std::array<PyObject*, 10>& values,
                                std::size_t n) {
  bool ok = true;
  for (std::size_t i = 0; i < n; ++i) ok = ok && values[i] != nullptr;
  auto* type = reinterpret_cast<PyTypeObject*>(cls);
  PyObject* o = ok ? type->tp_alloc(type, 0) : nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    if (o != nullptr) set_slot(o, slots[i], values[i]);  // steals
    else Py_XDECREF(values[i]);
  }
  return o;
}

PyObject* diagnostic_object(PyObject* cls, const Diagnostic& d, const std::string_view* control_number) {
  if (cls == nullptr) {
    PyErr_SetString(PyExc_RuntimeError, "marcscope._core: the Python classes are not registered (import marcscope)");
    throw py::error_already_set();
  }
  std::array<PyObject*, 10> v{};
  // Each made only while the ones before succeeded (no C-API call with an error set).
  bool ok = true;
  auto put = [&](std::size_t i, auto make) {
    if (ok) ok = (v[i] = make()) != nullptr;
  };
  put(0, [&] { return severity_object(d.severity); });
  put(1, [&] { return code_object(d.code); });
  put(2, [&] { return PyLong_FromUnsignedLongLong(d.record); });
  put(3, [&] { return PyLong_FromUnsignedLongLong(d.offset); });
  put(4, [&] { return d.tag.empty() ? Py_NewRef(Py_None) : tag_string(d.tag); });
  put(5, [&] { return d.subfield ? code_string(d.subfield) : Py_NewRef(Py_None); });
  put(6, [&] { return text_object(d.message); });
  put(7, [&] { return d.rule.empty() ? Py_NewRef(Py_None) : text_object(d.rule); });
  put(8, [&] { return d.field < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(d.field); });
  std::size_t n = 9;
  if (control_number) {
    put(9, [&] {
      return control_number->empty() ? Py_NewRef(Py_None) : text_object(*control_number);
    });
    n = 10;
  }
  const PyTypes& t = types();
  PyObject* o = new_diagnostic_object(cls, n == 10 ? t.finding_slots : t.diagnostic_slots, v, n);
  if (o == nullptr) throw py::error_already_set();
  return o;
}

}  // namespace

PyObject* make_diagnostic(const Diagnostic& d) { return diagnostic_object(types().diagnostic, d, nullptr); }

PyObject* make_finding(const Diagnostic& d, std::string_view control_number) {
  return diagnostic_object(types().finding, d, &control_number);
}

void record_to_engine(PyObject* rec, Record& out) {
  const PyTypes& t = types();
  if (!PyObject_TypeCheck(rec, t.record)) throw py::type_error("expected a marcscope Record");
  NativeRecord* native = native_of(rec);
  PyObject* leader_slot = get_slot(rec, t.rec_leader);
  if (native != nullptr && is_none_or_unset(get_slot(rec, t.rec_fields)) && is_none_or_unset(get_slot(rec, t.rec_cache))) {
    if (native->as_is) {
      Diagnostics ignored;  // none: decodes_as_is() said so
      out = Record::from_view(native->view(), native->decode ? *native->decode : DecodeOptions{}, ignored);
    } else {
      out = native->record;
    }
    if (!is_none_or_unset(leader_slot)) {
      std::string leader;
      append_utf8(py::str(leader_slot).ptr(), leader, "the leader");
      out.set_leader(leader);
    }
    return;
  }
  py::handle r(rec);
  out = Record();
  std::string leader;
  append_utf8(py::str(r.attr("leader")).ptr(), leader, "the leader");
  out.set_leader(leader);
  for (py::handle f : r.attr("fields")) field_to_engine(f, out);
}

void bind_record(py::module_& m) {
  for (PyMethodDef* def = g_fast_methods; def->ml_name != nullptr; ++def) {
    py::object fn = py::reinterpret_steal<py::object>(PyCFunction_NewEx(def, nullptr, m.attr("__name__").ptr()));
    if (!fn) throw py::error_already_set();
    m.add_object(def->ml_name, fn);
  }

  m.def(
      "_register",
      [](py::type record, py::type field, py::type raw_field, py::type subfield, py::type indicators,
         py::type diagnostic, py::type finding) {
        PyTypes& t = types();
        auto keep = [](py::handle h) { return reinterpret_cast<PyTypeObject*>(h.inc_ref().ptr()); };
        auto* rec = reinterpret_cast<PyTypeObject*>(record.ptr());
        auto* fld = reinterpret_cast<PyTypeObject*>(field.ptr());
        t.rec_native = slot_offset(rec, "_native");
        t.rec_fields = slot_offset(rec, "_fields");
        t.rec_cache = slot_offset(rec, "_cache");
        t.rec_leader = slot_offset(rec, "_leader");
        t.rec_pos = slot_offset(rec, "pos");
        t.rec_force_utf8 = slot_offset(rec, "force_utf8");
        t.rec_to_unicode = slot_offset(rec, "to_unicode");
        t.fld_tag = slot_offset(fld, "tag");
        t.fld_data = slot_offset(fld, "data");
        t.fld_indicators = slot_offset(fld, "_indicators");
        t.fld_subfields = slot_offset(fld, "subfields");
        t.fld_control = slot_offset(fld, "control_field");
        if (!PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(raw_field.ptr()), fld))
          throw py::type_error("RawField must subclass Field");
        if (!PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(subfield.ptr()), &PyTuple_Type) ||
            !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(indicators.ptr()), &PyTuple_Type))
          throw py::type_error("Subfield and Indicators must be named tuples");
        t.record = keep(record);
        t.field = keep(field);
        t.raw_field = keep(raw_field);
        t.subfield = keep(subfield);
        t.indicators = keep(indicators);
        // Diagnostics are made without their __init__ (new_diagnostic_object): the classes must be
        // the dataclasses of marcscope.diagnostics, with these fields in this order, in __slots__,
        // and no __post_init__ to skip.
        auto* diagnostic_type = reinterpret_cast<PyTypeObject*>(diagnostic.ptr());
        auto* finding_type = reinterpret_cast<PyTypeObject*>(finding.ptr());
        if (!PyType_IsSubtype(finding_type, diagnostic_type)) throw py::type_error("Finding must subclass Diagnostic");
        if (py::hasattr(finding, "__post_init__")) throw py::type_error("Diagnostic and Finding must have no __post_init__");
        py::tuple names = py::module_::import("dataclasses").attr("fields")(finding);
        if (names.size() != std::size(kDiagnosticFields)) throw py::type_error("Finding's fields are not the bindings'");
        for (std::size_t i = 0; i < names.size(); ++i) {
          if (py::str(names[i].attr("name")).cast<std::string>() != kDiagnosticFields[i])
            throw py::type_error("Finding's fields are not the bindings'");
          t.finding_slots[i] = slot_offset(finding_type, kDiagnosticFields[i]);  // TypeError unless a slot
          if (i < 9) t.diagnostic_slots[i] = slot_offset(diagnostic_type, kDiagnosticFields[i]);
        }
        t.diagnostic = diagnostic.inc_ref().ptr();
        t.finding = finding.inc_ref().ptr();
        install_method(rec, &g_record_get);
        install_method(rec, &g_record_getitem);
        install_method(fld, &g_field_get);
        install_method(fld, &g_field_getitem);
        install_method(fld, &g_field_value);
      },
      "Registers the pure-Python classes the bindings build (called once by marcscope/__init__.py).");

  m.def(
      "record_as_marc",
      [](py::handle record, bool raw) {
        Record scratch;
        record_to_engine(record.ptr(), scratch);
        std::string out;
        Iso2709WriteOptions options;
        options.raw = raw;
        options.keep_leader = true;  // pymarc computes only the lengths, base address and leader/09
        Diagnostics ignored;
        write_iso2709(scratch, out, ignored, 0, 0, options);
        return py::bytes(out);
      },
      py::arg("record"), py::arg("raw") = false,
      "The record as ISO 2709 bytes: UTF-8 with leader/09 'a', or (raw) its values as they were read, leader/09 kept; "
      "leader/10-11 and 20-23 as the record has them (pymarc's as_marc).");

  m.def(
      "record_info",
      [](py::handle record) -> py::object {
        if (!PyObject_TypeCheck(record.ptr(), types().record)) throw py::type_error("expected a marcscope Record");
        NativeRecord* native = native_of(record.ptr());
        if (native == nullptr) return py::none();
        py::list diags;
        for (const Diagnostic& d : native->diagnostics) diags.append(py::reinterpret_steal<py::object>(make_diagnostic(d)));
        return py::make_tuple(native->number, native->offset, native->status, diags);
      },
      py::arg("record"), "(number, offset, status, diagnostics) of a record read from an input, else None.");
}

}  // namespace marcscope::python
