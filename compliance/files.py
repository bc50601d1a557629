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

Why parts on forked processes (:func:`save_gzip_parts`), for gzip only: rendering is Python, one CPU
however many threads; a forked process renders and compresses a later part of the report into a gzip
member of its own, and a concatenation of gzip members is one gzip file (RFC 1952, 2.2: gzip, zcat and
Python's gzip read it whole, as the one stream it decompresses to). Plain, the parts would be written
twice (the member, then copied in): 2.9 GB more on a disk of ~100 MB/s, measured slower (bench/RESULTS.md).
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import shutil
import threading
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

GZIP_LEVEL = 3
QUEUE_BLOCKS = 8   # blocks of ~1 MB rendered ahead of the writer at most
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
        with open(tmp, "wb") as out:
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


def _compress_into(out, blocks: Iterable[bytes], level: int) -> None:
    """``blocks`` as one gzip member written to the binary file ``out``."""
    packer = _gzip_stream(level)
    for block in blocks:
        out.write(packer.compress(block))
    out.write(packer.flush())


def _save_member(blocks: Callable[[], Iterable[bytes]], tmp: Path, level: int, conn) -> None:
    """In a forked process: ``blocks()`` compressed into one gzip member at ``tmp``; sends None when it is
    complete, or the error (its text when the error cannot be pickled)."""
    try:
        with open(tmp, "wb") as out:
            _compress_into(out, blocks(), level)
        conn.send(None)
    except BaseException as exc:   # noqa: BLE001 - handed to the parent, which raises it
        try:
            conn.send(exc)
        except Exception:   # noqa: BLE001 - not picklable: its text
            conn.send(RuntimeError(f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _member_done(process, conn, index: int) -> None:
    """Wait for the process of part ``index``; raise its error, or say how it ended without one."""
    try:
        error = conn.recv()
    except EOFError:   # it ended before sending anything (killed, or os._exit)
        process.join()
        raise RuntimeError(f"the process writing part {index} of the report ended with code {process.exitcode}") from None
    process.join()
    if error is not None:
        raise error


def save_gzip_parts(path, parts: list[Callable[[], Iterable[bytes]]], level: int = GZIP_LEVEL) -> None:
    """The concatenation of every part's blocks saved gzip-compressed at ``path``: ``parts[0]()`` rendered
    and compressed here, each further part in a forked process of its own into a gzip member beside the
    target, appended in order once this process's part is written. The file is a series of gzip members
    (one per part), read by gzip tools as the one stream of the parts' bytes; a temporary file beside the
    target is renamed when every part is in it. On any error (here or in a part's process) the other
    processes are stopped, nothing is left under the name or beside it, and the error is raised."""
    path = Path(path)
    if len(parts) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        save_blocks(path, (block for part in parts for block in part()), compress=True, level=level)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    members = [path.with_name(f".{path.name}.{i}.tmp") for i in range(1, len(parts))]
    context = multiprocessing.get_context("fork")
    running = []
    # the report's rows out of the collector's reach while the processes share them: a collection in a
    # child would write to every object and so copy every page fork shares
    gc.freeze()
    try:
        for index, (part, member) in enumerate(zip(parts[1:], members), 1):
            mine, theirs = context.Pipe(duplex=False)
            process = context.Process(target=_save_member, args=(part, member, level, theirs), daemon=True,
                                      name=f"report-part-{index}")
            process.start()   # fork: the part's maker and the report are shared, not pickled
            theirs.close()
            running.append((process, mine, index, member))
        with open(tmp, "wb") as out:
            _compress_into(out, parts[0](), level)
            for process, conn, index, member in running:
                _member_done(process, conn, index)
                with open(member, "rb") as done:
                    shutil.copyfileobj(done, out, 1 << 20)
        os.replace(tmp, path)
    finally:
        gc.unfreeze()
        for process, conn, _, _ in running:
            if process.is_alive():
                process.terminate()
            process.join()
            conn.close()
        for leftover in (tmp, *members):
            leftover.unlink(missing_ok=True)
