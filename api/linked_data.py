"""Linked data: every minted IRI dereferences; dumps; VoID; /healthz.

    /id/<path>          {base}id/<path>: the resource's triples (and those of its fragment
                        sub-nodes {iri}#…) as Turtle, JSON-LD, N-Triples or RDF/XML by
                        Accept (or ?format=); HTML for browsers (the pages' view when
                        policykg.api.pages offers one); 404 for IRIs the data does not know
    /def/<term>         https://w3id.org/policykg/def/<term>: the vocabulary term
    /def/               the whole ontology graph
    /graph/<name>       {base}graph/<name>: that named graph's triples by Accept (or ?format=),
                        generated once; a short page for browsers; 404 for other names
    /dump.trig /dump.nq /dump.ttl /dump.jsonld     the whole dataset, generated once
    /.well-known/void, /void                        VoID: triple counts per graph, links
    /ontology/          the ontology's HTML documentation (pyLODE, generated on first request)
    /healthz                                        liveness and size
"""
from __future__ import annotations

import gzip
import html
import os
import shutil
import tempfile
import logging
import threading
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import rdflib
from flask import Blueprint, Response, abort, jsonify, redirect, request, send_file, send_from_directory

from policykg.api.errors import error_response
from policykg.api.http_features import accepts_gzip
from policykg.api.negotiation import choose_format, media_type_for, negotiate
from policykg.api.state import get_state
from policykg.iris import graph_iri
from policykg.ontology.docs import generate_docs
from policykg.ontology.namespaces import ONTOLOGY_DIR, PKG_URI, PREFIXES, turtle_prologue

bp = Blueprint("linked_data", __name__)
log = logging.getLogger("policykg.linked_data")

VOCAB = PKG_URI
HTML_TYPES = ("text/html", "application/xhtml+xml")
RDF_OFFERS = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")
# What a resource or a graph can be had as (the 406 message says it).
AVAILABLE_AS = "text/html, text/turtle, application/ld+json, application/n-triples and application/rdf+xml"
_TOKENS = {"text/turtle": "TURTLE", "application/ld+json": "JSON_LD",
           "application/n-triples": "N_TRIPLES", "application/rdf+xml": "RDF_XML"}

DUMPS = {
    "trig": (ox.RdfFormat.TRIG, "application/trig"),
    "nq": (ox.RdfFormat.N_QUADS, "application/n-quads"),
    "ttl": (ox.RdfFormat.TURTLE, "text/turtle"),
    "jsonld": (ox.RdfFormat.JSON_LD, "application/ld+json"),
}


def prefixes() -> dict[str, str]:
    return dict(PREFIXES)


def declared_prefixes(fmt: ox.RdfFormat) -> dict[str, str] | None:
    """The project's prefixes for a format that declares prefixes (Turtle, TriG, RDF/XML), else None."""
    return prefixes() if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML) else None


def serialize_graph(triples, token: str) -> bytes:
    """``triples`` in the format ``token``, with the project's prefixes where the format has them.

    pyoxigraph writes JSON-LD in expanded form only; a document system reading one resource
    wants short keys, so JSON-LD here is compacted by rdflib against an ``@context`` of the
    same prefixes (a resource is tens of triples; the whole ontology a few thousand, cached).
    """
    if token == "JSON_LD":
        graph = rdflib.Graph()
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8"), format="nt")
        return graph.serialize(format="json-ld", context=prefixes(), auto_compact=True).encode("utf-8")
    fmt = getattr(ox.RdfFormat, token)
    with_prefixes = declared_prefixes(fmt)
    return ox.serialize(triples, format=fmt, **({"prefixes": with_prefixes} if with_prefixes else {}))


# ---------------------------------------------------------------------------
# Dereferencing
# ---------------------------------------------------------------------------

def _choose(accept: str | None) -> str:
    """``html`` or a graph format token; None → 406."""
    fmt = request.args.get("format")
    if fmt:
        if fmt.lower() in ("html", "text/html"):
            return "html"
        token = choose_format("graph", None, [fmt])
        if token:
            return token
    chosen = negotiate(accept, list(HTML_TYPES[:1]) + list(RDF_OFFERS) + ["application/json", "text/plain",
                                                                          "application/xhtml+xml"],
                       default="text/html")
    if chosen is None:
        return None
    if chosen in HTML_TYPES:
        return "html"
    return {"application/json": "JSON_LD", "text/plain": "N_TRIPLES"}.get(chosen) or _TOKENS[chosen]


