"""marcscope.validate(): findings as objects, from a file and from Records."""

from __future__ import annotations

import marcscope
from marcscope import Field, Indicators, Record, Subfield

BAD_INDICATOR = "malformed/mrrc-e201_bad_indicator.bin"


def key(f):
    return (f.record, f.severity, f.code, f.rule, f.tag, f.subfield, f.message)


def test_validate_a_file(data):
    report = marcscope.validate(str(data / BAD_INDICATOR))
    assert report.records == 1 and report.clean == 0 and report.skipped == 0
    rules = {f.rule for f in report.findings}
    assert "invalid-indicator" in rules
    bad = next(f for f in report.findings if f.rule == "invalid-indicator")
    assert isinstance(bad, marcscope.Finding) and isinstance(bad, marcscope.Diagnostic)
    assert bad.code == "rule-violation" and bad.tag == "245" and bad.record == 1
    assert "245" in str(bad) and "invalid-indicator" in str(bad)
    assert any(f.code == "indicator-invalid" for f in report.findings)  # found while reading
    assert "1 record read" in report.summary
    # The same records validated from Python give the same findings.
    from_records = marcscope.validate(list(marcscope.MARCReader(str(data / BAD_INDICATOR))))
    assert sorted(map(key, from_records.findings)) == sorted(map(key, report.findings))


def test_rules_can_be_disabled_or_reweighted(data):
    path = str(data / BAD_INDICATOR)
    assert not any(f.rule == "invalid-indicator"
                   for f in marcscope.validate(path, disabled_rules=["invalid-indicator"]).findings)
    errors = [f for f in marcscope.validate(path, severities={"invalid-indicator": "error"}).findings
              if f.rule == "invalid-indicator"]
    assert errors and all(f.severity == "error" for f in errors)
    structure_only = marcscope.validate(path, rules=False)
    assert structure_only.findings and all(f.code != "rule-violation" for f in structure_only.findings)
    assert "invalid-indicator" in marcscope.validate.__globals__["rule_ids"]()


