"""The rule table: every primitive operation, defined exactly once.

Each entry says two things about one operation:

* how to compute its value (on floats, and on complex numbers where that makes sense);
* its local partial derivatives, one per input, written as ordinary formulas.

Forward mode (`Dual`) multiplies these partials by the incoming tangents and adds
them up. Reverse mode (`Variable`) stores them on the graph's edges and multiplies
them by the outgoing adjoint. The drawings write them on the edges. Nobody writes a
derivative rule a second time.

The partials are written with the functions defined here (``cos``, ``exp``, ...)
and with ordinary operators, so they work on plain floats and on nested types too
(a `Variable` whose values are `Dual` numbers gives second derivatives).

Convention at points where a function has no derivative (``relu`` and ``abs`` at 0,
``sqrt`` at 0): adlearn uses the derivative *from the right*, as if the input were a
tiny bit larger. So ``relu'(0) = 1``, ``abs'(0) = 1`` and ``sqrt'(0) = inf``. Both
one-sided values at a kink are valid subgradients; the right-hand one is simply the
one adlearn picks, everywhere, in both modes.
"""

from __future__ import annotations

import cmath
import math
import operator
from collections.abc import Callable
from typing import Any

from .complex_number import Complex
from .core import Node, Primitive, apply, register

# ---------------------------------------------------------------------------
# Defining a primitive
# ---------------------------------------------------------------------------


def define_primitive(
    name: str,
    *,
    real: Callable[..., float],
    partials: Callable[..., tuple[Any, ...]],
    arity: int = 1,
    complex_: Callable[..., complex] | None = None,
    symbol: str | None = None,
    domain: str = "",
    partial_may_not_exist: bool = False,
) -> Callable[..., Any]:
    """Add an operation to adlearn and return the function that users call.

    * ``real``: computes the value on floats (``math.sin``).
    * ``partials``: ``partials(*inputs, out) -> tuple`` of local partial derivatives,
      one per input, written with adlearn's own functions so that they also work on
      nested types.
    * ``arity``: how many inputs the operation takes.
    * ``complex_``: computes the value on complex numbers (``cmath.sin``), if sensible.
    * ``symbol``: the short label drawn in graphs (defaults to the name).
    * ``domain``: where it is defined, for error messages ("log needs x > 0").
    * ``partial_may_not_exist``: set it if a partial can come out NaN where the value
      exists; both modes then raise a clear error there instead of spreading the NaN.

    After this one call, `Dual`, `Variable`, the graph drawings and the traces all
    know the new operation.
    """

    def function(*args: Any) -> Any:
        if len(args) != arity:
            raise TypeError(f"{name}() takes {arity} argument(s), but got {len(args)}.")
        if any(isinstance(a, Node) for a in args):
            return apply(name, *args)
        return _evaluate_plain(name, real, complex_, domain, args)

    def unary_function(x: Any) -> Any:
        # The same as `function`, with a short path for the most common case: a float.
        if type(x) is float or type(x) is int:
            try:
                return real(x)
            except (ValueError, OverflowError, ZeroDivisionError):
                pass  # _evaluate_plain raises the same error with an explanation
        elif isinstance(x, Node):
            return apply(name, x)
        return _evaluate_plain(name, real, complex_, domain, (x,))

    public = unary_function if arity == 1 else function
    public.__name__ = public.__qualname__ = name
    public.__doc__ = f"{name} on floats, Dual and Variable numbers (rule in adlearn.rules)."
    register(Primitive(name, symbol or name, arity, public, partials, partial_may_not_exist))
    return public


def _evaluate_plain(
    name: str,
    real: Callable[..., Any],
    complex_: Callable[..., Any] | None,
    domain: str,
    args: tuple[Any, ...],
) -> Any:
    """Compute a primitive on plain numbers, with errors that say what went wrong."""
    call = f"{name}({', '.join(repr(a) for a in args)})"
    if all(_is_real(a) for a in args):
        try:
            return real(*(float(a) for a in args))
        except OverflowError:
            raise OverflowError(
                f"{call} overflows: the result is larger than the largest float (about 1.8e308)."
            ) from None
        except (ValueError, ZeroDivisionError) as error:
            explanation = domain or f"{name} is not defined there"
            raise type(error)(f"{call} is undefined: {explanation}.") from None
    if all(_is_real(a) or isinstance(a, (complex, Complex)) for a in args):
        if complex_ is None:
            raise TypeError(
                f"{call}: {name} is only defined for real numbers in adlearn, not complex ones."
            )
        builtin = [a.to_builtin() if isinstance(a, Complex) else a for a in args]
        result = complex_(*builtin)
        return Complex.lift(result) if any(isinstance(a, Complex) for a in args) else result
    bad = next(a for a in args if not (_is_real(a) or isinstance(a, (complex, Complex))))
    raise TypeError(
        f"{name}() needs a number, a Dual or a Variable, but got {bad!r} "
        f"of type {type(bad).__name__}."
    )


