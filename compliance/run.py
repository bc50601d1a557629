"""Checking registers end to end: read, import into a fresh store, run the generated checks.

    policy norms ──► checks (generated once) ──┐
    registers ──► read, refuse bad rows ──► instance graphs (one named graph per register)
                                               └──► SPARQL on pyoxigraph (or SHACL on pySHACL) ──► Report

On the SPARQL path the instances are one per distinct *value profile* of a group of checks (the values
the checks read and the year: :func:`value_profiles`), checked in chunks of fresh stores with the
checks' own generated query, the outcomes given to every row of the profile (:func:`fan_out`); the
communities' chunks run while the workers register is read (:func:`check_in_chunks`).

The store a check runs on holds the registers only, each in its own named graph: the policy's
graphs are read (for the norms) but never written, and register data never enters them.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import time
from contextlib import ExitStack, contextmanager
from functools import partial, reduce
from itertools import compress, repeat
from operator import add, attrgetter, itemgetter, methodcaller
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

import pyoxigraph as ox

try:
    import resource
except ImportError:   # not on a Unix: this process's own CPU time only
    resource = None

from policykg.compliance.checks import (COMPACT_SEPARATOR, STATUSES, Check, CheckSet, build_checks, compact_fields,
                                        compact_query, register_query, var)
from policykg.compliance.columns import COMMUNITIES, COMMUNITY_KEY, WORKERS
from policykg.compliance.instances import community_iris, load_register, register_graph, row_prefix
from policykg.compliance.norms import load_policy_norms
from policykg.compliance.registers import Register, community_keys, read_register
from policykg.compliance.report import Profiled, Report, RowResult
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
    communities register. With the collector off (:func:`collector_off`)."""
    with collector_off():
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


class _Shared(dict):
    """One object for equal tuples: rows repeat their outcomes and values, so one tuple each rather than
    one a row (a million rows hold few distinct ones; pickling keeps the sharing when a chunk's results
    come back). A mapping, so that ``map`` looks values up in C and only a new one runs Python. Bounded:
    past 100,000 keys it starts again (only sharing is lost, for values that never repeat)."""

    __slots__ = ()

    def __missing__(self, value):
        if len(self) > 100_000:
            self.clear()
        self[value] = value
        return value


class _Outcomes(dict):
    """A tuple of outcome texts → one shared tuple of the shared :data:`STATUSES` strings."""

    __slots__ = ("shared",)

    def __init__(self):
        super().__init__()
        self.shared = {s: s for s in STATUSES}

    def __missing__(self, statuses):
        value = self[statuses] = tuple(self.shared[s] for s in statuses)
        return value


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
    numbers: dict[str, Decimal | bool | None] = {}   # one Decimal per distinct value (ages, days, wages repeat)
    outcomes = _Outcomes()   # one tuple of the shared outcome strings per distinct outcomes
    values = _Shared()

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
        statuses = outcomes[tuple(terms[i].value for i in status_at)]
        actuals = tuple(values[tuple(number(terms[i]) for i in at)] for at in actual_at)
        community = terms[community_at].value if community_at is not None else None
        out.append(RowResult(row, int(row.rsplit("/", 1)[-1]), ident, statuses, actuals, community))
    out.sort(key=lambda r: r.number)
    return out


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


class _Parsed(dict):
    """A field's values by text (:func:`_compact_value`; empty: None), parsed once each; bounded."""

    __slots__ = ("read",)

    def __init__(self, read):
        super().__init__()
        self.read = read

    def __missing__(self, text):
        if len(self) > 100_000:
            self.clear()
        value = self[text] = self.read(text) if text else None
        return value


_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_LAST_PART = itemgetter(2)
_VALUE = attrgetter("value")
_NUMBER = attrgetter("number")


