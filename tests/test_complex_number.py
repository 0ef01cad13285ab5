"""`Complex` must agree with Python's built-in complex on every operation."""

import cmath
import itertools

import pytest

from adlearn import Complex, exp, log, sin, sqrt

VALUES = [complex(1, 2), complex(-3, 0.5), complex(0, 1), complex(2.5, -4), complex(-1, -1)]
SCALARS = [2, -3, 0.5, 1.5]


def same(ours, theirs, tol=1e-12):
    assert isinstance(ours, Complex)
    assert abs(ours.to_builtin() - complex(theirs)) <= tol * max(1.0, abs(theirs))


@pytest.mark.parametrize(("z", "w"), list(itertools.product(VALUES, VALUES)))
def test_arithmetic_agrees_with_builtin(z, w):
    a, b = Complex(z.real, z.imag), Complex(w.real, w.imag)
    same(a + b, z + w)
    same(a - b, z - w)
    same(a * b, z * w)
    same(a / b, z / w)
    same(a**b, z**w, tol=1e-9)


@pytest.mark.parametrize(("z", "c"), list(itertools.product(VALUES, SCALARS)))
def test_mixing_with_ints_floats_and_builtin_complex(z, c):
    a = Complex(z.real, z.imag)
    same(a + c, z + c)
    same(c + a, c + z)
    same(c - a, c - z)
    same(a * c, z * c)
    same(c / a, c / z)
    same(a**c, z**c, tol=1e-9)
    same(c**a, c**z, tol=1e-9)
    same(a + 1j, z + 1j)
    same(1j * a, 1j * z)


@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 5, 13])
def test_integer_powers(n):
    z = complex(0.8, -1.3)
    same(Complex(0.8, -1.3) ** n, z**n)


def test_abs_conjugate_equality_and_repr():
    z = Complex(3, 4)
    assert abs(z) == 5.0
    assert z.conjugate() == Complex(3, -4)
    assert z == complex(3, 4)
    assert Complex(2, 0) == 2
    assert z != Complex(3, 4.0000001)
    assert repr(z) == "Complex(real=3.0, imag=4.0)"
    assert hash(Complex(1, 2)) == hash(complex(1, 2))


def test_the_same_python_function_runs_on_complex_and_builtin():
    def f(x):
        return x * x * x - 2 * x / (x + 1) + 1

    z = complex(0.5, 2.0)
    same(f(Complex(0.5, 2.0)), f(z))


def test_math_functions_accept_complex():
    z = complex(0.3, 0.4)
    same(exp(Complex(0.3, 0.4)), cmath.exp(z))
    same(sin(Complex(0.3, 0.4)), cmath.sin(z))
    assert log(z) == cmath.log(z)
    assert sqrt(-4 + 0j) == 2j


def test_errors_teach():
    with pytest.raises(ZeroDivisionError, match="divide"):
        Complex(1, 1) / Complex(0, 0)
    with pytest.raises(TypeError, match="real number"):
        Complex("1", 0)
    with pytest.raises(TypeError):
        Complex(1, 1) + "a"
