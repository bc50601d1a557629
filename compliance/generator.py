"""Synthetic Suzhou-like registers with a known set of injected findings.

Deterministic (``random.Random(seed)``): the same N and seed give byte-identical files. The
background rows are built to meet every checkable norm with room to spare; then a list of
*cases* is injected, each into a community (and its workers) chosen by the seed: violations,
missing values and edge cases (exactly at a threshold, 99 vs 100 members, age 45 vs 46, 3000 vs
3001 households, a year before a deadline). ``expected.json`` lists, for every case, the row and the
outcome each norm must have. A correct checker reports as ``not_met`` or ``unknown`` exactly the
``not_met`` / ``unknown`` entries of ``expected.json`` and nothing else, and gives every other
listed entry its listed outcome.

The districts are those of 2011 (the policy's time); the figures are plausible, not real: old-town
districts have smaller, older communities; new districts larger ones and the resettlement areas.
"""
from __future__ import annotations

import csv
import io
import json
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from policykg.compliance.columns import COMMUNITIES, WORKERS, register_columns

# district: (share of communities, households mean, households sd, average wage last year, resettlement share)
DISTRICTS = {
    "平江区": (0.13, 1800, 500, 52000, 0.0),
    "沧浪区": (0.13, 1900, 500, 52000, 0.0),
    "金阊区": (0.12, 1700, 450, 52000, 0.0),
    "吴中区": (0.16, 2600, 800, 50000, 0.08),
    "相城区": (0.14, 2400, 800, 48000, 0.10),
    "虎丘区": (0.14, 2500, 700, 55000, 0.06),
    "工业园区": (0.18, 2900, 900, 60000, 0.08),
}
SUBDISTRICT_WORDS = ("东", "西", "南", "北", "中", "新", "湖", "山", "塘", "桥", "港", "园")
COMMUNITY_WORDS = ("和", "安", "康", "乐", "福", "祥", "瑞", "华", "景", "苑", "泰", "平", "兴", "宁", "春", "秋")


def _community(rng: random.Random, district: str, subdistrict: str, name: str, year: int) -> dict:
    share, mean, sd, wage, resettle_share = DISTRICTS[district]
    resettlement = rng.random() < resettle_share
    households = max(300, int(rng.gauss(mean, sd)))
    if resettlement:
        households = rng.randint(3200, 5200)
    residents = int(households * rng.uniform(2.6, 3.1))
    members = max(20, int(residents * rng.uniform(0.02, 0.045)))
    formal = max(1, int(members * rng.uniform(0.93, 0.99)))
    floor = households * rng.randint(80, 110)
    work_rooms = round(floor * rng.uniform(0.0047, 0.0053))
    needed_activity = max(150 * members, 15000 if members < 100 else 0)
    form = "社区党委" if formal > 100 and rng.random() < 0.5 else "社区党总支" if formal > 50 else "社区党支部"
    return {
        "district": district, "subdistrict": subdistrict, "community": name, "year": year,
        "households": households, "residents": residents, "residential_floor_area": floor,
        "service_premises_area": math.ceil(floor * rng.uniform(0.032, 0.05)),
        "work_room_area": work_rooms, "party_activity_area": math.ceil(work_rooms * rng.uniform(0.36, 0.5)),
        "party_members": members, "formal_party_members": formal, "organization_form": form,
        "activity_funds": math.ceil(needed_activity * rng.uniform(1.0, 1.3)),
        "work_funds": math.ceil(residents * rng.uniform(20.5, 30)),
        "opinion_meetings": rng.randint(4, 8), "reception_days": 1,
        "resettlement_area": "是" if resettlement else "否",
        "has_party_organization": "是", "has_service_centre": "是" if resettlement or rng.random() < 0.3 else "否",
        "_wage": wage,
    }


