"""Independent ways to get a derivative, and checks built on them.

The references here never use `Dual` or `Variable`, so they can judge them:

* `forward_difference` and `central_difference`: the definition of the derivative,
  with a small but finite step ``h``.
* `complex_step`: ``Im f(x + ih) / h``, exact to rounding for smooth functions
  written with operations that accept complex numbers.

The same helpers check the exercises in the lessons: `check_function` and
`check_close` return a `CheckResult` that says *right*, or what is wrong and a hint.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .core import RULES
from .derivatives import derivative, gradient

# --- numerical references -----------------------------------------------------------


def forward_difference(f: Callable[[float], Any], x: float, h: float = 1e-6) -> float:
    """(f(x + h) - f(x)) / h: error shrinks like h, until rounding takes over."""
    return (f(x + h) - f(x)) / h


def central_difference(f: Callable[[float], Any], x: float, h: float = 1e-6) -> float:
    """(f(x + h) - f(x - h)) / 2h: error shrinks like h², until rounding takes over."""
    return (f(x + h) - f(x - h)) / (2 * h)


def complex_step(f: Callable[[complex], Any], x: float, h: float = 1e-20) -> float:
    """Im f(x + ih) / h: no subtraction, so no cancellation; h can be tiny."""
    result = f(complex(x, h))
    imag = result.imag if hasattr(result, "imag") else 0.0
    return float(imag) / h


def along_coordinate(f: Callable[..., Any], point: Sequence[Any], i: int) -> Callable[[Any], Any]:
    """f as a function of coordinate i alone, the others held at `point`."""

    def along(t: Any) -> Any:
        moved = list(point)
        moved[i] = t
        return f(*moved)

    return along


def numerical_gradient(
    f: Callable[..., Any], point: Sequence[float], h: float = 1e-6
) -> tuple[float, ...]:
    """Central differences in each coordinate: 2n evaluations of f."""
    return tuple(
        central_difference(along_coordinate(f, point, i), point[i], h) for i in range(len(point))
    )


def close(actual: Any, expected: Any, rtol: float = 1e-7, atol: float = 1e-9) -> bool:
    """Are two numbers (or equally long lists of numbers) equal within tolerance?"""
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(actual, (list, tuple))
            and len(actual) == len(expected)
            and all(close(a, e, rtol, atol) for a, e in zip(actual, expected))
        )
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return False
    if math.isnan(expected):
        return math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol)


# --- checking a primitive of the rule table -------------------------------------------


def primitive_errors(name: str, point: Sequence[float], rtol: float = 1e-6) -> list[str]:
    """Compare one primitive's derivatives in both modes with independent references.

    For each input of the primitive, at `point`: the forward-mode derivative (Dual),
    the reverse-mode derivative (Variable), the complex-step derivative (when the
    primitive accepts complex numbers) and a central difference must agree. Returns
    a list of disagreements, empty when everything matches.
    """
    function = RULES[name].evaluate
    problems = []
    for i in range(len(point)):
        along = along_coordinate(function, point, i)
        forward = derivative(along, point[i])
        reverse = gradient(function, list(point))[i]
        step = 1e-6 * max(abs(point[i]), 1e-3)  # a step in proportion to the input
        references = {"central difference": (central_difference(along, point[i], step), 1e-5)}
        try:
            references["complex step"] = (complex_step(along, point[i]), rtol)
        except TypeError:
            pass  # not defined on complex numbers (relu, abs): central differences only
        for label, (reference, tolerance) in references.items():
            for mode, value in (("forward", forward), ("reverse", reverse)):
                if not close(value, reference, rtol=tolerance, atol=tolerance):
                    problems.append(
                        f"{name}{tuple(point)}: d/d(input {i + 1}) by {mode} mode is {value!r}, "
                        f"but the {label} gives {reference!r}"
                    )
    return problems


# --- checking exercises ------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a check: `passed`, and a message written for the learner."""

    passed: bool
    message: str
    done: bool = True  # False when the exercise has not been attempted yet

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = "✓" if self.passed else ("…" if not self.done else "✗")
        return f"{mark} {self.message}"

    def _repr_html_(self) -> str:
        colour = "#1b7f3a" if self.passed else ("#8a6d00" if not self.done else "#b00020")
        return (
            f'<div style="border-left:4px solid {colour};padding:4px 10px;margin:4px 0">'
            f"{html.escape(repr(self))}</div>"
        )


def check_close(
    actual: Any,
    expected: Any,
    *,
    what: str = "your answer",
    hint: str = "",
    rtol: float = 1e-7,
    atol: float = 1e-9,
) -> CheckResult:
    """Is `actual` equal to `expected` within tolerance? Say so in plain words.

    `actual` may be the learner's function itself (called with no arguments), so that
    an exercise still raising ``NotImplementedError`` reads as "not done yet".
    """
    if callable(actual):
        try:
            actual = actual()
        except NotImplementedError:
            return CheckResult(False, f"Not done yet: fill in {what}.", done=False)
    if actual is None or actual is Ellipsis:
        return CheckResult(False, f"Not done yet: fill in {what}.", done=False)
    if close(actual, expected, rtol, atol):
        return CheckResult(True, f"Right: {what} is {_short(expected)}.")
    actual_text, expected_text = _distinct(actual, expected)
    message = f"Not quite: {what} is {actual_text}, but it should be {expected_text}."
    return CheckResult(False, message + (f" Hint: {hint}" if hint else ""))


def check_function(
    candidate: Callable[..., Any],
    reference: Callable[..., Any],
    points: Sequence[Any],
    *,
    name: str = "your function",
    hint: str = "",
    rtol: float = 1e-7,
    atol: float = 1e-9,
) -> CheckResult:
    """Run `candidate` and `reference` at every point and compare the results.

    A point is a number, or a tuple of arguments. The candidate may still be a stub
    that raises ``NotImplementedError``: that gives a friendly "not done yet".
    """
    for point in points:
        args = point if isinstance(point, tuple) else (point,)
        shown = ", ".join(_short(a) for a in args)
        try:
            got = candidate(*args)
        except NotImplementedError:
            return CheckResult(
                False, f"Not done yet: {name} still raises NotImplementedError.", done=False
            )
        except Exception as error:  # the learner's code failed: report it, do not crash
            return CheckResult(
                False,
                f"{name}({shown}) raised {type(error).__name__}: {str(error).rstrip('.')}."
                + (f" Hint: {hint}" if hint else ""),
            )
        expected = reference(*args)
        if not close(got, expected, rtol, atol):
            got_text, expected_text = _distinct(got, expected)
            return CheckResult(
                False,
                f"{name}({shown}) returned {got_text}, but it should be {expected_text}."
                + (f" Hint: {hint}" if hint else ""),
            )
    return CheckResult(True, f"Right: {name} matches at all {len(points)} test points.")


def _distinct(a: Any, b: Any) -> tuple[str, str]:
    """Short forms of two numbers, with all their digits when the short ones look equal."""
    if _short(a) != _short(b):
        return _short(a), _short(b)
    return repr(a), repr(b)


def _short(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in x) + "]"
    return repr(x)
