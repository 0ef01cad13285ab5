"""No silent wrong numbers: nesting, the power rule, identity, edge values (issue 9).

Each test is named after what it protects. The fuzz test at the end compares first and
second derivatives in every nesting of the two modes with sympy, the exact reference.
ADLEARN_FUZZ=1000 runs more examples than CI's default.
"""

import cmath
import functools
import math
import os
import random

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adlearn
from adlearn import (
    Complex,
    Dual,
    PerturbationError,
    Variable,
    define_primitive,
    derivative,
    gradient,
    hessian,
    jacobian_forward,
    jacobian_reverse,
    jvp,
    new_tag,
    relu,
    second_derivative,
    sigmoid,
    sqrt,
    tanh,
    vjp,
)

# --- 1. the power rule under nesting ---------------------------------


def test_power_rule_keeps_the_exponents_derivative_when_nested():
    # d²/dx² x^(x-1) at 1 is 2; a shortcut "y == 0 -> 0" on the nested exponent gave 1.
    assert second_derivative(lambda x: x ** (x - 1), 1.0) == pytest.approx(2.0, rel=1e-12)


def test_hessian_of_power_is_symmetric_and_exact():
    x, y = sympy.symbols("x y")
    exact = sympy.hessian(x**y, (x, y)).subs({x: 1.5, y: 2.0})
    h = hessian(lambda a, b: a**b, [1.5, 2.0])
    for i in range(2):
        for j in range(2):
            assert h[i][j] == pytest.approx(float(exact[i, j]), rel=1e-12)


# --- 2. levels: reverse inside reverse, and every other nesting ---------------------------------


def test_reverse_inside_reverse_does_not_add_into_the_outer_gradient():
    assert gradient(lambda x: x * gradient(lambda y: x + y, [1.0])[0], [1.0]) == (1.0,)


def test_every_nesting_of_the_two_modes_is_exact():
    # d/dx of d/dy (x * y**2) at y = 3 is 2y = 6, whichever mode runs where
    inner_f = lambda x: derivative(lambda y: x * y * y, 3.0)  # noqa: E731
    inner_r = lambda x: gradient(lambda y: x * y * y, [3.0])[0]  # noqa: E731
    assert derivative(inner_f, 2.0) == 6.0  # forward over forward
    assert derivative(inner_r, 2.0) == 6.0  # forward over reverse
    assert gradient(inner_f, [2.0]) == (6.0,)  # reverse over forward
    assert gradient(inner_r, [2.0]) == (6.0,)  # reverse over reverse
    assert vjp(lambda x: [inner_r(x)], [2.0], [1.0]) == (6.0,)
    assert jvp(lambda x: inner_r(x), [2.0], [1.0]) == 6.0


def test_inner_backward_leaves_outer_grads_alone():
    outer = Variable(2.0, "outer")
    gradient(lambda y: outer * y, [1.0])
    assert outer.grad == 0.0


# --- 3. equality and hashing ---------------------------------


def test_two_numbers_with_equal_values_stay_two_keys():
    a, b = Variable(0.0), Variable(0.0)
    assert len({a, b}) == 2 and len({Dual(0.0, 1.0), Dual(0.0, 1.0)}) == 2
    key = hash(a)
    a.value = 5.0  # a gradient step
    assert hash(a) == key and a in {a}


def test_a_memoised_function_never_reuses_an_old_graph():
    @functools.lru_cache
    def square(x):
        return x * x

    assert derivative(square, 3.0) == 6.0
    assert derivative(square, 3.0) == 6.0  # a stale node from the first call would give 0


def test_what_equality_means_for_a_dual_number():
    eps = Dual(0.0, 1.0)
    square = eps * eps
    # == compares values (the branch a program takes): both compare equal to 0 ...
    assert square == 0 and eps == 0
    # ... but as dual numbers they differ: eps² = 0 + 0ε, while eps = 0 + 1ε.
    assert (square.value, square.derivative) == (0.0, 0.0)
    assert (eps.value, eps.derivative) == (0.0, 1.0)
    assert eps < 1 and not eps > 0  # ordering looks at values too


