"""The document graph: a parsed policy as ELI resources with W3C Web Annotation selectors.

Modelling (ELI used as it is defined):

* the policy is an ``eli:LegalResource`` (the work): ``dcterms:title``, ``eli:passed_by`` (range
  eli:Agent), ``eli:type_document`` (range eli:ResourceType, a skos:Concept), ``eli:id_local``,
  ``eli:has_part`` its top-level units;
* its Chinese text is an ``eli:LegalExpression`` that ``eli:realizes`` it; ``eli:title`` and
  ``eli:language`` are defined on the expression, so they are stated there, not on the work;
* the web page it was captured from is an ``eli:Format`` (manifestation) that ``eli:embodies``
  the expression, published by ``eli:publisher_agent`` at ``dcterms:issued`` (xsd:dateTime);
* units are ``eli:LegalResourceSubdivision`` linked by ``eli:is_part_of`` / ``eli:has_part``, with
  ``eli:number`` (the label as written). ELI has no property for the kind of a subdivision, so
  ``pkg:subdivisionType`` points to a concept of the ontology's SubdivisionTypeScheme; plus
  ``pkg:ordinal``, ``pkg:sequence``, ``pkg:heading``, ``pkg:text``@zh and
  ``pkg:hasTextSegment <unit#text>``: an ``oa:SpecificResource`` on the expression with an
  ``oa:TextPositionSelector`` (code points into the normalized text) and an
  ``oa:TextQuoteSelector`` (exact, and ~20 characters of prefix and suffix).

Dates: ``eli:date_document`` has range xsd:date ("date of adoption or signature"), but the
signature of the bundled policy gives only 2011年6月. Inventing a day would be false, so a
month-precise date is stated as ``dcterms:issued "2011-06"^^xsd:gYearMonth`` (dcterms:issued
accepts any literal) and ``eli:date_document`` is stated only when the text gives a full day.
The printing date (…2011年6月24日印发) is a full day: it is the publication of the official
version, ``eli:date_publication`` (xsd:date), with the printing office as ``dcterms:publisher``.
"""
from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import FOAF, PROV, RDF, RDFS, XSD

from policykg import iris
from policykg.loader import metadata as page_meta
from policykg.loader.parser import Document, Unit
from policykg.ontology.namespaces import DCTERMS, ELI, OA, ORG, PKG, SKOS
from policykg.settings import DEFAULT_BASE


# EU Publications Office language authority table, the value space ELI gives eli:language.
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
LANGUAGE_CODES = {"zh": "ZHO", "en": "ENG"}

# Stable slugs for the bodies the bundled policy names as issuer, printer and web publisher,
# with an English label and the ontology class of the body (if the ontology defines it).
# Other names fall back to their percent-encoded UTF-8 form, which is just as stable.
AGENTS: dict[str, tuple[str, str, str | None]] = {
    "中共苏州市委组织部": ("suzhou-municipal-party-organization-department",
                   "Organization Department of the CPC Suzhou Municipal Committee",
                   "MunicipalOrganizationDepartment"),
    "中共苏州市委办公室": ("suzhou-municipal-party-general-office",
                   "General Office of the CPC Suzhou Municipal Committee", "MunicipalPartyGeneralOffice"),
    "苏州市社会组织服务中心": ("suzhou-social-organization-service-centre",
                    "Suzhou Social Organization Service Centre", None),
}
DOC_TYPES = {"意见": ("opinions", "Opinions"), "通知": ("notice", "Notice"), "决定": ("decision", "Decision"),
             "办法": ("measures", "Measures"), "规定": ("provisions", "Provisions"),
             "条例": ("regulations", "Regulations"), "细则": ("detailed-rules", "Detailed rules"),
             "方案": ("plan", "Plan"), "规划": ("programme", "Programme"), "决议": ("resolution", "Resolution")}
KIND_TERMS = {"preamble": "subdivisionPreamble", "part": "subdivisionPart", "chapter": "subdivisionChapter",
              "section": "subdivisionSection", "article": "subdivisionArticle",
              "paragraph": "subdivisionParagraph", "item": "subdivisionItem", "subitem": "subdivisionSubitem",
              "closing": "subdivisionClosing", "signature": "subdivisionSignature",
              "keywords": "subdivisionKeywords", "imprint": "subdivisionImprint"}
