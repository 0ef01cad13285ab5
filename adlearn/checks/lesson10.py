"""Checks for the exercises of lesson 10, from numbers to arrays.

The learner's engine has one node type ``Node(value, inputs=(), vjps=(), op=None)``
with ``.value`` (a float64 array), ``.inputs`` (the input nodes, in order), ``.vjps``
(one function per input: the incoming gradient G of the node's shape -> the gradient
of that input, of the input's shape) and ``.grad``. The learner writes the rules
(functions that return such nodes); each check runs them on shapes the lesson never
used, sweeps the graph with its own reverse sweep, and compares the gradients with
`adlearn.Tensor` and with central differences. While the learner's code runs, every
`adlearn.Tensor` operation is switched off (the references are computed before).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

import adlearn
from adlearn import tensor as _tensor

from ..core import topological_order
from .exercise import ShortcutUsed, Wrong, exercise
from .lesson09 import NotReady

RTOL, ATOL = 1e-9, 1e-12
SHORTCUT = "Write the VJP with NumPy yourself: adlearn.Tensor is the answer being checked."


def _rng(key: str) -> np.random.Generator:
    return np.random.default_rng([ord(c) for c in f"adlearn exercise {key}"])


@contextmanager
def _no_tensors() -> Iterator[None]:
    """While inside, any adlearn.Tensor operation raises ShortcutUsed."""
    record = _tensor.record

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ShortcutUsed(
            "This exercise asks you to write the rule yourself, so adlearn.Tensor's "
            f"operations are switched off while it is checked. {SHORTCUT}"
        )

    _tensor.record = refuse
    try:
        yield
    finally:
        _tensor.record = record


_RECORD = _tensor.record  # as loaded, before any learner's code ran
_ROWS = dict(_tensor.ARRAY_RULES)


def _reference(build: Callable[..., Any], arrays: list[np.ndarray], seed: np.ndarray) -> Any:
    """Value and input gradients of `build` on adlearn.Tensor, seeded with `seed`, with
    adlearn's own door and rows (whatever a notebook did to them)."""
    if any(_tensor.ARRAY_RULES.get(name) is not row for name, row in _ROWS.items()):
        raise Wrong("adlearn's array rules were changed: restart the kernel and run again.")
    record, _tensor.record = _tensor.record, _RECORD
    try:
        leaves = [_tensor.Tensor(a) for a in arrays]
        out = build(*leaves)
        out.backward(seed)
        return out.value, [leaf.grad for leaf in leaves]
    finally:
        _tensor.record = record


def _numeric(f: Callable[..., float], arrays: list[np.ndarray], h: float = 1e-6) -> list[Any]:
    """Central differences of the scalar f(*arrays) in every entry."""
    grads = []
    for i, a in enumerate(arrays):
        grad = np.zeros(a.shape)
        for j in range(a.size):
            up = [b.copy() for b in arrays]
            down = [b.copy() for b in arrays]
            up[i].flat[j] += h
            down[i].flat[j] -= h
            grad.flat[j] = (f(*up) - f(*down)) / (2 * h)
        grads.append(grad)
    return grads


def _node_of(Node: Any, result: Any, what: str) -> Any:
    if not isinstance(result, Node):
        raise Wrong(f"{what} returned {type(result).__name__}, not a Node: return Node(...).")
    for field in ("value", "inputs", "vjps"):
        if not hasattr(result, field):
            raise Wrong(f"{what} returned a Node without .{field}.")
    if len(result.inputs) != len(result.vjps):
        raise Wrong(
            f"{what} has {len(result.inputs)} input(s) but {len(result.vjps)} VJP(s): "
            "give one VJP per input, in the same order."
        )
    return result


