"""What the server processes of one ``policykg serve`` share: where the current data is.

``policykg serve`` runs several server processes (see :mod:`policykg.serve.supervisor`), each
with the data in its own store. They share a small *runtime folder* named by the
environment variable ``POLICYKG_RUNTIME_DIR``:

    data.json     the current data source {"kind": "file"|"folder", "path": ...},
                  replaced atomically (write a temporary file, then rename)
    origin.json   the data file a cached store folder was built from, when the service also
                  holds it in memory (an /update then works on the file: see publish_origin)
    update.lock   taken (fcntl) while an /update changes the data
    snapshot-*.nq the data after an /update, for stores held in memory

Each process checks ``data.json`` before every request (one ``stat``); when it was
replaced, the process reopens its store from the new source before answering. So an
/update answered with 204 is seen by every later query, whichever process serves it.
Without the variable (the application embedded elsewhere) there is one process and
nothing is shared.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path

from policykg.store.backend import DataSource
from policykg.files import write_atomically

RUNTIME_ENV = "POLICYKG_RUNTIME_DIR"
_POINTER = "data.json"
_ORIGIN = "origin.json"


def runtime_dir() -> Path | None:
    value = os.environ.get(RUNTIME_ENV)
    return Path(value) if value else None


def publish(folder: Path, source: DataSource) -> None:
    """Make ``source`` the current data of every server process."""
    body = json.dumps({"kind": source.kind, "path": source.path}).encode("utf-8")
    write_atomically(folder / _POINTER, body)


def publish_origin(folder: Path, data_file: str, store_folder: str) -> None:
    """Record that ``store_folder`` (in the data cache) holds ``data_file``, which the service also
    holds in memory: an /update then works on the file, as for data in memory, and never changes
    the cache's folder (it must keep matching the file's content hash)."""
    body = json.dumps({"file": data_file, "folder": store_folder}).encode("utf-8")
    write_atomically(folder / _ORIGIN, body)


def update_source(folder: Path, source: DataSource) -> DataSource:
    """What an /update applies to when ``source`` is current (see :func:`publish_origin`)."""
    try:
        origin = json.loads((folder / _ORIGIN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return source
    if source.kind == "folder" and isinstance(origin, dict) and origin.get("folder") == source.path:
        return DataSource("file", str(origin["file"]))
    return source


def stamp(folder: Path) -> tuple[int, int] | None:
    """A value that changes whenever the data pointer is replaced (None if there is none)."""
    try:
        info = os.stat(folder / _POINTER)
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns


def current(folder: Path) -> DataSource | None:
    try:
        data = json.loads((folder / _POINTER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return DataSource(data["kind"], data["path"])


@contextlib.contextmanager
def update_lock(folder: Path):
    """Serialise /update requests across the server processes."""
    with open(folder / "update.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def new_snapshot_path(folder: Path) -> Path:
    fd, path = tempfile.mkstemp(prefix="snapshot-", suffix=".nq", dir=folder)
    os.close(fd)
    return Path(path)


def remove_old_snapshots(folder: Path, keep: str) -> None:
    """Delete snapshots other than ``keep`` (a process still loading one has it open already)."""
    for path in folder.glob("snapshot-*.nq"):
        if str(path) != keep:
            with contextlib.suppress(OSError):
                path.unlink()
