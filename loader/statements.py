"""The statements graph (what the policy says) and the background graph, from the annotations.

``build_statements(documents, base)`` reads ``loader/annotations/*.yaml`` (see
:mod:`policykg.loader.annotations`), anchors every quote in its clause of the bundled document,
and returns ``{"statements": Graph, "background": Graph}``. It refuses to build — raising
:class:`~policykg.loader.annotations.AnnotationError`, a ``UserError`` naming the file, the
statement and the quote — when a quote is absent from its clause or occurs there more than once,
when a clause does not exist, or when a number's or a date's words are not in the quote.

Every statement follows one provenance pattern (queries rely on it)::

    <stmt> a pkg:RelationStatement , rdf:Statement ;          # or pkg:Norm + its deontic class
        rdf:subject pkg:CommunityPartyOrganization ; rdf:predicate pkg:leadsAndGuides ;
        rdf:object pkg:ResidentsCommittee ;
        pkg:modality pkg:Obligation ; pkg:modalMarker "要" ;
        rdfs:label "…"@zh , "…"@en ;
        prov:wasDerivedFrom <{doc}/art/5> ;                    # the most specific clause
        oa:hasTarget <stmt#target> .
    <stmt#target> a oa:SpecificResource ; oa:hasSource <{doc}/zh> ;
        oa:hasSelector <stmt#quote> , <stmt#position> .
    <stmt#quote> a oa:TextQuoteSelector ; oa:exact "…" ; oa:prefix "…" ; oa:suffix "…" .
    <stmt#position> a oa:TextPositionSelector ; oa:start 1234 ; oa:end 1260 .
    pkg:CommunityPartyOrganization pkg:leadsAndGuides pkg:ResidentsCommittee .   # the plain triple

Norms carry pkg:bearer, pkg:action, pkg:normObject, pkg:topic, pkg:hasConstraint / pkg:condition
(``<stmt#c1>`` … ODRL constraints), pkg:startDate / pkg:deadline (``<stmt#start>``,
``<stmt#deadline>``: time:Instant) and pkg:duration (``<stmt#duration>``). Sub-nodes are
fragments of the statement IRI, never blank nodes, so the output is deterministic.

Instance inheritance (issue 3): for every type-level relation between two classes of the
ontology whose text states it for every member of the kind (no modality, ``Obligation`` or
``StrictObligation``), the statements graph also holds the OWL 2 axiom that instances inherit::

    pkg:CommunityPartyOrganization rdfs:subClassOf [ a owl:Restriction ;
        owl:onProperty pkg:leadsAndGuides ; owl:someValuesFrom pkg:ResidentsCommittee ] .

OWL 2 DL requires anonymous class expressions to be blank nodes; these are the only blank nodes
of the graph, one per distinct (class, property, class), labelled from a hash of the three IRIs,
and the dataset writer canonicalises them (RDFC-1.0), so builds stay byte-identical.
"""
from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SKOS, TIME, XSD

from policykg import iris
from policykg.settings import DEFAULT_BASE
from policykg.loader.annotation_records import AnnotationError, Annotations, Constraint, DateSpec, Statement
from policykg.loader.annotations import ANNOTATIONS_DIR, load_annotations
from policykg.loader.document_graph import text_selection
from policykg.loader.inheritance import inheritance_axioms, ontology_classes
from policykg.ontology import ontology_graph
from policykg.ontology.namespaces import OA, ODRL, PKG

# The document the bundled annotations describe (the file stem of the bundled source).
ANNOTATED_DOC_ID = "suzhou-2011-community-party-building"

# Asserted vs interpreted (issue 14). The statements graph holds only what the quote states: a
# bearer, subject or object is stated when one of its zh labels (or the words ``named:`` gives)
# is in the quote. A norm whose quote names no bearer carries pkg:BearerNotStated there. Terms
# the quote does not name are readings the grammar or context implies: they go to the
# interpretation graph with a pkg:Interpretation node (its reason, and the statement or clause it
# interprets). An impersonal directive with no bearer in the annotation is read, like the whole
# opinion, as addressed to the Party committees at all levels (part 1: 各级党委要…).
IMPLIED_BEARER = "PartyOrganization"
IMPLIED_BEARER_REASON = ("原文为无主语的祈使句,未写明义务主体;本意见的受文对象为各级党委(第一部分:“各级党委要高度重视城市社区党的建设”),"
                         "故读作由党组织(PartyOrganization)承担。")
