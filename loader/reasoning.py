"""The inferred graph: what the ontology entails over the asserted graphs, kept apart.

``infer(graphs)`` materialises a targeted subset of the OWL 2 RL rules — the ones the ontology
uses — over the ontology, document and statements graphs (never the background graph, so that
inferred facts rest only on the policy and the ontology) and returns ONLY the triples that are
not already asserted. The rules (OWL 2 RL rule names in brackets):

- class hierarchy: ``C ⊑ D``, ``x a C`` ⇒ ``x a D`` [cax-sco]; owl:equivalentClass [cax-eqc];
  the transitive closure of rdfs:subClassOf itself [scm-sco];
- property hierarchy: ``p ⊑ q``, ``x p y`` ⇒ ``x q y`` [prp-spo1]; owl:equivalentProperty
  [prp-eqp]; the closure of rdfs:subPropertyOf [scm-spo];
- owl:inverseOf [prp-inv1/2], owl:SymmetricProperty [prp-symp], owl:TransitiveProperty
  [prp-trp], owl:propertyChainAxiom of any length [prp-spo2];
- rdfs:domain / rdfs:range typing [prp-dom, prp-rng] (owl:Thing, rdfs:Resource and datatypes
  are not materialised).

A full OWL 2 RL closure with owlrl takes minutes on this dataset and adds thousands of
axiomatic triples nobody queries; this closure runs in well under a second (a worklist over
indexed triples) and yields exactly the entailments above. Consistency (disjointness) is
checked by HermiT in ``policykg validate --reasoner``, not here.
"""
from __future__ import annotations

from collections import defaultdict, deque

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

# Graphs the closure reads; the background graph is deliberately left out.
REASONED_GRAPHS = ("ontology", "document", "statements")
_SKIP_CLASSES = {OWL.Thing, RDFS.Resource, RDFS.Literal, OWL.NamedIndividual, OWL.Class,
                 RDF.Property, OWL.ObjectProperty}


def _is_datatype(term) -> bool:
    return isinstance(term, URIRef) and (str(term).startswith(str(XSD)) or term == RDF.langString)


class _Schema:
    def __init__(self, g: Graph):
        self.super_classes: dict = defaultdict(set)
        self.super_props: dict = defaultdict(set)
        self.inverse: dict = defaultdict(set)
        self.symmetric: set = set()
        self.transitive: set = set()
        self.domain: dict = defaultdict(set)
        self.range: dict = defaultdict(set)
        self.chains: list[tuple[URIRef, list[URIRef]]] = []
        for c, d in g.subject_objects(RDFS.subClassOf):
            if isinstance(c, URIRef) and isinstance(d, URIRef):
                self.super_classes[c].add(d)
        for c, d in g.subject_objects(OWL.equivalentClass):
            if isinstance(c, URIRef) and isinstance(d, URIRef):
                self.super_classes[c].add(d)
                self.super_classes[d].add(c)
        for p, q in g.subject_objects(RDFS.subPropertyOf):
            if isinstance(p, URIRef) and isinstance(q, URIRef):
                self.super_props[p].add(q)
        for p, q in g.subject_objects(OWL.equivalentProperty):
            if isinstance(p, URIRef) and isinstance(q, URIRef):
                self.super_props[p].add(q)
                self.super_props[q].add(p)
        for p, q in g.subject_objects(OWL.inverseOf):
            if isinstance(p, URIRef) and isinstance(q, URIRef):
                self.inverse[p].add(q)
                self.inverse[q].add(p)
        self.symmetric = {p for p in g.subjects(RDF.type, OWL.SymmetricProperty) if isinstance(p, URIRef)}
        self.transitive = {p for p in g.subjects(RDF.type, OWL.TransitiveProperty) if isinstance(p, URIRef)}
        for p, c in g.subject_objects(RDFS.domain):
            if isinstance(p, URIRef) and isinstance(c, URIRef) and c not in _SKIP_CLASSES and not _is_datatype(c):
                self.domain[p].add(c)
        for p, c in g.subject_objects(RDFS.range):
            if isinstance(p, URIRef) and isinstance(c, URIRef) and c not in _SKIP_CLASSES and not _is_datatype(c):
                self.range[p].add(c)
        for q, head in g.subject_objects(OWL.propertyChainAxiom):
            if isinstance(q, URIRef) and isinstance(head, BNode):
                steps = [p for p in Collection(g, head)]
                if len(steps) >= 2 and all(isinstance(p, URIRef) for p in steps):
                    self.chains.append((q, steps))
        self.all_super_classes = {c: self._closure(c, self.super_classes) for c in list(self.super_classes)}
        self.all_super_props = {p: self._closure(p, self.super_props) for p in list(self.super_props)}
        self.chain_props = {p for _, steps in self.chains for p in steps}

    @staticmethod
    def _closure(start, edges) -> set:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen and nxt != start:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen


