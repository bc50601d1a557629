"""The store behind the service: one small interface, an embedded pyoxigraph backend.

Trusted code (named queries, pages, linked data) calls :meth:`Store.select`,
:meth:`Store.construct` and :meth:`Store.ask` in-process. Values are bound with
pyoxigraph ``substitutions`` (SEP-0007), never pasted into the query text. The
default graph of every query is the union of the dataset's named graphs (without
the background graph when ``include_background`` is off).

User-supplied SPARQL comes to :meth:`Store.answer` only after /sparql has inspected it,
and on a helper thread that the time limit watches (:mod:`policykg.store.evaluation`).
The service uses no other way in (tests/api/test_store_interface.py serves every kind
of request from a store that has nothing but the interface), so a remote backend, for
instance another SPARQL endpoint, can take the embedded one's place.
"""
from __future__ import annotations

import itertools
import multiprocessing
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import pyoxigraph as ox
from rdflib.term import Identifier

from policykg.iris import GRAPH_NAMES, graph_iri
from policykg.loader.dataset import build_bundled, to_oxigraph_term
from policykg.store.errors import QueryRefused, StoreError, limit_reached
from policykg.store.guard import describe_syntax_error
from policykg.store.results import at_most_rows, at_most_triples, term_rows

_FORMATS_BY_SUFFIX = {
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nquads": ox.RdfFormat.N_QUADS,
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}


def rdf_format_for(path: Path) -> ox.RdfFormat:
    try:
        return _FORMATS_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise StoreError(
            f"{path}: unknown RDF format {path.suffix!r}; expected one of {', '.join(sorted(_FORMATS_BY_SUFFIX))}"
        ) from None


@dataclass(frozen=True)
class DataSource:
    """Where the data lives, in a form every server process can reopen by itself.

    ``kind`` is ``"file"`` (an RDF file loaded into memory) or ``"folder"`` (a
    persistent pyoxigraph store, opened read-only by the server processes); ``"remote"``
    names a SPARQL server (``path`` is its query endpoint), which no process opens here
    (:class:`policykg.store.remote.RemoteStore`).
    """

    kind: str
    path: str

    def open(self, read_only: bool = False) -> ox.Store:
        path = Path(self.path)
        if self.kind == "file":
            store = ox.Store()
            load_file(store, path)
            return store
        if self.kind == "folder":
            try:
                return ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
            except OSError as exc:
                raise StoreError(f"{path}: cannot open the store folder: {exc}") from exc
        raise StoreError(f"unknown data source kind {self.kind!r}")


def load_file(store: ox.Store, path: Path) -> None:
    """Load an RDF file (TriG, N-Quads, Turtle ...) into ``store``."""
    # bulk_extend over the parser keeps the file's blank node labels (bulk_load renames
    # them at random): every server process then gives the same answers and dumps.
    # As fast as bulk_load; no transaction log either way.
    store.bulk_extend(read_quads(path))


def read_quads(path: Path):
    """The quads of an RDF file, read lazily; a missing, unknown or bad file raises StoreError."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    fmt = rdf_format_for(path)
    try:
        yield from ox.parse(path=str(path), format=fmt)
    except (SyntaxError, ValueError, OSError) as exc:
        raise StoreError(f"{path}: cannot load: {exc}") from exc


def to_term(value):
    """A pyoxigraph term for ``value``: pyoxigraph terms pass, rdflib terms are converted."""
    if isinstance(value, (ox.NamedNode, ox.BlankNode, ox.Literal, ox.Triple)):
        return value
    if isinstance(value, Identifier):   # an rdflib term: the loader owns the conversion
        return to_oxigraph_term(value)
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false",
                          datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    if isinstance(value, str):
        return ox.Literal(value)
    raise TypeError(f"cannot bind {value!r} ({type(value).__name__}) as an RDF term")


@dataclass(frozen=True)
class QueryJob:
    """A user's query as the SPARQL protocol asks for it, checked and ready to evaluate."""

    query: str
    results_format: str | None       # a pyoxigraph QueryResultsFormat name for SELECT/ASK, None if none fits
    graph_format: str | None         # a pyoxigraph RdfFormat name for CONSTRUCT/DESCRIBE, None if none fits
    default: list[str] | None        # default-graph-uri values; None: the service's default graph
    named: list[str] | None          # named-graph-uri values
    dataset_clause: bool             # the text has FROM / FROM NAMED
    max_results: int                 # most rows or triples
    max_bytes: int                   # largest serialised answer
    shallow: bool = False            # few operators, little nesting: see policykg.store.evaluation.shallow
    form: str | None = None          # the guard's reading of the form, for a query of standard words only
                                     # (policykg.store.guard.early_form): a remote store sends it early


def _substitutions(bindings: Mapping | None):
    if not bindings:
        return None
    return {ox.Variable(name.lstrip("?$")): to_term(value) for name, value in bindings.items()}


