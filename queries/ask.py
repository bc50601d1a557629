"""A Chinese question router: short questions → a named question with resolved parameters.

    谁领导居民委员会?            → leaders_of(actor=居民委员会)
    居委会归谁领导                → leaders_of(actor=居委会)
    社区党组织书记有哪些职责?      → duties(actor=社区党组织书记)
    经费标准是多少?              → numeric_norms(topic=经费)
    第19条说了什么               → clause_text(clause=19)
    谁对社区党建负责              → responsible_persons()

The rules are data (:data:`RULES`): a regular expression over the normalized question whose
named groups become parameters, the named question to run, and fixed parameters. The first
rule whose pattern matches *and* whose parameters resolve wins; a rule whose parameter does
not resolve is skipped (the next may read the question better), and when nothing matches,
the question goes to full-text search. Parameter values are resolved exactly as in
/api/queries (labels and short forms from the graph), so the router has no alias table.
"""
from __future__ import annotations

import re
import unicodedata

from policykg.queries.library import ParameterError, bind_params, get_query, run_query

# Words that carry no meaning for routing, removed before matching.
_FILLER = re.compile(r"(请问|请|一下|告诉我|我想知道|想知道|麻烦|呢|吗|啊|呀|的话)")
_ACTOR = r"(?P<actor>[^,，。?？]{2,20}?)"
_TOPICS = "经费|资金|培训|会议|座谈会|面积|用房|待遇|工资|报酬|人员|人数|门槛|党员人数|选举|述职|服务|信息化|教育|考核|监督|协调"

# (rule id, pattern, named question, fixed parameters). Order matters: specific before general.
RULES: list[tuple[str, str, str, dict]] = [
    ("clause-text", r"^第?(?P<clause>[0-9一二三四五六七八九十]+)条(?:第?[(（]?(?P<item>[0-9一二三四五六]+)[)）]?项)?"
                    r"(?:说了什么|讲了什么|讲的是什么|是什么|的?内容|原文|写了什么|怎么说|规定了什么|说的什么)?$",
     "clause_text", {}),
    ("clause-statements", r"^第?(?P<clause>[0-9一二三四五六七八九十]+)条(?:规定了哪些|有哪些规定|涉及哪些主体|涉及谁|提到了?谁|的主体)",
     "clause_statements", {}),
    ("part-text", r"^第?(?P<clause>[一二三四五六七八]部分)(?:说了什么|讲了什么|内容|是什么)?$", "clause_text", {}),
    ("toc", r"(目录|结构|有几个部分|几部分|多少条|有哪些部分|章节)", "toc", {}),
    ("responsible", r"(谁|哪些人|什么人)(?:对|为)?(?P<task>[^,，?？]*?(?:党建|党组织建设|建设))?(?:工作)?负(?:总|主要|直接)?责"
                    r"|第一责任人|直接责任人|责任人是谁", "responsible_persons", {}),
    ("chain", r"^(?:从)?(?P<from>[^,，到至?？]{2,15})(?:到|至)(?P<to>[^,，?？]{2,15}?)的?(?:责任链|责任链条|责任传导|链条)",
     "responsibility_chain", {}),
    ("downstream", rf"^{_ACTOR}的?(?:责任)?(?:向下)?(?:传导|下游|管到|管辖)", "downstream", {}),
    ("leaders", rf"^(?:谁|哪个组织|哪些组织|什么组织|哪个部门|哪一级)(?:来)?(?:领导|指导|管理|负责领导|政治领导){_ACTOR}(?:的工作)?$",
     "leaders_of", {}),
    ("leaders-passive", rf"^{_ACTOR}(?:归|由|受)(?:谁|哪个组织|哪些组织|什么组织)(?:来)?(?:领导|指导|管|管理)", "leaders_of", {}),
    ("leaders-of", rf"^{_ACTOR}的(?:领导|上级|领导机构|领导者)(?:是谁|是什么|有哪些|是哪个)?$", "leaders_of", {}),
    ("led-by", rf"^{_ACTOR}(?:领导|指导|管理|负责领导)(?:哪些|谁|什么)", "led_by", {}),
    ("coordination", rf"^(?:{_ACTOR}(?:参加|参与)(?:了)?)?(?:哪些|什么)?协调机制|联席会议", "coordination_mechanisms", {}),
    ("cost-sharing", r"(经费|费用|资金)(?:如何|怎么|怎样)?(?:分担|承担|分摊)|分担比例|承担比例|谁承担", "cost_sharing", {}),
    ("deadlines", r"(期限|截止|什么时候|何时|时间要求|到\d{4}年|从\d{4}年)", "deadlines", {}),
    ("mentions", rf"^(?:哪些|什么)(?:条款|条|地方)(?:提到|提及|涉及|说到)(?:了)?{_ACTOR}$", "clauses_mentioning", {}),
    ("mentions-2", rf"^{_ACTOR}(?:在哪些条款|在哪里|在哪几条)(?:被)?(?:提到|出现|提及)", "clauses_mentioning", {}),
    ("numeric-bearer", rf"^{_ACTOR}的?(?P<topic>{_TOPICS})(?:标准|要求|规定)?(?:是多少|是什么|有多少|多少|几次|几天|怎么规定)",
     "numeric_norms", {}),
    ("numeric", rf"(?P<topic>{_TOPICS})(?:的)?(?:标准|要求|规定|下限|比例)?(?:是多少|是什么|有多少|多少|几次|几天|怎么规定|标准)",
     "numeric_norms", {}),
    ("numbers", r"(数值标准|数字标准|量化|指标)", "numeric_norms", {}),
    ("modality", r"(?P<modality>原则上|必须|可以|提倡|鼓励|不得)", "norms", {}),
    ("duties", rf"^{_ACTOR}(?:有|的|要|应该|应当|需要|必须)?(?:哪些|什么)?(?:主要)?(?:职责|任务|义务|责任|要求|工作)",
     "duties", {}),
    ("duties-2", rf"^{_ACTOR}(?:要|应该|应当|需要|必须)(?:做|干)(?:哪些|什么)", "duties", {}),
    ("relations", rf"^{_ACTOR}(?:和|与|同)(?P<other>[^,，?？]{{2,15}}?)(?:是)?什么关系", "relations", {}),
]


