"""Derivatives of whole functions, built on `Dual` (forward) and `Variable` (reverse).

* `derivative(f, x)`: f'(x) for a function of one number, in one forward pass.
* `gradient(f, point)`: every partial derivative of a scalar function, in one
  forward recording and one backward sweep.
* `jacobian_forward(f, point)`: the m × n Jacobian in n forward passes, one column
  per pass, by seeding one input at a time.
* `jacobian_reverse(f, point)`: the same matrix in m backward sweeps, one row each.
* `jvp(f, point, direction)` and `vjp(f, point, cotangent)`: a Jacobian times a
  vector, from the right (forward mode) or from the left (reverse mode).

In every case ``f`` is an ordinary Python function of numbers, called as
``f(*point)``; it may return one number or a list of numbers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from .core import Node
from .dual import Dual
from .variable import Variable, backpropagate

Matrix = list[list[Any]]

_fresh_tags = itertools.count(1)


def new_tag() -> int:
    """A tag no Dual has used yet: it keeps nested derivatives apart."""
    return next(_fresh_tags)


def tangent(result: Any, tag: int) -> Any:
    """The derivative carried by `result` for the perturbation `tag` (0 if none).

    It also looks at the numbers `result` carries (its value and tangent, and
    theirs), and raises `PerturbationError` rather than return a wrong number when
    a perturbation leaked out of an inner derivative or is buried in a Variable.
    """
    on_top = isinstance(result, Dual) and result.tag == tag
    for number in _carried_numbers([result.value, result.derivative] if on_top else [result]):
        if isinstance(number, Dual) and number.tag > tag:
            raise PerturbationError(_leaked_message())
        if isinstance(number, Dual) and number.tag == tag:
            raise PerturbationError(_buried_message(result))
    if on_top:
        return result.derivative
    if isinstance(result, (int, float, Node)) and not isinstance(result, bool):
        return 0.0  # the result does not depend on this input
    raise _bad_output(result)


class PerturbationError(RuntimeError):
    """A derivative's result holds a perturbation it cannot account for.

    Two mistakes can be seen in the result of ``f(x + ε)``:

    * a *leaked* perturbation: a Dual tagged by a derivative that started inside f
      and has already returned (so every one of its tangents should have been
      read off). It escaped, usually through a variable kept from inside the inner
      function (a list, a dict, a cache), and now mixes into this derivative.
    * a *buried* perturbation: this derivative's own Dual sits inside a `Variable`
      (reverse mode around forward mode), where reading the tangent would miss it.
    """


def _carried_numbers(numbers: Sequence[Any]) -> list[Node]:
    """Every Dual and Variable in `numbers`, and in the values and tangents they
    carry, and in theirs, and so on (iteratively). The graphs they were computed
    from are not visited: only what each number carries.
    """
    found: list[Node] = []
    stack = [n for n in reversed(numbers) if isinstance(n, Node)]
    while stack:
        node = stack.pop()
        found.append(node)
        carried = [node.value]
        if isinstance(node, Dual):
            carried.append(node.derivative)
        stack.extend(n for n in reversed(carried) if isinstance(n, Node))
    return found


def _leaked_message() -> str:
    return (
        "A leaked perturbation: the result of f holds a Dual from a derivative that ran "
        "inside f and has already returned. Its tangent was never read off, so it would "
        "silently mix into this derivative (plain derivative() gives a wrong number here). "
        "Usually a Dual escaped from the inner function through a list, a dict, a cache "
        "or a global. Use value_and_derivative(g, y) to get the inner function's value "
        "with its perturbation removed."
    )


def _buried_message(result: Any) -> str:
    return (
        f"This derivative's perturbation is buried inside {type(result).__name__}: f "
        "mixed its Dual input with a Variable from an enclosing gradient (reverse mode "
        "around forward mode), and reading the tangent would give 0. Nest them the "
        "other way round: a Variable whose value is a Dual (forward over reverse), as "
        "adlearn.higher.hessian_vector_product does."
    )


def derivative(f: Callable[[Any], Any], x: float) -> Any:
    """f'(x) by forward mode: one evaluation of f on the dual number x + 1·ε."""
    _check_point([x], "derivative(f, x)")
    tag = new_tag()
    result = f(Dual(x, 1.0, tag=tag))
    return tangent(_single_output(result, "derivative", "jacobian_forward"), tag)


