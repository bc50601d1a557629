"""An 等于 (eq) standard holds within half a unit of the last place the text gives its number
(issue 21): 每周1天 accepts 0.5-1.5, 0.5% accepts 0.45-0.55 %, and a round number such as 30 or 100
is read to its units (±0.5), not to its tens."""
from __future__ import annotations

from decimal import Decimal

import pytest

from policykg.compliance.checks import _tolerance


@pytest.mark.parametrize("value, tolerance", [
    ("1", "0.5"), ("0.5", "0.05"), ("1.2", "0.05"), ("0.333333", "0.0000005"),
    ("30", "0.5"), ("100", "0.5"), ("15000", "0.5"),
])
def test_half_a_unit_of_the_last_place_given(value, tolerance):
    assert _tolerance(Decimal(value)) == Decimal(tolerance)
