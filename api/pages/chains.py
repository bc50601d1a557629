"""Responsibility chains between two actors (/chain), drawn as one layered SVG picture."""
from __future__ import annotations

from flask import request
from markupsafe import Markup

from policykg.api.pages.blueprint import bp, page
from policykg.api.pages.data import actor_graph, resolver
from policykg.api.pages.drawing import GEdge, GNode, layout_svg
from policykg.api.pages.i18n import t
from policykg.api.pages.labels import cite_text, iri_url, label
from policykg.queries.library import ParameterError

CHAIN_DEFAULTS = {"from": "区委书记", "to": "社区党支部"}
CHAIN_DEFAULT_LENGTH = 8     # the policy's longest chain (区委书记 … 社区党支部) has 7 steps
CHAIN_MAX = 10


def chain_svg(chains: list[dict], source: str, target: str) -> Markup:
    """Every chain drawn as one layered picture; each edge labelled with relation and clause."""
    nodes: dict[str, GNode] = {}
    layers: dict[str, int] = {}
    edges: dict[tuple[str, str], GEdge] = {}
    for chain in chains:
        for position, step in enumerate(chain["edges"]):
            for iri, depth in ((step["source"], position), (step["target"], position + 1)):
                if iri not in nodes:
                    css = "focus" if iri == source else "end" if iri == target else ""
                    nodes[iri] = GNode(iri, label(iri), iri_url(iri), css)
                layers[iri] = max(layers.get(iri, 0), depth)
            key = (step["source"], step["target"])
            edge = edges.setdefault(key, GEdge(*key))
            clause = step.get("clause")
            text = label(step["relation"]) + (f" · {cite_text(clause)}" if clause else "")
            if all(line[0] != text for line in edge.lines):
                edge.lines.append((text, iri_url(clause) if clause else "", step.get("quote") or ""))
    title = t(f"从{label(source)}到{label(target)}的责任链", f"Responsibility chains from {label(source)} to {label(target)}")
    wide = layout_svg(list(nodes.values()), list(edges.values()), layers, title, svg_id="chain-graph", max_per_row=3,
                      css="for-wide")
    # A phone gets the same picture one actor to a row, narrow enough to be read without zooming
    # (the style sheet shows one of the two).
    narrow = layout_svg([GNode(n.id, n.label, n.href, n.css) for n in nodes.values()],
                        [GEdge(e.source, e.target, list(e.lines)) for e in edges.values()], layers, title,
                        svg_id="chain-graph-narrow", max_per_row=1, max_text=150.0, css="for-narrow")
    return wide + narrow


def find_chains(source: str, target: str, max_length: int) -> list[dict]:
    """Chains between two actors, shortest first, from the REST area's chains module (networkx), as
    ``[{"edges": [{"source", "relation", "target", "clause", "quote", "statement"}]}]``."""
    graph = actor_graph()
    paths = graph.chains(source, target, max_length)
    found: dict[int, dict] = {}
    for row in graph.chain_rows(paths):
        found.setdefault(row["chain"], {"edges": [], "path": row["path"]})["edges"].append(row)
    return [found[n] for n in sorted(found)]


@bp.route("/chain")
def chain():
    asked = {"from": request.args.get("from", "").strip(), "to": request.args.get("to", "").strip()}
    try:
        max_length = max(1, min(CHAIN_MAX, int(request.args.get("max", str(CHAIN_DEFAULT_LENGTH)))))
    except ValueError:
        max_length = CHAIN_DEFAULT_LENGTH
    submitted = bool(asked["from"] or asked["to"])
    values = asked if submitted else dict(CHAIN_DEFAULTS)
    errors, resolved, chains, picture = {}, {}, [], Markup("")
    for end in ("from", "to"):
        if not values[end]:
            errors[end] = t("请输入主体。", "Name an actor.")
            continue
        try:
            resolved[end] = resolver().resolve_one(values[end], kind="actor", parameter=end)
        except ParameterError as exc:
            errors[end] = exc
    if not errors:
        chains = find_chains(resolved["from"]["iri"], resolved["to"]["iri"], max_length)
        picture = chain_svg(chains, resolved["from"]["iri"], resolved["to"]["iri"]) if chains else Markup("")
    return page("chain.html", active="pages.chain", values=values, resolved=resolved, errors=errors,
                chains=chains, picture=picture, max_length=max_length,
                ParameterError=ParameterError)
