"""The store refuses with neutral reasons (policykg.store.errors), never with HTTP statuses:
the guard's limits, and evaluation, each give the reason the web layer maps."""
from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest

from policykg.store.backend import OxigraphStore, QueryJob
from policykg.store.errors import REASONS, QueryRefused
from policykg.store.evaluation import Evaluator
from policykg.store.guard import check_query

BASE = "https://example.org/kg/"
MAX_OPERATORS = 40


@pytest.mark.parametrize("text, reason", [
    ("SELECT * WHERE { ?s ?p ?o }" + " " * 200, "too_long"),
    ("SELECT * WHERE " + "{" * 30 + "}" * 30, "too_deep"),
    ("SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * (MAX_OPERATORS // 2 + 1)) + " }", "too_complex"),
    ("INSERT DATA { <a:b> <a:c> <a:d> }", "not_a_query"),
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "service"),
    ("SELECT * WHERE { ?s ?p ?o } # LOAD <x:y>\nLOAD <http://127.0.0.1:9/>", "load"),
])
def test_the_guard_refuses_with_a_reason(text, reason):
    max_length = 150 if reason == "too_long" else 100_000
    with pytest.raises(QueryRefused) as refused:
        check_query(text, max_length=max_length, max_nesting=20, max_operators=MAX_OPERATORS)
    assert refused.value.reason == reason and refused.value.message
    assert not hasattr(refused.value, "status")


def test_the_guard_passes_a_plain_query_and_says_what_it_is():
    info = check_query("SELECT * FROM <x:g> WHERE { ?s ?p ?o }", max_length=1000, max_nesting=20,
                       max_operators=MAX_OPERATORS)
    assert info.form == "SELECT" and info.has_dataset_clause


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    data = ox.Store()
    graph = ox.NamedNode(f"{BASE}graph/document")
    for n in range(20):
        data.add(ox.Quad(ox.NamedNode(f"{BASE}id/thing/{n}"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                         ox.Literal(f"thing {n}"), graph))
    return OxigraphStore(data, BASE)


def job(query: str, **changes) -> QueryJob:
    fields = dict(query=query, results_format="JSON", graph_format="TURTLE", default=None, named=None,
                  dataset_clause=False, max_results=100, max_bytes=1 << 20)
    fields.update(changes)
    return QueryJob(**fields)


@pytest.mark.parametrize("the_job, reason", [
    (job("SELECT * WHERE { ?s ?p ?o"), "syntax"),
    (job("SELECT * WHERE { ?s ?p ?o }", max_results=5), "too_many_results"),
    (job("CONSTRUCT WHERE { ?s ?p ?o }", max_results=5), "too_many_results"),
    (job("SELECT * WHERE { ?s ?p ?o }", max_bytes=100), "too_large"),
    (job("SELECT * WHERE { ?s ?p ?o }", results_format=None), "no_format"),
    (job("CONSTRUCT WHERE { ?s ?p ?o }", graph_format=None), "no_format"),
])
def test_answering_refuses_with_a_reason(store, the_job, reason):
    with pytest.raises(QueryRefused) as refused:
        store.answer(the_job)
    assert refused.value.reason == reason


def test_a_job_within_the_limits_is_answered(store):
    media_type, body = store.answer(job("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
    assert media_type == "application/sparql-results+json" and b'"20"' in body


@pytest.mark.parametrize("fmt", ["TURTLE", "N_TRIPLES", "RDF_XML", "JSON_LD"])
@pytest.mark.parametrize("limits", [
    dict(max_results=20),                      # exactly the limit, the body far past 20 bytes: counted
    dict(max_results=20, max_bytes=100),       # the body past max_bytes: evaluated again, counted as it comes
])
def test_a_graph_answer_at_the_limit_is_whole_and_one_more_triple_is_refused(store, fmt, limits):
    """A CONSTRUCT is bounded by its triples (max_results), not by its bytes: the engine writes
    it, and only a body long enough to hold too many triples is counted."""
    query = "CONSTRUCT WHERE { ?s ?p ?o }"
    media_type, body = store.answer(job(query, graph_format=fmt, **limits))
    rdf_format = getattr(ox.RdfFormat, fmt)
    assert media_type == rdf_format.media_type
    assert {quad.triple for quad in ox.parse(body, format=rdf_format)} == \
        set(store.ox.query(query, use_default_graph_as_union=True))
    with pytest.raises(QueryRefused) as refused:
        store.answer(job(query, graph_format=fmt, **{**limits, "max_results": 19}))
    assert refused.value.reason == "too_many_results"


def test_the_evaluator_refuses_an_unexpected_failure_as_internal(store):
    class Failing:
        def answer(self, the_job):
            raise KeyError("a detail")

    with pytest.raises(QueryRefused) as refused:
        Evaluator(Failing(), threads=1).run(job("ASK {}"), timeout=10)
    assert refused.value.reason == "internal" and "a detail" not in refused.value.message


def test_a_refusal_from_a_helper_thread_keeps_no_pyoxigraph_result_of_that_thread():
    """A refusal raised where a frame holds a pyoxigraph result (unsendable: it must be dropped on the thread
    that made it) reaches the request thread without those frames: freeing it there drops nothing of the
    helper's, so pyo3 reports nothing ("... is unsendable, but is being dropped on another thread")."""
    import gc
    import sys

    class Refusing:
        def answer(self, the_job):
            lazy = ox.Store().query("SELECT * WHERE { ?s ?p ?o }")   # noqa: F841 - held by this frame
            try:
                raise ValueError("the cause")
            except ValueError:
                raise QueryRefused("syntax", "refused after a lazy result was made") from None

    unraisable: list = []
    gc.collect()   # what earlier tests in this process left is theirs: only this test's refusals count
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        evaluator = Evaluator(Refusing(), threads=1)
        for _ in range(3):
            with pytest.raises(QueryRefused, match="lazy result") as refused:
                evaluator.run(job("ASK {}"), timeout=10)
            assert refused.value.__context__ is None and refused.value.__cause__ is None
            del refused
            gc.collect()
    finally:
        sys.unraisablehook = hook
    assert [str(u.exc_value) for u in unraisable] == []


def test_every_reason_is_explained():
    assert all(REASONS.values())
    with pytest.raises(ValueError):
        QueryRefused("418", "a status is not a reason")


def test_the_evaluator_refuses_an_overrun_and_says_so(store):
    release = threading.Event()
    overruns = []

    class Slow:
        def answer(self, the_job):
            release.wait(10)
            return "text/plain", b""

    evaluator = Evaluator(Slow(), threads=1, on_timeout=lambda: overruns.append(1))
    try:
        with pytest.raises(QueryRefused) as refused:
            evaluator.run(job("ASK {}"), timeout=0.2)
        assert refused.value.reason == "timeout" and overruns == [1]
        assert evaluator.longest_running() > 0
    finally:
        release.set()
