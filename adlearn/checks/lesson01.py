"""The checks of lesson 01, "Complex numbers and operator overloading".

The learner extends their own `MyComplex`. The checks compare it with Python's
built-in ``complex`` at points the lesson does not show, test the requirements the
exercises state (plain numbers on either side, ``NotImplemented`` for anything else),
and test the method: the complex-step derivative must call ``f`` once, at a complex
point, and be right to 13 significant digits, which no finite difference reaches;
the scaled division must survive magnitudes where the textbook formula overflows.
While the conjugate, the modulus or a division is checked, the built-in ``complex``
is switched off in the notebook, so they cannot be borrowed from it.
"""

from __future__ import annotations

import builtins
import cmath
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..complex_number import Complex
from ..derivatives import derivative
from .exercise import ShortcutUsed, Wrong, exercise, unseen_points
from .references import central_difference, complex_step

# --- helpers ------------------------------------------------------------------------


@contextmanager
def _without_builtin_complex() -> Iterator[None]:
    """While inside, the name `complex` in the notebook refuses to work."""
    namespace = vars(sys.modules["__main__"])
    missing = object()
    saved = namespace.get("complex", missing)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ShortcutUsed(
            "This exercise asks you to work with .real and .imag yourself, so Python's "
            "built-in complex() is switched off while it is checked."
        )

    namespace["complex"] = refuse
    try:
        yield
    finally:
        if saved is missing:
            namespace.pop("complex", None)
        else:
            namespace["complex"] = saved


def _parts(z: Any, what: str, my_complex: type) -> complex:
    """The learner's result as a built-in complex, or a `Wrong` saying what it is."""
    if not isinstance(z, my_complex):
        raise Wrong(f"{what} should be a MyComplex, but it is {z!r} (a {type(z).__name__})")
    parts: Any = z
    return complex(float(parts.real), float(parts.imag))


def _same(got: complex, want: complex, rtol: float = 1e-13) -> bool:
    """Equal up to `rtol` relative to the size of `want` (both parts at once)."""
    if cmath.isnan(want):
        return cmath.isnan(got)
    return abs(got - want) <= rtol * abs(want) + 1e-300


def _show(z: complex) -> str:
    return f"{z.real:.6g}{z.imag:+.6g}i"


def _quadruples(key: str, count: int) -> list[tuple[float, float, float, float]]:
    values = unseen_points(key, 4 * count, -4.0, 4.0)
    return [tuple(values[i : i + 4]) for i in range(0, len(values), 4)]  # type: ignore[misc]


# Names under which NumPy offers complex numbers; a learner's method that reaches one of
# them (or cmath, or the literal 1j) computes with Python's complex arithmetic instead of
# .real and .imag, whatever the name `complex` is bound to.
_NUMPY_COMPLEX = frozenset(
    {
        "complex64",
        "complex128",
        "complex256",
        "complex_",
        "cdouble",
        "csingle",
        "clongdouble",
        "cfloat",
        "clongfloat",
        "longcomplex",
        "singlecomplex",
        "complexfloating",
    }
)


# Strings that name complex arithmetic, as in getattr(builtins, "complex") or a dtype.
_COMPLEX_NAMES = frozenset({"complex", "cmath", "c8", "c16", "c32"} | _NUMPY_COMPLEX)


def _code_objects(code: Any) -> Iterator[Any]:
    """A code object and every code object nested in it (lambdas, inner functions)."""
    yield code
    for constant in code.co_consts:
        if hasattr(constant, "co_consts"):
            yield from _code_objects(constant)


def _captured(function: Any) -> list[Any]:
    """The values a function carries with it: default arguments and closure cells."""
    values = list(getattr(function, "__defaults__", None) or ())
    values += list((getattr(function, "__kwdefaults__", None) or {}).values())
    for cell in getattr(function, "__closure__", None) or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell: a name not bound yet
            pass
    return values


