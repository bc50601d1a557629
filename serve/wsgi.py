"""The WSGI application of one server process (``policykg serve`` starts several).

granian imports ``policykg.serve.wsgi:app`` in each server process; the configuration and
the runtime folder come from the environment the supervisor set (:func:`policykg.serve.supervisor.serve`).
"""
from __future__ import annotations

import logging
import os
import sys

from policykg.api import create_app
from policykg.serve import affinity
from policykg.serve.access_log import AccessLog
from policykg.serve.body import BodyDeadline
from policykg.serve.rebalance import Rebalance, announce_ready
from policykg.serve.supervisor import request_replacement, watch_process
from policykg.store import runtime

logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")

_flask_app = create_app()
_state = _flask_app.extensions["policykg"]
_state.on_query_overrun = request_replacement
_state.evaluator   # start the helper threads now, not on the first query
_pinning = affinity.start(runtime.runtime_dir(), _state.config.cpu_affinity, _state.config.query_workers)
watch_process(_state, _pinning)
print(f"policykg: server process {os.getpid()} ready with {len(_state.store)} quads", file=sys.stderr, flush=True)

_app = BodyDeadline(_flask_app, _state.config.body_timeout, _state.config.threads,
                    _flask_app.config.get("MAX_CONTENT_LENGTH"))
app = AccessLog(Rebalance(_app, runtime.runtime_dir()))
announce_ready(runtime.runtime_dir())   # the others let their keep-alive clients go, to spread them again
