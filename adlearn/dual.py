"""Forward mode: dual numbers ``a + b ε`` with ``ε² = 0``.

A `Dual` carries a value and the derivative of that value with respect to one chosen
input (the *tangent*). Every operation computes its value and its local partial
derivatives from the rule table, then pushes the tangent forward with the chain rule:

    tangent of the result = sum over inputs of (local partial × input tangent)

It also remembers its inputs and partials, so the computation can be drawn.
"""

from __future__ import annotations

from typing import Any

from .core import Node, Primitive, check_operand, real_value, undefined_partial


class Dual(Node):
    """A dual number: ``value + derivative·ε``, where ``ε² = 0``.

    >>> x = Dual(3.0, 1.0)   # x = 3, and dx/dx = 1
    >>> x * x
    Dual(value=9.0, derivative=6.0)

    ``tag`` tells apart the perturbations of nested derivatives; you rarely set it
    yourself (``adlearn.derivative`` gives each call a fresh one).
    """

    __slots__ = ("derivative", "tag")

    derivative: Any
    tag: int

    def __init__(
        self, value: Any, derivative: Any = 0.0, *, name: str | None = None, tag: int = 0
    ) -> None:
        self.value = real_value(value, "Dual")
        self.derivative = real_value(derivative, "Dual")
        self.name = None if name is None else str(name)
        self.tag = tag
        self.primitive = None
        self.inputs = ()
        self.partials = ()
        self.is_constant = False

    def __repr__(self) -> str:
        text = f"Dual(value={self.value!r}, derivative={self.derivative!r}"
        if self.name is not None:
            text += f", name={self.name!r}"
        if self.tag:
            text += f", tag={self.tag!r}"
        return text + ")"

    def _record(self, primitive: Primitive, args: tuple[Any, ...]) -> Dual:
        tag = self.tag
        inputs = tuple(
            [a if type(a) is Dual and a.tag == tag else _constant(a, tag, primitive) for a in args]
        )
        values = [x.value for x in inputs]
        try:
            out = primitive.evaluate(*values)
        except ZeroDivisionError as error:
            if primitive.name == "div" and not inputs[1].is_constant:
                raise ZeroDivisionError(
                    f"Cannot divide by {inputs[1]!r}: a dual number whose value is 0 has no "
                    "inverse, because (0 + bε)·(c + dε) = bc·ε is never 1. Dual numbers form "
                    "a ring, not a field. The function has no derivative (or no value) here."
                ) from None
            raise error from None
        partials = primitive.partials(*values, out)
        # The chain rule: tangent = sum of (partial × input tangent). Constants have
        # no tangent, so they are skipped rather than multiplied by zero.
        tangent: Any = None
        for index, (x, partial) in enumerate(zip(inputs, partials)):
            if x.is_constant:
                continue
            if partial != partial and out == out:  # NaN: the partial does not exist
                raise undefined_partial(primitive, values, index)
            term = partial * x.derivative
            tangent = term if tangent is None else tangent + term
        return _new(out, tangent, tag, primitive, inputs, partials, False)


def _new(
    value: Any,
    derivative: Any,
    tag: int,
    primitive: Primitive | None,
    inputs: tuple[Node, ...],
    partials: tuple[Any, ...],
    is_constant: bool,
) -> Dual:
    # A fast constructor for results: the values are already checked.
    dual = object.__new__(Dual)
    dual.value = value
    dual.derivative = derivative
    dual.name = None
    dual.tag = tag
    dual.primitive = primitive
    dual.inputs = inputs
    dual.partials = partials
    dual.is_constant = is_constant
    return dual


def _constant(a: Any, tag: int, primitive: Primitive) -> Dual:
    check_operand(a, primitive.symbol, "Dual")
    value = float(a) if type(a) is int else a
    return _new(value, 0.0, tag, None, (), (), True)
