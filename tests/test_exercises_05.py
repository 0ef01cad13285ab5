"""The exercises of lesson 05: the worked solutions pass, wrong answers and shortcuts do not.

Each solution is written here exactly as in the notebook (a test checks that it is)
and run in a namespace with the lesson's imports, as a notebook cell would be.
"""

import math
import textwrap
from pathlib import Path

import nbformat
import pytest

import adlearn
from adlearn import Variable, exp, relu, sqrt
from adlearn.checks import CheckFailed, lesson05

NOTEBOOK = (
    Path(__file__).resolve().parent.parent / "notebooks" / "05-control-flow-and-pitfalls.ipynb"
)

PREDICTION = """
def my_prediction():
    return 3.0   # relu'(0) * 2 - relu'(0) * (-1)
"""

SAFE_NORM = """
def safe_norm(x, y):
    r2 = x * x + y * y
    if r2 == 0:
        return r2   # value 0, and its gradient (2x, 2y) is (0, 0) here
    return sqrt(r2)
"""

EXPM1 = """
def expm1_over_x(x):
    if abs(x) < 1e-2:   # near 0: the series, with no subtraction at all
        tail = 1 / 120 + x * (1 / 720 + x / 5040)
        return 1 + x * (1 / 2 + x * (1 / 6 + x * (1 / 24 + x * tail)))
    return (exp(x) - 1) / x   # far from 0 the cancellation is mild
"""

DATA_GRADIENT = """
def data_gradient(w, points):
    weight = Variable(w, name="w")
    for x, y in points:
        error = (weight * x - y) ** 2
        error.backward()   # adds this point's share into weight.grad
    return weight.grad
"""


def define(source, name):
    namespace = {"Variable": Variable, "exp": exp, "relu": relu, "sqrt": sqrt}
    exec(textwrap.dedent(source), namespace)
    return namespace[name]


def stub(*args):
    raise NotImplementedError("Exercise: replace this line with your solution.")


def solution_blocks(path):
    """The worked solutions of a lesson, without their markers (test_exercises_06 uses it)."""
    notebook = nbformat.read(path, as_version=4)
    cells = [c.source for c in notebook.cells if "solution" in c.metadata.get("tags", [])]
    return [
        c.replace("    ### BEGIN SOLUTION\n", "").replace("\n    ### END SOLUTION", "").strip()
        for c in cells
    ]


def test_the_solutions_here_are_the_notebooks():
    expected = (PREDICTION, SAFE_NORM, EXPM1, DATA_GRADIENT)
    assert solution_blocks(NOTEBOOK) == [s.strip() for s in expected]


def test_the_notebook_checks_each_exercise_once():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    checks = [c.source for c in notebook.cells if "check" in c.metadata.get("tags", [])]
    assert checks == [
        "lesson05.check_kink_prediction(my_prediction)",
        "lesson05.check_safe_norm(safe_norm)",
        "lesson05.check_expm1_over_x(expm1_over_x)",
        "lesson05.check_data_gradient(data_gradient)",
    ]


@pytest.mark.parametrize(
    "check",
    [
        lesson05.check_kink_prediction,
        lesson05.check_safe_norm,
        lesson05.check_expm1_over_x,
        lesson05.check_data_gradient,
    ],
)
def test_a_stub_is_not_done_yet(check):
    result = check(stub)
    assert not result and not result.done and "Not done yet" in repr(result)


# --- 05.1 ------------------------------------------------------------------------------


def test_prediction_right():
    assert "Right: AD gives 3 at 0" in repr(
        lesson05.check_kink_prediction(define(PREDICTION, "my_prediction"))
    )


@pytest.mark.parametrize("wrong", [2.0, 1.0, 1.5])
def test_prediction_of_a_true_slope_is_rejected(wrong):
    with pytest.raises(CheckFailed, match="AD does not look at the function near 0"):
        lesson05.check_kink_prediction(lambda: wrong)


def test_prediction_other_wrong_number_gets_the_nudge():
    with pytest.raises(CheckFailed, match=r"not what AD gives.*one operation at a time"):
        lesson05.check_kink_prediction(lambda: -1.0)
    with pytest.raises(CheckFailed, match="plain number"):
        lesson05.check_kink_prediction(lambda: "3")


def test_prediction_of_pytorchs_answer_is_told_so():  # review 04-06, N3
    with pytest.raises(CheckFailed, match=r"what PyTorch and JAX give.*adlearn's relu'\(0\) is 1"):
        lesson05.check_kink_prediction(lambda: 0.0)


def test_prediction_a_numerical_estimate_is_told_it_is_close_not_exact():  # review 04-06, W1
    with pytest.raises(CheckFailed, match=r"You predicted 3.0000001, close to what AD gives"):
        lesson05.check_kink_prediction(lambda: 3.0000001)
    with pytest.raises(CheckFailed, match=r"You predicted 3.01, but that is not what AD gives"):
        lesson05.check_kink_prediction(lambda: 3.01)


# --- 05.2 ------------------------------------------------------------------------------


def test_safe_norm_right():
    assert lesson05.check_safe_norm(define(SAFE_NORM, "safe_norm"))


