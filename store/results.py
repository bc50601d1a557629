"""SPARQL query results in and out, for a store that gets them from a remote server.

A remote server answers SELECT and ASK in the SPARQL 1.1 JSON results format; each server
writes it its own way (Virtuoso's ``typed-literal`` of the 2007 draft and ``nodeID://``
blank node labels, Oxigraph's hashes). :func:`parse_json` reads any of them into pyoxigraph
terms, and the writers serialise the rows again in the format the caller asked for, so the
service answers the same bytes' worth of meaning whatever the server (docs/operations.md,
"Over a SPARQL server").
"""
from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


class ResultsError(ValueError):
    """The server's answer is not a SPARQL JSON result."""


def blank_node(label: str) -> ox.BlankNode:
    """A blank node for a server's label: as it is when it is a valid label, else a label made
    from its bytes (``nodeID://b10001`` → ``x6e6f…``): the same label always gives the same node."""
    try:
        return ox.BlankNode(label)
    except ValueError:
        return ox.BlankNode("x" + label.encode("utf-8").hex())


def term_from_json(value: dict):
    """A pyoxigraph term for one JSON results binding."""
    kind = value.get("type")
    text = value.get("value")
    if not isinstance(text, str):
        raise ResultsError(f"a binding without a string value: {value!r}")
    if kind == "uri":
        return ox.NamedNode(text)
    if kind == "bnode":
        return blank_node(text)
    if kind in ("literal", "typed-literal"):
        lang = value.get("xml:lang")
        datatype = value.get("datatype")
        if lang:
            return ox.Literal(text, language=lang)
        if datatype and datatype not in (XSD_STRING, RDF_LANG_STRING):
            return ox.Literal(text, datatype=ox.NamedNode(datatype))
        return ox.Literal(text)
    if kind == "triple":
        inner = value.get("value") or {}
        return ox.Triple(term_from_json(inner["subject"]), term_from_json(inner["predicate"]),
                         term_from_json(inner["object"]))
    raise ResultsError(f"unknown binding type {kind!r}")


def parse_json(body: bytes) -> tuple[list[str], list[dict]] | bool:
    """``(variables, rows)`` of a SELECT answer (each row maps a variable to a term, unbound
    variables left out), or the boolean of an ASK answer."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ResultsError(f"the server's answer is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ResultsError("the server's answer is not a SPARQL JSON result")
    if "boolean" in data:
        return bool(data["boolean"])
    try:
        variables = list(data["head"]["vars"])
        bindings = data["results"]["bindings"]
    except (KeyError, TypeError):
        raise ResultsError("the server's answer is not a SPARQL JSON result (no head/vars or results)") from None
    try:
        rows = [{name: term_from_json(v) for name, v in binding.items()} for binding in bindings]
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultsError(f"the server's answer holds a term that is not RDF: {exc}") from None
    return variables, rows


# ---------------------------------------------------------------------------
# Writers (SPARQL 1.1 Query Results JSON, XML, CSV and TSV)
# ---------------------------------------------------------------------------

def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        return ("<triple>" + "".join(f"<{part}>{_xml_term(getattr(term, part))}</{part}>"
                                     for part in ("subject", "predicate", "object")) + "</triple>")
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype.value != XSD_STRING:
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def _csv_field(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    elif isinstance(term, (ox.NamedNode, ox.Literal)):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def write(result, fmt: ox.QueryResultsFormat) -> bytes:
    """Serialise ``(variables, rows)`` or a boolean in ``fmt``."""
    name = fmt.name if hasattr(fmt, "name") else str(fmt)
    if isinstance(result, bool):
        word = "true" if result else "false"
        if fmt == ox.QueryResultsFormat.JSON:
            return json.dumps({"head": {}, "boolean": result}).encode("utf-8")
        if fmt == ox.QueryResultsFormat.XML:
            return ('<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                    f"<boolean>{word}</boolean></sparql>").encode("utf-8")
        return word.encode("utf-8")
    variables, rows = result
    if fmt == ox.QueryResultsFormat.JSON:
        data = {"head": {"vars": variables},
                "results": {"bindings": [{k: _json_term(v) for k, v in row.items()} for row in rows]}}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if fmt == ox.QueryResultsFormat.XML:
        parts = ['<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        parts += [f"<variable name={quoteattr(v)}/>" for v in variables]
        parts.append("</head><results>")
        for row in rows:
            parts.append("<result>")
            parts += [f"<binding name={quoteattr(k)}>{_xml_term(v)}</binding>" for k, v in row.items()]
            parts.append("</result>")
        parts.append("</results></sparql>")
        return "".join(parts).encode("utf-8")
    if fmt == ox.QueryResultsFormat.CSV:
        lines = [",".join(variables)] + [",".join(_csv_field(row.get(v)) for v in variables) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    if fmt == ox.QueryResultsFormat.TSV:
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join(str(row[v]) if v in row else "" for v in variables) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"no writer for the results format {name}")
