"""Checks for the exercises of lesson 09, your own engine.

The learner's engine has one rule table ``TABLE`` (name -> (value function, partials
function)), a forward-mode number ``Forward(value, tangent, tag)`` and a reverse-mode
node ``Reverse(value, name=None)``; ``forward_apply(name, *args)`` and
``reverse_apply(name, *args)`` read the table, and ``apply`` hands every operation to
the outermost number among its arguments. The partials are written with the engine's
own operations, so the two modes nest (forward over reverse gives Hessian-vector
products). The checks run the engine beside adlearn on programs they generate, add
rules to the table to see both modes use them, and count what the method says is
counted (each rule once per operation, one sweep per step). Where a result must come
from the learner's sweep, the check changes what the sweep leaves in ``.grad`` and
expects the result to follow.
"""

from __future__ import annotations

import graphlib
import math
import numbers
import random
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import adlearn

from ..dual import Dual
from ..higher import hessian_vector_product, second_derivative
from ..variable import Variable
from .exercise import (
    ShortcutUsed,
    Wrong,
    exercise,
    expect_close,
    gate_code,
    same,
    unseen_points,
)
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
from .shortcuts import GRAPH_SWEEPS

NAMES = ("add", "sub", "mul", "div", "pow", "neg", "sin", "cos", "exp", "log")
"""The rules the learner's table must hold."""

ARITY = {name: 2 if name in ("add", "sub", "mul", "div", "pow") else 1 for name in NAMES}

THROUGH_THE_TABLE = {"sin": "cos", "cos": "sin", "exp": "exp"}
"""A rule whose partial needs another function, and the engine function it must use."""

ALL_SHORTCUTS = (
    adlearn.derivative,
    adlearn.second_derivative,
    adlearn.gradient,
    adlearn.jvp,
    adlearn.vjp,
    adlearn.Dual,
    adlearn.Variable,
    adlearn.hessian_vector_product,
    adlearn.hessian,
    adlearn.define_primitive,
    adlearn.RULES,
)
"""adlearn's whole-job functions: switched off while the engine's checks run."""


