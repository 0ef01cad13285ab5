"""The exercises of lesson 09: worked solutions pass; wrong answers and shortcuts do not.

The lesson's own scaffolding (``TABLE``, ``apply``, ``Forward``, ``Reverse``,
``flight_distance``, ``fit_loss``, the network) is read from the notebook and run in
``__main__``, where a notebook's code lives; the solutions are written here as in the
notebook (a test compares them line by line).
"""

import copy
import itertools
import math
import random
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import adlearn
from adlearn.checks import CheckFailed, lesson09

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "09-your-own-engine.ipynb"
CELLS = nbformat.read(NOTEBOOK, as_version=4).cells
SCAFFOLD = [  # the lesson's code that is neither an exercise nor a picture
    c.source
    for c in CELLS
    if c.cell_type == "code"
    and not c.metadata.get("tags")
    and c.source.startswith(
        ("TABLE = {}", "class ", "def flight_distance", "rng = ", "def make_data", "def logit")
    )
]

FILL_TABLE = """
def fill_table(table):
    table.update({
        "add": (lambda x, y: x + y, lambda x, y: (1.0, 1.0)),
        "sub": (lambda x, y: x - y, lambda x, y: (1.0, -1.0)),
        "mul": (lambda x, y: x * y, lambda x, y: (y, x)),
        "div": (lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2)),
        "pow": (lambda x, p: x**p,
                lambda x, p: (p * x ** (p - 1), x**p * log(x) if x > 0 else math.nan)),
        "neg": (lambda x: -x, lambda x: (-1.0,)),
        "sin": (math.sin, lambda x: (cos(x),)),
        "cos": (math.cos, lambda x: (-sin(x),)),
        "exp": (math.exp, lambda x: (exp(x),)),
        "log": (math.log, lambda x: (1 / x,)),
    })
"""

FORWARD_APPLY = """
def forward_apply(name, *args):
    tag = max(a.tag for a in args if isinstance(a, Forward))
    live = [isinstance(a, Forward) and a.tag == tag for a in args]
    values = [a.value if on else a for a, on in zip(args, live)]
    partials = TABLE[name][1](*values)
    tangent = sum(p * a.tangent for p, a, on in zip(partials, args, live) if on)
    return Forward(apply(name, *values), tangent, tag)
"""

REVERSE_APPLY = """
def reverse_apply(name, *args):
    values = [a.value if isinstance(a, Reverse) else a for a in args]
    node = Reverse(apply(name, *values))
    node.inputs, node.partials, node.op = tuple(args), tuple(TABLE[name][1](*values)), name
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
    for _ in range(50):
        d = flight_distance(Forward(angle, 1.0, new_tag()))
        miss = d.value - target
        if abs(miss) < 1e-10:
            return angle
        angle = angle - miss / d.tangent
    raise ArithmeticError(f"no angle found for {target} m in 50 steps")
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

HVP = """
def hvp(f, point, vector):
    nodes = [Reverse(Forward(p, v)) for p, v in zip(point, vector)]
    f(*nodes).backward()
    return [n.grad.tangent if isinstance(n.grad, Forward) else 0.0 for n in nodes]
"""

ADD_RULES = """
def add_rules(table):
    table.update({
        "softplus": (lambda z: max(z, 0.0) + math.log1p(math.exp(-abs(z))),
                     lambda z: (exp(-softplus(-z)),)),
        "tanh": (math.tanh, lambda x: (1 - tanh(x) ** 2,)),
        "stop": (lambda x: x, lambda x: (0.0,)),
    })
"""

TRAIN = """
def train(steps, lr=3.0):
    params = list(start)
    for _ in range(steps):
        nodes = [Reverse(q) for q in params]
        network_loss(nodes).backward()
        params = [q - lr * n.grad for q, n in zip(params, nodes)]
    return params
"""

SOLVED = (FILL_TABLE, FORWARD_APPLY, REVERSE_APPLY, SWEEP, LAUNCH_ANGLE, FIT, HVP, ADD_RULES, TRAIN)


@pytest.fixture
def lesson(monkeypatch):
    """Run sources in __main__ as notebook cells; the lesson's scaffolding first."""
    namespace = vars(sys.modules["__main__"])
    before = set(namespace)
    for module in (math, random, itertools):
        monkeypatch.setitem(namespace, module.__name__, module)
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
    ns["add_rules"](ns["TABLE"])
    return ns


def test_the_scaffolding_and_solutions_are_the_notebooks():
    assert len(SCAFFOLD) == 7
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
        "09.6": lambda: lesson09.check_hvp(ns["hvp"], ns["Reverse"], ns["apply"]),
        "09.7": lambda: lesson09.check_rules(
            ns["add_rules"], ns["TABLE"], ns["apply"], ns["Forward"], ns["Reverse"]
        ),
        "09.8": lambda: lesson09.check_train(ns["train"], ns["Reverse"], ns["TABLE"]),
    }


SAID = {
    "09.1": "TABLE holds them now",
    "09.2": "tags keep x · d/dy (x + y) at slope 1",
    "09.3": "2**60 exactly",
    "09.4": "to 1e-9 m",
    "09.5": "moves by the .grad of one sweep",
    "09.6": "H·v agrees with adlearn's",
    "09.7": "stops the gradient at every level",
    "09.8": "backpropagated by hand",
}


@pytest.mark.parametrize("key", sorted(SAID))
def test_worked_solution_passes(lesson, key):
    result = checks(solved(lesson))[key]()
    assert result and SAID[key] in repr(result)


