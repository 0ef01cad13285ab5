"""Forward mode: dual numbers ``a + b ε`` with ``ε² = 0``.

A `Dual` carries a value and the derivative of that value with respect to one chosen
input (the *tangent*). Every operation computes its value and its local partial
derivatives from the rule table, then pushes the tangent forward with the chain rule:

    tangent of the result = sum over inputs of (local partial × input tangent)

It also keeps its inputs and partials, so the computation can be drawn.
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

    def __repr__(self) -> str:
        text = f"Dual(value={self.value!r}, derivative={self.derivative!r}"
        if self.name is not None:
            text += f", name={self.name!r}"
        if self.tag:
            text += f", tag={self.tag!r}"
        return text + ")"

    def _record(self, primitive: Primitive, args: tuple[Any, ...]) -> Dual:
        tag = self.tag
        # Values of the operands: a Dual of this derivative gives its value, anything
        # else is a constant. (Written out for one and two operands, the cases that
        # run millions of times.)
        values: tuple[Any, ...]
        if len(args) == 2:
            a, b = args
            values = (
                a.value if type(a) is Dual and a.tag == tag else _constant(a, primitive),
                b.value if type(b) is Dual and b.tag == tag else _constant(b, primitive),
            )
        elif len(args) == 1:
            a = args[0]
            values = (a.value if type(a) is Dual and a.tag == tag else _constant(a, primitive),)
        else:
            values = tuple(
                a.value if type(a) is Dual and a.tag == tag else _constant(a, primitive)
                for a in args
            )
        try:
            out = primitive.evaluate(*values)
        except ZeroDivisionError:
            if primitive.name == "div" and type(args[1]) is Dual:
                raise ZeroDivisionError(_no_inverse(args[1])) from None
            raise
        partials = primitive.partials(*values, out)
        # The chain rule: tangent = sum of (partial × input tangent), over the
        # inputs that are Duals of this derivative. Constants have no tangent.
        tangent: Any = None
        check = primitive.partial_may_not_exist and out == out
        for index, a in enumerate(args):
            if type(a) is Dual and a.tag == tag:
                partial = partials[index]
                if check and partial != partial:  # NaN: this partial does not exist
                    raise undefined_partial(primitive, values, index)
                term = partial * a.derivative
                tangent = term if tangent is None else tangent + term
        dual = object.__new__(Dual)  # a fast constructor: the values are already checked
        dual.value = out
        dual.derivative = tangent
        dual.tag = tag
        dual.name = None
        dual.primitive = primitive
        dual.inputs = args
        dual.partials = partials
        return dual


def _constant(a: Any, primitive: Primitive) -> Any:
    check_operand(a, primitive.symbol, "Dual")
    return a


def _no_inverse(divisor: Dual) -> str:
    return (
        f"Cannot divide by {divisor!r}: a dual number whose value is 0 has no inverse, "
        "because (0 + bε)·(c + dε) = bc·ε is never 1. Dual numbers form a ring, not a "
        "field. The function has no derivative (or no value) at this point."
    )
