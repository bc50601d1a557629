"""`policykg build` and `policykg clauses`: output, formats, and refusal of bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pyoxigraph as ox
import pytest

# Like the `policykg` console script (`python -m policykg.cli` would load cli.py twice,
# as __main__ and as policykg.cli, and UserError would then escape as a traceback).
RUN_CLI = "import sys; from policykg.cli import main; sys.exit(main())"

from policykg.cli import main
from policykg import files as files_module
from policykg.loader.dataset import BUNDLED_SOURCE, write_dataset

GRAPH = "https://w3id.org/policykg/graph/"


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-c", RUN_CLI, *args], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.slow
def test_build_prints_one_summary_line(tmp_path, capsys):
    out = tmp_path / "kg.trig"
    assert main(["build", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "42 units" in lines[0] and "asserted triples" in lines[0] and " s" in lines[0]
    assert out.exists()
    store = ox.Store()
    store.load(path=str(out), format=ox.RdfFormat.TRIG)
    graphs = {str(g.value) for g in store.named_graphs()}
    assert GRAPH + "document" in graphs
    assert [p.name for p in tmp_path.iterdir()] == ["kg.trig"]  # no temporary file left behind


@pytest.mark.parametrize("suffix, fmt", [(".trig", ox.RdfFormat.TRIG), (".nq", ox.RdfFormat.N_QUADS),
                                         (".ttl", ox.RdfFormat.TURTLE), (".jsonld", ox.RdfFormat.JSON_LD)])
@pytest.mark.slow
def test_formats_by_extension(tmp_path, built, suffix, fmt):
    out = write_dataset(built.dataset, tmp_path / f"kg{suffix}")
    quads = list(ox.parse(path=str(out), format=fmt))
    document_triples = len(built.graphs["document"])
    if fmt.supports_datasets:
        in_document_graph = [q for q in quads if str(getattr(q.graph_name, "value", "")) == GRAPH + "document"]
        assert len(in_document_graph) == document_triples
        assert len(quads) == sum(len(g) for g in built.graphs.values())
    else:  # Turtle: the union of the graphs
        assert len(quads) >= document_triples


@pytest.mark.slow
def test_unknown_extension_is_refused(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path / "kg.xml")]) == 2
    assert "unknown output format" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content, problem", [
    (b"", "empty"),
    (b"\x00\x01\x02binary\x00", "binary"),
    (b"\xff\xfe\x80\x81\xfe", "cannot decode"),
    ("没有编号的一段文字。".encode("utf-8"), "no recognisable numbering"),
])
def test_bad_source_fails_cleanly(tmp_path, content, problem):
    source = tmp_path / "bad.txt"
    source.write_bytes(content)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = cli("build", "--source", str(source), "--out", str(out_dir / "kg.trig"))
    assert result.returncode != 0
    assert str(source) in result.stderr and problem in result.stderr
    assert "Traceback" not in result.stderr
    assert list(out_dir.iterdir()) == []  # no output, no temporary file


def test_failed_build_keeps_previous_output(tmp_path, capsys):
    out = tmp_path / "kg.trig"
    out.write_text("previous")
    source = tmp_path / "empty.txt"
    source.write_bytes(b"")
    assert main(["build", "--source", str(source), "--out", str(out)]) == 2
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.txt", "kg.trig"]


@pytest.mark.slow
def test_failed_write_removes_temporary_file(tmp_path, built, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(files_module.os, "replace", broken_replace)   # write_dataset writes through it
    with pytest.raises(OSError):
        write_dataset(built.dataset, tmp_path / "kg.nq")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_several_sources(tmp_path, capsys):
    other = tmp_path / "other-policy.txt"
    other.write_text("某办法\n第一条　为了规范管理，制定本办法。\n第二条　本办法自公布之日起施行。\n", encoding="utf-8")
    out = tmp_path / "kg.nq"
    assert main(["build", "--source", str(BUNDLED_SOURCE), "--source", str(other), "--out", str(out)]) == 0
    assert "2 document(s), 44 units" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert "/id/doc/other-policy/art/2>" in text and "/id/doc/suzhou-2011-community-party-building/art/22>" in text


def test_clauses_json(capsys):
    assert main(["clauses"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 42
    keys = {"iri", "kind", "number", "ordinal", "heading", "text", "start", "end", "parent"}
    assert all(keys <= set(r) for r in rows)
    art3 = next(r for r in rows if r["iri"].endswith("/art/3"))
    assert (art3["kind"], art3["number"], art3["ordinal"], art3["heading"]) == ("article", "3", 3, "建立健全社区党组织")
    assert art3["parent"].endswith("/part/2")
    text = BUNDLED_SOURCE.read_text(encoding="utf-8")
    assert all(text[r["start"]:r["end"]] == r["text"] for r in rows)
    assert sum(r["parent"] is None for r in rows) == 13  # preamble, 8 parts, closing, signature, keywords, imprint


def test_clauses_table_and_base(capsys):
    assert main(["--base", "https://example.org/kg/", "clauses", "--format", "table"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["path", "kind", "number", "heading"]
    assert any(line.startswith("art/4/item/6") for line in out)
    assert len(out) == 43
    assert main(["--base", "https://example.org/kg/", "clauses"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["iri"].startswith("https://example.org/kg/id/doc/")


def test_clauses_bad_source(tmp_path, capsys):
    missing = tmp_path / "missing.txt"
    assert main(["clauses", "--source", str(missing)]) == 2
    assert f"{missing}: no such file" in capsys.readouterr().err
