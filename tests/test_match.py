"""The one matcher: patterns compiled into closures, one per pattern node (a dispatch case per pattern type)."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrule import DEFAULT_RULES, Const, Expr, Rule, Var, parse, show_node, simplify
from chainrule.errors import RuleError
from chainrule.match import MAX_PATTERN_DEPTH, compile_match, match, match_node
from chainrule.nodes import as_expr, children
from chainrule.patterns import PatternVar
from chainrule.rules import instantiate
from chainrule.table import RuleIndex
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


def test_deep_expressions_match_and_too_deep_patterns_are_refused() -> None:
    deep_expr: Expr = x
    for _ in range(100_000):
        deep_expr = Const(0) + deep_expr
    assert match(pattern("0 + (0 + ?z)"), deep_expr) == {"z": deep_expr.y.y}  # type: ignore[attr-defined]
    deep_pattern: Expr = PatternVar("z")
    for _ in range(MAX_PATTERN_DEPTH):
        deep_pattern = Const(0) + deep_pattern
    with pytest.raises(RuleError, match=f"nests {MAX_PATTERN_DEPTH + 1} levels deep"):
        compile_match(deep_pattern)


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
    """Register a compile case for a while, then remove it again."""
    match_node.add((Wild,), lambda pattern: lambda expr, bindings: isinstance(expr, Const))
    try:
        yield
    finally:
        del match_node.funcs[(Wild,)]
        match_node._cache.clear()
        match_node.reorder()


def test_a_registered_case_compiles_a_users_pattern_node(wild_matches_constants: None) -> None:
    rule = Rule("wild", Const(1) * Wild(), Const(1))
    assert rule(parse("1 * 7")) is Const(1)
    assert rule(parse("1 * x")) is parse("1 * x")
    zero = DEFAULT_RULES[[r.name for r in DEFAULT_RULES].index("zero-times")]
    assert zero(parse("0 * x")) is Const(0)
    assert simplify(parse("1 * 7 + 1 * x"), (rule,)) is parse("1 + 1 * x")  # the index files it right


@given(st.data())
def test_a_rule_matches_its_instances_and_the_index_offers_it_for_them(data: st.DataObject) -> None:
    rule = data.draw(st.sampled_from(DEFAULT_RULES), label="rule")
    bindings = data.draw(instantiations(rule), label="bindings")
    instance = instantiate(rule.lhs, bindings)
    found = rule.match(instance) if not rule.conditions else match(rule.lhs, instance)
    assert found is not None
    assert all(found[name] is value for name, value in bindings.items())
    shape = (type(instance), *map(type, children(instance)))
    assert rule in RuleIndex(DEFAULT_RULES).fitting(shape)
    other = data.draw(expressions(("x", "y")), label="other")
    if match(rule.lhs, other) is not None:
        assert rule in RuleIndex(DEFAULT_RULES).fitting((type(other), *map(type, children(other))))
