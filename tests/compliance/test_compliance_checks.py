"""The generated checks find exactly the injected cases at several sizes, both paths (SPARQL on
pyoxigraph, SHACL on pySHACL) agree, and the instance and result graphs are what they claim."""
from __future__ import annotations

import os

import pyoxigraph as ox
import pytest
from rdflib import Graph

from policykg.compliance.columns import COMMUNITIES, WORKERS
from policykg.compliance.generator import CASES, generate
from policykg.compliance.run import check_registers, import_registers, read_registers

BASE = "https://w3id.org/policykg/"


def _check(checkset, registers, engine="sparql"):
    return check_registers(checkset, BASE, (registers.communities_csv(), "communities.csv"),
                           (registers.workers_csv(), "workers.csv"), engine=engine)


def _expected_findings(registers):
    return {(e["register"], e["row"], e["norm"], e["status"]) for e in registers.expected
            if e["status"] in ("not_met", "unknown")}


@pytest.mark.parametrize("size,seed", [(len(CASES), 1), (150, 2), (600, 3)])
def test_the_report_finds_exactly_the_injected_cases(checkset, size, seed):
    registers = generate(size, seed=seed)
    report = _check(checkset, registers)
    assert {e["case"] for e in registers.expected} == {c.name for c in CASES}
    assert report.findings() == _expected_findings(registers)
    # and every edge case (met / not applicable at the threshold) has its expected outcome
    for e in registers.expected:
        assert report.status_of(e["register"], e["row"], e["norm"]) == e["status"], e["case"]


def test_fewer_communities_than_cases_still_exact(checkset):
    registers = generate(9, seed=4)
    assert _check(checkset, registers).findings() == _expected_findings(registers)


def _statuses(report):
    return {(reg, row.number, c.id): s for reg in (COMMUNITIES, WORKERS) for row, c, s, _ in report.outcomes(reg)}


@pytest.mark.parametrize("size,seed", [(6, 11)])
def test_shacl_and_sparql_give_identical_outcomes(checkset, size, seed):
    registers = generate(size, seed=seed)
    sparql, shacl = _check(checkset, registers), _check(checkset, registers, engine="shacl")
    assert _statuses(shacl) == _statuses(sparql)
    assert shacl.findings() == _expected_findings(registers)


@pytest.mark.slow
def test_shacl_and_sparql_agree_on_every_case(checkset):
    registers = generate(len(CASES), seed=12)
    sparql, shacl = _check(checkset, registers), _check(checkset, registers, engine="shacl")
    assert _statuses(shacl) == _statuses(sparql)


def test_rows_are_typed_instances_in_a_graph_of_their_own(checkset):
    registers = generate(4, seed=6)
    com, wor = read_registers((registers.communities_csv(), "c.csv"), (registers.workers_csv(), "w.csv"))
    store, graphs = import_registers(BASE, com, wor)
    assert len(graphs) == 2 and all(g.startswith(BASE + "graph/register/") for g in graphs)
    assert {g.value for g in store.named_graphs()} == set(graphs)
    q = """PREFIX pkg: <https://w3id.org/policykg/def/> PREFIX org: <http://www.w3.org/ns/org#>
           PREFIX prov: <http://www.w3.org/ns/prov#>
           SELECT ?g ?row ?from WHERE { GRAPH ?g { ?row a pkg:CommunityPartySecretary ; org:postIn ?c ;
                                                   prov:wasDerivedFrom ?from } }"""
    rows = list(store.query(q))
    assert len(rows) == 4
    assert all(r["g"].value == graphs[1] and r["from"].value.endswith(f"#row={r['row'].value.rsplit('/', 1)[1]}")
               for r in rows)


