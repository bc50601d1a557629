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

import hashlib
from collections import defaultdict, deque

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, PROV, RDF, RDFS, XSD
from rdflib.term import _ORDERING   # rdflib's order of term types (BNode < URIRef < Literal …)

from policykg.ontology.namespaces import ELI, PKG
from policykg.settings import DEFAULT_BASE

# Graphs the closure reads; the background graph is deliberately left out.
REASONED_GRAPHS = ("ontology", "document", "statements")
RDF_TYPE = RDF.type
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
        # The closure visits every triple: each lookup below is sorted once here, not at each visit.
        self.sorted_super_classes = _sorted_values(self.all_super_classes)
        self.sorted_super_props = _sorted_values(self.all_super_props)
        self.sorted_domain = _sorted_values(self.domain)
        self.sorted_range = _sorted_values(self.range)
        self.sorted_inverse = _sorted_values(self.inverse)

    @staticmethod
    def _closure(start, edges) -> set:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen and nxt != start:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen


def _sorted_values(mapping: dict) -> dict:
    return {key: tuple(sorted(values)) for key, values in mapping.items()}


def _node_rank(term) -> tuple:
    """A sort key giving rdflib's order of terms (type first, then the text) with C-level string
    comparisons; a literal object keeps rdflib's own comparison (by datatype and value)."""
    return _ORDERING.get(type(term), 0), (term if isinstance(term, Literal) else str(term))


def triple_order(triple) -> tuple:
    """Key for sorted(): the same order as sorting rdflib triples directly, several times faster."""
    s, p, o = triple
    return _node_rank(s), str(p), _node_rank(o)


_SPECIAL_PREDICATES = {RDF.type: "type", RDFS.subClassOf: "subClassOf", RDFS.subPropertyOf: "subPropertyOf"}


def _closure(asserted: set, schema: _Schema, why: dict | None = None) -> set:
    """The closure of ``asserted``. ``why``, when given, receives for every derived triple its first
    derivation: ``(axiom term, rule, premises)`` — the term whose axiom licensed it (the subclass,
    the sub-/inverse/symmetric/transitive property, the property with the chain axiom or the
    domain/range) and the triples it was derived from."""
    known = set(asserted)
    queue = deque(sorted(asserted, key=triple_order))   # sorted: the first derivation of a triple (its justification) is reproducible
    out_index: dict = defaultdict(set)   # (p, s) -> {o} for transitive and chain properties
    in_index: dict = defaultdict(set)    # (p, o) -> {s}
    indexed = schema.transitive | schema.chain_props
    current: list = [None]               # the triple being expanded (the first premise)

    def add(triple, axiom=None, rule="", extra=()):
        if triple not in known:
            known.add(triple)
            queue.append(triple)
            if why is not None:
                why[triple] = (axiom, rule, (current[0], *extra))

    def index(s, p, o):
        if p in indexed:
            out_index[(p, s)].add(o)
            in_index[(p, o)].add(s)

    for s, p, o in asserted:
        index(s, p, o)

    while queue:
        s, p, o = current[0] = queue.popleft()
        if isinstance(s, BNode):
            continue
        special = _SPECIAL_PREDICATES.get(p)
        if special == "type":
            if isinstance(o, URIRef):
                for d in schema.sorted_super_classes.get(o, ()):
                    if d not in _SKIP_CLASSES:
                        add((s, p, d), o, "cax-sco")
            continue
        if special == "subClassOf":
            if isinstance(o, URIRef):
                for d in schema.sorted_super_classes.get(o, ()):
                    if d != s:
                        add((s, p, d), o, "scm-sco")
            continue
        if special == "subPropertyOf":
            if isinstance(o, URIRef):
                for q in schema.sorted_super_props.get(o, ()):
                    if q != s:
                        add((s, p, q), o, "scm-spo")
            continue
        index(s, p, o)
        for q in schema.sorted_super_props.get(p, ()):
            add((s, q, o), p, "prp-spo1")
        for c in schema.sorted_domain.get(p, ()):
            add((s, RDF_TYPE, c), p, "prp-dom")
        if isinstance(o, Literal) or isinstance(o, BNode):
            continue
        for c in schema.sorted_range.get(p, ()):
            add((o, RDF_TYPE, c), p, "prp-rng")
        for q in schema.sorted_inverse.get(p, ()):
            add((o, q, s), p, "prp-inv")
        if p in schema.symmetric:
            add((o, p, s), p, "prp-symp")
        if p in schema.transitive:
            for z in sorted(out_index.get((p, o), ())):
                if z != s:
                    add((s, p, z), p, "prp-trp", ((o, p, z),))
            for w in sorted(in_index.get((p, s), ())):
                if w != o:
                    add((w, p, o), p, "prp-trp", ((w, p, s),))
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
                for w in sorted(lefts):
                    for z in sorted(rights):
                        add((w, q, z), q, "prp-spo2", _chain_premises(steps, i, w, s, o, z, in_index, out_index))
    return known


