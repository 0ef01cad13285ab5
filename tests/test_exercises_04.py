"""The exercises of lesson 04: worked solutions pass; wrong answers and shortcuts do not.

Each solution is written here as in the notebook (a test compares them line by line)
and run in ``__main__``, where a notebook's code lives, so that the checks see it as
they see a learner's code (and switch off the same shortcuts there).
"""

import cmath
import math
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import adlearn
from adlearn.checks import CheckFailed, lesson04, numerical_gradient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04-reverse-mode.ipynb"

NAIVE = """
class NaiveValue:
    calls = 0  # how many times back() ran, over all nodes

    def __init__(self, value, inputs=()):
        self.value = value
        self.inputs = inputs  # pairs (input node, local partial)
        self.grad = 0.0

    def __add__(self, other):
        return type(self)(self.value + other.value, ((self, 1.0), (other, 1.0)))

    def __mul__(self, other):
        return type(self)(self.value * other.value,
                          ((self, other.value), (other, self.value)))
"""

PREDICTION = """
def predicted_grad():
    return 36.0  # u = 6, v = 9; v̄ = u = 6, ū = v + v̄ = 15; ā = ū·b + v̄ = 36
"""

BY_HAND = """
def grad_p_by_hand(x1, x2):
    t1 = x1 + x2
    t2 = x1 * x2
    t3 = math.exp(t2)
    t4_bar = 1.0
    t1_bar = t4_bar * t3          # t4 = t1 * t3
    t3_bar = t4_bar * t1
    t2_bar = t3_bar * t3          # t3 = exp(t2), whose derivative is t3 itself
    x1_bar = t1_bar * 1 + t2_bar * x2   # x1 is used twice: by t1 and by t2
    x2_bar = t1_bar * 1 + t2_bar * x1
    return (x1_bar, x2_bar, t1_bar, t2_bar, t3_bar)
"""

SWEEP = """
class SweepValue(NaiveValue):
    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:                      # depth-first, with a stack instead of recursion
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)        # every input of node is already in order
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((x, False) for x, _ in node.inputs if id(x) not in seen)
        for node in order:
            if node.inputs:
                node.grad = 0.0           # intermediate adjoints start afresh
        self.grad += 1.0
        for node in reversed(order):      # every user of a node comes before it
            for x, partial in node.inputs:
                x.grad += partial * node.grad
"""

FIRST_WRONG = """
def first_wrong_partial(rules):
    for name, (value, partials) in rules.items():
        try:
            point = [0.7, 1.3]
            value(*point)
        except TypeError:  # a rule of one input
            point = [0.7]
        for i, claimed in enumerate(partials(*point)):
            up, down = list(point), list(point)
            up[i] += 1e-6
            down[i] -= 1e-6
            slope = (value(*up) - value(*down)) / 2e-6
            if abs(slope - claimed) > 1e-5 * max(1.0, abs(slope)):
                return (name, i)
    return None
"""

WEIGHTED = """
def weighted_gradient(x, y, z):
    xs = [Variable(x), Variable(y), Variable(z)]
    out1, out2 = F(*xs)
    weighted = 2.0 * out1 - 1.0 * out2  # seeding the outputs with u = (2, -1)
    weighted.backward()
    return tuple(v.grad for v in xs)
"""

LESSON_TABLE = {
    "add": (lambda x, y: x + y, lambda x, y: (1.0, 1.0)),
    "div": (lambda x, y: x / y, lambda x, y: (1 / y, -1 / y**2)),
}


def F(x, y, z):
    return [x * y * z, adlearn.sin(x) + adlearn.exp(y) - z]


