"""Lesson 03's exercises: the worked solutions pass, typical mistakes and shortcuts fail."""

import cmath
import math

import pytest

import adlearn
from adlearn import Dual, define_primitive, exp
from adlearn.checks import CheckFailed, lesson03


def not_done(*args):
    raise NotImplementedError("Exercise: replace this line with your solution.")


def rejected(check, *args):
    with pytest.raises(CheckFailed) as caught:
        check(*args)
    return str(caught.value)


# --- the notebook's worked solutions --------------------------------------------------


def path_products(x):
    # The product e^x · (x + sin x) has partials (x + sin x) and e^x.
    through_exp = math.exp(x) * (x + math.sin(x))  # x -> exp -> ×
    straight_into_sum = 1 * math.exp(x)  # x -> + -> ×
    through_sin = math.cos(x) * 1 * math.exp(x)  # x -> sin -> + -> ×
    return [through_exp, straight_into_sum, through_sin]


def gradient_by_seeding(f, point):
    partials = []
    for j in range(len(point)):
        seeded = [Dual(v, 1.0 if i == j else 0.0) for i, v in enumerate(point)]
        partials.append(f(*seeded).derivative)
    return partials


def rate_along(f, point, direction):
    return f(*[Dual(x, d) for x, d in zip(point, direction)]).derivative


def plan(n_inputs, n_outputs):
    forward_passes = n_inputs  # one column of J per forward pass
    reverse_sweeps = n_outputs  # one row of J per reverse sweep
    mode = "forward" if forward_passes <= reverse_sweeps else "reverse"
    return mode, forward_passes, reverse_sweeps


def make_softplus(name):
    return define_primitive(
        name,
        value=lambda x: math.log1p(math.exp(x)),
        complex_=lambda z: cmath.log(1 + cmath.exp(z)),
        partials=lambda x, out: (1 / (1 + exp(-x)),),
    )


def test_worked_solutions_pass():
    assert lesson03.check_paths(path_products)
    assert lesson03.check_seeding(gradient_by_seeding)
    assert lesson03.check_direction(rate_along)
    assert lesson03.check_plan(plan)
    rules_before = set(adlearn.RULES)
    assert lesson03.check_softplus(make_softplus)
    assert lesson03.check_softplus(make_softplus)  # a second run works too
    assert set(adlearn.RULES) == rules_before  # the check leaves the table as it was


def test_not_done_yet_does_not_raise():
    for check in (lesson03.check_paths, lesson03.check_seeding, lesson03.check_direction,
                  lesson03.check_plan, lesson03.check_softplus):
        result = check(not_done)
        assert not result and not result.done and "Not done yet" in repr(result)


# --- typical mistakes and shortcuts ---------------------------------------------------


def test_a_missing_path_is_rejected():
    def two_paths(x):
        return [math.exp(x) * (x + math.sin(x)), math.exp(x)]

    message = rejected(lesson03.check_paths, two_paths)
    assert "has 2 products, but p's graph has 3 paths" in message


def test_one_number_is_not_a_sum_over_paths():
    def closed_form(x):  # the learner run's shortcut: the product rule, no paths
        return math.exp(x) * (x + math.sin(x) + 1 + math.cos(x))

    assert "one number; return a list" in rejected(lesson03.check_paths, closed_form)


def test_a_closed_form_padded_to_three_numbers_is_rejected():
    def padded(x):
        return [math.exp(x) * (x + math.sin(x) + 1 + math.cos(x)), 0.0, 0.0]

    assert "not the product of the partials along any one path" in rejected(
        lesson03.check_paths, padded)


def test_the_complex_step_is_not_a_sum_over_paths():
    def by_complex_step(x):
        z = complex(x, 1e-20)
        import cmath
        slope = (cmath.exp(z) * (z + cmath.sin(z))).imag / 1e-20
        return [slope, 0.0, 0.0]

    assert "own complex numbers" in rejected(lesson03.check_paths, by_complex_step)


def test_a_wrong_partial_on_one_path_is_rejected():
    def sign_slip(x):
        products = path_products(x)
        products[2] = -products[2]  # d sin/dx taken as -cos
        return products

    assert "Is a path missing, or a partial wrong" in rejected(lesson03.check_paths, sign_slip)


