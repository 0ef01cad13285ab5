"""Lesson 02's exercises: the worked solutions pass, typical mistakes and shortcuts fail.

The worked solutions below are the notebook's, written out again; each test builds a
`MyDual` class from them and then breaks one thing at a time.
"""

import math

import pytest

import adlearn
from adlearn import Dual
from adlearn.checks import CheckFailed, lesson02


def not_done(*args):
    raise NotImplementedError("Exercise: replace this line with your solution.")


# --- the notebook's MyDual, worked solutions included ---------------------------------


def make_my_dual():
    class MyDual:
        def __init__(self, value, derivative=0.0):
            self.value = float(value)
            self.derivative = float(derivative)

        def __repr__(self):
            return f"MyDual({self.value!r}, {self.derivative!r})"

    def as_my_dual(x):
        if isinstance(x, MyDual):
            return x
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return MyDual(x, 0.0)
        return None

    def add(self, other):
        other = as_my_dual(other)
        if other is None:
            return NotImplemented
        return MyDual(self.value + other.value, self.derivative + other.derivative)

    def multiply(self, other):
        other = as_my_dual(other)
        if other is None:
            return NotImplemented
        return MyDual(self.value * other.value,
                      self.value * other.derivative + self.derivative * other.value)

    def subtract(self, other):
        other = as_my_dual(other)
        if other is None:
            return NotImplemented
        return MyDual(self.value - other.value, self.derivative - other.derivative)

    def subtract_from(self, other):
        other = as_my_dual(other)
        if other is None:
            return NotImplemented
        return MyDual(other.value - self.value, other.derivative - self.derivative)

    def divide(self, other):
        other = as_my_dual(other)
        return NotImplemented if other is None else self * inverse(other)

    def divide_into(self, other):
        other = as_my_dual(other)
        return NotImplemented if other is None else other * inverse(self)

    def inverse(y):
        if y.value == 0:
            raise ZeroDivisionError(f"{y!r} has no inverse: a dual number with value 0, times "
                                    "any dual number, has value 0, never 1.")
        return MyDual(1 / y.value, -y.derivative / y.value**2)

    def power(self, n):
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            return NotImplemented
        a, b = self.value, self.derivative
        if a < 0 and not float(n).is_integer():
            raise ValueError(f"{self!r} ** {n!r} is not a real number: a negative value "
                             "needs a whole-number exponent.")
        if n == 0:
            return MyDual(1.0, 0.0)  # x**0 = 1 everywhere: flat, even at 0 (where a**-1 fails)
        return MyDual(a**n, n * a ** (n - 1) * b)

    def power_of(self, c):
        if isinstance(c, bool) or not isinstance(c, (int, float)):
            return NotImplemented
        return MyDual(c**self.value, c**self.value * math.log(c) * self.derivative)

    MyDual.__add__ = MyDual.__radd__ = add
    MyDual.__mul__ = MyDual.__rmul__ = multiply
    MyDual.__sub__, MyDual.__rsub__ = subtract, subtract_from
    MyDual.__truediv__, MyDual.__rtruediv__ = divide, divide_into
    MyDual.__pow__, MyDual.__rpow__ = power, power_of
    return MyDual


def make_functions(MyDual):
    def sin(x):
        if isinstance(x, MyDual):
            return MyDual(math.sin(x.value), math.cos(x.value) * x.derivative)
        return adlearn.sin(x)

    def exp(x):
        if isinstance(x, MyDual):
            e = math.exp(x.value)
            return MyDual(e, e * x.derivative)
        return adlearn.exp(x)

    def log(x):
        if isinstance(x, MyDual):
            if x.value <= 0:
                raise ValueError(f"log({x!r}) is undefined: log needs a value > 0.")
            return MyDual(math.log(x.value), x.derivative / x.value)
        return adlearn.log(x)

    return sin, exp, log


def blog_function(sin):
    def f(x):
        return x * sin(x + 6) ** 2 / 2 - 2 / 2**x

    return f


def newton(h, x, steps=30):
    for _ in range(steps):
        y = h(Dual(x, 1.0))
        x = x - y.value / y.derivative
    return x


def predicted_tangent():
    return 4.0


def rejected(check, *args):
    with pytest.raises(CheckFailed) as caught:
        check(*args)
    return str(caught.value)


# --- the worked solutions pass --------------------------------------------------------


