"""Understanding a question, before any query runs: normal form, words, entities, parts.

- Normal form: Unicode NFKC (full and half width), traditional → simplified characters (OpenCC),
  no spaces; :func:`policykg.queries.numerals.to_digits` writes quantities in digits.
- Words: jieba, with a user dictionary made from the graph itself (every label and altLabel of
  actors, posts, tasks, topics, practices, mechanisms …, the headings of the articles and the
  phrases the policy puts in quotation marks), so 社区党组织书记 or 一肩挑 is one word; there is
  no alias table besides the graph's altLabels.
- Entities: every name of the graph a question mentions (longest first, several per question),
  each with its candidates; a name two entities share is reported as ambiguous, not guessed.
- Parts: 社区工作经费标准是多少?党员活动经费呢? is two questions; a part that only names a
  new subject (…呢, …又是谁) borrows the question words of the part before it.
- Unknown words: content words (not a question form of intents.yaml, not a name) the text never
  uses: a question about 任期 or 退休年龄 asks for what the text does not say.
- English: a question in English is rewritten to the Chinese one through intents.yaml's forms and
  the graph's English labels, then goes the same way.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from functools import cached_property
from pathlib import Path

import jieba
import opencc
import yaml

from policykg.queries.numerals import to_digits

INTENTS = yaml.safe_load((Path(__file__).resolve().parent / "intents.yaml").read_text(encoding="utf-8"))
QUESTION_WORDS = frozenset(INTENTS["question"])
_T2S = opencc.OpenCC("t2s")
jieba.setLogLevel(logging.WARNING)
# Entity kinds whose names make the dictionary and are linked in questions.
_LINKED_KINDS = {"actor", "party", "task", "topic", "practice", "mechanism", "entity"}
_SPLIT = re.compile(r"[?？;；]+|[,，](?=[^,，?？]*(?:呢|又|分别|还有|以及|那|哪|谁|多少|几|什么))")


def normalize(text: str) -> str:
    """NFKC (widths), simplified characters, no whitespace, no trailing punctuation."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _T2S.convert(text)
    text = re.sub(r"\s+", "", text)
    return text.strip("?？!！。.")


