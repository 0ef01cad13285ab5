"""The exercises of lesson 07: the worked solutions pass, wrong answers and shortcuts do not.

Each solution is written here exactly as in the notebook (a test checks that it is),
and defined in ``__main__``, the namespace a notebook's code lives in, so that the
checks see it as they see a learner's code.
"""

import math
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import adlearn
from adlearn import Dual, Variable, new_tag
from adlearn.checks import CheckFailed, lesson07

NOTEBOOK = (
    Path(__file__).resolve().parent.parent / "notebooks" / "07-derivatives-of-derivatives.ipynb"
)

PREDICTION = """
def my_prediction(a):
    return a + 1
"""

NESTED = """
def my_derivative(f, x):
    t = new_tag()
    result = f(Dual(x, 1.0, tag=t))
    if isinstance(result, Dual) and result.tag == t:
        return result.derivative
    return 0.0


def my_second_derivative(f, x):
    return my_derivative(lambda t: my_derivative(f, t), x)
"""

HVP = """
def my_hvp(f, point, v):
    t = new_tag()
    inputs = [Variable(Dual(p, d, tag=t)) for p, d in zip(point, v)]
    f(*inputs).backward()
    return tuple(x.grad.derivative if isinstance(x.grad, Dual) and x.grad.tag == t
                 else 0.0 for x in inputs)
"""

NEWTON = """
def newton_minimum(f, x, steps):
    for _ in range(steps):
        t1 = new_tag()
        t2 = new_tag()
        y = f(Dual(Dual(x, 1.0, tag=t1), 1.0, tag=t2))
        x = x - y.derivative.value / y.derivative.derivative
    return x
"""

EIGEN = """
def largest_eigenvalue(f, point, rounds):
    v = [1.0 / math.sqrt(len(point))] * len(point)
    estimate = 0.0
    for _ in range(rounds):
        w = my_hvp(f, point, v)
        estimate = sum(a * b for a, b in zip(v, w))
        length = math.sqrt(sum(b * b for b in w))
        v = [b / length for b in w]
    return estimate
"""

STUB = """
def {name}(*args):
    raise NotImplementedError("Exercise: replace this line with your solution.")
"""

NAMES = {"Dual": Dual, "Variable": Variable, "new_tag": new_tag, "adlearn": adlearn, "math": math}


def define_in_main(monkeypatch, source, names=NAMES):
    """Run `source` in __main__, as a notebook cell would; undone with `monkeypatch`."""
    namespace = vars(sys.modules["__main__"])
    for key, value in names.items():
        monkeypatch.setitem(namespace, key, value)
    before = set(namespace)
    exec(textwrap.dedent(source), namespace)
    for key in set(namespace) - before:
        monkeypatch.setitem(namespace, key, namespace.pop(key))
    return namespace


@pytest.fixture
def notebook(monkeypatch):
    return lambda source: define_in_main(monkeypatch, source)


def test_the_notebook_holds_the_same_solutions():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    solutions = "\n".join(c.source for c in cells if "solution" in c.metadata.get("tags", []))
    for source in (PREDICTION, NESTED, HVP, NEWTON, EIGEN):
        for line in source.strip().splitlines():
            assert line.strip() in solutions, line


def run(check, namespace, names):
    return check(*(namespace[name] for name in names))


EXERCISES = {  # key: (check, worked solution, the names the check is given, what "Right" says)
    "07.1": (lesson07.check_confusion_prediction, PREDICTION, ["my_prediction"], "instead of 4"),
    "07.2": (
        lesson07.check_nested_derivative,
        NESTED,
        ["my_derivative", "my_second_derivative"],
        "f runs once",
    ),
    "07.3": (lesson07.check_hvp, HVP, ["my_hvp"], "one evaluation of f"),
    "07.4": (lesson07.check_newton_one_pass, NEWTON, ["newton_minimum"], "evaluates f once"),
    "07.5": (
        lesson07.check_largest_eigenvalue,
        HVP + EIGEN,
        ["largest_eigenvalue"],
        "without ever forming H",
    ),
}


@pytest.mark.parametrize("key", EXERCISES)
def test_worked_solution_passes(notebook, key):
    check, source, names, said = EXERCISES[key]
    result = run(check, notebook(source), names)
    assert result and said in repr(result), repr(result)


