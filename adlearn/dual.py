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
    Args,
    Node,
    Primitive,
    Tag,
    checked_number,
    contribution,
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

    __slots__ = ("derivative", "record")

    zero_divisor = NO_INVERSE  # why dividing by a Dual whose value is 0 fails
    derivative: Any
    record: tuple[Primitive, tuple[Any, ...], tuple[Any, ...]]

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
        self.value = checked_number(value, "Dual")
        self.derivative = checked_number(derivative, "Dual")
        self.name = name
        self.tag = tag

    def __repr__(self) -> str:
        text = f"Dual(value={self.value!r}, derivative={self.derivative!r}"
        if self.name is not None:
            text += f", name={self.name!r}"
        return text + ")"

    # The drawing protocol: what this Dual was computed from. Only Duals whose tag
    # records (the ones made by hand) set ``record``; the others keep nothing.
    @property
    def primitive(self) -> Primitive | None:
        return getattr(self, "record", (None, (), ()))[0]

    @property
    def inputs(self) -> tuple[Any, ...]:
        return getattr(self, "record", (None, (), ()))[1]

    @property
    def partials(self) -> tuple[Any, ...]:
        return getattr(self, "record", (None, (), ()))[2]

    @classmethod
    def make(cls, primitive: Primitive, out: Any, args: Args, partials: Args, tag: Tag) -> Dual:
        """The chain rule: tangent = sum of (partial × input tangent) over live inputs."""
        tangent: Any = 0.0
        for arg, partial in zip(args, partials):
            if type(arg) is Dual and arg.tag is tag:
                tangent = tangent + contribution(partial, arg.derivative)
        return _new(out, tangent, tag, primitive, args, partials)

    @staticmethod
    def finish(live_a: bool, live_b: bool, unary: bool) -> str:
        """The last lines of a generated fast path: the chain rule, then the new Dual."""
        live = [(p, o) for p, o, is_live in (("pa", "a", live_a), ("pb", "b", live_b)) if is_live]
        terms = " + ".join(f"{p} * {o}.derivative" for p, o in live)
        safe = " + ".join(f"contribution({p}, {o}.derivative)" for p, o in live)
        record = "(primitive, (a,), (pa,))" if unary else "(primitive, (a, b), (pa, pb))"
        return (
            f"tangent = {terms}\n"
            "if tangent != tangent:  # NaN: is it inf × a structural zero (NO_TANGENT)?\n"
            f"    tangent = {safe}\n"
            "dual = new(Dual)\n"
            "dual.value = out\n"
            "dual.derivative = tangent\n"
            "tag = dual.tag = self.tag\n"
            "if tag.records:  # made by hand: keep what drawings need\n"
            f"    dual.record = {record}\n"
            "return dual"
        )


def _new(
    out: Any, tangent: Any, tag: Tag, primitive: Primitive, args: tuple[Any, ...], partials: Any
) -> Dual:
    dual = object.__new__(Dual)  # the values are already checked
    dual.value = out
    dual.derivative = tangent
    dual.tag = tag
    if tag.records:
        dual.record = (primitive, args, partials)
    return dual


MODES.append(Dual)
for _primitive in RULES.values():
    Dual.specialise(_primitive)
