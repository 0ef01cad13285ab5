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


def _jax_gradient(jax: Any, jnp: Any, port: Callable[..., Any], x: float, y: float) -> Any:
    """Value and gradient of a JAX port, with an error that says what JAX could not do."""
    args = (jnp.asarray(x), jnp.asarray(y))
    value = _float(port(*args), f"kink_and_cone_jax({x:.3g}, {y:.3g})")
    try:
        slopes = jax.grad(port, argnums=(0, 1))(*args)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError):
        raise Wrong(
            "jax.grad could not run your JAX port: it calls something that needs a plain "
            "number (math.sqrt, float(), max() or an if on the value), but under jax.grad "
            "the inputs are tracers. Use jax.nn.relu and jnp.sqrt"
        ) from None
    return value, [_float(s, "a partial derivative") for s in slopes]


def _torch_gradient(torch: Any, port: Callable[..., Any], x: float, y: float) -> Any:
    """Value and gradient of a PyTorch port, recorded and swept by torch.autograd."""
    a = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    out = port(a, b)
    value = _float(out, f"kink_and_cone_torch({x:.3g}, {y:.3g})")
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        raise Wrong(
            f"kink_and_cone_torch({x:.3g}, {y:.3g}) returns a number that PyTorch did not "
            "record (a plain float, .item(), or math.* on a tensor): autograd can only "
            "differentiate operations on tensors. Use torch.relu and torch.sqrt"
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
        "torch. Use no math.* function, no Python max and no if: they would give plain "
        "numbers that neither library can differentiate, or another convention at the kink.",
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
                "half, and a clamp passes the whole slope: port the relu with the library's "
                "own relu, so that you see its convention"
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
    xs += [xs[0], 0.0, 1e-100 * xs[2], 0.0]
    ys += [0.0, ys[1], 1e-100 * ys[2], 0.0]
    return xs, ys


@exercise(
    "11.2",
    "a norm with a usable gradient, as array code",
    hints=(
        "Under jax.vmap there is no single value to branch on, so both branches are "
        "computed and jnp.where picks one. Look at the section on where: why is the "
        "gradient NaN at the origin even though the square root's value is thrown away?",
        "The gradient of where sends 0 to the branch not taken, and 0 times the infinite "
        "slope of the square root at 0 is NaN. So make sure the square root never sees 0: a "
        "first where replaces x*x + y*y by a harmless positive number where it is 0, and a "
        "second where returns x*x + y*y itself there (value 0, gradient (2x, 2y) = (0, 0)). "
        "No epsilon: the value must stay exact.",
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
        values = jax.vmap(safe_norm_jax)(x_arr, y_arr)
        slopes = jax.vmap(jax.grad(safe_norm_jax, argnums=(0, 1)))(x_arr, y_arr)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError):
        raise Wrong(
            "your function uses an if (or float(), math.*) on its input, but under jax.vmap "
            "the input is a whole array of points: there is no single value to branch on. "
            "Compute both branches and choose with jnp.where"
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
        _compare(got, r, f"safe_norm_jax({x:.3g}, {y:.3g})", rtol=1e-14)
        want = (x / r, y / r) if r > 0 else (0.0, 0.0)
        for k, name in enumerate("xy"):
            slope = _float(slopes[k][i], "a partial derivative")
            if math.isnan(slope):
                raise Wrong(
                    f"the derivative in {name} at ({x:.3g}, {y:.3g}) is nan: the square root "
                    "still sees 0 there, and where multiplies its infinite slope by 0"
                )
            _compare(slope, want[k], f"the derivative in {name} at ({x:.3g}, {y:.3g})",
                     rtol=1e-12)
    return (
        f"exact values and the gradient (x, y)/r at {len(xs)} points you had not seen, "
        "computed all at once under jax.vmap, with (0, 0) at the origin."
    )
