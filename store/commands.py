"""``policykg load``: push the built dataset into a SPARQL 1.1 server, for
``policykg serve --store-url`` (and any other client of that server)."""
from __future__ import annotations

import sys

from policykg.errors import UserError
from policykg.settings import load_config
from policykg.store.errors import QueryRefused, StoreError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "load",
        help="push the dataset into a SPARQL 1.1 server",
        description="Push every named graph of a built dataset into a SPARQL 1.1 server (Graph Store Protocol), "
                    "each replacing the server's previous version of that graph in one step, and check the "
                    "counts afterwards. Without --data the bundled policy is built first. Credentials from "
                    "POLICYKG_STORE_USER / POLICYKG_STORE_PASSWORD (POLICYKG_STORE_AUTH=digest for Virtuoso's "
                    "-auth endpoints).",
    )
    p.add_argument("--into", metavar="URL", required=True, help="the server's SPARQL query endpoint")
    p.add_argument("--update-url", metavar="URL", dest="update_url",
                   help="its update endpoint (default: the server's usual one)")
    p.add_argument("--graph-store-url", metavar="URL", dest="graph_store_url",
                   help="its Graph Store Protocol endpoint (default: the server's usual one)")
    p.add_argument("--data", metavar="FILE", help="a built dataset (.trig or .nq); default: the bundled policy")
    p.set_defaults(func=run)


def run(args) -> int:
    from policykg.loader.dataset import build_bundled
    from policykg.store.remote import RemoteStore

    try:
        config = load_config({"base": getattr(args, "base", None), "store_url": args.into,
                              "update_url": args.update_url, "graph_store_url": args.graph_store_url,
                              "data": args.data})
    except (KeyError, ValueError) as exc:
        raise UserError(str(exc)) from None
    try:
        store = RemoteStore.from_config(config)
        store.check()
        data = config.data or build_bundled(config.base)

        def progress(name: str, count: int) -> None:
            print(f"policykg load: {name}: {count} triples", file=sys.stderr, flush=True)

        sizes = store.load(data, progress)
    except (StoreError, QueryRefused) as exc:
        raise UserError(str(exc)) from None
    print(f"policykg load: {sum(sizes.values())} triples in {len(sizes)} graphs into {config.store_url}",
          file=sys.stderr)
    return 0
