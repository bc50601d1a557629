"""Skip the mutants of a session that lie outside the named functions of its module.

Run with the mutation tree's Python (it has cosmic-ray): ``python scope.py SESSION MODULE NAME…``.
A target of ``targets.toml`` with ``functions = [...]`` is mutated only there: in a large module
the functions where a bug hurts users most, so that one test run per mutant fits in the time a run
may take. A name is a function or method name; every function of that name (and what it nests)
counts.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult


def spans(module: Path, names: set[str]) -> list[tuple[int, int]]:
    """The line ranges (first, last) of the functions named ``names`` in ``module``."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    found = [(node.lineno, node.end_lineno) for node in ast.walk(tree)
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names]
    missing = names - {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if missing:
        sys.exit(f"scope: {module} has no function named {', '.join(sorted(missing))}")
    return found


def main(argv: list[str]) -> int:
    session, module, *names = argv
    ranges = spans(Path(module), set(names))
    with use_db(session, WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            row = item.mutations[0].start_pos[0]
            if not any(first <= row <= last for first, last in ranges):
                db.set_result(item.job_id, WorkResult(output="outside the target's functions",
                                                      worker_outcome=WorkerOutcome.SKIPPED))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
