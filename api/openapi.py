"""The OpenAPI 3 description of /api/..., generated from the named-question library.

Each named question gets its own path (``/api/queries/duties``) with its parameters typed
from its .rq header, so clients and fuzzers (schemathesis) see the real contract.

The JSON envelope (one for every response of /api)
--------------------------------------------------

Success::

    {"ok": true,
     "rows": [ {...}, ... ],      # one page of answer rows; each row with a clause carries
                                  #   clause (IRI), article (number as written), clause_label, quote
     "columns": ["leader", ...],  # the row keys, in order (also the CSV header)
     "count": 10, "total": 37,    # rows on this page / rows in all
     "page": 1, "page_size": 10,  # paging: ?page=N&page_size=M (page_size <= max_page_size)
     "truncated": true,           # more rows exist beyond this page ...
     "next": "/api/...&page=2",   # ... and this is where they are (null on the last page)
     ...}                         # endpoint-specific context: query, params, actor, chains ...

Error (4xx/5xx)::

    {"ok": false,
     "error": {"code": "ambiguous",          # missing_parameter | unknown_parameter | invalid_parameter
                                             # | not_found | ambiguous | method_not_allowed | internal_error
               "status": 409,                # the HTTP status, and its
               "title": "Conflict",          # title (every error of the service has this envelope)
               "message": "…",               # what went wrong, in words
               "message_zh": "…",            # the kind of error in Chinese (缺少必填参数 …)
               "parameter": "actor",         # the parameter at fault, when there is one
               "candidates": [{"iri": …, "label_zh": …, "score": …}]}}   # what it may have meant
"""
from __future__ import annotations

from policykg import __version__
from policykg.queries.library import load_library
from policykg.settings import Config

ENVELOPE_DOC = __doc__.split("The JSON envelope", 1)[1]

_ERROR_CODES = ["missing_parameter", "unknown_parameter", "invalid_parameter", "not_found", "ambiguous",
                "method_not_allowed", "not_acceptable", "too_large", "invalid_register", "http_error",
                "internal_error"]
_STATUSES = ["met", "not_met", "not_applicable", "unknown"]   # policykg.compliance.checks.STATUSES


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _errors(*statuses: int) -> dict:
    words = {400: "A parameter is missing, unknown or malformed.", 404: "Nothing has that name.",
             409: "The name is ambiguous; the error lists the candidates.", 405: "Only GET is allowed."}
    return {str(s): _json("Error", words.get(s, "Error.")) for s in statuses}


def _rows_ok(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Rows")},
                        "text/csv": {"schema": {"type": "string"}}}}


def _query_param(name: str, description: str, required: bool = False, schema: dict | None = None,
                 example=None) -> dict:
    out = {"name": name, "in": "query", "required": required, "description": description,
           "schema": schema or {"type": "string", "maxLength": 200}}
    if example is not None:
        out["example"] = example
    return out


PAGING = [{"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/page_size"},
          {"$ref": "#/components/parameters/format"}]


def _param_schema(param) -> dict:
    if param.type == "integer":
        schema = {"type": "integer"}
        if param.min is not None:
            schema["minimum"] = param.min
        if param.max is not None:
            schema["maximum"] = param.max
        return schema
    if param.type == "boolean":
        return {"type": "boolean"}
    return {"type": "string", "maxLength": 200}