def _expected(name: str, args: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    """The value and the partials of rule `name`, from closed forms written here."""
    x = args[0]
    if name == "pow":
        p = args[1]
        return x**p, (p * x ** (p - 1), x**p * math.log(x) if x > 0 else math.nan)
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


def _expect_rule(
    entry: Any,
    name: str,
    args: tuple[float, ...],
    value: float,
    partials: Any,
    atol: float = 1e-15,
) -> None:
    """The value and the partials of one row at one point, within 1e-13."""
    shown = ", ".join(f"{a:.3g}" for a in args)
    expect_close(entry[0](*args), value, f"the value of {name}({shown})", rtol=1e-14, atol=atol)
    got = entry[1](*args)
    if not isinstance(got, (tuple, list)) or len(got) != len(args):
        raise Wrong(
            f"the partials of {name}({shown}) should be a tuple of {len(args)} "
            f"number(s), one per input, not {got!r}"
        )
    for i, (g, e) in enumerate(zip(got, partials)):
        what = f"the partial of {name}({shown}) with respect to input {i}"
        if math.isnan(e):
            if not (isinstance(g, float) and math.isnan(g)):
                raise Wrong(
                    f"{what} is {g!r}, but it should be nan (not a number): x ** p has no "
                    "real derivative in p where x < 0, and 0.0 would be a silent wrong number"
                )
            continue
        expect_close(g, e, what, rtol=1e-13, atol=atol)


@contextmanager
def _installed(table: dict[str, Any], rows: dict[str, Any]) -> Iterator[None]:
    """Put `rows` into `table` for the check; keep them only if the check passes."""
    saved = dict(table)
    table.update(rows)
    try:
        yield
    except BaseException:
        table.clear()
        table.update(saved)
        raise


def _namespace(function: Any) -> dict[str, Any]:
    """The globals the learner's function reads: the notebook's ``__main__``."""
    found = getattr(function, "__globals__", None)
    return found if isinstance(found, dict) else vars(sys.modules["__main__"])


@contextmanager
def _reference_forward_mode(namespace: dict[str, Any], table: dict[str, Any]) -> Iterator[Any]:
    """A right ``forward_apply`` in the learner's namespace for a moment.

    An exercise before (or beside) 09.2 can then try its rules on the learner's own
    ``Forward`` numbers, whatever state 09.2 is in. Yields the learner's ``Forward``
    class, or None when the lesson's scaffolding is not there.
    """
    Forward: Any = namespace.get("Forward")
    apply: Any = namespace.get("apply")
    if not (isinstance(Forward, type) and callable(apply)):
        yield None
        return

    number: Any = Forward  # the learner's class, untyped

    def forward_apply(name: str, *args: Any) -> Any:
        tag = max(a.tag for a in args if isinstance(a, number))
        live = [isinstance(a, number) and a.tag == tag for a in args]
        values = [a.value if on else a for a, on in zip(args, live)]
        partials = table[name][1](*values)
        tangent = sum(p * a.tangent for p, a, on in zip(partials, args, live) if on)
        return number(apply(name, *values), tangent, tag)

    missing = object()
    saved = namespace.get("forward_apply", missing)
    namespace["forward_apply"] = forward_apply
    try:
        yield Forward
    finally:
        if saved is missing:
            namespace.pop("forward_apply", None)
        else:
            namespace["forward_apply"] = saved


@contextmanager
def _watched_rules(
    table: dict[str, Any], mode: str, live: Callable[[Any], bool], why_live: str
) -> Iterator[None]:
    """While inside, a value function refuses numbers of the engine (``apply`` only
    ever gives it plain numbers), and a partials function refuses the arguments
    `live` picks out, with a message that says which line of the mode is wrong."""
    saved = dict(table)

    def watched_value(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def value(*args: Any) -> Any:
            for a in args:
                if not isinstance(a, numbers.Real):
                    raise Wrong(
                        f"{mode} called the value function of {name} on {a!r}, a number of "
                        "your engine, but a value function works on plain numbers only. "
                        "Compute the value with apply(name, *values): when a value is "
                        "itself a number of your engine, apply hands it on to its own level"
                    )
            return function(*args)

        return value

    def watched_partials(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def partials(*args: Any) -> Any:
            for a in args:
                if live(a):
                    raise Wrong(
                        f"{mode} called the partials function of {name} on {a!r} itself. "
                        + why_live.format(name=name)
                    )
            return function(*args)

        return partials

    for name, (value, partials) in saved.items():
        table[name] = (watched_value(name, value), watched_partials(name, partials))
    try:
        yield
    finally:
        table.clear()
        table.update(saved)


# --- 09.1: the rule table ------------------------------------------------------------


@exercise(
    "09.1",
    "your rule table",
    hints=(
        "the section 'One table, two modes': a row is a pair (value function, partials "
        "function), and for the modes to nest, a partial must itself be a computation "
        "your engine can follow.",
        "Write the value functions with math on floats, since apply calls them only with "
        "plain numbers. Write every partials function with the engine's own sin, cos, exp "
        "and log and with operators, never with math, so that given Forward numbers it "
        "returns Forward numbers. Return a tuple with one partial per input, even for one "
        "input. Define the partial of x ** p in p only where x > 0, where the log is; "
        "elsewhere return math.nan.",
        "def fill_table(table):\n    table.update({\n"
        '        "add": (lambda x, y: x + y, lambda x, y: (1.0, 1.0)),\n'
        '        "sub": (lambda x, y: x - y, lambda x, y: (1.0, -1.0)),\n'
        '        "mul": (lambda x, y: x * y, lambda x, y: (y, x)),\n'
        '        "div": (lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2)),\n'
        '        "pow": (lambda x, p: x**p,\n'
        "                lambda x, p: (p * x ** (p - 1), x**p * log(x) if x > 0 else math.nan)),\n"
        '        "neg": (lambda x: -x, lambda x: (-1.0,)),\n'
        '        "sin": (math.sin, lambda x: (cos(x),)),\n'
        '        "cos": (math.cos, lambda x: (-sin(x),)),\n'
        '        "exp": (math.exp, lambda x: (exp(x),)),\n'
        '        "log": (math.log, lambda x: (1 / x,)),\n    })',
    ),
    forbid=ALL_SHORTCUTS,
    why="Write the rules, and their derivatives, yourself.",
)
def check_table(fill_table: Callable[[dict[str, Any]], Any], table: dict[str, Any]) -> str:
    mine: dict[str, Any] = {}
    fill_table(mine)
    missing = [name for name in NAMES if name not in mine]
    if missing:
        raise Wrong(f"the table has no rule for {', '.join(map(repr, missing))}")
    for name in NAMES:
        entry = mine[name]
        if not (isinstance(entry, tuple) and len(entry) == 2 and all(map(callable, entry))):
            raise Wrong(f"table[{name!r}] should be a pair (value function, partials function)")
    points = unseen_points("09.1", 12, 0.3, 2.5)
    with _installed(table, mine):  # the partials call the engine, which reads TABLE
        for name in NAMES:
            for k in range(0, 12, 2):
                args = tuple(points[k : k + ARITY[name]])
                with _says_where(name, args):
                    _expect_rule(mine[name], name, args, *_expected(name, args))
        args = (-points[0], 2.0)  # a negative base: x ** 2 is fine, its partial in p is not
        with _says_where("pow", args):
            _expect_rule(mine["pow"], "pow", args, *_expected("pow", args))
        for name, through in {**THROUGH_THE_TABLE, "pow": "log"}.items():
            with _counted_rules(table) as counts:
                mine[name][1](*points[: ARITY[name]])
            if not any(calls[0] for calls in counts.values()):
                raise Wrong(
                    f"the partials function of {name} never called the engine's "
                    f"{through}, so it can only work on floats. Write it with {through}(x), "
                    "the function that goes through apply, so that it also takes Forward "
                    "and Reverse numbers: that is what lets the modes nest"
                )
        with _reference_forward_mode(_namespace(fill_table), table) as Forward:
            if Forward is not None:
                _partials_take_forward_numbers(mine, Forward, points)
    return f"all {len(NAMES)} rules are right at points you have not seen; TABLE holds them now."


@contextmanager
def _says_where(name: str, args: tuple[float, ...]) -> Iterator[None]:
    """A rule that raises names itself and the point, and for pow, the negative base."""
    try:
        yield
    except (ValueError, ArithmeticError) as error:
        shown = ", ".join(f"{a:.3g}" for a in args)
        more = (
            ": at a negative base the partial in p must not take log(x); return math.nan "
            "there, and use only operations that exist there for the partial in x"
            if name == "pow" and args[0] < 0
            else ""
        )
        raise Wrong(
            f"the rule for {name} at ({shown}) raised {type(error).__name__} ({error}){more}"
        ) from None


VARYING = {
    "mul": (0, 1),
    "div": (0, 1),
    "pow": (0, 1),
    "sin": (0,),
    "cos": (0,),
    "exp": (0,),
    "log": (0,),
}
"""The partials that change with the inputs: given Forward numbers, they are Forward."""


def _partials_take_forward_numbers(mine: dict[str, Any], Forward: Any, points: Any) -> None:
    """Every partials function, called on the learner's Forward numbers, gives Forward
    numbers with the right values (a partial written with math or float() cannot)."""
    for name, varying in VARYING.items():
        args = tuple(points[1 : 1 + ARITY[name]])
        shown = ", ".join(f"Forward({a:.3g}, 1.0)" for a in args)
        try:
            got = mine[name][1](*(Forward(a, 1.0) for a in args))
        except (TypeError, ValueError, AttributeError, ArithmeticError) as error:
            raise Wrong(
                f"the partials function of {name} only works on floats: on {shown} it "
                f"raised {type(error).__name__} ({error}). Write it with the engine's "
                "sin, cos, exp, log and operators, never math, float() or a value "
                "function of the table, so that given Forward numbers it returns Forward "
                "numbers: that is what lets the modes nest (exercise 09.2 runs it so)"
            ) from None
        for i in varying:
            if not isinstance(got[i], Forward):
                raise Wrong(
                    f"the partial of {name} with respect to input {i}, on {shown}, is the "
                    f"plain number {got[i]!r}, not a Forward number, so it only works on "
                    "floats. Write it with the engine's functions and operators on the "
                    "inputs themselves"
                )
            expect_close(
                got[i].value,
                _expected(name, args)[1][i],
                f"the value of the partial of {name} with respect to input {i} on {shown}",
                rtol=1e-13,
            )


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


def _needs_table(table: dict[str, Any], attempt: Callable[[], Any], names: Any = NAMES) -> None:
    """Say "not done yet" if the learner's code is a stub, else insist on a full TABLE."""
    try:
        attempt()
    except (NotImplementedError, TooManyRuns):
        raise
    except Exception:  # noqa: S110 (judged below, with a message that says why)
        pass
    missing = [name for name in names if name not in table]
    if missing:
        first = "09.1" if set(missing) & set(NAMES) else "09.7"
        raise Wrong(
            f"TABLE has no rule for {', '.join(map(repr, missing))}: run the check of "
            f"exercise {first} first (it fills TABLE once your rules are right)"
        )


def _programs(key: str, count: int) -> Iterator[tuple[list[float], list[Any]]]:
    for k in range(count):
        point = unseen_points(f"{key} point {k}", 3, 0.4, 1.6)
        yield point, random_program(f"{key} {k}", point, 16, NAMES)


def _tangent(number: Any, Forward: Any, tag: int) -> Any:
    """The tangent of `number` at level `tag` (0.0 when it does not depend on it)."""
    if isinstance(number, Forward) and number.tag == tag:
        return number.tangent
    return 0.0


# --- 09.2: forward mode --------------------------------------------------------------


@exercise(
    "09.2",
    "forward mode from the table, with tags",
    hints=(
        "the sections 'One table, two modes' and 'Tags': the tangent of a result is a sum "
        "of partial × tangent over the inputs that carry the perturbation being pushed, "
        "and that perturbation is the one with the newest tag.",
        "Find the highest tag among the Forward arguments. An argument is live when it is "
        "a Forward with that tag; everything else, plain numbers and Forwards of older "
        "tags alike, is a constant at this level and passes through whole. Compute the "
        "value with apply on the live arguments' values (so that a value that is itself "
        "a number goes on to its own level), call the partials function once, add "
        "partial × tangent over the live arguments only (a constant's partial may be "
        "nan), and return a Forward with that tag.",
        "def forward_apply(name, *args):\n"
        "    tag = max(a.tag for a in args if isinstance(a, Forward))\n"
        "    live = [isinstance(a, Forward) and a.tag == tag for a in args]\n"
        "    values = [a.value if on else a for a, on in zip(args, live)]\n"
        "    partials = TABLE[name][1](*values)\n"
        "    tangent = sum(p * a.tangent for p, a, on in zip(partials, args, live) if on)\n"
        "    return Forward(apply(name, *values), tangent, tag)",
    ),
    forbid=ALL_SHORTCUTS,
    why="Your forward mode reads your table.",
)
def check_forward(forward_apply: Callable[..., Any], Forward: Any, table: dict[str, Any]) -> str:
    _needs_table(table, lambda: forward_apply("add", Forward(1.0, 1.0), 2.0))
    with _watched_rules(
        table,
        "forward_apply",
        lambda a: isinstance(a, Forward),
        "Give the partials function the values (a.value for each live argument), not "
        "the Forward numbers: on a live Forward, the partial of {name} would run forward "
        "mode at the same level again, and that again, for ever",
    ):
        forward_apply("sin", Forward(0.3, 1.0, 917))  # one level: partials get 0.3
    with _watched_rules(table, "forward_apply", lambda a: False, ""):
        forward_apply("sin", Forward(Forward(0.3, 1.0, 916), 1.0, 917))  # values via apply
    got = forward_apply("sub", 2.0, Forward(0.5, 1.0))
    if not isinstance(got, Forward):
        raise Wrong(
            f'forward_apply("sub", 2.0, Forward(0.5, 1.0)) should return a Forward, not {got!r}'
        )
    expect_close(got.tangent, -1.0, 'the tangent of forward_apply("sub", 2.0, Forward(0.5, 1.0))')
    off = forward_apply("pow", Forward(-1.5, 1.0), 2.0).tangent  # off, but not by a nan:
    if isinstance(off, numbers.Real) and not math.isnan(off):  # a plain mismatch
        expect_close(off, -3.0, "the tangent of Forward(-1.5, 1.0) ** 2.0", rtol=1e-15)
    squared = forward_apply("pow", Forward(-1.5, 1.0), 2.0)
    if not same(squared.tangent, -3.0):
        raise Wrong(
            f"the tangent of Forward(-1.5, 1.0) ** 2.0 is {squared.tangent!r}, but it should "
            "be -3.0. The exponent 2.0 is a constant: its partial (nan for a negative base) "
            "must not enter the sum at all, since 0 × nan is nan (lesson 05)"
        )
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
    for point, program in _programs("09.2 nested", 4):  # forward over forward: f''
        direction = unseen_points(f"09.2 nested direction {point[0]}", 3, -1.0, 1.0)

        def along(
            t: Any, program: Any = program, point: Any = point, direction: Any = direction
        ) -> Any:
            inputs = [x + t * v for x, v in zip(point, direction)]
            return run_program(program, inputs, unary if isinstance(t, Forward) else ADLEARN_UNARY)

        t = Forward(Forward(0.0, 1.0, 901), 1.0, 902)
        mine = _tangent(_tangent(along(t), Forward, 902), Forward, 901)
        expect_close(
            mine,
            second_derivative(along, 0.0),
            f"the second derivative (forward over forward) of the program {describe(program, 3)} "
            "along a direction",
            rtol=1e-10,
            atol=1e-12,
        )
    product = forward_apply("mul", Forward(2.0, 1.0, 5), Forward(3.0, 1.0, 7))
    if not (isinstance(product, Forward) and same(product.tag, 7)):
        raise Wrong(
            "forward_apply on Forward(2.0, 1.0, 5) * Forward(3.0, 1.0, 7) should return a "
            f"Forward with the newest tag, 7, not {product!r}"
        )
    if not (isinstance(product.value, Forward) and same(product.value.tag, 5)):
        raise Wrong(
            "in Forward(2.0, 1.0, 5) * Forward(3.0, 1.0, 7), the number with tag 5 is a "
            "constant at level 7: the value of the product should be the Forward with tag 5 "
            f"that apply makes (6 with tangent 3), not {product.value!r}"
        )

    def d(f: Callable[[Any], Any], x: float, tag: int) -> Any:
        return _tangent(f(Forward(x, 1.0, tag)), Forward, tag)

    confused = d(lambda x: x * d(lambda y: x + y, 1.0, 912), 1.0, 911)
    expect_close(
        confused,
        1.0,
        "d/dx [x · d/dy (x + y)] at x = y = 1, with tag 911 for x and 912 for y,",
        rtol=0.0,
        atol=0.0,
    )
    with _counted_rules(table) as counts:
        forward_apply("mul", Forward(1.5, 1.0), Forward(0.5, 0.0))
    if 0 in counts["mul"]:
        which = "value" if counts["mul"][0] == 0 else "partials"
        raise Wrong(
            f"one multiplication never called the {which} function that TABLE holds for "
            "mul: read the rule from TABLE[name] at each call (the value through apply), "
            "so that a rule added to TABLE later works at once"
        )
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
        "values and tangents agree with adlearn.Dual on 8 random programs, forward over "
        "forward gives their second derivatives, tags keep x · d/dy (x + y) at slope 1, "
        "a multiplication calls its rule once, and a rule added to TABLE works at once."
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
        "lesson 04's exercise 04.3: a node records its value, its inputs and their "
        "partials, and one sweep visits every node once, in topological order.",
        "reverse_apply takes the values of the Reverse arguments (constants stay as they "
        "are), computes the value with apply (so that nested numbers go on to their own "
        "level) and the partials once from the table, and returns a Reverse with .inputs "
        "(the arguments, as a tuple), .partials (a tuple) and .op (the rule's name). The "
        "sweep lists the nodes with an explicit stack so that each comes after its "
        "inputs, sets the adjoint of every node that has inputs to 0 (an input's adjoint "
        "keeps adding up over calls), seeds the output "
        "with 1, and walks the list backwards adding partial × the node's adjoint into "
        "each input that is a node.",
        "def reverse_apply(name, *args):\n"
        "    values = [a.value if isinstance(a, Reverse) else a for a in args]\n"
        "    node = Reverse(apply(name, *values))\n"
        "    node.inputs, node.partials, node.op = "
        "tuple(args), tuple(TABLE[name][1](*values)), name\n"
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
    forbid=(*ALL_SHORTCUTS, *GRAPH_SWEEPS, graphlib.TopologicalSorter),
    why="Your reverse mode reads your table and sweeps in an order your own explicit "
    "stack makes (as in exercise 04.3): a ready-made sorter, adlearn's or Python's "
    "graphlib, would write that order for you, and adlearn's own sweeps (adjoints, "
    "reverse_sweep, backpropagate) would do the whole sweep on your nodes.",
)
def check_reverse(reverse_apply: Callable[..., Any], Reverse: Any, table: dict[str, Any]) -> str:
    _needs_table(table, lambda: reverse_apply("add", Reverse(1.0), 2.0))
    programs = list(_programs("09.3", 8))
    references = [adlearn_gradient(program, point) for point, program in programs]
    with _adlearn_sweep_switched_off(), _constants_take_no_gradient():
        _check_reverse(reverse_apply, Reverse, table, programs, references)
    return (
        "nodes follow the drawing protocol, each edge is used once, 2**60 exactly, a "
        "100,000-step chain, agreement with adlearn.Variable on 8 random programs, and a "
        "rule added to TABLE works at once."
    )


@contextmanager
def _adlearn_sweep_switched_off() -> Iterator[None]:
    """adlearn's own sweep refuses to run, however the learner's code reaches it."""
    original = Variable.backward

    def refuse(self: Any) -> None:
        raise ShortcutUsed(
            "This exercise asks you to do the work yourself, so adlearn's "
            "Variable.backward() is switched off while it is checked. Your reverse mode "
            "sweeps your own nodes."
        )

    Variable.backward = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        Variable.backward = original  # type: ignore[method-assign]


@contextmanager
def _constants_take_no_gradient() -> Iterator[None]:
    """A sweep that adds into the .grad of a plain number gets a message that says why."""
    try:
        yield
    except AttributeError as error:
        if getattr(error, "name", None) != "grad" or not isinstance(
            getattr(error, "obj", None), numbers.Number
        ):
            raise
        raise Wrong(
            f"your sweep tried to add into the .grad of the plain number {error.obj!r} "
            f"({error}). A constant in a node's .inputs, such as the 2.0 of "
            'reverse_apply("mul", x, 2.0), is not a node of the graph and takes no '
            "gradient: add partial × the node's adjoint only into inputs that are Reverse "
            "nodes (isinstance(x, Reverse)), and leave the constants out of the stack too"
        ) from None


def _check_reverse(
    reverse_apply: Callable[..., Any],
    Reverse: Any,
    table: dict[str, Any],
    programs: list[tuple[list[float], list[Any]]],
    references: list[tuple[float, list[float]]],
) -> None:
    x = Reverse(1.5, name="x")
    node = reverse_apply("mul", x, 2.0)
    for attribute in ("value", "inputs", "partials", "op", "grad"):
        if not hasattr(node, attribute):
            raise Wrong(f"a node made by reverse_apply has no .{attribute}")
    inputs = node.inputs
    if not (type(inputs) is tuple and len(inputs) == 2 and inputs[0] is x
            and same(inputs[1], 2.0)):
        raise Wrong(
            f'reverse_apply("mul", x, 2.0).inputs should be the tuple (x, 2.0), not {node.inputs!r}'
        )
    if not isinstance(node.partials, tuple) or len(node.partials) != 2:
        raise Wrong(
            f'reverse_apply("mul", x, 2.0).partials should be a tuple of 2 partials, '
            f"not {node.partials!r}"
        )
    if not (type(node.op) is str and str.__eq__(node.op, "mul") is True):
        raise Wrong(
            f'reverse_apply("mul", x, 2.0).op should be the rule\'s name, "mul", not '
            f"{node.op!r}: drawings and step_through label the operation with it"
        )
    _reverse_nests(reverse_apply, Reverse, table)
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
    for (point, program), (value, expected) in zip(programs, references):
        xs = [Reverse(v) for v in point]
        y = run_program(program, xs, unary)
        where = f"the program {describe(program, 3)}"
        expect_close(y.value, value, f"the value of {where}", rtol=1e-13)
        for twice in (1, 2):
            y.backward()
            for i, xi in enumerate(xs):
                what = f"x{i}.grad after {twice} backward() call(s) on {where}"
                if twice == 2 and expected[i] != 0 and xi.grad == expected[i]:
                    raise Wrong(
                        f"{what} is {xi.grad:.6g}, the gradient of one call, but it should "
                        f"be {2 * expected[i]:.6g}: an input's .grad keeps adding up over "
                        "backward() calls, as in lesson 04. Reset to 0 only the nodes that "
                        "have inputs"
                    )
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


def _reverse_nests(reverse_apply: Callable[..., Any], Reverse: Any, table: dict[str, Any]) -> None:
    """A node whose input holds a Forward number: its value and partial are Forward."""
    with _reference_forward_mode(_namespace(reverse_apply), table) as Forward:
        if Forward is None:
            return
        with _watched_rules(
            table,
            "reverse_apply",
            lambda a: isinstance(a, Reverse),
            "The partials are then nodes of the graph: call the partials function on the "
            "arguments' values (a.value for a Reverse argument), not on the nodes",
        ):
            node = reverse_apply("sin", Reverse(Forward(0.3, 1.0)))
        partial = tuple(node.partials)[0]
        if not (isinstance(node.value, Forward) and isinstance(partial, Forward)):
            raise Wrong(
                'reverse_apply("sin", Reverse(Forward(0.3, 1.0))) should give a node whose '
                f"value and partial are Forward numbers, not {node.value!r} and {partial!r}: "
                "compute the value with apply(name, *values) and the partials from the "
                "values, so that nested numbers go on to their own level"
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
        "Forward number, not from a difference of two runs.",
        "Start at 20 degrees. At each step run flight_distance on a Forward number that "
        "holds the angle and is seeded with tangent 1, so that the result carries the "
        "distance and its slope, and take lesson 00's Newton step with that slope; stop "
        "when the miss is below 1e-10 m, and return the angle as a float.",
        "def launch_angle(target):\n    angle = 20.0\n    for _ in range(50):\n"
        "        d = flight_distance(Forward(angle, 1.0, new_tag()))\n"
        "        miss = d.value - target\n"
        "        if abs(miss) < 1e-10:\n            return angle\n"
        "        angle = angle - miss / d.tangent\n"
        '    raise ArithmeticError(f"no angle found for {target} m in 50 steps")',
    ),
    forbid=ALL_SHORTCUTS,
    why="Use your own forward mode for the slope.",
)
def check_launch_angle(launch_angle: Callable[[float], Any], table: dict[str, Any]) -> str:
    with _flights_on_forward_only(launch_angle):  # a float loop is refused from the start
        _needs_table(table, lambda: launch_angle(45.0))
    u = unseen_points("09.4", 3, 0.0, 1.0)  # one target in each of three bands, none at 50
    targets = [round(28 + 12 * u[0], 2), round(40 + 7 * u[1], 2), round(53 + 10 * u[2], 2)]
    for target in targets:
        flights: list[tuple[float, float, float, float]] = []
        with _counted_rules(table) as counts, _flights_on_forward_only(
            launch_angle, flights
        ) as floats:
            try:
                angle = launch_angle(target)
            except ZeroDivisionError as error:
                raise Wrong(
                    f"launch_angle({target}) divided by zero ({error}). Either the slope was "
                    "0, because the Forward number was seeded with tangent 0 instead of 1, or "
                    "the angle left 0° to 90°, because a step went the wrong way or too far: "
                    "Newton moves the angle by minus the miss divided by the slope, and the "
                    "slope is the tangent that comes out divided by the tangent you seeded"
                ) from None
        if floats:
            raise Wrong(_FLOAT_FLIGHT.format(floats[0]))
        if counts["sin"][1] + counts["cos"][1] == 0:
            raise Wrong(
                "launch_angle never asked TABLE for the partials of sin or cos: the slope "
                "should come from your Forward numbers running flight_distance"
            )
        _newton_steps(flights, target)
        if not isinstance(angle, numbers.Real):
            raise Wrong(
                f"launch_angle({target}) returned {angle!r}: return the angle itself, a "
                "plain float in degrees (the value of your Forward number, not the number)"
            )
        angle = float(angle)
        _the_answer_of_the_runs(flights, target, angle)
        landed = flight_distance(angle)
        if not abs(landed - target) < 1e-9:
            raise Wrong(
                f"thrown at launch_angle({target}) = {angle:.9g}°, the ball lands at "
                f"{landed:.12g} m, not {target} m"
            )
        expect_close(angle, _angle_by_bisection(target), f"launch_angle({target})", rtol=1e-9)
    shown = ", ".join(f"{t} m" for t in targets)
    return f"your forward mode finds the angle for {shown} to 1e-9 m."


_FLOAT_FLIGHT = (
    "launch_angle ran flight_distance on the plain number {!r}, and the check refuses "
    "that: each Newton step runs it once, on a Forward number holding the angle, and "
    "that one run gives both the distance (its value) and the slope (its tangent). A "
    "slope from differences of nearby runs, or one slope kept for every step, is not "
    "Newton's method by your forward mode"
)


def _newton_steps(flights: list[tuple[float, float, float, float]], target: float) -> None:
    """Each move of the angle must be Newton's step from the run before it, with the
    slope that run's Forward number carried (tangent out over tangent in). A secant, a
    slope kept from an earlier step, or a tangent seeded 0 and never read, is not."""
    if flights and all(seed == 0 for _, seed, _, _ in flights):
        raise Wrong(
            "every Forward number your launch_angle ran flight_distance on had tangent 0, "
            "so no slope came out of the runs (their tangents were all 0) and the steps "
            "were made from the distances alone, as a secant method does. Seed the angle "
            "with tangent 1: the tangent of the result is then the slope, and Newton's "
            "step divides the miss by it"
        )
    for (angle, seed, distance, tangent), (after, _, _, _) in zip(flights, flights[1:]):
        if after == angle:
            continue  # the same angle run again: the step is judged from the last run
        if seed == 0 or tangent == 0:
            raise Wrong(
                f"your launch_angle moved the angle from {angle:.12g}° to {after:.12g}° "
                f"after a run whose Forward number had tangent {seed!r} in and {tangent!r} "
                "out: that step did not use a slope from your forward mode. Seed the angle "
                "with tangent 1 at each step and divide the miss by the tangent that comes out"
            )
        newton = angle - (distance - target) * seed / tangent
        if abs(after - newton) > 1e-6 * abs(after - angle) + 1e-9:
            raise Wrong(
                f"your launch_angle stepped from {angle:.12g}° to {after:.12g}°, but "
                f"Newton's step with the slope that run's Forward number carried "
                f"({tangent / seed:.9g} m per degree) goes to {newton:.12g}°. Each step "
                "should divide that run's miss by that run's tangent, not use a slope from "
                "elsewhere (a secant through two runs, or a slope kept from an earlier step)"
            )


def _the_answer_of_the_runs(
    flights: list[tuple[float, float, float, float]], target: float, angle: float
) -> None:
    """The angle returned must come out of the Newton steps the runs show: at least one
    step (runs at two angles), and the answer is the last run's angle or the step from
    it. An angle found some other way, with one Forward run at the end, is not."""
    if len({run[0] for run in flights}) < 2:
        where = f"only at {flights[0][0]:.12g}°" if flights else "not once"
        raise Wrong(
            f"launch_angle({target}) ran flight_distance on a Forward number {where}, so "
            "no Newton step can be seen: the angle was found some other way, and one run at "
            "the end does not change that. Start from a guess and let each step's run on a "
            "Forward number give the miss and the slope for the next angle"
        )
    last, seed, distance, tangent = flights[-1]
    if angle == last or seed == 0 or tangent == 0:
        return
    newton = last - (distance - target) * seed / tangent
    if abs(angle - newton) > 1e-6 * abs(newton - last) + 1e-9:
        raise Wrong(
            f"launch_angle({target}) returned {angle:.12g}°, but its last run on a Forward "
            f"number was at {last:.12g}°, and Newton's step from there goes to "
            f"{newton:.12g}°. Return the angle your Newton steps reached"
        )


def _real_part(number: Any, field: str) -> float | None:
    """A Forward number's `field` as a float, or None if it is not a plain real."""
    value = getattr(number, field, None)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


class TooManyRuns(Wrong):
    """launch_angle ran the simulation more often than Newton's method ever needs."""


RUNS_PER_ANGLE = 200
"""How many runs of flight_distance one call of launch_angle may make: Newton's method
needs a handful, and a loop that never ends is stopped here instead of hanging."""


@contextmanager
def _flights_on_forward_only(
    launch_angle: Any, flights: list[tuple[float, float, float, float]] | None = None
) -> Iterator[list[Any]]:
    """While inside, the notebook's flight_distance refuses plain numbers; the list
    collects the angles refused (in case the learner's code swallows the error).
    `flights` collects each run on a Forward number: (angle, its tangent, the distance,
    the distance's tangent).

    The function object itself is changed (its code swapped, as `forbidden` does), not
    only the name: the original kept in a default argument, a closure or under another
    name runs through the same watch, so every run is seen.
    """
    namespace = _namespace(launch_angle)
    original = namespace.get("flight_distance")
    refused: list[Any] = []
    if not callable(original):
        yield refused
        return
    runs = [0]
    run: Any = None

    def on_forward_only(angle: Any, *args: Any, **kwargs: Any) -> Any:
        runs[0] += 1
        if runs[0] > RUNS_PER_ANGLE:
            raise TooManyRuns(
                f"launch_angle ran flight_distance more than {RUNS_PER_ANGLE} times for one "
                "target without returning, and the check stopped it there. Newton's method "
                "lands within 1e-10 m in a handful of steps; a loop that creeps towards the "
                "angle, or one whose stopping test is never met, does not"
            )
        if isinstance(angle, numbers.Real):
            refused.append(angle)
            raise Wrong(_FLOAT_FLIGHT.format(angle))
        result = run(angle, *args, **kwargs)
        parts = (_real_part(angle, "value"), _real_part(angle, "tangent"),
                 _real_part(result, "value"), _real_part(result, "tangent"))
        if flights is not None and None not in parts:
            flights.append(parts)  # type: ignore[arg-type]
        return result

    if isinstance(original, types.FunctionType) and not _watched(original):
        saved = (original.__code__, original.__defaults__, original.__kwdefaults__)
        run = types.FunctionType(saved[0], original.__globals__, original.__name__, saved[1],
                                 original.__closure__)
        run.__kwdefaults__ = saved[2]
        gate = f"_adlearn_flight_watch_{id(original)}"
        globals_ = original.__globals__
        globals_[gate] = lambda args, kwargs: on_forward_only(*args, **kwargs)
        original.__code__ = gate_code(original, gate, "flight_distance on plain numbers")
        original.__defaults__ = original.__kwdefaults__ = None
        try:
            yield refused
        finally:
            original.__code__, original.__defaults__, original.__kwdefaults__ = saved
            globals_.pop(gate, None)
        return
    run = original  # not a plain function: watch the name only
    namespace["flight_distance"] = on_forward_only
    try:
        yield refused
    finally:
        namespace["flight_distance"] = original


def _watched(function: types.FunctionType) -> bool:
    """Is `function` already watched (an outer check swapped its code)?"""
    return function.__code__.co_filename.startswith("<adlearn:")


# --- gradients that must come from the learner's sweep -------------------------------


def _leaves(output: Any, Reverse: Any) -> list[Any]:
    """The input nodes (no inputs of their own) that `output` depends on."""
    seen, stack, leaves = {id(output)}, [output], []
    while stack:
        node = stack.pop()
        if not node.inputs:
            leaves.append(node)
        for operand in node.inputs:
            if isinstance(operand, Reverse) and id(operand) not in seen:
                seen.add(id(operand))
                stack.append(operand)
    return leaves


@contextmanager
def _counted_backward(Reverse: Any, factor: float = 1.0) -> Iterator[list[int]]:
    """Count the calls of backward(); with `factor`, scale every input's .grad after it.

    Scaling by 2 is exact in floating point, so a method that moves by -lr × .grad
    gives exactly the steps of lr × 2, and one that takes its gradient elsewhere (a
    closed form beside a sweep it never reads) does not. ``calls[1]`` counts the sweeps
    that began with an input whose .grad was not 0: a node reused from an earlier step.
    """
    calls = [0, 0]
    original = Reverse.backward

    def counted(self: Any) -> Any:
        calls[0] += 1
        if factor == 1.0 and any(
            isinstance(leaf.grad, numbers.Real) and leaf.grad != 0
            for leaf in _leaves(self, Reverse)
        ):
            calls[1] += 1
        result = original(self)
        if factor != 1.0:
            for leaf in _leaves(self, Reverse):
                leaf.grad = leaf.grad * factor
        return result

    Reverse.backward = counted
    try:
        yield calls
    finally:
        Reverse.backward = original


@contextmanager
def _new_nodes_each_step(reused: int) -> Iterator[None]:
    """A wrong step, after `reused` sweeps that began with a used input, says what a
    reused node does (its .grad adds up over sweeps)."""
    try:
        yield
    except Wrong as error:
        if not reused:
            raise
        raise Wrong(
            f"{str(error).rstrip('.')}. {reused} of your sweeps began with an input whose "
            ".grad was not 0: a node reused from an earlier step, whose .grad keeps adding "
            "up over the sweeps, as an input's should. Make new nodes at each step"
        ) from None


def _floats(result: Any, what: str) -> list[float]:
    """The parameters a fit returned, as floats, or a message that says what they are."""
    got = list(result)
    for p in got:
        if not isinstance(p, numbers.Real):
            raise Wrong(
                f"{what} returned {p!r} among its parameters: return the numbers (the "
                "values), not the nodes"
            )
    return [float(p) for p in got]


def _from_the_sweep(got: list[float], expected: list[float], what: str) -> None:
    for i, (g, e) in enumerate(zip(got, expected)):
        if not math.isclose(g, e, rel_tol=1e-10, abs_tol=1e-12):
            raise Wrong(
                f"{what}: the check doubled every input's .grad right after your "
                f"backward(), and parameter {i} did not follow ({g:.12g}, where the "
                f"doubled gradient gives {e:.12g}). The step must use the .grad that your "
                "sweep leaves, not a gradient computed some other way"
            )


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
    xs = [Variable(v) for v in point]
    y = f(*xs)
    y.backward()
    return y.value, [x.grad for x in xs]


@exercise(
    "09.5",
    "the curve fit, by your reverse mode",
    hints=(
        "lesson 06's gradient descent: one backward() per step gives all three partials, "
        "and each parameter moves against its own.",
        "Start from a = b = c = 0. At each step wrap the three parameters in new Reverse "
        "nodes, compute fit_loss from them, call backward() once, and make the new "
        "parameters the old values minus lr times the .grad each node holds. Return the "
        "three parameters as floats.",
        "def fit(steps, lr=0.4):\n    params = [0.0, 0.0, 0.0]\n    for _ in range(steps):\n"
        "        nodes = [Reverse(q) for q in params]\n        fit_loss(*nodes).backward()\n"
        "        params = [q - lr * n.grad for q, n in zip(params, nodes)]\n    return params",
    ),
    forbid=ALL_SHORTCUTS,
    why="Use your own reverse mode for the gradient.",
)
def check_fit(fit: Callable[..., Any], Reverse: Any) -> str:
    import numpy as np

    fit(1)  # a stub says "not done yet" here
    for steps, lr in ((3, 0.4), (7, 0.25)):
        with _counted_backward(Reverse) as calls:
            params = _floats(fit(steps, lr), f"fit({steps}, {lr})")
        if calls[0] != steps:
            raise Wrong(
                f"fit({steps}, {lr}) called backward() {calls[0]} times; one sweep per "
                "step gives all three partials"
            )
        with _new_nodes_each_step(calls[1]):
            for name, got, expected in zip("abc", params, _reference_fit(steps, lr)):
                expect_close(
                    got, expected, f"{name} after fit({steps}, {lr})", rtol=1e-12, atol=1e-14
                )
    with _counted_backward(Reverse, factor=2.0):
        doubled = [float(p) for p in fit(4, 0.2)]
    _from_the_sweep(doubled, _reference_fit(4, 0.4), "fit(4, 0.2)")
    ts, ys = curve_data()
    exact = np.linalg.lstsq(np.array([[1.0, t, t * t] for t in ts]), np.array(ys), rcond=None)[0]
    params = [float(p) for p in fit(300)]
    for name, got, expected in zip("abc", params, exact):
        expect_close(got, float(expected), f"{name} after fit(300)", rtol=0.0, atol=1e-8)
    return (
        "every step matches adlearn's and moves by the .grad of one sweep, and 300 steps "
        "reach least squares."
    )


# --- 09.6: Hessian-vector products, forward over reverse -----------------------------


@exercise(
    "09.6",
    "Hessian-vector products, forward over reverse",
    hints=(
        "lesson 07's forward over reverse: run one reverse sweep on numbers that carry a "
        "tangent along v, and the gradient comes out carrying H·v.",
        "Make every input a Reverse node whose value is a Forward number: the point's "
        "coordinate, with the vector's coordinate as its tangent. Run f with the nodes as "
        "its arguments, one per input, and call backward() once: the sweep multiplies "
        "Forward partials, so each input's .grad is a Forward whose tangent is one entry "
        "of H·v. Read those tangents, as a list. An input whose partials are all plain "
        "numbers (f leaves it out, or uses it only linearly) ends with a plain number as "
        "its .grad, and its entry is 0.",
        "def hvp(f, point, vector):\n"
        "    nodes = [Reverse(Forward(p, v)) for p, v in zip(point, vector)]\n"
        "    f(*nodes).backward()\n"
        "    return [n.grad.tangent if isinstance(n.grad, Forward) else 0.0 for n in nodes]",
    ),
    forbid=ALL_SHORTCUTS,
    why="Nest your own two modes.",
)
def check_hvp(hvp: Callable[..., Any], Reverse: Any, apply: Callable[..., Any]) -> str:
    unary = {name: (lambda a, name=name: apply(name, a)) for name in FLOAT_UNARY}

    def polynomial(x: Any, y: Any) -> Any:
        return x * x * y

    try:
        hvp(polynomial, [1.0, 2.0], [1.0, 0.0])  # a stub says "not done yet" here
    except TypeError as error:
        if "positional argument" not in str(error):
            raise
        raise Wrong(
            f"hvp(lambda x, y: x * x * y, ...) called f the wrong way ({error}): f takes "
            "one argument per input, so call f(*nodes)"
        ) from None

    for k, (point, program) in enumerate(_programs("09.6", 6)):
        vector = unseen_points(f"09.6 vector {k}", 3, -1.0, 1.0)

        def mine(*xs: Any, program: Any = program) -> Any:
            return run_program(program, xs, unary)

        def reference(*xs: Any, program: Any = program) -> Any:
            return run_program(program, xs, ADLEARN_UNARY)

        with _counted_backward(Reverse) as calls:
            got = [float(h) for h in hvp(mine, point, vector)]
        if calls[0] != 1:
            raise Wrong(
                f"one Hessian-vector product called backward() {calls[0]} times: forward "
                "over reverse needs a single sweep, whatever the number of inputs"
            )
        expected = hessian_vector_product(reference, point, vector)
        for i, (g, e) in enumerate(zip(got, expected)):
            expect_close(
                g,
                e,
                f"entry {i} of H·v for the program {describe(program, 3)}",
                rtol=1e-10,
                atol=1e-12,
            )

    def linear_in_y(x: Any, y: Any) -> Any:
        return x * x + 3 * y

    point, vector = unseen_points("09.6 linear", 2, 0.5, 1.5), [0.75, -0.5]
    try:
        got = [float(h) for h in hvp(linear_in_y, point, vector)]
    except AttributeError as error:
        raise Wrong(
            f"hvp(lambda x, y: x * x + 3 * y, ...) raised AttributeError ({error}). There, "
            "y's .grad is the plain number 3.0: every partial on y's way is a plain number, "
            "so no Forward ever reaches it. An input whose .grad is not a Forward number "
            "has 0 as its entry of H·v, whether f leaves it out or uses it only linearly"
        ) from None
    for i, (g, e) in enumerate(zip(got, [2 * vector[0], 0.0])):
        expect_close(g, e, f"entry {i} of H·v for x * x + 3 * y", rtol=1e-13, atol=1e-15)
    point, vector = unseen_points("09.6 doubled", 2, 0.5, 1.5), [0.5, -1.0]
    with _counted_backward(Reverse, factor=2.0):
        doubled = [float(h) for h in hvp(polynomial, point, vector)]
    twice = [2.0 * h for h in hessian_vector_product(polynomial, point, vector)]
    _from_the_sweep(doubled, twice, "hvp(lambda x, y: x * x * y, ...)")
    return (
        "one sweep per product, and H·v agrees with adlearn's on 6 random programs at "
        "points you have not seen, read from the .grad your sweep leaves."
    )


# --- 09.7: your own rules: a stable softplus, tanh, and a stop-gradient --------------


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


RULE_NAMES = ("softplus", "tanh", "stop")


@exercise(
    "09.7",
    "three rules of your own: softplus, tanh and a stop-gradient",
    hints=(
        "lesson 08's custom rule and stop-gradient: a rule is one row of the table, so "
        "its value can be computed any stable way you like, and a stop-gradient is a row "
        "whose partial is zero.",
        "Take the forms the section 'Rules of your own' gives. For softplus's value, the "
        "one that raises e only to negative powers and uses log1p, so that it neither "
        "overflows nor loses tiny results; for its partial, the sigmoid written through "
        "softplus itself, with the engine's functions, so that it stays finite far out and "
        "nests. tanh's partial is written with the engine's tanh. The stop row passes its "
        "value through, and its partial is zero.",
        "def add_rules(table):\n    table.update({\n"
        '        "softplus": (lambda z: max(z, 0.0) + math.log1p(math.exp(-abs(z))),\n'
        "                     lambda z: (exp(-softplus(-z)),)),\n"
        '        "tanh": (math.tanh, lambda x: (1 - tanh(x) ** 2,)),\n'
        '        "stop": (lambda x: x, lambda x: (0.0,)),\n    })',
    ),
    forbid=(*ALL_SHORTCUTS, adlearn.tanh, adlearn.sigmoid, adlearn.relu),
    why="Write the rules yourself, with your engine's functions.",
)
def check_rules(
    add_rules: Callable[[dict[str, Any]], Any],
    table: dict[str, Any],
    apply: Callable[..., Any],
    Forward: Any,
    Reverse: Any,
) -> str:
    mine: dict[str, Any] = {}
    add_rules(mine)
    missing = [name for name in RULE_NAMES if name not in mine]
    if missing:
        raise Wrong(f"add_rules put no rule for {', '.join(map(repr, missing))} into the table")
    _needs_table(table, lambda: None)
    points = unseen_points("09.7", 6, -3.0, 3.0)
    with _installed(table, {name: mine[name] for name in RULE_NAMES}):
        for z in points:
            s = _sigmoid(z)
            _expect_rule(mine["softplus"], "softplus", (z,), math.log1p(math.exp(z)), (s,))
            t = math.tanh(z)
            _expect_rule(mine["tanh"], "tanh", (z,), t, (1 - t * t,))
            _expect_rule(mine["stop"], "stop", (z,), z, (0.0,))
        for z, value, slope in (
            (800.0, 800.0, 1.0),
            (-800.0, 0.0, 0.0),
            (-40.0, math.exp(-40.0), math.exp(-40.0)),
        ):
            try:
                _expect_rule(mine["softplus"], "softplus", (z,), value, (slope,), atol=1e-300)
            except (OverflowError, ZeroDivisionError) as error:
                raise Wrong(
                    f"softplus at z = {z:g} raised {type(error).__name__} ({error}): "
                    "e to the power 800 does not fit in a float. Write the value and the "
                    "partial in forms that only ever take e to a negative power"
                ) from None
        for name in ("softplus", "tanh"):
            with _counted_rules(table) as counts:
                mine[name][1](0.7)
            if not any(calls[0] for calls in counts.values()):
                raise Wrong(
                    f"the partials function of {name} calls none of the engine's functions, "
                    "so it only works on floats: write it with the engine's exp, softplus or "
                    "tanh, so that a second derivative can go through it"
                )
        for z in points[:3]:  # forward over forward, through your rules
            s, t = _sigmoid(z), math.tanh(z)
            for name, expected in (("softplus", s * (1 - s)), ("tanh", -2 * t * (1 - t * t))):
                x = Forward(Forward(z, 1.0, 921), 1.0, 922)
                result = apply(name, x)
                got = _tangent(_tangent(result, Forward, 922), Forward, 921)
                expect_close(
                    got,
                    expected,
                    f"the second derivative of {name} at {z:.3g}",
                    rtol=1e-12,
                    atol=1e-14,
                )
        z = points[3]
        x = Reverse(z)
        stopped = x * x * apply("stop", x)
        stopped.backward()
        expect_close(
            x.grad,
            2 * z * z,
            f"the gradient of x · x · stop(x) at x = {z:.3g} (reverse mode)",
            rtol=1e-13,
        )
        x = Reverse(Forward(z, 1.0, 931))
        stopped = x * x * apply("stop", x)
        stopped.backward()
        second = _tangent(x.grad, Forward, 931)
        expect_close(
            second,
            2 * z,
            f"the second derivative (forward over reverse) of x · x · stop(x) at x = {z:.3g}, "
            "where the stop must hold at both levels,",
            rtol=1e-12,
        )
    return (
        "softplus is stable from z = -800 to 800, the three rules are right at points you "
        "have not seen, their second derivatives go through your engine, and stop(x) "
        "stops the gradient at every level."
    )


# --- 09.8: train lesson 06's network with your engine --------------------------------


def network_data(seed: int = 1, n: int = 80) -> tuple[list[tuple[float, float]], list[int]]:
    """Lesson 06's points inside (class 1) or outside (class 0) a circle of radius 1.2."""
    rng = random.Random(seed)
    points = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(n)]
    return points, [1 if math.hypot(*q) < 1.2 else 0 for q in points]


