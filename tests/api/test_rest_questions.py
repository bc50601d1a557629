"""Questions a policy officer asks, in Chinese with short forms, answered through the live REST API.

Each case is data: the question as asked, the endpoint and parameters that answer it, what
some answer row must contain, and the article (number as the policy writes it) it must cite.
A value naming an ontology term (CamelCase) must equal that term's IRI (or end with it for
other IRIs); other strings must occur in the value; numbers must be equal.
"""
from __future__ import annotations

import pytest
import requests

PKG = "https://w3id.org/policykg/def/"

# (question, endpoint, params, expected routed query or None, expected row fields, article)
QUESTIONS = [
    ("谁领导居委会?", "/api/queries/leaders_of", {"actor": "居委会"}, None,
     {"leader": "CommunityPartyOrganization", "predicate": "leadsAndGuides"}, "5"),
    ("居委会归谁领导", "/api/ask", {"q": "居委会归谁领导"}, "leaders_of",
     {"leader": "CommunityPartyOrganization", "predicate": "leads"}, "4"),
    ("谁领导工作站?", "/api/ask", {"q": "谁领导工作站?"}, "leaders_of",
     {"leader": "CommunityPartyOrganization", "predicate": "activelyLeads"}, "5"),
    ("谁对社会组织实行政治领导?", "/api/queries/leaders_of", {"actor": "社会组织", "relation": "politicallyLeads"}, None,
     {"leader": "CommunityPartyOrganization", "predicate": "politicallyLeads"}, "5"),
    ("社区党组织领导哪些组织?", "/api/ask", {"q": "社区党组织领导哪些组织?"}, "led_by",
     {"led": "CommunityWorkstation"}, "5"),
    ("社区党组织支持和保障谁?", "/api/queries/led_by", {"actor": "社区党组织", "relation": "supportsAndGuarantees"}, None,
     {"led": "ResidentsCommittee", "quote": "支持和保障社区居民委员会"}, "5"),
    ("社区党支部由谁设置?", "/api/queries/relations", {"actor": "社区党支部", "relation": "setsUp"}, None,
     {"subject": "CommunityGeneralPartyBranch", "object": "CommunityPartyBranch"}, "3"),
    ("社区书记有哪些职责?", "/api/ask", {"q": "社区书记有哪些职责?"}, "duties",
     {"quote": "每周固定一天接待群众来访"}, "11"),
    ("提倡社区书记做什么?", "/api/queries/duties", {"actor": "社区书记", "modality": "提倡"}, None,
     {"quote": "一肩挑", "modal_marker": "提倡"}, "6"),
    ("社区党组织每年开几次征求意见座谈会?", "/api/queries/numeric_norms", {"bearer": "社区党组织", "topic": "会议"}, None,
     {"value": 4, "comparator": ">="}, "11"),
    ("社区工作经费标准是多少?", "/api/ask", {"q": "经费标准是多少?"}, "numeric_norms",
     {"value": 20, "comparator": ">=", "value_text": "20元/人·年"}, "19"),
    ("每名党员的活动经费不低于多少?", "/api/queries/numeric_norms", {"topic": "经费"}, None,
     {"value": 150, "comparator": ">=", "modal_marker": "原则上"}, "19"),
    ("党员少于100名的社区活动经费多少?", "/api/queries/numeric_norms", {"topic": "经费"}, None,
     {"value": 15000, "comparator": ">="}, "19"),
    ("活动经费保底标准适用于多少名党员以下的社区?", "/api/queries/numeric_norms", {"topic": "经费"}, None,
     {"value": 100, "comparator": "<", "role": "condition"}, "19"),
    ("社区书记每年集中培训不少于几天?", "/api/queries/numeric_norms", {"bearer": "社区书记", "topic": "培训"}, None,
     {"value": 7, "comparator": ">="}, "7"),
    ("其他社区工作者每年培训不少于几天?", "/api/queries/numeric_norms", {"bearer": "其他社区工作者", "topic": "培训"}, None,
     {"value": 5, "comparator": ">="}, "7"),
    ("社区书记的待遇标准是多少?", "/api/queries/numeric_norms", {"about": "社区书记", "topic": "待遇"}, None,
     {"value": 1.2, "comparator": ">=", "modal_marker": "原则上"}, "9"),
    ("党员超过多少人可以成立党总支?", "/api/queries/numeric_norms", {"topic": "门槛"}, None,
     {"value": 50, "comparator": ">"}, "3"),
    ("社区服务用房面积标准?", "/api/ask", {"q": "面积标准是多少?"}, "numeric_norms",
     {"value": 3}, "15"),
    ("谁对社区党建负责?", "/api/ask", {"q": "谁对社区党建负责?"}, "responsible_persons",
     {"person": "DistrictPartySecretary", "role": "isFirstResponsiblePersonFor"}, "20"),
    ("社区党建的直接责任人是谁?", "/api/queries/responsible_persons", {}, None,
     {"person": "SubdistrictPartySecretary", "role": "isDirectResponsiblePersonFor"}, "20"),
    ("社区书记向谁述职?", "/api/queries/relations", {"actor": "社区书记", "relation": "reportsTo"}, None,
     {"object": "SubdistrictPartyWorkingCommittee"}, "8"),
    ("区委书记到街道党工委书记的责任链?", "/api/chains", {"from": "区委书记", "to": "街道党工委书记"}, None,
     {"chain": 1, "step": 1, "relation": "isFirstResponsiblePersonFor"}, "20"),
    ("街道党工委的责任传导到哪些主体?", "/api/downstream", {"actor": "街道党工委"}, None,
     {"actor": "CommunityPartySecretary", "distance": 1}, "8"),
    ("三个城区所需经费市里承担多少?", "/api/queries/cost_sharing", {"payer": "市本级财政"}, None,
     {"share": 30}, "19"),
    ("经费如何分担?", "/api/ask", {"q": "三个城区经费如何分担?"}, "cost_sharing",
     {"share": 70}, "19"),
    ("物业纠纷协调机制有哪些成员?", "/api/queries/coordination_mechanisms", {}, None,
     {"member": "PropertyServiceCompany"}, "5"),
    ("业委会参加哪些协调机制?", "/api/queries/coordination_mechanisms", {"actor": "业委会"}, None,
     {"member": "HomeownersCommittee"}, "5"),
    ("哪些条款提到工作站?", "/api/ask", {"q": "哪些条款提到工作站?"}, "clauses_mentioning",
     {"names": "工作站"}, "7"),
    ("业主委员会受谁指导?", "/api/ask", {"q": "业主委员会受谁指导?"}, "relations",
     {"subject": "CommunityPartyOrganization", "predicate": "coordinatesWith", "object": "HomeownersCommittee"}, "5"),
    ("街道党工委负责什么?", "/api/ask", {"q": "街道党工委负责什么?"}, "duties",
     {"bearer": "SubdistrictPartyWorkingCommittee"}, "17"),
    ("区委书记的责任链", "/api/ask", {"q": "区委书记的责任链"}, "downstream",
     {"from": "DistrictPartySecretary"}, "20"),
    ("社区工作者要参加哪些培训?", "/api/ask", {"q": "社区工作者要参加哪些培训?"}, "duties",
     {"bearer": "OtherCommunityWorker", "for_remainder": True, "quote": "集中培训"}, "7"),
    ("社区党组织每年开几次会?", "/api/ask", {"q": "社区党组织每年开几次会?"}, "numeric_norms",
     {"value_text": "每年召开4次以上"}, "11"),
    ("多少党员可以成立党总支?", "/api/ask", {"q": "多少党员可以成立党总支?"}, "numeric_norms",
     {"quote": "超过50人"}, "3"),
    ("第19条说了什么?", "/api/ask", {"q": "第19条说了什么?"}, "clause_text",
     {"quote": "不低于20元/人·年"}, "19"),
    ("第4条第3项是什么?", "/api/queries/clause_text", {"clause": "4(3)"}, None,
     {"clause_label": "第4条第(3)项", "quote": "领导居民委员会"}, "4"),
    ("第5条规定了哪些关系?", "/api/queries/clause_statements", {"clause": "第5条"}, None,
     {"subject": "CommunityPartyOrganization", "predicate": "isLeadershipCoreOf"}, "5"),
    ("到2015年有什么要求?", "/api/ask", {"q": "到2015年有什么期限要求?"}, "deadlines",
     {"deadline": "2015", "modal_marker": "均须"}, "8"),
    ("哪些规定用了“原则上”?", "/api/ask", {"q": "哪些规定使用了原则上?"}, "norms",
     {"modal_marker": "原则上", "quote": "1.2倍"}, "9"),
    ("述职制度在哪一条?", "/api/queries/search", {"q": "述职"}, None,
     {"exact": 1, "passage": "双向述职"}, "8"),
    ("在职党员由谁双重管理?", "/api/queries/relations", {"actor": "在职党员", "relation": "jointlyManages"}, None,
     {"subject": "WorkUnitPartyOrganization"}, "12"),
]


