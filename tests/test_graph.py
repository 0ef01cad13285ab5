"""Drawing computation graphs: partials on edges, constants, stability, safety, size."""

import math
import os
import re
import subprocess
import sys
import textwrap

import pytest

from adlearn import (
    Drawing,
    Dual,
    Variable,
    core,
    draw,
    exp,
    log,
    new_tag,
    reverse_trace,
    sin,
    step_through,
)
from adlearn.graph import (
    ADJOINT_COLOUR,
    CONSTANT_COLOUR,
    MAX_USES,
    PARTIAL_COLOUR,
    TANGENT_COLOUR,
    VALUE_COLOUR,
    Graph,
    format_number,
)


def blog(x):
    return x * sin(x + 6) ** 2 / 2 - 2 / 2**x


class Value:
    """A learner's own reverse-mode node: only the drawing protocol, nothing from adlearn."""

    def __init__(self, value, inputs=(), partials=(), op=None, name=None):
        self.value, self.inputs, self.partials = value, inputs, partials
        self.op, self.name = op, name

    def __add__(self, other):
        b = other.value if isinstance(other, Value) else other
        return type(self)(self.value + b, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        b = other.value if isinstance(other, Value) else other
        return type(self)(self.value * b, (self, other), (b, self.value), "×")

    __radd__ = __add__

    def __rmul__(self, other):
        return type(self)(other * self.value, (other, self), (self.value, other), "×")

    def sin(self):
        return type(self)(math.sin(self.value), (self,), (math.cos(self.value),), "sin")


class Counted(Value):
    """A Value that counts how often anyone looks at a node's inputs."""

    reads = 0

    @property
    def inputs(self):
        Counted.reads += 1
        return self._inputs

    @inputs.setter
    def inputs(self, operands):
        self._inputs = operands


def graph_nodes(drawing):
    """{name: label} for the drawn nodes of the graph, n0, n1, ... (the drawing's model)."""
    return {n: a["label"] for n, a in drawing.nodes.items() if re.fullmatch(r"n\d+", n)}


PARTIAL_LABEL = re.compile(r"<<font color=\"[^\"]*\">∂ ([^<]+)</font>>")


def partials_into(drawing, title):
    """The partials written on the edges into each operation titled `title`."""
    targets = [n for n, label in graph_nodes(drawing).items() if f"<b>{title}</b>" in label]
    return [
        [
            PARTIAL_LABEL.fullmatch(e.attributes["label"]).group(1)
            for e in drawing.edges_into(t)
            if "label" in e.attributes  # a constant's edge carries none
        ]
        for t in targets
    ]


def labels(drawing):
    """Every label of the drawing: nodes, edges and the legend."""
    found = [a.get("label", "") for a in drawing.nodes.values()]
    found += [e.attributes.get("label", "") for e in drawing.edges]
    return found


def test_source_figure_shows_the_articles_numbers():
    x = Variable(3.0, name="x")
    y = blog(x)
    y.backward()
    drawing = draw(y)
    # d sin(u)/du at u = 9 is -0.91, on the edge into sin.
    assert partials_into(drawing, "sin") == [["-0.91"]]
    # The division by 2: 0.5 towards the numerator; the constant 2 gets no partial.
    assert ["0.5"] in partials_into(drawing, "/")
    # x's adjoint is the sum over its three uses: d/dx at 3 = -0.87.
    assert re.fullmatch(
        r"<<b>x</b><br/><font[^>]*>3</font><br/><font[^>]*>grad -0.87</font>>",
        drawing.label("n0"),
    )
    assert "Generated" not in drawing.source  # DOT text, not SVG


def test_edges_show_partials_and_nodes_show_values_never_repeated_on_edges():
    x = Variable(3.0, name="x")
    drawing = draw(sin(x) * x)
    edges = [e for e in drawing.edges if e.head != "result"]
    assert edges and all(PARTIAL_LABEL.fullmatch(e.attributes["label"]) for e in edges)
    assert f'color="{PARTIAL_COLOUR}">∂ 3<' in drawing.edges_into("n2")[0].attributes["label"]
    assert f'color="{VALUE_COLOUR}">0.14<' in drawing.label("n1")  # sin(3), on its node
    assert all("∂" not in label for label in graph_nodes(drawing).values())


def test_constants_are_dashed_grey_and_carry_no_partial():
    x = Variable(3.0, name="x")
    drawing = draw(x * 2 + 6)
    constant_edges = [e for e in drawing.edges if re.fullmatch(r"c\d+", e.tail)]
    assert [e.tail for e in constant_edges] == ["c0", "c1"]
    for edge in constant_edges:
        assert edge.attributes == {"style": "dashed", "color": CONSTANT_COLOUR}
        assert re.fullmatch(r"n\d+", edge.head)
    live = [e for e in drawing.edges if e.tail.startswith("n") and e.head != "result"]
    assert live and all(PARTIAL_LABEL.fullmatch(e.attributes["label"]) for e in live)
    assert all("style" not in e.attributes for e in live)
    assert "a constant, nothing flows back" in drawing.source  # the legend says what dashes mean


def test_edge_labels_are_at_least_10_points_and_colours_are_colour_blind_safe():
    x = Variable(3.0, name="x")
    y = blog(x)
    y.backward()
    drawing = draw(y)
    assert int(drawing.digraph.edge_attr["fontsize"]) >= 10
    okabe_ito = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"}
    assert {VALUE_COLOUR, PARTIAL_COLOUR, ADJOINT_COLOUR, TANGENT_COLOUR} <= okabe_ito
    # Colour is never the only cue: every coloured number has its marker.
    for label in labels(drawing):
        assert re.findall(rf'color="{PARTIAL_COLOUR}">(?!∂ )', label) == []
        assert re.findall(rf'color="{ADJOINT_COLOUR}">(?!grad)', label) == []


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
    assert "ẋ -0.87" in source and "ẋ: tangent" in source
    assert "grad" not in draw(blog(Variable(3.0))).source
    assert "grad -0.87" in draw(blog(Variable(3.0)), adjoints=True).source


def test_after_two_backward_calls_the_picture_still_matches_its_legend():
    x = Variable(3.0, name="x")
    y = blog(x)
    y.backward()
    once, first = draw(y), x.grad
    y.backward()
    assert x.grad == pytest.approx(2 * first)  # .grad accumulates ...
    twice = draw(y)
    assert twice.source == once.source  # ... the picture shows d(result)/d(node), one sweep
    assert "grad -0.87" in twice.label("n0") and "grad -1.7" not in twice.source
    assert "swept back from this result" in twice.source and ".grad adds up" in twice.source
    # Every node's drawn adjoint is core's d(y)/d(node), inputs and intermediates alike.
    graph = Graph.of(y)
    exact = core.adjoints(y)
    for k, node in enumerate(graph.nodes):
        assert f">grad {format_number(exact[node])}<" in twice.label(f"n{k}")


def test_shared_input_is_one_node_or_one_leaf_per_use():
    x = Variable(3.0, name="x")
    y = blog(x)
    assert len(re.findall(r"<b>x</b>", draw(y).source)) == 1
    assert len(re.findall(r"<b>x</b>", draw(y, leaf_per_use=True).source)) == 3


def test_trace_names_label_operations_with_the_rule_tables_symbols():
    x1, x2 = Variable(2.0, "x1"), Variable(5.0, "x2")
    y = log(x1) + x1 * x2 - sin(x2)
    times = (x1 * x2).op
    source = draw(y, names="trace").source
    for label in ["v₁ = log", f"v₂ = {times}", "v₃ = +", "v₄ = sin", "v₅ = -"]:
        assert f'<font point-size="14"><b>{label}</b></font>' in source


@pytest.mark.parametrize(
    "name",
    ['say "hi"', "a{b}c", "<b>bold</b>", "x & y", "w" * 300, "ŵ₁ βλ", '"]; n0 -> n1; //'],
)
def test_any_printable_name_is_escaped_and_renders(name):
    x = Variable(2.0, name=name)
    drawing = draw(exp(x) * x)
    svg = drawing.svg()  # the real dot must accept it
    assert "</svg>" in svg
    label = drawing.label("n0")
    assert "<b>bold</b>" not in label
    text = re.fullmatch(r"<<b>(.*)</b><br/><font[^>]*>2</font>>", label).group(1)
    assert "<" not in text and ">" not in text and '"' not in text  # escaped
    assert len(label) < 400  # very long names are shortened
    line = next(line for line in drawing.source.splitlines() if line.startswith("\tn0 "))
    assert line.count(" [label=") == 1  # the DOT text holds one node statement


@pytest.mark.parametrize("name", ["line\nbreak", "tab\there", "bell\x07", "nul\x00"])
def test_a_control_character_in_a_name_is_refused_with_a_printable_suggestion(name):
    x = Variable(2.0, name=name)
    with pytest.raises(ValueError, match="control character") as error:
        draw(exp(x) * x)
    assert "printable text on one line" in str(error.value)
    suggestion = re.search(r"for example '(.*)'\.$", str(error.value)).group(1)
    assert suggestion and all(c.isprintable() for c in suggestion)


@pytest.mark.parametrize("digits", [0, -1, 2.5, True, "2"])
def test_digits_must_be_a_positive_whole_number(digits):
    with pytest.raises(ValueError, match="significant digits"):
        draw(Variable(1.0) * 2, digits=digits)
    with pytest.raises(ValueError, match="significant digits"):
        format_number(0.0, digits)


@pytest.mark.parametrize("max_nodes", [0, -5, 1.5, None])
def test_max_nodes_must_be_a_positive_whole_number(max_nodes):
    with pytest.raises(ValueError, match="how many operations to draw"):
        draw(Variable(1.0) * 2, max_nodes=max_nodes)


def test_large_graph_shows_the_nearest_operations_and_still_renders():
    x = Variable(0.5, name="x")
    y = x
    for _ in range(2_000):
        y = sin(y)
    y.backward()
    drawing = draw(y, max_nodes=200)
    assert "Only the 200 operations nearest the output are drawn" in drawing.source
    assert len(graph_nodes(drawing)) == 200
    cut = [e for e in drawing.edges if e.tail.startswith("cut")]
    assert cut and all(e.attributes["style"] == "dotted" for e in cut)
    assert all(drawing.label(e.tail) == "<…>" for e in cut)
    assert ">grad " not in drawing.source  # adjoints need the whole graph: say so, show none
    assert "Adjoints are not shown" in drawing.source
    assert repr(drawing).startswith("<Drawing of the 200 nodes nearest the output")
    assert "</svg>" in drawing.svg()
    whole = draw(y, max_nodes=2_000)
    assert "</svg>" in whole.svg() and "nearest" not in whole.source  # the whole chain


def test_drawing_a_huge_graph_visits_only_what_it_draws(monkeypatch):
    x = Variable(0.5, name="x")
    y = x
    for _ in range(20_000):
        y = sin(y) * 1.0

    order = core.topological_order

    def whole_graph(*args, **kwargs):
        if kwargs.get("within") is None:
            raise AssertionError("the whole graph was traversed")
        return order(*args, **kwargs)

    monkeypatch.setattr(core, "topological_order", whole_graph)
    monkeypatch.setattr(core, "adjoints", whole_graph)
    assert len(graph_nodes(draw(y, max_nodes=50))) == 50

    def looks_at_inputs(steps):
        z = Counted(0.5, name="x")
        for _ in range(steps):
            z = (z * 1.0).sin()
        start = Counted.reads
        draw(z, max_nodes=50)
        return Counted.reads - start

    # The same work for a chain of 2,000 steps as for 20,000: only the drawn part is seen.
    assert looks_at_inputs(20_000) == looks_at_inputs(2_000) < 20 * 50


def test_input_used_in_every_step_of_a_loop_does_not_fan_out():
    x = Variable(1.0, name="x")
    y = x
    for _ in range(1_000):
        y = y * 0.5 + x
    source = draw(y, max_nodes=5_000).source
    assert source.count("<b>x</b>") > MAX_USES  # drawn once per use, not one huge fan-out
    assert "</svg>" in draw(y, max_nodes=300).svg()


def test_a_part_of_a_graph_keeps_every_node_after_its_inputs():
    x = Variable(0.3, name="x")
    a = sin(x)
    y = a
    for _ in range(100):
        y = sin(y) * a  # a is near the output and also feeds the far end
    graph = Graph.of(y, max_operations=30)
    assert not graph.complete and sum(1 for n in graph.nodes if n.inputs) == 30
    for k in range(len(graph.nodes)):
        assert all(j < k for j, _ in graph.inputs_of(k))
    assert graph.nodes[-1] is y


def test_drawing_needs_a_node_with_one_partial_per_input():
    with pytest.raises(TypeError, match="only a result that remembers"):
        draw(3.0)
    x = Value(2.0, name="x")
    forgot = Value(4.0, (x, x), (2.0,), "×")  # a learner's rule that lost a partial
    with pytest.raises(ValueError, match="2 inputs but 1 partials"):
        draw(forgot)

    class Compared(Value):
        def __eq__(self, other):  # compares values, and so drops the inherited hash
            return self.value == getattr(other, "value", other)

    with pytest.raises(TypeError, match="__hash__ = object.__hash__"):
        draw(Compared(1.0) * 2)
    alone = draw(Variable(1.0, name="x")).source
    assert "records no operations" in alone and "<b>x</b>" in alone
    with pytest.raises(ValueError, match='"ops" or "trace"'):
        draw(Variable(1.0) * 2, names="fancy")


def test_foreign_nodes_in_a_huge_graph_are_drawn_nearest_first():
    z = Value(0.5, name="x")
    for _ in range(1_000):
        z = (z * 2.0).sin()
    drawing = draw(z, max_nodes=10)
    titles = [re.search(r"<b>(.*?)</b>", label).group(1) for label in graph_nodes(drawing).values()]
    assert titles.count("sin") == 5 and titles.count("×") == 5
    assert [e.attributes["style"] for e in drawing.edges if re.fullmatch(r"c\d+", e.tail)] == [
        "dashed"
    ] * 5  # the 2.0s


def test_a_learners_own_node_class_is_drawn_like_adlearns():
    x = Value(3.0, name="x")
    y = (x * x + 6).sin() * 2
    drawing = draw(y, adjoints=True)
    assert "<b>x</b>" in drawing.label("n0")
    assert partials_into(drawing, "sin") == [[format_number(math.cos(15.0))]]
    # d/dx of 2 sin(x² + 6) = 4 x cos(x² + 6), at 3:
    assert f"grad {format_number(12 * math.cos(15.0))}" in drawing.label("n0")
    dashed = [e for e in drawing.edges if e.attributes.get("style") == "dashed"]
    assert len(dashed) == 2  # the constants 6 and 2
    output = format_number(2 * math.sin(15.0), 4)
    assert repr(draw(y)) == f"<Drawing of a Value graph: 5 nodes, output {output}>"


def test_a_learners_own_nodes_get_a_reverse_trace_and_a_step_through():
    x1, x2 = Value(2.0, name="x1"), Value(5.0, name="x2")
    y = x1 * x2 + x1.sin()  # d/dx1 = x2 + cos(x1), d/dx2 = x1
    rows = reverse_trace(y).rows
    assert rows[3][0] == "v₂ = sin(v₋₁)" and rows[4][0] == "v₃ = v₁ + v₂"
    last = {row[0].split()[0]: float(row[2]) for row in rows if "=" in row[0] and "∂" in row[0]}
    assert last["v̄₋₁"] == pytest.approx(5.0 + math.cos(2.0), rel=1e-3)
    assert last["v̄₀"] == pytest.approx(2.0, rel=1e-3)
    widget = step_through(y)
    assert repr(widget).startswith("<Step-by-step backward sweep of a Value graph")
    widget.go(widget.steps)
    assert f"grad {format_number(5.0 + math.cos(2.0))}" in widget.picture.value


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
        (10**400, "1.0e+400"),
    ],
)
def test_numbers_are_short(x, text):
    assert format_number(x) == text


