"""Forward mode: arithmetic on dual numbers, checked against closed forms."""

import math

import pytest

from adlearn import Dual, cos, exp, log, new_tag, sin
from adlearn.checks import complex_step


def test_repr_is_short_and_exact():
    assert repr(Dual(2.0, 1.0)) == "Dual(value=2.0, derivative=1.0)"
    assert repr(Dual(2)) == "Dual(value=2.0, derivative=0.0)"
    assert repr(Dual(1.5, 0.0, name="x")) == "Dual(value=1.5, derivative=0.0, name='x')"


@pytest.mark.parametrize("c", [2, 2.5, -3])
def test_constants_on_either_side(c):
    x = Dual(1.5, 1.0)
    assert (x + c).derivative == 1.0 and (c + x).derivative == 1.0
    assert (x - c).derivative == 1.0 and (c - x).derivative == -1.0
    assert (x * c).derivative == c and (c * x).derivative == c
    assert (x / c).derivative == pytest.approx(1 / c)
    assert (c / x).derivative == pytest.approx(-c / 1.5**2)
    assert (-x).derivative == -1.0
    assert (+x) is x


def test_power_every_combination():
    x = Dual(1.5, 1.0)
    assert (x**3).derivative == pytest.approx(3 * 1.5**2)
    assert (2**x).derivative == pytest.approx(2**1.5 * math.log(2))
    assert (x**x).derivative == pytest.approx(1.5**1.5 * (math.log(1.5) + 1))
    negative = Dual(-2.0, 1.0)
    assert (negative**3).value == -8.0 and (negative**3).derivative == pytest.approx(12.0)
    assert (negative**-2).derivative == pytest.approx(2 / 8)


def test_abs_and_comparisons_use_the_value():
    x = Dual(-2.0, 1.0)
    assert abs(x).value == 2.0 and abs(x).derivative == -1.0
    assert x < 0 and x <= -2 and not x > 0 and x >= -2.0
    assert Dual(1.0, 5.0) == Dual(1.0, 0.0) == 1.0
    assert Dual(1.0) < Dual(2.0)
    assert bool(Dual(0.0, 1.0)) is False


def test_product_rule_is_the_eps_squared_algebra():
    # (a + bε)(c + dε) = ac + (ad + bc)ε
    a, b, c, d = 2.0, 3.0, 5.0, 7.0
    p = Dual(a, b) * Dual(c, d)
    assert (p.value, p.derivative) == (a * c, a * d + b * c)


def test_chain_of_elementary_functions_against_complex_step():
    def f(x):
        return exp(sin(x) * x) / log(x + 2) + cos(x) ** 2

    for x in [0.1, 1.0, 2.5]:
        assert f(Dual(x, 1.0)).derivative == pytest.approx(complex_step(f, x), rel=1e-12)


def test_zero_dual_has_no_inverse():
    with pytest.raises(ZeroDivisionError, match="no inverse.*ring, not a field"):
        1.0 / Dual(0.0, 1.0)
    with pytest.raises(ZeroDivisionError, match="no inverse"):
        Dual(3.0, 1.0) / Dual(0.0, 0.0)


def test_dual_records_its_graph():
    x = Dual(3.0, 1.0, name="x")
    y = x * 2 + x
    assert y.primitive.name == "add"
    assert y.inputs[1] is x
    assert y.inputs[0].inputs == (x, 2)
    assert y.partials == (1.0, 1.0)


def test_nested_duals_give_second_derivatives():
    # Differentiate the derivative: d²/dx² x³ = 6x.
    inner, outer = new_tag(), new_tag()
    x = Dual(Dual(2.0, 1.0, tag=inner), Dual(1.0, 0.0, tag=inner), tag=outer)
    y = x * x * x
    assert y.derivative.derivative == pytest.approx(12.0)