def network_start(hidden: int = 6) -> list[float]:
    """Lesson 06's seeded starting weights: 25 parameters for 6 hidden units."""
    init = random.Random(3)
    return (
        [init.gauss(0, 1) for _ in range(2 * hidden)]
        + [0.0] * hidden
        + [init.gauss(0, 1 / math.sqrt(hidden)) for _ in range(hidden)]
        + [0.0]
    )


def _network_gradient(params: list[float]) -> list[float]:
    """The gradient of lesson 06's mean loss, backpropagated by hand on floats."""
    points, labels = network_data()
    h = (len(params) - 1) // 4
    grad = [0.0] * len(params)
    for (x1, x2), y in zip(points, labels):
        hidden = [
            math.tanh(params[2 * j] * x1 + params[2 * j + 1] * x2 + params[2 * h + j])
            for j in range(h)
        ]
        z = params[4 * h] + sum(params[3 * h + j] * hidden[j] for j in range(h))
        dz = (_sigmoid(z) - y) / len(points)  # d(softplus(z) - y z)/dz, averaged
        grad[4 * h] += dz
        for j in range(h):
            grad[3 * h + j] += dz * hidden[j]
            da = dz * params[3 * h + j] * (1 - hidden[j] ** 2)
            grad[2 * j] += da * x1
            grad[2 * j + 1] += da * x2
            grad[2 * h + j] += da
    return grad


