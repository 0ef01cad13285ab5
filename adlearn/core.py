"""What forward mode (`Dual`) and reverse mode (`Variable`) share.

* `Primitive`: one elementary operation (``mul``, ``sin``, ...): its value, its
  *local partial derivatives* (one per input), its symbol, where it is defined.
  ``rules.py`` is the table of them; `define_primitive` adds a row.
* `Node`: the base of `Dual` and `Variable`. A result knows its ``value``, the
  ``inputs`` it was computed from and the local ``partials`` with respect to them.
  That record is the computation graph.
* Each number type makes its own code for each row, once, when the row is defined
  (`Node.install`): `adlearn.dual.forward_operation` and
  `adlearn.variable.reverse_operation`. Those functions are the operators
  (``Dual.__mul__``) and what ``adlearn.sin`` runs on a Dual or a Variable.
* `apply`: the general door. Whenever an operator meets anything unusual (numbers
  of two derivatives nested, a bad operand, an error), it hands the work to
  `apply`, which handles every mix of types and whose messages explain what went
  wrong.
* `topological_order`: the order of a graph's nodes, iterative, so a chain of a
  million operations is no problem; `in_graph`: the rule for which operands are
  nodes of a graph. ``backward()``, the drawings and the widgets use both. Where
  a loop runs once per operation or per edge (the operators, `_flat_order`,
  ``backward()``'s sweep), the test is written out as ``type(b) is kind and b.tag
  is tag``, marked "in_graph, written out": a call there would cost about as much
  as the arithmetic.
* `Tag`: each derivative (`derivative`, `gradient`, ...) gets its own tag, so that
  derivatives nested inside each other never mix their numbers.
"""

from __future__ import annotations

import itertools
import numbers
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

# --- tags: which derivative a number belongs to -------------------------------------

_levels = itertools.count(2)


class Tag:
    """The identity of one derivative. A later tag is nested inside an earlier one.

    When numbers of two derivatives meet in one operation, the number with the
    later (higher) level records it and treats the other as a constant. A tag is
    ``finished`` when its derivative has returned. A number of a finished tag that
    meets a number of another derivative escaped from its own (a *leaked
    perturbation*): `apply`, where every such meeting goes, refuses it. (An escaped
    number computed with itself or with plain numbers is not looked at: the
    operators check the tag only when two derivatives' numbers meet.)
    """

    __slots__ = ("level", "records", "finished", "around")

    def __init__(self, level: float, records: bool) -> None:
        self.level = level
        self.records = records  # do its Duals keep inputs and partials (to be drawn)?
        self.finished = False
        self.around: Tag | None = None  # the tag of Variables made by hand around ours

    def wrapped(self) -> Tag:
        """The tag of a Variable made by hand around a number of this tag.

        ``Variable(Dual(p, v, tag=t))`` must record above the Dual (forward over
        reverse): all such Variables share one tag, just above ``t``.
        """
        if self.level < HAND_MADE_VARIABLE.level:
            return HAND_MADE_VARIABLE
        if self.around is None:
            self.around = Tag(self.level + 0.5, records=True)
        return self.around

    def __repr__(self) -> str:
        return f"Tag(level={self.level})"


def new_tag(records: bool = False) -> Tag:
    """A tag no number has used yet: one per derivative, so nesting stays exact.

    ``records=True`` makes its Duals keep what they were computed from, so that they
    can be drawn (hand-made Duals do); Variables always keep it.
    """
    return Tag(next(_levels), records)


HAND_MADE_DUAL = Tag(0, records=True)  # Dual(3.0, 1.0) typed by hand: drawable
HAND_MADE_VARIABLE = Tag(1, records=True)  # Variable(3.0): around hand-made Duals


# --- the table's row --------------------------------------------------------------------