def sweep(output: Any, seed: np.ndarray, Node: Any) -> None:
    """The check's own reverse sweep over the learner's nodes (adlearn's traversal).

    Every VJP's result must have its input's shape; fan-out adds up here, so a VJP
    that also adds into ``.grad`` itself is counted twice.
    """
    order = topological_order(output)
    for node in order:
        node.grad = None
    output.grad = seed
    for node in reversed(order):
        if node.grad is None:
            continue
        for index, (x, vjp) in enumerate(zip(node.inputs, node.vjps)):
            if not isinstance(x, Node):
                continue
            try:
                g = np.asarray(vjp(node.grad), dtype=float)
            except ValueError as error:  # NumPy's shape errors
                raise Wrong(
                    f"The VJP of {node.op or 'an operation'} for input {index + 1} failed on "
                    f"G of shape {np.shape(node.grad)} ({error}). Work out the shapes: the "
                    f"result must have that input's shape, {x.value.shape}."
                ) from None
            if g.shape != x.value.shape:
                raise Wrong(
                    f"The VJP of {node.op or 'an operation'} for input {index + 1} returned "
                    f"an array of shape {g.shape}, but that input has shape {x.value.shape}. "
                    "A gradient always has the shape of what it is the gradient of"
                    + (
                        "; an input that NumPy broadcast needs its gradient summed over the "
                        "broadcast axes."
                        if g.size > x.value.size
                        else "."
                    )
                )
            x.grad = g if x.grad is None else x.grad + g


def _compare(got: Any, expected: Any, what: str) -> None:
    got = np.asarray(got, dtype=float) if got is not None else None
    if got is None or got.shape != np.shape(expected):
        shape = None if got is None else got.shape
        raise Wrong(f"{what} has shape {shape}, but it should have shape {np.shape(expected)}.")
    if not np.allclose(got, expected, rtol=RTOL, atol=ATOL):
        worst = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
        raise Wrong(
            f"{what} is wrong: at index {tuple(int(i) for i in worst)} it is "
            f"{got[worst]:.6g}, but it should be {expected[worst]:.6g}."
        )


# --- 10.1: an elementwise rule ------------------------------------------------------------


@exercise(
    "10.1",
    "tanh on arrays",
    hints=(
        "the section 'Elementwise: a diagonal Jacobian'. Each output entry depends on one "
        "input entry only, so the VJP multiplies G entry by entry; it never builds a matrix.",
        "Compute the output y = np.tanh(x.value) once, and return a Node whose one VJP "
        "multiplies G, entry by entry, by the scalar derivative of tanh written in terms "
        "of y. The result has x's shape.",
        "def tanh(x):\n    y = np.tanh(x.value)\n"
        '    return Node(y, (x,), (lambda g: g * (1 - y**2),), "tanh")',
    ),
    forbid=(adlearn.tensor.Tensor, adlearn.tensor.tanh),
    why=SHORTCUT,
)
def check_tanh(tanh: Callable[[Any], Any], Node: Any) -> str:
    rng = _rng("10.1")
    shapes = [(5,), (3, 4), (2, 1, 3)]
    for shape in shapes:
        v = rng.normal(size=shape)
        seed = rng.normal(size=shape)
        value, (expected,) = _reference(adlearn.tensor.tanh, [v], seed)
        with _no_tensors():
            x = Node(v)
            y = _node_of(Node, tanh(x), f"tanh(Node of shape {shape})")
            _compare(y.value, value, f"tanh's value for shape {shape}")
            sweep(y, seed, Node)
        if x.grad is not None and np.allclose(x.grad, seed * (1 - v**2)):
            raise Wrong(
                "Your VJP uses 1 - x² with the input x; the derivative of tanh is "
                "1 - tanh(x)², one minus the square of the output."
            )
        _compare(x.grad, expected, f"The gradient of a tanh node of shape {shape}")
        numeric = _numeric(lambda a, s=seed: float(np.sum(s * np.tanh(a))), [v])[0]
        if not np.allclose(x.grad, numeric, rtol=1e-6, atol=1e-8):
            raise Wrong("Your gradient disagrees with central differences.")
    with _no_tensors():  # fan-out: y used twice
        v = rng.normal(size=(4,))
        x = Node(v)
        y = tanh(x)
        both = Node(2 * y.value, (y, y), (lambda g: g, lambda g: g), "+")
        sweep(both, np.ones(4), Node)
    _compare(x.grad, 2 * (1 - np.tanh(v) ** 2), "The gradient of tanh(x) + tanh(x)")
    return (
        f"tanh's value and VJP agree with adlearn.Tensor and central differences on "
        f"{len(shapes)} shapes you have not seen, and a node used twice gets both shares."
    )


