"""Diagnostics and validation results as Python objects.

Every problem the engine finds is a Diagnostic: severity ("info", "warning", "error", "fatal"),
a stable code ("record-length-mismatch", "invalid-utf8", "rule-violation" ...), the 1-based record
number, the byte offset in the input, the tag and subfield where known, a message, and for
validation findings the rule id ("invalid-indicator", "isbn-check-digit" ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

__all__ = ["Diagnostic", "Finding", "ValidationReport"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str
    code: str
    record: int
    offset: int
    tag: Optional[str]
    subfield: Optional[str]
    message: str
    rule: Optional[str] = None
    field: Optional[int] = None

    def __str__(self) -> str:
        where = []
        if self.record:
            where.append(f"record {self.record}")
        where.append(f"at byte {self.offset}")
        text = " ".join(where)
        if self.tag:
            text += f", field {self.tag}"
            if self.subfield:
                text += f" ${self.subfield}"
        kind = f"{self.code}: {self.rule}" if self.rule else self.code
        return f"{text}: {self.message} [{kind}]"


@dataclass(frozen=True, slots=True)
class Finding(Diagnostic):
    """A Diagnostic with the control number (001) of its record, where it has one."""

    control_number: Optional[str] = None

    @classmethod
    def of(cls, diagnostic: Diagnostic, control_number: Optional[str]) -> "Finding":
        return cls(
            diagnostic.severity, diagnostic.code, diagnostic.record, diagnostic.offset, diagnostic.tag,
            diagnostic.subfield, diagnostic.message, diagnostic.rule, diagnostic.field, control_number,
        )


@dataclass
class ValidationReport:
    """What marcscope.validate() found."""

    findings: list = field(default_factory=list)
    records: int = 0
    clean: int = 0
    skipped: int = 0
    repaired: int = 0
    stopped: bool = False
    summary: str = ""
    cancelled: bool = False
    """The progress callback returned False: the figures cover what was read before it stopped."""
    counts: dict = field(default_factory=dict)
    """Every finding counted by ``(code, rule or None, severity)``, those not kept in ``findings``
    (``max_findings``) included."""
    truncated: bool = False
    """``findings`` holds only the first ``max_findings`` of them."""

    @property
    def total_findings(self) -> int:
        """How many findings there were, kept or not."""
        return sum(self.counts.values()) if self.counts or self.truncated else len(self.findings)

    def by_code(self) -> dict:
        """{code or "rule-violation: rule": count}, over every finding (kept or not)."""
        counts: dict = {}
        if self.counts or self.truncated:
            for (code, rule, _severity), n in self.counts.items():
                key = f"{code}: {rule}" if rule else code
                counts[key] = counts.get(key, 0) + n
            return counts
        for f in self.findings:
            key = f"{f.code}: {f.rule}" if f.rule else f.code
            counts[key] = counts.get(key, 0) + 1
        return counts

    def __iter__(self):
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __repr__(self) -> str:
        # The figures, not every finding and count: a report of a large file holds millions.
        total = self.total_findings
        kept = f", {len(self.findings)} kept" if len(self.findings) != total else ""
        flags = "".join(f", {name}" for name in ("stopped", "cancelled") if getattr(self, name))
        return (
            f"<ValidationReport {self.records} records, {self.clean} without problems, {self.skipped} skipped, "
            f"{self.repaired} repaired, {total} findings{kept}{flags}>"
        )

    def __str__(self) -> str:
        """The summary table the CLI prints (counts by severity and code), or the repr."""
        return self.summary.strip("\n") or repr(self)