def _complex_value(value: Any, numpy_names: set[str], seen: set[int]) -> str | None:
    """What complex arithmetic the object `value` stands for, if any."""
    if isinstance(value, complex):
        return f"the complex number {value!r}"
    if isinstance(value, Complex) or value is Complex:
        return "adlearn's Complex"
    module = getattr(value, "__name__", "") if isinstance(value, type(math)) else ""
    if module == "cmath":
        return "the cmath module"
    if module == "adlearn.complex_number":
        return "adlearn's Complex"
    if module.split(".")[0] == "numpy" and numpy_names:
        return f"NumPy's {sorted(numpy_names)[0]}"
    if isinstance(value, type) and value is not bool and issubclass(value, complex):
        return f"Python's {value.__name__}"
    if isinstance(value, type) and "complexfloating" in {base.__name__ for base in value.__mro__}:
        return f"NumPy's {value.__name__}"
    if callable(value) and getattr(value, "__module__", None) == "__main__":
        found = _complex_in(value, seen)
        if found:
            inner = getattr(value, "__name__", "a function of yours")
            return found if " in " in found else f"{found}, in {inner}"
    return None


def _complex_in(function: Any, seen: set[int]) -> str | None:
    """What complex arithmetic `function` (or a function it calls) uses, if any.

    It reads the names and constants of the code, and also the values the function
    carries with it (default arguments, closure cells), so `def f(x, _c=complex)` is seen.
    """
    function = getattr(function, "__func__", function)
    code = getattr(function, "__code__", None)
    if code is None or id(code) in seen:
        return None
    seen.add(id(code))
    scope = getattr(function, "__globals__", {})
    builtin_names = vars(builtins)
    names: set[str] = set()
    for part in _code_objects(code):
        names.update(part.co_names)
        for constant in part.co_consts:
            if isinstance(constant, complex):
                return f"the complex literal {constant!r}"
            if isinstance(constant, str) and constant in _COMPLEX_NAMES:  # not docstrings
                return f"the name {constant!r}"
    if "cmath" in names:
        return "the cmath module"
    numpy_names = names & _NUMPY_COMPLEX
    if "Complex" in names and "complex_number" in names:
        return "adlearn's Complex"
    for value in _captured(function):
        found = _complex_value(value, numpy_names, seen)
        if found:
            return found
    for name in sorted(names):
        value = scope.get(name, builtin_names.get(name))
        if name == "Complex" and isinstance(value, type(math)) and value.__name__ == "adlearn":
            return "adlearn's Complex"
        found = _complex_value(value, numpy_names, seen)
        if found:
            return found
    if "Complex" in names and any(
        isinstance(scope.get(name), type(math)) and scope[name].__name__.startswith("adlearn")
        for name in names
    ):
        return "adlearn's Complex"
    return None


def refuse_complex_arithmetic(*functions: Any, why: str = "") -> None:
    """Raise `ShortcutUsed` if a learner's function computes with Python's complex numbers.

    Switching off the name ``complex`` does not stop ``1j`` or ``numpy.complex128``; so
    the check reads the learner's functions (and the functions they call, and the
    methods of their class) for complex literals, cmath and NumPy's complex types.
    Lesson 02 uses it too: a dual number's rules written with the complex step.
    """
    seen: set[int] = set()
    for function in functions:
        candidates = (
            [v for v in vars(function).values() if callable(v)]
            if isinstance(function, type)
            else [function]
        )
        for candidate in candidates:
            found = _complex_in(candidate, seen)
            if found:
                found, _, inner = found.partition(", in ")
                name = inner or getattr(candidate, "__name__", "your code")
                kind = (
                    "complex numbers"
                    if "adlearn's Complex" in found
                    else "Python's own complex numbers"
                )
                raise ShortcutUsed(
                    f"Your {name} computes with {kind} ({found}). "
                    + (
                        why
                        or "This exercise asks you to work with .real and .imag yourself, "
                        "so the built-in complex type, the literal 1j, cmath, NumPy's "
                        "complex types and adlearn's Complex are all switched off while it "
                        "is checked."
                    )
                )


# --- 01.1 ---------------------------------------------------------------------------


@exercise(
    "01.1",
    "the conjugate and the modulus",
    hints=(
        "work from the definitions in 'Complex numbers in one minute' and 'Multiplication"
        " rotates and scales': the conjugate flips the sign of one part, and the modulus "
        "is a distance in the complex plane.",
        "conjugate builds and returns a fresh MyComplex from self's two parts, with the "
        "imaginary one negated, and leaves self alone. modulus returns, as a float, the "
        "distance from 0 to the point (real, imag), by Pythagoras; the math module has a "
        "function that does exactly that without overflowing.",
        "def conjugate(self):\n"
        "    return MyComplex(self.real, -self.imag)\n"
        "\n"
        "\n"
        "def modulus(self):\n"
        "    return math.hypot(self.real, self.imag)",
    ),
    forbid=(Complex,),
    why="Work with .real and .imag yourself: adlearn's Complex already has both.",
)
def check_conjugate_and_modulus(my_complex: type) -> str:
    refuse_complex_arithmetic(my_complex)
    with _without_builtin_complex():
        _check_conjugate_and_modulus(my_complex)
    return "conjugate() and abs() agree with the built-in complex at 6 points you had not seen."


