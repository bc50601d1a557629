"""Content negotiation: Accept headers with q-values, and ``format``-style overrides.

Format tokens are pyoxigraph enum member names, so the evaluator can turn them back
into ``QueryResultsFormat``/``RdfFormat`` without any table of its own.
"""
from __future__ import annotations

import functools

from dataclasses import dataclass

# (media type, format token), in the service's order of preference.
RESULTS_OFFERS = (
    ("application/sparql-results+json", "JSON"),
    ("application/sparql-results+xml", "XML"),
    ("text/csv", "CSV"),
    ("text/tab-separated-values", "TSV"),
    ("application/json", "JSON"),
    ("application/xml", "XML"),
    ("text/xml", "XML"),
    ("application/javascript", "JSON"),
    ("text/javascript", "JSON"),
)
GRAPH_OFFERS = (
    ("text/turtle", "TURTLE"),
    ("application/n-triples", "N_TRIPLES"),
    ("application/rdf+xml", "RDF_XML"),
    ("application/ld+json", "JSON_LD"),
    ("application/x-turtle", "TURTLE"),
    ("application/turtle", "TURTLE"),
    ("text/plain", "N_TRIPLES"),
    ("application/xml", "RDF_XML"),
    ("text/xml", "RDF_XML"),
    ("application/json", "JSON_LD"),
    ("application/x-json+ld", "JSON_LD"),
    ("text/n3", "TURTLE"),           # Turtle is valid N3
    ("text/rdf+n3", "TURTLE"),
)

# ``format=``/``output=``/``results=`` values (lower case) → token, per result kind.
_RESULTS_NAMES = {
    "json": "JSON", "srj": "JSON", "xml": "XML", "srx": "XML", "csv": "CSV", "tsv": "TSV",
}
_GRAPH_NAMES = {
    "turtle": "TURTLE", "ttl": "TURTLE", "n3": "TURTLE", "nt": "N_TRIPLES", "ntriples": "N_TRIPLES",
    "n-triples": "N_TRIPLES", "rdfxml": "RDF_XML", "rdf+xml": "RDF_XML", "rdf/xml": "RDF_XML",
    "rdf": "RDF_XML", "xml": "RDF_XML", "jsonld": "JSON_LD", "json-ld": "JSON_LD", "json": "JSON_LD",
}

# Media types of each token (the Content-Type the service sends).
MEDIA_TYPES = {
    ("results", "JSON"): "application/sparql-results+json",
    ("results", "XML"): "application/sparql-results+xml",
    ("results", "CSV"): "text/csv",
    ("results", "TSV"): "text/tab-separated-values",
    ("graph", "TURTLE"): "text/turtle",
    ("graph", "N_TRIPLES"): "application/n-triples",
    ("graph", "RDF_XML"): "application/rdf+xml",
    ("graph", "JSON_LD"): "application/ld+json",
}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> int:
        """0 if no match, else a specificity (3 exact, 2 type/*, 1 */*)."""
        t, _, s = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type == t and self.subtype == "*":
            return 2
        if self.type == t and self.subtype == s:
            return 3
        return 0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed parts are skipped."""
    ranges = []
    if not header:
        return ranges
    for order, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            if media == "*":
                media = "*/*"
            else:
                continue
        t, _, s = media.partition("/")
        if not t or not s:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                q = min(max(q, 0.0), 1.0)
        ranges.append(MediaRange(t, s, q, order))
    return ranges


def negotiate(header: str | None, offers, default: str | None = None) -> str | None:
    """The offered media type the client prefers most, or None if none is acceptable.

    ``offers`` are media types in the server's preference order. With no Accept
    header, the first offer (or ``default``) is chosen.
    """
    offers = [o[0] if isinstance(o, tuple) else o for o in offers]
    ranges = parse_accept(header)
    if not ranges:
        return default or (offers[0] if offers else None)
    best = None
    best_key = None
    for server_rank, offer in enumerate(offers):
        # The most specific matching range decides the offer's q.
        match = None
        for r in ranges:
            spec = r.matches(offer)
            if spec and (match is None or spec > match[0]):
                match = (spec, r)
        if match is None or match[1].q <= 0:
            continue
        spec, r = match
        key = (r.q, -r.order if spec > 1 else -len(ranges), -server_rank)
        if best_key is None or key > best_key:
            best, best_key = offer, key
    return best


def choose_format(kind: str, accept: str | None, overrides) -> str | None:
    """The format token for a result ``kind`` ("results" or "graph").

    The first recognisable override value (``format``/``output``/``results`` parameters,
    by name or media type) wins; otherwise Accept decides. None means 406.
    """
    return _choose_format(kind, accept, tuple(overrides))


# Clients send the same few Accept headers again and again: remember the answers
# (bounded, so a client inventing headers cannot grow it).
@functools.lru_cache(maxsize=512)
def _choose_format(kind: str, accept: str | None, overrides: tuple) -> str | None:
    names = _RESULTS_NAMES if kind == "results" else _GRAPH_NAMES
    offers = RESULTS_OFFERS if kind == "results" else GRAPH_OFFERS
    by_media = dict(offers)
    for value in overrides:
        value = value.strip().lower()
        if value in names:
            return names[value]
        media = value.split(";")[0].strip()
        if media in by_media:
            return by_media[media]
    chosen = negotiate(accept, offers)
    return by_media[chosen] if chosen else None


def media_type_for(kind: str, token: str) -> str:
    return MEDIA_TYPES[(kind, token)]
