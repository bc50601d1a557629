"""The Chinese question router: short questions → a named question and resolved parameters."""
from __future__ import annotations

import pytest

from policykg.queries.ask import RULES, answer, normalize_question, route
from policykg.queries.library import load_library

BASE = "https://w3id.org/policykg/"
PKG = "https://w3id.org/policykg/def/"

ROUTES = [
    ("谁领导居民委员会?", "leaders_of", {"actor": "ResidentsCommittee"}),
    ("居委会归谁领导", "leaders_of", {"actor": "ResidentsCommittee"}),
    ("请问居委会的上级是谁?", "leaders_of", {"actor": "ResidentsCommittee"}),
    ("工作站由谁领导", "leaders_of", {"actor": "CommunityWorkstation"}),
    ("社区党组织领导哪些组织?", "led_by", {"actor": "CommunityPartyOrganization"}),
    ("社区党组织书记有哪些职责?", "duties", {"actor": "CommunityPartySecretary"}),
    ("社区书记有哪些职责", "duties", {"actor": "CommunityPartySecretary"}),
    ("经费标准是多少?", "numeric_norms", {"topic": "topicFunding"}),
    ("社区书记待遇是多少", "numeric_norms", {"about": "CommunityPartySecretary", "topic": "topicSalary"}),
    ("培训要求是什么", "numeric_norms", {"topic": "topicTraining"}),
    ("第19条说了什么", "clause_text", {"clause": "/art/19"}),
    ("第4条第3项说了什么", "clause_text", {"clause": "/art/4/item/3"}),
    ("第二部分说了什么", "clause_text", {"clause": "/part/2"}),
    ("第5条规定了哪些关系", "clause_statements", {"clause": "/art/5"}),
    ("谁对社区党建负责", "responsible_persons", {}),
    ("区委书记到社区书记的责任链", "responsibility_chain",
     {"from": "DistrictPartySecretary", "to": "CommunityPartySecretary"}),
    ("街道党工委的责任向下传导到哪些主体", "downstream", {"actor": "SubdistrictPartyWorkingCommittee"}),
    ("业委会参加哪些协调机制", "coordination_mechanisms", {"actor": "HomeownersCommittee"}),
    ("物业纠纷协调机制", "coordination_mechanisms", {}),
    ("三个城区经费如何分担?", "cost_sharing", {}),
    ("到2015年有什么期限要求?", "deadlines", {}),
    ("哪些规定使用了原则上?", "norms", {"modality": "ObligationInPrinciple"}),
    ("哪些条款提到工作站?", "clauses_mentioning", {"actor": "CommunityWorkstation"}),
    ("本意见有几个部分", "toc", {}),
    ("业委会", "relations", {"actor": "HomeownersCommittee"}),
    ("街道党工委负责什么?", "duties", {"actor": "SubdistrictPartyWorkingCommittee"}),
    ("区委书记的责任链", "downstream", {"actor": "DistrictPartySecretary"}),
    ("社区党组织多少人可以成立党委?", "numeric_norms", {"topic": "topicThreshold"}),
    ("党员超过100人怎么办?", "numeric_norms", {"topic": "topicThreshold"}),
    ("党员人数标准是多少", "numeric_norms", {"topic": "topicThreshold"}),
    ("少于100名党员的社区经费是多少", "numeric_norms", {"topic": "topicFunding"}),
    ("社区工作者待遇是多少", "numeric_norms", {"about": "CommunityWorker", "topic": "topicSalary"}),
    ("社区工作者要参加哪些培训?", "duties", {"actor": "CommunityWorker", "topic": "topicTraining"}),
    ("社区工作站有哪些职责", "duties", {"actor": "CommunityWorkstation"}),
    ("社区用房面积多大?", "numeric_norms", {"topic": "topicFloorArea"}),
    ("社区党组织每年开几次会?", "numeric_norms", {"topic": "topicMeetings"}),
    ("社区党组织与社区居民委员会是什么关系?", "relations",
     {"actor": "CommunityPartyOrganization", "other": "ResidentsCommittee"}),
    ("居委会和火星人协会是什么关系", "relations", {"actor": "ResidentsCommittee"}),
    ("第4条的标题是什么?该条共列举了几项主要职责?", "clause_text", {"clause": "/art/4"}),
    ("社区党建谁负责", "relations", {"actor": "urban-community-party-organization-building"}),
    ("工作站归谁管", "leaders_of", {"actor": "CommunityWorkstation"}),
    ("本文件的标题是什么?", "document", {}),
    ("这份文件是谁发的", "document", {}),
    ("意见是什么时候印发的?", "document", {}),
    ("主题词有哪些", "document", {}),
    ("第4条的标题是什么", "clause_text", {"clause": "/art/4"}),
    ("党员活动经费每人多少钱?", "numeric_norms", {"topic": "topicFunding"}),
    ("2015年前要完成什么", "deadlines", {}),
    ("街道党工委书记是什么责任人", "responsible_persons", {}),
    ("社区党支部由哪一层级的党组织设置?设置依据是什么?", "relations",
     {"acted_on": "CommunityPartyBranch", "relation": "setsUp"}),
    ("谁是社区各种组织和各项工作的领导核心?", "relations", {"relation": "isLeadershipCoreOf"}),
    ("社区工作经费按什么标准核拨?", "numeric_norms", {"topic": "topicFunding"}),
    ("党员少于100名的社区,党组织活动经费按多少划拨?", "numeric_norms", {"topic": "topicFunding"}),
    ("新建小区的党组织用房", "numeric_norms", {"topic": "topicFloorArea"}),
    ("社区工作经费", "numeric_norms", {"topic": "topicFunding"}),
    ("社区工作经费每人每年多少元", "numeric_norms", {"topic": "topicFunding"}),
    ("社区办公用房不少于多少平方米?", "numeric_norms", {"topic": "topicFloorArea"}),
    ("社区党员多少人以上设党委?", "numeric_norms", {"topic": "topicThreshold"}),
    ("经费什么时候拨付", "deadlines", {}),
]


