"""The W3C SPARQL 1.1 query test suite (vendored from w3c/rdf-tests), run two ways.

* **service**: every query goes through the service's HTTP layer: one Flask application
  (``create_app`` over a store holding the test's dataset, via the test client), the query
  sent as a client would (GET ``/sparql``, ``Accept`` for JSON results, N-Triples, CSV or
  TSV), the answer parsed back with rdflib's result parsers;
* **engine**: pyoxigraph in-process over the same dataset, the engine's own pass rate.

Results are compared as the W3C rules say: solutions as a bag (in order for the ORDER BY
keys when the query orders them), blank nodes up to a consistent renaming, literals by
term equality (lexical form, datatype, language tag), graphs up to isomorphism.

``python -m tests.w3c.sparql11_suite`` prints both pass rates and the engine's failures.
"""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.query import Result

from policykg.store.backend import OxigraphStore

HERE = Path(__file__).resolve().parent / "sparql11"
# The IRI the W3C gives the suite's files: relative IRIs in queries and data resolve against it.
SUITE_IRI = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
FOLDERS = ("aggregates", "bind", "bindings", "cast", "construct", "csv-tsv-res", "exists", "functions",
           "grouping", "json-res", "negation", "project-expression", "property-path", "subquery",
           "syntax-query")
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
EVALUATION = {MF.QueryEvaluationTest, MF.CSVResultFormatTest}
SYNTAX = {MF.PositiveSyntaxTest11: True, MF.NegativeSyntaxTest11: False,
          MF.PositiveSyntaxTest: True, MF.NegativeSyntaxTest: False}


