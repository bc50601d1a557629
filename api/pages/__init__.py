"""HTML pages for policy staff and researchers: Chinese first, English with ``?lang=en``.

    /                         home: what the graph holds, a search box, entry points      home.py
    /search?q=                routes an actor name or a short question to its page or     search.py
                              answer
    /document                 the policy, part by part and article by article (each      document.py
                              unit's IRI dereferences to it through :func:`render_resource`)
    /actors, /actors/<key>    the actors; one actor with relations, duties, norms and a   actors.py
                              picture
    /chain?from=&to=          responsibility chains between two actors, drawn as SVG       chains.py
    /norms, /norms.csv        every numeric norm, sortable and filterable; CSV download    norms.py
    /questions, /questions/<name>   a form for each named question of queries/*.rq       questions.py
    /check                    registers uploaded and checked against the norms; templates check.py
    /editor                   SPARQL editor (YASGUI when vendored, a plain form otherwise) editor.py

Shared by the pages: the reader's language (i18n.py), what the data calls things and the
citations (labels.py), how the data are read (data.py: the pages' own queries are
``queries/pages/*.rq``), and the SVG drawing (drawing.py).

The pages read the data through the same Python functions the REST API uses
(:mod:`policykg.queries`), never through HTTP, and render graphs as SVG on the
server so that they work without JavaScript and without any network but the
service's own.
"""
from __future__ import annotations

# The page modules add their routes to the blueprint when imported.
from policykg.api.pages import actors, chains, check, editor, home, norms, questions, search  # noqa: F401
from policykg.api.pages.blueprint import bp
from policykg.api.pages.document import group_statements, own_text, render_resource
from policykg.api.pages.i18n import lang, remember_language, t, url_with
from policykg.api.pages.labels import (actor_options, cite_text, id_link, iri_url, label, modality_name,
                                       short_iri)

bp.after_app_request(remember_language)


def question_title(name: str) -> str:
    """A named question as a reader sees it: its title in the reader's language, not its name."""
    from policykg.api.pages.data import library
    query = library().get(name)
    if query is None:
        return name
    return query.title_zh if lang() == "zh" else query.title_en


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"t": t, "lang": lang, "url_with": url_with, "label": label, "iri_url": iri_url,
            "cite_text": cite_text, "modality_name": modality_name, "short_iri": short_iri,
            "actor_options": actor_options, "own_text": own_text, "id_link": id_link,
            "group_statements": group_statements, "question_title": question_title}


__all__ = ["bp", "render_resource"]
