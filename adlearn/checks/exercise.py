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

While the check runs, the library functions in ``forbid`` refuse to work (they raise
`ShortcutUsed` with ``why``), so a one-line call of what the notebook imports cannot
pass an exercise that asks you to build the thing yourself.

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
import numbers
import os
import random
import sys
from collections.abc import Callable, Iterator, Sequence
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


@contextmanager
def forbidden(functions: Sequence[Any], why: str) -> Iterator[None]:
    """While inside, `functions` raise `ShortcutUsed` when the learner calls them
    (or, for a table such as ``adlearn.RULES``, reads it).

    They are replaced in the ``adlearn`` namespace and in the notebook's own
    namespace (``__main__``), which is where a learner's code finds them. The checks'
    own references import them from adlearn's submodules and are not affected.
    """
    if not functions:
        yield
        return
    import adlearn

    namespaces = [vars(adlearn), vars(sys.modules["__main__"])]
    replaced: list[tuple[dict[str, Any], str, Any]] = []
    for namespace in namespaces:
        for name, value in list(namespace.items()):
            if any(value is f for f in functions):
                replaced.append((namespace, name, value))
                namespace[name] = _refusing(value, why)
    try:
        yield
    finally:
        for namespace, name, value in replaced:
            namespace[name] = value


def _refusing(thing: Any, why: str) -> Any:
    """A stand-in for a switched-off function (or table, such as adlearn.RULES)."""
    name = getattr(thing, "__name__", None)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        shown = f"{name}()" if name else "adlearn's rule table"
        raise ShortcutUsed(
            f"This exercise asks you to do the work yourself, so {shown} is switched off "
            f"while it is checked. {why}".strip()
        )

    if callable(thing):
        return refuse

    class Refused:
        __getitem__ = __getattr__ = __iter__ = __len__ = __contains__ = refuse

    return Refused()


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
