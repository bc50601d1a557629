"""A WSGI answer that does one more thing when the server closes it (PEP 3333: ``close()`` is
called once the body is sent, or the client has gone)."""
from __future__ import annotations


class AfterClose:
    """``body``, iterated as it is; closing it closes ``body`` (when it can be) and then calls ``then``."""

    def __init__(self, body, then):
        self._body = body
        self._then = then

    def __iter__(self):
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._then()
