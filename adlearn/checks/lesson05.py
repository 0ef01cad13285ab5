"""Checks for the exercises of lesson 05, control flow and pitfalls.

Each check tries the learner's code at points they have not seen, in both modes
where it matters, and says what passed or what is wrong.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

from ..core import RULES, topological_order
from ..derivatives import derivative, gradient
from ..dual import Dual
from ..rules import relu
from ..variable import Variable
from .exercise import ShortcutUsed, Wrong, exercise, unseen_points


def _number(answer: Any, what: str) -> float:
    """The learner's answer as a float: a number, or a function that returns one."""
    if callable(answer):
        answer = answer()
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        raise Wrong(f"{what} should be a plain number, but it is {answer!r}")
    return float(answer)


def _agree(got: Any, expected: float, rtol: float, what: str, atol: float = 0.0) -> None:
    if isinstance(got, (Dual, Variable)):
        got = got.value
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise Wrong(f"{what} should be a number, but it is {got!r}")
    if math.isnan(got) or abs(got - expected) > max(rtol * abs(expected), atol):
        raise Wrong(f"{what} is {got!r}, but it should be {expected!r}")


# --- 05.1: predict what AD says at a composite kink ------------------------------------


def _kinked(x: Any) -> Any:
    return relu(2 * x) - relu(-x)


@exercise(
    "05.1",
    "predict the derivative at a composite kink",
    hints=(
        "AD never looks at the function as a whole near 0: it follows the program one "
        "operation at a time. Which slope does adlearn give relu at 0 (the section "
        "'Corners')? Both relus here are evaluated at 0.",
        "Use the chain rule term by term: each relu contributes its conventional slope at "
        "0 times the slope of its own argument, with the sign its term has in f. Add the "
        "contributions, and compare with the one-sided slopes 1 and 2.",
        "AD gives 1 * 2 - 1 * (-1) = 3 at x = 0, in both modes. The one-sided slopes are "
        "1 (left) and 2 (right), so 3 is not even a subgradient: AD is right at every x "
        "except this one. def my_prediction(): return 3.0",
    ),
)
def check_kink_prediction(my_prediction: Any) -> str:
    predicted = _number(my_prediction, "Your prediction")
    forward, reverse = derivative(_kinked, 0.0), gradient(_kinked, [0.0])[0]
    if forward != reverse:  # pragma: no cover - the two modes share one rule table
        raise Wrong("the two modes disagree here; please report this to the authors")
    if predicted in (1.0, 2.0, 1.5):
        raise Wrong(
            f"You predicted {predicted:g}, a slope the function really has near 0 (or their "
            "mean), but AD does not look at the function near 0: it follows the program"
        )
    if predicted == 0.0:
        raise Wrong(
            "You predicted 0, which is what PyTorch and JAX give (their relu'(0) is 0), but "
            "adlearn's relu'(0) is 1, and the question is what adlearn's AD gives"
        )
    if abs(predicted - forward) > 1e-9:
        if abs(predicted - forward) <= 1e-6 * abs(forward):
            raise Wrong(
                f"You predicted {predicted:.15g}, close to what AD gives but not exact: a "
                "numerical estimate? AD gives an exact number here, and so does a "
                "prediction made with the chain rule"
            )
        raise Wrong(f"You predicted {predicted:.15g}, but that is not what AD gives at 0")
    return (
        f"AD gives {forward:g} at 0 in both modes, although the slopes of relu(2x) - relu(-x) "
        "are 1 on the left and 2 on the right: correct almost everywhere, not at every point."
    )


# --- 05.2: a norm with a usable gradient at the origin ---------------------------------


def _norm_points() -> list[tuple[float, float]]:
    xs = unseen_points("05.2 x", 8, -3.0, 3.0)
    ys = unseen_points("05.2 y", 8, -3.0, 3.0)
    points = list(zip(xs, ys))
    points += [(xs[0], 0.0), (0.0, ys[1]), (1e-100 * xs[2], 1e-100 * ys[2]), (0.0, 0.0)]
    return points


def _gradient_in_both_modes(f: Callable[..., Any], x: float, y: float) -> list[tuple[str, Any]]:
    reverse = gradient(f, [x, y])
    forward = (derivative(lambda t: f(t, y), x), derivative(lambda t: f(x, t), y))
    return [("reverse mode", reverse), ("forward mode", forward)]


