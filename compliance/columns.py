"""The register formats: which columns a register has, and which norms each column feeds.

A column does not name norms. It says which quantity of the ontology it measures — a
*measure*, e.g. ``("leftOperandAmount", "actionAllocateFunds", "CommunityPartyOrganization")``
for the Party activity funds allocated in a year — and :mod:`.checks` finds, for every norm with
typed constraints, the columns whose measures its constraints need. Which norms a column feeds,
and which norms no register column can feed (with the reason), is therefore computed from the
policy graph (:func:`column_norms`, :func:`uncheckable_norms`), never listed by hand.

Measures (tuples of local names of the ontology):

    (leftOperand, thing)             a count or age of the row:  (leftOperandHouseholdCount, UrbanCommunity)
    ("count", class)                 how many of ``class`` the row has (the basis of a per-head amount)
    ("area", class)                  the floor area of ``class`` in the row (m²)
    (leftOperandAmount, action, obj) money ``action`` gives to ``obj`` in a year
    (leftOperand, action, period)    how often / how many days the row does ``action`` per ``period``
    (action, obj)                    yes/no: the row has done ``action`` on ``obj`` (set up, obtained …)
    ("type", class)                  yes/no: the row is a ``class`` (resettlement area, full-time staff)
    ("pay", action)                  annual pay;  ("wage", period) the local average wage of ``period``
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

COMMUNITIES = "communities"
WORKERS = "workers"
REGISTERS = (COMMUNITIES, WORKERS)

# The class every row of a register is an instance of.
ROW_CLASS = {COMMUNITIES: "UrbanCommunity", WORKERS: "CommunityWorker"}


@dataclass(frozen=True)
class Column:
    key: str                 # English alias, also the local name of the RDF property (reg:<key>)
    zh: str                  # Chinese header
    register: str
    kind: str                # text, integer, number, boolean, choice
    help_zh: str
    help_en: str
    required: bool = False   # identifying columns: a row without them is refused
    measures: tuple[tuple[str, ...], ...] = ()
    choices: tuple[tuple[str, str], ...] = ()   # (words as written, ontology class) for kind "choice"
    unit_zh: str = ""

    @property
    def header(self) -> str:
        """The template's header: Chinese, then the English alias in brackets."""
        return f"{self.zh}({self.key})"


def _c(key, zh, register, kind, help_zh, help_en, **kw) -> Column:
    return Column(key, zh, register, kind, help_zh, help_en, **kw)


POSTS = (("社区党组织书记", "CommunityPartySecretary"), ("居民委员会主任", "ResidentsCommitteeDirector"),
         ("工作站站长", "WorkstationHead"), ("其他社区工作者", "CommunityWorker"))
ORGANIZATION_FORMS = (("社区党支部", "CommunityPartyBranch"), ("社区党总支", "CommunityGeneralPartyBranch"),
                      ("社区党委", "CommunityPartyCommittee"))

