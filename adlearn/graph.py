"""Seeing the computation graph behind a result: ``draw(y)``.

``draw(y)`` returns a `Drawing`: in JupyterLab it shows as a picture laid out by
graphviz's ``dot`` program. It is built with `graphviz.Digraph` (``.digraph``; its
DOT text is ``.source``), and keeps what went into it (``.nodes``, ``.edges``).
How to read the picture and what it can draw (your own node class too) is explained
in `draw`'s docstring.

Nodes are named by their position in the one topological order
(`adlearn.topological_order`), so the same computation always gives the same picture.
"""

from __future__ import annotations

import html
import math
import numbers
import sys
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from . import core

# The Okabe-Ito palette, which readers with any common colour-vision deficiency can
# tell apart. Colour is never the only cue: partials carry ∂, adjoints "grad",
# tangents ẋ, constants a dashed edge and the current step a thicker line.
VALUE_COLOUR = "#0072B2"  # blue
PARTIAL_COLOUR = "#D55E00"  # vermillion
ADJOINT_COLOUR = "#009E73"  # bluish green
TANGENT_COLOUR = "#CC79A7"  # reddish purple
HIGHLIGHT_COLOUR = "#E69F00"  # orange
CONSTANT_COLOUR = "#8C8C8C"  # grey: nothing flows back to a constant

MAX_NODES = 400  # operations drawn at most; the ones nearest the output
MAX_USES = 25  # an input used more often than this is drawn once per use
DEEP = 8  # graphs deeper than this many operations are drawn top to bottom


def format_number(x: Any, digits: int = 2) -> str:
    """A short, stable text for a number, with `digits` significant digits."""
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(
            f"digits is how many significant digits to show, a whole number of at least 1, "
            f"not {digits!r}. Try digits=2 for a picture or digits=6 to compare closely."
        )
    while isinstance(x, core.Node):  # nested: the number inside
        x = x.value
    tangent = getattr(x, "tangent", getattr(x, "derivative", None))
    if not isinstance(x, numbers.Real) and hasattr(x, "value") and tangent is not None:
        # a dual number of your own (inside a node of your own): primal + tangent ε
        return f"{format_number(x.value, digits)} + {format_number(tangent, digits)}ε"
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return str(x)
    try:
        x = float(x)  # numpy, fraction and int types print like floats
    except OverflowError:  # an int beyond the float range
        return f"{Decimal(x):.{digits - 1}e}"
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


def is_node_operand(node: Any, operand: Any) -> bool:
    """True when `operand` is a node of the same graph as `node`; False for a constant.

    The rule of `adlearn.topological_order` (`adlearn.core.in_graph`): an operand
    belongs to the graph when it is an object of the same type as the node that uses
    it, with the same ``tag`` (adlearn's numbers carry one per derivative; your own
    nodes need none).
    """
    return core.in_graph(operand, type(node), getattr(node, "tag", None))