# --- 4. an infinite partial times a zero tangent ---------------------------------


def test_an_input_that_does_not_move_contributes_nothing():
    f = lambda x, y: [sqrt(x) * y]  # noqa: E731
    assert jacobian_forward(f, [0.0, 2.0]) == [[math.inf, 0.0]]
    assert jacobian_reverse(f, [0.0, 2.0]) == [[math.inf, 0.0]]
    assert jvp(lambda x, y: sqrt(x) * y, [0.0, 2.0], [0.0, 1.0]) == 0.0


@pytest.mark.parametrize(
    "f", [lambda x: sqrt(x * x), lambda x: 0.0 * sqrt(x), lambda x: x * x**0.5]
)
def test_a_computed_zero_times_infinity_is_nan_in_both_modes(f):
    # 2x at x = 0 is a number, not "no dependence": inf × 0 is NaN, as in PyTorch and JAX.
    assert math.isnan(derivative(f, 0.0)) and math.isnan(gradient(f, [0.0])[0])


# --- 5. kinks and second order ---------------------------------


def test_kinks_follow_the_convention_or_refuse():
    assert derivative(sqrt, 0.0) == math.inf  # from the right
    assert derivative(lambda x: x**x, 0.0) == -math.inf  # x^x (log x + 1) -> -inf from the right
    assert derivative(lambda x: 0.0**x, 0.0) == -math.inf  # 0^x jumps from 1 to 0
    assert derivative(lambda x: x**0.5, 0.0) == math.inf
    with pytest.raises(ZeroDivisionError, match="sqrt has no second derivative at 0"):
        second_derivative(sqrt, 0.0)
    with pytest.raises((ZeroDivisionError, ValueError)):
        second_derivative(lambda x: x**0.5, 0.0)


# --- 6. tails ---------------------------------


@pytest.mark.parametrize("x", [20.0, 40.0, -40.0, 300.0])
def test_sigmoid_and_tanh_keep_their_digits_in_the_tails(x):
    e = math.exp(-abs(x))
    assert derivative(sigmoid, x) == pytest.approx(e / (1 + e) ** 2, rel=1e-12)
    e2 = math.exp(-2 * abs(x))
    assert derivative(tanh, x) == pytest.approx(4 * e2 / (1 + e2) ** 2, rel=1e-12)
    assert gradient(tanh, [x])[0] == pytest.approx(4 * e2 / (1 + e2) ** 2, rel=1e-12)


# --- 7. NaN propagates ---------------------------------


@pytest.mark.parametrize("f", [relu, abs, tanh, sigmoid, lambda x: x * x])
def test_nan_never_vanishes_from_a_derivative(f):
    assert math.isnan(derivative(f, math.nan))
    assert math.isnan(gradient(f, [math.nan])[0])


# --- 8. the teaching Complex divides without overflow ---------------------------------


@pytest.mark.parametrize(
    "z, w",
    [
        ((1e200, 1e200), (1e200, 1e200)),
        ((1.0, 2.0), (1e-170, 1e-170)),
        ((3.0, 4.0), (1.0, -2.0)),
        ((1e-300, 1.0), (1e300, 1e-300)),
        ((1e150, -1e-150), (1e-150, 1e150)),
        ((0.0, 1.0), (0.0, 3.0)),
    ],
)
def test_complex_division_is_scaled(z, w):
    got = Complex(*z) / Complex(*w)
    want = complex(*z) / complex(*w)
    assert cmath.isclose(complex(got.real, got.imag), want, rel_tol=1e-14)


# --- 9. define_primitive checks a new rule ---------------------------------


def test_define_primitive_refuses_a_missing_partial():
    with pytest.raises(ValueError, match="one partial per input"):
        define_primitive("hyp1", value=math.hypot, partials=lambda x, y, out: (x / out,), arity=2)


def test_define_primitive_refuses_a_generator():
    with pytest.raises(TypeError, match="generator"):
        define_primitive("gen1", value=math.sin, partials=lambda x, out: (math.cos(x) for _ in "a"))


