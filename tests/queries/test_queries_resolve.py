"""Names to IRIs (policykg.queries.resolve) over a small dataset written for it: the scores of each way of
matching a name at its boundaries, when a name means one entity, the errors users get, and clause names."""
from __future__ import annotations

import threading
import time

import pytest

from policykg.ontology.namespaces import PREFIXES, turtle_prologue
from policykg.queries.library import ParameterError
from policykg.queries.resolve import Entity, Resolver, normalize
from policykg.store.backend import OxigraphStore

BASE = "http://example.org/kg/"
PKG = PREFIXES["pkg"]
DOC = f"{BASE}id/doc/d"
LONG = "关于进一步加强和改进城市社区党的建设工作的若干意见实施细则"      # 29 characters

DATA = turtle_prologue() + f"""
@prefix b: <{BASE}> .
<{BASE}graph/ontology> {{
  pkg:ResidentsCommittee rdfs:subClassOf org:Organization ;
      rdfs:label "社区居民委员会"@zh , "Residents' Committee"@en ; skos:altLabel "居委会"@zh .
  pkg:PartyOrganization rdfs:subClassOf org:Organization ; rdfs:label "党组织"@zh .
  pkg:CommunityPartyOrganization rdfs:subClassOf pkg:PartyOrganization ; rdfs:label "社区党组织"@zh .
  pkg:Secretary rdfs:subClassOf org:Post ; rdfs:label "书记"@zh .
  pkg:Funding skos:inScheme pkg:TopicScheme ; rdfs:label "经费保障"@zh , "funding"@en .
  pkg:Obligation skos:inScheme pkg:ModalityScheme ; rdfs:label "义务"@zh .
  pkg:leads a owl:ObjectProperty ; rdfs:label "领导"@zh .
  <http://other.example/leads> a owl:ObjectProperty ; rdfs:label "他处的领导"@zh .
  pkg:LongName skos:inScheme pkg:TopicScheme ; rdfs:label "{LONG}"@zh .
  pkg:Twin1 skos:inScheme pkg:TopicScheme ; rdfs:label "双生甲"@zh ; skos:altLabel "双生丙"@zh .
  pkg:Twin2 skos:inScheme pkg:TopicScheme ; rdfs:label "双生乙"@zh .
  pkg:EnglishOnly skos:inScheme pkg:TopicScheme ; rdfs:label "English only"@en .
  pkg:Many01 rdfs:label "候选一号"@zh . pkg:Many02 rdfs:label "候选二号"@zh . pkg:Many03 rdfs:label "候选三号"@zh .
  pkg:Many04 rdfs:label "候选四号"@zh . pkg:Many05 rdfs:label "候选五号"@zh . pkg:Many06 rdfs:label "候选六号"@zh .
  pkg:Many07 rdfs:label "候选七号"@zh . pkg:Many08 rdfs:label "候选八号"@zh . pkg:Many09 rdfs:label "候选九号"@zh .
  pkg:Many10 rdfs:label "候选十号"@zh . pkg:Many11 rdfs:label "候选末号"@zh .
  pkg:Hans skos:inScheme pkg:TopicScheme ; rdfs:label "简体"@zh-Hans , "simplified"@en .
  pkg:Quiet skos:inScheme pkg:TopicScheme ; rdfs:label "？"@zh ; skos:altLabel "安静"@zh .
  pkg:Branch skos:inScheme pkg:TopicScheme ; rdfs:label "支"@zh .
  pkg:LongerLabel skos:inScheme pkg:TopicScheme ; rdfs:label "甲乙丙丁"@zh ; skos:altLabel "分部"@zh .
  pkg:ShortLabel skos:inScheme pkg:TopicScheme ; rdfs:label "甲乙"@zh ; skos:altLabel "分部"@zh .
}}
<{BASE}graph/statements> {{
  b:id\\/task\\/building a pkg:Task ; skos:prefLabel "城市社区党组织建设"@zh ; skos:altLabel "社区党建"@zh .
  b:id\\/agent\\/office rdfs:label "街道办事处"@zh .
  b:id\\/agent\\/grid rdfs:label "网格"@zh .
  b:id\\/agent\\/person a foaf:Person ; rdfs:label "张三"@zh .
  <{DOC}/statement/s1> a pkg:RelationStatement ; rdfs:label "街道办事处指导社区居民委员会"@zh ;
      rdf:subject b:id\\/agent\\/office ; rdf:object pkg:ResidentsCommittee .
  <{DOC}/statement/n1> a pkg:Norm ; pkg:bearer pkg:Funding .
  <{DOC}/statement/r1> a pkg:Norm ; pkg:bearer b:id\\/agent\\/grid .
  <{DOC}/statement/x1> a pkg:PolicyStatement ; rdf:subject pkg:Obligation .
  <http://unlabelled.example/a> pkg:mentions <http://unlabelled.example/b> .
}}
<{BASE}graph/document> {{
  <{DOC}/preamble> pkg:subdivisionType pkg:subdivisionPreamble ; pkg:sequence 1 ; pkg:text "序言的话" ;
      rdfs:label "序言"@zh .
  <{DOC}/part/2> pkg:subdivisionType pkg:subdivisionPart ; pkg:ordinal 2 ; pkg:sequence 2 ; pkg:text "二、部分" .
  <{DOC}/part/2/para/1> pkg:subdivisionType pkg:subdivisionParagraph ; pkg:sequence 3 ;
      eli:is_part_of <{DOC}/part/2> ; pkg:text "部分的段" .
  <{DOC}/art/3> pkg:subdivisionType pkg:subdivisionArticle ; eli:number "3" ; pkg:ordinal 3 ; pkg:sequence 4 ;
      eli:is_part_of <{DOC}/part/2> ; pkg:heading "第三条的标题" ; pkg:text "第三条的话" .
  <{DOC}/art/4> pkg:subdivisionType pkg:subdivisionArticle ; eli:number "4" ; pkg:ordinal 4 ; pkg:sequence 5 ;
      eli:is_part_of <{DOC}/part/2> ; pkg:text "第四条的话" .
  <{DOC}/art/4/item/3> pkg:subdivisionType pkg:subdivisionItem ; pkg:ordinal 3 ; pkg:sequence 6 ;
      eli:is_part_of <{DOC}/art/4> ; pkg:text "第三项的话" .
  <{DOC}/art/19> pkg:subdivisionType pkg:subdivisionArticle ; pkg:ordinal 19 ; pkg:sequence 7 ;
      pkg:text "第十九条的话" ; pkg:hasTextSegment <{DOC}/art/19#text> .
  <{DOC}/art/19/item/2> pkg:subdivisionType pkg:subdivisionItem ; pkg:ordinal 2 ; pkg:sequence 7 ;
      eli:is_part_of <{DOC}/art/19> .
  <{DOC}/art/19#text> oa:hasSelector <{DOC}/art/19#position> .
  <{DOC}/art/19#position> oa:start 100 ; oa:end 106 .
  <{DOC}/art/20> pkg:subdivisionType pkg:subdivisionArticle ; eli:number "20" ; pkg:ordinal 20 ; pkg:sequence 8 ;
      pkg:heading "标题甲" , "标题乙" .
  <{DOC}/chapter/3> pkg:subdivisionType pkg:subdivisionChapter ; eli:number "3" ; pkg:sequence 9 .
  <{DOC}/closing> pkg:subdivisionType pkg:subdivisionClosing ; pkg:sequence 10 ; pkg:text "结语的话" .
  <{DOC}/annex> pkg:subdivisionType pkg:Annex .
  <http://elsewhere.example/units/a> pkg:subdivisionType pkg:subdivisionParagraph ; pkg:sequence 98 .
  <{BASE}id/doc/e/art/3> pkg:subdivisionType pkg:subdivisionArticle ; eli:number "33" ; pkg:sequence 99 .
}}
<{BASE}graph/background> {{
  b:id\\/agent\\/gusu rdfs:label "姑苏区"@zh .
  b:id\\/background\\/merged rdf:subject b:id\\/agent\\/canglang ; rdf:object b:id\\/agent\\/gusu .
  b:id\\/agent\\/row-1 a pkg:CommunityPartyOrganization ; rdfs:label "第1社区党组织"@zh .
  pkg:Secretary rdfs:label "书记"@zh .
}}
"""

