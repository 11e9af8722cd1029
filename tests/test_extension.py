"""A user adds a node type outside the library and registers its cases, as the README shows."""

from __future__ import annotations

import math

import attrs
import pytest

from chainrule import (
    Const,
    EvaluationError,
    Expr,
    Log,
    Mul,
    Var,
    diff,
    diff_node,
    evaluate,
    evaluate_node,
    parse,
    show,
    show_node,
)
from chainrule.nodes import as_expr
from chainrule.parse import FUNCTIONS


@attrs.frozen
class Sin(Expr):
    x: Expr = attrs.field(converter=as_expr)


@attrs.frozen
class Cos(Expr):
    x: Expr = attrs.field(converter=as_expr)


@show_node.register(Sin)
def _show_sin(node: Sin) -> tuple[str | Expr, ...]:
    return ("sin(", node.x, ")")


@show_node.register(Cos)
def _show_cos(node: Cos) -> tuple[str | Expr, ...]:
    return ("cos(", node.x, ")")


@evaluate_node.register(Sin)
def _evaluate_sin(node: Sin, x: float) -> float:
    return math.sin(x)


@evaluate_node.register(Cos)
def _evaluate_cos(node: Cos, x: float) -> float:
    return math.cos(x)


@diff_node.register(Sin)
def _diff_sin(node: Sin, wrt: Var, dx: Expr) -> Expr:
    return Mul(Cos(node.x), dx)


@diff_node.register(Cos)
def _diff_cos(node: Cos, wrt: Var, dx: Expr) -> Expr:
    return Mul(Mul(-1, Sin(node.x)), dx)


def test_user_node_is_interned_and_shows() -> None:
    x = Var("x")
    assert Sin(x) is Sin(x)
    assert Sin(2).x == Const(2)  # numbers are wrapped by the converter
    assert show(Sin(x) * 2) == "(sin(x) * 2)"
    assert str(Sin(x)) == "sin(x)"
    assert repr(Sin(x)) == "Sin(Var('x'))"  # the library's repr, not attrs' recursive one


def test_user_node_evaluates_and_differentiates() -> None:
    e = Sin(Var("x") * Var("x"))
    assert evaluate(e, {"x": 1.5}) == pytest.approx(math.sin(2.25))
    d = diff(e, "x")
    assert show(d) == "(cos((x * x)) * ((1 * x) + (x * 1)))"
    assert evaluate(d, {"x": 1.5}) == pytest.approx(math.cos(2.25) * 3.0)
    assert evaluate(diff(d, "x"), {"x": 0.0}) == pytest.approx(2.0)


def test_user_node_errors_are_reported_like_builtins() -> None:
    with pytest.raises(EvaluationError, match=r"log\(sin\(x\)\)"):
        evaluate(Log(Sin(Var("x"))), {"x": 0.0})


def test_user_function_can_be_parsed_once_registered() -> None:
    FUNCTIONS["sin"] = Sin
    try:
        assert parse("sin(x) * 2") == Sin(Var("x")) * 2
    finally:
        del FUNCTIONS["sin"]


def test_unregistered_node_type_names_what_is_missing() -> None:
    @attrs.frozen
    class Tan(Expr):
        x: Expr

    with pytest.raises(NotImplementedError, match="Tan"):
        evaluate(Tan(Var("x")), {"x": 1.0})


def test_user_node_chain_of_depth_100000() -> None:
    # attrs' generated __eq__/__hash__/__repr__ would recurse; interned nodes use identity instead.
    e: Expr = Var("x")
    for _ in range(100_000):
        e = Sin(e)
    assert hash(e) == hash(e) and e == e
    assert evaluate(e, {"x": 1.0}) == pytest.approx(0.00547696985405864)
    assert repr(e).startswith("Sin(Sin(")
    assert evaluate(diff(e, "x"), {"x": 0.0}) == pytest.approx(1.0)


def test_lambdify_of_user_nodes_shares_one_helper_per_case() -> None:
    from chainrule import lambdify

    e: Expr = Var("x")
    for _ in range(50):
        e = Sin(e) * Cos(e)
    f = lambdify(e, ["x"])
    helpers = f.source.splitlines()[0]
    assert "_f0" in helpers and "_f1" in helpers and "_f2" not in helpers  # one per case, not per node
    assert f(0.3) == pytest.approx(evaluate(e, {"x": 0.3}))
