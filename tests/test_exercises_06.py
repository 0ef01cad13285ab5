"""The exercises of lesson 06: the worked solutions pass, wrong answers and shortcuts do not.

Each solution is written here exactly as in the notebook (a test checks that it is)
and run in a namespace holding what the lesson defined before its exercises: a small
network and its loss, built here the same way.
"""

import math
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
from test_exercises_05 import solution_blocks  # the same reading of a lesson's solutions

import adlearn
from adlearn import Variable, derivative, exp, log, relu, tanh
from adlearn.checks import CheckFailed, lesson06, numerical_gradient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "06-inverse-problems.ipynb"

FACTOR = """
def my_factor():
    return 1 - 0.0012 * 1352
"""

RATE = """
def largest_stable_rate(loss, x_star):
    curvature = derivative(lambda x: derivative(loss, x), x_star)
    return 2 / curvature
"""

HAND_GRADIENT = """
def hand_gradient(params):
    h = (len(params) - 1) // 4
    grads = [0.0] * len(params)
    n = len(train_points)
    for (x1, x2), y in zip(train_points, train_labels):
        hidden = [math.tanh(params[2 * j] * x1 + params[2 * j + 1] * x2 + params[2 * h + j])
                  for j in range(h)]
        z = params[4 * h] + sum(params[3 * h + j] * hidden[j] for j in range(h))
        if z >= 0:   # sigmoid(z), in the form that cannot overflow
            s = 1 / (1 + math.exp(-z))
        else:
            s = math.exp(z) / (1 + math.exp(z))
        g = (s - y) / n   # d mean_loss / dz for this point
        grads[4 * h] += g
        for j in range(h):
            grads[3 * h + j] += g * hidden[j]
            a = g * params[3 * h + j] * (1 - hidden[j] ** 2)   # back through tanh
            grads[2 * j] += a * x1
            grads[2 * j + 1] += a * x2
            grads[2 * h + j] += a
    return grads
"""

TRAIN_STEP = """
def train_step(weights, lr):
    L = mean_loss(weights)
    L.backward()
    for w in weights:
        w.value -= lr * w.grad   # in place: the caller's Variables move
    L.zero_grad()                # or the next step adds this gradient again
    return L.value
"""

RATE_MANY = """
def largest_stable_rate_many(loss, point):
    n = len(point)

    def moved(i, s):  # the point with parameter i replaced by s
        return [s if k == i else v for k, v in enumerate(point)]

    # entry (i, j): forward mode along parameter i, of entry j of the reverse-mode gradient
    H = [[derivative(lambda s: gradient(loss, moved(i, s))[j], point[i])
          for j in range(n)] for i in range(n)]
    return 2 / max(np.linalg.eigvalsh(np.array(H, dtype=float)))
"""

# A network like the lesson's (2 hidden units here, so the tests stay fast).
rng = random.Random(11)
train_points = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(12)]
train_labels = [1 if math.hypot(*q) < 1.2 else 0 for q in train_points]
SIZE = 2 * 4 + 1


def logit(params, x1, x2):
    h = (len(params) - 1) // 4
    z = params[4 * h]
    for j in range(h):
        z = z + params[3 * h + j] * tanh(
            params[2 * j] * x1 + params[2 * j + 1] * x2 + params[2 * h + j]
        )
    return z


def mean_loss(params):
    total = 0.0
    for (x1, x2), y in zip(train_points, train_labels):
        z = logit(params, x1, x2)
        total = total + relu(z) + log(1 + exp(-abs(z))) - y * z
    return total / len(train_points)


def define(source, name):
    namespace = {
        "math": math,
        "Variable": Variable,
        "derivative": derivative,
        "gradient": adlearn.gradient,
        "np": np,
        "mean_loss": mean_loss,
        "train_points": train_points,
        "train_labels": train_labels,
    }
    exec(textwrap.dedent(source), namespace)
    return namespace[name]


def stub(*args):
    raise NotImplementedError("Exercise: replace this line with your solution.")


