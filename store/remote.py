"""The store over a SPARQL 1.1 server (Oxigraph server, Virtuoso, Fuseki, GraphDB …): the
whole :class:`~policykg.store.backend.Store` interface over the SPARQL 1.1 Protocol, with
SPARQLWrapper as the client, and the Graph Store Protocol for loading.

What stays on our side, whatever the server:

* **The guard.** /sparql inspects every user query as before (:mod:`policykg.store.guard`);
  here each one is also parsed by pyoxigraph (on an empty store, nothing evaluated), so a
  query the embedded store would refuse is refused with the same message, an update or a
  server's own syntax (Virtuoso's ``DEFINE``) never reaches the server, and functions of a
  server's SQL (``bif:``, ``sql:``) are refused.
* **The dataset.** Every request names its dataset in the protocol (``default-graph-uri``,
  ``named-graph-uri``): the service's graphs (those under ``{base}graph/``), never the
  server's own (Virtuoso keeps system graphs), and never an address the query's ``FROM``
  names: graphs the store does not hold are left out (empty, as in the embedded store), so
  the server is never asked to fetch one.
* **The time limit.** The HTTP request is bounded by ``query_timeout`` (connect, wait and
  each read), the answer read against a deadline; the server is told the limit where it
  takes one (Virtuoso's ``timeout`` parameter, whose partial "anytime" answers are refused).
* **The answer.** Where the server writes the format the caller asked for as the embedded
  store does (:data:`policykg.store.results.VERBATIM`: Oxigraph's server), it is asked for that
  format and its body is passed on, under the embedded store's row and byte limits. Otherwise
  results come back as SPARQL JSON (SELECT/ASK) — Virtuoso's edited as bytes where that is enough
  (:func:`policykg.store.results.virtuoso_edited`), else normalised as decoded JSON (no RDF terms) —
  or as N-Triples (CONSTRUCT, DESCRIBE), and are written here in the format asked for. Over
  Virtuoso, the ``1``/``0`` it gives for every boolean are written ``true``/``false`` for the
  variables the query proves boolean (:mod:`policykg.store.booleans`).

A server that does not answer is :data:`~policykg.store.errors.REASONS` ``store_unavailable``
(503 with Retry-After): each request tries again, so the service recovers by itself when the
server is back. Credentials come from the environment (``POLICYKG_STORE_USER``,
``POLICYKG_STORE_PASSWORD``, ``POLICYKG_STORE_AUTH`` basic or digest) and are never logged.

Caches (graph names, the number of quads; and the application's own: results, the resolver,
dumps) belong to one state of the data, marked by a version the service writes into the
graph ``urn:policykg:state`` whenever it loads or updates the data (:meth:`RemoteStore.changed`
reads it at most once a second), so several service instances over one server agree.
"""
from __future__ import annotations

import http.client
import io
import logging
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.client import HTTPException
from pathlib import Path
from typing import Mapping

import pyoxigraph as ox
from SPARQLWrapper import DIGEST, GET, POST, SPARQLWrapper
from SPARQLWrapper import SPARQLExceptions

from policykg.store import results
from policykg.store.booleans import boolean_variables
from policykg.store.backend import QueryJob, Store, _named_node, read_quads, user_base_iri
from policykg.store.binding import bind_values
from policykg.store.errors import QueryRefused, StoreError, limit_reached
from policykg.store.guard import _OPAQUE, _PN_LOCAL, _PN_PREFIX, describe_syntax_error

log = logging.getLogger("policykg.store")

USER_ENV, PASSWORD_ENV, AUTH_ENV = "POLICYKG_STORE_USER", "POLICYKG_STORE_PASSWORD", "POLICYKG_STORE_AUTH"
STATE_GRAPH = "urn:policykg:state"
VERSION = "urn:policykg:version"
EMPTY_GRAPH = "urn:policykg:empty"     # names an empty dataset part: the protocol has no "no graph"
LOADING_PREFIX = "urn:policykg:loading:"
VERSION_POLL = 1.0                     # seconds between two looks at the data's version
TRUSTED_TIMEOUT_FACTOR = 6             # the service's own queries get this many time limits (pages, dumps)
MAX_BLANK_DEPTH = 64                   # deepest chain of blank nodes followed by triples_about
MAX_TEMPLATES = 256                    # requests built once and kept (_template), per store
MAX_GET_TARGET = 4096                  # longest request target (path and parameters) sent as a GET
_JSON = "application/sparql-results+json"
_GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")
_NTRIPLES = "application/n-triples"
_FORBIDDEN_SCHEMES = re.compile(r"<\s*(?:bif|sql):|PREFIX\s+[\w.-]*:\s*<\s*(?:bif|sql):", re.I)
_EMPTY = ox.Store()                    # parses queries and updates; never holds data


