"""``policykg serve``: the service on a production WSGI server (waitress)."""
from __future__ import annotations

import logging
import signal
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the SPARQL endpoint, linked data, REST API and pages",
        description="Serve the dataset over HTTP with waitress. Without --data or --store, "
                    "the bundled policy is built at start.",
    )
    p.add_argument("--host", help="address to listen on (default: POLICYKG_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default: POLICYKG_PORT or 8000)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="FILE", help="a built dataset (.trig or .nq) loaded into memory")
    source.add_argument("--store", metavar="DIR",
                        help="a persistent pyoxigraph store folder (created and loaded from POLICYKG_DATA "
                             "when empty)")
    p.add_argument("--threads", type=int, help="request threads (default: POLICYKG_THREADS or 8)")
    p.add_argument("--workers", type=int, dest="query_workers",
                   help="query worker processes (default: POLICYKG_QUERY_WORKERS or 2)")
    p.add_argument("--timeout", type=float, dest="query_timeout",
                   help="SPARQL query time limit in seconds (default: POLICYKG_QUERY_TIMEOUT or 10)")
    p.set_defaults(func=run)


def run(args) -> int:
    from policykg.api import create_app
    from policykg.api.server import serve
    from policykg.api.store import StoreError
    from policykg.cli import UserError
    from policykg.settings import load_config

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    overrides = {
        "base": getattr(args, "base", None),
        "host": args.host, "port": args.port, "data": args.data, "store": args.store,
        "threads": args.threads, "query_workers": args.query_workers, "query_timeout": args.query_timeout,
    }
    try:
        config = load_config(overrides)
    except (KeyError, ValueError) as exc:
        raise UserError(str(exc)) from None
    try:
        app = create_app(config)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    state = app.extensions["policykg"]
    if not state.pool.wait_ready():
        state.close()
        raise UserError("the query workers could not open the data (see the log above)")
    print(f"policykg: serving {len(state.store)} quads at http://{config.host}:{config.port}/ "
          f"(SPARQL at /sparql, {config.query_workers} query workers, {config.threads} threads, "
          f"time limit {config.query_timeout:g} s)", file=sys.stderr, flush=True)
    def _terminate(signum, frame):  # SIGTERM ends the service like Ctrl-C: workers are stopped
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        serve(app, config.host, config.port, config.threads)
    except OSError as exc:
        raise UserError(f"cannot listen on {config.host}:{config.port}: {exc}") from None
    finally:
        state.close()
    return 0
