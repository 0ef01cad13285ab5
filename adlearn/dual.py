"""Forward mode: dual numbers ``a + b ε`` with ``ε² = 0``.

A `Dual` carries a value and the derivative of that value with respect to one chosen
input (the *tangent*). Every operation computes its value and its local partials
from the rule table, then pushes the tangent forward with the chain rule:

    tangent of the result = sum over inputs of (local partial × input tangent)

That is all forward mode needs: value and tangent travel together and nothing is
stored. A Dual you make by hand also keeps its inputs and partials, so that
``adlearn.draw`` can show how it was computed; the Duals that `derivative`, `jvp`
and `jacobian_forward` make keep nothing, so their memory does not grow with the
length of the computation.
"""

from __future__ import annotations

from typing import Any

from .core import (
    HAND_MADE_DUAL,
    MODES,
    NO_INVERSE,
    RULES,
    Node,
    Primitive,
    Tag,
    apply,
    contribution,
    real_value,
)


class Dual(Node):
    """A dual number: ``value + derivative·ε``, where ``ε² = 0``.

    >>> x = Dual(3.0, 1.0)   # x = 3, and dx/dx = 1
    >>> x * x
    Dual(value=9.0, derivative=6.0)

    ``tag`` tells apart the perturbations of nested derivatives: take one from
    ``adlearn.new_tag()`` if you nest Duals by hand (``derivative`` does it for you).
    ``==`` compares values only (``Dual(0.0, 1.0) == 0`` is True), like ``<``: it
    decides which branch a program takes. Compare ``.derivative`` too to ask whether
    two dual numbers are equal as dual numbers.
    """

    __slots__ = ("derivative", "graph")

    zero_divisor = NO_INVERSE  # why dividing by a Dual whose value is 0 fails
    derivative: Any
    graph: tuple[Primitive, tuple[Any, ...], tuple[Any, ...]] | None

    def __init__(
        self, value: Any, derivative: Any = 0.0, *, name: str | None = None, tag: Tag | None = None
    ) -> None:
        if tag is None:
            tag = HAND_MADE_DUAL
        elif not isinstance(tag, Tag):
            raise TypeError(
                f"tag={tag!r}: a tag must come from adlearn.new_tag(), so that it can never "
                "collide with the tags adlearn's own derivatives use."
            )
        self.value = real_value(value, "Dual")
        self.derivative = real_value(derivative, "Dual")
        self.name = None if name is None else str(name)
        self.tag = tag
        self.graph = None

    def __repr__(self) -> str:
        text = f"Dual(value={self.value!r}, derivative={self.derivative!r}"
        if self.name is not None:
            text += f", name={self.name!r}"
        return text + ")"

    # The drawing protocol: what this Dual was computed from (nothing, if not recorded).
    @property
    def primitive(self) -> Primitive | None:
        return None if self.graph is None else self.graph[0]

    @property
    def inputs(self) -> tuple[Any, ...]:
        return () if self.graph is None else self.graph[1]

    @property
    def partials(self) -> tuple[Any, ...]:
        return () if self.graph is None else self.graph[2]

    @classmethod
    def make(
        cls,
        primitive: Primitive,
        out: Any,
        args: tuple[Any, ...],
        partials: tuple[Any, ...],
        tag: Tag,
    ) -> Dual:
        """The chain rule: tangent = sum of (partial × input tangent) over live inputs."""
        tangent: Any = 0.0
        for arg, partial in zip(args, partials):
            if type(arg) is Dual and arg.tag is tag:
                tangent = tangent + contribution(partial, arg.derivative)
        return _new(out, tangent, tag, primitive, args, partials)

    @classmethod
    def specialise(cls, primitive: Primitive) -> None:
        """Give Dual a fast path for `primitive`: floats and Duals of one tag only."""
        if primitive.arity == 1:
            primitive.fast[Dual] = _unary(primitive)
            if primitive.operator:
                setattr(Dual, f"__{primitive.operator}__", primitive.fast[Dual])
        elif primitive.operator:
            setattr(Dual, f"__{primitive.operator}__", _binary(primitive))
            setattr(Dual, f"__r{primitive.operator}__", _reflected(primitive))


