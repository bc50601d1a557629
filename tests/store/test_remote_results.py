"""Answers from a SPARQL server made into the embedded store's, in-process and without a server: the
JSON normalisation (Virtuoso's typed-literal, nodeID:// labels, xsd:string), the writers (the same
bytes as pyoxigraph's), the row bounds that spare a parse, and the variables a query proves boolean
(store/booleans.py), checked against what pyoxigraph's own evaluation gives."""
from __future__ import annotations

import copy
import json
import urllib.parse

import pyoxigraph as ox
import pytest

from policykg.store import results
from policykg.store.booleans import boolean_variables

XSD = "http://www.w3.org/2001/XMLSchema#"

# What Virtuoso 7.2.5 wrote for a query (bytes as it sent them, but shortened): the 2007 draft's
# typed-literal, "link", "distinct"/"ordered", \u escapes, a nodeID:// blank node, 1 for true.
VIRTUOSO = (b'\n{ "head": { "link": [], "vars": ["a", "b", "c", "d", "e", "i"] },\n  "results": { "distinct": false, '
            b'"ordered": true, "bindings": [\n    { "a": { "type": "literal", "value": "x" }\t, "b": { "type": '
            b'"literal", "xml:lang": "zh", "value": "\\u5C45\\u59D4\\u4F1A" }\t, "c": { "type": "typed-literal", '
            b'"datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "5" }\t, "d": { "type": '
            b'"typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "1" }\t, "e": { '
            b'"type": "bnode", "value": "nodeID://b10001" }\t, "i": { "type": "typed-literal", "datatype": '
            b'"http://www.w3.org/2001/XMLSchema#string", "value": "s" }},\n    { "e": { "type": "bnode", '
            b'"value": "nodeID://b10001" }} ] } }')