def test_the_solutions_here_are_the_notebooks():
    expected = (FACTOR, RATE, HAND_GRADIENT, TRAIN_STEP, RATE_MANY)
    assert solution_blocks(NOTEBOOK) == [s.strip() for s in expected]


def test_the_notebook_checks_each_exercise_once():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    checks = [c.source for c in notebook.cells if "check" in c.metadata.get("tags", [])]
    assert checks == [
        "lesson06.check_factor(my_factor)",
        "lesson06.check_largest_stable_rate(largest_stable_rate)",
        "lesson06.check_hand_gradient(hand_gradient, mean_loss, len(start))",
        "lesson06.check_train_step(train_step, mean_loss, len(start))",
        "lesson06.check_largest_stable_rate_many(largest_stable_rate_many)",
    ]


@pytest.mark.parametrize(
    "run",
    [
        lambda f: lesson06.check_factor(f),
        lambda f: lesson06.check_largest_stable_rate(f),
        lambda f: lesson06.check_hand_gradient(f, mean_loss, SIZE),
        lambda f: lesson06.check_train_step(f, mean_loss, SIZE),
        lambda f: lesson06.check_largest_stable_rate_many(f),
    ],
)
def test_a_stub_is_not_done_yet(run):
    result = run(stub)
    assert not result and not result.done and "Not done yet" in repr(result)


# --- 06.1 ------------------------------------------------------------------------------


def test_factor_right():
    assert "-0.6224 per step" in repr(lesson06.check_factor(define(FACTOR, "my_factor")))


def test_factor_with_the_wrong_sign_is_rejected():
    with pytest.raises(CheckFailed, match="wrong sign"):
        lesson06.check_factor(lambda: 0.0012 * 1352 - 1)


def test_factor_other_wrong_numbers_are_rejected():
    for wrong in (1 - 0.001 * 1352, 0.123456789):
        with pytest.raises(CheckFailed, match="a run of gradient descent disagrees"):
            lesson06.check_factor(lambda wrong=wrong: wrong)


def test_factor_the_two_typical_slips_are_named():  # review 04-06, N5
    with pytest.raises(CheckFailed, match=r"0.1888, which uses half of L''\(4\)"):
        lesson06.check_factor(lambda: 1 - 0.0012 * 676)  # L'' taken as p'(4)**2
    with pytest.raises(CheckFailed, match=r"1.622, which is the learning rate times L''\(4\)"):
        lesson06.check_factor(lambda: 0.0012 * 1352)


# --- 06.2 ------------------------------------------------------------------------------


def test_rate_right():
    assert lesson06.check_largest_stable_rate(define(RATE, "largest_stable_rate"))


def test_rate_returning_the_curvature_is_rejected():
    def curvature(loss, x_star):
        return derivative(lambda x: derivative(loss, x), x_star)

    with pytest.raises(CheckFailed, match="but it should be"):
        lesson06.check_largest_stable_rate(curvature)


def test_rate_the_cube_root_formula_does_not_fit_other_losses():
    def cube_root_formula(loss, x_star):
        return 1 / (9 * x_star**4)  # right for (x**3 - a)**2 only

    with pytest.raises(CheckFailed, match=r"\(exp\(x\) - c\)\*\*2"):
        lesson06.check_largest_stable_rate(cube_root_formula)


def test_rate_the_library_shortcut_is_switched_off():
    def shortcut(loss, x_star):
        return 2 / adlearn.second_derivative(loss, x_star)

    with pytest.raises(CheckFailed, match=r"second_derivative\(\) is switched off"):
        lesson06.check_largest_stable_rate(shortcut)


def test_rate_a_dual_leaking_out_is_rejected():
    def leaky(loss, x_star):
        return 2 / derivative(lambda x: derivative(loss, x) + 0 * x, x_star) + 0 * adlearn.Dual(
            0.0, 1.0
        )

    with pytest.raises(CheckFailed, match="plain number"):
        lesson06.check_largest_stable_rate(leaky)


