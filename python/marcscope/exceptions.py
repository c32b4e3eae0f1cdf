"""pymarc's exception hierarchy, and what the engine adds to it.

A bad record met while reading becomes one of pymarc's exceptions (``MARCReader.current_exception``)
chosen from the engine's diagnostic codes (``EXCEPTION_FOR_CODE``); each carries the diagnostics
(record number, byte offset, code, message) in ``.diagnostics``.
"""

from __future__ import annotations


class PymarcException(Exception):
    """Base of every exception here."""

    diagnostics: list = []


class FatalReaderError(PymarcException):
    """An error after which a pymarc reader stops."""


class RecordLengthInvalid(FatalReaderError):
    def __str__(self):
        return _with_details(self, "Invalid record length in first 5 bytes of record")


class TruncatedRecord(FatalReaderError):
    def __str__(self):
        return _with_details(self, "Record length in leader is greater than the length of data")


class EndOfRecordNotFound(FatalReaderError):
    def __str__(self):
        return _with_details(self, "Unable to locate end of record marker")


class RecordLeaderInvalid(PymarcException):
    def __str__(self):
        return _with_details(self, "Unable to extract record leader")


class RecordDirectoryInvalid(PymarcException):
    def __str__(self):
        return _with_details(self, "Invalid directory")


class NoFieldsFound(PymarcException):
    def __str__(self):
        return _with_details(self, "Unable to locate fields in record data")


class BaseAddressInvalid(PymarcException):
    def __str__(self):
        return _with_details(self, "Base address exceeds size of record")


class BaseAddressNotFound(PymarcException):
    def __str__(self):
        return _with_details(self, "Unable to locate base address of record")


class WriteNeedsRecord(PymarcException):
    def __str__(self):
        return "Write requires a pymarc.Record object as an argument"


class NoActiveFile(PymarcException):
    def __str__(self):
        return "There is no active file to write to in call to write"


class FieldNotFound(PymarcException):
    def __str__(self):
        return "Record does not contain the specified field"


class BadSubfieldCodeWarning(Warning):
    """A subfield code that is not ASCII."""


class BadLeaderValue(PymarcException):
    """A leader value of the wrong length."""


class MissingLinkedFields(PymarcException):
    """A field has a subfield 6 but no 880 field links to it."""

    def __init__(self, field):
        super().__init__(field)
        self.field = field

    def __str__(self):
        return f"{self.field.tag} field includes a subfield 6 but no linked fields could be found."


# ---- beyond pymarc ---------------------------------------------------------------------------


class NotMarcError(RecordLengthInvalid):
    """The input is not MARC in any format the engine reads (pymarc would find no record length)."""

    def __str__(self):
        return str(self.args[0]) if self.args else "not MARC"


class BaseAddressNotDigits(BaseAddressInvalid, ValueError):
    """A base address (leader/12-16) that is not digits. pymarc raises ValueError there (its int()
    of the field fails), so this is both a BaseAddressInvalid and a ValueError."""


class RecordInvalid(PymarcException):
    """A record the engine could not read, for a reason pymarc has no exception for."""

    def __str__(self):
        return _with_details(self, "Invalid record")


class MarcIOError(OSError):
    """The input or output could not be read or written (the engine's IoError)."""


def _with_details(exc: PymarcException, text: str) -> str:
    diags = getattr(exc, "diagnostics", None)
    if not diags:
        return text
    d = diags[0]
    return f"{text}: {d}"


# Which pymarc exception a record skipped by the engine becomes, from the code of its first
# error. Stage 1 problems are pymarc's fatal reader errors.
EXCEPTION_FOR_CODE = {
    "leader-length-invalid": RecordLengthInvalid,
    "record-too-short": TruncatedRecord,
    "record-truncated": TruncatedRecord,
    "record-length-mismatch": EndOfRecordNotFound,
    "missing-record-terminator": EndOfRecordNotFound,
    "leader-invalid-digits": RecordLeaderInvalid,
    "base-address-invalid": BaseAddressNotDigits,
    "base-address-mismatch": BaseAddressInvalid,
    "directory-invalid": RecordDirectoryInvalid,
    "directory-entry-invalid": RecordDirectoryInvalid,
    "field-out-of-bounds": RecordDirectoryInvalid,
    "field-overlap": RecordDirectoryInvalid,
    "no-fields": NoFieldsFound,
    "not-marc": NotMarcError,
    "input-damaged": TruncatedRecord,
}

# Codes after which pymarc's MARCReader stops (its FatalReaderError subclasses).
FATAL_CODES = sorted(code for code, cls in EXCEPTION_FOR_CODE.items() if issubclass(cls, FatalReaderError))