@dataclass(eq=False)
class Primitive:
    """An elementary operation and its derivative rule: one row of the table.

    * ``value(*inputs)`` computes the value on plain floats (``math.sin``);
      ``complex_`` on complex numbers, if sensible; ``array`` on NumPy arrays.
    * ``partials(*inputs, out)`` returns the local partial derivatives, one per
      input, given the inputs and the value ``out`` already computed. It is written
      with adlearn's own functions, so it works on nested numbers too.
    * ``evaluate(*inputs)`` is the function users call (``adlearn.sin``): it works
      on floats, complex numbers, `Dual` and `Variable`.
    * ``symbol`` is what drawings and traces show; ``operator`` names the Python
      operator it implements (``"mul"`` gives ``x * y``), if any.
    * ``constant_partials``: the partials, when they are the same numbers at every
      point (``add``: 1 and 1), as declared in the row with
      ``partials=constant_partials(1.0, 1.0)``; otherwise None.
    * ``domain`` says where it is defined, for error messages; ``hint`` says what to
      do when a partial does not exist (``partial_may_not_exist`` marks such rules:
      their partials are checked for NaN).
    * ``operations``: for each number type (`Dual`, `Variable`), the function that
      computes this row on it, made once from the row by the type's maker
      (`adlearn.dual.forward_operation`, `adlearn.variable.reverse_operation`).
    """

    name: str
    symbol: str
    arity: int
    evaluate: Callable[..., Any]
    partials: Callable[..., tuple[Any, ...]]
    value: Callable[..., Any]
    complex_: Callable[..., Any] | None = field(default=None, repr=False)
    array: Callable[..., Any] | None = field(default=None, repr=False)
    operator: str | None = None
    domain: str = ""
    hint: str = "Move the input away from this point."
    partial_may_not_exist: bool = False
    constant_partials: tuple[Any, ...] | None = None
    operations: dict[type, Callable[..., Any]] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"Primitive({self.name!r}, symbol={self.symbol!r}, arity={self.arity})"


Args = tuple[Any, ...]  # the operands of an operation, or their partials, in order

RULES: dict[str, Primitive] = {}
"""Every primitive adlearn knows, by name. ``rules.py`` fills it."""

MODES: list[type[Node]] = []
"""The number types that make their own code for every rule (Dual, Variable)."""

OPERATORS: dict[str, Primitive] = {}
"""Which row owns each Python operator (``"mul"``: the row that ``*`` runs)."""


def register(primitive: Primitive) -> Primitive:
    """Put a row into the table and give every number type its code for it."""
    RULES[primitive.name] = primitive
    if primitive.operator:
        OPERATORS[primitive.operator] = primitive
    for mode in MODES:
        mode.install(primitive)
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


# --- the numbers that record ----------------------------------------------------------


