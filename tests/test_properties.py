"""Property tests: random programs, random points, both modes, independent references.

A program is a list of steps; each step combines two earlier results (so results are
shared freely), and some steps branch or loop. The same program runs on floats, on
complex numbers (for the complex-step reference), on Duals and on Variables.
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from adlearn import (
    Dual,
    Node,
    Variable,
    cos,
    derivative,
    exp,
    gradient,
    log,
    sigmoid,
    sin,
    sqrt,
    tanh,
)
from adlearn.checks import close, complex_step


def real_part(x):
    if isinstance(x, Node):
        return real_part(x.value)
    return x.real if isinstance(x, complex) else x


def branch(a, b):
    # The path taken depends on the values; the derivative follows the path taken.
    # The margin 1e-30 keeps a tie a tie for the complex step too, whose real parts
    # move by h² = 1e-40 (x**2 at x = 0 + ih is -1e-40): all modes take the same path.
    return a * b if real_part(a) > real_part(b) + 1e-30 else a + b


def loop(a, b):
    for _ in range(3):
        a = sin(a) + b * 0.5
    return a


OPERATIONS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
    "pow": lambda a, b: (1 + a * a) ** tanh(b),
    "square": lambda a, b: a**2,
    "sin": lambda a, b: sin(a),
    "cos": lambda a, b: cos(b),
    "exp": lambda a, b: exp(sin(a)),
    "log": lambda a, b: log(1 + a * a),
    "sqrt": lambda a, b: sqrt(1 + b * b),
    "tanh": lambda a, b: tanh(a),
    "sigmoid": lambda a, b: sigmoid(a - b),
    "branch": branch,
    "loop": loop,
}


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 3))
    steps = []
    for k in range(draw(st.integers(1, 7))):
        size = n_inputs + k
        steps.append(
            (
                draw(st.sampled_from(sorted(OPERATIONS))),
                draw(st.integers(0, size - 1)),
                draw(st.integers(0, size - 1)),
            )
        )
    point = draw(
        st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=n_inputs, max_size=n_inputs)
    )
    return steps, point


def run(steps, inputs):
    pool = list(inputs)
    for name, i, j in steps:
        pool.append(OPERATIONS[name](pool[i], pool[j]))
    return pool[-1]


def one_coordinate(steps, point, i):
    def along(t):
        moved = list(point)
        moved[i] = t
        return run(steps, moved)

    return along


@settings(max_examples=300, deadline=None)
@given(programs())
def test_forward_reverse_and_complex_step_agree(program):
    steps, point = program
    reverse = gradient(lambda *xs: run(steps, xs), point)
    for i in range(len(point)):
        along = one_coordinate(steps, point, i)
        forward = derivative(along, point[i])
        reference = complex_step(along, point[i])
        assert close(forward, reference, rtol=1e-8, atol=1e-10), (forward, reference)
        assert close(reverse[i], forward, rtol=1e-9, atol=1e-12), (reverse[i], forward)


@settings(max_examples=100, deadline=None)
@given(programs())
def test_values_are_the_same_in_every_mode(program):
    steps, point = program
    plain = run(steps, point)
    assert run(steps, [Dual(v, 1.0) for v in point]).value == plain
    result = run(steps, [Variable(v) for v in point])
    assert (result.value if isinstance(result, Variable) else result) == plain
    assert math.isfinite(plain)
