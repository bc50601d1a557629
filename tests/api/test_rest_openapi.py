"""/api/openapi.json is a valid OpenAPI 3 document, and fuzzing every operation gives no 5xx."""
from __future__ import annotations

import pytest
import requests
from openapi_spec_validator import validate

from policykg.queries.library import load_library


@pytest.fixture(scope="module")
def spec(live_server):
    response = requests.get(live_server + "/api/openapi.json", timeout=30)
    assert response.status_code == 200
    return response.json()


def test_document_validates(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_named_question_has_a_typed_operation(spec):
    for name, query in load_library().items():
        op = spec["paths"][f"/api/queries/{name}"]["get"]
        params = {p["name"]: p for p in op["parameters"] if "name" in p}
        for p in query.params:
            assert params[p.name]["required"] == p.required
            assert params[p.name]["schema"]["type"] == {"integer": "integer", "boolean": "boolean"}.get(p.type, "string")


def test_envelope_is_documented_once(spec):
    assert set(spec["components"]["schemas"]) >= {"Rows", "Error"}
    assert "truncated" in spec["components"]["schemas"]["Rows"]["properties"]
    assert "candidates" in spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    assert '"ok": false' in spec["info"]["description"]


def test_examples_in_the_document_work(live_server, spec):
    for path, item in spec["paths"].items():
        op = item.get("get")
        if op is None or "{" in path:   # POST /api/locate takes a body (tests/api/test_rest_ask.py)
            continue
        params = {p["name"]: p["example"] for p in op.get("parameters", []) if "example" in p}
        required = [p["name"] for p in op.get("parameters", []) if p.get("required")]
        if not set(required) <= set(params):
            continue
        response = requests.get(live_server + path, params=params, timeout=60)
        assert response.status_code == 200, (path, params, response.text[:500])


@pytest.mark.slow
def test_fuzzing_finds_no_server_errors(live_server):
    import schemathesis   # heavy: only for this test
    from hypothesis import HealthCheck, Phase, settings

    schema = schemathesis.openapi.from_url(live_server + "/api/openapi.json")
    failures = []
    checked = 0
    calls = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(base_url=live_server, timeout=30)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, case.query, response.status_code,
                                 response.text[:300]))

        strategy = operation.as_strategy()
        from hypothesis import given

        given(strategy)(check)()
        checked += 1
    assert checked >= 20
    assert len(calls) >= 5 * checked            # the fuzzer really called every operation
    assert {200, 400} <= set(calls)             # and met both answers and refusals
    assert not failures, failures[:5]
