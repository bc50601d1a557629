"""What the store raises: neutral errors that say what went wrong, never how to answer it.

The web layer maps each :data:`REASONS` entry to an HTTP status in one table
(:data:`policykg.api.errors.REFUSALS`); the command line prints the message.
"""
from __future__ import annotations

# Why a query or an update is refused. Keys are stable: the web layer and tests name them.
REASONS = {
    "too_long": "the text is longer than the length limit",
    "too_deep": "brackets nest deeper than the nesting limit",
    "too_complex": "more operators, groups and UNION/MINUS/OPTIONAL than the limit",
    "not_a_query": "an update sent where only queries are accepted",
    "service": "the query uses SERVICE (the store never contacts other services)",
    "load": "the query uses LOAD (the store never fetches data)",
    "syntax": "the text is not valid SPARQL",
    "dataset_conflict": "the update names its dataset both in its text (USING, WITH) and in protocol parameters",
    "no_format": "no result format the caller accepts fits the query's form",
    "too_many_results": "the result has more rows or triples than the result limit",
    "too_large": "the serialised result is larger than the byte limit",
    "failed": "the query or update could not be evaluated",
    "not_evaluable": "a well-formed query the engine cannot evaluate (e.g. an extension function it lacks)",
    "timeout": "stopped after the time limit",
    "engine_error": "the engine died evaluating the query (its evaluation process was replaced)",
    "resource_limit": "the query needed more memory than its evaluation process may use (stopped; others go on)",
    "busy": "every evaluation process is taken and the queue is full, or the query waited too long for one",
    "unavailable": "no evaluation could be started just now (no process to be had); trying again may work",
    "store_unavailable": "the SPARQL server holding the data did not answer (down or unreachable); trying again "
                         "may work",
    "internal": "the store failed in a way the caller cannot fix",
}


class StoreError(Exception):
    """The data cannot be opened or loaded (bad file, unknown format, locked folder)."""


class QueryRefused(Exception):
    """A query or update that cannot be answered; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, message: str):
        if reason not in REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}; expected one of {', '.join(REASONS)}")
        super().__init__(message)
        self.reason = reason
        self.message = message


def limit_reached(reason: str, message: str, setting: str) -> QueryRefused:
    """A refusal for going beyond a limit of the service; the message ends with the setting that raises it."""
    return QueryRefused(reason, f"{message} (limit: {setting}, environment variable POLICYKG_{setting.upper()})")
