"""How a row is added to the rule table: `define_primitive`, its checks, and
`remove_primitive`, which takes a row out again.

One call gives an operation its value and its local partial derivatives, both as
ordinary Python functions. After it, `Dual`, `Variable`, the drawings and the
traces all know the operation, and so does the function it returns (``sin`` in
``rules.py`` is made this way).

A new rule is checked when it is defined, so that a mistake shows at once and not
as a wrong number later: its value and partials are called at a point where it is
defined, must give one number per input, and must agree with the complex step (or
with central differences, for operations that do not take complex numbers). Any
error raised there, a misspelt name included, is reported with the rule's name.
``rules.py`` defines its rows first and checks them all at its end, because its
rows call each other (the partial of ``sin`` calls ``cos``, defined after it).
A definition that fails leaves the table exactly as it was.
"""

from __future__ import annotations

import ast
import inspect
import keyword
import math
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .complex_number import Complex
from .core import MODES, OPERATORS, RULES, Node, Primitive, apply, is_real, register

PROBES = (0.7, 1.3, 0.3, 2.1)  # where a new rule is tried, if it is defined there

OPERATOR_NAMES = {
    2: ("add", "sub", "mul", "truediv", "pow"),  # x + y, x - y, x * y, x / y, x ** y
    1: ("neg", "abs"),  # -x, abs(x)
}
"""The Python operators a row may implement, by number of inputs."""

BUILT_IN: set[str] = set()
"""The names of the rows of ``rules.py``, which `remove_primitive` keeps."""

_displaced: dict[str, tuple[Primitive, dict[tuple[type, str], Any]]] = {}
"""For a row that took an operator over (``replace=True``): the row that had it, and
the methods it had given the number types (``__mul__``, ``__rmul__``)."""


def define_primitive(
    name: str,
    *,
    value: Callable[..., Any] | None = None,
    partials: Callable[..., tuple[Any, ...]] | None = None,
    arity: int | None = None,
    complex_: Callable[..., Any] | None = None,
    array: Callable[..., Any] | None = None,
    symbol: str | None = None,
    operator: str | None = None,
    domain: str = "",
    hint: str = "Move the input away from this point.",
    partial_may_not_exist: bool = False,
    replace: bool = False,
    check: bool = True,
    **unknown: Any,
) -> Callable[..., Any]:
    """Add an operation to adlearn and return the function that users call.

    * ``value``: its value on floats, a function (``math.sin``, ``lambda x, y: x * y``).
    * ``partials``: a function ``partials(x, out)`` (one input) or ``partials(x, y,
      out)`` (two) that returns a tuple with the local partial derivatives, one per
      input, given the inputs and the value ``out``: ``lambda x, out: (cos(x),)``.
      Write them with adlearn's own functions so that they work on nested numbers
      too (that is how second derivatives work).
    * ``arity``: how many inputs (read from ``partials`` when not given).
    * ``complex_``: its value on complex numbers (``cmath.sin``), if sensible;
      ``array``: its value on NumPy arrays (``numpy.sin``), if sensible.
    * ``symbol``: the label drawn in graphs and traces (defaults to the name);
      ``operator``: the Python operator it implements (``"mul"`` for ``*``). An
      operator another row owns is refused unless ``replace=True``.
    * ``domain``: where it is defined ("log needs x > 0"); ``hint``: what to do
      where a partial does not exist, with ``partial_may_not_exist=True``.
    * ``replace=True`` replaces an existing rule of that name (or takes over its
      operator). Defining the very same rule again (re-running a notebook cell)
      is always allowed. `remove_primitive` undoes a definition.
    * ``check=False`` leaves the check to the caller (``rules.py`` checks its rows
      together at its end, with `check_rule`).
    """
    arity = _checked_definition(name, value, partials, arity, operator, unknown)
    assert value is not None and partials is not None  # checked above
    old = RULES.get(name)
    if old is not None and not replace and not _same_rule(old, value, partials):
        raise ValueError(
            f"A different primitive named {name!r} already exists. Pick another name, "
            f"or pass replace=True to change it (adlearn.remove_primitive({name!r}) "
            "takes it out)."
        )
    owner = OPERATORS.get(operator) if operator else None
    if owner is not None and owner.name != name and not replace:
        raise ValueError(
            f"define_primitive({name!r}): the operator {operator!r} already belongs to the "
            f"row {owner.name!r}, for every number in this Python session. Leave "
            "operator= out and call the function define_primitive returns, or pass "
            "replace=True if you really mean to change what the operator does."
        )
    row = _row(name, value, partials, arity, complex_, array, symbol, operator, domain, hint)
    row.partial_may_not_exist = partial_may_not_exist
    row.constant_partials = getattr(partials, "constants", None)
    if check:
        check_rule(row)
    # Nothing above has changed the table; from here on nothing can fail.
    if old is not None:
        _take_out(old)
    if owner is not None and owner.name != name:
        _displaced[name] = (owner, _methods(owner))
    register(row)
    return row.evaluate


