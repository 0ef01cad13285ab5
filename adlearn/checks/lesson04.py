"""Checks for the exercises of lesson 04, reverse mode and backpropagation.

Also the random programs that lessons 04 and 09 run on a learner's engine beside
adlearn's (`random_program`, `run_program`): a program is a list of steps
``(name, args)``; an ``int`` argument is the index of an input or of an earlier
result, a ``float`` is a constant. The output is the sum of the last three results.
Programs come from a seeded generator (the same every run, unlike every example in
the lessons), and each step is tried with floats while it is drawn: a step whose
value leaves a tame range, or a domain, is drawn again.
"""

from __future__ import annotations

import functools
import graphlib
import math
import random
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import adlearn

from ..core import topological_order
from ..variable import Variable
from .exercise import ShortcutUsed, Wrong, exercise, expect_close, same, unseen_points
from .shortcuts import GRAPH_SWEEPS

# --- random programs ---------------------------------------------------------------

Step = tuple[str, tuple[Any, ...]]

BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}
"""The operations written with Python's operators: any number type runs them."""

FLOAT_UNARY: dict[str, Callable[[float], float]] = {
    "neg": lambda a: -a,
    "sin": math.sin,
    "cos": math.cos,
    "exp": math.exp,
    "log": math.log,
}


def random_program(
    key: str, inputs: Sequence[float], steps: int, names: Sequence[str], constants: bool = True
) -> list[Step]:
    """A program of `steps` operations chosen among `names`, tame at `inputs`."""
    generator = random.Random(f"adlearn program {key}")
    values = list(inputs)
    program: list[Step] = []
    while len(program) < steps:
        name = generator.choice(list(names))
        first = generator.choice(range(max(0, len(values) - 6), len(values)))
        if name in FLOAT_UNARY:
            args: tuple[Any, ...] = (first,)
        elif name == "pow":  # a constant exponent, as in x ** 2 or x ** 0.5
            args = (first, generator.choice([2.0, 3.0, 0.5, -1.0]))
        elif constants and generator.random() < 0.2:  # a constant on one side
            args = (first, round(generator.uniform(0.5, 2.0), 2))
        else:
            args = (first, generator.choice(range(len(values))))
        try:
            value = _float_step(name, [values[a] if isinstance(a, int) else a for a in args])
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if 1e-3 < abs(value) < 50.0:
            values.append(value)
            program.append((name, args))
    return program


def _float_step(name: str, args: list[float]) -> float:
    if name == "div" and abs(args[1]) < 0.1:
        raise ZeroDivisionError
    if name == "pow" and args[0] <= 0:
        raise ValueError
    if name in BINARY:
        return float(BINARY[name](*args))
    return FLOAT_UNARY[name](*args)


def run_program(
    program: Sequence[Step], inputs: Sequence[Any], unary: Mapping[str, Callable[..., Any]]
) -> Any:
    """Run `program` on `inputs` (numbers of any type); `unary` maps names to functions."""
    values = list(inputs)
    for name, args in program:
        operands = [values[a] if isinstance(a, int) else a for a in args]
        operation = BINARY.get(name) or unary[name]
        values.append(operation(*operands))
    return values[-1] + values[-2] + values[-3]


def describe(program: Sequence[Step], inputs: int) -> str:
    """The program as Python lines, to show a learner which program went wrong."""
    symbols = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
    names = [f"x{i}" for i in range(inputs)]
    lines = []
    for index, (name, args) in enumerate(program):
        shown = [names[a] if isinstance(a, int) else repr(a) for a in args]
        text = f" {symbols[name]} ".join(shown) if name in symbols else f"{name}({shown[0]})"
        names.append(f"t{index}")
        lines.append(f"t{index} = {text}")
    lines.append(f"y = {names[-1]} + {names[-2]} + {names[-3]}")
    return "; ".join(lines)


ADLEARN_UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": lambda a: -a,
    "sin": adlearn.sin,
    "cos": adlearn.cos,
    "exp": adlearn.exp,
    "log": adlearn.log,
}


