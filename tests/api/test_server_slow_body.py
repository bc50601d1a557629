"""The service stays up for everyone (issue 15): a request body sent slowly cannot hold the
request threads. Clients that send their headers and then trickle the body a byte a second,
three times more of them than a server process has threads, do not keep a fresh client waiting
more than a second; each slow one is answered 408 ``body_timeout`` after ``body_timeout`` (or,
beyond the half of the threads allowed to read bodies, 503 ``busy`` at once), with
``Connection: close`` (serve/body.py).
"""
from __future__ import annotations

import json
import socket
import threading
import time

import requests

JSON_RESULTS = "application/sparql-results+json"
SLOW_HEAD = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
             b"Accept: application/json\r\nContent-Length: 100000\r\n\r\nASK")


def _answer(sock: socket.socket, deadline: float) -> tuple[int | None, dict, bytes]:
    """(status, headers, body) of the answer on ``sock``, read until the server closes it or ``deadline``."""
    data = b""
    for _ in range(1000):
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, TimeoutError):
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:] if ": " in line)
        length = {k.lower(): v for k, v in headers.items()}.get("content-length")
        if length is not None and len(body) >= int(length):
            break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else None
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:] if ": " in line)}
    return status, headers, body


def test_slow_request_bodies_do_not_hold_the_threads(server_factory):
    server = server_factory(POLICYKG_QUERY_WORKERS="1", POLICYKG_THREADS="4", POLICYKG_BODY_TIMEOUT="2")
    slow = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(12)]
    stop = threading.Event()

    def trickle():
        for _ in range(30):                  # a byte a second, on every slow connection
            if stop.wait(1.0):
                return
            for sock in slow:
                try:
                    sock.send(b" ")
                except OSError:
                    pass

    for sock in slow:
        sock.sendall(SLOW_HEAD)
    trickler = threading.Thread(target=trickle)
    trickler.start()
    answers = []
    try:
        time.sleep(0.3)          # every slow request is in, holding or waiting for a thread
        fresh = []
        for n in range(5):
            started = time.monotonic()
            response = requests.get(f"{server.url}/sparql", params={"query": f"ASK {{ ?s ?p ?o }} # {n}"},
                                    headers={"Accept": JSON_RESULTS, "Connection": "close"}, timeout=10)
            fresh.append((response.status_code, response.json().get("boolean"), time.monotonic() - started))
            time.sleep(0.2)
        deadline = time.monotonic() + 10
        answers = [_answer(sock, deadline) for sock in slow]
    finally:
        stop.set()
        trickler.join(10)
        for sock in slow:
            sock.close()
    assert all(status == 200 and boolean is True and took < 1.0 for status, boolean, took in fresh), fresh
    statuses = sorted(status for status, _, _ in answers)
    assert all(status in (408, 503) for status in statuses), statuses
    assert 408 in statuses, statuses        # the ones allowed to wait did, for body_timeout
    for status, headers, body in answers:
        error = json.loads(body)["error"]
        assert headers.get("connection", "").lower() == "close"
        if status == 408:
            assert error["code"] == "body_timeout" and "2 s" in error["message"], error
        else:
            assert error["code"] == "busy" and headers.get("retry-after") == "1", error
    # Once the slow clients have gone (their threads freed as their connections close), a body
    # sent at once is answered again.
    for _ in range(50):
        response = requests.post(f"{server.url}/sparql", data="ASK { ?s ?p ?o }", timeout=10,
                                 headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS})
        if response.status_code != 503:
            break
        time.sleep(0.1)
    assert response.status_code == 200 and response.json()["boolean"] is True