def _chain_premises(steps, i, w, s, o, z, in_index, out_index) -> tuple:
    """The other links of one chain w —steps→ z through the triple (s, steps[i], o): one path each side."""
    out, x = [], s
    for prev in reversed(steps[:i]):          # walk back from s to w
        y = next((y for y in sorted(in_index.get((prev, x), ())) if prev != steps[0] or y == w), None)
        if y is None:
            return tuple(out)
        out.append((y, prev, x))
        x = y
    x = o
    for nxt in steps[i + 1:]:                 # and on from o to z
        y = next((y for y in sorted(out_index.get((nxt, x), ())) if nxt != steps[-1] or y == z), None)
        if y is None:
            break
        out.append((x, nxt, y))
        x = y
    return tuple(out)


def infer(graphs: dict[str, Graph], justify: bool = True, new_graph=Graph) -> Graph:
    """The triples the ontology entails over ontology+document+statements, minus the asserted ones,
    each (with ``justify``) with its justification: see :func:`justifications`. ``new_graph`` makes
    the result (the build's lean TripleSet for big inputs)."""
    ontology = graphs.get("ontology") or Graph()
    asserted: set = set()
    for name in REASONED_GRAPHS:
        if name in graphs:
            asserted.update(graphs[name])
    schema = _Schema(ontology)
    why: dict = {}
    known = _closure(asserted, schema, why)
    result = new_graph()
    for triple in known - asserted:
        if not any(isinstance(t, BNode) for t in triple):
            result.add(triple)
    if justify:
        justifications(result, why, asserted, graphs.get("statements") or Graph(), _base(graphs))
    return result


def _base(graphs: dict[str, Graph]) -> str:
    """The instance base, read off the document's IRI ({base}id/doc/{id}); the default without one."""
    for doc in sorted((graphs.get("document") or Graph()).subjects(RDF.type, ELI.LegalResource)):
        if "id/doc/" in str(doc):
            return str(doc).split("id/doc/", 1)[0]
    return DEFAULT_BASE


def justifications(result: Graph, why: dict, asserted: set, statements: Graph, base: str) -> None:
    """For every inferred triple, a node ``{base}id/inference/<hash>`` (an ``rdf:Statement`` and
    ``prov:Entity`` reifying it) with ``prov:wasDerivedFrom`` the asserted sources it rests on and
    the axiom term, and ``pkg:inferenceRule`` the OWL 2 RL rule. A source is the relation statement
    that reifies an asserted premise, or, for a premise about a statement or unit node (its type,
    its bearer), that node itself; premises that are themselves inferred are followed down to
    asserted ones, so an edge of a chain is cited down to its clauses."""
    stated_by: dict = defaultdict(set)
    for stmt in statements.subjects(RDF.type, PKG.RelationStatement):
        triple = (statements.value(stmt, RDF.subject), statements.value(stmt, RDF.predicate),
                  statements.value(stmt, RDF.object))
        stated_by[triple].add(stmt)
    cache: dict = {}

    def sources(triple, depth=0) -> tuple[set, set]:
        """(asserted sources, axiom terms) of one triple."""
        if triple in cache:
            return cache[triple]
        if triple in asserted or triple not in why or depth > 50:
            found = stated_by.get(triple) or ({triple[0]} if isinstance(triple[0], URIRef) else set())
            cache[triple] = (set(found), set())
            return cache[triple]
        axiom, _, premises = why[triple]
        srcs, axioms = set(), {axiom} if isinstance(axiom, URIRef) else set()
        for premise in premises:
            if premise is not None:
                s, a = sources(premise, depth + 1)
                srcs |= s
                axioms |= a
        cache[triple] = (srcs, axioms)
        return cache[triple]

    # Terms looked up once: a namespace attribute is a Python call, and this loop runs per inferred triple.
    a, statement, entity = RDF.type, RDF.Statement, PROV.Entity
    subject, predicate, object_, rule, derived = RDF.subject, RDF.predicate, RDF.object, PKG.inferenceRule, \
        PROV.wasDerivedFrom
    rules: dict[str, Literal] = {}
    for triple in sorted(result, key=triple_order):
        s, p, o = triple
        node = URIRef(f"{base}id/inference/" + hashlib.sha1(f"{s} {p} {o}".encode("utf-8")).hexdigest()[:20])
        srcs, axioms = sources(triple)
        name = why[triple][1]
        result.add((node, a, statement))
        result.add((node, a, entity))
        result.add((node, subject, s))
        result.add((node, predicate, p))
        result.add((node, object_, o))
        result.add((node, rule, rules.get(name) or rules.setdefault(name, Literal(name))))
        for src in sorted(srcs | axioms):
            result.add((node, derived, src))
