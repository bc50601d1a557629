"""The application's state: configuration, store, query evaluator and the objects every
blueprint shares (the resolver, the actor graph, the pages' view of a resource), in one object.

``create_app`` stores an :class:`AppState` at ``app.extensions["policykg"]``; blueprints
reach it with :func:`get_state` and never import each other. Nothing lives in process
globals, so two applications over different data can share a process (as tests do).

Under ``policykg serve`` several server processes share a runtime folder
(:mod:`policykg.store.runtime`): each opens the current data source it names (folders
read-only) and :meth:`AppState.refresh` reopens it when an /update replaced it.
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from flask import Response, current_app

from policykg.queries import chains
from policykg.queries.resolve import Resolver
from policykg.settings import Config, load_config
from policykg.store import forking, runtime, shared, updates
from policykg.store.backend import OxigraphStore, Store, open_store, user_base_iri
from policykg.store.errors import StoreError
from policykg.store.evaluation import Evaluator
from policykg.store.isolation import IsolatedEvaluator, default_memory_mb

log = logging.getLogger("policykg.state")


@dataclass
class AppState:
    config: Config
    store: Store              # /update and the runtime folder need the embedded OxigraphStore
    cache: dict = field(default_factory=dict)
    runtime_dir: Path | None = None
    # Called when a query runs over the time limit; under ``policykg serve`` it asks the
    # supervisor to replace this process (set by policykg.serve.wsgi before the first query).
    on_query_overrun: Callable[[], None] | None = None
    # The HTML view of a resource (/id/...) for people, installed by create_app from the pages;
    # linked data falls back to a plain view when it is None or returns None.
    render_resource: Callable[[str], Response | None] | None = None
    _evaluator: Evaluator | None = None
    _stamp: tuple | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def from_config(cls, config: Config | None = None) -> "AppState":
        """Open the data the runtime folder names, else the configuration's (``data``, ``store``, bundled)."""
        config = config or load_config()
        folder = runtime.runtime_dir()
        if folder is not None:
            stamp = runtime.stamp(folder)
            source = runtime.current(folder)
            if source is not None and source.kind == "remote":
                return cls(config=config, store=open_store(config), runtime_dir=folder, _stamp=stamp)
            if source is not None:
                store = shared.open_source(source, config.base, config.include_background)
                return cls(config=config, store=store, runtime_dir=folder, _stamp=stamp)
        return cls(config=config, store=open_store(config))

    @property
    def base(self) -> str:
        return self.config.base

    @property
    def evaluator(self):
        """Evaluates user SPARQL under the time limit (created on first use)."""
        if self._evaluator is None:
            with self._lock:
                if self._evaluator is None:
                    self._evaluator = self._make_evaluator()
        return self._evaluator

    def _make_evaluator(self):
        """Under ``policykg serve`` (a runtime folder) queries run in evaluation processes, so
        that an engine crash costs one query (:mod:`policykg.store.isolation`); an application
        embedded in a process of yours (tests, notebooks) evaluates on threads."""
        if getattr(self.store, "remote", False):
            # The remote store ends a request over the time limit itself (it closes the
            # connection): nothing keeps running here, no process needs replacing, and a
            # shallow query is answered on the request's own thread.
            return Evaluator(self.store, threads=self.config.threads, on_timeout=_nothing_to_stop, inline=True)
        processes = int(self.config.query_processes)
        if processes > 0 and self.runtime_dir is not None and getattr(self.store, "source", None) is not None:
            memory_mb = int(self.config.query_memory_mb) or default_memory_mb(
                processes * max(1, int(self.config.query_workers)))
            return IsolatedEvaluator(self.store, processes, memory_mb=memory_mb,
                                     queue_limit=int(self.config.query_queue),
                                     forker=forking.socket_path(self.runtime_dir),
                                     refork_after=float(self.config.query_refork),
                                     idle_refork=float(self.config.query_idle_refork))
        return Evaluator(self.store, threads=self.config.threads, on_timeout=self.on_query_overrun)

    @property
    def query_threads(self) -> int:
        """Helper threads (or evaluation processes) evaluating user queries (0 before the first query)."""
        return self._evaluator.size if self._evaluator is not None else 0

    def longest_running_query(self) -> float:
        """Seconds the oldest user query in progress has been running (0 when idle)."""
        return self._evaluator.longest_running() if self._evaluator is not None else 0.0

    def refresh(self) -> None:
        """Reopen the store if another process published new data (one ``stat`` otherwise);
        over a SPARQL server, forget cached values when the data's version changed (another
        instance loaded or updated it; one look a second at most)."""
        changed = getattr(self.store, "changed", None)
        if changed is not None:
            if changed():
                self.invalidate()
            return
        if self.runtime_dir is None:
            return
        stamp = runtime.stamp(self.runtime_dir)
        if stamp == self._stamp:
            return
        with self._lock:
            for attempt in range(3):   # the pointer may be replaced again while we read it
                stamp = runtime.stamp(self.runtime_dir)
                if stamp == self._stamp:
                    return
                source = runtime.current(self.runtime_dir)
                if source is None:
                    return
                try:
                    store = shared.open_source(source, self.config.base, self.config.include_background)
                except StoreError:
                    if attempt == 2:
                        raise
                    continue
                self.adopt(store, stamp)
                return

    def adopt(self, store: OxigraphStore, stamp: tuple | None) -> None:
        """Serve ``store`` from now on (after an /update or a refresh)."""
        with self._lock:
            self.store = store
            self._stamp = stamp
            self.invalidate()
            if self._evaluator is not None:
                self._evaluator.use(store)
            log.info("now serving %s (%d quads)", store.source.path if store.source else "memory", len(store))

    def apply_update(self, text: str) -> None:
        """Apply the SPARQL update ``text`` so that every later query sees it, in every
        server process; raise QueryRefused otherwise (nothing changed)."""
        if getattr(self.store, "remote", False):   # the server applies it; every instance sees it
            self.store.update(text, float(self.config.query_timeout))
            self.invalidate()
            return
        folder = self.runtime_dir
        if folder is None:                       # one process, embedded: change the store in place
            with self._lock:
                updates.apply_in_place(self.store.ox, text, user_base_iri(self.base))
                self.invalidate()
            return
        with runtime.update_lock(folder):
            self.refresh()                       # start from what the last update published
            updates.apply_shared(folder, self.store.source, text, float(self.config.query_timeout), self.base)
            self.refresh()

    def resolver(self) -> Resolver:
        """The resolver of the current data (labels, short forms, clauses), built once per data state."""
        return self.cached(("rest", "resolver"), lambda: Resolver(self.store, self.base))

    def actor_graph(self) -> chains.ActorGraph:
        """The actor graph of the current data (networkx), built once per resolver."""
        return chains.actor_graph(self.store, self.resolver())

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

    def generated_dir(self, name: str, per_data: bool = True) -> Path:
        """A folder for files generated on demand: from the served data (``per_data``: dumps,
        graph files) or from the package alone (the ontology documentation).

        Under ``policykg serve`` it lies in the runtime folder, named after the data it was made
        from, so the server processes share it (a replacement reuses what the others wrote; the
        writers rename finished files into place) and it goes with the service. Embedded, it is a
        temporary folder removed when the process exits."""
        def make() -> Path:
            if self.runtime_dir is None:
                folder = Path(tempfile.mkdtemp(prefix=f"policykg-{name}-"))
                atexit.register(shutil.rmtree, folder, True)
                return folder
            label = name
            if per_data:
                source = getattr(self.store, "source", None)
                key = repr((getattr(source, "kind", None), getattr(source, "path", None), self._stamp))
                label = f"{name}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"
            folder = self.runtime_dir / "generated" / label
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        return self.cached(("generated_dir", name, per_data), make)

    def invalidate(self) -> None:
        """Forget cached values after the data changed: the result cache, the service
        description, VoID, dumps."""
        with self._lock:
            self.cache.clear()


def _nothing_to_stop() -> None:
    pass


def get_state() -> AppState:
    """The state of the current Flask application."""
    return current_app.extensions["policykg"]


def resolver() -> Resolver:
    """The current application's resolver (see :meth:`AppState.resolver`)."""
    return get_state().resolver()


def actor_graph() -> chains.ActorGraph:
    """The current application's actor graph (see :meth:`AppState.actor_graph`)."""
    return get_state().actor_graph()
