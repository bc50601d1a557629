"""A plain set of triples with the few reads of rdflib's Graph that the build makes.

rdflib's in-memory Graph indexes every triple three ways (about 1.2 KB a triple); a policy text of
10 MB gives over a million document and inferred triples, several GB that way. The command-line
build only adds triples, iterates over them once or twice and asks a handful of questions about
one subject, so it keeps the big graphs in this set instead (about a tenth of the memory). Reads
that name no subject scan the whole set: fine for the few the build makes, wrong for a query loop.
"""
from __future__ import annotations

from typing import Iterable, Iterator


class TripleSet:
    def __init__(self, triples: Iterable[tuple] = ()):
        self._triples: set[tuple] = set(triples)

    def add(self, triple: tuple) -> "TripleSet":
        self._triples.add(triple)
        return self

    def remove(self, triple: tuple) -> None:
        self._triples.discard(triple)

    def __iadd__(self, other: Iterable[tuple]) -> "TripleSet":
        self._triples.update(other)
        return self

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._triples)

    def __len__(self) -> int:
        return len(self._triples)

    def __contains__(self, pattern: tuple) -> bool:
        if None not in pattern:
            return pattern in self._triples
        return next(self.triples(pattern), None) is not None

    def triples(self, pattern: tuple) -> Iterator[tuple]:
        s, p, o = pattern
        for triple in self._triples:
            if (s is None or triple[0] == s) and (p is None or triple[1] == p) and (o is None or triple[2] == o):
                yield triple

    def subjects(self, predicate=None, object=None):   # noqa: A002 - rdflib's parameter names
        return (t[0] for t in self.triples((None, predicate, object)))

    def objects(self, subject=None, predicate=None):
        return (t[2] for t in self.triples((subject, predicate, None)))

    def predicate_objects(self, subject=None):
        return ((t[1], t[2]) for t in self.triples((subject, None, None)))

    def subject_objects(self, predicate=None):
        return ((t[0], t[2]) for t in self.triples((None, predicate, None)))

    def value(self, subject=None, predicate=None, object=None):   # noqa: A002
        return next((t[2] if object is None else t[0] for t in self.triples((subject, predicate, object))), None)