@pytest.mark.parametrize("key", EXERCISES)
def test_the_stub_is_not_done_yet(notebook, key):
    check, _, names, _ = EXERCISES[key]
    namespace = notebook("\n".join(STUB.format(name=name) for name in names))
    result = run(check, namespace, names)
    assert not result and not result.done and "Not done yet" in repr(result)


WRONG = [  # key, a typical wrong answer or shortcut, what the message must say
    (  # the Hessian from adlearn, then its largest eigenvalue: the shortcut
        "07.5",
        "import numpy\n"
        "def largest_eigenvalue(f, point, rounds):\n"
        "    return max(numpy.linalg.eigvalsh(adlearn.hessian(f, point)))",
        r"hessian\(\) is switched off",
    ),
    (  # H column by column from n products, then numpy: n evaluations, not one per round
        "07.5",
        HVP + "import numpy\n"
        "def largest_eigenvalue(f, point, rounds):\n"
        "    n = len(point)\n"
        "    columns = [my_hvp(f, point, [float(i == j) for i in range(n)]) for j in range(n)]\n"
        "    return float(max(numpy.linalg.eigvalsh(numpy.array(columns))))",
        "evaluated f 3 times in 40 rounds; expected exactly 40.*formed H",
    ),
    (  # review 07-08, N7: adlearn's Hessian-vector product instead of your own my_hvp
        "07.5",
        EIGEN.replace("my_hvp(f, point, v)", "adlearn.hessian_vector_product(f, point, v)"),
        r"hessian_vector_product\(\) is switched off",
    ),
    (  # one round only: the first estimate, v·Hv for the starting vector
        "07.5",
        HVP + EIGEN.replace("for _ in range(rounds):", "for _ in range(1):"),
        "evaluated f 1 times",
    ),
    ("07.1", "def my_prediction(a):\n    return 2 * a", "true derivative of x·x"),
    ("07.1", "def my_prediction(a):\n    return 2.0", "not what the naive nested derivative"),
    (  # the number at a = 2 only, from running the expression once: not the formula
        "07.1",
        "def my_prediction(a):\n    return 3.0",
        "right at a = 2 but not elsewhere",
    ),
    ("07.1", "def my_prediction(a):\n    return a", "not what the naive nested derivative"),
    (  # one tag made once and shared by every call: the classic perturbation confusion
        "07.2",
        "ONE_TAG = new_tag()\n" + NESTED.replace("t = new_tag()", "t = ONE_TAG"),
        "share an ε",
    ),
    (  # untagged Duals: every call seeds the same ε
        "07.2",
        NESTED.replace("Dual(x, 1.0, tag=t)", "Dual(x, 1.0)").replace(
            "result.tag == t", "result.tag == Dual(0.0).tag"
        ),
        "share an ε",
    ),
    (  # reads any Dual's tangent, also one that belongs to an outer derivative
        "07.2",
        NESTED.replace("isinstance(result, Dual) and result.tag == t", "isinstance(result, Dual)"),
        "belongs to another call",
    ),
    (  # review 07-08, I5: an untagged hand-nested Dual; right alone, wrong inside a derivative
        "07.2",
        NESTED.replace(
            "return my_derivative(lambda t: my_derivative(f, t), x)",
            "return f(Dual(Dual(x, 1.0), 1.0)).derivative.derivative",
        ),
        "outer derivative take over",
    ),
    (  # the same with one tag made once, before the check's derivative: too old
        "07.2",
        "OLD = new_tag()\n"
        + NESTED.replace(
            "return my_derivative(lambda t: my_derivative(f, t), x)",
            "return f(Dual(Dual(x, 1.0, tag=OLD), 1.0, tag=OLD)).derivative.derivative",
        ),
        "are your tags fresh",
    ),
    (  # a central difference of first derivatives is not nesting
        "07.2",
        NESTED.replace(
            "return my_derivative(lambda t: my_derivative(f, t), x)",
            "return (my_derivative(f, x + 1e-5) - my_derivative(f, x - 1e-5)) / 2e-5",
        ),
        "evaluated f 2 times",
    ),
    (
        "07.2",
        NESTED.replace(
            "return my_derivative(lambda t: my_derivative(f, t), x)",
            "return adlearn.second_derivative(f, x)",
        ),
        r"second_derivative\(\) is switched off",
    ),
    (  # the Hessian column by column: right numbers, n evaluations
        "07.3",
        """
def my_hvp(f, point, v):
    n = len(point)
    columns = []
    for j in range(n):
        t = new_tag()
        inputs = [Variable(Dual(p, 1.0 if i == j else 0.0, tag=t)) for i, p in enumerate(point)]
        f(*inputs).backward()
        columns.append([x.grad.derivative if isinstance(x.grad, Dual) else 0.0 for x in inputs])
    return tuple(sum(columns[j][i] * v[j] for j in range(n)) for i in range(n))
""",
        "evaluated f 3 times",
    ),
    (  # a hand-made Dual with the default tag: refused, the hint asks for a fresh tag
        "07.3",
        HVP.replace("Dual(p, d, tag=t)", "Dual(p, d)").replace(
            "t = new_tag()", "t = Dual(0.0).tag"
        ),
        "fresh tag",
    ),
    (  # an input that f ignores has a plain 0.0 as its gradient
        "07.3",
        HVP.replace(
            "x.grad.derivative if isinstance(x.grad, Dual) and x.grad.tag == t\n"
            "                 else 0.0 for x in inputs",
            "x.grad.derivative for x in inputs",
        ),
        "AttributeError",
    ),
    (
        "07.3",
        "def my_hvp(f, point, v):\n    return adlearn.hessian_vector_product(f, point, v)",
        r"hessian_vector_product\(\) is switched off",
    ),
    (  # f' and f'' from two separate evaluations
        "07.4",
        NESTED
        + """
def newton_minimum(f, x, steps):
    for _ in range(steps):
        x = x - my_derivative(f, x) / my_second_derivative(f, x)
    return x
""",
        "evaluated f 2 times for 1 step",
    ),
    (  # untagged Duals: right alone, wrong when newton_minimum runs inside a derivative
        "07.4",
        NEWTON.replace("Dual(Dual(x, 1.0, tag=t1), 1.0, tag=t2)", "Dual(Dual(x, 1.0), 1.0)"),
        "inside derivative",
    ),
    (  # tags made once, before any derivative runs, are older than the check's derivative
        "07.4",
        "T1, T2 = new_tag(), new_tag()\n"
        + NEWTON.replace("t1 = new_tag()", "t1 = T1").replace("t2 = new_tag()", "t2 = T2"),
        "are your tags fresh",
    ),
    (  # a sign error: a step uphill
        "07.4",
        NEWTON.replace("x = x - y", "x = x + y"),
        "Newton step",
    ),
    (
        "07.4",
        "def newton_minimum(f, x, steps):\n"
        "    for _ in range(steps):\n"
        "        x = x - adlearn.derivative(f, x) / adlearn.second_derivative(f, x)\n"
        "    return x",
        r"is switched off",
    ),
]


