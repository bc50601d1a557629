"""Retrieval when no named question fits: BM25 over every sentence and every statement.

The index holds
- every sentence of the text (split at 。;；!?！？ and at the numbered items), with the unit it lies
  in and its offsets in the source, and
- every statement of the statements graph: its label (zh, en), its exact quote and the labels of
  its bearer, object, action and topic (so 站长, 经费 or 培训 find it even where the quote says
  工作站站长 or 活动经费),
each segmented into words (:mod:`policykg.queries.understand`'s jieba tokenizer, whose dictionary is
the graph's labels) with its numbers also written in digits, in an SQLite FTS5 table (standard
library) ranked by FTS5's ``bm25()``. It is built once per resolver (per store state) and cached.

A hit is always shown as a whole sentence of the text, with the matched words marked and the unit
cited; a statement hit is shown as the sentence its quote lies in.
"""
from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass

from policykg.ontology.namespaces import sparql_prologue
from policykg.queries.numerals import to_digits

_STATEMENTS_QUERY = sparql_prologue() + """\
SELECT ?s (SAMPLE(?zh) AS ?label_zh) (SAMPLE(?en) AS ?label_en) (SAMPLE(?c) AS ?clause) (SAMPLE(?q) AS ?quote)
       (GROUP_CONCAT(DISTINCT ?role_label; separator=" ") AS ?roles)
WHERE {
  ?s a pkg:PolicyStatement ; prov:wasDerivedFrom ?c .
  OPTIONAL { ?s rdfs:label ?zh FILTER(LANGMATCHES(LANG(?zh), "zh")) }
  OPTIONAL { ?s rdfs:label ?en FILTER(LANGMATCHES(LANG(?en), "en")) }
  OPTIONAL { ?s oa:hasTarget/oa:hasSelector/oa:exact ?q }
  OPTIONAL { VALUES ?role { pkg:bearer pkg:normObject pkg:action pkg:topic pkg:subject pkg:object }
             ?s ?role ?r . ?r rdfs:label ?role_label FILTER(LANGMATCHES(LANG(?role_label), "zh")) }
}
GROUP BY ?s
"""
_SENTENCE_END = re.compile(r"(?<=[。;；!！?？])|(?=[(（][1-9一二三四五六][)）])")
# Units whose text is already held by their children (a part repeats its articles).
_CONTAINERS = {"part", "document"}


@dataclass
class Sentence:
    unit: str          # the IRI of the smallest unit that holds it
    path: str          # its path (art/19, art/4/item/3, preamble …)
    text: str
    start: int | None  # offsets in the source text, when the unit's are known
    end: int | None


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pieces of a unit's text, whitespace kept out."""
    out, pos = [], 0
    for piece in _SENTENCE_END.split(text):
        stripped = piece.strip()
        if stripped:
            out.append((pos + piece.index(stripped[0]), stripped))
        pos += len(piece)
    return out