class RemoteStore(Store):
    """A :class:`Store` over a SPARQL 1.1 server (see the module docstring)."""

    remote = True
    source = None   # nothing a child process could reopen: queries run on threads

    def __init__(self, query_url: str, base: str, include_background: bool = True, update_url: str = "",
                 graph_store_url: str = "", timeout: float = 10.0, credentials: tuple | None = None):
        self.query_url = query_url
        self._update_url = update_url
        self._graph_store_url = graph_store_url
        self.base = base
        self.include_background = include_background
        self.timeout = float(timeout)
        self._credentials = credentials if credentials is not None else credentials_from_env()
        self._kind: str | None = None
        self._lock = threading.Lock()
        self._cache: dict = {}
        self._version: str | None = None
        self._checked = 0.0
        self._templates: dict = {}     # _Template by (Accept, form, dataset, limited, method): see _template

    @classmethod
    def from_config(cls, config) -> "RemoteStore":
        return cls(config.store_url, config.base, config.include_background, config.update_url,
                   config.graph_store_url, float(config.query_timeout))

    def __repr__(self) -> str:   # never the credentials
        return f"RemoteStore({self.query_url!r})"

    # -- the server ---------------------------------------------------------
    @property
    def kind(self) -> str:
        """``virtuoso``, ``oxigraph`` or ``sparql`` (any other server), from its Server header."""
        if self._kind is None:
            self._kind = self._probe()
        return self._kind

    def _probe(self) -> str:
        reply = self._send("ASK {}", accept=_JSON, form="ASK", timeout=self.timeout, dataset=None, probe=True)
        server = reply.headers.get("Server", "").lower()
        return "virtuoso" if "virtuoso" in server else "oxigraph" if "oxigraph" in server else "sparql"

    def check(self) -> int:
        """Ask the server once (at start): the number of quads, or StoreError naming what failed."""
        try:
            self.kind
            return len(self)
        except QueryRefused as exc:
            raise StoreError(f"the SPARQL server at {self.query_url} cannot be used: {exc.message}") from None

    @property
    def update_url(self) -> str:
        """The update endpoint: as configured, else the server's usual one."""
        if self._update_url:
            return self._update_url
        if self.kind == "oxigraph":
            return _sibling(self.query_url, "update")
        if self.kind == "virtuoso" and self._credentials:
            return _sibling(self.query_url, "sparql-auth")
        return self.query_url

    @property
    def graph_store_url(self) -> str:
        """The Graph Store Protocol endpoint for loading: as configured, else the server's usual one."""
        if self._graph_store_url:
            return self._graph_store_url
        if self.kind == "oxigraph":
            return _sibling(self.query_url, "store")
        if self.kind == "virtuoso":
            return _sibling(self.query_url, "sparql-graph-crud-auth" if self._credentials else "sparql-graph-crud")
        raise StoreError(f"no Graph Store Protocol endpoint is known for {self.query_url}; "
                         "name it with --graph-store-url (POLICYKG_GRAPH_STORE_URL)")

    # -- HTTP ---------------------------------------------------------------
    def _send(self, text: str, *, accept: str, form: str, timeout: float, dataset, update: bool = False,
              cap: int | None = None, server_limit: float | None = None, probe: bool = False,
              meanwhile=None) -> "_Reply":
        """Send a query (or an update) as SPARQLWrapper defines it; the whole reply, read before ``timeout``.
        ``meanwhile`` (no arguments) is called once the request is sent, before the answer is read, when
        the request goes over a kept connection (not on SPARQLWrapper's own path)."""
        kind = self._kind if probe else self.kind
        markers = {}
        sent = text
        if not update and kind == "virtuoso":
            sent, markers = ascii_separators(text)
        limit = (str(min(int(server_limit * 1000), _LIMIT_MAX_MS))
                 if server_limit is not None and kind == "virtuoso" else None)
        wait = max(0.05, timeout)   # what each socket operation may wait (a socket takes no 0)
        deadline = time.monotonic() + timeout
        try:
            if update:
                # Updates are not retried, so each takes a connection of its own (SPARQLWrapper's urllib).
                response = self._wrapper(sent, accept=accept, form=form, dataset=dataset, limit=limit,
                                         update=True, timeout=wait).query().response
            else:
                # Queries go over this thread's keep-alive connection, from a request SPARQLWrapper
                # built once for their kind (_Template): per query only the query is filled in.
                quoted = _quoted(sent)
                template = None
                if kind == "virtuoso":   # it answers a GET sooner than the same query POSTed
                    template = self._template(accept, form, dataset, limit is not None, GET)
                    if template.length(quoted) > MAX_GET_TARGET:
                        template = None
                if template is None:
                    template = self._template(accept, form, dataset, limit is not None, POST)
                response = template.send(sent, quoted, limit, wait, meanwhile)
            try:
                body = _read(response, deadline, cap)
            except BaseException:
                _discard(response)   # what is left unread would be read as the next request's answer
                raise
            headers = response.headers
        except (socket.timeout, TimeoutError):
            raise limit_reached("timeout", f"the SPARQL server did not answer within the time limit of {timeout:g} s",
                                "query_timeout") from None
        except SPARQLExceptions.SPARQLWrapperException as exc:
            raise _server_refusal(exc, self.query_url) from None
        except urllib.error.HTTPError as exc:
            if exc.code in (502, 503, 504):
                raise _unavailable(self.query_url, f"it answered {exc.code}") from None
            raise QueryRefused("not_evaluable", f"the SPARQL server refused the request ({exc.code}): "
                                                f"{_excerpt(exc.read())}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                raise limit_reached("timeout", f"the SPARQL server did not answer within the time limit of "
                                               f"{timeout:g} s", "query_timeout") from None
            raise _unavailable(self.query_url, str(exc.reason)) from None
        except (ConnectionError, HTTPException, OSError) as exc:
            raise _unavailable(self.query_url, f"{type(exc).__name__}: {exc}") from None
        state = headers.get("X-SQL-State")
        if state:   # Virtuoso's "anytime" answer: partial results at its time limit
            raise limit_reached("timeout", f"the SPARQL server stopped the query at the time limit "
                                           f"({state} {headers.get('X-SQL-Message', '')})".strip(), "query_timeout")
        return _Reply(body, headers, markers, text)

    def _wrapper(self, text: str, *, accept: str, form: str, dataset, limit: str | None, update: bool = False,
                 timeout: float | None = None, method: str = POST) -> SPARQLWrapper:
        """SPARQLWrapper set up for one request: the endpoint, the method (POST unless told), Accept,
        the dataset's parameters, Virtuoso's time limit (``limit``, ms) and the credentials; ``text``
        its query or update."""
        sparql = SPARQLWrapper(self.query_url, updateEndpoint=self.update_url if update else None)
        sparql.setMethod(method)
        sparql.setOnlyConneg(True)      # no format=/output= parameters: some servers refuse them
        # What setQuery() does, but for guessing the form with regular expressions (and warning about a
        # stand-in of _Template): we know the form, and SPARQLWrapper's guess never routes a request.
        sparql.queryString = text
        sparql.queryType = form
        if timeout is not None:
            sparql.timeout = timeout    # setTimeout() would round to whole seconds
        sparql.addCustomHttpHeader("Accept", accept)
        if dataset is not None:
            default, named = dataset
            for graph in default or [EMPTY_GRAPH]:
                sparql.addParameter("default-graph-uri", graph)
            for graph in named or [EMPTY_GRAPH]:
                sparql.addParameter("named-graph-uri", graph)
        if limit is not None:
            sparql.addParameter("timeout", limit)
        if self._credentials:
            user, password, auth = self._credentials
            sparql.setCredentials(user, password)
            if auth == "digest":
                sparql.setHTTPAuth(DIGEST)
        return sparql

    def _template(self, accept: str, form: str, dataset, limited: bool, method: str) -> "_Template":
        """The request of this kind (Accept, form, dataset, with a server time limit or not, GET or
        POST), built by SPARQLWrapper once: building it per query (parameters quoted one by one, the
        query's form guessed by regular expressions) cost more than Oxigraph's server takes to answer
        a lookup."""
        key = (accept, form, None if dataset is None else (tuple(dataset[0]), tuple(dataset[1])), limited, method)
        template = self._templates.get(key)
        if template is None:
            def make(text: str, limit: str | None, timeout: float | None = None) -> SPARQLWrapper:
                return self._wrapper(text, accept=accept, form=form, dataset=dataset, limit=limit, timeout=timeout,
                                     method=method)
            template = _Template(make, limited)
            if len(self._templates) >= MAX_TEMPLATES:   # datasets of user queries' FROM clauses: bounded
                self._templates.clear()
            self._templates[key] = template
        return template

    def _dataset(self) -> tuple[list[str], list[str]]:
        return self.default_graph_names(), self.graph_names()

    def _trusted(self, text: str, bindings: Mapping | None, form: str, accept: str = _JSON,
                 dataset=None) -> "_Reply":
        if bindings:
            text = bind_values(text, bindings)
        return self._send(text, accept=accept, form=form, timeout=self.timeout * TRUSTED_TIMEOUT_FACTOR,
                          dataset=dataset or self._dataset())

    def _rows(self, text: str, bindings: Mapping | None = None, dataset=None) -> list[dict]:
        parsed = self._parsed(self._trusted(text, bindings, "SELECT", dataset=dataset))
        if isinstance(parsed, bool):
            raise TypeError("select() needs a SELECT query")
        return parsed

    def _parsed(self, reply: "_Reply") -> list[dict] | bool:
        """The rows (pyoxigraph terms) or the boolean of a JSON answer: read by pyoxigraph straight
        from the body when the server writes JSON as the embedded store does, else normalised first."""
        try:
            if "JSON" in results.VERBATIM.get(self.kind, ()) and _media(reply) == _JSON:
                return results.solutions_rows(reply.body)
            return results.rows(self._normalised(reply))
        except results.ResultsError as exc:
            raise QueryRefused("internal", f"the SPARQL server's answer could not be read: {exc}") from None

    def _triples(self, text: str, dataset=None) -> list[ox.Triple]:
        reply = self._trusted(text, None, "CONSTRUCT", accept=_NTRIPLES, dataset=dataset)
        return _parse_triples(reply)

    # -- the interface ------------------------------------------------------
    def select(self, query: str, bindings: Mapping | None = None) -> list[dict]:
        return self._rows(query, bindings)

    def ask(self, query: str, bindings: Mapping | None = None) -> bool:
        parsed = self._parsed(self._trusted(query, bindings, "ASK"))
        if not isinstance(parsed, bool):
            raise TypeError("ask() needs an ASK query")
        return parsed

    def answer(self, job: QueryJob) -> tuple[str, bytes]:
        """See :meth:`Store.answer`: parsed here, evaluated by the server, given in the format asked for:
        the server's own bytes where they are already the embedded store's (results.VERBATIM), else
        its JSON or N-Triples normalised and written again.

        A query of standard words whose form the guard read (``job.form``, guard.early_form) is sent
        first and parsed while the server works (pyoxigraph's parse, 20-30 µs for the benchmark's queries,
        and the proof of boolean variables, 40 µs for its aggregate; bench/RESULTS.md): its answer is read whatever the
        parse says, so that a refused query holds the request as long as an evaluated one would, never
        more work on the server than the service waits for; then the parse's refusal (the embedded
        store's message) wins over anything the server said, as when it came first. A form the guard
        misread is asked again with its own Accept."""
        deadline = time.monotonic() + self.timeout   # one limit for all the requests of this query
        text = f"BASE <{user_base_iri(self.base)}>\n{job.query}"
        # (a query naming bif: or sql: is never sent: parse_query refuses it, after any syntax error)
        if job.form is None or self._wanted(job, job.form) is None or _FORBIDDEN_SCHEMES.search(job.query):
            return self._answer(job, parse_query(job.query, self.base), text, deadline)
        parsed: list = []

        def note() -> None:   # while the server works: pyoxigraph's form or refusal, the boolean proof
            if not parsed:
                try:
                    parsed.append(parse_query(job.query, self.base))
                except QueryRefused as exc:
                    parsed.append(exc)
                if parsed[0] == "SELECT" and self.kind == "virtuoso":
                    boolean_variables(text)   # kept by its lru_cache for _edited and _normalised

        def parse() -> str:
            note()
            if isinstance(parsed[0], QueryRefused):
                raise parsed[0]
            return parsed[0]

        try:
            reply = self._ask(job, job.form, text, deadline, note)
        except Exception:
            # pyoxigraph's refusal first, as when the query was parsed before it was sent; a misread
            # form's failure (a server refusing the Accept of another form) is not the query's
            if (parse() in _GRAPH_FORMS) == (job.form in _GRAPH_FORMS):
                raise
            reply = None
        form = parse()
        if reply is None or (form in _GRAPH_FORMS) != (job.form in _GRAPH_FORMS):
            return self._answer(job, form, text, deadline)
        return self._answered(job, form, reply)

    def _wanted(self, job: QueryJob, form: str) -> str | None:
        """The format asked for an answer of ``form`` (None: no acceptable one)."""
        return job.graph_format if form in _GRAPH_FORMS else job.results_format

    def _passed_on(self, form: str, wanted: str) -> str | None:
        """The media type the server is asked for when it writes ``wanted`` as the embedded store does
        (results.VERBATIM: its bytes are then passed on), else None (asked for JSON or N-Triples,
        normalised and written again)."""
        graph = form in _GRAPH_FORMS
        if wanted not in (results.VERBATIM_GRAPH if graph else results.VERBATIM).get(self.kind, ()):
            return None
        return getattr(ox.RdfFormat if graph else ox.QueryResultsFormat, wanted).media_type

    def _answer(self, job: QueryJob, form: str, text: str, deadline: float) -> tuple[str, bytes]:
        """The answer to a query whose form pyoxigraph read (``text``: the query as sent)."""
        return self._answered(job, form, self._ask(job, form, text, deadline))

    def _ask(self, job: QueryJob, form: str, text: str, deadline: float, meanwhile=None) -> "_Reply":
        """The server's reply to ``text``, a query of ``form``, asked in the format the answer will be
        given in where the server writes it as the embedded store does, else in JSON or N-Triples."""
        dataset = self._job_dataset(job, max(0.0, deadline - time.monotonic()))
        graph = form in _GRAPH_FORMS
        wanted = self._wanted(job, form)
        if wanted is None:
            raise QueryRefused("no_format", "no acceptable format for a graph result (CONSTRUCT/DESCRIBE)" if graph
                               else "no acceptable format for a SELECT/ASK result")
        passed_on = self._passed_on(form, wanted)
        if passed_on is not None:
            accept, cap = passed_on, job.max_bytes
        else:
            accept = _NTRIPLES if graph else _JSON
            cap = 4 * job.max_bytes + (1 << 20)   # JSON from the server is larger than what we send
        try:
            remaining = deadline - time.monotonic()
            return self._send(text, accept=accept, form=form, timeout=remaining, dataset=dataset, cap=cap,
                              server_limit=remaining, meanwhile=meanwhile)
        except _TooBig:
            raise _too_large(job.max_bytes) from None

    def _answered(self, job: QueryJob, form: str, reply: "_Reply") -> tuple[str, bytes]:
        """The server's reply to a query of ``form`` as the answer in the format asked for."""
        graph = form in _GRAPH_FORMS
        wanted = self._wanted(job, form)
        passed_on = self._passed_on(form, wanted)
        if passed_on is not None and not reply.markers and _media(reply) == passed_on.split(";")[0]:
            return self._verbatim(reply, graph, wanted, job)
        if graph:
            if self._ntriples_as_they_are(reply, job):
                return _NTRIPLES, reply.body
            return self._graph_answer(reply, job)
        return self._results_answer(reply, job)

    def _ntriples_as_they_are(self, reply: "_Reply", job: QueryJob) -> bool:
        """Whether Virtuoso's N-Triples, asked for as N-Triples, can be passed on as they came (results.virtuoso_ntriples_as_they_are:
        the triples parsing and writing them again would give, without the 0.1-0.2 ms that costs for 79 KB),
        within the row limit (else refused). Over the byte limit they are not: that limit is judged on what
        the embedded store would write (UTF-8, shorter than Virtuoso's \\u escapes), by :meth:`_graph_answer`."""
        if self.kind != "virtuoso" or job.graph_format != "N_TRIPLES" or _media(reply) != _NTRIPLES \
                or len(reply.body) > job.max_bytes or not results.virtuoso_ntriples_as_they_are(reply.body):
            return False
        if not results.at_most_triples(reply.body, job.max_results):
            raise _too_many(job.max_results, "triples")
        return True

    def _verbatim(self, reply: "_Reply", graph: bool, wanted: str, job: QueryJob) -> tuple[str, bytes]:
        """The server's answer as it is (in a format it writes as the embedded store does), under
        the embedded store's limits."""
        body = reply.body
        if len(body) > job.max_bytes:
            raise _too_large(job.max_bytes)
        try:
            within = (results.at_most_triples(body, job.max_results) if graph
                      else results.at_most_rows(body, wanted, job.max_results))
        except (SyntaxError, ValueError) as exc:
            raise QueryRefused("internal", f"the SPARQL server's answer could not be read: {exc}") from None
        if not within:
            raise _too_many(job.max_results, "triples" if graph else "rows")
        return getattr(ox.RdfFormat if graph else ox.QueryResultsFormat, wanted).media_type, body

    def _graph_answer(self, reply: "_Reply", job: QueryJob) -> tuple[str, bytes]:
        """A graph answer parsed (any RDF syntax the server chose) and written in the format asked for."""
        rdf_format = getattr(ox.RdfFormat, job.graph_format)
        if _media(reply) in (_NTRIPLES, "") and results.at_most_triples(reply.body, job.max_results):
            # Within the limit by its line count: parsed and written in one pass, with no list of
            # triples between (Virtuoso's 126 triples of 79 KB: 0.48 ms instead of 0.71).
            try:
                body = ox.serialize(ox.parse(reply.body, format=ox.RdfFormat.N_TRIPLES), format=rdf_format) or b""
            except (SyntaxError, ValueError) as exc:
                raise QueryRefused("internal", f"the SPARQL server's graph answer ({_NTRIPLES}) could not be "
                                               f"read: {exc}") from None
            if len(body) > job.max_bytes:
                raise _too_large(job.max_bytes)
            return rdf_format.media_type, body
        triples = _parse_triples(reply)
        if len(triples) > job.max_results:
            raise _too_many(job.max_results, "triples")
        body = ox.serialize(triples, format=rdf_format) or b""
        if len(body) > job.max_bytes:
            raise _too_large(job.max_bytes)
        return rdf_format.media_type, body

    def _results_answer(self, reply: "_Reply", job: QueryJob) -> tuple[str, bytes]:
        """A JSON answer normalised and written in the format asked for: Virtuoso's edited as bytes
        where that is enough (:meth:`_edited`), else decoded."""
        edited = self._edited(reply)
        if edited is not None and results.at_most_rows(edited, "JSON", job.max_results):
            answer = self._edited_answer(edited, job)
            if answer is not None:
                return answer
        data = self._normalised(reply)
        if results.row_count(data) > job.max_results:
            raise _too_many(job.max_results, "rows")
        results_format = getattr(ox.QueryResultsFormat, job.results_format)
        try:
            body = results.write(data, results_format)
        except (SyntaxError, ValueError) as exc:   # ResultsError is a ValueError
            raise QueryRefused("internal", f"the SPARQL server's answer could not be read: {exc}") from None
        if len(body) > job.max_bytes:
            raise _too_large(job.max_bytes)
        return results_format.media_type, body

    def _edited(self, reply: "_Reply") -> bytes | None:
        """Virtuoso's JSON answer made standard by byte edits (results.virtuoso_edited), or None where
        that is not enough: GROUP_CONCAT stand-ins to put back, 1/0 of a variable the query proves
        boolean (store/booleans.py) to write true/false, or what virtuoso_edited leaves to decoding."""
        if self.kind != "virtuoso" or reply.markers or _media(reply) != _JSON:
            return None
        edited = results.virtuoso_edited(reply.body)
        # (the proof first: cached since the query was sent, it spares most answers a scan for 1/0)
        if edited is not None and boolean_variables(reply.query) and results.INTEGER in edited:
            return None
        return edited

    @staticmethod
    def _edited_answer(edited: bytes, job: QueryJob) -> tuple[str, bytes] | None:
        """An edited answer (standard JSON) as it is, or written by pyoxigraph in the format asked for;
        None for JSON over the byte limit, which the decoded path writes shorter (UTF-8, no spaces), as
        the embedded store does, before it judges the size."""
        results_format = getattr(ox.QueryResultsFormat, job.results_format)
        if results_format == ox.QueryResultsFormat.JSON:
            return (results_format.media_type, edited) if len(edited) <= job.max_bytes else None
        try:
            body = ox.parse_query_results(edited, format=ox.QueryResultsFormat.JSON).serialize(format=results_format)
        except (SyntaxError, ValueError) as exc:
            raise QueryRefused("internal", f"the SPARQL server's answer could not be read: {exc}") from None
        if len(body) > job.max_bytes:
            raise _too_large(job.max_bytes)
        return results_format.media_type, body

    def _normalised(self, reply: "_Reply") -> dict:
        """The server's JSON answer, decoded and normalised (results.normalise); over Virtuoso, the
        1/0 of the variables that the query proves boolean (store/booleans.py) written true/false."""
        try:
            data, integers = results.normalise(results.decode(reply.body), reply.markers)
        except results.ResultsError as exc:
            raise QueryRefused("internal", f"the SPARQL server's answer could not be read: {exc}") from None
        if integers and self.kind == "virtuoso":
            proven = integers & boolean_variables(reply.query)
            if proven:
                results.relabel_booleans(data, proven)
        return data

    def _job_dataset(self, job: QueryJob, timeout: float) -> tuple[list[str], list[str]]:
        """The dataset of a user query, as the embedded store would make it, limited to the
        graphs the store holds (a graph named elsewhere is empty, never fetched)."""
        known = set(self._graph_names(timeout))
        if job.default is not None or job.named is not None:
            default = [g for g in job.default or () if g in known]
            named = [g for g in job.named if g in known] if job.named is not None else sorted(known)
            return default, named
        if job.dataset_clause:
            defaults, nameds = dataset_clauses(job.query, user_base_iri(self.base))
            return [g for g in defaults if g in known], [g for g in nameds if g in known]
        return self.default_graph_names(timeout), sorted(known)

    def graph_names(self) -> list[str]:
        return self._graph_names(self.timeout * TRUSTED_TIMEOUT_FACTOR)

    def _graph_names(self, timeout: float) -> list[str]:
        def fetch():
            prefix = f"{self.base}graph/"
            text = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                    f"FILTER(STRSTARTS(STR(?g), {_string(prefix)})) }}")
            rows = self._parsed(self._send(text, accept=_JSON, form="SELECT", timeout=timeout, dataset=None))
            return sorted(r["g"].value for r in rows if isinstance(r.get("g"), ox.NamedNode))
        return list(self._cached("graph_names", fetch))

    def default_graph_names(self, timeout: float | None = None) -> list[str]:
        names = self._graph_names(self.timeout * TRUSTED_TIMEOUT_FACTOR if timeout is None else timeout)
        if not self.include_background:
            background = f"{self.base}graph/background"
            names = [n for n in names if n != background]
        return names

    def graph_sizes(self) -> dict[str, int]:
        def fetch():
            sizes = {name: 0 for name in self.graph_names()}
            for row in self._rows("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
                if isinstance(row.get("g"), ox.NamedNode) and row["g"].value in sizes:
                    sizes[row["g"].value] = int(row["n"].value)
            return sizes
        return dict(self._cached("graph_sizes", fetch))

    def __len__(self) -> int:
        # The sizes are cached per version of the data, but /healthz asks for this number: a
        # trivial question first, so that a server gone makes it fail (503 store_unavailable).
        self._send("ASK {}", accept=_JSON, form="ASK", timeout=self.timeout, dataset=None)
        return sum(self.graph_sizes().values())

    def graph_triples(self, name: str) -> list[ox.Triple]:
        node = _named_node(name)
        if node is None or name not in self.graph_names():
            return []
        return self._triples(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {node} {{ ?s ?p ?o }} }}")

    def dump(self, path: str, fmt: ox.RdfFormat, prefixes: Mapping | None = None, graph: str | None = None) -> None:
        """As the embedded store's; every graph is fetched whole and its size checked (a server
        that cuts long answers, e.g. Virtuoso's ResultSetMaxRows, would give a short dump)."""
        kwargs = {"prefixes": dict(prefixes)} if prefixes else {}
        sizes = self.graph_sizes()
        if graph is not None:
            ox.serialize(self._checked_graph(graph, sizes), path, format=fmt, **kwargs)
            return
        if fmt.supports_datasets:
            quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(name))
                     for name in self.graph_names() for t in self._checked_graph(name, sizes)]
            ox.serialize(quads, path, format=fmt, **kwargs)
            return
        seen: set = set()
        unique = []
        for name in self.default_graph_names():
            for triple in self._checked_graph(name, sizes):
                if triple not in seen:
                    seen.add(triple)
                    unique.append(triple)
        ox.serialize(unique, path, format=fmt, **kwargs)

    def _checked_graph(self, name: str, sizes: dict) -> list[ox.Triple]:
        triples = self.graph_triples(name)
        if len(set(triples)) != sizes.get(name, 0):
            raise StoreError(f"the SPARQL server returned {len(triples)} of the {sizes.get(name, 0)} triples of "
                             f"{name} (does it cut long answers? Virtuoso: raise [SPARQL] ResultSetMaxRows)")
        return triples

    def triples_about(self, iri: str) -> list[ox.Triple]:
        """As the embedded store's: the triples of ``iri``, of its fragment sub-nodes ``iri#…``
        and of blank nodes reachable from them. A blank node cannot be named in a query, so
        the triples of blank nodes at depth k are asked for by the chain that reaches them
        (one query per depth, for all the nodes of a round)."""
        if _named_node(iri) is None:
            return []
        prefix = iri + "#"
        seen: set = set()
        triples: list[ox.Triple] = []
        visited = {iri}
        frontier = [iri]
        dataset = ([], self.graph_names())
        while frontier:
            values = " ".join(str(ox.NamedNode(n)) for n in frontier)
            frontier = []
            for depth in range(MAX_BLANK_DEPTH + 1):
                chain = "".join(f" GRAPH ?g{k} {{ ?b{k} ?q{k} ?b{k + 1} }} FILTER(isBlank(?b{k + 1}))"
                                for k in range(depth))
                query = (f"SELECT DISTINCT (?b{depth} AS ?s) ?p ?o WHERE {{ VALUES ?b0 {{ {values} }}{chain} "
                         f"GRAPH ?g {{ ?b{depth} ?p ?o }} }}")
                deeper = False
                for row in self._rows(query, dataset=dataset):
                    t = ox.Triple(row["s"], row["p"], row["o"])
                    if t not in seen:
                        seen.add(t)
                        triples.append(t)
                    obj = t.object
                    if isinstance(obj, ox.BlankNode):
                        deeper = True
                    elif isinstance(obj, ox.NamedNode) and obj.value.startswith(prefix) and obj.value not in visited:
                        visited.add(obj.value)
                        frontier.append(obj.value)
                if not deeper:
                    break
        return triples

    def triples_pointing_to(self, iri: str, limit: int = 1000) -> list[ox.Triple]:
        node = _named_node(iri)
        if node is None:
            return []
        rows = self._rows(f"SELECT DISTINCT ?s ?p WHERE {{ GRAPH ?g {{ ?s ?p {node} }} }} LIMIT {int(limit)}",
                          dataset=([], self.graph_names()))
        return [ox.Triple(r["s"], r["p"], node) for r in rows]

    # -- the state of the data ---------------------------------------------
    def _cached(self, key: str, make):
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = make()
        with self._lock:
            self._cache[key] = value
        return value

    def read_version(self) -> str | None:
        rows = self._rows(f"SELECT ?v WHERE {{ GRAPH <{STATE_GRAPH}> {{ <{STATE_GRAPH}> <{VERSION}> ?v }} }}",
                          dataset=([], [STATE_GRAPH]))
        return rows[0]["v"].value if rows else None

    def changed(self) -> bool:
        """Whether the data changed since the last look (at most one look a second); when it did,
        this store's caches are dropped. A server that does not answer is no change."""
        now = time.monotonic()
        if now - self._checked < VERSION_POLL:
            return False
        self._checked = now
        try:
            version = self.read_version()
        except QueryRefused:
            return False
        with self._lock:
            if version == self._version:
                return False
            self._version = version
            self._cache.clear()
        return True

    def mark_changed(self) -> None:
        """Write a new version of the data, so that every service instance over this server
        drops its caches (see :meth:`changed`)."""
        value = uuid.uuid4().hex
        self._update(f"DROP SILENT GRAPH <{STATE_GRAPH}> ; INSERT DATA {{ GRAPH <{STATE_GRAPH}> "
                     f"{{ <{STATE_GRAPH}> <{VERSION}> {_string(value)} }} }}", self.timeout * TRUSTED_TIMEOUT_FACTOR)
        with self._lock:
            self._cache.clear()
            self._checked = 0.0

    # -- changing the data -------------------------------------------------
    def update(self, text: str, timeout: float | None = None) -> None:
        """Apply a SPARQL update (checked by the guard first) on the server; raise QueryRefused."""
        try:
            _EMPTY.update(text, base_iri=user_base_iri(self.base))
        except SyntaxError as exc:
            raise QueryRefused("syntax", describe_syntax_error(exc, text)) from None
        except (OSError, ValueError, RuntimeError):
            pass   # well-formed; the empty store could not apply it, the server may
        _refuse_server_functions(text)
        limit = self.timeout if timeout is None else timeout
        try:
            self._update(f"BASE <{user_base_iri(self.base)}>\n{text}", limit)
        except QueryRefused as exc:
            if exc.reason == "timeout":
                raise QueryRefused("timeout", f"the update was not answered within the time limit of {limit:g} s; "
                                              "the server may still apply it") from None
            raise
        self.mark_changed()

    def _update(self, text: str, timeout: float) -> None:
        self._send(text, accept="*/*", form="INSERT", timeout=timeout, dataset=None, update=True)

    def load(self, path: Path | str, progress=None) -> dict[str, int]:
        """Push every named graph of the dataset at ``path``, each replacing the server's graph
        of the same name in one step: the graph is first put into a temporary graph (Graph
        Store Protocol), its size checked, then moved over the old one (``MOVE``: the old
        version is served until that moment), and its size checked again. Returns the sizes."""
        graphs: dict[str, set] = {}
        for quad in read_quads(Path(path)):
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise StoreError(f"{path}: a triple outside the named graphs ({quad.triple}); the service serves "
                                 "named graphs only")
            graphs.setdefault(quad.graph_name.value, set()).add(quad.triple)
        loaded = {}
        for name, triples in sorted(graphs.items()):
            temporary = f"{LOADING_PREFIX}{uuid.uuid4().hex}"
            body = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES)
            try:
                self._put_graph(temporary, body)
                self._expect_size(temporary, len(triples), "after the upload")
                self._update(f"MOVE SILENT <{temporary}> TO <{name}>", self.timeout * TRUSTED_TIMEOUT_FACTOR * 10)
            except BaseException:
                try:
                    self._update(f"DROP SILENT GRAPH <{temporary}>", self.timeout * TRUSTED_TIMEOUT_FACTOR)
                except QueryRefused:
                    pass
                raise
            self._expect_size(name, len(triples), "after replacing it")
            loaded[name] = len(triples)
            if progress is not None:
                progress(name, len(triples))
        self.mark_changed()
        return loaded

    def _expect_size(self, graph: str, expected: int, when: str) -> None:
        rows = self._rows(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                          dataset=([], [graph]))
        found = int(rows[0]["n"].value) if rows else 0
        if found != expected:
            raise StoreError(f"graph {graph} holds {found} triples {when}, not the {expected} sent; "
                             "the previous version was kept")

    def _put_graph(self, graph: str, body: bytes) -> None:
        url = self.graph_store_url
        param = "graph-uri" if self.kind == "virtuoso" else "graph"
        request = urllib.request.Request(f"{url}?{urllib.parse.urlencode({param: graph})}", data=body,
                                         method="PUT", headers={"Content-Type": _NTRIPLES})
        handlers = []
        if self._credentials:
            user, password, auth = self._credentials
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, url, user, password)
            handlers.append(urllib.request.HTTPDigestAuthHandler(manager) if auth == "digest"
                            else urllib.request.HTTPBasicAuthHandler(manager))
        try:
            with urllib.request.build_opener(*handlers).open(request, timeout=self.timeout * 60) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise StoreError(f"the Graph Store endpoint {url} refused the upload ({exc.code}): "
                             f"{_excerpt(exc.read())}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise StoreError(f"the Graph Store endpoint {url} did not answer: {exc}") from None


class _Connections(threading.local):
    """This thread's open connections, one per server (scheme, host and port)."""

    def __init__(self):
        self.open: dict[tuple[str, str], http.client.HTTPConnection] = {}


_CONNECTIONS = _Connections()


def _forget_inherited_connections() -> None:
    """In a forked child (the server processes of `policykg serve` are forked after the start-up
    check): the parent's kept connections are its own; two processes writing on one socket would
    read each other's answers. The child's copies are dropped (not shut down) and it opens its own."""
    _CONNECTIONS.open = {}


os.register_at_fork(after_in_child=_forget_inherited_connections)
_REDIRECTS = (301, 302, 303, 307, 308)
# What SPARQLWrapper raises for an HTTP status (its _query), so that both paths are read alike.
_STATUS_ERRORS = {400: SPARQLExceptions.QueryBadFormed, 401: SPARQLExceptions.Unauthorized,
                  404: SPARQLExceptions.EndPointNotFound, 414: SPARQLExceptions.URITooLong,
                  500: SPARQLExceptions.EndPointInternalError}


# Stand-ins for the query text and the server's time limit in a request built once (_Template): letters
# and digits only, so SPARQLWrapper's quoting leaves them as they are, and no IRI of a dataset holds them.
_QUERY_SLOT = f"policykgquery{uuid.uuid4().hex}"
_LIMIT_SLOT = f"policykglimit{uuid.uuid4().hex}"
_SLOTS = re.compile(f"({_QUERY_SLOT}|{_LIMIT_SLOT})")
# The longest time limit passed to a server, in ms (over 31 years): its digits are what a request's
# length counts for it before the limit is known (_Template.length).
_LIMIT_MAX_MS = 10**12 - 1


class _Template:
    """One kind of request (server, method, Accept, form, dataset, credentials) as SPARQLWrapper builds
    it (parameters, headers, basic credentials), built once with stand-ins for the query and the time
    limit; each query fills them in, quoted (:func:`_quoted`), and goes over a keep-alive connection of
    the calling thread. Digest authentication (a challenge first) and redirects go through
    SPARQLWrapper itself (``make``: a SPARQLWrapper for one query), on its urllib path."""

    def __init__(self, make, limited: bool):
        self.make = make
        sparql = make(_QUERY_SLOT, _LIMIT_SLOT if limited else None)
        request = sparql._createRequest()
        parts = urllib.parse.urlsplit(request.full_url)
        self.key = (parts.scheme, parts.netloc)
        self.url = request.full_url
        self.method = request.get_method()
        self.headers = dict(request.header_items())
        self.target = _SLOTS.split(request.selector)
        self.body = _SLOTS.split(request.data.decode("ascii")) if isinstance(request.data, bytes) else None
        self._fixed = sum(len(p) for p in self.target if not _SLOTS.fullmatch(p))
        slots = sorted(p for p in self.target + (self.body or []) if _SLOTS.fullmatch(p))
        # SPARQLWrapper's own path when the request does not hold each stand-in once.
        self.pooled = (not (sparql.user and sparql.passwd and sparql.http_auth == DIGEST)
                       and slots == sorted([_QUERY_SLOT] + ([_LIMIT_SLOT] if limited else [])))

    def length(self, quoted: str) -> int:
        """The length of the request target (path and URL parameters) for a query quoted so."""
        return self._fixed + (len(quoted) if _QUERY_SLOT in self.target else 0) + (
            len(str(_LIMIT_MAX_MS)) if _LIMIT_SLOT in self.target else 0)

    @staticmethod
    def _filled(pieces: list[str], quoted: str, limit: str | None) -> str:
        return "".join(quoted if p == _QUERY_SLOT else limit if p == _LIMIT_SLOT else p for p in pieces)

    def send(self, text: str, quoted: str, limit: str | None, timeout: float,
             meanwhile=None) -> http.client.HTTPResponse:
        """The response to the query ``text`` (``quoted``: :func:`_quoted`), its body unread, or
        SPARQLWrapper's exception for an HTTP error; ``meanwhile``: see :func:`_send_pooled`."""
        if not self.pooled:
            return self.make(text, limit, timeout).query().response
        body = None if self.body is None else self._filled(self.body, quoted, limit).encode("ascii")
        response = _send_pooled(self.key, self.method, self._filled(self.target, quoted, limit), body,
                                self.headers, timeout, meanwhile)
        if response.status in _REDIRECTS:
            response.read()
            return self.make(text, limit, timeout).query().response
        if response.status >= 400:
            body = response.read()
            error = _STATUS_ERRORS.get(response.status)
            if error is not None:
                raise error(body)
            raise urllib.error.HTTPError(self.url, response.status, response.reason, response.headers,
                                         io.BytesIO(body))
        return response


def _quoted(text: str) -> str:
    """A query as SPARQLWrapper quotes a parameter's value (its _getRequestEncodedParameters)."""
    return urllib.parse.quote_plus(text.encode("utf-8"), safe="/")


def _send_pooled(key: tuple[str, str], method: str, selector: str, body: bytes | None, headers: dict,
                 timeout: float, meanwhile=None) -> http.client.HTTPResponse:
    """The request over this thread's connection to the server ``key`` (scheme, host and port); the
    response, its body unread. A connection that was idle may have been closed by the server (its
    keep-alive limit, a restart): a request that fails on one before any answer is sent once more on
    a new one. ``meanwhile`` is called between sending the request and reading the answer's head
    (work done while the server works; on each attempt, so it must be idempotent)."""
    for attempt in range(2):
        connection = _CONNECTIONS.open.pop(key, None)
        reused = connection is not None
        if connection is None:
            # (http.client sets TCP_NODELAY itself: the head and the body go out at once)
            kind = http.client.HTTPSConnection if key[0] == "https" else http.client.HTTPConnection
            connection = kind(key[1], timeout=timeout)
        elif connection.sock is not None:
            connection.sock.settimeout(timeout)
        connection.timeout = timeout
        try:
            connection.request(method, selector, body=body, headers=headers)
            quick_ack(connection.sock)
            if meanwhile is not None:
                meanwhile()
            response = connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            connection.close()
            if reused and attempt == 0:
                continue
            raise
        except BaseException:
            connection.close()
            raise
        response.policykg_connection = (key, connection)
        _CONNECTIONS.open[key] = connection   # usable again once the body is read (http.client's state)
        return response
    raise AssertionError("unreachable")


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)   # Linux only