def adlearn_gradient(program: Sequence[Step], point: Sequence[float]) -> tuple[float, list[float]]:
    """The value and the gradient of `program` at `point`, by adlearn's Variable."""
    xs = [Variable(v) for v in point]
    y = run_program(program, xs, ADLEARN_UNARY)
    y.backward()
    return y.value, [x.grad for x in xs]


# --- 04.1: predict an adjoint --------------------------------------------------------


def predict_graph(a: Any, b: Any) -> Any:
    """The small graph of exercise 04.1: u = a b, v = u + a, y = v u."""
    u = a * b
    v = u + a
    return v * u


@exercise(
    "04.1",
    "predict an adjoint",
    hints=(
        "draw the graph first: one node for each of a, b, u, v and y, one arrow for each "
        "operand of each operation, and on each arrow the local partial of the operation it "
        "enters. Then count how many operations use a, and how many use u.",
        "Go backwards from ȳ = 1. A node's adjoint is complete only when every operation "
        "that uses it has contributed: compute the adjoints of v and u before the one of a, "
        "and give each of them one term per use (the user's adjoint times the partial on "
        "that arrow). Put in the numbers of the forward pass at a = 3, b = 2.",
        "def predicted_grad():\n    # u = 6, v = 9, ȳ = 1, v̄ = u = 6, ū = v + v̄ = 15\n"
        "    # ā = ū·b + v̄ = 15·2 + 6\n    return 36.0",
    ),
    forbid=(adlearn.Variable, adlearn.gradient, adlearn.derivative, adlearn.Dual, adlearn.vjp),
    why="Predict the number with pencil and paper first; then run the cell below the "
    "check to see the engine agree.",
)
def check_prediction(predicted_grad: Callable[[], float]) -> str:
    guess = predicted_grad()
    a, b = Variable(3.0), Variable(2.0)
    predict_graph(a, b).backward()
    if isinstance(guess, bool) or not isinstance(guess, (int, float)):
        raise Wrong(f"predicted_grad() should return a number, not {guess!r}")
    if math.isclose(guess, 30.0):
        raise Wrong(
            "30 is what you get when a's use by v = u + a is forgotten (ū · b alone): a "
            "feeds two operations, so its adjoint has two parts"
        )
    if math.isclose(guess, 24.0):
        raise Wrong(
            "24 is the derivative of u · u = (a b)²: it leaves out a's use by v = u + a, "
            "both in v and in ā. a feeds two operations, so its adjoint has two parts"
        )
    if math.isclose(guess, 21.0):
        raise Wrong(
            "21 takes ū = v = 9 from y = v u alone: u is used twice (by v and by y), so ū "
            "has two parts too, and a's use by v adds one more"
        )
    if not math.isclose(guess, a.grad, rel_tol=1e-12):
        if math.isclose(guess, a.grad, rel_tol=1e-6):
            raise Wrong(
                f"{guess:.15g} is close to a.grad but not exact: a numerical estimate (a finite "
                "difference)? The graph gives an exact number, and so does a prediction "
                "worked out from it"
            )
        raise Wrong(
            f"{guess:.15g} is not a.grad. Draw the graph: a is used twice, so its adjoint is "
            "the sum of two contributions, one for each operation that uses it"
        )
    return f"a.grad is {a.grad:g}, as you predicted: one contribution per use of a."


# --- 04.2: adjoints by hand ----------------------------------------------------------


def _p_adjoints(x1: float, x2: float) -> dict[str, float]:
    # p = (x1 + x2) exp(x1 x2), differentiated by hand (an independent reference):
    # ∂p/∂t for every term t, with the others held fixed
    e = math.exp(x1 * x2)
    s = x1 + x2
    return {
        "x1": e + s * x2 * e,
        "x2": e + s * x1 * e,
        "t1": e,  # p = t1 t3
        "t2": s * e,  # p = t1 exp(t2)
        "t3": s,
    }


ADJOINT_NAMES = ("x1", "x2", "t1", "t2", "t3")
"""What grad_p_by_hand returns, in this order: the adjoints of x1, x2, t1, t2, t3."""


