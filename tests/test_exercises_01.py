"""The exercises of lesson 01: the worked solutions pass, wrong answers and shortcuts do not.

The learner's `MyComplex` is built here as in the notebook, and every solution is
defined in ``__main__``, the namespace a notebook's code lives in, so that the checks
see it (and switch off what it may not use) as they do in the lesson.
"""

import cmath
import math
import sys
from pathlib import Path

import nbformat
import pytest
from test_exercises_00 import define_in_main

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
CONJUGATE_GLUE = "\nMyComplex.conjugate, MyComplex.__abs__ = conjugate, modulus\n"

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
DIVISION_GLUE = "\nMyComplex.__truediv__, MyComplex.__rtruediv__ = divide, divide_into\n"

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


def stub(*names):
    return "".join(STUB.format(name=name) for name in names)


def main():
    return vars(sys.modules["__main__"])


@pytest.fixture
def notebook(monkeypatch):
    """Code run in __main__ as notebook cells are, after the lesson's MyComplex."""
    define_in_main(monkeypatch, MY_COMPLEX)
    return lambda source, **names: define_in_main(monkeypatch, source, **names)


CHECKS = {  # how each exercise's check cell calls its check
    "01.1": lambda: lesson01.check_conjugate_and_modulus(main()["MyComplex"]),
    "01.2": lambda: lesson01.check_division(main()["MyComplex"]),
    "01.3": lambda: lesson01.check_complex_step(main()["value_and_slope"]),
    "01.4": lambda: lesson01.check_smith_division(main()["smith_divide"], main()["MyComplex"]),
}

SOLUTIONS = [  # exercise, the worked solution (and the lines after it), what "Right" says
    ("01.1", CONJUGATE + CONJUGATE_GLUE, "agree with the built-in complex"),
    ("01.2", DIVISION + DIVISION_GLUE, "NotImplemented"),
    ("01.3", COMPLEX_STEP, "13 significant digits"),
    ("01.4", SMITH, "huge, tiny and mixed sizes"),
]

STUBS = [
    ("01.1", stub("conjugate", "modulus") + CONJUGATE_GLUE),
    ("01.2", stub("divide", "divide_into") + DIVISION_GLUE),
    ("01.3", stub("value_and_slope")),
    ("01.4", stub("smith_divide")),
]

TEXTBOOK_DIVISION = """
def smith_divide(self, other):
    a, b, c, d = self.real, self.imag, other.real, other.imag
    size = c * c + d * d
    return MyComplex((a * c + b * d) / size, (b * c - a * d) / size)
"""

BORROWED_DIVISION = """
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

CENTRAL_STEP = """
def value_and_slope(f, x):
    h = 6e-6
    return f(x), (f(x + h) - f(x - h)) / (2 * h)
"""

# A finite difference dressed up as a complex step: one counted call at a complex
# point, but the slope from a difference. Its digits fall short of the 13 claimed.
DISGUISED_DIFFERENCE = """
def value_and_slope(f, x):
    h = 6e-6
    value = f(complex(x, 1e-30)).real
    plus, minus = f.function(complex(x + h)), f.function(complex(x - h))
    return value, (plus.real - minus.real) / (2 * h)