# Scope phrases recorded (pkg:scopePhrase) whenever they are in the quote; the rule for reading
# each is in the annotation README. A longer phrase wins over the shorter one it contains.
SCOPE_WORDS = ("原则上", "逐步", "逐年", "各级党委", "各级领导岗位", "各级机关党组织", "各县级市、区财政", "各县级市、区", "各地")


def _ref(base: str, name: str) -> URIRef:
    """IRI of a term reference: a PKG local name, or practice:/task:/agent: slug minted from base."""
    if ":" in name:
        kind, slug = name.split(":", 1)
        return URIRef(iris.thing_iri(base, kind, slug))
    return PKG[name]


class _Names:
    """The zh words that name each term: its labels (ontology, practices, entities), a
    practice's own quote, and per statement the words ``named:`` gives."""

    def __init__(self, base: str, ann: Annotations):
        self.base = base
        self.words: dict[URIRef, set[str]] = {}
        onto = ontology_graph()
        for prop in (RDFS.label, SKOS.altLabel, SKOS.prefLabel):
            for s, o in onto.subject_objects(prop):
                if isinstance(o, Literal) and o.language == "zh":
                    self.words.setdefault(s, set()).add(str(o))
        for p in ann.practices:
            self.words.setdefault(_ref(base, p.ref), set()).update({p.label_zh, p.quote})
        for e in ann.entities:
            self.words.setdefault(_ref(base, e.id), set()).update({e.label_zh, *e.alt_zh})

    def stated(self, s: Statement, name: str, heading: str = "") -> bool:
        """True if the quote of ``s`` names the term ``name``, or, for an item of a list, the
        heading of its article does (明确社区党组织的主要职责 says whose the listed duties are)."""
        if any(term == name for term, _ in s.named):
            return True
        if name in s.not_named:
            # Its label is in the quote only inside other words or in another role (社区 in 社区党总支).
            return False
        words = self.words.get(_ref(self.base, name), ())
        return any(w and (w in s.quote or w in heading) for w in words)


def list_heading(document, clause: str) -> str:
    """The heading of the article an item belongs to (``art/4/item/3`` → 明确社区党组织的主要职责), else ""."""
    parts = clause.split("/")
    if len(parts) == 4 and parts[0] == "art" and parts[2] == "item":
        return getattr(document.unit("/".join(parts[:2])), "heading", "") or ""
    return ""


def _local(iri: URIRef) -> str:
    """The last segment of an IRI (``…/def/bearer`` → bearer), for readable fragment names."""
    return str(iri).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _reading(g: Graph, node: URIRef, interprets: URIRef, reason: str) -> None:
    """``node a pkg:Interpretation`` with its reason and what it interprets."""
    g.add((node, RDF.type, PKG.Interpretation))
    g.add((node, PKG.interprets, interprets))
    g.add((node, PKG.interpretationReason, Literal(reason, lang="zh")))


def _reason(s: Statement, unnamed: list[str]) -> str:
    """The reason for reading the terms the quote does not name: ``reading:``, else the note."""
    reason = s.reading or s.note
    if not reason:
        raise AnnotationError(s.file, s.id, f"the quote does not name {', '.join(unnamed)}: say why the text "
                              "implies it in `reading:` (it goes to the interpretation graph), or give the "
                              "words that name it in `named:`", s.quote)
    return reason


def _operator(op: str) -> URIRef:
    return PKG.approximately if op == "approximately" else ODRL[op]


class _Anchor:
    """Locates quotes in one document, turning every failure into an AnnotationError."""

    def __init__(self, document):
        self.document = document

    def span(self, file: Path, item: str, clause: str, quote: str) -> tuple[int, int]:
        try:
            unit = self.document.unit(clause)
        except KeyError:
            raise AnnotationError(file, item, f"clause {clause!r} does not exist in {self.document.doc_id} "
                                  "(unit paths look like art/5, art/4/item/3, part/1/para/1, preamble, closing)",
                                  quote) from None
        hits = _find_all(self.document.text, quote, unit.start, unit.end)
        if not hits:
            raise AnnotationError(file, item, f"the quote is not in clause {clause}", quote)
        if len(hits) > 1:
            raise AnnotationError(file, item, f"the quote occurs {len(hits)} times in clause {clause}; "
                                  "make it longer so that it is unique", quote)
        return hits[0], hits[0] + len(quote)

    def inner(self, file: Path, item: str, clause: str, span: tuple[int, int], words: str, what: str,
              quote: str) -> tuple[int, int]:
        """Offsets of ``words`` (a number's or date's text): unique in the quote, else in the clause."""
        text = self.document.text
        hits = _find_all(text, words, *span)
        if len(hits) == 1:
            return hits[0], hits[0] + len(words)
        if len(hits) > 1:
            raise AnnotationError(file, item, f"the {what} text {words!r} occurs {len(hits)} times in the quote", quote)
        unit = self.document.unit(clause)
        hits = _find_all(text, words, unit.start, unit.end)
        if len(hits) != 1:
            raise AnnotationError(file, item, f"the {what} text {words!r} is not in the quote "
                                  f"(and not exactly once in clause {clause})", quote)
        return hits[0], hits[0] + len(words)