@exercise(
    "05.2",
    "a norm with a usable gradient at the origin",
    hints=(
        "where does the NaN come from? The section 'When the program's derivative is not "
        "the function's' follows it to sqrt's infinite slope at 0, multiplied by 0. The "
        "value must stay exact, so change which operations run at the origin, not the "
        "formula.",
        "Branch with an ordinary if on the value of the sum of squares. At the origin only, "
        "return something whose value is exactly 0 and whose derivatives there are 0 "
        "(built from what you already computed, without any square root); everywhere "
        "else, the square root as usual. Python's if runs one side only, so the square "
        "root never sees the 0.",
        "def safe_norm(x, y):\n    r2 = x * x + y * y\n    if r2 == 0:\n"
        "        return r2\n    return sqrt(r2)",
    ),
)
def check_safe_norm(safe_norm: Callable[..., Any]) -> str:
    points = _norm_points()
    for x, y in points:
        r = math.hypot(x, y)
        _agree(safe_norm(x, y), r, 1e-14, f"safe_norm({x:.3g}, {y:.3g})")
        want = (x / r, y / r) if r > 0 else (0.0, 0.0)
        for mode, got in _gradient_in_both_modes(safe_norm, x, y):
            for i, name in enumerate(("x", "y")):
                what = f"the derivative in {name} at ({x:.3g}, {y:.3g}), in {mode},"
                _agree(got[i], want[i], 1e-12, what)
    return (
        f"safe_norm has the exact value at {len(points)} points you had not seen, and the "
        "gradient (x, y)/r in both modes, with (0, 0) at the origin."
    )


# --- 05.3: (exp(x) - 1)/x with a derivative that is right near 0 -----------------------

VALUE_DIGITS, SLOPE_DIGITS = 1e-12, 1e-9  # what the exercise asks for, as relative errors


def _series_reference(x: float) -> tuple[float, float]:
    """(e^x - 1)/x and its derivative, summed exactly in rational arithmetic."""
    exact, value, slope, factorial = Fraction(x), Fraction(0), Fraction(0), 1
    power = Fraction(1)  # x ** n
    for n in range(60):  # terms x^n / (n+1)! and their derivatives n x^(n-1) / (n+1)!
        factorial *= n + 1
        value += power / factorial
        if n + 1 < 60:
            slope += (n + 1) * power / (factorial * (n + 2))
        power *= exact
    return float(value), float(slope)


def _expm1_points() -> list[float]:
    named = [0.0, 1e-8, 1e-10, 1e-14, -1e-12]  # the points the lesson talks about
    exponents = unseen_points("05.3 exponent", 24, -15.5, 0.5)
    signs = unseen_points("05.3 sign", 24, -1.0, 1.0)
    spread = [math.copysign(10.0**e, s) for e, s in zip(exponents, signs)]
    return named + spread + unseen_points("05.3 wide", 6, -4.0, 4.0)


_EXPM1_REFUSED = (
    "your code called {name} while exercise 05.3 was checked (a rule of your own made "
    "with define_primitive counts too), and it is switched off here. The exercise asks "
    "you to make (exp(x) - 1)/x right near 0 yourself, from operations that work on Duals "
    "and Variables: a library's expm1 would do the hard half for you"
)