def _solutions(body: bytes, fmt=ox.QueryResultsFormat.JSON):
    parsed = ox.parse_query_results(body, format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    names = [v.value for v in parsed.variables]
    return names, [{n: s[n] for n in names if s[n] is not None} for s in parsed]


# -- normalising JSON --------------------------------------------------------------------------------
def test_virtuosos_json_becomes_standard_json_with_the_same_terms():
    data, integers = results.normalise(results.decode(VIRTUOSO))
    assert data["head"] == {"vars": ["a", "b", "c", "d", "e", "i"]} and set(data) == {"head", "results"}
    assert set(data["results"]) == {"bindings"}
    names, rows = _solutions(results.write(data, ox.QueryResultsFormat.JSON))   # pyoxigraph reads it
    assert names == ["a", "b", "c", "d", "e", "i"]
    first, second = rows
    assert first["a"] == ox.Literal("x") and first["b"] == ox.Literal("居委会", language="zh")
    assert first["c"] == ox.Literal("5", datatype=ox.NamedNode(XSD + "integer"))
    assert first["i"] == ox.Literal("s")
    assert "datatype" not in data["results"]["bindings"][0]["i"]            # as the embedded store writes it
    assert isinstance(first["e"], ox.BlankNode) and first["e"] == second["e"]   # one label, one node
    assert integers == {"d"}                # "5" is not a candidate for a boolean, "1" is


def test_a_valid_blank_node_label_is_kept_and_an_invalid_one_made_valid():
    assert results.blank_label("b0") == "b0"
    made = results.blank_label("nodeID://b10001")
    assert made == results.blank_label("nodeID://b10001") != results.blank_label("nodeID://b10002")
    assert ox.BlankNode(made).value == made


@pytest.mark.parametrize("label", ["nodeID://b10001", "a/b", "/", "b1/"])
def test_a_label_with_a_slash_is_made_valid_as_pyoxigraph_would_refuse_it(label):
    with pytest.raises(ValueError):   # what blank_label skips for such labels: the same answer
        ox.BlankNode(label)
    assert results.blank_label(label) == "x" + label.encode("utf-8").hex()
    assert results.blank_label("nodeID:b1") == "nodeID:b1"   # a colon is valid: kept


def test_quoted_triples_are_normalised_inside():
    answer = {"head": {"vars": ["t"]}, "results": {"bindings": [{"t": {"type": "triple", "value": {
        "subject": {"type": "bnode", "value": "nodeID://1"}, "predicate": {"type": "uri", "value": "urn:p"},
        "object": {"type": "typed-literal", "datatype": XSD + "string", "value": "o"}}}}]}}
    data, _ = results.normalise(answer)
    inner = data["results"]["bindings"][0]["t"]["value"]
    assert inner["object"] == {"type": "literal", "value": "o"}
    assert inner["subject"]["value"] == results.blank_label("nodeID://1")


def test_a_language_string_loses_its_datatype_but_keeps_its_language():
    answer = {"head": {"vars": ["l"]}, "results": {"bindings": [{"l": {
        "type": "literal", "xml:lang": "en", "value": "x",
        "datatype": "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}}]}}
    data, _ = results.normalise(answer)
    assert data["results"]["bindings"][0]["l"] == {"type": "literal", "xml:lang": "en", "value": "x"}


@pytest.mark.parametrize("body, words", [
    (b"not json", "not JSON"),
    (b"[1, 2]", "not a SPARQL JSON result"),
    (b'{"head": {}}', "no head/vars"),
    (b'{"head": {"vars": "x"}, "results": {"bindings": []}}', "not a list"),
    (b'{"head": {}, "boolean": "yes"}', "not a boolean"),
])
def test_what_is_not_a_json_result_is_said_so(body, words):
    with pytest.raises(results.ResultsError) as caught:
        results.decode(body)
    assert words in str(caught.value)


@pytest.mark.parametrize("term, words", [
    ({"type": "something", "value": "x"}, "unknown binding type"),
    ({"type": "uri", "value": 5}, "string value"),
    ({"type": "literal", "value": None}, "string value"),
    ({"type": "bnode", "value": ["x"]}, "string label"),
    ({"value": "x"}, "not an RDF term"),
])
def test_a_binding_that_is_not_a_term_is_said_so(term, words):
    with pytest.raises(results.ResultsError) as caught:
        results.normalise({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": term}]}})
    assert words in str(caught.value)


def test_an_ask_answer_is_standard():
    data, integers = results.normalise(results.decode(b'{ "head": { "link": [] }, "boolean": true }'))
    assert data == {"head": {}, "boolean": True} and integers == set()
    assert results.row_count(data) == 0
    for fmt in (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV,
                ox.QueryResultsFormat.TSV):
        assert results.write(data, fmt) == ox.Store().query("ASK {}").serialize(format=fmt)


def test_only_the_proven_variables_ones_and_zeros_become_booleans():
    answer = {"head": {"vars": ["b", "n"]}, "results": {"bindings": [
        {"b": {"type": "literal", "datatype": XSD + "integer", "value": "1"},
         "n": {"type": "literal", "datatype": XSD + "integer", "value": "1"}},
        {"b": {"type": "literal", "datatype": XSD + "integer", "value": "0"}},
        {"b": {"type": "literal", "datatype": XSD + "int", "value": "1"}},
        {"b": {"type": "literal", "datatype": XSD + "integer", "value": "2"}},
        {}]}}
    results.relabel_booleans(answer, {"b"})
    rows = answer["results"]["bindings"]
    assert rows[0]["b"] == {"type": "literal", "datatype": XSD + "boolean", "value": "true"}
    assert rows[0]["n"]["value"] == "1" and rows[0]["n"]["datatype"] == XSD + "integer"
    assert rows[1]["b"] == {"type": "literal", "datatype": XSD + "boolean", "value": "false"}
    assert rows[2]["b"]["datatype"] == XSD + "int" and rows[3]["b"]["value"] == "2"


def test_the_markers_are_put_back_only_in_literals():
    answer = {"head": {"vars": ["l", "u"]}, "results": {"bindings": [
        {"l": {"type": "literal", "value": "a\x010\x01b"}, "u": {"type": "uri", "value": "urn:a\x010\x01"}}]}}
    data, _ = results.normalise(answer, {"\x010\x01": "、"})
    row = data["results"]["bindings"][0]
    assert row["l"]["value"] == "a、b" and row["u"]["value"] == "urn:a\x010\x01"


# -- writing: the embedded store's bytes --------------------------------------------------------------
_TERMS_QUERY = ('SELECT ?i ?v WHERE { VALUES (?i ?v) { (1 <urn:x>) (2 "plain") (3 "逗,号\\n和\\"引号\\"\\t"@zh) '
                '(4 4.50) (5 true) (6 "7"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>) (7 UNDEF) '
                '(8 "2.5E0"^^<http://www.w3.org/2001/XMLSchema#double>) } } ORDER BY ?i')


@pytest.mark.parametrize("fmt", ["JSON", "XML", "CSV", "TSV"])
def test_a_normalised_answer_is_written_as_the_embedded_store_writes_it(fmt):
    results_format = getattr(ox.QueryResultsFormat, fmt)
    store = ox.Store()
    expected = store.query(_TERMS_QUERY).serialize(format=results_format)
    data, _ = results.normalise(results.decode(store.query(_TERMS_QUERY).serialize(format=ox.QueryResultsFormat.JSON)))
    written = results.write(data, results_format)
    if fmt == "JSON":   # the same JSON (keys in another order)
        assert json.loads(written) == json.loads(expected)
    else:
        assert written == expected


def test_rows_of_terms_are_the_same_by_either_reader():
    body = ox.Store().query(_TERMS_QUERY).serialize(format=ox.QueryResultsFormat.JSON)
    data, _ = results.normalise(results.decode(body))
    assert results.rows(data) == results.solutions_rows(body) == _solutions(body)[1]
    assert results.solutions_rows(b'{"head":{},"boolean":false}') is False


# -- row bounds -----------------------------------------------------------------------------------------
def _answer(n: int, fmt: str) -> bytes:
    """n rows whose values hold every character a bound counts ({, newlines, <result)."""
    values = " ".join(f'"{{row {k}\\n<result>"' for k in range(n))
    return ox.Store().query(f"SELECT ?v WHERE {{ VALUES ?v {{ {values} }} }}").serialize(
        format=getattr(ox.QueryResultsFormat, fmt))


@pytest.mark.parametrize("fmt", ["JSON", "XML", "CSV", "TSV"])
def test_the_row_bound_is_exact_at_the_limit(fmt):
    body = _answer(30, fmt)
    assert results.at_most_rows(body, fmt, 30)
    assert not results.at_most_rows(body, fmt, 29)
    assert results.at_most_rows(body, fmt, 10 * len(body))      # the byte count settles it


# Answers of rows as short as each format writes them: the length bound must not settle them one row short.
_SHORTEST_ROWS = {
    "JSON": lambda n: b'{"head":{"vars":["x"]},"results":{"bindings":[' + b",".join([b"{}"] * n) + b"]}}",
    "XML": lambda n: (b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
                      b'<variable name="x"/></head><results>' + b"<result/>" * n + b"</results></sparql>"),
    "CSV": lambda n: b"x\r\n" + b"\n" * n,
    "TSV": lambda n: b"?x\n" + b"\n" * n,
}


@pytest.mark.parametrize("fmt", sorted(_SHORTEST_ROWS))
def test_the_length_bound_holds_for_the_shortest_rows(fmt):
    body = _SHORTEST_ROWS[fmt](1000)
    if fmt != "CSV":   # (pyoxigraph does not read CSV: counted by the csv module)
        parsed = ox.parse_query_results(body, format=getattr(ox.QueryResultsFormat, fmt))
        assert sum(1 for _ in parsed) == 1000
    assert results.at_most_rows(body, fmt, 1000) and not results.at_most_rows(body, fmt, 999)


def test_the_row_bound_counts_without_parsing_when_it_can(monkeypatch):
    body = _answer(5, "JSON")
    monkeypatch.setattr(results.ox, "parse_query_results", lambda *a, **k: pytest.fail("parsed"))
    assert results.at_most_rows(body, "JSON", body.count(b"{"))


def test_the_triple_bound_is_exact_at_the_limit():
    triples = [ox.Triple(ox.NamedNode(f"urn:s{k}"), ox.NamedNode("urn:p"), ox.Literal("a\nb")) for k in range(20)]
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert results.at_most_triples(body, 20) and not results.at_most_triples(body, 19)


# -- the variables a query proves boolean -----------------------------------------------------------------
@pytest.mark.parametrize("query, proven", [
    ("SELECT ?x WHERE { BIND(EXISTS { ?s ?p ?o } AS ?x) }", {"x"}),
    ("SELECT ?x WHERE { BIND(NOT EXISTS { ?s ?p ?x } AS ?x) }", {"x"}),   # EXISTS gives nothing outside
    ("SELECT ?x WHERE { ?s ?p ?o BIND(?o = 1 AS ?x) }", {"x"}),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(?o != 1 && ?s < 2 AS ?x) }", {"x"}),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(?o >= 1 || !BOUND(?s) AS ?x) }", {"x"}),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(?o NOT IN (1, 2) AS ?x) }", {"x"}),
    ("SELECT ?x WHERE { BIND(true AS ?x) }", {"x"}),
    ('SELECT ?x WHERE { BIND("false"^^<http://www.w3.org/2001/XMLSchema#boolean> AS ?x) }', {"x"}),
    ('PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> SELECT ?x WHERE { ?s ?p ?o BIND(xsd:boolean(?o) AS ?x) }',
     {"x"}),
    ('SELECT ?x WHERE { ?s ?p ?o BIND(CONTAINS(STR(?o), "a") AS ?x) }', {"x"}),
    ('SELECT ?x WHERE { ?s ?p ?o BIND(regex(?o, "a") AS ?x) }', {"x"}),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(isIRI(?o) AS ?x) }", {"x"}),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(IF(isIRI(?o), true, ?o = 2) AS ?x) }", {"x"}),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(IF(isIRI(?o), 1, 0) AS ?x) }", set()),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(COALESCE(?o = 1, false) AS ?x) }", {"x"}),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(COALESCE(?o, false) AS ?x) }", set()),
    ("SELECT ((MAX(IF(?b, 1, 0)) = 1) AS ?x) WHERE { ?s ?p ?o BIND(isIRI(?o) AS ?b) } GROUP BY ?s", {"x", "b"}),
    ("SELECT (MAX(?b) AS ?x) (COUNT(?b) AS ?n) WHERE { ?s ?p ?o BIND(isIRI(?o) AS ?b) } GROUP BY ?s", {"x", "b"}),
    ("SELECT (SAMPLE(DISTINCT ?b) AS ?x) WHERE { ?s ?p ?o BIND(isIRI(?o) AS ?b) }", {"x", "b"}),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(?o + 1 AS ?x) }", set()),
    ("SELECT ?x WHERE { ?s ?p ?o BIND((?o = 1) + 0 AS ?x) }", set()),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(-?o AS ?x) }", set()),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(STR(?o) AS ?x) }", set()),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(<http://www.w3.org/2001/XMLSchema#integer>(?o) AS ?x) }", set()),
    # another place gives the variable any term: a triple pattern, a UNION's branch, an inner query, GRAPH
    ("SELECT ?x WHERE { { BIND(true AS ?x) } UNION { ?s ?p ?x } }", set()),
    ("SELECT ?x WHERE { { BIND(true AS ?x) } UNION { SELECT ?x WHERE { ?x ?p ?o } } }", set()),
    ("SELECT ?x WHERE { { BIND(true AS ?x) } UNION { GRAPH ?x { ?s ?p ?o } } }", set()),
    ("SELECT ?x WHERE { BIND(true AS ?x) ?s <urn:p> (?x ?s) }", set()),                   # a collection
    ("SELECT ?x WHERE { BIND(true AS ?x) ?s a (?x) }", set()),
    ("SELECT ?x WHERE { BIND(true AS ?x) ?s <urn:p> [ <urn:q> ?x ] }", set()),            # a blank node
    ("SELECT ?x WHERE { BIND(true AS ?x) MINUS { ?x ?p ?o } FILTER(?x) }", {"x"}),
    # a variable read (FILTER, arguments, ORDER BY, GROUP BY, the projection) is not given a value there
    ("SELECT ?x WHERE { ?s ?p ?o BIND(isIRI(?o) AS ?x) FILTER(?x || STR(?x) = 'a') } GROUP BY ?x ORDER BY ?x",
     {"x"}),
    ("SELECT ?x WHERE { ?s ?p ?o BIND(isIRI(?o) AS ?x) } ORDER BY DESC(?x) LIMIT 1", {"x"}),
    # aliases, and a loop of them, which proves nothing
    ("SELECT ?y WHERE { ?s ?p ?o BIND(isIRI(?o) AS ?x) BIND(?x AS ?y) }", {"x", "y"}),
    ("SELECT ?y WHERE { { BIND(?y AS ?x) } UNION { BIND(?x AS ?y) } }", set()),
    # VALUES: a column of booleans (and UNDEF) is boolean, any other value is not
    ("SELECT ?x WHERE { VALUES ?x { true false UNDEF } }", {"x"}),
    ('SELECT ?x ?y WHERE { VALUES (?y ?x) { (1 "true"^^<http://www.w3.org/2001/XMLSchema#boolean>) '
     '(UNDEF false) } }', {"x"}),
    ('SELECT ?x WHERE { VALUES ?x { true "true" } }', set()),
    ("SELECT ?x WHERE { ?s ?p ?o } VALUES ?x { true 1 }", set()),
    # what strings and comments say is not read
    ('SELECT ?x WHERE { ?s ?p ?x FILTER(?x != "BIND(true AS ?x)") } # BIND(true AS ?x)', set()),
    ("SELECT ?x WHERE { ?s ?p ?x }", set()),
])
def test_boolean_variables(query, proven):
    ox.Store().query(query)   # a query pyoxigraph reads
    assert boolean_variables(query) == proven


