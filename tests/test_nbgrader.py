"""The lessons as an nbgrader course: generate, hand in, autograde, and try to cheat.

In a temporary course written by `scripts/lessons.py course`, lessons 02, 04 and 09 go
the whole way. `nbgrader generate_assignment` must produce what `bash run.sh learner`
hands out. Then learners hand them in: the worked solutions (full marks), a wrong
answer everywhere and the stubs left as they were (no marks), and submissions that try,
from their answer cells, every route a learner who has read ``adlearn/checks/`` found to
make a check pass without the work (issue 21). Each scores 0 on the exercise it attacks.

Each attack is written so that it passed before grading moved to a fresh process
(`adlearn.checks.isolated`), in the kernel nbgrader runs; the table of scores before and
after is in INSTRUCTORS.md. nbgrader runs each submission in a kernel and once more in a
fresh process: the whole file takes about three minutes on a busy two-core machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
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
STUB = lesson_tools.STUB

# --- the attacks: the source of one answer cell each ---------------------------------
# Answer cells are numbered from 0 in each lesson; check k (grade id "NN-check-k") is
# the k-th test cell. A change is the new source of an answer cell, "stub" (the stub),
# "wrong", "stub+" followed by code to add, or a function of the worked solution.

# Route 1: replace the shared runner's verdict through sys.modules: every check says Right.
RUNNER_PATCHED = '''
import sys
_runner = sys.modules["adlearn.checks.exercise"]
_runner.verdict = lambda result: _runner.CheckResult(True, "Right")
'''

# Route 7: switch grading off from a cell, so that a stub says "not done yet" and passes.
GRADING_OFF = '''
import os
os.environ.pop("ADLEARN_GRADING", None)
'''

# Route 5: read the check's own answer from its frame (exercise 02.7: the check knows
# each root before it calls newton).
FROM_THE_FRAME = '''
def newton(h, x, steps=30):
    import inspect
    return inspect.currentframe().f_back.f_locals["root"]
'''

# Route 3: keep a forbidden function as a default argument (exercise 04.1): the engine
# predicts, not the learner.
DEFAULT_ARGUMENT_04 = '''
def predicted_grad(_shortcut=adlearn.gradient):
    return float(_shortcut(lambda a, b: (a * b + a) * (a * b), [3.0, 2.0])[0])
'''

# Route 4: a forbidden function through a submodule (exercise 04.2).
SUBMODULE_FUNCTION = '''
def grad_p_by_hand(x1, x2):
    return tuple(adlearn.derivatives.gradient(
        lambda a, b: (a + b) * adlearn.exp(a * b), [x1, x2]))
'''

# Route 4: adlearn's own Variable, through adlearn.variable, does the sweep (exercise 04.3).
SUBMODULE_CLASS = '''
class SweepValue(NaiveValue):
    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((x, False) for x, _ in node.inputs if id(x) not in seen)
        mirror = {}
        for node in order:  # the same graph, made of adlearn's Variables
            if node.inputs:
                total = 0.0
                for x, partial in node.inputs:
                    total = total + partial * mirror[id(x)]
                mirror[id(node)] = total
            else:
                mirror[id(node)] = adlearn.variable.Variable(node.value)
        mirror[id(self)].backward()
        for node in order:
            if not node.inputs:
                node.grad += mirror[id(node)].grad
'''

# Route 6: an object that says it equals anything (exercise 04.4).
ALWAYS_EQUAL = '''
class Same:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


_calls = []


def first_wrong_partial(rules):
    _calls.append(1)
    return None if len(_calls) == 1 else (Same(), Same())
'''

# Route 8: a thread puts the forbidden function back while the check runs (exercise 04.5).
THREAD = '''
import threading
import time

_real = [adlearn.gradient]  # in a list: the switch-off renames only plain names


def _put_back():
    while True:
        adlearn.gradient = _real[0]
        time.sleep(0.0005)


threading.Thread(target=_put_back, daemon=True).start()


def weighted_gradient(x, y, z):
    time.sleep(0.01)  # let the thread run first
    return tuple(adlearn.gradient(
        lambda a, b, c: 2.0 * F(a, b, c)[0] - F(a, b, c)[1], [x, y, z]))
'''

# Variants: swap the code of the runner's _run (a stub then passes everything after it,
# exercise 04.4), and replace the comparison the checks use (a wrong answer, 04.5).
CODE_SWAPPED = '''
import sys
_runner = sys.modules["adlearn.checks.exercise"]
_runner._run.__code__ = (lambda entry, body, args, kwargs: CheckResult(True, "Right")).__code__

def first_wrong_partial(rules):
    raise NotImplementedError("Exercise: replace this line with your solution.")
'''
CLOSE_REPLACED = '''
import adlearn.checks.exercise
adlearn.checks.exercise.close = lambda *args, **kwargs: True
adlearn.checks.references.close = lambda *args, **kwargs: True

def weighted_gradient(x, y, z):
    return (1.0, 2.0, 3.0)
'''

# Route 4 on a table: adlearn's rules through adlearn.core.RULES (exercise 09.1), with
# the one partial the check wants otherwise (nan for the exponent of a negative base).
SUBMODULE_TABLE = '''
def fill_table(table):
    for name in ("add", "sub", "mul", "div", "pow", "neg", "sin", "cos", "exp", "log"):
        row = adlearn.core.RULES[name]

        def partials(*args, row=row, name=name):
            got = tuple(row.partials(*args, row.evaluate(*args)))
            return (got[0], math.nan) if name == "pow" and args[0] <= 0 else got

        table[name] = (row.evaluate, partials)
'''

# Route 4: adlearn's own topological order, through adlearn.core (exercise 09.3): the
# worked reverse_apply, and a sweep that lets adlearn order the nodes.
SWEEP_BY_ADLEARN = """
def sweep(output):
    order = adlearn.core.topological_order(output)
    for node in order:
        if node.inputs:
            node.grad = 0.0
    output.grad += 1.0
    for node in reversed(order):
        for x, partial in zip(node.inputs, node.partials):
            if isinstance(x, Reverse):
                x.grad += partial * node.grad
