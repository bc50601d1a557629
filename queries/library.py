"""The library of named questions: ``queries/*.rq``, each with a small header.

A named question is a SPARQL SELECT query whose header (SPARQL comments starting
with ``#+``) says what it answers and which parameters it takes::

    #+ name: leaders_of
    #+ title_zh: 谁领导某一主体
    #+ title_en: Who leads an actor
    #+ description: Bodies that lead, guide or support the actor, by relation kind.
    #+ description_zh: 领导、指导或支持该主体的组织,按关系类别。
    #+ param: actor type=actor required example=居委会 help="the actor led" help_zh="被领导的主体"
    #+ param: relation type=relation example=leads
    #+ example: actor=居委会
    #+ example: actor=社区工作站 relation=leads
    #+ columns: leader leader_label relation relation_label clause article quote

The CLI (``policykg query``), the REST API (``/api/queries/<name>``), the web pages
and the tests all read these same files.

Parameters are *bound*, never pasted: each parameter is a SPARQL variable of the
same name that the query projects in its SELECT clause; its value is resolved to a
typed RDF term (an IRI for actors, clauses, topics ..., an ``xsd:integer`` for numbers,
a plain literal for text) and handed to the store as a pyoxigraph substitution
(SEP-0007). A parameter without a value and without a default is bound to the
sentinel IRI ``<urn:policykg:any>`` (see :data:`ANY`), which these queries read as "any".

Parameter types:
    actor     an actor (organization, post, person kind, agent) by IRI, label or short form
    entity    any labelled resource (task, practice, mechanism, actor) by IRI or label
    clause    a unit of the document: "19", "第19条", "4(3)", "art/4/item/3", "part/2", an IRI
    topic     a concept of pkg:TopicScheme: "funding", "topicFunding", "经费"
    modality  a deontic concept: "原则上", "必须", "StrictObligation"
    relation  an object property: "leads", "领导", "pkg:leadsAndGuides"
    iri       any absolute IRI
    text      a non-empty string (bound as a plain literal)
    words     a search string: bound as ``?name`` and, split into words, as ``?name_1`` ...
              ``?name_8`` (the query projects those it uses; missing words bind to ANY)
    integer   a whole number, optional ``min=`` / ``max=``
    boolean   true/false (also 1/0, yes/no, 是/否), bound as ``xsd:boolean``; e.g. ``asserted_only``,
              which drops the rows that rest on a reading of the interpretation graph (解读)
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Mapping

import pyoxigraph as ox

QUERIES_DIR = Path(__file__).resolve().parent
XSD = "http://www.w3.org/2001/XMLSchema#"

PARAM_TYPES = ("actor", "entity", "clause", "topic", "modality", "relation", "iri", "text", "words", "integer",
               "boolean")
# The words a boolean parameter accepts (bound as xsd:boolean).
BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "是": True, "false": False, "0": False, "no": False, "否": False}
# What an optional parameter without a value is bound to. pyoxigraph substitutes every
# occurrence of a bound variable by its value (so BOUND(?x) cannot tell "not given"), hence
# queries test ``?x = <urn:policykg:any> || ...``; run unbound on /sparql the same filter
# still means "any" (an error || true is true).
ANY = "urn:policykg:any"
MAX_WORDS = 8
# Request parameters that steer the API itself and so cannot name a query parameter.
RESERVED_PARAMS = frozenset({"page", "page_size", "format", "callback", "_"})
# Columns every answer row carries when the query has a clause: the citation.
CITATION_COLUMNS = ("clause", "article", "clause_label", "quote")
MAX_TEXT_LENGTH = 200
# How a row that rests on a reading (…/graph/interpretation) is labelled (column interpreted_label).
INTERPRETED_LABEL = "解读 / interpretation"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class LibraryError(Exception):
    """A .rq file is malformed (bad header, a parameter the query does not project ...)."""


class ParameterError(Exception):
    """A request's parameter is missing, unknown, malformed, unknown to the data or ambiguous.

    ``code`` is one of ``missing_parameter``, ``unknown_parameter``, ``invalid_parameter``,
    ``not_found``, ``ambiguous``; ``candidates`` lists what the value might have meant.
    """

    def __init__(self, code: str, message: str, parameter: str | None = None,
                 candidates: list[dict] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.parameter = parameter
        self.candidates = candidates or []

    def as_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.parameter is not None:
            out["parameter"] = self.parameter
        if self.candidates:
            out["candidates"] = self.candidates
        return out


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool = False
    default: str | None = None
    example: str | None = None
    help: str = ""
    help_zh: str = ""
    min: int | None = None
    max: int | None = None
    var: str = ""           # the SPARQL variable bound (default: the parameter's name)

    @property
    def variable(self) -> str:
        return self.var or self.name

    def as_dict(self) -> dict:
        out = {"name": self.name, "type": self.type, "required": self.required,
               "default": self.default, "example": self.example, "help": self.help, "help_zh": self.help_zh}
        if self.type == "integer":
            out["min"], out["max"] = self.min, self.max
        return out


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title_zh: str
    title_en: str
    description: str
    description_zh: str
    params: tuple[Param, ...]
    sparql: str
    path: Path
    examples: tuple[dict, ...] = ()
    columns: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    handler: str | None = None
    order: int = 100

    @property
    def concatenated(self) -> dict[str, str]:
        """The columns made by GROUP_CONCAT, with their separators: ``{column: separator}``."""
        return {m.group(2): m.group(1) for m in _CONCATENATION.finditer(self.sparql)}

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def metadata(self) -> dict:
        return {
            "name": self.name, "title_zh": self.title_zh, "title_en": self.title_en,
            "description": self.description, "description_zh": self.description_zh,
            "params": [p.as_dict() for p in self.params],
            "examples": list(self.examples), "columns": list(self.columns), "tags": list(self.tags),
        }


# A column made by GROUP_CONCAT: (separator, column). The GROUP_CONCAT may be the last argument of the
# expression that makes the column (clause_statements.rq: IF(…, SAMPLE(?unbound), GROUP_CONCAT(…)) AS ?x).
_CONCATENATION = re.compile(r'GROUP_CONCAT\s*\(\s*(?:DISTINCT\s+)?\?\w+\s*;\s*separator\s*=\s*"([^"]*)"\s*\)'
                            r'(?:\s*\))*\s+AS\s+\?(\w+)', re.I)


def sort_concatenations(rows: list[dict], concatenated: Mapping[str, str]) -> list[dict]:
    """Each GROUP_CONCAT value's parts in sorted order, and a concatenation of no parts left out. SPARQL
    leaves the parts' order open, and engines, or one engine over its in-memory and its on-disk store,
    give them in different orders: sorted, an answer is the same on every backend and at every start
    (the parts are sets of names). A group with no value to concatenate (a norm without a labelled
    bearer) is unbound in Oxigraph and ``""`` in Virtuoso 7.2.5, which refuses (SQ156) every form of
    norms.rq that would leave it unbound: ``""`` is left out as unbound, the same on every backend (no
    name the columns join is empty; docs/operations.md, Engine quirks)."""
    if not concatenated:
        return rows
    for row in rows:
        for column, separator in concatenated.items():
            value = row.get(column)
            if value == "":
                del row[column]
            elif isinstance(value, str) and separator and separator in value:
                row[column] = separator.join(sorted(value.split(separator)))
    return rows


# -- reading .rq files --------------------------------------------------------

_SELECT = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(.*?)\bWHERE\b", re.IGNORECASE | re.DOTALL)


def _projected(sparql: str) -> list[str]:
    """Variables named in the outermost SELECT clause (plain ?x and (expr AS ?x)), in order."""
    body = "\n".join(line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
                     for line in sparql.splitlines())
    match = _SELECT.search(body)
    if not match:
        raise LibraryError("not a SELECT query")
    names = []
    for expr in re.findall(r"\([^()]*(?:\([^()]*\)[^()]*)*\)|[?$][A-Za-z_][A-Za-z0-9_]*", match.group(1)):
        name = re.findall(r"[?$]([A-Za-z_][A-Za-z0-9_]*)", expr)[-1] if expr.startswith("(") else expr[1:]
        if name not in names:
            names.append(name)
    return names


def _parse_param(text: str, where: str) -> Param:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise LibraryError(f"{where}: bad param line {text!r}: {exc}") from None
    if not words:
        raise LibraryError(f"{where}: empty param line")
    name, attrs, flags = words[0], {}, set()
    for word in words[1:]:
        if "=" in word:
            key, value = word.split("=", 1)
            attrs[key] = value
        else:
            flags.add(word)
    unknown = (set(attrs) - {"type", "default", "example", "help", "help_zh", "min", "max", "var"}) | (flags - {"required"})
    if unknown:
        raise LibraryError(f"{where}: param {name}: unknown attribute(s) {sorted(unknown)}")
    if not _NAME.match(name) or name in RESERVED_PARAMS:
        raise LibraryError(f"{where}: bad or reserved parameter name {name!r}")
    ptype = attrs.get("type", "text")
    if ptype not in PARAM_TYPES:
        raise LibraryError(f"{where}: param {name}: unknown type {ptype!r}")
    return Param(name=name, type=ptype, required="required" in flags,
                 default=attrs.get("default") or None, example=attrs.get("example") or None,
                 help=attrs.get("help", ""), help_zh=attrs.get("help_zh", ""),
                 min=int(attrs["min"]) if "min" in attrs else None,
                 max=int(attrs["max"]) if "max" in attrs else None, var=attrs.get("var", ""))


def parse_rq(path: Path) -> NamedQuery:
    """Read one .rq file: its header and its query."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    header: dict[str, list[str]] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#+"):
            continue
        key, sep, value = stripped[2:].partition(":")
        if not sep:
            raise LibraryError(f"{path.name}: header line without ':': {stripped!r}")
        header.setdefault(key.strip(), []).append(value.strip())
    known = {"name", "title_zh", "title_en", "description", "description_zh", "param", "example", "columns",
             "tags", "handler", "order"}
    unknown = set(header) - known
    if unknown:
        raise LibraryError(f"{path.name}: unknown header key(s) {sorted(unknown)}")
    for key in ("name", "title_zh", "title_en", "description", "description_zh"):
        if not header.get(key):
            raise LibraryError(f"{path.name}: header needs '#+ {key}:'")
    name = header["name"][0]
    if name != path.stem or not _NAME.match(name):
        raise LibraryError(f"{path.name}: name {name!r} must match the file name and [a-z0-9_]")
    params = tuple(_parse_param(p, path.name) for p in header.get("param", []))
    if len({p.name for p in params}) != len(params):
        raise LibraryError(f"{path.name}: duplicate parameter")
    projected = _projected(text)
    for p in params:
        if p.variable not in projected:
            raise LibraryError(f"{path.name}: parameter ?{p.variable} must be projected by the SELECT clause "
                               "(pyoxigraph binds only projected variables)")
    word_vars = {f"{p.variable}_{i}" for p in params if p.type == "words" for i in range(1, MAX_WORDS + 1)}
    hidden = {p.variable for p in params} | word_vars
    examples = []
    for example in header.get("example", []):
        values = {}
        for word in shlex.split(example):
            key, _, value = word.partition("=")
            if key not in {p.name for p in params}:
                raise LibraryError(f"{path.name}: example names unknown parameter {key!r}")
            values[key] = value
        examples.append(values)
    columns = tuple(" ".join(header.get("columns", [])).split()) or tuple(
        c for c in projected if c not in hidden)
    return NamedQuery(
        name=name, title_zh=header["title_zh"][0], title_en=header["title_en"][0],
        description=" ".join(header["description"]), description_zh="".join(header["description_zh"]),
        params=params, sparql=text, path=path,
        examples=tuple(examples), columns=columns, tags=tuple(" ".join(header.get("tags", [])).split()),
        handler=(header.get("handler") or [None])[0], order=int((header.get("order") or ["100"])[0]),
    )


