"""The exercises of lesson 01: the worked solutions pass, wrong answers and shortcuts do not.

The learner's `MyComplex` is built here as in the notebook, and every solution is
defined in ``__main__``, the namespace a notebook's code lives in, so that the checks
see it (and switch off what it may not use) as they do in the lesson.
"""

import cmath
import math
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import adlearn
from adlearn.checks import CheckFailed, complex_step, lesson01

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "01-complex-numbers.ipynb"

MY_COMPLEX = """
import math


class MyComplex:
    def __init__(self, real, imag=0.0):
        self.real = float(real)
        self.imag = float(imag)

    def __repr__(self):
        return f"MyComplex({self.real!r}, {self.imag!r})"


def as_my_complex(x):
    if isinstance(x, MyComplex):
        return x
    if isinstance(x, (int, float)):
        return MyComplex(x, 0.0)
    return None


def add(self, other):
    other = as_my_complex(other)
    if other is None:
        return NotImplemented
    return MyComplex(self.real + other.real, self.imag + other.imag)


def multiply(self, other):
    other = as_my_complex(other)
    if other is None:
        return NotImplemented
    return MyComplex(self.real * other.real - self.imag * other.imag,
                     self.real * other.imag + self.imag * other.real)


def negate(self):
    return MyComplex(-self.real, -self.imag)


MyComplex.__add__ = MyComplex.__radd__ = add
MyComplex.__mul__ = MyComplex.__rmul__ = multiply
MyComplex.__neg__ = negate
"""

CONJUGATE = """
def conjugate(self):
    return MyComplex(self.real, -self.imag)


def modulus(self):
    return math.hypot(self.real, self.imag)
"""

DIVISION = """
def divide(self, other):  # self / other
    other = as_my_complex(other)
    if other is None:
        return NotImplemented
    size = other.real**2 + other.imag**2  # c² + d²
    top = self * MyComplex(other.real, -other.imag)  # (a + bi)(c - di)
    return MyComplex(top.real / size, top.imag / size)


def divide_into(self, other):  # other / self
    other = as_my_complex(other)
    return NotImplemented if other is None else divide(other, self)
"""

COMPLEX_STEP = """
def value_and_slope(f, x):
    h = 1e-20
    result = f(complex(x, h))  # one call, a tiny step up the imaginary axis
    return result.real, result.imag / h
"""

SMITH = """
def smith_divide(self, other):
    a, b, c, d = self.real, self.imag, other.real, other.imag
    if abs(c) >= abs(d):
        r = d / c  # |r| <= 1: nothing is squared, nothing overflows
        t = c + d * r
        return MyComplex((a + b * r) / t, (b - a * r) / t)
    r = c / d
    t = c * r + d
    return MyComplex((a * r + b) / t, (b * r - a) / t)
"""

STUB = """
def {name}(*args):
    raise NotImplementedError("Exercise: replace this line with your solution.")
"""


@pytest.fixture
def notebook(monkeypatch):
    """Define code in __main__, as a notebook cell would; undone after the test."""
    namespace = vars(sys.modules["__main__"])

    def define(source, name=None, **names):
        before = set(namespace)
        for key, value in names.items():
            monkeypatch.setitem(namespace, key, value)
        exec(textwrap.dedent(source), namespace)
        for key in set(namespace) - before:
            value = namespace.pop(key)
            monkeypatch.setitem(namespace, key, value)
        return namespace[name] if name else None

    define(MY_COMPLEX)
    return define


def my_complex():
    return vars(sys.modules["__main__"])["MyComplex"]


def with_division(notebook, source=DIVISION):
    notebook(source)
    cls = my_complex()
    namespace = vars(sys.modules["__main__"])
    cls.__truediv__, cls.__rtruediv__ = namespace["divide"], namespace["divide_into"]
    return cls


def test_the_notebook_holds_the_same_solutions():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    solutions = "\n".join(c.source for c in cells if "solution" in c.metadata.get("tags", []))
    for source in (CONJUGATE, DIVISION, COMPLEX_STEP, SMITH):
        for line in source.strip().splitlines():
            assert line.strip() in solutions, line