class Node:
    """A number that knows how it was computed: the base of `Dual` and `Variable`.

    The drawing protocol (your own node classes can follow it too):

    * ``value``: the ordinary number this stands for;
    * ``inputs``: the operands it was computed from, in order; an operand that is a
      plain number (the ``6`` in ``x + 6``) is a constant;
    * ``partials``: d(this)/d(input) for each input, in the same order;
    * ``op``: the operation's symbol, ``None`` for an input; ``name``: a label.
    """

    __slots__ = ("label", "tag")  # and `value`: a property of Dual and Variable

    value: Any
    label: str | None
    tag: Tag

    @property
    def primitive(self) -> Primitive | None:
        """The operation that made this number, ``None`` for an input."""
        raise NotImplementedError

    @property
    def inputs(self) -> tuple[Any, ...]:
        """The operands this number was computed from, in order."""
        raise NotImplementedError

    @property
    def partials(self) -> tuple[Any, ...]:
        """d(this)/d(input) for each input, in the same order."""
        raise NotImplementedError

    # Where is __mul__? Not here: these stubs only tell type checkers that the methods
    # exist. Node.install (below) sets each one, for Dual and Variable, to the function
    # that dual.forward_operation / variable.reverse_operation made from the row of
    # rules.py that owns the operator (``*``: RULES["mul"]); show_code("mul") prints it.
    if TYPE_CHECKING:

        def __add__(self, other: Any) -> Any: ...
        def __radd__(self, other: Any) -> Any: ...
        def __sub__(self, other: Any) -> Any: ...
        def __rsub__(self, other: Any) -> Any: ...
        def __mul__(self, other: Any) -> Any: ...
        def __rmul__(self, other: Any) -> Any: ...
        def __truediv__(self, other: Any) -> Any: ...
        def __rtruediv__(self, other: Any) -> Any: ...
        def __pow__(self, other: Any) -> Any: ...
        def __rpow__(self, other: Any) -> Any: ...
        def __neg__(self) -> Any: ...
        def __abs__(self) -> Any: ...

    @classmethod
    def operation(cls, primitive: Primitive) -> Callable[..., Any]:
        """This type's code for one row: the function that computes it on this type."""
        raise NotImplementedError

    @classmethod
    def install(cls, primitive: Primitive) -> None:
        """Make this type's code for `primitive` once, and keep it: in the row (for
        ``adlearn.sin(x)``) and, for an operator, as the method (``__mul__``)."""
        operation = cls.operation(primitive)
        primitive.operations[cls] = operation
        if primitive.operator and OPERATORS.get(primitive.operator) is primitive:
            setattr(cls, f"__{primitive.operator}__", operation)
            if primitive.arity == 2:
                setattr(cls, f"__r{primitive.operator}__", operation.reflected)  # type: ignore[attr-defined]

    @classmethod
    def make(cls, primitive: Primitive, out: Any, args: Args, partials: Args, tag: Tag) -> Node:
        """The result of `primitive` on `args`, whose value and partials are known."""
        raise NotImplementedError

    @property
    def name(self) -> str | None:
        """A label for drawings (``"x"``), or None. Results of operations have none."""
        return getattr(self, "label", None)  # left unset by the fast paths

    @name.setter
    def name(self, name: str | None) -> None:
        self.label = None if name is None else str(name)

    @property
    def op(self) -> str | None:
        """The operation's symbol for drawings and traces (``None`` for an input)."""
        return None if self.primitive is None else self.primitive.symbol

    @property
    def is_leaf(self) -> bool:
        """True for an input: a node that no operation produced."""
        return self.primitive is None

    # Comparisons look at the value only: they decide which branch a program takes.
    # (So Dual(0.0, 1.0) == 0 is True: equal values. Compare .derivative as well to
    # ask whether two dual numbers are equal as dual numbers.)
    def __lt__(self, other: Any) -> bool:
        return bool(self.value < value_of(other))

    def __le__(self, other: Any) -> bool:
        return bool(self.value <= value_of(other))

    def __gt__(self, other: Any) -> bool:
        return bool(self.value > value_of(other))

    def __ge__(self, other: Any) -> bool:
        return bool(self.value >= value_of(other))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Node, int, float)):
            return bool(self.value == value_of(other))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, (Node, int, float)):
            return bool(self.value != value_of(other))
        return NotImplemented

    # Hashing is by identity, as for PyTorch tensors: two different numbers with the
    # same value stay two keys, and a key never changes when its value does.
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return bool(self.value)

    def __pos__(self) -> Node:
        return self

    def __float__(self) -> float:
        kind = type(self).__name__
        raise TypeError(
            f"A {kind} cannot be turned into a plain float: that would silently drop its "
            f"derivative. If you called math.sin, math.exp or numpy on a {kind}, use "
            f"adlearn.sin, adlearn.exp, ... instead. If you only want the number, use .value."
        )

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return f"{type(self).__name__}({format(value_of(self), spec)})"

    def __round__(self, ndigits: int | None = None) -> Any:
        raise TypeError(
            f"round() of a {type(self).__name__} would drop its derivative. "
            "Round its .value instead: round(x.value)."
        )

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # numpy asks here first. Arithmetic with a numpy scalar works as with a float;
        # numpy's own functions (np.sin) cannot know the derivative: say what to use.
        name = getattr(ufunc, "__name__", "")
        if any(getattr(v, "shape", ()) != () for v in inputs):
            raise TypeError(
                f"numpy's {name}() of an array and a {type(self).__name__}: a Dual or a "
                "Variable holds one number. For arrays with derivatives, use adlearn.Tensor; "
                "or make one Variable per number."
            )
        if method == "__call__" and name in NUMPY_ARITHMETIC and len(inputs) == 2 and not kwargs:
            a, b = (v if isinstance(v, Node) else v.item() for v in inputs)
            return NUMPY_ARITHMETIC[name](a, b)
        kind = type(self).__name__
        raise TypeError(
            f"numpy's {name}() cannot differentiate a {kind}: numpy only sees numbers. "
            f"Use adlearn's function instead (adlearn.{name}(x) for the elementary ones)."
        )


