"""The policy status box of the home page and the reader: who issued the policy and when, where
the copy the graph was built from was published, whether it is in force as far as the data know
(and on whose word), the facts from other sources a 2026 reader needs (the 2012 district merger),
and the data licence. Everything in it is read from the graph; what the graph does not know is
said to be unknown, never guessed."""
from __future__ import annotations

import pyoxigraph as ox

from policykg.api.pages.data import cached, page_rows
from policykg.ontology.namespaces import PKG_URI

# Background facts shown in the box: those about the districts the policy names (the 2012 merger).
DISTRICT_CLASS = PKG_URI + "District"


def _value(row: dict, key: str):
    term = row.get(key)
    return None if term is None else term.value


def policy_status(doc: str) -> dict:
    """The status of document ``doc``: issuer, issued, printer, printed, web_publisher, web_issued,
    in_force (None: unknown), licence, and background facts about the places it names."""
    def make():
        rows = page_rows("policy_status", doc=ox.NamedNode(doc))
        row = rows[0] if rows else {}
        status = {key: _value(row, key) for key in ("issuer", "issued", "printer", "printed", "web_publisher",
                                                      "web_issued", "in_force", "licence")}
        facts, seen = [], set()
        for district in page_rows("districts"):
            for fact in page_rows("background_facts", about=district["d"]):
                iri = fact["fact"].value
                if iri in seen:
                    continue
                seen.add(iri)
                facts.append({key: _value(fact, key) for key in (
                    "fact", "subject", "predicate", "object", "label_zh", "label_en", "source", "title_zh",
                    "title_en", "edition", "citation", "quote")})
        status["background"] = group_facts(facts)
        return status
    return cached(("pages.policy_status", doc), make)


def group_facts(facts: list[dict]) -> list[dict]:
    """Facts resting on the same words of the same source, said once: the 2012 merger is one
    sentence of one State Council reply, not three."""
    groups: dict[tuple, dict] = {}
    for fact in facts:
        key = (fact["citation"], fact["quote"], fact["predicate"], fact["object"])
        group = groups.setdefault(key, {**fact, "subjects": [], "facts": []})
        group["subjects"].append(fact["subject"])
        group["facts"].append(fact)
    return list(groups.values())
