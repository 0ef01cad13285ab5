"""Checks for lesson 07, derivatives of derivatives.

Each check tries the learner's code on functions and at points the lesson does not
show, compares values and derivatives with closed forms, and counts how often the
learner's code evaluates the function: the method is part of the answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import adlearn
from adlearn.derivatives import derivative as _derivative
from adlearn.dual import Dual

from .exercise import Wrong, exercise, expect_close, unseen_points

__all__ = [
    "check_confusion_prediction",
    "check_hvp",
    "check_nested_derivative",
    "check_newton_one_pass",
]

NESTING_SHORTCUTS = (
    adlearn.derivative,
    adlearn.second_derivative,
    adlearn.value_and_derivative,
    adlearn.jvp,
    adlearn.jacobian_forward,
    adlearn.hessian,
    adlearn.hessian_vector_product,
)


class Counted:
    """f, counting its calls."""

    def __init__(self, f: Callable[..., Any]) -> None:
        self.f = f
        self.calls = 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.f(*args)


def _plain_number(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise Wrong(
            f"{what} should be a plain number, but it is {x!r}. Read the part you need "
            "out of the dual number (.value or .derivative) before returning it."
        )
    return float(x)


# --- 07.1: predict what one shared ε gives -------------------------------------------


def _naive_derivative(f: Callable[[Any], Any], x: float) -> Any:
    return f(Dual(x, 1.0)).derivative  # one shared ε for every call: no tags


@exercise(
    "07.1",
    "predict perturbation confusion",
    hints=(
        "follow the ε by hand, as the lesson does for x + y. The outer call makes "
        "x = 2 + ε; the inner call makes y = 1 + ε with the SAME ε, so multiply "
        "(2 + ε)(1 + ε) and keep the ε part: that is what the inner call reports.",
        "The inner call returns a plain number (the ε part of (2 + ε)(1 + ε)). The outer "
        "function multiplies x = 2 + ε by that number; its ε part is the answer.",
        "(2 + ε)(1 + ε) = 2 + 3ε, so the inner call returns 3. Then x · 3 = 6 + 3ε, and the "
        "outer derivative is 3 (the true derivative of x·x is 4).\n\n"
        "def my_prediction():\n    return 3.0",
    ),
)
def check_confusion_prediction(my_prediction: Callable[[], Any]) -> str:
    guess = my_prediction()
    if guess is None or guess is Ellipsis:
        raise NotImplementedError
    guess = _plain_number(guess, "Your prediction")
    naive = _naive_derivative(lambda x: x * _naive_derivative(lambda y: x * y, 1.0), 2.0)
    if math.isclose(guess, 4.0):
        raise Wrong(
            "4 is the true derivative of x·x at 2, but the naive version does not compute "
            "it: with one shared ε, the inner call also sees the outer perturbation."
        )
    if not math.isclose(guess, naive):
        raise Wrong(f"Your prediction {guess:g} is not what the naive nested derivative returns.")
    return (
        f"the naive version returns {naive:g} instead of 4: the inner derivative counted "
        "the outer ε as its own."
    )


# --- 07.2: nesting derivative in derivative, with fresh tags --------------------------

# Functions and their first and second derivatives, in closed form.
_FUNCTIONS: list[
    tuple[str, Callable[[Any], Any], Callable[[float], float], Callable[[float], float]]
] = [
    (
        "exp(sin(x))",
        lambda x: adlearn.exp(adlearn.sin(x)),
        lambda x: math.cos(x) * math.exp(math.sin(x)),
        lambda x: (math.cos(x) ** 2 - math.sin(x)) * math.exp(math.sin(x)),
    ),
    (
        "x**3 * log(x)",
        lambda x: x**3 * adlearn.log(x),
        lambda x: 3 * x**2 * math.log(x) + x**2,
        lambda x: 6 * x * math.log(x) + 5 * x,
    ),
    (
        "1 / (1 + x*x)",
        lambda x: 1 / (1 + x * x),
        lambda x: -2 * x / (1 + x * x) ** 2,
        lambda x: (6 * x * x - 2) / (1 + x * x) ** 3,
    ),
]


@exercise(
    "07.2",
    "second derivatives by nesting, with tags",
    hints=(
        "my_derivative should seed Dual(x, 1.0, tag=t) with t = new_tag(), a tag no "
        "other call uses, and read the tangent of THAT tag only: if the result is not a "
        "Dual carrying tag t, the function did not depend on this x, and the derivative "
        "is 0.0. my_second_derivative is my_derivative applied to my_derivative.",
        "Reading the tangent: `result.derivative if isinstance(result, Dual) and "
        "result.tag == t else 0.0`. A result with another tag belongs to an outer "
        "derivative: to this one it is a constant. my_second_derivative(f, x) is "
        "my_derivative(lambda t: my_derivative(f, t), x): f runs once, on a dual number "
        "of dual numbers.",
        "def my_derivative(f, x):\n"
        "    t = new_tag()\n"
        "    result = f(Dual(x, 1.0, tag=t))\n"
        "    if isinstance(result, Dual) and result.tag == t:\n"
        "        return result.derivative\n"
        "    return 0.0\n\n"
        "def my_second_derivative(f, x):\n"
        "    return my_derivative(lambda t: my_derivative(f, t), x)",
    ),
    forbid=NESTING_SHORTCUTS,
    why="Build the nesting yourself from Dual and new_tag().",
)
def check_nested_derivative(
    my_derivative: Callable[..., Any], my_second_derivative: Callable[..., Any]
) -> str:
    points = unseen_points("07.2", 4, 0.3, 2.7)
    for name, f, first, second in _FUNCTIONS:
        for x in points:
            got = _plain_number(my_derivative(f, x), f"my_derivative of {name} at {x:.4g}")
            expect_close(got, first(x), f"my_derivative of {name} at {x:.4g}", rtol=1e-12)
            counted = Counted(f)
            got = my_second_derivative(counted, x)
            got = _plain_number(got, f"my_second_derivative of {name} at {x:.4g}")
            if counted.calls != 1:
                raise Wrong(
                    f"my_second_derivative evaluated f {counted.calls} times. Nested forward "
                    "mode needs ONE evaluation, on a dual number whose parts are dual numbers; "
                    "differences of first derivatives are not nesting."
                )
            expect_close(got, second(x), f"my_second_derivative of {name} at {x:.4g}", rtol=1e-12)
    constant = my_derivative(lambda x: 7.5, points[0])
    expect_close(
        _plain_number(constant, "my_derivative of a constant function"),
        0.0,
        "my_derivative of a function that returns a plain number",
    )
    x0 = points[1]
    # d/dx [x · d/dy (x·y)] = d/dx [x · x] = 2x: fails when both calls share one ε
    mixed = my_derivative(lambda x: x * my_derivative(lambda y: x * y, 1.0), x0)
    expect_close(
        _plain_number(mixed, "my_derivative of a nested call"),
        2 * x0,
        f"my_derivative(lambda x: x * my_derivative(lambda y: x * y, 1.0), {x0:.4g}) "
        "(perturbation confusion: do your calls share an ε?)",
        rtol=1e-12,
    )
    # d/dx [x · d/dy (x·x)] = 0: fails when the inner call reads the outer tangent
    outer_only = my_derivative(lambda x: x * my_derivative(lambda y: x * x, 1.0), x0)
    expect_close(
        _plain_number(outer_only, "my_derivative of a nested call"),
        0.0,
        f"my_derivative(lambda x: x * my_derivative(lambda y: x * x, 1.0), {x0:.4g}) "
        "(the inner function does not depend on y; does your derivative read a tangent "
        "that belongs to another call?)",
    )
    return (
        "first and second derivatives agree with closed forms to 12 digits at unseen "
        "points, f runs once per second derivative, and nested calls keep their "
        "perturbations apart."
    )


# --- 07.3: Hessian-vector products, forward over reverse ------------------------------


def _chain(*x: Any) -> Any:
    """Σ sin(x_i)·x_{i+1}: its Hessian is tridiagonal, known in closed form."""
    return sum(adlearn.sin(x[i]) * x[i + 1] for i in range(len(x) - 1))


def _chain_hvp(x: list[float], v: list[float]) -> list[float]:
    n = len(x)
    out = [0.0] * n
    for i in range(n - 1):
        # the term sin(x_i)·x_{i+1}: H_ii = -sin(x_i) x_{i+1}, H_{i,i+1} = cos(x_i)
        out[i] += -math.sin(x[i]) * x[i + 1] * v[i] + math.cos(x[i]) * v[i + 1]
        out[i + 1] += math.cos(x[i]) * v[i]
    return out


def _cubic(x: Any, y: Any, z: Any) -> Any:
    return x**3 * y + y * z  # z enters linearly: H has a zero in its corner


def _cubic_hvp(p: list[float], v: list[float]) -> list[float]:
    x, y, _ = p
    return [6 * x * y * v[0] + 3 * x * x * v[1], 3 * x * x * v[0] + v[2], v[1]]


@exercise(
    "07.3",
    "a Hessian-vector product, forward over reverse",
    hints=(
        "make each input Variable(Dual(p, v, tag=t)) with ONE fresh tag t = new_tag() "
        "for all of them, evaluate f once, call backward() on the result, and read "
        "the tangent of each input's .grad. An input that f does not use keeps "
        ".grad == 0.0, a plain number: its component of Hv is 0.0.",
        "After backward(), x.grad is Dual(∂f/∂x, (Hv)_x) with your tag. Read it as "
        "`g.derivative if isinstance(g, Dual) and g.tag == t else 0.0`. One evaluation "
        "of f, one sweep: never build H column by column (that takes n evaluations).",
        "def my_hvp(f, point, v):\n"
        "    t = new_tag()\n"
        "    inputs = [Variable(Dual(p, d, tag=t)) for p, d in zip(point, v)]\n"
        "    f(*inputs).backward()\n"
        "    return tuple(x.grad.derivative if isinstance(x.grad, Dual) and x.grad.tag == t\n"
        "                 else 0.0 for x in inputs)",
    ),
    forbid=(*NESTING_SHORTCUTS, adlearn.gradient, adlearn.jacobian_reverse, adlearn.vjp),
    why="Seed Variable(Dual(...)) inputs and run one backward sweep yourself.",
)
def check_hvp(my_hvp: Callable[..., Any]) -> str:
    def run(f: Callable[..., Any], point: list[float], v: list[float], what: str) -> list[float]:
        counted = Counted(f)
        result = my_hvp(counted, point, v)
        if counted.calls != 1:
            raise Wrong(
                f"my_hvp evaluated f {counted.calls} times for {what}. Forward over reverse "
                "needs one evaluation and one backward sweep, whatever n is; n evaluations "
                "means you built the Hessian column by column."
            )
        if not isinstance(result, (list, tuple)) or len(result) != len(point):
            raise Wrong(
                f"my_hvp should return {len(point)} numbers, one per input, not {result!r}."
            )
        return [_plain_number(c, f"a component of my_hvp for {what}") for c in result]

    a, b, c, d, e, g = unseen_points("07.3", 6, -1.5, 1.5)
    p, v = [a + 2.0, b, c], [d, e, g]
    expect_close(run(_cubic, p, v, "x³y + yz"), _cubic_hvp(p, v), "H·v of x³y + yz", rtol=1e-12)
    n = 40
    xs = unseen_points("07.3 chain point", n, -2.0, 2.0)
    vs = unseen_points("07.3 chain direction", n, -1.0, 1.0)
    expect_close(
        run(_chain, xs, vs, f"a chain of {n} inputs"),
        _chain_hvp(xs, vs),
        f"H·v of Σ sin(x_i)·x_(i+1) with {n} inputs",
        rtol=1e-12,
    )
    unused = run(lambda x, y: x * x * x, [a, b], [d, e], "a function that ignores y")
    expect_close(unused, [6 * a * d, 0.0], "H·v of x³ (which does not use y)", rtol=1e-12)

    # Inside another derivative whose variable s also appears in f: the tag must be
    # fresh (newer than the outer one), as derivative's own tags are.
    def first_component(s: Any) -> Any:
        return my_hvp(lambda x, y: x**3 * y + s * x * y, [s, b], [d, e])[0]

    expect_close(
        _derivative(first_component, a),
        6 * b * d + (6 * a + 1) * e,
        "d/ds of (H·v)₁ for x³y + s·x·y at x = s (my_hvp inside a derivative: is your tag fresh?)",
        rtol=1e-12,
    )
    return (
        f"H·v agrees with the closed form to 12 digits, for n = {n} with one evaluation of f "
        "(the Hessian is never built), and inside another derivative."
    )


# --- 07.4: Newton's method with f' and f'' from one pass ------------------------------


def _newton_reference(
    first: Callable[[float], float], second: Callable[[float], float], x: float, steps: int
) -> float:
    for _ in range(steps):
        x = x - first(x) / second(x)
    return x


@exercise(
    "07.4",
    "Newton's method, one pass per step",
    hints=(
        "at each step, evaluate f ONCE at a dual number of dual numbers: "
        "Dual(Dual(x, 1.0, tag=t1), 1.0, tag=t2) with two fresh tags. The result y holds "
        "f' in y.derivative.value and f'' in y.derivative.derivative; then step "
        "x - f'/f''.",
        "Tags: t1 = new_tag() and t2 = new_tag(). y = f(X); first = y.derivative.value, "
        "second = y.derivative.derivative. If f'' is 0 or negative the step does not "
        "go towards a minimum: the check only uses functions where f'' > 0.",
        "def newton_minimum(f, x, steps):\n"
        "    for _ in range(steps):\n"
        "        t1 = new_tag()\n"
        "        t2 = new_tag()\n"
        "        y = f(Dual(Dual(x, 1.0, tag=t1), 1.0, tag=t2))\n"
        "        x = x - y.derivative.value / y.derivative.derivative\n"
        "    return x",
    ),
    forbid=NESTING_SHORTCUTS,
    why="Read f' and f'' from a single evaluation on a dual number of dual numbers.",
)
def check_newton_one_pass(newton_minimum: Callable[..., Any]) -> str:
    (a,) = unseen_points("07.4 a", 1, 1.5, 4.0)
    starts = unseen_points("07.4 start", 2, -0.5, 0.5)
    cases = [
        (
            "exp(x) - a·x",
            lambda x: adlearn.exp(x) - a * x,
            lambda x: math.exp(x) - a,
            math.exp,
        ),
        (
            "x⁴ + x² + sin(x)",
            lambda x: x**4 + x * x + adlearn.sin(x),
            lambda x: 4 * x**3 + 2 * x + math.cos(x),
            lambda x: 12 * x * x + 2 - math.sin(x),
        ),
    ]
    for name, f, first, second in cases:
        for x0 in starts:
            for steps in (1, 3):
                counted = Counted(f)
                got = newton_minimum(counted, x0, steps)
                if counted.calls != steps:
                    raise Wrong(
                        f"newton_minimum evaluated f {counted.calls} times for {steps} step(s). "
                        "Each step should evaluate f once: one dual number of dual numbers "
                        "carries f, f' and f'' together."
                    )
                got = _plain_number(got, f"newton_minimum for {name}")
                expect_close(
                    got,
                    _newton_reference(first, second, x0, steps),
                    f"x after {steps} Newton step(s) on {name} from {x0:.4g}",
                    rtol=1e-12,
                )
    return (
        "each Newton step evaluates f once and lands where f'/f'' from closed forms "
        "says, to 12 digits."
    )
