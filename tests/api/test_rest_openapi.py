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
        if op is None or "{" in path:   # POST /api/locate (tests/api/test_rest_ask.py), POST /api/check (below)
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


def _validator(spec, status: str, op: dict):
    """A validator for the JSON body the document promises for ``status`` (its $refs resolved in ``spec``)."""
    from openapi_schema_validator import OAS30Validator

    schema = op["responses"][status]["content"]["application/json"]["schema"]
    return OAS30Validator({**schema, "components": spec["components"]})


def test_documented_post_check_works_as_described(live_server, spec):
    """POST /api/check is documented (it has no GET, so the example runner above skips it): a register
    generated like the compliance tests' gets the documented report, and each documented error status
    comes with the documented body."""
    from policykg.compliance.generator import generate

    op = spec["paths"]["/api/check"]["post"]
    form = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["communities"]
    assert set(form["properties"]) == {"communities", "workers", "format"}
    assert set(op["responses"]) >= {"200", "400", "413", "422"}
    registers = generate(3, seed=5)
    files = {"communities": ("communities.csv", registers.communities_csv(), "text/csv"),
             "workers": ("workers.csv", registers.workers_csv(), "text/csv")}

    r = requests.post(live_server + "/api/check", files=files, data={"format": "json"}, timeout=120)
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    _validator(spec, "200", op).validate(body)
    assert len(body["communities"]) == 3 and body["workers"] and body["norms"]
    for fmt in form["properties"]["format"]["enum"]:   # every documented format is served as documented
        r = requests.post(live_server + "/api/check", files=files, data={"format": fmt}, timeout=120)
        assert r.status_code == 200, (fmt, r.text[:300])
        assert r.headers["Content-Type"].split(";")[0] in op["responses"]["200"]["content"], fmt

    r = requests.post(live_server + "/api/check", files={"workers": files["workers"]}, timeout=60)
    assert r.status_code == 400
    _validator(spec, "400", op).validate(r.json())
    assert r.json()["error"]["code"] == "missing_parameter"

    r = requests.post(live_server + "/api/check", files={"communities": ("c.csv", b"a" * ((6 << 20) + 1))},
                      timeout=60)
    assert r.status_code == 413
    _validator(spec, "413", op).validate(r.json())
    assert r.json()["error"]["code"] == "too_large"

    bad = registers.communities_csv().decode("utf-8-sig").splitlines()
    bad[1] = bad[1].replace(str(registers.communities[0]["households"]), "-3", 1)
    r = requests.post(live_server + "/api/check", timeout=60,
                      files={"communities": ("c.csv", "\n".join(bad).encode("utf-8"))})
    assert r.status_code == 422
    _validator(spec, "422", op).validate(r.json())
    assert r.json()["error"]["errors"][0]["row"] == 2 and r.json()["error"]["errors"][0]["file"] == "c.csv"


def test_report_schema_would_catch_a_wrong_report(spec):
    """The documented schema is not vacuous: a report missing its rows or with an unknown outcome fails."""
    import jsonschema

    op = spec["paths"]["/api/check"]["post"]
    validator = _validator(spec, "200", op)
    good = {"ok": True, "norms": [], "not_checkable": [], "graphs": [], "truncated": False,
            "summary": {"norms": [], "districts": [], "subdistricts": []},
            "communities": [{"row": 2, "iri": "x", "district": "a", "subdistrict": "b", "community": "c",
                             "results": [{"norm": "n", "status": "met", "status_zh": "达标", "required": "r",
                                          "actual": "a"}]}],
            "workers": []}
    validator.validate(good)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({k: v for k, v in good.items() if k != "communities"})
    wrong = {**good, "communities": [{**good["communities"][0],
                                      "results": [{**good["communities"][0]["results"][0], "status": "ok"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(wrong)