KIND_LABELS = {"preamble": ("序言", "Preamble"), "closing": ("结语", "Closing"),
               "signature": ("落款", "Signature"), "keywords": ("主题词", "Subject keywords"),
               "imprint": ("印发", "Imprint"), "paragraph": ("段", "Paragraph"), "part": ("部分", "Part"),
               "chapter": ("章", "Chapter"), "section": ("节", "Section"), "article": ("条", "Article"),
               "item": ("项", "Item"), "subitem": ("目", "Sub-item")}

def agent_iri(base: str, name: str) -> URIRef:
    slug = AGENTS[name][0] if name in AGENTS else quote(name, safe="")
    return URIRef(iris.thing_iri(base, "agent", slug))


def _agent(g: Graph, base: str, name: str) -> URIRef:
    iri = agent_iri(base, name)
    g.add((iri, RDF.type, ORG.Organization))
    g.add((iri, RDF.type, ELI.Agent))
    g.add((iri, RDF.type, FOAF.Agent))
    g.add((iri, RDFS.label, Literal(name, lang="zh")))
    g.add((iri, SKOS.prefLabel, Literal(name, lang="zh")))
    if name in AGENTS:
        _, english, cls = AGENTS[name]
        g.add((iri, RDFS.label, Literal(english, lang="en")))
        if cls:
            g.add((iri, RDF.type, PKG[cls]))
    return iri


def _date_literal(value: str) -> Literal:
    """ISO date text of any precision → the XSD type that states exactly that precision."""
    if "T" in value:
        return Literal(value, datatype=XSD.dateTime)
    return Literal(value, datatype={4: XSD.gYear, 7: XSD.gYearMonth}.get(len(value), XSD.date))


def unit_label(unit: Unit) -> tuple[str, str]:
    """Short Chinese and English labels of a unit, for pages and lists."""
    zh, en = KIND_LABELS.get(unit.kind, (unit.kind, unit.kind.title()))
    if unit.number:
        zh_label = f"{unit.number} {unit.heading}" if unit.heading else unit.number
        return zh_label, f"{en} {unit.ordinal}"
    if unit.kind == "paragraph":
        return f"第{unit.ordinal}{zh}", f"{en} {unit.ordinal}"
    return zh, en


def text_selection(g: Graph, document: Document, subject: URIRef, link: URIRef, fragment: str,
                   start: int, end: int) -> None:
    """``subject link <subject#fragment>``: an ``oa:SpecificResource`` of the document's expression
    with a position selector (``<subject#position>``) and a quote selector with its context
    (``<subject#quote>``). Units link their text this way, statements their target."""
    selection, position, quote_sel = (URIRef(f"{subject}#{name}") for name in (fragment, "position", "quote"))
    prefix, exact, suffix = document.context(start, end)
    g.add((subject, link, selection))
    g.add((selection, RDF.type, OA.SpecificResource))
    g.add((selection, OA.hasSource, URIRef(document.expression_iri)))
    g.add((selection, OA.hasSelector, position))
    g.add((selection, OA.hasSelector, quote_sel))
    g.add((position, RDF.type, OA.TextPositionSelector))
    g.add((position, OA.start, Literal(start, datatype=XSD.nonNegativeInteger)))
    g.add((position, OA.end, Literal(end, datatype=XSD.nonNegativeInteger)))
    g.add((quote_sel, RDF.type, OA.TextQuoteSelector))
    g.add((quote_sel, OA.exact, Literal(exact)))
    g.add((quote_sel, OA.prefix, Literal(prefix)))
    g.add((quote_sel, OA.suffix, Literal(suffix)))


