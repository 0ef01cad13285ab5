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

from collections.abc import Callable, Sequence
from typing import Any

from . import rules  # noqa: F401  (the table: loaded before Variable makes its code for it)
from .core import (
    HAND_MADE_VARIABLE,
    MODES,
    RULES,
    Args,
    FlatNode,
    Node,
    Primitive,
    Tag,
    apply,
    checked_number,
    in_graph,
    named,
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

    # Where is __mul__? ``x * y`` runs RULES["mul"].operations[Variable]: the function
    # that reverse_operation (below) makes from the row in rules.py, set as
    # Variable.__mul__ by Node.install in core.py (and __rmul__ to the maker's `reflected`).
    __slots__ = ("_value", "grad", "stamp")  # and, from FlatNode: primitive, inputs a,
    # b, partials pa, pb. `value` (below) reads and sets _value. `stamp`: the clock
    # CHANGES when a node was recorded; for an input, after its latest change (0: never).

    grad: Any
    primitive: Primitive | None

    def __init__(self, value: Any, name: str | None = None, *, tag: Tag | None = None) -> None:
        self._value = checked_number(value, "Variable")
        self.grad = 0.0
        self.name = name
        if tag is None:  # made by hand: just above the number it holds, if any
            tag = self._value.tag.wrapped() if isinstance(self._value, Node) else HAND_MADE_VARIABLE
        self.tag = tag
        self.primitive = None
        self.a = self.b = self.pa = self.pb = self.mark = None
        self.stamp = 0  # an input never changed

    @property
    def value(self) -> Any:
        """The number this Variable holds.

        An input's value may be changed between graphs, as a gradient step does
        (``x.value -= lr * x.grad``, like PyTorch's ``optimizer.step()``). A graph
        recorded before the change still holds partials taken at the old value, so
        its ``backward()`` refuses (`check_unchanged`): record it again. A computed
        Variable's value cannot be set: it is what its operation gave.
        """
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        global CHANGES
        if self.primitive is not None:
            raise AttributeError(
                f"This Variable was computed by {self.primitive.name}, so its value is what "
                "that operation gave and cannot be set: the graph would no longer match its "
                "numbers. Change an input Variable's value and record the computation again, "
                "or make a new Variable."
            )
        new = checked_number(value, "Variable", "Setting a Variable's .value")
        was_nested, nested = isinstance(self._value, Node), isinstance(new, Node)
        if (was_nested or nested) and not (nested and new.tag.wrapped() is self.tag):
            raise TypeError(
                f"Setting .value to {new!r}: this Variable was made around "
                f"{'a nested number' if was_nested else 'a plain number'}, and its place in "
                "nested derivatives comes from that. Make a new Variable for the new value."
            )
        self._value = new
        CHANGES += 1
        self.stamp = CHANGES  # graphs recorded before this moment are out of date

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
        """The result of `primitive` on `args` (any mix of types), for `core.apply`."""
        node = object.__new__(Variable)  # a new node of the graph; its value is checked
        node._value, node.grad, node.stamp = out, 0.0, CHANGES
        node.tag, node.primitive, node.mark = tag, primitive, None
        node.a, node.pa = args[0], partials[0]
        node.b, node.pb = (args[1], partials[1]) if len(args) == 2 else (None, None)
        return node

    @classmethod
    def operation(cls, primitive: Primitive) -> Callable[..., Any]:
        return reverse_operation(primitive)


def reverse_operation(row: Primitive) -> Callable[..., Any]:
    """Variable's code for one row of the table, made once, when the row is defined.

    ``Variable.__mul__`` is ``reverse_operation(RULES["mul"])``. The function it
    returns computes the row's value and local partials and stores them on a new
    node beside its inputs; nothing else happens on the way forward (``backward()``
    uses them later). An operand is a node of this graph when it is a Variable with
    the same tag (`core.in_graph`); a plain number is a constant. Anything else, and
    any error, goes to `core.apply`, which handles every mix and explains errors.
    """
    # What the functions below use, read from the row once, here:
    value = row.value  # its value on floats: operator.mul for mul, math.sin for sin
    dispatch = row.evaluate  # the row's own function (adlearn.sin for sin), for a nested
    # number (one derivative's number inside another's) or an array: it hands them to
    # their own type's code
    partials = row.partials  # its partials function: lambda x, y, out: (y, x) for mul
    constants = row.constant_partials  # (1.0, -1.0) for sub; None when partials is called
    nan_possible = row.partial_may_not_exist  # True for rows such as sqrt and abs
    new = object.__new__  # makes a Variable without running __init__ (nothing to check)

    def unary(a: Variable) -> Any:  # sin(a), -a
        x = a._value
        try:
            out = value(x) if type(x) is float else dispatch(x)
            (pa,) = constants or partials(x, out)
        except (ArithmeticError, ValueError):
            return apply(row, a)  # the same error again, with a message that explains it
        if nan_possible and pa != pa and out == out:
            return apply(row, a)  # a partial that does not exist: apply says so
        node = new(Variable)  # a new node of the graph: value, input, partial
        node._value = out
        node.grad = 0.0
        node.stamp = CHANGES  # when it was recorded (see check_unchanged)
        node.tag = a.tag
        node.primitive = row
        node.mark = None
        node.a = a
        node.b = None
        node.pa = pa
        node.pb = None
        return node

    def binary(a: Variable, b: Any) -> Any:  # a * b, where a is a Variable
        if type(b) is float or type(b) is int:  # a * 2.0: b is a constant
            x = a._value
            try:
                out = value(x, b) if type(x) is float else dispatch(x, b)
                pa, pb = constants or partials(x, b, out)
            except (ArithmeticError, ValueError):
                return apply(row, a, b)  # the same error, with a message that explains it
            if nan_possible and pa != pa and out == out:
                return apply(row, a, b)  # a partial that does not exist: apply says so
        elif type(b) is Variable and b.tag is a.tag:  # both nodes of this graph (in_graph)
            x, y = a._value, b._value
            try:
                out = value(x, y) if type(x) is float and type(y) is float else dispatch(x, y)
                pa, pb = constants or partials(x, y, out)
            except (ArithmeticError, ValueError):
                return apply(row, a, b)
            if nan_possible and (pa != pa or pb != pb) and out == out:
                return apply(row, a, b)
        else:
            return apply(row, a, b)
        node = new(Variable)  # a new node of the graph: value, inputs, partials
        node._value = out
        node.grad = 0.0
        node.stamp = CHANGES  # when it was recorded (see check_unchanged)
        node.tag = a.tag
        node.primitive = row
        node.mark = None
        node.a = a
        node.b = b
        node.pa = pa
        node.pb = pb
        return node

    def reflected(b: Variable, a: Any) -> Any:  # 2.0 * b: Python calls b.__rmul__(2.0)
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
        node = new(Variable)
        node._value = out
        node.grad = 0.0
        node.stamp = CHANGES
        node.tag = b.tag
        node.primitive = row
        node.mark = None
        node.a = a
        node.b = b
        node.pa = pa
        node.pb = pb
        return node

    return named(unary if row.arity == 1 else binary, reflected, row, "Variable", "reverse")


def backpropagate(outputs: Sequence[Variable], seeds: Sequence[Any]) -> None:
    """The reverse sweep: seed the outputs' adjoints, then visit nodes outputs-first."""
    order = topological_order(*outputs)
    # Lesson 04's loop is `for node in reversed(order)`. The inputs' .grad is set aside and
    # added back at the end, not accumulated into directly, so that this sweep's
    # gradient is summed on its own first: then backward() twice gives exactly twice
    # (g + g), not a sum rounded in another order; and a refused graph
    # (check_unchanged) gives the inputs back the .grad they had.
    earlier = []  # what earlier calls left in the inputs' .grad
    for node in order:
        if node.primitive is None:
            earlier.append((node, node.grad))
        node.grad = 0.0  # this sweep's adjoints start from zero
    check_unchanged(order, earlier)  # refuses if an input changed after it was used
    for output, seed in zip(outputs, seeds):
        output.grad = output.grad + seed
    for node in reversed(order):  # every node after all the nodes that use it
        if node.primitive is None:
            continue
        grad, tag, a, b = node.grad, node.tag, node.a, node.b
        # input.grad += partial × grad, for the inputs that are Variables of this graph
        # (in_graph, written out; constants take no gradient)
        if type(a) is Variable and a.tag is tag:
            a.grad = a.grad + node.pa * grad
        if type(b) is Variable and b.tag is tag:
            b.grad = b.grad + node.pb * grad
    for leaf, before in earlier:
        leaf.grad = before + leaf.grad  # inputs accumulate across calls, as in PyTorch


CHANGES = 0
"""How many times an input Variable's value has been set: the clock of `check_unchanged`.
Every node stores the clock's reading when it is recorded, every input the reading
after its latest change (0 if it never changed), in its ``stamp``."""


def check_unchanged(order: Sequence[Variable], earlier: list[tuple[Variable, Any]]) -> None:
    """Refuse a graph that used an input whose value was changed afterwards.

    Its partials were taken at the old value, so its gradient would be silently
    wrong. PyTorch refuses the same ("one of the variables needed for gradient
    computation has been modified by an inplace operation"). `earlier` holds the
    graph's inputs with the ``.grad`` they had, given back before refusing. Only
    the inputs are looked at, unless one of them was ever changed; then only the
    nodes recorded before its latest change.
    """
    latest = max((leaf.stamp for leaf, _ in earlier), default=0)
    if not latest:
        return  # no input of this graph was ever changed
    for node in order:
        if node.primitive is None or node.stamp >= latest:
            continue
        for operand in (node.a, node.b):
            live = in_graph(operand, Variable, node.tag)  # a node of this graph?
            if live and operand.primitive is None and operand.stamp > node.stamp:
                for leaf, before in earlier:
                    leaf.grad = before  # refused: the inputs keep what they had
                name = f" {operand.name!r}" if operand.name is not None else ""
                raise RuntimeError(
                    f"backward(): the input Variable{name} was given a new value "
                    f"({operand.value!r}) after this graph used it (in {node.primitive.name}), "
                    "so the partials stored in the graph belong to its old value and the "
                    "gradient would be silently wrong. Record the computation again from "
                    "the new value (call your function again), or make a new Variable "
                    "instead of changing this one. A gradient step between two graphs "
                    "(x.value -= lr * x.grad, then a new forward pass) is fine."
                )


MODES.append(Variable)
for _primitive in RULES.values():
    Variable.install(_primitive)