def _reference_training(steps: int, lr: float) -> list[float]:
    params = network_start()
    for _ in range(steps):
        params = [q - lr * g for q, g in zip(params, _network_gradient(params))]
    return params


@exercise(
    "09.8",
    "train lesson 06's network with your engine",
    hints=(
        "lesson 06's training loop and exercise 09.5: the same gradient descent, with 25 "
        "parameters instead of 3 and network_loss instead of fit_loss.",
        "Start from a copy of start. At each step wrap every parameter in a new Reverse "
        "node, compute network_loss from the list of nodes, call backward() once, and "
        "make the new parameters the old values minus lr times each node's .grad. Return "
        "the 25 parameters as a list of floats.",
        "def train(steps, lr=3.0):\n    params = list(start)\n    for _ in range(steps):\n"
        "        nodes = [Reverse(q) for q in params]\n"
        "        network_loss(nodes).backward()\n"
        "        params = [q - lr * n.grad for q, n in zip(params, nodes)]\n    return params",
    ),
    forbid=ALL_SHORTCUTS,
    why="Train with your own engine.",
)
def check_train(train: Callable[..., Any], Reverse: Any, table: dict[str, Any]) -> str:
    namespace = _namespace(train)
    start = namespace.get("start")
    if isinstance(start, list) and start != network_start():
        raise Wrong(
            "start no longer holds lesson 06's starting weights: an earlier train updated "
            "it in place. Re-run the cell that defines start, and let train work on a "
            "copy, list(start)"
        )
    _needs_table(table, lambda: train(1), (*NAMES, "softplus", "tanh"))
    for steps, lr in ((2, 3.0), (3, 1.7)):
        with _counted_backward(Reverse) as calls:
            params = _floats(train(steps, lr), f"train({steps}, {lr})")
        if isinstance(start, list) and start != network_start():
            start[:] = network_start()
            raise Wrong(
                f"train({steps}, {lr}) changed start in place (params = start makes params "
                "another name for the same list). Let train work on a copy, list(start). "
                "The check has put the starting weights back"
            )
        if calls[0] != steps:
            raise Wrong(
                f"train({steps}, {lr}) called backward() {calls[0]} times; one sweep per "
                "step gives all 25 partials"
            )
        if len(params) != 25:
            raise Wrong(f"train({steps}, {lr}) returned {len(params)} parameters, not 25")
        with _new_nodes_each_step(calls[1]):
            for i, (got, expected) in enumerate(zip(params, _reference_training(steps, lr))):
                expect_close(
                    got,
                    expected,
                    f"parameter {i} after train({steps}, {lr})",
                    rtol=1e-10,
                    atol=1e-12,
                )
    with _counted_backward(Reverse, factor=2.0):
        doubled = [float(p) for p in train(2, 1.5)]
    _from_the_sweep(doubled, _reference_training(2, 3.0), "train(2, 1.5)")
    return (
        "every step matches a gradient backpropagated by hand, with one sweep of your "
        "engine each, and the steps move by the .grad your sweep leaves."
    )


