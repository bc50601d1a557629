"""Kind entity resolution: name an actor by IRI, label or short form; name a clause by number.

Everything is read from the graph: an entity's names are its ``rdfs:label``,
``skos:prefLabel`` and ``skos:altLabel`` (the ontology gives actor classes their short
forms, e.g. 居委会 for pkg:ResidentsCommittee, as ``skos:altLabel@zh``). There is no
second alias table here.

Ranking (higher is better)::

    100  the IRI itself, a prefixed name (pkg:ResidentsCommittee) or the local name
     90  a label (rdfs:label / skos:prefLabel), zh or en, exactly
     85  a short form (skos:altLabel) exactly
     60  the name is the start of a label (社区居委 → 社区居民委员会 is *not* this; 社区居民 is)
     50  the name occurs inside a label
     40  a label occurs inside the name (社区居民委员会的 → 社区居民委员会)

A name resolves to one entity when a single entity holds the best score and that score
is an exact match (>= 85), when it is the only candidate at all, or when its partial match
is at least 10 points ahead of the next. Otherwise the
caller gets :class:`ParameterError` ``ambiguous`` or ``not_found`` with the candidates.
"""
from __future__ import annotations

import functools
from functools import cached_property
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox

from policykg.iris import graph_iri
from policykg.loader.numbering import to_int
from policykg.ontology.namespaces import PREFIXES, sparql_prologue
from policykg.queries.citation import cite, cn_numeral
from policykg.queries.library import ParameterError

PKG = PREFIXES["pkg"]
RDFS_LABEL = PREFIXES["rdfs"] + "label"
EXACT = 85

# The names the resolver reads: those in the policy's graphs, and in the background graph only those
# of its statements and of what a statement names (姑苏区). A register loaded into the background
# (a province: millions of labelled rows) is not read: no question resolves a row by name, and
# reading them all made the service's memory grow with the data (bench/RESULTS.md).
# The name properties, ranked: rdfs:label, then skos:prefLabel (both "labels"), then skos:altLabel.
_RANK = {PREFIXES["rdfs"] + "label": 0, PREFIXES["skos"] + "prefLabel": 1, PREFIXES["skos"] + "altLabel": 2}
ALT = 2
BATCH = 400     # IRIs in one VALUES block (query text of tens of KB at most)
# Each name query has a constant graph and property (one per graph and property): over a large graph
# a variable one (VALUES ?g, VALUES ?p, a UNION of BINDs) made Oxigraph scan every label (minutes at
# 6 million quads) and a UNION of BINDs inside GRAPH ?g stopped Virtuoso 7.2's server.
_NAMES_IN_GRAPH = "SELECT ?s ?label WHERE {{ {values}GRAPH <{graph}> {{ ?s <{prop}> ?label }} " \
                  "FILTER(isIRI(?s) && isLiteral(?label)) }}"
# The background's statements and what they name (its register rows are neither).
_STATEMENT_LINKED = sparql_prologue() + """SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{
  {{ ?s rdf:subject ?x }} UNION {{ ?x rdf:subject ?s }} UNION {{ ?x rdf:object ?s }} }} FILTER(isIRI(?s)) }}"""


def _batches(iris) -> list[str]:
    """``iris`` as the contents of VALUES blocks of at most BATCH IRIs each."""
    ordered = sorted(iris)
    return [" ".join(f"<{i}>" for i in ordered[k:k + BATCH]) for k in range(0, len(ordered), BATCH)]

# The classes whose subclasses and members are actors: organizations, posts, people and agents.
_ACTOR_TOPS = ("org:Organization", "org:FormalOrganization", "org:OrganizationalUnit", "org:Post",
               "foaf:Person", "foaf:Agent", "foaf:Organization", "prov:Agent")


def _each_top(pattern: str) -> str:
    """``pattern`` once per actor class, joined by UNION: each property path starts at a constant
    (Virtuoso cannot take a path's end from VALUES: "transitive start not given")."""
    return " UNION ".join("{ " + pattern.replace("?top", top) + " }" for top in _ACTOR_TOPS)


