"""Checks for lesson 11, the same ideas in PyTorch and JAX.

The checks differentiate the learner's ports with the libraries themselves (``jax.grad``,
``jax.vmap``, ``torch.autograd.grad``) at points the learner has not seen, and compare
them with adlearn, which computes the same functions independently. JAX and PyTorch are
imported only when a check runs, so that ``adlearn.checks`` needs neither.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..derivatives import gradient
from ..rules import relu, sqrt
from .exercise import Wrong, exercise, unseen_points

__all__ = ["check_ports", "check_safe_norm_jax"]


def _libraries() -> tuple[Any, Any, Any]:
    try:
        import jax
        import jax.numpy as jnp
        import torch
    except ImportError as error:  # pragma: no cover - the bridge extra is installed in CI
        raise Wrong(
            "this exercise needs JAX and PyTorch: pip install -e '.[bridge]' (see the README)"
        ) from error
    jax.config.update("jax_enable_x64", True)
    return jax, jnp, torch


def _float(v: Any, what: str) -> float:
    if hasattr(v, "detach"):  # a PyTorch tensor: its number, without the graph
        v = v.detach()
    try:
        return float(v)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a single number, but it is {v!r}") from None


def _compare(got: float, want: float, what: str, rtol: float = 1e-10) -> None:
    if math.isnan(want) and math.isnan(got):
        return
    if not math.isclose(got, want, rel_tol=rtol, abs_tol=rtol):
        raise Wrong(f"{what} is {got:.12g}, but it should be {want:.12g}")


# --- 11.1: port a function to JAX and to PyTorch ---------------------------------------


def kink_and_cone(x: Any, y: Any) -> Any:
    """The lesson's function, in adlearn: the reference the ports are compared with."""
    return relu(2 * x) - relu(-x) + 3 * x + y + sqrt(x * x + y * y)


