"""marcscope.validate(): the engine's validator (MARC 21 bibliographic schema and content rules)."""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from . import _core
from .diagnostics import Finding, ValidationReport
from .progress import Progress, _adapt

__all__ = ["validate", "rule_ids", "profiles"]


def profiles() -> list:
    """The validation profiles, as ``(name, description)`` pairs: "marc21" (the default), "oclc", "lenient"."""
    return [tuple(p) for p in _core.profiles()]


def rule_ids() -> list:
    """Every validation rule id, in a stable order."""
    return _core.rule_ids()


def validate(
    source: Union[str, os.PathLike, Iterable[Any]],
    *,
    rules: bool = True,
    mode: str = "permissive",
    threads: Optional[int] = None,
    disabled_rules: Sequence[str] = (),
    severities: Optional[Mapping[str, str]] = None,
    profile: str = "marc21",
    accepted_codes: Sequence[str] = (),
    accepted_tags: Sequence[str] = (),
    progress: Optional[Callable[[Progress], Any]] = None,
    progress_interval: float = 0.2,
    max_findings: Optional[int] = None,
    each: Optional[Callable[[Finding], Any]] = None,
) -> ValidationReport:
    """Validates a file (on the engine's pipeline, the GIL released) or Records.

    ``rules=False`` checks structure and character sets only. ``disabled_rules`` are rule ids
    not to report; ``severities`` maps rule ids to "info", "warning", "error" or "fatal".
    ``profile`` starts from a named set of settings (see ``profiles()``: "oclc" accepts OCLC's
    encoding levels I, J, K, M and fields 019, 029, 049); ``accepted_codes`` adds codes at a fixed-field
    position ("LDR/17=K", "008/23=o") and ``accepted_tags`` tags accepted as local, as the CLI's
    ``--profile``, ``--accept-codes`` and ``--accept-tags`` do. Unknown names raise ValueError.
    Findings come in input order, each with record number, byte offset, code, rule and the
    record's 001.

    ``progress``, when given, is called with a ``marcscope.Progress`` every ``progress_interval``
    seconds and once at the end, on this thread; returning False stops the validation (the report
    says ``cancelled``), an exception raised in it stops it and propagates. Ctrl-C
    (KeyboardInterrupt) stops it in either case.

    ``max_findings`` keeps only the first that many findings as objects (``report.truncated`` says
    whether there were more): on an input with millions of findings, memory stays bounded while
    ``report.counts`` (by code, rule and severity), ``by_code()`` and ``total_findings`` still
    count every one.

    ``each``, when given, is called with every finding, in input order, as the validation runs
    (on this thread; what it returns is ignored, an exception raised in it stops the validation
    and propagates). The findings are then not kept (``report.findings`` is empty and
    ``report.truncated`` true when there were any) unless ``max_findings`` says how many to keep
    as well: from a file, at most a few thousand findings are held at once however many the
    input has, so a report of every finding can be written as it is made (a CSV file, a
    database).
    """
    if max_findings is not None and (not isinstance(max_findings, int) or max_findings < 0):
        raise ValueError("max_findings must be a number of findings (0 or more), or None")
    if each is not None and not callable(each):
        raise TypeError("each must be a callable taking a Finding, or None")
    if each is not None and max_findings is None:
        max_findings = 0
    severities = dict(severities or {})
    if isinstance(source, (str, os.PathLike)):
        counts, found = _core.validate_path(os.fspath(source), rules=rules, mode=mode, threads=threads,
                                            disabled_rules=list(disabled_rules), severities=severities,
                                            profile=profile, accepted_codes=list(accepted_codes),
                                            accepted_tags=list(accepted_tags), progress=_adapt(progress),
                                            progress_interval=progress_interval, max_findings=max_findings,
                                            each=each)
        return ValidationReport(
            findings=found,
            records=counts["records"],
            clean=counts["clean"],
            skipped=counts["skipped"],
            repaired=counts["repaired"],
            stopped=counts["stopped"],
            summary=counts["summary"],
            cancelled=counts["cancelled"],
            counts=counts["counts"],
            truncated=counts["truncated"],
        )
    records = list(source)
    found, looked_at, cancelled = _core.validate_records(
        records, rules=rules, disabled_rules=list(disabled_rules), severities=severities, profile=profile,
        accepted_codes=list(accepted_codes), accepted_tags=list(accepted_tags), progress=_adapt(progress),
        progress_interval=progress_interval)
    bad_numbers = {f.record for f in found if f.severity != "info"}
    seen = records[:looked_at]
    good = [r for r in seen if r is not None]
    kinds: dict = {}
    for f in found:
        key = (f.code, f.rule, f.severity)
        kinds[key] = kinds.get(key, 0) + 1
    if each is not None:
        for f in found:
            each(f)
    kept = found if max_findings is None else found[:max_findings]
    return ValidationReport(findings=kept, records=len(good), clean=len(good) - len(bad_numbers),
                            skipped=len(seen) - len(good), cancelled=cancelled, counts=kinds,
                            truncated=len(kept) < len(found))
