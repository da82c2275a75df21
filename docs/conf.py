"""Sphinx configuration of skrnn's documentation site.

Build offline with ``python -m sphinx -W -b html docs docs/_build/html``.
``SKRNN_QUICK=1`` runs the gallery's examples with their quick settings;
``SKRNN_DOCS_INTERSPHINX=1`` links names of numpy, scipy and scikit-learn to
their own documentation (this needs the network).
"""

import os
import sys
import warnings
from pathlib import Path

import skrnn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))  # examples import their neighbours

project = "skrnn"
author = "The skrnn developers"
copyright = "2026, the skrnn developers"
version = release = skrnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
if os.environ.get("SKRNN_DOCS_INTERSPHINX"):
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "joblib": ("https://joblib.readthedocs.io/en/stable", None),
    }

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_heading_anchors = 3
templates_path = ["_templates"]
exclude_patterns = ["_build"]
default_role = "literal"

autosummary_generate = True
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "pydata_sphinx_theme"
html_title = f"skrnn {version}"
html_static_path = ["_static"]
html_css_files = ["skrnn.css"]  # the gallery's output wraps
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # shown, not run: the cluster example starts a cluster of its own, and the
    # grapheme-to-phoneme example trains for half an hour
    "filename_pattern": r"^((?!distributed_search|g2p).)*$",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "doc_module": ("skrnn",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
}

# the examples train small models; they never converge in their quick settings
warnings.filterwarnings("ignore", message=".*Maximum iterations.*")