def _find_all(text: str, needle: str, lo: int, hi: int) -> list[int]:
    hits, pos = [], text.find(needle, lo, hi)
    while pos != -1 and pos + len(needle) <= hi:
        hits.append(pos)
        pos = text.find(needle, pos + 1, hi)
    return hits


def _target(g: Graph, document, subject: URIRef, start: int, end: int) -> None:
    """``subject oa:hasTarget <subject#target>`` with quote and position selectors."""
    text_selection(g, document, subject, OA.hasTarget, "target", start, end)


def _labels(g: Graph, subject: URIRef, zh: str, en: str) -> None:
    g.add((subject, RDFS.label, Literal(zh, lang="zh")))
    g.add((subject, RDFS.label, Literal(en, lang="en")))


def _constraint(g: Graph, base: str, node: URIRef, c: Constraint) -> None:
    g.add((node, RDF.type, PKG.NumericConstraint))
    g.add((node, RDF.type, ODRL.Constraint))
    g.add((node, ODRL.leftOperand, PKG[c.left]))
    g.add((node, ODRL.operator, _operator(c.op)))
    g.add((node, ODRL.rightOperand, Literal(c.value, datatype=XSD.decimal)))
    g.add((node, ODRL.unit, PKG[c.unit]))
    if c.period:
        g.add((node, PKG.perPeriod, PKG[c.period]))
    if c.basis:
        g.add((node, PKG.perBasis, _ref(base, c.basis)))
    g.add((node, PKG.valueText, Literal(c.text)))
    if c.fraction:
        g.add((node, RDFS.comment, Literal(f"value written as the fraction {c.fraction} "
                                           f"({c.text}); rightOperand rounded to 6 decimals", lang="en")))


def _instant(g: Graph, node: URIRef, d: DateSpec) -> None:
    g.add((node, RDF.type, TIME.Instant))
    if d.date:
        g.add((node, TIME.inXSDDate, Literal(d.date, datatype=XSD.date)))
    if d.year is not None:
        g.add((node, TIME.inXSDgYear, Literal(f"{d.year:04d}", datatype=XSD.gYear)))
    g.add((node, RDFS.label, Literal(d.text, lang="zh")))


