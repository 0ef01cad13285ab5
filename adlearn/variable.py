"""Reverse mode: a `Variable` records the computation, ``backward()`` walks it back.

Every operation on Variables computes its value and its local partial derivatives
(from the rule table) and stores them on the new node, next to its inputs. Nothing
else happens on the way forward.

``backward()`` then visits the nodes once each, outputs first, and applies the chain
rule in reverse:

    input.grad += (local partial) × (node.grad)

Gradients accumulate, as in PyTorch: each ``backward()`` *adds* into the ``.grad``
of every input Variable. To start again from zero, call ``y.zero_grad()`` (it resets
every Variable that ``y`` depends on) or set ``x.grad = 0.0``. The adjoints of the
intermediate nodes are recomputed from scratch by each ``backward()``, so calling it
twice on the same graph gives exactly twice the gradient in the inputs, never a
wrong one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .core import Node, Primitive, check_operand, real_value, topological_order, undefined_partial


class Variable(Node):
    """A number that records every operation done with it, for reverse mode.

    >>> x = Variable(3.0, name="x")
    >>> y = x * x + 1
    >>> y.backward()
    >>> x.grad
    6.0
    """

    __slots__ = ("grad",)

    grad: Any
    tag = math.inf  # when mixed with Duals, a Variable is the outermost type

    def __init__(self, value: Any, name: str | None = None) -> None:
        self.value = real_value(value, "Variable")
        self.grad = 0.0
        self.name = None if name is None else str(name)
        self.primitive = None
        self.inputs = ()
        self.partials = ()

    def __repr__(self) -> str:
        text = f"Variable(value={self.value!r}, grad={self.grad!r}"
        if self.name is not None:
            text += f", name={self.name!r}"
        return text + ")"

    def _record(self, primitive: Primitive, args: tuple[Any, ...]) -> Variable:
        # Values of the operands: a Variable gives its value, a constant is itself.
        # (Written out for one and two operands, the cases that run millions of times.)
        values: tuple[Any, ...]
        if len(args) == 2:
            a, b = args
            values = (
                a.value if type(a) is Variable else _constant(a, primitive),
                b.value if type(b) is Variable else _constant(b, primitive),
            )
        elif len(args) == 1:
            a = args[0]
            values = (a.value if type(a) is Variable else _constant(a, primitive),)
        else:
            values = tuple(
                a.value if type(a) is Variable else _constant(a, primitive) for a in args
            )
        out = primitive.evaluate(*values)
        partials = primitive.partials(*values, out)
        if primitive.partial_may_not_exist and out == out:
            for index, partial in enumerate(partials):  # NaN here: no derivative
                if partial != partial and type(args[index]) is Variable:
                    raise undefined_partial(primitive, values, index)
        variable = object.__new__(Variable)  # a fast constructor: values are checked
        variable.value = out
        variable.grad = 0.0
        variable.name = None
        variable.primitive = primitive
        variable.inputs = args
        variable.partials = partials
        return variable

    def backward(self) -> None:
        """Add d(self)/d(input) into the ``.grad`` of every Variable self depends on."""
        backpropagate([self], [1.0])

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on this Variable and every Variable it depends on."""
        for node in topological_order(self):
            node.grad = 0.0  # type: ignore[attr-defined]


def backpropagate(outputs: Sequence[Variable], seeds: Sequence[Any]) -> None:
    """The reverse sweep: seed each output's adjoint, then visit nodes outputs-first.

    Intermediate adjoints start at 0 on every call; inputs (leaves) accumulate.
    """
    order = topological_order(*outputs)
    for node in order:
        if node.inputs:
            node.grad = 0.0  # type: ignore[attr-defined]
    for output, seed in zip(outputs, seeds):
        output.grad += seed
    for node in reversed(order):
        if node.inputs:
            grad = node.grad  # type: ignore[attr-defined]
            for x, partial in zip(node.inputs, node.partials):
                if type(x) is Variable:  # constants take no gradient
                    x.grad += partial * grad


def _constant(a: Any, primitive: Primitive) -> Variable:
    check_operand(a, primitive.symbol, "Variable")
    return a
