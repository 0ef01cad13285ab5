"""The checks of lesson 00, "Why differentiate programs".

Each check tries the learner's code on functions and points the lesson does not show,
and tests the method as well as the number: a central difference must call ``f`` at
``x + h`` and ``x - h`` (two calls), a forward-difference gradient must call ``f``
exactly ``n + 1`` times, a best step must be found by measuring.
"""

from __future__ import annotations

import cmath
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..derivatives import derivative, gradient
from .exercise import ShortcutUsed, Wrong, exercise, unseen_points
from .references import central_difference, numerical_gradient

EPS = 2.0**-52  # machine epsilon of a float


class _Recorder:
    """A function that remembers every argument list it was called with."""

    def __init__(self, function: Callable[..., float]) -> None:
        self.function = function
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> float:
        self.calls.append(args)
        return self.function(*args)


def _number(value: Any, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        and not hasattr(value, "__float__")
    ):
        raise Wrong(f"{what} should be a number, but it is {value!r}")
    return float(value)


# --- 00.1 -----------------------------------------------------------------------------


@exercise(
    "00.1",
    "the central difference",
    hints=(
        "look back at the section 'Finite differences': where the forward difference "
        "moves x one way, the central difference moves it both ways, by the same step.",
        "Call f twice, once a step above x and once a step below, and never at x itself. "
        "Divide the difference of the two values by the distance between the two points, "
        "which is twice the step; mind which operations Python does first in that "
        "division.",
        "def my_central_difference(f, x, h):\n    return (f(x + h) - f(x - h)) / (2 * h)",
    ),
    forbid=(central_difference, derivative, numerical_gradient),
    why="Write the formula yourself: it is one line.",
)
def check_central_difference(my_central_difference: Callable[..., Any]) -> str:
    points = unseen_points("00.1", 6, -2.0, 2.0)
    steps = [10.0**-k for k in (1, 2, 3, 4, 2, 3)]
    scales = unseen_points("00.1 scale", 6, 0.5, 3.0)
    for x, h, a in zip(points, steps, scales):
        recorded = _Recorder(lambda t, a=a: math.sin(a * t) + t**3 / 3)
        got = _number(
            my_central_difference(recorded, x, h), f"my_central_difference(f, {x:.3g}, {h:g})"
        )
        where = sorted(float(args[0]) for args in recorded.calls)
        if len(where) != 2:
            raise Wrong(
                f"with h = {h:g}, your function called f {len(where)} time(s); a central "
                "difference needs exactly two calls"
            )
        if not (
            math.isclose(where[0], x - h, abs_tol=1e-12)
            and math.isclose(where[1], x + h, abs_tol=1e-12)
        ):
            shown = ", ".join(f"{t - x:+.3g}" for t in where)
            raise Wrong(
                f"f was called at x {shown} (relative to x); a central difference calls it "
                f"at x - h and x + h, with h = {h:g}"
            )
        expected = (recorded.function(x + h) - recorded.function(x - h)) / (2 * h)
        if not math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12):
            hint = (
                " (did you divide by h instead of 2 * h?)"
                if math.isclose(got, 2 * expected, rel_tol=1e-9)
                else ""
            )
            raise Wrong(
                f"my_central_difference(f, {x:.3g}, {h:g}) is {got:.10g}, but the central "
                f"difference of the values f returned is {expected:.10g}{hint}"
            )
    return (
        "your central difference calls f twice, at x - h and x + h, and gives the right "
        f"quotient at {len(points)} points and steps you had not seen."
    )


# --- 00.2 -----------------------------------------------------------------------------


def _forward_error_of_exp(h: float) -> float:
    return abs((math.exp(0.0 + h) - math.exp(0.0)) / h - 1.0)


