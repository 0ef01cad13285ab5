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
import pytest

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


@pytest.fixture
def notebook(monkeypatch):
    """Define code in __main__, as a notebook cell would; undone after the test."""
    namespace = vars(sys.modules["__main__"])

    def define(source, name, **names):
        before = set(namespace)
        for key, value in names.items():
            monkeypatch.setitem(namespace, key, value)
        exec(textwrap.dedent(source), namespace)
        for key in set(namespace) - before:
            value = namespace.pop(key)
            monkeypatch.setitem(namespace, key, value)
        return namespace[name]

    return define


def steps():
    return [10.0 ** (-k / 4) for k in range(65)]


def test_the_notebook_holds_the_same_solutions():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    solutions = "\n".join(c.source for c in cells if "solution" in c.metadata.get("tags", []))
    for source in (CENTRAL, PREDICTIONS, BEST_STEP, FORWARD_GRADIENT):
        body = [line.strip() for line in source.strip().splitlines()]
        for line in body:
            assert line in solutions, line


# --- 00.1 the central difference ---------------------------------------------------


def test_central_difference_solution_passes(notebook):
    result = lesson00.check_central_difference(notebook(CENTRAL, "my_central_difference"))
    assert result and "calls f twice" in repr(result)


def test_forward_difference_is_rejected(notebook):
    wrong = notebook(
        "def my_central_difference(f, x, h):\n    return (f(x + h) - f(x)) / h",
        "my_central_difference",
    )
    with pytest.raises(CheckFailed, match="f was called at x"):
        lesson00.check_central_difference(wrong)


def test_dividing_by_h_is_rejected_with_a_pointer(notebook):
    wrong = notebook(
        "def my_central_difference(f, x, h):\n    return (f(x + h) - f(x - h)) / h",
        "my_central_difference",
    )
    with pytest.raises(CheckFailed, match="divide by h instead of 2 \\* h"):
        lesson00.check_central_difference(wrong)


def test_central_difference_shortcut_is_switched_off(notebook):
    shortcut = notebook(
        "def my_central_difference(f, x, h):\n    return central_difference(f, x, h)",
        "my_central_difference",
        central_difference=central_difference,
    )
    with pytest.raises(CheckFailed, match=r"central_difference\(\) is switched off"):
        lesson00.check_central_difference(shortcut)
    assert central_difference(math.sin, 0.0, 1e-4) == pytest.approx(1.0)  # on again


def test_central_difference_stub_is_not_done(notebook):
    stub = notebook(STUB.format(name="my_central_difference"), "my_central_difference")
    result = lesson00.check_central_difference(stub)
    assert not result and not result.done and "Not done yet" in repr(result)


# --- 00.2 predict truncation and round-off -----------------------------------------


def test_predictions_pass(notebook):
    result = lesson00.check_predictions(notebook(PREDICTIONS, "my_predictions"))
    assert result and "measured" in repr(result)


def test_truncation_only_prediction_is_rejected(notebook):
    # The typical mistake: the truncation error h/2 at both steps, forgetting round-off.
    wrong = notebook("def my_predictions():\n    return (5e-4, 5e-14)", "my_predictions")
    with pytest.raises(CheckFailed, match="round-off error dominates") as caught:
        lesson00.check_predictions(wrong)
    assert "Where to look" in str(caught.value)


def test_prediction_must_be_two_positive_numbers(notebook):
    with pytest.raises(CheckFailed, match="two numbers"):
        lesson00.check_predictions(
            notebook("def my_predictions():\n    return 0.1", "my_predictions")
        )
    with pytest.raises(CheckFailed, match="positive"):
        lesson00.check_predictions(
            notebook("def my_predictions():\n    return (0.0, 1e-3)", "my_predictions")
        )


def test_prediction_stub_is_not_done(notebook):
    assert not lesson00.check_predictions(
        notebook(STUB.format(name="my_predictions"), "my_predictions")
    ).done


# --- 00.3 measure the best step ----------------------------------------------------


def test_best_step_solution_passes(notebook):
    notebook(CENTRAL, "my_central_difference")
    best = notebook(BEST_STEP, "best_step", STEPS=steps())
    result = lesson00.check_best_step(best)
    assert result and "measured best steps" in repr(result)


def test_a_fixed_step_from_the_formula_is_rejected(notebook):
    # eps ** (1/3) is the best step only when f''' has the size of f: not for sin(100 x).
    wrong = notebook(
        "def best_step(f, x, exact):\n"
        "    [my_central_difference(f, x, h) for h in STEPS]\n"
        "    return 2.2e-16 ** (1 / 3)",
        "best_step",
        STEPS=steps(),
        my_central_difference=lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h),
    )
    with pytest.raises(CheckFailed, match="sin\\(100 x\\)"):
        lesson00.check_best_step(wrong)


def test_best_step_without_measuring_is_rejected(notebook):
    wrong = notebook("def best_step(f, x, exact):\n    return 1e-5", "best_step")
    with pytest.raises(CheckFailed, match="too few to measure"):
        lesson00.check_best_step(wrong)


def test_best_step_stub_is_not_done(notebook):
    assert not lesson00.check_best_step(notebook(STUB.format(name="best_step"), "best_step")).done


# --- 00.4 a gradient with n + 1 runs -----------------------------------------------


def test_forward_gradient_solution_passes(notebook):
    result = lesson00.check_forward_gradient(notebook(FORWARD_GRADIENT, "forward_gradient"))
    assert result and "n + 1 runs" in repr(result)


def test_forward_gradient_with_2n_runs_is_rejected(notebook):
    # Right numbers, wrong cost: f(*point) recomputed for every input.
    wrong = notebook(
        "def forward_gradient(f, point, h=1e-7):\n"
        "    partials = []\n"
        "    for i in range(len(point)):\n"
        "        moved = list(point)\n"
        "        moved[i] += h\n"
        "        partials.append((f(*moved) - f(*point)) / h)\n"
        "    return partials",
        "forward_gradient",
    )
    with pytest.raises(
        CheckFailed, match="with 2 inputs your gradient called f 4 times, but 2 \\+ 1 = 3"
    ):
        lesson00.check_forward_gradient(wrong)


def test_forward_gradient_shortcut_is_switched_off(notebook):
    import adlearn

    shortcut = notebook(
        "def forward_gradient(f, point, h=1e-7):\n    return list(gradient(f, point))",
        "forward_gradient",
        gradient=adlearn.gradient,
    )
    with pytest.raises(CheckFailed, match=r"gradient\(\) is switched off"):
        lesson00.check_forward_gradient(shortcut)


def test_forward_gradient_stub_is_not_done(notebook):
    stub = notebook(STUB.format(name="forward_gradient"), "forward_gradient")
    assert not lesson00.check_forward_gradient(stub).done