def _ported(lib: Any, relu_of: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    """The same function with a library's own relu and sqrt: its convention at the kink."""
    return lambda x, y: relu_of(2 * x) - relu_of(-x) + 3 * x + y + lib.sqrt(x * x + y * y)


def _port_points() -> list[tuple[float, float]]:
    xs = unseen_points("11.1 x", 6, 0.2, 2.5)
    ys = unseen_points("11.1 y", 6, -2.5, 2.5)
    signs = unseen_points("11.1 sign", 6, -1.0, 1.0)
    return [(math.copysign(x, s), y) for x, y, s in zip(xs, ys, signs)]


def _port_failed(library: str, error: Exception, use: str) -> Wrong:
    """A port that fails on its own library's numbers: say so, with the library's words."""
    said = str(error).split("\n")[0].split(". ")[0].rstrip(".")
    return Wrong(
        f"your {library} port failed on {library}'s own numbers ({type(error).__name__}: "
        f"{said}). A port uses its library's operations throughout: {use}"
    )


def _jax_gradient(jax: Any, jnp: Any, port: Callable[..., Any], x: float, y: float) -> Any:
    """Value and gradient of a JAX port, with an error that says what JAX could not do."""
    args = (jnp.asarray(x), jnp.asarray(y))
    use = "jax.nn.relu and jnp.sqrt, no torch, NumPy or math"
    try:
        value = _float(port(*args), f"kink_and_cone_jax({x:.3g}, {y:.3g})")
        slopes = jax.grad(port, argnums=(0, 1))(*args)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
        raise Wrong(
            "jax.grad could not run your JAX port: it hands a tracer to something that needs "
            "a plain number or a NumPy array (math.sqrt, float(), np.sqrt). Under jax.grad "
            "the inputs are tracers, which only JAX's own operations accept. Use "
            "jax.nn.relu and jnp.sqrt"
        ) from None
    except (TypeError, AttributeError) as error:
        raise _port_failed("JAX", error, use) from None
    return value, [_float(s, "a partial derivative") for s in slopes]


def _torch_gradient(torch: Any, port: Callable[..., Any], x: float, y: float) -> Any:
    """Value and gradient of a PyTorch port, recorded and swept by torch.autograd."""
    a = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    try:
        out = port(a, b)
    except (TypeError, AttributeError) as error:
        raise _port_failed("PyTorch", error, "torch.relu and torch.sqrt, no jnp or math") from None
    value = _float(out, f"kink_and_cone_torch({x:.3g}, {y:.3g})")
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        raise Wrong(
            f"kink_and_cone_torch({x:.3g}, {y:.3g}) returns a number that PyTorch did not "
            "record (a plain float, .item(), or math.* on a tensor): autograd can only "
            "differentiate operations on tensors. Use torch.relu and torch.sqrt"
        )
    if out.dtype != torch.float64:
        raise Wrong(
            f"kink_and_cone_torch gets float64 tensors but returns {out.dtype}: a cast to "
            "float32 keeps only about 7 digits, so its numbers cannot agree with adlearn's. "
            "Keep float64 (do not call .float())"
        )
    slopes = torch.autograd.grad(out, (a, b), allow_unused=True)
    return value, [0.0 if s is None else _float(s, "a partial derivative") for s in slopes]


def _gradients_at(jax: Any, jnp: Any, torch: Any, port_jax: Any, port_torch: Any, x: float,
                  y: float) -> str:
    ours = gradient(kink_and_cone, [x, y])
    theirs_jax = _jax_gradient(jax, jnp, port_jax, x, y)[1]
    theirs_torch = _torch_gradient(torch, port_torch, x, y)[1]

    def pair(g: Any) -> str:
        return f"({g[0]:g}, {g[1]:g})"

    return (f"at ({x:g}, {y:g}), adlearn {pair(ours)}, JAX {pair(theirs_jax)}, PyTorch "
            f"{pair(theirs_torch)}")


@exercise(
    "11.1",
    "port a function to JAX and to PyTorch",
    hints=(
        "A port uses the library's own operations, so that the library records them and "
        "applies its own conventions: look at how the lesson wrote f for jnp and torch, and "
        "at the section on the slope at a kink.",
        "Write the same expression twice. In the JAX version every operation comes from "
        "jax (the relu of jax.nn, the square root of jax.numpy); in the PyTorch version from "
        "torch. No math.* function: it needs a plain number, which neither library can "
        "differentiate. No Python max and no if either: under plain jax.grad they run (its "
        "tracers still hold numbers), but they pick one side at the kink, another convention, "
        "and under jax.jit or jax.vmap they fail.",
        "def kink_and_cone_jax(x, y):\n"
        "    return jax.nn.relu(2 * x) - jax.nn.relu(-x) + 3 * x + y + jnp.sqrt(x * x + y * y)\n\n"
        "def kink_and_cone_torch(x, y):\n"
        "    return torch.relu(2 * x) - torch.relu(-x) + 3 * x + y + torch.sqrt(x * x + y * y)",
    ),
    forbid=(relu, sqrt),
    why="Port the function: use jax.nn.relu and jnp.sqrt, torch.relu and torch.sqrt, so "
    "that each library differentiates it with its own rules.",
)
def check_ports(
    kink_and_cone_jax: Callable[..., Any], kink_and_cone_torch: Callable[..., Any]
) -> str:
    jax, jnp, torch = _libraries()
    points = _port_points()
    for x, y in points:
        want_value, want = kink_and_cone(x, y), gradient(kink_and_cone, [x, y])
        for library in ("JAX", "PyTorch"):  # one library at a time: its first error first
            if library == "JAX":
                value, slopes = _jax_gradient(jax, jnp, kink_and_cone_jax, x, y)
            else:
                value, slopes = _torch_gradient(torch, kink_and_cone_torch, x, y)
            _compare(value, want_value, f"your {library} port at ({x:.3g}, {y:.3g})")
            for i, name in enumerate("xy"):
                _compare(slopes[i], want[i], f"∂/∂{name} of your {library} port at "
                         f"({x:.3g}, {y:.3g}), by {library}")
    y0 = unseen_points("11.1 kink", 1, 0.5, 2.0)[0]
    conventions = (
        ("JAX", _jax_gradient(jax, jnp, kink_and_cone_jax, 0.0, y0)[1],
         _jax_gradient(jax, jnp, _ported(jnp, jax.nn.relu), 0.0, y0)[1], "jax.nn.relu"),
        ("PyTorch", _torch_gradient(torch, kink_and_cone_torch, 0.0, y0)[1],
         _torch_gradient(torch, _ported(torch, torch.relu), 0.0, y0)[1], "torch.relu"),
    )
    for library, got, want, relu_name in conventions:
        if not math.isclose(got[0], want[0], abs_tol=1e-12):
            raise Wrong(
                f"at the kink (0, {y0:.3g}), your {library} port gives ∂/∂x = {got[0]:g}, but "
                f"written with {relu_name} it is {want[0]:g}. A maximum splits a tie half and "
                "half, a clamp or Python's max passes the whole slope, and any other hand-made "
                "relu has a convention of its own: port the relu with the library's own relu, "
                "so that you see its convention"
            )
    tip = (
        ("JAX", _jax_gradient(jax, jnp, kink_and_cone_jax, 0.0, 0.0)[1], "jnp.sqrt"),
        ("PyTorch", _torch_gradient(torch, kink_and_cone_torch, 0.0, 0.0)[1], "torch.sqrt"),
    )
    for library, got, sqrt_name in tip:
        if not all(math.isnan(g) for g in got):
            raise Wrong(
                f"at the cone's tip (0, 0), your {library} port's gradient is ({got[0]:g}, "
                f"{got[1]:g}), but written with {sqrt_name}(x * x + y * y) it is (nan, nan): "
                "the square root has no slope there. An epsilon, hypot or another repair "
                "hides what the prediction is about: port the square root as it is"
            )
    shown = [
        _gradients_at(jax, jnp, torch, kink_and_cone_jax, kink_and_cone_torch, x, y)
        for x, y in ((0.0, 1.0), (0.0, 0.0))
    ]
    return (
        f"your ports agree with adlearn at {len(points)} points you had not seen, value and "
        f"gradient, and keep their library's convention at the kink. Now compare with your "
        f"prediction: {shown[0]}; {shown[1]}."
    )


# --- 11.2: a norm with a usable gradient, as array code ---------------------------------


def _norm_points() -> tuple[list[float], list[float]]:
    xs = unseen_points("11.2 x", 8, -3.0, 3.0)
    ys = unseen_points("11.2 y", 8, -3.0, 3.0)
    # on the axes, at the origin, at r ~ 1e-100 and at r ~ 1e-151, where x*x + y*y ~ 1e-302
    # is still a normal float but an epsilon of 1e-300 (or a floor of it) is not negligible
    xs += [xs[0], 0.0, 1e-100 * xs[2], 1e-151 * xs[3], 0.0]
    ys += [0.0, ys[1], 1e-100 * ys[2], 1e-151 * ys[3], 0.0]
    return xs, ys


def _goes_complex(jax: Any, safe_norm_jax: Callable[..., Any]) -> bool:
    """Does the function compute with complex numbers (jnp.abs(x + 1j*y), say)?"""
    program = jax.make_jaxpr(safe_norm_jax)(0.5, 0.25)
    return "c128" in str(program) or "c64" in str(program)


@exercise(
    "11.2",
    "a norm with a usable gradient, as array code",
    hints=(
        "Under jax.vmap there is no single value to branch on, so both branches are "
        "computed and jnp.where picks one. Look at the section on where: why is the "
        "gradient of sin(x)/x NaN at 0 even though that branch's value is thrown away, and "
        "how does the second where stop it?",
        "The gradient of where sends 0 to the branch not taken, and inside that branch the "
        "square root's rule multiplies this 0 by its infinite slope at 0: NaN, which flows "
        "on to x and y. So cut that path at the origin: a first where hands the square root "
        "a constant there (a harmless positive number, so no NaN is even made) instead of "
        "x*x + y*y, and a second where returns x*x + y*y itself there (value 0, gradient "
        "(2x, 2y) = (0, 0)). No epsilon and no floor: the value must stay exact.",
        "def safe_norm_jax(x, y):\n    r2 = x * x + y * y\n"
        "    safe = jnp.where(r2 == 0, 1.0, r2)\n"
        "    return jnp.where(r2 == 0, r2, jnp.sqrt(safe))",
    ),
    forbid=(sqrt,),
    why="Write it with jax.numpy (jnp.where and jnp.sqrt): the check runs it under jax.vmap.",
)
def check_safe_norm_jax(safe_norm_jax: Callable[..., Any]) -> str:
    jax, jnp, _ = _libraries()
    xs, ys = _norm_points()
    x_arr, y_arr = jnp.asarray(xs), jnp.asarray(ys)
    try:
        if _goes_complex(jax, safe_norm_jax):
            raise Wrong(
                "your function computes with complex numbers (jnp.abs of x + iy, say): a "
                "library shortcut whose rule at 0 someone else wrote. The exercise is the "
                "repair itself: real x and y, jnp.where and jnp.sqrt"
            )
        values = jax.vmap(safe_norm_jax)(x_arr, y_arr)
        slopes = jax.vmap(jax.grad(safe_norm_jax, argnums=(0, 1)))(x_arr, y_arr)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError):
        raise Wrong(
            "your function uses an if (or max(), float(), math.*) on its input, but under "
            "jax.vmap the input is a whole array of points: there is no single value to branch "
            "on. Compute both branches and choose with jnp.where"
        ) from None
    except jax.errors.TracerArrayConversionError:
        raise Wrong(
            "your function hands JAX's tracers to NumPy (np.sqrt, np.where): under jax.vmap "
            "and jax.grad only jax.numpy accepts them. Use jnp throughout"
        ) from None
    except (TypeError, AttributeError) as error:
        if "Tracer" not in str(error) and "jax" not in str(error).lower():
            raise
        raise Wrong(
            f"your function hands JAX's tracers to another library ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:120]}). Under jax.vmap and jax.grad only jax.numpy "
            "accepts them: use jnp throughout, no torch, NumPy or math"
        ) from None
    if getattr(values, "shape", None) != (len(xs),):
        raise Wrong(f"under jax.vmap your function should give one number per point, but "
                    f"it gave {values!r}")
    for i, (x, y) in enumerate(zip(xs, ys)):
        r = math.hypot(x, y)
        got = _float(values[i], f"safe_norm_jax({x:.3g}, {y:.3g})")
        if r == 0.0 and got != 0.0:
            raise Wrong(f"safe_norm_jax(0, 0) is {got:.3g}, but it should be exactly 0: an "
                        "epsilon changes the value")
        if 0.0 < r < 1e-100 and not math.isclose(got, r, rel_tol=1e-14):
            raise Wrong(
                f"safe_norm_jax({x:.3g}, {y:.3g}) is {got:.6g}, but it should be {r:.6g}: near "
                "the origin an epsilon (added to x*x + y*y, or as a floor with jnp.maximum) "
                "changes the value. Keep the value exact and repair only the gradient"
            )
        _compare(got, r, f"safe_norm_jax({x:.3g}, {y:.3g})", rtol=1e-14)
        want = (x / r, y / r) if r > 0 else (0.0, 0.0)
        for k, name in enumerate("xy"):
            slope = _float(slopes[k][i], "a partial derivative")
            if math.isnan(slope):
                raise Wrong(
                    f"the derivative in {name} at ({x:.3g}, {y:.3g}) is nan: the square "
                    "root's rule multiplies where's 0 by its infinite slope at 0, and nothing "
                    "stops that NaN on its way back to x and y"
                )
            _compare(slope, want[k], f"the derivative in {name} at ({x:.3g}, {y:.3g})",
                     rtol=1e-12)
    return (
        f"exact values and the gradient (x, y)/r at {len(xs)} points you had not seen, "
        "computed all at once under jax.vmap, with (0, 0) at the origin."
    )
