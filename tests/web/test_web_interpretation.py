"""Pages and /api/ask tell a reading from what the text says (issue 14, item 1): a row that rests on the
interpretation graph is labelled 解读 (interpretation in English) on the question pages, and both the pages and
/api/ask leave such rows out on request (asserted_only)."""
from __future__ import annotations

import re

import requests

DUTIES = "/questions/duties"
ACTOR = "街道党工委"        # most of its duties are read from the generic Party organization's


def _rows(html: str) -> list[str]:
    body = html.split('<tbody>', 1)[1].split('</tbody>', 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_each_row_that_rests_on_a_reading_is_labelled_as_one(live_server):
    api = requests.get(f"{live_server}/api/queries/duties", params={"actor": ACTOR, "page_size": 1000},
                       timeout=30).json()
    read = [row["interpreted"] for row in api["rows"]]
    assert any(read) and not all(read)       # both kinds are there to tell apart
    page = requests.get(live_server + DUTIES, params={"actor": ACTOR, "run": "1"}, timeout=30).text
    rows = _rows(page)
    assert len(rows) == len(read)
    labelled = [('class="reading"' in row) for row in rows]
    assert sorted(labelled) == sorted(read)
    assert ">解读</span>" in page and ">True<" not in page and ">False<" not in page
    english = requests.get(live_server + DUTIES, params={"actor": ACTOR, "run": "1", "lang": "en"}, timeout=30).text
    assert ">interpretation</span>" in english


def test_asserted_only_leaves_the_readings_out_on_the_page_and_in_the_form(live_server):
    page = requests.get(live_server + DUTIES, params={"actor": ACTOR, "run": "1", "asserted_only": "true"},
                        timeout=30).text
    rows = _rows(page)
    assert rows and not any('class="reading"' in row for row in rows)
    assert re.search(r'<input type="checkbox" id="p-asserted_only" name="asserted_only" value="true"\s+checked', page)


def test_ask_labels_readings_and_leaves_them_out_on_request(live_server):
    question = "街道党工委有哪些职责?"
    both = requests.get(f"{live_server}/api/ask", params={"q": question}, timeout=30).json()
    assert both["query"] == "duties"
    read = [row for row in both["rows"] if row["interpreted"]]
    assert read and all(row["interpreted_label"] == "解读 / interpretation" for row in read)
    asserted = requests.get(f"{live_server}/api/ask", params={"q": question, "asserted_only": "是"}, timeout=30).json()
    assert asserted["rows"] and not any(row["interpreted"] for row in asserted["rows"])
    assert len(asserted["rows"]) == len(both["rows"]) - len(read)
    bad = requests.get(f"{live_server}/api/ask", params={"q": question, "asserted_only": "maybe"}, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "asserted_only"