def _checked_definition(
    name: Any,
    value: Any,
    partials: Any,
    arity: int | None,
    operator: str | None,
    unknown: dict[str, Any],
) -> int:
    """The definition's mistakes, each with a teaching message; returns the arity."""
    if "real" in unknown:
        raise TypeError(
            f"define_primitive({name!r}, real=...): the value function is now called "
            "value=, because it gives the operation's value: define_primitive(name, "
            "value=..., partials=...)."
        )
    if unknown:
        raise TypeError(f"define_primitive() got unexpected keyword(s): {', '.join(unknown)}.")
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(
            f"define_primitive({name!r}): a rule's name must be a Python name (letters, "
            "digits and _, not starting with a digit, not a keyword), like 'softplus': it "
            "names the function in error messages, drawings and adlearn.RULES."
        )
    if name.startswith("_"):
        raise ValueError(f"define_primitive({name!r}): a rule's name may not start with _.")
    for label, function in (("value", value), ("partials", partials)):
        if isinstance(function, (str, tuple, list)):
            raise TypeError(
                f"define_primitive({name!r}): {label} must be a Python function, not "
                f"{function!r}. Write it as one, for example value=lambda x: math.sin(x), "
                "partials=lambda x, out: (cos(x),)."
            )
        if not callable(function):
            raise TypeError(
                f"define_primitive({name!r}): give {label}= as a function, got {function!r}."
            )
    arity = arity or _inputs_of(partials) - 1
    if arity not in (1, 2):
        raise ValueError(
            f"define_primitive({name!r}): partials receives the inputs and the value, "
            "partials(x, out) or partials(x, y, out), and adlearn's primitives take one or "
            f"two inputs, not {arity}. Build a bigger operation from smaller ones."
        )
    takes = _inputs_of(value, default=arity)
    if takes != arity:
        raise ValueError(
            f"define_primitive({name!r}): value takes {takes} input(s) but partials is for "
            f"{arity}: give one partial per input of value."
        )
    if operator is not None and operator not in OPERATOR_NAMES[arity]:
        raise ValueError(
            f"define_primitive({name!r}): operator={operator!r} is not an operator adlearn "
            f"lets a rule with {arity} input(s) implement; the choices are "
            f"{', '.join(OPERATOR_NAMES[arity])}."
        )
    return arity


def _inputs_of(function: Callable[..., Any], default: int = 0) -> int:
    try:
        return len(inspect.signature(function).parameters)
    except (TypeError, ValueError):  # some built-in functions do not say
        return default


def constant_partials(*partials: float) -> Callable[..., tuple[Any, ...]]:
    """Partials that are the same numbers at every point, declared as numbers.

    ``partials=constant_partials(1.0, -1.0)`` (the row ``sub``) means the same as
    ``partials=lambda x, y, out: (1.0, -1.0)``; the operators of Dual and Variable read
    the numbers once, when they are made, instead of calling a function at every
    operation (they are ``row.constant_partials``).
    """
    if len(partials) not in (1, 2):
        raise ValueError(
            f"constant_partials{partials!r}: adlearn's primitives take one or two inputs, "
            "so give one or two partials."
        )

    def one_input(x: Any, out: Any) -> tuple[Any, ...]:
        return partials

    def two_inputs(x: Any, y: Any, out: Any) -> tuple[Any, ...]:
        return partials

    same_everywhere = one_input if len(partials) == 1 else two_inputs
    setattr(same_everywhere, "constants", partials)  # noqa: B010  (read by define_primitive)
    return same_everywhere


