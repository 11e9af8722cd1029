"""POLYNOMIAL_RULES: the term order, the ``?a before ?b`` condition, normal forms, soundness, termination."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import (
    COEFFICIENT_RULES,
    DEFAULT_RULES,
    POLYNOMIAL_RULES,
    POWER_RULES,
    Expr,
    RewriteLimitError,
    Rule,
    RuleError,
    TanH,
    Var,
    count_nodes,
    diff,
    evaluate,
    parse,
    parse_rule,
    show,
    simplify,
)
from chainrule.network import network
from chainrule.order import precedes, sort_key
from chainrule.testing import assert_sound, constants, expressions
from chainrule.traverse import postorder, tree_size

TABLE = DEFAULT_RULES + POLYNOMIAL_RULES
#: The rules of rules/optional/polynomial.rules (POLYNOMIAL_RULES also holds POWER_ and COEFFICIENT_RULES).
OWN = POLYNOMIAL_RULES[: len(POLYNOMIAL_RULES) - len(POWER_RULES) - len(COEFFICIENT_RULES)]
T = "tanh(x)"


def polish(text: str) -> str:
    return show(simplify(parse(text.replace("t", T)), TABLE)).replace(T, "t")


# ---------------------------------------------------------------------------------------------------
# The order and the condition


def test_the_table_is_this_file_then_the_power_and_coefficient_rules() -> None:
    assert {rule.name for rule in POLYNOMIAL_RULES} == {
        rule.name for rule in (*OWN, *POWER_RULES, *COEFFICIENT_RULES)
    }
    assert all(rule.source is not None and rule.source.endswith("polynomial.rules") for rule in OWN)
    assert len({rule.name for rule in POLYNOMIAL_RULES}) == len(POLYNOMIAL_RULES)


def test_constants_come_first_then_like_terms_side_by_side() -> None:
    terms = [parse(text) for text in ("5 * x ** 3", "y", "x", "0 - x", "3", "-2 * x", "x ** 2", "x + y")]
    ordered = [show(term) for term in sorted(terms, key=sort_key)]
    assert ordered[0] == "3" and ordered[-1] == "(x + y)"  # constants first, sums last
    xs = [i for i, text in enumerate(ordered) if "x" in text and "+" not in text]
    assert xs == list(range(xs[0], xs[0] + len(xs)))  # the x terms are adjacent ...
    assert ordered[xs[0] : xs[0] + 5] == ["(-2 * x)", "(0 - x)", "x", "(x ** 2)", "(5 * (x ** 3))"]


@given(expressions(("x", "y"), max_leaves=6), expressions(("x", "y"), max_leaves=6))
@settings(max_examples=100)
def test_the_order_is_total_and_strict(a: Expr, b: Expr) -> None:
    assert not precedes(a, a)
    if a is not b:
        assert precedes(a, b) != precedes(b, a)


def test_the_order_is_the_same_in_every_process() -> None:
    text = "3 * tanh(x) ** 2 + sigmoid(y * x)"
    code = (
        f"from chainrule import parse; from chainrule.order import sort_key; print(sort_key(parse({text!r})))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert runs == {f"{sort_key(parse(text))}\n"}


def test_the_before_condition_reads_and_prints() -> None:
    rule = parse_rule("swap: ?a + ?b -> ?b + ?a if ?b before ?a")
    assert str(rule) == "swap: ?a + ?b -> ?b + ?a if ?b before ?a"
    assert show(rule(parse("y + 3"))) == "(3 + y)"
    assert show(rule(parse("3 + y"))) == "(3 + y)"
    with pytest.raises(RuleError, match="two pattern variables"):
        parse_rule("?a + ?b -> ?b + ?a if ?b before 3")
    with pytest.raises(RuleError, match="not bound"):
        parse_rule("?a + ?b -> ?b + ?a if ?c before ?a")


# ---------------------------------------------------------------------------------------------------
# Normal forms


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("(t + 1) * (t - 1)", "(-1 + (t ** 2))"),
        ("t * t * t", "(t ** 3)"),
        ("(1 - t) * (1 + t) + t * t", "1"),
        ("t * (2 * t) + t ** 2 * 3", "(5 * (t ** 2))"),
        ("(t + 1) * (t + 1)", "(1 + ((2 * t) + (t ** 2)))"),
        ("sigmoid(y) * t + t * sigmoid(y) - 2 * (sigmoid(y) * t)", "0"),
        ("t - t ** 2 - t", "(0 - (t ** 2))"),
        ("3 - (t - 2)", "(5 + (0 - t))"),
    ],
)
def test_exact_normal_forms(before: str, after: str) -> None:
    assert polish(before) == after


def test_unbounded_variables_are_left_where_the_guards_cannot_be_proven() -> None:
    # x * x * x is collected (x ** 3: no sum involved), but (x + 1) * (x - 1) is not multiplied out:
    # for x near 1.3e154 the product of the sums is finite where x ** 2 overflows.
    assert show(simplify(parse("x * x * x"), TABLE)) == "(x ** 3)"
    assert show(simplify(parse("(x + 1) * (x - 1)"), TABLE)) == "((-1 + x) * (1 + x))"


def test_the_default_table_is_unchanged_by_the_new_condition() -> None:
    assert not any(condition.op == "before" for rule in DEFAULT_RULES for condition in rule.conditions)
    assert show(simplify(parse("(tanh(x) + 1) * (tanh(x) - 1)"))) == "((1 + tanh(x)) * (tanh(x) - 1))"


# ---------------------------------------------------------------------------------------------------
# Soundness


@pytest.mark.parametrize("rule", OWN, ids=lambda rule: rule.name)
def test_polynomial_rule_is_sound(rule: Rule) -> None:
    assert_sound(rule, max_examples=100)


@pytest.mark.parametrize("name", ["times-pow", "pow-times-pow", "times-pow-chain", "pow-pow-chain"])
def test_an_exponent_that_would_round_is_left_alone(name: str) -> None:
    # (-1) ** 1e308 is 1 (1e308 is even), so -1 * (-1) ** 1e308 is -1; 1 + 1e308 rounds to 1e308,
    # and (-1) ** 1e308 would say 1.  The merges need exponents within +-1e15 (exact sums).
    (rule,) = [rule for rule in POLYNOMIAL_RULES if rule.name == name]
    text = {
        "times-pow": "u * u ** 1e308",
        "pow-times-pow": "u ** 3 * u ** 1e308",
        "times-pow-chain": "u * (u ** 1e308 * tanh(y))",
        "pow-pow-chain": "u ** 3 * (u ** 1e308 * tanh(y))",
    }[name]
    expr = parse(text.replace("u", "(-1 * exp(tanh(x)))"))
    assert rule(expr) is expr
    assert rule(parse(text.replace("u", T).replace("1e308", "4"))) is not parse(
        text.replace("u", T).replace("1e308", "4")
    )


BOUNDED = st.sampled_from([parse(T), parse("sigmoid(y)"), parse("tanh(y)")])
POLYNOMIALS = expressions(
    ("x", "y"),
    operators=("+", "-", "*"),
    functions=(),
    leaves=st.one_of(BOUNDED, constants(-5, 5, floats=False)),
    max_leaves=10,
)


@given(POLYNOMIALS, st.floats(-3, 3), st.floats(-3, 3))
@settings(max_examples=150)
def test_simplify_keeps_the_value_and_reaches_a_fixed_point(expr: Expr, x: float, y: float) -> None:
    result = simplify(expr, TABLE, max_steps=20_000)
    assert simplify(result, TABLE) is result
    env = {"x": x, "y": y}
    # Leaves are within [-5, 5] and at most 10 of them: no value passes 1e7, and rounding 1e-8 of it.
    assert math.isclose(evaluate(result, env), evaluate(expr, env), rel_tol=1e-9, abs_tol=1e-6)


@given(expressions(("x", "y"), max_leaves=10))
@settings(max_examples=150)
def test_any_expression_reaches_a_fixed_point(expr: Expr) -> None:
    result = simplify(expr, TABLE, max_steps=20_000)
    assert simplify(result, TABLE) is result


# ---------------------------------------------------------------------------------------------------
# Termination on the workloads


def test_w3_tanh_derivatives_reach_symengine_size() -> None:
    """d^n/dx^n tanh, diff + simplify each step: n = 8 is 40320 t^9 - 120960 t^7 + ... (SymEngine: 61/27)."""
    e = plain = parse(T)
    for _ in range(8):
        e, plain = simplify(diff(e, "x"), TABLE), simplify(diff(plain, "x"))
        assert simplify(e, TABLE) is e
        assert evaluate(e, {"x": 0.3}) == pytest.approx(evaluate(plain, {"x": 0.3}), rel=1e-12)
    assert show(e).replace(T, "t") == (
        "((7936 * t) + ((-56320 * (t ** 3)) + ((129024 * (t ** 5)) + ((-120960 * (t ** 7)) + (40320 * (t ** 9))))))"
    )
    assert (tree_size(e), count_nodes(e)) == (32, 24)
    x = 0.3
    t = math.tanh(x)
    exact = 7936 * t - 56320 * t**3 + 129024 * t**5 - 120960 * t**7 + 40320 * t**9
    assert evaluate(e, {"x": x}) == pytest.approx(exact, rel=1e-12)


def test_the_lab_gradients_reach_a_fixed_point() -> None:
    net = network()
    for expr in (net.loss, net.output):
        for var in sorted({v.name for v in _variables(expr)}):
            result = simplify(diff(expr, var), TABLE)
            assert simplify(result, TABLE) is result


def _variables(expr: Expr) -> set[Var]:
    return {node for node in postorder(expr) if isinstance(node, Var)}


def test_an_expansion_too_large_for_the_budget_stops_with_the_step_limit() -> None:
    # d/dx tanh(tanh(...(x))) is a product of one (1 - t * t) per level: 2 ** depth terms multiplied out.
    e: Expr = Var("x")
    for _ in range(8):
        e = TanH(e)
    with pytest.raises(RewriteLimitError, match="no fixed point after"):
        simplify(diff(e, "x"), TABLE, max_steps=2_000)
