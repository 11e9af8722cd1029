"""Strategy combinators: on plain integers, and on expressions (one visit per distinct node)."""

from __future__ import annotations

import doctest
from collections import Counter

import attrs
import pytest

import chainrule.strategies
from chainrule import Const, Exp, Expr, RewriteLimitError, Sum, Var, count_nodes, parse, show
from chainrule.nodes import as_expr
from chainrule.strategies import (
    RewriteStopped,
    StopReason,
    bottom_up,
    chain,
    condition,
    do_one,
    exhaust,
    fixpoint,
    identity,
    innermost,
    rebuild,
    switch,
    tap,
)


def inc(n: int) -> int:
    return n + 1


def halve_even(n: int) -> int:
    return n // 2 if n % 2 == 0 else n


def test_the_docstring_examples() -> None:
    failures, tried = doctest.testmod(chainrule.strategies)
    assert tried > 10
    assert failures == 0


def test_combinators_on_integers() -> None:
    assert identity(3) == 3
    assert chain(inc, inc, halve_even)(2) == 2
    assert chain()(9) == 9
    assert do_one(halve_even, inc)(3) == 4  # halve_even leaves 3 alone
    assert do_one(halve_even, inc)(4) == 2  # only the first that changes
    assert do_one()(4) == 4
    assert condition(lambda n: n > 10, inc)(3) == 3
    assert condition(lambda n: n > 10, inc)(30) == 31
    assert switch(lambda n: n % 3, {0: inc, 1: halve_even})(5) == 5  # no entry: unchanged
    assert switch(lambda n: n % 3, {0: inc}, default=lambda n: -n)(5) == -5
    seen: list[tuple[int, int]] = []
    assert tap(halve_even, lambda a, b: seen.append((a, b)))(12) == 6
    assert tap(halve_even, lambda a, b: seen.append((a, b)))(7) == 7
    assert seen == [(12, 6)]


def test_fixpoint_runs_to_a_fixed_point_and_gives_up_when_the_fuel_runs_out() -> None:
    assert fixpoint(halve_even)(96) == 3
    assert exhaust is fixpoint
    with pytest.raises(RewriteLimitError, match="no fixed point after 50 rewrites") as caught:
        fixpoint(inc, fuel=50)(0)
    assert isinstance(caught.value, RewriteStopped)
    assert caught.value.reason is StopReason.STEP_LIMIT
    assert caught.value.trail == ((50, 51),)  # the rewrite past the budget
    assert fixpoint(halve_even, fuel=0)(3) == 3  # a fixed point needs no budget


def test_a_negative_fuel_is_refused_up_front() -> None:
    for make in (lambda: fixpoint(inc, fuel=-1), lambda: innermost(inc, fuel=-1)):
        with pytest.raises(ValueError, match="fuel must be at least 0, got -1"):
            make()


def test_traversals_treat_non_expressions_as_leaves() -> None:
    assert bottom_up(inc)(1) == 2
    assert innermost(halve_even)(40) == 5


def zero_plus(e: Expr) -> Expr:
    if isinstance(e, Sum) and e.x == Const(0):
        return e.y
    return e


def test_bottom_up_rewrites_each_distinct_node_once() -> None:
    shared = parse("0 + x")
    e = Sum(shared * shared, shared)
    calls: Counter[Expr] = Counter()

    def counted(node: Expr) -> Expr:
        calls[node] += 1
        return zero_plus(node)

    assert show(bottom_up(counted)(e)) == "((x * x) + x)"
    assert max(calls.values()) == 1


def count_down(e: Expr) -> Expr:
    if isinstance(e, Const) and e.value > 0:
        return Const(e.value - 1)
    return e


def test_bottom_up_is_one_pass_and_innermost_goes_to_the_fixed_point() -> None:
    assert show(bottom_up(count_down)(parse("3 + 2 * x"))) == "(2 + (1 * x))"
    assert show(innermost(count_down)(parse("3 + 2 * x"))) == "(0 + (0 * x))"
    assert show(innermost(zero_plus)(parse("0 + (0 + x)"))) == "x"


