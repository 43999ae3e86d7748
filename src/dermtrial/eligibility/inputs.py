"""From one screening record to the protocol's named inputs, each with the evidence of how it was obtained.

Every input of ``eligibility.inputs`` is derived by its source kind, never by its name, so another protocol's inputs
work without code:

- ``age_at``: whole years from ``birth_date`` to ``consent_date`` (or ``baseline_date``): the year difference, less
  one when the birthday has not yet come that year (a 29 February birthday comes on 1 March in other years);
- ``days_since_last_use``: whole days from the latest last use of any listed therapy class to ``baseline_date``;
  ``null`` (never used) counts as never; one class left out makes the input unknown, bounded above by the days
  since the latest recorded use (a use recent enough to exclude decides even so; missing data never passes);
- ``days_since_other_trial``: whole days from ``other_trial_end_date`` to ``consent_date`` (``null``: never);
- ``lab``: the record's result for that test converted to the input's unit (:mod:`dermtrial.eligibility.labs`);
- ``instrument``: the derived value, or the item-level form scored by :mod:`dermtrial.instruments` (Zung with the
  protocol's ``settings.zung_conversion``);
- ``item``: the recorded fact of that name in ``facts``, typed by the protocol's form item.

Anything the record does not give is unknown (``InputValue.value is None``) with the reason. Input that cannot be
read raises :class:`~dermtrial.errors.InvalidInput` with every problem, naming the field and what is allowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from dermtrial.eligibility.labs import ReferenceRange, calcium_correction, check_unit, conversion
from dermtrial.eligibility.record import LabResult, ScreeningRecord
from dermtrial.eligibility.rules import InputValue
from dermtrial.errors import InvalidInput, Path, Problem, problems_from_validation_error
from dermtrial.instruments import PasiItems, ZungAnswers, score_pasi, score_zung_sas, score_zung_sds
from dermtrial.protocol.eligibility import Criterion, Input
from dermtrial.protocol.model import LabTest, Protocol

NEVER = Decimal("Infinity")
NOT_RECORDED = "not recorded"
"""Shown in the evidence for a therapy class left out of ``last_use`` (``null`` there means never used)."""
INSTRUMENT_FIELDS: Mapping[str, tuple[str, str | None]] = {
    "pasi": ("pasi", "pasi_items"),
    "bsa": ("bsa_percent", None),
    "zung-sas": ("zung_sas_index", "zung_sas_items"),
    "zung-sds": ("zung_sds_index", "zung_sds_items"),
    "spga": ("spga", None),
    "dlqi": ("dlqi", None),
    "itch": ("itch", None),
}
"""Instrument of an input source → (derived field, item-level field) under ``assessments``."""


def whole_years(birth: dt.date, on: dt.date) -> int:
    """Age in whole years on a date: ``whole_years(date(2001, 7, 2), date(2019, 7, 1)) == 17``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def fact_inputs(protocol: Protocol) -> dict[str, tuple[str, Any]]:
    """Input name → (item type, allowed codes or None) for every input recorded as a form item."""
    forms = {form.code: form for form in protocol.forms}
    codelists = {c.id: [e.code for e in c.entries] for c in protocol.codelists}
    out: dict[str, tuple[str, Any]] = {}
    for spec in protocol.eligibility.inputs:
        if spec.source.item is None:
            continue
        form_code, _, item_id = spec.source.item.partition(".")
        item = next(i for group in forms[form_code].item_groups for i in group.items if i.id == item_id)
        out[spec.name] = (item.type, codelists.get(item.codelist or ""))
    return out


def check_fact(item_type: str, codes: list[str] | None, value: object) -> str | None:
    """None when ``value`` fits the form item; otherwise what is allowed."""
    if item_type == "boolean" and not isinstance(value, bool):
        return "is not allowed: expected true or false"
    if item_type in {"integer", "decimal"} and not isinstance(value, Decimal):
        return "is not allowed: expected a number"
    if item_type in {"choice", "text", "date", "partial_date"} and not isinstance(value, str):
        return "is not allowed: expected text" if codes is None else f"is not allowed: expected one of {codes}"
    if codes is not None and value not in codes:
        return f"is not allowed: expected one of {', '.join(codes)}"
    return None


