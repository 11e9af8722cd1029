"""diff: exactly the lab's rules, finite-difference agreement, user-chosen variables."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from chainrule import (
    Const,
    Div,
    EvaluationError,
    Exp,
    Expr,
    Log,
    Mul,
    Sub,
    Sum,
    TanH,
    Var,
    count_nodes,
    diff,
    evaluate,
    parse,
    show,
)
from chainrule.testing import expressions

LAB_RAW = "(((((0 * x) + (4 * 1)) * y) + ((4 * x) * 0)) + (exp((-1 * y)) * ((0 * y) + (-1 * 0))))"


def test_lab_raw_derivative(z: Expr) -> None:
    assert show(diff(z, "x")) == LAB_RAW
    assert diff(z, Var("x")) == diff(z, "x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", "0"),
        ("x", "1"),
        ("y", "0"),
        ("x + y", "(1 + 0)"),
        ("x - y", "(1 - 0)"),
        ("x * y", "((1 * y) + (x * 0))"),
        ("x / y", "(((1 * y) - (0 * x)) / (y * y))"),
        ("exp(x)", "(exp(x) * 1)"),
        ("log(x)", "(1 / x)"),
        ("tanh(x)", "((1 - (tanh(x) * tanh(x))) * 1)"),
    ],
)
def test_each_rule_exactly(text: str, expected: str) -> None:
    assert show(diff(parse(text), "x")) == expected


def test_higher_order_by_repetition(z: Expr) -> None:
    second = diff(diff(z, "x"), "y")
    assert evaluate(second, {"x": 0.3, "y": -1.2}) == 4.0


def test_bad_variable_argument() -> None:
    with pytest.raises(TypeError):
        diff(Var("x"), 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        diff(Var("x"), "not a name")
    with pytest.raises(TypeError):
        diff("x", "x")  # type: ignore[arg-type]


def test_derivative_of_a_dag_stays_a_dag() -> None:
    e: Expr = Var("x")
    for _ in range(30):
        e = TanH(e) * TanH(e)
    d = diff(e, "x")
    assert count_nodes(d) < 20 * count_nodes(e)


def _central_difference(e: Expr, env: dict[str, float], h: float = 1e-6) -> float:
    up = dict(env, x=env["x"] + h)
    down = dict(env, x=env["x"] - h)
    return (evaluate(e, up) - evaluate(e, down)) / (2 * h)


@given(
    expressions(("x", "y"), max_leaves=8),
    st.floats(-2, 2, allow_nan=False),
    st.floats(-2, 2, allow_nan=False),
)
def test_matches_finite_differences(e: Expr, x: float, y: float) -> None:
    env = {"x": x, "y": y}
    try:
        exact = evaluate(diff(e, "x"), env)
        values = [evaluate(e, dict(env, x=x + k * 1e-3)) for k in (-2, -1, 0, 1, 2)]
        estimate = _central_difference(e, env)
        coarse = _central_difference(e, env, 1e-4)
    except EvaluationError:
        assume(False)
    # Only judge where the function is well conditioned: smooth and of moderate size nearby.
    assume(all(abs(v) < 1e4 for v in values) and abs(exact) < 1e4)
    assume(abs(estimate - coarse) <= 1e-3 * (1 + abs(estimate)))
    assert exact == pytest.approx(estimate, rel=1e-4, abs=1e-5)


def test_derivative_of_every_node_type_numerically() -> None:
    x = Var("x")
    cases: list[tuple[Expr, float]] = [
        (Sum(x, Const(3)), 1.0),
        (Sub(Const(3), x), -1.0),
        (Mul(x, x), 2 * 0.7),
        (Div(Const(1), x), -1 / 0.49),
        (Exp(x), math.exp(0.7)),
        (Log(x), 1 / 0.7),
        (TanH(x), 1 - math.tanh(0.7) ** 2),
    ]
    for e, expected in cases:
        assert evaluate(diff(e, "x"), {"x": 0.7}) == pytest.approx(expected)


def test_a_users_derivative_given_as_a_number_becomes_a_constant() -> None:
    import attrs

    from chainrule.diff import diff_node

    @attrs.frozen
    class Step(Expr):
        x: Expr

    diff_node.add((Step,), lambda node, wrt, dx: 0)
    x = Var("x")
    derivative = diff(Mul(x, Step(x)), "x")
    assert derivative is Sum(Mul(Const(1), Step(x)), Mul(x, Const(0)))
    diff_node.add((Step,), lambda node, wrt, dx: "zero")
    with pytest.raises(TypeError, match="derivative"):
        diff(Step(x), "x")
