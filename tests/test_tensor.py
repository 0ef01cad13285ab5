"""adlearn.Tensor: gradients of random array programs against two independent
references (central differences, and the scalar `Variable` engine run entry by entry
on object arrays of Variables), forward mode against reverse mode, the errors, and
the drawing's model."""

from __future__ import annotations

import math
import operator
import subprocess
import sys
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import adlearn
from adlearn import Tensor, Variable
from adlearn import tensor as T
from adlearn.array_rules import ARRAY_RULES, scalar_partials
from adlearn.tensor_graph import draw_tensor

# --- two interpreters of one array program ----------------------------------------------

UNARY = ("sin", "cos", "tanh", "exp", "sigmoid", "relu", "abs", "neg", "log", "sqrt", "tan")


def _lse_rows(z: Any, axis: int, keepdims: bool) -> Any:
    """logsumexp of an object array of Variables, written with scalar operations only."""
    z = np.moveaxis(z, axis, -1)
    flat = z.reshape(-1, z.shape[-1])
    out = np.empty(flat.shape[0], dtype=object)
    for r, row in enumerate(flat):
        top = max(v.value if isinstance(v, Variable) else v for v in row)  # a constant shift
        out[r] = adlearn.log(sum(adlearn.exp(v - top) for v in row)) + top
    out = out.reshape(z.shape[:-1])
    return np.expand_dims(out, axis) if keepdims else out


class TensorBackend:
    def leaf(self, value: np.ndarray) -> Any:
        return Tensor(value)

    def unary(self, name: str, x: Any) -> Any:
        if name == "neg":
            return -x
        if name == "abs":
            return abs(x)
        if name in ("log", "sqrt"):
            x = x * x + 0.5  # keep the input positive
        if name == "tan":
            x = adlearn.sin(x)  # keep away from the poles
        return getattr(adlearn, name)(x)

    def maximum(self, a: Any, b: Any) -> Any:
        return adlearn.maximum(a, b)

    def logsumexp(self, x: Any, axis: int, keepdims: bool) -> Any:
        return T.logsumexp(x, axis=axis, keepdims=keepdims)

    def softmax(self, x: Any, axis: int) -> Any:
        return T.softmax(x, axis=axis)

    def cross_entropy(self, z: Any, labels: np.ndarray) -> Any:
        return adlearn.cross_entropy(z, labels)

    def sum(self, x: Any, axis: Any, keepdims: bool) -> Any:
        return x.sum(axis=axis, keepdims=keepdims)

    def mean(self, x: Any, axis: Any, keepdims: bool) -> Any:
        return x.mean(axis=axis, keepdims=keepdims)

    def wrap(self, x: Any) -> Any:
        return x


def _vectorize(f: Any) -> Any:
    return np.vectorize(f, otypes=[object])


class ScalarBackend(TensorBackend):
    """The same program on NumPy object arrays whose entries are Variables: every
    multiply is its own scalar node, differentiated by adlearn's scalar rule table."""

    def leaf(self, value: np.ndarray) -> Any:
        return _vectorize(Variable)(value)

    def unary(self, name: str, x: Any) -> Any:
        if name == "neg":
            return -x
        if name == "abs":
            return _vectorize(abs)(x)
        if name in ("log", "sqrt"):
            x = x * x + 0.5
        if name == "tan":
            x = _vectorize(adlearn.sin)(x)
        return _vectorize(getattr(adlearn, name))(x)

    def maximum(self, a: Any, b: Any) -> Any:
        def pick(u: Any, v: Any) -> Any:
            return u if adlearn.core.value_of(u) >= adlearn.core.value_of(v) else v

        return _vectorize(pick)(a, b)

    def logsumexp(self, x: Any, axis: int, keepdims: bool) -> Any:
        return _lse_rows(x, axis, keepdims)

    def softmax(self, x: Any, axis: int) -> Any:
        lse = _lse_rows(x, axis, True)
        return _vectorize(adlearn.exp)(x - lse)

    def cross_entropy(self, z: Any, labels: np.ndarray) -> Any:
        lse = _lse_rows(z, 1, False)
        return sum(lse[i] - z[i, labels[i]] for i in range(len(labels))) / len(labels)

    def sum(self, x: Any, axis: Any, keepdims: bool) -> Any:
        return np.sum(x, axis=axis, keepdims=keepdims)

    def mean(self, x: Any, axis: Any, keepdims: bool) -> Any:
        total = np.sum(x, axis=axis, keepdims=keepdims)
        return total / (x.size / np.size(total))

    def wrap(self, x: Any) -> Any:
        """Every value an object array, 0-d ones too (NumPy unwraps those)."""
        if isinstance(x, np.ndarray):
            return x
        box = np.empty((), dtype=object)
        box[()] = x
        return box


