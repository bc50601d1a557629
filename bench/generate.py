"""A deterministic city's worth of communities (about a million triples) in the policy's vocabulary.

One municipality → districts → subdistricts → urban communities. Each community has a
community Party organization (with Party branches and their members), a residents'
committee and a workstation, linked by the relations the policy states (leadsAndGuides,
activelyLeads, org:subOrganizationOf, org:memberOf). Numbers that the policy does not
define (households, birth years) use a benchmark namespace. Output: N-Quads in the
graph ``{base}graph/background``, written after the seed dataset's quads.

    python -m bench.generate --seed-data build/policykg.trig --out build/bench/city.nq
"""
from __future__ import annotations

import argparse
import io
import random
from pathlib import Path

import pyoxigraph as ox

from policykg import iris
from policykg.files import atomic_output
from policykg.ontology.namespaces import PREFIXES
from policykg.settings import DEFAULT_BASE

BASE = DEFAULT_BASE
PKG = PREFIXES["pkg"]
ORG = PREFIXES["org"]
RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
BENCH = f"{BASE}bench#"   # the benchmark's own terms (birth years), outside the project's vocabulary
XSD = PREFIXES["xsd"]

DISTRICTS = 10
SUBDISTRICTS = 12          # per district
COMMUNITIES = 10           # per subdistrict → 1,200 communities
BRANCHES = 5               # per community Party organization
MEMBERS = 30               # per branch → 150 per community, 180,000 in all
VERSION = 1                # bump when the shape changes (the cache key)
QUADS_PER_COMMUNITY = 850  # about (1,020,000 quads / 1,200 communities)


def _iri(kind: str, slug: str) -> str:
    return f"<{iris.thing_iri(BASE, kind, slug)}>"