# The classes of actors (punned as actors themselves); an entity typed by one, or by a top class, is one.
_ACTOR_CLASSES_QUERY = f"{sparql_prologue()}SELECT DISTINCT ?s WHERE {{\n{_each_top('?s rdfs:subClassOf+ ?top')}\n}}\n"
# The types of the entities read (a VALUES block of their IRIs): not every typed row of the data.
_TYPES_QUERY = sparql_prologue() + "SELECT DISTINCT ?s ?type WHERE {{ VALUES ?s {{ {} }} ?s rdf:type ?type }}\n"

# What classifies an entity as each other kind, one query per kind: one query joining them all by
# UNION makes Virtuoso 7.2's SPARQL compiler fail (SP031 sparp_gp_deprecate, docs/operations.md).
_KINDS_QUERIES = tuple((kind, f"{sparql_prologue()}SELECT DISTINCT ?s WHERE {{\n{where}\n}}\n") for kind, where in (
    # anything a relation statement or a norm names as a party
    ("party", "{ ?st rdf:subject ?s } UNION { ?st rdf:object ?s } UNION { ?st pkg:bearer ?s }\n"
              "?st a ?stype . VALUES ?stype { pkg:RelationStatement pkg:Norm } FILTER(isIRI(?s))"),
    ("topic", "?s skos:inScheme pkg:TopicScheme ."),
    ("modality", "?s skos:inScheme pkg:ModalityScheme ."),
    ("relation", "?s a owl:ObjectProperty . FILTER(STRSTARTS(STR(?s), STR(pkg:)))"),
    ("task", "?s a pkg:Task ."),
))


