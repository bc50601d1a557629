"""Responsibility chains and the actor graph, with networkx.

Two graphs are built from the knowledge graph through the library's own named questions,
so SPARQL stays the one definition of what an edge is:

* the **actor graph** (``relations.rq``): every relation statement of the policy as a typed,
  cited edge subject → object (relation, clause, article, quote), an ``nx.MultiDiGraph``;
* the **responsibility graph** (``responsibility_chain.rq``): the edges along which
  responsibility flows *downward* — statements whose predicate is a sub-property of
  ``pkg:responsibilityFlowsTo``, and statements whose predicate is the inverse of one
  (``X reportsTo Y`` gives Y → X when ``receivesReportFrom`` ⊑ responsibilityFlowsTo).

Chains between two actors are the simple paths of the responsibility graph, shortest first;
the downstream set of an actor is what it reaches there. A SPARQL property path over the same
properties (:meth:`ActorGraph.sparql_path`) answers the same reachability questions; the tests
check that both agree.
"""
from __future__ import annotations

import io
import itertools
import json
import re
from dataclasses import dataclass, field

import networkx as nx
import pyoxigraph as ox

from policykg.ontology.namespaces import PKG, sparql_prologue
from policykg.queries.library import (ANY, INTERPRETED_LABEL, ParameterError, integer_term, load_library,
                                      python_value, run_query)

MAX_CHAINS = 200
RESPONSIBILITY_FLOWS_TO = str(PKG.responsibilityFlowsTo)
DEFAULT_MAX_LENGTH = 8
MEASURES = ("degree", "in_degree", "out_degree", "betweenness", "closeness", "pagerank")

_RESPONSIBILITY_PROPERTIES = sparql_prologue() + """\
SELECT DISTINCT ?p ?inverse WHERE {
  ?p rdfs:subPropertyOf+ pkg:responsibilityFlowsTo .
  FILTER(?p != pkg:responsibilityFlowsTo && isIRI(?p))
  OPTIONAL { { ?p owl:inverseOf ?inverse } UNION { ?inverse owl:inverseOf ?p } FILTER(isIRI(?inverse)) }
}
"""

_NODE_INFO = sparql_prologue() + """\
SELECT ?node ?label_en WHERE {
  ?node rdfs:label ?label_en FILTER(langMatches(lang(?label_en), "en"))
}
"""


def local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]


@dataclass
class Edge:
    source: str
    target: str
    relation: str            # the property along which responsibility flows (or the asserted one)
    asserted: str            # the predicate the statement asserts
    statement: str | None
    clause: str | None
    article: str | None
    clause_label: str | None
    quote: str | None
    relation_label: str | None = None
    interpreted: bool = False  # the statement is a reading (…/graph/interpretation), not stated by its quote

    def attrs(self) -> dict:
        return {"relation": self.relation, "relation_name": local_name(self.relation),
                "relation_label": self.relation_label or local_name(self.relation),
                "asserted": self.asserted, "statement": self.statement or "", "clause": self.clause or "",
                "article": self.article or "", "clause_label": self.clause_label or "", "quote": self.quote or "",
                "interpreted": bool(self.interpreted)}