_CACHE: dict[Path, tuple[float, dict[str, NamedQuery]]] = {}


def load_library(folder: Path | None = None) -> dict[str, NamedQuery]:
    """Every named question in ``folder`` (default: this package), by name, in display order."""
    folder = Path(folder or QUERIES_DIR)
    paths = sorted(folder.glob("*.rq"))
    stamp = max((p.stat().st_mtime for p in paths), default=0.0) + len(paths)
    cached = _CACHE.get(folder)
    if cached and cached[0] == stamp:
        return cached[1]
    queries = [parse_rq(p) for p in paths]
    library = {q.name: q for q in sorted(queries, key=lambda q: (q.order, q.name))}
    _CACHE[folder] = (stamp, library)
    return library


def get_query(name: str, folder: Path | None = None) -> NamedQuery:
    library = load_library(folder)
    try:
        return library[name]
    except KeyError:
        close = [n for n in library if name and (name in n or n in name)]
        raise ParameterError("not_found", f"no named question {name!r}", "name",
                             [{"name": n, "title_zh": library[n].title_zh} for n in close or library]) from None


# -- binding ------------------------------------------------------------------

def integer_term(value: int) -> ox.Literal:
    return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))


def parse_boolean(name: str, value: str) -> bool:
    """A true/false parameter's value (also 1/0, yes/no, 是/否); ParameterError names it otherwise."""
    flag = BOOLEAN_WORDS.get(value.strip().lower())
    if flag is None:
        raise ParameterError("invalid_parameter", f"parameter {name!r} must be true or false "
                             f"(or 1/0, yes/no, 是/否), not {value!r}", name)
    return flag


