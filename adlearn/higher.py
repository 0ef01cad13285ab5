"""Beyond first derivatives: nesting the types, perturbation checks, checkpointing.

Everything here is built from `Dual`, `Variable` and the functions of
``derivatives.py``; no derivative rule is written again.

* `second_derivative(f, x)`: f''(x), a `derivative` of a `derivative`.
* `hessian_vector_product(f, point, vector)`: H·v by *forward over reverse*: the
  reverse sweep of `gradient` runs on Variables whose values are `Dual` numbers, so
  every adjoint carries a tangent, and the tangent of the gradient along v is H·v.
* `hessian(f, point)`: the whole matrix, one Hessian-vector product per column.
* `value_and_derivative(f, x)`: f(x) with its perturbation removed, and f'(x).
* `iterate(step, x, n_steps)` and `checkpointed_gradient(step, x0, n_steps, every)`:
  the derivative of a long chain of steps, keeping only every k-th state during the
  forward sweep and recomputing one segment at a time during the backward sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .core import Node, topological_order
from .derivatives import (
    Matrix,
    as_list,
    check_point,
    derivative,
    perturbation,
    same_length,
    seed,
    single_output,
    tangent,
)
from .dual import Dual
from .variable import Variable, backpropagate

# --- higher derivatives by nesting -------------------------------------------------


def second_derivative(f: Callable[[Any], Any], x: float) -> Any:
    """f''(x): forward mode applied to forward mode.

    The inner `derivative` runs on the Dual numbers of the outer one; each call has
    its own tag, so the two perturbations never mix.
    """
    return derivative(lambda t: derivative(f, t), x)


def hessian_vector_product(
    f: Callable[..., Any], point: Sequence[float], vector: Sequence[float]
) -> tuple[Any, ...]:
    """H·v, the Hessian of a scalar f at `point` times `vector`, by forward over reverse.

    Each input is ``Variable(Dual(p, v))``: a Variable for the reverse sweep, whose
    value is a Dual number pushed along `vector`. The sweep computes the gradient with
    Dual arithmetic, so every ``.grad`` comes out as ``Dual(gradient, H·v)``. Its cost
    is a few gradients, whatever the number of inputs, and no n × n matrix is built.

    >>> hessian_vector_product(lambda x, y: x * x * y, [1.0, 2.0], [1.0, 0.0])
    (4.0, 2.0)
    """
    call = "hessian_vector_product(f, point, vector)"
    point, vector = as_list(point, call), as_list(vector, call, "vector")
    same_length(point, vector, "vector")
    # The Duals first (the outer derivative), then the Variables of the gradient
    # inside it: a later tag records, so the sweep runs on Dual numbers.
    with perturbation() as along, perturbation() as sweep:
        inputs = [
            Variable(seed(p, v, along), name=f"x{i + 1}", tag=sweep)
            for i, (p, v) in enumerate(zip(point, vector))
        ]
        result = single_output(f(*inputs), "hessian_vector_product", "jacobian_forward")
        if isinstance(result, Variable) and result.tag is sweep:
            result.backward()
        return tuple(tangent(x.grad, along) for x in inputs)


def hessian(f: Callable[..., Any], point: Sequence[float]) -> Matrix:
    """The n × n matrix of second partial derivatives of a scalar f at `point`.

    Column j is H·eⱼ, one Hessian-vector product with the j-th unit vector.
    """
    point = as_list(point, "hessian(f, point)")
    n = len(point)
    columns = [
        hessian_vector_product(f, point, [1.0 if i == j else 0.0 for i in range(n)])
        for j in range(n)
    ]
    return [list(row) for row in zip(*columns)]


# --- perturbation checks -----------------------------------------------------------


def value_and_derivative(f: Callable[[Any], Any], x: float) -> tuple[Any, Any]:
    """f(x) and f'(x) from one forward pass.

    The value comes back with this derivative's perturbation removed, so it is safe
    to keep and use outside (unlike the Dual that f returns, which still carries it).
    Like every derivative in adlearn, it raises `PerturbationError` when the result
    holds a perturbation it cannot account for.
    """
    check_point([x], "value_and_derivative(f, x)")
    with perturbation() as tag:
        result = single_output(f(Dual(x, 1.0, tag=tag)), "value_and_derivative", "jvp")
        slope = tangent(result, tag)  # checks for leaked and buried perturbations
        on_top = isinstance(result, Dual) and result.tag is tag
        return (result.value if on_top else result), slope


# --- long chains and checkpointing --------------------------------------------------


def iterate(step: Callable[[Any], Any], x: Any, n_steps: int) -> Any:
    """``step(step(...step(x)))``, n_steps times: a long chain of the same step."""
    for _ in range(n_steps):
        x = step(x)
    return x


@dataclass(frozen=True)
class CheckpointedGradient:
    """What `checkpointed_gradient` found, and what it cost.

    * ``value``: the final state, ``iterate(step, x0, n_steps)``.
    * ``gradient``: d(final state)/d(x0).
    * ``checkpoints``: how many states the forward sweep stored (one per segment).
    * ``recomputed_steps``: how many steps were run a second time, during the
      backward sweep (every segment but the last is replayed).
    * ``peak_nodes``: the largest graph alive at any moment: one segment's graph,
      its input included. Plain reverse mode keeps the graph of the whole chain.
    """

    value: float
    gradient: float
    checkpoints: int
    recomputed_steps: int
    peak_nodes: int


def checkpointed_gradient(
    step: Callable[[Any], Any], x0: float, n_steps: int, every: int
) -> CheckpointedGradient:
    """The derivative of ``iterate(step, x0, n_steps)`` with checkpoints every k steps.

    Forward sweep, on plain numbers (nothing recorded): store the state at the start
    of each segment of `every` steps, up to the start of the last segment.
    Backward sweep, last segment first: record the segment with Variables from its
    stored start state, backpropagate the adjoint that arrived from the segment after
    it, pass the start state's gradient on, and drop the segment's graph. The last
    segment runs only once (recorded); every other segment runs twice. The gradient
    equals plain reverse mode's, but only one segment's graph is ever kept.
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
        raise ValueError(f"n_steps must be a whole number of steps, at least 1, not {n_steps!r}.")
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(
            f"every must be a whole number of steps between checkpoints, at least 1, not {every!r}."
        )
    check_point([x0], "checkpointed_gradient(step, x0, n_steps, every)")
    starts = list(range(0, n_steps, every))
    lengths = [min(every, n_steps - start) for start in starts]

    checkpoints = []  # the forward sweep: plain numbers, one stored state per segment
    state: Any = x0
    for length in lengths[:-1]:
        checkpoints.append(state)
        state = iterate(step, state, length)
    checkpoints.append(state)

    adjoint: Any = 1.0  # d(final state)/d(state at the end of the current segment)
    value: Any = None
    recomputed = peak = 0
    for index in reversed(range(len(starts))):
        start_state = Variable(checkpoints[index], name=f"state {starts[index]}")
        end_state = iterate(step, start_state, lengths[index])
        if index == len(starts) - 1:
            value = end_state.value if isinstance(end_state, Node) else end_state
        else:
            recomputed += lengths[index]
        if isinstance(end_state, Variable):
            peak = max(peak, len(topological_order(end_state)))
            backpropagate([end_state], [adjoint])
        else:  # the chain does not depend on its input here
            peak = max(peak, 1)
        adjoint = start_state.grad
        del start_state, end_state  # free this segment's graph before the next one
    return CheckpointedGradient(value, adjoint, len(checkpoints), recomputed, peak)
