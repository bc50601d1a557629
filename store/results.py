"""SPARQL query results in and out, for a store that gets them from a remote server.

A remote server answers SELECT and ASK in the SPARQL 1.1 JSON results format; each server writes it
its own way (Virtuoso: ``typed-literal`` of the 2007 draft, ``nodeID://`` blank node labels, simple
literals typed ``xsd:string``, ``"link": []``; Oxigraph: the standard, as the embedded store writes it).
:func:`virtuoso_edited` mends Virtuoso's by byte edits where that is enough (most answers: its head,
``typed-literal``, ``xsd:string``, blank node labels), the rest passed on as it came; otherwise
:func:`normalise` rewrites the decoded JSON (the C ``json`` module's dicts and lists) in place into
what the embedded store would write, touching only what differs and building no RDF terms; the
writers give it back in the format the caller asked for (JSON by ``json.dumps``, the others by
pyoxigraph's own writers, so the bytes are the embedded store's). Where a server's answer in the
caller's format is already the embedded store's (:data:`VERBATIM`), the remote store asks for that
format and passes the body on untouched (docs/operations.md, "Over a SPARQL server").
"""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Mapping

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
XSD_BOOLEAN = XSD + "boolean"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_PLAIN = (XSD_STRING, RDF_LANG_STRING)   # datatypes the embedded store never writes out
_JSON = ox.QueryResultsFormat.JSON

# The results formats (pyoxigraph names) in which a server's answer is byte for byte what the embedded
# store writes, but for blank node labels (tests/store/test_remote_store.py checks each against the
# installed server, and that the others are not). Oxigraph's server is the embedded store's engine and
# writers; Virtuoso 7.2.5 writes none of them so: its XML has its own blank node labels and attributes,
# its CSV and TSV quote the header and write booleans as 1/0. An unknown server gets JSON, normalised.
VERBATIM = {
    "oxigraph": {"JSON", "XML", "CSV", "TSV"},
    "virtuoso": set(),
    "sparql": set(),
}
# The same for graph answers (CONSTRUCT, DESCRIBE): N-Triples from Oxigraph's server; from Virtuoso
# (\u escapes, its own labels), and in the other formats, the triples are parsed and written again.
VERBATIM_GRAPH = {
    "oxigraph": {"N_TRIPLES"},
    "virtuoso": set(),
    "sparql": set(),
}


class ResultsError(ValueError):
    """The server's answer is not a SPARQL JSON result."""