@contextmanager
def _no_exponential() -> Iterator[None]:
    """While inside, every exp a learner can reach refuses: a prediction is not a measurement."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ShortcutUsed(
            "This exercise asks you to predict from the error model, before running anything, "
            "so exp() is switched off while your predictions are checked."
        )

    places: list[Any] = [math, cmath, sys.modules.get("numpy"), sys.modules.get("adlearn")]
    places.append(sys.modules.get("__main__"))
    saved = [(place, place.exp) for place in places if place is not None and hasattr(place, "exp")]
    for place, _ in saved:
        place.exp = refuse
    try:
        yield
    finally:
        for place, original in saved:
            place.exp = original


@exercise(
    "00.2",
    "predict truncation and round-off",
    hints=(
        "use the error model of 'Smaller is not always better': one term for truncation, "
        "one for round-off. Which of them is large at a big step, and which at a tiny "
        "one?",
        "For each step, estimate both terms from what you know about exp at 0 (its value "
        "and all its derivatives are 1) and about machine epsilon; your prediction for "
        "that step is the larger of its two terms.",
        "def my_predictions():\n"
        "    truncation = 1e-3 / 2  # h/2 |f''| with f'' = 1; round-off is far smaller here\n"
        "    round_off = 2.2e-16 / 1e-13  # about eps/h; truncation is far smaller here\n"
        "    return (truncation, round_off)",
    ),
    why="",
)
def check_predictions(my_predictions: Callable[[], Any]) -> str:
    with _no_exponential():
        predicted = my_predictions()
    # measured only after the predictions are in, so they cannot be read from this frame
    measured_errors = {h: _forward_error_of_exp(h) for h in (1e-3, 1e-13)}
    if not isinstance(predicted, (tuple, list)) or len(predicted) != 2:
        raise Wrong(
            "my_predictions() should return two numbers: the error at h = 1e-3, then the "
            f"error at h = 1e-13; it returned {predicted!r}"
        )
    lines = []
    for h, guess in zip((1e-3, 1e-13), predicted):
        guess = _number(guess, f"your prediction for h = {h:g}")
        if not guess > 0:
            raise Wrong(
                f"an error is a size, a positive number; for h = {h:g} you predicted {guess!r}"
            )
        measured = measured_errors[h]
        if abs(math.log10(guess / measured)) > 1:
            regime = "truncation" if h > 1e-8 else "round-off"
            bigger = "larger" if measured > guess else "smaller"
            raise Wrong(
                f"for h = {h:g} you predicted an error of {guess:.2g}, but the measured error "
                f"is {measured:.2g}, more than ten times {bigger}. "
                f"At this step {regime} error dominates"
            )
        lines.append(f"h = {h:g}: predicted {guess:.1e}, measured {measured:.1e}")
    return (
        "both predictions are within a factor of 10 of the measurement ("
        + "; ".join(lines)
        + "). Two steps 10 orders of magnitude apart give errors of the same size."
    )


# --- 00.3 -----------------------------------------------------------------------------


def _candidate_steps() -> list[float]:
    return [10.0 ** (-k / 4) for k in range(65)]


@exercise(
    "00.3",
    "measure the best step",
    hints=(
        "the exercise says measure, not derive: the best step depends on the function and"
        " the point, so no formula from the error model will do. You know the exact "
        "answer, so you can see each step's error.",
        "Try every step in STEPS: for each one, compute your central difference at x and "
        "how far it lands from exact, and keep the step whose distance is the smallest. "
        "Python's min can compare the steps by a key you give it.",
        "def best_step(f, x, exact):\n"
        "    return min(STEPS, key=lambda h: abs(my_central_difference(f, x, h) - exact))",
    ),
    forbid=(derivative, central_difference),
    why="The point is to measure the error at each step yourself, with your own "
    "my_central_difference from 00.1.",
)
def check_best_step(best_step: Callable[..., Any]) -> str:
    steps = _candidate_steps()
    found = []
    for k, x in zip((100.0, 1.0, 0.01), unseen_points("00.3", 3, 0.2, 1.2)):
        x = x / k  # keep k x in the same range, so the function is neither flat nor tiny
        f = _Recorder(lambda t, k=k: math.sin(k * t) + 2.0)
        exact = k * math.cos(k * x)

        def error(h: float, f: _Recorder = f, x: float = x, exact: float = exact) -> float:
            return abs((f.function(x + h) - f.function(x - h)) / (2 * h) - exact)

        h = _number(best_step(f, x, exact), f"best_step for sin({k:g} x) + 2")
        if not h > 0:
            raise Wrong(f"a step must be positive, but best_step returned {h!r}")
        if len(f.calls) < 2 * 10:
            raise Wrong(
                f"best_step called f only {len(f.calls)} times: that is too few to measure "
                "the error over the range of steps"
            )
        best = min(error(s) for s in steps)
        if error(h) > 3 * best + 4 * EPS * abs(exact):
            raise Wrong(
                f"for sin({k:g} x) + 2 at x = {x:.3g}, your step h = {h:.2g} gives an error of "
                f"{error(h):.2g}, but a step in STEPS reaches {best:.2g}"
            )
        found.append(h)
    shown = ", ".join(f"{h:.1e}" for h in found)
    return (
        f"your measured best steps ({shown} for sin(100 x), sin(x), sin(0.01 x)) give the "
        "smallest error: the best h depends on the function, so it has to be measured."
    )


# --- 00.4 -----------------------------------------------------------------------------


def _w_function() -> Callable[..., float]:
    """The test function of 00.4; its coefficients live only in this closure."""
    a, b, c = unseen_points("00.4 coefficients", 3, 0.5, 2.0)

    def w(x: float, y: float, z: float) -> float:
        return a * x * x + b * y * z - c * z + math.sin(x)

    return w


def _w_gradient(x: float, y: float, z: float) -> list[float]:
    """The exact gradient of `_w_function()`, computed only after the learner's call has
    returned, so that no frame the learner can reach while it runs holds the answer."""
    a, b, c = unseen_points("00.4 coefficients", 3, 0.5, 2.0)
    return [2 * a * x + math.cos(x), b * z, b * y - c]


def _compare_with_w(answer: Any, point: list[float]) -> None:
    """Compare in a frame of its own, which is gone before the next call of the learner's
    function: the check's frame never holds an exact gradient."""
    got = _partials(answer, 3)
    for i, (g, e) in enumerate(zip(got, _w_gradient(*point))):
        if not math.isclose(g, e, rel_tol=1e-5, abs_tol=1e-5):
            raise Wrong(
                f"at a point you have not seen, partial derivative {i + 1} is {g:.6g}, "
                f"but it should be {e:.6g}"
            )


