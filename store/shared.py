"""One in-memory copy of the data for every process of ``policykg serve``.

With a data cache (the default), the service answers at once from the data file's store folder
in the cache (:func:`prepare`), and the evaluation forker's *loader* (:mod:`policykg.store.forking`)
loads the in-memory copy in the background when it fits ``data_memory_mb``
(:func:`load_in_memory`); the evaluation processes are then forked from the loader, after the
load, and share that copy. Without a cache the supervisor loads the file into memory once
(:func:`preload`) before it starts any other process, and every process forked from it shares
it. Either way the pages are shared copy-on-write: queries read the store and never write it,
so the data costs one copy whatever the number of processes, and a replaced evaluation process
has it at once (``bench/footprint.py`` measures the sum of PSS over the processes).

The sharing is not for ever: pyoxigraph's in-memory store writes to the pages a scan walks
(reference counts), so a process that scans much of the data makes its own copy of what it
walked. Evaluation processes, which run the users' queries, are therefore replaced by a fresh
fork (milliseconds) once their own copy grows past a share of the data
(:mod:`policykg.store.isolation`); the forker never queries, so its pages stay shared.

A store folder is never opened before a fork: RocksDB starts threads, and a store opened
before a fork would leave their locks behind in the child. Each process opens the folder
read-only instead (RocksDB shares it through the page cache).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from policykg import memory
from policykg.files import write_atomically

from policykg.loader.dataset import build_bundled
from policykg.store.backend import DataSource, OxigraphStore, prepare_source
from policykg.store.errors import StoreError

log = logging.getLogger("policykg.data")
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
    """The data source of ``policykg serve`` and its number of quads.

    With a data cache, a data file (or the bundled policy, built) is served at once from its
    store folder in the cache (built at the first start, reopened in about a second after), and,
    when its in-memory copy fits ``data_memory_mb`` (:func:`memory_budget_mb`), that copy is
    loaded in the background by the evaluation forker (:func:`load_in_memory`, from the fast copy
    in the cache) and the evaluation processes move to it once it is loaded. Without a cache the
    file is loaded here, once, for every process forked later. A store folder or a SPARQL server
    is prepared as :func:`policykg.store.backend.prepare_source` does."""
    global memory_plan
    if config.store or getattr(config, "store_url", ""):
        return prepare_source(config)
    path = Path(config.data) if config.data else build_bundled(config.base)
    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    cache = cache_dir(config.data_cache)
    source = DataSource("file", str(path.resolve()))
    if cache is None:
        return source, len(preload(source, config.base, config.include_background))
    folder = cached_store_folder(cache, path)
    hold(folder)
    count = folder_length(folder)
    if count is None:
        return prepare_source(config.replace(store=str(folder), data=""))
    served = DataSource("folder", str(folder.resolve()))
    estimate = int(path.stat().st_size * COPY_PER_FILE_BYTE)
    budget = memory_budget_mb(int(config.data_memory_mb))
    if estimate <= budget << 20:
        memory_plan = MemoryPlan(str(path.resolve()), str(cache), served, config.base,
                                 bool(config.include_background), count)
        if int(config.query_processes) <= 0:   # no evaluation forker to load it: here, before the forks
            load_in_memory(memory_plan)
            return served, count
        log.info("data: serving %s from its store folder; its in-memory copy (about %d MB, within "
                 "data_memory_mb=%d MB) loads in the background", path.name, estimate >> 20, budget)
    else:
        log.info("data: serving %s from its store folder (its in-memory copy, about %d MB, exceeds "
                 "data_memory_mb=%d MB)", path.name, estimate >> 20, budget)
    return served, count


# An in-memory pyoxigraph copy takes about this many bytes per byte of N-Quads/TriG file
# (measured: 276 MB for a 127 MB file of 646,489 quads, 2,202 MB for 1,209 MB of 6,157,044).
COPY_PER_FILE_BYTE = 2.2


def memory_budget_mb(setting: int) -> int:
    """The largest in-memory copy of the data the service holds, in MB: ``setting``, or when it
    is negative (the default) a quarter of the machine's (or cgroup's) memory — room for the copy,
    for what the evaluation processes' scans copy of it (up to a quarter each) and for the queries."""
    if setting >= 0:
        return setting
    return (memory.total_bytes() // 4) >> 20


@dataclass(frozen=True)
class MemoryPlan:
    """What the evaluation forker loads in the background: ``data`` (the file) into memory, from
    its fast copy in ``cache``, to serve in place of ``served`` (its store folder, ``quads`` quads)."""
    data: str
    cache: str
    served: DataSource
    base: str
    include_background: bool
    quads: int


memory_plan: MemoryPlan | None = None   # set by prepare(); read by the forker (policykg.store.forking)


def load_in_memory(plan: MemoryPlan) -> bool:
    """Load ``plan``'s data into memory in this process (from the fast copy in the cache, else by
    parsing the file and then writing that copy) and make it what :func:`open_source` gives for
    ``plan.served`` to the processes forked from here. False (nothing installed) when it holds
    another number of quads than the store folder served meanwhile."""
    path, cache = Path(plan.data), Path(plan.cache)
    entry = cache / f"memory-{content_key(path, cache)}"
    hold(entry)   # waits while a cleaning removes it (then it is parsed again)
    started, before = time.monotonic(), _resident()
    store = _load_fast(entry) if entry.is_dir() else None
    how = "from the cache copy"
    if store is None:
        if entry.is_dir():
            log.warning("data: the cache copy %s is damaged; parsing %s again", entry, path)
            shutil.rmtree(entry, ignore_errors=True)
        store = OxigraphStore.open_source(DataSource("file", plan.data), plan.base, plan.include_background).ox
        how = "parsed"
        try:
            _write_fast_copy(store, entry)
        except OSError as exc:   # a full or read-only cache costs the next start time, not this one
            log.warning("data: could not keep a copy in %s: %s", entry, exc)
    if len(store) != plan.quads:
        log.error("data: the in-memory copy of %s holds %d quads, its store folder %d: serving the folder",
                  path.name, len(store), plan.quads)
        return False
    _install(store, plan.served, plan.base, plan.include_background, before)
    log.info("data: %d quads of %s loaded in memory (%s) in %.1f s; evaluation processes move to it",
             len(store), path.name, how, time.monotonic() - started)
    return True


def in_memory(store) -> bool:
    """Whether ``store`` is (a view of) the copy loaded in memory by this process or its parent."""
    return _preloaded is not None and getattr(store, "ox", None) is _preloaded.ox


OFF = {"off", "none", "no", "0", "false"}


def cache_dir(setting: str) -> Path | None:
    """The data cache folder a ``data_cache`` setting names (None: no cache)."""
    value = (setting or "").strip()
    if value.lower() in OFF:
        return None
    if value:
        return Path(value)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "policykg"


# The fast copy of a data file held in memory: the quads without blank nodes, which
# pyoxigraph's own loader reads without Python objects (but renames blank nodes, hence the
# second file), and the quads with blank nodes, read through the parser (labels kept).
PLAIN, BLANK, COUNT = "plain.nq", "blank.nq", "quads"


def _load_fast(entry: Path) -> ox.Store | None:
    try:
        expected = int((entry / COUNT).read_text(encoding="ascii"))
        store = ox.Store()
        # lenient: the copy was written by pyoxigraph from data it had parsed and checked.
        store.load(path=str(entry / PLAIN), format=ox.RdfFormat.N_QUADS, lenient=True)
        store.bulk_extend(ox.parse(path=str(entry / BLANK), format=ox.RdfFormat.N_QUADS))
    except (OSError, ValueError, SyntaxError):
        return None
    return store if len(store) == expected else None


def _install(store: ox.Store, source: DataSource, base: str, include_background: bool,
             before: int) -> OxigraphStore:
    """Make ``store`` the copy that processes forked from here inherit (as :func:`preload` does)."""
    global _preloaded, data_bytes
    wrapped = OxigraphStore(store, base, include_background, source)
    wrapped.fixed_length = len(store)
    _preloaded = wrapped
    data_bytes = max(0, _resident() - before)
    return wrapped


def _write_fast_copy(store: ox.Store, entry: Path) -> None:
    """Dump ``store`` and split it into the two files of a fast copy, in a temporary folder
    renamed into place (a copy half written is never taken for a finished one)."""
    building = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".building", dir=entry.parent))
    try:
        everything = building / "all.nq"
        store.dump(str(everything), format=ox.RdfFormat.N_QUADS)
        count = 0
        with open(everything, "rb") as src, open(building / PLAIN, "wb") as plain, \
                open(building / BLANK, "wb") as blank:
            for line in src:   # "_:" anywhere (even in a literal) sends the line the slow, label-keeping way
                (blank if b"_:" in line else plain).write(line)
                count += 1
        everything.unlink()
        (building / COUNT).write_text(f"{count}\n", encoding="ascii")
        os.chmod(building, 0o755)   # mkdtemp's 0700 would hide it from other users' services
        os.replace(building, entry)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


