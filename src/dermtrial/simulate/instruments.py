"""Item-level answers for the scored instruments, built to match a target score: PASI regions, Zung SAS/SDS answers,
DLQI answers, sPGA, itch NRS and BSA.

Every builder returns what the form stores (the items, as ``dermtrial score`` and the forms read them); the score is
always recomputed from those items by :mod:`dermtrial.instruments`, never taken from the target, so a PASI in the CSV
is exactly what its item set scores to.

PASI: each region's area score follows the body surface involved (a region's share varies around the whole-body BSA);
the sign sums (E + I + D per region) are then chosen so that Σ weight × signs × area comes as close to the target as
the integer items allow (usually exactly). Regions with area 0 get no signs and involved regions at least one sign,
so no form is flagged for a query.
"""

from __future__ import annotations

import random
from decimal import Decimal
from itertools import product
from typing import Any

from dermtrial.instruments import PasiItems, score_pasi
from dermtrial.instruments.pasi import MAX_SIGN, REGION_WEIGHT_TENTHS, REGIONS, SIGNS, area_score
from dermtrial.instruments.zung import HIGH, ITEM_COUNT, LOW, RULES

#: How much of each region is involved relative to the whole-body BSA (ASSUMED: trunk and legs carry most plaques).
_REGION_SHARE = {"head": 0.7, "upper_limbs": 0.9, "trunk": 1.1, "lower_limbs": 1.2}
_MAX_REGION_SIGNS = MAX_SIGN * len(SIGNS)


def pasi_items(target_tenths: int, bsa_percent: Decimal, rng: random.Random) -> dict[str, dict[str, int]]:
    """A consistent PASI item set (region → erythema, induration, desquamation, area) scoring close to the target."""
    if target_tenths <= 0:
        return {region: {**dict.fromkeys(SIGNS, 0), "area": 0} for region in REGIONS}
    areas: dict[str, int] = {}
    for region in REGIONS:
        percent = float(bsa_percent) * _REGION_SHARE[region] * rng.uniform(0.5, 1.5)
        areas[region] = area_score(Decimal(str(round(min(100.0, max(0.5, percent)), 1))))
    best_areas, best_sums = _fix_lightest(target_tenths, areas, _sign_sums(target_tenths, areas))
    for _ in range(4):  # move one region's area by 1 or 2 while that lets the integer items come closer
        best_gap = abs(target_tenths - _weighted(best_sums, best_areas))
        if best_gap == 0:
            break
        trials = [
            {**best_areas, region: best_areas[region] + delta}
            for region in REGIONS
            for delta in (1, -1, 2, -2)
            if 1 <= best_areas[region] + delta <= 6
        ]
        fixed = [_fix_lightest(target_tenths, trial, _sign_sums(target_tenths, trial)) for trial in trials]
        scored = [(abs(target_tenths - _weighted(sums, trial)), trial, sums) for trial, sums in fixed]
        gap, trial, sums = min(scored, key=lambda entry: entry[0])
        if gap >= best_gap:
            break
        best_areas, best_sums = trial, sums
    items: dict[str, dict[str, int]] = {}
    for region in REGIONS:
        total = best_sums[region]
        area = best_areas[region] if total > 0 else 0
        items[region] = {**_split_signs(total, rng), "area": area}
    return items


