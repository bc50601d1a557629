"""The named questions of queries/*.rq as forms (/questions, /questions/<name>), and how an
answer's cells are shown."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, request, url_for
from markupsafe import Markup

from policykg.api.pages.blueprint import bp, page
from policykg.api.pages.data import library, resolver, run_named
from policykg.api.pages.i18n import lang, t
from policykg.api.pages.labels import cite_text, iri_url, label
from policykg.api.state import get_state
from policykg.queries.answering import ask as ask_question
from policykg.queries.ask import noted_actor, nothing_found_note
from policykg.queries.library import ParameterError


@bp.route("/questions")
def questions():
    return page("questions.html", active="pages.questions", library=list(library().values()))


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
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        if column == "clause":
            return Markup('<span class="cite"><a href="{}">{}</a></span>').format(iri_url(value), cite_text(value))
        return Markup('<a href="{}">{}</a>').format(iri_url(value), label(value))
    return value


# Chinese names of the parameters and columns the named questions use (English: the name itself).
FIELD_NAMES_ZH = {
    "actor": "主体", "about": "涉及主体", "bearer": "责任主体", "clause": "条款", "from": "起点", "to": "终点",
    "kind": "类型", "max_length": "最多步数", "modality": "情态", "payer": "承担方", "q": "检索词",
    "relation": "关系", "task": "任务", "topic": "主题", "leader": "领导方", "led": "被领导方",
    "mechanism": "机制", "member": "成员", "norm": "规范", "object": "对象", "subject": "主体", "predicate": "关系",
    "person": "责任人", "reports_to": "向谁述职", "role": "角色", "source": "起点", "target": "终点", "via": "经由",
    "node": "主体", "cost": "费用", "share": "比例", "deadline": "期限", "duration": "期间", "value": "数值",
    "value_text": "原文数值", "comparator": "比较", "modal_marker": "情态词", "quote": "原文", "passage": "段落",
    "statement": "陈述", "statement_kind": "陈述类型", "heading": "标题", "number": "编号", "text": "文本",
    "score": "得分", "depth": "层级", "distance": "步数", "path": "路径", "chain": "链", "step": "步",
    "length": "长度", "topics": "主题", "action": "行为", "unit": "条款", "unit_kind": "类型", "words": "词",
    "sequence": "顺序", "start": "起", "end": "止", "exact": "原文", "parent": "上级", "period": "周期",
    "basis": "基数", "unit_label": "单位", "bearers": "责任主体", "name": "名称", "names": "名称",
    "other": "另一主体", "acted_on": "客体", "interpreted": "解读", "asserted_only": "只看原文所述",
}


def field_name(name: str) -> str:
    if name.endswith("_label") and name not in FIELD_NAMES_ZH:
        name = name[: -len("_label")]
    return FIELD_NAMES_ZH.get(name, name) if lang() == "zh" else name.replace("_", " ")


def display_columns(columns: list[str], params: set[str]) -> list[str]:
    """The answer columns worth showing: an IRI column stands for its ``_label`` twin, the
    citation is one column (clause), parameters echoed in every row are left out."""
    shown = []
    for c in columns:
        if c in params or c in ("article", "clause_label"):
            continue
        if c.endswith("_label") and c[: -len("_label")] in columns:
            continue
        shown.append(c)
    return shown


def answer_cell(row: dict, column: str):
    value = row.get(column)
    twin = row.get(column + "_label")
    if isinstance(value, str) and value.startswith(("http://", "https://")) and column != "clause" and twin:
        return Markup('<a href="{}">{}</a>').format(iri_url(value), label(value) if lang() == "en" else twin)
    if column == "clause" and isinstance(value, str) and value.startswith("http"):
        return Markup('<span class="cite"><a href="{}" title="{}">{}</a></span>').format(
            iri_url(value), row.get("quote") or "", cite_text(value))
    return cell(column, value)


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
    shown = display_columns(result["columns"], {p.name for p in query.params}) if result else []
    nothing_found = None
    if result is not None and not result["rows"]:
        # Who leads X, where the text says no one: say so, and point to what it does say of X.
        nothing_found = nothing_found_note(name, result["params"], follow=False)
        if nothing_found is not None:
            nothing_found["url"] = url_for("pages.question", name="relations",
                                           actor=noted_actor(result["params"])["value"])
    # Reached from the search box: the question as asked, answered as /api/ask answers it.
    asked_text = request.args.get("ask", "").strip()[:200]
    asked = ask_question(asked_text, get_state().store, resolver()) if asked_text and result is not None else None
    return page("question.html", active="pages.questions", query=query, params=params, result=result,
                nothing_found=nothing_found, asked=asked,
                error=error, cell=answer_cell, submitted=submitted, shown=shown, field_name=field_name,
                api_url=f"/api/queries/{name}?" + urlencode(params) if params else f"/api/queries/{name}")
