"""Seeing the computation graph behind a `Dual` or `Variable` result.

``draw(y)`` returns a `Drawing`: in JupyterLab it shows as a picture (laid out by
graphviz's ``dot`` program); ``.source`` is its DOT text. On the picture:

* inputs are blue ovals, constants small blue circles, operations grey circles, and
  the output feeds a green "result" box;
* every node shows its value (blue); a `Variable` after ``backward()`` also shows its
  adjoint, the gradient of the output with respect to it (green); a `Dual` shows its
  tangent, the derivative carried forward (purple);
* every edge shows the value flowing along it (blue) and the local partial
  derivative of the receiving operation with respect to that input (red), read from
  the rule table.

Nodes are named by their position in the one topological order (`topological_order`),
so the same computation always gives the same DOT text.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

from .core import Node, topological_order

VALUE_COLOUR = "#1f5fbf"
PARTIAL_COLOUR = "#c0392b"
ADJOINT_COLOUR = "#1e8449"
TANGENT_COLOUR = "#7d3c98"
HIGHLIGHT_COLOUR = "#e67e22"

INFIX = {"add": "+", "sub": "-", "mul": "×", "div": "/", "pow": "**"}
MAX_NODES = 400
MAX_USES = 25  # an input used more often than this is drawn once per use
DEEP = 8  # graphs deeper than this many operations are drawn top to bottom


def number(x: Any, digits: int = 2) -> str:
    """A short, stable rendering of a number: 2 significant digits by default."""
    while isinstance(x, Node):
        x = x.value
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    magnitude = math.floor(math.log10(abs(x)))
    if -4 <= magnitude < 6:
        text = f"{x:.{max(digits - 1 - magnitude, 0)}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return f"{x:.{digits - 1}e}"


@dataclass
class Graph:
    """A computation graph laid out for display: the one order, and names for nodes.

    ``nodes`` lists every node once: the inputs first, then the operations in the
    order of `topological_order`, so every node comes after its inputs.
    ``trace_names`` follows the evaluation-trace convention of the AD literature:
    the n inputs are v₋ₙ₊₁ ... v₀ and the operations v₁, v₂, ... in order.
    """

    output: Node
    nodes: list[Node]
    position: dict[int, int] = field(repr=False)
    trace_names: list[str]

    @classmethod
    def of(cls, output: Node) -> Graph:
        if not isinstance(output, Node):
            raise TypeError(
                f"There is no graph behind {output!r}: only a Dual or a Variable remembers "
                "how it was computed. Start from Dual(...) or Variable(...) inputs."
            )
        order = topological_order(output)
        inputs = [n for n in order if n.is_leaf]
        nodes = inputs + [n for n in order if not n.is_leaf]
        names = [f"v{i}" for i in range(1 - len(inputs), len(nodes) - len(inputs) + 1)]
        return cls(output, nodes, {id(n): i for i, n in enumerate(nodes)}, names)

    @property
    def kind(self) -> str:
        return type(self.output).__name__

    def position_of(self, operand: Any) -> int:
        """Where `operand` stands in `nodes`, or -1 for a constant (not a node here)."""
        if isinstance(operand, Node):
            return self.position.get(id(operand), -1)
        return -1

    def inputs_of(self, k: int) -> list[tuple[int, Any]]:
        """(position, partial) for each input of node k that is a node of this graph."""
        node = self.nodes[k]
        found = [(self.position_of(a), p) for a, p in zip(node.inputs, node.partials)]
        return [(j, p) for j, p in found if j >= 0]

    def depth(self) -> int:
        """The number of operations on the longest path from an input to the output."""
        level: list[int] = []
        for k, node in enumerate(self.nodes):
            inputs = [level[j] for j, _ in self.inputs_of(k)]
            level.append(0 if node.is_leaf else 1 + max(inputs, default=0))
        return level[-1] if level else 0

    def operand_label(self, operand: Any, digits: int = 2) -> str:
        """How an operand appears in a trace: its trace name, or a constant's value."""
        j = self.position_of(operand)
        if j >= 0:
            return self.trace_names[j]
        return number(operand, digits)

    def expression(self, node: Node, digits: int = 2) -> str:
        """``v1 × v0`` or ``sin(v0)``: how a node was computed, in trace names."""
        assert node.primitive is not None
        operands = [self.operand_label(a, digits) for a in node.inputs]
        name = node.primitive.name
        if name in INFIX and len(operands) == 2:
            return f"{operands[0]} {INFIX[name]} {operands[1]}"
        if name == "neg":
            return f"-{operands[0]}"
        return f"{node.primitive.symbol}({', '.join(operands)})"

    def edges(self) -> list[tuple[int, int, Any, Any]]:
        """(input position or -1 for a constant, node position, operand, partial)."""
        result = []
        for i, node in enumerate(self.nodes):
            for operand, partial in zip(node.inputs, node.partials):
                result.append((self.position_of(operand), i, operand, partial))
        return result


