"""Sphinx configuration of the mmtutor site, built by ``python tools/build_site.py``.

The sources are not here: the build stages the README (as the landing page) and copies of
the committed notebooks in build/site/src/, and points Sphinx at this folder for its
configuration. Nothing is executed (myst-nb renders the stored outputs) and nothing is
fetched: the theme is a Python package, MathJax comes from sphinx-mathjax-offline.
"""

project = "mmtutor"
author = "the mmtutor authors"
copyright = "the mmtutor authors, MIT licence"
html_title = "mmtutor: deep multimodal learning with TensorFlow and Keras 3"

extensions = [
    "myst_nb",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static/mathjax: pages work offline
]

# Render the stored outputs as they are: never re-execute a notebook.
nb_execution_mode = "off"
# TensorFlow's C++ log lines may reach a stored notebook's stderr; they are not content.
nb_output_stderr = "remove"

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = []
html_static_path = ["_static"]
html_css_files = ["mmtutor.css"]
html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": True,
    "use_fullscreen_button": False,
}
html_show_sourcelink = False
html_copy_source = False
