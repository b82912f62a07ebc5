"""tools/build_site.py: the static site built offline from the committed notebooks (landing
page, a page per notebook with its stored outputs, solutions collapsed, links resolved,
MathJax and reveal.js served locally, a deck per notebook)."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402

NOTEBOOKS = build_site.notebooks()
ASSET = re.compile(r'<(?:script|link|img|source|audio|iframe)\b[^>]*?\b(?:src|href)="([^"]+)"')
HREF = re.compile(r'<a\b[^>]*?\bhref="([^"#]+)(?:#[^"]*)?"')


def _digest(paths) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    pytest.importorskip("sphinx_revealjs")
    before = _digest([*NOTEBOOKS, ROOT / "README.md"])
    html = build_site.build(tmp_path_factory.mktemp("site"))
    assert _digest([*NOTEBOOKS, ROOT / "README.md"]) == before  # nothing committed is written
    return html


def _pages(html: Path) -> list[Path]:
    return sorted(html.glob("*.html")) + sorted((html / "notebooks").glob("*.html"))


def test_landing_page_lists_every_notebook_in_a_hidden_table_of_contents():
    text = build_site.landing_page("# Title\n\nBody.\n", ["00_a", "01_b"])
    assert text.startswith("# Title\n\nBody.\n\n```{toctree}\n:hidden:\n")
    assert text.rstrip().endswith("notebooks/00_a\nnotebooks/01_b\n```")


def test_links_to_files_that_are_not_pages_become_their_names():
    readme = (
        "[05](notebooks/05_early_fusion.ipynb), [pins](constraints.txt), "
        "[web](https://example.org/a.txt), [here](#quick-start), [b](benchmarks/avmnist.py)"
    )
    text = build_site.landing_page(readme, [])
    assert text.startswith(
        "[05](notebooks/05_early_fusion.ipynb), pins (`constraints.txt`), "
        "[web](https://example.org/a.txt), [here](#quick-start), b (`benchmarks/avmnist.py`)"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# 99 · T\n[06](06_late_fusion.ipynb#setup) [r](../README.md)"
        )
    ]
    cell = build_site.site_notebook(nb, "deck.html").cells[0]
    assert cell.source.endswith("[06](06_late_fusion.ipynb#setup) r (`../README.md`)")


def test_site_copy_collapses_solutions_links_the_deck_and_drops_empty_displays():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 99 · T"), nbformat.v4.new_code_cell("x")]
    nb.cells[1].metadata["tags"] = ["solution"]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("display_data", data={}),
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
    ]
    out = build_site.site_notebook(nb, "../slides/99_t.slides.html")
    assert nb.cells[1].metadata["tags"] == ["solution"] and len(nb.cells) == 2  # a copy
    assert 'href="../slides/99_t.slides.html"' in out.cells[1].source
    solution = out.cells[2]
    assert "hide-cell" in solution.metadata["tags"]
    assert [o.output_type for o in solution.outputs] == ["stream"]


def test_every_notebook_has_a_page_and_the_readme_is_the_landing_page(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "mmtutor" in index and "Quick start" in index
    for path in NOTEBOOKS:
        page = site / "notebooks" / f"{path.stem}.html"
        assert page.is_file(), page
        assert f'href="notebooks/{path.stem}.html"' in index  # the toctree and the README's table


def test_links_and_assets_resolve_locally_with_no_cdn(site):
    pages = _pages(site) + sorted((site / "slides").glob("*.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for url in ASSET.findall(text):
            assert not url.startswith(("http:", "https:", "//")), (page.name, url)
            if not url.startswith(("data:", "#")):
                assert (page.parent / url.split("?")[0]).resolve().is_file(), (page.name, url)
        for url in HREF.findall(text):
            if not url.startswith(("http:", "https:", "mailto:", "data:")):
                assert (page.parent / url).resolve().exists(), (page.name, url)


def test_each_page_shows_the_stored_outputs_and_collapses_the_solutions(site):
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        text = (site / "notebooks" / f"{path.stem}.html").read_text(encoding="utf-8")
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        images = sum("image/png" in o.get("data", {}) for o in outputs)
        audio = sum("<audio" in "".join(o.get("data", {}).get("text/html", "")) for o in outputs)
        solutions = sum("solution" in c.metadata.get("tags", []) for c in nb.cells)
        assert text.count("<img") >= images, path.name
        assert text.count("<audio") == audio, path.name
        assert text.count(build_site.SOLUTION_LABEL) == solutions, path.name
        closed = re.findall(r"<details(?![^>]*\bopen\b)[^>]*>", text)
        assert len(closed) >= solutions, path.name
        deck = site / "slides" / f"{path.stem}.slides.html"
        assert f'href="../slides/{deck.name}"' in text and deck.is_file()


def test_maths_is_left_to_the_local_mathjax(site):
    text = (site / "notebooks" / "07_intermediate_fusion.html").read_text(encoding="utf-8")
    assert r"\(\odot\)" in text  # dollarmath: $\odot$ became MathJax's inline maths
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', text)
    assert scripts == ["../_static/mathjax/tex-chtml.js"]
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
