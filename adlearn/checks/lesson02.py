"""Checks of lesson 02, Dual numbers: the learner builds `MyDual`, operator by operator.

Each check runs the learner's `MyDual` on random programs made of the operators built
so far, at points the learner has not seen, and compares value and tangent with an
independent reference: adlearn's own `Dual` (imported here from `adlearn.dual`, so it
keeps working while `adlearn.Dual` is switched off for the learner) and closed forms.
It also tests what the exercises state: plain numbers on either side, `NotImplemented`
for what is not a number, the teaching error at a zero value, results that are
`MyDual`s holding plain floats (not a wrapper around adlearn's `Dual`).
"""

from __future__ import annotations

import ast
import math
import operator
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import adlearn
import adlearn.dual
from adlearn.dual import Dual as Reference
from adlearn.rules import exp as ref_exp
from adlearn.rules import log as ref_log
from adlearn.rules import sin as ref_sin

from .exercise import Wrong, exercise, unseen_points
from .lesson01 import refuse_complex_arithmetic
from .references import close

RTOL = 1e-12  # the rules are exact: only rounding may differ, in the last digits
NO_WRAPPING = (
    "Build MyDual from two plain floats and the rules you derived; adlearn.Dual comes "
    "after you have built your own."
)

NO_COMPLEX = (
    "A dual number needs no complex step: with ε² = 0 every rule is exact, so write each "
    "one with the value and the tangent as plain floats. The complex type, the literal 1j, "
    "cmath, NumPy's complex types and adlearn's Complex are switched off while it is "
    "checked."
)

# --- random programs ------------------------------------------------------------------

# Each operator group: templates that combine sub-expressions A and B, or a constant C.
# The constants are chosen so that nothing divides by 0 or takes the log of a negative.
GROUPS: dict[str, tuple[str, ...]] = {
    "arithmetic": ("(A + B)", "(A - B)", "(A * B)", "(A + C)", "(C + A)", "(A - C)",
                   "(C - A)", "(A * C)", "(C * A)"),
    "division": ("(A / (B * B + 1))", "(A / C)", "(C / (A * A + 2))"),
    "power": ("(A ** 2)", "(A ** 3)", "((A * A + 1) ** P)", "(1.5 ** A)", "(2 ** B)"),
    "functions": ("sin(A)", "exp(A / 4)", "log(A * A + 1)", "(log(exp(A)) * B)"),
}


def random_program(generator: random.Random, groups: tuple[str, ...], depth: int) -> str:
    """A random expression in x, written with the operators of `groups`."""
    if depth == 0:
        return "x" if generator.random() < 0.7 else _constant(generator)
    template = generator.choice([t for g in groups for t in GROUPS[g]])
    text = template.replace("C", _constant(generator)).replace("P", _constant(generator, 2))
    text = text.replace("A", random_program(generator, groups, depth - 1))
    return text.replace("B", random_program(generator, groups, depth - 1))


def _constant(generator: random.Random, places: int = 1) -> str:
    """A plain number: an int or a float (both must work), never 0."""
    if generator.random() < 0.4:
        return str(generator.choice([2, 3, -2]))
    return repr(round(generator.uniform(0.5, 2.5), places))


