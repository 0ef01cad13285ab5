"""The exercises of lesson 08: the worked solutions pass, wrong answers and shortcuts do not.

Each solution is written here exactly as in the notebook (a test checks that it is),
and defined in ``__main__``, the namespace a notebook's code lives in, so that the
checks see it as they see a learner's code.
"""

import cmath
import math
from pathlib import Path

import nbformat
import pytest
from test_exercises_07 import define_in_main  # run a cell's source in __main__

import adlearn
from adlearn import Dual, Variable, define_primitive, exp, log, sigmoid
from adlearn.checks import CheckFailed, lesson08
from adlearn.core import RULES

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "08-memory-and-cost.ipynb"

COUNTS = """
def checkpoint_counts(n_steps, every):
    segments = math.ceil(n_steps / every)
    last = n_steps - (segments - 1) * every
    return (segments, n_steps - last)
"""

SHARED = """
def checkpointed_shared_gradient(step, x0, theta, n_steps, every):
    states, x = [], x0
    for start in range(0, n_steps, every):
        states.append(x)
        for _ in range(min(every, n_steps - start)):
            x = step(x, theta)
    totals, adjoint = [0.0] * len(theta), 1.0
    for start in reversed(range(0, n_steps, every)):
        first = Variable(states.pop())
        params = [Variable(t) for t in theta]
        end = first
        for _ in range(min(every, n_steps - start)):
            end = step(end, params)
        (end * adjoint).backward()
        totals = [s + p.grad for s, p in zip(totals, params)]
        adjoint = first.grad
    return totals
"""

SOFTPLUS = """
def make_softplus():
    return define_primitive(
        "my_softplus",
        value=lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),
        partials=lambda x, out: (sigmoid(x),),
        complex_=lambda z: cmath.log(1 + cmath.exp(z)),
    )
"""

STOP = """
def stop_gradient(x):
    while isinstance(x, (Dual, Variable)):
        x = x.value
    return x
"""

STUB = """
def {name}(*args):
    raise NotImplementedError("Exercise: replace this line with your solution.")
"""

NAMES = {
    "math": math,
    "cmath": cmath,
    "Dual": Dual,
    "Variable": Variable,
    "define_primitive": define_primitive,
    "sigmoid": sigmoid,
    "exp": exp,
    "log": log,
    "adlearn": adlearn,
}


@pytest.fixture
def notebook(monkeypatch):
    rules_before = set(RULES)
    yield lambda source: define_in_main(monkeypatch, source, NAMES)
    for name in set(RULES) - rules_before:  # a primitive a wrong answer left behind
        del RULES[name]


def test_the_notebook_holds_the_same_solutions():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    solutions = "\n".join(c.source for c in cells if "solution" in c.metadata.get("tags", []))
    for source in (COUNTS, SHARED, SOFTPLUS, STOP):
        for line in source.strip().splitlines():
            assert line.strip() in solutions, line


EXERCISES = {  # key: (check, worked solution, the name the check is given, what "Right" says)
    "08.1": (lesson08.check_checkpoint_counts, COUNTS, "checkpoint_counts", "all 10 cases"),
    "08.2": (
        lesson08.check_checkpointed_shared,
        SHARED,
        "checkpointed_shared_gradient",
        "recorded once",
    ),
    "08.3": (lesson08.check_softplus, SOFTPLUS, "make_softplus", "one node"),
    "08.4": (lesson08.check_stop_gradient, STOP, "stop_gradient", "every level"),
}


@pytest.mark.parametrize("key", EXERCISES)
def test_worked_solution_passes(notebook, key):
    check, source, name, said = EXERCISES[key]
    result = check(notebook(source)[name])
    assert result and said in repr(result), repr(result)


def test_the_softplus_check_can_run_twice(notebook):
    check, source, name, _ = EXERCISES["08.3"]
    function = notebook(source)[name]
    assert check(function) and check(function)
    assert "my_softplus" not in RULES  # the check removes what it defined


@pytest.mark.parametrize("key", EXERCISES)
def test_the_stub_is_not_done_yet(notebook, key):
    check, _, name, _ = EXERCISES[key]
    result = check(notebook(STUB.format(name=name))[name])
    assert not result and not result.done and "Not done yet" in repr(result)


