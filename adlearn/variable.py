"""Reverse mode: a `Variable` records the computation, ``backward()`` walks it back.

Every operation on Variables computes its value and its local partial derivatives
(from the rule table) and stores them on the new node, next to its inputs. Nothing
else happens on the way forward.

``backward()`` then visits the nodes once each, outputs first, and applies the chain
rule in reverse:

    input.grad += (local partial) × (node.grad)

Gradients accumulate, as in PyTorch: each ``backward()`` *adds* into the ``.grad``
of every input Variable, and calling it twice gives exactly twice the gradient. To
start again from zero, call ``y.zero_grad()``. An intermediate node's ``.grad``
holds its adjoint from the latest ``backward()`` through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .core import (
    HAND_MADE_VARIABLE,
    MODES,
    RULES,
    Args,
    FlatNode,
    Node,
    Primitive,
    Tag,
    checked_number,
    contribution,
    topological_order,
)


class Variable(FlatNode):
    """A number that records every operation done with it, for reverse mode.

    >>> x = Variable(3.0, name="x")
    >>> y = x * x + 1
    >>> y.backward()
    >>> x.grad
    6.0
    """

    __slots__ = ("grad",)  # and, from FlatNode: primitive, inputs a, b, partials pa, pb

    grad: Any
    primitive: Primitive | None

    def __init__(self, value: Any, name: str | None = None, *, tag: Tag | None = None) -> None:
        self.value = checked_number(value, "Variable")
        self.grad = 0.0
        self.name = name
        if tag is None:  # made by hand: just above the number it holds, if any
            tag = self.value.tag.wrapped() if isinstance(self.value, Node) else HAND_MADE_VARIABLE
        self.tag = tag
        self.primitive = None
        self.a = self.b = self.pa = self.pb = self.mark = None

    def __repr__(self) -> str:
        text = f"Variable(value={self.value!r}, grad={self.grad!r}"
        if self.name is not None:
            text += f", name={self.name!r}"
        return text + ")"

    def backward(self) -> None:
        """Add d(self)/d(input) into the ``.grad`` of every Variable self depends on."""
        backpropagate([self], [1.0])

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on this Variable and every Variable it depends on."""
        for node in topological_order(self):
            node.grad = 0.0

    @classmethod
    def make(cls, primitive: Primitive, out: Any, args: Args, partials: Args, tag: Tag) -> Variable:
        node = object.__new__(Variable)  # the values are already checked
        node.value, node.grad, node.tag, node.primitive = out, 0.0, tag, primitive
        node.mark, node.a, node.pa = None, args[0], partials[0]
        node.b, node.pb = (args[1], partials[1]) if len(args) == 2 else (None, None)
        return node

    @staticmethod
    def finish(live_a: bool, live_b: bool, unary: bool) -> str:
        """The last lines of a generated fast path: store the node, nothing else."""
        if unary:
            inputs = "node.a, node.b, node.pa = a, None, pa"
        else:
            inputs = "node.a, node.b, node.pa, node.pb = a, b, pa, pb"
        return (
            "node = new(Variable)\n"
            "node.value = out\n"
            "node.grad = 0.0\n"
            "node.tag = self.tag\n"
            "node.primitive = primitive\n"
            "node.mark = None\n"
            f"{inputs}\n"
            "return node"
        )


def backpropagate(outputs: Sequence[Variable], seeds: Sequence[Any]) -> None:
    """The reverse sweep: seed the outputs' adjoints, then visit nodes outputs-first."""
    order = topological_order(*outputs)
    earlier = []  # what earlier calls left in the inputs' .grad
    for node in order:
        if node.primitive is None:
            earlier.append((node, node.grad))
        node.grad = 0.0  # this sweep's adjoints start from zero
    for output, seed in zip(outputs, seeds):
        output.grad = output.grad + seed
    for node in reversed(order):  # every node after all the nodes that use it
        if node.primitive is None:
            continue
        grad, tag, a, b = node.grad, node.tag, node.a, node.b
        # input.grad += partial × grad, for the inputs that are Variables of this graph
        # (constants take no gradient); `contribution` only when the product is NaN
        if type(a) is Variable and a.tag is tag:
            step = node.pa * grad
            a.grad = a.grad + (step if step == step else contribution(node.pa, grad))
        if type(b) is Variable and b.tag is tag:
            step = node.pb * grad
            b.grad = b.grad + (step if step == step else contribution(node.pb, grad))
    for leaf, before in earlier:
        leaf.grad = before + leaf.grad  # inputs accumulate across calls, as in PyTorch


MODES.append(Variable)
for _primitive in RULES.values():
    Variable.specialise(_primitive)