def matches(row: dict, expected: dict) -> bool:
    for key, want in expected.items():
        got = row.get(key)
        if got is None:
            return False
        if isinstance(want, (int, float)) and not isinstance(want, bool):
            if not isinstance(got, (int, float)) or abs(got - want) > 1e-9:
                return False
        elif isinstance(want, str) and want[:1].isupper() and want.isascii() and want.isalnum():
            if got != PKG + want and not str(got).endswith("/" + want):
                return False
        elif str(want) not in str(got):
            return False
    return True


@pytest.mark.parametrize("question, path, params, routed, expected, article", QUESTIONS,
                         ids=[q[0] for q in QUESTIONS])
def test_policy_question(live_server, question, path, params, routed, expected, article):
    response = requests.get(live_server + path, params={**params, "page_size": 1000}, timeout=60)
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["ok"] is True
    if routed:
        assert body["query"] == routed, (question, body.get("rule"))
    hits = [row for row in body["rows"] if matches(row, expected)]
    assert hits, f"{question}: no row with {expected} in {body['rows'][:5]}"
    assert any(row.get("article") == article for row in hits), \
        f"{question}: expected article {article}, rows cite {[r.get('article') for r in hits]}"
    for row in hits:
        assert row["clause"] and row["quote"], "every answer row carries its citation"


def test_at_least_25_questions():
    assert len(QUESTIONS) >= 25
    assert len({q[0] for q in QUESTIONS}) == len(QUESTIONS)
