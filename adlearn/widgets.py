"""The interactive figures of the lessons: sliders that redraw a picture.

* ``explore(plot, x=(-3.0, 3.0, 0.1, 1.0))`` shows a slider for ``x`` and the figure
  that ``plot(ax, x=...)`` draws on a matplotlib axes; moving the slider redraws it.
* ``step_through(y)`` shows the graph of `y` with a slider and previous/next buttons.
  For a `Dual` result it replays the forward sweep (tangents appear node by node); for
  a `Variable` result, the backward sweep (the output is seeded with 1, then adjoints
  accumulate edge by edge, the edge being processed highlighted).

Callbacks never print: they replace the picture in an ``Image`` or ``HTML`` widget. So
a lesson's stored outputs are the same every run, and where widgets cannot run (a
static page) the output falls back to a picture: the figure for the starting values,
or the finished sweep.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

from .graph import Graph, render
from .trace import Sweep

SliderSpec = tuple[float, float, float, float]  # minimum, maximum, step, start
MAX_STEPPED = 100  # operations at most in a graph that step_through replays


class Explorer:
    """Sliders, one per keyword, and the figure drawn for their current values."""

    def __init__(
        self,
        plot: Callable[..., Any],
        *,
        size: tuple[float, float] = (6.0, 3.6),
        **sliders: SliderSpec,
    ) -> None:
        import ipywidgets as widgets

        if not sliders:
            raise TypeError("explore(plot, name=(min, max, step, start), ...) needs a slider.")
        self.plot = plot
        self.size = size
        self.sliders = {}
        for name, spec in sliders.items():
            if len(spec) != 4:
                raise ValueError(f"slider {name!r} needs (min, max, step, start), got {spec!r}.")
            low, high, step, start = spec
            self.sliders[name] = widgets.FloatSlider(
                value=start,
                min=low,
                max=high,
                step=step,
                description=name,
                continuous_update=True,
                readout_format=".3g",
            )
        width = f"{int(size[0] * 100)}px"  # the figure's own size: 100 pixels per inch
        self.image = widgets.Image(format="png", layout={"width": width, "height": "auto"})
        for slider in self.sliders.values():
            slider.observe(lambda _: self.redraw(), names="value")
        self.widget = widgets.VBox([*self.sliders.values(), self.image])
        self.redraw()

    @property
    def values(self) -> dict[str, float]:
        return {name: slider.value for name, slider in self.sliders.items()}

    def png(self) -> bytes:
        """The figure for the current slider values, as PNG bytes."""
        from matplotlib.figure import Figure

        figure = Figure(figsize=self.size, dpi=100, layout="constrained")
        self.plot(figure.add_subplot(), **self.values)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()

    def redraw(self) -> None:
        self.image.value = self.png()

    def __repr__(self) -> str:
        names = ", ".join(self.sliders)
        return f"<Interactive figure with sliders: {names}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        # The picture already drawn for the current values, for static pages.
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        bundle["text/plain"] = repr(self)
        return bundle


def explore(
    plot: Callable[..., Any], *, size: tuple[float, float] = (6.0, 3.6), **sliders: SliderSpec
) -> Explorer:
    """Show ``plot(ax, **values)`` with one slider per keyword: ``name=(min, max, step, start)``."""
    return Explorer(plot, size=size, **sliders)


class StepThrough:
    """A slider over the steps of a sweep, and the graph drawn at the chosen step.

    The graph and the sweep are worked out once; moving the slider only redraws.
    """

    def __init__(
        self, output: Any, *, names: str = "trace", digits: int = 2, sweep: str | None = None
    ) -> None:
        import ipywidgets as widgets

        self.graph = Graph.of(output, max_operations=MAX_STEPPED)
        if not self.graph.complete:
            raise ValueError(
                f"step_through shows every step of a sweep, and this computation has more "
                f"than {MAX_STEPPED} operations: too many steps to follow one by one. Step "
                "through a smaller example with the same pattern, or use draw(...) to see "
                "the operations nearest the output."
            )
        self.sweep = Sweep(self.graph, sweep, digits)
        self.steps = self.sweep.length
        self.names = names
        self.digits = digits
        self.slider = widgets.IntSlider(
            value=0, min=0, max=self.steps, description="step", continuous_update=True
        )
        self.previous = widgets.Button(description="◀ previous", layout={"width": "110px"})
        self.next = widgets.Button(description="next ▶", layout={"width": "110px"})
        self.picture = widgets.HTML()
        self.previous.on_click(lambda _: self.go(self.slider.value - 1))
        self.next.on_click(lambda _: self.go(self.slider.value + 1))
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([self.previous, self.slider, self.next]), self.picture]
        )
        self.show(0)

    def go(self, step: int) -> None:
        """Move to `step` (clamped to the first and last step)."""
        self.slider.value = max(0, min(self.steps, step))

    def svg(self, step: int) -> str:
        """The picture at `step`, as SVG."""
        annotations = self.sweep.annotations(step)
        picture = render(self.graph, annotations, names=self.names, digits=self.digits)
        return picture.svg()

    def show(self, step: int) -> None:
        """Draw `step` into the widget and enable the buttons that can move."""
        self.picture.value = self.svg(step)
        self.previous.disabled = step <= 0
        self.next.disabled = step >= self.steps

    def __repr__(self) -> str:
        kind = type(self.graph.output).__name__
        return (
            f"<Step-by-step {self.sweep.direction} sweep of a {kind} graph: "
            f"{self.steps} steps. Drag the slider or press next.>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["image/svg+xml"] = self.svg(self.steps)  # the finished sweep, for static pages
        bundle["text/plain"] = repr(self)
        return bundle


def step_through(
    output: Any, *, names: str = "trace", digits: int = 2, sweep: str | None = None
) -> StepThrough:
    """A widget that steps through the sweep behind `output`, one picture per step.

    By default it replays the forward sweep for a result whose nodes carry tangents
    (a `Dual`) and the backward sweep otherwise (a `Variable`, or a node of your own
    engine: see `adlearn.draw` for what a node needs); ``sweep="backward"`` or
    ``"forward"`` chooses. Graphs of up to 100 operations can be stepped through.
    """
    return StepThrough(output, names=names, digits=digits, sweep=sweep)
