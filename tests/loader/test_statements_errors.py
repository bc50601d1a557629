"""A malformed annotation fails the build with a message naming the file, the statement and the
quote, and leaves the previous artifact untouched (tested through ``policykg build``)."""
from __future__ import annotations

import shutil

import pytest

import policykg.loader.statements as statements_module
from policykg.cli import main
from policykg.loader.annotations import ANNOTATIONS_DIR, AnnotationError, load_annotations

STMT = "a05-cpo-leads-and-guides-rc"
QUOTE = "社区党组织要切实加强对社区居民委员会的领导和指导"


@pytest.fixture
def annotations(tmp_path, monkeypatch):
    """A private copy of the annotation folder that the build reads instead of the bundled one."""
    folder = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS_DIR, folder)
    monkeypatch.setattr(statements_module, "ANNOTATIONS_DIR", folder)
    return folder


def _edit(folder, name, old, new):
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"fixture edit {old!r} not unique in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _build_fails(tmp_path, capsys, *expected):
    out = tmp_path / "policykg.trig"
    previous = b"# the previous artifact\n"
    out.write_bytes(previous)
    status = main(["build", "--out", str(out)])
    err = capsys.readouterr().err
    assert status != 0
    for word in expected:
        assert word in err, f"{word!r} not in error message: {err}"
    assert out.read_bytes() == previous, "the previous artifact was touched"
    assert not [p for p in tmp_path.iterdir() if p.name not in ("policykg.trig", "annotations")], \
        "a temporary file was left behind"
    return err


@pytest.mark.slow
def test_the_bundled_annotations_build(tmp_path, capsys):
    out = tmp_path / "ok.trig"
    assert main(["build", "--out", str(out)]) == 0
    assert "inferred" in capsys.readouterr().out
    assert out.stat().st_size > 100_000


def test_unknown_term_fails(annotations, tmp_path, capsys):
    _edit(annotations, "part-2.yaml", "predicate: leadsAndGuides, object: ResidentsCommittee}",
          "predicate: leadsAndGuidez, object: ResidentsCommittee}")
    _build_fails(tmp_path, capsys, "part-2.yaml", STMT, QUOTE, "leadsAndGuidez")


def test_unknown_constraint_unit_fails(annotations, tmp_path, capsys):
    _edit(annotations, "part-7.yaml", "unit: unitYuanPerPersonYear", "unit: unitYuanPerPersonDay")
    _build_fails(tmp_path, capsys, "part-7.yaml", "a19-work-funds-20-yuan-per-person", "unitYuanPerPersonDay")


def test_missing_quote_fails(annotations, tmp_path, capsys):
    _edit(annotations, "part-2.yaml", f'  quote: "{QUOTE}"\n', "")
    _build_fails(tmp_path, capsys, "part-2.yaml", STMT, "quote")


def test_quote_not_in_the_clause_fails(annotations, tmp_path, capsys):
    _edit(annotations, "part-2.yaml", f"- id: {STMT}\n  clause: art/5\n", f"- id: {STMT}\n  clause: art/6\n")
    err = _build_fails(tmp_path, capsys, "part-2.yaml", STMT, QUOTE, "art/6")
    assert "not in clause" in err


def test_quote_twice_in_the_clause_fails(annotations, tmp_path, capsys):
    _edit(annotations, "part-2.yaml", f'  quote: "{QUOTE}"\n', '  quote: "社区党组织要"\n')
    err = _build_fails(tmp_path, capsys, "part-2.yaml", STMT, "社区党组织要")
    assert "times" in err


def _substring_occurring(text: str, times: int) -> str:
    """The longest substring of ``text`` (up to 12 characters) that occurs exactly ``times`` times in it."""
    for size in range(12, 1, -1):
        for start in range(len(text) - size + 1):
            words = text[start:start + size]
            if text.count(words) == times and words.strip() == words and "\n" not in words and '"' not in words:
                return words
    raise AssertionError(f"no substring occurs exactly {times} times")


@pytest.mark.parametrize("times", [2, 3])
def test_a_quote_found_more_than_once_fails_whatever_the_count(document, annotations, tmp_path, capsys, times):
    # The boundary of "exactly once": a quote found exactly twice must fail as surely as one found three times.
    words = _substring_occurring(document.unit("art/5").text, times)
    _edit(annotations, "part-2.yaml", f'  quote: "{QUOTE}"\n', f'  quote: "{words}"\n')
    err = _build_fails(tmp_path, capsys, "part-2.yaml", STMT, words)
    assert f"occurs {times} times" in err


def test_missing_clause_fails(annotations, tmp_path, capsys):
    _edit(annotations, "part-2.yaml", f"- id: {STMT}\n  clause: art/5\n", f"- id: {STMT}\n  clause: art/55\n")
    _build_fails(tmp_path, capsys, "part-2.yaml", STMT, "art/55")


