"""Every default rule is sound (one test per rule), and assert_sound catches rules that are not."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given, settings

from chainrule import (
    COEFFICIENT_RULES,
    DEFAULT_RULES,
    Const,
    EvaluationError,
    Rule,
    Sum,
    Var,
    evaluate,
    parse,
    parse_rule,
    show,
    simplify,
)
from chainrule.bounds import bounds
from chainrule.soundness import Unsound, check_rewrite, rounding_bound
from chainrule.testing import EDGES, assert_sound, environments


@pytest.mark.parametrize("rule", [*DEFAULT_RULES, *COEFFICIENT_RULES], ids=lambda rule: rule.name)
def test_default_rule_is_sound(rule: Rule) -> None:
    assert_sound(rule, max_examples=150)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("log(?x * ?y) -> log(?x) + log(?y)", "the rewritten fails"),  # x = y = -1
        ("?x * ?x -> ?x", "the rewritten is"),  # x = -1
        ("tanh(?x) -> ?x", "the rewritten is"),
        ("log(?x) + log(?y) -> log(?x * ?y)", "the rewritten fails"),  # x * y overflows
        ("?x * (?a:const * ?y) -> ?a * (?x * ?y)", "the rewritten fails"),  # so may x * y
    ],
)
def test_assert_sound_finds_a_counterexample(text: str, why: str) -> None:
    with pytest.raises(Unsound, match=why) as caught:
        assert_sound(parse_rule(text), max_examples=1000, seed=0)
    assert "rewrote" in str(caught.value)


def test_a_side_condition_makes_a_rule_sound() -> None:
    assert_sound(parse_rule("log-split: log(?x * ?y) -> log(?x) + log(?y) if ?x > 0"), max_examples=300)


def test_a_rule_that_never_applies_is_not_passed_as_sound() -> None:
    with pytest.raises(AssertionError, match="never rewrote"):
        assert_sound(parse_rule("log(?x) -> 0 if ?x < -1"), max_examples=50)


def test_assert_sound_takes_a_whole_table() -> None:
    assert_sound(DEFAULT_RULES[:3], max_examples=20)
    with pytest.raises(TypeError, match="Rule objects"):
        assert_sound(["0 + ?x -> ?x"], max_examples=20)  # type: ignore[list-item]


def test_rounding_allows_cancellation_but_not_more() -> None:
    x = Var("x")
    exact = {x: 1.0}
    before = parse("(1e16 + x) - 1e16")  # rounds to 0 or 2: the sum's rounding error is about 1
    value, error = rounding_bound(before, {"x": 1.0}, exact)
    assert value in (0.0, 2.0)
    assert 1 <= error <= 10
    _, exact_error = rounding_bound(parse("x * 2"), {"x": 3.0}, exact)
    assert exact_error < 1e-14
    rule = "cancel"
    assert check_rewrite(before, x, {"x": 1.0}, {"x": x}, rule)
    with pytest.raises(Unsound):
        check_rewrite(parse("(10 + x) - 10"), parse("x + 1"), {"x": 1.0}, {"x": x}, rule)


def test_check_rewrite_has_nothing_to_check_where_the_original_fails() -> None:
    x = Var("x")
    assert not check_rewrite(parse("x / x"), parse("1"), {"x": 0.0}, {"x": x})
    assert check_rewrite(parse("x / x"), parse("1"), {"x": 3.0}, {"x": x})


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2", 2, 2),
        ("x", -math.inf, math.inf),
        ("exp(x)", 0, math.inf),  # exp underflows to 0.0
        ("1 + exp(x)", 1, math.inf),
        ("tanh(x)", -1, 1),
        ("1 - tanh(x) * tanh(x)", 0, 1),
        ("x * x", 0, math.inf),
        ("exp(tanh(x))", math.exp(-1), math.exp(1)),
        ("log(1 + exp(x))", 0, math.inf),
        ("1 / (2 + exp(x))", 0, 0.5),
        ("-1 * exp(x)", -math.inf, 0),
        ("x / x", -math.inf, math.inf),
    ],
)
def test_bounds_used_for_side_conditions(text: str, low: float, high: float) -> None:
    assert bounds(parse(text)) == (low, high)


def test_a_folded_constant_equal_to_a_matched_one_still_counts_as_rounded() -> None:
    # 1 + (1e308 + x) -> (1 + 1e308) + x folds to the very Const(1e308) that ?b matched; the opt-in
    # plus-plus (its condition keeps it away from the overflow edge) must not be a false alarm there.
    (rule,) = [rule for rule in COEFFICIENT_RULES if rule.name == "plus-plus"]
    assert_sound(rule, max_examples=150, seed=69)


# ---------------------------------------------------------------------------------------------------
# The overflow edge (issue 13.1): the eight coefficient rules as they were, without side conditions.

# Counterexamples are rare (only some constants round the merged form differently right at max),
# so each rule gets up to SEEDS seeded 150-example runs; all eight are found within the first few.
# Which seed finds one depends on the strategies, and they include the functions other tests
# define, so the test does not pin seeds.
SEEDS = 40
OLD_RULES = {
    "plus-plus": "?a:const + (?b:const + ?x) -> {?a + ?b} + ?x",
    "times-times": "?a:const * (?b:const * ?x) -> {?a * ?b} * ?x",
    "coefficient-plus-one": "?a:const * ?x + ?x -> {?a + 1} * ?x",
    "one-plus-coefficient": "?x + ?a:const * ?x -> {1 + ?a} * ?x",
    "coefficients-plus": "?a:const * ?x + ?b:const * ?x -> {?a + ?b} * ?x",
    "coefficient-minus-one": "?a:const * ?x - ?x -> {?a - 1} * ?x",
    "one-minus-coefficient": "?x - ?a:const * ?x -> {1 - ?a} * ?x",
    "coefficients-minus": "?a:const * ?x - ?b:const * ?x -> {?a - ?b} * ?x",
}


@pytest.mark.parametrize("name", sorted(OLD_RULES))
def test_assert_sound_finds_the_old_coefficient_rules_unsound_at_the_overflow_edge(name: str) -> None:
    rule = parse_rule(f"{name}: {OLD_RULES[name]}")
    found = []
    for seed in range(SEEDS):
        try:
            assert_sound(rule, max_examples=150, seed=seed)
        except Unsound as unsound:
            found.append(str(unsound))
            break
    assert found, f"assert_sound passed {name} with seeds 0..{SEEDS - 1}"
    assert f"{name} rewrote" in found[0] and "the rewritten fails" in found[0] and "not finite" in found[0]


def _old(name: str) -> Rule:
    return parse_rule(f"{name}: {OLD_RULES[name]}")


def test_the_issues_reproductions_fail_the_old_rules_and_pass_the_new() -> None:
    top = sys.float_info.max
    x = Var("x")
    cases = [
        ("plus-plus", 2.0**971 + (-(2.0**970) + x), top),
        ("coefficient-plus-one", 0.6861593835694694 * x + x, 1.066146624322511e308),
    ]
    for name, before, value in cases:
        old = _old(name)
        after = old(before)
        assert after is not before
        with pytest.raises(Unsound, match="rewritten fails"):
            check_rewrite(before, after, {"x": value}, old.match(before) or {}, name)
        # The default table keeps the value: simplify leaves these alone (or rewrites soundly).
        assert evaluate(simplify(before), {"x": value}) == evaluate(before, {"x": value})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3 * (5 * x)", sys.float_info.max / 15),
        ("5 * x + x", 2.9961552247705263e307),
        ("x + 5 * x", 2.9961552247705263e307),
        ("2 * x + 3 * x", sys.float_info.max / 5),
        ("-5 * x - x", -2.9961552247705263e307),
        ("x - -5 * x", 2.9961552247705263e307),
        ("1.5 * x - -2.5 * x", sys.float_info.max / 4),
    ],
)
def test_simplify_keeps_finite_values_finite_at_the_overflow_edge(text: str, value: float) -> None:
    before = parse(text)
    for step in range(-3, 4):
        point = value
        for _ in range(abs(step)):
            point = math.nextafter(point, math.inf if step > 0 else -math.inf)
        try:
            original = evaluate(before, {"x": point})
        except EvaluationError:
            continue
        assert math.isclose(evaluate(simplify(before), {"x": point}), original, rel_tol=1e-15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-1 * (2 * x)", "(-2 * x)"),  # |a| <= 1
        ("4 * (0.25 * x)", "x"),  # |a * b| <= 1
        ("x - 3 * x", "(-2 * x)"),  # 1 - a with a >= 0
        ("3 * x - x", "(2 * x)"),
        ("-3 * x + x", "(-2 * x)"),
        ("2 * x - 3 * x", "(-1 * x)"),
        ("1 + (2 + x)", "(3 + x)"),
    ],
)
def test_the_conditioned_merges_still_apply_where_they_cannot_overflow(text: str, expected: str) -> None:
    assert show(simplify(parse(text), DEFAULT_RULES + COEFFICIENT_RULES)) == expected


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("2 * (3 * x)", "(2 * (3 * x))"),
        ("2 * x + x", "((2 * x) + x)"),
        ("x * 2 + 3 * x", "((2 * x) + (3 * x))"),
        ("1e300 + (1e300 + x)", "(1e+300 + (1e+300 + x))"),
    ],
)
def test_a_merge_that_could_overflow_is_left_alone(text: str, kept: str) -> None:
    assert show(simplify(parse(text), DEFAULT_RULES + COEFFICIENT_RULES)) == kept


def test_environments_visit_the_float_boundaries() -> None:
    seen: set[float] = set()

    @settings(max_examples=300, database=None, derandomize=True)
    @given(environments(("x",), edges=True, targets=[1e300]))
    def collect(env: dict[str, float]) -> None:
        seen.add(env["x"])

    collect()
    top = sys.float_info.max
    assert {top, -top, 5e-324, sys.float_info.min} <= seen
    assert any(abs(v - 1e300) <= 1e285 for v in seen)
    assert 0.0 in seen
    assert set(EDGES) >= {top, -top, 0.0, -0.0, 2.0**-1074, math.nextafter(1.0, 2.0)}


def test_folding_takes_an_int_a_float_cannot_hold_at_evaluates_value() -> None:
    # evaluate reads Const(2**53 + 1) as 2**53: folding exactly from 2**53 + 1 gave 1 here, not 0.
    e = Sum(Const(-9007199254740992.0), Const(9007199254740993))
    assert evaluate(e) == 0.0
    assert evaluate(simplify(e)) == 0.0