def normalize_question(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"\s+", "", text)
    text = _FILLER.sub("", text)
    return text.strip("?？!！。.")


def route(question: str, store, resolver) -> tuple[str, dict, str] | None:
    """(named question, raw parameters, rule id) for a question, or None."""
    text = normalize_question(question)
    for rule_id, pattern, name, fixed in RULES:
        m = re.search(pattern, text)
        if not m:
            continue
        query = get_query(name)
        groups = {k: v for k, v in m.groupdict().items() if v}
        params = dict(fixed)
        if "item" in groups:
            groups["clause"] = f"{groups.pop('clause')}({groups.pop('item')})"
        if name == "relations" and "other" in groups:
            groups.pop("other")
        for key, value in groups.items():
            if key in {p.name for p in query.params}:
                params[key] = value
        try:
            bind_params(query, params, resolver)
        except ParameterError:
            continue   # this reading does not resolve; a later rule may read the question better
        return name, params, rule_id
    return None


def answer(question: str, store, resolver) -> dict:
    """Route a question and run it; fall back to full-text search."""
    routed = route(question, store, resolver)
    if routed is None:
        name, params, rule = "search", {"q": normalize_question(question) or question.strip()}, "search"
    else:
        name, params, rule = routed
    query = get_query(name)
    result = run_query(query, store, params, resolver, resolver.clauses)
    return {"query": name, "title_zh": query.title_zh, "params": result["params"], "rule": rule,
            "rows": result["rows"], "columns": result["columns"]}


__all__ = ["RULES", "answer", "normalize_question", "route"]
