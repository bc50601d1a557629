"""`make mutate --only X` rewrites docs/mutation.md: the targets it ran get new rows and sections, the others
keep what the last report said of them (their sessions may have run on another machine), and the report's
notes stay."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("mutation_run", ROOT / "tests" / "mutation" / "run.py")
run = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = run     # dataclasses look their module up there
_spec.loader.exec_module(run)

TARGETS = [{"name": "a", "module": "a.py"}, {"name": "b", "module": "b.py"}, {"name": "c", "module": "c.py"}]
PREVIOUS = """# Mutation testing

| module | what | commit | mutants | killed | survived | equivalent | incompetent | not run | survivors not equivalent | minutes |
|---|---|---|---|---|---|---|---|---|---|---|
| `a.py` | a | old | 2 | 1 | 1 | 0 | 0 | 0 | 50.0 % | 1.0 |
| `c.py` | c | kept | 3 | 3 | 0 | 0 | 0 | 0 | 0.0 % | 2.0 |

## `a.py`

- survived: `1:1:NumberReplacer` (line:column:operator)

## `c.py`

- equivalent: `9:9:AddNot` — why c's mutant changes nothing

## Scope of the targets

- a note written by hand
"""


def test_a_run_of_one_target_keeps_the_others_rows_sections_and_notes():
    outcome = run.Outcome("a", "a.py", killed=2, tree="new", seconds=60)
    text = run.report([outcome], TARGETS, PREVIOUS)
    assert "| `a.py` | a | new | 2 | 2 | 0 |" in text and "| old |" not in text
    assert "| `c.py` | c | kept | 3 | 3 |" in text
    assert "`1:1:NumberReplacer`" not in text                 # a's old survivor is gone with its old run
    assert "why c's mutant changes nothing" in text
    assert text.rstrip().endswith("- a note written by hand")
    assert text.index("| `a.py`") < text.index("| `c.py`")     # in the order of targets.toml


def test_a_report_with_nothing_before_has_only_what_ran():
    text = run.report([run.Outcome("b", "b.py", killed=1, tree="t")], TARGETS, "")
    assert "| `b.py` |" in text and "`a.py`" not in text and "`c.py`" not in text