def document_graph(document: Document, base: str = DEFAULT_BASE, into=None) -> Graph:
    """The RDF description of one parsed document: work, expression, web manifestation, units;
    added to ``into`` (a Graph, or the build's lean TripleSet) when given, else to a new Graph."""
    g = Graph() if into is None else into
    md = document.metadata
    work, expression = URIRef(document.iri), URIRef(document.expression_iri)
    manifestation = URIRef(f"{document.expression_iri}/web")  # the captured web page

    g.add((work, RDF.type, ELI.LegalResource))
    g.add((work, ELI.id_local, Literal(document.doc_id)))
    g.add((work, ELI.is_realized_by, expression))
    if md.title:
        g.add((work, DCTERMS.title, Literal(md.title, lang="zh")))
        g.add((work, RDFS.label, Literal(md.title, lang="zh")))
    if md.issuer:
        g.add((work, ELI.passed_by, _agent(g, base, md.issuer)))
    if md.date:
        g.add((work, DCTERMS.issued, _date_literal(md.date)))
        if len(md.date) == 10:  # a full day is written: ELI's xsd:date can be stated honestly
            g.add((work, ELI.date_document, Literal(md.date, datatype=XSD.date)))
    if md.printer:
        g.add((work, DCTERMS.publisher, _agent(g, base, md.printer)))
    if md.print_date:
        if len(md.print_date) == 10:
            g.add((work, ELI.date_publication, Literal(md.print_date, datatype=XSD.date)))
        else:
            g.add((work, DCTERMS.available, _date_literal(md.print_date)))
    if md.doc_type:
        slug, english = DOC_TYPES.get(md.doc_type, (quote(md.doc_type, safe=""), md.doc_type))
        doc_type = URIRef(iris.thing_iri(base, "document-type", slug))
        g.add((work, ELI.type_document, doc_type))
        g.add((doc_type, RDF.type, ELI.ResourceType))
        g.add((doc_type, RDF.type, SKOS.Concept))
        g.add((doc_type, SKOS.prefLabel, Literal(md.doc_type, lang="zh")))
        g.add((doc_type, SKOS.prefLabel, Literal(english, lang="en")))
    for keyword in md.keywords:
        g.add((work, DCTERMS.subject, Literal(keyword, lang="zh")))

    g.add((expression, RDF.type, ELI.LegalExpression))
    g.add((expression, ELI.realizes, work))
    if md.title:
        g.add((expression, ELI.title, Literal(md.title, lang="zh")))
        g.add((expression, RDFS.label, Literal(f"{md.title}（中文文本）", lang="zh")))
    if md.language in LANGUAGE_CODES:
        g.add((expression, ELI.language, EU_LANGUAGE[LANGUAGE_CODES[md.language]]))
    g.add((expression, DCTERMS.language, Literal(md.language, datatype=XSD.language)))
    # The whole normalized text (rdf:value: pkg:text is defined on legal resources, not on
    # expressions), so that every selector can be checked against it inside the graph.
    g.add((expression, RDF.value, Literal(document.text, lang=md.language)))

    header = _web_header(g, document, manifestation)
    if md.publisher or md.publication_datetime:
        g.add((manifestation, RDF.type, ELI.Format))
        g.add((manifestation, ELI.embodies, expression))
        g.add((expression, ELI.is_embodied_by, manifestation))
        g.add((manifestation, RDFS.label, Literal("网页发布版", lang="zh")))
        if header is not None:
            g.add((manifestation, PROV.wasDerivedFrom, header))
        if md.publisher:
            g.add((manifestation, ELI.publisher_agent, _agent(g, base, md.publisher)))
        if md.publication_datetime:
            g.add((manifestation, DCTERMS.issued, _date_literal(md.publication_datetime)))
        if header is not None and (column := _web_column(document)):
            g.add((manifestation, PKG.webColumn, Literal(column, lang="zh")))

    for unit in document.units:
        _unit(g, document, unit)
    _cite_metadata(g, document, work, manifestation, header)
    return g