_held: list = []


def hold(entry: Path) -> None:
    """Mark the cache entry ``entry`` as in use by this service for as long as it runs (a
    shared lock, inherited by the processes forked from here): :func:`clean` leaves it alone."""
    lock = entry.with_name(entry.name + ".lock")
    fh = open(lock, "a+b")
    fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
    os.utime(lock)   # its time says when it was last used
    _held.append(fh)


STALE_AFTER = 30 * 24 * 3600   # an entry unused this long goes (seconds)


def clean(cache: Path, keep: set[str]) -> list[str]:
    """Remove the cache entries whose key is not in ``keep`` (the keys of the files the index
    knows) or that no service used for STALE_AFTER, unless a running service holds them."""
    removed = []
    for lock in cache.glob("*-*.lock"):
        name = lock.name[:-len(".lock")]
        kind, _, key = name.partition("-")
        if kind not in ("memory", "store"):
            continue
        try:
            age = time.time() - lock.stat().st_mtime
        except OSError:
            continue
        if key in keep and age < STALE_AFTER:
            continue
        with open(lock, "a+b") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue   # a running service uses it
            shutil.rmtree(cache / name, ignore_errors=True)
            with contextlib.suppress(OSError):
                length_file(cache / name).unlink()
            with contextlib.suppress(OSError):
                lock.unlink()
        removed.append(name)
    return removed


