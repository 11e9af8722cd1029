"""horner: polynomial regions collected and written in Horner form; exact outputs, limits and laws."""

from __future__ import annotations

import math

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrule import (
    Const,
    EvaluationError,
    Expr,
    Mul,
    Sum,
    TanH,
    Var,
    count_nodes,
    diff,
    evaluate,
    horner,
    parse,
    show,
    simplify,
    tree_size,
)
from chainrule.nodes import as_expr
from chainrule.polynomial import MAX_TERMS
from chainrule.soundness import SAFETY, TINY, rounding_bound
from chainrule.testing import constants, environments, expressions


def h(text: str) -> str:
    return show(horner(parse(text)))


# ---------------------------------------------------------------------------------------------------
# Exact outputs


def test_a_difference_of_squares_is_expanded() -> None:
    assert h("(x + 1) * (x - 1)") == "((x * x) - 1)"


def test_like_terms_are_collected_when_that_is_no_larger() -> None:
    assert h("x + x + x") == "(3 * x)"
    assert h("x + x") == "(x + x)"  # 2 * x has one node more (the constant), so x + x stays
    assert h("(x + 1) * (x - 1) + x + x") == "((x * (2 + x)) - 1)"


def test_a_common_factor_comes_out_in_several_variables() -> None:
    assert h("x * y + x * z") == "(x * (y + z))"
    assert h("x*x*y + x*y*y + 3*x*y") == "((x * y) * ((3 + x) + y))"


def test_negative_coefficients_print_as_subtraction() -> None:
    assert h("2 - x") == "(2 - x)"
    assert h("1 - 2*x*x*x - x*x*x") == "(1 - (3 * ((x * x) * x)))"
    assert h("1 - 4*x*x - x*x*x*x") == "(1 - ((x * x) * (4 + (x * x))))"
    assert h("-x - 1") == "(-1 * (1 + x))"


def test_int_coefficients_stay_exact_ints_and_floats_stay_floats() -> None:
    collected = horner(parse("3 * x * 5 + x * 7 - 2 * x"))
    assert show(collected) == "(20 * x)"
    assert type(collected.x.value) is int  # type: ignore[attr-defined]
    assert h("x / 2 + x / 3") == "(0.8333333333333333 * x)"
    assert h("x / 2 + x / 2") == "x"  # 0.5 + 0.5 is exactly 1
    assert h("(6 * x) / 3 + x") == "(3 * x)"  # divisible ints stay ints


def test_powers_are_built_by_shared_squaring() -> None:
    eighth = horner(parse("x*x*x*x*x*x*x*x + 0"))
    assert show(eighth) == "(((x * x) * (x * x)) * ((x * x) * (x * x)))"
    assert count_nodes(eighth) == 4


def test_polynomials_inside_functions_are_normalised_too() -> None:
    assert h("tanh((x + 1) * (x - 1)) * exp(y + y + y)") == "(tanh(((x * x) - 1)) * exp((3 * y)))"


def test_a_quotient_rule_leftover_cancels() -> None:
    # d(a / b) with b free of x: (da * b - 0 * a) / (b * b), simplified, keeps a factor b above and below.
    assert h("(x * tanh(y)) / (tanh(y) * tanh(y))") == "(x / tanh(y))"
    assert h("tanh(y) / (tanh(y) * tanh(y) * 3)") == "(1 / (3 * tanh(y)))"
    assert h("(2 * x) / (x * y)") == "(2 / y)"
    assert h("exp(x) / (exp(x) * exp(x))") == "(1 / exp(x))"
    # A division by something non-constant stays one (its result is an atom, read alike by every pass).
    assert h("x + x / x") == "(x + (x / x))"
    assert h("(x * b) / (b * 3)") == "((b * x) / (3 * b))"


def test_a_divisor_that_comes_out_constant_joins_the_region() -> None:
    assert h("x / (y - y + 2) + x") == "(1.5 * x)"


def test_the_eighth_derivative_of_tanh_is_an_odd_polynomial_in_tanh() -> None:
    e: Expr = TanH(Var("x"))
    for _ in range(8):
        e = simplify(diff(e, "x"))
    assert (tree_size(e), count_nodes(e)) == (359671, 82)
    compact = horner(e)
    assert (tree_size(compact), count_nodes(compact)) == (36, 17)  # SymEngine's canonical form: 61/27
    t = "tanh(x)"
    u = f"({t} * {t})"
    assert show(compact) == (
        f"({t} * (7936 + ({u} * (({u} * (129024 + ({u} * ((40320 * {u}) - 120960)))) - 56320))))"
    )
    for x in (-2.0, -0.3, 0.0, 0.7, 3.0):
        exact = evaluate(e, {"x": x})
        assert math.isclose(evaluate(compact, {"x": x}), exact, rel_tol=1e-12, abs_tol=1e-9)


def test_atoms_are_ordered_the_same_way_in_every_process() -> None:
    # Variables sort by name; other atoms by a stable structural hash (not Python's salted str hash).
    assert h("exp(x) * log(y) + log(y) * log(y) + exp(x)") == "(exp(x) + (log(y) * (exp(x) + log(y))))"


# ---------------------------------------------------------------------------------------------------
# Limits: blow-up, overflow, depth


