"""Every actor, post, person, place and relation the issue lists has a term of the right kind, named
by the issue's own Chinese word; every term the brief's vocabulary contract lists exists; the schemes
hold the concepts the contract and the policy's 22 articles need."""
from __future__ import annotations

import pytest
from rdflib import Literal
from rdflib.namespace import FOAF, OWL, RDF, RDFS, SKOS

from ontology_support import own_concepts, pkg, superclasses, superproperties
from policykg.ontology import ontology_graph
from policykg.ontology.namespaces import ODRL, ORG, PKG

# From issue 3, "Coverage: every kind of actor the policy names" (term, the issue's word).
PARTY_ORGANIZATIONS = [
    ("MunicipalPartyCommittee", "市委"), ("MunicipalOrganizationDepartment", "市委组织部"),
    ("MunicipalPartyGeneralOffice", "市委办公室"), ("CountyLevelCityPartyCommittee", "县级市党委"),
    ("DistrictPartyCommittee", "区委"), ("SubdistrictPartyWorkingCommittee", "街道党工委"),
    ("CommunityPartyOrganization", "社区党组织"), ("CommunityPartyCommittee", "社区党委"),
    ("CommunityGeneralPartyBranch", "社区党总支"), ("CommunityPartyBranch", "社区党支部"),
    ("WorkUnitPartyOrganization", "单位党组织"), ("OrganPartyOrganization", "机关党组织"),
    ("NonPublicEconomicOrganizationPartyOrganization", "非公有制经济组织党组织"),
    ("SocialOrganizationPartyOrganization", "社会组织党组织"),
]
COMMUNITY_BODIES = [
    ("ResidentsCommittee", "居民委员会"), ("CommunityWorkstation", "社区工作站"),
    ("CommunityManagementServiceCentre", "社区管理服务中心"), ("SocialOrganization", "社会组织"),
    ("MassOrganization", "群团组织"), ("TradeUnion", "工会"), ("CommunistYouthLeague", "共青团"),
    ("WomensFederation", "妇联"), ("HomeownersCommittee", "业主委员会"), ("PropertyServiceCompany", "物业服务企业"),
    ("UnitInArea", "驻区单位"), ("NonPublicEconomicOrganization", "非公有制经济组织"), ("FinanceDepartment", "财政部门"),
    ("MunicipalFinance", "市本级财政"), ("DistrictFinance", "区财政"), ("Subdistrict", "街道"),
]
POSTS = [
    ("CommunityPartySecretary", "社区党组织书记"), ("ResidentsCommitteeDirector", "居民委员会主任"),
    ("WorkstationHead", "工作站站长"), ("CommunityWorker", "社区工作者"), ("CommunityPartyAffairsWorker", "社区党务工作者"),
    ("DistrictPartySecretary", "区委书记"), ("SubdistrictPartySecretary", "街道党工委书记"), ("ReserveTalent", "后备人才"),
    ("CommunityUniversityGraduate", "一社区一名大学生"), ("PartyCongressDelegate", "党代表"),
]
PEOPLE = [
    ("PartyMember", "党员"), ("RetiredPartyMember", "离退休党员"), ("InServicePartyMember", "在职党员"),
    ("IncomingFloatingPartyMember", "外来流动党员"), ("OutgoingMigrantPartyMember", "外出务工经商党员"),
    ("PartyMemberWithLimitedMobility", "行动不便党员"), ("Resident", "社区居民"),
]
PLACES = [
    ("UrbanCommunity", "城市社区"), ("ResettlementResidentialArea", "集中安置居住区"),
    ("CommunityServicePremises", "社区服务用房"), ("WorkActivityRoom", "工作活动用房"),
    ("OneStopServiceHall", "一站式服务大厅"),
]
# "Relations, distinguished by the verb the policy uses" (term, the policy's verb).
RELATIONS = [
    ("isLeadershipCoreOf", "领导核心"), ("leads", "领导"), ("leadsAndGuides", "领导和指导"), ("activelyLeads", "积极领导"),
    ("politicallyLeads", "政治领导"), ("supportsAndGuarantees", "支持和保障"), ("participatesIn", "参与"),
    ("coordinatesWith", "协调"), ("jointlyManages", "双重管理"), ("reportsTo", "述职"), ("receivesReportFrom", "述职"),
    ("isFirstResponsiblePersonFor", "第一责任人"), ("isDirectResponsiblePersonFor", "直接责任人"),
    ("heedsOpinionsOf", "听取意见"), ("letsDeliberateFirst", "先议先知"), ("setsUp", "下设"), ("isSetUpBy", "设立"),
    ("correspondsTo", "相对应"), ("funds", "核拨"), ("bearsCostShareOf", "承担"), ("contacts", "联系"),
]

