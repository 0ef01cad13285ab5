"""Checks of lesson 03, Forward mode and the Jacobian.

The checks test the method: a sum over paths written without dual numbers, gradients
by seeding that make exactly one pass per input (the passes are counted), a
directional derivative from exactly one pass, a choice of mode justified by counting
passes, and a new primitive verified with the complex step.
"""

from __future__ import annotations

import cmath
import math
import random
from collections.abc import Callable
from typing import Any

import adlearn
from adlearn.core import RULES
from adlearn.derivatives import derivative as nested_derivative
from adlearn.dual import Dual as Reference
from adlearn.rules import cos, exp, log, sin
from adlearn.variable import Variable

from .exercise import Wrong, exercise, unseen_points
from .lesson01 import refuse_complex_arithmetic
from .references import close, complex_step

# --- exercise 03.1: a derivative as a sum over paths -----------------------------------


def p_prime(x: float) -> float:
    """p(x) = e^x (x + sin x): the product rule, written out."""
    return math.exp(x) * (x + math.sin(x) + 1 + math.cos(x))


def path_products_of_p(x: float) -> list[float]:
    """The product of the local partials along each of p's three paths from x."""
    return [
        math.exp(x) * (x + math.sin(x)),  # x -> exp -> ×
        1.0 * math.exp(x),  # x -> + -> ×
        math.cos(x) * 1.0 * math.exp(x),  # x -> sin -> + -> ×
    ]


@exercise(
    "03.1",
    "a derivative as a sum over paths",
    hints=(
        "draw p's graph in a cell of your own and follow the edges out of x: every route "
        "to the result is a path, and the number on each edge is its local partial.",
        "For each path, multiply the local partials along it, each written from its "
        "formula at x with math: the partial of exp is exp itself, of sin it is cos, of +"
        " it is 1, and of × it is the other factor. Return the three products in a list; "
        "the check adds them up.",
        "def path_products(x):\n"
        "    through_exp = math.exp(x) * (x + math.sin(x))   # x -> exp -> ×\n"
        "    straight_into_sum = 1 * math.exp(x)             # x -> + -> ×\n"
        "    through_sin = math.cos(x) * 1 * math.exp(x)     # x -> sin -> + -> ×\n"
        "    return [through_exp, straight_into_sum, through_sin]",
    ),
    forbid=(adlearn.Dual, adlearn.derivative, adlearn.jvp, adlearn.gradient, complex_step),
    why="Add up the paths with math and plain numbers: the dual numbers are what you check.",
)
def check_paths(derivative_by_paths: Callable[[float], Any]) -> str:
    refuse_complex_arithmetic(derivative_by_paths, why=(
        "The complex step (or any complex arithmetic) gives the whole derivative at once; "
        "this exercise asks for the paths, one product each, with math and plain floats."))
    points = unseen_points("03.1", 6, -2.0, 2.0)
    for x in points:
        got = derivative_by_paths(x)
        if isinstance(got, Reference) or any(isinstance(g, Reference) for g in
                                             (got if isinstance(got, (list, tuple)) else [])):
            raise Wrong("path_products returned a dual number; return plain floats, one "
                        "product per path.")
        if not isinstance(got, (list, tuple)):
            raise Wrong(f"path_products({x:.6g}) returned {got!r}, one number; return a list "
                        "with one number per path from x to the result, the product of the "
                        "partials along that path (the check adds them up itself).")
        want = path_products_of_p(x)
        if len(got) != len(want):
            raise Wrong(f"path_products({x:.6g}) has {len(got)} products, but p's graph has "
                        f"{len(want)} paths from x to the result. Is a path missing, or one "
                        "split in two?")
        total = sum(float(g) for g in got)
        if not close(total, p_prime(x), 1e-13, 1e-13):
            raise Wrong(f"At x = {x:.6g} your products add up to {total!r}, but p'(x) is "
                        f"{p_prime(x)!r}. Is a path missing, or a partial wrong?")
        unmatched = list(want)
        for g in got:
            match = next((w for w in unmatched if close(float(g), w, 1e-12, 1e-13)), None)
            if match is None:
                raise Wrong(f"At x = {x:.6g} your products add up to p'(x), but {float(g)!r} "
                            "is not the product of the partials along any one path: each "
                            "number should follow one path from x to the result.")
            unmatched.remove(match)
    return (f"your three path products add up to p'(x) to 13 digits at {len(points)} points "
            "you have not seen, one product per path.")


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


def _counted(f: Callable[..., Any]) -> tuple[Callable[..., Any], list[int]]:
    """f, counting its calls and those not on dual numbers: [calls, plain].

    f stays in a closure, not in an attribute, so code handed the wrapper has no
    ``.f`` to call past the count.
    """
    counts = [0, 0]

    def f_counted(*args: Any) -> Any:
        counts[0] += 1
        if not all(isinstance(a, Reference) for a in args):
            counts[1] += 1
        return f(*args)

    return f_counted, counts


