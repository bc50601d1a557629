"""What the router does when its first reading finds nothing (issue 21): a question with no
nothing-found note is answered as it is (empty) or by the text's sentences, never with a note meant
for another kind of question; a question no rule reads is searched in its normalized words."""
from __future__ import annotations

from policykg.queries.ask import answer, nothing_found_note, route

PKG = "https://w3id.org/policykg/def/"


def test_a_question_without_a_note_that_finds_nothing_has_no_note(store, resolver):
    # the text names no coordination mechanism the district secretary takes part in; that kind of
    # question has no nothing-found note (only who leads and how two actors relate have one)
    result = answer("区委书记参加哪些协调机制", store, resolver)
    assert result["query"] == "coordination_mechanisms" and result["rule"] == "coordination-member"
    assert result["rows"] == [] and result["note"] is None
    assert result["params"]["actor"]["iri"] == PKG + "DistrictPartySecretary"


def test_a_reading_that_finds_nothing_falls_back_to_the_sentences_that_use_the_words(store, resolver):
    result = answer("物业服务企业有哪些培训", store, resolver)
    assert route("物业服务企业有哪些培训", store, resolver)[0] == "duties"
    assert result["query"] == "search" and result["rule"] == "duties-topic>search"
    assert result["rows"] and result["note"] is None


def test_an_unread_question_is_searched_in_its_normalized_words(store, resolver):
    result = answer("请问 双向述职？", store, resolver)
    assert result["rule"] == "search" and result["params"]["q"]["value"] == "双向述职"
    assert result["rows"] and result["rows"][0]["article"] == "8"


def test_a_note_needs_both_its_kind_of_question_and_an_actor(resolver):
    actor = {"iri": PKG + "ResidentsCommittee", "label_zh": "居民委员会", "label_en": "residents' committee"}
    assert nothing_found_note("leaders_of", {"actor": actor})["zh"].startswith("原文没有规定谁领导、指导或支持居民委员会。")
    assert nothing_found_note("leaders_of", {"actor": None}) is None
    assert nothing_found_note("duties", {"actor": actor}) is None
    assert nothing_found_note("relations", {"actor": actor}) is None


def test_which_note_depends_on_what_the_relations_question_was_asked_with(resolver):
    actor = {"iri": PKG + "ResidentsCommittee", "label_zh": "居民委员会", "label_en": "residents' committee"}
    other = {"iri": PKG + "DistrictPartyCommittee", "label_zh": "区委", "label_en": "district Party committee"}
    sets_up = {"label_zh": "设立", "label_en": "sets up"}
    assert nothing_found_note("relations", {"acted_on": actor, "relation": sets_up}, follow=False)["zh"] \
        == "原文没有规定谁设立居民委员会。"
    assert nothing_found_note("relations", {"actor": actor, "other": other}, follow=False)["zh"] \
        == "原文没有直接规定居民委员会与区委之间的关系。"
    # a relation without the actor it acts on, or an actor without the other one: no note
    assert nothing_found_note("relations", {"actor": actor, "relation": sets_up}) is None
    assert nothing_found_note("relations", {"acted_on": actor}) is None
    assert nothing_found_note("relations", {"other": other}) is None