class SentenceIndex:
    """The FTS5 index of sentences and statements of one store state."""

    def __init__(self, store, resolver, tokenize):
        self.tokenize = tokenize
        self.sentences: list[Sentence] = []
        self.part_headings: set[int] = set()
        clauses = resolver.clauses
        parents = {u.parent for u in clauses.units.values() if u.parent}
        for unit in clauses.ordered():
            if not unit.text:
                continue
            text = unit.text
            if unit.kind in _CONTAINERS:
                # a part's heading (its first line; the rest is its articles'), weighed less than the
                # articles' own sentences: it is the answer only where no article says it
                heading = text.split("\n", 1)[0].strip()
                if heading and unit.start is not None:
                    self.sentences.append(Sentence(unit.iri, unit.path, heading, unit.start, unit.start + len(heading)))
                    self.part_headings.add(len(self.sentences) - 1)
                continue
            if unit.iri in parents:
                # the article's text up to its first item (the items follow)
                text = re.split(r"[(（]1[)）]", text, 1)[0]
            for offset, sentence in split_sentences(text):
                start = unit.start + offset if unit.start is not None else None
                self.sentences.append(Sentence(unit.iri, unit.path, sentence, start,
                                               start + len(sentence) if start is not None else None))
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.lock = threading.Lock()
        # A sentence also carries its article's heading (目标任务, 健全保障机制), in a column that
        # weighs more: it says what the whole article is about.
        self.db.execute("CREATE VIRTUAL TABLE idx USING fts5(words, head, part, kind UNINDEXED, ref UNINDEXED)")
        self.headings = {u.iri: u.heading for u in clauses.units.values() if u.heading and u.kind != "part"}
        for unit in clauses.units.values():
            if unit.kind == "item" and unit.parent in self.headings:
                self.headings.setdefault(unit.iri, self.headings[unit.parent])
        rows = [("", "", self.words(s.text), "sentence", i) if i in self.part_headings else
                (self.words(s.text), self.words(self.headings.get(s.unit) or ""), "", "sentence", i)
                for i, s in enumerate(self.sentences)]
        self.statements: list[dict] = []
        for row in store.select(_STATEMENTS_QUERY):
            get = lambda k: row[k].value if k in row and row[k] is not None else ""  # noqa: E731
            statement = {"iri": get("s"), "label_zh": get("label_zh"), "label_en": get("label_en"),
                         "clause": get("clause"), "quote": get("quote"), "roles": get("roles")}
            self.statements.append(statement)
            text = " ".join([statement["label_zh"], statement["quote"], statement["roles"]])
            rows.append((self.words(text) + " " + statement["label_en"].lower(), "", "", "statement",
                         len(self.statements) - 1))
        self.db.executemany("INSERT INTO idx VALUES (?, ?, ?, ?, ?)", rows)
        self.by_iri = {statement["iri"]: statement for statement in self.statements}
        self.vocabulary = {w for words, head, part, _, _ in rows for w in f"{words} {head} {part}".split()}

    def words(self, text: str) -> str:
        """The words FTS5 sees: the segmented text and its numbers in digits, space-separated."""
        words = self.tokenize(text) + self.tokenize(to_digits(text))
        return " ".join(dict.fromkeys(w for w in words if w.strip() and not re.fullmatch(r"\W+", w)))

    def is_heading(self, sentence: Sentence) -> bool:
        """The sentence is its article's heading alone (拓宽经费来源。)."""
        return self.headings.get(sentence.unit, "").rstrip("。") == sentence.text.rstrip("。")

    def containing(self, quote: str) -> Sentence | None:
        """The sentence of the text that holds ``quote`` (or its first twelve characters)."""
        quote = re.sub(r"\s+", "", quote or "")
        for sentence in self.sentences:
            if quote and (quote in sentence.text or quote[:12] in sentence.text):
                return sentence
        return None

    def sentence_of(self, statement: dict) -> Sentence | None:
        """The sentence that holds a statement's quote (else the first of its unit)."""
        in_unit = [s for s in self.sentences if s.unit == statement["clause"] or
                   s.unit.startswith(statement["clause"] + "/")]
        quote = re.sub(r"\s+", "", statement.get("quote") or "")
        for sentence in in_unit:
            if quote and (quote[:12] in sentence.text or sentence.text.rstrip("。;；") in quote):
                return sentence
        return in_unit[0] if in_unit else None

    def search(self, words: list[str], limit: int = 5) -> list[dict]:
        """Sentences ranked by BM25 for ``words`` (OR), each once: ``{sentence, score, matched}``."""
        terms = []
        for word in dict.fromkeys(words):
            if word in self.vocabulary:
                terms.append(word)
            else:   # 电子台账 is not a word of the index; 电子 and 台账 are
                terms += [w for w in self.tokenize(word) if len(w) >= 2 and w != word and w in self.vocabulary]
        terms = list(dict.fromkeys(terms))
        if not terms:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in terms)
        with self.lock:
            found = self.db.execute("SELECT kind, ref, bm25(idx, 1.0, 1.5, 0.5), words || ' ' || head || ' ' || part "
                                    "FROM idx WHERE idx MATCH ? ORDER BY bm25(idx, 1.0, 1.5, 0.5) LIMIT ?",
                                    (match, limit * 4)).fetchall()
        hits, seen = [], set()
        for kind, ref, rank, indexed in found:
            sentence = self.sentences[ref] if kind == "sentence" else self.sentence_of(self.statements[ref])
            if sentence is None or (sentence.unit, sentence.start, sentence.text) in seen:
                continue
            seen.add((sentence.unit, sentence.start, sentence.text))
            present = set(indexed.split())
            hits.append({"sentence": sentence, "score": -rank, "matched": [t for t in terms if t in present],
                         "statement": self.statements[ref] if kind == "statement" else None})
            if len(hits) >= limit:
                break
        return hits


def highlight(text: str, words: list[str], mark=("【", "】")) -> str:
    """``text`` with each of ``words`` (longest first, not inside another mark) between marks."""
    words = sorted({w for w in words if len(w) >= 2 or w.isdigit()}, key=len, reverse=True)
    if not words:
        return text
    pattern = re.compile("|".join(re.escape(w) for w in words))
    return pattern.sub(lambda m: f"{mark[0]}{m.group(0)}{mark[1]}", text)


__all__ = ["Sentence", "SentenceIndex", "highlight", "split_sentences"]