def bind_params(query: NamedQuery, raw: Mapping[str, str], resolver) -> tuple[dict, dict]:
    """Check and resolve request values into RDF terms.

    Returns ``(bindings, resolved)``: ``bindings`` maps variable names to pyoxigraph
    terms for the store; ``resolved`` describes what each value was understood as
    (for the response, so a user sees that 居委会 meant pkg:ResidentsCommittee).
    ``resolver`` is a :class:`policykg.queries.resolve.Resolver` over the same store.
    """
    known = {p.name for p in query.params}
    for key in raw:
        if key not in known and key not in RESERVED_PARAMS:
            raise ParameterError("unknown_parameter",
                                 f"question {query.name!r} takes no parameter {key!r}; "
                                 f"it takes: {', '.join(sorted(known)) or 'none'}", key,
                                 [{"name": p.name, "type": p.type} for p in query.params])
    bindings: dict[str, ox.NamedNode | ox.Literal] = {}
    resolved: dict[str, dict] = {}
    projected = _projected(query.sparql)
    for p in query.params:
        value = raw.get(p.name)
        if value is not None and not isinstance(value, str):
            raise ParameterError("invalid_parameter", f"parameter {p.name!r} must be a string", p.name)
        if value is not None:
            value = value.strip()
        if not value:
            value = p.default
        if not value:
            if p.required:
                raise ParameterError("missing_parameter",
                                     f"question {query.name!r} needs parameter {p.name!r} ({p.type})"
                                     + (f", for example {p.name}={p.example}" if p.example else ""), p.name)
            # a yes/no not given is no (false), not "any": `?flag = true` is then false on every
            # engine (Virtuoso raises an error comparing an IRI with true, dropping the row)
            bindings[p.variable] = ox.Literal(False) if p.type == "boolean" else ox.NamedNode(ANY)
            for i in range(1, MAX_WORDS + 1):
                if p.type == "words" and f"{p.variable}_{i}" in projected:
                    bindings[f"{p.variable}_{i}"] = ox.NamedNode(ANY)
            continue
        term, info = bind_value(p, value, resolver)
        bindings[p.variable] = term
        resolved[p.name] = info
        if p.type == "words":
            clauses = getattr(resolver, "clauses", None)
            words = informative_words(split_words(value, limit=None), clauses.leaf_texts if clauses else [])
            info["words"] = words
            for i in range(1, MAX_WORDS + 1):
                if f"{p.variable}_{i}" in projected:
                    bindings[f"{p.variable}_{i}"] = ox.Literal(words[i - 1]) if i <= len(words) else ox.NamedNode(ANY)
    return bindings, resolved


