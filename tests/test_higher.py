"""adlearn.higher: second derivatives, Hessians, perturbation checks, checkpointing.

Every number is compared with a closed form or with finite differences.
"""

import math

import pytest

from adlearn import (
    Dual,
    PerturbationError,
    Variable,
    cos,
    derivative,
    exp,
    gradient,
    jacobian_forward,
    log,
    new_tag,
    sin,
    topological_order,
)
from adlearn.checks import central_difference, numerical_gradient
from adlearn.higher import (
    CheckpointedGradient,
    checkpointed_gradient,
    hessian,
    hessian_vector_product,
    iterate,
    second_derivative,
    value_and_derivative,
)

# --- second derivatives ---------------------------------------------------------------


def blog(x):
    return x * sin(x + 6) ** 2 / 2 - 2 / 2**x


def blog_second(x):
    # f' = s²/2 + x s c + 2 ln2 / 2^x, with s = sin(x + 6), c = cos(x + 6), so
    # f'' = 2 s c + x (c² - s²) - 2 (ln 2)² / 2^x.
    u = 2 * (x + 6)
    return math.sin(u) + x * math.cos(u) - 2 * math.log(2) ** 2 / 2**x


@pytest.mark.parametrize(
    "f, closed_form",
    [
        (lambda x: x**3, lambda x: 6 * x),
        (sin, lambda x: -math.sin(x)),
        (lambda x: exp(sin(x)), lambda x: (math.cos(x) ** 2 - math.sin(x)) * math.exp(math.sin(x))),
        (log, lambda x: -1 / x**2),
        (blog, blog_second),
    ],
)
@pytest.mark.parametrize("x", [0.3, 1.7, 3.0])
def test_second_derivative_matches_the_closed_form(f, closed_form, x):
    assert second_derivative(f, x) == pytest.approx(closed_form(x), rel=1e-12, abs=1e-12)


def test_second_derivative_agrees_with_differences_of_the_first():
    for x in (-1.0, 0.5, 3.0):
        first = lambda t: derivative(blog, t)
        assert second_derivative(blog, x) == pytest.approx(central_difference(first, x), rel=1e-6)


def test_a_dual_of_duals_carries_the_second_derivative():
    inner, outer = new_tag(), new_tag()
    x = Dual(Dual(1.5, 1.0, tag=inner), Dual(1.0, 0.0, tag=inner), tag=outer)
    y = x**3
    assert y.value.value == pytest.approx(1.5**3)
    assert y.value.derivative == pytest.approx(3 * 1.5**2)
    assert y.derivative.value == pytest.approx(3 * 1.5**2)
    assert y.derivative.derivative == pytest.approx(6 * 1.5)


# --- Hessians -----------------------------------------------------------------------


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_hessian(x, y):
    return [[2 - 400 * (y - x**2) + 800 * x**2, -400 * x], [-400 * x, 200.0]]


def cubic(x, y):
    return x * x * y + y**3


def cubic_hessian(x, y):
    return [[2 * y, 2 * x], [2 * x, 6 * y]]


def trio(x, y, z):
    return sin(x * y) + z * exp(x) + z**2 / y


def trio_hessian(x, y, z):
    s, c, e = math.sin(x * y), math.cos(x * y), math.exp(x)
    return [
        [-(y**2) * s + z * e, c - x * y * s, e],
        [c - x * y * s, -(x**2) * s + 2 * z**2 / y**3, -2 * z / y**2],
        [e, -2 * z / y**2, 2 / y],
    ]


CASES = [
    (rosenbrock, rosenbrock_hessian, [-1.2, 1.0]),
    (rosenbrock, rosenbrock_hessian, [0.5, 2.0]),
    (cubic, cubic_hessian, [1.5, -0.5]),
    (trio, trio_hessian, [0.4, 1.3, -0.7]),
]


def approx_matrix(actual, expected, rel=1e-12, abs=1e-12):
    assert len(actual) == len(expected)
    for row, want in zip(actual, expected):
        assert row == pytest.approx(want, rel=rel, abs=abs)


