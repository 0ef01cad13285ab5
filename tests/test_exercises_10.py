"""The exercises of lesson 10: worked solutions pass; wrong answers and shortcuts do not.

The lesson's scaffolding (``Node``, ``backward``) and its worked solutions are read
from the notebook and run in ``__main__``, where a notebook's code lives; the wrong
answers are the worked solutions with one typical slip each.
"""

import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

import adlearn
from adlearn.checks import CheckFailed, lesson10
from adlearn.checks.exercise import EXERCISES

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "10-from-numbers-to-arrays.ipynb"
CELLS = nbformat.read(NOTEBOOK, as_version=4).cells
SCAFFOLD = [c.source for c in CELLS if c.cell_type == "code" and c.source.startswith("class Node")]


def _solution(name: str) -> str:
    """The worked solution cell that defines `name`, without the marker lines."""
    for cell in CELLS:
        if "solution" in cell.metadata.get("tags", []) and f"def {name}(" in cell.source:
            lines = cell.source.splitlines()
            return "\n".join(line for line in lines if "### " not in line) + "\n"
    raise AssertionError(f"no solution cell defines {name}")


TANH = _solution("tanh")
MATMUL = _solution("matmul")
BROADCASTING = _solution("add")
CROSS_ENTROPY = _solution("softmax_cross_entropy")
SOLVED = (TANH, MATMUL, BROADCASTING, CROSS_ENTROPY)


@pytest.fixture
def lesson(monkeypatch):
    """Run sources in __main__ as notebook cells; the lesson's scaffolding first."""
    namespace = vars(sys.modules["__main__"])
    before = set(namespace)
    monkeypatch.setitem(namespace, "np", np)
    monkeypatch.setitem(namespace, "adlearn", adlearn)
    monkeypatch.setitem(namespace, "Tensor", adlearn.Tensor)

    def run(*sources):
        for source in sources:
            exec(textwrap.dedent(source), namespace)
        return namespace

    run(*SCAFFOLD)
    yield run
    for key in set(namespace) - before:
        namespace.pop(key, None)


def checks(ns):
    return {
        "10.1": lambda: lesson10.check_tanh(ns["tanh"], ns["Node"]),
        "10.2": lambda: lesson10.check_matmul(ns["matmul"], ns["Node"]),
        "10.3": lambda: lesson10.check_broadcasting(ns["add"], ns["total"], ns["Node"]),
        "10.4": lambda: lesson10.check_cross_entropy(ns["softmax_cross_entropy"], ns["Node"]),
    }


SAID = {
    "10.1": "a node used twice gets both shares",
    "10.2": "A @ A collects both shares",
    "10.3": "broadcast in every way",
    "10.4": "logits of 1000 do not overflow",
}


def test_the_scaffolding_is_found():
    assert len(SCAFFOLD) == 1 and "def backward(output)" in SCAFFOLD[0]


@pytest.mark.parametrize("key", sorted(SAID))
def test_worked_solution_passes(lesson, key):
    result = checks(lesson(*SOLVED))[key]()
    assert result and SAID[key] in repr(result)


TANH_BY_TENSOR = """
def tanh(x):
    t = Tensor(x.value)
    y = adlearn.tanh(t)
    def vjp(g):
        y.backward(g)
        return t.grad
    return Node(y.value, (x,), (vjp,), "tanh")
"""

TANH_BY_TENSOR_MODULE = TANH_BY_TENSOR.replace("Tensor(x.value)", "adlearn.tensor.Tensor(x.value)")

TANH_ADDS_ITSELF = """
def tanh(x):
    y = np.tanh(x.value)
    def vjp(g):
        share = g * (1 - y**2)
        x.grad = share if x.grad is None else x.grad + share
        return share
    return Node(y, (x,), (vjp,), "tanh")
"""

