"""The answer every front end shows (/api/ask, the search box and question pages, `policykg ask`).

:func:`ask` reads a question (:mod:`policykg.queries.understand`), answers each of its parts with the
named question the router (:func:`policykg.queries.ask.route`) chooses, or from the text's sentences
(:mod:`policykg.queries.retrieval`) when no rule fits, and writes the answer in words
(:mod:`policykg.queries.compose`); where the text does not answer, it says so. See docs/ask.md.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict

from policykg.queries.ask import nothing_found_note, noted_actor, route
from policykg.queries.library import ParameterError, get_query, run_query
from policykg.queries.understand import INTENTS as INTENT_DATA

# A question that asks for a quantity.
_ASKS_NUMBER = re.compile(r"多少|几(?!乎)|比例|百分之几|多大|多长|多久|多高|how (?:much|many|long)")
# A sentence that states a quantity (digits, or a Chinese numeral before a measure word).
_STATES_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千两]+(?:年|天|次|名|人|倍|元|遍|户)|[一二三四五六七八九十]分之")
_CLAUSE_REF = re.compile(r"第\s*[0-9一二三四五六七八九十]+\s*(?:条|部分)")


RESULTS_KEPT = 512
# 多少条, 几个, 几项 …: a question that asks how many (of what a listing question lists).
_COUNT = re.compile(r"(?:一共|总共|共)?(?:有)?(?:多少|几)(?P<unit>条|项|个|处|种|类|次)")
# Named questions whose rows can be counted, and what one counted thing is in their rows.
COUNTABLE = {"norms": ("norm",), "duties": ("norm",), "led_by": ("led",), "leaders_of": ("leader",),
             "clauses_mentioning": ("clause",), "coordination_mechanisms": ("member",),
             "relations": ("statement",), "deadlines": ("norm", "statement")}


def _counted(name: str, rows: list[dict]) -> int:
    """How many distinct things a named question's rows list (statements, actors, clauses)."""
    keys = COUNTABLE.get(name, ("clause",))
    return len({next((row.get(k) for k in keys if row.get(k)), None) for row in rows} - {None})
# Rules that read a question about the document itself (its title, issuer, dates, structure, web page).
ABOUT_THE_DOCUMENT = {"document", "web-publication", "toc", "clause-text", "part-text", "preamble", "closing"}


class AskContext:
    """What answering needs beyond the store, built once per resolver (per store state)."""

    def __init__(self, store, resolver):
        from policykg.queries.retrieval import SentenceIndex
        from policykg.queries.understand import Understanding

        self.understanding = Understanding(resolver)
        self.index = SentenceIndex(store, resolver, self.understanding.index_words)
        # Named-question results by (name, parameters): the data of one store state does not change,
        # and routed questions converge on few of them (numeric_norms takes 300-400 ms to evaluate).
        self.results: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def run(self, name: str, params: dict, store, resolver) -> dict:
        key = (name, tuple(sorted(params.items())))
        with self.lock:
            if key in self.results:
                self.results.move_to_end(key)
                return self.results[key]
        result = run_query(get_query(name), store, params, resolver, resolver.clauses)
        with self.lock:
            self.results[key] = result
            while len(self.results) > RESULTS_KEPT:
                self.results.popitem(last=False)
        return result


def context(store, resolver) -> AskContext:
    return resolver.per_state("ask_context", lambda: AskContext(store, resolver))


def _citation(resolver, clause_iri: str, quote: str | None = None) -> dict | None:
    unit = resolver.clauses.units.get(clause_iri)
    if unit is None:
        if not clause_iri or "/id/doc/" not in clause_iri:
            return None
        return {"clause": clause_iri, "path": "title" if clause_iri.count("/") <= 5 else clause_iri.rsplit("/", 1)[-1],
                "label_zh": "标题", "label_en": "title", "quote": quote}
    start, end = unit.start, unit.end
    at = unit.text.find(quote) if quote and unit.text and unit.start is not None else -1
    if at >= 0:   # the quote's own offsets in the source, not the whole unit's
        start, end = unit.start + at, unit.start + at + len(quote)
    return {"clause": unit.iri, "path": unit.path, "label_zh": resolver.clauses.label(unit),
            "label_en": resolver.clauses.label(unit, "en"), "quote": quote or unit.text,
            "start": start, "end": end}