@pytest.mark.parametrize("f, closed_form, point", CASES)
def test_hessian_matches_the_closed_form_and_is_symmetric(f, closed_form, point):
    matrix = hessian(f, point)
    approx_matrix(matrix, closed_form(*point))
    n = len(point)
    for i in range(n):
        for j in range(n):
            assert matrix[i][j] == pytest.approx(matrix[j][i], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("f, closed_form, point", CASES)
def test_hessian_matches_finite_differences_of_the_gradient(f, closed_form, point):
    matrix = hessian(f, point)
    for j in range(len(point)):

        def partial_j(*p, j=j):
            return gradient(f, list(p))[j]

        row = numerical_gradient(partial_j, point, h=1e-5)
        assert matrix[j] == pytest.approx(list(row), rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("f, closed_form, point", CASES)
def test_hessian_vector_product_is_the_hessian_times_the_vector(f, closed_form, point):
    vector = [0.5, -2.0, 1.25][: len(point)]
    expected = [sum(h * v for h, v in zip(row, vector)) for row in closed_form(*point)]
    assert hessian_vector_product(f, point, vector) == pytest.approx(expected, rel=1e-12)


def test_hessian_agrees_with_forward_mode_over_the_gradient():
    point = [0.4, 1.3, -0.7]
    nested = jacobian_forward(lambda *p: list(gradient(trio, p)), point)
    approx_matrix(hessian(trio, point), nested)


def test_hessian_of_a_function_that_ignores_an_input_has_zeros():
    assert hessian(lambda x, y: x**3, [2.0, 5.0]) == [[12.0, 0.0], [0.0, 0.0]]
    assert hessian(lambda x, y: 7.0, [2.0, 5.0]) == [[0.0, 0.0], [0.0, 0.0]]


def test_hessian_vector_product_inside_a_derivative_keeps_the_perturbations_apart():
    # d/da of (H v)_1 for f(x, y) = a x² y: H v = a (2y v1 + 2x v2, ...), so the
    # derivative in a is 2y v1 + 2x v2.
    def first_component(a):
        return hessian_vector_product(lambda x, y: a * x * x * y, [1.5, -0.5], [1.0, 2.0])[0]

    assert derivative(first_component, 3.0) == pytest.approx(2 * -0.5 * 1.0 + 2 * 1.5 * 2.0)


def test_hessian_functions_refuse_bad_input():
    wanted = r"`vector` has 1 number\(s\), but it needs 2: one for each input of f"
    with pytest.raises(ValueError, match=wanted):
        hessian_vector_product(cubic, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match="single number"):
        hessian(lambda x, y: [x, y], [1.0, 2.0])
    with pytest.raises(TypeError, match="list of numbers"):
        hessian(cubic, "12")


# --- perturbation confusion and leaks ----------------------------------------------------


def naive_derivative(f, x):
    """Forward mode without tags: every derivative uses the same ε."""
    return f(Dual(x, 1.0)).derivative


def test_untagged_nested_derivatives_are_confused_and_tagged_ones_are_not():
    # d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1.
    assert naive_derivative(lambda x: x * naive_derivative(lambda y: x + y, 1.0), 1.0) == 2.0
    assert derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0) == 1.0


def leaky(x):
    """Keeps the inner function's Dual result and uses it after the inner derivative."""
    kept = {}

    def g(y):
        out = x * sin(y)
        kept["value"] = out
        return out

    slope = derivative(g, 0.5)
    return kept["value"] * slope


def fixed(x):
    value, slope = value_and_derivative(lambda y: x * sin(y), 0.5)
    return value * slope


def test_a_leaked_perturbation_is_reported_not_hidden():
    # The true derivative of x² sin(0.5) cos(0.5) at 2 is 2 sin(1); a leak would give 0.
    with pytest.raises(PerturbationError, match="leaked perturbation"):
        derivative(leaky, 2.0)
    with pytest.raises(PerturbationError, match="leaked perturbation"):
        jacobian_forward(lambda x: [leaky(x)], [2.0])
    with pytest.raises(PerturbationError, match="leaked perturbation"):
        value_and_derivative(leaky, 2.0)


def test_value_and_derivative_returns_a_clean_value():
    assert derivative(fixed, 2.0) == pytest.approx(2 * math.sin(1.0), rel=1e-12)
    value, slope = value_and_derivative(lambda x: x * exp(x), 0.5)
    assert value == pytest.approx(0.5 * math.exp(0.5)) and isinstance(value, float)
    assert slope == pytest.approx(1.5 * math.exp(0.5))


def test_reverse_around_forward_is_exact():
    # Each derivative has its own level, so the gradient of a derivative works.
    assert gradient(lambda x: derivative(lambda t: x * t, 1.0), [2.0]) == (1.0,)


def test_a_buried_perturbation_is_reported():
    # A Variable made by hand inside f wraps the Dual: reading the tangent would
    # miss it. A wrong 0.0 would be the silent answer; adlearn refuses instead.
    with pytest.raises(PerturbationError, match="buried inside Variable"):
        derivative(lambda t: Variable(t) * 2.0, 1.0)


def test_the_checks_accept_correct_nesting_and_constants():
    assert derivative(lambda x: derivative(sin, x), 0.7) == pytest.approx(-math.sin(0.7), rel=1e-12)
    assert derivative(lambda x: 5.0, 1.0) == 0.0
    outer = derivative(lambda a: derivative(lambda x: a * x * x, 3.0), 2.0)
    assert outer == pytest.approx(6.0)
    # A Dual made by hand outside is an enclosing perturbation: fine.
    around = derivative(lambda x: x * Dual(2.0, 1.0), 3.0)
    assert around.value == 2.0 and around.derivative == 1.0
    with pytest.raises(TypeError, match="not a number"):
        derivative(lambda x: "x", 1.0)


# --- long chains and checkpointing ----------------------------------------------------


def euler_step(x):
    """One Euler step of dx/dt = 1 + sin(x)/2 with dt = 0.005: five operations."""
    return x + 0.005 * (1 + 0.5 * sin(x))


def chain_by_floats(x0, n):
    x = x0
    for _ in range(n):
        x = x + 0.005 * (1 + 0.5 * math.sin(x))
    return x


def test_iterate_composes_the_step():
    assert iterate(euler_step, 0.3, 0) == 0.3
    assert iterate(euler_step, 0.3, 250) == pytest.approx(chain_by_floats(0.3, 250), rel=1e-15)


@pytest.mark.parametrize("every", [1, 3, 20, 37, 199, 200, 1000])
def test_checkpointed_gradient_equals_plain_reverse_mode_and_differences(every):
    n, x0 = 200, 0.3
    result = checkpointed_gradient(euler_step, x0, n, every)
    (plain,) = gradient(lambda x: iterate(euler_step, x, n), [x0])
    assert result.gradient == pytest.approx(plain, rel=1e-12)
    assert result.gradient == pytest.approx(
        central_difference(lambda x: chain_by_floats(x, n), x0), rel=1e-6
    )
    # The exact flow of dx/dt = v(x) has d x(T) / d x(0) = v(x(T)) / v(x(0)).
    v = lambda x: 1 + 0.5 * math.sin(x)
    assert result.gradient == pytest.approx(v(result.value) / v(x0), rel=1e-2)
    assert result.value == pytest.approx(chain_by_floats(x0, n), rel=1e-15)


@pytest.mark.parametrize(
    "n, every, checkpoints, recomputed",
    [(200, 1, 200, 199), (200, 20, 10, 180), (200, 30, 7, 180), (200, 200, 1, 0), (7, 50, 1, 0)],
)
def test_checkpoint_counts(n, every, checkpoints, recomputed):
    result = checkpointed_gradient(euler_step, 0.3, n, every)
    assert isinstance(result, CheckpointedGradient)
    assert result.checkpoints == checkpoints == math.ceil(n / every)
    assert result.recomputed_steps == recomputed
    # Five nodes per step, plus the segment's input.
    assert result.peak_nodes == 5 * min(every, n) + 1


def test_plain_reverse_mode_keeps_the_whole_chain():
    y = iterate(euler_step, Variable(0.3), 200)
    assert len(topological_order(y)) == 5 * 200 + 1
    assert checkpointed_gradient(euler_step, 0.3, 200, 200).peak_nodes == 5 * 200 + 1


def test_checkpointing_a_long_chain_and_a_constant_chain():
    result = checkpointed_gradient(euler_step, 0.3, 20_000, 100)
    assert result.gradient == pytest.approx(v_ratio(result.value, 0.3), rel=1e-2)
    assert result.peak_nodes == 501
    constant = checkpointed_gradient(lambda x: 2.0, 0.3, 10, 3)
    assert constant.gradient == 0.0 and constant.value == 2.0


def v_ratio(x_end, x0):
    return (1 + 0.5 * math.sin(x_end)) / (1 + 0.5 * math.sin(x0))


def test_checkpointed_gradient_on_a_step_with_cos_and_a_shared_input():
    def step(x):
        return x + 0.01 * cos(x) * x

    result = checkpointed_gradient(step, 1.1, 50, 7)
    (plain,) = gradient(lambda x: iterate(step, x, 50), [1.1])
    assert result.gradient == pytest.approx(plain, rel=1e-12)


@pytest.mark.parametrize("n_steps, every", [(0, 1), (10, 0), (2.5, 1), (10, True)])
def test_checkpointed_gradient_refuses_bad_counts(n_steps, every):
    with pytest.raises(ValueError, match="whole number"):
        checkpointed_gradient(euler_step, 0.3, n_steps, every)