CROSS_ENTROPY_BY_ADLEARN = """
def softmax_cross_entropy(logits, labels):
    t = Tensor(logits.value)
    loss = adlearn.cross_entropy(t, labels)
    def vjp(g):
        loss.backward(g)
        return t.grad
    return Node(loss.value, (logits,), (vjp,), "cross-entropy")
"""

# --- the second review's attempts (/tmp/rev10/attempts), each accepted or misjudged before ---

TANH_BY_CENTRAL_DIFFERENCES = """
def tanh(x):
    h = 1e-6
    d = (np.tanh(x.value + h) - np.tanh(x.value - h)) / (2 * h)
    return Node(np.tanh(x.value), (x,), (lambda G: G * d,))
"""

TANH_DOUBLE_COUNTS = """
def tanh(x):
    y = np.tanh(x.value)
    def vjp(G):
        share = G * (1 - y**2)
        x.grad = share if x.grad is None else x.grad + share
        return share
    return Node(y, (x,), (vjp,))
"""

MATMUL_BY_CENTRAL_DIFFERENCES = """
def matmul(a, b):
    A, B = a.value, b.value
    def num(which, G):
        X = (A if which == 0 else B).copy(); out = np.zeros_like(X); h = 1e-6
        for idx in np.ndindex(X.shape):
            old = X[idx]
            X[idx] = old + h; fp = np.sum(G * ((X @ B) if which == 0 else (A @ X)))
            X[idx] = old - h; fm = np.sum(G * ((X @ B) if which == 0 else (A @ X)))
            X[idx] = old; out[idx] = (fp - fm) / (2 * h)
        return out
    return Node(A @ B, (a, b), (lambda G: num(0, G), lambda G: num(1, G)))
"""

MATMUL_BY_THE_TABLE = """
from adlearn.array_rules import ARRAY_RULES
R = ARRAY_RULES["matmul"]
def matmul(a, b):
    A, B = a.value, b.value
    out = R.value(A, B)
    return Node(out, (a, b), tuple((lambda G, v=v: v(G, out, A, B)) for v in R.vjps))
"""

MATMUL_BY_THE_TABLE_INSIDE = """
def matmul(a, b):
    from adlearn.tensor import ARRAY_RULES
    A, B = a.value, b.value
    vjps = ARRAY_RULES["matmul"].vjps
    return Node(A @ B, (a, b), tuple((lambda G, v=v: v(G, A @ B, A, B)) for v in vjps))
"""

ADD_BY_ADLEARNS_UNBROADCAST = """
from adlearn.array_rules import unbroadcast

def add(a, b):
    sa, sb = a.value.shape, b.value.shape
    return Node(a.value + b.value, (a, b),
                (lambda G: unbroadcast(G, sa), lambda G: unbroadcast(G, sb)))
"""

TOTAL_WITHOUT_EXPAND_DIMS = """
def total(x, axis=None):
    X = x.value
    return Node(np.sum(X, axis=axis), (x,), (lambda G: np.broadcast_to(G, X.shape).copy(),))
"""

LOSS_BY_LOG_OF_STABLE_SOFTMAX = """
def softmax_cross_entropy(logits, labels):
    z = logits.value; n = len(labels)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    onehot = np.eye(z.shape[1])[labels]
    value = -np.mean(np.log(p[np.arange(n), labels]))
    return Node(value, (logits,), (lambda G: G * (p - onehot) / n,))
"""

LOSS_SHIFTED_BY_THE_BATCH_MAX = """
def softmax_cross_entropy(logits, labels):
    z = logits.value; n = len(labels)
    m = z.max()
    e = np.exp(z - m)
    lse = m + np.log(e.sum(axis=1))
    p = e / e.sum(axis=1, keepdims=True)
    onehot = np.eye(z.shape[1])[labels]
    value = np.mean(lse - z[np.arange(n), labels])
    return Node(value, (logits,), (lambda G: G * (p - onehot) / n,))
"""