def _workers(rng: random.Random, community: dict, index: int) -> list[dict]:
    wage = community["_wage"]
    posts = ["社区党组织书记", "居民委员会主任", "工作站站长"] + ["其他社区工作者"] * rng.randint(5, 9)
    out = []
    for k, post in enumerate(posts, start=1):
        leader = post != "其他社区工作者"
        age = rng.randint(35 if leader else 23, 58)
        full_time = "是" if leader or rng.random() < 0.9 else "否"
        ratio = rng.uniform(1.25, 1.6) if post == "社区党组织书记" else rng.uniform(1.05, 1.5) if full_time == "是" \
            else rng.uniform(0.6, 1.2)
        out.append({
            "district": community["district"], "subdistrict": community["subdistrict"],
            "community": community["community"], "name": f"工作者{index:06d}-{k:02d}", "post": post,
            "full_time": full_time, "age": age,
            # background rows meet the recommendation and the certificate duty (only injected cases do not)
            "certificate": "是" if age <= 45 or rng.random() < 0.5 else "否",
            "degree_education": "是" if age <= 40 or rng.random() < 0.3 else "否",
            "training_sessions": rng.randint(1, 3),
            "training_days": rng.randint(7, 12) if leader else rng.randint(5, 10),
            "pay": math.ceil(wage * ratio), "average_wage": wage,
        })
    return out


@dataclass
class Case:
    """One injected case: what it changes, and the outcome each norm must then have for that row."""

    name: str
    register: str                 # whose row the expectations are about
    apply: object                 # callable(community, workers) -> the row dict the expectations are about
    expect: dict[str, str] = field(default_factory=dict)


def _worker(workers, post):
    return next(w for w in workers if w["post"] == post)


def _set(row, **values):
    row.update(values)
    return row


def _form_for(formal: int) -> str:
    """The largest organization form a community of ``formal`` full members may set up (more than 100:
    党委, more than 50: 党总支): background rows never hold a form they are not eligible for."""
    return "社区党委" if formal > 100 else "社区党总支" if formal > 50 else "社区党支部"


def _members(c, members, funds):
    formal = min(c["formal_party_members"], members)
    form = c["organization_form"] if c["organization_form"] == "社区党支部" or formal > 100 else _form_for(formal)
    return _set(c, party_members=members, formal_party_members=formal, organization_form=form, activity_funds=funds)


def _form(c, formal, form):
    """A community of ``formal`` full members with ``form``, its funds and member count kept compliant."""
    members = max(c["party_members"], formal + 2)
    return _set(c, formal_party_members=formal, party_members=members, organization_form=form,
                activity_funds=max(c["activity_funds"], 15000, 150 * members))


