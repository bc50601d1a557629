"""The one table of words the service shows people that the ontology does not name: column
headings, comparators, the roles of a number, the data's own markers, error messages.

Everything the ontology names (classes, relations, modalities, topics, units) is shown by its
``rdfs:label`` / ``skos:prefLabel`` in the reader's language; this table holds the rest, each
entry as (Chinese, English). Pages, CSV and Excel exports and the REST error envelope read it,
so a word is changed in one place.
"""
from __future__ import annotations

# Comparators of numeric constraints: the SPARQL of numeric_norms writes ODRL's operators as
# symbols (odrl:gteq → ">="); people read words.
COMPARATORS = {
    "=": ("等于", "equal to"), ">": ("高于", "more than"), ">=": ("不低于", "at least"),
    "<": ("低于", "less than"), "<=": ("不高于", "at most"), "!=": ("不等于", "not equal to"),
    "~": ("约", "about"),
}

# The role a number plays in a norm (numeric_norms' ?role).
ROLES = {"standard": ("标准", "standard"), "condition": ("条件", "condition")}

# Column and parameter names of the named questions and the pages' tables (English: the
# name itself with spaces, unless given).
FIELDS = {
    "actor": ("主体", "actor"), "about": ("涉及主体", "about"), "bearer": ("责任主体", "bearer"),
    "clause": ("条款", "clause"), "from": ("起点", "from"), "to": ("终点", "to"), "kind": ("类型", "kind"),
    "max_length": ("最多步数", "max. steps"), "modality": ("情态", "modality"), "payer": ("承担方", "payer"),
    "q": ("检索词", "search words"), "relation": ("关系", "relation"), "task": ("任务", "task"),
    "topic": ("主题", "topic"), "leader": ("领导方", "leader"), "led": ("被领导方", "led"),
    "mechanism": ("机制", "mechanism"), "member": ("成员", "member"), "norm": ("规范", "norm"),
    "object": ("对象", "object"), "subject": ("主体", "subject"), "predicate": ("关系", "relation"),
    "person": ("责任人", "person"), "reports_to": ("向谁述职", "reports to"), "role": ("类型", "role"),
    "source": ("起点", "source"), "target": ("终点", "target"), "via": ("经由", "via"),
    "node": ("主体", "node"), "cost": ("费用", "cost"), "share": ("比例", "share"),
    "deadline": ("期限", "deadline"), "duration": ("期间", "duration"), "value": ("数值", "value"),
    "value_text": ("原文数值", "words of the number"), "comparator": ("比较", "comparator"),
    "modal_marker": ("情态词", "modal words"), "quote": ("原文", "quote"), "passage": ("段落", "passage"),
    "statement": ("陈述", "statement"), "statement_kind": ("陈述类型", "statement kind"),
    "heading": ("标题", "heading"), "number": ("编号", "number"), "text": ("文本", "text"),
    "score": ("得分", "score"), "depth": ("层级", "depth"), "distance": ("步数", "distance"),
    "path": ("路径", "path"), "chain": ("链", "chain"), "step": ("步", "step"), "length": ("长度", "length"),
    "topics": ("主题", "topics"), "action": ("行为", "action"), "unit": ("条款", "unit"),
    "unit_kind": ("类型", "unit kind"), "words": ("词", "words"), "sequence": ("顺序", "sequence"),
    "start": ("起", "start"), "end": ("止", "end"), "exact": ("原文", "exact words"),
    "parent": ("上级", "parent"), "period": ("周期", "period"), "basis": ("基数", "basis"),
    "unit_label": ("单位", "unit"), "bearers": ("责任主体", "bearers"), "name": ("名称", "name"),
    "names": ("名称", "names"), "other": ("另一主体", "other actor"), "acted_on": ("客体", "acted on"),
    "interpreted": ("解读", "interpretation"), "asserted_only": ("只看原文所述", "only what the text states"),
    "inherited": ("来源", "whose duty"), "clause_iri": ("条款IRI", "clause IRI"),
    "background": ("背景", "background"),
    "for_remainder": ("适用范围", "applies to"), "inference": ("推理依据", "inference"),
    "inference_rule": ("推理规则", "inference rule"), "source_kind": ("依据类型", "source kind"),
    "rule": ("推理规则", "rule"),
}

