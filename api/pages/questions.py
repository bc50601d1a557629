"""The named questions of queries/*.rq as forms (/questions, /questions/<name>), and how an
answer's cells are shown."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, request, url_for
from markupsafe import Markup

from policykg.api.pages.blueprint import bp, page
from policykg.api.pages.data import library, resolver, run_named
from policykg.api.pages.explain import explain_empty
from policykg.api.pages.export import table_file
from policykg.api.pages.i18n import lang, t
from policykg.api.pages.labels import cite_text, iri_url, label
from policykg.api.pages.rows import INHERITED, display_columns, inheritance_counts, merge_inherited
from policykg.api.state import get_state
from policykg.api.words import COMPARATORS, PARAM_TYPES, ROLES, UNIT_KINDS, VALUES, field_word, word
from policykg.ontology.namespaces import PKG_URI
from policykg.queries.answering import ask as ask_question
from policykg.queries.ask import noted_actor, nothing_found_note
from policykg.queries.library import ParameterError


@bp.route("/questions")
def questions():
    queries = list(library().values())
    return page("questions.html", active="pages.questions", library=queries, example_value=example_value,
                params_by_query={q.name: {p.name: p for p in q.params} for q in queries})


def cell(column: str, value):
    """How one answer cell is shown: IRIs as labelled links, clauses as citations."""
    if value is None or value == "":
        return ""
    if column == "interpreted":
        # A row that rests on a reading (…/graph/interpretation), not on the words alone.
        if not value:
            return ""
        return Markup('<span class="reading" title="{}">{}</span>').format(
            t("此行依据对原文的解读,而非原文字面", "this row rests on a reading of the text, not on its words alone"),
            t("解读", "interpretation"))
    if column == "for_remainder":
        # A norm the text sets for "the other ..." of the kind asked about (其他社区工作者 under 社区工作者).
        return t("仅适用于其中“其他”部分", "for the others only") if value else ""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        if column == "clause":
            return Markup('<span class="cite"><a href="{}">{}</a></span>').format(iri_url(value), cite_text(value))
        return Markup('<a href="{}">{}</a>').format(iri_url(value), label(value))
    return value


def field_name(name: str) -> str:
    """A column's or parameter's heading in the reader's language (the one table, api/words.py)."""
    return field_word(name, lang())


def param_hint_type(kind: str) -> str:
    return word(PARAM_TYPES, kind, lang())


def example_value(param, value: str) -> str:
    """An example value as a reader sees it: a relation or modality by its label, not its name."""
    if param is not None and param.type in ("relation", "modality", "topic") and value.isascii() and value.isalpha():
        return label(PKG_URI + value)
    if param is not None and param.name == "kind" and value in UNIT_KINDS:
        return word(UNIT_KINDS, value, lang())
    return value


def inherited_cell(row: dict):
    """本主体, or 继承自 <the broader kind the text speaks of> (and the other kinds it also reaches
    the actor through)."""
    origin = row.get(INHERITED)
    if origin is None:
        text = Markup('<span class="own">{}</span>').format(word(VALUES, "own", lang()))
    else:
        text = Markup('<span class="inherited">{} <a href="{}">{}</a></span>').format(
            word(VALUES, "inherited_from", lang()), iri_url(origin), label(origin))
    also = row.get("also_via") or []
    if also:
        text += Markup(' <span class="muted">({} {})</span>').format(
            t("也经由", "also through"), Markup("、").join(
                Markup('<a href="{}">{}</a>').format(iri_url(a), label(a)) for a in also))
    return text


def answer_cell(row: dict, column: str):
    if column == INHERITED:
        return inherited_cell(row)
    value = row.get(column)
    twin = row.get(column + "_label")
    if isinstance(value, str) and value.startswith(("http://", "https://")) and column != "clause" and twin:
        return Markup('<a href="{}">{}</a>').format(iri_url(value), label(value) if lang() == "en" else twin)
    if column == "comparator" and value in COMPARATORS:
        return word(COMPARATORS, value, lang())
    if column == "role" and value in ROLES:
        return word(ROLES, value, lang())
    if column == "clause" and isinstance(value, str) and value.startswith("http"):
        return Markup('<span class="cite"><a href="{}" title="{}">{}</a></span>').format(
            iri_url(value), row.get("quote") or "", cite_text(value))
    return cell(column, value)


