"""The engine is plain Python a learner can read, and the code it shows is the code that runs.

* No generated code: no eval, exec, compile or frame tricks in the engine's files.
* Every operator of `Dual` and `Variable` has source code in the package.
* What lessons 02 and 09 print (`show_code`, the operators' source) runs: a profiler
  counts the calls of exactly those code objects.
* The package's import graph has no cycle.
* A differential test: every row of the table, in both modes and nested, agrees with
  a slow reference that calls the row's own functions on floats, at seeded random points.
"""

import ast
import inspect
import io
import math
import random
import re
import sys
import textwrap
from contextlib import redirect_stdout
from pathlib import Path

import pytest

import adlearn
from adlearn import RULES, Dual, Variable, derivative, gradient
from adlearn.core import NO_TANGENT
from adlearn.dual import chain_rule
from adlearn.higher import hessian, hessian_vector_product, second_derivative

PACKAGE = Path(adlearn.__file__).parent
ENGINE_FILES = sorted(PACKAGE.glob("*.py"))  # the engine; adlearn/checks is the graders'


def test_no_generated_code_in_the_engine():
    pattern = re.compile(r"\b(exec|eval|compile)\(|_getframe")
    for path in ENGINE_FILES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not pattern.search(line), f"{path.name}:{number}: {line.strip()}"


OPERATORS = ["add", "sub", "mul", "truediv", "pow", "radd", "rsub", "rmul", "rtruediv", "rpow"]


@pytest.mark.parametrize("kind", [Dual, Variable])
@pytest.mark.parametrize("method", [*OPERATORS, "neg", "abs"])
def test_every_operator_has_source_in_the_package(kind, method):
    function = getattr(kind, f"__{method}__")
    source = inspect.getsource(function)
    where = Path(inspect.getsourcefile(function)).name
    assert where == f"{kind.__name__.lower()}.py", where  # 2 * x's code too (__rmul__)
    assert "value(" in source and "partials(" in source  # the row's functions, called
    assert "x * y" not in source and "1.0, -1.0" not in source  # no formula written in


def operand_cases(rng):
    """Operand pairs for + - * /: floats, ints, negative zero, infinities, and numbers of
    another derivative nested inside (a Dual inside a Dual, a Dual inside a Variable)."""
    inner = adlearn.new_tag()
    for _ in range(40):
        x, y = rng.uniform(-3, 3), rng.uniform(-3, 3)
        yield x, y
        yield x, rng.randint(-4, 4)
        yield Dual(x, rng.uniform(-2, 2), tag=inner), y
        yield x, Dual(y, rng.uniform(-2, 2), tag=inner)
    yield -0.0, 0.0
    yield math.inf, 2.0
    yield 1e308, 10.0


def same(a, b):
    """Equal numbers, NaN equal to NaN and 0.0 told apart from -0.0 (or equal Duals)."""
    if isinstance(a, Dual) or isinstance(b, Dual):
        return type(a) is type(b) and same(a.value, b.value) and same(a.derivative, b.derivative)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_the_operators_give_exactly_what_the_row_and_chain_rule_give(name):
    """The operators call the row's value and partials, and write lesson 02's chain rule
    out for two inputs (a call of `chain_rule` would cost as much as the arithmetic):
    this proves they give bit for bit what `chain_rule` gives on the row's partials."""
    row = RULES[name]
    rng = random.Random(name)
    for x, y in operand_cases(rng):
        if name == "div" and y == 0:
            continue
        nested = isinstance(x, Dual) or isinstance(y, Dual)
        out = row.evaluate(x, y) if nested else row.value(x, y)
        pa, pb = row.partials(x, y, out)
        # forward mode: both inputs moved (tangents 0.5 and -1.5), and each alone
        for tx, ty in [(0.5, -1.5), (1.0, None), (None, 1.0)]:
            tag = adlearn.new_tag()  # above the nested numbers' tag
            a = x if tx is None else Dual(x, tx, tag=tag)
            b = y if ty is None else Dual(y, ty, tag=tag)
            operation = row.operations[Dual]  # Dual.__mul__; .reflected is Dual.__rmul__
            got = operation(a, b) if isinstance(a, Dual) else operation.reflected(b, a)
            tangents = [NO_TANGENT if t is None else t for t in (tx, ty)]
            want = chain_rule((pa, pb), tangents)
            assert same(got.value, out) and same(got.derivative, want), (name, x, y, tx, ty)
        # reverse mode: the node stores exactly the row's partials
        graph = adlearn.new_tag(records=True)  # one graph, above the nested numbers
        vx, vy = Variable(x, tag=graph), Variable(y, tag=graph)
        node = row.operations[Variable](vx, vy)
        assert same(node.value, out) and same(node.pa, pa) and same(node.pb, pb), (x, y)
        if not isinstance(x, Dual):
            node = row.operations[Variable].reflected(vy, x)  # a constant on the left
            assert same(node.value, out) and same(node.pb, pb) and node.a is x