RC, CPO, PO = PKG + "ResidentsCommittee", PKG + "CommunityPartyOrganization", PKG + "PartyOrganization"
FUNDING, LONG_NAME = PKG + "Funding", PKG + "LongName"
TASK, OFFICE, GRID, PERSON = (f"{BASE}id/task/building", f"{BASE}id/agent/office", f"{BASE}id/agent/grid",
                              f"{BASE}id/agent/person")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("resolve") / "data.trig"
    path.write_text(DATA, encoding="utf-8")
    return OxigraphStore.from_file(path, BASE)


@pytest.fixture(scope="module")
def resolver(store):
    return Resolver(store, BASE)


def _scores(resolver, name, kind=None):
    return {c["iri"]: (c["score"], c["matched"]) for c in resolver.candidates(name, kind)}


# -- what is read from the graph --------------------------------------------------------------------------------

def test_each_entity_gets_the_kinds_the_graph_gives_it(resolver):
    kinds = {iri: resolver.entities[iri].kinds for iri in (RC, CPO, PKG + "Secretary", FUNDING, PKG + "Obligation",
                                                             PKG + "leads", TASK, OFFICE, GRID, PERSON)}
    assert kinds == {RC: {"actor"}, CPO: {"actor"}, PKG + "Secretary": {"actor"}, FUNDING: {"topic"},
                     PKG + "Obligation": {"modality"}, PKG + "leads": {"relation"}, TASK: {"task"},
                     OFFICE: {"actor"}, GRID: {"actor"}, PERSON: {"actor"}}
    # A property outside pkg: is no relation the service speaks of.
    assert resolver.entities["http://other.example/leads"].kinds == set()


