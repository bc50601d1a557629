"""The server processes and their supervisor: granian running ``policykg.serve.wsgi:app``
in several processes, each with the data in its own store.

The supervisor (:func:`serve`) shares the configuration and the runtime folder with the
server processes through the environment. A server process whose query ran over the time
limit asks it to be replaced (:func:`request_replacement`); its watch thread
(:func:`watch_process`) ends it if the supervisor is gone or the replacement never came.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from granian import Granian
from granian.constants import HTTPModes, Interfaces

from policykg.store import runtime

_server_log = logging.getLogger("policykg.server")

SUPERVISOR_ENV = "POLICYKG_SUPERVISOR_PID"


def supervisor_pid() -> int | None:
    """The supervisor of this server process, as the environment names it (None when embedded)."""
    value = os.environ.get(SUPERVISOR_ENV)
    return int(value) if value and value.isdigit() else None


WSGI_TARGET = "policykg.serve.wsgi:app"
REPLACEMENT_GRACE = 60.0   # seconds past the time limit before a process ends itself
_replacement_asked = threading.Event()


class _IntendedThreads(logging.Filter):
    """Drop granian's warning that request threads outnumber 2 × CPUs + 1: ours spend their
    time waiting for the query threads, so that many is intended (a user need not worry)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "which seems quite high compared to the number of CPU cores" not in record.getMessage()


