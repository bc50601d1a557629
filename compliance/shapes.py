"""The checks as SHACL shapes, generated from the same norms, validated with pySHACL.

One ``sh:NodeShape`` per checkable norm, targeting the register's row class, with two
SHACL-SPARQL constraints (``sh:sparql``) built from the same outcome expression as the SPARQL
checks (:func:`policykg.compliance.checks.status_expr`, with ``$this`` for the row):

- 未达标: severity from the modality (sh:Violation, sh:Warning, sh:Info), message ``not_met``;
- 数据缺失 and 不适用: sh:Info, message ``{?status}``.

SHACL Core has no arithmetic, and the norms compare ratios (元/党员, a share of the floor area, a
multiple of the average wage), hence SHACL-SPARQL, which pySHACL implements. A row with no result
is 达标. pySHACL evaluates the constraints focus node by focus node in rdflib: use it for small
registers and as the reference the SPARQL path is tested against (tests/compliance).
"""
from __future__ import annotations

import contextlib
import re

from rdflib import Graph

from policykg.compliance.checks import NOT_MET, Check, CheckSet, iri, row_pattern, status_expr
from policykg.compliance.columns import ROW_CLASS
from policykg.compliance.report import SHAPE_PATH, RowResult

SH = "http://www.w3.org/ns/shacl#"
SEVERITY_IRI = {"violation": f"{SH}Violation", "warning": f"{SH}Warning", "info": f"{SH}Info", "eligibility": f"{SH}Info"}
_STATUS = re.compile(r"\b(not_met|not_applicable|unknown)\b")


def shape_iri(base: str, check: Check) -> str:
    return f"{base}{SHAPE_PATH}{check.id}"


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _long(text: str) -> str:
    return '"""' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


def shape_turtle(base: str, check: Check) -> str:
    pattern = row_pattern(check.register, check.columns, row="$this", bind_row=False)
    status = status_expr(check, row="$this")
    body = f"{{\n  {pattern}\n  BIND({status} AS ?status)\n"
    not_met = f'SELECT $this WHERE {body}  FILTER(?status = "{NOT_MET}")\n}}'
    other = f'SELECT $this ?status WHERE {body}  FILTER(?status = "unknown" || ?status = "not_applicable")\n}}'
    n = check.norm
    return f"""<{shape_iri(base, check)}> a sh:NodeShape ;
    sh:targetClass {iri(ROW_CLASS[check.register])} ;
    rdfs:label {_string(f"{n.article} {n.label_zh}")}@zh , {_string(n.label_en)}@en ;
    rdfs:comment {_string(n.quote)}@zh ;
    prov:wasDerivedFrom <{n.iri}> ;
    sh:sparql [ a sh:SPARQLConstraint ; sh:severity <{SEVERITY_IRI[check.severity]}> ;
                sh:message "未达标 not_met"@zh ; sh:select {_long(not_met)} ] ,
              [ a sh:SPARQLConstraint ; sh:severity sh:Info ;
                sh:message "{{?status}}" ; sh:select {_long(other)} ] .
"""


def shapes_turtle(base: str, checkset: CheckSet) -> str:
    head = ("@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
            "@prefix prov: <http://www.w3.org/ns/prov#> .\n\n")
    return head + "\n".join(shape_turtle(base, c) for c in checkset.checks)


def shapes_graph(base: str, checkset: CheckSet) -> Graph:
    return Graph().parse(data=shapes_turtle(base, checkset), format="turtle")


def data_graph(store, graphs: list[str]) -> Graph:
    """The registers' triples as one rdflib graph (what pySHACL validates)."""
    import pyoxigraph as ox
    g = Graph()
    for name in graphs:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name))
        g.parse(data=data.decode("utf-8"), format="nt")
    return g


@contextlib.contextmanager
def _prepared_queries():
    """pySHACL hands rdflib the text of a SPARQL constraint for every focus node, and rdflib parses it
    every time (pyparsing: 50-200 ms for these queries, far more than evaluating them). While
    validating, rdflib's SPARQL processor keeps each text's prepared query and reuses it — what
    ``prepareQuery`` is for; the bindings still come with each call."""
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.processor import SPARQLProcessor

    original = SPARQLProcessor.query
    cache: dict[str, object] = {}

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803 (rdflib's names)
        if isinstance(strOrQuery, str):
            prepared = cache.get(strOrQuery)
            if prepared is None:   # the data graph's prefixes do not change during one validation
                prepared = cache[strOrQuery] = prepareQuery(strOrQuery, initNs=initNs or {}, base=base)
            strOrQuery = prepared
        return original(self, strOrQuery, initBindings or {}, initNs or {}, base, DEBUG)

    SPARQLProcessor.query = query
    try:
        yield
    finally:
        SPARQLProcessor.query = original


def shacl_statuses(checkset: CheckSet, store, graphs: list[str], base: str) -> dict[tuple[str, str], str]:
    """(row IRI, norm id) → outcome, for every row pySHACL reports; rows it does not report are 达标."""
    from pyshacl import validate

    shapes = shapes_graph(base, checkset)
    with _prepared_queries():
        _conforms, results, _text = validate(data_graph(store, graphs), shacl_graph=shapes, advanced=False,
                                             inference="none", allow_warnings=True)
    by_shape = {shape_iri(base, c): c.id for c in checkset.checks}
    out: dict[tuple[str, str], str] = {}
    query = """PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT ?focus ?shape ?message WHERE { ?r a sh:ValidationResult ; sh:focusNode ?focus ; sh:sourceShape ?shape ; sh:resultMessage ?message }"""
    for focus, shape, message in results.query(query):
        found = _STATUS.search(str(message))
        if found and str(shape) in by_shape:
            out[(str(focus), by_shape[str(shape)])] = found.group(1)
    return out


def apply_statuses(rows: list[RowResult], checks: list[Check], statuses: dict[tuple[str, str], str]) -> list[RowResult]:
    """The rows with their outcomes as pySHACL gave them (no result: 达标)."""
    out = []
    for row in rows:
        new = tuple(statuses.get((row.iri, c.id), "met") for c in checks)
        out.append(RowResult(row.iri, row.number, row.ident, new, row.actuals, row.community))
    return out
