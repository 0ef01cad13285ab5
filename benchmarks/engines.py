"""Compare adlearn with plain floats and with micrograd, in one run.

    python benchmarks/engines.py            # all cases, 5 repeats each
    python benchmarks/engines.py --quick    # fewer repeats

Three workloads are built the same way with every engine:

* chain:  100,000 operations in a row (y = y * 0.999, then y = y + 0.001, ...).
* dag:    2,000 random operations that reuse earlier results (shared subexpressions).
* mlp:    one forward and backward step of a 2-16-16-1 relu network on 100 points,
          with a hinge loss.

It prints the median time of each engine and the ratios the project tracks:
adlearn against micrograd (higher is better for adlearn), the backward sweep
against the forward recording, and Dual and Variable against plain floats.
micrograd is optional (``pip install micrograd``); without it those columns say n/a.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adlearn import Dual, Variable, relu  # noqa: E402

try:
    from micrograd.engine import Value as MicrogradValue
except ImportError:  # pragma: no cover - optional
    MicrogradValue = None


# --- the workloads, written once for any number type --------------------------------

CHAIN_LENGTH = 100_000


def chain(x: Any) -> Any:
    y = x
    for _ in range(CHAIN_LENGTH // 2):
        y = y * 0.999
        y = y + 0.001
    return y


def make_dag(seed: int = 0, size: int = 2_000) -> list[tuple[str, int, int]]:
    """A fixed random recipe: each step combines two earlier results."""
    rng = random.Random(seed)
    steps = []
    count = 4  # four inputs to start from
    while sum(1 if op == "mul" else 2 for op, _, _ in steps) < size:
        op = rng.choice(["mul", "avg"])
        a = rng.randrange(max(0, count - 50), count)
        b = rng.randrange(max(0, count - 50), count)
        steps.append((op, a, b))
        count += 1
    return steps


DAG = make_dag()


def dag(inputs: list[Any]) -> Any:
    pool = list(inputs)
    for op, a, b in DAG:
        if op == "mul":
            pool.append(pool[a] * pool[b])
        else:
            pool.append((pool[a] + pool[b]) * 0.5)
    return pool[-1]


def make_mlp_data(
    seed: int = 1,
) -> tuple[list[list[float]], list[list[list[float]]], list[tuple[float, float, float]]]:
    rng = random.Random(seed)
    sizes = [2, 16, 16, 1]
    weights = [
        [[rng.uniform(-1, 1) for _ in range(n_in + 1)] for _ in range(n_out)]
        for n_in, n_out in zip(sizes, sizes[1:])
    ]
    points = []
    for _ in range(100):
        x1, x2 = rng.uniform(-2, 2), rng.uniform(-2, 2)
        label = 1.0 if x1 * x1 + x2 * x2 < 1.5 else -1.0
        points.append((x1, x2, label))
    return sizes, weights, points


SIZES, WEIGHTS, POINTS = make_mlp_data()


def mlp_loss(weights: list[list[list[Any]]], activation: Callable[[Any], Any]) -> Any:
    total: Any = 0.0
    for x1, x2, label in POINTS:
        layer: list[Any] = [x1, x2]
        for depth, neurons in enumerate(weights):
            last = depth == len(weights) - 1
            outputs = []
            for w in neurons:
                s = w[-1]
                for wi, xi in zip(w, layer):
                    s = s + wi * xi
                outputs.append(s if last else activation(s))
            layer = outputs
        total = total + activation(1.0 - label * layer[0])  # hinge loss
    return total * (1.0 / len(POINTS))


# --- engines ---------------------------------------------------------------------------


def float_relu(x: float) -> float:
    return x if x > 0 else 0.0


def wrap_weights(make: Callable[[float], Any]) -> list[list[list[Any]]]:
    return [[[make(w) for w in row] for row in layer] for layer in WEIGHTS]


def timed(build: Callable[[], Any], backward: Callable[[Any], None] | None) -> tuple[float, float]:
    gc.collect()
    start = time.perf_counter()
    out = build()
    middle = time.perf_counter()
    if backward is not None:
        backward(out)
    end = time.perf_counter()
    return middle - start, end - middle


def cases() -> dict[str, dict[str, tuple[Callable[[], Any], Callable[[Any], None] | None]]]:
    def adlearn_backward(y: Variable) -> None:
        y.backward()

    def micrograd_backward(y: Any) -> None:
        y.backward()

    table: dict[str, dict[str, Any]] = {
        "chain": {
            "float": (lambda: chain(1.0), None),
            "Dual": (lambda: chain(Dual(1.0, 1.0)), None),
            "Variable": (lambda: chain(Variable(1.0)), adlearn_backward),
        },
        "dag": {
            "float": (lambda: dag([0.9, 0.8, 0.7, 0.6]), None),
            "Dual": (lambda: dag([Dual(0.9, 1.0), 0.8, 0.7, 0.6]), None),
            "Variable": (
                lambda: dag([Variable(v) for v in (0.9, 0.8, 0.7, 0.6)]),
                adlearn_backward,
            ),
        },
        "mlp": {
            "float": (lambda: mlp_loss(wrap_weights(float), float_relu), None),
            "Variable": (lambda: mlp_loss(wrap_weights(Variable), relu), adlearn_backward),
        },
    }
    if MicrogradValue is not None:
        table["chain"]["micrograd"] = (lambda: chain(MicrogradValue(1.0)), micrograd_backward)
        table["dag"]["micrograd"] = (
            lambda: dag([MicrogradValue(v) for v in (0.9, 0.8, 0.7, 0.6)]),
            micrograd_backward,
        )
        table["mlp"]["micrograd"] = (
            lambda: mlp_loss(wrap_weights(MicrogradValue), lambda v: v.relu()),
            micrograd_backward,
        )
    return table


def run(repeats: int) -> None:
    print(f"adlearn benchmark: medians of {repeats} runs, Python {sys.version.split()[0]}")
    if MicrogradValue is None:
        print("micrograd is not installed: pip install micrograd to compare with it")
    for case, engines in cases().items():
        medians: dict[str, tuple[float, float]] = {}
        for engine, (build, backward) in engines.items():
            runs = [timed(build, backward) for _ in range(repeats)]
            medians[engine] = (
                statistics.median(f for f, _ in runs),
                statistics.median(b for _, b in runs),
            )
        print(f"\n{case}")
        for engine, (forward, backward) in medians.items():
            print(
                f"  {engine:10s} forward {forward * 1e3:9.2f} ms  backward {backward * 1e3:9.2f} ms"
            )
        f_var, b_var = medians["Variable"]
        floats = medians["float"][0]
        print(
            f"  Variable forward+backward / float:         {(f_var + b_var) / floats:6.1f}x slower"
        )
        print(f"  Variable backward / forward recording:     {b_var / f_var:6.2f}")
        if "Dual" in medians:
            print(
                f"  Dual / float:                       {medians['Dual'][0] / floats:6.1f}x slower"
            )
        if "micrograd" in medians:
            mg = sum(medians["micrograd"])
            print(
                f"  micrograd / Variable (forward+backward):   {mg / (f_var + b_var):6.1f}x faster"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 repeats instead of 5")
    args = parser.parse_args()
    # micrograd's topological sort is recursive: give it room for the 100,000-step
    # chain (adlearn itself needs no such setting).
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 29)
    worker = threading.Thread(target=run, args=(2 if args.quick else 5,))
    worker.start()
    worker.join()


if __name__ == "__main__":
    main()
