"""Evaluation traces (Wengert lists) and the sweeps, one step at a time.

An evaluation trace lists a computation as one line per elementary operation, in the
order it ran: inputs v₋₁, v₀, then v₁, v₂, ... Forward mode adds the tangent trace
beside it; reverse mode follows it with the adjoint trace, the backward sweep in the
order it is computed, one edge at a time (an input used twice receives two updates).

`sweep_annotations(graph, step)` says what the step-by-step widgets show at a step: it
is a pure function of the graph and the step number.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from .graph import Annotations, Graph, number

BAR = "\u0304"  # combining macron: v̄ is an adjoint
DOT = "\u0307"  # combining dot above: v̇ is a tangent


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
    contribution: Any  # partial × upstream
    total: Any  # the input's adjoint after this update
    first: bool  # the input's first update (written "=" rather than "+=")


def reverse_steps(graph: Graph) -> list[AdjointStep]:
    """Replay the backward sweep of `graph` edge by edge, seeding the output with 1.

    It visits nodes in the reverse of the one topological order, as ``backward()``
    does, and records each chain-rule update instead of only its result.
    """
    adjoint: dict[int, Any] = {len(graph.nodes) - 1: 1.0}
    steps = []
    for i in reversed(range(len(graph.nodes))):
        for j, partial in graph.inputs_of(i):  # constants receive no adjoint
            upstream = adjoint.get(i, 0.0)
            contribution = partial * upstream
            first = j not in adjoint
            adjoint[j] = contribution if first else adjoint[j] + contribution
            steps.append(AdjointStep(i, j, upstream, partial, contribution, adjoint[j], first))
    return steps


def sweep_length(graph: Graph) -> int:
    """How many steps the widget has: one per node forward, one per edge backward."""
    if graph.kind == "Dual":
        return len(graph.nodes)
    return len(reverse_steps(graph)) + 1  # the seed, then each update


def sweep_annotations(graph: Graph, step: int, digits: int = 2) -> Annotations:
    """What the picture shows after `step` steps of the sweep (0 shows values only).

    For a Dual graph, the forward sweep: tangents appear node by node. For a Variable
    graph, the reverse sweep: the output is seeded with 1, then adjoints accumulate
    edge by edge, with the edge being processed highlighted.
    """
    total = sweep_length(graph)
    if not 0 <= step <= total:
        raise ValueError(f"step must be between 0 and {total}, not {step}.")
    names = graph.trace_names
    if step == 0:
        verb = "forward" if graph.kind == "Dual" else "backward"
        return Annotations(caption=f"Step 0 of {total}: values only; the {verb} sweep starts next.")
    if graph.kind == "Dual":
        k = step - 1
        tangents = {i: graph.nodes[i].derivative for i in range(step)}  # type: ignore[attr-defined]
        edges = frozenset((j, k) for j, _ in graph.inputs_of(k))
        return Annotations(
            tangents=tangents,
            highlight_nodes=frozenset([k]),
            highlight_edges=edges,
            caption=f"Step {step} of {total}: " + _tangent_text(graph, k, digits),
        )
    steps = reverse_steps(graph)
    last = len(graph.nodes) - 1
    adjoints: dict[int, Any] = {last: 1.0}
    for done in steps[: step - 1]:
        adjoints[done.input] = done.total
    if step == 1:
        caption = f"Step 1 of {total}: seed {marked(names[last], BAR)} = d(result)/d(result) = 1"
        return Annotations(adjoints=adjoints, highlight_nodes=frozenset([last]), caption=caption)
    current = steps[step - 2]
    return Annotations(
        adjoints=adjoints,
        highlight_nodes=frozenset([current.input]),
        highlight_edges=frozenset([(current.input, current.node)]),
        caption=f"Step {step} of {total}: " + _adjoint_text(graph, current, digits),
    )


def _tangent_text(graph: Graph, k: int, digits: int) -> str:
    node, name = graph.nodes[k], marked(graph.trace_names[k], DOT)
    tangent = number(node.derivative, digits)  # type: ignore[attr-defined]
    if node.is_leaf:
        return f"{name} = {tangent} (seeded)"
    text = ""
    for j, partial in graph.inputs_of(k):
        term = f"{number(abs(partial), digits)} × {marked(graph.trace_names[j], DOT)}"
        negative = partial < 0
        text += (
            ("-" if negative else "") + term if not text else (" - " if negative else " + ") + term
        )
    return f"{name} = {text} = {tangent}"


def _adjoint_text(graph: Graph, step: AdjointStep, digits: int) -> str:
    names = graph.trace_names
    target, source = marked(names[step.input], BAR), marked(names[step.node], BAR)
    update = "=" if step.first else "+="
    text = f"{target} {update} {source} × ∂{names[step.node]}/∂{names[step.input]}"
    text += f" = {number(step.upstream, digits)} × {number(step.partial, digits)}"
    if not step.first:
        text += f", so {target} = {number(step.total, digits)}"
    else:
        text += f" = {number(step.total, digits)}"
    return text


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
            widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
            lines.append("")
            lines.append(heading)
            lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
            for row in rows:
                lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
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


def _primal_rows(graph: Graph, digits: int) -> list[list[str]]:
    rows = []
    for i, node in enumerate(graph.nodes):
        name = graph.trace_names[i]
        how = (node.name or "input") if node.is_leaf else graph.expression(node, digits)
        rows.append([f"{name} = {how}", number(node.value, digits)])
    return rows


def forward_trace(output: Any, digits: int = 4) -> Trace:
    """The primal and tangent trace of a computation done with `Dual` numbers."""
    graph = Graph.of(output)
    if graph.kind != "Dual":
        raise TypeError(
            "forward_trace needs a result computed with Dual numbers; "
            "for a Variable, use reverse_trace."
        )
    rows = []
    for (how, value), i in zip(_primal_rows(graph, digits), range(len(graph.nodes))):
        rows.append([how, value, _tangent_text(graph, i, digits)])
    return Trace(
        "Forward mode: primal and tangent trace",
        [("Forward sweep", ["primal", "value", "tangent"], rows)],
    )


def reverse_trace(output: Any, digits: int = 4) -> Trace:
    """The primal trace, then the adjoint trace in the order the sweep computes it."""
    graph = Graph.of(output)
    if graph.kind != "Variable":
        raise TypeError(
            "reverse_trace needs a result computed with Variables; for a Dual, use forward_trace."
        )
    names = graph.trace_names
    adjoint_rows = [[f"{marked(names[-1], BAR)} = 1", "seed: d(result)/d(result)", "1"]]
    for step in reverse_steps(graph):
        target, source = marked(names[step.input], BAR), marked(names[step.node], BAR)
        update = "=" if step.first else "+="
        adjoint_rows.append(
            [
                f"{target} {update} {source} × ∂{names[step.node]}/∂{names[step.input]}",
                f"∂ = {number(step.partial, digits)}",
                number(step.total, digits),
            ]
        )
    return Trace(
        "Reverse mode: primal trace, then adjoint trace",
        [
            ("Forward sweep (primal trace)", ["primal", "value"], _primal_rows(graph, digits)),
            (
                "Backward sweep (adjoint trace)",
                ["adjoint update", "local partial", "adjoint"],
                adjoint_rows,
            ),
        ],
    )