def test_a_product_of_many_sums_is_not_expanded_but_its_atoms_are_processed() -> None:
    factors = [f"(a{i} + b{i})" for i in range(7)]  # 2**7 = 128 terms > MAX_TERMS
    assert MAX_TERMS < 2**7
    e = parse(" * ".join(factors) + " * tanh(x + x + x)")
    assert show(horner(e)) == show(e).replace("tanh(((x + x) + x))", "tanh((3 * x))")


def test_a_coefficient_that_overflows_leaves_its_region_alone() -> None:
    e = parse("(x * 1e300) * 1e300 + exp(x + x + x)")
    assert show(horner(e)) == "(((x * 1e+300) * 1e+300) + exp((3 * x)))"
    big = Mul(Mul(Var("x"), Const(2**1000)), Const(2**1000))  # an exact int beyond the float range
    assert horner(big) is big


def test_tiny_float_products_are_not_flushed_to_zero() -> None:
    e = parse("(x * 1e-200) * 1e-200 + x")
    assert horner(e) is e


def test_depth_100000_tanh_chain_and_its_derivative() -> None:
    e: Expr = Var("x")
    for _ in range(100_000):
        e = TanH(e)
    assert horner(e) is e
    slope = diff(e, "x")
    compact = horner(slope)
    assert count_nodes(compact) <= count_nodes(slope)
    assert math.isclose(evaluate(compact, {"x": 0.5}), evaluate(slope, {"x": 0.5}), rel_tol=1e-9)


def test_depth_100000_polynomial_chain() -> None:
    x = Var("x")
    e: Expr = x
    for _ in range(50_000):
        e = Sum(Mul(e, x), Const(1))  # ((x*x + 1)*x + 1)... : depth 100,000
    compact = horner(e)
    assert count_nodes(compact) <= count_nodes(e)
    assert math.isclose(evaluate(compact, {"x": 0.5}), evaluate(e, {"x": 0.5}), rel_tol=1e-12)


# ---------------------------------------------------------------------------------------------------
# User node types are atoms


@attrs.frozen
class Twice(Expr):
    """A user's node type with a non-child field."""

    x: Expr = attrs.field(converter=as_expr)
    label: str = "twice"


def test_a_users_node_is_an_atom_whose_children_are_processed() -> None:
    inner = parse("x + x + x")
    e = Sum(Twice(inner), Twice(inner))
    assert horner(e) == Sum(Twice(parse("3 * x")), Twice(parse("3 * x")))


# ---------------------------------------------------------------------------------------------------
# Laws, on random expressions

polynomial_leaves = st.one_of(st.sampled_from([Var("x"), Var("y")]), constants(-4, 4))
polynomials = expressions(("x", "y"), operators=("+", "-", "*"), functions=(), leaves=polynomial_leaves)
anything = st.one_of(expressions(("x", "y"), max_leaves=16), polynomials)


def agrees(original: Expr, rewritten: Expr, env: dict[str, float]) -> bool:
    """Same value up to the rounding both evaluations can make (chainrule.soundness's running bound)."""
    value, error = rounding_bound(original, env, {})
    other, other_error = rounding_bound(rewritten, env, {})
    return abs(value - other) <= SAFETY * (error + other_error) + TINY


@given(anything, environments(("x", "y")))
def test_horner_keeps_the_value_wherever_the_input_is_finite(e: Expr, env: dict[str, float]) -> None:
    try:
        evaluate(e, env)
    except EvaluationError:
        return
    compact = horner(e)
    evaluate(compact, env)  # finite too
    assert agrees(e, compact, env), (show(e), show(compact), env)


@given(polynomials, st.integers(-6, 6), st.integers(-6, 6))
def test_int_polynomials_are_exact_at_int_points(e: Expr, x: int, y: int) -> None:
    if any(type(node.value) is float for node in _consts(e)):
        return
    compact = horner(e)
    assert _exact(compact, x, y) == _exact(e, x, y), (show(e), show(compact))


@given(anything)
def test_horner_is_idempotent(e: Expr) -> None:
    once = horner(e)
    assert horner(once) is once, (show(e), show(once))


@given(anything)
def test_horner_never_adds_nodes(e: Expr) -> None:
    assert count_nodes(horner(e)) <= count_nodes(e), show(e)


def _consts(e: Expr) -> list[Const]:
    from chainrule import postorder

    return [node for node in postorder(e) if type(node) is Const]


def _exact(e: Expr, x: int, y: int) -> int:
    """The value in exact integer arithmetic (evaluate rounds to floats)."""
    from chainrule import fold

    def visit(node: Expr, kids: list[int]) -> int:
        kind = type(node).__name__
        if kind == "Const":
            return node.value  # type: ignore[attr-defined, no-any-return]
        if kind == "Var":
            return x if node.name == "x" else y  # type: ignore[attr-defined]
        a, b = kids
        return a + b if kind == "Sum" else a - b if kind == "Sub" else a * b

    return fold(e, visit)


@pytest.mark.parametrize(
    "text", ["(9007199254740993 - 9007199254740992) * x", "9007199254740993*x - 9007199254740992*x"]
)
def test_horner_reads_an_int_a_float_cannot_hold_at_evaluates_value(text: str) -> None:
    # evaluate reads 2**53 + 1 as 2**53, so both are 0 * x; exact ints made them x.
    e = parse(text)
    assert evaluate(e, {"x": 0.5}) == evaluate(horner(e), {"x": 0.5}) == 0.0