class Store:
    """The interface every backend implements (embedded now, a remote endpoint later).

    Trusted code asks with :meth:`select`, :meth:`construct` and :meth:`ask`; the
    SPARQL endpoint hands a user's checked query to :meth:`answer`; linked data and the
    dumps read with the remaining methods. Only /update reaches past it: it opens the
    data itself, in a child process it can stop (:mod:`policykg.store.updates`).
    """

    def select(self, query: str, bindings: Mapping | None = None) -> list[dict]:
        raise NotImplementedError

    def ask(self, query: str, bindings: Mapping | None = None) -> bool:
        raise NotImplementedError

    def answer(self, job: QueryJob) -> tuple[str, bytes]:
        """A user's query, as the SPARQL protocol asks, serialised: (media type, body).
        Raises QueryRefused when it cannot be answered."""
        raise NotImplementedError

    def graph_names(self) -> list[str]:
        raise NotImplementedError

    def default_graph_names(self) -> list[str]:
        """The named graphs whose union is the default graph."""
        raise NotImplementedError

    def graph_sizes(self) -> dict[str, int]:
        raise NotImplementedError

    def graph_triples(self, name: str) -> list[ox.Triple]:
        raise NotImplementedError

    def dump(self, path: str, fmt: ox.RdfFormat, prefixes: Mapping | None = None, graph: str | None = None) -> None:
        raise NotImplementedError

    def triples_about(self, iri: str) -> list[ox.Triple]:
        raise NotImplementedError

    def triples_pointing_to(self, iri: str, limit: int = 1000) -> list[ox.Triple]:
        raise NotImplementedError

    def __len__(self) -> int:
        """The number of quads."""
        raise NotImplementedError


