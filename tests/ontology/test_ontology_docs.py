"""``policykg docs`` renders human-readable documentation that lists every class, property and
concept of the ontology."""
from __future__ import annotations

import html
import re

import pytest

from ontology_support import own_classes, own_concepts, own_properties
from policykg.cli import main
from policykg.ontology import ontology_graph
from policykg.ontology.docs import generate_docs


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    result = generate_docs(out)
    assert {p.name for p in result.files} == {"index.html", "schemes.html", "policykg.ttl", "shapes.ttl"}
    return out


@pytest.mark.slow
def test_pylode_page_lists_every_class_and_property(docs_dir):
    page = (docs_dir / "index.html").read_text(encoding="utf-8")
    g = ontology_graph()
    terms = own_classes(g) | own_properties(g)
    assert len(terms) > 150
    missing = [t for t in terms if f"<code>{t}</code>" not in page]
    assert missing == []
    # Chinese labels and definitions are shown, not only IRIs.
    assert "居民委员会" in page and "民主选举、民主决策、民主管理和民主监督" in page
    assert page.lstrip().lower().startswith("<!doctype html") or "<html" in page[:500].lower()
    assert 'href="schemes.html"' in page


def test_schemes_page_lists_every_concept_with_labels(docs_dir):
    page = (docs_dir / "schemes.html").read_text(encoding="utf-8")
    g = ontology_graph()
    for concept in own_concepts(g):
        local = str(concept).rsplit("/", 1)[-1]
        assert f'id="{local}"' in page, local
    for label in ("严格义务", "原则上", "不得", "经费保障", "元/人·年"):
        assert html.escape(label) in page
    # The documented chain queries and the punning note are part of the page.
    assert "responsibilityFlowsTo+" in page
    assert "punning" in page


def test_turtle_copies_parse(docs_dir):
    from rdflib import Graph
    assert len(Graph().parse(docs_dir / "policykg.ttl")) == len(ontology_graph())
    assert len(Graph().parse(docs_dir / "shapes.ttl")) > 100


@pytest.mark.slow
def test_cli_docs_command(tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["docs", "--out", str(out)]) == 0
    summary = capsys.readouterr().out
    assert re.search(r"wrote 4 files to .*: \d+ classes, \d+ properties, \d+ concepts", summary)
    assert (out / "index.html").stat().st_size > 100_000


@pytest.mark.slow
def test_cli_check_ontology_command(tmp_path, capsys):
    from ontology_support import GOOD_STATEMENTS
    data = tmp_path / "good.ttl"
    data.write_text(GOOD_STATEMENTS, encoding="utf-8")
    status = main(["check-ontology", str(data)])
    out = capsys.readouterr().out
    if "java is not installed" in out:
        pytest.skip("HermiT needs Java")
    assert status == 0, out
    assert "consistent, no unsatisfiable class" in out and "SHACL: conforms" in out
    bad = tmp_path / "bad.ttl"
    bad.write_text(GOOD_STATEMENTS.replace("pkg:bearer pkg:DistrictFinance ;", ""), encoding="utf-8")
    assert main(["check-ontology", "--no-reasoner", str(bad)]) == 1
    assert "pkg:bearer" in capsys.readouterr().out


def test_the_page_is_titled_with_the_ontology_title_alone(docs_dir):
    from rdflib import URIRef
    from rdflib.namespace import DCTERMS

    from policykg.ontology import ONTOLOGY_IRI, ontology_graph

    titles = {t.language: str(t) for t in ontology_graph().objects(URIRef(ONTOLOGY_IRI), DCTERMS.title)}
    page = (docs_dir / "index.html").read_text(encoding="utf-8")
    expected = f"{titles['zh']} · {titles['en']}"
    assert f"<title>{expected}</title>" in page and f"<h1>{expected}</h1>" in page
    # pyLODE ran every concept scheme's title into the heading; none is left there
    assert page.count("<h1>") == 1 and "modality scheme" not in page.split("<h1>", 1)[1].split("</h1>", 1)[0]
