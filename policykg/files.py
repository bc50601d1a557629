"""Writing files so that a reader never sees half of one: a temporary file beside the
target, flushed to disk, then renamed over it (atomic on POSIX).

The temporary file is hidden (``.{name}.{pid}.{random}.tmp``) and removed on any failure,
including SIGTERM once the command turned it into an exception. A process killed outright
(SIGKILL, power loss) cannot clean up; its pid in the name lets the next writer of the same
target tell such a leftover (its writer is gone) from a file another live process is writing.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator


def _prefix(path: Path) -> str:
    return f".{path.name}."


@contextlib.contextmanager
def atomic_output(path: Path | str) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces ``path`` when the block ends without error;
    on failure the old file is left as it was and the temporary file is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{_prefix(path)}{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)   # mkstemp's 0600 would hide the file from other users
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomically(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` all at once; on failure the old file is left as it was."""
    with atomic_output(path) as handle:
        handle.write(data)
    return Path(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's live process
        return True
    return True


def remove_stale_temporaries(path: Path | str) -> list[Path]:
    """Remove the temporary files that killed writers of ``path`` left beside it (no process
    has their pid any more); return what was removed."""
    path = Path(path)
    pattern = re.compile(re.escape(_prefix(path)) + r"(\d+)\.[^/]*\.tmp")
    removed = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in path.parent.iterdir():
            m = pattern.fullmatch(entry.name)
            if m and not _alive(int(m[1])):
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
                    removed.append(entry)
    return removed
