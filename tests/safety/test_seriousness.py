"""Seriousness by ICH E2A criteria; relatedness per product on a five-point scale."""

from __future__ import annotations

import pytest

from dermtrial.safety.relatedness import check_relatedness, is_related
from dermtrial.safety.seriousness import check_seriousness, is_fatal_or_life_threatening, is_serious


@pytest.mark.requirement("CLIN-SAE-01")
def test_seriousness_by_ich_e2a() -> None:
    assert is_serious(["hospitalisation"])
    assert not is_serious([])
    assert is_fatal_or_life_threatening(["life_threatening"])
    assert not is_fatal_or_life_threatening(["hospitalisation", "medically_important"])
    message = check_seriousness(["hospitalised"])
    assert message is not None
    assert "hospitalisation" in message


def test_possible_probable_definite_count_as_related() -> None:
    assert [c for c in ("NOT_RELATED", "UNLIKELY", "POSSIBLE", "PROBABLE", "DEFINITE") if is_related(c)] == [
        "POSSIBLE",
        "PROBABLE",
        "DEFINITE",
    ]
    message = check_relatedness("possible")
    assert message is not None
    assert "POSSIBLE" in message
