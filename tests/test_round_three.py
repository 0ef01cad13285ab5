"""No silent wrong numbers, round three (issue 22): each class with instances of its own.

What f returns, constant zero bases and unmoved inputs under nesting, overflow inside
a partial, nested error messages, NumPy numbers on both sides, and the rule table's
guard. Derivatives are compared with sympy at points chosen here (not the issue's).
"""

import math

import numpy as np
import pytest
import sympy

import adlearn
from adlearn import (
    RULES,
    Dual,
    Variable,
    define_primitive,
    derivative,
    gradient,
    hessian,
    hessian_vector_product,
    jacobian_forward,
    jacobian_reverse,
    jvp,
    log,
    second_derivative,
    sin,
    sqrt,
    vjp,
)

X, Y = sympy.symbols("x y")


def exact(expression, point, *wrt):
    """A derivative of a sympy expression at a point, as a float (50 digits inside)."""
    value = sympy.diff(expression, *wrt).subs(dict(zip((X, Y), point)))
    return float(value.evalf(50))


# --- 1. every entry point checks what f returned, with the same message ------------------

ENTRY_POINTS = {
    "derivative": lambda f: derivative(lambda x: f(x, 2.0), 1.5),
    "second_derivative": lambda f: second_derivative(lambda x: f(x, 2.0), 1.5),
    "gradient": lambda f: gradient(f, [1.5, 2.0]),
    "hessian": lambda f: hessian(f, [1.5, 2.0]),
    "hessian_vector_product": lambda f: hessian_vector_product(f, [1.5, 2.0], [1.0, -1.0]),
    "jacobian_forward": lambda f: jacobian_forward(f, [1.5, 2.0]),
    "jacobian_reverse": lambda f: jacobian_reverse(f, [1.5, 2.0]),
    "jvp": lambda f: jvp(f, [1.5, 2.0], [1.0, 0.0]),
    "vjp": lambda f: vjp(f, [1.5, 2.0], [1.0]),
}


def forgot_return(x, y):
    x * y  # noqa: B018 (the mistake under test)


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize(
    "f",
    [forgot_return, lambda x, y: "x * y", lambda x, y: complex(2, 1), lambda x, y: {"x": x}],
)
def test_every_entry_point_refuses_what_is_not_a_number(entry, f):
    with pytest.raises(TypeError, match="which is not a number.*forget `return`"):
        ENTRY_POINTS[entry](f)


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("constant", [4.25, 7, np.float64(0.5)])
def test_a_constant_output_has_zero_derivatives_everywhere(entry, constant):
    result = ENTRY_POINTS[entry](lambda x, y: constant)
    flat = result if isinstance(result, (list, tuple)) else [result]
    flat = [v for row in flat for v in (row if isinstance(row, list) else [row])]
    assert flat and all(v == 0.0 for v in flat)


# --- 5. a constant zero base under nesting ------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda t: 0.0 ** (t * t + 1),
        lambda t: 0.0 ** sqrt(t) * 3 + t,
        lambda t: t * 0 ** (2 + sin(t)),
        lambda t: 0 ** (t * 0.5 + 1) * t + 2 * t,
    ],
)
@pytest.mark.parametrize("point", [0.8, 1.7])
def test_a_constant_zero_base_under_nesting_gives_the_right_second_derivative(make, point):
    # 0 ** (a positive exponent) is 0 near these points, so each function is linear there
    # (sympy's own derivative of 0 ** g(x) says NaN: it differentiates log(0)).
    assert second_derivative(make, point) == 0.0
    assert hessian(lambda t: make(t), [point])[0][0] == 0.0
    slope = (make(point + 1e-6) - make(point - 1e-6)) / 2e-6
    assert derivative(make, point) == pytest.approx(slope, abs=1e-9)


# --- 6. an input a derivative does not move, under nesting --------------------------------


