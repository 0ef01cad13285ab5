"""The exercises of lesson 00: the worked solutions pass, wrong answers and shortcuts do not.

Each solution is written here exactly as in the notebook (a test checks that it is),
and defined in ``__main__``, the namespace a notebook's code lives in, so that the
checks see it as they see a learner's code.
"""

import math
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

import adlearn
from adlearn.checks import CheckFailed, central_difference, lesson00

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "00-why-differentiate.ipynb"

CENTRAL = """
def my_central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)
"""

PREDICTIONS = """
def my_predictions():
    truncation = 1e-3 / 2  # h/2 |f''|, with f'' = exp(0) = 1
    round_off = 2.2e-16 / 1e-13  # about eps/h
    return (truncation, round_off)
"""

BEST_STEP = """
def best_step(f, x, exact):
    return min(STEPS, key=lambda h: abs(my_central_difference(f, x, h) - exact))
"""

FORWARD_GRADIENT = """
def forward_gradient(f, point, h=1e-7):
    base = f(*point)  # the one run at the point itself, shared by every input
    partials = []
    for i in range(len(point)):
        moved = list(point)
        moved[i] = moved[i] + h
        partials.append((f(*moved) - base) / h)
    return partials
"""

STUB = """
def {name}(*args):
    raise NotImplementedError("Exercise: replace this line with your solution.")
"""


def define_in_main(monkeypatch, source, name=None, **names):
    """Run `source` in __main__, as a notebook cell would; undone with `monkeypatch`."""
    namespace = vars(sys.modules["__main__"])
    before = set(namespace)
    for key, value in names.items():
        monkeypatch.setitem(namespace, key, value)
    exec(textwrap.dedent(source), namespace)
    for key in set(namespace) - before:
        value = namespace.pop(key)
        monkeypatch.setitem(namespace, key, value)
    return namespace[name] if name else None


@pytest.fixture
def notebook(monkeypatch):
    return lambda source, name=None, **names: define_in_main(monkeypatch, source, name, **names)


def test_the_notebook_holds_the_same_solutions():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    solutions = "\n".join(c.source for c in cells if "solution" in c.metadata.get("tags", []))
    for source in (CENTRAL, PREDICTIONS, BEST_STEP, FORWARD_GRADIENT):
        body = [line.strip() for line in source.strip().splitlines()]
        for line in body:
            assert line in solutions, line


def stub(name):
    return STUB.format(name=name)


def steps():
    return [10.0 ** (-k / 4) for k in range(65)]


def central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


SOLUTIONS = [  # check, the worked solution, the function it defines, what "Right" says
    (lesson00.check_central_difference, CENTRAL, "my_central_difference", "calls f twice"),
    (lesson00.check_predictions, PREDICTIONS, "my_predictions", "measured"),
    (lesson00.check_best_step, BEST_STEP, "best_step", "measured best steps"),
    (lesson00.check_forward_gradient, FORWARD_GRADIENT, "forward_gradient", "n + 1 runs"),
]

WRONG = [  # check, a typical wrong answer (or shortcut), the function it defines, the message
    (  # review 00-03 (learner edition): adlearn's formula in place of the learner's own
        lesson00.check_best_step,
        "def best_step(f, x, exact):\n"
        "    return min(STEPS, key=lambda h: abs(central_difference(f, x, h) - exact))",
        "best_step",
        r"central_difference\(\) is switched off",
    ),
    (
        lesson00.check_central_difference,
        "def my_central_difference(f, x, h):\n    return (f(x + h) - f(x)) / h",
        "my_central_difference",
        "f was called at x",
    ),
    (
        lesson00.check_central_difference,
        "def my_central_difference(f, x, h):\n    return (f(x + h) - f(x - h)) / h",
        "my_central_difference",
        "divide by h instead of 2 \\* h",
    ),
    (
        lesson00.check_central_difference,
        "def my_central_difference(f, x, h):\n    return central_difference(f, x, h)",
        "my_central_difference",
        r"central_difference\(\) is switched off",
    ),
    (  # truncation at both steps: round-off forgotten
        lesson00.check_predictions,
        "def my_predictions():\n    return (5e-4, 5e-14)",
        "my_predictions",
        "round-off error dominates",
    ),
    (  # measuring instead of predicting
        lesson00.check_predictions,
        "def my_predictions():\n"
        "    return tuple(abs((math.exp(h) - 1) / h - 1) for h in (1e-3, 1e-13))",
        "my_predictions",
        r"predict from the error model, before running anything, so exp\(\) is switched off",
    ),
    (
        lesson00.check_predictions,
        "def my_predictions():\n"
        "    return tuple(abs((np.exp(h) - 1) / h - 1) for h in (1e-3, 1e-13))",
        "my_predictions",
        r"exp\(\) is switched off",
    ),
    (
        lesson00.check_predictions,
        "def my_predictions():\n    return 0.1",
        "my_predictions",
        "two numbers",
    ),
    (
        lesson00.check_predictions,
        "def my_predictions():\n    return (0.0, 1e-3)",
        "my_predictions",
        "positive",
    ),
    (  # eps ** (1/3) is the best step only when f''' has the size of f: not for sin(100 x)
        lesson00.check_best_step,
        "def best_step(f, x, exact):\n"
        "    [central(f, x, h) for h in STEPS]\n"
        "    return 2.2e-16 ** (1 / 3)",
        "best_step",
        r"sin\(100 x\)",
    ),
    (
        lesson00.check_best_step,
        "def best_step(f, x, exact):\n    return 1e-5",
        "best_step",
        "too few to measure",
    ),
    (  # right numbers, wrong cost: f(*point) recomputed for every input
        lesson00.check_forward_gradient,
        "def forward_gradient(f, point, h=1e-7):\n"
        "    partials = []\n"
        "    for i in range(len(point)):\n"
        "        moved = list(point)\n"
        "        moved[i] += h\n"
        "        partials.append((f(*moved) - f(*point)) / h)\n"
        "    return partials",
        "forward_gradient",
        r"with 2 inputs your gradient called f 4 times, but 2 \+ 1 = 3",
    ),
    (
        lesson00.check_forward_gradient,
        "def forward_gradient(f, point, h=1e-7):\n    return list(gradient(f, point))",
        "forward_gradient",
        r"gradient\(\) is switched off",
    ),
]