def quick_ack(sock) -> None:
    """Acknowledge at once what the server sends next (TCP_QUICKACK lasts a few segments: set before
    each read). A server that writes an answer in pieces with Nagle's algorithm on waits for the ACK
    of the first before it sends the next, and ours would come 40 ms late (delayed ACK): Virtuoso's
    CONSTRUCT answers stalled so on one request in ten (bench/RESULTS.md)."""
    if _QUICKACK is not None and sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        except OSError:
            pass


def _discard(response) -> None:
    """Close the connection ``response`` came on (its body was not read to the end)."""
    key, connection = getattr(response, "policykg_connection", (None, None))
    if connection is not None:
        if _CONNECTIONS.open.get(key) is connection:
            del _CONNECTIONS.open[key]
        connection.close()
    try:
        response.close()
    except OSError:
        pass


class _Reply:
    __slots__ = ("body", "headers", "markers", "query")

    def __init__(self, body: bytes, headers, markers: Mapping | None = None, query: str = ""):
        self.body = body
        self.headers = headers
        self.markers = markers or {}   # ASCII stand-ins for GROUP_CONCAT separators (ascii_separators)
        self.query = query             # the query as written (values bound, before the stand-ins)


def _media(reply: _Reply) -> str:
    """The media type of the reply's body, without parameters."""
    return (reply.headers.get("Content-Type") or "").split(";")[0].strip().lower()