def informative_words(words: list[str], texts: list[str]) -> list[str]:
    """``words`` (in their order, at most MAX_WORDS) without those no text contains (the two-
    character pieces that straddle two words: 费标 of 经费标准) and without those in more than
    half of ``texts`` (社区, 党员 … are in nearly every clause and would outvote the word that
    matters); the words some text contains when every one of them is that common."""
    if not texts:
        return words[:MAX_WORDS]
    counts = {word: sum(1 for text in texts if word in text) for word in words}
    present = [word for word in words if counts[word]]
    rare = [word for word in present if counts[word] * 2 <= len(texts)]
    return (rare or present or words)[:MAX_WORDS]


def split_words(text: str, limit: int | None = MAX_WORDS) -> list[str]:
    """Words of a search string: pieces between spaces and punctuation; longer Chinese pieces
    also give their overlapping two-character words (经费标准 → 经费, 费标, 标准)."""
    pieces = [p for p in re.split(r"[\s,，、。;；:：!！?？\"“”'‘’()（）《》]+", text) if p]
    words: list[str] = []
    for piece in pieces:
        if piece not in words:
            words.append(piece)
        if len(piece) > 2 and not piece.isascii():
            for i in range(len(piece) - 1):
                bigram = piece[i:i + 2]
                if bigram not in words:
                    words.append(bigram)
    if len(words) > 1 and words[0] == text.strip():
        words = words[1:]   # the whole string is matched as a substring already
    return words[:limit] if limit else words