@pytest.mark.parametrize("check, source, name, said", SOLUTIONS)
def test_worked_solution_passes(notebook, check, source, name, said):
    notebook(CENTRAL)  # exercise 00.3 uses the central difference of 00.1
    result = check(notebook(source, name, STEPS=steps()))
    assert result and said in repr(result)


@pytest.mark.parametrize("check, source, name, said", WRONG)
def test_wrong_answer_or_shortcut_is_rejected_with_a_hint(notebook, check, source, name, said):
    names = {"STEPS": steps(), "central": central, "central_difference": central_difference}
    names.update(math=math, np=np)
    names["gradient"] = adlearn.gradient
    with pytest.raises(CheckFailed, match=said) as caught:
        check(notebook(source, name, **names))
    message = str(caught.value)
    assert "switched off" in message or "Where to look" in message


@pytest.mark.parametrize("check, source, name, said", SOLUTIONS)
def test_the_stub_is_not_done_yet(notebook, check, source, name, said):
    result = check(notebook(stub(name), name))
    assert not result and not result.done and "Not done yet" in repr(result)


def test_switched_off_functions_work_again_afterwards(notebook):
    test_wrong_answer_or_shortcut_is_rejected_with_a_hint(notebook, *WRONG[2])
    assert central_difference(math.sin, 0.0, 1e-4) == pytest.approx(1.0)
    assert list(adlearn.gradient(lambda x: x * x, [3.0])) == [6.0]
    test_wrong_answer_or_shortcut_is_rejected_with_a_hint(notebook, *WRONG[4])
    assert math.exp(0.0) == np.exp(0.0) == adlearn.exp(0.0) == 1.0


def test_the_measurement_cannot_be_read_from_the_checks_frame():
    import inspect

    def peeking():  # the learner run's exploit: read the check's answer from its frame
        frame = inspect.currentframe().f_back
        while frame is not None and "measured_errors" not in frame.f_locals:
            frame = frame.f_back
        if frame is None:
            raise LookupError("nothing measured yet to read")
        errors = frame.f_locals["measured_errors"]
        return errors[1e-3], errors[1e-13]

    with pytest.raises(CheckFailed, match="nothing measured yet"):
        lesson00.check_predictions(peeking)


# --- review 00-03, learner edition: 00.4 attempts that were accepted ----------------------

FRAME_EXACT = """
import inspect
def forward_gradient(f, point, h=1e-7):
    for _ in range(len(point) + 1): f(*point)
    ex = inspect.currentframe().f_back.f_locals["exact"]
    try: return list(ex(*point))
    except TypeError: return list(ex(point))
"""

HALF_AND_HALF = """
def forward_gradient(f, point, h=1e-7):
    f0 = f(*point)
    out = []
    for i in range(len(point)):
        p = list(point)
        p[i] += h
        out.append((f(*p) - f0) / h)
    return out if len(point) == 3 else [0.0] * len(point)
"""


def test_the_gradient_cannot_be_read_from_the_checks_frame(notebook):
    forward_gradient = notebook(FRAME_EXACT, "forward_gradient")
    with pytest.raises(CheckFailed, match="KeyError"):
        lesson00.check_forward_gradient(forward_gradient)


def test_no_frame_holds_the_answer_while_the_learners_function_runs(notebook):
    import inspect

    seen = []

    def snooping(f, point):
        frame = inspect.currentframe().f_back
        while frame is not None:
            if "adlearn" in frame.f_code.co_filename:
                seen.extend(frame.f_locals)
            frame = frame.f_back
        return notebook(FORWARD_GRADIENT, "forward_gradient")(f, point)

    assert lesson00.check_forward_gradient(snooping)
    assert not {"exact", "want", "a", "b", "c"} & set(seen)


def test_the_call_count_phase_checks_the_values_too(notebook):
    forward_gradient = notebook(HALF_AND_HALF, "forward_gradient")
    with pytest.raises(CheckFailed, match="sum of the squares of 1 inputs"):
        lesson00.check_forward_gradient(forward_gradient)