def generate(out, base_graph: str = f"<{BASE}graph/background>", seed: int = 2011,
             communities: int | None = None) -> int:
    """Write the generated quads to ``out`` (a text file); return how many. ``communities``
    (default: all 1,200, about a million quads; each adds about 850) sizes the city."""
    limit = DISTRICTS * SUBDISTRICTS * COMMUNITIES if communities is None else max(1, int(communities))
    # Beyond one city's 1,200 communities, more districts (a province-sized register, issue 19).
    districts = max(DISTRICTS, -(-limit // (SUBDISTRICTS * COMMUNITIES)))
    made = 0
    rng = random.Random(seed)
    g = base_graph
    n = 0
    lines: list[str] = []

    def q(s, p, o):
        nonlocal n
        lines.append(f"{s} {p} {o} {g} .\n")
        n += 1

    a, label = f"<{RDF_TYPE}>", f"<{RDFS_LABEL}>"
    sub_org, member_of = f"<{ORG}subOrganizationOf>", f"<{ORG}memberOf>"

    def zh(text):
        return f'"{text}"@zh'

    def integer(v):
        return f'"{v}"^^<{XSD}integer>'

    city = _iri("agent", "bench-city")
    city_committee = _iri("agent", "bench-city-party-committee")
    q(city, a, f"<{PKG}Municipality>")
    q(city, label, zh("示例市"))
    q(city_committee, a, f"<{PKG}MunicipalPartyCommittee>")
    q(city_committee, label, zh("示例市委"))
    for d in range(1, districts + 1):
        district = _iri("agent", f"bench-district-{d}")
        district_committee = _iri("agent", f"bench-district-{d}-party-committee")
        q(district, a, f"<{PKG}District>")
        q(district, label, zh(f"第{d}区"))
        q(district_committee, a, f"<{PKG}DistrictPartyCommittee>")
        q(district_committee, label, zh(f"第{d}区区委"))
        q(district_committee, sub_org, city_committee)
        q(district_committee, f"<{BENCH}district>", district)
        for s in range(1, SUBDISTRICTS + 1):
            sd = f"{d}-{s}"
            subdistrict = _iri("agent", f"bench-subdistrict-{sd}")
            working = _iri("agent", f"bench-subdistrict-{sd}-party-working-committee")
            q(subdistrict, a, f"<{PKG}Subdistrict>")
            q(subdistrict, label, zh(f"第{d}区第{s}街道"))
            q(subdistrict, f"<{BENCH}inDistrict>", district)
            q(working, a, f"<{PKG}SubdistrictPartyWorkingCommittee>")
            q(working, label, zh(f"第{d}区第{s}街道党工委"))
            q(working, sub_org, district_committee)
            for c in range(1, COMMUNITIES + 1):
                if made >= limit:
                    break
                made += 1
                cid = f"{sd}-{c}"
                community = _iri("agent", f"bench-community-{cid}")
                org = _iri("agent", f"bench-community-{cid}-party-organization")
                rc = _iri("agent", f"bench-community-{cid}-residents-committee")
                ws = _iri("agent", f"bench-community-{cid}-workstation")
                households = rng.randint(800, 6000)
                q(community, a, f"<{PKG}UrbanCommunity>")
                q(community, label, zh(f"第{d}区第{s}街道第{c}社区"))
                q(community, f"<{BENCH}inSubdistrict>", subdistrict)
                q(community, f"<{BENCH}householdCount>", integer(households))
                kind = "CommunityPartyCommittee" if households > 3000 else "CommunityGeneralPartyBranch"
                q(org, a, f"<{PKG}{kind}>")
                q(org, a, f"<{PKG}CommunityPartyOrganization>")
                q(org, label, zh(f"第{d}区第{s}街道第{c}社区党组织"))
                q(org, sub_org, working)
                q(org, f"<{BENCH}community>", community)
                q(org, f"<{PKG}leadsAndGuides>", rc)
                q(org, f"<{PKG}activelyLeads>", ws)
                q(rc, a, f"<{PKG}ResidentsCommittee>")
                q(rc, label, zh(f"第{d}区第{s}街道第{c}社区居委会"))
                q(rc, f"<{BENCH}community>", community)
                q(ws, a, f"<{PKG}CommunityWorkstation>")
                q(ws, label, zh(f"第{d}区第{s}街道第{c}社区工作站"))
                q(ws, f"<{BENCH}community>", community)
                for b in range(1, BRANCHES + 1):
                    branch = _iri("agent", f"bench-community-{cid}-branch-{b}")
                    q(branch, a, f"<{PKG}CommunityPartyBranch>")
                    q(branch, label, zh(f"第{d}区第{s}街道第{c}社区第{b}党支部"))
                    q(branch, sub_org, org)
                    for m in range(1, MEMBERS + 1):
                        person = _iri("person", f"bench-{cid}-{b}-{m}")
                        born = rng.randint(1935, 2000)
                        q(person, a, f"<{PKG}PartyMember>")
                        if born < 1960:
                            q(person, a, f"<{PKG}RetiredPartyMember>")
                        q(person, label, zh(f"党员{cid}-{b}-{m}"))
                        q(person, member_of, branch)
                        q(person, f"<{BENCH}birthYear>", integer(born))
                        q(person, f"<{BENCH}joinedYear>", integer(min(2011, born + rng.randint(18, 45))))
                if len(lines) > 50_000:
                    out.write("".join(lines))
                    lines.clear()
    out.write("".join(lines))
    return n


def communities_for(triples: int) -> int:
    """About how many communities make a graph of ``triples`` quads (seed data included)."""
    return max(1, round(triples / QUADS_PER_COMMUNITY))


def build_city(seed_data: Path, out: Path, communities: int | None = None) -> Path:
    """Seed dataset + generated communities as one N-Quads file (reused when up to date)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = out.with_suffix(out.suffix + ".stamp")
    key = f"{VERSION} {seed_data.stat().st_size} {seed_data.stat().st_mtime_ns} {communities}"
    if out.exists() and stamp.exists() and stamp.read_text() == key:
        return out
    seed_quads = ox.serialize(ox.parse(path=str(seed_data), format=ox.RdfFormat.from_extension(seed_data.suffix[1:])),
                              format=ox.RdfFormat.N_QUADS)
    with atomic_output(out) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8")
        fh.write(seed_quads.decode("utf-8"))
        generate(fh, communities=communities)
        fh.flush()
        fh.detach()   # the file stays open for atomic_output, which syncs and renames it
    stamp.write_text(key)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-data", type=Path, default=Path("build/policykg.trig"))
    parser.add_argument("--out", type=Path, default=Path("build/bench/city.nq"))
    parser.add_argument("--triples", type=int, default=None,
                        help="about how many quads (default: the whole city, about a million)")
    args = parser.parse_args(argv)
    path = build_city(args.seed_data, args.out, communities_for(args.triples) if args.triples else None)
    print(f"{path}: {sum(1 for _ in open(path, encoding='utf-8'))} quads")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
