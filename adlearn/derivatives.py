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

import numbers
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .core import LEAKED, NO_TANGENT, Node, PerturbationError, Tag, new_tag
from .dual import Dual
from .variable import Variable, backpropagate

Matrix = list[list[Any]]


def tangent(result: Any, tag: Tag) -> Any:
    """The derivative carried by `result` for the perturbation `tag` (0 if none).

    It also looks at the numbers `result` carries (its value and tangent, and
    theirs), and raises `PerturbationError` rather than return a wrong number when
    a perturbation leaked out of an inner derivative or is buried in a Variable.
    """
    on_top = isinstance(result, Dual) and result.tag is tag
    for number in _carried_numbers([result.value, result.derivative] if on_top else [result]):
        if isinstance(number, Dual) and number.tag.level > tag.level:
            raise PerturbationError(LEAKED)
        if isinstance(number, Dual) and number.tag is tag:
            raise PerturbationError(_buried_message(result))
    if on_top:
        slope = result.derivative
        return 0.0 if type(slope) is int and slope == 0 else slope  # NO_TANGENT: 0.0
    if is_number(result):
        return 0.0  # the result does not depend on this input
    raise _bad_output(result)


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
    check_point([x], "derivative(f, x)")
    with perturbation() as tag:
        result = f(Dual(x, 1.0, tag=tag))
        return tangent(single_output(result, "derivative", "jacobian_forward"), tag)


def gradient(f: Callable[..., Any], point: Sequence[float]) -> tuple[Any, ...]:
    """All partial derivatives of a scalar f at `point`, by reverse mode.

    >>> gradient(lambda x, y: x * y, [2.0, 5.0])
    (5.0, 2.0)
    """
    with perturbation() as tag:
        inputs = _variables(point, "gradient(f, point)", tag)
        result = single_output(f(*inputs), "gradient", "jacobian_reverse")
        if _recorded(result, tag):
            result.backward()
        return tuple(x.grad for x in inputs)


def jacobian_forward(f: Callable[..., Any], point: Sequence[float]) -> Matrix:
    """The Jacobian matrix by forward mode: n passes, one seeded input per pass."""
    point = as_list(point, "jacobian_forward(f, point)")
    columns = []
    for j in range(len(point)):
        with perturbation() as tag:
            seeded = [seed(v, 1.0 if i == j else 0.0, tag) for i, v in enumerate(point)]
            columns.append([tangent(y, tag) for y in _outputs(f(*seeded))])
    if not columns:  # no inputs: one empty row per output, as jacobian_reverse gives
        return [[] for _ in _outputs(f())]
    return [list(row) for row in zip(*columns)]


def jacobian_reverse(f: Callable[..., Any], point: Sequence[float]) -> Matrix:
    """The Jacobian matrix by reverse mode: one recording, one backward sweep per output."""
    with perturbation() as tag:
        inputs = _variables(point, "jacobian_reverse(f, point)", tag)
        rows = []
        for y in _outputs(f(*inputs)):
            for x in inputs:
                x.grad = 0.0
            if _recorded(y, tag):
                y.backward()
            rows.append([x.grad for x in inputs])
        return rows


def jvp(f: Callable[..., Any], point: Sequence[float], direction: Sequence[float]) -> Any:
    """J·v: how fast each output changes when the input moves along `direction`.

    One forward pass, whatever the number of inputs. Returns a number for a scalar f,
    a list for a vector f.
    """
    call = "jvp(f, point, direction)"
    point, direction = as_list(point, call), as_list(direction, call, "direction")
    same_length(point, direction, "direction")
    with perturbation() as tag:
        result = f(*[seed(v, d, tag) for v, d in zip(point, direction)])
        if isinstance(result, (list, tuple)):
            return [tangent(y, tag) for y in result]
        return tangent(result, tag)


def vjp(
    f: Callable[..., Any], point: Sequence[float], cotangent: Sequence[float]
) -> tuple[Any, ...]:
    """uᵀ·J: the gradient of the weighted sum of outputs, in one backward sweep."""
    call = "vjp(f, point, cotangent)"
    cotangent = as_list(cotangent, call, "cotangent")
    with perturbation() as tag:
        inputs = _variables(point, call, tag)
        outputs = _outputs(f(*inputs))
        same_length(outputs, cotangent, "cotangent")
        recorded = [(y, u) for y, u in zip(outputs, cotangent) if _recorded(y, tag)]
        backpropagate([y for y, _ in recorded], [u for _, u in recorded])
        return tuple(x.grad for x in inputs)


def seed(value: Any, tangent: Any, tag: Tag) -> Dual:
    """An input of a forward pass. An input that does not move gets NO_TANGENT, a
    structural zero: it contributes nothing, even through an infinite partial."""
    dual = Dual(value, tangent, tag=tag)
    if not isinstance(tangent, Node) and tangent == 0:
        dual.derivative = NO_TANGENT
    return dual


@contextmanager
def perturbation() -> Iterator[Tag]:
    """A fresh tag for one derivative, marked finished when the derivative returns."""
    tag = new_tag()
    try:
        yield tag
    finally:
        tag.finished = True


def _recorded(y: Any, tag: Tag) -> bool:
    """Is `y` a Variable of this derivative (and not a constant, or an outer number)?"""
    return isinstance(y, Variable) and y.tag is tag


# --- checking what the learner passed in -------------------------------------------


def check_point(point: Any, call: str) -> None:
    if isinstance(point, (str, bytes)) or not isinstance(point, Sequence):
        if is_number(point):
            return
        raise TypeError(f"{call}: expected a list of numbers such as [2.0, 10.0], got {point!r}.")
    for v in point:
        if not is_number(v):
            raise TypeError(f"{call}: every coordinate must be a number, got {v!r}.")


def as_list(values: Any, call: str, label: str = "point") -> list[Any]:
    """`values` as a list of numbers, or an error that shows what to pass instead."""
    if callable(getattr(values, "tolist", None)) and getattr(values, "ndim", 0) == 1:
        values = values.tolist()  # a NumPy vector: its numbers, one per input
    if is_number(values):
        one_per = "output" if label == "cotangent" else "input"
        raise TypeError(
            f"{call}: `{label}` must be a list of numbers, one per {one_per} of f, for "
            f"example [{values!r}]. For a function of one number, derivative(f, x) also works."
        )
    check_point(values, call)
    return list(values)


def _variables(point: Any, call: str, tag: Tag) -> list[Variable]:
    point = as_list(point, call)
    return [Variable(v, name=f"x{i + 1}", tag=tag) for i, v in enumerate(point)]


def _outputs(result: Any) -> list[Any]:
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    for y in outputs:
        if not is_number(y):
            raise _bad_output(y)
    return outputs


def single_output(result: Any, name: str, vector_version: str) -> Any:
    """What f returned, if it is one number (a constant one too); else a clear error."""
    if isinstance(result, (list, tuple)):
        raise TypeError(
            f"{name}() needs f to return a single number, but f returned "
            f"{type(result).__name__} of {len(result)} values. "
            f"For a function with several outputs, use {vector_version}()."
        )
    if not is_number(result):
        raise _bad_output(result)
    return result


def is_number(y: Any) -> bool:
    """A number f may return: an adlearn number, or a real constant (NumPy's too)."""
    return isinstance(y, (Node, numbers.Real)) and not isinstance(y, bool)


def same_length(a: Sequence[Any], b: Sequence[Any], label: str) -> None:
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
