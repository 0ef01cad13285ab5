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
from adlearn.checks.isolated import grade_cells, grade_notebook, python_source

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

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


CLOSURE_GATE = """
import sys, types
from adlearn.checks.isolated import _gated_code

def factory(k):
    def scaled(x, y=1.0):
        return k * x * y
    return scaled

scaled = factory(3.0)
original = types.FunctionType(scaled.__code__, scaled.__globals__, "scaled",
                              scaled.__defaults__, scaled.__closure__)
seen = []

def hook(event, box):  # the audit hook's part, without the hook: hand over the original
    seen.append(sorted(sys._getframe(1).f_locals))  # the gate's frame: its locals, read
    box.append(original)

scaled.__code__ = _gated_code(scaled, "scaled()")
scaled.__defaults__, scaled.__kwdefaults__ = None, {"_adlearn_audit": hook}
print(scaled(2.0), scaled(2.0, y=2.0), scaled.__code__.co_freevars, seen[0])
"""


def test_a_closure_is_switched_off_too():
    # adlearn makes some functions with a factory (tanh, relu, sqrt): their code has free
    # variables, and the gate that replaces it must have the same ones, and copy them
    # into its frame first (reading the frame's locals used to crash Python).
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", CLOSURE_GATE], capture_output=True,
                         text=True, check=False, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["6.0", "12.0", "('k',)", "['_adlearn_audit',", "'args',",
                                  "'box',", "'k',", "'kwargs']"], run.stdout


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
                 "    try:\n        g.active = frozenset()\n"
                 "    except AttributeError:\n        pass\n"
                 "    for _ in range(steps):\n"
                 "        v, d = adlearn.value_and_derivative(h, x)\n        x = x - v / d\n"
                 "    return x"),
        ("check", CHECK_NEWTON),
    ],
    # an exception a check raised, kept and read in a later cell: its traceback's frames
    # lead to the runner's (its token and channel), where frames are no longer refused
    "a kept traceback": [
        ("code", IMPORTS + "\n" + "_kept = []\ndef predicted_tangent():\n    try:\n"
                 "        raise ValueError('kept')\n    except ValueError as error:\n"
                 "        _kept.append(error)\n        raise\n"),
        ("check", CHECK_PREDICTION),
        ("code", "import os, json\nf = _kept[0].__traceback__.tb_next.tb_frame\n"
                 "while f is not None:\n    if f.f_code.co_name == '_grade_in_child':\n"
                 "        L = f.f_locals\n        for i, (kind, _) in enumerate(L['cells']):\n"
                 "            os.write(L['channel'], (json.dumps({'token': L['token'], "
                 "'cell': i, 'passed': True, 'done': True, 'message': 'forged'}) + "
                 "'\\n').encode())\n    f = f.f_back\n"),
        ("check", CHECK_PREDICTION),
    ],
    # a generator's frame, taken in a cell, resumed by the answer during a check: from it,
    # walk up to the runner (its token and channel) or report an outcome of its own
    "a generator's frame kept from a cell": [
        ("code", IMPORTS + "\n" + "import sys, os, json\n"
                 "def _walker():\n    me = sys._getframe()\n    yield\n    f = me.f_back\n"
                 "    while f is not None:\n        L = f.f_locals\n"
                 "        if 'token' in L and 'channel' in L:\n"
                 "            for i in range(len(L['cells'])):\n"
                 "                os.write(L['channel'], (json.dumps({'token': L['token'], "
                 "'cell': i, 'passed': True, 'done': True, 'message': 'forged'}) + "
                 "'\\n').encode())\n"
                 "        if f.f_code.co_name == '_run_check':\n"
                 "            try:\n"
                 "                sys.audit('adlearn.outcome', (True, True, 'forged'))\n"
                 "            except Exception:\n                pass\n"
                 "        f = f.f_back\n    yield\n"
                 "_gen = _walker()\nnext(_gen)\n"
                 "def predicted_tangent():\n    next(_gen, None)\n"
                 "    raise NotImplementedError"),
        ("check", CHECK_PREDICTION),
    ],
    # the same generator, resumed by a key of the learner's in adlearn's namespace, whose
    # __hash__ the runner's fingerprint comparison runs between checks
    "a key's __hash__ run by the runner": [
        ("code", IMPORTS + "\n" + "import sys, os, json\n"
                 "def _walker():\n    me = sys._getframe()\n    while True:\n        yield\n"
                 "        f = me.f_back\n        while f is not None:\n"
                 "            L = f.f_locals\n"
                 "            if 'token' in L and 'channel' in L:\n"
                 "                for i in range(len(L['cells'])):\n"
                 "                    os.write(L['channel'], (json.dumps({'token': "
                 "L['token'], 'cell': i, 'passed': True, 'done': True, 'message': "
                 "'forged'}) + '\\n').encode())\n"
                 "            f = f.f_back\n"
                 "_gen = _walker()\nnext(_gen)\n"
                 "class Key(str):\n    def __hash__(self):\n        try:\n"
                 "            next(_gen)\n        except Exception:\n            pass\n"
                 "        return str.__hash__(self)\n"
                 "    def __eq__(self, other):\n        return str.__eq__(self, other)\n"
                 "setattr(adlearn, Key('zz_key'), 1)\n" + STUB),
        ("check", CHECK_PREDICTION),
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
    "F5 the Gates object edited": "is switched off",  # there is no such object any more
    "//proc": "GradingRefused",
    # the stub's own verdicts, not the forged ones
    "a kept traceback": "raised ValueError",
    "a generator's frame kept from a cell": "not done scores 0",
    "a key's __hash__ run by the runner": "not done scores 0",
}


