"""The widgets, with real ipywidgets (no browser needed): step_through and explore."""

import pytest

from adlearn import Dual, Variable, core, log, sin, step_through
from adlearn.widgets import MAX_STEPPED, explore


def survey(x1, x2):
    return log(x1) + x1 * x2 - sin(x2)


def test_reverse_widget_moves_and_redraws():
    x1, x2 = Variable(2.0, "x1"), Variable(5.0, "x2")
    y = survey(x1, x2)
    widget = step_through(y)
    assert widget.steps == 9
    first = widget.picture.value
    assert "</svg>" in first and widget.previous.disabled and not widget.next.disabled
    widget.next.click()
    assert widget.slider.value == 1
    assert widget.picture.value != first
    widget.go(99)
    assert widget.slider.value == 9 and widget.next.disabled
    assert "grad 5.5" in widget.picture.value
    widget.previous.click()
    assert widget.slider.value == 8


def test_moving_the_slider_only_redraws(monkeypatch):
    widget = step_through(survey(Variable(2.0, "x1"), Variable(5.0, "x2")))

    def whole_graph(*args, **kwargs):
        raise AssertionError("the graph or the sweep was worked out again")

    monkeypatch.setattr(core, "topological_order", whole_graph)
    monkeypatch.setattr(core, "adjoints", whole_graph)
    for step in (3, 9, 0, 5):
        widget.go(step)
    assert "Step 5 of 9" in widget.picture.value


def test_widget_bundle_has_a_static_fallback_and_a_stable_text():
    widget = step_through(survey(Dual(2.0, 1.0, name="x1"), Dual(5.0, 0.0, name="x2")))
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "</svg>" in bundle["image/svg+xml"]
    assert bundle["text/plain"] == (
        "<Step-by-step forward sweep of a Dual graph: 5 steps. Drag the slider or press next.>"
    )


def test_a_dual_graph_can_be_stepped_backwards_on_request():
    widget = step_through(
        survey(Dual(2.0, 1.0, name="x1"), Dual(5.0, 0.0, name="x2")), sweep="backward"
    )
    assert widget.steps == 9 and repr(widget).startswith("<Step-by-step backward sweep")


def test_a_graph_too_long_to_step_through_is_refused_early():
    x = Variable(0.5, name="x")
    y = x
    for _ in range(MAX_STEPPED + 1):
        y = sin(y)
    with pytest.raises(ValueError, match="too many steps to follow"):
        step_through(y)


def test_explore_redraws_when_a_slider_moves_and_never_prints(capsys):
    calls = []

    def plot(ax, a):
        calls.append(a)
        ax.plot([0, 1], [0, a])

    figure = explore(plot, a=(0.0, 2.0, 0.5, 1.0))
    first = figure.image.value
    figure.sliders["a"].value = 2.0
    assert calls == [1.0, 2.0] and figure.image.value != first
    assert repr(figure) == "<Interactive figure with sliders: a>"
    assert "image/png" in figure._repr_mimebundle_()
    assert capsys.readouterr().out == ""
    with pytest.raises(TypeError, match="needs a slider"):
        explore(plot)
    with pytest.raises(ValueError, match="min, max, step, start"):
        explore(plot, a=(0.0, 1.0))