def normalize(text: str) -> str:
    """Fold width and case, drop spaces, quotes and trailing punctuation: a key for matching."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[\s\u3000“”\"'‘’「」《》]+", "", text)
    return text.strip("?？!！。.,，、:：;；")


@dataclass
class Entity:
    iri: str
    labels: dict = field(default_factory=dict)        # lang -> first label
    names: list = field(default_factory=list)         # (normalized, score-if-exact, original)
    kinds: set = field(default_factory=set)

    @property
    def label_zh(self):
        return self.labels.get("zh") or self.labels.get("zh-hans") or self.labels.get("") or self.labels.get("en")

    @property
    def label_en(self):
        return self.labels.get("en")

    def summary(self, score=None, matched=None) -> dict:
        out = {"iri": self.iri, "label_zh": self.label_zh, "label_en": self.label_en,
               "kinds": sorted(self.kinds)}
        if score is not None:
            out["score"] = score
        if matched is not None:
            out["matched"] = matched
        return out


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]


class Resolver:
    """Names to IRIs over one store (built once per store state; cheap to query)."""

    def __init__(self, store, base: str):
        self.store = store
        self.base = base
        self.entities: dict[str, Entity] = {}
        self._built: dict[str, object] = {}
        self._building: dict[str, threading.Lock] = {}
        self._building_guard = threading.Lock()
        self._load()
        self.clauses = ClauseIndex(store, base)

    def _names(self) -> list[tuple[str, int, object]]:
        """(IRI, rank, label) of every name read: in rank order (rdfs:label, skos:prefLabel,
        skos:altLabel), within a rank the policy's graphs first, each store's order within a graph.
        Also keeps which entities the background labels (for :attr:`background_only`)."""
        background = graph_iri(self.base, "background")
        graphs = self.store.default_graph_names()
        policy = [g for g in graphs if g != background]
        linked = ([{row["s"].value for row in self.store.select(_STATEMENT_LINKED.format(graph=background))}]
                  if background in graphs else [])
        rows, seen = [], set()
        self._background_named: set[str] = set()
        for prop, rank in _RANK.items():
            queries = [(_NAMES_IN_GRAPH.format(values="", graph=g, prop=prop), False) for g in policy]
            for subjects in linked:
                queries += [(_NAMES_IN_GRAPH.format(values=f"VALUES ?s {{ {values} }} ", graph=background,
                                                    prop=prop), True) for values in _batches(subjects)]
            for query, in_background in queries:
                for row in self.store.select(query):
                    name = (row["s"].value, rank, row["label"])
                    if in_background and rank == 0:
                        self._background_named.add(name[0])
                    if name not in seen:    # the same name in two graphs is one name
                        seen.add(name)
                        rows.append(name)
        return rows

    def _load(self) -> None:
        for iri, how, label in self._names():
            if "/statement/" in iri or "/id/doc/" in iri:
                continue  # statements and clauses are named by their own routes
            entity = self.entities.setdefault(iri, Entity(iri))
            lang = (getattr(label, "language", None) or "").lower()
            if how < ALT:
                entity.labels.setdefault(lang, label.value)
            entity.names.append((normalize(label.value), 90 if how < ALT else 85, label.value))
        actor_classes = {row["s"].value for row in self.store.select(_ACTOR_CLASSES_QUERY)}
        for iri in actor_classes & self.entities.keys():
            self.entities[iri].kinds.add("actor")
        actor_types = actor_classes | {PREFIXES[t.split(":")[0]] + t.split(":")[1] for t in _ACTOR_TOPS}
        for values in _batches(self.entities):
            for row in self.store.select(_TYPES_QUERY.format(values)):
                if row["type"].value in actor_types:
                    self.entities[row["s"].value].kinds.add("actor")
        for kind, query in _KINDS_QUERIES:
            for row in self.store.select(query):
                iri = row["s"].value
                if iri in self.entities:
                    self.entities[iri].kinds.add(kind)
        for entity in self.entities.values():
            if "party" in entity.kinds:
                entity.kinds.discard("party")
                if not entity.kinds & {"topic", "modality", "relation"}:
                    entity.kinds.add("actor")
            entity.names.sort(key=lambda n: -n[1])

    def per_state(self, name: str, make):
        """What ``make()`` builds over this store state, built once and kept with the resolver (a new
        data state has a new resolver): the actor graph, the question-answering context, the locator.

        Built once even when many requests want it at the same moment, as they do when a fresh server
        process meets a burst of questions: each build takes seconds of CPU and a hundred MB, and
        built by every waiting thread at once they starved the process and left it at the peak."""
        try:
            return self._built[name]
        except KeyError:
            pass
        with self._building_guard:
            lock = self._building.setdefault(name, threading.Lock())
        with lock:
            if name not in self._built:
                self._built[name] = make()
        return self._built[name]

    @cached_property
    def background_only(self) -> set[str]:
        """Things only another source names (…/graph/background, e.g. 姑苏区, set up in 2012): a
        question naming one asks about something the policy does not speak of."""
        background = graph_iri(self.base, "background")
        named = self._background_named & self.entities.keys()   # what the resolver read there (_names)
        elsewhere: set[str] = set()
        for values in _batches(named):
            query = (f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
                     f"FILTER(?g != <{background}>) }}")
            elsewhere |= {row["s"].value for row in self.store.select(query)}
        return named - elsewhere

    # -- IRIs ------------------------------------------------------------------
    def expand_iri(self, value: str) -> str | None:
        """An absolute IRI for ``value`` (an IRI, <IRI>, prefix:local or a service path /id/...)."""
        value = value.strip()
        if value.startswith("<") and value.endswith(">"):
            value = value[1:-1]
        if value.startswith("/id/"):
            value = self.base + value[1:]
        prefix, sep, local = value.partition(":")
        if sep and prefix in PREFIXES and not local.startswith("//"):
            value = PREFIXES[prefix] + local
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"{}|\\^`]+$", value):
            return value
        return None

    # -- ranking ----------------------------------------------------------------
    def _accepts(self, entity: Entity, kind: str | None) -> bool:
        if kind in (None, "entity"):
            return True
        if kind == "actor":
            return "actor" in entity.kinds
        return kind in entity.kinds

    def candidates(self, name: str, kind: str | None = None, limit: int = 10) -> list[dict]:
        """Ranked matches for ``name`` (best first)."""
        iri = self.expand_iri(name)
        key = normalize(name)
        scored: dict[str, tuple[int, str]] = {}
        if not key:
            return []
        for entity in self.entities.values():
            if not self._accepts(entity, kind):
                continue
            best = (0, "")
            if iri and entity.iri == iri or key == normalize(_local_name(entity.iri)) and entity.iri.startswith(PKG):
                best = (100, entity.iri)
            for norm, exact, original in entity.names:
                if not norm:
                    continue
                if key == norm:
                    score = exact
                elif norm.startswith(key) and len(key) >= 2:
                    score = 60 - min(20, len(norm) - len(key))
                elif key in norm and len(key) >= 2:
                    score = 50 - min(20, len(norm) - len(key))
                elif norm in key and len(norm) >= 2 and len(key) - len(norm) <= 2:
                    score = 40 - (len(key) - len(norm))
                else:
                    continue
                if score > best[0]:
                    best = (score, original)
            if best[0] > 0:
                scored[entity.iri] = best
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1][0], len(self.entities[kv[0]].label_zh or ""),
                                                        kv[0]))
        return [self.entities[iri].summary(score, matched) for iri, (score, matched) in ranked[:limit]]

    def resolve_one(self, name: str, kind: str | None = None, parameter: str | None = None) -> dict:
        """The one entity ``name`` means, or ParameterError (not_found / ambiguous) with candidates."""
        if kind == "clause":
            return self.clauses.resolve(name, parameter)
        found = self.candidates(name, kind)
        what = {"actor": "actor", "topic": "topic", "modality": "modality", "relation": "relation",
                "task": "task"}.get(kind or "", "entity")
        if not found:
            iri = self.expand_iri(name)
            if iri and kind in (None, "entity") and self.store.ask(
                    "ASK { { ?s ?p ?o } UNION { ?o ?p ?s } }", bindings={"s": _named(iri)}):
                return {"iri": iri, "label_zh": None, "label_en": None, "kinds": [], "score": 100}
            suggestions = self.suggest(name, kind)
            raise ParameterError("not_found", f"no {what} is called {name!r}"
                                 + ("; did you mean one of the candidates?" if suggestions else ""),
                                 parameter, suggestions)
        best = self.pick(found)
        if best is not None:
            return best
        raise ParameterError("ambiguous", f"{name!r} may mean several {what}s; name one of the candidates",
                             parameter, found)

    @staticmethod
    def pick(found: list[dict]) -> dict | None:
        """The one candidate a ranked list means, or None when it is ambiguous (or empty).

        One best exact match, a lone candidate, or a partial match well ahead of the next.
        """
        if not found:
            return None
        top = found[0]["score"]
        if len([c for c in found if c["score"] == top]) == 1 and (
                top >= EXACT or len(found) == 1 or found[1]["score"] <= top - 10):
            return found[0]
        return None

    def suggest(self, name: str, kind: str | None, limit: int = 8) -> list[dict]:
        """Entities sharing characters with ``name`` (for a helpful not-found answer)."""
        key = set(normalize(name))
        scored = []
        for entity in self.entities.values():
            if not self._accepts(entity, kind):
                continue
            label = normalize(entity.label_zh or "")
            overlap = len(key & set(label))
            if overlap >= 2:
                scored.append((overlap, entity))
        scored.sort(key=lambda x: (-x[0], x[1].iri))
        return [e.summary() for _, e in scored[:limit]]

    def label(self, iri: str, lang: str = "zh") -> str | None:
        entity = self.entities.get(iri)
        if entity is None:
            return None
        return entity.label_zh if lang == "zh" else entity.label_en

    def names_of(self, iri: str) -> list[str]:
        """Every label and short form of an entity (zh first), as written."""
        entity = self.entities.get(iri)
        return [] if entity is None else [n[2] for n in entity.names]


def _named(iri: str):
    return ox.NamedNode(iri)


# -- clauses ------------------------------------------------------------------------

_UNITS_QUERY = sparql_prologue() + """\
SELECT ?unit ?type ?number ?ordinal ?sequence ?heading ?text ?start ?end ?parent WHERE {
  ?unit pkg:subdivisionType ?type .
  OPTIONAL { ?unit eli:number ?number }
  OPTIONAL { ?unit pkg:ordinal ?ordinal }
  OPTIONAL { ?unit pkg:sequence ?sequence }
  OPTIONAL { ?unit pkg:heading ?heading }
  OPTIONAL { ?unit pkg:text ?text }
  OPTIONAL { ?unit pkg:hasTextSegment/oa:hasSelector ?sel . ?sel oa:start ?start ; oa:end ?end }
  OPTIONAL { ?unit eli:is_part_of ?parent . ?parent pkg:subdivisionType ?ptype }
}
"""

def _to_int(text: str) -> int | None:
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isdigit():
        return int(text)
    try:
        return to_int(text)
    except Exception:  # not a numeral
        return None


@dataclass
class Unit:
    iri: str
    path: str
    kind: str
    number: str | None
    ordinal: int | None
    sequence: int
    heading: str | None
    text: str | None
    start: int | None
    end: int | None
    parent: str | None

    def as_dict(self) -> dict:
        return {"iri": self.iri, "path": self.path, "kind": self.kind, "number": self.number,
                "ordinal": self.ordinal, "sequence": self.sequence, "heading": self.heading,
                "text": self.text, "start": self.start, "end": self.end, "parent": self.parent}


class ClauseIndex:
    """The document's units (from the document graph), to resolve and cite clauses."""

    def __init__(self, store, base: str):
        self.base = base
        self.units: dict[str, Unit] = {}
        for row in store.select(_UNITS_QUERY):
            iri = row["unit"].value
            if iri in self.units:
                continue
            kind = _local_name(row["type"].value)
            kind = kind[len("subdivision"):].lower() if kind.startswith("subdivision") else kind.lower()
            get = lambda k: row[k].value if k in row else None  # noqa: E731
            doc_prefix = iri.split("/id/doc/", 1)[-1]
            path = doc_prefix.split("/", 1)[1] if "/" in doc_prefix else ""
            self.units[iri] = Unit(
                iri=iri, path=path, kind=kind, number=get("number"),
                ordinal=int(get("ordinal")) if get("ordinal") is not None else None,
                sequence=int(get("sequence")) if get("sequence") is not None else 0,
                heading=get("heading"), text=get("text"),
                start=int(get("start")) if get("start") is not None else None,
                end=int(get("end")) if get("end") is not None else None,
                parent=get("parent"))
        self.by_path: dict[str, list[Unit]] = {}
        for unit in sorted(self.units.values(), key=lambda u: u.sequence):
            self.by_path.setdefault(unit.path, []).append(unit)

    @functools.cached_property
    def leaf_texts(self) -> list[str]:
        """The texts of the units that hold no other unit (a part's text repeats its articles')."""
        parents = {unit.parent for unit in self.units.values() if unit.parent}
        return [u.text for u in self.units.values() if u.text and u.iri not in parents]

    def ordered(self) -> list[Unit]:
        return sorted(self.units.values(), key=lambda u: (u.sequence, u.iri))

    def article_of(self, iri: str) -> Unit | None:
        unit = self.units.get(iri)
        while unit is not None and unit.kind != "article":
            unit = self.units.get(unit.parent) if unit.parent else None
        return unit

    def label(self, unit: Unit, language: str = "zh") -> str:
        """How people cite the unit: 第19条, 第4条第(3)项, 第二部分, 序言, 结语 (English: art. 19 …)."""
        return cite(self.steps(unit), language)

    def steps(self, unit: Unit) -> list[tuple[str, object]]:
        """The (kind, number) steps of the unit's citation (see :mod:`policykg.queries.citation`):
        an item names its article, a paragraph the unit it belongs to."""
        if unit.kind == "article":
            return [("article", unit.number or unit.ordinal)]
        if unit.kind == "item":
            article = self.article_of(unit.iri)
            head = [("article", article.number or article.ordinal)] if article else []
            return head + [("item", unit.ordinal)]
        if unit.kind == "part":
            return [("part", unit.ordinal or unit.number)]
        if unit.kind == "paragraph":
            parent = self.units.get(unit.parent) if unit.parent else None
            return (self.steps(parent) if parent else []) + [("paragraph", unit.ordinal or 1)]
        if unit.kind in ("chapter", "section"):
            return [(unit.kind, unit.number)]
        return [(unit.kind, unit.path)]

    def cite(self, row: dict) -> dict:
        """Fill ``article`` and ``clause_label`` (and ``quote`` if missing) from ``row['clause']``."""
        clause = row.get("clause")
        unit = self.units.get(clause) if isinstance(clause, str) else None
        if unit is None:
            return row
        row = dict(row)
        article = self.article_of(unit.iri)
        row.setdefault("article", None)
        if row["article"] is None and article is not None:
            row["article"] = article.number or (str(article.ordinal) if article.ordinal else None)
        row["clause_label"] = self.label(unit)
        if not row.get("quote"):
            row["quote"] = unit.text
        return row

    # -- resolving --------------------------------------------------------------
    def path_for(self, name: str) -> str | None:
        """A unit path for the ways people name a clause."""
        text = unicodedata.normalize("NFKC", name).strip().rstrip("?？。")
        text = re.sub(r"\s+", "", text)
        if not text:
            return None
        if text in self.by_path:
            return text
        m = re.search(r"/id/doc/[^/]+/(.+)$", text)
        if m:
            return m.group(1)
        aliases = {"序言": "preamble", "前言": "preamble", "导语": "preamble",
                   "结语": "closing", "结尾": "closing", "结束语": "closing",   # 结语 is how it is cited
                   "落款": "signature", "主题词": "keywords", "印发": "imprint"}
        if text in aliases:
            return aliases[text]
        num = r"([0-9]+|[零一二两三四五六七八九十百]+)"
        m = re.fullmatch(rf"(?:第?{num}(?:条|\.)?)(?:第?[(（]?{num}[)）]?项?)?", text)
        if m:
            article, item = _to_int(m.group(1)), _to_int(m.group(2)) if m.group(2) else None
            if article is not None:
                return f"art/{article}" + (f"/item/{item}" if item else "")
        m = re.fullmatch(rf"第?{num}部分", text) or re.fullmatch(r"([一二三四五六七八九十]+)、?", text)
        if m:
            n = _to_int(m.group(1))
            return f"part/{n}" if n else None
        m = re.fullmatch(rf"第{num}章", text)
        if m:
            return f"chapter/{_to_int(m.group(1))}"
        return None

    def resolve(self, name: str, parameter: str | None = None) -> dict:
        iri = name.strip().strip("<>")
        unit = self.units.get(iri)
        if unit is None:
            path = self.path_for(name)
            # no path is no clause: never the unit whose path is empty (a document's own unit)
            found = self.by_path.get(path, []) if path else []
            unit = found[0] if found else None
        if unit is None:
            examples = [self.label(u) for u in self.ordered() if u.kind == "article"][:3]
            raise ParameterError(
                "not_found", f"no clause {name!r}; name one like 19, 第19条, 4(3), 第二部分 or a clause IRI",
                parameter, [{"iri": u.iri, "label_zh": self.label(u)} for u in self.ordered()
                            if self.label(u) in examples])
        return {"iri": unit.iri, "label_zh": self.label(unit), "path": unit.path, "kinds": ["clause"],
                "score": 100}


__all__ = ["ClauseIndex", "Entity", "Resolver", "Unit", "cn_numeral", "normalize"]