def test_a_central_difference_is_not_13_digits():
    def central(x, h=1e-5):
        p = lambda t: math.exp(t) * (t + math.sin(t))  # noqa: E731
        return [(p(x + h) - p(x - h)) / (2 * h)]

    assert "has 1 products" in rejected(lesson03.check_paths, central)


def test_dual_numbers_are_the_shortcut_for_paths():
    def by_dual(x):
        t = adlearn.Dual(x, 1.0)  # a notebook finds Dual where the check switches it off
        return [(adlearn.exp(t) * (t + adlearn.sin(t))).derivative]

    assert "Dual() is switched off" in rejected(lesson03.check_paths, by_dual)


def test_seeding_with_too_many_passes_is_rejected():
    def twice(f, point):
        gradient_by_seeding(f, point)
        return gradient_by_seeding(f, point)

    assert "takes exactly" in rejected(lesson03.check_seeding, twice)


def test_seeding_that_calls_f_on_plain_numbers_is_rejected():
    def with_value_first(f, point):
        f(*point)
        return gradient_by_seeding(f, point)

    assert "that are not dual numbers" in rejected(lesson03.check_seeding, with_value_first)


def test_seeding_every_input_at_once_is_rejected():
    def all_ones(f, point):
        total = f(*[Dual(v, 1.0) for v in point]).derivative
        return [total] * len(point)

    assert "but the gradient is" in rejected(lesson03.check_seeding, all_ones)


def test_jacobian_forward_is_the_shortcut_for_seeding():
    def by_library(f, point):
        return adlearn.jacobian_forward(f, point)[0]

    assert "jacobian_forward() is switched off" in rejected(lesson03.check_seeding, by_library)


def test_a_direction_by_one_pass_per_input_is_rejected():
    def by_gradient(f, point, direction):
        return sum(g * d for g, d in zip(gradient_by_seeding(f, point), direction))

    assert "exactly one pass" in rejected(lesson03.check_direction, by_gradient)


def test_jvp_is_the_shortcut_for_a_direction():
    def by_library(f, point, direction):
        return adlearn.jvp(f, point, direction)

    assert "jvp() is switched off" in rejected(lesson03.check_direction, by_library)


def test_counting_rows_as_columns_is_rejected():
    def swapped(n_inputs, n_outputs):
        mode = "forward" if n_outputs <= n_inputs else "reverse"
        return mode, n_outputs, n_inputs

    assert "a row or a column" in rejected(lesson03.check_plan, swapped)


def test_reverse_on_a_tie_is_rejected():
    def reverse_on_ties(n_inputs, n_outputs):
        return ("forward" if n_inputs < n_outputs else "reverse"), n_inputs, n_outputs

    assert "on a tie, forward stores nothing" in rejected(lesson03.check_plan, reverse_on_ties)


def test_softplus_as_a_composition_is_rejected():
    def composed(name):
        return lambda x: adlearn.log(1 + adlearn.exp(x))

    assert "not a composition of log and exp" in rejected(lesson03.check_softplus, composed)


def test_softplus_with_a_wrong_partial_is_rejected():
    def wrong_partial(name):
        return define_primitive(
            name,
            value=lambda x: math.log1p(math.exp(x)),
            complex_=lambda z: cmath.log(1 + cmath.exp(z)),
            partials=lambda x, out: (1 / (1 + exp(x)),),
        )

    rules_before = set(adlearn.RULES)
    message = rejected(lesson03.check_softplus, wrong_partial)
    # define_primitive itself tries a new rule, so the wrong partial is caught there
    assert "the partial with respect to input 1" in message
    assert set(adlearn.RULES) == rules_before


def test_softplus_without_a_complex_version_cannot_be_verified():
    def real_only(name):
        return define_primitive(
            name,
            value=lambda x: math.log1p(math.exp(x)),
            partials=lambda x, out: (1 / (1 + exp(-x)),),
        )

    assert "give define_primitive a complex_ function" in rejected(lesson03.check_softplus,
                                                                   real_only)