def decode(body: bytes) -> dict:
    """The server's JSON answer, decoded and checked for the shape of a SELECT or ASK result."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ResultsError(f"the server's answer is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ResultsError("the server's answer is not a SPARQL JSON result")
    if "boolean" in data:
        if not isinstance(data["boolean"], bool):
            raise ResultsError(f"the server's ASK answer is not a boolean: {data['boolean']!r}")
        return data
    try:
        variables, bindings = data["head"]["vars"], data["results"]["bindings"]
    except (KeyError, TypeError):
        raise ResultsError("the server's answer is not a SPARQL JSON result (no head/vars or results)") from None
    if not isinstance(variables, list) or not isinstance(bindings, list):
        raise ResultsError("the server's answer is not a SPARQL JSON result (head/vars or results/bindings "
                           "is not a list)")
    return data


# -- Virtuoso's JSON edited as bytes ------------------------------------------------------------------
# Virtuoso 7.2.5 writes its SPARQL JSON valid and in ASCII (other characters as \u escapes; quotes,
# backslashes and control characters escaped: tests/store/test_remote_store.py checks it on such
# literals), every term on one pattern, { "type": …, "xml:lang" or "datatype": …, "value": … }. Most
# answers differ from standard JSON only in the head and in "typed-literal", which byte edits mend
# without decoding anything (168 KB, 577 rows: 0.45 ms instead of 2.65 ms decoded, normalised and
# encoded again; bench/RESULTS.md). A pattern below that opens with a quote matches only where that
# quote opens a JSON string (inside a string every quote is escaped, and no token but , : } ] follows a
# string's closing quote), so it matches the structure, never a value's text. Whatever else
# :func:`normalise` would change sends the answer down the decoded path, so both give the same terms.
_VIRTUOSO_HEAD = re.compile(rb'\s*\{\s*"head"\s*:\s*\{\s*"link"\s*:\s*\[\s*\]\s*,\s*"vars"\s*:\s*(\[[^\]\\]*\])\s*\}'
                            rb'\s*,\s*"results"\s*:\s*\{\s*"distinct"\s*:\s*(?:true|false)\s*,\s*"ordered"\s*:'
                            rb'\s*(?:true|false)\s*,\s*"bindings"\s*:\s*\[')
_VIRTUOSO_TAIL = re.compile(rb'\]\s*\}\s*\}\s*$')
_STANDARD_HEAD = b'{"head":{"vars":%s},"results":{"bindings":['
_TYPED_STRING = b'"type": "typed-literal", "datatype": "' + XSD_STRING.encode() + b'", '
_TYPED = b'"type": "typed-literal"'
_LITERAL = b'"type": "literal"'
_BNODE = b'"type": "bnode"'
_BNODE_VALUE = b', "value": "'
# What sends an edited answer down the decoded path: a datatype the embedded store leaves out, left
# after the edit (xsd:string), or writes otherwise (rdf:langString; xsd:boolean, which Virtuoso writes
# 1/0), typed-literal in a spelling the edit does not know, an escaped surrogate (Virtuoso writes its
# escapes in upper case; a lone surrogate is not Unicode, which the decoded path says; pairs, for
# characters beyond the BMP, are rare enough to decode). Each is one search of the answer, and the
# searches are much of the edit's time: so the datatypes are looked for as whole `"datatype": "<IRI>"`
# fields, every search runs from the end (_has), and the edits run only where what they edit is there
# (bench/RESULTS.md, "The Virtuoso edit in fewer scans" and "The Virtuoso edit in one copy").
def _datatype_field(iri: str) -> bytes:
    return b'"datatype": "' + iri.encode() + b'"'


_XSD_STRING_FIELD = _datatype_field(XSD_STRING)
_DECODE_IF = (_datatype_field(XSD_BOOLEAN), _datatype_field(RDF_LANG_STRING))
_TYPED_WORD = b'"typed-literal"'   # the type in any spelling: what the edit leaves sends it to decoding
_SURROGATE = re.compile(rb"\\uD[89A-F]")
_SURROGATE_MARK = b"\\uD"   # looked for first: sooner than the regex, and most answers have none


def _has(body: bytes, needle: bytes) -> bool:
    """Whether ``needle`` is in ``body``, searched from the end: ``bytes.rfind`` finds these needles in
    Virtuoso's answers in a third to two thirds of the time ``in`` takes, in most cases (measured on
    answers of 2-990 KB; bench/RESULTS.md, "The Virtuoso edit in one copy")."""
    return body.rfind(needle) >= 0


INTEGER = _datatype_field(XSD_INTEGER)   # 1/0 of a variable proven boolean: the caller's to check
XSD_STRING_IRI = b"<" + XSD_STRING.encode() + b">"


def virtuoso_edited(body: bytes) -> bytes | None:
    """Virtuoso's JSON answer to a SELECT as standard SPARQL JSON with the terms :func:`normalise`
    gives, by byte edits (the head made standard; ``typed-literal`` written ``literal``, without an
    ``xsd:string`` datatype; ``nodeID://`` labels made valid by :func:`blank_label`), the rest as it
    came; or None when it needs the decoded path (``_DECODE_IF``; not ASCII; not the shape Virtuoso
    writes). Whether a variable holding 1/0 (``INTEGER``) is proven boolean is the caller's to check."""
    if not body.isascii():
        return None
    head = _VIRTUOSO_HEAD.match(body)
    if head is None or _VIRTUOSO_TAIL.search(body, max(head.end(), len(body) - 32)) is None:
        return None
    # (what sends an answer to decoding is looked for first, before anything is copied: the edits below
    # neither make nor remove any of it)
    if any(_has(body, field) for field in _DECODE_IF) or (_has(body, _SURROGATE_MARK) and _SURROGATE.search(body)):
        return None
    if _has(body, _XSD_STRING_FIELD):
        body = body.replace(_TYPED_STRING, b'"type": "literal", ')
        if _has(body, _XSD_STRING_FIELD):
            return None
    # The head and "typed-literal" edited in one copy of the answer: split at each typed literal's type,
    # the standard head put before the first piece (usually a row or two long), joined with "literal"
    # between: one large buffer made instead of two (a replace, then a copy behind the head), with every
    # search but the last made in the answer as it came from the socket (bench/RESULTS.md, "The Virtuoso
    # edit in one copy"). (The head ends where it did: nothing in it was edited, a variable's name
    # holding none of it.)
    blank_nodes = _has(body, _BNODE)
    head_bytes = _STANDARD_HEAD % head.group(1)
    if _has(body, _TYPED_WORD):
        pieces = body.split(_TYPED)
        pieces[0] = b"".join((head_bytes, memoryview(pieces[0])[head.end():]))
        body = _LITERAL.join(pieces)
        if _has(body, _TYPED_WORD):
            return None
    else:
        body = b"".join((head_bytes, memoryview(body)[head.end():]))
    return _relabelled(body) if blank_nodes else body


def _relabelled(body: bytes) -> bytes | None:
    """``body`` with each blank node's label made valid (:func:`blank_label`, once per label); None for a
    blank node written otherwise than ``"type": "bnode", "value": "…"`` with an unescaped label. One
    scan, from blank node to blank node (a regex's substitution took three times as long as all the
    other edits: it stops at every quote)."""
    view = memoryview(body)
    pieces = []
    labels: dict[bytes, bytes] = {}
    done = 0
    at = body.find(_BNODE)
    while at >= 0:
        value = at + len(_BNODE)
        if not body.startswith(_BNODE_VALUE, value):
            return None
        value += len(_BNODE_VALUE)
        end = body.find(b'"', value)
        label = body[value:end]
        if end < 0 or b"\\" in label:
            return None
        made = labels.get(label)
        if made is None:
            made = labels[label] = blank_label(label.decode("ascii")).encode("ascii")
        pieces += (view[done:value], made)
        done = end
        at = body.find(_BNODE, end)
    pieces.append(view[done:])
    return b"".join(pieces)


# Virtuoso's N-Triples (CONSTRUCT, DESCRIBE) are standard as it writes them: ASCII (other characters as
# \u escapes), blank nodes labelled _:b<digits>, simple literals without a datatype. Passed on as they
# came when asked for N-Triples, the same triples as parsed and written again (0.5 ms for 79 KB); what
# could make them differ sends them through the parser: a byte that is not ASCII, an escaped surrogate
# (not a character), an explicit xsd:string, a "_:" that is not such a label (it may be inside a literal:
# then parsed, to be safe).
_VIRTUOSO_BLANK = re.compile(rb"_:b[0-9]+[\t ]")
_ANY_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\\U0000[dD][89a-fA-F]")
_BLANK_MARK = re.compile(rb"_:")   # searched sooner by re than by `in` or count (20 against 57 µs, 79 KB)


def virtuoso_ntriples_as_they_are(body: bytes) -> bool:
    """Whether Virtuoso's N-Triples answer ``body`` can be passed on unchanged (see above)."""
    if not body.isascii() or _ANY_SURROGATE.search(body) or XSD_STRING_IRI in body:
        return False
    if not _BLANK_MARK.search(body):
        return True
    return body.count(b"_:") == len(_VIRTUOSO_BLANK.findall(body))


def is_boolean(data: dict) -> bool:
    return "boolean" in data


def normalise(data: dict, markers: Mapping[str, str] | None = None) -> tuple[dict, set[str]]:
    """``data`` (decoded) as the embedded store would write it, rewritten in place: the standard
    ``head``/``results`` only, ``literal`` for ``typed-literal``, no ``xsd:string`` or
    ``rdf:langString`` datatype, a valid label for each blank node (:func:`blank_label`), the
    GROUP_CONCAT ``markers`` put back. Returns it, and the names of the variables that hold
    ``"1"``/``"0"`` as an ``xsd:integer`` somewhere (the candidates of :func:`relabel_booleans`)."""
    if "boolean" in data:
        return {"head": {}, "boolean": data["boolean"]}, set()
    bindings = data["results"]["bindings"]
    integers: set[str] = set()
    labels: dict[str, str] = {}
    try:
        for row in bindings:
            for name, term in row.items():
                if _term(term, labels, markers) and name not in integers:
                    integers.add(name)
    except (AttributeError, KeyError, TypeError) as exc:
        raise ResultsError(f"the server's answer holds a binding that is not an RDF term: {exc!r}") from None
    return {"head": {"vars": data["head"]["vars"]}, "results": {"bindings": bindings}}, integers


def _term(term: dict, labels: dict, markers) -> bool:
    """Normalise one binding in place; whether it is ``"1"`` or ``"0"`` typed ``xsd:integer``."""
    kind = term["type"]
    value = term["value"]
    if kind == "uri":
        if type(value) is not str:
            raise ResultsError(f"a binding without a string value: {term!r}")
        return False
    if kind == "literal" or kind == "typed-literal":
        if type(value) is not str:
            raise ResultsError(f"a binding without a string value: {term!r}")
        if kind == "typed-literal":
            term["type"] = "literal"
        datatype = term.get("datatype")
        if datatype is not None:
            if datatype in _PLAIN or "xml:lang" in term:
                del term["datatype"]
            elif datatype == XSD_INTEGER:
                return value == "1" or value == "0"
            elif datatype == XSD_BOOLEAN and (value == "1" or value == "0"):
                term["value"] = "true" if value == "1" else "false"   # the form the embedded store writes
        if markers:
            term["value"] = _restored(value, markers)
        return False
    if kind == "bnode":
        if type(value) is not str:
            raise ResultsError(f"a blank node without a string label: {term!r}")
        label = labels.get(value)
        if label is None:
            label = labels[value] = blank_label(value)
        term["value"] = label
        return False
    if kind == "triple":
        for part in ("subject", "predicate", "object"):
            _term(value[part], labels, markers)
        return False
    raise ResultsError(f"unknown binding type {kind!r}")


def _restored(value: str, markers: Mapping[str, str]) -> str:
    for stand_in, separator in markers.items():
        if stand_in in value:
            value = value.replace(stand_in, separator)
    return value


def blank_label(label: str) -> str:
    """A valid blank node label for a server's label: as it is when it is one, else a label made from
    its bytes (``nodeID://b10001`` → ``x6e6f…``): the same label always gives the same node."""
    if "/" not in label:   # (a label with one is never valid: Virtuoso's nodeID:// ones skip the exception)
        try:
            return ox.BlankNode(label).value
        except ValueError:
            pass
    return "x" + label.encode("utf-8").hex()


def relabel_booleans(data: dict, names) -> None:
    """``"1"``/``"0"`` typed ``xsd:integer`` of the variables ``names`` (proven boolean by
    :func:`policykg.store.booleans.boolean_variables`) written as ``true``/``false``, in place."""
    names = set(names)
    for row in data["results"]["bindings"]:
        for name in names.intersection(row):
            term = row[name]
            if term.get("datatype") == XSD_INTEGER and term["value"] in ("1", "0"):
                term["value"] = "true" if term["value"] == "1" else "false"
                term["datatype"] = XSD_BOOLEAN


def row_count(data: dict) -> int:
    return 0 if "boolean" in data else len(data["results"]["bindings"])


def write(data: dict, fmt: ox.QueryResultsFormat) -> bytes:
    """A normalised answer in ``fmt``: JSON as it is; the others through pyoxigraph's writers."""
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError as exc:   # a lone surrogate (\ud800) the server escaped
        raise ResultsError(f"the server's answer holds text that is not Unicode: {exc}") from None
    if fmt == _JSON:
        return text
    return ox.parse_query_results(text, format=_JSON).serialize(format=fmt)


def rows(data: dict) -> list[dict] | bool:
    """A normalised answer as rows of pyoxigraph terms (unbound variables left out), or the boolean."""
    if "boolean" in data:
        return data["boolean"]
    try:
        return [{name: term_from_json(value) for name, value in binding.items()}
                for binding in data["results"]["bindings"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultsError(f"the server's answer holds a term that is not RDF: {exc}") from None


def term_from_json(value: dict):
    """A pyoxigraph term for one normalised JSON binding."""
    kind = value["type"]
    if kind == "uri":
        return ox.NamedNode(value["value"])
    if kind == "literal":
        lang = value.get("xml:lang")
        if lang:
            return ox.Literal(value["value"], language=lang)
        datatype = value.get("datatype")
        if datatype:
            return ox.Literal(value["value"], datatype=ox.NamedNode(datatype))
        return ox.Literal(value["value"])
    if kind == "bnode":
        return ox.BlankNode(value["value"])
    if kind == "triple":
        inner = value["value"]
        return ox.Triple(term_from_json(inner["subject"]), term_from_json(inner["predicate"]),
                         term_from_json(inner["object"]))
    raise ResultsError(f"unknown binding type {kind!r}")


def solutions_rows(body: bytes) -> list[dict] | bool:
    """A standard JSON answer (a :data:`VERBATIM` server's) read by pyoxigraph's parser straight into
    rows of terms, or the boolean."""
    try:
        parsed = ox.parse_query_results(body, format=_JSON)
    except (SyntaxError, ValueError) as exc:
        raise ResultsError(f"the server's answer is not a SPARQL JSON result: {exc}") from None
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    return term_rows(parsed)


def term_rows(solutions: ox.QuerySolutions) -> list[dict]:
    """pyoxigraph solutions as rows mapping each bound variable to its term (unbound ones left out)."""
    names = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row = {}
        for name in names:
            term = solution[name]
            if term is not None:
                row[name] = term
        rows.append(row)
    return rows


# Upper bounds on the rows of an answer in a format, without parsing it. From its length: a row takes
# at least so many bytes (JSON: an object, {}, and a comma; XML: <result/>; CSV, TSV: a line's end),
# which settles most answers at the default limit (100,000 rows: JSON up to 300 KB) with no scan at
# all. Else from one byte count: every row of a JSON answer is an object ({), of an XML one a <result>
# element, of CSV and TSV a line; text in a value can only add to the count.
_ROW_BYTES = {"JSON": 3, "XML": 9, "CSV": 1, "TSV": 1}
_ROW_MARK = {"JSON": b"{", "XML": b"<result", "CSV": b"\n", "TSV": b"\n"}


def at_most_rows(body: bytes, fmt_name: str, limit: int) -> bool:
    """Whether the answer ``body`` (in the results format named ``fmt_name``) has at most ``limit``
    rows: by the bounds above when they settle it, else by pyoxigraph's parser."""
    if len(body) <= limit * _ROW_BYTES[fmt_name] or body.count(_ROW_MARK[fmt_name]) <= limit:
        return True
    if fmt_name == "CSV":   # pyoxigraph does not read CSV (it is lossy): its records, the header first
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))) - 1 <= limit
    fmt = getattr(ox.QueryResultsFormat, fmt_name)
    parsed = ox.parse_query_results(body, format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return True
    count = 0
    for _ in parsed:
        count += 1
        if count > limit:
            return False
    return True


def at_most_triples(body: bytes, limit: int, rdf_format: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> bool:
    """Whether a graph ``body`` holds at most ``limit`` triples: by the byte count's bound (a triple
    takes at least one byte) or, in N-Triples, the line count's (one a line; comments and blank lines
    only add to it) when it settles it, else by pyoxigraph's parser."""
    if len(body) <= limit or (rdf_format == ox.RdfFormat.N_TRIPLES and body.count(b"\n") + 1 <= limit):
        return True
    count = 0
    for _ in ox.parse(body, format=rdf_format):
        count += 1
        if count > limit:
            return False
    return True
