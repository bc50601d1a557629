"""The document graph, checked with SPARQL over the built dataset: ELI structure, units,
selectors consistent with the parser's offsets, agents and dates."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from policykg import iris
from policykg.loader.dataset import build, write_dataset
from policykg.ontology.namespaces import PKG, PKG_URI, sparql_prologue
from policykg.settings import DEFAULT_BASE

DOC = iris.doc_iri(DEFAULT_BASE, "suzhou-2011-community-party-building")
DOCUMENT_GRAPH = iris.graph_iri(DEFAULT_BASE, "document")
PROLOGUE = sparql_prologue()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    result = build()
    out = write_dataset(result.dataset, tmp_path_factory.mktemp("rdf") / "kg.trig")
    store = ox.Store()
    store.load(path=str(out), format=ox.RdfFormat.TRIG)
    return result, store


def select(store, query: str) -> list[dict]:
    solutions = store.query(PROLOGUE + query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in solutions]


def ask(store, query: str) -> bool:
    return bool(store.query(PROLOGUE + query, use_default_graph_as_union=True))


def test_every_pkg_term_used_is_defined(built):
    # The document graph names pkg: terms through the closed PKG namespace (an undefined one
    # fails the build); every pkg: IRI in it is a term the ontology defines.
    result, _ = built
    used = {node for triple in result.graphs["document"] for node in triple
            if isinstance(node, URIRef) and str(node).startswith(PKG_URI)}
    assert used and all(node in PKG for node in used), sorted(n for n in used if n not in PKG)
    with pytest.raises(AttributeError):
        PKG.notATermOfTheOntology


def test_twenty_two_articles_typed(built):
    _, store = built
    rows = select(store, f"""
        SELECT ?unit ?number ?ordinal ?heading WHERE {{ GRAPH <{DOCUMENT_GRAPH}> {{
          ?unit a eli:LegalResourceSubdivision ; pkg:subdivisionType pkg:subdivisionArticle ;
                eli:number ?number ; pkg:ordinal ?ordinal ; pkg:heading ?heading ;
                eli:is_part_of+ <{DOC}> . }} }} ORDER BY ?ordinal""")
    assert [int(r["ordinal"]) for r in rows] == list(range(1, 23))
    assert [r["number"] for r in rows] == [str(i) for i in range(1, 23)]
    assert rows[2]["heading"] == "建立健全社区党组织" and rows[0]["heading"] == "指导思想"
    assert all(r["unit"] == f"{DOC}/art/{i}" for i, r in enumerate(rows, start=1))


def test_work_expression_manifestation(built):
    _, store = built
    assert ask(store, f"""ASK {{ GRAPH <{DOCUMENT_GRAPH}> {{
        <{DOC}> a eli:LegalResource ; eli:is_realized_by <{DOC}/zh> ;
            dcterms:title "关于进一步加强和改进全市城市社区党组织建设的意见"@zh ;
            eli:passed_by ?issuer ; eli:type_document ?type ;
            dcterms:issued "2011-06"^^xsd:gYearMonth ; eli:date_publication "2011-06-24"^^xsd:date ;
            dcterms:publisher ?printer .
        ?issuer rdfs:label "中共苏州市委组织部"@zh ; a eli:Agent , org:Organization .
        ?printer rdfs:label "中共苏州市委办公室"@zh .
        ?type skos:prefLabel "意见"@zh .
        <{DOC}/zh> a eli:LegalExpression ; eli:realizes <{DOC}> ;
            eli:title "关于进一步加强和改进全市城市社区党组织建设的意见"@zh ; eli:language ?language .
        ?web eli:embodies <{DOC}/zh> ; eli:publisher_agent ?publisher ;
            dcterms:issued "2015-06-10T10:13:56"^^xsd:dateTime .
        ?publisher rdfs:label "苏州市社会组织服务中心"@zh . }} }}""")
    # ELI puts title and language on the expression; the month-only date is not forced into xsd:date.
    assert not ask(store, f"ASK {{ <{DOC}> eli:title|eli:language|eli:date_document ?x }}")
    keywords = {r["k"] for r in select(store, f"SELECT ?k {{ <{DOC}> dcterms:subject ?k }}")}
    assert keywords == {"党建", "社区工作", "基层党组织", "意见"}


def test_structure_links_are_mutual(built):
    result, store = built
    units = result.documents[0].units
    rows = select(store, f"""SELECT ?child ?parent {{ GRAPH <{DOCUMENT_GRAPH}> {{
        ?child a eli:LegalResourceSubdivision ; eli:is_part_of ?parent . ?parent eli:has_part ?child }} }}""")
    assert {(r["child"], r["parent"]) for r in rows} == {(u.iri, u.parent or DOC) for u in units}
    items = select(store, f"SELECT ?i {{ <{DOC}/art/4> eli:has_part ?i . ?i pkg:subdivisionType pkg:subdivisionItem }}")
    assert len(items) == 6
    kinds = {r["kind"] for r in select(store, f"SELECT DISTINCT ?kind {{ ?u eli:is_part_of+ <{DOC}> ; pkg:subdivisionType ?kind }}")}
    assert len(kinds) == 9  # preamble part paragraph article item closing signature keywords imprint
    assert all(ask(store, f"ASK {{ <{k}> skos:inScheme pkg:SubdivisionTypeScheme }}") for k in kinds)


def test_selectors_match_offsets_and_text(built):
    result, store = built
    document = result.documents[0]
    rows = select(store, f"""SELECT ?unit ?start ?end ?exact ?prefix ?suffix ?text ?source {{
        GRAPH <{DOCUMENT_GRAPH}> {{
          ?unit pkg:text ?text ; pkg:hasTextSegment ?segment .
          ?segment a oa:SpecificResource ; oa:hasSource ?source ; oa:hasSelector ?pos , ?quote .
          ?pos a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
          ?quote a oa:TextQuoteSelector ; oa:exact ?exact ; oa:prefix ?prefix ; oa:suffix ?suffix . }} }}""")
    assert len(rows) == len(document.units) == 42
    full = document.text
    for r in rows:
        start, end = int(r["start"]), int(r["end"])
        unit = document.unit_by_iri(r["unit"])
        assert (start, end) == (unit.start, unit.end)
        assert full[start:end] == r["exact"] == r["text"] == unit.text
        assert full[:start].endswith(r["prefix"]) and 0 < len(r["prefix"]) <= 20
        assert full[end:].startswith(r["suffix"]) and len(r["suffix"]) <= 20
        assert r["source"] == f"{DOC}/zh"
    # The whole text is in the graph too, so the check can be done in SPARQL alone.
    assert ask(store, f"""ASK {{ <{DOC}/zh> rdf:value ?full . <{DOC}/art/4/item/2> pkg:hasTextSegment/oa:hasSelector ?p .
        ?p oa:start ?s ; oa:end ?e . <{DOC}/art/4/item/2> pkg:text ?t .
        FILTER(SUBSTR(STR(?full), ?s + 1, ?e - ?s) = STR(?t)) }}""")


def test_no_blank_nodes_in_document_graph(built):
    _, store = built
    assert not ask(store, f"ASK {{ GRAPH <{DOCUMENT_GRAPH}> {{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }} }}")


def test_labels_for_people(built):
    _, store = built
    labels = {r["l"] for r in select(store, f"SELECT ?l {{ <{DOC}/art/4> rdfs:label ?l }}")}
    assert labels == {"4 明确社区党组织的主要职责", "Article 4"}
