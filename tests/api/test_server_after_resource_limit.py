"""Found by the soak (bench/soak.py, issue 15): an evaluation process that answers 503
``resource_limit`` ends itself right after; the queries waiting for it in the queue must go to its
replacement, not to it (they were lost with it and answered 500 ``engine_error``).
"""
from __future__ import annotations

import threading

import requests

JSON_RESULTS = "application/sparql-results+json"
# Every quad with every quad, sorted: the engine must hold the whole join (as in test_server_availability).
BOMB = "SELECT ?a ?c WHERE { ?a ?p ?b . ?c ?q ?d } ORDER BY ?a ?c ?b ?d LIMIT 1"


def test_queries_queued_behind_a_query_over_its_memory_budget_are_answered(server_factory):
    server = server_factory(POLICYKG_QUERY_WORKERS="1", POLICYKG_QUERY_PROCESSES="1",
                            POLICYKG_QUERY_MEMORY_MB="150", POLICYKG_QUERY_TIMEOUT="60",
                            POLICYKG_MAX_RESULTS="10000000", POLICYKG_RESULT_CACHE_MB="0")
    for round_ in range(2):
        replies: dict = {}
        bomb_started = threading.Event()

        def bomb():
            bomb_started.set()
            replies["bomb"] = requests.get(f"{server.url}/sparql", params={"query": f"{BOMB} # {round_}"},
                                           headers={"Accept": JSON_RESULTS}, timeout=120)

        def ask(n):
            replies[n] = requests.get(f"{server.url}/sparql", params={"query": f"ASK {{ ?s ?p ?o }} # {round_} {n}"},
                                      headers={"Accept": JSON_RESULTS}, timeout=120)

        first = threading.Thread(target=bomb)
        first.start()
        bomb_started.wait(10)
        # Queued behind the bomb on the one evaluation process (sent once it runs).
        threading.Event().wait(1.0)
        askers = [threading.Thread(target=ask, args=(n,)) for n in range(3)]
        for thread in askers:
            thread.start()
        for thread in [first, *askers]:
            thread.join(150)
        assert replies["bomb"].status_code == 503 and replies["bomb"].json()["error"]["code"] == "resource_limit"
        answers = [(replies[n].status_code, replies[n].text[:200]) for n in range(3)]
        assert all(status == 200 for status, _ in answers), answers
