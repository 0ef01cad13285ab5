"""How long graphviz takes to lay out adlearn's drawings, against a bare baseline.

    python benchmarks/drawing.py

For chains of 500 and 2,000 operations it times, in one run: writing the DOT text,
laying out adlearn's full drawing with `dot` (labels with values, partials, adjoints),
and laying out a bare chain of the same size with no labels (the baseline). It also
times an input used in every step of a 1,000-step loop, the case that makes `dot`
slow when drawn as one node with a thousand edges (adlearn draws it once per use).

Then it checks that work follows what is shown, not the size of the computation: drawing
the end of chains of 20,000 and 200,000 operations (CPU time and tracemalloc peak), the
size of a reverse trace of each, and the cost of one move of the step-through slider.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import graphviz

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adlearn import Variable, draw, reverse_trace, sin, step_through  # noqa: E402


def timed(action, repeats: int = 3) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def chain(n: int) -> Variable:
    x = Variable(0.5, name="x")
    y = x
    for _ in range(n):
        y = sin(y)
    y.backward()
    return y


def long_chain(n: int) -> Variable:
    """n operations: sin, then a multiplication by a constant, repeated."""
    y = Variable(0.5, name="x")
    for _ in range(n // 2):
        y = sin(y) * 1.0
    return y


def cost(action) -> tuple[float, float]:
    """CPU seconds and peak traced memory (bytes) of one call."""
    tracemalloc.start()
    start = time.process_time()
    action()
    seconds = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def bare_chain(n: int) -> str:
    edges = "\n".join(f"  n{i} -> n{i + 1};" for i in range(n))
    return 'digraph { rankdir=LR; node [shape=circle, label=""];\n' + edges + "\n}\n"


def main() -> None:
    print(
        "adlearn drawing benchmark: medians of 3 runs, graphviz",
        ".".join(map(str, graphviz.version())),
    )
    for n in (500, 2_000):
        y = chain(n)
        source = draw(y, max_nodes=n + 1).source
        write = timed(lambda y=y, n=n: draw(y, max_nodes=n + 1).source)
        full = timed(lambda s=source: graphviz.Source(s).pipe(format="svg"))
        bare = timed(lambda n=n: graphviz.Source(bare_chain(n)).pipe(format="svg"))
        print(f"\nchain of {n:,} operations")
        print(f"  DOT text            {write * 1e3:8.1f} ms")
        print(f"  dot, adlearn labels {full * 1e3:8.1f} ms")
        print(f"  dot, bare baseline  {bare * 1e3:8.1f} ms")
        print(f"  labels cost         {full / bare:8.1f}x the bare layout")
    x = Variable(1.0, name="x")
    y = x
    for _ in range(1_000):
        y = y * 0.5 + x
    y.backward()
    loop = timed(lambda: draw(y, max_nodes=2_100).svg(), repeats=1)
    summary = timed(lambda: draw(y).svg(), repeats=1)
    print("\nan input used in each of 1,000 loop steps (2,000 operations)")
    print(f"  whole graph, input drawn once per use  {loop * 1e3:8.1f} ms")
    print(f"  default drawing (last 400 operations)  {summary * 1e3:8.1f} ms")

    print("\nwork in proportion to what is shown (the drawing: 400 operations)")
    for n in (20_000, 200_000):
        y = long_chain(n)
        seconds, peak = cost(lambda y=y: draw(y).source)
        trace = reverse_trace(y)
        size = len(trace._repr_html_())
        print(
            f"  chain of {n:>7,}: draw {seconds * 1e3:6.1f} ms, peak {peak / 1e6:5.2f} MB; "
            f"reverse_trace HTML {size / 1e3:5.1f} kB"
        )
    x = Variable(0.5, name="x")
    y = x
    for _ in range(50):
        y = sin(y) * x
    widget = step_through(y)
    move = timed(lambda: widget.sweep.annotations(widget.steps // 2), repeats=5)
    shown = timed(lambda: widget.go(widget.steps - widget.slider.value), repeats=3)
    print(f"\nstep_through of 100 operations ({widget.steps} steps), one slider move")
    print(f"  what to show   {move * 1e3:8.3f} ms")
    print(f"  with dot       {shown * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
