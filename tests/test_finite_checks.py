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
    lambdify,
    postorder,
)
from chainrule.finite_checks import checked_nodes

x, y = Var("x"), Var("y")
LIBRARY = {Sum, Sub, Mul, Div, Exp, Log, TanH}


def checked(*outputs: Expr, builtin: set[type] = LIBRARY) -> set[Expr]:
    return checked_nodes(list(postorder(*outputs)), lambda kind: kind in builtin)


def test_an_argument_alone_is_tested() -> None:
    assert checked(x) == {x}
    assert checked(Const(2)) == set()


def test_absorbing_operands_are_tested_and_cover_what_feeds_them() -> None:
    assert checked(TanH(x * y)) == {x * y}  # tanh(inf) == 1: the product itself
    assert checked(Exp(x) + 1) == {x}  # exp(-inf) == 0, and 1 + a finite exp cannot overflow
    assert checked(Div(Const(1), x)) == {x, Div(Const(1), x)}  # 1/inf == 0; 1/tiny overflows


def test_operations_that_cannot_overflow_need_no_test() -> None:
    assert checked(Div(x, Const(2))) == {x}
    assert checked(Mul(Const(-1), x)) == {x}
    assert checked(x * TanH(y)) == {x, y}  # |tanh| <= 1: the product is no bigger than x
    assert checked(x + 1e300) == {x + 1e300}  # a huge addend can overflow


def test_the_addend_bound_sits_below_the_first_overflowing_constant() -> None:
    biggest = sys.float_info.max
    assert lambdify(x + 2.0**960, ["x"])(biggest) == evaluate(x + 2.0**960, {"x": biggest}) == biggest
    for addend in (2.0**971, 2.0**1000):  # MAX + 2**970 is the first sum that rounds to inf
        assert checked(x + addend) == {x + addend}
        expected = outcome(evaluate, x + addend, {"x": biggest})
        assert expected[0] == "error"
        assert outcome(lambdify(x + addend, ["x"]), biggest) == expected


def test_a_tested_consumer_covers_its_operands() -> None:
    product = x * y
    assert checked(product, product * x) == {product * x}


def test_node_types_not_computed_by_the_library_are_sources_with_absorbing_operands() -> None:
    expr = TanH(x) * y
    # the product is tested and so covers the "user's" tanh; its operand x is not covered through it
    assert checked(expr, builtin=LIBRARY - {TanH}) == {x, expr}


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
