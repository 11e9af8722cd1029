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
class Sine(Expr):
    x: Expr = attrs.field(converter=as_expr)


@attrs.frozen
class Cosine(Expr):
    x: Expr = attrs.field(converter=as_expr)


@show_node.register(Sine)
def _show_sine(node: Sine) -> tuple[str | Expr, ...]:
    return ("sine(", node.x, ")")


@show_node.register(Cosine)
def _show_cosine(node: Cosine) -> tuple[str | Expr, ...]:
    return ("cosine(", node.x, ")")


@evaluate_node.register(Sine)
def _evaluate_sine(node: Sine, x: float) -> float:
    return math.sin(x)


@evaluate_node.register(Cosine)
def _evaluate_cosine(node: Cosine, x: float) -> float:
    return math.cos(x)


@diff_node.register(Sine)
def _diff_sine(node: Sine, wrt: Var, dx: Expr) -> Expr:
    return Mul(Cosine(node.x), dx)


@diff_node.register(Cosine)
def _diff_cosine(node: Cosine, wrt: Var, dx: Expr) -> Expr:
    return Mul(Mul(-1, Sine(node.x)), dx)


def test_user_node_is_interned_and_shows() -> None:
    x = Var("x")
    assert Sine(x) is Sine(x)
    assert Sine(2).x == Const(2)  # numbers are wrapped by the converter
    assert show(Sine(x) * 2) == "(sine(x) * 2)"
    assert str(Sine(x)) == "sine(x)"
    assert repr(Sine(x)) == "Sine(Var('x'))"  # the library's repr, not attrs' recursive one


def test_user_node_evaluates_and_differentiates() -> None:
    e = Sine(Var("x") * Var("x"))
    assert evaluate(e, {"x": 1.5}) == pytest.approx(math.sin(2.25))
    d = diff(e, "x")
    assert show(d) == "(cosine((x * x)) * ((1 * x) + (x * 1)))"
    assert evaluate(d, {"x": 1.5}) == pytest.approx(math.cos(2.25) * 3.0)
    assert evaluate(diff(d, "x"), {"x": 0.0}) == pytest.approx(2.0)


def test_user_node_errors_are_reported_like_builtins() -> None:
    with pytest.raises(EvaluationError, match=r"log\(sine\(x\)\)"):
        evaluate(Log(Sine(Var("x"))), {"x": 0.0})


def test_user_function_can_be_parsed_once_registered() -> None:
    FUNCTIONS["sine"] = Sine
    try:
        assert parse("sine(x) * 2") == Sine(Var("x")) * 2
    finally:
        del FUNCTIONS["sine"]


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
        e = Sine(e)
    assert hash(e) == hash(e) and e == e
    assert evaluate(e, {"x": 1.0}) == pytest.approx(0.00547696985405864)
    assert repr(e).startswith("Sine(Sine(")
    assert evaluate(diff(e, "x"), {"x": 0.0}) == pytest.approx(1.0)


def test_lambdify_of_user_nodes_shares_one_helper_per_case() -> None:
    from chainrule import lambdify

    e: Expr = Var("x")
    for _ in range(50):
        e = Sine(e) * Cosine(e)
    f = lambdify(e, ["x"])
    helpers = f.source.splitlines()[0]
    assert "_f0" in helpers and "_f1" in helpers and "_f2" not in helpers  # one per case, not per node
    assert f(0.3) == pytest.approx(evaluate(e, {"x": 0.3}))