def content_key(path: Path, cache: Path) -> str:
    """The SHA-256 of ``path``'s bytes (16 hex digits), remembered in ``cache``/index.json by
    path, size, modification time and inode, so that an unchanged file is not read again (a
    restart reads 1.2 GB in several seconds otherwise; a file replaced by a rename is read)."""
    info = path.stat()
    stamp = f"{path.resolve()}|{info.st_size}|{info.st_mtime_ns}|{info.st_ino}"
    index_path = cache / "index.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = {}
    if isinstance(index, dict) and isinstance(index.get(stamp), str):
        _clean_logged(cache, set(v for v in index.values() if isinstance(v, str)))
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
    _clean_logged(cache, set(index.values()))   # the entries of a file since changed go
    return key


def _clean_logged(cache: Path, keep: set[str]) -> None:
    for name in clean(cache, keep):
        log.info("data cache: removed %s (its data file changed, or it was unused for 30 days)", name)


def cached_store_folder(cache: Path, data: Path) -> Path:
    """The store folder of ``data`` under ``cache``, built (in a temporary folder renamed into
    place, so a build killed half-way leaves nothing that looks finished) when it is missing."""
    cache.mkdir(parents=True, exist_ok=True)
    folder = cache / f"store-{content_key(data, cache)}"
    if folder.is_dir():
        return folder
    building = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".building", dir=cache))
    try:
        count = _build_in_child(building, data)   # RocksDB's threads stay out of this process
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


def _build_in_child(folder: Path, data: Path) -> int:
    """:func:`_build_folder` in a fresh interpreter (not multiprocessing: its resource tracker
    would stay behind as one more child of the supervisor); the number of quads loaded. A
    StoreError there (bad data: what and where) is raised here with its message."""
    code = ("import sys\n"
            "from policykg.store.errors import StoreError\n"
            "from policykg.store.shared import _build_folder\n"
            "try:\n    print(_build_folder(sys.argv[1], sys.argv[2]))\n"
            "except StoreError as exc:\n    print(exc, file=sys.stderr); sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code, str(folder), str(data)], capture_output=True,
                          text=True, check=False)
    if done.returncode == 3:
        raise StoreError(done.stderr.strip())
    text = done.stdout.strip().splitlines()[-1:]
    if done.returncode != 0 or not text or not text[0].isdigit():
        sys.stderr.write(done.stderr)
        raise StoreError(f"{data}: the store folder could not be built (exit status {done.returncode}; "
                         "see the errors above)")
    return int(text[0])


def _build_folder(folder: str, data: str) -> int:
    import pyoxigraph as ox
    from policykg.store.backend import load_file
    store = ox.Store(folder)
    load_file(store, Path(data))
    store.flush()
    store.optimize()
    return len(store)
