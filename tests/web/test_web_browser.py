"""The pages in a real browser (headless Chromium through Playwright).

Each test fails on any console error, uncaught exception, failed request or request to
another origin (everything must be served by the service itself). Screenshots go to
test-artifacts/web/ (desktop and phone width).
"""
from __future__ import annotations

import re

import pytest

from web_support import DOC, PHONE, browser, watched  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PAGE_KINDS = {
    "home": "/",
    "document": "/document",
    "unit": f"/id/doc/{DOC}/art/5",
    "actors": "/actors",
    "actor": "/actors/ResidentsCommittee",
    "chain": "/chain?from=区委书记&to=社区党支部",
    "norms": "/norms",
    "questions": "/questions",
    "question": "/questions/leaders_of?actor=居委会",
    "editor": "/editor",
    "search": "/search?q=经费",
}


@pytest.mark.parametrize("kind", sorted(PAGE_KINDS))
def test_every_page_kind_loads_at_desktop_and_phone_width(watched, kind):
    page = watched.page
    watched.goto(PAGE_KINDS[kind])
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").count() == 1
    assert page.locator("h1").inner_text().strip()
    assert page.evaluate("document.documentElement.lang").startswith("zh")
    watched.shot(f"{kind}-desktop")
    page.set_viewport_size(PHONE)
    # usable at phone width: the page does not scroll sideways
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 2, f"{kind}: {overflow}px wider than a phone screen"
    watched.shot(f"{kind}-phone")


def test_search_for_residents_committee_lands_on_its_page(watched):
    page = watched.page
    watched.goto("/")
    page.get_by_label("主体名称或问题").fill("居委会")
    page.get_by_role("button", name="查询").first.click()
    page.wait_for_url(re.compile(r"/actors/ResidentsCommittee$"))
    assert page.locator("h1").inner_text().strip() == "居民委员会"
    # the page shows who leads it, each line citing its clause
    relations_in = page.locator("section", has=page.locator("#in-h"))
    assert relations_in.locator(".cite a").count() >= 1
    watched.shot("search-residents-committee")


def test_following_a_citation_opens_the_clause(watched):
    page = watched.page
    watched.goto("/actors/ResidentsCommittee")
    cite = page.locator("#in-h ~ ul .cite a").first
    cited = cite.inner_text().strip()
    assert re.fullmatch(r"第\d+条.*", cited), cited
    cite.click()
    page.wait_for_load_state("load")
    assert f"/id/doc/{DOC}/art/" in page.url
    heading = page.locator("h1").inner_text()
    assert heading.startswith(cited.split("第(")[0]), (heading, cited)
    # the clause's text names the residents' committee, highlighted and linked back
    assert page.locator("a.actor[href$='/actors/ResidentsCommittee']").count() >= 1
    watched.shot("citation-clause")