def run_in_main(monkeypatch, source, name):
    """Run `source` in __main__, as a notebook cell would; undone by `monkeypatch`."""
    namespace = vars(sys.modules["__main__"])
    given = {
        "math": math,
        "Variable": adlearn.Variable,
        "F": F,
        "gradient": adlearn.gradient,
        "vjp": adlearn.vjp,
        "topological_order": adlearn.topological_order,
        "numerical_gradient": numerical_gradient,
        "derivative": adlearn.derivative,
        "exp": adlearn.exp,
        "cmath": cmath,
    }
    for key, value in given.items():
        monkeypatch.setitem(namespace, key, value)
    before = set(namespace)
    exec(textwrap.dedent(NAIVE), namespace)
    exec(textwrap.dedent(source), namespace)
    for key in set(namespace) - before:  # undone after the test, as the given names are
        value = namespace.pop(key)
        monkeypatch.setitem(namespace, key, value)
    return namespace[name]


@pytest.fixture
def notebook(monkeypatch):
    return lambda source, name: run_in_main(monkeypatch, source, name)


def call(check, answer):
    """Call `check` with the learner's answer (and the lesson's table for 04.4)."""
    if check is lesson04.check_first_wrong_partial:
        return check(answer, LESSON_TABLE)
    return check(answer)


def test_the_notebook_holds_the_same_solutions():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    for source in (NAIVE, PREDICTION, BY_HAND, SWEEP, FIRST_WRONG, WEIGHTED):
        for line in source.strip().splitlines():
            assert line.strip() in code, line


SOLUTIONS = [  # check, worked solution, the name it defines, what "Right" says
    (lesson04.check_prediction, PREDICTION, "predicted_grad", "a.grad is 36"),
    (lesson04.check_grad_p_by_hand, BY_HAND, "grad_p_by_hand", "12 digits"),
    (lesson04.check_backward, SWEEP, "SweepValue", "exactly 2**60"),
    (lesson04.check_first_wrong_partial, FIRST_WRONG, "first_wrong_partial", "('div', 1)"),
    (lesson04.check_weighted_gradient, WEIGHTED, "weighted_gradient", "one backward()"),
]

PER_PATH = """
class SweepValue(NaiveValue):
    def backward(self, grad=1.0):
        self.grad += grad
        for node, partial in self.inputs:
            node.backward(grad * partial)
"""

RECURSIVE_ORDER = """
class SweepValue(NaiveValue):
    def backward(self):
        order, seen = [], set()
        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for x, _ in node.inputs:
                    visit(x)
                order.append(node)
        visit(self)
        for node in order:
            if node.inputs:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            for x, partial in node.inputs:
                x.grad += partial * node.grad
"""

SEEN_AT_PUSH = """
class SweepValue(NaiveValue):
    def backward(self):
        order, seen, stack = [], {id(self)}, [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            stack.append((node, True))
            for x, _ in node.inputs:
                if id(x) not in seen:
                    seen.add(id(x))
                    stack.append((x, False))
        for node in order:
            if node.inputs:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            for x, partial in node.inputs:
                x.grad += partial * node.grad
"""

NO_RESET = SWEEP.replace("            if node.inputs:\n", "            if False:\n")

GRAPHLIB_ORDER = """
import graphlib
class SweepValue(NaiveValue):
    def backward(self):
        ts=graphlib.TopologicalSorter(); st=[self]; seen={id(self)}; nodes={id(self):self}
        while st:
            n=st.pop(); ts.add(id(n), *[id(m) for m,_ in n.inputs])
            for m,_ in n.inputs:
                if id(m) not in seen: seen.add(id(m)); nodes[id(m)]=m; st.append(m)
        order=[nodes[k] for k in ts.static_order()]
        for n in order:
            if n.inputs: n.grad=0.0
        self.grad=1.0
        for n in reversed(order):
            for m,p in n.inputs: m.grad += p*n.grad
"""