# --- 10.2: the matrix product ---------------------------------------------------------------


@exercise(
    "10.2",
    "the matrix product",
    hints=(
        "the section 'The matrix product, from the scalar chain rule': write C[i, j] as a "
        "sum over k and ask which entries of C each A[i, k] feeds, and with what partial.",
        "A[i, k] feeds every C[i, j] with partial B[k, j], so Ā[i, k] is the sum over j "
        "of G[i, j] B[k, j]: that is a matrix product of G with B transposed. Likewise B̄ "
        "is A transposed times G. Check the shapes: Ā has A's shape, B̄ has B's.",
        "def matmul(a, b):\n    return Node(a.value @ b.value, (a, b),\n"
        '                (lambda g: g @ b.value.T, lambda g: a.value.T @ g), "@")',
    ),
    forbid=(adlearn.tensor.Tensor,),
    why=SHORTCUT,
)
def check_matmul(matmul: Callable[[Any, Any], Any], Node: Any) -> str:
    rng = _rng("10.2")
    cases = [((3, 3), (3, 3)), ((3, 4), (4, 2)), ((1, 5), (5, 1)), ((4, 2), (2, 6))]
    for sa, sb in cases:
        a, b = rng.normal(size=sa), rng.normal(size=sb)
        seed = rng.normal(size=(sa[0], sb[1]))
        value, (ga, gb) = _reference(lambda p, q: p @ q, [a, b], seed)
        with _no_tensors():
            A, B = Node(a), Node(b)
            C = _node_of(Node, matmul(A, B), f"matmul of shapes {sa} and {sb}")
            _compare(C.value, value, f"The product of shapes {sa} and {sb}")
            sweep(C, seed, Node)
        if sa == sb and np.allclose(A.grad, seed @ b):
            raise Wrong("Ā is G B, but it should be G Bᵀ: a transpose is missing.")
        if sa == sb and np.allclose(B.grad, a @ seed):
            raise Wrong("B̄ is A G, but it should be Aᵀ G: a transpose is missing.")
        _compare(A.grad, ga, f"Ā for A of shape {sa} and B of shape {sb}")
        _compare(B.grad, gb, f"B̄ for A of shape {sa} and B of shape {sb}")
    a = rng.normal(size=(3, 3))
    seed = rng.normal(size=(3, 3))
    numeric = _numeric(lambda m: float(np.sum(seed * (m @ m))), [a])[0]
    with _no_tensors():  # fan-out: A @ A
        A = Node(a)
        sweep(matmul(A, A), seed, Node)
    _compare(A.grad, seed @ a.T + a.T @ seed, "The gradient of A @ A (A used twice)")
    if not np.allclose(A.grad, numeric, rtol=1e-6, atol=1e-8):
        raise Wrong("The gradient of A @ A disagrees with central differences.")
    return (
        f"Ā = G Bᵀ and B̄ = Aᵀ G agree with adlearn.Tensor on {len(cases)} pairs of shapes "
        "you have not seen, square ones included, and A @ A collects both shares."
    )


# --- 10.3: broadcasting and the sum ---------------------------------------------------------