@pytest.mark.parametrize("route", list(ATTACKS))
def test_a_learner_cannot_forge_the_verdict_or_lift_a_gate(route):
    verdict = grade_cells(ATTACKS[route])[-1]
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


# --- the review's F4 and F6: the original of a switched-off function, or an object of a
# switched-off class made without its constructor (notices/review-cheat.md). Each route
# runs on lesson 04's own notebook, through the fresh process, in a cell of its own
# before the check it aims at; if it finds nothing it falls back to the plain call, which
# the check refuses. Any route that still found an ungated original would pass its check.

STEAL = {  # how to get an ungated adlearn.gradient, written as a learner would
    "F4 the gate's global and its closure (the review's route)": (
        "def _ungate(f):\n"
        "    for name, g in list(f.__globals__.items()):\n"
        "        if name.startswith('_adlearn_gate_') and getattr(g, '__closure__', None):\n"
        "            cells = dict(zip(g.__code__.co_freevars,\n"
        "                             (c.cell_contents for c in g.__closure__)))\n"
        "            return cells.get('twin', f)\n"
        "    return f\n"
        "_stolen = _ungate(adlearn.gradient)"),
    "cell_contents of the function's own closure": (
        "_stolen = adlearn.gradient\n"
        "for _c in adlearn.gradient.__closure__ or ():\n"
        "    if callable(_c.cell_contents):\n"
        "        _stolen = _c.cell_contents"),
    "__wrapped__, inspect.unwrap and functools.partial": (
        "import functools, inspect\n"
        "_stolen = inspect.unwrap(getattr(adlearn.gradient, '__wrapped__', adlearn.gradient))\n"
        "_stolen = functools.partial(_stolen).func"),
    "gc.get_referents": (
        "import gc\n"
        "_stolen = [o for o in gc.get_referents(adlearn.gradient.__globals__)\n"
        "           if callable(o) and getattr(o, '__name__', '') == 'gradient'][-1]"),
    "gc.get_objects": (
        "import gc, types\n"
        "_stolen = [o for o in gc.get_objects() if type(o) is types.FunctionType\n"
        "           and o.__name__ == 'gradient' and o is not adlearn.gradient][0]"),
    "a new function of the running original's code (its frame, in a cell)": (
        "import sys, types\n_seen = []\n"
        "def _spy(a, b):\n    _seen.append(sys._getframe(1))\n    return a * b\n"
        "adlearn.gradient(_spy, [1.0, 2.0])\n"
        "_frame = [f for f in _seen if f.f_code.co_name == 'gradient'][0]\n"
        "_stolen = types.FunctionType(_frame.f_code, _frame.f_globals)"),
    "a copy of the running original's code": (
        "import sys, types\n_seen = []\n"
        "def _spy(a, b):\n    _seen.append(sys._getframe(1))\n    return a * b\n"
        "adlearn.gradient(_spy, [1.0, 2.0])\n"
        "_frame = [f for f in _seen if f.f_code.co_name == 'gradient'][0]\n"
        "_stolen = types.FunctionType(_frame.f_code.replace(co_name='g'), _frame.f_globals)"),
    "the audit event, asked for directly": (
        "import sys\n_box = []\nsys.audit('adlearn.gate', _box)\n_stolen = _box[0]"),
    "the gate's keyword default replaced": (
        "import sys\n_kept = []\n"
        "def _spy(event, box):\n    sys.audit(event, box)\n    _kept.extend(box)\n"
        "adlearn.gradient.__kwdefaults__ = {'_adlearn_audit': _spy}\n"
        "adlearn.gradient(lambda a: a, [1.0])\n_stolen = _kept[0]"),
    "the gate's keyword passed at the call": (
        "import sys\n_kept = []\n"
        "def _spy(event, box):\n    sys.audit(event, box)\n    _kept.extend(box)\n"
        "adlearn.gradient(lambda a: a, [1.0], _adlearn_audit=_spy)\n_stolen = _kept[0]"),
}
PREDICTED = (  # exercise 04.1, answered by whatever was stolen
    "\ndef predicted_grad():\n"
    "    return float(_stolen(lambda a, b: (a * b + a) * (a * b), [3.0, 2.0])[0])")