def test_define_primitive_refuses_a_wrong_partial():
    with pytest.raises(ValueError, match="changes at a rate"):
        define_primitive(
            "wrong1", value=math.sin, complex_=cmath.sin, partials=lambda x, out: (out,)
        )


def test_define_primitive_again_is_fine_but_a_different_rule_needs_replace():
    def define(partial):
        return define_primitive(
            "cube1", value=lambda x: x**3, complex_=lambda z: z**3, partials=partial
        )

    cube = define(lambda x, out: (3 * x * x,))
    cube = define(lambda x, out: (3 * x * x,))  # the same cell run twice
    assert derivative(cube, 2.0) == 12.0
    with pytest.raises(ValueError, match="replace=True"):
        define(lambda x, out: (3 * x**2 + 0 * out,))
    cube = define_primitive(
        "cube1", value=lambda x: x**3, partials=lambda x, out: (3 * x**2,), replace=True
    )
    assert gradient(cube, [2.0]) == (12.0,)


# --- 10. tags ---------------------------------


def test_hand_made_tags_must_come_from_new_tag():
    with pytest.raises(TypeError, match="new_tag"):
        Dual(1.0, 1.0, tag=1)
    inner, outer = new_tag(), new_tag()
    x = Dual(Dual(2.0, 1.0, tag=inner), Dual(1.0, 0.0, tag=inner), tag=outer)
    assert (x * x * x).derivative.derivative == 12.0  # d²/dx² x³ at 2


def test_a_dual_escaped_from_a_finished_derivative_is_detected():
    kept = []
    derivative(lambda y: kept.append(y * y) or y, 2.0)
    with pytest.raises(PerturbationError, match="leaked"):
        derivative(lambda x: x * kept[0], 1.0)


# --- accumulation, numpy, messages ---------------------------------


def test_backward_twice_gives_exactly_twice_on_random_graphs():
    rng = random.Random(0)
    for _ in range(200):
        xs = [Variable(rng.uniform(0.5, 2.0)) for _ in range(3)]
        pool = list(xs)
        for _ in range(rng.randrange(3, 30)):
            a, b = rng.choice(pool), rng.choice(pool)
            pool.append(rng.choice([a * b, a + b, a - b, a / (b * b + 1), tanh(a) * b]))
        y = pool[-1]
        y.backward()
        once = [x.grad for x in xs]
        y.backward()
        assert [x.grad for x in xs] == [2 * g for g in once]


def test_numpy_numbers_work_on_either_side_and_numpy_functions_refuse():
    x = Variable(2.0)
    for y in (np.float64(3.0) * x, x * np.float64(3.0)):
        y.backward()
    assert x.grad == 6.0
    with pytest.raises(TypeError, match="adlearn"):
        np.sin(x)
    assert f"{Variable(2.0):.3f}" == "Variable(2.000)"
    with pytest.raises(TypeError, match="round"):
        round(Variable(2.5))


@pytest.mark.parametrize(
    "call",
    [
        lambda: jacobian_forward(lambda x: x, 2.0),
        lambda: jvp(lambda x: x, 2.0, [1.0]),
        lambda: hessian(lambda x: x, 2.0),
        lambda: adlearn.hessian_vector_product(lambda x: x, 2.0, [1.0]),
        lambda: vjp(lambda x: x, [2.0], 1.0),
    ],
)
def test_a_scalar_where_a_list_is_needed_gets_a_teaching_error(call):
    with pytest.raises(TypeError, match="must be a list of numbers"):
        call()


def test_the_two_jacobians_agree_on_shape_for_no_inputs():
    f = lambda: [1.0, 2.0]  # noqa: E731
    assert jacobian_forward(f, []) == jacobian_reverse(f, []) == [[], []]


# --- the fuzz suite: random programs against sympy ---------------------------------

UNARY = {
    "sin": (adlearn.sin, sympy.sin),
    "exp": (lambda v: adlearn.exp(v * 0.3), lambda v: sympy.exp(v * sympy.Rational(3, 10))),
    "tanh": (adlearn.tanh, sympy.tanh),
    "logsq": (lambda v: adlearn.log(v * v + 1), lambda v: sympy.log(v * v + 1)),
    "sqrtsq": (lambda v: adlearn.sqrt(v * v + 2), lambda v: sympy.sqrt(v * v + 2)),
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 1),
    "pow": lambda a, b: (a * a + 1) ** (b * 0.5),  # a variable exponent, a positive base
}


