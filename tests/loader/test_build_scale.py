"""`policykg build` on big or broken input (issue 15, item 9): an undecodable byte named by its byte
offset, line and column; a text over the size limit refused with its size and the limit; no hidden
temporary file left by a build that failed, was stopped (SIGTERM) or was killed (SIGKILL, cleaned
up by the next build); the output written one subject at a time instead of from a copy of the
whole dataset. Speed itself is measured by bench/build.py, not here."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from bench.policy_text import policy_text, write_policy_text
from policykg.files import remove_stale_temporaries
from policykg.loader.dataset import BUNDLED_SOURCE, build, write_graphs
from policykg.loader.text import SourceError, decode

RUN_CLI = "import sys; from policykg.cli import main; sys.exit(main())"


def _cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUN_CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}, **kwargs)


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


# --- where a source cannot be decoded --------------------------------------------------------------

def _decode_error(data: bytes) -> str:
    with pytest.raises(SourceError) as caught:
        decode(data, "policy.txt")
    return str(caught.value)


def test_invalid_utf8_is_named_by_byte_offset_line_and_column():
    lines = ["关于社区党建的意见", "一、总体要求", "1. 坚持党的领导，"]
    head = "\n".join(lines).encode("utf-8")
    # 0xFF never occurs in UTF-8, nor as a GB18030 lead byte
    data = b"\xef\xbb\xbf" + head + b"\xff" + "加强建设。\n".encode("utf-8")
    offset = 3 + len(head)
    message = _decode_error(data)
    assert f"UTF-8 (invalid byte 0xFF at byte offset {offset}, line 3, column {len(lines[2]) + 1})" in message
    assert data[offset] == 0xFF


def test_the_utf8_position_counts_the_byte_order_mark():
    # "utf-8-sig" counts its error offsets from after the BOM: three bytes short
    message = _decode_error(b"\xef\xbb\xbfab\xffcd")
    assert "invalid byte 0xFF at byte offset 5, line 1, column 3" in message


def test_gb18030_position_is_named_too():
    data = "第一条　党建".encode("gb18030") + b"\n\x81\x20"   # 0x81 must be followed by 0x30-0xFE
    message = _decode_error(data)
    gb_offset = len("第一条　党建".encode("gb18030")) + 1
    assert f"GB18030 (invalid byte 0x81 at byte offset {gb_offset}, line 2, column 1)" in message


# --- a size limit instead of a MemoryError ---------------------------------------------------------

def test_a_text_over_the_size_limit_is_refused_with_its_size_and_the_limit(tmp_path):
    source = write_policy_text(tmp_path / "big.txt", 1_200_000)
    out = tmp_path / "out" / "kg.nq"
    child = _cli("build", "--source", str(source), "--out", str(out), env={"POLICYKG_MAX_SOURCE_MB": "1"})
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 2
    assert f"{source}: the file is 1.2 MB ({source.stat().st_size} bytes), over the limit of 1 MB" in stderr
    assert "max_source_mb" in stderr and "Traceback" not in stderr
    assert not out.exists()


# --- temporary files ---------------------------------------------------------------------------------

def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)
    return child.pid


def test_stale_temporaries_of_gone_writers_are_removed_and_live_ones_kept(tmp_path):
    out = tmp_path / "kg.nq"
    dead = tmp_path / f".kg.nq.{_dead_pid()}.abc123.tmp"
    live = tmp_path / f".kg.nq.{os.getpid()}.def456.tmp"   # another writer still at work
    other = tmp_path / f".other.nq.{_dead_pid()}.x.tmp"    # not a temporary of this target
    for path in (dead, live, other):
        path.write_bytes(b"half")
    assert remove_stale_temporaries(out) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def _wait_for_temporary(child: subprocess.Popen, folder: Path, deadline: float) -> list[str]:
    """Poll (bounded) until the build has started writing its temporary output."""
    while time.monotonic() < deadline and child.poll() is None:
        found = [name for name in _temporaries(folder) if (folder / name).stat().st_size > 0]
        if found:
            return found
        time.sleep(0.02)
    return []


@pytest.fixture(scope="module")
def big_source(tmp_path_factory) -> Path:
    """A text whose output takes the build a second or more to write (so that a signal lands in it)."""
    return write_policy_text(tmp_path_factory.mktemp("big") / "big-policy.txt", 1_000_000)


@pytest.mark.slow
def test_a_build_killed_mid_write_leaves_a_temporary_that_the_next_build_removes(tmp_path, big_source):
    out = tmp_path / "kg.nq"
    child = _cli("build", "--source", str(big_source), "--out", str(out))
    try:
        found = _wait_for_temporary(child, tmp_path, time.monotonic() + 240)
        assert found, "the build never started writing its output"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.communicate(timeout=60)
    assert _temporaries(tmp_path) == found and not out.exists()   # SIGKILL: nothing could clean up
    after = _cli("build", "--source", str(BUNDLED_SOURCE), "--out", str(out))
    _, stderr = after.communicate(timeout=300)
    assert after.returncode == 0, stderr
    assert _temporaries(tmp_path) == [] and out.exists()


@pytest.mark.slow
def test_a_build_stopped_by_sigterm_mid_write_removes_its_temporary(tmp_path, big_source):
    out = tmp_path / "kg.nq"
    out.write_text("previous")
    child = _cli("build", "--source", str(big_source), "--out", str(out))
    try:
        found = _wait_for_temporary(child, tmp_path, time.monotonic() + 240)
        assert found, "the build never started writing its output"
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 128 + signal.SIGTERM and "Traceback" not in stderr
    assert _temporaries(tmp_path) == []
    assert out.read_text() == "previous"


# --- memory follows the output --------------------------------------------------------------------

@pytest.mark.slow
def test_writing_holds_no_copy_of_the_whole_dataset(tmp_path):
    """The Python memory a lean build and its write peak at stays within a few times the output's
    size: graphs as plain sets, no rdflib Dataset copy, no sorted list of every quad, no output bytes
    in memory. (Before: about 30 times the output.)"""
    source = tmp_path / "policy.txt"
    source.write_text(policy_text(300_000), encoding="utf-8")
    out = tmp_path / "kg.trig"
    tracemalloc.start()
    try:
        result = build([source], lean=True)
        write_graphs(result.graphs, result.base, out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.stat().st_size > 2_000_000
    assert peak < 12 * out.stat().st_size, f"peak {peak / 1e6:.0f} MB for {out.stat().st_size / 1e6:.1f} MB of output"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS as Linux applies it")
def test_a_build_that_would_run_out_of_memory_is_refused_with_the_numbers(tmp_path):
    """A 6 MB text under a 260 MB address-space limit (the bundled policy's build fits in it): refused
    before it starts, saying what it needs and what is left, instead of a MemoryError traceback."""
    import resource

    source = write_policy_text(tmp_path / "six.txt", 6_000_000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (260 << 20, 260 << 20))

    child = _cli("build", "--source", str(source), "--out", str(out_dir / "kg.nq"),
                 env={"POLICYKG_MAX_SOURCE_MB": "50"}, preexec_fn=limit)
    _, stderr = child.communicate(timeout=300)
    assert child.returncode == 2, stderr[-2000:]
    assert "building 6.0 MB of policy text needs about" in stderr and "address-space limit" in stderr
    assert "Traceback" not in stderr and "MemoryError" not in stderr
    assert list(out_dir.iterdir()) == []
