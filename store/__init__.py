"""The store: the data behind every question, and the guard in front of it. No HTTP here.

    policykg.store.backend      the Store interface and its embedded pyoxigraph backend
    policykg.store.remote       the Store interface over a SPARQL 1.1 server (SPARQLWrapper), and loading it
    policykg.store.results      SPARQL results from a server read, and written again in the caller's format
    policykg.store.commands     ``policykg load --into URL``
    policykg.store.guard        reading an untrusted query before evaluation: lexer, limits
    policykg.store.evaluation   evaluating user queries on helper threads under the time limit
    policykg.store.runtime      the runtime folder server processes share: where the current data is
    policykg.store.updates      applying a SPARQL update in a child process that can be stopped
    policykg.store.errors       what the store raises: neutral errors with a reason code

The web layer (:mod:`policykg.api`) maps each reason to an HTTP status in one place.
"""