LOSS_BY_THE_TABLE = """
from adlearn.array_rules import ARRAY_RULES
R = ARRAY_RULES["cross_entropy"]
def softmax_cross_entropy(logits, labels):
    z = logits.value
    loss, saved = R.value(z, labels)
    return Node(loss, (logits,), (lambda G: R.vjps[0](G, loss, z, labels, saved),))
"""

LOSS_BY_CENTRAL_DIFFERENCES = """
def softmax_cross_entropy(logits, labels):
    z = logits.value; n = len(labels)
    def f(z):
        m = z.max(axis=1, keepdims=True)
        return np.mean(m[:, 0] + np.log(np.exp(z - m).sum(axis=1)) - z[np.arange(n), labels])
    def vjp(G):
        g = np.zeros_like(z); h = 1e-6
        for idx in np.ndindex(z.shape):
            zp = z.copy(); zp[idx] += h; zm = z.copy(); zm[idx] -= h
            g[idx] = (f(zp) - f(zm)) / (2 * h)
        return G * g
    return Node(f(z), (logits,), (vjp,))
"""

LOSS_BODY = """
def softmax_cross_entropy(logits, labels):
    z = logits.value; n = len(labels)
    m = z.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    p = np.exp(z - lse[:, None])
    onehot = np.eye(z.shape[1])[labels]
    value = np.mean(lse - z[np.arange(n), labels])
    return Node(value, (logits,), (lambda G: G * (p - onehot) / n,))
"""
LOSS_SIGN_FLIPPED = LOSS_BODY.replace("(p - onehot)", "(onehot - p)")
LOSS_IS_A_SUM = LOSS_BODY.replace("np.mean(", "np.sum(").replace("(p - onehot) / n", "(p - onehot)")

MATMUL_2D_ONLY = """
def matmul(a, b):
    return Node(a.value @ b.value, (a, b),
                (lambda g: g @ b.value.T, lambda g: a.value.T @ g), "@")
"""

REVIEWED = [  # the review's attempt, the message that now names what is wrong
    # the first key's matmul (I10): the exercise now asks for a vector a too, not in the text
    ("10.2", MATMUL_2D_ONLY, r"With a vector a of shape \(5,\).*write B̄\[k, j\] for one row"),
    ("10.1", TANH_BY_CENTRAL_DIFFERENCES, "close but not exact.*central differences"),
    ("10.1", TANH_DOUBLE_COUNTS, "exactly twice.*add into x.grad"),
    ("10.2", MATMUL_BY_CENTRAL_DIFFERENCES, "close but not exact.*central differences"),
    ("10.2", MATMUL_BY_THE_TABLE, "rule table is switched off"),
    ("10.2", MATMUL_BY_THE_TABLE_INSIDE, "array rules are the answer"),
    ("10.3", ADD_BY_ADLEARNS_UNBROADCAST, r"unbroadcast\(\) is switched off"),
    ("10.3", TOTAL_WITHOUT_EXPAND_DIMS, r"total\(x, axis=1\)'s VJP for its first input x failed"),
    ("10.4", LOSS_BY_LOG_OF_STABLE_SOFTMAX, "log 0 is -inf.*logsumexp"),
    ("10.4", LOSS_SHIFTED_BY_THE_BATCH_MAX, "each row's own maximum"),
    ("10.4", LOSS_BY_THE_TABLE, "rule table is switched off"),
    ("10.4", LOSS_BY_CENTRAL_DIFFERENCES, "close but not exact.*central differences"),
    ("10.4", LOSS_SIGN_FLIPPED, "wrong sign"),
    ("10.4", LOSS_IS_A_SUM, "times too large: it is the sum"),
]