def _web_header(g: Graph, document: Document, manifestation: URIRef) -> URIRef | None:
    """``<…/zh/web/header>``: the captured page's header (site name, breadcrumb, title, 发布时间/来源,
    核心提示) as a text segment — it is no unit of the policy — or None when the text has none."""
    first = min((u.start for u in document.units), default=0)
    if not document.text[:first].strip():
        return None
    header = URIRef(f"{manifestation}/header")
    end = len(document.text[:first].rstrip())
    prefix, exact, suffix = document.context(0, end)
    position, quote_sel = URIRef(f"{header}#position"), URIRef(f"{header}#quote")
    g.add((header, RDF.type, OA.SpecificResource))
    g.add((header, RDFS.label, Literal("网页页头(站名、导航、标题、发布时间与来源)", lang="zh")))
    g.add((header, RDFS.label, Literal("web page header (site, breadcrumb, title, date and source)", lang="en")))
    g.add((header, OA.hasSource, URIRef(document.expression_iri)))
    g.add((header, OA.hasSelector, position))
    g.add((header, OA.hasSelector, quote_sel))
    g.add((position, RDF.type, OA.TextPositionSelector))
    g.add((position, OA.start, Literal(0, datatype=XSD.nonNegativeInteger)))
    g.add((position, OA.end, Literal(end, datatype=XSD.nonNegativeInteger)))
    g.add((quote_sel, RDF.type, OA.TextQuoteSelector))
    g.add((quote_sel, OA.exact, Literal(exact)))
    g.add((quote_sel, OA.prefix, Literal(prefix)))
    g.add((quote_sel, OA.suffix, Literal(suffix)))
    return header


def _web_column(document: Document) -> str | None:
    """The column the page sits in: the last step of its breadcrumb (首页 > 服务中心 > 政策法规 → 政策法规)."""
    first = min((u.start for u in document.units), default=0)
    for line in document.text[:first].splitlines():
        if page_meta.BREADCRUMB_RE.search(line):
            return re.split(r"\s*[>＞»]\s*", line.strip())[-1] or None
    return None


def _cite_metadata(g: Graph, document: Document, work: URIRef, manifestation: URIRef,
                   header: URIRef | None) -> None:
    """Each metadata fact read from the text, reified (``{doc}/fact/<hash>``) with the unit or
    passage it comes from: issuer and date ← signature, printer and printing date ← imprint,
    keywords ← keywords, the web republication's facts ← the page header."""
    units = {u.kind: URIRef(u.iri) for u in document.units}
    sources = {ELI.passed_by: units.get("signature"), DCTERMS.issued: units.get("signature"),
               ELI.date_document: units.get("signature"), DCTERMS.publisher: units.get("imprint"),
               ELI.date_publication: units.get("imprint"), DCTERMS.available: units.get("imprint"),
               DCTERMS.subject: units.get("keywords")}
    facts = [(work, p, o, sources[p]) for p, o in g.predicate_objects(work) if sources.get(p) is not None]
    if header is not None:
        facts += [(manifestation, p, o, header) for p, o in g.predicate_objects(manifestation)
                  if p in (ELI.publisher_agent, DCTERMS.issued, PKG.webColumn)]
        if (work, DCTERMS.title, None) in g:
            facts += [(work, DCTERMS.title, o, header) for o in g.objects(work, DCTERMS.title)]
    for s, p, o, source in sorted(facts):
        node = URIRef(f"{document.iri}/fact/" + hashlib.sha1(f"{s} {p} {o}".encode("utf-8")).hexdigest()[:16])
        g.add((node, RDF.type, RDF.Statement))
        g.add((node, RDF.subject, s))
        g.add((node, RDF.predicate, p))
        g.add((node, RDF.object, o))
        g.add((node, PROV.wasDerivedFrom, source))


def _unit(g: Graph, document: Document, unit: Unit) -> None:
    iri = URIRef(unit.iri)
    parent = URIRef(unit.parent) if unit.parent else URIRef(document.iri)
    g.add((iri, RDF.type, ELI.LegalResourceSubdivision))
    g.add((iri, ELI.is_part_of, parent))
    g.add((parent, ELI.has_part, iri))
    g.add((iri, PKG.subdivisionType, PKG[KIND_TERMS[unit.kind]]))
    g.add((iri, PKG.sequence, Literal(unit.sequence, datatype=XSD.integer)))
    if unit.number is not None:
        g.add((iri, ELI.number, Literal(unit.number)))
    if unit.ordinal is not None:
        g.add((iri, PKG.ordinal, Literal(unit.ordinal, datatype=XSD.integer)))
    if unit.heading:
        g.add((iri, PKG.heading, Literal(unit.heading, lang="zh")))
    zh, en = unit_label(unit)
    g.add((iri, RDFS.label, Literal(zh, lang="zh")))
    g.add((iri, RDFS.label, Literal(en, lang="en")))
    g.add((iri, PKG.text, Literal(unit.text, lang="zh")))
    text_selection(g, document, iri, PKG.hasTextSegment, "text", unit.start, unit.end)