def _check_conjugate_and_modulus(my_complex: type) -> None:
    for a, b, _, _ in _quadruples("01.1", 6):
        z = my_complex(a, b)
        bar = z.conjugate()
        if (z.real, z.imag) != (a, b):
            raise Wrong("conjugate() changed the number it was called on; return a new MyComplex")
        if _parts(bar, f"MyComplex({a:.3g}, {b:.3g}).conjugate()", my_complex) != complex(a, -b):
            raise Wrong(
                f"the conjugate of {_show(complex(a, b))} is {_show(complex(bar.real, bar.imag))}, "
                f"but it should be {_show(complex(a, -b))}"
            )
        size = abs(z)
        if isinstance(size, bool) or not isinstance(size, (int, float)):
            raise Wrong(f"abs(z) should be a plain number (a float), but it is {size!r}")
        if not math.isclose(size, abs(complex(a, b)), rel_tol=1e-15):
            raise Wrong(
                f"abs({_show(complex(a, b))}) is {size!r}, but the distance from 0 is "
                f"{abs(complex(a, b))!r}"
            )


# --- 01.2 ---------------------------------------------------------------------------


def _check_quotients(divide_pairs: list[tuple[Any, Any, complex, str]], my_complex: type) -> None:
    for top, bottom, want, shown in divide_pairs:
        got = _parts(top / bottom, shown, my_complex)
        if not _same(got, want, 1e-12):
            raise Wrong(f"{shown} is {_show(got)}, but it should be {_show(want)}")


@exercise(
    "01.2",
    "division",
    hints=(
        "the text above the exercise: dividing by w is multiplying by w's conjugate, then"
        " dividing by a real number. as_my_complex, from 'Reflected operators and "
        "NotImplemented', takes care of plain numbers.",
        "In divide: convert other (and give up with NotImplemented if that fails), work "
        "out the squared modulus of other, multiply self by other's conjugate with your "
        "own *, and divide both parts of that product by the squared modulus. divide_into"
        " is the same division with the operands the other way round: convert, then let "
        "divide do the work.",
        "def divide(self, other):\n"
        "    other = as_my_complex(other)\n"
        "    if other is None:\n"
        "        return NotImplemented\n"
        "    size = other.real**2 + other.imag**2  # c² + d²\n"
        "    top = self * MyComplex(other.real, -other.imag)  # times the conjugate\n"
        "    return MyComplex(top.real / size, top.imag / size)\n"
        "\n"
        "\n"
        "def divide_into(self, other):  # other / self\n"
        "    other = as_my_complex(other)\n"
        "    return NotImplemented if other is None else divide(other, self)",
    ),
    forbid=(Complex,),
    why="Write the division yourself, from the conjugate.",
)
def check_division(my_complex: type) -> str:
    refuse_complex_arithmetic(my_complex)
    with _without_builtin_complex():
        pairs = []
        for a, b, c, d in _quadruples("01.2", 6):
            z, w = my_complex(a, b), my_complex(c, d)
            pairs.append(
                (
                    z,
                    w,
                    complex(a, b) / complex(c, d),
                    f"({_show(complex(a, b))}) / ({_show(complex(c, d))})",
                )
            )
        a, b, c, _ = unseen_points("01.2 plain", 4, 0.5, 3.0)
        z = my_complex(a, b)
        pairs.append((z, c, complex(a, b) / c, f"MyComplex({a:.3g}, {b:.3g}) / {c:.3g}"))
        pairs.append((c, z, c / complex(a, b), f"{c:.3g} / MyComplex({a:.3g}, {b:.3g})"))
        pairs.append((z, 2, complex(a, b) / 2, f"MyComplex({a:.3g}, {b:.3g}) / 2"))
        _check_quotients(pairs, my_complex)
        for other in ("two", [1.0]):
            for name in ("__truediv__", "__rtruediv__"):
                method = getattr(my_complex, name, None)
                if method is None:
                    raise Wrong(f"MyComplex has no {name}: give it one")
                try:
                    answer = method(z, other)
                except TypeError as error:
                    answer = f"an error ({error})"
                if answer is not NotImplemented:
                    raise Wrong(
                        f"MyComplex.{name}(z, {other!r}) returned {answer!r}; for something that "
                        "is not a number it should return NotImplemented, so Python can raise "
                        "its clear TypeError"
                    )
        try:
            z / my_complex(0.0, 0.0)
        except ZeroDivisionError:
            pass
        else:
            raise Wrong("dividing by MyComplex(0, 0) should raise ZeroDivisionError, as 1 / 0 does")
    return (
        "z / w, z / number and number / z agree with the built-in complex at points you had "
        "not seen; anything else gives NotImplemented; dividing by 0 raises ZeroDivisionError."
    )


