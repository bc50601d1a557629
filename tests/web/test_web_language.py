"""The reader's language (issue 16, item 9): ?lang= wins, then the language cookie, then the browser's
Accept-Language, then Chinese; a page says its language (Content-Language, <html lang>) and varies by what
chose it."""
from __future__ import annotations

import pytest
import requests


def _page(live_server, headers=None, cookies=None, **params):
    response = requests.get(f"{live_server}/document", params=params, headers=headers or {}, cookies=cookies,
                            timeout=30)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("accept, language", [
    (None, "zh-Hans"),
    ("en-US,en;q=0.9", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),
    ("en;q=0.5, zh-TW;q=0.8", "zh-Hans"),
    ("fr-FR, de;q=0.9", "zh-Hans"),           # neither: Chinese first
])
def test_without_a_choice_the_browser_language_decides(live_server, accept, language):
    response = _page(live_server, headers={"Accept-Language": accept} if accept else None)
    assert response.headers["Content-Language"] == language
    assert f'<html lang="{language}"' in response.text
    vary = [v.strip().lower() for v in response.headers["Vary"].split(",")]
    assert "accept-language" in vary and "cookie" in vary


def test_the_cookie_and_the_parameter_win_over_the_browser(live_server):
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    assert _page(live_server, english_browser, cookies={"policykg_lang": "zh"}).headers["Content-Language"] == "zh-Hans"
    assert _page(live_server, english_browser, lang="zh").headers["Content-Language"] == "zh-Hans"
    assert _page(live_server, {"Accept-Language": "zh-CN"}, lang="en").headers["Content-Language"] == "en"


def test_machine_answers_say_no_language(live_server):
    response = requests.get(f"{live_server}/sparql", params={"query": "ASK {}"},
                            headers={"Accept": "application/sparql-results+json", "Accept-Language": "en"}, timeout=30)
    assert "Content-Language" not in response.headers
