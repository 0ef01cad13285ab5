"""Evaluation traces (Wengert lists) and the sweeps, one step at a time.

An evaluation trace lists a computation as one line per elementary operation, in the
order it ran: inputs v₋₁, v₀, then v₁, v₂, ... Forward mode adds the tangent trace
beside it; reverse mode follows it with the adjoint trace, the backward sweep in the
order it is computed, one edge at a time (an input used twice receives two updates).

A `Sweep` works out the steps of one sweep once; ``sweep.annotations(step)`` is what
the step-by-step widget shows at a step, a pure function of the graph and the step.
Traces and sweeps work on any node that follows the drawing protocol (see
`adlearn.draw`).
"""

from __future__ import annotations

import html
import unicodedata
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from . import core
from .dual import Dual
from .graph import (
    Annotations,
    Graph,
    drawn_name,
    format_number,
    tangents_by_position,
)

BAR = "\u0304"  # combining macron: v̄ is an adjoint
DOT = "\u0307"  # combining dot above: v̇ is a tangent
MAX_ROWS = 60  # rows of a trace table at most: the first and the last ones

T = TypeVar("T")


def width(text: str) -> int:
    """How many columns text takes: combining marks (the bar of v̄) take none."""
    return sum(not unicodedata.combining(c) for c in text)


def pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def marked(name: str, mark: str) -> str:
    """Put a combining mark over the letter of a trace name: v-1 -> v̄-1."""
    return name[:1] + mark + name[1:]


@dataclass(frozen=True)
class AdjointStep:
    """One update of the backward sweep: ``adjoint[input] += partial × adjoint[node]``."""

    node: int  # position of the node whose adjoint is passed back
    input: int  # position of the input that receives it
    upstream: Any  # the node's adjoint, passed back along the edge
    partial: Any
    total: Any  # the input's adjoint after this update
    first: bool  # the input's first update (written "=" rather than "+=")


def reverse_steps(graph: Graph) -> Iterator[AdjointStep]:
    """The backward sweep of a whole graph, one chain-rule update at a time: the
    updates of `adlearn.core.reverse_sweep`, with nodes named by their positions."""
    if not graph.complete:
        raise ValueError("A sweep needs the whole graph, not only the part nearest the output.")
    seen: set[int] = set()
    for node, operand, partial, upstream, total in core.reverse_sweep(graph.output):
        k, j = graph.position[id(node)], graph.position[id(operand)]
        yield AdjointStep(k, j, upstream, partial, total, j not in seen)
        seen.add(j)


def has_tangents(graph: Graph) -> bool:
    """True when every node carries a tangent (``.derivative``), as Duals do."""
    return len(tangents_by_position(graph)) == len(graph.nodes)


