"""The benchmark's own arithmetic: how it compares answers and measures memory."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from bench import measure, run
from bench.peers import NTRIPLES, RESULTS_JSON


def _select(rows: list[dict]) -> bytes:
    return json.dumps({"head": {"vars": ["c", "s"]}, "results": {"bindings": rows}}).encode()


def _row(c: dict, s: dict) -> dict:
    return {"c": c, "s": s}


IRI = {"type": "uri", "value": "https://w3id.org/policykg/def/A"}


def test_blank_node_labels_do_not_matter_but_their_rows_count():
    ours = _select([_row(IRI, {"type": "bnode", "value": "c14n0"}), _row(IRI, {"type": "bnode", "value": "c14n1"})])
    theirs = _select([_row(IRI, {"type": "bnode", "value": "x9"}), _row(IRI, {"type": "bnode", "value": "x7"})])
    one_row = _select([_row(IRI, {"type": "bnode", "value": "x9"})])
    a, b, c = (measure.normalise(body, RESULTS_JSON) for body in (ours, theirs, one_row))
    assert measure.same(a, b)
    assert not measure.same(a, c)          # two rows are not one, though the blank nodes look alike


def test_numbers_compare_by_value_and_plain_strings_match_xsd_string():
    ours = _select([_row({"type": "literal", "value": "1.0",
                          "datatype": "http://www.w3.org/2001/XMLSchema#decimal"},
                         {"type": "literal", "value": "x"})])
    theirs = _select([_row({"type": "literal", "value": "1.00",
                            "datatype": "http://www.w3.org/2001/XMLSchema#decimal"},
                           {"type": "literal", "value": "x",
                            "datatype": "http://www.w3.org/2001/XMLSchema#string"})])
    assert measure.same(measure.normalise(ours, RESULTS_JSON), measure.normalise(theirs, RESULTS_JSON))
    other = ours.replace(b'"1.0"', b'"2.0"')
    assert not measure.same(measure.normalise(ours, RESULTS_JSON), measure.normalise(other, RESULTS_JSON))


def test_graph_answers_compare_blank_nodes_without_labels():
    a = b'_:a <https://x/p> "1" .\n<https://x/s> <https://x/p> _:a .\n'
    b = b'_:zz <https://x/p> "1" .\n<https://x/s> <https://x/p> _:q .\n'
    c = b'<https://x/s> <https://x/p> _:q .\n'
    assert measure.same(measure.normalise(a, NTRIPLES), measure.normalise(b, NTRIPLES))
    assert not measure.same(measure.normalise(a, NTRIPLES), measure.normalise(c, NTRIPLES))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_memory_sums_a_process_and_its_children():
    # A parent holding ~40 MB that starts a child holding ~40 MB more.
    holder = "import time; b = bytearray(40 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(60)"
    parent = subprocess.Popen([sys.executable, "-c",
                               f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {holder!r}]); "
                               f"exec({holder!r})"])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (len(measure.process_tree(parent.pid)) < 2
                                               or measure.memory(parent.pid).pss_mb < 80):
            time.sleep(0.1)
        assert len(measure.process_tree(parent.pid)) == 2
        used = measure.memory(parent.pid)
        assert 80 <= used.pss_mb < 400
        assert used.peak_rss_mb >= used.pss_mb
    finally:
        for pid in measure.process_tree(parent.pid)[1:]:
            subprocess.run(["kill", "-9", str(pid)], check=False)
        parent.kill()
        parent.wait(30)


def test_geometric_mean_ignores_missing_cells():
    assert measure.geomean([100, 400, float("nan"), 0]) == pytest.approx(200)
    assert measure.geomean([]) != measure.geomean([])   # nan: nothing measured


def test_a_run_keeps_the_hand_written_measurements(tmp_path):
    results = tmp_path / "RESULTS.md"
    assert run.design_notes(results) == ""
    results.write_text("## SPARQL benchmark\n\n| old table |\n\n" + run.NOTES_HEADING + "\n\n- a figure\n",
                       encoding="utf-8")
    assert run.design_notes(results) == run.NOTES_HEADING + "\n\n- a figure\n"


def test_the_figures_the_code_refers_to_are_in_the_results():
    notes = run.design_notes(run.ROOT / "bench" / "RESULTS.md")
    for where in ("api/sparql.py", "serve/affinity.py", "store/backend.py", "store/evaluation.py",
                  "serve/supervisor.py"):
        assert where in notes, where


@pytest.mark.slow
def test_build_benchmark_measures_a_child_build(tmp_path):
    """bench/build.py on a tiny text: the build succeeds and its own time and peak memory are reported."""
    from bench import build as build_bench

    row = build_bench.measure_size(0.02, tmp_path, timeout=300)
    assert row["build"].status == 0, row["build"].stderr
    assert 0 < row["build"].cpu and 30 < row["build"].peak_mb < 2000   # a Python with rdflib: tens of MB at least
    assert row["out_mb"] > 0.1 and row["floor"].status == 0
    report = build_bench.table([row])
    assert report.startswith("### Build: time and peak memory") and report.splitlines()[-1].startswith("| 0.02 | ")


def test_generated_policy_text_is_read_as_a_policy():
    """bench/policy_text.py: the size asked for, parts numbered on in Chinese numerals, articles restarting."""
    from bench.policy_text import cn_numeral, policy_text
    from policykg.loader.parser import parse_text

    assert [cn_numeral(n) for n in (1, 10, 11, 20, 105, 1010, 9999)] == \
        ["一", "十", "十一", "二十", "一百零五", "一千零一十", "九千九百九十九"]
    text = policy_text(60_000)
    assert 50_000 < len(text.encode("utf-8")) <= 60_000
    document = parse_text(text, "generated.txt")
    parts = document.of_kind("part")
    assert len(parts) >= 4 and [p.ordinal for p in parts] == list(range(1, len(parts) + 1))
    assert document.unit(f"part/{len(parts)}/art/1").kind == "article"
    assert {"closing", "signature", "keywords", "imprint"} <= {u.kind for u in document.units}


@pytest.mark.slow
def test_the_virtuoso_peer_loads_its_data_and_answers(tmp_path):
    """The benchmark's Virtuoso peer writes a complete virtuoso.ini, bulk-loads its data file and answers
    over its union default graph (its ini once lost a placeholder and the peer never started)."""
    from bench.peers import VirtuosoPeer, request

    data = tmp_path / "data.nq"
    data.write_text("".join(f"<urn:s{i}> <urn:p> \"{i}\" <urn:g{i % 2}> .\n" for i in range(5)), encoding="utf-8")
    peer = VirtuosoPeer(data, tmp_path)
    try:
        peer.start(timeout=120)
        status, body = request(peer, "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o }", RESULTS_JSON)
    finally:
        peer.stop()
    assert status == 200, body[:300]
    assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "5"


def test_a_run_says_when_at_which_commit_and_how_busy():
    # Tables from a shared machine are only comparable with their date, commit and load beside them.
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=run.ROOT).stdout.strip()
    line = run.machine()
    assert f"at commit {head}, " in line
    assert time.strftime("run %Y-%m-%d ", time.gmtime()) in line
    assert "load average " in line


def test_named_question_answers_that_differ_between_backends_are_noted():
    from bench.remote import _compare_answers
    reference = {"/api/queries/a?x=%E5%B1%85": ['{"k": 1}', '{"k": 2}'], "/api/queries/b?": ['{"k": 3}'],
                 "/api/queries/c?": "HTTP 503"}
    answers = {"/api/queries/a?x=%E5%B1%85": ['{"k": 1}'], "/api/queries/b?": ['{"k": 3}'],
               "/api/queries/c?": ['{"k": 4}']}
    notes = _compare_answers("virtuoso", answers, reference, "oxigraph-server")
    assert notes == ["virtuoso /api/queries/a?x=居: 1 rows, not the 2 rows of oxigraph-server (differs)",
                     "virtuoso /api/queries/c?: 1 rows, not the HTTP 503 of oxigraph-server (differs)",
                     "virtuoso: 1 of 3 named-question examples answered exactly as oxigraph-server answers them"]


def test_the_relay_floor_passes_answers_on_unchanged_and_is_measured_in_the_same_rounds(oxigraph_server, tmp_path):
    """bench/remote.py's relay floor (bench/relay_app.py under granian) answers with the server's own bytes,
    and the interleaved rounds measure each peer against the server, every round counted once."""
    from argparse import Namespace
    from collections import Counter

    from bench.peers import request
    from bench.remote import DirectPeer, RelayPeer, _interleaved
    from bench.servers import BASE
    from policykg.store.remote import RemoteStore

    store = RemoteStore(oxigraph_server.url, BASE)
    direct = DirectPeer(oxigraph_server, (store.default_graph_names(), store.graph_names()))
    relay = RelayPeer(tmp_path / "unused.trig", tmp_path, direct)
    query = "SELECT ?s ?c WHERE { ?s a ?c } ORDER BY ?s ?c LIMIT 5"
    try:
        relay.start(timeout=120)
        status, body = request(relay, query, RESULTS_JSON)
        assert (status, body) == request(direct, query, RESULTS_JSON)
        assert len(json.loads(body)["results"]["bindings"]) == 5
        args = Namespace(requests=6, seconds=30.0, request_timeout=30.0)
        ((median, p90, count),) = _interleaved([relay], direct, query, RESULTS_JSON, args)
        refused = Counter()
        ((_, _, none),) = _interleaved([relay], direct, "SELECT nonsense", RESULTS_JSON, args, refused)
    finally:
        relay.stop()
    assert count == 6 and p90 >= median
    assert none == 0 and refused == {("relay", 400): 6, ("server", 400): 6}


def test_the_relay_floor_answers_after_the_server_closed_its_connection(tmp_path):
    """A server that closes an idle keep-alive connection (a restart here) must not leave the relay floor
    answering 500 from then on: it asks again on a new connection, as the service does."""
    from bench.peers import request
    from bench.remote import DirectPeer, RelayPeer
    from bench.servers import SparqlServer

    (tmp_path / "db").mkdir()
    server = SparqlServer.oxigraph(tmp_path / "db").start()
    relay = None
    try:
        direct = DirectPeer(server, ([], []))
        relay = RelayPeer(tmp_path / "unused.trig", tmp_path, direct)
        relay.start(timeout=120)
        assert request(relay, "ASK { }", RESULTS_JSON)[0] == 200
        port = int(direct.port)
        server.stop()
        server = SparqlServer.oxigraph(tmp_path / "db", port=port).start()
        statuses = [request(relay, "ASK { }", RESULTS_JSON)[0] for _ in range(4)]
    finally:
        if relay is not None:
            relay.stop()
        server.stop()
    assert statuses == [200] * 4


@pytest.mark.parametrize("kind", ["spin", "fill"])
def test_the_relay_cache_stand_in_answers_its_bytes_after_its_work(tmp_path, kind):
    """bench/relay_cache.py's stand-in answers every request on a keep-alive connection with the bytes it
    was given, no sooner than its work lasts, and the relay floor in front of it is measured in pairs."""
    from argparse import Namespace

    from bench.peers import Client
    from bench.relay_cache import StandInPeer, _pairs
    from bench.remote import RelayPeer

    body = _select([_row({"type": "literal", "value": "七"}, IRI)] * 50)
    (tmp_path / "answer.json").write_bytes(body)
    stand_in = StandInPeer(tmp_path, tmp_path / "answer.json", kind, 0.03)
    try:
        stand_in.start(timeout=60)
        client = Client(stand_in, 30)
        took = []
        for _ in range(3):
            started = time.perf_counter()
            assert client.get("SELECT * {}", RESULTS_JSON) == (200, body)
            took.append(time.perf_counter() - started)
        client.close()
        args = Namespace(requests=4, seconds=30.0, request_timeout=30.0)
        median, p90, count = _pairs(lambda direct: RelayPeer(tmp_path / "unused", tmp_path, direct), stand_in,
                                    "SELECT * {}", args)
    finally:
        stand_in.stop()
    assert min(took) >= 0.03
    assert count == 4 and p90 >= median


def test_the_relay_cache_section_has_a_row_per_measurement(tmp_path):
    """Its section goes into RESULTS.md between markers of its own, beside bench/remote.py's sections."""
    from argparse import Namespace

    from bench.relay_cache import report
    from bench.remote import write_section

    results = tmp_path / "RESULTS.md"
    results.write_text(f"{run.NOTES_HEADING}\n\n<!-- bench/remote.py:start -->\nkept\n<!-- bench/remote.py:end -->\n",
                       encoding="utf-8")
    args = Namespace(server_dir=tmp_path, requests=5, seconds=1.0)
    rows = [("Virtuoso", "join", 168_393, "its own", 48.0, 0.51, 1.1, 300),
            ("stand-in", "join", 168_393, "fill", 48.0, 0.65, 0.78, 300)]
    for _ in range(2):   # a second run replaces the first
        write_section(results, report(rows, args), tag="bench/relay_cache.py")
    text = results.read_text(encoding="utf-8")
    assert "kept" in text and text.count("<!-- bench/relay_cache.py:start -->") == 1
    assert "| stand-in | join | 168 KB | fill | 48.0 | 0.65 | 0.78 | 300 |" in text
