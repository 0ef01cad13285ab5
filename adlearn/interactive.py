"""Sliders that redraw a plot: the interactive figures of the lessons.

``explore(plot, x=(-3.0, 3.0, 0.1, 1.0))`` shows a slider for ``x`` and the figure
that ``plot(ax, x=...)`` draws on a matplotlib axes. Moving the slider redraws it.

The callback never prints: it replaces the picture in an ``Image`` widget. So a
lesson's stored outputs are the same every run, and a static page shows the figure
for the starting values.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

SliderSpec = tuple[float, float, float, float]  # minimum, maximum, step, start


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
        import base64

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
