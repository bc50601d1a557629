"""The application's state: configuration, store and query workers, in one object.

``create_app`` stores an :class:`AppState` at ``app.extensions["policykg"]``; blueprints
reach it with :func:`get_state`. Nothing lives in process globals, so two applications
over different data can share a process (as tests do).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import current_app

from policykg.api.store import OxigraphStore, open_store
from policykg.settings import Config, load_config


@dataclass
class AppState:
    config: Config
    store: OxigraphStore
    cache: dict = field(default_factory=dict)
    _pool: object = None
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def from_config(cls, config: Config | None = None) -> "AppState":
        """Open the data the configuration names (``data`` file, ``store`` folder, or the bundled policy)."""
        config = config or load_config()
        return cls(config=config, store=open_store(config))

    @property
    def base(self) -> str:
        return self.config.base

    @property
    def pool(self):
        """The worker processes that evaluate user SPARQL (started on first use)."""
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    from policykg.api.sandbox import QueryPool

                    self._pool = QueryPool.for_state(self)
        return self._pool

    def start_workers(self, wait: bool = True) -> None:
        """Start the query workers now (``serve`` does, so the first query is not slow)."""
        pool = self.pool
        if wait:
            pool.wait_ready()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def cached(self, key, make):
        """A value computed once per state (dumps, VoID, the service description)."""
        try:
            return self.cache[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self.cache:
                self.cache[key] = make()
            return self.cache[key]

    def invalidate(self) -> None:
        """Forget cached values after the data changed (/update)."""
        with self._lock:
            self.cache.clear()


def get_state() -> AppState:
    """The state of the current Flask application."""
    return current_app.extensions["policykg"]
