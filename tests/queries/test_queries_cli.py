"""`policykg query` and `policykg graph` from the shell."""
from __future__ import annotations

import pytest

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx

from policykg.ontology.namespaces import PKG_URI
from policykg.queries.commands import format_table

ROOT = Path(__file__).resolve().parents[2]


# The installed console script (``python -m policykg.cli`` imports the CLI twice, so its
# UserError class would not be the one subcommands raise).
POLICYKG = str(Path(sys.executable).parent / "policykg")


def run(*args):
    return subprocess.run([POLICYKG, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_list_shows_every_question():
    proc = run("query", "--list")
    assert proc.returncode == 0
    for name in ("leaders_of", "duties", "numeric_norms", "search", "toc"):
        assert name in proc.stdout
    assert "谁领导" in proc.stdout


@pytest.mark.slow
def test_table_json_and_csv(built_dataset):
    table = run("query", "toc", "--param", "kind=article", "--data", str(built_dataset))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:1] == ["unit_kind"] and len(lines) == 2 + 22
    assert "第19条" in table.stdout
    as_json = json.loads(run("query", "toc", "-p", "kind=article", "-f", "json", "--data", str(built_dataset)).stdout)
    assert len(as_json) == 22 and as_json[0]["article"] == "1"
    as_csv = list(csv.DictReader(io.StringIO(run("query", "search", "-p", "q=述职", "-f", "csv",
                                                 "--data", str(built_dataset)).stdout)))
    assert as_csv[0]["article"] == "8"


@pytest.mark.slow
def test_ask_and_errors(built_dataset):
    proc = run("query", "--ask", "第4条第3项说了什么", "--data", str(built_dataset))
    assert proc.returncode == 0 and "领导居民委员会" in proc.stdout
    missing = run("query", "leaders_of", "--data", str(built_dataset))
    assert missing.returncode == 2 and "needs parameter 'actor'" in missing.stderr
    ambiguous = run("query", "leaders_of", "-p", "actor=委员会", "--data", str(built_dataset))
    assert ambiguous.returncode == 2 and "居民委员会" in ambiguous.stderr
    bad = run("query", "leaders_of", "-p", "actor", "--data", str(built_dataset))
    assert bad.returncode == 2 and "NAME=VALUE" in bad.stderr


@pytest.mark.slow
def test_graph_export(built_dataset, tmp_path):
    out = tmp_path / "actors.graphml"
    proc = run("graph", "--format", "graphml", "--out", str(out), "--data", str(built_dataset))
    assert proc.returncode == 0, proc.stderr
    g = nx.read_graphml(out, force_multigraph=True)
    assert g.number_of_edges() > 0 and f"{g.number_of_nodes()} actors" in proc.stdout
    as_json = json.loads(run("graph", "-f", "json", "--scope", "responsibility", "--data", str(built_dataset)).stdout)
    assert as_json["edges"]


def test_tables_shorten_the_iris_of_the_base_given():
    from_default = format_table([{"who": "https://w3id.org/policykg/id/agent/a", "term": f"{PKG_URI}ResidentsCommittee"}],
                                ["who", "term"])
    assert "id:agent/a" in from_default and "pkg:ResidentsCommittee" in from_default
    own = format_table([{"who": "https://example.org/kg/id/agent/a",
                         "clause": "https://example.org/kg/id/doc/d/art/1"}], ["who", "clause"],
                       base="https://example.org/kg/")
    assert "id:agent/a" in own and "example.org" not in own
    assert "clause" not in own    # a column of document IRIs only is left out, whatever the base


@pytest.mark.slow
def test_query_honours_the_global_base(tmp_path):
    out = tmp_path / "other-base.trig"
    built = run("--base", "https://example.org/kg/", "build", "--out", str(out))
    assert built.returncode == 0, built.stderr
    proc = run("--base", "https://example.org/kg/", "query", "toc", "-p", "kind=article", "--data", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "第19条" in proc.stdout
    assert "example.org" not in proc.stdout and "w3id.org" not in proc.stdout