def test_results_as_a_shacl_validation_report(checkset):
    registers = generate(len(CASES), seed=8)
    report = _check(checkset, registers)
    g = Graph().parse(data=report.validation_graph_text(), format="nt")
    q = """PREFIX sh: <http://www.w3.org/ns/shacl#> PREFIX prov: <http://www.w3.org/ns/prov#>
           SELECT ?severity (COUNT(?r) AS ?n) WHERE { ?report a sh:ValidationReport ; sh:conforms false ; sh:result ?r .
             ?r sh:focusNode ?row ; sh:resultSeverity ?severity ; prov:wasDerivedFrom ?norm ; sh:sourceShape ?shape }
           GROUP BY ?severity"""
    counts = {str(s).rsplit("#", 1)[1]: int(n) for s, n in g.query(q)}
    assert sum(counts.values()) == len(report.findings())
    assert counts["Violation"] and counts["Warning"] and counts["Info"]


def test_a_missing_value_is_never_met(checkset):
    registers = generate(len(CASES), seed=9)
    for row in registers.communities:
        row["activity_funds"] = ""
    report = _check(checkset, registers)
    funds = [c.id for c in report.checks(COMMUNITIES) if "activity_funds" in [x.key for x in c.columns]]
    assert funds
    for row, check, status, _ in report.outcomes(COMMUNITIES):
        if check.id in funds:
            assert status in ("unknown", "not_applicable")


def test_the_report_cites_clause_and_quote(checkset):
    registers = generate(len(CASES), seed=10)
    report = _check(checkset, registers)
    data = report.as_json()
    norms = {n["norm"]: n for n in data["norms"]}
    assert norms["a19-activity-funds-minimum-15000"]["quote"] == "少于100名党员的社区按不低于1.5万元划拨"
    assert norms["a19-activity-funds-minimum-15000"]["article"] == "第19条"
    finding = next(r for row in data["communities"] for r in row["results"]
                   if r["status"] == "not_met" and norms[r["norm"]]["severity"] != "eligibility")
    assert finding["required"] and finding["actual"] and finding["status_zh"] == "未达标"
    permission = next(r for row in data["communities"] for r in row["results"]
                      if r["status"] == "not_met" and norms[r["norm"]]["severity"] == "eligibility")
    assert permission["status_zh"] == "不符合条件" and permission["actual"].startswith("不符合条件,却已设立")
    summary = data["summary"]
    assert {d["district"] for d in summary["districts"]} == {r["district"] for r in registers.communities}
    assert sum(x["not_met"] for x in summary["subdistricts"]) == sum(1 for f in report.findings() if f[3] == "not_met")
    assert ox  # pyoxigraph is the engine of the SPARQL path


def test_the_docs_query_finds_results_beside_the_policy(checkset, built_dataset):
    """docs/compliance.md's query over the policy plus a report's SHACL results: the rows short of article 19."""
    from pathlib import Path

    from policykg.ontology.namespaces import sparql_prologue
    text = (Path(__file__).resolve().parents[2] / "docs" / "compliance.md").read_text("utf-8")
    query = text.split("```sparql\n", 1)[1].split("```", 1)[0]
    registers = generate(len(CASES), seed=13)
    report = _check(checkset, registers)
    store = ox.Store()
    store.load(path=str(built_dataset), format=ox.RdfFormat.TRIG)
    store.load(report.validation_graph_text().encode(), format=ox.RdfFormat.N_TRIPLES,
               to_graph=ox.NamedNode(report.graphs[0] + "/report"))
    rows = list(store.query(sparql_prologue() + query, use_default_graph_as_union=True))
    expected = {f[1] for f in report.findings() if f[0] == COMMUNITIES and f[2].startswith("a19-")}
    assert expected and {int(r["row"].value.rsplit("/", 1)[1]) for r in rows} == expected


