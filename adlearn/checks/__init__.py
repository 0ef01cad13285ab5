"""Checks: independent references for derivatives, and the checks of the exercises.

* `references`: finite differences, the complex step, `close`, `primitive_errors`.
* `exercise`: how a check reports (right, not done yet, or what is wrong), hints in
  three steps (`hint`), and switching off the library shortcut while a check runs.
* `isolated`: grading in a fresh process, out of the learner's reach (nbgrader uses it
  through `autograde.IsolatedChecks`).
* ``lesson00`` ... ``lesson09``: the checks of each lesson's exercises, e.g.
  ``from adlearn.checks import lesson02`` then ``lesson02.check_my_dual(MyDual)``.
"""

from .exercise import (
    EXERCISES,
    CheckFailed,
    CheckResult,
    ShortcutUsed,
    Wrong,
    check_close,
    check_function,
    exercise,
    expect_close,
    forbidden,
    grading,
    hint,
    same,
    unseen_points,
    verdict,
)
from .references import (
    along_coordinate,
    central_difference,
    close,
    complex_step,
    forward_difference,
    numerical_gradient,
    primitive_errors,
)

__all__ = [
    "EXERCISES",
    "CheckFailed",
    "CheckResult",
    "ShortcutUsed",
    "Wrong",
    "along_coordinate",
    "central_difference",
    "check_close",
    "check_function",
    "close",
    "complex_step",
    "exercise",
    "expect_close",
    "forbidden",
    "forward_difference",
    "grading",
    "hint",
    "numerical_gradient",
    "primitive_errors",
    "same",
    "unseen_points",
    "verdict",
]