WRONG = [  # check, a typical wrong answer or shortcut, the name it defines, the message
    (
        lesson04.check_prediction,
        "def predicted_grad():\n    return 30.0",
        "predicted_grad",
        "30 is what you get when a's use by v = u \\+ a is forgotten",
    ),
    (
        lesson04.check_prediction,
        "def predicted_grad():\n    return 24.0",
        "predicted_grad",
        "24 is the derivative of u · u",
    ),
    (
        lesson04.check_prediction,
        "def predicted_grad():\n    return 27.0",
        "predicted_grad",
        "27 is not a.grad",
    ),
    (
        lesson04.check_prediction,
        "def predicted_grad():\n    a = Variable(3.0)\n    return 0.0",
        "predicted_grad",
        r"Variable\(\) is switched off",
    ),
    (
        lesson04.check_grad_p_by_hand,  # x1's use by t1 forgotten
        BY_HAND.replace("t1_bar * 1 + t2_bar * x2", "t2_bar * x2"),
        "grad_p_by_hand",
        "the adjoint of x1 at",
    ),
    (
        lesson04.check_grad_p_by_hand,  # central differences: right to 8 digits, not 12
        "def grad_p_by_hand(x1, x2):\n"
        "    return numerical_gradient(lambda a, b: (a + b) * math.exp(a * b), [x1, x2])",
        "grad_p_by_hand",
        "should return five adjoints",
    ),
    (
        lesson04.check_grad_p_by_hand,
        "def grad_p_by_hand(x1, x2):\n"
        "    return tuple(gradient(lambda a, b: (a + b) * a, [x1, x2]))",
        "grad_p_by_hand",
        r"gradient\(\) is switched off",
    ),
    (
        lesson04.check_grad_p_by_hand,  # the learner run's shortcut: the closed form
        "def grad_p_by_hand(x1, x2):\n"
        "    e = math.exp(x1 * x2)\n"
        "    return (e + (x1 + x2) * x2 * e, e + (x1 + x2) * x1 * e)",
        "grad_p_by_hand",
        "should return five adjoints",
    ),
    (
        lesson04.check_grad_p_by_hand,  # the closed form padded with made-up adjoints
        "def grad_p_by_hand(x1, x2):\n"
        "    e = math.exp(x1 * x2)\n"
        "    return (e + (x1 + x2) * x2 * e, e + (x1 + x2) * x1 * e, 0.0, 0.0, 0.0)",
        "grad_p_by_hand",
        "the adjoint of t1 at",
    ),
    (
        lesson04.check_grad_p_by_hand,  # the complex step
        "def grad_p_by_hand(x1, x2):\n"
        "    p = lambda a, b: (a + b) * cmath.exp(a * b)\n"
        "    d1 = p(x1 + 1e-30j, x2).imag / 1e-30\n"
        "    d2 = p(x1, x2 + 1e-30j).imag / 1e-30\n"
        "    return (d1, d2, 0.0, 0.0, 0.0)",
        "grad_p_by_hand",
        "complex step",
    ),
    (
        lesson04.check_grad_p_by_hand,  # forward mode through adlearn
        "def grad_p_by_hand(x1, x2):\n"
        "    d = derivative(lambda a: (a + x2) * exp(a * x2), x1)\n"
        "    return (d, d, 0.0, 0.0, 0.0)",
        "grad_p_by_hand",
        r"derivative\(\) is switched off",
    ),
    (lesson04.check_backward, PER_PATH, "SweepValue", "2046 times, but the graph has only 20"),
    (lesson04.check_backward, RECURSIVE_ORDER, "SweepValue", "recursion limit"),
    (lesson04.check_backward, NO_RESET, "SweepValue", "after a second backward"),
    (lesson04.check_backward, SEEN_AT_PUSH, "SweepValue", "should be 114"),
    (
        lesson04.check_backward,
        "class SweepValue(NaiveValue):\n    def backward(self):\n        topological_order(self)",
        "SweepValue",
        r"topological_order\(\) is switched off",
    ),
    (  # the final learner run: Python's sorter writes the order the exercise asks for
        lesson04.check_backward,
        GRAPHLIB_ORDER,
        "SweepValue",
        r"(?s)TopologicalSorter\(\) is switched off.*write the order yourself, with the "
        "explicit stack",
    ),
    (
        lesson04.check_first_wrong_partial,
        "def first_wrong_partial(rules):\n    return None",
        "first_wrong_partial",
        r"returned None, not \('minus', 1\)",
    ),
    (
        lesson04.check_first_wrong_partial,  # at x = 1, 1/x**2 and 3x look right
        FIRST_WRONG.replace("[0.7, 1.3]", "[1.0, 1.0]").replace("[0.7]", "[1.0]"),
        "first_wrong_partial",
        "returned None, not",
    ),
    (
        lesson04.check_first_wrong_partial,  # a central difference cannot meet 1e-12
        FIRST_WRONG.replace("1e-5", "1e-12"),
        "first_wrong_partial",
        "too tight",
    ),
    (
        lesson04.check_weighted_gradient,
        "def weighted_gradient(x, y, z):\n"
        "    rows = []\n"
        "    for k in range(2):\n"
        "        xs = [Variable(x), Variable(y), Variable(z)]\n"
        "        F(*xs)[k].backward()\n"
        "        rows.append([v.grad for v in xs])\n"
        "    return tuple(2 * a - b for a, b in zip(*rows))",
        "weighted_gradient",
        "called backward\\(\\) 2 times",
    ),
    (
        lesson04.check_weighted_gradient,
        "def weighted_gradient(x, y, z):\n    return tuple(vjp(F, [x, y, z], [2.0, -1.0]))",
        "weighted_gradient",
        r"vjp\(\) is switched off",
    ),
    (
        lesson04.check_weighted_gradient,  # the learner run's shortcut: a dummy sweep
        "def weighted_gradient(x, y, z):\n"
        "    Variable(0.0).backward()\n"
        "    return (2 * y * z - math.cos(x), 2 * x * z - math.exp(y), 2 * x * y + 1)",
        "weighted_gradient",
        "did not follow",
    ),
    (
        lesson04.check_weighted_gradient,  # the final learner run: the right sweep, unread
        "def weighted_gradient(x, y, z):\n"
        "    xs = [Variable(x), Variable(y), Variable(z)]\n"
        "    a, b = F(*xs)\n"
        "    (2 * a - b).backward()\n"
        "    return (2 * y * z - math.cos(x), 2 * x * z - math.exp(y), 2 * x * y + 1)",
        "weighted_gradient",
        "not read from the .grad",
    ),
    (
        lesson04.check_weighted_gradient,  # the right sweep, but numbers from elsewhere
        "def weighted_gradient(x, y, z):\n"
        "    xs = [Variable(x), Variable(y), Variable(z)]\n"
        "    out1, out2 = F(*xs)\n"
        "    (2.0 * out1 - out2).backward()\n"
        "    return tuple(v.grad * (1 + 1e-15) for v in xs)",
        "weighted_gradient",
        "is not the .grad that your backward",
    ),
    (  # review 04-06, W1: a central difference is close, and the message says so
        lesson04.check_prediction,
        "def predicted_grad():\n"
        "    y = lambda a: (a * 2.0 + a) * (a * 2.0)\n"
        "    return (y(3.0 + 1e-5) - y(3.0 - 1e-5)) / 2e-5",
        "predicted_grad",
        r"36.0000000004135 is close to a.grad but not exact: a numerical estimate",
    ),
    (  # a one-sided difference is further off: printed with its digits, not as "36"
        lesson04.check_prediction,
        "def predicted_grad():\n"
        "    y = lambda a: (a * 2.0 + a) * (a * 2.0)\n"
        "    return (y(3.0 + 1e-7) - y(3.0)) / 1e-7",
        "predicted_grad",
        r"36.00000\d+ is close to a.grad but not exact",
    ),
    (  # review 04-06, N1: a breadth-first order is not a topological one
        lesson04.check_backward,
        """
class SweepValue(NaiveValue):
    def backward(self):
        order, seen, queue = [], {id(self)}, [self]
        while queue:
            node = queue.pop(0)
            order.append(node)
            for x, _ in node.inputs:
                if id(x) not in seen:
                    seen.add(id(x))
                    queue.append(x)
        for node in order:
            if node.inputs:
                node.grad = 0.0
        self.grad = 1.0
        for node in order:
            for x, partial in node.inputs:
                x.grad += partial * node.grad
""",
        "SweepValue",
        r"should be 114.*A queue \(breadth first\) does not give that",
    ),
    (  # review 04-06, N2: a hard-coded answer names a rule the table does not have
        lesson04.check_first_wrong_partial,
        "def first_wrong_partial(rules):\n    return ('div', 1)",
        "first_wrong_partial",
        "that name is not even in the table",
    ),
    (  # ... or names a rule of the table without testing it
        lesson04.check_first_wrong_partial,
        "def first_wrong_partial(rules):\n    return (next(iter(rules)), 0)",
        "first_wrong_partial",
        "without ever calling the partials",
    ),
]