@st.composite
def programs(draw):
    """A random program of x and y, as steps; later steps reuse earlier results."""
    steps = []
    for _ in range(draw(st.integers(2, 7))):
        n = 2 + len(steps)
        if draw(st.booleans()):
            steps.append(("u", draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, n - 1))))
        else:
            pick = st.integers(0, n - 1)
            steps.append(("b", draw(st.sampled_from(sorted(BINARY))), draw(pick), draw(pick)))
    return steps


def run(steps, x, y, symbolic=False):
    pool = [x, y]
    for step in steps:
        if step[0] == "u":
            pool.append(UNARY[step[1]][1 if symbolic else 0](pool[step[2]]))
        else:
            pool.append(BINARY[step[1]](pool[step[2]], pool[step[3]]))
    return pool[-1]


POINTS = st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, 0.7, -1.3])
FUZZ = int(os.environ.get("ADLEARN_FUZZ", "60"))


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), POINTS, POINTS)
def test_random_programs_match_sympy_in_every_nesting(steps, px, py):
    sx, sy = sympy.symbols("x y")
    expr = run(steps, sx, sy, symbolic=True)
    at = {sx: px, sy: py}

    def exact(e):
        return complex(sympy.N(e.subs(at), 30))

    grad = [exact(sympy.diff(expr, s)) for s in (sx, sy)]
    hess = [[exact(sympy.diff(expr, a, b)) for b in (sx, sy)] for a in (sx, sy)]
    if any(abs(v.imag) > 0 or not math.isfinite(v.real) for v in grad + hess[0] + hess[1]):
        return  # outside the real domain: nothing to compare
    f = lambda a, b: run(steps, a, b)  # noqa: E731
    scale = 1e-9 * (1 + max(abs(v) for v in grad + hess[0] + hess[1]))

    def close(got, want):
        return abs(got - want.real) <= scale + 1e-9 * abs(want)

    assert all(close(g, w) for g, w in zip(gradient(f, [px, py]), grad))
    along = [jvp(f, [px, py], [1.0, 0.0]), jvp(f, [px, py], [0.0, 1.0])]
    assert all(close(g, w) for g, w in zip(along, grad))
    rows = {
        "forward over reverse": hessian(f, [px, py]),
        "reverse over reverse": [
            list(gradient(lambda a, b, i=i: gradient(f, [a, b])[i], [px, py])) for i in range(2)
        ],
        "reverse over forward": [
            list(
                gradient(
                    lambda a, b, i=i: jvp(f, [a, b], [1.0 * (i == 0), 1.0 * (i == 1)]), [px, py]
                )
            )
            for i in range(2)
        ],
        "forward over forward": [
            [
                jvp(
                    lambda a, b, i=i: jvp(f, [a, b], [1.0 * (i == 0), 1.0 * (i == 1)]),
                    [px, py],
                    [1.0 * (j == 0), 1.0 * (j == 1)],
                )
                for j in range(2)
            ]
            for i in range(2)
        ],
    }
    for nesting, h in rows.items():
        for i in range(2):
            for j in range(2):
                assert close(h[i][j], hess[i][j]), (nesting, i, j, h[i][j], hess[i][j])


def test_a_variable_made_by_hand_around_a_dual_records_above_it():
    # Forward over reverse by hand, as lesson 07 writes it: Variable(Dual(p, v, tag=t)).
    t = new_tag()
    x, y = Variable(Dual(1.0, 1.0, tag=t)), Variable(Dual(2.0, 0.0, tag=t))
    (x * x * y).backward()  # d/dx x²y = 2xy, d/dy = x²; along v = (1, 0): (2y, 2x)
    assert (x.grad.value, x.grad.derivative) == (4.0, 4.0)
    assert (y.grad.value, y.grad.derivative) == (1.0, 2.0)