def _measure_agrees(question: str, lines: list[str]) -> bool:
    """A question that asks for a quantity in a measure (几天, 多少钱, 百分之几) is answered only by
    lines that give one in that measure."""
    for asks, gives in INTENT_DATA["units"].items():
        if re.search(asks, question):
            return any(re.search(gives, line) for line in lines)
    return True


def _post_hop(ctx, name: str, params: dict, words: list[str], store, resolver) -> dict | None:
    """Who leads a post (站长, 主任), where the text names no one: the post heads an organization
    (post_organization.rq), and who leads that organization is asked instead, said as such."""
    from policykg.queries.compose import compose_rows

    actor = params.get("actor")
    if name not in ("leaders_of", "led_by") or not actor or not actor.get("iri"):
        return None
    heads = ctx.run("post_organization", {"post": actor["iri"]}, store, resolver)["rows"]
    if not heads:
        return None
    organization = heads[0]
    result = ctx.run(name, {"actor": organization["organization"]}, store, resolver)
    lines, used = compose_rows(name, result["rows"], result["params"], words, False)
    if not lines:
        return None
    post_zh, org_zh = actor.get("label_zh") or actor.get("value"), organization["organization_label"]
    zh = (f"原文没有直接规定谁领导{post_zh}。{post_zh}是{org_zh}的负责人"
          f"({organization.get('clause_label') or ''}),而原文规定:" + ";".join(lines[:4]))
    citations = list({c["clause"]: c for c in (_citation(resolver, r.get("clause") or "", r.get("quote"))
                                                 for r in [organization] + used) if c}.values())
    return {"named_query": name, "params": result["params"], "rows": result["rows"], "columns": result["columns"],
            "answer_zh": zh, "answer_en": f"The text does not say directly who leads the {actor.get('label_en')}; "
            f"it heads the {organization['organization']}, and the text says who leads that.",
            "citations": citations, "links": [], "found": False}


def _english(ctx, resolver, row: dict, line: str) -> str:
    """A row in English: its statement's English label (the graph's), else the Chinese line, with
    the clause cited in English."""
    label = None
    for key in ("norm", "statement"):
        statement = ctx.index.by_iri.get(row.get(key) or "")
        if statement and statement.get("label_en"):
            label = statement["label_en"]
            break
    unit = resolver.clauses.units.get(row.get("clause") or "")
    where = f" ({resolver.clauses.label(unit, 'en')})" if unit is not None else ""
    mark = " [reading]" if row.get("interpreted") else ""
    return f"{label}{where}{mark}" if label else line


def _whole_sentence(ctx, row: dict) -> str:
    sentence = ctx.index.containing(row.get("quote") or "")
    return sentence.text.rstrip("。;；") if sentence else (row.get("quote") or "")


def _not_in_text(question: str, what: str, nearest: list[dict], resolver, entities: list[dict]) -> dict:
    """The answer for a question the text does not answer: say so, then the nearest text."""
    from policykg.queries.retrieval import highlight

    lines = [f"原文没有规定{what}。" if what else "原文没有规定这一点。"]
    citations = []
    for hit in nearest[:2]:
        sentence = hit["sentence"]
        citation = _citation(resolver, sentence.unit, sentence.text)
        if citation is None:
            continue
        citation.update(start=sentence.start, end=sentence.end)
        citation["highlighted"] = highlight(sentence.text, hit["matched"])
        lines.append(f"原文最接近的是:「{sentence.text}」({citation['label_zh']})")
        citations.append(citation)
    actors = [e for e in entities if any("actor" in c["kinds"] for c in e["candidates"])]
    links = []
    if len(actors) >= 2:
        links.append({"rel": "chain", "href": "/chains?" + "&".join(
            f"{k}={a['candidates'][0]['iri']}" for k, a in zip(("from", "to"), actors[:2]))})
    return {"answer_zh": "\n".join(lines), "answer_en": "The text does not say this" +
            (f" (nearest: {citations[0]['label_en']})." if citations else "."),
            "citations": citations, "links": links, "found": False}


