"""The text a remote store sends for a named question (values bound by
:func:`policykg.store.binding.bind_values`: a VALUES row, and each IRI written in the WHERE
group's terms) gives the embedded store the same rows as pyoxigraph's substitutions, for every
named question, its examples and a sample of the values each IRI parameter can take."""
from __future__ import annotations

import random

import pyoxigraph as ox
import pytest

from policykg.queries.library import ANY, bind_params, load_library
from policykg.store.binding import bind_values
from tests.queries.named_rows import IRI_TYPES, rows_as_served

LIBRARY = load_library()
SAMPLE = 8     # values tried per IRI parameter, besides the examples


@pytest.fixture(scope="module")
def candidates(store):
    """IRIs a parameter can take: every labelled subject of the policy's graphs, a fixed sample."""
    rows = store.select("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                        "SELECT DISTINCT ?x WHERE { ?x rdfs:label ?l FILTER(isIRI(?x)) } ORDER BY ?x")
    iris = [row["x"] for row in rows]
    return random.Random(2011).sample(iris, min(len(iris), 200))


def _binding_sets(query, resolver, candidates):
    """The bindings of each example, of no value given, and of the sampled values per IRI parameter."""
    required = {p.name: p.example for p in query.params if p.required}
    raws = [dict(example) for example in query.examples]
    if all(required.values()):
        raws.append(required)
    sets = [bind_params(query, raw, resolver)[0] for raw in raws]
    base = sets[-1] if sets else {}
    for number, param in enumerate(p for p in query.params if p.type in IRI_TYPES):
        for iri in candidates[number * SAMPLE:(number + 1) * SAMPLE]:
            sets.append({**base, param.variable: iri})
    return sets


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_the_text_sent_to_a_server_answers_as_the_substitutions_do(name, store, resolver, candidates):
    query = LIBRARY[name]
    sets = _binding_sets(query, resolver, candidates)
    assert sets, name
    answered = 0
    for bindings in sets:
        substituted = rows_as_served(query, store.select(query.sparql, bindings=bindings))
        written = rows_as_served(query, store.select(bind_values(query.sparql, bindings)))
        assert written == substituted, (name, {k: str(v) for k, v in bindings.items()})
        answered += bool(substituted)
    # a comparison of empty answers only would show nothing
    assert answered, name


def test_the_bearer_is_written_at_the_start_of_norms_steps():
    """What makes norms answer over a server at 6.2M quads (docs/operations.md): the steps from the bearer to
    the classes it belongs to start at the bearer written as a constant, not at every typed resource."""
    bearer = "https://w3id.org/policykg/def/ResidentsCommittee"
    bound = bind_values(LIBRARY["norms"].sparql, {"bearer": ox.NamedNode(bearer), "asserted_only": ox.Literal(False)})
    assert f"<{bearer}> rdfs:subClassOf|rdf:type|rdf:type/rdfs:subClassOf ?b" in bound
    assert f"?norm pkg:bearer <{bearer}>" in bound
