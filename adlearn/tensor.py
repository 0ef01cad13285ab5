"""Reverse mode on arrays: a `Tensor` is one graph node per array operation.

`Variable` makes a node for every multiplication of two numbers, so a 128 x 64 times
64 x 64 matrix product costs half a million nodes. A `Tensor` holds a whole NumPy
array (float64) and makes one node for the whole product. Each node records its
rule (a row of ``array_rules.py``), its operands and their values; ``backward()``
walks the nodes in reverse topological order (the same `topological_order` as
`Variable`) and asks each rule for its vector-Jacobian products:

    operand.grad += unbroadcast(vjp(G, out, *inputs), operand.shape)

Two things keep it fast: an operand that is a constant (a plain number, a NumPy
array) is not part of the graph, so its VJP is never computed; and broadcasting is
undone in one place (`unbroadcast`), only when shapes differ.

Gradients accumulate as for `Variable`: ``backward()`` adds into the ``.grad`` of
every input Tensor; ``zero_grad()`` starts again. Unlike `Variable`, an intermediate
result keeps no ``.grad`` (as in PyTorch): each is freed as soon as the sweep has
passed it on, so a training step holds its activations plus the few gradients alive during
the sweep: its peak, measured on the digits network (benchmarks/arrays.py), is about 2.6
times the values the graph keeps.

Forward mode, to check the VJPs: `jvp` pushes tangents through the same rows, and
`jacobian` builds a small Jacobian both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .array_rules import ARRAY_RULES, ArrayRule, unbroadcast
from .core import RULES, Node, topological_order

Array = Any


class Tensor:
    """An array that records the array operations done with it, for reverse mode.

    >>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], name="W")
    >>> loss = (W @ [1.0, 1.0]).sum()
    >>> loss.backward()
    >>> W.grad.tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """

    __slots__ = (
        "_value",
        "_grad",
        "rule",
        "inputs",
        "args",
        "params",
        "name",
        "tangent",
        "born",
        "changed",
    )  # `value` (below) reads and sets _value

    rule: ArrayRule | None

    def __init__(self, value: Any, name: str | None = None) -> None:
        self._value = _checked_array(value)
        self.born = self.changed = CHANGES
        self._grad: Array = None
        self.rule = None
        self.inputs: tuple[Any, ...] = ()
        self.args: tuple[Any, ...] = ()
        self.params: dict[str, Any] | None = None
        self.name = None if name is None else str(name)
        self.tangent: Array = None

    # --- what a node holds ----------------------------------------------------------

    @property
    def value(self) -> np.ndarray:
        """The array this Tensor holds.

        An input's value may be changed between graphs, as a gradient step does
        (``p.value -= rate * p.grad``, like PyTorch's ``optimizer.step()``). A graph
        recorded before the change saved the old numbers (NumPy changes them in
        place), so its ``backward()`` refuses: record it again. A computed Tensor's
        value cannot be set. (Setting single entries, ``p.value[0] = 1.0``, goes
        past this check: change the whole array instead.)
        """
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        global CHANGES
        if self.rule is not None:
            raise AttributeError(
                f"This Tensor was computed by {self.rule.name}, so its value is what that "
                "operation gave and cannot be set: the graph would no longer match its "
                "numbers. Change an input Tensor's value and record the computation again, "
                "or make a new Tensor."
            )
        new = _checked_array(value)
        if new.shape != self._value.shape:
            raise ValueError(
                f"Setting .value: the new array has shape {new.shape}, this Tensor "
                f"{self._value.shape}. A gradient step keeps the shape; for an input of "
                "another shape, make a new Tensor."
            )
        self._value = new
        CHANGES += 1
        self.changed = CHANGES  # graphs recorded before this moment are out of date

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def grad(self) -> np.ndarray | None:
        """d(output)/d(this) for an input Tensor, of its shape (zeros before any
        backward()). An intermediate result keeps no gradient (None), as in PyTorch:
        the sweep frees each one once it has passed it on.
        """
        if self._grad is None:
            return np.zeros(self.value.shape) if self.rule is None else None
        return np.asarray(self._grad)

    @grad.setter
    def grad(self, grad: Any) -> None:
        self._grad = None if grad is None else np.asarray(grad, dtype=float)

    @property
    def op(self) -> str | None:
        """The operation's symbol (``"@"``), ``None`` for an input."""
        return None if self.rule is None else self.rule.symbol

    @property
    def is_leaf(self) -> bool:
        return self.rule is None

    def __repr__(self) -> str:
        body = np.array2string(self.value, precision=4, separator=", ", threshold=20)
        text = f"Tensor({body}"
        if self.name is not None:
            text += f", name={self.name!r}"
        return text + ")"

    __hash__ = object.__hash__  # each node is itself, whatever its value

    # --- the reverse sweep ------------------------------------------------------------

    def backward(self, seed: Any = None) -> None:
        """Add d(self)/d(input) into the ``.grad`` of every input Tensor.

        A scalar output (shape ``()`` or a single entry) is seeded with 1. Any other
        output needs a `seed` of its own shape: the vector G in the product G·J, the
        weights of the entries whose gradient you want.
        """
        seed = _checked_seed(self, seed)
        order = topological_order(self)
        latest = max((node.changed for node in order if node.rule is None), default=0)
        if latest:  # an input was changed at some time: was it after this graph used it?
            _check_unchanged(order, latest)
        for node in order:
            if node.rule is not None:
                node._grad = None  # this sweep's adjoints start from nothing
        self._grad = seed if self._grad is None else self._grad + seed
        for node in reversed(order):  # each node after every node that uses it
            rule, g = node.rule, node._grad
            if rule is None or g is None:
                continue
            out, args, params = node.value, node.args, node.params
            for operand, vjp in zip(node.inputs, rule.vjps):
                if type(operand) is not Tensor:
                    continue  # a constant: not in the graph, so no VJP is computed
                grad = vjp(g, out, *args, **params) if params else vjp(g, out, *args)
                if grad.shape != operand.value.shape:
                    grad = unbroadcast(grad, operand.value.shape)  # the one place
                before = operand._grad
                if before is None and operand.rule is None:  # a leaf keeps its own copy:
                    grad = np.array(grad, dtype=float)  # a VJP may hand G to two leaves
                operand._grad = grad if before is None else before + grad
            node._grad = None  # passed on: free it (only the activations stay)
        for node in order:
            grad = node._grad
            if grad is not None and not (type(grad) is np.ndarray and grad.flags.writeable):
                node._grad = np.array(grad, dtype=float)  # its own, writable array

    def zero_grad(self) -> None:
        """Forget the gradients of this Tensor and of every Tensor it depends on."""
        for node in topological_order(self):
            node._grad = None

    # --- operators: one line each, through `record` -------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return record("add", self, other)

    def __radd__(self, other: Any) -> Tensor:
        return record("add", other, self)

    def __sub__(self, other: Any) -> Tensor:
        return record("sub", self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return record("sub", other, self)

    def __mul__(self, other: Any) -> Tensor:
        return record("mul", self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return record("mul", other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return record("div", self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return record("div", other, self)

    def __pow__(self, other: Any) -> Tensor:
        return record("pow", self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return record("pow", other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return record("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return record("matmul", other, self)

    def __neg__(self) -> Tensor:
        return record("neg", self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return record("abs", self)

    def __getitem__(self, index: Any) -> Tensor:
        return record("index", self, index=_checked_index(index))

    @property
    def T(self) -> Tensor:  # noqa: N802 (NumPy's name)
        return record("transpose", self)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return record("reshape", self, shape=tuple(int(n) for n in shape))

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return record("sum", self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return record("mean", self, axis=axis, keepdims=keepdims)

    def __len__(self) -> int:
        return len(self.value)

    # --- what would silently drop the derivative ----------------------------------------

    def __float__(self) -> float:
        raise TypeError(
            "A Tensor cannot be turned into a plain float: that would drop its gradient. "
            "If you called math.exp, math.sin, ... on a Tensor, use adlearn.exp, "
            "adlearn.sin, ... instead: they work on whole arrays. If you only want the "
            "numbers, use .value (a NumPy array), or .value.item() for a single number."
        )

    def __int__(self) -> int:
        raise TypeError("A Tensor cannot be turned into an int; use .value for the numbers.")

    def __bool__(self) -> bool:
        raise TypeError(
            "A Tensor has no single truth value: a branch on it would not be recorded. "
            "Compare its .value (a NumPy array) instead."
        )

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError(
            "NumPy tried to turn a Tensor into a plain array, which would drop its "
            "gradient. Use adlearn's functions and the Tensor's operators on it, or "
            "take .value if you only want the numbers."
        )

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # NumPy asks here first when a NumPy array or number meets a Tensor.
        name = getattr(ufunc, "__name__", "")
        if method == "__call__" and not kwargs and name in NUMPY_OPERATORS:
            return record(NUMPY_OPERATORS[name], *inputs)
        advice = f"adlearn.{name}(x)" if name in ELEMENTWISE else "the Tensor's operators"
        raise TypeError(
            f"numpy's {name}() cannot differentiate a Tensor: NumPy only sees numbers. "
            f"Use {advice} instead, which records the operation."
        )

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        name = getattr(func, "__name__", "this function")
        raise TypeError(
            f"numpy.{name}() cannot differentiate a Tensor. Use the Tensor's methods "
            "(x.sum(axis=0), x.mean(), x.reshape(...), x.T) or adlearn's functions "
            "(adlearn.sum, adlearn.maximum, adlearn.softmax, ...) instead."
        )


NUMPY_OPERATORS = {
    "add": "add",
    "subtract": "sub",
    "multiply": "mul",
    "true_divide": "div",
    "power": "pow",
    "matmul": "matmul",
    "negative": "neg",
}
ELEMENTWISE = ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs")


# --- the one door: every array operation is recorded here --------------------------------

_forward_mode = [0]  # > 0 while `jvp` runs: operations then push tangents too


def record(name: str, *operands: Any, **params: Any) -> Tensor:
    """Apply array rule `name` to `operands` and record the result as a node.

    An operand that is a Tensor is part of the graph; anything else (a number, a
    NumPy array) is a constant, checked here and never differentiated.
    """
    rule = ARRAY_RULES[name]
    args = tuple(o.value if type(o) is Tensor else _checked_constant(o, rule) for o in operands)
    out = rule.value(*args, **params)
    if rule.saves:
        out, params["saved"] = out
    if type(out) is not np.ndarray:
        out = np.asarray(out, dtype=float)  # NumPy returns a bare number for 0-d results
    node = object.__new__(Tensor)
    node._value, node._grad, node.rule, node.inputs = out, None, rule, operands
    node.born = CHANGES  # when it was recorded (see _check_unchanged)
    node.args, node.params, node.name, node.tangent = args, params, None, None
    if _forward_mode[0]:
        tangents = tuple(o.tangent if type(o) is Tensor else None for o in operands)
        if any(t is not None for t in tangents):
            node.tangent = np.asarray(rule.jvp(tangents, out, *args, **params), dtype=float)
    return node


# --- the functions: elementwise ones come from adlearn.sin, ... ----------------------------


def _elementwise_function(name: str) -> Callable[[Any], Any]:
    def function(x: Any) -> Any:
        if type(x) is Tensor:
            return record(name, x)
        return ARRAY_RULES[name].value(x)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{name} of every entry of a Tensor (its row: ARRAY_RULES[{name!r}])."
    return function


sin, cos, tan, exp, log, sqrt, tanh, sigmoid, relu = (
    _elementwise_function(n)
    for n in ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu")
)
for _name in ELEMENTWISE:
    # adlearn.sin(x) looks up the operation for the type of x in its row: a Tensor's
    # is its array rule
    RULES[_name].operations[Tensor] = _elementwise_function(_name)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """The sum of the entries (along `axis`). Its VJP copies G back to every entry."""
    if type(x) is Tensor:
        return x.sum(axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The mean of the entries (along `axis`)."""
    if type(x) is Tensor:
        return x.mean(axis=axis, keepdims=keepdims)
    return np.mean(x, axis=axis, keepdims=keepdims)


def maximum(a: Any, b: Any) -> Any:
    """The larger of a and b, entry by entry (ties: the gradient goes to a)."""
    return record("maximum", a, b)


def logsumexp(x: Any, axis: int = -1, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) along `axis`, computed without overflow."""
    return record("logsumexp", _as_tensor(x), axis=axis, keepdims=keepdims)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, computed without overflow."""
    return record("softmax", _as_tensor(x), axis=axis)


def cross_entropy(logits: Any, labels: Any) -> Tensor:
    """The mean cross-entropy of rows of `logits` (n, classes) against integer `labels` (n,).

    Softmax and cross-entropy in one row: computed with logsumexp (no overflow), and
    its VJP is (softmax(logits) - onehot(labels)) / n, with no division by a probability.
    """
    labels = np.asarray(labels)
    shape = np.shape(logits.value if type(logits) is Tensor else logits)
    if len(shape) != 2:
        raise ValueError(
            f"cross_entropy needs logits of shape (examples, classes), not {shape}: one row "
            "of scores per example. For a single example, use logits.reshape(1, -1)."
        )
    if labels.shape != (shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"cross_entropy needs one integer class label per row of logits: an integer "
            f"array of shape ({shape[0]},), not {labels.dtype} of shape {labels.shape}."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= shape[1]):
        raise ValueError(f"cross_entropy: labels must be between 0 and {shape[1] - 1}.")
    return record("cross_entropy", _as_tensor(logits), labels=labels)


def _as_tensor(x: Any) -> Tensor:
    return x if type(x) is Tensor else Tensor(x)


# --- forward mode on arrays: enough to check the VJPs -------------------------------------


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """(f(*primals), J·tangents): the value and the directional derivative of `f`.

    The tangents travel forward through the same rows (their ``jvp``), with no
    backward sweep: an independent way to compute one column of the Jacobian.
    """
    inputs = [Tensor(p) for p in primals]
    for x, t in zip(inputs, tangents):
        t = np.asarray(t, dtype=float)
        if t.shape != x.shape:
            raise ValueError(f"a tangent must have its input's shape {x.shape}, not {t.shape}")
        x.tangent = t
    _forward_mode[0] += 1
    try:
        y = f(*inputs)
    finally:
        _forward_mode[0] -= 1
    y = _as_tensor(y)
    tangent = np.zeros(y.shape) if y.tangent is None else y.tangent
    return y.value, tangent


def jacobian(f: Callable[[Tensor], Any], x: Any, mode: str = "reverse") -> np.ndarray:
    """The Jacobian of `f` at `x`, of shape f(x).shape + x.shape, by either mode.

    ``mode="forward"``: one `jvp` per input entry (a column each); ``mode="reverse"``:
    one ``backward()`` per output entry, seeded with a one-hot array (a row each).
    """
    x = _checked_array(x)
    if mode == "forward":
        columns = []
        for j in range(x.size):
            e = np.zeros(x.size)
            e[j] = 1.0
            _, column = jvp(f, [x], [e.reshape(x.shape)])
            columns.append(np.asarray(column))
        out_shape = columns[0].shape if columns else ()
        return np.stack(columns, axis=-1).reshape(out_shape + x.shape)
    if mode == "reverse":
        leaf = Tensor(x)
        y = _as_tensor(f(leaf))
        rows = []
        for i in range(y.value.size):
            seed = np.zeros(y.value.size)
            seed[i] = 1.0
            leaf.grad = None
            y.backward(seed.reshape(y.shape))
            rows.append(leaf.grad.copy())
        return np.stack(rows).reshape(y.shape + x.shape)
    raise ValueError(f'mode must be "forward" or "reverse", not {mode!r}.')


# --- checks that teach ---------------------------------------------------------------------

CHANGES = 0
"""How many times an input Tensor's value has been set: the clock of `_check_unchanged`."""


def _check_unchanged(order: Sequence[Tensor], latest: int) -> None:
    """Refuse a graph that used an input whose value was changed afterwards: its saved
    arrays are the new numbers or its partials belong to the old ones, either way
    the gradient would be silently wrong (PyTorch refuses the same)."""
    for node in order:
        if node.rule is None or node.born >= latest:
            continue
        for operand in node.inputs:
            if type(operand) is Tensor and operand.rule is None and operand.changed > node.born:
                name = f" {operand.name!r}" if operand.name is not None else ""
                raise RuntimeError(
                    f"backward(): the input Tensor{name} was given a new value after this "
                    f"graph used it (in {node.rule.name}), so the graph's saved numbers no "
                    "longer match and the gradient would be silently wrong. Record the "
                    "computation again from the new value (call your function again), or "
                    "make a new Tensor instead of changing this one. A gradient step "
                    "between two graphs (p.value -= rate * p.grad, then a new forward "
                    "pass) is fine."
                )


def _checked_array(value: Any) -> np.ndarray:
    """What Tensor(value) holds: a float64 array, or an error that says what to pass."""
    if isinstance(value, Tensor):
        raise TypeError(
            "Tensor(...) got a Tensor. Use it as it is, or Tensor(x.value) for a new input "
            "with the same numbers (and no link to x's graph)."
        )
    if isinstance(value, Node):
        raise TypeError(
            f"Tensor(...) got a {type(value).__name__}: scalar nodes and Tensors are two "
            "different engines. Pass plain numbers: Tensor(x.value)."
        )
    if isinstance(value, np.ndarray) and value.dtype.kind in "biu":
        raise TypeError(
            f"Tensor(...) got an integer array ({value.dtype}). A gradient needs real "
            "numbers: an integer cannot move by a small step. Convert it first: "
            "Tensor(x.astype(float)). (Integer labels for cross_entropy stay plain arrays.)"
        )
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"Tensor(...) needs numbers: a number, a (nested) list of numbers or a NumPy "
            f"array of floats, not {value!r} of type {type(value).__name__}."
        ) from None
    if array is value:
        array = array.copy()  # the Tensor owns its numbers: training updates them in place
    return array


def _checked_constant(value: Any, rule: ArrayRule) -> Any:
    if isinstance(value, (int, float, np.ndarray, np.number)) and not isinstance(value, bool):
        return value
    if isinstance(value, Node):
        raise TypeError(
            f"A Tensor met a {type(value).__name__} in {rule.name}: scalar nodes and Tensors "
            "are two engines and cannot share a graph. Use one of them throughout."
        )
    if isinstance(value, (list, tuple)):
        return np.asarray(value, dtype=float)
    raise TypeError(
        f"Cannot use {value!r} (of type {type(value).__name__}) in {rule.name} with a "
        "Tensor: a Tensor combines with numbers, NumPy arrays and other Tensors."
    )


def _checked_index(index: Any) -> Any:
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if not (isinstance(part, (int, np.integer, slice)) or part is None or part is Ellipsis):
            raise TypeError(
                f"A Tensor can be indexed by integers and slices (x[0], x[1:3], x[:, 2]), not "
                f"by {part!r}: an index array may pick an entry twice, which this engine's "
                "indexing rule does not handle. Multiply by a mask instead."
            )
    return index


def _checked_seed(output: Tensor, seed: Any) -> Any:
    if seed is None:
        if output.value.size != 1:
            raise ValueError(
                f"backward() on a Tensor of shape {output.shape} needs a seed: reverse mode "
                "pulls back one weighting of the outputs at a time. Reduce to a scalar first "
                "(a loss, for example y.sum() or y.mean()), or pass the weights as "
                f"y.backward(seed) with an array of shape {output.shape} "
                "(np.ones(y.shape) gives the gradient of y.sum())."
            )
        return np.ones(output.shape)
    seed = np.array(seed, dtype=float)
    if seed.shape != output.shape:
        raise ValueError(
            f"backward(seed): the seed has shape {seed.shape}, but the output has shape "
            f"{output.shape}. The seed is d(loss)/d(output), one number per output entry, so "
            "it must have the output's shape."
        )
    return seed
