"""The server processes and their supervisor: granian running ``policykg.serve.wsgi:app``
in several processes, all forked after the data was loaded once, so that they share it.

The supervisor (:func:`serve`) shares the configuration and the runtime folder with the
server processes through the environment. A server process whose query ran over the time
limit asks it to be replaced (:func:`request_replacement`); its watch thread
(:func:`watch_process`) ends it if the supervisor is gone or the replacement never came.
"""
from __future__ import annotations

import importlib
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
from granian.http import HTTP1Settings

from policykg.serve import rebalance
from policykg.store import forking, runtime, shared

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


class Supervisor(Granian):
    """granian's supervisor, changed in one respect: a server process that dies is replaced
    however often it happens, after a back-off that grows while the deaths come quickly
    (granian itself stops the whole service when a replaced process dies again within
    5.5 s, its "crash loop" exit: two outside kills, or two queries killed by a memory cap,
    would end the service). A replaced process is forked from this one and so has the
    data at once (:mod:`policykg.store.shared`)."""

    BACKOFF_FIRST = 0.25
    BACKOFF_MAX = 5.0
    QUIET = 30.0    # seconds without a death after which the back-off starts again from the first
    EARLY_DEATHS = 5   # deaths before any server process was ever ready: the service stops

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._deaths: dict[int, tuple[float, float]] = {}   # worker index: (last death, its back-off)
        self._early_deaths = 0
        self.forker_pid: int | None = None

    def _respawn_workers(self, workers, spawn_target, target_loader, delay: float = 0):
        if not delay:   # deaths (a reload passes granian's respawn interval as delay)
            self._early_deaths += len(workers)
            folder = Path(os.environ.get(runtime.RUNTIME_ENV, "."))
            if self._early_deaths >= self.EARLY_DEATHS and not (folder / rebalance.STAMP).exists():
                # No server process was ever ready: a fault at start (bad data, a broken install)
                # that replacing cannot cure. Stop rather than restart for ever.
                _server_log.error("server processes end before they are ready (%d times): stopping; see the "
                                  "errors above", self._early_deaths)
                self.interrupt_signal = True
                self.interrupt_children.extend(workers)   # granian then exits with status 1
                self.main_loop_interrupt.set()
                return None
            now = time.monotonic()
            wait = 0.0
            for idx in workers:
                last, backoff = self._deaths.get(idx, (0.0, 0.0))
                backoff = min(self.BACKOFF_MAX, backoff * 2 if now - last < self.QUIET and backoff
                              else self.BACKOFF_FIRST)
                self._deaths[idx] = (now, backoff)
                wait = max(wait, backoff)
            _server_log.warning("server process %s ended; replacing it in %.2f s",
                                ", ".join(f"worker-{idx + 1}" for idx in workers), wait)
            deadline = time.monotonic() + wait
            while not self.interrupt_signal and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.interrupt_signal:
                return None
        if self.forker_pid and not forking.running(self.forker_pid):
            # The evaluation forker died (killed from outside): a new one, from this process's
            # copy of the data (until then evaluation processes open the data themselves).
            _server_log.warning("the evaluation forker %d is gone; starting another", self.forker_pid)
            try:
                self.forker_pid = forking.start(Path(os.environ[runtime.RUNTIME_ENV]))
            except OSError as exc:
                _server_log.error("could not start the evaluation forker: %s", exc)
        result = super()._respawn_workers(workers, spawn_target, target_loader, delay)
        # granian's crash-loop check reads these: with them forgotten, deaths are never a reason to stop.
        self.respawned_wrks.clear()
        return result


def serve(config, source) -> None:
    """Serve with granian until interrupted: ``config.query_workers`` server processes.

    This process is the supervisor. It shares the configuration and the runtime folder with
    the server processes through the environment, publishes the data ``source`` in the
    runtime folder, and lets granian start the processes, replace one that dies (always:
    :class:`Supervisor`), and on SIGHUP (sent by a process whose query ran over the time limit,
    when queries run on threads) replace them one by one. The data, loaded into memory here
    before (:func:`policykg.store.shared.prepare`), is shared by every process forked from
    here: the server processes, and the evaluation processes forked by the forker
    (:mod:`policykg.store.forking`), started first while this process has one thread.
    """
    remove_abandoned_runtime_folders()
    folder = Path(tempfile.mkdtemp(prefix=RUNTIME_PREFIX))
    forker_pid = None
    try:
        (folder / SUPERVISOR_FILE).write_text(f"{os.getpid()}\n", encoding="ascii")
        runtime.publish(folder, source)
        if shared.memory_plan is not None and shared.memory_plan.served == source:
            runtime.publish_origin(folder, shared.memory_plan.data, source.path)
        for setting, value in config.values.items():
            os.environ[f"POLICYKG_{setting.upper()}"] = str(value)
        os.environ[runtime.RUNTIME_ENV] = str(folder)
        os.environ[SUPERVISOR_ENV] = str(os.getpid())
        if int(config.query_processes) > 0 and (source.kind == "folder" or shared.preloaded(
                source, config.base, config.include_background) is not None):
            forker_pid = forking.start(folder)
        # The application's modules, imported once here: every server process forked later has
        # them already (a faster start, and their pages shared too).
        importlib.import_module("policykg.api")
        threads = max(1, int(config.threads))
        server = Supervisor(
            WSGI_TARGET, address=config.host, port=config.port, interface=Interfaces.WSGI,
            workers=max(1, int(config.query_workers)), blocking_threads=threads,
            http=HTTPModes.http1, respawn_failed_workers=True, respawn_interval=1.0,
            # Connections are cheap and evaluations are not: many more connection slots than
            # threads, and an idle keep-alive connection closed after a few seconds, so that idle
            # clients cannot hold every slot (requests beyond the threads wait in granian's queue,
            # queries beyond the evaluation processes in a bounded one: 503 busy).
            backpressure=max(threads, int(config.connections)),
            backlog=max(1024, 2 * int(config.connections) * max(1, int(config.query_workers))),
            http1_settings=HTTP1Settings(
                header_read_timeout=max(1, min(60_000, int(float(config.keep_alive_timeout) * 1000)))),
            workers_kill_timeout=30, log_level="warning", log_dictconfig=_GRANIAN_LOGGING,
        )
        server.forker_pid = forker_pid
        guard_signal_handlers(server)
        stop_promptly_on_interrupt(server, folder)
        server.serve()
        forker_pid = server.forker_pid
    finally:
        if forker_pid is not None:
            forking.stop(forker_pid)
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
