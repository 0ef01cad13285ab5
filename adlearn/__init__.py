"""adlearn: automatic differentiation from scratch, for learning.

* `Complex`: a complex number built by operator overloading (lesson 01).
* `Dual`: forward mode (lessons 02 and 03).
* `Variable`: reverse mode (lesson 04).
* Math functions that work on floats, complex numbers, `Dual` and `Variable`.
* Derivatives of whole functions: `derivative`, `gradient`, the Jacobian by both
  modes, `jvp` and `vjp`.

The derivative rules live in one table, ``adlearn/rules.py``.
"""

from .complex_number import Complex
from .core import RULES, Node, Primitive, apply, topological_order
from .derivatives import (
    PerturbationError,
    derivative,
    gradient,
    jacobian_forward,
    jacobian_reverse,
    jvp,
    vjp,
)
from .dual import Dual
from .graph import Drawing, draw
from .higher import (
    checkpointed_gradient,
    hessian,
    hessian_vector_product,
    second_derivative,
    value_and_derivative,
)
from .rules import (
    FUNCTIONS,
    cos,
    define_primitive,
    exp,
    log,
    relu,
    sigmoid,
    sin,
    sqrt,
    tan,
    tanh,
)
from .trace import forward_trace, reverse_trace
from .variable import Variable
from .widgets import step_through

__all__ = [
    "value_and_derivative",
    "second_derivative",
    "hessian_vector_product",
    "hessian",
    "checkpointed_gradient",
    "FUNCTIONS",
    "PerturbationError",
    "RULES",
    "Complex",
    "Drawing",
    "Dual",
    "Node",
    "Primitive",
    "Variable",
    "apply",
    "cos",
    "define_primitive",
    "derivative",
    "draw",
    "exp",
    "forward_trace",
    "gradient",
    "jacobian_forward",
    "jacobian_reverse",
    "jvp",
    "log",
    "relu",
    "reverse_trace",
    "sigmoid",
    "sin",
    "sqrt",
    "step_through",
    "tan",
    "tanh",
    "topological_order",
    "vjp",
]
__version__ = "0.1.0"
