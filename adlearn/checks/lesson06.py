"""Checks for the exercises of lesson 06, inverse problems and gradient descent.

Each check runs the learner's code on problems they have not seen (other losses, other
points, other weights) and compares with an independent reference: a descent run here,
closed forms, central differences.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..complex_number import Complex
from ..derivatives import derivative, gradient, jacobian_forward, jacobian_reverse, jvp, vjp
from ..dual import Dual
from ..higher import hessian, hessian_vector_product, second_derivative
from ..rules import exp, sin
from ..variable import Variable
from .exercise import ShortcutUsed, Wrong, exercise, unseen_points
from .frameworks import no_framework_autodiff
from .lesson04 import real_only_float
from .lesson05 import backward_replaced
from .references import complex_step, numerical_gradient
from .shortcuts import GRAPH_SWEEPS


def _plain(value: Any, what: str) -> float:
    if isinstance(value, (Dual, Variable)):
        raise Wrong(
            f"{what} is a {type(value).__name__}; return a plain number (its .value), "
            "so that no graph or tangent leaks out of your function"
        )
    if callable(value):
        value = value()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Wrong(f"{what} should be a plain number, but it is {value!r}")
    return float(value)


def _near(got: float, want: float, what: str, rtol: float, atol: float = 0.0) -> None:
    if math.isnan(got) or abs(got - want) > max(rtol * abs(want), atol):
        raise Wrong(f"{what} is {got!r}, but it should be {want!r}")


# --- 06.1: predict the factor per step -------------------------------------------------


def _polynomial_loss(x: Any) -> Any:
    return (x**3 - 3 * x**2 + 2 * x + 18 - 42) ** 2


def _measured_factor(lr: float) -> float:
    """Run gradient descent on the lesson's loss from just beside x* = 4; the ratio."""
    x = 4.0 + 1e-6
    for _ in range(3):
        step = x - lr * derivative(_polynomial_loss, x)
        factor, x = (step - 4.0) / (x - 4.0), step
    return factor


@exercise(
    "06.1",
    "predict the factor per step",
    hints=(
        "the section 'Steps that are too large': near the minimum, one step multiplies "
        "the distance to x* = 4 by a factor that depends only on the learning rate and "
        "on a number the lesson computed with nested AD.",
        "Put the learning rate 0.0012 and the second derivative of the loss at 4 into "
        "the factor of that section. Keep its sign: a negative factor means x lands on "
        "the other side of 4 at every step (the zig-zag).",
        "L''(4) = 1352, so the factor is 1 - 0.0012 * 1352 = -0.6224. "
        "def my_factor(): return 1 - 0.0012 * 1352",
    ),
)
def check_factor(my_factor: Any) -> str:
    predicted = _plain(my_factor, "Your prediction")
    measured = _measured_factor(0.0012)
    if abs(predicted + measured) < 0.01:
        raise Wrong(
            f"You predicted {predicted:.4g}, the right size but the wrong sign: does x stay "
            "on its side of 4 or jump over it?"
        )
    curvature = derivative(lambda x: derivative(_polynomial_loss, x), 4.0)  # L''(4)
    if abs(predicted - (1 - 0.0012 * curvature / 2)) < 0.01:
        raise Wrong(
            f"You predicted {predicted:.4g}, which uses half of L''(4): the derivative of a "
            "square brings a factor 2 (the section 'Steps that are too large' computes "
            "L'' with nested AD)"
        )
    if abs(predicted - 0.0012 * curvature) < 0.01:
        raise Wrong(
            f"You predicted {predicted:.4g}, which is the learning rate times L''(4): the part "
            "of the distance to 4 that one step takes away, not the factor that is left"
        )
    if abs(predicted - measured) > 0.01:
        raise Wrong(f"You predicted {predicted:.4g}, but a run of gradient descent disagrees")
    return (
        f"a run from beside x = 4 with lr = 0.0012 multiplies the distance to 4 by "
        f"{measured:.4f} per step: x zig-zags around 4 and converges."
    )


# --- 06.2: the largest stable learning rate, for any loss ------------------------------


