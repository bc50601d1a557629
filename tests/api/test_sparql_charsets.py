"""Request texts are UTF-8 (or US-ASCII), as the SPARQL 1.1 Protocol has them (issue 15, item 4): another
charset is refused with 415 before the body is read, and text that is not valid UTF-8 — in a body, a form or
the URL — is a 400 naming where, never a 500 and never silently replaced."""
from __future__ import annotations

import time

import pytest
import requests

QUERY = "ASK { ?s ?p ?o }"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8", "us-ascii"])
def test_utf8_and_ascii_bodies_are_answered(live_server, charset):
    response = requests.post(f"{live_server}/sparql", data=QUERY.encode("ascii"), timeout=30,
                             headers={**JSON, "Content-Type": f"application/sparql-query; charset={charset}"})
    assert response.status_code == 200 and response.json()["boolean"] is True


@pytest.mark.parametrize("charset", ["punycode", "utf-16", "gb18030", "latin-1", "rot13", "no-such-codec"])
def test_other_charsets_are_refused_before_the_body_is_read(live_server, charset):
    body = ("# " + "码" * 300_000 + "\n" + QUERY).encode("utf-8")    # large: refusing must not decode it
    started = time.monotonic()
    response = requests.post(f"{live_server}/sparql", data=body, timeout=30,
                             headers={**JSON, "Content-Type": f"application/sparql-query; charset={charset}"})
    assert response.status_code == 415, response.text
    assert charset.lower() in response.json()["error"]["message"] and "UTF-8" in response.json()["error"]["message"]
    assert time.monotonic() - started < 10


def test_a_body_that_is_not_utf8_is_a_bad_request(live_server):
    response = requests.post(f"{live_server}/sparql", data=b"ASK { ?s ?p \xff\xfe }", timeout=30,
                             headers={**JSON, "Content-Type": "application/sparql-query"})
    assert response.status_code == 400 and "not valid utf-8" in response.json()["error"]["message"]


@pytest.mark.parametrize("where, send", [
    ("query string", lambda url: requests.get(f"{url}/sparql?query=ASK%20%7B%7D%FF", headers=JSON, timeout=30)),
    ("form body", lambda url: requests.post(f"{url}/sparql", data="query=ASK%20%7B%7D%FF", timeout=30,
                                            headers={**JSON, "Content-Type": "application/x-www-form-urlencoded"})),
])
def test_percent_encoded_text_that_is_not_utf8_is_a_bad_request(live_server, where, send):
    response = send(live_server)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == f"the {where} is not valid UTF-8 once percent-decoded"


def test_chinese_in_a_query_string_is_read_as_utf8(live_server):
    response = requests.get(f"{live_server}/sparql", params={"query": 'ASK { FILTER("居委会" = "居委会") }'},
                            headers=JSON, timeout=30)
    assert response.status_code == 200 and response.json()["boolean"] is True
