"""One CPU for each server process, when there are at least as many processes as CPUs.

Why: every query is handed from the request thread to a query thread and back (the time
limit needs it, see :class:`policykg.store.evaluation.Evaluator`). When the two threads run on
different CPUs, each hand-off wakes the other CPU, which on a virtual machine is costly;
on one CPU it is a plain context switch (bench/RESULTS.md has the figures). When there are more CPUs than processes, pinning would only take CPUs away from the query
threads, so ``auto`` leaves the processes free.

The processes of one ``policykg serve`` register in the runtime folder (``servers/<pid>``,
holding when they registered). Each process, once at start and then every second from
its watch thread, sorts the live registrations and takes the CPU at its position, so the
CPUs stay evenly shared when the supervisor replaces a process. Processes starting at the
same moment may not yet see each other's registration and take the same CPU; the next
round of the watch thread, a second later, spreads them.
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

from policykg.files import write_atomically

log = logging.getLogger("policykg.server")

def usable_cpus() -> list[int]:
    """The CPUs this process may run on, in order."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # not Linux
        return []


def wanted(setting: str, processes: int, cpus: list[int]) -> bool:
    """Whether to pin: ``on`` always (with a CPU to choose), ``auto`` when each process can
    have a CPU of its own and none would be left unused."""
    if setting == "off" or len(cpus) < 2 or not hasattr(os, "sched_setaffinity"):
        return False
    return setting == "on" or processes >= len(cpus)


def assign(position: int, cpus: list[int]) -> int:
    """The CPU of the process at ``position`` among the live processes, in registration order."""
    return cpus[position % len(cpus)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # it exists, under another user
        pass
    return True


class CpuPinning:
    """Keeps this server process on the CPU its registration position gives it."""

    def __init__(self, folder: Path, cpus: list[int]):
        self.folder = folder / "servers"
        self.cpus = cpus
        self.pid = os.getpid()
        self.cpu: int | None = None
        self.folder.mkdir(exist_ok=True)
        # CLOCK_MONOTONIC is one clock for every process of the machine: it orders registrations.
        # Written whole (temporary file, then rename): a process starting beside this one must
        # never read an empty registration and take it for the oldest.
        write_atomically(self.folder / str(self.pid), str(time.monotonic_ns()).encode("ascii"))

    def _live_order(self) -> list[int]:
        entries = []
        for path in self.folder.iterdir():
            if not path.name.isdigit():
                continue
            pid = int(path.name)
            if pid != self.pid and not _alive(pid):
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            with contextlib.suppress(OSError, ValueError):
                entries.append((int(path.read_text(encoding="ascii") or 0), pid))
        return [pid for _, pid in sorted(entries)]

    def balance(self) -> None:
        """Move every thread of this process to its CPU, if that changed."""
        order = self._live_order()
        if self.pid not in order:
            return
        cpu = assign(order.index(self.pid), self.cpus)
        if cpu == self.cpu:
            return
        pin_all_threads(cpu)
        if self.cpu is None:
            log.info("server process %d runs on CPU %d", self.pid, cpu)
        self.cpu = cpu


def pin_all_threads(cpu: int) -> None:
    """``sched_setaffinity`` applies to one thread: set it for each thread of this process
    (threads started later inherit it from the thread that starts them)."""
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):   # a thread may end meanwhile
            os.sched_setaffinity(int(tid), {cpu})


def start(folder: Path | None, setting: str, processes: int) -> CpuPinning | None:
    """Pin this server process if the setting asks for it; None when not pinned."""
    cpus = usable_cpus()
    if folder is None or not wanted(setting, processes, cpus):
        return None
    pinning = CpuPinning(folder, cpus)
    pinning.balance()
    return pinning