def test_xlsx_report_continues_on_a_new_sheet_past_excels_row_limit(checkset, monkeypatch):
    import io

    from openpyxl import load_workbook

    from policykg.compliance import report as report_module
    registers = generate(3, seed=14)
    report = _check(checkset, registers)
    monkeypatch.setattr(report_module, "EXCEL_MAX_ROWS", 11)       # 10 data rows a sheet
    wb = load_workbook(io.BytesIO(report.as_xlsx()), read_only=True)
    parts = [n for n in wb.sheetnames if n.startswith("社区 communities")]
    lines = sum(1 for name in parts for _ in wb[name].iter_rows(min_row=2))
    assert len(parts) == -(-lines // 10) > 1
    assert lines == len(report.communities) * len(report.checks(COMMUNITIES))


BRANCH, COMMITTEE = "a03-general-branch-over-50-members", "a03-party-committee-over-100-members"


def test_the_organization_form_feeds_the_permissions_it_is_set_up_under(checkset):
    """可以成立社区党总支/党委: the form a community has set up is checked against the member count the
    permission asks for (not met, severity eligibility); the column feeds exactly those two norms."""
    by_id = {c.id: c for c in checkset.checks}
    assert {c.id for c in checkset.checks if "organization_form" in [x.key for x in c.columns]} == {BRANCH, COMMITTEE}
    assert by_id[BRANCH].form[1] == "CommunityGeneralPartyBranch" and by_id[COMMITTEE].form[1] == "CommunityPartyCommittee"
    assert by_id[BRANCH].severity == by_id[COMMITTEE].severity == "eligibility"
    registers = generate(12, seed=5)
    # (formal members, form) → (党总支 outcome, 党委 outcome)
    table = [((50, "社区党总支"), ("not_met", "not_applicable")), ((51, "社区党总支"), ("met", "not_applicable")),
             ((100, "社区党委"), ("met", "not_met")), ((101, "社区党委"), ("met", "met")),
             ((30, "社区党委"), ("not_applicable", "not_met")), ((120, "社区党支部"), ("met", "met")),
             ((40, "社区党支部"), ("not_applicable", "not_applicable")), ((40, ""), ("not_applicable", "not_applicable")),
             (("", "社区党总支"), ("unknown", "unknown"))]
    for row, ((formal, form), _) in zip(registers.communities, table):
        row.update(formal_party_members=formal, organization_form=form, party_members=200, activity_funds=30000)
    report = _check(checkset, registers)
    for number, (_, (branch, committee)) in enumerate(table, start=2):
        assert (report.status_of(COMMUNITIES, number, BRANCH), report.status_of(COMMUNITIES, number, COMMITTEE)) == \
            (branch, committee), table[number - 2]
    words = {line[1]: line for line in report.flat_rows(COMMUNITIES) if line[7] == by_id[BRANCH].norm.label_zh}
    assert words[2][9] == "不符合条件" and "社区党总支" in words[2][12] and "50" in words[2][12]
    assert words[3][9] == "符合条件"
    shacl = _check(checkset, registers, engine="shacl")
    assert _statuses(shacl) == _statuses(report)


@pytest.mark.parametrize("jobs", [1, 2])
def test_chunks_in_fresh_stores_give_the_outcomes_of_one_store(checkset, monkeypatch, jobs):
    """Checked in many small chunks (on two processes), every row has the outcome it has in one chunk."""
    from policykg.compliance import run

    registers = generate(len(CASES) + 20, seed=13)
    whole = _check(checkset, registers)
    monkeypatch.setattr(run, "CHUNK_ROWS", {COMMUNITIES: 7, WORKERS: 61})
    monkeypatch.setattr(run, "FORK_ROWS", 0)   # every chunk on a forked process when jobs > 1
    chunked = check_registers(checkset, BASE, (registers.communities_csv(), "communities.csv"),
                              (registers.workers_csv(), "workers.csv"), jobs=jobs)
    assert len(chunked.workers) > 5 * 61   # several chunks of each register
    assert _statuses(chunked) == _statuses(whole)
    assert [r.actuals for r in chunked.workers] == [r.actuals for r in whole.workers]
    assert chunked.findings() == _expected_findings(registers)
    assert chunked.as_csv() == whole.as_csv()


def test_the_csv_report_is_what_csv_writer_writes_of_the_lines(checkset):
    import csv
    import io

    registers = generate(len(CASES), seed=16)
    first = registers.communities[0]["community"]
    for row in registers.communities + registers.workers:   # a quote and a comma: quoted as csv.writer does
        if row["community"] == first:
            row["community"] = '和"安",社区'
    report = _check(checkset, registers)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(report.HEADERS)
    for reg in (COMMUNITIES, WORKERS):
        writer.writerows(report.flat_rows(reg))
    assert report.as_csv().decode("utf-8") == "\ufeff" + out.getvalue()
    assert '"和""安"",社区"' in out.getvalue()
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(lines) - 1 == report.lines()


def test_a_large_xlsx_report_lists_the_findings_only(checkset, monkeypatch):
    """Past XLSX_FULL_LINES lines the sheets of rows hold exactly the findings (the CSV keeps every line)."""
    import io

    from openpyxl import load_workbook

    from policykg.compliance import report as report_module
    registers = generate(len(CASES), seed=15)
    report = _check(checkset, registers)
    monkeypatch.setattr(report_module, "XLSX_FULL_LINES", 10)
    wb = load_workbook(io.BytesIO(report.as_xlsx()), read_only=True)
    found = set()
    for sheet, register in (("社区 communities", COMMUNITIES), ("社区工作者 workers", WORKERS)):
        rows = list(wb[sheet].iter_rows(values_only=True))
        assert "CSV" in rows[0][0] and rows[1][0] == report_module.Report.HEADERS[0]
        found |= {(register, row[1], row[7], row[9]) for row in rows[2:]}
    labels = {c.id: c.norm.label_zh for c in checkset.checks}
    words = {"not_met": {"未达标", "不符合条件"}, "unknown": {"数据缺失"}}
    assert len(found) == len(report.findings())
    for register, number, norm, status in report.findings():
        assert any(f[:3] == (register, number, labels[norm]) and f[3] in words[status] for f in found)
    csv_lines = report.as_csv().decode("utf-8-sig").count("\r\n") - 1
    assert csv_lines == report.lines() > len(found)


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_fast_path_gives_what_the_full_instance_graph_gives(checkset, monkeypatch, jobs):
    """The chunks' stores hold only what the checks read and their SELECT returns one string a row; every
    row's result (IRI, names, outcomes, actual values and their types, community) is the one the full
    SELECT gives on the whole instance graph (every column, provenance, names), which the pySHACL path
    uses."""
    from policykg.compliance import run

    registers = generate(len(CASES) + 20, seed=17)
    com, wor = read_registers((registers.communities_csv(), "communities.csv"), (registers.workers_csv(), "workers.csv"))
    store, graphs = import_registers(BASE, com, wor)
    full = {reg: run.run_sparql(store, graphs, checkset, reg) for reg in (COMMUNITIES, WORKERS)}
    monkeypatch.setattr(run, "CHUNK_ROWS", {COMMUNITIES: 9, WORKERS: 53})
    monkeypatch.setattr(run, "FORK_ROWS", 0)
    fast = dict(zip((COMMUNITIES, WORKERS), run.check_in_chunks(checkset, BASE, com, wor, jobs)))
    for reg in (COMMUNITIES, WORKERS):
        assert len(fast[reg]) == len(full[reg]) == len((com if reg == COMMUNITIES else wor).rows)
        assert [repr(r) for r in fast[reg]] == [repr(r) for r in full[reg]]
    assert any(isinstance(a, bool) for r in fast[WORKERS] for per in r.actuals for a in per)   # yes/no values stay bools
    assert {a for r in fast[COMMUNITIES] for per in r.actuals for a in per if isinstance(a, str)}   # and choices names



def _one_instance_per_row(checkset, registers):
    """The reference: every row an instance of the full instance graph, the registers' full SELECT on it."""
    from policykg.compliance import run

    com, wor = read_registers((registers.communities_csv(), "communities.csv"), (registers.workers_csv(), "workers.csv"))
    store, graphs = import_registers(BASE, com, wor)
    return com, wor, {reg: [repr(r) for r in run.run_sparql(store, graphs, checkset, reg)] for reg in (COMMUNITIES, WORKERS)}


@pytest.mark.parametrize("many_valued,groups", [(None, None), (0.0, None), (1.0, None), (1.0, "interleaved")])
def test_value_profiles_fanned_out_give_the_one_instance_per_row_results(checkset, monkeypatch, many_valued, groups):
    """Each distinct profile (the values a group of checks reads, and the year) is checked once and its
    outcomes fanned out to every row of it: every row's result, injected cases and edge cases included,
    is the one of one instance per row; with groups merged whenever possible (0), never (1), and with
    groups whose checks interleave (their outcomes put back in the register's check order)."""
    from policykg.compliance import run

    registers = generate(len(CASES) + 150, seed=21)
    com, wor, full = _one_instance_per_row(checkset, registers)
    if many_valued is not None:
        monkeypatch.setattr(run, "MANY_VALUED", many_valued)
    if groups == "interleaved":
        monkeypatch.setattr(run, "profile_groups", lambda checks: [list(range(len(checks)))[k::2] for k in (0, 1)])
    loaded = []
    real = run.check_profiles
    monkeypatch.setattr(run, "check_profiles", lambda *a: (loaded.append(len(a[3].rows[a[4]])), real(*a))[1])
    monkeypatch.setattr(run, "CHUNK_ROWS", {COMMUNITIES: 40, WORKERS: 150})
    fast = dict(zip((COMMUNITIES, WORKERS), run.check_in_chunks(checkset, BASE, com, wor, 1)))
    for reg in (COMMUNITIES, WORKERS):
        assert [repr(r) for r in fast[reg]] == full[reg]
    groups_of = {reg: run.value_profiles(checkset.for_register(reg), r, run.row_years(com, wor, reg))
                 for reg, r in ((COMMUNITIES, com), (WORKERS, wor))}
    assert sum(loaded) == sum(len(g.rows) for gs in groups_of.values() for g in gs)
    if groups is None and many_valued is None:   # the few-valued groups (training, ages, meetings) are far fewer than the rows
        assert min(len(g.rows) for g in groups_of[WORKERS]) * 10 < len(wor.rows)
    report = check_registers(checkset, BASE, (registers.communities_csv(), "communities.csv"),
                             (registers.workers_csv(), "workers.csv"))
    assert report.findings() == _expected_findings(registers)


def test_profile_groups_share_a_group_when_one_reads_the_others_columns(checkset):
    from policykg.compliance.run import profile_groups

    for reg in (COMMUNITIES, WORKERS):
        checks = checkset.for_register(reg)
        groups = profile_groups(checks)
        assert sorted(i for g in groups for i in g) == list(range(len(checks)))
        for g in groups:
            columns = [{c.key for c in checks[i].columns} for i in g]
            union = set().union(*columns)
            assert any(c == union for c in columns) or len(g) == 1 or all(
                any(a <= b or b <= a for b in columns if b is not a) for a in columns)


@pytest.mark.parametrize("name", ["report.csv", "report.csv.gz"])
def test_the_saved_csv_report_is_the_csv_bytes_under_its_name_only_when_done(checkset, tmp_path, monkeypatch, name):
    """Plain or gzip-compressed (.csv.gz: the same bytes once decompressed); a failure of the renderer
    half-way leaves the previous report and no temporary file."""
    import gzip

    from policykg.compliance import report as report_module

    registers = generate(len(CASES), seed=18)
    report = _check(checkset, registers)
    target = tmp_path / "out" / name
    report.save_csv(target)
    expected = report.as_csv()
    saved = target.read_bytes()
    if name.endswith(".gz"):
        assert saved[:2] == b"\x1f\x8b" and len(saved) < len(expected) / 5   # gzip, and it does compress
        saved = gzip.decompress(saved)
    assert saved == expected
    assert expected.startswith("\ufeff".encode()) and expected.count(b"\r\n") == report.lines() + 1
    assert [p.name for p in target.parent.iterdir()] == [name]
    before = target.read_bytes()

    def broken(self):   # the renderer fails after some blocks: the previous report stays, no temporary file
        yield from (b"half" * 1000 for _ in range(50))
        raise ValueError("a renderer's bug")
    monkeypatch.setattr(report_module.Report, "csv_chunks", broken)
    with pytest.raises(ValueError, match="renderer"):
        report.save_csv(target)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == [name]


@pytest.mark.parametrize("compress", [False, True])
def test_a_write_failing_midway_is_raised_and_leaves_nothing(tmp_path, monkeypatch, compress):
    """The writer thread's error (a full disk) reaches the caller, which stops rendering (it is not left
    waiting on the full queue: more blocks than the queue holds), and nothing is left under the name."""
    from policykg.compliance import files

    written = []

    class Full:
        def __init__(self, *args):
            pass

        def compress(self, block):
            return self.write(block)

        def write(self, block):
            if len(written) == 3:
                raise OSError(28, "No space left on device")
            written.append(block)
            return block

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False
    monkeypatch.setattr(files, "_gzip_stream", Full)
    monkeypatch.setattr(files, "open", lambda *a, **k: Full(), raising=False)
    rendered = []

    def blocks():
        for i in range(files.QUEUE_BLOCKS * 20):
            rendered.append(i)
            yield b"x" * 100
    target = tmp_path / ("r.csv.gz" if compress else "r.csv")
    with pytest.raises(OSError, match="No space"):
        files.save_blocks(target, blocks())
    assert list(tmp_path.iterdir()) == []
    assert len(rendered) < files.QUEUE_BLOCKS * 20   # rendering stopped early


def test_the_gzip_report_is_the_same_bytes_each_time(tmp_path):
    """No time or temporary name in the gzip header: the same blocks give the same file."""
    import gzip

    from policykg.compliance.files import save_blocks

    blocks = [b"\xef\xbb\xbf" + "社区,达标\r\n".encode() * 1000, b"a,b\r\n" * 10]
    save_blocks(tmp_path / "a.csv.gz", iter(blocks))
    save_blocks(tmp_path / "b.csv.gz", iter(blocks))
    assert (tmp_path / "a.csv.gz").read_bytes() == (tmp_path / "b.csv.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.csv.gz").read_bytes()) == b"".join(blocks)