# --- 01.1 the conjugate and the modulus --------------------------------------------


def test_conjugate_and_modulus_pass(notebook):
    notebook(CONJUGATE)
    cls = my_complex()
    namespace = vars(sys.modules["__main__"])
    cls.conjugate, cls.__abs__ = namespace["conjugate"], namespace["modulus"]
    assert lesson01.check_conjugate_and_modulus(cls)


def test_a_conjugate_that_changes_self_is_rejected(notebook):
    notebook(
        "def conjugate(self):\n    self.imag = -self.imag\n    return self\n\n\n"
        "def modulus(self):\n    return math.hypot(self.real, self.imag)"
    )
    cls, namespace = my_complex(), vars(sys.modules["__main__"])
    cls.conjugate, cls.__abs__ = namespace["conjugate"], namespace["modulus"]
    with pytest.raises(CheckFailed, match="changed the number it was called on"):
        lesson01.check_conjugate_and_modulus(cls)


def test_a_squared_modulus_is_rejected(notebook):
    notebook(CONJUGATE.replace("math.hypot(self.real, self.imag)", "self.real**2 + self.imag**2"))
    cls, namespace = my_complex(), vars(sys.modules["__main__"])
    cls.conjugate, cls.__abs__ = namespace["conjugate"], namespace["modulus"]
    with pytest.raises(CheckFailed, match="distance from 0"):
        lesson01.check_conjugate_and_modulus(cls)


def test_conjugate_stub_is_not_done(notebook):
    notebook(STUB.format(name="conjugate"))
    cls = my_complex()
    cls.conjugate = vars(sys.modules["__main__"])["conjugate"]
    cls.__abs__ = lambda self: 1.0
    assert not lesson01.check_conjugate_and_modulus(cls).done


# --- 01.2 division -----------------------------------------------------------------


def test_division_solution_passes(notebook):
    result = lesson01.check_division(with_division(notebook))
    assert result and "NotImplemented" in repr(result)


def test_division_without_the_conjugate_is_rejected(notebook):
    wrong = DIVISION.replace("MyComplex(other.real, -other.imag)", "other")
    with pytest.raises(CheckFailed, match="but it should be") as caught:
        lesson01.check_division(with_division(notebook, wrong))
    assert "conjugate" in str(caught.value)  # the first hint says where to look


def test_division_that_forgets_plain_numbers_is_rejected(notebook):
    wrong = DIVISION.replace(
        "    other = as_my_complex(other)\n    if other is None:\n        return NotImplemented\n",
        "",
    )
    with pytest.raises(CheckFailed, match="raised AttributeError"):
        lesson01.check_division(with_division(notebook, wrong))


def test_division_must_return_not_implemented(notebook):
    wrong = DIVISION.replace("return NotImplemented\n", "raise TypeError('no')\n")
    with pytest.raises(CheckFailed, match="should return NotImplemented"):
        lesson01.check_division(with_division(notebook, wrong))


def test_division_borrowed_from_builtin_complex_is_switched_off(notebook):
    borrowed = """
def divide(self, other):
    other = as_my_complex(other)
    if other is None:
        return NotImplemented
    q = complex(self.real, self.imag) / complex(other.real, other.imag)
    return MyComplex(q.real, q.imag)


def divide_into(self, other):
    other = as_my_complex(other)
    return NotImplemented if other is None else divide(other, self)
"""
    with pytest.raises(CheckFailed, match=r"built-in complex\(\) is switched off"):
        lesson01.check_division(with_division(notebook, borrowed))
    assert "complex" not in vars(sys.modules["__main__"])  # switched on again
    assert complex(1, 2) == 1 + 2j


def test_division_stub_is_not_done(notebook):
    stubs = STUB.format(name="divide") + STUB.format(name="divide_into")
    assert not lesson01.check_division(with_division(notebook, stubs)).done


# --- 01.3 the complex-step derivative ----------------------------------------------


def test_complex_step_solution_passes(notebook):
    result = lesson01.check_complex_step(notebook(COMPLEX_STEP, "value_and_slope"))
    assert result and "13 significant digits" in repr(result)


