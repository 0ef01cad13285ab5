"""How a row is added to the rule table: `define_primitive`, and its checks.

One call gives an operation its value and its local partial derivatives. After it,
`Dual`, `Variable`, the drawings and the traces all know the operation, and so
does the function it returns (``sin`` in ``rules.py`` is made this way).

A new rule is checked when it is defined, so that a mistake shows at once and not
as a wrong number later: the partials are tried at one point, must come back as
one number per input, and must agree with the complex step (or with central
differences, for operations that do not take complex numbers).
"""

from __future__ import annotations

import builtins
import inspect
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .complex_number import Complex
from .core import RULES, Node, Primitive, apply, is_real, register

PROBES = (0.7, 1.3, 0.3, 2.1)  # where a new rule is tried, if it is defined there


def define_primitive(
    name: str,
    *,
    real: Callable[..., Any] | str,
    partials: Callable[..., tuple[Any, ...]] | Sequence[str],
    arity: int | None = None,
    complex_: Callable[..., Any] | None = None,
    symbol: str | None = None,
    operator: str | None = None,
    domain: str = "",
    hint: str = "Move the input away from this point.",
    partial_may_not_exist: bool = False,
    replace: bool = False,
) -> Callable[..., Any]:
    """Add an operation to adlearn and return the function that users call.

    * ``real``: its value on floats (``math.sin``), or a formula (``"x * y"``).
    * ``partials``: the local partial derivatives, one per input, as formulas of
      ``x``, ``y`` and the value ``out`` (``("cos(x)",)``), or as a function
      ``partials(*inputs, out) -> tuple``. Write them with adlearn's own functions
      so that they work on nested numbers too (that is how second derivatives work).
    * ``arity``: how many inputs (read from ``partials`` when not given).
    * ``complex_``: its value on complex numbers (``cmath.sin``), if sensible.
    * ``symbol``: the label drawn in graphs and traces (defaults to the name);
      ``operator``: the Python operator it implements (``"mul"`` for ``*``).
    * ``domain``: where it is defined ("log needs x > 0"); ``hint``: what to do
      where a partial does not exist, with ``partial_may_not_exist=True``.
    * ``replace=True`` replaces an existing rule of that name. Defining the very
      same rule again (re-running a notebook cell) is always allowed.
    """
    namespace = _formula_names(sys._getframe(1).f_globals)
    if isinstance(partials, str):
        raise TypeError(
            f"define_primitive({name!r}): partials must be a tuple of formulas, one per "
            f"input, like ({partials!r},) with its comma; got the string {partials!r}."
        )
    if isinstance(partials, (tuple, list)):
        if not partials or not all(isinstance(f, str) for f in partials):
            raise TypeError(
                f"define_primitive({name!r}): give the partials as formulas (strings), one "
                f'per input, like ("cos(x)",) or ("y", "x"); got {partials!r}.'
            )
        arity = arity or len(partials)
        if len(partials) != arity:
            raise ValueError(
                f"define_primitive({name!r}): {len(partials)} partial formula(s) for {arity} "
                "input(s). Give one partial per input, in order; a missing one would "
                "silently count as 0."
            )
    elif callable(partials):
        arity = arity or len(inspect.signature(partials).parameters) - 1
    else:
        raise TypeError(f"define_primitive({name!r}): partials must be formulas or a function.")
    if arity not in (1, 2):
        raise ValueError(
            f"define_primitive({name!r}): partials receives the inputs and the value, "
            "partials(x, out) or partials(x, y, out), and adlearn's primitives take one or "
            f"two inputs, not {arity}. Build a bigger operation from smaller ones."
        )
    inputs = "x" if arity == 1 else "x, y"
    formula = real if isinstance(real, str) else None
    formulas = tuple(partials) if isinstance(partials, (tuple, list)) else None
    if formulas is not None:
        for text in formulas:  # each on its own first, so that an error names it
            _compile(name, text, f"{inputs}, out", namespace)
        partials = _compile(name, f"({', '.join(formulas)},)", f"{inputs}, out", namespace)
    if formula is not None:
        real = _compile(name, formula, inputs, namespace)
        complex_ = complex_ or _compile(name, formula, inputs, namespace)
    if not callable(real) or not callable(partials):
        raise TypeError(f"define_primitive({name!r}): real must be a function or a formula.")
    try:
        takes = len(inspect.signature(real).parameters)
    except (TypeError, ValueError):  # some built-in functions do not say
        takes = arity
    if takes != arity:
        raise ValueError(
            f"define_primitive({name!r}): real takes {takes} input(s) but there are {arity} "
            "partial(s): give one partial per input of real."
        )
    if name in RULES and not replace and not _same_rule(RULES[name], real, partials):
        raise ValueError(
            f"A different primitive named {name!r} already exists. Pick another name, "
            "or pass replace=True to change it."
        )

    def unary(x: Any) -> Any:
        if type(x) is float:
            try:
                return real(x)
            except (ValueError, OverflowError, ZeroDivisionError):
                pass  # evaluate_plain raises the same error, explained
        fast = primitive.fast.get(type(x))
        if fast is not None:
            return fast(x)
        if isinstance(x, Node):
            return apply(primitive, x)
        return evaluate_plain(primitive, real, complex_, (x,))

    def binary(x: Any, y: Any) -> Any:
        if type(x) is float and type(y) is float:
            try:
                return real(x, y)
            except (ValueError, OverflowError, ZeroDivisionError):
                pass  # evaluate_plain raises the same error, explained
        if isinstance(x, Node) or isinstance(y, Node):
            return apply(primitive, x, y)
        return evaluate_plain(primitive, real, complex_, (x, y))

    public = unary if arity == 1 else binary
    public.__name__ = public.__qualname__ = name
    public.__doc__ = f"{name} on numbers, Dual and Variable (its rule: adlearn.RULES[{name!r}])."
    primitive = Primitive(
        name,
        symbol or name,
        arity,
        public,
        partials,
        operator=operator,
        domain=domain,
        hint=hint,
        partial_may_not_exist=partial_may_not_exist,
        real=real,
        formula=formula,
        partial_formulas=formulas,
        namespace=namespace,
    )
    _check_new_rule(primitive, real, complex_)
    register(primitive)
    return public


