"""Lesson 11's claims about JAX and PyTorch, asserted against the installed versions.

Every convention the lesson shows where the libraries differ from adlearn (or from each
other) is checked here, so that an upgrade which changes one fails loudly instead of
leaving a lesson that says something false. The numbers are also checked against closed
forms, not only against each other.
"""

import math
from pathlib import Path

import pytest
import tomllib

import adlearn
from adlearn import Variable, derivative, gradient, hessian_vector_product, relu

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
jnp = jax.numpy
jax.config.update("jax_enable_x64", True)

ROOT = Path(__file__).resolve().parent.parent
F64 = torch.float64


def tensor(x, grad=True):
    return torch.tensor(x, dtype=F64, requires_grad=grad)


def torch_grad(f, *point):
    inputs = [tensor(p) for p in point]
    return [g.item() for g in torch.autograd.grad(f(*inputs), inputs)]


def pinned(name):
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in extra["optional-dependencies"]["bridge"]:
        if requirement.split(">")[0].strip() == name:
            low, high = requirement.split(">=")[1].split("#")[0].strip().strip('",').split(",<")
            return tuple(map(int, low.split("."))), tuple(map(int, high.split(".")))
    raise AssertionError(f"{name} is not in the bridge extra")


@pytest.mark.parametrize("name, module", [("jax", jax), ("torch", torch)])
def test_the_installed_versions_are_the_ones_the_lesson_was_stored_with(name, module):
    low, high = pinned(name)
    version = tuple(int(part) for part in module.__version__.split("+")[0].split(".")[:2])
    assert low <= version < high, f"{name} {module.__version__} is outside the bridge pin"


# --- kinks ---------------------------------------------------------------------------


def test_relu_slope_at_zero_is_one_in_adlearn_and_zero_in_jax_and_pytorch():
    assert derivative(relu, 0.0) == gradient(relu, [0.0])[0] == 1.0
    assert float(jax.grad(jax.nn.relu)(0.0)) == 0.0
    assert torch_grad(torch.relu, 0.0) == [0.0]
    # just beside the kink, everyone agrees
    for x in (-1e-9, 1e-9):
        slope = derivative(relu, x)
        assert float(jax.grad(jax.nn.relu)(x)) == torch_grad(torch.relu, x)[0] == slope


def test_relu_minus_relu_of_minus_x_has_slope_2_in_adlearn_and_0_elsewhere():
    def identity(x, r=relu):
        return r(x) - r(-x)

    assert derivative(identity, 0.0) == gradient(identity, [0.0])[0] == 2.0
    assert float(jax.grad(lambda x: identity(x, jax.nn.relu))(0.0)) == 0.0
    assert torch_grad(lambda x: identity(x, torch.relu), 0.0) == [0.0]
    # the function is x: its slope is 1 everywhere else, in all three
    assert float(jax.grad(lambda x: identity(x, jax.nn.relu))(0.3)) == 1.0
    assert torch_grad(lambda x: identity(x, torch.relu), -0.3) == [1.0]


def test_a_maximum_splits_a_tie_half_and_half_while_python_max_takes_the_first():
    x, y = Variable(1.0), Variable(1.0)
    max(x, y).backward()
    assert (x.grad, y.grad) == (1.0, 0.0)
    assert [float(g) for g in jax.grad(jnp.maximum, argnums=(0, 1))(1.0, 1.0)] == [0.5, 0.5]
    assert torch_grad(torch.maximum, 1.0, 1.0) == [0.5, 0.5]
    # the reductions too
    assert jax.grad(jnp.max)(jnp.array([2.0, 2.0])).tolist() == [0.5, 0.5]
    v = tensor([2.0, 2.0])
    v.max().backward()
    assert v.grad.tolist() == [0.5, 0.5]
    # so maximum(x, 0) is not jax.nn.relu at 0, and torch.clamp is a third convention
    assert float(jax.grad(lambda x: jnp.maximum(x, 0.0))(0.0)) == 0.5
    assert torch_grad(lambda x: torch.clamp(x, min=0), 0.0) == [1.0]


# --- where -------------------------------------------------------------------------------


def norm_where(x, y, lib):
    r2 = x * x + y * y
    return lib.where(r2 == 0, r2, lib.sqrt(r2))


def norm_double_where(x, y, lib):
    r2 = x * x + y * y
    return lib.where(r2 == 0, r2, lib.sqrt(lib.where(r2 == 0, 1.0, r2)))