def random_program(seed: int) -> tuple[list[np.ndarray], list[tuple[Any, ...]]]:
    """Leaves and steps of a random array program: shapes that broadcast, every
    operation, values used more than once. Each step is (op, operand positions, extra)."""
    rng = np.random.default_rng(seed)
    m, k, n = (int(s) for s in rng.integers(2, 4, size=3))
    leaves = [rng.normal(size=(m, k)), rng.normal(size=(k,)), rng.normal(size=(k, n))]
    shapes = [s.shape for s in leaves]
    steps: list[tuple[Any, ...]] = []

    def add(step: tuple[Any, ...], shape: tuple[int, ...]) -> None:
        steps.append(step)
        shapes.append(shape)

    ops = [
        "unary",
        "binary",
        "matmul",
        "sum",
        "mean",
        "index",
        "reshape",
        "T",
        "maximum",
        "logsumexp",
        "softmax",
        "pow",
        "rpow",
        "constant",
        "cross_entropy",
    ]
    add(("unary", 0, UNARY[seed % len(UNARY)]), shapes[0])  # every function, in turn
    for _ in range(int(rng.integers(6, 11))):
        op = ops[int(rng.integers(len(ops)))]
        a = int(rng.integers(len(shapes)))  # any earlier value: fan-out and reuse
        sa = shapes[a]
        if op == "unary":
            add(("unary", a, UNARY[int(rng.integers(len(UNARY)))]), sa)
        elif op in ("binary", "maximum"):
            partners = [b for b, sb in enumerate(shapes) if _broadcasts(sa, sb)]
            b = partners[int(rng.integers(len(partners)))]
            kind = "+-*/"[int(rng.integers(4))] if op == "binary" else "max"
            add((op, a, b, kind), np.broadcast_shapes(sa, shapes[b]))
        elif op == "matmul" and len(sa) == 2:
            right = [b for b, sb in enumerate(shapes) if len(sb) in (1, 2) and sb[0] == sa[1]]
            if right:
                b = right[int(rng.integers(len(right)))]
                add(("matmul", a, b), (sa[0],) + shapes[b][1:])
        elif op in ("sum", "mean") and sa:
            axis = [None, 0, len(sa) - 1][int(rng.integers(3))]
            keep = bool(rng.integers(2))
            shape = np.sum(np.zeros(sa), axis=axis, keepdims=keep).shape
            add((op, a, axis, keep), shape)
        elif op == "index" and sa and sa[0] > 1:
            index = [0, slice(1, None), (slice(None), 0) if len(sa) == 2 else 1][
                int(rng.integers(3))
            ]
            add(("index", a, index), np.zeros(sa)[index].shape)
        elif op == "reshape" and sa:
            add(("reshape", a), (1, int(np.prod(sa))))
        elif op == "T" and len(sa) == 2:
            add(("T", a), sa[::-1])
        elif op in ("logsumexp", "softmax") and sa:
            keep = bool(rng.integers(2))
            shape = sa if op == "softmax" else (sa[:-1] + ((1,) if keep else ()))
            add((op, a, keep), shape)
        elif op == "pow":
            add(("pow", a, [2, 3, 0.5][int(rng.integers(3))]), sa)
        elif op == "rpow":
            add(("rpow", a), sa)
        elif op == "constant":
            constant = rng.normal(size=sa[-1:] if sa else ())
            add(("constant", a, constant, bool(rng.integers(2))), sa)
        elif op == "cross_entropy" and len(sa) == 2:
            add(("cross_entropy", a, rng.integers(0, sa[1], size=sa[0])), ())
    weights = [rng.normal(size=s) if s else float(rng.normal()) for s in shapes]
    steps.append(("loss", weights))
    return leaves, steps


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def run(backend: TensorBackend, leaves: list[Any], steps: list[tuple[Any, ...]]) -> Any:
    values = list(leaves)
    for step in steps:
        op, rest = step[0], step[1:]
        if op == "loss":  # every value, weighted, so every step's gradient counts
            total = 0.0
            for v, w in zip(values, rest[0]):
                total = total + backend.sum(backend.wrap(v * w), None, False)
            return total
        x = values[rest[0]]
        if op == "unary":
            y = backend.unary(rest[1], x)
        elif op == "binary":
            other = values[rest[1]]
            if rest[2] == "/":
                other = backend.wrap(other * other + 1.0)
            y = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}[
                rest[2]
            ](x, other)
        elif op == "maximum":
            y = backend.maximum(x, values[rest[1]])
        elif op == "matmul":
            y = x @ values[rest[1]]
        elif op in ("sum", "mean"):
            y = getattr(backend, op)(x, rest[1], rest[2])
        elif op == "index":
            y = x[rest[1]]
        elif op == "reshape":
            y = x.reshape(1, -1) if isinstance(x, Tensor) else np.reshape(x, (1, -1))
        elif op == "T":
            y = x.T
        elif op == "logsumexp":
            y = backend.logsumexp(x, -1, rest[1])
        elif op == "softmax":
            y = backend.softmax(x, -1)
        elif op == "pow":
            base = x * x + 0.5 if rest[1] == 0.5 else x
            y = base ** rest[1]
        elif op == "rpow":
            y = 1.5 ** (x * 0.5)
        elif op == "constant":
            y = x * rest[1] if rest[2] else rest[1] - x  # a constant on either side
        elif op == "cross_entropy":
            y = backend.cross_entropy(x, rest[1])
        values.append(backend.wrap(y))
    raise AssertionError("a program ends with its loss")