def test_a_row_that_takes_over_an_operator_runs_the_general_code():
    x = Dual(3.0, 1.0)
    adlearn.define_primitive(
        "scaled_mul",
        value=lambda x, y: 2 * x * y,
        partials=lambda x, y, out: (2 * y, 2 * x),
        operator="mul",
        replace=True,
    )
    try:
        assert (x * 5.0).value == 30.0 and (x * 5.0).derivative == 10.0
        assert Dual.__mul__.__name__ == "scaled_mul_on_Dual"
        assert "value(" in inspect.getsource(Dual.__mul__)  # forward_operation's code
    finally:
        adlearn.remove_primitive("scaled_mul")
    assert Dual.__mul__ is RULES["mul"].operations[Dual]  # the table's own row is back
    assert (x * 5.0).value == 15.0 and (Variable(3.0) * 5.0).pa == 5.0


def calls_of(code_objects, run):
    """How often each code object is entered while `run()` runs (a profiler counts)."""
    counts = dict.fromkeys(code_objects, 0)

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in counts:
            counts[frame.f_code] += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return counts


def lesson02_f(x):
    return 3 * adlearn.sin(x * x) ** 2 / 2 - 2 ** (x - 3) / 8


@pytest.mark.parametrize("kind", [Dual, Variable])
def test_the_operators_shown_are_the_code_that_runs(kind):
    mul, sin = kind.__mul__, RULES["sin"].operations[kind]
    mul_code, sin_code = mul.__code__, sin.__code__
    point = kind(3.0, 1.0) if kind is Dual else kind(3.0)
    counts = calls_of([mul_code, sin_code], lambda: lesson02_f(point))
    assert counts[mul_code] >= 1 and counts[sin_code] == 1, counts
    # and x * y calls the row's own partials, the one place its formula is written;
    # x + y and x - y read the numbers their rows declare (constant_partials)
    code = RULES["mul"].partials.__code__
    assert calls_of([code], lambda: point * point)[code] == 1
    for name, numbers in [("add", (1.0, 1.0)), ("sub", (1.0, -1.0)), ("neg", (-1.0,))]:
        row = RULES[name]
        assert row.constant_partials == numbers == row.partials(*[2.0] * (row.arity + 1))
        free = inspect.getclosurevars(row.operations[kind]).nonlocals
        assert free["constants"] is row.constant_partials
    # and show_code prints exactly that source
    printed = io.StringIO()
    with redirect_stdout(printed):
        adlearn.show_code("mul")
    assert textwrap.dedent(inspect.getsource(mul)).strip() in printed.getvalue()
    assert 'mul = define_primitive(\n    "mul",' in printed.getvalue()  # the whole row


def test_derivative_runs_the_forward_code_once_per_operation():
    mul_code = Dual.__mul__.__code__
    counts = calls_of([mul_code], lambda: derivative(lambda x: x * x * x, 2.0))
    assert counts[mul_code] == 2


def test_the_sweep_lesson_04_prints_is_the_one_backward_runs():
    code = adlearn.variable.backpropagate.__code__
    x = Variable(2.0)
    y = x * x
    assert calls_of([code], y.backward)[code] == 1


def imports_of(path):
    """The adlearn modules `path` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found - {"checks"}


def test_the_import_graph_has_no_cycle():
    graph = {path.stem: imports_of(path) for path in ENGINE_FILES}
    state = {}

    def visit(module, path):
        if state.get(module) == "done":
            return
        assert state.get(module) != "open", f"import cycle: {' -> '.join([*path, module])}"
        state[module] = "open"
        for other in sorted(graph.get(module, ())):
            visit(other, [*path, module])
        state[module] = "done"

    for module in sorted(graph):
        visit(module, [])


# --- the differential test ------------------------------------------------------------

# Where each row is tried: a range of points where it is defined and smooth.
RANGES = {
    "log": (0.1, 4.0),
    "sqrt": (0.1, 4.0),
    "tan": (-1.2, 1.2),
    "pow": (0.2, 3.0),
    "div": (0.3, 3.0),
    "abs": (0.2, 3.0),
    "relu": (0.2, 3.0),
}


def points(name, arity, count=5):
    rng = random.Random(f"{name}-{arity}")  # seeded per row
    low, high = RANGES.get(name, (-2.5, 2.5))
    for _ in range(count):
        xs = [rng.uniform(low, high) for _ in range(arity)]
        if name in {"abs", "relu"} and rng.random() < 0.5:
            xs = [-v for v in xs]  # both sides of the kink
        yield xs


def reference(row, xs):
    """The row's own functions on floats: (value, partials)."""
    out = row.value(*xs)
    return out, tuple(float(p) for p in row.partials(*xs, out))


def second_reference(row, xs, i, j, h=1e-5):
    """d/dx_j of the i-th partial, by central differences of the row's functions."""

    def partial_at(shift):
        moved = list(xs)
        moved[j] += shift
        return reference(row, moved)[1][i]

    return (partial_at(h) - partial_at(-h)) / (2 * h)


