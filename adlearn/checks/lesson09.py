"""Checks for the exercises of lesson 09, your own engine.

The learner's engine has one rule table ``TABLE`` (name -> (value function, partials
function)), a forward-mode number ``Forward(value, tangent)`` and a reverse-mode node
``Reverse(value, name=None)``; ``forward_apply(name, *args)`` and
``reverse_apply(name, *args)`` read the table. The checks run it beside adlearn on
programs they generate, add rules to the table to see both modes use them, and count
what the method says is counted (each rule once per operation, one sweep per step).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import adlearn

from ..dual import Dual
from .exercise import Wrong, exercise, expect_close, unseen_points
from .lesson04 import (
    ADLEARN_UNARY,
    FLOAT_UNARY,
    _CountedPartial,
    _doubling,
    adlearn_gradient,
    describe,
    expect_exact_and_deep,
    random_program,
    run_program,
)

NAMES = ("add", "sub", "mul", "div", "pow", "neg", "sin", "cos", "exp", "log")
"""The rules the learner's table must hold."""

ARITY = {name: 2 if name in ("add", "sub", "mul", "div", "pow") else 1 for name in NAMES}


def _expected(name: str, args: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    """The value and the partials of rule `name`, from closed forms written here."""
    x = args[0]
    if name == "pow":
        p = args[1]
        return x**p, (p * x ** (p - 1), x**p * math.log(x))
    closed: dict[str, Callable[..., tuple[float, tuple[float, ...]]]] = {
        "add": lambda x, y: (x + y, (1.0, 1.0)),
        "sub": lambda x, y: (x - y, (1.0, -1.0)),
        "mul": lambda x, y: (x * y, (y, x)),
        "div": lambda x, y: (x / y, (1 / y, -x / y**2)),
        "neg": lambda x: (-x, (-1.0,)),
        "sin": lambda x: (math.sin(x), (math.cos(x),)),
        "cos": lambda x: (math.cos(x), (-math.sin(x),)),
        "exp": lambda x: (math.exp(x), (math.exp(x),)),
        "log": lambda x: (math.log(x), (1 / x,)),
    }
    return closed[name](*args)


# --- 09.1: the rule table ------------------------------------------------------------


@exercise(
    "09.1",
    "your rule table",
    hints=(
        "the section 'One table, two modes': each entry is a pair (value function, "
        "partials function), and the partials function returns a tuple with one partial "
        "per input.",
        "the section 'One table, two modes'. Put one entry per operation into `table`: "
        'table["mul"] = (lambda x, y: x * y, lambda x, y: (y, x)), and likewise for '
        "add, sub, div, pow, neg, sin, cos, exp and log. The partials function returns a "
        "tuple with one partial per input, even for one input: (math.cos(x),).",
        "For x ** p both inputs get a partial: p x^(p-1) for the base and x^p log(x) for "
        "the exponent (use 0.0 for the exponent's partial when x <= 0, where the log does "
        "not exist; a constant exponent never needs it). For x / y: (1 / y, -x / y**2).",
        "def fill_table(table):\n    table.update({\n"
        '        "add": (lambda x, y: x + y, lambda x, y: (1.0, 1.0)),\n'
        '        "sub": (lambda x, y: x - y, lambda x, y: (1.0, -1.0)),\n'
        '        "mul": (lambda x, y: x * y, lambda x, y: (y, x)),\n'
        '        "div": (lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2)),\n'
        '        "pow": (lambda x, p: x**p,\n'
        "                lambda x, p: (p * x ** (p - 1), x**p * math.log(x) if x > 0 else 0.0)),\n"
        '        "neg": (lambda x: -x, lambda x: (-1.0,)),\n'
        '        "sin": (math.sin, lambda x: (math.cos(x),)),\n'
        '        "cos": (math.cos, lambda x: (-math.sin(x),)),\n'
        '        "exp": (math.exp, lambda x: (math.exp(x),)),\n'
        '        "log": (math.log, lambda x: (1 / x,)),\n    })',
    ),
    forbid=(adlearn.define_primitive, adlearn.RULES),
    why="Write the rules into your own table.",
)
def check_table(fill_table: Callable[[dict[str, Any]], Any], table: dict[str, Any]) -> str:
    mine: dict[str, Any] = {}
    fill_table(mine)
    missing = [name for name in NAMES if name not in mine]
    if missing:
        raise Wrong(f"the table has no rule for {', '.join(map(repr, missing))}")
    points = unseen_points("09.1", 12, 0.3, 2.5)
    for name in NAMES:
        entry = mine[name]
        if not (isinstance(entry, tuple) and len(entry) == 2 and all(map(callable, entry))):
            raise Wrong(f"table[{name!r}] should be a pair (value function, partials function)")
        for k in range(0, 12, 2):
            args = tuple(points[k : k + ARITY[name]])
            shown = ", ".join(f"{a:.3g}" for a in args)
            value, partials = _expected(name, args)
            expect_close(entry[0](*args), value, f"the value of {name}({shown})", rtol=1e-14)
            got = entry[1](*args)
            if not isinstance(got, (tuple, list)) or len(got) != len(args):
                raise Wrong(
                    f"the partials of {name}({shown}) should be a tuple of {len(args)} "
                    f"number(s), one per input, not {got!r}"
                )
            for i, (g, e) in enumerate(zip(got, partials)):
                expect_close(
                    g,
                    e,
                    f"the partial of {name}({shown}) with respect to input {i}",
                    rtol=1e-13,
                    atol=1e-15,
                )
    table.clear()
    table.update(mine)
    return f"all {len(NAMES)} rules are right at points you have not seen; TABLE holds them now."


# --- helpers shared by the checks of the engine --------------------------------------


SOFTPLUS = (
    lambda x: math.log1p(math.exp(x)),
    lambda x: (1 / (1 + math.exp(-x)),),
)
"""A rule the checks add to the learner's table for a moment: softplus(x) = log(1 + e^x)."""


@contextmanager
def _added_rule(table: dict[str, Any], name: str, rule: Any) -> Iterator[None]:
    saved = table.get(name)
    table[name] = rule
    try:
        yield
    finally:
        if saved is None:
            table.pop(name, None)
        else:
            table[name] = saved


@contextmanager
def _counted_rules(table: dict[str, Any]) -> Iterator[dict[str, list[int]]]:
    """Count the calls of every value and partials function of the table."""
    saved = dict(table)
    counts: dict[str, list[int]] = {}
    for name, (value, partials) in saved.items():
        calls = counts.setdefault(name, [0, 0])
        table[name] = (_counting(value, calls, 0), _counting(partials, calls, 1))
    try:
        yield counts
    finally:
        table.clear()
        table.update(saved)


def _counting(function: Callable[..., Any], calls: list[int], index: int) -> Callable[..., Any]:
    def counted(*args: Any) -> Any:
        calls[index] += 1
        return function(*args)

    return counted


def _needs_table(table: dict[str, Any], attempt: Callable[[], Any]) -> None:
    """Say "not done yet" if the learner's code is a stub, else insist on a full TABLE."""
    try:
        attempt()
    except NotImplementedError:
        raise
    except Exception:  # noqa: S110 (judged below, with a message that says why)
        pass
    missing = [name for name in NAMES if name not in table]
    if missing:
        raise Wrong(
            f"TABLE has no rule for {', '.join(map(repr, missing))}: run the check of "
            "exercise 09.1 first (it fills TABLE once your rules are right)"
        )


def _programs(key: str, count: int) -> Iterator[tuple[list[float], list[Any]]]:
    for k in range(count):
        point = unseen_points(f"{key} point {k}", 3, 0.4, 1.6)
        yield point, random_program(f"{key} {k}", point, 16, NAMES)


# --- 09.2: forward mode --------------------------------------------------------------


@exercise(
    "09.2",
    "forward mode from the table",
    hints=(
        "the section 'One table, two modes': the tangent of a result is the sum, over "
        "its inputs, of partial × the input's tangent; a plain number has tangent 0.",
        "the section 'One table, two modes'. In forward_apply(name, *args): look up "
        "value_of, partials_of = TABLE[name]; take the values of the arguments (a "
        "Forward's .value, or the number itself) and their tangents (a Forward's "
        ".tangent, or 0.0 for a plain number); return Forward(value_of(*values), "
        "sum of partial × tangent).",
        "Call each of the rule's two functions once per operation: "
        "partials = partials_of(*values), then "
        "tangent = sum(p * t for p, t in zip(partials, tangents)).",
        "def forward_apply(name, *args):\n    value_of, partials_of = TABLE[name]\n"
        "    values = [a.value if isinstance(a, Forward) else a for a in args]\n"
        "    tangents = [a.tangent if isinstance(a, Forward) else 0.0 for a in args]\n"
        "    partials = partials_of(*values)\n"
        "    return Forward(value_of(*values), sum(p * t for p, t in zip(partials, tangents)))",
    ),
    forbid=(adlearn.Dual, adlearn.derivative, adlearn.jvp, adlearn.jacobian_forward),
    why="Your forward mode reads your table.",
)
def check_forward(forward_apply: Callable[..., Any], Forward: Any, table: dict[str, Any]) -> str:
    _needs_table(table, lambda: forward_apply("add", Forward(1.0, 1.0), 2.0))
    got = forward_apply("sub", 2.0, Forward(0.5, 1.0))
    if not isinstance(got, Forward):
        raise Wrong(
            f'forward_apply("sub", 2.0, Forward(0.5, 1.0)) should return a Forward, not {got!r}'
        )
    expect_close(got.tangent, -1.0, 'the tangent of forward_apply("sub", 2.0, Forward(0.5, 1.0))')
    unary = {name: (lambda a, name=name: forward_apply(name, a)) for name in FLOAT_UNARY}
    for point, program in _programs("09.2", 8):
        direction = unseen_points(f"09.2 direction {point[0]}", 3, -1.0, 1.0)
        mine = run_program(program, [Forward(x, v) for x, v in zip(point, direction)], unary)
        reference = run_program(
            program, [Dual(x, v) for x, v in zip(point, direction)], ADLEARN_UNARY
        )
        where = f"the program {describe(program, 3)}"
        expect_close(mine.value, reference.value, f"the value of {where}", rtol=1e-13)
        expect_close(
            mine.tangent, reference.derivative, f"the tangent of {where}", rtol=1e-12, atol=1e-14
        )
    with _counted_rules(table) as counts:
        forward_apply("mul", Forward(1.5, 1.0), Forward(0.5, 0.0))
    if counts["mul"] != [1, 1]:
        raise Wrong(
            f"one multiplication called the table's value function {counts['mul'][0]} "
            f"time(s) and its partials function {counts['mul'][1]} time(s): once each is "
            "enough"
        )
    with _added_rule(table, "softplus", SOFTPLUS):
        added = forward_apply("softplus", Forward(0.3, 2.0))
    expect_close(
        added.tangent,
        2 / (1 + math.exp(-0.3)),
        "the tangent of a rule that the check added to TABLE (softplus)",
        rtol=1e-13,
    )
    return (
        "values and tangents agree with adlearn.Dual on 8 random programs, each rule is "
        "called once per operation, and a rule added to TABLE works at once."
    )


# --- 09.3: reverse mode --------------------------------------------------------------


def _count_node_partials(output: Any) -> list[_CountedPartial]:
    counted: list[_CountedPartial] = []
    seen, stack = {id(output)}, [output]
    while stack:
        node = stack.pop()
        node.partials = tuple(_CountedPartial(p) for p in node.partials)
        counted.extend(node.partials)
        for operand in node.inputs:
            if hasattr(operand, "inputs") and id(operand) not in seen:
                seen.add(id(operand))
                stack.append(operand)
    return counted


@exercise(
    "09.3",
    "reverse mode from the table",
    hints=(
        "lesson 04's exercise 04.3: reverse_apply records the value, the inputs and the "
        "partials; the sweep visits every node once, in topological order, and a plain "
        "number takes no gradient.",
        "the sections 'One table, two modes' and lesson 04's exercise 04.3. "
        "reverse_apply(name, *args) computes the value and the partials from TABLE[name] "
        "with the arguments' values, and returns Reverse(value) with .inputs = args (a "
        "tuple, constants kept as numbers), .partials (a tuple) and .op = name. "
        "sweep(output) is lesson 04's sweep, where an input that is a plain number takes "
        "no gradient.",
        "In sweep: a topological order with a stack, then grad = 0.0 on nodes with inputs, "
        "output.grad += 1.0, and for node in reversed(order): for x, p in "
        "zip(node.inputs, node.partials): if isinstance(x, Reverse): x.grad += p * node.grad.",
        "def reverse_apply(name, *args):\n    value_of, partials_of = TABLE[name]\n"
        "    values = [a.value if isinstance(a, Reverse) else a for a in args]\n"
        "    node = Reverse(value_of(*values))\n"
        "    node.inputs, node.partials, node.op = tuple(args), tuple(partials_of(*values)), name\n"
        "    return node\n\n"
        "def sweep(output):\n    order, seen, stack = [], set(), [(output, False)]\n"
        "    while stack:\n        node, inputs_done = stack.pop()\n"
        "        if inputs_done:\n            order.append(node)\n"
        "        elif id(node) not in seen:\n            seen.add(id(node))\n"
        "            stack.append((node, True))\n"
        "            stack.extend((x, False) for x in node.inputs\n"
        "                         if isinstance(x, Reverse) and id(x) not in seen)\n"
        "    for node in order:\n        if node.inputs:\n            node.grad = 0.0\n"
        "    output.grad += 1.0\n    for node in reversed(order):\n"
        "        for x, partial in zip(node.inputs, node.partials):\n"
        "            if isinstance(x, Reverse):\n"
        "                x.grad += partial * node.grad",
    ),
    forbid=(adlearn.Variable, adlearn.gradient, adlearn.vjp, adlearn.topological_order),
    why="Your reverse mode reads your table and sweeps with your own order.",
)
def check_reverse(reverse_apply: Callable[..., Any], Reverse: Any, table: dict[str, Any]) -> str:
    _needs_table(table, lambda: reverse_apply("add", Reverse(1.0), 2.0))
    x = Reverse(1.5, name="x")
    node = reverse_apply("mul", x, 2.0)
    for attribute in ("value", "inputs", "partials", "op", "grad"):
        if not hasattr(node, attribute):
            raise Wrong(f"a node made by reverse_apply has no .{attribute}")
    if tuple(node.inputs) != (x, 2.0) or not isinstance(node.inputs, tuple):
        raise Wrong(
            f'reverse_apply("mul", x, 2.0).inputs should be the tuple (x, 2.0), not {node.inputs!r}'
        )
    if not isinstance(node.partials, tuple) or len(node.partials) != 2:
        raise Wrong(
            f'reverse_apply("mul", x, 2.0).partials should be a tuple of 2 partials, '
            f"not {node.partials!r}"
        )
    x = Reverse(1.0)
    y = _doubling(x, 10)
    counted = _count_node_partials(y)
    y.backward()
    uses = sum(p.uses for p in counted)
    if uses != len(counted):
        raise Wrong(
            f"on y = y + y (10 times), the sweep used the edges' partials {uses} times, "
            f"but there are {len(counted)} edges: each should be used once"
        )
    expect_exact_and_deep(Reverse)
    unary = {name: (lambda a, name=name: reverse_apply(name, a)) for name in FLOAT_UNARY}
    for point, program in _programs("09.3", 8):
        xs = [Reverse(v) for v in point]
        y = run_program(program, xs, unary)
        value, expected = adlearn_gradient(program, point)
        where = f"the program {describe(program, 3)}"
        expect_close(y.value, value, f"the value of {where}", rtol=1e-13)
        for twice in (1, 2):
            y.backward()
            for i, xi in enumerate(xs):
                what = f"x{i}.grad after {twice} backward() call(s) on {where}"
                expect_close(xi.grad, twice * expected[i], what, rtol=1e-12, atol=1e-14)
    with _added_rule(table, "softplus", SOFTPLUS):
        x = Reverse(0.3)
        reverse_apply("softplus", x).backward()
    expect_close(
        x.grad,
        1 / (1 + math.exp(-0.3)),
        "the gradient through a rule that the check added to TABLE (softplus)",
        rtol=1e-13,
    )
    return (
        "nodes follow the drawing protocol, each edge is used once, 2**60 exactly, a "
        "100,000-step chain, agreement with adlearn.Variable on 8 random programs, and a "
        "rule added to TABLE works at once."
    )


# --- 09.4: the launch angle, by your forward mode ------------------------------------


def flight_distance(
    angle: float, speed: float = 30.0, drag: float = 0.1, dt: float = 0.01
) -> float:
    """Lesson 00's simulated throw, with plain floats (the check's reference)."""
    a = angle * math.pi / 180
    x, y = 0.0, 0.0
    vx, vy = speed * math.cos(a), speed * math.sin(a)
    while True:
        x_next, y_next = x + vx * dt, y + vy * dt
        if y_next < 0:
            return x + (x_next - x) * y / (y - y_next)
        x, y = x_next, y_next
        vx, vy = vx - drag * vx * dt, vy - (9.81 + drag * vy) * dt


def _angle_by_bisection(target: float) -> float:
    """The angle below 40 degrees that reaches `target`: no derivative at all."""
    low, high = 5.0, 40.0  # the distance grows with the angle on this interval
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if flight_distance(middle) < target else (low, middle)
    return (low + high) / 2


@exercise(
    "09.4",
    "the launch angle, by your forward mode",
    hints=(
        "lesson 00's Newton iteration: the slope of flight_distance comes from one "
        "Forward number seeded with tangent 1, not from a difference of two runs.",
        "lesson 00's Newton iteration. Start at 20 degrees; at each step make "
        "Forward(angle, 1.0), run flight_distance on it (it uses your engine's sin and "
        "cos), and move the angle by -(d.value - target) / d.tangent; stop when the miss "
        "is below 1e-10 m.",
        "A loop of at most 20 steps: d = flight_distance(Forward(angle, 1.0)); "
        "miss = d.value - target; if abs(miss) < 1e-10: break; "
        "angle = angle - miss / d.tangent. Return the angle as a float.",
        "def launch_angle(target):\n    angle = 20.0\n    for _ in range(20):\n"
        "        d = flight_distance(Forward(angle, 1.0))\n        miss = d.value - target\n"
        "        if abs(miss) < 1e-10:\n            break\n"
        "        angle = angle - miss / d.tangent\n    return angle",
    ),
    forbid=(adlearn.derivative, adlearn.Dual, adlearn.gradient, adlearn.Variable),
    why="Use your own forward mode for the slope.",
)
def check_launch_angle(launch_angle: Callable[[float], Any], table: dict[str, Any]) -> str:
    _needs_table(table, lambda: launch_angle(45.0))
    u = unseen_points("09.4", 3, 0.0, 1.0)  # one target in each of three bands, none at 50
    targets = [round(28 + 12 * u[0], 2), round(40 + 7 * u[1], 2), round(53 + 10 * u[2], 2)]
    for target in targets:
        with _counted_rules(table) as counts:
            angle = launch_angle(target)
        if counts["sin"][1] + counts["cos"][1] == 0:
            raise Wrong(
                "launch_angle never asked TABLE for the partials of sin or cos: the slope "
                "should come from your Forward numbers running flight_distance"
            )
        angle = float(angle)
        landed = flight_distance(angle)
        if not abs(landed - target) < 1e-9:
            raise Wrong(
                f"thrown at launch_angle({target}) = {angle:.9g}°, the ball lands at "
                f"{landed:.12g} m, not {target} m"
            )
        expect_close(angle, _angle_by_bisection(target), f"launch_angle({target})", rtol=1e-9)
    shown = ", ".join(f"{t} m" for t in targets)
    return f"your forward mode finds the angle for {shown} to 1e-9 m."


# --- 09.5: the curve fit, by your reverse mode ---------------------------------------


def curve_data() -> tuple[list[float], list[float]]:
    """Lesson 06's 25 noisy points of 0.5 - 1.2 t + 2 t², made the same way."""
    rng = random.Random(0)
    ts = [-1 + 2 * i / 24 for i in range(25)]
    ys = [0.5 - 1.2 * t + 2.0 * t**2 + rng.gauss(0, 0.25) for t in ts]
    return ts, ys


def _reference_fit(steps: int, lr: float) -> list[float]:
    ts, ys = curve_data()

    def loss(a: Any, b: Any, c: Any) -> Any:
        return sum((a + b * t + c * t**2 - y) ** 2 for t, y in zip(ts, ys)) / len(ts)

    params = [0.0, 0.0, 0.0]
    for _ in range(steps):
        value, grad = _gradient(loss, params)
        params = [q - lr * g for q, g in zip(params, grad)]
    return params


def _gradient(f: Callable[..., Any], point: list[float]) -> tuple[float, list[float]]:
    from ..variable import Variable

    xs = [Variable(v) for v in point]
    y = f(*xs)
    y.backward()
    return y.value, [x.grad for x in xs]


@contextmanager
def _counted_backward(Reverse: Any) -> Iterator[list[int]]:
    calls = [0]
    original = Reverse.backward

    def counted(self: Any) -> Any:
        calls[0] += 1
        return original(self)

    Reverse.backward = counted
    try:
        yield calls
    finally:
        Reverse.backward = original


@exercise(
    "09.5",
    "the curve fit, by your reverse mode",
    hints=(
        "lesson 06's gradient descent: one backward() per step gives all three "
        "partials; move each parameter against its own gradient.",
        "lesson 06's gradient descent. Start from a = b = c = 0; at each step make three "
        "Reverse nodes, compute fit_loss from them, call backward() once, and move each "
        "parameter by -lr × its .grad. Return the three parameters as floats.",
        "for _ in range(steps): nodes = [Reverse(q) for q in params]; "
        "fit_loss(*nodes).backward(); params = [q - lr * n.grad for q, n in "
        "zip(params, nodes)].",
        "def fit(steps, lr=0.4):\n    params = [0.0, 0.0, 0.0]\n    for _ in range(steps):\n"
        "        nodes = [Reverse(q) for q in params]\n        fit_loss(*nodes).backward()\n"
        "        params = [q - lr * n.grad for q, n in zip(params, nodes)]\n    return params",
    ),
    forbid=(adlearn.gradient, adlearn.Variable, adlearn.derivative),
    why="Use your own reverse mode for the gradient.",
)
def check_fit(fit: Callable[..., Any], Reverse: Any) -> str:
    import numpy as np

    fit(1)  # a stub says "not done yet" here
    for steps, lr in ((3, 0.4), (7, 0.25)):
        with _counted_backward(Reverse) as calls:
            params = [float(p) for p in fit(steps, lr)]
        if calls[0] != steps:
            raise Wrong(
                f"fit({steps}, {lr}) called backward() {calls[0]} times; one sweep per "
                "step gives all three partials"
            )
        for name, got, expected in zip("abc", params, _reference_fit(steps, lr)):
            expect_close(got, expected, f"{name} after fit({steps}, {lr})", rtol=1e-12, atol=1e-14)
    ts, ys = curve_data()
    exact = np.linalg.lstsq(np.array([[1.0, t, t * t] for t in ts]), np.array(ys), rcond=None)[0]
    params = [float(p) for p in fit(300)]
    for name, got, expected in zip("abc", params, exact):
        expect_close(got, float(expected), f"{name} after fit(300)", rtol=0.0, atol=1e-8)
    return "every step matches adlearn's, with one sweep each, and 300 steps reach least squares."


# --- showing the learner's engine ----------------------------------------------------


class NotReady:
    """What a cell shows instead of the learner's graph while the engine is unfinished."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"… Not ready yet: {self.reason}"


def when_ready(build: Callable[[], Any], show: Callable[[Any], Any]) -> Any:
    """``show(build())`` once the engine works; a short note while it does not."""
    try:
        node = build()
    except NotImplementedError:
        return NotReady("finish exercises 09.1 to 09.3, then run this cell again.")
    except Exception as error:  # the engine is there but not right yet
        return NotReady(
            f"your engine raised {type(error).__name__} ({error}); "
            "the checks of exercises 09.1 to 09.3 say where to look."
        )
    if not all(hasattr(node, a) for a in ("value", "inputs", "partials")):
        return NotReady(f"the result {node!r} is not a node of your engine yet.")
    return show(node)