def test_saving_hands_the_gil_over_often_and_puts_the_interval_back(tmp_path):
    """While a gzip save renders, the switch interval is at most files.SWITCH_INTERVAL (the writer thread,
    waiting for the GIL after each block it compresses, waits less), not while a plain one does; afterwards
    it is what it was, after a failed save too, and after saves that overlap (the last one puts it back,
    not the first)."""
    import sys
    import threading

    from policykg.compliance import files

    before = sys.getswitchinterval()
    seen: list[float] = []
    outer_may_end = threading.Event()

    def blocks(wait=None, fail=False):
        seen.append(sys.getswitchinterval())
        yield b"a,b\r\n"
        if wait is not None:
            wait.wait(10)
        if fail:
            raise ValueError("broken row")
    outer = threading.Thread(target=files.save_blocks, args=(tmp_path / "outer.csv.gz", blocks(outer_may_end)))
    outer.start()
    for _ in range(200):   # 10 s at most
        if seen:
            break
        threading.Event().wait(0.05)
    files.save_blocks(tmp_path / "inner.csv", blocks())
    assert sys.getswitchinterval() == files.SWITCH_INTERVAL   # the outer save still runs
    outer_may_end.set()
    outer.join(10)
    assert seen == [files.SWITCH_INTERVAL] * 2 and sys.getswitchinterval() == before
    with pytest.raises(ValueError, match="broken row"):
        files.save_blocks(tmp_path / "failed.csv.gz", blocks(fail=True))
    assert sys.getswitchinterval() == before and not (tmp_path / "failed.csv.gz").exists()
    files.save_blocks(tmp_path / "plain.csv", blocks())
    assert seen[-1] == before == sys.getswitchinterval()