def test_softplus_with_math_exp_in_its_partial_is_rejected():
    def math_partial(name):  # right first derivatives; math.exp refuses a dual number
        return define_primitive(
            name,
            value=lambda x: math.log1p(math.exp(x)),
            complex_=lambda z: cmath.log(1 + cmath.exp(z)),
            partials=lambda x, out: (1 / (1 + math.exp(-x)),),
        )

    rules_before = set(adlearn.RULES)
    message = rejected(lesson03.check_softplus, math_partial)
    assert "cannot be differentiated again" in message and "adlearn's exp" in message
    assert set(adlearn.RULES) == rules_before


def test_every_exercise_has_a_nudge_a_method_and_a_worked_answer():
    from adlearn.checks.exercise import EXERCISES

    for key in ("03.1", "03.2", "03.3", "03.4", "03.5"):
        nudge, method, answer = EXERCISES[key].hints
        assert "def " in answer, key
        for text in (nudge, method):  # no code of the answer in the first two
            assert "def " not in text and "Dual(" not in text and "lambda" not in text, key


# --- review 00-03, learner edition: attempts that were accepted --------------------------


def defined(source):
    """Run a learner's cell as the notebook would (its functions belong to __main__)."""
    import cmath

    from adlearn import define_primitive, exp

    namespace = {"__name__": "__main__", "math": math, "cmath": cmath, "exp": exp,
                 "define_primitive": define_primitive}
    exec(source, namespace)
    return namespace["make_softplus"]


COMPLEX_FROM_THE_RULE = """
def make_softplus(name):
    def cplx(z):  # not softplus on complex numbers: the derivative rule dressed up
        v = math.log1p(math.exp(z.real))
        return complex(v, z.imag / (1 + math.exp(-z.real)))
    return define_primitive(name, value=lambda x: math.log1p(math.exp(x)),
                            partials=lambda x, out: (1 / (1 + exp(-x)),),
                            complex_=cplx)
"""

PARTIAL_BY_THE_COMPLEX_STEP = """
def make_softplus(name):
    def part(x, out):
        if isinstance(x, float):
            return (cmath.log(1 + cmath.exp(complex(x, 1e-20))).imag / 1e-20,)
        return (1 / (1 + exp(-x)),)
    return define_primitive(name, value=lambda x: math.log1p(math.exp(x)),
                            partials=part,
                            complex_=lambda z: cmath.log(1 + cmath.exp(z)))
"""


def test_a_complex_version_built_from_the_derivative_rule_is_rejected():
    message = rejected(lesson03.check_softplus, defined(COMPLEX_FROM_THE_RULE))
    assert "softplus((0.3+0.7j))" in message and "independent check" in message


def test_a_partial_computed_by_the_complex_step_is_rejected():
    message = rejected(lesson03.check_softplus, defined(PARTIAL_BY_THE_COMPLEX_STEP))
    assert "cmath" in message and "cannot be what computes it" in message


def test_the_reviewers_worked_softplus_still_passes():
    assert lesson03.check_softplus(defined("""
def make_softplus(name):
    return define_primitive(name, value=lambda x: math.log1p(math.exp(x)),
                            partials=lambda x, out: (1 / (1 + exp(-x)),),
                            complex_=lambda z: cmath.log(1 + cmath.exp(z)))
"""))


def test_a_complex_seed_is_not_called_a_plain_number():
    def rate_along(f, point, direction):
        h = 1e-20
        return f(*[complex(p, h * d) for p, d in zip(point, direction)]).imag / h

    message = rejected(lesson03.check_direction, rate_along)
    assert "plain or complex" in message and "on plain numbers)" not in message


def test_the_counted_f_has_no_original_to_call_past_the_count():
    """The counting wrapper keeps f in a closure: `f.f` (an attribute holding the original,
    as review-shortcuts-2 used in 07.4) is not there, so extra passes are counted."""

    def past_the_counter(f, point):
        uncounted = getattr(f, "f", f)
        uncounted(*point)  # a plain-number run the count would not have seen
        return gradient_by_seeding(f, point)

    assert "that are not dual numbers" in rejected(lesson03.check_seeding, past_the_counter)