@pytest.mark.parametrize("query", [
    "SELECT ?x ?y ?z WHERE { VALUES ?o { 1 2 <urn:a> \"b\" } BIND(isIRI(?o) AS ?x) BIND(?o = 1 || ?x AS ?y) "
    "BIND(IF(?x, ?y, false) AS ?z) }",
    "SELECT ((MAX(IF(?b, 1, 0)) = 1) AS ?x) (MIN(?b) AS ?y) (SAMPLE(?b) AS ?z) WHERE { VALUES ?o { 1 <urn:a> } "
    "BIND(isIRI(?o) AS ?b) }",
    "SELECT ?x ?y WHERE { VALUES (?x ?y) { (true 1) (false 2) } }",
])
def test_what_is_proven_boolean_is_boolean_in_pyoxigraphs_answer(query):
    """Soundness, by the embedded engine: every value of a proven variable is an xsd:boolean."""
    proven = boolean_variables(query)
    assert proven
    for solution in ox.Store().query(query):
        for name in proven:
            value = solution[name]
            assert value is None or (isinstance(value, ox.Literal) and value.datatype.value == XSD + "boolean")


def test_the_named_questions_booleans_are_proven():
    """The "interpreted" column of each named question that has one is proven boolean, and so is a
    bound yes/no parameter; no other column of theirs is."""
    from policykg.queries.library import load_library
    from policykg.store.binding import bind_values

    for query in load_library().values():
        bound = bind_values(query.sparql, {"asserted_only": ox.Literal(False)}) if "?asserted_only" in \
            query.sparql else query.sparql
        proven = boolean_variables(bound)
        if "?interpreted" in query.sparql.split("WHERE", 1)[0]:
            assert "interpreted" in proven, query.name
        if "?asserted_only" in query.sparql:
            assert "asserted_only" in proven, query.name
        assert proven <= {"interpreted", "asserted_only", "read_", "nb_read", "for_remainder", "own"}, (query.name, proven)