def run_compact(store: ox.Store, graph: str, checks: list[Check], kind: str, rows: list) -> tuple[list, list]:
    """``checks`` (of register ``kind``) as :func:`compact_query` on a store holding ``rows`` of it: per row
    (in ``rows``' order) its outcomes and its actual values (None for a row the query did not return),
    what :func:`row_results` makes RowResults of.

    The solutions' texts are split and read field by field, each field's column of texts mapped at once
    through its memo of parsed values (C loops, ``map`` and ``zip``; a Python loop a field a row was
    a fifth of a chunk's time)."""
    statuses_of, actuals_of = compact_fields(checks)
    n = len(statuses_of)
    width = n + sum(len(per) for per in actuals_of)
    texts = list(map(_VALUE, map(_FIRST, store.query(compact_query(checks, kind), default_graph=[ox.NamedNode(graph)]))))
    missing = (None, None)
    if not texts:
        return [None] * len(rows), [None] * len(rows)
    # the row's IRI last, split or not
    columns = list(zip(*map(methodcaller("split", COMPACT_SEPARATOR, width), texts)))
    statuses = list(map(_Outcomes().__getitem__, zip(*columns[:n])))
    shared = _Shared()
    groups = []
    at = n
    for per in actuals_of:
        values = [list(map(_Parsed(_compact_value(col)).__getitem__, columns[at + j])) for j, (_, col) in enumerate(per)]
        at += len(per)
        groups.append(list(map(shared.__getitem__, zip(*values))) if values else [()] * len(texts))
    actuals = zip(*groups)
    numbers = map(int, map(_LAST_PART, map(methodcaller("rpartition", "/"), columns[-1])))
    found = dict(zip(numbers, zip(statuses, actuals)))
    pairs = list(map(found.get, map(_NUMBER, rows), repeat(missing)))
    return list(map(_FIRST, pairs)), list(map(_SECOND, pairs))


def row_results(kind: str, prefix: str, rows: list, positions: dict[str, int], statuses: list, actuals: list,
                iris: dict[tuple, str]) -> list[RowResult]:
    """RowResults of the rows' outcomes and values, named from the register's rows (``positions``: its
    columns' places in a row's cells): built where the report is made, since a chunk process sending
    them back whole (pickled objects) cost ten times as much as sending the outcomes and values (shared
    tuples) and building them here. A row without outcomes (None: the check did not return it) gets none.

    Column by column with ``map`` (the loop in C, no Python line a row): 1.1 CPU s instead of 2.4 for
    100,000 communities and their million workers."""
    if any(s is None for s in statuses):
        keep = [s is not None for s in statuses]
        rows, statuses, actuals = (list(compress(column, keep)) for column in (rows, statuses, actuals))
    numbers = list(map(_NUMBER, rows))
    cells = list(map(attrgetter("values.cells"), rows))
    names = list(map(prefix.__add__, map(str, numbers)))
    community = itemgetter(*(positions[k] for k in COMMUNITY_KEY))
    if kind == COMMUNITIES:
        return list(map(RowResult, names, numbers, map(community, cells), statuses, actuals, repeat(None)))
    ident = itemgetter(positions["name"], positions["post"])
    return list(map(RowResult, names, numbers, map(ident, cells), statuses, actuals,
                    map(iris.__getitem__, map(community, cells))))


# ---------------------------------------------------------------------------------------------------
# Value profiles: each distinct combination of the values a group of checks reads is checked once

def profile_groups(checks: list[Check]) -> list[list[int]]:
    """The checks of one register in groups checked together (positions in ``checks``, in order): checks
    reading the same columns, or one the columns of the other. A group's key is the values of its
    columns: a group of few-valued columns (training days, ages) has few distinct keys however many
    rows there are, and is not multiplied by a many-valued column (pay) of another group."""
    groups: list[tuple[set, list[int]]] = []
    for i, check in enumerate(checks):
        keys = {c.key for c in check.columns}
        for columns, members in groups:
            if keys <= columns or columns <= keys:
                columns |= keys
                members.append(i)
                break
        else:
            groups.append((keys, [i]))
    return [members for _, members in groups]


@dataclass
class Profiles:
    """The distinct value profiles of one group of checks over a register's rows. A row's outcomes
    and actual values for these checks are a function of its profile: the values of the columns the
    checks read and the register's year (a worker's: its community's; no check reads anything else
    of another row, :func:`~policykg.compliance.checks.row_pattern`). ``rows``: the first row of each
    profile, the one instance checked for all of them; ``of_row``: each row's profile (its position
    in ``rows``)."""

    checks: list[int]
    only: set[str]
    rows: list
    of_row: list[int]


