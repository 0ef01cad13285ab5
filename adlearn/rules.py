"""The rule table: every primitive operation adlearn knows, defined exactly once.

A row gives an operation's value and its *local partial derivatives*, one per
input, as ordinary formulas of the inputs ``x`` (and ``y``) and of the value
``out`` already computed. Forward mode (`Dual`) multiplies the partials by the
incoming tangents; reverse mode (`Variable`) stores them on the graph's edges and
multiplies them by the outgoing adjoint; the drawings write them on the edges.

The partials are written with adlearn's own functions (``cos``, ``exp``, ...) and
operators, so they work on nested numbers too: that is how second derivatives work.
A shortcut taken on a value (``if x == 0``) is only taken for plain floats: on a
nested number it would throw away the inner derivative.

Convention where a function has no derivative (``relu`` and ``abs`` at 0, ``sqrt``
at 0): the derivative *from the right*, as if the input were a tiny bit larger, so
relu'(0) = abs'(0) = 1 and sqrt'(0) = inf. Where the convention gives no number
for a higher derivative (sqrt''(0)), adlearn raises an error rather than guess.
A NaN input gives NaN partials: a NaN never vanishes from a derivative.
"""

from __future__ import annotations

import cmath
import math
import operator
from typing import Any

from .primitives import define_primitive

# --- arithmetic: what + - * / and unary - mean ------------------------------------------

define_primitive("mul", real="x * y", partials=("y", "x"), symbol="×", operator="mul")
define_primitive("add", real="x + y", partials=("1.0", "1.0"), symbol="+", operator="add")
define_primitive("sub", real="x - y", partials=("1.0", "-1.0"), symbol="-", operator="sub")
define_primitive(
    "div",
    real="x / y",
    partials=("1 / y", "-out / y"),
    symbol="/",
    operator="truediv",
    domain="the divisor is 0",
)
define_primitive("neg", real="-x", partials=("-1.0",), symbol="-", operator="neg")


def _plain(v: Any) -> bool:
    return type(v) is float or type(v) is int


def _power(x: Any, y: Any) -> Any:
    if _plain(x) and _plain(y):
        if x < 0 and not float(y).is_integer():
            raise ValueError(
                f"{x!r} ** {y!r} is not a real number: a negative base needs a whole-number "
                "exponent (the result would be complex)"
            )
        if x == 0 and y < 0:
            raise ZeroDivisionError(f"0 ** {y!r} is undefined: 0 has no negative powers")
    return x**y


def _power_partials(x: Any, y: Any, out: Any) -> tuple[Any, Any]:
    # d(x**y)/dx = y * x**(y - 1), the power rule; d(x**y)/dy = x**y * log(x).
    # The shortcuts at 0 are taken only for plain numbers (see the top of this file).
    if _plain(y) and y == 0:
        d_base: Any = 0.0  # x**0 = 1 whatever x is
    elif _plain(x) and _plain(y) and x == 0:
        d_base = math.inf if y < 1 else (1.0 if y == 1 else 0.0)  # from the right
    else:
        d_base = y * x ** (y - 1)
    if _plain(x) and x == 0:
        d_exponent: Any = -math.inf if y == 0 else 0.0  # 0**y jumps from 1 to 0 at y = 0
    elif x > 0:
        d_exponent = out * log(x)
    else:
        d_exponent = math.nan  # no real log: only an error if the exponent is live
    return d_base, d_exponent


define_primitive(  # ** needs care at 0 and for negative bases: its partials are a function
    "pow",
    symbol="**",
    operator="pow",
    real=_power,
    complex_=operator.pow,
    partials=_power_partials,
    arity=2,
    domain="a negative base needs a whole-number exponent, and 0 has no negative powers",
    hint=(
        "For x ** y, the derivative in y needs log(x), so x must be positive; "
        "if the exponent is a fixed number, pass a plain int or float."
    ),
    partial_may_not_exist=True,
)


def _sign(x: Any) -> float:
    # from the right at 0; NaN stays NaN
    return 1.0 if x >= 0 else (-1.0 if x < 0 else math.nan)


define_primitive(
    "abs",
    symbol="abs",
    operator="abs",
    real=abs,
    partials=("_sign(x)",),
)

# --- elementary functions ----------------------------------------------------------------

sin = define_primitive("sin", real=math.sin, complex_=cmath.sin, partials=("cos(x)",))
cos = define_primitive("cos", real=math.cos, complex_=cmath.cos, partials=("-sin(x)",))
tan = define_primitive("tan", real=math.tan, complex_=cmath.tan, partials=("1 + out * out",))
exp = define_primitive("exp", real=math.exp, complex_=cmath.exp, partials=("out",))
log = define_primitive(
    "log",
    real=math.log,
    complex_=cmath.log,
    partials=("1 / x",),
    domain="log is only defined for positive numbers",
)


def _sqrt_partial(x: Any, out: Any) -> Any:
    if out == 0:
        if type(out) is float:
            return math.inf  # the slope from the right is vertical
        raise ZeroDivisionError(
            "sqrt has no second derivative at 0: its slope there is already infinite "
            "(from the right), and the slope of that has no value"
        )
    return 0.5 / out


sqrt = define_primitive(
    "sqrt",
    real=math.sqrt,
    complex_=cmath.sqrt,
    partials=("_sqrt_partial(x, out)",),
    domain="sqrt is only defined for numbers >= 0",
)


def _sech_squared(x: Any) -> Any:
    # 1 - tanh(x)**2 written so that it keeps its digits in the tails (tanh(20) == 1.0)
    e = exp(-2 * abs(x))
    return 4 * e / (1 + e) ** 2


tanh = define_primitive("tanh", real=math.tanh, complex_=cmath.tanh, partials=("_sech_squared(x)",))


def _sigmoid_real(x: float) -> float:
    # Two forms of 1 / (1 + e^-x), so that e^(large) never overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


sigmoid = define_primitive(
    "sigmoid",
    real=_sigmoid_real,
    complex_=lambda z: 1 / (1 + cmath.exp(-z)),
    partials=("out * sigmoid(-x)",),  # not out * (1 - out): 1 - out loses the tail
)


def _relu_real(x: float) -> float:
    return x if not x <= 0 else 0.0  # written so that relu(nan) stays nan


def _step(x: Any) -> float:
    return 1.0 if x >= 0 else (0.0 if x < 0 else math.nan)


relu = define_primitive("relu", real=_relu_real, partials=("_step(x)",))