def test_safe_norm_plain_sqrt_gives_nan_at_the_origin():
    with pytest.raises(CheckFailed, match=r"derivative in x at \(0, 0\).*nan"):
        lesson05.check_safe_norm(lambda x, y: sqrt(x * x + y * y))


def test_safe_norm_with_an_epsilon_changes_the_value():
    with pytest.raises(CheckFailed, match=r"safe_norm\(.*\) is 1e-15, but it should be"):
        lesson05.check_safe_norm(lambda x, y: sqrt(x * x + y * y + 1e-30))


# --- 05.3 ------------------------------------------------------------------------------


def test_expm1_right():
    assert "derivative to 9 digits" in repr(
        lesson05.check_expm1_over_x(define(EXPM1, "expm1_over_x"))
    )


def test_expm1_repaired_only_at_zero_is_rejected_near_zero():
    repaired = define(
        """
def repaired(x):
    if x == 0:
        return 1 + x / 2 + x * x / 6
    return (exp(x) - 1) / x
""",
        "repaired",
    )
    with pytest.raises(CheckFailed, match=r"\(1e-08\).*test your function near 0"):
        lesson05.check_expm1_over_x(repaired)


def test_expm1_a_wrong_value_at_zero_is_rejected():
    def half(x):
        if x == 0:
            return x / 2
        return (exp(x) - 1) / x

    with pytest.raises(CheckFailed, match=r"expm1_over_x\(0\) is 0.0, but it should be 1.0"):
        lesson05.check_expm1_over_x(half)


def test_expm1_a_threshold_too_small_for_the_accuracy_is_rejected():
    def short(x):
        if abs(x) < 1e-5:
            return 1 + x / 2 + x * x / 6
        return (exp(x) - 1) / x

    with pytest.raises(CheckFailed, match="its derivative at"):
        lesson05.check_expm1_over_x(short)


# --- 05.4 ------------------------------------------------------------------------------


def test_data_gradient_right():
    assert lesson05.check_data_gradient(define(DATA_GRADIENT, "data_gradient"))


def test_data_gradient_with_one_backward_is_rejected():
    def summed(w, points):
        weight = Variable(w)
        total = sum((weight * x - y) ** 2 for x, y in points)
        total.backward()
        return weight.grad

    with pytest.raises(CheckFailed, match="called backward\\(\\) 1 times"):
        lesson05.check_data_gradient(summed)


def test_data_gradient_with_a_fresh_variable_per_point_is_rejected():
    def fresh(w, points):
        for x, y in points:
            weight = Variable(w)
            ((weight * x - y) ** 2).backward()
        return weight.grad

    with pytest.raises(CheckFailed, match="the last point's contribution alone"):
        lesson05.check_data_gradient(fresh)


def test_data_gradient_reset_between_points_is_named():  # review 04-06, N4
    def reset_each_time(w, points):
        weight = Variable(w)
        for x, y in points:  # the reviewer's attempt
            weight.zero_grad()
            ((weight * x - y) ** 2).backward()
        return weight.grad

    with pytest.raises(CheckFailed, match=r"something reset .grad between points"):
        lesson05.check_data_gradient(reset_each_time)


def test_data_gradient_shortcut_is_switched_off():
    def shortcut(w, points):
        loss = lambda v: sum((v * x - y) ** 2 for x, y in points)  # noqa: E731
        return adlearn.gradient(loss, [w])[0]

    with pytest.raises(CheckFailed, match=r"gradient\(\) is switched off"):
        lesson05.check_data_gradient(shortcut)
    assert adlearn.gradient(lambda v: v * v, [3.0]) == (6.0,)  # on again afterwards
    assert Variable.backward is not None and "counted" not in Variable.backward.__name__


def test_data_gradient_closed_form_with_dummy_backwards_is_rejected():
    def dummy(w, points):  # the learner run's shortcut: one empty sweep per point
        for _ in points:
            Variable(0.0).backward()
        return sum(2 * (w * x - y) * x for x, y in points)

    with pytest.raises(CheckFailed, match="one data point's squared error"):
        lesson05.check_data_gradient(dummy)


def test_data_gradient_real_sweeps_but_a_closed_form_returned_is_rejected():
    def sweeps_then_formula(w, points):
        weight = Variable(w)
        for x, y in points:
            ((weight * x - y) ** 2).backward()
        return sum(2 * (w * x - y) * x for x, y in points) * (1 + 1e-15)

    with pytest.raises(CheckFailed, match="not the .grad your backward|not read from that .grad"):
        lesson05.check_data_gradient(sweeps_then_formula)


def test_data_gradient_the_final_learners_closed_form_beside_real_sweeps_is_rejected():
    def data_gradient(w, points):  # as the final learner run wrote it
        W = Variable(w)
        for x, y in points:
            ((W * x - y) ** 2).backward()
        return sum(2 * (w * x - y) * x for x, y in points)

    with pytest.raises(CheckFailed, match=r"(?s)doubled w's .grad right after your first "
                       r"backward\(\).*not read from that .grad.*Where to look: .*"
                       r'run hint\("05.4"\)'):
        lesson05.check_data_gradient(data_gradient)


