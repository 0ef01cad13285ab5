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
    Node,
    Primitive,
    Tag,
    apply,
    contribution,
    real_value,
    topological_order,
)


class Variable(Node):
    """A number that records every operation done with it, for reverse mode.

    >>> x = Variable(3.0, name="x")
    >>> y = x * x + 1
    >>> y.backward()
    >>> x.grad
    6.0
    """

    __slots__ = ("grad", "primitive", "inputs", "partials")

    grad: Any
    primitive: Primitive | None
    inputs: tuple[Any, ...]
    partials: tuple[Any, ...]

    def __init__(self, value: Any, name: str | None = None, *, tag: Tag | None = None) -> None:
        self.value = real_value(value, "Variable")
        self.grad = 0.0
        self.name = None if name is None else str(name)
        self.tag = HAND_MADE_VARIABLE if tag is None else tag
        self.primitive = None
        self.inputs = ()
        self.partials = ()

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
    def make(
        cls,
        primitive: Primitive,
        out: Any,
        args: tuple[Any, ...],
        partials: tuple[Any, ...],
        tag: Tag,
    ) -> Variable:
        return _new(out, tag, primitive, args, partials)

    @classmethod
    def specialise(cls, primitive: Primitive) -> None:
        """Give Variable a fast path for `primitive`: floats and Variables of one tag."""
        if primitive.arity == 1:
            primitive.fast[Variable] = _unary(primitive)
            if primitive.operator:
                setattr(Variable, f"__{primitive.operator}__", primitive.fast[Variable])
        elif primitive.operator:
            setattr(Variable, f"__{primitive.operator}__", _binary(primitive))
            setattr(Variable, f"__r{primitive.operator}__", _reflected(primitive))


def backpropagate(outputs: Sequence[Variable], seeds: Sequence[Any]) -> None:
    """The reverse sweep: seed the outputs' adjoints, then visit nodes outputs-first."""
    order = topological_order(*outputs)
    earlier = [(node, node.grad) for node in order if not node.inputs]
    for node in order:
        node.grad = 0.0  # this sweep's adjoints start from zero
    for output, seed in zip(outputs, seeds):
        output.grad = output.grad + seed
    for node in reversed(order):
        grad = node.grad
        tag = node.tag
        for x, partial in zip(node.inputs, node.partials):
            if type(x) is Variable and x.tag is tag:  # constants take no gradient
                x.grad = x.grad + contribution(partial, grad)
    for leaf, before in earlier:
        leaf.grad = before + leaf.grad  # inputs accumulate across calls, as in PyTorch


def _new(
    out: Any, tag: Tag, primitive: Primitive, args: tuple[Any, ...], partials: Any
) -> Variable:
    variable = object.__new__(Variable)  # the values are already checked
    variable.value = out
    variable.grad = 0.0
    variable.name = None
    variable.tag = tag
    variable.primitive = primitive
    variable.inputs = args
    variable.partials = partials
    return variable


# The fast paths: each records one row of the table for the common case (floats and
# Variables of one tag); anything else goes to `apply`, which explains errors.


def _unary(primitive: Primitive) -> Any:
    evaluate, partials, check = (
        primitive.evaluate,
        primitive.partials,
        primitive.partial_may_not_exist,
    )

    def fast(self: Variable) -> Any:
        x = self.value
        try:
            out = evaluate(x)
            p = partials(x, out)
        except (ArithmeticError, ValueError):
            return apply(primitive, self)
        if check and p[0] != p[0]:
            return apply(primitive, self)
        return _new(out, self.tag, primitive, (self,), p)

    return fast


def _binary(primitive: Primitive) -> Any:
    evaluate, partials, check = (
        primitive.evaluate,
        primitive.partials,
        primitive.partial_may_not_exist,
    )

    def fast(self: Variable, other: Any) -> Any:
        kind = type(other)
        if kind is Variable and other.tag is self.tag:
            y = other.value
        elif kind is float or kind is int:
            y = other
        else:
            return apply(primitive, self, other)
        x = self.value
        try:
            out = evaluate(x, y)
            p = partials(x, y, out)
        except (ArithmeticError, ValueError):
            return apply(primitive, self, other)
        if check and (p[0] != p[0] or (kind is Variable and p[1] != p[1])):
            return apply(primitive, self, other)
        return _new(out, self.tag, primitive, (self, other), p)

    return fast


def _reflected(primitive: Primitive) -> Any:
    evaluate, partials, check = (
        primitive.evaluate,
        primitive.partials,
        primitive.partial_may_not_exist,
    )

    def fast(self: Variable, other: Any) -> Any:  # other ∘ self, other a plain number
        kind = type(other)
        if kind is not float and kind is not int:
            return apply(primitive, other, self)
        y = self.value
        try:
            out = evaluate(other, y)
            p = partials(other, y, out)
        except (ArithmeticError, ValueError):
            return apply(primitive, other, self)
        if check and p[1] != p[1]:
            return apply(primitive, other, self)
        return _new(out, self.tag, primitive, (other, self), p)

    return fast


MODES.append(Variable)
for _primitive in RULES.values():
    Variable.specialise(_primitive)
