"""Every link on every page answers 200 (a bounded crawl of the live service's HTML pages)."""
from __future__ import annotations

import time
from collections import deque
from urllib.parse import urlsplit

import pytest
import requests

from web_support import parse_page, same_origin_links

START = ["/", "/document", "/actors", "/chain", "/chain?from=区委书记&to=社区党支部", "/norms", "/questions",
         "/editor", "/search?q=经费", "/?lang=en", "/norms?lang=en"]
MAX_PAGES = 400          # HTML pages crawled (every page is fetched; only HTML is parsed for links)
MAX_SECONDS = 150
# Links leave the pages' HTML for machine formats here: those are fetched (must answer 200)
# but not crawled further.
NOT_CRAWLED = ("/sparql", "/api/", "/static/", "/def/", "/dumps/", "/void", "/healthz")


@pytest.mark.slow
def test_every_link_on_every_page_answers_200(live_server):
    session = requests.Session()
    session.headers["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8"
    queue = deque(live_server + path for path in START)
    seen: set[str] = set(queue)
    linked_from: dict[str, str] = {}
    broken: list[str] = []
    pages = 0
    deadline = time.monotonic() + MAX_SECONDS
    while queue and pages < MAX_PAGES and time.monotonic() < deadline:
        url = queue.popleft()
        response = session.get(url, timeout=30, allow_redirects=True)
        pages += 1
        if response.status_code != 200:
            broken.append(f"{url} -> {response.status_code} (linked from {linked_from.get(url, 'start')})")
            continue
        path = urlsplit(response.url).path
        if "text/html" not in response.headers.get("Content-Type", "") or path.startswith(NOT_CRAWLED):
            continue
        parsed = parse_page(response.text)
        for link in same_origin_links(live_server, response.url, parsed.links + parsed.assets):
            if link not in seen:
                seen.add(link)
                linked_from[link] = url
                queue.append(link)
    assert not broken, f"{len(broken)} broken link(s):\n" + "\n".join(broken[:50])
    assert pages >= 50, f"only {pages} pages crawled"
    # the crawl covered the kinds of pages the site has
    kinds = {urlsplit(u).path.split("/")[1] for u in seen}
    assert {"document", "actors", "chain", "norms", "questions", "editor", "id"} <= kinds, kinds
