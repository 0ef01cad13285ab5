"""In class (no grading), a switched-off function refuses however the learner's code got it.

Each shortcut below would answer its exercise (the control test runs it outside the
check and compares it with the worked solution). Handed to the real lesson check through
a default argument, a closure, a submodule, an alias, or as the answer itself, it must
be refused with the check's friendly "... is switched off" message; the worked solution
must still pass, and the library must work again once the check is over.
"""

import math
import time

import pytest

import adlearn
import adlearn.checks.references
import adlearn.complex_number
import adlearn.derivatives
import adlearn.dual
import adlearn.higher
from adlearn import Dual, new_tag
from adlearn.checks import (
    CheckFailed,
    lesson00,
    lesson01,
    lesson02,
    lesson03,
    lesson04,
    lesson07,
    lesson08,
)
from adlearn.checks.exercise import grading

pytestmark = pytest.mark.skipif(grading(), reason="this is the class mode, without grading")


# --- the worked solutions (written here, as a learner would) ---------------------------


def my_central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def gradient_by_seeding(f, point):
    partials = []
    for j in range(len(point)):
        seeded = [Dual(v, 1.0 if i == j else 0.0) for i, v in enumerate(point)]
        partials.append(f(*seeded).derivative)
    return partials


def grad_p_by_hand(x1, x2):
    t1, t2 = x1 + x2, x1 * x2
    t3 = math.exp(t2)
    t1_bar, t3_bar = t3, t1  # t4 = t1 * t3, and t4_bar = 1
    t2_bar = t3_bar * t3
    return (t1_bar + t2_bar * x2, t1_bar + t2_bar * x1, t1_bar, t2_bar, t3_bar)


def my_derivative(f, x):
    tag = new_tag()
    out = f(Dual(x, 1.0, tag=tag))
    return out.derivative if isinstance(out, Dual) and out.tag == tag else 0.0


def my_second_derivative(f, x):
    return my_derivative(lambda t: my_derivative(f, t), x)


