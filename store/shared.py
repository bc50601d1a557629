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

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from pathlib import Path

from policykg.files import write_atomically

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
    store = preloaded(source, base, include_background)
    if store is None:
        store = OxigraphStore.open_source(source, base, include_background)
        if source.kind == "folder":
            store.fixed_length = folder_length(Path(source.path))
    return store


def length_file(folder: Path) -> Path:
    """Where a cached store folder's number of quads is kept (beside it: counting walks every quad)."""
    folder = Path(folder)
    return folder.with_name(folder.name + ".quads")


def folder_length(folder: Path) -> int | None:
    try:
        text = length_file(folder).read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def forget_length(folder: Path) -> None:
    """The folder was changed (an /update): its count is no longer known."""
    with contextlib.suppress(OSError):
        length_file(folder).unlink()


def prepare(config) -> tuple[DataSource, int]:
    """The data source of ``policykg serve`` and its number of quads: a data file (or the
    bundled policy, built) is loaded here once, for every process forked later; a store
    folder or a SPARQL server is prepared as :func:`policykg.store.backend.prepare_source` does."""
    if config.store or getattr(config, "store_url", ""):
        return prepare_source(config)
    path = Path(config.data) if config.data else build_bundled(config.base)
    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    if config.data_cache:
        folder = cached_store_folder(Path(config.data_cache), path)
        count = folder_length(folder)
        if count is None:
            return prepare_source(config.replace(store=str(folder), data=""))
        return DataSource("folder", str(folder.resolve())), count
    source = DataSource("file", str(path.resolve()))
    return source, len(preload(source, config.base, config.include_background))


def content_key(path: Path, cache: Path) -> str:
    """The SHA-256 of ``path``'s bytes (16 hex digits), remembered in ``cache``/index.json by
    path, size and modification time, so that an unchanged file is not read again."""
    info = path.stat()
    stamp = f"{path.resolve()}|{info.st_size}|{info.st_mtime_ns}"
    index_path = cache / "index.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = {}
    if isinstance(index, dict) and isinstance(index.get(stamp), str):
        return index[stamp]
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    key = digest.hexdigest()[:16]
    index = {k: v for k, v in (index.items() if isinstance(index, dict) else []) if not k.startswith(
        f"{path.resolve()}|")}
    index[stamp] = key
    write_atomically(index_path, json.dumps(index, indent=1).encode("utf-8"))
    return key


def cached_store_folder(cache: Path, data: Path) -> Path:
    """The store folder of ``data`` under ``cache``, built (in a temporary folder renamed into
    place, so a build killed half-way leaves nothing that looks finished) when it is missing."""
    cache.mkdir(parents=True, exist_ok=True)
    folder = cache / f"store-{content_key(data, cache)}"
    if folder.is_dir():
        return folder
    building = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".building", dir=cache))
    try:
        with multiprocessing.get_context("spawn").Pool(1) as pool:   # RocksDB's threads stay out of here
            count = pool.apply(_build_folder, (str(building), str(data)))
        write_atomically(length_file(folder), f"{count}\n".encode("ascii"))
        os.replace(building, folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    for leftover in cache.glob(".store-*.building"):   # builds killed earlier (an hour: not one under way)
        with contextlib.suppress(OSError):
            if leftover != building and time.time() - leftover.stat().st_mtime > 3600:
                shutil.rmtree(leftover, ignore_errors=True)
    return folder


def _build_folder(folder: str, data: str) -> int:
    import pyoxigraph as ox
    from policykg.store.backend import load_file
    store = ox.Store(folder)
    load_file(store, Path(data))
    store.flush()
    store.optimize()
    return len(store)