@exercise(
    "10.3",
    "broadcasting and the sum",
    hints=(
        "the section 'Broadcasting copies, so its VJP sums'. A broadcast input is copied "
        "along some axes: each copy feeds the output, as a variable used many times does.",
        "unbroadcast(g, shape): sum g over the leading axes that the input did not have, "
        "then over every axis where the input had length 1 (keeping that axis), so the "
        "result has `shape`. add's two VJPs are G, unbroadcast to each input's shape. "
        "total(x, axis)'s VJP puts the axis back (np.expand_dims) and broadcasts G to x's "
        "shape: every entry fed the sum with partial 1.",
        "def unbroadcast(g, shape):\n    while g.ndim > len(shape):\n        g = g.sum(axis=0)\n"
        "    for axis, n in enumerate(shape):\n        if n == 1 and g.shape[axis] != 1:\n"
        "            g = g.sum(axis=axis, keepdims=True)\n    return g\n\n"
        "def add(a, b):\n    return Node(a.value + b.value, (a, b),\n"
        "                (lambda g: unbroadcast(g, a.value.shape),\n"
        '                 lambda g: unbroadcast(g, b.value.shape)), "+")\n\n'
        "def total(x, axis=None):\n    def vjp(g):\n"
        "        if axis is not None:\n            g = np.expand_dims(g, axis)\n"
        "        return np.broadcast_to(g, x.value.shape).copy()\n"
        '    return Node(np.sum(x.value, axis=axis), (x,), (vjp,), "sum")',
    ),
    forbid=(adlearn.tensor.Tensor, adlearn.tensor.sum),
    why=SHORTCUT,
)
def check_broadcasting(add: Callable[..., Any], total: Callable[..., Any], Node: Any) -> str:
    rng = _rng("10.3")
    pairs = [((3, 4), (4,)), ((3, 4), (3, 1)), ((2, 3, 4), (3, 4)), ((5,), ()), ((1, 4), (3, 1))]
    pairs += [((2, 3), (2, 3))]
    for sa, sb in pairs:
        a, b = rng.normal(size=sa), rng.normal(size=sb)
        shape = np.broadcast_shapes(sa, sb)
        seed = rng.normal(size=shape)
        value, (ga, gb) = _reference(lambda p, q: p + q, [a, b], seed)
        with _no_tensors():
            A, B = Node(a), Node(b)
            S = _node_of(Node, add(A, B), f"add of shapes {sa} and {sb}")
            _compare(S.value, value, f"The sum of shapes {sa} and {sb}")
            sweep(S, seed, Node)
        _compare(A.grad, ga, f"The gradient of a {sa} input of add (the other {sb})")
        _compare(B.grad, gb, f"The gradient of a {sb} input of add (the other {sa})")
    sums = [((3, 4), None), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1)]
    for shape, axis in sums:
        v = rng.normal(size=shape)
        seed = rng.normal(size=np.sum(v, axis=axis).shape)
        value, (expected,) = _reference(lambda t, ax=axis: t.sum(axis=ax), [v], seed)
        with _no_tensors():
            X = Node(v)
            S = _node_of(Node, total(X, axis=axis), f"total of shape {shape}, axis={axis}")
            _compare(S.value, value, f"total over axis={axis} of shape {shape}")
            sweep(S, np.asarray(seed), Node)
        _compare(X.grad, expected, f"The gradient of total(x, axis={axis}), x of shape {shape}")
    with _no_tensors():  # fan-out: x + x
        x = Node(rng.normal(size=(2, 2)))
        sweep(add(x, x), np.ones((2, 2)), Node)
    _compare(x.grad, np.full((2, 2), 2.0), "The gradient of x + x (x used twice)")
    return (
        f"add agrees with adlearn.Tensor on {len(pairs)} pairs of shapes (broadcast in "
        f"every way), and total on {len(sums)} reductions, all shapes you have not seen."
    )


# --- 10.4: softmax with cross-entropy -------------------------------------------------------


