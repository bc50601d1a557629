"""SPARQL 1.1 Protocol at /sparql (read-only), and /update when an admin token is set.

Queries are answered by :class:`SparqlEndpoint`, a WSGI middleware in front of the Flask
app (installed by :func:`policykg.api.create_app`), so that a query costs little more than its evaluation;
the Flask view of /sparql serves the service description. Every user query is inspected
(:func:`policykg.store.guard.check_query`) and then evaluated under the time limit
(:class:`policykg.store.evaluation.Evaluator`); pyoxigraph serialises the results.
"""
from __future__ import annotations

import hmac
import logging
import threading
from collections import OrderedDict
from urllib.parse import parse_qs

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES, parse_options_header
from werkzeug.wsgi import get_input_stream

from policykg.api.errors import HttpError, error_body, error_response, http_error
from policykg.api.negotiation import GRAPH_OFFERS, choose_format, media_type_for, negotiate
from policykg.api.http_features import CORS_HEADERS, SECURITY_HEADERS, gzip_if_asked
from policykg.api.state import get_state
from policykg.ontology.namespaces import turtle_prologue
from policykg.store.backend import QueryJob, user_base_iri
from policykg.store.errors import QueryRefused
from policykg.store.evaluation import shallow
from policykg.store.guard import check_query, early_form, max_operators
from policykg.store.update_dataset import with_dataset

bp = Blueprint("sparql", __name__)
log = logging.getLogger("policykg.api")

QUERY_MEDIA = "application/sparql-query"
UPDATE_MEDIA = "application/sparql-update"
FORM_MEDIA = "application/x-www-form-urlencoded"
FORMAT_PARAMS = ("format", "output", "results")
FORMATS = "http://www.w3.org/ns/formats/"


class ResultCache:
    """Answers to identical requests, kept while the data does not change (LRU, bounded in bytes).

    The data behind /sparql only changes through /update, which drops the cache with every
    other cached value (:meth:`AppState.invalidate`), so a cached answer is exactly what
    evaluating the query again would give. Only successful answers are kept; an entry
    larger than 1/16 of the budget is never kept.
    """

    def __init__(self, budget_bytes: int):
        self.budget = max(0, int(budget_bytes))
        self.entries: "OrderedDict[tuple, tuple[str, bytes, int]]" = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key) -> tuple[str, bytes] | None:
        if not self.budget:
            return None
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            self.entries.move_to_end(key)
            return entry[0], entry[1]

    def put(self, key, media_type: str, body: bytes) -> None:
        cost = len(body) + len(key[0]) + 200
        if not self.budget or cost > self.budget // 16:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = (media_type, body, cost)
            self.size += cost
            while self.size > self.budget and self.entries:
                self.size -= self.entries.popitem(last=False)[1][2]


def result_cache(state) -> ResultCache:
    return state.cached("results", lambda: ResultCache(state.config.result_cache_mb << 20))


class ProtocolError(HttpError):
    """A request the SPARQL protocol refuses before any evaluation."""


