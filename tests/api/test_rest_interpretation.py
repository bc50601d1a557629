"""The REST JSON of a named question marks the rows that rest on a reading (解读 / interpretation)
and leaves them out with ``asserted_only=true`` (live server, real HTTP client)."""
from __future__ import annotations

import requests

LABEL = "解读 / interpretation"


def _rows(live_server, **params):
    response = requests.get(live_server + "/api/queries/responsible_persons", params=params, timeout=60)
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["ok"] is True and "interpreted" in body["columns"] and "interpreted_label" in body["columns"]
    return body["rows"]


def test_interpreted_rows_are_labelled_and_excluded_on_request(live_server):
    every = _rows(live_server)
    read = [r for r in every if r["interpreted"] is True]
    assert read and all(r["interpreted_label"] == LABEL for r in read)
    assert any(r["person"].endswith("/DistrictPartyCommittee") for r in read)   # 区一级是关键
    stated = _rows(live_server, asserted_only="true")
    assert stated and all(r["interpreted"] is False and r["interpreted_label"] is None for r in stated)
    assert len(stated) < len(every)


def test_a_bad_flag_is_a_clear_error(live_server):
    response = requests.get(live_server + "/api/queries/responsible_persons", params={"asserted_only": "maybe"},
                            timeout=60)
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and "asserted_only" in response.text and "maybe" in response.text
