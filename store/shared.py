"""One in-memory copy of the data for every process of ``policykg serve``.

The supervisor loads the data file into memory once (:func:`preload`), before it starts
any other process. The server processes (granian forks them from the supervisor) and the
evaluation processes (forked from a process that the supervisor forked right after the
load, :mod:`policykg.store.forking`) inherit that store: its pages are shared copy-on-write,
so the data costs one copy whatever the number of processes, and a replaced process has
it at once instead of parsing the file again. Queries read the store and never write it,
so the pages stay shared (``bench/footprint.py`` measures the sum of PSS over the processes).

The sharing is not for ever: pyoxigraph's in-memory store writes to the pages a scan walks
(reference counts), so a process that scans much of the data makes its own copy of what it
walked. Evaluation processes, which run the users' queries, are therefore replaced by a fresh
fork (milliseconds) once their own copy grows past a share of the data
(:mod:`policykg.store.isolation`); the forker never queries, so its pages stay shared.

A store folder (``--store``) is not preloaded: RocksDB starts threads, and a store opened
before a fork would leave their locks behind in the child. Each process opens the folder
read-only instead (RocksDB shares it through the page cache).
"""
from __future__ import annotations

import os
from pathlib import Path

from policykg.loader.dataset import build_bundled
from policykg.store.backend import DataSource, OxigraphStore, prepare_source
from policykg.store.errors import StoreError

_preloaded: OxigraphStore | None = None


def preload(source: DataSource, base: str, include_background: bool) -> OxigraphStore:
    """Load ``source`` (a file) into memory in this process, for the processes forked from it."""
    global _preloaded
    before = _resident()
    store = OxigraphStore.open_source(source, base, include_background)
    store.fixed_length = len(store.ox)
    _preloaded = store
    global data_bytes
    data_bytes = max(0, _resident() - before)
    return store


# What the loaded copy added to this process's resident memory (bytes; 0 before a preload).
data_bytes = 0


def _resident() -> int:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def preloaded(source: DataSource, base: str, include_background: bool) -> OxigraphStore | None:
    """The store inherited from the supervisor, when it holds ``source`` (else None: open it)."""
    store = _preloaded
    if store is None or store.source != source:
        return None
    if store.base == base and store.include_background == include_background:
        return store
    view = OxigraphStore(store.ox, base, include_background, source)
    view.fixed_length = store.fixed_length
    return view


def open_source(source: DataSource, base: str, include_background: bool) -> OxigraphStore:
    """The inherited copy of ``source`` when there is one, else ``source`` opened here."""
    return preloaded(source, base, include_background) or OxigraphStore.open_source(source, base, include_background)


def prepare(config) -> tuple[DataSource, int]:
    """The data source of ``policykg serve`` and its number of quads: a data file (or the
    bundled policy, built) is loaded here once, for every process forked later; a store
    folder is prepared as :func:`policykg.store.backend.prepare_source` does."""
    if config.store:
        return prepare_source(config)
    path = Path(config.data) if config.data else build_bundled(config.base)
    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    source = DataSource("file", str(path.resolve()))
    return source, len(preload(source, config.base, config.include_background))