def row_years(com: Register, wor: Register | None, kind: str) -> list:
    """The year each row of register ``kind`` is checked in: a community's own, a worker's community's."""
    if kind == COMMUNITIES:
        return [r.values["year"] for r in com.rows]
    year_of = {tuple(r.values[k] for k in COMMUNITY_KEY): r.values["year"] for r in com.rows}
    community = itemgetter(*(wor.positions[k] for k in COMMUNITY_KEY))
    return [year_of[community(r.values.cells)] for r in wor.rows]


def _key(checks: list[Check], members: list[int], register: Register):
    """A group's column keys (in the register's order) and what gives a row's values of them."""
    keys = sorted({c.key for i in members for c in checks[i].columns}, key=register.positions.__getitem__)
    return keys, itemgetter(*(register.positions[k] for k in keys))


def _count(checks: list[Check], members: list[int], register: Register, years: list, cells: list) -> int:
    """How many profiles the group has over ``cells``."""
    _, values = _key(checks, members, register)
    return len(set(zip(years, map(values, cells))))


def _profiles(checks: list[Check], members: list[int], register: Register, years: list, cells: list) -> Profiles:
    keys, values = _key(checks, members, register)
    index: dict[tuple, int] = {}
    of_row = [index.setdefault(key, len(index)) for key in zip(years, map(values, cells))]
    first: dict[int, int] = {}
    for i, p in enumerate(of_row):
        if p not in first:
            first[p] = i
            if len(first) == len(index):
                break
    only = set(keys) | ({"year"} if register.kind == COMMUNITIES else set())
    return Profiles(sorted(members), only, [register.rows[first[p]] for p in range(len(index))], of_row)


# A group with more profiles than this share of the rows is many-valued: worth trying to merge.
MANY_VALUED = 1 / 16
# Which groups to merge is decided on the first rows only (the outcomes do not depend on it, the time does).
SAMPLE_ROWS = 50_000


def merged_groups(checks: list[Check], register: Register, years: list, cells: list) -> list[list[int]]:
    """:func:`profile_groups`' groups, the many-valued ones merged into the largest, one by one, as long
    as the merged group has fewer profiles than the two apart (counted on the first rows)."""
    groups = profile_groups(checks)
    cells, years = cells[:SAMPLE_ROWS], years[:SAMPLE_ROWS]
    counts = {id(g): _count(checks, g, register, years, cells) for g in groups}
    many = sorted((g for g in groups if counts[id(g)] > MANY_VALUED * len(cells)), key=lambda g: -counts[id(g)])
    if len(many) < 2:
        return groups
    merged = many[0]
    for group in many[1:]:
        both = merged + group
        counts[id(both)] = _count(checks, both, register, years, cells)
        if counts[id(both)] < counts[id(merged)] + counts[id(group)]:
            groups = [g for g in groups if g is not merged and g is not group] + [both]
            merged = both
    return groups


def value_profiles(checks: list[Check], register: Register, years: list) -> list[Profiles]:
    """The profiles of each group of :func:`merged_groups` over the register's rows, in the order of
    their first checks (100,000 communities: 476,449 profiles of areas and funds in five groups, 100,000
    merged; their workers' pay: 535,525 in two groups, 359,043 merged)."""
    cells = [r.values.cells for r in register.rows]
    groups = [_profiles(checks, g, register, years, cells) for g in merged_groups(checks, register, years, cells)]
    return sorted(groups, key=lambda g: g.checks[0])


