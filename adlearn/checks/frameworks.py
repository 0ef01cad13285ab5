"""JAX's and PyTorch's automatic differentiation, switched off while a check runs.

An exercise that asks for a backward sweep written by hand (06.3), or for a VJP written
with NumPy (10.1 to 10.4), would pass with ``jax.grad`` or PyTorch's ``backward()``: the
library would do the very work the exercise is about. `no_framework_autodiff` switches
their AD off while the learner's code runs.

Neither library is imported here (importing PyTorch takes seconds, and a learner who
never imported it cannot have used it): only a library the notebook has already imported
is switched off. A check that calls the learner's code more than once therefore also
catches a library imported inside that code: the second call finds it imported.

What is switched off is not the public names (an alias such as ``from jax import grad``
would escape) but the few functions that every route of the library's AD goes through,
looked up by the library itself at each call:

* JAX: ``jvp``, ``linearize`` and ``backward_pass`` of ``jax._src.interpreters.ad``,
  which ``jax.grad``, ``jax.value_and_grad``, ``jax.vjp``, ``jax.jvp``, ``jax.jacrev``,
  ``jax.jacfwd``, ``jax.hessian`` and ``jax.linearize`` all reach; jit is switched off
  too (``jax.disable_jit``), so that a gradient compiled earlier runs through them again;
* PyTorch: ``torch.autograd._engine_run_backward``, which ``Tensor.backward``,
  ``torch.autograd.grad``, ``torch.autograd.backward``, ``torch.func.grad`` and
  ``torch.func.vjp`` reach, and ``torch.autograd.forward_ad.make_dual`` (forward mode:
  dual tensors, ``torch.func.jvp``).

The library's ordinary arithmetic (``jnp.tanh``, a tensor's forward pass) still works.
A refusal is remembered, so code that catches the error and goes on is still refused.
Module attributes are swapped and put back; no function's code is changed, so this works
the same in class and in grading (`adlearn.checks.isolated`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from .exercise import ShortcutUsed, Wrong

DOORS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "JAX",
        "jax._src.interpreters.ad",
        ("jvp", "linearize", "backward_pass", "backward_pass3"),
        "jax.grad, jax.vjp, jax.value_and_grad, jax.jacrev, jax.jacfwd, jax.jvp",
    ),
    (
        "PyTorch",
        "torch.autograd",
        ("_engine_run_backward",),
        "backward(), torch.autograd.grad, torch.func.grad, torch.func.vjp",
    ),
    (
        "PyTorch",
        "torch.autograd.forward_ad",
        ("make_dual",),
        "dual tensors, torch.func.jvp",
    ),
)
"""(library, module, the functions every route of its AD goes through, what that covers)."""


def _refusal(library: str, shown: str, why: str) -> str:
    return (
        f"This exercise asks you to do the work yourself, so {library}'s automatic "
        f"differentiation ({shown}) is switched off while it is checked, and your code "
        f"called it. {why}"
    ).strip()


def _refusing(library: str, shown: str, why: str, refused: list[str]) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        message = _refusal(library, shown, why)
        refused.append(message)
        raise ShortcutUsed(message)

    return refuse


def _bound(module: Any, name: str) -> Any:
    try:
        return vars(module).get(name)
    except TypeError:  # an object in sys.modules without a __dict__
        return None


@contextlib.contextmanager
def no_framework_autodiff(why: str) -> Iterator[None]:
    """While inside, JAX's and PyTorch's AD refuse to run (if they are imported).

    On leaving, if the code inside called them, `Wrong` is raised with the refusal and
    `why`, even when that code caught the error: the check's message then adds the
    exercise's nudge.
    """
    refused: list[str] = []
    replaced: list[tuple[Any, str, Any]] = []
    with contextlib.ExitStack() as stack:
        try:
            for library, module_name, names, shown in DOORS:
                module = sys.modules.get(module_name)
                for name in names if module is not None else ():
                    original = getattr(module, name, None)
                    if not callable(original):
                        continue
                    # the same function under the same name in any other loaded module
                    # (torch.autograd.graph has _engine_run_backward too), read from the
                    # modules' own dicts so that no lazy import runs
                    for holder in [m for m in list(sys.modules.values())
                                   if _bound(m, name) is original]:
                        replaced.append((holder, name, original))
                        setattr(holder, name, _refusing(library, shown, why, refused))
            jax = sys.modules.get("jax")
            disable_jit = getattr(jax, "disable_jit", None)
            if callable(disable_jit):
                stack.enter_context(disable_jit())
            yield
        except BaseException:
            if refused:
                raise Wrong(refused[0]) from None
            raise
        finally:
            for module, name, original in reversed(replaced):
                setattr(module, name, original)
    if refused:
        raise Wrong(refused[0])