def _chunks_noted(checkset, monkeypatch, tmp_path, seed: int, community_rows: int):
    """Generated registers, their check by one process, their communities read; every chunk then
    forked (chunks of ``community_rows`` communities), each leaving a file "<register>-<pid>" in
    ``tmp_path`` when it checks."""
    from policykg.compliance import run
    from policykg.compliance.registers import read_register

    registers = generate(len(CASES) + 20, seed=seed)
    whole = _check(checkset, registers)
    monkeypatch.setattr(run, "CHUNK_ROWS", {COMMUNITIES: community_rows, WORKERS: 61})
    monkeypatch.setattr(run, "FORK_ROWS", 0)
    real = run.check_profiles

    def noted(checkset, base, register, *rest):   # in a chunk process: leaves a file per register checked
        (tmp_path / f"{register.kind}-{os.getpid()}").touch()
        return real(checkset, base, register, *rest)
    monkeypatch.setattr(run, "check_profiles", noted)
    return registers, whole, read_register(registers.communities_csv(), "communities.csv", COMMUNITIES)


def test_the_communities_are_checked_while_the_workers_are_read(checkset, monkeypatch, tmp_path):
    """On two processes the communities' chunks run while the workers register is read (the reading
    waits here until a chunk process has checked a community chunk), and the results are those of
    one process checking after reading."""
    import gc
    import time

    from policykg.compliance import run
    from policykg.compliance.registers import community_keys, read_register

    registers, whole, com = _chunks_noted(checkset, monkeypatch, tmp_path, seed=22, community_rows=7)
    seen = []

    def read_workers():
        for _ in range(600):   # 30 s at most
            if any(tmp_path.glob("communities-*")):
                break
            time.sleep(0.05)
        seen.extend(p.name.split("-")[0] for p in tmp_path.iterdir())
        return read_register(registers.workers_csv(), "workers.csv", WORKERS, communities=community_keys(com))
    overlapped = run.check_in_chunks(checkset, BASE, com, None, 2, read_workers=read_workers)
    assert set(seen) == {COMMUNITIES}   # communities checked before the workers were read, no worker yet
    assert {p.name.split("-")[0] for p in tmp_path.iterdir()} == {COMMUNITIES, WORKERS}
    assert [repr(r) for r in overlapped[0]] == [repr(r) for r in whole.communities]
    assert [repr(r) for r in overlapped[1]] == [repr(r) for r in whole.workers]
    assert gc.get_freeze_count() == 0 and not run._FORKED


