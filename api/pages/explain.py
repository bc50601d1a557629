"""Why an answer is empty, in the reader's terms: for each actor the question named, what the text
does say about it (its relations, each cited), what other sources add (背景, each with its
source), and — when the question named two actors — whether a chain of relations joins them,
with a link to it. Nothing is inferred here: every line is a statement of the graph."""
from __future__ import annotations

import pyoxigraph as ox
from flask import url_for

from policykg.api.pages.data import actor_graph, page_rows, run_named
from policykg.api.pages.labels import label
from policykg.queries.library import ParameterError

# Parameters of the named questions that name an actor the answer is about.
ACTOR_PARAMS = ("actor", "other", "acted_on", "bearer", "about", "from", "to", "person")
SHOWN_RELATIONS = 6          # enough to see what the text says of it; the link shows all


def background_about(iri: str) -> list[dict]:
    """Facts of the background graph about ``iri``, each with its source's citation and words."""
    rows = page_rows("background_facts", about=ox.NamedNode(iri))
    return [{"fact": r["fact"].value, "label_zh": r["label_zh"].value if "label_zh" in r else "",
             "label_en": r["label_en"].value if "label_en" in r else "",
             "citation": r["citation"].value if "citation" in r else "",
             "quote": r["quote"].value if "quote" in r else ""} for r in rows]


def what_the_text_says(iri: str) -> tuple[list[dict], int]:
    """The first relations the text states with ``iri`` as subject or object, and how many there are."""
    try:
        rows = run_named("relations", {"actor": iri})["rows"]
    except ParameterError:
        return [], 0
    seen, out = set(), []
    for row in rows:
        key = (row.get("subject"), row.get("predicate"), row.get("object"), row.get("clause"))
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out[:SHOWN_RELATIONS], len(seen)


def explain_empty(params: dict) -> dict | None:
    """{"actors": [{iri, relations, total, background, relations_url}], "chain": {...} | None}
    for the resolved parameters of an empty answer; None when it named no actor."""
    actors = []
    for name in ACTOR_PARAMS:
        value = params.get(name)
        iri = value.get("iri") if isinstance(value, dict) else None
        if not iri or "actor" not in (value.get("kinds") or ["actor"]) or iri in [a["iri"] for a in actors]:
            continue
        relations, total = what_the_text_says(iri)
        actors.append({"iri": iri, "relations": relations, "total": total, "background": background_about(iri),
                       "relations_url": url_for("pages.question", name="relations", actor=label(iri, "zh"))})
    if not actors:
        return None
    chain = None
    if len(actors) >= 2:
        first, second = actors[0]["iri"], actors[1]["iri"]
        graph = actor_graph()
        for source, target in ((first, second), (second, first)):
            paths = graph.chains(source, target, 8)
            if paths:
                chain = {"from": source, "to": target, "steps": min(len(p) - 1 for p in paths),
                         "url": url_for("pages.chain", **{"from": label(source, "zh"), "to": label(target, "zh")})}
                break
        if chain is None:
            chain = {"from": first, "to": second, "steps": None,
                     "url": url_for("pages.chain", **{"from": label(first, "zh"), "to": label(second, "zh")})}
    return {"actors": actors, "chain": chain}