def _statement(g: Graph, interp: Graph, base: str, document, anchor: _Anchor, names: _Names,
               s: Statement) -> None:
    """Write ``s`` to ``g`` (statements) and its readings to ``interp`` (interpretation)."""
    stmt = URIRef(iris.statement_iri(base, document.doc_id, s.id))
    start, end = anchor.span(s.file, s.id, s.clause, s.quote)
    clause = URIRef(document.unit(s.clause).iri)
    heading = list_heading(document, s.clause)
    roles = ((s.relation.subject, s.relation.object) if s.relation else
             (*s.norm.bearer, *s.norm.objects) if s.norm else ())
    stray = [t for t in s.not_named if t not in roles]
    if stray:
        raise AnnotationError(s.file, s.id, f"not_named lists {', '.join(stray)}, which is not a bearer, "
                              "subject or object of the statement", s.quote)
    if s.kind == "relation":
        unnamed = [t for t in (s.relation.subject, s.relation.object) if not names.stated(s, t, heading)]
        if unnamed:
            # A relation the quote does not state between two named terms is a reading as a whole.
            g = interp
            _reading(g, stmt, clause, _reason(s, unnamed))
    _labels(g, stmt, s.label_zh, s.label_en)
    g.add((stmt, PROV.wasDerivedFrom, clause))
    _target(g, document, stmt, start, end)
    if s.note:
        g.add((stmt, SKOS.note, Literal(s.note, lang="zh")))
    if s.marker:
        if s.marker not in s.quote:
            raise AnnotationError(s.file, s.id, f"the modal marker {s.marker!r} is not in the quote", s.quote)
        g.add((stmt, PKG.modalMarker, Literal(s.marker)))
    if s.modality:
        g.add((stmt, PKG.modality, PKG[s.modality]))
    for practice in s.practices:
        g.add((stmt, DCTERMS.references, _ref(base, practice)))
    _scope(g, anchor, s, stmt, (start, end))

    if s.kind == "relation":
        rel = s.relation
        subj, pred, obj = _ref(base, rel.subject), PKG[rel.predicate], _ref(base, rel.object)
        g.add((stmt, RDF.type, PKG.RelationStatement))
        g.add((stmt, RDF.type, RDF.Statement))
        g.add((stmt, RDF.subject, subj))
        g.add((stmt, RDF.predicate, pred))
        g.add((stmt, RDF.object, obj))
        g.add((subj, pred, obj))
        if s.conditions:
            raise AnnotationError(s.file, s.id, "conditions belong to norms (put the relation's condition "
                                  "in a norm statement on the same quote)", s.quote)
    elif s.kind == "norm":
        n = s.norm
        g.add((stmt, RDF.type, PKG.Norm))
        g.add((stmt, RDF.type, PKG[s.modality]))
        stated_bearers = [b for b in n.bearer if names.stated(s, b, heading)]
        implied_bearers = [b for b in n.bearer if b not in stated_bearers]
        stated_objects = [o for o in n.objects if names.stated(s, o, heading)]
        implied_objects = [o for o in n.objects if o not in stated_objects]
        for b in stated_bearers or [None]:
            g.add((stmt, PKG.bearer, _ref(base, b) if b else PKG.BearerNotStated))
        for o in stated_objects:
            g.add((stmt, PKG.normObject, _ref(base, o)))
        readings = [(PKG.bearer, b) for b in implied_bearers] + [(PKG.normObject, o) for o in implied_objects]
        reason = _reason(s, [t for _, t in readings]) if readings else None
        if not n.bearer:
            readings.append((PKG.bearer, IMPLIED_BEARER))
        for prop, term in readings:
            # One reified triple per reading: queries over the union tell an interpreted row by it.
            value = _ref(base, term)
            interp.add((stmt, prop, value))
            node = URIRef(f"{stmt}#reading-{_local(prop)}-{_local(value)}")
            _reading(interp, node, stmt, IMPLIED_BEARER_REASON if term == IMPLIED_BEARER and not n.bearer else reason)
            interp.add((node, RDF.type, RDF.Statement))
            interp.add((node, RDF.subject, stmt))
            interp.add((node, RDF.predicate, prop))
            interp.add((node, RDF.object, value))
        if n.action:
            g.add((stmt, PKG.action, PKG[n.action]))
        for t in n.topics:
            g.add((stmt, PKG.topic, PKG[t]))
        index = 0
        for prop, items in ((PKG.hasConstraint, n.constraints), (PKG.condition, n.conditions)):
            for c in items:
                index += 1
                anchor.inner(s.file, s.id, s.clause, (start, end), c.text, "number", s.quote)
                node = URIRef(f"{stmt}#c{index}")
                g.add((stmt, prop, node))
                _constraint(g, base, node, c)
        for prop, date, frag in ((PKG.startDate, n.start, "start"), (PKG.deadline, n.deadline, "deadline")):
            if date:
                anchor.inner(s.file, s.id, s.clause, (start, end), date.text, "date", s.quote)
                node = URIRef(f"{stmt}#{frag}")
                g.add((stmt, prop, node))
                _instant(g, node, date)
        if n.duration:
            d = n.duration
            anchor.inner(s.file, s.id, s.clause, (start, end), d.text, "duration", s.quote)
            node = URIRef(f"{stmt}#duration")
            g.add((stmt, PKG.duration, node))
            g.add((node, RDF.type, TIME.DurationDescription))
            for prop, value in ((TIME.years, d.years), (TIME.months, d.months), (TIME.days, d.days)):
                if value:
                    g.add((node, prop, Literal(value, datatype=XSD.decimal)))
            g.add((node, RDFS.label, Literal(d.text, lang="zh")))
            if d.approximately:
                g.add((node, RDFS.comment, Literal("approximate (左右/约)", lang="en")))
    else:
        g.add((stmt, RDF.type, PKG.PolicyStatement))
        for term in s.about:
            g.add((stmt, DCTERMS.subject, _ref(base, term)))