def _is_real(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# ---------------------------------------------------------------------------
# Arithmetic: what + - * / ** and unary - mean
# ---------------------------------------------------------------------------


def _divide(x: Any, y: Any) -> Any:
    if y == 0:
        raise ZeroDivisionError(
            f"Division by zero in {x!r} / {y!r}. Check the divisor, or guard it: "
            "a function that divides by something that can be 0 has no value there."
        )
    return x / y


def _power(x: Any, y: Any) -> Any:
    if _is_real(x) and _is_real(y):
        if x < 0 and not float(y).is_integer():
            raise ValueError(
                f"{x!r} ** {y!r} is not a real number: a negative base needs an integer "
                "exponent (the result would be complex)."
            )
        if x == 0 and y < 0:
            raise ZeroDivisionError(f"0 ** {y!r} is undefined: 0 has no negative powers.")
        try:
            return x**y
        except OverflowError:
            raise OverflowError(f"{x!r} ** {y!r} is too large for a float.") from None
    return x**y


def _pow_partial_base(x: Any, y: Any, out: Any) -> Any:
    # d(x**y)/dx = y * x**(y - 1), the power rule.
    if y == 0:
        return 0.0
    if x == 0 and y < 1:
        return math.inf  # x**0.5 at 0: the slope from the right is vertical.
    return y * x ** (y - 1)


def _pow_partial_exponent(x: Any, y: Any, out: Any) -> Any:
    # d(x**y)/dy = x**y * log(x), which needs x > 0.
    if x > 0:
        return out * log(x)
    if x == 0:
        return 0.0
    return math.nan  # undefined; harmless unless the exponent is itself a variable


register(Primitive("add", "+", 2, operator.add, lambda x, y, out: (1.0, 1.0)))
register(Primitive("sub", "-", 2, operator.sub, lambda x, y, out: (1.0, -1.0)))
register(Primitive("mul", "*", 2, operator.mul, lambda x, y, out: (y, x)))
register(Primitive("div", "/", 2, _divide, lambda x, y, out: (1 / y, -out / y)))
register(
    Primitive(
        "pow",
        "**",
        2,
        _power,
        lambda x, y, out: (_pow_partial_base(x, y, out), _pow_partial_exponent(x, y, out)),
        partial_may_not_exist=True,
    )
)
register(Primitive("neg", "-", 1, operator.neg, lambda x, out: (-1.0,)))


def _absolute(x: Any) -> Any:
    if isinstance(x, (complex, Complex)):
        raise TypeError(
            "abs() of a complex number has no complex derivative (it is not analytic), "
            "so adlearn does not differentiate it; use abs(z) directly for its size."
        )
    return abs(x)


register(Primitive("abs", "abs", 1, _absolute, lambda x, out: (1.0 if x >= 0 else -1.0,)))


# ---------------------------------------------------------------------------
# Elementary functions
# ---------------------------------------------------------------------------

Function = Callable[[Any], Any]


def _sigmoid_real(x: float) -> float:
    # Two forms of 1 / (1 + e^-x), so that e^(large) never overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu_real(x: float) -> float:
    # "not x <= 0" rather than "x > 0" so that relu(nan) stays nan.
    return x if not x <= 0 else 0.0


sin: Function = define_primitive(
    "sin", real=math.sin, complex_=cmath.sin, partials=lambda x, out: (cos(x),)
)
cos: Function = define_primitive(
    "cos", real=math.cos, complex_=cmath.cos, partials=lambda x, out: (-sin(x),)
)
tan: Function = define_primitive(
    "tan", real=math.tan, complex_=cmath.tan, partials=lambda x, out: (1 + out * out,)
)
exp: Function = define_primitive(
    "exp", real=math.exp, complex_=cmath.exp, partials=lambda x, out: (out,)
)
log: Function = define_primitive(
    "log",
    real=math.log,  # raises ValueError for x <= 0, explained by `domain`
    complex_=cmath.log,
    partials=lambda x, out: (1 / x,),
    domain="log is only defined for positive numbers",
)
sqrt: Function = define_primitive(
    "sqrt",
    real=math.sqrt,
    complex_=cmath.sqrt,
    partials=lambda x, out: (0.5 / out if out != 0 else math.inf,),
    domain="sqrt is only defined for numbers >= 0",
)
tanh: Function = define_primitive(
    "tanh", real=math.tanh, complex_=cmath.tanh, partials=lambda x, out: (1 - out * out,)
)
sigmoid: Function = define_primitive(
    "sigmoid",
    real=_sigmoid_real,
    complex_=lambda z: 1 / (1 + cmath.exp(-z)),
    partials=lambda x, out: (out * (1 - out),),
)
relu: Function = define_primitive(
    "relu", real=_relu_real, partials=lambda x, out: (1.0 if x >= 0 else 0.0,)
)

FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    f.__name__: f for f in (sin, cos, tan, exp, log, sqrt, tanh, sigmoid, relu)
}
"""The elementary functions by name, for lessons and tests that loop over them."""
