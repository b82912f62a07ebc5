"""Slide decks for lecturers: set each cell's slide metadata, then export a reveal.js deck.

    python tools/slides.py                               # every notebook -> build/slides/
    python tools/slides.py notebooks/07_intermediate_fusion.ipynb --out /tmp/decks

The metadata is computed, never set by hand, and only on copies (the committed notebooks
are left as they are): a slide per ``##`` section (and for the title cell), a sub-slide per
``###`` heading and wherever a section runs longer than one screen, exercise solutions
(cells tagged ``solution``) left out. The deck works offline: reveal.js comes from the
``sphinx-revealjs`` package and MathJax from ``sphinx-mathjax-offline`` (both in the
``docs`` extra), copied next to the decks; nothing is loaded from a CDN.
tools/build_site.py calls :func:`export_decks` for the site, which links every deck.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import logging
import math
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = ROOT / "docs" / "nbconvert"
TEMPLATE = "mmtutor_reveal"
#: Rough screen height of a (sub-)slide, in lines of text at the deck's font size.
SCREEN_LINES = 22
IMAGE_LINES = 12
OUTPUT_LINES_SHOWN = 12  # a long text output counts as this many (the slide scrolls)
LINE_WIDTH = 90
#: A Markdown link to another notebook of the series (a deck links the other deck).
NOTEBOOK_LINK = re.compile(r"\]\((\d\d_\w+)\.ipynb(?:#[^)]*)?\)")


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def _lines(text: str) -> int:
    return sum(max(1, math.ceil(len(line) / LINE_WIDTH)) for line in text.splitlines())


def cell_height(cell) -> int:
    """About how many lines of a slide the cell fills (source plus outputs)."""
    height = _lines(_source(cell))
    for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
        data = out.get("data", {})
        if any(key.startswith("image/") for key in data):
            height += IMAGE_LINES
        elif "text/html" in data and "<audio" in "".join(data["text/html"]):
            height += 2
        else:
            text = out.get("text") or "".join(data.get("text/plain", ""))
            height += min(_lines(text), OUTPUT_LINES_SHOWN)
    return height


def slide_types(nb) -> list[str]:
    """The reveal.js slide type of every cell: ``slide``, ``subslide``, ``-`` or ``skip``."""
    types, used = [], 0
    for index, cell in enumerate(nb.cells):
        source = _source(cell).lstrip()
        tags = cell.metadata.get("tags", [])
        height = cell_height(cell)
        if cell.cell_type == "code" and "solution" in tags:
            types.append("skip")
            continue
        if index == 0 or (cell.cell_type == "markdown" and source.startswith(("# ", "## "))):
            kind, used = "slide", height
        elif cell.cell_type == "markdown" and source.startswith("### "):
            kind, used = "subslide", height
        elif used and used + height > SCREEN_LINES:
            kind, used = "subslide", height
        else:
            kind, used = "-", used + height
        types.append(kind)
    return types


def drop_empty_displays(nb) -> None:
    """Remove outputs without data (a finished progress line, see mmtutor.progress)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                out for out in cell.outputs if out.output_type != "display_data" or out.data
            ]


def with_slide_metadata(nb):
    """A copy of ``nb`` whose cells carry ``metadata.slideshow.slide_type`` from
    :func:`slide_types` (applying it again changes nothing), empty displays removed."""
    nb = copy.deepcopy(nb)
    drop_empty_displays(nb)
    for cell, kind in zip(nb.cells, slide_types(nb), strict=True):
        cell.metadata["slideshow"] = {"slide_type": kind}
    return nb


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{name} is not installed: pip install -e '.[docs]' (see the README)")
    return Path(spec.origin).parent


def copy_assets(static: Path) -> None:
    """Put reveal.js and MathJax (from installed packages) under ``static``."""
    reveal = _package_dir("sphinx_revealjs") / "_static" / "revealjs"
    shutil.copytree(reveal, static / "revealjs", dirs_exist_ok=True)
    if not (static / "mathjax").exists():
        mathjax = _package_dir("sphinx-mathjax-offline") / "static" / "mathjax"
        shutil.copytree(mathjax, static / "mathjax")


def export_deck(nb, out: Path, static_url: str) -> None:
    """Write ``nb`` (a notebook node, its slide metadata set here) as a reveal.js deck."""
    from nbconvert import SlidesExporter

    exporter = SlidesExporter(
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        template_name=TEMPLATE,
        reveal_url_prefix=f"{static_url}/revealjs",
        mathjax_url=f"{static_url}/mathjax/tex-chtml.js",
        reveal_scroll=True,
        reveal_number="c/t",
        reveal_width="1100",
        reveal_height="760",
    )
    exporter.log.setLevel(logging.ERROR)  # not "alternative text is missing" per figure
    nb = with_slide_metadata(nb)
    for cell in nb.cells:  # a deck links the other decks
        if cell.cell_type == "markdown":
            cell.source = NOTEBOOK_LINK.sub(r"](\1.slides.html)", _source(cell))
    body, _ = exporter.from_notebook_node(nb)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")


def deck_name(notebook: Path) -> str:
    return f"{notebook.stem}.slides.html"


def export_decks(notebooks: list[Path], out_dir: Path, static_url: str) -> list[Path]:
    """Export every notebook to ``out_dir/<name>.slides.html``; returns the decks' paths."""
    decks = []
    for path in notebooks:
        deck = out_dir / deck_name(path)
        export_deck(nbformat.read(path, as_version=4), deck, static_url)
        decks.append(deck)
    return decks


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "slides")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    copy_assets(args.out / "_static")
    for deck in export_decks(notebooks, args.out, "_static"):
        print(deck)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