def describe(iri: str):
    """The response for a request about ``iri``."""
    state = get_state()
    store = state.store
    triples = store.triples_about(iri)
    if not triples:
        triples = store.triples_pointing_to(iri)
    if not triples:
        return error_response(404, f"<{iri}> is not described by this service")
    token = _choose(request.headers.get("Accept"))
    if token is None:
        return error_response(406, f"this resource is available as {AVAILABLE_AS}")
    if token == "html":
        page = _pages_view(iri)
        if page is not None:
            return page
        body = _minimal_html(iri, triples)
        response = Response(body, content_type="text/html; charset=utf-8")
    else:
        body = serialize_graph(triples, token)
        response = Response(body, content_type=_charset(media_type_for("graph", token)))
    response.headers["Vary"] = "Accept, Accept-Encoding"
    return response


def _charset(media_type: str) -> str:
    return media_type + "; charset=utf-8" if media_type.startswith("text/") else media_type


def _pages_view(iri: str):
    render = get_state().render_resource
    if render is None:
        return None
    try:
        return render(iri)
    except Exception:  # the pages' view failed: log it, and still answer with the plain view
        log.exception("pages.render_resource failed for <%s>; serving the plain HTML view", iri)
        return None


def _term_html(term) -> str:
    if isinstance(term, ox.NamedNode):
        value = term.value
        state = get_state()
        href = value
        local = state.base + "id/"
        if value.startswith(local):
            href = "/id/" + value[len(local):]
        elif value.startswith(VOCAB):
            href = "/def/" + value[len(VOCAB):]
        return f'<a href="{html.escape(href)}">{html.escape(value)}</a>'
    if isinstance(term, ox.Literal):
        lang = f' lang="{html.escape(term.language)}"' if term.language else ""
        return f"<span{lang}>{html.escape(term.value)}</span>"
    return html.escape(str(term))


def _minimal_html(iri: str, triples) -> str:
    rows = "\n".join(
        f"<tr><td>{_term_html(t.subject)}</td><td>{_term_html(t.predicate)}</td><td>{_term_html(t.object)}</td></tr>"
        for t in triples
    )
    title = html.escape(iri)
    return (
        "<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        "<p>其他格式 / other formats: "
        '<a href="?format=ttl">Turtle</a> · <a href="?format=jsonld">JSON-LD</a> · '
        '<a href="?format=nt">N-Triples</a></p>'
        f"<table><thead><tr><th>subject</th><th>predicate</th><th>object</th></tr></thead><tbody>\n{rows}\n"
        "</tbody></table></body></html>\n"
    )


@bp.route("/id/<path:rest>")
def resource(rest: str):
    return describe(get_state().base + "id/" + rest)


@bp.route("/def/<path:term>")
def vocabulary_term(term: str):
    return describe(VOCAB + term)


@bp.route("/def/")
@bp.route("/def")
def vocabulary():
    """The whole ontology graph."""
    state = get_state()
    token = _choose(request.headers.get("Accept"))
    if token is None:
        return error_response(406, "the ontology is available as Turtle, JSON-LD, N-Triples and RDF/XML")
    if token == "html":
        if _ensure_ontology_docs():
            return redirect("/ontology/", code=303)
        token = "TURTLE"

    def make():
        return serialize_graph(state.store.graph_triples(graph_iri(state.base, "ontology")), token)

    body = state.cached(("ontology", token), make)
    response = Response(body, content_type=_charset(media_type_for("graph", token)))
    response.headers["Vary"] = "Accept, Accept-Encoding"
    return response


# ---------------------------------------------------------------------------
# Dumps (generated once per state into a private folder, with a gzip twin)
# ---------------------------------------------------------------------------

_dump_lock = threading.Lock()


def _generated(state, filename: str, write) -> str:
    """The path of ``filename`` in the folder of files generated from this state's data, written
    once by ``write(path)`` with a gzip twin beside it. Each writer writes under a name of its own
    and renames the finished file into place, so processes that share the folder never read a
    half-written file."""
    with _dump_lock:
        path = os.path.join(state.generated_dir("dumps"), filename)
        if not os.path.exists(path):
            mine = f"{path}.{os.getpid()}.tmp"
            write(mine)
            with open(mine, "rb") as src, gzip.open(mine + ".gz", "wb", compresslevel=6) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            os.replace(mine + ".gz", path + ".gz")
            os.replace(mine, path)
    return path


def _send_generated(path: str, media_type: str, filename: str, vary: str = "Accept-Encoding") -> Response:
    gzipped = accepts_gzip(request.headers.get("Accept-Encoding"))
    response = send_file(path + ".gz" if gzipped else path, mimetype=media_type, download_name=filename,
                         conditional=True, etag=True)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = vary
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.route("/dump.<kind>")
def dump(kind: str):
    if kind not in DUMPS:
        abort(404)
    state = get_state()
    fmt, media_type = DUMPS[kind]
    path = _generated(state, f"policykg.{kind}", lambda tmp: state.store.dump(tmp, fmt, declared_prefixes(fmt)))
    return _send_generated(path, media_type, f"policykg.{kind}")