# Parameter types, as the question forms' hints name them.
PARAM_TYPES = {
    "actor": ("主体", "actor"), "entity": ("主体或概念", "actor or concept"), "topic": ("主题", "topic"),
    "modality": ("规范类型", "modality"), "relation": ("关系", "relation"), "boolean": ("是/否", "yes/no"),
    "integer": ("整数", "integer"), "string": ("文字", "text"), "clause": ("条款", "clause"),
    "text": ("文字", "text"),
}

# Kinds of units of a document (the toc question's ``kind`` values).
UNIT_KINDS = {
    "preamble": ("序言", "preamble"), "part": ("部分", "part"), "paragraph": ("段", "paragraph"),
    "article": ("条", "article"), "item": ("项", "item"), "closing": ("结语", "closing"),
    "chapter": ("章", "chapter"), "section": ("节", "section"),
}

# Kinds of terms (OWL, RDFS and SKOS classes the ontology types its terms with; they carry no
# label of their own in the graph).
TERM_KINDS = {
    "Class": ("类", "class"), "ObjectProperty": ("对象关系", "object property"),
    "DatatypeProperty": ("数据属性", "datatype property"), "AnnotationProperty": ("注释属性", "annotation property"),
    "TransitiveProperty": ("传递关系", "transitive property"), "SymmetricProperty": ("对称关系", "symmetric property"),
    "FunctionalProperty": ("函数关系", "functional property"), "NamedIndividual": ("个体", "individual"),
    "Concept": ("概念", "concept"), "ConceptScheme": ("概念体系", "concept scheme"), "Property": ("属性", "property"),
}

# Words for values of the data that are not terms of the ontology.
VALUES = {
    "true": ("是", "yes"), "false": ("否", "no"),
    "own": ("本主体", "its own"), "inherited_from": ("继承自", "inherited from"),
    "unknown": ("未知", "unknown"),
}

# REST error envelope: message_zh beside message. By envelope code first, then by status.
ERRORS_ZH = {
    "bad_request": "请求有误", "unauthorized": "未授权", "forbidden": "禁止访问", "not_found": "未找到",
    "method_not_allowed": "不支持该请求方法", "not_acceptable": "无法提供所请求的格式",
    "timeout": "查询超时,请缩小查询范围或稍后再试", "body_timeout": "请求正文发送超时",
    "too_large": "请求内容过大", "uri_too_long": "网址过长",
    "unsupported_media_type": "不支持该内容类型", "unprocessable": "无法处理该请求",
    "internal_error": "服务器内部错误,已记录", "unavailable": "服务暂不可用,请稍后再试",
    "query_too_long": "查询过长,超出服务限制", "query_too_complex": "查询过于复杂,超出服务限制",
    "result_too_large": "结果过多,超出服务限制,请缩小查询范围", "evaluation_error": "查询无法求值",
    "engine_error": "查询引擎出错", "unknown_parameter": "该问题没有这个参数",
    "missing_parameter": "缺少必填参数", "invalid_parameter": "参数值无效",
    "ambiguous": "名称有歧义,请从候选中选择", "unknown_actor": "未找到该主体",
    "not_found_entity": "未找到该名称", "unknown_query": "没有这个问题",
}


def word(table: dict, key, language: str, default=None) -> str:
    """The word for ``key`` in ``table`` in ``language`` ('zh' or 'en'); ``default`` (else the key)
    when the table does not hold it."""
    pair = table.get(key)
    if pair is None:
        return key if default is None else default
    return pair[1] if language == "en" else pair[0]


def field_word(name: str, language: str) -> str:
    """A column's or parameter's heading: ``leader_label`` is headed as ``leader``."""
    if name.endswith("_label") and name not in FIELDS:
        name = name[: -len("_label")]
    return word(FIELDS, name, language, default=name.replace("_", " "))


def error_zh(code: str | None, status: int) -> str:
    """The Chinese message of an error envelope: by its code, else by its status's code."""
    from policykg.api.errors import CODES   # errors imports this module

    return ERRORS_ZH.get(code or "") or ERRORS_ZH.get(CODES.get(status, ""), "请求出错")