def test_the_analysis_is_kept_per_text():
    query = "SELECT ?x WHERE { BIND(true AS ?x) }"
    boolean_variables(query)
    hits = boolean_variables.cache_info().hits
    boolean_variables(query)
    assert boolean_variables.cache_info().hits == hits + 1


def test_a_decoded_answer_is_not_changed_when_it_is_standard():
    body = ox.Store().query(_TERMS_QUERY).serialize(format=ox.QueryResultsFormat.JSON)
    decoded = results.decode(body)
    before = copy.deepcopy(decoded)
    data, _ = results.normalise(decoded)
    assert data == before


@pytest.mark.parametrize("fmt", ["CSV", "TSV", "JSON", "XML"])
def test_the_embedded_store_counts_the_rows_of_a_large_answer_in_any_format(fmt):
    """The embedded store's limit uses the same count: a CSV answer larger than max_results bytes was
    refused as a syntax error (pyoxigraph cannot read CSV back)."""
    from policykg.store.backend import OxigraphStore, QueryJob
    from policykg.store.errors import QueryRefused

    store = OxigraphStore(ox.Store(), "https://w3id.org/policykg/")
    query = "SELECT ?v WHERE { VALUES ?v { " + " ".join(f'"{k}"' for k in range(50)) + " } }"
    media, body = store.answer(QueryJob(query, fmt, None, None, None, False, 50, 10**6))
    assert media == getattr(ox.QueryResultsFormat, fmt).media_type and len(body) > 50
    with pytest.raises(QueryRefused) as refused:
        store.answer(QueryJob(query, fmt, None, None, None, False, 49, 10**6))
    assert refused.value.reason == "too_many_results"