@pytest.mark.parametrize("key, source, said", WRONG)
def test_wrong_answer_or_shortcut_is_rejected_with_a_hint(notebook, key, source, said):
    check, _, names, _ = EXERCISES[key]
    with pytest.raises(CheckFailed, match=said) as caught:
        run(check, notebook(source), names)
    message = str(caught.value)
    assert "switched off" in message or "Where to look" in message


def test_switched_off_functions_work_again_afterwards(notebook):
    test_wrong_answer_or_shortcut_is_rejected_with_a_hint(notebook, *WRONG[5])
    assert adlearn.second_derivative(lambda x: x**3, 2.0) == pytest.approx(12.0)


def test_one_shared_fresh_tag_per_step_is_accepted_in_07_4(notebook):
    """Both levels of one nested seed may share a tag if it is fresh ("When do tags matter?")."""
    source = NEWTON.replace("t2 = new_tag()", "t2 = t1")
    result = run(lesson07.check_newton_one_pass, notebook(source), ["newton_minimum"])
    assert result, repr(result)


def test_the_first_hint_is_a_nudge_without_code():
    from adlearn.checks.exercise import EXERCISES

    for key in ("07.1", "07.2", "07.3", "07.4", "07.5"):
        hints = EXERCISES[key].hints
        assert len(hints) == 3
        for early in hints[:2]:
            for code in ("def ", "tag=", "lambda", ".derivative", "a + 1", "3.0"):
                assert code not in early, (key, code)
        assert "def " in hints[2]


def test_one_shared_fresh_tag_is_accepted_in_07_2(notebook):
    """A hand-nested second derivative with one fresh tag for both levels is right, also
    inside another derivative, as the lesson's rule says."""
    source = NESTED.replace(
        "return my_derivative(lambda t: my_derivative(f, t), x)",
        "t = new_tag()\n    return f(Dual(Dual(x, 1.0, tag=t), 1.0, tag=t)).derivative.derivative",
    )
    result = run(lesson07.check_nested_derivative, notebook(source), EXERCISES["07.2"][2])
    assert result, repr(result)