@dataclass
class ActorGraph:
    graph: nx.MultiDiGraph                 # every relation statement
    responsibility: nx.MultiDiGraph        # responsibility flows downward along these
    properties: dict = field(default_factory=dict)   # responsibility property -> its inverse (or None)
    # (source, target) -> why "responsibility flows from source to target" was inferred (see justifications)
    inferences: dict = field(default_factory=dict)

    # -- building -----------------------------------------------------------------
    @classmethod
    def build(cls, store, resolver) -> "ActorGraph":
        library = load_library()
        clauses = resolver.clauses
        labels_en = {r["node"].value: r["label_en"].value for r in store.select(_NODE_INFO)}
        graph = nx.MultiDiGraph(name="policykg actor graph")
        for row in run_query(library["relations"], store, {}, resolver, clauses)["rows"]:
            edge = Edge(row["subject"], row["object"], row["predicate"], row["predicate"], row["statement"],
                        row.get("clause"), row.get("article"), row.get("clause_label"), row.get("quote"),
                        row.get("relation_label"), bool(row.get("interpreted")))
            _add(graph, edge, row.get("subject_label"), row.get("object_label"), labels_en, resolver)
        properties = {}
        for row in store.select(_RESPONSIBILITY_PROPERTIES):
            properties.setdefault(row["p"].value, row["inverse"].value if "inverse" in row else None)
        responsibility = nx.MultiDiGraph(name="policykg responsibility graph")
        for row in edge_rows(store, library["responsibility_chain"], clauses):
            edge = Edge(row["source"], row["target"], row["predicate"], row["asserted"], row["statement"],
                        row.get("clause"), row.get("article"), row.get("clause_label"), row.get("quote"),
                        row.get("relation_label"), bool(row.get("interpreted")))
            _add(responsibility, edge, row.get("source_label"), row.get("target_label"), labels_en, resolver)
        return cls(graph, responsibility, properties, justifications(store, library, clauses))

    # -- chains ---------------------------------------------------------------------
    def chains(self, source: str, target: str, max_length: int = DEFAULT_MAX_LENGTH,
               limit: int = MAX_CHAINS) -> list[list[str]]:
        """Simple paths source → target of at most ``max_length`` hops, shortest first."""
        g = self.responsibility
        if source not in g or target not in g or source == target:
            return []
        simple = nx.DiGraph(g)
        paths = nx.all_simple_paths(simple, source, target, cutoff=max_length)
        found = list(itertools.islice(paths, 10_000))
        found.sort(key=lambda p: (len(p), [self.label(n) for n in p]))
        return found[:limit]

    def chain_rows(self, paths: list[list[str]]) -> list[dict]:
        """One row per hop (and per statement supporting it), each with its citation."""
        rows = []
        for number, path in enumerate(paths, start=1):
            text = " → ".join(self.label(n) for n in path)
            for step, (a, b) in enumerate(zip(path, path[1:]), start=1):
                for data in sorted(self.responsibility.get_edge_data(a, b).values(),
                                   key=lambda d: (d["clause"], d["statement"])):
                    rows.append({"chain": number, "length": len(path) - 1, "step": step, "path": text,
                                 "source": a, "source_label": self.label(a), "relation": data["relation"],
                                 "relation_label": data["relation_label"], "target": b,
                                 "target_label": self.label(b), "statement": data["statement"] or None,
                                 "clause": data["clause"] or None, "article": data["article"] or None,
                                 "clause_label": data["clause_label"] or None, "quote": data["quote"] or None,
                                 "interpreted": data.get("interpreted", False),
                                 "interpreted_label": INTERPRETED_LABEL if data.get("interpreted") else None,
                                 **self._justified(a, b)})
        return rows

    def _justified(self, source: str, target: str) -> dict:
        """The inference that makes the hop a flow of responsibility, as row fields."""
        why = self.inferences.get((source, target))
        if why is None:
            return {"inference": None, "inference_rule": None, "justification": None}
        return {"inference": why["inference"], "inference_rule": why["rule"], "justification": why}

    def downstream(self, source: str, max_length: int | None = None) -> list[dict]:
        """Everything responsibility flows to from ``source``, nearest first, with the edge that reaches it."""
        g = self.responsibility
        if source not in g:
            return []
        distances = nx.single_source_shortest_path_length(g, source, cutoff=max_length)
        rows = []
        for node, distance in sorted(distances.items(), key=lambda kv: (kv[1], self.label(kv[0]))):
            if node == source:
                continue
            preds = sorted(p for p in g.predecessors(node) if distances.get(p) == distance - 1)
            data = sorted(g.get_edge_data(preds[0], node).values(), key=lambda d: (d["clause"], d["statement"]))[0]
            path = nx.shortest_path(g, source, node)
            rows.append({"actor": node, "actor_label": self.label(node), "distance": distance,
                         "path": " → ".join(self.label(n) for n in path), "from": preds[0],
                         "from_label": self.label(preds[0]), "relation": data["relation"],
                         "relation_label": data["relation_label"], "statement": data["statement"] or None,
                         "clause": data["clause"] or None, "article": data["article"] or None,
                         "clause_label": data["clause_label"] or None, "quote": data["quote"] or None})
        return rows

    def reachable(self, source: str) -> set[str]:
        return set(nx.descendants(self.responsibility, source)) if source in self.responsibility else set()

    # -- centrality -------------------------------------------------------------------
    def centrality(self, measure: str = "degree", scope: str = "all") -> list[dict]:
        if measure not in MEASURES:
            raise ParameterError("invalid_parameter", f"measure must be one of {', '.join(MEASURES)}", "measure")
        g = nx.DiGraph(self.graph if scope == "all" else self.responsibility)
        if g.number_of_nodes() == 0:
            return []
        if measure == "degree":
            scores = nx.degree_centrality(g)
        elif measure == "in_degree":
            scores = nx.in_degree_centrality(g)
        elif measure == "out_degree":
            scores = nx.out_degree_centrality(g)
        elif measure == "betweenness":
            scores = nx.betweenness_centrality(g)
        elif measure == "closeness":
            scores = nx.closeness_centrality(g)
        else:
            scores = pagerank(g)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], self.label(kv[0])))
        return [{"rank": i, "actor": node, "actor_label": self.label(node), "score": round(score, 6),
                 "in_degree": self.graph.in_degree(node) if node in self.graph else 0,
                 "out_degree": self.graph.out_degree(node) if node in self.graph else 0}
                for i, (node, score) in enumerate(ranked, start=1)]

    # -- export -------------------------------------------------------------------------
    def subgraph(self, scope: str) -> nx.MultiDiGraph:
        return self.responsibility if scope == "responsibility" else self.graph

    def export(self, fmt: str, scope: str = "all") -> str:
        g = self.subgraph(scope)
        if fmt == "graphml":
            return "\n".join(nx.generate_graphml(g, named_key_ids=True)) + "\n"
        if fmt == "gexf":
            out = io.BytesIO()
            nx.write_gexf(g, out)
            return out.getvalue().decode("utf-8")
        if fmt == "json":
            return json.dumps(self.cytoscape(scope), ensure_ascii=False, indent=1) + "\n"
        raise ParameterError("invalid_parameter", "format must be graphml, gexf or json", "format")

    def cytoscape(self, scope: str = "all") -> dict:
        """Cytoscape.js elements: ``{"nodes": [{"data": {...}}], "edges": [{"data": {...}}]}``."""
        g = self.subgraph(scope)
        nodes = [{"data": {"id": n, **{k: v for k, v in d.items()}}} for n, d in sorted(g.nodes(data=True))]
        edges = []
        for a, b, key, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2]))):
            edges.append({"data": {"id": f"{key}|{a}|{b}" if scope != "all" else str(key), "source": a,
                                   "target": b, "label": d.get("relation_label"), **d}})
        return {"nodes": nodes, "edges": edges}

    def label(self, iri: str) -> str:
        for g in (self.graph, self.responsibility):
            if iri in g and g.nodes[iri].get("label"):
                return g.nodes[iri]["label"]
        return local_name(iri)

    # -- SPARQL twins (for agreement tests and for users) --------------------------------
    def sparql_path(self) -> str:
        """A SPARQL property path that follows the responsibility graph's edges over plain triples."""
        steps = []
        for prop, inverse in sorted(self.properties.items()):
            steps.append(f"<{prop}>")
            if inverse:
                steps.append(f"^<{inverse}>")
        return "(" + "|".join(steps) + ")" if steps else "(<urn:policykg:none>)"