# The brief's vocabulary contract.
CONTRACT_CLASSES = """PartyOrganization MunicipalPartyCommittee MunicipalOrganizationDepartment MunicipalPartyGeneralOffice
CountyLevelCityPartyCommittee DistrictPartyCommittee SubdistrictPartyWorkingCommittee CommunityPartyOrganization
CommunityPartyCommittee CommunityGeneralPartyBranch CommunityPartyBranch HigherLevelPartyOrganization
WorkUnitPartyOrganization OrganPartyOrganization NonPublicEconomicOrganizationPartyOrganization
SocialOrganizationPartyOrganization InflowPlacePartyOrganization SelfGoverningOrganization ResidentsCommittee
CommunityWorkstation CommunityManagementServiceCentre SocialOrganization MassOrganization TradeUnion
CommunistYouthLeague WomensFederation HomeownersCommittee PropertyServiceCompany UnitInArea
NonPublicEconomicOrganization FinanceDepartment MunicipalFinance DistrictFinance Subdistrict District CountyLevelCity
Municipality HigherLevelUnit PartyAndGovernmentOrgan EnterpriseOrInstitution CommunityPartySecretary
ResidentsCommitteeDirector WorkstationHead CommunityWorker CommunityPartyAffairsWorker FullTimeCommunityStaff
DistrictPartySecretary SubdistrictPartySecretary ReserveTalent CommunityUniversityGraduate PartyLeadingCadre
PartyCongressDelegate PartyMember CommunityRegisteredPartyMember RetiredPartyMember InServicePartyMember
IncomingFloatingPartyMember OutgoingMigrantPartyMember PartyMemberWithLimitedMobility Resident UrbanCommunity
ResettlementResidentialArea CommunityServicePremises WorkActivityRoom OneStopServiceHall Task CoordinationMechanism
Practice PolicyStatement RelationStatement Norm Obligation StrictObligation ObligationInPrinciple Permission
Recommendation Prohibition NumericConstraint""".split()
CONTRACT_OBJECT_PROPERTIES = """hasLeadershipRelationTo isLeadershipCoreOf leads leadsAndGuides activelyLeads
politicallyLeads guides supportsAndGuarantees coordinatesWith participatesIn jointlyManages reportsTo receivesReportFrom
isResponsibleFor isFirstResponsiblePersonFor isDirectResponsiblePersonFor mustConsult isConsultedBy setsUp isSetUpBy
correspondsTo funds bearsCostShareOf contacts serves heads assesses incorporates entrusts responsibilityFlowsTo bearer
action normObject topic modality hasConstraint condition startDate deadline duration perPeriod perBasis
subdivisionType hasTextSegment""".split()
CONTRACT_DATATYPE_PROPERTIES = "modalMarker valueText heading text ordinal sequence".split()
CONTRACT_CONCEPTS = {
    "TopicScheme": """topicFunding topicTraining topicMeetings topicFloorArea topicSalary topicStaffing
        topicOrganizationSetup topicService topicPartyMemberManagement topicSupervision topicElection topicThreshold
        topicResponsibility topicCoordination topicInnerPartyDemocracy topicInformatization topicEducation""".split(),
    "LeftOperandScheme": "leftOperandFormalPartyMemberCount leftOperandHouseholdCount leftOperandAmount leftOperandDays".split(),
    "UnitScheme": """unitYuan unitPerson unitHousehold unitDay unitTimes unitPercent unitMultiple unitYear unitYearOfAge
        unitPartyMember unitYuanPerPersonYear unitYuanPerMemberYear""".split(),
    "PeriodScheme": "periodYear periodWeek periodThreeYears".split(),
    "SubdivisionTypeScheme": """subdivisionPreamble subdivisionPart subdivisionChapter subdivisionSection
        subdivisionArticle subdivisionParagraph subdivisionItem subdivisionSubitem subdivisionClosing
        subdivisionSignature subdivisionKeywords subdivisionImprint""".split(),
    "ActionScheme": """actionPropagate actionImplement actionDiscussAndDecide actionLead actionSupport actionServe
        actionOrganize actionTrain actionAttendTraining actionHoldMeeting actionReceiveVisitors actionReport
        actionAllocateFunds actionBearCost actionSetUp actionConsult actionSelect actionRecruit actionCertify
        actionPlanFloorArea""".split(),
}


