"""Nodes: validation, immutability, interning, operator sugar."""

from __future__ import annotations

import copy
import pickle

import attrs
import pytest

from chainrule import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var, parse


def test_structural_equality_is_identity() -> None:
    a = Sum(Var("x"), Const(1))
    b = Sum(x=Var("x"), y=1)
    assert a == b
    assert a is b
    assert hash(a) == hash(b)
    assert {a: 1}[b] == 1


def test_int_and_float_constants_stay_distinct() -> None:
    assert Const(1) != Const(1.0)
    assert Const(0.0) != Const(-0.0)
    assert str(Const(-0.0)) == "-0.0"
    assert Const(2.5) is Const(2.5)


@pytest.mark.parametrize("value", [True, False, "1", 1j, None, [1]])
def test_const_rejects_non_numbers(value: object) -> None:
    with pytest.raises(TypeError, match="Const value"):
        Const(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_const_rejects_non_finite(value: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        Const(value)


def test_const_rejects_unprintable_integer() -> None:
    with pytest.raises(ValueError, match="digits"):
        Const(10**5000)


@pytest.mark.parametrize("name", ["", "1x", "x y", "x-1", "?x"])
def test_var_rejects_non_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="identifier"):
        Var(name)


def test_var_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="Var name"):
        Var(3)  # type: ignore[arg-type]


def test_numbers_become_constants() -> None:
    assert Sum(1, 2.5) == Sum(Const(1), Const(2.5))
    assert Exp(0) == Exp(Const(0))


@pytest.mark.parametrize("bad", ["x", None, True, [1], 1j])
def test_non_expression_child_names_the_field(bad: object) -> None:
    with pytest.raises(TypeError, match="'y'"):
        Sum(Var("x"), bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'x'"):
        TanH(bad)  # type: ignore[arg-type]


def test_nodes_are_frozen() -> None:
    e = Sum(Var("x"), Const(1))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        e.x = Const(2)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        e.extra = 1  # type: ignore[attr-defined]
    assert e == Sum(Var("x"), Const(1))


def test_operator_sugar_builds_the_same_nodes() -> None:
    x, y = Var("x"), Var("y")
    assert x + y == Sum(x, y)
    assert x - y == Sub(x, y)
    assert x * y == Mul(x, y)
    assert x / y == Div(x, y)
    assert 2 * x == Mul(Const(2), x)
    assert x * 2 == Mul(x, Const(2))
    assert 1 - x == Sub(Const(1), x)
    assert 1 / x == Div(Const(1), x)
    assert 2.5 + x == Sum(Const(2.5), x)
    assert -x == Mul(Const(-1), x)


def test_sugar_refuses_non_numbers() -> None:
    with pytest.raises(TypeError):
        Var("x") + "y"  # type: ignore[operator]
    with pytest.raises(TypeError):
        True * Var("x")  # type: ignore[operator]


def test_lab_keyword_style_matches_sugar_and_text(z: Expr) -> None:
    x, y = Var("x"), Var("y")
    assert z == 4 * x * y + Exp(-y) == parse("4*x*y + exp(-y)")


def test_str_is_show_and_repr_is_constructor_form(z: Expr) -> None:
    assert str(z) == "(((4 * x) * y) + exp((-1 * y)))"
    assert repr(Sum(Var("x"), Const(1.5))) == "Sum(Var('x'), Const(1.5))"
    assert repr(Log(Var("x"))) == "Log(Var('x'))"


def test_copies_and_pickles_are_the_same_node(z: Expr) -> None:
    assert copy.copy(z) is z
    assert copy.deepcopy(z) is z
    assert pickle.loads(pickle.dumps(z)) is z


def test_all_nodes_derive_from_expr() -> None:
    for cls in (Const, Var, Sum, Sub, Mul, Div, Exp, Log, TanH):
        assert issubclass(cls, Expr)
        assert attrs.has(cls)


def test_every_library_node_type_has_one_op_record_that_the_tables_read() -> None:
    from fractions import Fraction

    from chainrule import show
    from chainrule.exact import compute
    from chainrule.functions import Cos, Pow, Sigmoid, Sin, Softplus, Sqrt
    from chainrule.nodes import operators
    from chainrule.parse import FUNCTIONS, _binary
    from chainrule.testing import _BINARY as GENERATED_BINARY
    from chainrule.testing import _UNARY as GENERATED_UNARY

    library = (Const, Var, Sum, Sub, Mul, Div, Exp, Log, TanH, Pow, Sqrt, Sin, Cos, Sigmoid, Softplus)
    assert operators() == library
    for cls in library:
        op = cls.op
        assert op is not None and op.name == cls.__name__
        assert op.arity == (0 if cls in (Const, Var) else len(attrs.fields(cls)))  # leaves hold values
    infix = {cls.op.symbol: cls for cls in library if cls.op and cls.op.infix}
    calls = {cls.op.symbol: cls for cls in library if cls.op and cls.op.symbol and not cls.op.infix}
    assert {symbol: cls for symbol, (_, cls) in _binary().items()} == infix == GENERATED_BINARY
    library_calls = {name: cls for name, cls in FUNCTIONS.items() if not getattr(cls, "_defined", False)}
    assert library_calls == calls == GENERATED_UNARY  # besides the library's, those define_function added
    assert [_binary()[s][0] for s in "+-*/"] == [1, 1, 2, 2]  # precedence, from the records
    x = Var("x")
    assert show(Sum(x, Div(x, Exp(x)))) == "(x + (x / exp(x)))"
    assert Div.op.exact is not None and Div.op.exact(Fraction(1), Fraction(3)) == Fraction(1, 3)
    assert compute(Div(Const(1), Const(4))) == Const(0.25)  # exact arithmetic read off the record
