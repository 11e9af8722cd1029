"""evaluate: the lab's value, environments, and every failure as a named error."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given

from chainrule import (
    ChainruleError,
    Const,
    Div,
    EvaluationError,
    Exp,
    Expr,
    Log,
    Mul,
    Sum,
    TanH,
    UnboundVariableError,
    Var,
    evaluate,
    parse,
)
from chainrule.testing import environments, expressions

from .treeform import evaluate_tree


def test_lab_value(z: Expr) -> None:
    assert evaluate(z, {"x": 2, "y": 3}) == 24.049787068367863


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2", 3.0),
        ("7 - 10", -3.0),
        ("6 * 7", 42.0),
        ("1 / 4", 0.25),
        ("exp(0)", 1.0),
        ("log(1)", 0.0),
        ("tanh(0)", 0.0),
        ("tanh(1)", math.tanh(1)),
        ("log(exp(2.5))", 2.5),
    ],
)
def test_each_operation(text: str, value: float) -> None:
    assert evaluate(parse(text), {}) == pytest.approx(value)


def test_result_is_a_float() -> None:
    result = evaluate(Const(3), {})
    assert type(result) is float and result == 3.0


def test_env_accepts_any_real_number() -> None:
    import fractions

    assert evaluate(parse("x + y"), {"x": 1, "y": fractions.Fraction(1, 2)}) == 1.5


def test_missing_variable_names_it() -> None:
    with pytest.raises(UnboundVariableError) as info:
        evaluate(parse("x + why"), {"x": 1})
    assert "'why'" in str(info.value)
    assert info.value.name == "why"
    assert isinstance(info.value, KeyError) and isinstance(info.value, ChainruleError)


@pytest.mark.parametrize(
    ("text", "env", "fragment"),
    [
        ("log(x)", {"x": 0}, "log(x)"),
        ("log(x - 1)", {"x": 0.5}, "log((x - 1))"),
        ("1 / (x - x)", {"x": 3}, "(1 / (x - x))"),
        ("exp(x)", {"x": 1000}, "exp(x)"),
        ("exp(x) * exp(x)", {"x": 400}, "(exp(x) * exp(x))"),
        ("exp(x) - exp(x)", {"x": 710}, "exp(x)"),
    ],
)
def test_domain_and_range_failures_show_the_subexpression(
    text: str, env: dict[str, float], fragment: str
) -> None:
    with pytest.raises(EvaluationError) as info:
        evaluate(parse(text), env)
    assert fragment in str(info.value)
    assert isinstance(info.value, ArithmeticError)
    assert info.value.expr is not None


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_inputs_are_refused(bad: float) -> None:
    with pytest.raises(EvaluationError, match="x"):
        evaluate(parse("x + 1"), {"x": bad})


@pytest.mark.parametrize("bad", ["1", None, True, 1j])
def test_non_numeric_env_value_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="'x'"):
        evaluate(Var("x"), {"x": bad})


def test_huge_integer_constant_overflows_cleanly() -> None:
    with pytest.raises(EvaluationError, match="overflow"):
        evaluate(Const(10**400), {})


def test_error_message_for_a_huge_dag_stays_short() -> None:
    e: Expr = Var("x")
    for _ in range(60):
        e = e * e
    with pytest.raises(EvaluationError) as info:
        evaluate(Log(e - e), {"x": 1.5})
    assert len(str(info.value)) < 400


def test_evaluate_never_returns_nan() -> None:
    with pytest.raises(EvaluationError):
        evaluate(Sum(Sum(Exp(Const(709)), Exp(Const(709))), Exp(Const(709))), {})


@given(expressions(("x", "y")), environments(("x", "y")))
def test_dag_evaluates_like_its_tree(e: Expr, env: dict[str, float]) -> None:
    try:
        value = evaluate(e, env)
    except EvaluationError:
        assume(False)
    assert math.isfinite(value)
    assert value == evaluate_tree(e, env)


def test_shared_subexpression_is_evaluated_once() -> None:
    calls = []
    from chainrule.evaluate import evaluate_node

    original = evaluate_node.dispatch(Log)
    evaluate_node.add((Log,), lambda node, x: calls.append(x) or original(node, x))
    try:
        shared = Log(Var("x"))
        assert evaluate(Mul(Sum(shared, shared), TanH(shared)), {"x": 2.0}) == pytest.approx(
            2 * math.log(2) * math.tanh(math.log(2))
        )
    finally:
        evaluate_node.add((Log,), original)
    assert len(calls) == 1


def test_division_by_zero_constant() -> None:
    with pytest.raises(EvaluationError, match="division by zero"):
        evaluate(Div(Const(1), Const(0)), {})