# --- 01.3 ---------------------------------------------------------------------------


def _test_functions() -> list[tuple[str, Callable[[complex], complex], Callable[[float], float]]]:
    """Functions the lesson does not show, with their derivatives worked out by hand."""

    def g(z: complex) -> complex:  # exp(z) / sqrt(sin(z)**3 + cos(z)**3)
        return cmath.exp(z) / cmath.sqrt(cmath.sin(z) ** 3 + cmath.cos(z) ** 3)

    def g_prime(x: float) -> float:
        s, c = math.sin(x), math.cos(x)
        inner = s**3 + c**3
        value = math.exp(x) / math.sqrt(inner)
        return value * (1 - 3 * s * c * (s - c) / (2 * inner))

    def r(z: complex) -> complex:  # z**3 / (1 + z**2)
        return z**3 / (1 + z * z)

    def r_prime(x: float) -> float:
        return (3 * x**2 * (1 + x**2) - 2 * x**4) / (1 + x**2) ** 2

    def s(z: complex) -> complex:  # log(2 + sin(3 z)) * z
        return cmath.log(2 + cmath.sin(3 * z)) * z

    def s_prime(x: float) -> float:
        return math.log(2 + math.sin(3 * x)) + x * 3 * math.cos(3 * x) / (2 + math.sin(3 * x))

    return [
        ("exp(x) / sqrt(sin(x)**3 + cos(x)**3)", g, g_prime),
        ("x**3 / (1 + x**2)", r, r_prime),
        ("x * log(2 + sin(3 x))", s, s_prime),
    ]


class _Witness:
    """Wraps a function of one variable; records each argument, accepts any number kind."""

    def __init__(self, function: Callable[[complex], complex]) -> None:
        self.function = function
        self.arguments: list[Any] = []

    def __call__(self, z: Any) -> Any:
        self.arguments.append(z)
        if isinstance(z, (int, float)):
            return self.function(complex(z)).real  # a real point gives a real value
        return self.function(complex(float(z.real), float(z.imag)))


@exercise(
    "01.3",
    "the complex-step derivative",
    hints=(
        "the section 'The complex-step derivative': one evaluation, a tiny step up the "
        "imaginary axis, and no subtraction anywhere.",
        "Choose a step far smaller than any finite difference could use (the lesson uses "
        "one). Call f once, at the complex number whose real part is x and whose "
        "imaginary part is that step. The real part of the result is the value; its "
        "imaginary part, divided by the step, is the slope.",
        "def value_and_slope(f, x):\n"
        "    h = 1e-20\n"
        "    result = f(complex(x, h))\n"
        "    return result.real, result.imag / h",
    ),
    forbid=(complex_step, derivative, central_difference),
    why="Write the complex step yourself: one call of f, at a complex point.",
)
def check_complex_step(value_and_slope: Callable[..., Any]) -> str:
    points = unseen_points("01.3", 9, 0.1, 1.4)
    for (name, function, slope), x in zip(_test_functions() * 3, points):
        f = _Witness(function)
        answer = value_and_slope(f, x)
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise Wrong(f"value_and_slope should return two numbers (value, slope), not {answer!r}")
        if len(f.arguments) != 1:
            raise Wrong(
                f"value_and_slope called f {len(f.arguments)} times; the complex step needs "
                "exactly one call"
            )
        point = f.arguments[0]
        if isinstance(point, (int, float)) or not getattr(point, "imag", 0.0):
            raise Wrong(
                f"f was called at the real number {point!r}; the complex step calls it a tiny "
                "step up the imaginary axis, at x + ih"
            )
        value, derivative_ = (float(v) for v in answer)
        want_value, want_slope = function(complex(x)).real, slope(x)
        if not math.isclose(value, want_value, rel_tol=1e-13, abs_tol=1e-15):
            raise Wrong(
                f"for f(x) = {name} at x = {x:.4g} the value is {value!r}, but f(x) is "
                f"{want_value!r}. The real part of f(x + ih) is f(x) - h² f''(x) / 2 + ...: "
                "is h tiny enough?"
            )
        if not math.isclose(derivative_, want_slope, rel_tol=1e-13):
            digits = -math.log10(abs(derivative_ - want_slope) / abs(want_slope) + 1e-300)
            raise Wrong(
                f"for f(x) = {name} at x = {x:.4g} the slope is {derivative_!r}, but f'(x) is "
                f"{want_slope!r}: only about {max(digits, 0):.0f} digits are right, and 13 are "
                "needed. Is h tiny enough, and is there no subtraction?"
            )
    return (
        "one call of f at a complex point gives the value and the slope to 13 significant "
        "digits, for 3 functions at 9 points you had not seen."
    )


