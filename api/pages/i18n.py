"""The reader's language: ?lang= wins (and is remembered in a cookie), then the cookie, then the
browser's Accept-Language, then Chinese. A response whose words depended on it says which language
it is in (Content-Language) and what it varied by."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, g, request

from policykg.api.http_features import add_vary

LANGS = ("zh", "en")
LANG_COOKIE = "policykg_lang"


def _choose_language() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return cookie
    for tag, quality in request.accept_languages:      # most preferred first; zh-TW and en-GB count too
        primary = tag.split("-", 1)[0].lower()
        if primary in LANGS and quality > 0:
            return primary
    return "zh"


def remember_language(response: Response) -> Response:
    """After every response of the application: remember ?lang= in the cookie."""
    # Any response to ?lang= remembers it, redirects included (they render nothing).
    asked = request.args.get("lang") if request.query_string else None
    if asked in LANGS and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
    chosen = g.get("lang")
    if chosen is not None:            # the words of this response depended on the language
        response.headers["Content-Language"] = "en" if chosen == "en" else "zh-Hans"
        add_vary(response.headers, "Cookie")
        add_vary(response.headers, "Accept-Language")
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