def answer_part(question: str, store, resolver, asserted_only: bool = False) -> dict:
    """One question (a part): ``{question, intent, named_query, params, rows, columns, citations,
    answer_zh, answer_en, found}``."""
    from policykg.queries.compose import compose_rows, interpreted_note
    from policykg.queries.numerals import to_digits
    from policykg.queries.retrieval import highlight
    from policykg.queries.understand import normalize

    ctx = context(store, resolver)
    u = ctx.understanding
    text = normalize(question)
    digits = to_digits(text)
    entities = u.entities(text)
    words = list(dict.fromkeys(u.content_words(digits) + [e["mention"] for e in entities]))
    # a short form (社区书记) also searches for the names its entity has in the text (社区党组织书记)
    search_words = list(dict.fromkeys(words + [c["label_zh"] for e in entities for c in e["candidates"][:1]
                                               if c.get("label_zh")]))
    out = {"question": question, "intent": None, "named_query": None, "params": {}, "rows": [], "columns": [],
           "entities": entities}
    unknown = u.unknown_words(text)
    routed = route(digits, store, resolver)
    count = _COUNT.search(text)
    if count and routed is not None and routed[2] in ABOUT_THE_DOCUMENT:
        count = None   # 一共多少条: the document's structure answers
    if count:
        # 有多少条规定用了原则上 / 社区党组织领导几个组织: the listing question, counted
        listed = route(to_digits(text.replace(count.group(0), "哪些")), store, resolver)
        if listed is not None and listed[0] in COUNTABLE:
            routed = listed
        else:
            count = None
    if routed is not None and routed[2] in ABOUT_THE_DOCUMENT:
        unknown = []   # a question about the document itself: its words are not the text's
    if unknown and not _CLAUSE_REF.search(digits):
        nearest = ctx.index.search([w for w in words if w not in unknown], 2)
        what = "“" + "”、“".join(unknown) + "”"
        return {**out, "intent": "not_in_text", **_not_in_text(question, what, nearest, resolver, entities)}

    if routed is not None and routed[0] != "search":
        name, params, rule = routed
        query = get_query(name)
        if asserted_only and "asserted_only" in {p.name for p in query.params}:
            params = {**params, "asserted_only": "true"}
        result = ctx.run(name, params, store, resolver)
        out.update(intent=rule, named_query=name, params=result["params"], rows=result["rows"],
                   columns=result["columns"])
        if not result["rows"]:
            note = nothing_found_note(name, result["params"], follow=False)
            hop = _post_hop(ctx, name, result["params"], words, store, resolver) if note is not None else None
            if hop is not None:
                return {**out, **hop, "intent": f"{rule}>post_organization"}
            if note is not None:
                # say so, then what the text does set for that actor (its relations), as before
                actor = noted_actor(result["params"])
                relations = ctx.run("relations", {"actor": actor["iri"]}, store, resolver)
                lines, used = compose_rows("relations", relations["rows"], relations["params"], words, False)
                answer = _not_in_text(question, "", [], resolver, entities)
                citations = [c for c in (_citation(resolver, r.get("clause") or "", r.get("quote")) for r in used)
                             if c]
                zh = note["zh"] + ("\n原文为它规定的关系:" + ";".join(lines[:4]) if lines else "")
                return {**out, **answer, "intent": f"{rule}>relations", "named_query": "relations",
                        "params": relations["params"], "rows": relations["rows"], "columns": relations["columns"],
                        "answer_zh": zh, "answer_en": note["en"] + " The text does not say this.",
                        "citations": citations}
        else:
            listing = bool(count or re.search(r"哪些|(?<![负享具])有什么|都有|列出|分别", text)) \
                or name in ("clause_text", "duties", "led_by")
            lines, used = compose_rows(name, result["rows"], result["params"], words, listing)
            lines_of = dict(zip((id(r) for r in used), lines)).get
            if name == "clauses_mentioning":
                # the sentences of each clause that name it, whole (the rows hold 60-character windows)
                lines = []
                for row in used:
                    held = [x.text for x in ctx.index.sentences if x.unit == row.get("clause")
                            and any(w in x.text for w in words if len(w) >= 2)]
                    lines.append("".join(held[:2]) + f"({row.get('clause_label')})" if held else lines_of(id(row)))
            if name == "cost_sharing":
                # a share is given in the sentence the statement's quote lies in
                lines = [_whole_sentence(ctx, row) + cited for row, cited in
                         ((r, f"({r.get('clause_label')})") for r in used)]
                lines = list(dict.fromkeys(lines))
            asks_number = _ASKS_NUMBER.search(text) and not count
            if lines and not (asks_number and name not in ("toc", "document", "clause_text")
                              and not any(_STATES_NUMBER.search(line) for line in lines)) \
                    and _measure_agrees(text, lines):
                citations, seen = [], set()
                for row in used:
                    citation = _citation(resolver, row.get("clause") or "", row.get("quote"))
                    if citation and (citation["clause"], citation.get("start")) not in seen:
                        seen.add((citation["clause"], citation.get("start")))
                        citation["highlighted"] = highlight(citation["quote"] or "", [w for w in words if len(w) >= 2])
                        citations.append(citation)
                note = interpreted_note(used)
                zh = ";".join(lines) + "。" if len(lines) > 1 else lines[0]
                if count:
                    n = _counted(name, result["rows"])
                    zh = f"共{n}{count.group('unit')}" + (f"(下列前{len(lines)}{count.group('unit')})" if n > len(lines)
                                                        else "") + f":{zh}"
                zh = zh + (f"\n{note}" if note else "")
                en = "; ".join(dict.fromkeys(_english(ctx, resolver, row, line) for row, line in zip(used, lines)))
                if any(row.get("interpreted") for row in used):
                    en += " (Lines marked [reading] rest on an interpretation of the text, not on its words.)"
                return {**out, "answer_zh": zh, "answer_en": en, "citations": citations,
                        "links": [], "found": True}

    # only the names that stand for actors (领导 is a relation, not an actor to be settled)
    actor_words = [w for w in words if not any(e["mention"] == w and any(
        "relation" in c["kinds"] for c in e["candidates"]) for e in entities)]
    ambiguous = _ambiguous_names(actor_words, resolver)
    if ambiguous:
        # a name the router could not settle: say which entities it may mean, then search the text
        part = _retrieve(ctx, question, text, words, search_words, entities, out, resolver)
        said = ";".join(f"“{name}”可以指:{' / '.join(labels)}" for name, labels in ambiguous.items())
        return {**part, "ambiguous": ambiguous, "answer_zh": f"{said},请说明是哪一个。\n{part['answer_zh']}",
                "answer_en": f"Ambiguous: {', '.join(ambiguous)}. {part['answer_en']}"}
    return _retrieve(ctx, question, text, words, search_words, entities, out, resolver)


