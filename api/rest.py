"""/api/... — the named questions, resolution, chains and graph export as JSON (or CSV).

Every JSON response has one envelope (documented once, in :mod:`policykg.api.openapi`)::

    {"ok": true,  "rows": [...], "columns": [...], "count": 12, "total": 40, "page": 1,
     "page_size": 12, "truncated": true, "next": "/api/queries/duties?actor=...&page=2", ...}
    {"ok": false, "error": {"code": "ambiguous", "message": "...", "parameter": "actor",
                            "candidates": [{"iri": ..., "label_zh": ..., "score": ...}]}}

Lists are paged: ``page`` (from 1) and ``page_size`` (default ``page_size``, at most
``max_page_size``); ``truncated`` says more rows exist and ``next`` links to them.
CSV instead of JSON: ``Accept: text/csv`` or ``?format=csv``. A paged answer (JSON or CSV) names its
neighbouring pages in a ``Link`` header (``rel="next"``, ``rel="prev"``, RFC 8288).
"""
from __future__ import annotations

import csv
import io
import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from policykg.api.errors import error_response, http_error
from policykg.store.errors import QueryRefused
from policykg.api.openapi import openapi_document
from policykg.api.state import actor_graph, get_state, resolver
from policykg.queries.answering import ask as ask_question
from policykg.queries.chains import DEFAULT_MAX_LENGTH, MEASURES
from policykg.queries.locate import MAX_PASSAGE, locator
from policykg.queries.library import (RESERVED_PARAMS, ParameterError, get_query, load_library, parse_boolean,
                                      run_query)

bp = Blueprint("rest", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

STATUS = {"too_large": 413, "missing_parameter": 400, "unknown_parameter": 400, "invalid_parameter": 400, "ambiguous": 409,
          "not_found": 404, "method_not_allowed": 405, "not_acceptable": 406, "internal_error": 500,
          "unavailable": 503}


class ApiError(Exception):
    def __init__(self, code: str, message: str, parameter: str | None = None, candidates=None,
                 status: int | None = None):
        super().__init__(message)
        self.error = ParameterError(code, message, parameter, candidates)
        self.status = status or STATUS.get(code, 400)


# -- errors: the service's one envelope (policykg.api.errors), with the API's codes ----------

def _parameter_response(error: ParameterError, status: int | None = None) -> Response:
    return error_response(status or STATUS.get(error.code, 400), error.message, code=error.code,
                          parameter=error.parameter, candidates=error.candidates)


@bp.errorhandler(ParameterError)
def _parameter_error(exc: ParameterError):
    return _parameter_response(exc)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return _parameter_response(exc.error, exc.status)


@bp.errorhandler(QueryRefused)
def _store_refused(exc: QueryRefused):
    """A store's refusal (e.g. the SPARQL server of a remote store is gone: 503 store_unavailable)."""
    error = http_error(exc)
    return error_response(error.status, error.message, error.headers, error.code)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable"}.get(exc.code, "http_error")
        return error_response(exc.code or 400, exc.description or exc.name, code=code)
    log.exception("unexpected error in %s", request.path)
    return error_response(500, f"internal error: {type(exc).__name__}", code="internal_error")


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    values = request.args.getlist(name)
    if not values or values[0] == "":
        return default
    try:
        value = int(values[0], 10)
    except ValueError:
        raise ApiError("invalid_parameter", f"{name} must be a whole number", name) from None
    if not low <= value <= high:
        raise ApiError("invalid_parameter", f"{name} must be between {low} and {high}", name)
    return value


def wants_csv() -> bool:
    fmt = request.args.get("format", "")
    if fmt and fmt not in ("json", "csv"):
        raise ApiError("invalid_parameter", "format must be json or csv", "format")
    if fmt:
        return fmt == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]