def test_worked_solutions_pass():
    MyDual = make_my_dual()
    sin, exp, log = make_functions(MyDual)
    assert lesson02.check_arithmetic(MyDual)
    assert lesson02.check_division(MyDual)
    assert lesson02.check_power(MyDual)
    assert lesson02.check_functions(MyDual, sin, exp, log)
    message = repr(lesson02.check_blog_function(blog_function(sin), MyDual))
    assert message.startswith("✓ Right: f(MyDual(3.0, 1.0)) = MyDual(0.0047624688169")
    assert lesson02.check_prediction(predicted_tangent)
    assert lesson02.check_newton(newton)


def test_not_done_yet_does_not_raise():
    class Stub:
        def __init__(self, value, derivative=0.0):
            self.value, self.derivative = value, derivative

        __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = not_done
        __truediv__ = __rtruediv__ = __pow__ = __rpow__ = not_done

    for result in (
        lesson02.check_arithmetic(Stub),
        lesson02.check_division(Stub),
        lesson02.check_power(Stub),
        lesson02.check_functions(Stub, not_done, not_done, not_done),
        lesson02.check_blog_function(blog_function(not_done), Stub),
        lesson02.check_prediction(not_done),
        lesson02.check_newton(not_done),
    ):
        assert not result and not result.done
        assert "Not done yet" in repr(result)


# --- typical mistakes are rejected with a message that helps --------------------------


def test_product_rule_with_a_term_missing_is_rejected():
    MyDual = make_my_dual()
    def forgets_a_term(self, other):  # a·c + b·c ε: the a·d term is missing
        c = getattr(other, "value", other)
        return MyDual(self.value * c, self.derivative * c)

    MyDual.__mul__ = MyDual.__rmul__ = forgets_a_term
    message = rejected(lesson02.check_arithmetic, MyDual)
    assert "but it should be" in message and "product rule" not in message.split("Where")[0]
    assert "Where to look: the section 'Multiplication and subtraction'" in message


def test_reflected_subtraction_written_as_subtraction_is_rejected():
    MyDual = make_my_dual()
    MyDual.__rsub__ = MyDual.__sub__
    message = rejected(lesson02.check_arithmetic, MyDual)
    assert " - MyDual(" in message and "but it should be" in message


def test_an_error_instead_of_not_implemented_is_rejected():
    MyDual = make_my_dual()
    multiply = MyDual.__mul__

    def strict_multiply(self, other):
        if isinstance(other, str):
            raise TypeError("cannot multiply")
        return multiply(self, other)

    MyDual.__mul__ = MyDual.__rmul__ = strict_multiply
    assert "should return NotImplemented" in rejected(lesson02.check_arithmetic, MyDual)


def test_a_result_that_is_not_a_my_dual_is_rejected():
    MyDual = make_my_dual()
    multiply = MyDual.__mul__
    MyDual.__mul__ = lambda self, other: (multiply(self, other).value, 0.0)
    assert "should be a MyDual" in rejected(lesson02.check_arithmetic, MyDual)


def test_wrapping_adlearns_dual_is_the_shortcut_and_is_rejected():
    MyDual = make_my_dual()

    def multiply(self, other):
        other = other if isinstance(other, MyDual) else MyDual(other)
        product = adlearn.Dual(self.value, self.derivative) * adlearn.Dual(other.value,
                                                                             other.derivative)
        return MyDual(product.value, product.derivative)

    MyDual.__mul__ = MyDual.__rmul__ = multiply
    message = rejected(lesson02.check_arithmetic, MyDual)
    assert "switched off" in message and "Build MyDual from two plain floats" in message


def test_computing_with_adlearns_dual_however_imported_is_rejected():
    import adlearn.dual as hidden  # not the name the check switches off

    MyDual = make_my_dual()

    def multiply(self, other):
        if isinstance(other, str):
            return NotImplemented
        other = other if isinstance(other, MyDual) else MyDual(other)
        product = hidden.Dual(self.value, self.derivative) * hidden.Dual(other.value,
                                                                           other.derivative)
        return MyDual(product.value, product.derivative)  # plain floats copied out

    MyDual.__mul__ = MyDual.__rmul__ = multiply
    message = rejected(lesson02.check_arithmetic, MyDual)
    assert "Dual() is switched off" in message  # the class itself, however imported