def numeric_gradients(leaves: list[np.ndarray], steps: list[Any], h: float = 1e-6) -> list[Any]:
    def f(arrays: list[np.ndarray]) -> float:
        return float(run(TensorBackend(), [Tensor(a) for a in arrays], steps).value)

    grads = []
    for i, leaf in enumerate(leaves):
        grad = np.zeros(leaf.shape)
        for j in range(leaf.size):
            up, down = [a.copy() for a in leaves], [a.copy() for a in leaves]
            up[i].flat[j] += h
            down[i].flat[j] -= h
            grad.flat[j] = (f(up) - f(down)) / (2 * h)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("seed", range(60))
def test_random_programs_agree_with_differences_and_the_scalar_engine(seed: int) -> None:
    leaves, steps = random_program(seed)
    inputs = [Tensor(a) for a in leaves]
    loss = run(TensorBackend(), inputs, steps)
    loss.backward()
    scalars = [ScalarBackend().leaf(a) for a in leaves]
    with np.errstate(invalid="ignore"):  # object arrays: NumPy's power on a negative base
        scalar_loss = run(ScalarBackend(), scalars, steps)
    scalar_loss.backward()
    assert loss.value == pytest.approx(scalar_loss.value, rel=1e-12, abs=1e-12)
    for x, xs, numeric in zip(inputs, scalars, numeric_gradients(leaves, steps)):
        by_scalar = np.vectorize(lambda v: v.grad, otypes=[float])(xs)
        np.testing.assert_allclose(x.grad, by_scalar, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(x.grad, numeric, rtol=1e-5, atol=1e-6)


def test_the_random_programs_cover_every_operation() -> None:
    seen: set[str] = set()
    for seed in range(60):
        _, steps = random_program(seed)
        for step in steps:
            seen.add(step[0])
            if step[0] == "unary":
                seen.add(step[2])
            if step[0] == "binary":
                seen.add(step[3])
    expected = {
        "matmul",
        "sum",
        "mean",
        "index",
        "reshape",
        "T",
        "maximum",
        "logsumexp",
        "softmax",
        "pow",
        "rpow",
        "constant",
        "cross_entropy",
        "+",
        "-",
        "*",
        "/",
    }
    assert expected | set(UNARY) <= seen


# --- the elementwise rows use the scalar rules' partials -----------------------------------


ELEMENTWISE_ROWS = sorted(n for n, r in ARRAY_RULES.items() if r.elementwise and n in adlearn.RULES)


def test_every_scalar_row_with_an_array_version_has_an_array_rule() -> None:
    with_arrays = {n for n, r in adlearn.RULES.items() if r.array is not None}
    assert with_arrays <= set(ELEMENTWISE_ROWS)


@pytest.mark.parametrize("name", ELEMENTWISE_ROWS)
def test_elementwise_vjps_are_the_scalar_partials_entry_by_entry(name: str) -> None:
    # the array rule's VJP with G = 1 gives, entry by entry, the scalar row's partial on floats
    rule = adlearn.RULES[name]
    rng = np.random.default_rng(1)
    points = [rng.uniform(0.2, 1.8, size=5) for _ in range(rule.arity)]
    array_rule = ARRAY_RULES[name]
    out = array_rule.value(*points)
    for i, vjp in enumerate(array_rule.vjps):
        got = np.broadcast_to(vjp(np.ones(5), out, *points), (5,))
        for j in range(5):
            args = [float(p[j]) for p in points]
            want = rule.partials(*args, rule.value(*args))[i]
            assert float(got[j]) == pytest.approx(float(want), rel=1e-12)
    assert array_rule.vjps and scalar_partials(name) is rule.partials


# --- forward mode: jvp and jacobian by both modes ----------------------------------------


def small(x: Tensor) -> Tensor:
    W = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    return T.softmax(adlearn.tanh(W @ x + 0.1) * x[:2], axis=0)


def test_jacobian_by_both_modes_agrees_with_differences() -> None:
    x = np.array([0.3, -0.8, 1.1])
    forward = T.jacobian(small, x, mode="forward")
    reverse = T.jacobian(small, x, mode="reverse")
    numeric = np.stack(
        [
            (small(Tensor(x + e)).value - small(Tensor(x - e)).value) / 2e-6
            for e in np.eye(3) * 1e-6
        ],
        axis=-1,
    )
    assert forward.shape == reverse.shape == (2, 3)
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(forward, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("seed", range(10))
def test_jvp_is_the_transpose_of_vjp_on_random_programs(seed: int) -> None:
    # <J t, s> = <t, Jᵀ s> for random t and s: forward and reverse use different code
    leaves, steps = random_program(seed)
    rng = np.random.default_rng(100 + seed)
    tangents = [rng.normal(size=a.shape) for a in leaves]
    _, forward = T.jvp(lambda *xs: run(TensorBackend(), list(xs), steps), leaves, tangents)
    inputs = [Tensor(a) for a in leaves]
    run(TensorBackend(), inputs, steps).backward()
    reverse = sum(float(np.sum(x.grad * t)) for x, t in zip(inputs, tangents))
    assert float(forward) == pytest.approx(reverse, rel=1e-9, abs=1e-10)


# --- what backward() promises -------------------------------------------------------------


def test_gradients_accumulate_and_zero_grad_starts_again() -> None:
    W = Tensor(np.arange(6.0).reshape(2, 3))
    loss = (W * W).sum()
    loss.backward()
    loss.backward()
    np.testing.assert_allclose(W.grad, 4 * W.value)
    loss.zero_grad()
    np.testing.assert_array_equal(W.grad, np.zeros((2, 3)))


def test_no_two_leaves_share_a_gradient_array() -> None:
    # add's VJP hands G itself to both inputs, and a transpose's VJP a view of G:
    # scaling one leaf's gradient in place (clipping, weight decay) must not touch another's
    rng = np.random.default_rng(20)
    a, b = Tensor(rng.normal(size=(2, 3))), Tensor(rng.normal(size=(2, 3)))
    c, d = Tensor(rng.normal(size=(3, 2))), Tensor(rng.normal(size=(2, 3)))
    ((a + b) @ c).sum().backward()  # a and b are handed the same G
    ((c + d.T) * c).sum().backward()  # d is handed a view of c's G
    grads = [p.grad for p in (a, b, c, d)]
    for i, g in enumerate(grads):
        for h in grads[i + 1:]:
            assert not np.shares_memory(g, h)
    before = [g.copy() for g in grads]
    for p in (a, b, c, d):
        g = p.grad
        g *= 0.5
    for p, old in zip((a, b, c, d), before):
        np.testing.assert_array_equal(p.grad, 0.5 * old)
    seed = np.ones((2, 3))
    e = Tensor(np.zeros((2, 3)))
    (e + 1.0).backward(seed)
    e.grad[0, 0] = 7.0
    assert seed[0, 0] == 1.0  # nor with the caller's seed


def test_a_non_scalar_output_takes_a_seed_of_its_shape() -> None:
    x = Tensor([1.0, 2.0, 3.0])
    y = x * x
    y.backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, 12.0])