@dataclass
class W3CTest:
    name: str                       # folder/local name, e.g. "property-path/pp14"
    kind: str                       # "evaluation", "csv", "positive-syntax", "negative-syntax"
    query: Path
    data: list[Path] = field(default_factory=list)
    graph_data: list[Path] = field(default_factory=list)
    result: Path | None = None

    @property
    def folder(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def base(self) -> str:
        """The folder's IRI: the service's base for this test (relative IRIs resolve the same
        against it as against the query file's own IRI)."""
        return f"{SUITE_IRI}{self.folder}/"

    def query_text(self) -> str:
        return self.query.read_text(encoding="utf-8")


def file_iri(path: Path) -> str:
    return SUITE_IRI + path.relative_to(HERE).as_posix()


def _local(iri) -> Path:
    return HERE / str(iri)[len(SUITE_IRI):]


@lru_cache(maxsize=1)
def load_tests() -> tuple[W3CTest, ...]:
    """Every approved (or not yet classified) test of the vendored folders, in manifest order."""
    tests = []
    for folder in FOLDERS:
        manifest = HERE / folder / "manifest.ttl"
        graph = Graph().parse(manifest, format="turtle", publicID=file_iri(manifest))
        for entries in graph.objects(None, MF.entries):
            for entry in graph.items(entries):
                kinds = set(graph.objects(entry, RDF.type))
                if (entry, DAWGT.approval, DAWGT.Withdrawn) in graph:
                    continue
                local = str(entry).rsplit("#", 1)[-1]
                name = f"{folder}/{local}"
                action = graph.value(entry, MF.action)
                if kinds & EVALUATION:
                    tests.append(W3CTest(
                        name, "csv" if MF.CSVResultFormatTest in kinds else "evaluation",
                        _local(graph.value(action, QT.query)),
                        [_local(d) for d in graph.objects(action, QT.data)],
                        [_local(d) for d in graph.objects(action, QT.graphData)],
                        _local(graph.value(entry, MF.result))))
                else:
                    positive = next((SYNTAX[k] for k in kinds if k in SYNTAX), None)
                    if positive is not None:
                        tests.append(W3CTest(name, "positive-syntax" if positive else "negative-syntax",
                                             _local(action)))
    return tuple(tests)


# ---------------------------------------------------------------------------
# The dataset of a test
# ---------------------------------------------------------------------------

def _rdf_format(path: Path) -> ox.RdfFormat:
    return {".ttl": ox.RdfFormat.TURTLE, ".rdf": ox.RdfFormat.RDF_XML, ".nt": ox.RdfFormat.N_TRIPLES,
            ".trig": ox.RdfFormat.TRIG}[path.suffix]


def dataset(test: W3CTest) -> ox.Store:
    """A pyoxigraph store holding the test's default graph and its named graphs."""
    store = ox.Store()
    for path in test.data:
        store.load(path=str(path), format=_rdf_format(path), base_iri=file_iri(path), to_graph=ox.DefaultGraph())
    for path in test.graph_data:
        name = ox.NamedNode(file_iri(path))
        store.add_graph(name)
        store.load(path=str(path), format=_rdf_format(path), base_iri=file_iri(path), to_graph=name)
    return store


# ---------------------------------------------------------------------------
# Answers in one comparable form
# ---------------------------------------------------------------------------

@dataclass
class Answer:
    """What a run produced: solutions (list of dicts), a boolean, a graph, CSV rows, or an error."""
    solutions: list[dict] | None = None
    boolean: bool | None = None
    graph: Graph | None = None
    csv_rows: list[tuple] | None = None
    error: str | None = None


XSD = "http://www.w3.org/2001/XMLSchema#"
_DECIMALS = {XSD + t for t in ("decimal", "integer", "int", "long", "short", "byte", "nonNegativeInteger",
                               "nonPositiveInteger", "negativeInteger", "positiveInteger", "unsignedLong",
                               "unsignedInt", "unsignedShort", "unsignedByte")}
_FLOATS = {XSD + "double", XSD + "float"}


def _lexical(text: str, datatype: str):
    """Numbers compare by value within their datatype: a computed 2.0 and an expected 2.00 are
    the same xsd:decimal, 1.0e6 and 1000000.0 the same xsd:double (the spec fixes values, not
    the lexical form engines print); anything else by its lexical form."""
    try:
        if datatype in _DECIMALS:
            return ("number", Decimal(text.strip()).normalize())
        if datatype in _FLOATS:
            value = float(text.strip())
            return ("number", "NaN" if value != value else value)
    except (InvalidOperation, ValueError):
        pass
    return text


def _term(term):
    """An rdflib term in the form compared: plain literals are xsd:string (RDF 1.1)."""
    if isinstance(term, Literal):
        datatype = term.datatype
        if datatype is None and term.language is None:
            datatype = XSD_STRING
        return ("literal", _lexical(str(term), str(datatype)), str(datatype) if datatype else None,
                term.language.lower() if term.language else None)
    if isinstance(term, BNode):
        return ("bnode", str(term))
    return ("iri", str(term))


def _solutions(result: Result) -> list[dict]:
    names = [str(v) for v in result.vars]
    rows = []
    for row in result:
        rows.append({name: _term(value) for name, value in zip(names, row) if value is not None})
    return rows


def parse_results(data: bytes, fmt: str) -> Answer:
    """Results in ``fmt`` (json, xml, tsv) as an Answer."""
    result = Result.parse(io.BytesIO(data), format=fmt)
    if result.type == "ASK":
        return Answer(boolean=bool(result.askAnswer))
    return Answer(solutions=_solutions(result))


def csv_rows(data: bytes) -> list[tuple]:
    """The rows of a CSV result (header first); blank nodes keep their labels for renaming."""
    return [tuple(row) for row in csv.reader(io.StringIO(data.decode("utf-8")))]


def expected_answer(test: W3CTest) -> Answer:
    path = test.result
    suffix = path.suffix
    if test.kind == "csv":
        return Answer(csv_rows=csv_rows(path.read_bytes()))
    if suffix in (".srx", ".srj", ".tsv"):
        return parse_results(path.read_bytes(), {".srx": "xml", ".srj": "json", ".tsv": "tsv"}[suffix])
    graph = Graph().parse(path, format={".ttl": "turtle", ".rdf": "xml", ".nt": "nt"}[suffix],
                          publicID=file_iri(path))
    result_set = graph.value(None, RDF.type, RS.ResultSet)
    if result_set is not None:          # results written in the DAWG result-set vocabulary
        return _from_result_set(graph, result_set)
    return Answer(graph=graph)


def _from_result_set(graph: Graph, result_set) -> Answer:
    boolean = graph.value(result_set, RS.boolean)
    if boolean is not None:
        return Answer(boolean=bool(boolean.toPython()))
    solutions = []
    for solution in graph.objects(result_set, RS.solution):
        row = {}
        for binding in graph.objects(solution, RS.binding):
            row[str(graph.value(binding, RS.variable))] = _term(graph.value(binding, RS.value))
        index = graph.value(solution, RS.index)
        solutions.append((int(index) if index is not None else 0, row))
    return Answer(solutions=[row for _, row in sorted(solutions, key=lambda item: item[0])])


# ---------------------------------------------------------------------------
# Comparison (W3C rules)
# ---------------------------------------------------------------------------

def _is_bnode(value) -> bool:
    return isinstance(value, tuple) and value[0] == "bnode"


def _rows_match(expected: list[dict], actual: list[dict], ordered_keys: list[str] | None) -> bool:
    """Whether the solutions are equal as bags up to a renaming of blank nodes (and, with
    ``ordered_keys``, agree position by position on those keys)."""
    if len(expected) != len(actual):
        return False
    if ordered_keys:
        for e, a in zip(expected, actual):
            for key in ordered_keys:
                ev, av = e.get(key), a.get(key)
                if _is_bnode(ev) and _is_bnode(av):
                    continue
                if ev != av:
                    return False
    # Rows without blank nodes first: they must match exactly, as a bag.
    exp_plain = sorted((tuple(sorted(r.items())) for r in expected if not any(map(_is_bnode, r.values()))),
                       key=repr)
    act_plain = sorted((tuple(sorted(r.items())) for r in actual if not any(map(_is_bnode, r.values()))),
                       key=repr)
    if exp_plain != act_plain:
        return False
    exp_b = [r for r in expected if any(map(_is_bnode, r.values()))]
    act_b = [r for r in actual if any(map(_is_bnode, r.values()))]
    budget = [200_000]   # backtracking steps; a result set too tangled to match within them is a mismatch

    def match(i: int, used: set, mapping: dict, inverse: dict) -> bool:
        if i == len(exp_b):
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return False
        row = exp_b[i]
        for j, candidate in enumerate(act_b):
            if j in used or candidate.keys() != row.keys():
                continue
            new_map, new_inv, ok = dict(mapping), dict(inverse), True
            for key, ev in row.items():
                av = candidate[key]
                if _is_bnode(ev) != _is_bnode(av):
                    ok = False
                elif _is_bnode(ev):
                    if new_map.setdefault(ev, av) != av or new_inv.setdefault(av, ev) != ev:
                        ok = False
                elif ev != av:
                    ok = False
                if not ok:
                    break
            if ok and match(i + 1, used | {j}, new_map, new_inv):
                return True
        return False

    return match(0, set(), {}, {})


_ORDER_BY = re.compile(r"\bORDER\s+BY\b(.*)$", re.I | re.S)


def order_keys(query: str) -> list[str] | None:
    """The variables a top-level ORDER BY sorts on (plain ?x, ASC(?x) or DESC(?x)), or None."""
    match = _ORDER_BY.search(query)
    if match is None:
        return None
    clause = re.split(r"\b(?:LIMIT|OFFSET|VALUES)\b|}", match.group(1), flags=re.I)[0]
    keys = re.findall(r"(?:^|\s|\()[?$]([A-Za-z_][\w]*)", clause)
    return keys or None


def compare(test: W3CTest, expected: Answer, actual: Answer) -> str | None:
    """None when ``actual`` passes, else why not."""
    if actual.error is not None:
        return actual.error
    if expected.boolean is not None:
        return None if actual.boolean == expected.boolean else f"expected {expected.boolean}, got {actual.boolean}"
    if expected.graph is not None:
        if actual.graph is None:
            return "expected a graph"
        return None if isomorphic(expected.graph, actual.graph) else \
            f"graphs differ ({len(expected.graph)} expected triples, {len(actual.graph)} returned)"
    if expected.csv_rows is not None:
        # SELECT * leaves the order of the columns open: compare them by name.
        if actual.csv_rows is None or sorted(actual.csv_rows[0]) != sorted(expected.csv_rows[0]):
            return "CSV headers differ"

        def as_rows(rows):
            return [{h: (("bnode", v) if v.startswith("_:") else v) for h, v in zip(rows[0], row)}
                    for row in rows[1:]]

        return None if _rows_match(as_rows(expected.csv_rows), as_rows(actual.csv_rows), None) else "CSV rows differ"
    if actual.solutions is None:
        return "expected solutions"
    keys = order_keys(test.query_text())
    if _rows_match(expected.solutions, actual.solutions, keys):
        return None
    return (f"solutions differ: expected {len(expected.solutions)}, got {len(actual.solutions)}"
            + (f" (ordered by {', '.join(keys)})" if keys else ""))


# ---------------------------------------------------------------------------
# The two runs
# ---------------------------------------------------------------------------

def run_engine(test: W3CTest) -> str | None:
    """pyoxigraph in-process: None when it passes, else why not."""
    text = test.query_text()
    if test.kind.endswith("syntax"):
        try:
            ox.Store().query(text, base_iri=file_iri(test.query))
            accepted = True
        except SyntaxError:
            accepted = False
        except Exception:  # noqa: BLE001 - parsed, failed at evaluation: the syntax was accepted
            accepted = True
        if accepted == (test.kind == "positive-syntax"):
            return None
        return "refused a valid query" if accepted is False else "accepted an invalid query"
    expected = expected_answer(test)
    try:
        result = dataset(test).query(text, base_iri=file_iri(test.query))
    except Exception as exc:  # noqa: BLE001 - any engine error is a failure of this test
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    if isinstance(result, ox.QueryBoolean):
        actual = Answer(boolean=bool(result))
    elif isinstance(result, ox.QueryTriples):
        actual = Answer(graph=Graph().parse(data=ox.serialize(list(result), format=ox.RdfFormat.N_TRIPLES)
                                            .decode("utf-8"), format="nt"))
    elif test.kind == "csv":
        actual = Answer(csv_rows=csv_rows(result.serialize(format=ox.QueryResultsFormat.CSV)))
    else:
        actual = parse_results(result.serialize(format=ox.QueryResultsFormat.JSON), "json")
    return compare(test, expected, actual)


class ServiceRunner:
    """One Flask application of the service; each test's dataset is adopted in turn, as
    the service adopts new data after an update."""

    def __init__(self):
        from policykg.settings import load_config

        self._config = load_config({"threads": 2}, environ={})
        self._apps: dict = {}

    def _client(self, test: W3CTest):
        from policykg.api import create_app

        store = SuiteDatasetStore(dataset(test), test.base)
        app = self._apps.get(test.base)
        if app is None:
            # The base setting is the test folder's IRI: the service's base IRI for user queries.
            app = self._apps[test.base] = create_app(self._config.replace(base=test.base), store=store)
        else:
            app.extensions["policykg"].adopt(store, None)
        return app.test_client()

    def run(self, test: W3CTest) -> tuple[str | None, int]:
        """(None when it passes else why not, the HTTP status)."""
        text = test.query_text()
        if test.kind.endswith("syntax"):
            client = self._client(test)
            response = client.get("/sparql", query_string={"query": text},
                                  headers={"Accept": "application/sparql-results+json, text/turtle;q=0.9"})
            accepted = response.status_code != 400
            if accepted == (test.kind == "positive-syntax"):
                return None, response.status_code
            return (f"{response.status_code}: {response.get_data(as_text=True)[:200]}" if not accepted
                    else "accepted an invalid query"), response.status_code
        expected = expected_answer(test)
        client = self._client(test)
        if test.kind == "csv":
            accept = "text/csv"
        elif expected.graph is not None:
            accept = "application/n-triples"
        else:
            accept = "application/sparql-results+json"
        response = client.get("/sparql", query_string={"query": text}, headers={"Accept": accept})
        body = response.get_data()
        if response.status_code != 200:
            return f"{response.status_code}: {body.decode('utf-8', 'replace')[:300]}", response.status_code
        content_type = response.headers["Content-Type"]
        if content_type.startswith("text/csv"):
            actual = Answer(csv_rows=csv_rows(body))
        elif content_type.startswith("application/n-triples"):
            actual = Answer(graph=Graph().parse(data=body.decode("utf-8"), format="nt"))
        else:
            actual = parse_results(body, "json")
        return compare(test, expected, actual), response.status_code


class SuiteDatasetStore(OxigraphStore):
    """The service's store over a W3C test's dataset: its default graph is the test's default
    graph (the policy's store makes it the union of the named graphs instead)."""

    def query_options(self) -> dict:
        return {}


def summary() -> dict:
    """Both runs over every test: {name: (engine failure, service failure, service status)}."""
    runner = ServiceRunner()
    outcomes = {}
    for test in load_tests():
        outcomes[test.name] = (run_engine(test), *runner.run(test))
    return outcomes


if __name__ == "__main__":   # python tests/w3c/sparql11_suite.py
    results = summary()
    total = len(results)
    engine = sum(1 for e, s, _ in results.values() if e is None)
    service = sum(1 for e, s, _ in results.values() if s is None)
    print(f"{total} tests; engine (pyoxigraph in-process) passes {engine} ({100 * engine / total:.1f} %); "
          f"service passes {service} ({100 * service / total:.1f} %)")
    for name, (e, s, status) in results.items():
        if e is not None or s is not None:
            print(f"{name}\n    engine: {e}\n    service: {s}")