WRONG = [  # key, a typical wrong answer or shortcut, what the message must say
    (  # forgets the shorter last segment
        "08.1",
        "def checkpoint_counts(n_steps, every):\n"
        "    segments = math.ceil(n_steps / every)\n"
        "    return (segments, n_steps - every)",
        "steps run twice, not",
    ),
    (  # n_steps // every misses the last, shorter segment
        "08.1",
        "def checkpoint_counts(n_steps, every):\n    return (n_steps // every, n_steps - every)",
        "states, not",
    ),
    (
        "08.1",
        "def checkpoint_counts(n_steps, every):\n"
        "    r = adlearn.checkpointed_gradient(adlearn.sin, 0.3, n_steps, every)\n"
        "    return (r.checkpoints, r.recomputed_steps)",
        r"checkpointed_gradient\(\) is switched off",
    ),
    (  # keeps only the last segment's parameter gradient instead of the sum
        "08.2",
        SHARED.replace(
            "totals = [s + p.grad for s, p in zip(totals, params)]",
            "totals = [p.grad for p in params]",
        ),
        "the gradient for",
    ),
    (  # plain reverse mode through the whole chain: right numbers, all the memory
        "08.2",
        """
def checkpointed_shared_gradient(step, x0, theta, n_steps, every):
    params = [Variable(t) for t in theta]
    x = Variable(x0)
    for _ in range(n_steps):
        x = step(x, params)
    x.backward()
    return [p.grad for p in params]
""",
        "peak memory",
    ),
    (  # records the forward sweep too
        "08.2",
        SHARED.replace("states, x = [], x0", "states, x = [], Variable(x0)").replace(
            "first = Variable(states.pop())", "first = Variable(states.pop().value)"
        ),
        "steps were recorded",
    ),
    (  # composed from log and exp: three nodes, and overflow
        "08.3",
        "def make_softplus():\n    return lambda x: log(1 + exp(x))",
        "nodes in the graph",
    ),
    (  # the partial written with math: fails under nesting
        "08.3",
        SOFTPLUS.replace("(sigmoid(x),)", "(1 / (1 + math.exp(-x)),)"),
        "TypeError",
    ),
    (  # review 07-08, I4: never overflows, but log(1 + tiny) rounds where log1p would not
        "08.3",
        SOFTPLUS.replace("math.log1p(math.exp(-abs(x)))", "math.log(1 + math.exp(-abs(x)))"),
        "log1p",
    ),
    (  # the naive formula: right digits where e^x is large, lost ones where it is tiny
        "08.3",
        SOFTPLUS.replace(
            "max(x, 0.0) + math.log1p(math.exp(-abs(x)))", "math.log(1 + math.exp(x))"
        ),
        "softplus",
    ),
    (  # no complex version: the complex step cannot verify it
        "08.3",
        SOFTPLUS.replace("        complex_=lambda z: cmath.log(1 + cmath.exp(z)),\n", ""),
        "complex_",
    ),
    (  # one level only
        "08.4",
        "def stop_gradient(x):\n    return x.value if isinstance(x, (Dual, Variable)) else x",
        "nested",
    ),
    (  # the identity: nothing stopped
        "08.4",
        "def stop_gradient(x):\n    return x",
        "reverse mode",
    ),
]


@pytest.mark.parametrize("key, source, said", WRONG)
def test_wrong_answer_or_shortcut_is_rejected_with_a_hint(notebook, key, source, said):
    check, _, name, _ = EXERCISES[key]
    with pytest.raises(CheckFailed, match=said) as caught:
        check(notebook(source)[name])
    message = str(caught.value)
    assert "switched off" in message or "Where to look" in message


def test_switched_off_functions_work_again_afterwards(notebook):
    test_wrong_answer_or_shortcut_is_rejected_with_a_hint(notebook, *WRONG[2])
    assert adlearn.checkpointed_gradient(adlearn.sin, 0.3, 10, 3).checkpoints == 4


def test_the_first_two_hints_give_no_code():
    from adlearn.checks.exercise import EXERCISES

    for key in ("08.1", "08.2", "08.3", "08.4"):
        hints = EXERCISES[key].hints
        assert len(hints) == 3
        for early in hints[:2]:
            for code in ("def ", "lambda", "ceil(", "log1p(", "max(x", "isinstance", ".backward()"):
                assert code not in early, (key, code)
        assert "def " in hints[2]
