"""Evaluation traces and the sweep steps, on the survey example ln(x1) + x1 x2 - sin(x2)."""

import math

import pytest

from adlearn import Dual, Variable, core, draw, forward_trace, log, reverse_trace, sin
from adlearn.graph import Graph
from adlearn.trace import Sweep, reverse_steps


def survey(x1, x2):
    return log(x1) + x1 * x2 - sin(x2)


def test_reverse_trace_of_the_survey_example():
    x1, x2 = Variable(2.0, "x1"), Variable(5.0, "x2")
    y = survey(x1, x2)
    times = (x1 * x2).op  # the rule table's one symbol for mul
    trace = reverse_trace(y)
    text = repr(trace)
    assert "v₁ = log(v₋₁)" in text and f"v₂ = v₋₁ {times} v₀" in text and "v₅ = v₃ - v₄" in text
    rows = [row[0] for row in trace.rows]
    # Two-step accumulation into each input used twice.
    assert "v̄₋₁ = v̄₂ × ∂v₂/∂v₋₁" in rows and "v̄₋₁ += v̄₁ × ∂v₁/∂v₋₁" in rows
    assert "v̄₀ = v̄₄ × ∂v₄/∂v₀" in rows and "v̄₀ += v̄₂ × ∂v₂/∂v₀" in rows
    assert rows.index("v̄₋₁ = v̄₂ × ∂v₂/∂v₋₁") < rows.index("v̄₋₁ += v̄₁ × ∂v₁/∂v₋₁")
    # The last update of each input is its gradient: 1/x1 + x2 and x1 - cos(x2).
    last = {row[0].split()[0]: row[2] for row in trace.rows if "+=" in row[0]}
    assert last == {"v̄₀": "1.716", "v̄₋₁": "5.5"}
    assert "<table" in trace._repr_html_() and "<script" not in trace._repr_html_()


def test_forward_trace_of_the_survey_example():
    x1, x2 = Dual(2.0, 1.0, name="x1"), Dual(5.0, 0.0, name="x2")
    trace = forward_trace(survey(x1, x2))
    assert trace.rows[-1] == ["v₅ = v₃ - v₄", "11.65", "v̇₅ = 1 × v̇₃ - 1 × v̇₄ = 5.5"]
    assert trace.rows[3][2] == "v̇₂ = 5 × v̇₋₁ + 2 × v̇₀ = 5"


def test_traces_refuse_the_wrong_kind():
    with pytest.raises(TypeError, match="reverse_trace"):
        forward_trace(Variable(1.0) * 2)
    with pytest.raises(TypeError, match="forward_trace"):
        reverse_trace(Dual(1.0, 1.0) * 2)
    with pytest.raises(ValueError, match="at least 2"):
        reverse_trace(Variable(1.0) * 2, max_rows=0)


def test_traces_of_huge_computations_show_their_first_and_last_rows():
    x = Variable(0.5, name="x")
    y = x
    for _ in range(5_000):
        y = sin(y) * 1.0
    trace = reverse_trace(y, max_rows=20)
    primal, adjoint = (rows for _, _, rows in trace.sections)
    assert len(primal) == 21 and primal[10][0] == "⋮ 9,981 rows left out (max_rows=20)"
    assert primal[0][0] == "v₀ = x" and primal[-1][0] == f"v₁₀₀₀₀ = v₉₉₉₉ {y.op} 1"
    assert len(adjoint) == 21  # the seed, 10 first updates, the gap, 9 last updates
    assert adjoint[-1][0] == "v̄₀ = v̄₁ × ∂v₁/∂v₀"
    y.backward()
    assert float(adjoint[-1][2]) == pytest.approx(x.grad, rel=1e-3)
    assert len(trace._repr_html_()) < 20_000 and len(repr(trace)) < 5_000


@pytest.mark.parametrize("point", [(2.0, 5.0), (0.5, -1.0), (3.0, 3.0)])
def test_replayed_sweep_agrees_with_backward_and_closed_form(point):
    x1, x2 = Variable(point[0]), Variable(point[1])
    y = survey(x1, x2)
    y.backward()
    graph = Graph.of(y)
    totals = {}
    for step in reverse_steps(graph):
        totals[step.input] = step.total
    assert totals[0] == x1.grad == pytest.approx(1 / point[0] + point[1])
    assert totals[1] == x2.grad == pytest.approx(point[0] - math.cos(point[1]))