def _row(
    name: str,
    value: Callable[..., Any],
    partials: Callable[..., Any],
    arity: int,
    complex_: Callable[..., Any] | None,
    array: Callable[..., Any] | None,
    symbol: str | None,
    operator: str | None,
    domain: str,
    hint: str,
) -> Primitive:
    """The row, with the function users call (``adlearn.sin``): floats go straight to
    ``value``; Duals and Variables to their own code for the row; anything else to
    `evaluate_plain`, which also explains errors."""

    def unary(x: Any) -> Any:
        if type(x) is float:
            try:
                return value(x)
            except (ValueError, OverflowError, ZeroDivisionError):
                pass  # evaluate_plain raises the same error, explained
        operation = row.operations.get(type(x))
        if operation is not None:
            return operation(x)
        if isinstance(x, Node):
            return apply(row, x)
        return evaluate_plain(row, (x,))

    def binary(x: Any, y: Any) -> Any:
        if type(x) is float and type(y) is float:
            try:
                return value(x, y)
            except (ValueError, OverflowError, ZeroDivisionError):
                pass  # evaluate_plain raises the same error, explained
        operation = row.operations.get(type(x))
        if operation is not None:  # x is a Dual or a Variable: its own code for the row
            return operation(x, y)
        operation = row.operations.get(type(y))
        if operation is not None:  # y is: the same code, for a number on the left
            return operation.reflected(y, x)  # type: ignore[attr-defined]
        if isinstance(x, Node) or isinstance(y, Node):
            return apply(row, x, y)
        return evaluate_plain(row, (x, y))

    public = unary if arity == 1 else binary
    public.__name__ = public.__qualname__ = name
    public.__doc__ = f"{name} on numbers, Dual and Variable (its rule: adlearn.RULES[{name!r}])."
    row = Primitive(
        name,
        symbol or name,
        arity,
        public,
        partials,
        value,
        complex_=complex_,
        array=array,
        operator=operator,
        domain=domain,
        hint=hint,
    )
    return row


def remove_primitive(name: str) -> None:
    """Take a row that `define_primitive` added out of the table again.

    Its operator, if it took one over, goes back to the row that had it. The rows
    of adlearn's own table (``rules.py``) stay.
    """
    if name in BUILT_IN:
        raise ValueError(f"remove_primitive({name!r}): the rows of adlearn's own table stay.")
    if name not in RULES:
        raise KeyError(f"remove_primitive({name!r}): there is no rule of that name.")
    _take_out(RULES[name])


def _take_out(row: Primitive) -> None:
    """Remove `row` from the table, and give its operator back to the row it displaced."""
    del RULES[row.name]
    displaced = _displaced.pop(row.name, None)
    if row.operator and OPERATORS.get(row.operator) is row:
        del OPERATORS[row.operator]
        for (mode, method), _ in _methods(row).items():
            delattr(mode, method)
        if displaced is not None and RULES.get(displaced[0].name) is displaced[0]:
            previous, methods = displaced
            OPERATORS[row.operator] = previous
            for (mode, method), function in methods.items():
                setattr(mode, method, function)


def _methods(row: Primitive) -> dict[tuple[type, str], Any]:
    """The operator methods a row has given the number types, by (type, name)."""
    names = [f"__{prefix}{row.operator}__" for prefix in ("", "r")] if row.operator else []
    return {(mode, n): vars(mode)[n] for mode in MODES for n in names if n in vars(mode)}


def _same_rule(old: Primitive, value: Callable[..., Any], partials: Callable[..., Any]) -> bool:
    """The same source code again (a notebook cell run a second time)?"""

    def code(f: Any) -> Any:
        c = getattr(f, "__code__", None)
        constants = getattr(f, "constants", None)  # constant_partials(...)'s numbers
        return f if c is None else (c.co_code, c.co_consts, c.co_names, constants)

    return code(old.partials) == code(partials) and code(old.value) == code(value)


def evaluate_plain(primitive: Primitive, args: tuple[Any, ...]) -> Any:
    """A primitive on plain numbers (or NumPy arrays), with errors that say what went wrong."""
    name, real, complex_ = primitive.name, primitive.value, primitive.complex_
    call = _Call(name, args)
    if any(_is_array(a) for a in args):
        if primitive.array is None:
            raise TypeError(
                f"{name}() of a NumPy array: adlearn's {name} has no array version; "
                "for arrays of numbers with derivatives, use adlearn.Tensor."
            )
        return primitive.array(*args)
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


def _is_array(x: Any) -> bool:
    """A NumPy array (checked by name, so that adlearn imports without NumPy)."""
    return type(x).__name__ == "ndarray" and type(x).__module__ == "numpy"