def justifications(store, library, clauses) -> dict:
    """Why each ``source pkg:responsibilityFlowsTo target`` of the inferred graph holds: its inference node,
    the OWL 2 RL rule, the ontology axioms and the asserted statements (with clause and quote) it rests on,
    from the named question ``inference_justification`` (one row per source)."""
    found: dict = {}
    for row in edge_rows(store, library["inference_justification"], clauses, relation=RESPONSIBILITY_FLOWS_TO):
        key = (row["inferred_subject"], row["inferred_object"])
        why = found.setdefault(key, {"inference": row["inference"], "rule": row["rule"],
                                     "statements": [], "axioms": []})
        if row["inference"] != why["inference"]:
            continue            # one inferred triple per pair and predicate; keep the first node's sources
        if row.get("source_kind") == "statement":
            cited = {k: row.get(k) for k in ("statement", "clause", "article", "clause_label", "quote")}
            if cited not in why["statements"]:
                why["statements"].append(cited)
        elif row["source"] not in why["axioms"]:
            why["axioms"].append(row["source"])
    return found


def edge_rows(store, query, clauses, **fixed: str) -> list[dict]:
    """The rows of a query's own SPARQL with every parameter left open (bound to ANY) but those ``fixed``
    to an IRI."""
    bindings = {p.variable: ox.NamedNode(fixed.get(p.variable, ANY)) for p in query.params}
    rows = [{k: python_value(v) for k, v in s.items()} for s in store.select(query.sparql, bindings=bindings)]
    return [clauses.cite(r) for r in rows]