"""

BORROWED = r"built-in complex\(\) is switched off|own complex numbers \(Python.s complex\)"

WRONG = [  # exercise, a typical wrong answer (or shortcut), the message it must get
    (
        "01.1",
        "def conjugate(self):\n    self.imag = -self.imag\n    return self\n\n\n"
        "def modulus(self):\n    return math.hypot(self.real, self.imag)\n" + CONJUGATE_GLUE,
        "changed the number it was called on",
    ),
    (
        "01.1",
        CONJUGATE.replace("math.hypot(self.real, self.imag)", "self.real**2 + self.imag**2")
        + CONJUGATE_GLUE,
        "distance from 0",
    ),
    (
        "01.1",
        CONJUGATE.replace("math.hypot(self.real, self.imag)", "abs(complex(self.real, self.imag))")
        + CONJUGATE_GLUE,
        BORROWED,
    ),
    (
        "01.2",
        DIVISION.replace("MyComplex(other.real, -other.imag)", "other") + DIVISION_GLUE,
        "but it should be.*Where to look: the text above the exercise",
    ),
    (
        "01.2",
        DIVISION.replace(
            "    other = as_my_complex(other)\n"
            "    if other is None:\n"
            "        return NotImplemented\n",
            "",
        )
        + DIVISION_GLUE,
        "raised AttributeError",
    ),
    (
        "01.2",
        DIVISION.replace("return NotImplemented\n", "raise TypeError('no')\n") + DIVISION_GLUE,
        "should return NotImplemented",
    ),
    ("01.2", BORROWED_DIVISION + DIVISION_GLUE, BORROWED),
    ("01.3", CENTRAL_STEP, "called f 3 times"),
    ("01.3", DISGUISED_DIFFERENCE, "digits are right, and 13 are needed"),
    ("01.3", COMPLEX_STEP.replace("h = 1e-20", "h = 1e-4"), "(?i)is h tiny enough"),
    ("01.3", "def value_and_slope(f, x):\n    return f(x), 0.0", "called at the real number"),
    (
        "01.3",
        "def value_and_slope(f, x):\n    return f(x + 0j).real, complex_step(f, x)",
        r"complex_step\(\) is switched off",
    ),
    (
        "01.3",
        "def value_and_slope(f, x):\n    return f(x), derivative(f, x)",
        r"derivative\(\) is switched off",
    ),
    ("01.4", TEXTBOOK_DIVISION, "Squaring c and d overflows"),
    ("01.4", SMITH.replace("(b * r - a) / t", "(a - b * r) / t"), "but it should be"),
]


def test_the_notebook_holds_the_same_solutions():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    solutions = "\n".join(c.source for c in cells if "solution" in c.metadata.get("tags", []))
    for _, source, _ in SOLUTIONS:
        for line in source.strip().splitlines():
            assert line.strip() in solutions, line


@pytest.mark.parametrize("key, source, said", SOLUTIONS)
def test_worked_solution_passes(notebook, key, source, said):
    notebook(source)
    result = CHECKS[key]()
    assert result and said in repr(result)


@pytest.mark.parametrize("key, source", STUBS)
def test_the_stub_is_not_done_yet(notebook, key, source):
    notebook(source)
    result = CHECKS[key]()
    assert not result and not result.done and "Not done yet" in repr(result)


@pytest.mark.parametrize("key, source, said", WRONG)
def test_wrong_answer_or_shortcut_is_rejected_with_a_hint(notebook, key, source, said):
    notebook(source, complex_step=complex_step, derivative=adlearn.derivative)
    with pytest.raises(CheckFailed, match=said) as caught:
        CHECKS[key]()
    message = str(caught.value)
    assert "switched off" in message or f'hint("{key}")' in message


def test_builtin_complex_works_again_after_a_division_check(notebook):
    notebook(BORROWED_DIVISION + DIVISION_GLUE)
    with pytest.raises(CheckFailed):
        CHECKS["01.2"]()
    assert "complex" not in main() and complex(1, 2) == 1 + 2j


def test_the_checks_own_derivatives_are_right():
    # The closed forms that judge the learner, against the complex step itself.
    for _, function, slope in lesson01._test_functions():
        for x in (0.2, 0.7, 1.3):
            assert math.isclose(slope(x), function(complex(x, 1e-30)).imag / 1e-30, rel_tol=1e-14)
            assert cmath.isfinite(function(x))


# --- complex arithmetic by another name: 1j, NumPy, cmath -----------------------------

LITERAL_CONJUGATE = """
def conjugate(self):
    z = (self.real + self.imag * 1j).conjugate()
    return MyComplex(z.real, z.imag)


def modulus(self):
    return math.hypot(self.real, self.imag)
