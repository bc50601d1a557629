"""An /update applied in its child process (policykg.store.updates), without a server: what is published, what
is left behind, and what the caller is told, for data in memory (a file) and in a store folder."""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest

from policykg.store import runtime, shared, updates
from policykg.store.backend import DataSource
from policykg.store.errors import QueryRefused

MARK = "urn:policykg:test:store-updates"
SMALL = f'INSERT DATA {{ GRAPH <{MARK}:g> {{ <{MARK}> <{MARK}> "small" }} }}'
# A cross join of every quad with itself four times (200⁴ rows): hours, far longer than any limit here.
RUNAWAY = (f"INSERT {{ <{MARK}> <{MARK}> ?n }} WHERE {{ SELECT (COUNT(*) AS ?n) WHERE {{ "
           "GRAPH ?w { ?a ?b ?c } GRAPH ?x { ?d ?e ?f } GRAPH ?y { ?g ?h ?i } GRAPH ?z { ?j ?k ?l } } }")
ASK_MARK = f"ASK {{ GRAPH ?g {{ <{MARK}> ?p ?o }} }}"
QUADS = 200


def _quads(n: int) -> str:
    return "".join(f"<urn:s:{i}> <urn:p> \"{i}\" <urn:g:{i % 3}> .\n" for i in range(n))


@pytest.fixture
def data_file(tmp_path) -> DataSource:
    path = tmp_path / "data.nq"
    path.write_text(_quads(QUADS), encoding="utf-8")
    return DataSource("file", str(path))