@contextmanager
def _no_expm1(expm1_over_x: Any) -> Iterator[None]:
    """While inside, math.expm1 and NumPy's expm1 refuse to work, however the learner's
    code reaches them by name: as ``math.expm1`` (the module's attribute), or under a
    name of their own in the notebook, in the answer's module, or in the module of a rule
    they made with define_primitive. On leaving, a refusal raises `Wrong` (even if the
    learner's code caught it), so the message carries the exercise's nudge.

    A builtin function has no code to swap (as `forbid=` does for adlearn's own), so
    this works on names; numpy is only switched off if it is already imported.
    """
    refused: list[str] = []
    targets: list[tuple[Any, str]] = [(math.expm1, "math.expm1")]
    modules: list[Any] = [math]
    numpy = sys.modules.get("numpy")
    if numpy is not None and getattr(numpy, "expm1", None) is not None:
        targets.append((numpy.expm1, "numpy.expm1"))
        modules.append(numpy)
    namespaces = [vars(module) for module in modules]
    for namespace in (getattr(expm1_over_x, "__globals__", None),
                      vars(sys.modules["__main__"])):
        if isinstance(namespace, dict):
            namespaces.append(namespace)
    for row in list(RULES.values()):  # the modules of the learner's own rules
        for part in vars(row).values() if hasattr(row, "__dict__") else ():
            namespace = getattr(part, "__globals__", None)
            if isinstance(namespace, dict) and not namespace.get("__name__", "").startswith(
                "adlearn"
            ):
                namespaces.append(namespace)

    def refusing(name: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            refused.append(name)
            raise ShortcutUsed(_EXPM1_REFUSED.format(name=name))

        return refuse

    def held_by_a_rule() -> str | None:
        # a rule of the learner's that holds expm1 itself (value=math.expm1), or in a
        # closure or default: the operators keep the row's functions, names aside
        for row in list(RULES.values()):
            for part in (row.value, row.partials, row.complex_, row.array):
                cells = [c.cell_contents for c in getattr(part, "__closure__", None) or ()
                         if c.cell_contents is not None] if callable(part) else []
                held = [part, *cells, *(getattr(part, "__defaults__", None) or ())]
                for target, name in targets:
                    if any(thing is target for thing in held):
                        return name
        return None

    name = held_by_a_rule()
    if name is not None:
        raise Wrong(_EXPM1_REFUSED.format(name=name))
    replaced: list[tuple[dict[str, Any], str, Any]] = []
    seen: set[int] = set()
    for namespace in namespaces:
        if id(namespace) in seen:
            continue
        seen.add(id(namespace))
        for key, value in list(namespace.items()):
            for target, name in targets:
                if value is target:
                    replaced.append((namespace, key, value))
                    namespace[key] = refusing(name)
    try:
        yield
    except Exception:
        if refused:
            raise Wrong(_EXPM1_REFUSED.format(name=refused[0])) from None
        raise
    finally:
        for namespace, key, value in reversed(replaced):
            namespace[key] = value
    if refused:
        raise Wrong(_EXPM1_REFUSED.format(name=refused[0]))
    name = held_by_a_rule()  # a rule made while the answer ran
    if name is not None:
        raise Wrong(_EXPM1_REFUSED.format(name=name))


@exercise(
    "05.3",
    "(exp(x) - 1)/x with a derivative that is right near 0",
    hints=(
        "test your function near 0, not only at 0: the planted repair is right at 0 and "
        "wrong at 1e-10. The section 'When the program's derivative is not the "
        "function's' says which operation goes wrong there. Near 0, compute something that "
        "never makes that operation.",
        "Below a threshold, return the function's Taylor series at 0, written as an "
        "expression in x (so that its derivative is the series' derivative), with enough "
        "terms that the first term left out is far below the accuracy asked; above the "
        "threshold, the formula. Choose the threshold and the number of terms together, "
        "as the step h in lesson 00: the formula's slope error grows as x shrinks (like "
        "1e-16 over x squared), the series' error grows with x.",
        "def expm1_over_x(x):\n    if abs(x) < 1e-2:\n"
        "        tail = 1 / 120 + x * (1 / 720 + x / 5040)\n"
        "        return 1 + x * (1 / 2 + x * (1 / 6 + x * (1 / 24 + x * tail)))\n"
        "    return (exp(x) - 1) / x",
    ),
)
def check_expm1_over_x(expm1_over_x: Callable[..., Any]) -> str:
    points = _expm1_points()
    for x in points:
        value, slope = _series_reference(x)
        with _no_expm1(expm1_over_x):
            got = expm1_over_x(x)
            forward = derivative(expm1_over_x, x)
            reverse = gradient(expm1_over_x, [x])[0]
        _agree(got, value, VALUE_DIGITS, f"expm1_over_x({x:.3g})")
        _agree(forward, slope, SLOPE_DIGITS, f"its derivative at {x:.3g}")
        _agree(reverse, slope, SLOPE_DIGITS, f"its derivative at {x:.3g} in reverse mode")
    return (
        f"value to 12 digits and derivative to 9 digits, in both modes, at {len(points)} "
        "points from 1e-15 to 4 (both signs), 0, 1e-8, 1e-10, 1e-14 and -1e-12 included."
    )


# --- 05.4: accumulation on purpose -----------------------------------------------------


@contextmanager
def backward_replaced(wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """While inside, Variable.backward is `wrap(original backward)` (lesson 06 uses it too)."""
    original = Variable.backward
    Variable.backward = wrap(original)  # type: ignore[method-assign]
    try:
        yield
    finally:
        Variable.backward = original  # type: ignore[method-assign]


@contextmanager
def _recording_backward() -> Iterator[list[tuple[float, list[Variable]]]]:
    """Record each backward() while inside: the output's value and the graph's inputs.

    Right after the first sweep, every input's .grad is doubled (exact in floating
    point): a .grad that keeps adding up then ends one first share above the plain sum,
    and a number computed beside the sweeps (a closed form) does not follow.
    """
    sweeps: list[tuple[float, list[Variable]]] = []

    def recording(original: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(self: Variable) -> Any:
            result = original(self)
            leaves = [n for n in topological_order(self) if n.primitive is None]
            if not sweeps:  # the probe: what is returned must be what the sweeps left
                for leaf in leaves:
                    leaf.grad = 2 * leaf.grad
            sweeps.append((float(self.value), leaves))
            return result

        return recorded

    with backward_replaced(recording):
        yield sweeps


def _data_sets() -> list[tuple[float, list[tuple[float, float]]]]:
    sets = []
    for k, size in enumerate((3, 5, 7)):
        xs = unseen_points(f"05.4 x{k}", size, -2.0, 3.0)
        ys = unseen_points(f"05.4 y{k}", size, -4.0, 4.0)
        w = unseen_points(f"05.4 w{k}", 1, -2.0, 2.0)[0]
        sets.append((w, list(zip(xs, ys))))
    return sets


@exercise(
    "05.4",
    "one backward() per data point",
    hints=(
        "the section 'Gradients accumulate': here accumulation is what you want. How many "
        "Variables for w do you need, and should anything be reset between points?",
        "Create the Variable for w once, before the loop. For each data point build only "
        "that point's squared error from it and sweep it; reset nothing in between. After "
        "the loop its .grad holds the sum of every point's contribution, which is dL/dw: "
        "return it.",
        'def data_gradient(w, points):\n    weight = Variable(w, name="w")\n'
        "    for x, y in points:\n        ((weight * x - y) ** 2).backward()\n"
        "    return weight.grad",
    ),
    forbid=(gradient,),
    why="Here the point is to let backward() calls add up in .grad yourself.",
)
def check_data_gradient(data_gradient: Callable[..., Any]) -> str:
    for w, points in _data_sets():
        want = sum(2 * (w * x - y) * x for x, y in points)
        with _recording_backward() as sweeps:
            got = data_gradient(w, points)
        x_last, y_last = points[-1]
        last = 2 * (w * x_last - y_last) * x_last
        number = got.value if isinstance(got, Variable) else got
        plain = isinstance(number, (int, float)) and not isinstance(number, bool)
        if plain and math.isclose(number, last, rel_tol=1e-12) and not math.isclose(number, want):
            raise Wrong(
                f"data_gradient({w:.3g}, <{len(points)} points>) is {number!r}, the last "
                "point's contribution alone: something reset .grad between points "
                "(zero_grad(), or a new Variable each time). Let every backward() add "
                "into the same .grad"
            )
        if len(sweeps) != len(points):
            raise Wrong(
                f"with {len(points)} data points your code called backward() {len(sweeps)} "
                "times; the exercise asks for one call per data point"
            )
        swept = sorted(value for value, _ in sweeps)
        errors = sorted((w * x - y) ** 2 for x, y in points)
        if any(not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-14) for a, b in zip(swept, errors)):
            raise Wrong(
                "each backward() should sweep one data point's squared error (w x - y)**2, "
                f"but the values your sweeps started from were {[f'{v:.4g}' for v in swept]}"
            )
        # The first sweep's share was doubled on w's .grad: its point is the one whose
        # squared error that sweep started from.
        firsts = [2 * (w * x - y) * x for x, y in points
                  if math.isclose((w * x - y) ** 2, sweeps[0][0], rel_tol=1e-12, abs_tol=1e-14)]
        probed = [want + share for share in firsts]
        if plain and math.isclose(number, want, rel_tol=1e-12) and not any(
            math.isclose(number, p, rel_tol=1e-12) for p in probed
        ):
            raise Wrong(
                f"data_gradient({w:.3g}, <{len(points)} points>) returned {number!r}, the "
                "plain sum of the points' shares, but the check doubled w's .grad right "
                "after your first backward(), so the .grad your sweeps left is one first "
                "share more. The number you return was not read from that .grad (a formula "
                "beside the backward() calls is not the accumulation)"
            )
        expected = min(probed, key=lambda p: abs(p - number)) if plain and probed else want
        _agree(got, expected, 1e-12, f"data_gradient({w:.3g}, <{len(points)} points>), with "
               "the first sweep's share doubled by the check,")
        shared = [leaf for leaf in sweeps[0][1] if leaf.value == w]
        shared = [leaf for leaf in shared if all(any(leaf is n for n in ns) for _, ns in sweeps)]
        if not shared:
            raise Wrong(
                "the sweeps did not all reach one and the same Variable for w: make it once, "
                "before the loop, so that every backward() adds into its .grad"
            )
        if not any(leaf.grad == got for leaf in shared):
            raise Wrong(
                f"you returned {got!r}, which is not the .grad your backward() calls left on "
                "w: return the accumulated gradient itself, not a number from elsewhere"
            )
    return (
        "the gradient is right on three data sets you had not seen, with exactly one "
        "backward() per data point, and it is the .grad those sweeps left (the check "
        "doubled it after the first sweep, and your answer followed)."
    )
