"""using-graph-uri and using-named-graph-uri written into an update's text (policykg.store.update_dataset), checked
on the text and by applying it to a real pyoxigraph store, without a server (tests/api/test_update_dataset.py
does the same through /update)."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from policykg.store.errors import QueryRefused
from policykg.store.update_dataset import with_dataset

G1, G2, OUT = "urn:test:g1", "urn:test:g2", "urn:test:out"
COPY = f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"


@pytest.fixture
def store():
    store = ox.Store()
    for n, graph in ((1, G1), (2, G2)):
        store.add(ox.Quad(ox.NamedNode(f"urn:test:s{n}"), ox.NamedNode("urn:test:p"), ox.Literal(str(n)),
                          ox.NamedNode(graph)))
    return store


def _copied(store) -> set[str]:
    return {q.object.value for q in store.quads_for_pattern(None, None, None, ox.NamedNode(OUT))}


def test_without_parameters_the_text_is_unchanged():
    assert with_dataset(COPY, [], []) is COPY


@pytest.mark.parametrize("using, expected", [([G1], {"1"}), ([G2], {"2"}), ([G1, G2], {"1", "2"})])
def test_using_graph_uri_is_the_default_graph_of_the_where_clause(store, using, expected):
    store.update(with_dataset(COPY, using, []))
    assert _copied(store) == expected


def test_using_named_graph_uri_gives_the_named_graphs(store):
    update = f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    store.update(with_dataset(update, [], [G2]))
    assert _copied(store) == {"2"}


def test_the_clauses_go_before_every_top_level_where_in_order():
    text = "INSERT { ?s ?p ?o } WHERE { ?s ?p ?o } ;\nDELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert with_dataset(text, [G1], [G2]) == (
        f"INSERT {{ ?s ?p ?o }} USING <{G1}> USING NAMED <{G2}> WHERE {{ ?s ?p ?o }} ;\n"
        f"DELETE {{ ?s ?p ?o }} USING <{G1}> USING NAMED <{G2}> WHERE {{ ?s ?p ?o }}")


def test_a_where_inside_the_pattern_or_in_a_string_iri_or_comment_is_left_alone():
    text = ('INSERT { <urn:x> <urn:y> "WHERE" } # WHERE\n'
            "WHERE { { SELECT ?s WHERE { ?s ?p ?o } } <urn:WHERE> ?p ?o }")
    assert with_dataset(text, [G1], []) == (
        'INSERT { <urn:x> <urn:y> "WHERE" } # WHERE\n'
        f"USING <{G1}> WHERE {{ {{ SELECT ?s WHERE {{ ?s ?p ?o }} }} <urn:WHERE> ?p ?o }}")


@pytest.mark.parametrize("text, pattern", [
    ("DELETE WHERE { ?s ?p ?o }", "{ ?s ?p ?o }"),
    ("delete where { GRAPH ?g { ?s ?p ?o } }", "{ GRAPH ?g { ?s ?p ?o } }"),
    ("DELETE WHERE {?s ?p [ ?q ?o ]}", "{?s ?p [ ?q ?o ]}"),
])
def test_delete_where_is_written_out_as_the_form_it_abbreviates(text, pattern):
    delete = text.split()[0]      # as the user wrote it
    assert with_dataset(text + " ; CLEAR SILENT GRAPH <urn:z>", [G1], []) == (
        f"{delete} {pattern} USING <{G1}> WHERE {pattern} ; CLEAR SILENT GRAPH <urn:z>")


def test_delete_where_with_a_dataset_deletes_what_it_matches_there(store):
    store.update(f"INSERT DATA {{ <urn:test:s1> <urn:test:p> \"1\" . <urn:test:s2> <urn:test:p> \"2\" }}")
    store.update(with_dataset("DELETE WHERE { ?s ?p ?o }", [G1], []))
    remaining = {q.object.value for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert remaining == {"2"}


def test_a_delete_where_pattern_that_is_not_closed_is_refused():
    with pytest.raises(QueryRefused) as refused:
        with_dataset("DELETE WHERE { ?s ?p { ?o", [G1], [])
    assert refused.value.reason == "syntax"
    assert refused.value.message == "the update's DELETE WHERE pattern is not closed"


@pytest.mark.parametrize("text, word, at", [
    (f"INSERT {{ ?s ?p ?o }} USING <{G1}> WHERE {{ ?s ?p ?o }}", "USING", 20),
    (f"WITH <{G1}> INSERT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}", "WITH", 0),
    (f"INSERT {{ ?s ?p ?o }} using named <{G1}> WHERE {{ ?s ?p ?o }}", "USING", 20),
])
def test_an_update_naming_its_dataset_in_its_text_too_is_refused_saying_where(text, word, at):
    with pytest.raises(QueryRefused) as refused:
        with_dataset(text, [], [G2])
    assert refused.value.reason == "dataset_conflict"
    assert f"names its dataset with {word} (at character {at})" in refused.value.message


def test_using_as_a_word_inside_the_pattern_is_no_conflict():
    text = "INSERT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o != <urn:using>) }"
    assert f"USING <{G1}> WHERE" in with_dataset(text, [G1], [])


@pytest.mark.parametrize("using, named, parameter, iri", [
    (["g1"], [], "using-graph-uri", "g1"),
    ([G1, "not an iri"], [], "using-graph-uri", "not an iri"),
    ([], ["relative/g"], "using-named-graph-uri", "relative/g"),
])
def test_a_graph_that_is_not_an_absolute_iri_is_refused_naming_the_parameter(using, named, parameter, iri):
    with pytest.raises(QueryRefused) as refused:
        with_dataset(COPY, using, named)
    assert refused.value.reason == "syntax"
    assert refused.value.message == f"{parameter}={iri!r} is not an absolute IRI"


def test_an_update_without_where_is_unchanged():
    text = f'INSERT DATA {{ <urn:x> <urn:y> "z" }} ; CLEAR GRAPH <{G1}>'
    assert with_dataset(text, [G1], []) == text
