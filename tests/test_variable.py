"""Reverse mode: recording, the backward sweep, accumulation and its limits."""

import math

import pytest

from adlearn import Variable, log, sin, topological_order
from adlearn.checks import numerical_gradient


def test_repr_is_short_and_exact():
    assert repr(Variable(3)) == "Variable(value=3.0, grad=0.0)"
    assert repr(Variable(1.5, name="w")) == "Variable(value=1.5, grad=0.0, name='w')"


def test_every_operation_records_ordered_inputs_and_partials():
    x, y = Variable(2.0, "x"), Variable(5.0, "y")
    z = x * y
    assert z.inputs == (x, y)
    assert z.partials == (5.0, 2.0)
    w = sin(z)
    assert w.inputs == (z,)
    assert w.partials == (pytest.approx(math.cos(10.0)),)


def test_gradient_of_the_tutorial_example_against_finite_differences():
    def f(x1, x2):
        return log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2

    x1, x2 = Variable(2.0), Variable(10.0)
    f(x1, x2).backward()
    expected = numerical_gradient(f, [2.0, 10.0])
    assert x1.grad == pytest.approx(expected[0], rel=1e-6)
    assert x2.grad == pytest.approx(expected[1], rel=1e-6)


def test_heavy_sharing_is_exact_and_linear():
    x = Variable(1.0)
    y = x
    for _ in range(60):
        y = y + y
    y.backward()
    assert x.grad == 2.0**60
    assert len(topological_order(y)) == 61  # each node visited once


def test_a_million_operations_need_no_recursion():
    x = Variable(0.5)
    y = x
    for _ in range(1_000_000):
        y = sin(y)
    y.backward()
    assert 0 < x.grad < 1
    assert math.isfinite(x.grad)


def test_gradients_accumulate_and_reset():
    x = Variable(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0
    y.backward()  # documented: adds again, exactly
    assert x.grad == 12.0
    y.zero_grad()
    assert x.grad == 0.0
    y.backward()
    assert x.grad == 6.0


def test_second_backward_never_double_counts_intermediates():
    x = Variable(2.0)
    t = x * x  # an intermediate used twice
    y = t * t + t
    y.backward()
    first = x.grad
    x.grad = 0.0
    y.backward()
    assert x.grad == first == pytest.approx(4 * 2.0**3 + 2 * 2.0)


def test_backward_on_an_input_gives_one():
    x = Variable(4.0)
    x.backward()
    assert x.grad == 1.0


def test_branches_and_loops_follow_the_path_taken():
    def f(x):
        y = x
        for _ in range(3):
            y = y * x if y < 10 else y + x
        return y

    for v, expected in [(1.5, 4 * 1.5**3), (3.0, 3 * 9 + 1)]:
        x = Variable(v)
        f(x).backward()
        assert x.grad == pytest.approx(expected)