def close(a, b, rel=1e-12, abs_=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_row_in_both_modes_agrees_with_its_own_functions(name):
    row = RULES[name]
    f = row.evaluate
    for xs in points(name, row.arity):
        out, partials = reference(row, xs)
        # forward mode, one input moved at a time, and with the others constant
        for i in range(row.arity):
            args = [Dual(v, 1.0 if k == i else 0.0) for k, v in enumerate(xs)]
            result = f(*args)
            assert close(result.value, out) and close(result.derivative, partials[i]), (xs, i)
            constants = [Dual(v, 1.0) if k == i else v for k, v in enumerate(xs)]
            assert close(f(*constants).derivative, partials[i]), (xs, i)
        # reverse mode
        leaves = [Variable(v) for v in xs]
        y = f(*leaves)
        y.backward()
        assert close(y.value, out)
        for leaf, partial in zip(leaves, partials):
            assert close(leaf.grad, partial), xs
        # the whole-function entry points
        assert all(close(g, p) for g, p in zip(gradient(f, xs), partials))


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_row_nested_agrees_with_its_own_functions(name):
    row = RULES[name]
    f = row.evaluate
    for xs in points(name, row.arity):
        if row.arity == 1:
            want = second_reference(row, xs, 0, 0)
            for got in (
                second_derivative(f, xs[0]),  # forward over forward
                hessian(f, xs)[0][0],  # forward over reverse
            ):
                assert math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-6), (xs, got, want)
            continue
        H = hessian(f, xs)
        for i in range(2):
            for j in range(2):
                want = second_reference(row, xs, i, j)
                assert math.isclose(H[i][j], want, rel_tol=1e-6, abs_tol=1e-6), (xs, i, j)
        v = [0.3, -0.7]
        Hv = hessian_vector_product(f, xs, v)
        for i in range(2):
            want = sum(second_reference(row, xs, i, j) * v[j] for j in range(2))
            assert math.isclose(Hv[i], want, rel_tol=1e-6, abs_tol=1e-6), (xs, i)
        # reverse over forward by hand: a Variable inside a Dual's value is a constant
        # to the Dual, and the tangent is d/dx_0 of f; its gradient is row 0 of H.
        leaves = [Variable(v) for v in xs]
        inner = f(Dual(leaves[0], 1.0, tag=adlearn.new_tag()), leaves[1]).derivative
        if isinstance(inner, Variable):
            inner.backward()
        else:  # a constant partial (add, sub): nothing depends on the inputs
            assert inner == reference(row, xs)[1][0]
        for j in range(2):
            want = second_reference(row, xs, 0, j)
            assert math.isclose(leaves[j].grad, want, rel_tol=1e-6, abs_tol=1e-6), (xs, j)


def test_the_two_orders_and_the_two_sweeps_agree():
    """backward() runs its own fast copies (core._flat_order, variable.backpropagate)
    of the general search and sweep (core.topological_order, core.reverse_sweep):
    on a random graph with shared subexpressions they give one order and one gradient."""
    rng = random.Random(17)
    inputs = [Variable(rng.uniform(0.5, 1.5), name=f"x{i}") for i in range(4)]
    pool = list(inputs)
    for _ in range(60):
        a, b = rng.choice(pool), rng.choice(pool)
        pool.append(rng.choice([a * b, a + b, a - b, adlearn.sin(a), a / (1.0 + b * b)]))
    y = pool[-1] + pool[-2] * pool[-7]
    fast = adlearn.core.topological_order(y)  # Variables: _flat_order
    general = adlearn.core.topological_order(y, within=lambda node: True)  # the dict search
    assert fast == general and len(fast) == len(set(fast))
    exact = adlearn.core.adjoints(y)  # through reverse_sweep
    y.backward()
    for x in inputs:
        assert x.grad == pytest.approx(exact[x], rel=1e-12), x.name
    assert any(x.grad != 0 for x in inputs)


def test_constant_partials_are_read_by_both_modes_and_compared_on_redefinition():
    halve = adlearn.define_primitive(
        "halved_sum", value=lambda x, y: (x + y) / 2, partials=adlearn.constant_partials(0.5, 0.5)
    )
    try:
        assert RULES["halved_sum"].constant_partials == (0.5, 0.5)
        assert derivative(lambda t: halve(t, 3.0 * t), 1.0) == 2.0  # 0.5 + 0.5 * 3
        x, y = Variable(1.0), Variable(4.0)
        halve(x, y).backward()
        assert (x.grad, y.grad) == (0.5, 0.5)
        with pytest.raises(ValueError, match="already exists"):  # other numbers: another rule
            adlearn.define_primitive(
                "halved_sum",
                value=lambda x, y: (x + y) / 2,
                partials=adlearn.constant_partials(0.5, 0.25),
            )
        with pytest.raises(ValueError, match="partial with respect to input 2"):  # checked
            adlearn.define_primitive(
                "wrong_sum", value=lambda x, y: x + y, partials=adlearn.constant_partials(1.0, 2.0)
            )
    finally:
        adlearn.remove_primitive("halved_sum")