@dataclass(frozen=True)
class Annotations:
    """What a picture shows beyond values and partials: for one sweep, at one step.

    ``tangents`` and ``adjoints`` map node positions to the numbers known so far;
    ``highlight_nodes`` and ``highlight_edges`` mark what the current step touches
    (an edge is a pair: input position, node position). ``caption`` explains the step.
    """

    tangents: dict[int, Any] = field(default_factory=dict)
    adjoints: dict[int, Any] = field(default_factory=dict)
    highlight_nodes: frozenset[int] = frozenset()
    highlight_edges: frozenset[tuple[int, int]] = frozenset()
    caption: str = ""


def final_annotations(graph: Graph) -> Annotations:
    """Tangents of a Dual graph, or adjoints (``.grad``) of a Variable graph."""
    nodes = graph.nodes
    if graph.kind == "Dual":
        return Annotations(tangents={i: n.derivative for i, n in enumerate(nodes)})  # type: ignore[attr-defined]
    grads = {i: n.grad for i, n in enumerate(nodes)}  # type: ignore[attr-defined]
    if not any(g != 0 for g in grads.values()):
        return Annotations()  # backward() has not run: show values and partials only
    return Annotations(adjoints=grads)


class GraphvizMissing(RuntimeError):
    """graphviz's ``dot`` program is not installed."""


class Drawing:
    """A picture of a computation graph. Shows itself in Jupyter; ``.source`` is DOT."""

    def __init__(self, source: str, summary: str) -> None:
        self.source = source
        self._summary = summary
        self._svg: str | None = None

    def __repr__(self) -> str:
        return f"<Drawing of {self._summary}>"

    def svg(self) -> str:
        """The picture as SVG text, laid out by graphviz's ``dot`` program."""
        if self._svg is None:
            import graphviz

            try:
                self._svg = graphviz.Source(self.source).pipe(format="svg", encoding="utf-8")
            except graphviz.ExecutableNotFound:
                raise GraphvizMissing(
                    "Drawing a graph needs graphviz's `dot` program, which is not installed. "
                    "Install it with `sudo apt-get install graphviz` (Debian/Ubuntu), "
                    "`brew install graphviz` (macOS) or `conda install -c conda-forge "
                    "graphviz`, then restart the kernel. The DOT text is in `.source`."
                ) from None
        return self._svg

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        try:
            return {"image/svg+xml": self.svg(), "text/plain": repr(self)}
        except GraphvizMissing as error:
            return {"text/plain": f"{self!r}\n{error}"}