COLUMNS: tuple[Column, ...] = (
    # ---- communities: one row per community
    _c("district", "区", COMMUNITIES, "text", "县级市或区", "county-level city or district", required=True),
    _c("subdistrict", "街道", COMMUNITIES, "text", "街道(镇)", "subdistrict", required=True),
    _c("community", "社区", COMMUNITIES, "text", "社区名称", "community name", required=True),
    _c("year", "年度", COMMUNITIES, "integer", "登记数据所属年度(如2015)", "the year the figures are for (e.g. 2015)",
       required=True),
    _c("households", "户数", COMMUNITIES, "integer", "社区(居住区)户数", "households",
       measures=(("leftOperandHouseholdCount", "UrbanCommunity"),
                 ("leftOperandHouseholdCount", "ResettlementResidentialArea")), unit_zh="户"),
    _c("residents", "常住人口", COMMUNITIES, "integer", "常住人口数", "resident population",
       measures=(("leftOperandPopulation", "UrbanCommunity"), ("leftOperandPopulation", "ResettlementResidentialArea"),
                 ("count", "Resident")), unit_zh="人"),
    _c("residential_floor_area", "住宅地面建筑面积", COMMUNITIES, "number", "社区住宅地面建筑面积(平方米)",
       "above-ground residential floor area (m²)", measures=(("area", "UrbanCommunity"),), unit_zh="平方米"),
    _c("service_premises_area", "社区服务用房面积", COMMUNITIES, "number", "社区服务用房面积(平方米)",
       "community service premises (m²)", measures=(("area", "CommunityServicePremises"),), unit_zh="平方米"),
    _c("work_room_area", "工作活动用房面积", COMMUNITIES, "number", "其中工作活动用房面积(平方米)",
       "of which work and activity rooms (m²)", measures=(("area", "WorkActivityRoom"),), unit_zh="平方米"),
    _c("party_activity_area", "党组织活动用房面积", COMMUNITIES, "number",
       "工作活动用房中用于党组织活动的面积(平方米)", "of the work and activity rooms, the part used for Party activities (m²)",
       measures=(("area", "CommunityPartyOrganization"),), unit_zh="平方米"),
    _c("party_members", "党员数", COMMUNITIES, "integer", "隶属社区党组织的党员人数", "Party members registered in the community",
       measures=(("leftOperandPartyMemberCount", "UrbanCommunity"), ("count", "CommunityRegisteredPartyMember")),
       unit_zh="名"),
    _c("formal_party_members", "正式党员数", COMMUNITIES, "integer", "其中正式党员人数", "of which full Party members",
       measures=(("leftOperandFormalPartyMemberCount", "UrbanCommunity"),), unit_zh="人"),
    _c("organization_form", "党组织形式", COMMUNITIES, "choice", "社区党支部、社区党总支或社区党委",
       "Party branch, general branch or Party committee", choices=ORGANIZATION_FORMS,
       measures=(("form", "CommunityPartyOrganization"),)),
    _c("activity_funds", "党组织活动经费", COMMUNITIES, "number", "本年度划拨的党组织活动经费(元)",
       "Party activity funds allocated this year (yuan)",
       measures=(("leftOperandAmount", "actionAllocateFunds", "CommunityPartyOrganization"),), unit_zh="元"),
    _c("work_funds", "社区工作经费", COMMUNITIES, "number", "本年度核拨的社区工作经费(元)",
       "community work funds allocated this year (yuan)",
       measures=(("leftOperandAmount", "actionAllocateFunds", "UrbanCommunity"),), unit_zh="元"),
    _c("opinion_meetings", "征求意见会次数", COMMUNITIES, "integer", "本年度召开征求居民意见会议的次数",
       "meetings held this year to hear residents' opinions",
       measures=(("leftOperandFrequency", "actionHoldMeeting", "periodYear"),), unit_zh="次"),
    _c("reception_days", "书记每周固定接待日天数", COMMUNITIES, "integer", "社区党组织书记每周固定接待群众来访的天数",
       "fixed days a week the Party secretary receives visitors",
       measures=(("leftOperandDays", "actionReceiveVisitors", "periodWeek"),), unit_zh="天"),
    _c("resettlement_area", "是否集中安置居住区", COMMUNITIES, "boolean", "是/否", "yes/no: a concentrated resettlement area",
       measures=(("type", "ResettlementResidentialArea"),)),
    _c("has_party_organization", "是否设立社区党组织", COMMUNITIES, "boolean", "是/否",
       "yes/no: a community Party organization is set up",
       measures=(("actionSetUp", "CommunityPartyOrganization"),)),
    _c("has_service_centre", "是否设立社区管理服务中心", COMMUNITIES, "boolean", "是/否",
       "yes/no: a community management and service centre is set up",
       measures=(("actionSetUp", "CommunityManagementServiceCentre"),)),
    # ---- workers: one row per community worker, linked to a community of the communities register
    _c("district", "区", WORKERS, "text", "所在社区的区", "district of the community", required=True),
    _c("subdistrict", "街道", WORKERS, "text", "所在社区的街道", "subdistrict of the community", required=True),
    _c("community", "社区", WORKERS, "text", "所在社区(须在社区登记表中)", "community (must be in the communities register)",
       required=True),
    _c("name", "姓名", WORKERS, "text", "姓名或编号", "name or staff number", required=True),
    _c("post", "岗位", WORKERS, "choice", "社区党组织书记、居民委员会主任、工作站站长或其他社区工作者",
       "Party secretary, residents' committee director, workstation head or other community worker",
       required=True, choices=POSTS, measures=(("post",),)),
    _c("full_time", "是否专职", WORKERS, "boolean", "是/否:社区专职人员", "yes/no: full-time community staff",
       measures=(("type", "FullTimeCommunityStaff"),)),
    _c("age", "年龄", WORKERS, "integer", "周岁", "age in full years",
       measures=(("leftOperandAge", "CommunityWorker"),), unit_zh="岁"),
    _c("certificate", "是否持有社会工作者职业水平证书", WORKERS, "boolean", "是/否",
       "yes/no: holds the national social-worker professional level certificate",
       measures=(("actionObtainCertificate", "CommunityWorker"),)),
    _c("degree_education", "是否参加本科以上学历教育", WORKERS, "boolean", "是/否",
       "yes/no: in (or through) bachelor-level degree education",
       measures=(("actionPursueEducation", "CommunityWorker"),)),
    _c("training_sessions", "本年集中培训次数", WORKERS, "integer",
       "本年度参加的集中培训次数(书记、主任、站长:县级市、区或以上;其他:街道或以上)",
       "centralized training sessions this year (leaders: county/district level or above; others: subdistrict or above)",
       measures=(("leftOperandFrequency", "actionAttendTraining", "periodYear"),), unit_zh="次"),
    _c("training_days", "本年集中培训天数", WORKERS, "number", "本年度集中培训累计天数", "days of centralized training this year",
       measures=(("leftOperandDays", "actionAttendTraining", "periodYear"),), unit_zh="天"),
    _c("pay", "年度待遇", WORKERS, "number", "本年度待遇(元)", "pay this year (yuan)",
       measures=(("pay", "actionPay"),), unit_zh="元"),
    _c("average_wage", "上年度当地城镇职工平均工资", WORKERS, "number", "上年度当地城镇职工平均工资(元)",
       "last year's local average urban wage (yuan)", measures=(("wage", "periodPreviousYear"),), unit_zh="元"),
)