def test_every_exercise_has_a_three_step_ladder():
    from adlearn.checks import EXERCISES

    keys = sorted(k for k in EXERCISES if k.startswith("09."))
    assert keys == sorted(SAID)
    for key in keys:
        nudge, method, answer = EXERCISES[key].hints  # exactly three
        assert "def " in answer, key
        for early in (nudge, method):  # neither of the first two holds the answer's code
            assert "def " not in early and "lambda" not in early and " = [" not in early, key


def test_the_table_check_fills_the_lessons_table(lesson):
    ns = lesson(FILL_TABLE)
    assert ns["TABLE"] == {}
    lesson09.check_table(ns["fill_table"], ns["TABLE"])
    assert sorted(ns["TABLE"]) == sorted(lesson09.NAMES)


def test_a_wrong_table_leaves_the_lessons_table_as_it_was(lesson):
    ns = lesson(FILL_TABLE.replace("lambda x: (cos(x),)", "lambda x: (math.cos(x),)"))
    with pytest.raises(CheckFailed):
        lesson09.check_table(ns["fill_table"], ns["TABLE"])
    assert ns["TABLE"] == {}


FROM_ADLEARNS_TABLE = """
import adlearn

def fill_table(table):
    for name in ["add", "sub", "mul", "div", "pow", "neg", "sin", "cos", "exp", "log"]:
        row = adlearn.RULES[name]
        table[name] = (row.evaluate, lambda *xs, row=row: row.partials(*xs, row.evaluate(*xs)))
"""

PARTIALS_BY_ADLEARN = FILL_TABLE.replace(  # the learner report's shortcut, as typed
    "lambda x: (cos(x),)", "lambda x: (derivative(math.sin, x),)"
)

PARTIALS_BY_A_SUBMODULE = "import adlearn.derivatives\n" + FILL_TABLE.replace(
    "lambda x: (cos(x),)", "lambda x: (adlearn.derivatives.derivative(adlearn.sin, x),)"
)

CLOSED_FORM_FIT = """
def fit(steps, lr=0.4):
    params = [0.0, 0.0, 0.0]
    for _ in range(steps):
        fit_loss(*[Reverse(q) for q in params]).backward()  # a sweep never read
        a, b, c = params
        r = [a + b * t + c * t * t - y for t, y in zip(ts, ys)]
        grad = [2 * sum(ri * t**k for ri, t in zip(r, ts)) / len(ts) for k in range(3)]
        params = [q - lr * g for q, g in zip(params, grad)]
    return params
"""

HAND_BACKPROP_TRAIN = """
from adlearn.checks.lesson09 import _network_gradient

def train(steps, lr=3.0):
    params = list(start)
    for _ in range(steps):
        network_loss([Reverse(q) for q in params]).backward()  # a sweep never read
        params = [q - lr * g for q, g in zip(params, _network_gradient(params))]
    return params
"""

DIFFERENCED_HVP = """
def hvp(f, point, vector):
    def grad_at(t):
        nodes = [Reverse(p + t * v) for p, v in zip(point, vector)]
        f(*nodes).backward()
        return [n.grad for n in nodes]
    h = 1e-5
    return [(a - b) / (2 * h) for a, b in zip(grad_at(h), grad_at(-h))]
"""

MIRRORED_SWEEP = """
import adlearn.variable

def sweep(output):  # copy the graph into adlearn's Variables and let adlearn sweep
    ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "neg": lambda a: -a,
           "sin": adlearn.sin, "cos": adlearn.cos, "exp": adlearn.exp, "log": adlearn.log}
    copies, leaves, stack = {}, [], [(output, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in copies:
            continue
        if not node.inputs:
            copies[id(node)] = adlearn.variable.Variable(node.value)
            leaves.append(node)
        elif ready:
            args = [copies[id(a)] if isinstance(a, Reverse) else a for a in node.inputs]
            copies[id(node)] = ops[node.op](*args)
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in node.inputs if isinstance(a, Reverse))
    copies[id(output)].backward()
    for leaf in leaves:
        leaf.grad += copies[id(leaf)].grad
"""

GRAPHLIB_SWEEP = """
import graphlib
def sweep(output):
    ts, stack, seen, nodes = graphlib.TopologicalSorter(), [output], {id(output)}, {}
    nodes[id(output)] = output
    while stack:
        n = stack.pop()
        ins = [m for m in n.inputs if isinstance(m, Reverse)]
        ts.add(id(n), *[id(m) for m in ins])
        for m in ins:
            if id(m) not in seen:
                seen.add(id(m)); nodes[id(m)] = m; stack.append(m)
    order = [nodes[k] for k in ts.static_order()]
    for n in order:
        if n.inputs:
            n.grad = 0.0
    output.grad += 1.0
    for n in reversed(order):
        for m, p in zip(n.inputs, n.partials):
            if isinstance(m, Reverse):
                m.grad += p * n.grad
"""

