"""Every class of protocol-file error, with its message and line pinned.

Each row mutates the small valid file ``data/minimal.yaml`` once and states the one line on stderr that must result.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dermtrial.protocol.loader import validate_text

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")

# (name, text replaced, replacement, every expected problem line)
CASES = [
    (
        "unknown key",
        "  brief_title: A minimal trial\n",
        "  brief_title: A minimal trial\n  colour: blue\n",
        ["p.yaml:7: identity.colour: unknown field (not part of the format)"],
    ),
    (
        "wrong type",
        "count: 4,",
        "count: four,",
        ['p.yaml:13: design.enrollment.count: "four" is not allowed: expected a whole number'],
    ),
    (
        "a number where text is expected is not coerced",
        'version: "1.0"',
        "version: 1.0",
        ["p.yaml:2: version: 1.0 is not allowed: expected text"],
    ),
    (
        "dose without a unit",
        "{amount: 2.0e+6, unit: cell/kg, basis: body_weight}",
        "{amount: 2.0e+6, basis: body_weight}",
        ["p.yaml:23: interventions[0].dose.unit: required field is missing"],
    ),
    (
        "unit the unit library does not know",
        "unit: kg, min",
        "unit: kilogrammes, min",
        [
            'p.yaml:51: forms[0].item_groups[0].items[0].unit: "kilogrammes" is not a unit the unit library knows '
            "(examples: mmol/L, g/week, cell/kg)"
        ],
    ),
    (
        "body-weight dose not per kilogram",
        "unit: cell/kg, basis",
        "unit: cell, basis",
        [
            'p.yaml:23: interventions[0].dose.unit: "cell" is not allowed: a body-weight dose is per kilogram '
            "(e.g. cell/kg, mg/kg)"
        ],
    ),
    (
        "window with negative days",
        "window: {before: 3, after: 3}",
        "window: {before: -3, after: 3}",
        ["p.yaml:43: visits[2].window.before: -3 is not allowed: must be >= 0"],
    ),
    (
        "overlapping visit windows",
        "offset_days: 84\n    window: {before: 3, after: 3}",
        "offset_days: 2\n    window: {before: 3, after: 3}",
        [
            "p.yaml:43: visits[2].window: window of week12 overlaps the window of day1: "
            "an assessment could belong to both"
        ],
    ),
    (
        "visit referring to an unknown form",
        "forms: [PASI]\nforms:",
        "forms: [PASI, ZUNG]\nforms:",
        ['p.yaml:44: visits[2].forms[1]: unknown form "ZUNG" (known: PASI, WT)'],
    ),
    (
        "form referring to an unknown instrument",
        "instrument: pasi}",
        "instrument: pasi2}",
        [
            'p.yaml:52: forms[1].instrument: unknown instrument "pasi2" (known: bsa, dlqi, itch, pasi, '
            "pasi-response, spga, zung-sas, zung-sds)"
        ],
    ),
    (
        "endpoint at a visit that does not exist",
        "timepoint: week12",
        "timepoint: week13",
        ['p.yaml:59: endpoints[0].timepoint: unknown visit "week13" (known: day1, screening, week12)'],
    ),
    (
        "duplicate id",
        "  - id: week12\n",
        "  - id: day1\n",
        [
            'p.yaml:39: visits[2].id: duplicate visit id "day1" (each visit id must be unique)',
            'p.yaml:59: endpoints[0].timepoint: unknown visit "week12" (known: day1, screening)',
        ],
    ),
    (
        "duplicate key",
        "    label: Arm A\n",
        "    label: Arm A\n    label: Arm B\n",
        ["p.yaml:17:5: arms[0].label: duplicate key (each key may appear once)"],
    ),
    (
        "rule over an unknown input",
        "rule: {input: pasi,",
        "rule: {input: pasy,",
        ['p.yaml:71: eligibility.inclusion[0].rule.input: unknown eligibility input "pasy" (known: pasi)'],
    ),
    (
        "unknown input deep inside a rule",
        'rule: {input: pasi, op: ">", value: 10, precision: "0.1"}',
        'rule: {any: [{input: pasi, op: ">", value: 10}, {all: [{input: bsa, op: ">", value: 10}]}]}',
        ['p.yaml:71: eligibility.inclusion[0].rule.any[1].all[0].input: unknown eligibility input "bsa" (known: pasi)'],
    ),
    (
        "unknown item deep inside a skip condition",
        "unit: kg, min: 30, max: 250}",
        'unit: kg, min: 30, max: 250, show_when: {not: {any: [{item: SEX, op: "==", value: F}]}}}',
        ['p.yaml:51: forms[0].item_groups[0].items[0].show_when.not.any[0].item: unknown item "SEX" in form WT'],
    ),
    (
        "rule of no known shape",
        'rule: {input: pasi, op: ">", value: 10, precision: "0.1"}',
        'rule: {op: ">"}',
        [
            "p.yaml:71: eligibility.inclusion[0].rule: a rule is {input, op, value|relative_to}, {all: [...]} "
            "or {any: [...]}"
        ],
    ),
    (
        "computed criterion without a rule",
        'kind: computed\n      rule: {input: pasi, op: ">", value: 10, precision: "0.1"}',
        "kind: computed",
        ["p.yaml:67: eligibility.inclusion[0]: a computed criterion has a rule and no attestation_role"],
    ),
    (
        "precision that is not a power of ten",
        'precision: "0.1"',
        'precision: "0.5"',
        [
            "p.yaml:71: eligibility.inclusion[0].rule.precision: 0.5 is not allowed: a precision is a power of ten "
            "such as 1, 0.1 or 0.01"
        ],
    ),
    (
        "value outside a closed vocabulary",
        "route: INTRAVENOUS",
        "route: IV",
        [
            "p.yaml:22: interventions[0].route: \"IV\" is not allowed: expected 'INTRAVENOUS', 'TOPICAL', 'ORAL', "
            "'SUBCUTANEOUS', 'INTRAMUSCULAR' or 'INTRADERMAL'"
        ],
    ),
    (
        "unknown time zone",
        "timezone: Asia/Shanghai",
        "timezone: Mars/Olympus",
        [
            'p.yaml:9: identity.sites[0].timezone: "Mars/Olympus" is not an IANA time zone '
            "(e.g. Asia/Shanghai, Europe/Berlin)"
        ],
    ),
    (
        "impossible date",
        "effective_date: 2024-01-01",
        "effective_date: 2024-13-01",
        ['p.yaml:3: effective_date: "2024-13-01" is not allowed: expected a date YYYY-MM-DD'],
    ),
    (
        "assumption naming nothing",
        "populations:\n",
        "assumptions:\n  - {path: visits.week99, note: x}\npopulations:\n",
        ['p.yaml:62: assumptions[0].path: "visits.week99" names nothing in this protocol'],
    ),
    (
        "malformed YAML",
        "label: Arm A",
        "label: [Arm A",
        ["p.yaml:17:18: (top level): malformed YAML: expected ',' or ']', but got ':'"],
    ),
    (
        "tab indentation",
        "  brief_title: A minimal trial\n",
        "\tbrief_title: A minimal trial\n",
        ["p.yaml:6:1: (top level): malformed YAML: found character '\\t' that cannot start any token"],
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "expected"), CASES, ids=[case[0] for case in CASES])
@pytest.mark.requirement("CLIN-PROT-03")
def test_each_error_class_names_line_path_value_and_what_is_allowed(
    name: str, old: str, new: str, expected: list[str]
) -> None:
    assert old in MINIMAL, f"fixture text for {name!r} not found"
    report = validate_text(MINIMAL.replace(old, new, 1), "p.yaml")
    assert [problem.format() for problem in report.invalid] == expected
    assert report.exit_code == 2


def test_the_unmodified_fixture_is_valid() -> None:
    report = validate_text(MINIMAL, "p.yaml")
    assert report.invalid == []
    assert report.incomplete == []
    assert report.exit_code == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "p.yaml:1: (top level): the file is empty"),
        ("- a\n- b\n", "p.yaml:1: (top level): a protocol file is a mapping of fields"),
        (
            '{"format_version": 1,\n "version": "1"',
            "p.yaml:2:16: (top level): malformed YAML: expected ',' or '}', but got '<stream end>'",
        ),
    ],
)
def test_files_that_are_not_a_protocol_mapping(text: str, expected: str) -> None:
    report = validate_text(text, "p.yaml")
    assert [problem.format() for problem in report.invalid] == [expected]


@pytest.mark.requirement("CLIN-PROT-03")
def test_several_problems_are_reported_together_in_line_order() -> None:
    text = MINIMAL.replace("route: INTRAVENOUS", "route: IV").replace("count: 4,", "count: -4,")
    report = validate_text(text, "p.yaml")
    assert [problem.line for problem in report.invalid] == [13, 22]


def test_an_incomplete_draft_is_a_failed_check_not_bad_input() -> None:
    text = MINIMAL.replace(
        "populations:\n",
        "to_complete:\n  - {path: visits, reason: the registry gives no schedule}\npopulations:\n",
    ).replace(
        'kind: computed\n      rule: {input: pasi, op: ">", value: 10, precision: "0.1"}',
        "kind: unclassified",
    )
    report = validate_text(text, "p.yaml")
    assert report.invalid == []
    assert [problem.format() for problem in report.incomplete] == [
        "p.yaml:62: to_complete[0]: to complete: visits: the registry gives no schedule",
        "p.yaml:72: eligibility.inclusion[0].kind: incomplete: criterion I1 is unclassified (computed, "
        "recorded_fact or investigator_judgement, with its rule)",
    ]
    assert report.exit_code == 1
