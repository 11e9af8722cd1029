"""Every default rule is sound (one test per rule), and assert_sound catches rules that are not."""

from __future__ import annotations

import math

import pytest

from chainrule import DEFAULT_RULES, Rule, Var, parse, parse_rule
from chainrule.bounds import bounds
from chainrule.soundness import Unsound, check_rewrite, rounding_bound
from chainrule.testing import assert_sound


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda rule: rule.name)
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
        assert_sound(parse_rule(text), max_examples=400, seed=0)
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
    # 1 + (1e308 + x) -> (1 + 1e308) + x folds to the very Const(1e308) that ?b matched.
    rule = parse_rule("plus-plus: ?a:const + (?b:const + ?x) -> {?a + ?b} + ?x")
    assert_sound(rule, max_examples=150, seed=69)