@pytest.mark.parametrize("key, source, said", REVIEWED)
def test_the_reviews_attempts_are_rejected_and_named(lesson, key, source, said):
    ns = lesson(*SOLVED, source)
    with pytest.raises(CheckFailed, match=said) as caught:
        checks(ns)[key]()
    message = str(caught.value)
    assert "switched off" in message or "Where to look: Read the section" in message
    # and the key's own functions are back once the check is over
    assert adlearn.tensor.ARRAY_RULES["matmul"] is adlearn.array_rules.ARRAY_RULES["matmul"]
    assert callable(adlearn.array_rules.unbroadcast) and "unbroadcast" in repr(
        adlearn.array_rules.unbroadcast
    )


def test_a_wrong_value_message_never_shows_two_equal_numbers():
    with pytest.raises(lesson10.Wrong) as caught:
        lesson10._compare(np.array([0.1 + 3e-10]), np.array([0.1]), "x")
    numbers = caught.value.args[0].split("it is ")[1].split(": off")[0]
    got, expected = numbers.split(", but it should be ")
    assert got != expected and "off by 3e-09 relative" in caught.value.args[0]


def test_the_training_cell_says_when_a_check_has_not_passed(lesson, capsys):
    ns = lesson(*SOLVED)
    for key, check in checks(ns).items():
        assert check(), key
    build = lambda: ns["softmax_cross_entropy"](ns["Node"](np.zeros((2, 3))), np.array([0, 1]))
    lesson10.when_ready(build, lambda loss: loss)
    assert "Note" not in capsys.readouterr().out
    ns = lesson(MATMUL.replace("a.value.T @ g", "0.5 * a.value.T @ g"))
    with pytest.raises(CheckFailed):
        checks(ns)["10.2"]()
    loss = lesson10.when_ready(build, lambda loss: loss)
    said = capsys.readouterr().out
    assert "exercise 10.2 has not passed" in said and "Wrong gradients can still train" in said
    assert float(loss.value) == pytest.approx(np.log(3))


def test_every_training_cell_is_cleared_in_the_learner_edition():
    for cell in CELLS:
        if cell.cell_type == "code" and "when_ready(" in cell.source:
            assert "uses-solutions" in cell.metadata.get("tags", []), cell.source[:60]


WRONG = [  # exercise, a typical wrong answer or shortcut, the message
    ("10.1", TANH.replace("g * (1 - y**2)", "g * (1 - x.value**2)"), "1 - x² with the input x"),
    ("10.1", TANH.replace("g * (1 - y**2)", "np.sum(g * (1 - y**2))"), r"shape \(\)"),
    ("10.1", TANH_ADDS_ITSELF, "The gradient of a tanh node of shape"),
    ("10.1", TANH_BY_TENSOR, r"Tensor\(\) is switched off"),
    ("10.1", TANH_BY_TENSOR_MODULE, r"Tensor\(\) is switched off"),
    ("10.2", MATMUL.replace("g @ b.value.T", "g @ b.value"), "a transpose is missing"),
    ("10.2", MATMUL.replace("a.value.T @ g", "a.value @ g"), "a transpose is missing"),
    ("10.2", MATMUL.replace("a.value.T @ g", "g.T @ a.value"), "B̄ for A of shape"),
    (
        "10.2",
        "def matmul(a, b):\n    t, u = Tensor(a.value), Tensor(b.value)\n    return t @ u",
        r"Tensor\(\) is switched off",
    ),
    (
        "10.3",
        BROADCASTING.replace("lambda g: unbroadcast(g, b.value.shape)", "lambda g: g"),
        "summed over the broadcast axes",
    ),
    (
        "10.3",
        BROADCASTING.replace("g = g.sum(axis=axis, keepdims=True)", "pass"),
        "summed over the broadcast axes",
    ),
    (
        "10.3",
        BROADCASTING.replace("np.broadcast_to(g, x.value.shape).copy()", "g"),
        r"total\(x, axis=None\)'s VJP for its first input x returned an array of shape",
    ),
    ("10.4", CROSS_ENTROPY.replace("g * grad / len(labels)", "g * grad"), "n times too large"),
    (
        "10.4",
        CROSS_ENTROPY.replace("z - z.max(axis=1, keepdims=True)", "z"),
        "exp\\(1000\\) overflows",
    ),
    ("10.4", CROSS_ENTROPY.replace("grad[rows, labels] -= 1", "pass"), "The gradient of the loss"),
    ("10.4", CROSS_ENTROPY_BY_ADLEARN, r"Tensor\(\) is switched off"),
]