THREADED = (  # exercise 04.1, the shortcut called in a thread the answer starts
    "import threading\n"
    "def predicted_grad():\n"
    "    got = []\n"
    "    def run():\n"
    "        try:\n"
    "            got.append(adlearn.gradient(lambda a, b: (a * b + a) * (a * b), [3.0, 2.0]))\n"
    "        except Exception as error:\n"
    "            got.append(error)\n"
    "    worker = threading.Thread(target=run)\n    worker.start()\n    worker.join()\n"
    "    if isinstance(got[0], Exception):\n        raise got[0]\n"
    "    return float(got[0][0])")
HELPER = (  # exercise 04.1 answered right, after a call of lesson 09's check's own helper
    "import adlearn.checks.lesson09\n"
    "_stolen = adlearn.checks.lesson09._angle_by_bisection\n"
    "for _name, _g in list(_stolen.__globals__.items()):\n"
    "    if _name.startswith('_adlearn_gate_') and getattr(_g, '__closure__', None):\n"
    "        _stolen = dict(zip(_g.__code__.co_freevars,\n"
    "                           (c.cell_contents for c in _g.__closure__))).get('twin', _stolen)")
HELPER_ANSWER = "def predicted_grad():\n    _stolen(10.0)\n    return 36.0"

SWEEP_BY_VARIABLES = '''
class SweepValue(NaiveValue):
    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((x, False) for x, _ in node.inputs if id(x) not in seen)
        mirror = {}
        for node in order:  # the same graph, made of adlearn's Variables
            if node.inputs:
                total = 0.0
                for x, partial in node.inputs:
                    total = total + partial * mirror[id(x)]
                mirror[id(node)] = total
            else:
                mirror[id(node)] = _variable(node.value)
        mirror[id(self)].backward()
        for node in order:
            if not node.inputs:
                node.grad += mirror[id(node)].grad
'''
MAKE_VARIABLE = {  # F6: an adlearn Variable for exercise 04.3, made without Variable()
    "F6 object.__new__ and the original __init__ from the gate's closure": (
        "def _variable(value):\n"
        "    V = adlearn.variable.Variable\n"
        "    init = V.__init__\n"
        "    cells = dict(zip(init.__code__.co_freevars,\n"
        "                     (c.cell_contents for c in init.__closure__ or ())))\n"
        "    v = object.__new__(V)\n"
        "    cells.get('original', init)(v, value)\n"
        "    return v"),
    "object.__new__ and the slots set by hand": (
        "_model = adlearn.variable.Variable(1.0)  # in a cell: Variable() works there\n"
        "_slots = [s for k in type(_model).__mro__ for s in getattr(k, '__slots__', ())]\n"
        "_kept = {s: getattr(_model, s) for s in _slots if hasattr(_model, s)}\n"
        "def _variable(value):\n"
        "    v = object.__new__(adlearn.variable.Variable)\n"
        "    for name, kept in _kept.items():\n"
        "        object.__setattr__(v, name, kept)\n"
        "    object.__setattr__(v, '_value', value)\n"
        "    return v"),
    "Variables made in a cell, before the check": (
        "_spare = [adlearn.variable.Variable(0.0) for _ in range(200)]\n"
        "def _variable(value):\n"
        "    v = _spare.pop()\n"
        "    v.value = value\n"
        "    return v"),
}


