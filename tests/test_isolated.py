"""Grading in a fresh process (adlearn.checks.isolated), without nbgrader: a few seconds.

One small notebook of lesson 02's checks goes through `grade_cells` once: honest answers
pass, and each trick below fails the check it aims at, for the reason it should. The
whole course goes through nbgrader in tests/test_nbgrader.py.
"""

from __future__ import annotations

import math
from pathlib import Path

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


# --- the adversarial review's routes (notices/review-cheat.md), each on a stub answer ---

GATES_OF = (  # the grader's Gates object, from a gate's closure (None outside grading)
    "def _gates():\n"
    "    import adlearn.checks.isolated as iso\n"
    "    for g in getattr(iso, 'GATES', {}).values():\n"
    "        return dict(zip(g.__code__.co_freevars,\n"
    "                        (c.cell_contents for c in g.__closure__)))['gates']\n"
)
FORGE = (  # write a passing verdict for every check cell, with the runner's token
    "def _forge():\n"
    "    import sys, os, json\n"
    "    f = sys._getframe()\n"
    "    while f is not None and f.f_code.co_name != '_grade_in_child':\n"
    "        f = f.f_back\n"
    "    if f is None:\n"
    "        return\n"
    "    L = f.f_locals\n"
    "    for i, (kind, _) in enumerate(L['cells']):\n"
    "        if kind == 'check':\n"
    "            os.write(L['channel'], (json.dumps({'token': L['token'], 'cell': i,\n"
    "                     'passed': True, 'done': True, 'message': '✓ Right'}) + '\\n').encode())\n"
)
STUB = "def predicted_tangent():\n    raise NotImplementedError"
ATTACKS: dict[str, list[tuple[str, str]]] = {
    # F1: switch the frame ban off through the Gates object, then forge the verdicts
    "F1 frames through the Gates object": [
        ("code", IMPORTS + "\n" + GATES_OF + FORGE),
        ("code", "def predicted_tangent():\n    g = _gates()\n    try:\n"
                 "        g.asking.on = True\n    except AttributeError:\n        pass\n"
                 "    _forge()\n    raise NotImplementedError"),
        ("check", CHECK_PREDICTION),
    ],
    # F2: a __class__ property in adlearn's namespace, asked by the fingerprint
    "F2 a __class__ property run by the runner": [
        ("code", IMPORTS + "\n" + FORGE),
        ("code", "class _Sneaky:\n    @property\n    def __class__(self):\n"
                 "        try:\n            _forge()\n        except Exception:\n"
                 "            pass\n        return _Sneaky\nadlearn._sneaky = _Sneaky()\n" + STUB),
        ("check", CHECK_PREDICTION),
    ],
    # F7: a float whose __float__ looks at the check's frames
    "F7 a lazy float": [
        ("code", IMPORTS + "\n" + GATES_OF + FORGE),
        ("code", "class Lazy(float):\n    def __float__(self):\n        try:\n"
                 "            _gates().asking.on = True\n        except AttributeError:\n"
                 "            pass\n        _forge()\n"
                 "        return 0.0\ndef predicted_tangent():\n    return Lazy(0.0)"),
        ("check", CHECK_PREDICTION),
    ],
    # F5: the running check's list of switched-off functions, emptied
    "F5 the Gates object edited": [
        ("code", IMPORTS + "\n" + GATES_OF),
        ("code", "def newton(h, x, steps=30):\n    g = _gates()\n"
                 "    for name in ('trusted', 'allowed'):\n        try:\n"
                 "            setattr(g, name, (lambda *a: True) if name == 'allowed' else set())\n"
                 "        except (AttributeError, TypeError):\n            pass\n"
                 "    g.active = frozenset()\n"
                 "    for _ in range(steps):\n"
                 "        v, d = adlearn.value_and_derivative(h, x)\n        x = x - v / d\n"
                 "    return x"),
        ("check", CHECK_NEWTON),
    ],
    # /proc reached by another spelling of its path
    "//proc": [
        ("code", IMPORTS),
        ("code", "def predicted_tangent():\n    open('//proc/self/status').read()\n    return 4.0"),
        ("check", CHECK_PREDICTION),
    ],
}
REFUSED_BECAUSE = {
    "F1 frames through the Gates object": "GradingRefused",
    "F2 a __class__ property run by the runner": "Tampering detected",
    "F7 a lazy float": "GradingRefused",
    "F5 the Gates object edited": "Tampering detected",
    "//proc": "GradingRefused",
}


@pytest.mark.parametrize("route", list(ATTACKS))
def test_a_learner_cannot_forge_the_verdict_or_lift_a_gate(route):
    (verdict,) = grade_cells(ATTACKS[route])
    assert verdict["passed"] is False, verdict
    assert REFUSED_BECAUSE[route] in verdict["message"], verdict


def test_a_poisoned_pycache_is_never_loaded():
    # F3: the kernel writes a .pyc of the grader that passes everything, with the source's
    # own time stamp and size; the fresh process must compile the source instead.
    import importlib._bootstrap_external as bootstrap
    import importlib.util
    import os

    from adlearn.checks import isolated

    source = isolated.__file__
    cached = importlib.util.cache_from_source(source)
    text = Path(source).read_text()
    poisoned = text.replace('"passed": passed is True,', '"passed": True,').replace(
        '"done": done is not False,', '"done": True,')
    assert poisoned != text  # the attack still aims at lines that exist
    kept = Path(cached).read_bytes() if os.path.exists(cached) else None
    stat = os.stat(source)
    os.makedirs(os.path.dirname(cached), exist_ok=True)
    try:
        with open(cached, "wb") as out:
            out.write(bootstrap._code_to_timestamp_pyc(
                compile(poisoned, source, "exec"), int(stat.st_mtime), stat.st_size))
        (verdict,) = grade_cells([("code", IMPORTS + "\n" + STUB), ("check", CHECK_PREDICTION)])
    finally:
        if kept is None:
            os.remove(cached)
        else:
            Path(cached).write_bytes(kept)
    assert verdict["passed"] is False and "not done" in verdict["message"], verdict


def test_no_pth_file_or_sitecustomize_runs_in_the_fresh_process():
    # A kernel may write a .pth file into site-packages: Python runs its import lines at
    # start-up, before the grader. The fresh process starts with -S, so none of them runs.
    import site

    poison = Path(site.getsitepackages()[0]) / "zz_adlearn_grading_test.pth"
    poison.write_text("import builtins; builtins.ADLEARN_PTH_RAN = True\n")
    try:
        (verdict,) = grade_cells([
            ("code", IMPORTS + "\nimport builtins\ndef predicted_tangent():\n"
                     "    assert not hasattr(builtins, 'ADLEARN_PTH_RAN')\n    return 4.0"),
            ("check", CHECK_PREDICTION),
        ])
    finally:
        poison.unlink()
    assert verdict["passed"] is True, verdict
