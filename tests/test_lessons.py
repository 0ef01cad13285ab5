"""Every lesson follows the skeleton, and its editions build.

Skeleton: a title; "What you will learn"; a link to the previous lesson; sections;
"Exercises" with worked solutions (cells tagged `solution`) and checks (tagged
`check`); "Summary"; a link to the next lesson. Outputs are stored and executed in
order. The learner edition runs top to bottom with the checks saying "not done yet".
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import lessons as lesson_tools  # noqa: E402

LESSONS = lesson_tools.lessons()
WIDGET = "application/vnd.jupyter.widget-view+json"


def load(path):
    return nbformat.read(path, as_version=4)


def text(notebook):
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def outputs(notebook):
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_follows_the_skeleton(path):
    notebook = load(path)
    prose = text(notebook)
    assert notebook.cells[0].cell_type == "markdown"
    assert re.match(r"^# \S", notebook.cells[0].source)
    for heading in ("## What you will learn", "## Exercises", "## Summary"):
        assert heading in prose, f"{path.name} has no '{heading}' section"
    assert (
        prose.index("## What you will learn")
        < prose.index("## Exercises")
        < prose.index("## Summary")
    )
    position = LESSONS.index(path)
    if position > 0:
        assert f"]({LESSONS[position - 1].name})" in prose, "no link to the previous lesson"
    if position + 1 < len(LESSONS):
        assert f"]({LESSONS[position + 1].name})" in notebook.cells[-1].source, (
            "the last cell should link to the next lesson"
        )


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_has_checked_exercises_plots_and_widgets(path):
    notebook = load(path)
    tags = [set(c.metadata.get("tags", [])) for c in notebook.cells]
    solutions = [i for i, t in enumerate(tags) if "solution" in t]
    checks = [i for i, t in enumerate(tags) if "check" in t]
    assert solutions and checks, "exercises need a solution cell and a check cell"
    for i in solutions:
        assert lesson_tools.BEGIN in notebook.cells[i].source
        assert any(j > i for j in checks), "every solution is followed by a check"
    kinds = {k for o in outputs(notebook) for k in o.get("data", {})}
    assert "image/png" in kinds, "at least one plot"
    assert WIDGET in kinds, "at least one widget"
    for i in checks:
        shown = json.dumps(notebook.cells[i].outputs)
        assert "Right" in shown, f"the worked solution should pass its check (cell {i})"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_outputs_are_stored_in_order(path):
    notebook = load(path)
    code = [c for c in notebook.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert None not in counts, "every code cell must be run before committing"
    assert counts == list(range(1, len(counts) + 1)), "restart and run all before committing"
    dumped = json.dumps(outputs(notebook))
    assert not re.search(r"0x[0-9a-f]{6,}", dumped), "a memory address is stored"
    assert "Warning" not in "".join(
        o.get("text", "") for o in outputs(notebook) if o.get("name") == "stderr"
    )


def test_learner_edition_strips_solutions_and_runs(tmp_path):
    written = lesson_tools.learner_edition(tmp_path)
    assert [p.name for p in written] == [p.name for p in LESSONS]
    for path in written:
        notebook = load(path)
        sources = "\n".join(c.source for c in notebook.cells)
        assert lesson_tools.BEGIN not in sources and "NotImplementedError" in sources
        assert not any("solution" in c.metadata.get("tags", []) for c in notebook.cells)
    # Every learner notebook runs top to bottom; the checks report unsolved exercises.
    tool = ROOT / "scripts" / "lessons.py"
    subprocess.run([sys.executable, str(tool), "execute", *map(str, written)], check=True)
    for path in written:
        notebook = load(path)
        checks = [c for c in notebook.cells if "check" in c.metadata.get("tags", [])]
        assert checks
        for cell in checks:
            assert "Not done yet" in json.dumps(cell.outputs), (path.name, cell.source)


def test_every_check_rejects_a_wrong_answer_with_a_hint(tmp_path):
    # The same lessons with every solution replaced by a deliberately wrong answer:
    # a check that still says "Right" could never fail, and would teach nothing.
    # A wrong answer makes the check raise CheckFailed, shown as its message alone.
    from nbclient import NotebookClient

    written = lesson_tools.learner_edition(tmp_path, stub="return 0.123456789  # wrong on purpose")
    seen = 0
    for path in written:
        notebook = load(path)
        NotebookClient(notebook, timeout=300, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        for index, cell in enumerate(notebook.cells):
            if "check" not in cell.metadata.get("tags", []):
                continue
            seen += 1
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            shown = json.dumps(cell.outputs, ensure_ascii=False)
            assert "Right" not in shown, (path.name, index, shown[:300])
            if errors and errors[0]["ename"] == "CheckFailed":
                message = "".join(errors[0]["traceback"])
                assert "✗" in message and 'hint("' in message, (path.name, index, message[:300])
                assert "Traceback" not in message, "the learner sees the message, not a traceback"
    assert seen >= 4 * len(written), f"only {seen} checks in {len(written)} lessons"


def test_static_edition_has_an_index_and_links(tmp_path):
    written = lesson_tools.static_edition(tmp_path)
    index = (tmp_path / "index.html").read_text()
    for path in LESSONS:
        assert f'href="{path.stem}.html"' in index
    for page in written:
        html = page.read_text()
        assert 'href="index.html"' in html
        assert WIDGET not in html or "<img" in html
