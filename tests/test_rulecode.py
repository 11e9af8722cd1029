"""Rules compiled to straight-line functions decide exactly as the general matcher does."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import DEFAULT_RULES, Const, Expr, Mul, Rule, Sum, Var, parse, parse_rule, simplify
from chainrule.match import match_node
from chainrule.rulecode import compiled
from chainrule.rules import instantiate
from chainrule.testing import expressions, instantiations

USER_RULES = [
    parse_rule("square-sum: (?a + ?b) * (?a + ?b) -> ?a * ?a + 2 * (?a * ?b) + ?b * ?b"),
    parse_rule("fold-float: ?a:const * 0.5 -> {?a * 0.5}"),
    parse_rule("named-var: x * ?y:var -> ?y * x"),
    parse_rule("log-positive: log(?x * ?y) -> log(?x) + log(?y) if ?x > 0 and ?y > 0"),
    parse_rule("anything: ?x -> ?x + 0"),
    parse_rule("deep: tanh(exp(log(?x + 1))) -> tanh(?x + 1)"),
    parse_rule("fold-div: ?a:const / ?b:const -> {?a / ?b}"),
]
ALL_RULES = [*DEFAULT_RULES, *USER_RULES]


def _mutated(rule: Rule) -> st.SearchStrategy[Expr]:
    """Expressions that match ``rule`` (instantiated left sides), and near misses of them."""
    matching = instantiations(rule).map(lambda bindings: instantiate(rule.lhs, bindings))
    return st.one_of(matching, expressions(), st.tuples(matching, matching).map(lambda ab: Sum(*ab)))


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.name)
def test_every_rule_the_library_writes_code_for_compiles(rule: Rule) -> None:
    assert compiled(rule) is not None


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.name)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_compiled_rule_rewrites_exactly_as_the_general_matcher(rule: Rule, data: st.DataObject) -> None:
    fast = compiled(rule)
    assert fast is not None
    expr = data.draw(_mutated(rule))
    assert fast(expr) is rule.rewrite(expr)


def test_int_folds_stay_exact_and_refuse_what_no_float_holds() -> None:
    fold_times = next(rule for rule in DEFAULT_RULES if rule.name == "fold-times")
    fast = compiled(fold_times)
    assert fast is not None
    assert fast(Mul(Const(3), Const(4))) is Const(12)
    huge = Mul(Const(10**200), Const(10**200))
    assert fast(huge) is huge  # 10**400 is beyond every float: no fold, as exact.compute decides
    assert fast(Mul(Const(0.1), Const(3))) is fold_times.rewrite(Mul(Const(0.1), Const(3)))


def test_a_pattern_with_a_user_node_type_falls_back_to_the_general_matcher() -> None:
    @attrs.frozen
    class Scaled(Expr):
        x: Expr
        factor: float

    rule = Rule("unscale", Scaled(Var("x"), 2.0), Var("x"))
    assert compiled(rule) is None


def test_the_index_goes_back_to_the_general_matcher_once_a_matching_case_is_registered() -> None:
    # Compiled code bakes in the default cases; here a registered case changes what "0" matches.
    zero_plus_x = parse("0 + x")
    assert simplify(zero_plus_x) is Var("x")  # indexes built, compiled code in use
    original = match_node.funcs[(Const, Const)]
    match_node.add((Const, Const), lambda pattern, expr, bindings: None)  # constants never match
    try:
        assert simplify(zero_plus_x) is zero_plus_x
    finally:
        match_node.add((Const, Const), original)
    assert simplify(zero_plus_x) is Var("x")


@pytest.mark.parametrize(
    "text",
    [
        "?a:const * ?x -> ?a * {?a + 1}",  # ?a inside the block and outside it
        "?a:const * ?x -> ?x + 2 * {?a * 2}",  # the constant 2 inside the block and outside it
    ],
)
def test_a_node_inside_a_block_and_outside_it_is_built_outside(text: str) -> None:
    rule = parse_rule(text)
    fast = compiled(rule)
    assert fast is not None
    expr = parse("3 * y")
    assert fast(expr) is rule.rewrite(expr)
    assert fast(expr) is not expr


def test_an_int_fold_of_a_users_constant_type_declines_as_compute_does() -> None:
    @attrs.frozen
    class Exact(Const):
        pass

    rule = parse_rule("?a:const + ?b:const -> {?a + ?b}")
    fast = compiled(rule)
    assert fast is not None
    for expr in (Sum(Exact(3), Const(4)), Sum(Const(3), Exact(4)), Sum(Const(3), Const(4))):
        assert fast(expr) is rule.rewrite(expr)
