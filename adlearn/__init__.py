"""adlearn: automatic differentiation from scratch, for learning.

* `Complex`: a complex number built by operator overloading (lesson 01).
* `Dual`: forward mode (lessons 02 and 03).
* `Variable`: reverse mode (lesson 04).
* `Tensor`: reverse mode on NumPy arrays, one node per array operation (lesson 10).
* Math functions that work on floats, complex numbers, `Dual`, `Variable` and `Tensor`.
* Derivatives of whole functions: `derivative`, `gradient`, the Jacobian by both
  modes, `jvp` and `vjp`; and of derivatives (`adlearn.higher`).

The derivative rules live in one table, ``adlearn/rules.py``: every operator of Dual
and Variable calls its row there (``adlearn.show_code("mul")`` prints both).
"""

from .complex_number import Complex
from .core import RULES, Node, PerturbationError, Primitive, apply, new_tag, topological_order
from .derivatives import derivative, gradient, jacobian_forward, jacobian_reverse, jvp, vjp
from .dual import Dual
from .graph import Drawing, draw
from .higher import (
    checkpointed_gradient,
    hessian,
    hessian_vector_product,
    second_derivative,
    value_and_derivative,
)
from .primitives import constant_partials, define_primitive, remove_primitive, show_code
from .rules import cos, exp, log, relu, sigmoid, sin, sqrt, tan, tanh
from .trace import forward_trace, reverse_trace
from .variable import Variable
from .widgets import explore, step_through

__all__ = [
    "RULES",
    "Complex",
    "Drawing",
    "Dual",
    "Node",
    "PerturbationError",
    "Primitive",
    "Variable",
    "apply",
    "checkpointed_gradient",
    "cos",
    "define_primitive",
    "derivative",
    "draw",
    "exp",
    "explore",
    "forward_trace",
    "gradient",
    "hessian",
    "hessian_vector_product",
    "jacobian_forward",
    "jacobian_reverse",
    "jvp",
    "log",
    "new_tag",
    "relu",
    "remove_primitive",
    "reverse_trace",
    "second_derivative",
    "show_code",
    "constant_partials",
    "sigmoid",
    "sin",
    "sqrt",
    "step_through",
    "tan",
    "tanh",
    "topological_order",
    "value_and_derivative",
    "vjp",
]
__version__ = "0.2.0"

# --- arrays (adlearn.tensor): imported on first use, so `import adlearn` needs no NumPy ---
_ARRAY_NAMES = ("Tensor", "sum", "mean", "maximum", "logsumexp", "softmax", "cross_entropy")


def __getattr__(name: str) -> object:
    if name in _ARRAY_NAMES:
        from . import tensor

        value = getattr(tensor, name)
        globals()[name] = value  # from now on an ordinary attribute
        return value
    raise AttributeError(f"module 'adlearn' has no attribute {name!r}")