@pytest.mark.parametrize("key, source, said", WRONG)
def test_wrong_answer_or_shortcut_is_rejected_with_a_hint(lesson, key, source, said):
    ns = lesson(*SOLVED, source)
    with pytest.raises(CheckFailed, match=said) as caught:
        checks(ns)[key]()
    message = str(caught.value)
    assert "switched off" in message or "Where to look" in message


def test_the_sweep_catches_a_double_counted_fan_out(lesson):
    # the same slip, seen where it matters most: a node used twice
    ns = lesson(*SOLVED, TANH_ADDS_ITSELF)
    x = ns["Node"](np.array([0.5, -1.0]))
    y = ns["tanh"](x)
    lesson10.sweep(y, np.ones(2), ns["Node"])
    assert np.allclose(x.grad, 2 * (1 - np.tanh(x.value) ** 2))  # twice the truth


STUBS = {
    "10.1": "def tanh(x):\n    raise NotImplementedError",
    "10.2": "def matmul(a, b):\n    raise NotImplementedError",
    "10.3": "def add(a, b):\n    raise NotImplementedError",
    "10.4": "def softmax_cross_entropy(logits, labels):\n    raise NotImplementedError",
}


@pytest.mark.parametrize("key", sorted(STUBS))
def test_the_stub_is_not_done_yet(lesson, key):
    result = checks(lesson(*SOLVED, STUBS[key]))[key]()
    assert not result and not result.done and "Not done yet" in repr(result)


def test_tensor_works_again_after_a_check(lesson):
    ns = lesson(*SOLVED, TANH_BY_TENSOR)
    with pytest.raises(CheckFailed):
        checks(ns)["10.1"]()
    x = adlearn.Tensor([1.0, 2.0])
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    assert adlearn.Tensor is adlearn.tensor.Tensor


def test_the_training_cell_waits_for_the_rules(lesson):
    ns = lesson(*SOLVED, STUBS["10.4"])

    def build():
        return ns["softmax_cross_entropy"](ns["Node"](np.zeros((2, 3))), np.array([0, 1]))

    note = lesson10.when_ready(build, lambda loss: loss)
    assert repr(note).startswith("… Not ready yet: finish exercises 10.1 to 10.4")
    ns = lesson(*SOLVED)
    loss = lesson10.when_ready(build, lambda loss: loss)
    assert float(loss.value) == pytest.approx(np.log(3))


@pytest.mark.parametrize("key", sorted(SAID))
def test_three_hints_a_nudge_first(key):
    entry = EXERCISES[key]
    assert len(entry.hints) == 3
    assert "def " not in entry.hints[0] and "def " not in entry.hints[1]
    assert "def " in entry.hints[2]


def test_a_patched_tensor_cannot_become_the_reference(lesson):
    # the learner's matmul agrees with a Tensor whose rows they replaced: refused
    rows = dict(adlearn.tensor.ARRAY_RULES)
    ns = lesson(*SOLVED, MATMUL.replace("g @ b.value.T", "g @ b.value"))
    try:
        adlearn.tensor.ARRAY_RULES["matmul"] = adlearn.tensor.ARRAY_RULES["add"]
        with pytest.raises(CheckFailed, match="array rules were changed"):
            checks(ns)["10.2"]()
    finally:
        adlearn.tensor.ARRAY_RULES.clear()
        adlearn.tensor.ARRAY_RULES.update(rows)


# --- a framework's VJP is switched off too (the final learner run, item 7) --------------

