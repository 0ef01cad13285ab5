"""Groups of adlearn's functions that several checks switch off (their ``forbid=``).

The gate of `adlearn.checks.exercise.forbidden` lets adlearn's own code call what a check
switches off, so switching off `adlearn.topological_order` alone leaves every adlearn
function that calls it for you open: each one that orders or sweeps a graph is listed
here, and an exercise that asks for the order or the sweep switches off all of them.
"""

from __future__ import annotations

from typing import Any

import adlearn
from adlearn import core, graph, higher, tensor_graph, trace, variable

GRAPH_SWEEPS: tuple[Any, ...] = (
    core.topological_order,
    core.reverse_sweep,
    core.adjoints,
    variable.backpropagate,
    trace.reverse_steps,
    graph.Graph.of.__func__,  # type: ignore[attr-defined]
    graph.adjoints_by_position,
    tensor_graph.operations_nearest,
    higher.checkpointed_gradient,
)
"""Everything in adlearn that puts a graph's nodes in order or sweeps it backwards."""

SCALAR_ENGINE: tuple[Any, ...] = (
    adlearn.Variable,
    adlearn.Dual,
    adlearn.derivative,
    adlearn.gradient,
    adlearn.jvp,
    adlearn.vjp,
    adlearn.jacobian_forward,
    adlearn.jacobian_reverse,
    adlearn.second_derivative,
    adlearn.value_and_derivative,
    adlearn.hessian,
    adlearn.hessian_vector_product,
    *GRAPH_SWEEPS,
)
"""adlearn's scalar engine: its number types and every function that differentiates."""