def real_only_float(message: str) -> type[float]:
    """A float type whose numbers refuse to become complex, saying `message` (the complex
    step is not a backward sweep). Lessons 04 and 06 hand these to the learner's code."""

    def refuse(*args: Any) -> Any:
        raise ShortcutUsed(message)

    def real_only(name: str) -> Callable[..., Any]:
        base = getattr(float, name)

        def operation(self: float, other: Any) -> Any:
            if isinstance(other, complex) or "complex" in type(other).__name__.lower():
                refuse()
            return base(self, other)

        return operation

    names = ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv")
    methods = {f"__{n}__": real_only(f"__{n}__") for n in names}
    return type("RealOnly", (float,), {"__complex__": refuse, **methods})


_RealOnly = real_only_float(
    "This exercise asks for the adjoints, computed backwards with plain floats; the "
    "complex step (a complex number in the input) is switched off while it is checked."
)


@exercise(
    "04.2",
    "adjoints by hand",
    hints=(
        "the section 'The chain rule, run backwards': start from the last term, whose "
        "adjoint is 1, and go up the list. Before you write a line, mark which terms use "
        "each of x1 and x2; every use will add one contribution.",
        "For each term, from t4 back to t1: its adjoint is the sum, over the terms that use "
        "it, of the user's adjoint times the local partial of the user. The local partials "
        "come from the forward values you have just computed (a product's partial is the "
        "other factor; exp is its own derivative). Do the inputs last: each is used twice.",
        "def grad_p_by_hand(x1, x2):\n    t1 = x1 + x2\n    t2 = x1 * x2\n"
        "    t3 = math.exp(t2)\n    t4_bar = 1.0\n    t1_bar = t4_bar * t3\n"
        "    t3_bar = t4_bar * t1\n    t2_bar = t3_bar * t3\n"
        "    x1_bar = t1_bar * 1 + t2_bar * x2\n    x2_bar = t1_bar * 1 + t2_bar * x1\n"
        "    return (x1_bar, x2_bar, t1_bar, t2_bar, t3_bar)",
    ),
    forbid=(
        adlearn.Variable,
        adlearn.gradient,
        adlearn.vjp,
        adlearn.jvp,
        adlearn.derivative,
        adlearn.jacobian_reverse,
        adlearn.jacobian_forward,
        adlearn.Dual,
    ),
    why="Write the adjoints yourself, with plain floats.",
)
def check_grad_p_by_hand(grad_p_by_hand: Callable[[float, float], Any]) -> str:
    points = unseen_points("04.2", 10, -1.2, 1.2)
    for x1, x2 in zip(points[::2], points[1::2]):
        got = grad_p_by_hand(_RealOnly(x1), _RealOnly(x2))
        if not isinstance(got, (tuple, list)) or len(got) != len(ADJOINT_NAMES):
            raise Wrong(
                f"grad_p_by_hand({x1:.3g}, {x2:.3g}) should return five adjoints, "
                f"(x̄1, x̄2, t̄1, t̄2, t̄3), not {got!r}"
            )
        if any(isinstance(g, complex) or "complex" in type(g).__name__ for g in got):
            raise Wrong(
                "grad_p_by_hand returned a complex number: the adjoints are real, "
                "computed backwards from t̄4 = 1 with plain floats"
            )
        expected = _p_adjoints(x1, x2)
        for name, g in zip(ADJOINT_NAMES, got):
            expect_close(
                g,
                expected[name],
                f"the adjoint of {name} at ({x1:.3g}, {x2:.3g})",
                rtol=1e-12,
                atol=1e-14,
            )
    return (
        "all five adjoints (x̄1, x̄2, t̄1, t̄2, t̄3) agree to 12 digits at 5 points you have not seen."
    )


# --- 04.3: the reverse sweep ---------------------------------------------------------


class _CountedPartial(float):
    """A partial that counts how often the sweep multiplies by it."""

    uses: int

    def __new__(cls, value: float) -> _CountedPartial:
        partial = super().__new__(cls, value)
        partial.uses = 0
        return partial

    def __mul__(self, other: Any) -> Any:
        self.uses += 1
        return float(self) * other

    __rmul__ = __mul__