def openapi_document(config: Config) -> dict:
    max_page_size = config.max_page_size
    default_page_size = config.page_size
    library = load_library()
    paths: dict = {
        "/api/": {"get": {"operationId": "index", "summary": "The endpoints of this API",
                          "parameters": PAGING, "responses": {"200": _rows_ok("Endpoints."), **_errors(400)}}},
        "/api/openapi.json": {"get": {"operationId": "openapi", "summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3 document.",
                                                            "content": {"application/json": {"schema": {"type": "object"}}}},
                                                    **_errors(400)}}},
        "/api/queries": {"get": {
            "operationId": "listQueries", "summary": "The named questions, with their parameters and examples",
            "parameters": [_query_param("tag", "only questions with this tag")] + PAGING,
            "responses": {"200": _rows_ok("One row per named question."), **_errors(400)}}},
        "/api/queries/{name}": {"get": {
            "operationId": "runQuery", "summary": "Run a named question by name (parameters as in its header)",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}] + PAGING,
            "responses": {"200": _rows_ok("Answer rows with citations."), **_errors(400, 404, 409)}}},
    }
    for query in library.values():
        params = [_query_param(p.name, " — ".join(filter(None, (p.help_zh, p.help))) + f" ({p.type})", p.required,
                               _param_schema(p), p.example) for p in query.params]
        paths[f"/api/queries/{query.name}"] = {"get": {
            "operationId": f"query_{query.name}", "summary": f"{query.title_zh} — {query.title_en}",
            "description": f"{query.description_zh}\n\n{query.description}", "tags": ["named questions"],
            "parameters": params + PAGING,
            "responses": {"200": _rows_ok("Answer rows; each carries clause, article, clause_label and quote."),
                          **_errors(400, 404, 409)}}}
    paths.update({
        "/api/resolve": {"get": {
            "operationId": "resolve", "summary": "What a name refers to: ranked candidates",
            "parameters": [_query_param("q", "a name: IRI, label or short form (居委会, 社区书记 ...)", True,
                                        example="居委会"),
                           _query_param("kind", "entity, actor, task, topic, modality, relation or clause",
                                        schema={"type": "string", "enum": ["entity", "actor", "task", "topic",
                                                                           "modality", "relation", "clause"]})]
            + PAGING,
            "responses": {"200": _rows_ok("Ranked candidates (ambiguous: true when no single best)."),
                          **_errors(400, 404)}}},
        "/api/ask": {"get": {
            "operationId": "ask", "summary": "A question in Chinese or English, answered with its clauses",
            "description": "The one answer every front end shows (the home search box, the question page, "
                           "`policykg ask`). `answer_zh` / `answer_en`: a direct answer in words, each fact "
                           "followed by the clause it comes from (第19条); where the text does not answer, it "
                           "says so (原文没有规定…) and quotes the nearest text instead, never a guess. `parts`: "
                           "one entry per question asked (社区工作经费标准是多少?党员活动经费呢? is two), each "
                           "{question, intent, named_query, params, rows, columns, citations, answer_zh, answer_en, "
                           "found, links}; `named_query` is the queries/*.rq question that answered (null when "
                           "the answer was retrieved from the text's sentences), `citations` [{clause, path, "
                           "label_zh, label_en, quote, start, end, highlighted}] the units the answer rests on "
                           "(offsets into the source text; `highlighted` marks the matched words with 【】). "
                           "`entities`: the names of the graph the question mentions, each with its candidates "
                           "and `ambiguous`. `route`: each part's intent. `understood_as`: the Chinese question "
                           "an English one was read as. The envelope's `rows` are the first part's rows (paged), "
                           "with `query`, `rule`, `params`, `title_zh` and `note` (the not-in-the-text answer, "
                           "else null) as before. Rows that rest on a reading carry `interpreted` and "
                           "`interpreted_label`, and the answer marks them 【解读】.",
            "parameters": [_query_param("q", "the question, e.g. 谁领导居民委员会?", True, example="谁领导居委会?"),
                           _query_param("asserted_only", "true: leave out rows that rest on a reading of the text "
                                        "(解读, the interpretation graph) where the answering question can",
                                        schema={"type": "boolean"})]
            + PAGING,
            "responses": {"200": {"description": "The answer.",
                                  "content": {"application/json": {"schema": _ref("Answer")},
                                              "text/csv": {"schema": {"type": "string"}}}},
                          **_errors(400, 404, 409)}}},
        "/api/locate": {"post": {
            "operationId": "locate", "summary": "The units a pasted passage comes from, with offsets and a score",
            "description": "A passage from another document (a quotation of the policy with other punctuation, "
                           "widths, traditional characters, line breaks or small omissions) → the stretch of the "
                           "policy it matches (`start`, `end`: offsets into the source text, `text`), its "
                           "similarity `score` (0-100; `found` is false below 60) and, as rows, the units it "
                           "overlaps with their own offsets and the share of the stretch each holds (`overlap`).",
            "requestBody": {"required": True, "content": {
                "text/plain": {"schema": {"type": "string", "maxLength": 20000}},
                "application/json": {"schema": {"type": "object", "required": ["text"],
                                                "properties": {"text": {"type": "string", "maxLength": 20000}}}},
                "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                    "text": {"type": "string"}}}}}},
            "responses": {"200": _rows_ok("The units, with found, score, start, end and text."),
                          **_errors(400)}}},
        "/api/check": {"post": {
            "operationId": "checkRegisters",
            "summary": "Check a communities register (and a workers register) against the policy's norms",
            "description": "The registers of docs/compliance.md (CSV in UTF-8 or GB18030/GBK, or .xlsx; the "
                           "templates are at /check/template.xlsx) → for every row and every checkable norm "
                           "达标 met / 未达标 not_met / 不适用 not_applicable / 数据缺失 unknown, with what the text "
                           "requires and the actual value in words, the clause and the exact quote. A register "
                           "with any bad row is refused as a whole (422, every problem with file, row as the "
                           "spreadsheet numbers it, column and reason); nothing is imported. Each file may be "
                           f"at most {config.max_register_mb} MB (setting max_register_mb).",
            "tags": ["compliance"],
            "requestBody": {"required": True, "content": {"multipart/form-data": {
                "schema": {"type": "object", "required": ["communities"], "properties": {
                    "communities": {"type": "string", "format": "binary",
                                    "description": "社区登记表 the communities register (.csv or .xlsx)"},
                    "workers": {"type": "string", "format": "binary",
                                "description": "社区工作者登记表 the workers register (.csv or .xlsx), optional"},
                    "format": {"type": "string", "enum": ["json", "csv", "xlsx", "nt"], "default": "json",
                               "description": "json (the report below), csv (one line per row and norm, "
                                              "UTF-8 with BOM), xlsx, or nt (sh:ValidationReport as N-Triples)"}}},
                "encoding": {"communities": {"contentType": "text/csv, application/vnd.openxmlformats-"
                                                            "officedocument.spreadsheetml.sheet"},
                             "workers": {"contentType": "text/csv, application/vnd.openxmlformats-"
                                                        "officedocument.spreadsheetml.sheet"}}}}},
            "responses": {
                "200": {"description": "The report (JSON by default; the other formats as attachments).",
                        "content": {"application/json": {"schema": _ref("ComplianceReport")},
                                    "text/csv": {"schema": {"type": "string"}},
                                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                                        {"schema": {"type": "string", "format": "binary"}},
                                    "application/n-triples": {"schema": {"type": "string"}}}},
                "400": _json("Error", "missing_parameter: no communities register (parameter communities); "
                                      "invalid_parameter: an unknown format or two files in one field."),
                "413": _json("Error", "too_large: a file over the size limit (parameter names the field)."),
                "422": _json("RegisterRefused", "invalid_register: the registers were refused; error.errors "
                                                "lists every problem."),
            }}},
        "/api/clauses": {"get": {
            "operationId": "listClauses", "summary": "The document's units in reading order, with text and offsets",
            "parameters": [_query_param("kind", "only units of this kind (article, item, part ...)")] + PAGING,
            "responses": {"200": _rows_ok("One row per unit."), **_errors(400)}}},
        "/api/clauses/{id}": {"get": {
            "operationId": "getClause", "summary": "One unit (19, 第19条, 4(3), art/4/item/3 ...), its sub-units and statements",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                            "example": "19"}] + PAGING,
            "responses": {"200": _rows_ok("The unit and the units inside it; statements alongside."),
                          **_errors(400, 404)}}},
        "/api/actors/{id}": {"get": {
            "operationId": "getActor", "summary": "An actor (IRI, label or short form) with its relations and norms",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                            "example": "居委会"}] + PAGING,
            "responses": {"200": _rows_ok("Relations in and out (rows); norms alongside."),
                          **_errors(400, 404, 409)}}},
        "/api/chains": {"get": {
            "operationId": "chains", "summary": "Responsibility chains between two actors, shortest first",
            "parameters": [_query_param("from", "where responsibility starts", True, example="区委书记"),
                           _query_param("to", "where it arrives", True, example="街道党工委书记"),
                           _query_param("max_length", "longest chain in hops", False,
                                        {"type": "integer", "minimum": 1, "maximum": 10})] + PAGING,
            "responses": {"200": _rows_ok("One row per hop of each chain."), **_errors(400, 404, 409)}}},
        "/api/downstream": {"get": {
            "operationId": "downstream", "summary": "Everything responsibility flows to from an actor",
            "parameters": [_query_param("actor", "where responsibility starts", True, example="区委书记"),
                           _query_param("max_length", "only this many hops", False,
                                        {"type": "integer", "minimum": 1, "maximum": 10})] + PAGING,
            "responses": {"200": _rows_ok("One row per actor reached."), **_errors(400, 404, 409)}}},
        "/api/centrality": {"get": {
            "operationId": "centrality", "summary": "Actors ranked by a centrality measure",
            "parameters": [_query_param("measure", "the measure", False,
                                        {"type": "string", "enum": ["degree", "in_degree", "out_degree",
                                                                    "betweenness", "closeness", "pagerank"]}),
                           _query_param("scope", "all relations or only the responsibility graph", False,
                                        {"type": "string", "enum": ["all", "responsibility"]})] + PAGING,
            "responses": {"200": _rows_ok("One row per actor, best first."), **_errors(400)}}},
        "/api/graph": {"get": {
            "operationId": "graph", "summary": "The actor graph as GraphML, GEXF or Cytoscape JSON",
            "parameters": [_query_param("format", "graphml, gexf or json (Cytoscape elements)", False,
                                        {"type": "string", "enum": ["graphml", "gexf", "json"]}),
                           _query_param("scope", "all relations or only the responsibility graph", False,
                                        {"type": "string", "enum": ["all", "responsibility"]})],
            "responses": {"200": {"description": "The graph.",
                                  "content": {"application/json": {"schema": _ref("Graph")},
                                              "application/graphml+xml": {"schema": {"type": "string"}},
                                              "application/gexf+xml": {"schema": {"type": "string"}}}},
                          **_errors(400)}}},
    })
    return {
        "openapi": "3.0.3",
        "info": {"title": "policykg REST API", "version": __version__,
                 "description": "Named questions over the policy knowledge graph, with citations "
                                "(clause IRI, article number as written, exact quote). Every JSON response has "
                                "one envelope:" + ENVELOPE_DOC},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "parameters": {
                "page": {"name": "page", "in": "query", "required": False, "description": "page number, from 1",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 1}},
                "page_size": {"name": "page_size", "in": "query", "required": False,
                              "description": f"rows per page (default {default_page_size})",
                              "schema": {"type": "integer", "minimum": 1, "maximum": max_page_size,
                                         "default": default_page_size}},
                "format": {"name": "format", "in": "query", "required": False,
                           "description": "json (default) or csv (same as Accept: text/csv)",
                           "schema": {"type": "string", "enum": ["json", "csv"]}},
            },
            "schemas": {
                "Rows": {"type": "object", "required": ["ok", "rows", "truncated"],
                         "properties": {
                             "ok": {"type": "boolean", "enum": [True]},
                             "rows": {"type": "array", "items": {"type": "object"}},
                             "columns": {"type": "array", "items": {"type": "string"}},
                             "count": {"type": "integer"}, "total": {"type": "integer"},
                             "page": {"type": "integer"}, "page_size": {"type": "integer"},
                             "truncated": {"type": "boolean"},
                             "next": {"type": "string", "nullable": True}},
                         "additionalProperties": True},
                "Answer": {"type": "object",
                           "required": ["ok", "answer_zh", "answer_en", "parts", "entities", "route", "rows"],
                           "properties": {
                               "ok": {"type": "boolean", "enum": [True]},
                               "question": {"type": "string"},
                               "answer_zh": {"type": "string"}, "answer_en": {"type": "string"},
                               "found": {"type": "boolean"},
                               "understood_as": {"type": "string", "nullable": True},
                               "parts": {"type": "array", "items": {"type": "object", "required": [
                                   "question", "intent", "named_query", "params", "rows", "citations"],
                                   "properties": {
                                       "question": {"type": "string"}, "intent": {"type": "string"},
                                       "named_query": {"type": "string", "nullable": True},
                                       "params": {"type": "object"},
                                       "rows": {"type": "array", "items": {"type": "object"}},
                                       "citations": {"type": "array", "items": {"type": "object"}},
                                       "answer_zh": {"type": "string"}, "answer_en": {"type": "string"},
                                       "found": {"type": "boolean"}}}},
                               "entities": {"type": "array", "items": {"type": "object"}},
                               "route": {"type": "array", "items": {"type": "string"}},
                               "rows": {"type": "array", "items": {"type": "object"}}},
                           "additionalProperties": True},
                "Error": {"type": "object", "required": ["ok", "error"],
                          "properties": {
                              "ok": {"type": "boolean", "enum": [False]},
                              "error": {"type": "object", "required": ["code", "status", "title", "message"],
                                        "properties": {
                                            "code": {"type": "string", "enum": _ERROR_CODES},
                                            "status": {"type": "integer"},
                                            "title": {"type": "string"},
                                            "message": {"type": "string"},
                                            "message_zh": {"type": "string"},
                                            "parameter": {"type": "string"},
                                            "candidates": {"type": "array", "items": {"type": "object"}}}}}},
                "ComplianceReport": {
                    "type": "object",
                    "required": ["ok", "norms", "not_checkable", "summary", "communities", "workers", "graphs",
                                 "truncated"],
                    "properties": {
                        "ok": {"type": "boolean", "enum": [True]},
                        "norms": {"type": "array", "items": {"type": "object", "required": [
                            "norm", "iri", "register", "article", "label_zh", "severity", "required", "quote",
                            "columns"], "properties": {
                                "norm": {"type": "string"}, "iri": {"type": "string"},
                                "register": {"type": "string", "enum": ["communities", "workers"]},
                                "article": {"type": "string"}, "clause": {"type": "string"},
                                "label_zh": {"type": "string"}, "label_en": {"type": "string"},
                                "modality": {"type": "string"}, "marker": {"type": "string", "nullable": True},
                                "severity": {"type": "string",
                                             "enum": ["violation", "warning", "info", "eligibility"]},
                                "required": {"type": "string"}, "quote": {"type": "string"},
                                "columns": {"type": "array", "items": {"type": "string"}}}}},
                        "not_checkable": {"type": "array", "items": {"type": "object", "required": [
                            "norm", "iri", "article", "reason"], "properties": {
                                "norm": {"type": "string"}, "iri": {"type": "string"},
                                "article": {"type": "string"}, "label_zh": {"type": "string"},
                                "quote": {"type": "string"}, "reason": {"type": "string"}}}},
                        "summary": {"type": "object", "required": ["norms", "districts", "subdistricts"],
                                    "properties": {k: {"type": "array", "items": {
                                        "type": "object", "required": ["norm", *_STATUSES]}}
                                        for k in ("norms", "districts", "subdistricts")}},
                        "communities": {"type": "array", "items": _ref("CheckedRow")},
                        "workers": {"type": "array", "items": _ref("CheckedRow")},
                        "graphs": {"type": "array", "items": {"type": "string"},
                                   "description": "the named graph of each register"},
                        "timings": {"type": "object", "additionalProperties": {"type": "number"}},
                        "truncated": {"type": "boolean",
                                      "description": f"true when a register has more than {max_page_size} rows "
                                                     "(only the first are listed; the summary counts all)"}},
                    "additionalProperties": True},
                "CheckedRow": {
                    "type": "object", "required": ["row", "iri", "district", "subdistrict", "community", "results"],
                    "properties": {
                        "row": {"type": "integer", "description": "the row as the spreadsheet numbers it"},
                        "iri": {"type": "string"}, "district": {"type": "string"},
                        "subdistrict": {"type": "string"}, "community": {"type": "string"},
                        "name": {"type": "string"}, "post": {"type": "string"},
                        "results": {"type": "array", "items": {"type": "object", "required": [
                            "norm", "status", "status_zh", "required", "actual"], "properties": {
                                "norm": {"type": "string"},
                                "status": {"type": "string", "enum": _STATUSES},
                                "status_zh": {"type": "string"},
                                "required": {"type": "string"}, "actual": {"type": "string"}}}}}},
                "RegisterRefused": {
                    "type": "object", "required": ["ok", "error"],
                    "properties": {
                        "ok": {"type": "boolean", "enum": [False]},
                        "error": {"type": "object", "required": ["code", "status", "message", "errors"],
                                  "properties": {
                                      "code": {"type": "string", "enum": ["invalid_register"]},
                                      "status": {"type": "integer"}, "title": {"type": "string"},
                                      "message": {"type": "string"}, "message_zh": {"type": "string"},
                                      "truncated": {"type": "boolean",
                                                    "description": "only the first problems are listed"},
                                      "errors": {"type": "array", "items": {
                                          "type": "object", "required": ["file", "row", "column", "reason"],
                                          "properties": {
                                              "file": {"type": "string"},
                                              "row": {"type": "integer", "nullable": True,
                                                      "description": "header is row 1; null for the file"},
                                              "column": {"type": "string", "nullable": True},
                                              "reason": {"type": "string"}}}}}}}},
                "Graph": {"type": "object", "required": ["ok", "elements"],
                          "properties": {"ok": {"type": "boolean"},
                                         "elements": {"type": "object", "properties": {
                                             "nodes": {"type": "array", "items": {"type": "object"}},
                                             "edges": {"type": "array", "items": {"type": "object"}}}}}},
            },
        },
    }


__all__ = ["ENVELOPE_DOC", "openapi_document"]