def check_profiles(checkset: CheckSet, base: str, register: Register, profiles: Profiles, part: slice,
                   iris: dict[tuple, str], years: dict[str, int]) -> tuple[list, list]:
    """The profiles ``part`` of a group checked in a fresh store of their own: one instance each (the
    profile's first row, its IRI and only the values the group's checks read, :func:`turtle_rows`'
    ``only``), the group's checks' own generated query (:func:`compact_query`) on it; per profile its
    outcomes and actual values."""
    checks = [checkset.for_register(register.kind)[i] for i in profiles.checks]
    rows = profiles.rows[part]
    store = ox.Store()
    extra: list[str] = []
    if register.kind == WORKERS:
        named = {iris[tuple(r.values[k] for k in COMMUNITY_KEY)] for r in rows}
        extra = [f"<{iri}> <{REG}year> {years[iri]} ." for iri in named]
    graph = load_register(store, base, register, iris if register.kind == WORKERS else None, rows=rows, extra=extra,
                          only=profiles.only)
    return run_compact(store, graph, checks, register.kind, rows)


def fan_out(n_checks: int, groups: list[Profiles], results: list[tuple[list, list]]) -> tuple[list, list]:
    """Each row's outcomes and actual values (in the register's check order) from its profiles' in every
    group: ``results[g]`` the outcomes and values of group g's profiles (None for a profile the check did
    not return: its rows get None). Equal outcomes are one tuple.

    Column by column with ``map`` (the loop in C): a row's outcomes are its profiles'
    outcomes in group order, then put back in the register's check order when the groups interleave."""
    order = [i for g in groups for i in g.checks]
    missing: set[int] = set()   # rows of a profile without results
    columns = []
    for g, (st, ac) in zip(groups, results):
        if any(s is None for s in st):
            none = {p for p, s in enumerate(st) if s is None}
            missing.update(i for i, p in enumerate(g.of_row) if p in none)
            stand_in = (None,) * len(g.checks)   # the row's place kept, its outcomes replaced below
            st, ac = [stand_in if s is None else s for s in st], [stand_in if s is None else a for s, a in zip(st, ac)]
        columns.append((st, ac, g.of_row))

    if not columns:
        return [], []

    back = None if order == list(range(n_checks)) else itemgetter(*(order.index(i) for i in range(n_checks)))

    def joined(which: int):
        # the groups' tuples added pairwise, lazily: no list between them (25% faster than zip and chain)
        rows = reduce(partial(map, add), (map(c[which].__getitem__, c[2]) for c in columns))
        return rows if back is None else map(back, rows)
    statuses = list(map(_Shared().__getitem__, joined(0)))
    actuals = list(joined(1))
    for i in missing:
        statuses[i] = actuals[i] = None
    return statuses, actuals


# Profiles per store: a worker's instance is smaller than a community's.
CHUNK_ROWS = {COMMUNITIES: 10_000, WORKERS: 25_000}
FORK_ROWS = 5_000   # fewer profiles than this in a chunk: checked in this process
_FORKED: dict = {}   # what forked children read (set before the pool starts: fork copies it, nothing is pickled)


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        return os.cpu_count() or 1