WRONG = [  # exercise, a typical wrong answer or shortcut, the message
    ("09.1", FROM_ADLEARNS_TABLE, "rule table is switched off"),
    ("09.1", PARTIALS_BY_ADLEARN, r"derivative\(\) is switched off"),
    ("09.1", PARTIALS_BY_A_SUBMODULE, r"derivative\(\) is switched off"),
    (
        "09.1",
        FILL_TABLE.replace("lambda x: (cos(x),)", "lambda x: (math.cos(x),)"),
        "never called the engine's cos",
    ),
    (
        "09.1",
        FILL_TABLE.replace("x**p * log(x) if", "x**p * math.log(x) if"),
        "never called the engine's log",
    ),
    ("09.1", FILL_TABLE.replace("else math.nan", "else 0.0"), "should be nan"),
    (
        "09.1",
        FILL_TABLE.replace("x**p * log(x) if x > 0 else math.nan", "0.0"),
        "the partial of pow.* with respect to input 1",
    ),
    (
        "09.1",
        FILL_TABLE.replace("lambda x: (cos(x),)", "lambda x: cos(x)"),
        "should be a tuple of 1 number",
    ),
    (
        "09.1",
        FILL_TABLE.replace('        "log": (math.log, lambda x: (1 / x,)),\n', ""),
        "no rule for 'log'",
    ),
    ("09.1", FILL_TABLE.replace("(-sin(x),)", "(sin(x),)"), "partial of cos"),
    (
        "09.2",
        FORWARD_APPLY.replace(
            "zip(partials, args, live) if on", "zip(partials, args, live)"
        ).replace("p * a.tangent", "p * (a.tangent if on else 0.0)"),
        "0 × nan is nan",
    ),
    (
        "09.2",
        FORWARD_APPLY.replace(
            "live = [isinstance(a, Forward) and a.tag == tag for a in args]",
            "live = [isinstance(a, Forward) for a in args]",
        ),
        "the number with tag 5 is a constant",
    ),
    (
        "09.2",
        FORWARD_APPLY.replace(
            "Forward(apply(name, *values), tangent, tag)",
            "Forward(TABLE[name][0](*values), tangent, tag)",
        ),
        "forward_apply called the value function of sin on Forward.* Compute the value "
        r"with apply\(name, \*values\)",
    ),
    (
        "09.2",
        FORWARD_APPLY.replace(
            "Forward(apply(name, *values), tangent, tag)", "Forward(apply(name, *values), tangent)"
        ),
        "the second derivative .forward over forward.",
    ),
    (
        "09.2",
        FORWARD_APPLY.replace("zip(partials, args, live)", "zip(partials[:1], args, live)"),
        "the tangent of forward_apply",
    ),
    (
        "09.2",
        FORWARD_APPLY.replace(
            "tangent = sum(p * a.tangent for p, a, on in zip(partials, args, live) if on)",
            "tangent = sum(TABLE[name][1](*values)[i] * a.tangent\n"
            "                  for i, (a, on) in enumerate(zip(args, live)) if on)",
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
        r"the .grad of the plain number .*takes no gradient.*isinstance\(x, Reverse\)",
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
    ("09.3", GRAPHLIB_SWEEP, r"(?s)TopologicalSorter\(\) is switched off.*your own explicit stack"),
    ("09.3", "import adlearn\n" + MIRRORED_SWEEP, r"Variable\(\) is switched off"),
    (
        "09.4",
        LAUNCH_ANGLE.replace(
            "d = flight_distance(Forward(angle, 1.0, new_tag()))\n        miss = d.value - target",
            "d = flight_distance(angle)\n        miss = d - target",
        ).replace("miss / d.tangent", "miss / ((flight_distance(angle + 1e-6) - d) / 1e-6)"),
        "ran flight_distance on the plain number 20.0",
    ),
    (
        "09.4",
        LAUNCH_ANGLE.replace("range(50)", "range(2)").replace(
            '    raise ArithmeticError(f"no angle found for {target} m in 50 steps")',
            "    return angle",
        ),
        "the ball lands at",
    ),
    (
        "09.4",
        LAUNCH_ANGLE.replace("Forward(angle, 1.0, new_tag())", "Forward(angle, 0.0)"),
        "divided by zero",
    ),
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
    ("09.5", CLOSED_FORM_FIT, "did not follow"),
    (
        "09.5",
        "def fit(steps, lr=0.4):\n    return gradient(fit_loss, [0.0, 0.0, 0.0])",
        r"gradient\(\) is switched off",
    ),
    ("09.6", DIFFERENCED_HVP, r"called backward\(\) 2 times"),
    ("09.6", HVP.replace("n.grad.tangent if", "n.grad.value if"), "entry 0 of H·v"),
    (
        "09.6",
        "def hvp(f, point, vector):\n    return adlearn.hessian_vector_product(f, point, vector)",
        r"hessian_vector_product\(\) is switched off",
    ),
    (
        "09.6",
        SOLVED[2].replace("Reverse(apply(name, *values))", "Reverse(TABLE[name][0](*values))"),
        "raised TypeError",
    ),
    (
        "09.7",
        ADD_RULES.replace(
            "max(z, 0.0) + math.log1p(math.exp(-abs(z)))", "math.log(1 + math.exp(z))"
        ),
        "softplus at z = 800 raised OverflowError",
    ),
    (
        "09.7",
        ADD_RULES.replace("math.log1p(math.exp(-abs(z)))", "math.log(1 + math.exp(-abs(z)))"),
        "the value of softplus",
    ),
    (
        "09.7",
        ADD_RULES.replace("(exp(-softplus(-z)),)", "(1 / (1 + exp(-z)),)"),
        "softplus at z = -800 raised OverflowError",
    ),
    (
        "09.7",
        ADD_RULES.replace("(1 - tanh(x) ** 2,)", "(1 - math.tanh(x) ** 2,)"),
        "calls none of the engine's functions",
    ),
    ("09.7", ADD_RULES.replace("lambda x: (0.0,)", "lambda x: (1.0,)"), "the partial of stop"),
    (
        "09.7",
        "import adlearn\n" + ADD_RULES.replace('"tanh": (math.tanh,', '"tanh": (adlearn.tanh,'),
        r"tanh\(\) is switched off",
    ),
    (
        "09.8",
        TRAIN.replace(
            "        network_loss(nodes).backward()\n",
            "        network_loss(nodes).backward()\n        network_loss(nodes).backward()\n",
        ),
        r"called backward\(\) 4 times",
    ),
    ("09.8", TRAIN.replace("q - lr * n.grad", "q + lr * n.grad"), "parameter 0 after train"),
    ("09.8", HAND_BACKPROP_TRAIN, "did not follow"),
]


@pytest.mark.parametrize("key, source, said", WRONG)
def test_wrong_answer_or_shortcut_is_rejected_with_a_hint(lesson, key, source, said):
    ns = solved(lesson, source) if key != "09.1" else lesson(source)
    if key != "09.1":
        ns["adlearn"] = adlearn
    with pytest.raises(CheckFailed, match=said) as caught:
        checks(ns)[key]()
    message = str(caught.value)
    assert "switched off" in message or "Where to look" in message


# The attempts of the review of lesson 09 (/work/wt/notices/review-09.md), as typed.

FORWARD_SLOPE_BESIDE_DIFFERENCES = """
def launch_angle(target):
    angle, h = 20.0, 1e-6
    while True:
        flight_distance(Forward(angle, 1.0, new_tag()))
        d = flight_distance(angle)
        if abs(d - target) < 1e-10: return angle
        slope = (flight_distance(angle + h) - flight_distance(angle - h)) / (2 * h)
        angle -= (d - target) / slope
"""

ONE_FORWARD_SLOPE_THEN_CHORDS = """
def launch_angle(target):
    angle = 20.0
    slope = flight_distance(Forward(angle, 1.0, new_tag())).tangent
    while True:
        d = flight_distance(angle)
        if abs(d - target) < 1e-10: return angle
        angle -= (d - target) / slope
"""

SECANT = """
def launch_angle(target):
    a0, a1 = 20.0, 21.0
    f0, f1 = flight_distance(a0) - target, flight_distance(a1) - target
    while abs(f1) >= 1e-10:
        a0, a1 = a1, a1 - f1 * (a1 - a0) / (f1 - f0)
        f0, f1 = f1, flight_distance(a1) - target
    return a1
"""

SECANT_ON_FORWARD_VALUES = """
def launch_angle(target):
    d=lambda a: flight_distance(Forward(a,0.0,new_tag())).value - target
    a0,a1=20.0,20.5; f0=d(a0)
    while True:
        f1=d(a1)
        if abs(f1)<1e-10: return a1
        a0,a1,f0 = a1, a1 - f1*(a1-a0)/(f1-f0), f1
"""  # the final learner run's shortcut, as typed

SECANT_WITH_SEEDED_TANGENTS = """
def launch_angle(target):
    d = lambda a: flight_distance(Forward(a, 1.0, new_tag())).value - target
    a0, a1 = 20.0, 20.5
    f0 = d(a0)
    while True:
        f1 = d(a1)
        if abs(f1) < 1e-10:
            return a1
        a0, a1, f0 = a1, a1 - f1 * (a1 - a0) / (f1 - f0), f1
"""

FORWARD_SLOPE_KEPT = """
def launch_angle(target):
    angle = 20.0
    slope = flight_distance(Forward(angle, 1.0, new_tag())).tangent
    for _ in range(200):
        d = flight_distance(Forward(angle, 1.0, new_tag()))
        if abs(d.value - target) < 1e-10:
            return angle
        angle -= (d.value - target) / slope
"""

NEWTON_VARIANTS = {
    "a while loop, the step written with the miss as a Forward number": """
def launch_angle(target):
    angle = 20.0
    while True:
        d = flight_distance(Forward(angle, 1.0, new_tag())) - target
        if abs(d.value) < 1e-10:
            return float(angle)
        angle -= d.value / d.tangent
""",
    "a seed of 2 and the slope divided by it, and a stop on the step's size": """
def launch_angle(target):
    angle, step = 20.0, 1.0
    while abs(step) > 1e-13:
        d = flight_distance(Forward(angle, 2.0, new_tag()))
        step = (d.value - target) / (d.tangent / 2.0)
        angle = angle - step
    return angle
""",
    "two runs per step at the same angle, one for the miss and one for the slope": """
def launch_angle(target):
    angle = 20.0
    for _ in range(50):
        miss = flight_distance(Forward(angle, 1.0, new_tag())).value - target
        if abs(miss) < 1e-10:
            return angle
        slope = flight_distance(Forward(angle, 1.0, new_tag())).tangent
        angle = angle - miss / slope
""",
}


@pytest.mark.parametrize("name", sorted(NEWTON_VARIANTS))
def test_launch_angle_correct_newton_variants_pass(lesson, name):
    ns = solved(lesson, NEWTON_VARIANTS[name])
    assert checks(ns)["09.4"]()


RETURNS_A_FORWARD = """
def launch_angle(target):
    angle = 20.0
    while True:
        d = flight_distance(Forward(angle, 1.0, new_tag()))
        if abs(d.value - target) < 1e-10: return Forward(angle, d.tangent)
        angle = angle - (d.value - target) / d.tangent
"""

SUBMODULE_PARTIALS = (
    FILL_TABLE
    + """
import adlearn
import adlearn.derivatives as _D
_ft = fill_table
def fill_table(table):
    _ft(table)
    table["div"] = (lambda x, y: x / y, lambda x, y: (_D.derivative(lambda t: t / y, x),
                                                       _D.derivative(lambda t: x / t, y)))
    table["log"] = (math.log, lambda x: (_D.derivative(adlearn.log, x),))
"""
)

OWN_RULES = (
    "RULES_MINE = {}\n"
    + FILL_TABLE
    + "fill_table(RULES_MINE)\n"
    + FORWARD_APPLY.replace("TABLE[name]", "RULES_MINE[name]")
)

HVP_LITERAL = """
def hvp(f, point, vector):
    nodes = [Reverse(Forward(p, v)) for p, v in zip(point, vector)]
    f(*nodes).backward()
    return [0.0 if (not isinstance(n.grad, Forward) and n.grad == 0.0) else n.grad.tangent
            for n in nodes]
"""

REUSED_NODES_FIT = """
def fit(steps, lr=0.4):
    nodes = [Reverse(0.0), Reverse(0.0), Reverse(0.0)]
    for _ in range(steps):
        fit_loss(*nodes).backward()
        for n in nodes: n.value = n.value - lr * n.grad
    return [n.value for n in nodes]
"""

REUSED_NODES_TRAIN = """
def train(steps, lr=3.0):
    nodes = [Reverse(q) for q in start]
    for _ in range(steps):
        network_loss(nodes).backward()
        for n in nodes: n.value = n.value - lr * n.grad
    return [n.value for n in nodes]
"""

DIFFERENCED_FORWARD = """
def forward_apply(name, *args):
    tag = max(a.tag for a in args if isinstance(a, Forward))
    live = [isinstance(a, Forward) and a.tag == tag for a in args]
    values = [a.value if l else a for a, l in zip(args, live)]
    value = apply(name, *values)
    tangent = 0.0
    h = 1e-7
    for i, l in enumerate(live):
        if l:
            up = list(values); up[i] = up[i] + h
            dn = list(values); dn[i] = dn[i] - h
            tangent = tangent + (apply(name, *up) - apply(name, *dn)) / (2 * h) * args[i].tangent
    return Forward(value, tangent, tag)
"""

REVIEWERS_FORWARD_APPLY = """
def forward_apply(name, *args):
    tag = max(a.tag for a in args if isinstance(a, Forward))
    live = [isinstance(a, Forward) and a.tag == tag for a in args]
    values = [a.value if l else a for a, l in zip(args, live)]
    value = apply(name, *values)
    partials = TABLE[name][1](*values)
    tangent = 0.0
    for is_live, a, p in zip(live, args, partials):
        if is_live:
            tangent = tangent + p * a.tangent
    return Forward(value, tangent, tag)
"""

REVIEWED = [  # exercise, the reviewer's attempt, what the message must say
    ("09.4", FORWARD_SLOPE_BESIDE_DIFFERENCES, "ran flight_distance on the plain number 20.0"),
    ("09.4", ONE_FORWARD_SLOPE_THEN_CHORDS, "ran flight_distance on the plain number 20.0"),
    ("09.4", SECANT, "ran flight_distance on the plain number 20.0"),
    ("09.4", RETURNS_A_FORWARD, "return the angle itself, a plain float"),
    ("09.4", SECANT_ON_FORWARD_VALUES, r"(?s)had tangent 0.*secant method.*Where to look"),
    ("09.4", SECANT_WITH_SEEDED_TANGENTS, r"(?s)Newton's step with the slope.*Where to look"),
    ("09.4", FORWARD_SLOPE_KEPT, r"(?s)Newton's step with the slope.*Where to look"),
    (
        "09.1",
        FILL_TABLE.replace("p * x ** (p - 1)", "p * math.pow(x, p - 1)"),
        "the partials function of pow only works on floats.* raised TypeError",
    ),
    (
        "09.1",
        FILL_TABLE.replace("(1 / x,)", "(1 / float(x),)"),
        "the partials function of log only works on floats",
    ),
    (
        "09.1",
        FILL_TABLE.replace("lambda x: (exp(x),)", "lambda x: (TABLE['exp'][0](x),)"),
        "the partials function of exp only works on floats",
    ),
    ("09.1", SUBMODULE_PARTIALS, r"derivative\(\) is switched off"),
    (
        "09.1",
        FILL_TABLE.replace("x**p * log(x) if x > 0 else math.nan", "x**p * log(x)"),
        r"the rule for pow at \(-.*, 2\) raised ValueError .* return math.nan",
    ),
    (
        "09.1",
        FILL_TABLE.replace("p * x ** (p - 1)", "p * exp((p - 1) * log(x))"),
        r"the rule for pow at \(-.*, 2\) raised ValueError .*negative base",
    ),
    (
        "09.2",
        FORWARD_APPLY.replace("TABLE[name][1](*values)", "TABLE[name][1](*args)"),
        "called the partials function of sin on Forward.* the same level again",
    ),
    (
        "09.2",
        REVIEWERS_FORWARD_APPLY.replace("TABLE[name][1](*values)", "TABLE[name][1](*args)"),
        "called the partials function of sin on Forward.* the same level again",
    ),
    (
        "09.2",
        REVIEWERS_FORWARD_APPLY.replace("apply(name, *values)", "TABLE[name][0](*values)"),
        "called the value function of sin on Forward.* Compute the value with apply",
    ),
    ("09.2", OWN_RULES, "never called the partials function that TABLE holds for mul"),
    (
        "09.2",
        DIFFERENCED_FORWARD,
        r"the tangent of Forward\(-1.5, 1.0\) \*\* 2.0 is -3.0+\d+, but it should be -3",
    ),
    (
        "09.3",
        REVERSE_APPLY.replace("Reverse(apply(name, *values))", "Reverse(TABLE[name][0](*values))"),
        r"reverse_apply called the value function of sin.* Compute the value with apply",
    ),
    (
        "09.3",
        REVERSE_APPLY.replace("TABLE[name][1](*values)", "TABLE[name][1](*args)"),
        "called the partials function of sin on Reverse.* on the arguments' values",
    ),
    (
        "09.3",
        REVERSE_APPLY.replace(", node.op = ", " = ").replace("(*values)), name", "(*values))"),
        "should be the rule's name",
    ),
    (
        "09.3",
        SWEEP.replace(
            "        if node.inputs:\n            node.grad = 0.0", "        node.grad = 0.0"
        ),
        "keeps adding up over backward.. calls",
    ),
    ("09.5", REUSED_NODES_FIT, "a node reused from an earlier step"),
    ("09.6", HVP_LITERAL, "y's .grad is the plain number 3.0"),
    ("09.6", HVP.replace("f(*nodes)", "f(nodes)"), r"call f\(\*nodes\)"),
    ("09.8", REUSED_NODES_TRAIN, "a node reused from an earlier step"),
    (
        "09.5",
        FIT.replace("    return params", "    return nodes"),
        "returned Reverse.*not the nodes",
    ),
    (
        "09.8",
        TRAIN.replace("    return params", "    return nodes"),
        "returned Reverse.*not the nodes",
    ),
]


@pytest.mark.parametrize("key, source, said", REVIEWED)
def test_the_reviews_attempts_are_rejected_with_the_reason(lesson, key, source, said):
    test_wrong_answer_or_shortcut_is_rejected_with_a_hint(lesson, key, source, said)


def test_a_partial_that_only_works_on_floats_fails_in_09_1_not_09_2(lesson):
    ns = lesson(FILL_TABLE.replace("p * x ** (p - 1)", "p * math.pow(x, p - 1)"))
    with pytest.raises(CheckFailed, match="the partials function of pow only works on floats"):
        lesson09.check_table(ns["fill_table"], ns["TABLE"])
    assert ns["TABLE"] == {}
    ns = solved(lesson)
    assert lesson09.check_forward(ns["forward_apply"], ns["Forward"], ns["TABLE"])


def test_the_table_check_leaves_the_learners_forward_apply_in_place(lesson):
    ns = lesson(FILL_TABLE, STUBS["09.2"])
    mine = ns["forward_apply"]
    assert lesson09.check_table(ns["fill_table"], ns["TABLE"])
    assert ns["forward_apply"] is mine


def test_a_wrong_step_with_new_nodes_says_nothing_of_reused_ones(lesson):
    ns = solved(lesson, TRAIN.replace("q - lr * n.grad", "q + lr * n.grad"))
    with pytest.raises(CheckFailed, match="parameter 0 after train") as caught:
        checks(ns)["09.8"]()
    assert "reused" not in str(caught.value)


def test_a_train_that_changes_start_is_named_and_start_is_put_back(lesson):
    in_place = TRAIN.replace("params = list(start)", "params = start").replace(
        "        params = [q - lr * n.grad for q, n in zip(params, nodes)]\n",
        "        for i, n in enumerate(nodes):\n            params[i] = params[i] - lr * n.grad\n",
    )
    ns = solved(lesson, in_place)
    with pytest.raises(CheckFailed, match="changed start in place"):
        checks(ns)["09.8"]()
    assert ns["start"] == lesson09.network_start()
    ns = lesson(TRAIN)  # the right train, in the same kernel, passes at once
    assert checks(ns)["09.8"]()
    ns["start"][0] += 1.0  # a start changed by an earlier run is named before any step
    with pytest.raises(CheckFailed, match="Re-run the cell that defines start"):
        checks(ns)["09.8"]()


def test_the_reviewers_own_answers_pass(lesson):
    ns = solved(lesson)
    alternatives = [
        ("09.1", FILL_TABLE.replace("-x / y**2", "-x / (y * y)")),
        ("09.2", REVIEWERS_FORWARD_APPLY),
        ("09.3", SWEEP.replace("output.grad += 1.0", "output.grad = 1.0")),
        ("09.4", LAUNCH_ANGLE.replace("for _ in range(50):", "while True:")),
    ]
    for key, source in alternatives:
        lesson(source)
        assert checks(ns)[key](), key


def test_a_demonstration_waits_for_a_missing_rule(lesson):
    ns = solved(lesson)
    del ns["TABLE"]["stop"]
    note = lesson09.run_when_ready(lambda: ns["stop"](1.5), "09.7")
    assert repr(note) == (
        "… Not ready yet: TABLE has no rule 'stop' yet: finish exercises 09.7 (their checks "
        "fill TABLE), then run this cell again."
    )


STUBS = {
    "09.1": "def fill_table(table):\n    raise NotImplementedError",
    "09.2": "def forward_apply(name, *args):\n    raise NotImplementedError",
    "09.3": "def reverse_apply(name, *args):\n    raise NotImplementedError",
    "09.4": "def launch_angle(target):\n    raise NotImplementedError",
    "09.5": "def fit(steps, lr=0.4):\n    raise NotImplementedError",
    "09.6": "def hvp(f, point, vector):\n    raise NotImplementedError",
    "09.7": "def add_rules(table):\n    raise NotImplementedError",
    "09.8": "def train(steps, lr=3.0):\n    raise NotImplementedError",
}


@pytest.mark.parametrize("key", sorted(STUBS))
def test_the_stub_is_not_done_yet(lesson, key):
    if key == "09.1":
        ns = lesson(*SOLVED, STUBS[key])
    else:
        ns = lesson(*SOLVED)
        ns["TABLE"].clear()
        ns["fill_table"](ns["TABLE"])
        if key != "09.7":
            ns["add_rules"](ns["TABLE"])
        ns = lesson(STUBS[key])
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


def test_the_demonstrations_wait_for_the_engine(lesson, capsys):
    ns = lesson(STUBS["09.2"])
    note = lesson09.run_when_ready(lambda: ns["Forward"](1.0, 1.0) * 2.0, "09.1 and 09.2")
    assert repr(note).startswith("… Not ready yet: finish exercises 09.1 and 09.2")
    solved(lesson)
    assert lesson09.run_when_ready(lambda: print("ran"), "09.1 and 09.2") is None
    assert capsys.readouterr().out == "ran\n"


def test_the_tables_rules_are_restored_after_a_check(lesson):
    ns = solved(lesson)
    rules = dict(ns["TABLE"])
    lesson09.check_forward(ns["forward_apply"], ns["Forward"], ns["TABLE"])
    lesson09.check_reverse(ns["reverse_apply"], ns["Reverse"], ns["TABLE"])
    assert ns["TABLE"] == rules
    lesson09.check_rules(ns["add_rules"], ns["TABLE"], ns["apply"], ns["Forward"], ns["Reverse"])
    assert sorted(ns["TABLE"]) == sorted(rules)  # the rules checked are the ones kept


def test_the_engine_trains_the_network_as_lesson_06_did(lesson):
    ns = solved(lesson)
    trained = ns["train"](100)
    assert f"{ns['network_loss'](trained):.4f}" == "0.1036"  # lesson 06's adlearn run


def test_the_hand_gradient_of_the_network_matches_central_differences():
    start = lesson09.network_start()

    def loss(params):
        points, labels = lesson09.network_data()
        total = 0.0
        for (x1, x2), y in zip(points, labels):
            z = params[24] + sum(
                params[18 + j]
                * math.tanh(params[2 * j] * x1 + params[2 * j + 1] * x2 + params[12 + j])
                for j in range(6)
            )
            total += max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y * z
        return total / len(points)

    grad = lesson09._network_gradient(start)
    for i in range(25):
        up, down = list(start), list(start)
        up[i] += 1e-6
        down[i] -= 1e-6
        assert math.isclose(grad[i], (loss(up) - loss(down)) / 2e-6, rel_tol=1e-6, abs_tol=1e-9)


def test_the_learner_edition_shows_no_output_of_the_key():
    sys.path.insert(0, str(ROOT / "scripts"))
    import lessons as lesson_tools

    notebook = copy.deepcopy(nbformat.read(NOTEBOOK, as_version=4))
    lesson_tools.hand_out(notebook, NOTEBOOK.name, lesson_tools.STUB)
    keyed = [c for c in notebook.cells if "uses-solutions" in c.metadata.get("tags", [])]
    assert len(keyed) >= 7
    for cell in notebook.cells:
        shown = repr(cell.get("outputs", []))
        assert "Right" not in shown and "your sweep" not in shown, cell.source[:80]
        if cell.cell_type == "code" and "lesson09." in cell.source and "hint(" not in cell.source:
            assert cell.outputs == [], cell.source[:80]


def test_a_partial_through_another_engine_function_is_accepted(lesson):
    ns = lesson(FILL_TABLE.replace("lambda x: (cos(x),)", "lambda x: (sin(x + math.pi / 2),)"))
    assert lesson09.check_table(ns["fill_table"], ns["TABLE"])


# --- review 2 of the shortcuts (/work/wt/notices/review-shortcuts-2.md), as typed ----------

SWEEP_BY_ADJOINTS = """
from adlearn.core import adjoints as _adj
def reverse_apply(name, *args):
    vals = [a.value if isinstance(a, Reverse) else a for a in args]
    n = Reverse(apply(name, *vals))
    n.inputs, n.partials, n.op = tuple(args), tuple(TABLE[name][1](*vals)), name
    return n
def sweep(output):
    for node, adj in _adj(output).items():
        if not node.inputs: node.grad += adj
        else: node.grad = adj
"""

ORDER_FROM_ADJOINTS_ON_A_SHADOW = """
import adlearn.core as _c
class _A:
    def __init__(s, n): s.n, s.inputs, s.partials, s.tag = n, (), (), None
def sweep(output):
    # the order only: adjoints' dict keys on a float-only shadow graph
    sh, stack = {id(output): _A(output)}, [output]
    while stack:
        n = stack.pop()
        for x in n.inputs:
            if isinstance(x, Reverse) and id(x) not in sh:
                sh[id(x)] = _A(x); stack.append(x)
    for a in sh.values():
        a.inputs = tuple(sh[id(x)] for x in a.n.inputs if isinstance(x, Reverse))
        a.partials = tuple(1.0 for _ in a.inputs)
    order = [a.n for a in _c.adjoints(sh[id(output)])]
    for n in order:
        if n.inputs: n.grad = 0.0
    output.grad += 1.0
    for n in reversed(order):
        for x, p in zip(n.inputs, n.partials):
            if isinstance(x, Reverse): x.grad += p * n.grad
"""

SECANT_THROUGH_A_DEFAULT = """
def launch_angle(target, fd=flight_distance):
    a0, a1 = 20.0, 21.0
    f0, f1 = fd(a0) - target, fd(a1) - target
    while abs(f1) >= 1e-11:
        a0, a1 = a1, a1 - f1 * (a1 - a0) / (f1 - f0)
        f0, f1 = f1, fd(a1) - target
    flight_distance(Forward(a1, 1.0, new_tag()))
    return a1
"""

SECANT_THROUGH_A_CLOSURE = """
def _make(fd):
    def launch_angle(target):
        a0, a1 = 20.0, 21.0
        f0, f1 = fd(a0) - target, fd(a1) - target
        while abs(f1) >= 1e-11:
            a0, a1 = a1, a1 - f1 * (a1 - a0) / (f1 - f0)
            f0, f1 = f1, fd(a1) - target
        flight_distance(Forward(a1, 1.0, new_tag()))
        return a1
    return launch_angle
launch_angle = _make(flight_distance)
"""

CREEPING_ON_FLOATS = """
def launch_angle(target):
    a = 20.0
    while abs(flight_distance(a) - target) > 1e-10:
        a += 0.1
    return a
"""

CREEPING_ON_FORWARD_NUMBERS = """
def launch_angle(target):
    a = 20.0
    while abs(flight_distance(Forward(a, 1.0, new_tag())).value - target) > 1e-10:
        a += 0.1
    return a
"""

SEEDED_IN_RADIANS = """
def launch_angle(target):
    a = 20.0
    for _ in range(50):
        d = flight_distance(Forward(a, math.pi / 180, new_tag()))
        miss = d.value - target
        if abs(miss) < 1e-10: return a
        a = a - miss / d.tangent
    return a
"""

SEED_TWO_DIVIDED_OUT = """
def launch_angle(target):
    angle, seed = 20.0, 2.0
    while True:
        run = flight_distance(Forward(angle, seed, new_tag()))
        miss = run.value - target
        if abs(miss) < 1e-10:
            return float(angle)
        angle -= miss * seed / run.tangent
"""

REVIEWED_TWICE = [  # exercise, the reviewer's attempt, what the message must say
    ("09.3", SWEEP_BY_ADJOINTS, r"adjoints\(\) is switched off.*adlearn's own sweeps"),
    ("09.3", ORDER_FROM_ADJOINTS_ON_A_SHADOW, r"adjoints\(\) is switched off"),
    ("09.4", SECANT_THROUGH_A_DEFAULT, "ran flight_distance on the plain number 20.0"),
    ("09.4", SECANT_THROUGH_A_CLOSURE, "ran flight_distance on the plain number 20.0"),
    ("09.4", CREEPING_ON_FLOATS, "ran flight_distance on the plain number 20.0"),
    ("09.4", CREEPING_ON_FORWARD_NUMBERS, r"more than 200 times for one target.*stopped it"),
    ("09.4", SEEDED_IN_RADIANS, r"divided by zero.*wrong way or too far.*the tangent you seeded"),
]


@pytest.mark.parametrize("key, source, said", REVIEWED_TWICE)
def test_the_second_reviews_attempts_are_rejected_with_the_reason(lesson, key, source, said):
    test_wrong_answer_or_shortcut_is_rejected_with_a_hint(lesson, key, source, said)


def test_flight_distance_is_itself_again_after_the_check(lesson):
    ns = solved(lesson, SECANT_THROUGH_A_DEFAULT)
    code = ns["flight_distance"].__code__
    with pytest.raises(CheckFailed):
        checks(ns)["09.4"]()
    assert ns["flight_distance"].__code__ is code
    assert ns["flight_distance"](30.0) == pytest.approx(lesson09.flight_distance(30.0), 1e-12)
    assert not [name for name in ns if name.startswith("_adlearn_flight_watch")]


def test_a_seed_of_two_divided_back_out_passes(lesson):
    assert checks(solved(lesson, SEED_TWO_DIVIDED_OUT))["09.4"]()


BRENTQ_ON_A_COPY = """
import scipy.optimize as so
def _fd(angle, speed=30.0, drag=0.1, dt=0.01):
    a = angle * math.pi / 180
    x, y = 0.0, 0.0
    vx, vy = speed * math.cos(a), speed * math.sin(a)
    while True:
        xn, yn = x + vx * dt, y + vy * dt
        if yn < 0:
            return x + (xn - x) * y / (y - yn)
        x, y = xn, yn
        vx, vy = vx - drag * vx * dt, vy - (9.81 + drag * vy) * dt
def launch_angle(target):
    a = so.brentq(lambda t: _fd(t) - target, 1.0, 44.0, xtol=1e-14, rtol=1e-15)
    flight_distance(Forward(a, 1.0, new_tag()))
    return a
"""


def test_an_angle_found_elsewhere_with_one_forward_run_at_the_end_is_rejected(lesson):
    pytest.importorskip("scipy")
    said = r"on a Forward number only at .*no Newton step can be seen"
    test_wrong_answer_or_shortcut_is_rejected_with_a_hint(lesson, "09.4", BRENTQ_ON_A_COPY, said)


def test_an_answer_that_is_not_where_the_newton_steps_went_is_rejected(lesson):
    source = LAUNCH_ANGLE.replace("            return angle", "            return angle + 1e-7")
    assert source != LAUNCH_ANGLE
    said = r"returned .*, but its last run on a Forward number was at .*Newton's step"
    test_wrong_answer_or_shortcut_is_rejected_with_a_hint(lesson, "09.4", source, said)