def draw(
    output: Any,
    *,
    names: str = "ops",
    leaf_per_use: bool = False,
    digits: int = 2,
    annotations: Annotations | None = None,
    max_nodes: int = MAX_NODES,
    direction: str | None = None,
) -> Drawing:
    """Draw the computation graph behind `output`, a `Dual` or a `Variable`.

    * ``names="ops"`` labels operations by their symbol; ``names="trace"`` adds the
      trace names v₁, v₂, ... used by evaluation traces.
    * ``leaf_per_use=True`` draws an input once for every use, as hand-drawn
      figures often do (its gradient is then the sum over those copies).
    * ``digits``: significant digits of the numbers shown.
    * ``annotations``: what to show for a step of a sweep (the widgets use it);
      by default, the tangents (Dual) or the adjoints after ``backward()`` (Variable).
    * Graphs larger than ``max_nodes`` show only the operations nearest the output,
      with a note saying how many were left out.
    * ``direction``: ``"LR"`` (left to right) or ``"TB"`` (top to bottom). By default,
      graphs up to 8 operations deep run left to right and deeper ones top to bottom,
      so that they grow the way a notebook scrolls.
    """
    if direction not in (None, "LR", "TB"):
        raise ValueError(f'direction must be "LR" or "TB", not {direction!r}.')
    if names not in ("ops", "trace"):
        raise ValueError(f'names must be "ops" or "trace", not {names!r}.')
    graph = Graph.of(output)
    notes = annotations if annotations is not None else final_annotations(graph)
    return Drawing(
        _dot(graph, notes, names, leaf_per_use, digits, max_nodes, direction),
        f"a {graph.kind} graph: {len(graph.nodes)} nodes, output {number(output.value, 4)}",
    )


# --- writing DOT ------------------------------------------------------------------------


