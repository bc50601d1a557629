"""How much memory this process may use: what the container (cgroup) allows.

One place for reading the limit, for the build's check before it starts and for the
evaluation processes' default budget.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

# cgroup v2 first (one file for the limit, one for the use); v1 as older Docker set it up.
_LIMITS = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
           ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"))
# cgroup v1 writes "no limit" as a huge number (the largest page-aligned int64), not "max".
_UNLIMITED_V1 = 1 << 60


def cgroup_limit(root: Path | str = "/") -> tuple[int, int | None] | None:
    """(limit, current use) of this process's cgroup in bytes, or None when it sets no limit.
    ``root`` lets tests point at a fake /sys."""
    for limit_path, current_path in _LIMITS:
        try:
            value = Path(root, limit_path.lstrip("/")).read_text(encoding="ascii").strip()
        except OSError:
            continue
        if not value.isdigit() or not 0 < int(value) < _UNLIMITED_V1:
            return None          # "max": this cgroup sets no limit
        current = None
        with contextlib.suppress(OSError, ValueError):
            current = int(Path(root, current_path.lstrip("/")).read_text(encoding="ascii").strip())
        return int(value), current
    return None


def total_bytes() -> int:
    """The memory this process's processes may use in all: the machine's, or its cgroup's limit
    when that is lower."""
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    cgroup = cgroup_limit()
    return min(total, cgroup[0]) if cgroup is not None else total