def test_division_without_the_teaching_error_is_rejected():
    MyDual = make_my_dual()

    def divide(self, other):
        if isinstance(other, str):
            return NotImplemented
        other = other if isinstance(other, MyDual) else MyDual(other)
        return MyDual(self.value / other.value,
                      (self.derivative * other.value - self.value * other.derivative)
                      / other.value**2)

    MyDual.__truediv__ = divide
    message = rejected(lesson02.check_division, MyDual)
    assert "raised ZeroDivisionError('float division by zero'); good, but the message" in message


def test_division_by_a_zero_value_that_returns_a_number_is_rejected():
    MyDual = make_my_dual()

    def divide(self, other):
        if isinstance(other, str):
            return NotImplemented
        other = other if isinstance(other, MyDual) else MyDual(other)
        if other.value == 0:
            return MyDual(math.inf, math.inf)
        return self * MyDual(1 / other.value, -other.derivative / other.value**2)

    MyDual.__truediv__ = divide
    assert "there is no such number" in rejected(lesson02.check_division, MyDual)


def test_power_without_the_reflected_version_is_rejected():
    MyDual = make_my_dual()
    del MyDual.__rpow__
    message = rejected(lesson02.check_power, MyDual)
    assert "MyDual.__rpow__, which does not exist yet" in message


def test_power_of_a_negative_value_to_a_fraction_must_be_refused():
    MyDual = make_my_dual()
    MyDual.__pow__ = lambda self, n: MyDual(abs(self.value) ** n,
                                            n * abs(self.value) ** (n - 1) * self.derivative)
    message = rejected(lesson02.check_power, MyDual)
    assert "but it should be" in message or "raise ValueError" in message


def test_functions_without_the_chain_rule_are_rejected():
    MyDual = make_my_dual()
    sin, exp, log = make_functions(MyDual)

    def sin_without_chain(x):
        if isinstance(x, MyDual):
            return MyDual(math.sin(x.value), math.cos(x.value))
        return adlearn.sin(x)

    message = rejected(lesson02.check_functions, MyDual, sin_without_chain, exp, log)
    assert "sin(MyDual(" in message and "Where to look: the section 'sin, exp and log'" in message


def test_log_of_a_negative_value_must_be_refused():
    MyDual = make_my_dual()
    sin, exp, _ = make_functions(MyDual)

    def log(x):
        if isinstance(x, MyDual):
            return MyDual(math.log(abs(x.value)), x.derivative / x.value)
        return adlearn.log(x)

    assert "log of a negative value" in rejected(lesson02.check_functions, MyDual, sin, exp, log)


def test_blog_function_notices_a_broken_operator():
    MyDual = make_my_dual()
    sin, _, _ = make_functions(MyDual)
    MyDual.__rpow__ = lambda self, c: MyDual(c**self.value, 0.0)
    message = rejected(lesson02.check_blog_function, blog_function(sin), MyDual)
    assert "adlearn.Dual gives" in message and "closed form" in message


def test_a_wrong_prediction_is_rejected():
    message = rejected(lesson02.check_prediction, lambda: 12.0)
    assert "You predicted 12.0" in message and "can the expression be simplified" in message


def test_newton_with_two_evaluations_per_step_is_rejected():
    def twice(h, x, steps=30):
        for _ in range(steps):
            x = x - h(x) / h(Dual(x, 1.0)).derivative
        return x

    assert "one evaluation on a dual number per step" in rejected(lesson02.check_newton, twice)


def test_newton_by_the_library_derivative_is_the_shortcut_and_is_rejected():
    def by_library(h, x, steps=30):
        for _ in range(steps):
            x = x - h(Dual(x, 0.0)).value / adlearn.derivative(h, x)
        return x

    assert "derivative() is switched off" in rejected(lesson02.check_newton, by_library)
    assert adlearn.derivative(lambda t: t * t, 3.0) == 6.0  # switched on again afterwards


# --- the complex step is not a dual number ---------------------------------------------


def test_a_product_rule_by_the_complex_step_is_rejected():
    MyDual = make_my_dual()

    def multiply_by_complex_step(self, other):  # the learner run's shortcut: i instead of ε
        c, d = (other.value, other.derivative) if isinstance(other, MyDual) else (other, 0.0)
        h = 1e-20
        z = (self.value + 1j * h * self.derivative) * (c + 1j * h * d)
        return MyDual(z.real, z.imag / h)

    MyDual.__mul__ = MyDual.__rmul__ = multiply_by_complex_step
    message = rejected(lesson02.check_arithmetic, MyDual)
    assert "the complex literal 1j" in message and "needs no complex step" in message