def test_constants_are_not_differentiated() -> None:
    calls = []
    rule = ARRAY_RULES["matmul"]

    def spy(g: Any, out: Any, a: Any, b: Any) -> Any:
        calls.append("A")
        return rule.vjps[0](g, out, a, b)

    ARRAY_RULES["matmul"] = replace(rule, vjps=(spy, rule.vjps[1]))
    try:
        X = np.ones((4, 3))  # data: a constant
        W = Tensor(np.ones((3, 2)))
        (X @ W).sum().backward()
    finally:
        ARRAY_RULES["matmul"] = rule
    assert calls == []
    np.testing.assert_allclose(W.grad, np.full((3, 2), 4.0))


def test_a_chain_of_ten_thousand_operations_needs_no_recursion() -> None:
    x = Tensor([0.5, -0.5])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(2, 1.0001**10_000), rtol=1e-9)


def test_cross_entropy_is_stable_where_the_naive_formula_overflows() -> None:
    z = Tensor([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]])
    labels = np.array([0, 2])
    loss = adlearn.cross_entropy(z, labels)
    loss.backward()
    assert loss.value == pytest.approx(800.0 / 2)
    np.testing.assert_allclose(z.grad, [[0.0, 0.0, 0.0], [0.0, 0.5, -0.5]], atol=1e-12)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z.value) / np.exp(z.value).sum(axis=1, keepdims=True)
    assert not np.isfinite(naive).all()