# --- 01.4 ---------------------------------------------------------------------------


def _extreme_cases() -> list[tuple[float, ...]]:
    return [
        (1e200, 1e200, 1e200, 1e200),  # c² + d² overflows to inf
        (1.0, 1.0, 1e-170, 1e-170),  # c² + d² underflows to 0
        (3e-300, 1e-300, 4e-160, -2e-170),
        (2e300, -1e300, 3e299, 4e300),
        (1.5, -2.5, 1e-200, 3.0),
        (1.0, 1.0, 0.0, 2.0),  # c = 0: d / c divides by zero
        (1e200, -3e200, 1e-300, 1e300),  # d / c overflows to inf
        (-2.0, 3.0, 5e-310, -4.0),  # c subnormal, |d| > |c|
        (*unseen_points("01.4", 2, -4.0, 4.0), *unseen_points("01.4 bottom", 2, -4.0, 4.0)),
    ]


@exercise(
    "01.4",
    "a division that does not overflow",
    hints=(
        "the exercise gives the case |c| >= |d| in full. The other case is its mirror "
        "image: divide by d, the larger one, instead of c.",
        "When |d| > |c|: let r be the ratio of the smaller to the larger (so at most 1 in"
        " size), and t the denominator c² + d² divided by d, rewritten with r so that "
        "nothing is squared. Multiply a + bi by c - di, divide both parts by d, and write"
        " them with r and t. Check by multiplying back.",
        "def smith_divide(self, other):\n"
        "    a, b, c, d = self.real, self.imag, other.real, other.imag\n"
        "    if abs(c) >= abs(d):\n"
        "        r = d / c\n"
        "        t = c + d * r\n"
        "        return MyComplex((a + b * r) / t, (b - a * r) / t)\n"
        "    r = c / d\n"
        "    t = c * r + d\n"
        "    return MyComplex((a * r + b) / t, (b * r - a) / t)",
    ),
    forbid=(Complex,),
    why="Write the scaled division yourself.",
)
def check_smith_division(smith_divide: Callable[..., Any], my_complex: type) -> str:
    refuse_complex_arithmetic(smith_divide)
    with _without_builtin_complex():
        for a, b, c, d in _extreme_cases():
            shown = f"({_show(complex(a, b))}) / ({_show(complex(c, d))})"
            where = (
                " Here |d| > |c|: this is the case you work out yourself, which divides by d,"
                " the larger one; a ratio over c "
                + ("divides by zero." if c == 0 else "can overflow.")
                if abs(d) > abs(c)
                else " Squaring c and d overflows to inf or underflows to 0 at such sizes."
                if not 1e-100 < max(abs(c), abs(d)) < 1e100
                else ""
            )
            try:
                got = _parts(smith_divide(my_complex(a, b), my_complex(c, d)), shown, my_complex)
            except (ZeroDivisionError, OverflowError) as error:
                raise Wrong(f"{shown} raised {type(error).__name__}.{where}") from None
            want = complex(a, b) / complex(c, d)
            if not _same(got, want, 1e-13):
                raise Wrong(f"{shown} is {_show(got)}, but it should be {_show(want)}.{where}")
    return (
        "your division is right to 13 digits for huge, tiny and mixed sizes, where c² + d² "
        "would overflow or underflow."
    )