READ_ONLY = "this endpoint is read-only: SPARQL updates are not accepted at /sparql"
# The protocol's texts are UTF-8 (US-ASCII is a subset): any other charset is refused before the
# body is read, so no costly or exotic codec ever runs on a request.
ACCEPTED_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def _parse_qs(text: str, where: str) -> dict:
    try:
        return parse_qs(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise ProtocolError(400, f"the {where} is not valid UTF-8 once percent-decoded") from None


class ProtocolRequest:
    """What the SPARQL protocol reads from one WSGI request: parameters from the URL and a
    form body, the body's type and text, Accept. Read straight from the WSGI environ (no
    Flask request object: the query path must stay small, see :class:`SparqlEndpoint`)."""

    def __init__(self, environ: dict, max_body: int):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET")
        self._args: dict | None = None
        self.accept = environ.get("HTTP_ACCEPT")
        self._max_body = max_body
        self._body: bytes | None = None
        self._form: dict | None = None
        if self.method == "POST":
            self.mimetype, self.mime_params = parse_options_header(environ.get("CONTENT_TYPE", ""))
            self.mimetype = self.mimetype.lower()
        else:
            self.mimetype, self.mime_params = "", {}

    @property
    def args(self) -> dict:
        """The URL's parameters (read on first use: a URL that is not UTF-8 is a 400 there)."""
        if self._args is None:
            self._args = _parse_qs(self.environ.get("QUERY_STRING", ""), "query string")
        return self._args

    def body(self) -> bytes:
        if self._body is None:
            try:
                self._body = get_input_stream(self.environ, max_content_length=self._max_body).read()
            except RequestEntityTooLarge:
                raise ProtocolError(413, f"the request body is larger than {self._max_body} bytes") from None
        return self._body

    def text(self) -> str:
        charset = self.mime_params.get("charset", "utf-8").strip().lower()
        if charset not in ACCEPTED_CHARSETS:
            raise ProtocolError(415, f"the request body's charset {charset!r} is not accepted; send UTF-8 "
                                     "(SPARQL 1.1 Protocol)")
        try:
            text = self.body().decode("utf-8" if charset.startswith("utf") else "ascii")
        except UnicodeDecodeError as exc:
            raise ProtocolError(400, f"the request body is not valid {charset} text (byte {exc.start})") from None
        # A query file saved with a byte-order mark (common on Windows) and sent as it is.
        return text[1:] if text.startswith("\ufeff") else text

    def params(self, name: str) -> list[str]:
        """Values of ``name`` from the URL and, for a form POST, from the body."""
        values = self.args.get(name, [])
        if self.mimetype == FORM_MEDIA:
            if self._form is None:
                self._form = _parse_qs(self.text(), "form body")
            values = values + self._form.get(name, [])
        return values

    def query(self) -> str | None:
        """The query text, or None when there is none (a GET for the service description)."""
        if self.method != "POST":
            values = self.args.get("query", [])
            if "update" in self.args:
                raise ProtocolError(403, READ_ONLY)
            if not values:
                return None
        else:
            if self.mimetype == UPDATE_MEDIA or self.params("update"):
                raise ProtocolError(403, READ_ONLY)
            if self.mimetype == QUERY_MEDIA:
                values = [self.text()] + self.args.get("query", [])
            elif self.mimetype == FORM_MEDIA:
                values = self.params("query")
            else:
                raise ProtocolError(415, f"unsupported request body type {self.mimetype or '(none)'!r}; send "
                                         f"{FORM_MEDIA} with a 'query' parameter or {QUERY_MEDIA}")
            if not values:
                raise ProtocolError(400, "missing 'query' parameter")
        if len(values) > 1:
            raise ProtocolError(400, "the request holds more than one query; send exactly one")
        if not values[0].strip():
            raise ProtocolError(400, "the 'query' parameter is empty")
        return values[0]


def _dataset(state, req: ProtocolRequest) -> tuple[list[str] | None, list[str] | None]:
    # Empty values are left out: HTML query forms (Virtuoso's, and those copied from it)
    # send an empty default-graph-uri field that means "no choice", not the IRI <>.
    default = [iri for iri in req.params("default-graph-uri") if iri.strip()]
    named = [iri for iri in req.params("named-graph-uri") if iri.strip()]
    if not default and not named:
        return None, None
    own = set(state.cached("graph_names", state.store.graph_names))
    for iri in default + named:
        if iri not in own:
            raise ProtocolError(400, f"<{iri}> is not a graph of this service; its graphs are: "
                                     + ", ".join(f"<{g}>" for g in sorted(own)))
    return (default or None), (named or None)


def _with_charset(media_type: str) -> str:
    if media_type.startswith("text/") and "charset" not in media_type:
        return media_type + "; charset=utf-8"
    return media_type


_STATUS_LINES = {code: f"{code} {HTTP_STATUS_CODES.get(code, 'Error')}" for code in HTTP_STATUS_CODES}


class SparqlEndpoint:
    """WSGI middleware that answers SPARQL queries at /sparql itself; every other request
    (the service description, OPTIONS, the pages, the API) goes on to the Flask app.

    Why not a Flask view: on small lookups Flask's request and response objects, hooks and
    routing cost several times what pyoxigraph spends evaluating, and that decided the
    throughput (bench/RESULTS.md has the figures). Here a query costs one parse of the
    query string, the lexer, the hand-off to the evaluator and a list of headers.
    CORS, gzip and the data refresh are the same functions the Flask app uses.
    """

    def __init__(self, app, state, max_body: int):
        self.app = app
        self.state = state
        self.max_body = max_body

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != "/sparql" or method not in ("GET", "HEAD", "POST"):
            return self.app(environ, start_response)
        if method != "POST" and not environ.get("QUERY_STRING"):   # the service description
            return self.app(environ, start_response)
        req = ProtocolRequest(environ, self.max_body)
        try:
            status, media_type, body, extra = self.answer(req)
        except Exception:  # noqa: BLE001 - never a stack trace in a response
            log.exception("unhandled error on %s /sparql", method)
            status, media_type, body, extra = self._error(
                req, 500, "the server could not answer this request; the error was logged")
        if status is None:            # a GET without a query: the service description
            return self.app(environ, start_response)
        headers = [("Content-Type", media_type), ("Vary", "Accept, Accept-Encoding"), *CORS_HEADERS,
                   *SECURITY_HEADERS, *extra]
        compressed = gzip_if_asked(body, media_type, environ.get("HTTP_ACCEPT_ENCODING"))
        if compressed is not None:
            body = compressed
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response(_STATUS_LINES.get(status, f"{status} Error"), headers)
        return [] if method == "HEAD" else [body]

    def answer(self, req: ProtocolRequest):
        """(status, Content-Type, body, extra headers) for a request that may hold a query."""
        state = self.state
        state.refresh()   # another server process may have published new data (/update)
        try:
            query = req.query()
            if query is None:
                return None, None, None, ()
            default, named = _dataset(state, req)
            overrides = [v for name in FORMAT_PARAMS for v in req.params(name)]
            cache = result_cache(state)
            key = (query, req.accept, tuple(overrides), tuple(default or ()), tuple(named or ()))
            hit = cache.get(key)
            if hit is not None:
                media_type, body = hit
            else:
                media_type, body = _evaluate(state, query, default, named, req.accept, overrides)
                cache.put(key, media_type, body)
        except (QueryRefused, HttpError) as exc:   # ProtocolError included
            error = http_error(exc)
            return self._error(req, error.status, error.message, tuple(error.headers.items()), error.code)
        return 200, _with_charset(media_type), body, ()

    @staticmethod
    def _error(req, status, message, extra=(), code=None):
        media_type, body = error_body(status, message, "/sparql", req.accept, code)
        return status, media_type, body, extra


def _evaluate(state, query, default, named, accept, overrides) -> tuple[str, bytes]:
    """Inspect ``query``, negotiate its format and evaluate it under the time limit."""
    config = state.config
    info = check_query(query, config.max_query_length, config.max_nesting, max_operators(config))
    results_format = graph_format = None
    if info.form in (None, "SELECT", "ASK"):
        results_format = choose_format("results", accept, overrides)
    if info.form in (None, "CONSTRUCT", "DESCRIBE"):
        graph_format = choose_format("graph", accept, overrides)
    if info.form is not None and results_format is None and graph_format is None:
        kinds = "SPARQL JSON, XML, CSV or TSV" if info.form in ("SELECT", "ASK") else \
            "Turtle, N-Triples, RDF/XML or JSON-LD"
        raise ProtocolError(406, f"cannot produce any format the request accepts for a "
                                 f"{info.form} query; this service offers {kinds}")
    job = QueryJob(query=query, results_format=results_format, graph_format=graph_format, default=default,
                   named=named, dataset_clause=info.has_dataset_clause, max_results=config.max_results,
                   max_bytes=max(8 << 20, config.max_results * 512), shallow=shallow(info),
                   form=early_form(info))
    return state.evaluator.run(job, timeout=config.query_timeout)


@bp.route("/sparql", methods=["GET", "POST"])
def sparql():
    """What :class:`SparqlEndpoint` leaves to Flask: the service description."""
    return service_description(get_state())


# ---------------------------------------------------------------------------
# Service description
# ---------------------------------------------------------------------------

def _description_turtle(state, endpoint: str) -> str:
    sizes = state.store.graph_sizes()
    default_names = state.store.default_graph_names()
    total = sum(n for g, n in sizes.items() if g in default_names)
    base = user_base_iri(state.base)
    result_formats = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                      "SPARQL_Results_TSV", "Turtle", "N-Triples", "RDF_XML", "JSON-LD"]
    lines = [
        turtle_prologue(["sd", "void", "dcterms", "rdfs"]),
        f"<{endpoint}> a sd:Service ;",
        f"    sd:endpoint <{endpoint}> ;",
        "    rdfs:label \"policykg SPARQL 1.1 endpoint (read-only)\"@en , \"policykg SPARQL 1.1 查询服务（只读）\"@zh ;",
        "    sd:supportedLanguage sd:SPARQL11Query ;",
        # SPARQL 1.1 Protocol 2.3: the service defines the base IRI of requests. The service
        # description vocabulary has no term for it, so it is stated in words, with the IRI.
        f"    rdfs:comment \"Relative IRIs in queries and updates resolve against the base IRI <{base}>.\"@en , "
        f"\"查询和更新中的相对 IRI 以 <{base}> 为基准 IRI 解析。\"@zh ;",
        "    sd:feature sd:UnionDefaultGraph ;",
        "    sd:resultFormat " + " , ".join(f"<{FORMATS}{f}>" for f in result_formats) + " ;",
        "    sd:defaultEntailmentRegime <http://www.w3.org/ns/entailment/Simple> ;",
        "    sd:defaultDataset [",
        "        a sd:Dataset ;",
        "        sd:defaultGraph [",
        "            a sd:Graph ;",
        f"            void:triples {total} ;",
        "            dcterms:description \"The default graph is the union of the named graphs: "
        + ", ".join(f"<{g}>" for g in default_names) + ".\"@en",
        "        ]",
    ]
    for name in sorted(sizes):
        lines[-1] += " ;"
        lines += [
            "        sd:namedGraph [",
            "            a sd:NamedGraph ;",
            f"            sd:name <{name}> ;",
            f"            sd:graph [ a sd:Graph ; void:triples {sizes[name]} ]",
            "        ]",
        ]
    lines += ["    ] .", ""]
    return "\n".join(lines)