@exercise(
    "10.4",
    "softmax with cross-entropy",
    hints=(
        "the section 'Softmax and cross-entropy, together': compute the loss with "
        "logsumexp (subtract each row's largest logit first), and derive its gradient "
        "with respect to the logits in one piece.",
        "The loss is the mean over rows of logsumexp(z) - z[label]. Subtract each row's "
        "maximum before exp, so nothing overflows. Its gradient with respect to z is the "
        "softmax of z minus the one-hot labels, divided by the number of rows, times G.",
        "def softmax_cross_entropy(logits, labels):\n    z = logits.value\n"
        "    shifted = z - z.max(axis=1, keepdims=True)\n    e = np.exp(shifted)\n"
        "    rows = np.arange(len(labels))\n"
        "    loss = np.mean(np.log(e.sum(axis=1)) - shifted[rows, labels])\n"
        "    p = e / e.sum(axis=1, keepdims=True)\n\n    def vjp(g):\n"
        "        grad = p.copy()\n        grad[rows, labels] -= 1\n"
        "        return g * grad / len(labels)\n\n"
        '    return Node(loss, (logits,), (vjp,), "cross-entropy")',
    ),
    forbid=(
        adlearn.tensor.Tensor,
        adlearn.tensor.cross_entropy,
        adlearn.tensor.softmax,
        adlearn.tensor.logsumexp,
    ),
    why=SHORTCUT,
)
def check_cross_entropy(softmax_cross_entropy: Callable[..., Any], Node: Any) -> str:
    rng = _rng("10.4")
    shapes = [(4, 3), (1, 5), (7, 2), (3, 10)]
    for n, c in shapes:
        z = rng.normal(scale=2.0, size=(n, c))
        labels = rng.integers(0, c, size=n)
        seed = np.asarray(rng.uniform(0.5, 2.0))
        value, (expected,) = _reference(lambda t, y=labels: _tensor.cross_entropy(t, y), [z], seed)
        with _no_tensors():
            Z = Node(z)
            loss = _node_of(Node, softmax_cross_entropy(Z, labels), f"the loss of {n} rows")
            _compare(np.asarray(loss.value), value, f"The loss of {n} rows of {c} classes")
            sweep(loss, seed, Node)
        if n > 1 and np.allclose(Z.grad, expected * n):
            raise Wrong("Your gradient is n times too large: the loss is a mean over the rows.")
        _compare(Z.grad, expected, f"The gradient of the loss for {n} rows of {c} classes")
        numeric = _numeric(
            lambda a, y=labels, s=seed: float(s * _tensor.cross_entropy(a, y).value), [z]
        )[0]
        if not np.allclose(Z.grad, numeric, rtol=1e-6, atol=1e-8):
            raise Wrong("Your gradient disagrees with central differences.")
    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]])
    labels = np.array([0, 2])
    with _no_tensors(), np.errstate(all="ignore"):
        Z = Node(z)
        loss = softmax_cross_entropy(Z, labels)
        sweep(loss, np.asarray(1.0), Node)
    if not np.isfinite(loss.value) or not np.isfinite(Z.grad).all():
        raise Wrong(
            "With logits as large as 1000 your loss or gradient is not finite: exp(1000) "
            "overflows. Subtract each row's largest logit before exp."
        )
    _compare(np.asarray(loss.value), 400.0, "The loss of [[1000, 0, -1000], [0, 800, 0]]")
    return (
        f"the loss and its gradient, softmax - onehot over n, agree with adlearn.Tensor and "
        f"central differences on {len(shapes)} shapes you have not seen, and logits of "
        "1000 do not overflow."
    )


# --- the training cell ----------------------------------------------------------------------


def when_ready(build: Callable[[], Any], show: Callable[[Any], Any]) -> Any:
    """``show(build())`` once the learner's rules work; a short note while they do not."""
    try:
        result = build()
    except NotImplementedError:
        return NotReady("finish exercises 10.1 to 10.4, then run this cell again.")
    except Exception as error:  # the rules are there but not right yet
        return NotReady(
            f"your rules raised {type(error).__name__} ({error}); "
            "the checks of exercises 10.1 to 10.4 say where to look."
        )
    return show(result)