"""

LITERAL_DIVISION = """
def divide(self, other):
    other = as_my_complex(other)
    if other is None:
        return NotImplemented
    q = (self.real + 1j * self.imag) / (other.real + 1j * other.imag)
    return MyComplex(q.real, q.imag)


def divide_into(self, other):
    other = as_my_complex(other)
    return NotImplemented if other is None else divide(other, self)
"""

NUMPY_DIVISION = """
import numpy as np


def divide(self, other):
    other = as_my_complex(other)
    if other is None:
        return NotImplemented
    q = np.complex128(self.real, self.imag) / np.complex128(other.real, other.imag)
    return MyComplex(float(q.real), float(q.imag))


def divide_into(self, other):
    other = as_my_complex(other)
    return NotImplemented if other is None else divide(other, self)
"""

HELPER_DIVISION = """
from numpy import complex128


def to_builtin(z):
    return complex128(z.real, z.imag)


def divide(self, other):
    other = as_my_complex(other)
    if other is None:
        return NotImplemented
    q = to_builtin(self) / to_builtin(other)
    return MyComplex(float(q.real), float(q.imag))


def divide_into(self, other):
    other = as_my_complex(other)
    return NotImplemented if other is None else divide(other, self)
"""

LITERAL_SMITH = """
def smith_divide(self, other):
    q = (self.real + self.imag * 1j) / (other.real + other.imag * 1j)
    return MyComplex(q.real, q.imag)
"""

CMATH_MODULUS = """
import cmath


def conjugate(self):
    return MyComplex(self.real, -self.imag)


def modulus(self):
    return cmath.polar(self.real + 0.0)[0] if not self.imag else math.hypot(self.real, self.imag)
"""

SHORTCUTS = [  # exercise, complex arithmetic that is not spelled `complex`, what it uses
    ("01.1", LITERAL_CONJUGATE + CONJUGATE_GLUE, "the complex literal 1j"),
    ("01.1", CMATH_MODULUS + CONJUGATE_GLUE, "cmath"),
    ("01.2", LITERAL_DIVISION + DIVISION_GLUE, "the complex literal 1j"),
    ("01.2", NUMPY_DIVISION + DIVISION_GLUE, "NumPy's complex128"),
    ("01.2", HELPER_DIVISION + DIVISION_GLUE, "complex128"),
    ("01.4", LITERAL_SMITH, "the complex literal 1j"),
]


@pytest.mark.parametrize("key, source, uses", SHORTCUTS)
def test_complex_arithmetic_under_another_name_is_rejected(notebook, key, source, uses):
    notebook(source)
    with pytest.raises(CheckFailed) as caught:
        CHECKS[key]()
    message = str(caught.value)
    assert uses in message and ".real and .imag yourself" in message



def test_a_docstring_that_mentions_complex_numbers_is_not_a_shortcut(notebook):
    documented = CONJUGATE.replace(
        "def conjugate(self):\n",
        'def conjugate(self):\n    """Complex conjugate, without complex128."""\n',
    )
    notebook(documented + CONJUGATE_GLUE)
    assert CHECKS["01.1"]()


def test_a_dtype_given_by_name_is_rejected(notebook):
    by_dtype = """
import numpy as np


def conjugate(self):
    z = np.array([self.real + 0.0], dtype="complex128")
    z.imag = self.imag
    return MyComplex(z.real[0], -z.imag[0])


def modulus(self):
    return math.hypot(self.real, self.imag)
"""
    notebook(by_dtype + CONJUGATE_GLUE)
    with pytest.raises(CheckFailed, match="the name 'complex128'"):
        CHECKS["01.1"]()


# --- review 00-03, learner edition: attempts that were accepted --------------------------

ADLEARN_CONJUGATE = """
import adlearn.complex_number as _cn
def conjugate(self):
    c = _cn.Complex(self.real, self.imag).conjugate()
    return MyComplex(c.real, c.imag)
def modulus(self):
    return abs(_cn.Complex(self.real, self.imag))
