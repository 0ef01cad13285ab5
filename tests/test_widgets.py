"""The step-by-step widget, with real ipywidgets (no browser needed)."""

from adlearn import Dual, Variable, log, sin, step_through


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


def test_widget_bundle_has_a_static_fallback_and_a_stable_text():
    widget = step_through(survey(Dual(2.0, 1.0, name="x1"), Dual(5.0, 0.0, name="x2")))
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "</svg>" in bundle["image/svg+xml"]
    assert bundle["text/plain"] == (
        "<Step-by-step forward sweep of a Dual graph: 7 steps. Drag the slider or press next.>"
    )
