"""tools/slides.py: slide metadata computed for every notebook (never set by hand) and the
offline reveal.js deck it exports."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import slides  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _source(cell) -> str:
    return cell.source.lstrip()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_slide_per_section_subslides_when_long_and_no_solutions(path):
    nb = nbformat.read(path, as_version=4)
    types = slides.slide_types(nb)
    assert len(types) == len(nb.cells)
    assert types[0] == "slide"  # the title
    for cell, kind in zip(nb.cells, types, strict=True):
        solution = cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])
        assert (kind == "skip") == solution
        if cell.cell_type == "markdown" and _source(cell).startswith("## "):
            assert kind == "slide", _source(cell)[:60]
        if cell.cell_type == "markdown" and _source(cell).startswith("### "):
            assert kind == "subslide"
    sections = sum(c.cell_type == "markdown" and _source(c).startswith("## ") for c in nb.cells)
    assert types.count("slide") == 1 + sections
    # every (sub)slide of several cells fits the screen budget
    groups, current = [], []
    for cell, kind in zip(nb.cells, types, strict=True):
        if kind in {"slide", "subslide"} and current:
            groups.append(current)
            current = []
        if kind != "skip":
            current.append(slides.cell_height(cell))
    groups.append(current)
    for heights in groups:
        assert len(heights) == 1 or sum(heights) <= slides.SCREEN_LINES, heights


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_metadata_is_set_by_the_tool_on_copies_and_setting_it_again_changes_nothing(path):
    nb = nbformat.read(path, as_version=4)
    # the committed notebook carries no slide metadata set by hand
    assert all("slideshow" not in cell.metadata for cell in nb.cells), path.name
    once = slides.with_slide_metadata(nb)
    assert all("slideshow" not in cell.metadata for cell in nb.cells)  # input left alone
    assert slides.with_slide_metadata(once) == once
    assert [c.metadata["slideshow"]["slide_type"] for c in once.cells] == slides.slide_types(nb)


def test_a_long_section_is_cut_into_subslides_at_the_screen_budget():
    code = "\n".join(f"x{i} = {i}" for i in range(5))  # 5 lines, no output
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 99 · Title"),
        nbformat.v4.new_markdown_cell("## Section"),  # 1 line
        *[nbformat.v4.new_code_cell(code) for _ in range(6)],
        nbformat.v4.new_markdown_cell("### Detail"),
        nbformat.v4.new_code_cell(code),
    ]
    nb.cells[-1].metadata["tags"] = ["solution"]
    # 1 + 5 + 5 + 5 + 5 = 21 lines fit in 22; the fifth code cell starts a sub-slide
    assert slides.slide_types(nb) == [
        "slide", "slide", "-", "-", "-", "-", "subslide", "-", "subslide", "skip",
    ]  # fmt: skip


def test_heights_count_source_lines_images_and_capped_text_outputs():
    cell = nbformat.v4.new_code_cell("a = 1\nb = 2")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="line\n" * 40),
        nbformat.v4.new_output("display_data", data={"image/png": "", "text/plain": "<Figure>"}),
    ]
    assert slides.cell_height(cell) == 2 + slides.OUTPUT_LINES_SHOWN + slides.IMAGE_LINES
    wide = nbformat.v4.new_markdown_cell("w" * (2 * slides.LINE_WIDTH + 1))
    assert slides.cell_height(wide) == 3


def test_the_deck_has_the_sections_as_slides_no_solutions_and_no_cdn(tmp_path):
    pytest.importorskip("nbconvert")
    pytest.importorskip("sphinx_revealjs")
    path = ROOT / "notebooks" / "07_intermediate_fusion.ipynb"
    nb = nbformat.read(path, as_version=4)
    slides.copy_assets(tmp_path / "_static")
    (deck,) = slides.export_decks([path], tmp_path / "slides", "../_static")
    html = deck.read_text(encoding="utf-8")
    types = slides.slide_types(nb)
    # nbconvert nests each slide's sub-slides in the slide's <section>
    assert html.count("<section") == types.count("slide") * 2 + types.count("subslide")
    for cell, kind in zip(nb.cells, types, strict=True):
        first_line = cell.source.splitlines()[0]
        if kind == "skip":
            assert first_line not in html
    for url in re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http:", "https:", "//")), url
        assert url.startswith("data:") or (deck.parent / url).resolve().is_file(), url
    assert "reveal.js" in html and "tex-chtml.js" in html
