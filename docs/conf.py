"""Sphinx configuration of fastnn's site (``python -m sphinx -W -b html docs docs/_build/html``).

Every page with code is executed when the site is built (myst-nb): the lecture's notebooks
are jupytext percent scripts in ``docs/lecture/``, the how-to guides MyST markdown notebooks
in ``docs/howto/``. Their figures are produced by that run, never pasted.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))
# The notebooks run in kernels started by myst-nb and inherit this environment. Their
# figures come from matplotlib's inline backend (which needs no screen): MPLBACKEND=Agg
# would stop a returned Figure from being shown.
os.environ.pop("MPLBACKEND", None)
# Plotly figures as HTML with Plotly's script embedded once per page: the built site opens
# without a network.
os.environ["PLOTLY_RENDERER"] = "notebook"

import fastnn  # noqa: E402

project = "fastnn"
author = "the fastnn developers"
copyright = "2026, the fastnn developers"
release = fastnn.__version__
version = release

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax served from the site itself: the pages' formulas render without a network.
    "sphinx-mathjax-offline",
]

root_doc = "index"
exclude_patterns = [
    "_build",
    "conf.py",
    "ARCHITECTURE.md",
    "images/README.md",
    "**.ipynb_checkpoints",
    "jupyter_execute",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# The lecture's notebooks are plain-text percent scripts (diffs stay readable); jupytext
# turns them into notebooks for myst-nb, which executes them.
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
nb_execution_mode = "cache" if os.environ.get("FASTNN_DOCS_CACHE") else "force"
nb_execution_timeout = 600
# Each page runs in a fresh temporary folder: files its examples write stay out of docs/.
nb_execution_in_temp = True
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# ARCHITECTURE.md and bench/RESULTS.md are included as written for GitHub: their links to
# source files are not pages of the site.
suppress_warnings = ["myst.xref_missing"]

autosummary_generate = True
autodoc_typehints = "none"
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
templates_path = ["_templates"]

html_theme = "pydata_sphinx_theme"
html_title = f"fastnn {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "navbar_align": "left",
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": []}