# granian's own logging setup, with that filter on its console handler (access log off: ours is AccessLog).
_GRANIAN_LOGGING = {
    "filters": {"intended_threads": {"()": _IntendedThreads}},
    "handlers": {
        "console": {"formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                    "filters": ["intended_threads"]},
        "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
    },
}


RUNTIME_PREFIX = "policykg-run-"
SUPERVISOR_FILE = "supervisor.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:     # someone else's process: alive, and not ours to judge
        return True
    return True


def remove_abandoned_runtime_folders() -> list[Path]:
    """Remove the runtime folders (with the files generated in them) of services whose
    supervisor is gone: one that was killed could not remove its own. Returns those removed."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(RUNTIME_PREFIX + "*"):
        try:
            pid = int((folder / SUPERVISOR_FILE).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue            # not one of ours, or still being set up: leave it
        if not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def serve(config, source) -> None:
    """Serve with granian until interrupted: ``config.query_workers`` server processes.

    This process is the supervisor. It shares the configuration and the runtime folder
    with the server processes through the environment, publishes the data ``source`` in
    the runtime folder, and lets granian start the processes, replace one that dies, and
    on SIGHUP (sent by a process whose query ran over the time limit) replace them one by
    one: a fresh process first, then the old one is stopped after answering what it holds.
    """
    remove_abandoned_runtime_folders()
    folder = Path(tempfile.mkdtemp(prefix=RUNTIME_PREFIX))
    try:
        (folder / SUPERVISOR_FILE).write_text(f"{os.getpid()}\n", encoding="ascii")
        runtime.publish(folder, source)
        for setting, value in config.values.items():
            os.environ[f"POLICYKG_{setting.upper()}"] = str(value)
        os.environ[runtime.RUNTIME_ENV] = str(folder)
        os.environ[SUPERVISOR_ENV] = str(os.getpid())
        server = Granian(
            WSGI_TARGET, address=config.host, port=config.port, interface=Interfaces.WSGI,
            workers=max(1, int(config.query_workers)), blocking_threads=max(1, int(config.threads)),
            http=HTTPModes.http1, respawn_failed_workers=True, respawn_interval=1.0,
            backpressure=max(1, int(config.threads)), workers_kill_timeout=30, log_level="warning",
            log_dictconfig=_GRANIAN_LOGGING,
        )
        guard_signal_handlers(server)
        stop_promptly_on_interrupt(server, folder)
        server.serve()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def guard_signal_handlers(server) -> None:
    """Make the supervisor's signal handlers safe against a signal that arrives inside one.

    granian's handlers set a flag and a ``threading.Event``. Python runs signal handlers on
    the main thread, a later one inside an earlier one, so a signal that lands while a
    handler holds the Event's lock makes the inner handler wait for that lock forever: the
    supervisor hangs, no longer replaces processes nor stops (two signals a moment apart do
    it, e.g. two server processes over the time limit sending SIGHUP). A nested call therefore
    only records its signal; the outer call is waking the main loop, which reads the flags
    once the handlers have returned."""
    busy = [False]

    def guarded(handler, flag: str):
        def run(*args, **kwargs):
            if busy[0]:
                setattr(server, flag, True)
                return
            busy[0] = True
            try:
                handler(*args, **kwargs)
            finally:
                busy[0] = False
        return run

    server.signal_handler_interrupt = guarded(server.signal_handler_interrupt, "interrupt_signal")
    server.signal_handler_reload = guarded(server.signal_handler_reload, "reload_signal")


# After Ctrl-C (SIGINT) or SIGTERM: what still runs STOP_GRACE later is killed, and STOP_LIMIT
# after the signal the supervisor leaves, so that everything has stopped within 2 s even when the
# signal lands while granian is replacing processes (it then waits up to workers_kill_timeout,
# 30 s, for each old process) or a process still answers queries.
STOP_GRACE = 0.5
STOP_LIMIT = 1.0


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (server and evaluation processes), from /proc; [] without it."""
    children: dict[int, list[int]] = {}
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return []
    for name in entries:
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        children.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_descendants() -> None:
    for pid in _descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def stop_promptly_on_interrupt(server, folder: Path) -> None:
    """Bound the stop that SIGINT or SIGTERM starts: granian asks the server processes to finish
    (and waits no longer than STOP_GRACE for them); what still runs then is killed, and a
    supervisor still inside granian's shutdown at STOP_LIMIT removes its runtime folder and exits."""
    interrupt = server.signal_handler_interrupt
    started = threading.Event()

    def watch():
        time.sleep(STOP_GRACE)
        _kill_descendants()
        time.sleep(STOP_LIMIT - STOP_GRACE)
        _kill_descendants()                    # one started by a replacement under way
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(130)

    def on_interrupt(*args, **kwargs):
        if not started.is_set():
            started.set()
            server.workers_kill_timeout = STOP_GRACE
            threading.Thread(target=watch, name="policykg-stop", daemon=True).start()
        interrupt(*args, **kwargs)

    server.signal_handler_interrupt = on_interrupt


def request_replacement() -> None:
    """Ask the supervisor to replace this process: a query over the time limit still runs here."""
    if _replacement_asked.is_set():
        return
    _replacement_asked.set()
    pid = supervisor_pid()
    if pid is None or os.getppid() != pid:
        _server_log.warning("a query over the time limit keeps running: no supervisor can replace this process")
        return
    _server_log.warning(
        "a query ran over the time limit: asking the supervisor to replace server process %d", os.getpid())
    os.kill(pid, signal.SIGHUP)


def watch_process(state, pinning=None) -> None:
    """In a server process: end it if the supervisor is gone, or if a runaway query was
    not stopped by a replacement well past the time limit (defence in depth); keep its
    CPU share even when processes are replaced (``pinning``, see :mod:`policykg.serve.affinity`)."""
    supervisor = supervisor_pid()
    limit = float(state.config.query_timeout) + REPLACEMENT_GRACE

    def watch():
        while True:
            time.sleep(1.0)
            if supervisor is not None and os.getppid() != supervisor:
                os._exit(0)
            if state.longest_running_query() > limit:
                os._exit(70)
            if pinning is not None:
                try:
                    pinning.balance()
                except OSError as exc:   # never let balancing end the watch
                    _server_log.warning("could not balance CPUs: %s", exc)

    threading.Thread(target=watch, name="policykg-watch", daemon=True).start()