def _singular(word: str) -> str:
    """secretaries → secretary, committees → committee (a plural read as the label's singular)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "'s")):
        return word[:-1]
    return word


def is_english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) > len(letters) * 0.7


class Understanding:
    """Everything the router needs to read questions about one store state."""

    def __init__(self, resolver):
        self.resolver = resolver
        self.names: dict[str, set[str]] = {}       # a Chinese name → the entities it names
        self.english: dict[str, str] = {}          # an English label (lower case) → its Chinese label
        # what only another source names (姑苏区) is not a name of the policy's: a question with it
        # meets the unknown-word path ("原文没有…"), never an answer about something else
        outside = resolver.background_only
        for entity in resolver.entities.values():
            if entity.iri in outside:
                continue
            for _norm, _score, original in entity.names:
                name = normalize(original)
                if not name:
                    continue
                if is_english(name):
                    if entity.label_zh and not is_english(entity.label_zh):
                        self.english.setdefault(original.lower().strip(), entity.label_zh)
                elif len(name) >= 2:
                    self.names.setdefault(name, set()).add(entity.iri)
        self.names_longest_first = sorted(self.names, key=len, reverse=True)
        self.english_longest_first = sorted((label for label in self.english if label), key=len, reverse=True)
        self.text = "\n".join(u.text for u in resolver.clauses.ordered() if u.text)
        phrases = set(re.findall(r"[“\"《]([^”\"》]{2,20})[”\"》]", self.text))
        phrases |= {u.heading for u in resolver.clauses.units.values() if u.heading and len(u.heading) <= 20}
        self.tokenizer = jieba.Tokenizer()
        for word in sorted(set(self.names) | phrases):
            self.tokenizer.add_word(word, freq=2000)
        for word in QUESTION_WORDS:
            if len(word) >= 2:
                self.tokenizer.add_word(word, freq=500)

    def words(self, text: str) -> list[str]:
        return [w for w in self.tokenizer.lcut(text) if w.strip()]

    def index_words(self, text: str) -> list[str]:
        """Words and the shorter words inside them (社区后备人才库 → 社区, 后备, 人才, 后备人才库 …),
        so that a question naming a part of a long name still finds it."""
        return [w for w in self.tokenizer.lcut_for_search(text) if w.strip()] + [
            w for w in self.words(text) if len(w) > 2]

    @cached_property
    def text_words(self) -> set[str]:
        # with the last word of the graph's names (主任 of 居民委员会主任, 站长 of 工作站站长): a post
        # or body is often named by its head word alone
        heads = {w for name in self.names for w in self.tokenizer.lcut_for_search(name)
                 if len(w) >= 2 and w != name and name.endswith(w)}
        return set(self.words(self.text)) | set(self.words(to_digits(self.text))) | heads

    @cached_property
    def router_words(self) -> set[str]:
        """The words the router's rules and the named questions' titles use (发文机关, 分担 …):
        a question in those words asks about the document, not about something it lacks."""
        from policykg.queries.ask import RULES
        from policykg.queries.library import load_library

        texts = [rule["pattern"] for rule in RULES]
        texts += [f"{q.title_zh} {q.description_zh}" for q in load_library().values()]
        texts += INTENTS.get("document_words", [])
        words = set()
        for text in texts:
            for run in re.findall(r"[\u4e00-\u9fff]{2,}", text):
                words.add(run)
                words.update(self.words(run))
        return words

    def rewrite_english(self, text: str) -> str:
        """An English question as the Chinese one (names through the graph's English labels)."""
        plain = unicodedata.normalize("NFKC", text).strip().rstrip("?.! ")
        plain = re.sub(r"\s+", " ", plain)
        for pattern, template in INTENTS["english"]:
            m = re.match(pattern, plain, re.IGNORECASE)
            if m:
                rest = m.group(1) if m.groups() else ""
                return template.format(x=self._english_names(rest))
        return self._english_names(plain)

    def _english_names(self, text: str) -> str:
        out = " ".join(_singular(w) for w in text.lower().strip().split())
        for label in self.english_longest_first:
            if label in out:
                out = re.sub(rf"(?<![a-z]){re.escape(label)}(?![a-z])", self.english[label], out)
        return out

    def entities(self, text: str) -> list[dict]:
        """Every graph name in ``text``, longest first, not overlapping: ``{mention, start,
        candidates, ambiguous}``."""
        found, taken = [], [False] * len(text)
        chars = set(text)
        for name in self.names_longest_first:
            if name[0] not in chars:
                continue
            start = text.find(name)
            while start >= 0:
                end = start + len(name)
                if any(taken[start:end]):
                    start = text.find(name, start + 1)
                    continue
                taken[start:end] = [True] * len(name)
                m_start = start
                start = text.find(name, end)
                candidates = []
                for iri in sorted(self.names[name]):
                    entity = self.resolver.entities[iri]
                    candidates.append({"iri": iri, "label_zh": entity.label_zh, "label_en": entity.label_en,
                                       "kinds": sorted(entity.kinds)})
                found.append({"mention": name, "start": m_start, "candidates": candidates,
                              "ambiguous": len(candidates) > 1})
        return sorted(found, key=lambda e: e["start"])

    def content_words(self, text: str) -> list[str]:
        """The words of a question that carry its content (not question forms, not punctuation)."""
        return [w for w in self.words(text) if w not in QUESTION_WORDS and not re.fullmatch(r"[\W_]+", w)]

    def unknown_words(self, text: str) -> list[str]:
        """Content words the policy never uses, neither as a word nor inside a name or a phrase."""
        out = []
        words = self.words(text)
        # single characters jieba left apart (年 假) read together as the word they make (年假)
        for a, b in zip(words, words[1:]):
            pair = a + b
            if len(a) == len(b) == 1 and a not in QUESTION_WORDS and b not in QUESTION_WORDS \
                    and re.fullmatch(r"[\u4e00-\u9fff]{2}", pair) and pair not in self.text \
                    and pair not in self.router_words:
                out.append(pair)
        for word in self.content_words(text):
            if word.isascii() and not word.isdigit():
                continue   # English words are read through the English labels, not the Chinese text
            if word in self.text_words or word in self.names or word in self.router_words:
                continue
            if len(word) == 1:
                continue   # a single character alone is too weak a sign
            if not word.isdigit() and self._covered(word):
                continue   # 文件名称: 文件 + 名称, each known
            out.append(word)
        return out

    def _covered(self, word: str) -> bool:
        """Every character of ``word`` lies in a known shorter word (文件名称 = 文件 + 名称)."""
        covered = [False] * len(word)
        for size in range(len(word) - 1, 1, -1):
            for i in range(len(word) - size + 1):
                piece = word[i:i + size]
                if piece in self.text_words or piece in self.router_words or piece in QUESTION_WORDS:
                    covered[i:i + size] = [True] * size
        return all(covered)

    def parts(self, question: str) -> list[str]:
        """The questions a question asks (at least one)."""
        clauses = re.findall(r"第[0-9一二三四五六七八九十]+(?:条|部分)", question)
        joined = re.fullmatch(r"((?:第[0-9一二三四五六七八九十]+(?:条|部分)(?:和|与|、|及|以及)?)+)(.*)", question)
        if len(clauses) >= 2 and joined:
            rest = re.sub(r"^分别", "", joined.group(2))
            return [c + rest for c in clauses]
        pieces = [p.strip(" ,，。") for p in _SPLIT.split(question) if p and p.strip(" ,，。")]
        if len(pieces) <= 1:
            return [question]
        out = [pieces[0]]
        for piece in pieces[1:]:
            follow = re.fullmatch(r"(?:那|那么|而|还有)?(.+?)(?:呢|又是谁|又是多少|又如何|又怎样|又是什么)", piece)
            if follow:
                # the subject is new, the question words are the first part's
                first = out[0]
                asks = re.search(r"(是什么|是谁|是多少|多少|几\w{0,2}|什么\w{0,3}|谁)$", first)
                tail = re.search(r"(标准|比例|不少于|不低于|至少|每年|每周|培训|负什么|对).*$", first)
                piece = follow.group(1) + (tail.group(0) if tail else (asks.group(0) if asks else ""))
                if "又是谁" in follow.group(0):
                    piece = follow.group(1) + "是谁"
            out.append(piece)
        return out


__all__ = ["INTENTS", "QUESTION_WORDS", "Understanding", "is_english", "normalize"]
