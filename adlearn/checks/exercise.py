"""How an exercise is checked: right, not done yet, or what is wrong and where to look.

A check is a function decorated with `exercise`. Its body tries the learner's code at
points the learner has not seen, and raises `Wrong` with a plain-words message at the
first thing that is wrong; when all is well it returns a sentence saying what passed::

    @exercise("02.1", "MyDual arithmetic", hints=(
        "The product rule ...",                      # the nudge: hint("02.1"), and every miss
        "The method in words ...",                   # hint("02.1"), second call
        "The worked answer: ...",                    # hint("02.1"), third call
    ), forbid=(derivative,), why="build the tangent yourself")
    def check_my_dual(MyDual):
        ...
        raise Wrong("MyDual(2, 1) * MyDual(3, 0) has tangent 2, but it should be 3.")
        ...
        return "MyDual agrees with adlearn.Dual on 40 random programs."

What the learner sees:

* right: ``✓ Right: <the returned sentence>``;
* not done (their stub still raises ``NotImplementedError``): ``… Not done yet``,
  and nothing is raised, so a notebook with open exercises still runs top to bottom;
* wrong: a `CheckFailed` error whose message is the explanation plus the first hint,
  and ``hint("02.1")`` for more. Jupyter shows only the message, not a traceback.

While the check runs, the library functions in ``forbid`` refuse to work for the
learner's code (they raise `ShortcutUsed` with ``why``), however that code reached them:
by name, an alias, a default argument, a closure or a submodule. So a one-line call of
the library cannot pass an exercise that asks you to build the thing yourself.

Graders: with the environment variable ``ADLEARN_GRADING=1`` when the checks are first
imported, a check that is not done raises `CheckFailed` too, so nbgrader gives it no
points. That is decided once, at import: a cell that changes ``os.environ`` later does
not switch grading off. What nbgrader scores is decided outside the learner's kernel:
`adlearn.checks.isolated` runs each graded check again in a fresh process, where the
learner's code cannot reach the check (INSTRUCTORS.md, "What grading guarantees").
"""

from __future__ import annotations

import functools
import html
import importlib
import inspect
import itertools
import numbers
import os
import random
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .references import close

# --- the verdict ---------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a check: `passed`, and a message written for the learner."""

    passed: bool
    message: str
    done: bool = True  # False when the exercise has not been attempted yet

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = "✓" if self.passed else ("…" if not self.done else "✗")
        return f"{mark} {self.message}"

    def _repr_html_(self) -> str:
        colour = "#007a4d" if self.passed else ("#8a6d00" if not self.done else "#b3261e")
        return (
            f'<div style="border-left:4px solid {colour};padding:4px 10px;margin:4px 0">'
            f"{html.escape(repr(self))}</div>"
        )


class CheckFailed(AssertionError):
    """An exercise's check found a wrong answer (or, when grading, no answer yet).

    It is an error so that graders (nbgrader) see the failure; in Jupyter it shows
    as its message alone, without a traceback, since the learner's code is fine to
    run and only the answer is wrong.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[1;31m{self.args[0]}\x1b[0m"]


class Wrong(Exception):
    """Raised inside a check's body: the message says what is wrong, in plain words."""


class ShortcutUsed(Exception):
    """A library function was called by an exercise that asks you to build it yourself."""


_GRADING = os.environ.get("ADLEARN_GRADING", "") == "1"  # decided once, at import


def grading() -> bool:
    """True when a grader runs the notebook: ADLEARN_GRADING=1 was set when the checks
    were first imported. It is not read again, so a cell cannot switch grading off."""
    return _GRADING


def verdict(result: CheckResult) -> CheckResult:
    """Show a right answer (or a not-done one); raise `CheckFailed` for a wrong one."""
    if result.passed or (not result.done and not grading()):
        return result
    raise CheckFailed(repr(result))


# --- exercises and their hints -------------------------------------------------------


HINT_STEPS = ("a nudge", "the method", "the worked answer")
"""What the three hints of every exercise are, in the order `hint` gives them."""


