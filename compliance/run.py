"""Checking registers end to end: read, import into a fresh store, run the generated checks.

    policy norms ──► checks (generated once) ──┐
    registers ──► read, refuse bad rows ──► instance graphs (one named graph per register)
                                               └──► SPARQL on pyoxigraph (or SHACL on pySHACL) ──► Report

The store a check runs on holds the registers only, each in its own named graph: the policy's
graphs are read (for the norms) but never written, and register data never enters them.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import time
from operator import itemgetter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

import pyoxigraph as ox

try:
    import resource
except ImportError:   # not on a Unix: this process's own CPU time only
    resource = None

from policykg.compliance.checks import (COMPACT_SEPARATOR, STATUSES, CheckSet, build_checks, compact_fields,
                                        compact_query, read_columns, register_query, var)
from policykg.compliance.columns import COMMUNITIES, COMMUNITY_KEY, WORKERS
from policykg.compliance.instances import community_iris, load_register, register_graph, row_prefix
from policykg.compliance.norms import load_policy_norms
from policykg.compliance.registers import Register, community_keys, read_register
from policykg.compliance.report import Report, RowResult
from policykg.ontology.namespaces import REG

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


def _cpu_seconds() -> float:
    """User + system seconds of this process and of its finished children (the chunk processes)."""
    if resource is None:
        return time.process_time()
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Timings:
    """Wall seconds per step, and ``<step>_cpu``: its CPU seconds (the machine may be shared: CPU time
    says what a step costs, wall time also how busy the machine was)."""

    seconds: dict[str, float] = field(default_factory=dict)
    _cpu: float = field(default_factory=_cpu_seconds)

    def mark(self, name: str, start: float) -> float:
        now, cpu = time.perf_counter(), _cpu_seconds()
        self.seconds[name] = round(now - start, 3)
        self.seconds[f"{name}_cpu"] = round(cpu - self._cpu, 3)
        self._cpu = cpu
        return now


def checks_from_store(policy_store) -> CheckSet:
    """The checks of the policy the store holds (generated from its norms)."""
    return build_checks(load_policy_norms(policy_store))


def read_registers(communities: tuple[bytes, str], workers: tuple[bytes, str] | None) -> tuple[Register, Register | None]:
    """Read both registers (raising RegisterError with every problem); workers are checked against the
    communities register."""
    com = read_register(communities[0], communities[1], COMMUNITIES)
    wor = None
    if workers is not None:
        wor = read_register(workers[0], workers[1], WORKERS, communities=community_keys(com))
    return com, wor


def import_registers(base: str, com: Register, wor: Register | None) -> tuple[ox.Store, list[str]]:
    """A fresh in-memory store with each register in its own named graph."""
    store = ox.Store()
    graphs = [load_register(store, base, com)]
    if wor is not None:
        graphs.append(load_register(store, base, wor, community_iris(base, com)))
    return store, graphs


_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")


def _number(term) -> Decimal | bool | str | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):   # a choice (the organization form): the class's local name
        return term.value.rsplit("/", 1)[-1]
    if term.datatype == _BOOLEAN:
        return term.value == "true"
    try:
        return Decimal(term.value)
    except ArithmeticError:
        return None


def _one(memo: dict, value: tuple) -> tuple:
    """One object for equal tuples of values (a million rows hold few distinct ones: pickling keeps
    the sharing when a chunk's results come back); bounded, for values that never repeat."""
    if len(memo) > 100_000:
        memo.clear()
    return memo.setdefault(value, value)


def run_sparql(store: ox.Store, graphs: list[str], checkset: CheckSet, register: str) -> list[RowResult]:
    """Run the register's checks as one SELECT on the store; one RowResult per row."""
    checks = checkset.for_register(register)
    query = register_query(checks, register)
    solutions = store.query(query, default_graph=[ox.NamedNode(g) for g in graphs])
    # Each solution is read once, as a tuple, by position: looking terms up by name was most of the time
    # of a large check (bench/compliance.py), more than the query itself.
    position = {v.value: i for i, v in enumerate(solutions.variables)}
    ident_keys = ["district", "subdistrict", "community"] if register == COMMUNITIES else ["name", "post"]
    ident_at = [position[f"v_{k}"] for k in ident_keys]
    status_at = [position[f"s{i}"] for i in range(len(checks))]
    actual_at = [[position[f"a{i}_{j}"] for j in range(len(c.standards))]
                 + [position[var(col)[1:]] for col in c.reported] for i, c in enumerate(checks)]
    row_at = position["row"]
    community_at = position["community"] if register == WORKERS else None
    shared = {s: s for s in STATUSES}   # one string object per outcome, not one per row and check
    numbers: dict[str, Decimal | bool | None] = {}   # one Decimal per distinct value (ages, days, wages repeat)
    outcomes: dict[tuple, tuple] = {}
    values: dict[tuple, tuple] = {}

    def number(term):
        if term is None:
            return None
        key = term.value
        value = numbers.get(key)
        if value is None:
            value = numbers[key] = _number(term)
        return value
    out = []
    for s in solutions:
        terms = tuple(s)
        row = terms[row_at].value
        ident = tuple(terms[i].value for i in ident_at)
        if register == WORKERS:
            ident = ident[:1] + (ident[1].rsplit("/", 1)[-1],)
        statuses = tuple(shared[terms[i].value] for i in status_at)
        statuses = outcomes.setdefault(statuses, statuses)   # rows repeat their outcomes: one tuple each
        actuals = tuple(_one(values, tuple(number(terms[i]) for i in at)) for at in actual_at)
        community = terms[community_at].value if community_at is not None else None
        out.append(RowResult(row, int(row.rsplit("/", 1)[-1]), ident, statuses, actuals, community))
    out.sort(key=lambda r: r.number)
    return out


# Rows per chunk, each checked in a fresh store: a worker row is smaller than a community's.
CHUNK_ROWS = {COMMUNITIES: 10_000, WORKERS: 25_000}
_FORKED: dict = {}   # what forked children read (set before the pool starts: fork copies it, nothing is pickled)


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        return os.cpu_count() or 1


def _slices(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def _compact_value(column):
    """How a value of :func:`compact_query`'s text is read: a standard's actual value or a number column
    as a Decimal, a yes/no as a bool, a choice as its class's local name (what :func:`_number` gives)."""
    if column is not None and column.kind == "boolean":
        return lambda text: text == "true"
    if column is not None and column.kind == "choice":
        return lambda text: text.rsplit("/", 1)[-1]

    def decimal(text):
        try:
            return Decimal(text)
        except ArithmeticError:
            return None
    return decimal


def run_compact(store: ox.Store, graph: str, checkset: CheckSet, kind: str, rows: list) -> tuple[list, list]:
    """The checks of register ``kind`` as :func:`compact_query` on a store holding ``rows`` of it: per row
    (in ``rows``' order) its outcomes and its actual values (None for a row the query did not return),
    what :func:`row_results` makes RowResults of."""
    checks = checkset.for_register(kind)
    statuses_of, actuals_of = compact_fields(checks)
    n = len(statuses_of)
    readers = [[_compact_value(col) for _, col in per] for per in actuals_of]
    shared = {s: s for s in STATUSES}
    outcomes: dict[tuple, tuple] = {}
    values: dict[tuple, tuple] = {}
    parsed: list[dict] = [{} for per in readers for _ in per]   # per field: text → value (values repeat)
    width = n + len(parsed)
    found: dict[int, tuple] = {}
    for solution in store.query(compact_query(checks, kind), default_graph=[ox.NamedNode(graph)]):
        fields = solution[0].value.split(COMPACT_SEPARATOR, width)   # the row's IRI last, split or not
        statuses = tuple(fields[:n])
        known = outcomes.get(statuses)
        if known is None:
            known = outcomes[statuses] = tuple(shared[s] for s in statuses)
        at = n
        actuals = []
        for read in readers:
            group = []
            for r in read:
                text, memo = fields[at], parsed[at - n]
                value = memo.get(text, memo)
                if value is memo:
                    if len(memo) > 100_000:
                        memo.clear()
                    value = memo[text] = r(text) if text else None
                group.append(value)
                at += 1
            actuals.append(_one(values, tuple(group)))
        found[int(fields[-1].rsplit("/", 1)[-1])] = (known, tuple(actuals))
    missing = (None, None)
    pairs = [found.get(row.number, missing) for row in rows]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def row_results(kind: str, prefix: str, rows: list, statuses: list, actuals: list,
                iris: dict[tuple, str]) -> list[RowResult]:
    """RowResults of :func:`run_compact`'s outcomes, named from the register's rows: built where the
    report is made, since a chunk process sending them back whole (pickled objects) cost ten times as
    much as sending the outcomes and values (shared tuples) and building them here."""
    out = []
    community = itemgetter(*COMMUNITY_KEY)
    if kind == COMMUNITIES:
        for row, s, a in zip(rows, statuses, actuals):
            if s is not None:
                out.append(RowResult(f"{prefix}{row.number}", row.number, community(row.values), s, a, None))
        return out
    ident = itemgetter("name", "post")
    for row, s, a in zip(rows, statuses, actuals):
        if s is not None:
            v = row.values
            out.append(RowResult(f"{prefix}{row.number}", row.number, ident(v), s, a, iris[community(v)]))
    return out


def check_chunk(checkset: CheckSet, base: str, register: Register, rows: slice, iris: dict[tuple, str],
                years: dict[str, int]) -> tuple[list, list]:
    """The rows ``rows`` of a register checked in a fresh store of their own, which holds only what the
    checks read (:func:`turtle_rows`' ``only``): :func:`run_compact`'s outcomes and values."""
    store = ox.Store()
    extra: list[str] = []
    if register.kind == WORKERS:
        named = {iris[tuple(r.values[k] for k in COMMUNITY_KEY)] for r in register.rows[rows]}
        extra = [f"<{iri}> <{REG}year> {years[iri]} ." for iri in named]
    only = {c.key for c in read_columns(checkset.for_register(register.kind))}
    if register.kind == COMMUNITIES:
        only.add("year")
    graph = load_register(store, base, register, iris if register.kind == WORKERS else None, rows=rows, extra=extra,
                          only=only)
    return run_compact(store, graph, checkset, register.kind, register.rows[rows])


def _forked_chunk(task: tuple[str, slice]) -> tuple[list, list]:
    register, rows = task
    f = _FORKED
    return check_chunk(f["checkset"], f["base"], f["registers"][register], rows, f["iris"], f["years"])


def check_in_chunks(checkset: CheckSet, base: str, com: Register, wor: Register | None,
                    jobs: int = 1) -> tuple[list[RowResult], list[RowResult]]:
    """Both registers checked chunk by chunk (on ``jobs`` processes when there is more than one chunk)."""
    iris = community_iris(base, com)
    if wor is not None:
        wor.digest   # hashed once, before the chunk processes fork (each would hash it again)
    years = {iris[tuple(r.values[k] for k in COMMUNITY_KEY)]: r.values["year"] for r in com.rows}
    registers = {COMMUNITIES: com, WORKERS: wor}
    tasks = [(COMMUNITIES, s) for s in _slices(len(com.rows), CHUNK_ROWS[COMMUNITIES])]
    if wor is not None:
        tasks += [(WORKERS, s) for s in _slices(len(wor.rows), CHUNK_ROWS[WORKERS])]
    if jobs > 1 and len(tasks) > 1 and "fork" in multiprocessing.get_all_start_methods():
        _FORKED.update(checkset=checkset, base=base, registers=registers, iris=iris, years=years)
        # the registers' objects out of the collector's reach: a collection in a child would otherwise
        # write to every one of them and so copy every page fork shares
        gc.freeze()
        try:
            # a fresh process per chunk: a process that has checked several chunks holds the pages of
            # every row it read (reference counts write to them), a fresh fork only its own chunk's
            with multiprocessing.get_context("fork").Pool(min(jobs, len(tasks)), maxtasksperchild=1) as pool:
                parts = pool.map(_forked_chunk, tasks, chunksize=1)
        finally:
            _FORKED.clear()
            gc.unfreeze()
    else:
        parts = [check_chunk(checkset, base, registers[r], s, iris, years) for r, s in tasks]
    out: dict[str, list[RowResult]] = {COMMUNITIES: [], WORKERS: []}
    prefixes = {kind: row_prefix(base, r) for kind, r in registers.items() if r is not None}
    for (kind, rows), (statuses, actuals) in zip(tasks, parts):
        out[kind] += row_results(kind, prefixes[kind], registers[kind].rows[rows], statuses, actuals, iris)
    return out[COMMUNITIES], out[WORKERS]


def check_registers(checkset: CheckSet, base: str, communities: tuple[bytes, str],
                    workers: tuple[bytes, str] | None = None, progress: Progress = _quiet,
                    engine: str = "sparql", jobs: int = 1) -> Report:
    """Read, import and check; ``engine`` "sparql" (pyoxigraph, in chunks on ``jobs`` processes) or
    "shacl" (pySHACL on one store: small registers)."""
    timings = Timings()
    start = time.perf_counter()
    progress("读取登记表 reading registers …")
    com, wor = read_registers(communities, workers)
    start = timings.mark("read", start)
    if engine == "sparql":
        progress(f"核对 checking {len(com.rows)} communities" + (f", {len(wor.rows)} workers" if wor else "")
                 + f" ({jobs} process(es)) …")
        graphs = [register_graph(base, com)] + ([register_graph(base, wor)] if wor else [])
        names = (com.name, wor.name if wor else None)
        community_results, worker_results = check_in_chunks(checkset, base, com, wor, jobs)
        del com, wor
        timings.mark("import+check", start)
        community_names = {r.iri: r.ident for r in community_results}
        progress("完成 done")
        return Report(checkset, base, names[0], names[1], graphs, community_results, worker_results,
                      community_names, timings.seconds)
    progress(f"导入 importing {len(com.rows)} communities" + (f", {len(wor.rows)} workers" if wor else "") + " …")
    store, graphs = import_registers(base, com, wor)
    names = (com.name, wor.name if wor else None)
    del com, wor   # the rows are in the store now; a million row dicts are worth freeing before the check
    start = timings.mark("import", start)
    progress("核对 checking …")
    community_results = run_sparql(store, graphs, checkset, COMMUNITIES)
    worker_results = run_sparql(store, graphs, checkset, WORKERS) if names[1] else []
    if engine == "shacl":
        from policykg.compliance.shapes import shacl_statuses, apply_statuses
        statuses = shacl_statuses(checkset, store, graphs, base)
        community_results = apply_statuses(community_results, checkset.for_register(COMMUNITIES), statuses)
        worker_results = apply_statuses(worker_results, checkset.for_register(WORKERS), statuses)
    elif engine != "sparql":
        raise ValueError(f"unknown engine {engine!r}")
    timings.mark("check", start)
    community_names = {r.iri: r.ident for r in community_results}
    progress("完成 done")
    return Report(checkset, base, names[0], names[1], graphs, community_results, worker_results, community_names,
                  timings.seconds)