def _partials(got: Any, n: int) -> list[float]:
    if not isinstance(got, (list, tuple)) or len(got) != n:
        raise Wrong(
            f"for a function of {n} inputs, forward_gradient should return {n} partial "
            f"derivatives, but it returned {got!r}"
        )
    return [_number(g, f"partial derivative {i + 1}") for i, g in enumerate(got)]


@exercise(
    "00.4",
    "a gradient with n + 1 runs",
    hints=(
        "the section 'The cost of a gradient': a forward difference for one input moves "
        "only that input, and every input's difference shares the same run at the unmoved"
        " point.",
        "Run f once at the point itself and keep the value. Then, for each input in turn,"
        " copy the point, move only that input by h, run f on the copy, and turn the "
        "change from the kept value into a slope. Return the slopes as a list, one per "
        "input.",
        "def forward_gradient(f, point, h=1e-7):\n"
        "    base = f(*point)\n"
        "    partials = []\n"
        "    for i in range(len(point)):\n"
        "        moved = list(point)\n"
        "        moved[i] = moved[i] + h\n"
        "        partials.append((f(*moved) - base) / h)\n"
        "    return partials",
    ),
    forbid=(gradient, numerical_gradient, central_difference, derivative),
    why="Count the runs yourself: finite differences, one input at a time.",
)
def check_forward_gradient(forward_gradient: Callable[..., Any]) -> str:
    coordinates = unseen_points("00.4", 9, -2.0, 2.0)
    for point in (coordinates[0:3], coordinates[3:6], coordinates[6:9]):
        _compare_with_w(forward_gradient(_w_function(), list(point)), point)
    for n in (1, 2, 7, 50):
        counted = _Recorder(lambda *xs: sum(x * x for x in xs))
        point = unseen_points(f"00.4 count {n}", n, -2.0, 2.0)
        got = _partials(forward_gradient(counted, list(point)), n)
        if any(len(args) != n for args in counted.calls):
            raise Wrong(f"f takes its {n} inputs as separate arguments: call it as f(*point)")
        if len(counted.calls) != n + 1:
            raise Wrong(
                f"with {n} inputs your gradient called f {len(counted.calls)} times, but "
                f"{n} + 1 = {n + 1} are enough"
            )
        for i, (g, x) in enumerate(zip(got, point)):
            if not math.isclose(g, 2 * x, rel_tol=1e-5, abs_tol=1e-5):
                raise Wrong(
                    f"for the sum of the squares of {n} inputs, partial derivative {i + 1} "
                    f"is {g:.6g}, but it should be 2 × {x:.6g} = {2 * x:.6g}"
                )
    return (
        "right partial derivatives at 3 points you had not seen, and exactly n + 1 runs "
        "of f for n = 1, 2, 7 and 50 inputs."
    )
