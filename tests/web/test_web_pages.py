"""What the pages say, checked over HTTP against the live service and against the data
(/sparql and /api answer the same questions the pages show)."""
from __future__ import annotations

import csv
import io
import re

import pytest
import requests

from web_support import DOC, parse_page

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def http():
    s = requests.Session()
    s.headers.update(HTML)
    s.cookies.set("policykg_lang", "zh")
    return s


def sparql_count(live_server, where: str) -> int:
    query = ("PREFIX pkg: <https://w3id.org/policykg/def/>\nPREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
             f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}")
    for _ in range(3):   # the session server has tiny limits; a busy worker answers 503
        r = requests.post(f"{live_server}/sparql", data={"query": query},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
        if r.status_code != 503:
            break
    r.raise_for_status()
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_home_counts_match_the_data(live_server, http):
    html = http.get(f"{live_server}/", timeout=30).text
    shown = dict(re.findall(r"<dt>([^<]+)</dt><dd>(?:<a [^>]*>)?(\d+)", html))
    assert int(shown["组织关系"]) == sparql_count(live_server, "?x a pkg:RelationStatement") > 20
    assert int(shown["规范(职责)"]) == sparql_count(live_server, "?x a pkg:Norm") > 20
    assert int(shown["条款"]) == sparql_count(
        live_server, "?x pkg:subdivisionType ?k VALUES ?k { pkg:subdivisionArticle pkg:subdivisionItem pkg:subdivisionParagraph }")


def test_reader_shows_every_article_with_its_permalink_actors_and_statements(live_server, http):
    html = http.get(f"{live_server}/document", timeout=60).text
    for n in range(1, 23):
        assert f'id="art-{n}"' in html and f'href="/id/doc/{DOC}/art/{n}"' in html, n
    article5 = html[html.index('id="art-5"'):html.index('id="art-6"')]
    assert 'class="actor" href="/actors/ResidentsCommittee"' in article5
    assert 'class="actor" href="/actors/CommunityPartyOrganization"' in article5
    statements = re.findall(rf'href="/id/doc/{DOC}/statement/[^"]+"', article5)
    assert len(statements) >= 5
    # the parts hold their articles, in order
    assert html.index('id="part-2"') < html.index('id="art-3"') < html.index('id="art-4-item-1"') < html.index('id="part-3"')


def test_unit_iri_dereferences_to_its_page_for_people_and_to_rdf_for_machines(live_server, http):
    url = f"{live_server}/id/doc/{DOC}/art/5"
    page = http.get(url, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    parsed = parse_page(page.text)
    assert parsed.h1 == 1 and "<h1>第5条 理顺社区各类组织的关系</h1>" in page.text
    assert f'/id/doc/{DOC}/art/4' in page.text and f'/id/doc/{DOC}/art/6' in page.text  # previous / next
    turtle = requests.get(url, headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.status_code == 200 and "text/turtle" in turtle.headers["Content-Type"]


def test_statement_page_shows_its_parties_and_words(live_server, http):
    html = http.get(f"{live_server}/id/doc/{DOC}/art/5", timeout=30).text
    link = re.search(rf'href="(/id/doc/{DOC}/statement/[^"]+)"', html).group(1)
    page = http.get(live_server + link, timeout=30)
    assert page.status_code == 200
    assert "<mark>" in page.text and f'/id/doc/{DOC}/art/5' in page.text


def test_actor_page_lists_leaders_with_citations_like_the_api(live_server, http):
    html = http.get(f"{live_server}/actors/ResidentsCommittee", timeout=30).text
    api = requests.get(f"{live_server}/api/queries/leaders_of", params={"actor": "居委会"}, timeout=30).json()
    assert api["ok"] and api["rows"]
    for row in api["rows"]:
        assert f'href="/actors/{row["leader"].rsplit("/", 1)[-1]}"' in html
    relations_in = html[html.index('id="in-h"'):html.index('id="norms-h"')]
    assert re.search(rf'class="cite"><a href="/id/doc/{DOC}/art/5"[^>]*>第5条</a>', relations_in)


def test_norms_table_csv_and_filters(live_server, http):
    html = http.get(f"{live_server}/norms", timeout=30).text
    rows = html.count("<tr data-topics=")
    api = requests.get(f"{live_server}/api/queries/numeric_norms", params={"page_size": 1000}, timeout=30).json()
    assert rows == len(api["rows"]) >= 10
    text = http.get(f"{live_server}/norms.csv", timeout=30)
    assert text.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(text.content.decode("utf-8-sig"))))
    # the headings are the page's, in Chinese (the file is for people who open it in a spreadsheet)
    assert len(table) == rows and {"条款", "数值", "单位", "原文", "原文数值", "比较"} <= set(table[0])
    assert any(r["数值"] == "20" and "20元" in r["原文数值"] and r["比较"] == "不低于" for r in table)   # article 19
    assert all(r["原文"] and r["条款"].startswith("第") for r in table)
    funding = http.get(f"{live_server}/norms.csv", params={"topic": "topicFunding"}, timeout=30)
    funding_rows = list(csv.DictReader(io.StringIO(funding.content.decode("utf-8-sig"))))
    assert 0 < len(funding_rows) < len(table)
    assert all(r["条款"] in {"第18条", "第19条"} for r in funding_rows), {r["条款"] for r in funding_rows}


def test_search_routes_names_and_questions(live_server, http):
    r = http.get(f"{live_server}/search", params={"q": "居委会"}, timeout=30, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("/actors/ResidentsCommittee")
    r = http.get(f"{live_server}/search", params={"q": "居委会归谁领导"}, timeout=30)
    assert r.status_code == 200 and "/questions/leaders_of" in r.url
    assert "社区党组织" in r.text and "第5条" in r.text
    r = http.get(f"{live_server}/search", params={"q": "述职"}, timeout=30)
    assert r.status_code == 200 and "第8条" in r.text


def test_who_leads_where_the_text_says_no_one_says_so_and_links_to_what_it_does_say(live_server, http):
    r = http.get(f"{live_server}/search", params={"q": "业主委员会受谁指导?"}, timeout=30)
    assert r.status_code == 200 and "/questions/leaders_of" in r.url
    note = re.search(r'<p id="nothing-found">(.*?)<a href="([^"]+)">', r.text, re.S)
    assert note and "原文没有规定谁领导、指导或支持业主委员会" in note.group(1)
    relations = http.get(live_server + note.group(2).replace("&amp;", "&"), timeout=30)
    assert "/questions/relations" in relations.url
    assert "与……协调" in relations.text and "第5条" in relations.text
    # A question the text answers carries no such note.
    answered = http.get(f"{live_server}/search", params={"q": "居委会归谁领导"}, timeout=30)
    assert 'id="nothing-found"' not in answered.text


@pytest.mark.parametrize("question, said, shown", [
    # who sets up X, where the text names no one: what X itself sets up is not shown as the answer
    ("社区党委由谁设立", "原文没有规定谁设立社区党委", "社区党支部"),
    ("业委会和区委是什么关系", "原文没有直接规定业主委员会与区委之间的关系", "物业服务企业"),
])
def test_narrowed_relations_the_text_does_not_set_say_so_on_the_page(live_server, http, question, said, shown):
    r = http.get(f"{live_server}/search", params={"q": question}, timeout=30)
    assert r.status_code == 200 and "/questions/relations" in r.url
    note = re.search(r'<p id="nothing-found">(.*?)<a href="([^"]+)">', r.text, re.S)
    assert note and said in note.group(1), r.text[:2000]
    assert re.search(r'id="answer-h">答案 <small class="muted">\(0 行\)', r.text)   # no row given as the answer
    relations = http.get(live_server + note.group(2).replace("&amp;", "&"), timeout=30)
    assert shown in relations.text


def test_question_pages_explain_in_the_readers_language(live_server, http):
    from policykg.queries.library import load_library

    duties = load_library()["duties"]
    zh = http.get(f"{live_server}/questions/duties", timeout=30).text
    assert duties.description_zh in zh and duties.param("actor").help_zh in zh
    assert duties.description not in zh
    en = requests.get(f"{live_server}/questions/duties", params={"lang": "en"}, headers=HTML, timeout=30).text
    assert duties.description in en and duties.param("actor").help in en
    listing = http.get(f"{live_server}/questions", timeout=30).text
    assert duties.description_zh in listing


def test_question_form_is_generated_from_the_header(live_server, http):
    html = http.get(f"{live_server}/questions/duties", timeout=30).text
    for name in ("actor", "topic", "modality"):
        assert f'name="{name}"' in html and f'for="p-{name}"' in html
    assert "required" in html[html.index('name="actor"') - 300:html.index('name="actor"') + 300]
    unknown = http.get(f"{live_server}/questions/duties", params={"actor": "不存在的机构xyz"}, timeout=30)
    assert unknown.status_code == 200 and 'role="alert"' in unknown.text
    assert http.get(f"{live_server}/questions/no_such_question", timeout=30).status_code == 404


def test_chain_page_agrees_with_the_api(live_server, http):
    params = {"from": "区委书记", "to": "社区党支部"}
    html = http.get(f"{live_server}/chain", params=params, timeout=60).text
    api = requests.get(f"{live_server}/api/chains", params=params, timeout=60).json()
    assert api["ok"]
    chains = {row["chain"] for row in api["rows"]}
    assert html.count('<li class="chain">') == len(chains) >= 1
    for row in api["rows"]:
        assert row["clause"] is None or f'href="/id/doc/{DOC}/{row["clause"].split(DOC + "/", 1)[1]}"' in html
        # each hop links the inference that makes it a flow of responsibility (issue 14 item 6)
        if row["inference"]:
            assert f'href="/id/inference/{row["inference"].rsplit("/", 1)[1]}"' in html
    assert html.count('class="why"') >= 1


@pytest.mark.slow
def test_every_example_of_every_question_answers_without_error(live_server, http):
    from policykg.queries.library import load_library

    for name, query in load_library().items():
        for example in query.examples:
            r = http.get(f"{live_server}/questions/{name}", params={**example, "run": "1"}, timeout=60)
            assert r.status_code == 200, (name, example)
            assert 'role="alert"' not in r.text, (name, example, re.findall(r'role="alert"><p>([^<]*)', r.text))
            assert 'id="answer-h"' in r.text, (name, example)


def test_vocabulary_terms_and_documents_dereference_to_their_pages(live_server):
    r = requests.get(f"{live_server}/def/ResidentsCommittee", headers=HTML, timeout=30, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].endswith("/actors/ResidentsCommittee")
    r = requests.get(f"{live_server}/id/doc/{DOC}", headers=HTML, timeout=30, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].endswith("/document")