@dataclass
class Exercise:
    """One exercise: a key such as ``"02.1"``, a title, and three hints.

    The hints climb a ladder (`HINT_STEPS`): a nudge (where to look, which idea),
    then the method in words, and only last the worked answer. Neither of the first
    two contains the answer's code or formula. A wrong answer shows the nudge.
    """

    key: str
    title: str
    hints: tuple[str, ...]
    hints_given: int = 0  # how many times hint(key) has been called
    forbid: tuple[Any, ...] = ()  # the library shortcuts switched off while it is checked
    why: str = ""  # what the learner is told when they call one

    def next_hint(self) -> str:
        index = min(self.hints_given, len(self.hints) - 1)
        self.hints_given = index + 1
        step = HINT_STEPS[index] if len(self.hints) == len(HINT_STEPS) else "a hint"
        label = f"Hint {index + 1} of {len(self.hints)} ({step})"
        if index < len(self.hints) - 1:
            label += f'; run hint("{self.key}") again for the next one'
        return f"{label}. Exercise {self.key}, {self.title}:\n\n{self.hints[index]}"


EXERCISES: dict[str, Exercise] = {}
"""Every exercise of the lessons, by key ("lesson.number")."""


class Hint(str):
    """A hint that shows as plain text in Jupyter (not as a quoted string)."""

    def __repr__(self) -> str:
        return str(self)


def hint(key: str) -> Hint:
    """The next hint for an exercise: a nudge, then the method, then the worked answer.

    It works before any check has run, so a learner who has written nothing yet can
    ask for the nudge.
    """
    key = str(key)
    if key not in EXERCISES:
        _load_lesson(key)
    if key not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise KeyError(f"There is no exercise {key!r}. The exercises are: {known}.")
    return Hint(EXERCISES[key].next_hint())


def _load_lesson(key: str) -> None:
    """Import the check module of lesson NN for the key "NN.k", if there is one."""
    lesson = key.split(".")[0]
    if lesson.isdigit():
        try:
            importlib.import_module(f"adlearn.checks.lesson{lesson}")
        except ImportError:
            pass


def exercise(
    key: str,
    title: str,
    hints: Sequence[str],
    *,
    forbid: Sequence[Any] = (),
    why: str = "",
) -> Callable[[Callable[..., str]], Callable[..., CheckResult]]:
    """Make a check out of a body that raises `Wrong` or returns what passed."""
    if not hints:
        raise ValueError(f"exercise {key}: give at least one hint (the nudge).")
    entry = Exercise(key, title, tuple(hints), forbid=tuple(forbid), why=why)
    EXERCISES[key] = entry

    def decorate(body: Callable[..., str]) -> Callable[..., CheckResult]:
        @functools.wraps(body)
        def check(*args: Any, **kwargs: Any) -> CheckResult:
            with forbidden(forbid, why):
                result = _run(entry, body, args, kwargs)
            return verdict(result)

        # The grader (adlearn.checks.isolated) runs the body itself, in a fresh process.
        check.exercise = entry  # type: ignore[attr-defined]
        check.body = body  # type: ignore[attr-defined]
        return check

    return decorate


def _run(entry: Exercise, body: Callable[..., str], args: Any, kwargs: Any) -> CheckResult:
    more = f' For more help, run hint("{entry.key}").'
    borrowed = handed_in([*args, *kwargs.values()], entry.forbid) if entry.forbid else None
    if borrowed is not None:
        name = getattr(borrowed, "__name__", None)
        shown = f"{name}()" if isinstance(name, str) else "adlearn's rule table"
        return CheckResult(False, f"{_refusal(shown, entry.why)} (It was handed to the "
                           "check as your answer.)")
    try:
        passed = body(*args, **kwargs)
    except NotImplementedError:
        return CheckResult(False, f"Not done yet: exercise {entry.key}, {entry.title}.", False)
    except ShortcutUsed as error:
        return CheckResult(False, str(error))
    except Wrong as error:
        return CheckResult(False, f"{_sentence(error)} Where to look: {entry.hints[0]}{more}")
    except RecursionError:
        return CheckResult(
            False,
            "Your code hit Python's recursion limit: something calls itself once per "
            f"node of the graph. Where to look: {entry.hints[0]}{more}",
        )
    except Exception as error:  # the learner's code failed: report it, do not crash
        return CheckResult(
            False,
            f"Your code raised {type(error).__name__}: {_sentence(error)} "
            f"Where to look: {entry.hints[0]}{more}",
        )
    return CheckResult(True, f"Right: {passed}")