"""


def submodule_order(worked: str) -> str:
    return worked[: worked.index("def sweep(")] + SWEEP_BY_ADLEARN


# Route 5, a variant: call the check's own reference answer (exercise 09.4).
CHECK_HELPER = '''
def launch_angle(target):
    flight_distance(Forward(20.0, 1.0))  # the check wants the table's sin and cos used
    return adlearn.checks.lesson09._angle_by_bisection(target)
'''

# Route 2: rebind one check function on its lesson module (exercise 09.5).
CHECK_REBOUND = '''
lesson09.check_fit = lambda *args: None

def fit(steps, lr=0.4):
    raise NotImplementedError("Exercise: replace this line with your solution.")
'''

# The adversarial review's F4 (04.1): the ungated original, read from the gate's closure.
UNGATED_TWIN = '''
def _ungate(f):
    names = [n for n in f.__code__.co_names if n.startswith("_adlearn_gate_")]
    if not names:
        return f
    g = f.__globals__[names[0]]
    return dict(zip(g.__code__.co_freevars, (c.cell_contents for c in g.__closure__)))["twin"]

def predicted_grad():
    return float(_ungate(adlearn.gradient)(lambda a, b: (a * b + a) * (a * b), [3.0, 2.0])[0])
'''

# The review's F6 (04.3): object.__new__(Variable) and the original __init__ from the
# closure of the gated __init__, in route 4's sweep.
CLASS_GATE_SKIPPED = """
def _variable(value):
    V = adlearn.variable.Variable
    init = V.__init__
    cells = init.__closure__ or ()
    orig = dict(zip(init.__code__.co_freevars, (c.cell_contents for c in cells))).get(
        "original", init)
    v = object.__new__(V)
    orig(v, value)
    return v
