"""The gzip report rendered in parts on forked processes (one gzip member each) is the one-process
report's bytes once decompressed, whole or not at all; the fan-out and RowResults built column by
column give what a row at a time gave."""
from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import zlib
from decimal import Decimal

import pytest

from policykg.compliance import files
from policykg.compliance import report as report_module
from policykg.compliance.columns import COMMUNITIES, WORKERS
from policykg.compliance.generator import CASES, generate
from policykg.compliance.run import check_registers

BASE = "https://w3id.org/policykg/"


@pytest.fixture(scope="module")
def report(checkset):
    registers = generate(len(CASES) + 40, seed=31)
    return check_registers(checkset, BASE, (registers.communities_csv(), "communities.csv"),
                           (registers.workers_csv(), "workers.csv"))


def _members(data: bytes) -> list[bytes]:
    """The decompressed bytes of each gzip member of ``data``."""
    out = []
    while data:
        unpack = zlib.decompressobj(31)
        out.append(unpack.decompress(data) + unpack.flush())
        assert unpack.eof, "a member cut short"
        data = unpack.unused_data
    return out


@pytest.mark.parametrize("n", [1, 2, 3, 7, 500])
def test_the_parts_one_after_the_other_are_the_report(report, n):
    """Whatever the number of parts (more than the rows too), each row's lines in one part, in order."""
    parts = [b"".join(make()) for make in report.csv_parts(n)]
    assert len(parts) == n
    assert b"".join(parts) == report.as_csv()
    assert all(p.endswith(b"\r\n") for p in parts if p)
    if n <= 3:   # about equal costs (a row's lines are never split: a community's cost at most apart)
        cost = report_module.LINE_COST
        costs = [sum(cost[r] * (stop - start) * len(report.checks(r)) for r, start, stop in ranges)
                 for ranges in report._line_ranges(n)]
        assert max(costs) - min(costs) <= 2 * cost[COMMUNITIES] * len(report.checks(COMMUNITIES))
        assert sum(costs) == sum(cost[r] * len(report.checks(r)) * len(rows)
                                 for r, rows in ((COMMUNITIES, report.communities), (WORKERS, report.workers)))


@pytest.mark.parametrize("jobs", [2, 3])
def test_the_gzip_report_in_parts_is_the_one_process_report(report, tmp_path, monkeypatch, jobs):
    """One gzip member per part, rendered by forked processes: gzip -t passes, and Python's gzip, zcat
    and the members one after the other all give the one-process report's bytes; no file is left
    beside it; the same bytes each time."""
    monkeypatch.setattr(report_module, "PARALLEL_LINES", 0)
    real = files._save_member
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setattr(files, "_save_member", lambda *a: ((marks / str(os.getpid())).touch(), real(*a)))
    target = tmp_path / "out" / "report.csv.gz"
    report.save_csv(target, jobs=jobs)
    expected = report.as_csv()
    data = target.read_bytes()
    members = _members(data)
    assert len(members) == jobs and all(members)   # really in parts
    assert b"".join(members) == expected
    assert gzip.decompress(data) == expected
    with gzip.open(target, "rb") as f:   # read as a stream, as readers of .csv.gz files do
        assert f.read() == expected
    if shutil.which("gzip"):
        assert subprocess.run(["gzip", "-t", str(target)]).returncode == 0
        assert subprocess.run(["gzip", "-dc", str(target)], capture_output=True, check=True).stdout == expected
    assert [p.name for p in target.parent.iterdir()] == ["report.csv.gz"]
    pids = {int(p.name) for p in marks.iterdir()}
    assert len(pids) == jobs - 1 and os.getpid() not in pids   # every part but the first in a process of its own
    again = tmp_path / "again.csv.gz"
    report.save_csv(again, jobs=jobs)
    assert again.read_bytes() == data


def test_jobs_1_and_small_reports_stay_one_member(report, tmp_path, monkeypatch):
    report.save_csv(tmp_path / "a.csv.gz", jobs=2)   # fewer lines than PARALLEL_LINES
    monkeypatch.setattr(report_module, "PARALLEL_LINES", 0)
    report.save_csv(tmp_path / "b.csv.gz", jobs=1)
    report.save_csv(tmp_path / "c.csv", jobs=2)      # plain: one process
    for name in ("a.csv.gz", "b.csv.gz"):
        assert _members((tmp_path / name).read_bytes()) == [report.as_csv()]
    assert (tmp_path / "c.csv").read_bytes() == report.as_csv()