def _loss_family() -> list[tuple[str, Callable[[Any], Any], Callable[[float], float], float]]:
    """(name, g, g', x*) with x* drawn where the learner has not looked."""
    xs = unseen_points("06.2", 3, 0.6, 1.8)
    return [
        ("x**3", lambda x: x**3, lambda x: 3 * x * x, xs[0]),
        ("exp(x)", exp, math.exp, xs[1]),
        ("x + sin(2x)", lambda x: x + sin(2 * x), lambda x: 1 + 2 * math.cos(2 * x), xs[2]),
    ]


def _converges(loss: Callable[[Any], Any], x_star: float, lr: float) -> bool:
    x = x_star + 1e-4
    for _ in range(200):
        x = x - lr * derivative(loss, x)
        if abs(x - x_star) > 0.1:  # left the neighbourhood: not converging there
            return False
    return abs(x - x_star) < 1e-5


@exercise(
    "06.2",
    "the largest stable learning rate of any loss",
    hints=(
        "the section 'Steps that are too large' gives the limit in terms of the loss's "
        "curvature at the minimum. The curvature is a derivative of a derivative: which "
        "tool of lessons 02 and 03 gives a derivative of anything you can write as a "
        "function of one number?",
        "Make a function of one number that returns the derivative of the loss there, "
        "differentiate that function at x_star (that is the second derivative), and "
        "return the limit the section gives from it: not the curvature itself, and not a "
        "number worked out for one particular loss, since the check passes losses you "
        "have not seen.",
        "def largest_stable_rate(loss, x_star):\n"
        "    curvature = derivative(lambda x: derivative(loss, x), x_star)\n"
        "    return 2 / curvature",
    ),
    forbid=(second_derivative, hessian, hessian_vector_product),
    why="Nest derivative yourself: that is how those functions work inside.",
)
def check_largest_stable_rate(largest_stable_rate: Callable[..., Any]) -> str:
    for name, g, g_prime, x_star in _loss_family():
        target = float(g(x_star))

        def loss(x: Any, g: Callable[[Any], Any] = g, target: float = target) -> Any:
            return (g(x) - target) ** 2

        got = _plain(largest_stable_rate(loss, x_star), f"your rate for ({name} - c)**2")
        want = 1 / g_prime(x_star) ** 2  # 2 / L'', with L''(x*) = 2 g'(x*)**2 at a root
        _near(got, want, f"largest_stable_rate for ({name} - c)**2 at x* = {x_star:.3g}", 1e-9)
        if not (_converges(loss, x_star, 0.9 * got) and not _converges(loss, x_star, 1.1 * got)):
            raise Wrong("gradient descent does not switch from converging to not converging there")
    return (
        "2 / L''(x*) is right for three losses you had not seen, and gradient descent "
        "converges at 0.9 times your rate and does not at 1.1 times it."
    )


# --- 06.3: backpropagation through the network, by hand ------------------------------


def _refusing_backward(original: Callable[..., Any]) -> Callable[..., Any]:
    def refuse(self: Variable) -> None:
        raise ShortcutUsed(
            "This exercise asks you to do the backward sweep by hand, so backward() is "
            "switched off while it is checked. Use plain floats and the chain rule."
        )

    return refuse


FORWARD_MODE_REFUSED = (
    "This exercise asks for the backward sweep by hand, with plain floats, so {what} "
    "switched off while it is checked: one forward pass per parameter (a dual number or a "
    "complex step, 25 times) gives the same numbers without a backward sweep."
)


_RealParameter = real_only_float(
    FORWARD_MODE_REFUSED.format(what="complex arithmetic on the parameters is")
)


@contextmanager
def _no_dual_numbers() -> Iterator[None]:
    """While inside, creating a Dual or an adlearn Complex raises ShortcutUsed.

    Switching off the names (``forbid=``) misses ``adlearn.dual.Dual``; this switches off
    the classes themselves.
    """
    originals = {cls: cls.__dict__["__init__"] for cls in (Dual, Complex)}

    def refusing(cls: type) -> Callable[..., None]:
        def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
            raise ShortcutUsed(
                FORWARD_MODE_REFUSED.format(what=f"{cls.__name__}, however imported, is")
            )

        return refuse

    try:
        for cls in originals:
            cls.__init__ = refusing(cls)  # type: ignore[method-assign]
        yield
    finally:
        for cls, init in originals.items():
            cls.__init__ = init  # type: ignore[method-assign]