def drawn_name(node: Any) -> str | None:
    """A node's ``name`` as text, or None; refuses what no picture or table can show."""
    name = getattr(node, "name", None)
    if name is None:
        return None
    text = str(name)
    control = next((c for c in text if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        printable = " ".join("".join(" " if c in "\t\n\r" else c for c in text).split())
        printable = "".join(c for c in printable if unicodedata.category(c) != "Cc")
        raise ValueError(
            f"The name {text!r} holds the control character {control!r}, which a drawing "
            "or a trace cannot show. Give the node a name of printable text on one line, "
            f"for example {printable!r}."
        )
    return text


def check_node(node: Any) -> None:
    """Raise a clear error unless `node` follows the drawing protocol (see `draw`)."""
    missing = [a for a in ("value", "inputs", "partials") if not hasattr(node, a)]
    if missing:
        raise TypeError(
            f"There is no graph behind {node!r}: only a result that remembers how it "
            "was computed can be drawn, such as a Dual or a Variable (start from "
            "Dual(...) or Variable(...) inputs), or a node of your own engine with "
            f"`.value`, `.inputs` and `.partials` (this one has no `.{missing[0]}`)."
        )
    if type(node).__hash__ is None:
        raise TypeError(core.UNHASHABLE.format(kind=type(node).__name__))
    if len(node.inputs) != len(node.partials):
        raise ValueError(
            f"A node made by {operation_symbol(node)!r} (value {node.value!r}) has "
            f"{len(node.inputs)} inputs but {len(node.partials)} partials. A node needs "
            "exactly one local partial derivative per input, in the same order."
        )


class Edge(NamedTuple):
    """One operand of one operation, as a drawing or a trace sees it."""

    source: int  # position of the operand in `Graph.nodes`, or -1 if it is not there
    target: int  # position of the operation
    operand: Any
    partial: Any  # d(operation)/d(operand), from the node's ``partials``
    constant: bool  # True for a constant (nothing flows back to it)


SUBSCRIPTS = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def trace_name(i: int) -> str:
    """The survey's name for the node at position i: v₋₁, v₀ for inputs, v₁, v₂, ..."""
    return "v" + str(i).translate(SUBSCRIPTS)


@dataclass
class Graph:
    """A computation graph ready to show: its nodes in one order, with names.

    ``nodes`` lists every node once: the inputs first, then the operations, each
    after its inputs. ``trace_names`` follows the evaluation-trace convention of the
    AD literature: the n inputs are v₋ₙ₊₁ ... v₀ and the operations v₁, v₂, ...

    A graph too large to show whole holds only the operations nearest the output
    (``complete`` is then False, and it has no trace names).
    """

    output: Any
    nodes: list[Any]
    trace_names: list[str] | None
    complete: bool
    position: dict[int, int] = field(repr=False)

    @classmethod
    def of(cls, output: Any, max_operations: int | None = None) -> Graph:
        """The graph behind `output`; beyond `max_operations`, only the nearest part.

        With a limit, the work is proportional to the limit, not to the whole graph.
        """
        check_node(output)
        if max_operations is not None:
            nearest = operations_nearest(output, max_operations)
            if nearest is not None:
                return cls._part(output, nearest)
        order = core.topological_order(output)
        for node in order:
            check_node(node)
        inputs = [node for node in order if not node.inputs]
        nodes = inputs + [node for node in order if node.inputs]
        names = [trace_name(i) for i in range(1 - len(inputs), len(nodes) - len(inputs) + 1)]
        return cls(output, nodes, names, True, {id(n): i for i, n in enumerate(nodes)})

    @classmethod
    def _part(cls, output: Any, operations: list[Any]) -> Graph:
        # The one topological order, walking only the chosen operations and the
        # inputs they use (an operation not chosen is where the drawing is cut).
        chosen = {id(node) for node in operations}
        order = core.topological_order(
            output, within=lambda node: id(node) in chosen or not node.inputs
        )
        for node in order:
            check_node(node)
        nodes = [node for node in order if not node.inputs] + [n for n in order if n.inputs]
        return cls(output, nodes, None, False, {id(n): i for i, n in enumerate(nodes)})

    def position_of(self, operand: Any) -> int:
        """Where `operand` stands in `nodes`, or -1 (a constant, or a node not shown)."""
        return self.position.get(id(operand), -1)

    def edges(self) -> list[Edge]:
        """Every operand of every operation, in order."""
        return [
            Edge(self.position_of(a), k, a, p, not is_node_operand(node, a))
            for k, node in enumerate(self.nodes)
            for a, p in zip(node.inputs, node.partials)
        ]

    def inputs_of(self, k: int) -> list[tuple[int, Any]]:
        """(position, partial) for each operand of node k that is a node shown here."""
        node = self.nodes[k]
        found = [(self.position_of(a), p) for a, p in zip(node.inputs, node.partials)]
        return [(j, p) for j, p in found if j >= 0]

    def depth(self) -> int:
        """The number of operations on the longest path from an input to the output."""
        level: list[int] = []
        for k, node in enumerate(self.nodes):
            inputs = [level[j] for j, _ in self.inputs_of(k)]
            level.append(1 + max(inputs, default=0) if node.inputs else 0)
        return level[-1] if level else 0

    def label(self, k: int) -> str:
        """An input's label: its name, else its trace name."""
        name = drawn_name(self.nodes[k])
        if name is not None:
            return name
        return self.trace_names[k] if self.trace_names else "input"

    def expression(self, node: Any, digits: int = 2) -> str:
        """How a node was computed, in trace names: ``v-1 × v0``, ``-v1``, ``sin(v0)``."""
        names = self.trace_names or []
        operands = [
            names[j] if j >= 0 else format_number(a, digits)
            for a, j in ((a, self.position_of(a)) for a in node.inputs)
        ]
        symbol = operation_symbol(node)
        if not any(c.isalnum() for c in symbol):  # an operator sign: + - × / **
            if len(operands) == 2:
                return f"{operands[0]} {symbol} {operands[1]}"
            if len(operands) == 1:
                return f"{symbol}{operands[0]}"
        return f"{symbol}({', '.join(operands)})"


def operation_symbol(node: Any) -> str:
    """The symbol of the operation that made `node` ("op" when it does not say)."""
    symbol = getattr(node, "op", None)
    return "op" if symbol is None else str(symbol)


def operations_nearest(output: Any, limit: int) -> list[Any] | None:
    """Up to `limit` operations nearest `output` (breadth first), or None if that is all.

    It stops as soon as it finds one operation more than `limit`, so it never walks a
    graph further than what will be shown.
    """
    found = {id(output): output} if output.inputs else {}
    queue = deque(found.values())
    while queue:
        node = queue.popleft()
        for operand in node.inputs:
            if is_node_operand(node, operand) and operand.inputs and id(operand) not in found:
                if len(found) == limit:
                    return list(found.values())
                found[id(operand)] = operand
                queue.append(operand)
    return None


@dataclass(frozen=True)
class Annotations:
    """What a picture shows beyond values and partials: for one sweep, at one step.

    ``tangents`` and ``adjoints`` map node positions to the numbers known so far;
    ``highlight_nodes`` and ``highlight_edges`` mark what the current step touches
    (an edge is a pair: input position, node position); with ``flow="backward"`` a
    highlighted edge points back, the way the adjoint flows. ``values`` are the
    positions whose value is known at this step (None: all of them, as after a
    forward pass). ``caption`` explains the step; ``note`` says what the picture
    leaves out.
    """

    tangents: dict[int, Any] = field(default_factory=dict)
    adjoints: dict[int, Any] = field(default_factory=dict)
    highlight_nodes: frozenset[int] = frozenset()
    highlight_edges: frozenset[tuple[int, int]] = frozenset()
    values: frozenset[int] | None = None
    flow: str = "forward"
    caption: str = ""
    note: str = ""


def adjoints_by_position(graph: Graph) -> dict[int, Any]:
    """d(output)/d(node) for every node of a whole graph, by position (one reverse sweep)."""
    found = core.adjoints(graph.output)
    return {graph.position[id(node)]: value for node, value in found.items()}


def tangents_by_position(graph: Graph) -> dict[int, Any]:
    """The tangent (``.derivative``) of every node that carries one, by position."""
    return {k: n.derivative for k, n in enumerate(graph.nodes) if hasattr(n, "derivative")}


def default_annotations(graph: Graph, adjoints: bool | None = None) -> Annotations:
    """Tangents where nodes carry them; adjoints when asked, or once ``backward()`` ran.

    Adjoints are computed for the drawn result by a reverse sweep, never read from
    ``.grad``: an input's ``.grad`` adds up over every ``backward()`` call.
    """
    if adjoints is None:
        adjoints = any(getattr(node, "grad", 0) != 0 for node in graph.nodes)
    tangents = tangents_by_position(graph)
    if not adjoints:
        return Annotations(tangents=tangents)
    if not graph.complete:
        return Annotations(
            tangents=tangents,
            note="Adjoints are not shown: each depends on the whole graph, and only part "
            "of it is drawn. A larger max_nodes draws more.",
        )
    return Annotations(tangents=tangents, adjoints=adjoints_by_position(graph))


class GraphvizMissing(RuntimeError):
    """graphviz's ``dot`` program is not installed."""


@dataclass(frozen=True)
class DrawnEdge:
    """One edge of a drawing, as graphviz gets it: from ``tail`` to ``head``."""

    tail: str
    head: str
    attributes: dict[str, str]


class Drawing:
    """A picture of a computation graph. Shows itself in Jupyter.

    ``.digraph`` is the `graphviz.Digraph` it is built with and ``.source`` its DOT
    text; ``.nodes`` (name -> attributes, the label included) and ``.edges`` (a list
    of `DrawnEdge`) are what was put into it, for tests and tools to read.
    """

    def __init__(
        self,
        digraph: Any,
        nodes: dict[str, dict[str, str]],
        edges: list[DrawnEdge],
        summary: str,
    ) -> None:
        self.digraph = digraph
        self.nodes = nodes
        self.edges = edges
        self.summary = summary
        self._svg: str | None = None

    @property
    def source(self) -> str:
        """The DOT text graphviz's ``dot`` program lays out."""
        return str(self.digraph.source)

    def label(self, name: str) -> str:
        """The label of the node called `name` (HTML-like: ``<...>``)."""
        return self.nodes[name]["label"]

    def edges_into(self, head: str) -> list[DrawnEdge]:
        return [edge for edge in self.edges if edge.head == head]

    def __repr__(self) -> str:
        return f"<Drawing of {self.summary}>"

    def svg(self) -> str:
        """The picture as SVG text, laid out by graphviz's ``dot`` program."""
        if self._svg is None:
            import graphviz

            try:
                self._svg = self.digraph.pipe(format="svg", encoding="utf-8")
            except graphviz.ExecutableNotFound:
                raise GraphvizMissing(
                    "Drawing a graph needs graphviz's `dot` program, which is not installed. "
                    "Install it with `sudo apt-get install graphviz` (Debian/Ubuntu), "
                    "`brew install graphviz` (macOS) or `conda install -c conda-forge "
                    "graphviz`, then restart the kernel. The DOT text is in `.source`."
                ) from None
        return str(self._svg)

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
    adjoints: bool | None = None,
    annotations: Annotations | None = None,
    max_nodes: int = MAX_NODES,
    direction: str | None = None,
) -> Drawing:
    """Draw the computation graph behind `output`.

    **Reading the picture.** Inputs are blue ovals, operations grey circles, and the
    output feeds a green "result" box. Each node shows its name or operation and,
    under it, its value (blue). Each edge carries ``∂`` and the local partial
    derivative of the receiving operation with respect to that input (vermillion),
    read from the rule table. A constant (the ``6`` in ``x + 6``) is a small grey
    circle with a dashed grey edge and no partial: no derivative flows back to it
    (in forward mode: its tangent is 0, so its partial is never used); a named one,
    such as a Dual of another derivative, shows its name above its value.
    A Dual's nodes also show ``ẋ``, the tangent carried forward (purple). After
    ``backward()`` a Variable's nodes show ``grad``, the adjoint d(result)/d(node)
    (green), computed for this result by one reverse sweep: an input's ``.grad``
    adds up over every ``backward()`` call, the picture does not.

    **Options.**

    * ``names="ops"`` labels operations by their symbol; ``names="trace"`` adds the
      trace names v₁, v₂, ... used by evaluation traces.
    * ``leaf_per_use=True`` draws an input once for every use, as hand-drawn
      figures often do (its gradient is then the sum over those copies).
    * ``digits``: significant digits of the numbers shown (at least 1).
    * ``adjoints``: ``True`` shows the adjoints of any graph, ``False`` never; by
      default they appear once ``backward()`` has run.
    * ``annotations``: what to show for one step of a sweep (`step_through` uses it).
    * ``max_nodes``: at most this many operations are drawn, the ones nearest the
      output; ``…`` marks where left-out ones feed in. Only that part is visited, so
      drawing the end of a huge computation is quick.
    * ``direction``: ``"LR"`` (left to right) or ``"TB"`` (top to bottom). By default,
      graphs up to 8 operations deep run left to right and deeper ones top to bottom,
      so that they grow the way a notebook scrolls.

    **Drawing your own nodes.** `draw`, the traces and `step_through` work on any
    object with these attributes, so the nodes of an engine you write yourself get
    the same pictures as adlearn's `Dual` and `Variable` (which have them all):

    * ``value``: the number the node holds;
    * ``inputs``: a tuple of the operands it was computed from, in order, or ``()``
      for an input. An operand is a node of the graph when it is an object of the
      same type as the node that uses it; anything else (a plain number) is a constant;
    * ``partials``: a tuple of local partial derivatives d(node)/d(operand), one per
      operand, in the same order;
    * optionally ``name`` (a label such as ``"x"``), ``op`` (a short symbol such as
      ``"+"``, ``"×"`` or ``"sin"``; ``None`` or absent for an input), ``grad`` (an
      adjoint) and ``derivative`` (a tangent).

    For example, a node made by multiplying ``a`` and ``b`` has ``value = a.value *
    b.value``, ``inputs = (a, b)``, ``partials = (b.value, a.value)`` and ``op = "×"``.
    """
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(
            f"max_nodes is how many operations to draw at most, a whole number of at "
            f"least 1, not {max_nodes!r}. The default, {MAX_NODES}, suits most pictures."
        )
    # --- hook (arrays): a Tensor graph is drawn by adlearn/tensor_graph.py ---
    tensor = sys.modules.get("adlearn.tensor")
    if tensor is not None and isinstance(output, tensor.Tensor):
        from .tensor_graph import draw_tensor

        return draw_tensor(output, max_nodes=max_nodes, direction=direction)
    # --- end of hook ---
    if adjoints not in (None, True, False):
        raise ValueError(f"adjoints must be True, False or None (automatic), not {adjoints!r}.")
    graph = Graph.of(output, max_operations=max_nodes)
    if annotations is None:
        annotations = default_annotations(graph, adjoints)
    return render(
        graph,
        annotations,
        names=names,
        leaf_per_use=leaf_per_use,
        digits=digits,
        direction=direction,
    )


def render(
    graph: Graph,
    annotations: Annotations,
    *,
    names: str = "ops",
    leaf_per_use: bool = False,
    digits: int = 2,
    direction: str | None = None,
) -> Drawing:
    """The `Drawing` of a graph already built, with the numbers `annotations` adds."""
    if direction not in (None, "LR", "TB"):
        raise ValueError(f'direction must be "LR" or "TB", not {direction!r}.')
    if names not in ("ops", "trace"):
        raise ValueError(f'names must be "ops" or "trace", not {names!r}.')
    output = format_number(graph.output.value, 4)
    kind = type(graph.output).__name__
    if graph.complete:
        count = len(graph.nodes)
        summary = f"a {kind} graph: {count} node{'s' if count != 1 else ''}, output {output}"
    else:
        summary = (
            f"the {len(graph.nodes)} nodes nearest the output of a {kind} graph "
            f"(the rest not drawn), output {output}"
        )
    return _drawing(graph, annotations, names, leaf_per_use, digits, direction, summary)


# --- building the picture with graphviz ----------------------------------------------------

FONT = "Helvetica,Arial,sans-serif"


def _text(text: str, limit: int = 40) -> str:
    """Escape text for a graphviz HTML-like label; shorten what is too long."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text, quote=True)


def _font(colour: str, text: str) -> str:
    return f'<font color="{colour}">{_text(text, 200)}</font>'


def _node_label(graph: Graph, k: int, notes: Annotations, names: str, digits: int) -> str:
    node = graph.nodes[k]
    if not node.inputs:
        lines = [f"<b>{_text(graph.label(k))}</b>"]
    else:
        title = operation_symbol(node)
        if names == "trace" and graph.trace_names:
            title = f"{graph.trace_names[k]} = {title}"
        name = drawn_name(node)
        if name:
            title = f"{name}: {title}"
        lines = [f'<font point-size="14"><b>{_text(title)}</b></font>']
    if notes.values is None or k in notes.values:  # not yet computed: no number
        lines.append(_font(VALUE_COLOUR, format_number(node.value, digits)))
    if k in notes.tangents:
        lines.append(_font(TANGENT_COLOUR, "ẋ " + format_number(notes.tangents[k], digits)))
    if k in notes.adjoints:
        lines.append(_font(ADJOINT_COLOUR, "grad " + format_number(notes.adjoints[k], digits)))
    return "<" + "<br/>".join(lines) + ">"


def _drawing(
    graph: Graph,
    notes: Annotations,
    names: str,
    leaf_per_use: bool,
    digits: int,
    direction: str | None,
    summary: str,
) -> Drawing:
    """Build the picture with `graphviz.Digraph`, recording what went into it.

    Every label is an HTML-like label (``<...>``) whose text went through `_text`,
    which escapes it: a name such as ``"<b>"`` or ``'"'`` shows as typed and can
    never break the DOT text.
    """
    import graphviz

    nodes = graph.nodes
    if direction is None:
        direction = "LR" if graph.depth() <= DEEP else "TB"
    edges = graph.edges()
    uses: dict[int, int] = {}
    for edge in edges:
        if edge.source >= 0:
            uses[edge.source] = uses.get(edge.source, 0) + 1

    digraph = graphviz.Digraph(
        "computation",
        graph_attr={
            "rankdir": direction,
            "fontname": FONT,
            "fontsize": "12",
            "nodesep": "0.25",
            "ranksep": "0.3",
            "labelloc": "b",
            "labeljust": "l",
            "size": "10,200",
        },
        node_attr={
            "fontname": FONT,
            "fontsize": "12",
            "style": "filled",
            "penwidth": "1.2",
            "color": "#555555",
        },
        edge_attr={"fontname": FONT, "fontsize": "14", "color": "#555555", "arrowsize": "0.7"},
    )
    drawn_nodes: dict[str, dict[str, str]] = {}
    drawn_edges: list[DrawnEdge] = []

    def node(name: str, **attributes: str) -> None:
        drawn_nodes[name] = attributes
        digraph.node(name, **attributes)

    def link(tail: str, head: str, **attributes: str) -> None:
        drawn_edges.append(DrawnEdge(tail, head, attributes))
        digraph.edge(tail, head, **attributes)

    def copied(k: int) -> bool:  # an input drawn once per use
        return not nodes[k].inputs and (leaf_per_use or uses.get(k, 0) > MAX_USES)

    def style(k: int) -> dict[str, str]:
        highlight = (
            {"color": HIGHLIGHT_COLOUR, "penwidth": "3"} if k in notes.highlight_nodes else {}
        )
        if not nodes[k].inputs:
            return {"shape": "ellipse", "fillcolor": "#d4e6f4", **highlight}
        return {"shape": "circle", "fillcolor": "#eeeeee", "margin": "0.02", **highlight}

    for k in range(len(nodes)):
        if not copied(k):
            node(f"n{k}", label=_node_label(graph, k, notes, names, digits), **style(k))

    counters = {"c": 0, "u": 0, "cut": 0}

    def fresh(prefix: str) -> str:
        counters[prefix] += 1
        return f"{prefix}{counters[prefix] - 1}"

    for edge in edges:
        if edge.constant:  # its own small grey leaf at its use; nothing flows back
            name = fresh("c")
            label = _text(format_number(edge.operand, digits))
            if drawn_name(edge.operand):  # a named node (say, a Dual of another derivative)
                label = f"<b>{_text(drawn_name(edge.operand) or '')}</b><br/>{label}"
            node(
                name,
                label=f"<{label}>",
                shape="circle",
                fillcolor="#f2f2f2",
                color=CONSTANT_COLOUR,
                fontcolor="#555555",
                fontsize="11",
                width="0.3",
                margin="0.01",
            )
            link(name, f"n{edge.target}", style="dashed", color=CONSTANT_COLOUR)
            continue
        partial = "∂ " + format_number(edge.partial, digits)
        attributes = {"label": f"<{_font(PARTIAL_COLOUR, partial)}>"}
        if (edge.source, edge.target) in notes.highlight_edges:
            attributes.update(color=HIGHLIGHT_COLOUR, penwidth="3")
            if notes.flow == "backward":  # the arrow points the way the adjoint flows
                attributes["dir"] = "back"
        if edge.source < 0:  # from the part of the graph not drawn
            name = fresh("cut")
            node(name, label="<…>", shape="plaintext", style="")
            attributes["style"] = "dotted"
        elif copied(edge.source):
            name = fresh("u")
            label = _node_label(graph, edge.source, notes, names, digits)
            node(name, label=label, **style(edge.source))
        else:
            name = f"n{edge.source}"
        link(name, f"n{edge.target}", **attributes)

    known = notes.values is None or len(nodes) - 1 in notes.values
    result = format_number(graph.output.value, digits) if known else "?"
    node(
        "result",
        shape="box",
        fillcolor="#d3efe6",
        color=ADJOINT_COLOUR,
        label=f"<<b>result</b><br/>{_font(VALUE_COLOUR, result)}>",
    )
    link(f"n{len(nodes) - 1}", "result")
    constants = any(edge.constant for edge in edges)
    digraph.attr(label=f"<{_legend(graph, notes, names, constants)}>")
    return Drawing(digraph, drawn_nodes, drawn_edges, summary)


def _legend(graph: Graph, notes: Annotations, names: str, constants: bool) -> str:
    left = '<br align="left"/>'
    parts = []
    if not graph.complete:
        operations = sum(1 for node in graph.nodes if node.inputs)
        parts.append(
            f"<i>Only the {operations:,} operations nearest the output are drawn; "
            "… marks where earlier ones feed in.</i>"
        )
        if names == "trace":
            parts.append("<i>Trace names (v1, v2, ...) need the whole graph.</i>")
    if len(graph.nodes) == 1:
        parts.append(
            "<i>This result records no operations: it is an input, or it was made where "
            "adlearn does not record (inside derivative, jvp or jacobian_forward). To draw "
            "a computation, start from Dual(...) or Variable(...) inputs made by hand.</i>"
        )
    if notes.note:
        parts.append(f"<i>{_text(notes.note, 300)}</i>")
    if notes.caption:
        parts.append(f"<b>{_text(notes.caption, 300)}</b>")
    parts.append(_font(VALUE_COLOUR, "number in a node: its value"))
    parts.append(_font(PARTIAL_COLOUR, "∂ on an edge: local partial of the receiving operation"))
    if constants and notes.tangents and not notes.adjoints:  # forward mode: tangents
        parts.append(
            _font(
                CONSTANT_COLOUR,
                "dashed grey edge: a constant: its tangent is 0, so its partial is never used",
            )
        )
    elif constants:
        parts.append(_font(CONSTANT_COLOUR, "dashed grey edge: a constant, nothing flows back"))
    if notes.tangents:
        parts.append(_font(TANGENT_COLOUR, "ẋ: tangent, the derivative carried forward"))
    if notes.adjoints:
        parts.append(
            _font(
                ADJOINT_COLOUR,
                "grad: adjoint d(result)/d(node), swept back from this result "
                "(an input's .grad adds up over backward() calls)",
            )
        )
    return left.join(parts) + left