def guarded(route: str) -> str:
    """A route's cell: if the route fails where it stands, the answer falls back to the
    plain call (so that no answer of an earlier route is left defined)."""
    body = "\n".join("    " + line for line in route.splitlines())
    return ("_stolen = adlearn.gradient\n"
            "def _variable(value):\n    return adlearn.variable.Variable(value)\n"
            f"try:\n{body}\nexcept Exception:\n    pass\n")


def lesson_cells(name: str) -> list[tuple[str, str]]:
    """A lesson notebook's code cells, with its worked solutions, as grading sees them."""
    import nbformat

    from adlearn.checks.isolated import cell_kind

    notebook = nbformat.read(Path(__file__).parent.parent / "notebooks" / name, as_version=4)
    return [(cell_kind(cell), cell.source) for cell in notebook.cells
            if cell.cell_type == "code"]


@pytest.fixture(scope="module")
def lesson04_attacked() -> tuple[list[str], list[dict]]:
    cells = lesson_cells("04-reverse-mode.ipynb")
    aims = ["worked"] * sum(kind == "check" for kind, _ in cells)
    last = "the gate's keyword default replaced"  # last: on the old grader, it tampered
    for route, source in STEAL.items():
        if route != last:
            cells += [("code", guarded(source) + PREDICTED),
                      ("check", "lesson04.check_prediction(predicted_grad)")]
            aims.append(route)
    cells += [("code", THREADED), ("check", "lesson04.check_prediction(predicted_grad)"),
              ("code", guarded(HELPER) + HELPER_ANSWER),
              ("check", "lesson04.check_prediction(predicted_grad)")]
    aims += ["a thread the answer starts", "a check's own helper, through the gate's closure"]
    for route, source in MAKE_VARIABLE.items():
        cells += [("code", guarded(source) + SWEEP_BY_VARIABLES),
                  ("check", "lesson04.check_backward(SweepValue)")]
        aims.append(route)
    cells += [("code", guarded(STEAL[last]) + PREDICTED),
              ("check", "lesson04.check_prediction(predicted_grad)")]
    aims.append(last)
    # the control: an honest answer after all of these still passes (nothing was tampered)
    worked = next(s for kind, s in cells if s.startswith("class SweepValue(NaiveValue):"))
    cells += [("code", worked), ("check", "lesson04.check_backward(SweepValue)")]
    aims.append("worked, at the end")
    return aims, grade_cells(cells)


def test_the_worked_solutions_pass_beside_the_attacks(lesson04_attacked):
    aims, verdicts = lesson04_attacked
    assert len(aims) == len(verdicts)
    for aim, verdict in zip(aims, verdicts):
        if aim.startswith("worked"):
            assert verdict["passed"] is True, (aim, verdict)


ROUTES = [*STEAL, "a thread the answer starts", "a check's own helper, through the gate's closure",
          *MAKE_VARIABLE]


@pytest.mark.parametrize("route", ROUTES)
def test_no_route_reaches_an_ungated_original(route, lesson04_attacked):
    aims, verdicts = lesson04_attacked
    verdict = verdicts[aims.index(route)]
    assert verdict["passed"] is False, verdict
    assert "is switched off while it is checked" in verdict["message"], verdict


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem[:2])
def test_every_lesson_s_worked_solutions_get_full_marks_when_graded(notebook):
    # Each lesson as stored (worked solutions in place), graded in the fresh process as
    # nbgrader's config does: every check passes. A switch-off or a tamper test that
    # trips on adlearn's own work (lesson 06 once scored 0 this way) fails here.
    results = grade_notebook(notebook)
    assert results, f"{notebook.name}: no checks found"
    failed = [(source.strip(), r["message"]) for source, r in results if not r["passed"]]
    assert not failed, failed