def _sentence(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text if text.endswith((".", "!", "?")) else text + "."


# --- making shortcuts fail -----------------------------------------------------------

PACKAGE_FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
"""adlearn's own folder: code loaded from a file in it is adlearn's (a check, a reference,
the library inside), and may call what a check switches off."""


def _gate_template(*args: Any, **kwargs: Any) -> Any:
    return _adlearn_gate_(args, kwargs)  # type: ignore[name-defined]  # noqa: F821


def gate_code(function: types.FunctionType, global_name: str, shown: str) -> types.CodeType:
    """Code that can replace `function`'s own: it hands every call, as (args, kwargs), to
    the gate stored under `global_name` in the function's globals.

    It is `_gate_template`'s code with its one global name changed, and the free
    variables of `function` (a closure) named, since Python lets a function's code be
    replaced only by code with as many free variables. No code is written as text.
    """
    original = function.__code__
    return _gate_template.__code__.replace(
        co_names=(global_name,), co_freevars=original.co_freevars,
        co_name=original.co_name, co_filename=f"<adlearn: {shown} switched off>",
    )


assert _gate_template.__code__.co_names == ("_adlearn_gate_",)  # what gate_code renames


def _refusal(shown: str, why: str) -> ShortcutUsed:
    return ShortcutUsed(
        f"This exercise asks you to do the work yourself, so {shown} is switched off "
        f"while it is checked. {why}".strip()
    )


def _adlearns(code: types.CodeType) -> bool:
    """Was this code loaded from adlearn's own files (a check, a reference, the library)?"""
    return code.co_filename.startswith(PACKAGE_FOLDER)


_GATED: dict[int, int] = {}  # ids of what the checks running now have switched off
_gate_names = itertools.count()


def _switch_off_function(function: types.FunctionType, shown: str, why: str
                         ) -> Callable[[], None]:
    """Until the returned undo is called, `function` refuses calls from code that is not
    adlearn's: its code is swapped for a gate, so every route to the object (a default
    argument, a closure, an alias, a submodule) reaches the gate."""
    saved = (function.__code__, function.__defaults__, function.__kwdefaults__)
    twin = types.FunctionType(saved[0], function.__globals__, function.__name__, saved[1],
                              function.__closure__)
    twin.__kwdefaults__ = saved[2]
    getframe = sys._getframe

    def gate(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not _adlearns(getframe(2).f_code):  # 0: this gate, 1: the gated function
            raise _refusal(shown, why)
        return twin(*args, **kwargs)

    name = f"_adlearn_gate_{next(_gate_names)}"
    namespace = function.__globals__
    namespace[name] = gate
    function.__code__ = gate_code(function, name, shown)
    function.__defaults__ = function.__kwdefaults__ = None

    def undo() -> None:
        function.__code__, function.__defaults__, function.__kwdefaults__ = saved
        namespace.pop(name, None)

    return undo


def _switch_off_class(cls: type, why: str) -> Callable[[], None]:
    """Until the returned undo is called, making a `cls` (or a subclass) refuses to work
    from code that is not adlearn's; adlearn's own arithmetic still makes them."""
    had_own = "__init__" in cls.__dict__
    own = cls.__dict__.get("__init__")
    inner: Any = cls.__init__  # type: ignore[misc]
    getframe = sys._getframe

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        if not _adlearns(getframe(1).f_code):
            raise _refusal(f"{cls.__name__}()", why)
        inner(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = __init__  # type: ignore[misc]

    def undo() -> None:
        if had_own:
            cls.__init__ = own  # type: ignore[misc]
        else:
            del cls.__init__  # type: ignore[misc]

    return undo


def _row_functions(row: Any) -> list[types.FunctionType]:
    """The derivative rules of one row of a table (its functions, and those in a tuple),
    not ``evaluate``, which is what ``adlearn.sin`` itself is."""
    if hasattr(row, "__dict__"):
        fields = {k: v for k, v in vars(row).items() if k != "evaluate"}
    else:
        names: Any = getattr(row, "_fields", None) or getattr(row, "__slots__", ())
        fields = {name: getattr(row, name, None) for name in names}
    found = []
    for value in fields.values():
        for part in value if type(value) is tuple else (value,):
            if isinstance(part, types.FunctionType):
                found.append(part)
    return found


@contextmanager
def forbidden(functions: Sequence[Any], why: str) -> Iterator[None]:
    """While inside, `functions` raise `ShortcutUsed` when the learner's code calls them
    (or, for a table such as ``adlearn.RULES``, reads it through its name).

    It works on the objects themselves: a function's code is swapped for a gate, a
    class's ``__init__`` gets one, and a table's rules are gated one by one. The gate
    asks who is calling: code loaded from adlearn's own files (the checks, their
    references, the library inside) goes through; any other code (the notebook's,
    however it got hold of the object: an alias, a default argument, a closure, a
    submodule such as ``adlearn.derivatives.derivative``) is refused. Everything is
    put back when the check ends, even when it fails. Tables are also replaced by name
    in ``adlearn`` and the notebook (``__main__``), so that reading them is refused.
    """
    if not functions:
        yield
        return
    import adlearn

    undo: list[tuple[int, Callable[[], None]]] = []
    replaced: list[tuple[dict[str, Any], str, Any]] = []
    try:
        gated: list[tuple[Any, str]] = []
        for thing in functions:
            if isinstance(thing, (type, types.FunctionType)):
                name = thing.__qualname__  # Graph.of, not of; a nested function by its name
                shown = f"{name if '<locals>' not in name else thing.__name__}()"
                gated.append((thing, shown))
            else:
                rows = thing.values() if isinstance(thing, dict) else (thing,)
                gated += [(f, "adlearn's rule table") for row in rows
                          for f in _row_functions(row)]
                for namespace in (vars(adlearn), vars(sys.modules["__main__"])):
                    for name, value in list(namespace.items()):
                        if value is thing:
                            replaced.append((namespace, name, value))
                            namespace[name] = _refusing(value, why)
        for thing, shown in gated:
            if _GATED.get(id(thing)) or getattr(thing, "_adlearn_gated", False):
                continue  # an outer check (or the grader) switched it off already
            if isinstance(thing, type):
                done = _switch_off_class(thing, why)
            else:
                done = _switch_off_function(thing, shown, why)
            _GATED[id(thing)] = 1
            undo.append((id(thing), done))
        yield
    finally:
        for namespace, name, value in replaced:
            namespace[name] = value
        for key, step in reversed(undo):
            step()
            _GATED.pop(key, None)


def _refusing(thing: Any, why: str) -> Any:
    """A stand-in for a switched-off table (such as adlearn.RULES) under its name."""
    name = getattr(thing, "__name__", None)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise _refusal(f"{name}()" if name else "adlearn's rule table", why)

    if callable(thing):
        return refuse

    class Refused:
        __getitem__ = __getattr__ = __iter__ = __len__ = __contains__ = refuse

    return Refused()


def handed_in(values: Iterable[Any], forbid: Sequence[Any]) -> Any:
    """The forbidden thing that one of `values` (the arguments a check was given) is, or
    wraps, or subclasses; None if there is none.

    A gate lets a check call what it forbids (the check's own references do), so a
    forbidden function handed to the check itself as the answer would pass: this finds
    it, through partial, a bound or static method, ``functools.wraps`` and a callable
    object's ``__call__``.
    """
    functions = [f for f in forbid if not isinstance(f, type)]
    classes = [c for c in forbid if isinstance(c, type)]
    stack = [(value, 0) for value in values]
    while stack:
        value, depth = stack.pop()
        if any(value is f for f in functions) or any(value is c for c in classes):
            return value
        if isinstance(value, type):
            found = next((c for c in classes if c in type.__dict__["__mro__"].__get__(value)),
                         None)
            if found is not None:
                return found
            continue
        if depth >= 4:
            continue
        inner: list[Any] = []
        if isinstance(value, functools.partial):
            inner.append(value.func)
        elif isinstance(value, (types.MethodType, staticmethod, classmethod)):
            inner.append(value.__func__)
        if isinstance(value, (types.MethodType, types.BuiltinMethodType,
                              types.MethodWrapperType)):
            inner.append(value.__self__)
        try:  # functools.wraps and lru_cache keep what they wrap here; no __getattr__ runs
            inner.append(inspect.getattr_static(value, "__wrapped__"))
        except AttributeError:
            pass
        if not isinstance(value, (types.FunctionType, types.BuiltinFunctionType,
                                  types.MethodType, functools.partial)):
            try:  # an object whose __call__ is the function
                inner.append(inspect.getattr_static(type(value), "__call__"))
            except AttributeError:
                pass
        stack += [(item, depth + 1) for item in inner]
    return None


# --- helpers for writing checks ------------------------------------------------------


def unseen_points(key: str, count: int, low: float, high: float) -> list[float]:
    """`count` numbers in [low, high) that the learner has not seen, the same each run."""
    generator = random.Random(f"adlearn exercise {key}")
    return [generator.uniform(low, high) for _ in range(count)]


def expect_close(
    actual: Any, expected: Any, what: str, *, rtol: float = 1e-7, atol: float = 1e-9
) -> None:
    """Raise `Wrong` unless `actual` is `expected` within the tolerance."""
    if not close(actual, expected, rtol, atol):
        actual_text, expected_text = _distinct(actual, expected)
        raise Wrong(f"{what} is {actual_text}, but it should be {expected_text}.")


def same(actual: Any, expected: Any) -> bool:
    """Is `actual` exactly `expected` (a number, a string, None, or a tuple of them)?

    It never asks the learner's objects whether they are equal (an object whose
    ``__eq__`` always says yes proves nothing): numbers are compared as floats after
    ``float()``, strings only when they are plain ``str``, tuples and lists item by item.
    """
    if expected is None:
        return actual is None
    if type(expected) in (tuple, list):
        return (
            type(actual) in (tuple, list)
            and len(actual) == len(expected)
            and all(same(a, e) for a, e in zip(actual, expected))
        )
    if type(expected) is str:
        return type(actual) is str and str.__eq__(actual, expected) is True
    if isinstance(actual, bool) or not isinstance(actual, numbers.Real):
        return False
    try:
        return float(actual) == float(expected)
    except (TypeError, ValueError, OverflowError):
        return False


# --- the two general checks ----------------------------------------------------------


def check_close(
    actual: Any,
    expected: Any,
    *,
    what: str = "your answer",
    hint: str = "",
    rtol: float = 1e-7,
    atol: float = 1e-9,
) -> CheckResult:
    """Is `actual` equal to `expected` within tolerance? Say so in plain words.

    `actual` may be the learner's function itself (called with no arguments), so that
    an exercise still raising ``NotImplementedError`` reads as "not done yet".
    """
    if callable(actual):
        try:
            actual = actual()
        except NotImplementedError:
            return verdict(CheckResult(False, f"Not done yet: fill in {what}.", done=False))
    if actual is None or actual is Ellipsis:
        return verdict(CheckResult(False, f"Not done yet: fill in {what}.", done=False))
    if close(actual, expected, rtol, atol):
        return CheckResult(True, f"Right: {what} is {_short(expected)}.")
    actual_text, expected_text = _distinct(actual, expected)
    message = f"Not quite: {what} is {actual_text}, but it should be {expected_text}."
    return verdict(CheckResult(False, message + (f" Hint: {hint}" if hint else "")))


def check_function(
    candidate: Callable[..., Any],
    reference: Callable[..., Any],
    points: Sequence[Any],
    *,
    name: str = "your function",
    hint: str = "",
    rtol: float = 1e-7,
    atol: float = 1e-9,
) -> CheckResult:
    """Run `candidate` and `reference` at every point and compare the results.

    A point is a number, or a tuple of arguments. The candidate may still be a stub
    that raises ``NotImplementedError``: that gives a friendly "not done yet".
    """
    tip = f" Hint: {hint}" if hint else ""
    for point in points:
        args = point if isinstance(point, tuple) else (point,)
        shown = ", ".join(_short(a) for a in args)
        try:
            got = candidate(*args)
        except NotImplementedError:
            message = f"Not done yet: {name} still raises NotImplementedError."
            return verdict(CheckResult(False, message, done=False))
        except Exception as error:  # the learner's code failed: report it, do not crash
            message = f"{name}({shown}) raised {type(error).__name__}: {_sentence(error)}"
            return verdict(CheckResult(False, message + tip))
        expected = reference(*args)
        if not close(got, expected, rtol, atol):
            got_text, expected_text = _distinct(got, expected)
            message = f"{name}({shown}) returned {got_text}, but it should be {expected_text}."
            return verdict(CheckResult(False, message + tip))
    return CheckResult(True, f"Right: {name} matches at all {len(points)} test points.")


def _distinct(a: Any, b: Any) -> tuple[str, str]:
    """Short forms of two numbers, with all their digits when the short ones look equal."""
    if _short(a) != _short(b):
        return _short(a), _short(b)
    return repr(a), repr(b)


def _short(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in x) + "]"
    return repr(x)