# --- 06.3 ------------------------------------------------------------------------------


def test_hand_gradient_right():
    assert "backward sweep by hand" in repr(
        lesson06.check_hand_gradient(define(HAND_GRADIENT, "hand_gradient"), mean_loss, SIZE)
    )


def test_hand_gradient_forgetting_the_tanh_slope_is_rejected():
    source = HAND_GRADIENT.replace(" * (1 - hidden[j] ** 2)", "")
    with pytest.raises(CheckFailed, match="the partial derivative 0 is"):
        lesson06.check_hand_gradient(define(source, "hand_gradient"), mean_loss, SIZE)


def test_hand_gradient_forgetting_the_mean_is_rejected():
    source = HAND_GRADIENT.replace("(s - y) / n", "(s - y)")
    with pytest.raises(CheckFailed, match="but it should be"):
        lesson06.check_hand_gradient(define(source, "hand_gradient"), mean_loss, SIZE)


def test_hand_gradient_shortcuts_are_switched_off(monkeypatch):
    def by_backward(params):
        weights = [Variable(v) for v in params]
        mean_loss(weights).backward()
        return [w.grad for w in weights]

    with pytest.raises(CheckFailed, match=r"backward\(\) is switched off"):
        lesson06.check_hand_gradient(by_backward, mean_loss, SIZE)

    def by_gradient(params):
        return adlearn.gradient(lambda *q: mean_loss(list(q)), params)

    with pytest.raises(CheckFailed, match=r"gradient\(\) is switched off"):
        lesson06.check_hand_gradient(by_gradient, mean_loss, SIZE)

    # as in the notebook, where numerical_gradient was imported into __main__
    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "numerical_gradient", numerical_gradient, raising=False)

    def by_differences(params):
        return main.numerical_gradient(lambda *q: mean_loss(list(q)), params)

    with pytest.raises(CheckFailed, match=r"numerical_gradient\(\) is switched off"):
        lesson06.check_hand_gradient(by_differences, mean_loss, SIZE)
    # everything works again afterwards
    weights = [Variable(0.1 * i) for i in range(SIZE)]
    mean_loss(weights).backward()
    assert numerical_gradient(lambda *q: mean_loss(list(q)), [0.1 * i for i in range(SIZE)])


# --- 06.4 ------------------------------------------------------------------------------


def test_train_step_right():
    assert lesson06.check_train_step(define(TRAIN_STEP, "train_step"), mean_loss, SIZE)


def test_train_step_the_planted_bugs_are_caught():
    buggy = define(
        """
def train_step(weights, lr):
    L = mean_loss(weights)
    L.backward()
    weights = [Variable(w.value - lr * w.grad) for w in weights]
    return L.value
""",
        "train_step",
    )
    with pytest.raises(CheckFailed, match="step 1 moved weight 0 by 0;"):
        lesson06.check_train_step(buggy, mean_loss, SIZE)


def test_train_step_without_the_reset_fails_at_the_second_step():
    source = TRAIN_STEP.replace(
        "    L.zero_grad()                # or the next step adds this gradient again\n", ""
    )
    assert "zero_grad" not in source
    with pytest.raises(CheckFailed, match="step 2 moved weight"):
        lesson06.check_train_step(define(source, "train_step"), mean_loss, SIZE)


def test_train_step_the_gradient_shortcut_is_switched_off():
    def shortcut(weights, lr):
        values = [w.value for w in weights]
        slopes = adlearn.gradient(lambda *q: mean_loss(list(q)), values)
        for w, s in zip(weights, slopes):
            w.value -= lr * s
        return mean_loss(values)

    with pytest.raises(CheckFailed, match=r"gradient\(\) is switched off"):
        lesson06.check_train_step(shortcut, mean_loss, SIZE)