def _nodes(output: Any) -> list[Any]:
    """Every node `output` depends on (the check's own iterative walk)."""
    seen, stack, nodes = {id(output)}, [output], []
    while stack:
        node = stack.pop()
        nodes.append(node)
        for operand, _ in node.inputs:
            if id(operand) not in seen:
                seen.add(id(operand))
                stack.append(operand)
    return nodes


def _count_partials(output: Any) -> list[_CountedPartial]:
    """Swap every stored partial for a counting one; return them all."""
    counted: list[_CountedPartial] = []
    for node in _nodes(output):
        pairs = tuple((operand, _CountedPartial(p)) for operand, p in node.inputs)
        node.inputs = pairs
        counted.extend(p for _, p in pairs)
    return counted


def _doubling(x: Any, n: int) -> Any:
    y = x
    for _ in range(n):
        y = y + y
    return y


@contextmanager
def _recursion_limit_fixed() -> Iterator[None]:
    limit, original = sys.getrecursionlimit(), sys.setrecursionlimit

    def refuse(_: int) -> None:
        raise Wrong(
            "backward() changed Python's recursion limit. Leave it alone: a sweep "
            "with a loop and a list needs no recursion at all"
        )

    sys.setrecursionlimit = refuse
    try:
        yield
    finally:
        sys.setrecursionlimit = original
        sys.setrecursionlimit(limit)


def expect_diamond(make: Callable[[float], Any]) -> None:
    """b = x * x, a = b + b * b: an order that places b before b * b is caught here."""
    x = make(3.0)
    b = x * x
    (b + b * b).backward()
    if not same(x.grad, 114.0):  # d/dx (x² + x⁴) = 2x + 4x³ at 3
        raise Wrong(
            f"on b = x * x, a = b + b * b at x = 3, x.grad is {x.grad!r}, but it should be "
            "114: b passed its adjoint back before b * b had added its part to it. The "
            "sweep must reach a node only after every node that uses it: in the order, a "
            "node comes after everything it depends on. A queue (breadth first) does not "
            "give that; with a stack, mark a node as visited when you take it off the "
            "stack, not when you push it"
        )


def expect_exact_and_deep(make: Callable[[float], Any]) -> None:
    """2**60 exactly after 60 doublings; a 100,000-step chain at the recursion limit."""
    expect_diamond(make)
    x = make(1.0)
    _doubling(x, 60).backward()
    if not same(x.grad, 2.0**60):
        raise Wrong(f"after y = y + y sixty times, x.grad is {x.grad!r}, but it should be 2**60")
    with _recursion_limit_fixed():
        x = make(0.5)
        y = x
        for _ in range(100_000):
            y = y + x
        y.backward()
    if not same(x.grad, 100_001.0):
        raise Wrong(f"on the chain y = y + x (100,000 steps), x.grad is {x.grad!r}, not 100001")


