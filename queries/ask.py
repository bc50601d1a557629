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

import functools
import re
import unicodedata

from policykg.queries.library import ParameterError, bind_params, get_query, run_query

# Words that carry no meaning for routing, removed before matching.
_FILLER = re.compile(r"(请问|请|一下|告诉我|我想知道|想知道|麻烦|呢|吗|啊|呀|的话)")
_ACTOR = r"(?P<actor>[^,，。?？]{2,20}?)"
_TOPICS = "经费|资金|培训|会议|座谈会|面积|用房|待遇|工资|报酬|人员|人数|门槛|党员人数|选举|述职|服务|信息化|教育|考核|监督|协调"
# 每人每年, 每名党员…: the basis a number is counted on, between a topic and the question word.
_PER = r"(?:(?:每|人均)(?:人|名党员|个党员|名|户|年|人·年))*"
# X和Y是什么关系: two actors (read by two rules, with Y and without it).
_PAIR = rf"^{_ACTOR}(?:和|与|同|对)(?P<other>[^,，?？]{{2,15}}?)(?:之间)?(?:是|有)?(?:什么|哪些|何种)关系"

# Each rule: id, a pattern over the normalized question, the named question it asks, fixed
# parameters, renames (pattern group -> parameter) and parameters to drop.
# Order matters: specific before general.
RULES: list[dict] = [
    {"id": "clause-text", "query": "clause_text",
     "pattern": r"^第?(?P<clause>[0-9一二三四五六七八九十]+)条(?:第?[(（]?(?P<item>[0-9一二三四五六]+)[)）]?项)?"
                r"(?:说了什么|讲了什么|讲的是什么|是什么|的?内容|原文|写了什么|怎么说|规定了什么|说的什么)?$"},
    {"id": "clause-statements", "query": "clause_statements",
     "pattern": r"^第?(?P<clause>[0-9一二三四五六七八九十]+)条(?:规定了哪些|有哪些规定|涉及哪些主体|涉及谁|提到了?谁|的主体)"},
    {"id": "part-text", "query": "clause_text",
     "pattern": r"^(?P<clause>第?[0-9一二三四五六七八九十]+部分)(?:的)?(?:说了什么|讲了什么|讲什么|说什么|内容|是什么|标题|"
                r"是关于什么的?|讲的是什么|讲的什么|说的什么|写的什么|写了什么|主要内容)?$"},
    # The units named by their kind: the preamble, the closing, the signature, the keywords, the imprint.
    {"id": "preamble", "query": "clause_text", "params": {"clause": "序言"},
     "pattern": r"^(?:序言|前言|开头|开篇|引言|导语)(?:一段|部分|段)?(?:的)?(?:说了什么|讲了什么|讲的什么|内容|是什么|写了什么)?$"},
    {"id": "closing", "query": "clause_text", "params": {"clause": "结语"},
     "pattern": r"^(?:结语|结尾|结束语|最后一段|末尾)(?:一段|部分|段)?(?:的)?(?:说了什么|讲了什么|讲的什么|内容|是什么|写了什么)?$"},
    # The web page the text was captured from (its header is not part of the policy).
    {"id": "web-publication", "query": "web_publication",
     "pattern": r"网站|网上|网页|转载|发布时间|栏目|来源网|(?:哪天|什么时候|何时)(?:在网上)?发布"},
    # About the document itself (not a clause): its title, issuing bodies, dates, keywords.
    {"id": "document", "query": "document",
     "pattern": r"^(?!.*第?[0-9一二三四五六七八九十]+(?:条|部分|项))"
                r"(?:.*(?:本文件|本意见|这份文件|这个文件|该文件|文件|意见)的?(?:标题|题目|名称|全称|文种)"
                r"|.*(?:发文机关|发文单位|落款|印发机关|印发日期|成文日期|主题词)"
                r"|.*(?:谁|哪个部门|哪个单位|哪个机关)(?:印发|发布|下发|制定|发)的?"
                r"|.*(?:什么时候|何时|哪一?年|哪天)(?:印发|发布|出台|下发|成文|发文|发的|发出))"},
    {"id": "toc", "query": "toc", "pattern": r"(目录|^(?:文件|意见|正文|全文)?的?结构|几个?部分|有哪些部分|章节"
                                            r"|^(?:这份|本|该|这个)?(?:文件|意见|正文|全文)?(?:一共|总共|共)?(?:有)?(?:多少|几)条"
                                            r"(?:编号条目|条目|内容)?$)"},
    # X由谁负责: X's relations when X is an actor, the persons responsible when it is a task.
    # (X由谁领导/管理 is a leadership question, read below.)
    {"id": "managed-by", "query": "relations",
     "pattern": rf"^{_ACTOR}(?:分别)?(?:由|归)?谁(?:来)?负责"},
    {"id": "responsible-task", "query": "responsible_persons",
     "pattern": r"^(?P<task>[^,，。?？]{2,20}?)(?:分别)?(?:由|归)?谁(?:来)?负(?:总|主要|直接)?责"},
    # What X is: its definition (什么是X, X是什么性质的组织, X是干什么的).
    {"id": "definition", "query": "definition",
     "pattern": r"^(?:什么是|何谓)(?P<entity>[^,，?？]{2,20}?)$"
                r"|^(?P<entity_2>[^,，?？]{2,20}?)(?:是|属于)(?:什么|哪种|哪类|何种)(?:性质|样|类型|种类)?的?(?:组织|机构|单位)"
                r"|^(?P<entity_3>[^,，?？]{2,20}?)是(?:干什么|做什么|干嘛)的"},
    # X对Y负什么责任: the persons responsible for task Y (the composer keeps X's line)
    {"id": "responsible-for-task", "query": "responsible_persons",
     "pattern": r"^[^,，?？]{2,15}?对(?P<task>[^,，?？]{2,20}?)负(?:有)?(?:什么|哪种|何种|哪些|怎样的)(?:样的)?责任"},
    {"id": "responsible", "query": "responsible_persons",
     "pattern": r"^(?:谁|哪些人|什么人|哪个)(?:对|为)?[^,，?？]*?负(?:总|主要|直接)?责|第一责任人|直接责任人|责任人是谁|(?:什么|哪种|哪一种)责任人"},
    {"id": "chain", "query": "responsibility_chain",
     "pattern": r"^(?:从)?(?P<from>[^,，到至?？]{2,15})(?:到|至)(?P<to>[^,，?？]{2,15}?)的?(?:责任链|责任链条|责任传导|链条)"},
    {"id": "downstream", "query": "downstream",
     "pattern": rf"^{_ACTOR}的?(?:责任链条?|(?:责任)?(?:向下)?(?:传导|下游|管到|管辖))"},
    {"id": "leaders", "query": "leaders_of",
     "pattern": rf"^(?:谁|哪个组织|哪些组织|什么组织|哪个部门|哪一级)(?:来)?(?:领导|指导|管理|监督|负责领导|政治领导){_ACTOR}(?:的工作)?$"},
    {"id": "leaders-passive", "query": "leaders_of",
     "pattern": rf"^{_ACTOR}(?:归|由|受)(?:谁|哪个组织|哪些组织|什么组织)(?:来)?(?:领导|指导|管|管理|监督)"},
    {"id": "leaders-of", "query": "leaders_of",
     "pattern": rf"^{_ACTOR}的(?:领导|上级|领导机构|领导者)(?:是谁|是什么|有哪些|是哪个)?$"},
    {"id": "led-by", "query": "led_by", "pattern": rf"^{_ACTOR}(?:领导|指导|管理|负责领导)(?:哪些|谁|什么)"},
    {"id": "coordination-member", "query": "coordination_mechanisms",
     "pattern": rf"^{_ACTOR}(?:参加|参与)(?:了)?(?:哪些|什么)?(?:协调机制|联席会议)"},
    {"id": "coordination", "query": "coordination_mechanisms", "pattern": r"协调机制|联席会议"},
    # X由哪一级党组织设置: who sets X up.
    {"id": "set-up-by", "query": "relations", "params": {"relation": "设立"}, "rename": {"actor": "acted_on"},
     "pattern": rf"^{_ACTOR}(?:由|归)(?:谁|哪个|哪一?级|哪一?层级|哪些|什么)[^,，?？]{{0,8}}?(?:设置|设立|成立|组建|建立)"},
    # 谁是…的领导核心: the leadership-core relation, whatever the sentence names as led.
    {"id": "leadership-core", "query": "relations", "params": {"relation": "领导核心"},
     "pattern": r"领导核心"},
    {"id": "cost-sharing", "query": "cost_sharing",
     "pattern": r"(经费|费用|资金)(?:如何|怎么|怎样)?(?:分担|承担|分摊)|分担比例|承担比例|谁承担"},
    {"id": "deadlines", "query": "deadlines",
     "pattern": r"(期限|截止|什么时候|何时|到\d{4}年|从\d{4}年|自\d{4}年|\d{4}年(?:前|以前|之前|底|末|内))"},
    {"id": "mentions", "query": "clauses_mentioning",
     "pattern": rf"^(?:哪些|什么)(?:条款|条|地方)(?:提到|提及|涉及|说到)(?:了)?{_ACTOR}$"},
    {"id": "mentions-2", "query": "clauses_mentioning",
     "pattern": rf"^{_ACTOR}(?:在哪些条款|在哪里|在哪几条)(?:被)?(?:提到|出现|提及)"},
    {"id": "numeric-actor", "query": "numeric_norms", "rename": {"actor": "about"},
     "pattern": rf"^{_ACTOR}的?(?P<topic>{_TOPICS})(?:的)?(?:标准|要求|规定|下限)?(?:是多少|是什么|有多少|多少|几次|几天|多大|多长|怎么规定)?$"},
    {"id": "numeric", "query": "numeric_norms",
     "pattern": rf"(?P<topic>{_TOPICS})(?:的)?(?:标准|要求|规定|下限|比例)?{_PER}"
                rf"(?:是|有|按|按照|不少于|不低于|至少|最少)?(?:什么|何种)?"
                rf"(?:多少|几次|几天|多大|多长|怎么规定|标准|是什么)"},
    {"id": "meetings", "query": "numeric_norms", "params": {"topic": "会议"},
     "pattern": r"(?:开|召开|举行)(?:几|多少)次(?:会|会议|座谈会)?"},
    # How many members (or households) it takes to set up a body: the size thresholds.
    {"id": "threshold", "query": "numeric_norms", "params": {"topic": "门槛"},
     "pattern": r"(?:多少|几)(?:名|个)?(?:正式)?党员|(?:多少|几)(?:个)?(?:人|户).{0,6}(?:成立|设立|建立|组建|设置|设)"
                r"|(?:超过|满|达到|不足|少于|不到)\d+(?:名|个)?(?:正式)?(?:党员|人|户)|党员人数|户数"},
    {"id": "numbers", "query": "numeric_norms", "pattern": r"(数值标准|数字标准|量化|指标)"},
    {"id": "modality", "query": "norms", "pattern": r"(?P<modality>原则上|必须|提倡|鼓励|不得)"},
    {"id": "duties-topic", "query": "duties",
     "pattern": rf"^{_ACTOR}(?:要|应该|应当|需要|必须)?(?:参加|接受|开展|做|有|负责)?(?:哪些|什么)(?:方面的)?(?P<topic>{_TOPICS})"},
    # (?!者|站…): 社区工作者 and 工作站 are names, not the word 工作 (work) after 社区.
    {"id": "duties", "query": "duties",
     "pattern": rf"^{_ACTOR}(?:有|的|要|应该|应当|需要|必须)?(?:哪些|什么)?(?:主要)?(?:职责|任务|义务|责任|要求|工作(?!者|站|经费|人员))"},
    {"id": "duties-2", "query": "duties", "pattern": rf"^{_ACTOR}(?:要|应该|应当|需要|必须)(?:做|干)(?:哪些|什么)"},
    {"id": "duties-3", "query": "duties", "pattern": rf"^{_ACTOR}(?:负责|管)(?:哪些|什么)"},
    {"id": "relations-pair", "query": "relations", "pattern": _PAIR},
    # The other name is not an actor the text knows: the first one's relations.
    {"id": "relations-one", "query": "relations", "pattern": _PAIR, "drop": ["other"]},
    # Any other question that opens with a clause (第4条的标题是什么, 第4条规定的六项职责): its text.
    {"id": "clause-other", "query": "clause_text",
     "pattern": r"^第?(?P<clause>[0-9一二三四五六七八九十]+)条(?:第?[(（]?(?P<item>[0-9一二三四五六]+)[)）]?项)?"},
    # A bare phrase that ends in a quantity (党组织用房, 社区工作经费, 社区工作者待遇标准): its numbers.
    {"id": "numeric-bare", "query": "numeric_norms",
     "pattern": r"^(?!.*(?:谁|什么|哪|怎|如何|为何|是否))[^,，。?？]{0,14}?(?P<topic>经费|资金|面积|用房|待遇|工资|报酬)"
                r"(?:的)?(?:标准|要求|规定)?$"},
    # A bare name (居委会, 社区书记): everything the policy relates it to.
    {"id": "actor", "query": "relations", "pattern": r"^(?P<actor>[^,，。?？]{2,20})$"},
]