NUMPY_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "true_divide": operator.truediv,
    "divide": operator.truediv,  # NumPy 2's name for it
    "power": operator.pow,
}


class FlatNode(Node):
    """A node that keeps its one or two inputs in slots: ``a`` and ``b`` (``b`` is None
    for a one-input operation) with their partials ``pa`` and ``pb``, instead of two
    tuples. Fewer objects per node make recording faster. (`Variable` is one.)
    """

    __slots__ = ("primitive", "a", "b", "pa", "pb", "mark")

    mark: object  # used by topological_order while it walks the graph
    a: Any
    b: Any
    pa: Any
    pb: Any

    @property
    def inputs(self) -> tuple[Any, ...]:
        if self.primitive is None:
            return ()
        return (self.a,) if self.b is None else (self.a, self.b)

    @property
    def partials(self) -> tuple[Any, ...]:
        if self.primitive is None:
            return ()
        return (self.pa,) if self.b is None else (self.pa, self.pb)


def named(
    operation: Callable[..., Any],
    reflected: Callable[[Any, Any], Any],
    row: Primitive,
    mode: str,
    maker: str,
) -> Callable[..., Any]:
    """Name a mode's code for `row` and attach its reflected form (``2 * x``).

    ``2 * x`` calls ``x.__rmul__(2)``: the operands arrive swapped, so each maker
    writes that case as its own function, ``reflected(x, 2)``, and `Node.install`
    sets it as ``__rmul__``.
    """
    made = f"(made by {maker}_operation)"
    operation.__name__ = operation.__qualname__ = f"{row.name}_on_{mode}"
    operation.__doc__ = f"adlearn.RULES[{row.name!r}] on {mode}s {made}."
    if row.arity == 2:
        reflected.__name__ = reflected.__qualname__ = f"reflected_{row.name}_on_{mode}"
        reflected.__doc__ = f"2 {row.symbol} x, x a {mode}: adlearn.RULES[{row.name!r}] {made}."
        operation.reflected = reflected  # type: ignore[attr-defined]
    return operation


def value_of(x: Any) -> Any:
    """The plain value of an adlearn number (or the number itself)."""
    return x.value if isinstance(x, Node) else x


PLAIN = (float, int)
"""The types of plain numbers that the operators handle directly (not bool)."""