# --- errors that teach ---------------------------------------------------------------------


def test_backward_on_a_non_scalar_without_a_seed_says_what_to_do() -> None:
    with pytest.raises(ValueError, match=r"shape \(2, 3\) needs a seed.*y.sum\(\)"):
        (Tensor(np.ones((2, 3))) * 2).backward()


def test_a_seed_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match=r"seed has shape \(3,\), but the output has shape \(2,\)"):
        (Tensor([1.0, 2.0]) * 2).backward(np.ones(3))


@pytest.mark.parametrize("call", [math.exp, math.sin, float])
def test_a_tensor_passed_to_math_or_float_says_use_adlearn(call: Any) -> None:
    with pytest.raises(TypeError, match=r"adlearn.exp.*\.value"):
        call(Tensor([1.0]))


def test_numpy_functions_on_a_tensor_say_use_adlearn() -> None:
    with pytest.raises(TypeError, match=r"Use adlearn.sin\(x\)"):
        np.sin(Tensor([1.0]))
    with pytest.raises(TypeError, match=r"x.sum\(axis=0\)"):
        np.sum(Tensor([1.0]))


def test_an_integer_array_input_says_convert_it() -> None:
    with pytest.raises(TypeError, match=r"integer array.*astype\(float\)"):
        Tensor(np.arange(3))