_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _run(program: str, x: Any, functions: dict[str, Callable[..., Any]]) -> Any:
    """Run a random program on `x`, walking its syntax tree (no eval): the program is
    kept as text so that a message can show it to the learner."""

    def run(node: ast.expr) -> Any:
        if isinstance(node, ast.BinOp):
            return _OPERATORS[type(node.op)](run(node.left), run(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -run(node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return functions[node.func.id](*(run(a) for a in node.args))
        if isinstance(node, ast.Name) and node.id == "x":
            return x
        if isinstance(node, ast.Constant):
            return node.value
        raise ValueError(f"random programs do not use {ast.dump(node)}")

    return run(ast.parse(program, mode="eval").body)


REFERENCE = {"sin": ref_sin, "exp": ref_exp, "log": ref_log}


def compare_programs(
    MyDual: type, key: str, groups: tuple[str, ...], functions: dict[str, Any] | None = None,
    count: int = 30,
) -> int:
    """Run `count` random programs on MyDual and on the reference; raise at a difference."""
    generator = random.Random(f"adlearn programs {key}")
    compared = 0
    for x0 in unseen_points(key, count, 0.3, 1.6):
        seed = generator.choice([1.0, -0.5, 2.0])
        program = random_program(generator, groups, generator.choice([1, 2, 3]))
        expected = _run(program, Reference(x0, seed), REFERENCE)
        if not isinstance(expected, Reference):  # a program without x: try the next one
            continue
        where = f"the program  {program}  at x = MyDual({x0:.6g}, {seed:g})"
        with no_adlearn_dual(where):
            got = _run(program, MyDual(x0, seed), functions or {})
        expect_my_dual(MyDual, got, where)
        for part in ("value", "derivative"):
            if not close(getattr(got, part), getattr(expected, part), RTOL, RTOL):
                raise Wrong(
                    f"On {where}, your MyDual gives {part} {getattr(got, part)!r}, but it "
                    f"should be {getattr(expected, part)!r}."
                )
        compared += 1
    return compared


# --- what every MyDual must satisfy ---------------------------------------------------


@contextmanager
def no_adlearn_dual(where: str) -> Iterator[None]:
    """Raise `Wrong` if the learner's code makes any adlearn Dual while inside.

    A MyDual that computes with adlearn's Dual and copies the two numbers out would
    pass every number test; this catches it, however the Dual class was imported.
    """
    made: list[int] = []
    module: Any = adlearn.dual
    original_init, original_new = module.Dual.__init__, getattr(module, "_new", None)

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(1)
        original_init(self, *args, **kwargs)

    def counting_new(*args: Any, **kwargs: Any) -> Any:
        made.append(1)
        return original_new(*args, **kwargs)  # type: ignore[misc]

    module.Dual.__init__ = counting_init
    if original_new is not None:
        module._new = counting_new
    try:
        yield
    finally:
        module.Dual.__init__ = original_init
        if original_new is not None:
            module._new = original_new
    if made:
        raise Wrong(f"On {where}, your MyDual computed with adlearn's Dual ({len(made)} of "
                    f"them made). {NO_WRAPPING}")


def expect_my_dual(MyDual: type, result: Any, where: str) -> None:
    """The result of an operation on a MyDual is a MyDual holding two plain numbers."""
    if isinstance(result, Reference) or isinstance(getattr(result, "value", None), Reference):
        raise Wrong(f"{where} gives an adlearn Dual (or a MyDual wrapping one). {NO_WRAPPING}")
    if type(result) is not MyDual:
        raise Wrong(
            f"{where} gives {result!r} of type {type(result).__name__}, but it should be a "
            "MyDual: return MyDual(value, derivative)."
        )
    for part in ("value", "derivative"):
        number = getattr(result, part, None)
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise Wrong(
                f"{where} gives a MyDual whose .{part} is {number!r}; it should be a plain "
                "float. (Does a method return a MyDual inside a MyDual?)"
            )


def expect_refusal(MyDual: type, names: tuple[str, ...]) -> None:
    """Each method returns NotImplemented for a string, so Python can raise its TypeError."""
    x = MyDual(1.25, 1.0)
    for name in names:
        method = getattr(x, name, None)
        if method is None:
            raise Wrong(f"MyDual has no {name} method yet.")
        try:
            answer = method("two")
        except Exception as error:  # noqa: BLE001 (any exception is the wrong answer here)
            raise Wrong(
                f'MyDual(1.25, 1.0).{name}("two") raised {type(error).__name__}; it should '
                "return NotImplemented, so that Python can try the other operand and then "
                "raise its own clear TypeError."
            ) from None
        if answer is not NotImplemented:
            raise Wrong(
                f'MyDual(1.25, 1.0).{name}("two") returned {answer!r}; it should return '
                "NotImplemented for anything that is not a number or a MyDual."
            )


def _both_sides(MyDual: type, symbol: str, a: float, b: float, c: float) -> None:
    """x op c and c op x, with c an int and a float, against the reference."""
    operation = {"+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q,
                 "/": lambda p, q: p / q}[symbol]
    for constant in (c, int(round(c)) or 2):
        for left, right, text in (
            (MyDual(a, b), constant, f"MyDual({a:.6g}, {b:.6g}) {symbol} {constant!r}"),
            (constant, MyDual(a, b), f"{constant!r} {symbol} MyDual({a:.6g}, {b:.6g})"),
        ):
            got = operation(left, right)
            expect_my_dual(MyDual, got, text)
            ref_left = Reference(a, b) if isinstance(left, MyDual) else left
            ref_right = Reference(a, b) if isinstance(right, MyDual) else right
            expected = operation(ref_left, ref_right)
            for part in ("value", "derivative"):
                if not close(getattr(got, part), getattr(expected, part), RTOL, RTOL):
                    raise Wrong(
                        f"{text} has {part} {getattr(got, part)!r}, but it should be "
                        f"{getattr(expected, part)!r}."
                    )


# --- exercise 02.1: + - * -----------------------------------------------------------


@exercise(
    "02.1",
    "MyDual's + - and *",
    hints=(
        "the section 'Multiplication and subtraction': multiply the two dual numbers out "
        "and drop the ε² term. add, above, shows how to handle a plain number on either "
        "side.",
        "Each function converts other with as_my_dual and gives up with NotImplemented if"
        " that fails. The product's value is the product of the values; its ε part "
        "collects the two cross terms, each a value times the other's ε part. Subtraction"
        " goes part by part. The reflected subtract_from computes other minus self, which"
        " is not self minus other, so it needs its own body.",
        "def multiply(self, other):\n"
        "    other = as_my_dual(other)\n"
        "    if other is None:\n"
        "        return NotImplemented\n"
        "    return MyDual(self.value * other.value,\n"
        "                  self.value * other.derivative + self.derivative * other.value)\n"
        "\n"
        "\n"
        "def subtract(self, other):        # self - other\n"
        "    other = as_my_dual(other)\n"
        "    if other is None:\n"
        "        return NotImplemented\n"
        "    return MyDual(self.value - other.value, self.derivative - other.derivative)\n"
        "\n"
        "\n"
        "def subtract_from(self, other):   # other - self\n"
        "    other = as_my_dual(other)\n"
        "    if other is None:\n"
        "        return NotImplemented\n"
        "    return MyDual(other.value - self.value, other.derivative - self.derivative)",
    ),
    forbid=(adlearn.Dual,),
    why=NO_WRAPPING,
)
def check_arithmetic(MyDual: type) -> str:
    refuse_complex_arithmetic(MyDual, why=NO_COMPLEX)
    a, b, c, d, k = unseen_points("02.1", 5, -2.5, 2.5)
    _both_sides(MyDual, "+", a, b, k)
    _both_sides(MyDual, "-", a, b, k)
    _both_sides(MyDual, "*", a, b, k)
    product = MyDual(a, b) * MyDual(c, d)
    expect_my_dual(MyDual, product, "MyDual * MyDual")
    if not close(product.derivative, a * d + b * c, RTOL, RTOL):
        raise Wrong(
            f"MyDual({a:.4g}, {b:.4g}) * MyDual({c:.4g}, {d:.4g}) has ε part "
            f"{product.derivative!r}, but it should be {a * d + b * c!r}."
        )
    expect_refusal(MyDual, ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__"))
    count = compare_programs(MyDual, "02.1", ("arithmetic",))
    return (
        "+, - and * give the right value and ε part, with plain numbers on either side, "
        f"return NotImplemented for a string, and agree with adlearn on {count} random "
        "programs at points you have not seen."
    )


# --- exercise 02.2: / -----------------------------------------------------------------


@exercise(
    "02.2",
    "MyDual's division",
    hints=(
        "the section 'Division, and the numbers with no inverse': dividing by y is "
        "multiplying by y's inverse, which the text derives. A divisor whose value is 0 "
        "has none.",
        "Write the inverse in the helper inverse(y): look at y's value first and, if it "
        "is 0, raise ZeroDivisionError with a sentence saying that a dual number with "
        "value 0 has no inverse; otherwise build the inverse from the formula in the "
        "text. Then divide converts other and multiplies self by other's inverse, and "
        "divide_into multiplies other by self's inverse.",
        "def divide(self, other):        # self / other\n"
        "    other = as_my_dual(other)\n"
        "    return NotImplemented if other is None else self * inverse(other)\n"
        "\n"
        "\n"
        "def divide_into(self, other):   # other / self\n"
        "    other = as_my_dual(other)\n"
        "    return NotImplemented if other is None else other * inverse(self)\n"
        "\n"
        "\n"
        "def inverse(y):\n"
        "    if y.value == 0:\n"
        "        raise ZeroDivisionError(\n"
        "            f'{y!r} has no inverse: a dual number with value 0 times any dual '\n"
        "            'number has value 0, never 1.')\n"
        "    return MyDual(1 / y.value, -y.derivative / y.value**2)",
    ),
    forbid=(adlearn.Dual,),
    why=NO_WRAPPING,
)
def check_division(MyDual: type) -> str:
    refuse_complex_arithmetic(MyDual, why=NO_COMPLEX)
    a, b, c, d, k = unseen_points("02.2", 5, 0.5, 3.0)
    _both_sides(MyDual, "/", a, b, k)
    quotient = MyDual(a, b) / MyDual(c, d)
    expect_my_dual(MyDual, quotient, "MyDual / MyDual")
    if not close(quotient.derivative, (b * c - a * d) / c**2, RTOL, RTOL):
        raise Wrong(
            f"MyDual({a:.4g}, {b:.4g}) / MyDual({c:.4g}, {d:.4g}) has ε part "
            f"{quotient.derivative!r}, but it should be {(b * c - a * d) / c**2!r} "
            "(the quotient rule)."
        )
    expect_refusal(MyDual, ("__truediv__", "__rtruediv__"))
    for text, divide in (
        (f"MyDual({a:.4g}, {b:.4g}) / MyDual(0.0, {d:.4g})", lambda: MyDual(a, b) / MyDual(0.0, d)),
        (f"{k:.4g} / MyDual(0.0, {d:.4g})", lambda: k / MyDual(0.0, d)),
    ):
        try:
            result = divide()
        except ZeroDivisionError as error:
            if "inverse" not in str(error):
                raise Wrong(
                    f"{text} raised ZeroDivisionError({str(error)!r}); good, but the message "
                    "should teach: say that a dual number whose value is 0 has no inverse."
                ) from None
        else:
            raise Wrong(
                f"{text} returned {result!r}, but there is no such number: a dual with "
                "value 0 has no inverse. Raise ZeroDivisionError and say so."
            )
    count = compare_programs(MyDual, "02.2", ("arithmetic", "division"))
    return (
        "/ follows the quotient rule with plain numbers on either side, refuses a value-0 "
        f"divisor with a ZeroDivisionError that explains, and agrees with adlearn on {count} "
        "random programs."
    )


# --- exercise 02.3: ** ------------------------------------------------------------------


@exercise(
    "02.3",
    "MyDual's powers",
    hints=(
        "the section 'Powers': the binomial theorem gives the rule for a number exponent,"
        " and writing c to the power x as e to the power x ln c gives the rule for a "
        "number base. Mind the special cases the exercise names.",
        "power: give up with NotImplemented unless the exponent is a plain int or float; "
        "refuse a negative value with a fractional exponent with a ValueError that says "
        "why; for the exponent 0 return the constant 1 (tangent 0); otherwise the value "
        "is the value to the power n, and the tangent is the power rule's derivative at "
        "the value times the input's tangent. power_of: the same check on the base, then "
        "c to the value, with a tangent that has ln c in it.",
        "def power(self, n):              # self ** n, n a plain number\n"
        "    if isinstance(n, bool) or not isinstance(n, (int, float)):\n"
        "        return NotImplemented\n"
        "    a, b = self.value, self.derivative\n"
        "    if a < 0 and not float(n).is_integer():\n"
        "        raise ValueError(f'{self!r} ** {n!r} is not a real number: a negative '\n"
        "                         'value needs a whole-number exponent.')\n"
        "    if n == 0:\n"
        "        return MyDual(1.0, 0.0)\n"
        "    if a == 0 and n < 1:\n"
        "        raise ValueError(f'{self!r} ** {n!r}: at 0, x**n has no derivative when n < 1.')\n"
        "    return MyDual(a**n, n * a ** (n - 1) * b)\n"
        "\n"
        "\n"
        "def power_of(self, c):           # c ** self, c a plain positive number\n"
        "    if isinstance(c, bool) or not isinstance(c, (int, float)):\n"
        "        return NotImplemented\n"
        "    return MyDual(c**self.value, c**self.value * math.log(c) * self.derivative)",
    ),
    forbid=(adlearn.Dual,),
    why=NO_WRAPPING,
)
def check_power(MyDual: type) -> str:
    refuse_complex_arithmetic(MyDual, why=NO_COMPLEX)
    a, b, r = unseen_points("02.3", 3, 0.4, 2.2)
    if not hasattr(MyDual, "__rpow__"):
        raise Wrong("2 ** MyDual(...) fails: int does not know MyDual, so Python looks for "
                    "MyDual.__rpow__, which does not exist yet (power_of, c ** self).")
    # (text, base, exponent, value, slope): the power rule, and c^x = e^(x ln c)
    cases: list[tuple[str, Any, Any, float, float]] = []
    for n in (2, 3, 0, 1, -2, r):
        cases.append((f"MyDual({a:.6g}, {b:.6g}) ** {n!r}", (a, b), n, a**n,
                      n * a ** (n - 1) * b))
    cases.append((f"MyDual({-a:.6g}, {b:.6g}) ** 3", (-a, b), 3, (-a) ** 3, 3 * a**2 * b))
    cases.append(("MyDual(0.0, 1.0) ** 2", (0.0, 1.0), 2, 0.0, 0.0))
    cases.append(("MyDual(0.0, 1.0) ** 0", (0.0, 1.0), 0, 1.0, 0.0))  # x**0 = 1, flat
    for c in (2, r):
        cases.append((f"{c!r} ** MyDual({a:.6g}, {b:.6g})", c, (a, b), c**a,
                      c**a * math.log(c) * b))
    for text, base, exponent, value, slope in cases:
        try:
            got = (MyDual(*base) if isinstance(base, tuple) else base) ** (
                MyDual(*exponent) if isinstance(exponent, tuple) else exponent)
        except ZeroDivisionError as error:
            raise Wrong(
                f"{text} raised ZeroDivisionError ({error})."
                + (" With n = 0 the power rule computes 0 × value ** -1, and at value 0 that "
                   "divides by zero; but x ** 0 is 1 for every x, a flat line: treat n = 0 "
                   "on its own before the power rule." if exponent == 0 else "")
            ) from None
        expect_my_dual(MyDual, got, text)
        for part, expected in (("value", value), ("derivative", slope)):
            if not close(getattr(got, part), expected, RTOL, RTOL):
                raise Wrong(f"{text} has {part} {getattr(got, part)!r}, but it should be "
                            f"{expected!r}.")
    expect_refusal(MyDual, ("__pow__", "__rpow__"))
    text = f"MyDual({-a:.6g}, 1.0) ** {r:.6g}"
    try:
        got = MyDual(-a, 1.0) ** r
    except ValueError:
        pass
    except TypeError as error:
        raise Wrong(f"{text} raised TypeError ({error}): Python computed a negative number "
                    "to a fractional power, which is a complex number, and MyDual could not "
                    "hold it. Refuse such a power before computing it: raise ValueError and "
                    "say why.") from None
    else:
        raise Wrong(f"{text} returned {got!r}, but a negative number to a non-integer power "
                    "is not a real number: raise ValueError and say so.")
    count = compare_programs(MyDual, "02.3", ("arithmetic", "power"))
    return (
        "** follows the power rule for whole and fractional exponents, c ** x works for a "
        "number base, a negative value with a fractional exponent is refused with a "
        f"ValueError, and {count} random programs agree with adlearn."
    )


# --- exercise 02.4: sin, exp, log ------------------------------------------------------


@exercise(
    "02.4",
    "sin, exp and log of a MyDual",
    hints=(
        "the section 'sin, exp and log': a function of a dual number is the function at "
        "the value, plus its derivative there times the tangent. And one of the three is "
        "undefined for some values.",
        "Each MyDual branch returns a MyDual: the value is math's function of x.value; "
        "the tangent is the function's own derivative at x.value, multiplied by "
        "x.derivative (the chain rule). In log, first refuse a value that is 0 or "
        "negative with a ValueError.",
        "In sin:  return MyDual(math.sin(x.value), math.cos(x.value) * x.derivative)\n"
        "In exp:  e = math.exp(x.value)\n"
        "         return MyDual(e, e * x.derivative)\n"
        "In log:  if x.value <= 0:\n"
        "             raise ValueError(f'log({x!r}) is undefined: log needs a value > 0.')\n"
        "         return MyDual(math.log(x.value), x.derivative / x.value)",
    ),
    forbid=(adlearn.Dual,),
    why=NO_WRAPPING,
)
def check_functions(MyDual: type, sin: Callable[..., Any], exp: Callable[..., Any],
                    log: Callable[..., Any]) -> str:
    refuse_complex_arithmetic(MyDual, sin, exp, log, why=NO_COMPLEX)
    functions = {"sin": sin, "exp": exp, "log": log}
    a, b = unseen_points("02.4", 2, 0.3, 2.0)
    for name, function in functions.items():
        got = function(MyDual(a, b))
        expected = REFERENCE[name](Reference(a, b))
        text = f"{name}(MyDual({a:.6g}, {b:.6g}))"
        expect_my_dual(MyDual, got, text)
        for part in ("value", "derivative"):
            if not close(getattr(got, part), getattr(expected, part), RTOL, RTOL):
                raise Wrong(f"{text} has {part} {getattr(got, part)!r}, but it should be "
                            f"{getattr(expected, part)!r}.")
        if not close(function(a), getattr(math, name)(a), RTOL, RTOL):
            raise Wrong(f"{name}({a:.6g}) on a plain float gives {function(a)!r}; it should "
                        f"still give math.{name}({a:.6g}).")
    try:
        got = log(MyDual(-a, 1.0))
    except ValueError:
        pass
    else:
        raise Wrong(f"log(MyDual({-a:.6g}, 1.0)) returned {got!r}, but log of a negative "
                    "value is undefined: raise ValueError and say so.")
    count = compare_programs(MyDual, "02.4", ("arithmetic", "division", "power", "functions"),
                             functions)
    return (
        f"sin, exp and log carry the chain rule, log refuses a value <= 0, and {count} "
        "random programs using every operator agree with adlearn."
    )


# --- the blog's function ---------------------------------------------------------------


def blog_function_prime(x: float) -> tuple[float, float]:
    """The value and derivative of x·sin²(x + 6)/2 - 2/2ˣ, by the usual rules."""
    s, c = math.sin(x + 6), math.cos(x + 6)
    return x * s * s / 2 - 2 / 2**x, s * s / 2 + x * s * c + 2 * math.log(2) / 2**x


@exercise(
    "02.5",
    "the blog's function on your MyDual",
    hints=(
        "this check only runs f on MyDual numbers: it passes once checks 02.1 to 02.4 "
        "pass. If one of them fails, fix that one first.",
        "If 02.1 to 02.4 pass and this one does not, find the operation that fails: f "
        "needs 2 ** x (the reflected power), a division with a number on the left, and "
        "your own sin recognising a MyDual. Run f(MyDual(3.0, 1.0)) in a cell of your own"
        " and read the error.",
        "Nothing to write. With 02.1 to 02.4 right, f(MyDual(3.0, 1.0)) is "
        "MyDual(0.00476246881693992, -0.868273252078548): f(3) and f'(3), the numbers of "
        "lesson 00.",
    ),
    forbid=(adlearn.Dual,),
    why=NO_WRAPPING,
)
def check_blog_function(f: Callable[[Any], Any], MyDual: type) -> str:
    points = [3.0, *unseen_points("02.5", 20, 0.5, 4.0)]
    for x in points:
        with no_adlearn_dual(f"f(MyDual({x:.6g}, 1.0))"):
            got = f(MyDual(x, 1.0))
        expect_my_dual(MyDual, got, f"f(MyDual({x:.6g}, 1.0))")
        reference = f(Reference(x, 1.0))  # the same f, on adlearn's Dual
        value, slope = blog_function_prime(x)
        for part, closed in (("value", value), ("derivative", slope)):
            mine, theirs = getattr(got, part), getattr(reference, part)
            if close(mine, theirs, RTOL, RTOL) and not close(mine, closed, 1e-12, 1e-14):
                raise Wrong(f"f(MyDual({x:.6g}, 1.0)) has {part} {mine!r}, and so has "
                            f"adlearn.Dual on the same f, but the blog's function has "
                            f"{closed!r}: your f is no longer the blog's function. This step "
                            "has nothing to write: put the cell back as it was given "
                            "and run it.")
            if not (close(mine, theirs, RTOL, RTOL) and close(mine, closed, 1e-12, 1e-14)):
                raise Wrong(f"f(MyDual({x:.6g}, 1.0)) has {part} {mine!r}; adlearn.Dual gives "
                            f"{theirs!r} and the closed form {closed!r}.")
    at_3 = f(MyDual(3.0, 1.0))
    return (
        f"f(MyDual(3.0, 1.0)) = MyDual({at_3.value:.15g}, {at_3.derivative:.15g}): your MyDual, "
        "adlearn.Dual and the closed form agree to 12 digits, at x = 3 and at "
        f"{len(points) - 1} points you have not seen."
    )


# --- exercise 02.6: predict ------------------------------------------------------------


@exercise(
    "02.6",
    "predict a tangent",
    hints=(
        "before you run anything: can the expression be simplified? The tangent of a "
        "seeded x is the derivative of whatever the expression simplifies to.",
        "Simplify the quotient to a single power of x, differentiate that by the power "
        "rule, and evaluate at x = 2. Step by step, as the dual numbers do it (the power "
        "rule for the cube, then the quotient rule), you get the same number.",
        "x³ / x = x², and (x²)' = 2x = 4 at x = 2:\n"
        "\n"
        "def predicted_tangent():\n"
        "    return 4.0",
    ),
)
def check_prediction(predicted_tangent: Callable[[], Any]) -> str:
    guess = predicted_tangent()  # before the check computes anything it could peek at
    x: Any = Reference(2.0, 1.0)
    actual = (x**3 / x).derivative
    if isinstance(guess, bool) or not isinstance(guess, (int, float)):
        raise Wrong(f"predicted_tangent() returned {guess!r}; return a number.")
    if not close(guess, actual, 1e-9, 1e-9):
        raise Wrong(f"You predicted {guess!r}, but Dual(2.0, 1.0) ** 3 / Dual(2.0, 1.0) "
                    "has a different tangent. Work it out again before you run it.")
    return (f"the tangent is {actual!r}: x³/x = x², and (x²)' = 2x = 4 at x = 2. The "
            "quotient rule, applied by the dual numbers step by step, gives the same.")


# --- exercise 02.7: Newton's method ---------------------------------------------------


@exercise(
    "02.7",
    "Newton's method with one dual evaluation per step",
    hints=(
        "the section 'The running example, on your MyDual': one evaluation on a seeded "
        "dual number gives both the value and the derivative, which is all a Newton step "
        "needs.",
        "In each step evaluate h once, on a dual number whose value is x and whose "
        "tangent is 1. Its value part is h(x) and its tangent part is h'(x): take the "
        "Newton step with those two numbers. After the last step return x, a plain float.",
        "def newton(h, x, steps=30):\n"
        "    for _ in range(steps):\n"
        "        y = h(Dual(x, 1.0))\n"
        "        x = x - y.value / y.derivative\n"
        "    return x",
    ),
    forbid=(adlearn.derivative, adlearn.value_and_derivative),
    why="Here the dual number is the tool: seed it and read both parts yourself.",
)
def check_newton(newton: Callable[..., Any]) -> str:
    c1, c2, c3 = unseen_points("02.7", 3, 2.0, 9.0)
    problems: list[tuple[str, Callable[[Any], Any], float, float]] = [
        (f"x³ - {c1:.6g}", lambda x: x**3 - c1, 1.0, c1 ** (1 / 3)),
        (f"exp(x) - {c2:.6g}", lambda x: ref_exp(x) - c2, 1.0, math.log(c2)),
        (f"x·x - {c3:.6g}·x + 1 (the larger root)", lambda x: x * x - c3 * x + 1, c3,
         (c3 + math.sqrt(c3 * c3 - 4)) / 2),
    ]
    for text, h, start, root in problems:
        calls: list[Any] = []

        def counted(x: Any, h: Callable[[Any], Any] = h, calls: list[Any] = calls) -> Any:
            calls.append(x)
            return h(x)

        steps = 30
        got = newton(counted, start, steps)
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            raise Wrong(f"newton returned {got!r} for h(x) = {text}; return the root as a "
                        "plain float (x.value if x is a dual number).")
        if not close(got, root, 1e-12, 1e-12):
            raise Wrong(f"For h(x) = {text}, starting at {start:.6g}, newton gives {got!r}, "
                        f"but the root is {root!r}.")
        plain = [x for x in calls if not isinstance(x, Reference)]
        if plain or len(calls) > steps:
            raise Wrong(f"newton called h {len(calls)} times in {steps} steps, "
                        f"{len(plain)} of them on a plain number: one evaluation on a dual "
                        "number per step gives both h(x) and h'(x).")
    return ("newton finds the roots of three functions you have not seen, with one dual "
            "evaluation of h per step.")