def gradient(f: Callable[..., Any], point: Sequence[float]) -> tuple[Any, ...]:
    """All partial derivatives of a scalar f at `point`, by reverse mode.

    >>> gradient(lambda x, y: x * y, [2.0, 5.0])
    (5.0, 2.0)
    """
    inputs = _variables(point, "gradient(f, point)")
    result = _single_output(f(*inputs), "gradient", "jacobian_reverse")
    if isinstance(result, Variable):
        result.backward()
    return tuple(x.grad for x in inputs)


def jacobian_forward(f: Callable[..., Any], point: Sequence[float]) -> Matrix:
    """The Jacobian matrix by forward mode: n passes, one seeded input per pass."""
    _check_point(point, "jacobian_forward(f, point)")
    columns = []
    for j in range(len(point)):
        tag = new_tag()
        seeded = [Dual(v, 1.0 if i == j else 0.0, tag=tag) for i, v in enumerate(point)]
        columns.append([tangent(y, tag) for y in _outputs(f(*seeded))])
    return [list(row) for row in zip(*columns)]


def jacobian_reverse(f: Callable[..., Any], point: Sequence[float]) -> Matrix:
    """The Jacobian matrix by reverse mode: one recording, one backward sweep per output."""
    inputs = _variables(point, "jacobian_reverse(f, point)")
    rows = []
    for y in _outputs(f(*inputs)):
        for x in inputs:
            x.grad = 0.0
        if isinstance(y, Variable):
            y.backward()
        rows.append([x.grad for x in inputs])
    return rows


def jvp(f: Callable[..., Any], point: Sequence[float], direction: Sequence[float]) -> Any:
    """J·v: how fast each output changes when the input moves along `direction`.

    One forward pass, whatever the number of inputs. Returns a number for a scalar f,
    a list for a vector f.
    """
    _check_point(point, "jvp(f, point, direction)")
    _check_point(direction, "jvp(f, point, direction)")
    _same_length(point, direction, "direction")
    tag = new_tag()
    result = f(*[Dual(v, d, tag=tag) for v, d in zip(point, direction)])
    if isinstance(result, (list, tuple)):
        return [tangent(y, tag) for y in result]
    return tangent(result, tag)


def vjp(
    f: Callable[..., Any], point: Sequence[float], cotangent: Sequence[float]
) -> tuple[Any, ...]:
    """uᵀ·J: the gradient of the weighted sum of outputs, in one backward sweep."""
    inputs = _variables(point, "vjp(f, point, cotangent)")
    outputs = _outputs(f(*inputs))
    _same_length(outputs, cotangent, "cotangent")
    recorded = [(y, u) for y, u in zip(outputs, cotangent) if isinstance(y, Variable)]
    backpropagate([y for y, _ in recorded], [u for _, u in recorded])
    return tuple(x.grad for x in inputs)


# --- checking what the learner passed in -------------------------------------------


def _check_point(point: Any, call: str) -> None:
    if isinstance(point, (str, bytes)) or not isinstance(point, Sequence):
        if isinstance(point, (int, float, Node)):
            return
        raise TypeError(f"{call}: expected a list of numbers such as [2.0, 10.0], got {point!r}.")
    for v in point:
        if isinstance(v, bool) or not isinstance(v, (int, float, Node)):
            raise TypeError(f"{call}: every coordinate must be a number, got {v!r}.")


def _variables(point: Any, call: str) -> list[Variable]:
    if isinstance(point, (int, float)):
        raise TypeError(
            f"{call}: `point` must be a list of numbers, one per argument of f, "
            f"for example [{point!r}]. For a function of one number, derivative(f, x) "
            "also works."
        )
    _check_point(point, call)
    return [Variable(v, name=f"x{i + 1}") for i, v in enumerate(point)]


def _outputs(result: Any) -> list[Any]:
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    for y in outputs:
        if isinstance(y, bool) or not isinstance(y, (int, float, Node)):
            raise _bad_output(y)
    return outputs


def _single_output(result: Any, name: str, vector_version: str) -> Any:
    if isinstance(result, (list, tuple)):
        raise TypeError(
            f"{name}() needs f to return a single number, but f returned "
            f"{type(result).__name__} of {len(result)} values. "
            f"For a function with several outputs, use {vector_version}()."
        )
    return result


def _same_length(a: Sequence[Any], b: Sequence[Any], label: str) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"`{label}` has {len(b)} number(s), but it needs {len(a)}: one for each "
            f"{'output' if label == 'cotangent' else 'input'} of f."
        )


def _bad_output(y: Any) -> TypeError:
    return TypeError(
        f"f returned {y!r} (of type {type(y).__name__}), which is not a number. "
        "f should return a number, or a list of numbers; did it forget `return`?"
    )
