"""Build the static site and the slide decks from the committed notebooks, offline.

    python tools/build_site.py            # -> build/site/html/index.html
    python tools/build_site.py --out DIR  # elsewhere

Needs the ``docs`` extra (``pip install -c constraints.txt -e ".[docs]"``). The README is
the landing page; every notebook becomes a page with its stored outputs (figures, tables,
audio players, exercise solutions collapsed), nothing is re-executed, and links between
notebooks point at their pages. Each page links its reveal.js deck (tools/slides.py),
written to ``slides/``. Sphinx runs with warnings as errors. The sources are staged as
copies in ``<out>/src``; the committed files are never written.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import slides  # noqa: E402  (tools/slides.py, beside this file)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SOLUTION_LABEL = "Show the solution"


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


#: A Markdown link to a relative path (not a web address, not an anchor on the same page).
RELATIVE_LINK = re.compile(r"\[([^\]]+)\]\((?![a-z]+:|#)([^)\s]+)\)")


def unlink_files(markdown: str, pages: re.Pattern) -> str:
    """Links to repository files that are not pages of the site (``constraints.txt``,
    ``benchmarks/...``) become the file's name in code, so the site has no broken link."""

    def replace(match: re.Match) -> str:
        text, target = match.groups()
        return match.group(0) if pages.fullmatch(target) else f"{text} (`{target}`)"

    return RELATIVE_LINK.sub(replace, markdown)


def landing_page(readme: str, pages: list[str]) -> str:
    """The README, followed by the (hidden) table of contents Sphinx needs."""
    readme = unlink_files(readme, re.compile(r"notebooks/\d\d_\w+\.ipynb(#\S*)?"))
    toc = "\n".join(f"notebooks/{page}" for page in pages)
    return f"{readme.rstrip()}\n\n```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{toc}\n```\n"


def site_notebook(nb, deck_url: str):
    """A copy of ``nb`` as the site shows it: solutions collapsed, a link to its deck under
    the title, and empty displays (finished progress lines) left out."""
    nb = copy.deepcopy(nb)
    slides.drop_empty_displays(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = unlink_files(cell.source, re.compile(r"\d\d_\w+\.ipynb(#\S*)?"))
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
            cell.metadata["tags"] = [*cell.metadata["tags"], "hide-cell"]
            cell.metadata["mystnb"] = {
                "code_prompt_show": SOLUTION_LABEL,
                "code_prompt_hide": "Hide the solution",
            }
    link = nbformat.v4.new_markdown_cell(
        f'<a class="mmtutor-slides" href="{deck_url}">Slides for this notebook (reveal.js)</a>'
    )
    nb.cells.insert(1, link)
    return nb


def stage(src: Path) -> list[Path]:
    """Write the landing page and the notebook copies under ``src``; returns the copies."""
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    paths = notebooks()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (src / "index.md").write_text(landing_page(readme, [p.stem for p in paths]), encoding="utf-8")
    staged = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        deck = f"../slides/{slides.deck_name(path)}"
        out = src / "notebooks" / path.name
        nbformat.write(site_notebook(nb, deck), out)
        staged.append(out)
    return staged


def build(out: Path) -> Path:
    from sphinx.cmd.build import build_main

    src, html = out / "src", out / "html"
    staged = stage(src)
    args = ["-b", "html", "-W", "--keep-going", "-q", "-c", str(DOCS), "-d", str(out / "doctrees")]
    code = build_main([*args, str(src), str(html)])
    if code:
        raise SystemExit(f"sphinx-build failed (exit {code}); its warnings are above")
    slides.copy_assets(html / "_static")
    originals = {p.name: p for p in notebooks()}
    slides.export_decks([originals[p.name] for p in staged], html / "slides", "../_static")
    return html


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    html = build(args.out)
    decks = len(list((html / "slides").glob("*.slides.html")))
    print(f"site: {html / 'index.html'} ({decks} slide decks), {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