def _slices(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def _check_task(task: tuple[str, int, int, int]) -> tuple[list, list]:
    """A chunk (register, group, first and last profile) checked with what :data:`_FORKED` holds: in a
    forked chunk process, or in this one."""
    kind, group, start, stop = task
    f = _FORKED
    return check_profiles(f["checkset"], f["base"], f["registers"][kind], f["profiles"][kind][group],
                          slice(start, stop), f["iris"], f["years"])


def _plan(checkset: CheckSet, com: Register, wor: Register | None, kind: str, jobs: int) -> tuple[list, list]:
    """The register's value profiles (put where the chunk processes read them) and its chunks as tasks:
    (those for a chunk process, those checked here). A group of few profiles (training days, ages) is
    checked here: a process forked for it would cost more."""
    register = com if kind == COMMUNITIES else wor
    groups = value_profiles(checkset.for_register(kind), register, row_years(com, wor, kind))
    _FORKED["registers"][kind], _FORKED["profiles"][kind] = register, groups
    tasks = [(kind, g, part.start, part.stop) for g, p in enumerate(groups)
             for part in _slices(len(p.rows), CHUNK_ROWS[kind])]
    forked, here = [], []
    for task in tasks:
        (here if task[3] - task[2] < FORK_ROWS or jobs == 1 else forked).append(task)
    return forked, here


def _start(pools: ExitStack, tasks: list, processes: int, fresh: bool = True) -> Callable[[], dict]:
    """The tasks started on ``processes`` forked processes (or, without fork, checked here when asked);
    what gives {task: its outcomes and values} once they are done. ``fresh``: a fresh process per task,
    forked when the one before ends; else the processes forked now check every task."""
    if not tasks:
        return dict
    if processes < 1 or "fork" not in multiprocessing.get_all_start_methods():
        return lambda: {t: _check_task(t) for t in tasks}
    # a fresh process per chunk: a process that has checked several chunks holds the pages of every row
    # it read (reference counts write to them), a fresh fork only its own chunk's
    pool = pools.enter_context(multiprocessing.get_context("fork").Pool(min(processes, len(tasks)),
                                                                        maxtasksperchild=1 if fresh else None))
    running = pool.map_async(_check_task, tasks, chunksize=1)
    # no new tasks: the pool stops forking once these are done. Left open, it would keep a fresh idle
    # process forked from this one until the pool is left, and this process, going on (reading the
    # workers, counting their profiles: writes to every row's reference count), would copy every page
    # they share (measured: PSS 1.7-1.8 GB at 100,000 communities against 1.34 GB)
    pool.close()
    return lambda: dict(zip(tasks, running.get()))


def check_in_chunks(checkset: CheckSet, base: str, com: Register, wor: Register | None,
                    jobs: int = 1, read_workers: Callable[[], Register | None] | None = None,
                    ) -> tuple[list[RowResult], list[RowResult], dict[str, list[Profiled]]]:
    """Both registers checked profile by profile (:func:`value_profiles`), the profiles in chunks of
    fresh stores (on ``jobs`` forked processes), the outcomes fanned out to every row.

    ``read_workers``: reads the workers register (``wor`` then None) while the communities' chunks run.
    Reading is Python on one CPU (~12 s for a million workers), so on two CPUs the communities are
    checked meanwhile on ``jobs - 1`` processes, and the workers' chunks start once they are read. The
    workers are still read whole, here, before any of their rows is checked: a register is refused as
    a whole (nothing of a refused one is kept: the communities' chunk processes are stopped and their
    stores dropped), and duplicates and unknown communities are found across all its rows."""
    iris = community_iris(base, com)
    years = {iris[tuple(r.values[k] for k in COMMUNITY_KEY)]: r.values["year"] for r in com.rows}
    # what the forked chunk processes read (set before each pool starts: fork copies it, nothing is pickled)
    _FORKED.update(checkset=checkset, base=base, registers={}, profiles={}, iris=iris, years=years)
    try:
        with ExitStack() as pools:   # leaving it stops the chunk processes (done, or the workers refused)
            # the rows out of the collector's reach before each fork: a collection in a child would otherwise
            # write to every one of them and so copy every page fork shares
            gc.freeze()
            forked, here = _plan(checkset, com, wor, COMMUNITIES, jobs)
            # the communities' chunks on processes forked now, before the workers are read: a process forked
            # for each chunk while this one reads would share (and this one then copy) the workers' pages
            # read so far, for nothing (a community chunk reads no worker)
            communities = _start(pools, forked, jobs - 1 if read_workers is not None else jobs, fresh=False)
            if read_workers is not None:
                wor = read_workers()
            workers = dict
            if wor is not None:
                wor.digest   # hashed once, before the chunk processes fork (each would hash it again)
                gc.freeze()
                forked, here_too = _plan(checkset, com, wor, WORKERS, jobs)
                here += here_too
                workers = _start(pools, forked, jobs)
            # the small groups here while the chunk processes work
            done = {t: _check_task(t) for t in here}
            done.update(communities())
            done.update(workers())
        profiles = dict(_FORKED["profiles"])
    finally:
        _FORKED.clear()
        gc.unfreeze()
    return _fan_out_all(checkset, base, com, wor, profiles, done, iris)


@contextmanager
def collector_off():
    """The cyclic garbage collector off, then as it was. For the steps that make a million objects none of
    which is in a cycle (a register's rows, the RowResults): each allocation threshold reached would
    otherwise set off a collection, and the full ones walk every object of the process (at 100,000
    communities 2.3 CPU s while reading, 1.1 of 4.7 while fanning out)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@collector_off()
def _fan_out_all(checkset: CheckSet, base: str, com: Register, wor: Register | None, profiles: dict, done: dict,
                 iris: dict) -> tuple[list[RowResult], list[RowResult], dict[str, list[Profiled]]]:
    """Every row's RowResult from the chunks' outcomes and values (``done``: per task), with the collector
    off (:func:`collector_off`); and per register its outcomes by profile, for the report (none for a
    register with a profile the checks did not return: its rows are left out of the report)."""
    registers = {COMMUNITIES: com, WORKERS: wor}
    found: dict[tuple[str, int], tuple[list, list]] = {}
    for (kind, g, _, _), (statuses, actuals) in sorted(done.items(), key=lambda item: item[0]):
        parts = found.setdefault((kind, g), ([], []))
        parts[0].extend(statuses)
        parts[1].extend(actuals)
    out: dict[str, list[RowResult]] = {COMMUNITIES: [], WORKERS: []}
    profiled: dict[str, list[Profiled]] = {}
    for kind, groups in profiles.items():
        results = [found[(kind, g)] for g in range(len(groups))]
        statuses, actuals = fan_out(len(checkset.for_register(kind)), groups, results)
        register = registers[kind]
        out[kind] = row_results(kind, row_prefix(base, register), register.rows, register.positions, statuses, actuals,
                                iris)
        if groups and None not in statuses:
            profiled[kind] = [Profiled(g.checks, st, ac, g.of_row) for g, (st, ac) in zip(groups, results)]
    return out[COMMUNITIES], out[WORKERS], profiled


def _check_sparql(checkset: CheckSet, base: str, communities: tuple[bytes, str], workers: tuple[bytes, str] | None,
                  progress: Progress, jobs: int, timings: Timings, start: float) -> Report:
    """The SPARQL path: the communities read, then checked while the workers are read (:func:`check_in_chunks`).
    Timings: *read* ends when both registers are read, *import+check* is the rest (its CPU seconds include
    the communities' chunk process, reaped only at the end)."""
    with collector_off():
        com = read_register(communities[0], communities[1], COMMUNITIES)
    read: list[tuple[Register | None, float]] = []   # the workers register, when it was read

    def read_workers() -> Register | None:
        with collector_off():
            wor = None if workers is None else read_register(workers[0], workers[1], WORKERS,
                                                             communities=community_keys(com))
        read.append((wor, timings.mark("read", start)))
        progress(f"核对 checking {len(com.rows)} communities" + (f", {len(wor.rows)} workers" if wor else "")
                 + f" ({jobs} process(es)) …")
        return wor
    community_results, worker_results, profiled = check_in_chunks(checkset, base, com, None, jobs,
                                                                  read_workers=read_workers)
    wor, checking = read[0]
    graphs = [register_graph(base, com)] + ([register_graph(base, wor)] if wor else [])
    names = (com.name, wor.name if wor else None)
    del com, wor, read
    timings.mark("import+check", checking)
    community_names = {r.iri: r.ident for r in community_results}
    progress("完成 done")
    return Report(checkset, base, names[0], names[1], graphs, community_results, worker_results,
                  community_names, timings.seconds, profiled)


def check_registers(checkset: CheckSet, base: str, communities: tuple[bytes, str],
                    workers: tuple[bytes, str] | None = None, progress: Progress = _quiet,
                    engine: str = "sparql", jobs: int = 1) -> Report:
    """Read, import and check; ``engine`` "sparql" (pyoxigraph, in chunks on ``jobs`` processes) or
    "shacl" (pySHACL on one store: small registers)."""
    timings = Timings()
    start = time.perf_counter()
    progress("读取登记表 reading registers …")
    if engine == "sparql":
        return _check_sparql(checkset, base, communities, workers, progress, jobs, timings, start)
    com, wor = read_registers(communities, workers)
    start = timings.mark("read", start)
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

