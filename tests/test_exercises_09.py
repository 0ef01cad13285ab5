"""The exercises of lesson 09: worked solutions pass; wrong answers and shortcuts do not.

The lesson's own scaffolding (``TABLE``, ``apply``, ``Forward``, ``Reverse``,
``flight_distance``, ``fit_loss``) is read from the notebook and run in ``__main__``,
where a notebook's code lives; the solutions are written here as in the notebook (a
test compares them line by line).
"""

import math
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import adlearn
from adlearn.checks import CheckFailed, lesson09

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "09-your-own-engine.ipynb"
CELLS = nbformat.read(NOTEBOOK, as_version=4).cells
SCAFFOLD = [  # the lesson's code that is neither an exercise nor a picture
    c.source
    for c in CELLS
    if c.cell_type == "code"
    and not c.metadata.get("tags")
    and c.source.startswith(("TABLE = {}", "class ", "def flight_distance", "rng = "))
]

FILL_TABLE = """
def fill_table(table):
    table.update({
        "add": (lambda x, y: x + y, lambda x, y: (1.0, 1.0)),
        "sub": (lambda x, y: x - y, lambda x, y: (1.0, -1.0)),
        "mul": (lambda x, y: x * y, lambda x, y: (y, x)),
        "div": (lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2)),
        "pow": (lambda x, p: x**p,
                lambda x, p: (p * x ** (p - 1), x**p * math.log(x) if x > 0 else 0.0)),
        "neg": (lambda x: -x, lambda x: (-1.0,)),
        "sin": (math.sin, lambda x: (math.cos(x),)),
        "cos": (math.cos, lambda x: (-math.sin(x),)),
        "exp": (math.exp, lambda x: (math.exp(x),)),
        "log": (math.log, lambda x: (1 / x,)),
    })
"""

FORWARD_APPLY = """
def forward_apply(name, *args):
    value_of, partials_of = TABLE[name]
    values = [a.value if isinstance(a, Forward) else a for a in args]
    tangents = [a.tangent if isinstance(a, Forward) else 0.0 for a in args]
    partials = partials_of(*values)
    return Forward(value_of(*values), sum(p * t for p, t in zip(partials, tangents)))
"""

REVERSE_APPLY = """
def reverse_apply(name, *args):
    value_of, partials_of = TABLE[name]
    values = [a.value if isinstance(a, Reverse) else a for a in args]
    node = Reverse(value_of(*values))
    node.inputs, node.partials, node.op = tuple(args), tuple(partials_of(*values)), name
    return node
"""

SWEEP = """
def sweep(output):
    order, seen, stack = [], set(), [(output, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((x, False) for x in node.inputs
                         if isinstance(x, Reverse) and id(x) not in seen)
    for node in order:
        if node.inputs:
            node.grad = 0.0
    output.grad += 1.0
    for node in reversed(order):
        for x, partial in zip(node.inputs, node.partials):
            if isinstance(x, Reverse):  # a constant takes no gradient
                x.grad += partial * node.grad
"""

LAUNCH_ANGLE = """
def launch_angle(target):
    angle = 20.0
    for _ in range(20):
        d = flight_distance(Forward(angle, 1.0))
        miss = d.value - target
        if abs(miss) < 1e-10:
            break
        angle = angle - miss / d.tangent
    return angle
"""

FIT = """
def fit(steps, lr=0.4):
    params = [0.0, 0.0, 0.0]
    for _ in range(steps):
        nodes = [Reverse(q) for q in params]
        fit_loss(*nodes).backward()
        params = [q - lr * n.grad for q, n in zip(params, nodes)]
    return params
"""

SOLVED = (FILL_TABLE, FORWARD_APPLY, REVERSE_APPLY, SWEEP, LAUNCH_ANGLE, FIT)


@pytest.fixture
def lesson(monkeypatch):
    """Run sources in __main__ as notebook cells; the lesson's scaffolding first."""
    namespace = vars(sys.modules["__main__"])
    before = set(namespace)
    monkeypatch.setitem(namespace, "math", math)
    monkeypatch.setitem(namespace, "random", __import__("random"))
    for name in ("Dual", "derivative", "gradient", "Variable", "topological_order"):
        monkeypatch.setitem(namespace, name, getattr(adlearn, name))

    def run(*sources):
        for source in sources:
            exec(textwrap.dedent(source), namespace)
        return namespace

    run(*SCAFFOLD)
    yield run
    for key in set(namespace) - before:
        namespace.pop(key, None)