def rows_response(rows: list[dict], columns: list[str] | None = None, **extra) -> Response:
    """The success envelope for a list: one page of ``rows``, or all of them as CSV."""
    config = get_state().config
    columns = columns or (list(rows[0].keys()) if rows else [])
    page_size = _int_arg("page_size", config.page_size, 1, config.max_page_size)
    page = _int_arg("page", 1, 1, 1_000_000)
    total = len(rows)
    start = (page - 1) * page_size
    chunk = rows[start:start + page_size]
    truncated = start + page_size < total
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    nxt = f"{request.path}?{urlencode(args + [('page', page + 1)])}" if truncated else None
    prev = f"{request.path}?{urlencode(args + [('page', page - 1)])}" if page > 1 and start - page_size < total else None
    # RFC 8288 links to the neighbouring pages, on JSON and CSV alike (CSV has no body to say it in)
    links = ", ".join(f'<{url}>; rel="{rel}"' for url, rel in ((nxt, "next"), (prev, "prev")) if url)
    if wants_csv():
        response = csv_response(chunk, columns, truncated)
    else:
        body = {"ok": True, **extra, "columns": columns, "rows": chunk, "count": len(chunk), "total": total,
                "page": page, "page_size": page_size, "truncated": truncated, "next": nxt}
        response = jsonify(body)
    if links:
        response.headers["Link"] = links
    return response


def csv_response(rows: list[dict], columns: list[str], truncated: bool = False) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else
                         "; ".join(map(str, row[c])) if isinstance(row.get(c), list) else row[c]
                         for c in columns])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["X-Truncated"] = "true" if truncated else "false"
    return response


def single_value(name: str, required: bool = False) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ApiError("invalid_parameter", f"give {name} once", name)
    value = values[0].strip() if values else ""
    if not value:
        if required:
            raise ApiError("missing_parameter", f"parameter {name} is required", name)
        return None
    if len(value) > 200:
        raise ApiError("invalid_parameter", f"{name} is longer than 200 characters", name)
    return value


def boolean_value(name: str) -> bool:
    """A true/false parameter (also 1/0, yes/no, 是/否, as the named questions read them); absent is false."""
    value = single_value(name)
    return False if value is None else parse_boolean(name, value)


def allow_only(*names: str) -> None:
    allowed = set(names) | {"page", "page_size", "format"}
    for key in request.args:
        if key not in allowed:
            raise ApiError("unknown_parameter", f"unknown parameter {key!r}; this endpoint takes "
                           f"{', '.join(sorted(allowed))}", key)


# -- routes -------------------------------------------------------------------------

ENDPOINTS = [
    ("/api/queries", "the named questions with their metadata"),
    ("/api/queries/{name}", "run one named question"),
    ("/api/ask?q=", "a question in Chinese (or English): a direct answer citing its clauses, part by part"),
    ("POST /api/locate", "a passage pasted from another document: the units it comes from, with offsets"),
    ("/api/resolve?q=", "what a name (居委会, 社区书记 ...) refers to"),
    ("/api/clauses", "the document's units"),
    ("/api/clauses/{id}", "one unit (19, 第19条, 4(3), art/4/item/3 ...) with its text and statements"),
    ("/api/actors/{id}", "an actor with its relations and norms"),
    ("/api/chains?from=&to=&max_length=", "responsibility chains between two actors"),
    ("/api/downstream?actor=", "everything responsibility flows to from an actor"),
    ("/api/centrality?measure=", "actors ranked by centrality"),
    ("/api/graph?format=graphml|gexf|json", "the actor graph"),
    ("/api/check (POST)", "registers (communities, workers) checked against the norms: a cited report"),
    ("/api/openapi.json", "this API, described by OpenAPI 3"),
]


@bp.get("/")
def index():
    allow_only()
    return rows_response([{"path": p, "description": d} for p, d in ENDPOINTS], ["path", "description"])


@bp.get("/openapi.json")
def openapi():

    allow_only()
    state = get_state()
    doc = state.cached(("rest", "openapi"), lambda: openapi_document(state.config))
    return jsonify(doc)


@bp.get("/queries")
def queries():
    allow_only("tag")
    tag = single_value("tag")
    rows = []
    for q in load_library().values():
        if tag and tag not in q.tags:
            continue
        rows.append({**q.metadata(), "url": f"/api/queries/{q.name}"})
    return rows_response(rows, ["name", "title_zh", "title_en", "description", "params", "examples", "columns",
                                "tags", "url"])


