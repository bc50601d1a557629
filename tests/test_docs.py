"""Every example in the documentation runs, and says what it answers.

README.md and docs/*.md (and the ontology's README) show SPARQL queries, most followed by a table of what they
return. Each query is run here on the built dataset with the project's prefixes (the endpoint's union default
graph); where a table follows, the answer is exactly that table — IRIs as prefixed names (the longest matching
namespace winning, so a clause reads art:5), literals by their text, decimals normalised, in order when the query
says ORDER BY — so a query or a table that drifts from the data fails. Python examples that talk to the service are run against the live server and must print
what their trailing comments say.
"""
from __future__ import annotations

import contextlib
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Store

from policykg.ontology.namespaces import PREFIXES, sparql_prologue

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "ontology" / "README.md"]
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _blocks(language: str):
    """(file, index, code, text after the block) for each fenced block in that language."""
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for index, match in enumerate(m for m in FENCE.finditer(text) if m.group(1) == language):
            yield pytest.param(match.group(2), text[match.end():], id=f"{path.relative_to(ROOT)}#{index}")


def _table_after(text: str) -> tuple[list[str], list[list[str]]] | None:
    """The markdown table that follows a block (blank lines allowed between), if any."""
    lines = text.lstrip("\n").splitlines()
    if len(lines) < 3 or not lines[0].startswith("|") or not set(lines[1]) <= set("|-: "):
        return None
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return header, rows


def _compact(term) -> str:
    if isinstance(term, NamedNode):
        candidates = [(ns, p) for p, ns in PREFIXES.items() if term.value.startswith(ns)]
        if candidates:
            ns, prefix = max(candidates, key=lambda c: len(c[0]))
            return f"{prefix}:{term.value[len(ns):]}"
        return term.value
    if isinstance(term, Literal):
        if term.datatype.value.endswith("#decimal"):
            return format(Decimal(term.value).normalize(), "f")
        return term.value
    return str(term)


@pytest.fixture(scope="module")
def store(built_dataset) -> Store:
    store = Store()
    store.load(path=str(built_dataset), format=RdfFormat.TRIG)
    return store


def test_the_docs_hold_examples_to_check():
    # Guards the collection below: a renamed folder or fence must not turn this file into zero tests.
    assert len(list(_blocks("sparql"))) >= 5


@pytest.mark.parametrize("query, after", list(_blocks("sparql")))
def test_sparql_example_runs_and_its_table_is_among_the_answers(store, query, after):
    prologue = "" if "PREFIX" in query else sparql_prologue()
    result = store.query(prologue + query, use_default_graph_as_union=True)
    if isinstance(result, bool):
        return
    names = [v.value for v in result.variables] if hasattr(result, "variables") else None
    answers = list(result)
    if "answers nothing there" in query:
        return  # an example for a register graph: it must run, and says it has nothing to find here
    assert answers, "the example answers nothing on the built dataset"
    table = _table_after(after)
    if table is None or names is None:
        return
    header, rows = table
    missing = [h for h in header if h not in names]
    assert not missing, f"table columns {missing} are not variables of the query {names}"
    found = [tuple(_compact(row[h]) if row[h] is not None else "" for h in header) for row in answers]
    shown = [tuple(row) for row in rows]
    if "ORDER BY" not in query:          # an unordered answer is a bag of rows
        found, shown = sorted(found), sorted(shown)
    assert found == shown


SERVICE_EXAMPLES = [p for p in _blocks("python") if "http://127.0.0.1:8000" in p.values[0]]


def test_the_docs_show_a_client_of_the_service():
    assert SERVICE_EXAMPLES


@pytest.mark.parametrize("code, after", SERVICE_EXAMPLES)
def test_python_example_prints_what_it_says(live_server, code, after):
    code = code.replace("http://127.0.0.1:8000", live_server)
    expected = [line[2:] for line in code.splitlines() if line.startswith("# ")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<docs example>", "exec"), {})
    assert expected and out.getvalue().splitlines() == expected
