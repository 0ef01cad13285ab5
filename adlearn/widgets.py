"""Step-by-step widgets: watch derivatives flow through a computation graph.

``step_through(y)`` shows the graph of `y` with a slider and previous/next buttons.
For a `Dual` result it replays the forward sweep (tangents appear node by node); for
a `Variable` result, the backward sweep (the output is seeded with 1, then adjoints
accumulate edge by edge, the edge being processed highlighted).

What each step shows comes from `adlearn.trace.sweep_annotations`, a pure function of
the graph and the step; this module only wires it to ipywidgets. Where widgets cannot
run (a static page), the output falls back to a picture of the finished sweep.
"""

from __future__ import annotations

from typing import Any

from .graph import Graph, draw
from .trace import sweep_annotations, sweep_length


class StepThrough:
    """A slider over the steps of a sweep, and the graph drawn at the chosen step."""

    def __init__(self, output: Any, *, names: str = "trace", digits: int = 2) -> None:
        import ipywidgets as widgets

        self.output = output
        self.graph = Graph.of(output)
        self.steps = sweep_length(self.graph)
        self.names = names
        self.digits = digits
        self.sweep = "forward" if self.graph.kind == "Dual" else "backward"
        self.slider = widgets.IntSlider(
            value=0, min=0, max=self.steps, description="step", continuous_update=True
        )
        self.previous = widgets.Button(description="◀ previous", layout={"width": "110px"})
        self.next = widgets.Button(description="next ▶", layout={"width": "110px"})
        self.picture = widgets.HTML()
        self.previous.on_click(lambda _: self.go(self.slider.value - 1))
        self.next.on_click(lambda _: self.go(self.slider.value + 1))
        self.slider.observe(lambda change: self._show(change["new"]), names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([self.previous, self.slider, self.next]), self.picture]
        )
        self._show(0)

    def go(self, step: int) -> None:
        """Move to `step` (clamped to the first and last step)."""
        self.slider.value = max(0, min(self.steps, step))

    def svg(self, step: int) -> str:
        annotations = sweep_annotations(self.graph, step, self.digits)
        drawing = draw(self.output, names=self.names, digits=self.digits, annotations=annotations)
        return drawing.svg()

    def _show(self, step: int) -> None:
        self.picture.value = self.svg(step)
        self.previous.disabled = step <= 0
        self.next.disabled = step >= self.steps

    def __repr__(self) -> str:
        return (
            f"<Step-by-step {self.sweep} sweep of a {self.graph.kind} graph: "
            f"{self.steps} steps. Drag the slider or press next.>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["image/svg+xml"] = self.svg(self.steps)  # the finished sweep, for static pages
        bundle["text/plain"] = repr(self)
        return bundle


def step_through(output: Any, *, names: str = "trace", digits: int = 2) -> StepThrough:
    """A widget that steps through the forward (Dual) or backward (Variable) sweep."""
    return StepThrough(output, names=names, digits=digits)
