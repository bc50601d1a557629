"""The SPARQL editor (/editor): YASGUI when vendored, a plain form otherwise, with every named
question as a runnable example."""
from __future__ import annotations

import re

from flask import request

from policykg.api.pages.blueprint import STATIC_DIR, bp, page
from policykg.api.pages.data import base, library, page_query_text, resolver
from policykg.api.pages.i18n import lang, t
from policykg.ontology.namespaces import PKG_URI, PREFIXES
from policykg.queries.library import ANY, ParameterError, bind_params

YASGUI_FILES = ("vendor/yasgui/yasgui.min.js", "vendor/yasgui/yasgui.min.css")

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_SELECT_LINE = re.compile(r"^SELECT\b", re.MULTILINE)


def yasgui_available() -> bool:
    return all((STATIC_DIR / f).is_file() for f in YASGUI_FILES)


def default_query() -> str:
    """The query the editor opens with (queries/pages/editor_default.rq), its first line a
    comment in the reader's language."""
    text = page_query_text("editor_default")
    comment = t("谁领导居民委员会?每个答案附条款。", "Who leads the residents' committee? Each answer with its clause.")
    at = _SELECT_LINE.search(text).start()
    return text[:at] + f"# {comment}\n" + text[at:]


def example_sparql(query) -> str:
    """A named question as a runnable SPARQL text for the editor: a one-line comment (its title)
    instead of the ``#+`` header lines, then the query with its first example's parameters
    (resolved by the library, as the forms do) bound by BIND at the top of the WHERE clause, each
    value written as an RDF term (N-Triples syntax, never raw input). Parameters the example leaves
    open are bound to the library's placeholder for "any" and left out of the projection, so
    that no result cell shows it."""
    title = query.title_en if lang() == "en" else query.title_zh
    body = "".join(line for line in query.sparql.splitlines(keepends=True) if not line.startswith("#+"))
    text = f"# {title} ({query.name})\n" + body
    raw = dict(query.examples[0]) if query.examples else {}
    try:
        bindings, _resolved = bind_params(query, raw, resolver())
    except (ParameterError, KeyError, ValueError):
        return text
    match = _WHERE.search(text)
    if not bindings or match is None:
        return text
    # Parameters the example leaves open are bound to the library's "any" placeholder (the filters
    # need a value); they are not projected, so that no result cell shows the placeholder.
    select = _SELECT_LINE.search(text)
    if select is not None and select.start() < match.start():
        head = text[select.start():match.start()]
        for name, term in bindings.items():
            if ANY in str(term):
                head = re.sub(rf"(?<=\s)\?{re.escape(name)}(?=\s)", "", head)
        text = text[:select.start()] + head + text[match.start():]
        match = _WHERE.search(text)
    shown = ", ".join(f"{k}={v}" for k, v in raw.items()) or t("无", "none")
    lines = [f"  # {t('示例参数', 'example parameters')}: {shown}"]
    lines += [f"  BIND({term} AS ?{name})" for name, term in sorted(bindings.items())]
    return text[:match.end()] + "\n" + "\n".join(lines) + text[match.end():]


@bp.route("/editor")
def editor():
    examples = [{"name": q.name, "title": q.title_en if lang() == "en" else q.title_zh, "query": example_sparql(q)}
                for q in library().values()]
    query = request.args.get("query") or default_query()
    return page("editor.html", active="pages.editor", yasgui=yasgui_available(), query=query,
                examples=examples, prefixes=PREFIXES, local_links={base() + "id/": "/id/", PKG_URI: "/def/"})