def solved(run, *replaced):
    """The whole engine, with some solutions `replaced` by other sources."""
    ns = run(*SOLVED, *replaced)
    ns["TABLE"].clear()
    ns["fill_table"](ns["TABLE"])
    return ns


def test_the_scaffolding_and_solutions_are_the_notebooks():
    assert len(SCAFFOLD) == 5
    code = "\n".join(c.source for c in CELLS if c.cell_type == "code")
    for source in SOLVED:
        for line in source.strip().splitlines():
            assert line.strip() in code, line


def checks(ns):
    return {
        "09.1": lambda: lesson09.check_table(ns["fill_table"], ns["TABLE"]),
        "09.2": lambda: lesson09.check_forward(ns["forward_apply"], ns["Forward"], ns["TABLE"]),
        "09.3": lambda: lesson09.check_reverse(ns["reverse_apply"], ns["Reverse"], ns["TABLE"]),
        "09.4": lambda: lesson09.check_launch_angle(ns["launch_angle"], ns["TABLE"]),
        "09.5": lambda: lesson09.check_fit(ns["fit"], ns["Reverse"]),
    }


SAID = {
    "09.1": "TABLE holds them now",
    "09.2": "agree with adlearn.Dual",
    "09.3": "2**60 exactly",
    "09.4": "to 1e-9 m",
    "09.5": "reach least squares",
}


@pytest.mark.parametrize("key", sorted(SAID))
def test_worked_solution_passes(lesson, key):
    result = checks(solved(lesson))[key]()
    assert result and SAID[key] in repr(result)


def test_the_table_check_fills_the_lessons_table(lesson):
    ns = lesson(FILL_TABLE)
    assert ns["TABLE"] == {}
    lesson09.check_table(ns["fill_table"], ns["TABLE"])
    assert sorted(ns["TABLE"]) == sorted(lesson09.NAMES)


FROM_ADLEARNS_TABLE = """
import adlearn

def fill_table(table):
    for name in ["add", "sub", "mul", "div", "pow", "neg", "sin", "cos", "exp", "log"]:
        row = adlearn.RULES[name]
        table[name] = (row.evaluate, lambda *xs, row=row: row.partials(*xs, row.evaluate(*xs)))
"""