@bp.get("/queries/<name>")
def run_named(name: str):
    query = get_query(name)
    raw = {}
    for key in request.args:
        values = request.args.getlist(key)
        if len(values) > 1:
            raise ApiError("invalid_parameter", f"give {key} once", key)
        if key not in RESERVED_PARAMS:
            raw[key] = values[0]
    state = get_state()
    res = resolver()
    result = run_query(query, state.store, raw, res, res.clauses)
    return rows_response(result["rows"], result["columns"], query=query.name, title_zh=query.title_zh,
                         title_en=query.title_en, params=result["params"])


@bp.get("/resolve")
def resolve():
    allow_only("q", "kind")
    q = single_value("q", required=True)
    kind = single_value("kind") or "entity"
    if kind not in ("entity", "actor", "topic", "modality", "relation", "task", "clause"):
        raise ApiError("invalid_parameter", "kind must be entity, actor, task, topic, modality, relation or clause",
                       "kind")
    res = resolver()
    if kind == "clause":
        found = [res.clauses.resolve(q, "q")]
    else:
        found = res.candidates(q, kind)
    if not found:
        raise ApiError("not_found", f"nothing is called {q!r}", "q", res.suggest(q, kind))
    best = res.pick(found)
    return rows_response(found, None, q=q, ambiguous=best is None, best=best)


@bp.get("/ask")
def ask():
    """The one answer every front end shows (see :func:`policykg.queries.answering.ask`); the first part's
    rows are also the envelope's rows (paged), with the fields earlier clients read (query, rule,
    params, title_zh, note)."""
    allow_only("q", "asserted_only")
    q = single_value("q", required=True)
    asserted_only = boolean_value("asserted_only")
    state = get_state()
    result = ask_question(q, state.store, resolver(), asserted_only=asserted_only)
    first = result["parts"][0]
    name = first["named_query"]
    note = None if first["found"] else {"zh": first["answer_zh"], "en": first["answer_en"]}
    return rows_response(first["rows"], first["columns"], question=q, answer_zh=result["answer_zh"],
                         answer_en=result["answer_en"], parts=result["parts"], entities=result["entities"],
                         route=result["route"], understood_as=result["understood_as"], found=result["found"],
                         query=name or "search", title_zh=get_query(name).title_zh if name else "原文检索",
                         params=first["params"], rule=first["intent"], note=note)


@bp.post("/locate")
def locate():
    """A passage pasted from another document → the units it comes from, with offsets and a score.
    The passage is the request body (text/plain), or ``{"text": …}`` (JSON), or the form field text."""
    allow_only()
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise ApiError("invalid_parameter", 'a JSON body must be an object {"text": "…"}', "text")
        passage = body["text"]
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        passage = request.form.get("text", "")
    else:
        if (request.content_length or 0) > MAX_PASSAGE * 4:
            raise ApiError("invalid_parameter", f"the passage is longer than {MAX_PASSAGE} characters", "text")
        try:
            passage = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError("invalid_parameter", "the body is not UTF-8 text", "text") from None
    try:
        found = locator(get_state().store, resolver()).locate(passage)
    except ValueError as exc:
        raise ApiError("missing_parameter" if "empty" in str(exc) else "invalid_parameter", str(exc), "text") from None
    return rows_response(found["units"], ["path", "label_zh", "label_en", "start", "end", "overlap", "clause"],
                         found=found["found"], score=found["score"], start=found["start"], end=found["end"],
                         text=found["text"])


@bp.get("/clauses")
def clauses():
    allow_only("kind")
    kind = single_value("kind")
    index = resolver().clauses
    rows = []
    for unit in index.ordered():
        if kind and unit.kind != kind:
            continue
        article = index.article_of(unit.iri)
        rows.append({**unit.as_dict(), "label": index.label(unit),
                     "article": article.number if article else None, "url": f"/api/clauses/{unit.path}"})
    return rows_response(rows, ["iri", "path", "kind", "number", "label", "article", "ordinal", "sequence",
                                "heading", "text", "start", "end", "parent", "url"])


@bp.get("/clauses/<path:ident>")
def clause(ident: str):
    allow_only()
    res = resolver()
    index = res.clauses
    found = index.resolve(ident, "id")
    unit = index.units[found["iri"]]
    state = get_state()
    library = load_library()
    statements = run_query(library["clause_statements"], state.store, {"clause": unit.iri}, res, index)["rows"]
    members = [u for u in index.ordered() if u.iri != unit.iri and _inside(index, u, unit.iri)]
    rows = [{**u.as_dict(), "label": index.label(u)} for u in [unit] + members]
    article = index.article_of(unit.iri)
    return rows_response(rows, None, clause={**unit.as_dict(), "label": index.label(unit),
                                             "article": article.number if article else None},
                         statements=statements)