def test_numpy_arithmetic_with_a_tensor_records() -> None:
    x = Tensor([1.0, 2.0])
    y = (np.array([3.0, 4.0]) * x + np.float64(1.0)).sum()
    y.backward()
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


def test_index_arrays_are_refused_with_advice() -> None:
    with pytest.raises(TypeError, match="integers and slices"):
        Tensor([1.0, 2.0])[np.array([0, 0])]


def test_adlearn_imports_without_numpy() -> None:
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import adlearn\n"
        "x = adlearn.Variable(2.0); (x * x).backward(); assert x.grad == 4.0\n"
        "try:\n    adlearn.Tensor\nexcept ImportError:\n    print('no numpy, no Tensor')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "no numpy, no Tensor"


# --- the drawing ----------------------------------------------------------------------------


def _parse(body: list[str]) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Nodes (id -> label) and edges (tail, head, label) from a Digraph's body lines."""
    import re

    nodes, edges = {}, []
    for line in body:
        line = line.strip()
        label = re.search(r'label=("([^"]*)"|(\S+))', line)
        text = (
            label.group(2)
            if label and label.group(2) is not None
            else label.group(3)
            if label
            else ""
        )
        if " -> " in line:
            tail, rest = line.split(" -> ")
            edges.append((tail, rest.split()[0], text))
        elif line and not line.startswith(("node", "edge", "graph", "rankdir")):
            nodes[line.split()[0]] = text
    return nodes, edges


def mlp_step() -> Tensor:
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(128, 64)), name="X")
    W = Tensor(rng.normal(size=(64, 10)), name="W")
    b = Tensor(np.zeros(10), name="b")
    return adlearn.cross_entropy(adlearn.tanh(X @ W + b), rng.integers(0, 10, size=128))


def test_drawing_shows_shapes_on_nodes_and_vjps_on_edges() -> None:
    drawing = adlearn.draw(mlp_step())
    assert repr(drawing) == "<Drawing of a Tensor graph: 4 operations, output shape ()>"
    nodes, edges = _parse(drawing.body)
    by_label = {label: key for key, label in nodes.items()}
    assert {
        "X  (128, 64)",
        "W  (64, 10)",
        "b  (10,)",
        "@  (128, 10)",
        "+  (128, 10)",
        "tanh  (128, 10)",
        "cross-entropy  ()",
    } <= set(nodes.values())
    labels = {(nodes.get(t, t), nodes.get(h, h)): text for t, h, text in edges}
    assert labels[("X  (128, 64)", "@  (128, 10)")] == "G Bᵀ"
    assert labels[("W  (64, 10)", "@  (128, 10)")] == "Aᵀ G"
    assert labels[("b  (10,)", "+  (128, 10)")] == "G, sum over axis 0"
    # what the rule computes (sech², which keeps its digits in the tails), not 1 - y²
    assert labels[("+  (128, 10)", "tanh  (128, 10)")] == "G * sech² A"
    assert "result" in by_label.values() or "result" in nodes


def test_a_constant_is_drawn_dashed_without_a_vjp() -> None:
    W = Tensor(np.ones((3, 2)), name="W")
    nodes, edges = _parse(adlearn.draw((np.ones((4, 3)) @ W).sum()).body)
    constant = next(k for k, v in nodes.items() if v == "constant  (4, 3)")
    assert [e for e in edges if e[0] == constant][0][2] == ""


def test_a_big_graph_is_summarised() -> None:
    x = Tensor([1.0], name="x")
    y = x
    for _ in range(500):
        y = adlearn.sin(y)
    drawing = draw_tensor(y, max_nodes=10)
    nodes, _ = _parse(drawing.body)
    assert sum(v.startswith("sin") for v in nodes.values()) == 10
    assert "…" in nodes.values()
    assert "nearest the output" in repr(drawing)