def _unseen_weights(key: str, size: int) -> list[float]:
    generator = random.Random(f"adlearn exercise {key}")
    return [generator.gauss(0.0, 0.8) for _ in range(size)]


@exercise(
    "06.3",
    "backpropagation through the network, by hand",
    hints=(
        "the section 'The network and its loss' gives you the start of the sweep: the "
        "slope of one point's loss with respect to its logit z. Everything else is the "
        "chain rule going back through the formula for z, one point at a time, adding "
        "each point's contributions into 25 running totals.",
        "For each training point: run the network forward with floats, keeping the six "
        "hidden values. Take the slope of the loss at z (divided by the number of points, "
        "since the loss is a mean). It goes to the output bias as it is and to each "
        "output weight times that unit's hidden value. Through a unit's weight and its "
        "tanh (whose slope is one minus the hidden value squared) it reaches the unit's "
        "bias, and its two input weights times the point's coordinates. Keep the order "
        "of the flat list: hidden weights (two per unit), hidden biases, output weights, "
        "output bias.",
        "def hand_gradient(params):\n    h = (len(params) - 1) // 4\n"
        "    grads = [0.0] * len(params)\n    n = len(train_points)\n"
        "    for (x1, x2), y in zip(train_points, train_labels):\n"
        "        hidden = [math.tanh(params[2 * j] * x1 + params[2 * j + 1] * x2 "
        "+ params[2 * h + j]) for j in range(h)]\n"
        "        z = params[4 * h] + sum(params[3 * h + j] * hidden[j] for j in range(h))\n"
        "        if z >= 0:  # sigmoid(z), without overflow for large |z|\n"
        "            s = 1 / (1 + math.exp(-z))\n        else:\n"
        "            s = math.exp(z) / (1 + math.exp(z))\n"
        "        g = (s - y) / n\n        grads[4 * h] += g\n"
        "        for j in range(h):\n            grads[3 * h + j] += g * hidden[j]\n"
        "            a = g * params[3 * h + j] * (1 - hidden[j] ** 2)\n"
        "            grads[2 * j] += a * x1\n            grads[2 * j + 1] += a * x2\n"
        "            grads[2 * h + j] += a\n    return grads",
    ),
    forbid=(
        gradient,
        numerical_gradient,
        complex_step,
        derivative,
        Dual,
        jvp,
        vjp,
        jacobian_forward,
        jacobian_reverse,
        *GRAPH_SWEEPS,
    ),
    why="The point is to do by hand what the backward sweep does: forward mode, one pass "
    "per parameter, is not a backward sweep, and adlearn's own sweeps (adjoints, "
    "reverse_sweep, backpropagate) would do that sweep for you.",
)
def check_hand_gradient(
    hand_gradient: Callable[..., Any], mean_loss: Callable[[list[Any]], Any], size: int
) -> str:
    for key in ("06.3 a", "06.3 b"):
        params = _unseen_weights(key, size)
        with backward_replaced(_refusing_backward), _no_dual_numbers(), no_framework_autodiff(
            "The point is to write the backward sweep through the network yourself, with "
            "floats: a library's gradient would do it for you."
        ):
            got = hand_gradient([_RealParameter(p) for p in params])
        if not isinstance(got, (list, tuple)):
            raise Wrong(f"hand_gradient should return a list of {size} numbers, not {got!r}")
        want = gradient(lambda *q: mean_loss(list(q)), params)
        if len(got) != size:
            raise Wrong(f"hand_gradient returned {len(got)} numbers; there are {size} parameters")
        plain = [_plain(g, f"partial {i}") for i, g in enumerate(got)]
        _not_an_approximation(plain, want)
        for i, (g, w) in enumerate(zip(plain, want)):
            _near(g, w, f"the partial derivative {i}", 1e-9, 1e-12)
    return (
        f"all {size} partial derivatives agree with reverse mode at two sets of weights you "
        "had not seen, computed without backward(), dual numbers or complex numbers: a "
        "backward sweep by hand."
    )


