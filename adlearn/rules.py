"""The rule table: every primitive operation adlearn knows, defined exactly once.

A row gives an operation's value and its *local partial derivatives*, one per
input, as two ordinary Python functions: ``value(x)`` (or ``value(x, y)``) and
``partials(x, out)`` (or ``partials(x, y, out)``), which gets the value ``out``
already computed and returns a tuple. Partials that are the same numbers at every
point are declared as numbers: ``partials=constant_partials(1.0, 1.0)``. Forward
mode (`Dual`, in ``dual.py``) multiplies the partials by the incoming tangents;
reverse mode (`Variable`, in ``variable.py``) stores them on the graph's edges and
multiplies them by the outgoing adjoint; the drawings write them on the edges. The
operators (``x * y``) call these functions: no formula is written anywhere else.

The partials are written with adlearn's own functions (``cos``, ``exp``, ...) and
operators, so they work on nested numbers too: that is how second derivatives work.
They also work on NumPy arrays (adlearn's functions hand an array to NumPy), except
where a row says otherwise. A shortcut taken on a value (``if x == 0``) is only
taken for plain floats: on a nested number it would throw away the inner derivative.

Convention where a function has no derivative (``relu`` and ``abs`` at 0, ``sqrt``
at 0): the derivative *from the right*, as if the input were a tiny bit larger, so
relu'(0) = abs'(0) = 1 and sqrt'(0) = inf. Where the convention gives no number
for a higher derivative (sqrt''(0)), adlearn raises an error rather than guess.
A NaN input gives NaN partials: a NaN never vanishes from a derivative.

The rows call each other (the partial of ``sin`` calls ``cos``, defined further
down), so each row is checked at the end of this file, once all exist: a misspelt
name fails when adlearn is imported, with the name of its row.
"""

from __future__ import annotations

import cmath
import math
import operator
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .core import RULES
from .primitives import BUILT_IN, check_rule, constant_partials, define_primitive


def _numpy() -> ModuleType:
    """NumPy, imported only when an array arrives (adlearn itself does not need it)."""
    import numpy

    return numpy


def _plain(v: Any) -> bool:
    return type(v) is float or type(v) is int


def _is_array(v: Any) -> bool:
    return type(v).__name__ == "ndarray"


# --- arithmetic: what + - * / and unary - mean ------------------------------------------

mul = define_primitive(
    "mul",
    value=operator.mul,  # x * y
    partials=lambda x, y, out: (y, x),
    array=lambda x, y: x * y,
    symbol="×",
    operator="mul",
    check=False,
)
add = define_primitive(
    "add",
    value=operator.add,  # x + y
    partials=constant_partials(1.0, 1.0),  # the same at every point
    array=lambda x, y: x + y,
    symbol="+",
    operator="add",
    check=False,
)
sub = define_primitive(
    "sub",
    value=operator.sub,  # x - y
    partials=constant_partials(1.0, -1.0),
    array=lambda x, y: x - y,
    symbol="-",
    operator="sub",
    check=False,
)
div = define_primitive(
    "div",
    value=operator.truediv,  # x / y
    partials=lambda x, y, out: (1 / y, -out / y),
    array=lambda x, y: x / y,
    symbol="/",
    operator="truediv",
    domain="the divisor is 0",
    check=False,
)
neg = define_primitive(
    "neg",
    value=operator.neg,  # -x
    partials=constant_partials(-1.0),
    array=lambda x: -x,
    symbol="-",
    operator="neg",
    check=False,
)


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
    """d(x**y)/dx = y * x**(y - 1), the power rule; d(x**y)/dy = x**y * log(x).

    At a base of 0 the package's convention holds (the top of this file): the slope
    from the right. So for 0 < y < 1 the partial in x is inf, as for sqrt:
    ``Dual(0.0, 1.0) ** 0.5`` and ``sqrt(Dual(0.0, 1.0))`` both have the derivative
    inf (a test checks they agree); y = 1 gives 1 and y > 1 gives 0. The shortcuts
    at 0 are taken only for plain numbers (on a nested number they would throw its
    inner derivative away).
    """
    if (_is_array(x) or _is_array(y)) and not (_plain(x) and _plain(y)):
        return _power_partials_of_arrays(x, y, out)
    if _plain(y) and y == 0:
        d_base: Any = 0.0  # x**0 = 1 whatever x is
    elif _plain(x) and x == 0:  # a constant base 0 (its partial is never used, if y is live)
        d_base = math.inf if y < 1 else (1.0 if y == 1 else 0.0)  # from the right
    elif _plain(x) and _plain(y):
        try:
            d_base = y * x ** (y - 1)
        except OverflowError:  # x ** (y - 1) alone is too large (x tiny): the same, reordered
            d_base = y / x * out
    else:
        d_base = y * x ** (y - 1)
    if _plain(x) and x == 0:
        d_exponent: Any = -math.inf if y == 0 else 0.0  # 0**y jumps from 1 to 0 at y = 0
    elif x > 0:
        d_exponent = out * log(x)
    else:
        d_exponent = math.nan  # no real log: only an error if the exponent is live
    return d_base, d_exponent


def _power_partials_of_arrays(x: Any, y: Any, out: Any) -> tuple[Any, Any]:
    # The same partials, element by element; NaN where the exponent's partial has no
    # real value (x < 0), and the special values at x = 0 as for floats.
    np = _numpy()
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_base = np.where(y == 0, 0.0, y * x ** (y - 1))
        at_zero = np.where(y < 1, np.inf, np.where(y == 1, 1.0, 0.0))
        d_base = np.where((x == 0) & (y != 0), at_zero, d_base)
        d_exponent = np.where(x > 0, out * np.log(np.where(x > 0, x, 1.0)), np.nan)
        d_exponent = np.where(x == 0, np.where(y == 0, -np.inf, 0.0), d_exponent)
    return d_base, d_exponent