@exercise(
    "04.3",
    "a reverse sweep in topological order",
    hints=(
        "the section 'The fix: visit each node once, in topological order'. The two buggy "
        "versions above went wrong in the order of their visits, not in the arithmetic. "
        "Split the work in two: first a list of the nodes in a safe order, then the sweep "
        "through that list. A list used as a stack replaces the recursion.",
        "The order: a depth-first search with an explicit stack of pairs (node, a flag "
        "'its inputs are being handled'). Meeting a node for the first time: remember it "
        "as seen, push it back with the flag set, then push its inputs not seen yet. "
        "Popping a node whose flag is set: all its inputs are already in the list, so "
        "append it. The sweep: reset to zero the adjoint of every node that has inputs "
        "(never the leaves, which accumulate), add 1 to the output's adjoint, then walk "
        "the list from its end and add each edge's partial times the node's adjoint into "
        "that input.",
        "class SweepValue(NaiveValue):\n    def backward(self):\n"
        "        order, seen, stack = [], set(), [(self, False)]\n        while stack:\n"
        "            node, inputs_done = stack.pop()\n            if inputs_done:\n"
        "                order.append(node)\n            elif id(node) not in seen:\n"
        "                seen.add(id(node))\n                stack.append((node, True))\n"
        "                for x, _ in node.inputs:\n                    if id(x) not in seen:\n"
        "                        stack.append((x, False))\n        for node in order:\n"
        "            if node.inputs:\n                node.grad = 0.0\n"
        "        self.grad += 1.0\n        for node in reversed(order):\n"
        "            for x, partial in node.inputs:\n"
        "                x.grad += partial * node.grad",
    ),
    forbid=(*GRAPH_SWEEPS, graphlib.TopologicalSorter, adlearn.Variable, adlearn.gradient),
    why="The exercise is to write the order yourself, with the explicit stack of the "
    "section (a node goes in the list once all its inputs are there), and then the sweep: "
    "a ready-made sorter, adlearn's or Python's graphlib, would do the first half for you, "
    "and adlearn's own sweeps (adjoints, reverse_sweep, backpropagate and the functions "
    "behind its drawings) would do both halves.",
)
def check_backward(cls: type) -> str:
    # 1. Every edge's partial is used exactly once, on a graph with 2**10 paths.
    x = cls(1.0)
    y = _doubling(x, 10)
    counted = _count_partials(y)
    y.backward()
    uses = sum(p.uses for p in counted)
    if uses > len(counted):
        raise Wrong(
            f"On y = y + y repeated 10 times, your backward() multiplied by the edges' "
            f"partials {uses} times, but the graph has only {len(counted)} edges: some "
            "node passed its adjoint on more than once (once per path, or before it was "
            "complete)"
        )
    if uses < len(counted):
        raise Wrong(f"your backward() used only {uses} of the {len(counted)} edges' partials")
    if not same(x.grad, 2.0**10):
        raise Wrong(f"after y = y + y ten times, x.grad is {x.grad!r}, but it should be 1024")
    # 2. The doubling graph of 60 steps: 2**60 paths, exact answer.
    # 3. Exact on 2**60 paths; a chain of 100,000 steps at Python's recursion limit.
    expect_exact_and_deep(cls)
    # 4. Random programs of + and *, against adlearn's Variable; backward() twice.
    for k in range(6):
        point = unseen_points(f"04.3 program {k}", 3, 0.5, 1.5)
        program = random_program(f"04.3 {k}", point, 14, ("add", "mul"), constants=False)
        xs = [cls(v) for v in point]
        y = run_program(program, xs, {})
        value, expected = adlearn_gradient(program, point)
        expect_close(y.value, value, "the value of a random program", rtol=1e-12)
        y.backward()
        for i, xi in enumerate(xs):
            expect_close(
                xi.grad,
                expected[i],
                f"x{i}.grad on the program {describe(program, 3)}",
                rtol=1e-12,
                atol=1e-14,
            )
        y.backward()
        for i, xi in enumerate(xs):
            expect_close(
                xi.grad,
                2 * expected[i],
                f"x{i}.grad after a second backward() "
                "(inputs should add up; intermediate nodes start afresh)",
                rtol=1e-12,
                atol=1e-14,
            )
    return (
        "each edge used once, exactly 2**60 on the doubling graph, a 100,000-step chain "
        "without recursion, and agreement with adlearn on 6 random programs (twice)."
    )


# --- 04.4: find the wrong partial ----------------------------------------------------


def _rules(**changes: Any) -> dict[str, tuple[Callable[..., Any], Callable[..., Any]]]:
    """A correct little rule table (with names adlearn does not know), then `changes`."""
    table: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
        "plus": (lambda x, y: x + y, lambda x, y: (1.0, 1.0)),
        "minus": (lambda x, y: x - y, lambda x, y: (1.0, -1.0)),
        "times": (lambda x, y: x * y, lambda x, y: (y, x)),
        "over": (lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2)),
        "cube": (lambda x: x**3, lambda x: (3 * x**2,)),
        "sine": (lambda x: math.sin(x), lambda x: (math.cos(x),)),
        "expo": (lambda x: math.exp(x), lambda x: (math.exp(x),)),
        "ln": (lambda x: math.log(x), lambda x: (1 / x,)),
        "hypot": (
            lambda x, y: math.hypot(x, y),
            lambda x, y: (x / math.hypot(x, y), y / math.hypot(x, y)),
        ),
    }
    table.update(changes)
    return table