def _not_an_approximation(got: Sequence[float], want: Sequence[float]) -> None:
    """Partials that are all close, some not to 1e-9: name the approximation."""
    def off(g: float, w: float) -> float:
        return abs(g - w) / max(abs(w), 1e-12 / 1e-9)

    misses = [i for i, (g, w) in enumerate(zip(got, want))
              if math.isnan(g) or abs(g - w) > max(1e-9 * abs(w), 1e-12)]
    if not misses or not all(abs(g - w) <= max(1e-5 * abs(w), 1e-8)
                             for g, w in zip(got, want)):
        return
    i = max(misses, key=lambda k: off(got[k], want[k]))
    raise Wrong(
        f"the partial derivatives are close but not exact (partial {i} is {got[i]!r}, but it "
        f"should be {want[i]!r}: off by {off(got[i], want[i]):.1g} relative, and the check "
        "wants 1e-9). That is the error of an approximation such as central differences: "
        "the backward sweep by hand gives each partial exactly, up to rounding"
    )


# --- 06.4: one training step of the network --------------------------------------------


def _recording_grads(weights: list[Variable]) -> Callable[..., Any]:
    """A backward() that also records, after each sweep, the .grad of `weights`."""
    records: list[list[float]] = []

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(self: Variable) -> Any:
            result = original(self)
            records.append([float(w.grad) for w in weights])
            return result

        return recorded

    wrap.records = records  # type: ignore[attr-defined]
    return wrap


@exercise(
    "06.4",
    "the planted bugs in a training step",
    hints=(
        "run the buggy step twice on a list of Variables and print their .value and .grad "
        "after each call. Does anything the caller holds move? What does .grad hold when "
        "the second step begins (the section 'Gradients accumulate' of lesson 05)?",
        "A step must change the caller's own Variables, in place, by minus the learning "
        "rate times the gradient that this step's backward() left in .grad, and must leave "
        "every .grad at zero for the next step. Return the loss computed before the move.",
        "def train_step(weights, lr):\n    L = mean_loss(weights)\n    L.backward()\n"
        "    for w in weights:\n        w.value -= lr * w.grad\n    L.zero_grad()\n"
        "    return L.value",
    ),
    forbid=(gradient,),
    why="Train with backward() on Variables you keep, as the lesson's loop does.",
)
def check_train_step(
    train_step: Callable[..., Any], mean_loss: Callable[[list[Any]], Any], size: int
) -> str:
    weights = [Variable(v) for v in _unseen_weights("06.4", size)]
    lr = unseen_points("06.4", 1, 0.5, 1.5)[0]
    for step in (1, 2):
        before = [w.value for w in weights]
        expected_loss = float(mean_loss(before))
        slopes = numerical_gradient(lambda *q: mean_loss(list(q)), before)
        recorder = _recording_grads(weights)
        with backward_replaced(recorder):
            returned = train_step(weights, lr)
        records = recorder.records  # type: ignore[attr-defined]
        _near(
            _plain(returned, f"what step {step} returns"),
            expected_loss,
            f"the loss returned by step {step}",
            1e-12,
        )
        for i, (w, old, s) in enumerate(zip(weights, before, slopes)):
            moved = w.value - old
            what = f"step {step} moved weight {i} by {moved:.6g}; it should move by {-lr * s:.6g}"
            if abs(moved + lr * s) > 1e-6 * max(1.0, abs(lr * s)):
                raise Wrong(what)
        if len(records) != 1:
            raise Wrong(
                f"step {step} called backward() {len(records)} times; a training step "
                "sweeps once and moves every weight by what that sweep left in .grad"
            )
        for i, (w, old, g) in enumerate(zip(weights, before, records[0])):
            if abs((w.value - old) + lr * g) > 1e-12 * max(1.0, abs(lr * g)):
                raise Wrong(
                    f"at step {step} weight {i} did not move by -lr times the .grad your "
                    "backward() left on it: move each weight by the gradient of the sweep"
                )
    return (
        f"two steps from weights you had not seen, with lr = {lr:.3g}: every one of the "
        f"{size} weights moved by -lr times its partial derivative (checked by central "
        "differences), and the returned loss is right."
    )


# --- 06.5: the largest stable learning rate with many parameters ----------------------