def test_a_sine_by_the_complex_step_is_rejected():
    import cmath

    MyDual = make_my_dual()
    _, exp, log = make_functions(MyDual)

    def sin(x):
        if isinstance(x, MyDual):
            z = cmath.sin(complex(x.value, 1e-20 * x.derivative))
            return MyDual(z.real, z.imag / 1e-20)
        return adlearn.sin(x)

    message = rejected(lesson02.check_functions, MyDual, sin, exp, log)
    assert "Your sin computes with Python's own complex numbers" in message


def test_a_power_that_lets_python_make_a_complex_number_is_told_why():
    MyDual = make_my_dual()

    def power(self, n):  # no ValueError: (-a) ** 0.7 is a complex number in Python
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            return NotImplemented
        a, b = self.value, self.derivative
        if n == 0:
            return MyDual(1.0, 0.0)
        return MyDual(a**n, n * a ** (n - 1) * b)

    MyDual.__pow__ = power
    message = rejected(lesson02.check_power, MyDual)
    assert "complex number" in message and "raise ValueError" in message


def test_every_exercise_has_a_nudge_a_method_and_a_worked_answer():
    from adlearn.checks.exercise import EXERCISES

    for key in ("02.1", "02.2", "02.3", "02.4", "02.5", "02.6", "02.7"):
        nudge, method, answer = EXERCISES[key].hints
        for text in (nudge, method):  # no code of the answer in the first two
            assert "return MyDual(" not in text and "def " not in text, key


def test_the_tangent_cannot_be_read_from_the_checks_frame():
    import inspect

    def peeking():  # the learner run's exploit: read the check's answer from its frame
        frame = inspect.currentframe().f_back
        while frame is not None and "actual" not in frame.f_locals:
            frame = frame.f_back
        if frame is None:
            raise LookupError("nothing computed yet to read")
        return frame.f_locals["actual"]

    assert "nothing computed yet" in rejected(lesson02.check_prediction, peeking)


# --- review 00-03, learner edition: attempts that were accepted, messages that misled -----


def attempt(source, MyDual):
    """Run a learner's cell as the notebook would (its functions belong to __main__)."""

    def as_my_dual(x):
        if isinstance(x, MyDual):
            return x
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return MyDual(x, 0.0)
        return None

    namespace = {"__name__": "__main__", "MyDual": MyDual, "as_my_dual": as_my_dual,
                 "adlearn": adlearn, "math": math}
    exec(source, namespace)
    return namespace


SUBTRACTION = """
def subtract(self, other):
    other = as_my_dual(other)
    if other is None: return NotImplemented
    return MyDual(self.value - other.value, self.derivative - other.derivative)
def subtract_from(self, other):
    other = as_my_dual(other)
    if other is None: return NotImplemented
    return MyDual(other.value - self.value, other.derivative - self.derivative)
MyDual.__mul__ = MyDual.__rmul__ = multiply
MyDual.__sub__, MyDual.__rsub__ = subtract, subtract_from
"""

PRODUCT_BY_DEFAULT_COMPLEX = """
def multiply(self, other, _c=complex):
    other = as_my_dual(other)
    if other is None: return NotImplemented
    h = 1e-30
    z = _c(self.value, self.derivative * h) * _c(other.value, other.derivative * h)
    return MyDual(z.real, z.imag / h)
""" + SUBTRACTION

PRODUCT_BY_ADLEARN_COMPLEX = """
def multiply(self, other):
    other = as_my_dual(other)
    if other is None: return NotImplemented
    h = 1e-30
    z = (adlearn.Complex(self.value, self.derivative * h)
         * adlearn.Complex(other.value, other.derivative * h))
    return MyDual(z.real, z.imag / h)
""" + SUBTRACTION

QUOTIENT_BY_ADLEARN_COMPLEX = """
def divide(self, other):
    other = as_my_dual(other)
    if other is None: return NotImplemented
    if other.value == 0: raise ZeroDivisionError("a dual number with value 0 has no inverse")
    h = 1e-30
    z = (adlearn.Complex(self.value, self.derivative*h)
         / adlearn.Complex(other.value, other.derivative*h))
    return MyDual(z.real, z.imag / h)
def divide_into(self, other):
    other = as_my_dual(other)
    if other is None: return NotImplemented
    return divide(other, self)
MyDual.__truediv__, MyDual.__rtruediv__ = divide, divide_into
"""