def test_number_words_not_in_the_quote_fail(annotations, tmp_path, capsys):
    _edit(annotations, "part-4.yaml", "text: 每年召开4次以上}", "text: 每年召开5次以上}")
    _build_fails(tmp_path, capsys, "part-4.yaml", "a11-opinion-meetings-four-a-year", "每年召开5次以上")


def test_missing_label_fails(annotations, tmp_path, capsys):
    _edit(annotations, "part-2.yaml", '  label_zh: "社区党组织领导和指导社区居民委员会"\n', "")
    _build_fails(tmp_path, capsys, "part-2.yaml", STMT, "label_zh")


def test_undeclared_practice_fails(annotations, tmp_path, capsys):
    _edit(annotations, "part-5.yaml", "object: [IncomingFloatingPartyMember, practice:warmth-plan]",
          "object: [IncomingFloatingPartyMember, practice:cold-plan]")
    _build_fails(tmp_path, capsys, "part-5.yaml", "a12-floating-members-warmth-plan", "practice:cold-plan")


def test_duplicate_statement_id_fails(annotations, tmp_path, capsys):
    _edit(annotations, "part-2.yaml", "- id: a05-cpo-actively-leads-workstation\n", f"- id: {STMT}\n")
    _build_fails(tmp_path, capsys, "part-2.yaml", STMT, "duplicate")


def test_invalid_yaml_fails(annotations, tmp_path, capsys):
    (annotations / "part-9.yaml").write_text("statements:\n- id: [unclosed\n", encoding="utf-8")
    _build_fails(tmp_path, capsys, "part-9.yaml", "YAML")


def test_annotation_error_is_a_user_error_naming_file_statement_and_quote(annotations):
    _edit(annotations, "part-2.yaml", "predicate: leadsAndGuides, object: ResidentsCommittee}",
          "predicate: nope, object: ResidentsCommittee}")
    with pytest.raises(AnnotationError) as info:
        load_annotations(annotations)
    err = info.value
    assert err.file.name == "part-2.yaml" and err.item == STMT and err.quote == QUOTE


def test_a_term_the_quote_does_not_name_needs_a_reason(annotations, tmp_path, capsys):
    # art. 5: 支持和保障社区居民委员会… — the object SocialOrganization is not named by this quote,
    # and the statement gives no reading: the build must say which term lacks a reason.
    _edit(annotations, "part-2.yaml", "predicate: leadsAndGuides, object: ResidentsCommittee}",
          "predicate: leadsAndGuides, object: SocialOrganization}")
    _build_fails(tmp_path, capsys, "part-2.yaml", STMT, QUOTE, "does not name SocialOrganization", "reading:")


def test_named_words_must_be_in_the_quote(annotations, tmp_path, capsys):
    _edit(annotations, "part-7.yaml", '  named: {CountyLevelCityFinance: "县级市、区财政"}\n  norm:',
          '  named: {CountyLevelCityFinance: "县级市财政局"}\n  norm:')
    _build_fails(tmp_path, capsys, "part-7.yaml", "a18-funds-in-local-budget", "县级市财政局", "not in the quote")


def test_not_named_needs_a_reason(annotations, tmp_path, capsys):
    # art. 5: 社区党组织 is in the quote; declaring it not named without a reading is refused.
    _edit(annotations, "part-2.yaml", "predicate: leadsAndGuides, object: ResidentsCommittee}",
          "predicate: leadsAndGuides, object: ResidentsCommittee}\n  not_named: [CommunityPartyOrganization]")
    _build_fails(tmp_path, capsys, "part-2.yaml", STMT, QUOTE, "not_named", "reading:")


def test_not_named_must_be_a_term_of_the_statement(annotations, tmp_path, capsys):
    _edit(annotations, "part-2.yaml", "predicate: leadsAndGuides, object: ResidentsCommittee}",
          "predicate: leadsAndGuides, object: ResidentsCommittee}\n  not_named: [SocialOrganization]\n"
          "  reading: \"…\"")
    _build_fails(tmp_path, capsys, "part-2.yaml", STMT, QUOTE, "not_named lists SocialOrganization")


def test_a_not_named_term_moves_to_the_interpretation_graph(built):
    # art. 5: 物业 is in 物业服务纠纷 only, so the property company is read, not stated, as a bearer of
    # resolving property disputes; the three other parties were never in the quote.
    from rdflib import URIRef
    from policykg import iris
    from policykg.ontology.namespaces import PKG
    stmt = URIRef(iris.statement_iri("https://w3id.org/policykg/", "suzhou-2011-community-party-building",
                                     "a05-resolve-property-disputes"))
    asserted, interp = built.graphs["statements"], built.graphs["interpretation"]
    assert set(asserted.objects(stmt, PKG.bearer)) == {PKG.BearerNotStated}
    assert (stmt, PKG.bearer, PKG.PropertyServiceCompany) in interp
