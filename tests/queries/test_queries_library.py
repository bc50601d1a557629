"""The named-question library: headers, parameter checks, typed binding, every question runs."""
from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from policykg.queries.library import (ANY, LibraryError, ParameterError, bind_params, informative_words,
                                      load_library, parse_rq,
                                      run_query, sort_concatenations, split_words)

BASE = "https://w3id.org/policykg/"
REQUIRED_QUESTIONS = {"leaders_of", "led_by", "duties", "numeric_norms", "deadlines", "responsibility_chain",
                      "downstream", "responsible_persons", "coordination_mechanisms", "cost_sharing",
                      "clause_statements", "clauses_mentioning", "search", "toc"}


def test_library_has_the_questions_the_issue_asks_for():
    library = load_library()
    assert REQUIRED_QUESTIONS <= set(library)
    for q in library.values():
        assert q.title_zh and q.title_en and q.description, q.name
        # Chinese first: the pages show these to policy staff.
        assert re.search(r"[\u4e00-\u9fff]{4}", q.description_zh), q.name
        for p in q.params:
            assert re.search(r"[\u4e00-\u9fff]{2}", p.help_zh), f"{q.name}: {p.name} has no Chinese help"
        assert q.path.name == f"{q.name}.rq"
        assert q.examples, f"{q.name} has no example"


def test_every_parameter_is_typed_and_projected():
    for q in load_library().values():
        for p in q.params:
            assert p.type in {"actor", "entity", "clause", "topic", "modality", "relation", "iri", "text",
                              "words", "integer", "boolean"}
            assert f"?{p.variable}" in q.sparql


@pytest.mark.parametrize("name", sorted(load_library()))
def test_every_example_runs_and_cites(name, store, resolver):
    q = load_library()[name]
    for example in q.examples:
        result = run_query(q, store, example, resolver, resolver.clauses)
        assert result["columns"]
        for row in result["rows"]:
            assert set(row) == set(result["columns"])
            if row.get("clause"):
                assert row["clause"].startswith(BASE + "id/doc/")
                assert row["clause_label"]
                assert row["quote"]


def test_deadlines_come_before_start_dates_and_durations(store, resolver):
    rows = run_query(load_library()["deadlines"], store, {}, resolver, resolver.clauses)["rows"]
    kinds = [0 if row["deadline"] else 1 if row["start"] else 2 for row in rows]
    assert kinds == sorted(kinds) and kinds[0] == 0 and 2 in kinds, kinds
    assert "到2015年" in rows[0]["quote"]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """#+ name: demo
#+ title_zh: 演示
#+ title_en: Demo
#+ description: A demo.
#+ description_zh: 演示用的问题。
#+ param: actor type=actor required example=居委会 help="the actor" help_zh="主体"
#+ example: actor=居委会
SELECT ?actor ?x WHERE { ?x ?p ?actor }
"""


def test_header_is_parsed(tmp_path):
    q = parse_rq(_write(tmp_path, "demo", GOOD))
    assert q.name == "demo" and q.params[0].name == "actor" and q.params[0].required
    assert q.columns == ("x",)            # parameters are bound, not answered
    assert q.examples == ({"actor": "居委会"},)
    assert q.description_zh == "演示用的问题。" and q.params[0].help_zh == "主体"


@pytest.mark.parametrize("mutation, message", [
    (lambda t: t.replace("#+ name: demo", "#+ name: other"), "must match the file name"),
    (lambda t: t.replace("SELECT ?actor ?x", "SELECT ?x"), "must be projected"),
    (lambda t: t.replace("type=actor", "type=colour"), "unknown type"),
    (lambda t: t.replace("#+ title_en: Demo\n", ""), "title_en"),
    (lambda t: t.replace("#+ description_zh: 演示用的问题。\n", ""), "description_zh"),
    (lambda t: t.replace("#+ example: actor=居委会", "#+ example: nobody=1"), "unknown parameter"),
    (lambda t: t.replace("#+ param: actor", "#+ param: page"), "reserved"),
    (lambda t: t.replace("#+ description: A demo.", "#+ descr: A demo."), "unknown header"),
])
def test_bad_headers_are_refused(tmp_path, mutation, message):
    with pytest.raises(LibraryError, match=message):
        parse_rq(_write(tmp_path, "demo", mutation(GOOD)))