@pytest.fixture(scope="module")
def g():
    return ontology_graph()


def _names(g, term):
    return {str(o) for p in (RDFS.label, SKOS.altLabel) for o in g.objects(term, p) if o.language == "zh"}


@pytest.mark.parametrize("name, word, top", [(n, w, ORG.Organization) for n, w in PARTY_ORGANIZATIONS + COMMUNITY_BODIES]
                         + [(n, w, ORG.Post) for n, w in POSTS]
                         + [(n, w, FOAF.Person) for n, w in PEOPLE]
                         + [(n, w, pkg("Place")) for n, w in PLACES])
def test_issue_actor_has_a_term_of_the_right_kind(g, name, word, top):
    term = pkg(name)
    assert (term, RDF.type, OWL.Class) in g
    assert top in superclasses(g, term), f"{name} should be under {top}"
    assert word in _names(g, term), f"{name} should be called {word}"


@pytest.mark.parametrize("name, verb", RELATIONS)
def test_issue_relation_has_a_property_named_by_its_verb(g, name, verb):
    term = pkg(name)
    assert (term, RDF.type, OWL.ObjectProperty) in g
    texts = _names(g, term) | {str(d) for d in g.objects(term, SKOS.definition) if d.language == "zh"}
    assert any(verb in text for text in texts), f"{name} should mention {verb}"


def test_leading_verbs_sit_under_one_umbrella_and_are_not_collapsed(g):
    umbrella = pkg("hasLeadershipRelationTo")
    verbs = ["isLeadershipCoreOf", "leads", "leadsAndGuides", "activelyLeads", "politicallyLeads"]
    for name in verbs:
        assert umbrella in superproperties(g, pkg(name))
    for name in ("leadsAndGuides", "activelyLeads", "politicallyLeads"):
        assert pkg("leads") in superproperties(g, pkg(name))
    assert pkg("guides") in superproperties(g, pkg("leadsAndGuides"))
    assert len({pkg(n) for n in verbs}) == len(verbs)
    for a in verbs:  # distinct properties, none declared equivalent
        assert (pkg(a), OWL.equivalentProperty, None) not in g


def test_three_forms_of_community_party_organization(g):
    forms = set(g.subjects(RDFS.subClassOf, pkg("CommunityPartyOrganization")))
    assert forms == {pkg("CommunityPartyCommittee"), pkg("CommunityGeneralPartyBranch"), pkg("CommunityPartyBranch")}


