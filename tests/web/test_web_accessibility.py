"""Basic accessibility of every page kind: one h1, labelled fields, images with alt text,
a language on <html>, unique ids, a skip link; in Chinese and in English."""
from __future__ import annotations

from collections import Counter

import pytest
import requests

from web_support import DOC, parse_page, unlabelled_fields

PAGES = ["/", "/document", f"/id/doc/{DOC}/art/4", f"/id/doc/{DOC}/art/4/item/3", "/actors",
         "/actors/ResidentsCommittee", "/actors/DistrictPartySecretary", "/chain",
         "/chain?from=区委书记&to=社区党支部", "/chain?from=不存在的机构&to=居委会", "/norms", "/norms?topic=topicFunding",
         "/questions", "/questions/leaders_of?actor=居委会", "/questions/numeric_norms?run=1",
         "/questions/leaders_of?actor=xyz", "/editor", "/search?q=经费", "/search?q=居委会归谁领导",
         "/actors/SubdistrictPartyWorkingCommittee", "/actors/SubdistrictPartyWorkingCommittee/duties",
         "/def/leads", "/questions/relations?actor=区委书记&other=居委会"]


@pytest.fixture(scope="module")
def session():
    s = requests.Session()
    s.headers["Accept"] = "text/html"
    return s


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_page_is_accessible(live_server, session, path, lang):
    sep = "&" if "?" in path else "?"
    response = session.get(f"{live_server}{path}{sep}lang={lang}", timeout=30)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    page = parse_page(response.text)
    assert page.h1 == 1, f"{path}: {page.h1} h1 elements"
    assert page.html_lang == ("en" if lang == "en" else "zh-Hans")
    assert not unlabelled_fields(page), f"{path}: unlabelled fields {unlabelled_fields(page)}"
    assert all(img.get("alt") for img in page.imgs), f"{path}: images without alt text"
    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not duplicates, f"{path}: duplicate ids {duplicates}"
    assert "#main" in page.links, "skip link to the main content"
    assert '<meta name="viewport"' in response.text


def test_graph_pictures_have_text_alternatives(live_server, session):
    html = session.get(f"{live_server}/chain?from=区委书记&to=社区党支部", timeout=30).text
    assert 'role="img"' in html and 'aria-labelledby="chain-graph-title"' in html
    assert '<title id="chain-graph-title">' in html