class OxigraphStore(Store):
    """An embedded pyoxigraph store (in memory, or a folder)."""

    def __init__(self, store: ox.Store, base: str, include_background: bool = True,
                 source: DataSource | None = None):
        self.ox = store
        self.base = base
        self.include_background = include_background
        self.source = source
        # The number of quads of a store that never changes (the one shared copy, see
        # policykg.store.shared): pyoxigraph counts by walking every quad, which writes to the
        # pages it walks and so unshares them in a forked process.
        self.fixed_length: int | None = None

    # -- construction -------------------------------------------------------
    @classmethod
    def from_file(cls, path: Path | str, base: str, include_background: bool = True) -> "OxigraphStore":
        source = DataSource("file", str(Path(path).resolve()))
        return cls(source.open(), base, include_background, source)

    @classmethod
    def open_source(cls, source: DataSource, base: str, include_background: bool = True) -> "OxigraphStore":
        """Open ``source`` as a server process does: files into memory, folders read-only."""
        return cls(source.open(read_only=True), base, include_background, source)

    @classmethod
    def open_folder(cls, folder: Path | str, base: str, include_background: bool = True,
                    data: Path | str | None = None) -> "OxigraphStore":
        """Open (or create) a persistent store; load ``data`` into it when it is empty."""
        folder = Path(folder).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        source = DataSource("folder", str(folder))
        store = source.open()
        if data is not None and len(store) == 0:
            load_file(store, Path(data))
            store.flush()
        return cls(store, base, include_background, source)

    # -- the dataset --------------------------------------------------------
    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.ox.named_graphs() if isinstance(g, ox.NamedNode))

    def default_graph_names(self) -> list[str]:
        """The named graphs whose union is the default graph."""
        names = self.graph_names()
        if not self.include_background:
            background = graph_iri(self.base, "background")
            names = [n for n in names if n != background]
        return names

    def query_options(self) -> dict:
        """Keyword arguments that make the default graph the union of the named graphs."""
        return default_graph_options(self.base, self.include_background, self.graph_names())

    def _query(self, query: str, bindings: Mapping | None):
        return self.ox.query(query, substitutions=_substitutions(bindings), **self.query_options())

    # -- the interface ------------------------------------------------------
    def select(self, query: str, bindings: Mapping | None = None) -> list[dict]:
        result = self._query(query, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise TypeError("select() needs a SELECT query")
        return term_rows(result)

    def ask(self, query: str, bindings: Mapping | None = None) -> bool:
        result = self._query(query, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise TypeError("ask() needs an ASK query")
        return bool(result)

    def answer(self, job: QueryJob) -> tuple[str, bytes]:
        """See :meth:`Store.answer`; the default graph is the union unless the job names one."""
        kwargs = {}
        if job.default is not None or job.named is not None:
            if job.default is not None:
                kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default] or [ox.DefaultGraph()]
            if job.named is not None:
                kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named]
        elif not job.dataset_clause:
            kwargs.update(self.query_options())
        max_results = job.max_results
        max_bytes = job.max_bytes
        try:
            # Relative IRIs (<x>) resolve against the one base IRI of user queries (Protocol 2.3).
            base_iri = user_base_iri(self.base)
            result = self.ox.query(job.query, base_iri=base_iri, **kwargs)
            if isinstance(result, ox.QueryTriples):
                fmt = job.graph_format
                if fmt is None:
                    raise QueryRefused("no_format", "no acceptable format for a graph result (CONSTRUCT/DESCRIBE)")
                rdf_format = getattr(ox.RdfFormat, fmt)
                return rdf_format.media_type, self._graph_body(
                    result, rdf_format, max_results, max_bytes,
                    lambda: self.ox.query(job.query, base_iri=base_iri, **kwargs))
            fmt = job.results_format
            if fmt is None:
                raise QueryRefused("no_format", "no acceptable format for a SELECT/ASK result")
            results_format = getattr(ox.QueryResultsFormat, fmt)
            if isinstance(result, ox.QueryBoolean):
                return results_format.media_type, result.serialize(format=results_format)
            out = _CappedWriter(max_bytes)
            result.serialize(out, format=results_format)
            body = out.getvalue()
            # A row takes at least one byte, so only a large body can hold too many rows (CSV, which
            # pyoxigraph cannot read back, counted too: results.at_most_rows).
            if not at_most_rows(body, fmt, max_results):
                raise limit_reached("too_many_results", f"the result has more than {max_results} rows; "
                                    "narrow the query or add LIMIT", "max_results")
            return results_format.media_type, body
        except _TooBig:
            raise limit_reached("too_large", f"the result is larger than {max_bytes} bytes; narrow the "
                                "query or add LIMIT", "max_results") from None
        except SyntaxError as exc:
            raise QueryRefused("syntax", describe_syntax_error(exc, job.query)) from None
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            # Well-formed (the parser accepted it) but not evaluable here, e.g. an extension
            # function the engine lacks: not a bad request (W3C syntax-query test_4).
            raise QueryRefused("not_evaluable", f"the query is well-formed but could not be evaluated: {exc}") from None

    @staticmethod
    def _graph_body(result, rdf_format, max_results: int, max_bytes: int, again) -> bytes:
        """A CONSTRUCT/DESCRIBE result serialised by the engine (no Python object per triple:
        a third of a small CONSTRUCT's time); more than ``max_results`` triples refused.
        A body past ``max_bytes`` is rare: the query is evaluated ``again`` and the triples
        counted as they come, so a graph answer is bounded by its triples, not its bytes."""
        out = _CappedWriter(max_bytes)
        try:
            result.serialize(out, format=rdf_format)
        except _TooBig:
            triples = list(itertools.islice(again(), max_results + 1))
            if len(triples) > max_results:
                raise _too_many_triples(max_results) from None
            return ox.serialize(triples, format=rdf_format) or b""
        body = out.getvalue()
        if not at_most_triples(body, max_results, rdf_format):
            raise _too_many_triples(max_results)
        return body

    # -- helpers for the service -------------------------------------------
    def graph_triples(self, name: str) -> list[ox.Triple]:
        """The triples of one named graph."""
        return [q.triple for q in self.ox.quads_for_pattern(None, None, None, ox.NamedNode(name))]

    def dump(self, path: str, fmt: ox.RdfFormat, prefixes: Mapping | None = None, graph: str | None = None) -> None:
        """Write the data to ``path``: with ``graph``, that named graph's triples (a triple
        format); else every quad in a dataset format, or in a triple format the default graph
        (the union), each triple once."""
        kwargs = {"prefixes": dict(prefixes)} if prefixes else {}
        if graph is not None:
            self.ox.dump(path, format=fmt, from_graph=ox.NamedNode(graph), **kwargs)
            return
        if fmt.supports_datasets:
            self.ox.dump(path, format=fmt, **kwargs)
            return
        seen: set = set()
        unique = []
        for triple in self.ox.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", **self.query_options()):
            if triple not in seen:
                seen.add(triple)
                unique.append(triple)
        ox.serialize(unique, path, format=fmt, **kwargs)

    def triples_about(self, iri: str) -> list[ox.Triple]:
        """The description of ``iri``: every triple (any graph) whose subject is ``iri``, one of
        its fragment sub-nodes ``iri#…``, or a blank node reachable from those (as in a
        concise bounded description, e.g. OWL lists and restrictions).

        Sub-nodes are found by following objects from ``iri`` (breadth first), so the
        cost is proportional to the description, never to the dataset.
        """
        node = _named_node(iri)
        if node is None:
            return []
        prefix = iri + "#"
        seen: set = set()
        triples: list[ox.Triple] = []
        queue: list = [node]
        visited: set = {queue[0]}
        while queue:
            subject = queue.pop(0)
            for quad in self.ox.quads_for_pattern(subject, None, None, None):
                t = quad.triple
                if t in seen:
                    continue
                seen.add(t)
                triples.append(t)
                obj = t.object
                if obj in visited:
                    continue
                if isinstance(obj, ox.BlankNode) or (isinstance(obj, ox.NamedNode) and obj.value.startswith(prefix)):
                    visited.add(obj)
                    queue.append(obj)
        return triples

    def triples_pointing_to(self, iri: str, limit: int = 1000) -> list[ox.Triple]:
        """Triples (any graph) whose object is ``iri``, at most ``limit``."""
        node = _named_node(iri)
        if node is None:
            return []
        seen: set = set()
        out: list[ox.Triple] = []
        for quad in self.ox.quads_for_pattern(None, None, node, None):
            t = quad.triple
            if t not in seen:
                seen.add(t)
                out.append(t)
                if len(out) >= limit:
                    break
        return out

    def graph_sizes(self) -> dict[str, int]:
        """Triples per named graph."""
        sizes = {name: 0 for name in self.graph_names()}
        for row in self.ox.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
            if isinstance(row["g"], ox.NamedNode):
                sizes[row["g"].value] = int(row["n"].value)
        return sizes

    def __len__(self) -> int:
        if self.fixed_length is not None:
            return self.fixed_length
        return len(self.ox)


