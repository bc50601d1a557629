"""What policy staff rely on, over HTTP (issue 16): rows merged across the class hierarchy with
whose each is, actor pages split into own and inherited duties, the policy status box with the
2012 district merger from the background graph, exports as CSV and Excel with Chinese headings,
the REST error envelope's message_zh, and Link headers on paged answers.

Expected values are read from the REST API or the SPARQL endpoint of the same server, never
written down here.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest
import requests

from web_support import DOC, parse_page

SUBDISTRICT = "SubdistrictPartyWorkingCommittee"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        session.headers["Accept-Language"] = "zh-CN"
        yield session


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())          # Excel reads the Chinese as UTF-8
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(response) -> list[list]:
    from openpyxl import load_workbook

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def test_leaders_of_shows_each_statement_once_with_whose_it_is(live_server, http):
    api = http.get(f"{live_server}/api/queries/leaders_of", params={"actor": "居委会", "page_size": 1000}).json()
    # the API has one row per path through the hierarchy: the same words reach it twice
    reached = Counter((r["leader"], r["predicate"], r["clause"], r["quote"]) for r in api["rows"])
    assert max(reached.values()) > 1, "the data no longer has a statement reached twice: the test proves nothing"
    rows = _csv(http.get(f"{live_server}/questions/leaders_of.csv", params={"actor": "居委会"}))
    assert len(rows) == len(reached)
    assert len({(r["领导方"], r["关系"], r["条款"], r["原文"]) for r in rows}) == len(rows)
    # every row says whose it is: the actor's own (本主体) or a broader kind's (继承自 …)
    assert all(r["来源"] == "本主体" or r["来源"].startswith("继承自 ") for r in rows)
    assert list(rows[0])[:3] == ["领导方", "条款", "原文"]        # the answer, then its citation
    html = http.get(f"{live_server}/questions/leaders_of", params={"actor": "居委会"}).text
    header = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    headings = re.findall(r'class="sort">([^<]+)<', header)
    assert headings[:3] == ["领导方", "条款", "原文"] and headings.count("关系") == 1, headings
    assert "也经由" in html and "社区自治组织" in html        # the merged path is still said


def test_actor_page_splits_own_and_inherited_duties_with_counts(live_server, http):
    api = http.get(f"{live_server}/api/queries/duties", params={"actor": "街道党工委", "page_size": 1000}).json()
    bearers = Counter(r["bearer"] for r in {r["norm"]: r for r in api["rows"]}.values())
    own = bearers.pop(f"https://w3id.org/policykg/def/{SUBDISTRICT}", 0)
    assert bearers, "no inherited duty in the data: the test proves nothing"
    html = http.get(f"{live_server}/actors/{SUBDISTRICT}").text
    counts = re.search(r'id="duty-counts">(.*?)</p>', html, re.S).group(1)
    assert f"本主体 {own}" in counts
    for bearer, n in bearers.items():
        label = http.get(f"{live_server}/api/actors/{bearer.rsplit('/', 1)[-1]}").json()["actor"]["label_zh"]
        assert f"继承自 {label} {n}" in counts, (label, n, counts)
    assert re.search(rf'id="own-duties-h">本主体的职责 <small class="muted">\({own}\)', html)
    # the printable 责任清单 and its files hold the same duties, each with clause and quote
    sheet = http.get(f"{live_server}/actors/{SUBDISTRICT}/duties").text
    assert sheet.count("<li>") >= own + sum(bearers.values())
    rows = _csv(http.get(f"{live_server}/actors/{SUBDISTRICT}/duties.csv"))
    assert len(rows) == own + sum(bearers.values())
    assert Counter(r["来源"] == "本主体" for r in rows)[True] == own
    assert all(r["条款"] and r["原文"] and r["条款IRI"].startswith("https://") for r in rows)
    table = _xlsx(http.get(f"{live_server}/actors/{SUBDISTRICT}/duties.xlsx"))
    assert table[0] == list(rows[0].keys()) and len(table) - 1 == len(rows)


def test_norms_as_excel_match_the_page_and_the_csv(live_server, http):
    html = http.get(f"{live_server}/norms").text
    csv_rows = _csv(http.get(f"{live_server}/norms.csv"))
    table = _xlsx(http.get(f"{live_server}/norms.xlsx"))
    assert table[0] == list(csv_rows[0].keys()) and table[0][:2] == ["条款", "原文"]
    assert len(table) - 1 == len(csv_rows) == html.count("<tr data-topics=")
    assert [str(v) for v in table[1]][:2] == [csv_rows[0]["条款"], csv_rows[0]["原文"]]
    # comparators are words: no symbol is left in the file or on the page
    assert {r["比较"] for r in csv_rows} <= {"等于", "高于", "不低于", "低于", "不高于", "不等于", "约", ""}
    assert not re.search(r"<td[^>]*>\s*(&gt;=|&lt;=|&gt;|&lt;|~)\s*</td>", html)
    english = _csv(requests.get(f"{live_server}/norms.csv", params={"lang": "en"}))   # no cookie kept
    assert list(english[0])[:2] == ["Clause", "Quote"] and "at least" in {r["Comparator"] for r in english}


def test_home_counts_the_numbers_norms_lists(live_server, http):
    html = http.get(f"{live_server}/").text
    listed = http.get(f"{live_server}/norms").text.count("<tr data-topics=")
    assert re.search(rf'id="numbers-count">含 {listed} 个数值<', html), listed


@pytest.mark.parametrize("path", ["/", "/document"])
def test_status_box_on_home_and_reader(live_server, http, path):
    html = http.get(f"{live_server}{path}").text
    box = html[html.index('id="policy-status"'):html.index("</aside>", html.index('id="policy-status"'))]
    assert "中共苏州市委组织部" in box and "2011-06" in box
    # nothing in the data says whether it is in force: the box says so plainly, with what is known
    assert re.search(r'id="in-force"><strong>未知</strong>', box)
    assert "苏州市社会组织服务中心" in box and "2015-06-10" in box
    assert all(name in box for name in ("平江区", "沧浪区", "金阊区", "姑苏区", "背景"))
    assert "国务院关于同意江苏省调整苏州市部分行政区划的批复" in box
    assert 'rel="license"' in box and "creativecommons.org/licenses/by/4.0" in box
    links = [h for h in parse_page(box).links if h.startswith("/id/background/")]
    assert links and all(http.get(f"{live_server}{h}").status_code == 200 for h in links)


def test_the_merger_is_in_the_background_graph_with_its_source(live_server):
    query = """PREFIX dcterms: <http://purl.org/dc/terms/>
      PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
      SELECT ?old ?g WHERE { GRAPH ?g { ?old dcterms:isReplacedBy ?new .
        ?fact rdf:subject ?old ; rdf:predicate dcterms:isReplacedBy ; rdf:object ?new ; dcterms:source ?src } }"""
    rows = requests.post(f"{live_server}/sparql", data={"query": query},
                         headers={"Accept": "application/sparql-results+json"}).json()["results"]["bindings"]
    olds = {r["old"]["value"].rsplit("/", 1)[-1] for r in rows}
    assert olds == {"pingjiang-district", "canglang-district", "jinchang-district"}
    assert {r["g"]["value"] for r in rows} == {"https://w3id.org/policykg/graph/background"}


def test_rest_errors_carry_a_chinese_message(live_server):
    body = requests.get(f"{live_server}/api/queries/duties").json()
    assert body["error"]["code"] == "missing_parameter"
    assert body["error"]["message_zh"] == "缺少必填参数(参数 actor)" and body["error"]["message"]
    missing = requests.get(f"{live_server}/api/nothing-here").json()["error"]
    assert missing["message_zh"] == "未找到"


def test_paged_json_and_csv_link_their_neighbours(live_server):
    first = requests.get(f"{live_server}/api/queries/numeric_norms", params={"page_size": 5})
    assert first.json()["truncated"]
    links = requests.utils.parse_header_links(first.headers["Link"])
    assert [l["rel"] for l in links] == ["next"]
    second = requests.get(live_server + links[0]["url"])
    assert second.json()["page"] == 2 and second.json()["rows"] != first.json()["rows"]
    rels = {l["rel"]: l["url"] for l in requests.utils.parse_header_links(second.headers["Link"])}
    assert set(rels) == {"next", "prev"} and "page=1" in rels["prev"] and "page=3" in rels["next"]
    assert requests.get(live_server + rels["prev"]).json()["rows"] == first.json()["rows"]
    csv_page = requests.get(f"{live_server}/api/queries/numeric_norms",
                            params={"page_size": 5, "page": 2, "format": "csv"})
    assert csv_page.headers["Content-Type"].startswith("text/csv")
    rels = {l["rel"] for l in requests.utils.parse_header_links(csv_page.headers["Link"])}
    assert rels == {"next", "prev"}
    total = first.json()["total"]
    last = requests.get(f"{live_server}/api/queries/numeric_norms", params={"page_size": 5, "page": -(-total // 5)})
    assert [l["rel"] for l in requests.utils.parse_header_links(last.headers["Link"])] == ["prev"]


def test_an_empty_answer_says_what_the_text_does_say(live_server, http):
    params = {"actor": "区委书记", "other": "居委会"}
    assert http.get(f"{live_server}/api/queries/relations", params=params).json()["total"] == 0
    html = http.get(f"{live_server}/questions/relations", params=params).text
    box = html[html.index('id="explain-empty"'):html.index("</section>", html.index('id="explain-empty"'))]
    for name, key in (("区委书记", "DistrictPartySecretary"), ("居委会", "ResidentsCommittee")):
        assert f'href="/actors/{key}"' in box
        rows = http.get(f"{live_server}/api/queries/relations", params={"actor": name, "page_size": 1000}).json()["rows"]
        total = len({(r["subject"], r["predicate"], r["object"], r["clause"]) for r in rows})
        assert total and (total <= 6 or f"全部 {total} 项关系" in box), (name, total)
    # background facts about the residents' committee, each labelled 背景 and linked to its source
    query = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
      SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH <https://w3id.org/policykg/graph/background> {
        ?f a rdf:Statement ; rdf:subject|rdf:object <https://w3id.org/policykg/def/ResidentsCommittee> } }"""
    n = int(requests.post(f"{live_server}/sparql", data={"query": query}, headers={
        "Accept": "application/sparql-results+json"}).json()["results"]["bindings"][0]["n"]["value"])
    assert n and box.count('class="badge-background">背景<') == n and box.count('class="background-source"') == n
    # the chain between them: its length is the REST API's shortest chain, and the link opens it
    chains = http.get(f"{live_server}/api/chains", params={"from": "区委书记", "to": "居委会"}).json()["chains"]
    assert chains, "no chain in the data: the test proves nothing"
    shortest = min(c["length"] for c in chains)
    assert re.search(rf'id="explain-chain">两者之间有一条 {shortest} 步的责任链', box)
    link = re.search(r'id="explain-chain">.*?<a href="([^"]+)"', box, re.S).group(1)
    chain_page = http.get(live_server + link.replace("&amp;", "&")).text
    assert 'id="chain-graph"' in chain_page


