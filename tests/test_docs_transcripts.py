"""Every terminal transcript in the documentation runs, and prints what it shows.

A transcript is a fenced block whose lines start with ``$ `` (a command) followed by what it prints. Each
``policykg`` command runs with this installation's ``policykg`` in a scratch folder that holds the built dataset
as ``build/policykg.trig``; each ``curl`` command runs against the real service (``live_server_process``, whose
limits are the test session's: a time limit of 2 s where the docs show the default 10 s). What a transcript
shows must be there:

* text: each line shown is found, in order, among the lines printed — runs of digits stand for any number
  (counts and timings vary) and ``…`` for any text (the docs shorten long lines);
* JSON: every ``"key": value`` the docs show (values without ``…``) is in the answer, wherever it nests (in
  strings, too, a run of digits stands for any number);
* a command shown failing (``… error: …``) exits with status 2, any other with 0.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
PAIR = re.compile(r'"(\w+)": ("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')
# Builds, HermiT and a server process: make test runs these, the fast loop does not.
pytestmark = pytest.mark.slow


def _transcripts():
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for index, match in enumerate(FENCE.finditer(text)):
            block = match.group(1)
            if not block.lstrip().startswith("$ "):
                continue
            for number, (command, shown) in enumerate(_split(block)):
                marks = [pytest.mark.java] if "check-ontology" in command else []
                yield pytest.param(command, shown, id=f"{path.relative_to(ROOT)}#{index}.{number}", marks=marks)


def _split(block: str) -> list[tuple[str, list[str]]]:
    """(command, the lines it prints) for each ``$`` command; a command continues over lines until its
    quotes close, as in a shell."""
    out: list[tuple[str, list[str]]] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        command = lines[i][2:]
        while not _complete(command) and i + 1 < len(lines):
            i += 1
            command += "\n" + lines[i]
        i += 1
        shown = []
        while i < len(lines) and not lines[i].startswith("$ "):
            if lines[i].strip():
                shown.append(lines[i])
            i += 1
        out.append((command, shown))
    return out


def _complete(command: str) -> bool:
    try:
        shlex.split(command, comments=True)
        return True
    except ValueError:
        return False


TRANSCRIPTS = list(_transcripts())


def test_the_docs_hold_transcripts_of_both_kinds():
    commands = [p.values[0] for p in TRANSCRIPTS]
    assert sum(c.startswith("policykg ") for c in commands) >= 6 and sum(c.startswith("curl ") for c in commands) >= 6


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, built_dataset) -> Path:
    folder = tmp_path_factory.mktemp("transcripts")
    (folder / "build").mkdir()
    shutil.copy(built_dataset, folder / "build" / "policykg.trig")
    (folder / "empty.txt").write_bytes(b"")
    return folder


def _word(word: str) -> str:
    return re.sub(r"\d+", r"\\d+", re.escape(word))      # any number (re.escape leaves digits alone)


def _pattern(line: str) -> re.Pattern:
    return re.compile(".*".join(r"\s+".join(_word(w) for w in piece.split()) for piece in line.strip().split("…")))


def _scalars(value):
    """Every (key, value) of every object nested in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item)


@pytest.mark.parametrize("command, shown", TRANSCRIPTS)
def test_transcript_runs_and_prints_what_it_shows(request, workdir, command, shown):
    if command.startswith("curl "):
        server = request.getfixturevalue("live_server_process")
        address = server.url.removeprefix("http://")
        command = command.replace("http://127.0.0.1:8000", server.url).replace("localhost:8000", address)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
    printed = done.stdout + done.stderr
    failing = any(": error:" in line for line in shown)
    assert done.returncode == (2 if failing else 0), printed[-2000:]
    if shown and shown[0].lstrip().startswith("{"):
        found = list(_scalars(json.loads(done.stdout)))
        for key, value in PAIR.findall("\n".join(shown)):
            if "…" in value or "..." in value:
                continue
            value = json.loads(value)
            assert any(k == key and (_pattern(value).fullmatch(v) if isinstance(value, str) and isinstance(v, str)
                                     else v == value) for k, v in found), (key, value, [v for k, v in found if k == key])
        return
    lines = printed.splitlines()
    at = 0
    for line in shown:
        pattern = _pattern(line)
        while at < len(lines) and not pattern.search(lines[at]):
            at += 1
        assert at < len(lines), f"not printed (in order): {line!r}\n--- printed:\n{printed[-3000:]}"
        at += 1
