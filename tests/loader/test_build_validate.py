"""`policykg validate`: the built graph conforms to the shapes; a broken one does not."""
from __future__ import annotations

from policykg.cli import main
from policykg.loader.dataset import build, write_dataset
from policykg.ontology.namespaces import OA


def test_bundled_build_conforms(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SHACL: conforms")


def test_broken_selector_is_reported(tmp_path, capsys):
    result = build()
    document = result.dataset.graph(next(g.identifier for g in result.dataset.graphs()
                                         if str(g.identifier).endswith("/graph/document")))
    broken = next(document.subjects(OA.end, None))
    document.remove((broken, OA.end, None))  # a position selector without its end
    out = write_dataset(result.dataset, tmp_path / "broken.nq")
    assert main(["validate", "--data", str(out)]) == 1
    report = capsys.readouterr().out
    assert "does NOT conform" in report and str(broken) in report


def test_unreadable_data_file(tmp_path, capsys):
    bad = tmp_path / "bad.trig"
    bad.write_text("this is not trig {", encoding="utf-8")
    assert main(["validate", "--data", str(bad)]) == 2
    assert "cannot read the dataset" in capsys.readouterr().err