# Questions routed here that find no rows are answered by full-text search instead.
FALL_BACK_TO_SEARCH = {"numeric_norms", "duties", "norms", "deadlines"}

# Who leads an actor, or whom it leads, or acts on it, or how two actors relate, where the text
# says nothing of it: every relation the text does set for that actor answers better than
# nothing, with a note that says so. Keys: a named question, or "relations" asked with one of
# its narrowing parameters.
NOTHING_FOUND = {
    "leaders_of": ("原文没有规定谁领导、指导或支持{zh}。", "The text names no one who leads, guides or supports the {en}."),
    "led_by": ("原文没有规定{zh}领导、指导或支持哪些主体。", "The text names no one the {en} leads, guides or supports."),
    "relations/other": ("原文没有直接规定{zh}与{other_zh}之间的关系。",
                        "The text sets no relation between the {en} and the {other_en}."),
    "relations/acted_on": ("原文没有规定谁{relation_zh}{zh}。", "The text names no one who {relation_en} the {en}."),
}
_RELATIONS_FOLLOW = ("下面是原文为{zh}规定的全部关系。", "Below is every relation it sets for the {en}.")


def _note_key(name: str, params: dict) -> str | None:
    if name != "relations":
        return name if name in NOTHING_FOUND else None
    if "other" in params and "actor" in params:
        return "relations/other"
    if "acted_on" in params and "relation" in params:
        return "relations/acted_on"
    return None