def test_numbers_of_other_numeric_types_and_nested_duals():
    np = pytest.importorskip("numpy")
    assert format_number(np.float32(0.25)) == "0.25"
    assert format_number(Dual(Dual(1.5, 1.0), 0.0)) == "1.5"
    assert format_number(math.pi, digits=6) == "3.14159"


def test_graph_lists_inputs_first_then_operations():
    x1, x2 = Variable(2.0, "x1"), Variable(5.0, "x2")
    graph = Graph.of(log(x1) + x1 * x2 - sin(x2))
    assert [n.name for n in graph.nodes[:2]] == ["x1", "x2"]
    assert graph.trace_names == ["v₋₁", "v₀", "v₁", "v₂", "v₃", "v₄", "v₅"]


def test_duals_of_another_derivative_are_constants():
    outer, inner = new_tag(records=True), new_tag(records=True)
    x = Dual(1.0, 1.0, tag=outer, name="x")
    y = Dual(1.0, 1.0, tag=inner, name="y")
    drawing = draw(x + y)
    assert list(graph_nodes(drawing)) == ["n0", "n1"] and "<b>y</b>" in drawing.label("n0")
    assert "<b>x</b>" in drawing.label("c0")  # a constant here, labelled with its name
    assert [e.attributes.get("style") for e in drawing.edges_into("n1")] == [None, "dashed"][::-1]
    quiet = Dual(1.0, 1.0, tag=new_tag(), name="q")  # records nothing, as inside derivative()
    assert "records no operations" in draw(quiet * 2).source