class Sweep:
    """The steps of a forward or a backward sweep over a graph, worked out once.

    A forward sweep (tangents needed) computes value and tangent together: step 0
    shows the inputs with their seeded tangents, then each step computes one
    operation's value and tangent (nothing else has a number yet). A backward sweep
    starts after the forward pass, so step 0 shows every value; it seeds the output
    with 1, then passes adjoints back edge by edge. ``annotations(step)`` costs only
    what one picture shows: the sweep is never replayed.
    """

    def __init__(self, graph: Graph, direction: str | None = None, digits: int = 2) -> None:
        if not graph.complete:
            raise ValueError("A sweep needs the whole graph, not only the part nearest the output.")
        if direction is None:
            direction = "forward" if has_tangents(graph) else "backward"
        if direction not in ("forward", "backward"):
            raise ValueError(f'sweep must be "forward" or "backward", not {direction!r}.')
        if direction == "forward" and not has_tangents(graph):
            raise TypeError(
                "A forward sweep shows tangents, and this graph's nodes carry none: compute "
                "the result with Dual numbers, or step through the backward sweep instead."
            )
        self.graph = graph
        self.direction = direction
        self.digits = digits
        if direction == "forward":
            nodes = graph.nodes
            self.inputs = [k for k in range(len(nodes)) if not nodes[k].inputs]
            self.operations = [k for k in range(len(nodes)) if nodes[k].inputs]
            self.length = len(self.operations)  # one step per operation
            return
        self.steps = list(reverse_steps(graph))
        self.length = len(self.steps) + 1  # the seed, then each update
        # For each node: the updates it receives (their indices) and its total after each.
        self.updates: dict[int, tuple[list[int], list[Any]]] = {}
        for index, step in enumerate(self.steps):
            indices, totals = self.updates.setdefault(step.input, ([], []))
            indices.append(index)
            totals.append(step.total)

    def annotations(self, step: int) -> Annotations:
        """What the picture shows after `step` steps (see the class)."""
        total = self.length
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= total:
            raise ValueError(f"step must be a whole number between 0 and {total}, not {step!r}.")
        graph = self.graph
        if self.direction == "forward":
            known = frozenset(self.inputs + self.operations[:step])
            tangents = tangents_by_position(graph)
            if step == 0:
                return Annotations(
                    tangents={i: tangents[i] for i in self.inputs},
                    values=known,
                    caption=f"Step 0 of {total}: the inputs, with their seeded tangents; "
                    "each step next computes one operation's value and tangent.",
                )
            k = self.operations[step - 1]
            return Annotations(
                tangents={i: tangents[i] for i in known},
                values=known,
                highlight_nodes=frozenset([k]),
                highlight_edges=frozenset((j, k) for j, _ in graph.inputs_of(k)),
                caption=f"Step {step} of {total}: " + tangent_text(graph, k, self.digits),
            )
        if step == 0:
            return Annotations(
                caption=f"Step 0 of {total}: values only; the backward sweep starts next."
            )
        last = len(graph.nodes) - 1
        adjoints: dict[int, Any] = {last: 1.0}
        for j, (indices, totals) in self.updates.items():
            done = bisect_right(indices, step - 2)  # updates made up to this step
            if done:
                adjoints[j] = totals[done - 1]
        if step == 1:
            seed = marked(graph.trace_names[last], BAR) if graph.trace_names else "the output"
            return Annotations(
                adjoints=adjoints,
                highlight_nodes=frozenset([last]),
                caption=f"Step 1 of {total}: seed {seed} = d(result)/d(result) = 1",
            )
        current = self.steps[step - 2]
        return Annotations(
            adjoints=adjoints,
            highlight_nodes=frozenset([current.input]),
            highlight_edges=frozenset([(current.input, current.node)]),
            flow="backward",
            caption=f"Step {step} of {total}: " + adjoint_text(graph, current, self.digits),
        )


def tangent_text(graph: Graph, k: int, digits: int) -> str:
    """``v̇2 = 5 × v̇-1 + 2 × v̇0 = 5``: how node k's tangent is computed."""
    names = graph.trace_names or []
    node, name = graph.nodes[k], marked(names[k], DOT)
    tangent = format_number(node.derivative, digits)
    if not node.inputs:
        return f"{name} = {tangent} (seeded)"
    text = ""
    for j, partial in graph.inputs_of(k):
        term = f"{format_number(abs(partial), digits)} × {marked(names[j], DOT)}"
        negative = partial < 0
        if not text:
            text = ("-" if negative else "") + term
        else:
            text += (" - " if negative else " + ") + term
    return f"{name} = {text} = {tangent}"


def adjoint_update(graph: Graph, step: AdjointStep) -> str:
    """``v̄-1 += v̄2 × ∂v2/∂v-1``: the update that a step of the backward sweep makes."""
    names = graph.trace_names or []
    target, source = marked(names[step.input], BAR), marked(names[step.node], BAR)
    update = "=" if step.first else "+="
    return f"{target} {update} {source} × ∂{names[step.node]}/∂{names[step.input]}"


def adjoint_text(graph: Graph, step: AdjointStep, digits: int) -> str:
    """The update of one step with its numbers, for the widget's caption."""
    text = adjoint_update(graph, step)
    text += f" = {format_number(step.upstream, digits)} × {format_number(step.partial, digits)}"
    if step.first:
        return text + f" = {format_number(step.total, digits)}"
    target = marked((graph.trace_names or [])[step.input], BAR)
    return text + f", so {target} = {format_number(step.total, digits)}"


# --- trace tables -----------------------------------------------------------------------