def test_values_are_bound_as_typed_terms(resolver):
    library = load_library()
    bindings, resolved = bind_params(library["leaders_of"], {"actor": "居委会"}, resolver)
    assert bindings["actor"] == ox.NamedNode("https://w3id.org/policykg/def/ResidentsCommittee")
    assert bindings["relation"] == ox.NamedNode(ANY)          # not given: "any"
    assert resolved["actor"]["matched"] == "居委会"
    bindings, _ = bind_params(library["search"], {"q": "经费标准"}, resolver)
    assert bindings["q"] == ox.Literal("经费标准")
    assert bindings["q_1"] == ox.Literal("经费") and bindings["q_4"] == ox.NamedNode(ANY)
    bindings, _ = bind_params(library["responsibility_chain"], {"from": "区委书记", "to": "街道党工委书记",
                                                               "max_length": "3"}, resolver)
    assert bindings["max_length"] == ox.Literal("3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))


@pytest.mark.parametrize("name, params, code, parameter", [
    ("leaders_of", {}, "missing_parameter", "actor"),
    ("leaders_of", {"actor": "居委会", "colour": "red"}, "unknown_parameter", "colour"),
    ("leaders_of", {"actor": "火星人协会"}, "not_found", "actor"),
    ("leaders_of", {"actor": "委员会"}, "ambiguous", "actor"),
    ("responsibility_chain", {"from": "区委书记", "to": "社区书记", "max_length": "abc"}, "invalid_parameter",
     "max_length"),
    ("responsibility_chain", {"from": "区委书记", "to": "社区书记", "max_length": "99"}, "invalid_parameter",
     "max_length"),
    ("search", {"q": "x" * 500}, "invalid_parameter", "q"),
    ("clause_text", {"clause": "第99条"}, "not_found", "clause"),
])
def test_bad_values_give_parameter_errors(resolver, name, params, code, parameter):
    with pytest.raises(ParameterError) as info:
        bind_params(load_library()[name], params, resolver)
    assert info.value.code == code and info.value.parameter == parameter
    if code in ("ambiguous",):
        assert len(info.value.candidates) >= 2


def test_informative_words_drop_what_no_clause_or_nearly_every_clause_holds():
    texts = ["社区党组织要领导居民委员会", "社区党组织可以成立党委", "社区经费标准", "社区党员培训"]
    words = split_words("社区党组织多少人可以成立党委", limit=None)
    assert informative_words(words, texts) == ["党组", "组织", "可以", "以成", "成立", "立党", "党委"]
    assert informative_words(["社区"], texts) == ["社区"]          # all common: kept
    assert informative_words(["火星"], texts) == ["火星"]          # nothing matches: kept, finds nothing


def test_search_ranks_the_clause_with_the_telling_words_first(store, resolver):
    # Before, 社区 and 党组 outvoted 成立 and 党委 and the preamble came first.
    rows = run_query(load_library()["search"], store, {"q": "社区党组织多少人可以成立党委"}, resolver,
                     resolver.clauses)["rows"]
    assert rows[0]["article"] == "3" and "党委" in rows[0]["passage"]


def test_split_words():
    assert split_words("经费标准") == ["经费", "费标", "标准"]
    assert split_words("党员 培训") == ["党员", "培训"]
    assert len(split_words("一二三四五六七八九十一二三四五六")) == 8


def test_concatenated_columns_are_found_with_their_separators():
    assert load_library()["norms"].concatenated == {"bearers": "、", "topics": "、"}
    assert load_library()["numeric_norms"].concatenated == {"bearer_label": "、"}
    assert load_library()["toc"].concatenated == {}


def test_a_concatenation_is_given_in_one_order_whatever_order_the_engine_gave():
    # SPARQL leaves the order of GROUP_CONCAT's parts open: the in-memory and the on-disk store gave
    # 财政部门、原文未写明义务主体 and the reverse for the same row.
    rows = [{"bearers": "财政部门、原文未写明义务主体", "topics": "经费", "other": "乙、甲"},
            {"bearers": "原文未写明义务主体、财政部门", "topics": None, "other": 3}]
    sorted_rows = sort_concatenations(rows, {"bearers": "、", "topics": "、"})
    assert sorted_rows[0]["bearers"] == sorted_rows[1]["bearers"] == "原文未写明义务主体、财政部门"
    assert sorted_rows[0]["topics"] == "经费" and sorted_rows[1]["topics"] is None
    assert sorted_rows[0]["other"] == "乙、甲"   # only the concatenated columns


def test_a_concatenation_of_nothing_is_left_out_as_unbound():
    # Virtuoso 7.2.5 gives "" where a group has no value to concatenate, Oxigraph leaves it unbound.
    rows = [{"bearers": "", "topics": "经费", "other": ""}, {"topics": "经费"}]
    assert sort_concatenations(rows, {"bearers": "、", "topics": "、"}) == [
        {"topics": "经费", "other": ""}, {"topics": "经费"}]


def test_named_questions_give_their_concatenations_sorted(store, resolver):
    result = run_query(load_library()["numeric_norms"], store, {"topic": "经费"}, resolver, resolver.clauses)
    joined = [row["bearer_label"] for row in result["rows"] if row["bearer_label"] and "、" in row["bearer_label"]]
    assert joined and all(value.split("、") == sorted(value.split("、")) for value in joined)