def test_a_central_difference_fails_on_calls_and_digits(notebook):
    two_calls = notebook(
        "def value_and_slope(f, x):\n"
        "    h = 6e-6\n"
        "    return f(x), (f(x + h) - f(x - h)) / (2 * h)",
        "value_and_slope",
    )
    with pytest.raises(CheckFailed, match="called f 3 times"):
        lesson01.check_complex_step(two_calls)

    # Even with complex points and one call per estimate, a finite difference's
    # digits fall short of 13: the tolerance is the one the lesson claims.
    def sneaky(f, x):
        h = 6e-6
        value = f(complex(x, 1e-30)).real
        plus, minus = f.function(complex(x + h)), f.function(complex(x - h))
        return value, (plus.real - minus.real) / (2 * h)

    with pytest.raises(CheckFailed, match="digits are right, and 13 are needed"):
        lesson01.check_complex_step(sneaky)


def test_a_big_imaginary_step_is_rejected(notebook):
    big = notebook(COMPLEX_STEP.replace("h = 1e-20", "h = 1e-4"), "value_and_slope")
    with pytest.raises(CheckFailed, match="(?i)is h tiny enough"):
        lesson01.check_complex_step(big)


def test_a_real_point_is_rejected(notebook):
    real = notebook("def value_and_slope(f, x):\n    return f(x), 0.0", "value_and_slope")
    with pytest.raises(CheckFailed, match="called at the real number"):
        lesson01.check_complex_step(real)


def test_complex_step_shortcuts_are_switched_off(notebook):
    shortcut = notebook(
        "def value_and_slope(f, x):\n    return f(x + 0j).real, complex_step(f, x)",
        "value_and_slope",
        complex_step=complex_step,
    )
    with pytest.raises(CheckFailed, match=r"complex_step\(\) is switched off"):
        lesson01.check_complex_step(shortcut)
    also = notebook(
        "def value_and_slope(f, x):\n    return f(x), derivative(f, x)",
        "value_and_slope",
        derivative=adlearn.derivative,
    )
    with pytest.raises(CheckFailed, match=r"derivative\(\) is switched off"):
        lesson01.check_complex_step(also)


def test_complex_step_stub_is_not_done(notebook):
    stub = notebook(STUB.format(name="value_and_slope"), "value_and_slope")
    assert not lesson01.check_complex_step(stub).done


def test_the_checks_own_derivatives_are_right():
    # The closed forms that judge the learner, against the complex step itself.
    for _, function, slope in lesson01._test_functions():
        for x in (0.2, 0.7, 1.3):
            assert math.isclose(slope(x), function(complex(x, 1e-30)).imag / 1e-30, rel_tol=1e-14)
            assert cmath.isfinite(function(x))


# --- 01.4 a division that does not overflow ----------------------------------------


def test_smith_division_passes(notebook):
    smith = notebook(SMITH, "smith_divide")
    assert lesson01.check_smith_division(smith, my_complex())


def test_textbook_division_fails_at_extreme_sizes(notebook):
    textbook = notebook(
        "def smith_divide(self, other):\n"
        "    a, b, c, d = self.real, self.imag, other.real, other.imag\n"
        "    size = c * c + d * d\n"
        "    return MyComplex((a * c + b * d) / size, (b * c - a * d) / size)",
        "smith_divide",
    )
    with pytest.raises(CheckFailed, match="Squaring c and d overflows"):
        lesson01.check_smith_division(textbook, my_complex())


def test_smith_division_with_one_branch_wrong_is_rejected(notebook):
    wrong = notebook(SMITH.replace("(b * r - a) / t", "(a - b * r) / t"), "smith_divide")
    with pytest.raises(CheckFailed, match="but it should be"):
        lesson01.check_smith_division(wrong, my_complex())


def test_smith_division_stub_is_not_done(notebook):
    stub = notebook(STUB.format(name="smith_divide"), "smith_divide")
    assert not lesson01.check_smith_division(stub, my_complex()).done