def _too_many_triples(max_results: int) -> QueryRefused:
    return limit_reached("too_many_results", f"the result has more than {max_results} triples; "
                         "narrow the query or add LIMIT", "max_results")


class _CappedWriter:
    """A binary sink that refuses to grow past ``cap`` bytes."""

    def __init__(self, cap: int):
        self.cap = cap
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.cap:
            raise _TooBig()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


class _TooBig(Exception):
    pass


def _named_node(iri: str) -> ox.NamedNode | None:
    """The IRI as a term, or None when it cannot be one (a path such as /id/%FF or /def/%00
    asks about a string that no dataset can hold: nothing is known about it)."""
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None


def user_base_iri(base: str) -> str:
    """The base IRI against which relative IRIs of user queries and updates resolve: the
    configured base itself (so <id/…> names the service's own resources), declared in the
    service description."""
    return base


def default_graph_options(base: str, include_background: bool, graph_names: Iterable[str]) -> dict:
    """pyoxigraph ``query`` keyword arguments for the service's default graph."""
    if include_background:
        return {"use_default_graph_as_union": True}
    background = graph_iri(base, "background")
    names = [n for n in graph_names if n != background]
    return {"default_graph": [ox.NamedNode(n) for n in names] or [ox.DefaultGraph()]}


def open_store(config, data: str | None = None, folder: str | None = None) -> Store:
    """The store the configuration names: a SPARQL server, a file in memory, a folder, or the bundled policy."""
    if getattr(config, "store_url", "") and data is None and folder is None:
        from policykg.store.remote import RemoteStore   # SPARQLWrapper only when a server is named
        return RemoteStore.from_config(config)
    data = data if data is not None else config.data
    folder = folder if folder is not None else config.store
    base, bg = config.base, config.include_background
    if folder:
        return OxigraphStore.open_folder(folder, base, bg, data or None)
    if data:
        return OxigraphStore.from_file(data, base, bg)
    return OxigraphStore.from_file(build_bundled(base), base, bg)


def prepare_source(config) -> tuple[DataSource, int]:
    """The data source server processes will open, checked once, and its number of quads.

    A folder is created and loaded from ``data`` when empty (then closed: the server
    processes open it read-only); a file is parsed once so that a bad file is refused
    before any server process starts; without either, the bundled policy is built. A
    SPARQL server (``store_url``) is asked once: one that does not answer is a StoreError.
    """
    if getattr(config, "store_url", ""):
        from policykg.store.remote import RemoteStore
        return DataSource("remote", config.store_url), RemoteStore.from_config(config).check()
    if config.store:
        # In a separate, fresh interpreter: RocksDB started in this process would leave its
        # threads' locks behind in the server processes forked from it (an open there hangs).
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            count = pool.apply(_prepare_folder, (config.store, config.base, config.include_background,
                                                 config.data or None))
        return DataSource("folder", str(Path(config.store).resolve())), count
    path = Path(config.data) if config.data else build_bundled(config.base)
    count = sum(1 for _ in read_quads(path))
    return DataSource("file", str(path.resolve())), count


def _prepare_folder(folder: str, base: str, include_background: bool, data: str | None) -> int:
    store = OxigraphStore.open_folder(folder, base, include_background, data)
    return len(store)


__all__ = [
    "DataSource", "OxigraphStore", "QueryJob", "Store", "StoreError", "default_graph_options", "load_file",
    "open_store", "prepare_source", "rdf_format_for", "to_term", "GRAPH_NAMES",
]
