"""Checks of lesson 03, Forward mode and the Jacobian.

The checks test the method: a sum over paths written without dual numbers, gradients
by seeding that make exactly one pass per input (the passes are counted), a
directional derivative from exactly one pass, a choice of mode justified by counting
passes, and a new primitive verified with the complex step.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import adlearn
from adlearn.core import RULES
from adlearn.dual import Dual as Reference
from adlearn.rules import cos, exp, log, sin
from adlearn.variable import Variable

from .exercise import Wrong, exercise, unseen_points
from .references import close, complex_step

# --- exercise 03.1: a derivative as a sum over paths -----------------------------------


def p_prime(x: float) -> float:
    """p(x) = e^x (x + sin x): the product rule, written out."""
    return math.exp(x) * (x + math.sin(x) + 1 + math.cos(x))


@exercise(
    "03.1",
    "a derivative as a sum over paths",
    hints=(
        "draw p's graph and list every path from x to the result; along each path multiply "
        "the local partials (the red numbers), then add the paths' products.",
        "There are three paths: x → exp → ×, x → + → ×, x → sin → + → ×. The partials of × "
        "are (x + sin x) on the edge from exp and e^x on the edge from +.",
        "def derivative_by_paths(x):\n"
        "    through_exp = math.exp(x) * (x + math.sin(x))   # x -> exp -> *\n"
        "    straight_into_sum = 1 * math.exp(x)             # x -> + -> *\n"
        "    through_sin = math.cos(x) * 1 * math.exp(x)     # x -> sin -> + -> *\n"
        "    return through_exp + straight_into_sum + through_sin",
    ),
    forbid=(adlearn.Dual, adlearn.derivative, adlearn.jvp, adlearn.gradient),
    why="Add up the paths with math and plain numbers: the dual numbers are what you check.",
)
def check_paths(derivative_by_paths: Callable[[float], Any]) -> str:
    points = unseen_points("03.1", 6, -2.0, 2.0)
    for x in points:
        got = derivative_by_paths(x)
        if isinstance(got, Reference):
            raise Wrong("derivative_by_paths returned a dual number; return a plain float.")
        if not close(got, p_prime(x), 1e-13, 1e-13):
            raise Wrong(f"derivative_by_paths({x:.6g}) is {got!r}, but p'({x:.6g}) is "
                        f"{p_prime(x)!r}. Is a path missing, or a partial wrong?")
    return (f"your sum over three paths is p'(x) to 13 digits at {len(points)} points you "
            "have not seen.")


# --- exercise 03.2: a gradient, one seed at a time ---------------------------------------


def _test_functions() -> list[tuple[str, Callable[..., Any], Callable[..., list[float]]]]:
    """Functions of 2, 3 and 4 inputs, with their gradients written out by hand."""
    return [
        ("x1·sin(x2)", lambda a, b: a * sin(b),
         lambda a, b: [math.sin(b), a * math.cos(b)]),
        ("x1·exp(x2·x3) + log(x1 + x3)", lambda a, b, c: a * exp(b * c) + log(a + c),
         lambda a, b, c: [math.exp(b * c) + 1 / (a + c), a * c * math.exp(b * c),
                          a * b * math.exp(b * c) + 1 / (a + c)]),
        ("x1·x2·x3·x4 + cos(x4)", lambda a, b, c, d: a * b * c * d + cos(d),
         lambda a, b, c, d: [b * c * d, a * c * d, a * b * d, a * b * c - math.sin(d)]),
    ]


class _Counted:
    """A function that counts its calls and whether each was on dual numbers."""

    def __init__(self, f: Callable[..., Any]) -> None:
        self.f, self.calls, self.plain = f, 0, 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        if not all(isinstance(a, Reference) for a in args):
            self.plain += 1
        return self.f(*args)


@exercise(
    "03.2",
    "a gradient, one seed at a time",
    hints=(
        "one pass per input: in pass j give input j the tangent 1.0 and every other input "
        "0.0, run f once on those dual numbers, and read the output's .derivative.",
        "seeded = [Dual(v, 1.0 if i == j else 0.0) for i, v in enumerate(point)], then "
        "f(*seeded).derivative is ∂f/∂x_j. Loop j over range(len(point)).",
        "def gradient_by_seeding(f, point):\n"
        "    partials = []\n"
        "    for j in range(len(point)):\n"
        "        seeded = [Dual(v, 1.0 if i == j else 0.0) for i, v in enumerate(point)]\n"
        "        partials.append(f(*seeded).derivative)\n"
        "    return partials",
    ),
    forbid=(adlearn.jacobian_forward, adlearn.jvp, adlearn.gradient, adlearn.derivative,
            adlearn.jacobian_reverse, adlearn.vjp),
    why="Seed the dual numbers yourself: that is what jacobian_forward does inside.",
)
def check_seeding(gradient_by_seeding: Callable[..., Any]) -> str:
    generator = random.Random("adlearn exercise 03.2")
    for text, f, gradient in _test_functions():
        arity = f.__code__.co_argcount
        point = [round(generator.uniform(0.3, 1.5), 3) for _ in range(arity)]
        counted = _Counted(f)
        got = gradient_by_seeding(counted, point)
        expected = gradient(*point)
        if not close(list(got) if isinstance(got, (list, tuple)) else got, expected,
                     1e-12, 1e-12):
            raise Wrong(f"For f = {text} at {point}, you return {got!r}, but the gradient is "
                        f"{expected!r}.")
        if counted.plain:
            raise Wrong(f"You called f on plain numbers {counted.plain} time(s); every pass "
                        "runs f on dual numbers, seeded.")
        if counted.calls != arity:
            raise Wrong(f"For f = {text}, with {arity} inputs, you ran {counted.calls} passes; "
                        f"seeding one input at a time takes exactly {arity}.")
    return ("the gradients of three functions you have not seen are right, each from exactly "
            "one forward pass per input.")


# --- exercise 03.3: a directional derivative in one pass --------------------------------


@exercise(
    "03.3",
    "a directional derivative in one pass",
    hints=(
        "seed all inputs at once: the tangent of input i is the i-th component of the "
        "direction. One pass gives J·v.",
        "f(*[Dual(x, d) for x, d in zip(point, direction)]).derivative",
        "def rate_along(f, point, direction):\n"
        "    return f(*[Dual(x, d) for x, d in zip(point, direction)]).derivative",
    ),
    forbid=(adlearn.jvp, adlearn.jacobian_forward, adlearn.gradient, adlearn.derivative,
            adlearn.jacobian_reverse, adlearn.vjp),
    why="Seed the direction yourself: that is what jvp does inside.",
)
def check_direction(rate_along: Callable[..., Any]) -> str:
    generator = random.Random("adlearn exercise 03.3")
    for text, f, gradient in _test_functions():
        arity = f.__code__.co_argcount
        point = [round(generator.uniform(0.3, 1.5), 3) for _ in range(arity)]
        direction = [round(generator.uniform(-1.0, 1.0), 3) for _ in range(arity)]
        counted = _Counted(f)
        got = rate_along(counted, point, direction)
        expected = sum(g * d for g, d in zip(gradient(*point), direction))
        if not close(got, expected, 1e-12, 1e-12):
            raise Wrong(f"For f = {text} at {point} in the direction {direction}, you return "
                        f"{got!r}, but ∇f·v is {expected!r}.")
        if counted.calls != 1 or counted.plain:
            raise Wrong(f"You ran f {counted.calls} time(s) ({counted.plain} on plain "
                        "numbers); a directional derivative takes exactly one pass on dual "
                        "numbers, whatever the number of inputs.")
    return ("∇f·v is right for three functions and directions you have not seen, each from "
            "a single forward pass.")


# --- exercise 03.4: forward or reverse? ------------------------------------------------


SCENARIOS = (
    (1_000_000, 1), (3, 6), (1000, 1000), (2, 50), (80, 3), (1, 1), (5, 5), (12, 400),
)


@exercise(
    "03.4",
    "forward or reverse: count the passes",
    hints=(
        "forward mode gives one column of the Jacobian per pass, reverse mode one row per "
        "sweep. A Jacobian with m rows (outputs) and n columns (inputs) needs n forward "
        "passes or m reverse sweeps.",
        "Return ('forward', n_inputs, n_outputs) when n_inputs <= n_outputs (forward wins "
        "ties: it stores nothing), else ('reverse', n_inputs, n_outputs).",
        "def plan(n_inputs, n_outputs):\n"
        "    forward_passes, reverse_sweeps = n_inputs, n_outputs\n"
        "    mode = 'forward' if forward_passes <= reverse_sweeps else 'reverse'\n"
        "    return mode, forward_passes, reverse_sweeps",
    ),
)
def check_plan(plan: Callable[[int, int], Any]) -> str:
    generator = random.Random("adlearn exercise 03.4")
    shapes = list(SCENARIOS) + [(generator.randint(1, 500), generator.randint(1, 500))
                                for _ in range(20)]
    for n, m in shapes:
        got = plan(n, m)
        if not (isinstance(got, tuple) and len(got) == 3):
            raise Wrong(f"plan({n}, {m}) returned {got!r}; return a tuple "
                        "(mode, forward_passes, reverse_sweeps).")
        mode, forward_passes, reverse_sweeps = got
        if (forward_passes, reverse_sweeps) != (n, m):
            raise Wrong(f"For {n} inputs and {m} outputs you count {forward_passes!r} forward "
                        f"passes and {reverse_sweeps!r} reverse sweeps. What does one forward "
                        "pass fill in, a row or a column of the Jacobian?")
        best = "forward" if n <= m else "reverse"
        if mode != best:
            raise Wrong(f"For {n} inputs and {m} outputs you chose {mode!r}, but {best} mode "
                        "needs fewer passes" + (" (and on a tie, forward stores nothing)."
                                                if n == m else "."))
    return (f"your counts and choices are right for {len(shapes)} Jacobian shapes, from a "
            "network's loss (a million inputs, one output: reverse, one sweep) to a robot "
            "arm (3 joint angles, 6 pose coordinates: forward, three passes).")


# --- exercise 03.5: a new primitive, verified with the complex step ----------------------


def softplus_reference(x: float) -> tuple[float, float]:
    """softplus(x) = log(1 + eˣ) and its derivative 1/(1 + e⁻ˣ), by hand."""
    return math.log1p(math.exp(x)), 1 / (1 + math.exp(-x))


@exercise(
    "03.5",
    "extend adlearn: softplus as one primitive",
    hints=(
        "call adlearn.define_primitive(name, value=..., partials=..., complex_=...) and "
        "return what it returns. partials gets (x, out) and returns a tuple with one "
        "partial; complex_ computes the value on a complex number (cmath), so that the "
        "complex step can check your rule.",
        "value=lambda x: math.log1p(math.exp(x)); complex_=lambda z: cmath.log(1 + cmath.exp(z)); "
        "partials=lambda x, out: (1 / (1 + exp(-x)),) with adlearn's exp, so it also works "
        "on nested numbers.",
        "def make_softplus(name):\n"
        "    return define_primitive(\n"
        "        name,\n"
        "        value=lambda x: math.log1p(math.exp(x)),\n"
        "        complex_=lambda z: cmath.log(1 + cmath.exp(z)),\n"
        "        partials=lambda x, out: (1 / (1 + exp(-x)),),\n"
        "    )",
    ),
)
def check_softplus(make_softplus: Callable[[str], Any]) -> str:
    check_softplus.count = getattr(check_softplus, "count", 0) + 1  # type: ignore[attr-defined]
    name = f"softplus_check_{check_softplus.count}"  # type: ignore[attr-defined]
    try:
        softplus = make_softplus(name)
        return _check_softplus(softplus, name)
    finally:
        RULES.pop(name, None)  # the check's copy leaves the table as it found it


def _check_softplus(softplus: Any, name: str) -> str:
    if not callable(softplus):
        raise Wrong(f"make_softplus returned {softplus!r}; return the function that "
                    "define_primitive gives you.")
    if name not in RULES:
        raise Wrong(f"make_softplus({name!r}) did not add a rule named {name!r} to the table: "
                    "call define_primitive with the name you are given, so that softplus is "
                    "one primitive (one node, one rule), not a composition of log and exp.")
    points = unseen_points("03.5", 6, -3.0, 3.0)
    for x in points:
        value, slope = softplus_reference(x)
        if not close(softplus(x), value, 1e-13, 1e-13):
            raise Wrong(f"softplus({x:.6g}) is {softplus(x)!r}, but log(1 + e^x) is {value!r}.")
        try:
            step = complex_step(softplus, x)
        except TypeError:
            raise Wrong("softplus does not accept a complex number, so the complex step "
                        "cannot check it: give define_primitive a complex_ function "
                        "(with cmath).") from None
        forward = softplus(Reference(x, 1.0)).derivative
        leaf = Variable(x)
        softplus(leaf).backward()
        for label, got in (("complex step", step), ("forward mode (your partials)", forward),
                           ("reverse mode (your partials)", leaf.grad)):
            if not close(got, slope, 1e-13, 1e-13):
                raise Wrong(f"At x = {x:.6g}, the {label} gives {got!r}, but the derivative "
                            f"1/(1 + e^-x) is {slope!r}.")
    return (f"softplus is one primitive; its value, its complex step and both modes agree "
            f"with log(1 + eˣ) and 1/(1 + e⁻ˣ) to 13 digits at {len(points)} points.")