def test_sweep_states_are_a_pure_function_of_graph_and_step():
    x1, x2 = Variable(2.0, "x1"), Variable(5.0, "x2")
    y = survey(x1, x2)
    y.backward()
    graph = Graph.of(y)
    sweep = Sweep(graph)
    n = sweep.length
    assert sweep.direction == "backward"
    assert n == 9  # the seed and one update per edge (eight edges)
    states = [sweep.annotations(k) for k in range(n + 1)]
    assert states == [Sweep(Graph.of(y)).annotations(k) for k in range(n + 1)]
    assert [sweep.annotations(k) for k in reversed(range(n + 1))] == states[::-1]
    assert states[0].adjoints == {}
    assert states[1].adjoints == {6: 1.0}
    # Each update step highlights exactly the edge it processes.
    assert all(len(s.highlight_edges) == 1 for s in states[2:])
    # and draws it pointing back, the way the adjoint flows (input <- node)
    assert all(s.flow == "backward" for s in states[2:])
    picture = draw(y, annotations=states[2])
    (edge,) = [e for e in picture.edges if e.attributes.get("penwidth") == "3"]
    assert edge.attributes["dir"] == "back"
    # At the end every node holds its adjoint, the same as after backward().
    assert states[-1].adjoints == {i: node.grad for i, node in enumerate(graph.nodes)}
    # An input used twice: first value, then the accumulated one.
    x1_values = [s.adjoints.get(0) for s in states if 0 in s.adjoints]
    assert x1_values[0] == 5.0 and x1_values[-1] == 5.5
    with pytest.raises(ValueError, match="between 0 and 9"):
        sweep.annotations(10)


def test_moving_through_a_sweep_never_replays_it(monkeypatch):
    x1, x2 = Variable(2.0, "x1"), Variable(5.0, "x2")
    sweep = Sweep(Graph.of(survey(x1, x2)))

    def replay(*args, **kwargs):
        raise AssertionError("the sweep was computed again")

    monkeypatch.setattr(core, "adjoints", replay)
    monkeypatch.setattr(core, "topological_order", replay)
    assert sweep.annotations(9).adjoints[0] == 5.5
    assert sweep.annotations(3).caption.startswith("Step 3 of 9")


def test_forward_sweep_reveals_tangents_node_by_node():
    x1, x2 = Dual(2.0, 1.0, name="x1"), Dual(5.0, 0.0, name="x2")
    graph = Graph.of(survey(x1, x2))
    sweep = Sweep(graph)
    inputs = [k for k, node in enumerate(graph.nodes) if not node.inputs]
    operations = [k for k, node in enumerate(graph.nodes) if node.inputs]
    assert sweep.direction == "forward" and sweep.length == len(operations) == 5
    for step in range(6):  # step 0: the seeded inputs; then one operation per step
        state = sweep.annotations(step)
        known = sorted(inputs + operations[:step])
        assert sorted(state.tangents) == known and sorted(state.values) == known
        if step:
            assert state.highlight_nodes == {operations[step - 1]}
    start = sweep.annotations(0)
    assert "the inputs, with their seeded tangents" in start.caption
    assert "values only" not in start.caption
    assert "v̇₂ = 5 × v̇₋₁ + 2 × v̇₀ = 5" in sweep.annotations(2).caption
    # a value not yet computed is not drawn
    picture = draw(graph.output, annotations=sweep.annotations(1))
    last = len(graph.nodes) - 1
    assert "12" not in picture.label(f"n{last}") and "?" in picture.label("result")
    backward = Sweep(graph, "backward")  # a Dual graph has partials too
    assert backward.annotations(backward.length).adjoints[0] == pytest.approx(5.5)
    with pytest.raises(TypeError, match="carry none"):
        Sweep(Graph.of(survey(Variable(2.0), Variable(5.0))), "forward")