# -- Virtuoso's JSON edited as bytes (results.virtuoso_edited) -----------------------------------------
def _virtuoso_string(text: str) -> str:
    """A string as Virtuoso 7.2.5 writes it in JSON: ASCII, \\u escapes in upper case (surrogate pairs
    beyond the BMP), quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif code < 0x20 or 0x7F < code < 0x10000:
            out.append("\\u%04X" % code)
        elif code >= 0x10000:
            code -= 0x10000
            out.append("\\u%04X\\u%04X" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _virtuoso_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return '{ "type": "uri", "value": %s }' % _virtuoso_string(term.value)
    if isinstance(term, ox.BlankNode):
        return '{ "type": "bnode", "value": %s }' % _virtuoso_string("nodeID://" + term.value)
    if term.language:
        return '{ "type": "literal", "xml:lang": %s, "value": %s }' % (_virtuoso_string(term.language),
                                                                      _virtuoso_string(term.value))
    if term.datatype.value == XSD + "string":   # Virtuoso writes some simple literals typed, some not
        return '{ "type": "literal", "value": %s }' % _virtuoso_string(term.value)
    return '{ "type": "typed-literal", "datatype": %s, "value": %s }' % (_virtuoso_string(term.datatype.value),
                                                                       _virtuoso_string(term.value))


def _virtuoso_json(names, rows) -> bytes:
    """An answer written as Virtuoso 7.2.5 writes SPARQL JSON (its head, spacing and tabs)."""
    lines = ",\n".join("    { " + "\t, ".join(f'"{n}": {_virtuoso_term(t)}' for n, t in row.items()) + "}"
                       for row in rows)
    return ('\n{ "head": { "link": [], "vars": [%s] },\n  "results": { "distinct": false, "ordered": true, '
            '"bindings": [\n%s ] } }' % (", ".join(f'"{n}"' for n in names), lines)).encode("ascii")


def _both_ways(body: bytes):
    """The rows of terms the decoded path gives, and those of the edited body (or None)."""
    decoded = results.rows(results.normalise(results.decode(body))[0])
    edited = results.virtuoso_edited(body)
    return decoded, (None if edited is None else results.solutions_rows(edited)), edited


# Text that looks like what the edits look for, inside values, where it must stay as it is.
LOOKALIKES = ['"type": "typed-literal"', '\\"type\\": \\"typed-literal\\"', '{ "type": "bnode", "value": "x" }',
              '"type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#string", ',
              "nodeID://b10001", '"head": { "link": [] }', "] } }", "ends with a backslash\\", "\\u00E9 \\uD800",
              "居委会 and é", "tab\tnew\nline\rctl\x01\x1f del\x7f", "\u2028\u2029\ufeff", "{[}]", ""]


def test_virtuosos_sample_is_edited_into_the_same_terms_as_decoded():
    decoded, edited_rows, edited = _both_ways(VIRTUOSO)
    assert edited is not None and edited_rows == decoded
    data = json.loads(edited)   # standard JSON: the head and results of SPARQL 1.1 only
    assert data["head"] == {"vars": ["a", "b", "c", "d", "e", "i"]} and set(data) == {"head", "results"}
    assert set(data["results"]) == {"bindings"}
    first = data["results"]["bindings"][0]
    assert first["c"] == {"type": "literal", "datatype": XSD + "integer", "value": "5"}
    assert first["i"] == {"type": "literal", "value": "s"}            # no xsd:string, as embedded
    assert first["e"]["value"] == results.blank_label("nodeID://b10001")
    assert results.INTEGER in edited    # the caller's to check: "d" holds 1 (see the remote store)


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalike_text_in_values_is_left_as_it_is(text):
    iri = ox.NamedNode("urn:x:" + urllib.parse.quote(text, safe=""))
    rows = [{"s": iri, "l": ox.Literal(text), "z": ox.Literal(text, language="zh"),
             "t": ox.Literal(text, datatype=ox.NamedNode("urn:dt")), "n": ox.Literal("7", datatype=ox.NamedNode(
                 XSD + "integer"))}]
    body = _virtuoso_json(["s", "l", "z", "t", "n"], rows)
    decoded, edited_rows, edited = _both_ways(body)
    assert decoded == rows
    if "\\uD800" not in text:   # (an escaped surrogate is decoded: see below)
        assert edited is not None and edited_rows == rows
        assert json.loads(edited)["results"]["bindings"][0]["l"]["value"] == text


def test_the_datatypes_the_edit_looks_for_are_values_it_leaves_as_they_are():
    """The edit looks for xsd:string, rdf:langString and xsd:boolean as datatypes, typed-literal as a
    type: the same IRIs and words in values (an ontology's ranges) stay on the edited path (a value that is
    the word alone, "typed-literal", is decoded: it looks like a type)."""
    iris = [XSD + "string", XSD + "boolean", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"]
    rows = [{"t": ox.NamedNode(iri), "l": ox.Literal(iri), "w": ox.Literal("a typed-literal")} for iri in iris]
    decoded, edited_rows, edited = _both_ways(_virtuoso_json(["t", "l", "w"], rows))
    assert edited is not None and edited_rows == decoded == rows


@pytest.mark.parametrize("written", ['"nodeID://b\\u00E9"', '"nodeID://b\\"1"'])
def test_a_blank_node_label_with_an_escape_goes_down_the_decoded_path(written):
    body = (b'\n{ "head": { "link": [], "vars": ["b", "c"] },\n  "results": { "distinct": false, "ordered": true, '
            b'"bindings": [\n    { "b": { "type": "bnode", "value": "nodeID://b1" }\t, "c": { "type": "bnode", '
            b'"value": ' + written.encode() + b' }} ] } }')
    assert results.virtuoso_edited(body) is None
    (row,) = results.rows(results.normalise(results.decode(body))[0])
    assert row["b"] != row["c"]


def test_blank_nodes_among_other_terms_keep_the_rest_as_it_came():
    rows = [{"s": ox.BlankNode(f"b{i % 3}"), "o": ox.Literal(f"{i}", datatype=ox.NamedNode(XSD + "integer")),
             "l": ox.Literal("社区", language="zh")} for i in range(7)]
    body = _virtuoso_json(["s", "o", "l"], rows)
    decoded, edited_rows, edited = _both_ways(body)
    assert edited is not None and edited_rows == decoded
    assert len({row["s"] for row in edited_rows}) == 3
    made = results.blank_label("nodeID://b1").encode()
    assert edited.count(made) == body.count(b"nodeID://b1\"")    # every occurrence, and nothing else
    assert edited.replace(made, b"nodeID://b1").count(b"\\u793E") == 7


def test_unicode_escapes_are_kept_and_read_as_the_characters():
    rows = [{"v": ox.Literal("社区党组织 é ﬁ \u0301")}]
    body = _virtuoso_json(["v"], rows)
    assert b"\\u793E" in body and body.isascii()
    decoded, edited_rows, edited = _both_ways(body)
    assert edited_rows == decoded == rows and b"\\u793E" in edited


@pytest.mark.parametrize("body", [
    _virtuoso_json(["v"], [{"v": ox.Literal("𠀀")}]),                         # a surrogate pair: decoded
    b'\n{ "head": { "link": [], "vars": ["v"] },\n  "results": { "distinct": false, "ordered": true, "bindings": [\n'
    b'    { "v": { "type": "literal", "value": "\\uD800" }} ] } }',          # a lone surrogate: decoded, refused
])
def test_escaped_surrogates_go_down_the_decoded_path(body):
    assert results.virtuoso_edited(body) is None
    if b"\\uDC" not in body:
        with pytest.raises(results.ResultsError, match="not Unicode"):
            results.write(results.normalise(results.decode(body))[0], ox.QueryResultsFormat.JSON)


@pytest.mark.parametrize("body", [
    # booleans written 1, xsd:boolean; a datatype the embedded store leaves out that the edit does not drop
    b'\n{ "head": { "link": [], "vars": ["b"] },\n  "results": { "distinct": false, "ordered": true, "bindings": [\n'
    b'    { "b": { "type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": "1" }}'
    b' ] } }',
    b'\n{ "head": { "link": [], "vars": ["l"] },\n  "results": { "distinct": false, "ordered": true, "bindings": [\n'
    b'    { "l": { "type": "literal", "xml:lang": "en", "datatype": '
    b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "value": "x" }} ] } }',
    b'\n{ "head": { "link": [], "vars": ["l"] },\n  "results": { "distinct": false, "ordered": true, "bindings": [\n'
    b'    { "l": { "type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#string", "value": "x" }} ] } }',
    # typed-literal and a blank node spelt otherwise; raw UTF-8; an ASK; another head; not JSON at all
    b'\n{ "head": { "link": [], "vars": ["c"] },\n  "results": { "distinct": false, "ordered": true, "bindings": [\n'
    b'    { "c": { "type":"typed-literal", "datatype": "urn:dt", "value": "5" }} ] } }',
    b'\n{ "head": { "link": [], "vars": ["e"] },\n  "results": { "distinct": false, "ordered": true, "bindings": [\n'
    b'    { "e": { "value": "nodeID://b1", "type": "bnode" }} ] } }',
    _virtuoso_json(["v"], [{"v": ox.Literal("x")}]).replace(b'"x"', "\"居\"".encode("utf-8")),
    b'{  "head": { "link": [] }, "boolean": true}',
    ox.Store().query(_TERMS_QUERY).serialize(format=ox.QueryResultsFormat.JSON),
    b"not json",
    _virtuoso_json(["v"], [{"v": ox.Literal("x")}])[:-3],   # cut short
])
def test_what_the_edits_do_not_cover_goes_down_the_decoded_path(body):
    assert results.virtuoso_edited(body) is None


def test_a_large_answer_is_edited_into_the_same_terms_and_counted_by_its_bound():
    rows = [{"m": ox.NamedNode(f"https://w3id.org/policykg/id/person/p-{i}"),
             "name": ox.Literal(f"党员{i} \"{i % 7}\"\\", language="zh"),
             "born": ox.Literal(str(1930 + i % 60), datatype=ox.NamedNode(XSD + "integer")),
             **({"b": ox.BlankNode(f"b{i % 50}")} if i % 3 == 0 else {})} for i in range(6000)]
    body = _virtuoso_json(["m", "name", "born", "b"], rows)
    decoded, edited_rows, edited = _both_ways(body)
    assert edited is not None and edited_rows == decoded
    assert len(decoded) == 6000 and decoded[0]["name"] == rows[0]["name"]
    assert len({r["b"] for r in decoded if "b" in r}) == 50   # one label, one node, as decoded
    assert results.at_most_rows(edited, "JSON", 6000) and not results.at_most_rows(edited, "JSON", 5999)


@pytest.mark.parametrize("query, proven", [
    ("SELECT ?s ?o WHERE { ?s <urn:p> ?o }", set()),                         # no AS, no VALUES: not tokenized
    ("SELECT ?alias ?values WHERE { ?alias <urn:AS> ?values }", set()),
    ("select (1=1 as ?b) where {}", {"b"}),                                   # the words in any case
    ("SELECT (true AS?b) {}", {"b"}),
    ("SELECT ?b {values ?b {true}}", {"b"}),
    ("SELECT ?b {?s ?p ?o} VALUES?b{false}", {"b"}),
])
def test_the_words_that_give_values_are_found_wherever_the_tokens_are(query, proven):
    assert boolean_variables(query) == proven
    assert set(boolean_variables.__wrapped__(query)) == proven


def test_an_empty_answer_is_edited_into_an_empty_standard_one():
    body = (b'\n{ "head": { "link": [], "vars": ["x"] },\n  "results": { "distinct": false, "ordered": true, '
            b'"bindings": [ ] } }')   # as Virtuoso 7.2.5 wrote it for a query with no solution
    edited = results.virtuoso_edited(body)
    assert json.loads(edited) == {"head": {"vars": ["x"]}, "results": {"bindings": []}}
    assert results.solutions_rows(edited) == [] and results.at_most_rows(edited, "JSON", 0)


@pytest.mark.parametrize("body, as_they_are", [
    (b'<urn:a>\t<urn:b>\t"\\u793E\\u533A"@zh .\n<urn:a>\t<urn:b>\t"4.50"^^<urn:dt> .\n', True),
    (b'_:b10000\t<urn:b>\t_:b10001 .\n_:b10001\t<urn:b>\t"x" .\n', True),
    (b'', True),
    (b'<urn:a>\t<urn:b>\t"\xe7\xa4\xbe" .\n', False),                                 # not ASCII
    (b'<urn:a>\t<urn:b>\t"\\uD83D\\uDE00" .\n', False),                                # escaped surrogates
    (b'<urn:a>\t<urn:b>\t"\\ud83d\\ude00" .\n', False),
    (b'<urn:a>\t<urn:b>\t"x"^^<http://www.w3.org/2001/XMLSchema#string> .\n', False),  # explicit xsd:string
    (b'_:nodeID://b1\t<urn:b>\t"x" .\n', False),                                      # not a label N-Triples has
    (b'<urn:a>\t<urn:b>\t"_:b1 in a literal" .\n', True),                             # passed as it is either way
    (b'<urn:a>\t<urn:b>\t"see _:x" .\n', False),
])
def test_virtuosos_ntriples_pass_as_they_are_only_when_nothing_in_them_differs(body, as_they_are):
    assert results.virtuoso_ntriples_as_they_are(body) is as_they_are
