"""Drawing a `Tensor` graph: one box per array operation, the VJP on each edge.

Each operation shows its symbol and the shape of its result (``@  (128, 64)``); each
input its name and shape; each edge the vector-Jacobian product that the backward
sweep applies along it, as a formula (``G Bᵀ``, ``Aᵀ G``, ``G * sech² A``), and, when
NumPy broadcast that input, the sum that undoes it (``sum over axis 0``). Constants
are small grey boxes with dashed edges and no formula: no gradient flows to them.

`draw_tensor` returns a `graphviz.Digraph` (its ``.body`` lists the nodes and edges),
with a stable text form for notebooks. ``adlearn.draw(tensor)`` calls it.
"""

from __future__ import annotations

from typing import Any

import graphviz

from .array_rules import broadcast_axes
from .core import topological_order

MAX_OPERATIONS = 40
FONT = "Helvetica,Arial,sans-serif"
OPERATION = {"shape": "box", "style": "rounded,filled", "fillcolor": "#eeeeee"}
INPUT = {"shape": "box", "style": "filled", "fillcolor": "#d6e9f8"}
CONSTANT = {"shape": "box", "style": "dashed", "color": "#999999", "fontcolor": "#777777"}
EDGE = {"fontcolor": "#c0392b", "fontsize": "10"}


class TensorDrawing(graphviz.Digraph):
    """A `graphviz.Digraph` of a Tensor graph, with a short, stable repr."""

    summary = ""

    def __repr__(self) -> str:
        return f"<Drawing of {self.summary}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> Any:
        try:
            svg = self.pipe(format="svg", encoding="utf-8")
        except graphviz.ExecutableNotFound:
            return {"text/plain": f"{self!r}\n(graphviz's `dot` program is not installed)"}
        return {"image/svg+xml": svg, "text/plain": repr(self)}


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def vjp_label(node: Any, index: int) -> str:
    """The VJP along the edge from input `index` of `node`: the rule's formula, plus
    the sum that undoes broadcasting when that input was broadcast."""
    text: str = node.rule.formulas[index]
    axes = broadcast_axes(node.args[index].shape, node.value.shape)
    if axes:
        word = "axis" if len(axes) == 1 else "axes"
        text += f", sum over {word} {', '.join(str(a) for a in axes)}"
    return text


def operations_nearest(output: Any, limit: int) -> list[Any]:
    """The graph's nodes in topological order, or its `limit` operations nearest the
    output (a breadth-first walk from it) when it has more."""
    order = topological_order(output)
    if sum(1 for n in order if n.rule is not None) <= limit:
        return order
    kept: list[Any] = []
    frontier, seen = [output], {output}
    while frontier and len(kept) < limit:
        node = frontier.pop(0)
        kept.append(node)
        for operand in node.inputs:
            if type(operand) is type(output) and operand not in seen and operand.rule is not None:
                seen.add(operand)
                frontier.append(operand)
    chosen = set(kept)
    return [n for n in order if n in chosen or (n.rule is None and _feeds(n, chosen))]


def _feeds(leaf: Any, chosen: set[Any]) -> bool:
    return any(leaf in node.inputs for node in chosen)


def draw_tensor(
    output: Any, *, max_nodes: int = MAX_OPERATIONS, direction: str | None = None
) -> TensorDrawing:
    """The picture of the Tensor graph behind `output` (see the module's docstring)."""
    nodes = operations_nearest(output, max_nodes)
    position = {node: k for k, node in enumerate(nodes)}
    dot = TensorDrawing(graph_attr={"rankdir": direction or "LR", "fontname": FONT})
    dot.attr("node", fontname=FONT, fontsize="11")
    dot.attr("edge", fontname=FONT)
    constants = 0
    left_out = False
    for node, k in position.items():
        shape = shape_text(node.value.shape)
        if node.rule is None:
            dot.node(f"n{k}", f"{node.name or 'input'}  {shape}", **INPUT)
            continue
        dot.node(f"n{k}", f"{node.rule.symbol}  {shape}", **OPERATION)
        for i, operand in enumerate(node.inputs):
            if type(operand) is type(node):
                if operand in position:
                    dot.edge(f"n{position[operand]}", f"n{k}", vjp_label(node, i), **EDGE)
                else:
                    left_out = True
                    dot.node(f"more{k}_{i}", "…", shape="plaintext")
                    dot.edge(f"more{k}_{i}", f"n{k}", vjp_label(node, i), **EDGE)
            else:
                constants += 1
                dot.node(f"c{constants}", f"constant  {shape_text(node.args[i].shape)}", **CONSTANT)
                dot.edge(f"c{constants}", f"n{k}", style="dashed", color="#999999")
    dot.node("result", "result", shape="box", style="filled", fillcolor="#d5f5e3")
    dot.edge(f"n{position[output]}", "result", "G = seed (1 for a scalar)", **EDGE)
    count = sum(1 for n in nodes if n.rule is not None)
    what = f"{count} operation{'s' if count != 1 else ''}"
    if left_out:
        dot.summary = f"the {what} nearest the output of a Tensor graph (the rest not drawn)"
    else:
        dot.summary = f"a Tensor graph: {what}, output shape {shape_text(output.value.shape)}"
    return dot