def service_description(state) -> Response:
    endpoint = request.base_url
    offers = [m for m, _ in GRAPH_OFFERS]
    chosen = negotiate(request.headers.get("Accept"), offers + ["text/html", "application/xhtml+xml"],
                       default="text/turtle")
    if chosen in ("text/html", "application/xhtml+xml"):
        # A person opened /sparql in a browser: the editor is the endpoint's page for people.
        response = redirect(url_for("pages.editor"), code=303)
        response.headers["Vary"] = "Accept"
        return response
    if chosen is None:
        chosen = "text/turtle"
    token = dict(GRAPH_OFFERS)[chosen]
    turtle = state.cached(("sd", endpoint), lambda: _description_turtle(state, endpoint))

    def render():
        if token == "TURTLE":
            return turtle.encode("utf-8")
        triples = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
        return ox.serialize(triples, format=getattr(ox.RdfFormat, token))

    body = state.cached(("sd", endpoint, token), render)
    response = Response(body, content_type=_with_charset(media_type_for("graph", token)))
    response.headers["Vary"] = "Accept, Accept-Encoding"
    return response


# ---------------------------------------------------------------------------
# /update (only with an admin token)
# ---------------------------------------------------------------------------

def _authorized(token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


@bp.route("/update", methods=["POST"])
def update():
    state = get_state()
    token = state.config.admin_token
    if not token:
        return error_response(404, "updates are disabled on this service (no admin token configured)")
    if not _authorized(token):
        return error_response(401, "a valid bearer token is required",
                              {"WWW-Authenticate": 'Bearer realm="policykg"'})
    req = ProtocolRequest(request.environ, current_app.config["MAX_CONTENT_LENGTH"])
    try:
        if req.mimetype == UPDATE_MEDIA:
            values = [req.text()]
        elif req.mimetype == FORM_MEDIA:
            values = req.params("update")
        else:
            raise ProtocolError(415, f"send {UPDATE_MEDIA} or {FORM_MEDIA} with an 'update' parameter")
        if len(values) != 1 or not values[0].strip():
            raise ProtocolError(400, "send exactly one non-empty update")
        check_query(values[0], state.config.max_query_length, state.config.max_nesting,
                    max_operators(state.config), update=True)
        # Protocol §2.2.3: the dataset of the update's WHERE clauses may come as parameters (URL or form)
        using = [iri for iri in req.params("using-graph-uri") if iri.strip()]
        using_named = [iri for iri in req.params("using-named-graph-uri") if iri.strip()]
        state.apply_update(with_dataset(values[0], using, using_named))
    except (QueryRefused, HttpError) as exc:   # ProtocolError included
        error = http_error(exc)
        return error_response(error.status, error.message, error.headers, error.code)
    return Response(status=204)