@pytest.mark.parametrize("check, source, name, said", SOLUTIONS)
def test_worked_solution_passes(notebook, check, source, name, said):
    result = call(check, notebook(source, name))
    assert result and said in repr(result)


@pytest.mark.parametrize("check, source, name, said", WRONG)
def test_wrong_answer_or_shortcut_is_rejected_with_a_hint(notebook, check, source, name, said):
    with pytest.raises(CheckFailed, match=said) as caught:
        call(check, notebook(source, name))
    message = str(caught.value)
    assert "switched off" in message or "Where to look" in message


@pytest.mark.parametrize("check, source, name, said", SOLUTIONS)
def test_the_stub_is_not_done_yet(notebook, check, source, name, said):
    stub = "raise NotImplementedError('Exercise: replace this line with your solution.')"
    if name == "SweepValue":
        source = f"class SweepValue(NaiveValue):\n    def backward(self):\n        {stub}"
    else:
        source = f"def {name}(*args):\n    {stub}"
    result = call(check, notebook(source, name))
    assert not result and not result.done and "Not done yet" in repr(result)


def test_the_recursion_limit_and_the_switched_off_functions_are_restored(notebook):
    limit = sys.getrecursionlimit()
    recursive = next(w for w in WRONG if w[1] is RECURSIVE_ORDER)
    test_wrong_answer_or_shortcut_is_rejected_with_a_hint(notebook, *recursive)
    assert sys.getrecursionlimit() == limit
    assert sys.setrecursionlimit.__name__ == "setrecursionlimit"
    assert adlearn.Variable(2.0).value == 2.0
    assert adlearn.Variable.backward.__name__ == "backward"