def noted_actor(params: dict) -> dict | None:
    """The resolved actor a nothing-found note is about (whose relations come instead)."""
    return params.get("actor") or params.get("acted_on")


def nothing_found_note(name: str, params: dict, follow: bool = True) -> dict | None:
    """{"zh", "en"}: why named question ``name`` found nothing for the resolved ``params``
    (and, with ``follow``, that the relations of :func:`noted_actor` come instead); None for
    a question that has no such note."""
    key = _note_key(name, params)
    actor = noted_actor(params)
    if key is None or not actor:
        return None
    parts = [NOTHING_FOUND[key]] + ([_RELATIONS_FOLLOW] if follow else [])
    other, relation = params.get("other") or {}, params.get("relation") or {}

    def zh(term):
        return term.get("label_zh") or term.get("value", "")

    labels = {"zh": zh(actor), "en": actor.get("label_en") or "", "other_zh": zh(other),
              "other_en": other.get("label_en") or "", "relation_zh": zh(relation),
              "relation_en": relation.get("label_en") or ""}
    return {"zh": "".join(z.format(**labels) for z, _ in parts),
            "en": " ".join(e.format(**labels) for _, e in parts)}


def normalize_question(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"\s+", "", text)
    text = _FILLER.sub("", text)
    return text.strip("?？!！。.")


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def route(question: str, store, resolver) -> tuple[str, dict, str] | None:
    """(named question, raw parameters, rule id) for a question, or None."""
    text = normalize_question(question)
    for rule in RULES:
        m = _compiled(rule["pattern"]).search(text)
        if not m:
            continue
        name = rule["query"]
        query = get_query(name)
        groups = {re.sub(r"_\d+$", "", k): v for k, v in m.groupdict().items() if v and k not in rule.get("drop", ())}
        if "item" in groups:
            groups["clause"] = f"{groups.pop('clause')}({groups.pop('item')})"
        params = dict(rule.get("params", {}))
        for key, value in groups.items():
            key = rule.get("rename", {}).get(key, key)
            if key in {p.name for p in query.params}:
                params[key] = value
        try:
            bind_params(query, params, resolver)
        except ParameterError:
            continue   # this reading does not resolve; a later rule may read the question better
        return name, params, rule["id"]
    return None