def _many_parameter_losses() -> list[tuple[str, Callable[..., Any], list[float], np.ndarray]]:
    """(name, loss, its minimiser, its Hessian there by hand), at points not seen before."""
    q = unseen_points("06.5 point", 3, 0.4, 1.4)
    ts = unseen_points("06.5 t", 6, -1.0, 1.0)
    ys = unseen_points("06.5 y", 6, -1.0, 2.0)
    design = np.array([[1.0, t, t * t] for t in ts])
    best = [float(v) for v in np.linalg.lstsq(design, np.array(ys), rcond=None)[0]]

    def fit(a: Any, b: Any, c: Any) -> Any:
        return sum((a + b * t + c * t * t - y) ** 2 for t, y in zip(ts, ys)) / len(ts)

    def curved(a: Any, b: Any, c: Any) -> Any:
        return (
            (a * b - q[0] * q[1]) ** 2
            + (a + c * c - q[0] - q[2] ** 2) ** 2
            + (sin(b) * c - math.sin(q[1]) * q[2]) ** 2
        )

    jacobian = np.array(
        [[q[1], q[0], 0.0], [1.0, 0.0, 2 * q[2]], [0.0, math.cos(q[1]) * q[2], math.sin(q[1])]]
    )

    def two(a: Any, b: Any) -> Any:
        return (exp(a) - math.exp(q[0])) ** 2 + 3 * (a - b) ** 2

    e = math.exp(2 * q[0])
    return [
        ("a curve fit of 3 parameters", fit, best, 2 * design.T @ design / len(ts)),
        ("a curved loss of 3 parameters", curved, list(q), 2 * jacobian.T @ jacobian),
        ("a loss of 2 parameters", two, [q[0], q[0]], np.array([[2 * e + 6, -6], [-6, 6.0]])),
    ]


def _distance_after(loss: Callable[..., Any], point: list[float], lr: float) -> float:
    """Gradient descent from beside the minimum: the distance after 100 steps over at start."""
    x = [v + 1e-4 * d for v, d in zip(point, (1.0, -0.7, 0.4))]
    start = math.dist(x, point)
    try:
        for _ in range(100):
            x = [v - lr * s for v, s in zip(x, gradient(loss, x))]
            if math.dist(x, point) > 1e3 * start:
                break
    except (OverflowError, ValueError):
        return math.inf
    return math.dist(x, point) / start


@exercise(
    "06.5",
    "the largest stable learning rate with many parameters",
    hints=(
        "the section 'Many parameters: the sharpest direction sets the rate'. You need the "
        "matrix of second derivatives at the minimum, then one number from it. adlearn's "
        "hessian is switched off: build the matrix from derivatives you can already take.",
        "Entry (i, j) of the Hessian is the derivative, along parameter i, of the j-th "
        "entry of the gradient: move only parameter i to a number s, take the gradient "
        "there with reverse mode, pick entry j, and differentiate that with respect to s "
        "with forward mode. With the whole matrix, take its largest eigenvalue (numpy's "
        "eigvalsh) and return the limit the section gives.",
        "def largest_stable_rate_many(loss, point):\n    n = len(point)\n\n"
        "    def moved(i, s):\n        return [s if k == i else v for k, v in enumerate(point)]\n\n"
        "    H = [[derivative(lambda s: gradient(loss, moved(i, s))[j], point[i])\n"
        "          for j in range(n)] for i in range(n)]\n"
        "    return 2 / max(np.linalg.eigvalsh(np.array(H, dtype=float)))",
    ),
    forbid=(second_derivative, hessian, hessian_vector_product, numerical_gradient),
    why="Build the Hessian from derivatives yourself: that is how those functions work inside.",
)
def check_largest_stable_rate_many(largest_stable_rate_many: Callable[..., Any]) -> str:
    for name, loss, point, by_hand in _many_parameter_losses():
        got = _plain(largest_stable_rate_many(loss, list(point)), f"your rate for {name}")
        want = 2 / float(max(np.linalg.eigvalsh(by_hand)))
        _near(got, want, f"largest_stable_rate_many for {name}", 1e-9)
        if not (
            _distance_after(loss, point, 0.9 * got)
            < 1.0
            < _distance_after(loss, point, 1.1 * got) / 100
        ):
            raise Wrong(
                f"for {name}, gradient descent does not switch from converging to not "
                "converging at your rate"
            )
    return (
        "2 / λ_max(H) is right for three losses of 2 and 3 parameters you had not seen, and "
        "gradient descent converges at 0.9 times your rate and flies off at 1.1 times it."
    )