def test_where_passes_nan_from_the_branch_not_taken_and_the_double_where_fixes_it():
    for x, y in ((0.0, 0.0), (0.6, 0.8)):
        single = jax.grad(lambda a, b: norm_where(a, b, jnp), argnums=(0, 1))(x, y)
        double = jax.grad(lambda a, b: norm_double_where(a, b, jnp), argnums=(0, 1))(x, y)
        single_t = torch_grad(lambda a, b: norm_where(a, b, torch), x, y)
        double_t = torch_grad(lambda a, b: norm_double_where(a, b, torch), x, y)
        if x == y == 0.0:
            assert all(math.isnan(float(g)) for g in (*single, *single_t))
            assert [float(g) for g in double] == double_t == [0.0, 0.0]
        else:  # away from the origin all four are (x, y) / r
            for g in (single, double, single_t, double_t):
                assert [float(v) for v in g] == pytest.approx([0.6, 0.8], rel=1e-15)


def test_adlearns_if_needs_no_double_where():
    def safe_norm(x, y):
        r2 = x * x + y * y
        return r2 if r2 == 0 else adlearn.sqrt(r2)

    assert gradient(safe_norm, [0.0, 0.0]) == (0.0, 0.0)


# --- a second backward ----------------------------------------------------------------


def test_pytorch_frees_the_graph_after_backward_unless_asked_to_keep_it():
    a = tensor(0.5)
    loss = a * torch.sin(a)
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    loss = a * torch.sin(a)
    loss.backward(retain_graph=True)
    loss.backward()
    once = math.sin(0.5) + 0.5 * math.cos(0.5)
    assert a.grad.item() == pytest.approx(3 * once, rel=1e-15)  # 1 + 2 backward calls


def test_adlearn_keeps_the_graph_and_adds_again():
    x = Variable(0.5)
    y = x * adlearn.sin(x)
    y.backward()
    y.backward()
    assert x.grad == pytest.approx(2 * (math.sin(0.5) + 0.5 * math.cos(0.5)), rel=1e-15)


# --- integer inputs --------------------------------------------------------------------


def test_integer_inputs_are_refused_by_jax_and_pytorch_and_taken_by_adlearn():
    assert derivative(lambda x: x * x, 3) == 6.0
    with pytest.raises(TypeError, match="grad requires real- or complex-valued inputs"):
        jax.grad(lambda x: x * x)(3)
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor(3, requires_grad=True)


# --- overflow ----------------------------------------------------------------------------


def test_softplus_composed_from_log_and_exp_overflows_to_nan_silently_in_jax_and_pytorch():
    with pytest.raises(OverflowError, match="overflows"):
        gradient(lambda x: adlearn.log(1 + adlearn.exp(x)), [800.0])
    assert math.isnan(float(jax.grad(lambda x: jnp.log(1 + jnp.exp(x)))(800.0)))
    assert math.isnan(torch_grad(lambda x: torch.log(1 + torch.exp(x)), 800.0)[0])
    # the libraries' own softplus has a stable rule
    assert float(jax.grad(jax.nn.softplus)(800.0)) == 1.0
    assert torch_grad(torch.nn.functional.softplus, 800.0) == [1.0]


# --- nesting ---------------------------------------------------------------------------


def test_the_perturbation_confusion_test_gives_1_in_all_three():
    one = tensor(1.0, grad=False)
    answers = [
        derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0),
        gradient(lambda x: x * gradient(lambda y: x + y, [1.0])[0], [1.0])[0],
        jax.grad(lambda x: x * jax.grad(lambda y: x + y)(1.0))(1.0),
        jax.jvp(lambda x: x * jax.jvp(lambda y: x + y, (1.0,), (1.0,))[1], (1.0,), (1.0,))[1],
        torch.func.grad(lambda x: x * torch.func.grad(lambda y: x + y)(one))(one),
        torch.func.jvp(
            lambda x: x * torch.func.jvp(lambda y: x + y, (one,), (one,))[1], (one,), (one,)
        )[1],
    ]
    assert [float(a) for a in answers] == [1.0] * len(answers)


def test_pytorchs_forward_ad_refuses_to_nest():  # lesson 07 says so
    import torch.autograd.forward_ad as forward_ad

    refused = pytest.raises(RuntimeError, match="Nested forward mode AD is not supported")
    with refused, forward_ad.dual_level(), forward_ad.dual_level():
        pass


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


@pytest.mark.parametrize("point, vector", [((-1.2, 1.0), (1.0, 0.5)), ((0.3, -0.7), (-2.0, 1.5))])
def test_hessian_vector_products_by_forward_over_reverse_agree(point, vector):
    x, y = point
    hessian = [[1200 * x * x - 400 * y + 2, -400 * x], [-400 * x, 200.0]]  # closed form
    expected = [sum(h * v for h, v in zip(row, vector)) for row in hessian]
    ours = hessian_vector_product(rosenbrock, point, vector)
    grad_jax = jax.grad(lambda q: rosenbrock(q[0], q[1]))
    theirs_jax = jax.jvp(grad_jax, (jnp.array(point),), (jnp.array(vector),))[1]
    grad_torch = torch.func.grad(lambda q: rosenbrock(q[0], q[1]))
    p, v = torch.tensor(point, dtype=F64), torch.tensor(vector, dtype=F64)
    theirs_torch = torch.func.jvp(grad_torch, (p,), (v,))[1]
    for got in (ours, theirs_jax.tolist(), theirs_torch.tolist()):
        assert list(got) == pytest.approx(expected, rel=1e-12)


