"""The lessons as an nbgrader course: generate, hand in, autograde.

In a temporary course written by `scripts/lessons.py course`, one lesson goes the whole
way: `nbgrader generate_assignment` must produce what `bash run.sh learner` hands out;
three learners hand it in (the worked solutions, a wrong answer everywhere, the stubs
left as they were), and `nbgrader autograde` must give full marks to the first only.
About 20 s: nbgrader runs the lesson once per learner.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import lessons as lesson_tools  # noqa: E402

BIN = Path(sys.executable).parent
if not (BIN / "nbgrader").exists():
    pytest.fail(
        'nbgrader is missing: pip install -e ".[instructor]" (bash run.sh test does it)',
        pytrace=False,
    )
WRONG = "return 0.123456789  # wrong on purpose"


def graded_lesson() -> Path:
    """Lesson 02 (dual numbers: three exercises), or else the first lesson with two."""
    candidates = lesson_tools.lessons()
    for path in candidates:
        if path.name.startswith("02-"):
            return path
    for path in candidates:
        notebook = nbformat.read(path, as_version=4)
        if sum(k == "solution" for k, _ in lesson_tools.exercise_cells(notebook, "")) >= 2:
            return path
    pytest.fail("no lesson with exercises to grade")


def nbgrader(course: Path, *args: str) -> None:
    # nbgrader runs the `alembic` program to create its gradebook: it must be on PATH.
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("ADLEARN_GRADING", None)  # nbgrader_config.py must set it, nothing else
    result = subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stderr[-3000:]}"


def exercises(notebook: nbformat.NotebookNode) -> list:
    return [c for c in notebook.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Generate the assignment, hand in three submissions, autograde them all."""
    course = tmp_path_factory.mktemp("course")
    lesson = graded_lesson()
    lesson_tools.course(course)
    name = lesson.stem
    nbgrader(course, "generate_assignment", name, "--create")
    released = course / "release" / name / lesson.name
    handout = nbformat.read(released, as_version=4)

    worked = [
        c.source
        for c in nbformat.read(lesson, as_version=4).cells
        if "solution" in c.metadata.get("tags", [])
    ]
    answers = {
        "worked": worked,
        "wrong": [lesson_tools.strip_solution(s, WRONG) for s in worked],
        "not-done": None,  # the stubs, as handed out
    }
    for student, sources in answers.items():
        submission = nbformat.read(released, as_version=4)
        if sources is not None:
            cells = exercises(submission)
            assert len(cells) == len(sources)
            for cell, source in zip(cells, sources):
                cell.source = source
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True)
        nbformat.write(submission, folder / lesson.name)
    nbgrader(course, "autograde", name, "--create")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {
            student: (
                gradebook.find_submission(name, student).score,
                gradebook.find_submission(name, student).max_score,
            )
            for student in answers
        }
    yield {"course": course, "lesson": lesson, "handout": handout, "scores": scores}
    shutil.rmtree(course, ignore_errors=True)


def test_generate_assignment_hands_out_the_learner_edition(graded, tmp_path):
    lesson = graded["lesson"]
    learner = nbformat.read(
        next(p for p in lesson_tools.learner_edition(tmp_path) if p.name == lesson.name),
        as_version=4,
    )
    handout = graded["handout"]
    assert len(handout.cells) == len(learner.cells)
    for index, (ours, theirs) in enumerate(zip(learner.cells, handout.cells)):
        assert ours.source == theirs.source, f"cell {index} differs"
        assert ours.metadata.get("tags") == theirs.metadata.get("tags"), f"cell {index} tags"
        assert ours.get("outputs") == theirs.get("outputs"), f"cell {index} outputs"
    assert lesson_tools.STUB in "\n".join(c.source for c in handout.cells)
    assert lesson_tools.BEGIN not in "\n".join(c.source for c in handout.cells)


def test_the_worked_solutions_get_full_marks(graded):
    score, maximum = graded["scores"]["worked"]
    assert maximum >= 2, "too few graded checks in the lesson"
    assert score == maximum


@pytest.mark.parametrize("student", ["wrong", "not-done"])
def test_wrong_or_missing_answers_get_no_marks(graded, student):
    # A check whose exercise is not done raises only under ADLEARN_GRADING=1, which the
    # course's nbgrader_config.py sets: if the kernel missed it, "not-done" would score.
    score, maximum = graded["scores"][student]
    assert score == 0, f"{student}: {score} of {maximum}"