def _add(graph: nx.MultiDiGraph, edge: Edge, source_label, target_label, labels_en, resolver) -> None:
    for node, label in ((edge.source, source_label), (edge.target, target_label)):
        if node not in graph:
            entity = resolver.entities.get(node)
            graph.add_node(node, label=label or (entity.label_zh if entity else None) or local_name(node),
                           label_en=labels_en.get(node, local_name(node)), name=local_name(node),
                           kind=",".join(sorted(entity.kinds)) if entity else "")
    key = edge.statement or f"{edge.source}|{edge.asserted}|{edge.target}"
    if not graph.has_edge(edge.source, edge.target, key):
        graph.add_edge(edge.source, edge.target, key=key, **edge.attrs())


def pagerank(g: nx.DiGraph, alpha: float = 0.85, iterations: int = 100, tol: float = 1e-9) -> dict:
    """PageRank by power iteration (networkx's own needs numpy/scipy, which we do not ship)."""
    nodes = list(g)
    n = len(nodes)
    rank = dict.fromkeys(nodes, 1.0 / n)
    out = {v: g.out_degree(v) for v in nodes}
    for _ in range(iterations):
        dangling = alpha * sum(rank[v] for v in nodes if out[v] == 0) / n
        new = dict.fromkeys(nodes, (1.0 - alpha) / n + dangling)
        for v in nodes:
            if out[v]:
                share = alpha * rank[v] / out[v]
                for w in g.successors(v):
                    new[w] += share
        if sum(abs(new[v] - rank[v]) for v in nodes) < n * tol:
            return new
        rank = new
    return rank


def actor_graph(store, resolver) -> ActorGraph:
    """The actor graph for this store (built once per resolver, i.e. once per data state)."""
    return resolver.per_state("actor_graph", lambda: ActorGraph.build(store, resolver))


# -- handlers of named questions (see the ``#+ handler:`` header) ---------------------------

def _iri(term) -> str | None:
    value = python_value(term)
    return None if value in (None, ANY) else value


def chain_rows(query, store, bindings, resolved, resolver):
    graph = actor_graph(store, resolver)
    source, target = _iri(bindings.get("from")), _iri(bindings.get("to"))
    max_length = python_value(bindings.get("max_length"))
    max_length = DEFAULT_MAX_LENGTH if max_length in (None, ANY) else int(max_length)
    rows = graph.chain_rows(graph.chains(source, target, max_length)) if source and target else []
    columns = ["chain", "length", "step", "path", "source", "source_label", "relation", "relation_label",
               "target", "target_label", "interpreted", "statement", "clause", "quote", "inference", "inference_rule"]
    return rows, columns


def downstream_rows(query, store, bindings, resolved, resolver):
    graph = actor_graph(store, resolver)
    source = _iri(bindings.get("actor"))
    max_length = python_value(bindings.get("max_length"))
    max_length = None if max_length in (None, ANY) else int(max_length)
    rows = graph.downstream(source, max_length) if source else []
    columns = ["actor", "actor_label", "distance", "path", "from", "from_label", "relation", "relation_label",
               "statement", "clause", "quote"]
    return rows, columns


__all__ = ["ActorGraph", "DEFAULT_MAX_LENGTH", "MEASURES", "actor_graph", "chain_rows", "downstream_rows",
           "integer_term", "pagerank"]