def test_statements_and_clauses_are_not_entities(resolver):
    assert not [iri for iri in resolver.entities if "/statement/" in iri or "/id/doc/" in iri]
    assert f"{DOC}/statement/s1" not in resolver.entities and f"{DOC}/preamble" not in resolver.entities


def test_labels_come_first_then_short_forms_and_the_first_label_per_language_is_kept(resolver):
    assert resolver.names_of(RC)[-1] == "居委会"
    assert set(resolver.names_of(RC)) == {"社区居民委员会", "Residents' Committee", "居委会"}
    assert resolver.names_of("urn:nothing") == []
    assert resolver.label(TASK) == "城市社区党组织建设"
    assert resolver.label(RC, "en") == "Residents' Committee"
    assert resolver.label("urn:nothing") is None


def test_the_chinese_label_falls_back_to_simplified_then_english():
    assert Entity("x", {"zh-hans": "简", "en": "e"}).label_zh == "简"
    assert Entity("x", {"": "plain", "en": "e"}).label_zh == "plain"
    assert Entity("x", {"en": "e"}).label_zh == "e"


def test_a_language_tag_is_read_in_any_case(resolver):
    assert resolver.label(PKG + "Hans") == "简体"
    assert resolver.label(PKG + "EnglishOnly") == "English only"


def test_things_only_the_background_names_are_known_as_such(resolver):
    assert resolver.background_only == {f"{BASE}id/agent/gusu"}


def test_a_register_row_in_the_background_is_not_read(resolver):
    """The background's rows that no statement names (a province's register: millions) are not read
    into the resolver, so that its memory does not grow with the data; what a statement names is."""
    assert f"{BASE}id/agent/row-1" not in resolver.entities
    assert f"{BASE}id/agent/row-1" not in {c["iri"] for c in resolver.candidates("第1社区党组织")}
    assert resolver.entities[f"{BASE}id/agent/gusu"].label_zh == "姑苏区"


def test_what_is_built_per_state_is_built_once(resolver):
    made = []
    first = resolver.per_state("thing", lambda: made.append(1) or object())
    assert resolver.per_state("thing", lambda: made.append(1) or object()) is first
    assert resolver.per_state("other", lambda: "x") == "x"
    assert made == [1]