def _new(
    out: Any, tangent: Any, tag: Tag, primitive: Primitive, args: tuple[Any, ...], partials: Any
) -> Dual:
    dual = object.__new__(Dual)  # the values are already checked
    dual.value = out
    dual.derivative = tangent
    dual.name = None
    dual.tag = tag
    dual.graph = (primitive, args, partials) if tag.records else None
    return dual


# The fast paths. Each is the chain rule above for one row of the table, for the
# common case; anything else (nested types, odd operands, errors) goes to `apply`.


def _unary(primitive: Primitive) -> Any:
    real, evaluate = primitive.real, primitive.evaluate
    partials, check = primitive.partials, primitive.partial_may_not_exist

    def fast(self: Dual) -> Any:
        x = self.value
        try:
            out = real(x) if type(x) is float else evaluate(x)
            (p,) = partials(x, out)
        except (ArithmeticError, ValueError):
            return apply(primitive, self)
        if check and p != p:
            return apply(primitive, self)
        tangent = p * self.derivative
        if tangent != tangent:
            tangent = contribution(p, self.derivative)
        tag = self.tag
        dual = new(Dual)
        dual.value, dual.derivative, dual.name, dual.tag = out, tangent, None, tag
        dual.graph = (primitive, (self,), (p,)) if tag.records else None
        return dual

    return fast


def _binary(primitive: Primitive) -> Any:
    real, evaluate = primitive.real, primitive.evaluate
    partials, check = primitive.partials, primitive.partial_may_not_exist

    def fast(self: Dual, other: Any) -> Any:
        kind = type(other)
        if kind is Dual and other.tag is self.tag:
            x, y = self.value, other.value
            try:
                out = real(x, y) if type(x) is float and type(y) is float else evaluate(x, y)
                px, py = partials(x, y, out)
            except (ArithmeticError, ValueError):
                return apply(primitive, self, other)
            if check and (px != px or py != py):
                return apply(primitive, self, other)
            tangent = px * self.derivative + py * other.derivative
            if tangent != tangent:  # an infinite partial times a zero tangent
                tangent = contribution(px, self.derivative) + contribution(py, other.derivative)
        elif kind is float or kind is int:
            x = self.value
            try:
                out = real(x, other) if type(x) is float else evaluate(x, other)
                px, py = partials(x, other, out)
            except (ArithmeticError, ValueError):
                return apply(primitive, self, other)
            if check and px != px:
                return apply(primitive, self, other)
            tangent = px * self.derivative
            if tangent != tangent:
                tangent = contribution(px, self.derivative)
        else:
            return apply(primitive, self, other)
        tag = self.tag
        dual = new(Dual)
        dual.value, dual.derivative, dual.name, dual.tag = out, tangent, None, tag
        dual.graph = (primitive, (self, other), (px, py)) if tag.records else None
        return dual

    return fast


def _reflected(primitive: Primitive) -> Any:
    real, evaluate = primitive.real, primitive.evaluate
    partials, check = primitive.partials, primitive.partial_may_not_exist

    def fast(self: Dual, other: Any) -> Any:  # other ∘ self, other a plain number
        kind = type(other)
        if kind is not float and kind is not int:
            return apply(primitive, other, self)
        y = self.value
        try:
            out = real(other, y) if type(y) is float else evaluate(other, y)
            px, py = partials(other, y, out)
        except (ArithmeticError, ValueError):
            return apply(primitive, other, self)
        if check and py != py:
            return apply(primitive, other, self)
        return _new(
            out, contribution(py, self.derivative), self.tag, primitive, (other, self), (px, py)
        )

    return fast


new = object.__new__  # a Dual from a fast path: its values are already checked

MODES.append(Dual)
for _primitive in RULES.values():
    Dual.specialise(_primitive)
