"""Which values a compiled function tests for finiteness: few, and never too few."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from hypothesis import given, settings
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
    UnboundVariableError,
    Var,
    evaluate,
    grad,
    lambdify,
    postorder,
    simplify,
)
from chainrule.finite_checks import checked_nodes
from chainrule.nodes import children

x, y = Var("x"), Var("y")
LIBRARY_ABSORBING: dict[type, tuple[int, ...]] = {Div: (1,), Exp: (0,), TanH: (0,)}
LIBRARY = {Sum, Sub, Mul, Div, Exp, Log, TanH}


def checked(*outputs: Expr, builtin: set[type] = LIBRARY) -> set[Expr]:
    def absorbing(node: Expr) -> tuple[int, ...] | range:
        kind = type(node)
        if kind in (Const, Var):
            return ()
        return LIBRARY_ABSORBING.get(kind, ()) if kind in builtin else range(len(children(node)))

    return checked_nodes(list(postorder(*outputs)), outputs, absorbing)


def test_outputs_are_tested_constants_never() -> None:
    assert checked(x) == {x}
    assert checked(Const(2)) == set()
    assert checked(x + 1e300) == {x + 1e300}


def test_absorbing_operands_are_tested() -> None:
    assert checked(TanH(x * y)) == {x * y, TanH(x * y)}  # tanh(inf) == 1: the product itself
    assert checked(Exp(x) + 1) == {x, Exp(x) + 1}  # exp(-inf) == 0
    assert checked(Div(Const(1), x)) == {x, Div(Const(1), x)}  # 1/inf == 0


def test_a_tested_consumer_covers_its_non_absorbing_operands() -> None:
    product = x * y
    assert checked(product, product * x) == {product * x}
    assert checked(Log(x), x * y) == {Log(x), x * y}  # x reaches both


def test_every_operand_of_a_users_node_type_is_tested() -> None:
    expr = TanH(x) * y
    # the product is tested; the "user's" tanh may hide an infinite x, so x is tested too
    assert checked(expr, builtin=LIBRARY - {TanH}) == {x, expr}


def test_the_lab_gradients_need_ten_tests() -> None:
    w, b, v, c, y_ = Var("w"), Var("b"), Var("v"), Var("c"), Var("t")
    h = TanH(w * x + b)
    fin = v * h + c
    loss = fin - fin * y_ + Log(Const(1) + Exp(Const(-1) * fin))
    gradients = grad(loss, ["w", "b", "v", "c"])
    tested = checked(*(simplify(g) for g in gradients.values()))
    assert 0 < len(tested) < len(gradients) + 4


def test_the_addend_edge_fails_like_evaluate() -> None:
    biggest = sys.float_info.max
    assert lambdify(x + 2.0**960, ["x"])(biggest) == evaluate(x + 2.0**960, {"x": biggest}) == biggest
    for addend in (2.0**971, 2.0**1000):  # MAX + 2**970 is the first sum that rounds to inf
        expected = outcome(evaluate, x + addend, {"x": biggest})
        assert expected[0] == "error"
        assert outcome(lambdify(x + addend, ["x"]), biggest) == expected


# Near the edges of the float range, compiled functions still fail exactly like evaluate.

EXTREMES = (0.0, 1.0, -1.0, 0.5, 2.0, 1e-310, 1e154, -1e154, 1e308, -1e308, sys.float_info.max)
NAMES = ("x", "y", "z")


@st.composite
def extreme_dags(draw: st.DrawFn, max_steps: int = 10) -> list[Expr]:
    pool: list[Expr] = [Var(name) for name in NAMES]
    constants = st.sampled_from((*EXTREMES, 2.0**960, 2.0**1000, 1e300))
    pool += [Const(c) for c in draw(st.lists(constants, max_size=3))]
    kinds: Sequence[type[Expr]] = (Sum, Sub, Mul, Div, Exp, Log, TanH)
    for _ in range(draw(st.integers(1, max_steps))):
        kind = draw(st.sampled_from(kinds))
        pick = st.integers(0, len(pool) - 1)
        if kind in (Exp, Log, TanH):
            pool.append(kind(pool[draw(pick)]))
        else:
            pool.append(kind(pool[draw(pick)], pool[draw(pick)]))
    return draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))


def outcome(function: object, *args: object) -> tuple[str, object]:
    try:
        return "value", function(*args)  # type: ignore[operator]
    except (EvaluationError, UnboundVariableError, TypeError) as error:
        return "error", (type(error), str(error))


@settings(max_examples=300, deadline=None)
@given(extreme_dags(), st.tuples(*(st.sampled_from(EXTREMES) for _ in NAMES)))
def test_extreme_values_fail_like_evaluate(outputs: list[Expr], values: tuple[float, ...]) -> None:
    env = dict(zip(NAMES, values, strict=True))
    expected: list[object] = []
    for output in outputs:
        kind, value = outcome(evaluate, output, env)
        if kind == "error":
            assert outcome(lambdify(outputs, NAMES), *values) == ("error", value)
            return
        expected.append(value)
    assert lambdify(outputs, NAMES)(*values) == tuple(expected)
