"""The Flask application: one factory, one blueprint per concern.

    policykg.api.sparql        /sparql (SPARQL 1.1 Protocol), /update when enabled
    policykg.api.linked_data   /id/..., /def/..., dumps, VoID, /healthz
    policykg.api.rest          /api/... (named queries, resolution, chains, OpenAPI)
    policykg.api.pages         / and the HTML pages
"""
from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

from flask import Flask

from policykg.settings import Config, load_config

BLUEPRINT_MODULES = (
    "policykg.api.linked_data",
    "policykg.api.sparql",
    "policykg.api.rest",
    "policykg.api.pages",
)


def create_app(config: Config | None = None, store=None, **overrides) -> Flask:
    """Build the application over the dataset that ``config`` names, or over ``store`` (a
    :class:`policykg.api.store.Store` you built, e.g. a test suite's dataset) when given."""
    from policykg.api.state import AppState

    config = (config or load_config()).replace(**overrides) if overrides else (config or load_config())
    # An explicit instance path: Flask cannot infer one when the app is created from a
    # script outside the package (StopIteration in its lookup), and we keep no instance data.
    app = Flask(__name__, instance_path=str(Path(tempfile.gettempdir()) / "policykg-instance"))
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    state = app.extensions["policykg"] = AppState.from_config(config) if store is None else \
        AppState(config=config, store=store)
    # First of all: another server process may have published new data (/update).
    app.before_request(state.refresh)
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(name).bp)
    return app