def test_what_is_built_per_state_is_built_once_when_many_ask_at_once(resolver):
    # A fresh server process meets a burst of questions: every thread waits for the one build
    # instead of making its own (each takes seconds of CPU and a hundred MB).
    made = []

    def make():
        made.append(threading.get_ident())
        time.sleep(0.2)   # long enough for every other thread to arrive while it builds
        return object()

    got = []
    threads = [threading.Thread(target=lambda: got.append(resolver.per_state("slow", make))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(made) == 1 and len(got) == 8 and len({id(value) for value in got}) == 1
    # another name is not held up by a build in progress
    assert resolver.per_state("quick", lambda: "q") == "q"

# -- names and IRIs -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, iri", [
    (RC, RC),
    (f"<{RC}>", RC),
    (f" <{RC}> ", RC),
    ("pkg:ResidentsCommittee", RC),
    ("/id/agent/office", OFFICE),
    ("http://other.example/x", "http://other.example/x"),
    ("pkg://host/x", "pkg://host/x"),        # a scheme, not a prefixed name
    ("unknown:thing", None),
    ("居委会", None),
    ("<http://bad iri>", None),
    ("<http://other.example/x", None),     # half bracketed: not an IRI
])
def test_expand_iri(resolver, value, iri):
    assert resolver.expand_iri(value) == iri


def test_normalize_folds_width_case_spaces_quotes_and_trailing_punctuation():
    assert normalize("  “社区 居委会”？ ") == "社区居委会"
    assert normalize("ＡＢＣ　d!") == "abcd"
    assert normalize("《党组织》。") == "党组织"
    assert normalize("?!。") == ""


# -- scores -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, iri, score", [
    (RC, RC, 100), (f"<{RC}>", RC, 100), ("pkg:ResidentsCommittee", RC, 100),
    ("ResidentsCommittee", RC, 100), ("residentscommittee", RC, 100),
    ("社区居民委员会", RC, 90), ("simplified", PKG + "Hans", 90), ("居委会", RC, 85),
    ("社区居民", RC, 57),          # the start of a label: 60 less the 3 characters missing
    ("社区居民委员", RC, 59),
    ("居民委员", RC, 47),          # inside a label: 50 less the 3 characters missing
    ("民委员", RC, 46),
    ("社区居民委员会的", RC, 39),   # a label inside the name: 40 less the 1 character too many
    ("社区居民委员会的人", RC, 38),  # 2 characters too many: still a match
    ("书记们", PKG + "Secretary", 39),  # a two-character label inside the name
])
def test_each_way_of_matching_scores_as_documented(resolver, name, iri, score):
    assert _scores(resolver, name)[iri][0] == score


@pytest.mark.parametrize("name", ["社区居民委员会的人们", "居"])
def test_no_match_beyond_two_extra_characters_or_from_one_character(resolver, name):
    # 3 characters more than a label is another name; one character alone starts or sits in too many labels.
    assert RC not in _scores(resolver, name)


def test_a_one_character_label_inside_a_name_is_no_match(resolver):
    assert PKG + "Branch" not in _scores(resolver, "支部")


def test_a_name_that_normalizes_to_nothing_is_skipped_not_the_end_of_the_names(resolver):
    assert resolver.resolve_one("安静")["iri"] == PKG + "Quiet"


def test_of_equal_scores_the_first_name_is_the_one_matched(resolver):
    assert _scores(resolver, "双生")[PKG + "Twin1"] == (59, "双生甲")


def test_of_equal_scores_the_shorter_label_ranks_first(resolver):
    assert [c["iri"] for c in resolver.candidates("分部")] == [PKG + "ShortLabel", PKG + "LongerLabel"]


def test_a_two_character_name_matches_the_start_and_the_inside_of_labels(resolver):
    assert _scores(resolver, "社区")[RC] == (60 - 5, "社区居民委员会")
    assert _scores(resolver, "委员")[RC] == (50 - 5, "社区居民委员会")


def test_partial_scores_lose_at_most_twenty_points_for_a_long_label(resolver):
    assert _scores(resolver, LONG[:2])[LONG_NAME] == (40, LONG)          # 27 missing, counted as 20
    assert _scores(resolver, LONG[1:3])[LONG_NAME] == (30, LONG)
    assert _scores(resolver, LONG[:8])[LONG_NAME] == (60 - 20, LONG)     # 21 missing
    assert _scores(resolver, LONG[:9])[LONG_NAME] == (60 - 20, LONG)     # 20 missing
    assert _scores(resolver, LONG[:10])[LONG_NAME] == (60 - 19, LONG)    # 19 missing


