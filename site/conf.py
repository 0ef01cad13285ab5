"""Sphinx settings for the static edition of the lessons (built by `bash run.sh static`).

The stack is the one Jupyter Book 1 is made of: Sphinx, MyST-NB (reads the notebooks
with their stored outputs and runs nothing) and sphinx-book-theme (sidebar, search,
previous/next, a download button and a Binder button on every lesson). MathJax 3 comes
from the sphinx-mathjax-offline package and is copied beside the pages, so formulas
render with no network. scripts/lessons.py copies the lessons next to index.md first.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

project = "adlearn"
html_title = "adlearn: automatic differentiation from scratch"
html_show_copyright = False  # the footer says the licences instead (extra_footer)
html_show_sphinx = False

extensions = ["myst_nb", "sphinx.ext.mathjax"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
myst_enable_extensions = ["dollarmath", "amsmath"]  # $...$ and $$...$$ as in Jupyter
myst_heading_anchors = 3
nb_execution_mode = "off"  # the stored outputs are the edition: nothing is run
nb_ipywidgets_js = {}  # widgets are shown as pictures of their saved state, no scripts
suppress_warnings = ["myst.header"]

# MathJax 3 served from the site itself (see copy_mathjax below).
mathjax_path = "mathjax/tex-chtml.js"
MATHJAX_PARTS = ["tex-chtml.js", "input", "output/chtml", "ui", "a11y", "adaptors"]

# Where "launch on Binder" points: the repository holding notebooks/.
REPOSITORY = os.environ.get("ADLEARN_REPOSITORY_URL", "")
BRANCH = os.environ.get("ADLEARN_REPOSITORY_BRANCH", "main")

html_theme = "sphinx_book_theme"
html_static_path: list[str] = []
html_last_updated_fmt = None
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "footer_content_items": ["extra-footer"],  # no author or copyright line
    "extra_footer": (
        "<p>Code: MIT licence. Lessons: CC BY 4.0. See LICENSE and LICENSE-lessons.md. "
        + (
            f'Teaching with these lessons: <a href="{REPOSITORY}/blob/{BRANCH}/INSTRUCTORS.md">'
            "the instructor's guide</a>.</p>"
            if REPOSITORY
            else "Teaching with these lessons: INSTRUCTORS.md, the instructor's guide.</p>"
        )
    ),
}
if REPOSITORY:
    tags.add("binder")  # noqa: F821 - Sphinx provides `tags`; index.md mentions the button
    html_theme_options.update(
        repository_url=REPOSITORY,
        repository_branch=BRANCH,
        path_to_docs="notebooks",
        launch_buttons={
            "binderhub_url": "https://mybinder.org",
            "notebook_interface": "jupyterlab",
        },
    )


def copy_mathjax(app, exception):
    """Copy the parts of MathJax 3 that the pages load (not its 4 MB speech engine)."""
    if exception is not None or app.builder.format != "html":
        return
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("the static edition needs: pip install sphinx-mathjax-offline")
    source = Path(spec.origin).parent / "static" / "mathjax"
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)


def setup(app):
    app.connect("build-finished", copy_mathjax)
