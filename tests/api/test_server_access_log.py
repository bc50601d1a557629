"""The access log writes one line per request, whatever the request holds (issue 15, item 6): a path
whose %0D%0A decodes to a line break cannot forge a line of its own."""
from __future__ import annotations

import io

from policykg.serve.access_log import AccessLog


def _app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def test_control_characters_are_written_percent_encoded_on_one_line():
    stream = io.StringIO()
    log = AccessLog(_app, stream)
    forged = "/healthz\r\nGET /admin 200 0.1ms\x1b[31m\x00"
    assert list(log({"REQUEST_METHOD": "GET", "PATH_INFO": forged}, lambda *a: None)) == [b"ok"]
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("GET /healthz%0D%0AGET /admin 200 0.1ms%1B[31m%00 200 ")


def test_ordinary_paths_are_written_as_they_are():
    stream = io.StringIO()
    list(AccessLog(_app, stream)({"REQUEST_METHOD": "GET", "PATH_INFO": "/actors/Residents Committee"},
                                 lambda *a: None))
    assert stream.getvalue().startswith("GET /actors/Residents Committee 200 ")