FUNCTIONS_BY_ADLEARN_COMPLEX = """
def _cs(g, x, h=1e-30):
    z = g(adlearn.Complex(x.value, x.derivative * h))
    return MyDual(z.real, z.imag / h)
def sin(x):
    if isinstance(x, MyDual): return _cs(adlearn.sin, x)
    return adlearn.sin(x)
def exp(x):
    if isinstance(x, MyDual): return _cs(adlearn.exp, x)
    return adlearn.exp(x)
def log(x):
    if isinstance(x, MyDual):
        if x.value <= 0: raise ValueError("log of non-positive")
        return _cs(adlearn.log, x)
    return adlearn.log(x)
"""

POWER_OF_WITH_MATH_LOG = """
def power_of(self, c):
    if not isinstance(c, (int, float)) or isinstance(c, bool):
        return NotImplemented
    v = c**self.value
    return MyDual(v, v * math.log(c) * self.derivative)
MyDual.__rpow__ = power_of
"""

FUNCTIONS_BY_CMATH = """
import cmath as _cm
def _cs(g, x, h=1e-30):
    z = g(complex(x.value, x.derivative * h))
    return MyDual(z.real, z.imag / h)
def sin(x):
    if isinstance(x, MyDual): return _cs(_cm.sin, x)
    return adlearn.sin(x)
def exp(x):
    if isinstance(x, MyDual): return _cs(_cm.exp, x)
    return adlearn.exp(x)
def log(x):
    if isinstance(x, MyDual):
        if x.value <= 0: raise ValueError("log of non-positive")
        return _cs(_cm.log, x)
    return adlearn.log(x)
"""


@pytest.mark.parametrize("source", [PRODUCT_BY_DEFAULT_COMPLEX, PRODUCT_BY_ADLEARN_COMPLEX])
def test_a_product_by_a_hidden_complex_step_is_rejected(source):
    MyDual = make_my_dual()
    attempt(source, MyDual)
    message = rejected(lesson02.check_arithmetic, MyDual)
    assert "Your multiply computes with" in message and "needs no complex step" in message


def test_a_quotient_by_adlearns_complex_is_rejected():
    MyDual = make_my_dual()
    attempt(QUOTIENT_BY_ADLEARN_COMPLEX, MyDual)
    assert "adlearn's Complex" in rejected(lesson02.check_division, MyDual)


def test_functions_by_adlearns_complex_are_rejected():
    MyDual = make_my_dual()
    names = attempt(FUNCTIONS_BY_ADLEARN_COMPLEX, MyDual)
    message = rejected(lesson02.check_functions, MyDual, names["sin"], names["exp"], names["log"])
    assert "adlearn's Complex" in message


def test_the_complex_step_message_names_the_function_that_uses_it():
    MyDual = make_my_dual()  # power_of calls math.log: the scanner must not blame it
    names = attempt(POWER_OF_WITH_MATH_LOG + FUNCTIONS_BY_CMATH, MyDual)
    message = rejected(lesson02.check_functions, MyDual, names["sin"], names["exp"], names["log"])
    assert "Your power_of" not in message and "Your log computes" in message


def test_a_power_without_the_n_0_case_is_told_about_n_0():
    MyDual = make_my_dual()

    def power(self, n):
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            return NotImplemented
        if self.value < 0 and n != int(n):
            raise ValueError("a negative value to a non-integer power is not real")
        return MyDual(self.value**n, n * self.value ** (n - 1) * self.derivative)

    MyDual.__pow__ = power
    message = rejected(lesson02.check_power, MyDual)
    assert "ZeroDivisionError" in message and "n = 0" in message


def test_an_edited_blog_function_is_told_to_stay_as_given():
    MyDual = make_my_dual()
    sin, _, _ = make_functions(MyDual)

    def f(x):  # the learner's edit: 2 * 2**x for 2 / 2**x
        return x * sin(x + 6) ** 2 / 2 - 2 * 2**x

    message = rejected(lesson02.check_blog_function, f, MyDual)
    assert "no longer the blog's function" in message and "put the cell back" in message