def answer(question: str, store, resolver, asserted_only: bool = False) -> dict:
    """Route a question and run it; fall back to full-text search. With ``asserted_only`` the
    named question that answers leaves out rows that rest on a reading (解读), where it can."""
    routed = route(question, store, resolver)
    if routed is None:
        name, params, rule = "search", {"q": normalize_question(question) or question.strip()}, "search"
    else:
        name, params, rule = routed

    def run(name: str, params: dict) -> tuple:
        query = get_query(name)
        if asserted_only and "asserted_only" in {p.name for p in query.params}:
            params = {**params, "asserted_only": "true"}
        return query, run_query(query, store, params, resolver, resolver.clauses)

    query, result = run(name, params)
    note = nothing_found_note(name, result["params"]) if not result["rows"] else None
    if note is not None:
        actor = noted_actor(result["params"])
        name, rule = "relations", f"{rule}>relations"
        query, result = run(name, {"actor": actor["iri"]})
    if not result["rows"] and name in FALL_BACK_TO_SEARCH:
        # A reading that finds nothing is less useful than the clauses that use the words.
        name, rule = "search", f"{rule}>search"
        query, result = run(name, {"q": normalize_question(question)})
    return {"query": name, "title_zh": query.title_zh, "params": result["params"], "rule": rule,
            "rows": result["rows"], "columns": result["columns"], "note": note}


__all__ = ["RULES", "answer", "normalize_question", "noted_actor", "nothing_found_note", "route"]
