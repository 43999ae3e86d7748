"""The compiled leaf: the same comparison through the exact path and the polars expression, at the stated precision."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from dermtrial.eligibility.rules import AllOf, AnyOf, InputValue, Leaf, Node, round_half_up


def _leaf(op: str, limit: str, precision: str | None = None) -> Leaf:
    return Leaf(
        input="x",
        op=op,  # type: ignore[arg-type]
        literal=Decimal(limit),
        relative_to=None,
        factor=Decimal(1),
        offset=Decimal(0),
        unit=None,
        precision=None if precision is None else Decimal(precision),
        scale=Decimal(1),
    )


def _both(node: Node, values: list[str | None]) -> list[tuple[bool | None, bool | None]]:
    exact = [node.evaluate({"x": InputValue(None if v is None else Decimal(v))})[0] for v in values]
    frame = pl.DataFrame({"x": [None if v is None else float(v) for v in values]}, schema={"x": pl.Float64})
    table = frame.select(node.expression().alias("r"))["r"].to_list()
    return list(zip(exact, table, strict=True))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.005", True),  # half-up to 1.01, although the float 1.005 is just below 1.005
        ("1.0049", False),
        ("1.015", True),
        ("1.004999", False),
    ],
)
@pytest.mark.requirement("CLIN-ELIG-06")
def test_half_up_rounding_at_the_limits_precision_is_the_same_in_both_paths(value: str, expected: bool) -> None:
    assert _both(_leaf(">=", "1.01", "0.01"), [value]) == [(expected, expected)]


def test_round_half_up() -> None:
    assert round_half_up(Decimal("2.915"), Decimal("0.01")) == Decimal("2.92")
    assert round_half_up(Decimal("2.9149"), Decimal("0.01")) == Decimal("2.91")
    assert round_half_up(Decimal("Infinity"), Decimal("1")) == Decimal("Infinity")


def test_kleene_logic_is_the_same_in_both_paths() -> None:
    low, high = _leaf("<", "2"), _leaf(">", "3")
    values = ["1", "2.5", "4", None]
    assert _both(AnyOf((low, high)), values) == [(True, True), (False, False), (True, True), (None, None)]
    assert _both(AllOf((_leaf(">", "0"), high)), values) == [(False, False), (False, False), (True, True), (None, None)]


def test_never_compares_as_infinitely_long_ago() -> None:
    node = _leaf("<", "14")
    exact, _ = node.evaluate({"x": InputValue(Decimal("Infinity"))})
    frame = pl.DataFrame({"x": [float("inf")]})
    assert exact is False
    assert frame.select(node.expression())["x"].to_list() == [False]