def test_the_communities_chunks_run_on_processes_forked_before_the_workers_are_read(checkset, monkeypatch, tmp_path):
    """Every community chunk is checked by a process that existed when the reading of the workers began
    (forked for them while this process read, it would share the workers' pages read so far, which this
    process then copies as it goes on): the same results as one process."""
    import multiprocessing

    from policykg.compliance import run
    from policykg.compliance.registers import community_keys, read_register

    registers, whole, com = _chunks_noted(checkset, monkeypatch, tmp_path, seed=24, community_rows=5)
    before: set[int] = set()

    def read_workers():
        before.update(p.pid for p in multiprocessing.active_children())
        return read_register(registers.workers_csv(), "workers.csv", WORKERS, communities=community_keys(com))
    overlapped = run.check_in_chunks(checkset, BASE, com, None, 2, read_workers=read_workers)
    checked_by = {int(p.name.split("-")[1]) for p in tmp_path.glob("communities-*")}
    assert len(com.rows) > 3 * 5 and checked_by and checked_by <= before
    assert [repr(r) for r in overlapped[0]] == [repr(r) for r in whole.communities]
    assert [repr(r) for r in overlapped[1]] == [repr(r) for r in whole.workers]


@pytest.mark.parametrize("problem", ["duplicate", "unknown community"])
def test_a_refused_workers_register_stops_the_communities_chunks(checkset, monkeypatch, problem):
    """A workers register refused while the communities' chunks run: the error is the register's, every
    chunk process is stopped, nothing is kept (the next check starts clean)."""
    import gc
    import multiprocessing

    from policykg.compliance import run
    from policykg.compliance.registers import RegisterError

    registers = generate(len(CASES) + 20, seed=23)
    if problem == "duplicate":
        registers.workers.append(dict(registers.workers[-1]))
        reason = "duplicate of row"
    else:
        registers.workers[-1]["community"] = "不存在社区"
        reason = "community not in the communities register"
    monkeypatch.setattr(run, "CHUNK_ROWS", {COMMUNITIES: 7, WORKERS: 61})
    monkeypatch.setattr(run, "FORK_ROWS", 0)
    with pytest.raises(RegisterError) as refused:
        check_registers(checkset, BASE, (registers.communities_csv(), "communities.csv"),
                        (registers.workers_csv(), "workers.csv"), jobs=2)
    assert any(reason in e.reason and e.row == len(registers.workers) + 1 for e in refused.value.errors)
    assert multiprocessing.active_children() == []
    assert gc.get_freeze_count() == 0 and not run._FORKED