# ---------------------------------------------------------------------------
# Named graphs: {base}graph/<name> dereferences to the graph itself
# ---------------------------------------------------------------------------

GRAPH_DESCRIPTIONS = {
    "ontology": ("本体:OWL 词汇(类、属性)和 SKOS 概念方案", "The ontology: the OWL vocabulary and the SKOS schemes"),
    "document": ("文件:政策原文的结构单元(部分、条、项)及其文本", "The document: the policy's units (parts, articles, items) and their text"),
    "statements": ("陈述:政策规定的关系与规范,每条引用原文条款和字句",
                   "Statements: the relations and norms the policy sets, each citing its clause and words"),
    "interpretation": ("解读:原文未写明、由语法或上下文推断的读法,各附理由并链接所解读的陈述",
                       "Interpretation: readings the text implies but does not state, each with its reason and the statement it reads"),
    "background": ("背景:政策所依据、由其他法规规定的事实,各注出处",
                   "Background: facts from other regulations that the policy presupposes, each with its source"),
    "inferred": ("推理:由本体推出的三元组,与断言分开", "Inferred: what the ontology entails, kept apart from what was asserted"),
}
_GRAPH_FILES = {"TURTLE": "ttl", "N_TRIPLES": "nt", "JSON_LD": "jsonld", "RDF_XML": "rdf"}


@bp.route("/graph/<name>")
def named_graph(name: str):
    """A named graph of the dataset: its triples by content negotiation (generated once, like
    the dumps), or for a browser a page with its size, its formats and a query over it."""
    state = get_state()
    iri = graph_iri(state.base, name) if name in GRAPH_DESCRIPTIONS else None
    if iri is None or iri not in state.cached("graph_names", state.store.graph_names):
        return error_response(404, f"<{state.base}graph/{name}> is not a graph of this service")
    token = _choose(request.headers.get("Accept"))
    if token is None:
        return error_response(406, f"a graph is available as {AVAILABLE_AS}")
    if token == "html":
        size = state.cached("graph_sizes", state.store.graph_sizes).get(iri, 0)
        return Response(_graph_html(iri, name, size), content_type="text/html; charset=utf-8",
                        headers={"Vary": "Accept, Accept-Encoding"})
    fmt = getattr(ox.RdfFormat, token)
    filename = f"policykg-{name}.{_GRAPH_FILES[token]}"
    path = _generated(state, filename, lambda tmp: state.store.dump(tmp, fmt, declared_prefixes(fmt), graph=iri))
    # send_file adds the charset of text and XML types itself.
    return _send_generated(path, media_type_for("graph", token), filename, "Accept, Accept-Encoding")


def _graph_html(iri: str, name: str, size: int) -> str:
    zh, en = GRAPH_DESCRIPTIONS[name]
    query = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} LIMIT 100"
    title = html.escape(iri)
    return (
        "<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        f"<p>{html.escape(zh)}</p><p lang=\"en\">{html.escape(en)}</p>"
        f"<p>三元组 / triples: <strong id=\"triples\">{size}</strong></p>"
        "<p>下载 / download: "
        '<a href="?format=ttl">Turtle</a> · <a href="?format=nt">N-Triples</a> · '
        '<a href="?format=jsonld">JSON-LD</a> · <a href="?format=rdf">RDF/XML</a></p>'
        f'<p><a href="/sparql?query={quote(query)}&amp;format=json">SPARQL: {html.escape(query)}</a></p>'
        '<p><a href="/void">VoID</a> · <a href="/sparql">Service Description</a></p>'
        "</body></html>\n"
    )


# ---------------------------------------------------------------------------
# VoID
# ---------------------------------------------------------------------------

