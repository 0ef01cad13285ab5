"""nbgrader's autograde, with every graded check decided outside the learner's kernel.

nbgrader runs a submission in one kernel and scores a test cell by its output: an error
is 0 points, anything else full points. The learner's answer cells run in that kernel
first and can change whatever the check cells rely on. `IsolatedChecks` runs after
nbgrader's `Execute`: it hands the notebook's code cells, as nbgrader holds them (the
submitted answer cells, the test cells restored from the source), to
`adlearn.checks.isolated.grade_cells`, which runs them again in a fresh process, and it
replaces each test cell's output with that verdict. So the kernel's own run only shows
the learner what happened; the score comes from the fresh process.

The course's ``nbgrader_config.py`` (written by ``bash run.sh course``) puts it in place::

    c.Autograde.autograde_preprocessors = autograde_preprocessors()
"""

from __future__ import annotations

import os
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool, Float

from .isolated import cell_kind, grade_cells


class IsolatedChecks(Preprocessor):
    """Decide every graded test cell in a fresh process, not in the learner's kernel."""

    enabled = Bool(True, help="nbconvert runs a preprocessor only when it is enabled.").tag(
        config=True
    )
    timeout = Float(600.0, help="Seconds the fresh process may take for one notebook.").tag(
        config=True
    )

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        cells = [(cell_kind(cell), cell.source) for cell in code]
        where = resources.get("metadata", {}).get("path") or os.getcwd()
        results = iter(grade_cells(cells, cwd=where, timeout=self.timeout))
        for cell, (kind, _) in zip(code, cells):
            if kind != "check":
                continue
            result = next(results)
            message = result["message"]
            if result["passed"]:
                cell.outputs = [new_output("stream", name="stdout",
                                           text=f"Graded in a fresh process: {message}\n")]
            else:
                cell.outputs = [new_output(
                    "error", ename="CheckFailed",
                    evalue=f"Graded in a fresh process: {message}",
                    traceback=[f"CheckFailed: graded in a fresh process: {message}"],
                )]
        return nb, resources


def autograde_preprocessors() -> list[Any]:
    """nbgrader's autograde steps, with `IsolatedChecks` right after the kernel's run."""
    from nbgrader.converters.autograde import Autograde  # type: ignore[import-untyped]
    from nbgrader.preprocessors import Execute  # type: ignore[import-untyped]

    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    if Execute not in steps:
        raise RuntimeError("this nbgrader has no Execute step in autograde: update adlearn")
    position = steps.index(Execute) + 1
    return [*steps[:position], IsolatedChecks, *steps[position:]]