def _ambiguous_names(words: list[str], resolver) -> dict:
    """Names in the question that could mean several actors equally well: {name: [labels]}."""
    out = {}
    for word in words:
        if len(word) < 2:
            continue
        try:
            resolver.resolve_one(word, kind="actor")
        except ParameterError as exc:
            if exc.code == "ambiguous":
                out[word] = [c.get("label_zh") for c in exc.candidates[:6] if c.get("label_zh")]
    return out


def _retrieve(ctx, question: str, text: str, words: list[str], search_words: list[str], entities: list[dict],
              out: dict, resolver) -> dict:
    """The answer from the text's sentences (BM25), or that the text does not give it."""
    from policykg.queries.retrieval import highlight

    hits = ctx.index.search(search_words, 3)
    if hits:
        # the words of the question the best sentence holds (a name counts when one of its names is there)
        top_text = hits[0]["sentence"].text
        held = [w for w in words if w in top_text or any(
            c.get("label_zh") and c["label_zh"] in top_text for e in entities if e["mention"] == w
            for c in e["candidates"])]
        if sum(map(len, held)) * 2 < sum(map(len, words)):
            missing = [w for w in words if w not in held]
            return {**out, "intent": "not_in_text",
                    **_not_in_text(question, "“" + "”、“".join(missing) + "”" if missing else "", hits, resolver,
                                   entities)}
    if not hits:
        return {**out, "intent": out["intent"] or "not_in_text",
                **_not_in_text(question, "", [], resolver, entities)}
    top = hits[0]
    chosen = [top] + [h for h in hits[1:] if h["score"] >= top["score"] * 0.9]
    vague = any(v in h["sentence"].text for h in chosen for v in INTENT_DATA["vague_quantities"])
    numbers = [h["sentence"].text for h in chosen if _STATES_NUMBER.search(h["sentence"].text)]
    if _ASKS_NUMBER.search(text) and (vague and not numbers or not numbers or not _measure_agrees(text, numbers)):
        subject = "、".join(e["mention"] for e in entities) or "这一点"
        return {**out, "intent": "not_in_text",
                **_not_in_text(question, f"{subject}的具体数额或比例", hits, resolver, entities)}
    lines, citations = [], []
    for hit in chosen:
        sentence = hit["sentence"]
        if ctx.index.is_heading(sentence):
            # the question names what an article is about: the article is the answer
            unit = resolver.clauses.units[sentence.unit]
            sentence = type(sentence)(unit.iri, unit.path, unit.text, unit.start, unit.end)
        citation = _citation(resolver, sentence.unit, sentence.text)
        if citation is None:
            continue
        citation.update(start=sentence.start, end=sentence.end)
        citations.append(citation)
        citation["highlighted"] = highlight(sentence.text, hit["matched"])
        lines.append(f"「{sentence.text}」({citation['label_zh']})")
    return {**out, "intent": (out["intent"] + ">retrieval") if out["intent"] else "retrieval",
            "named_query": None, "params": {"words": words},
            "rows": [{"clause": c["clause"], "clause_label": c["label_zh"], "quote": c["quote"],
                      "start": c.get("start"), "end": c.get("end")} for c in citations],
            "columns": ["clause_label", "quote", "start", "end", "clause"],
            "answer_zh": "原文:" + ";".join(lines), "answer_en": "The text says: " + "; ".join(
                f"{c['quote']} ({c['label_en']})" for c in citations), "citations": citations, "links": [],
            "found": True}