class _TooBig(Exception):
    pass


def _read(response, deadline: float, cap: int | None) -> bytes:
    """The body of ``response``, read in pieces; each read waits at most until ``deadline``."""
    parts, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
        if sock is not None:
            sock.settimeout(remaining)
            quick_ack(sock)
        piece = response.read(1 << 16)
        if not piece:
            return b"".join(parts)
        size += len(piece)
        if cap is not None and size > cap:
            response.close()
            raise _TooBig
        parts.append(piece)


def credentials_from_env() -> tuple | None:
    user = os.environ.get(USER_ENV)
    if not user:
        return None
    auth = os.environ.get(AUTH_ENV, "basic").strip().lower()
    if auth not in ("basic", "digest"):
        raise StoreError(f"{AUTH_ENV} must be basic or digest, not {auth!r}")
    return user, os.environ.get(PASSWORD_ENV, ""), auth


def _sibling(url: str, name: str) -> str:
    """``http://h/a/query`` with its last path segment replaced by ``name``."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path.rsplit("/", 1)[0] + "/" + name
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _string(value: str) -> str:
    return str(ox.Literal(value))


def _excerpt(body: bytes, limit: int = 300) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _unavailable(url: str, detail: str) -> QueryRefused:
    return QueryRefused("store_unavailable", f"the SPARQL server of the store ({url}) did not answer ({detail}); "
                                             "try again later — 数据库服务器暂时无法访问,请稍后再试")


def _server_refusal(exc, url: str) -> QueryRefused:
    """A refusal for the HTTP error SPARQLWrapper raised."""
    # SPARQLWrapper keeps the server's reply only inside its message ("…Response:\nb'…'").
    text = str(exc)
    reply = text.split("Response:\n", 1)[1] if "Response:\n" in text else text
    if reply[:2] in ("b'", 'b"'):
        try:
            import ast
            reply = ast.literal_eval(reply).decode("utf-8", "replace")
        except (ValueError, SyntaxError):
            pass
    message = _excerpt(reply)
    if isinstance(exc, SPARQLExceptions.Unauthorized):
        return _unavailable(url, f"it refused our credentials ({USER_ENV}, {PASSWORD_ENV}, {AUTH_ENV})")
    if isinstance(exc, SPARQLExceptions.EndPointNotFound):
        return _unavailable(url, "no SPARQL endpoint at this address (404)")
    if isinstance(exc, SPARQLExceptions.EndPointInternalError) and re.search(
            r"timed? ?out|S1T00|SR171|estimated execution time", message, re.I):
        return QueryRefused("timeout", f"the SPARQL server stopped the query at its time limit: {message}")
    return QueryRefused("not_evaluable", f"the SPARQL server could not evaluate the query: {message}")


def _too_large(max_bytes: int) -> QueryRefused:
    return limit_reached("too_large", f"the result is larger than {max_bytes} bytes; narrow the query or add LIMIT",
                         "max_results")


def _too_many(max_results: int, what: str) -> QueryRefused:
    return limit_reached("too_many_results", f"the result has more than {max_results} {what}; "
                                             "narrow the query or add LIMIT", "max_results")


# Virtuoso 7.2.5 writes a GROUP_CONCAT separator outside ASCII as "?" (however the query is sent):
# such a separator is sent as an ASCII stand-in that no text holds (control characters) and put
# back in the answer's literals. Other servers get the query as written.
_SEPARATOR = re.compile(r'(\bseparator\s*=\s*)"((?:[^"\\\n\r]|\\.)*)"', re.I)
_MARK = "\x01"


def ascii_separators(text: str) -> tuple[str, dict[str, str]]:
    """``text`` with each GROUP_CONCAT separator outside ASCII replaced by a stand-in, and the
    stand-ins (``{stand-in: separator}``)."""
    markers: dict[str, str] = {}

    def swap(match):
        written = match.group(2)
        separator = _unescape(written)
        if separator.isascii():
            return match.group(0)
        stand_in = next((k for k, v in markers.items() if v == separator), None)
        if stand_in is None:
            stand_in = f"{_MARK}{len(markers)}{_MARK}"
            markers[stand_in] = separator
        return f'{match.group(1)}"{stand_in.replace(_MARK, chr(92) + "u0001")}"'

    return _SEPARATOR.sub(swap, text), markers


def _unescape(written: str) -> str:
    """A SPARQL string's content (ECHAR and UCHAR escapes) as text."""
    return re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\(.)",
                  lambda m: chr(int(m.group(1) or m.group(2), 16)) if (m.group(1) or m.group(2))
                  else {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f"}.get(m.group(3), m.group(3)),
                  written)