def _blocks(tag: bytes, n: int = 30):
    return lambda: (tag * 1000 for _ in range(n))


def _failing(exc):
    def make():
        yield b"x" * 1000
        raise exc
    return make


def _dying():
    yield b"x" * 1000
    os._exit(3)


@pytest.mark.parametrize("where", ["child", "second child", "child dies", "parent"])
def test_a_failing_part_is_raised_and_leaves_nothing(tmp_path, where):
    """The error of a part's process reaches the caller (or, if it dies without one, how it ended), the
    other processes are stopped, the previous file stays and no temporary file is left."""
    target = tmp_path / "r.csv.gz"
    target.write_bytes(b"previous")
    parts = [_blocks(b"a"), _blocks(b"b"), _blocks(b"c")]
    if where == "child":
        parts[1], error = _failing(ValueError("a renderer's bug in part 1")), (ValueError, "part 1")
    elif where == "second child":
        parts[2], error = _failing(KeyError("part 2")), (KeyError, "part 2")
    elif where == "child dies":
        parts[1], error = _dying, (RuntimeError, "part 1 .* code 3")
    else:
        parts[0], error = _failing(ValueError("the parent's part")), (ValueError, "parent")
    with pytest.raises(error[0], match=error[1]):
        files.save_gzip_parts(target, parts)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv.gz"]
    import multiprocessing
    assert not multiprocessing.active_children()
    import gc
    assert gc.get_freeze_count() == 0


def test_save_gzip_parts_concatenates_in_order(tmp_path):
    files.save_gzip_parts(tmp_path / "r.gz", [_blocks(b"a", 3), _blocks(b"b", 0), _blocks(b"c", 2)])
    assert _members((tmp_path / "r.gz").read_bytes()) == [b"a" * 3000, b"", b"c" * 2000]


def test_fan_out_gives_rows_of_a_missing_profile_none_and_puts_interleaved_checks_back():
    """Two groups whose checks interleave (0, 2 | 1); a profile the check did not return gives its rows
    None, and row_results leaves those rows out."""
    from types import SimpleNamespace

    from policykg.compliance.run import Profiles, fan_out, row_results

    a = Profiles([0, 2], set(), [None, None], [0, 1, 0, 1])
    b = Profiles([1], set(), [None, None, None], [2, 0, 1, 0])
    results = [([("met", "not_met"), ("unknown", "met")], [((Decimal(1),), (True,)), ((None,), (False,))]),
               ([("met",), None, ("not_applicable",)], [((Decimal(5),),), None, ((Decimal(7),),)])]
    statuses, actuals = fan_out(3, [a, b], results)
    assert statuses == [("met", "not_applicable", "not_met"), ("unknown", "met", "met"), None,
                        ("unknown", "met", "met")]
    assert actuals == [((Decimal(1),), (Decimal(7),), (True,)), ((None,), (Decimal(5),), (False,)), None,
                       ((None,), (Decimal(5),), (False,))]
    assert statuses[1] is statuses[3]   # equal outcomes: one tuple
    positions = {"district": 0, "subdistrict": 1, "community": 2, "name": 3, "post": 4}
    rows = [SimpleNamespace(number=n, values=SimpleNamespace(cells=("区", "街", f"社{n % 2}", f"人{n}", "CommunityWorker")))
            for n in (2, 3, 4, 5)]
    iris = {("区", "街", "社0"): "c0", ("区", "街", "社1"): "c1"}
    out = row_results(WORKERS, "w/", rows, positions, statuses, actuals, iris)
    assert [(r.iri, r.number, r.ident, r.community) for r in out] == [
        ("w/2", 2, ("人2", "CommunityWorker"), "c0"), ("w/3", 3, ("人3", "CommunityWorker"), "c1"),
        ("w/5", 5, ("人5", "CommunityWorker"), "c1")]
    assert [r.statuses for r in out] == [statuses[0], statuses[1], statuses[3]]
