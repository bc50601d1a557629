"""``policykg serve``: the service on a production HTTP server (granian), in supervised processes."""
from __future__ import annotations

import logging
import socket
import sys

from policykg.errors import UserError
from policykg.serve.supervisor import serve
from policykg.settings import CPU_AFFINITY_CHOICES, load_config
from policykg.store.shared import prepare
from policykg.store.errors import StoreError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the SPARQL endpoint, linked data, REST API and pages",
        description="Serve the dataset over HTTP with granian: several server processes, each "
                    "with the data in its own store. Without --data or --store, the bundled "
                    "policy is built at start.",
    )
    p.add_argument("--host", help="address to listen on (default: POLICYKG_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default: POLICYKG_PORT or 8000)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="FILE", help="a built dataset (.trig or .nq) loaded into memory")
    source.add_argument("--store", metavar="DIR",
                        help="a persistent pyoxigraph store folder (created and loaded from POLICYKG_DATA "
                             "when empty)")
    source.add_argument("--store-url", metavar="URL", dest="store_url",
                        help="the query endpoint of a SPARQL 1.1 server holding the data (load it with "
                             "policykg load --into URL); credentials from POLICYKG_STORE_USER / POLICYKG_STORE_PASSWORD")
    p.add_argument("--update-url", metavar="URL", dest="update_url",
                   help="that server's update endpoint, for /update (default: the server's usual one)")
    p.add_argument("--threads", type=int, help="request threads per server process (default: POLICYKG_THREADS or 8)")
    p.add_argument("--workers", type=int, dest="query_workers",
                   help="server processes (default: POLICYKG_QUERY_WORKERS or 2)")
    p.add_argument("--timeout", type=float, dest="query_timeout",
                   help="SPARQL query time limit in seconds (default: POLICYKG_QUERY_TIMEOUT or 10)")
    p.add_argument("--cpu-affinity", choices=CPU_AFFINITY_CHOICES, dest="cpu_affinity",
                   help="pin each server process to a CPU of its own (default: POLICYKG_CPU_AFFINITY or "
                        "auto: when there are at least as many processes as CPUs)")
    p.set_defaults(func=run)


def run(args) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    overrides = {
        "base": getattr(args, "base", None),
        "host": args.host, "port": args.port, "data": args.data, "store": args.store,
        "threads": args.threads, "query_workers": args.query_workers, "query_timeout": args.query_timeout,
        "cpu_affinity": args.cpu_affinity, "store_url": args.store_url, "update_url": args.update_url,
    }
    try:
        config = load_config(overrides)
    except (KeyError, ValueError) as exc:
        raise UserError(str(exc)) from None
    try:
        source, quads = prepare(config)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    if not _port_free(config.host, config.port):
        raise UserError(f"cannot listen on {config.host}:{config.port}: the address is in use")
    where = f" from the SPARQL server at {config.store_url}" if config.store_url else ""
    print(f"policykg: serving {quads} quads{where} at http://{config.host}:{config.port}/ "
          f"(SPARQL at /sparql, {config.query_workers} server processes of {config.threads} threads, "
          f"time limit {config.query_timeout:g} s)", file=sys.stderr, flush=True)
    serve(config, source)
    return 0


def _port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound (granian would only log the failure and exit)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