def test_profiles_and_accepted_codes(data):
    """The engine's profiles and exceptions, as the CLI's --profile, --accept-codes, --accept-tags."""
    path = str(data / "pairs/lcmarcedit-marc_sample_data.mrc")
    names = [name for name, _ in marcscope.validation_profiles()]
    assert names[0] == "marc21" and "oclc" in names and "lenient" in names

    def count(report, rule, tag):
        return sum(1 for f in report.findings if f.rule == rule and f.tag == tag)

    base = marcscope.validate(path)
    k_levels = sum(1 for f in base.findings if f.rule == "leader-value" and '"K"' in f.message)
    assert k_levels > 100 and count(base, "unknown-tag", "049") > 0
    oclc = marcscope.validate(path, profile="oclc")
    assert count(oclc, "unknown-tag", "049") == 0
    assert count(base, "leader-value", "LDR") - count(oclc, "leader-value", "LDR") >= k_levels
    codes = marcscope.validate(path, accepted_codes=["LDR/17=K"], accepted_tags=["049"])
    assert count(base, "leader-value", "LDR") - count(codes, "leader-value", "LDR") == k_levels
    assert count(codes, "unknown-tag", "049") == 0
    # Records from Python take the same settings.
    records = list(marcscope.MARCReader(path))
    assert count(marcscope.validate(records, profile="oclc"), "unknown-tag", "049") == 0
    for bad in ({"profile": "strictest"}, {"accepted_codes": ["LDR/17=KK"]}, {"accepted_codes": ["LDR17"]},
                {"severities": {"invalid-indicator": "loud"}}):
        try:
            marcscope.validate(path, **bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{bad} was accepted")


def test_records_made_in_python(data):
    r = Record()
    r.add_field(Field("001", data="abc"), Field("245", Indicators("9", "0"), [Subfield("a", "Title.")]))
    report = marcscope.validate([r])
    found = [f for f in report.findings if f.rule == "invalid-indicator"]
    assert found and found[0].tag == "245" and found[0].control_number == "abc" and found[0].record == 1


def test_counts_on_a_clean_and_a_bad_file(data):
    report = marcscope.validate(str(data / "malformed/catmandu-bu_bibs.mrc"))
    assert report.skipped == 16 and report.records == 84
    skipped = [f for f in report.findings if f.code == "record-skipped"]
    assert len(skipped) == 16 and all(f.record > 0 for f in skipped)


def test_findings_and_diagnostics_are_the_dataclasses(data):
    """The bindings make Diagnostic and Finding objects without running their __init__: each must be
    what the constructor makes from the same fields (equal, same hash, frozen, same repr, pickled)."""
    import dataclasses
    import pickle

    findings = marcscope.validate(str(data / "malformed/pymarc-bad_records.mrc")).findings
    findings += marcscope.validate(str(data / "valid/evergreen-lul_fre_100.mrc")).findings
    reader = marcscope.MARCReader(str(data / "malformed/pymarc-bad_records.mrc"))
    list(reader)
    made = [(marcscope.Finding, f) for f in findings] + [(marcscope.Diagnostic, d) for d in reader.diagnostics]
    first = reader.diagnostics[0]
    assert (first.severity, first.code, first.record, first.offset, first.tag, first.subfield, first.rule, first.field) == (
        "error", "base-address-mismatch", 2, 139, None, None, None, None)
    assert first.message.startswith("leader/12-16 says data starts at byte 99937")
    punct = next(f for f in findings if f.rule == "245-ending-punctuation")
    assert (punct.code, punct.severity, punct.tag) == ("rule-violation", "warning", "245") and punct.field >= 0
    assert len(made) > 10 and any(f.control_number for f in findings) and not all(f.control_number for f in findings)
    assert any(d.rule for _, d in made) and any(d.subfield for _, d in made) and any(d.field is not None for _, d in made)
    for cls, obj in made:
        assert type(obj) is cls
        again = cls(**{f.name: getattr(obj, f.name) for f in dataclasses.fields(cls)})
        assert obj == again and hash(obj) == hash(again) and repr(obj) == repr(again) and str(obj) == str(again)
        assert dataclasses.asdict(obj) == dataclasses.asdict(again)
        assert pickle.loads(pickle.dumps(obj)) == obj
        assert not hasattr(obj, "__dict__")  # __slots__: no dict of its own per object
        try:
            obj.code = "changed"
        except dataclasses.FrozenInstanceError:
            pass
        else:
            raise AssertionError("a Diagnostic made by the bindings can be changed")


def test_max_findings_keeps_the_first_and_counts_them_all(data):
    import collections

    import pytest

    path = str(data / "valid/evergreen-lul_fre_100.mrc")
    whole = marcscope.validate(path)
    kinds = collections.Counter((f.code, f.rule, f.severity) for f in whole.findings)
    assert len(whole.findings) > 20 and not whole.truncated
    assert whole.counts == dict(kinds)  # the engine's counts and the findings agree
    for n in (0, 1, 7):
        part = marcscope.validate(path, max_findings=n)
        assert part.findings == whole.findings[:n] and part.truncated
        assert part.counts == whole.counts and part.by_code() == whole.by_code()
        assert part.total_findings == len(whole.findings) == whole.total_findings
        assert (part.records, part.clean, part.skipped) == (whole.records, whole.clean, whole.skipped)
    assert not marcscope.validate(path, max_findings=len(whole.findings)).truncated
    records = list(marcscope.MARCReader(path))
    from_records = marcscope.validate(records)
    part = marcscope.validate(records, max_findings=3)
    assert part.findings == from_records.findings[:3] and part.truncated
    assert part.by_code() == from_records.by_code() and part.total_findings == len(from_records.findings)
    with pytest.raises(ValueError):
        marcscope.validate(path, max_findings=-1)


def test_each_gets_every_finding_in_order(data):
    import pytest

    # More findings (11,412) than the queue between the job and `each` holds (4,096), read on
    # the pipeline in many batches: every one arrives, once, in order.
    path = str(data / "valid/evergreen-jazz_1k.mrc")
    whole = marcscope.validate(path)
    assert len(whole.findings) > 2 * 4096
    got = []
    streamed = marcscope.validate(path, each=got.append)
    assert got == whole.findings
    assert streamed.findings == [] and streamed.truncated
    assert streamed.total_findings == whole.total_findings and streamed.counts == whole.counts
    assert (streamed.records, streamed.clean) == (whole.records, whole.clean)
    # max_findings keeps that many as well: the very objects `each` was given.
    got = []
    kept = marcscope.validate(path, each=got.append, max_findings=5)
    assert kept.findings == whole.findings[:5] and all(a is b for a, b in zip(kept.findings, got))
    assert got == whole.findings
    # Records: the same contract.
    records = list(marcscope.MARCReader(str(data / "valid/evergreen-lul_fre_100.mrc")))
    from_records = marcscope.validate(records)
    got = []
    r = marcscope.validate(records, each=got.append)
    assert got == from_records.findings and r.findings == [] and r.truncated
    with pytest.raises(TypeError):
        marcscope.validate(path, each=42)


def test_a_report_shows_its_figures_not_every_finding(data):
    path = str(data / "valid/evergreen-lul_fre_100.mrc")
    whole = marcscope.validate(path)
    part = marcscope.validate(path, max_findings=2)
    n = whole.total_findings
    assert n > 20
    assert repr(whole) == (
        f"<ValidationReport {whole.records} records, {whole.clean} without problems, 0 skipped, 0 repaired, {n} findings>"
    )
    assert repr(part).endswith(f", {n} findings, 2 kept>")
    # Short whatever the file holds: no message of any finding in it.
    assert len(repr(whole)) < 150 and whole.findings[0].message not in repr(whole)
    # str() is the CLI's summary table: the file, its figures, a line per kind of finding.
    text = str(whole)
    assert text == whole.summary.strip("\n") and "records read" in text
    assert all(f"{count}" in text for count in whole.by_code().values())
    assert str(marcscope.ValidationReport()) == repr(marcscope.ValidationReport())