def _scope(g: Graph, anchor: _Anchor, s: Statement, stmt: URIRef, span: tuple[int, int]) -> None:
    """``pkg:scopePhrase``: the start and deadline words, and 原则上 / 逐步 / 逐年 when in the quote, plus
    the phrases ``scope:`` lists (each must be in the quote, or exactly once in the clause)."""
    phrases = [w for w in SCOPE_WORDS if w in s.quote
               and not any(w != longer and w in longer and longer in s.quote for longer in SCOPE_WORDS)]
    if s.norm:
        phrases += [d.text for d in (s.norm.start, s.norm.deadline) if d]
    for words in s.scope:
        anchor.inner(s.file, s.id, s.clause, span, words, "scope phrase", s.quote)
        phrases.append(words)
    for words in dict.fromkeys(phrases):
        g.add((stmt, PKG.scopePhrase, Literal(words)))


def _group(g: Graph, base: str, document, anchor: _Anchor, group) -> None:
    """``<group> a pkg:StatementGroup``: its members by dcterms:hasPart and, in order, as an RDF list
    whose nodes are fragments of the group's IRI (no blank nodes)."""
    node = URIRef(iris.statement_iri(base, document.doc_id, group.id))
    start, end = anchor.span(group.file, group.id, group.clause, group.quote)
    g.add((node, RDF.type, PKG.StatementGroup))
    _labels(g, node, group.label_zh, group.label_en)
    g.add((node, PROV.wasDerivedFrom, URIRef(document.unit(group.clause).iri)))
    _target(g, document, node, start, end)
    if group.note:
        g.add((node, SKOS.note, Literal(group.note, lang="zh")))
    cells = [URIRef(f"{node}#member-{i}") for i in range(1, len(group.members) + 1)]
    g.add((node, PKG.members, cells[0]))
    for i, (cell, member) in enumerate(zip(cells, group.members)):
        stmt = URIRef(iris.statement_iri(base, document.doc_id, member))
        g.add((node, DCTERMS.hasPart, stmt))
        g.add((cell, RDF.first, stmt))
        g.add((cell, RDF.rest, cells[i + 1] if i + 1 < len(cells) else RDF.nil))


def _practices_and_entities(g: Graph, base: str, document, anchor: _Anchor, ann: Annotations) -> None:
    for p in ann.practices:
        iri = _ref(base, p.ref)
        start, end = anchor.span(p.file, p.ref, p.clause, p.quote)
        clause = URIRef(document.unit(p.clause).iri)
        g.add((iri, RDF.type, PKG[p.type]))
        g.add((iri, RDF.type, SKOS.Concept))
        _labels(g, iri, p.label_zh, p.label_en)
        g.add((iri, SKOS.prefLabel, Literal(p.label_zh, lang="zh")))
        g.add((iri, SKOS.prefLabel, Literal(p.label_en, lang="en")))
        if p.definition_zh:
            g.add((iri, SKOS.definition, Literal(p.definition_zh, lang="zh")))
        if p.definition_en:
            g.add((iri, SKOS.definition, Literal(p.definition_en, lang="en")))
        g.add((iri, PKG.definedInClause, clause))
        g.add((iri, PROV.wasDerivedFrom, clause))
        _target(g, document, iri, start, end)
    for e in ann.entities:
        iri = _ref(base, e.id)
        start, end = anchor.span(e.file, e.id, e.clause, e.quote)
        clause = URIRef(document.unit(e.clause).iri)
        g.add((iri, RDF.type, PKG[e.type]))
        _labels(g, iri, e.label_zh, e.label_en)
        for alt in e.alt_zh:
            g.add((iri, SKOS.altLabel, Literal(alt, lang="zh")))
        g.add((iri, PKG.definedInClause, clause))
        g.add((iri, PROV.wasDerivedFrom, clause))
        if e.part_of:
            g.add((iri, ORG.subOrganizationOf, _ref(base, e.part_of)))
        _target(g, document, iri, start, end)