def test_tags_made_once_per_call_before_the_loop_are_accepted_in_07_4(notebook):
    """Tags made inside newton_minimum, before its loop, are newer than any derivative it
    runs inside, so they are right (the final learner run); only tags made outside the
    function, before the check's derivative began, are too old (WRONG above)."""
    source = NEWTON.replace(
        "    for _ in range(steps):\n        t1 = new_tag()\n        t2 = new_tag()\n",
        "    t1, t2 = new_tag(), new_tag()\n    for _ in range(steps):\n",
    )
    assert "t1, t2 = new_tag(), new_tag()\n    for" in source
    result = run(lesson07.check_newton_one_pass, notebook(source), ["newton_minimum"])
    assert result, repr(result)


# --- review 2 of the shortcuts (/work/wt/notices/review-shortcuts-2.md), as typed ----------

PAST_THE_COUNTER = """
def newton_minimum(f, x, steps):
    g = getattr(f, "f", f)
    for _ in range(steps):
        f(x)
        t = new_tag()
        d1 = lambda u: g(Dual(u, 1.0, tag=new_tag())).derivative
        h = 1e-5
        fp = d1(x); fpp = (d1(x + h) - d1(x - h)) / (2 * h)
        x = x - fp / fpp
    return x
"""

FORWARD_OVER_REVERSE = """
from adlearn import Variable
def newton_minimum(f, x, steps):
    for _ in range(steps):
        t = new_tag()
        v = Variable(Dual(x, 1.0, tag=t))
        f(v).backward()
        x = x - v.grad.value / v.grad.derivative
    return x
"""

GRADIENT_OF_A_DUAL = """
from adlearn import gradient as _g
def newton_minimum(f, x, steps):
    for _ in range(steps):
        t = new_tag()
        gd = _g(f, [Dual(x, 1.0, tag=t)])[0]
        x = x - gd.value / gd.derivative
    return x
"""

JACOBIAN_REVERSE_OF_A_DUAL = """
from adlearn import jacobian_reverse as _jr
def newton_minimum(f, x, steps):
    for _ in range(steps):
        J = _jr(lambda u: [f(u)], [Dual(x, 1.0, tag=new_tag())])
        d = J[0][0]
        x = x - d.value / d.derivative
    return x
"""

TAGS_ONCE_NESTED_SEED = """
def newton_minimum(f, x, steps):
    outer, inner = new_tag(), new_tag()
    for _ in range(steps):
        y = f(Dual(Dual(x, 1.0, tag=outer), Dual(1.0, 0.0, tag=outer), tag=inner))
        fp, fpp = y.derivative.value, y.derivative.derivative
        x = x - fp / fpp
    return x
"""


@pytest.mark.parametrize(
    "source, said",
    [
        (PAST_THE_COUNTER, r"evaluated f 4 times for 1 step"),
        (FORWARD_OVER_REVERSE, r"Variable\(\) is switched off.*Reverse mode over a Dual"),
        (GRADIENT_OF_A_DUAL, r"gradient\(\) is switched off.*dual number of dual numbers"),
        (JACOBIAN_REVERSE_OF_A_DUAL, r"jacobian_reverse\(\) is switched off"),
    ],
)
def test_07_4_reverse_mode_and_the_counters_original_are_refused(notebook, source, said):
    with pytest.raises(CheckFailed, match=said):
        run(lesson07.check_newton_one_pass, notebook(source), ["newton_minimum"])
    v = Variable(2.0)  # reverse mode works again afterwards
    (v * v).backward()
    assert v.grad == 4.0


def test_the_counted_f_has_no_attribute_that_holds_f():
    f_counted, calls = lesson07.counted(math.sin)
    assert f_counted(0.5) == math.sin(0.5) and calls() == 1
    assert not [name for name in vars(f_counted) if callable(getattr(f_counted, name))]
    assert getattr(f_counted, "f", None) is None and calls() == 1


def test_07_4_tags_once_per_call_with_a_nested_seed_pass(notebook):
    result = run(lesson07.check_newton_one_pass, notebook(TAGS_ONCE_NESTED_SEED),
                 ["newton_minimum"])
    assert result and "evaluates f once" in repr(result)
