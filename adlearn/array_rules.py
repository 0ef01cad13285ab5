"""The array rule table: one row per array operation, beside the scalar rules.

A scalar rule (``rules.py``) gives an operation's value and its local partial
derivatives. An array operation needs more: its input is a whole array, so its
"partial derivative" is a Jacobian matrix, far too big to store (a 128 x 64 matrix
product has a Jacobian of 8192 x 8192 numbers for one input). Reverse mode never
needs the matrix itself, only what it does to the incoming gradient ``G``: the
*vector-Jacobian product* (VJP, also called the *pullback*). So a row here holds

* ``value(*args, **params)``: the value, computed with NumPy;
* ``vjps``: one function per input, ``vjp(G, out, *args, **params)``, that returns
  the gradient with respect to that input. It may have the shape of the output when
  NumPy broadcast the input: the engine sums over the broadcast axes, in one place
  (`unbroadcast`), so that no rule has to;
* ``jvp(tangents, out, *args, **params)``: forward mode, the Jacobian times the
  inputs' tangents (``None`` for a constant input), used to check the VJPs;
* ``formulas``: each VJP as text, for the drawings (``G Bᵀ``, ``Aᵀ G``);
* ``saves``: the value function also returns what its VJP can reuse (softmax and
  cross-entropy keep the probabilities: a *residual*), passed to the VJP as ``saved``.

In the formulas ``G`` is the gradient arriving from the output, ``A`` and ``B`` are
the inputs and ``y`` is the output.

An *elementwise* operation (``tanh``, ``*``) has a diagonal Jacobian: output entry i
depends only on input entry i. Its VJP is then the incoming gradient times the
scalar partial, entry by entry, and its JVP the tangent times the same partial.
Those rows are built by `elementwise` from the scalar partial itself
(`scalar_partials`), so the scalar engine and the array engine use one derivative.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .core import RULES

Array = Any  # an ndarray (or a NumPy scalar); kept loose so the rows read simply


@dataclass(frozen=True)
class ArrayRule:
    """One array operation: its value, one VJP per input, a JVP, and the VJPs as text."""

    name: str
    symbol: str
    value: Callable[..., Array]
    vjps: tuple[Callable[..., Array], ...]
    jvp: Callable[..., Array]
    formulas: tuple[str, ...]
    elementwise: bool = field(default=False)
    saves: bool = False  # value returns (out, saved): what the VJP reuses, as `saved=`

    def __repr__(self) -> str:
        return f"ArrayRule({self.name!r}, symbol={self.symbol!r}, inputs={len(self.vjps)})"


ARRAY_RULES: dict[str, ArrayRule] = {}
"""Every array operation adlearn.Tensor knows, by name."""


def row(rule: ArrayRule) -> ArrayRule:
    ARRAY_RULES[rule.name] = rule
    return rule


# --- where broadcasting is undone: the one place --------------------------------------


def unbroadcast(g: Array, shape: tuple[int, ...]) -> Array:
    """Sum `g` over the axes NumPy broadcast to reach its shape from `shape`.

    Broadcasting *copies* an input along new or length-1 axes: each copy feeds the
    output, so the input's gradient is the sum over the copies (fan-out, as in the
    scalar engine, where a variable used twice collects two contributions).
    """
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1
    )
    return g.sum(axis=axes).reshape(shape) if axes else g.reshape(shape)


def broadcast_axes(shape: tuple[int, ...], out_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output axes `unbroadcast` sums over for an input of `shape` (for drawings)."""
    extra = len(out_shape) - len(shape)
    return tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and out_shape[extra + i] != 1
    )


# --- elementwise rows, from the scalar partials -----------------------------------------
#
# The scalar table's rows (rules.py) hold each partial as a plain Python function of
# x (and y) and out, written with adlearn's own functions; given NumPy arrays they
# compute entry by entry. So an elementwise array rule does not repeat a derivative:
# it reads the scalar row.


def scalar_partials(name: str) -> Callable[..., tuple[Array, ...]]:
    """The local partials of the scalar rule `name`: ``adlearn.RULES[name].partials``,
    which works on float64 arrays entry by entry (``partials(x, out)`` or
    ``partials(x, y, out)``, one partial per input, a plain 1.0 where it is constant)."""
    return RULES[name].partials


def scalar_value(name: str) -> Callable[..., Array]:
    """The value of the scalar rule `name` on arrays (``adlearn.RULES[name].array``)."""
    array = RULES[name].array
    if array is None:
        raise NotImplementedError(f"the scalar rule {name!r} has no array version")
    return array


def _times(g: Array, partial: Array) -> Array:
    """G * partial, without a copy when the partial is the constant 1 or -1."""
    if type(partial) is float:
        if partial == 1.0:
            return g
        if partial == -1.0:
            return -g
    return g * partial


