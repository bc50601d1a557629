"""`policykg serve` refuses what it cannot serve before any server process starts."""
from __future__ import annotations

import socket
import subprocess
import sys


def _serve(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policykg.cli", "serve", "--host", "127.0.0.1", *args],
                          capture_output=True, text=True, timeout=timeout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_bad_data_file_is_refused_with_its_line(tmp_path):
    bad = tmp_path / "bad.nq"
    bad.write_text("<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b .\n", encoding="utf-8")
    result = _serve("--data", str(bad), "--port", str(_free_port()))
    assert result.returncode == 2
    assert str(bad) in result.stderr and "line 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_data_file_is_refused(tmp_path):
    result = _serve("--data", str(tmp_path / "nothing.trig"), "--port", str(_free_port()))
    assert result.returncode == 2
    assert "nothing.trig: no such file" in result.stderr


def test_a_port_in_use_is_refused(built_dataset):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve("--data", str(built_dataset), "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