def test_random_programs_are_tame_and_the_same_every_run():
    point = [0.7, 1.1, 1.3]
    names = ("add", "sub", "mul", "div", "pow", "neg", "sin", "cos", "exp", "log")
    program = lesson04.random_program("test", point, 30, names)
    assert program == lesson04.random_program("test", point, 30, names)
    value, grad = lesson04.adlearn_gradient(program, point)
    assert math.isfinite(value) and all(math.isfinite(g) for g in grad)
    # the gradient agrees with central differences of the same program on floats
    f = lambda *xs: lesson04.run_program(program, xs, lesson04.FLOAT_UNARY)  # noqa: E731
    assert value == pytest.approx(f(*point), rel=1e-14)
    assert grad == pytest.approx(list(numerical_gradient(f, point)), rel=1e-5, abs=1e-8)
    assert "t0 = " in lesson04.describe(program, 3)


@pytest.mark.parametrize("check", [s[0] for s in SOLUTIONS])
def test_three_hints_and_the_first_two_hold_no_code(check):
    hints = check.exercise.hints
    assert len(hints) == 3
    for text in hints[:2]:
        assert "\n" not in text and "**" not in text and "def " not in text  # no code
        assert "lambda" not in text and "return (" not in text
    assert "def " in hints[2]  # the worked answer is code


