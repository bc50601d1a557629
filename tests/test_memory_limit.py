"""The container's memory limit, read once for the build's check and the evaluation budget."""
from __future__ import annotations

import os
from pathlib import Path

from policykg import memory
from policykg.memory import cgroup_limit


def _fake_sys(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="ascii")
    return root


def test_cgroup_v2_limit_and_use(tmp_path):
    root = _fake_sys(tmp_path, {"/sys/fs/cgroup/memory.max": "2147483648",
                                "/sys/fs/cgroup/memory.current": "104857600"})
    assert cgroup_limit(root) == (2 << 30, 100 << 20)


def test_cgroup_v2_without_a_limit(tmp_path):
    root = _fake_sys(tmp_path, {"/sys/fs/cgroup/memory.max": "max", "/sys/fs/cgroup/memory.current": "1"})
    assert cgroup_limit(root) is None


def test_cgroup_v1_limit_and_its_no_limit_value(tmp_path):
    v1 = {"/sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912",
          "/sys/fs/cgroup/memory/memory.usage_in_bytes": "1048576"}
    assert cgroup_limit(_fake_sys(tmp_path / "a", v1)) == (512 << 20, 1 << 20)
    # v1 says "no limit" with the largest page-aligned 64-bit number
    v1["/sys/fs/cgroup/memory/memory.limit_in_bytes"] = "9223372036854771712"
    assert cgroup_limit(_fake_sys(tmp_path / "b", v1)) is None


def test_the_use_is_optional_and_no_cgroup_is_no_limit(tmp_path):
    assert cgroup_limit(_fake_sys(tmp_path / "a", {"/sys/fs/cgroup/memory.max": "1073741824"})) == (1 << 30, None)
    assert cgroup_limit(tmp_path / "nothing") is None


def test_the_total_is_the_machine_or_the_lower_cgroup_limit(monkeypatch):
    machine = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    monkeypatch.setattr(memory, "cgroup_limit", lambda: None)
    assert memory.total_bytes() == machine
    monkeypatch.setattr(memory, "cgroup_limit", lambda: (machine // 8, None))
    assert memory.total_bytes() == machine // 8
    monkeypatch.setattr(memory, "cgroup_limit", lambda: (machine * 2, None))
    assert memory.total_bytes() == machine