""" + SUBMODULE_CLASS.replace("adlearn.variable.Variable(node.value)", "_variable(node.value)")

Change = str | Callable[[str], str] | None
SUBMISSIONS: dict[str, dict[str, dict[int, Change]]] = {
    "02": {
        "worked": {},
        "not-done": {k: "stub" for k in range(6)},
        "wrong": {k: "wrong" for k in range(6)},
        "runner-patched": {0: "stub+" + RUNNER_PATCHED, **{k: "stub" for k in range(1, 6)}},
        "grading-off": {0: "stub+" + GRADING_OFF, **{k: "stub" for k in range(1, 6)}},
        "frame": {5: FROM_THE_FRAME},
    },
    "04": {
        "worked": {},
        "routes": {0: DEFAULT_ARGUMENT_04, 1: SUBMODULE_FUNCTION, 2: SUBMODULE_CLASS,
                   3: ALWAYS_EQUAL, 4: THREAD},
        "tampering": {3: CODE_SWAPPED, 4: CLOSE_REPLACED},
        "closures": {0: UNGATED_TWIN, 2: CLASS_GATE_SKIPPED},
    },
    "09": {
        "worked": {},
        "routes": {2: submodule_order, 3: CHECK_HELPER, 4: CHECK_REBOUND},
        "table": {0: SUBMODULE_TABLE},
    },
}
"""lesson -> student -> the answer cells that differ from the worked solution."""

EXPECTED: dict[str, dict[str, dict[int, bool]]] = {
    "02": {
        "frame": {1: True, 2: True, 3: True, 4: True, 5: True, 6: True, 7: False},
    },
    "04": {
        "routes": {1: False, 2: False, 3: False, 4: False, 5: False},
        "tampering": {1: True, 2: True, 3: True, 4: False, 5: False},
        "closures": {1: False, 2: True, 3: False, 4: True, 5: True},
    },
    "09": {
        "routes": {1: True, 2: True, 3: False, 4: False, 5: False},
        "table": {1: False},
    },
}
"""lesson -> student -> check number -> full marks? (the others score 0 or full in total)."""


def lesson_path(number: str) -> Path:
    return next(p for p in lesson_tools.lessons() if p.name.startswith(f"{number}-"))


def nbgrader(course: Path, *args: str) -> None:
    # nbgrader runs the `alembic` program to create its gradebook: it must be on PATH.
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("ADLEARN_GRADING", None)  # nbgrader_config.py must set it, nothing else
    result = subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stderr[-3000:]}"


def answer_cells(notebook: nbformat.NotebookNode) -> list:
    return [c for c in notebook.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def submission_sources(worked: list[str], changes: dict[int, Change]) -> list[str]:
    sources = list(worked)
    for index, change in changes.items():
        if change is None:
            continue
        if callable(change):  # made from the worked solution
            sources[index] = change(worked[index])
            continue
        stubbed = lesson_tools.strip_solution(worked[index])
        if change == "stub":
            sources[index] = stubbed
        elif change == "wrong":
            sources[index] = lesson_tools.strip_solution(worked[index], WRONG)
        elif change.startswith("stub+"):
            sources[index] = stubbed + "\n" + change.removeprefix("stub+")
        else:
            sources[index] = change
    return sources


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Generate the three assignments, hand in every submission, autograde them all."""
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("course")
    lesson_tools.course(course)
    scores: dict[str, dict[str, dict[int, float]]] = {}
    handouts = {}
    for number, students in SUBMISSIONS.items():
        lesson = lesson_path(number)
        name = lesson.stem
        nbgrader(course, "generate_assignment", name, "--create")
        released = course / "release" / name / lesson.name
        handouts[number] = nbformat.read(released, as_version=4)
        worked = [c.source for c in nbformat.read(lesson, as_version=4).cells
                  if "solution" in c.metadata.get("tags", [])]
        for student, changes in students.items():
            submission = nbformat.read(released, as_version=4)
            cells = answer_cells(submission)
            assert len(cells) == len(worked)
            for cell, source in zip(cells, submission_sources(worked, changes)):
                cell.source = source
            folder = course / "submitted" / f"{student}-{number}" / name
            folder.mkdir(parents=True)
            nbformat.write(submission, folder / lesson.name)
        nbgrader(course, "autograde", name, "--create")
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            for student in students:
                notebook = gradebook.find_submission_notebook(
                    lesson.stem, name, f"{student}-{number}")
                scores.setdefault(number, {})[student] = {
                    int(grade.name.rsplit("-", 1)[1]): grade.score
                    for grade in notebook.grades if "-check-" in grade.name
                }
    yield {"course": course, "handouts": handouts, "scores": scores}
    shutil.rmtree(course, ignore_errors=True)