WRONG = [  # exercise, a typical wrong answer or shortcut, the message
    ("09.1", FROM_ADLEARNS_TABLE, "rule table is switched off"),
    (
        "09.1",
        FILL_TABLE.replace("x**p * math.log(x) if x > 0 else 0.0", "0.0"),
        "the partial of pow.* with respect to input 1",
    ),
    (
        "09.1",
        FILL_TABLE.replace("lambda x: (math.cos(x),)", "lambda x: math.cos(x)"),
        "should be a tuple of 1 number",
    ),
    (
        "09.1",
        FILL_TABLE.replace('        "log": (math.log, lambda x: (1 / x,)),\n', ""),
        "no rule for 'log'",
    ),
    (
        "09.2",
        FORWARD_APPLY.replace("zip(partials, tangents)", "zip(partials, tangents[:1])"),
        "the tangent of forward_apply",
    ),
    (
        "09.2",
        FORWARD_APPLY.replace(
            "sum(p * t for p, t in zip(partials, tangents))",
            "sum(partials_of(*values)[i] * t for i, t in enumerate(tangents))",
        ),
        "partials function 3 time",
    ),
    (
        "09.2",
        "FROZEN = dict(TABLE)\n" + FORWARD_APPLY.replace("TABLE[name]", "FROZEN[name]"),
        "raised KeyError",
    ),
    (
        "09.2",
        "def forward_apply(name, *args):\n    return Dual(1.0, 0.0)",
        r"Dual\(\) is switched off",
    ),
    (
        "09.3",
        SWEEP.replace(
            "            if isinstance(x, Reverse):  # a constant takes no "
            "gradient\n                x.grad",
            "            x.grad",
        ),
        "raised AttributeError",
    ),
    ("09.3", SWEEP.replace("            node.grad = 0.0", "            pass"), "after 2 backward"),
    ("09.3", REVERSE_APPLY.replace("tuple(args)", "list(args)"), "should be the tuple"),
    (
        "09.3",
        "def sweep(output):\n    output.grad += 1.0\n"
        "    for x, p in zip(output.inputs, output.partials):\n"
        "        if isinstance(x, Reverse):\n            x.grad += p * output.grad\n"
        "            sweep(x)",
        "each should be used once",
    ),
    ("09.3", "def sweep(output):\n    topological_order(output)", "switched off"),
    (
        "09.4",
        LAUNCH_ANGLE.replace(
            "d = flight_distance(Forward(angle, 1.0))\n        miss = d.value - target",
            "d = flight_distance(angle)\n        miss = d - target",
        ).replace("miss / d.tangent", "miss / ((flight_distance(angle + 1e-6) - d) / 1e-6)"),
        "never asked TABLE for the partials",
    ),
    ("09.4", LAUNCH_ANGLE.replace("range(20)", "range(2)"), "the ball lands at"),
    (
        "09.4",
        "def launch_angle(target):\n    return derivative(math.sin, 1.0)",
        r"derivative\(\) is switched off",
    ),
    (
        "09.5",
        FIT.replace(
            "        fit_loss(*nodes).backward()\n",
            "        fit_loss(*nodes).backward()\n"
            "        fit_loss(*[Reverse(q) for q in params]).backward()\n",
        ),
        r"called backward\(\) 6 times",
    ),
    ("09.5", FIT.replace("q - lr * n.grad", "q + lr * n.grad"), "a after fit"),
    (
        "09.5",
        "def fit(steps, lr=0.4):\n    return gradient(fit_loss, [0.0, 0.0, 0.0])",
        r"gradient\(\) is switched off",
    ),
]


@pytest.mark.parametrize("key, source, said", WRONG)
def test_wrong_answer_or_shortcut_is_rejected_with_a_hint(lesson, key, source, said):
    ns = solved(lesson, source) if key != "09.1" else lesson(source)
    with pytest.raises(CheckFailed, match=said) as caught:
        checks(ns)[key]()
    message = str(caught.value)
    assert "switched off" in message or "Where to look" in message


STUBS = {
    "09.1": "def fill_table(table):\n    raise NotImplementedError",
    "09.2": "def forward_apply(name, *args):\n    raise NotImplementedError",
    "09.3": "def reverse_apply(name, *args):\n    raise NotImplementedError",
    "09.4": "def launch_angle(target):\n    raise NotImplementedError",
    "09.5": "def fit(steps, lr=0.4):\n    raise NotImplementedError",
}


@pytest.mark.parametrize("key", sorted(STUBS))
def test_the_stub_is_not_done_yet(lesson, key):
    ns = lesson(*SOLVED, STUBS[key]) if key == "09.1" else solved(lesson, STUBS[key])
    result = checks(ns)[key]()
    assert not result and not result.done and "Not done yet" in repr(result)


def test_the_drawing_cell_waits_for_the_engine(lesson):
    ns = lesson(STUBS["09.3"])

    def my_graph():
        return ns["Reverse"](2.0) * 3.0

    note = lesson09.when_ready(my_graph, adlearn.draw)
    assert repr(note).startswith("… Not ready yet: finish exercises 09.1 to 09.3")
    ns = solved(lesson)
    drawing = lesson09.when_ready(my_graph, adlearn.draw)
    assert "2 nodes" in repr(drawing) or "graph" in repr(drawing)


def test_the_tables_rules_are_restored_after_a_check(lesson):
    ns = solved(lesson)
    rules = dict(ns["TABLE"])
    lesson09.check_forward(ns["forward_apply"], ns["Forward"], ns["TABLE"])
    lesson09.check_reverse(ns["reverse_apply"], ns["Reverse"], ns["TABLE"])
    assert ns["TABLE"] == rules