def test_class_hierarchy_reflects_the_policy(g):
    assert pkg("SelfGoverningOrganization") in superclasses(g, pkg("ResidentsCommittee"))
    for name in ("TradeUnion", "CommunistYouthLeague", "WomensFederation"):
        assert pkg("MassOrganization") in superclasses(g, pkg(name))
    for name in ("MunicipalFinance", "DistrictFinance"):
        assert pkg("FinanceDepartment") in superclasses(g, pkg(name))
    assert pkg("PartyMember") in superclasses(g, pkg("RetiredPartyMember"))
    assert pkg("CommunityWorker") in superclasses(g, pkg("CommunityPartyAffairsWorker"))
    assert pkg("Practice") in superclasses(g, pkg("CoordinationMechanism"))
    assert SKOS.Concept in superclasses(g, pkg("Practice"))
    assert ODRL.Constraint in superclasses(g, pkg("NumericConstraint"))
    for name in ("Organization", "Post"):
        assert pkg("Actor") in superclasses(g, ORG[name])


def test_brief_contract_terms_exist_with_their_kind(g):
    for name in CONTRACT_CLASSES:
        assert (pkg(name), RDF.type, OWL.Class) in g, name
    for name in CONTRACT_OBJECT_PROPERTIES:
        assert (pkg(name), RDF.type, OWL.ObjectProperty) in g, name
    for name in CONTRACT_DATATYPE_PROPERTIES:
        assert (pkg(name), RDF.type, OWL.DatatypeProperty) in g, name
    # The closed namespace exposes them and refuses unknown names.
    assert PKG.leadsAndGuides == pkg("leadsAndGuides")
    with pytest.raises(AttributeError):
        PKG.leadsAndGuidez  # noqa: B018


@pytest.mark.parametrize("scheme", sorted(CONTRACT_CONCEPTS))
def test_scheme_holds_contract_concepts(g, scheme):
    members = set(g.subjects(SKOS.inScheme, pkg(scheme)))
    for name in CONTRACT_CONCEPTS[scheme]:
        assert pkg(name) in members, f"{name} not in {scheme}"
    assert (pkg(scheme), RDF.type, SKOS.ConceptScheme) in g


def test_schemes_are_generous(g):
    sizes = {s: len(set(g.subjects(SKOS.inScheme, pkg(s)))) for s in CONTRACT_CONCEPTS}
    assert sizes["ActionScheme"] >= 40 and sizes["TopicScheme"] >= 20 and sizes["UnitScheme"] >= 12


def test_modality_scheme_puns_the_deontic_classes(g):
    expected = {"StrictObligation": ("必须", 5), "Obligation": ("要", 4), "ObligationInPrinciple": ("原则上", 3),
                "Recommendation": ("鼓励", 2), "Permission": ("可以", 1), "Prohibition": ("不得", -5)}
    members = set(g.subjects(SKOS.inScheme, pkg("ModalityScheme")))
    assert members == {pkg(n) for n in expected}
    for name, (word, rank) in expected.items():
        term = pkg(name)
        assert (term, RDF.type, OWL.Class) in g and (term, RDF.type, SKOS.Concept) in g
        assert word in {str(a) for a in g.objects(term, SKOS.altLabel)}
        assert g.value(term, SKOS.notation) == Literal(rank)
    assert "提倡" in {str(a) for a in g.objects(pkg("Recommendation"), SKOS.altLabel)}


def test_odrl_operators_and_approximately(g):
    assert (pkg("approximately"), RDF.type, ODRL.Operator) in g
    for op in ("eq", "gt", "gteq", "lt", "lteq"):
        assert (ODRL[op], RDF.type, ODRL.Operator) in g
    alts = {str(a) for a in g.objects(pkg("approximately"), SKOS.altLabel)}
    assert {"约", "左右"} <= alts


def test_left_operands_are_odrl_left_operands_and_units_match_qudt(g):
    for concept in g.subjects(SKOS.inScheme, pkg("LeftOperandScheme")):
        assert (concept, RDF.type, ODRL.LeftOperand) in g
    assert (pkg("unitDay"), SKOS.exactMatch, pkg("unitDay").__class__("http://qudt.org/vocab/unit/DAY")) in g


def test_every_concept_has_pref_label(g):
    for concept in own_concepts(g):
        assert {l.language for l in g.objects(concept, SKOS.prefLabel)} >= {"zh", "en"}, concept
