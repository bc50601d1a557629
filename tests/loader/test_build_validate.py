"""`policykg validate`: the built graph conforms to the shapes; a broken one does not."""
from __future__ import annotations

import pytest

from rdflib import Dataset, URIRef

from policykg.cli import main
from policykg.iris import graph_iri
from policykg.settings import DEFAULT_BASE
from policykg.loader.dataset import build, write_dataset
from policykg.ontology.namespaces import OA


def document_only(tmp_path) -> tuple[Dataset, object]:
    """A dataset holding only the built document graph (validating it alone keeps tests fast;
    the statements graphs are validated by the knowledge tests)."""
    dataset = Dataset()
    document = dataset.graph(URIRef(graph_iri(DEFAULT_BASE, "document")))
    for triple in build().graphs["document"]:
        document.add(triple)
    return dataset, document


@pytest.mark.slow
def test_bundled_document_graph_conforms(tmp_path, capsys):
    dataset, document = document_only(tmp_path)
    out = write_dataset(dataset, tmp_path / "document.trig")
    assert main(["validate", "--data", str(out)]) == 0
    report = capsys.readouterr().out
    assert report.startswith(f"SHACL: conforms ({len(document)} triples, 0 violation(s)")


@pytest.mark.slow
def test_broken_selector_is_reported(tmp_path, capsys):
    dataset, document = document_only(tmp_path)
    broken = next(document.subjects(OA.end, None))
    document.remove((broken, OA.end, None))  # a position selector without its end
    out = write_dataset(dataset, tmp_path / "broken.nq")
    assert main(["validate", "--data", str(out)]) == 1
    report = capsys.readouterr().out
    assert "does NOT conform" in report and str(broken) in report


def test_unreadable_data_file(tmp_path, capsys):
    bad = tmp_path / "bad.trig"
    bad.write_text("this is not trig {", encoding="utf-8")
    assert main(["validate", "--data", str(bad)]) == 2
    assert "cannot read the dataset" in capsys.readouterr().err
