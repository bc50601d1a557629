"""Applying a SPARQL update (``/update``, admin only) under the time limit.

Under ``policykg serve`` an update is evaluated in a child process started for it: the
child opens the current data (a store folder for writing, or a copy of the in-memory
data), applies the update, and for in-memory data writes an N-Quads snapshot beside
the runtime folder. Only when the child reports success is the new data published
(:mod:`policykg.store.runtime`), so every server process sees it on its next request.

Why a child process: pyoxigraph's ``Store.update`` takes no time limit and cannot be
interrupted, and an update such as ``INSERT { … } WHERE { a cross join }`` runs for
hours. A child can be killed at the limit; its transaction is then never committed
and nothing is published, so an update stopped by the limit changed nothing, and the
server process that received it goes on serving.

The child speaks one JSON object per line on stdout: ``{"stage": "loaded"}`` once the
data is open (loading is not counted against the limit), ``{"stage": "applied"}`` once
the update is committed, ``{"stage": "done"}`` once the snapshot is written, or
``{"error": {"reason": …, "message": …}}`` (a :class:`QueryRefused` reason).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pyoxigraph as ox

from policykg.store import runtime
from policykg.store.backend import DataSource, user_base_iri
from policykg.store.errors import QueryRefused, StoreError
from policykg.store.guard import describe_syntax_error

# Opening the data and writing the snapshot are bounded too, generously (loading is far
# faster: bench/RESULTS.md).
LOAD_LIMIT = 600.0
log = logging.getLogger("policykg.server")
_CHILD = "from policykg.store.updates import child_main; child_main()"


def apply_shared(folder: Path, source: DataSource, text: str, time_limit: float, base: str | None = None) -> None:
    """Apply ``text`` to ``source`` in a child process and publish the result in the runtime
    ``folder``, so that every server process sees it on its next request; raise QueryRefused
    (nothing published) otherwise. The caller holds :func:`runtime.update_lock`. Relative IRIs
    resolve against the user base IRI of ``base`` (the service's configured base)."""
    source = runtime.update_source(folder, source)
    snapshot = None if source.kind == "folder" else runtime.new_snapshot_path(folder)
    try:
        run_in_child(source, text, snapshot, time_limit, base)
    except QueryRefused:
        if snapshot is not None:   # the update failed: its snapshot (and a half-written one) go
            for leftover in (snapshot, snapshot.with_suffix(".part")):
                with contextlib.suppress(OSError):
                    leftover.unlink()
        raise
    if snapshot is None:
        from policykg.store.shared import forget_length   # (shared imports this module's neighbours)
        forget_length(Path(source.path))
        runtime.publish(folder, source)  # the folder changed: every process reopens it
    else:
        # Earlier snapshots go: a process still loading one has it open already.
        runtime.publish(folder, DataSource("file", str(snapshot)))
        runtime.remove_old_snapshots(folder, keep=str(snapshot))


def run_in_child(source, text: str, snapshot: Path | None, time_limit: float, state_base: str | None = None) -> None:
    """Apply ``text`` to ``source`` in a child process, killed at ``time_limit`` seconds."""
    request = {"source": {"kind": source.kind, "path": source.path}, "update": text,
               "base_iri": user_base_iri(state_base) if state_base else None,
               "snapshot": str(snapshot) if snapshot else None}
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, encoding="utf-8")
    messages: queue.SimpleQueue = queue.SimpleQueue()
    threading.Thread(target=_pump, args=(child.stdout, messages), name="policykg-update-reader",
                     daemon=True).start()
    try:
        child.stdin.write(json.dumps(request))
        child.stdin.close()
        _expect(child, messages, "loaded", LOAD_LIMIT)
        try:
            _expect(child, messages, "applied", time_limit)
        except queue.Empty:
            child.kill()
            child.wait()
            # A store folder may have been committed in the moment before the kill: then the
            # update did change the data and is published. A copy in memory died with the child.
            changed = _said(messages, "applied") and snapshot is None
            log.warning("an update ran over the time limit of %g s; its process was stopped (%s)", time_limit,
                        "the folder was committed just before" if changed else "nothing changed")
            if not changed:
                raise QueryRefused("timeout", f"the update was stopped after the time limit of {time_limit:g} s; "
                                              "nothing was changed") from None
            return
        if snapshot is not None:
            _expect(child, messages, "done", LOAD_LIMIT)
    except queue.Empty:
        raise QueryRefused("timeout", f"the update process did not open or save the data within {LOAD_LIMIT:g} s; "
                                      "nothing was changed") from None
    except BrokenPipeError:
        raise QueryRefused("internal", "the update process ended before it read the update; nothing was changed") \
            from None
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


def _pump(stream, messages: queue.SimpleQueue) -> None:
    """Hand the child's lines to the waiting request, then None at the end; the pipe closed once read."""
    try:
        with stream:
            for line in stream:
                try:
                    messages.put(json.loads(line))
                except ValueError:
                    continue   # not ours (a library printing): ignore
    finally:
        messages.put(None)


def _expect(child, messages: queue.SimpleQueue, stage: str, seconds: float) -> None:
    """Wait for the child to reach ``stage``; raise queue.Empty after ``seconds``."""
    message = messages.get(timeout=seconds)
    if message is None:
        child.wait()
        raise QueryRefused("internal", f"the update process ended unexpectedly (exit status {child.returncode}); "
                                       "nothing was changed")
    if "error" in message:
        raise QueryRefused(str(message["error"]["reason"]), str(message["error"]["message"]))
    if message.get("stage") != stage:
        raise QueryRefused("internal", f"the update process said {message!r} where {stage!r} was expected")


def _said(messages: queue.SimpleQueue, stage: str) -> bool:
    """Whether ``stage`` is among the child's remaining messages (after it ended)."""
    while True:
        try:
            message = messages.get(timeout=5)
        except queue.Empty:
            return False
        if message is None:
            return False
        if message.get("stage") == stage:
            return True


def apply_in_place(store: ox.Store, text: str, base_iri: str | None = None) -> None:
    """Apply ``text`` to ``store`` here and now (no time limit): for one embedded process."""
    try:
        store.update(text, base_iri=base_iri)
    except SyntaxError as exc:
        raise QueryRefused("syntax", describe_syntax_error(exc, text)) from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryRefused("failed", f"the update failed: {exc}") from None


# ---------------------------------------------------------------------------
# The child process
# ---------------------------------------------------------------------------

def child_main() -> None:
    """Read one request on stdin, apply it, report each stage on stdout."""
    def say(message: dict) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    request = json.loads(sys.stdin.read())
    source = DataSource(**request["source"])
    try:
        store = source.open()
        say({"stage": "loaded"})
        apply_in_place(store, request["update"], request.get("base_iri"))
        store.flush()
        say({"stage": "applied"})
        if request["snapshot"]:
            snapshot = Path(request["snapshot"])
            part = snapshot.with_suffix(".part")
            store.dump(str(part), format=ox.RdfFormat.N_QUADS)
            os.replace(part, snapshot)
            say({"stage": "done"})
    except QueryRefused as exc:
        say({"error": {"reason": exc.reason, "message": exc.message}})
    except (StoreError, OSError) as exc:
        say({"error": {"reason": "internal", "message": f"the data could not be opened for the update: {exc}"}})
