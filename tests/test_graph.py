"""Drawing computation graphs: the numbers on edges, stability, safety, size."""

import os
import re
import subprocess
import sys
import textwrap

import pytest

from adlearn import Drawing, Dual, Variable, draw, exp, log, sin
from adlearn.graph import MAX_USES, Graph, number


def blog(x):
    return x * sin(x + 6) ** 2 / 2 - 2 / 2**x


def edges_into(source, label_of_target):
    """Partials written on the edges into the node whose label starts with the given text."""
    names = re.findall(
        r"^  (n\d+) \[label=<(?:<font point-size=\"14\">)?<b>(.*?)</b>", source, re.M
    )
    targets = [n for n, label in names if label == label_of_target]
    found = {}
    for target in targets:
        found[target] = re.findall(rf"-> {target} \[label=<.*?∂ ([^<]+)</font>>", source)
    return found


def test_source_figure_shows_the_articles_numbers():
    x = Variable(3.0, name="x")
    y = blog(x)
    y.backward()
    source = draw(y).source
    # d sin(u)/du at u = 9 is -0.91, on the edge into sin.
    assert list(edges_into(source, "sin").values()) == [["-0.91"]]
    # The division by 2: 0.5 for the numerator, -0.13 for the constant 2.
    divisions = edges_into(source, "/")
    assert ["0.5", "-0.13"] in divisions.values()
    # x's adjoint is the sum over its three uses: d/dx at 3 = -0.87.
    assert re.search(r"<b>x</b><br/><font[^>]*>3</font><br/><font[^>]*>grad -0.87</font>", source)
    assert "Generated" not in source  # DOT text, not SVG


def test_drawing_displays_as_svg_from_dot_with_a_stable_text_repr():
    x = Variable(3.0, name="x")
    drawing = draw(blog(x))
    bundle = drawing._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert "</svg>" in bundle["image/svg+xml"]
    assert bundle["text/plain"] == "<Drawing of a Variable graph: 9 nodes, output 0.004762>"
    assert "0x" not in repr(drawing)
    assert isinstance(drawing, Drawing)


def test_same_computation_same_dot():
    def build():
        x = Variable(3.0, name="x")
        y = blog(x)
        y.backward()
        return draw(y).source

    assert build() == build()


def test_dual_graph_shows_tangents_and_variable_before_backward_shows_none():
    source = draw(blog(Dual(3.0, 1.0, name="x"))).source
    assert "ẋ -0.87" in source and "purple ẋ" in source
    assert "grad" not in draw(blog(Variable(3.0))).source


def test_shared_input_is_one_node_or_one_leaf_per_use():
    x = Variable(3.0, name="x")
    y = blog(x)
    assert len(re.findall(r"<b>x</b>", draw(y).source)) == 1
    assert len(re.findall(r"<b>x</b>", draw(y, leaf_per_use=True).source)) == 3


def test_trace_names_label_operations():
    x1, x2 = Variable(2.0, "x1"), Variable(5.0, "x2")
    source = draw(log(x1) + x1 * x2 - sin(x2), names="trace").source
    for label in ["v1 = log", "v2 = ×", "v3 = +", "v4 = sin", "v5 = -"]:
        assert f'<font point-size="14"><b>{label}</b></font>' in source


@pytest.mark.parametrize(
    "name",
    [
        'say "hi"',
        "a{b}c",
        "<b>bold</b>",
        "x & y",
        "line\nbreak",
        "w" * 300,
        "ŵ₁ βλ",
        '"]; n0 -> n1; //',
    ],
)
def test_any_name_is_escaped_and_renders(name):
    x = Variable(2.0, name=name)
    drawing = draw(exp(x) * x)
    svg = drawing.svg()  # the real dot must accept it
    assert "</svg>" in svg
    label_line = next(line for line in drawing.source.splitlines() if line.startswith("  n0 "))
    assert "<b>bold</b>" not in label_line and "\n" not in label_line.rstrip("\n")
    assert label_line.count("[label=") == 1
    assert len(label_line) < 400  # very long names are shortened


def test_large_graph_is_summarised_and_still_renders():
    x = Variable(0.5, name="x")
    y = x
    for _ in range(2_000):
        y = sin(y)
    drawing = draw(y, max_nodes=200)
    assert "1,800 earlier operations are not drawn" in drawing.source
    assert len(re.findall(r"^  n\d+ \[", drawing.source, re.M)) == 200
    assert "</svg>" in drawing.svg()
    assert "</svg>" in draw(y, max_nodes=2_001).svg()  # the whole chain, laid out by dot


def test_input_used_in_every_step_of_a_loop_does_not_fan_out():
    x = Variable(1.0, name="x")
    y = x
    for _ in range(1_000):
        y = y * 0.5 + x
    source = draw(y, max_nodes=5_000).source
    assert source.count("<b>x</b>") > MAX_USES  # drawn once per use, not one huge fan-out
    assert "</svg>" in draw(y, max_nodes=300).svg()


def test_drawing_needs_a_node():
    with pytest.raises(TypeError, match="only a Dual or a Variable remembers"):
        draw(3.0)
    with pytest.raises(ValueError, match='"ops" or "trace"'):
        draw(Variable(1.0) * 2, names="fancy")


def test_missing_dot_gives_one_clear_error_and_source_still_works(tmp_path):
    # A real run without graphviz on the PATH, in a fresh interpreter.
    script = textwrap.dedent(
        """
        from adlearn import Variable, draw
        from adlearn.graph import GraphvizMissing
        d = draw(Variable(2.0, name="x") * 3)
        assert "digraph" in d.source
        assert "install" in d._repr_mimebundle_()["text/plain"]
        try:
            d.svg()
        except GraphvizMissing as error:
            print(error)
        """
    )
    env = dict(os.environ, PATH=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert "sudo apt-get install graphviz" in done.stdout
    assert "conda install -c conda-forge graphviz" in done.stdout


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (9.0, "9"),
        (0.5, "0.5"),
        (-0.9111, "-0.91"),
        (-0.1327, "-0.13"),
        (0.004762, "0.0048"),
        (123.4, "123"),
        (0.0, "0"),
        (2.5e-7, "2.5e-07"),
        (float("inf"), "inf"),
        (-1e9, "-1.0e+09"),
    ],
)
def test_numbers_are_short(x, text):
    assert number(x) == text


def test_graph_lists_inputs_first_then_operations():
    x1, x2 = Variable(2.0, "x1"), Variable(5.0, "x2")
    graph = Graph.of(log(x1) + x1 * x2 - sin(x2))
    assert [n.name for n in graph.nodes[:2]] == ["x1", "x2"]
    assert graph.trace_names == ["v-1", "v0", "v1", "v2", "v3", "v4", "v5"]


def test_deep_graphs_run_top_to_bottom_and_shallow_ones_left_to_right():
    x = Variable(0.5, name="x")
    shallow = sin(x) * x
    deep = x
    for _ in range(12):
        deep = sin(deep)
    assert Graph.of(shallow).depth() == 2 and Graph.of(deep).depth() == 12
    assert "rankdir=LR" in draw(shallow).source
    assert "rankdir=TB" in draw(deep).source
    assert "rankdir=LR" in draw(deep, direction="LR").source
    with pytest.raises(ValueError, match='"LR" or "TB"'):
        draw(deep, direction="up")
