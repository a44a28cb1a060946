"""Stopping a large export (Ctrl-C, SIGTERM): it ends promptly, removes its scratch files and
leaves the previous package as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def many_lessons(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 lessons of 500 Q/A cards with Go code: enough for worker processes."""
    folder = tmp_path_factory.mktemp("many")
    for number in range(1, 13):
        cards = "".join(
            f"Q: What does worker {number}-{n} return? {{#w{n}}}\n"
            f"A: Its error:\n\n```go\nfunc worker{n}(in <-chan int) error {{\n"
            f"    for v := range in {{\n        if v%{n + 2} == 0 {{\n"
            f"            return fmt.Errorf(\"bad %d\", v)\n        }}\n    }}\n"
            f"    return nil\n}}\n```\n\n"
            for n in range(500))
        (folder / f"{number:02d}. Lesson {number}.md").write_text(
            f"---\ntitle: Lesson {number}\ncanonical_id: many-{number}\n---\n"
            f"# Lesson {number}\n\n## Cards\n\n{cards}", encoding="utf-8")
    return folder


@pytest.mark.parametrize(("signum", "delay"), [
    (signal.SIGINT, 0.0), (signal.SIGINT, 0.3), (signal.SIGINT, 0.8), (signal.SIGTERM, 0.3),
    (signal.SIGHUP, 0.0), (signal.SIGHUP, 0.3),
])
def test_a_stopped_export_ends_and_leaves_nothing_behind(
        many_lessons: Path, tmp_path: Path, signum: int, delay: float) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "deck.apkg"
    out.write_bytes(b"the previous package")
    env = {**os.environ, "PYTHONPATH": str(REPO), "SRS_CACHE_DIR": str(tmp_path / "cache")}
    child = subprocess.Popen([sys.executable, "-m", "srs", "export", str(many_lessons),
                              "-o", str(out), "--timestamp", "1750000000"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not any(p.suffix == ".anki2" for p in out_dir.iterdir()):  # rendering started
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(delay)
        # As a terminal sends Ctrl-C or a hangup: to the whole process group, workers too.
        os.killpg(child.pid, signum)
        child.wait(timeout=30)  # a pool waiting on a half-sent result would hang here
    finally:
        child.kill()
        child.wait()
        assert child.stderr is not None
        errors = child.stderr.read().decode()
        child.stderr.close()
    assert "Traceback" not in errors
    if child.returncode == 0:  # finished before the signal arrived: a whole new package
        assert out.read_bytes().startswith(b"PK")
    else:
        assert out.read_bytes() == b"the previous package"
    assert sorted(p.name for p in out_dir.iterdir()) in (
        ["deck.apkg"], ["deck.apkg", "deck.apkg.srs-mod.json"])


@pytest.mark.parametrize(("failure", "message"), [
    ("raise", "rendering failed in a worker process: RuntimeError: boom"),
    ("exit", "a rendering process ended unexpectedly"),
])
def test_a_failing_worker_is_an_error_and_leaves_no_process_or_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str, message: str) -> None:
    import srs.export
    from srs.corpus import load_corpus
    from srs.errors import ExportError

    lessons = load_corpus([REPO / "lessons"]).lessons
    render = srs.export._lesson_notes

    def broken(lesson: object, *args: Any) -> Any:
        if lesson is lessons[-1]:  # in a worker (forked after this was patched in)
            if failure == "raise":
                raise RuntimeError("boom")
            os._exit(3)
        return render(lesson, *args)

    monkeypatch.setattr(srs.export, "_lesson_notes", broken)
    out = tmp_path / "deck.apkg"
    with pytest.raises(ExportError, match=message):
        srs.export.export_lessons(lessons, out, timestamp=1750000000, workers=2, cache=False)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every worker was reaped


def test_a_failure_writing_the_collection_stops_the_workers_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    import srs.export
    from srs.corpus import load_corpus
    from srs.errors import ExportError

    def failing(notes: Iterator[object], *args: Any) -> Any:
        next(notes)  # the workers are rendering
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(srs.export, "_write_collection", failing)
    with pytest.raises(ExportError, match="disk is full") as raised:
        srs.export.export_lessons(load_corpus([REPO / "lessons"]).lessons, tmp_path / "d.apkg",
                                  timestamp=1750000000, workers=2, cache=False)
    # Reaped before the error (which still holds the export's frames) is let go.
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
    assert raised.value.__cause__ is not None


def test_a_full_disk_is_an_error_naming_the_package_and_leaves_the_old_one(
        tmp_path: Path) -> None:
    """The scratch collection cannot grow past a file size limit, as on a full disk."""
    out = tmp_path / "deck.apkg"
    out.write_bytes(b"the previous package")
    limited = ("import resource, signal, sys\n"
               "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
               "resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))\n"
               "from srs.cli import main\nmain()\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "SRS_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", limited, "export", str(REPO / "lessons"),
                           "-o", str(out), "--timestamp", "1750000000"],
                          env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"srs: {out}: cannot write the package: " in done.stderr
    assert out.read_bytes() == b"the previous package"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["deck.apkg"]