def test_the_local_name_matches_only_in_the_pkg_namespace(resolver):
    assert "http://other.example/leads" not in _scores(resolver, "leads")
    assert _scores(resolver, "leads")[PKG + "leads"] == (100, PKG + "leads")


def test_candidates_are_ranked_by_score_then_shorter_label_then_iri(resolver):
    ranked = resolver.candidates("双生")
    assert [c["iri"] for c in ranked] == [PKG + "Twin1", PKG + "Twin2"]
    assert [c["score"] for c in ranked] == [59, 59]
    ranked = resolver.candidates("党组织")
    assert [(c["iri"], c["score"]) for c in ranked] == [(PO, 90), (CPO, 50 - 2), (TASK, 50 - 6)]
    ranked = resolver.candidates("组织")
    assert [(c["iri"], c["score"]) for c in ranked] == [(PO, 50 - 1), (CPO, 50 - 3), (TASK, 50 - 7)]


def test_an_ambiguous_name_lists_ten_candidates_at_most(resolver):
    assert len(resolver.candidates("候选")) == 10
    with pytest.raises(ParameterError) as error:
        resolver.resolve_one("候选")
    assert error.value.code == "ambiguous" and len(error.value.candidates) == 10


def test_candidates_keep_a_limit_and_a_kind(resolver):
    assert len(resolver.candidates("社区", limit=1)) == 1
    assert {c["iri"] for c in resolver.candidates("社区", kind="task")} == {TASK}
    assert {c["iri"] for c in resolver.candidates("社区", kind="actor")} == {RC, CPO}
    assert {c["iri"] for c in resolver.candidates("社区", kind="entity")} == {RC, CPO, TASK, LONG_NAME}
    assert resolver.candidates("？") == []


def test_a_candidate_says_what_it_is_and_how_it_matched(resolver):
    assert resolver.candidates("居委会")[0] == {"iri": RC, "label_zh": "社区居民委员会",
                                               "label_en": "Residents' Committee", "kinds": ["actor"],
                                               "score": 85, "matched": "居委会"}


# -- one entity, or an error naming the parameter -------------------------------------------------------------

@pytest.mark.parametrize("scores, picked", [
    ([], None),
    ([40], 0),                 # the only candidate, however weak
    ([85, 85], None),          # two equally good
    ([85, 84], 0),             # an exact short form is enough
    ([84, 80], None),          # not exact, and not 10 ahead
    ([84, 74], 0),             # 10 ahead
    ([84, 75], None),          # 9 ahead
    ([90, 90, 50], None),
])
def test_pick(scores, picked):
    found = [{"iri": f"urn:{i}", "score": s} for i, s in enumerate(scores)]
    assert Resolver.pick(found) == (None if picked is None else found[picked])


def test_a_name_resolves_to_the_one_entity_it_means(resolver):
    assert resolver.resolve_one("居委会", "actor")["iri"] == RC
    assert resolver.resolve_one("社区党建")["iri"] == TASK
    assert resolver.resolve_one("经费", "topic")["iri"] == FUNDING


def test_an_iri_with_no_name_resolves_when_the_data_uses_it(resolver):
    for iri in ("http://unlabelled.example/a", "http://unlabelled.example/b"):   # as subject, as object
        assert resolver.resolve_one(f"<{iri}>") == {"iri": iri, "label_zh": None, "label_en": None, "kinds": [],
                                                    "score": 100}
        assert resolver.resolve_one(iri, "entity")["iri"] == iri
    with pytest.raises(ParameterError) as error:   # an actor must be one
        resolver.resolve_one("<http://unlabelled.example/a>", "actor", "actor")
    assert error.value.code == "not_found"
    with pytest.raises(ParameterError):
        resolver.resolve_one("<http://unlabelled.example/never-used>")


