"""The machinery that forward mode (`Dual`) and reverse mode (`Variable`) share.

Three ideas live here, and nowhere else:

* `Primitive`: one elementary operation (``add``, ``sin``, ...). It knows how to
  compute its value and its *local partial derivatives*, one per input. The
  rule table in ``rules.py`` fills the registry `RULES` with them.
* `Node`: what a `Dual` and a `Variable` have in common. Every result remembers
  the primitive that made it, its inputs (an ordered tuple) and the local partial
  derivative with respect to each input. That record is the computation graph.
* `apply`: the single door through which every operation on a `Node` passes.
  ``x * y`` on two Variables is ``apply("mul", x, y)``.

`topological_order` is the one traversal of a graph, used by ``backward()``,
by the drawings and by the step-by-step widgets. It is iterative, so a chain of a
million operations is no problem.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Primitive:
    """An elementary operation and its derivative rule.

    ``evaluate(*inputs)`` computes the value. ``partials(*inputs, out)`` returns
    the local partial derivatives, one for each input, given the inputs and the
    value ``out`` already computed (so ``exp`` can reuse its own value).

    ``partial_may_not_exist`` marks a rule whose partials can be NaN where the value
    exists (``x ** y`` with respect to ``y`` when x < 0): both modes then check them
    and raise a clear error, instead of letting a NaN spread silently.
    """

    name: str
    symbol: str
    arity: int
    evaluate: Callable[..., Any]
    partials: Callable[..., tuple[Any, ...]]
    partial_may_not_exist: bool = False

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"


RULES: dict[str, Primitive] = {}
"""Every primitive adlearn knows, by name. ``rules.py`` fills it."""


def register(primitive: Primitive) -> Primitive:
    """Add a primitive to the rule table, so both modes and the drawings can use it."""
    if primitive.name in RULES:
        raise ValueError(
            f"A primitive named {primitive.name!r} already exists. "
            "Pick another name: each operation has exactly one rule."
        )
    RULES[primitive.name] = primitive
    return primitive


def lookup(name: str) -> Primitive:
    """The primitive called `name`, or an error that says how to add it."""
    try:
        return RULES[name]
    except KeyError:
        known = ", ".join(sorted(RULES))
        raise NotImplementedError(
            f"adlearn has no derivative rule for {name!r}. Known operations: {known}. "
            "To add one, call adlearn.define_primitive(...) with its value and partials."
        ) from None


class Node:
    """A number that records how it was computed: the base of `Dual` and `Variable`.

    Attributes shared by both modes:

    * ``value``: the ordinary number this stands for.
    * ``name``: an optional label for drawings (``"x"``, ``"w1"``).
    * ``primitive``: the operation that produced it, or ``None`` for an input.
    * ``inputs``: the operands it was computed from, in order. An operand that is
      a plain number (the ``6`` in ``x + 6``) is kept as that number: a constant.
    * ``partials``: d(this)/d(input) for each input, in the same order.
    """

    __slots__ = ("value", "name", "primitive", "inputs", "partials")

    value: Any
    name: str | None
    primitive: Primitive | None
    inputs: tuple[Any, ...]
    partials: tuple[Any, ...]

    # Which type records an operation when types are nested: the highest tag wins.
    # A Variable is always outermost; Duals get a fresh tag per derivative.
    tag: float = 0

    def _record(self, primitive: Primitive, args: tuple[Any, ...]) -> Node:
        raise NotImplementedError

    @property
    def op(self) -> str | None:
        """The operation's symbol for drawings and traces (``None`` for an input)."""
        return None if self.primitive is None else self.primitive.symbol

    @property
    def is_leaf(self) -> bool:
        """True for an input: a node that no operation produced."""
        return self.primitive is None

    # Every operator is one line: it hands the work to `apply`.
    def __add__(self, other: Any) -> Any:
        return apply("add", self, other)

    def __radd__(self, other: Any) -> Any:
        return apply("add", other, self)

    def __sub__(self, other: Any) -> Any:
        return apply("sub", self, other)

    def __rsub__(self, other: Any) -> Any:
        return apply("sub", other, self)

    def __mul__(self, other: Any) -> Any:
        return apply("mul", self, other)

    def __rmul__(self, other: Any) -> Any:
        return apply("mul", other, self)

    def __truediv__(self, other: Any) -> Any:
        return apply("div", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return apply("div", other, self)

    def __pow__(self, other: Any) -> Any:
        return apply("pow", self, other)

    def __rpow__(self, other: Any) -> Any:
        return apply("pow", other, self)

    def __neg__(self) -> Any:
        return apply("neg", self)

    def __pos__(self) -> Node:
        return self

    def __abs__(self) -> Any:
        return apply("abs", self)

    # Comparisons look at the value only: they decide which branch a program takes.
    def __lt__(self, other: Any) -> bool:
        return bool(self.value < _value_of(other))

    def __le__(self, other: Any) -> bool:
        return bool(self.value <= _value_of(other))

    def __gt__(self, other: Any) -> bool:
        return bool(self.value > _value_of(other))

    def __ge__(self, other: Any) -> bool:
        return bool(self.value >= _value_of(other))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Node, int, float)):
            return bool(self.value == _value_of(other))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, (Node, int, float)):
            return bool(self.value != _value_of(other))
        return NotImplemented

    # Hashing is by identity, as for PyTorch tensors: two different numbers with the
    # same value stay two keys, and a key never changes when its value does.
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return bool(self.value)

    def __float__(self) -> float:
        kind = type(self).__name__
        raise TypeError(
            f"A {kind} cannot be turned into a plain float: that would silently drop its "
            f"derivative. If you called math.sin, math.exp or numpy on a {kind}, use "
            f"adlearn.sin, adlearn.exp, ... instead. If you only want the number, use .value."
        )