def _cases() -> list[Case]:
    C, W = COMMUNITIES, WORKERS
    f150, f15k = "a19-activity-funds-150-yuan-per-member", "a19-activity-funds-minimum-15000"
    return [
        # funding: 150 yuan a member, 15,000 below 100 members
        Case("funds-per-member-low", C, lambda c, w: _members(c, 120, 150 * 120 - 1), {f150: "not_met", f15k: "not_applicable"}),
        Case("funds-floor-low-80-members", C, lambda c, w: _members(c, 80, 14999), {f15k: "not_met", f150: "met"}),
        Case("edge-99-members-at-floor", C, lambda c, w: _members(c, 99, 15000), {f15k: "met", f150: "met"}),
        Case("edge-100-members-at-150", C, lambda c, w: _members(c, 100, 15000), {f15k: "not_applicable", f150: "met"}),
        Case("edge-100-members-below-150", C, lambda c, w: _members(c, 100, 14999), {f15k: "not_applicable", f150: "not_met"}),
        Case("funds-missing", C, lambda c, w: _set(_members(c, 60, 20000), activity_funds=""), {f15k: "unknown", f150: "unknown"}),
        Case("members-missing", C, lambda c, w: _set(c, party_members=""), {f15k: "unknown", f150: "unknown"}),
        Case("work-funds-low", C, lambda c, w: _set(c, work_funds=20 * c["residents"] - 1),
             {"a19-work-funds-20-yuan-per-person": "not_met"}),
        Case("edge-work-funds-exact", C, lambda c, w: _set(c, work_funds=20 * c["residents"]),
             {"a19-work-funds-20-yuan-per-person": "met"}),
        Case("residents-missing", C, lambda c, w: _set(c, residents=""), {"a19-work-funds-20-yuan-per-person": "unknown"}),
        # floor area: 3%, 0.5% (read at the text's precision), a third for the Party
        Case("edge-premises-exactly-3-percent", C, lambda c, w: _set(c, residential_floor_area=100000, service_premises_area=3000,
             work_room_area=500, party_activity_area=200), {"a15-service-premises-3-percent": "met",
             "a15-work-activity-rooms-half-percent": "met"}),
        Case("premises-below-3-percent", C, lambda c, w: _set(c, residential_floor_area=100000, service_premises_area=2999,
             work_room_area=500, party_activity_area=200), {"a15-service-premises-3-percent": "not_met"}),
        Case("work-rooms-0.6-percent", C, lambda c, w: _set(c, residential_floor_area=100000, work_room_area=600,
             party_activity_area=300, service_premises_area=4000), {"a15-work-activity-rooms-half-percent": "not_met"}),
        Case("edge-work-rooms-0.55-percent", C, lambda c, w: _set(c, residential_floor_area=100000, work_room_area=550,
             party_activity_area=300, service_premises_area=4000), {"a15-work-activity-rooms-half-percent": "met"}),
        Case("party-share-below-third", C, lambda c, w: _set(c, residential_floor_area=90000, work_room_area=450,
             party_activity_area=149, service_premises_area=4000), {"a15-one-third-for-party": "not_met"}),
        Case("edge-party-share-exactly-third", C, lambda c, w: _set(c, residential_floor_area=90000, work_room_area=450,
             party_activity_area=150, service_premises_area=4000), {"a15-one-third-for-party": "met"}),
        Case("floor-area-zero", C, lambda c, w: _set(c, residential_floor_area=0),
             {"a15-service-premises-3-percent": "unknown", "a15-work-activity-rooms-half-percent": "unknown"}),
        # meetings and reception
        Case("three-opinion-meetings", C, lambda c, w: _set(c, opinion_meetings=3), {"a11-opinion-meetings-four-a-year": "not_met"}),
        Case("edge-four-opinion-meetings", C, lambda c, w: _set(c, opinion_meetings=4), {"a11-opinion-meetings-four-a-year": "met"}),
        Case("no-reception-day", C, lambda c, w: _set(c, reception_days=0), {"a11-secretary-weekly-reception-day": "not_met"}),
        Case("reception-missing", C, lambda c, w: _set(c, reception_days=""), {"a11-secretary-weekly-reception-day": "unknown"}),
        # resettlement areas over 3,000 households
        Case("resettlement-without-centre", C, lambda c, w: _set(c, resettlement_area="是", households=4200, has_service_centre="否"),
             {"a03-resettlement-area-cpo-and-centre": "not_met"}),
        Case("edge-resettlement-3000-households", C, lambda c, w: _set(c, resettlement_area="是", households=3000, has_service_centre="否"),
             {"a03-resettlement-area-cpo-and-centre": "not_applicable"}),
        Case("edge-resettlement-3001-households", C, lambda c, w: _set(c, resettlement_area="是", households=3001, has_service_centre="是"),
             {"a03-resettlement-area-cpo-and-centre": "met"}),
        Case("resettlement-flag-missing", C, lambda c, w: _set(c, resettlement_area="", households=3500),
             {"a03-resettlement-area-cpo-and-centre": "unknown"}),
        # organization form: 可以 (eligibility)
        Case("edge-50-formal-members", C, lambda c, w: _form(c, 50, "社区党支部"),
             {"a03-general-branch-over-50-members": "not_applicable"}),
        Case("edge-51-formal-members", C, lambda c, w: _form(c, 51, "社区党总支"),
             {"a03-general-branch-over-50-members": "met"}),
        # a form set up without the members the permission asks for: 不符合条件 (not met, eligibility)
        Case("general-branch-with-50-formal-members", C, lambda c, w: _form(c, 50, "社区党总支"),
             {"a03-general-branch-over-50-members": "not_met", "a03-party-committee-over-100-members": "not_applicable"}),
        Case("committee-with-100-formal-members", C, lambda c, w: _form(c, 100, "社区党委"),
             {"a03-party-committee-over-100-members": "not_met", "a03-general-branch-over-50-members": "met"}),
        Case("edge-committee-with-101-formal-members", C, lambda c, w: _form(c, 101, "社区党委"),
             {"a03-party-committee-over-100-members": "met", "a03-general-branch-over-50-members": "met"}),
        Case("committee-formal-members-missing", C, lambda c, w: _set(_form(c, 120, "社区党委"), formal_party_members=""),
             {"a03-party-committee-over-100-members": "unknown", "a03-general-branch-over-50-members": "unknown"}),
        Case("edge-branch-form-missing", C, lambda c, w: _set(_form(c, 40, "社区党支部"), organization_form=""),
             {"a03-party-committee-over-100-members": "not_applicable", "a03-general-branch-over-50-members": "not_applicable"}),
        # workers: training, certificate, degree education, pay
        Case("secretary-6-training-days", W, lambda c, w: _set(_worker(w, "社区党组织书记"), training_days=6),
             {"a07-leaders-annual-training": "not_met", "a07-other-workers-annual-training": "not_applicable"}),
        Case("edge-head-7-training-days", W, lambda c, w: _set(_worker(w, "工作站站长"), training_days=7),
             {"a07-leaders-annual-training": "met"}),
        Case("worker-no-training", W, lambda c, w: _set(_worker(w, "其他社区工作者"), training_sessions=0, training_days=0),
             {"a07-other-workers-annual-training": "not_met", "a07-leaders-annual-training": "not_applicable"}),
        Case("edge-worker-5-training-days", W, lambda c, w: _set(w[-1], training_sessions=1, training_days=5),
             {"a07-other-workers-annual-training": "met"}),
        Case("training-days-missing", W, lambda c, w: _set(w[-2], training_days=""), {"a07-other-workers-annual-training": "unknown"}),
        Case("edge-age-45-no-certificate", W, lambda c, w: _set(w[-1], age=45, certificate="否", degree_education="否"),
             {"a08-certificate-by-2015": "not_met", "a07-young-workers-degree-education": "not_applicable"}),
        Case("edge-age-46-no-certificate", W, lambda c, w: _set(w[-1], age=46, certificate="否"),
             {"a08-certificate-by-2015": "not_applicable"}),
        Case("age-missing", W, lambda c, w: _set(w[-1], age=""),
             {"a08-certificate-by-2015": "unknown", "a07-young-workers-degree-education": "unknown"}),
        Case("certificate-missing", W, lambda c, w: _set(w[-1], age=30, certificate="", degree_education="是"), {"a08-certificate-by-2015": "unknown"}),
        Case("edge-before-deadline-2014", W, lambda c, w: _set(_set(c, year=2014) and w[-1], age=30, certificate="否", degree_education="是"),
             {"a08-certificate-by-2015": "not_applicable"}),
        Case("edge-age-40-no-degree", W, lambda c, w: _set(w[-1], age=40, degree_education="否", certificate="是"),
             {"a07-young-workers-degree-education": "not_met", "a08-certificate-by-2015": "met"}),
        Case("edge-age-41-no-degree", W, lambda c, w: _set(w[-1], age=41, degree_education="否", certificate="是"),
             {"a07-young-workers-degree-education": "not_applicable"}),
        Case("secretary-pay-1.19", W, lambda c, w: _set(_worker(w, "社区党组织书记"), average_wage=50000, pay=59999),
             {"a09-secretary-pay-floor": "not_met", "a09-staff-pay-floor": "met"}),
        Case("edge-secretary-pay-1.2", W, lambda c, w: _set(_worker(w, "社区党组织书记"), average_wage=50000, pay=60000),
             {"a09-secretary-pay-floor": "met"}),
        Case("staff-pay-below-wage", W, lambda c, w: _set(w[-1], full_time="是", average_wage=50000, pay=49999),
             {"a09-staff-pay-floor": "not_met"}),
        Case("edge-part-time-low-pay", W, lambda c, w: _set(w[-1], full_time="否", average_wage=50000, pay=30000),
             {"a09-staff-pay-floor": "not_applicable"}),
        Case("full-time-missing", W, lambda c, w: _set(w[-1], full_time=""), {"a09-staff-pay-floor": "unknown"}),
        Case("wage-missing", W, lambda c, w: _set(_worker(w, "社区党组织书记"), average_wage=""),
             {"a09-secretary-pay-floor": "unknown", "a09-staff-pay-floor": "unknown"}),
    ]