def answer_table(query, result) -> tuple[list[str], list[dict], dict | None]:
    """(columns, rows, inheritance counts) of an answer as the page and its files show it."""
    if not result:
        return [], [], None
    shown = display_columns(result["columns"], {p.name for p in query.params})
    rows, shown = merge_inherited(result["rows"], shown, result["params"])
    return shown, rows, inheritance_counts(rows) if INHERITED in shown else None


def cell_text(row: dict, column: str) -> str:
    """One answer cell as plain text for a file: labels for IRIs, citations as the text numbers
    them, comparators and roles as words."""
    value = row.get(column)
    if column == INHERITED:
        origin = row.get(INHERITED)
        return word(VALUES, "own", lang()) if origin is None else f"{word(VALUES, 'inherited_from', lang())} {label(origin)}"
    if column == "interpreted":
        return t("解读", "interpretation") if value else ""
    if column == "comparator" and value in COMPARATORS:
        return word(COMPARATORS, value, lang())
    if column == "role" and value in ROLES:
        return word(ROLES, value, lang())
    if column == "clause" and isinstance(value, str) and value.startswith("http"):
        return cite_text(value)
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        twin = row.get(column + "_label")
        return label(value) if lang() == "en" or not twin else twin
    if isinstance(value, bool):
        return word(VALUES, "true" if value else "false", lang())
    return "" if value is None else value


@bp.route("/questions/<name>.<any(csv, xlsx):fmt>")
def question_file(name: str, fmt: str):
    """An answer as CSV or Excel: the page's columns under the page's headings, then the clause's IRI."""
    lib = library()
    if name not in lib:
        abort(404)
    query = lib[name]
    params = {p.name: request.args[p.name] for p in query.params if request.args.get(p.name, "").strip()}
    try:
        result = run_named(name, params)
    except ParameterError as exc:
        abort(400, exc.message)
    shown, rows, _counts = answer_table(query, result)
    headings = [field_name(c) for c in shown] + ([field_name("clause_iri")] if "clause" in shown else [])
    cells = [[cell_text(row, c) for c in shown] + ([row.get("clause") or ""] if "clause" in shown else [])
             for row in rows]
    title = query.title_en if lang() == "en" else query.title_zh
    return table_file(fmt, title, headings, cells, f"policykg-{name}")


@bp.route("/questions/<name>")
def question(name: str):
    lib = library()
    if name not in lib:
        abort(404)
    query = lib[name]
    params = {p.name: request.args[p.name] for p in query.params if request.args.get(p.name, "").strip()}
    submitted = bool(params) or request.args.get("run") == "1"
    result, error = None, None
    if submitted:
        try:
            result = run_named(name, params)
        except ParameterError as exc:
            error = exc
    shown, rows, counts = answer_table(query, result)
    nothing_found = None
    if result is not None and not result["rows"]:
        # Who leads X, where the text says no one: say so, and point to what it does say of X.
        nothing_found = nothing_found_note(name, result["params"], follow=False)
        if nothing_found is not None:
            nothing_found["url"] = url_for("pages.question", name="relations",
                                           actor=noted_actor(result["params"])["value"])
    explained = explain_empty(result["params"]) if result is not None and not result["rows"] else None
    # Reached from the search box: the question as asked, answered as /api/ask answers it.
    asked_text = request.args.get("ask", "").strip()[:200]
    asked = ask_question(asked_text, get_state().store, resolver()) if asked_text and result is not None else None
    return page("question.html", active="pages.questions", query=query, params=params, result=result,
                nothing_found=nothing_found, asked=asked, explained=explained, rows=rows, counts=counts,
                param_hint_type=param_hint_type,
                example_value=example_value, params_by_name={p.name: p for p in query.params},
                error=error, cell=answer_cell, submitted=submitted, shown=shown, field_name=field_name,
                api_url=f"/api/queries/{name}?" + urlencode(params) if params else f"/api/queries/{name}",
                csv_url=url_for("pages.question_file", name=name, fmt="csv", **params) if rows else None,
                xlsx_url=url_for("pages.question_file", name=name, fmt="xlsx", **params) if rows else None)
