"""Depth 100,000 and exponential trees: no RecursionError, and shared nodes visited once."""

from __future__ import annotations

import gc
import math

import pytest

from chainrule import Const, Expr, Sum, TanH, Var, count_nodes, diff, evaluate, parse, show, tree_size

DEPTH = 100_000


@pytest.fixture(scope="module")
def tanh_chain() -> Expr:
    e: Expr = Var("x")
    for _ in range(DEPTH):
        e = TanH(e)
    return e


@pytest.fixture(scope="module")
def sum_chain() -> Expr:
    e: Expr = Var("x")
    for i in range(DEPTH):
        e = Sum(e, Const(i % 7))
    return e


def test_deep_chain_builds_hashes_and_compares(tanh_chain: Expr) -> None:
    rebuilt: Expr = Var("x")
    for _ in range(DEPTH):
        rebuilt = TanH(rebuilt)
    assert rebuilt is tanh_chain
    assert rebuilt == tanh_chain
    assert hash(rebuilt) == hash(tanh_chain)
    assert count_nodes(tanh_chain) == DEPTH + 1


def test_deep_chain_evaluates_and_differentiates(tanh_chain: Expr) -> None:
    value = evaluate(tanh_chain, {"x": 0.5})
    assert 0 < value < 0.01
    slope = evaluate(diff(tanh_chain, "x"), {"x": 0.5})
    assert 0 < slope < 1e-5


def test_deep_sum_chain(sum_chain: Expr) -> None:
    expected = 1.5 + sum(i % 7 for i in range(DEPTH))
    assert evaluate(sum_chain, {"x": 1.5}) == expected
    assert evaluate(diff(sum_chain, "x"), {"x": 0.0}) == 1.0


def test_deep_chain_prints_and_parses_back(sum_chain: Expr) -> None:
    text = show(sum_chain)
    assert text.startswith("(" * 100) and text.endswith(" + 4)")  # (DEPTH - 1) % 7 == 4
    assert parse(text) is sum_chain
    assert repr(sum_chain).startswith("Sum(Sum(Sum(")


def test_deep_chain_is_freed_without_crashing() -> None:
    before = TanH.interned()  # type: ignore[attr-defined]
    e: Expr = Var("deep")
    for _ in range(DEPTH):
        e = TanH(e)
    assert TanH.interned() == before + DEPTH  # type: ignore[attr-defined]
    del e
    gc.collect()
    assert TanH.interned() == before  # type: ignore[attr-defined]


def test_exponential_tree_is_linear_work() -> None:
    e: Expr = Var("x")
    for _ in range(60):
        e = e * e
    assert count_nodes(e) == 61
    assert tree_size(e) == 2**61 - 1
    assert evaluate(e, {"x": 1.0}) == 1.0
    assert evaluate(e, {"x": -1.0}) == 1.0
    d = diff(e, "x")
    assert count_nodes(d) < 400
    assert evaluate(d, {"x": 1.0}) == 2.0**60
    assert math.isclose(evaluate(d, {"x": 1.0 + 1e-20}), 2.0**60)
