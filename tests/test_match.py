"""Pattern matching by multiple dispatch on (pattern type, expression type), and its quick pre-check."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrule import DEFAULT_RULES, Const, Expr, Rule, Var, parse, show_node
from chainrule.match import match, match_node, quick_check
from chainrule.nodes import as_expr
from chainrule.patterns import PatternVar
from chainrule.rules import instantiate
from chainrule.testing import expressions, instantiations


def pattern(text: str) -> Expr:
    return parse(text, pattern=lambda name, kind, at: PatternVar(name, kind))


x, y = Var("x"), Var("y")


def test_a_variable_binds_any_subexpression() -> None:
    assert match(pattern("?a + ?b"), parse("x * y + exp(x)")) == {"a": parse("x * y"), "b": parse("exp(x)")}


def test_a_repeated_variable_needs_the_same_subexpression() -> None:
    assert match(pattern("?a * ?a"), parse("(x + 1) * (x + 1)")) == {"a": parse("x + 1")}
    assert match(pattern("?a * ?a"), parse("(x + 1) * (1 + x)")) is None


def test_existing_bindings_are_respected_and_not_changed() -> None:
    given_bindings = {"a": x}
    assert match(pattern("?a + ?b"), parse("x + y"), given_bindings) == {"a": x, "b": y}
    assert match(pattern("?a + ?b"), parse("y + y"), given_bindings) is None
    assert given_bindings == {"a": x}


def test_constants_match_by_value() -> None:
    for text in ["0 * x", "0.0 * x", "-0.0 * x"]:
        assert match(pattern("0 * ?x"), parse(text)) == {"x": x}
    assert match(pattern("0 * ?x"), parse("1 * x")) is None
    assert match(pattern("0 * ?x"), parse("y * x")) is None


def test_literal_variables_and_node_types_must_agree() -> None:
    assert match(pattern("x + ?b"), parse("x + 2")) == {"b": Const(2)}
    assert match(pattern("x + ?b"), parse("y + 2")) is None
    assert match(pattern("exp(?a)"), parse("log(x)")) is None
    assert match(pattern("?a - ?b"), parse("x + y")) is None


def test_kinds() -> None:
    assert match(pattern("?a:const * ?b"), parse("2 * x")) == {"a": Const(2), "b": x}
    assert match(pattern("?a:const * ?b"), parse("x * 2")) is None
    assert match(pattern("?a:var"), x) == {"a": x}
    assert match(pattern("?a:var"), parse("x + 1")) is None
    assert match(pattern("?a:nonconst"), parse("x + 1")) == {"a": parse("x + 1")}
    assert match(pattern("?a:nonconst"), Const(3)) is None


def test_deep_patterns_match_without_recursion() -> None:
    deep_pattern, deep_expr = PatternVar("z"), x
    for _ in range(100_000):
        deep_pattern, deep_expr = Const(0) + deep_pattern, Const(0) + deep_expr
    assert match(deep_pattern, deep_expr) == {"z": x}


@attrs.frozen
class Pair(Expr):
    """A user's node type with a data field next to its children."""

    label: str
    left: Expr = attrs.field(converter=as_expr)
    right: Expr = attrs.field(converter=as_expr)


show_node.add((Pair,), lambda node: (f"pair_{node.label}(", node.left, ", ", node.right, ")"))


def test_new_node_types_match_structurally_without_registration() -> None:
    pat = Pair("a", PatternVar("p"), PatternVar("p"))
    assert match(pat, Pair("a", x, x)) == {"p": x}
    assert match(pat, Pair("b", x, x)) is None  # data fields must be equal
    assert match(pat, Pair("a", x, y)) is None
    rule = Rule("same-pair", pat, PatternVar("p"))
    assert rule(Pair("a", y + 1, y + 1)) is y + 1


@attrs.frozen
class Wild(Expr):
    """A pattern node of a user's: matches any constant."""


@pytest.fixture
def wild_matches_constants() -> Iterator[None]:
    """Register a matching case for a while, then remove it again."""
    match_node.add((Wild, Const), lambda pattern, expr, bindings: ())
    try:
        yield
    finally:
        del match_node.funcs[(Wild, Const)]
        match_node._cache.clear()
        match_node.reorder()
        match_node.generation += 1


def test_registered_cases_decide_and_quick_checks_step_aside(wild_matches_constants: None) -> None:
    rule = Rule("wild", Const(1) * Wild(), Const(1))
    assert rule(parse("1 * 7")) is Const(1)
    assert rule(parse("1 * x")) is parse("1 * x")
    zero = DEFAULT_RULES[[r.name for r in DEFAULT_RULES].index("zero-times")]
    assert zero(parse("0 * x")) is Const(0)  # built before the registration, still right after it


@given(st.data())
def test_the_quick_check_passes_whatever_the_rule_matches(data: st.DataObject) -> None:
    rule = data.draw(st.sampled_from(DEFAULT_RULES), label="rule")
    check = quick_check(rule.lhs)
    bindings = data.draw(instantiations(rule), label="bindings")
    instance = instantiate(rule.lhs, bindings)
    assert match(rule.lhs, instance) is not None
    assert check is None or check(instance)
    other = data.draw(expressions(("x", "y")), label="other")
    if check is not None and match(rule.lhs, other) is not None:
        assert check(other)