def _parse_triples(reply: _Reply) -> list[ox.Triple]:
    media = (reply.headers.get("Content-Type") or _NTRIPLES).split(";")[0].strip().lower()
    fmt = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
    try:
        return [q.triple if isinstance(q, ox.Quad) else q for q in ox.parse(reply.body, format=fmt)]
    except (SyntaxError, ValueError) as exc:
        raise QueryRefused("internal", f"the SPARQL server's graph answer ({media}) could not be read: {exc}") \
            from None


def parse_query(text: str, base: str) -> str:
    """The form of a user query (SELECT, ASK, CONSTRUCT, DESCRIBE) as pyoxigraph parses it;
    QueryRefused with the embedded store's message when it cannot. Nothing is evaluated
    (an empty store; SELECT and CONSTRUCT answers are lazy)."""
    try:
        result = _EMPTY.query(text, base_iri=user_base_iri(base))
    except SyntaxError as exc:
        raise QueryRefused("syntax", describe_syntax_error(exc, text)) from None
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise QueryRefused("not_evaluable", f"the query is well-formed but could not be evaluated: {exc}") from None
    _refuse_server_functions(text)
    if isinstance(result, ox.QueryBoolean):
        return "ASK"
    if isinstance(result, ox.QueryTriples):
        return "DESCRIBE" if re.search(r"\bDESCRIBE\b", _without_opaque(text), re.I) else "CONSTRUCT"
    return "SELECT"


