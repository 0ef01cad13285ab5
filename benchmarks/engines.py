"""Compare adlearn with plain floats and with micrograd, in one run.

    python benchmarks/engines.py            # 7 interleaved repeats
    python benchmarks/engines.py --quick    # 3 repeats
    python benchmarks/engines.py --before ../old/adlearn   # and an older adlearn beside it

Workloads, each written once for any number type, with values that stay in the
normal float range (each run checks that the output and the gradients are finite
and not zero, and that adlearn's gradients agree with micrograd's):

* chain 10k / 100k: y = y * 0.999, then y = y + 0.001, ... (10,000 or 100,000 ops).
* mlp: one forward and backward pass of a 2-16-16-1 relu network on 100 points.
* dag: 2,000 random operations reusing earlier results (shared subexpressions).

Times are CPU time (time.process_time), the engines run interleaved (one run of
each in turn, so a busy machine slows them alike), in the opposite order every other
repeat (the first engine after a big workload pays for the memory the last one gave
back: about 5% here), and the table shows medians.
Forward mode is timed through `adlearn.derivative`, which records nothing; its
peak memory on a 20,000-step chain is measured with tracemalloc.

``--before DIR`` adds an older adlearn (the package folder of an older checkout) to
the same run, interleaved with the others, so that a change of the engine is
measured against what it replaces on the same machine at the same time. It is
copied to a temporary folder and imported as ``adlearn_before``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import math
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adlearn import Variable, derivative, relu  # noqa: E402

try:
    from micrograd.engine import Value as Micrograd
except ImportError:  # pragma: no cover - optional
    Micrograd = None

# --- the workloads, written once for any number type ------------------------------------


def chain(x: Any, length: int) -> Any:
    for _ in range(length // 2):
        x = x * 0.999
        x = x + 0.001
    return x


def make_dag(seed: int = 0, size: int = 2_000) -> list[tuple[str, int, int]]:
    """A fixed random recipe: each step combines two of the last 50 results."""
    rng = random.Random(seed)
    steps: list[tuple[str, int, int]] = []
    count, ops = 4, 0
    while ops < size:
        op = rng.choice(["mul", "avg"])
        a, b = rng.randrange(max(0, count - 50), count), rng.randrange(max(0, count - 50), count)
        steps.append((op, a, b))
        count += 1
        ops += 3 if op == "mul" else 2
    return steps


DAG = make_dag()


def dag(inputs: list[Any]) -> Any:
    pool = list(inputs)  # every value stays in (0, 1): no underflow, no overflow
    for op, a, b in DAG:
        if op == "mul":
            pool.append(pool[a] * pool[b] * 0.5 + 0.5)
        else:
            pool.append((pool[a] + pool[b]) * 0.5)
    return pool[-1]


def make_mlp() -> tuple[list[list[list[float]]], list[tuple[float, float, float]]]:
    rng = random.Random(1)
    sizes = [2, 16, 16, 1]
    weights = [
        [[rng.uniform(-1, 1) for _ in range(n_in + 1)] for _ in range(n_out)]
        for n_in, n_out in zip(sizes, sizes[1:])
    ]
    points = []
    for _ in range(100):
        x1, x2 = rng.uniform(-2, 2), rng.uniform(-2, 2)
        points.append((x1, x2, 1.0 if x1 * x1 + x2 * x2 < 1.5 else -1.0))
    return weights, points


WEIGHTS, POINTS = make_mlp()


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


# --- one run of one engine on one workload ---------------------------------------------


def float_relu(x: float) -> float:
    return x if x > 0 else 0.0


def reverse_run(make: Callable[[float], Any], workload: str, activation: Any) -> Any:
    """Build the graph, then sweep back. Returns (forward s, backward s, value, grads)."""
    if workload == "mlp":
        leaves = [[[make(w) for w in row] for row in layer] for layer in WEIGHTS]
        flat = [v for layer in leaves for row in layer for v in row]
        build = lambda: mlp_loss(leaves, activation)  # noqa: E731
    elif workload == "dag":
        flat = [make(v) for v in (0.9, 0.8, 0.7, 0.6)]
        build = lambda: dag(flat)  # noqa: E731
    else:
        flat = [make(1.0)]
        build = lambda: chain(flat[0], int(workload.split()[1].rstrip("k")) * 1000)  # noqa: E731
    start = time.process_time()
    out = build()
    middle = time.process_time()
    out.backward()
    end = time.process_time()
    return (
        middle - start,
        end - middle,
        out.data if hasattr(out, "data") else out.value,
        [v.grad for v in flat],
    )


def float_run(workload: str) -> float:
    start = time.process_time()
    if workload == "mlp":
        mlp_loss(WEIGHTS, float_relu)
    elif workload == "dag":
        dag([0.9, 0.8, 0.7, 0.6])
    else:
        chain(1.0, int(workload.split()[1].rstrip("k")) * 1000)
    return time.process_time() - start


def forward_mode_run(length: int, differentiate: Any = derivative) -> tuple[float, float]:
    start = time.process_time()
    slope = differentiate(lambda x: chain(x, length), 1.0)
    return time.process_time() - start, slope


def forward_mode_peak(length: int = 20_000, differentiate: Any = derivative) -> int:
    gc.collect()
    tracemalloc.start()
    differentiate(lambda x: chain(x, length), 1.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


# --- the table ----------------------------------------------------------------------------


def checked(label: str, value: float, grads: list[float]) -> None:
    if not (math.isfinite(value) and value != 0 and all(math.isfinite(g) for g in grads)):
        raise SystemExit(f"{label}: the workload left the normal float range: {value}")
    if not any(g != 0 for g in grads):
        raise SystemExit(f"{label}: every gradient is 0, the workload checks nothing")


def load_before(folder: str) -> Any:
    """An older adlearn package folder, imported under the name adlearn_before."""
    target = Path(tempfile.mkdtemp()) / "adlearn_before"
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("__pycache__", "checks"))
    sys.path.insert(0, str(target.parent))
    return importlib.import_module("adlearn_before")


def run(repeats: int, before: Any = None) -> None:
    workloads = ["chain 10k", "chain 100k", "mlp", "dag"]
    micrograd_act = {"mlp": lambda v: v.relu()}
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    engines = [("adlearn", Variable, relu, derivative)]
    if before is not None:
        engines.append(("before", before.Variable, before.relu, before.derivative))
    for repeat in range(repeats):  # interleaved: one run of each engine in turn
        turn = engines if repeat % 2 == 0 else engines[::-1]  # no engine always first
        for workload in workloads:
            gc.collect()
            times.setdefault((workload, "float"), []).append((float_run(workload), 0.0))
            for label, kind, act, _ in turn:
                gc.collect()
                activation = act if workload == "mlp" else None
                f, b, value, grads = reverse_run(kind, workload, activation)
                checked(f"{label} {workload}", value, grads)
                times.setdefault((workload, label), []).append((f, b))
            if Micrograd is not None:
                gc.collect()
                mf, mb, m_value, m_grads = reverse_run(
                    Micrograd, workload, micrograd_act.get(workload)
                )
                if not (
                    math.isclose(value, m_value, rel_tol=1e-9)
                    and all(
                        math.isclose(g, h, rel_tol=1e-6, abs_tol=1e-12)
                        for g, h in zip(grads, m_grads)
                    )
                ):
                    raise SystemExit(f"{workload}: adlearn and micrograd disagree")
                times.setdefault((workload, "micrograd"), []).append((mf, mb))
        for label, _, _, differentiate in turn:
            gc.collect()
            seconds, slope = forward_mode_run(100_000, differentiate)
            if not (math.isfinite(slope) and slope != 0):
                raise SystemExit("forward mode: the chain's derivative is not a normal number")
            times.setdefault(("chain 100k", f"derivative {label}"), []).append((seconds, 0.0))

    def median(workload: str, engine: str, part: int | None = None) -> float:
        runs = times[(workload, engine)]
        return statistics.median(r[0] + r[1] if part is None else r[part] for r in runs)

    print(
        f"adlearn benchmark: CPU time, medians of {repeats} interleaved runs, "
        f"Python {platform.python_version()} on {platform.machine()} "
        f"({platform.processor() or platform.system()})"
    )
    print()
    print("| workload | engine | float | fwd | bwd | bwd/fwd | micrograd | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for workload in workloads:
        for label, *_ in engines:
            fwd, bwd = median(workload, label, 0), median(workload, label, 1)
            name = "adlearn" if label == "adlearn" else "adlearn before"
            row = f"| {workload} | {name} | {median(workload, 'float') * 1e3:.2f} ms "
            row += f"| {fwd * 1e3:.2f} ms | {bwd * 1e3:.2f} ms | {bwd / fwd:.2f} "
            if Micrograd is not None:
                mg = median(workload, "micrograd")
                row += f"| {mg * 1e3:.2f} ms | **{mg / (fwd + bwd):.1f}x** |"
            else:
                row += "| n/a | n/a |"
            print(row)
    print()
    for label, _, _, differentiate in engines:
        name = "adlearn" if label == "adlearn" else "adlearn before"
        ratio = median("chain 100k", f"derivative {label}") / median("chain 100k", "float")
        peak = forward_mode_peak(differentiate=differentiate)
        print(
            f"{name}: forward mode, derivative() of the 100k chain: **{ratio:.1f}x** plain "
            f"floats; peak memory of derivative() on a 20,000-step chain: "
            f"**{peak / 1e6:.3f} MB**"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--before", help="an older adlearn package folder, to compare with")
    args = parser.parse_args()
    before = load_before(args.before) if args.before else None
    # micrograd's topological sort is recursive: give it room for the long chain
    # (adlearn itself needs no such setting).
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 29)
    worker = threading.Thread(target=run, args=(3 if args.quick else 7, before))
    worker.start()
    worker.join()


if __name__ == "__main__":
    main()