def test_hand_gradient_forward_mode_is_switched_off():
    # the learner run's shortcut: 25 forward passes with derivative(), one per parameter
    def by_forward_mode(params):
        partials = []
        for i in range(len(params)):

            def along(t, i=i):
                return mean_loss(params[:i] + [t] + params[i + 1 :])

            partials.append(adlearn.derivative(along, params[i]))
        return partials

    with pytest.raises(CheckFailed, match=r"derivative\(\) is switched off"):
        lesson06.check_hand_gradient(by_forward_mode, mean_loss, SIZE)

    def by_dual_seeding(params):
        partials = []
        for i in range(len(params)):
            seeded = list(params)
            seeded[i] = adlearn.Dual(params[i], 1.0)
            partials.append(mean_loss(seeded).tangent)
        return partials

    with pytest.raises(CheckFailed, match=r"switched off"):
        lesson06.check_hand_gradient(by_dual_seeding, mean_loss, SIZE)
    assert adlearn.derivative(lambda x: x * x, 3.0) == 6.0  # on again afterwards


def test_hand_gradient_dual_from_its_submodule_is_switched_off():  # review 04-06, M1
    # the reviewer's attempt: forbid= switches off names, so this reached the class
    def by_submodule_dual(params):
        import adlearn.dual as _d

        out = []
        for i in range(len(params)):
            q = [_d.Dual(p, 1.0 if k == i else 0.0) for k, p in enumerate(params)]
            out.append(mean_loss(q).derivative)
        return out

    with pytest.raises(
        CheckFailed, match=r"Dual, however imported, is switched off while it is checked"
    ):
        lesson06.check_hand_gradient(by_submodule_dual, mean_loss, SIZE)

    def by_adlearn_complex(params):
        from adlearn.complex_number import Complex

        return [Complex(p, 1e-30) for p in params]

    with pytest.raises(CheckFailed, match=r"Complex, however imported, is switched off"):
        lesson06.check_hand_gradient(by_adlearn_complex, mean_loss, SIZE)
    # the classes work again afterwards
    assert adlearn.Dual(2.0, 1.0) * adlearn.Dual(2.0, 1.0) == 4.0
    assert (adlearn.Dual(2.0, 1.0) ** 2).derivative == 4.0


def test_hand_gradient_a_complex_step_of_its_own_is_switched_off():  # review 04-06, M1
    # the reviewer's attempt: the network rewritten with cmath, one complex step per parameter
    def by_complex_step(params):
        import cmath

        def loss(q):
            total = 0
            for (x1, x2), y in zip(train_points, train_labels):
                h = (len(q) - 1) // 4
                z = q[4 * h]
                for j in range(h):
                    a = q[2 * j] * x1 + q[2 * j + 1] * x2 + q[2 * h + j]
                    z = z + q[3 * h + j] * cmath.tanh(a)
                total += cmath.log(1 + cmath.exp(z)) - y * z
            return total / len(train_points)

        out = []
        for i in range(len(params)):
            q = list(params)
            q[i] = q[i] + 1e-30j
            out.append(loss(q).imag / 1e-30)
        return out

    with pytest.raises(CheckFailed, match=r"complex arithmetic on the parameters is switched off"):
        lesson06.check_hand_gradient(by_complex_step, mean_loss, SIZE)

    def by_complex_of_a_parameter(params):
        return [complex(p, 1e-30).imag for p in params]

    with pytest.raises(CheckFailed, match=r"complex arithmetic on the parameters is switched off"):
        lesson06.check_hand_gradient(by_complex_of_a_parameter, mean_loss, SIZE)


def test_train_step_finite_differences_without_a_sweep_are_rejected():
    def by_differences(weights, lr):
        values = [w.value for w in weights]
        slopes = numerical_gradient(lambda *q: mean_loss(list(q)), values)
        for w, s in zip(weights, slopes):
            w.value -= lr * s
        return float(mean_loss(values))

    with pytest.raises(CheckFailed, match=r"called backward\(\) 0 times"):
        lesson06.check_train_step(by_differences, mean_loss, SIZE)


