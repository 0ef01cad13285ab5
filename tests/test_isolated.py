"""Grading in a fresh process (adlearn.checks.isolated), without nbgrader: a few seconds.

One small notebook of lesson 02's checks goes through `grade_cells` once: honest answers
pass, and each trick below fails the check it aims at, for the reason it should. The
whole course goes through nbgrader in tests/test_nbgrader.py.
"""

from __future__ import annotations

import math

import pytest

from adlearn.checks import same
from adlearn.checks.isolated import grade_cells, python_source

IMPORTS = (
    "import math\nimport adlearn\nfrom adlearn import Dual\nfrom adlearn.checks import lesson02"
)
RIGHT = "def predicted_tangent():\n    return 4.0"
NEWTON = (
    "def newton(h, x, steps=30):\n    for _ in range(steps):\n        y = h(Dual(x, 1.0))\n"
    "        x = x - y.value / y.derivative\n    return x"
)
CHECK_PREDICTION = "lesson02.check_prediction(predicted_tangent)"
CHECK_NEWTON = "lesson02.check_newton(newton)"

CELLS: list[tuple[str, str, str]] = [
    # (kind, source, what the verdict must say); "" for code cells
    ("code", IMPORTS, ""),
    ("code", "%%time\n" + RIGHT, ""),  # a magic: its code still runs
    ("check", CHECK_PREDICTION + "\nassert predicted_tangent() == 4.0", "✓ Right"),
    ("code", NEWTON, ""),
    ("check", CHECK_NEWTON, "✓ Right"),
    # a forbidden function kept as a default argument, and through its submodule
    ("code", "def newton(h, x, steps=30, _f=adlearn.value_and_derivative):\n"
             "    for _ in range(steps):\n        v, d = _f(h, x)\n        x = x - v / d\n"
             "    return x", ""),
    ("check", CHECK_NEWTON, "value_and_derivative() is switched off"),
    ("code", "def newton(h, x, steps=30):\n    for _ in range(steps):\n"
             "        v, d = adlearn.higher.value_and_derivative(h, x)\n        x = x - v / d\n"
             "    return x", ""),
    ("check", CHECK_NEWTON, "value_and_derivative() is switched off"),
    # ... in a closure; and adlearn's Dual handed in as the answer, under another name
    ("code", "def make():\n    f = adlearn.value_and_derivative\n"
             "    def newton(h, x, steps=30):\n        for _ in range(steps):\n"
             "            v, d = f(h, x)\n            x = x - v / d\n        return x\n"
             "    return newton\nnewton = make()", ""),
    ("check", CHECK_NEWTON, "value_and_derivative() is switched off"),
    ("code", "class MyDual(adlearn.dual.Dual):\n    pass", ""),
    ("check", "lesson02.check_arithmetic(MyDual)", "handed to the check as your answer"),
    # the check's locals, through its frame
    ("code", "def newton(h, x, steps=30):\n    import sys\n"
             "    return sys._getframe(1).f_locals['root']", ""),
    ("check", CHECK_NEWTON, "GradingRefused"),
    # a line that looks like a result on the output: ignored without the token
    ("code", "import os\nos.write(1, b'{\"token\": \"x\", \"cell\": 12, \"passed\": true}\\n')\n"
             "print('{\"cell\": 12, \"passed\": true}')\n" + "def predicted_tangent():\n"
             "    raise NotImplementedError", ""),
    ("check", CHECK_PREDICTION, "not done scores 0"),
    # an instructor's own test code in a test cell counts too
    ("code", RIGHT, ""),
    ("check", CHECK_PREDICTION + "\nassert predicted_tangent() == 5.0", "AssertionError"),
    # tampering: rebinding a check, after which every check scores 0
    ("code", "lesson02.check_prediction = lambda *args: None", ""),
    ("check", CHECK_PREDICTION, "Tampering detected"),
    ("check", CHECK_NEWTON, "Tampering detected"),
]


@pytest.fixture(scope="module")
def verdicts() -> list[dict]:
    return grade_cells([(kind, source) for kind, source, _ in CELLS])


def test_each_check_gets_the_verdict_it_should(verdicts):
    expected = [(says, says.startswith("✓")) for kind, _, says in CELLS if kind == "check"]
    assert len(verdicts) == len(expected)
    for number, (verdict, (says, passes)) in enumerate(zip(verdicts, expected)):
        assert says in verdict["message"], (number, verdict)
        assert verdict["passed"] is passes, (number, verdict)


def test_magics_become_python():
    assert "get_ipython()" in python_source("%time x = 1")
    assert python_source("x = 1\n") == "x = 1\n"


def test_same_compares_numbers_never_through_the_learners_eq():
    class Same:
        def __eq__(self, other):
            return True

        __hash__ = object.__hash__

    assert same(2.0, 2) and same(("minus", 1), ("minus", 1.0)) and same(None, None)
    assert not same(Same(), 2.0) and not same((Same(), Same()), ("minus", 1))
    assert not same(True, 1.0) and not same(math.nan, math.nan) and not same("1", 1.0)


def test_a_closure_is_switched_off_too():
    # adlearn makes some functions with a factory (tanh, relu, sqrt): their code has free
    # variables, and the gate that replaces it must have the same ones.
    from adlearn.checks import ShortcutUsed
    from adlearn.checks.isolated import Gates

    def factory(k):
        def scaled(x, y=1.0):
            return k * x * y

        return scaled

    scaled = factory(3.0)
    gates = Gates([])  # nothing trusted: every caller is the learner's
    gates._gate_function(scaled, 1, "scaled()")
    assert scaled(2.0) == 6.0 and scaled(2.0, y=2.0) == 12.0  # no check forbids it yet
    gates.active = {1}
    with pytest.raises(ShortcutUsed, match="scaled"):
        scaled(2.0)