def register_columns(register: str) -> list[Column]:
    return [c for c in COLUMNS if c.register == register]


def column_for(register: str, measure: tuple[str, ...]) -> Column | None:
    """The column of ``register`` that measures ``measure``, if any."""
    for column in register_columns(register):
        if measure in column.measures:
            return column
    return None


def find_measure(measure: tuple[str, ...]) -> Column | None:
    """The column of any register that measures ``measure``."""
    for register in REGISTERS:
        column = column_for(register, measure)
        if column:
            return column
    return None


# Registers identify a community by these three columns; a worker names the community it belongs to.
COMMUNITY_KEY = ("district", "subdistrict", "community")
WORKER_KEY = ("district", "subdistrict", "community", "name")


@dataclass
class FormatDescription:
    """The register formats with the norms each column feeds (computed from the checks)."""

    columns: dict[str, list[dict]] = field(default_factory=dict)
    not_checkable: list[dict] = field(default_factory=list)


def template_csv(register: str) -> bytes:
    """An empty register as CSV: the header row, UTF-8 with a BOM so that Excel reads Chinese."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.header for c in register_columns(register)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(feeds: dict[tuple[str, str], list[str]] | None = None) -> bytes:
    """An empty workbook with one sheet per register (header row, then a row of explanations) and a sheet
    describing every column and the norms it feeds."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    feeds = feeds or {}
    wb = Workbook()
    wb.remove(wb.active)
    for register, title in ((COMMUNITIES, "社区 communities"), (WORKERS, "社区工作者 workers")):
        ws = wb.create_sheet(title)
        cols = register_columns(register)
        ws.append([c.header for c in cols])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for i, c in enumerate(cols, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(c.zh) * 2 + 4)
    ws = wb.create_sheet("说明 columns")
    ws.append(["登记表 register", "列 column", "英文名 alias", "类型 kind", "说明", "description", "必填 required",
               "对应规范 norms fed"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for c in COLUMNS:
        ws.append([c.register, c.zh, c.key, c.kind, c.help_zh, c.help_en, "是" if c.required else "",
                   "、".join(feeds.get((c.register, c.key), []))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