def _asking_rules() -> tuple[dict[str, tuple[Callable[..., Any], Callable[..., Any]]], set[str]]:
    """The correct table, and the set of the names whose partials were asked for."""
    asked: set[str] = set()

    def asking(name: str, partials: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(partials)
        def partials_asked(*args: Any) -> Any:
            asked.add(name)
            return partials(*args)

        return partials_asked

    table = {name: (value, asking(name, partials)) for name, (value, partials) in _rules().items()}
    return table, asked


PLANTED = {
    "minus": ((lambda x, y: x - y, lambda x, y: (1.0, 1.0)), 1),
    "over": ((lambda x, y: x / y, lambda x, y: (1 / y, -1 / y**2)), 1),
    "cube": ((lambda x: x**3, lambda x: (3 * x,)), 0),
    "sine": ((lambda x: math.sin(x), lambda x: (-math.cos(x),)), 0),
    "ln": ((lambda x: math.log(x), lambda x: (1 / x**2,)), 0),
    "hypot": (
        (lambda x, y: math.hypot(x, y), lambda x, y: (x / math.hypot(x, y), x / math.hypot(x, y))),
        1,
    ),
}
"""Bugs the check plants, one at a time: name -> (the rule with a wrong partial, its index)."""


@exercise(
    "04.4",
    "find the wrong partial",
    hints=(
        "do not read the formulas: test them. Lesson 00's central difference tells you, "
        "with no formula at all, what a partial really is at a point. Choose the point "
        "with care: at 0 or 1 many wrong formulas happen to give the right number.",
        "For every rule, find how many inputs it takes (try the value function with two "
        "numbers, then with one). At an ordinary point, for each input in turn, move only "
        "that input a little up and a little down, divide the change of the value by the "
        "distance, and compare with the partial the rule claims. The tolerance must be one "
        "a central difference can meet (about five digits), relative to the slope's size.",
        "def first_wrong_partial(rules):\n    for name, (value, partials) in rules.items():\n"
        "        try:\n            point = [0.7, 1.3]\n            value(*point)\n"
        "        except TypeError:\n            point = [0.7]\n"
        "        for i, claimed in enumerate(partials(*point)):\n"
        "            up, down = list(point), list(point)\n            up[i] += 1e-6\n"
        "            down[i] -= 1e-6\n"
        "            slope = (value(*up) - value(*down)) / 2e-6\n"
        "            if abs(slope - claimed) > 1e-5 * max(1.0, abs(slope)):\n"
        "                return (name, i)\n    return None",
    ),
    forbid=(adlearn.define_primitive,),
    why="Test the rules numerically yourself.",
)
def check_first_wrong_partial(
    first_wrong_partial: Callable[[dict[str, Any]], Any], lesson_table: dict[str, Any]
) -> str:
    clean, asked = _asking_rules()
    found = first_wrong_partial(clean)
    if found is not None:
        name = found[0] if isinstance(found, (tuple, list)) and found else None
        if not isinstance(name, str) or name not in clean:
            raise Wrong(
                f"on a table with no bug, first_wrong_partial returned {found!r}, but it "
                "should return None, and that name is not even in the table it was given. "
                "Test every rule of the table you receive numerically; don't name one"
            )
        if name not in asked:
            raise Wrong(
                f"on a table with no bug, first_wrong_partial returned {found!r} without "
                f"ever calling the partials of {name!r}. Test every rule numerically; "
                "don't name one"
            )
        raise Wrong(
            f"on a table with no bug, first_wrong_partial returned {found!r}, but it "
            "should return None (is your tolerance too tight for a central difference?)"
        )
    for name, (rule, index) in PLANTED.items():
        found, expected = first_wrong_partial(_rules(**{name: rule})), (name, index)
        if not same(found, expected):
            raise Wrong(
                f"on a table where the partial of {expected[0]!r} with respect to input "
                f"{expected[1]} is wrong, first_wrong_partial returned {found!r}, not "
                f"{expected!r}"
            )
    found = first_wrong_partial(lesson_table)
    return (
        f"it found the {len(PLANTED)} bugs planted by the check, and in the lesson's "
        f"table it points at {found!r}."
    )


# --- 04.5: a vector-Jacobian product with one backward() -----------------------------


def _u_times_jacobian(x: float, y: float, z: float) -> tuple[float, float, float]:
    # u = (2, -1) times the Jacobian of F = (x y z, sin x + e^y - z), by hand
    return (2 * y * z - math.cos(x), 2 * x * z - math.exp(y), 2 * x * y + 1)


@contextmanager
def _recording_backward() -> Iterator[list[tuple[float, list[Variable]]]]:
    """Record each backward() while inside: the output's value and the graph's inputs."""
    sweeps: list[tuple[float, list[Variable]]] = []
    original = Variable.backward

    def recorded(self: Variable) -> None:
        original(self)
        leaves = [n for n in topological_order(self) if n.primitive is None]
        for leaf in leaves:  # a test: what is returned must be what the sweep left
            leaf.grad = 2 * leaf.grad
        sweeps.append((float(self.value), leaves))

    Variable.backward = recorded  # type: ignore[method-assign]
    try:
        yield sweeps
    finally:
        Variable.backward = original  # type: ignore[method-assign]


def _weighted_output(x: float, y: float, z: float) -> float:
    return 2 * x * y * z - (math.sin(x) + math.exp(y) - z)


@exercise(
    "04.5",
    "a vector-Jacobian product with one backward()",
    hints=(
        "the section 'Reverse mode computes vector-Jacobian products': seeding the "
        "outputs with the weights u gives the gradient of one number built from the "
        "outputs. Which number?",
        "Make the three inputs Variables and compute both outputs of F from them. Combine "
        "the two outputs into a single Variable, each output weighted by its entry of u, "
        "call backward() once on that Variable, and return the three inputs' adjoints "
        "exactly as the sweep left them.",
        "def weighted_gradient(x, y, z):\n    xs = [Variable(x), Variable(y), Variable(z)]\n"
        "    out1, out2 = F(*xs)\n    (2.0 * out1 - out2).backward()\n"
        "    return tuple(v.grad for v in xs)",
    ),
    forbid=(adlearn.vjp, adlearn.gradient, adlearn.jacobian_reverse, adlearn.jacobian_forward),
    why="Build the weighted output and sweep once yourself.",
)
def check_weighted_gradient(weighted_gradient: Callable[[float, float, float], Any]) -> str:
    points = unseen_points("04.5", 12, -1.5, 1.5)
    for x, y, z in zip(points[::3], points[1::3], points[2::3]):
        with _recording_backward() as sweeps:
            got = weighted_gradient(x, y, z)
        if len(sweeps) != 1:
            raise Wrong(f"weighted_gradient called backward() {len(sweeps)} times; once is enough")
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise Wrong(f"weighted_gradient should return three numbers, not {got!r}")
        want = _u_times_jacobian(x, y, z)
        if all(math.isclose(float(g), e, rel_tol=1e-12, abs_tol=1e-14) for g, e in zip(got, want)):
            raise Wrong(
                "the check doubled every input's .grad right after your backward(), and the "
                "numbers you returned did not follow: they were not read from the .grad the "
                "sweep left (a formula beside a backward() is not the sweep)"
            )
        for name, g, e in zip("xyz", got, want):
            expect_close(
                g,
                2 * e,
                f"the {name} entry of uᵀJ at ({x:.3g}, {y:.3g}, {z:.3g}), doubled by the "
                "check after your backward(),",
                rtol=1e-12,
                atol=1e-14,
            )
        swept, leaves = sweeps[0]
        if not math.isclose(swept, _weighted_output(x, y, z), rel_tol=1e-12, abs_tol=1e-14):
            raise Wrong(
                f"backward() ran on a Variable whose value is {swept:.6g}, not "
                "u₁ F₁ + u₂ F₂ at the point: the sweep must start from the weighted "
                "combination of both outputs"
            )
        for name, value, g in zip("xyz", (x, y, z), got):
            if not any(same(leaf.value, value) and same(leaf.grad, g) for leaf in leaves):
                raise Wrong(
                    f"the {name} entry you returned is not the .grad that your backward() "
                    f"left on an input of value {value:.6g}: return the adjoints the sweep "
                    "computed, not numbers from somewhere else"
                )
    return "uᵀJ is right at 4 points you have not seen, with one backward() each."
