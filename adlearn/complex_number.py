"""A complex number built from scratch by operator overloading.

Python already has ``complex``. This class exists to show the trick that all of
automatic differentiation rests on: define ``__add__``, ``__mul__`` and friends
for a new kind of number, and code written for floats runs on it unchanged.

Every method follows from one rule, ``i * i == -1``, and ordinary algebra.
"""

from __future__ import annotations

import math
from typing import Any


class Complex:
    """The complex number ``real + imag * i``.

    >>> Complex(1, 2) * Complex(3, 4)
    Complex(real=-5.0, imag=10.0)
    """

    __slots__ = ("real", "imag")

    def __init__(self, real: float = 0.0, imag: float = 0.0) -> None:
        for part, label in ((real, "real"), (imag, "imag")):
            if isinstance(part, bool) or not isinstance(part, (int, float)):
                raise TypeError(
                    f"Complex({label}=...) needs a real number (int or float), "
                    f"got {part!r} of type {type(part).__name__}."
                )
        self.real = float(real)
        self.imag = float(imag)

    @staticmethod
    def lift(x: Any) -> Complex:
        """Turn an int, float, built-in complex or Complex into a Complex."""
        if isinstance(x, Complex):
            return x
        if isinstance(x, complex):
            return Complex(x.real, x.imag)
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return Complex(x, 0.0)
        raise TypeError(
            f"Cannot use {x!r} (of type {type(x).__name__}) with a Complex: "
            "it combines with ints, floats, complex and Complex."
        )

    def to_builtin(self) -> complex:
        """The same number as Python's built-in ``complex``."""
        return complex(self.real, self.imag)

    def __repr__(self) -> str:
        return f"Complex(real={self.real!r}, imag={self.imag!r})"

    # (a + bi) + (c + di) = (a + c) + (b + d)i
    def __add__(self, other: Any) -> Complex:
        if not _is_number(other):
            return NotImplemented
        o = Complex.lift(other)
        return Complex(self.real + o.real, self.imag + o.imag)

    def __radd__(self, other: Any) -> Complex:
        return self + other

    def __neg__(self) -> Complex:
        return Complex(-self.real, -self.imag)

    def __pos__(self) -> Complex:
        return self

    def __sub__(self, other: Any) -> Complex:
        if not _is_number(other):
            return NotImplemented
        return self + (-Complex.lift(other))

    def __rsub__(self, other: Any) -> Complex:
        if not _is_number(other):
            return NotImplemented
        return Complex.lift(other) - self

    # (a + bi)(c + di) = ac + adi + bci + bd i^2 = (ac - bd) + (ad + bc)i
    def __mul__(self, other: Any) -> Complex:
        if not _is_number(other):
            return NotImplemented
        o = Complex.lift(other)
        return Complex(
            self.real * o.real - self.imag * o.imag,
            self.real * o.imag + self.imag * o.real,
        )

    def __rmul__(self, other: Any) -> Complex:
        return self * other

    def conjugate(self) -> Complex:
        """``a - bi``: the mirror image across the real axis."""
        return Complex(self.real, -self.imag)

    def __abs__(self) -> float:
        """The distance from 0: ``sqrt(a**2 + b**2)``."""
        return math.hypot(self.real, self.imag)

    # z / w = z * conj(w) / |w|^2, because w * conj(w) = |w|^2 is real. Written that
    # way, |w|^2 overflows for |w| > 1e154 and underflows for |w| < 1e-154. Smith's
    # trick divides through by the larger part of w first, so no square is formed:
    # with r = d / c (|r| <= 1), (a + bi) / (c + di) = ((a + b r) + (b - a r) i) / (c + d r).
    def __truediv__(self, other: Any) -> Complex:
        if not _is_number(other):
            return NotImplemented
        w = Complex.lift(other)
        a, b, c, d = self.real, self.imag, w.real, w.imag
        if c == 0 and d == 0:
            raise ZeroDivisionError(f"Cannot divide {self!r} by zero: 0 has no inverse.")
        if abs(c) >= abs(d):
            r = d / c
            scale = c + d * r
            return Complex((a + b * r) / scale, (b - a * r) / scale)
        r = c / d
        scale = c * r + d
        return Complex((a * r + b) / scale, (b * r - a) / scale)

    def __rtruediv__(self, other: Any) -> Complex:
        if not _is_number(other):
            return NotImplemented
        return Complex.lift(other) / self

    def __pow__(self, exponent: Any) -> Complex:
        if not _is_number(exponent):
            return NotImplemented
        if isinstance(exponent, int) and not isinstance(exponent, bool):
            return self._integer_power(exponent)
        # z ** w = exp(w * log z), with log z = ln|z| + i arg(z).
        w = Complex.lift(exponent)
        if self.real == 0 and self.imag == 0:
            if w.real > 0 and w.imag == 0:
                return Complex(0.0, 0.0)
            if w.real == 0 and w.imag == 0:
                return Complex(1.0, 0.0)
            raise ZeroDivisionError("0 cannot be raised to a negative or complex power.")
        log_z = Complex(math.log(abs(self)), math.atan2(self.imag, self.real))
        return _exp(w * log_z)

    def __rpow__(self, base: Any) -> Complex:
        if not _is_number(base):
            return NotImplemented
        return Complex.lift(base) ** self

    def _integer_power(self, n: int) -> Complex:
        """Repeated squaring: z**13 = z**8 * z**4 * z."""
        if n < 0:
            return Complex(1.0, 0.0) / self._integer_power(-n)
        result, square = Complex(1.0, 0.0), self
        while n:
            if n & 1:
                result = result * square
            square = square * square
            n >>= 1
        return result

    def __eq__(self, other: object) -> bool:
        if not _is_number(other):
            return NotImplemented
        o = Complex.lift(other)
        return self.real == o.real and self.imag == o.imag

    def __hash__(self) -> int:
        return hash(self.to_builtin())


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, complex, Complex)) and not isinstance(x, bool)


def _exp(z: Complex) -> Complex:
    # Euler: e^(a + bi) = e^a (cos b + i sin b)
    scale = math.exp(z.real)
    return Complex(scale * math.cos(z.imag), scale * math.sin(z.imag))