def elementwise(name: str, formulas: tuple[str, ...]) -> ArrayRule:
    """The row of an elementwise operation, built from its scalar row in rules.py.

    A diagonal Jacobian: VJP_i = G * partial_i and JVP = sum_i partial_i * tangent_i,
    with partial_i the scalar rule's own partial, computed on whole arrays.
    """
    partials, value = scalar_partials(name), scalar_value(name)

    def local(*args: Array) -> tuple[Array, ...]:
        return partials(*args)

    def vjp_for(i: int) -> Callable[..., Array]:
        def vjp(g: Array, out: Array, *args: Array) -> Array:
            partial = local(*args, out)[i]
            if (
                type(partial) is np.ndarray
                and partial.dtype == np.float64
                and partial.shape == np.shape(g)
                and partial is not out
                and all(partial is not a for a in args)
            ):
                partial *= g  # a fresh array (tanh's sech², 1 / y, ...): reuse it
                return partial
            return _times(g, partial)

        vjp.__name__ = f"{name}_vjp_{i}"
        return vjp

    def jvp(tangents: tuple[Array, ...], out: Array, *args: Array) -> Array:
        total: Array = np.zeros(np.shape(out))
        for partial, tangent in zip(local(*args, out), tangents):
            if tangent is not None:
                total = total + _times(tangent, partial)
        return total

    arity = len(formulas)
    symbol = RULES[name].symbol
    vjps = tuple(vjp_for(i) for i in range(arity))
    return row(ArrayRule(name, symbol, value, vjps, jvp, formulas, True))


elementwise("add", ("G", "G"))
elementwise("sub", ("G", "-G"))
elementwise("mul", ("G * B", "G * A"))
elementwise("div", ("G / B", "-G * y / B"))
elementwise("neg", ("-G",))
elementwise("pow", ("G * B A^(B-1)", "G * y log A"))
elementwise("sin", ("G * cos A",))
elementwise("cos", ("G * (-sin A)",))
elementwise("tan", ("G * (1 + y²)",))
elementwise("exp", ("G * y",))
elementwise("log", ("G / A",))
elementwise("sqrt", ("G / (2y)",))
elementwise("tanh", ("G * sech² A",))  # = 1 - y², in a form that keeps the tails
elementwise("sigmoid", ("G * y σ(-A)",))  # = y (1 - y), in a form that keeps the tail
elementwise("relu", ("G * (A ≥ 0)",))
elementwise("abs", ("G * sign A",))


def _maximum_jvp(tangents: tuple[Array, ...], out: Array, a: Array, b: Array) -> Array:
    first = a >= b  # ties go to the first input
    ta, tb = (np.zeros(np.shape(out)) if t is None else t for t in tangents)
    return np.where(first, ta, tb) + np.zeros(np.shape(out))


row(  # not in the scalar table: max of two numbers is a choice, its partials 1 and 0
    ArrayRule(
        "maximum",
        "max",
        np.maximum,
        (lambda g, out, a, b: g * (a >= b), lambda g, out, a, b: g * (a < b)),
        _maximum_jvp,
        ("G where A ≥ B", "G where A < B"),
        True,
    )
)


# --- the matrix product ------------------------------------------------------------------
#
# C[i, j] = sum_k A[i, k] B[k, j], so dC[i, j]/dA[i, k] = B[k, j]: by the scalar chain
# rule, Abar[i, k] = sum_j G[i, j] B[k, j], which is (G Bᵀ)[i, k]; likewise
# Bbar[k, j] = sum_i A[i, k] G[i, j] = (Aᵀ G)[k, j]. A vector is treated as a matrix
# with one row (on the left) or one column (on the right), as NumPy does.


def _as_matrices(g: Array, a: Array, b: Array) -> tuple[Array, Array, Array]:
    if b.ndim == 1:
        g, b = np.expand_dims(g, -1), b[:, None]
    if a.ndim == 1:
        g, a = np.expand_dims(g, -2), a[None, :]
    return g, a, b


def _matmul_vjp_a(g: Array, out: Array, a: Array, b: Array) -> Array:
    if a.ndim == 2 and b.ndim == 2:
        return g @ b.T
    g2, _, b2 = _as_matrices(g, a, b)
    grad = g2 @ np.swapaxes(b2, -1, -2)
    return grad[..., 0, :] if a.ndim == 1 else grad


def _matmul_vjp_b(g: Array, out: Array, a: Array, b: Array) -> Array:
    if a.ndim == 2 and b.ndim == 2:
        return a.T @ g
    g2, a2, _ = _as_matrices(g, a, b)
    grad = np.swapaxes(a2, -1, -2) @ g2
    return grad[..., 0] if b.ndim == 1 else grad


def _matmul_jvp(tangents: tuple[Array, ...], out: Array, a: Array, b: Array) -> Array:
    ta, tb = tangents
    total: Array = np.zeros(np.shape(out))
    if ta is not None:
        total = total + ta @ b
    if tb is not None:
        total = total + a @ tb
    return total


row(
    ArrayRule(
        "matmul", "@", np.matmul, (_matmul_vjp_a, _matmul_vjp_b), _matmul_jvp, ("G Bᵀ", "Aᵀ G")
    )
)


# --- reductions: their VJP broadcasts G back ---------------------------------------------


