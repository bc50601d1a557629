"""The Flask application: one factory, one blueprint per concern.

    policykg.api.sparql        /sparql (SPARQL 1.1 Protocol), /update when enabled
    policykg.api.linked_data   /id/..., /def/..., dumps, VoID, /healthz
    policykg.api.rest          /api/... (named queries, resolution, chains, OpenAPI)
    policykg.api.check         POST /api/check (registers checked against the norms)
    policykg.api.pages         / and the HTML pages

:func:`create_app` is the whole wiring: the state, the error handlers, CORS and gzip,
the blueprints and the /sparql middleware in front of them.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Flask

from policykg.api import linked_data, pages, rest, sparql
from policykg.api import check as _check  # noqa: F401  (adds POST /api/check to the REST blueprint)
from policykg.api.errors import register_error_handlers
from policykg.api.http_features import install_http_features
from policykg.api.sparql import SparqlEndpoint
from policykg.api.state import AppState
from policykg.settings import Config, load_config
from policykg.store.backend import Store


def create_app(settings: Config | None = None, store: Store | None = None, **overrides) -> Flask:
    """Build the application over ``store``, or else over the data ``settings`` names
    (``data``, ``store``, or the bundled policy); ``overrides`` replace single settings."""
    settings = settings or load_config()
    if overrides:
        settings = settings.replace(**overrides)
    # An explicit instance path: Flask cannot infer one when the app is created from a
    # script outside the package (StopIteration in its lookup), and we keep no instance data.
    app = Flask(__name__, instance_path=str(Path(tempfile.gettempdir()) / "policykg-instance"))
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    state = AppState(config=settings, store=store) if store is not None else AppState.from_config(settings)
    state.render_resource = pages.render_resource
    app.extensions["policykg"] = state
    # First of all: another server process may have published new data (/update).
    app.before_request(state.refresh)
    register_error_handlers(app)
    install_http_features(app)
    for blueprint in (linked_data.bp, sparql.bp, rest.bp, pages.bp):
        app.register_blueprint(blueprint)
    app.wsgi_app = SparqlEndpoint(app.wsgi_app, state, app.config["MAX_CONTENT_LENGTH"])
    return app
