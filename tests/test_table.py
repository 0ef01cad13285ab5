"""The rule table cannot be hijacked, and a failed definition leaves it as it was."""

import math

import pytest

import adlearn
from adlearn import RULES, Dual, Variable, define_primitive, remove_primitive
from adlearn.core import OPERATORS


def snapshot():
    methods = {
        kind: {k: v for k, v in vars(kind).items() if k.startswith("__")}
        for kind in (Dual, Variable)
    }
    return dict(RULES), dict(OPERATORS), methods


def test_an_operator_another_row_owns_is_refused_unless_replace():
    before = snapshot()
    with pytest.raises(ValueError, match="'mul' already belongs to the row 'mul'.*replace=True"):
        define_primitive(
            "scaled_mul",
            value=lambda x, y: 2 * x * y,
            partials=lambda x, y, out: (2 * y, 2 * x),
            operator="mul",
        )
    assert snapshot() == before
    assert (Variable(3.0) * 2.0).value == 6.0


def test_replace_takes_an_operator_over_and_remove_gives_it_back():
    before = snapshot()
    define_primitive(
        "scaled_mul",
        value=lambda x, y: 2 * x * y,
        partials=lambda x, y, out: (2 * y, 2 * x),
        operator="mul",
        replace=True,
    )
    try:
        assert (Dual(3.0, 1.0) * 2.0).value == 12.0  # the new row runs *
        assert adlearn.derivative(lambda x: x * 5.0, 1.0) == 10.0
    finally:
        remove_primitive("scaled_mul")
    assert snapshot() == before
    assert (Dual(3.0, 1.0) * 2.0).value == 6.0 and (Variable(3.0) * Variable(2.0)).value == 6.0
    assert "scaled_mul" not in RULES


def test_remove_primitive_undoes_a_definition_and_keeps_the_built_in_rows():
    before = snapshot()
    cube = define_primitive(
        "cube_for_removal", value=lambda x: x**3, partials=lambda x, out: (3 * x * x,)
    )
    assert adlearn.derivative(cube, 2.0) == 12.0
    remove_primitive("cube_for_removal")
    assert snapshot() == before
    with pytest.raises(ValueError, match="adlearn's own table stay"):
        remove_primitive("sin")
    with pytest.raises(KeyError, match="no rule of that name"):
        remove_primitive("cube_for_removal")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": "soft plus"}, ValueError, "must be a Python name"),
        ({"name": "class"}, ValueError, "must be a Python name"),
        ({"name": "_hidden"}, ValueError, "may not start with _"),
        ({"operator": "eq"}, ValueError, "not an operator adlearn lets"),
        ({"operator": "init"}, ValueError, "not an operator adlearn lets"),
        ({"partials": lambda x, out: (math.sin(x),)}, ValueError, "changes at a rate"),
        (
            {"partials": lambda x, out: (cosine(x),)},  # noqa: F821 (the typo under test)
            NameError,
            "'twice'.*cosine",
        ),
        ({"partials": ("cos(x)",)}, TypeError, "must be a Python function"),
        ({"real": math.sin}, TypeError, "now called value="),
    ],
)
def test_a_failed_definition_leaves_the_table_exactly_as_it_was(kwargs, error, message):
    definition = {"value": lambda x: 2 * x, "partials": lambda x, out: (2.0,), **kwargs}
    definition = {"name": "twice", **definition}
    if "real" in kwargs:
        del definition["value"]
    before = snapshot()
    with pytest.raises(error, match=message):
        define_primitive(**definition)
    assert snapshot() == before


@pytest.mark.parametrize("name", ["eq", "init", "hash", "new", "add", "mul", "bool"])
def test_rows_named_like_special_methods_break_nothing(name):
    name = f"{name}" if name not in RULES else f"{name}_again"
    before = snapshot()
    f = define_primitive(name, value=lambda x: x + 1, partials=lambda x, out: (1.0,))
    try:
        assert f(Variable(2.0)).value == 3.0
        assert Variable(2.0) == 2.0 and Dual(2.0, 1.0) == Dual(2.0, 0.0)
        assert Variable(2.0).value == 2.0 and hash(Variable(1.0)) != hash(Variable(1.0))
        assert (Variable(2.0) + 1).value == 3.0 and bool(Variable(1.0))
    finally:
        remove_primitive(name)
    assert snapshot() == before


def test_a_typo_in_a_rule_names_the_row():
    with pytest.raises(NameError, match="define_primitive\\('typo_row'\\).*cso"):
        define_primitive("typo_row", value=math.sin, partials=lambda x, out: (cso(x),))  # noqa: F821
    assert "typo_row" not in RULES


def test_defining_the_same_rule_again_is_fine():
    def define():
        return define_primitive(
            "again_row", value=lambda x: x * x, partials=lambda x, out: (2 * x,)
        )

    define()
    try:
        assert adlearn.derivative(define(), 3.0) == 6.0  # a notebook cell run twice
    finally:
        remove_primitive("again_row")
