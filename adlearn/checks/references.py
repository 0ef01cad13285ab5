"""Independent ways to get a derivative: the references that judge adlearn.

The references here never use `Dual` or `Variable`, so they can judge them:

* `forward_difference` and `central_difference`: the definition of the derivative,
  with a small but finite step ``h``.
* `complex_step`: ``Im f(x + ih) / h``, exact to rounding for smooth functions
  written with operations that accept complex numbers.

`primitive_errors` uses them to check one rule of the table in both modes.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from ..core import RULES
from ..derivatives import derivative, gradient

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
    """Are two numbers (or equally long lists of numbers) equal within tolerance?

    Any real number type counts (int, float, numpy scalars); a numpy array counts
    as the list of its entries.
    """
    actual, expected = _plain(actual), _plain(expected)
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(actual, (list, tuple))
            and len(actual) == len(expected)
            and all(close(a, e, rtol, atol) for a, e in zip(actual, expected))
        )
    if isinstance(actual, bool) or not isinstance(actual, numbers.Real):
        return False
    actual, expected = float(actual), float(expected)
    if math.isnan(expected):
        return math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol)


def _plain(x: Any) -> Any:
    """numpy arrays and scalars as Python lists and numbers (without importing numpy)."""
    tolist = getattr(x, "tolist", None)
    return tolist() if callable(tolist) and not isinstance(x, (list, tuple)) else x


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
