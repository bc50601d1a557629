"""The search box (/search): an actor's name goes to its page, a short question to the named
question that answers it, anything else to the actors and clauses it may mean."""
from __future__ import annotations

from flask import redirect, request, url_for

from policykg.api.pages.blueprint import bp, page
from policykg.api.pages.data import resolve_candidates, resolver, run_named
from policykg.api.pages.labels import iri_url
from policykg.api.pages.questions import cell
from policykg.api.state import get_state
from policykg.queries.answering import ask as ask_question
from policykg.queries.ask import route
from policykg.queries.library import ParameterError


def ask_router(question: str) -> dict | None:
    """REST's question router (the logic behind /api/ask): which named question (and
    parameters) a short Chinese question means, or None."""
    routed = route(question, get_state().store, resolver())
    if routed is None:
        return None
    name, params, _rule = routed
    return {"name": name, "params": params}


@bp.route("/search")
def search():
    q = request.args.get("q", "").strip()[:200]
    if not q:
        return redirect(url_for("pages.home"))
    candidates = resolve_candidates(q, limit=12)
    exact = [c for c in resolve_candidates(q, limit=3, kind="actor") if c.get("score", 0) >= 85]
    # 1. the whole input names one actor: go to its page
    if len(exact) == 1 or (exact and exact[0]["score"] > exact[1]["score"]):
        return redirect(iri_url(exact[0]["iri"]))
    # 2. a question: answered as /api/ask answers it; one answered by a named question goes to that
    #    question's page (which shows the same answer above its rows)
    asked = ask_question(q, get_state().store, resolver())
    routed = ask_router(q)
    if len(asked["parts"]) == 1 and asked["parts"][0]["named_query"] and routed:
        return redirect(url_for("pages.question", name=routed["name"], ask=q, **routed.get("params", {})))
    # 3. otherwise: the actors it may mean and the clauses that contain it
    hits, error = [], None
    try:
        hits = run_named("search", {"q": q})["rows"]
    except ParameterError as exc:
        error = exc.message
    except KeyError:
        hits = []
    return page("search.html", active=None, q=q, candidates=candidates, hits=hits, error=error, cell=cell,
                asked=asked)
