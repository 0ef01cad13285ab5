"""One epoch of the digits MLP with adlearn.Tensor, beside its floor and references.

    python benchmarks/arrays.py            # 7 interleaved repeats
    python benchmarks/arrays.py --quick    # 3 repeats

The workload: scikit-learn's bundled handwritten digits (1,797 8x8 images, no
download), a 64-64-10 network (tanh, then softmax with cross-entropy), mini-batches
of 128, float64, plain gradient descent; one epoch is 15 steps.

* adlearn.Tensor: one node per array operation, the learner's kind of engine.
* NumPy by hand: the same forward and backward written out (the floor for an
  op-by-op engine: the same matrix products, no graph), with tanh' = 1 - h², and
  again with tanh' computed as adlearn's rule table does (4e/(1+e)², e = exp(-2|a|),
  accurate in the tails but an exp more).
* Variable: adlearn's scalar engine, a node per multiply, on a slice of 16 examples
  (one step), scaled to the epoch's 1,797 examples.
* JAX without jit (op by op, like adlearn) and with jit (compiled, the reference).

Times are CPU time (time.process_time) per epoch, each the mean of 10 epochs in a row
(2 for JAX without jit), engines interleaved, medians of the repeats shown. Each
run checks that the first step's gradients agree across the engines. Memory: the
peak that tracemalloc sees during one training step, beside the bytes of the
activations the graph keeps (the value of every operation), and beside the least
any engine must keep (the hidden layer and the logits).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core each: a fair, quiet comparison
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import adlearn  # noqa: E402
from adlearn import Tensor, Variable  # noqa: E402

BATCH, HIDDEN, CLASSES, RATE = 128, 64, 10, 0.5
SCALAR_SLICE = 16
EPOCHS = 10  # each timing is the mean of this many epochs in a row (an epoch is short)


def load() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data / 16.0, digits.target.astype(np.int64)


def initial(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        rng.normal(0, 64**-0.5, size=(64, HIDDEN)),
        np.zeros(HIDDEN),
        rng.normal(0, HIDDEN**-0.5, size=(HIDDEN, CLASSES)),
        np.zeros(CLASSES),
    ]


def batches(n: int) -> list[slice]:
    return [slice(i, min(i + BATCH, n)) for i in range(0, n, BATCH)]


# --- one step, four ways ------------------------------------------------------------------


def adlearn_grads(params: list[Tensor], x: np.ndarray, y: np.ndarray) -> float:
    W1, b1, W2, b2 = params
    loss = adlearn.cross_entropy(adlearn.tanh(x @ W1 + b1) @ W2 + b2, y)
    loss.backward()
    return float(loss.value)


def adlearn_epoch(params: list[Tensor], X: np.ndarray, Y: np.ndarray) -> None:
    for s in batches(len(X)):
        adlearn_grads(params, X[s], Y[s])
        for p in params:
            p.value -= RATE * p.grad
            p.grad = None


def numpy_grads(
    params: list[np.ndarray], x: np.ndarray, y: np.ndarray, sech2: bool = False
) -> tuple[Any, ...]:
    """By hand. tanh' is 1 - h², or (sech2=True) the rule table's 4e/(1+e)², e = exp(-2|a|),
    which keeps its digits in the tails but costs an exp."""
    W1, b1, W2, b2 = params
    a = x @ W1 + b1
    h = np.tanh(a)
    z = h @ W2 + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = float(np.mean(-np.log(p[rows, y])))
    p[rows, y] -= 1.0
    gz = p / len(y)
    if sech2:
        e = np.exp(-2 * np.abs(a))
        gh = (gz @ W2.T) * (4 * e / (1 + e) ** 2)
    else:
        gh = (gz @ W2.T) * (1 - h * h)
    return loss, x.T @ gh, gh.sum(axis=0), h.T @ gz, gz.sum(axis=0)


def numpy_epoch(
    params: list[np.ndarray], X: np.ndarray, Y: np.ndarray, sech2: bool = False
) -> None:
    for s in batches(len(X)):
        _, *grads = numpy_grads(params, X[s], Y[s], sech2)
        for p, g in zip(params, grads):
            p -= RATE * g


def scalar_grads(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[Any, ...]:
    """The same step with a Variable per weight: object arrays, a node per multiply."""
    leaves = [np.vectorize(Variable, otypes=[object])(p) for p in params]
    W1, b1, W2, b2 = leaves
    h = np.vectorize(adlearn.tanh, otypes=[object])(x @ W1 + b1)
    z = h @ W2 + b2
    total: Any = 0.0
    for row, label in zip(z, y):
        top = max(v.value for v in row)
        total = total + adlearn.log(sum(adlearn.exp(v - top) for v in row)) + top - row[label]
    loss = total / len(y)
    loss.backward()
    grads = [np.vectorize(lambda v: v.grad, otypes=[float])(leaf) for leaf in leaves]
    return (loss.value, *grads)


def make_jax() -> tuple[Callable[..., Any], Callable[..., Any]]:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def loss(params: Any, x: Any, y: Any) -> Any:
        W1, b1, W2, b2 = params
        z = jnp.tanh(x @ W1 + b1) @ W2 + b2
        lse = jax.nn.logsumexp(z, axis=1)
        return jnp.mean(lse - jnp.take_along_axis(z, y[:, None], axis=1)[:, 0])

    grad = jax.value_and_grad(loss)
    return grad, jax.jit(grad)


def jax_epoch(grad: Callable[..., Any], params: list[Any], X: Any, Y: Any) -> list[Any]:
    for s in batches(len(X)):
        _, grads = grad(params, X[s], Y[s])
        params = [p - RATE * g for p, g in zip(params, grads)]
    for p in params:
        p.block_until_ready()
    return params


# --- measuring ------------------------------------------------------------------------------


def cpu(run: Callable[[], Any], times: int = 1) -> float:
    """CPU seconds of one call of `run`, the mean of `times` calls in a row."""
    gc.collect()
    start = time.process_time()
    for _ in range(times):
        run()
    return (time.process_time() - start) / times


def agree(X: np.ndarray, Y: np.ndarray, jax_grad: Callable[..., Any]) -> None:
    """The first step's gradients, by every engine, must agree."""
    x, y = X[:BATCH], Y[:BATCH]
    params = [Tensor(p) for p in initial()]
    adlearn_grads(params, x, y)
    mine = [p.grad for p in params]
    by_hand = numpy_grads(initial(), x, y)[1:]
    by_jax = [np.asarray(g) for g in jax_grad(initial(), x, y)[1]]
    small = slice(0, SCALAR_SLICE)
    by_scalar = scalar_grads(initial(), x[small], y[small])[1:]
    few = [Tensor(p) for p in initial()]
    adlearn_grads(few, x[small], y[small])
    for name, reference, ours in (
        ("NumPy by hand", by_hand, mine),
        ("JAX", by_jax, mine),
        ("Variable", by_scalar, [p.grad for p in few]),
    ):
        for a, b in zip(ours, reference):
            if not np.allclose(a, b, rtol=1e-9, atol=1e-12):
                raise SystemExit(f"adlearn.Tensor and {name} disagree on the gradients")
    if not all(np.isfinite(g).all() and np.abs(g).sum() > 0 for g in mine):
        raise SystemExit("the gradients are not finite and non-zero: the workload checks nothing")


