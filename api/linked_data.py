"""Linked data: /id/... and /def/... dereference, dumps, VoID, /healthz."""
from __future__ import annotations

from flask import Blueprint, jsonify

from policykg.api.errors import register_error_handlers
from policykg.api.state import get_state

bp = Blueprint("linked_data", __name__)


@bp.record_once
def _install(state):
    register_error_handlers(state.app)
    from policykg.api.server import install_http_features

    install_http_features(state.app)


@bp.route("/healthz")
def healthz():
    state = get_state()
    pool = state._pool
    workers = pool.live if pool is not None else 0
    return jsonify(status="ok", quads=len(state.store), query_workers=workers)
