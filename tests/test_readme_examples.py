"""Every SPARQL example of README.md runs on the built dataset (the endpoint's union default graph,
with the project's prefixes declared as /sparql declares them), and where the README shows the
answer as a table right below the query, the answer is exactly that table (IRIs as prefixed names,
the longest matching namespace winning, so a clause reads art:5)."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from policykg.loader.dataset import build, write_dataset
from policykg.ontology.namespaces import PREFIXES, sparql_prologue

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"```sparql\n(?P<query>.*?)```\n", re.S)


def _examples(text: str) -> list[tuple[str, str | None]]:
    """(query, the table right below it or None): a table follows after at most one blank line."""
    out = []
    for m in BLOCK.finditer(text):
        rest = text[m.end():].lstrip("\n").splitlines()
        table = []
        for line in rest:
            if not line.startswith("|"):
                break
            table.append(line)
        out.append((m.group("query"), "\n".join(table) if table else None))
    return out


EXAMPLES = _examples(README)


def _short(term) -> str:
    if isinstance(term, ox.NamedNode):
        best = max(((p, ns) for p, ns in PREFIXES.items() if term.value.startswith(ns)),
                   key=lambda pn: len(pn[1]), default=None)
        return f"{best[0]}:{term.value[len(best[1]):]}" if best else term.value
    if isinstance(term, ox.Literal) and term.datatype.value.endswith("#decimal"):
        return format(Decimal(term.value).normalize(), "f")
    return term.value if term is not None else ""


def _table(text: str) -> list[tuple[str, ...]]:
    lines = [line.strip().strip("|").split("|") for line in text.strip().splitlines()]
    return [tuple(cell.strip() for cell in line) for line in lines[2:]]   # header and --- rule dropped


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("readme") / "policykg.trig"
    write_dataset(build().dataset, path)
    s = ox.Store()
    s.bulk_load(path=str(path), format=ox.RdfFormat.TRIG)
    return s


def test_the_readme_has_examples_with_answers():
    assert len(EXAMPLES) >= 5
    assert sum(1 for _, table in EXAMPLES if table) >= 3


@pytest.mark.parametrize("query, table", EXAMPLES, ids=[f"example-{i + 1}" for i in range(len(EXAMPLES))])
def test_readme_example_runs_and_gives_the_answer_shown(store, query, table):
    prologue = "" if "PREFIX" in query else sparql_prologue()
    result = store.query(prologue + query, use_default_graph_as_union=True)
    rows = [tuple(_short(solution[v]) for v in result.variables) for solution in result]
    assert rows, query
    if table:
        shown = _table(table)
        if "ORDER BY" not in query:      # an unordered answer is a set of rows
            rows, shown = sorted(rows), sorted(shown)
        assert rows == shown, query