def _expand(g: Array, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Array:
    """G put back into the input's shape: each input entry gets its output's G."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


def _count(shape: tuple[int, ...], axis: Any) -> int:
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


row(
    ArrayRule(
        "sum",
        "sum",
        lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
        (lambda g, out, x, axis=None, keepdims=False: _expand(g, x.shape, axis, keepdims),),
        lambda ts, out, x, axis=None, keepdims=False: np.sum(ts[0], axis=axis, keepdims=keepdims),
        ("G broadcast back",),
    )
)
row(
    ArrayRule(
        "mean",
        "mean",
        lambda x, axis=None, keepdims=False: np.mean(x, axis=axis, keepdims=keepdims),
        (
            lambda g, out, x, axis=None, keepdims=False: _expand(
                g / _count(x.shape, axis), x.shape, axis, keepdims
            ),
        ),
        lambda ts, out, x, axis=None, keepdims=False: np.mean(ts[0], axis=axis, keepdims=keepdims),
        ("G / n broadcast back",),
    )
)


def _logsumexp(x: Array, axis: int = -1, keepdims: bool = False) -> Array:
    top = np.max(x, axis=axis, keepdims=True)  # subtract the largest: exp never overflows
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax(x: Array, axis: int = -1) -> Array:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _logsumexp_vjp(g: Array, out: Array, x: Array, axis: int = -1, keepdims: bool = False) -> Array:
    if not keepdims:
        g, out = np.expand_dims(g, axis), np.expand_dims(out, axis)
    return g * np.exp(x - out)  # exp(x - logsumexp(x)) is the softmax


row(
    ArrayRule(
        "logsumexp",
        "logsumexp",
        _logsumexp,
        (_logsumexp_vjp,),
        lambda ts, out, x, axis=-1, keepdims=False: np.sum(
            _softmax(x, axis) * ts[0], axis=axis, keepdims=keepdims
        ),
        ("G * softmax(A)",),
    )
)


def _softmax_vjp(g: Array, out: Array, x: Array, axis: int = -1) -> Array:
    return out * (g - np.sum(g * out, axis=axis, keepdims=True))


row(
    ArrayRule(
        "softmax",
        "softmax",
        _softmax,
        (_softmax_vjp,),
        lambda ts, out, x, axis=-1: _softmax_vjp(ts[0], out, x, axis),  # its Jacobian is symmetric
        ("y * (G - Σ G y)",),
    )
)


# --- softmax and cross-entropy, fused -----------------------------------------------------
#
# loss = mean over the rows of  logsumexp(z) - z[label]. Its gradient with respect to
# the logits z collapses to (softmax(z) - onehot(label)) / n: no division by a
# probability that can round to 0, and no exp of a large logit.


def _cross_entropy(z: Array, labels: Array = None) -> tuple[Array, Array]:
    shifted = z - z.max(axis=1, keepdims=True)  # the largest logit of each row is 0
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(z.shape[0])
    loss = (np.log(total[:, 0]) - shifted[rows, labels]).sum() / z.shape[0]
    e /= total  # the softmax, saved for the VJP (a *residual*)
    return loss, e


def _cross_entropy_vjp(
    g: Array, out: Array, z: Array, labels: Array = None, saved: Array = None
) -> Array:
    grad = saved.copy()  # softmax(z)
    grad[np.arange(z.shape[0]), labels] -= 1.0  # minus onehot
    grad *= g / z.shape[0]
    return grad


def _cross_entropy_jvp(
    tangents: tuple[Array, ...], out: Array, z: Array, labels: Array = None, saved: Array = None
) -> Array:
    return np.sum(_cross_entropy_vjp(1.0, out, z, labels, saved) * tangents[0])


row(
    ArrayRule(
        "cross_entropy",
        "cross-entropy",
        _cross_entropy,
        (_cross_entropy_vjp,),  # the labels are a parameter: they take no gradient
        _cross_entropy_jvp,
        ("G (softmax(A) - onehot) / n",),
        saves=True,
    )
)


# --- moving entries around: the VJP moves G back ------------------------------------------


def _index_vjp(g: Array, out: Array, x: Array, index: Any = None) -> Array:
    grad = np.zeros(x.shape)
    grad[index] = g  # integers and slices pick each entry at most once
    return grad


row(
    ArrayRule(
        "index",
        "[]",
        lambda x, index=None: x[index],
        (_index_vjp,),
        lambda ts, out, x, index=None: ts[0][index],
        ("G into zeros",),
    )
)
row(
    ArrayRule(
        "reshape",
        "reshape",
        lambda x, shape=(): np.reshape(x, shape),
        (lambda g, out, x, shape=(): np.reshape(g, x.shape),),
        lambda ts, out, x, shape=(): np.reshape(ts[0], shape),
        ("reshape G back",),
    )
)
row(
    ArrayRule(
        "transpose",
        "ᵀ",
        np.transpose,
        (lambda g, out, x: np.transpose(g),),
        lambda ts, out, x: np.transpose(ts[0]),
        ("Gᵀ",),
    )
)