def test_generate_assignment_hands_out_the_learner_edition(graded, tmp_path):
    lesson = lesson_path("02")
    learner = nbformat.read(
        next(p for p in lesson_tools.learner_edition(tmp_path) if p.name == lesson.name),
        as_version=4,
    )
    handout = graded["handouts"]["02"]
    assert len(handout.cells) == len(learner.cells)
    for index, (ours, theirs) in enumerate(zip(learner.cells, handout.cells)):
        assert ours.source == theirs.source, f"cell {index} differs"
        assert ours.metadata.get("tags") == theirs.metadata.get("tags"), f"cell {index} tags"
        assert ours.get("outputs") == theirs.get("outputs"), f"cell {index} outputs"
    assert STUB in "\n".join(c.source for c in handout.cells)
    assert lesson_tools.BEGIN not in "\n".join(c.source for c in handout.cells)


@pytest.mark.parametrize("number", sorted(SUBMISSIONS))
def test_the_worked_solutions_get_full_marks(graded, number):
    scores = graded["scores"][number]["worked"]
    assert len(scores) >= 5, "too few graded checks in the lesson"
    assert all(score == 1 for score in scores.values()), scores


@pytest.mark.parametrize("student", ["wrong", "not-done", "runner-patched", "grading-off"])
def test_wrong_missing_or_patched_answers_get_no_marks(graded, student):
    # Routes 1 and 7: every check said "Right" (or "not done yet", without failing) in
    # the kernel; the fresh process gives nothing for a stub or a wrong answer.
    scores = graded["scores"]["02"][student]
    assert sum(scores.values()) == 0, f"{student}: {scores}"


@pytest.mark.parametrize(
    ("number", "student"),
    [(n, s) for n, students in EXPECTED.items() for s in students],
)
def test_each_attack_scores_zero_on_the_exercise_it_attacks(graded, number, student):
    scores = graded["scores"][number][student]
    expected = EXPECTED[number][student]
    got = {check: scores[check] == 1 for check in expected}
    assert got == expected, f"lesson {number}, {student}: {scores}"


def test_the_grade_says_why(graded):
    """A tampered check's output says so; a refused shortcut names what was refused."""
    course = graded["course"]
    lesson = lesson_path("04")
    notebook = nbformat.read(
        course / "autograded" / "tampering-04" / lesson.stem / lesson.name, as_version=4)
    texts = [
        "".join(o.get("evalue", "") + o.get("text", "") for o in c.get("outputs", []))
        for c in notebook.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
    ]
    assert "Tampering detected" in texts[4], texts[4]
    assert all("fresh process" in text for text in texts)
    routes = nbformat.read(
        course / "autograded" / "routes-04" / lesson.stem / lesson.name, as_version=4)
    outputs = [
        "".join(o.get("evalue", "") for o in c.get("outputs", []))
        for c in routes.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
    ]
    assert "Variable() is switched off" in outputs[2], outputs[2]
    # the review's F4 and F6: nothing in reach of the gates is their original
    closures = nbformat.read(
        course / "autograded" / "closures-04" / lesson.stem / lesson.name, as_version=4)
    outputs = [
        "".join(o.get("evalue", "") for o in c.get("outputs", []))
        for c in closures.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
    ]
    assert "gradient() is switched off" in outputs[0], outputs[0]
    assert "Variable() is switched off" in outputs[2], outputs[2]