@pytest.fixture
def data_folder(tmp_path) -> DataSource:
    folder = tmp_path / "store"
    store = ox.Store(str(folder))
    store.load(_quads(QUADS).encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    return DataSource("folder", str(folder))


@pytest.fixture
def runtime_folder(tmp_path) -> Path:
    folder = tmp_path / "runtime"
    folder.mkdir()
    return folder


def _snapshots(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("snapshot-"))


def _published(folder: Path) -> ox.Store:
    return runtime.current(folder).open(read_only=True)


def test_an_update_of_data_in_memory_is_published_as_a_new_snapshot(data_file, runtime_folder):
    old = runtime.new_snapshot_path(runtime_folder)
    updates.apply_shared(runtime_folder, data_file, SMALL, time_limit=30)
    source = runtime.current(runtime_folder)
    assert source.kind == "file" and Path(source.path).parent == runtime_folder
    # The earlier snapshot is gone, the new one holds the old data and the update; the data file is unchanged.
    assert _snapshots(runtime_folder) == [Path(source.path).name] and not old.exists()
    store = _published(runtime_folder)
    assert store.query(ASK_MARK) and len(store) == QUADS + 1
    assert MARK not in Path(data_file.path).read_text(encoding="utf-8")


def test_an_update_of_a_store_folder_changes_the_folder_and_republishes_it(data_folder, runtime_folder):
    count = shared.length_file(Path(data_folder.path))
    count.write_text(str(QUADS), encoding="utf-8")
    updates.apply_shared(runtime_folder, data_folder, SMALL, time_limit=30)
    assert runtime.current(runtime_folder) == data_folder
    assert _snapshots(runtime_folder) == []
    assert not count.exists()       # the cached number of quads is stale now
    store = data_folder.open(read_only=True)
    assert store.query(ASK_MARK) and len(store) == QUADS + 1


def test_a_relative_iri_in_an_update_resolves_against_the_base(data_file, runtime_folder):
    base = "http://example.org/policy/"
    updates.apply_shared(runtime_folder, data_file, 'INSERT DATA { GRAPH <g> { <id/x> <p> "v" } }', 30, base)
    store = _published(runtime_folder)
    assert store.query(f"ASK {{ GRAPH <{base}g> {{ <{base}id/x> <{base}p> \"v\" }} }}")


@pytest.mark.parametrize("text, where", [
    (f"INSERT DATA {{ <{MARK}> <{MARK}> }}", "line 1, column"),
    (f"INSERT DATA {{ <{MARK}> <{MARK}> <{MARK}> }} ;\nDELETE WHERE {{ ?s ?p }}", "line 2, column"),
])
@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_bad_update_is_refused_with_its_position_and_nothing_is_published(kind, text, where, data_file,
                                                                          data_folder, runtime_folder):
    source = data_file if kind == "file" else data_folder
    with pytest.raises(QueryRefused) as refused:
        updates.apply_shared(runtime_folder, source, text, time_limit=30)
    assert refused.value.reason == "syntax"
    assert f"syntax error at {where}" in refused.value.message
    assert runtime.current(runtime_folder) is None
    assert _snapshots(runtime_folder) == []
    assert not source.open(read_only=kind == "folder").query(ASK_MARK)


def test_a_data_file_that_cannot_be_opened_is_an_internal_refusal(tmp_path, runtime_folder):
    missing = DataSource("file", str(tmp_path / "gone.nq"))
    with pytest.raises(QueryRefused) as refused:
        updates.apply_shared(runtime_folder, missing, SMALL, time_limit=30)
    assert refused.value.reason == "internal"
    assert refused.value.message.startswith("the data could not be opened for the update:")
    assert "gone.nq" in refused.value.message
    assert _snapshots(runtime_folder) == [] and runtime.current(runtime_folder) is None


def _child(monkeypatch, script: str) -> None:
    """Stand a small script in for the update process, to play a process that misbehaves."""
    monkeypatch.setattr(updates, "_CHILD", textwrap.dedent(script))


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_an_update_process_that_dies_is_an_internal_refusal_naming_its_exit_status(kind, data_file, data_folder,
                                                                                   runtime_folder, monkeypatch):
    _child(monkeypatch, """
        import json, sys
        sys.stdin.read()
        print("a library's own chatter")
        print(json.dumps({"stage": "loaded"}), flush=True)
        sys.exit(3)
    """)
    with pytest.raises(QueryRefused) as refused:
        updates.apply_shared(runtime_folder, data_file if kind == "file" else data_folder, SMALL, time_limit=30)
    assert refused.value.reason == "internal"
    assert refused.value.message == ("the update process ended unexpectedly (exit status 3); "
                                     "nothing was changed")
    assert runtime.current(runtime_folder) is None and _snapshots(runtime_folder) == []


def test_lines_that_are_not_the_processs_messages_are_ignored(data_file, runtime_folder, monkeypatch):
    _child(monkeypatch, """
        print("a library's own chatter", flush=True)
        from policykg.store.updates import child_main
        child_main()
    """)
    updates.apply_shared(runtime_folder, data_file, SMALL, time_limit=30)
    assert _published(runtime_folder).query(ASK_MARK)


def test_data_that_takes_too_long_to_open_is_a_timeout_naming_the_limit(data_file, runtime_folder, monkeypatch):
    monkeypatch.setattr(updates, "LOAD_LIMIT", 0.5)
    _child(monkeypatch, """
        import sys, time
        sys.stdin.read()
        time.sleep(600)
    """)
    with pytest.raises(QueryRefused) as refused:
        updates.apply_shared(runtime_folder, data_file, SMALL, time_limit=30)
    assert refused.value.reason == "timeout"
    assert refused.value.message == "the update process did not open or save the data within 0.5 s; nothing was changed"
    assert _snapshots(runtime_folder) == []


def test_a_process_that_lingers_after_its_work_is_stopped(data_folder, runtime_folder, monkeypatch, tmp_path):
    pid_file = tmp_path / "pid"
    _child(monkeypatch, f"""
        import json, os, sys, time
        sys.stdin.read()
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        for stage in ("loaded", "applied"):
            print(json.dumps({{"stage": stage}}), flush=True)
        time.sleep(600)
    """)
    updates.apply_shared(runtime_folder, data_folder, SMALL, time_limit=30)
    assert runtime.current(runtime_folder) == data_folder
    with pytest.raises(ProcessLookupError):     # stopped and reaped, not left running
        os.kill(int(pid_file.read_text()), 0)


def test_an_update_process_out_of_step_is_an_internal_refusal(data_file, runtime_folder, monkeypatch):
    _child(monkeypatch, """
        import json, sys
        sys.stdin.read()
        print(json.dumps({"stage": "applied"}), flush=True)
    """)
    with pytest.raises(QueryRefused) as refused:
        updates.apply_shared(runtime_folder, data_file, SMALL, time_limit=30)
    assert refused.value.reason == "internal"
    assert refused.value.message == "the update process said {'stage': 'applied'} where 'loaded' was expected"
    assert _snapshots(runtime_folder) == []


def test_an_update_process_that_never_saves_its_snapshot_changes_nothing(data_file, runtime_folder, monkeypatch):
    _child(monkeypatch, """
        import json, sys
        sys.stdin.read()
        for stage in ("loaded", "applied"):
            print(json.dumps({"stage": stage}), flush=True)
    """)
    with pytest.raises(QueryRefused) as refused:
        updates.apply_shared(runtime_folder, data_file, SMALL, time_limit=30)
    assert refused.value.reason == "internal" and "ended unexpectedly (exit status 0)" in refused.value.message
    assert runtime.current(runtime_folder) is None and _snapshots(runtime_folder) == []


# Says it applied the update, then hangs: its word reaches the server only once the process is stopped.
APPLIED_THEN_HANGS = """
    import json, sys, time
    sys.stdin.read()
    print(json.dumps({"stage": "loaded"}), flush=True)
    sys.stdout.write(json.dumps({"stage": "applied"}))   # no end of line: read only when the process ends
    sys.stdout.flush()
    time.sleep(60)
"""


def test_a_folder_committed_at_the_moment_of_the_limit_is_published(data_folder, runtime_folder, monkeypatch,
                                                                     caplog):
    # The process commits and hangs; its word reaches the server only once it is stopped at the limit. The folder
    # did change, so it is published.
    _child(monkeypatch, APPLIED_THEN_HANGS)
    updates.apply_shared(runtime_folder, data_folder, SMALL, time_limit=0.5)
    assert runtime.current(runtime_folder) == data_folder
    assert "the folder was committed just before" in caplog.text


def test_data_in_memory_said_applied_after_the_limit_is_still_refused(data_file, runtime_folder, monkeypatch):
    # In memory the commit died with the process: nothing may be published, whatever it said.
    _child(monkeypatch, APPLIED_THEN_HANGS)
    with pytest.raises(QueryRefused) as refused:
        updates.apply_shared(runtime_folder, data_file, SMALL, time_limit=0.5)
    assert refused.value.reason == "timeout"
    assert runtime.current(runtime_folder) is None and _snapshots(runtime_folder) == []


def test_apply_in_place_changes_the_store_and_refuses_bad_text_with_its_position():
    store = ox.Store()
    updates.apply_in_place(store, 'INSERT DATA { <x> <y> "z" }', base_iri="http://example.org/")
    assert store.query('ASK { <http://example.org/x> <http://example.org/y> "z" }')
    with pytest.raises(QueryRefused) as refused:
        updates.apply_in_place(store, "INSERT DATA { <x> <y> }", base_iri="http://example.org/")
    assert refused.value.reason == "syntax" and "line 1, column" in refused.value.message
    assert len(store) == 1


def test_the_child_reports_each_stage_as_one_json_line(data_file, tmp_path, monkeypatch, capsys):
    snapshot = tmp_path / "snap.nq"
    request = {"source": {"kind": "file", "path": data_file.path}, "update": SMALL, "base_iri": None,
               "snapshot": str(snapshot)}
    monkeypatch.setattr("sys.stdin", _Lines(json.dumps(request)))
    updates.child_main()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [{"stage": "loaded"}, {"stage": "applied"}, {"stage": "done"}]
    assert snapshot.exists() and not snapshot.with_suffix(".part").exists()


class _Lines:
    def __init__(self, text: str):
        self.text = text

    def read(self) -> str:
        return self.text


# The two slowest last: a run of the tests stops at the first failure (tests/mutation).
def test_a_runaway_update_in_memory_is_stopped_at_the_limit_and_leaves_nothing(data_file, runtime_folder, caplog):
    with pytest.raises(QueryRefused) as refused:
        updates.apply_shared(runtime_folder, data_file, RUNAWAY, time_limit=1.5)
    assert refused.value.reason == "timeout"
    assert refused.value.message == "the update was stopped after the time limit of 1.5 s; nothing was changed"
    assert "time limit of 1.5 s" in caplog.text and "nothing changed" in caplog.text
    assert runtime.current(runtime_folder) is None
    assert _snapshots(runtime_folder) == []


def test_a_runaway_update_on_a_store_folder_is_stopped_and_the_folder_is_unchanged(data_folder, runtime_folder):
    with pytest.raises(QueryRefused) as refused:
        updates.apply_shared(runtime_folder, data_folder, RUNAWAY, time_limit=1.5)
    assert refused.value.reason == "timeout"
    assert runtime.current(runtime_folder) is None
    store = data_folder.open(read_only=True)
    assert len(store) == QUADS and not store.query(ASK_MARK)


def test_the_update_child_s_pipe_is_closed_once_read():
    """The reader thread hands on the child's JSON lines, skips other lines, ends with None and closes the pipe
    (left to the collector, it was reported as an unclosed file)."""
    import io
    import queue

    from policykg.store.updates import _pump

    stream, messages = io.StringIO('{"loaded": true}\nnot ours\n{"applied": 2}\n'), queue.SimpleQueue()
    _pump(stream, messages)
    assert [messages.get_nowait() for _ in range(3)] == [{"loaded": True}, {"applied": 2}, None]
    assert stream.closed
