"""Checks for lesson 08, memory and cost.

The checks run the learner's code on problems the lesson does not show, and measure
what the method costs: how many steps are recorded, how much memory is alive at the
peak (with ``tracemalloc``), how many nodes a new primitive leaves in the graph.
"""

from __future__ import annotations

import gc
import math
import random
import tracemalloc
from collections.abc import Callable
from typing import Any

import adlearn
from adlearn import new_tag
from adlearn.core import RULES, Node, topological_order
from adlearn.derivatives import derivative as _derivative
from adlearn.derivatives import gradient as _gradient
from adlearn.dual import Dual
from adlearn.higher import checkpointed_gradient as _checkpointed_gradient
from adlearn.variable import Variable

from .exercise import Wrong, exercise, expect_close, unseen_points
from .references import complex_step

__all__ = [
    "check_checkpoint_counts",
    "check_checkpointed_shared",
    "check_softplus",
    "check_stop_gradient",
]


def _whole(x: Any, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise Wrong(f"{what} should be a whole number, but it is {x!r}.")
    return x


def _plain_number(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise Wrong(f"{what} should be a plain number, but it is {x!r}.")
    return float(x)


# --- 08.1: what uniform checkpointing stores and recomputes ---------------------------


@exercise(
    "08.1",
    "predict the cost of checkpointing",
    hints=(
        "draw the schedule for a small case, say 10 steps with every=3, as the diagram in "
        "'Checkpointing' does for 12 steps: where do the segments start, and which steps "
        "run on plain floats before they are recorded?",
        "One state is stored at the start of each segment, so count the segments; a last, "
        "shorter segment counts too, and every larger than n_steps gives one segment. Each "
        "step is recorded once; the steps of every segment except the last also ran "
        "before, on plain floats. So the steps run twice are all the steps except those of "
        "the last segment: work out how long that one is.",
        "def checkpoint_counts(n_steps, every):\n"
        "    segments = math.ceil(n_steps / every)\n"
        "    last = n_steps - (segments - 1) * every\n"
        "    return (segments, n_steps - last)",
    ),
    forbid=(adlearn.checkpointed_gradient,),
    why="Predict the counts from the schedule; do not run it.",
)
def check_checkpoint_counts(checkpoint_counts: Callable[[int, int], Any]) -> str:
    generator = random.Random("adlearn exercise 08.1")
    cases = [(generator.randrange(20, 900), generator.randrange(2, 60)) for _ in range(6)]
    cases += [(37, 1), (41, 41), (13, 50), (96, 12)]
    for n_steps, every in cases:
        result = checkpoint_counts(n_steps, every)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Wrong(
                f"checkpoint_counts({n_steps}, {every}) should return two whole numbers "
                f"(states stored, steps run twice), not {result!r}."
            )
        stored = _whole(result[0], "the number of states stored")
        twice = _whole(result[1], "the number of steps run twice")
        measured = _checkpointed_gradient(adlearn.sin, 0.3, n_steps, every)
        if stored != measured.checkpoints:
            raise Wrong(
                f"with n_steps={n_steps} and every={every} the schedule stores "
                f"{measured.checkpoints} states, not {stored}."
            )
        if twice != measured.recomputed_steps:
            raise Wrong(
                f"with n_steps={n_steps} and every={every}, {measured.recomputed_steps} steps "
                f"run twice, not {twice}."
            )
    return f"your counts match the measured schedule in all {len(cases)} cases."


# --- 08.2: checkpointing with parameters shared by every step -------------------------


class _CountedStep:
    """A step x -> step(x, theta) that counts recorded and plain calls."""

    def __init__(self, size: float) -> None:
        self.size = size
        self.recorded = 0
        self.plain = 0

    def __call__(self, x: Any, theta: Any) -> Any:
        if len(theta) != 3:
            raise Wrong(f"step(x, theta) needs all 3 parameters in theta, not {theta!r}.")
        if isinstance(x, Node) or any(isinstance(t, Node) for t in theta):
            self.recorded += 1
        else:
            self.plain += 1
        a, b, c = theta
        return x + self.size * (a * adlearn.sin(x) + b * adlearn.cos(c * x) + 0.1)


def _chain(step: Callable[..., Any], x0: float, theta: Any, n_steps: int) -> Any:
    x: Any = x0
    for _ in range(n_steps):
        x = step(x, theta)
    return x


def _peak_bytes(run: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@exercise(
    "08.2",
    "checkpointing with shared parameters",
    hints=(
        "start from checkpointed_loss_gradient in the section 'Checkpointing': the same "
        "two sweeps, with one difference: here every segment uses the same parameters.",
        "Forward, on plain numbers: store the state at the start of each segment. Then "
        "backwards, last segment first: make fresh Variables for that segment's stored "
        "state and for the parameters, record that segment only, and sweep back from its "
        "end seeded with the adjoint handed over by the segment after it (1 for the last "
        "segment). The parameters are used by every segment, so ADD each one's gradient to "
        "a running total; hand the gradient of the segment's start on to the segment "
        "before it.",
        "def checkpointed_shared_gradient(step, x0, theta, n_steps, every):\n"
        "    states, x = [], x0\n"
        "    for start in range(0, n_steps, every):\n"
        "        states.append(x)\n"
        "        for _ in range(min(every, n_steps - start)):\n"
        "            x = step(x, theta)\n"
        "    totals, adjoint = [0.0] * len(theta), 1.0\n"
        "    for start in reversed(range(0, n_steps, every)):\n"
        "        first = Variable(states.pop())\n"
        "        params = [Variable(t) for t in theta]\n"
        "        end = first\n"
        "        for _ in range(min(every, n_steps - start)):\n"
        "            end = step(end, params)\n"
        "        (end * adjoint).backward()\n"
        "        totals = [s + p.grad for s, p in zip(totals, params)]\n"
        "        adjoint = first.grad\n"
        "    return totals",
    ),
    forbid=(adlearn.checkpointed_gradient,),
    why="Write the schedule yourself: store states, then record one segment at a time.",
)
def check_checkpointed_shared(checkpointed_shared_gradient: Callable[..., Any]) -> str:
    theta = [0.4 + t for t in unseen_points("08.2 theta", 3, 0.0, 0.5)]
    (x0,) = unseen_points("08.2 start", 1, -1.0, 1.0)
    for n_steps, every in ((60, 7), (45, 45), (30, 1), (17, 40)):
        step = _CountedStep(0.02)
        got = checkpointed_shared_gradient(step, x0, list(theta), n_steps, every)
        if not isinstance(got, (list, tuple)) or len(got) != len(theta):
            raise Wrong(f"return one derivative per parameter ({len(theta)} numbers), not {got!r}.")
        got = [_plain_number(g, "a derivative") for g in got]
        plain = _gradient(lambda *t, n=n_steps: _chain(_CountedStep(0.02), x0, t, n), theta)
        expect_close(
            got,
            list(plain),
            f"the gradient for n_steps={n_steps}, every={every}",
            rtol=1e-12,
        )
        if step.recorded != n_steps:
            raise Wrong(
                f"with n_steps={n_steps} and every={every}, {step.recorded} steps were recorded "
                f"(run on Variables). Each step should be recorded exactly once, in the backward "
                "sweep; the forward sweep runs on plain numbers."
            )
        if step.plain + step.recorded > 2 * n_steps:
            raise Wrong(
                f"your schedule ran {step.plain + step.recorded} steps for n_steps={n_steps}: "
                "no step should run more than twice."
            )
    n_steps, every = 600, 25
    plain_peak = _peak_bytes(
        lambda: _gradient(lambda *t: _chain(_CountedStep(0.02), x0, t, n_steps), theta)
    )
    yours = _peak_bytes(
        lambda: checkpointed_shared_gradient(_CountedStep(0.02), x0, list(theta), n_steps, every)
    )
    if yours > plain_peak / 4:
        raise Wrong(
            f"with {n_steps} steps and every={every}, your peak memory was {yours / 1024:.0f} KiB, "
            f"while plain reverse mode needs {plain_peak / 1024:.0f} KiB. Only one segment's "
            "graph should be alive at a time: drop each segment (new Variables each time) "
            "before recording the next."
        )
    return (
        "the gradient matches plain reverse mode to 12 digits, each step is recorded once, "
        f"and the peak memory for {n_steps} steps stayed under a quarter of plain reverse "
        "mode's."
    )


# --- 08.3: a new primitive, verified with the complex step ----------------------------


def _softplus_reference(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


class _Defining:
    """Define the learner's primitive for the check only, then remove it again."""

    def __enter__(self) -> _Defining:
        self.before = set(RULES)
        return self

    def __exit__(self, *exc: Any) -> None:
        for name in set(RULES) - self.before:
            del RULES[name]


@exercise(
    "08.3",
    "softplus as a primitive",
    hints=(
        "how control_step is defined with define_primitive in 'Custom derivative "
        "rules': a value on floats, its partials written with adlearn's functions, and a "
        "version for complex numbers.",
        "The value: log(1 + e^x) overflows for large x, so take the larger of x and 0 out "
        "of the logarithm first; then the exponential only ever sees a number that is not "
        "positive (log1p keeps the small remainder accurate). The partial: differentiate "
        "log(1 + e^x) by hand and recognise a function adlearn already has; write it with "
        "that function so that it nests. The complex version may use the plain formula "
        "with cmath: the complex step only evaluates it near the real line, at moderate x.",
        "def make_softplus():\n"
        "    return define_primitive(\n"
        '        "my_softplus",\n'
        "        value=lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),\n"
        "        partials=lambda x, out: (sigmoid(x),),\n"
        "        complex_=lambda z: cmath.log(1 + cmath.exp(z)),\n"
        "    )",
    ),
    why="",
)
def check_softplus(make_softplus: Callable[[], Any]) -> str:
    with _Defining():
        softplus = make_softplus()
        if not callable(softplus):
            raise Wrong(
                "make_softplus should return the function that define_primitive returns, "
                f"not {softplus!r}."
            )
        y = softplus(Variable(0.3))
        nodes = len(topological_order(y)) if isinstance(y, Node) else 0
        if nodes != 2:
            raise Wrong(
                f"softplus(Variable(0.3)) left {nodes} nodes in the graph (its input "
                "included). A primitive is ONE node: define it with define_primitive, do not "
                "compose it from log and exp."
            )
        points = unseen_points("08.3", 5, -6.0, 6.0)
        for x in [*points, 0.0, 40.0, -40.0, 800.0, -800.0]:
            value = _plain_number(softplus(x), f"softplus({x:.4g})")
            reference = _softplus_reference(x)
            if not math.isclose(value, reference, rel_tol=1e-14) and math.isclose(
                value, reference, rel_tol=1e-6
            ):
                raise Wrong(
                    f"softplus({x:.4g}) is {value!r}, but it should be {reference!r}: the "
                    "value loses digits where e^x is tiny, because 1 + tiny rounds before the "
                    "logarithm sees it. math.log1p(tiny) keeps them; the exercise asks for "
                    "full precision, not only no overflow."
                )
            expect_close(
                value, _softplus_reference(x), f"softplus({x:.4g})", rtol=1e-14, atol=1e-300
            )
            forward = _derivative(softplus, x)
            v = Variable(x)
            softplus(v).backward()
            expect_close(forward, _sigmoid(x), f"softplus'({x:.4g}) by forward mode", rtol=1e-13)
            expect_close(v.grad, _sigmoid(x), f"softplus'({x:.4g}) by reverse mode", rtol=1e-13)
            if abs(x) > 10:
                continue  # the nested check below stays where the sigmoid's own rule is exact
            second = _derivative(lambda t: _derivative(softplus, t), x)
            expect_close(
                second,
                _sigmoid(x) * _sigmoid(-x),
                f"softplus''({x:.4g}) by nesting (are your partials written with adlearn's "
                "functions?)",
                rtol=1e-12,
                atol=1e-300,
            )
        for x in points:
            try:
                by_complex_step = complex_step(softplus, x)
            except TypeError:
                raise Wrong(
                    "softplus does not accept complex numbers, so the complex step cannot "
                    "verify it: give define_primitive a complex_ version (cmath)."
                ) from None
            expect_close(
                by_complex_step,
                _derivative(softplus, x),
                f"the complex-step derivative of your softplus at {x:.4g}, against your partial",
                rtol=1e-13,
            )
    return (
        "softplus is one node; its value is right from -800 to 800 without overflow; forward, "
        "reverse, nested and complex-step derivatives agree to 13 digits."
    )


# --- 08.4: stop-gradient ---------------------------------------------------------------


@exercise(
    "08.4",
    "stop-gradient at every level",
    hints=(
        "the end of the section 'Stop-gradient': .value removes one level only. "
        "Inside a nested derivative, what kind of number is x.value?",
        "Inside nested derivatives x is a dual number (or Variable) whose value part is "
        "again a dual number (or Variable) of the other derivative, and so on down to a "
        "plain number. Keep taking the value part until what you hold is a plain number, "
        "and return that.",
        "def stop_gradient(x):\n"
        "    while isinstance(x, (Dual, Variable)):\n"
        "        x = x.value\n"
        "    return x",
    ),
)
def check_stop_gradient(stop_gradient: Callable[[Any], Any]) -> str:
    for x in unseen_points("08.4", 4, -3.0, 3.0):
        expect_close(
            _plain_number(stop_gradient(x), "stop_gradient(number)"), x, "stop_gradient(x)"
        )
        v = Variable(x)
        out = v * stop_gradient(v)
        expect_close(out.value, x * x, f"x * stop_gradient(x) at x = {x:.4g}")
        out.backward()
        expect_close(v.grad, x, f"reverse mode: d/dx [x * stop_gradient(x)] at {x:.4g}", rtol=1e-13)
        forward = _derivative(lambda t: t * stop_gradient(t), x)
        expect_close(
            forward, x, f"forward mode: d/dx [x * stop_gradient(x)] at {x:.4g}", rtol=1e-13
        )
        second = _derivative(lambda s: _derivative(lambda t: t * t * stop_gradient(t), s), x)
        expect_close(
            second,
            2 * x,
            f"nested: the second derivative of x·x·stop_gradient(x) at {x:.4g} "
            "(it should treat stop_gradient(x) as a constant at both levels)",
            rtol=1e-13,
        )
        inner = Variable(Dual(x, 1.0, tag=new_tag()))
        kept = stop_gradient(inner)
        if isinstance(kept, Node):
            raise Wrong(
                "stop_gradient(Variable(Dual(...))) still holds a Dual or a Variable, which "
                "carries a derivative. Unwrap every level."
            )
    return (
        "stop_gradient passes the value and stops forward, reverse and nested derivatives, "
        "at every level."
    )
