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


def _fan_outs(annotations):
    """Relation statements that spread one passage's list over several statements: the same clause and quote,
    and the same subject and predicate over several objects (or the same predicate and object over several
    subjects)."""
    from collections import defaultdict
    sets = defaultdict(dict)

    def key(x):
        return x if isinstance(x, str) else tuple(x)

    for s in annotations.statements:
        r = s.relation
        if not r:
            continue
        sets[(s.clause, s.quote, "subject", key(r.subject), r.predicate)][s.id] = key(r.object)
        sets[(s.clause, s.quote, "object", key(r.object), r.predicate)][s.id] = key(r.subject)
    return {k: set(v) for k, v in sets.items() if len(set(v.values())) > 1}


def test_every_list_spread_over_statements_is_one_group():
    # The rule of the annotation README: what one passage lists is one group, so "everything art. N lists"
    # is one query. A new fan-out without its group fails here, naming it.
    from policykg.loader.annotations import ANNOTATIONS_DIR
    annotations = load_annotations(ANNOTATIONS_DIR)
    fan_outs = _fan_outs(annotations)
    assert len(fan_outs) >= 10          # the rule has something to check
    groups = [set(g.members) for g in annotations.groups]
    missing = {k: sorted(ids) for k, ids in fan_outs.items() if not any(ids <= g for g in groups)}
    assert not missing, missing


def test_the_rule_notices_a_fan_out_without_its_group(tmp_path):
    import shutil
    from policykg.loader.annotations import ANNOTATIONS_DIR
    folder = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS_DIR, folder)
    path = folder / "part-3.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- id: a08-two-way-reporting-list", "- id: a08-two-way-reporting-list-gone")
                    .replace("members: [a08-secretary-reports-to-subdistrict-party-working-committee, "
                             "a08-secretary-reports-to-party-member, a08-secretary-reports-to-resident]",
                             "members: [a08-secretary-reports-to-party-member, a08-secretary-reports-to-resident]"),
                    encoding="utf-8")
    annotations = load_annotations(folder)
    groups = [set(g.members) for g in annotations.groups]
    uncovered = [ids for ids in _fan_outs(annotations).values() if not any(ids <= g for g in groups)]
    assert uncovered == [{"a08-secretary-reports-to-subdistrict-party-working-committee",
                          "a08-secretary-reports-to-party-member", "a08-secretary-reports-to-resident"}]


def test_article_19_cost_sharing_is_one_group_in_the_text_s_order(built):
    g = built.graphs["statements"] + built.graphs["interpretation"]
    group = URIRef(GROUP.replace("a10-classified-services-list", "a19-three-districts-cost-sharing-list"))
    members = list(Collection(g, g.value(group, PKG.members)))
    assert len(members) == 9
    starts = [_start(g, m) for m in members]
    assert starts == sorted(starts) and starts[0] < starts[1] < starts[-1]
