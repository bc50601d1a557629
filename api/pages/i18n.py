"""The reader's language: ?lang= wins (and is remembered in a cookie), then the cookie, then Chinese."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, g, request

LANGS = ("zh", "en")
LANG_COOKIE = "policykg_lang"


def _choose_language() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGS else "zh"


def remember_language(response: Response) -> Response:
    """After every response of the application: remember ?lang= in the cookie."""
    # Any response to ?lang= remembers it, redirects included (they render nothing).
    asked = request.args.get("lang") if request.query_string else None
    if asked in LANGS and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def lang() -> str:
    """The reader's language, decided on first use in a request (so /sparql never pays for it)."""
    chosen = g.get("lang")
    if chosen is None:
        chosen = g.lang = _choose_language()
    return chosen


def t(zh: str, en: str) -> str:
    """The Chinese or the English wording, as the reader chose."""
    return en if lang() == "en" else zh


def url_with(**changes) -> str:
    """The current URL with some query parameters changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [value]
    query = urlencode([(k, v) for k, vs in args.items() for v in vs])
    return request.path + ("?" + query if query else "")
