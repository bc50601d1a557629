"""The evaluation forker: evaluation processes forked from the one loaded copy of the data.

``policykg serve`` loads the data once, in its supervisor (:mod:`policykg.store.shared`), and
forks this small process right away, before any thread or server process exists. It listens
on ``eval.sock`` in the runtime folder; a server process that needs an evaluation process
(:mod:`policykg.store.isolation`) connects and sends the usual first line (the data source,
the base, the memory budget), and the forker forks a child that answers queries on that
connection. The child shares the data's pages with every other process (copy-on-write: queries
only read them), so it is ready in milliseconds and costs only what its queries allocate. Being
forked from a process with a single thread, it inherits no lock held by another thread.

When the data is served from its store folder and its in-memory copy fits the memory budget
(:data:`policykg.store.shared.memory_plan`), the forker forks a *loader* at once: it loads that
copy (seconds to minutes) while the service answers from the folder, then takes over the
listening socket and forks the evaluation processes from then on, so they share the one
in-memory copy; it writes ``memory.ready`` in the runtime folder, and server processes replace
their folder-backed evaluation processes before their next query. Should the loader die, or an
/update publish other data (it checks five times a second), it ends and the first forker takes the
socket back: evaluation processes then open the current data themselves.

A connection whose first line is ``{"status_of": PID}`` asks how that child ended (the forker
is its parent and reaps it): the answer is ``{"status": code}`` (negative: the signal), or
``{"status": null}`` when it is unknown or still running after a short wait.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import socket
import time
from pathlib import Path

from policykg.store import runtime, shared

SOCKET_NAME = "eval.sock"
MEMORY_READY = "memory.ready"   # present while the loader's in-memory copy serves the evaluation processes
# How many times in a row a loader killed before its copy served is started again (a loader killed
# again and again while loading, e.g. by the OOM killer, must not load for ever). A loader whose copy
# served is always started again when killed.
LOADER_RESTARTS = 3
PID_FILE = "forker.pid"     # beside the socket: which process the forker is (for tools and tests)
_KEPT_STATUSES = 512
log = logging.getLogger("policykg.data")


def socket_path(folder: Path | None) -> Path | None:
    """Where the forker of the runtime ``folder`` listens (None when there is none)."""
    if folder is None:
        return None
    path = Path(folder) / SOCKET_NAME
    return path if path.exists() else None


def start(folder: Path) -> int:
    """Start the forker (call it after the data is loaded, before any thread starts); its pid.

    It is forked twice, so that it is not a child of the supervisor (whose children are its
    server processes, to granian and to the tests); it ends when the supervisor and the
    processes forked from it are gone (the write end of a pipe they hold is closed)."""
    path = Path(folder) / SOCKET_NAME
    with contextlib.suppress(FileNotFoundError):
        path.unlink()   # a forker started again after the first died
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(128)
    alive_r, alive_w = os.pipe()
    pid_r, pid_w = os.pipe()
    middle = os.fork()
    if middle == 0:
        code = 0
        try:
            os.close(alive_w)
            os.close(pid_r)
            forker = os.fork()
            if forker == 0:
                os.close(pid_w)
                try:
                    _forker_loop(listener, alive_r, Path(folder), shared.memory_plan)
                finally:
                    os._exit(0)
            os.write(pid_w, str(forker).encode("ascii"))
        except BaseException:   # noqa: BLE001 - never return into the supervisor's code
            code = 70
        finally:
            os._exit(code)
    listener.close()
    os.close(alive_r)
    os.close(pid_w)
    os.waitpid(middle, 0)
    with os.fdopen(pid_r, "rb") as fh:
        text = fh.read().decode("ascii")
    _alive_pipes.append(alive_w)   # held open (by the supervisor and its server processes) for its life
    pid = int(text) if text.isdigit() else 0
    (Path(folder) / PID_FILE).write_text(f"{pid}\n", encoding="ascii")
    return pid


_alive_pipes: list[int] = []


def running(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop(pid: int) -> None:
    """End the forker (its children end with their server processes' connections)."""
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def _exit_code(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _forker_loop(listener: socket.socket, alive_fd: int, folder: Path, plan=None,
                 memory_stamp=None) -> None:
    """Fork an evaluation process for each connection; with ``plan``, first fork the loader
    (:func:`_start_loader`) and stop accepting once it has taken over. ``memory_stamp``: this is
    the loader, serving its in-memory copy while the data pointer keeps that stamp."""
    from policykg.store.isolation import serve_forked   # imported once here, not in every child
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C reaches the whole group: the supervisor ends us
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    statuses: dict[int, int] = {}
    listener.settimeout(0.2)
    loader, loaded = _start_loader(listener, alive_fd, folder, plan) if plan is not None else (None, None)
    accepting = True
    failed_reloads = 0   # loaders killed in a row before their copy served
    served = False       # the current loader's copy serves (it took the socket)

    def heard_serving() -> bool:
        """Whether the loader has said "1" (it took the socket: its copy serves); its pipe is closed
        once read (a word or EOF)."""
        nonlocal loaded
        if loaded is None or not select.select([loaded], [], [], 0)[0]:
            return False
        took = os.read(loaded, 1) == b"1"
        os.close(loaded)
        loaded = None
        return took

    def reap() -> None:
        nonlocal loader, loaded, accepting, failed_reloads, served
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == loader:   # the in-memory copy is gone with it: back to the folder
                loader, accepting = None, True
                served = heard_serving() or served   # it may have said so just before it was killed
                if loaded is not None:
                    os.close(loaded)
                    loaded = None
                with contextlib.suppress(OSError):
                    (folder / MEMORY_READY).unlink()
                log.warning("data: the in-memory copy's forker ended (%s); evaluation processes open the "
                            "store folder again", _exit_code(status))
                # Killed from outside (an operator, the kernel's OOM killer, a soak): the copy is
                # loaded again in the background, unless the last LOADER_RESTARTS loaders were all
                # killed before their copy served. A loader that ended by itself (a failed load,
                # data replaced by an /update) is not started again.
                failed_reloads = 0 if served else failed_reloads + 1
                served = False
                if os.WIFSIGNALED(status) and plan is not None and failed_reloads < LOADER_RESTARTS:
                    log.warning("data: loading the in-memory copy again")
                    loader, loaded = _start_loader(listener, alive_fd, folder, plan)
                elif os.WIFSIGNALED(status) and plan is not None:
                    log.warning("data: the in-memory copy is not loaded again: its last %d loaders were killed "
                                "before it served; serving the store folder", LOADER_RESTARTS)
            statuses[pid] = _exit_code(status)
            while len(statuses) > _KEPT_STATUSES:
                statuses.pop(next(iter(statuses)))

    supervisor = select.poll()
    supervisor.register(alive_fd, select.POLLIN)   # readable (EOF) once every writer is gone

    parent = os.getppid()
    while not supervisor.poll(0):
        if memory_stamp is not None and (os.getppid() != parent or runtime.stamp(folder) != memory_stamp):
            # The first forker was killed (the supervisor starts another, which loads its own copy), or
            # an /update published other data: this copy is no longer wanted, its memory goes back.
            with contextlib.suppress(OSError):
                (folder / MEMORY_READY).unlink()
            log.info("data: the in-memory copy is dropped (its data was replaced, or its forker ended)")
            return
        reap()
        if heard_serving():
            served, accepting = True, False
        if not accepting:
            time.sleep(0.2)
            continue
        try:
            conn, _ = listener.accept()
        except (socket.timeout, InterruptedError):
            continue
        except OSError:
            time.sleep(0.1)
            continue
        try:
            conn.settimeout(10)
            first = conn.makefile("rb").readline()
            message = json.loads(first) if first else None
        except (OSError, ValueError):
            conn.close()
            continue
        if not isinstance(message, dict):
            conn.close()
            continue
        if "status_of" in message:
            _answer_status(conn, int(message["status_of"]), statuses, reap)
            continue
        try:
            pid = os.fork()
        except OSError:
            conn.close()   # the server process sees EOF and reports that no process could start
            continue
        if pid == 0:
            listener.close()
            os.close(alive_fd)
            code = 0
            try:
                conn.settimeout(None)
                serve_forked(conn, {**message, "forked": True})
            except BaseException:   # noqa: BLE001 - the child never returns into the forker's loop
                code = 70
            finally:
                os._exit(code)
        conn.close()


def _start_loader(listener: socket.socket, alive_fd: int, folder: Path, plan) -> tuple[int | None, int | None]:
    """Fork the process that loads ``plan``'s in-memory copy and then forks the evaluation
    processes from it; its pid and a pipe it writes "1" on once it has taken over the socket."""
    stamp = runtime.stamp(folder)
    ready_r, ready_w = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(ready_r)
        os.close(ready_w)
        log.warning("data: could not start loading the in-memory copy (%s); serving the store folder", exc)
        return None, None
    if pid:
        os.close(ready_w)
        return pid, ready_r
    code = 0
    try:
        os.close(ready_r)
        _die_with_parent()
        if shared.load_in_memory(plan) and runtime.stamp(folder) == stamp:
            # The forker hears first, so that a loader seen serving (memory.ready) has always told it so.
            os.write(ready_w, b"1")
            os.close(ready_w)
            (folder / MEMORY_READY).write_text(f"{os.getpid()}\n", encoding="ascii")
            _forker_loop(listener, alive_fd, folder, None, memory_stamp=stamp)
    except BaseException:   # noqa: BLE001 - never return into the first forker's loop
        log.exception("data: loading the in-memory copy failed; serving the store folder")
        code = 70
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """End this process when the first forker ends (the service stopping): a load of minutes
    must not outlive the service. Linux only; elsewhere the loader ends after its load."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:   # it ended before the line above
        os._exit(0)


def _answer_status(conn: socket.socket, pid: int, statuses: dict, reap) -> None:
    deadline = time.monotonic() + 2.0
    try:
        ended, status = os.waitpid(pid, os.WNOHANG)
        if ended:
            statuses[pid] = _exit_code(status)
    except ChildProcessError:   # not a child of this forker (forked before a takeover): unknown
        deadline = 0.0
    while pid not in statuses and time.monotonic() < deadline:
        reap()
        if pid in statuses:
            break
        time.sleep(0.01)
    try:
        conn.sendall(json.dumps({"status": statuses.get(pid)}).encode("utf-8") + b"\n")
    except OSError:
        pass
    conn.close()


def exit_status(path: Path, pid: int) -> int | None:
    """How the forked child ``pid`` ended, asked of the forker at ``path`` (None if unknown)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(path))
            sock.sendall(json.dumps({"status_of": pid}).encode("utf-8") + b"\n")
            line = sock.makefile("rb").readline()
        value = json.loads(line).get("status")
        return int(value) if value is not None else None
    except (OSError, ValueError, AttributeError):
        return None