power = define_primitive(  # ** needs care at 0 and for negative bases
    "pow",
    value=_power,
    partials=_power_partials,
    complex_=lambda x, y: x**y,
    array=lambda x, y: x**y,
    symbol="**",
    operator="pow",
    domain="a negative base needs a whole-number exponent, and 0 has no negative powers",
    hint=(
        "For x ** y, the derivative in y needs log(x), so x must be positive; "
        "if the exponent is a fixed number, pass a plain int or float."
    ),
    partial_may_not_exist=True,
    check=False,
)


def _sign(x: Any) -> Any:
    # from the right at 0; NaN stays NaN
    if _is_array(x):
        np = _numpy()
        return np.where(x >= 0, 1.0, np.where(x < 0, -1.0, np.nan))
    return 1.0 if x >= 0 else (-1.0 if x < 0 else math.nan)


absolute = define_primitive(
    "abs",
    value=abs,
    partials=lambda x, out: (_sign(x),),
    array=lambda x: _numpy().abs(x),
    symbol="abs",
    operator="abs",
    check=False,
)

# --- elementary functions ----------------------------------------------------------------

sin = define_primitive(
    "sin",
    value=math.sin,
    partials=lambda x, out: (cos(x),),
    complex_=cmath.sin,
    array=lambda x: _numpy().sin(x),
    check=False,
)
cos: Callable[..., Any] = define_primitive(
    "cos",
    value=math.cos,
    partials=lambda x, out: (-sin(x),),
    complex_=cmath.cos,
    array=lambda x: _numpy().cos(x),
    check=False,
)
tan = define_primitive(
    "tan",
    value=math.tan,
    partials=lambda x, out: (1 + out * out,),
    complex_=cmath.tan,
    array=lambda x: _numpy().tan(x),
    check=False,
)
exp = define_primitive(
    "exp",
    value=math.exp,
    partials=lambda x, out: (out,),
    complex_=cmath.exp,
    array=lambda x: _numpy().exp(x),
    check=False,
)
log = define_primitive(
    "log",
    value=math.log,
    partials=lambda x, out: (1 / x,),
    complex_=cmath.log,
    array=lambda x: _numpy().log(x),
    domain="log is only defined for positive numbers",
    check=False,
)


def _sqrt_partial(x: Any, out: Any) -> Any:
    if type(out) is float and out != 0:
        return 0.5 / out
    if _is_array(out):
        np = _numpy()
        with np.errstate(divide="ignore"):
            return 0.5 / out  # inf where out is 0: the slope from the right
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
    value=math.sqrt,
    partials=lambda x, out: (_sqrt_partial(x, out),),
    complex_=cmath.sqrt,
    array=lambda x: _numpy().sqrt(x),
    domain="sqrt is only defined for numbers >= 0",
    check=False,
)


def _sech_squared(x: Any) -> Any:
    # 1 - tanh(x)**2 written so that it keeps its digits in the tails (tanh(20) == 1.0):
    # the formula is the last two lines. Speed only, same numbers (tested): on a float
    # array, the same formula in place, two arrays instead of seven (adlearn.Tensor's
    # training step is about 7% faster).
    if _is_array(x) and x.dtype.kind == "f":
        np = _numpy()
        e = np.abs(x)
        e *= -2.0
        np.exp(e, out=e)
        denominator = e + 1.0
        denominator *= denominator
        e *= 4.0
        e /= denominator
        return e
    e = exp(-2 * abs(x))
    return 4 * e / (1 + e) ** 2


tanh = define_primitive(
    "tanh",
    value=math.tanh,
    partials=lambda x, out: (_sech_squared(x),),
    complex_=cmath.tanh,
    array=lambda x: _numpy().tanh(x),
    check=False,
)


def _sigmoid_value(x: float) -> float:
    # Two forms of 1 / (1 + e^-x), so that e^(large) never overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_of_array(x: Any) -> Any:
    # The same two forms, element by element: e^(-|x|) never overflows.
    np = _numpy()
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


sigmoid: Callable[..., Any] = define_primitive(
    "sigmoid",
    value=_sigmoid_value,
    partials=lambda x, out: (out * sigmoid(-x),),  # not out * (1 - out): 1 - out loses the tail
    complex_=lambda z: 1 / (1 + cmath.exp(-z)),
    array=_sigmoid_of_array,
    check=False,
)


def _relu_value(x: float) -> float:
    return x if not x <= 0 else 0.0  # written so that relu(nan) stays nan


def _relu_partials(x: Any, out: Any) -> tuple[Any]:
    # the step function: 1 for x >= 0 (from the right at 0), 0 below, NaN stays NaN
    if type(x) is not float and _is_array(x):  # (a float skips the look at its type name)
        np = _numpy()
        return (np.where(x >= 0, 1.0, np.where(x < 0, 0.0, np.nan)),)
    return (1.0 if x >= 0 else (0.0 if x < 0 else math.nan),)


relu = define_primitive(
    "relu",
    value=_relu_value,
    partials=_relu_partials,
    array=lambda x: _numpy().where(x > 0, x, _numpy().where(x <= 0, 0.0, x)),
    check=False,
)

# --- every row, checked now that all of them exist ------------------------------------------

for _row in RULES.values():
    check_rule(_row)
BUILT_IN.update(RULES)