class _Reader:
    """Derives the inputs of one record, collecting problems instead of stopping at the first."""

    def __init__(self, protocol: Protocol, record: ScreeningRecord, ranges: Mapping[str, ReferenceRange]) -> None:
        self.protocol = protocol
        self.record = record
        self.ranges = ranges
        self.problems: list[Problem] = []
        self.tests = {test.code: test for test in protocol.safety.lab_tests}
        self.labs: dict[str, LabResult] = {}

    def problem(self, path: Path, message: str, value: Any = None) -> None:
        self.problems.append(Problem(path, message, value=value))

    def check_record(self) -> None:
        record = self.record
        for index, lab in enumerate(record.labs):
            test = self.tests.get(lab.test)
            if test is None:
                self.problem(
                    ("labs", index, "test"),
                    f'"{lab.test}" is not allowed: unknown test code (known: {", ".join(sorted(self.tests))})',
                )
                continue
            if lab.test in self.labs:
                self.problem(("labs", index, "test"), f'"{lab.test}" is not allowed: the test appears twice')
            message = check_unit(test, lab.unit)
            if message:
                self.problem(("labs", index, "unit"), message)
            self.labs[lab.test] = lab
        therapy = next((c for c in self.protocol.codelists if c.id == "therapy_class"), None)
        classes = [e.code for e in therapy.entries] if therapy else []
        for key, last in (record.last_use or {}).items():
            if key not in classes:
                self.problem(("last_use", key), f"unknown therapy class (known: {', '.join(classes)})")
            elif last is not None and record.baseline_date is not None and last > record.baseline_date:
                self.problem(("last_use", key), f'"{last}" is not allowed: must be on or before baseline_date')
        facts = fact_inputs(self.protocol)
        for name, value in record.facts.items():
            if name not in facts:
                self.problem(("facts", name), f"unknown fact (known: {', '.join(sorted(facts))})")
            elif value is not None and (message := check_fact(*facts[name], value)):
                self.problem(("facts", name), f"{_show(value)} {message}")
        judged = {c.id for c in self._criteria() if c.kind == "investigator_judgement"}
        for criterion_id in record.judgements:
            if criterion_id not in judged:
                self.problem(
                    ("judgements", criterion_id), f"unknown judgement criterion (known: {', '.join(sorted(judged))})"
                )
        birth, consent, baseline = record.birth_date, record.consent_date, record.baseline_date
        if birth and consent and birth > consent:
            self.problem(("birth_date",), f'"{birth}" is not allowed: must be on or before consent_date')
        if consent and baseline and consent > baseline:
            self.problem(("baseline_date",), f'"{baseline}" is not allowed: must be on or after consent_date')
        end = record.other_trial_end_date
        if end and consent and end > consent:
            self.problem(("other_trial_end_date",), f'"{end}" is not allowed: must be on or before consent_date')

    def _criteria(self) -> list[Criterion]:
        return [*self.protocol.eligibility.inclusion, *self.protocol.eligibility.exclusion]

    def derive(self, spec: Input) -> InputValue:
        source = spec.source
        if source.age_at is not None:
            return self.age(source.age_at)
        if source.days_since_last_use is not None:
            return self.washout(source.days_since_last_use)
        if source.days_since_other_trial:
            return self.other_trial()
        if source.lab is not None:
            return self.lab(spec, self.tests[source.lab])
        if source.instrument is not None:
            return self.instrument(spec.name, source.instrument)
        value = self.record.facts.get(spec.name)
        if value is None:
            return InputValue(None, missing=f"fact {spec.name} not recorded", evidence={"source": f"facts.{spec.name}"})
        return InputValue(value, evidence={"source": f"facts.{spec.name}", "value": _plain(value)})

    def age(self, at: str) -> InputValue:
        on = self.record.consent_date if at == "consent" else self.record.baseline_date
        birth = self.record.birth_date
        evidence = {"birth_date": _iso(birth), f"{at}_date": _iso(on)}
        if birth is None or on is None:
            return InputValue(None, evidence=evidence, missing=f"age needs birth_date and {at}_date")
        return InputValue(Decimal(whole_years(birth, on)), evidence={**evidence, "years": whole_years(birth, on)})

    def washout(self, classes: list[str]) -> InputValue:
        last_use = self.record.last_use or {}
        baseline = self.record.baseline_date
        dates = {code: last_use.get(code) for code in classes}
        unknown = [code for code in classes if code not in last_use]
        shown = {c: NOT_RECORDED if c in unknown else _iso(d) for c, d in dates.items()}
        evidence: dict[str, Any] = {"last_use": shown, "baseline_date": _iso(baseline)}
        used = [d for d in dates.values() if d is not None]
        if unknown:
            # The days are unknown, but never more than since the latest recorded use: a recent use still decides.
            at_most = Decimal((baseline - max(used)).days) if used and baseline is not None else None
            if at_most is not None:
                evidence["days_at_most"] = int(at_most)
            missing = f"last use of {', '.join(unknown)} not recorded"
            return InputValue(None, evidence=evidence, missing=missing, at_most=at_most)
        if not used:
            return InputValue(NEVER, evidence={**evidence, "days": "never"})
        if baseline is None:
            return InputValue(None, evidence=evidence, missing="washout needs baseline_date")
        days = (baseline - max(used)).days
        return InputValue(Decimal(days), evidence={**evidence, "days": days})

    def other_trial(self) -> InputValue:
        record = self.record
        if not record.given("other_trial_end_date"):
            return InputValue(None, missing="other_trial_end_date not recorded")
        end, consent = record.other_trial_end_date, record.consent_date
        evidence = {"other_trial_end_date": _iso(end), "consent_date": _iso(consent)}
        if end is None:
            return InputValue(NEVER, evidence={**evidence, "days": "never"})
        if consent is None:
            return InputValue(None, evidence=evidence, missing="days since another trial need consent_date")
        return InputValue(Decimal((consent - end).days), evidence={**evidence, "days": (consent - end).days})

    def lab(self, spec: Input, test: LabTest) -> InputValue:
        result = self.labs.get(test.code)
        target = spec.unit or test.si_unit
        if result is None:
            return InputValue(None, missing=f"no {test.code} result", evidence={"source": f"labs {test.code}"})
        if check_unit(test, result.unit):
            return InputValue(None, missing="unit not allowed")  # already reported as a problem
        step = conversion(test, result.unit, target)
        value = result.value * step.factor
        evidence: dict[str, Any] = {
            "source": f"labs {test.code}",
            "value": _plain(result.value),
            "unit": result.unit,
            "converted": _plain(value),
            "converted_unit": target,
            "conversion": step.evidence(test),
        }
        lln, uln, range_evidence = self.reference_range(test, result, target)
        evidence["reference_range"] = range_evidence
        if test.code == "CA" and self.protocol.settings.eligibility_calcium == "albumin_corrected":
            return self.corrected_calcium(value, target, lln, uln, evidence)
        return InputValue(value, lln=lln, uln=uln, evidence=evidence)

    def reference_range(
        self, test: LabTest, result: LabResult, target: str
    ) -> tuple[Decimal | None, Decimal | None, dict[str, Any] | None]:
        if result.lln is not None or result.uln is not None:
            chosen = ReferenceRange(result.lln, result.uln, result.unit, "lab record")
        elif test.code in self.ranges:
            chosen = self.ranges[test.code]
        else:
            return None, None, None
        factor = conversion(test, chosen.unit, target).factor
        lln = None if chosen.lln is None else chosen.lln * factor
        uln = None if chosen.uln is None else chosen.uln * factor
        shown = {"lln": _plain(chosen.lln), "uln": _plain(chosen.uln), "unit": chosen.unit, "source": chosen.source}
        return lln, uln, {**shown, "converted_lln": _plain(lln), "converted_uln": _plain(uln), "converted_unit": target}

    def corrected_calcium(
        self, calcium: Decimal, unit: str, lln: Decimal | None, uln: Decimal | None, evidence: dict[str, Any]
    ) -> InputValue:
        formula = calcium_correction(self.protocol.settings.calcium_correction)
        albumin = self.labs.get("ALB")
        evidence["correction"] = {"formula": formula.name, "source": formula.source}
        if albumin is None or "ALB" not in self.tests:
            return InputValue(None, evidence=evidence, missing="albumin-corrected calcium needs an ALB result")
        grams = albumin.value * conversion(self.tests["ALB"], albumin.unit, formula.albumin_unit).factor
        in_formula_unit = conversion(self.tests["CA"], unit, formula.calcium_unit).factor
        corrected = formula.correct(calcium * in_formula_unit, grams) / in_formula_unit
        evidence["correction"].update(albumin_g_per_l=_plain(grams), corrected=_plain(corrected))
        return InputValue(corrected, lln=lln, uln=uln, evidence=evidence)

    def instrument(self, name: str, instrument: str) -> InputValue:
        derived, items = INSTRUMENT_FIELDS.get(instrument, (instrument, None))
        assessments = self.record.assessments
        value = getattr(assessments, derived, None)
        if value is not None:
            return InputValue(value, evidence={"source": f"assessments.{derived}", "value": _plain(value)})
        given = getattr(assessments, items, None) if items else None
        if given is None:
            return InputValue(None, missing=f"no {instrument} score", evidence={"source": f"assessments.{derived}"})
        path: Path = ("assessments", items or derived)
        if instrument == "pasi":
            scored = score_pasi(given if isinstance(given, PasiItems) else PasiItems.model_validate(given))
            flags = [f"{f.region}: {f.problem}" for f in scored.flags]
            evidence = {"source": ".".join(map(str, path)), "scored": scored.to_json(), "flags": flags}
            return InputValue(scored.value, evidence=evidence)
        conversion_method = self.protocol.settings.zung_conversion
        try:
            answers = ZungAnswers.model_validate({"items": given, "conversion": conversion_method})
        except ValidationError as exc:
            for problem in problems_from_validation_error(exc):
                rest = problem.path[1:] if problem.path[:1] == ("items",) else problem.path
                self.problem((*path, *rest), problem.message, problem.value)
            return InputValue(None, missing="unreadable")
        result = score_zung_sas(answers) if instrument == "zung-sas" else score_zung_sds(answers)
        evidence = {"source": ".".join(map(str, path)), "scored": result.to_json(), "version": result.version}
        if result.index is None:
            return InputValue(None, evidence=evidence, missing=result.not_computable)
        return InputValue(Decimal(result.index), evidence=evidence)


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def derive_inputs(
    protocol: Protocol, record: ScreeningRecord, reference_ranges: Mapping[str, ReferenceRange] | None = None
) -> dict[str, InputValue]:
    """Every input of the protocol for this record; raises InvalidInput with every problem found."""
    reader = _Reader(protocol, record, reference_ranges or {})
    reader.check_record()
    values = {spec.name: reader.derive(spec) for spec in protocol.eligibility.inputs}
    if reader.problems:
        raise InvalidInput(reader.problems)
    return values