@exercise(
    "03.2",
    "a gradient, one seed at a time",
    hints=(
        "the section 'Several inputs: one column of the Jacobian per pass': the seed "
        "decides which input a pass follows.",
        "For each input in turn, make one dual number per input, all with tangent 0 "
        "except the input of this pass, which gets tangent 1. Run f once on them and keep"
        " the result's tangent. The tangents of the passes, in order, are the gradient.",
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
        counted, counts = _counted(f)
        got = gradient_by_seeding(counted, point)
        expected = gradient(*point)
        if not close(list(got) if isinstance(got, (list, tuple)) else got, expected,
                     1e-12, 1e-12):
            raise Wrong(f"For f = {text} at {point}, you return {got!r}, but the gradient is "
                        f"{expected!r}.")
        if counts[1]:
            raise Wrong(f"You called f {counts[1]} time(s) on numbers that are not dual "
                        "numbers (plain or complex); every pass runs f on dual numbers, "
                        "seeded.")
        if counts[0] != arity:
            raise Wrong(f"For f = {text}, with {arity} inputs, you ran {counts[0]} passes; "
                        f"seeding one input at a time takes exactly {arity}.")
    return ("the gradients of three functions you have not seen are right, each from exactly "
            "one forward pass per input.")


# --- exercise 03.3: a directional derivative in one pass --------------------------------


@exercise(
    "03.3",
    "a directional derivative in one pass",
    hints=(
        "the section 'Any seed at all: directional derivatives': nothing forces the seed "
        "to be 0s and a 1.",
        "Make one dual number per input, whose tangent is that input's component of the "
        "direction, and run f once on all of them. The result's tangent is the rate of "
        "change along the direction.",
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
        counted, counts = _counted(f)
        got = rate_along(counted, point, direction)
        expected = sum(g * d for g, d in zip(gradient(*point), direction))
        if not close(got, expected, 1e-12, 1e-12):
            raise Wrong(f"For f = {text} at {point} in the direction {direction}, you return "
                        f"{got!r}, but ∇f·v is {expected!r}.")
        if counts[0] != 1 or counts[1]:
            raise Wrong(f"You ran f {counts[0]} time(s) ({counts[1]} of them not on "
                        "dual numbers: on plain or complex numbers); a directional "
                        "derivative takes exactly one pass on dual numbers, whatever the "
                        "number of inputs.")
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
        "what does one forward pass fill in, a row or a column of the Jacobian? And one "
        "reverse sweep? The section 'The Jacobian of a program is a product' says.",
        "Count the passes each mode needs for the whole Jacobian from its number of "
        "columns (the inputs) and of rows (the outputs). Choose the mode that needs "
        "fewer, and forward on a tie.",
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
        "define_primitive adds a row to adlearn's rule table: read "
        "help(define_primitive), and look again at the row for mul that lesson 02 "
        "printed.",
        "Give define_primitive the name you are given and three functions: the value on a"
        " float, the value on a complex number (with cmath, so that the complex step can "
        "check you), and the partials, a function of (x, out) returning a one-element "
        "tuple. Write the partial with adlearn's exp, not math's: it must work on dual "
        "numbers too, for derivatives of derivatives.",
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
    refuse_complex_arithmetic(RULES[name].partials, why=(
        "The partial is the derivative rule itself, written with adlearn's exp: the complex "
        "step is what checks it, so it cannot be what computes it."))
    for z in (complex(0.3, 0.7), complex(-1.2, -0.4)):
        try:
            got_z = complex(softplus(z))
        except TypeError:
            raise Wrong("softplus does not accept a complex number, so the complex step "
                        "cannot check it: give define_primitive a complex_ function "
                        "(with cmath).") from None
        want_z = cmath.log(1 + cmath.exp(z))
        if abs(got_z - want_z) > 1e-13 * abs(want_z):
            raise Wrong(f"softplus({z}) is {got_z}, but log(1 + e^z) is {want_z}. complex_ "
                        "must compute softplus itself on any complex number, with cmath, "
                        "not only near the real axis: only then is the complex step an "
                        "independent check of your partial.")
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
    for x in points[:3]:
        sigma = 1 / (1 + math.exp(-x))
        try:
            second = nested_derivative(lambda t: nested_derivative(softplus, t), x)
        except TypeError:
            raise Wrong("your softplus has a first derivative, but it cannot be differentiated "
                        "again: a second derivative (lesson 07) sends dual numbers into your "
                        "partial, and math's exp refuses them. Write the partial with adlearn's "
                        "exp, which works on floats and dual numbers alike.") from None
        if not close(second, sigma * (1 - sigma), 1e-12, 1e-13):
            raise Wrong(f"At x = {x:.6g}, the second derivative of your softplus is {second!r}, "
                        f"but it should be {sigma * (1 - sigma)!r}.")
    return (f"softplus is one primitive; its value, its complex step and both modes agree "
            f"with log(1 + eˣ) and 1/(1 + e⁻ˣ) to 13 digits at {len(points)} points, and its "
            "derivative can be differentiated again.")