def check_rule(primitive: Primitive) -> None:
    """Try a rule once; raise a teaching error, naming the rule, if it cannot be right."""
    name, arity = primitive.name, primitive.arity
    real, complex_ = primitive.value, primitive.complex_
    point = out = None
    for probe in PROBES:
        candidate = tuple(probe + 0.1 * i for i in range(arity))
        try:
            out = real(*candidate)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        except Exception as error:
            raise _broken(name, "value", error) from error
        if isinstance(out, (int, float)) and math.isfinite(out):
            point = candidate
            break
    if point is None:
        return  # defined nowhere near our probes: nothing to compare with
    try:
        partials = primitive.partials(*point, out)
    except Exception as error:
        raise _broken(name, "partials", error) from error
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


def _broken(name: str, part: str, error: Exception) -> Exception:
    """The error of a rule whose function fails where the rule is defined (a typo?)."""
    kind = type(error) if isinstance(error, (NameError, TypeError, AttributeError)) else ValueError
    return kind(
        f"define_primitive({name!r}): its {part} function fails when it is tried at a point "
        f"where the rule is defined: {type(error).__name__}: {error}"
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


def show_code(name: str) -> None:
    """Print the code that runs for a rule: its row (the define_primitive call, from
    ``rules.py`` or wherever it was made) and each number type's function for it
    (made once from the row by `adlearn.dual.forward_operation` and
    `adlearn.variable.reverse_operation`)."""
    from .core import lookup

    row = lookup(name)
    print(f"# the row: adlearn.RULES[{name!r}]")
    print(_definition(row))
    for mode in MODES:
        where = (
            f"{mode.__name__}.__{row.operator}__"
            if row.operator
            else f"adlearn.{name} on a {mode.__name__}"
        )
        operation = row.operations[mode]
        place = Path(inspect.getsourcefile(operation) or "?").name
        print(f"# {where}: {operation.__name__}, made by the code in adlearn/{place}")
        free = inspect.getclosurevars(operation).nonlocals
        if free.get("row") is row:  # the row whose value and partials it calls
            print(f"# (its `row` is adlearn.RULES[{name!r}], the row printed above, and")
            for line in textwrap.wrap(_bindings(free, row) + ")", 84):
                print(f"#  {line}")
            if row.constant_partials is not None:
                print(
                    f"# (its `constants` are the row's partials, {row.constant_partials}: "
                    "read once, when it was made, instead of calling partials)"
                )
        elif "row" in free:
            print(f"# (its `row` is {free['row']!r}: the row printed above is not called here)")
        print(textwrap.dedent(_source(operation)))
        if row.arity == 2:  # a plain number on the left: 2 * x runs x.__rmul__(2)
            where = f"{mode.__name__}.__r{row.operator}__" if row.operator else "the same"
            print(f"# {where}, for a number on the left (2 {row.symbol} x): made by the same code")
            print(textwrap.dedent(_source(operation.reflected)))  # type: ignore[attr-defined]


def _bindings(free: Mapping[str, Any], row: Primitive) -> str:
    """What the names an operation reads from its row stand for, in words."""
    said = {
        "value": f"value = {_name_of(row.value)}",
        "dispatch": f"dispatch = RULES[{row.name!r}].evaluate",
        "partials": "partials = the row's partials",
        "constants": f"constants = {row.constant_partials}",
        "nan_possible": f"nan_possible = {row.partial_may_not_exist}",
        "new": "new = object.__new__",
    }
    return ", ".join(text for key, text in said.items() if key in free)


def _name_of(function: Any) -> str:
    module = (getattr(function, "__module__", None) or "builtins").lstrip("_")
    name = getattr(function, "__qualname__", repr(function))
    return f"{module}.{name}" if name != "<lambda>" else "the row's value"


def _definition(row: Primitive) -> str:
    """The whole statement that defined `row`, or the source of its two functions.

    The statement is found from the first of the row's functions written in Python
    where the row was defined (not constant_partials' function, which lives here)."""
    for function in (row.partials, row.array, row.complex_, row.value):
        code = getattr(function, "__code__", None)
        if function is None or code is None or code.co_filename == __file__:
            continue
        try:
            lines, _ = inspect.findsource(function)
            for statement in ast.parse("".join(lines)).body:
                end = statement.end_lineno or statement.lineno
                if statement.lineno <= code.co_firstlineno <= end:
                    return "".join(lines[statement.lineno - 1 : end]).rstrip()
        except (TypeError, OSError, SyntaxError):
            pass
    return "\n".join(_source(part) for part in (row.value, row.partials))


def _source(function: Any) -> str:
    try:
        return inspect.getsource(function).rstrip()
    except (TypeError, OSError):  # a built-in function such as math.sin
        module = getattr(function, "__module__", None) or "builtins"
        return f"{module}.{getattr(function, '__name__', function)}  # built in, no Python source"