# --- showing the learner's engine ----------------------------------------------------


class NotReady:
    """What a cell shows instead of the learner's graph while the engine is unfinished."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"… Not ready yet: {self.reason}"


def when_ready(
    build: Callable[[], Any], show: Callable[[Any], Any], needs: str = "09.1 to 09.3"
) -> Any:
    """``show(build())`` once the engine works; a short note while it does not.

    `needs` names the exercises the cell waits for.
    """
    try:
        node = build()
    except NotImplementedError:
        return NotReady(f"finish exercises {needs}, then run this cell again.")
    except KeyError as error:  # TABLE has no such rule yet: a check fills it
        return NotReady(
            f"TABLE has no rule {error} yet: finish exercises {needs} (their checks fill "
            "TABLE), then run this cell again."
        )
    except Exception as error:  # the engine is there but not right yet
        return NotReady(
            f"your engine raised {type(error).__name__} ({error}); "
            f"the checks of exercises {needs} say where to look."
        )
    if not all(hasattr(node, a) for a in ("value", "inputs", "partials")):
        return NotReady(f"the result {node!r} is not a node of your engine yet.")
    return show(node)


def run_when_ready(build: Callable[[], Any], needs: str) -> NotReady | None:
    """Run `build` (a cell's demonstration, which prints) once the exercises `needs`
    names are done; a short note instead while the engine raises."""
    result = when_ready(lambda: _Ran(build()), lambda ran: None, needs)
    return result if isinstance(result, NotReady) else None


class _Ran:
    """A stand-in node: `build` ran to its end (it prints what it shows)."""

    value, inputs, partials = None, (), ()

    def __init__(self, _: Any) -> None:
        pass
