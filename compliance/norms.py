"""The norms a register can be checked against, read from the policy graph.

A norm qualifies when it has a typed constraint (``pkg:hasConstraint``) or a condition
(``pkg:condition``): ODRL constraints with a left operand, an operator, a value, a unit, a
period and a basis. Everything the checks need — modality, action, bearers, objects, start and
deadline years, clause, exact quote — is read here, once, through the store interface.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from policykg.ontology.namespaces import PKG_URI

_PREFIXES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX odrl: <http://www.w3.org/ns/odrl/2/>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX pkg: <https://w3id.org/policykg/def/>
"""

_NORMS = _PREFIXES + """
SELECT ?norm ?label_zh ?label_en ?modality ?marker ?action ?clause ?quote ?start ?deadline WHERE {
  ?norm a pkg:Norm ; pkg:modality ?modality .
  FILTER EXISTS { ?norm pkg:hasConstraint|pkg:condition ?c }
  OPTIONAL { ?norm rdfs:label ?label_zh FILTER(lang(?label_zh) = "zh") }
  OPTIONAL { ?norm rdfs:label ?label_en FILTER(lang(?label_en) = "en") }
  OPTIONAL { ?norm pkg:modalMarker ?marker }
  OPTIONAL { ?norm pkg:action ?action }
  OPTIONAL { ?norm prov:wasDerivedFrom ?clause }
  OPTIONAL { ?norm oa:hasTarget/oa:hasSelector ?sel . ?sel a oa:TextQuoteSelector ; oa:exact ?quote }
  OPTIONAL { ?norm pkg:startDate/time:inXSDgYear ?start }
  OPTIONAL { ?norm pkg:deadline/time:inXSDgYear ?deadline }
}"""

_PARTIES = _PREFIXES + """
SELECT DISTINCT ?norm ?role ?thing WHERE {
  ?norm a pkg:Norm .
  FILTER EXISTS { ?norm pkg:hasConstraint|pkg:condition ?c }
  { ?norm pkg:bearer ?thing BIND("bearer" AS ?role) } UNION { ?norm pkg:normObject ?thing BIND("object" AS ?role) }
}"""

_CONSTRAINTS = _PREFIXES + """
SELECT ?norm ?role ?c ?left ?op ?value ?unit ?period ?basis ?text WHERE {
  { ?norm pkg:hasConstraint ?c BIND("standard" AS ?role) } UNION { ?norm pkg:condition ?c BIND("condition" AS ?role) }
  ?c odrl:leftOperand ?left ; odrl:operator ?op ; odrl:rightOperand ?value .
  OPTIONAL { ?c odrl:unit ?unit }
  OPTIONAL { ?c pkg:perPeriod ?period }
  OPTIONAL { ?c pkg:perBasis ?basis }
  OPTIONAL { ?c pkg:valueText ?text }
} ORDER BY ?norm ?c"""

_LABELS = _PREFIXES + """
SELECT ?term ?zh ?en WHERE {
  ?term skos:prefLabel|rdfs:label ?zh
  FILTER(lang(?zh) = "zh" && (STRSTARTS(STR(?term), STR(pkg:)) || CONTAINS(STR(?term), "/id/practice/")))
  OPTIONAL { ?term skos:prefLabel|rdfs:label ?en FILTER(lang(?en) = "en") }
}"""

_SUBCLASSES = _PREFIXES + """
SELECT ?sub ?super WHERE { GRAPH ?g { ?sub rdfs:subClassOf ?super } FILTER(isIRI(?sub) && isIRI(?super)) }"""

ODRL_URI = "http://www.w3.org/ns/odrl/2/"


def local(iri: str) -> str:
    """The local name of a vocabulary term (``pkg:UrbanCommunity`` → ``UrbanCommunity``, ``odrl:gteq`` → ``gteq``)."""
    for ns in (PKG_URI, ODRL_URI):
        if iri.startswith(ns):
            return iri[len(ns):]
    return iri


@dataclass(frozen=True)
class Constraint:
    """One ODRL constraint of a norm: a standard or a condition."""

    iri: str
    role: str               # "standard" or "condition"
    left: str               # leftOperand local name, e.g. leftOperandAmount
    operator: str           # gteq, gt, lteq, lt, eq, neq, approximately
    value: Decimal
    unit: str | None
    period: str | None
    basis: str | None
    text: str               # the exact words of the number (pkg:valueText)