def is_real(x: Any) -> bool:
    """An int or a float (not a bool): what adlearn treats as a constant."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# --- the one door ------------------------------------------------------------------------


def apply(primitive: Primitive | str, *args: Any) -> Any:
    """Apply a primitive to `args`: the general path every operation can take.

    With plain numbers it just computes the value. If any argument is a `Dual` or a
    `Variable`, the one with the latest tag records: its operands of the same tag
    give their values, everything else is a constant (nested numbers included).
    """
    if isinstance(primitive, str):
        primitive = lookup(primitive)
    args = tuple(check_operand(arg, primitive) for arg in args)
    leader: Node | None = None
    for arg in args:
        if isinstance(arg, Node) and (leader is None or arg.tag.level > leader.tag.level):
            leader = arg
    if leader is None:
        return evaluate(primitive, args)
    tag, kind = leader.tag, type(leader)
    for arg in args:
        if isinstance(arg, Node) and arg.tag.finished:
            raise PerturbationError(LEAKED)
    live = [in_graph(a, kind, tag) for a in args]  # the rule of topological_order
    values = tuple(a.value if is_live else a for a, is_live in zip(args, live))
    # Dual's "a dual number whose value is 0 has no inverse" explains a division by zero
    # only when that Dual is the divisor: the last operand, an input here, at 0
    divisor_kind = kind if live[-1] and values[-1] == 0 else None
    out = evaluate(primitive, values, divisor_kind)
    try:
        partials = tuple(primitive.partials(*values, out))
    except (ArithmeticError, ValueError) as error:
        raise _partial_error(primitive, values, out, error) from None
    if primitive.partial_may_not_exist and out == out:
        for index, partial in enumerate(partials):
            if live[index] and partial != partial:  # NaN: this partial does not exist
                raise undefined_partial(primitive, values, index)
    return kind.make(primitive, out, args, partials, tag)


def evaluate(primitive: Primitive, values: tuple[Any, ...], kind: type | None = None) -> Any:
    """The value of `primitive` at `values`, or an error that says what went wrong
    (`kind`: the number type whose ``zero_divisor`` explains a division by zero)."""
    try:
        return primitive.evaluate(*values)
    except (ArithmeticError, ValueError) as error:
        call = _call(primitive, values)
        if any(isinstance(v, Node) for v in values):  # explained already, one level in
            raise type(error)(
                f"{error}\n(raised inside {call}, one derivative further out)"
            ) from None
        if isinstance(error, OverflowError):
            raise OverflowError(
                f"{call} overflows: the result is larger than the largest float (about 1.8e308)."
            ) from None
        why = getattr(kind, "zero_divisor", "")
        if why and isinstance(error, ZeroDivisionError):
            raise ZeroDivisionError(f"{call}: {why}") from None
        explanation = primitive.domain or f"{primitive.name} is not defined there"
        raise type(error)(f"{call} is undefined: {explanation}.") from None


def _partial_error(
    primitive: Primitive, values: tuple[Any, ...], out: Any, error: Exception
) -> Exception:
    """The error of a local partial derivative that cannot be computed (its value can)."""
    call = _call(primitive, values)
    if any(isinstance(v, Node) for v in values):  # already explained, one level in
        return type(error)(f"{error}\n(raised in a partial of {call}, one derivative further out)")
    if isinstance(error, OverflowError):
        return OverflowError(
            f"{call} = {value_of(out)!r}, but a local partial derivative of {primitive.name} "
            "there is larger than the largest float (about 1.8e308): the derivative overflows."
        )
    return type(error)(
        f"{call} = {value_of(out)!r}, but a local partial derivative of {primitive.name} is "
        f"undefined there ({error}). {primitive.hint}"
    )


def _call(primitive: Primitive, values: tuple[Any, ...]) -> str:
    return f"{primitive.name}({', '.join(repr(value_of(v)) for v in values)})"


def check_operand(arg: Any, primitive: Primitive) -> Any:
    """The operand as adlearn computes with it: an adlearn number, an int or a float
    (any other real number, NumPy's included, becomes a float); or a clear TypeError."""
    if isinstance(arg, Node) or type(arg) in PLAIN:
        return arg
    if isinstance(arg, numbers.Real) and not isinstance(arg, bool):
        return int(arg) if isinstance(arg, numbers.Integral) else float(arg)
    if type(arg).__name__ == "ndarray":
        raise TypeError(
            f"Cannot use a NumPy array in {primitive.name} ({primitive.symbol}) with adlearn's "
            "scalar numbers: a Dual or a Variable holds one number. For arrays with "
            "derivatives, use adlearn.Tensor; or make one Variable per number."
        )
    raise TypeError(
        f"Cannot use {arg!r} (of type {type(arg).__name__}) in {primitive.name} "
        f"({primitive.symbol}): adlearn numbers combine only with ints, floats and other "
        "adlearn numbers. Convert it to a number first, for example float(...)."
    )


def undefined_partial(primitive: Primitive, values: tuple[Any, ...], index: int) -> ValueError:
    """The error for a local partial derivative that does not exist (it came out NaN)."""
    return ValueError(
        f"{_call(primitive, values)} has no derivative with respect to input {index + 1}: "
        f"the local partial is undefined there. {primitive.hint}"
    )


NO_INVERSE = (
    "a dual number whose value is 0 has no inverse, because "
    "(0 + bε)·(c + dε) = bc·ε is never 1. Dual numbers form a ring, not a field. The "
    "function has no derivative (or no value) at this point."
)


class PerturbationError(RuntimeError):
    """A derivative met a number it cannot account for (see the message)."""


LEAKED = (
    "A leaked perturbation: this computation uses a number from a derivative that has "
    "already returned. Its tangent was never read off, so it would silently mix into "
    "this derivative. Usually it escaped from an inner function through a list, a dict, "
    "a cache or a global. Use value_and_derivative(g, y) to get an inner function's "
    "value with its perturbation removed."
)


# --- the order of a graph, and the reverse sweep ------------------------------------------


def topological_order(*outputs: Any, within: Callable[[Any], bool] | None = None) -> list[Any]:
    """Every node the outputs depend on, once each, each after all of its inputs.

    An iterative depth-first search (no recursion, so any depth works): a node is
    *entered* when first taken off the stack, its inputs are pushed above it, and it
    is *placed* in the order when it comes off the stack again, after all of them. An
    operand is a node of the graph when it has the type and tag of the node that used
    it (`in_graph`); anything else is a constant. This works for any class that
    follows the drawing protocol of `Node` (``inputs``), your own too. Inputs are
    visited in order, so the result is the same on every run. With ``within``, only
    the operands for which ``within(operand)`` is true are followed (the drawings
    order the part of a huge graph nearest its output this way).
    """
    if within is None and outputs and all(isinstance(output, FlatNode) for output in outputs):
        return _flat_order(outputs)
    order: list[Any] = []
    placed: dict[Any, bool] = {}  # False: entered, its inputs being visited; True: placed
    stack = list(reversed(outputs))
    while stack:
        node = stack.pop()
        try:
            state = placed.get(node)
        except TypeError:
            raise TypeError(UNHASHABLE.format(kind=type(node).__name__)) from None
        if state is not None:
            if state is False:  # second visit: all its inputs are placed
                placed[node] = True
                order.append(node)
            continue
        placed[node] = False
        stack.append(node)  # come back to it after its inputs
        kind, tag = type(node), getattr(node, "tag", None)
        for operand in reversed(node.inputs):
            if not in_graph(operand, kind, tag) or operand in placed:
                continue  # a constant, or placed already
            if within is None or within(operand):
                stack.append(operand)
    return order


def _flat_order(outputs: tuple[Any, ...]) -> list[Any]:
    """The same search for adlearn's own FlatNodes, made fast for backward(): each
    node's state is a mark in its ``mark`` slot instead of an entry in a dict (two
    fresh marks per search, so an old search's marks never count), and its inputs
    are read from the slots ``a`` and ``b``.

    Why two searches: on a chain of 10,000 or 100,000 Variables the general search
    above takes 2.5x as long as this one, and backward() would take about 1.9x as
    long with it (measured, December 2026). A test checks that both give one order.
    """
    order: list[Any] = []
    entered, placed = object(), object()
    stack = list(reversed(outputs))
    while stack:
        node = stack.pop()
        mark = node.mark
        if mark is entered:  # second visit: all its inputs are placed
            node.mark = placed
            order.append(node)
            continue
        if mark is placed:
            continue
        node.mark = entered
        stack.append(node)  # come back to it after its inputs
        kind, tag, b, a = type(node), node.tag, node.b, node.a
        # in_graph(b, kind, tag), written out, and b not visited yet; then the same for a
        if type(b) is kind and b.tag is tag and b.mark is not entered and b.mark is not placed:
            stack.append(b)
        if type(a) is kind and a.tag is tag and a.mark is not entered and a.mark is not placed:
            stack.append(a)
    return order


def in_graph(operand: Any, kind: type, tag: Any) -> bool:
    """Is `operand` a node of the graph (same type and tag as its user), or a constant?"""
    return type(operand) is kind and getattr(operand, "tag", None) is tag


UNHASHABLE = (
    "{kind} defines __eq__ but no __hash__, so Python cannot keep its nodes apart in a "
    "dict, and a graph cannot be walked. Add `__hash__ = object.__hash__` to the class "
    "{kind}: each node is then itself, whatever its value."
)


def reverse_sweep(output: Any, seed: Any = 1.0) -> Iterator[tuple[Any, Any, Any, Any, Any]]:
    """The reverse sweep for any graph, one chain-rule update at a time.

    Visits the nodes in the reverse of `topological_order`, so a node's adjoint is
    complete when its turn comes, and for each edge to a node of the graph yields
    ``(node, operand, partial, upstream, total)``: the update ``adjoint[operand] +=
    partial × adjoint[node]`` with ``upstream = adjoint[node]`` and the operand's
    running ``total`` after it. It never touches ``.grad``: `adjoints`, the drawings
    and the traces read it, so what they show never depends on how often
    ``backward()`` ran. (``Variable.backward()`` runs the same sweep on its own
    nodes' slots, `adlearn.variable.backpropagate`: the tests check they agree. It
    is kept apart because this one, general, yielding every step and keeping a dict,
    takes about 4x as long as ``backward()`` on a 10,000- or 100,000-op chain.)
    """
    order = topological_order(output)
    adjoint: dict[Any, Any] = {output: seed}
    for node in reversed(order):
        upstream = adjoint.get(node, 0.0)
        kind, tag = type(node), getattr(node, "tag", None)
        for operand, partial in zip(node.inputs, node.partials):
            if in_graph(operand, kind, tag):  # constants take no adjoint
                step = contribution(partial, upstream)
                total = adjoint[operand] + step if operand in adjoint else step
                adjoint[operand] = total
                yield node, operand, partial, upstream, total


def adjoints(output: Any, seed: Any = 1.0) -> dict[Any, Any]:
    """d(output)/d(node) for every node `output` depends on, from `reverse_sweep`."""
    found: dict[Any, Any] = {output: seed}
    for _, operand, _, _, total in reverse_sweep(output, seed):
        found[operand] = total
    return {node: found.get(node, 0.0) for node in topological_order(output)}


NO_TANGENT = 0
"""The tangent of an input that a derivative does not move: the exact integer 0.

Forward mode seeds the inputs it does not perturb with it (a *structural* zero, as
JAX's symbolic zeros). Such a tangent contributes nothing, even through an infinite
partial: the Jacobian of sqrt(x) * y at (0, 2) has 0, not NaN, in its y column. A
zero that was *computed* (2x at x = 0) is a number like any other: times an infinite
partial it gives NaN, in both modes, as in PyTorch and JAX (lesson 05).
"""


def contribution(partial: Any, weight: Any) -> Any:
    """partial × weight, where a structural zero weight contributes exactly nothing."""
    product = partial * weight
    if product != product and type(weight) is int and weight == 0:
        return NO_TANGENT
    return product


def checked_number(value: Any, kind: str, call: str | None = None) -> Any:
    """Check a value given to ``Dual(...)`` or ``Variable(...)`` (or, with `call`, to
    ``x.value = ...``); ints become floats."""
    if isinstance(value, Node):
        return value  # nesting, for higher derivatives
    if is_real(value):
        return float(value)
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return checked_number(value.item(), kind, call)  # a numpy scalar
    if isinstance(value, (list, tuple)):
        advice = f"For several numbers, make one {kind} each: [{kind}(v) for v in values]."
    elif isinstance(value, str):
        advice = f"Convert the text to a number first: {kind}(float({value!r}))."
    elif isinstance(value, complex):
        advice = "adlearn differentiates real-valued functions; use the real part, or Complex."
    elif value is None:
        advice = "Did a function forget to return its result?"
    elif type(value).__name__ == "ndarray":
        advice = f"A {kind} holds one number; for arrays with derivatives, use adlearn.Tensor."
    else:
        advice = "Pass an int or a float."
    raise TypeError(
        f"{call or kind + '(...)'} needs a real number, but got {value!r} "
        f"(of type {type(value).__name__}). {advice}"
    )