class Trace:
    """A table of an evaluation trace. Shows as HTML in Jupyter, as text elsewhere."""

    def __init__(self, title: str, sections: list[tuple[str, list[str], list[list[str]]]]):
        self.title = title
        self.sections = sections

    @property
    def rows(self) -> list[list[str]]:
        return [row for _, _, rows in self.sections for row in rows]

    def __repr__(self) -> str:
        lines = [self.title]
        for heading, columns, rows in self.sections:
            widths = [max(width(c), *(width(r[i]) for r in rows)) for i, c in enumerate(columns)]
            lines.append("")
            lines.append(heading)
            lines.append("  ".join(pad(c, w) for c, w in zip(columns, widths)).rstrip())
            for row in rows:
                lines.append("  ".join(pad(v, w) for v, w in zip(row, widths)).rstrip())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [f"<div><b>{html.escape(self.title)}</b>"]
        for heading, columns, rows in self.sections:
            parts.append(
                '<table style="border-collapse:collapse;margin:6px 0">'
                '<caption style="text-align:left;font-weight:bold">'
                f"{html.escape(heading)}</caption><tr>"
            )
            parts += [
                f'<th style="text-align:left;padding:2px 12px 2px 0">{html.escape(c)}</th>'
                for c in columns
            ]
            parts.append("</tr>")
            for row in rows:
                cells = "".join(
                    f'<td style="text-align:left;padding:2px 12px 2px 0;font-family:monospace">'
                    f"{html.escape(v)}</td>"
                    for v in row
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</table>")
        parts.append("</div>")
        return "".join(parts)


def abridged(
    items: Iterable[T], max_rows: int, row: Callable[[T], list[str]], width: int
) -> list[list[str]]:
    """Rows for the first and last of `items`, at most `max_rows`, and a line for the rest.

    Only the rows shown are written, so a long trace costs little beyond its sweep.
    """
    items = iter(items)
    head = [row(item) for item in islice(items, (max_rows + 1) // 2)]
    tail: deque[T] = deque(maxlen=max_rows // 2)
    rest = 0
    for item in items:
        tail.append(item)
        rest += 1
    left_out = rest - len(tail)
    gap = [[f"⋮ {left_out:,} rows left out (max_rows={max_rows})"] + [""] * (width - 1)]
    return head + (gap if left_out else []) + [row(item) for item in tail]


def _check_max_rows(max_rows: int) -> None:
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 2:
        raise ValueError(
            f"max_rows is how many rows of each table to show at most (the first and the "
            f"last ones), a whole number of at least 2, not {max_rows!r}."
        )


def _primal_row(graph: Graph, k: int, digits: int) -> list[str]:
    node = graph.nodes[k]
    how = (drawn_name(node) or "input") if not node.inputs else graph.expression(node, digits)
    return [f"{(graph.trace_names or [])[k]} = {how}", format_number(node.value, digits)]


def forward_trace(output: Any, digits: int = 4, max_rows: int = MAX_ROWS) -> Trace:
    """The primal and tangent trace of a computation done with `Dual` numbers."""
    _check_max_rows(max_rows)
    if not hasattr(output, "derivative"):
        raise TypeError(
            "forward_trace shows tangents, so it needs a result computed with Dual numbers "
            "(nodes with a `.derivative`); for a Variable, use reverse_trace."
        )
    graph = Graph.of(output)
    if not has_tangents(graph):
        raise TypeError("forward_trace needs a tangent (`.derivative`) on every node of the graph.")

    def row(k: int) -> list[str]:
        return [*_primal_row(graph, k, digits), tangent_text(graph, k, digits)]

    rows = abridged(range(len(graph.nodes)), max_rows, row, 3)
    return Trace(
        "Forward mode: primal and tangent trace",
        [("Forward sweep", ["primal", "value", "tangent"], rows)],
    )


def reverse_trace(output: Any, digits: int = 4, max_rows: int = MAX_ROWS) -> Trace:
    """The primal trace, then the adjoint trace in the order the sweep computes it."""
    _check_max_rows(max_rows)
    if isinstance(output, Dual):
        raise TypeError(
            "reverse_trace shows the backward sweep of a result computed with Variables; "
            "for a Dual, use forward_trace."
        )
    graph = Graph.of(output)
    names = graph.trace_names or []

    def primal(k: int) -> list[str]:
        return _primal_row(graph, k, digits)

    def adjoint(step: AdjointStep) -> list[str]:
        partial = f"∂ = {format_number(step.partial, digits)}"
        return [adjoint_update(graph, step), partial, format_number(step.total, digits)]

    seed = [f"{marked(names[-1], BAR)} = 1", "seed: d(result)/d(result)", "1"]
    primal_rows = abridged(range(len(graph.nodes)), max_rows, primal, 2)
    adjoint_rows = [seed, *abridged(reverse_steps(graph), max_rows - 1, adjoint, 3)]
    return Trace(
        "Reverse mode: primal trace, then adjoint trace",
        [
            ("Forward sweep (primal trace)", ["primal", "value"], primal_rows),
            (
                "Backward sweep (adjoint trace)",
                ["adjoint update", "local partial", "adjoint"],
                adjoint_rows,
            ),
        ],
    )