def _formula_names(caller: dict[str, Any]) -> dict[str, Any]:
    """Where the names in formulas are looked up: the caller's globals, after
    adlearn's own functions (so "sigmoid(x)" works with only `import adlearn`).
    The rule table itself (adlearn.rules) uses its own globals, live, because its
    rows refer to functions defined further down (sin's partial is cos)."""
    if caller.get("__name__") == f"{__package__}.rules":
        return caller
    from . import rules

    names = {k: v for k, v in vars(rules).items() if callable(v) and not k.startswith("__")}
    return {"__builtins__": __builtins__, "math": math, **names, **caller}


def _compile(name: str, text: str, params: str, namespace: dict[str, Any]) -> Any:
    """A formula as a function of `params`, or an error that says what is wrong."""
    try:
        function = eval(f"lambda {params}: {text}", namespace)
    except SyntaxError as error:
        raise SyntaxError(
            f"define_primitive({name!r}): {text!r} is not a Python expression ({error.msg})."
        ) from None
    if namespace.get("__name__") != f"{__package__}.rules":
        known = set(namespace) | set(dir(builtins)) | set(params.replace(",", " ").split())
        unknown = [n for n in function.__code__.co_names if n not in known]
        if unknown:
            raise NameError(
                f"define_primitive({name!r}): the formula {text!r} uses {unknown[0]!r}, "
                "which is not defined where define_primitive was called. Define or import "
                "it first (adlearn's own functions, sin, exp, sigmoid, ..., are known)."
            )
    return function


def _same_rule(old: Primitive, real: Callable[..., Any], partials: Callable[..., Any]) -> bool:
    """The same source code again (a notebook cell run a second time)?"""

    def code(f: Any) -> Any:
        c = getattr(f, "__code__", None)
        return f if c is None else (c.co_code, c.co_consts, c.co_names)

    return code(old.partials) == code(partials) and code(old.real) == code(real)


