"""The prose is held to the outputs: every decimal number a notebook's markdown quotes is
printed by that notebook (in a text output or its code), or the cell names its source.

A figure from a longer run is quoted with the ``benchmarks/...`` command that produces it;
a figure from the literature with its citation ("Author et al." or "Author & Author,
YEAR"). Maths (``$...$``), links, URLs, DOIs and arXiv ids are not figures. Derived
figures (differences, ratios) are printed by code like any other.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: a decimal number: digits, a point, digits (0.93, 12.5, 0.723); not part of a longer token
#: (a version like 3.11.7, an id like 1707.07250 inside a word)
DECIMAL = re.compile(r"(?<![\w.])(\d+\.\d+)(?![\w.]*\d)")
NOT_FIGURES = re.compile(
    r"\$\$.*?\$\$|\$[^$\n]*\$"  # maths
    r"|\]\([^)]*\)"  # link targets
    r"|https?://\S+|doi\S*|arXiv:?\s*\S+",
    re.S,
)
#: a cell that names where its figures come from
SOURCE = re.compile(r"benchmarks/\S+\.py|\bet al\.|\b[A-Z][a-z]+ (?:&|and) [A-Z][a-z]+,? \d{4}")


def _text(cell) -> str:
    return "".join(cell.get("source", ""))


def _shown(cells) -> str:
    """Everything the notebook prints (text outputs) and its code."""
    parts = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        parts.append(_text(cell))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            for key in ("text/plain", "text/html", "text/markdown"):
                parts.append("".join(out.get("data", {}).get(key, "")))
    return "\n".join(parts)


def unsourced_figures(path: Path) -> list[str]:
    """The decimals quoted in ``path``'s markdown that the notebook never shows, from cells
    that name no source."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    shown = set(DECIMAL.findall(_shown(cells)))
    loose = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        text = _text(cell)
        if SOURCE.search(text):
            continue
        for number in DECIMAL.findall(NOT_FIGURES.sub(" ", text)):
            if number not in shown:
                loose.append(f"cell {index}: {number}")
    return loose


def test_the_checker_finds_a_figure_the_notebook_does_not_print(tmp_path):
    def notebook(markdown, printed):
        cells = [
            {"cell_type": "markdown", "source": markdown, "metadata": {}},
            {"cell_type": "code", "source": "print(x)", "metadata": {}, "execution_count": 1,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}]},
        ]  # fmt: skip
        path = tmp_path / "nb.ipynb"
        path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
        return unsourced_figures(path)

    assert notebook("accuracy 0.931, then 0.5", "0.931 and 0.5") == []
    assert notebook("accuracy 0.932", "0.931") == ["cell 0: 0.932"]
    assert notebook("0.932 with `python benchmarks/x.py --seeds 0 1`", "") == []
    assert notebook("0.932 (Radford et al., 2021)", "") == []
    assert notebook("$0.932$ and [link](https://x.org/0.932)", "") == []
    assert notebook("`f(0.9)` is not printed", "") == ["cell 0: 0.9"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_quoted_figure_is_printed_or_sourced(path):
    loose = unsourced_figures(path)
    assert not loose, (
        f"{path.name}: figures quoted in markdown that the notebook does not print and whose "
        f"cell names no source (benchmarks/ command or citation): {loose}"
    )
