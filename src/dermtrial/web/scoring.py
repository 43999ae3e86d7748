"""The live PASI of a form being entered: the items given so far scored by :mod:`dermtrial.instruments.pasi`.

Nothing of the rule is here: items not yet entered are given to the scorer as 0 (so the number shown is the PASI of
what is on the screen) and listed as missing; the inconsistency flags of a region are shown only once its four items
are all entered (a region half filled in is not yet inconsistent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from dermtrial.errors import InvalidInput, Problem, problems_from_validation_error
from dermtrial.instruments import INSTRUMENTS

PASI = INSTRUMENTS["pasi"]
#: Item codes in form order (``head.erythema`` …), from the instrument's metadata.
PASI_ITEMS: tuple[str, ...] = tuple(item.code for item in PASI.metadata.items)
REGIONS: tuple[str, ...] = tuple(dict.fromkeys(code.split(".")[0] for code in PASI_ITEMS))
SIGNS: tuple[str, ...] = tuple(dict.fromkeys(code.split(".")[1] for code in PASI_ITEMS))


def score_pasi_entry(item_values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"complete", "pasi", "regions", "flags", "missing", "version"}`` for the dotted items entered so far."""
    unknown = [code for code in item_values if code not in PASI_ITEMS]
    if unknown:
        raise InvalidInput([Problem(("item_values", unknown[0]), f"not a PASI item: {', '.join(PASI_ITEMS)}")])
    given = {code: value for code, value in item_values.items() if value not in (None, "")}
    missing = [code for code in PASI_ITEMS if code not in given]
    nested: dict[str, dict[str, Any]] = {region: {} for region in REGIONS}
    for code in PASI_ITEMS:
        region, sign = code.split(".")
        nested[region][sign] = given.get(code, 0)
    try:
        result = PASI.validate_and_score(nested).to_json()
    except ValidationError as exc:
        raise InvalidInput(problems_from_validation_error(exc, prefix=("item_values",))) from None
    whole = {region for region in REGIONS if not any(code.startswith(f"{region}.") for code in missing)}
    return {
        "complete": not missing,
        "pasi": result["pasi"],
        "regions": result["regions"],
        "flags": [flag for flag in result["flags"] if flag["region"] in whole],
        "missing": missing,
        "version": result["version"],
    }