def test_editor_examples_run_without_the_internal_placeholder(live_server, http):
    html = http.get(f"{live_server}/editor").text
    examples = re.findall(r'<option value="([^"]*)" data-name="([^"]+)"', html, re.S)
    assert len(examples) >= 10
    import html as html_lib

    for value, name in examples:
        query = html_lib.unescape(value)
        assert "#+" not in query and query.startswith("# ") and f"({name})" in query.splitlines()[0]
        answer = requests.post(f"{live_server}/sparql", data={"query": query},
                               headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert answer.status_code == 200, (name, answer.text[:300])
        assert "urn:policykg:any" not in answer.text, name


def _sparql_rows(live_server, query: str) -> list[dict]:
    response = requests.post(f"{live_server}/sparql", data={"query": query},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def test_a_vocabulary_term_reads_as_a_page(live_server, http):
    response = http.get(f"{live_server}/def/leads", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "<table>" not in response.text
    html = response.text
    pkg = "https://w3id.org/policykg/def/"
    facts = _sparql_rows(live_server, f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
      PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
      SELECT ?definition ?domain ?range WHERE {{ <{pkg}leads> skos:definition ?definition ; rdfs:domain ?domain ;
        rdfs:range ?range FILTER(lang(?definition) = "zh") }}""")[0]
    assert re.search(r'<h1 id="term-name">领导 ', html)
    assert f'id="term-definition">{facts["definition"]}<' in html
    for key in ("domain", "range"):
        section = re.search(rf'id="term-{key}">(.*?)</dd>', html, re.S).group(1)
        assert facts[key].rsplit("/", 1)[-1] in section
    narrower = {r["s"].rsplit("/", 1)[-1] for r in _sparql_rows(
        live_server, f"SELECT ?s WHERE {{ ?s <http://www.w3.org/2000/01/rdf-schema#subPropertyOf> <{pkg}leads> "
                     f"FILTER(?s != <{pkg}leads>) }}")}
    section = re.search(r'id="term-narrower">(.*?)</dd>', html, re.S).group(1)
    assert narrower and all(f'/def/{n}"' in section or f'/actors/{n}"' in section for n in narrower), narrower
    uses = _sparql_rows(live_server, f"""PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
      SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{pkg}RelationStatement> ; rdf:predicate <{pkg}leads> }}""")
    assert re.search(rf'data-use="relation">作为关系的陈述 {uses[0]["n"]}<', html)
    assert re.search(r'id="term-clause">.*?href="/id/doc/[^"]+/art/4"', html, re.S)
    assert 'href="/ontology/#leads"' in html
    # machines still get the term's triples
    turtle = http.get(f"{live_server}/def/leads", params={"format": "ttl"})
    assert turtle.headers["Content-Type"].startswith("text/turtle") and "subPropertyOf" in turtle.text


def test_documentation_built_beside_the_data_is_served_as_it_is(built_dataset, tmp_path, monkeypatch):
    """`make build` writes build/ontology-docs beside the data; /ontology/ serves that folder (no
    pyLODE run on the first visit) while it is newer than the ontology, and generates its own
    otherwise."""
    import os
    import shutil

    from policykg.api import create_app
    from policykg.ontology.namespaces import ONTOLOGY_DIR
    from policykg.settings import load_config

    data = tmp_path / "policykg.trig"
    shutil.copy(built_dataset, data)
    docs = tmp_path / "ontology-docs"
    docs.mkdir()
    (docs / "index.html").write_text("<!doctype html><title>prebuilt marker</title>", encoding="utf-8")
    from policykg.api import linked_data

    monkeypatch.setattr(linked_data, "_docs", {"folder": None, "failed": False})   # the process-wide cache
    app = create_app(load_config({"data": str(data)}, environ={}))
    page = app.test_client().get("/ontology/")
    assert page.status_code == 200 and b"prebuilt marker" in page.data
    # stale (older than an ontology file): not served
    newest = max(p.stat().st_mtime for p in ONTOLOGY_DIR.glob("*.ttl"))
    os.utime(docs / "index.html", (newest - 10, newest - 10))
    with app.app_context():
        assert linked_data.prebuilt_docs() is None


def test_the_reader_says_each_statement_once(live_server, http):
    html = http.get(f"{live_server}/document").text
    asides = re.findall(r'<ul class="statements">(.*?)</ul>', html, re.S)
    assert asides
    split = 0
    for aside in asides:
        labels = re.findall(r'<li>(?:<span class="modality[^>]*>[^<]*</span> )?<a href="[^"]+">([^<]+)</a>', aside)
        assert len(labels) == len(set(labels)), [l for l, n in Counter(labels).items() if n > 1]
        split += aside.count("按主体分为")
    # a sentence the graph holds as one statement per actor is still one line, linking each
    assert split >= 1
