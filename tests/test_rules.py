"""Every primitive of the rule table, in both modes, against independent references."""

import math

import pytest

import adlearn
from adlearn import RULES, Dual, Variable, define_primitive
from adlearn.checks import central_difference, complex_step, primitive_errors

# Points for each primitive, awkward ones included (tiny, negative, large, near kinks).
# A primitive missing from this table is still tested, at the default points.
POINTS = {
    "add": [(2.0, 3.0), (-1e-8, 10.0), (0.0, 0.0)],
    "sub": [(2.0, 3.0), (-1e-8, 10.0), (0.0, 0.0)],
    "mul": [(2.0, 3.0), (-1e-8, 1e8), (0.0, -4.0)],
    "div": [(2.0, 3.0), (-1.0, 1e-4), (1e8, -7.0)],
    "pow": [(2.0, 3.0), (0.5, -2.5), (9.0, 0.5), (1.0, 10.0), (3.0, 0.0)],
    "neg": [(2.0,), (-1e-300,)],
    "abs": [(-2.0,), (1e-3,), (-1e-3,), (5.0,)],
    "sin": [(0.0,), (1e-8,), (-3.0,), (1e3,)],
    "cos": [(0.0,), (1e-8,), (-3.0,), (math.pi,)],
    "tan": [(0.0,), (1.5,), (-1.0,)],
    "exp": [(0.0,), (-30.0,), (20.0,)],
    "log": [(1.0,), (1e-6,), (1e6,), (0.5,)],
    "sqrt": [(1.0,), (1e-6,), (4.0,), (1e6,)],
    "tanh": [(0.0,), (-3.0,), (10.0,)],
    "sigmoid": [(0.0,), (-30.0,), (30.0,), (2.0,)],
    "relu": [(-2.0,), (1e-3,), (-1e-3,), (3.0,)],
}


def cases():
    for name, primitive in sorted(RULES.items()):
        for point in POINTS.get(
            name, [(0.3, 1.3, 0.7)[: primitive.arity], (1.7, 0.4, 2.2)[: primitive.arity]]
        ):
            yield pytest.param(name, point, id=f"{name}{point}")


@pytest.mark.parametrize(("name", "point"), list(cases()))
def test_primitive_matches_references_in_both_modes(name, point):
    assert primitive_errors(name, point) == []


def test_every_function_is_in_the_rule_table_and_the_public_api():
    for name in ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu"]:
        assert name in RULES
        assert getattr(adlearn, name) is RULES[name].evaluate


def test_closed_forms_of_each_rule():
    # Written-out derivatives, independent of the rule table.
    x = 0.7
    expected = {
        "sin": math.cos(x),
        "cos": -math.sin(x),
        "tan": 1 / math.cos(x) ** 2,
        "exp": math.exp(x),
        "log": 1 / x,
        "sqrt": 1 / (2 * math.sqrt(x)),
        "tanh": 1 / math.cosh(x) ** 2,
        "sigmoid": math.exp(-x) / (1 + math.exp(-x)) ** 2,
        "relu": 1.0,
    }
    for name, slope in expected.items():
        f = RULES[name].evaluate
        assert adlearn.derivative(f, x) == pytest.approx(slope, rel=1e-12)
        assert adlearn.gradient(f, [x])[0] == pytest.approx(slope, rel=1e-12)


def test_nondifferentiable_points_follow_the_right_derivative_convention():
    # relu and abs at 0: the slope from the right; sqrt at 0: +inf.
    assert adlearn.derivative(adlearn.relu, 0.0) == 1.0
    assert adlearn.derivative(abs, 0.0) == 1.0
    assert adlearn.derivative(adlearn.sqrt, 0.0) == math.inf
    assert adlearn.gradient(adlearn.relu, [0.0]) == (1.0,)
    assert adlearn.gradient(lambda x: abs(x), [0.0]) == (1.0,)
    assert adlearn.gradient(adlearn.sqrt, [0.0]) == (math.inf,)
    # The convention agrees with a one-sided difference from the right.
    for f in (adlearn.relu, abs):
        assert (f(1e-9) - f(0.0)) / 1e-9 == pytest.approx(1.0)


def test_power_special_cases():
    # Negative base with integer exponent, constant exponents, constant bases.
    assert adlearn.derivative(lambda x: x**3, -2.0) == pytest.approx(12.0)
    assert adlearn.derivative(lambda x: x**-1, -2.0) == pytest.approx(-0.25)
    assert adlearn.derivative(lambda x: 2**x, 3.0) == pytest.approx(8 * math.log(2))
    assert adlearn.derivative(lambda x: x**x, 2.0) == pytest.approx(4 * (math.log(2) + 1))
    assert adlearn.derivative(lambda x: x**0, 0.0) == 0.0
    assert adlearn.gradient(lambda x: x**2, [-3.0]) == (pytest.approx(-6.0),)
    assert adlearn.derivative(lambda x: x**0.5, 0.0) == math.inf


def test_new_primitive_is_one_edit_that_everything_picks_up():
    # Register atan2 once; both modes, the references and the drawing know it.
    name = "atan2_for_test"
    atan2 = define_primitive(
        name,
        arity=2,
        value=math.atan2,
        partials=lambda y, x, out: (x / (x * x + y * y), -y / (x * x + y * y)),
        symbol="atan2",
    )
    try:
        assert primitive_errors(name, (0.5, 2.0)) == []
        assert primitive_errors(name, (-1.0, -3.0)) == []
        assert atan2(1.0, 1.0) == pytest.approx(math.pi / 4)
        d = atan2(Dual(1.0, 1.0), 2.0)
        assert d.derivative == pytest.approx(2 / 5)
        y = Variable(1.0)
        z = atan2(y, 2.0)
        z.backward()
        assert y.grad == pytest.approx(2 / 5)
        assert z.primitive is RULES[name]
    finally:
        adlearn.remove_primitive(name)


def test_missing_rule_names_the_operation_and_the_fix():
    with pytest.raises(NotImplementedError, match="no derivative rule for 'erf'.*define_primitive"):
        adlearn.apply("erf", Dual(1.0, 1.0))


def test_primitive_names_are_unique():
    with pytest.raises(ValueError, match="already exists"):
        define_primitive("sin", value=math.sin, partials=lambda x, out: (math.cos(x),))


def test_references_themselves_on_a_known_derivative():
    # The references must be right before they judge anything.
    assert central_difference(math.exp, 1.0) == pytest.approx(math.e, rel=1e-8)
    assert complex_step(lambda z: z**3, 2.0) == pytest.approx(12.0, rel=1e-15)


def test_tanh_partial_on_arrays_is_the_float_formula_entry_by_entry():
    # the array branch of _sech_squared works in place; it must give exactly what the
    # same formula gives out of place, tails and NaN included, and leave x alone
    np = pytest.importorskip("numpy")
    from adlearn.rules import _sech_squared

    x = np.array([-30.0, -2.5, -1e-9, 0.0, 0.3, 4.0, 25.0, np.inf, np.nan])
    kept = x.copy()
    got = _sech_squared(x)
    e = np.exp(-2 * np.abs(x))  # the formula written out of place, with NumPy's exp
    assert np.array_equal(got, 4 * e / (1 + e) ** 2, equal_nan=True)
    assert np.array_equal(x, kept, equal_nan=True)
    want = [_sech_squared(float(v)) for v in x]  # math's exp: within an ulp or two
    assert np.allclose(got, want, rtol=1e-15, atol=0, equal_nan=True)
    assert got[3] == 1.0 and got[0] > 0  # sech²(0) = 1; the tail keeps its digits
