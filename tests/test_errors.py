"""Bad input gets a clear error that says what went wrong and how to fix it."""

import math

import pytest

from adlearn import Dual, Variable, derivative, exp, gradient, jacobian_forward, log, sin, sqrt


@pytest.mark.parametrize("make", [Dual, Variable])
def test_domain_errors_name_the_operation_and_the_value(make):
    with pytest.raises(ValueError, match=r"log\(-1.0\).*positive"):
        log(make(-1.0))
    with pytest.raises(ValueError, match=r"sqrt\(-1.0\).*>= 0"):
        sqrt(make(-1.0))
    with pytest.raises(ValueError, match=r"log\(0.0\)"):
        log(make(0.0))
    with pytest.raises(OverflowError, match=r"exp\(1000.0\) overflows"):
        exp(make(1000.0))
    with pytest.raises(ValueError, match="negative base needs a whole-number exponent"):
        make(-8.0) ** (1 / 3)
    with pytest.raises(ZeroDivisionError):
        make(1.0) / 0


def test_plain_floats_get_the_same_messages_as_the_math_module_types():
    with pytest.raises(ValueError, match=r"log\(-1\).*positive"):
        log(-1)
    with pytest.raises(ValueError, match=r"sqrt"):
        sqrt(-1.0)
    with pytest.raises(ValueError, match=r"sin\(inf\)"):
        sin(math.inf)


@pytest.mark.parametrize("make", [Dual, Variable])
def test_nonsense_types_are_refused_clearly(make):
    with pytest.raises(TypeError, match="combine only with ints, floats"):
        make(1.0) + "a"
    with pytest.raises(TypeError, match="needs a real number.*forget to return"):
        make(None)
    with pytest.raises(TypeError, match=r"one .* each"):
        make([1.0, 2.0])
    with pytest.raises(TypeError, match="float"):
        make("3")
    with pytest.raises(TypeError, match="use adlearn.sin"):
        math.sin(make(1.0))
    with pytest.raises(TypeError, match="needs a number"):
        sin("x")
    with pytest.raises(TypeError, match="needs a number.*bool"):
        sin(True)


def test_nan_and_infinity_follow_ieee_arithmetic():
    y = sin(Variable(math.nan))
    assert math.isnan(y.value)
    y.backward()
    d = exp(Dual(math.inf, 1.0))
    assert d.value == math.inf and d.derivative == math.inf
    # inf - inf has no value, but the tangents cancel exactly: 1 - 1 = 0.
    difference = Dual(math.inf, 1.0) - Dual(math.inf, 1.0)
    assert math.isnan(difference.value) and difference.derivative == 0.0


def test_derivative_operators_explain_shape_mistakes():
    with pytest.raises(TypeError, match="single number.*jacobian_reverse"):
        gradient(lambda x, y: [x, y], [1.0, 2.0])
    with pytest.raises(TypeError, match="list of numbers.*derivative"):
        gradient(lambda x: x, 3.0)
    with pytest.raises(TypeError, match="forget `return`"):
        jacobian_forward(lambda x: None, [1.0])
    with pytest.raises(TypeError, match="single number.*jacobian_forward"):
        derivative(lambda x: (x, x), 1.0)


def test_exponent_derivative_of_a_negative_base_is_an_error_not_a_nan():
    with pytest.raises(ValueError, match="derivative in y needs log"):
        gradient(lambda x, y: x**y, [-2.0, 2.0])
    # ... but a negative base with a constant exponent is fine.
    assert gradient(lambda x: x**2, [-2.0]) == (-4.0,)
