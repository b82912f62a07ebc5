"""mmtutor.progress: the progress line of long cells, and the promise that the outputs the
test suite compares are the same whether or not progress was shown."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mmtutor.progress import Steps, describe, steps


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_describe_gives_the_time_left_from_the_finished_steps():
    # 2 steps done in 40 s -> 20 s each; steps 3..6 remain -> 80 s, printed in minutes
    assert (
        describe("c", 3, 6, "gated", 40.0)
        == "c: gated (run 3 of 6), 40 s elapsed, about 1 min left"
    )
    # 1 step done in 10 s; steps 2 and 3 remain -> 20 s
    assert describe("c", 2, 3, "x", 10.0) == "c: x (run 2 of 3), 10 s elapsed, about 20 s left"
    assert describe("c", 1, 3, "x", 0.0) == "c: x (run 1 of 3), 0 s elapsed"
    with pytest.raises(ValueError, match="step must be in"):
        describe("c", 4, 3, "x", 1.0)


def test_steps_rejects_a_bad_total():
    with pytest.raises(ValueError, match="total must be a positive integer, got 0"):
        Steps(0, "c")


def test_nested_steps_count_on_the_outer_one(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    with steps(4, "outer") as outer:
        for method in ("a", "b"):
            with steps(2, "inner") as inner:
                assert inner.parent is outer
                for seed in (0, 1):
                    inner.next(f"{method}, seed {seed}")
    assert outer.done == 4
    written = sys.stderr.getvalue()
    assert "outer: b, seed 1 (run 4 of 4)" in written
    assert "inner:" not in written  # one line for all the runs
    assert written.endswith("\r\x1b[K")  # erased at the end


def test_the_line_is_erased_and_the_next_steps_is_top_level_after_an_error(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    with pytest.raises(RuntimeError), steps(3, "c") as bar:
        bar.next("a")
        raise RuntimeError("training failed")
    assert sys.stderr.getvalue().endswith("\r\x1b[K")
    with steps(1, "again") as bar:
        assert bar.parent is None


def test_nothing_is_written_without_a_terminal_or_when_turned_off(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with steps(2, "c") as bar:
        bar.next("a")
    assert sys.stderr.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.setenv("MMTUTOR_PROGRESS", "0")
    with steps(2, "c") as bar:
        bar.next("a")
    assert sys.stderr.getvalue() == ""


CELLS = [
    "from mmtutor.progress import steps",
    "with steps(3, 'demo') as bar:\n"
    "    for i in range(3):\n"
    "        bar.next(f'item {i}')\n"
    "        print('run', i)\n"
    "print('done')",
]


class _Recorder(NotebookClient):
    """nbclient, keeping the display updates it applies (what JupyterLab would show)."""

    updates: list

    def process_message(self, msg, cell, cell_index):
        if msg["msg_type"] == "update_display_data":
            self.updates.append(msg["content"]["data"].get("text/plain", ""))
        return super().process_message(msg, cell, cell_index)


def _execute(progress: str, path: Path) -> list[str]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    old = os.environ.get("MMTUTOR_PROGRESS")
    os.environ["MMTUTOR_PROGRESS"] = progress  # the kernel inherits it
    try:
        client = _Recorder(nb, timeout=120, kernel_name="python3")
        client.updates = []
        client.execute()
    finally:
        os.environ.pop("MMTUTOR_PROGRESS") if old is None else os.environ.update(
            MMTUTOR_PROGRESS=old
        )
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return client.updates


def _compared(path: Path) -> list[dict]:
    """The outputs as nbval compares them: streams merged by name, data without images."""
    outputs = nbformat.read(path, as_version=4).cells[1].outputs
    text = {}
    data = []
    for out in outputs:
        if out.output_type == "stream":
            text[out.name] = text.get(out.name, "") + out.text
        else:
            data.append(
                {k: v for k, v in out.get("data", {}).items() if not k.startswith("image/")}
            )
    return [text, [d for d in data if d]]


def test_compared_outputs_are_the_same_with_and_without_progress(tmp_path):
    shown = _execute("1", tmp_path / "shown.ipynb")
    hidden = _execute("0", tmp_path / "hidden.ipynb")
    # progress was shown while the cell ran, and not at all when turned off
    assert any("demo: item 2 (run 3 of 3)" in text for text in shown)
    assert shown[-1] == ""  # ... and emptied at the end
    assert hidden == []
    assert _compared(tmp_path / "shown.ipynb") == _compared(tmp_path / "hidden.ipynb")
    assert _compared(tmp_path / "shown.ipynb")[0] == {"stdout": "run 0\nrun 1\nrun 2\ndone\n"}
    # nbval itself (which keeps a display as first published) passes on the stored run with
    # progress; the one without has the same compared outputs (above)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "--nbval", "--nbval-current-env", "shown.ipynb"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:]
    assert "2 passed" in run.stdout
