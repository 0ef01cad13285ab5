"""derivative, gradient, both Jacobians, jvp and vjp on the seed examples."""

import math

import pytest

from adlearn import (
    Dual,
    Variable,
    derivative,
    gradient,
    jacobian_forward,
    jacobian_reverse,
    jvp,
    log,
    new_tag,
    sin,
    vjp,
)
from adlearn.checks import central_difference, complex_step, numerical_gradient


def blog(x):
    """The source article's function."""
    return x * sin(x + 6) ** 2 / 2 - 2 / 2**x


def blog_derivative(x):
    """Its derivative, worked out by hand."""
    s, c = math.sin(x + 6), math.cos(x + 6)
    return s**2 / 2 + x * s * c + 2 * math.log(2) / 2**x


def tutorial(x1, x2):
    """The reverse-mode tutorial's function."""
    return log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2


def tutorial_gradient(x1, x2):
    t = x1 * x2 * (x1 + x2)
    d = x1 - x2
    dlog1 = (2 * x1 * x2 + x2**2) / t
    dlog2 = (x1**2 + 2 * x1 * x2) / t
    return (dlog1 / d**2 - 2 * math.log(t) / d**3, dlog2 / d**2 + 2 * math.log(t) / d**3)


@pytest.mark.parametrize("x", [3.0, -2.0, 0.1, 1.0, 7.5])
def test_blog_function_both_modes_closed_form_and_complex_step(x):
    forward = derivative(blog, x)
    (reverse,) = gradient(blog, [x])
    assert forward == pytest.approx(blog_derivative(x), rel=1e-12)
    assert reverse == pytest.approx(forward, rel=1e-12)
    assert forward == pytest.approx(complex_step(blog, x), rel=1e-12)
    assert forward == pytest.approx(central_difference(blog, x), rel=1e-6)


def test_blog_function_at_3_has_the_articles_numbers():
    assert derivative(blog, 3.0) == pytest.approx(-0.868, abs=1e-3)


def test_tutorial_example_at_2_10():
    expected = tutorial_gradient(2.0, 10.0)
    assert gradient(tutorial, [2.0, 10.0]) == pytest.approx(expected, rel=1e-12)
    forward = [jvp(tutorial, [2.0, 10.0], e) for e in ([1.0, 0.0], [0.0, 1.0])]
    assert forward == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(numerical_gradient(tutorial, [2.0, 10.0]), rel=1e-6)


def polar(r, theta, z):
    return [r * math.cos(theta), r * math.sin(theta), z * r]


def polar_ad(r, theta, z):
    from adlearn import cos

    return [r * cos(theta), r * sin(theta), z * r]


def test_jacobians_agree_with_the_closed_form():
    r, t, z = 2.0, 0.3, -1.5
    expected = [
        [math.cos(t), -r * math.sin(t), 0.0],
        [math.sin(t), r * math.cos(t), 0.0],
        [z, 0.0, r],
    ]
    for jacobian in (jacobian_forward, jacobian_reverse):
        matrix = jacobian(polar_ad, [r, t, z])
        assert len(matrix) == 3 and all(len(row) == 3 for row in matrix)
        for row, want in zip(matrix, expected):
            assert row == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_jvp_and_vjp_are_matrix_products_with_the_jacobian():
    point, v, u = [2.0, 0.3, -1.5], [1.0, -2.0, 0.5], [0.5, 1.0, -1.0]
    matrix = jacobian_forward(polar_ad, point)
    assert jvp(polar_ad, point, v) == pytest.approx(
        [sum(m * x for m, x in zip(row, v)) for row in matrix]
    )
    assert vjp(polar_ad, point, u) == pytest.approx(
        tuple(sum(u[i] * matrix[i][j] for i in range(3)) for j in range(3))
    )


def test_scalar_function_gives_a_one_row_jacobian_and_constants_give_zeros():
    assert jacobian_forward(lambda a, b: a * b, [2.0, 3.0]) == [[3.0, 2.0]]
    assert jacobian_reverse(lambda a, b: [a * b, 7.0], [2.0, 3.0]) == [[3.0, 2.0], [0.0, 0.0]]
    assert derivative(lambda x: 5.0, 1.0) == 0.0
    assert gradient(lambda x, y: 5.0, [1.0, 2.0]) == (0.0, 0.0)


def test_nested_derivatives_do_not_confuse_their_perturbations():
    # d/dx [ x * d/dy (x + y) ] = d/dx [x * 1] = 1. Confusing the two ε gives 2.
    assert derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0) == 1.0
    # Second derivative by nesting: d²/dx² sin(x) = -sin(x).
    second = derivative(lambda x: derivative(sin, x), 0.7)
    assert second == pytest.approx(-math.sin(0.7), rel=1e-12)


def test_forward_over_reverse_hessian_vector_product():
    # f(x, y) = x² y + y³, Hessian [[2y, 2x], [2x, 6y]].
    def f(x, y):
        return x * x * y + y**3

    x, y, v = 1.5, -0.5, (1.0, 2.0)
    tag = new_tag()
    xs = [Variable(Dual(x, v[0], tag=tag)), Variable(Dual(y, v[1], tag=tag))]
    f(*xs).backward()
    hv = [g.grad.derivative for g in xs]
    assert hv == pytest.approx([2 * y * 1 + 2 * x * 2, 2 * x * 1 + 6 * y * 2])