def test_train_step_a_dummy_sweep_beside_finite_differences_is_rejected():
    def dummy_sweep(weights, lr):
        values = [w.value for w in weights]
        slopes = numerical_gradient(lambda *q: mean_loss(list(q)), values)
        Variable(0.0).backward()
        for w, s in zip(weights, slopes):
            w.value -= lr * s
        return float(mean_loss(values))

    with pytest.raises(CheckFailed, match="the .grad your backward"):
        lesson06.check_train_step(dummy_sweep, mean_loss, SIZE)


@pytest.mark.parametrize(
    "check",
    [
        lesson06.check_factor,
        lesson06.check_largest_stable_rate,
        lesson06.check_hand_gradient,
        lesson06.check_train_step,
        lesson06.check_largest_stable_rate_many,
    ],
)
def test_three_hints_and_the_first_two_hold_no_code(check):
    hints = check.exercise.hints
    assert len(hints) == 3
    for text in hints[:2]:
        assert "\n" not in text and "**" not in text and "def " not in text  # no code
        assert "lambda" not in text and "1352" not in text and "derivative(" not in text


# --- 06.5 ------------------------------------------------------------------------------


def test_rate_many_right():
    assert "2 / λ_max(H)" in repr(
        lesson06.check_largest_stable_rate_many(define(RATE_MANY, "largest_stable_rate_many"))
    )


def test_rate_many_the_largest_diagonal_entry_is_rejected():
    source = RATE_MANY.replace(
        "max(np.linalg.eigvalsh(np.array(H, dtype=float)))", "max(H[i][i] for i in range(n))"
    )
    with pytest.raises(CheckFailed, match="but it should be"):
        lesson06.check_largest_stable_rate_many(define(source, "largest_stable_rate_many"))


def test_rate_many_the_smallest_eigenvalue_is_rejected():
    source = RATE_MANY.replace("2 / max(", "2 / min(")
    with pytest.raises(CheckFailed, match="but it should be"):
        lesson06.check_largest_stable_rate_many(define(source, "largest_stable_rate_many"))


def test_rate_many_the_library_hessian_is_switched_off():
    def shortcut(loss, point):
        return 2 / max(np.linalg.eigvalsh(np.array(adlearn.hessian(loss, point), dtype=float)))

    with pytest.raises(CheckFailed, match=r"hessian\(\) is switched off"):
        lesson06.check_largest_stable_rate_many(shortcut)


# --- 06.3: a framework's autodiff does not count as by hand ----------------------------

JAX_HAND_GRADIENT = """
import jax, jax.numpy as jnp; jax.config.update("jax_enable_x64", True)
def _jloss(p):
    h=HIDDEN; tot=0.0
    for (x1,x2),y in zip(train_points,train_labels):
        z=p[4*h]
        for j in range(h): z = z + p[3*h+j]*jnp.tanh(p[2*j]*x1+p[2*j+1]*x2+p[2*h+j])
        tot = tot + jnp.logaddexp(0.0, z) - y*z
    return tot/len(train_points)
def hand_gradient(params):
    return [float(g) for g in jax.grad(_jloss)(jnp.asarray(params, dtype=jnp.float64))]
"""  # the final learner run's shortcut, as typed

TORCH_HAND_GRADIENT = """
import torch
def hand_gradient(params):
    p = torch.tensor([float(v) for v in params], dtype=torch.float64, requires_grad=True)
    h, total = HIDDEN, 0.0
    for (x1, x2), y in zip(train_points, train_labels):
        z = p[4 * h] + sum(p[3 * h + j] * torch.tanh(p[2 * j] * x1 + p[2 * j + 1] * x2
                                                      + p[2 * h + j]) for j in range(h))
        total = total + torch.nn.functional.softplus(z) - y * z
    (total / len(train_points)).backward()
    return p.grad.tolist()
"""