def evaluate_plain(
    primitive: Primitive,
    real: Callable[..., Any],
    complex_: Callable[..., Any] | None,
    args: tuple[Any, ...],
) -> Any:
    """A primitive on plain numbers, with errors that say what went wrong."""
    name = primitive.name
    call = _Call(name, args)
    if all(is_real(a) or _is_numpy_real(a) for a in args):
        try:
            floats = [float(a) for a in args]
        except OverflowError:
            raise OverflowError(
                f"{call}: an input is too large for a float (the largest is about 1.8e308)."
            ) from None
        try:
            return real(*floats)
        except OverflowError:
            raise OverflowError(
                f"{call} overflows: the result is larger than the largest float (about 1.8e308)."
            ) from None
        except (ValueError, ZeroDivisionError) as error:
            explanation = primitive.domain or f"{name} is not defined there"
            raise type(error)(f"{call} is undefined: {explanation}.") from None
    if all(is_real(a) or isinstance(a, (complex, Complex)) for a in args):
        if complex_ is None:
            raise TypeError(
                f"{call}: {name} is only defined for real numbers in adlearn, not complex ones."
            )
        builtin = [a.to_builtin() if isinstance(a, Complex) else a for a in args]
        result = complex_(*builtin)
        return Complex.lift(result) if any(isinstance(a, Complex) for a in args) else result
    bad = next(a for a in args if not (is_real(a) or isinstance(a, (complex, Complex))))
    raise TypeError(
        f"{name}() needs a number, a Dual or a Variable, but got {bad!r} "
        f"of type {type(bad).__name__}."
    )


class _Call:
    """How an error message shows the call, built only when an error needs it."""

    def __init__(self, name: str, args: tuple[Any, ...]) -> None:
        self.name, self.args = name, args

    def __format__(self, spec: str) -> str:
        return f"{self.name}({', '.join(_short(a) for a in self.args)})"


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 30 else f"{text[:12]}...({len(text)} digits)"


def _is_numpy_real(x: Any) -> bool:
    return type(x).__module__ == "numpy" and getattr(x, "shape", None) == () and x.imag == 0


def _check_new_rule(
    primitive: Primitive, real: Callable[..., Any], complex_: Callable[..., Any] | None
) -> None:
    """Try a new rule once; raise a teaching error if its partials cannot be right."""
    name, arity = primitive.name, primitive.arity
    point = out = None
    for probe in PROBES:
        candidate = tuple(probe + 0.1 * i for i in range(arity))
        try:
            out = real(*candidate)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            continue
        if isinstance(out, (int, float)) and math.isfinite(out):
            point = candidate
            break
    if point is None:
        return  # defined nowhere near our probes: nothing to compare with
    try:
        partials = primitive.partials(*point, out)
    except NameError:
        return  # written with a function defined further down the table: tests check it
    if not isinstance(partials, (tuple, list)):
        raise TypeError(
            f"define_primitive({name!r}): partials must return a tuple with one partial per "
            f"input, like (cos(x),), but it returned {type(partials).__name__}. "
            "(A generator would be used up by the first backward().)"
        )
    if len(partials) != arity:
        raise ValueError(
            f"define_primitive({name!r}): partials returned {len(partials)} value(s) for "
            f"{arity} input(s). Give one partial per input, in order: "
            + ("(d/dx,)" if arity == 1 else "(d/dx, d/dy)")
            + ". A missing partial would silently count as 0."
        )
    for index, partial in enumerate(partials):
        reference, tolerance = _reference(real, complex_, point, index)
        if reference is None or not isinstance(partial, (int, float)):
            continue
        if not math.isclose(partial, reference, rel_tol=tolerance, abs_tol=tolerance):
            raise ValueError(
                f"define_primitive({name!r}): at {point}, the partial with respect to input "
                f"{index + 1} is {partial!r}, but the value function changes at a rate of "
                f"{reference:.8g} there. Check the formula in partials (and its order)."
            )


def _reference(
    real: Callable[..., Any],
    complex_: Callable[..., Any] | None,
    point: tuple[float, ...],
    index: int,
) -> tuple[float | None, float]:
    """The slope of `real` in input `index`: complex step if possible, else central."""

    def moved(step: Any) -> list[Any]:
        args: list[Any] = list(point)
        args[index] = args[index] + step
        return args

    if complex_ is not None:
        try:
            h = 1e-20
            return complex_(*moved(1j * h)).imag / h, 1e-9
        except (ValueError, ZeroDivisionError, TypeError):
            pass
    h = 1e-6
    try:
        return (real(*moved(h)) - real(*moved(-h))) / (2 * h), 1e-4
    except (ValueError, ZeroDivisionError, OverflowError):
        return None, 0.0