def ask(question: str, store, resolver, asserted_only: bool = False) -> dict:
    """A question in Chinese or English → the /api/ask contract::

        {question, answer_zh, answer_en, parts: [{question, intent, named_query, params, rows, columns,
         citations, answer_zh, answer_en, found}], entities, route}
    """
    from policykg.queries.understand import is_english, normalize

    ctx = context(store, resolver)
    english = is_english(question)
    text = ctx.understanding.rewrite_english(question) if english else normalize(question)
    parts = [answer_part(p, store, resolver, asserted_only) for p in ctx.understanding.parts(text)]
    if len(parts) == 1:
        zh, en = parts[0]["answer_zh"], parts[0]["answer_en"]
    else:
        # the note on readings (【解读】) once, after the parts
        from policykg.queries.compose import interpreted_note

        note = interpreted_note([row for p in parts for row in p["rows"]])
        bodies = [p["answer_zh"].replace(f"\n{note}", "") if note else p["answer_zh"] for p in parts]
        zh = "\n".join(f"({i}) {p['question']}:{body}" for i, (p, body) in enumerate(zip(parts, bodies), 1))
        if note and note in "".join(p["answer_zh"] for p in parts):
            zh += f"\n{note}"
        en = "\n".join(f"({i}) {p['answer_en']}" for i, p in enumerate(parts, 1))
    entities = [e for p in parts for e in p.pop("entities")]
    return {"question": question, "understood_as": text if english else None, "answer_zh": zh, "answer_en": en,
            "parts": parts, "entities": entities, "route": [p["intent"] for p in parts],
            "found": all(p["found"] for p in parts)}


__all__ = ["ABOUT_THE_DOCUMENT", "AskContext", "answer_part", "ask", "context"]
