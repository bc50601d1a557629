"""Saving a large report: blocks of bytes written (and, for ``.gz``, gzip-compressed) by a thread of
their own while the caller renders the next ones, into a temporary file beside the target, then renamed.

Why a thread: rendering the CSV report is Python and holds the GIL; zlib's compression and the file's
write release it. With a bounded queue between them the two overlap on two CPUs instead of following
each other, and at most :data:`QUEUE_BLOCKS` rendered blocks wait in memory.

Why gzip level 3: on the CSV report (10,000 communities, 300 MB) zlib levels 1-3 compress at the same
speed (~600 MB/s a CPU; the report repeats its norms' words on every line) and 3 is the smallest of them
(3.1% of the size against 3.7% at 1); level 4 takes twice the time, level 6 2.5 times (bench/RESULTS.md).
Plain, the 2.9 GB report of 100,000 communities costs ~20 s of kernel time to write on this machine;
compressed, ~90 MB.
"""
from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import zlib
from collections.abc import Iterable
from pathlib import Path

GZIP_LEVEL = 3
QUEUE_BLOCKS = 8   # blocks rendered ahead of the writer at most
WRITE_BUFFER = 1 << 22
_DONE = object()   # the producer's last item: every block given, close the file
_ABORT = object()  # the producer failed: stop, the file is not renamed


def gzipped(path) -> bool:
    """Whether a file saved at ``path`` is gzip-compressed (its name ends in .gz)."""
    return str(path).lower().endswith(".gz")


def _gzip_stream(level: int):
    """A gzip compressor (zlib's own gzip wrapper, wbits 31: the header, the CRC-32 and the length in the
    one pass that compresses; no file name and mtime 0, so the same report gives the same bytes)."""
    return zlib.compressobj(level, zlib.DEFLATED, 31)


def _drain(items: queue.Queue, tmp: Path, compress: bool, level: int, failed: list) -> None:
    """In the writer thread: write the queue's blocks to ``tmp`` until _DONE or _ABORT. On an error
    it records it and keeps taking blocks (discarded) so that the producer is never left blocked."""
    try:
        # compressed blocks are small (~3% of a block): buffered, so that most writes copy and return without
        # a system call, after which this thread would wait for the renderer to hand the GIL back
        with open(tmp, "wb", buffering=WRITE_BUFFER if compress else -1) as out:
            packer = _gzip_stream(level) if compress else None
            while True:
                block = items.get()
                if block is _ABORT:
                    return
                if block is _DONE:
                    if packer is not None:
                        out.write(packer.flush())
                    return
                out.write(packer.compress(block) if packer is not None else block)
    except BaseException as exc:   # noqa: BLE001 - handed to the producer, which raises it
        failed.append(exc)
        while items.get() not in (_DONE, _ABORT):
            pass


# While a gzip report is saved, how long the renderer holds the GIL before handing it to a writer that waits for
# it (Python's default: 5 ms). The writer waits after each block it compresses, and at 5 ms a wait it was the
# slower of the two: the .csv.gz report of 100,000 communities took 7.6-8.5 s wall for ~4.3 s of rendering and
# ~3.5 s of compressing, 6.3 s at 0.5 ms (bench/RESULTS.md). Not for a plain report: its writes are few and
# large, and switching ten times as often made it slower (6.7-8.2 s against 6.0-7.4 s). Other threads only
# switch more often meanwhile.
SWITCH_INTERVAL = 0.0005
_switching = {"savers": 0, "interval": None}
_switching_lock = threading.Lock()


@contextlib.contextmanager
def _switching_often():
    """The interpreter's switch interval at most :data:`SWITCH_INTERVAL` while any save runs, then as it was
    (saves may overlap in a served process: the first sets it, the last puts it back)."""
    with _switching_lock:
        if _switching["savers"] == 0:
            _switching["interval"] = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL, _switching["interval"]))
        _switching["savers"] += 1
    try:
        yield
    finally:
        with _switching_lock:
            _switching["savers"] -= 1
            if _switching["savers"] == 0:
                sys.setswitchinterval(_switching["interval"])


def save_blocks(path, blocks: Iterable[bytes], compress: bool | None = None, level: int = GZIP_LEVEL) -> None:
    """The concatenation of ``blocks`` saved at ``path`` (gzip-compressed when ``compress``, by default when
    the name ends in .gz): the blocks are written by a thread while the next are made, into a temporary
    file beside the target, renamed once all are written. On any error (from ``blocks`` or the write)
    nothing is left under the name or beside it, and the error is raised."""
    path = Path(path)
    compress = gzipped(path) if compress is None else compress
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    items: queue.Queue = queue.Queue(maxsize=QUEUE_BLOCKS)
    failed: list[BaseException] = []
    writer = threading.Thread(target=_drain, args=(items, tmp, compress, level, failed), name="save-blocks",
                              daemon=True)
    writer.start()
    last = _ABORT
    try:
        with _switching_often() if compress else contextlib.nullcontext():
            for block in blocks:
                if failed:   # the writer failed: stop rendering, its error is raised below
                    break
                items.put(block)
            else:
                last = _DONE
    finally:
        items.put(last)
        writer.join()
        try:
            if failed:
                raise failed[0]
            if last is _DONE:
                os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
