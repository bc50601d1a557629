"""A minimal SPARQL endpoint over rdflib's Dataset (the benchmark's third peer).

Flask on waitress, default graph = union of the named graphs, SPARQL JSON for
SELECT/ASK and N-Triples or Turtle for CONSTRUCT. Deliberately thin, like
rdflib-endpoint: no time limit and no sandbox — use it only on loopback.

    python -m bench.rdflib_endpoint --data build/policykg.trig --port 8001
"""
from __future__ import annotations

import argparse
import sys
import time

from flask import Flask, Response, request


def create_app(data: str) -> Flask:
    from rdflib import Dataset

    started = time.monotonic()
    dataset = Dataset(default_union=True)
    fmt = "nquads" if data.endswith(".nq") else "trig"
    dataset.parse(data, format=fmt)
    print(f"rdflib endpoint: loaded {len(dataset)} triples in {time.monotonic() - started:.1f} s",
          file=sys.stderr, flush=True)
    app = Flask(__name__)

    @app.route("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql():
        query = request.values.get("query")
        if query is None and request.mimetype == "application/sparql-query":
            query = request.get_data(as_text=True)
        if not query:
            return Response("missing query\n", status=400, mimetype="text/plain")
        try:
            result = dataset.query(query)
        except Exception as exc:  # noqa: BLE001 - a benchmark peer reports and goes on
            return Response(f"{type(exc).__name__}: {exc}\n", status=400, mimetype="text/plain")
        if result.type in ("SELECT", "ASK"):
            return Response(result.serialize(format="json"), mimetype="application/sparql-results+json")
        accept = request.headers.get("Accept", "")
        if "n-triples" in accept:
            return Response(result.serialize(format="nt"), mimetype="application/n-triples")
        return Response(result.serialize(format="turtle"), mimetype="text/turtle")

    return app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    import waitress

    waitress.serve(create_app(args.data), host=args.host, port=args.port, threads=args.threads, _quiet=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