def _text(text: str, limit: int = 40) -> str:
    """Escape text for a graphviz HTML-like label (user names can hold anything)."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text, quote=True).replace("\n", " ").replace("\r", " ")


def _font(colour: str, text: str) -> str:
    return f'<font color="{colour}">{_text(text, 200)}</font>'


def _node_label(graph: Graph, i: int, notes: Annotations, names: str, digits: int) -> str:
    node = graph.nodes[i]
    lines = []
    if node.is_leaf:
        lines.append(f"<b>{_text(node.name or graph.trace_names[i])}</b>")
    else:
        assert node.primitive is not None
        title = node.primitive.symbol
        if names == "trace":
            title = f"{graph.trace_names[i]} = {title}"
        if node.name:
            title = f"{node.name}: {title}"
        lines.append(f'<font point-size="14"><b>{_text(title)}</b></font>')
    lines.append(_font(VALUE_COLOUR, number(node.value, digits)))
    if i in notes.tangents:
        lines.append(_font(TANGENT_COLOUR, "ẋ " + number(notes.tangents[i], digits)))
    if i in notes.adjoints:
        lines.append(_font(ADJOINT_COLOUR, "grad " + number(notes.adjoints[i], digits)))
    return "<" + "<br/>".join(lines) + ">"


def _edge_label(operand: Any, partial: Any, digits: int, constant: bool = False) -> str:
    value = number(operand.value if isinstance(operand, Node) else operand, digits)
    if constant and partial != partial:
        # No derivative with respect to this constant exists (x ** 2 with x < 0 has no
        # d/d(exponent)), and none is ever needed: show only the value.
        return f"<{_font(VALUE_COLOUR, value)}>"
    partial_text = "∂ " + number(partial, digits)
    return f"<{_font(VALUE_COLOUR, value)}<br/>{_font(PARTIAL_COLOUR, partial_text)}>"


def _dot(
    graph: Graph,
    notes: Annotations,
    names: str,
    leaf_per_use: bool,
    digits: int,
    max_nodes: int,
    direction: str | None,
) -> str:
    nodes = graph.nodes
    if direction is None:
        direction = "LR" if graph.depth() <= DEEP else "TB"
    operations = [i for i, n in enumerate(nodes) if not n.is_leaf]
    hidden = set(operations[: max(0, len(operations) - max_nodes)])
    uses: dict[int, int] = {}
    for source, _, _, _ in graph.edges():
        if source >= 0:
            uses[source] = uses.get(source, 0) + 1

    lines = [
        "digraph computation {",
        f'  graph [rankdir={direction}, fontname="Helvetica,Arial,sans-serif", fontsize=11, '
        'nodesep=0.25, ranksep=0.45, labelloc=b, labeljust=l, size="9,200"];',
        '  node [fontname="Helvetica,Arial,sans-serif", fontsize=11, style=filled, '
        'penwidth=1.2, color="#555555"];',
        '  edge [fontname="Helvetica,Arial,sans-serif", fontsize=10, color="#777777", '
        "arrowsize=0.7];",
    ]

    def split(i: int) -> bool:
        return nodes[i].is_leaf and (leaf_per_use or uses.get(i, 0) > MAX_USES)

    def style(i: int) -> str:
        highlighted = i in notes.highlight_nodes
        hl = f', color="{HIGHLIGHT_COLOUR}", penwidth=2.6' if highlighted else ""
        if nodes[i].is_leaf:
            return f'shape=ellipse, fillcolor="#d6e6f7"{hl}'
        return f'shape=circle, fillcolor="#e8e8e8", margin=0.02{hl}'

    drawn_edges = [e for e in graph.edges() if e[1] not in hidden]
    feeding = {source for source, _, _, _ in drawn_edges}
    for i, node in enumerate(nodes):
        if i in hidden or split(i) or (node.is_leaf and i not in feeding and i != len(nodes) - 1):
            continue
        lines.append(f"  n{i} [label={_node_label(graph, i, notes, names, digits)}, {style(i)}];")

    counters = {"c": 0, "u": 0, "cut": 0}

    def fresh(prefix: str) -> str:
        counters[prefix] += 1
        return f"{prefix}{counters[prefix] - 1}"

    for source, target, operand, partial in drawn_edges:
        attributes = f"label={_edge_label(operand, partial, digits, constant=source < 0)}"
        if (source, target) in notes.highlight_edges:
            attributes += f', color="{HIGHLIGHT_COLOUR}", penwidth=2.6'
        if source < 0:  # a constant: its own small leaf, drawn at its use
            name = fresh("c")
            lines.append(
                f'  {name} [label="{_text(number(operand, digits))}", shape=circle, '
                'fillcolor="#eaf2fb", fontsize=10, width=0.3, margin=0.01];'
            )
        elif source in hidden:  # comes from the part of the graph left out
            name = fresh("cut")
            lines.append(f'  {name} [label="…", shape=plaintext, style=""];')
            attributes += ", style=dashed"
        elif split(source):  # one copy of the input for each use
            name = fresh("u")
            label = _node_label(graph, source, notes, names, digits)
            lines.append(f"  {name} [label={label}, {style(source)}];")
        else:
            name = f"n{source}"
        lines.append(f"  {name} -> n{target} [{attributes}];")

    last = len(nodes) - 1
    lines.append(
        f'  result [shape=box, fillcolor="#d5f0dc", color="#1e8449", '
        f"label=<<b>result</b><br/>{_font(VALUE_COLOUR, number(graph.output.value, digits))}>];"
    )
    lines.append(f"  n{last} -> result;")
    note = f"{len(hidden):,} earlier operations are not drawn (… marks where they feed in)"
    lines.append(f"  label=<{_legend(graph, notes, note if hidden else '')}>;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _legend(graph: Graph, notes: Annotations, note: str) -> str:
    parts = [
        _font(VALUE_COLOUR, "blue: value"),
        _font(PARTIAL_COLOUR, "red ∂: local partial of the receiving operation"),
    ]
    if notes.tangents:
        parts.append(_font(TANGENT_COLOUR, "purple ẋ: tangent (derivative carried forward)"))
    if notes.adjoints:
        parts.append(_font(ADJOINT_COLOUR, "green grad: adjoint, d(result)/d(node)"))
    legend = "   ".join(parts)
    if notes.caption:
        legend = f"<b>{_text(notes.caption, 200)}</b><br/>" + legend
    if note:
        legend = f"<i>{_text(note, 200)}</i><br/>" + legend
    return legend
