"""Tools for the lessons in notebooks/.

    python scripts/lessons.py execute [NOTEBOOK ...]   run lessons top to bottom, store outputs
    python scripts/lessons.py learner [--out DIR]      the learner edition (exercises to solve)
    python scripts/lessons.py static [--out DIR]       a static HTML edition with an index page

`execute` runs each lesson in a fresh kernel, in a clean home directory, with a fixed
hash seed, and stores the outputs that nbval later compares.

The learner edition replaces the worked solutions with stubs. A solution is written in
a code cell tagged ``solution``, between two marker lines::

    def derivative_of_square(x):
        ### BEGIN SOLUTION
        return 2 * x
        ### END SOLUTION

and becomes ``raise NotImplementedError(...)`` at the same indentation. The outputs of
cells tagged ``solution`` or ``check`` are cleared, so the checks say "not done yet"
until the learner writes their own code.

The static edition converts the stored outputs to HTML without running anything;
widgets are shown as the picture of their saved state, and MathJax is copied beside
the pages (from the jupyter-server-mathjax package) so that maths renders offline.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
# The lessons folder; ADLEARN_NOTEBOOKS points the tools at another one (your own course).
NOTEBOOKS = Path(os.environ.get("ADLEARN_NOTEBOOKS", ROOT / "notebooks")).resolve()
LESSON = re.compile(r"^(\d\d)-[a-z0-9-]+\.ipynb$")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("Exercise: replace this line with your solution.")'
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def lessons() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if LESSON.match(p.name))


def title(notebook: nbformat.NotebookNode) -> str:
    first = notebook.cells[0].source.splitlines()[0]
    return first.lstrip("#").strip()


def isolated_environment() -> None:
    """Kernels started from here get a clean HOME and a fixed hash seed."""
    os.environ["HOME"] = tempfile.mkdtemp(prefix="adlearn-kernel-home-")
    os.environ["PYTHONHASHSEED"] = "0"
    os.environ.setdefault("MPLCONFIGDIR", str(ROOT / ".venv" / "matplotlib"))
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")


def execute(paths: list[Path], timeout: int = 300) -> None:
    from nbconvert.preprocessors import ExecutePreprocessor

    isolated_environment()
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
            cell.metadata.pop("execution", None)
        processor = ExecutePreprocessor(timeout=timeout, kernel_name="python3", record_timing=False)
        processor.preprocess(notebook, {"metadata": {"path": str(path.parent)}})
        nbformat.write(notebook, path)
        print(f"executed {path.name}")


def strip_solution(source: str, stub: str = STUB) -> str:
    """Replace every marked solution block by a stub at the same indentation."""
    lines, out, inside = source.splitlines(), [], False
    for line in lines:
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + stub)
        elif stripped == END:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("a solution block has no END marker")
    return "\n".join(out)


def learner_edition(out: Path, stub: str = STUB) -> list[Path]:
    """Write every lesson with its solutions replaced by `stub` (tests try other stubs)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in lessons():
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            tags = set(cell.metadata.get("tags", []))
            if cell.cell_type != "code" or not tags & {"solution", "check"}:
                continue
            if "solution" in tags:
                if BEGIN not in cell.source:
                    raise ValueError(f"{path.name}: a solution cell has no {BEGIN} marker")
                cell.source = strip_solution(cell.source, stub)
                cell.metadata["tags"] = sorted(tags - {"solution"} | {"exercise"})
            cell.outputs = []
            cell.execution_count = None
        notebook.metadata.pop("widgets", None)
        target = out / path.name
        nbformat.write(notebook, target)
        written.append(target)
    (out / "README.md").write_text(
        "# adlearn lessons: learner edition\n\n"
        "The exercises in these notebooks are left for you to solve. Each one raises\n"
        "`NotImplementedError` until you replace that line with your code; the check\n"
        "cell after it then tells you whether your answer is right, or gives a hint.\n"
    )
    return written


def static_edition(out: Path) -> list[Path]:
    from nbconvert import HTMLExporter

    out.mkdir(parents=True, exist_ok=True)
    paths = lessons()
    titles = [title(nbformat.read(p, as_version=4)) for p in paths]
    exporter = HTMLExporter(template_name="lab")
    local_mathjax = copy_mathjax(out)
    if local_mathjax:  # maths renders offline too
        exporter.mathjax_url = f"{local_mathjax}?config=TeX-AMS-MML_HTMLorMML-full"
    written = []
    for i, path in enumerate(paths):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if WIDGET_VIEW in data and set(data) & {"image/png", "image/svg+xml"}:
                    del data[WIDGET_VIEW]  # show the picture of the saved state instead
        notebook.metadata.pop("widgets", None)
        body, _ = exporter.from_notebook_node(notebook)
        links = ['<a href="index.html">all lessons</a>']
        if i > 0:
            links.insert(
                0,
                f'<a rel="prev" href="{paths[i - 1].stem}.html">← {html.escape(titles[i - 1])}</a>',
            )
        if i + 1 < len(paths):
            links.append(
                f'<a rel="next" href="{paths[i + 1].stem}.html">{html.escape(titles[i + 1])} →</a>'
            )
        bar = (
            '<nav class="adlearn-nav" style="padding:8px 16px;font:14px sans-serif">'
            + " · ".join(links)
            + "</nav>"
        )
        body = re.sub(r"(<body[^>]*>)", r"\1" + bar.replace("\\", "\\\\"), body, count=1)
        body = body.replace("</body>", bar + "</body>", 1)
        target = out / f"{path.stem}.html"
        target.write_text(body)
        written.append(target)
    items = "\n".join(
        f'<li><a href="{p.stem}.html">{html.escape(t)}</a></li>' for p, t in zip(paths, titles)
    )
    (out / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>adlearn lessons</title></head>"
        "<body style='font:16px sans-serif;max-width:720px;margin:40px auto'>"
        "<h1>adlearn: automatic differentiation from scratch</h1>"
        f"<ol start='0'>{items}</ol></body></html>\n"
    )
    return written


def copy_mathjax(out: Path) -> str | None:
    """Copy MathJax (from the jupyter-server-mathjax package) beside the pages.

    Returns the relative URL of MathJax.js, or None when the package is missing, in
    which case the pages load MathJax from its public CDN when they are opened.
    """
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(source, out / "mathjax", dirs_exist_ok=True)
    return "mathjax/MathJax.js"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("execute", help="run lessons and store their outputs")
    run.add_argument("notebooks", nargs="*", type=Path)
    learner = commands.add_parser("learner", help="write the learner edition")
    learner.add_argument("--out", type=Path, default=ROOT / "build" / "learner")
    static = commands.add_parser("static", help="write the static HTML edition")
    static.add_argument("--out", type=Path, default=ROOT / "build" / "static")
    args = parser.parse_args()
    if args.command == "execute":
        execute([p.resolve() for p in args.notebooks] or lessons())
    elif args.command == "learner":
        for path in learner_edition(args.out):
            print(f"wrote {path}")
    else:
        for path in static_edition(args.out):
            print(f"wrote {path}")
        print(f"open {args.out / 'index.html'}")


if __name__ == "__main__":
    sys.exit(main())