def framework_define(source):
    namespace = {"math": math, "train_points": train_points, "train_labels": train_labels,
                 "HIDDEN": (SIZE - 1) // 4}
    exec(textwrap.dedent(source), namespace)
    return namespace["hand_gradient"]


@pytest.mark.parametrize(
    "library, source, said",
    [
        ("jax", JAX_HAND_GRADIENT, "JAX's automatic differentiation"),
        ("torch", TORCH_HAND_GRADIENT, "PyTorch's automatic differentiation"),
        ("jax", JAX_HAND_GRADIENT.replace("jax.grad(_jloss)", "jax.jit(jax.grad(_jloss))"),
         "JAX's automatic differentiation"),
        ("torch", TORCH_HAND_GRADIENT.replace(
            "    (total / len(train_points)).backward()\n    return p.grad.tolist()",
            "    return [float(g) for g in torch.autograd.grad(total / len(train_points), p)[0]]"),
         "PyTorch's automatic differentiation"),
    ],
)
def test_hand_gradient_a_frameworks_autodiff_is_switched_off(library, source, said):
    pytest.importorskip(library)
    shortcut = framework_define(source)
    params = [0.3 * math.sin(i + 1) for i in range(SIZE)]
    by_hand = define(HAND_GRADIENT, "hand_gradient")(params)
    assert np.allclose(shortcut(params), by_hand, rtol=1e-12)  # a real answer outside
    with pytest.raises(CheckFailed, match=rf"(?s){said} .*is switched off while it is "
                       r"checked.*Where to look: .*run hint\("):
        lesson06.check_hand_gradient(shortcut, mean_loss, SIZE)
    assert np.allclose(shortcut(params), by_hand, rtol=1e-12)  # and on again afterwards


def test_hand_gradient_a_gradient_compiled_before_the_check_is_refused_too():
    pytest.importorskip("jax")
    namespace = {"math": math, "train_points": train_points, "train_labels": train_labels,
                 "HIDDEN": (SIZE - 1) // 4}
    exec(textwrap.dedent(JAX_HAND_GRADIENT.replace(
        "def hand_gradient(params):\n    return [float(g) for g in jax.grad(_jloss)(",
        "_compiled = jax.jit(jax.grad(_jloss))\n"
        "def hand_gradient(params):\n    return [float(g) for g in _compiled(")), namespace)
    namespace["hand_gradient"]([0.1] * SIZE)  # compiled and cached for this shape
    with pytest.raises(CheckFailed, match="JAX's automatic differentiation"):
        lesson06.check_hand_gradient(namespace["hand_gradient"], mean_loss, SIZE)


INSIDE = """
import math, sys
from adlearn.checks import lesson06
from adlearn import exp, log, relu, tanh
import random
rng = random.Random(6)
train_points = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(12)]
train_labels = [1 if math.hypot(*q) < 1.2 else 0 for q in train_points]
HIDDEN = 2
def mean_loss(params):
    h, total = HIDDEN, 0.0
    for (x1, x2), y in zip(train_points, train_labels):
        z = params[4 * h]
        for j in range(h):
            z = z + params[3 * h + j] * tanh(params[2 * j] * x1 + params[2 * j + 1] * x2
                                             + params[2 * h + j])
        total = total + relu(z) + log(1 + exp(-abs(z))) - y * z
    return total / len(train_points)
SOURCE
assert "torch" not in sys.modules and "jax" not in sys.modules  # the check imported neither
result = lesson06.check_hand_gradient(hand_gradient, mean_loss, 9)
"""


def test_hand_gradient_a_framework_imported_inside_the_answer_is_refused():
    """The check imports no library; its second set of weights finds the learner's import."""
    pytest.importorskip("torch")
    source = TORCH_HAND_GRADIENT.replace("import torch\n", "").replace(
        "def hand_gradient(params):\n", "def hand_gradient(params):\n    import torch\n")
    script = INSIDE.replace("SOURCE", textwrap.dedent(source))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert "PyTorch's automatic differentiation" in done.stderr, done.stderr[-2000:]
    assert "CheckFailed" in done.stderr


def test_hand_gradient_passes_with_both_frameworks_imported():
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    import jax  # noqa: F401
    import torch  # noqa: F401

    assert lesson06.check_hand_gradient(define(HAND_GRADIENT, "hand_gradient"), mean_loss, SIZE)


def test_hand_gradient_a_frameworks_autodiff_is_refused_when_graded_too():
    """Graded in a fresh process (adlearn.checks.isolated), where no function's code may
    be changed: the switch works on module attributes, so it works there as well."""
    pytest.importorskip("jax")
    from adlearn.checks.isolated import grade_cells

    setup = INSIDE.split("SOURCE")[0]
    check = ("check", "lesson06.check_hand_gradient(hand_gradient, mean_loss, 9)")
    graded = grade_cells([("code", setup), ("code", textwrap.dedent(JAX_HAND_GRADIENT)), check])
    assert not graded[0]["passed"] and graded[0]["done"]
    assert "JAX's automatic differentiation" in graded[0]["message"]
    assert 'run hint("06.3")' in graded[0]["message"]
    graded = grade_cells([("code", setup), ("code", textwrap.dedent(HAND_GRADIENT)), check])
    assert graded[0]["passed"], graded[0]["message"]


# --- review 2 of the shortcuts (/work/wt/notices/review-shortcuts-2.md), as typed ----------

ADJOINTS_ON_VARIABLES = """
from adlearn.core import adjoints as _adj
def hand_gradient(params):
    vs = [Variable(float(p)) for p in params]
    a = _adj(mean_loss(vs))
    return [float(a.get(v, 0.0)) for v in vs]
"""

REVERSE_SWEEP_ON_VARIABLES = """
from adlearn.core import reverse_sweep as _rs
def hand_gradient(params):
    vs = [Variable(float(p)) for p in params]
    L = mean_loss(vs); acc = {}
    for node, operand, partial, up, total in _rs(L):
        acc[operand] = total
    return [float(acc.get(v, 0.0)) for v in vs]
"""

BACKPROPAGATE_ON_VARIABLES = """
import adlearn.variable as _av
def hand_gradient(params):
    vs = [Variable(float(p)) for p in params]
    L = mean_loss(vs)
    _av.backpropagate([L], [1.0])
    return [v.grad for v in vs]
"""

CENTRAL_DIFFERENCES = """
def hand_gradient(params):
    p = [float(q) for q in params]
    out = []
    for i in range(len(p)):
        up = p.copy(); up[i] += 1e-6; dn = p.copy(); dn[i] -= 1e-6
        out.append((mean_loss(up) - mean_loss(dn)) / 2e-6)
    return out
"""


@pytest.mark.parametrize(
    "source, said",
    [
        (ADJOINTS_ON_VARIABLES, r"adjoints\(\) is switched off.*adlearn's own sweeps"),
        (REVERSE_SWEEP_ON_VARIABLES, r"reverse_sweep\(\) is switched off"),
        (BACKPROPAGATE_ON_VARIABLES, r"backpropagate\(\) is switched off"),
        (CENTRAL_DIFFERENCES, r"close but not exact.*an approximation such as central diff"),
        (CENTRAL_DIFFERENCES.replace("1e-6", "1e-4").replace("2e-6", "2e-4"),
         r"close but not exact.*an approximation such as central diff"),
    ],
)
def test_hand_gradient_the_second_reviews_shortcuts_are_refused(source, said):
    with pytest.raises(CheckFailed, match=said):
        lesson06.check_hand_gradient(define(source, "hand_gradient"), mean_loss, SIZE)
    # adlearn's sweeps work again afterwards
    xs = [Variable(0.5), Variable(2.0)]
    found = adlearn.core.adjoints(xs[0] * xs[1])
    assert (found[xs[0]], found[xs[1]]) == (2.0, 0.5)


def test_hand_gradient_a_wrong_partial_is_not_called_an_approximation():
    source = HAND_GRADIENT.replace("(s - y) / n", "(s - y)")
    with pytest.raises(CheckFailed) as caught:
        lesson06.check_hand_gradient(define(source, "hand_gradient"), mean_loss, SIZE)
    assert "close but not exact" not in str(caught.value)
