"""``dermtrial dose --protocol ID --weight-kg W [--json]``: the per-administration dose from the body weight.

The protocol's weight-based intervention (AD-MSC: 2 × 10⁶ cells/kg) times the weight, exact; 62.5 kg →
125,000,000 cells. Caps and rounding as in docs/conduct.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from dermtrial.cli._common import exit_bad_input, print_json, stdout
from dermtrial.cli._conduct import JsonOption, ProtocolOption, decimal_from_option, protocol_from_option
from dermtrial.conduct import compute_dose, rules_for
from dermtrial.conduct.dosing import exact
from dermtrial.errors import InvalidInput, Problem
from dermtrial.protocol.model import Intervention, Protocol


def _weight_based(protocol: Protocol, wanted: str | None) -> Intervention:
    candidates = [i for i in protocol.interventions if i.dose is not None and i.dose.basis == "body_weight"]
    names = ", ".join(i.id for i in candidates) or "none in this protocol"
    if wanted is None and len(candidates) == 1:
        return candidates[0]
    match = [i for i in candidates if i.id == wanted]
    if not match:
        shown = f'"{wanted}"' if wanted else "(none given)"
        exit_bad_input([Problem(("--intervention",), f"{shown} is not allowed: expected a weight-based one: {names}")])
    return match[0]


def _number(value: Decimal) -> str:
    """``125000000`` → ``125,000,000``; a fraction keeps its decimals."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def _json_number(value: Decimal) -> int | str:
    """A whole number as a JSON integer, a fraction as exact decimal text."""
    return int(value) if value == value.to_integral_value() else str(value.normalize())


def dose(
    protocol: ProtocolOption,
    weight_kg: Annotated[str, typer.Option("--weight-kg", help="Body weight measured at the visit, in kg.")],
    intervention: Annotated[
        str | None, typer.Option("--intervention", help="The intervention id (only needed when several are by weight).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Print the per-infusion dose computed from the body weight (e.g. 62.5 kg → 125,000,000 cells)."""
    loaded = protocol_from_option(protocol)
    weight = decimal_from_option("--weight-kg", weight_kg, "a body weight in kilograms")
    product = _weight_based(loaded, intervention)
    assert product.dose is not None
    try:
        result = compute_dose(product.dose, weight, rules_for(loaded, intervention=product))
    except InvalidInput as exc:
        exit_bad_input([Problem(("--weight-kg",), p.message) for p in exc.problems])
    if json_output:
        print_json(
            {
                "protocol": loaded.identity.registry_id,
                "intervention": product.id,
                "per_kg": {"amount": _json_number(exact(product.dose.amount)), "unit": product.dose.unit},
                **result.to_json(),
            }
        )
        return
    capped = f" (capped at the {result.capped} limit)" if result.capped else ""
    stdout.print(
        f"{product.name}: {result.weight_kg} kg × {_number(exact(product.dose.amount))} {product.dose.unit} = "
        f"{_number(result.amount)} {result.unit}{capped}",
        markup=False,
    )
