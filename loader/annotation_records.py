"""What the annotation files say, as typed records: statements (relations and norms with their
constraints, dates and durations), groups, practices, entities, the numbers that are not norms, the
words the lexicon needs, and background facts; and the error that names a malformed one.

:mod:`policykg.loader.annotations` reads and checks the files into these records;
:mod:`policykg.loader.statements` turns them into RDF.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from policykg.errors import UserError


class AnnotationError(UserError):
    """A malformed annotation: the message names the file, the statement and the quote."""

    def __init__(self, file: Path | str, item: str | None, problem: str, quote: str | None = None):
        self.file = Path(file)
        self.item = item
        self.problem = problem
        self.quote = quote
        where = f"{self.file.name}" + (f": statement {item}" if item else "")
        said = f" (quote: {quote!r})" if quote else ""
        super().__init__(f"annotation error in {where}{said}: {problem}")


@dataclass(frozen=True)
class Constraint:
    left: str
    op: str
    value: Decimal
    unit: str
    text: str
    period: str | None = None
    basis: str | None = None
    fraction: str | None = None     # "1/3" when the value was written as a fraction


@dataclass(frozen=True)
class DateSpec:
    text: str
    year: int | None = None
    date: str | None = None         # ISO date, when the text gives a day


@dataclass(frozen=True)
class DurationSpec:
    text: str
    years: int | None = None
    months: int | None = None
    days: int | None = None
    approximately: bool = False


@dataclass(frozen=True)
class Relation:
    subject: str
    predicate: str
    object: str


@dataclass(frozen=True)
class NormSpec:
    bearer: tuple[str, ...]
    action: str | None
    objects: tuple[str, ...]
    topics: tuple[str, ...]
    constraints: tuple[Constraint, ...] = ()
    conditions: tuple[Constraint, ...] = ()
    start: DateSpec | None = None
    deadline: DateSpec | None = None
    duration: DurationSpec | None = None


@dataclass(frozen=True)
class Statement:
    """One statement of the policy, anchored to a clause and exact words (not yet located)."""
    id: str
    file: Path
    clause: str
    quote: str
    label_zh: str
    label_en: str
    kind: str                       # "relation" | "norm" | "about"
    relation: Relation | None = None
    norm: NormSpec | None = None
    about: tuple[str, ...] = ()
    modality: str | None = None
    marker: str | None = None
    conditions: tuple[Constraint, ...] = ()   # conditions of a relation statement
    practices: tuple[str, ...] = ()
    note: str | None = None
    reading: str | None = None      # why the grammar or context implies the terms the quote does not name
    named: tuple[tuple[str, str], ...] = ()   # (term, the words of the quote that name it)
    scope: tuple[str, ...] = ()     # scope phrases (逐步, 各…) that limit the statement, exact words
    not_named: tuple[str, ...] = ()  # terms a label of which is in the quote, but not naming them in this role


@dataclass(frozen=True)
class Group:
    """What the text lists in one place, its members (statement ids) in the text's order."""
    id: str
    file: Path
    clause: str
    quote: str
    label_zh: str
    label_en: str
    members: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True)
class Practice:
    slug: str
    file: Path
    type: str
    label_zh: str
    label_en: str
    clause: str
    quote: str
    definition_zh: str | None = None
    definition_en: str | None = None

    @property
    def ref(self) -> str:
        return f"practice:{self.slug}"


@dataclass(frozen=True)
class Entity:
    id: str                          # kind:slug
    file: Path
    type: str
    label_zh: str
    label_en: str
    clause: str
    quote: str
    part_of: str | None = None
    alt_zh: tuple[str, ...] = ()     # short forms people type (skos:altLabel@zh)


@dataclass(frozen=True)
class NotNorm:
    quote: str
    kind: str
    reason: str
    clause: str | None = None
    file: Path | None = None


@dataclass(frozen=True)
class LexicalWord:
    word: str
    reason: str


@dataclass(frozen=True)
class BackgroundFact:
    id: str
    file: Path
    relation: Relation
    label_zh: str
    label_en: str
    source: dict
    note: str | None = None


@dataclass(frozen=True)
class BackgroundEntity:
    """A thing known only from another source (a district set up after the policy), typed and
    labelled in the background graph, never in the statements graph."""
    id: str
    type: str
    label_zh: str
    label_en: str


@dataclass
class Annotations:
    statements: list[Statement] = field(default_factory=list)
    practices: list[Practice] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    not_norms: list[NotNorm] = field(default_factory=list)
    words: list[LexicalWord] = field(default_factory=list)
    background: list[BackgroundFact] = field(default_factory=list)
    background_entities: list[BackgroundEntity] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    def statement(self, statement_id: str) -> Statement:
        for s in self.statements:
            if s.id == statement_id:
                return s
        raise KeyError(statement_id)
