"""The real server starts, answers /healthz, and logs one line per request."""
import re

import requests


def test_healthz_reports_data_and_workers(live_server_process):
    response = requests.get(f"{live_server_process.url}/healthz", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["quads"] > 0
    assert body["query_threads"] >= 1


def test_one_log_line_per_request(live_server_process, wait_until):
    live_server = live_server_process.url
    marker = "/healthz?probe=log-line"
    requests.get(f"{live_server}{marker}", timeout=10)
    requests.get(f"{live_server}/no-such-page-for-log", timeout=10)
    # The line is written once the response is sent, so the client may see the response first.
    assert wait_until(lambda: re.search(r"^GET /no-such-page-for-log 404 \d+\.\dms$", live_server_process.log(),
                                        re.M), 10), live_server_process.log()[-2000:]
    log = live_server_process.log()
    assert re.search(r"^GET /healthz 200 \d+\.\dms$", log, re.M)