CASES = _cases()


def _cell(value) -> str:
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else str(value)


def _csv(register: str, rows: list[dict]) -> bytes:
    columns = register_columns(register)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c.key)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass
class GeneratedRegisters:
    communities: list[dict]
    workers: list[dict]
    expected: list[dict]

    def communities_csv(self) -> bytes:
        return _csv(COMMUNITIES, self.communities)

    def workers_csv(self) -> bytes:
        return _csv(WORKERS, self.workers)

    def xlsx(self, register: str) -> bytes:
        from openpyxl import Workbook
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(register)
        columns = register_columns(register)
        ws.append([c.header for c in columns])
        for row in (self.communities if register == COMMUNITIES else self.workers):
            ws.append([None if row.get(c.key) in ("", None) else row.get(c.key) for c in columns])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    def write(self, folder: Path, xlsx: bool = False) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "communities.xlsx" if xlsx else "communities.csv": self.xlsx(COMMUNITIES) if xlsx else self.communities_csv(),
            "workers.xlsx" if xlsx else "workers.csv": self.xlsx(WORKERS) if xlsx else self.workers_csv(),
            "expected.json": json.dumps(self.expected, ensure_ascii=False, indent=1).encode("utf-8"),
        }
        written = []
        for name, data in files.items():
            tmp = folder / f".{name}.tmp"
            tmp.write_bytes(data)
            tmp.replace(folder / name)   # whole files only
            written.append(folder / name)
        return written