@pytest.mark.parametrize("point", [(0.0, 2.0), (0.0, -0.5)])
def test_an_unmoved_input_contributes_nothing_even_through_an_infinite_partial(point):
    # d/dy of sqrt(x) * y at x = 0 is sqrt(0) = 0; the x column is infinite (from the right).
    f = lambda x, y: sqrt(x) * y  # noqa: E731
    assert jacobian_forward(f, list(point))[0][1] == 0.0
    assert jvp(f, list(point), [0.0, 1.0]) == 0.0
    # nested: the y-derivative of the y-derivative is 0, never NaN
    assert derivative(lambda y: derivative(lambda s: f(point[0], s), y), point[1]) == 0.0
    # forward over reverse along y only: H·(0, 1) has a 0 in the y entry
    hv = hessian_vector_product(lambda a, b: sqrt(a + 1) * b * b, [0.0, point[1]], [0.0, 1.0])
    assert hv[1] == pytest.approx(2.0) and not any(math.isnan(v) for v in hv)


@pytest.mark.parametrize(
    ("inner", "slot", "seeded", "want"),
    [
        # d/dt of d(x*y)/dx = y = 2, with x = sqrt(t - 1): the partial towards y is x,
        # whose tangent in t is infinite at t = 1; y does not move, so it adds nothing
        (lambda x, y: x * y, 0, "x", 0.0),
        (lambda x, y: x * y + y, 0, "x", 0.0),
        (lambda x, y: sin(x) * y, 1, "y", 0.0),
    ],
)
def test_an_unmoved_input_under_an_outer_derivative_adds_no_nan(inner, slot, seeded, want):
    def point(t):
        root = sqrt(t - 1)  # value 0, tangent infinite at t = 1
        return [root, 2.0] if seeded == "x" else [2.0, root]

    column = lambda t: jacobian_forward(inner, point(t))[0][slot]  # noqa: E731
    along = [1.0, 0.0] if slot == 0 else [0.0, 1.0]
    assert derivative(column, 1.0) == want
    assert derivative(lambda t: jvp(inner, point(t), along), 1.0) == want


# --- 7. overflow inside a partial ---------------------------------------------------------


@pytest.mark.parametrize("x", [5e-324, 1e-320, 2e-310])
def test_a_partial_that_overflows_alone_is_computed_another_way(x):
    # d/dx x**x = x**x (log x + 1): the base's partial x * x**(x - 1) overflows in between
    want = x**x * (math.log(x) + 1)
    assert derivative(lambda t: t**t, x) == pytest.approx(want, rel=1e-12)
    assert gradient(lambda t: t**t, [x])[0] == pytest.approx(want, rel=1e-12)


def test_a_partial_that_cannot_be_computed_says_so():
    scaled = define_primitive(
        "overflowing_slope",
        value=lambda x: math.tanh(x),
        partials=lambda x, out: (math.cosh(x) ** -2 if abs(x) < 700 else math.exp(x),),
    )
    try:
        with pytest.raises(OverflowError, match=r"overflowing_slope\(800.0\) = 1.0, but a local"):
            gradient(scaled, [800.0])
        assert scaled(800.0) == 1.0  # the value alone is fine
    finally:
        adlearn.remove_primitive("overflowing_slope")


# --- 8. nested errors keep the innermost reason -------------------------------------------


@pytest.mark.parametrize(
    ("f", "point", "reason"),
    [
        (lambda x: log(x - 2), 2.0, "log is only defined for positive numbers"),
        (lambda x: 1 / (x * x - 4), 2.0, "no inverse"),  # a division by a Dual at 0
        (lambda x: (x - 2) ** 3 / log(x - 2), 2.0, "log is only defined"),
        (lambda x: sqrt(x - 3), 3.0, "sqrt has no second derivative at 0"),
    ],
)
def test_a_nested_error_keeps_the_inner_reason_and_says_where(f, point, reason):
    with pytest.raises((ValueError, ZeroDivisionError)) as error:
        second_derivative(f, point)
    message = str(error.value)
    assert reason in message
    assert "a negative base needs" not in message
    assert "one derivative further out" in message  # at which level