FRAMEWORK_VJPS = [
    (
        "10.1",
        "jax",
        """
import jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
def tanh(x):
    y, back = jax.vjp(jnp.tanh, jnp.asarray(x.value))
    return Node(np.asarray(y), (x,), (lambda g: np.asarray(back(jnp.asarray(g))[0]),), "tanh")
""",
    ),
    (
        "10.2",
        "torch",
        """
import torch
def matmul(a, b):
    A = torch.tensor(a.value, requires_grad=True)
    B = torch.tensor(b.value, requires_grad=True)
    C = A @ B
    def back(g, which):
        ga, gb = torch.autograd.grad(C, (A, B), torch.tensor(g), retain_graph=True)
        return (ga if which == 0 else gb).numpy()
    return Node(C.detach().numpy(), (a, b), (lambda g: back(g, 0), lambda g: back(g, 1)), "@")
""",
    ),
    (
        "10.4",
        "torch",
        """
import torch
def softmax_cross_entropy(logits, labels):
    z=torch.tensor(logits.value,requires_grad=True)
    L=torch.nn.functional.cross_entropy(z, torch.tensor(np.asarray(labels),dtype=torch.long))
    L.backward()
    g=z.grad.numpy().copy()
    return Node(np.asarray(L.item()),(logits,),(lambda G: G*g,),op='sce')
""",  # the final learner run's shortcut, as typed (one line split in two)
    ),
]


@pytest.mark.parametrize("key, library, source", FRAMEWORK_VJPS)
def test_a_frameworks_vjp_is_switched_off(lesson, key, library, source):
    pytest.importorskip(library)
    ns = lesson(*SOLVED, source)
    with pytest.raises(CheckFailed, match=r"(?s)automatic differentiation .*is switched off "
                       r"while it is checked.*Where to look: .*run hint\(" + f'"{key}"'):
        checks(ns)[key]()


def test_the_worked_solutions_pass_with_both_frameworks_imported(lesson):
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    import jax  # noqa: F401
    import torch  # noqa: F401

    ns = lesson(*SOLVED)
    for key in SAID:
        assert checks(ns)[key]()


# --- review 2 of the shortcuts (/work/wt/notices/review-shortcuts-2.md), as typed ----------
# The lesson's helper, as its cell defines it: a Variable per entry of an array.
AS_VARIABLES = "as_variables = np.vectorize(adlearn.Variable, otypes=[object])\n"

TANH_BY_VARIABLES = AS_VARIABLES + """
def tanh(x):
    y = np.tanh(x.value)
    def vjp(G):
        xs = as_variables(x.value)
        np.sum(G * np.vectorize(adlearn.tanh, otypes=[object])(xs)).backward()
        return np.vectorize(lambda v: v.grad)(xs).astype(float)
    return Node(y, (x,), (vjp,))
"""

TANH_BY_DERIVATIVE = """
def tanh(x):
    y = np.tanh(x.value)
    d = np.vectorize(lambda v: adlearn.derivative(adlearn.tanh, float(v)))
    return Node(y, (x,), (lambda G: G * d(x.value),))
"""

TANH_BY_DUAL = """
def tanh(x):
    y = np.tanh(x.value)
    d = np.vectorize(lambda v: adlearn.tanh(adlearn.Dual(float(v), 1.0)).derivative)
    return Node(y, (x,), (lambda G: G * d(x.value),))
"""

TANH_BY_THE_SCALAR_ROW = """
def tanh(x):
    y = np.tanh(x.value)
    return Node(y, (x,), (lambda G: G * adlearn.RULES["tanh"].partials(x.value, y)[0],))
"""

MATMUL_BY_VARIABLES = AS_VARIABLES + """
def matmul(a, b):
    def vjps():
        A, B = as_variables(a.value), as_variables(b.value)
        return A, B
    def ga(G):
        A, B = vjps(); np.sum(G * (A @ B)).backward()
        return np.vectorize(lambda v: v.grad)(A).astype(float)
    def gb(G):
        A, B = vjps(); np.sum(G * (A @ B)).backward()
        return np.vectorize(lambda v: v.grad)(B).astype(float)
    return Node(a.value @ b.value, (a, b), (ga, gb))
"""