def _refuse_server_functions(text: str) -> None:
    if _FORBIDDEN_SCHEMES.search(text):
        raise QueryRefused("not_evaluable", "functions of a server's own SQL (bif:, sql:) are not allowed: "
                                            "the service speaks standard SPARQL to any server")


_OPAQUE_RE = re.compile(_OPAQUE, re.X | re.S)


def _without_opaque(text: str) -> str:
    return _OPAQUE_RE.sub(" ", text)


_CLAUSES = re.compile(rf"""
    (?P<skip>{_OPAQUE})
  | \bPREFIX\s+(?P<prefix>{_PN_PREFIX}|)\s*:\s*<(?P<namespace>[^<>"{{}}|^`\\\x00-\x20]*)>
  | \bBASE\s*<(?P<base>[^<>"{{}}|^`\\\x00-\x20]*)>
  | \bFROM\s+(?P<named>NAMED\s+)?(?:<(?P<iri>[^<>"{{}}|^`\\\x00-\x20]*)>|(?P<pname>(?:{_PN_PREFIX})?:{_PN_LOCAL}))
""", re.X | re.S | re.I)


def dataset_clauses(text: str, base: str) -> tuple[list[str], list[str]]:
    """The IRIs of a query's ``FROM`` and ``FROM NAMED`` clauses, resolved."""
    prefixes: dict[str, str] = {}
    defaults: list[str] = []
    nameds: list[str] = []
    for match in _CLAUSES.finditer(text):
        if match.group("skip") is not None:
            continue
        if match.group("base") is not None:
            base = urllib.parse.urljoin(base, match.group("base"))
        elif match.group("namespace") is not None:
            prefixes[match.group("prefix")] = urllib.parse.urljoin(base, match.group("namespace"))
        elif match.group("iri") is not None or match.group("pname") is not None:
            if match.group("iri") is not None:
                iri = urllib.parse.urljoin(base, match.group("iri"))
            else:
                prefix, _, local = match.group("pname").partition(":")
                if prefix not in prefixes:
                    continue
                iri = prefixes[prefix] + local
            (nameds if match.group("named") else defaults).append(iri)
    return defaults, nameds