def test_responsibility_chain_from_district_secretary_to_party_branch(watched):
    page = watched.page
    watched.goto("/chain")
    page.get_by_label("起点主体").fill("区委书记")
    page.get_by_label("终点主体").fill("社区党支部")
    page.get_by_role("button", name="查看责任链").click()
    page.wait_for_load_state("load")
    svg = page.locator("#chain-graph")
    assert svg.count() == 1
    nodes = svg.locator("g.node text").all_text_contents()
    assert any("区委书记" in n for n in nodes) and any("社区党支部" in n for n in nodes), nodes
    # every edge is labelled with its relation and its article, and the article is a link to the clause
    edge_labels = svg.locator("g.edge a text").all_text_contents()
    assert edge_labels and all(re.search(r" · 第\d+条", text) for text in edge_labels), edge_labels
    hrefs = svg.locator("g.edge a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert all(h and f"/id/doc/{DOC}/" in h for h in hrefs), hrefs
    # the first chain starts at the first responsible person and ends at the branch
    first = page.locator(".chain-list li").first.inner_text()
    assert first.startswith("区委书记") and first.rstrip().endswith("社区党支部"), first
    watched.shot("chain-desktop")
    page.set_viewport_size(PHONE)
    watched.shot("chain-phone")


def test_sparql_editor_runs_a_query(watched):
    page = watched.page
    watched.goto("/editor")
    if page.locator("#yasgui").count():
        page.wait_for_function("window.policykgEditor && document.querySelector('.yasqe .CodeMirror')")
        page.evaluate("""() => { window.policykgEditor.getTab().setQuery(
            'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\\n'
            + 'SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(?label = \"居民委员会\"@zh) }'); }""")
        page.locator(".yasqe_queryButton").click()
        page.wait_for_selector(".yasr table tbody tr, .yasr .dataTable tbody tr")
        body = page.locator(".yasr").inner_text()
    else:
        page.locator("#query").fill("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                                    "SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(?label = \"居民委员会\"@zh) }")
        page.locator("#run-plain").click()
        page.wait_for_selector("#plain-results-table tbody tr")
        body = page.locator("#plain-results").inner_text()
    assert "ResidentsCommittee" in body
    watched.shot("editor-results")


def test_switch_to_english_and_back(watched):
    page = watched.page
    watched.goto("/actors/ResidentsCommittee")
    page.locator("#lang-switch").click()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("h1").inner_text().strip().lower() == "residents' committee"
    assert page.locator("nav.main").get_by_role("link", name="Responsibility chain").count() == 1
    # the choice is remembered: another page opens in English too
    watched.goto("/norms")
    assert page.locator("h1").inner_text().strip() == "Numeric norms"
    watched.shot("english-norms")
    page.locator("#lang-switch").click()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.lang").startswith("zh")


def test_norms_table_sorts_and_filters_in_the_browser(watched):
    page = watched.page
    watched.goto("/norms")
    rows = page.locator("#norms-table tbody tr")
    total = rows.count()
    assert total >= 5
    page.locator("#norms-table th button.sort").filter(has_text=re.compile(r"^数值$")).click()
    values = [float(v) for v in page.locator("#norms-table tbody tr td.num").all_inner_texts()]
    assert values == sorted(values)
    page.get_by_label("主题").select_option(index=1)
    visible = page.locator("#norms-table tbody tr:not([hidden])").count()
    assert 0 < visible < total
    assert page.locator("#norm-count").inner_text() == str(visible)


def test_sparql_editor_loads_a_named_question_as_an_example(watched):
    page = watched.page
    watched.goto("/editor")
    if not page.locator("#yasgui").count():
        pytest.skip("front-end assets not installed: the plain form is tested in test_web_editor_fallback")
    page.wait_for_function("window.policykgEditor && document.querySelector('.yasqe .CodeMirror')")
    choose = page.get_by_label("选择一个示例")
    value = choose.locator("option[data-name=leaders_of]").get_attribute("value")
    choose.select_option(value=value)
    page.get_by_role("button", name="载入").click()
    query = page.evaluate("() => window.policykgEditor.getTab().getQuery()")
    # the query with a one-line comment (its title and name), not the library's #+ header lines
    assert "#+" not in query and query.splitlines()[0].startswith("# ") and "(leaders_of)" in query.splitlines()[0]
    assert "BIND(<https://w3id.org/policykg/def/ResidentsCommittee> AS ?actor)" in query
    page.locator(".yasqe_queryButton").click()
    page.wait_for_selector(".yasr table tbody tr")
    assert "CommunityPartyOrganization" in page.locator(".yasr").inner_text()
    assert "urn:policykg:any" not in page.locator(".yasr").inner_text()
    # result links open this service's pages, not the w3id.org addresses
    hrefs = page.locator(".yasr a[href*='CommunityPartyOrganization']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h == "/def/CommunityPartyOrganization" for h in hrefs), hrefs
    # wide results scroll inside the editor, not the page
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 2
    watched.shot("editor-example")
