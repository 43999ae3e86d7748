"""Checks a protocol needs beyond types: references resolve, ids are unique, the draft is complete.

Every function returns problems with the field path (list positions as indices), so the loader can name the line.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from dermtrial.errors import Path, Problem
from dermtrial.forms.model import Compare, Form
from dermtrial.instruments import INSTRUMENT_NAMES
from dermtrial.protocol.eligibility import Criterion, Threshold
from dermtrial.protocol.model import Protocol
from dermtrial.units import parse_unit

T = TypeVar("T")


def _unique(items: Sequence[Any], attr: str, path: Path, what: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        key = getattr(item, attr)
        if key in seen:
            yield Problem((*path, index, attr), f'duplicate {what} "{key}" (each {what} must be unique)')
        seen.add(key)


def _unknown(path: Path, what: str, value: str, known: Iterable[str]) -> Problem:
    listed = ", ".join(sorted(known)) or "none declared"
    return Problem(path, f'unknown {what} "{value}" (known: {listed})', value=value)


def _leaves(node: Any, path: Path, leaf: type[T]) -> Iterator[tuple[Path, T]]:
    """The leaves of a condition or rule tree (``all`` / ``any`` / ``not`` combinators), with their paths."""
    if isinstance(node, leaf):
        yield path, node
    for key in ("all", "any"):
        parts = getattr(node, key, None)
        if isinstance(parts, list):
            for index, part in enumerate(parts):
                yield from _leaves(part, (*path, key, index), leaf)
    negated = getattr(node, "not_", None)
    if negated is not None:
        yield from _leaves(negated, (*path, "not"), leaf)


def _condition_refs(condition: Any, path: Path) -> Iterator[tuple[Path, str]]:
    for leaf_path, compare in _leaves(condition, path, Compare):
        yield (*leaf_path, "item"), compare.item


def _resolve_item(ref: str, form: Form, forms: dict[str, Form]) -> str | None:
    """None when ``ref`` (``ITEM`` or ``FORM.ITEM``) exists, else what is wrong."""
    form_code, _, item = ref.rpartition(".")
    target = forms.get(form_code) if form_code else form
    if target is None:
        return f'unknown form "{form_code}" in item reference "{ref}"'
    if target.instrument is not None:
        return None  # instrument items come from the instrument module
    if item not in target.item_ids():
        return f'unknown item "{item}" in form {target.code}'
    return None


def _form_problems(protocol: Protocol) -> Iterator[Problem]:
    forms = {form.code: form for form in protocol.forms}
    codelists = {codelist.id for codelist in protocol.codelists}
    yield from _unique(protocol.forms, "code", ("forms",), "form code")
    for f_index, form in enumerate(protocol.forms):
        base: Path = ("forms", f_index)
        if form.instrument is not None and form.instrument not in INSTRUMENT_NAMES:
            yield _unknown((*base, "instrument"), "instrument", form.instrument, INSTRUMENT_NAMES)
        yield from _unique(form.item_groups, "id", (*base, "item_groups"), "item group id")
        all_items = [item for group in form.item_groups for item in group.items]
        seen: set[str] = set()
        refs: list[tuple[Path, str]] = []
        if form.applies_when is not None:
            refs += list(_condition_refs(form.applies_when, (*base, "applies_when")))
        for g_index, group in enumerate(form.item_groups):
            for i_index, item in enumerate(group.items):
                item_path: Path = (*base, "item_groups", g_index, "items", i_index)
                if item.id in seen:
                    yield Problem((*item_path, "id"), f'duplicate item id "{item.id}" in form {form.code}')
                seen.add(item.id)
                if item.codelist is not None and item.codelist not in codelists:
                    yield _unknown((*item_path, "codelist"), "codelist", item.codelist, codelists)
                if item.show_when is not None:
                    refs += list(_condition_refs(item.show_when, (*item_path, "show_when")))
        del all_items
        for c_index, check in enumerate(form.edit_checks):
            check_path: Path = (*base, "edit_checks", c_index)
            if check.item is not None:
                refs.append(((*check_path, "item"), check.item))
            if check.reference is not None:
                refs.append(((*check_path, "reference"), check.reference))
            if check.when is not None:
                refs += list(_condition_refs(check.when, (*check_path, "when")))
        yield from _unique(form.edit_checks, "id", (*base, "edit_checks"), "edit check id")
        for ref_path, ref in refs:
            error = _resolve_item(ref, form, forms)
            if error is not None:
                yield Problem(ref_path, error, value=ref)


def _eligibility_problems(protocol: Protocol) -> Iterator[Problem]:
    eligibility = protocol.eligibility
    forms = {form.code: form for form in protocol.forms}
    labs = {test.code for test in protocol.safety.lab_tests}
    therapy = next((c for c in protocol.codelists if c.id == "therapy_class"), None)
    therapy_codes = {entry.code for entry in therapy.entries} if therapy else set()
    yield from _unique(eligibility.inputs, "name", ("eligibility", "inputs"), "input name")
    for index, spec in enumerate(eligibility.inputs):
        path: Path = ("eligibility", "inputs", index, "source")
        source = spec.source
        if source.instrument is not None and source.instrument not in INSTRUMENT_NAMES:
            yield _unknown((*path, "instrument"), "instrument", source.instrument, INSTRUMENT_NAMES)
        if source.lab is not None and source.lab not in labs:
            yield _unknown((*path, "lab"), "lab test", source.lab, labs)
        if source.item is not None:
            form_code, dot, _ = source.item.partition(".")
            if not dot:
                yield Problem((*path, "item"), f'"{source.item}" is not allowed: write FORM.ITEM')
            elif form_code in forms:
                error = _resolve_item(source.item, forms[form_code], forms)
                if error:
                    yield Problem((*path, "item"), error, value=source.item)
            else:
                yield _unknown((*path, "item"), "form", form_code, forms)
        for t_index, code in enumerate(source.days_since_last_use or []):
            if code not in therapy_codes:
                yield _unknown((*path, "days_since_last_use", t_index), "therapy class", code, therapy_codes)
    names = {spec.name for spec in eligibility.inputs}
    criteria: list[tuple[str, int, Criterion]] = [("inclusion", i, c) for i, c in enumerate(eligibility.inclusion)]
    criteria += [("exclusion", i, c) for i, c in enumerate(eligibility.exclusion)]
    seen: set[str] = set()
    for group, index, criterion in criteria:
        base: Path = ("eligibility", group, index)
        if criterion.id in seen:
            yield Problem((*base, "id"), f'duplicate criterion id "{criterion.id}"')
        seen.add(criterion.id)
        for t_path, threshold in _leaves(criterion.rule, (*base, "rule"), Threshold):
            if threshold.input not in names:
                yield _unknown((*t_path, "input"), "eligibility input", threshold.input, names)
                continue
            spec = next(spec for spec in eligibility.inputs if spec.name == threshold.input)
            if threshold.unit and spec.unit and not _convertible(spec.unit, threshold.unit):
                yield Problem(
                    (*t_path, "unit"),
                    f'"{threshold.unit}" is not allowed: the input {spec.name} is in {spec.unit}, which cannot be '
                    "converted to it",
                    value=threshold.unit,
                )
    tests = {test.code: test for test in protocol.safety.lab_tests}
    for index, spec in enumerate(eligibility.inputs):
        test = tests.get(spec.source.lab or "")
        if test is None or spec.unit is None:
            continue
        for unit in (test.si_unit, *test.site_units):
            if not _convertible(unit, spec.unit, test.molar_mass_g_per_mol):
                needs = "" if test.molar_mass_g_per_mol else " (a molar mass would be needed: molar_mass_g_per_mol)"
                yield Problem(
                    ("eligibility", "inputs", index, "unit"),
                    f'"{spec.unit}" is not allowed: {test.code} results in {unit} cannot be converted to it{needs}',
                    value=spec.unit,
                )


def _convertible(from_unit: str, to_unit: str, molar_mass: float | None = None) -> bool:
    """Whether a value in ``from_unit`` can be compared in ``to_unit`` (through a molar mass when one is given)."""
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    if source.dimensionality == target.dimensionality:
        return True
    if molar_mass is None:
        return False
    per_mole = parse_unit("g/mol")
    return bool(target.dimensionality in ((source / per_mole).dimensionality, (source * per_mole).dimensionality))


def _unit_is_per_kg(unit: str) -> bool:
    return bool(parse_unit(unit).dimensionality.get("[mass]", 0) == -1)


def _schedule_problems(protocol: Protocol) -> Iterator[Problem]:
    visits = {visit.id for visit in protocol.visits}
    forms = {form.code for form in protocol.forms}
    interventions = {i.id for i in protocol.interventions}
    yield from _unique(protocol.visits, "id", ("visits",), "visit id")
    yield from _unique(protocol.interventions, "id", ("interventions",), "intervention id")
    yield from _unique(protocol.arms, "id", ("arms",), "arm id")
    yield from _unique(protocol.codelists, "id", ("codelists",), "codelist id")
    yield from _unique(protocol.identity.sites, "id", ("identity", "sites"), "site id")
    for a_index, arm in enumerate(protocol.arms):
        for i_index, ref in enumerate(arm.interventions):
            if ref not in interventions:
                yield _unknown(("arms", a_index, "interventions", i_index), "intervention", ref, interventions)
    for i_index, intervention in enumerate(protocol.interventions):
        for v_index, ref in enumerate(intervention.administered_at):
            if ref not in visits:
                yield _unknown(("interventions", i_index, "administered_at", v_index), "visit", ref, visits)
        dose = intervention.dose
        if dose is not None and dose.basis == "body_weight" and not _unit_is_per_kg(dose.unit):
            yield Problem(
                ("interventions", i_index, "dose", "unit"),
                f'"{dose.unit}" is not allowed: a body-weight dose is per kilogram (e.g. cell/kg, mg/kg)',
            )
    ordered = sorted(enumerate(protocol.visits), key=lambda pair: pair[1].offset_days)
    for (_, earlier), (index, later) in itertools.pairwise(ordered):
        if earlier.offset_days + earlier.window.after >= later.offset_days - later.window.before:
            yield Problem(
                ("visits", index, "window"),
                f"window of {later.id} overlaps the window of {earlier.id}: an assessment could belong to both",
            )
    for v_index, visit in enumerate(protocol.visits):
        for f_index, code in enumerate(visit.forms):
            if code not in forms:
                yield _unknown(("visits", v_index, "forms", f_index), "form", code, forms)


def _endpoint_problems(protocol: Protocol) -> Iterator[Problem]:
    visits = {visit.id for visit in protocol.visits}
    populations = {p.id for p in protocol.populations}
    yield from _unique(protocol.endpoints, "id", ("endpoints",), "endpoint id")
    yield from _unique(protocol.populations, "id", ("populations",), "population id")
    for index, endpoint in enumerate(protocol.endpoints):
        base: Path = ("endpoints", index)
        if endpoint.timepoint is not None and endpoint.timepoint not in visits:
            yield _unknown((*base, "timepoint"), "visit", endpoint.timepoint, visits)
        if endpoint.instrument is not None and endpoint.instrument not in INSTRUMENT_NAMES:
            yield _unknown((*base, "instrument"), "instrument", endpoint.instrument, INSTRUMENT_NAMES)
        if populations and endpoint.population not in populations:
            yield _unknown((*base, "population"), "population", endpoint.population, populations)
    interventions = {i.id for i in protocol.interventions}
    yield from _unique(protocol.safety.alerts, "id", ("safety", "alerts"), "alert id")
    yield from _unique(protocol.safety.lab_tests, "code", ("safety", "lab_tests"), "lab test code")
    for index, alert in enumerate(protocol.safety.alerts):
        if alert.intervention is not None and alert.intervention not in interventions:
            yield _unknown(
                ("safety", "alerts", index, "intervention"), "intervention", alert.intervention, interventions
            )


def resolve_path(protocol: Protocol, dotted: str) -> bool:
    """Whether a dotted path (list elements named by their id or code) names something in the protocol."""
    node: Any = protocol
    for part in dotted.split("."):
        if isinstance(node, list):
            node = next((x for x in node if part in {getattr(x, "id", None), getattr(x, "code", None)}), None)
            if node is None:
                return False
        elif isinstance(node, BaseModel) and part in type(node).model_fields:
            node = getattr(node, part)
        else:
            return False
    return True


def check_references(protocol: Protocol) -> list[Problem]:
    """Every problem that makes the protocol invalid beyond its types."""
    problems = [
        *_form_problems(protocol),
        *_eligibility_problems(protocol),
        *_schedule_problems(protocol),
        *_endpoint_problems(protocol),
    ]
    for index, assumption in enumerate(protocol.assumptions):
        if not resolve_path(protocol, assumption.path):
            problems.append(
                Problem(("assumptions", index, "path"), f'"{assumption.path}" names nothing in this protocol')
            )
    return problems


def check_completeness(protocol: Protocol) -> list[Problem]:
    """What a structurally valid protocol still needs before it can run a trial."""
    problems = [
        Problem(("to_complete", index), f"to complete: {item.path}: {item.reason}")
        for index, item in enumerate(protocol.to_complete)
    ]
    if not protocol.visits:
        problems.append(Problem(("visits",), "incomplete: no visit schedule"))
    for group in ("inclusion", "exclusion"):
        for index, criterion in enumerate(getattr(protocol.eligibility, group)):
            if criterion.kind == "unclassified":
                problems.append(
                    Problem(
                        ("eligibility", group, index, "kind"),
                        f"incomplete: criterion {criterion.id} is unclassified (computed, recorded_fact or "
                        "investigator_judgement, with its rule)",
                    )
                )
    for index, endpoint in enumerate(protocol.endpoints):
        if endpoint.derivation is None:
            problems.append(
                Problem(
                    ("endpoints", index, "derivation"),
                    f"incomplete: endpoint {endpoint.id} has no derivation",
                )
            )
        elif endpoint.derivation != "adverse_events" and (endpoint.instrument is None or endpoint.timepoint is None):
            problems.append(
                Problem(
                    ("endpoints", index),
                    f"incomplete: endpoint {endpoint.id} needs an instrument and a timepoint",
                )
            )
    for index, site in enumerate(protocol.identity.sites):
        if site.timezone is None:
            problems.append(
                Problem(("identity", "sites", index, "timezone"), f"incomplete: site {site.id} has no time zone")
            )
    for index, intervention in enumerate(protocol.interventions):
        for field in ("route", "frequency"):
            if getattr(intervention, field) is None:
                problems.append(
                    Problem(
                        ("interventions", index, field), f"incomplete: intervention {intervention.id} has no {field}"
                    )
                )
        if intervention.dose is None and intervention.route not in {"TOPICAL", None}:
            problems.append(
                Problem(
                    ("interventions", index, "dose"),
                    f"incomplete: intervention {intervention.id} has no dose",
                )
            )
    return problems