@pytest.mark.parametrize("question, name, expected", ROUTES, ids=[r[0] for r in ROUTES])
def test_route(store, resolver, question, name, expected):
    routed = route(question, store, resolver)
    assert routed is not None, question
    assert routed[0] == name
    result = answer(question, store, resolver)
    assert result["query"] == name
    for param, want in expected.items():
        iri = result["params"][param]["iri"]
        assert iri == PKG + want or iri.endswith(want), (param, iri)


def test_rules_are_data_that_name_real_questions():
    library = load_library()
    ids = [rule["id"] for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule["query"] in library
        assert set(rule) <= {"id", "query", "pattern", "params", "rename", "drop"}


def test_who_sets_up_an_actor_lists_only_those_that_set_it_up(store, resolver):
    branch = answer("社区党支部由哪一层级的党组织设置?", store, resolver)
    assert branch["rule"] == "set-up-by" and branch["note"] is None
    assert {row["subject"] for row in branch["rows"]} == {PKG + "CommunityGeneralPartyBranch",
                                                          PKG + "CommunityPartyCommittee"}
    assert all(row["object"] == PKG + "CommunityPartyBranch" for row in branch["rows"])
    # The text says when a community Party committee may be set up, not by whom: what it sets up
    # answers another question, so its relations come with a note instead.
    committee = answer("社区党委由谁设立", store, resolver)
    assert committee["rule"] == "set-up-by>relations"
    assert committee["note"]["zh"].startswith("原文没有规定谁设立社区党委。")
    assert committee["note"]["en"].startswith("The text names no one who sets up the community Party committee.")
    assert committee["rows"] and all(PKG + "CommunityPartyCommittee" in (row["subject"], row["object"])
                                     for row in committee["rows"])


def test_two_actors_the_text_does_not_relate_get_the_first_ones_relations_and_a_note(store, resolver):
    result = answer("业委会和区委是什么关系", store, resolver)
    assert result["rule"] == "relations-pair>relations"
    assert result["note"]["zh"] == ("原文没有直接规定业主委员会与区委之间的关系。"
                                    "下面是原文为业主委员会规定的全部关系。")
    assert "district Party committee" in result["note"]["en"]
    assert result["rows"] and all(PKG + "HomeownersCommittee" in (row["subject"], row["object"])
                                  for row in result["rows"])
    related = answer("业委会和物业公司是什么关系", store, resolver)   # these two the text does relate
    assert related["rule"] == "relations-pair" and related["note"] is None and related["rows"]


def test_unmatched_questions_fall_back_to_search(store, resolver):
    result = answer("双向述职", store, resolver)
    assert result["query"] == "search" and result["rows"]
    assert result["rows"][0]["article"] == "8"


def test_a_name_that_does_not_resolve_skips_the_rule(store, resolver):
    # 火星人协会 is no actor: no leadership rule applies; the question is searched instead.
    result = answer("谁领导火星人协会?", store, resolver)
    assert result["query"] == "search"


def test_normalize_question():
    assert normalize_question("请问 居委会归谁领导？") == "居委会归谁领导"
    assert normalize_question("第１９条说了什么吗?") == "第19条说了什么"


@pytest.mark.parametrize("question, actor, asked", [
    ("业主委员会受谁指导?", "HomeownersCommittee", "leaders_of"),
    ("物业服务企业由谁监督?", "PropertyServiceCompany", "leaders_of"),
    ("物业管理企业归谁指导?", "PropertyServiceCompany", "leaders_of"),
    ("社区工作站领导哪些组织?", "CommunityWorkstation", "led_by"),
])
def test_who_leads_where_the_text_says_no_one_gives_the_relations_it_does_set(store, resolver, question,
                                                                               actor, asked):
    assert route(question, store, resolver)[0] == asked
    result = answer(question, store, resolver)
    assert result["query"] == "relations" and result["rule"].endswith(">relations")
    assert result["rows"]
    for row in result["rows"]:
        assert PKG + actor in (row["subject"], row["object"])
        assert row["clause"] and row["quote"]
    label = result["params"]["actor"]["label_zh"]
    assert result["note"]["zh"].startswith("原文没有规定") and label in result["note"]["zh"]
    assert result["note"]["en"].startswith("The text names no one")


def test_a_question_the_text_answers_carries_no_note(store, resolver):
    result = answer("谁领导居民委员会?", store, resolver)
    assert result["query"] == "leaders_of" and result["rows"] and result["note"] is None


def test_an_actors_own_duties_come_before_those_of_broader_kinds(store, resolver):
    result = answer("街道党工委有哪些职责?", store, resolver)
    own = [row["bearer"] == PKG + "SubdistrictPartyWorkingCommittee" for row in result["rows"]]
    assert own[0] and not all(own)                 # both kinds are there…
    assert own == sorted(own, reverse=True)        # …its own first


def test_the_pay_of_community_workers_includes_their_narrower_kinds(store, resolver):
    result = answer("社区工作者待遇是多少", store, resolver)
    texts = {row["value_text"] for row in result["rows"]}
    assert "不低于上年度当地城镇职工平均工资水平" in texts              # full-time staff (article 9)
    assert "不低于上年度当地城镇职工平均工资水平的1.2倍" in texts         # secretaries (article 9)
    assert {row["article"] for row in result["rows"]} == {"9"}


def test_how_many_members_it_takes_cites_article_3(store, resolver):
    result = answer("社区党组织多少人可以成立党委?", store, resolver)
    assert any(row["article"] == "3" and "100人" in row["quote"] for row in result["rows"])


def test_relations_between_two_actors_are_only_theirs(store, resolver):
    result = answer("社区党组织与社区居民委员会是什么关系?", store, resolver)
    pair = {PKG + "CommunityPartyOrganization", PKG + "ResidentsCommittee"}
    assert result["rows"] and all({row["subject"], row["object"]} == pair for row in result["rows"])
    assert "leadsAndGuides" in {row["predicate"].rsplit("/", 1)[-1] for row in result["rows"]}


def test_the_document_answers_what_it_says_of_itself_with_its_words(store, resolver):
    result = answer("本文件的标题是什么?", store, resolver)
    facts = {}
    for row in result["rows"]:
        facts.setdefault(row["fact"], []).append(row)
        assert row["quote"] and row["clause"]
    title = facts["title"][0]
    assert title["value"] == "关于进一步加强和改进全市城市社区党组织建设的意见" == title["quote"]
    assert facts["passed_by"][0]["value_label"] == "中共苏州市委组织部" and facts["passed_by"][0]["clause_label"] == "落款"
    assert facts["date_publication"][0]["quote"] == "2011年6月24日"          # as the imprint writes it
    assert facts["issued"][0]["quote"] == "2011年6月"
    assert {row["value_label"] for row in facts["subject"]} == {"党建", "社区工作", "基层党组织", "意见"}