def test_innermost_normalises_each_distinct_node_once() -> None:
    leaf: Expr = parse("0 + x")
    e = leaf
    for _ in range(30):
        e = e * e  # 2**30 tree nodes, 32 distinct ones
    calls: Counter[Expr] = Counter()

    def counted(node: Expr) -> Expr:
        calls[node] += 1
        return zero_plus(node)

    before, after = (
        count_nodes(e),
        count_nodes(innermost(counted)(e)),
    )  # (never let pytest print e: 2**30 nodes)
    assert (before, after) == (33, 31)  # 0 + x and the 0 are gone
    assert max(calls.values()) == 1


def test_innermost_reports_a_cycle_at_once_with_the_rewrites_in_it() -> None:
    def swap(node: Expr) -> Expr:
        return Sum(node.y, node.x) if isinstance(node, Sum) else node

    with pytest.raises(RewriteStopped, match="cycle") as caught:
        innermost(swap)(parse("x + y"))
    assert caught.value.reason is StopReason.CYCLE
    assert [(show(a), show(b)) for a, b in caught.value.trail] == [
        ("(x + y)", "(y + x)"),
        ("(y + x)", "(x + y)"),
    ]


def test_innermost_reports_a_rule_that_keeps_growing_when_the_fuel_runs_out() -> None:
    def count_up(node: Expr) -> Expr:
        if isinstance(node, Sum) and isinstance(node.x, Const):
            return Sum(Const(node.x.value + 1), node.y)
        return node

    with pytest.raises(RewriteStopped, match="no fixed point after 100 rewrites") as caught:
        innermost(count_up, fuel=100)(parse("1 + x"))
    assert caught.value.reason is StopReason.STEP_LIMIT
    assert show(caught.value.trail[-1][1]) == "(102 + x)"


def test_an_instrumented_rule_tells_which_rewrites_innermost_made() -> None:
    steps: list[tuple[str, str]] = []
    innermost(tap(zero_plus, lambda a, b: steps.append((show(a), show(b)))))(parse("0 + (0 + x)"))
    assert steps == [("(0 + x)", "x")]  # the root, rebuilt, is (0 + x) again: normalised once


def test_one_stop_vocabulary() -> None:
    assert [str(reason) for reason in StopReason] == ["fixed point", "cycle", "step limit"]


def test_a_cascade_deeper_than_the_nesting_bound_is_finished_by_another_pass() -> None:
    """Each rewrite makes a node whose child needs rewriting: nested normalisation, 500 deep."""

    def unfold(node: Expr) -> Expr:  # exp(n) -> exp(exp(n - 1)) for n > 0
        if isinstance(node, Exp) and isinstance(node.x, Const) and node.x.value > 0:
            return Exp(Exp(Const(node.x.value - 1)))
        return node

    result = innermost(unfold)(parse("exp(500)"))
    expected: Expr = Const(0)
    for _ in range(501):
        expected = Exp(expected)
    assert result is expected


def test_innermost_at_depth_100000() -> None:
    e: Expr = Var("x")
    for _ in range(100_000):
        e = Sum(Const(0), e)
    assert innermost(zero_plus)(e) is Var("x")


@attrs.frozen
class Tagged(Expr):
    """A user's node with a data field and one child."""

    tag: str
    body: Expr = attrs.field(converter=as_expr)


def test_rebuild_keeps_data_fields_and_returns_the_node_when_nothing_changed() -> None:
    node = Tagged("t", parse("x + 1"))
    assert rebuild(node, [Var("y")]) is Tagged("t", Var("y"))
    assert rebuild(node, [parse("x + 1")]) is node
    with pytest.raises(ValueError, match="1 children"):
        rebuild(node, [])


def test_rebuild_converts_a_number_a_users_rule_returned_and_rejects_other_values() -> None:
    x_plus_y = Sum(Var("x"), Var("y"))
    assert rebuild(x_plus_y, [Var("x"), 2]) is Sum(Var("x"), Const(2))
    with pytest.raises(TypeError, match="field 'y'"):
        rebuild(x_plus_y, [Var("x"), "y"])
    zero_for_y = bottom_up(lambda e: 0 if e is Var("y") else e)
    assert zero_for_y(x_plus_y) is Sum(Var("x"), Const(0))
