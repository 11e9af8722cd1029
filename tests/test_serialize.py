"""Pickle and JSON: any depth, sharing kept, the interned nodes back, malformed JSON named."""

from __future__ import annotations

import json
import math
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest
from hypothesis import given

from chainrule import (
    ChainruleError,
    Const,
    Exp,
    Expr,
    Log,
    Var,
    evaluate,
    from_json,
    lambdify,
    postorder,
    to_json,
)
from chainrule.testing import expressions
from tests.lab_strategies import dag_expressions
from tests.test_extension import Cosine, Sine

x, y = Var("x"), Var("y")


def deep_chain(depth: int = 100_000) -> Expr:
    e: Expr = x
    for index in range(depth):
        e = Exp(e) if index % 3 == 0 else (e + 1 if index % 3 == 1 else Log(e) * y)
    return e


def squared(n: int) -> Expr:
    e: Expr = x
    for _ in range(n):
        e = e * e
    return e


def test_pickle_at_depth_100000_gives_the_interned_node() -> None:
    e = deep_chain()
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        assert pickle.loads(pickle.dumps(e, protocol)) is e


@given(expressions(("x", "y")))
def test_pickle_and_json_round_trip_to_the_same_node(e: Expr) -> None:
    assert pickle.loads(pickle.dumps(e)) is e
    assert from_json(to_json(e)) is e


@given(dag_expressions())
def test_dags_round_trip_with_their_sharing(e: Expr) -> None:
    # A sequence of the DAG's parts: each distinct node is one table entry however often it is shared.
    parts = [e, *e._kids, e]
    assert pickle.loads(pickle.dumps(parts)) == parts
    text = to_json(parts)
    assert from_json(text) == parts
    assert len(json.loads(text)["nodes"]) == len(set(postorder(*parts)))


def test_pickle_keeps_sharing_and_leaves_pickle_small() -> None:
    e = squared(60)
    assert len(pickle.dumps(e)) < 2000
    assert pickle.loads(pickle.dumps(e)) is e
    assert pickle.loads(pickle.dumps(Const(-0.0))) is Const(-0.0)
    assert pickle.loads(pickle.dumps(Const(2))) is not Const(2.0)


def test_users_nodes_pickle_and_json() -> None:
    e = Sine(Cosine(x) + 1) * Sine(Cosine(x) + 1)
    assert pickle.loads(pickle.dumps(e)) is e
    assert from_json(to_json(e)) is e
    assert '"tests.test_extension.Sine"' in to_json(e)


def _call(f: object, value: float) -> float:
    return f(value)  # type: ignore[operator, no-any-return]


def test_lambdified_functions_pickle_and_reach_a_process_pool() -> None:
    f = lambdify({"value": Exp(x) * y, "again": x + y}, ["x", "y"])
    g = pickle.loads(pickle.dumps(f))
    assert g(1.0, 2.0) == f(1.0, 2.0) == {"value": 2 * math.e, "again": 3.0}
    assert g.args == f.args == ("x", "y")
    assert g.source == f.source
    one = lambdify(Log(x), "x")
    with ProcessPoolExecutor(max_workers=1) as pool:
        assert pool.submit(_call, one, math.e).result() == 1.0
        assert pool.submit(evaluate, deep_chain(20_000), {"x": 2.0, "y": 0.5}).result() == evaluate(
            deep_chain(20_000), {"x": 2.0, "y": 0.5}
        )


def test_json_of_a_dag_is_linear_in_distinct_nodes_and_keeps_sharing() -> None:
    e = squared(60)
    text = to_json(e)
    assert len(json.loads(text)["nodes"]) == 61
    assert from_json(text) is e
    assert from_json(to_json(deep_chain())) is deep_chain()


def test_json_of_sequences_and_mappings() -> None:
    text = to_json({"a": x * 2, "b": x * 2 + x})
    assert json.loads(text) == {
        "format": "chainrule",
        "version": 1,
        "nodes": [["Var", ["x"]], ["Const", [2]], ["Mul", 0, 1], ["Sum", 2, 0]],
        "root": {"a": 2, "b": 3},
    }
    assert from_json(text) == {"a": x * 2, "b": x * 2 + x}
    assert from_json(to_json((x, y, x))) == [x, y, x]
    assert from_json(to_json([])) == []
    assert from_json(to_json(Const(1.5))) is Const(1.5)
    with pytest.raises(TypeError, match="mapping keys must be strings"):
        to_json({1: x})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="item 1 is not an expression"):
        to_json([x, 1])  # type: ignore[list-item]


def _doc(nodes: object, root: object = 0, **extra: object) -> str:
    return json.dumps({"format": "chainrule", "version": 1, "nodes": nodes, "root": root, **extra})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ("[" * 100_000 + "]" * 100_000, "JSON"),
        ("[]", "not a chainrule document"),
        (json.dumps({"format": "chainrule", "version": 2, "nodes": [], "root": 0}), "version 2"),
        (_doc({}), '"nodes" must be a list'),
        (json.dumps({"format": "chainrule", "version": 1, "nodes": []}), '"root" is missing'),
        (_doc([["Var", ["x"]], ["Sum", 0, 2]], 1), r"node 1 \(Sum\), field 'y': child index 2"),
        (_doc([["Sum", 0, 0]]), r"node 0 \(Sum\), field 'x': child index 0 is not an earlier node"),
        (_doc([["Nope", 0]]), "node 0: unknown node type 'Nope'"),
        (_doc([["Var", ["x"], ["y"]]]), r"node 0 \(Var\) has 2 fields, the type has 1"),
        (_doc([["Var", ["1x"]]]), r"node 0 \(Var\): Var name must be a Python identifier"),
        (_doc([["Const", [True]]]), r"node 0 \(Const\): .*boolean"),
        (_doc([["Const", {"v": 1}]]), r"node 0 \(Const\), field 'value': expected a child index"),
        (_doc([["Const", [1]]], 3), r"root must be the index of a node \(0 to 0\), got 3"),
        (_doc([["Const", [1]]], {"a": "0"}), r"root 'a' must be the index"),
        (_doc([17]), "node 0 must be a list"),
    ],
)
def test_malformed_json_says_where(text: str, message: str) -> None:
    with pytest.raises(ChainruleError, match=message):
        from_json(text)