"""

ADLEARN_DIVISION = """
import adlearn.complex_number as _cn
def divide(self, other):
    other = as_my_complex(other)
    if other is None: return NotImplemented
    q = _cn.Complex(self.real, self.imag) / _cn.Complex(other.real, other.imag)
    return MyComplex(q.real, q.imag)
def divide_into(self, other):
    other = as_my_complex(other)
    if other is None: return NotImplemented
    return divide(other, self)
"""

DEFAULT_ARGUMENT_DIVISION = """
def divide(self, other, _c=complex):
    other = as_my_complex(other)
    if other is None: return NotImplemented
    q = _c(self.real, self.imag) / _c(other.real, other.imag)
    return MyComplex(q.real, q.imag)
def divide_into(self, other):
    other = as_my_complex(other)
    if other is None: return NotImplemented
    return divide(other, self)
"""

CLOSURE_DIVISION = """
def _make(kind):
    def divide(self, other):
        other = as_my_complex(other)
        if other is None: return NotImplemented
        q = kind(self.real, self.imag) / kind(other.real, other.imag)
        return MyComplex(q.real, q.imag)
    return divide
divide = _make(complex)
def divide_into(self, other):
    other = as_my_complex(other)
    if other is None: return NotImplemented
    return divide(other, self)
"""

ADLEARN_SMITH = """
import adlearn.complex_number as _cn
def smith_divide(self, other):
    other = as_my_complex(other)
    q = _cn.Complex(self.real, self.imag) / _cn.Complex(other.real, other.imag)
    return MyComplex(q.real, q.imag)
"""

PLAIN_NAME_CONJUGATE = """
from adlearn import Complex
def conjugate(self):
    c = Complex(self.real, self.imag).conjugate()
    return MyComplex(c.real, c.imag)
def modulus(self):
    return math.hypot(self.real, self.imag)
"""

ONE_CASE_SMITH = """
def smith_divide(self, other):
    other = as_my_complex(other)
    a, b, c, d = self.real, self.imag, other.real, other.imag
    r = d / c; t = c + d * r
    return MyComplex((a + b * r) / t, (b - a * r) / t)
"""

REVIEWED = [  # exercise, the reviewer's attempt, what the message must say
    ("01.1", ADLEARN_CONJUGATE + CONJUGATE_GLUE, "adlearn's Complex"),
    ("01.1", PLAIN_NAME_CONJUGATE + CONJUGATE_GLUE, "Complex"),
    ("01.2", ADLEARN_DIVISION + DIVISION_GLUE, "adlearn's Complex"),
    ("01.2", DEFAULT_ARGUMENT_DIVISION + DIVISION_GLUE, "Python's complex"),
    ("01.2", CLOSURE_DIVISION + DIVISION_GLUE, "Python's complex"),
    ("01.4", ADLEARN_SMITH, "adlearn's Complex"),
    ("01.4", ONE_CASE_SMITH, r"ZeroDivisionError\. Here \|d\| > \|c\|"),
]


@pytest.mark.parametrize("key, source, said", REVIEWED)
def test_the_reviewers_accepted_attempts_are_rejected(notebook, key, source, said):
    notebook(source)
    with pytest.raises(CheckFailed, match=said):
        CHECKS[key]()


def test_one_case_smith_fails_on_a_zero_real_part_and_an_overflowing_ratio(notebook):
    notebook(ONE_CASE_SMITH)
    smith = main()["smith_divide"]
    my = main()["MyComplex"]
    for a, b, c, d in ((1.0, 1.0, 0.0, 2.0), (1e200, -3e200, 1e-300, 1e300)):
        want = complex(a, b) / complex(c, d)
        try:
            got = smith(my(a, b), my(c, d))
        except ZeroDivisionError:
            continue
        assert not lesson01._same(complex(got.real, got.imag), want, 1e-13)
    notebook(SMITH)
    for a, b, c, d in lesson01._extreme_cases():
        got = main()["smith_divide"](my(a, b), my(c, d))
        assert lesson01._same(complex(got.real, got.imag), complex(a, b) / complex(c, d), 1e-13)