# --- 9. NumPy numbers on both sides of every operator, arrays refused ----------------------

NUMPY_NUMBERS = [np.float32(2.5), np.float64(-1.25), np.int64(3), np.int8(2)]
OPERATORS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


@pytest.mark.parametrize("number", NUMPY_NUMBERS, ids=repr)
@pytest.mark.parametrize("symbol", sorted(OPERATORS))
@pytest.mark.parametrize("kind", ["Dual", "Variable"])
def test_numpy_numbers_work_on_both_sides(number, symbol, kind):
    op = OPERATORS[symbol]
    base = 1.75
    plain = float(number)
    for left in (True, False):
        if symbol == "**" and not left and plain < 0:
            continue  # a negative base with a real exponent has no real value
        args = (X, plain) if left else (plain, X)
        expression = op(*args)
        want_value = float(expression.subs(X, base))
        want_slope = exact(expression, [base], X)
        if kind == "Dual":
            x = Dual(base, 1.0)
            y = op(x, number) if left else op(number, x)
            got_value, got_slope = y.value, y.derivative
        else:
            x = Variable(base)
            y = op(x, number) if left else op(number, x)
            y.backward()
            got_value, got_slope = y.value, x.grad
        assert got_value == pytest.approx(want_value, rel=1e-6)  # float32 has 7 digits
        assert got_slope == pytest.approx(want_slope, rel=1e-6)


@pytest.mark.parametrize("number", NUMPY_NUMBERS, ids=repr)
def test_entry_points_take_numpy_numbers(number):
    point = abs(float(number))
    assert derivative(lambda x: x * x, type(number)(point)) == pytest.approx(2 * point)
    assert gradient(lambda x, y: x * y, [type(number)(point), 2.0])[0] == 2.0
    assert gradient(lambda x, y: x * y, np.array([point, 2.0]))[1] == pytest.approx(point)


@pytest.mark.parametrize("kind", [Dual, Variable])
def test_arrays_are_refused_with_a_pointer_to_tensor(kind):
    x = kind(2.0)
    for attempt in (lambda: x * np.array([1.0, 2.0]), lambda: np.array([1.0, 2.0]) + x):
        with pytest.raises(TypeError, match="adlearn.Tensor"):
            attempt()


# --- 10 and 3: the table -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["soft plus", "2x", "a-b", "def", ""])
def test_an_unusable_rule_name_leaves_no_row_behind(name):
    before = dict(RULES)
    with pytest.raises(ValueError, match="must be a Python name"):
        define_primitive(name, value=lambda x: x, partials=lambda x, out: (1.0,))
    assert before == RULES


def test_rows_named_eq_and_init_leave_equality_and_construction_alone():
    eq = define_primitive("eq", value=lambda x: 2 * x, partials=lambda x, out: (2.0,))
    init = define_primitive("init", value=lambda x: x + 1, partials=lambda x, out: (1.0,))
    try:
        assert Variable(2.0) == Variable(2.0) and Dual(1.0) == 1.0
        assert Variable(5.0).value == 5.0 and Dual(5.0, 2.0).derivative == 2.0
        assert derivative(eq, 1.0) == 2.0 and gradient(init, [1.0]) == (1.0,)
    finally:
        adlearn.remove_primitive("eq")
        adlearn.remove_primitive("init")


# --- 2. a value changed after recording --------------------------------------------------

# Programs of two inputs, each with its sympy twin; the change happens after recording.
CHANGED_PROGRAMS = [
    ("x * y + sin(x)", lambda x, y: x * y + sin(x), X * Y + sympy.sin(X)),
    ("x ** 3 / y", lambda x, y: x**3 / y, X**3 / Y),
    ("log(x) * x - y * y", lambda x, y: log(x) * x - y * y, sympy.log(X) * X - Y * Y),
]