def test_a_name_nothing_matches_is_not_found_with_suggestions(resolver):
    with pytest.raises(ParameterError) as error:
        resolver.resolve_one("居民组织", "actor", "who")
    e = error.value
    assert e.code == "not_found" and e.parameter == "who"
    assert e.message == "no actor is called '居民组织'; did you mean one of the candidates?"
    # 居民组织 shares 居民 or 组织 (2 characters each) with these actors; the order is by overlap, then IRI.
    assert [c["iri"] for c in e.candidates] == [CPO, PO, RC]
    assert [c["iri"] for c in resolver.suggest("居民委员社区党组织", "actor")] == [RC, CPO, PO]   # 6, 5, 3 shared


def test_a_name_sharing_one_character_gets_no_suggestion(resolver):
    with pytest.raises(ParameterError) as error:
        resolver.resolve_one("经济", "topic", "topic")     # 经 of 经费保障 only
    assert error.value.message == "no topic is called '经济'"
    assert error.value.candidates == []


def test_a_name_nothing_matches_gets_eight_suggestions_at_most(resolver):
    with pytest.raises(ParameterError) as error:
        resolver.resolve_one("候选人")       # shares 候选 with eleven entities, matches none
    assert error.value.code == "not_found" and len(error.value.candidates) == 8


def test_suggestions_keep_their_limit(resolver):
    assert len(resolver.suggest("社区居民委员会党组织", None, limit=1)) == 1
    assert len(resolver.suggest("社区居民委员会党组织", None)) == 5


def test_an_ambiguous_name_lists_the_candidates(resolver):
    with pytest.raises(ParameterError) as error:
        resolver.resolve_one("双生", None, "q")
    e = error.value
    assert e.code == "ambiguous" and e.parameter == "q"
    assert e.message == "'双生' may mean several entitys; name one of the candidates"
    assert [c["iri"] for c in e.candidates] == [PKG + "Twin1", PKG + "Twin2"]


# -- clauses ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, path", [
    ("19", "art/19"), ("第19条", "art/19"), ("第十九条", "art/19"), ("第１９条？", "art/19"), ("19.", "art/19"),
    ("4(3)", "art/4/item/3"), ("第4条第(3)项", "art/4/item/3"), ("4（三）", "art/4/item/3"),
    ("第二部分", "part/2"), ("二、", "part/2"), ("2部分", "part/2"),
    ("第三章", "chapter/3"),
    ("序言", "preamble"), ("前言", "preamble"), ("结语", "closing"), ("结束语", "closing"),
    ("part/2/para/1", "part/2/para/1"), (f"{DOC}/art/4", "art/4"), (" art / 3 ", "art/3"),
])
def test_the_ways_people_name_a_clause(resolver, name, path):
    assert resolver.resolve_one(name, "clause")["path"] == path


def test_a_clause_iri_under_another_base_is_resolved_by_its_path(resolver):
    assert resolver.resolve_one("http://elsewhere.example/id/doc/d/art/4", "clause")["iri"] == f"{DOC}/art/4"


def test_a_unit_outside_the_services_iris_is_resolved_by_its_iri(resolver):
    unit = "http://elsewhere.example/units/a"
    assert resolver.resolve_one(f"<{unit}>", "clause")["iri"] == unit


def test_of_two_documents_with_the_same_clause_path_the_first_in_order_is_meant(resolver):
    assert resolver.resolve_one("3", "clause")["iri"] == f"{DOC}/art/3"


def test_a_clause_resolves_to_its_iri_label_and_path(resolver):
    assert resolver.resolve_one("4(3)", "clause") == {"iri": f"{DOC}/art/4/item/3", "label_zh": "第4条第(3)项",
                                                      "path": "art/4/item/3", "kinds": ["clause"], "score": 100}
    assert resolver.resolve_one(f"<{DOC}/closing>", "clause")["label_zh"] == "结语"


@pytest.mark.parametrize("name", ["21", "第零部分", "第五部分", "某条", "第4条第(9)项"])
def test_a_clause_that_does_not_exist_is_not_found_with_examples(resolver, name):
    with pytest.raises(ParameterError) as error:
        resolver.resolve_one(name, "clause", "clause")
    e = error.value
    assert e.code == "not_found" and e.parameter == "clause"
    assert e.message == f"no clause {name!r}; name one like 19, 第19条, 4(3), 第二部分 or a clause IRI"
    assert [c["label_zh"] for c in e.candidates] == ["第3条", "第4条", "第19条"]


