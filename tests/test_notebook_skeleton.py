"""Every notebook follows the series skeleton (DESIGN.md) and is stored executed in order.

nbval (run by the same pytest command) re-executes the notebooks and compares outputs;
this file checks the structure a reader and a lecturer rely on.
"""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
SECTIONS = ["Overview", "Setup", "Summary", "Exercises", "References"]


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell):
    return "".join(cell["source"])


def _prose(cell):
    """A markdown cell's text without its fenced code blocks (a ``# comment`` there is no heading)."""
    return re.sub(r"(?ms)^```.*?^```", "", _text(cell))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_title_and_sections(path):
    cells = _cells(path)
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), "name is NN_snake_case_title.ipynb"
    first = _text(cells[0])
    assert first.startswith(f"# {path.name[:2]} · "), "first cell is the H1 'NN · Title'"
    h1 = [c for c in cells if c["cell_type"] == "markdown" and re.search(r"(?m)^# ", _prose(c))]
    assert len(h1) == 1, "exactly one H1"
    headings = [
        m.group(1).strip()
        for c in cells
        if c["cell_type"] == "markdown"
        for m in re.finditer(r"(?m)^## (.+)$", _prose(c))
    ]
    positions = [headings.index(s) if s in headings else -1 for s in SECTIONS]
    assert -1 not in positions, (
        f"missing sections: {[s for s, p in zip(SECTIONS, positions, strict=False) if p < 0]}"
    )
    assert positions == sorted(positions), f"sections out of order: {headings}"
    overview = next(_text(c) for c in cells if _text(c).startswith("## Overview"))
    for needle in ("objectives", "Prerequisites", "run time"):
        assert needle.lower() in overview.lower(), f"Overview mentions {needle}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_executed_in_order_and_solutions(path):
    cells = _cells(path)
    code = [c for c in cells if c["cell_type"] == "code" and _text(c).strip()]
    assert any("mmtutor.setup(seed=" in _text(c) for c in code), (
        "Setup calls mmtutor.setup(seed=...)"
    )
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        "stored executed top to bottom in a fresh kernel"
    )
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    start = next(i for i, c in enumerate(cells) if _text(c).startswith("## Exercises"))
    solutions = [
        c
        for c in cells[start:]
        if c["cell_type"] == "code" and "solution" in c["metadata"].get("tags", [])
    ]
    assert solutions, "Exercises have solution cells tagged 'solution'"
    assert all(c["metadata"].get("jupyter", {}).get("source_hidden") for c in solutions), (
        "solutions start hidden"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_reference_is_listed_once(path):
    cell = next(_text(c) for c in _cells(path) if _text(c).startswith("## References"))
    items = [line.strip() for line in cell.splitlines() if line.strip().startswith("- ")]
    assert items, "the References section lists its sources"
    repeated = sorted({item[:60] for item in items if items.count(item) > 1})
    assert not repeated, f"listed more than once: {repeated}"