@dataclass
class Norm:
    iri: str
    label_zh: str
    label_en: str
    modality: str           # StrictObligation, Obligation, ObligationInPrinciple, Recommendation, Permission ...
    marker: str
    action: str | None
    clause: str
    quote: str
    start_year: int | None
    deadline_year: int | None
    bearers: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    standards: list[Constraint] = field(default_factory=list)
    conditions: list[Constraint] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.iri.rsplit("/", 1)[-1]

    @property
    def article(self) -> str:
        """The clause as a reader cites it: 第19条, 第4条第(3)项."""
        path = self.clause.split("/statement/")[0]
        parts = path.split("/")
        if "art" not in parts:
            return parts[-1]
        words = f"第{parts[parts.index('art') + 1]}条"
        if "item" in parts:
            words += f"第({parts[parts.index('item') + 1]})项"
        return words


@dataclass
class PolicyNorms:
    """The norms with typed constraints, the vocabulary's labels and its class hierarchy."""

    norms: list[Norm]
    labels: dict[str, tuple[str, str]]      # local name → (zh, en)
    superclasses: dict[str, set[str]]       # local name → every superclass (transitive, local names)

    def label(self, term: str | None, lang: str = "zh") -> str:
        if not term:
            return ""
        zh, en = self.labels.get(term, (term, term))
        return zh if lang == "zh" else (en or zh)

    def is_a(self, sub: str, sup: str) -> bool:
        return sub == sup or sup in self.superclasses.get(sub, set())


def _value(row, name):
    term = row.get(name)
    return None if term is None else term.value


def _clause_order(norm: Norm):
    """Article order (art/2 before art/11), then the statement id."""
    numbers = [int(n) for n in re.findall(r"/(\d+)", norm.clause.split("/statement/")[0])]
    return numbers, norm.iri


def load_policy_norms(store) -> PolicyNorms:
    """Read the norms through the store interface (``select`` rows of pyoxigraph terms)."""
    norms: dict[str, Norm] = {}
    for row in store.select(_NORMS):
        iri = row["norm"].value
        if iri in norms:
            continue
        start, deadline = _value(row, "start"), _value(row, "deadline")
        norms[iri] = Norm(
            iri=iri, label_zh=_value(row, "label_zh") or "", label_en=_value(row, "label_en") or "",
            modality=local(row["modality"].value), marker=_value(row, "marker") or "",
            action=local(_value(row, "action")) if row.get("action") else None,
            clause=_value(row, "clause") or "", quote=_value(row, "quote") or "",
            start_year=int(start[:4]) if start else None, deadline_year=int(deadline[:4]) if deadline else None)
    for row in store.select(_PARTIES):
        norm = norms.get(row["norm"].value)
        if norm is None:
            continue
        target = norm.bearers if row["role"].value == "bearer" else norm.objects
        thing = local(row["thing"].value)
        if thing not in target:
            target.append(thing)
    for row in store.select(_CONSTRAINTS):
        norm = norms.get(row["norm"].value)
        if norm is None:
            continue
        c = Constraint(
            iri=row["c"].value, role=row["role"].value, left=local(row["left"].value),
            operator=local(row["op"].value), value=Decimal(row["value"].value),
            unit=local(_value(row, "unit")) if row.get("unit") else None,
            period=local(_value(row, "period")) if row.get("period") else None,
            basis=local(_value(row, "basis")) if row.get("basis") else None,
            text=_value(row, "text") or "")
        (norm.standards if c.role == "standard" else norm.conditions).append(c)
    labels = {}
    for row in store.select(_LABELS):
        term = local(row["term"].value)
        if term not in labels:
            labels[term] = (row["zh"].value, _value(row, "en") or "")
    direct: dict[str, set[str]] = {}
    for row in store.select(_SUBCLASSES):
        direct.setdefault(local(row["sub"].value), set()).add(local(row["super"].value))
    closure = {}
    for cls in direct:
        seen, todo = set(), list(direct[cls])
        while todo:
            sup = todo.pop()
            if sup not in seen:
                seen.add(sup)
                todo.extend(direct.get(sup, ()))
        closure[cls] = seen
    for norm in norms.values():
        norm.bearers.sort()
        norm.objects.sort()
    ordered = sorted(norms.values(), key=_clause_order)
    return PolicyNorms(ordered, labels, closure)
