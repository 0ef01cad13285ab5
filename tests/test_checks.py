"""The checks that judge exercises say right, not done yet, or what is wrong."""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import adlearn
from adlearn import Dual
from adlearn.checks import (
    CheckFailed,
    Wrong,
    check_close,
    check_function,
    exercise,
    hint,
    unseen_points,
)


def stub(x):
    raise NotImplementedError("Exercise: replace this line with your solution.")


def test_right_answer():
    result = check_function(lambda x: 2 * x, lambda x: 2.0 * x, [1.0, -3.0], name="f")
    assert result and repr(result) == "✓ Right: f matches at all 2 test points."
    assert "<div" in result._repr_html_()


def test_stub_is_not_done_yet_and_does_not_raise():
    result = check_function(stub, math.sin, [1.0], name="f")
    assert not result and not result.done
    assert repr(result) == "… Not done yet: f still raises NotImplementedError."
    assert not check_close(None, 1.0, what="the slope").done


def test_not_done_raises_when_grading(monkeypatch):
    monkeypatch.setattr(sys.modules["adlearn.checks.exercise"], "_GRADING", True)
    with pytest.raises(CheckFailed, match="Not done yet"):
        check_function(stub, math.sin, [1.0], name="f")


def test_grading_is_decided_once_when_the_checks_are_imported():
    # A cell that removes ADLEARN_GRADING after the import does not switch grading off.
    program = (
        "import math, os\n"
        "from adlearn.checks import CheckFailed, check_function, grading\n"
        "os.environ.pop('ADLEARN_GRADING')\n"
        "def stub(x):\n    raise NotImplementedError\n"
        "try:\n    check_function(stub, math.sin, [1.0])\n"
        "except CheckFailed:\n    print('failed', grading())\n"
    )
    environment = dict(os.environ, ADLEARN_GRADING="1")
    run = subprocess.run([sys.executable, "-c", program], env=environment,
                         capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "failed True"


def test_wrong_answer_raises_with_what_and_hint():
    with pytest.raises(CheckFailed) as caught:
        check_function(lambda x: x, lambda x: 2 * x, [3.0], name="f", hint="power rule")
    assert str(caught.value) == "✗ f(3) returned 3, but it should be 6. Hint: power rule"
    # Jupyter shows the message alone, no traceback
    assert caught.value._render_traceback_() == [f"\x1b[1;31m{caught.value}\x1b[0m"]


def test_tiny_differences_are_shown_with_all_digits():
    with pytest.raises(CheckFailed, match="returned 1.0000005, but it should be 1.0"):
        check_function(lambda x: 1.0 + 5e-7, lambda x: 1.0, [1.0], name="f")
    with pytest.raises(CheckFailed, match="is 2.000001, but it should be 2.0"):
        check_close(2.000001, 2.0)


def test_an_error_in_the_learners_code_is_reported_once():
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError") as caught:
        check_function(lambda x: 1 / Dual(0.0, 1.0), math.sin, [1.0], name="f")
    assert ".." not in str(caught.value)


def test_check_close_accepts_the_function_and_catches_its_stub():
    assert not check_close(lambda: stub(0.0), 1.0, what="the slope").done
    assert check_close(lambda: 2.0, 2.0, what="the slope")


def test_numpy_numbers_that_compare_equal_are_accepted():
    assert check_close(np.float32(1.0), 1.0)
    assert check_close(np.array([1.0, 2.0]), [1.0, 2.0])
    assert check_function(lambda x: np.float64(2 * x), lambda x: 2 * x, [1.5])


# A small exercise, as a lesson's check module writes them.
@exercise(
    "test.1",
    "the slope of x squared",
    hints=("the power rule.", "2 times x.", "def slope(x): return 2 * x"),
    forbid=(adlearn.derivative,),
    why="Write the slope by hand.",
)
def check_slope(slope):
    for x in unseen_points("test.1", 5, -3.0, 3.0):
        if not math.isclose(slope(x), 2 * x):
            raise Wrong(f"slope({x:.3g}) is {slope(x):.3g}, but it should be {2 * x:.3g}")
    return "slope(x) = 2x at 5 points you have not seen."


def test_exercise_right_wrong_not_done_and_shortcut():
    assert repr(check_slope(lambda x: 2 * x)).startswith("✓ Right: slope(x) = 2x")
    assert not check_slope(stub).done
    with pytest.raises(CheckFailed) as caught:
        check_slope(lambda x: x)
    message = str(caught.value)
    assert "but it should be" in message and "Where to look: the power rule." in message
    assert 'hint("test.1")' in message
    shortcut = lambda x: adlearn.derivative(lambda t: t * t, x)  # noqa: E731
    with pytest.raises(CheckFailed, match=r"derivative\(\) is switched off"):
        check_slope(shortcut)
    assert adlearn.derivative(lambda t: t * t, 3.0) == 6.0  # switched on again afterwards


def test_hints_go_from_nudge_to_worked_answer():
    first, second, last = hint("test.1"), hint("test.1"), hint("test.1")
    assert first.startswith("Hint 1 of 3 (a nudge)") and "the power rule." in first
    assert "again for the next one" in first and "return" not in first
    assert second.startswith("Hint 2 of 3 (the method)") and "2 times x." in second
    assert "return" not in second
    assert last.startswith("Hint 3 of 3 (the worked answer)") and "return 2 * x" in last
    assert "again" not in last
    assert hint("test.1") == last  # asking again repeats the worked answer
    with pytest.raises(KeyError, match="no exercise"):
        hint("nope")


def test_unseen_points_are_the_same_every_run():
    assert unseen_points("a", 3, 0, 1) == unseen_points("a", 3, 0, 1)
    assert unseen_points("a", 3, 0, 1) != unseen_points("b", 3, 0, 1)


def test_every_lesson_exercise_climbs_the_three_step_ladder():
    """Every exercise of every lesson has a nudge, the method and the worked answer, and
    neither of the first two hands over code."""
    import importlib

    from adlearn.checks.exercise import EXERCISES, HINT_STEPS

    lessons = sorted(p.stem for p in Path(adlearn.__file__).parent.glob("checks/lesson*.py"))
    for name in lessons:
        importlib.import_module(f"adlearn.checks.{name}")
    keys = [k for k in EXERCISES if k.split(".")[0].isdigit()]
    assert len({k.split(".")[0] for k in keys}) == len(lessons)
    for key in keys:
        hints = EXERCISES[key].hints
        assert len(hints) == len(HINT_STEPS), f"{key} has {len(hints)} hints"
        for early in hints[:2]:  # no function, lambda or indented block of code
            code = re.search(r"\bdef \w+\(|\blambda\b|\n {4}\S", early)
            assert not code, f"{key}: code in hint: {early!r}"