def test_deep_graphs_run_top_to_bottom_and_shallow_ones_left_to_right():
    x = Variable(0.5, name="x")
    shallow = sin(x) * x
    deep = x
    for _ in range(12):
        deep = sin(deep)
    assert Graph.of(shallow).depth() == 2 and Graph.of(deep).depth() == 12
    assert draw(shallow).digraph.graph_attr["rankdir"] == "LR"
    assert draw(deep).digraph.graph_attr["rankdir"] == "TB"
    assert draw(deep, direction="LR").digraph.graph_attr["rankdir"] == "LR"
    with pytest.raises(ValueError, match='"LR" or "TB"'):
        draw(deep, direction="up")


def test_a_constant_that_is_a_named_node_shows_its_name_and_value():
    a = Variable(1.5, name="a")
    outer = Dual(2.0, 1.0, tag=new_tag(records=True), name="t")
    drawing = draw(outer * a)  # a is a constant of the Dual graph
    assert drawing.label("c0") == "<<b>a</b><br/>1.5>"


class OwnForward:
    """A learner's dual number: .value and .tangent (not an adlearn number)."""

    def __init__(self, value, tangent):
        self.value, self.tangent = value, tangent


class OwnReverse:
    """A learner's reverse-mode node holding a dual number of their own."""

    def __init__(self, value, inputs=(), partials=(), name=None):
        self.value, self.inputs, self.partials, self.name = value, inputs, partials, name

    __hash__ = object.__hash__


def test_a_value_of_your_own_with_a_tangent_is_drawn_as_primal_plus_tangent():
    assert format_number(OwnForward(2.0, -0.25)) == "2 + -0.25ε"
    x = OwnReverse(OwnForward(3.0, 1.0), name="x")
    y = OwnReverse(OwnForward(9.0, 6.0), inputs=(x,), partials=(OwnForward(6.0, 2.0),))
    drawing = draw(y)
    assert "3 + 1ε" in drawing.label("n0") and "9 + 6ε" in drawing.label("n1")
    assert "∂ 6 + 2ε" in drawing.edges_into("n1")[0].attributes["label"]


def test_the_legend_says_what_a_constant_means_in_each_mode():
    forward = draw(Dual(2.0, 1.0, name="x") * 3.0)
    assert "its tangent is 0, so its partial is never used" in forward.source
    assert "nothing flows back" not in forward.source
    y = Variable(2.0, name="x") * 3.0
    assert "a constant, nothing flows back" in draw(y).source