def _closure(asserted: set, schema: _Schema) -> set:
    known = set(asserted)
    queue = deque(asserted)
    out_index: dict = defaultdict(set)   # (p, s) -> {o} for transitive and chain properties
    in_index: dict = defaultdict(set)    # (p, o) -> {s}
    indexed = schema.transitive | schema.chain_props

    def add(triple):
        if triple not in known:
            known.add(triple)
            queue.append(triple)

    def index(s, p, o):
        if p in indexed:
            out_index[(p, s)].add(o)
            in_index[(p, o)].add(s)

    for s, p, o in asserted:
        index(s, p, o)

    while queue:
        s, p, o = queue.popleft()
        if isinstance(s, BNode):
            continue
        if p == RDF.type:
            if isinstance(o, URIRef):
                for d in schema.all_super_classes.get(o, ()):
                    if d not in _SKIP_CLASSES:
                        add((s, RDF.type, d))
            continue
        if p == RDFS.subClassOf:
            if isinstance(o, URIRef):
                for d in schema.all_super_classes.get(o, ()):
                    if d != s:
                        add((s, RDFS.subClassOf, d))
            continue
        if p == RDFS.subPropertyOf:
            if isinstance(o, URIRef):
                for q in schema.all_super_props.get(o, ()):
                    if q != s:
                        add((s, RDFS.subPropertyOf, q))
            continue
        index(s, p, o)
        for q in schema.all_super_props.get(p, ()):
            add((s, q, o))
        for c in schema.domain.get(p, ()):
            add((s, RDF.type, c))
        if isinstance(o, Literal) or isinstance(o, BNode):
            continue
        for c in schema.range.get(p, ()):
            add((o, RDF.type, c))
        for q in schema.inverse.get(p, ()):
            add((o, q, s))
        if p in schema.symmetric:
            add((o, p, s))
        if p in schema.transitive:
            for z in list(out_index.get((p, o), ())):
                if z != s:
                    add((s, p, z))
            for w in list(in_index.get((p, s), ())):
                if w != o:
                    add((w, p, o))
        for q, steps in schema.chains:
            for i, step in enumerate(steps):
                if step != p:
                    continue
                # extend left from s over steps[:i] and right from o over steps[i+1:]
                lefts = {s}
                for prev in reversed(steps[:i]):
                    lefts = {w for x in lefts for w in in_index.get((prev, x), ())}
                rights = {o}
                for nxt in steps[i + 1:]:
                    rights = {z for y in rights for z in out_index.get((nxt, y), ())}
                for w in lefts:
                    for z in rights:
                        add((w, q, z))
    return known


def infer(graphs: dict[str, Graph]) -> Graph:
    """The triples the ontology entails over ontology+document+statements, minus the asserted ones."""
    ontology = graphs.get("ontology") or Graph()
    asserted: set = set()
    for name in REASONED_GRAPHS:
        if name in graphs:
            asserted.update(graphs[name])
    schema = _Schema(ontology)
    known = _closure(asserted, schema)
    result = Graph()
    for triple in known - asserted:
        if not any(isinstance(t, BNode) for t in triple):
            result.add(triple)
    return result
