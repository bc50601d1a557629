"""``PKG`` is closed over the terms the ontology files type, iterates over them, and ignores shapes."""
from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from ontology_support import own_terms
from policykg.ontology import ONTOLOGY_FILES, ontology_graph
from policykg.ontology.namespaces import PKG, PKG_TERMS, PKG_URI, PREFIXES, sparql_prologue, turtle_prologue


def test_pkg_holds_exactly_the_typed_terms():
    typed = own_terms(ontology_graph())
    assert set(PKG) == typed
    assert len(list(PKG)) == len(PKG_TERMS) == len(typed) > 250
    assert all(term in PKG for term in typed)


def test_pkg_refuses_unknown_and_shape_terms():
    with pytest.raises(AttributeError):
        PKG.NormShape  # noqa: B018 (typed only in shapes.ttl, which defines no vocabulary)
    with pytest.raises(KeyError):
        PKG["communityPartyOrganization"]
    assert URIRef(PKG_URI + "NotATerm") not in PKG


def test_pkg_is_still_the_namespace_string():
    assert str(PKG) == PKG_URI == PREFIXES["pkg"]
    assert str(PKG.leads)[len(PKG):] == "leads"
    graph = Graph()
    graph.bind("pkg", PKG)
    assert graph.namespace_manager.normalizeUri(PKG.leads) == "pkg:leads"
    assert "PREFIX pkg: <https://w3id.org/policykg/def/>" in sparql_prologue(["pkg"])


def test_ontology_files_are_the_vocabulary_files():
    assert sorted(p.name for p in ONTOLOGY_FILES) == ["policykg.ttl", "schemes.ttl"]


def test_the_turtle_prologue_declares_the_same_prefixes():
    text = turtle_prologue(["void", "sd"])
    assert text == f"@prefix void: <{PREFIXES['void']}> .\n@prefix sd: <{PREFIXES['sd']}> .\n"
    parsed = Graph().parse(data=turtle_prologue() + "pkg:a pkg:b void:c .", format="turtle")
    assert len(parsed) == 1 and dict(parsed.namespaces())["pkg"] == URIRef(PKG_URI)