# --- review 2 of the shortcuts (/work/wt/notices/review-shortcuts-2.md), as typed ----------

ADJOINTS_ON_A_SHADOW = """
import adlearn.core as _c
class _A:
    def __init__(self, n): self.n = n; self.inputs = []; self.partials = []
class SweepValue(NaiveValue):
    def backward(self):
        ad, stack = {id(self): _A(self)}, [self]
        while stack:
            n = stack.pop()
            for i, p in n.inputs:
                if id(i) not in ad:
                    ad[id(i)] = _A(i); stack.append(i)
                ad[id(n)].inputs.append(ad[id(i)]); ad[id(n)].partials.append(0.0)
        order = [a.n for a in _c.adjoints(ad[id(self)])]
        for n in order:
            if n.inputs: n.grad = 0.0
        self.grad = 1.0
        for n in reversed(order):
            for i, p in n.inputs: i.grad += p * n.grad
"""

CREATION_STAMPS = """
import itertools as _it
_stamp = _it.count()
class SweepValue(NaiveValue):
    def __init__(self, *a, **k):
        super().__init__(*a, **k); self.t = next(_stamp)
    def backward(self):
        nodes, stack, seen = [], [self], set()
        while stack:
            n = stack.pop()
            if id(n) in seen: continue
            seen.add(id(n)); nodes.append(n); stack.extend(i for i, _ in n.inputs)
        order = sorted(nodes, key=lambda n: n.t)
        for n in order:
            if n.inputs: n.grad = 0.0
        self.grad = 1.0
        for n in reversed(order):
            for i, p in n.inputs: i.grad += p * n.grad
"""

KAHN = """
class SweepValue(NaiveValue):
    def backward(self):
        users, stack, seen = {}, [self], {id(self)}
        while stack:
            n = stack.pop()
            for i, _ in n.inputs:
                users[id(i)] = users.get(id(i), 0) + 1
                if id(i) not in seen: seen.add(id(i)); stack.append(i)
        ready, order = [self], []
        while ready:
            n = ready.pop(); order.append(n)
            for i, _ in n.inputs:
                users[id(i)] -= 1
                if users[id(i)] == 0: ready.append(i)
        for n in order:
            if n.inputs: n.grad = 0.0
        self.grad += 1.0
        for n in order:
            for i, p in n.inputs: i.grad += n.grad * p
"""


@pytest.mark.parametrize(
    "source, said",
    [
        (ADJOINTS_ON_A_SHADOW, r"adjoints\(\) is switched off.*adlearn's own sweeps"),
        (ADJOINTS_ON_A_SHADOW.replace("[a.n for a in _c.adjoints(", "[a.n for a, *_ in "
                                      "_c.reverse_sweep(").replace(")]\n", ")][::-1]\n", 1),
         r"reverse_sweep\(\) is switched off"),
        (ADJOINTS_ON_A_SHADOW.replace("_c.adjoints(ad[id(self)])",
                                      "__import__('adlearn.graph').graph.Graph.of("
                                      "ad[id(self)]).nodes"),
         r"Graph\.of\(\) is switched off"),
    ],
)
def test_adlearns_own_sweeps_are_refused_in_04_3(notebook, source, said):
    with pytest.raises(CheckFailed, match=said):
        call(lesson04.check_backward, notebook(source, "SweepValue"))
    x = adlearn.Variable(3.0)
    assert adlearn.core.adjoints(x * x)[x] == 6.0  # and they work again afterwards


@pytest.mark.parametrize("source", [CREATION_STAMPS, KAHN])
def test_other_honest_orders_pass_in_04_3(notebook, source):
    assert call(lesson04.check_backward, notebook(source, "SweepValue"))
