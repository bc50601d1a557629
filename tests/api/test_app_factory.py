"""The factory is the whole wiring: blueprints, error handlers, CORS and gzip, the /sparql
middleware and the shared objects on the state, installed by create_app itself."""
from __future__ import annotations

import pytest

from policykg.api import create_app
from policykg.api.sparql import SparqlEndpoint
from policykg.settings import load_config
from policykg.store.backend import OxigraphStore


@pytest.fixture(scope="module")
def app(built_dataset):
    settings = load_config({"data": str(built_dataset)})
    return create_app(settings, store=OxigraphStore.from_file(built_dataset, settings.base))


def test_the_factory_registers_each_concern_once(app):
    assert sorted(app.blueprints) == ["linked_data", "pages", "rest", "sparql"]
    assert isinstance(app.wsgi_app, SparqlEndpoint)
    assert not isinstance(app.wsgi_app.app, SparqlEndpoint)     # one middleware, not one per blueprint
    assert app.config["MAX_CONTENT_LENGTH"] == 16 << 20


def test_errors_outside_any_blueprint_get_the_envelope_cors_and_no_trace(app):
    response = app.test_client().get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json()["error"] == {"code": "not_found", "status": 404, "title": "Not Found",
                                            "message": response.get_json()["error"]["message"],
                                            "message_zh": "未找到"}


def test_large_answers_are_gzipped_when_asked(app):
    response = app.test_client().get("/def", headers={"Accept": "text/turtle", "Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]


def test_shared_objects_hang_on_the_state(app):
    state = app.extensions["policykg"]
    assert state.resolver() is state.resolver()                  # built once per data state
    assert state.actor_graph() is state.actor_graph()
    assert state.render_resource is not None                     # the pages' view of /id/...
    before = state.resolver()
    state.invalidate()                                           # the data changed (/update)
    assert state.resolver() is not before


def test_the_old_call_forms_still_work(built_dataset):
    app = create_app(data=str(built_dataset))
    assert app.extensions["policykg"].config.data == str(built_dataset)
    answered = app.test_client().get("/sparql", query_string={"query": "ASK {}"},
                                     headers={"Accept": "application/sparql-results+json"})
    assert answered.status_code == 200 and answered.get_json()["boolean"] is True