def _value_of(x: Any) -> Any:
    return x.value if isinstance(x, Node) else x


def apply(name: str, *args: Any) -> Any:
    """Apply the primitive called `name` to `args`: the one door for every operation.

    With plain numbers it just computes the value. If any argument is a `Dual` or a
    `Variable`, that type records the operation (value, inputs and local partials).
    When types are nested (a Variable holding Duals, or Duals from two different
    derivatives), the outermost one records and the others count as constants.
    """
    primitive = RULES.get(name) or lookup(name)
    leader: Node | None = None
    for arg in args:
        if isinstance(arg, Node) and (leader is None or arg.tag > leader.tag):
            leader = arg
    if leader is None:
        return primitive.evaluate(*args)
    return leader._record(primitive, args)


def check_operand(arg: Any, operation: str, kind: str) -> None:
    """Raise a clear TypeError when `arg` cannot take part in arithmetic."""
    if isinstance(arg, (int, float, Node)):
        return
    raise TypeError(
        f"Cannot use {arg!r} (of type {type(arg).__name__}) in {operation} with a {kind}: "
        f"a {kind} combines only with ints, floats and other adlearn numbers. "
        "Convert it to a number first, for example float(...)."
    )


def topological_order(*outputs: Node) -> list[Node]:
    """All nodes that `outputs` depend on, each once, every node after its inputs.

    This is the only graph traversal in adlearn. It is a depth-first search with an
    explicit stack instead of recursion, so its depth is unlimited. Inputs are
    visited in their recorded order, so the result is the same on every run.
    """
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(output, False) for output in reversed(outputs)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        tag = node.tag
        for operand in reversed(node.inputs):
            if isinstance(operand, Node) and operand.tag == tag and id(operand) not in seen:
                stack.append((operand, False))
    return order


def adjoints(output: Any, seed: Any = 1.0) -> dict[Any, Any]:
    """d(output)/d(node) for every node `output` depends on, without touching ``.grad``.

    The reverse sweep of ``backward()`` written into a dict, for the drawings and
    traces: what they show never depends on how often ``backward()`` was called.
    """
    order = topological_order(output)
    adjoint: dict[int, Any] = {id(output): seed}
    for node in reversed(order):
        g = adjoint.get(id(node), 0.0)
        for x, partial in zip(node.inputs, node.partials):
            if isinstance(x, Node) and x.tag == node.tag:
                adjoint[id(x)] = adjoint.get(id(x), 0.0) + partial * g
    return {node: adjoint.get(id(node), 0.0) for node in order}


def real_value(value: Any, kind: str) -> Any:
    """Check a value given to ``Dual(...)`` or ``Variable(...)``; ints become floats."""
    if isinstance(value, Node):
        return value  # nesting, for higher derivatives
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (list, tuple)):
        advice = f"For several numbers, make one {kind} each: [{kind}(v) for v in values]."
    elif isinstance(value, str):
        advice = f"Convert the text to a number first: {kind}(float({value!r}))."
    elif isinstance(value, complex):
        advice = "adlearn differentiates real-valued functions; use the real part, or Complex."
    elif value is None:
        advice = "Did a function forget to return its result?"
    else:
        advice = "Pass an int or a float."
    raise TypeError(
        f"{kind}(...) needs a real number, but got {value!r} "
        f"(of type {type(value).__name__}). {advice}"
    )


def undefined_partial(primitive: Primitive, values: Sequence[Any], index: int) -> ValueError:
    """The error for a local partial derivative that does not exist (it came out NaN)."""
    shown = ", ".join(repr(v) for v in values)
    return ValueError(
        f"{primitive.name}({shown}) has no derivative with respect to input {index + 1}: "
        "the local partial is undefined there. "
        + (
            "For x ** y, the derivative in y needs log(x), so x must be positive; "
            "if the exponent is a fixed number, pass a plain int or float."
            if primitive.name == "pow"
            else "Move the input away from this point."
        )
    )