def _fix_lightest(target: int, areas: dict[str, int], sums: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Close the last gap with the lightest region (head, weight 0.1): its area × signs takes whatever the other
    regions (each moved by at most one sign) leave, when that factorises into an area 1–6 and signs 1–12."""
    if _weighted(sums, areas) == target:
        return areas, sums
    light = min(REGIONS, key=lambda r: REGION_WEIGHT_TENTHS[r])
    others = [r for r in REGIONS if r != light]
    weight = REGION_WEIGHT_TENTHS[light]
    for deltas in product((0, 1, -1), repeat=len(others)):
        moved = {r: sums[r] + d for r, d in zip(others, deltas, strict=True)}
        if any(not 0 <= v <= _MAX_REGION_SIGNS for v in moved.values()):
            continue
        left = target - sum(REGION_WEIGHT_TENTHS[r] * areas[r] * moved[r] for r in others)
        if left < 0 or left % weight:
            continue
        if left == 0:
            return areas, {**moved, light: 0}
        for area in sorted(range(1, 7), key=lambda a: abs(a - areas[light])):
            if (left // weight) % area == 0 and 1 <= left // weight // area <= _MAX_REGION_SIGNS:
                return {**areas, light: area}, {**moved, light: left // weight // area}
    return areas, sums


def _weighted(sums: dict[str, int], areas: dict[str, int]) -> int:
    return sum(REGION_WEIGHT_TENTHS[r] * areas[r] * sums[r] for r in REGIONS)


def _sign_sums(target: int, areas: dict[str, int]) -> dict[str, int]:
    """Sign sums 0–12 per region (0: the region is clear) whose weighted total comes closest to ``target``: an even
    start, then single and paired one-step moves while they close the gap."""
    steps = {region: REGION_WEIGHT_TENTHS[region] * areas[region] for region in REGIONS}
    mean = target / max(1, sum(steps.values()))
    sums = {region: max(0, min(_MAX_REGION_SIGNS, round(mean))) for region in REGIONS}
    moves: list[tuple[tuple[str, int], ...]] = [((r, d),) for r in REGIONS for d in (1, -1)]
    moves += [((a, 1), (b, -1)) for a in REGIONS for b in REGIONS if a != b]
    for _ in range(64):
        gap = target - sum(steps[r] * sums[r] for r in REGIONS)
        if gap == 0:
            break
        best: tuple[int, tuple[tuple[str, int], ...]] | None = None
        for move in moves:
            if all(0 <= sums[r] + d <= _MAX_REGION_SIGNS for r, d in move):
                remaining = abs(gap - sum(d * steps[r] for r, d in move))
                if remaining < abs(gap) and (best is None or remaining < best[0]):
                    best = (remaining, move)
        if best is None:
            break
        for region, delta in best[1]:
            sums[region] += delta
    return sums


def _split_signs(total: int, rng: random.Random) -> dict[str, int]:
    """Erythema, induration and desquamation (0–4 each) adding up to ``total``, nearly even, order shuffled."""
    base, extra = divmod(total, len(SIGNS))
    values = [base + (1 if i < extra else 0) for i in range(len(SIGNS))]
    rng.shuffle(values)
    return dict(zip(SIGNS, values, strict=True))


def pasi_tenths_of(items: dict[str, dict[str, int]]) -> int:
    """The PASI of an item set, in tenths, scored by :func:`dermtrial.instruments.score_pasi`."""
    return score_pasi(PasiItems.model_validate(items)).tenths


def form_values(items: dict[str, dict[str, int]]) -> dict[str, int]:
    """The PASI form's dotted item codes (``head.erythema`` …) as the forms store them."""
    return {f"{region}.{name}": value for region, scores in items.items() for name, value in scores.items()}


def zung_answers(scale: str, raw: int, rng: random.Random) -> list[int]:
    """Twenty ticked answers (1–4, in questionnaire order) whose raw score is ``raw`` (reverse items ticked
    reversed)."""
    rules = RULES[scale]  # type: ignore[index]
    raw = max(LOW * ITEM_COUNT, min(HIGH * ITEM_COUNT, raw))
    scored = [LOW] * ITEM_COUNT
    order = list(range(ITEM_COUNT))
    rng.shuffle(order)
    left = raw - LOW * ITEM_COUNT
    while left > 0:
        for index in order:
            if left and scored[index] < HIGH:
                scored[index] += 1
                left -= 1
    return [HIGH + LOW - value if number in rules.reverse_items else value for number, value in enumerate(scored, 1)]


def zung_form_values(scale: str, answers: list[int]) -> dict[str, int]:
    """The SAS/SDS form items (``SAS01`` … ``SAS20``)."""
    prefix = scale.upper()
    return {f"{prefix}{number:02d}": answer for number, answer in enumerate(answers, 1)}


def dlqi_answers(total: int, rng: random.Random) -> dict[str, Any]:
    """DLQI answers (q1–q10, 0–3 each; q7 as prevented/problem) adding up to ``total`` (0–30)."""
    scores = [0] * 10
    left = max(0, min(30, total))
    order = list(range(10))
    rng.shuffle(order)
    while left > 0:
        for index in order:
            if left and scores[index] < 3:
                scores[index] += 1
                left -= 1
    answers: dict[str, Any] = {f"q{n}": scores[n - 1] for n in range(1, 11) if n != 7}
    q7 = scores[6]
    answers["q7"] = {"prevented": "yes", "problem": None} if q7 == 3 else {"prevented": "no", "problem": q7}
    return answers


def dlqi_form_values(answers: dict[str, Any]) -> dict[str, Any]:
    """The DLQI form items (``q7.prevented``, ``q7.problem`` dotted)."""
    values = {k: v for k, v in answers.items() if k != "q7"}
    values["q7.prevented"] = answers["q7"]["prevented"]
    if answers["q7"]["problem"] is not None:
        values["q7.problem"] = answers["q7"]["problem"]
    return values


def spga_for(pasi: Decimal) -> int:
    """sPGA 0–4 that goes with a PASI (ASSUMED bands: 0 clear, < 3 almost clear, < 8 mild, < 16 moderate)."""
    if pasi == 0:
        return 0
    for grade, below in ((1, 3), (2, 8), (3, 16)):
        if pasi < below:
            return grade
    return 4
