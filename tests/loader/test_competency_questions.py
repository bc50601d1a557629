"""Competency questions (Chinese and English) answered by SPARQL over the built dataset.

The questions, their SPARQL and their expected answers are data: tests/loader/competency.yaml.
The dataset is built by the loader, written as TriG and loaded into pyoxigraph, whose union
default graph is what the service queries.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml

from policykg.loader.dataset import build, write_dataset
from policykg.ontology.namespaces import PREFIXES

QUESTIONS = yaml.safe_load((Path(__file__).parent / "competency.yaml").read_text(encoding="utf-8"))
BASE = "https://w3id.org/policykg/"
DOC = BASE + "id/doc/suzhou-2011-community-party-building/"
PROLOGUE = "".join(f"PREFIX {p}: <{i}>\n" for p, i in PREFIXES.items())


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("competency") / "policykg.trig"
    write_dataset(build().dataset, path)
    s = ox.Store()
    s.bulk_load(path=str(path), format=ox.RdfFormat.TRIG)
    return s


def _short(term):
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        v = term.value
        if v.startswith(DOC):
            return "doc:" + v[len(DOC):]
        if v.startswith(PREFIXES["pkg"]):
            return "pkg:" + v[len(PREFIXES["pkg"]):]
        if v.startswith(BASE + "id/"):
            return "id:" + v[len(BASE) + 3:]
        for prefix, iri in PREFIXES.items():
            if v.startswith(iri):
                return f"{prefix}:{v[len(iri):]}"
        return v
    if isinstance(term, ox.Literal):
        if term.datatype.value.endswith("#decimal"):
            return format(Decimal(term.value).normalize(), "f")
        return term.value
    return str(term)


def _rows(store, sparql):
    result = store.query(PROLOGUE + sparql, use_default_graph_as_union=True)
    variables = result.variables
    return [[_short(solution[v]) for v in variables] for solution in result]


def _articles_of(store, value):
    """The article numbers a doc: unit or statement in an answer comes from."""
    if value is None or not str(value).startswith("doc:"):
        return set()
    path = value[4:]
    if path.startswith("statement/"):
        q = f"SELECT ?c WHERE {{ <{DOC}{path}> prov:wasDerivedFrom ?c }}"
        return {n for (c,) in _rows(store, q) for n in _articles_of(store, c)}
    m = re.match(r"art/(\d+)", path)
    return {int(m.group(1))} if m else set()


@pytest.mark.parametrize("question", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_competency_question(store, question):
    rows = _rows(store, question["sparql"])
    got = sorted(map(tuple, rows), key=repr)
    expected = sorted((tuple(r) for r in question["expected"]), key=repr)
    if question.get("match") == "includes":
        missing = [r for r in expected if r not in got]
        assert not missing, f"{question['id']} {question['question_zh']}: missing {missing}"
    else:
        assert got == expected, f"{question['id']} {question['question_zh']}"
    cited = {n for row in rows for value in row for n in _articles_of(store, value)}
    assert cited <= set(question["articles"]), f"answer cites articles {cited - set(question['articles'])} not listed"


def test_questions_are_bilingual_and_numerous():
    own = [q for q in QUESTIONS if q["id"].startswith("KQ")]
    shared = [q for q in QUESTIONS if q["id"].startswith("EX")]
    assert len(own) >= 30 and len(shared) == 20
    assert len({q["id"] for q in QUESTIONS}) == len(QUESTIONS)
    for q in QUESTIONS:
        assert re.search(r"[\u4e00-\u9fff]", q["question_zh"]) and re.search(r"[A-Za-z]{3}", q["question_en"])
        assert q["expected"], q["id"]