def peak_of(step: Callable[[], Any]) -> int:
    step()  # warm: first calls allocate caches
    gc.collect()
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def run(repeats: int) -> None:
    X, Y = load()
    jax_grad, jax_jit = make_jax()
    agree(X, Y, jax_grad)
    import jax.numpy as jnp

    JX, JY = jnp.asarray(X), jnp.asarray(Y)
    jax_epoch(jax_jit, [jnp.asarray(p) for p in initial()], JX, JY)  # compile first: not timed
    slice_x, slice_y = X[:SCALAR_SLICE], Y[:SCALAR_SLICE]
    times: dict[str, list[float]] = {}
    for _ in range(repeats):
        tensors = [Tensor(p) for p in initial()]
        epoch = cpu(lambda t=tensors: adlearn_epoch(t, X, Y), EPOCHS)
        times.setdefault("adlearn.Tensor", []).append(epoch)
        arrays = initial()
        epoch = cpu(lambda a=arrays: numpy_epoch(a, X, Y), EPOCHS)
        times.setdefault("NumPy by hand", []).append(epoch)
        arrays = initial()
        epoch = cpu(lambda a=arrays: numpy_epoch(a, X, Y, True), EPOCHS)
        times.setdefault("NumPy by hand, tanh' as the rule table", []).append(epoch)
        start = [jnp.asarray(p) for p in initial()]
        epoch = cpu(lambda s=start: jax_epoch(jax_grad, s, JX, JY), 2)
        times.setdefault("JAX, no jit", []).append(epoch)
        epoch = cpu(lambda s=start: jax_epoch(jax_jit, s, JX, JY), EPOCHS)
        times.setdefault("JAX, jit", []).append(epoch)
        one = cpu(lambda: scalar_grads(initial(), slice_x, slice_y))
        times.setdefault("Variable (scalar nodes)", []).append(one * len(X) / SCALAR_SLICE)
    median = {name: statistics.median(values) for name, values in times.items()}
    base = median["adlearn.Tensor"]
    print(
        f"adlearn arrays benchmark: one epoch of the digits MLP (64-64-10, batch {BATCH}, "
        f"float64, {len(batches(len(X)))} steps), CPU time, medians of {repeats} interleaved "
        f"runs, Python {platform.python_version()}, NumPy {np.__version__}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}"
    )
    print()
    print("| engine | one epoch | ÷ adlearn.Tensor |")
    print("|---|---|---|")
    for name, seconds in median.items():
        note = f" (from {SCALAR_SLICE} examples, scaled)" if name.startswith("Variable") else ""
        print(f"| {name}{note} | {seconds * 1e3:.1f} ms | {seconds / base:.2f} |")
    print()
    hand = median["NumPy by hand"]
    same = median["NumPy by hand, tanh' as the rule table"]
    print(
        f"adlearn.Tensor ÷ NumPy by hand: **{base / hand:.2f}x** (target: at most 1.5x); "
        f"÷ NumPy by hand computing tanh' as adlearn's rule does: **{base / same:.2f}x**"
    )
    print(f"JAX without jit ÷ adlearn.Tensor: **{median['JAX, no jit'] / base:.1f}x** (target > 1)")
    scalar = median["Variable (scalar nodes)"] / base
    print(f"Variable ÷ adlearn.Tensor: **{scalar:.0f}x** (target > 100x)")
    tensors = [Tensor(p) for p in initial()]
    arrays = initial()
    x, y = X[:BATCH], Y[:BATCH]
    ours = peak_of(lambda: adlearn_epoch(tensors, x, y))
    theirs = peak_of(lambda: numpy_epoch(arrays, x, y))
    graph = [Tensor(p) for p in initial()]
    W1, b1, W2, b2 = graph
    loss = adlearn.cross_entropy(adlearn.tanh(x @ W1 + b1) @ W2 + b2, y)
    kept = sum(n.value.nbytes for n in adlearn.topological_order(loss) if not n.is_leaf)
    least = BATCH * (HIDDEN + CLASSES) * 8  # the hidden layer and the logits, float64
    print(
        f"Peak memory of one training step (tracemalloc): adlearn.Tensor {ours / 1e3:.0f} kB, "
        f"NumPy by hand {theirs / 1e3:.0f} kB. The activations the graph keeps (the values "
        f"of its {sum(1 for n in adlearn.topological_order(loss) if not n.is_leaf)} "
        f"operations): {kept / 1e3:.0f} kB, so adlearn ÷ activations: **{ours / kept:.2f}x** "
        f"(target: at most 3x); against the least any engine must keep (hidden layer and "
        f"logits, {least / 1e3:.0f} kB): {ours / least:.1f}x (NumPy by hand: "
        f"{theirs / least:.1f}x)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    args, _ = parser.parse_known_args()  # run.sh bench passes the scalar benchmark's options too
    run(3 if args.quick else 7)


if __name__ == "__main__":
    main()