def test_a_name_that_is_no_clause_never_means_a_unit_with_an_empty_path(resolver, monkeypatch):
    """A unit at the document's own IRI has the empty path; neither an unknown name nor an empty one means it."""
    whole = resolver.clauses.units[f"{DOC}/art/3"]
    monkeypatch.setitem(resolver.clauses.by_path, "", [whole])
    for name in ("某条", "？", " "):
        with pytest.raises(ParameterError) as error:
            resolver.resolve_one(name, "clause", "clause")
        assert error.value.code == "not_found"


def test_units_are_read_with_their_numbers_and_offsets(resolver):
    units = resolver.clauses.units
    assert units[f"{DOC}/art/19"].as_dict() == {
        "iri": f"{DOC}/art/19", "path": "art/19", "kind": "article", "number": None, "ordinal": 19, "sequence": 7,
        "heading": None, "text": "第十九条的话", "start": 100, "end": 106, "parent": None}
    assert units[f"{DOC}/art/3"].heading == "第三条的标题" and units[f"{DOC}/art/3"].parent == f"{DOC}/part/2"
    assert units[f"{DOC}/preamble"].kind == "preamble" and units[f"{DOC}/preamble"].sequence == 1
    assert units[f"{DOC}/chapter/3"].ordinal is None and units[f"{DOC}/chapter/3"].start is None
    assert [u.path for u in resolver.clauses.ordered()][:4] == ["annex", "preamble", "part/2", "part/2/para/1"]
    annex = units[f"{DOC}/annex"]
    assert (annex.kind, annex.sequence, annex.text) == ("annex", 0, None)
    assert resolver.clauses.label(annex) == "annex"
    assert units[f"{DOC}/art/20"].number == "20" and units[f"{DOC}/closing"].kind == "closing"


@pytest.mark.parametrize("path, zh, en", [
    ("art/3", "第3条", "art. 3"), ("art/19", "第19条", "art. 19"), ("art/4/item/3", "第4条第(3)项", "art. 4, item (3)"),
    ("part/2", "第二部分", "part 2"), ("part/2/para/1", "第二部分第1段", "part 2, para. 1"),
    ("chapter/3", "第3章", "chapter 3"), ("preamble", "序言", "preamble"), ("closing", "结语", "closing"),
    ("art/19/item/2", "第19条第(2)项", "art. 19, item (2)"),      # an article known by its ordinal only
])
def test_each_unit_is_cited_as_people_cite_it(resolver, path, zh, en):
    unit = resolver.clauses.units[f"{DOC}/{path}"]
    assert resolver.clauses.label(unit) == zh
    assert resolver.clauses.label(unit, "en") == en


def test_article_of_climbs_to_the_article(resolver):
    clauses = resolver.clauses
    assert clauses.article_of(f"{DOC}/art/4/item/3").iri == f"{DOC}/art/4"
    assert clauses.article_of(f"{DOC}/art/4").iri == f"{DOC}/art/4"
    assert clauses.article_of(f"{DOC}/part/2/para/1") is None
    assert clauses.article_of("urn:nothing") is None


def test_cite_fills_the_article_the_label_and_a_missing_quote(resolver):
    clauses = resolver.clauses
    assert clauses.cite({"clause": f"{DOC}/art/4/item/3"}) == {
        "clause": f"{DOC}/art/4/item/3", "article": "4", "clause_label": "第4条第(3)项", "quote": "第三项的话"}
    assert clauses.cite({"clause": f"{DOC}/art/19", "quote": "own"}) == {
        "clause": f"{DOC}/art/19", "article": "19", "clause_label": "第19条", "quote": "own"}
    assert clauses.cite({"clause": f"{DOC}/art/3", "article": "given"})["article"] == "given"
    assert clauses.cite({"clause": f"{DOC}/closing"})["article"] is None
    row = {"clause": "urn:nothing"}
    assert clauses.cite(row) is row


def test_leaf_texts_leave_out_units_that_hold_others(resolver):
    texts = resolver.clauses.leaf_texts
    assert "第三项的话" in texts and "部分的段" in texts and "第三条的话" in texts
    assert "第四条的话" not in texts and "二、部分" not in texts