def checkpoint_counts(n_steps, every):
    segments = -(-n_steps // every)
    return (segments, n_steps - (n_steps - (segments - 1) * every))


# --- the exercises and the one-line shortcut of each ------------------------------------
# key: (check, worked answer, the answer's parameters, the module and name of the switched-
# off function, the shortcut's expression with {S} where that function goes, a point)

EXERCISES = {
    "00.1": (lesson00.check_central_difference, my_central_difference, "f, x, h",
             "adlearn.checks.references", "central_difference", "{S}(f, x, h)",
             (math.sin, 0.7, 1e-5)),
    "03.2": (lesson03.check_seeding, gradient_by_seeding, "f, point",
             "adlearn.derivatives", "jacobian_forward", "{S}(f, point)[0]",
             (lambda x, y: x * adlearn.sin(y), [0.4, 1.3])),
    "04.2": (lesson04.check_grad_p_by_hand, grad_p_by_hand, "x1, x2",
             "adlearn.derivatives", "gradient",
             "(*{S}(lambda a, b: (a + b) * adlearn.exp(a * b), [x1, x2]), math.exp(x1 * x2),"
             " (x1 + x2) * math.exp(x1 * x2), x1 + x2)",
             (0.3, -0.8)),
    "07.2": (lambda first: lesson07.check_nested_derivative(first, my_second_derivative),
             my_derivative, "f, x", "adlearn.derivatives", "derivative", "{S}(f, x)",
             (adlearn.exp, 0.9)),
    "08.1": (lesson08.check_checkpoint_counts, checkpoint_counts, "n_steps, every",
             "adlearn.higher", "checkpointed_gradient",
             "(lambda r: (r.checkpoints, r.recomputed_steps))"
             "({S}(adlearn.sin, 0.3, n_steps, every))",
             (37, 5)),
}

ROUTES = {  # how a notebook cell may hold on to the switched-off function
    "default argument": "def answer({params}, _S={module}.{name}):\n    return {use_S}",
    "closure": "def make():\n    S = {module}.{name}\n    def answer({params}):\n"
               "        return {use_S}\n    return answer\nanswer = make()",
    "submodule": "def answer({params}):\n    return {use_module}",
    "alias": "shortcut = {module}.{name}\ndef answer({params}):\n    return {use_alias}",
    "alias handed in": "answer = {module}.{name}",
}


def cell(route, key):
    """The notebook cell that defines `answer` by this route, run as the notebook would."""
    _, _, params, module, name, expression, _ = EXERCISES[key]
    if route == "alias handed in" and key not in ("00.1", "07.2"):
        pytest.skip("the library function does not have the answer's signature")
    source = "import math\nimport adlearn\nimport " + module + "\n" + ROUTES[route].format(
        params=params, module=module, name=name,
        use_S=expression.format(S="_S" if route == "default argument" else "S"),
        use_module=expression.format(S=f"{module}.{name}"),
        use_alias=expression.format(S="shortcut"),
    )
    namespace = {"__name__": "notebook"}
    exec(compile(source, "<notebook cell>", "exec"), namespace)  # noqa: S102
    return namespace["answer"]


def library_works(key):
    """The switched-off function, called by the learner's code after the check."""
    _, worked, _, module, name, _, point = EXERCISES[key]
    function = getattr(__import__(module, fromlist=[name]), name)
    if key == "00.1":
        assert function(*point) == pytest.approx(math.cos(0.7), rel=1e-8)
    elif key == "07.2":
        assert function(*point) == pytest.approx(math.exp(0.9), rel=1e-12)
    assert function.__code__.co_filename.endswith(".py")  # its own code is back


@pytest.mark.parametrize("key", EXERCISES)
@pytest.mark.parametrize("route", ROUTES)
def test_the_shortcut_is_a_real_answer_outside_the_check(key, route):
    _, worked, *_, point = EXERCISES[key]
    shortcut = cell(route, key)
    got, expected = shortcut(*point), worked(*point)
    if isinstance(expected, (tuple, list)):
        assert list(got) == pytest.approx(list(expected), rel=1e-6)
    else:
        assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("key", EXERCISES)
@pytest.mark.parametrize("route", ROUTES)
def test_every_route_to_a_switched_off_function_is_refused(key, route):
    check, worked, _, _, name, _, _ = EXERCISES[key]
    shortcut = cell(route, key)
    with pytest.raises(CheckFailed, match=rf"{name}\(\) is switched off while it is checked"):
        check(shortcut)
    library_works(key)
    assert check(worked).passed  # the checks' own references still reach the function


@pytest.mark.parametrize("key", EXERCISES)
def test_the_worked_solution_passes_and_the_library_works_afterwards(key):
    check, worked, *_ = EXERCISES[key]
    assert check(worked).passed
    library_works(key)


def test_a_partial_or_a_wrapper_of_the_function_is_refused_too():
    import functools

    central = adlearn.checks.references.central_difference
    for wrapped in (functools.partial(central), functools.lru_cache()(central),
                    staticmethod(central).__func__):
        with pytest.raises(CheckFailed, match=r"central_difference\(\) is switched off"):
            lesson00.check_central_difference(wrapped)


def test_a_class_reached_through_its_submodule_is_refused():
    def by_paths(x, _D=adlearn.dual.Dual):  # the Dual class, as a default argument
        t = _D(x, 1.0)
        return [(adlearn.exp(t) * (t + adlearn.sin(t))).derivative]

    with pytest.raises(CheckFailed, match=r"Dual\(\) is switched off"):
        lesson03.check_paths(by_paths)

    class MyDual(adlearn.dual.Dual):  # adlearn's Dual under another name
        pass

    with pytest.raises(CheckFailed, match=r"Dual\(\) is switched off"):
        lesson02.check_arithmetic(MyDual)

    class MyComplex(adlearn.complex_number.Complex):
        pass

    with pytest.raises(CheckFailed, match=r"Complex\(\) is switched off"):
        lesson01.check_division(MyComplex)
    assert adlearn.dual.Dual(2.0, 1.0).derivative == 1.0  # made again afterwards
    assert adlearn.complex_number.Complex(1.0, 2.0).imag == 2.0


def test_everything_is_put_back_when_the_learners_code_stops_the_check():
    def interrupted(f, x, h):
        raise KeyboardInterrupt

    central = adlearn.checks.references.central_difference
    code = central.__code__
    with pytest.raises(KeyboardInterrupt):
        lesson00.check_central_difference(interrupted)
    assert central.__code__ is code and central.__defaults__ == (1e-6,)
    assert not [n for n in vars(adlearn.checks.references) if n.startswith("_adlearn_gate")]


def test_switching_off_in_class_stays_fast():
    """The gates cost microseconds per check, not a process: a check with many forbidden
    functions (07.2, eight of them) stays within a second of its former time."""
    start = time.perf_counter()
    for _ in range(5):
        assert lesson07.check_nested_derivative(my_derivative, my_second_derivative).passed
    assert (time.perf_counter() - start) / 5 < 1.0


def test_an_object_that_calls_the_function_is_refused():
    class Caller:
        __call__ = staticmethod(adlearn.checks.references.central_difference)

    with pytest.raises(CheckFailed, match=r"central_difference\(\) is switched off"):
        lesson00.check_central_difference(Caller())
    with pytest.raises(CheckFailed, match=r"derivative\(\) is switched off"):
        lesson07.check_nested_derivative(adlearn.derivatives.derivative.__call__,
                                         my_second_derivative)
