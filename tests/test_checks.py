"""The checks that judge exercises say right, not done yet, or what is wrong."""

import math

from adlearn import Dual
from adlearn.checks import check_close, check_function


def stub(x):
    raise NotImplementedError("Exercise: replace this line with your solution.")


def test_right_answer():
    result = check_function(lambda x: 2 * x, lambda x: 2.0 * x, [1.0, -3.0], name="f")
    assert result and repr(result) == "✓ Right: f matches at all 2 test points."
    assert "<div" in result._repr_html_()


def test_stub_is_not_done_yet():
    result = check_function(stub, math.sin, [1.0], name="f")
    assert not result and not result.done
    assert repr(result) == "… Not done yet: f still raises NotImplementedError."
    assert not check_close(None, 1.0, what="the slope").done


def test_wrong_answer_says_what_and_hints():
    result = check_function(lambda x: x, lambda x: 2 * x, [3.0], name="f", hint="power rule")
    assert repr(result) == "✗ f(3) returned 3, but it should be 6. Hint: power rule"


def test_tiny_differences_are_shown_with_all_digits():
    result = check_function(lambda x: 1.0 + 5e-7, lambda x: 1.0, [1.0], name="f")
    assert "returned 1.0000005, but it should be 1.0" in repr(result)
    assert "is 2.000001, but it should be 2.0" in repr(check_close(2.000001, 2.0))


def test_an_error_in_the_learners_code_is_reported_once():
    result = check_function(lambda x: 1 / Dual(0.0, 1.0), math.sin, [1.0], name="f")
    assert "raised ZeroDivisionError" in repr(result)
    assert ".." not in repr(result)


def test_check_close_accepts_the_function_and_catches_its_stub():
    assert not check_close(lambda: stub(0.0), 1.0, what="the slope").done
    assert check_close(lambda: 2.0, 2.0, what="the slope")