# --- the recorded program ----------------------------------------------------------------


def test_a_jaxpr_lists_the_operations_in_the_order_the_program_ran():
    jaxpr = jax.make_jaxpr(lambda x, y: x * jnp.sin(x * y) + jnp.exp(-y))(0.5, 2.0).jaxpr
    assert [e.primitive.name for e in jaxpr.eqns] == ["mul", "sin", "mul", "neg", "exp", "add"]
    x, y = Variable(0.5), Variable(2.0)
    z = x * adlearn.sin(x * y) + adlearn.exp(-y)
    order = [n.primitive.name for n in adlearn.topological_order(z) if n.primitive]
    assert order == ["mul", "sin", "mul", "neg", "exp", "add"]


# --- claims added after the review of lesson 11 ------------------------------------------


def test_abs_at_zero_has_slope_1_in_jax_and_adlearn_but_0_in_pytorch_and_clamp_passes_1():
    assert derivative(abs, 0.0) == 1.0
    assert float(jax.grad(jnp.abs)(0.0)) == 1.0
    assert torch_grad(torch.abs, 0.0) == [0.0]  # the minimum-norm subgradient
    assert torch_grad(lambda x: torch.clamp(x, min=0), 0.0) == [1.0]  # not minimum-norm


def sinc_where(x, lib):
    return lib.where(x == 0, 1.0, lib.sin(x) / x)


def sinc_double_where(x, lib):
    safe = lib.where(x == 0, 1.0, x)
    return lib.where(x == 0, 1.0, lib.sin(safe) / safe)


def test_the_lessons_sinc_needs_a_double_where_too():
    assert math.isnan(float(jax.grad(lambda x: sinc_where(x, jnp))(0.0)))
    assert math.isnan(torch_grad(lambda x: sinc_where(x, torch), 0.0)[0])
    assert float(jax.grad(lambda x: sinc_double_where(x, jnp))(0.0)) == 0.0
    assert torch_grad(lambda x: sinc_double_where(x, torch), 0.0) == [0.0]
    closed_form = (0.5 * math.cos(0.5) - math.sin(0.5)) / 0.25
    assert float(jax.grad(lambda x: sinc_double_where(x, jnp))(0.5)) == pytest.approx(
        closed_form, rel=1e-14)


def test_a_function_with_setup_context_works_under_torch_func_and_the_old_form_does_not():
    class New(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    class Old(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    assert torch.func.grad(New.apply)(tensor(3.0, grad=False)).item() == 6.0
    assert torch_grad(Old.apply, 3.0) == [6.0]
    with pytest.raises(RuntimeError, match="setup_context"):
        torch.func.grad(Old.apply)(tensor(3.0, grad=False))


def test_a_second_backward_needs_retain_graph_only_when_a_step_saved_values():
    a = tensor(1.0)
    loss = a + 1  # an addition saves nothing
    loss.backward()
    loss.backward()
    assert a.grad.item() == 2.0


def test_softplus_overflow_is_a_value_of_inf_and_a_derivative_of_nan():
    assert math.isinf(float(jnp.log(1 + jnp.exp(800.0))))
    assert math.isinf(torch.log(1 + torch.exp(tensor(800.0, grad=False))).item())


def test_run_sh_installs_the_cpu_build_of_the_pinned_pytorch():
    script = (ROOT / "run.sh").read_text()
    low, high = pinned("torch")
    assert f'TORCH_VERSIONS="torch>={low[0]}.{low[1]},<{high[0]}.{high[1]}"' in script
    assert 'TORCH_CPU_INDEX="https://download.pytorch.org/whl/cpu"' in script
    assert "--timeout 10 --retries 0" in script  # an unreachable index fails in seconds


def test_an_if_or_max_runs_under_plain_grad_but_not_under_jit_or_vmap():  # hint 2 of 11.1
    def relu_by_if(x):
        return x if x > 0 else 0.0 * x

    assert float(jax.grad(relu_by_if)(2.0)) == 1.0
    assert float(jax.grad(lambda x: max(x, 0.0))(0.0)) == 1.0  # the first argument wins
    for transform in (jax.jit, jax.vmap):
        with pytest.raises(jax.errors.TracerBoolConversionError):
            transform(relu_by_if)(jnp.asarray([2.0]) if transform is jax.vmap else 2.0)