def _not_norms(ann: Annotations, document, anchor: _Anchor) -> None:
    """Check the not-a-norm quotes anchor too (they are data the tests rely on)."""
    for n in ann.not_norms:
        if n.clause:
            anchor.span(n.file, "not-a-norm", n.clause, n.quote)
        else:
            hits = _find_all(document.text, n.quote, 0, len(document.text))
            if len(hits) != 1:
                raise AnnotationError(n.file, "not-a-norm", f"the quote occurs {len(hits)} times in the "
                                      "document (give a clause or a longer quote)", n.quote)


def _slug(text: str) -> str:
    out = "".join(ch.lower() if ch.isascii() and ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in out.split("-") if part)


def background_graph(ann: Annotations, base: str) -> Graph:
    """Facts from other regulations: plain triple + rdf:Statement citing the regulation and article."""
    g = Graph()
    for entity in ann.background_entities:
        thing = _ref(base, entity.id)
        g.add((thing, RDF.type, PKG[entity.type]))
        _labels(g, thing, entity.label_zh, entity.label_en)
    standard = {"rdfs:subClassOf": RDFS.subClassOf, "dcterms:isReplacedBy": DCTERMS.isReplacedBy}
    for fact in ann.background:
        node = URIRef(f"{base}id/background/{fact.id}")
        rel = fact.relation
        subj, obj = _ref(base, rel.subject), _ref(base, rel.object)
        pred = standard.get(rel.predicate) or PKG[rel.predicate]
        g.add((subj, pred, obj))
        g.add((node, RDF.type, RDF.Statement))
        g.add((node, RDF.subject, subj))
        g.add((node, RDF.predicate, pred))
        g.add((node, RDF.object, obj))
        _labels(g, node, fact.label_zh, fact.label_en)
        src = fact.source
        source = URIRef(f"{base}id/source/{_slug(src['title_en'])}")
        g.add((source, RDF.type, DCTERMS.BibliographicResource))
        g.add((source, DCTERMS.title, Literal(src["title_zh"], lang="zh")))
        g.add((source, DCTERMS.title, Literal(src["title_en"], lang="en")))
        g.add((source, DCTERMS.hasVersion, Literal(src["edition"], lang="zh")))
        g.add((node, PROV.wasDerivedFrom, source))
        g.add((node, DCTERMS.source, source))
        g.add((node, DCTERMS.bibliographicCitation,
               Literal(f"《{src['title_zh']}》({src['edition']}){src['article']}", lang="zh")))
        target, quote_sel = URIRef(f"{node}#target"), URIRef(f"{node}#quote")
        g.add((node, OA.hasTarget, target))
        g.add((target, RDF.type, OA.SpecificResource))
        g.add((target, OA.hasSource, source))
        g.add((target, OA.hasSelector, quote_sel))
        g.add((quote_sel, RDF.type, OA.TextQuoteSelector))
        g.add((quote_sel, OA.exact, Literal(src["quote_zh"], lang="zh")))
        if fact.note:
            g.add((node, SKOS.note, Literal(fact.note, lang="zh")))
    return g


def statements_graph(document, base: str, ann: Annotations) -> tuple[Graph, Graph]:
    """The statements graph for the annotated document, and the interpretation graph of its readings."""
    g, interp = Graph(), Graph()
    anchor = _Anchor(document)
    names = _Names(base, ann)
    _practices_and_entities(g, base, document, anchor, ann)
    for s in ann.statements:
        _statement(g, interp, base, document, anchor, names, s)
    for group in ann.groups:
        _group(g, base, document, anchor, group)
    _not_norms(ann, document, anchor)
    return g, interp


def build_statements(documents, base: str = DEFAULT_BASE,
                     annotations_dir: Path | str | None = None) -> dict[str, Graph]:
    """``{"statements", "interpretation", "background": Graph}`` for the documents the annotations describe.

    The bundled annotations describe the bundled policy (doc id ``ANNOTATED_DOC_ID``); other
    documents get no statements. Raises AnnotationError (a UserError) on any malformed annotation.
    """
    ann = load_annotations(annotations_dir or ANNOTATIONS_DIR)
    statements, interpretation = Graph(), Graph()
    annotated = [d for d in documents if d.doc_id == ANNOTATED_DOC_ID]
    for document in annotated:
        asserted, read = statements_graph(document, base, ann)
        statements += asserted
        interpretation += read
    if annotated:
        inheritance_axioms(statements, ontology_classes())
    background = background_graph(ann, base) if annotated else Graph()
    return {"statements": statements, "interpretation": interpretation, "background": background}