def bind_value(param: Param, value: str, resolver) -> tuple[ox.NamedNode | ox.Literal, dict]:
    """One value as a typed RDF term (never as query text)."""
    if len(value) > MAX_TEXT_LENGTH:
        raise ParameterError("invalid_parameter",
                             f"parameter {param.name!r} is longer than {MAX_TEXT_LENGTH} characters", param.name)
    if "\x00" in value:
        raise ParameterError("invalid_parameter", f"parameter {param.name!r} contains a NUL character", param.name)
    if param.type in ("text", "words"):
        return ox.Literal(value), {"value": value}
    if param.type == "integer":
        try:
            number = int(value, 10)
        except ValueError:
            raise ParameterError("invalid_parameter",
                                 f"parameter {param.name!r} must be a whole number, not {value!r}", param.name) from None
        if param.min is not None and number < param.min or param.max is not None and number > param.max:
            raise ParameterError("invalid_parameter",
                                 f"parameter {param.name!r} must be between {param.min} and {param.max}", param.name)
        return integer_term(number), {"value": number}
    if param.type == "boolean":
        flag = parse_boolean(param.name, value)
        return ox.Literal("true" if flag else "false", datatype=ox.NamedNode(XSD + "boolean")), {"value": flag}
    if param.type == "iri":
        iri = resolver.expand_iri(value)
        if iri is None:
            raise ParameterError("invalid_parameter", f"parameter {param.name!r} must be an absolute IRI", param.name)
        return ox.NamedNode(iri), {"value": value, "iri": iri}
    match = resolver.resolve_one(value, kind=param.type, parameter=param.name)
    return ox.NamedNode(match["iri"]), {"value": value, **match}


# -- running ------------------------------------------------------------------

def python_value(term):
    """A JSON-friendly value for a pyoxigraph term: IRIs and strings as str, numbers as numbers."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype is not None else ""
        if dt in {XSD + "integer", XSD + "int", XSD + "long", XSD + "nonNegativeInteger",
                  XSD + "positiveInteger", XSD + "short"}:
            try:
                return int(term.value)
            except ValueError:
                return term.value
        if dt in {XSD + "decimal", XSD + "double", XSD + "float"}:
            try:
                number = Decimal(term.value)
            except InvalidOperation:
                return term.value
            return int(number) if number == number.to_integral_value() and dt == XSD + "decimal" else float(number)
        if dt == XSD + "boolean":
            return term.value in {"true", "1"}
        return term.value
    return str(term)


def run_query(query: NamedQuery, store, raw: Mapping[str, str], resolver, clauses=None) -> dict:
    """Run a named question; return ``{"columns", "rows", "params"}`` with citations filled in.

    ``clauses`` is a :class:`policykg.queries.resolve.ClauseIndex`; when given, every row
    with a ``clause`` gains ``article`` (the article number as the policy writes it) and
    ``clause_label`` (e.g. 第4条第(3)项), and ``quote`` falls back to the clause text.
    """
    bindings, resolved = bind_params(query, raw, resolver)
    if query.handler:
        from importlib import import_module

        module_name, _, func_name = query.handler.rpartition(".")
        handler = getattr(import_module(f"policykg.queries.{module_name}"), func_name)
        rows, columns = handler(query, store, bindings, resolved, resolver)
    else:
        solutions = store.select(query.sparql, bindings=bindings)
        columns = list(query.columns)
        rows = [{k: python_value(v) for k, v in s.items()} for s in solutions]
    rows = sort_concatenations(rows, query.concatenated)
    if clauses is not None:
        rows = [clauses.cite(row) for row in rows]
    columns = [c for c in columns if c not in CITATION_COLUMNS]
    if any("clause" in row for row in rows) or "clause" in query.columns:
        columns += [c for c in CITATION_COLUMNS]
    if "interpreted" in columns:
        # Rows resting on a reading of the interpretation graph say so in words, for every client.
        columns.insert(columns.index("interpreted") + 1, "interpreted_label")
        rows = [{**row, "interpreted_label": INTERPRETED_LABEL if row.get("interpreted") else None} for row in rows]
    rows = [{c: row.get(c) for c in columns} for row in rows]
    return {"columns": columns, "rows": rows, "params": resolved}


__all__ = [
    "ANY", "CITATION_COLUMNS", "INTERPRETED_LABEL", "LibraryError", "NamedQuery", "Param", "ParameterError", "RESERVED_PARAMS",
    "bind_params", "bind_value", "get_query", "integer_term", "load_library", "parse_rq",
    "python_value", "run_query", "sort_concatenations", "split_words",
]