def _inside(index, unit, ancestor: str) -> bool:
    parent = unit.parent
    while parent:
        if parent == ancestor:
            return True
        parent = index.units[parent].parent if parent in index.units else None
    return False


@bp.get("/actors/<path:ident>")
def actor(ident: str):
    allow_only()
    res = resolver()
    found = res.resolve_one(ident, kind="entity", parameter="id")
    iri = found["iri"]
    state = get_state()
    library = load_library()
    relations = run_query(library["relations"], state.store, {"actor": iri}, res, res.clauses)["rows"]
    for row in relations:
        row["direction"] = "out" if row["subject"] == iri else "in"
    norms = []
    if "actor" in found.get("kinds", []):
        norms = run_query(library["duties"], state.store, {"actor": iri}, res, res.clauses)["rows"]
    entity = res.entities.get(iri)
    info = {**found, "names": res.names_of(iri),
            "url": f"/api/actors/{iri}", "graph": iri in actor_graph().graph}
    if entity is not None:
        info["labels"] = entity.labels
    return rows_response(relations, None, actor=info, norms=norms)


@bp.get("/chains")
def chains():

    allow_only("from", "to", "max_length")
    res = resolver()
    source = res.resolve_one(single_value("from", required=True), "entity", "from")
    target = res.resolve_one(single_value("to", required=True), "entity", "to")
    max_length = _int_arg("max_length", DEFAULT_MAX_LENGTH, 1, 10)
    graph = actor_graph()
    paths = graph.chains(source["iri"], target["iri"], max_length)
    rows = graph.chain_rows(paths)
    chains_ = [{"chain": i, "length": len(p) - 1, "nodes": p, "labels": [graph.label(n) for n in p]}
               for i, p in enumerate(paths, start=1)]
    return rows_response(rows, None, source=source, target=target, max_length=max_length, chains=chains_)


@bp.get("/downstream")
def downstream():
    allow_only("actor", "max_length")
    res = resolver()
    source = res.resolve_one(single_value("actor", required=True), "entity", "actor")
    max_length = _int_arg("max_length", 10, 1, 10)
    return rows_response(actor_graph().downstream(source["iri"], max_length), None, actor=source)


@bp.get("/centrality")
def centrality():

    allow_only("measure", "scope")
    measure = single_value("measure") or "degree"
    scope = single_value("scope") or "all"
    if measure not in MEASURES:
        raise ApiError("invalid_parameter", f"measure must be one of {', '.join(MEASURES)}", "measure")
    if scope not in ("all", "responsibility"):
        raise ApiError("invalid_parameter", "scope must be all or responsibility", "scope")
    return rows_response(actor_graph().centrality(measure, scope), None, measure=measure, scope=scope)


GRAPH_TYPES = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml", "json": "application/json"}


@bp.get("/graph")
def graph():
    allow_only("scope")
    fmt = request.args.get("format", "json") or "json"
    scope = single_value("scope") or "all"
    if fmt not in GRAPH_TYPES:
        raise ApiError("invalid_parameter", "format must be graphml, gexf or json", "format")
    if scope not in ("all", "responsibility"):
        raise ApiError("invalid_parameter", "scope must be all or responsibility", "scope")
    g = actor_graph()
    if fmt == "json":
        elements = g.cytoscape(scope)
        return jsonify({"ok": True, "format": "cytoscape", "scope": scope,
                        "count": len(elements["nodes"]) + len(elements["edges"]), "truncated": False,
                        "elements": elements})
    response = Response(g.export(fmt, scope), mimetype=GRAPH_TYPES[fmt])
    response.headers["Content-Disposition"] = f'inline; filename="policykg-{scope}.{fmt}"'
    return response


@bp.route("/<path:anything>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def unknown(anything: str):
    if request.method not in ("GET", "HEAD"):
        return error_response(405, f"{request.method} is not allowed; the API is read-only (GET)",
                              code="method_not_allowed")
    return error_response(404, f"no API endpoint /api/{anything}; see /api/ for the list", code="not_found")