@pytest.mark.parametrize("text, f, expression", CHANGED_PROGRAMS)
@pytest.mark.parametrize("changed", [0, 1])
def test_backward_refuses_a_graph_whose_input_changed_after_recording(text, f, expression, changed):
    leaves = [Variable(1.7, name="x"), Variable(0.6, name="y")]
    out = f(*leaves)
    leaves[changed].value = 2.9  # after out was recorded
    with pytest.raises(RuntimeError) as error:
        out.backward()
    message = str(error.value)
    assert repr("xy"[changed]) in message and "new value (2.9)" in message
    assert "Record the computation again" in message and "new Variable" in message
    assert all(leaf.grad == 0.0 for leaf in leaves)  # nothing half-done
    # recording again at the new point gives sympy's gradient there
    point = [leaf.value for leaf in leaves]
    again = f(*leaves)
    again.backward()
    for leaf, wrt in zip(leaves, (X, Y)):
        assert math.isclose(leaf.grad, exact(expression, point, wrt), rel_tol=1e-12), text


def test_a_change_between_two_backward_calls_of_one_graph_is_refused():
    x = Variable(1.25)
    y = x * x * x
    y.backward()
    assert x.grad == 3 * 1.25**2
    x.value -= 0.5
    with pytest.raises(RuntimeError, match="after this graph used it"):
        y.backward()
    assert x.grad == 3 * 1.25**2  # the first gradient is still there, not doubled


def test_a_graph_mixing_old_and_new_nodes_is_refused():
    # one node recorded before the change, one after: still a wrong gradient, refused
    x = Variable(2.0)
    before = x * x
    x.value = 10.0
    after = x * 3.0
    with pytest.raises(RuntimeError, match=r"in mul"):
        (before + after).backward()
    # a graph that only uses nodes recorded after the change is fine
    (after * after).backward()
    assert x.grad == 2 * 30.0 * 3.0


def test_gradient_steps_between_graphs_still_work_as_in_lesson_06():
    # gradient descent on (a - 1.3)² + (b + 0.4)², stepping the Variables in place
    a, b = Variable(0.2), Variable(0.9)
    for _ in range(200):
        loss = (a - 1.3) ** 2 + (b + 0.4) ** 2
        loss.zero_grad()
        loss.backward()
        a.value -= 0.1 * a.grad
        b.value -= 0.1 * b.grad
    assert math.isclose(a.value, 1.3, abs_tol=1e-12) and math.isclose(b.value, -0.4, abs_tol=1e-12)
    # and the leaves of an unrelated graph, never changed, are not disturbed
    c = Variable(0.5)
    (c * c).backward()
    assert c.grad == 1.0


@pytest.mark.parametrize(
    "bad, kind, words",
    [
        ("oops", TypeError, "Convert the text"),
        (None, TypeError, "forget to return"),
        ([1.0, 2.0], TypeError, "one Variable each"),
        (np.array([1.0, 2.0]), TypeError, "adlearn.Tensor"),
        (3 + 1j, TypeError, "real-valued"),
        (Dual(1.0, 1.0, tag=adlearn.new_tag()), TypeError, "Make a new Variable"),
    ],
)
def test_setting_a_value_checks_it(bad, kind, words):
    x = Variable(1.5)
    with pytest.raises(kind, match=words) as error:
        x.value = bad
    assert "Setting" in str(error.value)  # it names what was done, not Variable(...)
    assert x.value == 1.5


def test_setting_a_value_accepts_real_numbers_of_any_kind():
    x = Variable(1.5)
    for number, want in [(2, 2.0), (np.float32(0.25), 0.25), (np.int64(-3), -3.0)]:
        x.value = number
        assert x.value == want and type(x.value) is float


@pytest.mark.parametrize(
    "bad, words",
    [("oops", "Convert the text"), (None, "forget to return"), ([1.0], "one Dual each"),
     (3 + 1j, "real-valued")],
)
def test_setting_a_dual_value_checks_it(bad, words):
    x = Dual(1.5, 1.0)
    with pytest.raises(TypeError, match=words) as error:
        x.value = bad
    assert "Setting a Dual's .value" in str(error.value)
    assert x.value == 1.5


