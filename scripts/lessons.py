"""Tools for the lessons in notebooks/.

    python scripts/lessons.py execute [NOTEBOOK ...]   run lessons top to bottom, store outputs
    python scripts/lessons.py learner [--out DIR]      the learner edition (exercises to solve)
    python scripts/lessons.py static [--out DIR]       the static edition: a website
    python scripts/lessons.py course [--out DIR]       an nbgrader course of the lessons

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
until the learner writes their own code; so are those of cells tagged
``uses-solutions``, which show what the worked solutions compute.

The course is the same lessons with nbgrader's metadata: solution cells become answer
cells, check cells graded tests, and `nbgrader generate_assignment` then writes what
the learner edition holds (tests/test_nbgrader.py compares them).

The static edition is built by Sphinx with MyST-NB and sphinx-book-theme (settings in
site/conf.py) from the stored outputs, running nothing; widgets are shown as the
picture of their saved state, and MathJax 3 is copied into the site so that every
formula renders offline.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parent.parent
# The lessons folder; ADLEARN_NOTEBOOKS points the tools at another one (your own course).
NOTEBOOKS = Path(os.environ.get("ADLEARN_NOTEBOOKS", ROOT / "notebooks")).resolve()
LESSON = re.compile(r"^(\d\d)-[a-z0-9-]+\.ipynb$")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("Exercise: replace this line with your solution.")'
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SITE = ROOT / "site"  # the static edition's Sphinx settings and home page


def lessons() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if LESSON.match(p.name))


def title(notebook: nbformat.NotebookNode) -> str:
    first = notebook.cells[0].source.splitlines()[0]
    return first.lstrip("#").strip()


@contextlib.contextmanager
def isolated_environment() -> Iterator[None]:
    """Kernels started inside get a clean HOME (removed afterwards) and a fixed hash seed."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="adlearn-kernel-home-") as home:
        os.environ["HOME"] = home
        os.environ["PYTHONHASHSEED"] = "0"
        os.environ.setdefault("MPLCONFIGDIR", str(ROOT / ".venv" / "matplotlib"))
        # adlearn importable from the checkout; no empty entry (it would mean the cwd).
        entries = [str(ROOT), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
        os.environ["PYTHONPATH"] = os.pathsep.join(e for e in entries if e)
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def execute(paths: list[Path], timeout: int = 300) -> None:
    from nbconvert.preprocessors import ExecutePreprocessor

    with isolated_environment():
        for path in paths:
            notebook = nbformat.read(path, as_version=4)
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    cell.outputs = []
                    cell.execution_count = None
                cell.metadata.pop("execution", None)
            processor = ExecutePreprocessor(
                timeout=timeout, kernel_name="python3", record_timing=False
            )
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


def exercise_cells(notebook: nbformat.NotebookNode, where: str) -> Iterator[tuple[str, Any]]:
    """Yield ("solution" or "check", cell) for the exercise cells of a lesson."""
    for cell in notebook.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type != "code" or not tags & {"solution", "check"}:
            continue
        if "solution" in tags:
            if BEGIN not in cell.source:
                raise ValueError(f"{where}: a solution cell has no {BEGIN} marker")
            yield "solution", cell
        else:
            yield "check", cell


def hand_out(notebook: nbformat.NotebookNode, where: str, stub: str | None) -> None:
    """Prepare a lesson for learners, in place: what both editions for them share.

    Exercise and check cells lose their outputs (no answer shows), solution cells are
    tagged `exercise` instead, and the saved widget state goes. With a `stub`, each
    solution block is replaced by it; without, the solutions stay (for nbgrader).
    """
    for kind, cell in exercise_cells(notebook, where):
        if kind == "solution":
            if stub is not None:
                cell.source = strip_solution(cell.source, stub)
            tags = set(cell.metadata["tags"])
            cell.metadata["tags"] = sorted(tags - {"solution"} | {"exercise"})
        cell.outputs = []
        cell.execution_count = None
    for cell in notebook.cells:  # a cell tagged uses-solutions shows what the key computed
        if "uses-solutions" in cell.metadata.get("tags", []):
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("widgets", None)


def learner_edition(out: Path, stub: str = STUB) -> list[Path]:
    """Write every lesson with its solutions replaced by `stub` (tests try other stubs)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in lessons():
        notebook = nbformat.read(path, as_version=4)
        hand_out(notebook, path.name, stub)
        target = out / path.name
        nbformat.write(notebook, target)
        written.append(target)
    (out / "README.md").write_text(
        "# adlearn lessons: learner edition\n\n"
        "The exercises in these notebooks are left for you to solve. Each one raises\n"
        "`NotImplementedError` until you replace that line with your code; the check\n"
        "cell after it then tells you whether your answer is right, or gives a hint.\n\n"
        f"{CREDIT}\n"
    )
    copy_licences(out)
    return written


CREDIT = (
    "These lessons are *adlearn: automatic differentiation from scratch* by the adlearn\n"
    "authors, under CC BY 4.0 (LICENSE-lessons.md); their code cells are under the MIT\n"
    "licence (LICENSE)."
)


def copy_licences(folder: Path) -> None:
    """CC BY asks that the licence travel with every copy: put both files beside it."""
    for name in ("LICENSE", "LICENSE-lessons.md"):
        shutil.copyfile(ROOT / name, folder / name)


def repository_url() -> str:
    """The repository that "launch on Binder" opens: ADLEARN_REPOSITORY_URL, else the
    checkout's GitHub remote, else "" (then the pages offer no Binder button)."""
    url = os.environ.get("ADLEARN_REPOSITORY_URL", "")
    if not url:
        try:
            url = subprocess.run(
                ["git", "-C", str(ROOT), "remote", "get-url", "origin"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
        except OSError:  # no git
            url = ""
        url = re.sub(r"^git@github\.com:", "https://github.com/", url)
        if not url.startswith("https://github.com/"):
            url = ""
    return url.removesuffix(".git").rstrip("/")


REPOSITORY_LINK = re.compile(r"\[([^\]]+)\]\(\.\./([^)\s]+)\)")


def relink(markdown: str, repository: str, branch: str) -> str:
    """Links out of notebooks/ (../README.md) point into the repository, or go."""
    target = rf"[\1]({repository}/blob/{branch}/\2)" if repository else r"\1"
    return REPOSITORY_LINK.sub(target, markdown)


def for_the_web(notebook: nbformat.NotebookNode, repository: str, branch: str) -> None:
    """Adapt a lesson for the static edition, in place (the stored outputs stay)."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and set(data) & {"image/png", "image/svg+xml"}:
                del data[WIDGET_VIEW]  # show the picture of the saved state instead
        tags = cell.metadata.get("tags", [])
        if "solution" in tags or cell.metadata.get("jupyter", {}).get("source_hidden"):
            # Worked solutions and long helper code: folded, shown on a click.
            cell.metadata["tags"] = [*tags, "hide-input"]
        if cell.cell_type == "markdown":
            cell.source = relink(cell.source, repository, branch)
    notebook.metadata.pop("widgets", None)  # no widget scripts: nothing to fetch


def static_edition(out: Path, repository: str | None = None, strict: bool = False) -> list[Path]:
    """Build the static HTML edition with Sphinx (settings in site/conf.py) into `out`.

    Nothing is executed: the pages show the stored outputs. Markdown pages beside the
    lessons (a glossary) become pages too. `strict` turns Sphinx's warnings (a link to
    a missing lesson, say) into a failure. Returns the lesson pages.
    """
    repository = repository_url() if repository is None else repository
    branch = os.environ.get("ADLEARN_REPOSITORY_BRANCH", "main")
    if (out / ".buildinfo").exists():  # an earlier build: start afresh, no stale pages
        shutil.rmtree(out)
    with tempfile.TemporaryDirectory(prefix="adlearn-site-") as scratch:
        source = Path(scratch) / "source"
        source.mkdir()
        shutil.copy2(SITE / "index.md", source)
        for path in lessons():
            notebook = nbformat.read(path, as_version=4)
            for_the_web(notebook, repository, branch)
            nbformat.write(notebook, source / path.name)
        for page in NOTEBOOKS.glob("*.md"):
            text = relink(page.read_text(encoding="utf-8"), repository, branch)
            (source / page.name).write_text(text, encoding="utf-8")
        command = [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-c", str(SITE)]
        if strict:
            command += ["-W", "--keep-going"]
        command += ["-d", str(Path(scratch) / "doctrees"), str(source), str(out)]
        environment = dict(
            os.environ, ADLEARN_REPOSITORY_URL=repository, ADLEARN_REPOSITORY_BRANCH=branch
        )
        subprocess.run(command, check=True, env=environment)
    return [out / f"{path.stem}.html" for path in lessons()]


NBGRADER_CONFIG = '''"""nbgrader settings for the adlearn course, written by `bash run.sh course`.

Edit freely: `bash run.sh course` rewrites source/ but never this file.
"""

import os

# When nbgrader runs a submission (autograde, validate), a check whose exercise is
# still the stub fails; in class it only says "not done yet". Kernels started by
# nbgrader inherit this variable from this process.
os.environ["ADLEARN_GRADING"] = "1"

c = get_config()  # noqa: F821 - nbgrader provides get_config

# The score of every graded check is decided again in a fresh Python process, where the
# learner's cells cannot reach the check (adlearn/checks/isolated.py): the kernel's own
# run only shows the learner what happened. Importing it here also records the hashes
# of the installed check files, before any submission runs.
from adlearn.checks.autograde import autograde_preprocessors  # noqa: E402

c.Autograde.autograde_preprocessors = autograde_preprocessors()
c.CourseDirectory.course_id = "adlearn"
# The stub of the learner edition (`bash run.sh learner`), so both editions agree.
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
# Keep the stored outputs (graphs, plots) that the lesson shows before it is run: the
# exercise and check cells were exported without theirs.
c.ClearOutput.enabled = False
'''


def nbgrader_metadata(kind: str, grade_id: str, points: int) -> dict[str, Any]:
    """nbgrader's cell metadata: an answer cell ("solution") or a graded test ("check")."""
    graded = kind == "check"
    metadata: dict[str, Any] = {
        "grade": graded,
        "grade_id": grade_id,
        "locked": graded,  # a learner cannot change the test that grades them
        "schema_version": 3,
        "solution": not graded,
        "task": False,
    }
    if graded:
        metadata["points"] = points
    return metadata


def course(out: Path, points: int = 1) -> list[Path]:
    """Write an nbgrader course into `out`: source/<lesson>/<lesson>.ipynb for each
    lesson, solution cells as answer cells and check cells as graded tests worth
    `points` each, and nbgrader_config.py (kept when it exists)."""
    written = []
    for path in lessons():
        notebook = nbformat.read(path, as_version=4)
        counts = {"solution": 0, "check": 0}
        for kind, cell in exercise_cells(notebook, path.name):
            counts[kind] += 1
            grade_id = (
                f"{path.stem[:2]}-{'answer' if kind == 'solution' else 'check'}-{counts[kind]}"
            )
            cell.metadata["nbgrader"] = nbgrader_metadata(kind, grade_id, points)
        hand_out(notebook, path.name, stub=None)
        folder = out / "source" / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / path.name)
        copy_licences(folder)  # nbgrader hands out every file of the source folder
        written.append(folder / path.name)
    config = out / "nbgrader_config.py"
    if not config.exists():
        config.write_text(NBGRADER_CONFIG.format(stub=STUB))
    return written


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
    grading = commands.add_parser("course", help="write an nbgrader course")
    grading.add_argument("--out", type=Path, default=ROOT / "build" / "course")
    args = parser.parse_args()
    if args.command == "execute":
        execute([p.resolve() for p in args.notebooks] or lessons())
    elif args.command == "learner":
        for path in learner_edition(args.out):
            print(f"wrote {path}")
    elif args.command == "course":
        written = course(args.out)
        for path in written:
            print(f"wrote {path}")
        print(
            f"next, with the environment active (. .venv/bin/activate): cd {args.out} && "
            f"nbgrader generate_assignment {written[0].stem} --create"
        )
    else:
        for path in static_edition(args.out):
            print(f"wrote {path}")
        print(f"open {args.out / 'index.html'}")


if __name__ == "__main__":
    sys.exit(main())
