"""Source transformation: each rule's fast path, written as Python source from its row.

Every operation could go through `adlearn.core.apply`, the one general door. But
``x * y`` runs millions of times, and the general door pays for its generality
(loops over operands, a call to the partials function, checks for nested numbers).
So for each row of the table and each number type, adlearn *writes* a small Python
function for the common case, with the row's formulas pasted in, and compiles it.
Anything unusual (nested numbers, odd operands, an error) still goes to `apply`.

See one with ``adlearn.show_code("mul")``; tracebacks show its lines too. Each number
type contributes only what is its own, the last lines (`Dual`: the tangent;
`Variable`: what is stored), through its ``finish(live_a, live_b, unary)`` method.
"""

from __future__ import annotations

import linecache
from typing import Any

from .core import Primitive, apply, contribution

PLAIN = (float, int)


def value_code(primitive: Primitive) -> str:
    """The expression for the value: the row's formula, or a call of its function."""
    if primitive.formula is not None:
        return primitive.formula
    if primitive.arity == 1:
        return "real(x) if type(x) is float else evaluate(x)"
    return "real(x, y) if type(x) is float and type(y) in PLAIN else evaluate(x, y)"


def partials_code(primitive: Primitive) -> list[str]:
    """Statements that set ``pa`` (and ``pb``): the row's formulas, or a call."""
    if primitive.partial_formulas is not None:
        names = ["pa", "pb"][: primitive.arity]
        return [f"{n} = {f}" for n, f in zip(names, primitive.partial_formulas)]
    if primitive.arity == 1:
        return ["(pa,) = partials(x, out)"]
    return ["pa, pb = partials(x, y, out)"]


def branch(primitive: Primitive, kind: Any, operands: str, live: tuple[bool, bool]) -> list[str]:
    """The body for one case: evaluate, take the partials, check them, finish."""
    args = "self" if primitive.arity == 1 else operands
    lines = ["try:", f"    out = {value_code(primitive)}"]
    lines += ["    " + line for line in partials_code(primitive)]
    lines += ["except (ArithmeticError, ValueError):", f"    return apply(primitive, {args})"]
    if primitive.partial_may_not_exist:  # a NaN partial of a live input: let apply explain
        tests = [f"{p} != {p}" for p, is_live in zip(("pa", "pb"), live) if is_live]
        lines += [
            f"if out == out and ({' or '.join(tests)}):",
            f"    return apply(primitive, {args})",
        ]
    return lines + kind.finish(*live, primitive.arity == 1).splitlines()


def source(primitive: Primitive, kind: Any) -> dict[str, str]:
    """The source of `kind`'s fast paths for `primitive`, by method name."""
    mode, name = kind.__name__, primitive.name
    indent = "        "
    if primitive.arity == 1:
        body = ["a, x = self, self.value"] + branch(primitive, kind, "self", (True, False))
        code = [f"def fast_{name}(self):  # {mode}, generated from RULES[{name!r}]"]
        return {"": "\n".join(code + ["    " + line for line in body]) + "\n"}
    both = branch(primitive, kind, "self, other", (True, True))
    left = branch(primitive, kind, "self, other", (True, False))
    right = branch(primitive, kind, "other, self", (False, True))
    forward = [
        f"def fast_{name}(self, other):  # {mode} {primitive.symbol} other, from RULES[{name!r}]",
        "    kind = type(other)",
        f"    if kind is {mode} and other.tag is self.tag:",
        "        a = self",
        "        b = other",
        "        x = self.value",
        "        y = other.value",
        *(indent + line for line in both),
        "    if kind is float or kind is int:",
        "        a = self",
        "        b = other",
        "        x = self.value",
        "        y = other",
        *(indent + line for line in left),
        "    return apply(primitive, self, other)",
    ]
    reflected = [
        f"def fast_r{name}(self, other):  # other {primitive.symbol} {mode}, from RULES[{name!r}]",
        "    kind = type(other)",
        "    if kind is float or kind is int:",
        "        a = other",
        "        b = self",
        "        x = other",
        "        y = self.value",
        *(indent + line for line in right),
        "    return apply(primitive, other, self)",
    ]
    return {"": "\n".join(forward) + "\n", "r": "\n".join(reflected) + "\n"}


MACHINERY = ("primitive", "real", "evaluate", "partials", "apply", "contribution", "new", "PLAIN")


def compile_fast_paths(
    primitive: Primitive, kind: Any, namespace: dict[str, Any]
) -> dict[str, Any]:
    """Compile `kind`'s fast paths for `primitive`; returns them by prefix ("" or "r").

    The formulas are looked up in `namespace` (the globals of the module that
    defined the rule) when they run, like any function's names. The machinery the
    generated code needs is handed in through an enclosing function.
    """
    compiled = {}
    machinery = (
        primitive,
        primitive.real,
        primitive.evaluate,
        primitive.partials,
        apply,
        contribution,
        object.__new__,
        PLAIN,
        kind,
    )
    for prefix, text in source(primitive, kind).items():
        function = f"fast_{prefix}{primitive.name}"
        maker = f"_adlearn_make_{kind.__name__}_{function}"
        wrapped = (
            f"def {maker}({', '.join(MACHINERY)}, {kind.__name__}):\n"
            + "".join("    " + line for line in text.splitlines(True))
            + f"    return {function}\n"
        )
        filename = f"<adlearn: {kind.__name__}.{function}, generated>"
        linecache.cache[filename] = (len(wrapped), None, wrapped.splitlines(True), filename)
        exec(compile(wrapped, filename, "exec"), namespace)
        compiled[prefix] = namespace.pop(maker)(*machinery)
        compiled[prefix].__doc__ = f"{kind.__name__}'s fast path for {primitive.name}."
    return compiled


def show_code(name: str) -> None:
    """Print the Python source adlearn generated for a rule, for every number type."""
    from .core import MODES, lookup

    primitive = lookup(name)
    for kind in MODES:
        for prefix, text in source(primitive, kind).items():
            print(
                f"# {kind.__name__}.__{prefix}{primitive.operator}__"
                if primitive.operator
                else f"# adlearn.{name} on a {kind.__name__}"
            )
            print(text)