def test_09_4_watches_flight_distance_when_graded_too():
    # 09.4's check swaps the code of the notebook's flight_distance to watch every run;
    # the grading process lets a check do that (and nothing else): a float secant kept
    # in a default argument is refused there as in class, and the worked answer passes
    from test_exercises_09 import SECANT_THROUGH_A_DEFAULT

    cells = lesson_cells("09-your-own-engine.ipynb")
    check = next(source for kind, source in cells if "check_launch_angle" in source)
    cells += [("code", SECANT_THROUGH_A_DEFAULT), ("check", check)]
    verdicts = grade_cells(cells)
    assert all(v["passed"] for v in verdicts[:-1]), [v["message"] for v in verdicts[:-1]]
    assert verdicts[-1]["passed"] is False, verdicts[-1]["message"]
    assert "plain number" in verdicts[-1]["message"], verdicts[-1]["message"]


CTYPES_FORGE = (  # the second review's R1: ctypes, in an ordinary cell, finds the runner
    "def _forge():\n"
    "    import ctypes\n"
    "    api = ctypes.pythonapi\n"
    "    for f, r, a in [('PyInterpreterState_Main', ctypes.c_void_p, []),\n"
    "                    ('PyInterpreterState_ThreadHead', ctypes.c_void_p, [ctypes.c_void_p]),\n"
    "                    ('PyThreadState_Next', ctypes.c_void_p, [ctypes.c_void_p]),\n"
    "                    ('PyThreadState_GetFrame', ctypes.py_object, [ctypes.c_void_p])]:\n"
    "        getattr(api, f).restype = r\n"
    "        getattr(api, f).argtypes = a\n"
    "    ts = api.PyInterpreterState_ThreadHead(api.PyInterpreterState_Main())\n"
    "    while ts:\n"
    "        try:\n"
    "            f = api.PyThreadState_GetFrame(ts)\n"
    "        except ValueError:\n"
    "            f = None\n"
    "        while f is not None:\n"
    "            if f.f_code.co_name == '_grade_in_child':\n"
    "                L = f.f_locals\n"
    "                for i, (kind, _) in enumerate(L['cells']):\n"
    "                    if kind == 'check':\n"
    "                        L['report'](i, True, True, '✓ Right')\n"
    "                return\n"
    "            f = f.f_back\n"
    "        ts = api.PyThreadState_Next(ts)\n"
    "try:\n"
    "    _forge()\n"
    "except Exception as error:\n"
    "    print(type(error).__name__, error)\n"
)


def test_ctypes_in_an_ordinary_cell_cannot_reach_the_runner():
    cells = [("code", IMPORTS), ("code", CTYPES_FORGE), ("code", STUB),
             ("check", CHECK_PREDICTION)]
    verdict = grade_cells(cells)[-1]
    assert verdict["passed"] is False, verdict


SIGNAL_FORGE = (  # the second review's R4: a handler installed by a __del__ the runner runs
    "import threading as _t\n"
    "class _OnMain:\n"
    "    def __del__(self):\n"
    "        import signal\n"
    "        def handler(signum, frame):\n"
    "            while frame is not None and frame.f_code.co_name != '_grade_in_child':\n"
    "                frame = frame.f_back\n"
    "            if frame is None:\n"
    "                return\n"
    "            signal.setitimer(signal.ITIMER_REAL, 0)\n"
    "            L = frame.f_locals\n"
    "            for i, (kind, _) in enumerate(L['cells']):\n"
    "                if kind == 'check':\n"
    "                    L['report'](i, True, True, '✓ Right')\n"
    "        signal.signal(signal.SIGALRM, handler)\n"
    "        signal.setitimer(signal.ITIMER_REAL, 0.01, 0.01)\n"
    "        signal.raise_signal(signal.SIGALRM)\n"
    "_t.current_thread().keep = _OnMain()  # freed with the Thread, on the main thread\n"
)


def test_no_signal_handler_can_be_installed_to_reach_the_runner():
    cells = [("code", IMPORTS), ("code", SIGNAL_FORGE), ("code", STUB),
             ("check", CHECK_PREDICTION)]
    verdict = grade_cells(cells)[-1]
    assert verdict["passed"] is False, verdict
