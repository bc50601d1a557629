"""Enumerations: what one clause lists is one pkg:StatementGroup, its members in the text's order
(an RDF list) whatever their kind, and a group naming an unknown member refuses to build."""
from __future__ import annotations

from rdflib import URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, RDF

from policykg.loader.annotations import AnnotationError, load_annotations
from policykg.ontology.namespaces import OA, PKG

GROUP = "https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/a10-classified-services-list"


def _start(g, stmt):
    for sel in g.objects(g.value(stmt, OA.hasTarget), OA.hasSelector):
        if (sel, RDF.type, OA.TextPositionSelector) in g:
            return int(g.value(sel, OA.start))
    raise AssertionError(f"{stmt} has no position")


def test_article_10_lists_five_services_in_the_text_s_order(built):
    asserted = built.graphs["statements"]
    policy = asserted + built.graphs["interpretation"]
    group = URIRef(GROUP)
    assert (group, RDF.type, PKG.StatementGroup) in asserted
    members = list(Collection(asserted, asserted.value(group, PKG.members)))
    assert [str(m).rsplit("/", 1)[-1] for m in members] == [
        "a10-serves-residents", "a10-serves-units-in-area", "a10-serves-unemployed",
        "a10-serves-people-in-difficulty", "a10-serves-migrants"]
    assert set(members) == set(asserted.objects(group, DCTERMS.hasPart))
    starts = [_start(policy, m) for m in members]
    assert starts == sorted(starts)
    group_start = _start(asserted, group)
    assert all(s >= group_start for s in starts)
    objects = {policy.value(m, RDF.object) for m in members}
    assert {PKG.UnemployedPerson, PKG.PersonInDifficulty, PKG.NonLocalPerson} <= objects


def test_a_group_member_must_be_a_statement(tmp_path):
    import shutil
    from policykg.loader.annotations import ANNOTATIONS_DIR
    folder = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS_DIR, folder)
    path = folder / "part-4.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("a10-serves-migrants]", "a10-serves-martians]"),
                    encoding="utf-8")
    try:
        load_annotations(folder)
    except AnnotationError as err:
        assert "a10-serves-martians" in str(err) and "part-4.yaml" in str(err)
    else:
        raise AssertionError("an unknown member was accepted")


def test_article_4_lists_its_six_duties_as_one_group(built):
    g = built.graphs["statements"]
    group = URIRef(GROUP.replace("a10-classified-services-list", "a04-six-duties-list"))
    members = list(Collection(g, g.value(group, PKG.members)))
    assert len(members) == 6
    assert [_start(g, m) for m in members] == sorted(_start(g, m) for m in members)
    assert all((m, RDF.type, PKG.Norm) in g for m in members)
