"""`make mutate`: mutation testing of the modules where a silent bug hurts users most.

For each target of ``targets.toml`` cosmic-ray changes one small thing in the module at a time (a comparison, a
boolean, a number, an operator, a loop) and runs the module's tests, stopping at the first failure: a mutant the
tests notice is killed, one they do not is a survivor — a bug that could ship unnoticed. Survivors are either
killed by a new test or listed in ``equivalent.toml`` with the reason no test can tell them apart.

The mutants are applied in a scratch clone of the committed tree (``build/mutation/tree``, with its own virtualenv),
never in the working tree: server processes the tests start import the mutated module from there too. The report
goes to ``docs/mutation.md``. Slow by nature (one test run per mutant), so it is not part of ``make test``.

    python tests/mutation/run.py [--only WORD] [--timeout S] [--out docs/mutation.md] [--survivors] [--report-only]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORK = ROOT / "build" / "mutation"
TOOLS = WORK / "tree" / ".venv" / "bin"      # cosmic-ray's commands (installed in the tree only)

# One mutation per kind of plausible slip: boundaries (< vs <=), negations, booleans, numbers, arithmetic,
# and/or, loops that never run. cosmic-ray's other operators (every binary operator into every other,
# shifts, bitwise) multiply the count without modelling bugs people make.
KEPT_OPERATORS = {
    "ReplaceComparisonOperator_Lt_LtE", "ReplaceComparisonOperator_LtE_Lt", "ReplaceComparisonOperator_Gt_GtE",
    "ReplaceComparisonOperator_GtE_Gt", "ReplaceComparisonOperator_Eq_NotEq", "ReplaceComparisonOperator_NotEq_Eq",
    "ReplaceComparisonOperator_Is_IsNot", "ReplaceComparisonOperator_IsNot_Is",
    "ReplaceBinaryOperator_Add_Sub", "ReplaceBinaryOperator_Sub_Add", "ReplaceBinaryOperator_Mul_Div",
    "ReplaceBinaryOperator_Div_Mul", "ReplaceUnaryOperator_USub_UAdd", "ReplaceUnaryOperator_Delete_Not",
    "AddNot", "ReplaceTrueWithFalse", "ReplaceFalseWithTrue", "ReplaceAndWithOr", "ReplaceOrWithAnd",
    "ReplaceBreakWithContinue", "ReplaceContinueWithBreak", "NumberReplacer", "ZeroIterationForLoop",
}

# pytest plugins installed with the test extras that no mutation target's tests use (property-based, API-schema,
# parallel and async testing).
UNUSED_PLUGINS = ("xdist", "xdist.looponfail", "hypothesispytest", "schemathesis", "anyio")


@dataclass
class Outcome:
    name: str
    module: str
    killed: int = 0
    survived: list[str] = field(default_factory=list)
    equivalent: list[tuple[str, str]] = field(default_factory=list)
    incompetent: int = 0
    pending: int = 0
    seconds: float = 0.0
    tree: str = "?"

    @property
    def generated(self) -> int:
        return self.killed + len(self.survived) + len(self.equivalent) + self.incompetent + self.pending


def run(command: list[str], cwd: Path | None = None, env: dict | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"mutate: {' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def prepare_tree() -> Path:
    """A clone of the committed tree with the package installed from it (editable), test extras included."""
    tree = WORK / "tree"
    if (tree / ".git").is_dir():
        run(["git", "-C", str(tree), "fetch", "--quiet", str(ROOT), "HEAD"])
        run(["git", "-C", str(tree), "reset", "--quiet", "--hard", "FETCH_HEAD"])
        run(["git", "-C", str(tree), "clean", "--quiet", "-fdx", "-e", ".venv"])
    else:
        WORK.mkdir(parents=True, exist_ok=True)
        run(["git", "clone", "--quiet", str(ROOT), str(tree)])
    python = tree / ".venv" / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(tree / ".venv")])
    run([str(python), "-m", "pip", "install", "--quiet", "-e", ".[test,mutation]"], cwd=tree)
    return tree


def prepare_workers(tree: Path, jobs: int) -> list[Path]:
    """``tree`` and ``jobs - 1`` more clones of it, so that as many mutants can be tested at once, each in its own
    files. A clone shares the tree's installed packages (a .pth file naming the tree's site-packages) and imports
    the package from its own files (a copy of the tree's editable-install finder, pointed at the clone)."""
    workers = [tree]
    site = next((tree / ".venv" / "lib").glob("python*/site-packages"))
    for n in range(1, jobs):
        worker = WORK / f"worker-{n}"
        if (worker / ".git").is_dir():
            run(["git", "-C", str(worker), "fetch", "--quiet", str(ROOT), "HEAD"])
            run(["git", "-C", str(worker), "reset", "--quiet", "--hard", "FETCH_HEAD"])
            run(["git", "-C", str(worker), "clean", "--quiet", "-fdx", "-e", ".venv"])
        else:
            run(["git", "clone", "--quiet", str(ROOT), str(worker)])
        venv = worker / ".venv"
        if not (venv / "bin" / "python").exists():
            run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        own = next((venv / "lib").glob("python*/site-packages"))
        for path in site.glob("__editable__*policykg*"):
            (own / path.name).write_text(path.read_text(encoding="utf-8").replace(str(tree), str(worker)),
                                         encoding="utf-8")
        (own / "shared-tree-packages.pth").write_text(f"{site}\n", encoding="utf-8")
        workers.append(worker)
    return workers


def shard(session: Path, worker: Path, tree: Path, index: int, jobs: int) -> Path:
    """A copy of ``session`` holding every ``jobs``-th pending mutant from ``index``, applied in ``worker``'s
    files; the skipped ones stay in the first shard only."""
    path = session if index == 0 else session.with_name(f"{session.stem}.shard-{index}.sqlite")
    if index:
        path.write_bytes(session.read_bytes())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE mutation_specs SET module_path = replace(module_path, ?, ?)", (str(tree), str(worker)))
        pending = [row[0] for row in db.execute(
            "SELECT job_id FROM mutation_specs WHERE job_id NOT IN (SELECT job_id FROM work_results) "
            "ORDER BY start_pos_row, start_pos_col, operator_name, occurrence")]
        others = [job for i, job in enumerate(pending) if i % jobs != index]
        if index:
            others += [row[0] for row in db.execute("SELECT job_id FROM work_results")]
        for table in ("work_results", "mutation_specs", "work_items"):
            db.executemany(f"DELETE FROM {table} WHERE job_id = ?", [(job,) for job in others])
    return path


def shards(target: dict) -> list[Path]:
    """The session files of a target's last run: the session and the shards of a parallel run."""
    first = session_path(target)
    return [first, *sorted(first.parent.glob(f"{first.stem}.shard-*.sqlite"))] if first.exists() else []


def build_dataset(tree: Path) -> Path:
    """The dataset built by the unmutated tree (before any mutant is applied)."""
    out = WORK / "dataset.trig"
    run([str(tree / ".venv" / "bin" / "python"), "-m", "policykg.cli", "build", "--out", str(out)], cwd=tree)
    return out


def operator_name(raw: str) -> str:
    return raw.split("/", 1)[-1]


def write_config(tree: Path, target: dict, timeout: float, name: str = "") -> Path:
    python = tree / ".venv" / "bin" / "python"
    tests = " ".join(shlex.quote(str(tree / t)) for t in target["tests"])
    # Plugins no target's tests use, left unloaded: their imports cost a second or more of every mutant's run.
    unused = " ".join(f"-p no:{name}" for name in UNUSED_PLUGINS)
    command = f"{python} -m pytest -x -q -p no:cacheprovider {unused} -m 'not browser' {tests}"
    operators = run([str(TOOLS / "cosmic-ray"), "operators"]).split()
    excluded = sorted(f"^{re.escape(op)}$" for op in operators if operator_name(op) not in KEPT_OPERATORS)
    slug = re.sub(r"\W+", "-", target["module"]).strip("-")
    config = WORK / f"{slug}{name}.toml"
    lines = [
        "[cosmic-ray]",
        f"module-path = {json.dumps(str(tree / target['module']))}",
        f"timeout = {timeout}",
        "excluded-modules = []",
        f"test-command = {json.dumps(command)}",
        "",
        "[cosmic-ray.distributor]",
        'name = "local"',
        "",
        "[cosmic-ray.filters.operators-filter]",
        "exclude-operators = [" + ", ".join(json.dumps(e) for e in excluded) + "]",
        "",
    ]
    config.write_text("\n".join(lines), encoding="utf-8")
    return config


def session_path(target: dict) -> Path:
    return WORK / (re.sub(r"\W+", "-", target["module"]).strip("-") + ".sqlite")


def mutate(workers: list[Path], target: dict, timeout: float, survivors: bool = False) -> float:
    """Run every mutant of the target's module, as many at once as there are workers; the seconds it took.
    With ``survivors``, only the last run's survivors run again (on the current commit: tests were added to
    kill them; the module itself must be unchanged, the mutants are found by line and column), each shard in
    the worker that ran it."""
    tree, bin_dir = workers[0], TOOLS
    config = write_config(tree, target, timeout)
    session = session_path(target)
    about = session.with_suffix(".json")
    started = time.monotonic()
    env = None
    if target.get("prebuilt"):
        # the module plays no part in `policykg build`: the tests read one dataset built from the
        # unmutated tree instead of building their own per mutant (tests/conftest.py built_dataset)
        env = {**os.environ, "POLICYKG_TEST_DATASET": str(build_dataset(tree))}
    if survivors:
        parts_found = shards(target)
        if not parts_found:
            sys.exit(f"mutate: no session of {target['module']} to run the survivors of")
        if len(parts_found) > len(workers):
            sys.exit(f"mutate: the last run of {target['module']} had {len(parts_found)} shards: "
                     f"run the survivors with --jobs {len(parts_found)}")
        before = json.loads(about.read_text(encoding="utf-8")) if about.exists() else {}
        for part in parts_found:
            with sqlite3.connect(part) as db:
                db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")
            db.close()
        parts = list(zip(workers, parts_found))
    else:
        before = {}
        for old in shards(target):
            old.unlink()
        run([str(bin_dir / "cosmic-ray"), "init", str(config), str(session)], cwd=tree)
        run([str(bin_dir / "cr-filter-operators"), str(session), str(config)], cwd=tree)
        run([str(bin_dir / "cr-filter-pragma"), str(session)], cwd=tree)
        if target.get("functions"):
            run([str(tree / ".venv" / "bin" / "python"), str(HERE / "scope.py"), str(session),
                 str(tree / target["module"]), *target["functions"]], cwd=tree)
        # Shards from the last one back, so that the first (the session itself) is cut last.
        parts = list(reversed([(w, shard(session, w, tree, i, len(workers)))
                               for i, w in reversed(list(enumerate(workers)))]))
    running = [subprocess.Popen([str(bin_dir / "cosmic-ray"), "exec",
                                 str(write_config(w, target, timeout, f".worker-{i}" if i else "")), str(part)],
                                cwd=w, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for i, (w, part) in enumerate(parts)]
    for process in running:
        _, err = process.communicate()
        if process.returncode != 0:
            sys.exit(f"mutate: cosmic-ray exec failed ({process.returncode}):\n{err[-3000:]}")
    # Each tree is clean again after each mutant; check it, so a crash never leaves a mutant in place.
    for w in workers:
        run(["git", "-C", str(w), "diff", "--quiet", "--", target["module"]])
    seconds = time.monotonic() - started
    commit = run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"]).strip()
    if before:   # the commit the whole run was on, then the one its survivors ran again on
        seconds += before.get("seconds", 0)
        commit = f"{before.get('tree', '?').split('+')[0]}+{commit}"
    about.write_text(json.dumps({"seconds": round(seconds), "tree": commit}) + "\n", encoding="utf-8")
    return seconds


def collect(target: dict, equivalent: dict, seconds: float, tree: str) -> Outcome:
    """The verdicts of a target's session, survivors documented as equivalent set apart."""
    outcome = Outcome(target["name"], target["module"], seconds=seconds, tree=tree)
    documented = equivalent.get(target["module"], {})
    dump = "".join(run([str(TOOLS / "cosmic-ray"), "dump", str(part)])
                   for part in shards(target))
    for line in dump.splitlines():
        item, result = json.loads(line)
        if result is None:
            outcome.pending += 1
            continue
        if result.get("worker_outcome") == "skipped":
            continue
        mutation = item["mutations"][0]
        row, column = mutation["start_pos"]
        where = f"{row}:{column}:{operator_name(mutation['operator_name'])}"
        verdict = result.get("test_outcome")
        if verdict == "killed":
            outcome.killed += 1
        elif verdict == "survived":
            if where in documented:
                outcome.equivalent.append((where, documented[where]))
            else:
                outcome.survived.append(where)
        else:
            outcome.incompetent += 1
    return outcome


def _position(where: str) -> tuple[int, int, str]:
    row, column, operator = where.split(":", 2)
    return int(row), int(column), operator


def previous_parts(text: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """From the last report: each module's table row and section, and the sections that are notes
    (headings that name no module), so that a run of some targets keeps what the others last said
    (the sessions behind them may be on another machine)."""
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)` \|.*$", text, re.M)}
    sections, notes = {}, []
    for chunk in re.split(r"\n(?=## )", text)[1:]:
        heading = re.match(r"## `([^`]+)`\s*$", chunk.splitlines()[0])
        if heading:
            sections[heading.group(1)] = chunk.strip("\n")
        else:
            notes.append(chunk.strip("\n"))
    return rows, sections, notes


def report(outcomes: list[Outcome], targets: list[dict] | None = None, previous: str = "") -> str:
    """The report: a row and a section per target run here; for the other targets, what the previous
    report said of them; then the previous report's notes."""
    rows, sections, notes = previous_parts(previous)
    ran = {o.module for o in outcomes}
    kept = [t["module"] for t in (targets or []) if t["module"] not in ran and t["module"] in rows]
    lines = ["# Mutation testing", "",
             "Written by `make mutate` (`tests/mutation/run.py`, cosmic-ray); the targets and their tests are in",
             "`tests/mutation/targets.toml`, the survivors documented as equivalent in `tests/mutation/equivalent.toml`.",
             f"Written on {time.strftime('%Y-%m-%d')}; each target was run on the commit in its row.",
             "", "| module | what | commit | mutants | killed | survived | equivalent | incompetent | not run | "
                 "survivors not equivalent | minutes |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    order = {t["module"]: i for i, t in enumerate(targets or [])}
    table: list[tuple[int, str]] = []
    for o in outcomes:
        judged = o.killed + len(o.survived) + len(o.equivalent)
        rate = f"{100 * len(o.survived) / judged:.1f} %" if judged else "–"
        table.append((order.get(o.module, len(order)),
                      f"| `{o.module}` | {o.name} | {o.tree} | {o.generated} | {o.killed} | {len(o.survived)} | "
                      f"{len(o.equivalent)} | {o.incompetent} | {o.pending} | {rate} | {o.seconds / 60:.1f} |"))
    table += [(order[m], rows[m]) for m in kept]
    lines += [row for _, row in sorted(table, key=lambda r: r[0])]
    blocks: list[tuple[int, list[str]]] = []
    for o in outcomes:
        if o.survived or o.equivalent:
            block = [f"## `{o.module}`", ""]
            block += [f"- survived: `{w}` (line:column:operator)" for w in sorted(o.survived, key=_position)]
            block += [f"- equivalent: `{w}` — {why}" for w, why in sorted(o.equivalent, key=lambda e: _position(e[0]))]
            blocks.append((order.get(o.module, len(order)), block))
    blocks += [(order[m], [sections[m]]) for m in kept if m in sections]
    for _, block in sorted(blocks, key=lambda b: b[0]):
        lines += [""] + block
    for note in notes:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run only the targets whose module or name contains this word "
                                       "(the report keeps the others' last results)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one test run of a mutant may take")
    parser.add_argument("--jobs", type=int, default=1,
                        help="mutants tested at once, each in its own clone of the tree (default 1)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "mutation.md")
    parser.add_argument("--survivors", action="store_true",
                        help="run only the last run's survivors again (after adding tests to kill them)")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the report from the sessions of the last run (after editing equivalent.toml)")
    args = parser.parse_args(argv)
    targets = tomllib.loads((HERE / "targets.toml").read_text(encoding="utf-8"))["target"]
    chosen = targets
    if args.only:
        chosen = [t for t in targets if args.only in t["module"] or args.only in t["name"]]
        if not chosen:
            parser.error(f"no target matches {args.only!r}")
    equivalent = tomllib.loads((HERE / "equivalent.toml").read_text(encoding="utf-8"))
    if not args.report_only:
        workers = prepare_workers(prepare_tree(), max(1, args.jobs))
        for target in chosen:
            print(f"mutate: {target['module']} …", flush=True)
            mutate(workers, target, args.timeout, args.survivors)
    # The report covers every target with a session, so running one target keeps the others' lines.
    outcomes = []
    for target in targets:
        if not session_path(target).exists():
            continue
        about = session_path(target).with_suffix(".json")
        run_info = json.loads(about.read_text()) if about.exists() else {}
        o = collect(target, equivalent, float(run_info.get("seconds", 0.0)), run_info.get("tree", "?"))
        outcomes.append(o)
        print(f"mutate: {o.module}: {o.generated} mutants, {o.killed} killed, {len(o.survived)} survived, "
              f"{len(o.equivalent)} equivalent", flush=True)
    text = report(outcomes, targets, args.out.read_text(encoding="utf-8") if args.out.exists() else "")
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, args.out)
    print(f"mutate: report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