def generate(communities: int, seed: int = 2011, year: int = 2015) -> GeneratedRegisters:
    """``communities`` communities (~10 workers each) with every case of :data:`CASES` injected once
    (as many as fit when there are fewer communities than cases)."""
    if communities < 1:
        raise ValueError("at least one community")
    rng = random.Random(seed)
    names = list(DISTRICTS)
    weights = [DISTRICTS[d][0] for d in names]
    rows: list[dict] = []
    workers_of: list[list[dict]] = []
    used: set[tuple] = set()
    for i in range(communities):
        district = rng.choices(names, weights)[0]
        subdistrict = f"{district[:2]}{rng.choice(SUBDISTRICT_WORDS)}{rng.randint(1, 9)}街道"
        name = f"{rng.choice(COMMUNITY_WORDS)}{rng.choice(COMMUNITY_WORDS)}社区{i + 1}"
        key = (district, subdistrict, name)
        used.add(key)
        community = _community(rng, district, subdistrict, name, year)
        rows.append(community)
        workers_of.append(_workers(rng, community, i + 1))
    # each case into its own community, chosen by the seed
    targets = rng.sample(range(communities), min(communities, len(CASES)))
    expected = []
    for case, index in zip(CASES, targets):
        community, workers = rows[index], workers_of[index]
        row = case.apply(community, workers)
        for norm, status in case.expect.items():
            expected.append({"case": case.name, "register": case.register, "norm": norm, "status": status,
                             "district": community["district"], "subdistrict": community["subdistrict"],
                             "community": community["community"],
                             "name": row.get("name") if case.register == WORKERS else None})
    all_workers = [w for ws in workers_of for w in ws]
    for row in rows:
        row.pop("_wage", None)
    # the file row of each expectation (header = row 1)
    community_row = {(r["district"], r["subdistrict"], r["community"]): n for n, r in enumerate(rows, start=2)}
    worker_row = {(w["district"], w["subdistrict"], w["community"], w["name"]): n for n, w in enumerate(all_workers, start=2)}
    for e in expected:
        key = (e["district"], e["subdistrict"], e["community"])
        e["row"] = community_row[key] if e["register"] == COMMUNITIES else worker_row[(*key, e["name"])]
    return GeneratedRegisters(rows, all_workers, expected)


def decimal_or_none(value):
    return None if value in ("", None) else Decimal(str(value))
