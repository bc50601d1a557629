"""The store's refusals reach HTTP through one table (policykg.api.errors.REFUSALS):
every reason the store can give has a status; a well-formed query beyond a limit is not a
bad request (issue 20) but gets a status and a code of its own."""
import pytest

from policykg.api.errors import REFUSALS, HttpError, http_error
from policykg.store.errors import REASONS, QueryRefused


def test_every_reason_of_the_store_has_one_status():
    assert REFUSALS.keys() == REASONS.keys()


@pytest.mark.parametrize("reason, status, code, headers", [
    ("too_long", 413, "query_too_long", {}),
    ("too_deep", 422, "query_too_complex", {}),
    ("too_complex", 422, "query_too_complex", {}),
    ("too_many_results", 422, "result_too_large", {}),
    ("too_large", 422, "result_too_large", {}),
    ("not_evaluable", 422, "evaluation_error", {}),
    ("engine_error", 500, "engine_error", {}),
    ("syntax", 400, None, {}),
    ("service", 400, None, {}),
    ("no_format", 406, None, {}),
    ("timeout", 503, "timeout", {"Retry-After": "1"}),
    ("unavailable", 503, "unavailable", {"Retry-After": "1"}),
    ("resource_limit", 503, "resource_limit", {"Retry-After": "1"}),
    ("busy", 503, "busy", {"Retry-After": "1"}),
    ("internal", 500, None, {}),
])
def test_a_refusal_becomes_its_http_error(reason, status, code, headers):
    error = http_error(QueryRefused(reason, "what went wrong"))
    assert (error.status, error.code, error.headers, error.message) == (status, code, headers, "what went wrong")


def test_an_http_error_passes_unchanged():
    error = HttpError(415, "send a query")
    assert http_error(error) is error


def test_an_unknown_reason_is_refused_when_raised():
    with pytest.raises(ValueError, match="unknown refusal reason 'teapot'"):
        QueryRefused("teapot", "no")
