"""Forward mode: dual numbers ``a + b ε`` with ``ε² = 0``.

A `Dual` carries a value and the derivative of that value with respect to one chosen
input (the *tangent*). Every operation computes its value and its local partials
from the rule table, then pushes the tangent forward with the chain rule:

    tangent of the result = sum over inputs of (local partial × input tangent)

That is all forward mode needs: value and tangent travel together and nothing is
stored. `chain_rule` below is that line for any number of inputs; the operators that
`forward_operation` makes write it out for their one or two inputs (``pa * da + pb *
db``), case by case, and a test checks that they give bit for bit what it gives.

A Dual you make by hand also keeps its inputs and partials, so that
``adlearn.draw`` can show how it was computed; the Duals that `derivative`, `jvp`
and `jacobian_forward` make keep nothing, so their memory does not grow with the
length of the computation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import rules  # noqa: F401  (the table: loaded before Dual makes its code for it)
from .core import (
    HAND_MADE_DUAL,
    MODES,
    NO_INVERSE,
    NO_TANGENT,
    RULES,
    Args,
    Node,
    Primitive,
    Tag,
    apply,
    checked_number,
    in_graph,
    named,
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

    # Where is __mul__? ``x * y`` runs RULES["mul"].operations[Dual]: the function that
    # forward_operation (below) makes from the row in rules.py, set as Dual.__mul__ by
    # Node.install in core.py (and __rmul__, ``2 * x``, to the maker's `reflected`).
    # show_code("mul") prints both.
    __slots__ = ("_value", "derivative", "record")  # `value` (below) reads and sets _value

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
        self._value = checked_number(value, "Dual")
        self.derivative = checked_number(derivative, "Dual")
        self.name = name
        self.tag = tag

    @property
    def value(self) -> Any:
        """The number this Dual holds (its primal value); setting it checks the number."""
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        self._value = checked_number(value, "Dual", "Setting a Dual's .value")

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
        """The result of `primitive` on `args` (any mix of types), for `core.apply`."""
        tangents = [a.derivative if in_graph(a, Dual, tag) else NO_TANGENT for a in args]
        dual = object.__new__(Dual)  # value and tangent are computed, so not checked again
        dual._value = out
        dual.derivative = chain_rule(partials, tangents)
        dual.tag = tag
        if tag.records:  # made by hand: keep what the drawings need
            dual.record = (primitive, args, partials)
        return dual

    @classmethod
    def operation(cls, primitive: Primitive) -> Callable[..., Any]:
        return forward_operation(primitive)


def chain_rule(partials: Sequence[Any], tangents: Sequence[Any]) -> Any:
    """Forward mode's one rule: tangent of the result = sum of (partial × input tangent).

    An input this derivative does not move has the tangent NO_TANGENT, a structural
    zero: it adds nothing, not even ``inf × 0 = NaN`` through an infinite partial.
    """
    total: Any = NO_TANGENT
    for partial, tangent in zip(partials, tangents):
        if tangent is not NO_TANGENT:
            total = partial * tangent if total is NO_TANGENT else total + partial * tangent
    return total


def forward_operation(row: Primitive) -> Callable[..., Any]:
    """Dual's code for one row of the table, made once, when the row is defined.

    ``Dual.__mul__`` is ``forward_operation(RULES["mul"])``, and ``adlearn.sin`` on a
    Dual runs ``forward_operation(RULES["sin"])``. Each function it makes calls the
    row's value and partials, then applies the chain rule: tangent = sum of
    (partial × input tangent). An operand is an input of this derivative when it is
    a Dual with the same tag (`core.in_graph`); a plain number is a constant, whose
    tangent is 0 and adds nothing. Each case is written out on its own, so that a
    call does only what its case needs. Anything else (numbers of two derivatives
    nested, odd operands) and any error go to `core.apply`, the general door, which
    handles every mix of types and explains errors.
    """
    # What the functions below use, read from the row once, here:
    value = row.value  # its value on floats: operator.mul for mul, math.sin for sin
    dispatch = row.evaluate  # the row's own function (adlearn.sin for sin), for a nested
    # number (one derivative's number inside another's) or an array: it hands them to
    # their own type's code
    partials = row.partials  # its partials function: lambda x, y, out: (y, x) for mul
    constants = row.constant_partials  # (1.0, -1.0) for sub; None when partials is called
    nan_possible = row.partial_may_not_exist  # True for rows such as sqrt and abs
    new = object.__new__  # makes a Dual without running __init__ (nothing to check)

    def unary(a: Dual) -> Any:  # sin(a), -a
        x = a._value
        try:
            out = value(x) if type(x) is float else dispatch(x)
            (pa,) = constants or partials(x, out)
        except (ArithmeticError, ValueError):
            return apply(row, a)  # the same error again, with a message that explains it
        if nan_possible and pa != pa and out == out:
            return apply(row, a)  # a partial that does not exist: apply says so
        da = a.derivative
        dual = new(Dual)
        dual._value = out
        dual.derivative = pa * da if da is not NO_TANGENT else NO_TANGENT  # the chain rule
        tag = dual.tag = a.tag
        if tag.records:  # made by hand: keep what the drawings need
            dual.record = (row, (a,), (pa,))
        return dual

    def binary(a: Dual, b: Any) -> Any:  # a * b, where a is a Dual
        if type(b) is float or type(b) is int:  # a * 2.0: b is a constant, only a moves
            x = a._value
            try:
                out = value(x, b) if type(x) is float else dispatch(x, b)
                pa, pb = constants or partials(x, b, out)
            except (ArithmeticError, ValueError):
                return apply(row, a, b)  # the same error, with a message that explains it
            if nan_possible and pa != pa and out == out:
                return apply(row, a, b)  # a partial that does not exist: apply says so
            da = a.derivative
            tangent = pa * da if da is not NO_TANGENT else NO_TANGENT  # the chain rule
        elif type(b) is Dual and b.tag is a.tag:  # both are inputs (in_graph, written out)
            x, y = a._value, b._value
            try:
                out = value(x, y) if type(x) is float and type(y) is float else dispatch(x, y)
                pa, pb = constants or partials(x, y, out)
            except (ArithmeticError, ValueError):
                return apply(row, a, b)
            if nan_possible and (pa != pa or pb != pb) and out == out:
                return apply(row, a, b)
            da, db = a.derivative, b.derivative
            # the chain rule: tangent = pa × da + pb × db, where an input this derivative
            # does not move (its tangent is NO_TANGENT) adds nothing
            if db is NO_TANGENT:
                tangent = pa * da if da is not NO_TANGENT else NO_TANGENT
            elif da is NO_TANGENT:
                tangent = pb * db
            else:
                tangent = pa * da + pb * db
        else:
            return apply(row, a, b)
        dual = new(Dual)
        dual._value = out
        dual.derivative = tangent
        tag = dual.tag = a.tag
        if tag.records:  # made by hand: keep what the drawings need
            dual.record = (row, (a, b), (pa, pb))
        return dual

    def reflected(b: Dual, a: Any) -> Any:  # 2.0 * b: Python calls b.__rmul__(2.0)
        if type(a) is not float and type(a) is not int:
            return apply(row, a, b)
        y = b._value
        try:
            out = value(a, y) if type(y) is float else dispatch(a, y)
            pa, pb = constants or partials(a, y, out)
        except (ArithmeticError, ValueError):
            return apply(row, a, b)
        if nan_possible and pb != pb and out == out:
            return apply(row, a, b)
        db = b.derivative
        dual = new(Dual)
        dual._value = out
        dual.derivative = pb * db if db is not NO_TANGENT else NO_TANGENT  # the chain rule
        tag = dual.tag = b.tag
        if tag.records:
            dual.record = (row, (a, b), (pa, pb))
        return dual

    return named(unary if row.arity == 1 else binary, reflected, row, "Dual", "forward")


MODES.append(Dual)
for _primitive in RULES.values():
    Dual.install(_primitive)