VARIANTS = {
    "the points in reverse order": """
def data_gradient(w, points):
    weight = Variable(w)
    for x, y in reversed(points):
        (((y - weight * x)) ** 2).backward()
    return weight.grad
""",
    "a squared error written as a product": """
def data_gradient(w, points):
    weight = Variable(w)
    for x, y in points:
        error = weight * x - y
        (error * error).backward()
    return float(weight.grad)
""",
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_data_gradient_correct_variants_pass(name):
    assert lesson05.check_data_gradient(define(VARIANTS[name], "data_gradient"))


def test_data_gradient_sweeping_something_else_is_rejected():
    def other_sweeps(w, points):
        weight = Variable(w)
        for x, _ in points:
            (weight * x).backward()
        return sum(2 * (w * x - y) * x for x, y in points)

    with pytest.raises(CheckFailed, match="one data point's squared error"):
        lesson05.check_data_gradient(other_sweeps)


@pytest.mark.parametrize(
    "check",
    [
        lesson05.check_kink_prediction,
        lesson05.check_safe_norm,
        lesson05.check_expm1_over_x,
        lesson05.check_data_gradient,
    ],
)
def test_three_hints_and_the_first_two_hold_no_code(check):
    hints = check.exercise.hints
    assert len(hints) == 3
    for text in hints[:2]:
        assert "\n" not in text and " = " not in text and "**" not in text  # no code
        assert "lambda" not in text and "def " not in text.replace("undef", "")


# --- 05.3: a library's expm1 is switched off, inside a rule of one's own too -----------

EXPM1_BY_A_PRIMITIVE = """
import math
from adlearn import define_primitive, remove_primitive
def _b(x):
    while hasattr(x,'value'): x=x.value
    return x
def _p(x, out):
    if abs(_b(x))>1e-3: return ((x*exp(x)-(exp(x)-1))/(x*x),)
    return (0.5 + x/3 + x*x/8 + x**3/30 + x**4/144 + x**5/840,)
_prim = define_primitive('e1x', value=lambda x: math.expm1(x)/x if x!=0 else 1.0,
                         partials=_p, check=False)
def expm1_over_x(x): return _prim(x)
"""  # the final learner run's shortcut, as typed (one line wrapped)


@pytest.mark.parametrize(
    "source, name",
    [
        (EXPM1_BY_A_PRIMITIVE, "math.expm1"),
        (EXPM1_BY_A_PRIMITIVE.replace("import math\n", "import math\nfrom math import expm1\n")
         .replace("math.expm1(x)", "expm1(x)"), "math.expm1"),
        (EXPM1_BY_A_PRIMITIVE.replace("import math\n", "import math\nimport numpy as np\n")
         .replace("math.expm1(x)/x", "float(np.expm1(x))/x"), "numpy.expm1"),
    ],
)
def test_expm1_a_librarys_expm1_inside_a_rule_of_ones_own_is_refused(source, name):
    namespace = {"exp": exp}
    exec(textwrap.dedent(source), namespace)
    try:
        with pytest.raises(CheckFailed, match=rf"(?s)your code called {name} while exercise "
                           r"05.3 was checked.*Where to look: .*run hint\(\"05.3\"\)"):
            lesson05.check_expm1_over_x(namespace["expm1_over_x"])
        import math

        assert math.expm1(1e-10) == pytest.approx(1e-10)  # on again afterwards
    finally:
        adlearn.remove_primitive("e1x")


def test_expm1_a_rule_of_ones_own_without_a_librarys_expm1_passes():
    """define_primitive is a fair way (the lesson says so): value and partial both stable."""
    source = EXPM1_BY_A_PRIMITIVE.replace(
        "value=lambda x: math.expm1(x)/x if x!=0 else 1.0",
        "value=lambda x: (math.exp(x) - 1) / x if abs(x) > 1e-3 else "
        "1 + x/2 + x*x/6 + x**3/24 + x**4/120 + x**5/720",
    )
    namespace = {"exp": exp}
    exec(textwrap.dedent(source), namespace)
    try:
        assert lesson05.check_expm1_over_x(namespace["expm1_over_x"])
    finally:
        adlearn.remove_primitive("e1x")


@pytest.mark.parametrize("how", ["the function itself", "in a closure"])
def test_expm1_held_by_a_rule_of_ones_own_is_refused(how):
    # the prose review's route: define_primitive(value=math.expm1) keeps the function
    # object itself (no name to switch off), and the operators call it
    import adlearn
    from adlearn.checks import lesson05

    value = math.expm1 if how == "the function itself" else (lambda f: lambda x: f(x))(
        math.expm1)
    row = adlearn.define_primitive("my_expm1", value=value,
                                   partials=lambda x, out: (adlearn.exp(x),), check=False)
    try:
        def expm1_over_x(x):
            return row(x) / x if x != 0 else 1.0

        with pytest.raises(CheckFailed, match="math.expm1"):
            lesson05.check_expm1_over_x(expm1_over_x)
    finally:
        adlearn.remove_primitive("my_expm1")