def _void_turtle(state, root: str) -> str:
    store = state.store
    sizes = store.graph_sizes()
    total_default = int(store.select(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")[0]["n"].value)
    subjects = {}
    for row in store.select("SELECT ?g (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
        if isinstance(row["g"], ox.NamedNode):
            subjects[row["g"].value] = int(row["n"].value)
    dataset = f"{root}void#dataset"
    graphs_root = state.base + "graph/"
    lines = [
        turtle_prologue(["void", "dcterms", "sd"]),
        f"<{dataset}> a void:Dataset ;",
        "    dcterms:title \"policykg：苏州市城市社区党组织建设政策知识图谱\"@zh , "
        "\"policykg: knowledge graph of Suzhou's policy on urban community Party organizations\"@en ;",
        f"    void:sparqlEndpoint <{root}sparql> ;",
        f"    void:uriSpace \"{state.base}id/\" ;",
        f"    void:vocabulary <{VOCAB}> ;",
        f"    void:triples {total_default} ;",
        "    void:dataDump " + " , ".join(f"<{root}dump.{k}>" for k in DUMPS) + " ;",
        "    dcterms:description \"void:triples of the dataset counts the distinct triples of the default graph, "
        "the union of the named graphs.\"@en",
    ]
    for name in sorted(sizes):
        lines[-1] += " ;"
        local = name[len(graphs_root):] if name.startswith(graphs_root) else None
        dump = f" ; void:dataDump <{root}graph/{local}>" if local in GRAPH_DESCRIPTIONS else ""   # /graph/<name>
        lines.append(f"    void:subset [ a void:Dataset , sd:NamedGraph ; sd:name <{name}> ; "
                     f"void:triples {sizes[name]} ; void:distinctSubjects {subjects.get(name, 0)}{dump} ]")
    lines[-1] += " ."
    return "\n".join(lines) + "\n"


@bp.route("/.well-known/void")
@bp.route("/void")
def void():
    state = get_state()
    root = request.url_root
    token = choose_format("graph", request.headers.get("Accept"), request.args.getlist("format"))
    if token is None:
        token = "TURTLE" if negotiate(request.headers.get("Accept"), list(HTML_TYPES)) else None
    if token is None:
        return error_response(406, "VoID is available as Turtle, N-Triples, RDF/XML and JSON-LD")
    turtle = state.cached(("void", root), lambda: _void_turtle(state, root))
    if token == "TURTLE":
        body = turtle.encode("utf-8")
    else:
        body = ox.serialize(list(ox.parse(turtle, format=ox.RdfFormat.TURTLE)), format=getattr(ox.RdfFormat, token))
    response = Response(body, content_type=_charset(media_type_for("graph", token)))
    response.headers["Vary"] = "Accept, Accept-Encoding"
    return response


# ---------------------------------------------------------------------------
# Ontology documentation (``policykg docs``), when it can be generated
# ---------------------------------------------------------------------------

# The documentation depends on the ontology package only, not on the served data, so it is
# generated once (per service: the server processes share the folder) and kept across /update.
_docs_lock = threading.Lock()
_docs: dict = {"folder": None, "failed": False}


# `make build` writes the documentation beside the dataset it builds (build/ontology-docs/), so
# that the first visit to /ontology/ does not wait for pyLODE.
PREBUILT_DOCS = "ontology-docs"


def prebuilt_docs() -> Path | None:
    """The documentation built beside the served data file, if it is newer than every ontology file."""
    source = getattr(get_state().store, "source", None)
    if getattr(source, "kind", None) != "file":
        return None
    folder = Path(source.path).parent / PREBUILT_DOCS
    index = folder / "index.html"
    if not index.is_file():
        return None
    newest = max((p.stat().st_mtime for p in ONTOLOGY_DIR.glob("*.ttl")), default=0.0)
    return folder if index.stat().st_mtime >= newest else None


def _ensure_ontology_docs() -> str | None:
    """The folder of the ontology documentation, generated on first use (pyLODE via
    policykg.ontology.docs) into a folder of its own and renamed into place; None if it cannot
    be generated."""
    with _docs_lock:
        if _docs["folder"] or _docs["failed"]:
            return _docs["folder"]
        built = prebuilt_docs()
        if built is not None:
            _docs["folder"] = str(built)
            return _docs["folder"]
        folder = get_state().generated_dir("ontology-docs", per_data=False)
        final = folder / "html"
        if not (final / "index.html").exists():
            mine = Path(tempfile.mkdtemp(prefix=".html-", dir=folder))
            try:
                generate_docs(mine)
                os.rename(mine, final)
            except OSError:
                shutil.rmtree(mine, ignore_errors=True)   # another process put its copy in place first
            except Exception:  # the docs are optional: log and answer 404
                log.exception("could not generate the ontology documentation")
                _docs["failed"] = True
                shutil.rmtree(mine, ignore_errors=True)
                return None
        _docs["folder"] = str(final) if (final / "index.html").exists() else None
        _docs["failed"] = _docs["folder"] is None
        return _docs["folder"]


@bp.route("/ontology/")
@bp.route("/ontology/<path:name>")
def ontology_docs(name: str = "index.html"):
    """The ontology's HTML documentation (generated on first request)."""
    folder = _ensure_ontology_docs()
    if folder is None:
        return error_response(404, "the ontology documentation is not available; the ontology itself is at /def/")
    return send_from_directory(folder, name)


@bp.route("/ontology")
def ontology_docs_root():
    return redirect("/ontology/", code=301)


# ---------------------------------------------------------------------------
# Health
# ---------------------------------------------------------------------------

@bp.route("/healthz")
def healthz():
    state = get_state()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return jsonify(status="ok", quads=len(state.store), pid=os.getpid(), cpus=cpus,
                   query_threads=state.query_threads)
