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
from .shortcuts import GRAPH_SWEEPS

__all__ = [
    "check_confusion_prediction",
    "check_hvp",
    "check_largest_eigenvalue",
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


def counted(f: Callable[..., Any]) -> tuple[Callable[..., Any], Callable[[], int]]:
    """f, counting its calls, and how many there were so far.

    The wrapper keeps f in a closure, not in an attribute, so code handed the wrapper
    has no ``.f`` to call past the count: every evaluation is counted.
    """
    calls = 0

    def f_counted(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return f(*args)

    def count() -> int:
        return calls

    return f_counted, count


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
        "follow the ε by hand, as the section 'Perturbation confusion' does for x + y, "
        "but with a general point a instead of 1: write down what x and y are inside the "
        "inner call when both carry the same ε.",
        "The outer call makes x a dual number with value a and tangent 1; the inner call "
        "makes y a dual number with value 1 and tangent 1, and with one shared ε nothing "
        "tells the two tangents apart. Multiply x and y as dual numbers and keep the ε "
        "coefficient: that plain number is what the inner call returns. The outer function "
        "multiplies x by it; read the ε coefficient of that product. Your answer is a "
        "formula in a.",
        "(a + ε)(1 + ε) = a + (a + 1)ε, so the inner call returns a + 1 (it should return a). "
        "Then x · (a + 1) = a(a + 1) + (a + 1)ε, and the naive outer derivative is a + 1, "
        "where the true derivative of x·x is 2a. At a = 2: 3 instead of 4.\n\n"
        "def my_prediction(a):\n    return a + 1",
    ),
)
def check_confusion_prediction(my_prediction: Callable[[float], Any]) -> str:
    points = [2.0, *unseen_points("07.1", 3, -3.0, 5.0)]
    for a in points:
        guess = my_prediction(a)
        if guess is None or guess is Ellipsis:
            raise NotImplementedError
        guess = _plain_number(guess, f"Your prediction at a = {a:.4g}")
        naive = _naive_derivative(lambda x: x * _naive_derivative(lambda y: x * y, 1.0), a)
        if math.isclose(guess, 2 * a) and not math.isclose(naive, 2 * a):
            raise Wrong(
                f"at a = {a:.4g} you predict {guess:g}, the true derivative of x·x. The naive "
                "version does not compute it: with one shared ε, the inner call also sees the "
                "outer perturbation."
            )
        if not math.isclose(guess, naive, rel_tol=1e-12, abs_tol=1e-12):
            where = (
                "Your number is right at a = 2 but not elsewhere: follow the ε with a "
                "general a, not with 2."
                if a != 2.0 and math.isclose(_plain_number(my_prediction(2.0), ""), 3.0)
                else "Follow the ε once more."
            )
            raise Wrong(
                f"at a = {a:.4g} your prediction is {guess:g}, but that is not what the "
                f"naive nested derivative returns. {where}"
            )
    return (
        "the naive version returns a + 1 instead of 2a (3 instead of 4 at a = 2): the inner "
        "derivative counted the outer ε as its own."
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
        "how adlearn's derivative keeps nested calls apart, in the section "
        "'Perturbation confusion': each call has a tag of its own and reads only the "
        "tangent that carries it.",
        "my_derivative: take a fresh tag, seed x as a dual number with tangent 1 and that "
        "tag, run f once, and return the tangent of the result only if the result is a "
        "dual number carrying YOUR tag. Anything else (a plain number, or a dual number of "
        "an outer derivative) did not depend on this x: its derivative is zero. "
        "my_second_derivative: differentiate, with my_derivative, a function that itself "
        "returns my_derivative of f; f then runs once, on a dual number of dual numbers.",
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
            f_counted, calls = counted(f)
            got = my_second_derivative(f_counted, x)
            got = _plain_number(got, f"my_second_derivative of {name} at {x:.4g}")
            if calls() != 1:
                raise Wrong(
                    f"my_second_derivative evaluated f {calls()} times. Nested forward "
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
    # my_second_derivative inside another derivative, whose variable a appears in f:
    # d/da [d²/dy² (a·y³ + y²)] at y0 = d/da [6·a·y0 + 2] = 6·y0. An old tag, or none,
    # lets the outer derivative record the operations instead of the nested seed.
    y0 = points[2]

    def second_of(a: Any) -> Any:
        return my_second_derivative(lambda y: a * y**3 + y * y, y0)

    outer = _derivative(second_of, points[3])
    what = (
        f"d/da of my_second_derivative(lambda y: a*y**3 + y*y, {y0:.4g}), with "
        "my_second_derivative inside another derivative (are your tags fresh, made by "
        "new_tag() at each call? An older tag, or none, lets the outer derivative take over)"
    )
    if isinstance(outer, bool) or not isinstance(outer, (int, float)):
        raise Wrong(f"{what} is {outer!r}, but it should be the plain number {6 * y0!r}.")
    expect_close(float(outer), 6 * y0, what, rtol=1e-12)
    return (
        "first and second derivatives agree with closed forms to 12 digits at unseen "
        "points, f runs once per second derivative, and nested calls keep their "
        "perturbations apart, also inside another derivative."
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
        "the cell that computes Hv for g(x, y) = x²y + y³ in 'Hessian-vector "
        "products: forward over reverse': the same recipe works for any number of inputs.",
        "Take ONE fresh tag for all the inputs. Make each input a Variable whose value is a "
        "dual number: the point's component, the direction's component as its tangent, and "
        "your tag. Evaluate f once and sweep backward once. Each input's gradient is then a "
        "dual number (gradient, component of Hv): return the tangents. An input that f "
        "does not use keeps a plain zero as its gradient, and its component is zero. Never "
        "build H column by column: that takes n evaluations.",
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
        f_counted, calls = counted(f)
        result = my_hvp(f_counted, point, v)
        if calls() != 1:
            raise Wrong(
                f"my_hvp evaluated f {calls()} times for {what}. Forward over reverse "
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

    try:
        nested = _derivative(first_component, a)
    except AttributeError as error:
        if "backward" not in str(error):
            raise
        raise Wrong(
            "inside another derivative, f(*your inputs) gave a Dual of THAT derivative, which "
            "has no backward(): the tag of your inputs is older than the derivative running "
            "around my_hvp, so that derivative recorded the operations instead. Take a fresh "
            "tag from new_tag() inside my_hvp, at every call, and give it to every input."
        ) from None
    expect_close(
        nested,
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
        "the first cell of this lesson: one evaluation of x³ on a dual number "
        "of dual numbers gave f, f' and f'' together.",
        "At each step, build the current x as a dual number of dual numbers, as in that "
        "cell, with tags fresh at this step (new_tag() is newer than any derivative that "
        "may be running around your function). Evaluate f once. Of the result, the outer "
        "tangent is itself a dual number: its value part is f', its tangent is f''. Step "
        "with those two numbers and return x after the last step.",
        "def newton_minimum(f, x, steps):\n"
        "    for _ in range(steps):\n"
        "        t1 = new_tag()\n"
        "        t2 = new_tag()\n"
        "        y = f(Dual(Dual(x, 1.0, tag=t1), 1.0, tag=t2))\n"
        "        x = x - y.derivative.value / y.derivative.derivative\n"
        "    return x",
    ),
    forbid=(*NESTING_SHORTCUTS, adlearn.Variable, adlearn.gradient, adlearn.jacobian_reverse,
            adlearn.vjp, *GRAPH_SWEEPS),
    why="Read f' and f'' from a single evaluation on a dual number of dual numbers: "
    "the lesson's nesting of forward mode, with two fresh tags. Reverse mode over a Dual "
    "(Variable and backward(), gradient, jacobian_reverse, vjp) gets f'' another way.",
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
                f_counted, calls = counted(f)
                got = newton_minimum(f_counted, x0, steps)
                if calls() != steps:
                    raise Wrong(
                        f"newton_minimum evaluated f {calls()} times for {steps} step(s). "
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
    # Inside another derivative: how does one Newton step move when the parameter a of
    # exp(x) - a·x moves? x1 = x0 - 1 + a·exp(-x0), so dx1/da = exp(-x0). Untagged Duals
    # (or tags older than the running derivative's) read the wrong tangent here.
    x0 = starts[0]

    def one_step(s: Any) -> Any:
        return newton_minimum(lambda x: adlearn.exp(x) - s * x, x0, 1)

    expect_close(
        _plain_number(_derivative(one_step, a), "the derivative of your Newton step"),
        math.exp(-x0),
        f"d/da of one Newton step on exp(x) - a·x from {x0:.4g}, with newton_minimum inside "
        "derivative (are your tags fresh: made by new_tag() inside newton_minimum, at each "
        "step or once per call, not once outside it before that derivative began?)",
        rtol=1e-12,
    )
    return (
        "each Newton step evaluates f once and lands where f'/f'' from closed forms "
        "says, to 12 digits, also inside another derivative."
    )


# --- 07.5: the largest eigenvalue of H from products Hv alone ------------------------


def _quadratic(a: float, b: float, c: float, s: float) -> Callable[..., Any]:
    """A function whose Hessian is [[2a, s, 0], [s, 2b, s], [0, s, 2c]] everywhere."""

    def f(x: Any, y: Any, z: Any) -> Any:
        return a * x * x + b * y * y + c * z * z + s * x * y + s * y * z

    return f


def _rosenbrock(x: Any, y: Any) -> Any:
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


@exercise(
    "07.5",
    "the largest eigenvalue of H, by power iteration",
    hints=(
        "the section 'What Hv looks like': H stretches some directions more than others. "
        "What happens to a vector if you multiply it by H again and again?",
        "Power iteration: start from a unit vector with no zero component, and repeat: "
        "compute w = Hv with your own Hessian-vector product (one evaluation of f), estimate the "
        "eigenvalue as the dot product of v and w (v has length 1), and make v the unit "
        "vector along w. Never form H: each round is one product, nothing more.",
        "def largest_eigenvalue(f, point, rounds):\n"
        "    v = [1.0 / math.sqrt(len(point))] * len(point)\n"
        "    estimate = 0.0\n"
        "    for _ in range(rounds):\n"
        "        w = my_hvp(f, point, v)\n"
        "        estimate = sum(a * b for a, b in zip(v, w))\n"
        "        length = math.sqrt(sum(b * b for b in w))\n"
        "        v = [b / length for b in w]\n"
        "    return estimate",
    ),
    forbid=(
        adlearn.hessian,
        adlearn.hessian_vector_product,
        adlearn.jacobian_forward,
        adlearn.jacobian_reverse,
    ),
    why="Use your own my_hvp only: power iteration never forms H.",
)
def check_largest_eigenvalue(largest_eigenvalue: Callable[..., Any]) -> str:
    import numpy as np

    # the top eigenvalue (about 6) is well apart from the next (about 2): power iteration
    # gains about a factor 3 per round, whatever unit vector it starts from
    a, b, c, s = (
        lo + (hi - lo) * t
        for (lo, hi), t in zip(
            [(2.5, 3.5), (0.8, 1.2), (0.4, 0.6), (0.2, 0.6)], unseen_points("07.5 q", 4, 0, 1)
        )
    )
    p = unseen_points("07.5 point", 3, -1.0, 1.0)
    x0 = 0.8 + unseen_points("07.5 valley", 1, 0.0, 0.4)[0]
    cases = [
        (
            "a quadratic of 3 inputs",
            _quadratic(a, b, c, s),
            p,
            [[2 * a, s, 0.0], [s, 2 * b, s], [0.0, s, 2 * c]],
        ),
        (
            f"Rosenbrock's function at ({x0:.3g}, {x0 * x0:.3g})",
            _rosenbrock,
            [x0, x0 * x0],
            [[2 + 800 * x0 * x0, -400 * x0], [-400 * x0, 200.0]],
        ),
    ]
    rounds = 40
    for name, f, point, hessian in cases:
        f_counted, calls = counted(f)
        got = _plain_number(
            largest_eigenvalue(f_counted, list(point), rounds),
            f"largest_eigenvalue for {name}",
        )
        if calls() != rounds:
            few = (
                f" {calls()} evaluations suggest that you formed H (one column per "
                "input) and used its eigenvalues."
                if calls() < rounds
                else ""
            )
            raise Wrong(
                f"largest_eigenvalue evaluated f {calls()} times in {rounds} rounds; "
                f"expected exactly {rounds}: power iteration needs one Hessian-vector product "
                f"per round (one evaluation of f each), and never the whole Hessian.{few}"
            )
        expected = float(np.linalg.eigvalsh(np.array(hessian))[-1])
        expect_close(
            got,
            expected,
            f"the eigenvalue of largest size of H for {name} (positive definite here, so "
            "that is the largest eigenvalue)",
            rtol=1e-9,
        )
    return (
        f"{rounds} rounds of power iteration, one Hv each, give the eigenvalue of H of "
        "largest size (here the largest, as H is positive definite) to 9 digits, without "
        "ever forming H."
    )
