"""The generator is deterministic and injects every case."""
from __future__ import annotations

from collections import Counter

from policykg.compliance.generator import CASES, DISTRICTS, generate


def test_same_seed_same_files_other_seed_other_files():
    a, b, c = generate(50, seed=1), generate(50, seed=1), generate(50, seed=2)
    assert a.communities_csv() == b.communities_csv() and a.workers_csv() == b.workers_csv()
    assert a.expected == b.expected
    assert a.communities_csv() != c.communities_csv()


def test_every_case_is_injected_once_with_about_ten_workers_each():
    registers = generate(400, seed=3)
    assert {e["case"] for e in registers.expected} == {c.name for c in CASES}
    assert 8 <= len(registers.workers) / len(registers.communities) <= 12
    districts = Counter(r["district"] for r in registers.communities)
    assert set(districts) == set(DISTRICTS)
    assert districts["工业园区"] > districts["金阊区"]       # the distribution follows the district shares