ADD_BY_VARIABLES = AS_VARIABLES + """
def add(a, b):
    def vj(i):
        def f(G):
            A, B = as_variables(a.value), as_variables(b.value)
            np.sum(G * (A + B)).backward()
            return np.vectorize(lambda v: v.grad)((A, B)[i]).astype(float).reshape((a, b)[i].value.shape)
        return f
    return Node(a.value + b.value, (a, b), (vj(0), vj(1)))
"""  # noqa: E501

CROSS_ENTROPY_BY_VARIABLES = AS_VARIABLES + """
def softmax_cross_entropy(logits, labels):
    z = logits.value; n = z.shape[0]; lab = np.asarray(labels)
    m = z.max(axis=1, keepdims=True)
    val = np.mean(m[:, 0] + np.log(np.exp(z - m).sum(axis=1)) - z[np.arange(n), lab])
    def vjp(G):
        Z = as_variables(z - m)
        rows = [adlearn.log(sum(adlearn.exp(v) for v in Z[r])) - Z[r, lab[r]] for r in range(n)]
        (sum(rows) * (float(G) / n)).backward()
        return np.vectorize(lambda v: v.grad)(Z).astype(float)
    return Node(np.asarray(val), (logits,), (vjp,))
"""

SCALAR_ENGINE_ATTEMPTS = [
    ("10.1", TANH_BY_VARIABLES, r"Variable\(\) is switched off.*scalar engine"),
    ("10.1", TANH_BY_DERIVATIVE, r"derivative\(\) is switched off.*scalar engine"),
    ("10.1", TANH_BY_DUAL, r"Dual\(\) is switched off"),
    ("10.2", MATMUL_BY_VARIABLES, r"Variable\(\) is switched off"),
    ("10.3", ADD_BY_VARIABLES, r"Variable\(\) is switched off"),
    ("10.4", CROSS_ENTROPY_BY_VARIABLES, r"Variable\(\) is switched off"),
]


@pytest.mark.parametrize("key, source, said", SCALAR_ENGINE_ATTEMPTS)
def test_the_scalar_engine_inside_a_vjp_is_refused(lesson, key, source, said):
    ns = lesson(*SOLVED, source)
    with pytest.raises(CheckFailed, match=said):
        checks(ns)[key]()
    x = adlearn.Variable(0.5)  # the scalar engine works again afterwards
    adlearn.tanh(x).backward()
    assert x.grad == pytest.approx(1 - np.tanh(0.5) ** 2, rel=1e-15)


def test_the_scalar_rows_partials_shown_by_the_lesson_stay_allowed(lesson):
    ns = lesson(*SOLVED, TANH_BY_THE_SCALAR_ROW)
    assert checks(ns)["10.1"]()


def test_pytorch_backward_is_refused_through_any_module_that_holds_it():
    # the second grading review reached PyTorch's backward through torch.autograd.graph,
    # which holds the same function as torch.autograd; every holder is switched off
    torch = pytest.importorskip("torch")
    import torch.autograd.graph as graph

    from adlearn.checks.exercise import Wrong
    from adlearn.checks.frameworks import no_framework_autodiff

    x = torch.tensor([1.5], dtype=torch.float64, requires_grad=True)
    refused = pytest.raises(Wrong, match="PyTorch's automatic differentiation")
    with refused, no_framework_autodiff("Write the VJP yourself."):
        y = (x * x).sum()
        graph._engine_run_backward((y,), (torch.ones((), dtype=torch.float64),),
                                   False, False, (), allow_unreachable=True,
                                   accumulate_grad=True)
    y = (x * x).sum()
    y.backward()  # put back on leaving
    assert float(x.grad) == 3.0