def test_a_dual_value_set_to_a_number_is_used_from_then_on():
    x = Dual(1.5, 1.0)
    x.value = np.float32(0.5)  # a NumPy scalar becomes a float, as in Dual(...)
    assert type(x.value) is float
    y = sin(x) * x  # d/dx (x sin x) = sin x + x cos x, at the new value
    assert y.value == math.sin(0.5) * 0.5
    assert math.isclose(y.derivative, math.sin(0.5) + 0.5 * math.cos(0.5), rel_tol=1e-15)


def test_a_computed_value_cannot_be_set():
    x = Variable(1.5)
    y = sin(x) * 2.0
    with pytest.raises(AttributeError, match="computed by mul"):
        y.value = 0.0
    assert y.value == 2.0 * math.sin(1.5)


def test_a_tensor_changed_after_recording_is_refused_and_steps_still_work():
    W = adlearn.Tensor([[0.5, -1.0], [2.0, 0.25]], name="W")
    v = np.array([1.5, -0.5])
    loss = ((W @ v) ** 2).sum()
    W.value -= 0.1 * np.ones((2, 2))  # in place: the graph's saved array changed too
    with pytest.raises(RuntimeError, match="Tensor 'W' was given a new value"):
        loss.backward()
    with pytest.raises(AttributeError, match="computed by"):
        loss.value = np.zeros(())
    with pytest.raises(ValueError, match="shape"):
        W.value = np.zeros(3)
    # recorded again: the gradient of sum((W v)²) is 2 (W v) vᵀ, at the new W
    loss = ((W @ v) ** 2).sum()
    loss.backward()
    assert np.allclose(W.grad, 2 * np.outer(W.value @ v, v), rtol=1e-14)


# --- a zero base: the slope from the right, the same for ** and sqrt ---------------------


@pytest.mark.parametrize("exponent", [0.5, 0.25, 1.0, 1.5, 2.0, 3.0])
def test_a_power_at_zero_takes_the_slope_from_the_right_as_sqrt_does(exponent):
    slope = (Dual(0.0, 1.0) ** exponent).derivative
    right = float(sympy.limit(sympy.diff(X ** sympy.nsimplify(exponent), X), X, 0, "+"))
    assert slope == right  # inf for exponents below 1, as sympy's limit from the right
    if exponent == 0.5:
        assert slope == sqrt(Dual(0.0, 1.0)).derivative == math.inf
        assert derivative(lambda x: x**0.5, 0.0) == derivative(sqrt, 0.0) == math.inf


def test_a_zero_base_is_not_blamed_on_the_dual_exponent():
    # 0 ** d with d a Dual at -1.3: the 0 is a plain constant, so Dual's "a dual number
    # whose value is 0 has no inverse" would blame the wrong number
    with pytest.raises(ZeroDivisionError) as error:
        0 ** Dual(-1.3, 1.0)
    assert "no inverse" not in str(error.value) and "negative powers" in str(error.value)
    with pytest.raises(ZeroDivisionError, match="the divisor is 0"):
        Dual(2.0, 1.0) / 0.0  # a plain 0 divides: the plain message
    with pytest.raises(ZeroDivisionError, match="dual number whose value is 0 has no inverse"):
        1.0 / Dual(0.0, 1.0)  # the Dual divides, at 0: the ring explanation


def test_a_computed_zero_adjoint_times_an_infinite_partial_is_nan_in_backward():
    # x + 0.0 * sqrt(x) at 0: the adjoint reaching sqrt is a computed 0.0 and sqrt'(0) is
    # inf, so the product is NaN, as in PyTorch and in forward mode (lesson 05)
    x = Variable(0.0)
    (x + 0.0 * sqrt(x)).backward()
    assert math.isnan(x.grad)
    assert math.isnan(adlearn.derivative(lambda t: t + 0.0 * sqrt(t), 0.0))
